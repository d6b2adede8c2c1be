/*
 * test_check.c: ir_check accepts well-formed IR and reports each kind of
 * broken IR that can be constructed, without crashing or hanging.
 */
#include "unit.h"

#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L LOC_NONE

typedef struct T {
    Arena *arena;
    Module *m;
    Graph *f, *hd, *body, *exit;
    Node *n, *i, *acc, *i1, *acc1, *cond;
    StrBuf errs;
} T;

/* f(n): the while loop of lowering (header, body, exit). */
static T *build(void)
{
    T *t = calloc(1, sizeof *t);
    t->arena = arena_new();
    Module *m = t->m = ir_module_new(t->arena, "c.my");
    t->f = ir_graph_new(m, G_FUNCTION, "f", NULL, L);
    t->n = ir_add_param(t->f, "n", L);
    t->hd = ir_graph_new(m, G_BLOCK, "f:while.1", t->f, L);
    t->i = ir_add_param(t->hd, "i", L);
    t->acc = ir_add_param(t->hd, "acc", L);
    t->body = ir_graph_new(m, G_BRANCH, "f:body.2", t->hd, L);
    t->exit = ir_graph_new(m, G_BRANCH, "f:exit.3", t->hd, L);
    t->cond = ir_apply_prim(t->hd, P_LT, L, 2, t->i, t->n);
    Node *sw = ir_apply_prim(t->hd, P_SWITCH, L, 3, t->cond, ir_const_graph(m, t->body, L),
                             ir_const_graph(m, t->exit, L));
    ir_set_output(t->hd, ir_apply(t->hd, &sw, 1, L));
    t->i1 = ir_apply_prim(t->body, P_ADD, L, 2, t->i, ir_const_int(m, 1, L));
    t->acc1 = ir_apply_prim(t->body, P_ADD, L, 2, t->acc, t->i);
    ir_set_output(t->body, ir_apply_call(t->body, ir_const_graph(m, t->hd, L), L, 2, t->i1, t->acc1));
    ir_set_output(t->exit, t->acc);
    ir_set_output(t->f, ir_apply_call(t->f, ir_const_graph(m, t->hd, L), L, 2, ir_const_int(m, 0, L),
                                      ir_const_int(m, 0, L)));
    return t;
}

static void t_free(T *t)
{
    sb_free(&t->errs);
    ir_module_free(t->m);
    arena_free(t->arena);
    free(t);
}

/* Runs the checker; asserts the error count is `want` (or >= 1 when want
   is -1) and that the report mentions `needle`. */
static void expect(T *t, bool typed, int want, const char *needle)
{
    t->errs.len = 0;
    sb_puts(&t->errs, "");
    int n = ir_check(t->m, typed, &t->errs);
    const char *s = sb_cstr(&t->errs);
    if ((want >= 0 && n != want) || (want < 0 && n < 1) || (needle && !strstr(s, needle)))
        fail_msg("ir_check returned %d (want %d, mentioning '%s'):\n%s", n, want, needle ? needle : "", s);
    /* one line per violation */
    int lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, n);
}

static void test_valid(void **state)
{
    (void)state;
    T *t = build();
    expect(t, false, 0, NULL);
    t_free(t);
}

static void test_typed(void **state)
{
    (void)state;
    T *t = build();
    expect(t, true, -1, "has no type");
    /* type every Apply and Parameter: then it passes */
    TypeTable *tt = t->m->types;
    for (int i = 0; i < t->m->graphs.len; i++) {
        Graph *g = t->m->graphs.data[i];
        for (int k = 0; k < g->nparams; k++)
            g->params[k]->type = type_int(tt);
        NodeVec body = {0};
        ir_graph_body(g, &body);
        for (int k = 0; k < body.len; k++)
            body.data[k]->type = type_int(tt);
        vec_free(&body);
    }
    expect(t, true, 0, NULL);
    t->i1->type = NULL;
    expect(t, true, 1, "graph @f:body.2: node #");
    t_free(t);
}

/* An input owned by a sibling graph (exit's node used by body). */
static void test_sibling_input(void **state)
{
    (void)state;
    T *t = build();
    Node *x = ir_apply_prim(t->exit, P_NEG, L, 1, t->acc);
    ir_set_input(t->acc1, 2, x);
    expect(t, false, 1, "is owned by @f:exit.3, which does not enclose @f:body.2");
    t_free(t);
}

/* A node of a nested graph used by its parent. */
static void test_inner_node_used_outside(void **state)
{
    (void)state;
    T *t = build();
    ir_set_input(t->cond, 1, t->i1);
    expect(t, false, -1, "which does not enclose @f:while.1");
    t_free(t);
}

/* A graph output owned by a nested graph. */
static void test_output_scope(void **state)
{
    (void)state;
    T *t = build();
    ir_set_output(t->f, t->acc);
    expect(t, false, 1, "graph @f: output: node #");
    t_free(t);
}

/* A constant of a graph whose parent does not enclose the user. */
static void test_graph_constant_scope(void **state)
{
    (void)state;
    T *t = build();
    Graph *k = ir_graph_new(t->m, G_BRANCH, "f:k.4", t->exit, L);
    ir_set_output(k, ir_const_int(t->m, 1, L));
    ir_set_input(t->acc1, 2, ir_apply_call(t->body, ir_const_graph(t->m, k, L), L, 0));
    expect(t, false, 1, "constant @f:k.4 has parent @f:exit.3, which does not enclose @f:body.2");
    t_free(t);
}

static Use *find_use(Node *x, Node *user, int index)
{
    for (Use *u = x->uses; u; u = u->next)
        if (u->user == user && u->index == index)
            return u;
    return NULL;
}

static void unlink_use(Node *x, Use *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else
        x->uses = u->next;
    if (u->next)
        u->next->prev = u->prev;
}

static void test_use_list_missing(void **state)
{
    (void)state;
    T *t = build();
    Use *u = find_use(t->n, t->cond, 2);
    assert_non_null(u);
    unlink_use(t->n, u);
    expect(t, false, 1, "records 0 of its 1 uses");
    t_free(t);
}

static void test_use_list_stale(void **state)
{
    (void)state;
    T *t = build();
    /* change an input behind the builder's back: the old use is stale, the new one missing */
    t->acc1->app.in[1] = t->i;
    expect(t, false, 2, "which is not it");
    assert_non_null(strstr(sb_cstr(&t->errs), "use list of node #1 'i' (parameter) records 3 of its 4 uses"));
    t_free(t);
}

static void test_use_list_duplicate(void **state)
{
    (void)state;
    T *t = build();
    Use *u = find_use(t->i, t->i1, 1);
    assert_non_null(u);
    Use *dup = ARENA_NEW(t->arena, Use);
    *dup = *u;
    dup->prev = NULL;
    dup->next = t->i->uses;
    t->i->uses->prev = dup;
    t->i->uses = dup;
    /* the copy is also not the record its user keeps */
    expect(t, false, 2, "lists one use twice");
    assert_non_null(strstr(sb_cstr(&t->errs), "keeps another record of its input 1"));
    t_free(t);
}

static void test_use_list_other_record(void **state)
{
    (void)state;
    T *t = build();
    /* a user whose record of an input is another node's Use: removing the
       input would unlink the wrong list */
    Use *u = find_use(t->i, t->i1, 1);
    assert_non_null(u);
    assert_ptr_equal(t->i1->app.use[1], u);
    t->i1->app.use[1] = find_use(t->n, t->cond, 2);
    expect(t, false, 1, "keeps another record of its input 1");
    t_free(t);
}

static void test_use_list_cyclic(void **state)
{
    (void)state;
    T *t = build();
    Use *u = t->i->uses;
    while (u->next)
        u = u->next;
    u->next = t->i->uses;   /* a cycle: the checker must stop */
    expect(t, false, -1, "use list of node #");
    t_free(t);
}

static void test_use_list_wrong_output(void **state)
{
    (void)state;
    T *t = build();
    Use *u = find_use(t->acc, NULL, -1);
    assert_non_null(u);
    u->graph = t->body;
    expect(t, false, -1, "names the output of @f:body.2");
    t_free(t);
}

static void test_params(void **state)
{
    (void)state;
    T *t = build();
    t->hd->params[1]->param.index = 0;
    expect(t, false, -1, "parameter 1 has index 0");
    t_free(t);
    t = build();
    t->hd->params[1] = t->n;
    expect(t, false, -1, "parameter 1 has index 0");
    t_free(t);
    t = build();
    t->hd->params[0] = t->cond;
    expect(t, false, -1, "(lt), not a parameter");
    t_free(t);
}

static void test_no_output(void **state)
{
    (void)state;
    T *t = build();
    ir_set_output(t->exit, NULL);
    expect(t, false, 1, "graph @f:exit.3: has no output");
    t_free(t);
}

static void test_cycle(void **state)
{
    (void)state;
    T *t = build();
    Node *a = ir_apply_prim(t->f, P_MUL, L, 2, t->n, t->n);
    Node *b = ir_apply_prim(t->f, P_ADD, L, 2, a, t->n);
    ir_set_input(a, 2, b);
    ir_set_input(t->f->output, 1, b);
    expect(t, false, 1, "graph @f: the body has a cycle through node #");
    t_free(t);
}

static void test_prim_arity(void **state)
{
    (void)state;
    T *t = build();
    ir_apply_append(t->i1, t->n);
    expect(t, false, 1, "add takes 2 arguments, given 3");
    t_free(t);
    t = build();   /* variadic make_tuple takes any number */
    ir_set_output(t->exit, ir_apply_prim(t->exit, P_MAKE_TUPLE, L, 0));
    expect(t, false, 0, NULL);
    t_free(t);
}

static void test_no_callee(void **state)
{
    (void)state;
    T *t = build();
    ir_set_output(t->exit, ir_apply(t->exit, NULL, 0, L));
    expect(t, false, 1, "has no callee");
    t_free(t);
}

static void test_bad_primitive(void **state)
{
    (void)state;
    T *t = build();
    ir_set_output(t->exit, ir_apply_call(t->exit, ir_const_prim(t->m, (PrimId)P__COUNT, L), L, 0));
    expect(t, false, 1, "invalid primitive");
    t_free(t);
}

static void test_parent_cycle(void **state)
{
    (void)state;
    T *t = build();
    Graph *a = ir_graph_new(t->m, G_FUNCTION, "a", NULL, L);
    Graph *b = ir_graph_new(t->m, G_FUNCTION, "b", a, L);
    a->parent = b;
    ir_set_output(a, ir_const_int(t->m, 1, L));
    ir_set_output(b, ir_const_int(t->m, 2, L));
    expect(t, false, 2, "parent chain is cyclic");
    t_free(t);
}

/* ---- existence: every node used is computed by its owner ---------------------- */

/* rebind(0) in graph g, typed as a closure of k: what makes a closure of k
   without a constant of k (the J transform's rebind, after specialisation). */
static Node *rebind_to(T *t, Graph *g, Graph *k)
{
    Node *r = ir_apply_prim(g, P_REBIND, L, 1, ir_const_int(t->m, 0, L));
    FnRef ref = {k, -1, NULL, NULL};
    r->type = type_func(t->m->types, &ref, 1);
    return r;
}

/* g's output becomes (its output, v). */
static void also_return(Graph *g, Node *v)
{
    Node *out = g->output;
    ir_set_output(g, ir_apply_prim(g, P_MAKE_TUPLE, L, 2, out, v));
}

/* f/k, a function nested in f whose output reads x = neg(n), a node of f. */
static Graph *nested_reader(T *t, Node **x)
{
    *x = ir_apply_prim(t->f, P_NEG, L, 1, t->n);
    Graph *k = ir_graph_new(t->m, G_FUNCTION, "f/k", t->f, L);
    ir_add_param(k, "t", L);
    ir_set_output(k, ir_apply_prim(k, P_ADD, L, 2, k->params[0], *x));
    return k;
}

/* A free variable of a closure that its owner never creates: a dead graph
   (a pass may leave one until it drops it) is not checked; made by rebind,
   the closure runs, and reads what f does not compute (the shape of the
   jvp(grad(grad(grad(h)))) bug); once f creates the closure, f computes it. */
static void test_free_variable_not_computed(void **state)
{
    (void)state;
    T *t = build();
    Node *x;
    Graph *k = nested_reader(t, &x);
    expect(t, false, 0, NULL);
    also_return(t->f, rebind_to(t, t->f, k));
    expect(t, false, 1, "graph @f/k: node #");
    assert_non_null(strstr(sb_cstr(&t->errs), "(add): input 2: node #"));
    assert_non_null(strstr(sb_cstr(&t->errs), "(neg) is not computed by its owner @f (not in its body)"));
    also_return(t->f, ir_const_graph(t->m, k, L));
    expect(t, false, 0, NULL);
    t_free(t);
}

/* The same when the closure that reads x is made two levels down (k1 makes
   k2, k2 reads x), or by a block f jumps to: the body of f includes what
   the closures it creates read, transitively. */
static void test_free_variable_through_nesting(void **state)
{
    (void)state;
    T *t = build();
    Node *x = ir_apply_prim(t->f, P_NEG, L, 1, t->n);
    Graph *k1 = ir_graph_new(t->m, G_FUNCTION, "f/k1", t->f, L);
    Graph *k2 = ir_graph_new(t->m, G_FUNCTION, "f/k1/k2", k1, L);
    ir_set_output(k2, ir_apply_prim(k2, P_NEG, L, 1, x));
    ir_set_output(k1, ir_const_graph(t->m, k2, L));
    also_return(t->f, rebind_to(t, t->f, k1));
    expect(t, false, 1, "graph @f/k1/k2: node #");
    also_return(t->f, ir_const_graph(t->m, k1, L));
    expect(t, false, 0, NULL);
    t_free(t);
    /* the loop's exit reads a node of f that only the exit uses: f computes
       it, since it enters the header, whose closures read it */
    t = build();
    Node *y = ir_apply_prim(t->f, P_NEG, L, 1, t->n);
    ir_set_output(t->exit, ir_apply_prim(t->exit, P_ADD, L, 2, t->acc, y));
    expect(t, false, 0, NULL);
    t_free(t);
}

/* A node its owner's output no longer reaches, still used by a branch the
   owner creates -- then it is computed -- and by one it does not. */
static void test_node_dropped_from_body(void **state)
{
    (void)state;
    T *t = build();
    Node *y = ir_apply_prim(t->hd, P_MUL, L, 2, t->i, ir_const_int(t->m, 2, L));
    ir_set_input(t->acc1, 2, y);           /* body reads y: the header computes it */
    expect(t, false, 0, NULL);
    ir_set_input(t->acc1, 2, t->i);
    Graph *other = ir_graph_new(t->m, G_BRANCH, "f:other.5", t->hd, L);
    ir_set_output(other, ir_apply_prim(other, P_ADD, L, 2, y, ir_const_int(t->m, 1, L)));
    expect(t, false, 0, NULL);             /* nothing makes other: it never runs */
    Node *r = rebind_to(t, t->body, other);
    Node *pair = ir_apply_prim(t->body, P_MAKE_TUPLE, L, 2, t->i, r);
    ir_set_input(t->acc1, 2, ir_apply_prim(t->body, P_GETITEM, L, 2, pair, ir_const_int(t->m, 0, L)));
    expect(t, false, 1, "graph @f:other.5: node #");
    assert_non_null(strstr(sb_cstr(&t->errs), "(mul) is not computed by its owner @f:while.1"));
    t_free(t);
}

/* Dead code is not checked: a node of f that f does not compute (no path
   from its output), read by a graph nothing creates, may read another
   node f does not compute. */
static void test_dead_code_not_checked(void **state)
{
    (void)state;
    T *t = build();
    Node *x = ir_apply_prim(t->f, P_NEG, L, 1, t->n);
    Node *d = ir_apply_prim(t->f, P_ADD, L, 2, x, x);
    Graph *k = ir_graph_new(t->m, G_FUNCTION, "f/k", t->f, L);
    ir_set_output(k, ir_apply_prim(k, P_NEG, L, 1, d));
    expect(t, false, 0, NULL);
    also_return(t->f, rebind_to(t, t->f, k));     /* k runs: it reads d, which f does not compute */
    expect(t, false, 1, "graph @f/k: node #");
    assert_non_null(strstr(sb_cstr(&t->errs), "(add) is not computed by its owner @f"));
    t_free(t);
}

/* A graph's output that its owner (an ancestor) does not compute. */
static void test_output_not_computed(void **state)
{
    (void)state;
    T *t = build();
    Node *x = ir_apply_prim(t->f, P_NEG, L, 1, t->n);
    Graph *k = ir_graph_new(t->m, G_FUNCTION, "f/k", t->f, L);
    ir_set_output(k, x);
    also_return(t->f, rebind_to(t, t->f, k));
    expect(t, false, 1, "graph @f/k: output: node #");
    t_free(t);
}

/* Parameters always exist, whoever makes the closure. */
static void test_parameter_of_uncreated_closure(void **state)
{
    (void)state;
    T *t = build();
    Graph *k = ir_graph_new(t->m, G_FUNCTION, "f/k", t->f, L);
    ir_set_output(k, ir_apply_prim(k, P_NEG, L, 1, t->n));
    also_return(t->f, rebind_to(t, t->f, k));
    expect(t, false, 0, NULL);
    t_free(t);
}

/* A node of a graph removed from the module (a pass dropped the graph but
   not every use of its nodes). */
static void test_node_of_removed_graph(void **state)
{
    (void)state;
    T *t = build();
    Graph *k = ir_graph_new(t->m, G_FUNCTION, "f/k", t->f, L);
    Node *z = ir_apply_prim(k, P_NEG, L, 1, t->n);
    Graph *k2 = ir_graph_new(t->m, G_BRANCH, "f/k:b", k, L);
    ir_set_output(k2, z);
    ir_set_output(k, ir_apply_call(k, ir_const_graph(t->m, k2, L), L, 0));
    expect(t, false, 0, NULL);
    /* drop k from the module list */
    int w = 0;
    for (int i = 0; i < t->m->graphs.len; i++)
        if (t->m->graphs.data[i] != k)
            t->m->graphs.data[w++] = t->m->graphs.data[i];
    t->m->graphs.len = w;
    expect(t, false, -1, "has no owner in the module");
    t_free(t);
}

/* The existence check is linear: 20,000 nested closures, each creating the
   next, the lower half reading a value of f (a pass that scheduled each
   graph separately, walking the closures below it, would take 2 * 10^8
   steps). */
static void test_existence_deep_nesting(void **state)
{
    (void)state;
    T *t = build();
    Node *y = ir_apply_prim(t->f, P_NEG, L, 1, t->n);
    enum { DEPTH = 20000, MID = DEPTH / 2 };
    Graph **k = malloc(sizeof(Graph *) * DEPTH);
    Graph *parent = t->f;
    for (int d = 0; d < DEPTH; d++) {
        char name[32];
        snprintf(name, sizeof name, "f/k%d", d);
        k[d] = ir_graph_new(t->m, G_BRANCH, name, parent, L);
        parent = k[d];
    }
    for (int d = 0; d < DEPTH; d++) {
        Node *v = ir_apply_prim(k[d], P_ADD, L, 2, d > MID ? y : ir_const_int(t->m, 0, L), ir_const_int(t->m, d, L));
        if (d + 1 < DEPTH)
            v = ir_apply_prim(k[d], P_MAKE_TUPLE, L, 2, v, ir_const_graph(t->m, k[d + 1], L));
        ir_set_output(k[d], v);
    }
    also_return(t->f, ir_const_graph(t->m, k[0], L));
    expect(t, false, 0, NULL);
    /* k[MID] makes the next closure by rebind instead: the lower half still
       runs, but f no longer computes y, which it reads */
    ir_set_input(k[MID]->output, 2, rebind_to(t, k[MID], k[MID + 1]));
    int n = ir_check(t->m, false, &t->errs);
    assert_int_equal(n, DEPTH - MID - 1);
    free(k);
    t_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_typed),
        cmocka_unit_test(test_sibling_input),
        cmocka_unit_test(test_inner_node_used_outside),
        cmocka_unit_test(test_output_scope),
        cmocka_unit_test(test_graph_constant_scope),
        cmocka_unit_test(test_use_list_missing),
        cmocka_unit_test(test_use_list_stale),
        cmocka_unit_test(test_use_list_duplicate),
        cmocka_unit_test(test_use_list_other_record),
        cmocka_unit_test(test_use_list_cyclic),
        cmocka_unit_test(test_use_list_wrong_output),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_no_output),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_prim_arity),
        cmocka_unit_test(test_no_callee),
        cmocka_unit_test(test_bad_primitive),
        cmocka_unit_test(test_parent_cycle),
        cmocka_unit_test(test_free_variable_not_computed),
        cmocka_unit_test(test_free_variable_through_nesting),
        cmocka_unit_test(test_node_dropped_from_body),
        cmocka_unit_test(test_dead_code_not_checked),
        cmocka_unit_test(test_output_not_computed),
        cmocka_unit_test(test_parameter_of_uncreated_closure),
        cmocka_unit_test(test_node_of_removed_graph),
        cmocka_unit_test(test_existence_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
