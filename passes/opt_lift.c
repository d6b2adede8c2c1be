/*
 * opt_lift.c: lambda lifting.
 *
 * Assumes a fresh analysis (opt_pass.h).  A nested function (a lambda, a
 * backpropagator) that is only ever called directly (every live use of its
 * constants is the callee of a call with all arguments; not a root, not
 * named by another node's type, not rebound), that has no nested graphs of
 * its own, does not call itself, and uses only top-level graphs, takes the
 * nodes of enclosing graphs it reads (its free variables) as trailing
 * parameters; every call passes them, and the function becomes top level.
 * A call of it then needs no closure, and the other passes see its
 * inputs at the call sites (dead parameters, constants).
 *
 * Guarantees: every call computes what it computed (the parameters receive
 * the values the free variables had; each call site sees them, because a
 * graph's parent encloses every graph that uses its constant).
 */
#include "opt_pass.h"

#include <string.h>

static bool liftable(OptCtx *c, Graph *g)
{
    if (!c->glive[g->id] || !g->parent || g->kind != G_FUNCTION || c->parent_of[g->id] || c->calls[g->id] == 0 ||
        c->values[g->id] || c->named[g->id] || c->pinned[g->id])
        return false;
    NodeVec *b = &c->body[g->id];
    for (int j = 0; j <= b->len; j++) {
        int n;
        Node *const *in = ir_body_inputs(g, b, j, &n);
        for (int k = 0; k < n; k++)
            if (ir_is_const_graph(in[k]) && in[k]->k.u.graph->parent)
                return false;
    }
    return true;
}

/* The free variables' numbering: by node id, 1 + the index of the free
   variable, 0 for other nodes.  Grows to cover nodes made since. */
typedef struct Slots { int *of; uint32_t n; } Slots;

static int *slot(Slots *s, const Node *x)
{
    if (x->id >= s->n) {
        uint32_t n = x->id + x->id / 2 + 64;
        s->of = xrealloc(s->of, n * sizeof(int));
        memset(s->of + s->n, 0, (n - s->n) * sizeof(int));
        s->n = n;
    }
    return &s->of[x->id];
}

/* Node x read in g: the parameter that now stands for it, or x. */
static Node *local(Slots *s, const NodeVec *params, Node *x)
{
    int i = *slot(s, x);
    return i ? params->data[i - 1] : x;
}

/* s: all zero on entry and again on return. */
static void lift(OptCtx *c, Graph *g, NodeVec *sites, Slots *s)
{
    NodeVec *b = &c->body[g->id];
    NodeVec fv = {0}, params = {0};
    for (int j = 0; j <= b->len; j++) {
        int n;
        Node *const *in = ir_body_inputs(g, b, j, &n);
        for (int k = 0; k < n; k++)
            if (in[k]->kind != N_CONST && in[k]->graph != g && !*slot(s, in[k])) {
                vec_push(&fv, in[k]);
                *slot(s, in[k]) = fv.len;
            }
    }
    for (int i = 0; i < fv.len; i++) {
        Node *p = ir_add_param(g, fv.data[i]->name, fv.data[i]->loc);
        p->type = fv.data[i]->type;
        vec_push(&params, p);
    }
    for (int j = 0; j < b->len; j++) {
        Node *x = b->data[j];
        for (int k = 0; k < x->app.n; k++) {
            Node *l = local(s, &params, x->app.in[k]);
            if (l != x->app.in[k])
                ir_set_input(x, k, l);
        }
    }
    ir_set_output(g, local(s, &params, g->output));
    for (int j = 0; j < sites->len; j++)
        for (int i = 0; i < fv.len; i++)
            ir_apply_append(sites->data[j], fv.data[i]);
    for (int i = 0; i < fv.len; i++)
        *slot(s, fv.data[i]) = 0;
    ir_graph_set_parent(g, NULL);
    vec_free(&fv);
    vec_free(&params);
}

int opt_lift(OptCtx *c)
{
    int done = 0;
    GraphVec todo = {0};
    for (int gi = 0; gi < c->graphs.len; gi++)
        if (liftable(c, c->graphs.data[gi]))
            vec_push(&todo, c->graphs.data[gi]);
    if (!todo.len) {
        vec_free(&todo);
        return 0;
    }
    uint8_t *want = xcalloc(c->m->ngraph_ids + 1, 1);
    for (int i = 0; i < todo.len; i++)
        want[todo.data[i]->id] = 1;
    NodeVec *sites = opt_call_sites(c, want);
    Slots slots = {xcalloc(c->m->nnodes + 1, sizeof(int)), c->m->nnodes};
    for (int i = 0; i < todo.len; i++) {
        Graph *g = todo.data[i];
        NodeVec *s = &sites[g->id];
        bool ok = s->len == c->calls[g->id];
        for (int k = 0; ok && k < s->len; k++)
            ok = s->data[k]->app.n == g->nparams + 1;
        if (ok) {
            lift(c, g, s, &slots);
            done++;
        }
    }
    opt_free_call_sites(c, sites);
    free(slots.of);
    free(want);
    vec_free(&todo);
    return done;
}
