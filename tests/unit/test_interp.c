/*
 * test_interp.c: the reference interpreter and the primitive evaluators.
 *
 * IR is built by hand with the ir.h builder.  Expected values were computed
 * with CPython 3.11 (and, where the language deliberately differs, by the
 * rule of the contract: int64 wrap-around, IEEE results for float
 * operations that raise in CPython).
 */
#include "unit.h"

#include "interp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define L LOC_NONE

typedef struct T {
    Arena *arena;
    Module *m;
    Interp *in;
    StrBuf err;
} T;

static T *t_new(void)
{
    T *t = calloc(1, sizeof *t);
    t->arena = arena_new();
    t->m = ir_module_new(t->arena, "test.my");
    return t;
}

/* The interpreter is created after the IR is built (it caches schedules). */
static Interp *t_interp(T *t)
{
    if (!t->in)
        t->in = interp_new(t->m);
    return t->in;
}

static void t_free(T *t)
{
    interp_free(t->in);
    sb_free(&t->err);
    ir_module_free(t->m);
    arena_free(t->arena);
    free(t);
}

static Node *K(T *t, int64_t v) { return ir_const_int(t->m, v, L); }
static Node *KF(T *t, double v) { return ir_const_float(t->m, v, L); }
static Node *KG(T *t, Graph *g) { return ir_const_graph(t->m, g, L); }
static Node *P2(Graph *g, PrimId p, Node *a, Node *b) { return ir_apply_prim(g, p, L, 2, a, b); }

static void check_ir(T *t)
{
    StrBuf errs = {0};
    int n = ir_check(t->m, false, &errs);
    if (n)
        fprintf(stderr, "%s", sb_cstr(&errs));
    assert_int_equal(n, 0);
    sb_free(&errs);
}

/* Calls g on values parsed from `args` (a tuple text) and returns the repr
   of the result, or "!" and the runtime error. */
static const char *run(T *t, Graph *g, const char *args, StrBuf *out)
{
    Interp *in = t_interp(t);
    Value tup;
    t->err.len = 0;
    assert_int_equal(interp_parse_value(in, args, &tup, &t->err), 0);
    assert_int_equal(tup.kind, V_TUPLE);
    Value r;
    out->len = 0;
    int rc = interp_call(in, g, tup.tup->items, tup.tup->n, &r, &t->err);
    if (rc) {
        assert_int_equal(rc, 3);
        sb_printf(out, "!%s", sb_cstr(&t->err));
    } else {
        value_repr(&r, out);
    }
    return sb_cstr(out);
}

/* ---- straight-line code ---------------------------------------------------- */

static void test_straight_line(void **state)
{
    (void)state;
    T *t = t_new();
    /* f(x, y) = (x * y + 2) - x / y */
    Graph *f = ir_graph_new(t->m, G_FUNCTION, "f", NULL, L);
    Node *x = ir_add_param(f, "x", L), *y = ir_add_param(f, "y", L);
    Node *a = P2(f, P_ADD, P2(f, P_MUL, x, y), K(t, 2));
    ir_set_output(f, P2(f, P_SUB, a, P2(f, P_TRUEDIV, x, y)));
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, f, "(3, 4)", &out), "13.25");
    assert_string_equal(run(t, f, "(3.0, 0.5)", &out), "-2.5");
    assert_string_equal(run(t, f, "(1, 0)", &out), "-inf");     /* 2 - 1/0 */
    assert_string_equal(run(t, f, "((1,), 2)", &out), "!unsupported operand type(s) for *: 'tuple' and 'int'");
    assert_string_equal(run(t, f, "(1,)", &out), "!f() takes 2 positional arguments but 1 was given");
    sb_free(&out);
    t_free(t);
}

/* A constant output, a parameter output, and a graph returning a primitive. */
static void test_trivial_outputs(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *c = ir_graph_new(t->m, G_CONST, "C", NULL, L);
    ir_set_output(c, KF(t, 0.1));
    Graph *id = ir_graph_new(t->m, G_FUNCTION, "id", NULL, L);
    ir_set_output(id, ir_add_param(id, "x", L));
    Graph *ps = ir_graph_new(t->m, G_FUNCTION, "ps", NULL, L);
    ir_set_output(ps, ir_const_prim(t->m, P_SIN, L));
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, c, "()", &out), "0.1");
    assert_string_equal(run(t, id, "((1, (2.5, True)),)", &out), "(1, (2.5, True))");
    assert_string_equal(run(t, ps, "()", &out), "<built-in function sin>");
    /* apply the primitive value */
    Value fn, r, arg = value_int(0);
    assert_int_equal(interp_call(t->in, ps, NULL, 0, &fn, &t->err), 0);
    assert_int_equal(interp_apply(t->in, &fn, &arg, 1, &r, &t->err), 0);
    assert_int_equal(r.kind, V_FLOAT);
    assert_true(r.f == 0.0);
    sb_free(&out);
    t_free(t);
}

/* ---- loops ---------------------------------------------------------------------- */

/*
 * f(n): i = 0; acc = 0; while i < n: t = (i, acc); acc = t[1] + t[0]; i = i + 1
 * as lowering builds it: a header block, a body and an exit branch.
 */
static Graph *build_loop(T *t)
{
    Graph *f = ir_graph_new(t->m, G_FUNCTION, "f", NULL, L);
    Node *n = ir_add_param(f, "n", L);
    Graph *hd = ir_graph_new(t->m, G_BLOCK, "f:while.1", f, L);
    Node *i = ir_add_param(hd, "i", L), *acc = ir_add_param(hd, "acc", L);
    Graph *body = ir_graph_new(t->m, G_BRANCH, "f:while_body.2", hd, L);
    Graph *exit = ir_graph_new(t->m, G_BRANCH, "f:while_exit.3", hd, L);
    Node *sw = ir_apply_prim(hd, P_SWITCH, L, 3, P2(hd, P_LT, i, n), KG(t, body), KG(t, exit));
    ir_set_output(hd, ir_apply(hd, &sw, 1, L));
    Node *tup = ir_apply_prim(body, P_MAKE_TUPLE, L, 2, i, acc);
    Node *acc1 = P2(body, P_ADD, P2(body, P_GETITEM, tup, K(t, 1)), P2(body, P_GETITEM, tup, K(t, -2)));
    acc1->name = "acc";
    Node *i1 = P2(body, P_ADD, i, K(t, 1));
    ir_set_output(body, ir_apply_call(body, KG(t, hd), L, 2, i1, acc1));
    ir_set_output(exit, acc);
    ir_set_output(f, ir_apply_call(f, KG(t, hd), L, 2, K(t, 0), K(t, 0)));
    return f;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_loop_constant_memory(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *f = build_loop(t);
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, f, "(10,)", &out), "45");
    double t0 = seconds();
    assert_string_equal(run(t, f, "(10000000,)", &out), "49999995000000");
    double t1 = seconds();
    InterpStats st = interp_stats(t->in);
    if (getenv("MYC_BENCH"))
        fprintf(stderr, "10^7 iterations: %.2f s, peak %zu bytes, %zu collections\n", t1 - t0, st.peak_bytes,
                st.collections);
    /* 10^7 iterations allocate gigabytes in total; the heap stays small */
    assert_true(st.peak_bytes < (size_t)32 << 20);
    assert_true(st.collections > 10);
    /* everything but the pinned results is reclaimed */
    interp_release(t->in);
    interp_gc(t->in);
    assert_int_equal(interp_stats(t->in).objects, 0);
    assert_int_equal(interp_stats(t->in).bytes, 0);
    sb_free(&out);
    t_free(t);
}

/* ---- recursion -------------------------------------------------------------------- */

/* sum(n) = 0 if n == 0 else n + sum(n - 1): the recursive call is not a tail call. */
static Graph *build_sum(T *t)
{
    Graph *s = ir_graph_new(t->m, G_FUNCTION, "sum", NULL, L);
    Node *n = ir_add_param(s, "n", L);
    Graph *base = ir_graph_new(t->m, G_BRANCH, "sum:if_true.1", s, L);
    Graph *rec = ir_graph_new(t->m, G_BRANCH, "sum:if_false.2", s, L);
    Node *sw = ir_apply_prim(s, P_SWITCH, L, 3, P2(s, P_EQ, n, K(t, 0)), KG(t, base), KG(t, rec));
    ir_set_output(s, ir_apply(s, &sw, 1, L));
    ir_set_output(base, K(t, 0));
    Node *r = ir_apply_call(rec, KG(t, s), L, 1, P2(rec, P_SUB, n, K(t, 1)));
    r->loc = loc_make(9, 20);
    ir_set_output(rec, P2(rec, P_ADD, n, r));
    return s;
}

static void test_deep_recursion(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *s = build_sum(t);
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, s, "(10000,)", &out), "50005000");
    assert_string_equal(run(t, s, "(100000,)", &out), "5000050000");
    assert_string_equal(run(t, s, "(1000000,)", &out), "500000500000");
    interp_set_max_depth(t->in, 200000);
    assert_string_equal(run(t, s, "(1000000,)", &out), "!maximum recursion depth exceeded");
    /* where: the call that would nest too deep */
    assert_int_equal(interp_error_loc(t->in).line, 9);
    assert_int_equal(interp_error_loc(t->in).col, 20);
    /* the interpreter is usable after an error, and the failed run's frames are garbage */
    assert_string_equal(run(t, s, "(3,)", &out), "6");
    interp_set_max_depth(t->in, 100);
    assert_string_equal(run(t, s, "(1000,)", &out), "!maximum recursion depth exceeded");
    interp_release(t->in);
    interp_gc(t->in);
    assert_int_equal(interp_stats(t->in).objects, 0);
    sb_free(&out);
    t_free(t);
}

/* ---- closures ------------------------------------------------------------------------ */

/*
 * def outer(a):
 *     def g(b):
 *         def h(c): return a * 100 + b * 10 + c
 *         return h
 *     return g(2)(5)
 * and outer2(a) returning g(2) itself.
 */
static void test_closures_two_levels(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *outer = ir_graph_new(t->m, G_FUNCTION, "outer", NULL, L);
    Node *a = ir_add_param(outer, "a", L);
    Graph *g = ir_graph_new(t->m, G_FUNCTION, "outer:g", outer, L);
    Node *b = ir_add_param(g, "b", L);
    Graph *h = ir_graph_new(t->m, G_FUNCTION, "outer:g:h", g, L);
    Node *c = ir_add_param(h, "c", L);
    Node *ab = P2(h, P_ADD, P2(h, P_MUL, a, K(t, 100)), P2(h, P_MUL, b, K(t, 10)));
    ir_set_output(h, P2(h, P_ADD, ab, c));
    ir_set_output(g, KG(t, h));
    Node *hc = ir_apply_call(outer, KG(t, g), L, 1, K(t, 2));
    ir_set_output(outer, ir_apply_call(outer, hc, L, 1, K(t, 5)));

    Graph *outer2 = ir_graph_new(t->m, G_FUNCTION, "outer2", NULL, L);
    Node *a2 = ir_add_param(outer2, "a", L);
    Graph *g2 = ir_graph_new(t->m, G_FUNCTION, "outer2:g", outer2, L);
    Node *b2 = ir_add_param(g2, "b", L);
    Graph *h2 = ir_graph_new(t->m, G_FUNCTION, "outer2:g:h", g2, L);
    h2->src_name = "h";
    Node *c2 = ir_add_param(h2, "c", L);
    Node *ab2 = P2(h2, P_ADD, P2(h2, P_MUL, a2, K(t, 100)), P2(h2, P_MUL, b2, K(t, 10)));
    ir_set_output(h2, P2(h2, P_ADD, ab2, c2));
    ir_set_output(g2, KG(t, h2));
    ir_set_output(outer2, ir_apply_call(outer2, KG(t, g2), L, 1, K(t, 2)));
    check_ir(t);

    StrBuf out = {0};
    assert_string_equal(run(t, outer, "(1,)", &out), "125");
    assert_string_equal(run(t, outer2, "(3,)", &out), "<function h>");
    Value clo, r, arg = value_int(7);
    assert_int_equal(interp_call(t->in, outer2, (Value[]){value_int(3)}, 1, &clo, &t->err), 0);
    /* the closure keeps both frames alive through a collection */
    interp_gc(t->in);
    assert_int_equal(interp_apply(t->in, &clo, &arg, 1, &r, &t->err), 0);
    assert_int_equal(r.kind, V_INT);
    assert_int_equal(r.i, 327);
    Value two[2] = {value_int(1), value_int(2)};
    t->err.len = 0;
    assert_int_equal(interp_apply(t->in, &clo, two, 2, &r, &t->err), 3);
    assert_string_equal(sb_cstr(&t->err), "h() takes 1 positional argument but 2 were given");
    sb_free(&out);
    t_free(t);
}

/* def k3(a): y = a * 3; return lambda: y   -- y is only used by the closure */
static void test_free_variable_only_used_by_closure(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *f = ir_graph_new(t->m, G_FUNCTION, "k3", NULL, L);
    Node *a = ir_add_param(f, "a", L);
    Node *y = P2(f, P_MUL, a, K(t, 3));
    y->name = "y";
    Graph *lam = ir_graph_new(t->m, G_FUNCTION, "k3:<lambda>.1", f, L);
    lam->src_name = "<lambda>";
    ir_set_output(lam, y);
    ir_set_output(f, KG(t, lam));
    check_ir(t);
    Interp *in = t_interp(t);
    Value clo, r;
    assert_int_equal(interp_call(in, f, (Value[]){value_float(1.5)}, 1, &clo, &t->err), 0);
    StrBuf out = {0};
    value_repr(&clo, &out);
    assert_string_equal(sb_cstr(&out), "<function <lambda>>");
    assert_int_equal(interp_apply(in, &clo, NULL, 0, &r, &t->err), 0);
    assert_int_equal(r.kind, V_FLOAT);
    assert_true(r.f == 4.5);
    /* closures of the same graph over the same frame are equal */
    Value pair[2] = {clo, clo};
    assert_int_equal(interp_eval_prim(in, P_EQ, pair, 2, &r, &t->err), 0);
    assert_true(r.kind == V_BOOL && r.b);
    sb_free(&out);
    t_free(t);
}

/*
 * def g(n):
 *     p = n * 2
 *     acc = 0
 *     for i in range(n):
 *         if i > 0: pass
 *         acc += p          # in the block after the if, whose parent is g
 *     return acc
 * The after-if block is reached from the loop body's branches, not from g:
 * g must still compute p before the loop starts.
 */
static void test_block_parent_outside_region(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *g = ir_graph_new(t->m, G_FUNCTION, "g", NULL, L);
    Node *n = ir_add_param(g, "n", L);
    Node *p = P2(g, P_MUL, n, K(t, 2));
    p->name = "p";
    Graph *hd = ir_graph_new(t->m, G_BLOCK, "g:for.1", g, L);
    Node *i = ir_add_param(hd, "i", L), *acc = ir_add_param(hd, "acc", L);
    Graph *body = ir_graph_new(t->m, G_BRANCH, "g:body.1", hd, L);
    Graph *exit = ir_graph_new(t->m, G_BRANCH, "g:exit.1", hd, L);
    Graph *yes = ir_graph_new(t->m, G_BRANCH, "g:if.2", body, L);
    Graph *no = ir_graph_new(t->m, G_BRANCH, "g:else.2", body, L);
    Graph *after = ir_graph_new(t->m, G_BLOCK, "g:endif.2", g, L);
    Node *ai = ir_add_param(after, "i", L), *aacc = ir_add_param(after, "acc", L);
    Node *sw = ir_apply_prim(hd, P_SWITCH, L, 3, P2(hd, P_LT, i, n), KG(t, body), KG(t, exit));
    ir_set_output(hd, ir_apply(hd, &sw, 1, L));
    Node *sw2 = ir_apply_prim(body, P_SWITCH, L, 3, P2(body, P_GT, i, K(t, 0)), KG(t, yes), KG(t, no));
    ir_set_output(body, ir_apply(body, &sw2, 1, L));
    ir_set_output(yes, ir_apply_call(yes, KG(t, after), L, 2, i, acc));
    ir_set_output(no, ir_apply_call(no, KG(t, after), L, 2, i, acc));
    Node *acc2 = P2(after, P_ADD, aacc, p);
    ir_set_output(after, ir_apply_call(after, KG(t, hd), L, 2, P2(after, P_ADD, ai, K(t, 1)), acc2));
    ir_set_output(exit, acc);
    ir_set_output(g, ir_apply_call(g, KG(t, hd), L, 2, K(t, 0), K(t, 0)));
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, g, "(5,)", &out), "50");
    assert_string_equal(run(t, g, "(0,)", &out), "0");
    sb_free(&out);
    t_free(t);
}

/* def safe(x): return 10 // x if x > 0 else 1 // 0 */
static void test_untaken_branch(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *f = ir_graph_new(t->m, G_FUNCTION, "safe", NULL, L);
    Node *x = ir_add_param(f, "x", L);
    Graph *a = ir_graph_new(t->m, G_BRANCH, "safe:if_true.1", f, L);
    Graph *b = ir_graph_new(t->m, G_BRANCH, "safe:if_false.2", f, L);
    Node *sw = ir_apply_prim(f, P_SWITCH, L, 3, P2(f, P_GT, x, K(t, 0)), KG(t, a), KG(t, b));
    ir_set_output(f, ir_apply(f, &sw, 1, L));
    ir_set_output(a, P2(a, P_FLOORDIV, K(t, 10), x));
    Node *bad = P2(b, P_FLOORDIV, K(t, 1), K(t, 0));
    bad->loc = loc_make(7, 12);
    ir_set_output(b, bad);
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, f, "(3,)", &out), "3");
    assert_string_equal(run(t, f, "(0.5,)", &out), "20.0");
    assert_string_equal(run(t, f, "(-1,)", &out), "!integer division or modulo by zero");
    Loc l = interp_error_loc(t->in);
    assert_int_equal(l.line, 7);
    assert_int_equal(l.col, 12);
    assert_string_equal(run(t, f, "((),)", &out), "!'>' not supported between instances of 'tuple' and 'int'");
    sb_free(&out);
    t_free(t);
}

/* Runtime errors for calls of non-functions and a wrong argument count. */
static void test_call_errors(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *f = ir_graph_new(t->m, G_FUNCTION, "callx", NULL, L);
    Node *x = ir_add_param(f, "x", L);
    ir_set_output(f, ir_apply_call(f, x, L, 1, K(t, 1)));
    Graph *g = ir_graph_new(t->m, G_FUNCTION, "one", NULL, L);
    g->src_name = "one";
    ir_set_output(g, ir_add_param(g, "y", L));
    Graph *h = ir_graph_new(t->m, G_FUNCTION, "bad_arity", NULL, L);
    Node *r = ir_apply_call(h, KG(t, g), L, 2, K(t, 1), K(t, 2));
    ir_set_output(h, P2(h, P_ADD, r, K(t, 1)));
    check_ir(t);
    StrBuf out = {0};
    assert_string_equal(run(t, f, "(3,)", &out), "!'int' object is not callable");
    assert_string_equal(run(t, f, "((1, 2),)", &out), "!'tuple' object is not callable");
    assert_string_equal(run(t, h, "()", &out), "!one() takes 1 positional argument but 2 were given");
    /* a primitive with the wrong argument count (untyped IR may contain it) */
    Value args[3] = {value_int(1), value_int(2), value_int(3)}, v;
    t->err.len = 0;
    assert_int_equal(interp_eval_prim(t->in, P_ADD, args, 3, &v, &t->err), 3);
    assert_string_equal(sb_cstr(&t->err), "add() takes exactly 2 arguments (3 given)");
    sb_free(&out);
    t_free(t);
}

/* A loop building a 100000-deep nested tuple: repr, ==, the collector and
   the type of the value must all cope without recursion. */
static void test_deep_tuple(void **state)
{
    (void)state;
    T *t = t_new();
    Graph *f = ir_graph_new(t->m, G_FUNCTION, "nest", NULL, L);
    Node *n = ir_add_param(f, "n", L);
    Graph *hd = ir_graph_new(t->m, G_BLOCK, "nest:while.1", f, L);
    Node *i = ir_add_param(hd, "i", L), *acc = ir_add_param(hd, "t", L);
    Graph *body = ir_graph_new(t->m, G_BRANCH, "nest:body.2", hd, L);
    Graph *exit = ir_graph_new(t->m, G_BRANCH, "nest:exit.3", hd, L);
    Node *sw = ir_apply_prim(hd, P_SWITCH, L, 3, P2(hd, P_LT, i, n), KG(t, body), KG(t, exit));
    ir_set_output(hd, ir_apply(hd, &sw, 1, L));
    Node *wrapped = ir_apply_prim(body, P_MAKE_TUPLE, L, 1, acc);
    ir_set_output(body, ir_apply_call(body, KG(t, hd), L, 2, P2(body, P_ADD, i, K(t, 1)), wrapped));
    ir_set_output(exit, acc);
    Node *empty = ir_apply_prim(f, P_MAKE_TUPLE, L, 0);
    ir_set_output(f, ir_apply_call(f, KG(t, hd), L, 2, K(t, 0), empty));
    check_ir(t);
    Interp *in = t_interp(t);
    enum { N = 100000 };
    Value r, r2;
    assert_int_equal(interp_call(in, f, (Value[]){value_int(N)}, 1, &r, &t->err), 0);
    assert_int_equal(interp_call(in, f, (Value[]){value_int(N)}, 1, &r2, &t->err), 0);
    interp_gc(in);
    StrBuf out = {0};
    value_repr(&r, &out);
    assert_int_equal(out.len, 2 + 3 * (size_t)N);
    assert_memory_equal(out.data, "(((", 3);
    assert_string_equal(out.data + out.len - 6, ",),),)");
    Value pair[2] = {r, r2}, eq;
    assert_int_equal(interp_eval_prim(in, P_EQ, pair, 2, &eq, &t->err), 0);
    assert_true(eq.b);
    assert_int_equal(interp_eval_prim(in, P_LE, pair, 2, &eq, &t->err), 0);
    assert_true(eq.b);
    sb_free(&out);
    t_free(t);
}

/* ---- primitives, one case at a time -------------------------------------------------------- */

typedef struct PrimCase {
    PrimId p;
    const char *args;       /* a tuple of arguments, as interp_parse_value reads it */
    const char *expect;     /* the repr of the result, or "!" and the error */
} PrimCase;

static const PrimCase prim_cases[] = {
    {P_ADD, "(1, 2)", "3"},
    {P_ADD, "(True, True)", "2"},
    {P_ADD, "(1, 0.5)", "1.5"},
    {P_ADD, "(9223372036854775807, 1)", "-9223372036854775808"},
    {P_SUB, "(-9223372036854775808, 1)", "9223372036854775807"},
    {P_MUL, "(4294967296, 4294967296)", "0"},
    {P_MUL, "(3037000500, 3037000500)", "-9223372036709301616"},
    {P_MUL, "(-0.0, 5)", "-0.0"},
    {P_SUB, "(0.1, 0.3)", "-0.19999999999999998"},
    {P_TRUEDIV, "(1, 2)", "0.5"},
    {P_TRUEDIV, "(7, 7)", "1.0"},
    {P_TRUEDIV, "(-7, 2)", "-3.5"},
    {P_TRUEDIV, "(1, 0)", "inf"},
    {P_TRUEDIV, "(-1, 0)", "-inf"},
    {P_TRUEDIV, "(0, 0)", "nan"},
    {P_TRUEDIV, "(1.0, 0.0)", "inf"},
    {P_TRUEDIV, "(-1.0, 0.0)", "-inf"},
    {P_TRUEDIV, "(1.0, -0.0)", "-inf"},
    {P_TRUEDIV, "(9007199254740993, 1)", "9007199254740992.0"},
    {P_TRUEDIV, "(9223372036854775807, 3)", "3.0744573456182584e+18"},
    {P_TRUEDIV, "(-9223372036854775808, 7)", "-1.3176245766935393e+18"},
    {P_TRUEDIV, "(4611686018427387905, 2305843009213693955)", "2.0"},
    {P_TRUEDIV, "(9223372036854775807, 9223372036854775806)", "1.0"},
    {P_TRUEDIV, "(1, 9223372036854775807)", "1.0842021724855044e-19"},
    {P_TRUEDIV, "(123456789123456789, -987654321)", "-124999998.9859375"},
    {P_TRUEDIV, "(True, 2)", "0.5"},
    {P_FLOORDIV, "(-7, 2)", "-4"},
    {P_MOD, "(-7, 2)", "1"},
    {P_FLOORDIV, "(7, -2)", "-4"},
    {P_MOD, "(7, -2)", "-1"},
    {P_FLOORDIV, "(7, 2)", "3"},
    {P_MOD, "(7, 2)", "1"},
    {P_FLOORDIV, "(-7, -2)", "3"},
    {P_MOD, "(-7, -2)", "-1"},
    {P_FLOORDIV, "(0, 5)", "0"},
    {P_MOD, "(0, 5)", "0"},
    {P_FLOORDIV, "(0, -5)", "0"},
    {P_MOD, "(0, -5)", "0"},
    {P_FLOORDIV, "(-1, 3)", "-1"},
    {P_MOD, "(-1, 3)", "2"},
    {P_FLOORDIV, "(6, 3)", "2"},
    {P_MOD, "(6, 3)", "0"},
    {P_FLOORDIV, "(-6, 3)", "-2"},
    {P_MOD, "(-6, 3)", "0"},
    {P_FLOORDIV, "(-1.0, 3.0)", "-1.0"},
    {P_MOD, "(-1.0, 3.0)", "2.0"},
    {P_FLOORDIV, "(1.0, -3.0)", "-1.0"},
    {P_MOD, "(1.0, -3.0)", "-2.0"},
    {P_FLOORDIV, "(-0.0, 1.0)", "-0.0"},
    {P_MOD, "(-0.0, 1.0)", "0.0"},
    {P_FLOORDIV, "(0.0, -1.0)", "-0.0"},
    {P_MOD, "(0.0, -1.0)", "-0.0"},
    {P_FLOORDIV, "(-7.5, 2.0)", "-4.0"},
    {P_MOD, "(-7.5, 2.0)", "0.5"},
    {P_FLOORDIV, "(7.5, -2.0)", "-4.0"},
    {P_MOD, "(7.5, -2.0)", "-0.5"},
    {P_FLOORDIV, "(5.0, -3.0)", "-2.0"},
    {P_MOD, "(5.0, -3.0)", "-1.0"},
    {P_FLOORDIV, "(-5.0, 3.0)", "-2.0"},
    {P_MOD, "(-5.0, 3.0)", "1.0"},
    {P_FLOORDIV, "(1e+308, 1e-308)", "inf"},
    {P_MOD, "(1e+308, 1e-308)", "3.498445546245627e-309"},
    {P_FLOORDIV, "(-1.0, inf)", "-1.0"},
    {P_MOD, "(-1.0, inf)", "inf"},
    {P_FLOORDIV, "(1.0, inf)", "0.0"},
    {P_MOD, "(1.0, inf)", "1.0"},
    {P_FLOORDIV, "(-1.0, -inf)", "0.0"},
    {P_MOD, "(-1.0, -inf)", "-1.0"},
    {P_FLOORDIV, "(1.0, -inf)", "-1.0"},
    {P_MOD, "(1.0, -inf)", "-inf"},
    {P_FLOORDIV, "(3.5, 1.5)", "2.0"},
    {P_MOD, "(3.5, 1.5)", "0.5"},
    {P_FLOORDIV, "(-7, 2.0)", "-4.0"},
    {P_MOD, "(-7, 2.0)", "1.0"},
    {P_FLOORDIV, "(7.0, -2)", "-4.0"},
    {P_MOD, "(7.0, -2)", "-1.0"},
    {P_FLOORDIV, "(0.1, 0.01)", "10.0"},
    {P_MOD, "(0.1, 0.01)", "3.469446951953614e-18"},
    {P_FLOORDIV, "(1, 0)", "!integer division or modulo by zero"},
    {P_MOD, "(1, 0)", "!integer modulo by zero"},
    {P_FLOORDIV, "(True, False)", "!integer division or modulo by zero"},
    {P_FLOORDIV, "(-9223372036854775808, -1)", "-9223372036854775808"},
    {P_MOD, "(-9223372036854775808, -1)", "0"},
    {P_FLOORDIV, "(-9223372036854775808, 1)", "-9223372036854775808"},
    {P_FLOORDIV, "(1.0, 0.0)", "inf"},
    {P_FLOORDIV, "(-1.0, 0.0)", "-inf"},
    {P_FLOORDIV, "(0.0, 0.0)", "nan"},
    {P_MOD, "(1.0, 0.0)", "nan"},
    {P_MOD, "(1, 0.0)", "nan"},
    {P_POW, "(2, 10)", "1024"},
    {P_POW, "(2, -1)", "0.5"},
    {P_POW, "(-2, -2)", "0.25"},
    {P_POW, "(0, 0)", "1"},
    {P_POW, "(3, 40)", "-6289078614652622815"},
    {P_POW, "(2, 63)", "-9223372036854775808"},
    {P_POW, "(2, 64)", "0"},
    {P_POW, "(-1, 9223372036854775807)", "-1"},
    {P_POW, "(True, True)", "1"},
    {P_POW, "(0, -1)", "inf"},
    {P_POW, "(2.0, 0.5)", "1.4142135623730951"},
    {P_POW, "(-8.0, 0.5)", "nan"},
    {P_POW, "(0.0, -1.0)", "inf"},
    {P_POW, "(10.0, 400.0)", "inf"},
    {P_POW, "(-2.0, 3)", "-8.0"},
    {P_POW, "(2, 0.5)", "1.4142135623730951"},
    {P_NEG, "(5,)", "-5"},
    {P_NEG, "(True,)", "-1"},
    {P_NEG, "(0.0,)", "-0.0"},
    {P_NEG, "(-9223372036854775808,)", "-9223372036854775808"},
    {P_POS, "(True,)", "1"},
    {P_POS, "(-0.0,)", "-0.0"},
    {P_POS, "(3,)", "3"},
    {P_ABS, "(-3,)", "3"},
    {P_ABS, "(True,)", "1"},
    {P_ABS, "(-0.0,)", "0.0"},
    {P_ABS, "(-inf,)", "inf"},
    {P_ABS, "(-9223372036854775808,)", "-9223372036854775808"},
    {P_LT, "(1, 2)", "True"},
    {P_LT, "(2, 1.5)", "False"},
    {P_LE, "(1, 1.0)", "True"},
    {P_GT, "(True, 0)", "True"},
    {P_EQ, "(9007199254740993, 9007199254740992.0)", "False"},
    {P_LT, "(9007199254740992.0, 9007199254740993)", "True"},
    {P_LT, "(9223372036854775807, 9.223372036854775807e18)", "True"},
    {P_GT, "(-9223372036854775808, -9.3e18)", "True"},
    {P_LT, "(1, nan)", "False"},
    {P_GE, "(nan, nan)", "False"},
    {P_NE, "(nan, nan)", "True"},
    {P_EQ, "(nan, 1)", "False"},
    {P_LT, "(-1, -0.5)", "True"},
    {P_GT, "(-1, -1.5)", "True"},
    {P_LT, "(2, 2.5)", "True"},
    {P_EQ, "(1, True)", "True"},
    {P_EQ, "(0.0, -0.0)", "True"},
    {P_EQ, "((1, 2.0), (1.0, 2))", "True"},
    {P_EQ, "((1, 2), (1, 2, 3))", "False"},
    {P_NE, "((1,), 1)", "True"},
    {P_EQ, "(((1, (2,)), ()), ((1, (2,)), ()))", "True"},
    {P_EQ, "((), ())", "True"},
    {P_LT, "((1, 2), (1, 3))", "True"},
    {P_LT, "((1, 2), (1, 2, 0))", "True"},
    {P_GE, "((2,), (1, 5))", "True"},
    {P_LT, "(((1, 2), 0), ((1, 1), 5))", "False"},
    {P_LE, "((1, 2), (1, 2))", "True"},
    {P_LT, "((1,), 1)", "!'<' not supported between instances of 'tuple' and 'int'"},
    {P_NOT, "(0,)", "True"},
    {P_NOT, "(nan,)", "False"},
    {P_NOT, "((),)", "True"},
    {P_TRUTH, "((0,),)", "True"},
    {P_TRUTH, "(-0.0,)", "False"},
    {P_TRUTH, "(2,)", "True"},
    {P_SIN, "(0,)", "0.0"},
    {P_SQRT, "(2,)", "1.4142135623730951"},
    {P_SQRT, "(-1.0,)", "nan"},
    {P_LOG, "(0.0,)", "-inf"},
    {P_LOG, "(-1.0,)", "nan"},
    {P_EXP, "(1000.0,)", "inf"},
    {P_ATAN2, "(1, -1)", "2.356194490192345"},
    {P_MPOW, "(2, 10)", "1024.0"},
    {P_ERF, "(0.5,)", "0.5204998778130465"},
    {P_EXP, "(True,)", "2.718281828459045"},
    {P_SIN, "((1,),)", "!must be real number, not tuple"},
    {P_MIN, "(1, 2)", "1"},
    {P_MAX, "(1, 2.5)", "2.5"},
    {P_MIN, "(1, 2.5)", "1.0"},
    {P_MAX, "(nan, 1.0)", "nan"},
    {P_MAX, "(1.0, nan)", "1.0"},
    {P_MIN, "(nan, 1.0)", "nan"},
    {P_MIN, "(0.0, -0.0)", "0.0"},
    {P_MAX, "(0.0, -0.0)", "0.0"},
    {P_MAX, "(-0.0, 0.0)", "-0.0"},
    {P_MAX, "(True, False)", "True"},
    {P_MIN, "(3, True)", "True"},
    {P_FLOOR, "(-0.5,)", "-1"},
    {P_FLOOR, "(2,)", "2"},
    {P_CEIL, "(-0.5,)", "0"},
    {P_CEIL, "(1.000001,)", "2"},
    {P_INT, "(-2.7,)", "-2"},
    {P_INT, "(True,)", "1"},
    {P_INT, "(1e18,)", "1000000000000000000"},
    {P_INT, "(nan,)", "!cannot convert float NaN to integer"},
    {P_FLOOR, "(-inf,)", "!cannot convert float infinity to integer"},
    {P_CEIL, "(inf,)", "!cannot convert float infinity to integer"},
    {P_INT, "(1e19,)", "!integer overflow converting float to int"},
    {P_FLOOR, "(-9.223372036854775808e18,)", "-9223372036854775808"},
    {P_INT, "(9.223372036854775807e18,)", "!integer overflow converting float to int"},
    {P_FLOAT, "(3,)", "3.0"},
    {P_FLOAT, "(True,)", "1.0"},
    {P_FLOAT, "(-0.0,)", "-0.0"},
    {P_FLOAT, "((1,),)", "!float() argument must be a string or a real number, not 'tuple'"},
    {P_MAKE_TUPLE, "(1, 2.0, True)", "(1, 2.0, True)"},
    {P_MAKE_TUPLE, "()", "()"},
    {P_MAKE_TUPLE, "((1, 2),)", "((1, 2),)"},
    {P_GETITEM, "((1, 2, 3), 0)", "1"},
    {P_GETITEM, "((1, 2, 3), -1)", "3"},
    {P_GETITEM, "((1, 2, 3), -3)", "1"},
    {P_GETITEM, "((1, 2, 3), 3)", "!tuple index out of range"},
    {P_GETITEM, "((1, 2, 3), -4)", "!tuple index out of range"},
    {P_GETITEM, "((1, 2), 1.0)", "!tuple indices must be integers or slices, not float"},
    {P_GETITEM, "(1, 0)", "!'int' object is not subscriptable"},
    {P_SWITCH, "(True, 1, 2)", "1"},
    {P_SWITCH, "(0.0, 1, 2)", "2"},
    {P_SWITCH, "(nan, 1, 2)", "1"},
    {P_SWITCH, "(-3, 1, 2)", "1"},
    {P_RANGE_STEP, "(0, 5, 0)", "!range() arg 3 must not be zero"},
    {P_RANGE_STEP, "(5, 0, -2)", "-2"},
    {P_RANGE_COND, "(0, 5, 1)", "True"},
    {P_RANGE_COND, "(5, 5, 1)", "False"},
    {P_RANGE_COND, "(5, 0, -1)", "True"},
    {P_RANGE_COND, "(0, 0, -1)", "False"},
    {P_ADD, "((1,), 1)", "!unsupported operand type(s) for +: 'tuple' and 'int'"},
    {P_NEG, "((1,),)", "!bad operand type for unary -: 'tuple'"},
    {P_ABS, "((),)", "!bad operand type for abs(): 'tuple'"},
};

static void test_prims(void **state)
{
    (void)state;
    T *t = t_new();
    Interp *in = t_interp(t);
    StrBuf out = {0};
    int failures = 0;
    for (size_t k = 0; k < sizeof prim_cases / sizeof prim_cases[0]; k++) {
        const PrimCase *c = &prim_cases[k];
        Value tup, r;
        t->err.len = 0;
        out.len = 0;
        assert_int_equal(interp_parse_value(in, c->args, &tup, &t->err), 0);
        if (tup.kind != V_TUPLE)
            fail_msg("case %zu: arguments are not a tuple", k);
        if (interp_eval_prim(in, c->p, tup.tup->items, tup.tup->n, &r, &t->err))
            sb_printf(&out, "!%s", sb_cstr(&t->err));
        else
            value_repr(&r, &out);
        if (strcmp(sb_cstr(&out), c->expect) != 0) {
            fprintf(stderr, "%s%s: got %s, want %s\n", prim_table[c->p].name, c->args, sb_cstr(&out), c->expect);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    sb_free(&out);
    t_free(t);
}

/* ---- values ----------------------------------------------------------------------------------- */

static void test_parse_and_repr(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"1.0", "1.0"}, {"0.1", "0.1"}, {"1e16", "1e+16"}, {"1e15", "1000000000000000.0"},
        {"-0.0", "-0.0"}, {"1e-5", "1e-05"}, {"0.0001", "0.0001"}, {"123456789.123", "123456789.123"},
        {"5e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"},
        {"(1.0, 2)", "(1.0, 2)"}, {"(0.5,)", "(0.5,)"}, {"()", "()"}, {"((),)", "((),)"},
        {"(True, (False, -3))", "(True, (False, -3))"}, {"2.5e-10", "2.5e-10"}, {"-2", "-2"},
        {"9223372036854775807", "9223372036854775807"}, {"-9223372036854775808", "-9223372036854775808"},
        {"1_000", "1000"}, {" ( 1 , 2 , ) ", "(1, 2)"}, {"(1)", "1"}, {"+3", "3"}, {"1.", "1.0"},
        {".5", "0.5"}, {"1E3", "1000.0"}, {"1e22", "1e+22"}, {"0.30000000000000004", "0.30000000000000004"},
        {"100.0", "100.0"}, {"12345678901234567890.0", "1.2345678901234567e+19"}, {"-1.5e-7", "-1.5e-07"},
        {"nan", "nan"}, {"-nan", "nan"}, {"inf", "inf"}, {"-inf", "-inf"}, {"Infinity", "inf"},
        {"1e-3", "0.001"}, {"1e400", "inf"}, {"True", "True"}, {"False", "False"},
        /* ints as the language writes them */
        {"0x10", "16"}, {"-0X1f", "-31"}, {"0o17", "15"}, {"0b101", "5"}, {"0x_ff", "255"}, {"00", "0"},
        {"0_0", "0"}, {"-0x8000000000000000", "-9223372036854775808"}, {"007.5", "7.5"},
    };
    static const char *const bad[] = {
        "", "abc", "(1, 2", "1 2", "9223372036854775808", "1__0", "_1", "1_", "1e", "(,)", "True1",
        "--1", "1.2.3", ")", "(1,,)", "(1 2)", "e5", ".", "1e+", "true", "007", "0x", "0x1g", "0b2", "0o8",
        "0x__1", "0x1_", "0x8000000000000000", "0xffffffffffffffffff",
    };
    T *t = t_new();
    Interp *in = t_interp(t);
    StrBuf out = {0};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        Value v;
        t->err.len = 0;
        out.len = 0;
        if (interp_parse_value(in, ok[i][0], &v, &t->err) != 0)
            fail_msg("'%s' rejected: %s", ok[i][0], sb_cstr(&t->err));
        value_repr(&v, &out);
        if (strcmp(sb_cstr(&out), ok[i][1]) != 0)
            fail_msg("'%s' reads as %s, want %s", ok[i][0], sb_cstr(&out), ok[i][1]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Value v;
        t->err.len = 0;
        if (interp_parse_value(in, bad[i], &v, &t->err) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(strstr(sb_cstr(&t->err), "invalid value") != NULL);
    }
    /* nesting limit: an error, not a stack overflow */
    StrBuf deep = {0};
    for (int i = 0; i < 5000; i++)
        sb_putc(&deep, '(');
    t->err.len = 0;
    Value v;
    assert_int_equal(interp_parse_value(in, sb_cstr(&deep), &v, &t->err), -1);
    assert_true(strstr(sb_cstr(&t->err), "nested too deeply") != NULL);
    sb_free(&deep);
    sb_free(&out);
    t_free(t);
}

static void test_types_and_coercion(void **state)
{
    (void)state;
    T *t = t_new();
    Interp *in = t_interp(t);
    TypeTable *tt = t->m->types;
    Value v;
    StrBuf out = {0};
    assert_int_equal(interp_parse_value(in, "(1, (True, 2.5), ())", &v, &t->err), 0);
    Type *ty = interp_value_type(tt, &v);
    type_str(ty, &out);
    assert_string_equal(sb_cstr(&out), "(int, (bool, float), ())");
    /* (float, (int, float), ()) */
    Type *inner = type_tuple(tt, (Type *[]){type_int(tt), type_float(tt)}, 2);
    Type *want = type_tuple(tt, (Type *[]){type_float(tt), inner, type_tuple(tt, NULL, 0)}, 3);
    Value orig = v;
    assert_int_equal(interp_coerce(in, &v, want), 0);
    out.len = 0;
    value_repr(&v, &out);
    assert_string_equal(sb_cstr(&out), "(1.0, (1, 2.5), ())");
    out.len = 0;
    value_repr(&orig, &out);    /* the original is not changed in place */
    assert_string_equal(sb_cstr(&out), "(1, (True, 2.5), ())");
    Value f = value_float(1.5);
    assert_int_equal(interp_coerce(in, &f, type_int(tt)), -1);
    Value s = value_int(2);
    assert_int_equal(interp_coerce(in, &s, type_float(tt)), 0);
    assert_int_equal(s.kind, V_FLOAT);
    assert_int_equal(interp_coerce(in, &orig, type_float(tt)), -1);
    assert_int_equal(interp_coerce(in, &orig, type_tuple(tt, (Type *[]){type_float(tt)}, 1)), -1);
    /* pinned values survive collections until released */
    interp_gc(in);
    out.len = 0;
    value_repr(&v, &out);
    assert_string_equal(sb_cstr(&out), "(1.0, (1, 2.5), ())");
    interp_release(in);
    interp_gc(in);
    assert_int_equal(interp_stats(in).objects, 0);
    sb_free(&out);
    t_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_straight_line),
        cmocka_unit_test(test_trivial_outputs),
        cmocka_unit_test(test_loop_constant_memory),
        cmocka_unit_test(test_deep_recursion),
        cmocka_unit_test(test_closures_two_levels),
        cmocka_unit_test(test_free_variable_only_used_by_closure),
        cmocka_unit_test(test_block_parent_outside_region),
        cmocka_unit_test(test_untaken_branch),
        cmocka_unit_test(test_call_errors),
        cmocka_unit_test(test_deep_tuple),
        cmocka_unit_test(test_prims),
        cmocka_unit_test(test_parse_and_repr),
        cmocka_unit_test(test_types_and_coercion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
