/*
 * inplace.c: which list changes reuse their operand's storage (see
 * inplace.h for what it assumes and guarantees).
 *
 * After closure conversion every value reaches another graph only as an
 * argument, so ownership is a property of values within one graph plus,
 * per graph, two facts solved together as a greatest fixpoint:
 *
 *   owned[G][k]  parameter k (a list, or in derived code a container of
 *                lists: a tuple holding one, an env of sensitivities) is
 *                handed over by every call of G (G may change it in
 *                place); callers that cannot hand a list over pass a copy,
 *                and a container -- or a list a container takes over --
 *                is owned only when every call hands it over;
 *   fresh[G]     G's result is owned (a value no other value shares).
 *
 * Calls are known directly (a graph constant, a closure made and run at
 * one call, a switch between those) or by the callee's function type (a
 * closure handed around: a loop's continuation, a backpropagator, whose
 * every call names it in its type).  A closure made where no single call
 * runs it binds its captured parameters for every run: they are never
 * owned.  Both facts start true and only become false.  Each round
 * decides, in every graph, for every owned value v, its *consumer*: the
 * one use that may destroy v's storage -- an in-place change, a call
 * handing v to an owned parameter (one call even when v is captured by
 * both closures of a switch: only one runs), a new container taking v over
 * (make_tuple, env_set), or the graph returning v to its caller.  Every
 * other use must be an observer that reads v without keeping it (indexing,
 * len, a copying change, a call to a parameter that is not owned whose
 * result cannot share v) and must not depend on the consumer's result; a
 * use that keeps v (a list, a closure that may run later, a switch choosing
 * it, a second container) leaves v with no consumer.  An owned container
 * whose uses read each of its parts out once (getitem, env_get: a
 * backpropagator taking its sensitivity tuple apart) makes those parts
 * owned: so a list sensitivity travels from one backpropagator to the next
 * in a tuple and an env, and each element read of the primal is one
 * in-place `list_addat` in the backward pass.  A parameter with no
 * consumer is not owned; a result is fresh when it is owned.  At the
 * fixpoint, the rewrite: consumers become `_inplace`
 * (their operand wrapped in depend(observers..., v), so the backend runs
 * the observers first), and call sites that cannot hand a list over to an
 * owned parameter pass list_copy of it -- unless the callee only reads that
 * parameter (an owned parameter may be one that is only handed around, a
 * list a loop passes to its next iteration: find_changed tells them apart,
 * a least fixpoint), when the value itself will do.  Last, find_room: a
 * list_push made in place keeps the unchecked store (list_push_inplace)
 * only where its list has room by provenance (has_room: list_reserve's
 * list through list_push_inplace, depend and parameters all of whose
 * entries pass such a list, a greatest fixpoint); the others become
 * list_append_inplace.
 */
#include "inplace.h"

#include <string.h>

/* ---- where graphs are entered ------------------------------------------------ */

/* A place a graph's code is entered: the inputs app->app.in[arg0..] are
   its parameters first, first + 1, ...; `point` is the call that runs it
   (app itself for a direct call; the call of the closure, or of the switch
   choosing it, for a make_closure). */
typedef struct Site {
    Node *app, *point;
    int arg0, first;
} Site;

typedef struct GInfo {
    VEC(Site) sites;
    bool escaped;       /* entered from somewhere that is not a Site */
    bool rebound;       /* a rebind reads or makes closure records of it */
    int captured;       /* parameters from here on are bound by a closure that
                           may run more than once: never owned */
    uint8_t *owned;     /* per parameter (list parameters only) */
    uint8_t *changed;   /* per owned parameter: its storage may be changed (find_changed) */
    uint8_t *room;      /* per parameter: every entry passes a list with room (find_room) */
    bool fresh;
} GInfo;

typedef struct Ctx {
    Module *m;
    GInfo *gi;          /* by graph id */
    NodeVec *body;      /* by graph id: ir_graph_body */
    uint32_t *live;     /* by node id: stamp of the body it is live in */
    uint32_t *pos;      /* by node id: its position in its body */
    uint32_t *reach;    /* by node id: stamp of the last reachability walk */
    uint32_t reach_stamp;
    NodeVec work;
    /* memo of is_owned and consumer_of (by node id), valid for memo_stamp:
       a new stamp wherever owned[] or fresh may have changed, or the IR */
    uint32_t *own_stamp, *cons_stamp, memo_stamp;
    uint8_t *own_val;
    Node **cons_val;
    uint8_t *lenonly;   /* by parameter node id: length_only, 1 yes, 2 no, 0 not known yet */
    NodeVec lenonly_open;   /* parameters answered yes while an outer question is open */
    uint32_t *share_seen;   /* by graph id: stamp of the may_share question that looked at it */
    uint32_t share_stamp;
} Ctx;

static bool is_list(const Node *x) { return x->type && x->type->kind == T_LIST; }

/* A container that may hold lists: a tuple holding one, or an env (the
   sensitivities of a closure's variables). */
static bool holds(const Type *t)
{
    if (!t)
        return false;
    if (t->kind == T_LIST || t->kind == T_ENV)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (holds(t->elems[i]))
            return true;
    return false;
}

/* The values ownership is decided for: lists and containers of lists. */
static bool tracked(const Node *x) { return holds(x->type); }

static bool is_holder(const Node *x) { return tracked(x) && !is_list(x); }

/* A list whose items hold no list: its shape is its length. */
static bool flat_list(const Type *t)
{
    return t && t->kind == T_LIST && t->n && !holds(type_list_elem(t));
}

static bool is_make_closure(const Node *x) { return ir_applies_prim(x, P_MAKE_CLOSURE) && x->app.n >= 2; }

static bool is_switch(const Node *x) { return ir_applies_prim(x, P_SWITCH) && x->app.n == 4; }

static bool live_in(const Ctx *c, const Node *x)
{
    return x->kind == N_APPLY && c->live[x->id] == x->graph->id + 1;
}

/* The one live use of x as a callee (input 0), or NULL when x has another
   live use or none. */
static Node *only_call(const Ctx *c, const Node *x)
{
    Node *call = NULL;
    for (const Use *u = x->uses; u; u = u->next) {
        if (!u->user)
            return NULL;        /* returned */
        if (!live_in(c, u->user))
            continue;
        if (u->index != 0 || call)
            return NULL;
        call = u->user;
    }
    return call;
}

/* The call that runs the closure make_closure node x makes: x called
   once, or chosen by a switch that is called once; NULL when the closure
   may run elsewhere or later. */
static Node *closure_point(const Ctx *c, Node *x)
{
    Node *call = only_call(c, x);
    if (call)
        return call;
    Node *sw = NULL;
    for (const Use *u = x->uses; u; u = u->next) {
        if (!u->user)
            return NULL;
        if (!live_in(c, u->user))
            continue;
        if (!is_switch(u->user) || u->index < 2 || (sw && sw != u->user))
            return NULL;
        sw = u->user;
    }
    return sw ? only_call(c, sw) : NULL;
}

static void add_site(Ctx *c, Graph *g, Node *app, Node *point, int arg0, int first)
{
    Site s = {app, point, arg0, first};
    vec_push(&c->gi[g->id].sites, s);
}

/* The site of graph h at app, or NULL. */
static const Site *site_at(const Ctx *c, const Graph *h, const Node *app)
{
    const GInfo *g = &c->gi[h->id];
    for (int i = 0; i < g->sites.len; i++)
        if (g->sites.data[i].app == app)
            return &g->sites.data[i];
    return NULL;
}

static void escape_types_of(Ctx *c, const Type *t)
{
    if (!t || t->kind != T_FUNC)
        return;
    for (int i = 0; i < t->n; i++)
        if (t->fns[i].graph && t->fns[i].graph->id < c->m->ngraph_ids)
            c->gi[t->fns[i].graph->id].escaped = true;
}

/* A rebind copies a record of one of t's graphs into another's, variable
   by variable: their records keep every captured list whole. */
static void mark_rebound(Ctx *c, const Type *t)
{
    if (!t || t->kind != T_FUNC)
        return;
    for (int i = 0; i < t->n; i++)
        if (t->fns[i].graph && t->fns[i].graph->id < c->m->ngraph_ids)
            c->gi[t->fns[i].graph->id].rebound = true;
}

/* The graphs a call may run. */
typedef struct Callees {
    Graph *inl[2];
    Graph **g;          /* inl, or the callee's type's graphs */
    int n;
} Callees;

/* The callee a graph constant, a make_closure, or a switch between those. */
static bool direct_callees(const Node *call, Callees *cs)
{
    Node *f = call->app.in[0];
    Node *alts[2] = {f, NULL};
    int k = 1;
    if (is_switch(f)) {
        alts[0] = f->app.in[2];
        alts[1] = f->app.in[3];
        k = 2;
    }
    cs->g = cs->inl;
    cs->n = 0;
    for (int i = 0; i < k; i++) {
        if (ir_is_const_graph(alts[i]))
            cs->inl[cs->n++] = alts[i]->k.u.graph;
        else if (is_make_closure(alts[i]) && ir_is_const_graph(alts[i]->app.in[1]))
            cs->inl[cs->n++] = alts[i]->app.in[1]->k.u.graph;
        else
            return false;
    }
    return true;
}

/* direct_callees, or else every graph the callee's function type names (a
   closure handed around: a loop's continuation, a backpropagator); false
   when unknown. */
static bool callees(const Ctx *c, const Node *call, Callees *cs)
{
    if (direct_callees(call, cs))
        return true;
    const Type *t = call->app.in[0]->type;
    if (!t || t->kind != T_FUNC || t->n == 0)
        return false;
    for (int i = 0; i < t->n; i++)
        if (!t->fns[i].graph || t->fns[i].graph->id >= c->m->ngraph_ids)
            return false;
    cs->g = xmalloc(sizeof(Graph *) * (size_t)t->n);
    cs->n = t->n;
    for (int i = 0; i < t->n; i++)
        cs->g[i] = t->fns[i].graph;
    return true;
}

static void callees_free(Callees *cs)
{
    if (cs->g != cs->inl)
        free(cs->g);
    cs->g = cs->inl;
    cs->n = 0;
}

/* Every place a graph is entered: a direct call, a closure made and run
   at one call (its captured parameters handed over there), and every
   call of a closure value, known by its function type.  A closure that
   may run more than once (made where no single call runs it) binds its
   captured parameters for every run: they are never owned. */
static void find_sites(Ctx *c, Graph *g)
{
    NodeVec *body = &c->body[g->id];
    for (int bi = 0; bi <= body->len; bi++) {
        int n;
        Node *const *in = ir_body_inputs(g, body, bi, &n);
        Node *x = bi < body->len ? body->data[bi] : NULL;
        if (x && ir_applies_prim(x, P_REBIND)) {
            escape_types_of(c, x->type);
            mark_rebound(c, x->type);
            mark_rebound(c, x->app.in[1]->type);
        }
        for (int i = 0; i < n; i++) {
            if (!x || !ir_is_const_graph(in[i]))
                continue;       /* a graph returned is a value: entered where it is called */
            Graph *h = in[i]->k.u.graph;
            GInfo *hi = &c->gi[h->id];
            Node *point = NULL;
            if (i == 0) {
                add_site(c, h, x, x, 1, 0);
            } else if (is_make_closure(x) && i == 1) {
                int first = h->nparams - (x->app.n - 2);
                if ((point = closure_point(c, x))) {
                    add_site(c, h, x, point, 2, first);
                    add_site(c, h, point, point, 1, 0);
                } else if (first < hi->captured) {
                    hi->captured = first;
                }
            } else if (is_switch(x) && i >= 2 && (point = only_call(c, x))) {
                add_site(c, h, point, point, 1, 0);
            }
            /* else a value, entered where it is called */
        }
        if (!x || x->kind != N_APPLY || ir_is_const_graph(x->app.in[0]) || x->app.in[0]->kind == N_CONST)
            continue;
        /* a call of a closure value (sites of closures made and run here
           are in place already: those nodes come first) */
        Callees cs;
        if (!callees(c, x, &cs)) {
            escape_types_of(c, x->app.in[0]->type);
            continue;
        }
        for (int k = 0; k < cs.n; k++)
            if (!site_at(c, cs.g[k], x))
                add_site(c, cs.g[k], x, x, 1, 0);
        callees_free(&cs);
    }
}

/* ---- ownership and consumers -------------------------------------------------- */

static bool makes_fresh_list(int p)
{
    switch (p) {
    case P_LIST_MAKE: case P_LIST_RESERVE: case P_LIST_CONCAT: case P_LIST_REPEAT: case P_LIST_SLICE:
    case P_LIST_COPY: case P_LIST_CONVERT: case P_LIST_SET: case P_LIST_APPEND: case P_LIST_PUSH:
    case P_LIST_EXTEND: case P_LIST_IREPEAT: case P_LIST_ADDAT:
        return true;
    default:
        return false;
    }
}

/* The changes that may become _inplace (operand 1 is the list changed). */
static int inplace_of(int p)
{
    switch (p) {
    case P_LIST_SET: return P_LIST_SET_INPLACE;
    case P_LIST_APPEND: return P_LIST_APPEND_INPLACE;
    case P_LIST_PUSH: return P_LIST_PUSH_INPLACE;      /* until find_room finds no room: append */
    case P_LIST_POP: return P_LIST_POP_INPLACE;
    case P_LIST_SLICE: return P_LIST_SLICE_INPLACE;
    case P_LIST_CONCAT: case P_LIST_EXTEND: return P_LIST_EXTEND_INPLACE;
    case P_LIST_ADDAT: return P_LIST_ADDAT_INPLACE;
    default: return -1;
    }
}

/* Uses that read a list without keeping it (the list at operand `index`). */
static bool observes(int p, int index)
{
    switch (p) {
    case P_LIST_LEN: case P_LIST_MIN: case P_LIST_MAX: case P_LIST_COPY: case P_LIST_CONVERT: case P_EQ: case P_NE:
    case P_LIST_CONCAT: case P_LIST_EXTEND:
        return true;
    case P_LIST_GET: case P_LIST_ITEM: case P_LIST_SET: case P_LIST_APPEND: case P_LIST_PUSH: case P_LIST_POP:
    case P_LIST_SUM: case P_LIST_SLICE: case P_LIST_REPEAT: case P_LIST_IREPEAT: case P_LIST_CONTAINS:
        return index == 1;
    case P_LIST_ADDAT:      /* a: its shape; the list changed is operand 1 */
    case P_LIST_UNSLICE: case P_LIST_UNREPEAT:
        return index == 2;
    /* the differentiation primitives that read a list for its shape (or
       min's and max's place) and return another */
    case P_ONEHOT: case P_SDENSE: case P_LIST_ARGMIN: case P_LIST_ARGMAX:
        return index == 1;
    case P_SENS_GET:        /* an item, as list_get; y: its shape */
        return index == 1 || index == 2;
    case P_ENV_GET:
        return index == 3;
    default:
        return false;
    }
}

/* The consumer of a value the graph returns: its caller. */
static Node returned;
#define RETURNED (&returned)
/* The consumer of a container whose uses take it apart: each list or
   container in it is read out once (getitem, env_get), and owned then. */
static Node extracted;
#define EXTRACTED (&extracted)

static Node *consumer_of(Ctx *c, Node *v);

/* The operands a value takes over: those a new container (make_tuple,
   env_set) holds, and those an operation may return as they are
   (sens_add's when the other is zero, sens_dense's d, depend's last, the
   alternatives of a switch of values: one is the result, the other is
   dropped). */
static bool moved_in(const Node *x, int index)
{
    switch (ir_applied_prim(x)) {
    case P_MAKE_TUPLE: return index >= 1;
    case P_ENV_SET: return index == 1 || index == 3;
    case P_SADD: return index == 1 || index == 2;
    case P_SDENSE: return index == 2;
    case P_DEPEND: return index == x->app.n - 1;
    case P_SWITCH: return index == 2 || index == 3;
    default: return false;
    }
}

/* Whether x takes an operand over (moved_in). */
static bool takes_over(const Node *x)
{
    for (int i = 1; x->kind == N_APPLY && i < x->app.n; i++)
        if (moved_in(x, i))
            return true;
    return false;
}

static bool compute_owned(Ctx *c, const Node *x)
{
    if (x->kind == N_PARAM) {
        const GInfo *g = &c->gi[x->graph->id];
        return g->owned && g->owned[x->param.index];
    }
    if (x->kind != N_APPLY)
        return false;
    int p = ir_applied_prim(x);
    if (p >= 0) {
        /* (unreachable: a graph no closure of which is made, kept for the
           types that name it, never returns: it hands nothing back) */
        if (makes_fresh_list(p) || p == P_NEWENV || p == P_UNREACHABLE)
            return true;
        /* a flat list's sensitivity made anew (its items copied: one
           holding lists may hold an operand's) */
        if ((p == P_ONEHOT || p == P_LIST_UNSLICE || p == P_LIST_UNREPEAT) && flat_list(x->type))
            return true;
        if (takes_over(x) && tracked(x)) {
            /* owned when it takes over every list it may hold */
            for (int i = 1; i < x->app.n; i++) {
                Node *y = x->app.in[i];
                if (tracked(y) && moved_in(x, i) && consumer_of(c, y) != x)
                    return false;
            }
            return true;
        }
        if ((p == P_GETITEM || p == P_ENV_GET) && tracked(x) && x->app.n >= 3 && tracked(x->app.in[1]))
            return consumer_of(c, x->app.in[1]) == EXTRACTED;
        /* the list of pop's (list, item) */
        return p == P_GETITEM && x->app.n == 3 && ir_applies_prim(x->app.in[1], P_LIST_POP) &&
               x->app.in[2]->kind == N_CONST && x->app.in[2]->k.kind == K_INT && x->app.in[2]->k.u.i == 0;
    }
    Callees cs;
    if (!callees(c, x, &cs))
        return false;
    bool fresh = true;
    for (int i = 0; i < cs.n && fresh; i++)
        fresh = c->gi[cs.g[i]->id].fresh;
    callees_free(&cs);
    return fresh;
}

/* Whether x owns its lists: no other value shares their storage. */
static bool is_owned(Ctx *c, const Node *x)
{
    if (c->own_stamp[x->id] != c->memo_stamp) {
        c->own_stamp[x->id] = c->memo_stamp;
        c->own_val[x->id] = compute_owned(c, x);
    }
    return c->own_val[x->id];
}

/* How a live use (user, index) of a list or container v treats it. */
typedef enum UseKind {
    U_OBSERVE,      /* reads it and keeps nothing */
    U_CHANGE,       /* a change that may be made in place */
    U_SITE,         /* hands it to an owned parameter */
    U_MOVE,         /* a new container takes it over */
    U_EXTRACT,      /* reads a list or container out of it */
    U_ORDER,        /* reads nothing in the storage: an operand of depend
                           but its last, a flat list's length (the length is
                           part of the list's value: no change of the storage
                           alters it) */
    U_KEEP          /* anything else: it may be seen later */
} UseKind;

/* Whether operand `index` of user reads nothing of a flat list but its
   length (its shape: the sensitivity operations' shape operands). */
static bool reads_length(const Node *user, int index)
{
    switch (ir_applied_prim(user)) {
    case P_LIST_LEN: case P_SDENSE: case P_ONEHOT: return index == 1;
    case P_SENS_GET: case P_LIST_ADDAT: case P_LIST_UNSLICE: case P_LIST_UNREPEAT: return index == 2;
    case P_ENV_GET: return index == 3;
    case P_DEPEND: return index < user->app.n - 1;
    default: return false;
    }
}

static bool passes_length_only(Ctx *c, Node *user, int index);

/* Whether g is a stub (its result unreachable(): no closure of it is run
   as itself; a rebind runs its record as a transform's, which reads what
   g's source read). */
static bool is_stub(const Graph *g)
{
    const Node *o = g->output;
    for (int i = 0; o && ir_applies_prim(o, P_DEPEND) && i < 8; i++)
        o = o->app.in[o->app.n - 1];
    return !o || ir_applies_prim(o, P_UNREACHABLE);
}

/* Whether parameter k of g is a flat list (its items hold no list) of
   which g reads only the length.  A closure capturing it may then run
   after its storage changed: the closure's record keeps the list's
   length, which no change of the storage alters (a backpropagator keeps
   the primal list for its shape, and the forward pass goes on changing
   it in place). */
static bool length_only(Ctx *c, const Graph *g, int k)
{
    const Node *p = g->params[k];
    if (!flat_list(p->type) || is_stub(g))
        return false;
    if (c->lenonly[p->id])
        return c->lenonly[p->id] == 1;      /* known, or being decided: a cycle of calls reads no more */
    /* (a yes decided while an outer question is open assumed that one's
       yes: undone below when that one turns out no) */
    int mark = c->lenonly_open.len;
    c->lenonly[p->id] = 1;
    vec_push(&c->lenonly_open, (Node *)p);
    bool only = true;
    for (const Use *u = p->uses; u && only; u = u->next) {
        if (!u->user)
            only = false;
        else if (!reads_length(u->user, u->index))
            only = passes_length_only(c, u->user, u->index);
    }
    if (!only) {
        for (int i = mark; i < c->lenonly_open.len; i++)
            c->lenonly[c->lenonly_open.data[i]->id] = 0;
        c->lenonly_open.len = mark;
        c->lenonly[p->id] = 2;
    } else if (mark == 0) {
        c->lenonly_open.len = 0;        /* the outermost question: every yes holds */
    }
    return only;
}

/* Whether the call or make_closure `user` hands its operand `index` to
   parameters that only read its length (length_only), in every graph it
   may run. */
static bool passes_length_only(Ctx *c, Node *user, int index)
{
    Callees cs;
    if (ir_applies_prim(user, P_MAKE_CLOSURE)) {
        if (index < 2 || !ir_is_const_graph(user->app.in[1]))
            return false;
        /* a rebind runs the closure's record as another graph's (a
           transform's), whose parameters are not these */
        for (const Use *u = user->uses; u; u = u->next)
            if (!u->user || ir_applies_prim(u->user, P_REBIND))
                return false;
        const Graph *h = user->app.in[1]->k.u.graph;
        int k = h->nparams - (user->app.n - 2) + index - 2;
        return k >= 0 && k < h->nparams && length_only(c, h, k);
    }
    if (ir_applied_prim(user) >= 0 || index == 0 || !callees(c, user, &cs))
        return false;
    bool only = true;
    for (int i = 0; i < cs.n && only; i++) {
        const Site *s = site_at(c, cs.g[i], user);
        int k = s ? s->first + index - s->arg0 : -1;
        only = k >= 0 && k < cs.g[i]->nparams && length_only(c, cs.g[i], k);
    }
    callees_free(&cs);
    return only;
}

/* Whether a value of type t may share the storage of a list it was made
   from: a list, an env, a tuple holding one, or a closure that captures
   one whole -- a closure keeping only a flat list's length (length_only)
   keeps no storage (a loop's backpropagator, returned with a number, keeps
   the primal list for its shape).  The closures a closure captures are
   followed, each graph once per question (a loop's backpropagators
   capture each other). */
static bool shares_in(Ctx *c, const Type *t)
{
    if (!t || t->kind == T_LIST || t->kind == T_ENV)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (shares_in(c, t->elems[i]))
            return true;
    for (int i = 0; t->kind == T_FUNC && i < t->n; i++) {
        const Graph *h = t->fns[i].graph;
        if (!h || c->share_seen[h->id] == c->share_stamp)
            continue;       /* a primitive keeps nothing; h is being looked at */
        c->share_seen[h->id] = c->share_stamp;
        if (c->gi[h->id].rebound || c->gi[h->id].escaped)
            return true;    /* a rebind keeps the record whole, and runs another graph's code on it */
        for (int k = h->nparams - h->nfree; k < h->nparams; k++) {
            const Type *pt = h->params[k]->type;
            if (!(flat_list(pt) && length_only(c, h, k)) && shares_in(c, pt))
                return true;
        }
    }
    return false;
}

static bool may_share(Ctx *c, const Type *t)
{
    c->share_stamp++;
    return shares_in(c, t);
}

/* Classifies; for observers and sites, *at is the node that runs the use
   (a site's point). */
static UseKind use_kind(Ctx *c, Node *user, int index, Node **at)
{
    *at = user;
    int p = ir_applied_prim(user);
    if (p == P_MAKE_CLOSURE || p < 0) {
        Callees cs;
        if (p == P_MAKE_CLOSURE) {
            if (index < 2 || !ir_is_const_graph(user->app.in[1]))
                return U_KEEP;
            cs.g = cs.inl;
            cs.inl[0] = user->app.in[1]->k.u.graph;
            cs.n = 1;
        } else if (index == 0 || !callees(c, user, &cs)) {
            return U_KEEP;
        }
        bool owned = false, kept = false, unknown = false;
        for (int i = 0; i < cs.n && !unknown; i++) {
            const Site *s = site_at(c, cs.g[i], user);
            int k = s ? s->first + index - s->arg0 : -1;
            if (!s || k < 0 || k >= cs.g[i]->nparams) {
                unknown = true;
                break;
            }
            *at = s->point;
            const GInfo *h = &c->gi[cs.g[i]->id];
            owned |= h->owned && h->owned[k];
            /* a result that may share the argument's storage keeps it */
            const Type *rt = cs.g[i]->output ? cs.g[i]->output->type : NULL;
            kept |= rt && may_share(c, rt) && !h->fresh;
        }
        callees_free(&cs);
        if (unknown && p == P_MAKE_CLOSURE)
            return passes_length_only(c, user, index) ? U_ORDER : U_KEEP;
        if (unknown)
            return U_KEEP;
        return owned ? U_SITE : kept ? U_KEEP : U_OBSERVE;
    }
    if (index == 1 && inplace_of(p) >= 0)
        return U_CHANGE;
    if ((p == P_DEPEND && index < user->app.n - 1) ||
        (reads_length(user, index) && flat_list(user->app.in[index]->type)))
        return U_ORDER;     /* the length is in the value, whatever happens to the storage */
    if (moved_in(user, index))
        return U_MOVE;
    if ((p == P_GETITEM || p == P_ENV_GET) && index == 1)
        return tracked(user) ? U_EXTRACT : U_OBSERVE;
    return observes(p, index) ? U_OBSERVE : U_KEEP;
}

/* Marks every live node of x's graph that depends on x (x included). */
static void mark_dependents(Ctx *c, Node *x)
{
    uint32_t st = ++c->reach_stamp;
    c->work.len = 0;
    c->reach[x->id] = st;
    vec_push(&c->work, x);
    while (c->work.len) {
        Node *y = vec_pop(&c->work);
        for (const Use *u = y->uses; u; u = u->next)
            if (u->user && live_in(c, u->user) && c->reach[u->user->id] != st) {
                c->reach[u->user->id] = st;
                vec_push(&c->work, u->user);
            }
    }
}

static bool depends(const Ctx *c, const Node *x) { return c->reach[x->id] == c->reach_stamp; }

/* use_kind for a use of v, where a change that also reads v at another
   operand (a.extend(a)) only observes it: growing a would move what it reads. */
static UseKind use_kind_of(Ctx *c, const Node *v, Node *user, int index, Node **at)
{
    UseKind k = use_kind(c, user, index, at);
    if (k == U_CHANGE)
        for (int i = 2; i < user->app.n; i++)
            if (user->app.in[i] == v)
                return U_OBSERVE;
    return k;
}

/* The key an extraction reads: getitem's index, env_get's key; -1 when
   not a constant. */
static int64_t extract_key(const Node *x)
{
    const Node *k = x->app.n >= 3 ? x->app.in[2] : NULL;
    return k && k->kind == N_CONST && k->k.kind == K_INT ? k->k.u.i : -1;
}

/* EXTRACTED when every live use of container v reads a different part
   of it out or only observes it (and one does read a part out); else NULL. */
static Node *extraction(Ctx *c, Node *v)
{
    bool any = false;
    for (const Use *u = v->uses; u; u = u->next) {
        if (!u->user)
            return NULL;
        if (!live_in(c, u->user))
            continue;
        Node *at;
        UseKind k = use_kind_of(c, v, u->user, u->index, &at);
        if (k == U_OBSERVE || k == U_ORDER)
            continue;
        if (k != U_EXTRACT || extract_key(u->user) < 0)
            return NULL;
        for (const Use *w = v->uses; w != u; w = w->next)
            if (w->user && live_in(c, w->user) && w->index == 1 && tracked(w->user) &&
                ir_applied_prim(w->user) == ir_applied_prim(u->user) && extract_key(w->user) == extract_key(u->user))
                return NULL;    /* the same part read out twice */
        any = true;
    }
    return any ? EXTRACTED : NULL;
}

/* v's consumer: the node that may destroy it (an _inplace change, the
   point of the call handing it over, the container taking it over),
   RETURNED when the graph hands it to its caller, EXTRACTED (a container
   taken apart), or NULL. */
static Node *compute_consumer(Ctx *c, Node *v)
{
    if (!tracked(v) || !is_owned(c, v))
        return NULL;
    bool extracts = false;
    for (const Use *u = v->uses; u && !extracts; u = u->next) {
        Node *at;
        extracts = u->user && live_in(c, u->user) && use_kind_of(c, v, u->user, u->index, &at) == U_EXTRACT;
    }
    if (extracts)
        return extraction(c, v);
    Node *best = NULL, *move = NULL;
    bool ret = false;
    for (const Use *u = v->uses; u; u = u->next) {
        if (!u->user) {
            ret = true;         /* the graph's result: everything else runs first */
            continue;
        }
        if (!live_in(c, u->user))
            continue;
        Node *at;
        UseKind k = use_kind_of(c, v, u->user, u->index, &at);
        if (k == U_KEEP)
            return NULL;
        if (k == U_ORDER)
            continue;
        if (k == U_MOVE) {
            if (move)
                return NULL;    /* two containers would share it */
            move = at;
        }
        if (k == U_SITE || k == U_CHANGE || k == U_MOVE)
            for (const Use *w = v->uses; w != u; w = w->next)
                if (w->user == u->user)
                    return NULL;    /* f(v, v): two parameters would share it */
        if ((k == U_CHANGE || k == U_SITE || k == U_MOVE) && (!best || c->pos[at->id] > c->pos[best->id]))
            best = at;
    }
    if (ret)
        return best ? NULL : RETURNED;
    if (!best || (move && move != best))
        return NULL;            /* a container would see what best does to it */
    mark_dependents(c, best);
    for (const Use *u = v->uses; u; u = u->next) {
        if (!live_in(c, u->user))
            continue;
        Node *at;
        if (use_kind_of(c, v, u->user, u->index, &at) == U_ORDER)
            continue;
        if (at != best && depends(c, at))
            return NULL;        /* it would read v after best changed it */
    }
    return best;
}

static Node *consumer_of(Ctx *c, Node *v)
{
    if (c->cons_stamp[v->id] != c->memo_stamp) {
        c->cons_stamp[v->id] = c->memo_stamp;
        c->cons_val[v->id] = compute_consumer(c, v);
    }
    return c->cons_val[v->id];
}

/* Whether every site of g hands parameter k over: its argument there is
   owned and consumed by the call.  (A container parameter, or one a
   container takes over, must be: no copy is made for them.) */
static bool sites_hand_over(Ctx *c, const Graph *g, int k)
{
    const GInfo *info = &c->gi[g->id];
    for (int i = 0; i < info->sites.len; i++) {
        const Site *s = &info->sites.data[i];
        int idx = s->arg0 + (k - s->first);
        if (k < s->first || idx >= s->app->app.n)
            continue;
        Node *arg = s->app->app.in[idx];
        if (!is_owned(c, arg) || consumer_of(c, arg) != s->point)
            return false;
    }
    return true;
}

/* Whether the consumer `at` of a value takes it over (moved_in). */
static bool is_move(const Node *at)
{
    return at && at != RETURNED && at != EXTRACTED && takes_over(at);
}

/* Computes is_owned for g's values in body order, so that the recursion
   through containers' operands stays shallow. */
static void warm(Ctx *c, Graph *g)
{
    NodeVec *body = &c->body[g->id];
    for (int i = 0; i < body->len; i++)
        if (tracked(body->data[i]))
            is_owned(c, body->data[i]);
}

/* ---- the fixpoint ------------------------------------------------------------------ */

static bool round_once(Ctx *c)
{
    bool changed = false;
    c->memo_stamp++;
    for (int gi = 0; gi < c->m->graphs.len; gi++) {
        Graph *g = c->m->graphs.data[gi];
        GInfo *info = &c->gi[g->id];
        if (!g->output)
            continue;
        warm(c, g);
        for (int k = 0; info->owned && k < g->nparams; k++) {
            if (!info->owned[k])
                continue;
            Node *at = consumer_of(c, g->params[k]);
            if (!at || ((is_holder(g->params[k]) || is_move(at)) && !sites_hand_over(c, g, k))) {
                info->owned[k] = 0;
                changed = true;
            }
        }
        /* an owned list or container (what else in g reads it dies with
           g's frame; no consumer destroys it, since returning it is its
           consumer) */
        Node *out = g->output;
        bool fresh = tracked(out) && is_owned(c, out);
        if (info->fresh && !fresh) {
            info->fresh = false;
            changed = true;
        }
    }
    return changed;
}

/* ---- which owned parameters are changed ------------------------------------------ */

/* Whether the call `user`, given a list at input `index` (a U_SITE use),
   may hand it to a parameter that changed[] marks (or one not known). */
static bool site_may_change(const Ctx *c, Node *user, int index)
{
    Callees cs;
    if (ir_applies_prim(user, P_MAKE_CLOSURE)) {
        cs.g = cs.inl;
        cs.inl[0] = user->app.in[1]->k.u.graph;
        cs.n = 1;
    } else if (!callees(c, user, &cs)) {
        return true;
    }
    bool may = false;
    for (int i = 0; i < cs.n && !may; i++) {
        const Site *st = site_at(c, cs.g[i], user);
        const GInfo *h = &c->gi[cs.g[i]->id];
        int k = st ? st->first + index - st->arg0 : -1;
        may = k < 0 || k >= cs.g[i]->nparams || !h->changed || h->changed[k];
    }
    callees_free(&cs);
    return may;
}

/* Whether the consumer `at` of owned value v hands it to a changed
   parameter (a U_SITE use of v run at `at`). */
static bool hands_to_changed(Ctx *c, Node *v, Node *at)
{
    for (const Use *u = v->uses; u; u = u->next) {
        Node *x;
        if (u->user && live_in(c, u->user) && use_kind_of(c, v, u->user, u->index, &x) == U_SITE && x == at &&
            site_may_change(c, u->user, u->index))
            return true;
    }
    return false;
}

/*
 * At the fixpoint, which owned parameters may have their storage changed
 * (Graph.consumed): a least fixpoint over the consumers, since an owned
 * parameter may be one that is only handed around -- a list a loop
 * passes to its next iteration and only reads, say.  A parameter is
 * changed when its consumer is an in-place change, when it is returned
 * (the caller may change the result), or when the call that consumes it
 * hands it to a changed parameter.  The rest are owned but never written:
 * an entry from outside the module may pass them without a copy.
 */
static void find_changed(Ctx *c)
{
    Module *m = c->m;
    /* each owned parameter's consumer, once: owned[] no longer changes */
    Node ***cons = xcalloc((size_t)(m->graphs.len ? m->graphs.len : 1), sizeof(Node **));
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        GInfo *info = &c->gi[g->id];
        if (!info->owned)
            continue;
        info->changed = xcalloc((size_t)g->nparams, 1);
        cons[gi] = xcalloc((size_t)g->nparams, sizeof(Node *));
        for (int k = 0; g->output && k < g->nparams; k++) {
            if (!info->owned[k])
                continue;
            Node *at = consumer_of(c, g->params[k]);
            cons[gi][k] = at;
            /* (a consumer that is not a call changes it or lets another change it) */
            info->changed[k] = !at || at == RETURNED || at == EXTRACTED || ir_applied_prim(at) >= 0;
        }
    }
    bool again = true;
    while (again) {
        again = false;
        for (int gi = 0; gi < m->graphs.len; gi++) {
            Graph *g = m->graphs.data[gi];
            GInfo *info = &c->gi[g->id];
            for (int k = 0; info->owned && g->output && k < g->nparams; k++)
                if (info->owned[k] && !info->changed[k] && hands_to_changed(c, g->params[k], cons[gi][k])) {
                    info->changed[k] = 1;
                    again = true;
                }
        }
    }
    for (int gi = 0; gi < m->graphs.len; gi++)
        free(cons[gi]);
    free(cons);
}

/* ---- the rewrite ------------------------------------------------------------------- */

/* depend(observers of v other than those run at `at`..., v), v's
   replacement at its consumer; NULL when an observer now depends on `at`
   (then the consumer must not destroy v). */
static Node *ordered(Ctx *c, Node *v, Node *at)
{
    NodeVec obs = {0};
    mark_dependents(c, at);
    for (const Use *u = v->uses; u; u = u->next) {
        if (!u->user || !live_in(c, u->user))
            continue;
        Node *x;
        if (use_kind_of(c, v, u->user, u->index, &x) == U_ORDER || x == at)
            continue;
        if (depends(c, x)) {
            vec_free(&obs);
            return NULL;
        }
        bool dup = false;
        for (int i = 0; i < obs.len && !dup; i++)
            dup = obs.data[i] == x;
        if (!dup)
            vec_push(&obs, x);
    }
    if (!obs.len) {
        vec_free(&obs);
        return v;
    }
    vec_push(&obs, v);
    Node *d = ir_apply_prim_args(v->graph, P_DEPEND, v->loc, obs.len, obs.data);
    d->type = v->type;
    vec_free(&obs);
    return d;
}

static void rewrite_graph(Ctx *c, Graph *g, InplaceStats *st)
{
    /* the lists and containers of g with a consumer, decided on the IR as
       it is (the fixpoint's last round: g is not rewritten yet) */
    NodeVec vals = {0};
    for (int k = 0; k < g->nparams; k++)
        if (tracked(g->params[k]))
            vec_push(&vals, g->params[k]);
    NodeVec *body = &c->body[g->id];
    for (int i = 0; i < body->len; i++)
        if (tracked(body->data[i]))
            vec_push(&vals, body->data[i]);
    Node **cons = xcalloc((size_t)(vals.len ? vals.len : 1), sizeof(Node *));
    for (int i = 0; i < vals.len; i++)
        cons[i] = consumer_of(c, vals.data[i]);
    /* calls handing a list to an owned parameter: the consumer's, or a copy */
    for (int i = 0; i < vals.len; i++) {
        Node *v = vals.data[i];
        if (!is_list(v))
            continue;           /* (a container is handed over at every site) */
        for (const Use *u = v->uses, *next; u; u = next) {
            next = u->next;
            if (!u->user || !live_in(c, u->user))
                continue;
            Node *at;
            if (use_kind_of(c, v, u->user, u->index, &at) != U_SITE || at == cons[i])
                continue;
            if (!site_may_change(c, u->user, u->index))
                continue;       /* the callee only reads it: v itself will do */
            Node *copy = ir_apply_prim(g, P_LIST_COPY, u->user->loc, 1, v);
            copy->type = v->type;
            c->live[copy->id] = g->id + 1;
            ir_use_set(u, copy);
            if (st)
                st->site_copies++;
        }
    }
    /* the consumers */
    for (int i = 0; i < vals.len; i++) {
        Node *v = vals.data[i], *at = cons[i];
        if (!at || at == RETURNED || at == EXTRACTED)
            continue;
        Node *d = ordered(c, v, at);
        if (!d) {
            cons[i] = NULL;     /* an earlier rewrite ordered an observer after `at` */
            continue;
        }
        if (d != v)
            c->live[d->id] = g->id + 1;
        for (const Use *u = v->uses, *next; u; u = next) {
            next = u->next;
            if (!u->user || !live_in(c, u->user) || u->user == d)
                continue;
            Node *x;
            UseKind k = use_kind_of(c, v, u->user, u->index, &x);
            if (x != at || (k != U_CHANGE && k != U_SITE && k != U_MOVE))
                continue;
            if (k == U_CHANGE)
                ir_set_input(u->user, 0, ir_const_prim(c->m, (PrimId)inplace_of(ir_applied_prim(u->user)), u->user->loc));
            if (d != v)
                ir_use_set(u, d);
        }
    }
    if (st)
        for (int i = 0; i < body->len; i++) {
            int p = ir_applied_prim(body->data[i]);
            if (p == P_LIST_SET || prim_appends(p) || p == P_LIST_POP)
                st->copies++;
            else if (p == P_LIST_SET_INPLACE || p == P_LIST_APPEND_INPLACE || p == P_LIST_PUSH_INPLACE ||
                     p == P_LIST_POP_INPLACE || p == P_LIST_SLICE_INPLACE || p == P_LIST_EXTEND_INPLACE)
                st->inplace++;
        }
    free(cons);
    vec_free(&vals);
}

/* ---- room: pushes without a capacity check ------------------------------------ */

/* Whether list x has room for an item by provenance: list_reserve's list,
   or the result of list_push_inplace on such a list, through depend and
   through parameters (find_room).  A comprehension makes the reserve with
   its loop's count and pushes once per iteration (passes/lower.c), so no
   more pushes run on the chain than the reserve has room for; a copy (a
   call site's list_copy, a copying change) has no spare room. */
static bool has_room(const Ctx *c, const Node *x)
{
    for (;;) {
        if (x->kind == N_PARAM) {
            const GInfo *g = &c->gi[x->graph->id];
            return g->room && g->room[x->param.index];
        }
        if (ir_applies_prim(x, P_DEPEND))
            x = x->app.in[x->app.n - 1];
        else if (ir_applies_prim(x, P_LIST_PUSH_INPLACE) && x->app.n == 3)
            x = x->app.in[1];
        else
            return ir_applies_prim(x, P_LIST_RESERVE);
    }
}

/* Whether every entry of g passes a list with room as parameter k: g is
   entered only at its sites (not escaped), each covering k passes one, and
   k is not bound by a closure that may run more than once. */
static bool param_has_room(const Ctx *c, const Graph *g, int k)
{
    const GInfo *gi = &c->gi[g->id];
    if (gi->escaped || gi->rebound || k >= gi->captured)
        return false;
    int covered = 0;
    for (int i = 0; i < gi->sites.len; i++) {
        const Site *s = &gi->sites.data[i];
        int at = s->arg0 + k - s->first;
        if (k < s->first || at >= s->app->app.n)
            continue;
        if (!has_room(c, s->app->app.in[at]))
            return false;
        covered++;
    }
    return covered > 0;
}

/* After the rewrite: the list_push_inplace applications (inplace_of's
   choice for list_push) whose operand has room keep the unchecked store;
   the others become list_append_inplace.  A greatest fixpoint over the
   parameters that carry a comprehension's accumulator around its loop. */
static void find_room(Ctx *c)
{
    for (int gi = 0; gi < c->m->graphs.len; gi++) {
        Graph *g = c->m->graphs.data[gi];
        GInfo *info = &c->gi[g->id];
        if (!g->output || !g->nparams)
            continue;
        info->room = xcalloc((size_t)g->nparams, 1);
        for (int k = 0; k < g->nparams; k++)
            info->room[k] = is_list(g->params[k]);
    }
    for (bool again = true; again;) {
        again = false;
        for (int gi = 0; gi < c->m->graphs.len; gi++) {
            Graph *g = c->m->graphs.data[gi];
            GInfo *info = &c->gi[g->id];
            for (int k = 0; info->room && k < g->nparams; k++)
                if (info->room[k] && !param_has_room(c, g, k)) {
                    info->room[k] = 0;
                    again = true;
                }
            const NodeVec *body = &c->body[g->id];
            for (int i = 0; g->output && i < body->len; i++) {
                Node *x = body->data[i];
                if (ir_applies_prim(x, P_LIST_PUSH_INPLACE) && !has_room(c, x->app.in[1])) {
                    ir_set_input(x, 0, ir_const_prim(c->m, P_LIST_APPEND_INPLACE, x->loc));
                    again = true;
                }
            }
        }
    }
}

/* Marks the captured parameters that are length_only (Node.param): a
   backpropagator that keeps a primal list for its shape then keeps 8
   bytes, not the list's 24, per closure made -- per loop iteration. */
static void mark_length_only(Ctx *c)
{
    for (int gi = 0; gi < c->m->graphs.len; gi++) {
        Graph *g = c->m->graphs.data[gi];
        if (c->gi[g->id].rebound)
            continue;
        for (int k = g->nparams - g->nfree; k < g->nparams; k++)
            g->params[k]->param.length_only = length_only(c, g, k);
    }
}

void inplace_module(Module *m, InplaceStats *st)
{
    if (st)
        memset(st, 0, sizeof *st);
    Ctx c = {.m = m};
    uint32_t ng = m->ngraph_ids ? m->ngraph_ids : 1;
    c.gi = xcalloc(ng, sizeof(GInfo));
    c.body = xcalloc(ng, sizeof(NodeVec));
    /* the rewrite makes at most a copy per use of a list and a depend per
       list or container: ids up to nnodes + extra */
    uint32_t extra = 64;
    bool any = false;           /* lists: else nothing to do */
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        ir_graph_body(g, &c.body[g->id]);
        c.gi[g->id].captured = g->nparams;
        for (int i = -g->nparams; i < c.body[g->id].len; i++) {
            Node *x = i < 0 ? g->params[-1 - i] : c.body[g->id].data[i];
            if (!tracked(x))
                continue;
            any |= is_list(x);
            extra++;
            for (const Use *u = x->uses; u; u = u->next)
                extra++;
        }
    }
    uint32_t nn = m->nnodes + extra;
    c.live = xcalloc(nn, sizeof(uint32_t));
    c.pos = xcalloc(nn, sizeof(uint32_t));
    c.reach = xcalloc(nn, sizeof(uint32_t));
    c.own_stamp = xcalloc(nn, sizeof(uint32_t));
    c.cons_stamp = xcalloc(nn, sizeof(uint32_t));
    c.own_val = xcalloc(nn, 1);
    c.cons_val = xcalloc(nn, sizeof(Node *));
    c.lenonly = xcalloc(nn, 1);
    c.share_seen = xcalloc(ng, sizeof(uint32_t));
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        for (int i = 0; i < c.body[g->id].len; i++) {
            Node *x = c.body[g->id].data[i];
            c.live[x->id] = g->id + 1;
            c.pos[x->id] = (uint32_t)i;
        }
    }
    if (any) {
        for (int gi = 0; gi < m->graphs.len; gi++)
            find_sites(&c, m->graphs.data[gi]);
        for (int gi = 0; gi < m->graphs.len; gi++) {
            Graph *g = m->graphs.data[gi];
            GInfo *info = &c.gi[g->id];
            info->fresh = true;
            if (info->escaped || !g->nparams)
                continue;
            /* containers only in derived code (the C ABI copies list
               parameters, never containers; derived graphs are not exported) */
            info->owned = xcalloc((size_t)g->nparams, 1);
            for (int k = 0; k < info->captured; k++)
                info->owned[k] = is_list(g->params[k]) || (g->derived && is_holder(g->params[k]));
        }
        while (round_once(&c))
            ;
        find_changed(&c);
        mark_length_only(&c);
        for (int gi = 0; gi < m->graphs.len; gi++) {
            Graph *g = m->graphs.data[gi];
            if (g->output)
                rewrite_graph(&c, g, st);
        }
        find_room(&c);
        for (int gi = 0; gi < m->graphs.len; gi++) {
            Graph *g = m->graphs.data[gi];
            GInfo *info = &c.gi[g->id];
            for (int k = 0; info->owned && k < g->nparams; k++)
                if (info->owned[k] && info->changed[k]) {
                    if (!g->consumed)
                        g->consumed = ARENA_ARRAY(m->arena, uint8_t, (size_t)g->nparams);
                    g->consumed[k] = 1;
                }
        }
    }
    for (uint32_t i = 0; i < ng; i++) {
        vec_free(&c.gi[i].sites);
        free(c.gi[i].owned);
        free(c.gi[i].changed);
        free(c.gi[i].room);
        vec_free(&c.body[i]);
    }
    free(c.gi);
    free(c.body);
    free(c.live);
    free(c.pos);
    free(c.reach);
    free(c.own_stamp);
    free(c.cons_stamp);
    free(c.own_val);
    free(c.cons_val);
    free(c.lenonly);
    free(c.share_seen);
    vec_free(&c.lenonly_open);
    vec_free(&c.work);
}
