/*
 * check.c: the IR checker, run between passes in test builds (QBE's
 * ssacheck).  It validates the invariants of ir.h over every graph of the
 * module and every node reachable from their outputs and parameters:
 *
 *   - graphs: listed once with a dense id, parent chain inside the module
 *     and acyclic, an output, params[i] a parameter of index i owned by g;
 *   - scoping: an input of an Apply owned by G is a Constant or owned by G
 *     or an ancestor; a graph constant's graph has no parent or one that
 *     encloses G (the same for graph outputs);
 *   - Apply nodes have a callee, and exactly prim_table[p].arity arguments
 *     when the callee is a constant primitive p (arity -1: any number);
 *   - use lists mirror inputs and outputs both ways (every use names a real
 *     edge, once; every edge has its use);
 *   - the bodies are acyclic;
 *   - existence: every Apply used (as an input or a graph output) by what
 *     runs -- the output of a graph that may run, or a node of its body --
 *     is computed by its owner, i.e. is in the owner's body as
 *     ir_graph_body gives it: reachable from the owner's output through
 *     inputs and through the closures of graphs nested in the owner that it
 *     creates (a node that nothing computes -- dropped by a pass, or needed
 *     only by a closure its owner does not create, such as one that rebind
 *     makes -- would be read unset).  A graph may run when it is top level
 *     or a closure of it may be made (compute_live); dead code, which a
 *     pass may leave until it drops it, is exempt;
 *   - when `typed`, every Apply and Parameter has a type (a Constant's value
 *     is its type, so constants may stay untyped).
 *
 * It reads only what it has validated first (no ir_graph_encloses on a
 * possibly cyclic parent chain) and never recurses.
 */
#include "ir.h"

#include <stdio.h>
#include <string.h>

typedef struct Ck {
    const Module *m;
    Graph *const *graphs;       /* the graphs checked: m->graphs, or the optimiser's live ones */
    int ngraphs;
    bool existence;             /* check the existence rule */
    StrBuf *errs;
    int count;
    uint32_t ng, nn;
    const Graph **byid;         /* by graph id */
    bool *bad_parent;           /* by graph id: parent chain unusable */
    uint32_t *depth;            /* by graph id: nesting depth, NO_DEPTH if the chain is unusable */
    uint32_t *reach;            /* by node id: see compute_reach */
    unsigned char *live;        /* by graph id: see compute_live */
} Ck;

#define NO_DEPTH UINT32_MAX

static void err(Ck *ck, const Graph *g, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(Ck *ck, const Graph *g, const char *fmt, ...)
{
    sb_printf(ck->errs, "ir_check: graph @%s: ", g && g->name ? g->name : "?");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(ck->errs, fmt, ap);
    va_end(ap);
    sb_putc(ck->errs, '\n');
    ck->count++;
}

/* "node #12 'acc' (add)": ids are unstable, but this is for debugging. */
static const char *describe(const Node *x, char *buf, size_t n)
{
    const char *what = "?";
    if (x->kind == N_PARAM)
        what = "parameter";
    else if (x->kind == N_CONST)
        what = "constant";
    else if (x->app.n > 0 && x->app.in[0] && x->app.in[0]->kind == N_CONST && x->app.in[0]->k.kind == K_PRIM &&
             (int)x->app.in[0]->k.u.prim >= 0 && x->app.in[0]->k.u.prim < P__COUNT)
        what = prim_table[x->app.in[0]->k.u.prim].name;
    else if (x->kind == N_APPLY)
        what = "call";
    if (x->name)
        snprintf(buf, n, "node #%u '%s' (%s)", x->id, x->name, what);
    else
        snprintf(buf, n, "node #%u (%s)", x->id, what);
    return buf;
}

static bool graph_ok(const Ck *ck, const Graph *g)
{
    return g && g->id < ck->ng && ck->byid[g->id] == g;
}

/* a == g or an ancestor of g; bounded, and only over validated chains. */
static bool encloses(const Ck *ck, const Graph *a, const Graph *g)
{
    for (uint32_t steps = 0; g && steps <= ck->ng; g = g->parent, steps++) {
        if (g == a)
            return true;
        if (!graph_ok(ck, g) || ck->bad_parent[g->id])
            return false;
    }
    return false;
}

static void check_graphs(Ck *ck)
{
    const Module *m = ck->m;
    for (int i = 0; i < ck->ngraphs; i++) {
        const Graph *g = ck->graphs[i];
        if (!g) {
            sb_printf(ck->errs, "ir_check: module graph list has a NULL entry at %d\n", i);
            ck->count++;
        } else if (g->id >= ck->ng) {
            err(ck, g, "id %u out of range (%u graph ids)", g->id, ck->ng);
        } else if (ck->byid[g->id]) {
            err(ck, g, "id %u shared with @%s", g->id, ck->byid[g->id]->name);
        } else {
            ck->byid[g->id] = g;
            if (g->module != m)
                err(ck, g, "belongs to another module");
        }
    }
    for (uint32_t id = 0; id < ck->ng; id++) {
        const Graph *g = ck->byid[id];
        if (!g)
            continue;
        uint32_t steps = 0;
        const Graph *p = g->parent;
        for (; p && steps <= ck->ng; p = p->parent, steps++) {
            if (!graph_ok(ck, p)) {
                err(ck, g, "ancestor @%s is not a graph of the module", p->name ? p->name : "?");
                ck->bad_parent[id] = true;
                break;
            }
            if (p == g) {
                err(ck, g, "parent chain is cyclic");
                ck->bad_parent[id] = true;
                break;
            }
        }
        if (p && steps > ck->ng && !ck->bad_parent[id]) {
            err(ck, g, "parent chain is cyclic");
            ck->bad_parent[id] = true;
        }
        if (!g->output)
            err(ck, g, "has no output");
        for (int i = 0; i < g->nparams; i++) {
            const Node *x = g->params[i];
            char b[128];
            if (!x)
                err(ck, g, "parameter %d is NULL", i);
            else if (x->kind != N_PARAM)
                err(ck, g, "parameter %d is %s, not a parameter", i, describe(x, b, sizeof b));
            else if (x->param.index != i)
                err(ck, g, "parameter %d has index %d", i, x->param.index);
            else if (x->graph != g)
                err(ck, g, "parameter %d is owned by @%s", i, x->graph ? x->graph->name : "?");
        }
    }
}

/* Every node reachable from the graphs' outputs and parameters. */
static void collect(Ck *ck, NodeVec *nodes, unsigned char *seen)
{
    NodeVec work = {0};
    for (uint32_t id = 0; id < ck->ng; id++) {
        const Graph *g = ck->byid[id];
        if (!g)
            continue;
        if (g->output)
            vec_push(&work, g->output);
        for (int i = 0; i < g->nparams; i++)
            if (g->params[i])
                vec_push(&work, g->params[i]);
    }
    while (work.len) {
        Node *x = vec_pop(&work);
        if (x->id >= ck->nn) {
            sb_printf(ck->errs, "ir_check: node #%u: id out of range (%u node ids)\n", x->id, ck->nn);
            ck->count++;
            continue;
        }
        if (seen[x->id])
            continue;
        seen[x->id] = 1;
        vec_push(nodes, x);
        if (x->kind == N_APPLY)
            for (int i = 0; i < x->app.n; i++)
                if (x->app.in[i])
                    vec_push(&work, x->app.in[i]);
    }
    vec_free(&work);
}

/* ---- existence ---------------------------------------------------------------- */

/* The nesting depth of every graph whose parent chain is usable (each
   graph's depth is found once: the walk up stops at a known depth). */
static void compute_depths(Ck *ck)
{
    ck->depth = xmalloc(sizeof(uint32_t) * (ck->ng ? ck->ng : 1));
    for (uint32_t id = 0; id < ck->ng; id++)
        ck->depth[id] = NO_DEPTH;
    bool *bad = xcalloc(ck->ng ? ck->ng : 1, sizeof(bool));    /* a chain through a bad graph */
    for (uint32_t id = 0; id < ck->ng; id++)
        if (ck->byid[id] && ck->bad_parent[id])
            bad[id] = true;
    GraphVec chain = {0};
    for (uint32_t id = 0; id < ck->ng; id++) {
        const Graph *g = ck->byid[id];
        if (!g || ck->depth[id] != NO_DEPTH || bad[id])
            continue;
        chain.len = 0;
        const Graph *p = g;
        while (p && ck->depth[p->id] == NO_DEPTH && !bad[p->id]) {
            vec_push(&chain, (Graph *)p);
            p = p->parent;      /* validated: in the module, and the chain ends */
        }
        bool ok = !p || !bad[p->id];
        uint32_t d = p ? ck->depth[p->id] + 1 : 0;
        for (int i = chain.len - 1; i >= 0; i--) {
            if (ok)
                ck->depth[chain.data[i]->id] = d++;
            else
                bad[chain.data[i]->id] = true;
        }
    }
    vec_free(&chain);
    free(bad);
}

/*
 * reach[x]: the least depth of a graph whose output reaches node x, through
 * inputs and from a graph constant to that graph's output.  A node x of G is
 * in G's body exactly when reach[x] <= depth(G): a path into the graphs
 * nested in G from outside them passes through G's output (a node of G, or
 * a constant of a graph nested in G, is used only inside G), so a graph at
 * G's depth or shallower that reaches x does so through G's output, while
 * one that is deeper is nested in G, and reaches x only through what that
 * graph's closure reads of G -- which G computes only if it creates that
 * closure, i.e. if G's output reaches the graph.  Computed in one pass:
 * from the graphs' outputs by increasing depth, each node labelled when
 * first reached (linear in the size of the module).
 */
static void compute_reach(Ck *ck)
{
    ck->reach = xmalloc(sizeof(uint32_t) * (ck->nn ? ck->nn : 1));
    for (uint32_t i = 0; i < ck->nn; i++)
        ck->reach[i] = NO_DEPTH;
    /* graphs by depth (counting sort) */
    uint32_t *count = xcalloc((size_t)ck->ng + 1, sizeof(uint32_t));
    for (uint32_t id = 0; id < ck->ng; id++)
        if (ck->byid[id] && ck->depth[id] != NO_DEPTH)
            count[ck->depth[id] + 1]++;
    for (uint32_t d = 0; d < ck->ng; d++)
        count[d + 1] += count[d];
    const Graph **order = xmalloc(sizeof(Graph *) * (ck->ng ? ck->ng : 1));
    uint32_t n = 0;
    for (uint32_t id = 0; id < ck->ng; id++)
        if (ck->byid[id] && ck->depth[id] != NO_DEPTH) {
            order[count[ck->depth[id]]++] = ck->byid[id];
            n++;
        }
    unsigned char *entered = xcalloc(ck->ng ? ck->ng : 1, 1);     /* by graph id: output pushed */
    NodeVec work = {0};
    for (uint32_t i = 0; i < n; i++) {
        const Graph *g = order[i];
        uint32_t d = ck->depth[g->id];
        if (entered[g->id] || !g->output)
            continue;
        entered[g->id] = 1;
        vec_push(&work, g->output);
        while (work.len) {
            Node *x = vec_pop(&work);
            if (x->id >= ck->nn || ck->reach[x->id] != NO_DEPTH)
                continue;
            ck->reach[x->id] = d;
            if (x->kind == N_CONST && x->k.kind == K_GRAPH) {
                const Graph *k = x->k.u.graph;
                if (graph_ok(ck, k) && !entered[k->id] && k->output) {
                    entered[k->id] = 1;
                    vec_push(&work, k->output);
                }
            } else if (x->kind == N_APPLY) {
                for (int j = 0; j < x->app.n; j++)
                    if (x->app.in[j])
                        vec_push(&work, x->app.in[j]);
            }
        }
    }
    vec_free(&work);
    free(entered);
    free(order);
    free(count);
}

static void make_live(Ck *ck, const Graph *g, NodeVec *work)
{
    if (!graph_ok(ck, g) || ck->live[g->id])
        return;
    ck->live[g->id] = 1;
    if (g->output)
        vec_push(work, g->output);
}

/*
 * live[g]: graph g may run.  Top-level graphs may; so may a graph a closure
 * of which may be made: its constant is used by a node that a live graph's
 * output reaches, or a rebind reached so names it in its result type
 * (rebind makes the closure of a function of its own type over its
 * operand's frame).  One pass over the nodes reached (linear).
 */
static void compute_live(Ck *ck)
{
    ck->live = xcalloc(ck->ng ? ck->ng : 1, 1);
    unsigned char *seen = xcalloc(ck->nn ? ck->nn : 1, 1);
    NodeVec work = {0};
    for (uint32_t id = 0; id < ck->ng; id++)
        if (ck->byid[id] && !ck->byid[id]->parent)
            make_live(ck, ck->byid[id], &work);
    while (work.len) {
        Node *x = vec_pop(&work);
        if (x->id >= ck->nn || seen[x->id])
            continue;
        seen[x->id] = 1;
        if (x->kind == N_CONST && x->k.kind == K_GRAPH) {
            make_live(ck, x->k.u.graph, &work);
        } else if (x->kind == N_APPLY) {
            for (int j = 0; j < x->app.n; j++)
                if (x->app.in[j])
                    vec_push(&work, x->app.in[j]);
            const Node *c = x->app.n ? x->app.in[0] : NULL;
            if (c && c->kind == N_CONST && c->k.kind == K_PRIM && c->k.u.prim == P_REBIND && x->type &&
                x->type->kind == T_FUNC)
                for (int j = 0; j < x->type->n; j++)
                    if (x->type->fns[j].graph)
                        make_live(ck, x->type->fns[j].graph, &work);
        }
    }
    vec_free(&work);
    free(seen);
}

/* Whether `user`, an Apply of g (or g's output, when NULL), may be
   evaluated: g may run, and computes it.  Only then must its inputs exist. */
static bool runs(const Ck *ck, const Graph *g, const Node *user)
{
    if (!ck->live[g->id] || ck->depth[g->id] == NO_DEPTH)
        return false;
    return !user || (user->id < ck->nn && ck->reach[user->id] <= ck->depth[g->id]);
}

/* Scoping of input x used in graph g (by `user`, or as g's output). */
static void check_scope(Ck *ck, const Graph *g, const Node *user, int index, const Node *x)
{
    char b1[128], b2[128];
    char where[200];
    if (user)
        snprintf(where, sizeof where, "%s: input %d", describe(user, b1, sizeof b1), index);
    else
        snprintf(where, sizeof where, "output");
    if (x->kind == N_CONST) {
        if (x->k.kind != K_GRAPH)
            return;
        const Graph *k = x->k.u.graph;
        if (!graph_ok(ck, k))
            err(ck, g, "%s: constant of a graph that is not in the module", where);
        else if (k->parent && !encloses(ck, k->parent, g))
            err(ck, g, "%s: constant @%s has parent @%s, which does not enclose @%s", where, k->name,
                k->parent->name, g->name);
        return;
    }
    if (!graph_ok(ck, x->graph))
        err(ck, g, "%s: %s has no owner in the module", where, describe(x, b2, sizeof b2));
    else if (!encloses(ck, x->graph, g))
        err(ck, g, "%s: %s is owned by @%s, which does not enclose @%s", where, describe(x, b2, sizeof b2),
            x->graph->name, g->name);
    else if (ck->existence && x->kind == N_APPLY && runs(ck, g, user) && x->id < ck->nn &&
             ck->depth[x->graph->id] != NO_DEPTH && ck->reach[x->id] > ck->depth[x->graph->id])
        err(ck, g, "%s: %s is not computed by its owner @%s (not in its body)", where,
            describe(x, b2, sizeof b2), x->graph->name);
}

static void check_node(Ck *ck, Node *x, bool typed)
{
    char b[128];
    if (x->kind == N_CONST) {
        if (x->graph)
            err(ck, x->graph, "%s: a constant with an owner", describe(x, b, sizeof b));
        if (x->k.kind == K_PRIM && ((int)x->k.u.prim < 0 || x->k.u.prim >= P__COUNT)) {
            sb_printf(ck->errs, "ir_check: %s: invalid primitive %d\n", describe(x, b, sizeof b), (int)x->k.u.prim);
            ck->count++;
        }
        if (x->k.kind == K_GRAPH && !graph_ok(ck, x->k.u.graph)) {
            sb_printf(ck->errs, "ir_check: %s: constant of a graph that is not in the module\n", describe(x, b, sizeof b));
            ck->count++;
        }
        return;
    }
    const Graph *g = x->graph;
    if (!graph_ok(ck, g)) {
        sb_printf(ck->errs, "ir_check: %s: owner is not a graph of the module\n", describe(x, b, sizeof b));
        ck->count++;
        return;
    }
    if (typed && !x->type)
        err(ck, g, "%s has no type", describe(x, b, sizeof b));
    if (x->kind == N_PARAM) {
        int i = x->param.index;
        if (i < 0 || i >= g->nparams || g->params[i] != x)
            err(ck, g, "%s is not parameter %d of its graph", describe(x, b, sizeof b), i);
        return;
    }
    if (x->app.n < 1) {
        err(ck, g, "%s has no callee", describe(x, b, sizeof b));
        return;
    }
    for (int i = 0; i < x->app.n; i++) {
        if (!x->app.in[i])
            err(ck, g, "%s: input %d is NULL", describe(x, b, sizeof b), i);
        else
            check_scope(ck, g, x, i, x->app.in[i]);
    }
    const Node *callee = x->app.in[0];
    if (callee && callee->kind == N_CONST && callee->k.kind == K_PRIM && (int)callee->k.u.prim >= 0 &&
        callee->k.u.prim < P__COUNT) {
        const PrimInfo *p = &prim_table[callee->k.u.prim];
        if (p->arity >= 0 && x->app.n - 1 != p->arity)
            err(ck, g, "%s: %s takes %d argument%s, given %d", describe(x, b, sizeof b), p->name, p->arity,
                p->arity == 1 ? "" : "s", x->app.n - 1);
    }
}

/* ---- use lists -------------------------------------------------------------- */

/* A set of (user id, input index) pairs, sized once for the uses there
   are: a pair-keyed set, not src/util/idmap.h's id -> pointer map. */
typedef struct KeySet {
    uint64_t *keys;     /* 0 = empty; keys are stored + 1 */
    size_t cap;
} KeySet;

/* Adds k; false when it was there already. */
static bool keyset_add(KeySet *s, uint64_t k)
{
    k++;
    size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (s->cap - 1);
    while (s->keys[i]) {
        if (s->keys[i] == k)
            return false;
        i = (i + 1) & (s->cap - 1);
    }
    s->keys[i] = k;
    return true;
}

/* The length of x's use list, or SIZE_MAX when it is cyclic (Floyd's
   test).  Dead code keeps its edges until the optimiser drops its graphs,
   so a use list may be longer than the reachable edges. */
static size_t use_list_length(const Node *x)
{
    size_t n = 0;
    const Use *hare = x->uses;
    for (const Use *u = x->uses; u; u = u->next) {
        if (n++ > 0 && hare == u)
            return SIZE_MAX;
        hare = hare && hare->next ? hare->next->next : NULL;
    }
    return n;
}

static void check_uses(Ck *ck, const NodeVec *nodes, const unsigned char *seen)
{
    /* edges into each node from reachable users and graph outputs */
    uint32_t *indeg = xcalloc(ck->nn ? ck->nn : 1, sizeof(uint32_t));
    for (int i = 0; i < nodes->len; i++) {
        Node *x = nodes->data[i];
        if (x->kind == N_APPLY && graph_ok(ck, x->graph))
            for (int j = 0; j < x->app.n; j++)
                if (x->app.in[j] && x->app.in[j]->id < ck->nn)
                    indeg[x->app.in[j]->id]++;
    }
    for (uint32_t id = 0; id < ck->ng; id++) {
        const Graph *g = ck->byid[id];
        if (g && g->output && g->output->id < ck->nn)
            indeg[g->output->id]++;
    }
    size_t uses = 0;
    for (int i = 0; i < nodes->len; i++) {
        size_t n = use_list_length(nodes->data[i]);
        if (n != SIZE_MAX)
            uses += n;
    }
    KeySet set = {0};
    set.cap = 64;
    while (set.cap < uses * 2 + 64)
        set.cap *= 2;
    set.keys = xcalloc(set.cap, sizeof(uint64_t));
    char b[128], b2[128];
    for (int i = 0; i < nodes->len; i++) {
        Node *x = nodes->data[i];
        const Graph *g = x->graph;
        uint32_t live = 0;
        if (use_list_length(x) == SIZE_MAX) {
            err(ck, g, "use list of %s is cyclic", describe(x, b, sizeof b));
            continue;
        }
        Use *prev = NULL;
        for (Use *u = x->uses; u; prev = u, u = u->next) {
            if (u->prev != prev)
                err(ck, g, "use list of %s: broken prev link", describe(x, b, sizeof b));
            uint64_t key;
            bool counts;
            if (u->user) {
                Node *y = u->user;
                if (y->kind != N_APPLY || u->index < 0 || u->index >= y->app.n || y->app.in[u->index] != x) {
                    err(ck, g, "use list of %s names %s input %d, which is not it", describe(x, b, sizeof b),
                        describe(y, b2, sizeof b2), u->index);
                    continue;
                }
                if (y->app.use[u->index] != u)
                    err(ck, g, "use list of %s: %s keeps another record of its input %d", describe(x, b, sizeof b),
                        describe(y, b2, sizeof b2), u->index);
                key = ((uint64_t)y->id << 32) | (uint32_t)u->index;
                counts = y->id < ck->nn && seen[y->id] && graph_ok(ck, y->graph);
            } else {
                const Graph *h = u->graph;
                if (!h || u->index != -1 || h->output != x) {
                    err(ck, g, "use list of %s names the output of @%s, which is not it", describe(x, b, sizeof b),
                        h && h->name ? h->name : "?");
                    continue;
                }
                if (h->output_use != u)
                    err(ck, g, "use list of %s: @%s keeps another record of its output", describe(x, b, sizeof b),
                        h->name ? h->name : "?");
                key = ((uint64_t)(0x80000000u | h->id) << 32) | 0xffffffffu;
                counts = graph_ok(ck, h);
            }
            if (!keyset_add(&set, key)) {
                err(ck, g, "use list of %s lists one use twice", describe(x, b, sizeof b));
                continue;
            }
            if (counts)
                live++;
        }
        if (live != indeg[x->id])
            err(ck, g, "use list of %s records %u of its %u uses", describe(x, b, sizeof b), live, indeg[x->id]);
    }
    free(set.keys);
    free(indeg);
}

/* ---- acyclicity ---------------------------------------------------------------- */

static void check_acyclic(Ck *ck, const NodeVec *nodes)
{
    unsigned char *color = xcalloc(ck->nn ? ck->nn : 1, 1);   /* 0 new, 1 on stack, 2 done */
    typedef struct { Node *n; int next; } F;
    VEC(F) st = {0};
    char b[128];
    for (int i = 0; i < nodes->len; i++) {
        Node *root = nodes->data[i];
        if (root->kind != N_APPLY || color[root->id])
            continue;
        F f = {root, 0};
        vec_push(&st, f);
        color[root->id] = 1;
        while (st.len) {
            F *top = &st.data[st.len - 1];
            if (top->next < top->n->app.n) {
                Node *x = top->n->app.in[top->next++];
                if (!x || x->kind != N_APPLY || x->id >= ck->nn)
                    continue;
                if (color[x->id] == 1) {
                    err(ck, x->graph, "the body has a cycle through %s", describe(x, b, sizeof b));
                } else if (color[x->id] == 0) {
                    color[x->id] = 1;
                    F g = {x, 0};
                    vec_push(&st, g);
                }
            } else {
                color[top->n->id] = 2;
                st.len--;
            }
        }
    }
    vec_free(&st);
    free(color);
}

int ir_check(const Module *m, bool typed, StrBuf *errs)
{
    return ir_check_graphs(m, m->graphs.data, m->graphs.len, typed, true, errs);
}

int ir_check_graphs(const Module *m, Graph *const *graphs, int ngraphs, bool typed, bool existence, StrBuf *errs)
{
    Ck ck = {0};
    StrBuf sink = {0};
    ck.m = m;
    ck.graphs = graphs;
    ck.ngraphs = ngraphs;
    ck.existence = existence;
    ck.errs = errs ? errs : &sink;
    ck.ng = m->ngraph_ids;
    ck.nn = m->nnodes;
    ck.byid = xcalloc(ck.ng ? ck.ng : 1, sizeof(Graph *));
    ck.bad_parent = xcalloc(ck.ng ? ck.ng : 1, sizeof(bool));
    check_graphs(&ck);

    NodeVec nodes = {0};
    unsigned char *seen = xcalloc(ck.nn ? ck.nn : 1, 1);
    collect(&ck, &nodes, seen);
    compute_depths(&ck);
    compute_reach(&ck);
    compute_live(&ck);
    for (int i = 0; i < nodes.len; i++)
        check_node(&ck, nodes.data[i], typed);
    for (uint32_t id = 0; id < ck.ng; id++) {
        const Graph *g = ck.byid[id];
        if (g && g->output)
            check_scope(&ck, g, NULL, -1, g->output);
    }
    check_uses(&ck, &nodes, seen);
    check_acyclic(&ck, &nodes);

    vec_free(&nodes);
    free(seen);
    free(ck.byid);
    free(ck.bad_parent);
    free(ck.depth);
    free(ck.reach);
    free(ck.live);
    sb_free(&sink);
    return ck.count;
}
