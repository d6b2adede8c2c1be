/*
 * grad.c: the J transform (reverse mode) and the forward-mode transform.
 *
 * Assumes: an untyped module as lowering builds it (ir_check passes), to
 * which inference may already have added transformed graphs.
 * Guarantees: every graph returned is well formed (ir_check passes), is
 * nested where the graph it comes from is (so that J(x) of a closure x is
 * a closure of the transform over the same frame), and holds only
 * ordinary applications: transforming it again is the same operation.
 *
 * A *region* is a function graph G and every graph nested in it (its
 * blocks, branches, nested functions and lambdas).  Transforming G
 * transforms the region at once: a graph K nested in G becomes a graph JK
 * nested in the transform of K's parent, reading the transformed values of
 * what K read, so that closures made inside the transformed code are
 * themselves transformed.  Free variables of G (nodes of enclosing
 * functions, outside the region) are read through J(v) (Jfwd(v)) in the
 * root, so that a function value captured from outside is differentiated
 * too.
 *
 * Reverse mode, for each graph H of the region (Pearlmutter & Siskind):
 *
 *   J(H)(x...)     every application y = f(a...) becomes
 *                  r = J(f)(J(a)...); y' = r[0]; bprop.y = r[1]
 *                  and J(H) returns (output', bprop.H), bprop.H being a
 *                  closure nested in J(H);
 *   bprop.H(d)     visits H's body backwards; each node's sensitivity is
 *                  the sum (sens_add) of the contributions of its uses;
 *                  a node with none is skipped entirely (no bprop call:
 *                  the branch not taken, values that only reach
 *                  comparisons); calls bprop.y on the sensitivity of y and
 *                  adds its results to the callee and the arguments.  The
 *                  sensitivity of a closure made in H (an env) is split
 *                  among the variables it captured (env_get by key).
 *                  Returns (env of H's free variables, d of each param).
 *
 * Forward mode: every application y = f(a...) becomes
 * r = Jfwd(f)(a'..., t(a)...); y' = r[0]; t(y) = r[1]; values that depend
 * on nothing the region varies (constants, free variables) are computed as
 * in the original and have a zero tangent.
 *
 * Primitives go through small graphs built from their DiffRule
 * (grad_rules.c), made once per primitive and arity.  Differentiation
 * operators nested in differentiated code (derive() nodes) are carried
 * along with one more transform in their tower; inference later replaces
 * each by a call of the operator's graph with the tower applied
 * (grad_operator), which is how any nesting works with one mechanism.
 *
 * Transforms are built from a worklist, never by recursion over the
 * program: a region needing the transform of another function (a call of
 * a top-level function) gets its graph, empty, at once, and the worklist
 * fills it later.
 */
#include "grad.h"
#include "../src/util/diag.h"
#include "../src/util/idmap.h"
#include "../src/util/scc.h"

#include <string.h>

/* Side tables keyed by node or graph id (src/util/idmap.h), typed. */
typedef IdMap NodeMap;
typedef IdMap GraphMap;
static Node *nm_get(const NodeMap *m, const Node *k) { return idmap_get(m, k->id); }
static void nm_set(NodeMap *m, const Node *k, Node *v) { idmap_set(m, k->id, v); }
static Graph *gm_get(const GraphMap *m, const Graph *k) { return idmap_get(m, k->id); }
static void gm_set(GraphMap *m, const Graph *k, Graph *v) { idmap_set(m, k->id, v); }

typedef struct Region Region;
struct Region {
    int mode;
    int serial;
    Graph *root, *troot;
    Region *outer;          /* an extension (see "nesting"): the region whose transformed
                               code this one's root joins; NULL for a standalone region */
    Graph *companion;       /* an extension: the outer region's transform whose closures
                               rebind makes this one's root's closures from */
    GraphMap ext;           /* graph nested in this region -> its extension's root */
    GraphVec graphs;        /* the region's source graphs, parents first */
    GraphMap tg;            /* source graph -> transformed graph */
    GraphMap bprop;         /* reverse mode: source graph -> its bprop graph */
    NodeMap val;            /* source node -> transformed value (J(x), or x' forward) */
    NodeMap aux;            /* reverse: the node's bprop; forward: its tangent (NULL: zero) */
    NodeMap prim;           /* forward: the copy of a node that depends on nothing varied */
    NodeMap inl;            /* a primitive application transformed in place: the rule is built
                               inline (in the bprop, or next to the tangent), no closure */
    /* reverse mode, loops (find_loops): */
    GraphMap cps;           /* member of a loop -> its continuation-passing transform J'(G) */
    IdMap kparam;           /* by graph id: a member block's continuation parameter in J'(G) */
    IdMap tail;             /* by graph id: how a member jumps to the next: its output (a block
                               called directly) or the switch(c, A, B) it calls; NULL: it leaves */
    GraphVec entries;       /* each loop's entry block, whose tg is the wrapper J(E) */
    IdMap entry_of;         /* by graph id: a member's loop's entry block */
};

typedef struct PrimEntry {
    int mode, prim, nargs;
    Graph *g;
} PrimEntry;

typedef struct OpEntry {
    Node *site;
    int arity;
    Graph *g;           /* the operator graph with the tower applied */
    Graph *base;        /* before the tower (W) */
} OpEntry;

typedef struct GradState {
    Module *m;
    GraphMap standalone[3];     /* by mode: source graph -> transform as a value */
    GraphMap source;            /* transformed graph -> source graph */
    IdMap region_of;            /* by transformed graph id: the region that made it */
    IdMap prim_of;              /* by graph id: 1 + index in prims of a primitive's transform */
    IdMap srcmode;              /* by transformed graph id: its mode (MODE_J, MODE_F) */
    VEC(PrimEntry) prims;
    VEC(OpEntry) ops;
    VEC(Region *) pending;
    VEC(Region *) all;
    bool running;
    VEC(NodeVec *) fvs;         /* by graph id: what a closure's sensitivity holds (sens_keys) */
    /* reverse-mode scratch for one graph at a time */
    NodeMap acc;
    NodeVec order;
    IdMap keyed;                /* scratch, empty between uses: sens_key -> a variable */
} GradState;

static void region_free(Region *r)
{
    vec_free(&r->graphs);
    idmap_free(&r->tg);
    idmap_free(&r->bprop);
    idmap_free(&r->val);
    idmap_free(&r->aux);
    idmap_free(&r->prim);
    idmap_free(&r->inl);
    idmap_free(&r->cps);
    idmap_free(&r->kparam);
    idmap_free(&r->entry_of);
    idmap_free(&r->tail);
    idmap_free(&r->ext);
    vec_free(&r->entries);
    free(r);
}

GradState *grad_state_new(Module *m)
{
    GradState *gs = xcalloc(1, sizeof(GradState));
    gs->m = m;
    return gs;
}

void grad_state_free(GradState *gs)
{
    if (!gs)
        return;
    for (int i = 0; i < 3; i++)
        idmap_free(&gs->standalone[i]);
    idmap_free(&gs->source);
    idmap_free(&gs->region_of);
    idmap_free(&gs->prim_of);
    idmap_free(&gs->srcmode);
    vec_free(&gs->prims);
    vec_free(&gs->ops);
    for (int i = 0; i < gs->all.len; i++)
        region_free(gs->all.data[i]);
    vec_free(&gs->all);
    vec_free(&gs->pending);
    idmap_free(&gs->acc);
    idmap_free(&gs->keyed);
    vec_free(&gs->order);
    for (int i = 0; i < gs->fvs.len; i++)
        if (gs->fvs.data[i]) {
            vec_free(gs->fvs.data[i]);
            free(gs->fvs.data[i]);
        }
    vec_free(&gs->fvs);
    free(gs);
}

/* A label: the source's, with a suffix ("f" -> "f:bprop"); NULL stays NULL. */
static const char *label_with(Module *m, const char *label, const char *suffix)
{
    return label ? arena_printf(m->arena, "%s%s", label, suffix) : NULL;
}

/* t transforms src (mode); also t's provenance (ir.h): src's construct, a
   forward pass or a tangent function of it. */
static void note_source(GradState *gs, Region *r, Graph *t, Graph *src, int mode)
{
    t->role = src->role;
    t->xform = mode == MODE_J ? XF_J : XF_JFWD;
    t->src_label = mode == MODE_J ? src->src_label : label_with(gs->m, src->src_label, ":jvp");
    gm_set(&gs->source, t, src);
    idmap_set(&gs->region_of, t->id, r);
    idmap_set(&gs->srcmode, t->id, (void *)(uintptr_t)mode);
}

Graph *grad_transform_ref(GradState *gs, int mode, const FnRef *f)
{
    if (f->graph)
        return grad_transform(gs, mode, f->graph);
    const PrimInfo *p = prim_info((PrimId)f->prim);
    return grad_transform_prim(gs, mode, (PrimId)f->prim, p->arity < 0 ? 0 : p->arity);
}

Graph *grad_source(const GradState *gs, const Graph *g, int *mode)
{
    Graph *s = gm_get(&gs->source, g);
    if (s && mode)
        *mode = (int)(uintptr_t)idmap_get(&gs->srcmode, g->id);
    return s;
}

bool grad_source_ref(const GradState *gs, const FnRef *f, FnRef *out)
{
    *out = *f;
    if (!f->graph)
        return true;
    uintptr_t pi = (uintptr_t)idmap_get(&gs->prim_of, f->graph->id);
    if (pi) {
        FnRef p = {NULL, gs->prims.data[pi - 1].prim, NULL, NULL};
        *out = p;
        return true;
    }
    Graph *s = gm_get(&gs->source, f->graph);
    if (!s || s->parent != f->graph->parent)
        return false;
    out->graph = s;
    return true;
}

Graph *grad_extension_companion(const GradState *gs, const Graph *g)
{
    Region *r = idmap_get(&gs->region_of, g->id);
    return r && r->outer && r->troot == g ? r->companion : NULL;
}

int derive_first_value(const Node *app)
{
    return DERIVE_IDX + (int)app->app.in[DERIVE_NIDX]->k.u.i;
}

static const char *mode_prefix(int mode) { return mode == MODE_J ? "J" : "Jfwd"; }

/* ---- building helpers ------------------------------------------------------------ */

/* Every graph a transform makes is marked as such (Graph.derived). */
static Graph *new_graph(Module *m, GraphKind kind, const char *name, Graph *parent, Loc loc)
{
    Graph *g = ir_graph_new(m, kind, name, parent, loc);
    g->derived = true;
    return g;
}

static Node *getitem(Graph *g, Node *t, int i, Loc loc, const char *name)
{
    Node *a = ir_apply_prim(g, P_GETITEM, loc, 2, t, ir_const_int(g->module, i, loc));
    a->name = name;
    return a;
}

static Node *zero(Graph *g, Loc loc)
{
    return ir_apply_prim(g, P_ZERO, loc, 0);
}

static Node *copy_const(Module *m, const Node *x)
{
    switch (x->k.kind) {
    case K_INT: return ir_const_int(m, x->k.u.i, x->loc);
    case K_FLOAT: return ir_const_float(m, x->k.u.f, x->loc);
    case K_BOOL: return ir_const_bool(m, x->k.u.b, x->loc);
    case K_PRIM: return ir_const_prim(m, x->k.u.prim, x->loc);
    case K_GRAPH: return ir_const_graph(m, x->k.u.graph, x->loc);
    }
    return NULL;
}

static const char *prefixed(Module *m, const char *prefix, const char *name)
{
    return arena_printf(m->arena, "%s.%s", prefix, name ? name : "_");
}

/* ---- primitives ------------------------------------------------------------------ */

/* The sensitivities dx[0..n-1] (NULL: none) of a primitive's operands x,
   given its output y and the output's sensitivity d, built in b->g. */
static void rule_bprop(RuleB *b, const DiffRule *dr, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    if (dr->partials) {
        Node **k = xcalloc((size_t)(n ? n : 1), sizeof(Node *));
        dr->partials(b, x, n, y, k);
        for (int i = 0; i < n; i++)
            if (k[i])
                dx[i] = ir_apply_prim(b->g, P_SSCALE, b->loc, 2, d, k[i]);
        free(k);
    } else if (dr->bprop) {
        dr->bprop(b, x, n, y, d, dx);
    }
}

/* The tangent of a primitive's output y from its operands' tangents t
   (NULL: zero), built in b->g; NULL when it is zero. */
static Node *rule_tangent(RuleB *b, const DiffRule *dr, Node *const *x, int n, Node *y, Node *const *t)
{
    bool any = false;
    for (int i = 0; i < n; i++)
        any |= t[i] != NULL;
    if (!any)
        return NULL;
    if (dr->tangent)
        return dr->tangent(b, x, n, y, t);
    if (!dr->partials)
        return NULL;
    Node **k = xcalloc((size_t)(n ? n : 1), sizeof(Node *));
    dr->partials(b, x, n, y, k);
    Node *ty = NULL;
    for (int i = 0; i < n; i++) {
        if (!k[i] || !t[i])
            continue;
        Node *term = ir_apply_prim(b->g, P_SSCALE, b->loc, 2, t[i], k[i]);
        ty = ty ? ir_apply_prim(b->g, P_SADD, b->loc, 2, ty, term) : term;
    }
    free(k);
    return ty;
}

/*
 * Reverse mode of primitive p:   J.p(x...) = (p(x...), bprop)
 *                                bprop(d) = (newenv, sens_for(x_i, dx_i)...)
 * Forward mode:                  Jfwd.p(x..., t...) = (p(x...), sens_for(y, ty))
 */
Graph *grad_transform_prim(GradState *gs, int mode, PrimId p, int nargs)
{
    Module *m = gs->m;
    for (int i = 0; i < gs->prims.len; i++) {
        PrimEntry *e = &gs->prims.data[i];
        if (e->mode == mode && e->prim == (int)p && e->nargs == nargs)
            return e->g;
    }
    const PrimInfo *pi = prim_info(p);
    Loc loc = LOC_NONE;
    const char *name = pi->arity < 0 ? arena_printf(m->arena, "%s.%s.%d", mode_prefix(mode), pi->name, nargs)
                                     : arena_printf(m->arena, "%s.%s", mode_prefix(mode), pi->name);
    Graph *g = new_graph(m, G_FUNCTION, name, NULL, loc);
    g->src_name = pi->name;
    g->role = GR_PRIM;
    g->xform = mode == MODE_J ? XF_J : XF_JFWD;
    g->src_label = pi->name;
    PrimEntry e = {mode, (int)p, nargs, g};
    vec_push(&gs->prims, e);
    idmap_set(&gs->prim_of, g->id, (void *)(uintptr_t)gs->prims.len);

    Node **x = xcalloc((size_t)(nargs ? nargs : 1), sizeof(Node *));
    Node **t = xcalloc((size_t)(nargs ? nargs : 1), sizeof(Node *));
    for (int i = 0; i < nargs; i++)
        x[i] = ir_add_param(g, arena_printf(m->arena, "x%d", i), loc);
    if (mode == MODE_F)
        for (int i = 0; i < nargs; i++)
            t[i] = ir_add_param(g, arena_printf(m->arena, "t.x%d", i), loc);
    Node *y = ir_apply_prim_args(g, p, loc, nargs, x);
    y->name = "y";
    const DiffRule *dr = prim_diff_rule(p);
    if (mode == MODE_J) {
        Graph *b = new_graph(m, G_FUNCTION, arena_printf(m->arena, "%s:bprop", name), g, loc);
        b->role = GR_PRIM;
        b->xform = XF_BPROP;
        b->src_label = label_with(m, pi->name, ":bprop");
        Node *d = ir_add_param(b, "d.y", loc);
        RuleB rb = {b, loc};
        Node **dx = xcalloc((size_t)(nargs ? nargs : 1), sizeof(Node *));
        rule_bprop(&rb, dr, x, nargs, y, d, dx);
        Node **out = xmalloc(sizeof(Node *) * (size_t)(nargs + 2));
        out[0] = ir_const_prim(m, P_MAKE_TUPLE, loc);
        out[1] = ir_apply_prim(b, P_NEWENV, loc, 0);
        for (int i = 0; i < nargs; i++) {
            out[i + 2] = dx[i] ? ir_apply_prim(b, P_SFOR, loc, 2, x[i], dx[i]) : zero(b, loc);
            out[i + 2]->name = arena_printf(m->arena, "d.x%d", i);
        }
        ir_set_output(b, ir_apply(b, out, nargs + 2, loc));
        ir_set_output(g, ir_apply_prim(g, P_MAKE_TUPLE, loc, 2, y, ir_const_graph(m, b, loc)));
        free(out);
        free(dx);
    } else {
        RuleB rb = {g, loc};
        Node *ty = rule_tangent(&rb, dr, x, nargs, y, t);
        Node *tout = ty ? ir_apply_prim(g, P_SFOR, loc, 2, y, ty) : zero(g, loc);
        tout->name = "t.y";
        ir_set_output(g, ir_apply_prim(g, P_MAKE_TUPLE, loc, 2, y, tout));
    }
    free(x);
    free(t);
    return g;
}

/* ---- regions --------------------------------------------------------------------- */

static bool in_region(const Region *r, const Graph *g)
{
    return g && ir_graph_encloses(r->root, g);
}

/* The region's graphs: the root and every graph nested in it that its
   code refers to, parents before children. */
static void collect_region(Region *r)
{
    GraphMap seen = {0};
    vec_push(&r->graphs, r->root);
    gm_set(&seen, r->root, r->root);
    GraphVec consts = {0};
    for (int i = 0; i < r->graphs.len; i++) {
        consts.len = 0;
        ir_graph_constant_graphs(r->graphs.data[i], &consts);
        for (int k = 0; k < consts.len; k++) {
            Graph *c = consts.data[k];
            if (c != r->root && in_region(r, c) && !gm_get(&seen, c)) {
                gm_set(&seen, c, c);
                vec_push(&r->graphs, c);
            }
        }
    }
    vec_free(&consts);
    idmap_free(&seen);
    /* parents first: a stable sort by depth */
    int n = r->graphs.len;
    Graph **tmp = xmalloc(sizeof(Graph *) * (size_t)n);
    int maxd = 0;
    for (int i = 0; i < n; i++)
        if (r->graphs.data[i]->depth > maxd)
            maxd = r->graphs.data[i]->depth;
    int k = 0;
    for (int d = r->root->depth; d <= maxd; d++)
        for (int i = 0; i < n; i++)
            if (r->graphs.data[i]->depth == d)
                tmp[k++] = r->graphs.data[i];
    memcpy(r->graphs.data, tmp, sizeof(Graph *) * (size_t)n);
    free(tmp);
}

static Graph *standalone(GradState *gs, int mode, Graph *g);
static Graph *extend(GradState *gs, Region *r, Graph *h, Graph *companion);

/* The transformed value of x, for use in the transformed graph `in`. */
static Node *tvalue(GradState *gs, Region *r, Node *x)
{
    Module *m = gs->m;
    if (x->kind == N_CONST) {
        if (x->k.kind == K_PRIM) {
            const PrimInfo *pi = prim_info(x->k.u.prim);
            return ir_const_graph(m, grad_transform_prim(gs, r->mode, x->k.u.prim, pi->arity < 0 ? 0 : pi->arity),
                                  x->loc);
        }
        if (x->k.kind == K_GRAPH) {
            Graph *k = x->k.u.graph;
            if (!in_region(r, k) && r->outer)
                return tvalue(gs, r->outer, x);
            Graph *t = !in_region(r, k) ? standalone(gs, r->mode, k)
                       : gm_get(&r->tg, k) ? gm_get(&r->tg, k)
                                           : extend(gs, r, k, NULL);    /* nested in the region, made after it ran */
            if (!t)     /* too deep: an error where inference reaches it */
                return ir_apply_prim(r->troot, P_TOO_DEEP, x->loc, 1, copy_const(m, x));
            return ir_const_graph(m, t, x->loc);
        }
        return copy_const(m, x);
    }
    Node *v = nm_get(&r->val, x);
    if (v)
        return v;
    if (in_region(r, x->graph))
        die("grad: node %u of @%s is used before it is transformed", x->id, x->graph->name);
    if (r->outer) {
        /* an extension reads the code its root joins */
        v = tvalue(gs, r->outer, x);
        nm_set(&r->val, x, v);
        return v;
    }
    /* a free variable of the region: its transformed value, read once in the root */
    v = ir_apply_prim(r->troot, r->mode == MODE_J ? P_J : P_JFWD, x->loc, 2, x, ir_const_int(m, 0, x->loc));
    v->name = x->name;
    nm_set(&r->val, x, v);
    return v;
}

static Node *tcallee(GradState *gs, Region *r, Node *callee, int nargs)
{
    if (callee->kind == N_CONST && callee->k.kind == K_PRIM)
        return ir_const_graph(gs->m, grad_transform_prim(gs, r->mode, callee->k.u.prim, nargs), callee->loc);
    return tvalue(gs, r, callee);
}

static bool is_const_prim_app(const Node *n, PrimId p)
{
    return n->kind == N_APPLY && ir_is_const_prim(n->app.in[0], p);
}

/* A node whose value cannot vary with the region's inputs. */
static bool is_pure_constant(const Node *x)
{
    return x->kind == N_CONST && (x->k.kind != K_GRAPH || !x->k.u.graph->parent);
}

/* derive(...) with its tower extended by one transform, applied to `vals`. */
static Node *derive_lifted(Graph *g, Node *n, int mode, Node *const *vals, int nvals)
{
    Module *m = g->module;
    int first = derive_first_value(n);
    Node **in = xmalloc(sizeof(Node *) * (size_t)(first + nvals));
    for (int i = 0; i < first; i++)
        in[i] = copy_const(m, n->app.in[i]);
    in[DERIVE_TOWER] = ir_const_int(m, n->app.in[DERIVE_TOWER]->k.u.i * 3 + mode, n->loc);
    memcpy(in + first, vals, sizeof(Node *) * (size_t)nvals);
    Node *a = ir_apply(g, in, first + nvals, n->loc);
    free(in);
    return a;
}

/* ---- loops (reverse mode) ------------------------------------------------------------ */

/*
 * A *loop* is a set of the region's blocks and branches that enter one
 * another only by tail calls -- a block jumped to directly, G(a...), a
 * branch through its parent's switch(c, A, B)() -- and that contains a
 * cycle of them; with it go the graphs its members jump to (the exit's
 * join block).  Transformed as above, each iteration would call J of the
 * next and wrap the bprop it gets back: the forward and the backward pass
 * would both be recursions one level deep per iteration.  A member G is
 * instead transformed in continuation-passing style:
 *
 *   J'(G)(x..., k)  as J(G), except that the jump G2(a...) becomes the
 *                   jump J'(G2)(a'..., bprop.G), whose result J'(G)
 *                   returns; a member that leaves the loop returns
 *                   (y', bprop.G) as usual;
 *   bprop.G(s)      of a member that jumps: s is what bprop.G2 passes on,
 *                   (env, d of a...), where its backward walk starts; of
 *                   a member that leaves: the sensitivity of its output,
 *                   as usual; either way it ends with the tail call
 *                   k((env, d of x...)).
 *
 * A block's k is a parameter; a branch's k is its parent's bprop (the
 * switch selecting the branch is in the parent).  The entry block E, the
 * only member used otherwise than by these jumps, keeps the usual
 * interface through a wrapper J(E)(x...) = J'(E)(x..., λs. s).  The
 * forward pass is then a chain of jumps and the backward pass a chain of
 * tail calls, which the backend compiles to two loops, and each iteration
 * keeps one closure per member it ran: what its backward step reads and
 * the next continuation.
 */

static int graph_index(const IdMap *ix, const Graph *g)
{
    return (int)(intptr_t)idmap_get(ix, g->id) - 1;
}

/* Where region graph h jumps (indices into the region's graphs, -1 for
   none): a block it calls in tail position, or the branches of the
   switch it calls there (then returned). */
static Node *tail_targets(const Region *r, const IdMap *ix, Graph *h, int t[2])
{
    t[0] = t[1] = -1;
    Node *out = h->output;
    if (h == r->root || (h->kind != G_BLOCK && h->kind != G_BRANCH) || !out || out->kind != N_APPLY)
        return NULL;
    Node *c = out->app.in[0];
    if (ir_is_const_graph(c)) {
        Graph *g = c->k.u.graph;
        int k = graph_index(ix, g);
        if (k > 0 && g->kind == G_BLOCK && g->nparams == out->app.n - 1)
            t[0] = k;
        return NULL;
    }
    if (c->kind != N_APPLY || c->graph != h || !is_const_prim_app(c, P_SWITCH) || c->app.n != 4 || out->app.n != 1)
        return NULL;
    for (int i = 0; i < 2; i++) {
        Node *x = c->app.in[2 + i];
        Graph *g = ir_is_const_graph(x) ? x->k.u.graph : NULL;
        int k = g ? graph_index(ix, g) : -1;
        if (k <= 0 || g->kind != G_BRANCH || g->parent != h || g->nparams) {
            t[0] = t[1] = -1;
            return NULL;
        }
        t[i] = k;
    }
    return c;
}

/* The i-th graph v jumps to, as src/util/scc.h asks for it (arg: the
   targets tail_targets found, -1 for none). */
static int jump_succ(void *arg, int v, int i)
{
    const int (*t)[2] = arg;
    for (int e = 0; e < 2; e++)
        if (t[v][e] >= 0 && i-- == 0)
            return t[v][e];
    return -1;
}

static int uf_find(int *uf, int i)
{
    while (uf[i] != i)
        i = uf[i] = uf[uf[i]];
    return i;
}

/* Finds the region's loops (see above) and records their members in
   r->cps (mapped to themselves until region_run makes their J'), how
   each jumps in r->tail, and their entries in r->entries. */
static void find_loops(Region *r)
{
    int n = r->graphs.len;
    Graph **gr = r->graphs.data;
    IdMap ix = {0};
    for (int i = 0; i < n; i++)
        idmap_set(&ix, gr[i]->id, (void *)(intptr_t)(i + 1));
    int (*t)[2] = xmalloc(sizeof *t * (size_t)n);
    Node **sw = xcalloc((size_t)n, sizeof(Node *));
    for (int i = 0; i < n; i++)
        sw[i] = tail_targets(r, &ix, gr[i], t[i]);

    /* members: the graphs on a cycle of jumps (a component of more than
       one graph, or one that jumps to itself) ... */
    bool *member = xcalloc((size_t)n, 1), *used_out = xcalloc((size_t)n, 1), *bad = xcalloc((size_t)n, 1);
    int *uf = xmalloc(sizeof(int) * (size_t)n), *work = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        uf[i] = i;
    Scc scc;
    scc_find(n, NULL, 0, jump_succ, t, &scc);
    for (int c = 0; c < scc.ncomp; c++) {
        int first = scc.start[c], end = scc.start[c + 1], v = scc.order[first];
        if (end - first > 1 || t[v][0] == v || t[v][1] == v)
            for (int q = first; q < end; q++)
                member[scc.order[q]] = true;
    }
    scc_free(&scc);
    /* ... and every graph they jump to, transitively; a loop is a
       connected set of them */
    int nw = 0;
    for (int i = 0; i < n; i++)
        if (member[i])
            work[nw++] = i;
    while (nw) {
        int v = work[--nw];
        for (int e = 0; e < 2; e++) {
            int w = t[v][e];
            if (w < 0)
                continue;
            uf[uf_find(uf, w)] = uf_find(uf, v);
            if (!member[w]) {
                member[w] = true;
                work[nw++] = w;
            }
        }
    }

    /* every use of a member other than a jump from a member makes it an
       entry; a tail switch must serve only its jump */
    NodeVec body = {0};
    for (int gi = 0; gi < n; gi++) {
        Graph *g = gr[gi];
        body.len = 0;
        ir_graph_body(g, &body);
        for (int b = 0; b <= body.len; b++) {
            Node *user = b < body.len ? body.data[b] : NULL;
            Node *const *in = user ? user->app.in : &g->output;
            int nin = user ? user->app.n : 1;
            for (int i = 0; i < nin; i++) {
                Node *x = in[i];
                if (x->kind == N_APPLY) {
                    int k = graph_index(&ix, x->graph);
                    if (k >= 0 && member[k] && sw[k] == x && !(user == x->graph->output && i == 0))
                        bad[uf_find(uf, k)] = true;
                }
                int k = ir_is_const_graph(x) ? graph_index(&ix, x->k.u.graph) : -1;
                if (k < 0 || !member[k])
                    continue;
                bool jump = member[gi] && user &&
                            ((user == g->output && i == 0 && !sw[gi] && t[gi][0] == k) || (user == sw[gi] && i >= 2));
                if (!jump)
                    used_out[k] = true;
            }
        }
    }
    vec_free(&body);
    int *entry = work;          /* reused: by loop (union-find root), its entry */
    for (int i = 0; i < n; i++)
        entry[i] = -1;
    for (int k = 0; k < n; k++) {
        if (!member[k] || !used_out[k])
            continue;
        int c = uf_find(uf, k);
        if (gr[k]->kind != G_BLOCK || entry[c] >= 0)
            bad[c] = true;
        else
            entry[c] = k;
    }
    for (int k = 0; k < n; k++) {
        int c = uf_find(uf, k);
        if (!member[k] || bad[c] || entry[c] < 0)
            continue;
        gm_set(&r->cps, gr[k], gr[k]);
        idmap_set(&r->entry_of, gr[k]->id, gr[entry[c]]);
        if (t[k][0] >= 0)
            idmap_set(&r->tail, gr[k]->id, sw[k] ? sw[k] : gr[k]->output);
        if (entry[c] == k)
            vec_push(&r->entries, gr[k]);
    }
    idmap_free(&ix);
    free(t);
    free(sw);
    free(work);
    free(uf);
    free(member);
    free(used_out);
    free(bad);
}

/* The graph holding h's transformed code: J'(h) for a loop's member. */
static Graph *tgraph(Region *r, Graph *h)
{
    Graph *t = gm_get(&r->cps, h);
    return t ? t : gm_get(&r->tg, h);
}

/* The continuation a member's bprop ends by calling (see above). */
static Node *continuation(GradState *gs, Region *r, Graph *h)
{
    if (h->kind == G_BLOCK)
        return idmap_get(&r->kparam, h->id);
    return ir_const_graph(gs->m, gm_get(&r->bprop, h->parent), h->loc);
}

/* The number marking the code of entry e's loop (Graph.loop): unique in
   the module, as J'(e) is. */
static uint32_t loop_number(Region *r, Graph *e)
{
    return gm_get(&r->cps, e)->id + 1;
}

/* J(E)(x...) = J'(E)(x..., λs. s), for each loop entry E. */
static void build_entries(GradState *gs, Region *r)
{
    Module *m = gs->m;
    for (int i = 0; i < r->entries.len; i++) {
        Graph *e = r->entries.data[i], *w = gm_get(&r->tg, e);
        Graph *ret = new_graph(m, G_FUNCTION, arena_printf(m->arena, "%s:return", w->name), w, e->loc);
        ret->src_name = e->src_name;
        ret->xform = XF_BPROP;             /* the continuation the loop's first bprop calls */
        ret->loop = loop_number(r, e);
        ir_set_output(ret, ir_add_param(ret, "s", e->loc));
        Node **in = xmalloc(sizeof(Node *) * (size_t)(e->nparams + 2));
        in[0] = ir_const_graph(m, gm_get(&r->cps, e), e->loc);
        for (int k = 0; k < e->nparams; k++)
            in[k + 1] = ir_add_param(w, e->params[k]->name, e->params[k]->loc);
        in[e->nparams + 1] = ir_const_graph(m, ret, e->loc);
        ir_set_output(w, ir_apply(w, in, e->nparams + 2, e->loc));
        free(in);
    }
}

/* ---- reverse mode ------------------------------------------------------------------ */

/* A primitive whose rule is built in place: all but derive(), whose
   operator graph is transformed instead (derive_lifted).  J(x, depth) and
   Jfwd(x, depth) are among them: transformed, they become the same
   primitive one level deeper (see "nesting"), the identity for
   sensitivities and tangents. */
static bool inline_prim(const Node *n)
{
    if (n->kind != N_APPLY || n->app.in[0]->kind != N_CONST || n->app.in[0]->k.kind != K_PRIM)
        return false;
    return n->app.in[0]->k.u.prim != P_DERIVE;
}

/* y = p(transformed operands), in the transformed graph. */
static Node *inline_apply(GradState *gs, Region *r, Graph *th, Node *n)
{
    int nin = n->app.n;
    Node **in = xmalloc(sizeof(Node *) * (size_t)nin);
    in[0] = copy_const(gs->m, n->app.in[0]);
    for (int i = 1; i < nin; i++)
        in[i] = tvalue(gs, r, n->app.in[i]);
    if (is_const_prim_app(n, P_J) || is_const_prim_app(n, P_JFWD))
        in[2] = ir_const_int(gs->m, n->app.in[2]->k.u.i + 1, n->loc);
    Node *y = ir_apply(th, in, nin, n->loc);
    free(in);
    y->name = n->name;
    nm_set(&r->inl, n, y);
    return y;
}

/* The transformed graph's parameters for h's (same names, annotations). */
static void copy_params(Region *r, Graph *h, Graph *th)
{
    for (int i = 0; i < h->nparams; i++) {
        Node *p = h->params[i];
        Node *tp = ir_add_param(th, p->name, p->loc);
        if (h->kind == G_FUNCTION && h->param_ann)
            th->param_ann[i] = h->param_ann[i];
        nm_set(&r->val, p, tp);
    }
}

static void forward_j(GradState *gs, Region *r, Graph *h)
{
    Module *m = gs->m;
    Graph *th = tgraph(r, h);
    copy_params(r, h, th);
    bool member = gm_get(&r->cps, h) != NULL;
    if (member && h->kind == G_BLOCK)
        idmap_set(&r->kparam, h->id, ir_add_param(th, "k", h->loc));
    Node *tj = idmap_get(&r->tail, h->id), *jump = NULL;
    NodeVec body = {0};
    ir_graph_body(h, &body);
    for (int bi = 0; bi < body.len; bi++) {
        Node *n = body.data[bi];
        int nin = n->app.n;
        Node *res;
        Node *callee = n->app.in[0];
        if (tj && n == tj && n != h->output) {
            /* the switch a loop member jumps through selects J' of the branches */
            Node *y = ir_apply_prim(th, P_SWITCH, n->loc, 3, tvalue(gs, r, n->app.in[1]),
                                    ir_const_graph(m, gm_get(&r->cps, n->app.in[2]->k.u.graph), n->loc),
                                    ir_const_graph(m, gm_get(&r->cps, n->app.in[3]->k.u.graph), n->loc));
            y->name = n->name;
            nm_set(&r->val, n, y);
            nm_set(&r->inl, n, y);
            continue;
        }
        if (tj && n == h->output) {
            /* the jump to the next member, passing this member's bprop on */
            Node **in = xmalloc(sizeof(Node *) * (size_t)(nin + 1));
            in[0] = tj == n ? ir_const_graph(m, gm_get(&r->cps, callee->k.u.graph), callee->loc) : nm_get(&r->val, tj);
            for (int i = 1; i < nin; i++)
                in[i] = tvalue(gs, r, n->app.in[i]);
            int k = nin;
            if (tj == n)
                in[k++] = ir_const_graph(m, gm_get(&r->bprop, h), n->loc);
            jump = ir_apply(th, in, k, n->loc);
            jump->name = n->name;
            free(in);
            continue;
        }
        bool all_const = true;
        for (int i = 1; i < nin; i++)
            all_const &= is_pure_constant(n->app.in[i]);
        if ((is_const_prim_app(n, P_DERIVE) || is_const_prim_app(n, P_J) || is_const_prim_app(n, P_JFWD)) && all_const) {
            /* a derived function of a constant: a constant, computed as in the original */
            Node **in = xmalloc(sizeof(Node *) * (size_t)nin);
            for (int i = 0; i < nin; i++)
                in[i] = copy_const(m, n->app.in[i]);
            Node *orig = ir_apply(th, in, nin, n->loc);
            free(in);
            Node *v = ir_apply_prim(th, P_J, n->loc, 2, orig, ir_const_int(m, 0, n->loc));
            v->name = n->name;
            nm_set(&r->val, n, v);
            continue;       /* no bprop: nothing flows back to a constant */
        }
        if (inline_prim(n)) {
            nm_set(&r->val, n, inline_apply(gs, r, th, n));
            continue;
        }
        if (is_const_prim_app(n, P_DERIVE)) {
            int first = derive_first_value(n);
            Node **vals = xmalloc(sizeof(Node *) * (size_t)(nin - first + 1));
            for (int i = first; i < nin; i++)
                vals[i - first] = tvalue(gs, r, n->app.in[i]);
            res = derive_lifted(th, n, MODE_J, vals, nin - first);
            free(vals);
        } else {
            Node **in = xmalloc(sizeof(Node *) * (size_t)nin);
            in[0] = tcallee(gs, r, callee, nin - 1);
            for (int i = 1; i < nin; i++)
                in[i] = tvalue(gs, r, n->app.in[i]);
            res = ir_apply(th, in, nin, n->loc);
            free(in);
        }
        nm_set(&r->val, n, getitem(th, res, 0, n->loc, n->name));
        nm_set(&r->aux, n, getitem(th, res, 1, n->loc, prefixed(m, "bprop", n->name)));
    }
    vec_free(&body);
    Graph *b = gm_get(&r->bprop, h);
    ir_set_output(th, jump ? jump
                           : ir_apply_prim(th, P_MAKE_TUPLE, h->loc, 2, tvalue(gs, r, h->output),
                                           ir_const_graph(m, b, h->loc)));
}

/* Whether x can receive a sensitivity: a computed value, a parameter, or a
   closure that captures something. */
static bool has_sensitivity(const Node *x)
{
    if (x->kind != N_CONST)
        return true;
    return x->k.kind == K_GRAPH && x->k.u.graph->parent;
}

static void acc_add(GradState *gs, Graph *b, Node *x, Node *s, Loc loc)
{
    if (!has_sensitivity(x))
        return;
    Node *cur = nm_get(&gs->acc, x);
    if (cur) {
        Node *sum = ir_apply_prim(b, P_SADD, loc, 2, cur, s);
        sum->name = cur->name;
        nm_set(&gs->acc, x, sum);
    } else {
        if (!s->name)
            s->name = prefixed(gs->m, "d", x->name);
        nm_set(&gs->acc, x, s);
        vec_push(&gs->order, x);
    }
}

/*
 * The variables whose sensitivities the bprop of graph k's transform
 * returns in its env: nodes of k's strict ancestors that k reads, or that
 * a graph whose closure k makes (a nested function, a branch, a block k
 * jumps to) holds in its own env.  A least fixpoint over the graphs k
 * reaches through constants (blocks of a loop reach each other).  Unlike
 * ir_free_variables, a block's own nodes are not counted: a jump makes a
 * new activation of the block, whose nodes get their sensitivities there.
 */
static bool strictly_outside(const Node *x, const Graph *k)
{
    return x->kind != N_CONST && x->graph != k && ir_graph_encloses(x->graph, k);
}

static NodeVec *sens_keys(GradState *gs, Graph *k)
{
    while (gs->fvs.len <= (int)k->id)
        vec_push(&gs->fvs, NULL);
    if (gs->fvs.data[k->id])
        return gs->fvs.data[k->id];
    /* the component: k and the nested graphs it reaches */
    GraphVec comp = {0}, consts = {0};
    GraphMap seen = {0};
    vec_push(&comp, k);
    gm_set(&seen, k, k);
    for (int i = 0; i < comp.len; i++) {
        consts.len = 0;
        ir_graph_constant_graphs(comp.data[i], &consts);
        for (int j = 0; j < consts.len; j++) {
            Graph *c = consts.data[j];
            if (c->parent && !gm_get(&seen, c) && !(c->id < (uint32_t)gs->fvs.len && gs->fvs.data[c->id])) {
                gm_set(&seen, c, c);
                vec_push(&comp, c);
            }
        }
    }
    NodeVec **sets = xcalloc((size_t)comp.len, sizeof(NodeVec *));
    for (int i = 0; i < comp.len; i++)
        sets[i] = xcalloc(1, sizeof(NodeVec));
    NodeMap member = {0};   /* scratch: membership of one set */
    NodeVec *bodies = xcalloc((size_t)comp.len, sizeof(NodeVec));
    for (int i = 0; i < comp.len; i++)
        ir_graph_body(comp.data[i], &bodies[i]);
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < comp.len; i++) {
            Graph *g = comp.data[i];
            NodeVec *set = sets[i];
            for (int j = 0; j < set->len; j++)
                nm_set(&member, set->data[j], set->data[j]);
            NodeVec *body = &bodies[i];
            for (int b = 0; b <= body->len; b++) {
                Node *const *in = b < body->len ? body->data[b]->app.in : &g->output;
                int nin = b < body->len ? body->data[b]->app.n : 1;
                for (int j = 0; j < nin; j++) {
                    Node *x = in[j];
                    NodeVec tmp = {0}, *from = &tmp;
                    if (ir_is_const_graph(x) && x->k.u.graph->parent) {
                        Graph *c = x->k.u.graph;
                        if (gm_get(&seen, c)) {
                            for (int q = 0; q < comp.len; q++)
                                if (comp.data[q] == c)
                                    from = sets[q];
                        } else {
                            from = sens_keys(gs, c);
                        }
                    } else if (x->kind != N_CONST) {
                        vec_push(&tmp, x);
                    }
                    for (int q = 0; q < from->len; q++) {
                        Node *v = from->data[q];
                        if (strictly_outside(v, g) && !nm_get(&member, v)) {
                            nm_set(&member, v, v);
                            vec_push(set, v);
                            changed = true;
                        }
                    }
                    vec_free(&tmp);
                }
            }
            for (int j = 0; j < set->len; j++)
                nm_set(&member, set->data[j], NULL);
        }
    }
    for (int i = 0; i < comp.len; i++) {
        while (gs->fvs.len <= (int)comp.data[i]->id)
            vec_push(&gs->fvs, NULL);
        gs->fvs.data[comp.data[i]->id] = sets[i];
    }
    free(sets);
    idmap_free(&member);
    idmap_free(&seen);
    for (int i = 0; i < comp.len; i++)
        vec_free(&bodies[i]);
    free(bodies);
    vec_free(&comp);
    vec_free(&consts);
    return gs->fvs.data[k->id];
}

/*
 * The key of captured variable v in an env: v's id, except that J(x, d)
 * and Jfwd(x, d) are keyed as x, and sens_for(Jfwd(x, 0), t) as t.  A
 * forward region reads a free variable both as itself (in code that
 * depends on nothing it varies) and as Jfwd(x, 0) (elsewhere), and an
 * enclosing reverse transform must see one variable: the sensitivity of
 * J(x) or Jfwd(x) is x's (their rule is the identity; for a function both
 * are envs over the same captured variables), so the two are summed under
 * one key.  Likewise the tangent an outer forward region gives such a
 * lifted free variable reaches an extension's frame as the Jfwd rule wraps
 * it, sens_for(Jfwd(x, 0), t), while the transform of a closure made there
 * reads t itself (it extends the region that owns t): both are t's.  Only
 * that wrapper: a sens_for a backward pass builds is a variable of its own
 * (seeing through every sens_for lost the sensitivity of a vjp's cotangent
 * under grad over grad over vjp over jvp, e2e
 * diff_grad_grad_vjp_jvp_cotangent).
 */
static uint32_t sens_key(const Node *v)
{
    for (;;) {
        if (v->kind != N_APPLY)
            break;
        if ((is_const_prim_app(v, P_J) || is_const_prim_app(v, P_JFWD)) && v->app.in[1]->kind != N_CONST)
            v = v->app.in[1];
        else if (is_const_prim_app(v, P_SFOR) && v->app.n == 3 && v->app.in[2]->kind != N_CONST &&
                 v->app.in[1]->kind == N_APPLY && is_const_prim_app(v->app.in[1], P_JFWD))
            v = v->app.in[2];
        else
            break;
    }
    return v->id;
}

/* The sensitivity of closure constant c, split among what it captured
   (once per key, see sens_key). */
static void distribute(GradState *gs, Region *r, Graph *b, Node *c)
{
    Node *dc = nm_get(&gs->acc, c);
    if (!dc)
        return;
    NodeVec *fv = sens_keys(gs, c->k.u.graph);
    NodeVec vars = {0};     /* one per key */
    for (int i = 0; i < fv->len; i++) {
        Node *v = fv->data[i];
        if (!idmap_get(&gs->keyed, sens_key(v))) {
            idmap_set(&gs->keyed, sens_key(v), v);
            vec_push(&vars, v);
        }
    }
    for (int i = 0; i < vars.len; i++)
        idmap_set(&gs->keyed, sens_key(vars.data[i]), NULL);
    for (int i = 0; i < vars.len; i++) {
        Node *v = vars.data[i];
        Node *key = ir_const_int(gs->m, sens_key(v), c->loc);
        Node *s = ir_apply_prim(b, P_ENV_GET, c->loc, 3, dc, key, tvalue(gs, r, v));
        acc_add(gs, b, v, s, c->loc);
    }
    vec_free(&vars);
}

static void backward_j(GradState *gs, Region *r, Graph *h)
{
    Module *m = gs->m;
    Graph *b = gm_get(&r->bprop, h);
    bool member = gm_get(&r->cps, h) != NULL;
    Node *tj = idmap_get(&r->tail, h->id);
    /* a loop member that jumps starts from what the next member's bprop passes on */
    Node *sjump = tj ? ir_add_param(b, prefixed(m, "s", h->output->name), h->loc) : NULL;
    Node *dout = tj ? NULL : ir_add_param(b, prefixed(m, "d", h->output->name ? h->output->name : "out"), h->loc);
    NodeVec body = {0};
    ir_graph_body(h, &body);
    gs->order.len = 0;
    /* where each closure constant is first used: its sensitivity is
       complete once the backward walk has passed that use */
    NodeMap first = {0};
    VEC(int) first_at = {0};
    NodeVec consts = {0};
    for (int bi = 0; bi < body.len; bi++) {
        Node *n = body.data[bi];
        for (int i = 0; i < n->app.n; i++) {
            Node *x = n->app.in[i];
            if (ir_is_const_graph(x) && has_sensitivity(x) && !nm_get(&first, x)) {
                nm_set(&first, x, x);
                vec_push(&consts, x);
                vec_push(&first_at, bi);
            }
        }
    }
    if (dout) {
        acc_add(gs, b, h->output, dout, h->loc);
        if (ir_is_const_graph(h->output) && !nm_get(&first, h->output))
            distribute(gs, r, b, h->output);
    }
    for (int bi = body.len - 1; bi >= 0; bi--) {
        Node *n = body.data[bi];
        if (sjump && n == h->output)
            for (int i = 0; i < n->app.n; i++)
                if (has_sensitivity(n->app.in[i]))
                    acc_add(gs, b, n->app.in[i], getitem(b, sjump, i, n->loc, NULL), n->loc);
        Node *d = nm_get(&gs->acc, n);
        Node *bp = nm_get(&r->aux, n);
        Node *y = nm_get(&r->inl, n);
        if (d && y) {
            int na = n->app.n - 1;
            const DiffRule *dr = prim_diff_rule(n->app.in[0]->k.u.prim);
            Node **x = xcalloc((size_t)(na ? na : 1), sizeof(Node *));
            Node **dx = xcalloc((size_t)(na ? na : 1), sizeof(Node *));
            for (int i = 0; i < na; i++)
                x[i] = y->app.in[i + 1];
            RuleB rb = {b, n->loc};
            rule_bprop(&rb, dr, x, na, y, d, dx);
            for (int i = 0; i < na; i++)
                if (dx[i] && has_sensitivity(n->app.in[i + 1]))
                    acc_add(gs, b, n->app.in[i + 1], ir_apply_prim(b, P_SFOR, n->loc, 2, x[i], dx[i]), n->loc);
            free(x);
            free(dx);
        }
        if (d && bp) {
            Node *s = ir_apply_call(b, bp, n->loc, 1, d);
            s->name = prefixed(m, "s", n->name);
            if (is_const_prim_app(n, P_DERIVE)) {
                int first_v = derive_first_value(n);
                for (int i = first_v; i < n->app.n; i++)
                    acc_add(gs, b, n->app.in[i], getitem(b, s, 1 + i - first_v, n->loc, NULL), n->loc);
            } else {
                for (int i = 0; i < n->app.n; i++)
                    if (has_sensitivity(n->app.in[i]))
                        acc_add(gs, b, n->app.in[i], getitem(b, s, i, n->loc, NULL), n->loc);
            }
        }
        for (int k = 0; k < consts.len; k++)
            if (first_at.data[k] == bi)
                distribute(gs, r, b, consts.data[k]);
    }
    /* (env of the free variables, d of each parameter); variables of one
       key (sens_key) are summed */
    Node *env = ir_apply_prim(b, P_NEWENV, h->loc, 0);
    NodeVec firsts = {0};   /* the first variable of each key, its sum in gs->acc */
    for (int i = 0; i < gs->order.len; i++) {
        Node *x = gs->order.data[i];
        if (x->kind == N_CONST || x->graph == h)
            continue;
        Node *first = idmap_get(&gs->keyed, sens_key(x));
        if (first) {
            nm_set(&gs->acc, first, ir_apply_prim(b, P_SADD, x->loc, 2, nm_get(&gs->acc, first), nm_get(&gs->acc, x)));
        } else {
            idmap_set(&gs->keyed, sens_key(x), x);
            vec_push(&firsts, x);
        }
    }
    for (int i = 0; i < firsts.len; i++) {
        Node *x = firsts.data[i];
        idmap_set(&gs->keyed, sens_key(x), NULL);
        env = ir_apply_prim(b, P_ENV_SET, x->loc, 3, env, ir_const_int(m, sens_key(x), x->loc), nm_get(&gs->acc, x));
    }
    vec_free(&firsts);
    env->name = "d.env";
    Node **out = xmalloc(sizeof(Node *) * (size_t)(h->nparams + 2));
    out[0] = ir_const_prim(m, P_MAKE_TUPLE, h->loc);
    out[1] = env;
    for (int i = 0; i < h->nparams; i++) {
        Node *d = nm_get(&gs->acc, h->params[i]);
        out[i + 2] = d ? d : zero(b, h->loc);
    }
    Node *res = ir_apply(b, out, h->nparams + 2, h->loc);
    if (member)
        res = ir_apply_call(b, continuation(gs, r, h), h->loc, 1, res);
    ir_set_output(b, res);
    free(out);
    for (int i = 0; i < gs->order.len; i++)
        nm_set(&gs->acc, gs->order.data[i], NULL);
    gs->order.len = 0;
    idmap_free(&first);
    vec_free(&first_at);
    vec_free(&consts);
    vec_free(&body);
}

/* ---- forward mode ------------------------------------------------------------------ */

/* The region whose transform owns what is known of x: r, or for a node
   from outside an extension, the extended code's region. */
static Region *owner(Region *r, const Node *x)
{
    const Graph *g = x->kind == N_CONST ? (x->k.kind == K_GRAPH ? x->k.u.graph : NULL) : x->graph;
    while (g && r->outer && !in_region(r, g))
        r = r->outer;
    return r;
}

/* The original value of a node that depends on nothing the region varies. */
static Node *primal_copy(GradState *gs, Region *r, Node *x)
{
    if (x->kind == N_CONST)
        return copy_const(gs->m, x);
    Node *p = nm_get(&owner(r, x)->prim, x);
    return p ? p : x;       /* a free variable of the region: itself */
}

static bool inactive(Region *r, const Node *x)
{
    r = owner(r, x);
    if (x->kind == N_CONST)
        return x->k.kind != K_GRAPH || !in_region(r, x->k.u.graph);
    if (!in_region(r, x->graph))
        return true;        /* free variables have zero tangents here */
    return nm_get(&r->prim, x) != NULL;
}

static Node *tangent_of(Region *r, const Node *x)
{
    return x->kind == N_CONST ? NULL : nm_get(&owner(r, x)->aux, x);
}

static Node *tangent(Region *r, Graph *g, Node *x)
{
    Node *t = tangent_of(r, x);
    return t ? t : zero(g, x->loc);
}

static void forward_f(GradState *gs, Region *r, Graph *h)
{
    Module *m = gs->m;
    Graph *th = gm_get(&r->tg, h);
    copy_params(r, h, th);
    for (int i = 0; i < h->nparams; i++) {
        Node *p = h->params[i];
        nm_set(&r->aux, p, ir_add_param(th, prefixed(m, "t", p->name), p->loc));
    }
    NodeVec body = {0};
    ir_graph_body(h, &body);
    for (int bi = 0; bi < body.len; bi++) {
        Node *n = body.data[bi];
        int nin = n->app.n;
        bool still = true;
        for (int i = 0; i < nin; i++)
            still &= inactive(r, n->app.in[i]);
        if (still) {
            Node **in = xmalloc(sizeof(Node *) * (size_t)nin);
            for (int i = 0; i < nin; i++)
                in[i] = primal_copy(gs, r, n->app.in[i]);
            Node *p = ir_apply(th, in, nin, n->loc);
            free(in);
            p->name = n->name;
            nm_set(&r->prim, n, p);
            Node *v = ir_apply_prim(th, P_JFWD, n->loc, 2, p, ir_const_int(m, 0, n->loc));
            v->name = n->name;
            nm_set(&r->val, n, v);
            continue;
        }
        if (inline_prim(n)) {
            Node *y = inline_apply(gs, r, th, n);
            nm_set(&r->val, n, y);
            int na = nin - 1;
            Node **t = xcalloc((size_t)(na ? na : 1), sizeof(Node *));
            for (int i = 0; i < na; i++) {
                Node *a = n->app.in[i + 1];
                t[i] = tangent_of(r, a);
            }
            RuleB rb = {th, n->loc};
            Node *ty = rule_tangent(&rb, prim_diff_rule(n->app.in[0]->k.u.prim), y->app.in + 1, na, y, t);
            if (ty) {
                ty = ir_apply_prim(th, P_SFOR, n->loc, 2, y, ty);
                ty->name = prefixed(m, "t", n->name);
            }
            nm_set(&r->aux, n, ty);
            free(t);
            continue;
        }
        Node *res;
        if (is_const_prim_app(n, P_DERIVE)) {
            int first = derive_first_value(n), nv = nin - first;
            Node **vals = xmalloc(sizeof(Node *) * (size_t)(2 * nv + 1));
            for (int i = 0; i < nv; i++) {
                vals[i] = tvalue(gs, r, n->app.in[first + i]);
                vals[nv + i] = tangent(r, th, n->app.in[first + i]);
            }
            res = derive_lifted(th, n, MODE_F, vals, 2 * nv);
            free(vals);
        } else {
            int na = nin - 1;
            Node **in = xmalloc(sizeof(Node *) * (size_t)(2 * na + 1));
            in[0] = tcallee(gs, r, n->app.in[0], na);
            for (int i = 0; i < na; i++) {
                in[1 + i] = tvalue(gs, r, n->app.in[1 + i]);
                in[1 + na + i] = tangent(r, th, n->app.in[1 + i]);
            }
            res = ir_apply(th, in, 2 * na + 1, n->loc);
            free(in);
        }
        nm_set(&r->val, n, getitem(th, res, 0, n->loc, n->name));
        nm_set(&r->aux, n, getitem(th, res, 1, n->loc, prefixed(m, "t", n->name)));
    }
    vec_free(&body);
    Node *out = h->output;
    ir_set_output(th, ir_apply_prim(th, P_MAKE_TUPLE, h->loc, 2, tvalue(gs, r, out), tangent(r, th, out)));
}

/* ---- driving ------------------------------------------------------------------------ */

static void region_run(GradState *gs, Region *r)
{
    Module *m = gs->m;
    collect_region(r);
    if (r->mode == MODE_J)
        find_loops(r);
    const char *pre = mode_prefix(r->mode);
    if (r->serial)
        pre = arena_printf(m->arena, "%s%d", pre, r->serial);
    gm_set(&r->tg, r->root, r->troot);
    for (int i = 1; i < r->graphs.len; i++) {
        Graph *h = r->graphs.data[i];
        Graph *tp = tgraph(r, h->parent);
        Graph *t = new_graph(m, h->kind, prefixed(m, pre, h->name), tp, h->loc);
        t->src_name = h->src_name;
        t->ret_loc = h->ret_loc;
        gm_set(&r->tg, h, t);
        note_source(gs, r, t, h, r->mode);
        if (gm_get(&r->cps, h))
            gm_set(&r->cps, h, t);
    }
    /* the code outside a loop reaches its entry through the wrapper (build_entries) */
    for (int k = 0; k < r->entries.len; k++) {
        Graph *e = r->entries.data[k], *t = gm_get(&r->cps, e);
        Graph *w = new_graph(m, e->kind, arena_printf(m->arena, "%s:entry", t->name), t->parent, e->loc);
        w->src_name = e->src_name;
        w->ret_loc = e->ret_loc;
        gm_set(&r->tg, e, w);
        note_source(gs, r, w, e, r->mode);
        w->role = GR_NONE;      /* not an iteration: it starts J'(E), which is */
    }
    for (int i = 0; i < r->graphs.len; i++) {
        Graph *h = r->graphs.data[i];
        if (r->mode == MODE_J) {
            Graph *th = tgraph(r, h);
            Graph *b = new_graph(m, G_FUNCTION, arena_printf(m->arena, "%s:bprop", th->name), th, h->loc);
            b->src_name = h->src_name;
            b->role = h->role;
            b->xform = XF_BPROP;
            b->src_label = label_with(m, h->src_label, ":bprop");
            gm_set(&r->bprop, h, b);
            Graph *e = idmap_get(&r->entry_of, h->id);
            if (e)
                th->loop = b->loop = loop_number(r, e);
        }
    }
    for (int i = 0; i < r->graphs.len; i++) {
        Graph *h = r->graphs.data[i];
        if (r->mode == MODE_J) {
            forward_j(gs, r, h);
            backward_j(gs, r, h);
        } else {
            forward_f(gs, r, h);
        }
    }
    build_entries(gs, r);
}

/* How many transforms g is from source code. */
static int transform_depth(GradState *gs, const Graph *g)
{
    int d = 0;
    for (Graph *s = gm_get(&gs->source, g); s; s = gm_get(&gs->source, s))
        d++;
    return d;
}

/* A region transforming g (mode), its root's transform nested in `in`;
   built by the next run_pending. */
static Region *new_region(GradState *gs, int mode, Graph *g, Region *outer, Graph *in)
{
    Module *m = gs->m;
    Region *r = xcalloc(1, sizeof(Region));
    r->mode = mode;
    r->root = g;
    r->outer = outer;
    r->serial = g->parent ? gs->all.len + 1 : 0;
    const char *pre = mode_prefix(mode);
    if (r->serial)
        pre = arena_printf(m->arena, "%s%d", pre, r->serial);
    Graph *t = new_graph(m, G_FUNCTION, prefixed(m, pre, g->name), in, g->loc);
    t->src_name = g->src_name;
    t->ret_loc = g->ret_loc;
    r->troot = t;
    note_source(gs, r, t, g, mode);
    vec_push(&gs->all, r);
    vec_push(&gs->pending, r);
    return r;
}

static Graph *standalone(GradState *gs, int mode, Graph *g)
{
    Graph *t = gm_get(&gs->standalone[mode], g);
    if (t)
        return t;
    if (transform_depth(gs, g) >= GRAD_MAX_DEPTH)
        return NULL;
    t = new_region(gs, mode, g, NULL, g->parent)->troot;
    gm_set(&gs->standalone[mode], g, t);
    return t;
}

/*
 * The transform by r of a graph h made after r ran: h is nested in a
 * graph of r's region, and its transform is nested in that graph's
 * transform, reading the values r's code computes there -- the same
 * frame a closure of r's other transforms reads (see "nesting").
 */
static Graph *extend(GradState *gs, Region *r, Graph *h, Graph *companion)
{
    Graph *t = gm_get(&r->ext, h);
    if (t)
        return t;
    if (transform_depth(gs, h) >= GRAD_MAX_DEPTH)
        return NULL;
    Region *e = new_region(gs, r->mode, h, r, tgraph(r, h->parent));
    e->companion = companion;
    t = e->troot;
    gm_set(&r->ext, h, t);
    return t;
}

static void run_pending(GradState *gs)
{
    if (gs->running)
        return;
    gs->running = true;
    for (int i = 0; i < gs->pending.len; i++)
        region_run(gs, gs->pending.data[i]);
    gs->pending.len = 0;
    gs->running = false;
}

Graph *grad_transform(GradState *gs, int mode, Graph *g)
{
    Graph *t = standalone(gs, mode, g);
    run_pending(gs);
    return t;
}

/*
 * ---- nesting ----
 *
 * Inside code that transforms O_1 .. O_d rewrote (outermost last), every
 * function value v of the source is represented by O_d(..O_1(v)..), and
 * an application T(v) of a transform written in the source (in an
 * operator's graph, or in code an inner operator transformed) has become
 * T(v', d).  Its value must be O_d(..O_1(T(G))..), G being v's source
 * function: the inner calculation's transform is applied first, so that
 * its perturbations and sensitivities are its own, and every enclosing
 * calculation then sees T(G) as ordinary code to differentiate.  T applied
 * to v' itself would give T(O_d(..(G))): a graph whose tangent slots and
 * env keys belong to the enclosing calculations (perturbation confusion,
 * and lost sensitivities of captured variables).
 *
 * Each O_i(T(G)) is built as O_i(G) was: by a standalone region when G
 * was the root of the standalone region that transformed it, else by
 * extending the region whose code G joined (extend), so that the result is nested where O_i(G) is and reads
 * the same frame: rebind() can make it a closure over v''s frame, and the
 * sensitivities its backward pass puts in its env are keyed by the same
 * source variables that the code holding v splits them by.
 */
/* The transform of h at the level where `made` is src's transform by r. */
static Graph *transform_level(GradState *gs, Region *r, Graph *src, Graph *made, int mode, Graph *h)
{
    if (!r || h->parent != src->parent)
        die("grad: @%s is not nested where @%s is", h->name, src->name);
    if (src != r->root)
        return extend(gs, r, h, made);
    /* the root of an extension is itself in the extended region */
    return r->outer ? extend(gs, r->outer, h, made) : standalone(gs, mode, h);
}

Graph *grad_transform_fn(GradState *gs, int mode, int depth, const FnRef *f)
{
    if (depth <= 0)
        return grad_transform_ref(gs, mode, f);
    if (!f->graph)
        die("grad: %s of a primitive under %d transforms", mode_prefix(mode), depth);
    Graph **chain = xmalloc(sizeof(Graph *) * (size_t)(depth + 1));
    chain[0] = f->graph;
    const PrimEntry *pe = NULL;
    int k = 0;
    for (; k < depth; k++) {
        uintptr_t pi = (uintptr_t)idmap_get(&gs->prim_of, chain[k]->id);
        if (pi) {
            pe = &gs->prims.data[pi - 1];
            break;
        }
        chain[k + 1] = gm_get(&gs->source, chain[k]);
        if (!chain[k + 1])
            die("grad: @%s is not %d transforms deep", f->graph->name, depth);
    }
    Graph *h;
    if (pe) {
        /* chain[k] is O(p) for a primitive p: O(T(p)), then the levels above */
        if (k != depth - 1)
            die("grad: @%s is not %d transforms deep", f->graph->name, depth);
        h = standalone(gs, pe->mode, grad_transform_prim(gs, mode, (PrimId)pe->prim, pe->nargs));
    } else {
        h = standalone(gs, mode, chain[depth]);
    }
    run_pending(gs);
    for (int i = k - 1; i >= 0 && h; i--) {
        h = transform_level(gs, idmap_get(&gs->region_of, chain[i]->id), chain[i + 1], chain[i],
                            (int)(uintptr_t)idmap_get(&gs->srcmode, chain[i]->id), h);
        run_pending(gs);
    }
    free(chain);
    return h;
}

/* ---- the operators ----------------------------------------------------------------- */

/*
 * W = λ f: λ x1..xn: ...      (grad, value_and_grad, vjp)
 * W = λ f: λ xs, ts: ...      (jvp)
 *
 *   grad(f, i)(x...)      a = to_diff(x_i) (the others J(x_j)); (y, b) = J(f)(a...);
 *                         s = b(1.0); sens_dense(a_i, s[i + 1])
 *   vjp(f, x...)          (y, λ dy: (sens_dense(a_i, b(cotangent(y, dy))[i + 1])...))
 *   jvp(f, xs, ts)        (y, t) = Jfwd(f)(to_diff(xs[i])..., cotangent(x_i, ts[i])...);
 *                         (y, sens_dense(y, t))
 *
 * then the tower of the derive() node applied to W.
 */
static Graph *operator_graph(GradState *gs, Node *site, int arity)
{
    Module *m = gs->m;
    Loc loc = site->loc;
    DiffOp op = (DiffOp)site->app.in[DERIVE_KIND]->k.u.i;
    static const char *const names[] = {"grad", "value_and_grad", "vjp", "jvp"};
    const char *base = arena_printf(m->arena, "%s@%d:%d", names[op], loc.line, loc.col);
    Graph *w2 = new_graph(m, G_FUNCTION, base, NULL, loc);
    w2->src_name = names[op];
    w2->role = GR_OPERATOR;
    w2->src_label = names[op];
    Node *f = ir_add_param(w2, "f", loc);
    Graph *w = new_graph(m, G_FUNCTION, arena_printf(m->arena, "%s:fn", base), w2, loc);
    w->src_name = names[op];
    w->role = GR_OPERATOR_FN;
    w->src_label = names[op];
    ir_set_output(w2, ir_const_graph(m, w, loc));
    int nidx = (int)site->app.in[DERIVE_NIDX]->k.u.i;
    bool *sel = xcalloc((size_t)(arity ? arity : 1), sizeof(bool));
    for (int i = 0; i < nidx; i++) {
        int64_t k = site->app.in[DERIVE_IDX + i]->k.u.i;
        if (k >= 0 && k < arity)
            sel[k] = true;
    }
    if (op == OP_VJP || op == OP_JVP)
        for (int i = 0; i < arity; i++)
            sel[i] = true;
    /* what check_result accepts: vjp's and jvp's C ABI variant (tuple flag
       set, passes/export.c) also int and bool leaves in the result */
    int64_t abi = op == OP_VJP || op == OP_JVP ? 2 * site->app.in[DERIVE_TUPLE]->k.u.i : 0;
    Node **a = xmalloc(sizeof(Node *) * (size_t)(2 * arity + 2));
    Node *out;
    if (op == OP_JVP) {
        Node *xs = ir_add_param(w, "xs", loc), *ts = ir_add_param(w, "ts", loc);
        Node *nx = ir_const_int(m, arity, loc);
        xs = ir_apply_prim(w, P_UNPACK, loc, 3, xs, nx, ts);     /* checks both */
        ts = ir_apply_prim(w, P_DEPEND, loc, 2, xs, ts);
        a[0] = ir_apply_prim(w, P_JFWD, loc, 2, f, ir_const_int(m, 0, loc));
        for (int i = 0; i < arity; i++) {
            Node *x = ir_apply_prim(w, P_TO_DIFF, loc, 2, getitem(w, xs, i, loc, NULL), ir_const_int(m, i, loc));
            a[1 + i] = x;
            a[1 + arity + i] = ir_apply_prim(w, P_COTANGENT, loc, 3, x, getitem(w, ts, i, loc, NULL),
                                             ir_const_int(m, 1, loc));
        }
        Node *r = ir_apply(w, a, 2 * arity + 1, loc);
        Node *y = ir_apply_prim(w, P_CHECK_RESULT, loc, 2, getitem(w, r, 0, loc, "y"),
                                ir_const_int(m, 2 + abi, loc));
        Node *t = ir_apply_prim(w, P_SDENSE, loc, 2, y, getitem(w, r, 1, loc, "t.y"));
        out = ir_apply_prim(w, P_MAKE_TUPLE, loc, 2, y, t);
    } else {
        Node **x = xmalloc(sizeof(Node *) * (size_t)(arity ? arity : 1));
        a[0] = ir_apply_prim(w, P_J, loc, 2, f, ir_const_int(m, 0, loc));
        for (int i = 0; i < arity; i++) {
            Node *p = ir_add_param(w, arena_printf(m->arena, "x%d", i), loc);
            x[i] = sel[i] ? ir_apply_prim(w, P_TO_DIFF, loc, 2, p, ir_const_int(m, i, loc))
                          : ir_apply_prim(w, P_J, loc, 2, p, ir_const_int(m, 0, loc));
            a[1 + i] = x[i];
        }
        Node *r = ir_apply(w, a, arity + 1, loc);
        Node *y = getitem(w, r, 0, loc, "y"), *b = getitem(w, r, 1, loc, "bprop.y");
        if (op == OP_VJP) {
            y = ir_apply_prim(w, P_CHECK_RESULT, loc, 2, y, ir_const_int(m, 1 + abi, loc));
            Graph *pb = new_graph(m, G_FUNCTION, arena_printf(m->arena, "%s:pullback", base), w, loc);
            pb->src_name = "pullback";
            pb->role = GR_PULLBACK;
            pb->src_label = "pullback";
            Node *dy = ir_add_param(pb, "dy", loc);
            Node *s = ir_apply_call(pb, b, loc, 1, ir_apply_prim(pb, P_COTANGENT, loc, 3, y, dy, ir_const_int(m, 0, loc)));
            Node **el = xmalloc(sizeof(Node *) * (size_t)(arity + 1));
            el[0] = ir_const_prim(m, P_MAKE_TUPLE, loc);
            for (int i = 0; i < arity; i++)
                el[i + 1] = ir_apply_prim(pb, P_SDENSE, loc, 2, x[i], getitem(pb, s, i + 1, loc, NULL));
            ir_set_output(pb, ir_apply(pb, el, arity + 1, loc));
            free(el);
            out = ir_apply_prim(w, P_MAKE_TUPLE, loc, 2, y, ir_const_graph(m, pb, loc));
        } else {
            y = ir_apply_prim(w, P_CHECK_RESULT, loc, 2, y, ir_const_int(m, 0, loc));
            /* the seed depends on the checked result, so that a result that
               is not a float is reported once, here, not inside its bprop */
            Node *seed = ir_apply_prim(w, P_SFOR, loc, 2, y, ir_const_float(m, 1.0, loc));
            Node *s = ir_apply_call(w, b, loc, 1, seed);
            Node **el = xmalloc(sizeof(Node *) * (size_t)(nidx + 1));
            el[0] = ir_const_prim(m, P_MAKE_TUPLE, loc);
            for (int i = 0; i < nidx; i++) {
                int k = (int)site->app.in[DERIVE_IDX + i]->k.u.i;
                el[i + 1] = ir_apply_prim(w, P_SDENSE, loc, 2, x[k], getitem(w, s, k + 1, loc, NULL));
                el[i + 1]->name = arena_printf(m->arena, "d.x%d", k);
            }
            Node *g = site->app.in[DERIVE_TUPLE]->k.u.i ? ir_apply(w, el, nidx + 1, loc) : el[1];
            free(el);
            out = op == OP_GRAD ? g : ir_apply_prim(w, P_MAKE_TUPLE, loc, 2, y, g);
        }
        free(x);
    }
    ir_set_output(w, out);
    free(a);
    free(sel);
    return w2;
}

Graph *grad_operator_of(const GradState *gs, const Graph *where, const Graph *g)
{
    for (int i = 0; i < gs->ops.len; i++) {
        Graph *base = gs->ops.data[i].base;
        if (!ir_graph_encloses(base, where))
            continue;
        for (const Graph *s = g; s; s = gm_get(&gs->source, s))
            if (ir_graph_encloses(base, s))
                return base;
    }
    return NULL;
}

Graph *grad_operator(GradState *gs, Node *site, int arity)
{
    for (int i = 0; i < gs->ops.len; i++)
        if (gs->ops.data[i].site == site && gs->ops.data[i].arity == arity)
            return gs->ops.data[i].g;
    Graph *g = operator_graph(gs, site, arity), *base = g;
    /* the tower: transforms applied since lowering, first applied most significant */
    int64_t tower = site->app.in[DERIVE_TOWER]->k.u.i;
    int digits[64], nd = 0;
    for (; tower > 0 && nd < 64; tower /= 3)
        digits[nd++] = (int)(tower % 3);
    for (int i = nd - 1; i >= 0 && g; i--)
        g = standalone(gs, digits[i], g);
    run_pending(gs);
    if (!g)
        return NULL;
    OpEntry e = {site, arity, g, base};
    vec_push(&gs->ops, e);
    return g;
}

bool grad_check_expanded(const Module *spec, Diags *d)
{
    for (int i = 0; i < spec->graphs.len; i++) {
        NodeVec body = {0};
        ir_graph_body(spec->graphs.data[i], &body);
        for (int k = 0; k < body.len; k++) {
            Node *n = body.data[k];
            if (is_const_prim_app(n, P_DERIVE) || is_const_prim_app(n, P_J) || is_const_prim_app(n, P_JFWD)) {
                diag_error(d, n->loc, "internal error: %s() left after differentiation",
                           prim_info(n->app.in[0]->k.u.prim)->name);
                vec_free(&body);
                return false;
            }
        }
        vec_free(&body);
    }
    return true;
}
