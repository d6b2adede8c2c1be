/*
 * test_opt.c: the optimiser's passes (passes/opt*.c), each on its own.
 *
 * Each test compiles a small program to the `grad` stage, runs the entry
 * with the reference interpreter on a few arguments, optionally runs some
 * passes to expose what the pass under test works on, then runs that one
 * pass alone and checks:
 *
 *   - it rewrote something (its statistics count is positive);
 *   - the typed IR checker reports nothing;
 *   - the expected shape came out (the primitive or call it removes is
 *     gone, the parameter or field it drops is dropped, ...);
 *   - every result is identical to before, bit for bit.
 *
 * The last tests run every pass to the fixpoint on gradients of
 * straight-line code and check the result has no closure, no env and no
 * tuple left but the result's own.
 */
#include "compiled.h"

#include <math.h>
#include <string.h>

#include "ast.h"
#include "grad.h"
#include "infer.h"
#include "interp.h"
#include "lower.h"
#include "opt.h"

/* The entry's results on the arguments (one float per parameter, each
   argument list a string of space-separated literals), as exact text:
   floats by their bits. */
static char *results(Compiled *c, const char *const *arglists, int nlists)
{
    Graph *g = c->entry.result;
    StrBuf out = {0};
    for (int l = 0; l < nlists; l++) {
        Interp *in = interp_new(c->typed);
        Value args[8], r;
        StrBuf err = {0};
        char *copy = xstrdup(arglists[l]);
        int n = 0;
        for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
            assert_true(n < 8);
            assert_int_equal(interp_parse_value(in, tok, &args[n], &err), 0);
            assert_int_equal(interp_coerce(in, &args[n], g->params[n]->type), 0);
            n++;
        }
        assert_int_equal(n, g->nparams);
        if (interp_call(in, g, args, n, &r, &err) != 0) {
            sb_printf(&out, "error: %s;", sb_cstr(&err));
        } else if (r.kind == V_FLOAT) {
            uint64_t u;
            memcpy(&u, &r.f, sizeof u);
            sb_printf(&out, "%016llx;", (unsigned long long)u);
        } else {
            value_repr(&r, &out);
            sb_putc(&out, ';');
        }
        free(copy);
        sb_free(&err);
        interp_free(in);
    }
    char *s = xstrdup(sb_cstr(&out));
    sb_free(&out);
    return s;
}

static void check_ir(Module *m)
{
    StrBuf errs = {0};
    int bad = ir_check(m, true, &errs);
    if (bad) {
        StrBuf ir = {0};
        ir_print_module(m, NULL, 0, &ir);
        print_error("%s\n%s", sb_cstr(&ir), sb_cstr(&errs));
        sb_free(&ir);
    }
    assert_int_equal(bad, 0);
    sb_free(&errs);
}

/* Applies of primitive p in the live graphs (p == P__COUNT: calls of graph
   constants). */
static bool calls_graph(const Node *x, const void *unused)
{
    (void)unused;
    return ir_is_const_graph(x->app.in[0]);
}

static int count(Module *m, PrimId p)
{
    return p == P__COUNT ? count_nodes(m, calls_graph, NULL) : count_prim_applies(m, p);
}

static Graph *graph_named(Module *m, const char *prefix)
{
    for (int gi = 0; gi < m->graphs.len; gi++)
        if (strncmp(m->graphs.data[gi]->name, prefix, strlen(prefix)) == 0)
            return m->graphs.data[gi];
    return NULL;
}

/* Runs `prep` passes to their fixpoint, then `pass` alone; checks the
   checker, that `pass` did something, and the results. */
static Compiled *run_pass(const char *src, const char *fn, unsigned prep, OptPass pass, const char *const *args,
                          int nargs)
{
    Compiled *c = compile(src, fn, NULL);
    char *before = results(c, args, nargs);
    if (prep)
        opt_module(c->typed, prep, NULL, NULL);
    OptStats st;
    opt_module(c->typed, (1u << pass) | (prep & OPT_FAMILIES), NULL, &st);
    check_ir(c->typed);
    if (st.rewrites[pass] == 0) {
        StrBuf ir = {0};
        ir_print_module(c->typed, NULL, 0, &ir);
        fail_msg("pass '%s' changed nothing in\n%s", opt_pass_names[pass], sb_cstr(&ir));
    }
    char *after = results(c, args, nargs);
    assert_string_equal(before, after);
    free(before);
    free(after);
    return c;
}

#define ARGS(...) (const char *const[]){__VA_ARGS__}, (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))
#define ALL OPT_DEFAULT
#define ONLY(p) (1u << (p))

static void test_inline_moves_single_use_and_copies_small_leaves(void **state)
{
    (void)state;
    Compiled *c = run_pass("def _h(x):\n    return x * 2.0 + 1.0\n"
                           "def _once(x):\n    return sin(x) - x\n"
                           "def f(x):\n    return _h(x) + _h(x + 1.0) * _once(x)\n",
                           "f", 0, OPT_INLINE, ARGS("1.5", "-0.0", "nan", "1e308"));
    assert_int_equal(count(c->typed, P__COUNT), 0);
    assert_null(graph_named(c->typed, "_h"));
    assert_null(graph_named(c->typed, "_once"));
    release(c);
}

static void test_inline_copies_a_function_with_nested_graphs(void **state)
{
    (void)state;
    /* J._sq (with its backpropagator) is called twice: copied with it */
    Compiled *c = run_pass("def _sq(x):\n    return x * x\n"
                           "def f(x):\n    return _sq(x) + _sq(x + 1.0)\n"
                           "def g(x):\n    return grad(f)(x)\n",
                           "g", OPT_FAMILIES, OPT_INLINE, ARGS("0.5", "-3.0", "inf"));
    opt_module(c->typed, ALL | OPT_FAMILIES, NULL, NULL);
    check_ir(c->typed);
    assert_int_equal(count(c->typed, P__COUNT), 0);
    assert_int_equal(c->typed->graphs.len, 1);
    release(c);
}

static void test_tuple_folds_projections_of_built_tuples(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x, y):\n    t = (x * y, (x, y))\n    return t[0] + t[1][1] - t[1][0]\n", "f", 0,
                           OPT_TUPLE, ARGS("1.0 2.0", "-0.0 0.0"));
    assert_int_equal(count(c->typed, P_GETITEM), 0);
    release(c);
}

static void test_switch_with_a_constant_condition(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x):\n    if 2 > 1:\n        y = x * 3.0\n    else:\n        y = x\n    return y\n", "f",
                           ONLY(OPT_FOLD), OPT_SWITCH, ARGS("1.0", "-2.5"));
    assert_int_equal(count(c->typed, P_SWITCH), 0);
    release(c);
}

static void test_switch_condition_is_known_in_its_arms(void **state)
{
    (void)state;
    /* inside the arm `if c` selects, c is true: the inner conditional goes */
    Compiled *c = run_pass("def f(x):\n    c = x > 0.0\n    if c:\n        return x if c else 2.0\n    return -x\n", "f",
                           0, OPT_SWITCH, ARGS("1.0", "-2.5", "nan", "0.0"));
    assert_int_equal(count(c->typed, P_SWITCH), 1);
    release(c);
}

static void test_switch_pushes_projections_into_value_switches(void **state)
{
    (void)state;
    /* grad of a conditional: the env of the selected branch is read */
    Compiled *c = run_pass("def h(x):\n    if x > 0.0:\n        return x * x\n    return -x\n"
                           "def f(x):\n    return grad(h)(x)\n",
                           "f", ONLY(OPT_INLINE) | ONLY(OPT_TUPLE) | ONLY(OPT_FOLD), OPT_SWITCH,
                           ARGS("2.0", "-3.0", "0.0"));
    release(c);
}

static void test_arith_identities_are_exact(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x):\n    return (x * 1.0 + -0.0) / 1.0 - 0.0 + 1.0 * (--x)\n", "f", 0, OPT_ARITH,
                           ARGS("1.25", "-0.0", "0.0", "nan", "-inf"));
    assert_int_equal(count(c->typed, P_MUL), 0);
    assert_int_equal(count(c->typed, P_TRUEDIV), 0);
    assert_int_equal(count(c->typed, P_SUB), 0);
    assert_int_equal(count(c->typed, P_NEG), 0);
    assert_int_equal(count(c->typed, P_ADD), 1);
    release(c);
}

static void test_arith_keeps_x_plus_zero_when_x_may_be_negative_zero(void **state)
{
    (void)state;
    Compiled *c = compile("def f(x):\n    return x + 0.0\n", "f", NULL);
    char *before = results(c, ARGS("-0.0", "1.0"));
    opt_module(c->typed, ONLY(OPT_ARITH), NULL, NULL);
    assert_int_equal(count(c->typed, P_ADD), 1);
    char *after = results(c, ARGS("-0.0", "1.0"));
    assert_string_equal(before, after);
    free(before);
    free(after);
    release(c);
}

static void test_env_reads_cancel_writes(void **state)
{
    (void)state;
    /* the backpropagator of a closure returns its free variable's
       sensitivity in an env, read back by the caller's */
    Compiled *c = run_pass("def f(x):\n    g = lambda z: x * z + z\n    return g(x) * g(2.0)\n"
                           "def h(x, y):\n    return grad(f)(x) * y\n", "h",
                           ONLY(OPT_INLINE) | ONLY(OPT_TUPLE) | ONLY(OPT_FOLD), OPT_ENV,
                           ARGS("1.0 2.0", "-0.5 0.25"));
    release(c);
}

/* An env_get whose shape operand is not a constant. */
static bool reads_with_value_shape(const Node *x, const void *unused)
{
    (void)unused;
    if (!ir_is_const_prim(x->app.in[0], P_ENV_GET) || x->app.n != 4)
        return false;
    Node *w = x->app.in[3];
    return w->kind != N_CONST && !(w->kind == N_APPLY && ir_is_const_prim(w->app.in[0], P_MAKE_TUPLE));
}

static void test_env_reads_of_floats_keep_no_value(void **state)
{
    (void)state;
    /* a loop's backpropagator reads the sensitivities of a and of the
       pair p; the forward values only gave the shapes of their zeros */
    Compiled *c = compile("def f(x, a, b):\n    p = (a, b)\n    for i in range(3):\n"
                          "        x = x * a + sin(x) * p[1]\n    return x\n"
                          "def h(x, a, b):\n    return grad(f, 1)(x, a, b) + grad(f, 2)(x, a, b)\n", "h", NULL);
    const char *const args[] = {"0.5 1.5 2.0", "-0.0 0.25 -1.0"};
    assert_true(count_nodes(c->typed, reads_with_value_shape, NULL) > 0);
    char *before = results(c, args, 2);
    opt_module(c->typed, ONLY(OPT_ENV), NULL, NULL);
    check_ir(c->typed);
    assert_int_equal(count_nodes(c->typed, reads_with_value_shape, NULL), 0);
    char *after = results(c, args, 2);
    assert_string_equal(before, after);
    free(before);
    free(after);
    release(c);
}

static void test_fold_uses_the_evaluators_and_keeps_errors(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x):\n    k = 7 // 0 if x > 1e300 else 1\n    return x * (2.0 ** 0.5) + sin(1.0) + k\n", "f",
                           0, OPT_FOLD, ARGS("1.0", "1e301"));
    assert_int_equal(count(c->typed, P_SIN), 0);
    assert_int_equal(count(c->typed, P_POW), 0);
    assert_int_equal(count(c->typed, P_FLOORDIV), 1);     /* 7 // 0 still fails at run time */
    release(c);
}

static void test_cse_merges_equal_computations(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x):\n    return sin(x * 2.0) * sin(x * 2.0) + cos(x * 2.0)\n", "f", 0, OPT_CSE,
                           ARGS("0.3", "-0.0"));
    assert_int_equal(count(c->typed, P_SIN), 1);
    assert_int_equal(count(c->typed, P_MUL), 2);
    release(c);
}

static void test_dead_parameters_and_fields_go(void **state)
{
    (void)state;
    Compiled *c = run_pass("def _h(a, b):\n    return (a * 2.0, a * 3.0, b)\n"
                           "def f(x):\n    return _h(x, 1.0)[0] + _h(x + 1.0, 2.0)[1]\n",
                           "f", 0, OPT_DEAD, ARGS("1.5", "-2.0"));
    Graph *h = graph_named(c->typed, "_h");
    assert_non_null(h);
    assert_int_equal(h->nparams, 1);
    assert_int_equal(h->ret_type->n, 2);
    release(c);
}

static void test_dead_loop_variable_goes(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x):\n    s = 0.0\n    junk = 1.0\n    for i in range(5):\n"
                           "        s = s + x * i\n        junk = junk * 2.0\n    return s\n",
                           "f", 0, OPT_DEAD, ARGS("1.5"));
    release(c);
}

static void test_lift_makes_a_nested_function_top_level(void **state)
{
    (void)state;
    Compiled *c = run_pass("def f(x):\n    def g(y):\n        return x * y\n    return g(1.0) + g(2.0)\n", "f", 0, OPT_LIFT,
                           ARGS("3.0", "-0.0"));
    Graph *g = graph_named(c->typed, "f/g");
    assert_non_null(g);
    assert_null(g->parent);
    assert_int_equal(g->nparams, 2);
    release(c);
}

static void test_remat_computes_captured_arithmetic_in_the_closure(void **state)
{
    (void)state;
    /* g captures x and a; it need not capture a * x too */
    Compiled *c = run_pass("def f(x, a):\n    b = a * x\n    g = lambda y: y * b + x * a\n    return g(2.0) + g(x)\n",
                           "f", 0, OPT_REMAT, ARGS("1.5 3.0", "-0.0 2.0", "1e308 10.0"));
    Graph *g = graph_named(c->typed, "f/lambda.3");
    assert_non_null(g);
    assert_int_equal(count_prim(g, P_MUL), 3);
    release(c);
}

/* All passes to the fixpoint; the results stay those of before. */
static Compiled *optimised(const char *src, const char *fn, const char *const *args, int nargs)
{
    Compiled *c = compile(src, fn, NULL);
    char *before = results(c, args, nargs);
    opt_module(c->typed, ALL | OPT_FAMILIES, NULL, NULL);
    check_ir(c->typed);
    char *after = results(c, args, nargs);
    assert_string_equal(before, after);
    free(before);
    free(after);
    return c;
}

/* An operation that can stop the program is not dead code until its
   operands rule the error out: a value only a dropped branch read is
   still computed (as CPython computes it, before the `if`), a call too;
   one by a non-zero constant, or of floats, goes. */
static void test_dead_code_keeps_what_may_fail(void **state)
{
    (void)state;
    Compiled *c = optimised("def f(b: int):\n    v = 1 % b\n    if True: return 1\n    return v\n", "f",
                            ARGS("0", "2"));
    char *r = results(c, ARGS("0"));
    assert_string_equal(r, "error: integer modulo by zero;");
    free(r);
    assert_int_equal(count(c->typed, P_MOD), 1);
    release(c);
    c = optimised("def f(x: float):\n    k = int(x)\n    if 2 > 1:\n        return 1.0\n    return float(k)\n", "f",
                  ARGS("nan", "2.5"));
    assert_int_equal(count(c->typed, P_INT), 1);
    release(c);
    c = optimised("def _inv(b: int) -> int:\n    return 100 // b\n"
                  "def f(b: int):\n    v = _inv(b)\n    if True: return 7\n    return v\n", "f", ARGS("0", "3"));
    assert_int_equal(count(c->typed, P_FLOORDIV), 1);
    release(c);
    c = optimised("def f(b: int):\n    return (1 // b) * 0\n", "f", ARGS("0", "3"));
    assert_int_equal(count(c->typed, P_FLOORDIV), 1);
    release(c);
    /* cannot fail: dropped */
    c = optimised("def f(b: int, x: float):\n    v = b % 3 + b // -2 + (x % 0.0) + x // b\n"
                  "    if True: return b\n    return v\n", "f", ARGS("0 1.5", "-7 nan"));
    assert_int_equal(count(c->typed, P_MOD), 0);
    assert_int_equal(count(c->typed, P_FLOORDIV), 0);
    assert_int_equal(c->typed->graphs.len, 1);
    release(c);
}

/* Whether the loop code numbered `loop` holds g (g or an enclosing graph
   carries the number). */
static bool in_loop_code(const Graph *g, uint32_t loop)
{
    for (; g; g = g->parent)
        if (g->loop == loop)
            return true;
    return false;
}

/* The loop body's backpropagator (J.f:body.N:bprop): its free variables,
   after the passes, are all values of the loop's own code. */
static void check_body_bprop_keeps_only_iteration_values(Module *m, const char *body_prefix)
{
    Graph *b = NULL;
    for (int gi = 0; gi < m->graphs.len && !b; gi++) {
        Graph *g = m->graphs.data[gi];
        size_t n = strlen(g->name);
        if (strncmp(g->name, body_prefix, strlen(body_prefix)) == 0 && n > 6 && strcmp(g->name + n - 6, ":bprop") == 0)
            b = g;
    }
    assert_non_null(b);
    assert_true(b->loop != 0);
    NodeVec fv = {0};
    ir_free_variables(b, &fv);
    assert_true(fv.len > 0);
    for (int i = 0; i < fv.len; i++)
        if (!in_loop_code(fv.data[i]->graph, b->loop))
            fail_msg("%s still reads %%%s of @%s", b->name, fv.data[i]->name ? fv.data[i]->name : "?",
                     fv.data[i]->graph->name);
    vec_free(&fv);
}

/* A loop's invariants (a, b) travel along the backward pass's
   continuations instead of being captured by every iteration's bprop; an
   inner loop's invariants include the outer iteration's values. */
static void test_thread_passes_loop_invariants_along_continuations(void **state)
{
    (void)state;
    unsigned prep = ALL & ~ONLY(OPT_THREAD);
    Compiled *c = run_pass("def f(a, b, x0, n: int):\n"
                           "    x = x0\n"
                           "    for i in range(n):\n"
                           "        x = x * a + b * sin(x)\n"
                           "    return x\n"
                           "def g(a, b, x0, n: int):\n    return grad(f, (0, 1, 2))(a, b, x0, n)\n",
                           "g", prep, OPT_THREAD, ARGS("0.9 0.3 1.5 10", "-1.1 2.0 0.25 3", "0.5 0.5 0.5 0"));
    check_body_bprop_keeps_only_iteration_values(c->typed, "J.f:body");
    release(c);
    c = run_pass("def f(a, x0, n: int):\n"
                 "    x = x0\n"
                 "    for i in range(n):\n"
                 "        y = x\n"
                 "        j = 0\n"
                 "        while j < i:\n"
                 "            y = y * a + x * 0.1\n"
                 "            j += 1\n"
                 "        x = sin(y) + a\n"
                 "    return x\n"
                 "def g(a, x0, n: int):\n    return grad(f, (0, 1))(a, x0, n)\n",
                 "g", prep, OPT_THREAD, ARGS("0.9 1.5 6", "-0.4 0.25 4", "0.5 0.5 1"));
    release(c);
}

/* The gradient of straight-line code: one graph, no closure, env or tuple
   but the result's. */
static void check_straight_line(const char *src, const char *fn, const char *const *args, int nargs)
{
    Compiled *c = compile(src, fn, NULL);
    char *before = results(c, args, nargs);
    opt_module(c->typed, ALL | OPT_FAMILIES, NULL, NULL);
    check_ir(c->typed);
    char *after = results(c, args, nargs);
    assert_string_equal(before, after);
    StrBuf ir = {0};
    ir_print_module(c->typed, NULL, 0, &ir);
    if (c->typed->graphs.len != 1 || count(c->typed, P__COUNT) || count(c->typed, P_NEWENV) ||
        count(c->typed, P_ENV_SET) || count(c->typed, P_ENV_GET) || count(c->typed, P_GETITEM) ||
        count(c->typed, P_MAKE_TUPLE) > 2)
        fail_msg("not straight-line:\n%s", sb_cstr(&ir));
    sb_free(&ir);
    free(before);
    free(after);
    release(c);
}

static void test_straight_line_gradients_have_no_closures(void **state)
{
    (void)state;
    check_straight_line("def _ncdf(x):\n    return 0.5 * (1.0 + erf(x / sqrt(2.0)))\n"
                        "def price(s, k, t, r, v):\n"
                        "    d1 = (log(s / k) + (r + 0.5 * v * v) * t) / (v * sqrt(t))\n"
                        "    d2 = d1 - v * sqrt(t)\n"
                        "    return s * _ncdf(d1) - k * exp(-r * t) * _ncdf(d2)\n"
                        "def g(s, k, t, r, v):\n    return value_and_grad(price, (0, 1, 2, 3, 4))(s, k, t, r, v)\n",
                        "g", ARGS("100.0 95.0 0.5 0.02 0.2", "50.0 60.0 2.0 0.01 0.35"));
    check_straight_line("def _layer(w, b, x):\n    return tanh(w[0] * x[0] + w[1] * x[1] + b)\n"
                        "def loss(w0, w1, b):\n"
                        "    h = _layer((w0, w1), b, (0.5, -1.0))\n"
                        "    k = _layer((w1, w0), b, (1.5, 2.0))\n"
                        "    return (h - 1.0) ** 2 + (k + 0.5) ** 2\n"
                        "def g(w0, w1, b):\n    return grad(loss, (0, 1, 2))(w0, w1, b)\n",
                        "g", ARGS("0.1 -0.2 0.3", "1.0 2.0 -1.0"));
    check_straight_line("def f(x, y):\n    z = x * y\n    return sin(z) / (1.0 + z * z) + atan2(y, x)\n"
                        "def g(x, y):\n    return grad(f)(x, y)\n",
                        "g", ARGS("0.5 2.0", "-1.0 0.0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_moves_single_use_and_copies_small_leaves),
        cmocka_unit_test(test_inline_copies_a_function_with_nested_graphs),
        cmocka_unit_test(test_tuple_folds_projections_of_built_tuples),
        cmocka_unit_test(test_switch_with_a_constant_condition),
        cmocka_unit_test(test_switch_condition_is_known_in_its_arms),
        cmocka_unit_test(test_switch_pushes_projections_into_value_switches),
        cmocka_unit_test(test_arith_identities_are_exact),
        cmocka_unit_test(test_arith_keeps_x_plus_zero_when_x_may_be_negative_zero),
        cmocka_unit_test(test_env_reads_cancel_writes),
        cmocka_unit_test(test_env_reads_of_floats_keep_no_value),
        cmocka_unit_test(test_fold_uses_the_evaluators_and_keeps_errors),
        cmocka_unit_test(test_cse_merges_equal_computations),
        cmocka_unit_test(test_dead_parameters_and_fields_go),
        cmocka_unit_test(test_dead_loop_variable_goes),
        cmocka_unit_test(test_dead_code_keeps_what_may_fail),
        cmocka_unit_test(test_lift_makes_a_nested_function_top_level),
        cmocka_unit_test(test_remat_computes_captured_arithmetic_in_the_closure),
        cmocka_unit_test(test_thread_passes_loop_invariants_along_continuations),
        cmocka_unit_test(test_straight_line_gradients_have_no_closures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
