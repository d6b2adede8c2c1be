/*
 * opt_inline.c: inlining calls of known graphs.
 *
 * Assumes a fresh analysis (opt_pass.h).  For each live call G(a...) whose
 * callee is a graph constant with G's arity:
 *
 *   - moved: when that call is the only live use of G's constants, G is
 *     neither a root nor named by a type other than its constant's nor by
 *     a rebind, and the call is not inside G.  G's nodes become the
 *     caller's, its parameters are replaced by the arguments, its nested
 *     graphs become nested in the caller (no graph is copied, so every
 *     type naming them stays right), and the call by G's output.  G dies.
 *   - copied: when G is small (INLINE_SMALL body nodes), has no nested
 *     graph, does not use itself and the budget allows: G's body is copied
 *     into the caller with the parameters replaced.
 *   - copied with its nested graphs: when G is a function called more than
 *     once (the J transform of a helper called twice, say) whose nested
 *     graphs hold at most INLINE_FAMILY nodes with G, none of them used by
 *     itself or pinned (rebind indexes function types by position).  Each
 *     nested graph D gets a copy D' nested in the caller; every function
 *     type naming D then also names D' (the types are widened once per
 *     pass, over the whole module), since the copy's values flow where
 *     D's did.
 *
 * Guarantees: the caller computes what the call computed (the moved or
 * copied nodes are exactly those the call ran; errors come from the same
 * primitives in the same data order: an argument whose parameter G never
 * read, which may fail, is kept by a depend before G's output); the IR
 * invariants hold: what G read from enclosing graphs is visible in the
 * caller, since G's parent encloses it, and no dead graph becomes live
 * again (the depend that keeps what a callee's depend computed first, put
 * on the inlined tail call's callee, is typed without the dead graphs the
 * type of that callee's constant may still name: opt_depend_at_tail) and
 * no body gets a cycle (when what the call computed first computes the
 * inlined output itself -- G returning a value of the caller that the
 * callee's depend kept, say -- that depend goes on the caller's output,
 * not on the output's call: opt_depend_at_tail).
 * The loop headers of a function are called from their entry and from
 * their body, so loops stay loops.
 */
#include "opt_pass.h"
#include "../src/util/idmap.h"

#include <stdlib.h>
#include <string.h>

enum { INLINE_SMALL = 30, INLINE_FAMILY = 400 };

typedef struct Tree {
    Graph **first, **next;  /* by graph id: first child, next sibling (live graphs) */
} Tree;

static void tree_build(OptCtx *c, Tree *t)
{
    t->first = xcalloc(c->m->ngraph_ids + 1, sizeof(Graph *));
    t->next = xcalloc(c->m->ngraph_ids + 1, sizeof(Graph *));
    for (int i = 0; i < c->graphs.len; i++) {
        Graph *g = c->graphs.data[i];
        if (g->parent) {
            t->next[g->id] = t->first[g->parent->id];
            t->first[g->parent->id] = g;
        }
    }
}

static int by_depth(const void *a, const void *b)
{
    const Graph *x = *(Graph *const *)a, *y = *(Graph *const *)b;
    return (x->depth > y->depth) - (x->depth < y->depth);
}

/* The live graphs nested in g at any depth. */
static void descendants(const Tree *t, Graph *g, GraphVec *out)
{
    int start = out->len;
    for (Graph *k = t->first[g->id]; k; k = t->next[k->id])
        vec_push(out, k);
    for (int i = start; i < out->len; i++)
        for (Graph *k = t->first[out->data[i]->id]; k; k = t->next[k->id])
            vec_push(out, k);
}

/* via: the call's callee is a depend of g's constant (counted as a value). */
static bool movable(OptCtx *c, Node *call, Graph *g, bool via)
{
    return c->calls[g->id] + via == 1 && c->values[g->id] - via == 0 && !c->named[g->id] &&
           !c->pinned[g->id] && g->kind != G_CONST && !ir_graph_encloses(g, call->graph);
}

/* The graph constant a call's callee is: the callee itself, or the value
   of a depend only the call uses (depend(x..., @G)(a...), which computes
   the x first: *pre gets them); NULL for other callees. */
static Node *known_callee(Node *call, NodeVec *pre)
{
    Node *f = call->app.in[0];
    pre->len = 0;
    if (ir_is_const_graph(f))
        return f;
    if (!opt_is_prim(f, P_DEPEND) || f->graph != call->graph || f->app.n < 3 || !f->uses || f->uses->next ||
        !ir_is_const_graph(f->app.in[f->app.n - 1]))
        return NULL;
    for (int i = 1; i < f->app.n - 1; i++)
        vec_push(pre, f->app.in[i]);
    return f->app.in[f->app.n - 1];
}

/* The arguments of call that inlining g would leave unused and whose
   computation may fail: g never reads their parameters and nothing but
   the call uses them.  (Before g's parameters are replaced.) */
static void unread_args(OptFails *f, Node *call, Graph *g, NodeVec *out)
{
    for (int i = 0; i < g->nparams; i++) {
        Node *a = call->app.in[i + 1];
        if (!g->params[i]->uses && a->kind == N_APPLY && opt_only_used_by(a, call) && opt_may_fail(f, a))
            vec_push(out, a);
    }
}

/* Replaces call by v, after what the call computed first and inlining
   leaves unused (pre: what its callee's depend computed; the unread
   arguments), so that their errors still happen: a depend, on the final
   jump when the call was one (it stays a tail call unless what comes
   first computes v: opt_depend_at_tail). */
static void replace_call(OptCtx *c, Node *call, const NodeVec *pre, const NodeVec *unread, Node *v)
{
    NodeVec first = {0};
    for (int i = 0; i < pre->len; i++)
        vec_push(&first, pre->data[i]);
    for (int i = 0; i < unread->len; i++)
        vec_push(&first, unread->data[i]);
    Graph *h = call->graph;
    if (first.len && h->output == call && call->uses && !call->uses->next) {
        ir_set_output(h, v);
        opt_depend_at_tail(c, h, first.data, first.len, false);
    } else {
        ir_replace_all_uses(call, opt_apply_depend(c, h, call->type, first.data, first.len, v, call->loc));
    }
    vec_free(&first);
}

/* The output g's caller sees, with the parameters replaced. */
static void move_into(OptCtx *c, OptFails *f, Tree *t, Node *call, Graph *g, const NodeVec *pre)
{
    Graph *h = call->graph;
    GraphVec sub = {0};
    descendants(t, g, &sub);
    /* g's nodes: its body, and whatever of g its nested graphs read. */
    NodeVec own = {0}, seeds = {0};
    ir_graph_body(g, &seeds);
    for (int i = 0; i < sub.len; i++) {
        NodeVec b = {0};
        ir_graph_body(sub.data[i], &b);
        for (int j = 0; j <= b.len; j++) {
            int n;
            Node *const *in = ir_body_inputs(sub.data[i], &b, j, &n);
            for (int k = 0; k < n; k++)
                if (in[k]->kind == N_APPLY && in[k]->graph == g)
                    vec_push(&seeds, in[k]);
        }
        vec_free(&b);
    }
    while (seeds.len) {
        Node *x = vec_pop(&seeds);
        if (x->graph != g)
            continue;
        x->graph = h;
        vec_push(&own, x);
        for (int k = 0; k < x->app.n; k++)
            if (x->app.in[k]->kind == N_APPLY && x->app.in[k]->graph == g)
                vec_push(&seeds, x->app.in[k]);
    }
    Node *out = g->output;
    NodeVec unread = {0};
    unread_args(f, call, g, &unread);
    for (int i = 0; i < g->nparams; i++) {
        Node *arg = call->app.in[i + 1];
        if (out == g->params[i])
            out = arg;
        ir_replace_all_uses(g->params[i], arg);
    }
    /* Nested graphs follow, shallowest first. */
    if (sub.len > 1)
        qsort(sub.data, (size_t)sub.len, sizeof(Graph *), by_depth);
    for (int i = 0; i < sub.len; i++) {
        Graph *d = sub.data[i];
        if (d->parent == g) {
            ir_graph_set_parent(d, h);
            t->next[d->id] = t->first[h->id];
            t->first[h->id] = d;
        } else {
            ir_graph_set_parent(d, d->parent);
        }
        if (d->fn == g)
            d->fn = h->fn;
    }
    t->first[g->id] = NULL;
    replace_call(c, call, pre, &unread, out);
    c->glive[g->id] = 0;
    vec_free(&unread);
    vec_free(&sub);
    vec_free(&own);
    vec_free(&seeds);
}

/* A copy uses the graphs its original used once more: the counts stay
   right for the rest of the pass (a graph called once must not be moved
   away from under a copy).  Graphs made this pass have no counts. */
static void count_use(OptCtx *c, Node *x, bool callee)
{
    if (!ir_is_const_graph(x) || x->k.u.graph->id >= c->gcap)
        return;
    if (callee)
        c->calls[x->k.u.graph->id]++;
    else
        c->values[x->k.u.graph->id]++;
}

static bool copyable(OptCtx *c, const Tree *t, const uint8_t *dirty, Graph *g)
{
    if (t->first[g->id] || dirty[g->id] || g->kind == G_CONST || c->body[g->id].len > INLINE_SMALL ||
        c->body[g->id].len > c->budget)
        return false;
    const NodeVec *b = &c->body[g->id];
    for (int j = 0; j < b->len; j++)
        for (int k = 0; k < b->data[j]->app.n; k++) {
            Node *x = b->data[j]->app.in[k];
            if (ir_is_const_graph(x) && x->k.u.graph == g)
                return false;
        }
    return true;
}

/* ---- copying a function with its nested graphs -------------------------- */

/* Node -> copy (src/util/idmap.h, by node id). */
typedef IdMap NodeMap;
static void map_put(NodeMap *m, Node *k, Node *v) { idmap_set(m, k->id, v); }
static Node *map_get(const NodeMap *m, Node *k) { return idmap_get(m, k->id); }

/* Copies of the graphs of this pass: subst[i] was copied as copy[i]. */
typedef struct Copies {
    GraphVec orig, copy;
} Copies;

/* g and the live graphs nested in it, shallowest first, if copying them
   all is allowed and affordable; else an empty list. */
static void family(OptCtx *c, const Tree *t, const uint8_t *dirty, Graph *g, GraphVec *fam)
{
    fam->len = 0;
    if (g->kind != G_FUNCTION || !t->first[g->id] || c->pinned[g->id])
        return;
    vec_push(fam, g);
    descendants(t, g, fam);
    int size = 0;
    for (int i = 0; i < fam->len; i++) {
        Graph *d = fam->data[i];
        NodeVec *b = &c->body[d->id];
        size += b->len;
        bool bad = c->pinned[d->id] || dirty[d->id] || size > INLINE_FAMILY || size > c->budget;
        for (int j = 0; j < b->len && !bad; j++)
            for (int k = 0; k < b->data[j]->app.n && !bad; k++)
                bad = ir_is_const_graph(b->data[j]->app.in[k]) && b->data[j]->app.in[k]->k.u.graph == g;
        if (bad) {
            fam->len = 0;
            return;
        }
    }
}

static int fam_index(const GraphVec *fam, const Graph *g)
{
    for (int i = 0; i < fam->len; i++)
        if (fam->data[i] == g)
            return i;
    return -1;
}

/* Copies the family fam (fam->data[0] the callee, the rest nested in it)
   into call's graph in place of the call; the nested graphs' copies are
   recorded in cp. */
static void copy_family(OptCtx *c, OptFails *f, Node *call, GraphVec *fam, Copies *cp, const NodeVec *pre)
{
    Graph *h = call->graph, *g = fam->data[0];
    Module *m = c->m;
    qsort(fam->data + 1, (size_t)fam->len - 1, sizeof(Graph *), by_depth);
    /* the graphs' copies: g's is the caller itself */
    Graph **to = xcalloc((size_t)fam->len, sizeof(Graph *));
    NodeMap map = {0};
    to[0] = h;
    for (int i = 0; i < g->nparams; i++)
        map_put(&map, g->params[i], call->app.in[i + 1]);
    for (int i = 1; i < fam->len; i++) {
        Graph *d = fam->data[i];
        Graph *parent = to[fam_index(fam, d->parent)];
        Graph *n = ir_graph_new(m, d->kind, arena_printf(m->arena, "%s.i%u", d->name, m->ngraph_ids), parent, d->loc);
        int fi = fam_index(fam, d->fn);
        n->fn = d->fn == d ? n : fi == 0 ? h->fn : fi > 0 ? to[fi] : d->fn;
        n->ret_loc = d->ret_loc;
        n->src_name = d->src_name;
        n->ret_ann = d->ret_ann;
        n->ret_type = d->ret_type;
        n->origin = d->origin;
        n->loop = d->loop;
        ir_graph_copy_provenance(n, d);
        for (int k = 0; k < d->nparams; k++) {
            Node *p = ir_add_param(n, d->params[k]->name, d->params[k]->loc);
            p->type = d->params[k]->type;
            if (d->param_ann && n->param_ann)
                n->param_ann[k] = d->param_ann[k];
            map_put(&map, d->params[k], p);
        }
        to[i] = n;
        vec_push(&cp->orig, d);
        vec_push(&cp->copy, n);
    }
    /* The family's nodes, inputs first: the bodies, and what the nested
       graphs read of their ancestors in the family. */
    NodeVec order = {0}, stack = {0};
    NodeMap done = {0};
    for (int i = 0; i < fam->len; i++) {
        NodeVec b = {0};
        ir_graph_body(fam->data[i], &b);
        for (int j = 0; j <= b.len; j++) {
            int n;
            Node *const *in = ir_body_inputs(fam->data[i], &b, j, &n);
            for (int k = 0; k < n; k++)
                vec_push(&stack, in[k]);
        }
        vec_free(&b);
        while (stack.len) {
            Node *x = vec_last(&stack);
            if (x->kind != N_APPLY || fam_index(fam, x->graph) < 0 || map_get(&done, x) == x) {
                stack.len--;
                continue;
            }
            bool ready = true;
            if (!map_get(&done, x)) {
                map_put(&done, x, call);     /* on the stack */
                for (int k = 0; k < x->app.n; k++) {
                    Node *y = x->app.in[k];
                    if (y->kind == N_APPLY && fam_index(fam, y->graph) >= 0 && !map_get(&done, y)) {
                        vec_push(&stack, y);
                        ready = false;
                    }
                }
            }
            if (ready) {
                stack.len--;
                map_put(&done, x, x);
                vec_push(&order, x);
            }
        }
    }
    VEC(Node *) in = {0};
    for (int i = 0; i < order.len; i++) {
        Node *x = order.data[i];
        in.len = 0;
        for (int k = 0; k < x->app.n; k++) {
            Node *y = x->app.in[k], *z = map_get(&map, y);
            int fi = ir_is_const_graph(y) ? fam_index(fam, y->k.u.graph) : -1;
            if (z)
                y = z;
            else if (fi > 0)
                y = opt_const_graph(c, to[fi], y->type, y->loc);
            count_use(c, y, k == 0);
            vec_push(&in, y);
        }
        Node *n = opt_apply(to[fam_index(fam, x->graph)], x->type, in.data, in.len, x->loc);
        n->name = x->name;
        map_put(&map, x, n);
    }
    for (int i = 1; i < fam->len; i++) {
        Node *o = fam->data[i]->output, *z = map_get(&map, o);
        int fi = ir_is_const_graph(o) ? fam_index(fam, o->k.u.graph) : -1;
        ir_set_output(to[i], z ? z : fi > 0 ? opt_const_graph(c, to[fi], o->type, o->loc) : o);
    }
    Node *o = g->output, *z = map_get(&map, o);
    int fi = ir_is_const_graph(o) ? fam_index(fam, o->k.u.graph) : -1;
    NodeVec unread = {0};
    unread_args(f, call, g, &unread);
    replace_call(c, call, pre, &unread, z ? z : fi > 0 ? opt_const_graph(c, to[fi], o->type, o->loc) : o);
    vec_free(&unread);
    c->budget -= order.len;
    vec_free(&in);
    vec_free(&order);
    vec_free(&stack);
    idmap_free(&done);
    idmap_free(&map);
    free(to);
}

/* Widening (opt_map_types over the whole module): a function type naming
   a copied graph also names its copies (arg: the Copies). */
static void widen_ref(void *arg, FnRef ref, FnRefVec *f)
{
    const Copies *cp = arg;
    vec_push(f, ref);
    for (int k = 0; k < cp->orig.len; k++)
        if (cp->orig.data[k] == ref.graph) {
            FnRef copy = ref;
            copy.graph = cp->copy.data[k];
            vec_push(f, copy);
        }
}

int opt_inline(OptCtx *c)
{
    Tree t;
    tree_build(c, &t);
    uint32_t ntree = c->m->ngraph_ids;
    uint8_t *dirty = xcalloc(ntree + 1, 1);
    Copies cp = {0};
    GraphVec fam = {0};
    OptFails fails = opt_fails_new(c);
    NodeVec pre = {0};
    int done = 0;
    int ngraphs = c->graphs.len;
    for (int gi = 0; gi < ngraphs; gi++) {
        Graph *h = c->graphs.data[gi];
        NodeVec *body = &c->body[h->id];
        for (int j = 0; j < body->len && c->glive[h->id]; j++) {
            Node *call = body->data[j];
            Node *k = call->graph == h && call->uses && call->app.n ? known_callee(call, &pre) : NULL;
            if (!k)
                continue;
            Graph *g = k->k.u.graph;
            bool via = k != call->app.in[0];
            if (g->id >= ntree)     /* made by this pass */
                continue;
            if (g == h || !c->glive[g->id] || call->app.n - 1 != g->nparams || !g->output ||
                (g->output->type && g->output->type != call->type))
                continue;
            /* (moves rely on the tree of nested graphs, which copies of
               families do not update: none after one, this pass) */
            int how = !cp.orig.len && movable(c, call, g, via) ? 1
                      : copyable(c, &t, dirty, g)                ? 2
                      : c->families && (family(c, &t, dirty, g, &fam), fam.len) ? 3 : 0;
            if (!how)
                continue;
            if (via)
                ir_set_input(call, 0, k);   /* the depend's x come first (pre) */
            if (how == 1) {
                move_into(c, &fails, &t, call, g, &pre);
            } else if (how == 2) {
                fam.len = 0;
                vec_push(&fam, g);      /* a leaf: a family of one */
                copy_family(c, &fails, call, &fam, &cp, &pre);
            } else {
                /* the caller now holds graphs the tree does not know */
                dirty[h->id] = 1;
                copy_family(c, &fails, call, &fam, &cp, &pre);
            }
            done++;
        }
    }
    vec_free(&pre);
    if (cp.orig.len) {
        opt_map_types(c, c->m->graphs.data, c->m->graphs.len, widen_ref, &cp);
    }
    vec_free(&cp.orig);
    vec_free(&cp.copy);
    vec_free(&fam);
    opt_fails_free(&fails);
    free(dirty);
    free(t.first);
    free(t.next);
    return done;
}
