/*
 * specialise.c: the specialised module, built from inference's fixpoint.
 *
 * Assumes: infer.c's engine at its final fixpoint with no error reported
 * (infer_impl.h): every instance reachable from the kept entries typed, the
 * instance each call reaches known (Inst.direct; TypeCtx.indirect for calls
 * through function values, each value called at one signature), the
 * graphs the differentiation transforms made typed with the rest, and
 * their memo (TypeCtx.grad) alive: J and Jfwd of a function value name its
 * transform.
 * Guarantees: infer.h's -- a new module, sharing the untyped one's arena
 * and type table, of one clone per reachable instance (instances whose
 * code came out the same share one), every node typed, every call pointing
 * at the clone it reaches, explicit conversions where the language
 * converts implicitly, the differentiation primitives resolved (J and Jfwd
 * to rebind, the sensitivity primitives to conversions or symbolic zeros);
 * and the errors only the final types show (a result an operator cannot
 * differentiate, functions called through one value at different
 * signatures) reported.
 *
 * Clones are made on first request, empty, and filled from a worklist, so
 * a chain of calls is never a recursion.  A function value no call reaches
 * is never typed: its clone's body is unreachable().
 */
#include "infer_impl.h"

#include <string.h>

static Graph *clone_of(TypeCtx *tc, Inst *inst, int gi);
static Type *translate(TypeCtx *tc, Type *t, Loc loc);

/* The instance a function value stands for: the one the calls it reaches
   use (value_conflicts has made sure there is one). */
static Inst *value_instance(TypeCtx *tc, const FnRef *r)
{
    for (int i = 0; i < tc->indirect.len; i++) {
        IndirectCall *c = &tc->indirect.data[i];
        if (c->g == r->graph && c->ctx == r->ctx && c->site == r->site)
            return c->callee;
    }
    return NULL;        /* no call reaches this value */
}

/*
 * A function value that no call reaches (passed along, stored, compared,
 * but never called) needs no specialised body: inference has proved the
 * body never runs, and typing it with guessed parameter types could only
 * produce errors CPython never raises.  It is represented by a graph of the
 * same arity whose body is unreachable(); one per function, so such values
 * of one function compare equal.
 */
static Graph *uncalled_graph(TypeCtx *tc, Graph *g, Inst *ctx)
{
    /* nested where a clone of g would be: J(x) of such a value (a closure
       passed only to grad, say) is a closure over the same frame */
    Graph *parent = NULL, *anchor = anchor_of(tc, g);
    if (anchor && ctx) {
        Inst *pi = ctx_for(ctx, anchor->fn);
        parent = pi ? clone_of(tc, pi, tc->glocal[anchor->id]) : NULL;
    }
    if (!parent && tc->uncalled[g->id])
        return tc->uncalled[g->id];
    for (int i = 0; parent && i < tc->uncalled_nested.len; i++) {
        Graph *u = tc->uncalled_nested.data[i];
        if (u->origin == g && u->parent == parent)
            return u;
    }
    Module *s = tc->spec;
    Graph *u = ir_graph_new(s, G_FUNCTION, arena_printf(tc->arena, "%s!uncalled", g->name), parent, g->loc);
    u->src_name = g->src_name;
    ir_graph_copy_provenance(u, g);
    u->origin = g;
    for (int i = 0; i < g->nparams; i++) {
        Type *ann = g->param_ann ? g->param_ann[i] : NULL;
        ir_add_param(u, g->params[i]->name, g->params[i]->loc)->type = ann ? ann : type_float(tc->tt);
    }
    Node *callee = ir_const_prim(s, P_UNREACHABLE, g->loc);
    callee->type = fnref_type(tc, NULL, P_UNREACHABLE, NULL);
    Node *out = ir_apply(u, &callee, 1, g->loc);
    out->type = u->ret_type = type_float(tc->tt);
    ir_set_output(u, out);
    if (parent)
        vec_push(&tc->uncalled_nested, u);
    else
        tc->uncalled[g->id] = u;
    return u;
}

static bool opt_is_unreachable_stand_in(const Graph *g)
{
    return g->output && g->output->kind == N_APPLY && ir_is_const_prim(g->output->app.in[0], P_UNREACHABLE);
}

static Graph *graph_for_ref(TypeCtx *tc, FnRef *r)
{
    Graph *g = r->graph;
    Inst *ctx = (Inst *)r->ctx;
    if (g->kind == G_BLOCK || g->kind == G_BRANCH)
        return clone_of(tc, ctx, tc->glocal[g->id]);
    Inst *ci = value_instance(tc, r);
    return ci ? clone_of(tc, ci, 0) : uncalled_graph(tc, g, ctx);
}

static Type *translate(TypeCtx *tc, Type *t, Loc loc)
{
    if (infer_is_default_float(t))
        return type_float(tc->tt);
    if (!t || t == TY_ERR || type_is_scalar(t) || t->kind == T_ZERO || t->kind == T_ENV)
        return t;
    if (t->kind == T_TUPLE) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n ? t->n : 1));
        for (int i = 0; i < t->n; i++)
            el[i] = translate(tc, t->elems[i], loc);
        Type *r = type_tuple(tc->tt, el, t->n);
        free(el);
        return r;
    }
    if (t->kind == T_LIST)
        return t->n ? type_list(tc->tt, translate(tc, t->elems[0], loc)) : t;
    FnRef *refs = xmalloc(sizeof(FnRef) * (size_t)(t->n ? t->n : 1));
    int n = 0;
    for (int i = 0; i < t->n; i++) {
        FnRef r = {NULL, t->fns[i].prim, NULL, NULL};
        if (t->fns[i].graph) {
            r.graph = graph_for_ref(tc, &t->fns[i]);
            if (!r.graph)
                continue;
        }
        refs[n++] = r;
    }
    Type *res = type_func(tc->tt, refs, n);
    free(refs);
    return res;
}

/* The name of an instance's clones: the function's own name for the first
   one when the function has one reachable instance, else the signature,
   as in f[float,int] (numbered when that repeats under several enclosing
   instances). */
static const char *instance_name(TypeCtx *tc, Inst *inst)
{
    if (inst->clone_name)
        return inst->clone_name;
    FnInfo *fi = inst->fi;
    Graph *fn = fi->fn;
    bool first = true;
    for (int i = 0; i < fi->insts.len; i++)
        if (fi->insts.data[i] != inst && fi->insts.data[i]->clone_name)
            first = false;
    if (first && fi->nreach <= 1) {
        inst->clone_name = fn->name;
        return fn->name;
    }
    StrBuf sb = {0};
    sb_printf(&sb, "%s[", fn->name);
    for (int i = 0; i < inst->nargs; i++) {
        if (i)
            sb_putc(&sb, ',');
        type_str(inst->args[i], &sb);
    }
    sb_putc(&sb, ']');
    size_t base = sb.len;
    for (int k = 2;; k++) {
        bool taken = false;
        for (int i = 0; i < fi->insts.len && !taken; i++) {
            Inst *o = fi->insts.data[i];
            taken = o != inst && o->clone_name && strcmp(o->clone_name, sb_cstr(&sb)) == 0;
        }
        if (!taken)
            break;
        sb.len = base;
        sb_printf(&sb, "#%d", k);
    }
    inst->clone_name = arena_strdup(tc->arena, sb_cstr(&sb));
    sb_free(&sb);
    return inst->clone_name;
}

/* The clone of graph gi of inst: made (empty) on first request and queued
   to have its body built. */
static Graph *clone_of(TypeCtx *tc, Inst *inst, int gi)
{
    inst = inst->canon ? inst->canon : inst;
    FnInfo *fi = inst->fi;
    if (!inst->clones) {
        int ng = fi->graphs.len;
        inst->clones = ARENA_ARRAY(tc->arena, Graph *, ng);
        inst->map = ARENA_ARRAY(tc->arena, Node *, fi->nlocal ? fi->nlocal : 1);
    }
    if (inst->clones[gi])
        return inst->clones[gi];
    if (gi == 0 && inst->source)        /* the source of a transform, beside it (infer.c, get_inst) */
        clone_of(tc, inst->source, 0);
    Graph *g = fi->graphs.data[gi];
    Graph *parent = NULL, *anchor = anchor_of(tc, g);
    if (anchor) {
        Inst *pi = ctx_for(inst, anchor->fn);
        parent = clone_of(tc, pi, tc->glocal[anchor->id]);
    }
    const char *fname = instance_name(tc, inst);
    const char *name = g->name;
    size_t fl = strlen(fi->fn->name);
    if (fname != fi->fn->name && strncmp(g->name, fi->fn->name, fl) == 0)
        name = arena_printf(tc->arena, "%s%s", fname, g->name + fl);
    Graph *ng = ir_graph_new(tc->spec, g->kind, name, parent, g->loc);
    ng->src_name = g->src_name;
    ng->origin = g;
    ng->loop = g->loop;
    ir_graph_copy_provenance(ng, g);
    inst->clones[gi] = ng;
    vec_push(&tc->fill, ng);
    vec_push(&tc->fill_inst, inst);
    vec_push(&tc->fill_gi, gi);
    return ng;
}

static Node *typed(Node *n, Type *t)
{
    n->type = t;
    return n;
}

/* A typed application of primitive p to one or two arguments (b may be NULL). */
static Node *prim_call(TypeCtx *tc, Graph *ng, PrimId p, Type *t, Loc loc, Node *a, Node *b)
{
    Node *in[3] = {typed(ir_const_prim(tc->spec, p, loc), fnref_type(tc, NULL, (int)p, NULL)), a, b};
    return typed(ir_apply(ng, in, b ? 3 : 2, loc), t);
}

/* x[i], x of inference tuple type t, in graph ng. */
static Node *tuple_item(TypeCtx *tc, Graph *ng, Node *x, Type *t, int i, Loc loc)
{
    Node *ix = typed(ir_const_int(tc->spec, i, loc), type_int(tc->tt));
    return prim_call(tc, ng, P_GETITEM, translate(tc, t->elems[i], loc), loc, x, ix);
}

/* make_tuple(el[0..n-1]) in graph ng, of inference type t. */
static Node *typed_tuple(TypeCtx *tc, Graph *ng, Node *const *el, int n, Type *t, Loc loc)
{
    Node **in = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    in[0] = typed(ir_const_prim(tc->spec, P_MAKE_TUPLE, loc), fnref_type(tc, NULL, P_MAKE_TUPLE, NULL));
    memcpy(in + 1, el, sizeof(Node *) * (size_t)n);
    Node *r = typed(ir_apply(ng, in, n + 1, loc), translate(tc, t, loc));
    free(in);
    return r;
}

/* Converts x (of inference type `from`) to inference type `to`, building
   the conversion in graph ng. */
static Node *zero_of(TypeCtx *tc, Graph *ng, Type *to, Loc loc);

static Node *coerce(TypeCtx *tc, Graph *ng, Node *x, Type *from, Type *to, Loc loc)
{
    if (!from || !to || from == to || from == TY_ERR || to == TY_ERR)
        return x;
    if (from->kind == T_ZERO)
        return zero_of(tc, ng, to, loc);
    if (type_is_scalar(from) && type_is_scalar(to) && from->kind != to->kind) {
        if (x->kind == N_CONST && (x->k.kind == K_INT || x->k.kind == K_BOOL)) {   /* fold */
            int64_t v = x->k.kind == K_INT ? x->k.u.i : x->k.u.b;
            if (to->kind == T_FLOAT)
                return typed(ir_const_float(tc->spec, (double)v, x->loc), type_float(tc->tt));
            if (to->kind == T_INT)
                return typed(ir_const_int(tc->spec, v, x->loc), type_int(tc->tt));
        }
        if (to->kind == T_FLOAT)
            return prim_call(tc, ng, P_FLOAT, type_float(tc->tt), loc, x, NULL);
        if (to->kind == T_INT)
            return prim_call(tc, ng, P_INT, type_int(tc->tt), loc, x, NULL);
        return x;
    }
    if (from->kind == T_TUPLE && to->kind == T_TUPLE && from->n == to->n) {
        Node **el = xmalloc(sizeof(Node *) * (size_t)(to->n ? to->n : 1));
        for (int i = 0; i < to->n; i++)
            el[i] = coerce(tc, ng, tuple_item(tc, ng, x, from, i, loc), from->elems[i], to->elems[i], loc);
        Node *t = typed_tuple(tc, ng, el, to->n, to, loc);
        free(el);
        return t;
    }
    if (from->kind == T_LIST && to->kind == T_LIST) {
        /* the room list_reserve makes is for items of the type the join
           asks for: the application itself takes that type (a conversion
           would make an empty list without room) */
        if (!type_list_elem(from) && ir_applies_prim(x, P_LIST_RESERVE))
            return prim_call(tc, ng, P_LIST_RESERVE, translate(tc, to, loc), loc, x->app.in[1], NULL);
        return prim_call(tc, ng, P_LIST_CONVERT, translate(tc, to, loc), loc, x, NULL);
    }
    return x;   /* function sets: the same closure value */
}

/* A symbolic zero materialised as a value of type `to` (0.0, a tuple of
   zeros, an empty env, the empty list that stands for a list's zeros:
   ir/prims.def, "differentiation"); still symbolic when `to` is zero
   itself. */
static Node *zero_of(TypeCtx *tc, Graph *ng, Type *to, Loc loc)
{
    switch (to->kind) {
    case T_FLOAT: return typed(ir_const_float(tc->spec, 0.0, loc), type_float(tc->tt));
    case T_INT: return typed(ir_const_int(tc->spec, 0, loc), type_int(tc->tt));
    case T_BOOL: return typed(ir_const_bool(tc->spec, false, loc), type_bool(tc->tt));
    case T_ENV: {
        Node *c = typed(ir_const_prim(tc->spec, P_NEWENV, loc), fnref_type(tc, NULL, P_NEWENV, NULL));
        return typed(ir_apply(ng, &c, 1, loc), to);
    }
    case T_TUPLE: {
        Node **el = xmalloc(sizeof(Node *) * (size_t)(to->n ? to->n : 1));
        for (int i = 0; i < to->n; i++)
            el[i] = zero_of(tc, ng, to->elems[i], loc);
        Node *t = typed_tuple(tc, ng, el, to->n, to, loc);
        free(el);
        return t;
    }
    case T_LIST: {
        Node *c = typed(ir_const_prim(tc->spec, P_LIST_MAKE, loc), fnref_type(tc, NULL, P_LIST_MAKE, NULL));
        return typed(ir_apply(ng, &c, 1, loc), to);
    }
    default: {
        Node *c = typed(ir_const_prim(tc->spec, P_ZERO, loc), fnref_type(tc, NULL, P_ZERO, NULL));
        return typed(ir_apply(ng, &c, 1, loc), type_zero(tc->tt));
    }
    }
}

static int fn_index(const Type *t, Graph *g, int prim)
{
    for (int i = 0; t && t->kind == T_FUNC && i < t->n; i++)
        if (t->fns[i].graph == g && (g || t->fns[i].prim == prim))
            return i;
    return -1;
}

/*
 * J(x) or Jfwd(x), specialised: the identity on numbers and lists, elementwise on
 * tuples, and on a function value rebind(x, key0, j0, ...): the transform's
 * closure over x's own frame (a transform is nested where its source is).
 */
static Node *lift_value(TypeCtx *tc, Graph *ng, Node *x, Type *from, Type *to, int mode, int depth, Loc loc)
{
    if (!from || !to || from == TY_ERR || to == TY_ERR || from->kind == T_ZERO || from->kind == T_ENV ||
        from->kind == T_LIST || type_is_scalar(from))
        return x;       /* (a list holds no functions) */
    if (from->kind == T_TUPLE) {
        Node **el = xmalloc(sizeof(Node *) * (size_t)(from->n ? from->n : 1));
        for (int i = 0; i < from->n; i++)
            el[i] = lift_value(tc, ng, tuple_item(tc, ng, x, from, i, loc), from->elems[i], to->elems[i], mode, depth,
                               loc);
        Node *t = typed_tuple(tc, ng, el, from->n, to, loc);
        free(el);
        return t;
    }
    Type *tf = translate(tc, from, loc), *tt = translate(tc, to, loc);
    Node **in = xmalloc(sizeof(Node *) * (size_t)(2 * from->n + 2));
    int k = 0;
    in[k++] = typed(ir_const_prim(tc->spec, P_REBIND, loc), fnref_type(tc, NULL, P_REBIND, NULL));
    in[k++] = x;
    for (int i = 0; i < from->n; i++) {
        FnRef *f = &from->fns[i];
        Graph *gx = f->graph ? graph_for_ref(tc, f) : NULL;
        if (gx && gx->parent && opt_is_unreachable_stand_in(gx)) {
            FnRef sr = {gx, -1, f->ctx, f->graph};
            vec_push(&tc->rebound, sr);
        }
        FnRef dr = {grad_transform_fn(tc->grad, mode, depth, f), -1, f->graph ? f->ctx : NULL, NULL};
        Graph *gd = graph_for_ref(tc, &dr);
        int ix = fn_index(tf, gx, f->prim), jx = fn_index(tt, gd, -1);
        if (ix < 0 || jx < 0)
            continue;
        in[k++] = typed(ir_const_int(tc->spec, ir_fn_key(&tf->fns[ix]), loc), type_int(tc->tt));
        in[k++] = typed(ir_const_int(tc->spec, jx, loc), type_int(tc->tt));
    }
    Node *r = typed(ir_apply(ng, in, k, loc), tt);
    free(in);
    return r;
}

/* A typed application of primitive p to args[0..n-1]. */
static Node *prim_apply(TypeCtx *tc, Graph *ng, PrimId p, Type *t, Loc loc, int n, Node *const *args)
{
    Node *in[8];
    in[0] = typed(ir_const_prim(tc->spec, p, loc), fnref_type(tc, NULL, (int)p, NULL));
    for (int i = 0; i < n; i++)
        in[i + 1] = args[i];
    return typed(ir_apply(ng, in, n + 1, loc), t);
}

static Node *int_const(TypeCtx *tc, int64_t v, Loc loc) { return typed(ir_const_int(tc->spec, v, loc), type_int(tc->tt)); }

/* The sum of the terms that are not NULL, of type t (sens_add). */
static Node *sens_sum(TypeCtx *tc, Graph *ng, Type *t, Loc loc, Node *x, Node *y)
{
    return x && y ? prim_call(tc, ng, P_SADD, t, loc, x, y) : x ? x : y;
}

/* sens_scale(d, k), or NULL when d is zero */
static Node *scaled(TypeCtx *tc, Graph *ng, Node *d, Type *dt, Node *k, Loc loc)
{
    if (!dt || dt->kind == T_ZERO)
        return NULL;
    return prim_call(tc, ng, P_SSCALE, type_float(tc->tt), loc, d, k);
}

/*
 * add_sens, add_tangent, mul_sens and mul_tangent (ir/prims.def) for the
 * operands' types: numbers get their partial derivatives, as every scalar
 * rule does (sens_scale), lists the list primitives.  in[1..4] are the
 * operands, argt their types, t the result's (not zero).
 */
static Node *expand_arith_rule(TypeCtx *tc, Graph *ng, PrimId p, Node **in, Type **argt, Type *t, Loc loc)
{
    Node *one = typed(ir_const_float(tc->spec, 1.0, loc), type_float(tc->tt));
    bool add = p == P_ADD_SENS || p == P_ADD_TANGENT, sens = p == P_ADD_SENS || p == P_MUL_SENS;
    Type **ab = sens ? argt + 1 : argt;         /* the primal operands' types */
    Node **x = sens ? in + 2 : in + 1;
    int l = ab[0]->kind == T_LIST ? 0 : ab[1]->kind == T_LIST ? 1 : -1;
    if (sens) {
        int64_t k = in[4]->k.u.i;
        if (l < 0)
            return prim_call(tc, ng, P_SSCALE, type_float(tc->tt), loc, in[1], add ? one : x[1 - k]);
        if (!add)       /* list * n: (the int's sensitivity is zero, so t is) */
            return prim_call(tc, ng, P_LIST_UNREPEAT, t, loc, in[1], x[k]);
        Node *len = prim_call(tc, ng, P_LIST_LEN, type_int(tc->tt), loc, x[0], NULL);
        Node *zero = int_const(tc, 0, loc);
        Node *sl[5] = {in[1], k ? len : zero, k ? zero : len, zero, int_const(tc, k ? 2 | 4 : 1 | 4, loc)};
        return prim_apply(tc, ng, P_LIST_SLICE, t, loc, 5, sl);
    }
    Node **tg = in + 3;
    Type **tt = argt + 2;
    if (l < 0) {
        if (add)
            return sens_sum(tc, ng, t, loc, scaled(tc, ng, tg[0], tt[0], one, loc), scaled(tc, ng, tg[1], tt[1], one, loc));
        return sens_sum(tc, ng, t, loc, scaled(tc, ng, tg[0], tt[0], x[1], loc), scaled(tc, ng, tg[1], tt[1], x[0], loc));
    }
    if (!add) {         /* list * n: the list's tangent repeated */
        Node *dense = prim_call(tc, ng, P_SDENSE, t, loc, x[l], tg[l]);
        Node *n = coerce(tc, ng, x[1 - l], ab[1 - l], type_int(tc->tt), loc);
        return prim_call(tc, ng, P_LIST_REPEAT, t, loc, dense, n);
    }
    /* a + b on lists: the tangents, zeros materialised, of the operands as
       the concatenation converted them */
    Type *j = infer_join(tc, ab[0], ab[1]);
    Node *part[2];
    for (int i = 0; i < 2; i++)
        part[i] = prim_call(tc, ng, P_SDENSE, t, loc, coerce(tc, ng, x[i], ab[i], j, loc), tg[i]);
    return prim_call(tc, ng, P_LIST_CONCAT, t, loc, part[0], part[1]);
}

/* The differentiation primitives that specialisation resolves: the node
   to use instead of the application, or NULL to keep it. */
static Node *resolve_diff_prim(TypeCtx *tc, Graph *ng, PrimId p, Node **in, Type **argt, Type *t, Loc loc)
{
    if (!t || t == TY_ERR)
        return NULL;
    switch (p) {
    case P_J: return lift_value(tc, ng, in[1], argt[0], t, MODE_J, (int)in[2]->k.u.i, loc);
    case P_JFWD: return lift_value(tc, ng, in[1], argt[0], t, MODE_F, (int)in[2]->k.u.i, loc);
    case P_TO_DIFF: return coerce(tc, ng, in[1], argt[0], t, loc);
    /* the sensitivity (second operand) as the result's type; a zero
       result is symbolic whatever the operand was.  A list's length is
       only known when it runs: sens_dense and cotangent stay where one
       is involved (sens_for only restricts) */
    case P_SDENSE: case P_COTANGENT:
        if (t->kind != T_ZERO && type_may_hold_list(t))
            return NULL;
        return t->kind == T_ZERO ? zero_of(tc, ng, t, loc) : coerce(tc, ng, in[2], argt[1], t, loc);
    case P_SFOR:
        return t->kind == T_ZERO ? zero_of(tc, ng, t, loc) : coerce(tc, ng, in[2], argt[1], t, loc);
    case P_SENS_GET:    /* of a tuple: getitem (an item of a list: at run time, the empty zero's too) */
        if (t->kind == T_ZERO)
            return zero_of(tc, ng, t, loc);
        if (argt[0] && argt[0]->kind == T_TUPLE)
            return tuple_item(tc, ng, in[1], argt[0],
                              (int)(in[3]->k.u.i < 0 ? in[3]->k.u.i + argt[0]->n : in[3]->k.u.i), loc);
        return NULL;
    case P_ADD_SENS: case P_ADD_TANGENT: case P_MUL_SENS: case P_MUL_TANGENT:
        return t->kind == T_ZERO ? zero_of(tc, ng, t, loc) : expand_arith_rule(tc, ng, p, in, argt, t, loc);
    case P_LIST_SUM:    /* a tangent rule's sum of a zero list: its start */
        return argt[0] && argt[0]->kind == T_ZERO ? coerce(tc, ng, in[2], argt[1], t, loc) : NULL;
    case P_CHECK_RESULT: {
        StrBuf sb = {0};
        if (argt[0] && argt[0] != TY_ERR && !infer_result_ok(tc, argt[0], in[2]->k.u.i, true, &sb))
            infer_record_error(&tc->spec_errors, loc, false, sb_cstr(&sb));
        sb_free(&sb);
        return in[1];
    }
    default:
        if (t->kind == T_ZERO && p != P_ZERO)
            return zero_of(tc, ng, t, loc);
        return NULL;
    }
}

/* What every operand of a primitive application is converted to, or NULL
   when the operands stay as they are. */
static Type *operand_type(TypeCtx *tc, const PrimInfo *p, Type *result, Type **args, int nargs)
{
    PrimTypeRule r = prim_type_rule(p->id);
    if (r == ty_math || r == ty_truediv)
        return type_float(tc->tt);
    if (r == ty_arith || r == ty_sum_add || r == ty_unary || r == ty_minmax || r == ty_pow_op)
        return result;
    if (r == ty_compare || (r == ty_equality && type_is_scalar(args[0]) && type_is_scalar(args[1]))) {
        Type *t = infer_join(tc, args[0], args[1]);
        /* An int and a float compare exactly, as in CPython (2**53 + 1 !=
           2.0**53): converting the int first would round it. */
        if (t->kind == T_FLOAT && (args[0]->kind != T_FLOAT || args[1]->kind != T_FLOAT))
            return NULL;
        return t->kind == T_BOOL ? NULL : t;
    }
    if (r == ty_range_step || r == ty_range_cond)
        return type_int(tc->tt);
    (void)nargs;
    return NULL;
}

/*
 * The operands of a list primitive converted as its type rule joined them
 * (contract 5.1): the list a change applies to becomes the result's type,
 * the items it stores the result's element type, indices ints (bools
 * count); + and * on lists become list_concat and list_repeat (the list
 * first).  in[0] is the callee (replaced when the primitive changes),
 * in[1..n-1] the operands, argt their inference types.  Returns false
 * when p is not a list operation.
 */
static bool list_operands(TypeCtx *tc, Graph *ng, PrimId p, Type *t, Type **argt, Node **in, int n, Loc loc)
{
    TypeTable *tt = tc->tt;
    Type *ti = type_int(tt);
    Type *elem = t && t != TY_ERR && t->kind == T_LIST ? type_list_elem(t) : NULL;
#define CONV(i, to) (in[i] = coerce(tc, ng, in[i], argt[(i) - 1], (to), in[i]->loc))
    switch (p) {
    case P_ADD:
    case P_MUL:
    case P_IADD:
    case P_IMUL:
    case P_SUM_ADD:
        if (!t || t == TY_ERR || t->kind != T_LIST) {
            if (p != P_ADD && p != P_MUL) {     /* on numbers, + and * */
                PrimId q = p == P_IMUL ? P_MUL : P_ADD;
                in[0] = typed(ir_const_prim(tc->spec, q, loc), fnref_type(tc, NULL, (int)q, NULL));
            }
            return false;
        }
        /* a += b and a *= n change the list a; n *= a makes a new one */
        bool change = (p == P_IADD || p == P_IMUL) && argt[0]->kind == T_LIST;
        if ((p == P_MUL || p == P_IMUL) && argt[1]->kind == T_LIST) {
            Node *x = in[1];
            Type *xt = argt[0];
            in[1] = in[2], argt[0] = argt[1];
            in[2] = x, argt[1] = xt;
        }
        p = p == P_ADD || p == P_IADD ? (change ? P_LIST_EXTEND : P_LIST_CONCAT)
                                      : (change ? P_LIST_IREPEAT : P_LIST_REPEAT);
        in[0] = typed(ir_const_prim(tc->spec, p, loc), fnref_type(tc, NULL, (int)p, NULL));
        CONV(1, t);
        CONV(2, p == P_LIST_CONCAT || p == P_LIST_EXTEND ? t : ti);
        return true;
    case P_LIST_MAKE:
        for (int i = 1; i < n; i++)
            CONV(i, elem);
        return true;
    case P_LIST_SET:
        CONV(1, t), CONV(2, ti), CONV(3, elem);
        return true;
    case P_LIST_APPEND:
    case P_LIST_PUSH:
        CONV(1, t), CONV(2, elem);
        return true;
    case P_LIST_CONCAT:
    case P_LIST_EXTEND:
        CONV(1, t), CONV(2, t);
        return true;
    case P_GETITEM:     /* a[k], k an integer literal (lowering), on a list: list_get */
        if (!argt[0] || argt[0]->kind != T_LIST)
            return false;
        in[0] = typed(ir_const_prim(tc->spec, P_LIST_GET, loc), fnref_type(tc, NULL, (int)P_LIST_GET, NULL));
        CONV(2, ti);
        return true;
    case P_LIST_GET:
    case P_LIST_ITEM:
    case P_LIST_POP:
    case P_LIST_REPEAT:
    case P_LIST_IREPEAT:
        CONV(2, ti);
        return true;
    case P_LIST_SLICE:
        CONV(2, ti), CONV(3, ti), CONV(4, ti);
        return true;
    case P_LIST_SUM:
        CONV(2, t);
        return true;
    default:
        return false;
    }
#undef CONV
}

static Node *map_node(TypeCtx *tc, Inst *inst, Node *x)
{
    Inst *o = ctx_for(inst, x->graph->fn);
    Node *n = o && o->map ? o->map[tc->local[x->id]] : NULL;
    if (!n)
        die("infer: node %u is used before it is specialised", x->id);
    return n;
}

static Node *map_const(TypeCtx *tc, Inst *inst, Node *x)
{
    Module *s = tc->spec;
    switch (x->k.kind) {
    case K_INT: return typed(ir_const_int(s, x->k.u.i, x->loc), type_int(tc->tt));
    case K_FLOAT: return typed(ir_const_float(s, x->k.u.f, x->loc), type_float(tc->tt));
    case K_BOOL: return typed(ir_const_bool(s, x->k.u.b, x->loc), type_bool(tc->tt));
    case K_PRIM: return typed(ir_const_prim(s, x->k.u.prim, x->loc), fnref_type(tc, NULL, (int)x->k.u.prim, NULL));
    case K_GRAPH: {
        Type *t = translate(tc, infer_const_type(tc, inst, x), x->loc);
        Graph *g = t && t->n == 1 ? t->fns[0].graph : NULL;
        if (!g)
            return typed(ir_const_int(s, 0, x->loc), type_int(tc->tt));   /* after an error */
        return typed(ir_const_graph(s, g, x->loc), t);
    }
    }
    return NULL;
}

static Node *map_input(TypeCtx *tc, Inst *inst, Node *x)
{
    return x->kind == N_CONST ? map_const(tc, inst, x) : map_node(tc, inst, x);
}

/* The parameter types of the graphs an Apply calls (all agree). */
static Type *callee_param_type(TypeCtx *tc, Inst *inst, Node *a, int i)
{
    Type *callee = infer_node_type(tc, inst, a->app.in[0]);
    if (!callee || callee->kind != T_FUNC)
        return NULL;
    for (int k = 0; k < callee->n; k++) {
        FnRef *r = &callee->fns[k];
        if (!r->graph)
            continue;
        Graph *g = r->graph;
        if (g->kind == G_BLOCK || g->kind == G_BRANCH)
            return ((Inst *)r->ctx)->types[tc->local[g->params[i]->id]];
        Inst *ci = inst->direct[tc->local[a->id]];
        if (!ci)
            ci = value_instance(tc, r);
        return ci ? ci->args[i] : NULL;
    }
    return NULL;
}

/*
 * A call through a value that may be one of several functions passes its
 * arguments once, converted to one set of parameter types: the functions'
 * instances must agree on them.  They may not when annotations differ
 * (`h = f if c else g; h(1)` with `def f(x: float)` and an unannotated g:
 * f takes a float, g an int).  Checked here, at the fixpoint, because the
 * instances' signatures are only final there (an argument that grows from
 * int to float can make them agree).
 */
static void check_one_signature(TypeCtx *tc, Inst *inst, Node *a)
{
    Type *callee = infer_node_type(tc, inst, a->app.in[0]);
    if (!callee || callee == TY_ERR || callee->kind != T_FUNC || inst->direct[tc->local[a->id]])
        return;
    Inst *first = NULL;
    const FnRef *fr = NULL;
    for (int k = 0; k < callee->n; k++) {
        const FnRef *r = &callee->fns[k];
        if (!r->graph || r->graph->kind != G_FUNCTION)
            continue;
        Inst *ci = value_instance(tc, r);
        if (!ci)
            continue;
        if (!first) {
            first = ci;
            fr = r;
            continue;
        }
        if (infer_same_signature(tc, first, ci))
            continue;
        StrBuf sa = {0}, sb = {0}, msg = {0};
        infer_signature_str(first, &sa);
        infer_signature_str(ci, &sb);
        sb_printf(&msg,
                  "the functions called here take different parameter types: '%s' takes %s and '%s' "
                  "takes %s; functions called through one value need one signature (annotate their "
                  "parameters alike)",
                  graph_what(fr->graph), sb_cstr(&sa), graph_what(r->graph), sb_cstr(&sb));
        infer_record_error(&tc->spec_errors, a->loc, false, sb_cstr(&msg));
        sb_free(&sa);
        sb_free(&sb);
        sb_free(&msg);
        tc->spec_failed = true;
        return;
    }
}

static Node *clone_apply_at(TypeCtx *tc, Inst *inst, Graph *ng, Node *a);

/* The clone of Apply a, and the conversions of its operands, in the source
   order at a's place (Node.seq). */
static Node *clone_apply(TypeCtx *tc, Inst *inst, Graph *ng, Node *a)
{
    uint32_t saved = tc->spec->seq_as;
    tc->spec->seq_as = a->seq;
    Node *c = clone_apply_at(tc, inst, ng, a);
    tc->spec->seq_as = saved;
    return c;
}

static Node *clone_apply_at(TypeCtx *tc, Inst *inst, Graph *ng, Node *a)
{
    int l = tc->local[a->id], n = a->app.n;
    Type *t = inst->types[l];
    if (!t || t == TY_ERR) {
        Node *c = a->app.in[0];
        Type *lt = n > 1 ? infer_node_type(tc, inst, a->app.in[1]) : NULL;
        bool list_read = c->kind == N_CONST && c->k.kind == K_PRIM &&
                         (prim_reads_item(c->k.u.prim) || c->k.u.prim == P_GETITEM || c->k.u.prim == P_LIST_POP ||
                          c->k.u.prim == P_LIST_MIN || c->k.u.prim == P_LIST_MAX);
        if (!t && list_read && lt && lt != TY_ERR && lt->kind == T_LIST && !type_list_elem(lt))
            diag_error(tc->d, a->loc, "the items of this list have no known type: it is always empty here "
                       "(annotate the variable it comes from, as in 'xs: list[float] = []')");
        else
            diag_error(tc->d, a->loc, "cannot infer the type of this expression");
        tc->spec_failed = true;
    }
    Node **in = xmalloc(sizeof(Node *) * (size_t)n);
    Type **argt = xmalloc(sizeof(Type *) * (size_t)n);
    for (int i = 1; i < n; i++) {
        argt[i - 1] = infer_node_type(tc, inst, a->app.in[i]);
        in[i] = map_input(tc, inst, a->app.in[i]);
    }
    Node *callee = a->app.in[0];
    Inst *ci = inst->direct[l];
    if (ci) {
        Graph *g = clone_of(tc, ci, 0);
        in[0] = typed(ir_const_graph(tc->spec, g, callee->loc), fnref_type(tc, g, -1, NULL));
    } else {
        in[0] = map_input(tc, inst, callee);
    }
    if (callee->kind == N_CONST && callee->k.kind == K_PRIM) {
        const PrimInfo *p = prim_info(callee->k.u.prim);
        Node *res = resolve_diff_prim(tc, ng, p->id, in, argt, t, a->loc);
        if (res) {
            free(in);
            free(argt);
            return res;
        }
        if (p->id == P_LIST_LEN && argt[0] && (argt[0]->kind == T_TUPLE || argt[0]->kind == T_ZERO)) {
            /* len of a tuple; of a symbolic zero (a rule's, for a sensitivity the zero's own rule drops) */
            Node *c = typed(ir_const_int(tc->spec, argt[0]->kind == T_TUPLE ? argt[0]->n : 0, a->loc), type_int(tc->tt));
            free(in);
            free(argt);
            return c;
        }
        Type *ot = t && t != TY_ERR && list_operands(tc, ng, p->id, t, argt, in, n, a->loc) ? NULL
                                                                                         : operand_type(tc, p, t, argt, n - 1);
        if (ot && t && t != TY_ERR)
            for (int i = 1; i < n; i++)
                in[i] = coerce(tc, ng, in[i], argt[i - 1], ot, a->app.in[i]->loc);
        if (p->id == P_SWITCH && t && t->kind != T_FUNC)
            for (int i = 2; i < n; i++)
                in[i] = coerce(tc, ng, in[i], argt[i - 1], t, a->app.in[i]->loc);
        if (p->id == P_GETITEM && argt[0] && argt[0]->kind == T_TUPLE && in[2]->k.u.i < 0)
            in[2] = typed(ir_const_int(tc->spec, in[2]->k.u.i + argt[0]->n, in[2]->loc), type_int(tc->tt));
    } else {
        check_one_signature(tc, inst, a);
        for (int i = 1; i < n; i++)
            in[i] = coerce(tc, ng, in[i], argt[i - 1], callee_param_type(tc, inst, a, i - 1), a->app.in[i]->loc);
    }
    Node *c = typed(ir_apply(ng, in, n, a->loc), translate(tc, t, a->loc));
    c->name = a->name;
    free(in);
    free(argt);
    return c;
}

static void fill_body(TypeCtx *tc, Inst *inst, int gi)
{
    FnInfo *fi = inst->fi;
    Graph *g = fi->graphs.data[gi], *ng = inst->clones[gi];
    for (int i = 0; i < g->nparams; i++) {
        Node *p = g->params[i];
        int l = tc->local[p->id];
        Node *np = ir_add_param(ng, p->name, p->loc);
        np->type = translate(tc, inst->types[l], p->loc);
        inst->map[l] = np;
    }
    NodeVec *body = &fi->bodies[gi];
    for (int i = 0; i < body->len; i++) {
        Node *a = body->data[i];
        inst->map[tc->local[a->id]] = clone_apply(tc, inst, ng, a);
    }
    Slot *r = find(inst->slots[gi]);
    Node *out = g->output;
    Node *nout = map_input(tc, inst, out);
    int ol = out->kind == N_APPLY && out->graph == g ? tc->local[out->id] : -1;
    uint32_t saved = tc->spec->seq_as;
    tc->spec->seq_as = out->kind == N_APPLY ? out->seq : saved;
    if (!(ol >= 0 && inst->blockcall[ol]))
        nout = coerce(tc, ng, nout, infer_node_type(tc, inst, out), r->type, out->loc);
    tc->spec->seq_as = saved;
    ir_set_output(ng, nout);
    ng->ret_type = translate(tc, r->type, g->loc);
}

/* Whether b's code, once specialised, is exactly a's: same function and
   context, the same argument and node types (up to the export marker), the
   same direct callees, and no closures made inside (which would refer to
   b's own frame). */
static bool same_code(TypeCtx *tc, Inst *a, Inst *b)
{
    if (a->fi != b->fi || a->parent != b->parent || b->children.len || a->children.len ||
        !infer_same_signature(tc, a, b))
        return false;
    for (int gi = 0; gi < a->fi->graphs.len; gi++)
        if (infer_plain(tc, find(a->slots[gi])->type) != infer_plain(tc, find(b->slots[gi])->type))
            return false;
    for (int l = 0; l < a->fi->nlocal; l++)
        if (infer_plain(tc, a->types[l]) != infer_plain(tc, b->types[l]) || a->direct[l] != b->direct[l])
            return false;
    return true;
}

/* Instances that differ only in how inference reached them (an export's
   marked floats, a call through a value, a direct call) get one clone. */
static void share_clones(TypeCtx *tc)
{
    for (int i = 0; i < tc->all.len; i++) {
        Inst *b = tc->all.data[i];
        b->canon = b;
        for (int k = 0; k < b->fi->insts.len; k++) {
            Inst *a = b->fi->insts.data[k];
            if (a == b)
                break;
            if (a->canon == a && same_code(tc, a, b)) {
                b->canon = a;
                break;
            }
        }
    }
}

/*
 * A stand-in that rebind makes a transform's closure from (J of a closure
 * passed only to an operator) reads what the function it stands for reads:
 * the transform reads it from the same frame, which must compute it before
 * any closure of the stand-in is made (ir_graph_body schedules a graph's
 * free variables where its closure is made).  Its body becomes
 * depend(v..., unreachable()), once every clone is filled.
 */
static void fill_rebound_stand_ins(TypeCtx *tc)
{
    for (int i = 0; i < tc->rebound.len; i++) {
        Graph *u = tc->rebound.data[i].graph;
        const Graph *g = (const Graph *)tc->rebound.data[i].site;
        Inst *ctx = tc->rebound.data[i].ctx;
        Node *out = u->output;
        if (out->app.n != 1)
            continue;       /* done already */
        NodeVec fv = {0};
        ir_free_variables(g, &fv);
        Node **in = xmalloc(sizeof(Node *) * (size_t)(fv.len + 2));
        int k = 0;
        in[k++] = typed(ir_const_prim(tc->spec, P_DEPEND, g->loc), fnref_type(tc, NULL, P_DEPEND, NULL));
        for (int j = 0; j < fv.len; j++) {
            Inst *o = ctx_for(ctx, fv.data[j]->graph->fn);
            Node *v = o && o->map ? o->map[tc->local[fv.data[j]->id]] : NULL;
            if (v && v->kind != N_CONST && ir_graph_encloses(v->graph, u) && !ir_value_holds_closure_of(v, u))
                in[k++] = v;
        }
        if (k > 1) {
            in[k++] = out;
            ir_set_output(u, typed(ir_apply(u, in, k, g->loc), out->type));
        }
        free(in);
        vec_free(&fv);
    }
}

/* Clones every instance reachable from the kept roots (roots[e] NULL:
   entry e is dropped). */
static void specialise(TypeCtx *tc, InferEntry *entries, Inst **roots, int n)
{
    share_clones(tc);
    for (int i = 0; i < tc->all.len; i++)
        tc->all.data[i]->fi->nreach = 0;
    InstVec reach = {0};
    infer_reachable_from(tc, roots, n, &reach);
    for (int i = 0; i < reach.len; i++)
        if (reach.data[i]->canon == reach.data[i])
            reach.data[i]->fi->nreach++;
    vec_free(&reach);
    for (int e = 0; e < n; e++) {
        if (!roots[e])
            continue;
        Graph *g = clone_of(tc, roots[e], 0);
        entries[e].result = g;
        TopLevel top = {g->name, g, entries[e].fn->loc, entries[e].fn->name[0] == '_'};
        vec_push(&tc->spec->tops, top);
    }
    for (int i = 0; i < tc->fill.len; i++)
        fill_body(tc, tc->fill_inst.data[i], tc->fill_gi.data[i]);
    fill_rebound_stand_ins(tc);
    for (int i = 0; i < tc->spec_errors.len; i++)
        diag_error(tc->d, tc->spec_errors.data[i].loc, "%s", tc->spec_errors.data[i].msg);
}

Module *infer_specialise(TypeCtx *tc, InferEntry *entries, Inst **roots, int n)
{
    Module *m = tc->m, *spec = ir_module_new(m->arena, m->filename);
    spec->types = m->types;
    tc->spec = spec;
    tc->uncalled = xcalloc(m->ngraph_ids ? m->ngraph_ids : 1, sizeof(Graph *));
    specialise(tc, entries, roots, n);
    if (tc->spec_failed) {
        ir_module_free(spec);
        spec = NULL;
        for (int e = 0; e < n; e++)
            entries[e].result = NULL;
    }
    tc->spec = NULL;
    free_errs(&tc->spec_errors);
    free(tc->uncalled);
    tc->uncalled = NULL;
    vec_free(&tc->uncalled_nested);
    vec_free(&tc->rebound);
    vec_free(&tc->fill);
    vec_free(&tc->fill_inst);
    vec_free(&tc->fill_gi);
    return spec;
}
