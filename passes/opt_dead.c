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
 *   - a parameter the outputs do not need is removed with the argument of
 *     every call: one nothing uses, and one that only feeds arguments of
 *     calls whose parameters are not needed either (a loop variable
 *     computed for nothing; found as the least solution over all graphs);
 *   - a returned make_tuple whose callers only ever project some fields
 *     (every use of every call is getitem(call, i)) loses the other
 *     fields; the projections are renumbered.
 *
 * Guarantees: every call computes what it computed, less the values
 * nothing used.  Dropping an argument or a field never drops an error: a
 * value whose computation may fail (a call, a primitive that raises, or
 * anything computed from one) is kept as if needed, even when only a loop
 * variable nothing reads holds it.
 */
#include "opt_pass.h"

typedef VEC(NodeVec) SiteVec;

static bool candidate(OptCtx *c, const Graph *g)
{
    return c->glive[g->id] && c->calls[g->id] > 0 && c->values[g->id] == 0 && !c->named[g->id] &&
           !c->pinned[g->id] && g->kind != G_CONST;
}

static void drop_input(Node *call, int k)
{
    if (k >= call->app.n)       /* detached already: dead */
        return;
    Node *in[call->app.n];
    int n = 0;
    for (int i = 0; i < call->app.n; i++)
        if (i != k)
            in[n++] = call->app.in[i];
    ir_apply_set_inputs(call, in, n);
}

/*
 * Which nodes the outputs need: everything an output depends on, except
 * that argument i of a call of a candidate graph is needed only when that
 * graph's parameter i is (a loop variable that only feeds itself is not).
 */
typedef struct Need {
    uint8_t *node;          /* by node id */
    NodeVec work;
} Need;

static void need(Need *n, Node *x)
{
    if (x->kind != N_CONST && !n->node[x->id]) {
        n->node[x->id] = 1;
        vec_push(&n->work, x);
    }
}

static void find_needed(OptCtx *c, const uint8_t *cand, NodeVec *sites, Need *n, OptFails *f)
{
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        if (g->output)
            need(n, g->output);
        if (!cand[g->id]) {     /* the parameters of others are all needed */
            for (int i = 0; i < g->nparams; i++)
                need(n, g->params[i]);
            continue;
        }
        /* so is one that some call passes a value that may fail */
        NodeVec *s = &sites[g->id];
        for (int k = 0; k < s->len; k++)
            for (int i = 0; i < g->nparams; i++)
                if (opt_may_fail(f, s->data[k]->app.in[i + 1]))
                    need(n, g->params[i]);
    }
    while (n->work.len) {
        Node *x = vec_pop(&n->work);
        if (x->kind == N_PARAM) {
            if (cand[x->graph->id]) {
                NodeVec *s = &sites[x->graph->id];
                for (int k = 0; k < s->len; k++)
                    if (n->node[s->data[k]->id])
                        need(n, s->data[k]->app.in[x->param.index + 1]);
            }
            continue;
        }
        Node *f = x->app.in[0];
        Graph *g = ir_is_const_graph(f) ? f->k.u.graph : NULL;
        bool direct = g && cand[g->id] && x->app.n == g->nparams + 1;
        for (int i = 0; i < x->app.n; i++)
            if (!direct || i == 0 || n->node[g->params[i - 1]->id])
                need(n, x->app.in[i]);
    }
}

/* First every call loses the arguments of unneeded parameters (for every
   graph), then the parameters go: what still reads one is needed by
   nothing, not even a call of another graph. */
static void drop_args(Graph *g, NodeVec *sites, const Need *n)
{
    for (int i = g->nparams - 1; i >= 0; i--)
        if (!n->node[g->params[i]->id])
            for (int s = 0; s < sites->len; s++)
                drop_input(sites->data[s], i + 1);
}

static int drop_params(Graph *g, const Need *n)
{
    int done = 0;
    for (int i = g->nparams - 1; i >= 0; i--) {
        Node *p = g->params[i];
        if (n->node[p->id])
            continue;
        while (p->uses)
            ir_apply_set_inputs(p->uses->user, NULL, 0);
        ir_graph_remove_param(g, i);
        done++;
    }
    return done;
}

static int drop_fields(OptCtx *c, Graph *g, NodeVec *sites, OptFails *f)
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
    for (int i = 0; i < n; i++)
        used[i] |= opt_may_fail(f, out->app.in[i + 1]);
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
    uint8_t *cand = xcalloc(c->m->ngraph_ids + 1, 1);
    for (int gi = 0; gi < c->graphs.len; gi++)
        cand[c->graphs.data[gi]->id] = candidate(c, c->graphs.data[gi]);
    NodeVec *sites = opt_call_sites(c, cand);
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *s = &sites[g->id];
        bool ok = cand[g->id] && s->len == c->calls[g->id];
        for (int k = 0; ok && k < s->len; k++)
            ok = s->data[k]->app.n == g->nparams + 1;
        cand[g->id] = ok;
    }
    Need n = {xcalloc(c->m->nnodes + 1, 1), {0}};
    OptFails f = opt_fails_new(c);
    find_needed(c, cand, sites, &n, &f);
    int done = 0;
    for (int gi = 0; gi < c->graphs.len; gi++)
        if (cand[c->graphs.data[gi]->id])
            drop_args(c->graphs.data[gi], &sites[c->graphs.data[gi]->id], &n);
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        if (!cand[g->id])
            continue;
        done += drop_params(g, &n);
        done += drop_fields(c, g, &sites[g->id], &f);
    }
    free(n.node);
    vec_free(&n.work);
    opt_fails_free(&f);
    free(cand);
    opt_free_call_sites(c, sites);
    return done;
}
