/*
 * opt_dead.c: dead code and dead data.
 *
 * Dead code needs no rewrite here: the analysis (opt.c) computes each live
 * graph's body from its output, sweeps the use lists of everything else
 * and, at the end, drops the graphs nothing live reaches.  This pass
 * removes the dead data that analysis cannot see, in graphs that are only
 * ever called directly (every live use of their constants is the callee of
 * a call with all arguments; not a root, not named by a type other than
 * their constants', not rebound):
 *
 *   - a parameter nothing uses, or that only passes itself on to the same
 *     position of a call of the same graph (a loop variable computed for
 *     nothing), is removed with the argument of every call;
 *   - a returned make_tuple whose callers only ever project some fields
 *     (every use of every call is getitem(call, i)) loses the other
 *     fields; the projections are renumbered.
 *
 * Guarantees: every call computes what it computed, less the values
 * nothing used.  Dropping an argument never drops an error: an argument
 * is a node of the caller's body, still computed if anything uses it
 * (lowering keeps the statements evaluated for their errors alive with
 * `depend`).
 */
#include "opt_pass.h"

typedef VEC(NodeVec) SiteVec;

static bool candidate(OptCtx *c, const Graph *g)
{
    return c->glive[g->id] && c->calls[g->id] > 0 && c->values[g->id] == 0 && !c->named[g->id] &&
           !c->pinned[g->id] && g->kind != G_CONST;
}

/* Parameter i of g is used by nothing but position i of calls of g. */
static bool param_dead(const Graph *g, int i)
{
    for (const Use *u = g->params[i]->uses; u; u = u->next)
        if (!u->user || u->index != i + 1 || !ir_is_const_graph(u->user->app.in[0]) ||
            u->user->app.in[0]->k.u.graph != g)
            return false;
    return true;
}

static void drop_input(Node *call, int k)
{
    Node *in[call->app.n];
    int n = 0;
    for (int i = 0; i < call->app.n; i++)
        if (i != k)
            in[n++] = call->app.in[i];
    ir_apply_set_inputs(call, in, n);
}

static int drop_params(Graph *g, NodeVec *sites)
{
    int done = 0;
    for (int i = g->nparams - 1; i >= 0; i--) {
        if (!param_dead(g, i))
            continue;
        for (int s = 0; s < sites->len; s++)
            drop_input(sites->data[s], i + 1);
        ir_graph_remove_param(g, i);
        done++;
    }
    return done;
}

static int drop_fields(OptCtx *c, Graph *g, NodeVec *sites)
{
    Node *out = g->output;
    if (!opt_is_prim(out, P_MAKE_TUPLE) || !out->type || out->type->kind != T_TUPLE || out->type->n > 256)
        return 0;
    int n = out->type->n;
    bool used[256] = {0};
    for (int s = 0; s < sites->len; s++)
        for (const Use *u = sites->data[s]->uses; u; u = u->next) {
            if (!u->user || u->index != 1 || !opt_is_prim(u->user, P_GETITEM) || u->user->app.n != 3 ||
                !opt_is_int_const(u->user->app.in[2]) || u->user->app.in[2]->k.u.i < 0 ||
                u->user->app.in[2]->k.u.i >= n)
                return 0;
            used[u->user->app.in[2]->k.u.i] = true;
        }
    int renum[256], m = 0;
    Node *in[257];
    Type *elems[256];
    in[0] = out->app.in[0];
    for (int i = 0; i < n; i++) {
        renum[i] = used[i] ? m : -1;
        if (used[i]) {
            in[m + 1] = out->app.in[i + 1];
            elems[m++] = out->type->elems[i];
        }
    }
    if (m == n)
        return 0;
    Type *t = type_tuple(c->m->types, elems, m);
    ir_set_output(g, opt_apply(g, t, in, m + 1, out->loc));
    g->ret_type = t;
    for (int s = 0; s < sites->len; s++) {
        Node *call = sites->data[s];
        call->type = t;
        for (Use *u = call->uses; u; u = u->next) {
            Node *k = ir_const_int(c->m, renum[u->user->app.in[2]->k.u.i], u->user->loc);
            k->type = u->user->app.in[2]->type;
            ir_set_input(u->user, 2, k);
        }
    }
    return 1;
}

int opt_dead(OptCtx *c)
{
    /* The call sites of every candidate. */
    NodeVec *sites = xcalloc(c->m->ngraph_ids + 1, sizeof(NodeVec));
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *h = c->graphs.data[gi];
        NodeVec *body = &c->body[h->id];
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            if (ir_is_const_graph(x->app.in[0]) && candidate(c, x->app.in[0]->k.u.graph))
                vec_push(&sites[x->app.in[0]->k.u.graph->id], x);
        }
    }
    int done = 0;
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *s = &sites[g->id];
        if (!candidate(c, g) || s->len != c->calls[g->id])
            continue;
        bool arity = true;
        for (int k = 0; k < s->len; k++)
            arity &= s->data[k]->app.n == g->nparams + 1;
        if (!arity)
            continue;
        done += drop_params(g, s);
        done += drop_fields(c, g, s);
    }
    for (uint32_t i = 0; i <= c->m->ngraph_ids; i++)
        vec_free(&sites[i]);
    free(sites);
    return done;
}
