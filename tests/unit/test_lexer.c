/*
 * test_lexer.c: the token stream of lexer.l (layout tokens, literals,
 * locations, character-level errors) through lexer_next, plus a
 * random-bytes fuzz of the whole front end.
 *
 * A token stream is written as space-separated tokens: names and numbers
 * as name(x) int(42) float(0.5), keywords and operators as themselves,
 * STR for a string literal, NL INDENT DEDENT for layout, EOF at the end.
 * With locations each token is followed by @LINE:COL.
 */
#include "unit.h"

#include "parser.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

typedef struct Lexed {
    char *toks;
    char *errors;   /* "L:C: msg\n" per diagnostic */
} Lexed;

static void put_token(StrBuf *sb, int kind, const YYSTYPE *v, const ParseCtx *c)
{
    switch (kind) {
    case T_NAME: sb_printf(sb, "name(%s)", v->str); return;
    case T_INT: sb_printf(sb, "int(%llu)", (unsigned long long)v->uval); return;
    case T_FLOAT: sb_puts(sb, "float("); fmt_float_repr(sb, v->fval); sb_putc(sb, ')'); return;
    case T_STRING: sb_puts(sb, "STR"); return;
    case T_NEWLINE: sb_puts(sb, "NL"); return;
    case T_INDENT: sb_puts(sb, "INDENT"); return;
    case T_DEDENT: sb_puts(sb, "DEDENT"); return;
    case T_YYEOF: sb_puts(sb, "EOF"); return;
    case T_LBRACE: sb_puts(sb, "{"); return;
    case T_RBRACE: sb_puts(sb, "}"); return;
    case T_AUGASSIGN: sb_printf(sb, "aug(%d)", v->op); return;
    case T_UNSUP_KW: sb_printf(sb, "unsup(%s)", c->last_text); return;
    case T_UNSUP_OP: sb_printf(sb, "unsup(%s)", c->last_text); return;
    default:
        if (kind < 256)
            sb_putc(sb, (char)kind);
        else
            sb_puts(sb, c->last_text);
    }
}

static Lexed lex_n(const char *src, size_t len, bool locs)
{
    Arena *arena = arena_new();
    Diags d;
    diags_init(&d, "t.my", src, len);
    d.max_errors = 1000;
    ParseCtx c;
    memset(&c, 0, sizeof c);
    c.arena = arena;
    c.d = &d;
    lexer_init(&c, src, len);
    StrBuf sb = {0};
    for (int i = 0; i < 100000; i++) {
        YYSTYPE v;
        YYLTYPE l;
        memset(&v, 0, sizeof v);
        int kind = lexer_next(&v, &l, &c);
        if (i)
            sb_putc(&sb, ' ');
        put_token(&sb, kind, &v, &c);
        if (locs)
            sb_printf(&sb, "@%d:%d", l.first_line, l.first_column);
        if (kind == T_YYEOF)
            break;
    }
    lexer_destroy(&c);
    Lexed r;
    r.toks = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    for (int i = 0; i < d.items.len; i++)
        sb_printf(&sb, "%d:%d: %s\n", d.items.data[i].loc.line, d.items.data[i].loc.col,
                  d.items.data[i].msg);
    r.errors = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    diags_free(&d);
    arena_free(arena);
    return r;
}

static void check_tokens_n(const char *src, size_t len, bool locs, const char *toks, const char *errors)
{
    Lexed r = lex_n(src, len, locs);
    if (strcmp(r.toks, toks) || strcmp(r.errors, errors))
        print_error("source:\n%s\n", src);
    assert_string_equal(r.toks, toks);
    assert_string_equal(r.errors, errors);
    free(r.toks);
    free(r.errors);
}

/* Tokens without locations, no errors. */
static void check_tokens(const char *src, const char *toks)
{
    check_tokens_n(src, strlen(src), false, toks, "");
}

/* Tokens with locations. */
static void check_located(const char *src, const char *toks)
{
    check_tokens_n(src, strlen(src), true, toks, "");
}

/* Only the diagnostics. */
static void check_lex_errors_n(const char *src, size_t len, const char *errors)
{
    Lexed r = lex_n(src, len, false);
    if (strcmp(r.errors, errors))
        print_error("source:\n%s\n", src);
    assert_string_equal(r.errors, errors);
    free(r.toks);
    free(r.errors);
}

static void check_lex_errors(const char *src, const char *errors)
{
    check_lex_errors_n(src, strlen(src), errors);
}

/* Diagnostics of the whole front end (lexer + parser). */
static char *parse_errors_n(const char *src, size_t len)
{
    Arena *arena = arena_new();
    Diags d;
    diags_init(&d, "t.my", src, len);
    parse_source(arena, &d, src, len);
    StrBuf sb = {0};
    for (int i = 0; i < d.items.len; i++)
        sb_printf(&sb, "%d:%d: %s\n", d.items.data[i].loc.line, d.items.data[i].loc.col,
                  d.items.data[i].msg);
    char *out = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    diags_free(&d);
    arena_free(arena);
    return out;
}

static void check_parse_errors(const char *src, const char *errors)
{
    char *got = parse_errors_n(src, strlen(src));
    if (strcmp(got, errors))
        print_error("source:\n%s\n", src);
    assert_string_equal(got, errors);
    free(got);
}

/* ---- layout ------------------------------------------------------------------ */

static void test_simple_line(void **state)
{
    (void)state;
    check_located("x = 1\n", "name(x)@1:1 =@1:3 int(1)@1:5 NL@1:6 EOF@2:1");
    check_located("", "EOF@1:1");
    check_located("\n\n# c\n   \n", "EOF@5:1");
    check_located("x", "name(x)@1:1 NL@1:2 EOF@1:2");
    check_tokens("f(a, b)[0]; g()\n", "name(f) ( name(a) , name(b) ) [ int(0) ] ; name(g) ( ) NL EOF");
}

static void test_indent_dedent(void **state)
{
    (void)state;
    check_tokens("if a:\n    b\n    c\nd\n",
                 "if name(a) : NL INDENT name(b) NL name(c) NL DEDENT name(d) NL EOF");
    /* dedent several levels at once */
    check_located("a:\n b:\n  c:\n   d\ne\n",
                  "name(a)@1:1 :@1:2 NL@1:3 INDENT@2:2 name(b)@2:2 :@2:3 NL@2:4 INDENT@3:3 name(c)@3:3 "
                  ":@3:4 NL@3:5 INDENT@4:4 name(d)@4:4 NL@4:5 DEDENT@5:1 DEDENT@5:1 DEDENT@5:1 "
                  "name(e)@5:1 NL@5:2 EOF@6:1");
    check_tokens("a\n  b\n    c\n  d\ne\n",
                 "name(a) NL INDENT name(b) NL INDENT name(c) NL DEDENT name(d) NL DEDENT name(e) NL EOF");
    /* dedent at EOF without a final newline */
    check_located("if a:\n  if b:\n    c",
                  "if@1:1 name(a)@1:4 :@1:5 NL@1:6 INDENT@2:3 if@2:3 name(b)@2:6 :@2:7 NL@2:8 "
                  "INDENT@3:5 name(c)@3:5 NL@3:6 DEDENT@3:6 DEDENT@3:6 EOF@3:6");
    /* blank lines and comments at odd indentation change nothing */
    check_tokens("if a:\n    b\n\n  # comment\n        # deeper comment\n\n \n    c\n# x\nd\n",
                 "if name(a) : NL INDENT name(b) NL name(c) NL DEDENT name(d) NL EOF");
    /* first line indented: INDENT (the parser reports it) */
    check_tokens("  x\n", "INDENT name(x) NL DEDENT EOF");
}

static void test_line_joining(void **state)
{
    (void)state;
    /* backslash continuation: the next line's indentation is ignored */
    check_tokens("x = 1 + \\\n        2\ny\n", "name(x) = int(1) + int(2) NL name(y) NL EOF");
    check_tokens("if a:\n    x = 1 + \\\n2\n    y\n",
                 "if name(a) : NL INDENT name(x) = int(1) + int(2) NL name(y) NL DEDENT EOF");
    /* brackets spanning lines with weird indentation and comments */
    check_tokens("def f(a,\n  b,\n        c):\n    return (a +\n# c\n\n b)\n",
                 "def name(f) ( name(a) , name(b) , name(c) ) : NL INDENT return ( name(a) + "
                 "name(b) ) NL DEDENT EOF");
    check_tokens("x = [\n1,\n   2\n]\n", "name(x) = [ int(1) , int(2) ] NL EOF");
    /* ( and [ are counted together: the line ends only when both close */
    check_tokens("x = [f(1,\n  [2,\n3]), (\n[4]\n)]\ny\n",
                 "name(x) = [ name(f) ( int(1) , [ int(2) , int(3) ] ) , ( [ int(4) ] ) ] NL name(y) NL EOF");
    check_tokens("if a:\n    x = [i\nfor i in b\n  if i]\n    y\n",
                 "if name(a) : NL INDENT name(x) = [ name(i) for name(i) in name(b) if name(i) ] NL "
                 "name(y) NL DEDENT EOF");
    check_tokens("x = {\n}\n", "name(x) = { } NL EOF");
    /* a line of only a continuation is no line */
    check_tokens("\\\nx\n", "name(x) NL EOF");
}

static void test_line_endings(void **state)
{
    (void)state;
    check_located("if a:\r\n    b\r\nc\r\n",
                  "if@1:1 name(a)@1:4 :@1:5 NL@1:6 INDENT@2:5 name(b)@2:5 NL@2:6 DEDENT@3:1 "
                  "name(c)@3:1 NL@3:2 EOF@4:1");
    check_located("a\rb\r", "name(a)@1:1 NL@1:2 name(b)@2:1 NL@2:2 EOF@3:1");
    check_tokens("x = (1,\r\n  2)\r\n", "name(x) = ( int(1) , int(2) ) NL EOF");
    /* a UTF-8 byte order mark is skipped (columns count its bytes) */
    check_located("\xef\xbb\xbfx = 1\n", "name(x)@1:4 =@1:6 int(1)@1:8 NL@1:9 EOF@2:1");
    check_tokens("x = 1 + \\\r\n 2\r\n", "name(x) = int(1) + int(2) NL EOF");
    check_located("'''a\r\nb'''\r\nx\r\n", "STR@1:1 NL@2:5 name(x)@3:1 NL@3:2 EOF@4:1");
}

static void test_tabs(void **state)
{
    (void)state;
    check_tokens("if a:\n\tb\n\tif c:\n\t\td\ne\n",
                 "if name(a) : NL INDENT name(b) NL if name(c) : NL INDENT name(d) NL DEDENT DEDENT "
                 "name(e) NL EOF");
    check_lex_errors("if a:\n\tb\nif c:\n    d\n", "4:1: inconsistent use of tabs and spaces in indentation\n");
    check_lex_errors("if a:\n    b\nif c:\n\td\n", "4:1: inconsistent use of tabs and spaces in indentation\n");
    check_lex_errors("if a:\n \tb\n", "2:1: inconsistent use of tabs and spaces in indentation\n");
    /* inside brackets or after a backslash, whitespace is not indentation */
    check_lex_errors("if a:\n    b = (1,\n\t2)\n    c = 1 + \\\n\t2\n", "");
    /* blank lines do not count */
    check_lex_errors("if a:\n    b\n\t\n\t# c\n", "");
}

static void test_indentation_lexer_errors(void **state)
{
    (void)state;
    check_tokens_n("if a:\n    b\n  c\nd\n", 18, false,
                   "if name(a) : NL INDENT name(b) NL name(c) NL DEDENT name(d) NL EOF",
                   "3:3: unindent does not match any outer indentation level\n");
    StrBuf sb = {0};
    for (int i = 0; i <= AST_MAX_BLOCK_DEPTH + 5; i++)
        sb_printf(&sb, "%*sx\n", i, "");
    check_lex_errors(sb_cstr(&sb), "102:102: too many levels of indentation (limit 100)\n");
    sb_free(&sb);
}

/* ---- literals ------------------------------------------------------------------ */

static void test_numbers(void **state)
{
    (void)state;
    check_tokens("42 1_000 0 00 0_0 1_2_3 0x1f 0XdEaD_BeEf 0o17 0b1010_1010\n",
                 "int(42) int(1000) int(0) int(0) int(0) int(123) int(31) int(3735928559) int(15) "
                 "int(170) NL EOF");
    check_tokens("1.0 1. .5 2e-3 1.5E+10 1_0.5 1e400 1.e5 0.0 00.5 1_0e1_0 0e0\n",
                 "float(1.0) float(1.0) float(0.5) float(0.002) float(15000000000.0) float(10.5) "
                 "float(inf) float(100000.0) float(0.0) float(0.5) float(100000000000.0) float(0.0) NL EOF");
    check_tokens("x.5\n", "name(x) float(0.5) NL EOF");
    check_tokens("1..5\n", "float(1.0) float(0.5) NL EOF");
}

static void test_int_limits(void **state)
{
    (void)state;
    check_tokens("9223372036854775807\n", "int(9223372036854775807) NL EOF");
    check_tokens("9223372036854775808\n", "int(9223372036854775808) NL EOF");   /* only negated later */
    check_tokens("0x8000000000000000\n", "int(9223372036854775808) NL EOF");
    check_tokens("0b1_000000000000000000000000000000000000000000000000000000000000000\n",
                 "int(9223372036854775808) NL EOF");
    const char *big = "1:1: integer literal is too large (limit 9223372036854775807)\n";
    check_lex_errors("9223372036854775809\n", big);
    check_lex_errors("18446744073709551616\n", big);
    check_lex_errors("99999999999999999999999999999999\n", big);
    check_lex_errors("0xFFFFFFFFFFFFFFFF\n", big);
    check_lex_errors("0o1777777777777777777777\n", big);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    check_lex_errors("1_\n", "1:1: invalid number literal '1_'\n");
    check_lex_errors("1__0\n", "1:1: invalid number literal '1__0'\n");
    check_lex_errors("1_.5\n", "1:1: invalid number literal '1_'\n");
    check_lex_errors("007\n", "1:1: leading zeros in decimal integer literals are not permitted\n");
    check_lex_errors("0x\n", "1:1: invalid number literal '0x'\n");
    check_lex_errors("0b102\n", "1:1: invalid number literal '0b102'\n");
    check_lex_errors("12abc\n", "1:1: invalid number literal '12abc'\n");
    check_lex_errors("1.5e\n", "1:1: invalid number literal '1.5e'\n");
    check_lex_errors("1e+\n", "1:1: invalid number literal '1e'\n");
    check_lex_errors("3j\n", "1:1: complex numbers are not supported\n");
    check_lex_errors("x = 1.5J\n", "1:5: complex numbers are not supported\n");
}

static void test_names_keywords(void **state)
{
    (void)state;
    check_tokens("def return lambda pass if elif else while for in is not and or break continue\n",
                 "def return lambda pass if elif else while for in is not and or break continue NL EOF");
    check_tokens("True False None\n", "True False None NL EOF");
    check_tokens("_x x_1 Def TRUE __init__ range grad\n",
                 "name(_x) name(x_1) name(Def) name(TRUE) name(__init__) name(range) name(grad) NL EOF");
    check_tokens("global import yield\n", "unsup(global) unsup(import) unsup(yield) NL EOF");
}

static void test_operators(void **state)
{
    (void)state;
    check_tokens("+ - * / // % ** < > <= >= == != = -> : ; ,\n",
                 "+ - * / // % ** < > <= >= == != = -> : ; , NL EOF");
    check_tokens("+= -= *= /= //= %= **=\n", "aug(0) aug(1) aug(2) aug(3) aug(4) aug(5) aug(6) NL EOF");
    check_tokens("a.b & | ^ ~ << >> ... :=\n",
                 "name(a) . name(b) unsup(&) unsup(|) unsup(^) unsup(~) unsup(<<) unsup(>>) "
                 "unsup(...) := NL EOF");
    /* '.' is a token of its own only where no number can take it */
    check_located("a.pop() xs[0] .append(1.) x.5 1.5.copy\n",
                  "name(a)@1:1 .@1:2 name(pop)@1:3 (@1:6 )@1:7 name(xs)@1:9 [@1:11 int(0)@1:12 ]@1:13 "
                  ".@1:15 name(append)@1:16 (@1:22 float(1.0)@1:23 )@1:25 name(x)@1:27 float(0.5)@1:28 "
                  "float(1.5)@1:31 .@1:34 name(copy)@1:35 NL@1:39 EOF@2:1");
}

static void test_strings(void **state)
{
    (void)state;
    check_located("'a' \"b\" '''c''' \"\"\"d\"\"\" x\n",
                  "STR@1:1 STR@1:5 STR@1:9 STR@1:17 name(x)@1:25 NL@1:26 EOF@2:1");
    check_tokens("r'\\d' b\"x\" u'x' f'{x}' rb'x' BR\"x\" Rb'''x'''\n", "STR STR STR STR STR STR STR NL EOF");
    check_tokens("'it\\'s' \"a\\\"b\" 'back\\\\'\n", "STR STR STR NL EOF");
    /* triple-quoted strings span lines; locations after them stay right */
    check_located("\"\"\"line 1\n  line \"2\" ''\n\"\"\" x\n", "STR@1:1 name(x)@3:5 NL@3:6 EOF@4:1");
    check_located("'a\\\nb' x\n", "STR@1:1 name(x)@2:4 NL@2:5 EOF@3:1");
    check_tokens("\"\"\"a\"\"\"\"\"\"b\"\"\"\n", "STR STR NL EOF");
    check_tokens("'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'\n", "STR NL EOF");
    check_tokens("'\\\xc3\xa9'\n", "STR NL EOF");
}

static void test_string_errors(void **state)
{
    (void)state;
    check_tokens_n("x = 'abc\ny = 1\n", 14, false, "name(x) = NL name(y) = int(1) NL EOF",
                   "1:5: unterminated string literal\n");
    check_lex_errors("x = \"abc", "1:5: unterminated string literal\n");
    check_lex_errors("x = '''abc\n\n", "1:5: unterminated triple-quoted string literal\n");
    check_lex_errors("\"\"\"abc\"\"\n", "1:1: unterminated triple-quoted string literal\n");
    check_lex_errors("'\\", "1:1: unterminated string literal\n");
    /* the parser stays quiet about the broken line */
    check_parse_errors("x = 'abc\ny = = 1\n", "1:5: unterminated string literal\n2:5: syntax error: unexpected '='\n");
}

/* ---- character-level errors --------------------------------------------------- */

static void test_invalid_characters(void **state)
{
    (void)state;
    check_lex_errors("x = $\n", "1:5: invalid character '$'\n");
    check_lex_errors("a ? b\n", "1:3: invalid character '?'\n");
    check_lex_errors("  `x`\n", "1:3: invalid character '`'\n1:5: invalid character '`'\n");
    check_lex_errors("!x\n", "1:1: invalid character '!'\n");
    check_lex_errors("@decorator\n", "1:1: invalid character '@'\n");
    check_lex_errors("x\x01\n", "1:2: invalid character '\\x01'\n");
    check_lex_errors("x\x7f\n", "1:2: invalid character '\\x7f'\n");
    check_lex_errors("x = 1 \\ 2\n", "1:7: unexpected character after line continuation character\n");
    check_lex_errors("x = 1 \\", "1:7: unexpected character after line continuation character\n");
    /* the parser does not add a cascade on the same line */
    check_parse_errors("x = $\ny = 2 +\n", "1:5: invalid character '$'\n2:8: syntax error: unexpected end of line\n");
    check_parse_errors("$ x = = 1\n", "1:1: invalid character '$'\n");
}

static void test_non_ascii_and_utf8(void **state)
{
    (void)state;
    check_lex_errors("caf\xc3\xa9 = 1\n", "1:4: non-ASCII character in identifier or code\n");
    check_lex_errors("x = 1 \xe2\x80\x94 2\n", "1:7: non-ASCII character in identifier or code\n");
    check_lex_errors("# caf\xc3\xa9 \xe2\x82\xac\nx\n", "");
    check_lex_errors("# \xff\n", "1:3: invalid UTF-8 in source\n");
    check_lex_errors("x = 1  # ok \xc3\x28\n", "1:13: invalid UTF-8 in source\n");
    check_lex_errors("x\n    # \xed\xa0\x80 surrogate\n", "2:7: invalid UTF-8 in source\n");
    check_lex_errors("# \xc0\xaf overlong\n", "1:3: invalid UTF-8 in source\n");
    check_lex_errors("# \xf4\x90\x80\x80 too big\n", "1:3: invalid UTF-8 in source\n");
    check_lex_errors("'\xe2\x82'\n", "1:2: invalid UTF-8 in source\n");
    check_lex_errors("'''\n  \xff'''\n", "2:3: invalid UTF-8 in source\n");
    check_lex_errors("x = \xff\n", "1:5: invalid UTF-8 in source\n");
    check_lex_errors("x = \xc3\xa9\xff\n", "1:7: invalid UTF-8 in source\n");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    check_lex_errors_n("x = \0\0 1\n", 9, "1:5: source code cannot contain null bytes\n");
    check_lex_errors_n("# a\0b\n", 6, "1:4: source code cannot contain null bytes\n");
    check_lex_errors_n("'a\0'\n", 5, "1:3: source code cannot contain null bytes\n");
    check_lex_errors_n("\0", 1, "1:1: source code cannot contain null bytes\n");
    check_lex_errors_n("if a:\n\0  b\n", 11, "2:1: source code cannot contain null bytes\n");
}

static void test_brackets(void **state)
{
    (void)state;
    check_tokens_n("x = 1)\n", 7, false, "name(x) = int(1) NL EOF", "1:6: unmatched ')'\n");
    check_tokens_n("x = (1]\n", 8, false, "name(x) = ( int(1) ) NL EOF",
                   "1:7: closing parenthesis ']' does not match opening parenthesis '('\n");
    check_tokens_n("f([1)\n", 6, false, "name(f) ( [ int(1) ] ) NL EOF",
                   "1:5: closing parenthesis ')' does not match opening parenthesis '['\n");
    check_tokens_n("x = (1,\n  [2\n", 12, false, "name(x) = ( int(1) , [ int(2) NL EOF",
                   "2:3: '[' was never closed\n");
    check_lex_errors("f(}\n", "1:3: closing parenthesis '}' does not match opening parenthesis '('\n");
    /* beyond the nesting limit, tokens are dropped until the brackets close */
    StrBuf sb = {0};
    for (int i = 0; i < 202; i++)
        sb_putc(&sb, '(');
    sb_puts(&sb, "1");
    for (int i = 0; i < 202; i++)
        sb_putc(&sb, ')');
    sb_puts(&sb, "\nx\n");
    Lexed r = lex_n(sb_cstr(&sb), sb.len, false);
    assert_string_equal(r.errors, "1:201: expression is nested too deeply (limit 200 levels)\n");
    int opens = 0, closes = 0;
    for (const char *p = r.toks; *p; p++) {
        opens += *p == '(';
        closes += *p == ')';
    }
    assert_int_equal(opens, AST_MAX_EXPR_DEPTH + 1);    /* + name(x) */
    assert_int_equal(closes, AST_MAX_EXPR_DEPTH + 1);
    assert_non_null(strstr(r.toks, "( ( ( ) ) )"));      /* the dropped 1 leaves () */
    assert_non_null(strstr(r.toks, ") NL name(x) NL EOF"));
    free(r.toks);
    free(r.errors);
    sb_free(&sb);
}

/* ---- fuzz ---------------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* Random bytes, biased towards the characters that matter to the lexer.
   Asserts only that nothing crashes or leaks (the sanitizers watch) and
   that the whole front end terminates. */
static void test_random_bytes(void **state)
{
    (void)state;
    static const char interesting[] = " \t\n\r\\'\"#()[]{}:;,.=+-*/%<>!0123456789eExXjJ_abc\f\v\0\x80\xc3\xa9\xff";
    rng_state = 42;
    char buf[512];
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = rng() % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            uint32_t r = rng();
            buf[i] = (r & 1) ? (char)(r >> 8) : interesting[(r >> 8) % (sizeof interesting - 1)];
        }
        Lexed t = lex_n(buf, len, true);
        assert_non_null(strstr(t.toks, "EOF"));
        free(t.toks);
        free(t.errors);
        free(parse_errors_n(buf, len));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_line),
        cmocka_unit_test(test_indent_dedent),
        cmocka_unit_test(test_line_joining),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_tabs),
        cmocka_unit_test(test_indentation_lexer_errors),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_int_limits),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_names_keywords),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_invalid_characters),
        cmocka_unit_test(test_non_ascii_and_utf8),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_brackets),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
