/*
 * opt_switch.c: switch simplification.
 *
 * Assumes a fresh analysis (opt_pass.h).  Rewrites
 *
 *   switch(k, a, b)            -> a or b, for a constant condition k
 *   switch(c, a, a)            -> a
 *   k inside A, B              -> true inside A, false inside B, for
 *                                 switch(k, @A, @B) when A and B are
 *                                 branches nothing else selects (a
 *                                 closure of A exists only where k is
 *                                 true; a loop body's bprop stops
 *                                 capturing and testing the loop's
 *                                 condition)
 *   sens_add(switch(c, a, b), switch(c, d, e))
 *                              -> switch(c, a + d, b + e) when a or d, and
 *                                 b or e, is a zero (the sums are then the
 *                                 other operand: nothing is computed)
 *   getitem(switch(c, a, b), i) -> switch(c, getitem(a, i), getitem(b, i))
 *                                 when a or b is a make_tuple (the
 *                                 projections then fold; both are cheap
 *                                 and cannot fail)
 *   getitem(switch(c, @A, @B)(), i)
 *                              -> switch(c, @A', @B')() where A and B now
 *                                 return item i of what they returned, when
 *                                 the call is that getitem's only use and
 *                                 A and B are used by this switch only
 *                                 (the projection moves into the branches,
 *                                 where it meets the make_tuple)
 *
 * Guarantees: the same value on every path.  switch evaluates both of its
 * operands in any case (they are values), so nothing that could fail is
 * added or removed.
 */
#include "opt_pass.h"

static bool const_truth(const Node *k, bool *v)
{
    if (k->kind != N_CONST)
        return false;
    switch (k->k.kind) {
    case K_BOOL: *v = k->k.u.b; return true;
    case K_INT: *v = k->k.u.i != 0; return true;
    default: return false;
    }
}

/* The projection x (getitem(_, i)) of tuple t instead. */
static Node *projection_of(Node *x, Node *t)
{
    return opt_apply_prim(x->graph, x->type, P_GETITEM, x->loc, 2, t, x->app.in[2]);
}

static bool only_use(const Node *x, const Node *user, int index)
{
    return x->uses && !x->uses->next && x->uses->user == user && x->uses->index == index;
}

/* getitem(switch(c, @A, @B)(), i): the projection moves into A and B. */
static int push_into_branches(OptCtx *c, Node *x)
{
    Node *call = x->app.in[1];
    if (call->kind != N_APPLY || call->app.n != 1 || !only_use(call, x, 1))
        return 0;
    Node *s = call->app.in[0];
    if (!opt_is_prim(s, P_SWITCH) || s->app.n != 4 || !only_use(s, call, 0))
        return 0;
    Graph *arm[2];
    for (int k = 0; k < 2; k++) {
        Node *a = s->app.in[k + 2];
        if (!ir_is_const_graph(a) || !only_use(a, s, k + 2))
            return 0;
        arm[k] = a->k.u.graph;
        if (c->calls[arm[k]->id] || c->values[arm[k]->id] != 1 || c->pinned[arm[k]->id] ||
            arm[k]->nparams || !arm[k]->output || arm[k]->kind == G_CONST)
            return 0;
    }
    if (arm[0] == arm[1])
        return 0;
    for (int k = 0; k < 2; k++) {
        Graph *g = arm[k];
        ir_set_output(g, opt_apply_prim(g, x->type, P_GETITEM, x->loc, 2, g->output, x->app.in[2]));
        g->ret_type = x->type;
    }
    call->type = x->type;
    ir_replace_all_uses(x, call);
    return 1;
}

/* x by y, where a closure switch (fn{A, B}) narrows to one of its arms
   (fn{A}): fine when every use calls it. */
static int select_arm(OptCtx *c, Node *x, Node *y)
{
    if (opt_replace(c, x, y))
        return 1;
    if (!x->type || x->type->kind != T_FUNC || !ir_is_const_graph(y))
        return 0;
    for (const Use *u = x->uses; u; u = u->next)
        if (!u->user || u->index != 0)
            return 0;
    ir_replace_all_uses(x, y);
    return 1;
}

/* switch(k, @A, @B): k is true in A and the graphs nested in it, false in B's. */
static int known_condition(OptCtx *c, Node *x)
{
    Node *k = x->app.in[1];
    if (k->kind == N_CONST || !k->type || k->type->kind != T_BOOL)
        return 0;
    Graph *arm[2];
    for (int i = 0; i < 2; i++) {
        Node *a = x->app.in[i + 2];
        if (!ir_is_const_graph(a))
            return 0;
        arm[i] = a->k.u.graph;
        if (arm[i]->kind != G_BRANCH || c->calls[arm[i]->id] || c->values[arm[i]->id] != 1)
            return 0;
    }
    if (arm[0] == arm[1])
        return 0;
    int n = 0;
    for (Use *u = k->uses, *next; u; u = next) {
        next = u->next;
        for (int i = 0; i < 2; i++) {
            if (!ir_graph_encloses(arm[i], ir_use_graph(u)))
                continue;
            Node *v = ir_const_bool(c->m, i == 0, k->loc);
            v->type = k->type;
            ir_use_set(u, v);
            n++;
            break;
        }
    }
    return n;
}

/* Whether x is a zero a sum leaves out: the symbolic zero, or the empty
   list (a list's zeros). */
static bool is_sum_unit(const Node *x)
{
    return (x->type && x->type->kind == T_ZERO) || opt_is_empty_list(x);
}

/* The one of a and b that is not a sum unit, when the other is; NULL
   otherwise (or when it has another type than t). */
static Node *sum_of_pair(Node *a, Node *b, const Type *t)
{
    Node *r = is_sum_unit(b) ? a : is_sum_unit(a) ? b : NULL;
    return r && r->type == t ? r : NULL;
}

/* sens_add(switch(c, a, b), switch(c, d, e)) -> switch(c, a + d, b + e)
   when each sum has a unit in it (so nothing is computed and nothing can
   fail): the backward pass of a loop's header adds a sensitivity chosen
   by the condition to one chosen the other way round. */
static int add_of_switches(OptCtx *c, Node *x)
{
    Node *p = x->app.in[1], *q = x->app.in[2];
    if (!opt_is_prim(p, P_SWITCH) || !opt_is_prim(q, P_SWITCH) || p->app.n != 4 || q->app.n != 4 ||
        p->app.in[1] != q->app.in[1])
        return 0;
    Node *t = sum_of_pair(p->app.in[2], q->app.in[2], x->type), *f = sum_of_pair(p->app.in[3], q->app.in[3], x->type);
    if (!t || !f)
        return 0;
    return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_SWITCH, x->loc, 3, p->app.in[1], t, f));
}

static int rewrite(OptCtx *c, Node *x)
{
    if (opt_is_prim(x, P_SADD) && x->app.n == 3)
        return add_of_switches(c, x);
    if (opt_is_prim(x, P_SWITCH) && x->app.n == 4) {
        bool v;
        if (const_truth(x->app.in[1], &v))
            return select_arm(c, x, x->app.in[v ? 2 : 3]);
        if (x->app.in[2] == x->app.in[3] || opt_same_const(x->app.in[2], x->app.in[3]))
            return select_arm(c, x, x->app.in[2]);
        return known_condition(c, x);
    }
    if (!opt_is_prim(x, P_GETITEM) || x->app.n != 3 || !opt_is_int_const(x->app.in[2]))
        return 0;
    Node *s = x->app.in[1];
    if (opt_is_prim(s, P_SWITCH) && s->app.n == 4 &&
        (opt_is_prim(s->app.in[2], P_MAKE_TUPLE) || opt_is_prim(s->app.in[3], P_MAKE_TUPLE))) {
        return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_SWITCH, x->loc, 3, s->app.in[1],
                                                projection_of(x, s->app.in[2]), projection_of(x, s->app.in[3])));
    }
    return push_into_branches(c, x);
}

int opt_switch(OptCtx *c)
{
    return opt_rewrite_all(c, rewrite);
}
