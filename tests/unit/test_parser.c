/*
 * test_parser.c: the grammar (parser.y) and the AST it builds (ast.c):
 * precedence, flattened chains, statements, docstrings, positions, every
 * syntax-level error with its location, recovery, limits, large inputs and
 * a token-soup fuzz.  Most checks compare ast_dump output (its format is
 * documented in ast.c) or the diagnostics as "LINE:COL: message" lines.
 */
#include "unit.h"

#include "ast.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- helpers --------------------------------------------------------------- */

typedef struct Parsed {
    Arena *arena;
    Diags diags;
    AstModule *m;
    char *dump;     /* ast_dump output */
    char *errors;   /* "L:C: msg\n" per diagnostic, in report order */
} Parsed;

static Parsed parse_n(const char *src, size_t len)
{
    Parsed p;
    p.arena = arena_new();
    diags_init(&p.diags, "t.my", src, len);
    p.diags.max_errors = 1000;
    p.m = parse_source(p.arena, &p.diags, src, len);
    StrBuf sb = {0};
    ast_dump(p.m, &sb);
    p.dump = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    for (int i = 0; i < p.diags.items.len; i++) {
        Diag *g = &p.diags.items.data[i];
        sb_printf(&sb, "%d:%d: %s\n", g->loc.line, g->loc.col, g->msg);
    }
    p.errors = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return p;
}

static Parsed parse(const char *src)
{
    return parse_n(src, strlen(src));
}

static void done(Parsed *p)
{
    free(p->dump);
    free(p->errors);
    diags_free(&p->diags);
    arena_free(p->arena);
}

/* The source parses without diagnostics and dumps as `dump`. */
static void check_dump(const char *src, const char *dump)
{
    Parsed p = parse(src);
    if (strcmp(p.errors, "") || strcmp(p.dump, dump))
        print_error("source:\n%s\n", src);
    assert_string_equal(p.errors, "");
    assert_string_equal(p.dump, dump);
    done(&p);
}

/* The source's diagnostics are exactly `errors`. */
static void check_errors(const char *src, const char *errors)
{
    Parsed p = parse(src);
    if (strcmp(p.errors, errors))
        print_error("source:\n%s\n", src);
    assert_string_equal(p.errors, errors);
    done(&p);
}

/* Height of an expression tree; recursion is bounded by the depth limit
   the parser guarantees (asserted as we go). */
static int expr_height(const Expr *e, int level);

static int max_height(Expr *const *items, int n, int level)
{
    int h = 0;
    for (int i = 0; i < n; i++) {
        int x = expr_height(items[i], level);
        if (x > h)
            h = x;
    }
    return h;
}

static int expr_height(const Expr *e, int level)
{
    assert_true(level <= AST_MAX_EXPR_DEPTH);
    switch (e->kind) {
    case E_TUPLE: return 1 + max_height(e->items.items, e->items.n, level + 1);
    case E_INDEX: {
        Expr *two[2] = {e->index.base, e->index.index};
        return 1 + max_height(two, 2, level + 1);
    }
    case E_CALL: {
        int a = expr_height(e->call.fn, level + 1);
        int b = max_height(e->call.args.items, e->call.args.n, level + 1);
        return 1 + (a > b ? a : b);
    }
    case E_UNARY: return 1 + expr_height(e->unary.operand, level + 1);
    case E_BINARY: return 1 + max_height(e->binary.operands, e->binary.n, level + 1);
    case E_COMPARE: return 1 + max_height(e->compare.operands, e->compare.n, level + 1);
    case E_BOOLOP: return 1 + max_height(e->boolop.operands, e->boolop.n, level + 1);
    case E_IFEXP: {
        Expr *three[3] = {e->ifexp.cond, e->ifexp.then, e->ifexp.orelse};
        return 1 + max_height(three, 3, level + 1);
    }
    case E_LAMBDA: return 1 + expr_height(e->lambda->body.items[0]->ret, level + 1);
    default: return 1;
    }
}

static char *repeat(const char *s, int n)
{
    size_t len = strlen(s);
    char *out = xmalloc(len * (size_t)n + 1);
    for (int i = 0; i < n; i++)
        memcpy(out + len * (size_t)i, s, len);
    out[len * (size_t)n] = 0;
    return out;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- expressions -------------------------------------------------------------- */

static void test_brief_example(void **state)
{
    (void)state;
    check_dump("def f(x: float, y) -> float:\n    return x + y\n",
               "(def f (x:float y) -> float (return (x + y)))\n");
}

static void test_atoms(void **state)
{
    (void)state;
    check_dump("x\n1\n2.5\nTrue\nFalse\n()\n(1,)\n(1, 2,)\n(x)\n",
               "(expr x)\n(expr 1)\n(expr 2.5)\n(expr True)\n(expr False)\n(expr (tuple))\n"
               "(expr (tuple 1))\n(expr (tuple 1 2))\n(expr x)\n");
    check_dump("f()\nf(1,)\nf(a, b)(c)\nt[0]\nt[-1][i + 1]\nf(x)[0](y)\n",
               "(expr (call f))\n(expr (call f 1))\n(expr (call (call f a b) c))\n"
               "(expr (index t 0))\n(expr (index (index t (- 1)) (i + 1)))\n"
               "(expr (call (index (call f x) 0) y))\n");
}

static void test_precedence(void **state)
{
    (void)state;
    check_dump("-2 ** 2\n", "(expr (- (2 ** 2)))\n");
    check_dump("2 ** -1\n", "(expr (2 ** (- 1)))\n");
    check_dump("2 ** -x ** 2\n", "(expr (2 ** (- (x ** 2))))\n");
    check_dump("-x ** -y ** z\n", "(expr (- (x ** (- (y ** z)))))\n");
    check_dump("not a == b\n", "(expr (not (a == b)))\n");
    check_dump("not not a\n", "(expr (not (not a)))\n");
    check_dump("a if b else c if d else e\n", "(expr (a if b else (c if d else e)))\n");
    check_dump("lambda x: lambda y: x + y\n", "(expr (lambda (x) (lambda (y) (x + y))))\n");
    check_dump("lambda: a if b else c\n", "(expr (lambda () (a if b else c)))\n");
    check_dump("a if b else lambda x, y,: x\n", "(expr (a if b else (lambda (x y) x)))\n");
    check_dump("a or b and not c\n", "(expr (a or (b and (not c))))\n");
    check_dump("a and b or c\n", "(expr ((a and b) or c))\n");
    check_dump("a < b + c * d\n", "(expr (a < (b + (c * d))))\n");
    check_dump("a + b * c - d\n", "(expr (a + (b * c) - d))\n");
    check_dump("-a * +b\n", "(expr ((- a) * (+ b)))\n");
    check_dump("- - a\n", "(expr (- (- a)))\n");
    check_dump("a // b % c / d\n", "(expr (a // b % c / d))\n");
    check_dump("f(x) ** 2\n", "(expr ((call f x) ** 2))\n");
    check_dump("x = a if b else c, d\n", "(= x (tuple (a if b else c) d))\n");
}

static void test_chains_flattened(void **state)
{
    (void)state;
    Parsed p = parse("a + b - c + d\n");
    assert_string_equal(p.errors, "");
    Expr *e = p.m->body.items[0]->expr;
    assert_int_equal(e->kind, E_BINARY);
    assert_int_equal(e->binary.n, 4);
    assert_int_equal(e->binary.ops[0], OP_ADD);
    assert_int_equal(e->binary.ops[1], OP_SUB);
    assert_int_equal(e->binary.ops[2], OP_ADD);
    assert_int_equal(e->binary.oplocs[0].col, 3);
    assert_int_equal(e->binary.oplocs[1].col, 7);
    assert_int_equal(e->binary.oplocs[2].col, 11);
    done(&p);

    p = parse("a ** b ** c\n");
    e = p.m->body.items[0]->expr;
    assert_int_equal(e->kind, E_BINARY);
    assert_int_equal(e->binary.n, 3);
    assert_int_equal(e->binary.ops[1], OP_POW);
    done(&p);

    p = parse("a < b <= c != d\n");
    e = p.m->body.items[0]->expr;
    assert_int_equal(e->kind, E_COMPARE);
    assert_int_equal(e->compare.n, 4);
    assert_int_equal(e->compare.ops[0], CMP_LT);
    assert_int_equal(e->compare.ops[1], CMP_LE);
    assert_int_equal(e->compare.ops[2], CMP_NE);
    assert_int_equal(e->compare.oplocs[2].col, 12);
    done(&p);

    check_dump("a and b and c and d\n", "(expr (a and b and c and d))\n");
    check_dump("a or b or c\n", "(expr (a or b or c))\n");
    check_dump("a * b / c // d % e * f\n", "(expr (a * b / c // d % e * f))\n");
    /* parentheses keep their grouping */
    check_dump("(a + b) + c\n", "(expr ((a + b) + c))\n");
    check_dump("a + (b + c)\n", "(expr (a + (b + c)))\n");
    check_dump("(a < b) < c\n", "(expr ((a < b) < c))\n");
    check_dump("(a ** b) ** c\n", "(expr ((a ** b) ** c))\n");
    check_dump("(a and b) and c\n", "(expr ((a and b) and c))\n");
    check_dump("a == b == c\n", "(expr (a == b == c))\n");
    check_dump("a > b >= c\n", "(expr (a > b >= c))\n");
}

static void test_int_limits(void **state)
{
    (void)state;
    Parsed p = parse("x = -9223372036854775808\n");
    assert_string_equal(p.errors, "");
    Expr *v = p.m->body.items[0]->assign.value;
    assert_int_equal(v->kind, E_INT);
    assert_true(v->ival == INT64_MIN);
    assert_int_equal(v->loc.col, 5);
    done(&p);

    check_dump("x = 9223372036854775807\n", "(= x 9223372036854775807)\n");
    check_dump("x = 2 ** -9223372036854775808\n", "(= x (2 ** -9223372036854775808))\n");
    check_dump("x = -0x8000000000000000\n", "(= x -9223372036854775808)\n");
    check_errors("x = 9223372036854775808\n",
                 "1:5: integer literal is too large (limit 9223372036854775807)\n");
    check_errors("x = 9223372036854775808 - 1\n",
                 "1:5: integer literal is too large (limit 9223372036854775807)\n");
    check_errors("x = 1 - 9223372036854775808\n",
                 "1:9: integer literal is too large (limit 9223372036854775807)\n");
    check_errors("return 9223372036854775808\n",
                 "1:8: integer literal is too large (limit 9223372036854775807)\n");
    check_errors("x = -9223372036854775809\n",
                 "1:6: integer literal is too large (limit 9223372036854775807)\n");
    check_errors("x = -99999999999999999999999\n",
                 "1:6: integer literal is too large (limit 9223372036854775807)\n");
    check_errors("x = 9223372036854775808 ** 2\n",
                 "1:5: integer literal is too large (limit 9223372036854775807)\n");
}

/* ---- statements ----------------------------------------------------------------- */

static void test_assignments(void **state)
{
    (void)state;
    check_dump("x = 1\n", "(= x 1)\n");
    check_dump("a = b = c + 1\n", "(= a b (c + 1))\n");
    check_dump("a, b = b, a\n", "(= (tuple a b) (tuple b a))\n");
    check_dump("(a, b), c = e\n", "(= (tuple (tuple a b) c) e)\n");
    check_dump("(a) = 1\n", "(= a 1)\n");
    check_dump("a, = t\n", "(= (tuple a) t)\n");
    check_dump("x = a, b\n", "(= x (tuple a b))\n");
    check_dump("x += 1\nx -= 1\nx *= 2\nx /= 2\nx //= 2\nx %= 2\nx **= 2\n",
               "(+= x 1)\n(-= x 1)\n(*= x 2)\n(/= x 2)\n(//= x 2)\n(%= x 2)\n(**= x 2)\n");
    Parsed p = parse("x = y = 1\nz += 2\n");
    Stmt *s = p.m->body.items[0];
    assert_int_equal(s->kind, S_ASSIGN);
    assert_int_equal(s->assign.ntargets, 2);
    s = p.m->body.items[1];
    assert_int_equal(s->kind, S_AUGASSIGN);
    assert_int_equal(s->aug.op, OP_ADD);
    assert_int_equal(s->aug.oploc.line, 2);
    assert_int_equal(s->aug.oploc.col, 3);
    done(&p);
}

static void test_compound(void **state)
{
    (void)state;
    check_dump("if a:\n    x = 1\n", "(if a (then (= x 1)))\n");
    check_dump("if a:\n    x\nelse:\n    y\n", "(if a (then (expr x)) (else (expr y)))\n");
    check_dump("if a:\n  x\nelif b:\n  y\nelif c:\n  z\nelse:\n  w\n",
               "(if a (then (expr x)) (else (if b (then (expr y)) (else (if c (then (expr z)) "
               "(else (expr w)))))))\n");
    check_dump("if a: return y\n", "(if a (then (return y)))\n");
    check_dump("while c: x = x - 1; y = y + 1\n", "(while c (= x (x - 1)) (= y (y + 1)))\n");
    check_dump("while True:\n    break\n    continue\n", "(while True (break) (continue))\n");
    check_dump("for i in range(n): pass\n", "(for i (range n) (pass))\n");
    check_dump("for i in range(a, b):\n  s += i\n", "(for i (range a b) (+= s i))\n");
    check_dump("for (i) in range(a, b, -1,): pass\n", "(for i (range a b (- 1)) (pass))\n");
    check_dump("def f(x): return x\n", "(def f (x) (return x))\n");
    check_dump("def f(): return 1, 2\n", "(def f () (return (tuple 1 2)))\n");
    check_dump("def f(n: int, b: bool, p: (float, (int, float)), q: (float,), r: (),) -> (float, int):\n"
               "    def g(y):\n        return y\n    return g(n), p\n",
               "(def f (n:int b:bool p:(float (int float)) q:(float) r:()) -> (float int) "
               "(def g (y) (return y)) (return (tuple (call g n) p)))\n");
    check_dump("x = 1; y = 2;\npass\n", "(= x 1)\n(= y 2)\n(pass)\n");
    check_dump("if a:\n  if b:\n    if c:\n      x\ny\n",
               "(if a (then (if b (then (if c (then (expr x)))))))\n(expr y)\n");

    Parsed p = parse("if a:\n  x\nelif b:\n  y\n");
    Stmt *s = p.m->body.items[0];
    assert_true(s->if_.has_else);
    assert_int_equal(s->if_.orelse.n, 1);
    Stmt *elif = s->if_.orelse.items[0];
    assert_int_equal(elif->kind, S_IF);
    assert_false(elif->if_.has_else);
    assert_int_equal(elif->loc.line, 3);
    assert_int_equal(elif->loc.col, 1);
    done(&p);
}

static void test_docstrings(void **state)
{
    (void)state;
    check_dump("\"\"\"Module doc.\"\"\"\nx = 1\n", "(= x 1)\n");
    check_dump("'doc'\n", "");
    check_dump("# comment\n\n'doc'; x = 1\n", "(= x 1)\n");
    check_dump("def f(x):\n    '''Doc\n    more doc'''\n    return x\n", "(def f (x) (return x))\n");
    check_dump("def f(x):\n    r\"doc\" 'more'\n    return x\n", "(def f (x) (return x))\n");
    check_dump("def f(): 'doc'; return 1\n", "(def f () (return 1))\n");
    Parsed p = parse("def f():\n    \"only a docstring\"\n");
    assert_string_equal(p.errors, "");
    assert_int_equal(p.m->body.items[0]->def->body.n, 0);
    done(&p);
    check_errors("x = 1\n'not a docstring'\n", "2:1: strings are only allowed as docstrings\n");
    check_errors("def f():\n    x = 1\n    'no'\n    return x\n",
                 "3:5: strings are only allowed as docstrings\n");
    check_errors("if a:\n    'no'\n", "2:5: strings are only allowed as docstrings\n");
    check_errors("x = 'a'\n", "1:5: strings are only allowed as docstrings\n");
    check_errors("f('a', \"b\")\n",
                 "1:3: strings are only allowed as docstrings\n1:8: strings are only allowed as docstrings\n");
    check_errors("'doc' + 1\n", "1:1: strings are only allowed as docstrings\n");
    check_errors("def f(): return 'a'\n", "1:17: strings are only allowed as docstrings\n");
}

static void test_positions(void **state)
{
    (void)state;
    Parsed p = parse("x = 1\n\ndef  foo(a, b):\n    y = a +  b\n    return (y,\n  1)\nz = lambda q: q * 2\n"
                     "for   i in  range(3): pass\n");
    assert_string_equal(p.errors, "");
    Stmt *s = p.m->body.items[1];
    assert_int_equal(s->kind, S_DEF);
    FuncDef *f = s->def;
    assert_int_equal(s->loc.line, 3);
    assert_int_equal(s->loc.col, 1);
    assert_int_equal(f->loc.line, 3);
    assert_int_equal(f->loc.col, 1);
    assert_int_equal(f->name_loc.line, 3);
    assert_int_equal(f->name_loc.col, 6);
    assert_int_equal(f->params[1].loc.col, 13);
    assert_int_equal(f->end_loc.line, 6);     /* the ')' ending the return */
    assert_int_equal(f->end_loc.col, 4);
    Stmt *assign = f->body.items[0];
    assert_int_equal(assign->loc.line, 4);
    assert_int_equal(assign->loc.col, 5);
    Expr *sum = assign->assign.value;
    assert_int_equal(sum->loc.col, 9);
    assert_int_equal(sum->binary.oplocs[0].col, 11);
    Stmt *ret = f->body.items[1];
    assert_int_equal(ret->loc.col, 5);
    assert_int_equal(ret->ret->kind, E_TUPLE);
    assert_int_equal(ret->ret->loc.col, 12);  /* a parenthesised tuple: its '(' */

    Expr *lam = p.m->body.items[2]->assign.value;
    assert_int_equal(lam->kind, E_LAMBDA);
    assert_int_equal(lam->loc.line, 7);
    assert_int_equal(lam->loc.col, 5);
    assert_true(lam->lambda->is_lambda);
    assert_string_equal(lam->lambda->name, "<lambda>");
    assert_int_equal(lam->lambda->name_loc.col, 5);
    assert_int_equal(lam->lambda->end_loc.col, 19);
    assert_int_equal(lam->lambda->body.n, 1);
    assert_int_equal(lam->lambda->body.items[0]->kind, S_RETURN);

    Stmt *loop = p.m->body.items[3];
    assert_int_equal(loop->kind, S_FOR);
    assert_int_equal(loop->loc.col, 1);
    assert_int_equal(loop->for_.target->loc.col, 7);
    assert_int_equal(loop->for_.range_loc.line, 8);
    assert_int_equal(loop->for_.range_loc.col, 13);
    assert_int_equal(loop->for_.nargs, 1);
    done(&p);

    /* a bare tuple is located at its first item; end_loc of a one-line def */
    p = parse("def g(): return a, b\n");
    f = p.m->body.items[0]->def;
    assert_int_equal(f->body.items[0]->ret->loc.col, 17);
    assert_int_equal(f->end_loc.col, 20);
    done(&p);
}

/* ---- errors ------------------------------------------------------------------------ */

static void test_unsupported_constructs(void **state)
{
    (void)state;
    check_errors("f(x=1)\n", "1:3: keyword arguments are not supported\n");
    check_errors("f(*a)\n", "1:3: argument unpacking ('*') is not supported\n");
    check_errors("while x:\n  pass\nelse:\n  pass\n", "3:1: 'else' after a loop is not supported\n");
    check_errors("for i in range(3):\n  pass\nelse: pass\n", "3:1: 'else' after a loop is not supported\n");
    check_errors("global x\n", "1:1: 'global' is not supported\n");
    check_errors("def f():\n    nonlocal x\n    return 1\n", "2:5: 'nonlocal' is not supported\n");
    check_errors("del x\n", "1:1: 'del' is not supported\n");
    check_errors("import math\n", "1:1: 'import' is not supported\n");
    check_errors("from math import sin\n", "1:1: 'from' is not supported\n");
    check_errors("class A: pass\n", "1:1: 'class' is not supported\n");
    check_errors("try:\n  x\nexcept: pass\n", "1:1: 'try' is not supported\n3:1: 'except' is not supported\n");
    check_errors("with a: pass\n", "1:1: 'with' is not supported\n");
    check_errors("def f():\n  x = yield 1\n  return x\n", "2:7: 'yield' is not supported\n");
    check_errors("raise x\n", "1:1: 'raise' is not supported\n");
    check_errors("assert x\n", "1:1: 'assert' is not supported\n");
    check_errors("async def f(): return 1\n", "1:1: 'async' is not supported\n");
    check_errors("x = await y\n", "1:5: 'await' is not supported\n");
    check_errors("x = a is b\n", "1:7: 'is' is not supported\n");
    check_errors("x = a is not b\n", "1:7: 'is not' is not supported\n");
    check_errors("x = a in b\n", "1:7: 'in' is only allowed in 'for NAME in range(...)'\n");
    check_errors("x = a not in b\n", "1:7: 'not in' is not supported\n");
    check_errors("x = None\n", "1:5: 'None' is not supported\n");
    check_errors("def f() -> None: return 1\n", "1:12: 'None' is not supported\n");
    check_errors("x = [1, 2]\n", "1:5: lists are not supported\n");
    check_errors("x = []\n", "1:5: lists are not supported\n");
    check_errors("x = {}\n", "1:5: dicts and sets are not supported\n");
    check_errors("def f(x=1): return x\n", "1:8: default parameter values are not supported\n");
    check_errors("def f(x: float = 1.0): return x\n", "1:16: default parameter values are not supported\n");
    check_errors("def f(*args): return 1\n", "1:7: '*args' parameters are not supported\n");
    check_errors("def f(**kw): return 1\n", "1:7: '**kwargs' parameters are not supported\n");
    check_errors("g = lambda x=1: x\n", "1:13: default parameter values are not supported\n");
    check_errors("def f(x: str): return x\n",
                 "1:10: unknown type 'str' (expected float, int, bool or a tuple of them)\n");
    check_errors("x: float = 1\n", "1:2: annotated assignments are not supported\n");
    check_errors("x: float\n", "1:2: annotated assignments are not supported\n");
    check_errors("def f():\n    return\n", "2:5: 'return' needs a value\n");
    check_errors("def f(): return; x = 1\n", "1:10: 'return' needs a value\n");
    check_errors("for x in y: pass\n", "1:10: only 'for NAME in range(...)' loops are supported\n");
    check_errors("for x in range(3), 1: pass\n", "1:10: only 'for NAME in range(...)' loops are supported\n");
    check_errors("for x in range(): pass\n", "1:10: range() takes 1 to 3 arguments (0 given)\n");
    check_errors("for x in range(1, 2, 3, 4): pass\n", "1:10: range() takes 1 to 3 arguments (4 given)\n");
    check_errors("for x, y in range(3): pass\n", "1:5: the target of a for loop must be a single name\n");
    check_errors("for t[0] in range(3): pass\n", "1:5: the target of a for loop must be a single name\n");
    check_errors("f(x) = 1\n", "1:1: cannot assign to function call\n");
    check_errors("t[0] = 1\n", "1:1: cannot assign to subscript (tuples are immutable)\n");
    check_errors("1 = x\n", "1:1: cannot assign to literal\n");
    check_errors("a, (b, 2) = x\n", "1:8: cannot assign to literal\n");
    check_errors("a + b = x\n", "1:1: cannot assign to expression\n");
    check_errors("x = a < b = 1\n", "1:5: cannot assign to comparison\n");
    check_errors("t[0] += 1\n", "1:1: augmented assignment needs a name on its left\n");
    check_errors("a, b += 1\n", "1:1: augmented assignment needs a name on its left\n");
    check_errors("x = a.b\n", "1:6: attribute access ('.') is not supported\n");
    check_errors("x = a & b\n", "1:7: operator '&' is not supported\n");
    check_errors("x = a << 2\n", "1:7: operator '<<' is not supported\n");
    check_errors("if (n := 1): pass\n", "1:7: assignment expressions (':=') are not supported\n");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    check_errors("x = )\n", "1:5: unmatched ')'\n");
    check_errors("x = (1 + 2\n", "1:5: '(' was never closed\n");
    check_errors("x = (1 + 2\ny = 3\n", "2:1: syntax error: unexpected name 'y'\n1:5: '(' was never closed\n");
    check_errors("def f(x:\n", "1:6: '(' was never closed\n");
    check_errors("x = f(1, [2)\n",
                 "1:12: closing parenthesis ')' does not match opening parenthesis '['\n"
                 "1:10: lists are not supported\n");
    check_errors("x = (1, 2]\n", "1:10: closing parenthesis ']' does not match opening parenthesis '('\n");
    check_errors("x = = 1\n", "1:5: syntax error: unexpected '='\n");
    check_errors("x = 1 +\n", "1:8: syntax error: unexpected end of line\n");
    check_errors("f(1 2)\n", "1:5: syntax error: unexpected integer '2'\n");
    check_errors("f(a b)\n", "1:5: syntax error: unexpected name 'b'\n");
    check_errors("if x\n    y\n", "1:5: syntax error: expected ':'\n");
    check_errors("def f(x)\n    return x\n", "1:9: syntax error: expected ':'\n");
    check_errors("def (x): pass\n", "1:5: syntax error: unexpected '(', expected name\n");
    check_errors("x = 1 2.5\n", "1:7: syntax error: unexpected number '2.5'\n");
    check_errors("else: pass\n", "1:1: syntax error: unexpected 'else'\n");
    check_errors("x = t[1:2]\n", "1:8: syntax error: unexpected ':'\n");
    check_errors("x = lambda x: float: 1\n", "1:20: syntax error: unexpected ':'\n");
}

static void test_indentation_errors(void **state)
{
    (void)state;
    check_errors("  x = 1\n", "1:3: unexpected indent\n");
    check_errors("x = 1\n    y = 2\nz = 3\n", "2:5: unexpected indent\n");
    check_errors("if x:\ny = 1\n", "2:1: expected an indented block\n");
    check_errors("def f():\n", "2:1: expected an indented block\n");
    check_errors("def f():", "1:9: expected an indented block\n");
    check_errors("while x:\n# only a comment\n\n", "4:1: expected an indented block\n");
    check_errors("if x:\n    a\n  b\n", "3:3: unindent does not match any outer indentation level\n");
    /* each misindented line is reported and kept in the inner block; the
       correctly indented lines after it raise nothing */
    Parsed p = parse("if x:\n    a\n  b\n  c\nd\n");
    assert_string_equal(p.errors, "3:3: unindent does not match any outer indentation level\n"
                                  "4:3: unindent does not match any outer indentation level\n");
    assert_string_equal(p.dump, "(if x (then (expr a) (expr b) (expr c)))\n(expr d)\n");
    done(&p);
    check_errors("if x:\n\ty = 1\nif z:\n        w = 1\n",
                 "4:1: inconsistent use of tabs and spaces in indentation\n");
}

static void test_block_depth_limit(void **state)
{
    (void)state;
    StrBuf sb = {0};
    for (int i = 0; i < AST_MAX_BLOCK_DEPTH; i++)
        sb_printf(&sb, "%*sif x:\n", i, "");
    sb_printf(&sb, "%*spass\n", AST_MAX_BLOCK_DEPTH, "");
    Parsed p = parse(sb_cstr(&sb));      /* exactly at the limit: fine */
    assert_string_equal(p.errors, "");
    done(&p);
    sb.len = 0;
    for (int i = 0; i <= AST_MAX_BLOCK_DEPTH; i++)
        sb_printf(&sb, "%*sif x:\n", i, "");
    sb_printf(&sb, "%*spass\n", AST_MAX_BLOCK_DEPTH + 1, "");
    p = parse(sb_cstr(&sb));
    assert_string_equal(p.errors, "102:102: too many levels of indentation (limit 100)\n");
    done(&p);
    sb_free(&sb);
}

static void test_recovery(void **state)
{
    (void)state;
    Parsed p = parse("x = = 1\n"
                     "y = 2\n"
                     "def f(x):\n"
                     "    a = (1 +\n"
                     "         2 *)\n"
                     "    return x +\n"
                     "    b = 3\n"
                     "z = 4 5\n"
                     "if q q:\n"
                     "    w = 1\n"
                     "    w = $\n"
                     "v = 6\n"
                     "global g\n"
                     "u = 7\n");
    assert_string_equal(p.errors,
                        "1:5: syntax error: unexpected '='\n"
                        "5:13: syntax error: unexpected ')'\n"
                        "6:15: syntax error: unexpected end of line\n"
                        "8:7: syntax error: unexpected integer '5'\n"
                        "9:6: syntax error: unexpected name 'q'\n"
                        "11:9: invalid character '$'\n"
                        "13:1: 'global' is not supported\n");
    assert_string_equal(p.dump, "(= y 2)\n(def f (x) (= b 3))\n(= v 6)\n(= u 7)\n");
    done(&p);

    /* several independent errors on consecutive lines */
    p = parse("a b\nc d\ne f\n");
    assert_string_equal(p.errors,
                        "1:3: syntax error: unexpected name 'b'\n"
                        "2:3: syntax error: unexpected name 'd'\n"
                        "3:3: syntax error: unexpected name 'f'\n");
    done(&p);
}

/* ---- limits and large inputs ---------------------------------------------------- */

static void test_expression_depth(void **state)
{
    (void)state;
    char *open = repeat("(", 200), *close = repeat(")", 200);
    StrBuf sb = {0};
    sb_printf(&sb, "x = %s1%s\n", open, close);
    check_dump(sb_cstr(&sb), "(= x 1)\n");
    sb.len = 0;
    sb_printf(&sb, "x = %s(1)%s\ny = 1 +\n", open, close);
    check_errors(sb_cstr(&sb),
                 "1:205: expression is nested too deeply (limit 200 levels)\n"
                 "2:8: syntax error: unexpected end of line\n");
    free(open);
    free(close);

    /* every kind of nesting, far beyond the limit: one error each, a
       bounded tree, no crash */
    const char *shapes[][3] = {
        {"x = ", "(", "1"}, {"x = ", "-", "1"}, {"x = ", "not ", "1"}, {"x = ", "lambda: ", "1"},
        {"x = ", "f(", "1"}, {"x = ", "a if b else ", "1"}, {"x = ", "2 ** -", "1"},
        {"x = ", "t[", "1"}, {"x = ", "(1, ", "1"}, {"def f(p: ", "(", "float"},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int n = 100000;
        char *nest = repeat(shapes[k][1], n);
        sb.len = 0;
        sb_printf(&sb, "%s%s%s\nok = 1\n", shapes[k][0], nest, shapes[k][2]);
        free(nest);
        Parsed p = parse(sb_cstr(&sb));
        assert_true(p.diags.nerrors >= 1);
        assert_non_null(strstr(p.errors, "nested too deeply (limit 200 levels)"));
        assert_null(strstr(strstr(p.errors, "nested too deeply") + 1, "nested too deeply"));
        for (int i = 0; i < p.m->body.n; i++) {
            Stmt *s = p.m->body.items[i];
            if (s->kind == S_ASSIGN)
                assert_true(expr_height(s->assign.value, 1) <= AST_MAX_EXPR_DEPTH);
        }
        done(&p);
    }

    /* 200 levels is the limit for nodes too: -(-(...)) */
    for (int n = 198; n <= 201; n++) {
        char *minus = repeat("-", n);
        sb.len = 0;
        sb_printf(&sb, "x = %sy\n", minus);
        free(minus);
        Parsed p = parse(sb_cstr(&sb));
        assert_int_equal(p.diags.nerrors, n + 1 > AST_MAX_EXPR_DEPTH ? 1 : 0);
        done(&p);
    }
    sb_free(&sb);
}

/* The bison stack limit is reported as the nesting limit too. */
static void test_parser_stack_exhaustion(void **state)
{
    (void)state;
    char *minus = repeat("-", 1200000);
    StrBuf sb = {0};
    sb_printf(&sb, "x = %s1\n", minus);
    free(minus);
    Parsed p = parse(sb_cstr(&sb));
    assert_int_equal(p.diags.nerrors, 1);
    assert_non_null(strstr(p.errors, "expression is nested too deeply (limit 200 levels)"));
    done(&p);
    sb_free(&sb);
}

static void test_large_sum(void **state)
{
    (void)state;
    enum { N = 100000 };
    StrBuf sb = {0};
    sb_puts(&sb, "def f(x):\n    return x");
    for (int i = 1; i < N; i++)
        sb_puts(&sb, i % 3 ? " + x" : " - x");
    sb_putc(&sb, '\n');
    double t0 = now();
    Parsed p = parse(sb_cstr(&sb));
    double dt = now() - t0;
    print_message("100,000-term sum parsed in %.3f s\n", dt);
    assert_string_equal(p.errors, "");
    Expr *e = p.m->body.items[0]->def->body.items[0]->ret;
    assert_int_equal(e->kind, E_BINARY);
    assert_int_equal(e->binary.n, N);
    assert_int_equal(e->binary.ops[2], OP_SUB);
    assert_int_equal(e->binary.oplocs[N - 2].line, 2);
    assert_true(dt < 10.0);
    done(&p);

    sb.len = 0;
    sb_puts(&sb, "x = y");
    for (int i = 1; i < N; i++)
        sb_puts(&sb, " ** y");
    sb_putc(&sb, '\n');
    p = parse(sb_cstr(&sb));
    assert_string_equal(p.errors, "");
    assert_int_equal(p.m->body.items[0]->assign.value->binary.n, N);
    done(&p);
    sb_free(&sb);
}

static void test_large_function(void **state)
{
    (void)state;
    enum { N = 30000 };
    StrBuf sb = {0};
    sb_puts(&sb, "def f(x):\n    \"doc\"\n");
    for (int i = 0; i < N; i++)
        sb_printf(&sb, "    x%d = x * %d + 1\n", i, i);
    sb_puts(&sb, "    return x\n");
    double t0 = now();
    Parsed p = parse(sb_cstr(&sb));
    double dt = now() - t0;
    print_message("30,000-statement function parsed in %.3f s\n", dt);
    assert_string_equal(p.errors, "");
    FuncDef *f = p.m->body.items[0]->def;
    assert_int_equal(f->body.n, N + 1);
    assert_int_equal(f->end_loc.line, N + 3);
    assert_true(dt < 10.0);
    done(&p);

    sb_free(&sb);
}

/* elif chains nest S_IFs: their height is limited like blocks' (1000). */
static void test_elif_chains(void **state)
{
    (void)state;
    StrBuf sb = {0};
    int sizes[] = {999, 1000, 30000};
    for (int k = 0; k < 3; k++) {
        sb_free(&sb);
        sb_puts(&sb, "if x == 0:\n    y = 0\n");
        for (int i = 1; i < sizes[k]; i++)
            sb_printf(&sb, "elif x == %d:\n    y = %d\n", i, i);
        sb_puts(&sb, "else:\n    y = -1\n");
        Parsed p = parse(sb_cstr(&sb));
        if (sizes[k] < 1000) {
            assert_string_equal(p.errors, "");
        } else {
            assert_int_equal(p.diags.nerrors, 1);
            assert_non_null(strstr(p.errors, "statements are nested too deeply (limit 1000 levels"));
        }
        assert_int_equal(p.m->body.n, 1);
        int height = 0;
        for (Stmt *s = p.m->body.items[0]; s && s->kind == S_IF; height++)
            s = s->if_.orelse.n ? s->if_.orelse.items[0] : NULL;
        assert_true(height <= 1000);
        done(&p);
    }
    check_errors("def f(x):\n    if x:\n        pass\n    elif y:\n        return 1\n    else:\n        return 2\n", "");
    sb_free(&sb);
}

/* ---- fuzz ----------------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* Random sequences of plausible tokens: exercises recovery far more than
   random bytes do.  Asserts only that nothing crashes (the sanitizers watch)
   and that a tree comes back. */
static void test_token_soup(void **state)
{
    (void)state;
    static const char *const vocab[] = {
        "x", "y", "f", "range", "1", "2.5", "0", "9223372036854775808", "True", "None", "'s'",
        "\"\"\"d\"\"\"", "(", ")", "[", "]", "{", "}", ",", ":", ";", "=", "+=", "**=", "+", "-",
        "*", "/", "//", "%", "**", "<", "<=", "==", "!=", "->", "def", "return", "if", "elif",
        "else", "while", "for", "in", "is", "not", "and", "or", "lambda", "pass", "break",
        "continue", "global", ".", "@", "$", "\\\n", "\n", "\n", "\n    ", "\n  ", "\n\t",
        "#c\n", " ", " ", "\r\n", "\n        ",
    };
    enum { NV = sizeof vocab / sizeof vocab[0] };
    rng_state = 12345;
    StrBuf sb = {0};
    for (int iter = 0; iter < 3000; iter++) {
        sb.len = 0;
        int n = (int)(rng() % 60);
        for (int i = 0; i < n; i++) {
            sb_puts(&sb, vocab[rng() % NV]);
            sb_putc(&sb, ' ');
        }
        Parsed p = parse_n(sb.data ? sb.data : "", sb.len);
        assert_non_null(p.m);
        done(&p);
    }
    sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brief_example),
        cmocka_unit_test(test_atoms),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_chains_flattened),
        cmocka_unit_test(test_int_limits),
        cmocka_unit_test(test_assignments),
        cmocka_unit_test(test_compound),
        cmocka_unit_test(test_docstrings),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_unsupported_constructs),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_indentation_errors),
        cmocka_unit_test(test_block_depth_limit),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_expression_depth),
        cmocka_unit_test(test_parser_stack_exhaustion),
        cmocka_unit_test(test_large_sum),
        cmocka_unit_test(test_large_function),
        cmocka_unit_test(test_elif_chains),
        cmocka_unit_test(test_token_soup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
