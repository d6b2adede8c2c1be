/*
 * closure.c: closure conversion (see closure.h for what it assumes and
 * guarantees).
 *
 * Two steps.  First the free variables of every graph, as the least
 * solution of
 *
 *     fv(G) = { x read by G's body : x owned by a strict ancestor of G }
 *           u { x in fv(C) : x not owned by G }   for each graph C whose
 *                                                 constant G's body uses
 *
 * solved with a worklist (a change to fv(C) revisits the graphs using C).
 * Then the rewrite, which only adds: a parameter per free variable, the
 * free variables' uses inside each graph redirected to those parameters,
 * graph constants turned into make_closure nodes or extended direct
 * calls, and every parent link cut.  Everything is iterative.
 */
#include "closure.h"

#include <string.h>

/* A hash map from (graph id, node id) to a node: membership of a node in
   a graph's free-variable set, and later the parameter standing for it.
   Keyed by a pair, so not src/util/idmap.h (whose keys are one id). */
typedef struct PairMap {
    uint64_t *keys;     /* 0: empty (keys are stored + 1) */
    Node **vals;
    uint32_t cap, len;
} PairMap;

static uint64_t pair_key(const Graph *g, const Node *x)
{
    return (((uint64_t)g->id << 32) | x->id) + 1;
}

static uint32_t pair_slot(const PairMap *pm, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    uint32_t i = (uint32_t)(h >> 32) & (pm->cap - 1);
    while (pm->keys[i] && pm->keys[i] != key)
        i = (i + 1) & (pm->cap - 1);
    return i;
}

static Node *pair_get(const PairMap *pm, const Graph *g, const Node *x)
{
    if (!pm->cap)
        return NULL;
    uint32_t i = pair_slot(pm, pair_key(g, x));
    return pm->keys[i] ? pm->vals[i] : NULL;
}

static void pair_set(PairMap *pm, const Graph *g, const Node *x, Node *v)
{
    if ((pm->len + 1) * 2 > pm->cap) {
        PairMap old = *pm;
        pm->cap = old.cap ? old.cap * 2 : 256;
        pm->keys = xcalloc(pm->cap, sizeof *pm->keys);
        pm->vals = xcalloc(pm->cap, sizeof *pm->vals);
        pm->len = 0;
        for (uint32_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                uint32_t j = pair_slot(pm, old.keys[i]);
                pm->keys[j] = old.keys[i];
                pm->vals[j] = old.vals[i];
                pm->len++;
            }
        free(old.keys);
        free(old.vals);
    }
    uint32_t i = pair_slot(pm, pair_key(g, x));
    if (!pm->keys[i])
        pm->len++;
    pm->keys[i] = pair_key(g, x);
    pm->vals[i] = v;
}

static void pair_free(PairMap *pm)
{
    free(pm->keys);
    free(pm->vals);
    memset(pm, 0, sizeof *pm);
}

/* Adds x to fv(g) unless g owns it or has it; true when added. */
static bool add_free(FreeVars *out, PairMap *member, Graph *g, Node *x)
{
    if (x->kind == N_CONST || x->graph == g || pair_get(member, g, x))
        return false;
    pair_set(member, g, x, x);
    vec_push(&out->fv[g->id], x);
    return true;
}

/* rebind(x, key0, j0, ...) makes a closure of the j_k-th function of its
   type from the environment of x, the function key_k names: that
   environment must hold what the transform reads.  (x's graph may be an
   `unreachable` stand-in specialisation that reads nothing itself.) */
static void rebind_edges(const Node *n, GraphVec *users)
{
    const Type *xt = n->app.in[1]->type, *rt = n->type;
    if (!xt || xt->kind != T_FUNC || !rt || rt->kind != T_FUNC)
        return;
    for (int k = 2; k + 1 < n->app.n; k += 2) {
        const Node *key = n->app.in[k], *jx = n->app.in[k + 1];
        int ix = key->kind == N_CONST ? ir_fn_index_of_key(xt, key->k.u.i) : -1;
        if (ix < 0 || jx->kind != N_CONST || jx->k.u.i >= rt->n)
            continue;
        Graph *from = xt->fns[ix].graph, *to = rt->fns[jx->k.u.i].graph;
        if (from && to)
            vec_push(&users[to->id], from);
    }
}

static void free_vars_with_bodies(Module *m, FreeVars *out, NodeVec *bodies)
{
    uint32_t n = m->ngraph_ids;
    out->n = n;
    out->fv = xcalloc(n ? n : 1, sizeof(NodeVec));
    GraphVec *users = xcalloc(n ? n : 1, sizeof(GraphVec));    /* by graph id: graphs using its constant */
    PairMap member = {0};
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        NodeVec *body = &bodies[g->id];
        ir_graph_body(g, body);
        for (int i = 0; i <= body->len; i++) {
            int nin;
            Node *const *in = ir_body_inputs(g, body, i, &nin);
            if (i < body->len && nin >= 2 && ir_is_const_prim(in[0], P_REBIND))
                rebind_edges(body->data[i], users);
            for (int j = 0; j < nin; j++) {
                Node *x = in[j];
                if (ir_is_const_graph(x)) {
                    Graph *c = x->k.u.graph;
                    if (c->parent && c != g)
                        vec_push(&users[c->id], g);
                } else {
                    add_free(out, &member, g, x);
                }
            }
        }
    }
    /* Propagate from each graph to the graphs that use its constant. */
    GraphVec work = {0};
    uint8_t *queued = xcalloc(n ? n : 1, 1);
    for (int gi = m->graphs.len - 1; gi >= 0; gi--) {
        vec_push(&work, m->graphs.data[gi]);
        queued[m->graphs.data[gi]->id] = 1;
    }
    while (work.len) {
        Graph *c = vec_pop(&work);
        queued[c->id] = 0;
        GraphVec *us = &users[c->id];
        for (int u = 0; u < us->len; u++) {
            Graph *g = us->data[u];
            bool changed = false;
            for (int k = 0; k < out->fv[c->id].len; k++)
                changed |= add_free(out, &member, g, out->fv[c->id].data[k]);
            if (changed && !queued[g->id]) {
                queued[g->id] = 1;
                vec_push(&work, g);
            }
        }
    }
    free(queued);
    vec_free(&work);
    for (uint32_t i = 0; i < n; i++)
        vec_free(&users[i]);
    free(users);
    pair_free(&member);
}

void closure_free_vars(Module *m, FreeVars *out)
{
    NodeVec *bodies = xcalloc(m->ngraph_ids ? m->ngraph_ids : 1, sizeof(NodeVec));
    free_vars_with_bodies(m, out, bodies);
    for (uint32_t i = 0; i < m->ngraph_ids; i++)
        vec_free(&bodies[i]);
    free(bodies);
}

void closure_free_vars_free(FreeVars *fv)
{
    for (uint32_t i = 0; i < fv->n; i++)
        vec_free(&fv->fv[i]);
    free(fv->fv);
    memset(fv, 0, sizeof *fv);
}

/* The value of c's free variables inside g, appended to out. */
static void free_values(const FreeVars *fv, const PairMap *params, Graph *g, Graph *c, NodeVec *out)
{
    const NodeVec *vars = &fv->fv[c->id];
    for (int k = 0; k < vars->len; k++) {
        Node *x = vars->data[k];
        Node *v = x->graph == g ? x : pair_get(params, g, x);
        if (!v)
            die("closure conversion: @%s makes a closure of @%s without access to its variable %%%s",
                g->name, c->name, x->name ? x->name : "?");
        vec_push(out, v);
    }
}

void closure_convert(Module *m)
{
    FreeVars fv = {0};
    uint32_t ngraphs = m->ngraph_ids;
    NodeVec *bodies = xcalloc(ngraphs ? ngraphs : 1, sizeof(NodeVec));
    free_vars_with_bodies(m, &fv, bodies);
    int count = m->graphs.len;      /* the rewrite adds no graphs */

    /* 1. A parameter per free variable. */
    PairMap params = {0};
    for (int gi = 0; gi < count; gi++) {
        Graph *g = m->graphs.data[gi];
        NodeVec *vars = &fv.fv[g->id];
        for (int k = 0; k < vars->len; k++) {
            Node *x = vars->data[k];
            Node *p = ir_add_param(g, x->name, x->loc);
            p->type = x->type;
            p->param.captured = x;
            pair_set(&params, g, x, p);
        }
        g->nfree = vars->len;
    }
    /* 2. Each graph reads its free variables from those parameters. */
    for (int gi = 0; gi < count; gi++) {
        Graph *g = m->graphs.data[gi];
        NodeVec *vars = &fv.fv[g->id];
        for (int k = 0; k < vars->len; k++)
            ir_replace_uses_in(g, vars->data[k], pair_get(&params, g, vars->data[k]));
    }
    /* 3. Graph constants: direct calls pass the free variables, values
       become make_closure nodes. */
    NodeVec vals = {0}, in = {0};
    for (int gi = 0; gi < count; gi++) {
        Graph *g = m->graphs.data[gi];
        NodeVec *body = &bodies[g->id];
        for (int i = 0; i <= body->len; i++) {
            int nin;
            Node *const *ins = ir_body_inputs(g, body, i, &nin);
            for (int j = 0; j < nin; j++) {
                Node *x = ins[j];
                if (!ir_is_const_graph(x) || x->k.u.graph->nfree == 0)
                    continue;
                Graph *c = x->k.u.graph;
                vals.len = 0;
                free_values(&fv, &params, g, c, &vals);
                if (i < body->len && j == 0) {          /* a direct call */
                    Node *call = body->data[i];
                    in.len = 0;
                    for (int a = 0; a < call->app.n; a++)
                        vec_push(&in, call->app.in[a]);
                    for (int a = 0; a < vals.len; a++)
                        vec_push(&in, vals.data[a]);
                    ir_apply_set_inputs(call, in.data, in.len);
                    ins = ir_body_inputs(g, body, i, &nin);
                    continue;
                }
                in.len = 0;
                vec_push(&in, ir_const_prim(m, P_MAKE_CLOSURE, x->loc));
                vec_push(&in, x);
                for (int a = 0; a < vals.len; a++)
                    vec_push(&in, vals.data[a]);
                Node *mc = ir_apply(g, in.data, in.len, x->loc);
                FnRef ref = {c, -1, NULL, NULL};
                mc->type = x->type ? x->type : type_func(m->types, &ref, 1);
                in.data[0]->type = NULL;
                if (i < body->len)
                    ir_set_input(body->data[i], j, mc);
                else
                    ir_set_output(g, mc);
                ins = ir_body_inputs(g, body, i, &nin);
            }
        }
    }
    vec_free(&vals);
    vec_free(&in);
    /* 4. Every graph is top level now. */
    for (int gi = 0; gi < count; gi++) {
        Graph *g = m->graphs.data[gi];
        g->parent = NULL;
        g->depth = 0;
        g->nup = 0;
    }
    pair_free(&params);
    closure_free_vars_free(&fv);
    for (uint32_t i = 0; i < ngraphs; i++)
        vec_free(&bodies[i]);
    free(bodies);
}
