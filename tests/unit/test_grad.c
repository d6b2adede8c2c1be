/*
 * test_grad.c: the differentiation transforms (passes/grad.c) and the
 * derivative rules (passes/grad_rules.c).
 *
 * Each test compiles a program through inference (which builds the
 * transforms on demand), checks that the untyped module with the
 * transformed graphs in it and the specialised module both pass the IR
 * checker, runs the specialised code with the reference interpreter
 * against hand-derived values, and looks at the shape of what came out:
 * symbolic zeros (int values, constants, the branch not taken) must not
 * be computed at all.
 */
#include "compiled.h"

#include <math.h>
#include <string.h>

#include "ast.h"
#include "grad.h"
#include "infer.h"
#include "interp.h"
#include "lower.h"

static double run1(Compiled *c, double x)
{
    Interp *in = interp_new(c->typed);
    Value arg = value_float(x), out;
    StrBuf err = {0};
    int rc = interp_call(in, c->entry.result, &arg, 1, &out, &err);
    if (rc)
        print_error("%s\n", sb_cstr(&err));
    assert_int_equal(rc, 0);
    assert_int_equal(out.kind, V_FLOAT);
    double r = out.f;
    sb_free(&err);
    interp_free(in);
    return r;
}

/* The specialised graph whose name is `name`, or NULL. */
static Graph *graph_named(Module *m, const char *name)
{
    for (int i = 0; i < m->graphs.len; i++)
        if (strcmp(m->graphs.data[i]->name, name) == 0)
            return m->graphs.data[i];
    return NULL;
}

static void test_rules_of_the_builtins(void **state)
{
    (void)state;
    /* each builtin's derivative against its formula, at one point */
    static const struct { const char *expr; double x; double want; } cases[] = {
        {"sin(x)", 0.3, 0.955336489125606},             /* cos 0.3 */
        {"cos(x)", 0.3, -0.29552020666133955},
        {"tan(x)", 0.3, 1.095688915322547},             /* 1 + tan^2 */
        {"exp(x) * log(x)", 2.0, 8.816231451438375},      /* e^x (log x + 1/x) */
        {"sqrt(x)", 4.0, 0.25},
        {"x ** 3", 2.0, 12.0},
        {"pow(x, 2.5)", 4.0, 20.0},                     /* 2.5 * 4^1.5 */
        {"2.0 ** x", 3.0, 5.545177444479562},           /* 8 log 2 */
        {"atan2(x, 2.0)", 1.0, 0.4},                    /* 2 / (1 + 4) */
        {"abs(x)", -3.0, -1.0},
        {"max(x, 1.0)", 1.0, 1.0},                      /* a tie takes a */
        {"min(2.0, x)", 2.0, 0.0},
        {"erf(x)", 0.0, 1.1283791670955126},
        {"float(floor(x)) + x % 2.0", 3.5, 1.0},
        {"asin(x) + acos(x)", 0.5, 0.0},
        {"tanh(x) - sinh(x) + cosh(x)", 0.0, 0.0},
        {"log1p(x) + expm1(x)", 0.0, 2.0},
        {"x / (1.0 + x)", 1.0, 0.25},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char src[256];
        snprintf(src, sizeof src, "def f(x):\n    return %s\n\ndef d(x):\n    return grad(f)(x)\n", cases[i].expr);
        Compiled *c = compile(src, "d", NULL);
        double got = run1(c, cases[i].x);
        if (fabs(got - cases[i].want) > 1e-12 * fmax(1.0, fabs(cases[i].want)))
            fail_msg("d/dx %s at %g: got %.17g, want %.17g", cases[i].expr, cases[i].x, got, cases[i].want);
        release(c);
    }
}

static void test_int_values_have_no_sensitivity(void **state)
{
    (void)state;
    /* n is an int: nothing is computed for it, and i (the loop counter)
       gets no sensitivity either */
    Compiled *c = compile("def f(x, n: int):\n"
                          "    s = 0.0\n"
                          "    for i in range(n):\n"
                          "        s = s + x * i\n"
                          "    return s * n\n"
                          "\n"
                          "def d(x):\n"
                          "    return grad(f)(x, 4)\n",
                          "d", NULL);
    assert_true(fabs(run1(c, 1.5) - 24.0) < 1e-12);    /* n * (0 + 1 + 2 + 3) */
    Graph *b = graph_named(c->typed, "J.f:bprop");
    assert_non_null(b);
    assert_int_equal(b->ret_type->kind, T_TUPLE);
    assert_int_equal(b->ret_type->elems[2]->kind, T_ZERO);     /* d n: a symbolic zero */
    /* one product for d x... and nothing scaled by n's sensitivity */
    release(c);
}

static void test_branch_not_taken_costs_nothing(void **state)
{
    (void)state;
    /* log(x) if x > 0 else 0.0 at x = -2: the gradient is 0.0, not NaN */
    Compiled *c = compile("def f(x):\n"
                          "    return log(x) if x > 0 else 0.0\n"
                          "\n"
                          "def d(x):\n"
                          "    return grad(f)(x)\n",
                          "d", NULL);
    assert_true(run1(c, -2.0) == 0.0);
    assert_true(fabs(run1(c, 2.0) - 0.5) < 1e-15);
    release(c);
}

static void test_straight_line_bprop_has_no_closure_call_per_primitive(void **state)
{
    (void)state;
    /* primitives' rules are built in place: the bprop of a straight-line
       function calls nothing */
    Compiled *c = compile("def f(x, y):\n"
                          "    a = x * y\n"
                          "    b = sin(a) + y\n"
                          "    return a * b\n"
                          "\n"
                          "def d(x):\n"
                          "    return grad(f, 1)(x, 2.0)\n",
                          "d", NULL);
    Graph *b = graph_named(c->typed, "J.f:bprop");
    assert_non_null(b);
    NodeVec body = {0};
    ir_graph_body(b, &body);
    for (int i = 0; i < body.len; i++)
        assert_int_equal(body.data[i]->app.in[0]->kind, N_CONST);
    for (int i = 0; i < body.len; i++)
        assert_int_equal(body.data[i]->app.in[0]->k.kind, K_PRIM);
    vec_free(&body);
    assert_int_equal(count_prim(b, P_ENV_SET), 0);     /* a top-level function has no free variables */
    /* d/dy (x y (sin(x y) + y)) at x = 1.5, y = 2 */
    double x = 1.5, y = 2.0, a = x * y;
    double want = x * (sin(a) + y) + a * (cos(a) * x + 1.0);
    assert_true(fabs(run1(c, 1.5) - want) < 1e-12);
    release(c);
}

static void test_transforms_are_memoised_and_nested_correctly(void **state)
{
    (void)state;
    /* grad(grad(f)): J of f's transform; a closure capturing x differentiated */
    const char *src = "def f(x):\n"
                      "    g = lambda y: x * y * y\n"
                      "    return g(x) + g(1.0)\n"
                      "\n"
                      "def d2(x):\n"
                      "    return grad(grad(f))(x)\n";
    Compiled *c = compile(src, "d2", NULL);
    /* f = x^3 + x, f'' = 6x */
    assert_true(fabs(run1(c, 1.25) - 7.5) < 1e-12);
    release(c);

    /* The same transforms asked for directly, with a memo of our own (as
       inference does), of the module as lowering builds it. */
    Arena *arena = arena_new();
    Diags d;
    diags_init(&d, "t.my", src, strlen(src));
    Module *m = lower_module(arena, &d, parse_source(arena, &d, src, strlen(src)), "t.my");
    assert_false(diags_failed(&d));
    Graph *f = NULL;
    for (int i = 0; i < m->tops.len; i++)
        if (strcmp(m->tops.data[i].name, "f") == 0)
            f = m->tops.data[i].graph;
    assert_non_null(f);
    GradState *gs = grad_state_new(m);
    Graph *jf = grad_transform(gs, MODE_J, f);
    assert_non_null(jf);
    assert_ptr_equal(grad_transform(gs, MODE_J, f), jf);
    Graph *jjf = grad_transform(gs, MODE_J, jf);
    assert_non_null(jjf);
    assert_ptr_equal(grad_transform(gs, MODE_J, jf), jjf);
    assert_true(grad_transform(gs, MODE_F, f) != jf);
    int mode = 0;
    assert_ptr_equal(grad_source(gs, jjf, &mode), jf);
    assert_int_equal(mode, MODE_J);
    assert_ptr_equal(grad_source(gs, jf, &mode), f);
    assert_null(grad_source(gs, f, &mode));
    int transforms = 0;
    for (int i = 0; i < m->graphs.len; i++) {
        Graph *tg = m->graphs.data[i];
        Graph *from = grad_source(gs, tg, &mode);
        if (!from)
            continue;
        transforms++;
        /* a transform is nested where its source is, or in the transform of
           its source's parent */
        if (!from->parent)
            assert_null(tg->parent);
        assert_true(mode == MODE_J || mode == MODE_F);
    }
    assert_true(transforms >= 3);
    StrBuf errs = {0};
    int bad = ir_check(m, false, &errs);
    if (bad)
        print_error("%s", sb_cstr(&errs));
    assert_int_equal(bad, 0);
    sb_free(&errs);
    grad_state_free(gs);    /* the graphs stay in the module */
    assert_int_equal(ir_check(m, false, &errs), 0);
    sb_free(&errs);
    ir_module_free(m);
    diags_free(&d);
    arena_free(arena);
}

/* Whether x calls a graph or a function value (not a primitive). */
static bool calls_a_function(const Node *x, const void *arg)
{
    (void)arg;
    return !(x->app.in[0]->kind == N_CONST && x->app.in[0]->k.kind == K_PRIM);
}

static void test_loops_become_jumps_in_both_passes(void **state)
{
    (void)state;
    /* every graph of the loop's transform, forward and backward, calls
       another only in tail position: J' of a block jumps to J' of the
       next, a bprop ends by calling its continuation */
    Compiled *c = compile("def f(x, n: int):\n"
                          "    for i in range(n):\n"
                          "        if x > 100.0:\n"
                          "            x = x * 0.5\n"
                          "        else:\n"
                          "            x = x * 1.5 + 1.0\n"
                          "    return x\n"
                          "\n"
                          "def d(x):\n"
                          "    return grad(f)(x, 7)\n",
                          "d", NULL);
    int members = 0;
    Module *m = c->typed;
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        if (strncmp(g->name, "J.f:", 4) != 0 || strcmp(g->name, "J.f:bprop") == 0)
            continue;
        members++;
        NodeVec body = {0};
        ir_graph_body(g, &body);
        for (int i = 0; i < body.len; i++)
            if (calls_a_function(body.data[i], NULL))
                assert_ptr_equal(body.data[i], g->output);
        vec_free(&body);
    }
    assert_true(members >= 12);     /* for, body, if, else, endif, exit, endfor and their bprops */
    /* x <- 1.5 x + 1 seven times from 1 (never above 100): d = 1.5^7; from
       60: 91, 137.5, 68.75, 104.125, 52.0625, 79.09375, 119.640625 */
    assert_true(run1(c, 1.0) == 17.0859375);
    assert_true(fabs(run1(c, 60.0) - 1.5 * 1.5 * 0.5 * 1.5 * 0.5 * 1.5 * 1.5) < 1e-15);
    release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_of_the_builtins),
        cmocka_unit_test(test_int_values_have_no_sensitivity),
        cmocka_unit_test(test_branch_not_taken_costs_nothing),
        cmocka_unit_test(test_straight_line_bprop_has_no_closure_call_per_primitive),
        cmocka_unit_test(test_transforms_are_memoised_and_nested_correctly),
        cmocka_unit_test(test_loops_become_jumps_in_both_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
