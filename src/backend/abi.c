/*
 * abi.c: the C ABI wrappers of the exported functions and `myc_run`, the
 * JIT's entry (contract section 3; docs/backend.md, "The C ABI and the
 * runtime").
 *
 * Assumes the units of the exported graphs are declared (cg_declare_unit)
 * and that their signatures are the ones cabi.c derived (CgExport.sig):
 * parameters flattened to scalar and list leaves depth-first (a list
 * leaf a pointer and its lengths), a tuple or list result through out
 * pointers, NAME_grad's derivatives through d_ pointers,
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
 * Exports take and return lists as contract 5.5 says (emit_func_export):
 * a (pointer, length) parameter is a list value over the caller's memory
 * (the items of a block, type_list_block, are laid out as the C array
 * is), copied into the arena (cg_list_buffer and a memcpy) only when the
 * function may change it in place (Graph.consumed), so generated code
 * never writes through the caller's pointer; a list of lists gets an
 * arena block of row values pointing into the caller's rows.  A negative
 * length is a runtime error at the parameter.  A list result is handed
 * over before arena_leave: its buffer itself when it is a large block of
 * the arena (myrt_list_release), else a malloc'd copy; a list-of-lists
 * result is checked rectangular first (a runtime error at the function)
 * and copied into one row-major block.  Derivative exports (NAME_grad,
 * NAME_vjp, NAME_jvp) of functions with lists in their signatures are
 * refused by the driver until derivatives of lists exist (issue 17).
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

/* ---- lists (contract 5.5) ---- */

/* How many C parameters leaf t takes: a list its pointer and its lengths,
   a scalar one. */
static int c_width(const Type *t)
{
    ListBlock lb;
    return t->kind == T_LIST && type_list_block(t, &lb) ? 1 + lb.dims : 1;
}

/* Raises msg at loc (a runtime error: the handler leaves the wrapper's
   arena) when bad; the builder continues where it is false. */
static void raise_if(Cg *cg, LLVMValueRef bad, const char *msg, Loc loc)
{
    LLVMBasicBlockRef err = new_block(cg, "rt.error"), ok = new_block(cg, "ok");
    LLVMBuildCondBr(cg->b, bad, err, ok);
    LLVMPositionBuilderAtEnd(cg->b, err);
    cg_runtime_error(cg, msg, loc);
    LLVMBuildBr(cg->b, ok);         /* (the error block's dead continuation) */
    LLVMPositionBuilderAtEnd(cg->b, ok);
}

/* Raises "negative list length" for parameter `what` when len < 0. */
static void check_length(Cg *cg, LLVMValueRef len, const char *what, const char *len_name, Loc loc)
{
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntSLT, len, const_i64(cg, 0), ""),
             arena_printf(cg->m->arena, "list parameter '%s' has a negative length (%s < 0)", what, len_name), loc);
}

/*
 * The list value of a list parameter from its C form (t a block: c[0] the
 * pointer, c[1] the length, c[2] the columns of a list of lists).  With
 * `copy` (the function changes the list in place: Graph.consumed) the
 * items are copied into the arena, a list of lists row by row, each row a
 * buffer of its own as the runtime's growth wants; without, the list is
 * the caller's memory itself, which no code reads a list through to write
 * (passes/inplace.h: only an owned list is changed in place), and a list
 * of lists is a block of row values in the arena pointing into it.
 */
static LLVMValueRef list_from_c(Cg *cg, LLVMValueRef arena, const Type *t, LLVMValueRef *c, bool copy,
                                const char *what, const CParam *names, Loc loc)
{
    ListBlock lb;
    type_list_block(t, &lb);
    const Type *item = lb.item;
    LLVMValueRef isize = const_i64(cg, (int64_t)size_of(cg, cg_list_mem_type(cg, item)));
    for (int d = 0; d < lb.dims; d++)
        check_length(cg, c[1 + d], what, names[1 + d].name, loc);
    if (lb.dims == 1) {
        LLVMValueRef len = c[1];
        if (!copy)
            return cg_list_value(cg, c[0], len, len);
        LLVMValueRef buf = cg_list_buffer(cg, arena, len, item);
        LLVMBuildMemCpy(cg->b, buf, 1, c[0], 1, LLVMBuildNUWMul(cg->b, len, isize, ""));
        return cg_list_value(cg, buf, len, len);
    }
    LLVMValueRef rows = c[1], cols = c[2];
    const Type *row_t = type_list_elem(t);
    LLVMValueRef rbuf = cg_list_buffer(cg, arena, rows, row_t);
    LLVMValueRef row_bytes = LLVMBuildNUWMul(cg->b, cols, isize, "row_bytes");
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), rows, NULL, 0);
    LLVMValueRef off = LLVMBuildNUWMul(cg->b, l.i, row_bytes, "");
    LLVMValueRef src = LLVMBuildGEP2(cg->b, cg->t_i8, c[0], &off, 1, "row");
    LLVMValueRef data = src;
    if (copy) {
        data = cg_list_buffer(cg, arena, cols, item);
        LLVMBuildMemCpy(cg->b, data, 1, src, 1, row_bytes);
    }
    cg_list_store(cg, rbuf, l.i, cg_list_value(cg, data, cols, cols), row_t);
    cg_loop_end(cg, &l, NULL);
    return cg_list_value(cg, rbuf, rows, rows);
}

/* Raises "ragged" at loc unless every row of list of lists v (type t) has
   the first row's length; returns that length (0 without rows). */
static LLVMValueRef rectangular_columns(Cg *cg, LLVMValueRef v, const Type *t, Loc loc)
{
    const Type *row_t = type_list_elem(t);
    LLVMValueRef rows = cg_list_len(cg, v), data = cg_list_data(cg, v);
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef some = new_block(cg, "rows"), join = new_block(cg, "cols");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, rows, const_i64(cg, 0), ""), some, join);
    LLVMPositionBuilderAtEnd(cg->b, some);
    LLVMValueRef first = cg_list_len(cg, cg_list_load(cg, data, const_i64(cg, 0), row_t));
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 1), rows, NULL, 0);
    LLVMValueRef n = cg_list_len(cg, cg_list_load(cg, data, l.i, row_t));
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntNE, n, first, ""),
             "a list of lists returned to C must be rectangular: its rows differ in length", loc);
    cg_loop_end(cg, &l, NULL);
    LLVMBasicBlockRef checked = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef cols = LLVMBuildPhi(cg->b, cg->t_i64, "cols");
    LLVMValueRef cv[2] = {const_i64(cg, 0), first};
    LLVMBasicBlockRef cb[2] = {pre, checked};
    LLVMAddIncoming(cols, cv, cb, 2);
    return cols;
}

/* Stores list result v (type t, a block) through its C out-pointers
   out[0] (T **), out[1] (its length) and out[2] (its columns, a list of
   lists, cols from rectangular_columns): the items in a block from
   malloc, NULL when there are none.  A list's buffer that is a large
   block of the arena is handed over as it is (myrt_list_release: no
   copy); any other is copied, a list of lists row by row into one block
   (myrt_list_out). */
static void list_to_c(Cg *cg, LLVMValueRef arena, LLVMValueRef v, const Type *t, LLVMValueRef cols,
                      LLVMValueRef *out)
{
    ListBlock lb;
    type_list_block(t, &lb);
    LLVMValueRef isize = const_i64(cg, (int64_t)size_of(cg, cg_list_mem_type(cg, lb.item)));
    LLVMValueRef len = cg_list_len(cg, v);
    LLVMValueRef n = lb.dims == 2 ? LLVMBuildNUWMul(cg->b, len, cols, "") : len;
    LLVMValueRef bytes = LLVMBuildNUWMul(cg->b, n, isize, "bytes");
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef some = new_block(cg, "out.items"), join = new_block(cg, "out.stored");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, n, const_i64(cg, 0), ""), some, join);
    LLVMPositionBuilderAtEnd(cg->b, some);
    LLVMValueRef block;
    if (lb.dims == 1) {
        LLVMValueRef args[3] = {arena, cg_list_data(cg, v), bytes};
        block = LLVMBuildCall2(cg->b, cg->rt_list_release_ty, cg->rt_list_release, args, 3, "out");
    } else {
        block = LLVMBuildCall2(cg->b, cg->rt_list_out_ty, cg->rt_list_out, &bytes, 1, "out");
        const Type *row_t = type_list_elem(t);
        LLVMValueRef row_bytes = LLVMBuildNUWMul(cg->b, cols, isize, "");
        CgLoop l;
        cg_loop_begin(cg, &l, const_i64(cg, 0), len, NULL, 0);
        LLVMValueRef off = LLVMBuildNUWMul(cg->b, l.i, row_bytes, "");
        LLVMValueRef row = cg_list_load(cg, cg_list_data(cg, v), l.i, row_t);
        LLVMBuildMemCpy(cg->b, LLVMBuildGEP2(cg->b, cg->t_i8, block, &off, 1, ""), 1, cg_list_data(cg, row), 1,
                        row_bytes);
        cg_loop_end(cg, &l, NULL);
    }
    LLVMBasicBlockRef filled = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef p = LLVMBuildPhi(cg->b, cg->t_ptr, "block");
    LLVMValueRef pv[2] = {LLVMConstNull(cg->t_ptr), block};
    LLVMBasicBlockRef pb[2] = {pre, filled};
    LLVMAddIncoming(p, pv, pb, 2);
    LLVMBuildStore(cg->b, p, ptr_to(cg, out[0], cg->t_ptr));
    LLVMBuildStore(cg->b, len, ptr_to(cg, out[1], cg->t_i64));
    if (lb.dims == 2)
        LLVMBuildStore(cg->b, cols, ptr_to(cg, out[2], cg->t_i64));
}

/*
 * NAME(C parameters..., out-pointers...) (cabi.h, contract sections 3 and
 * 5.5): the leaves of the parameters from their C parameters (a list
 * checked and, when NAME changes it in place, copied: list_from_c), the
 * call, then the result: a scalar returned, a tuple or list through the
 * out-pointers, lists copied into malloc'd blocks before the arena is left
 * (every ragged list of lists checked before the first malloc, so that an
 * error leaves nothing behind).
 */
static void emit_func_export(Cg *cg, const CgExport *ex)
{
    Graph *g = ex->graph;
    CTypeVec in = {0}, outs = {0};
    VEC(int) owner = {0};          /* per input leaf: its parameter */
    for (int i = 0; i < g->nparams; i++) {
        int before = in.len;
        leaves(g->params[i]->type, &in);
        for (int k = before; k < in.len; k++)
            vec_push(&owner, i);
    }
    const Type *rt = ret_type(g);
    bool through_out = rt->kind == T_TUPLE || rt->kind == T_LIST;
    if (through_out)
        leaves(rt, &outs);
    VEC(LLVMTypeRef) pt = {0};
    int *cfirst = xmalloc(sizeof(int) * (size_t)(in.len + outs.len + 1));     /* first C parameter per leaf */
    for (int i = 0; i < in.len; i++) {
        cfirst[i] = pt.len;
        vec_push(&pt, in.data[i]->kind == T_LIST ? cg->t_ptr : c_type(cg, in.data[i]));
        for (int d = 1; d < c_width(in.data[i]); d++)
            vec_push(&pt, cg->t_i64);
    }
    int nin = pt.len;
    if (nin != ex->sig.ninputs)
        die("codegen: %s takes %d C inputs, its signature %d", ex->sig.name, nin, ex->sig.ninputs);
    for (int i = 0; i < outs.len; i++) {
        cfirst[in.len + i] = pt.len;
        for (int d = 0; d < c_width(outs.data[i]); d++)
            vec_push(&pt, cg->t_ptr);
    }
    if (pt.len != ex->sig.params.len)
        die("codegen: %s has %d C parameters, its signature %d", ex->sig.name, pt.len, ex->sig.params.len);
    LLVMTypeRef ret = through_out ? cg->t_void : c_type(cg, rt);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, LLVMFunctionType(ret, pt.data, (unsigned)pt.len, 0));
    for (int i = 0; i < in.len; i++)
        if (in.data[i]->kind == T_BOOL)
            cg_add_attr(cg, fn, (LLVMAttributeIndex)(cfirst[i] + 1), "zeroext");
    if (rt->kind == T_BOOL)
        cg_add_attr(cg, fn, LLVMAttributeReturnIndex, "zeroext");
    for (int i = nin; i < pt.len; i++)
        cg_add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "noalias");
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, g->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(in.len + 1));
    for (int i = 0; i < in.len; i++) {
        LLVMValueRef c[3];
        for (int d = 0; d < c_width(in.data[i]); d++)
            c[d] = LLVMGetParam(fn, (unsigned)(cfirst[i] + d));
        if (in.data[i]->kind != T_LIST) {
            flat[i] = c[0];
            continue;
        }
        const Node *p = g->params[owner.data[i]];
        /* only a whole list parameter can be changed in place (inplace.c) */
        bool copy = p->type == in.data[i] && g->consumed && g->consumed[owner.data[i]];
        const CParam *names = &ex->sig.params.data[cfirst[i]];
        flat[i] = list_from_c(cg, arena, in.data[i], c, copy, names[0].name, names, p->loc.line ? p->loc : g->loc);
    }
    LLVMValueRef v = call_with_leaves(cg, g, arena, flat);
    if (!through_out) {
        arena_leave(cg, arena);
        LLVMBuildRet(cg->b, v);
    } else {
        ValVec fl = {0};
        flatten_value(cg, v, rt, &fl);
        /* every ragged result first, then the mallocs */
        LLVMValueRef *cols = xcalloc((size_t)fl.len + 1, sizeof(LLVMValueRef));
        ListBlock lb;
        for (int i = 0; i < fl.len; i++)
            if (type_list_block(outs.data[i], &lb) && lb.dims == 2)
                cols[i] = rectangular_columns(cg, fl.data[i], outs.data[i], g->loc);
        for (int i = 0; i < fl.len; i++) {
            if (outs.data[i]->kind != T_LIST)
                continue;
            LLVMValueRef o[3];
            for (int d = 0; d < c_width(outs.data[i]); d++)
                o[d] = LLVMGetParam(fn, (unsigned)(cfirst[in.len + i] + d));
            list_to_c(cg, arena, fl.data[i], outs.data[i], cols[i], o);
        }
        arena_leave(cg, arena);
        for (int i = 0; i < fl.len; i++) {
            if (outs.data[i]->kind == T_LIST)
                continue;
            LLVMValueRef x = fl.data[i];
            if (outs.data[i]->kind == T_BOOL)
                x = LLVMBuildZExt(cg->b, x, cg->t_i8, "");
            LLVMBuildStore(cg->b, x, ptr_to(cg, LLVMGetParam(fn, (unsigned)cfirst[in.len + i]), LLVMTypeOf(x)));
        }
        free(cols);
        vec_free(&fl);
        LLVMBuildRetVoid(cg->b);
    }
    cg_debug_leave(cg, dbg);
    free(flat);
    free(cfirst);
    vec_free(&pt);
    vec_free(&owner);
    vec_free(&in);
    vec_free(&outs);
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
    if (ex->kind == EXPORT_FUNC) {
        emit_func_export(cg, ex);
        return;
    }
    /* derivatives with respect to lists are not exported yet (the driver
       refuses them): every leaf below is a scalar, one C parameter each */
    for (int i = 0; i < ex->primal->nparams; i++)
        if (type_may_hold_list(ex->primal->params[i]->type))
            die("codegen: %s: a derivative export with a list parameter", ex->sig.name);
    if (type_may_hold_list(ret_type(ex->primal)))
        die("codegen: %s: a derivative export with a list result", ex->sig.name);
    if (ex->kind == EXPORT_VJP || ex->kind == EXPORT_JVP) {
        emit_vector_export(cg, ex);
        return;
    }
    /* NAME_grad(leaves, d...): when every d pointer is NULL only the value
       is wanted, and NAME alone runs */
    Graph *g = ex->graph;
    CTypeVec in = {0};
    int nin = count_leaves_params(ex->primal, &in);
    const Type *rt = ret_type(ex->primal);
    int nd = 0;
    for (int i = 0; i < nin; i++)
        nd += in.data[i]->kind == T_FLOAT;
    int np = nin + nd;
    LLVMTypeRef *pt = xmalloc(sizeof(LLVMTypeRef) * (size_t)(np + 1));
    for (int i = 0; i < nin; i++)
        pt[i] = c_type(cg, in.data[i]);
    for (int i = 0; i < nd; i++)
        pt[nin + i] = cg->t_ptr;
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, LLVMFunctionType(cg->t_f64, pt, (unsigned)np, 0));
    c_param_attrs(cg, fn, in.data, nin, false);
    for (int i = nin; i < np; i++)
        cg_add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "noalias");
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, ex->primal->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(nin + 1));
    for (int i = 0; i < nin; i++)
        flat[i] = LLVMGetParam(fn, (unsigned)i);
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
    LLVMValueRef val = cg_coerce(cg, LLVMBuildExtractValue(cg->b, r, 0, ""), grt->elems[0], type_float(cg->m->types));
    LLVMValueRef ds = LLVMBuildExtractValue(cg->b, r, 1, "");
    const Type *dt = grt->elems[1];
    for (int i = 0; i < nd; i++) {
        LLVMValueRef p = LLVMGetParam(fn, (unsigned)(nin + i));
        LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
        LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
        LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
        LLVMPositionBuilderAtEnd(cg->b, st);
        LLVMValueRef di = dt->kind == T_TUPLE ? cg_coerce(cg, LLVMBuildExtractValue(cg->b, ds, (unsigned)i, ""),
                                                          dt->elems[i], type_float(cg->m->types))
                                              : LLVMConstReal(cg->t_f64, 0.0);
        LLVMBuildStore(cg->b, di, ptr_to(cg, p, cg->t_f64));
        LLVMBuildBr(cg->b, next);
        LLVMPositionBuilderAtEnd(cg->b, next);
    }
    arena_leave(cg, arena);
    LLVMBuildRet(cg->b, val);
    cg_debug_leave(cg, dbg);
    free(flat);
    free(pt);
    vec_free(&in);
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
