/*
 * test_closure.c: closure conversion (passes/closure.c).
 *
 * Each test compiles a small program through parse, lowering, inference
 * and the `grad` stage (every differentiation operator expanded), runs an
 * exported function with the reference interpreter on a few arguments,
 * converts the module, and checks what closure.h promises:
 *
 *   - the typed IR checker reports nothing;
 *   - every graph is top level, and exactly its last nfree parameters
 *     have param.captured set;
 *   - a graph constant with free variables is never a value any more:
 *     only the callee of a direct call (passing all of its parameters) or
 *     the code of a make_closure (binding exactly its nfree parameters,
 *     with values of their types);
 *
 * and runs the function again: every result must be identical, bit for
 * bit.  The last test looks at closure_free_vars itself on loops: the
 * least solution, in which a block's own nodes never count as free in
 * the blocks that jump back to it.
 */
#include "compiled.h"

#include <math.h>
#include <string.h>

#include "ast.h"
#include "closure.h"
#include "grad.h"
#include "infer.h"
#include "interp.h"
#include "lower.h"

/* ---- results, bit for bit ------------------------------------------------------ */

/* A canonical text of v that tells apart any two different values: floats
   by their bits (so -0.0, 0.0 and NaN payloads differ), closures by graph. */
static void value_bits(const Value *v, StrBuf *out)
{
    switch (v->kind) {
    case V_FLOAT: {
        uint64_t u;
        memcpy(&u, &v->f, sizeof u);
        sb_printf(out, "f:%016llx(%.17g)", (unsigned long long)u, v->f);
        break;
    }
    case V_INT:
        sb_printf(out, "i:%lld", (long long)v->i);
        break;
    case V_BOOL:
        sb_printf(out, "b:%d", v->b ? 1 : 0);
        break;
    case V_TUPLE:
        sb_putc(out, '(');
        for (int i = 0; i < v->tup->n; i++) {
            if (i)
                sb_puts(out, ", ");
            value_bits(&v->tup->items[i], out);
        }
        sb_putc(out, ')');
        break;
    case V_CLOSURE:
        sb_printf(out, "<closure %s>", v->clo->graph->name);
        break;
    default:
        value_repr(v, out);
        break;
    }
}

/* Runs g on the arguments (Python literals, converted to g's parameter
   types); the result as value_bits, or "error: ..." (a fresh string). */
static char *run(Module *m, Graph *g, const char *const *argv, int n)
{
    Interp *in = interp_new(m);
    Value args[8], r;
    StrBuf err = {0}, out = {0};
    assert_true(n <= 8);
    for (int i = 0; i < n; i++) {
        assert_int_equal(interp_parse_value(in, argv[i], &args[i], &err), 0);
        assert_int_equal(interp_coerce(in, &args[i], g->params[i]->type), 0);
    }
    if (interp_call(in, g, args, n, &r, &err) != 0)
        sb_printf(&out, "error: %s", sb_cstr(&err));
    else
        value_bits(&r, &out);
    char *s = xstrdup(sb_cstr(&out));
    sb_free(&err);
    sb_free(&out);
    interp_free(in);
    return s;
}

/* ---- what closure conversion guarantees --------------------------------------- */

static void check_converted(Module *m)
{
    StrBuf errs = {0};
    int bad = ir_check(m, true, &errs);
    if (bad) {
        StrBuf ir = {0};
        ir_print_module(m, NULL, 0, &ir);
        print_error("%s\nafter closure conversion:\n%s", sb_cstr(&ir), sb_cstr(&errs));
        sb_free(&ir);
    }
    assert_int_equal(bad, 0);
    sb_free(&errs);

    NodeVec body = {0};
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        if (g->parent)
            fail_msg("@%s still has a parent, @%s", g->name, g->parent->name);
        assert_true(g->nfree >= 0 && g->nfree <= g->nparams);
        for (int i = 0; i < g->nparams; i++) {
            Node *p = g->params[i];
            bool trailing = i >= g->nparams - g->nfree;
            if (trailing && !p->param.captured)
                fail_msg("@%s: parameter %d of %d (nfree %d) has no captured variable", g->name, i, g->nparams,
                         g->nfree);
            if (!trailing && p->param.captured)
                fail_msg("@%s: parameter %d of %d (nfree %d) is not trailing but captured", g->name, i,
                         g->nparams, g->nfree);
            if (trailing) {
                /* it stands for a variable of another graph, of its type */
                assert_true(p->param.captured->graph != g);
                assert_true(p->type == p->param.captured->type);
            }
        }
        /* graph constants with free variables: callees and make_closure codes only */
        body.len = 0;
        ir_graph_body(g, &body);
        for (int i = 0; i < body.len; i++) {
            Node *a = body.data[i];
            bool mc = ir_is_const_prim(a->app.in[0], P_MAKE_CLOSURE);
            if (mc) {
                assert_true(a->app.n >= 2);
                assert_true(ir_is_const_graph(a->app.in[1]));
                Graph *k = a->app.in[1]->k.u.graph;
                if (k->nfree == 0 || a->app.n != 2 + k->nfree)
                    fail_msg("@%s: make_closure(@%s) binds %d values, nfree %d", g->name, k->name, a->app.n - 2,
                             k->nfree);
                for (int j = 0; j < k->nfree; j++)
                    assert_true(a->app.in[2 + j]->type == k->params[k->nparams - k->nfree + j]->type);
            }
            for (int j = 0; j < a->app.n; j++) {
                Node *x = a->app.in[j];
                if (!ir_is_const_graph(x) || x->k.u.graph->nfree == 0)
                    continue;
                Graph *k = x->k.u.graph;
                if (j == 0) {
                    if (a->app.n - 1 != k->nparams)
                        fail_msg("@%s: direct call of @%s with %d arguments, %d parameters", g->name, k->name,
                                 a->app.n - 1, k->nparams);
                } else if (!(mc && j == 1)) {
                    fail_msg("@%s: @%s (nfree %d) used as a value, input %d", g->name, k->name, k->nfree, j);
                }
            }
        }
        if (ir_is_const_graph(g->output) && g->output->k.u.graph->nfree)
            fail_msg("@%s returns @%s (nfree %d) as a value", g->name, g->output->k.u.graph->name,
                     g->output->k.u.graph->nfree);
    }
    vec_free(&body);
}

/* A program, its entry `fn` specialised for `sig`, and the argument lists
   (Python literals, strlen(sig) of them) to run it on. */
typedef struct Case {
    const char *what;
    const char *src;
    const char *fn;
    const char *sig;
    const char *args[6][4];     /* up to 6 argument lists; the first empty one ends them */
} Case;

/* Compiles t, runs it on each argument list, converts, checks and runs
   again: identical results.  expect_prim (0: none) is a primitive the
   program must use, as many times after conversion as before.  Returns
   the number of make_closure nodes conversion made. */
static int convert_and_compare(const Case *t, PrimId expect_prim)
{
    Compiled *c = compile(t->src, t->fn, t->sig);
    int nargs = (int)strlen(t->sig);
    char *before[6] = {0};
    int ncases = 0;
    while (ncases < 6 && t->args[ncases][0])
        ncases++;
    assert_true(ncases > 0);
    for (int k = 0; k < ncases; k++) {
        before[k] = run(c->typed, c->entry.result, t->args[k], nargs);
        if (strncmp(before[k], "error", 5) == 0)
            fail_msg("%s: before conversion: %s", t->what, before[k]);
    }
    int nprim = expect_prim ? count_prim_applies(c->typed, expect_prim) : 0;
    if (expect_prim)
        assert_true(nprim > 0);
    closure_convert(c->typed);
    check_converted(c->typed);
    assert_null(c->entry.result->parent);
    assert_int_equal(c->entry.result->nfree, 0);
    for (int k = 0; k < ncases; k++) {
        char *after = run(c->typed, c->entry.result, t->args[k], nargs);
        if (strcmp(before[k], after) != 0) {
            StrBuf ir = {0};
            ir_print_module(c->typed, NULL, 0, &ir);
            print_error("%s\n", sb_cstr(&ir));
            sb_free(&ir);
            fail_msg("%s, arguments %d: before conversion %s, after %s", t->what, k, before[k], after);
        }
        free(after);
        free(before[k]);
    }
    int made = count_prim_applies(c->typed, P_MAKE_CLOSURE);
    if (expect_prim)
        assert_int_equal(count_prim_applies(c->typed, expect_prim), nprim);
    release(c);
    return made;
}

/* ---- the programs ---------------------------------------------------------------- */

static void test_nested_closures_two_deep(void **state)
{
    (void)state;
    static const Case t = {
        "two deep",
        "def f(x, y):\n"
        "    def g(a):\n"
        "        def h(b):\n"
        "            return a * b + x\n"
        "        return h(y) + h(a) * 0.5\n"
        "    k = g(x + 1.0)\n"
        "    return k + g(y)\n",
        "f", "ff",
        {{"1.5", "2.0"}, {"-0.25", "3.0"}, {"0.1", "-0.0"}, {"1e300", "1e10"}},
    };
    convert_and_compare(&t, 0);
}

static void test_nested_closures_three_deep(void **state)
{
    (void)state;
    /* k reads a variable of each of its three enclosing graphs; g returns
       h, a closure over g's frame, called from f */
    static const Case t = {
        "three deep",
        "def f(x, y):\n"
        "    def g(a):\n"
        "        def h(b):\n"
        "            def k(c):\n"
        "                return a * b * c + x - y\n"
        "            return k(b + 1.0) + k(a)\n"
        "        return h\n"
        "    p = g(x)\n"
        "    q = g(y)\n"
        "    return p(y) + q(x) * p(0.5)\n",
        "f", "ff",
        {{"1.5", "2.0"}, {"-0.25", "3.0"}, {"0.1", "nan"}, {"7.0", "-7.0"}},
    };
    assert_true(convert_and_compare(&t, 0) >= 1);      /* h is returned */
}

static void test_closure_captured_in_a_loop(void **state)
{
    (void)state;
    /* h is made before the loop and called in every iteration, g is made
       in every iteration and captures the loop's own variables */
    static const Case t = {
        "captured in a loop",
        "def f(x, n: int):\n"
        "    k = x * 0.5\n"
        "    h = lambda t: t * k + 1.0\n"
        "    s = 0.0\n"
        "    i = 0\n"
        "    while i < n:\n"
        "        j = i * 2\n"
        "        g = lambda t: h(t) * x + j\n"
        "        s = g(s)\n"
        "        i += 1\n"
        "    return s + h(x)\n",
        "f", "fi",
        {{"1.5", "0"}, {"0.75", "5"}, {"-1.25", "9"}, {"0.1", "30"}},
    };
    assert_true(convert_and_compare(&t, 0) >= 1);
}

static void test_mutually_recursive_nested_defs(void **state)
{
    (void)state;
    static const Case t = {
        "mutual recursion",
        "def f(n: int, x):\n"
        "    y = x * 3.0\n"
        "    def even(k: int):\n"
        "        return y if k == 0 else odd(k - 1) * 0.5 + x\n"
        "    def odd(k: int):\n"
        "        return -x if k == 0 else even(k - 1) - y\n"
        "    return even(n) + odd(n)\n",
        "f", "if",
        {{"0", "1.5"}, {"1", "1.5"}, {"7", "-0.3"}, {"40", "2.0"}},
    };
    convert_and_compare(&t, 0);
}

static void test_lambda_returned_and_called_later(void **state)
{
    (void)state;
    static const Case t = {
        "returned lambda",
        "def adder(a, b):\n"
        "    c = a * b\n"
        "    return lambda t: t + c - a\n"
        "\n"
        "def f(x, y):\n"
        "    p = adder(x, y)\n"
        "    q = adder(y, 2.0)\n"
        "    z = x * y\n"
        "    return p(q(z)) - q(x)\n",
        "f", "ff",
        {{"1.5", "2.0"}, {"-0.5", "0.25"}, {"1e-300", "1e-300"}, {"inf", "1.0"}},
    };
    assert_true(convert_and_compare(&t, 0) >= 1);
}

static void test_higher_order_with_two_closures(void **state)
{
    (void)state;
    /* twice is specialised for each closure; apply2 receives a value that
       is either closure (fn{...} of two graphs with different free
       variables) */
    static const Case t = {
        "two closures",
        "def twice(g, v):\n"
        "    return g(g(v))\n"
        "\n"
        "def apply2(g, v, w):\n"
        "    return g(v) * g(w)\n"
        "\n"
        "def f(x, y):\n"
        "    a = twice(lambda t: t * x, y)\n"
        "    b = twice(lambda t: t + y - x, x)\n"
        "    z = x * 2.0\n"
        "    h = (lambda t: t * z) if x > y else (lambda t: t - y)\n"
        "    return a + b + apply2(h, x, y)\n",
        "f", "ff",
        {{"1.5", "2.0"}, {"2.0", "1.5"}, {"-3.0", "-4.0"}, {"0.0", "-0.0"}},
    };
    assert_true(convert_and_compare(&t, 0) >= 2);
}

static void test_while_with_break_in_an_if(void **state)
{
    (void)state;
    static const Case t = {
        "break in an if",
        "def f(x, n: int):\n"
        "    s = 0.0\n"
        "    i = 0\n"
        "    while True:\n"
        "        if s > x:\n"
        "            break\n"
        "        s = s + i * 0.5\n"
        "        i += 1\n"
        "        if i > n:\n"
        "            s = -s\n"
        "            break\n"
        "    return s + i\n",
        "f", "fi",
        {{"3.0", "10"}, {"100.0", "10"}, {"-1.0", "3"}, {"1e3", "100"}},
    };
    convert_and_compare(&t, 0);
}

static void test_for_with_continue(void **state)
{
    (void)state;
    static const Case t = {
        "continue",
        "def f(x, n: int):\n"
        "    s = 0.0\n"
        "    for i in range(n):\n"
        "        if i % 3 == 1:\n"
        "            continue\n"
        "        s = s * 0.5 + x * i\n"
        "        if s > 100.0:\n"
        "            continue\n"
        "        s = s + 1.0\n"
        "    return s\n",
        "f", "fi",
        {{"1.5", "0"}, {"1.5", "10"}, {"40.0", "20"}, {"-0.1", "7"}},
    };
    convert_and_compare(&t, 0);
}

static void test_grad_of_a_function_with_a_closure(void **state)
{
    (void)state;
    static const Case t = {
        "grad with a closure",
        "def f(x, y):\n"
        "    g = lambda t: sin(t * x) + y\n"
        "    return g(x) * g(y)\n"
        "\n"
        "def d(x, y):\n"
        "    return grad(f)(x, y) + grad(f, 1)(x, y)\n",
        "d", "ff",
        {{"0.5", "2.0"}, {"-1.25", "0.3"}, {"3.0", "3.0"}},
    };
    convert_and_compare(&t, P_REBIND);
}

static void test_grad_of_grad(void **state)
{
    (void)state;
    /* f = x^3 + exp(x); f'' = 6x + exp(x) */
    static const Case t = {
        "grad(grad(f))",
        "def f(x):\n"
        "    g = lambda y: x * y * y\n"
        "    return g(x) + exp(g(1.0))\n"
        "\n"
        "def d2(x):\n"
        "    return grad(grad(f))(x)\n",
        "d2", "f",
        {{"1.25"}, {"-0.5"}, {"2.0"}},
    };
    convert_and_compare(&t, P_REBIND);
    Compiled *c = compile(t.src, t.fn, t.sig);
    closure_convert(c->typed);
    char *r = run(c->typed, c->entry.result, t.args[0], 1);
    double want = 6 * 1.25 + exp(1.25);
    double got = strtod(strchr(r, '(') + 1, NULL);
    if (fabs(got - want) > 1e-12 * want)
        fail_msg("f''(1.25) = %s, want %.17g", r, want);
    free(r);
    release(c);

    /* the same of a local closure: the transforms of a closure value, made
       by rebind, bind what the closure bound */
    static const Case t2 = {
        "grad(grad(closure))",
        "def d2(x):\n"
        "    y = x * 2.0\n"
        "    g = lambda t: t * t * t * y + sin(t * x)\n"
        "    return grad(grad(g))(x)\n",
        "d2", "f",
        {{"1.5"}, {"-0.5"}, {"0.0"}},
    };
    convert_and_compare(&t2, P_REBIND);
}

/* A rebind whose result is a closure binding free variables. */
static bool rebinds_with_free_vars(const Node *a, const void *unused)
{
    (void)unused;
    if (!ir_is_const_prim(a->app.in[0], P_REBIND) || !a->type || a->type->kind != T_FUNC)
        return false;
    for (int j = 0; j < a->type->n; j++)
        if (a->type->fns[j].graph && a->type->fns[j].graph->nfree > 0)
            return true;
    return false;
}

static void test_jvp_of_grad(void **state)
{
    (void)state;
    /* Hessian-vector products: J and Jfwd applied to function values go
       through rebind, which must find the transform's free variables among
       those of the closure it rebinds (g's: y and x) */
    static const Case t = {
        "jvp(grad(f))",
        "def f(x):\n"
        "    h = lambda t: t * sin(x)\n"
        "    return x * h(x)\n"
        "\n"
        "def hvp(x, v):\n"
        "    y = sin(x)\n"
        "    g = lambda t: t * t * y + exp(t * x)\n"
        "    a = jvp(grad(g), (x,), (v,))\n"
        "    b = jvp(grad(f), (x,), (v,))\n"
        "    return (a, b)\n",
        "hvp", "ff",
        {{"1.0", "2.0"}, {"-0.5", "1.0"}, {"3.0", "-0.0"}},
    };
    Compiled *c = compile(t.src, t.fn, t.sig);
    closure_convert(c->typed);
    assert_true(count_nodes(c->typed, rebinds_with_free_vars, NULL) > 0);
    /* at x = 1, v = 2: g'(1) = 2 sin 1 + e, g''(1) v = 2 (2 sin 1 + e) */
    const char *const args[] = {"1.0", "2.0"};
    char *r = run(c->typed, c->entry.result, args, 2);
    char want[64];
    snprintf(want, sizeof want, "(%.17g)", 2 * sin(1.0) + exp(1.0));
    if (!strstr(r, want))
        fail_msg("hvp(1, 2) = %s, want g'(1) = %s first", r, want);
    free(r);
    release(c);
    convert_and_compare(&t, P_REBIND);
}

static void test_value_and_grad_of_a_loop(void **state)
{
    (void)state;
    static const Case t = {
        "value_and_grad of a loop",
        "def f(x, n: int):\n"
        "    s = x\n"
        "    for i in range(n):\n"
        "        s = sin(s) * x + i\n"
        "    return s\n"
        "\n"
        "def vg(x, n: int):\n"
        "    return value_and_grad(f)(x, n)\n",
        "vg", "fi",
        {{"0.5", "0"}, {"0.5", "5"}, {"-1.5", "12"}, {"2.0", "1"}},
    };
    convert_and_compare(&t, P_REBIND);
}

/* ---- closure_free_vars: the least solution ------------------------------------ */

static Graph *graph_with_prefix(Module *m, const char *prefix, int nth)
{
    for (int i = 0; i < m->graphs.len; i++)
        if (strncmp(m->graphs.data[i]->name, prefix, strlen(prefix)) == 0 && nth-- == 0)
            return m->graphs.data[i];
    return NULL;
}

static bool has_node(const NodeVec *v, const Node *x)
{
    for (int i = 0; i < v->len; i++)
        if (v->data[i] == x)
            return true;
    return false;
}

/* The free variables of g (from fv) as "name:owner ..." in their order. */
static char *describe(const FreeVars *fv, const Graph *g)
{
    StrBuf s = {0};
    const NodeVec *v = &fv->fv[g->id];
    for (int i = 0; i < v->len; i++)
        sb_printf(&s, "%s%s@%s", i ? " " : "", v->data[i]->name ? v->data[i]->name : "?", v->data[i]->graph->name);
    char *r = xstrdup(sb_cstr(&s));
    sb_free(&s);
    return r;
}

static void test_free_vars_of_a_loop_are_the_least_solution(void **state)
{
    (void)state;
    /* The header computes mul(i, i) and lt(...) that only it uses; the
       body reads i and s of the header and x of f, and jumps back to the
       header, which reads n of f.  The body's free variables are exactly
       {i, s, x, n}: the header's own nodes (its parameters are the body's
       free variables only because the body reads them), none of the
       header's computations.  The nested loop's body likewise. */
    Compiled *c = compile("def f(x, n: int):\n"
                          "    s = 0.0\n"
                          "    i = 0\n"
                          "    while i * i < n:\n"
                          "        s = s + x\n"
                          "        j = 0\n"
                          "        while j + i < n:\n"
                          "            s = s * 0.5 + x\n"
                          "            j += 1\n"
                          "        i += 1\n"
                          "    return s\n",
                          "f", "fi");
    Module *m = c->typed;
    FreeVars fv = {0};
    closure_free_vars(m, &fv);
    assert_int_equal(fv.n, m->ngraph_ids);

    /* everything is either read by the graph or needed by a graph it uses;
       nothing is owned by the graph itself, nothing is a constant, nothing
       comes twice, and everything is owned by a strict ancestor */
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        const NodeVec *v = &fv.fv[g->id];
        for (int i = 0; i < v->len; i++) {
            Node *x = v->data[i];
            assert_true(x->kind != N_CONST);
            assert_true(x->graph != g);
            assert_true(ir_graph_encloses(x->graph, g));
            for (int j = 0; j < i; j++)
                assert_true(v->data[j] != x);
        }
    }

    Graph *f = c->entry.result;
    Graph *outer = graph_with_prefix(m, "f:while.", 0), *inner = graph_with_prefix(m, "f:while.", 1);
    Graph *obody = graph_with_prefix(m, "f:body.", 0), *ibody = graph_with_prefix(m, "f:body.", 1);
    assert_non_null(outer);
    assert_non_null(inner);
    assert_non_null(obody);
    assert_non_null(ibody);
    assert_true(obody->parent == outer);
    assert_true(ibody->parent == inner);

    /* the outer header reads n; the body reads x and the header's i and s */
    assert_int_equal(fv.fv[f->id].len, 0);
    char *d = describe(&fv, outer);
    if (strcmp(d, "n@f") != 0 && strcmp(d, "n@f x@f") != 0 && strcmp(d, "x@f n@f") != 0)
        fail_msg("fv(@%s) = {%s}", outer->name, d);
    free(d);
    const NodeVec *ob = &fv.fv[obody->id];
    for (int i = 0; i < ob->len; i++) {
        Node *x = ob->data[i];
        /* the header's nodes in the body's free variables: only its
           parameters (the body reads them), never mul(i, i) or lt */
        if (x->graph == outer && x->kind != N_PARAM) {
            d = describe(&fv, obody);
            fail_msg("fv(@%s) = {%s}: has a computation of its loop header", obody->name, d);
        }
    }
    assert_true(has_node(ob, f->params[0]));          /* x */
    assert_true(has_node(ob, f->params[1]));          /* n: the jump back to the header needs it */
    for (int i = 0; i < outer->nparams; i++)
        assert_true(has_node(ob, outer->params[i]));   /* i, s */
    assert_int_equal(ob->len, 2 + outer->nparams);

    /* the inner loop: its body reads the inner header's parameters and x,
       and the inner header reads i of the outer header and n of f */
    const NodeVec *ib = &fv.fv[ibody->id];
    for (int i = 0; i < ib->len; i++) {
        Node *x = ib->data[i];
        if ((x->graph == inner || x->graph == outer || x->graph == obody) && x->kind != N_PARAM) {
            d = describe(&fv, ibody);
            fail_msg("fv(@%s) = {%s}: has a computation only a header uses", ibody->name, d);
        }
    }
    for (int i = 0; i < inner->nparams; i++)
        assert_true(has_node(ib, inner->params[i]));
    assert_true(has_node(ib, f->params[0]));
    assert_true(has_node(ib, f->params[1]));
    /* nothing the header alone computes in the header's own set either */
    const NodeVec *ih = &fv.fv[inner->id];
    for (int i = 0; i < ih->len; i++)
        assert_true(ih->data[i]->graph != inner);

    /* the least solution is what conversion uses: exactly those become
       trailing parameters */
    uint32_t obody_id = obody->id;
    int ob_len = ob->len;
    closure_free_vars_free(&fv);
    closure_convert(m);
    check_converted(m);
    Graph *ob2 = NULL;
    for (int i = 0; i < m->graphs.len; i++)
        if (m->graphs.data[i]->id == obody_id)
            ob2 = m->graphs.data[i];
    assert_non_null(ob2);
    assert_int_equal(ob2->nfree, ob_len);
    const char *const args[] = {"0.5", "20"};
    char *r = run(m, c->entry.result, args, 2);
    assert_true(strncmp(r, "f:", 2) == 0);
    free(r);
    release(c);
}

static void test_free_vars_of_a_straight_line_program_are_empty(void **state)
{
    (void)state;
    Compiled *c = compile("def f(x, y):\n    return x * y + 1.0\n", "f", "ff");
    FreeVars fv = {0};
    closure_free_vars(c->typed, &fv);
    for (uint32_t i = 0; i < fv.n; i++)
        assert_int_equal(fv.fv[i].len, 0);
    closure_free_vars_free(&fv);
    closure_convert(c->typed);
    check_converted(c->typed);
    assert_int_equal(count_prim_applies(c->typed, P_MAKE_CLOSURE), 0);
    release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_closures_two_deep),
        cmocka_unit_test(test_nested_closures_three_deep),
        cmocka_unit_test(test_closure_captured_in_a_loop),
        cmocka_unit_test(test_mutually_recursive_nested_defs),
        cmocka_unit_test(test_lambda_returned_and_called_later),
        cmocka_unit_test(test_higher_order_with_two_closures),
        cmocka_unit_test(test_while_with_break_in_an_if),
        cmocka_unit_test(test_for_with_continue),
        cmocka_unit_test(test_grad_of_a_function_with_a_closure),
        cmocka_unit_test(test_grad_of_grad),
        cmocka_unit_test(test_jvp_of_grad),
        cmocka_unit_test(test_value_and_grad_of_a_loop),
        cmocka_unit_test(test_free_vars_of_a_loop_are_the_least_solution),
        cmocka_unit_test(test_free_vars_of_a_straight_line_program_are_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
