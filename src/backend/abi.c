/*
 * abi.c: the C ABI wrappers of the exported functions and `myc_run`, the
 * JIT's entry (contract section 3; docs/backend.md, "The C ABI and the
 * runtime").
 *
 * Assumes the units of the exported graphs are declared (cg_declare_unit)
 * and that their signatures are the ones cabi.c derived (CgExport.sig):
 * parameters flattened to scalar leaves depth-first, a tuple result
 * through out pointers, NAME_grad's derivatives through d_ pointers,
 * NAME_vjp's and NAME_jvp's as cabi.h orders them.
 * Guarantees: each wrapper reserves a runtime arena on its own C stack,
 * enters it, calls the internal function and leaves it, so a call is
 * thread-safe and reentrant and nothing outlives it; NAME_grad calls the
 * plain function when every d_ pointer is NULL and skips the NULL ones
 * otherwise, and so do NAME_vjp (d_) and NAME_jvp (dout_), which also skip
 * NULL out-pointers; bools cross as zeroext i1 (i8 in memory).
 *
 * Lists: myc_run takes and returns them (one slot each, the address of a
 * block [len, items' slots...], lists.c cg_run_from_slots/_to_slots),
 * copied into the arena on entry and out of it before the arena is left.
 * Exports do not take or return lists yet: inference drops a function
 * whose signature holds one (DROP_PARAM_LIST, DROP_RESULT_LIST; the driver
 * warns), so no wrapper here meets one.  Contract 5.5's ABI fits the same
 * two places: a (pointer, length) parameter becomes a list value with
 * cg_list_buffer and a memcpy (the items of list[float], list[int] and
 * list[bool] are laid out as the C arrays are), and a list result is copied
 * into malloc'd memory (myrt_list_out) before arena_leave.
 */
#include "cg.h"

#include "../../runtime/myrt.h"

typedef VEC(const Type *) CTypeVec;
typedef VEC(LLVMValueRef) ValVec;

/* A leaf's type in a C signature (a bool is an i1 passed zeroext,
   c_param_attrs). */
static LLVMTypeRef c_type(Cg *cg, const Type *t)
{
    return t->kind == T_BOOL ? cg->t_i1 : cg_type(cg, t);
}

/* Leaves of t, depth-first. */
static void leaves(const Type *t, CTypeVec *out)
{
    CTypeVec st = {0};
    vec_push(&st, t);
    while (st.len) {
        const Type *x = vec_pop(&st);
        if (x->kind == T_TUPLE) {
            for (int i = x->n - 1; i >= 0; i--)
                vec_push(&st, (const Type *)x->elems[i]);
        } else {
            vec_push(out, x);
        }
    }
    vec_free(&st);
}

/* Rebuilds a value of type t from flat leaf values, advancing *pos. */
static LLVMValueRef build_from_leaves(Cg *cg, const Type *t, LLVMValueRef *flat, int *pos)
{
    if (t->kind != T_TUPLE)
        return flat[(*pos)++];
    LLVMValueRef v = LLVMGetUndef(cg_type(cg, t));
    for (int i = 0; i < t->n; i++)
        v = LLVMBuildInsertValue(cg->b, v, build_from_leaves(cg, t->elems[i], flat, pos), (unsigned)i, "");
    return v;
}

/* Flattens value v of type t into out (leaf values, depth-first). */
static void flatten_value(Cg *cg, LLVMValueRef v, const Type *t, ValVec *out)
{
    if (t->kind != T_TUPLE) {
        vec_push(out, v);
        return;
    }
    for (int i = 0; i < t->n; i++)
        flatten_value(cg, LLVMBuildExtractValue(cg->b, v, (unsigned)i, ""), t->elems[i], out);
}

static LLVMValueRef arena_enter(Cg *cg)
{
    LLVMTypeRef at = LLVMArrayType(cg->t_i8, MYRT_ARENA_SIZE);
    LLVMValueRef a = LLVMBuildAlloca(cg->b, at, "arena");
    LLVMSetAlignment(a, 16);
    LLVMValueRef p = LLVMBuildBitCast(cg->b, a, cg->t_ptr, "");
    LLVMBuildCall2(cg->b, cg->rt_enter_ty, cg->rt_enter, &p, 1, "");
    return p;
}

static void arena_leave(Cg *cg, LLVMValueRef p)
{
    LLVMBuildCall2(cg->b, cg->rt_leave_ty, cg->rt_leave, &p, 1, "");
}

/* Calls unit g with C-level leaf parameters params[0..] (a tuple parameter
   takes as many leaves as it has). */
static LLVMValueRef call_with_leaves(Cg *cg, Graph *g, LLVMValueRef arena, LLVMValueRef *flat)
{
    GInfo *gi = info(cg, g);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
    a[0] = arena;
    int pos = 0;
    for (int i = 0; i < g->nparams; i++)
        a[i + 1] = build_from_leaves(cg, g->params[i]->type, flat, &pos);
    LLVMValueRef r = cg_call_fn(cg, gi->fnty, gi->fn, a, g->nparams + 1, true);
    free(a);
    return r;
}

static int count_leaves_params(const Graph *g, CTypeVec *lv)
{
    for (int i = 0; i < g->nparams; i++)
        leaves(g->params[i]->type, lv);
    return lv->len;
}

static void c_param_attrs(Cg *cg, LLVMValueRef fn, const Type *const *lt, int n, bool ret_bool)
{
    for (int i = 0; i < n; i++)
        if (lt[i]->kind == T_BOOL)
            cg_add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "zeroext");
    if (ret_bool)
        cg_add_attr(cg, fn, LLVMAttributeReturnIndex, "zeroext");
}

/* `if (p) *p = x;` (a bool stored as a byte). */
static void store_unless_null(Cg *cg, LLVMValueRef fn, LLVMValueRef p, LLVMValueRef x, const Type *t)
{
    if (t->kind == T_BOOL)
        x = LLVMBuildZExt(cg->b, x, cg->t_i8, "");
    LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
    LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
    LLVMPositionBuilderAtEnd(cg->b, st);
    LLVMBuildStore(cg->b, x, ptr_to(cg, p, LLVMTypeOf(x)));
    LLVMBuildBr(cg->b, next);
    LLVMPositionBuilderAtEnd(cg->b, next);
}

/* The leaves of value v (of type t) as values of the types `want` (the C
   ABI's: NAME's result leaves, or double for derivatives); a symbolic zero
   leaf is 0. */
static void leaves_as(Cg *cg, LLVMValueRef v, const Type *t, const Type *const *want, int n, LLVMValueRef *out)
{
    ValVec fl = {0};
    CTypeVec ft = {0};
    flatten_value(cg, v, t, &fl);
    leaves(t, &ft);
    if (fl.len != n)
        die("codegen: an exported derivative's value has %d leaves, its C signature %d", fl.len, n);
    for (int i = 0; i < n; i++)
        out[i] = ft.data[i]->kind == T_ZERO ? cg_zero_value(cg, want[i])
                 : ft.data[i] == want[i]    ? fl.data[i]
                                            : cg_coerce(cg, fl.data[i], ft.data[i], want[i]);
    vec_free(&fl);
    vec_free(&ft);
}

/*
 * NAME_vjp(leaves, out..., dy..., d...) and NAME_jvp(leaves, t..., out...,
 * dout...) (cabi.h): with every derivative pointer NULL, NAME alone;
 * otherwise the entry (export.h: (y, (d...)) or (y, ty)); each store
 * skipped where its pointer is NULL.
 */
static void emit_vector_export(Cg *cg, const CgExport *ex)
{
    bool vjp = ex->kind == EXPORT_VJP;
    CTypeVec in = {0}, res = {0};
    int nin = count_leaves_params(ex->primal, &in);
    const Type *rt = ret_type(ex->primal);
    leaves(rt, &res);
    int nfp = 0, nfr = 0;
    for (int i = 0; i < nin; i++)
        nfp += in.data[i]->kind == T_FLOAT;
    for (int i = 0; i < res.len; i++)
        nfr += res.data[i]->kind == T_FLOAT;
    int nw = vjp ? nfr : nfp;                       /* dy_ or t_ values */
    int nd = vjp ? nfp : nfr;                       /* d_ or dout_ pointers */
    int first_w = vjp ? nin + res.len : nin;
    int first_out = vjp ? nin : nin + nw;
    int first_d = nin + res.len + nw;               /* after the out-pointers and the dy_ or t_ */
    int np = nin + res.len + nw + nd;
    LLVMTypeRef *pt = xmalloc(sizeof(LLVMTypeRef) * (size_t)(np + 1));
    for (int i = 0; i < np; i++)
        pt[i] = cg->t_ptr;
    for (int i = 0; i < nin; i++)
        pt[i] = c_type(cg, in.data[i]);
    for (int i = 0; i < nw; i++)
        pt[first_w + i] = cg->t_f64;
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, LLVMFunctionType(cg->t_void, pt, (unsigned)np, 0));
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, ex->primal->loc);
    c_param_attrs(cg, fn, in.data, nin, false);
    for (int i = 0; i < np; i++)
        if (i >= nin && pt[i] == cg->t_ptr)
            cg_add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "noalias");
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(nin + nw + 1));
    for (int i = 0; i < nin; i++)
        flat[i] = LLVMGetParam(fn, (unsigned)i);
    for (int i = 0; i < nw; i++)
        flat[nin + i] = LLVMGetParam(fn, (unsigned)(first_w + i));
    LLVMValueRef any = LLVMConstInt(cg->t_i1, 0, 0);
    for (int i = 0; i < nd; i++)
        any = LLVMBuildOr(cg->b, any, LLVMBuildIsNotNull(cg->b, LLVMGetParam(fn, (unsigned)(first_d + i)), ""), "");
    LLVMBasicBlockRef prim = LLVMAppendBasicBlockInContext(cg->ctx, fn, "value_only");
    LLVMBasicBlockRef deriv = LLVMAppendBasicBlockInContext(cg->ctx, fn, "derivative");
    LLVMBuildCondBr(cg->b, any, deriv, prim);
    LLVMValueRef *yl = xmalloc(sizeof(LLVMValueRef) * (size_t)(res.len + 1));
    /* value only: NAME */
    LLVMPositionBuilderAtEnd(cg->b, prim);
    LLVMValueRef v = call_with_leaves(cg, ex->primal, arena, flat);
    arena_leave(cg, arena);
    leaves_as(cg, v, rt, res.data, res.len, yl);
    for (int i = 0; i < res.len; i++)
        store_unless_null(cg, fn, LLVMGetParam(fn, (unsigned)(first_out + i)), yl[i], res.data[i]);
    LLVMBuildRetVoid(cg->b);
    /* the derivative: the entry */
    LLVMPositionBuilderAtEnd(cg->b, deriv);
    Graph *g = ex->graph;
    GInfo *gi = info(cg, g);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
    a[0] = arena;
    for (int i = 0; i < g->nparams; i++)
        a[i + 1] = flat[i];         /* the entry's parameters are the leaves, then the dy_ or t_ */
    if (g->nparams != nin + nw)
        die("codegen: the entry of %s has %d parameters, its C signature %d", ex->sig.name, g->nparams, nin + nw);
    LLVMValueRef r = cg_call_fn(cg, gi->fnty, gi->fn, a, g->nparams + 1, true);
    free(a);
    arena_leave(cg, arena);
    const Type *grt = ret_type(g);      /* (y, derivatives) */
    leaves_as(cg, LLVMBuildExtractValue(cg->b, r, 0, ""), grt->elems[0], res.data, res.len, yl);
    for (int i = 0; i < res.len; i++)
        store_unless_null(cg, fn, LLVMGetParam(fn, (unsigned)(first_out + i)), yl[i], res.data[i]);
    /* the derivatives: vjp's (d...) has one per float parameter leaf; jvp's
       ty has y's shape, of which the float leaves are stored */
    const Type *dt = grt->elems[1];
    CTypeVec dleaves = {0};
    leaves(dt, &dleaves);
    const Type *f64 = type_float(cg->m->types);
    const Type **want = xmalloc(sizeof(const Type *) * (size_t)(dleaves.len + 1));
    for (int i = 0; i < dleaves.len; i++)
        want[i] = f64;
    LLVMValueRef *dv = xmalloc(sizeof(LLVMValueRef) * (size_t)(dleaves.len + 1));
    leaves_as(cg, LLVMBuildExtractValue(cg->b, r, 1, ""), dt, want, dleaves.len, dv);
    if (dleaves.len != (vjp ? nfp : res.len))
        die("codegen: %s's derivatives have %d leaves", ex->sig.name, dleaves.len);
    for (int i = 0, k = 0; i < dleaves.len; i++) {
        if (!vjp && res.data[i]->kind != T_FLOAT)
            continue;               /* an int or bool result has no tangent */
        store_unless_null(cg, fn, LLVMGetParam(fn, (unsigned)(first_d + k++)), dv[i], f64);
    }
    LLVMBuildRetVoid(cg->b);
    cg_debug_leave(cg, dbg);
    free(dv);
    free(want);
    vec_free(&dleaves);
    free(yl);
    free(flat);
    free(pt);
    vec_free(&in);
    vec_free(&res);
}

void cg_emit_export(Cg *cg, const CgExport *ex)
{
    if (ex->kind == EXPORT_VJP || ex->kind == EXPORT_JVP) {
        emit_vector_export(cg, ex);
        return;
    }
    Graph *g = ex->graph;
    CTypeVec in = {0};
    int nin = count_leaves_params(ex->kind == EXPORT_GRAD ? ex->primal : g, &in);
    const Type *rt = ret_type(ex->kind == EXPORT_GRAD ? ex->primal : g);
    CTypeVec outs = {0};
    if (ex->kind == EXPORT_FUNC && rt->kind == T_TUPLE)
        leaves(rt, &outs);
    int nd = 0;
    for (int i = 0; ex->kind == EXPORT_GRAD && i < nin; i++)
        nd += in.data[i]->kind == T_FLOAT;
    int np = nin + outs.len + nd;
    LLVMTypeRef *pt = xmalloc(sizeof(LLVMTypeRef) * (size_t)(np + 1));
    for (int i = 0; i < nin; i++)
        pt[i] = c_type(cg, in.data[i]);
    for (int i = 0; i < outs.len + nd; i++)
        pt[nin + i] = cg->t_ptr;
    LLVMTypeRef ret = ex->kind == EXPORT_GRAD ? cg->t_f64 : outs.len || rt->kind == T_TUPLE ? cg->t_void : c_type(cg, rt);
    LLVMTypeRef fty = LLVMFunctionType(ret, pt, (unsigned)np, 0);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, fty);
    c_param_attrs(cg, fn, in.data, nin, ex->kind == EXPORT_FUNC && rt->kind == T_BOOL);
    for (int i = nin; i < np; i++)
        cg_add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "noalias");
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, (ex->kind == EXPORT_GRAD ? ex->primal : g)->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(nin + 1));
    for (int i = 0; i < nin; i++)
        flat[i] = LLVMGetParam(fn, (unsigned)i);
    if (ex->kind == EXPORT_FUNC) {
        LLVMValueRef v = call_with_leaves(cg, g, arena, flat);
        arena_leave(cg, arena);
        if (rt->kind == T_TUPLE) {
            ValVec fl = {0};
            flatten_value(cg, v, rt, &fl);
            for (int i = 0; i < fl.len; i++) {
                LLVMValueRef x = fl.data[i];
                if (outs.data[i]->kind == T_BOOL)
                    x = LLVMBuildZExt(cg->b, x, cg->t_i8, "");
                LLVMBuildStore(cg->b, x, ptr_to(cg, LLVMGetParam(fn, (unsigned)(nin + i)), LLVMTypeOf(x)));
            }
            vec_free(&fl);
            LLVMBuildRetVoid(cg->b);
        } else {
            LLVMBuildRet(cg->b, v);
        }
    } else {
        /* NAME_grad: when every d pointer is NULL only the value is wanted */
        LLVMValueRef any = LLVMConstInt(cg->t_i1, 0, 0);
        for (int i = 0; i < nd; i++)
            any = LLVMBuildOr(cg->b, any, LLVMBuildIsNotNull(cg->b, LLVMGetParam(fn, (unsigned)(nin + i)), ""), "");
        LLVMBasicBlockRef prim = LLVMAppendBasicBlockInContext(cg->ctx, fn, "value_only");
        LLVMBasicBlockRef grad = LLVMAppendBasicBlockInContext(cg->ctx, fn, "gradient");
        LLVMBuildCondBr(cg->b, any, grad, prim);
        LLVMPositionBuilderAtEnd(cg->b, prim);
        LLVMValueRef v = call_with_leaves(cg, ex->primal, arena, flat);
        arena_leave(cg, arena);
        LLVMBuildRet(cg->b, cg_coerce(cg, v, rt, type_float(cg->m->types)));
        LLVMPositionBuilderAtEnd(cg->b, grad);
        LLVMValueRef r = call_with_leaves(cg, g, arena, flat);
        const Type *grt = ret_type(g);      /* (value, (d...)) */
        LLVMValueRef val =
            cg_coerce(cg, LLVMBuildExtractValue(cg->b, r, 0, ""), grt->elems[0], type_float(cg->m->types));
        LLVMValueRef ds = LLVMBuildExtractValue(cg->b, r, 1, "");
        const Type *dt = grt->elems[1];
        for (int i = 0; i < nd; i++) {
            LLVMValueRef p = LLVMGetParam(fn, (unsigned)(nin + i));
            LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
            LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
            LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
            LLVMPositionBuilderAtEnd(cg->b, st);
            LLVMValueRef di = dt->kind == T_TUPLE
                                  ? cg_coerce(cg, LLVMBuildExtractValue(cg->b, ds, (unsigned)i, ""), dt->elems[i],
                                              type_float(cg->m->types))
                                  : LLVMConstReal(cg->t_f64, 0.0);
            LLVMBuildStore(cg->b, di, ptr_to(cg, p, cg->t_f64));
            LLVMBuildBr(cg->b, next);
            LLVMPositionBuilderAtEnd(cg->b, next);
        }
        arena_leave(cg, arena);
        LLVMBuildRet(cg->b, val);
    }
    cg_debug_leave(cg, dbg);
    free(flat);
    free(pt);
    vec_free(&in);
    vec_free(&outs);
}

int codegen_run_slots(const Type *t)
{
    if (t->kind != T_TUPLE)
        return 1;       /* a scalar, a function's tag, a list's block (lists.c) */
    int n = 0;
    for (int i = 0; i < t->n; i++)
        n += codegen_run_slots(t->elems[i]);
    return n;
}

/* void myc_run(const uint64_t *args, uint64_t *results): arguments and
   results one 8-byte slot per scalar leaf; a list one slot, the address
   of a block [len, each item's slots...] (the caller's for arguments; for
   results from malloc, nested lists likewise, for the caller to free). */
void cg_emit_run_entry(Cg *cg, Graph *g, Graph *const *first, int nfirst)
{
    LLVMTypeRef pt[2] = {cg->t_ptr, cg->t_ptr};
    LLVMValueRef fn = LLVMAddFunction(cg->mod, "myc_run", LLVMFunctionType(cg->t_void, pt, 2, 0));
    DbgScope dbg = cg_debug_enter(cg, fn, NULL, g->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    CTypeVec in = {0};
    int nin = count_leaves_params(g, &in);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(nin + 1));
    LLVMValueRef ap = ptr_to(cg, LLVMGetParam(fn, 0), cg->t_i64);
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef outer_arena = cg->arena;
    cg->arena = arena;
    /* the arguments, a list's items copied into the arena (the function
       may change them in place, and may not keep the caller's memory) */
    for (int i = 0; i < nin; i++) {
        LLVMValueRef idx = const_i64(cg, i);
        flat[i] = cg_run_from_slots(cg, arena, LLVMBuildGEP2(cg->b, cg->t_i64, ap, &idx, 1, ""), in.data[i]);
    }
    for (int i = 0; i < nfirst; i++)
        if (first[i])
            call_with_leaves(cg, first[i], arena, NULL);
    LLVMValueRef v = call_with_leaves(cg, g, arena, flat);
    /* the result, lists copied out of the arena before it is left */
    cg_run_to_slots(cg, v, ret_type(g), ptr_to(cg, LLVMGetParam(fn, 1), cg->t_i64));
    arena_leave(cg, arena);
    cg->arena = outer_arena;
    LLVMBuildRetVoid(cg->b);
    cg_debug_leave(cg, dbg);
    vec_free(&in);
    free(flat);
}
