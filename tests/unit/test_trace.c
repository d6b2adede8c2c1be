/*
 * test_trace.c: the tracer (ir/trace.c) alone: how values print, and what
 * its stack makes of the interpreter's calls, tail calls, loops, errors,
 * limits and held-back lines, on programs compiled to the `grad` stage.
 * Results of the programs are CPython's (the recursions are small enough
 * to check by eye: down(n) is 0, tri(n) = n (n + 1) / 2).
 */
#include "compiled.h"
#include "interp.h"
#include "trace.h"

/* ---- values ------------------------------------------------------------------------ */

static char *repr(const Value *v)
{
    StrBuf sb = {0};
    trace_format_value(v, &sb);
    char *s = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return s;
}

static void test_values(void **state)
{
    (void)state;
    Module *m = ir_module_new(arena_new(), "t.my");
    Interp *in = interp_new(m);
    Value v;
    char *s;
    assert_int_equal(interp_parse_value(in, "[0, 1, 2, 3, 4, 5, 6, 7]", &v, NULL), 0);
    assert_string_equal(s = repr(&v), "[0, 1, 2, 3, 4, 5, 6, 7]");      /* 8 items: all */
    free(s);
    assert_int_equal(interp_parse_value(in, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]", &v, NULL), 0);
    assert_string_equal(s = repr(&v), "[0, 1, 2, 3, 4, 5, 6, 7, ... 4 more]");
    free(s);
    assert_int_equal(interp_parse_value(in, "(0.5,)", &v, NULL), 0);
    assert_string_equal(s = repr(&v), "(0.5,)");
    free(s);
    assert_int_equal(interp_parse_value(in, "((((((((((1,),),),),),),),),),)", &v, NULL), 0);
    assert_string_equal(s = repr(&v), "(((((((((...),),),),),),),),)");    /* 8 levels, then (...) */
    free(s);
    StrBuf big = {0};
    sb_puts(&big, "(");
    for (int i = 0; i < 100; i++)
        sb_printf(&big, "%d.5, ", 1000 + i);
    sb_puts(&big, ")");
    assert_int_equal(interp_parse_value(in, sb_cstr(&big), &v, NULL), 0);
    s = repr(&v);
    assert_int_equal((int)strlen(s), TRACE_VALUE_CHARS + 3);
    assert_string_equal(s + TRACE_VALUE_CHARS, "...");
    assert_memory_equal(s, "(1000.5, 1001.5, ", 17);
    free(s);
    sb_free(&big);
    Value z = value_zero();
    assert_string_equal(s = repr(&z), "0");                  /* a symbolic zero sensitivity */
    free(s);
    interp_free(in);
    Arena *a = m->arena;
    ir_module_free(m);
    arena_free(a);
}

/* ---- traces of whole runs ------------------------------------------------------------ */

/* The trace of fn(args) (parsed literals) in src, compiled to the grad
   stage, with options o; *status: interp_call's. */
static char *trace_run(const char *src, const char *fn, const char *sig, const char *const *args, int nargs,
                       TraceOptions o, int *status)
{
    Compiled *c = compile(src, fn, sig);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    o.file = "t.my";
    Tracer *t = trace_new(&o, out);
    Interp *in = interp_new(c->typed);
    Value argv[4], r;
    for (int i = 0; i < nargs; i++)
        assert_int_equal(interp_parse_value(in, args[i], &argv[i], NULL), 0);
    trace_attach(t, in);
    StrBuf err = {0};
    *status = interp_call(in, c->entry.result, argv, nargs, &r, &err);
    if (*status)
        trace_fail(t);
    assert_true(trace_finish(t));
    trace_free(t);
    fclose(out);
    sb_free(&err);
    interp_free(in);
    release(c);
    return text;
}

static const char *const DOWN = "def down(n: int) -> int:\n"
                                "    if n == 0:\n"
                                "        return 0\n"
                                "    return down(n - 1)\n";

/* down's recursive calls are tail calls (each replaces its caller's
   activation): still one entry per call, nested, all ending with 0. */
static void test_tail_calls(void **state)
{
    (void)state;
    int st;
    const char *args[] = {"2"};
    char *s = trace_run(DOWN, "down", NULL, args, 1, (TraceOptions){.limit = 100}, &st);
    assert_int_equal(st, 0);
    assert_string_equal(s, "(down 2) -> 0  t.my:1\n"
                           "  (if@2 else)\n"
                           "  (down 1) -> 0  t.my:4\n"
                           "    (if@2 else)\n"
                           "    (down 0) -> 0  t.my:4\n"
                           "      (if@2 then)\n");
    free(s);
}

/* The limit counts entries in output order; the calls whose lines were
   written still get their results. */
static void test_limit(void **state)
{
    (void)state;
    int st;
    const char *args[] = {"3"};
    char *s = trace_run(DOWN, "down", NULL, args, 1, (TraceOptions){.limit = 2}, &st);
    assert_string_equal(s, "(down 3) -> 0  t.my:1\n"
                           "  (if@2 else)\n"
                           "... 6 more entries left out (--trace-limit=2)\n");
    free(s);
}

static const char *const TRI = "def tri(n: int) -> int:\n"
                               "    s = 0\n"
                               "    i = 1\n"
                               "    while i <= n:\n"
                               "        s = s + i\n"
                               "        i = i + 1\n"
                               "    return s\n";

/* Past the bytes a call's line may wait, it goes out first and its result
   follows its last child; the loop's last test is no iteration. */
static void test_hold(void **state)
{
    (void)state;
    int st;
    const char *args[] = {"3"};
    char *s = trace_run(TRI, "tri", NULL, args, 1, (TraceOptions){.hold = 40}, &st);
    assert_string_equal(s, "(tri 3)  t.my:1\n"
                           "  (loop@4 iter=0 i=1 s=0)\n"
                           "  (loop@4 iter=1 i=2 s=1)\n"
                           "  (loop@4 iter=2 i=3 s=3)\n"
                           "-> 6  (tri)\n");
    free(s);
    s = trace_run(TRI, "tri", NULL, args, 1, (TraceOptions){0}, &st);
    assert_string_equal(s, "(tri 3) -> 6  t.my:1\n"
                           "  (loop@4 iter=0 i=1 s=0)\n"
                           "  (loop@4 iter=1 i=2 s=1)\n"
                           "  (loop@4 iter=2 i=3 s=3)\n");
    free(s);
}

/* A runtime error: what is open ends with `-> error`, in every format. */
static void test_error(void **state)
{
    (void)state;
    const char *src = "def inv(x: int) -> int:\n"
                      "    return 10 // x\n"
                      "def f(n: int) -> int:\n"
                      "    return inv(n) + 1\n";
    int st;
    const char *args[] = {"0"};
    char *s = trace_run(src, "f", NULL, args, 1, (TraceOptions){0}, &st);
    assert_int_equal(st, 3);
    assert_string_equal(s, "(f 0) -> error  t.my:3\n"
                           "  (inv 0) -> error  t.my:4\n");
    free(s);
    s = trace_run(src, "f", NULL, args, 1, (TraceOptions){.format = TRACE_JSON}, &st);
    /* two B events, two E events with the result "error" */
    int b = 0, e = 0;
    for (const char *p = s; (p = strstr(p, "\"ph\": \"")); p += 7) {
        b += p[7] == 'B';
        e += p[7] == 'E';
    }
    assert_int_equal(b, 2);
    assert_int_equal(e, 2);
    assert_non_null(strstr(s, "{\"result\": \"error\"}"));
    free(s);
}

/* The depth limit counts what it hides under the entry at the limit:
   with 2, down 3's own primitives and branch are hidden too. */
static void test_depth(void **state)
{
    (void)state;
    int st;
    const char *args[] = {"4"};
    char *s = trace_run(DOWN, "down", NULL, args, 1, (TraceOptions){.depth = 2, .prims = true}, &st);
    assert_string_equal(s, "(down 4) -> 0  t.my:1\n"
                           "  (== 4 0) -> False  t.my:2\n"
                           "  (if@2 else)\n"
                           "  (- 4 1) -> 3  t.my:4\n"
                           "  (down 3) -> 0  t.my:4\n"
                           "    ... 3 calls, 7 primitives\n");     /* down 2, 1, 0; two primitives each but 0 */
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_tail_calls),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
