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
    case E_LIST: return 1 + max_height(e->items.items, e->items.n, level + 1);
    case E_SLICE: {
        Expr *parts[4] = {e->slice.base, e->slice.lower, e->slice.upper, e->slice.step};
        int h = 0;
        for (int i = 0; i < 4; i++)
            if (parts[i] && expr_height(parts[i], level + 1) > h)
                h = expr_height(parts[i], level + 1);
        return 1 + h;
    }
    case E_METHOD: {
        int a = expr_height(e->method.base, level + 1);
        int b = max_height(e->method.args.items, e->method.args.n, level + 1);
        return 1 + (a > b ? a : b);
    }
    case E_LISTCOMP:
    case E_GENEXP: {
        int h = expr_height(e->comp.elt, level + 1);
        for (int i = 0; i < e->comp.nfors; i++) {
            const CompFor *f = &e->comp.fors[i];
            Expr *two[2] = {f->target, f->iter};
            int a = max_height(two, 2, level + 1), b = max_height(f->ifs.items, f->ifs.n, level + 1);
            if (a > h)
                h = a;
            if (b > h)
                h = b;
        }
        return 1 + h;
    }
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

/* ---- lists (contract section 5) ---------------------------------------------------- */

static void test_list_displays(void **state)
{
    (void)state;
    check_dump("x = []\nx = [1]\nx = [a, b + 1, (c, d),]\nx = [[1, 2], [], [x]]\n",
               "(= x (list))\n(= x (list 1))\n(= x (list a (b + 1) (tuple c d)))\n"
               "(= x (list (list 1 2) (list) (list x)))\n");
    check_dump("x = [1,]\nx = [(1,)]\nx = ([1])\n", "(= x (list 1))\n(= x (list (tuple 1)))\n(= x (list 1))\n");
    /* implicit line joining inside [], nested with () */
    check_dump("def f(n):\n    x = [\n  1,\n        (2,\n3),\n]\n    return x\n",
               "(def f (n) (= x (list 1 (tuple 2 3))) (return x))\n");
    /* repetition and concatenation are the ordinary operators */
    check_dump("x = [0.0] * n\ny = n * [e]\nz = a + [1] + b\nw = [[0.0] * m] * n\n",
               "(= x ((list 0.0) * n))\n(= y (n * (list e)))\n(= z (a + (list 1) + b))\n"
               "(= w ((list ((list 0.0) * m)) * n))\n");
    check_dump("x = [a, b][0]\nf([1], [])\n", "(= x (index (list a b) 0))\n(expr (call f (list 1) (list)))\n");

    Parsed p = parse("x = 1 + [a,\n   b]\n");
    Expr *l = p.m->body.items[0]->assign.value->binary.operands[1];
    assert_int_equal(l->kind, E_LIST);
    assert_int_equal(l->loc.line, 1);
    assert_int_equal(l->loc.col, 9);       /* the '[' */
    assert_int_equal(l->items.n, 2);
    assert_int_equal(l->items.items[1]->loc.line, 2);
    done(&p);

    check_errors("x = [1, 2\n", "1:5: '[' was never closed\n");
    check_errors("x = [1 2]\n", "1:8: syntax error: unexpected integer '2'\n");
    check_errors("x = [,]\n", "1:6: syntax error: unexpected ','\n");
    check_errors("x = [*a]\n", "1:6: syntax error: unexpected '*'\n");
    check_errors("x = ['a']\n", "1:6: strings are only allowed as docstrings\n");
    check_errors("x = [9223372036854775808]\n", "1:6: integer literal is too large (limit 9223372036854775807)\n");
}

static void test_subscripts_and_slices(void **state)
{
    (void)state;
    check_dump("a[i]\na[i + 1]\na[-1]\nm[i][j]\na[f(i)]\na[a[0]]\n",
               "(expr (index a i))\n(expr (index a (i + 1)))\n(expr (index a (- 1)))\n"
               "(expr (index (index m i) j))\n(expr (index a (call f i)))\n(expr (index a (index a 0)))\n");
    check_dump("a[i:j]\na[i:j:k]\na[:j]\na[i:]\na[:]\na[::-1]\na[::]\na[i::2]\na[:j:]\na[i:j:]\n",
               "(expr (slice a i j _))\n(expr (slice a i j k))\n(expr (slice a _ j _))\n"
               "(expr (slice a i _ _))\n(expr (slice a _ _ _))\n(expr (slice a _ _ (- 1)))\n"
               "(expr (slice a _ _ _))\n(expr (slice a i _ 2))\n(expr (slice a _ j _))\n(expr (slice a i j _))\n");
    check_dump("m[1:][0][::2]\n", "(expr (slice (index (slice m 1 _ _) 0) _ _ 2))\n");
    check_dump("a[x if c else y:n - 1]\na[:lambda: 1]\n",
               "(expr (slice a (x if c else y) (n - 1) _))\n(expr (slice a _ (lambda () 1) _))\n");
    check_dump("b = a[:]\nc = [1, 2, 3][1:]\n", "(= b (slice a _ _ _))\n(= c (slice (list 1 2 3) 1 _ _))\n");

    Parsed p = parse("x = ab[1 :  : k]\n");
    Expr *e = p.m->body.items[0]->assign.value;
    assert_int_equal(e->kind, E_SLICE);
    assert_int_equal(e->loc.col, 5);
    assert_int_equal(e->slice.base->kind, E_NAME);
    assert_int_equal(e->slice.lower->kind, E_INT);
    assert_null(e->slice.upper);
    assert_int_equal(e->slice.step->loc.col, 15);
    done(&p);

    check_errors("x = a[]\n", "1:7: syntax error: unexpected ']'\n");
    check_errors("x = a[1:2:3:4]\n", "1:12: syntax error: unexpected ':'\n");
    check_errors("x = a[1:2, 3]\n", "1:10: syntax error: unexpected ','\n");
    check_errors("x = m[i, j] + m[i,]\n", "1:8: a subscript takes one index; for a list of lists write a[i][j]\n"
                                          "1:18: a subscript takes one index; for a list of lists write a[i][j]\n");
}

static void test_methods(void **state)
{
    (void)state;
    check_dump("a.append(x)\na.extend([1, 2])\nv = a.pop()\nv = a.pop(-1)\nb = a.copy()\n",
               "(expr (method a append x))\n(expr (method a extend (list 1 2)))\n(= v (method a pop))\n"
               "(= v (method a pop (- 1)))\n(= b (method a copy))\n");
    check_dump("m[i].append(0.0)\nx = a.copy().pop()\ny = [1, 2].pop()[0]\nz = a . append (x,)\n",
               "(expr (method (index m i) append 0.0))\n(= x (method (method a copy) pop))\n"
               "(= y (index (method (list 1 2) pop) 0))\n(= z (method a append x))\n");
    check_dump("x = f(a).pop() + (a).pop(i + 1) * 2\n",
               "(= x ((method (call f a) pop) + ((method a pop (i + 1)) * 2)))\n");

    Parsed p = parse("v = xs[0].pop(\n  i)\n");
    Expr *e = p.m->body.items[0]->assign.value;
    assert_int_equal(e->kind, E_METHOD);
    assert_int_equal(e->loc.col, 5);            /* the start of the base */
    assert_string_equal(e->method.name, "pop");
    assert_int_equal(e->method.name_loc.line, 1);
    assert_int_equal(e->method.name_loc.col, 11);
    assert_int_equal(e->method.args.n, 1);
    assert_int_equal(e->method.base->kind, E_INDEX);
    done(&p);

    check_errors("a.push(1)\n", "1:3: lists have no method 'push'; they have the methods append, extend, pop, copy\n");
    check_errors("a.apend(1)\n", "1:3: lists have no method 'apend'; did you mean 'append'?\n");
    check_errors("a.sort()\n",
                 "1:3: the list method 'sort' is not supported; lists have the methods append, extend, pop, copy\n");
    check_errors("a.insert(0, x)\n",
                 "1:3: the list method 'insert' is not supported; lists have the methods append, extend, pop, copy\n");
    check_errors("x = a.b\n", "1:7: attributes are not supported; lists have the methods append, extend, pop, copy\n");
    check_errors("x = a.append\n",
                 "1:7: attributes are not supported; lists have the methods append, extend, pop, copy\n");
    check_errors("a.b = 1\n", "1:3: attributes are not supported; lists have the methods append, extend, pop, copy\n");
    check_errors("x = a.b.pop()\n",
                 "1:7: attributes are not supported; lists have the methods append, extend, pop, copy\n");
    check_errors("a.append()\n", "1:3: list.append() takes exactly one argument (0 given)\n");
    check_errors("a.append(1, 2)\n", "1:3: list.append() takes exactly one argument (2 given)\n");
    check_errors("a.extend()\n", "1:3: list.extend() takes exactly one argument (0 given)\n");
    check_errors("a.pop(1, 2)\n", "1:3: list.pop() takes at most 1 argument (2 given)\n");
    check_errors("a.copy(1)\n", "1:3: list.copy() takes no arguments (1 given)\n");
    check_errors("a.append(x=1)\n", "1:10: keyword arguments are not supported\n"
                                    "1:3: list.append() takes exactly one argument (0 given)\n");
    check_errors("x = a.5\n", "1:6: syntax error: unexpected number '.5'\n");
    check_errors("x = 1.pop()\n", "1:5: invalid number literal '1.pop'\n");
    check_errors("x = a...b\n", "1:6: operator '...' is not supported\n");
    check_errors("x = a.\n", "1:7: syntax error: unexpected end of line, expected name\n");
}

static void test_comprehensions(void **state)
{
    (void)state;
    check_dump("x = [e for x in xs]\n", "(= x (listcomp e (for x xs)))\n");
    check_dump("x = [e for i in range(n) if c]\n", "(= x (listcomp e (for i (call range n) (if c))))\n");
    check_dump("x = [x*y for x in a if x > 0 for y in b]\n",
               "(= x (listcomp (x * y) (for x a (if (x > 0))) (for y b)))\n");
    check_dump("x = [x for x in a if p if q for y in b if r]\n",
               "(= x (listcomp x (for x a (if p) (if q)) (for y b (if r))))\n");
    check_dump("x = [x + y for x, y in pts]\n", "(= x (listcomp (x + y) (for (tuple x y) pts)))\n");
    check_dump("x = [i for i, (x, y) in enumerate(ps)]\nx = [t for (a, b), t, in z]\n",
               "(= x (listcomp i (for (tuple i (tuple x y)) (call enumerate ps))))\n"
               "(= x (listcomp t (for (tuple (tuple a b) t) z)))\n");
    check_dump("x = [a if c else b for a in xs if not c or d]\n",
               "(= x (listcomp (a if c else b) (for a xs (if ((not c) or d)))))\n");
    check_dump("x = [[0.0] * m for _ in range(n)]\nx = [[a for a in r] for r in m]\n",
               "(= x (listcomp ((list 0.0) * m) (for _ (call range n))))\n"
               "(= x (listcomp (listcomp a (for a r)) (for r m)))\n");
    check_dump("x = [y for y in a if y in b if y not in c]\nx = [(a, b) for a in x for b in a]\n",
               "(= x (listcomp y (for y a (if (y in b)) (if (y not in c)))))\n"
               "(= x (listcomp (tuple a b) (for a x) (for b a)))\n");
    check_dump("x = [lambda: i for i in a]\nx = [\n  i\n  for i in a\n  if i\n]\n",
               "(= x (listcomp (lambda () i) (for i a)))\n(= x (listcomp i (for i a (if i))))\n");
    /* generator expressions: a call's only argument, or in parentheses */
    check_dump("s = sum(x * x for x in xs)\n", "(= s (call sum (genexp (x * x) (for x xs))))\n");
    check_dump("m = min(f(x) for x in xs if x)\nm = max(x for x in xs)\nl = list(x for x, y in z)\n",
               "(= m (call min (genexp (call f x) (for x xs (if x)))))\n(= m (call max (genexp x (for x xs))))\n"
               "(= l (call list (genexp x (for (tuple x y) z))))\n");
    check_dump("s = sum((x for x in xs))\ng = (x for x in xs)\nf((x for x in xs), 1)\n",
               "(= s (call sum (genexp x (for x xs))))\n(= g (genexp x (for x xs)))\n"
               "(expr (call f (genexp x (for x xs)) 1))\n");
    check_dump("a.extend(x for x in b)\ns = sum(sum(r) for r in m)\n",
               "(expr (method a extend (genexp x (for x b))))\n"
               "(= s (call sum (genexp (call sum r) (for r m))))\n");

    Parsed p = parse("x = [a\n  for a in b if a for c in d]\ns = sum(y for y in x)\ng = (z for z in x)\n");
    Expr *e = p.m->body.items[0]->assign.value;
    assert_int_equal(e->kind, E_LISTCOMP);
    assert_int_equal(e->loc.col, 5);            /* '[' */
    assert_int_equal(e->comp.nfors, 2);
    assert_int_equal(e->comp.fors[0].loc.line, 2);
    assert_int_equal(e->comp.fors[0].loc.col, 3);
    assert_int_equal(e->comp.fors[0].ifs.n, 1);
    assert_int_equal(e->comp.fors[1].loc.col, 19);
    assert_int_equal(e->comp.fors[1].ifs.n, 0);
    assert_null(e->comp.fors[1].ifs.items);
    e = p.m->body.items[1]->assign.value->call.args.items[0];
    assert_int_equal(e->kind, E_GENEXP);
    assert_int_equal(e->loc.col, 9);            /* the element */
    e = p.m->body.items[2]->assign.value;
    assert_int_equal(e->kind, E_GENEXP);
    assert_int_equal(e->loc.col, 5);            /* '(' */
    done(&p);

    /* many filters on one clause: the array grows */
    StrBuf sb = {0};
    sb_puts(&sb, "x = [i for i in a");
    for (int i = 0; i < 50; i++)
        sb_printf(&sb, " if i != %d", i);
    sb_puts(&sb, "]\n");
    p = parse(sb_cstr(&sb));
    assert_string_equal(p.errors, "");
    e = p.m->body.items[0]->assign.value;
    assert_int_equal(e->comp.fors[0].ifs.n, 50);
    assert_int_equal(e->comp.fors[0].ifs.items[49]->compare.operands[1]->ival, 49);
    done(&p);
    sb_free(&sb);

    check_errors("f(x for x in y, 1)\n", "1:3: generator expression must be parenthesized\n");
    check_errors("f(1, x for x in y)\n", "1:6: generator expression must be parenthesized\n");
    check_errors("s = sum(x for x in y,)\n", "1:9: generator expression must be parenthesized\n");
    check_errors("x = [x for x in a if b else c]\n", "1:24: syntax error: unexpected 'else'\n");
    check_errors("x = [x for x in 1, 2]\n", "1:18: syntax error: unexpected ','\n");
    check_errors("x = [x for x in lambda: a]\n", "1:17: syntax error: unexpected 'lambda'\n");
    check_errors("x = [x for x in a for]\n", "1:22: syntax error: unexpected ']'\n");
    check_errors("x = [for x in a]\n", "1:6: syntax error: unexpected 'for'\n");
    check_errors("x for x in y\n", "1:3: syntax error: unexpected 'for'\n");
    check_errors("x = [x for 1 in a]\n", "1:12: the target of a 'for' must be a name or a tuple of names\n");
    check_errors("x = [x for a[0] in b]\n", "1:12: the target of a 'for' must be a name or a tuple of names\n");
    check_errors("x = [x for x, (y, 2) in b]\n", "1:19: the target of a 'for' must be a name or a tuple of names\n");
    check_errors("x = {x for x in a}\n", "1:5: dicts and sets are not supported\n");
}

static void test_membership(void **state)
{
    (void)state;
    check_dump("x in a\nx not in a\na < b in c\nnot x in a\nx in a == b\n(x in a) in b\n",
               "(expr (x in a))\n(expr (x not in a))\n(expr (a < b in c))\n(expr (not (x in a)))\n"
               "(expr (x in a == b))\n(expr ((x in a) in b))\n");
    check_dump("y = x + 1 in a and b\n", "(= y (((x + 1) in a) and b))\n");
    Parsed p = parse("x in a not in b\n");
    Expr *e = p.m->body.items[0]->expr;
    assert_int_equal(e->kind, E_COMPARE);
    assert_int_equal(e->compare.ops[0], CMP_IN);
    assert_int_equal(e->compare.ops[1], CMP_NOT_IN);
    assert_int_equal(e->compare.oplocs[0].col, 3);
    assert_int_equal(e->compare.oplocs[1].col, 8);      /* 'not' */
    done(&p);
}

static void test_for_loops(void **state)
{
    (void)state;
    check_dump("for x in xs: pass\n", "(foreach x xs (pass))\n");
    check_dump("for i, x in enumerate(xs): pass\nfor i, x in enumerate(xs, 1):\n    s += x\n",
               "(foreach (tuple i x) (call enumerate xs) (pass))\n"
               "(foreach (tuple i x) (call enumerate xs 1) (+= s x))\n");
    check_dump("for x, y, z in zip(a, b, c): pass\nfor i, (x, y) in enumerate(ps): pass\n",
               "(foreach (tuple x y z) (call zip a b c) (pass))\n"
               "(foreach (tuple i (tuple x y)) (call enumerate ps) (pass))\n");
    check_dump("for (a, b), c, in t: pass\nfor x in [1, 2]: pass\nfor r in m[1:]: pass\n",
               "(foreach (tuple (tuple a b) c) t (pass))\n(foreach x (list 1 2) (pass))\n"
               "(foreach r (slice m 1 _ _) (pass))\n");
    check_dump("for x in range(3), 1: pass\nfor x in a if c else b: pass\nfor x in r(3): pass\n",
               "(foreach x (tuple (call range 3) 1) (pass))\n(foreach x (a if c else b) (pass))\n"
               "(foreach x (call r 3) (pass))\n");
    /* range(...) loops keep their own form */
    check_dump("for i in range(n): pass\nfor i in (range(n)): pass\n",
               "(for i (range n) (pass))\n(for i (range n) (pass))\n");

    Parsed p = parse("for i in range(n): pass\nfor  x in xs:\n    pass\n");
    Stmt *s = p.m->body.items[0];
    assert_int_equal(s->kind, S_FOR);
    assert_null(s->for_.iter);
    assert_int_equal(s->for_.nargs, 1);
    s = p.m->body.items[1];
    assert_int_equal(s->kind, S_FOREACH);
    assert_int_equal(s->for_.nargs, 0);
    assert_int_equal(s->for_.target->loc.col, 6);
    assert_int_equal(s->for_.iter->kind, E_NAME);
    assert_int_equal(s->for_.iter->loc.col, 11);
    assert_int_equal(s->for_.body.n, 1);
    done(&p);

    check_errors("for x, y in range(3): pass\n",
                 "1:5: the target of a 'for ... in range(...)' loop must be a single name\n");
    check_errors("for a[0] in b: pass\n", "1:5: the target of a 'for' must be a name or a tuple of names\n");
    check_errors("for x, 1 in b: pass\n", "1:8: the target of a 'for' must be a name or a tuple of names\n");
    check_errors("for [a, b] in c: pass\n", "1:5: the target of a 'for' must be a name or a tuple of names\n");
    check_errors("for x in xs:\n  pass\nelse: pass\n", "3:1: 'else' after a loop is not supported\n");
}

static void test_list_assignments(void **state)
{
    (void)state;
    check_dump("a[i] = e\na[i][j] = e\na[i], a[j] = a[j], a[i]\nt[0] = 1\nx = a[i] = 0\n",
               "(= (index a i) e)\n(= (index (index a i) j) e)\n"
               "(= (tuple (index a i) (index a j)) (tuple (index a j) (index a i)))\n"
               "(= (index t 0) 1)\n(= x (index a i) 0)\n");
    check_dump("a[i] += e\na[i][j] *= e\na += b\na *= n\na[f(i) - 1] //= 2\n",
               "(+= (index a i) e)\n(*= (index (index a i) j) e)\n(+= a b)\n(*= a n)\n"
               "(//= (index a ((call f i) - 1)) 2)\n");
    check_dump("(a[0], b), c[1] = t\n", "(= (tuple (tuple (index a 0) b) (index c 1)) t)\n");

    check_errors("a[1:2] = b\n", "1:1: slice assignment is not supported\n");
    check_errors("a[:] += b\n", "1:1: slice assignment is not supported\n");
    check_errors("x, a[::2] = t\n", "1:4: slice assignment is not supported\n");
    check_errors("f(x)[0] = 1\n", "1:1: only items of a variable can be assigned to, as in NAME[i] or NAME[i][j]\n");
    check_errors("a[0:1][0] = 1\n", "1:1: only items of a variable can be assigned to, as in NAME[i] or NAME[i][j]\n");
    check_errors("[1][0] += 1\n", "1:1: only items of a variable can be assigned to, as in NAME[i] or NAME[i][j]\n");
    check_errors("a.pop() = 1\n", "1:1: cannot assign to method call\n");
    check_errors("[a, b] = t\n", "1:1: cannot assign to a list display; unpack into a tuple: a, b = ...\n");
    check_errors("[x for x in y] = 1\n", "1:1: cannot assign to list comprehension\n");
    check_errors("(x for x in y) = 1\n", "1:1: cannot assign to generator expression\n");
    check_errors("a.pop() += 1\n", "1:1: augmented assignment needs a name or a subscript (a[i]) on its left\n");
}

static void test_annotations(void **state)
{
    (void)state;
    check_dump("xs: list[float] = []\nn: int = 0\n", "(= xs:list[float] (list))\n(= n:int 0)\n");
    check_dump("def f(a: list[int], m: list[list[float]], ps: list[(float, int)], q: (list[bool], float)) "
               "-> list[float]:\n    b: list[bool] = [True]\n    return a\n",
               "(def f (a:list[int] m:list[list[float]] ps:list[(float int)] q:(list[bool] float)) "
               "-> list[float] (= b:list[bool] (list True)) (return a))\n");
    check_dump("x: (float, int) = 1, 2\n(y): int = 1\nz: list[(float)] = [a for a in b]\n",
               "(= x:(float int) (tuple 1 2))\n(= y:int 1)\n(= z:list[float] (listcomp a (for a b)))\n");

    Parsed p = parse("xs:  list[list[int]] = []\n");
    Stmt *s = p.m->body.items[0];
    assert_int_equal(s->kind, S_ASSIGN);
    assert_int_equal(s->assign.ntargets, 1);
    assert_int_equal(s->assign.targets[0]->kind, E_NAME);
    assert_int_equal(s->assign.value->kind, E_LIST);
    TypeExpr *t = s->assign.ann;
    assert_int_equal(t->kind, TE_LIST);
    assert_int_equal(t->loc.col, 6);
    assert_int_equal(t->elem->kind, TE_LIST);
    assert_int_equal(t->elem->loc.col, 11);
    assert_int_equal(t->elem->elem->kind, TE_INT);
    done(&p);
    p = parse("x = 1\n");
    assert_null(p.m->body.items[0]->assign.ann);
    done(&p);

    check_errors("x: int\n", "1:2: an annotated name needs a value: NAME: TYPE = expression\n");
    check_errors("xs: list[float]\n", "1:3: an annotated name needs a value: NAME: TYPE = expression\n");
    check_errors("a, b: int = 1, 2\n", "1:1: only a single name can be annotated: NAME: TYPE = expression\n");
    check_errors("a[0]: int = 1\n", "1:1: only a single name can be annotated: NAME: TYPE = expression\n");
    check_errors("x: int = y = 1\n", "1:12: syntax error: unexpected '='\n");
    check_errors("x: 3 = 1\n", "1:4: syntax error: unexpected integer '3', expected name or '('\n");
    check_errors("def f(x: list): return x\n", "1:10: the type 'list' needs its element type, as in list[float]\n");
    check_errors("def f(x: list[float, int]): return x\n", "1:10: list[...] takes one element type (2 given)\n");
    check_errors("def f(x: tuple[float, int]): return x\n",
                 "1:10: tuple types are written in parentheses: (T1, T2, ...)\n");
    check_errors("def f(x: float[int]): return x\n", "1:10: the type 'float' takes no element type\n");
    check_errors("def f(x: dict[int]): return x\n",
                 "1:10: unknown type 'dict' (expected float, int, bool, list[T] or a tuple of them)\n");
    check_errors("def f() -> list[str]: return 1\n",
                 "1:17: unknown type 'str' (expected float, int, bool, list[T] or a tuple of them)\n");
    check_errors("def f(x: list[]): return x\n", "1:15: syntax error: unexpected ']', expected name or '('\n");
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
    check_errors("x = None\n", "1:5: 'None' is not supported\n");
    check_errors("def f() -> None: return 1\n", "1:12: 'None' is not supported\n");
    check_errors("x = {}\n", "1:5: dicts and sets are not supported\n");
    check_errors("def f(x=1): return x\n", "1:8: default parameter values are not supported\n");
    check_errors("def f(x: float = 1.0): return x\n", "1:16: default parameter values are not supported\n");
    check_errors("def f(*args): return 1\n", "1:7: '*args' parameters are not supported\n");
    check_errors("def f(**kw): return 1\n", "1:7: '**kwargs' parameters are not supported\n");
    check_errors("g = lambda x=1: x\n", "1:13: default parameter values are not supported\n");
    check_errors("def f(x: str): return x\n",
                 "1:10: unknown type 'str' (expected float, int, bool, list[T] or a tuple of them)\n");
    check_errors("x: float\n", "1:2: an annotated name needs a value: NAME: TYPE = expression\n");
    check_errors("def f():\n    return\n", "2:5: 'return' needs a value\n");
    check_errors("def f(): return; x = 1\n", "1:10: 'return' needs a value\n");
    check_errors("for x in range(): pass\n", "1:10: range() takes 1 to 3 arguments (0 given)\n");
    check_errors("for x in range(1, 2, 3, 4): pass\n", "1:10: range() takes 1 to 3 arguments (4 given)\n");
    check_errors("for x, y in range(3): pass\n",
                 "1:5: the target of a 'for ... in range(...)' loop must be a single name\n");
    check_errors("for t[0] in range(3): pass\n",
                 "1:5: the target of a 'for ... in range(...)' loop must be a single name\n");
    check_errors("f(x) = 1\n", "1:1: cannot assign to function call\n");
    check_errors("1 = x\n", "1:1: cannot assign to literal\n");
    check_errors("a, (b, 2) = x\n", "1:8: cannot assign to literal\n");
    check_errors("a + b = x\n", "1:1: cannot assign to expression\n");
    check_errors("x = a < b = 1\n", "1:5: cannot assign to comparison\n");
    check_errors("a, b += 1\n", "1:1: augmented assignment needs a name or a subscript (a[i]) on its left\n");
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
    check_errors("x = f(1, [2)\n", "1:12: closing parenthesis ')' does not match opening parenthesis '['\n");
    check_errors("x = [1, 2\n", "1:5: '[' was never closed\n");
    check_errors("x = [1, 2\ny = 3\n", "2:1: syntax error: unexpected name 'y'\n1:5: '[' was never closed\n");
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
    check_errors("x = t[1:2:3:4]\n", "1:12: syntax error: unexpected ':'\n");
    check_errors("x = t[1, 2]\n", "1:8: a subscript takes one index; for a list of lists write a[i][j]\n");
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
        {"x = ", "[", "1"}, {"x = ", "a[:", "1"}, {"x = ", "a.append(", "1"}, {"x = ", "[x for x in ", "1"},
        {"x = ", "sum(x for x in ", "1"}, {"def f(p: ", "list[", "float"}, {"x: ", "list[", "float"},
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
    /* a comprehension's clauses and filters count as levels: long flat
       ones are limited too */
    const char *clauses[] = {" for a in b", " if c", " for a in b if c"};
    for (size_t k = 0; k < sizeof clauses / sizeof clauses[0]; k++) {
        int per = k == 2 ? 2 : 1;                       /* levels per repetition */
        int at_limit = (AST_MAX_EXPR_DEPTH - 2) / per;  /* 2: the leaf x and the first clause */
        int counts[] = {at_limit, at_limit + 1, 100000};
        for (int i = 0; i < 3; i++) {
            int n = counts[i];
            char *rest = repeat(clauses[k], n);
            sb.len = 0;
            sb_printf(&sb, "x = [x for x in y%s]\nok = 1\n", rest);
            free(rest);
            Parsed p = parse(sb_cstr(&sb));
            if (2 + n * per <= AST_MAX_EXPR_DEPTH) {
                assert_string_equal(p.errors, "");
            } else {
                assert_int_equal(p.diags.nerrors, 1);
                assert_non_null(strstr(p.errors, "nested too deeply (limit 200 levels)"));
            }
            assert_int_equal(p.m->body.n, 2);
            done(&p);
        }
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
        "append", "pop", "push", "list", "[float]", "not in", "x[1:]", "for x in y", "sum(",
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
        cmocka_unit_test(test_list_displays),
        cmocka_unit_test(test_subscripts_and_slices),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_comprehensions),
        cmocka_unit_test(test_membership),
        cmocka_unit_test(test_for_loops),
        cmocka_unit_test(test_list_assignments),
        cmocka_unit_test(test_annotations),
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
