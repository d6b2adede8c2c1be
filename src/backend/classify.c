/*
 * classify.c: units, blocks, groups and recursive components (see
 * classify.h for what it assumes and guarantees).  Reads the IR only: no
 * LLVM call, so what becomes a function, a block or a machine is decided
 * before, and independently of, the code that emits them.
 *
 *   1. cg_reachable: the graphs code may enter, from the roots;
 *   2. cg_scan_uses: the constants naming each graph, the elided closures;
 *   3. cg_classify: a graph only ever jumped to from one function is a
 *      block of that function's group, every other graph a unit;
 *   4. cg_find_components: the strongly connected components of the call
 *      graph between units (src/util/scc.h); a recursive component is a
 *      machine.
 */
#include "classify.h"

#include "../util/scc.h"

void cg_bodies_init(Bodies *b, uint32_t ngraph_ids)
{
    b->n = ngraph_ids;
    b->of = xcalloc(ngraph_ids ? ngraph_ids : 1, sizeof(NodeVec));
    b->have = xcalloc(ngraph_ids ? ngraph_ids : 1, 1);
}

/* g's body in schedule order (the IR does not change during codegen). */
const NodeVec *cg_body(Bodies *b, const Graph *g)
{
    if (g->id >= b->n)
        die("codegen: graph @%s is not in the module", g->name);
    NodeVec *v = &b->of[g->id];
    if (!b->have[g->id]) {
        ir_graph_body(g, v);
        b->have[g->id] = 1;
    }
    return v;
}

void cg_bodies_free(Bodies *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        vec_free(&b->of[i]);
    free(b->of);
    free(b->have);
    b->of = NULL;
    b->have = NULL;
}

static GClass *class_at(GClass *cls, uint32_t ngi, const Graph *g)
{
    if (g->id >= ngi)
        die("codegen: graph @%s has no info", g->name);
    return &cls[g->id];
}

/* ---- what names a graph -------------------------------------------------- */

/* True when every use of n is as the callee of an Apply (so no closure
   needs to exist) -- or, for a switch, as the callee of calls. */
static bool only_called(const Node *n)
{
    if (!n->uses)
        return false;
    for (const Use *u = n->uses; u; u = u->next)
        if (!u->user || u->index != 0)
            return false;
    return true;
}

/* A closure-valued node whose every use calls it: make_closure(G, ...) or
   a graph constant, directly or as an operand of a switch only called. */
static bool closure_elidable(const Node *x)
{
    for (const Use *u = x->uses; u; u = u->next) {
        if (!u->user)
            return false;
        const Node *s = u->user;
        if (u->index == 0)
            continue;
        if (s->app.n == 4 && ir_is_const_prim(s->app.in[0], P_SWITCH) && u->index >= 2 && only_called(s))
            continue;
        return false;
    }
    return x->uses != NULL;
}

bool cg_is_make_closure(const Node *x)
{
    return x->kind == N_APPLY && x->app.n >= 2 && ir_is_const_prim(x->app.in[0], P_MAKE_CLOSURE);
}

/* The graph a callee operand names statically: a graph constant or a
   make_closure node; NULL otherwise. */
Graph *cg_static_graph(const Node *x)
{
    if (ir_is_const_graph(x))
        return x->k.u.graph;
    if (cg_is_make_closure(x))
        return x->app.in[1]->k.u.graph;
    return NULL;
}

/* Is this use of graph constant c (input `index` of `user`) a jump: a tail
   call, or an operand of a switch whose result only tail-calls? */
static bool use_is_jump(const Use *u, Graph **from)
{
    const Node *user = u->user;
    if (!user)
        return false;
    if (u->index == 0) {
        *from = user->graph;
        return user->graph->output == user;
    }
    const Node *val = user;
    if (cg_is_make_closure(user)) {
        if (u->index != 1)
            return false;
        /* the make_closure must itself be used only as a switch operand */
        for (const Use *w = user->uses; w; w = w->next) {
            if (!w->user || w->index < 2 || !(w->user->app.n == 4 && ir_is_const_prim(w->user->app.in[0], P_SWITCH)))
                return false;
        }
        if (!user->uses)
            return false;
        val = user->uses->user;
        for (const Use *w = user->uses; w; w = w->next)
            if (w->user != val)
                return false;
    }
    if (!(val->app.n == 4 && ir_is_const_prim(val->app.in[0], P_SWITCH)))
        return false;
    if (val == user && u->index < 2)
        return false;
    for (const Use *w = val->uses; w; w = w->next) {
        if (!w->user || w->index != 0 || w->user->graph->output != w->user)
            return false;
    }
    if (!val->uses)
        return false;
    *from = val->uses->user->graph;
    for (const Use *w = val->uses; w; w = w->next)
        if (w->user->graph != *from)
            return false;
    return true;
}

/* Graphs that code may reach: from the exports and the run entry, through
   constants and function types (rebind makes closures of graphs named only
   by types). */
void cg_reachable(Bodies *b, Graph *const *roots, int nroots, GraphVec *out)
{
    uint8_t *seen = xcalloc(b->n, 1);
    GraphVec work = {0};
    for (int i = 0; i < nroots; i++)
        if (roots[i] && !seen[roots[i]->id]) {
            seen[roots[i]->id] = 1;
            vec_push(&work, roots[i]);
        }
    while (work.len) {
        Graph *g = vec_pop(&work);
        vec_push(out, g);
        const NodeVec *body = cg_body(b, g);
        for (int i = 0; i <= body->len; i++) {
            int nin;
            Node *const *in = ir_body_inputs(g, body, i, &nin);
            /* the inputs, and the node itself (its type names functions too) */
            for (int j = 0; j <= nin; j++) {
                const Node *x = j < nin ? in[j] : i < body->len ? body->data[i] : NULL;
                if (!x)
                    continue;
                const Type *t = x->type;
                if (ir_is_const_graph(x) && !seen[x->k.u.graph->id]) {
                    seen[x->k.u.graph->id] = 1;
                    vec_push(&work, x->k.u.graph);
                }
                for (int k = 0; t && t->kind == T_FUNC && k < t->n; k++) {
                    Graph *h = t->fns[k].graph;
                    if (h && !seen[h->id]) {
                        seen[h->id] = 1;
                        vec_push(&work, h);
                    }
                }
            }
        }
    }
    vec_free(&work);
    free(seen);
}

void cg_scan_uses(Bodies *b, Graph *const *graphs, int n, uint32_t nnodes, NodeVec *const_uses, bool *is_root,
                  uint8_t *elided)
{
    uint8_t *listed = xcalloc(nnodes + 1, 1);
    for (int i = 0; i < n; i++) {
        Graph *g = graphs[i];
        const NodeVec *body = cg_body(b, g);
        for (int j = 0; j <= body->len; j++) {
            int nin;
            Node *const *in = ir_body_inputs(g, body, j, &nin);
            for (int k = 0; k < nin; k++)
                if (ir_is_const_graph(in[k]) && !listed[in[k]->id]) {
                    listed[in[k]->id] = 1;
                    vec_push(&const_uses[in[k]->k.u.graph->id], in[k]);
                }
            if (j == body->len)
                continue;
            Node *x = body->data[j];
            const Type *t = x->type;
            for (int k = 0; t && t->kind == T_FUNC && k < t->n; k++)
                if (t->fns[k].graph && ir_is_const_prim(x->app.in[0], P_REBIND))
                    is_root[t->fns[k].graph->id] = true;
            if ((cg_is_make_closure(x) && closure_elidable(x)) ||
                (x->app.n == 4 && ir_is_const_prim(x->app.in[0], P_SWITCH) && only_called(x) &&
                 cg_static_graph(x->app.in[2]) && cg_static_graph(x->app.in[3])))
                elided[x->id] = 1;
        }
    }
    free(listed);
}

/* ---- units, blocks, groups ----------------------------------------------- */

void cg_classify(GClass *cls, uint32_t ngi, Graph *const *graphs, int n, const bool *is_root,
                 const NodeVec *const_uses)
{
    /* candidates: every use is a jump, and nothing names the graph otherwise */
    GraphVec *from = xcalloc(ngi, sizeof(GraphVec));
    for (int i = 0; i < n; i++) {
        Graph *g = graphs[i];
        GClass *gi = class_at(cls, ngi, g);
        const NodeVec *cs = &const_uses[g->id];
        bool cand = !is_root[g->id] && cs->len > 0;
        for (int k = 0; cand && k < cs->len; k++)
            for (Use *u = cs->data[k]->uses; cand && u; u = u->next) {
                Graph *f = NULL;
                cand = use_is_jump(u, &f);
                if (cand)
                    vec_push(&from[g->id], f);
            }
        gi->kind = cand ? GK_BLOCK : GK_UNIT;
        gi->group = cand ? NULL : g;
    }
    /* groups: optimistic propagation, then demotion of blocks whose jumps
       come from two groups, until stable */
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < n; i++) {
            GClass *gi = class_at(cls, ngi, graphs[i]);
            if (gi->kind == GK_BLOCK)
                gi->group = NULL;
        }
        for (bool grew = true; grew;) {
            grew = false;
            for (int i = 0; i < n; i++) {
                Graph *g = graphs[i];
                GClass *gi = class_at(cls, ngi, g);
                if (gi->kind != GK_BLOCK || gi->group)
                    continue;
                for (int k = 0; k < from[g->id].len; k++) {
                    Graph *grp = class_at(cls, ngi, from[g->id].data[k])->group;
                    if (grp) {
                        gi->group = grp;
                        grew = true;
                        break;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Graph *g = graphs[i];
            GClass *gi = class_at(cls, ngi, g);
            if (gi->kind != GK_BLOCK)
                continue;
            bool ok = gi->group != NULL;
            for (int k = 0; ok && k < from[g->id].len; k++)
                ok = class_at(cls, ngi, from[g->id].data[k])->group == gi->group;
            if (!ok) {
                gi->kind = GK_UNIT;
                gi->group = g;
                changed = true;
            }
        }
    }
    for (uint32_t i = 0; i < ngi; i++)
        vec_free(&from[i]);
    free(from);
}

/* ---- the call graph between units and its recursive components ----------- */

/* Units a call site may enter (calls and tail calls to units). */
static void call_targets(const Node *call, GraphVec *out)
{
    const Node *c = call->app.in[0];
    Graph *g = cg_static_graph(c);
    if (g) {
        vec_push(out, g);
        return;
    }
    if (c->kind == N_APPLY && c->app.n == 4 && ir_is_const_prim(c->app.in[0], P_SWITCH)) {
        for (int k = 2; k < 4; k++) {
            Graph *h = cg_static_graph(c->app.in[k]);
            if (h)
                vec_push(out, h);
        }
        if (cg_static_graph(c->app.in[2]) && cg_static_graph(c->app.in[3]))
            return;
    }
    const Type *t = c->type;
    for (int i = 0; t && t->kind == T_FUNC && i < t->n; i++)
        if (t->fns[i].graph)
            vec_push(out, t->fns[i].graph);
}

/* Edges of the component graph: for unit u, the units its group (u and
   its blocks, `members`) calls. */
static void unit_edges(GClass *cls, uint32_t ngi, Bodies *b, Graph *u, const GraphVec *members, GraphVec *out)
{
    for (int i = 0; i < members->len; i++) {
        Graph *g = members->data[i];
        const NodeVec *body = cg_body(b, g);
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            Node *c = x->app.in[0];
            if (c->kind == N_CONST && c->k.kind == K_PRIM)
                continue;
            bool tail = g->output == x;
            GraphVec t = {0};
            call_targets(x, &t);
            for (int k = 0; k < t.len; k++) {
                GClass *ti = class_at(cls, ngi, t.data[k]);
                if (ti->kind == GK_BLOCK)
                    continue;           /* a jump inside the group */
                if (t.data[k] == u && tail)
                    continue;           /* a self tail call: a loop */
                vec_push(out, t.data[k]);
            }
            vec_free(&t);
        }
    }
}

/* The call graph between units for scc_find: units by index (their order
   in the graphs given), edges as unit indices. */
typedef struct UnitGraph {
    VEC(int) *succ;             /* by unit index */
} UnitGraph;

static int unit_succ(void *arg, int v, int i)
{
    const UnitGraph *ug = arg;
    return i < ug->succ[v].len ? ug->succ[v].data[i] : -1;
}

void cg_find_components(GClass *cls, uint32_t ngi, Bodies *b, Graph *const *graphs, int n)
{
    GraphVec units = {0};
    int *unit_index = xmalloc(sizeof(int) * (ngi ? ngi : 1));     /* by graph id, -1: not a unit */
    for (uint32_t i = 0; i < ngi; i++)
        unit_index[i] = -1;
    for (int i = 0; i < n; i++)
        if (class_at(cls, ngi, graphs[i])->kind == GK_UNIT) {
            unit_index[graphs[i]->id] = units.len;
            vec_push(&units, graphs[i]);
        }
    GraphVec *members = xcalloc(ngi, sizeof(GraphVec));    /* by group root id */
    for (int i = 0; i < n; i++)
        vec_push(&members[class_at(cls, ngi, graphs[i])->group->id], graphs[i]);
    UnitGraph ug = {xcalloc((size_t)units.len + 1, sizeof *ug.succ)};
    bool *self = xcalloc((size_t)units.len + 1, sizeof(bool));
    for (int i = 0; i < units.len; i++) {
        Graph *u = units.data[i];
        GraphVec edges = {0};
        unit_edges(cls, ngi, b, u, &members[u->id], &edges);
        for (int k = 0; k < edges.len; k++) {
            int w = unit_index[edges.data[k]->id];
            if (w < 0)
                die("codegen: @%s calls @%s, which is not compiled", u->name, edges.data[k]->name);
            vec_push(&ug.succ[i], w);
            self[i] = self[i] || w == i;
        }
        vec_free(&edges);
    }
    Scc scc;
    scc_find(units.len, NULL, 0, unit_succ, &ug, &scc);
    for (int c = 0; c < scc.ncomp; c++) {
        int size = scc.start[c + 1] - scc.start[c];
        for (int k = scc.start[c]; k < scc.start[c + 1]; k++) {
            int v = scc.order[k];
            GClass *wi = class_at(cls, ngi, units.data[v]);
            wi->scc = c;
            wi->machine = size > 1 || self[v];
            wi->mindex = k - scc.start[c];
        }
    }
    scc_free(&scc);
    for (int i = 0; i < units.len; i++)
        vec_free(&ug.succ[i]);
    free(ug.succ);
    for (uint32_t i = 0; i < ngi; i++)
        vec_free(&members[i]);
    free(members);
    free(self);
    free(unit_index);
    vec_free(&units);
}
