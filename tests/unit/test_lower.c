/*
 * test_lower.c: lowering (passes/lower.c).  Programs are parsed and
 * lowered, then (1) ir_check must find nothing, (2) the interpreter runs
 * them on the untyped IR and the results are compared with CPython's
 * (computed with python3 when the test was written), (3) a few graph shapes
 * and names are checked, (4) every diagnostic of the pass, with its
 * location, and (5) large inputs lower quickly.
 */
#include "unit.h"

#include "ast.h"
#include "interp.h"
#include "lower.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct Lowered {
    Arena *arena;
    Diags d;
    Module *m;
    double seconds;     /* lower_module alone */
} Lowered;

/* Parses (which must succeed) and lowers src; the module must pass ir_check. */
static Lowered *lower_text(const char *src)
{
    Lowered *l = xcalloc(1, sizeof *l);
    l->arena = arena_new();
    size_t n = strlen(src);
    diags_init(&l->d, "t.my", src, n);
    AstModule *ast = parse_source(l->arena, &l->d, src, n);
    if (diags_failed(&l->d))
        diags_print(&l->d, stderr);
    assert_false(diags_failed(&l->d));
    clock_t t0 = clock();
    l->m = lower_module(l->arena, &l->d, ast, "t.my");
    l->seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    StrBuf errs = {0};
    int nv = ir_check(l->m, false, &errs);
    if (nv)
        fprintf(stderr, "ir_check:\n%s", sb_cstr(&errs));
    assert_int_equal(nv, 0);
    sb_free(&errs);
    return l;
}

static void lowered_free(Lowered *l)
{
    ir_module_free(l->m);
    diags_free(&l->d);
    arena_free(l->arena);
    free(l);
}

static Graph *top_graph(Lowered *l, const char *name)
{
    for (int i = 0; i < l->m->tops.len; i++)
        if (strcmp(l->m->tops.data[i].name, name) == 0)
            return l->m->tops.data[i].graph;
    return NULL;
}

static Graph *graph_named(Lowered *l, const char *name)
{
    for (int i = 0; i < l->m->graphs.len; i++)
        if (strcmp(l->m->graphs.data[i]->name, name) == 0)
            return l->m->graphs.data[i];
    return NULL;
}

/* Runs fn on the arguments (source text of values) and returns repr(result),
   or "EXC: message" after a runtime error; the caller frees it. */
static char *run(Lowered *l, const char *fn, const char *const *args, int nargs)
{
    Graph *g = top_graph(l, fn);
    assert_non_null(g);
    Interp *in = interp_new(l->m);
    Value v[8], r;
    StrBuf err = {0}, out = {0};
    for (int i = 0; i < nargs; i++)
        assert_int_equal(interp_parse_value(in, args[i], &v[i], &err), 0);
    if (interp_call(in, g, v, nargs, &r, &err) == 0)
        value_repr(&r, &out);
    else
        sb_printf(&out, "EXC: %s", sb_cstr(&err));
    char *s = xstrdup(sb_cstr(&out));
    sb_free(&out);
    sb_free(&err);
    interp_free(in);
    return s;
}

static void assert_run(Lowered *l, const char *fn, const char *const *args, int nargs, const char *expect)
{
    char *got = run(l, fn, args, nargs);
    if (strcmp(got, expect) != 0)
        fprintf(stderr, "%s(%s%s): got %s, expected %s\n", fn, nargs ? args[0] : "", nargs > 1 ? ", ..." : "",
                got, expect);
    assert_string_equal(got, expect);
    free(got);
}

/* The index of the diagnostic of that level, place and message, or -1. */
static int find_diag(const Lowered *l, DiagLevel level, int line, int col, const char *msg)
{
    for (int i = 0; i < l->d.items.len; i++) {
        const Diag *g = &l->d.items.data[i];
        if (g->level == level && g->loc.line == line && g->loc.col == col && strcmp(g->msg, msg) == 0)
            return i;
    }
    return -1;
}

static void expect_diag(const Lowered *l, DiagLevel level, int line, int col, const char *msg)
{
    if (find_diag(l, level, line, col, msg) < 0) {
        fprintf(stderr, "missing diagnostic %d:%d: %s\nhave:\n", line, col, msg);
        diags_print(&l->d, stderr);
        fail();
    }
}

/* ---- (1) + (2): values ------------------------------------------------------------ */

typedef struct ValueCase {
    const char *fn;
    const char *args[4];
    int nargs;
    const char *expect;     /* repr() of CPython's result */
} ValueCase;

/* A program CPython runs too (the expected values are its results, except
   where the contract differs: max(-2.5, 2) is 2.0 here, see LANGUAGE.md). */
static const char values_src[] =
    "C0 = 3\n"
    "C1 = C0 * 2 + 1\n"
    "C2 = (C1, -C0)\n"
    "C3 = max(1, C1, 4) if C0 > 2 else 0\n"
    "\n"
    "def classify(x):\n"
    "    if x < 0:\n"
    "        return -1\n"
    "    elif x == 0:\n"
    "        return 0\n"
    "    elif x < 10:\n"
    "        r = 1\n"
    "    else:\n"
    "        r = 2\n"
    "    return r * 10\n"
    "\n"
    "def nested(n, m):\n"
    "    total = 0\n"
    "    i = j = -1\n"
    "    for i in range(n):\n"
    "        j = 0\n"
    "        while True:\n"
    "            if j >= m:\n"
    "                break\n"
    "            j += 1\n"
    "            if (i + j) % 3 == 0:\n"
    "                continue\n"
    "            total += i * j\n"
    "        if total > 100:\n"
    "            break\n"
    "    return total, i, j\n"
    "\n"
    "def find(n, target):\n"
    "    for i in range(n):\n"
    "        for j in range(i, n):\n"
    "            if i * j == target:\n"
    "                return i, j\n"
    "    return -1, -1\n"
    "\n"
    "def steps(a, b, s):\n"
    "    acc = 0\n"
    "    cnt = 0\n"
    "    for k in range(a, b, s):\n"
    "        acc = acc * 3 + k\n"
    "        cnt += 1\n"
    "    return acc, cnt\n"
    "\n"
    "def negstep(n):\n"
    "    out = 0\n"
    "    k = 99\n"
    "    for k in range(n, 0, -2):\n"
    "        out = out * 10 + k\n"
    "    return out, k\n"
    "\n"
    "def rebind(n):\n"
    "    s = 0\n"
    "    i = -5\n"
    "    for i in range(n):\n"
    "        s += i\n"
    "        i = 100\n"
    "        s += i\n"
    "    return s, i\n"
    "\n"
    "def closures(n):\n"
    "    fs = ()\n"
    "    f0 = lambda: 0\n"
    "    g = f0\n"
    "    for i in range(n):\n"
    "        g = (lambda h, i: lambda: h() * 10 + i)(g, i)\n"
    "    return g()\n"
    "\n"
    "def mutual(n):\n"
    "    def even(k):\n"
    "        if k == 0:\n"
    "            return True\n"
    "        return odd(k - 1)\n"
    "    def odd(k):\n"
    "        if k == 0:\n"
    "            return False\n"
    "        return even(k - 1)\n"
    "    return even(n), odd(n)\n"
    "\n"
    "def adder(a):\n"
    "    return lambda b: lambda c: a + b * c\n"
    "\n"
    "def use_adder(x):\n"
    "    return adder(x)(2)(3)\n"
    "\n"
    "def chain(a, b, c):\n"
    "    return a < b < c, a < b <= c == c, 1 < a < b\n"
    "\n"
    "def boolops(a, b, c):\n"
    "    return a and b, a or b, a and b and c, a or b or c, (not a) or c\n"
    "\n"
    "def ifexp(x):\n"
    "    return 1 // x if x != 0 else -7\n"
    "\n"
    "def unpack(t):\n"
    "    a, (b, c) = t\n"
    "    d = e = a + b\n"
    "    a, b = b, a\n"
    "    return a, b, c, d, e, t[-1][0], C2[1], C3\n"
    "\n"
    "def consts():\n"
    "    return C0 + C1 + C2[0]\n"
    "\n"
    "def fib(n):\n"
    "    a, b = 0, 1\n"
    "    for _ in range(n):\n"
    "        a, b = b, a + b\n"
    "    return a\n"
    "\n"
    "def facrec(n):\n"
    "    return 1 if n <= 1 else n * facrec(n - 1)\n"
    "\n"
    "def mm(a, b, c):\n"
    "    return min(a, b, c), max(a, b), abs(-a), float(a), int(2.7), a ** b ** 2, -a ** 2, 7 // -2, -7 % 3\n"
    "\n"
    "def whilecond(n):\n"
    "    i = 0\n"
    "    s = 0\n"
    "    while i < n and s < 50:\n"
    "        s = s + i\n"
    "        i = i + 1\n"
    "    return s, i\n"
    "\n"
    "def augs(x):\n"
    "    x += 1\n"
    "    x -= 3\n"
    "    x *= 4\n"
    "    x /= 2\n"
    "    x //= 1.5\n"
    "    x %= 7\n"
    "    return x\n"
    "\n"
    "def retloop(n):\n"
    "    i = 0\n"
    "    while i < n:\n"
    "        for j in range(10):\n"
    "            if j == i:\n"
    "                if j == 3:\n"
    "                    return i * 100 + j\n"
    "                break\n"
    "        i += 1\n"
    "    return -1\n"
    "\n"
    "def caploop(n):\n"
    "    acc = 0\n"
    "    for i in range(n):\n"
    "        f = lambda x: x + i\n"
    "        acc = acc + f(1)\n"
    "    return acc\n"
    "\n"
    "def truthy(x):\n"
    "    r = 0\n"
    "    if x:\n"
    "        r = 1\n"
    "    while x:\n"
    "        x = x - 1\n"
    "        r += 10\n"
    "    return r\n"
    "\n"
    "def forever(x, n):\n"
    "    while True:\n"
    "        x = x * 2\n"
    "        if x > n:\n"
    "            break\n"
    "    return x and n or 1 < x < n\n"
    "\n"
    "def oddeven(a):\n"
    "    def ev(k):\n"
    "        return k == 0 or od(k - 1)\n"
    "    def od(k):\n"
    "        return k != 0 and ev(k - 1)\n"
    "    return ev(a), od(a)\n";

static const ValueCase value_cases[] = {
    {"classify", {"-5"}, 1, "-1"},
    {"classify", {"0"}, 1, "0"},
    {"classify", {"5"}, 1, "10"},
    {"classify", {"50"}, 1, "20"},
    {"nested", {"5", "4"}, 2, "(71, 4, 4)"},
    {"nested", {"20", "7"}, 2, "(110, 3, 7)"},
    {"find", {"6", "6"}, 2, "(2, 3)"},
    {"find", {"3", "100"}, 2, "(-1, -1)"},
    {"steps", {"0", "10", "3"}, 3, "(54, 4)"},
    {"steps", {"10", "0", "-3"}, 3, "(346, 4)"},
    {"steps", {"5", "5", "1"}, 3, "(0, 0)"},
    {"steps", {"0", "10", "7"}, 3, "(7, 2)"},
    {"steps", {"0", "10", "0"}, 3, "EXC: range() arg 3 must not be zero"},  /* CPython: ValueError */
    {"negstep", {"7"}, 1, "(7531, 1)"},
    {"rebind", {"4"}, 1, "(406, 100)"},
    {"closures", {"4"}, 1, "123"},
    {"mutual", {"7"}, 1, "(False, True)"},
    {"mutual", {"10"}, 1, "(True, False)"},
    {"use_adder", {"5"}, 1, "11"},
    {"chain", {"1", "2", "3"}, 3, "(True, True, False)"},
    {"chain", {"3", "2", "3"}, 3, "(False, False, False)"},
    {"chain", {"1", "2", "2"}, 3, "(False, True, False)"},
    {"chain", {"1.5", "2", "1"}, 3, "(False, False, True)"},
    {"boolops", {"0", "2", "3"}, 3, "(0, 2, 0, 2, True)"},
    {"boolops", {"1", "0", "3"}, 3, "(0, 1, 0, 1, 3)"},
    {"boolops", {"1", "2", "3"}, 3, "(2, 1, 3, 1, 3)"},
    {"boolops", {"0.0", "0", "0"}, 3, "(0.0, 0, 0.0, 0, True)"},
    {"ifexp", {"0"}, 1, "-7"},
    {"ifexp", {"3"}, 1, "0"},
    {"unpack", {"(1,(2.5,(3,4)))"}, 1, "(2.5, 1, (3, 4), 3.5, 3.5, 2.5, -3, 7)"},
    {"consts", {NULL}, 0, "17"},
    {"fib", {"30"}, 1, "832040"},
    {"facrec", {"10"}, 1, "3628800"},
    {"mm", {"3", "2", "1"}, 3, "(1, 3, 3, 3.0, 2, 81, -9, -4, 2)"},
    {"mm", {"-2.5", "2", "4"}, 3, "(-2.5, 2.0, 2.5, -2.5, 2, 39.0625, -6.25, -4, 2)"},
    {"whilecond", {"100"}, 1, "(55, 11)"},
    {"whilecond", {"5"}, 1, "(10, 5)"},
    {"augs", {"10"}, 1, "3.0"},
    {"augs", {"3"}, 1, "1.0"},
    {"retloop", {"5"}, 1, "303"},
    {"retloop", {"2"}, 1, "-1"},
    {"caploop", {"4"}, 1, "10"},
    {"truthy", {"3"}, 1, "31"},
    {"truthy", {"0"}, 1, "0"},
    {"forever", {"3", "10"}, 2, "10"},
    {"forever", {"1", "100"}, 2, "100"},
    {"oddeven", {"7"}, 1, "(False, True)"},
    {"oddeven", {"0"}, 1, "(True, False)"},
};

static void test_values_match_cpython(void **state)
{
    (void)state;
    Lowered *l = lower_text(values_src);
    assert_int_equal(l->d.nerrors, 0);
    assert_int_equal(l->d.nwarnings, 1);    /* caploop: i is captured, then rebound by the loop */
    for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
        const ValueCase *c = &value_cases[i];
        assert_run(l, c->fn, c->args, c->nargs, c->expect);
    }
    lowered_free(l);
}

/* ---- (3): shapes and names ---------------------------------------------------------- */

static const char shapes_src[] =
    "def f(x, c):\n"                                    /* 1 */
    "    y = 1\n"
    "    z = 2\n"
    "    if c:\n"                                       /* 4 */
    "        y = x\n"
    "    else:\n"
    "        y = -x\n"
    "        z = 3\n"
    "    return y + x\n"                                /* 9: y is a phi, x and z are not */
    "\n"
    "def w(n):\n"                                       /* 11 */
    "    i = 0\n"
    "    while i < n:\n"                                /* 13 */
    "        i = i + 1\n"
    "    return i\n"
    "\n"
    "def r(n):\n"                                       /* 17 */
    "    s = 0\n"
    "    for k in range(n):\n"                          /* 19 */
    "        s = s + k\n"
    "    return s\n"
    "\n"
    "def t(n):\n"                                       /* 23 */
    "    while True:\n"                                 /* 24 */
    "        n = n - 1\n"
    "        if n < 0:\n"
    "            return n\n"
    "\n"
    "def _p(a: int, b: (float, bool)) -> float:\n"     /* 29 */
    "    g = lambda u: lambda v: u + v\n"               /* 30 */
    "    h = (lambda: 1, lambda: 2)\n"                  /* 31 */
    "    def inner(q):\n"                               /* 32 */
    "        return q\n"
    "    return inner(a) + g(1)(2) + h[1]()\n"
    "\n"
    "K = 2 * 3\n"                                       /* 36 */
    "def uses_k():\n"
    "    return K\n";

static void assert_graph(Lowered *l, const char *name, GraphKind kind, const char *parent, int nparams)
{
    Graph *g = graph_named(l, name);
    if (!g)
        fprintf(stderr, "no graph %s\n", name);
    assert_non_null(g);
    assert_int_equal(g->kind, kind);
    if (parent) {
        assert_non_null(g->parent);
        assert_string_equal(g->parent->name, parent);
    } else {
        assert_null(g->parent);
    }
    if (nparams >= 0)
        assert_int_equal(g->nparams, nparams);
}

static void test_shapes_and_names(void **state)
{
    (void)state;
    Lowered *l = lower_text(shapes_src);
    assert_int_equal(l->d.nerrors, 0);

    /* top level: source order, privacy, constants */
    static const char *const tops[] = {"f", "w", "r", "t", "_p", "K", "uses_k"};
    assert_int_equal(l->m->tops.len, 7);
    for (int i = 0; i < 7; i++) {
        assert_string_equal(l->m->tops.data[i].name, tops[i]);
        assert_int_equal(l->m->tops.data[i].is_private, i == 4);
    }
    assert_graph(l, "f", G_FUNCTION, NULL, 2);
    assert_string_equal(graph_named(l, "f")->src_name, "f");
    assert_graph(l, "K", G_CONST, NULL, 0);

    /* if: switch(c, @if, @else)() in f; only y needs a phi at endif */
    assert_graph(l, "f:if.4", G_BRANCH, "f", 0);
    assert_graph(l, "f:else.4", G_BRANCH, "f", 0);
    assert_graph(l, "f:endif.4", G_BLOCK, "f", 1);
    assert_string_equal(graph_named(l, "f:endif.4")->params[0]->name, "y");
    Node *out = graph_named(l, "f")->output;
    assert_int_equal(out->kind, N_APPLY);
    assert_int_equal(out->app.n, 1);
    assert_true(ir_is_const_prim(out->app.in[0]->app.in[0], P_SWITCH));

    /* while: header with the one phi i (n is the function's own parameter) */
    assert_graph(l, "w:while.13", G_BLOCK, "w", 1);
    assert_string_equal(graph_named(l, "w:while.13")->params[0]->name, "i");
    assert_graph(l, "w:body.13", G_BRANCH, "w:while.13", 0);
    assert_graph(l, "w:exit.13", G_BRANCH, "w:while.13", 0);
    assert_graph(l, "w:endwhile.13", G_BLOCK, "w", 1);

    /* for: the hidden counter and s are carried; stop and step are not */
    assert_graph(l, "r:for.19", G_BLOCK, "r", 2);
    assert_string_equal(graph_named(l, "r:for.19")->params[0]->name, "k.for");
    assert_string_equal(graph_named(l, "r:for.19")->params[1]->name, "s");
    assert_graph(l, "r:body.19", G_BRANCH, "r:for.19", 0);
    assert_graph(l, "r:endfor.19", G_BLOCK, "r", 1);

    /* while True: no exit edge, and no "missing return" */
    assert_graph(l, "t:while.24", G_BLOCK, "t", 1);
    assert_null(graph_named(l, "t:exit.24"));
    assert_null(graph_named(l, "t:endwhile.24"));

    /* annotations, lambdas, nested defs, name collisions */
    Graph *p = graph_named(l, "_p");
    TypeTable *tt = l->m->types;
    Type *fb[2] = {type_float(tt), type_bool(tt)};
    assert_ptr_equal(p->param_ann[0], type_int(tt));
    assert_ptr_equal(p->param_ann[1], type_tuple(tt, fb, 2));
    assert_ptr_equal(p->ret_ann, type_float(tt));
    assert_graph(l, "_p/lambda.30", G_FUNCTION, "_p", 1);
    assert_string_equal(graph_named(l, "_p/lambda.30")->src_name, "<lambda>");
    assert_graph(l, "_p/lambda.30/lambda.30", G_FUNCTION, "_p/lambda.30", 1);
    assert_graph(l, "_p/lambda.31", G_FUNCTION, "_p", 0);
    assert_graph(l, "_p/lambda.31.2", G_FUNCTION, "_p", 0);
    assert_graph(l, "_p/inner", G_FUNCTION, "_p", 1);
    assert_string_equal(graph_named(l, "_p/inner")->src_name, "inner");

    /* a constant is read by calling its graph */
    Node *k = graph_named(l, "uses_k")->output;
    assert_int_equal(k->kind, N_APPLY);
    assert_int_equal(k->app.n, 1);
    assert_true(ir_is_const_graph(k->app.in[0]));
    assert_ptr_equal(k->app.in[0]->k.u.graph, graph_named(l, "K"));

    assert_run(l, "f", (const char *[]){"2", "True"}, 2, "4");
    assert_run(l, "f", (const char *[]){"2", "0"}, 2, "0");
    assert_run(l, "w", (const char *[]){"5"}, 1, "5");
    assert_run(l, "r", (const char *[]){"4"}, 1, "6");
    assert_run(l, "t", (const char *[]){"3"}, 1, "-1");
    assert_run(l, "_p", (const char *[]){"1", "(2.0, True)"}, 2, "6");
    assert_run(l, "uses_k", NULL, 0, "6");
    lowered_free(l);
}

/* ---- (4): diagnostics ---------------------------------------------------------------- */

typedef struct DiagCase {
    DiagLevel level;
    int line, col;
    const char *msg;
} DiagCase;

static const char errors_src[] =
    "A = B + 1\n"
    "B = 2\n"
    "C = f(1)\n"
    "D = lambda: 1\n"
    "E = C0\n"
    "x, y = 1, 2\n"
    "print(1)\n"
    "\n"
    "def f(x, y):\n"
    "    return x + y\n"
    "\n"
    "def f(z):\n"
    "    return z\n"
    "\n"
    "def sin(x):\n"
    "    return x\n"
    "\n"
    "def g(a, a, cos):\n"
    "    range = 3\n"
    "    u = undefined_thing + 1\n"
    "    return f(1, 2, 3) + sin(1, 2) + max( ) + range(3)\n"
    "\n"
    "def h(c):\n"
    "    if c:\n"
    "        v = 1\n"
    "    return v\n"
    "\n"
    "def k(c):\n"
    "    w = w + 1\n"
    "    return w\n"
    "\n"
    "def m(c):\n"
    "    if c:\n"
    "        return 1\n"
    "\n"
    "def n(t):\n"
    "    a, b = 1, 2, 3\n"
    "    return t[c] + grad(f) + grad(f, 1, 2) + grad(f, n) + vjp(f) + jvp(f, 1) + value_and_grad(f, (0, 1))\n"
    "\n"
    "def p(c):\n"
    "    q = lambda: z\n"
    "    z = 1\n"
    "    return q\n"
    "\n"
    "def r(x):\n"
    "    g = lambda: x\n"
    "    x = 2\n"
    "    return g()\n"
    "\n"
    "def s(n):\n"
    "    while True:\n"
    "        n = n - 1\n"
    "        if n < 0:\n"
    "            return n\n"
    "\n"
    "def t2(n):\n"
    "    while n > 0:\n"
    "        u2 = n\n"
    "        n = n - 1\n"
    "    return u2\n"
    "\n"
    "def t3(n):\n"
    "    break\n"
    "    return grad\n"
    "\n"
    "def t4(n):\n"
    "    def inner(k):\n"
    "        return k\n"
    "    return inner(1, 2) + (lambda a: a)(1, 2)\n"
    "\n"
    "def t5(n):\n"
    "    i = 0\n"
    "    while i < n:\n"
    "        def gg():\n"
    "            return i\n"
    "        i = i + 1\n"
    "    return gg()\n";

static const DiagCase error_cases[] = {
    {DIAG_ERROR, 1, 5, "constant 'A' uses 'B', which is defined later"},
    {DIAG_ERROR, 3, 5, "constants may not call user functions"},
    {DIAG_ERROR, 4, 5, "a lambda is not allowed in a constant"},
    {DIAG_ERROR, 5, 5, "undefined name 'C0'"},
    {DIAG_ERROR, 6, 1, "a top-level constant must be assigned to a single name: NAME = expression"},
    {DIAG_ERROR, 7, 1, "only function definitions and constants are allowed at top level"},
    {DIAG_ERROR, 12, 5, "redefinition of 'f'"},
    {DIAG_NOTE, 9, 5, "previous definition is here"},
    {DIAG_ERROR, 15, 5, "cannot redefine builtin 'sin'"},
    {DIAG_ERROR, 18, 10, "duplicate parameter 'a' in function definition"},
    {DIAG_ERROR, 18, 13, "cannot redefine builtin 'cos'"},
    {DIAG_ERROR, 19, 5, "cannot redefine builtin 'range'"},
    {DIAG_ERROR, 20, 9, "undefined name 'undefined_thing'"},
    {DIAG_ERROR, 21, 12, "f() takes 2 arguments but 3 were given"},
    {DIAG_NOTE, 9, 5, "'f' is defined here"},
    {DIAG_ERROR, 21, 25, "sin() takes exactly 1 argument (2 given)"},
    {DIAG_ERROR, 21, 37, "max expected at least 1 argument, got 0"},
    {DIAG_ERROR, 21, 46, "'range' can only be used in a for-loop header: for i in range(...)"},
    {DIAG_ERROR, 26, 12, "variable 'v' may be unbound here"},
    {DIAG_ERROR, 29, 9, "local variable 'w' is used before assignment"},
    {DIAG_ERROR, 32, 5, "missing return: function 'm' can reach its end without returning a value"},
    {DIAG_ERROR, 37, 5, "cannot unpack 3 values into 2 targets"},
    {DIAG_ERROR, 38, 14, "undefined name 'c'"},   /* a variable index: list_get, whose index is lowered */
    {DIAG_ERROR, 38, 29, "grad() takes 1 or 2 arguments (3 given)"},
    {DIAG_ERROR, 38, 53, "the second argument of grad() must be an integer constant or a tuple of integer constants"},
    {DIAG_ERROR, 38, 58, "vjp() takes at least 2 arguments (1 given)"},
    {DIAG_ERROR, 38, 67, "jvp() takes exactly 3 arguments (2 given)"},
    {DIAG_ERROR, 41, 17, "local variable 'z' is used before assignment"},
    {DIAG_NOTE, 41, 9, "the closure is created here and captures the value 'z' has at this point"},
    {DIAG_ERROR, 42, 5, "variable 'z' is rebound while a closure that captured it can still be called (the closure keeps the old value; in CPython it would see the new one)"},
    {DIAG_NOTE, 41, 17, "'z' is captured here"},
    {DIAG_NOTE, 43, 5, "the closure is returned here, after the rebinding"},
    {DIAG_ERROR, 47, 5, "variable 'x' is rebound while a closure that captured it can still be called (the closure keeps the old value; in CPython it would see the new one)"},
    {DIAG_NOTE, 46, 17, "'x' is captured here"},
    {DIAG_NOTE, 48, 12, "the closure is called here, after the rebinding"},
    {DIAG_ERROR, 60, 12, "variable 'u2' may be unbound here"},
    {DIAG_ERROR, 63, 5, "'break' outside loop"},
    {DIAG_ERROR, 64, 12, "'grad' is an operator, not a value: call it, as in grad(f)"},
    {DIAG_ERROR, 69, 12, "inner() takes 1 argument but 2 were given"},
    {DIAG_NOTE, 67, 9, "'inner' is defined here"},
    {DIAG_ERROR, 69, 27, "<lambda>() takes 1 argument but 2 were given"},
    {DIAG_NOTE, 69, 27, "the lambda is defined here"},
    {DIAG_WARNING, 76, 9, "variable 'i' is captured by a closure and then rebound; the closure keeps the old value"},
    {DIAG_NOTE, 75, 20, "captured here"},
    {DIAG_ERROR, 77, 12, "variable 'gg' may be unbound here"},
};

static const char rebound_src[] =
    "def a(x):\n"
    "    g = lambda: x\n"
    "    x = 2\n"
    "    return g()\n"
    "\n"
    "def b(n):\n"
    "    acc = 0\n"
    "    for i in range(n):\n"
    "        f = lambda: i\n"
    "        acc = acc + f()\n"
    "    return acc\n"
    "\n"
    "def c(n):\n"
    "    s = 0\n"
    "    f = lambda: 0\n"
    "    while s < n:\n"
    "        s = s + 1\n"
    "        f = lambda: s\n"
    "    return f()\n"
    "\n"
    "def d(n):\n"
    "    def rec(k):\n"
    "        return 0 if k == 0 else rec(k - 1)\n"
    "    total = 0\n"
    "    for i in range(n):\n"
    "        def h(k):\n"
    "            return k if k == 0 else h(k - 1)\n"
    "        total = total + h(i) + rec(i)\n"
    "    return total\n"
    "\n"
    "def e(n):\n"
    "    f = lambda: 1\n"
    "    for i in range(n):\n"
    "        g = f\n"
    "        f = lambda: g() * 10 + i\n"
    "    return f()\n";

static void test_errors_are_located(void **state)
{
    (void)state;
    Lowered *l = lower_text(errors_src);    /* ir_check holds even after errors */
    int nerr = 0, nwarn = 0;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const DiagCase *c = &error_cases[i];
        expect_diag(l, c->level, c->line, c->col, c->msg);
        nerr += c->level == DIAG_ERROR;
        nwarn += c->level == DIAG_WARNING;
    }
    assert_int_equal(l->d.nerrors, nerr);
    assert_int_equal(l->d.nwarnings, nwarn);
    lowered_free(l);
}

/* The list syntax lowers without errors to code the interpreter runs as
   CPython would (on the untyped IR: no conversions yet); ir_check holds. */
static const char lists_src[] =
    "def f(xs: list[float], n: int) -> float:\n"
    "    ys: list[float] = [1.0, 2.0]\n"
    "    a = ys[1:n]\n"
    "    ys.append(3.0)\n"
    "    zs = [x * 2.0 for x in xs if x > 0.0]\n"
    "    s = sum(x for x in xs)\n"
    "    b = n in [1, 2]\n"
    "    for x in xs:\n"
    "        s = s + x\n"
    "    xs[0] = 1.0\n"
    "    xs[n] += 1.0\n"
    "    q = ys.pop(0)\n"
    "    return (a, ys, zs, s, b, xs, q, len(xs), xs[-1], [i for i, _ in enumerate(xs)])\n"
    "\n"
    "C: list[int] = [1]\n"
    "def g(p: (float, list[int])):\n"
    "    return 1 < p[0] not in p[1]\n"
    "\n"
    "def h(m):\n"
    "    m[0][1], m[1][0] = m[1][0], m[0][1]\n"
    "    m[1].append(9)\n"
    "    return [x + y for row in m for x, y in zip(row, row[1:])]\n";

static void test_list_syntax_lowered(void **state)
{
    (void)state;
    Lowered *l = lower_text(lists_src);
    if (l->d.nerrors)
        diags_print(&l->d, stderr);
    assert_int_equal(l->d.nerrors, 0);
    assert_run(l, "f", (const char *[]){"[1.0, -2.0, 3.0]", "1"}, 2,
               "([], [2.0, 3.0], [2.0, 6.0], 4.0, True, [1.0, -1.0, 3.0], 1.0, 3, 3.0, [0, 1, 2])");
    assert_run(l, "f", (const char *[]){"[1.0]", "1"}, 2, "EXC: list index out of range");
    assert_run(l, "g", (const char *[]){"(2, [1, 3])"}, 1, "True");
    assert_run(l, "g", (const char *[]){"(3, [1, 3])"}, 1, "False");
    assert_run(l, "h", (const char *[]){"[[1, 2], [3, 4]]"}, 1, "[4, 6, 13]");
    lowered_free(l);
}

/* A captured variable rebound: an error when the closure may still be
   called afterwards (CPython, binding late, would see the new value), a
   warning when it cannot. */
static void test_captured_then_rebound(void **state)
{
    (void)state;
    Lowered *l = lower_text(rebound_src);
    static const struct { int line, col, cline, ccol; const char *var; bool error; } w[] = {
        {3, 5, 2, 17, "x", true},       /* assignment after the capture, then the call */
        {8, 9, 9, 21, "i", false},      /* the for target, in the loop that captures it */
        {17, 9, 18, 21, "s", false},    /* earlier in the loop than the capture */
        {33, 9, 35, 32, "i", true},     /* the closure of the previous iteration is called later */
        {34, 9, 35, 21, "g", true},
    };
    assert_int_equal(l->d.nerrors, 3);
    assert_int_equal(l->d.nwarnings, 2);
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        char msg[200];
        if (w[i].error)
            snprintf(msg, sizeof msg,
                     "variable '%s' is rebound while a closure that captured it can still be called "
                     "(the closure keeps the old value; in CPython it would see the new one)", w[i].var);
        else
            snprintf(msg, sizeof msg,
                     "variable '%s' is captured by a closure and then rebound; the closure keeps the old value",
                     w[i].var);
        int k = find_diag(l, w[i].error ? DIAG_ERROR : DIAG_WARNING, w[i].line, w[i].col, msg);
        assert_true(k >= 0);
        const Diag *note = &l->d.items.data[k + 1];
        char cap[64];
        snprintf(cap, sizeof cap, "'%s' is captured here", w[i].var);
        assert_int_equal(note->level, DIAG_NOTE);
        assert_int_equal(note->loc.line, w[i].cline);
        assert_int_equal(note->loc.col, w[i].ccol);
        assert_string_equal(note->msg, w[i].error ? cap : "captured here");
    }
    /* the accepted ones compute what CPython does */
    assert_run(l, "b", (const char *[]){"4"}, 1, "6");
    assert_run(l, "c", (const char *[]){"3"}, 1, "3");
    assert_run(l, "d", (const char *[]){"3"}, 1, "0");   /* self-recursive defs in a loop: no warning */
    lowered_free(l);
}

/* ---- (5): large inputs ---------------------------------------------------------------- */

/* Lowering must stay linear and never recurse along chains: well under a
   second even in the sanitizer build (about 0.3 s there for the largest). */
static void assert_fast(const Lowered *l, const char *what)
{
    fprintf(stderr, "lowering %s: %.3f s, %d graphs, %u nodes\n", what, l->seconds, l->m->graphs.len,
            (unsigned)l->m->nnodes);
    assert_true(l->seconds < 1.0);
}

static void test_sum_of_100000_terms(void **state)
{
    (void)state;
    StrBuf sb = {0};
    sb_puts(&sb, "def f(x):\n    return 0");
    for (int i = 1; i < 100000; i++)
        sb_puts(&sb, i % 2 ? " + x" : " - 1");
    sb_puts(&sb, "\n");
    Lowered *l = lower_text(sb_cstr(&sb));
    assert_int_equal(l->d.nerrors, 0);
    assert_fast(l, "a 100000-term sum");
    assert_run(l, "f", (const char *[]){"3"}, 1, "100001");    /* 50000 * 3 - 49999 */
    lowered_free(l);
    sb_free(&sb);
}

/* 30,000 lines: thousands of ifs and short loops in sequence (the same
   program as a python3 generator whose result was recorded). */
static void test_30000_statement_function(void **state)
{
    (void)state;
    StrBuf sb = {0};
    sb_puts(&sb, "def g(x, n):\n    a = 0\n    b = 1\n    c = 0.5\n");
    int lines = 4;
    for (int i = 0; lines < 30000; i++) {
        switch (i % 5) {
        case 0:
            sb_printf(&sb, "    if x > %d:\n        a = a + %d\n    else:\n        b = b * 2 %% 1000\n", i % 7, i);
            lines += 4;
            break;
        case 1:
            sb_puts(&sb, "    c = c + a * 0.001 - b * 0.002\n");
            lines += 1;
            break;
        case 2:
            sb_puts(&sb, "    if a % 3 == 0:\n        c = -c\n");
            lines += 2;
            break;
        case 3:
            sb_printf(&sb, "    for i in range(%d):\n        a = a + i\n        if a > 100000:\n            break\n", i % 4);
            lines += 4;
            break;
        default:
            sb_puts(&sb, "    while b > 500:\n        b = b // 2\n");
            lines += 2;
            break;
        }
    }
    sb_puts(&sb, "    return a, b, c\n");
    Lowered *l = lower_text(sb_cstr(&sb));
    assert_int_equal(l->d.nerrors, 0);
    assert_fast(l, "a 30000-line function");
    assert_run(l, "g", (const char *[]){"3", "0"}, 2, "(5703534, 512, 191875.59000000017)");
    assert_run(l, "g", (const char *[]){"0", "0"}, 2, "(2307, 512, -203.14099999999908)");
    lowered_free(l);
    sb_free(&sb);
}

/* A value made after the first if and read after 15,000 more: the lookup
   crosses every join block (iteratively). */
static void test_lookup_across_15000_joins(void **state)
{
    (void)state;
    StrBuf sb = {0};
    sb_puts(&sb, "def h(x):\n    if x > 0:\n        x = x - 1\n    z = x * 2\n");
    for (int i = 0; i < 14997; i++)
        sb_printf(&sb, "    if x > %d:\n        x = x + 1\n", i);
    sb_puts(&sb, "    return z + x\n");
    Lowered *l = lower_text(sb_cstr(&sb));
    assert_int_equal(l->d.nerrors, 0);
    assert_fast(l, "15000 ifs in sequence");
    assert_run(l, "h", (const char *[]){"3"}, 1, "15003");
    lowered_free(l);
    sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_match_cpython),
        cmocka_unit_test(test_shapes_and_names),
        cmocka_unit_test(test_errors_are_located),
        cmocka_unit_test(test_list_syntax_lowered),
        cmocka_unit_test(test_captured_then_rebound),
        cmocka_unit_test(test_sum_of_100000_terms),
        cmocka_unit_test(test_30000_statement_function),
        cmocka_unit_test(test_lookup_across_15000_joins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
