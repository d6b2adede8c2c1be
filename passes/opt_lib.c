/*
 * opt_lib.c: what the optimiser's passes share (contract: opt_pass.h):
 * the analysis every pass starts from (opt_analyse) and the helpers the
 * passes rewrite with.  It calls no pass and is called by the passes and
 * the driver (opt.c), which alone runs the passes.
 *
 * Assumes the module opt_module was given (opt.h), as the passes before
 * left it: they change it only through ir.h and these helpers.
 * Guarantees: after opt_analyse, the context describes the module as it
 * is (what is live, each live body, how graph constants are used) and use
 * lists hold only live users; the builders type what they make, and the
 * depends opt_depend_at_tail adds name no graph the analysis found dead;
 * the helpers keep every error the program could raise (opt_depend_at_tail,
 * opt_may_fail).
 *
 * Liveness: the roots (the module's top-level graphs) are live; a graph is
 * live when a live body uses its constant, names it in a live node's type,
 * or is the parent of a live graph; a node is live when a live graph's
 * body holds it or a live node uses it.  Use lists are swept of every dead
 * user, so passes can count and rewrite uses without seeing dead code.
 *
 * An error is not dead code: a node that may stop the program (a call, or
 * a primitive that can raise on operands not known to rule it out:
 * opt_can_raise) and that its graph computed at the last analysis is still
 * computed while the graph is live, even when a rewrite removed what used
 * it -- a value only a closure read, the closure gone with the branch a
 * known condition left out (`v = 1 % b; if True: return 1; return v`).
 * The analysis keeps such a node with a depend on its graph's final jump,
 * after the other errors that came before it, and analyses again.  (A pass
 * that replaces the node itself, as CSE and folding do, answers for it.)
 */
#include "opt_pass.h"
#include "../src/util/idmap.h"

#include <stdarg.h>
#include <string.h>

/* ---- the analysis ------------------------------------------------------------ */

static void grow(void **p, uint32_t old, uint32_t n, size_t size)
{
    *p = xrealloc(*p, size * n);
    memset((char *)*p + size * old, 0, size * (n - old));
}

static void ensure_tables(OptCtx *c)
{
    Module *m = c->m;
    if (m->ngraph_ids > c->gcap) {
        uint32_t n = m->ngraph_ids + m->ngraph_ids / 2 + 16;
        grow((void **)&c->body, c->gcap, n, sizeof(NodeVec));
        grow((void **)&c->glive, c->gcap, n, 1);
        grow((void **)&c->calls, c->gcap, n, sizeof(int));
        grow((void **)&c->values, c->gcap, n, sizeof(int));
        grow((void **)&c->named, c->gcap, n, 1);
        grow((void **)&c->pinned, c->gcap, n, 1);
        grow((void **)&c->parent_of, c->gcap, n, 1);
        c->gcap = n;
    }
    if (m->nnodes > c->ncap) {
        uint32_t n = m->nnodes + m->nnodes / 2 + 64;
        grow((void **)&c->live, c->ncap, n, 1);
        grow((void **)&c->ran_pos, c->ncap, n, sizeof(uint32_t));
        grow((void **)&c->ran_graph, c->ncap, n, sizeof(uint32_t));
        c->ncap = n;
    }
    memset(c->glive, 0, c->gcap);
    memset(c->calls, 0, sizeof(int) * c->gcap);
    memset(c->values, 0, sizeof(int) * c->gcap);
    memset(c->named, 0, c->gcap);
    memset(c->pinned, 0, c->gcap);
    memset(c->parent_of, 0, c->gcap);
    memset(c->live, 0, c->ncap);
}

static void add_graph(OptCtx *c, Graph *g)
{
    if (!c->glive[g->id]) {
        c->glive[g->id] = 1;
        vec_push(&c->graphs, g);
    }
}

/* Marks the graphs type t names (once per type and analysis). */
typedef struct TypeSeen { uint32_t *stamp; uint32_t cap, cur; } TypeSeen;

static void name_graphs(OptCtx *c, TypeSeen *ts, const Type *t, uint8_t *mark)
{
    if (!t || (t->kind != T_TUPLE && t->kind != T_FUNC))
        return;
    if (mark == c->named) {
        if (t->id >= ts->cap) {
            uint32_t n = t->id * 2 + 64;
            grow((void **)&ts->stamp, ts->cap, n, sizeof(uint32_t));
            ts->cap = n;
        }
        if (ts->stamp[t->id] == ts->cur)
            return;
        ts->stamp[t->id] = ts->cur;
    }
    if (t->kind == T_TUPLE) {
        for (int i = 0; i < t->n; i++)
            name_graphs(c, ts, t->elems[i], mark);
        return;
    }
    for (int i = 0; i < t->n; i++)
        if (t->fns[i].graph) {
            mark[t->fns[i].graph->id] = 1;
            add_graph(c, t->fns[i].graph);
        }
}

static void mark_live(OptCtx *c, Node *x, NodeVec *work)
{
    if (x->kind != N_CONST && !c->live[x->id]) {
        c->live[x->id] = 1;
        vec_push(work, x);
    }
}

/* What a live node uses: the graphs of its constants (counted as callee or
   value), the graphs its type names, its inputs (live too). */
static void use_node(OptCtx *c, TypeSeen *ts, Node *x, NodeVec *work)
{
    name_graphs(c, ts, x->type, c->named);
    if (x->kind != N_APPLY)
        return;
    for (int k = 0; k < x->app.n; k++) {
        Node *y = x->app.in[k];
        mark_live(c, y, work);
        if (ir_is_const_graph(y)) {
            if (k == 0)
                c->calls[y->k.u.graph->id]++;
            else
                c->values[y->k.u.graph->id]++;
            add_graph(c, y->k.u.graph);
        }
    }
    if (opt_is_prim(x, P_REBIND)) {
        name_graphs(c, ts, x->type, c->pinned);
        if (x->app.n > 1)
            name_graphs(c, ts, x->app.in[1]->type, c->pinned);
    }
}

static void find_live(OptCtx *c)
{
    Module *m = c->m;
    ensure_tables(c);
    c->nseen = m->ngraph_ids;
    TypeSeen ts = {.cur = 1};
    c->graphs.len = 0;
    for (int i = 0; i < m->tops.len; i++) {
        add_graph(c, m->tops.data[i].graph);
        c->pinned[m->tops.data[i].graph->id] = 1;
    }
    /* Graphs and nodes are found together: a live graph's body and
       parameters are live; a live node's inputs are live (a body holds what
       its graph computes, but a nested graph kept alive by a type may read
       nodes its parent no longer computes); what a live node uses makes
       more graphs live.  Each node's uses are counted once. */
    NodeVec work = {0}, all = {0};
    int gi = 0;
    while (gi < c->graphs.len || work.len) {
        if (work.len) {
            Node *x = vec_pop(&work);
            vec_push(&all, x);
            use_node(c, &ts, x, &work);
            continue;
        }
        Graph *g = c->graphs.data[gi++];
        if (g->parent) {
            add_graph(c, g->parent);
            c->parent_of[g->parent->id] = 1;
        }
        NodeVec *body = &c->body[g->id];
        body->len = 0;
        ir_graph_body(g, body);
        for (int i = 0; i < g->nparams; i++)
            mark_live(c, g->params[i], &work);
        for (int j = 0; j < body->len; j++)
            mark_live(c, body->data[j], &work);
        if (g->output) {
            mark_live(c, g->output, &work);
            if (ir_is_const_graph(g->output)) {
                c->values[g->output->k.u.graph->id]++;
                add_graph(c, g->output->k.u.graph);
            }
        }
    }
    for (int i = 0; i < all.len; i++)
        if (all.data[i]->graph && !c->glive[all.data[i]->graph->id])
            c->broken = true;   /* a node of a dead graph is used: a bug in a pass */
    vec_free(&all);
    vec_free(&work);
    free(ts.stamp);
}

static bool nonzero_int_const(const Node *x)
{
    return x->kind == N_CONST && ((x->k.kind == K_INT && x->k.u.i != 0) || (x->k.kind == K_BOOL && x->k.u.b));
}

static bool int_valued(const Node *x)
{
    if (x->type)
        return x->type->kind == T_INT || x->type->kind == T_BOOL;
    return x->kind == N_CONST && (x->k.kind == K_INT || x->k.kind == K_BOOL);
}

bool opt_can_raise(const Node *x)
{
    if (x->kind != N_APPLY || x->app.n == 0)
        return false;
    Node *callee = x->app.in[0];
    if (callee->kind != N_CONST || callee->k.kind != K_PRIM)
        return true;            /* a call of a graph or a closure */
    PrimId p = (PrimId)callee->k.u.prim;
    if (!(prim_info(p)->flags & PF_RAISES))
        return false;
    switch (p) {
    case P_FLOORDIV:
    case P_MOD:                 /* ints only, by a zero divisor (floats give IEEE values) */
        if (x->app.n != 3)
            return true;
        return !(x->type && x->type->kind == T_FLOAT) && !nonzero_int_const(x->app.in[2]);
    case P_FLOOR:
    case P_CEIL:
    case P_INT:                 /* floats only: nan, inf, out of range */
        return x->app.n != 2 || !int_valued(x->app.in[1]);
    case P_RANGE_STEP:          /* a zero step */
        return x->app.n != 4 || !nonzero_int_const(x->app.in[3]);
    default:
        return true;
    }
}

/* The type a node has (an untyped constant: its value's). */
static Type *type_of(OptCtx *c, Node *x)
{
    if (x->type || x->kind != N_CONST)
        return x->type;
    TypeTable *tt = c->m->types;
    switch (x->k.kind) {
    case K_INT: return type_int(tt);
    case K_FLOAT: return type_float(tt);
    case K_BOOL: return type_bool(tt);
    case K_GRAPH: {
        FnRef ref = {x->k.u.graph, -1, NULL, NULL};
        return type_func(tt, &ref, 1);
    }
    case K_PRIM: return NULL;
    }
    return NULL;
}

Type *opt_live_type(OptCtx *c, Node *x)
{
    Type *t = type_of(c, x);
    if (!ir_is_const_graph(x) || !t || t->kind != T_FUNC)
        return t;
    FnRef *keep = xmalloc(sizeof(FnRef) * (size_t)t->n);
    int n = 0;
    for (int i = 0; i < t->n; i++) {
        const Graph *g = t->fns[i].graph;
        if (!g || g == x->k.u.graph || g->id >= c->nseen || c->glive[g->id])
            keep[n++] = t->fns[i];
    }
    Type *live = n == t->n ? t : type_func(c->m->types, keep, n);
    free(keep);
    return live;
}

/* Sorts nodes by their place in their graph's last body (stable; the
   lists are short). */
static void sort_by_ran_pos(OptCtx *c, Node **v, int n)
{
    for (int i = 1; i < n; i++) {
        Node *x = v[i];
        int j = i;
        for (; j > 0 && c->ran_pos[v[j - 1]->id] > c->ran_pos[x->id]; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static void push_once(NodeVec *v, Node *x)
{
    for (int i = 0; i < v->len; i++)
        if (v->data[i] == x)
            return;
    vec_push(v, x);
}

/* Whether computing xs[0..n-1] in g computes y (an Apply of g): y is one
   of them or what g computes before one of them, through inputs and
   through what the closures of graphs nested in g read of g, as
   ir_graph_body orders a body. */
static bool computed_by(Graph *g, Node *const *xs, int n, Node *y)
{
    IdMap seen = {0};
    NodeVec work = {0}, fv = {0};
    for (int i = 0; i < n; i++)
        vec_push(&work, xs[i]);
    bool found = false;
    while (work.len && !found) {
        Node *x = vec_pop(&work);
        if (ir_is_const_graph(x) && x->k.u.graph != g && ir_graph_encloses(g, x->k.u.graph)) {
            if (idmap_get(&seen, x->id))
                continue;
            idmap_set(&seen, x->id, x);
            fv.len = 0;
            ir_free_variables(x->k.u.graph, &fv);
            for (int i = 0; i < fv.len; i++)
                if (fv.data[i]->kind == N_APPLY && fv.data[i]->graph == g)
                    vec_push(&work, fv.data[i]);
            continue;
        }
        if (x->kind != N_APPLY || x->graph != g || idmap_get(&seen, x->id))
            continue;
        idmap_set(&seen, x->id, x);
        found = x == y;
        for (int k = 0; k < x->app.n; k++)
            vec_push(&work, x->app.in[k]);
    }
    idmap_free(&seen);
    vec_free(&work);
    vec_free(&fv);
    return found;
}

void opt_depend_at_tail(OptCtx *c, Graph *g, Node *const *xs, int n, bool by_place)
{
    if (!n || !g->output)
        return;
    Node *out = g->output;
    /* A final jump one of xs needs is computed with them, before the
       others: the depend goes on the output (the jump stops being one). */
    bool is_call = out->kind == N_APPLY && out->graph == g && out->app.n > 0 &&
                   !(out->app.in[0]->kind == N_CONST && out->app.in[0]->k.kind == K_PRIM) &&
                   !computed_by(g, xs, n, out);
    int slot = -1;
    for (int k = 1; is_call && slot < 0 && k <= out->app.n; k++)
        if (type_of(c, out->app.in[k % out->app.n]))
            slot = k % out->app.n;      /* the first typed argument, else the callee */
    Node *target = slot >= 0 ? out->app.in[slot] : out;
    Node *value = target;
    NodeVec first = {0};
    for (int i = 0; i < n; i++)
        push_once(&first, xs[i]);
    if (target->kind == N_APPLY && target->graph == g && opt_is_prim(target, P_DEPEND) && target->app.n >= 2) {
        for (int i = 1; i < target->app.n - 1; i++)
            push_once(&first, target->app.in[i]);
        value = target->app.in[target->app.n - 1];
    }
    if (by_place)
        sort_by_ran_pos(c, first.data, first.len);
    Node *d = opt_apply_depend(c, g, opt_live_type(c, value), first.data, first.len, value, value->loc);
    if (slot >= 0)
        ir_set_input(out, slot, d);
    else
        ir_set_output(g, d);
    vec_free(&first);
}

/* Keeps the nodes in lost (all of graph g, in order) computed, after the
   errors g computes that came before them. */
static void keep_in_graph(OptCtx *c, Graph *g, NodeVec *lost)
{
    uint32_t last = c->ran_pos[vec_last(lost)->id];
    NodeVec first = {0};
    for (int i = 0; i < lost->len; i++)
        vec_push(&first, lost->data[i]);
    NodeVec *body = &c->body[g->id];
    for (int j = 0; j < body->len; j++) {
        Node *y = body->data[j];
        if (y->graph == g && c->ran_graph[y->id] == g->id + 1 && c->ran_pos[y->id] < last && opt_can_raise(y))
            vec_push(&first, y);
    }
    opt_depend_at_tail(c, g, first.data, first.len, true);
    vec_free(&first);
}

/* The nodes that may stop the program and that their graph computed at the
   last analysis but no longer does, though the graph is live: kept
   (keep_in_graph).  Returns whether it kept any. */
static bool keep_lost_errors(OptCtx *c)
{
    if (!c->ran.len)
        return false;
    Module *m = c->m;
    uint8_t *in_body = xcalloc(m->nnodes + 1, 1);
    for (int gi = 0; gi < c->graphs.len; gi++) {
        NodeVec *body = &c->body[c->graphs.data[gi]->id];
        for (int j = 0; j < body->len; j++)
            in_body[body->data[j]->id] = 1;
    }
    NodeVec lost = {0};
    for (int i = 0; i < c->ran.len; i++) {
        Node *x = c->ran.data[i];
        Graph *g = x->graph;
        if (g && c->glive[g->id] && c->ran_graph[x->id] == g->id + 1 && !in_body[x->id] && x->uses &&
            g->output && opt_can_raise(x))
            vec_push(&lost, x);
    }
    free(in_body);
    /* per graph, in the order the graph computed them */
    bool kept = lost.len != 0;
    while (lost.len) {
        Graph *g = lost.data[0]->graph;
        NodeVec mine = {0};
        int k = 0;
        for (int j = 0; j < lost.len; j++) {
            if (lost.data[j]->graph == g)
                vec_push(&mine, lost.data[j]);
            else
                lost.data[k++] = lost.data[j];
        }
        lost.len = k;
        sort_by_ran_pos(c, mine.data, mine.len);
        keep_in_graph(c, g, &mine);
        vec_free(&mine);
    }
    vec_free(&lost);
    return kept;
}

/* Remembers, for the next analysis, the nodes that may stop the program
   that each live graph computes, with their places. */
static void remember_errors(OptCtx *c)
{
    for (int i = 0; i < c->ran.len; i++) {
        Node *x = c->ran.data[i];
        if (x->id < c->ncap)
            c->ran_pos[x->id] = c->ran_graph[x->id] = 0;
    }
    c->ran.len = 0;
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *body = &c->body[g->id];
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            if (x->graph == g && opt_can_raise(x)) {
                c->ran_pos[x->id] = (uint32_t)j + 1;
                c->ran_graph[x->id] = g->id + 1;
                vec_push(&c->ran, x);
            }
        }
    }
}

static void sweep(OptCtx *c)
{
    /* Sweep dead users out of the use lists of live nodes. */
    NodeVec dead = {0};
    GraphVec dead_out = {0};
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *body = &c->body[g->id];
        for (int j = -g->nparams; j < body->len; j++) {
            Node *x = j < 0 ? g->params[j + g->nparams] : body->data[j];
            for (Use *u = x->uses; u; u = u->next) {
                if (u->user && !(u->user->id < c->ncap && c->live[u->user->id]))
                    vec_push(&dead, u->user);
                else if (!u->user && !c->glive[u->graph->id])
                    vec_push(&dead_out, u->graph);
            }
        }
    }
    for (int i = 0; i < dead.len; i++)
        ir_apply_set_inputs(dead.data[i], NULL, 0);
    for (int i = 0; i < dead_out.len; i++)
        ir_set_output(dead_out.data[i], NULL);
    vec_free(&dead);
    vec_free(&dead_out);
}

void opt_analyse(OptCtx *c)
{
    find_live(c);
    /* Keeping a lost error makes it live again, with what it uses. */
    for (int again = 0; again < 4 && keep_lost_errors(c); again++)
        find_live(c);
    sweep(c);
    remember_errors(c);
}

void opt_ctx_free(OptCtx *c)
{
    for (uint32_t i = 0; i < c->gcap; i++)
        vec_free(&c->body[i]);
    free(c->body);
    free(c->glive);
    free(c->calls);
    free(c->values);
    free(c->named);
    free(c->pinned);
    free(c->parent_of);
    free(c->live);
    free(c->ran_pos);
    free(c->ran_graph);
    vec_free(&c->ran);
    vec_free(&c->graphs);
}

/* ---- walking and rewriting ---------------------------------------------------- */

Node *opt_held(Node *x)
{
    while (x->kind == N_PARAM && x->param.holds)
        x = x->param.holds;
    return x;
}

bool opt_in_loop(const Graph *g, uint32_t loop)
{
    for (; g; g = g->parent)
        if (g->loop == loop)
            return true;
    return false;
}

int opt_rewrite_all(OptCtx *c, OptRewrite rw)
{
    int done = 0;
    int ngraphs = c->graphs.len;
    for (int gi = 0; gi < ngraphs; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *body = &c->body[g->id];
        for (int j = 0; j < body->len; j++)
            if (body->data[j]->uses && body->data[j]->graph == g)
                done += rw(c, body->data[j]);
    }
    return done;
}

NodeVec *opt_call_sites(OptCtx *c, const uint8_t *want)
{
    NodeVec *sites = xcalloc(c->m->ngraph_ids + 1, sizeof(NodeVec));
    for (int gi = 0; gi < c->graphs.len; gi++) {
        NodeVec *body = &c->body[c->graphs.data[gi]->id];
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            if (ir_is_const_graph(x->app.in[0]) && want[x->app.in[0]->k.u.graph->id])
                vec_push(&sites[x->app.in[0]->k.u.graph->id], x);
        }
    }
    return sites;
}

void opt_free_call_sites(OptCtx *c, NodeVec *sites)
{
    for (uint32_t i = 0; i <= c->m->ngraph_ids; i++)
        vec_free(&sites[i]);
    free(sites);
}

/* The type of x: its own, or for an untyped constant the type its value has. */
static bool has_type(const Node *x, const Type *t)
{
    if (x->type || x->kind != N_CONST)
        return x->type == t;
    switch (x->k.kind) {
    case K_INT: return t->kind == T_INT;
    case K_FLOAT: return t->kind == T_FLOAT;
    case K_BOOL: return t->kind == T_BOOL;
    case K_GRAPH: return t->kind == T_FUNC && t->n == 1 && t->fns[0].graph == x->k.u.graph;
    case K_PRIM: return false;
    }
    return false;
}

bool opt_replace(OptCtx *c, Node *old, Node *new_)
{
    (void)c;
    if (old == new_ || !old->type || !has_type(new_, old->type))
        return false;
    ir_replace_all_uses(old, new_);
    return true;
}

bool opt_same_const(const Node *a, const Node *b)
{
    if (a->kind != N_CONST || b->kind != N_CONST || a->k.kind != b->k.kind)
        return false;
    switch (a->k.kind) {
    case K_INT: return a->k.u.i == b->k.u.i;
    case K_FLOAT: return memcmp(&a->k.u.f, &b->k.u.f, sizeof(double)) == 0;
    case K_BOOL: return a->k.u.b == b->k.u.b;
    case K_PRIM: return a->k.u.prim == b->k.u.prim;
    case K_GRAPH: return a->k.u.graph == b->k.u.graph;
    }
    return false;
}

/* ---- typed builders ----------------------------------------------------------- */

Node *opt_const_float(OptCtx *c, double v, Loc loc)
{
    Node *k = ir_const_float(c->m, v, loc);
    k->type = type_float(c->m->types);
    return k;
}

Node *opt_const_graph(OptCtx *c, Graph *g, Type *type, Loc loc)
{
    Node *k = ir_const_graph(c->m, g, loc);
    k->type = type;
    return k;
}

Node *opt_apply(Graph *g, Type *type, Node *const *in, int n, Loc loc)
{
    Node *x = ir_apply(g, in, n, loc);
    x->type = type;
    return x;
}

Node *opt_apply_prim_args(Graph *g, Type *type, PrimId p, Loc loc, int nargs, Node *const *args)
{
    Node *x = ir_apply_prim_args(g, p, loc, nargs, args);
    x->type = type;
    return x;
}

Node *opt_apply_prim(Graph *g, Type *type, PrimId p, Loc loc, int nargs, ...)
{
    va_list ap;
    va_start(ap, nargs);
    Node *x = ir_apply_primv(g, p, loc, nargs, ap);
    va_end(ap);
    x->type = type;
    return x;
}

Node *opt_zero_of(OptCtx *c, Graph *g, Type *t, Loc loc)
{
    TypeTable *tt = c->m->types;
    if (!t)
        return NULL;
    if (t->kind == T_FLOAT)
        return opt_const_float(c, 0.0, loc);
    if (t->kind == T_ZERO)
        return opt_apply_prim(g, type_zero(tt), P_ZERO, loc, 0);
    if (t->kind == T_LIST)      /* the empty list stands for a list's zeros (docs/ad.md) */
        return opt_apply_prim(g, t, P_LIST_MAKE, loc, 0);
    if (t->kind != T_TUPLE || t->n > 64)
        return NULL;
    Node *in[65];
    in[0] = ir_const_prim(c->m, P_MAKE_TUPLE, loc);
    for (int i = 0; i < t->n; i++)
        if (!(in[i + 1] = opt_zero_of(c, g, t->elems[i], loc)))
            return NULL;
    return opt_apply(g, t, in, t->n + 1, loc);
}

/* The graphs of the last analysis that t names become named (c->named):
   a node a pass makes names them now, so no later rewrite of the pass may
   take them for unnamed and let them die (inlining moving one away). */
static void note_named(OptCtx *c, const Type *t)
{
    if (!t)
        return;
    if (t->kind == T_TUPLE)
        for (int i = 0; i < t->n; i++)
            note_named(c, t->elems[i]);
    if (t->kind == T_FUNC)
        for (int i = 0; i < t->n; i++)
            if (t->fns[i].graph && t->fns[i].graph->id < c->gcap)
                c->named[t->fns[i].graph->id] = 1;
}

Node *opt_apply_depend(OptCtx *c, Graph *g, Type *type, Node *const *first, int n, Node *v, Loc loc)
{
    if (!n)
        return v;
    note_named(c, type);
    Node **args = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    memcpy(args, first, sizeof(Node *) * (size_t)n);
    args[n] = v;
    Node *d = opt_apply_prim_args(g, type, P_DEPEND, loc, n + 1, args);
    free(args);
    return d;
}

/* ---- what may fail ------------------------------------------------------------ */

/* (opt_pass.h) memo by node id: 0 not known yet, 1 cannot fail, 2 may. */
OptFails opt_fails_new(OptCtx *c)
{
    OptFails f = {xcalloc(c->m->nnodes + 1, 1), c->m->nnodes + 1, {0}};
    return f;
}

void opt_fails_free(OptFails *f)
{
    free(f->memo);
    vec_free(&f->stack);
}

bool opt_may_fail(OptFails *f, Node *x)
{
    if (x->kind != N_APPLY)
        return false;
    if (x->id >= f->n)
        return true;            /* newer than the table: assume it may */
    vec_push(&f->stack, x);
    while (f->stack.len) {
        Node *y = vec_last(&f->stack);
        if (f->memo[y->id]) {
            f->stack.len--;
            continue;
        }
        bool fails = opt_can_raise(y);
        bool pending = false;
        for (int k = 1; k < y->app.n && !fails; k++) {
            Node *z = y->app.in[k];
            if (z->kind != N_APPLY || (z->uses && z->uses->next))
                continue;       /* an input something else uses stays computed */
            if (z->id >= f->n || f->memo[z->id] == 2)
                fails = true;
            else if (!f->memo[z->id]) {
                vec_push(&f->stack, z);
                pending = true;
            }
        }
        if (fails || !pending) {
            f->memo[y->id] = fails ? 2 : 1;
            f->stack.len--;
        }
    }
    return f->memo[x->id] == 2;
}

/* ---- rewriting types ---------------------------------------------------------- */

typedef struct TypeMap {
    OptCtx *c;
    OptMapRef map;
    void *arg;
    Type **memo;            /* by type id */
    uint32_t cap;
} TypeMap;

static bool same_refs(const FnRef *a, const FnRef *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].graph != b[i].graph || a[i].prim != b[i].prim || a[i].ctx != b[i].ctx || a[i].site != b[i].site)
            return false;
    return true;
}

static Type *map_type(TypeMap *w, Type *t)
{
    if (!t || (t->kind != T_TUPLE && t->kind != T_FUNC))
        return t;
    if (t->id >= w->cap) {
        uint32_t n = t->id * 2 + 64;
        w->memo = xrealloc(w->memo, sizeof(Type *) * n);
        memset(w->memo + w->cap, 0, sizeof(Type *) * (n - w->cap));
        w->cap = n;
    }
    if (w->memo[t->id])
        return w->memo[t->id];
    Type *r = t;
    TypeTable *tt = w->c->m->types;
    if (t->kind == T_TUPLE) {
        Type **e = xmalloc(sizeof(Type *) * (size_t)(t->n + 1));
        bool changed = false;
        for (int i = 0; i < t->n; i++) {
            e[i] = map_type(w, t->elems[i]);
            changed |= e[i] != t->elems[i];
        }
        if (changed)
            r = type_tuple(tt, e, t->n);
        free(e);
    } else {
        FnRefVec f = {0};
        for (int i = 0; i < t->n; i++)
            w->map(w->arg, t->fns[i], &f);
        if (f.len != t->n || !same_refs(f.data, t->fns, t->n))
            r = type_func(tt, f.data, f.len);
        vec_free(&f);
    }
    w->memo[t->id] = r;
    return r;
}

/* (opt_pass.h) The nodes are those of the bodies, their outputs and every
   node those use: a nested graph may read nodes its parent's body no
   longer holds. */
void opt_map_types(OptCtx *c, Graph *const *gs, int n, OptMapRef map, void *arg)
{
    TypeMap w = {c, map, arg, NULL, 0};
    uint8_t *seen = xcalloc(c->m->nnodes + 1, 1);     /* no node is made meanwhile */
    NodeVec work = {0};
    for (int gi = 0; gi < n; gi++) {
        Graph *g = gs[gi];
        g->ret_type = map_type(&w, g->ret_type);
        for (int i = 0; i < g->nparams; i++)
            g->params[i]->type = map_type(&w, g->params[i]->type);
        ir_graph_body(g, &work);
        if (g->output)
            vec_push(&work, g->output);
        while (work.len) {
            Node *x = vec_pop(&work);
            if (seen[x->id])
                continue;
            seen[x->id] = 1;
            x->type = map_type(&w, x->type);
            if (x->kind == N_APPLY)
                for (int k = 0; k < x->app.n; k++)
                    vec_push(&work, x->app.in[k]);
        }
    }
    vec_free(&work);
    free(seen);
    free(w.memo);
}
