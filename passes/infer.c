/*
 * infer.c: type inference by abstract interpretation, to the fixpoint
 * specialise.c builds the specialised module from.
 *
 * Assumes: the untyped module lowering builds (see infer.h).
 * Guarantees: errors reported for the entries that have them (the
 * instances reachable from them), the others kept or, when they cannot be
 * exported, dropped; and, when there are none, the fixpoint specialise.c
 * assumes (infer_impl.h): every instance reachable from the kept entries
 * typed, with the instance each of its calls reaches, every function value
 * that reaches calls called at one signature, and the graphs the
 * differentiation transforms made on the way typed with the rest.  Then
 * infer_module's result is specialise.c's (infer.h).
 *
 * The unit of specialisation is an *instance*: a source function (a def or
 * lambda, or a top-level constant) typed for one tuple of argument types
 * and one enclosing instance (the context its free variables were typed
 * in).  The blocks and branches of a function (lowering's join points and
 * switch closures) are typed once per instance: a block parameter's type
 * is the join of the arguments of every jump to it, which is how "a
 * variable that is an int on one path and a float on another is a float"
 * comes about.
 *
 * Return types live in slots, merged with union-find: every graph of an
 * instance has one; the graphs that may be called at one call site share
 * theirs (switch(c, A, B)() makes A and B return the same type), and a
 * graph whose output is a jump into a block shares the block's slot, so a
 * whole function's tail-call chain has one return type and conversions
 * are only needed where a value is returned.
 *
 * The engine is a plain worklist of instances.  Processing an instance
 * re-types all its graphs until nothing changes; a slot that grows
 * re-queues its readers (the instances whose calls read it), and an
 * instance whose types grew re-queues the instances nested in it, however
 * deep (a closure may read any enclosing instance's values).  Types
 * only grow (bottom < int < float, tuples elementwise, function sets by
 * union, anything clashing < TY_ERR), so it terminates, bounded by the
 * specialisation and tuple-depth limits.  Errors are recorded per
 * instance and reported at the end for the instances reachable from the
 * entries, so a function that merely cannot be exported (an unannotated
 * parameter used as a function) can be dropped without a message.  A
 * rule's error on an operand that may still grow into one the rule takes
 * (a symbolic zero, a list[?]) is recorded only once the fixpoint shows it
 * stands (apply_rule, settle).
 *
 * infer_module may run the engine again, from scratch: when the
 * differentiation transforms made graphs while it ran, to type them
 * (run_expanding); when a fixpoint shows it must tell more apart -- values
 * of a function that reach calls of different signatures are then told
 * apart by origin (by_site), the functions making such values by call site
 * (by_caller) (run_values_apart); and once export entries are found
 * unexportable, without them, so that their instances cannot share return
 * types with what is kept (run_kept_entries).
 */
#include "infer_impl.h"
#include "../src/util/timer.h"

#include <string.h>

Type infer_error_type = {.kind = T_FUNC, .id = UINT32_MAX};

/*
 * The type of an exported function's unannotated parameter: a float, as the
 * C ABI says, but marked, so that a shape error on it (calling it,
 * indexing it) shows the function cannot have that signature, rather than
 * that the program is wrong: `def apply(g, x): return g(x)` is simply not
 * exported.  Anything computed from it is a plain float; a join with a
 * plain float is a plain float; specialisation never sees it.
 */
/* One mark per parameter (parameters past the last share it), so that a
   clash can tell which parameter it is about (excusable_clash). */
enum { DEFAULT_FLOAT_MARKS = 16 };
static Type default_float_types[DEFAULT_FLOAT_MARKS] = {
#define MARK(i) {.kind = T_FLOAT, .id = UINT32_MAX - 1 - (i)}
    MARK(0), MARK(1), MARK(2), MARK(3), MARK(4), MARK(5), MARK(6), MARK(7),
    MARK(8), MARK(9), MARK(10), MARK(11), MARK(12), MARK(13), MARK(14), MARK(15),
#undef MARK
};

static Type *default_float_of_param(int i)
{
    return &default_float_types[i < DEFAULT_FLOAT_MARKS ? i : DEFAULT_FLOAT_MARKS - 1];
}

bool infer_is_default_float(const Type *t)
{
    return t >= default_float_types && t < default_float_types + DEFAULT_FLOAT_MARKS;
}

/* Whether t is, or holds in a tuple or list, the marked float `mark` (any
   mark when NULL). */
static bool has_default_float(const Type *t, const Type *mark)
{
    if (infer_is_default_float(t))
        return !mark || t == mark;
    for (int i = 0; t && t != TY_ERR && (t->kind == T_TUPLE || t->kind == T_LIST) && i < t->n; i++)
        if (has_default_float(t->elems[i], mark))
            return true;
    return false;
}

/* A clash of types at a join that an exported parameter's marked float
   explains: one side is that parameter's float itself and the other does
   not involve it (`p = (2.0,)` with p a parameter: p was meant to be a
   tuple; `return t if k > 0.0 else (k, k)`: t was). */
static bool excusable_clash(const Type *a, const Type *b)
{
    return (infer_is_default_float(a) && !has_default_float(b, a)) ||
           (infer_is_default_float(b) && !has_default_float(a, b));
}


TypeTable *infer_types(TypeCtx *tc) { return tc->tt; }

const char *infer_type_name(TypeCtx *tc, Type *t)
{
    if (t == TY_ERR)
        return "<error>";
    if (t && t->kind == T_FUNC)
        return "function";
    return type_name(tc->arena, t);
}

InstError *infer_record_copy(ErrVec *list, const InstError *e)
{
    for (int i = 0; i < list->len; i++)
        if (list->data[i].loc.line == e->loc.line && list->data[i].loc.col == e->loc.col &&
            strcmp(list->data[i].msg, e->msg) == 0) {
            list->data[i].shape &= e->shape;   /* once a real error, always one */
            return NULL;
        }
    InstError c = *e;
    c.msg = xstrdup(e->msg);
    for (int k = 0; k < c.nnotes; k++)
        c.note[k] = xstrdup(e->note[k]);
    vec_push(list, c);
    return &list->data[list->len - 1];
}

void infer_record_error(ErrVec *list, Loc loc, bool shape, const char *msg)
{
    InstError e = {.loc = loc, .msg = (char *)msg, .shape = shape, .param = -1, .as = MISUSE_OTHER};
    infer_record_copy(list, &e);
}

/* The parameter a marked float stands for (-1: one of those past the
   last mark, which share it). */
static int param_of_mark(const Type *t)
{
    int i = (int)(t - default_float_types);
    return i < DEFAULT_FLOAT_MARKS - 1 ? i : -1;
}

/* A clash that excusable_clash excuses, as a misuse of the parameter
   whose marked float is on one side (*e's shape, param and as). */
static void clash_misuse(const Type *a, const Type *b, InstError *e)
{
    e->shape = excusable_clash(a, b);
    e->param = -1;
    e->as = MISUSE_OTHER;
    if (!e->shape)
        return;
    const Type *mark = infer_is_default_float(a) ? a : b, *other = mark == a ? b : a;
    e->param = param_of_mark(mark);
    e->as = !other ? MISUSE_OTHER
            : other->kind == T_TUPLE ? MISUSE_TUPLE
            : other->kind == T_FUNC ? MISUSE_FUNCTION
            : other->kind == T_LIST ? MISUSE_LIST
                                    : MISUSE_OTHER;
}

/* "a float", "a tuple", ...: what a clash note says a variable is assigned. */
static const char *type_with_article(const Type *t)
{
    switch (t->kind) {
    case T_FLOAT: return "a float";
    case T_INT: return "an int";
    case T_BOOL: return "a bool";
    case T_TUPLE: return "a tuple";
    case T_FUNC: return "a function";
    case T_LIST: return "a list";
    default: return "a value";
    }
}

Type *infer_error(TypeCtx *tc, Loc loc, bool shape, const char *fmt, ...)
{
    StrBuf sb = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    infer_record_error(tc->cur ? &tc->cur->errors : &tc->entry_errors, loc, shape, sb_cstr(&sb));
    sb_free(&sb);
    return TY_ERR;
}

Type *infer_misuse(TypeCtx *tc, Loc loc, const Type *t, InferMisuse as, const char *fmt, ...)
{
    StrBuf sb = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    bool shape = infer_is_default_float(t);
    InstError e = {.loc = loc, .msg = (char *)sb_cstr(&sb), .shape = shape, .param = shape ? param_of_mark(t) : -1, .as = as};
    infer_record_copy(tc->cur ? &tc->cur->errors : &tc->entry_errors, &e);
    sb_free(&sb);
    return TY_ERR;
}

static int scalar_rank(const Type *t)
{
    return t->kind == T_BOOL ? 0 : t->kind == T_INT ? 1 : 2;
}

Type *infer_join(TypeCtx *tc, Type *a, Type *b)
{
    if (!a)
        return b;
    if (!b || a == b)
        return a;
    if (a == TY_ERR || b == TY_ERR)
        return TY_ERR;
    if (a->kind == T_ZERO)      /* a symbolic zero is a zero of any sensitivity type */
        return b;
    if (b->kind == T_ZERO)
        return a;
    if (type_is_scalar(a) && type_is_scalar(b)) {
        if (scalar_rank(a) == scalar_rank(b))   /* a default float and a plain one */
            return type_float(tc->tt);
        return scalar_rank(a) > scalar_rank(b) ? a : b;
    }
    if (a->kind == T_TUPLE && b->kind == T_TUPLE && a->n == b->n) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(a->n ? a->n : 1));
        for (int i = 0; i < a->n; i++) {
            el[i] = infer_join(tc, a->elems[i], b->elems[i]);
            if (el[i] == TY_ERR) {
                free(el);
                return TY_ERR;
            }
        }
        Type *t = type_tuple(tc->tt, el, a->n);
        free(el);
        return t;
    }
    if (a->kind == T_LIST && b->kind == T_LIST) {   /* list[?] is the unit */
        if (!a->n || !b->n)
            return a->n ? a : b;
        Type *e = infer_join(tc, a->elems[0], b->elems[0]);
        return e == TY_ERR ? TY_ERR : type_list(tc->tt, e);
    }
    if (a->kind == T_FUNC && b->kind == T_FUNC) {
        FnRef *refs = xmalloc(sizeof(FnRef) * (size_t)(a->n + b->n));
        memcpy(refs, a->fns, sizeof(FnRef) * (size_t)a->n);
        memcpy(refs + a->n, b->fns, sizeof(FnRef) * (size_t)b->n);
        Type *t = type_func(tc->tt, refs, a->n + b->n);
        free(refs);
        return t;
    }
    return TY_ERR;
}

/* True when a value of type `from` converts implicitly to `to`. */
static bool converts(TypeCtx *tc, Type *from, Type *to)
{
    return infer_join(tc, from, to) == to;
}

/* ---- slots ------------------------------------------------------------------ */

static Slot *new_slot(TypeCtx *tc, Type *ann, const char *what)
{
    Slot *s = ARENA_NEW(tc->arena, Slot);
    s->ann = ann;
    s->ann_what = ann ? what : NULL;
    s->type = ann;
    s->what = what;
    return s;
}

static void enqueue(TypeCtx *tc, Inst *inst)
{
    if (inst->processing)
        inst->dirty = true;
    else if (!inst->queued) {
        inst->queued = true;
        vec_push(&tc->queue, inst);
    }
}

static void notify(TypeCtx *tc, Slot *r)
{
    for (int i = 0; i < r->readers.len; i++)
        enqueue(tc, r->readers.data[i]);
}

static void add_reader(Slot *s, Inst *inst)
{
    Slot *r = find(s);
    for (int i = r->readers.len - 1; i >= 0; i--)
        if (r->readers.data[i] == inst)
            return;
    vec_push(&r->readers, inst);
}

static bool clash(Slot *r, Loc loc, Type *a, Type *b)
{
    if (r->type != TY_ERR && !r->clash_a) {
        r->clash_loc = loc;
        r->clash_a = a;
        r->clash_b = b;
        return true;
    }
    return false;
}

/* Joins a returned value's type into a slot. */
static void slot_join(TypeCtx *tc, Slot *s, Type *t, Loc loc)
{
    Slot *r = find(s);
    if (!t || t == r->type)
        return;
    Type *nt = infer_join(tc, r->type, t);
    if (r->ann && nt != r->ann && nt != TY_ERR && t != TY_ERR) {
        clash(r, loc, r->ann, t);
        nt = TY_ERR;
    } else if (nt == TY_ERR && t != TY_ERR) {
        clash(r, loc, r->type, t);
    }
    if (nt != r->type) {
        r->type = nt;
        r->type_loc = loc;
        notify(tc, r);
    }
}

static Slot *slot_union(TypeCtx *tc, Slot *a, Slot *b, Loc loc)
{
    Slot *ra = find(a), *rb = find(b);
    if (ra == rb)
        return ra;
    Type *old_a = ra->type, *old_b = rb->type;
    /* a clash is best shown where a returned value brought the type in */
    Loc at = rb->type_loc.line ? rb->type_loc : ra->type_loc.line ? ra->type_loc : loc;
    if (!ra->type_loc.line || (old_b && !old_a))
        ra->type_loc = rb->type_loc;
    rb->up = ra;
    if (!ra->what)
        ra->what = rb->what;
    for (int i = 0; i < rb->readers.len; i++)
        add_reader(ra, rb->readers.data[i]);
    vec_free(&rb->readers);
    if (rb->ann && ra->ann && rb->ann != ra->ann) {
        if (clash(ra, at, ra->ann, rb->ann))
            ra->clash_other = rb->ann_what;
        ra->type = TY_ERR;
    } else {
        if (!ra->ann) {
            ra->ann = rb->ann;
            ra->ann_what = rb->ann_what;
        }
        if (!ra->clash_a && rb->clash_a) {
            ra->clash_loc = rb->clash_loc;
            ra->clash_a = rb->clash_a;
            ra->clash_b = rb->clash_b;
            ra->clash_other = rb->clash_other;
        }
        Type *nt = infer_join(tc, old_a, old_b);
        if (nt == TY_ERR && old_a != TY_ERR && old_b != TY_ERR)
            clash(ra, at, old_a, old_b);
        if (ra->ann && nt != TY_ERR && nt != ra->ann && !converts(tc, nt, ra->ann)) {
            clash(ra, at, ra->ann, nt);
            nt = TY_ERR;
        } else if (ra->ann && nt != TY_ERR) {
            nt = ra->ann;
        }
        ra->type = nt;
    }
    notify(tc, ra);
    return ra;
}

/* ---- instances ---------------------------------------------------------------- */

static Inst *new_inst(TypeCtx *tc, FnInfo *fi, Inst *parent, Type **args, int nargs)
{
    Inst *inst = ARENA_NEW(tc->arena, Inst);
    inst->id = tc->all.len;
    inst->fi = fi;
    inst->parent = parent;
    inst->nargs = nargs;
    inst->args = ARENA_ARRAY(tc->arena, Type *, nargs ? nargs : 1);
    if (nargs)
        memcpy(inst->args, args, sizeof(Type *) * (size_t)nargs);
    int nl = fi->nlocal ? fi->nlocal : 1, ng = fi->graphs.len;
    inst->types = ARENA_ARRAY(tc->arena, Type *, nl);
    inst->type_from = ARENA_ARRAY(tc->arena, Loc, nl);
    inst->callslot = ARENA_ARRAY(tc->arena, Slot *, nl);
    inst->direct = ARENA_ARRAY(tc->arena, Inst *, nl);
    inst->reached = ARENA_ARRAY(tc->arena, Inst *, nl);
    inst->blockcall = ARENA_ARRAY(tc->arena, unsigned char, nl);
    inst->slots = ARENA_ARRAY(tc->arena, Slot *, ng);
    inst->typed_pass = ARENA_ARRAY(tc->arena, unsigned, ng);
    const char *what = fi->fn->src_name ? fi->fn->src_name : fi->fn->name;
    for (int i = 0; i < ng; i++)   /* blocks' and branches' slots have no name of their own */
        inst->slots[i] = new_slot(tc, i == 0 ? fi->fn->ret_ann : NULL, i == 0 ? what : NULL);
    for (int i = 0; i < fi->fn->nparams; i++)
        inst->types[tc->local[fi->fn->params[i]->id]] = args[i];
    if (parent)
        vec_push(&parent->children, inst);
    vec_push(&fi->insts, inst);
    vec_push(&tc->all, inst);
    enqueue(tc, inst);
    return inst;
}

/* The instance of g in context ctx for these (annotation-applied) argument
   types, made on first use; NULL (after an error) past the limit. */
/*
 * The instance of g in context ctx for these argument types, made on first
 * use; NULL (after an error) past the limit.  Calls through a function
 * value (via_value) get instances of their own: the graphs one call site
 * may reach share a return type, and that must not leak into direct calls
 * (h = f if c else g; h(1) makes f's result a float there, while f(2)
 * elsewhere stays an int, as in CPython).
 */
static bool zero_compatible(const Type *a, const Type *b);

/* Parameter k of instance c becomes t (a join with what it was): c is
   typed again, and so are its callers, whose calls through values may
   need their other callees widened alike (agree_on_zeros). */
static void widen_param(TypeCtx *tc, Inst *c, int k, Type *t)
{
    if (c->args[k] == t)
        return;
    c->args[k] = t;
    c->types[tc->local[c->fi->fn->params[k]->id]] = t;
    enqueue(tc, c);
    notify(tc, find(c->slots[0]));
}

/*
 * A function calling itself (rec(n - 1, x, lambda t: t + x)) with
 * arguments that differ from its own only in which functions a function
 * value may be: the instance's parameters widen to the union, instead of a
 * new instance per level.  The closure made at each level has that level's
 * instance as its context, so specialising would never end (an instance
 * per level, each with a new closure type); the union is a fixpoint.  Only
 * functions without a context, or closures the instance itself makes, are
 * taken into a union: those are finitely many.
 */
static bool widen_recursion(TypeCtx *tc, Inst *self, Inst *ctx, Type **args, int nargs, bool via_value)
{
    if (!self || self->parent != ctx || self->via_value != via_value || self->nargs != nargs)
        return false;
    bool differs = false;
    for (int k = 0; k < nargs; k++) {
        Type *a = self->args[k], *b = args[k];
        if (a == b)
            continue;
        if (!a || !b || a->kind != T_FUNC || b->kind != T_FUNC)
            return false;
        /* only closures this instance makes (or plain functions): a union
           that takes functions made by other, ever new instances (grad(f)
           passed down) would grow without end */
        for (int i = 0; i < b->n; i++)
            if (b->fns[i].ctx && b->fns[i].ctx != self && infer_join(tc, a, b) != a) {
                bool known = false;
                for (int j = 0; j < a->n && !known; j++)
                    known = a->fns[j].graph == b->fns[i].graph && a->fns[j].ctx == b->fns[i].ctx &&
                            a->fns[j].prim == b->fns[i].prim;
                if (!known)
                    return false;
            }
        differs = true;
    }
    if (!differs)
        return false;
    for (int k = 0; k < nargs; k++)
        widen_param(tc, self, k, infer_join(tc, self->args[k], args[k]));
    self->widened = true;
    return true;
}

/* Whether widened instance c takes a call with these arguments: the same,
   but for function values c's unions include. */
static bool widened_takes(TypeCtx *tc, Inst *c, Type **args, int nargs)
{
    if (!c->widened)
        return false;
    for (int k = 0; k < nargs; k++)
        if (c->args[k] != args[k] &&
            (!args[k] || args[k]->kind != T_FUNC || infer_join(tc, c->args[k], args[k]) != c->args[k]))
            return false;
    return true;
}

/* Whether the code of function g (with the functions nested in it; of
   J(G), G's) reads or makes a list: a list primitive, or a parameter
   annotated with a list type.  Memoised by graph id. */
static bool has_lists(TypeCtx *tc, Graph *g)
{
    while (g->derived && grad_source(tc->grad, g, NULL))
        g = grad_source(tc->grad, g, NULL);
    uintptr_t known = (uintptr_t)idmap_get(&tc->has_lists, g->id);
    if (known)
        return known == 2;
    bool found = false;
    NodeVec body = {0};
    for (int gi = 0; gi < tc->m->graphs.len && !found; gi++) {
        Graph *h = tc->m->graphs.data[gi];
        if (!ir_graph_encloses(g, h))
            continue;
        for (int i = 0; i < h->nparams && !found; i++)
            found = h->param_ann && h->param_ann[i] && type_may_hold_list(h->param_ann[i]) &&
                    !type_has_function(h->param_ann[i]);
        body.len = 0;
        ir_graph_body(h, &body);
        for (int i = 0; i < body.len && !found; i++) {
            int p = ir_applied_prim(body.data[i]);
            found = p >= P_LIST_MAKE && p <= P_LIST_CONVERT;
        }
    }
    vec_free(&body);
    idmap_set(&tc->has_lists, g->id, (void *)(uintptr_t)(found ? 2 : 1));
    return found;
}

/* The type a value of type t had before a transform lifted it (its
   functions' sources: grad_source_ref), or NULL when that is not known
   (a closure made inside transformed code). */
static Type *source_type(TypeCtx *tc, Type *t)
{
    if (!t || t == TY_ERR || t->kind == T_LIST || type_is_scalar(t) || !type_has_function(t))
        return t;
    if (t->kind == T_TUPLE) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n + 1));
        Type *r = NULL;
        bool ok = true;
        for (int i = 0; i < t->n && ok; i++)
            ok = (el[i] = source_type(tc, t->elems[i])) != NULL;
        if (ok)
            r = type_tuple(tc->tt, el, t->n);
        free(el);
        return r;
    }
    if (t->kind != T_FUNC)
        return NULL;
    FnRef *refs = xmalloc(sizeof(FnRef) * (size_t)(t->n + 1));
    bool ok = true;
    for (int i = 0; i < t->n && ok; i++)
        ok = grad_source_ref(tc->grad, &t->fns[i], &refs[i]);
    Type *r = ok ? type_func(tc->tt, refs, t->n) : NULL;
    free(refs);
    return r;
}

static Inst *get_inst(TypeCtx *tc, Graph *g, Inst *ctx, Type **args, int nargs, bool via_value,
                      Node *callsite, Inst *caller, Loc loc)
{
    FnInfo *fi = tc->fninfo[g->id];
    if (!tc->by_caller[g->id])
        callsite = NULL, caller = NULL;
    Inst *self = tc->cur && tc->cur->fi == fi ? tc->cur : NULL;
    if (self && self->callsite == callsite && self->caller == caller &&
        widen_recursion(tc, self, ctx, args, nargs, via_value))
        return self;
    for (int i = 0; i < fi->insts.len; i++) {
        Inst *c = fi->insts.data[i];
        if (c->parent == ctx && c->via_value == via_value && c->callsite == callsite && c->caller == caller &&
            (nargs == 0 || memcmp(c->args, args, sizeof(Type *) * (size_t)nargs) == 0 ||
             widened_takes(tc, c, args, nargs)))
            return c;
    }
    /* Differentiated code calls one backpropagator value with a symbolic
       zero at one site and a float at another (the first iteration of a
       loop, whose start is a constant): one instance serves both, its
       parameters widened to the join (the zeros are materialised at the
       call).  So do calls whose arguments differ only by an exported
       parameter's marked float (one value of a closure called from an
       exported instance and from its differentiated twin): two instances
       of one signature would each make their own nested closures, while
       the value's type names only one of them (specialise.c,
       value_instance). */
    for (int i = 0; via_value && i < fi->insts.len; i++) {
        Inst *c = fi->insts.data[i];
        if (c->parent != ctx || !c->via_value || c->callsite != callsite || c->caller != caller)
            continue;
        bool ok = true;
        for (int k = 0; k < nargs && ok; k++)
            ok = zero_compatible(c->args[k], args[k]) || infer_plain(tc, c->args[k]) == infer_plain(tc, args[k]);
        if (!ok)
            continue;
        for (int k = 0; k < nargs; k++)
            widen_param(tc, c, k, infer_join(tc, c->args[k], args[k]));
        return c;
    }
    if (fi->insts.len >= INFER_MAX_SPECIALISATIONS) {
        infer_error(tc, loc, false,
                    "'%s' needs too many specialisations (limit %d): it is called with more than %d "
                    "different combinations of argument types (a tuple, or a chain of closures, that "
                    "grows on every call does this)",
                    g->src_name ? g->src_name : g->name, INFER_MAX_SPECIALISATIONS, INFER_MAX_SPECIALISATIONS);
        return NULL;
    }
    Inst *inst = new_inst(tc, fi, ctx, args, nargs);
    inst->via_value = via_value;
    inst->callsite = callsite;
    inst->caller = caller;
    /* The source of a transform (J(G) or Jfwd(G), nested where G is) is
       instantiated beside it, with the arguments' types before the
       transform lifted them, so that the specialised module holds G's own
       code for the checks of source code (the aliasing rule,
       passes/alias.c) even when only its transform is called (J(J(G))
       instantiates J(G), which instantiates G); the optimiser drops it
       when nothing calls it.  Only for code that has lists (has_lists):
       the aliasing rule has nothing to check elsewhere; and not when an
       argument is a closure made in transformed code, whose source has no
       instance to live in. */
    Graph *src = grad_source(tc->grad, g, NULL);
    if (src && src->derived && !grad_source(tc->grad, src, NULL))
        src = NULL;     /* an operator's own code: no source to check */
    if (src && !has_lists(tc, src))
        src = NULL;     /* nothing for the aliasing rule to check */
    if (src && src->kind == G_FUNCTION && src->parent == g->parent && src->nparams <= nargs) {
        Type **sargs = xmalloc(sizeof(Type *) * (size_t)(src->nparams + 1));
        bool ok = true;
        for (int i = 0; i < src->nparams && ok; i++)
            ok = (sargs[i] = source_type(tc, args[i])) != NULL;
        inst->source = ok ? get_inst(tc, src, ctx, sargs, src->nparams, false, NULL, NULL, loc) : NULL;
        free(sargs);
    }
    return inst;
}

/* The instances one call through a value reaches take one set of
   parameter types (check_one_signature).  Two that differ only where one
   has a symbolic zero (the backpropagators of two branches, one of which
   was also called with a float elsewhere: get_inst widened it) are
   widened to the join; the zeros are materialised at the call. */
static void agree_on_zeros(TypeCtx *tc, InstVec *called, int nargs)
{
    for (int k = 0; k < nargs && called->len > 1; k++) {
        Type *j = NULL;
        bool ok = true;
        for (int i = 0; i < called->len && ok; i++) {
            Type *t = called->data[i]->args[k];
            ok = !j || zero_compatible(j, t);
            if (ok)
                j = infer_join(tc, j, t);
        }
        if (!ok || !j || j == TY_ERR)
            continue;
        for (int i = 0; i < called->len; i++)
            widen_param(tc, called->data[i], k, j);
    }
}

/* Types that differ only where one has a symbolic zero. */
static bool zero_compatible(const Type *a, const Type *b)
{
    if (a == b)
        return true;
    if (!a || !b || a == TY_ERR || b == TY_ERR)
        return false;
    if (a->kind == T_ZERO || b->kind == T_ZERO)
        return true;
    if (a->kind != T_TUPLE || b->kind != T_TUPLE || a->n != b->n)
        return false;
    bool any_zero = false;
    for (int i = 0; i < a->n; i++) {
        if (!zero_compatible(a->elems[i], b->elems[i]))
            return false;
        any_zero |= a->elems[i] != b->elems[i];
    }
    return any_zero;
}

/* The (interned) origin of the value constant x makes in inst. */
static Site *site_of(TypeCtx *tc, Inst *inst, Node *x)
{
    for (int i = 0; i < inst->sites.len; i++)
        if (inst->sites.data[i]->node == x)
            return inst->sites.data[i];
    Site *site = ARENA_NEW(tc->arena, Site);
    site->node = x;
    site->inst = inst;
    vec_push(&inst->sites, site);
    return site;
}

Type *infer_const_type(TypeCtx *tc, Inst *inst, Node *x)
{
    switch (x->k.kind) {
    case K_INT: return type_int(tc->tt);
    case K_FLOAT: return type_float(tc->tt);
    case K_BOOL: return type_bool(tc->tt);
    case K_PRIM: return fnref_type(tc, NULL, (int)x->k.u.prim, NULL);
    case K_GRAPH: {
        Graph *g = x->k.u.graph;
        if (g->id >= tc->known_graphs) {    /* made this round: typed from the next */
            tc->grew = true;
            return NULL;
        }
        Graph *anchor = anchor_of(tc, g);
        Inst *ctx = anchor ? ctx_for(inst, anchor->fn) : NULL;
        if (anchor && !ctx)
            die("infer: graph @%s used outside its scope", g->name);
        FnRef r = {g, -1, ctx, tc->by_site[g->id] ? site_of(tc, inst, x) : NULL};
        return type_func(tc->tt, &r, 1);
    }
    }
    return NULL;
}

Type *infer_node_type(TypeCtx *tc, Inst *inst, Node *x)
{
    if (x->kind == N_CONST)
        return infer_const_type(tc, inst, x);
    Inst *o = ctx_for(inst, x->graph->fn);
    if (!o)
        die("infer: node %u used outside its scope", x->id);
    return o->types[tc->local[x->id]];
}

/* Applies a function's parameter annotations to the argument types of a
   call; false (after an error) when an argument cannot convert. */
static bool apply_annotations(TypeCtx *tc, Graph *g, Type **args, Type **key, Loc loc)
{
    for (int i = 0; i < g->nparams; i++) {
        Type *ann = g->param_ann ? g->param_ann[i] : NULL;
        key[i] = args[i];
        if (!ann)
            continue;
        if (!converts(tc, args[i], ann) && strstr(g->name, ":ann.")) {
            /* the identity function of an annotated assignment (passes/lower.c) */
            infer_error(tc, loc, has_default_float(args[i], NULL), "cannot assign a value of type '%s' to '%s', "
                        "annotated '%s'", infer_type_name(tc, args[i]), graph_what(g), infer_type_name(tc, ann));
            return false;
        }
        if (!converts(tc, args[i], ann)) {
            infer_error(tc, loc, has_default_float(args[i], NULL), "argument %d of '%s' must be '%s', not '%s'", i + 1, graph_what(g),
                        infer_type_name(tc, ann), infer_type_name(tc, args[i]));
            return false;
        }
        key[i] = ann;
    }
    return true;
}

/* Joins jump arguments (the values of jump a) into a block's parameters;
   a clash is an error with a note at the value that brought each type. */
static void jump_to_block(TypeCtx *tc, Inst *ci, Graph *g, Type **args, Node *a)
{
    Loc loc = a->loc;
    for (int i = 0; i < g->nparams; i++) {
        Node *p = g->params[i];
        int l = tc->local[p->id];
        Type **slot = &ci->types[l];
        Loc from = i + 1 < a->app.n ? a->app.in[i + 1]->loc : loc;
        Type *nt = infer_join(tc, *slot, args[i]);
        if (nt == TY_ERR && *slot != TY_ERR && args[i] != TY_ERR) {
            StrBuf sb = {0};
            sb_printf(&sb, "variable '%s' has incompatible types on different paths: '%s' and '%s'",
                      p->name ? p->name : "?", infer_type_name(tc, *slot), infer_type_name(tc, args[i]));
            InstError rec = {.loc = loc, .msg = (char *)sb_cstr(&sb), .param = -1, .as = MISUSE_OTHER};
            clash_misuse(*slot, args[i], &rec);
            InstError *e = infer_record_copy(&ci->lasting, &rec);
            sb_free(&sb);
            if (e && p->name && *slot && ci->type_from[l].line && from.line) {
                Loc at[2] = {ci->type_from[l], from};
                Type *ty[2] = {*slot, args[i]};
                for (int k = 0; k < 2; k++) {
                    StrBuf nb = {0};
                    sb_printf(&nb, "'%s' is assigned %s here", p->name, type_with_article(ty[k]));
                    e->note_loc[k] = at[k];
                    e->note[k] = xstrdup(sb_cstr(&nb));
                    sb_free(&nb);
                }
                e->nnotes = 2;
            }
        }
        if (nt == args[i] && nt != *slot && nt != TY_ERR)
            ci->type_from[l] = from;   /* this value brought the type */
        if (nt != *slot) {
            *slot = nt;
            if (ci == tc->cur)
                tc->changed = true;
            else
                enqueue(tc, ci);
        }
    }
}

static void record_indirect(CallVec *list, const FnRef *r, Inst *callee)
{
    for (int i = 0; i < list->len; i++) {
        IndirectCall *c = &list->data[i];
        if (c->g == r->graph && c->ctx == r->ctx && c->site == r->site && c->callee == callee)
            return;
    }
    IndirectCall c = {r->graph, (Inst *)r->ctx, r->site, callee};
    vec_push(list, c);
}

static void add_callee_to(InstVec *list, Inst *callee)
{
    for (int i = list->len - 1; i >= 0; i--)
        if (list->data[i] == callee)
            return;
    vec_push(list, callee);
}

static void add_callee(Inst *inst, Inst *callee)
{
    add_callee_to(&inst->callees, callee);
}

static void type_graph(TypeCtx *tc, Inst *inst, int gi);

/* Whether t holds a type that may still grow into one a rule failing on
   it takes: a symbolic zero (the unit of the join of sensitivities, below
   float, env, lists and tuples of them) or a list[?] (below every list). */
static bool may_grow(const Type *t)
{
    if (!t || t == TY_ERR)
        return false;
    if (t->kind == T_ZERO || (t->kind == T_LIST && !type_list_elem(t)))
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (may_grow(t->elems[i]))
            return true;
    return t->kind == T_LIST && may_grow(type_list_elem(t));
}

/*
 * Primitive p's type rule on these operands.  Errors are kept once found
 * (Inst.errors), which is right when a type that grows only fails more --
 * but a symbolic zero or a list[?] grows into types the rules take: while
 * a comprehension's body is typed its list is a list[?], whose tangent is
 * a zero, and sin() of an item of that tangent fails where, at the
 * fixpoint, the tangent is a list of floats.  So until the fixpoint such a
 * failure records nothing: its result stays unknown (bottom, the unit of
 * the join, not TY_ERR, which would stick) and the instance is marked;
 * settle() types the marked instances again with the final types, where
 * the rules record the errors that still hold.
 */
static Type *apply_rule(TypeCtx *tc, Inst *inst, const PrimInfo *p, Node *a, Type **args, int nargs)
{
    PrimTypeRule rule = prim_type_rule(p->id);
    bool grows = false;
    for (int i = 0; i < nargs && !grows && !tc->settled; i++)
        grows = may_grow(args[i]);
    if (!grows)
        return rule(tc, p, a, args, nargs);
    int before = inst->errors.len;
    Type *t = rule(tc, p, a, args, nargs);
    if (inst->errors.len == before)
        return t;
    drop_errs(&inst->errors, before);
    inst->deferred = true;
    return NULL;
}

/* The type of an Apply: the join over every function the callee may be. */
static Type *eval_apply(TypeCtx *tc, Inst *inst, Node *a, Type **args)
{
    int l = tc->local[a->id], nargs = a->app.n - 1;
    Type *callee = infer_node_type(tc, inst, a->app.in[0]);
    for (int i = 0; i < nargs; i++)
        args[i] = infer_node_type(tc, inst, a->app.in[i + 1]);
    if (!callee)
        return NULL;
    if (callee == TY_ERR)
        return TY_ERR;
    if (callee->kind != T_FUNC)
        return infer_misuse(tc, a->loc, callee, MISUSE_FUNCTION,
                           "a value of type '%s' is not a function and cannot be called",
                           infer_type_name(tc, callee));
    bool any_bottom = false, any_err = false;
    for (int i = 0; i < nargs; i++) {
        any_bottom |= args[i] == NULL;
        any_err |= args[i] == TY_ERR;
    }
    bool direct = ir_is_const_graph(a->app.in[0]);
    Type *result = NULL;
    Slot *unified = NULL;
    bool only_blocks = true;
    InstVec called = {0};   /* the instances of functions called through the value */
    for (int k = 0; k < callee->n; k++) {
        FnRef *r = &callee->fns[k];
        if (!r->graph) {
            const PrimInfo *p = prim_info((PrimId)r->prim);
            only_blocks = false;
            if (p->arity >= 0 && p->arity != nargs) {
                result = infer_error(tc, a->loc, false, "%s() takes %d argument%s (%d given)", p->name, p->arity,
                                     p->arity == 1 ? "" : "s", nargs);
                continue;
            }
            if (any_bottom)
                continue;
            Type *t = any_err ? TY_ERR : apply_rule(tc, inst, p, a, args, nargs);
            result = result ? infer_join(tc, result, t) : t;
            continue;
        }
        Graph *g = r->graph;
        if (g->nparams != nargs) {
            result = infer_error(tc, a->loc, false, "'%s' takes %d argument%s but %d %s given", graph_what(g),
                                 g->nparams, g->nparams == 1 ? "" : "s", nargs, nargs == 1 ? "was" : "were");
            continue;
        }
        Slot *s;
        if (g->kind == G_BLOCK || g->kind == G_BRANCH) {
            Inst *ci = (Inst *)r->ctx;
            jump_to_block(tc, ci, g, args, a);
            s = ci->slots[tc->glocal[g->id]];
            /* A branch whose value is used right here (a conditional
               expression, and/or): type it now if its result is still
               unknown, so a chain of them is typed in one pass, not one
               pass per link.  Depth is bounded by expression nesting. */
            if (g->kind == G_BRANCH && ci == inst && a->graph->output != a && !find(s)->type)
                type_graph(tc, inst, tc->glocal[g->id]);
        } else {
            only_blocks = false;
            if (any_bottom)
                continue;
            if (any_err) {
                /* an argument is in error (often because of this very
                   callee's result, through a loop): keep the edge to it */
                if (inst->reached[l])
                    add_callee(inst, inst->reached[l]);
                result = TY_ERR;
                continue;
            }
            Type **key = xmalloc(sizeof(Type *) * (size_t)(nargs ? nargs : 1));
            Inst *ci = NULL;
            if (apply_annotations(tc, g, args, key, a->loc))
                ci = get_inst(tc, g, (Inst *)r->ctx, key, nargs, !direct, a, inst, a->loc);
            free(key);
            if (!ci) {
                result = TY_ERR;
                continue;
            }
            add_callee(inst, ci);
            inst->reached[l] = ci;
            if (direct)
                inst->direct[l] = ci;
            else
                record_indirect(&inst->indirect, r, ci);
            if (!direct)
                vec_push(&called, ci);
            s = ci->slots[0];
        }
        add_reader(s, inst);
        unified = unified ? slot_union(tc, unified, s, a->loc) : find(s);
    }
    agree_on_zeros(tc, &called, nargs);
    vec_free(&called);
    inst->blockcall[l] = unified && only_blocks;
    if (unified) {
        unified = find(unified);
        inst->callslot[l] = unified;
        Type *t = unified->type;
        if (t)
            result = result ? infer_join(tc, result, t) : t;
    }
    return result;
}

/* Types graph gi of inst once: its body in order, then its output into
   its return slot.  Sets tc->changed when a node's type grew. */
static void type_graph(TypeCtx *tc, Inst *inst, int gi)
{
    FnInfo *fi = inst->fi;
    if (inst->typed_pass[gi] == tc->pass)
        return;             /* already this pass (typed on demand, see eval_apply) */
    inst->typed_pass[gi] = tc->pass;
    Graph *g = fi->graphs.data[gi];
    NodeVec *body = &fi->bodies[gi];
    VEC(Type *) args = {0};
    for (int i = 0; i < body->len; i++) {
        Node *a = body->data[i];
        while (args.cap < a->app.n)
            vec_push(&args, NULL);
        int l = tc->local[a->id];
        Type *t = eval_apply(tc, inst, a, args.data);
        Type *nt = infer_join(tc, inst->types[l], t);
        if (nt != inst->types[l]) {
            inst->types[l] = nt;
            tc->changed = true;
        }
    }
    vec_free(&args);
    Node *out = g->output;
    if (!out)
        return;
    int ol = out->kind == N_APPLY && out->graph == g ? tc->local[out->id] : -1;
    if (ol >= 0 && inst->blockcall[ol])
        slot_union(tc, inst->slots[gi], inst->callslot[ol], out->loc);
    else
        slot_join(tc, inst->slots[gi], infer_node_type(tc, inst, out), g->ret_loc.line ? g->ret_loc : out->loc);
}

static void process(TypeCtx *tc, Inst *inst)
{
    FnInfo *fi = inst->fi;
    inst->processing = true;
    /* An instance nested in this one may read the types of any instance
       enclosing it, not only of its parent: when one grew, every instance
       nested in it, however deep, must be typed again. */
    bool outer_grew = inst->outer_grew;
    inst->outer_grew = false;
    Inst *saved = tc->cur;
    tc->cur = inst;
    bool grew = false;
    do {
        inst->dirty = false;
        tc->changed = false;
        inst->callees.len = 0;
        inst->indirect.len = 0;
        tc->pass++;
        for (int gi = 0; gi < fi->graphs.len; gi++)
            type_graph(tc, inst, gi);
        grew |= tc->changed;
    } while (tc->changed || inst->dirty);
    inst->processing = false;
    tc->cur = saved;
    if (grew || outer_grew)
        for (int i = 0; i < inst->children.len; i++) {
            inst->children.data[i]->outer_grew = true;
            enqueue(tc, inst->children.data[i]);
        }
}

static void run_queue(TypeCtx *tc)
{
    while (tc->qhead < tc->queue.len) {
        Inst *inst = tc->queue.data[tc->qhead++];
        inst->queued = false;
        process(tc, inst);
        if (tc->qhead > 4096 && tc->qhead * 2 > tc->queue.len) {   /* compact */
            memmove(tc->queue.data, tc->queue.data + tc->qhead,
                    sizeof(Inst *) * (size_t)(tc->queue.len - tc->qhead));
            tc->queue.len -= tc->qhead;
            tc->qhead = 0;
        }
    }
}

/* At the fixpoint: the instances where a rule's error was deferred
   (apply_rule) typed again, their rules' errors now recorded, to the
   fixpoint again (only errors' TY_ERR can spread from there). */
static void settle(TypeCtx *tc)
{
    tc->settled = true;
    for (int i = 0; i < tc->all.len; i++)
        if (tc->all.data[i]->deferred)
            enqueue(tc, tc->all.data[i]);
    run_queue(tc);
}

/* ---- differentiation: J, Jfwd and derive() ---------------------------------------------- */

/* How many times over the operator whose code `app` is in has been
   applied to its own result to make f (see grad_operator_of): f's closure
   context is the operator's instance, whose argument is the previous f. */
static int self_nesting(TypeCtx *tc, Node *app, const FnRef *f)
{
    int count = 0;
    while (f && f->graph && count <= GRAD_MAX_SELF && grad_operator_of(tc->grad, app->graph, f->graph)) {
        count++;
        Inst *ci = f->ctx;
        const Type *prev = ci && ci->nargs >= 1 ? ci->args[0] : NULL;
        f = prev && prev != TY_ERR && prev->kind == T_FUNC && prev->n >= 1 ? &prev->fns[0] : NULL;
    }
    return count;
}

/* The transform (mode) of a value of type t: functions become their
   transforms, in the same context (a transform is nested where its source
   is); NULL while a transform is still to be typed (next round). */
static Type *lifted_type(TypeCtx *tc, Node *app, Type *t, int mode, int depth)
{
    /* without the export marker: the transform's instances are then the
       same whichever parameters of an exported function they come from
       (grad(f, 0) and grad(f, 1) in one module: one J.f, whose closures
       one function value can name) */
    if (infer_is_default_float(t))
        return type_float(tc->tt);
    if (t->kind != T_FUNC && t->kind != T_TUPLE)
        return t;
    if (t->kind == T_TUPLE) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n ? t->n : 1));
        Type *r = NULL;
        bool pending = false;
        for (int i = 0; i < t->n; i++) {
            el[i] = lifted_type(tc, app, t->elems[i], mode, depth);
            pending |= el[i] == NULL;
            if (el[i] == TY_ERR)
                r = TY_ERR;
        }
        if (!r && !pending)
            r = type_tuple(tc->tt, el, t->n);
        free(el);
        return r;
    }
    FnRef *refs = xmalloc(sizeof(FnRef) * (size_t)t->n);
    bool pending = false;
    Type *r = NULL;
    for (int i = 0; i < t->n && !r; i++) {
        const FnRef *f = &t->fns[i];
        if (f->graph) {
            if (self_nesting(tc, app, f) > GRAD_MAX_SELF) {
                r = infer_error(tc, app->loc, false,
                                "a differentiation operator is applied here to its own result more than %d times "
                                "over (the number of nested operators must be known at compile time, and a "
                                "recursion passing grad(f) down decides it at run time)", GRAD_MAX_SELF);
                break;
            }
            if (f->graph->kind != G_FUNCTION) {
                r = infer_error(tc, app->loc, false, "cannot differentiate this kind of function value");
                break;
            }
        }
        double t0 = timer_now();
        Graph *d = grad_transform_fn(tc->grad, mode, depth, f);
        tc->j_seconds += timer_now() - t0;
        if (!d) {
            r = infer_error(tc, app->loc, false, GRAD_TOO_DEEP_MSG, GRAD_MAX_DEPTH);
            break;
        }
        pending |= d->id >= tc->known_graphs;
        FnRef nr = {d, -1, f->graph ? f->ctx : NULL, NULL};
        refs[i] = nr;
    }
    if (!r && !pending)
        r = type_func(tc->tt, refs, t->n);
    free(refs);
    if (pending) {
        tc->grew = true;
        tc->grew_at = app->loc;
    }
    return r;
}

Type *ty_j(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    return lifted_type(tc, app, args[0], MODE_J, (int)app->app.in[2]->k.u.i);
}

Type *ty_jfwd(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    return lifted_type(tc, app, args[0], MODE_F, (int)app->app.in[2]->k.u.i);
}

static const char *const op_names[] = {"grad", "value_and_grad", "vjp", "jvp"};

/*
 * derive(...) of a function whose arity the argument's type now tells:
 * checked (the parameters selected exist and are not declared int, bool),
 * then rewritten, in the untyped module, into a call of the operator's
 * graph (grad_operator) on the function; the round restarts to type it.
 */
Type *ty_derive(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    int first = derive_first_value(app);
    DiffOp op = (DiffOp)app->app.in[DERIVE_KIND]->k.u.i;
    Type *ft = args[first - 1];
    if (ft->kind != T_FUNC)
        return infer_misuse(tc, app->loc, ft, MISUSE_FUNCTION, "%s() needs a function, not '%s'", op_names[op],
                           infer_type_name(tc, ft));
    int64_t tower = app->app.in[DERIVE_TOWER]->k.u.i;
    int nfwd = 0;
    for (int64_t t = tower; t > 0; t /= 3)
        nfwd += t % 3 == MODE_F;
    int arity = -1;
    for (int k = 0; k < ft->n; k++) {
        const FnRef *f = &ft->fns[k];
        int a = f->graph ? f->graph->nparams : prim_info((PrimId)f->prim)->arity;
        if (a < 0 || (arity >= 0 && a != arity))
            return infer_error(tc, app->loc, false,
                               "%s() of a value that may be functions of different numbers of parameters",
                               op_names[op]);
        arity = a;
    }
    arity >>= nfwd;
    if (tower == 0) {
        int nidx = (int)app->app.in[DERIVE_NIDX]->k.u.i;
        bool all = op == OP_VJP || op == OP_JVP;
        if (op == OP_VJP && app->app.in[DERIVE_IDX]->k.u.i != arity)
            return infer_error(tc, app->loc, false, "vjp() is given %lld argument%s for a function of %d parameter%s",
                               (long long)app->app.in[DERIVE_IDX]->k.u.i,
                               app->app.in[DERIVE_IDX]->k.u.i == 1 ? "" : "s", arity, arity == 1 ? "" : "s");
        for (int i = 0; i < (all ? arity : nidx); i++) {
            int64_t ix = all ? i : app->app.in[DERIVE_IDX + i]->k.u.i;
            if (ix < 0 || ix >= arity)
                return infer_error(tc, app->loc, false,
                                   "%s(): parameter index %lld is out of range for a function of %d parameter%s",
                                   op_names[op], (long long)ix, arity, arity == 1 ? "" : "s");
            for (int k = 0; k < ft->n; k++) {
                Graph *g = ft->fns[k].graph;
                Type *ann = g && g->param_ann ? g->param_ann[ix] : NULL;
                if (ann && (ann->kind == T_INT || ann->kind == T_BOOL))
                    return infer_error(tc, app->loc, false,
                                       "%s(): cannot differentiate with respect to parameter '%s' of '%s': it is "
                                       "declared '%s'",
                                       op_names[op], g->params[ix]->name ? g->params[ix]->name : "?",
                                       graph_what(g), infer_type_name(tc, ann));
            }
        }
    }
    double t0 = timer_now();
    Graph *w = grad_operator(tc->grad, app, arity);
    tc->j_seconds += timer_now() - t0;
    if (!w)
        return infer_error(tc, app->loc, false, GRAD_TOO_DEEP_MSG, GRAD_MAX_DEPTH);
    int nv = n - (first - 1);
    Node **in = xmalloc(sizeof(Node *) * (size_t)(nv + 1));
    in[0] = ir_const_graph(tc->m, w, app->loc);
    for (int i = 0; i < nv; i++)
        in[1 + i] = app->app.in[first + i];
    ir_apply_set_inputs(app, in, nv + 1);
    free(in);
    tc->grew = true;
    tc->grew_at = app->loc;
    return NULL;
}

/* ---- setup ------------------------------------------------------------------------ */

/*
 * The graph whose frame a closure of the nested function g really needs:
 * the innermost enclosing graph that owns something g reads (its free
 * variables, including what the functions it creates read), or NULL when
 * g reads nothing from enclosing frames.  A closure's context is then the
 * instance of that graph's function, not necessarily of g's creator, so
 * `rec(n - 1, lambda a: a + 1.0)` inside a recursive rec gives the same
 * closure type at every level instead of a new specialisation per level.
 */
static Graph *closure_home(const Graph *g)
{
    NodeVec fv = {0};
    ir_free_variables(g, &fv);
    Graph *home = NULL;
    for (Graph *a = g->parent; a && !home; a = a->parent)
        for (int i = 0; i < fv.len && !home; i++)
            if (fv.data[i]->graph == a)
                home = a;
    vec_free(&fv);
    return home;
}

static void setup(TypeCtx *tc)
{
    Module *m = tc->m;
    tc->qhead = 0;
    tc->cur = NULL;
    tc->settled = false;
    tc->fninfo = xcalloc(m->ngraph_ids, sizeof(FnInfo *));
    tc->glocal = xcalloc(m->ngraph_ids, sizeof(int));
    tc->local = xmalloc(sizeof(int) * (m->nnodes ? m->nnodes : 1));
    memset(tc->local, 0xff, sizeof(int) * (m->nnodes ? m->nnodes : 1));
    for (int i = 0; i < m->graphs.len; i++) {
        Graph *g = m->graphs.data[i];
        if (g->fn == g) {
            FnInfo *fi = ARENA_NEW(tc->arena, FnInfo);
            fi->fn = g;
            vec_push(&fi->graphs, g);
            tc->fninfo[g->id] = fi;
        }
    }
    tc->known_graphs = m->ngraph_ids;
    if (tc->ntables < m->ngraph_ids) {     /* the same in every round, extended for new graphs */
        uint32_t old = tc->ntables, n = m->ngraph_ids;
        tc->home = xrealloc(tc->home, sizeof(Graph *) * n);
        tc->by_site = xrealloc(tc->by_site, n);
        tc->by_caller = xrealloc(tc->by_caller, n);
        memset(tc->home + old, 0, sizeof(Graph *) * (n - old));
        memset(tc->by_site + old, 0, n - old);
        memset(tc->by_caller + old, 0, n - old);
        for (int i = 0; i < m->graphs.len; i++) {
            Graph *g = m->graphs.data[i];
            if (g->id >= old && g->kind == G_FUNCTION && g->parent) {
                /* an extension's closures are made from its companion's, over
                   the same frame (it may read an outer value directly where
                   the companion reads the frame's copy of it) */
                Graph *c = grad_extension_companion(tc->grad, g);
                tc->home[g->id] = c && c->id < g->id ? tc->home[c->id] : closure_home(g);
            }
        }
        tc->ntables = n;
    }
    for (int i = 0; i < m->graphs.len; i++) {
        Graph *g = m->graphs.data[i];
        if (g->fn != g) {
            FnInfo *fi = tc->fninfo[g->fn->id];
            tc->glocal[g->id] = fi->graphs.len;
            vec_push(&fi->graphs, g);
        }
    }
    for (int i = 0; i < m->graphs.len; i++) {
        FnInfo *fi = tc->fninfo[m->graphs.data[i]->id];
        if (!fi)
            continue;
        fi->bodies = xcalloc((size_t)fi->graphs.len, sizeof(NodeVec));
        for (int gi = 0; gi < fi->graphs.len; gi++) {
            Graph *g = fi->graphs.data[gi];
            for (int p = 0; p < g->nparams; p++)
                tc->local[g->params[p]->id] = fi->nlocal++;
            ir_graph_body(g, &fi->bodies[gi]);
            for (int k = 0; k < fi->bodies[gi].len; k++)
                tc->local[fi->bodies[gi].data[k]->id] = fi->nlocal++;
        }
    }
}

static void teardown(TypeCtx *tc)
{
    idmap_free(&tc->has_lists);
    for (int i = 0; i < tc->all.len; i++) {
        Inst *inst = tc->all.data[i];
        free_errs(&inst->errors);
        free_errs(&inst->lasting);
        vec_free(&inst->children);
        vec_free(&inst->callees);
        vec_free(&inst->indirect);
        vec_free(&inst->sites);
        for (int g = 0; g < inst->fi->graphs.len; g++)
            vec_free(&inst->slots[g]->readers);
    }
    for (int i = 0; i < tc->m->graphs.len; i++) {
        Graph *g = tc->m->graphs.data[i];
        FnInfo *fi = g->id < tc->known_graphs ? tc->fninfo[g->id] : NULL;   /* newer graphs: not set up */
        if (!fi)
            continue;
        for (int gi = 0; gi < fi->graphs.len; gi++)
            vec_free(&fi->bodies[gi]);
        free(fi->bodies);
        vec_free(&fi->graphs);
        vec_free(&fi->insts);
    }
    free(tc->fninfo);
    free(tc->glocal);
    free(tc->local);
    vec_free(&tc->queue);
    vec_free(&tc->all);
    vec_free(&tc->indirect);
}

/* ---- reachability and error reporting ---------------------------------------------------- */

/* Appends to out every instance reachable through calls from the n roots;
   NULL roots are skipped. */
void infer_reachable_from(TypeCtx *tc, Inst *const *roots, int n, InstVec *out)
{
    unsigned gen = ++tc->reach_gen;
    InstVec work = {0};
    for (int r = 0; r < n; r++)
        if (roots[r] && roots[r]->reach != gen) {
            roots[r]->reach = gen;
            vec_push(&work, roots[r]);
        }
    while (work.len) {
        Inst *inst = vec_pop(&work);
        vec_push(out, inst);
        for (int i = 0; i <= inst->callees.len; i++) {
            Inst *c = i < inst->callees.len ? inst->callees.data[i] : inst->source;
            if (c && c->reach != gen) {
                c->reach = gen;
                vec_push(&work, c);
            }
        }
    }
    vec_free(&work);
}

static void mark_reachable(TypeCtx *tc, Inst *root, InstVec *out)
{
    infer_reachable_from(tc, &root, 1, out);
}

/* Whether t is, or is a tuple holding, a value of kind k. */
static bool mentions_kind(const Type *t, TypeKind k)
{
    if (!t || t == TY_ERR)
        return false;
    if (t->kind == k)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (mentions_kind(t->elems[i], k))
            return true;
    return false;
}

/* Whether an export entry's signature can be a C signature (contract
   sections 3 and 5.5): no function among its parameters or in its result,
   and every list in them one the C ABI passes (type_unpassable_list).  If not,
   says which in e. */
static bool exportable_signature(Inst *inst, InferEntry *e)
{
    for (int i = 0; i < inst->nargs; i++)
        if (mentions_kind(inst->args[i], T_FUNC)) {
            e->dropped = DROP_PARAM_FN;
            e->param = i;
            return false;
        }
    const Type *r = find(inst->slots[0])->type;
    if (mentions_kind(r, T_FUNC)) {
        e->dropped = DROP_RESULT_FN;
        return false;
    }
    for (int i = 0; i < inst->nargs; i++)
        if (inst->args[i] != TY_ERR && (e->list = type_unpassable_list(inst->args[i]))) {
            e->list_whole = e->list == inst->args[i];
            e->dropped = DROP_PARAM_LIST;
            e->param = i;
            return false;
        }
    if (r != TY_ERR && (e->list = type_unpassable_list(r))) {
        e->list_whole = e->list == r;
        e->dropped = DROP_RESULT_LIST;
        return false;
    }
    return true;
}

/* The first (in the source) of errs, all shape errors: why entry e is not
   exported. */
static void note_misuse(InferEntry *e, const ErrVec *errs)
{
    const InstError *first = NULL;
    for (int i = 0; i < errs->len; i++) {
        const InstError *x = &errs->data[i];
        if (!first || x->loc.line < first->loc.line ||
            (x->loc.line == first->loc.line && x->loc.col < first->loc.col))
            first = x;
    }
    e->dropped = DROP_PARAM_USE;
    e->param = first && first->param < e->fn->nparams ? first->param : -1;
    e->as = first ? first->as : MISUSE_OTHER;
    e->at = first ? first->loc : e->fn->loc;
}

static bool has_own_errors(Inst *inst)
{
    if (inst->errors.len || inst->lasting.len || !find(inst->slots[0])->type)
        return true;
    for (int gi = 0; gi < inst->fi->graphs.len; gi++)
        if (find(inst->slots[gi])->clash_a)
            return true;
    return false;
}

/*
 * Sets to_error on every instance from which an instance with errors of
 * its own is reachable: a walk backwards from those, once, so that the
 * entries with nothing wrong (nearly all of them, in a large file) need no
 * walk of their own.
 */
static void errors_ahead(TypeCtx *tc)
{
    int n = tc->all.len;
    int *count = xcalloc((size_t)n + 1, sizeof(int)), *start = xcalloc((size_t)n + 2, sizeof(int));
    for (int i = 0; i < n; i++) {
        Inst *inst = tc->all.data[i];
        inst->to_error = false;
        for (int k = 0; k < inst->callees.len; k++)
            count[inst->callees.data[k]->id]++;
    }
    for (int i = 0; i < n; i++)
        start[i + 1] = start[i] + count[i];
    Inst **pred = xmalloc(sizeof(Inst *) * (size_t)(start[n] ? start[n] : 1));
    memset(count, 0, sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        Inst *inst = tc->all.data[i];
        for (int k = 0; k < inst->callees.len; k++) {
            int c = inst->callees.data[k]->id;
            pred[start[c] + count[c]++] = inst;
        }
    }
    InstVec work = {0};
    for (int i = 0; i < n; i++)
        if (has_own_errors(tc->all.data[i])) {
            tc->all.data[i]->to_error = true;
            vec_push(&work, tc->all.data[i]);
        }
    while (work.len) {
        Inst *inst = vec_pop(&work);
        for (int k = start[inst->id]; k < start[inst->id + 1]; k++)
            if (!pred[k]->to_error) {
                pred[k]->to_error = true;
                vec_push(&work, pred[k]);
            }
    }
    vec_free(&work);
    free(pred);
    free(count);
    free(start);
}

static void collect_errors(TypeCtx *tc, InstVec *reach, ErrVec *out)
{
    for (int i = 0; i < reach->len; i++) {
        Inst *inst = reach->data[i];
        for (int k = 0; k < inst->errors.len; k++)
            infer_record_copy(out, &inst->errors.data[k]);
        for (int k = 0; k < inst->lasting.len; k++)
            infer_record_copy(out, &inst->lasting.data[k]);
        for (int gi = 0; gi < inst->fi->graphs.len; gi++) {
            Slot *r = find(inst->slots[gi]);
            if (!r->clash_a)
                continue;
            StrBuf sb = {0};
            if (r->clash_other)
                sb_printf(&sb, "'%s' and '%s' may both be called here but declare different result types, "
                          "'%s' and '%s'", r->ann_what, r->clash_other, infer_type_name(tc, r->clash_a),
                          infer_type_name(tc, r->clash_b));
            else if (r->ann && (r->clash_a == r->ann || r->clash_b == r->ann) && r->ann_what && r->what &&
                     strcmp(r->ann_what, r->what) != 0)   /* the result of another function called alike */
                sb_printf(&sb, "this returns '%s', but is called where '%s' (declared to return '%s') may be "
                          "called too", infer_type_name(tc, r->clash_a == r->ann ? r->clash_b : r->clash_a),
                          r->ann_what, infer_type_name(tc, r->ann));
            else if (r->ann && (r->clash_a == r->ann || r->clash_b == r->ann))
                sb_printf(&sb, "'%s' is declared to return '%s' but returns '%s' here",
                          r->ann_what ? r->ann_what : r->what,
                          infer_type_name(tc, r->ann),
                          infer_type_name(tc, r->clash_a == r->ann ? r->clash_b : r->clash_a));
            else if (r->what)
                sb_printf(&sb, "incompatible types '%s' and '%s' for the result of '%s'",
                          infer_type_name(tc, r->clash_a), infer_type_name(tc, r->clash_b), r->what);
            else
                sb_printf(&sb, "the branches here have incompatible types '%s' and '%s'",
                          infer_type_name(tc, r->clash_a), infer_type_name(tc, r->clash_b));
            InstError e = {.loc = r->clash_loc, .msg = (char *)sb_cstr(&sb), .param = -1, .as = MISUSE_OTHER};
            clash_misuse(r->clash_a, r->clash_b, &e);
            infer_record_copy(out, &e);
            sb_free(&sb);
        }
    }
}

static bool reaches_among_bottom(Inst *from, Inst *to)
{
    InstVec work = {0}, seen = {0};
    vec_push(&work, from);
    bool found = false;
    while (work.len && !found) {
        Inst *x = vec_pop(&work);
        bool dup = false;
        for (int i = 0; i < seen.len; i++)
            dup |= seen.data[i] == x;
        if (dup)
            continue;
        vec_push(&seen, x);
        for (int i = 0; i < x->callees.len; i++) {
            Inst *c = x->callees.data[i];
            if (c == to)
                found = true;
            else if (!find(c->slots[0])->type)
                vec_push(&work, c);
        }
    }
    vec_free(&work);
    vec_free(&seen);
    return found;
}

/* A read of an item of a list that stays empty (list[?]) in inst, whose
   value therefore has no type: the cause to report, or NULL. */
static Node *empty_list_read(TypeCtx *tc, Inst *inst)
{
    FnInfo *fi = inst->fi;
    for (int gi = 0; gi < fi->graphs.len; gi++) {
        for (int k = 0; k < fi->bodies[gi].len; k++) {
            Node *a = fi->bodies[gi].data[k];
            Node *c = a->app.in[0];
            if (a->app.n < 2 || c->kind != N_CONST || c->k.kind != K_PRIM || inst->types[tc->local[a->id]])
                continue;
            PrimId p = c->k.u.prim;
            if (!prim_reads_item(p) && p != P_GETITEM && p != P_LIST_POP && p != P_LIST_MIN && p != P_LIST_MAX)
                continue;
            Type *lt = infer_node_type(tc, inst, a->app.in[1]);
            if (lt && lt != TY_ERR && lt->kind == T_LIST && !type_list_elem(lt))
                return a;
        }
    }
    return NULL;
}

/* Functions that never return a value: reported where the cause is (a
   function whose bottom result does not come from another such function it
   calls, unless that one calls it back; a read of an item of a list that is
   always empty). */
static void collect_bottoms(TypeCtx *tc, InstVec *reach, ErrVec *out)
{
    for (int i = 0; i < reach->len; i++) {
        Inst *inst = reach->data[i];
        if (find(inst->slots[0])->type)
            continue;
        bool caused_elsewhere = false;
        for (int k = 0; k < inst->callees.len && !caused_elsewhere; k++) {
            Inst *c = inst->callees.data[k];
            if (c != inst && !find(c->slots[0])->type && !reaches_among_bottom(c, inst))
                caused_elsewhere = true;
        }
        if (caused_elsewhere)
            continue;
        Node *er = empty_list_read(tc, inst);
        if (er) {
            infer_record_error(out, er->loc, false,
                               "the items of this list have no known type: it is always empty here (annotate the "
                               "variable it comes from, as in 'xs: list[float] = []')");
            continue;
        }
        Graph *fn = inst->fi->fn;
        StrBuf sb = {0};
        sb_printf(&sb, "cannot infer the type of '%s': no path through it returns a value without "
                  "calling itself again", graph_what(fn));
        infer_record_error(out, fn->loc, false, sb_cstr(&sb));
        sb_free(&sb);
    }
}


/* ---- function values reaching calls of different signatures -------------------------- */

static void merge_calls(CallVec *dst, const CallVec *src)
{
    for (int k = 0; k < src->len; k++) {
        const IndirectCall *c = &src->data[k];
        FnRef r = {c->g, -1, c->ctx, c->site};
        record_indirect(dst, &r, c->callee);
    }
}

/* After the fixpoint: the calls through function values made by every
   instance reachable from the entries. */
static void merge_value_calls(TypeCtx *tc, Inst **roots, int n)
{
    tc->indirect.len = 0;
    InstVec reach = {0};
    infer_reachable_from(tc, roots, n, &reach);
    for (int i = 0; i < reach.len; i++)
        merge_calls(&tc->indirect, &reach.data[i]->indirect);
    vec_free(&reach);
}

/* t with the default-float marker replaced by float (in tuples and lists too). */
Type *infer_plain(TypeCtx *tc, Type *t)
{
    if (infer_is_default_float(t))
        return type_float(tc->tt);
    if (t && t != TY_ERR && t->kind == T_LIST)
        return t->n ? type_list(tc->tt, infer_plain(tc, t->elems[0])) : t;
    if (!t || t == TY_ERR || t->kind != T_TUPLE)
        return t;
    Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n ? t->n : 1));
    for (int i = 0; i < t->n; i++)
        el[i] = infer_plain(tc, t->elems[i]);
    Type *r = type_tuple(tc->tt, el, t->n);
    free(el);
    return r;
}

/* Two instances of one function whose code is the same: their signatures
   differ at most by the default-float marker. */
bool infer_same_signature(TypeCtx *tc, Inst *a, Inst *b)
{
    if (a->nargs != b->nargs)
        return false;
    for (int i = 0; i < a->nargs; i++)
        if (infer_plain(tc, a->args[i]) != infer_plain(tc, b->args[i]))
            return false;
    return true;
}

void infer_signature_str(Inst *inst, StrBuf *sb)
{
    sb_putc(sb, '(');
    for (int k = 0; k < inst->nargs; k++) {
        if (k)
            sb_puts(sb, ", ");
        type_str(inst->args[k], sb);
    }
    sb_putc(sb, ')');
}

/*
 * A specialised function value is one graph, so every call it reaches must
 * use one signature.  When values of one function reach calls of
 * different signatures (apply(sq, 1) and apply(sq, 1.5)), that function's
 * values are told apart by the Constant they come from, and inference runs
 * again (returns true); when a single value does (g = sq; g(1) + g(1.5)),
 * that is an error at the value.
 */
static bool value_conflicts(TypeCtx *tc, ErrVec *errs)
{
    bool again = false;
    for (int i = 0; i < tc->indirect.len; i++) {
        IndirectCall *a = &tc->indirect.data[i];
        for (int j = i + 1; j < tc->indirect.len; j++) {
            IndirectCall *b = &tc->indirect.data[j];
            if (a->g != b->g || a->ctx != b->ctx || a->site != b->site || a->callee == b->callee ||
                infer_same_signature(tc, a->callee, b->callee))
                continue;
            if (!a->site) {
                again |= !tc->by_site[a->g->id];
                tc->by_site[a->g->id] = 1;
                continue;
            }
            /* One constant in one instance made values called differently:
               the instance is called from several places (a factory); tell
               its calls apart, once, before calling it an error. */
            Graph *maker = ((const Site *)a->site)->inst->fi->fn;
            if (maker->kind == G_FUNCTION && !tc->by_caller[maker->id]) {
                tc->by_caller[maker->id] = 1;
                again = true;
                continue;
            }
            StrBuf sa = {0}, sb = {0}, msg = {0};
            infer_signature_str(a->callee, &sa);
            infer_signature_str(b->callee, &sb);
            sb_printf(&msg, "this value of '%s' is called with different argument types, %s and %s; "
                      "a function value needs one signature (annotate its parameters)",
                      graph_what(a->g), sb_cstr(&sa), sb_cstr(&sb));
            infer_record_error(errs, ((const Site *)a->site)->node->loc, false, sb_cstr(&msg));
            sb_free(&sa);
            sb_free(&sb);
            sb_free(&msg);
        }
    }
    return again;
}

/* ---- the entry point --------------------------------------------------------------------------- */

static Inst *entry_instance(TypeCtx *tc, InferEntry *e)
{
    Graph *g = e->fn;
    Type **key = xmalloc(sizeof(Type *) * (size_t)(g->nparams ? g->nparams : 1));
    Type **args = xmalloc(sizeof(Type *) * (size_t)(g->nparams ? g->nparams : 1));
    for (int i = 0; i < g->nparams; i++) {
        Type *ann = g->param_ann ? g->param_ann[i] : NULL;
        args[i] = e->args && e->args[i] ? e->args[i] : ann ? ann : e->required ? type_float(tc->tt)
                                                                             : default_float_of_param(i);
    }
    Inst *inst = NULL;
    tc->cur = NULL;
    if (apply_annotations(tc, g, args, key, g->loc))
        inst = get_inst(tc, g, NULL, key, g->nparams, false, NULL, NULL, g->loc);
    free(key);
    free(args);
    return inst;
}

/*
 * The three reasons infer_module runs the engine again, from scratch (a
 * type that grew cannot shrink, so what a run found out changes the
 * starting point, not the run in progress), one function each, the inner
 * ones called by the outer.  roots[e] receives entry e's instance (NULL
 * for an entry no longer active); every run ends at a fixpoint, left in tc
 * until the next run's teardown.
 */

/*
 * One run from the active entries.  While it runs, the differentiation
 * transforms add graphs to the module (the transform of a function that J
 * is applied to, the graph of an operator once its function's arity is
 * known); setup made no room for them, so the types that need them stay
 * unknown (TypeCtx.grew) until the run is repeated with them.  Each level
 * of nested operators costs a run: at most INFER_MAX_EXPANSIONS in all.
 * Returns false when that limit stopped it (after recording the error).
 */
static bool run_expanding(TypeCtx *tc, InferEntry *entries, Inst **roots, const bool *active, int n)
{
    for (;;) {
        setup(tc);
        free_errs(&tc->entry_errors);
        for (int e = 0; e < n; e++) {
            entries[e].result = NULL;
            roots[e] = active[e] ? entry_instance(tc, &entries[e]) : NULL;
        }
        run_queue(tc);
        if (!tc->grew)
            settle(tc);
        if (!tc->grew)
            return true;
        /* differentiation made graphs: type again with them */
        tc->grew = false;
        if (++tc->expansions > INFER_MAX_EXPANSIONS) {
            infer_record_error(&tc->entry_errors, tc->grew_at, false,
                               arena_printf(tc->arena, "differentiation operators are nested too deeply (limit %d "
                                            "rounds of inference)", INFER_MAX_EXPANSIONS));
            return false;
        }
        teardown(tc);
    }
}

/*
 * Runs (run_expanding) until every function value that reaches calls is
 * called at one signature.  When values of one function reach calls of
 * different signatures, value_conflicts tells that function's values
 * apart by origin (by_site), or the function making them by call site
 * (by_caller), and the engine runs again: every type computed from those
 * values may change.  Each function is told apart once, so this ends; past
 * INFER_MAX_ROUNDS runs it stops with an error.  Conflicts that telling
 * apart cannot resolve are errors; both kinds go to value_errs.
 */
static void run_values_apart(TypeCtx *tc, InferEntry *entries, Inst **roots, const bool *active, int n,
                             ErrVec *value_errs)
{
    for (int round = 0;; round++) {
        /* a run the expansion limit stopped is not counted as a round (a
           run repeated for the transforms' graphs never is) */
        if (!run_expanding(tc, entries, roots, active, n))
            round--;
        merge_value_calls(tc, roots, n);
        free_errs(value_errs);
        if (!value_conflicts(tc, value_errs))
            return;
        if (round == INFER_MAX_ROUNDS) {
            Graph *where = tc->m->tops.len ? tc->m->tops.data[0].graph : NULL;
            infer_record_error(value_errs, where ? where->loc : LOC_NONE, false,
                               arena_printf(tc->arena, "function values are passed around in too many ways to "
                                            "specialise (limit %d rounds of inference)", INFER_MAX_ROUNDS));
            return;
        }
        teardown(tc);       /* again, with more functions' values told apart */
    }
}

/* Decides, per active entry, whether it is kept, dropped (an export entry
   whose signature cannot be a C signature, or whose only errors are shape
   errors on its marked floats: nothing to report) or in error (its errors
   go to report).  Returns whether one was dropped. */
static bool decide_entries(TypeCtx *tc, InferEntry *entries, Inst **roots, bool *active, int n, ErrVec *report)
{
    free_errs(report);
    bool dropped = false;
    InstVec reach = {0};
    errors_ahead(tc);
    for (int e = 0; e < n; e++) {
        if (roots[e] && !entries[e].required && roots[e]->fi->fn->kind == G_FUNCTION &&
            !exportable_signature(roots[e], &entries[e])) {
            roots[e] = NULL;    /* not exportable, and nothing to report */
            active[e] = false;
            dropped = true;
            continue;
        }
        if (!roots[e] || !roots[e]->to_error)
            continue;
        reach.len = 0;
        mark_reachable(tc, roots[e], &reach);
        ErrVec errs = {0};
        collect_errors(tc, &reach, &errs);
        collect_bottoms(tc, &reach, &errs);
        bool only_shape = true;
        for (int i = 0; i < errs.len; i++)
            only_shape &= errs.data[i].shape;
        if (errs.len) {
            if (!(only_shape && !entries[e].required))
                for (int i = 0; i < errs.len; i++) {
                    InstError c = errs.data[i];
                    c.shape = false;
                    infer_record_copy(report, &c);
                }
            else {
                note_misuse(&entries[e], &errs);
                active[e] = false;
                dropped = true;
            }
            roots[e] = NULL;
        }
        free_errs(&errs);
    }
    vec_free(&reach);
    return dropped;
}

/*
 * Runs (run_values_apart) and decides the entries, until none is dropped.
 * Export entries found not exportable are dropped silently -- and then
 * inference runs again without them: their instances (typed with marked
 * floats, full of expected errors) must not share return types, through
 * instances both worlds reach, with what is kept.  Errors end it: they are
 * reported as they are.
 */
static void run_kept_entries(TypeCtx *tc, InferEntry *entries, Inst **roots, bool *active, int n,
                             ErrVec *value_errs, ErrVec *report)
{
    for (;;) {
        run_values_apart(tc, entries, roots, active, n, value_errs);
        bool dropped = decide_entries(tc, entries, roots, active, n, report);
        if (!dropped || report->len || tc->entry_errors.len || value_errs->len)
            return;
        teardown(tc);       /* again, without the dropped entries */
    }
}

Module *infer_module(Module *m, Diags *d, InferEntry *entries, int n, double *j_seconds)
{
    TypeCtx tc = {0};
    tc.m = m;
    tc.d = d;
    tc.tt = m->types;
    tc.arena = m->arena;
    tc.grad = grad_state_new(m);
    Inst **roots = xcalloc((size_t)(n ? n : 1), sizeof(Inst *));
    bool *active = xmalloc(sizeof(bool) * (size_t)(n ? n : 1));
    for (int e = 0; e < n; e++) {
        active[e] = true;
        entries[e].dropped = DROP_NONE;
        entries[e].param = -1;
    }
    int errors_before = d->nerrors;
    ErrVec value_errs = {0}, report = {0};
    run_kept_entries(&tc, entries, roots, active, n, &value_errs, &report);
    for (int i = 0; i < tc.entry_errors.len; i++)
        diag_error(d, tc.entry_errors.data[i].loc, "%s", tc.entry_errors.data[i].msg);
    for (int i = 0; i < value_errs.len; i++)
        diag_error(d, value_errs.data[i].loc, "%s", value_errs.data[i].msg);
    for (int i = 0; i < report.len; i++) {
        diag_error(d, report.data[i].loc, "%s", report.data[i].msg);
        for (int k = 0; k < report.data[i].nnotes; k++)
            diag_note(d, report.data[i].note_loc[k], "%s", report.data[i].note[k]);
    }
    free_errs(&tc.entry_errors);
    free_errs(&value_errs);
    free_errs(&report);
    free(active);

    Module *spec = NULL;
    if (d->nerrors == errors_before) {
        spec = infer_specialise(&tc, entries, roots, n);
    } else {
        for (int e = 0; e < n; e++)
            entries[e].result = NULL;
    }
    free(roots);
    teardown(&tc);
    free(tc.by_site);
    free(tc.by_caller);
    free(tc.home);
    grad_state_free(tc.grad);
    if (j_seconds)
        *j_seconds = tc.j_seconds;
    return spec;
}
