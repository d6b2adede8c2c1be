/* test_diag.c: clang-style diagnostics (src/util/diag.c) and CPython float repr (src/util/common.c). */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "util/diag.h"
#include "util/suggest.h"

static char *printed(const Diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diags_print(d, f);
    fclose(f);
    return buf;
}

static void test_caret_under_column(void **state)
{
    (void)state;
    const char *src = "def f(x):\n    return x + y\n";
    Diags d;
    diags_init(&d, "p.my", src, strlen(src));
    diag_error(&d, loc_make(2, 16), "undefined name '%s'", "y");
    char *out = printed(&d);
    assert_string_equal(out, "p.my:2:16: error: undefined name 'y'\n"
                             "    return x + y\n"
                             "               ^\n");
    assert_true(diags_failed(&d));
    free(out);
    diags_free(&d);
}

static void test_sorted_by_position_with_notes_attached(void **state)
{
    (void)state;
    const char *src = "a\nb\nc\n";
    Diags d;
    diags_init(&d, "p.my", src, strlen(src));
    diag_error(&d, loc_make(3, 1), "third");
    diag_note(&d, loc_make(1, 1), "about the third");
    diag_warning(&d, loc_make(2, 1), "second");
    char *out = printed(&d);
    assert_string_equal(out, "p.my:2:1: warning: second\nb\n^\n"
                             "p.my:3:1: error: third\nc\n^\n"
                             "p.my:1:1: note: about the third\na\n^\n");
    assert_int_equal(d.nerrors, 1);
    assert_int_equal(d.nwarnings, 1);
    free(out);
    diags_free(&d);
}

static void test_unprintable_bytes_keep_caret_aligned(void **state)
{
    (void)state;
    const char src[] = "x = \t\x01\xff$\n";
    Diags d;
    diags_init(&d, "p.my", src, sizeof src - 1);
    diag_error(&d, loc_make(1, 8), "invalid character '$'");
    char *out = printed(&d);
    assert_string_equal(out, "p.my:1:8: error: invalid character '$'\n"
                             "x =  ??$\n"
                             "       ^\n");
    free(out);
    diags_free(&d);
}

static void test_lone_cr_line_endings(void **state)
{
    (void)state;
    const char src[] = "a = 1\rb = $\r\nc\n";
    Diags d;
    diags_init(&d, "p.my", src, sizeof src - 1);
    diag_error(&d, loc_make(2, 5), "invalid character '$'");
    diag_error(&d, loc_make(3, 1), "third");
    char *out = printed(&d);
    assert_string_equal(out, "p.my:2:5: error: invalid character '$'\nb = $\n    ^\n"
                             "p.my:3:1: error: third\nc\n^\n");
    free(out);
    diags_free(&d);
}

static void test_error_limit(void **state)
{
    (void)state;
    Diags d;
    diags_init(&d, "p.my", "", 0);
    for (int i = 0; i < 60; i++)
        diag_error(&d, loc_make(i + 1, 1), "e%d", i);
    assert_int_equal(d.items.len, 50);
    char *out = printed(&d);
    assert_non_null(strstr(out, "10 more errors not shown (limit 50)"));
    free(out);
    diags_free(&d);
}

static char *summary(const Diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diags_print_summary(d, f);
    fclose(f);
    return buf;
}

/* clang's closing count: singular, plural, both, and nothing at all. */
static void test_summary_as_clang_words_it(void **state)
{
    (void)state;
    Diags d;
    diags_init(&d, "p.my", "", 0);
    char *out = summary(&d);
    assert_string_equal(out, "");
    free(out);
    diag_note(&d, loc_make(1, 1), "a note counts for nothing");
    out = summary(&d);
    assert_string_equal(out, "");
    free(out);
    diag_error(&d, loc_make(1, 1), "one");
    out = summary(&d);
    assert_string_equal(out, "1 error generated.\n");
    free(out);
    diag_error(&d, loc_make(1, 1), "two");
    out = summary(&d);
    assert_string_equal(out, "2 errors generated.\n");
    free(out);
    diag_warning(&d, loc_make(1, 1), "w");
    out = summary(&d);
    assert_string_equal(out, "1 warning and 2 errors generated.\n");
    free(out);
    diags_free(&d);
    diags_init(&d, "p.my", "", 0);
    diag_warning(&d, loc_make(1, 1), "w");
    diag_warning(&d, loc_make(1, 1), "w2");
    out = summary(&d);
    assert_string_equal(out, "2 warnings generated.\n");
    free(out);
    diags_free(&d);
}

/* With color: clang's escape codes around each part. */
static void test_color_escape_codes(void **state)
{
    (void)state;
    const char *src = "x = y\n";
    Diags d;
    diags_init(&d, "p.my", src, strlen(src));
    d.color = true;
    diag_error(&d, loc_make(1, 5), "bad");
    diag_note(&d, loc_make(1, 1), "here");
    char *out = printed(&d);
    assert_string_equal(out, "\033[1mp.my:1:5: \033[0m\033[0;1;31merror: \033[0m\033[1mbad\033[0m\n"
                             "x = y\n"
                             "\033[0;1;32m    ^\033[0m\n"
                             "\033[1mp.my:1:1: \033[0m\033[0;1;36mnote: \033[0mhere\033[0m\n"
                             "x = y\n"
                             "\033[0;1;32m^\033[0m\n");
    free(out);
    diags_free(&d);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(edit_distance("sin", "sin", 3), 0);
    assert_int_equal(edit_distance("sinn", "sin", 3), 1);
    assert_int_equal(edit_distance("gard", "grad", 3), 1);      /* a transposition is one edit */
    assert_int_equal(edit_distance("kitten", "sitting", 5), 3);
    assert_int_equal(edit_distance("", "abc", 5), 3);
    assert_int_equal(edit_distance("abcdef", "uvwxyz", 2), 3);  /* past max: max + 1 */
    assert_int_equal(edit_distance("a", "abcdefgh", 2), 3);
    Suggest s;
    suggest_init(&s, "totl");
    suggest_consider(&s, "x");
    suggest_consider(&s, "total");
    suggest_consider(&s, "tot");
    assert_string_equal(s.best, "total");    /* the first of the nearest */
    suggest_init(&s, "y");                   /* too short to correct */
    suggest_consider(&s, "x");
    assert_null(s.best);
    suggest_init(&s, "zzzzzz");
    suggest_consider(&s, "sin");
    assert_null(s.best);
}

static void test_float_repr_matches_cpython(void **state)
{
    (void)state;
    /* expected strings from CPython 3.11's repr() */
    struct { double x; const char *s; } cases[] = {
        {1.0, "1.0"}, {0.1, "0.1"}, {-0.0, "-0.0"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
        {0.0001, "0.0001"}, {0.00001, "1e-05"}, {123456789012345678.0, "1.2345678901234568e+17"},
        {1.5e-7, "1.5e-07"}, {5e-324, "5e-324"}, {1.0 / 3.0, "0.3333333333333333"},
        {2.0 / 3.0, "0.6666666666666666"}, {1e22, "1e+22"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
        {123.456, "123.456"}, {-2.5, "-2.5"}, {100.0, "100.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        StrBuf sb = {0};
        fmt_float_repr(&sb, cases[i].x);
        assert_string_equal(sb_cstr(&sb), cases[i].s);
        sb_free(&sb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caret_under_column),
        cmocka_unit_test(test_sorted_by_position_with_notes_attached),
        cmocka_unit_test(test_unprintable_bytes_keep_caret_aligned),
        cmocka_unit_test(test_lone_cr_line_endings),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_summary_as_clang_words_it),
        cmocka_unit_test(test_color_escape_codes),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_float_repr_matches_cpython),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
