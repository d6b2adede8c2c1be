/* test_ir.c: the IR builder, use lists and the iterative traversals (ir/ir.c). */
#include "unit.h"

#include "ir.h"

typedef struct Fixture {
    Arena *arena;
    Module *m;
} Fixture;

static int setup(void **state)
{
    Fixture *f = xcalloc(1, sizeof *f);
    f->arena = arena_new();
    f->m = ir_module_new(f->arena, "t.my");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    ir_module_free(f->m);
    arena_free(f->arena);
    free(f);
    return 0;
}

static int count_uses(const Node *n)
{
    int k = 0;
    for (Use *u = n->uses; u; u = u->next)
        k++;
    return k;
}

static void test_use_lists_follow_edits(void **state)
{
    Fixture *f = *state;
    Graph *g = ir_graph_new(f->m, G_FUNCTION, "f", NULL, LOC_NONE);
    Node *x = ir_add_param(g, "x", LOC_NONE);
    Node *y = ir_add_param(g, "y", LOC_NONE);
    Node *s = ir_apply_prim(g, P_ADD, LOC_NONE, 2, x, x);
    ir_set_output(g, s);
    assert_int_equal(count_uses(x), 2);
    assert_int_equal(count_uses(s), 1);   /* the output */
    ir_set_input(s, 2, y);
    assert_int_equal(count_uses(x), 1);
    assert_int_equal(count_uses(y), 1);
    Node *t = ir_apply_prim(g, P_MUL, LOC_NONE, 2, s, y);
    ir_replace_all_uses(s, t);            /* also moves the output use */
    assert_ptr_equal(g->output, t);
    /* t uses s itself, which must survive the replacement of s's uses */
    assert_int_equal(count_uses(s), 0);
    ir_set_input(t, 1, s);
    assert_int_equal(count_uses(s), 1);
    ir_apply_append(t, x);
    assert_int_equal(t->app.n, 4);
    assert_int_equal(count_uses(x), 2);
}

/* A chain of 200,000 additions: the traversal must be iterative and return
   every node, inputs first. */
static void test_body_of_long_chain_is_topological(void **state)
{
    Fixture *f = *state;
    Graph *g = ir_graph_new(f->m, G_FUNCTION, "f", NULL, LOC_NONE);
    Node *acc = ir_add_param(g, "x", LOC_NONE);
    enum { N = 200000 };
    for (int i = 0; i < N; i++)
        acc = ir_apply_prim(g, P_ADD, LOC_NONE, 2, acc, ir_const_int(f->m, i, LOC_NONE));
    ir_set_output(g, acc);
    NodeVec body = {0};
    ir_graph_body(g, &body);
    assert_int_equal(body.len, N);
    for (int i = 1; i < body.len; i++)
        assert_ptr_equal(body.data[i]->app.in[1], body.data[i - 1]);
    vec_free(&body);
}

/*
 * f(x): y = x * 2 is used only inside a closure nested in f, and the call of
 * that closure does not take y as an input.  The body of f must still
 * contain y, before the call.
 */
static void test_body_schedules_captured_values_first(void **state)
{
    Fixture *f = *state;
    Module *m = f->m;
    Graph *g = ir_graph_new(m, G_FUNCTION, "f", NULL, LOC_NONE);
    Node *x = ir_add_param(g, "x", LOC_NONE);
    Node *y = ir_apply_prim(g, P_MUL, LOC_NONE, 2, x, ir_const_int(m, 2, LOC_NONE));
    Graph *lam = ir_graph_new(m, G_FUNCTION, "f/lambda", g, LOC_NONE);
    /* a branch nested in the lambda reads y two levels up */
    Graph *br = ir_graph_new(m, G_BRANCH, "f/lambda:then", lam, LOC_NONE);
    ir_set_output(br, ir_apply_prim(br, P_NEG, LOC_NONE, 1, y));
    ir_set_output(lam, ir_apply_call(lam, ir_const_graph(m, br, LOC_NONE), LOC_NONE, 0));
    Node *call = ir_apply_call(g, ir_const_graph(m, lam, LOC_NONE), LOC_NONE, 0);
    ir_set_output(g, call);

    NodeVec body = {0};
    ir_graph_body(g, &body);
    assert_int_equal(body.len, 2);
    assert_ptr_equal(body.data[0], y);
    assert_ptr_equal(body.data[1], call);
    vec_free(&body);

    NodeVec fv = {0};
    ir_free_variables(lam, &fv);
    assert_int_equal(fv.len, 1);
    assert_ptr_equal(fv.data[0], y);
    fv.len = 0;
    ir_free_variables(br, &fv);
    assert_int_equal(fv.len, 1);
    vec_free(&fv);

    assert_true(ir_graph_encloses(g, br));
    assert_false(ir_graph_encloses(br, g));
    assert_ptr_equal(br->fn, lam);          /* a branch belongs to its function */
}

static void test_graph_constants_listed_once(void **state)
{
    Fixture *f = *state;
    Module *m = f->m;
    Graph *h = ir_graph_new(m, G_FUNCTION, "h", NULL, LOC_NONE);
    ir_set_output(h, ir_add_param(h, "a", LOC_NONE));
    Graph *g = ir_graph_new(m, G_FUNCTION, "g", NULL, LOC_NONE);
    Node *p = ir_add_param(g, "p", LOC_NONE);
    Node *c1 = ir_apply_call(g, ir_const_graph(m, h, LOC_NONE), LOC_NONE, 1, p);
    Node *c2 = ir_apply_call(g, ir_const_graph(m, h, LOC_NONE), LOC_NONE, 1, c1);
    ir_set_output(g, c2);
    GraphVec gs = {0};
    ir_graph_constant_graphs(g, &gs);
    assert_int_equal(gs.len, 1);
    assert_ptr_equal(gs.data[0], h);
    vec_free(&gs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_use_lists_follow_edits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_of_long_chain_is_topological, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_schedules_captured_values_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_constants_listed_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
