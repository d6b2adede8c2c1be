/*
 * interp.c: the reference interpreter (see interp.h for what it promises).
 *
 * Expects: IR that passes ir_check (typed or not).  Guarantees: CPython's
 * answer or a runtime error message; never a crash, never C recursion over
 * calls, tuples or frames.
 *
 * Evaluation follows ir.h literally.  A Frame holds one slot per parameter
 * and per Apply of its graph's body (ir_graph_body: what the output
 * needs, directly or through closures, in order), and a pointer to
 * the frame of the graph's lexical parent.  A node owned by another graph
 * (a free variable) is read from the frame of its owner found up that
 * chain; a Constant graph K becomes a closure over the frame of K->parent
 * found the same way.  Calls run on an explicit stack of activations; a
 * call that is its graph's output replaces the current activation (a tail
 * call), so loops lowered to tail recursion run in constant space.
 *
 * Memory: precise mark-and-sweep.  Reference counting was rejected because
 * the environment model makes cycles the common case, not the exception: a
 * loop body's closure lives in a slot of the header frame it closes over
 * (switch(c, body, exit) stores it there), and that frame is the closure's
 * env.  Roots are explicit: the frames of the activation stack and the
 * pinned values handed out to the caller.  A collection runs only at the
 * top of the evaluation loop, where every live value is in a frame (no
 * Value sits in a C local), once enough bytes were allocated since the last
 * one (at least GC_MIN_BYTES and at least the live heap after the last
 * collection, so the cost is amortised and the heap stays within about
 * twice the live data).  Marking uses an explicit stack: frame chains and
 * nested tuples may be 10^6 deep.
 *
 * Observing a run (interp_set_hooks: the tracer, ir/trace.c): every
 * activation started or replaced by a tail call, every return and every
 * primitive applied is reported as it happens; with no hooks set the
 * evaluation loop tests one flag per call and return.
 */
#include "interp.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    GC_MIN_BYTES = 4 << 20,
    SMALL_CLASSES = 16,     /* objects up to 16 * 16 bytes are recycled, not freed */
    PARSE_MAX_DEPTH = 1000,
};

struct EvalCtx {
    Interp *in;
    StrBuf *err;
    const Node *node;       /* the Apply being evaluated, or NULL (constant folding) */
};

/* The per-graph evaluation plan: slots 0..nparams-1 are the parameters,
   slot nparams+k the value of sched[k]. */
typedef struct GInfo {
    Graph *g;
    Node **sched;
    int nsched, nparams, nslots;
} GInfo;

struct Frame {
    GcObj gc;
    GInfo *gi;
    Frame *parent;      /* frame of gi->g->parent (lexical), or NULL */
    int n;
    Value slots[];
};

/* An activation: a frame and the index of the next scheduled node.  While
   a callee runs, sched[pc] of the caller is the Apply waiting for it. */
typedef struct Act {
    Frame *fr;
    int pc;
} Act;

struct Interp {
    Module *m;
    GInfo **ginfo;          /* by graph id */
    uint32_t nginfo;
    int32_t *slot;          /* by node id: slot in its owner's frame, -1 if none */
    uint32_t nslot;

    GcObj *objects;
    GcObj *free_small[SMALL_CLASSES];  /* swept small objects, by size / 16 */
    size_t nobjects, bytes, peak, since_gc, threshold, ncollections;
    VEC(Value) pinned;
    VEC(GcObj *) marks;

    VEC(Act) stack;
    VEC(Value) args;
    int max_depth;

    EvalCtx cx;
    InterpHooks hooks;      /* interp_set_hooks */
    bool hooked;            /* hooks.enter is set: the only test the evaluation loop pays */
    StrBuf scratch;         /* error sink when the caller passes none */
    Loc err_loc;
};

/* ======================================================================
 * The heap
 * ====================================================================== */

/* Zeroed memory for a new object.  Small sizes come from per-size free
   lists that sweeping refills: a loop allocates and drops the same few
   shapes of frames and closures millions of times. */
static void *gc_alloc(Interp *in, GcKind kind, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    size_t cls = size / 16;
    GcObj *o;
    if (cls < SMALL_CLASSES && in->free_small[cls]) {
        o = in->free_small[cls];
        in->free_small[cls] = o->next;
        memset(o, 0, size);
    } else {
        o = xcalloc(1, size);
    }
    o->kind = (uint8_t)kind;
    o->size = size;
    o->next = in->objects;
    in->objects = o;
    in->nobjects++;
    in->bytes += size;
    in->since_gc += size;
    if (in->bytes > in->peak)
        in->peak = in->bytes;
    return o;
}

static Tuple *new_tuple(Interp *in, int n)
{
    Tuple *t = gc_alloc(in, GC_TUPLE, sizeof(Tuple) + sizeof(Value) * (size_t)n);
    t->n = n;
    return t;
}

/* A list of len V_UNSET items with room for cap.  The items buffer is
   allocated apart (so that a list being built can grow) and freed with
   the list; its bytes count in the heap statistics. */
static List *new_list(Interp *in, int64_t len, int64_t cap)
{
    if (cap < len)
        cap = len;
    List *l = gc_alloc(in, GC_LIST, sizeof(List));
    l->len = len;
    l->cap = cap;
    l->items = cap ? xcalloc((size_t)cap, sizeof(Value)) : NULL;
    size_t b = sizeof(Value) * (size_t)cap;
    in->bytes += b;
    in->since_gc += b;
    if (in->bytes > in->peak)
        in->peak = in->bytes;
    return l;
}

/* Frees what a swept object owns besides itself. */
static void free_owned(Interp *in, GcObj *o)
{
    if (o->kind == GC_LIST) {
        List *l = (List *)o;
        in->bytes -= sizeof(Value) * (size_t)l->cap;
        free(l->items);
        l->items = NULL;
    }
}

static Env *new_env(Interp *in, int n)
{
    Env *e = gc_alloc(in, GC_ENV, sizeof(Env) + (sizeof(Value) + sizeof(int64_t)) * (size_t)n);
    e->n = n;
    e->keys = (int64_t *)(e->vals + n);
    return e;
}

static Closure *new_closure(Interp *in, Graph *g, Frame *env)
{
    Closure *c = gc_alloc(in, GC_CLOSURE, sizeof(Closure));
    c->graph = g;
    c->env = env;
    return c;
}

static Frame *new_frame(Interp *in, GInfo *gi, Frame *parent)
{
    Frame *f = gc_alloc(in, GC_FRAME, sizeof(Frame) + sizeof(Value) * (size_t)gi->nslots);
    f->gi = gi;
    f->parent = parent;
    f->n = gi->nslots;
    return f;
}

static void mark_obj(Interp *in, GcObj *o)
{
    if (o && !o->mark) {
        o->mark = 1;
        vec_push(&in->marks, o);
    }
}

static void mark_value(Interp *in, const Value *v)
{
    if (v->kind == V_TUPLE)
        mark_obj(in, &v->tup->gc);
    else if (v->kind == V_CLOSURE)
        mark_obj(in, &v->clo->gc);
    else if (v->kind == V_ENV)
        mark_obj(in, &v->env->gc);
    else if (v->kind == V_LIST)
        mark_obj(in, &v->list->gc);
}

void interp_gc(Interp *in)
{
    for (int i = 0; i < in->pinned.len; i++)
        mark_value(in, &in->pinned.data[i]);
    for (int i = 0; i < in->stack.len; i++)
        mark_obj(in, &in->stack.data[i].fr->gc);
    while (in->marks.len) {
        GcObj *o = vec_pop(&in->marks);
        switch ((GcKind)o->kind) {
        case GC_TUPLE: {
            Tuple *t = (Tuple *)o;
            for (int i = 0; i < t->n; i++)
                mark_value(in, &t->items[i]);
            break;
        }
        case GC_ENV: {
            Env *e = (Env *)o;
            for (int i = 0; i < e->n; i++)
                mark_value(in, &e->vals[i]);
            break;
        }
        case GC_LIST: {
            List *l = (List *)o;
            for (int64_t i = 0; l->items && i < l->len; i++)
                mark_value(in, &l->items[i]);
            if (l->moved)
                mark_value(in, &l->shape);
            break;
        }
        case GC_CLOSURE:
            if (((Closure *)o)->env)
                mark_obj(in, &((Closure *)o)->env->gc);
            if (((Closure *)o)->bound)
                mark_obj(in, &((Closure *)o)->bound->gc);
            break;
        case GC_FRAME: {
            Frame *f = (Frame *)o;
            if (f->parent)
                mark_obj(in, &f->parent->gc);
            for (int i = 0; i < f->n; i++)
                mark_value(in, &f->slots[i]);
            break;
        }
        }
    }
    for (GcObj **pp = &in->objects; *pp;) {
        GcObj *o = *pp;
        if (o->mark) {
            o->mark = 0;
            pp = &o->next;
        } else {
            *pp = o->next;
            free_owned(in, o);
            in->bytes -= o->size;
            in->nobjects--;
            size_t cls = o->size / 16;
            if (cls < SMALL_CLASSES) {
                o->next = in->free_small[cls];
                in->free_small[cls] = o;
            } else {
                free(o);
            }
        }
    }
    in->since_gc = 0;
    in->threshold = in->bytes > GC_MIN_BYTES ? in->bytes : GC_MIN_BYTES;
    in->ncollections++;
}

static void pin(Interp *in, const Value *v)
{
    if (v->kind == V_TUPLE || v->kind == V_CLOSURE || v->kind == V_ENV || v->kind == V_LIST)
        vec_push(&in->pinned, *v);
}

void interp_release(Interp *in)
{
    in->pinned.len = 0;
}

InterpStats interp_stats(const Interp *in)
{
    InterpStats s = {in->nobjects, in->bytes, in->peak, in->ncollections};
    return s;
}

/* ======================================================================
 * Set-up
 * ====================================================================== */

Interp *interp_new(Module *m)
{
    Interp *in = xcalloc(1, sizeof *in);
    in->m = m;
    in->threshold = GC_MIN_BYTES;
    in->max_depth = INTERP_MAX_DEPTH;
    in->cx.in = in;
    in->cx.err = &in->scratch;
    return in;
}

void interp_free(Interp *in)
{
    if (!in)
        return;
    for (GcObj *o = in->objects, *next; o; o = next) {
        next = o->next;
        free_owned(in, o);
        free(o);
    }
    for (int c = 0; c < SMALL_CLASSES; c++) {
        for (GcObj *o = in->free_small[c], *next; o; o = next) {
            next = o->next;
            free(o);
        }
    }
    for (uint32_t i = 0; i < in->nginfo; i++) {
        if (in->ginfo[i]) {
            free(in->ginfo[i]->sched);
            free(in->ginfo[i]);
        }
    }
    free(in->ginfo);
    free(in->slot);
    vec_free(&in->pinned);
    vec_free(&in->marks);
    vec_free(&in->stack);
    vec_free(&in->args);
    sb_free(&in->scratch);
    free(in);
}

void interp_set_max_depth(Interp *in, int depth)
{
    in->max_depth = depth > 0 ? depth : 1;
}

void interp_set_hooks(Interp *in, const InterpHooks *hooks)
{
    in->hooks = hooks ? *hooks : (InterpHooks){0};
    in->hooked = hooks && hooks->enter && hooks->leave;
}

Value interp_closure_param(const Closure *c, int up, int i)
{
    Frame *f = c->env;
    while (f && up-- > 0)
        f = f->parent;
    Value v = {.kind = V_UNSET};
    if (f && i >= 0 && i < f->gi->nparams)
        v = f->slots[i];
    return v;
}

Loc interp_error_loc(const Interp *in)
{
    return in->err_loc;
}

static void grow_tables(Interp *in)
{
    Module *m = in->m;
    if (m->ngraph_ids > in->nginfo) {
        in->ginfo = xrealloc(in->ginfo, sizeof(GInfo *) * m->ngraph_ids);
        memset(in->ginfo + in->nginfo, 0, sizeof(GInfo *) * (m->ngraph_ids - in->nginfo));
        in->nginfo = m->ngraph_ids;
    }
    if (m->nnodes > in->nslot) {
        in->slot = xrealloc(in->slot, sizeof(int32_t) * m->nnodes);
        for (uint32_t i = in->nslot; i < m->nnodes; i++)
            in->slot[i] = -1;
        in->nslot = m->nnodes;
    }
}

static GInfo *ginfo_get(Interp *in, Graph *g)
{
    if (g->id >= in->nginfo)
        grow_tables(in);
    if (in->ginfo[g->id])
        return in->ginfo[g->id];
    NodeVec v = {0};
    ir_graph_body(g, &v);
    GInfo *gi = xcalloc(1, sizeof *gi);
    gi->g = g;
    gi->sched = v.data;
    gi->nsched = v.len;
    gi->nparams = g->nparams;
    gi->nslots = g->nparams + v.len;
    for (int i = 0; i < g->nparams; i++)
        in->slot[g->params[i]->id] = i;
    for (int k = 0; k < v.len; k++)
        in->slot[v.data[k]->id] = g->nparams + k;
    in->ginfo[g->id] = gi;
    return gi;
}

/* ======================================================================
 * Errors
 * ====================================================================== */

int eval_raise(EvalCtx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(cx->err, fmt, ap);
    va_end(ap);
    return 3;
}

Tuple *eval_new_tuple(EvalCtx *cx, int n)
{
    return new_tuple(cx->in, n);
}

Env *eval_new_env(EvalCtx *cx, int n)
{
    return new_env(cx->in, n);
}

List *eval_new_list(EvalCtx *cx, int64_t len, int64_t cap)
{
    return new_list(cx->in, len, cap);
}

void eval_list_push(EvalCtx *cx, List *l, Value v)
{
    if (l->len == l->cap) {
        int64_t cap = l->cap ? l->cap * 2 : 4;
        l->items = xrealloc(l->items, sizeof(Value) * (size_t)cap);
        size_t b = sizeof(Value) * (size_t)(cap - l->cap);
        cx->in->bytes += b;
        cx->in->since_gc += b;
        if (cx->in->bytes > cx->in->peak)
            cx->in->peak = cx->in->bytes;
        l->cap = cap;
    }
    l->items[l->len++] = v;
}

const Node *eval_node(const EvalCtx *cx)
{
    return cx->node;
}

/*
 * rebind(x, key0, j0, ...): J or Jfwd of function value x after
 * specialisation: x is the function key_k names (ir_fn_key), and the result the
 * closure of the j_k-th function of this node's type over x's frame.
 */
/* After closure conversion: the transform's free variables are among the
   original's (same variables, found by param.captured). */
static int rebind_bound(Interp *in, const Value *x, Closure *c)
{
    Graph *g = c->graph, *from = x->kind == V_CLOSURE ? x->clo->graph : NULL;
    const Tuple *src = x->kind == V_CLOSURE ? x->clo->bound : NULL;
    Tuple *t = new_tuple(in, g->nfree);
    for (int j = 0; j < g->nfree; j++) {
        const Node *var = g->params[g->nparams - g->nfree + j]->param.captured;
        int k = from && src ? from->nfree - 1 : -1;
        while (k >= 0 && from->params[from->nparams - from->nfree + k]->param.captured != var)
            k--;
        if (k < 0)
            return eval_raise(&in->cx, "internal error: @%s captures a variable @%s does not", g->name,
                              from ? from->name : "?");
        t->items[j] = src->items[k];
    }
    c->bound = t;
    return 0;
}

static int eval_rebind(Interp *in, const Node *n, const Value *argv, int nargs, Value *out)
{
    const Type *xt = n->app.in[1]->type, *rt = n->type;
    const Value *x = &argv[0];
    for (int k = 1; k + 1 < nargs; k += 2) {
        int64_t ix = ir_fn_index_of_key(xt, argv[k].i), jx = argv[k + 1].i;
        if (!rt || rt->kind != T_FUNC || jx >= rt->n)
            break;
        if (ix < 0)
            continue;
        const FnRef *f = &xt->fns[ix];
        bool match = x->kind == V_CLOSURE ? f->graph == x->clo->graph : x->kind == V_PRIM && !f->graph && f->prim == x->prim;
        if (!match)
            continue;
        Graph *g = rt->fns[jx].graph;
        out->kind = V_CLOSURE;
        out->clo = new_closure(in, g, x->kind == V_CLOSURE ? x->clo->env : NULL);
        if (g->nfree)
            return rebind_bound(in, x, out->clo);
        return 0;
    }
    return eval_raise(&in->cx, "internal error: no transform for this function value");
}

/* make_closure(G, v1..vk): G's closure binding its last k parameters. */
static int eval_make_closure(Interp *in, const Value *argv, int nargs, Value *out)
{
    if (nargs < 1 || argv[0].kind != V_CLOSURE || argv[0].clo->graph->nfree != nargs - 1)
        return eval_raise(&in->cx, "internal error: make_closure of a non-graph or with the wrong arity");
    Tuple *t = new_tuple(in, nargs - 1);
    for (int i = 1; i < nargs; i++)
        t->items[i - 1] = argv[i];
    Closure *c = new_closure(in, argv[0].clo->graph, NULL);
    c->bound = t;
    out->kind = V_CLOSURE;
    out->clo = c;
    return 0;
}

static const char *graph_label(const Graph *g)
{
    if (g->kind == G_FUNCTION && g->src_name)
        return g->src_name;
    return g->name;
}

static const char *node_label(const Node *x)
{
    return x->name ? x->name : "<unnamed>";
}

/* ======================================================================
 * Evaluation
 * ====================================================================== */

/* The frame of graph g on the chain starting at f, or NULL. */
static Frame *frame_of(Frame *f, const Graph *g)
{
    while (f && f->gi->g != g)
        f = f->parent;
    return f;
}

static int read_node(Interp *in, Frame *fr, Node *x, Value *out)
{
    if (x->kind == N_CONST) {
        switch (x->k.kind) {
        case K_INT: *out = value_int(x->k.u.i); return 0;
        case K_FLOAT: *out = value_float(x->k.u.f); return 0;
        case K_BOOL: *out = value_bool(x->k.u.b); return 0;
        case K_PRIM: *out = value_prim((int)x->k.u.prim); return 0;
        case K_GRAPH: {
            Graph *k = x->k.u.graph;
            Frame *env = NULL;
            if (k->parent) {
                env = frame_of(fr, k->parent);
                if (!env)
                    return eval_raise(&in->cx, "closure of @%s needs a frame of @%s, which is not active",
                                      k->name, k->parent->name);
            }
            out->kind = V_CLOSURE;
            out->clo = new_closure(in, k, env);
            return 0;
        }
        }
        return eval_raise(&in->cx, "invalid constant");
    }
    Frame *e = frame_of(fr, x->graph);
    if (!e)
        return eval_raise(&in->cx, "free variable '%s' of @%s is not in scope", node_label(x),
                          x->graph ? x->graph->name : "?");
    int32_t s = x->id < in->nslot ? in->slot[x->id] : -1;
    if (s < 0 || s >= e->n || e->slots[s].kind == V_UNSET)
        return eval_raise(&in->cx, "value '%s' of @%s used before it is computed", node_label(x),
                          x->graph->name);
    *out = e->slots[s];
    return 0;
}

static int eval_prim(Interp *in, int p, const Value *args, int nargs, Value *out)
{
    if (p < 0 || p >= P__COUNT)
        return eval_raise(&in->cx, "invalid primitive %d", p);
    const PrimInfo *pi = &prim_table[p];
    if (pi->arity >= 0 && nargs != pi->arity)
        return eval_raise(&in->cx, "%s() takes exactly %d argument%s (%d given)", pi->name, pi->arity,
                          pi->arity == 1 ? "" : "s", nargs);
    return pi->eval(&in->cx, pi, args, nargs, out);
}

/* A new frame for calling closure c with args (copied into it). */
static int enter(Interp *in, const Closure *c, const Value *args, int nargs, Frame **out)
{
    Graph *g = c->graph;
    GInfo *gi = ginfo_get(in, g);
    int nbound = c->bound ? c->bound->n : 0;
    if (nargs + nbound != gi->nparams)
        return eval_raise(&in->cx, "%s() takes %d positional argument%s but %d %s given", graph_label(g),
                          gi->nparams - nbound, gi->nparams - nbound == 1 ? "" : "s", nargs,
                          nargs == 1 ? "was" : "were");
    if (!g->output)
        return eval_raise(&in->cx, "@%s has no output", g->name);
    if (g->parent && c->env && c->env->gi->g != g->parent)
        return eval_raise(&in->cx, "closure of @%s over a frame of the wrong graph", g->name);
    Frame *f = new_frame(in, gi, c->env);
    for (int i = 0; i < nargs; i++)
        f->slots[i] = args[i];
    for (int i = 0; i < nbound; i++)
        f->slots[nargs + i] = c->bound->items[i];
    *out = f;
    return 0;
}

/* Runs the activations above `base` until the one at `base` returns. */
static int run(Interp *in, int base, Value *result)
{
    for (;;) {
        if (in->since_gc >= in->threshold)
            interp_gc(in);
        Act *a = &in->stack.data[in->stack.len - 1];
        Frame *fr = a->fr;
        GInfo *gi = fr->gi;
        if (a->pc >= gi->nsched) {
            Value r;
            if (read_node(in, fr, gi->g->output, &r))
                return 3;
            if (in->hooked)
                in->hooks.leave(in->hooks.user, &r);
            in->stack.len--;
            if (in->stack.len == base) {
                *result = r;
                return 0;
            }
            Act *c = &in->stack.data[in->stack.len - 1];
            c->fr->slots[c->fr->gi->nparams + c->pc] = r;
            c->pc++;
            continue;
        }
        Node *n = gi->sched[a->pc];
        in->err_loc = n->loc;
        in->cx.node = n;
        if (n->app.n < 1)
            return eval_raise(&in->cx, "apply without a callee");
        in->args.len = 0;
        for (int i = 0; i < n->app.n; i++) {
            Value v;
            if (read_node(in, fr, n->app.in[i], &v))
                return 3;
            vec_push(&in->args, v);
        }
        Value fn = in->args.data[0];
        const Value *argv = in->args.data + 1;
        int nargs = n->app.n - 1;
        if (fn.kind == V_PRIM && fn.prim == P_REBIND) {
            if (eval_rebind(in, n, argv, nargs, &fr->slots[gi->nparams + a->pc]))
                return 3;
            a->pc++;
        } else if (fn.kind == V_PRIM && fn.prim == P_MAKE_CLOSURE) {
            if (eval_make_closure(in, argv, nargs, &fr->slots[gi->nparams + a->pc]))
                return 3;
            a->pc++;
        } else if (fn.kind == V_PRIM) {
            if (eval_prim(in, fn.prim, argv, nargs, &fr->slots[gi->nparams + a->pc]))
                return 3;
            if (in->hooked && in->hooks.prim)
                in->hooks.prim(in->hooks.user, n, fn.prim, argv, nargs, &fr->slots[gi->nparams + a->pc]);
            a->pc++;
        } else if (fn.kind == V_CLOSURE) {
            Frame *nf;
            if (enter(in, fn.clo, argv, nargs, &nf))
                return 3;
            if (in->hooked)
                in->hooks.enter(in->hooks.user, fn.clo, argv, nargs, n, n == gi->g->output);
            if (n == gi->g->output) {       /* tail call: replace this activation */
                a->fr = nf;
                a->pc = 0;
            } else {
                if (in->stack.len - base >= in->max_depth)
                    return eval_raise(&in->cx, "maximum recursion depth exceeded");
                Act na = {nf, 0};
                vec_push(&in->stack, na);
            }
        } else {
            return eval_raise(&in->cx, "'%s' object is not callable", value_type_name(&fn));
        }
    }
}

static void set_err(Interp *in, StrBuf *err)
{
    in->cx.err = err ? err : &in->scratch;
    in->cx.node = NULL;
    grow_tables(in);
}

static int start(Interp *in, const Closure *c, const Value *args, int nargs, Value *result)
{
    int base = in->stack.len;
    Frame *f;
    if (enter(in, c, args, nargs, &f))
        return 3;
    if (in->hooked)
        in->hooks.enter(in->hooks.user, c, args, nargs, NULL, false);
    Act a = {f, 0};
    vec_push(&in->stack, a);
    int rc = run(in, base, result);
    in->stack.len = base;
    if (rc == 0)
        pin(in, result);
    return rc;
}

int interp_call(Interp *in, Graph *g, const Value *args, int nargs, Value *result, StrBuf *err)
{
    set_err(in, err);
    in->err_loc = g->loc;
    Closure c = {.graph = g, .env = NULL};  /* not on the heap: enter() only reads it */
    return start(in, &c, args, nargs, result);
}

int interp_apply(Interp *in, const Value *fn, const Value *args, int nargs, Value *result, StrBuf *err)
{
    set_err(in, err);
    if (fn->kind == V_PRIM)
        return interp_eval_prim(in, (PrimId)fn->prim, args, nargs, result, err);
    if (fn->kind != V_CLOSURE)
        return eval_raise(&in->cx, "'%s' object is not callable", value_type_name(fn));
    in->err_loc = fn->clo->graph->loc;
    return start(in, fn->clo, args, nargs, result);
}

int interp_eval_prim(Interp *in, PrimId p, const Value *args, int nargs, Value *out, StrBuf *err)
{
    set_err(in, err);
    if (eval_prim(in, (int)p, args, nargs, out))
        return 3;
    pin(in, out);
    return 0;
}

/* ======================================================================
 * Values: repr, types, parsing, coercion
 * ====================================================================== */

const char *value_type_name(const Value *v)
{
    switch (v->kind) {
    case V_UNSET: return "unset";
    case V_BOOL: return "bool";
    case V_INT: return "int";
    case V_FLOAT: return "float";
    case V_TUPLE: return "tuple";
    case V_CLOSURE: return "function";
    case V_PRIM: return "builtin_function_or_method";
    case V_ZERO: return "zero";
    case V_ENV: return "env";
    case V_LIST: return "list";
    }
    return "?";
}

static void repr_scalar(const Value *v, StrBuf *out)
{
    switch (v->kind) {
    case V_UNSET: sb_puts(out, "<unset>"); break;
    case V_BOOL: sb_puts(out, v->b ? "True" : "False"); break;
    case V_INT: sb_printf(out, "%lld", (long long)v->i); break;
    case V_FLOAT: fmt_float_repr(out, v->f); break;
    case V_CLOSURE: sb_printf(out, "<function %s>", graph_label(v->clo->graph)); break;
    case V_PRIM:
        if (v->prim >= 0 && v->prim < P__COUNT)
            sb_printf(out, "<built-in function %s>", prim_table[v->prim].name);
        else
            sb_puts(out, "<built-in function ?>");
        break;
    case V_ZERO: sb_puts(out, "<zero>"); break;
    case V_ENV: sb_printf(out, "<env of %d>", v->env->n); break;
    case V_TUPLE: case V_LIST: break;    /* handled by value_repr */
    }
}

/* Iterative: tuples built by a loop may nest arbitrarily deep. */
void value_repr(const Value *v, StrBuf *out)
{
    typedef struct { const Value *items; int64_t n, i; bool list; } RFrame;
    VEC(RFrame) st = {0};
    const Value *cur = v;
    while (cur) {
        bool list = cur->kind == V_LIST;
        int64_t n = list ? cur->list->len : cur->kind == V_TUPLE ? cur->tup->n : 0;
        if ((list || cur->kind == V_TUPLE) && n > 0) {
            sb_putc(out, list ? '[' : '(');
            RFrame f = {list ? cur->list->items : cur->tup->items, n, 0, list};
            vec_push(&st, f);
            cur = &f.items[0];
            continue;
        }
        if (list)
            sb_puts(out, "[]");
        else if (cur->kind == V_TUPLE)
            sb_puts(out, "()");
        else
            repr_scalar(cur, out);
        cur = NULL;
        while (st.len && !cur) {
            RFrame *f = &st.data[st.len - 1];
            if (++f->i < f->n) {
                sb_puts(out, ", ");
                cur = &f->items[f->i];
            } else {
                sb_puts(out, f->list ? "]" : f->n == 1 ? ",)" : ")");
                st.len--;
            }
        }
    }
    vec_free(&st);
}

/* The type both a and b convert to (bool < int < float; tuples and lists
   elementwise; list[?] joins any list), or NULL if there is none. */
static Type *value_type_join(TypeTable *tt, Type *a, Type *b)
{
    if (!a || !b)
        return NULL;
    if (a == b)
        return a;
    if (type_is_scalar(a) && type_is_scalar(b))
        return a->kind > b->kind ? a : b;
    if (a->kind == T_TUPLE && b->kind == T_TUPLE && a->n == b->n) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(a->n ? a->n : 1));
        Type *t = NULL;
        int i = 0;
        for (; i < a->n && (el[i] = value_type_join(tt, a->elems[i], b->elems[i])); i++)
            ;
        if (i == a->n)
            t = type_tuple(tt, el, a->n);
        free(el);
        return t;
    }
    if (a->kind == T_LIST && b->kind == T_LIST) {
        if (!a->n || !b->n)
            return a->n ? a : b;
        Type *e = value_type_join(tt, a->elems[0], b->elems[0]);
        return e ? type_list(tt, e) : NULL;
    }
    return NULL;
}

Type *interp_value_type(TypeTable *tt, const Value *v)
{
    switch (v->kind) {
    case V_BOOL: return type_bool(tt);
    case V_INT: return type_int(tt);
    case V_FLOAT: return type_float(tt);
    case V_TUPLE: {
        int n = v->tup->n;
        Type **el = xmalloc(sizeof(Type *) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++)
            el[i] = interp_value_type(tt, &v->tup->items[i]);
        Type *t = type_tuple(tt, el, n);
        free(el);
        return t;
    }
    case V_CLOSURE: {
        FnRef r = {v->clo->graph, -1, NULL, NULL};
        return type_func(tt, &r, 1);
    }
    case V_PRIM: {
        FnRef r = {NULL, v->prim, NULL, NULL};
        return type_func(tt, &r, 1);
    }
    case V_ZERO: return type_zero(tt);
    case V_ENV: return type_env(tt);
    case V_LIST: {
        /* the join of the elements' types; NULL when they have none */
        const List *l = v->list;
        Type *e = l->len ? interp_value_type(tt, &l->items[0]) : NULL;
        for (int64_t i = 1; e && i < l->len; i++)
            e = value_type_join(tt, e, interp_value_type(tt, &l->items[i]));
        return l->len && !e ? NULL : type_list(tt, e);
    }
    case V_UNSET: break;
    }
    return NULL;
}

/* Whether coercion left item x as it was (its kind and payload; not the
   struct's padding, which a bool or int leaves uninitialised). */
static bool same_value(const Value *x, const Value *y)
{
    if (x->kind != y->kind)
        return false;
    switch (x->kind) {
    case V_BOOL: return x->b == y->b;
    case V_INT: return x->i == y->i;
    case V_FLOAT: return memcmp(&x->f, &y->f, sizeof x->f) == 0;
    case V_PRIM: return x->prim == y->prim;
    case V_TUPLE: return x->tup == y->tup;
    case V_CLOSURE: return x->clo == y->clo;
    case V_ENV: return x->env == y->env;
    case V_LIST: return x->list == y->list;
    default: return true;               /* no payload */
    }
}

static int coerce_rec(Interp *in, Value *v, const Type *t)
{
    if (!t)
        return 0;
    switch (t->kind) {
    case T_BOOL:
        return v->kind == V_BOOL ? 0 : -1;
    case T_INT:
        if (v->kind == V_BOOL)
            *v = value_int(v->b);
        return v->kind == V_INT ? 0 : -1;
    case T_FLOAT:
        if (v->kind == V_BOOL)
            *v = value_float(v->b);
        else if (v->kind == V_INT)
            *v = value_float((double)v->i);
        return v->kind == V_FLOAT ? 0 : -1;
    case T_FUNC:
        return v->kind == V_CLOSURE || v->kind == V_PRIM ? 0 : -1;
    case T_ZERO:
        return v->kind == V_ZERO ? 0 : -1;
    case T_ENV:
        return v->kind == V_ENV ? 0 : -1;
    case T_TUPLE: {
        if (v->kind != V_TUPLE || v->tup->n != t->n)
            return -1;
        Tuple *src = v->tup, *dst = NULL;
        for (int i = 0; i < t->n; i++) {
            Value e = src->items[i];
            if (coerce_rec(in, &e, t->elems[i]))
                return -1;
            bool same = same_value(&e, &src->items[i]);
            if (!same && !dst) {
                dst = new_tuple(in, src->n);
                memcpy(dst->items, src->items, sizeof(Value) * (size_t)src->n);
            }
            if (dst)
                dst->items[i] = e;
        }
        if (dst)
            *v = value_tuple(dst);
        return 0;
    }
    case T_LIST: {
        if (v->kind != V_LIST)
            return -1;
        List *src = v->list, *dst = NULL;
        if (!t->n)              /* list[?]: only the empty list */
            return src->len ? -1 : 0;
        for (int64_t i = 0; i < src->len; i++) {
            Value e = src->items[i];
            if (coerce_rec(in, &e, t->elems[0]))
                return -1;
            bool same = same_value(&e, &src->items[i]);
            if (!same && !dst) {
                dst = new_list(in, src->len, src->len);
                memcpy(dst->items, src->items, sizeof(Value) * (size_t)src->len);
            }
            if (dst)
                dst->items[i] = e;
        }
        if (dst)
            *v = value_list(dst);
        return 0;
    }
    }
    return -1;
}

int eval_coerce(EvalCtx *cx, Value *v, const Type *t)
{
    return coerce_rec(cx->in, v, t);
}

int interp_coerce(Interp *in, Value *v, Type *t)
{
    if (coerce_rec(in, v, t))
        return -1;
    pin(in, v);
    return 0;
}

typedef struct PState {
    Interp *in;
    const char *text, *s;
    StrBuf *err;
} PState;

static int parse_fail(PState *p, const char *why)
{
    sb_printf(p->err, "invalid value '%s': %s", p->text, why);
    return -1;
}

static void skip_ws(PState *p)
{
    while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
        p->s++;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != b[i])
            return false;
    }
    return true;
}

/* The value of digits q..end in base 16, 8 or 2 (an underscore may come
   before any digit, as in the language's 0x_ff).  Returns 0, 1 if one is
   not a digit of the base, 2 if [+-] the value is outside 64 bits. */
static int radix_int(const char *q, const char *end, int base, bool neg, int64_t *v)
{
    bool big = false;
    uint64_t u = 0;
    int digits = 0;
    for (const char *c = q; c < end; c++) {
        if (*c == '_' && c + 1 < end && c[1] != '_')
            continue;
        int d = is_digit(*c) ? *c - '0' : (*c | 0x20) >= 'a' && (*c | 0x20) <= 'f' ? (*c | 0x20) - 'a' + 10 : 99;
        if (d >= base)
            return 1;
        big |= u > (UINT64_MAX - (uint64_t)d) / (uint64_t)base;
        u = u * (uint64_t)base + (uint64_t)d;
        digits++;
    }
    if (!digits)
        return 1;
    if (big || u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return 2;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* A number as the language writes it (§1): [+-] digits [. digits]
   [e [+-] digits], or an int 0x.. / 0o.. / 0b.., underscores allowed
   between digits, no leading zero on a nonzero decimal int; or [+-] nan /
   inf / infinity. */
static int parse_scalar(PState *p, Value *out)
{
    const char *tok = p->s;
    while (*p->s && !strchr(" \t\r\n,()[]", *p->s))
        p->s++;
    size_t n = (size_t)(p->s - tok);
    if (n == 0)
        return parse_fail(p, "expected a value");
    if (n == 4 && strncmp(tok, "True", 4) == 0) {
        *out = value_bool(true);
        return 0;
    }
    if (n == 5 && strncmp(tok, "False", 5) == 0) {
        *out = value_bool(false);
        return 0;
    }
    const char *q = tok, *end = tok + n;
    bool neg = false;
    if (*q == '+' || *q == '-')
        neg = *q++ == '-';
    size_t rest = (size_t)(end - q);
    if (ieq(q, rest, "nan")) {
        *out = value_float(neg ? -NAN : NAN);
        return 0;
    }
    if (ieq(q, rest, "inf") || ieq(q, rest, "infinity")) {
        *out = value_float(neg ? -INFINITY : INFINITY);
        return 0;
    }
    if (rest > 2 && q[0] == '0' && strchr("xXoObB", q[1])) {
        int base = (q[1] | 0x20) == 'x' ? 16 : (q[1] | 0x20) == 'o' ? 8 : 2;
        int64_t v;
        int bad = radix_int(q + 2, end, base, neg, &v);
        if (bad)
            return parse_fail(p, bad == 2 ? "integer out of the 64-bit range"
                                          : "expected a number, True, False, a tuple or a list");
        *out = value_int(v);
        return 0;
    }
    char *buf = xmalloc(n + 1);
    size_t k = 0;
    int digits = 0;
    bool is_float = false, bad = false;
    if (neg)
        buf[k++] = '-';
    for (const char *c = q; c < end && !bad; c++) {
        if (is_digit(*c)) {
            digits++;
            buf[k++] = *c;
        } else if (*c == '_') {
            bad = !(c > q && is_digit(c[-1]) && c + 1 < end && is_digit(c[1]));
        } else if (*c == '.' && !is_float) {
            is_float = true;
            buf[k++] = *c;
        } else if ((*c == 'e' || *c == 'E') && digits) {
            is_float = true;
            buf[k++] = 'e';
            if (c + 1 < end && (c[1] == '+' || c[1] == '-'))
                buf[k++] = *++c;
            if (!(c + 1 < end && is_digit(c[1])))
                bad = true;
            for (c++; c < end && !bad; c++) {
                if (is_digit(*c))
                    buf[k++] = *c;
                else if (!(*c == '_' && is_digit(c[-1]) && c + 1 < end && is_digit(c[1])))
                    bad = true;
            }
            break;
        } else {
            bad = true;
        }
    }
    buf[k] = 0;
    int rc = 0;
    if (bad || !digits) {
        rc = parse_fail(p, "expected a number, True, False, a tuple or a list");
    } else if (is_float) {
        *out = value_float(strtod(buf, NULL));
    } else if (buf[neg] == '0' && strspn(buf + neg, "0") != strlen(buf + neg)) {
        rc = parse_fail(p, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for "
                           "octal integers");
    } else {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno == ERANGE)
            rc = parse_fail(p, "integer out of the 64-bit range");
        else
            *out = value_int(v);
    }
    free(buf);
    return rc;
}

static int parse_val(PState *p, Value *out, int depth)
{
    skip_ws(p);
    if (*p->s != '(' && *p->s != '[')
        return parse_scalar(p, out);
    if (depth >= PARSE_MAX_DEPTH)
        return parse_fail(p, "tuples and lists nested too deeply");
    char close = *p->s == '(' ? ')' : ']';
    p->s++;
    VEC(Value) el = {0};
    bool comma = false;
    int rc = 0;
    skip_ws(p);
    while (*p->s != close) {
        Value v;
        if ((rc = parse_val(p, &v, depth + 1)))
            break;
        vec_push(&el, v);
        skip_ws(p);
        if (*p->s == ',') {
            p->s++;
            comma = true;
            skip_ws(p);
        } else if (*p->s != close) {
            rc = parse_fail(p, close == ')' ? "expected ',' or ')'" : "expected ',' or ']'");
            break;
        }
    }
    if (rc == 0) {
        p->s++;
        if (close == ']') {
            List *l = new_list(p->in, el.len, el.len);
            for (int i = 0; i < el.len; i++)
                l->items[i] = el.data[i];
            *out = value_list(l);
            if (!interp_value_type(p->in->m->types, out))
                rc = parse_fail(p, "the elements of a list must have one type (numbers, or tuples or lists of one shape)");
        } else if (el.len == 1 && !comma) {
            *out = el.data[0];      /* (x) is x, as in Python */
        } else {
            Tuple *t = new_tuple(p->in, el.len);
            for (int i = 0; i < el.len; i++)
                t->items[i] = el.data[i];
            *out = value_tuple(t);
        }
    }
    vec_free(&el);
    return rc;
}

int interp_parse_value(Interp *in, const char *text, Value *out, StrBuf *err)
{
    StrBuf dummy = {0};
    PState p = {in, text, text, err ? err : &dummy};
    Value v;
    int rc = parse_val(&p, &v, 0);
    if (rc == 0) {
        skip_ws(&p);
        if (*p.s)
            rc = parse_fail(&p, "unexpected text after the value");
    }
    sb_free(&dummy);
    if (rc)
        return -1;
    *out = v;
    pin(in, out);
    return 0;
}
