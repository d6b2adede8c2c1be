/*
 * opt_thread.c: a loop's invariants handed along its backward pass instead
 * of captured by every iteration.
 *
 * Assumes a fresh analysis (opt_pass.h) and the J transform's marks
 * (Graph.loop; passes/grad.c, "loops").  In one run of a continuation-
 * passing loop the backward pass is a chain of continuations: each
 * iteration's bprop closure, which ends by calling the one before, down to
 * the entry's return.  The chain is made during the run (each member passes
 * its bprop to the next) and is called only from the loop's bprops, so
 * every continuation of one chain was made, and is called, in the same
 * activation of every graph that encloses the loop.
 *
 * A family is a set of functions marked with one loop's number whose
 * constants are used as values, closed under function types (a function
 * type naming a member names only members), none nested in another, with
 * the same number of parameters, every call of which (through a value of
 * such a type, or of a member's constant) sits in that loop's code (a
 * marked graph, or one nested in it) and passes every parameter.  Its
 * invariants are the free variables of its members owned by graphs outside
 * the loop's code (neither marked with its number nor nested in a graph
 * that is) that every call site sees (owned by a graph enclosing the
 * site).  Each member gets one parameter per invariant (which holds it:
 * Node.param.holds), reads it instead, and every call passes the
 * invariant: inside a member that is its own parameter, so the value
 * travels down the chain.  A continuation's closure
 * then keeps only what differs between iterations (Lotka-Volterra's: x, y
 * and the next continuation, no longer alpha, beta, gamma and delta too).
 *
 * Guarantees: each member's parameter holds the value its free variable had
 * when the member's closure was made (by the argument above, the value the
 * invariant has at every call site of the chain); no computation moves, so
 * results and errors are unchanged.  A family is threaded once
 * (Graph.threaded): its members may read an invariant again (another
 * family's call in them passes it), and would take it again each round.
 */
#include "opt_pass.h"

#include <stdlib.h>
#include <string.h>

typedef struct Thread {
    OptCtx *c;
    int *cand;          /* by graph id: index in graphs, or -1 */
    GraphVec graphs;    /* the candidates */
    int *uf;            /* union-find over candidates: one set per family */
    bool *bad;          /* by set root: the set is not a family */
} Thread;

static int find(int *uf, int i)
{
    while (uf[i] != i)
        i = uf[i] = uf[uf[i]];
    return i;
}

static int cand_of(const Thread *t, const Graph *g)
{
    return g && g->id < t->c->gcap ? t->cand[g->id] : -1;
}

/* Joins the candidates that function type `type` (or a tuple holding one)
   names; a type naming a candidate and anything else spoils its set. */
static void join_type(Thread *t, const Type *type)
{
    if (!type)
        return;
    if (type->kind == T_TUPLE) {
        for (int i = 0; i < type->n; i++)
            join_type(t, type->elems[i]);
        return;
    }
    if (type->kind != T_FUNC)
        return;
    int first = -1;
    bool other = false;
    for (int i = 0; i < type->n; i++) {
        int k = cand_of(t, type->fns[i].graph);
        if (k < 0) {
            other = true;
            continue;
        }
        if (first < 0)
            first = k;
        else
            t->uf[find(t->uf, k)] = find(t->uf, first);
    }
    if (first >= 0 && other)
        t->bad[find(t->uf, first)] = true;
}

/* The family a call with this callee calls, as a set root, or -1. */
static int called_family(const Thread *t, const Node *callee)
{
    if (ir_is_const_graph(callee))
        return cand_of(t, callee->k.u.graph) >= 0 ? find(t->uf, cand_of(t, callee->k.u.graph)) : -1;
    const Type *ty = callee->type;
    if (!ty || ty->kind != T_FUNC)
        return -1;
    for (int i = 0; i < ty->n; i++) {
        int k = cand_of(t, ty->fns[i].graph);
        if (k >= 0)
            return find(t->uf, k);
    }
    return -1;
}

static int by_id(const void *a, const void *b)
{
    uint32_t x = (*(Node *const *)a)->id, y = (*(Node *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* Threads the invariants of family `root` (members fam, calls sites). */
static int thread_family(Thread *t, GraphVec *fam, NodeVec *sites)
{
    OptCtx *c = t->c;
    uint32_t loop = fam->data[0]->loop;
    int np = fam->data[0]->nparams;
    for (int i = 0; i < fam->len; i++) {
        Graph *g = fam->data[i];
        if (g->loop != loop || g->nparams != np || g->threaded)
            return 0;
        for (int j = 0; j < fam->len; j++)
            if (i != j && ir_graph_encloses(g, fam->data[j]))
                return 0;
    }
    for (int s = 0; s < sites->len; s++)
        if (!opt_in_loop(sites->data[s]->graph, loop) || sites->data[s]->app.n != np + 1)
            return 0;
    NodeVec inv = {0}, fv = {0};
    for (int i = 0; i < fam->len; i++) {
        fv.len = 0;
        ir_free_variables(fam->data[i], &fv);
        for (int k = 0; k < fv.len; k++) {
            Node *v = fv.data[k];
            if (opt_in_loop(v->graph, loop))
                continue;
            /* every call site sees v, and v is not in the list yet */
            bool take = true;
            for (int s = 0; s < sites->len && take; s++)
                take = ir_graph_encloses(v->graph, sites->data[s]->graph);
            for (int j = 0; j < inv.len && take; j++)
                take = inv.data[j] != v;
            if (take)
                vec_push(&inv, v);
        }
    }
    vec_free(&fv);
    if (!inv.len)
        return 0;
    qsort(inv.data, (size_t)inv.len, sizeof(Node *), by_id);
    for (int s = 0; s < sites->len; s++)
        for (int k = 0; k < inv.len; k++)
            ir_apply_append(sites->data[s], inv.data[k]);
    NodeVec params = {0};
    for (int i = 0; i < fam->len; i++) {
        Graph *g = fam->data[i];
        params.len = 0;
        for (int k = 0; k < inv.len; k++) {
            Node *p = ir_add_param(g, inv.data[k]->name, inv.data[k]->loc);
            p->type = inv.data[k]->type;
            p->param.holds = inv.data[k];
            vec_push(&params, p);
        }
        for (int h = 0; h < c->graphs.len; h++)
            if (ir_graph_encloses(g, c->graphs.data[h]))
                for (int k = 0; k < inv.len; k++)
                    ir_replace_uses_in(c->graphs.data[h], inv.data[k], params.data[k]);
    }
    for (int i = 0; i < fam->len; i++)
        fam->data[i]->threaded = true;
    int n = fam->len * inv.len;
    vec_free(&params);
    vec_free(&inv);
    return n;
}

int opt_thread(OptCtx *c)
{
    Thread t = {.c = c};
    for (int i = 0; i < c->graphs.len; i++) {
        Graph *g = c->graphs.data[i];
        if (g->loop && g->kind == G_FUNCTION && c->values[g->id] && !c->pinned[g->id] && !g->nfree)
            vec_push(&t.graphs, g);
    }
    if (!t.graphs.len)
        return 0;
    int n = t.graphs.len;
    t.cand = xmalloc(sizeof(int) * c->gcap);
    memset(t.cand, -1, sizeof(int) * c->gcap);
    t.uf = xmalloc(sizeof(int) * (size_t)n);
    t.bad = xcalloc((size_t)n, sizeof(bool));
    for (int i = 0; i < n; i++) {
        t.cand[t.graphs.data[i]->id] = i;
        t.uf[i] = i;
    }
    /* families: joined by the types of every live node */
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *b = &c->body[g->id];
        for (int i = 0; i < g->nparams; i++)
            join_type(&t, g->params[i]->type);
        for (int j = 0; j <= b->len; j++) {
            int nin;
            Node *const *in = ir_body_inputs(g, b, j, &nin);
            if (j < b->len)
                join_type(&t, b->data[j]->type);
            for (int k = 0; k < nin; k++)
                if (in[k]->kind == N_CONST)
                    join_type(&t, in[k]->type);
        }
    }
    /* their calls */
    NodeVec *sites = xcalloc((size_t)n, sizeof(NodeVec));
    for (int gi = 0; gi < c->graphs.len; gi++) {
        NodeVec *b = &c->body[c->graphs.data[gi]->id];
        for (int j = 0; j < b->len; j++) {
            int f = called_family(&t, b->data[j]->app.in[0]);
            if (f >= 0)
                vec_push(&sites[f], b->data[j]);
        }
    }
    int done = 0;
    GraphVec fam = {0};
    for (int r = 0; r < n; r++) {
        if (find(t.uf, r) != r || t.bad[r])
            continue;
        fam.len = 0;
        for (int i = 0; i < n; i++)
            if (find(t.uf, i) == r)
                vec_push(&fam, t.graphs.data[i]);
        done += thread_family(&t, &fam, &sites[r]);
    }
    for (int i = 0; i < n; i++)
        vec_free(&sites[i]);
    free(sites);
    vec_free(&fam);
    free(t.cand);
    free(t.uf);
    free(t.bad);
    vec_free(&t.graphs);
    return done;
}
