/*
 * opt_remat.c: captured arithmetic computed again where it is read.
 *
 * Assumes a fresh analysis (opt_pass.h).  A float or int add, sub, mul or
 * neg v that, outside its own graph, only the body of one graph G reads (so a
 * closure of G captures v), and each of whose operands is a constant or a
 * value G reads directly as well, is computed again in G: G's uses read
 * the copy, and closures of G stop capturing v, keeping only operands they
 * capture anyway.  A loop body's backpropagator then keeps x, not both x
 * and a * x, and i, not i, i - 1 and i + 1, for each iteration.
 *
 * Guarantees: the copy computes v's value bit for bit (the same primitive
 * on the same operands), and float and int arithmetic cannot fail (ints
 * wrap), so no error appears or goes.  A computation only moves into a
 * strictly nested graph, so the rewrites end.
 */
#include "opt_pass.h"

/* Whether g reads x directly (an input of its body, or its output). */
static bool reads(const Graph *g, const Node *x)
{
    for (const Use *u = x->uses; u; u = u->next)
        if (ir_use_graph(u) == g)
            return true;
    return false;
}

static int rewrite(OptCtx *c, Node *v)
{
    (void)c;
    if (!(opt_is_prim(v, P_ADD) || opt_is_prim(v, P_SUB) || opt_is_prim(v, P_MUL) || opt_is_prim(v, P_NEG)) ||
        !v->type || (v->type->kind != T_FLOAT && v->type->kind != T_INT))
        return 0;
    Graph *g = NULL;
    for (const Use *u = v->uses; u; u = u->next) {
        Graph *ug = ir_use_graph(u);
        if (ug == v->graph)
            continue;
        if (g && ug != g)
            return 0;
        g = ug;
    }
    if (!g)
        return 0;
    for (int i = 1; i < v->app.n; i++) {
        Node *x = v->app.in[i];
        if (x->kind != N_CONST && !reads(g, x))
            return 0;
    }
    Node *w = opt_apply(g, v->type, v->app.in, v->app.n, v->loc);
    w->name = v->name;
    return ir_replace_uses_in(g, v, w);
}

int opt_remat(OptCtx *c)
{
    return opt_rewrite_all(c, rewrite);
}
