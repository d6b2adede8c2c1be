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
 * thread-safe and reentrant and nothing outlives it (but the malloc'd
 * blocks of list results); NAME_grad calls the
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
 * and copied into one row-major block.  NAME_grad takes its list
 * parameters as NAME does (inputs_from_c: copied when NAME or the entry
 * changes them in place) and stores a float list's gradient into the
 * caller's d_ buffer of the parameter's length (sens_to_c: zeros where
 * the sensitivity list is shorter, as an untouched one is).  NAME_vjp and
 * NAME_jvp (emit_vector_export) likewise; a list cotangent or tangent is
 * a list value over the caller's memory, and a list result's tangent goes
 * into a block from malloc.
 */
#include "cg.h"

#include <string.h>

#include "../../runtime/myrt.h"

typedef VEC(const Type *) CTypeVec;
typedef VEC(LLVMValueRef) ValVec;
typedef VEC(LLVMTypeRef) LLVMTypeVec;

/* A leaf's type in a C signature (a bool is an i1 passed zeroext,
   inputs_attrs). */
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

/* `if (p) *p = x;` (x already in its C representation). */
static void store_raw_unless_null(Cg *cg, LLVMValueRef fn, LLVMValueRef p, LLVMValueRef x)
{
    LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
    LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
    LLVMPositionBuilderAtEnd(cg->b, st);
    LLVMBuildStore(cg->b, x, ptr_to(cg, p, LLVMTypeOf(x)));
    LLVMBuildBr(cg->b, next);
    LLVMPositionBuilderAtEnd(cg->b, next);
}

/* x of type t in its C representation (a bool as a byte). */
static LLVMValueRef c_repr(Cg *cg, LLVMValueRef x, const Type *t)
{
    return t->kind == T_BOOL ? LLVMBuildZExt(cg->b, x, cg->t_i8, "") : x;
}

/* `if (p) *p = x;` (a bool stored as a byte). */
static void store_unless_null(Cg *cg, LLVMValueRef fn, LLVMValueRef p, LLVMValueRef x, const Type *t)
{
    store_raw_unless_null(cg, fn, p, c_repr(cg, x, t));
}

/* Scalar stores through out-pointers that may each be NULL, collected
   (stores_add) and made together (stores_flush): up to STORES_LOOP one by
   one, each behind its test; more of one type through two arrays in the
   frame, the pointers' and the values', and a loop that tests and stores.
   A test and a block per leaf for thousands of leaves, with every value
   live across all the blocks, cost LLVM's register allocation and machine
   sinking time quadratic in the leaves (a vjp of a function of a
   1,000-float tuple: 6 s of code generation for its C wrapper); below a
   hundred or so they cost little, and the arrays would add 16 bytes of
   C stack per leaf to every call (nn_grad's 33 derivatives: 850 bytes). */
#define STORES_LOOP 128

typedef struct Stores {
    ValVec p, x;
} Stores;

static void stores_add(Cg *cg, Stores *s, LLVMValueRef p, LLVMValueRef x, const Type *t)
{
    vec_push(&s->p, p);
    vec_push(&s->x, c_repr(cg, x, t));
}

static void stores_flush(Cg *cg, LLVMValueRef fn, Stores *s)
{
    int n = s->p.len;
    bool same = true;
    for (int i = 1; i < n; i++)
        same = same && LLVMTypeOf(s->x.data[i]) == LLVMTypeOf(s->x.data[0]);
    if (n <= STORES_LOOP || !same) {
        for (int i = 0; i < n; i++)
            store_raw_unless_null(cg, fn, s->p.data[i], s->x.data[i]);
    } else {
        LLVMTypeRef xt = LLVMTypeOf(s->x.data[0]);
        LLVMTypeRef pa = LLVMArrayType(cg->t_ptr, (unsigned)n), xa = LLVMArrayType(xt, (unsigned)n);
        LLVMValueRef ps = cg_entry_alloca(cg, pa, "outs"), xs = cg_entry_alloca(cg, xa, "leaves");
        for (int i = 0; i < n; i++) {
            LLVMValueRef at[2] = {const_i64(cg, 0), const_i64(cg, i)};
            LLVMBuildStore(cg->b, s->p.data[i], LLVMBuildInBoundsGEP2(cg->b, pa, ps, at, 2, ""));
            LLVMBuildStore(cg->b, s->x.data[i], LLVMBuildInBoundsGEP2(cg->b, xa, xs, at, 2, ""));
        }
        CgLoop l;
        cg_loop_begin(cg, &l, const_i64(cg, 0), const_i64(cg, n), NULL, 0);
        LLVMValueRef at[2] = {const_i64(cg, 0), l.i};
        LLVMValueRef p = LLVMBuildLoad2(cg->b, cg->t_ptr, LLVMBuildInBoundsGEP2(cg->b, pa, ps, at, 2, ""), "");
        LLVMValueRef x = LLVMBuildLoad2(cg->b, xt, LLVMBuildInBoundsGEP2(cg->b, xa, xs, at, 2, ""), "");
        store_raw_unless_null(cg, fn, p, x);
        cg_loop_end(cg, &l, NULL);
    }
    vec_free(&s->p);
    vec_free(&s->x);
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
/* The input leaves of g's parameters and, per leaf, the parameter it
   belongs to and its first C parameter (pt receives the C types). */
typedef struct CInputs {
    CTypeVec in;
    VEC(int) owner;
    int *cfirst;        /* in.len + nextra entries */
} CInputs;

static void inputs_layout(Cg *cg, const Graph *g, int nextra, CInputs *ci, LLVMTypeVec *pt)
{
    memset(ci, 0, sizeof *ci);
    for (int i = 0; i < g->nparams; i++) {
        int before = ci->in.len;
        leaves(g->params[i]->type, &ci->in);
        for (int k = before; k < ci->in.len; k++)
            vec_push(&ci->owner, i);
    }
    ci->cfirst = xmalloc(sizeof(int) * (size_t)(ci->in.len + nextra + 1));
    for (int i = 0; i < ci->in.len; i++) {
        const Type *t = ci->in.data[i];
        ci->cfirst[i] = pt->len;
        vec_push(pt, t->kind == T_LIST ? cg->t_ptr : c_type(cg, t));
        for (int d = 1; d < c_width(t); d++)
            vec_push(pt, cg->t_i64);
    }
}

static void inputs_free(CInputs *ci)
{
    vec_free(&ci->in);
    vec_free(&ci->owner);
    free(ci->cfirst);
}

/* Adds the C attributes of the inputs (bools zeroext) and of the
   pointers among pt[nin..np) (noalias: the out-pointers and derivative
   buffers must not overlap). */
static void inputs_attrs(Cg *cg, LLVMValueRef fn, const CInputs *ci, const LLVMTypeRef *pt, int nin, int np)
{
    for (int i = 0; i < ci->in.len; i++)
        if (ci->in.data[i]->kind == T_BOOL)
            cg_add_attr(cg, fn, (LLVMAttributeIndex)(ci->cfirst[i] + 1), "zeroext");
    for (int i = nin; i < np; i++)
        if (pt[i] == cg->t_ptr)
            cg_add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "noalias");
}

/* The leaf values of g's parameters from fn's C inputs (a list checked and
   copied when g changes it in place, or when `entry`, whose parameters are
   the leaves themselves, does: list_from_c). */
static void inputs_from_c(Cg *cg, LLVMValueRef fn, LLVMValueRef arena, const CgExport *ex, const Graph *g,
                          const Graph *entry, const CInputs *ci, LLVMValueRef *flat)
{
    for (int i = 0; i < ci->in.len; i++) {
        const Type *t = ci->in.data[i];
        LLVMValueRef c[3];
        for (int d = 0; d < c_width(t); d++)
            c[d] = LLVMGetParam(fn, (unsigned)(ci->cfirst[i] + d));
        if (t->kind != T_LIST) {
            flat[i] = c[0];
            continue;
        }
        const Node *p = g->params[ci->owner.data[i]];
        /* only a whole list parameter can be changed in place (inplace.c) */
        bool copy = p->type == t && g->consumed && g->consumed[ci->owner.data[i]];
        if (entry && entry->nparams >= ci->in.len && entry->consumed && entry->consumed[i])
            copy = true;
        const CParam *names = &ex->sig.params.data[ci->cfirst[i]];
        flat[i] = list_from_c(cg, arena, t, c, copy, names[0].name, names, p->loc.line ? p->loc : g->loc);
    }
}

static void emit_func_export(Cg *cg, const CgExport *ex)
{
    Graph *g = ex->graph;
    CTypeVec outs = {0};
    LLVMTypeVec pt = {0};
    const Type *rt = ret_type(g);
    bool through_out = rt->kind == T_TUPLE || rt->kind == T_LIST;
    if (through_out)
        leaves(rt, &outs);
    CInputs ci;
    inputs_layout(cg, g, outs.len, &ci, &pt);
    CTypeVec in = ci.in;
    int *cfirst = ci.cfirst;
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
    inputs_attrs(cg, fn, &ci, pt.data, nin, pt.len);
    if (rt->kind == T_BOOL)
        cg_add_attr(cg, fn, LLVMAttributeReturnIndex, "zeroext");
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, g->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(in.len + 1));
    inputs_from_c(cg, fn, arena, ex, g, NULL, &ci, flat);
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
    inputs_free(&ci);
    vec_free(&pt);
    vec_free(&outs);
}

/* ---- NAME_grad ---- */

/* Whether input leaf t has a d_ pointer (a float, or a list of floats:
   passes/export.c differentiates the same leaves). */
static bool has_derivative(const Type *t)
{
    ListBlock lb;
    return t->kind == T_FLOAT || (t->kind == T_LIST && type_list_block(t, &lb) && lb.leaf == T_FLOAT);
}

/* Zeros `n` doubles at p + first doubles. */
static void zero_doubles(Cg *cg, LLVMValueRef p, LLVMValueRef first, LLVMValueRef n)
{
    LLVMValueRef eight = const_i64(cg, 8);
    LLVMValueRef off = LLVMBuildNUWMul(cg->b, first, eight, "");
    LLVMBuildMemSet(cg->b, LLVMBuildGEP2(cg->b, cg->t_i8, p, &off, 1, ""), LLVMConstInt(cg->t_i8, 0, 0),
                    LLVMBuildNUWMul(cg->b, n, eight, ""), 1);
}

static LLVMValueRef smin(Cg *cg, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/*
 * Stores sensitivity d (of type dt) of a list of `n` items, each `per`
 * doubles, at p: item i's leaves as doubles (a symbolic zero leaf 0.0)
 * for i below d's length, zeros beyond it (a sensitivity list that was
 * never touched is the empty list, standing for zeros of any length, or
 * the symbolic zero itself: docs/ad.md, "Zeros of lists").  A list of
 * lists (`cols` not NULL) row by row, each row as a list of `cols` items.
 */
static void sens_to_c(Cg *cg, LLVMValueRef d, const Type *dt, LLVMValueRef n, LLVMValueRef cols, int per,
                      LLVMValueRef p)
{
    LLVMValueRef row_doubles = cols ? LLVMBuildNUWMul(cg->b, cols, const_i64(cg, per), "") : const_i64(cg, per);
    const Type *elem = dt->kind == T_LIST ? type_list_elem(dt) : NULL;
    if (!elem || elem->kind == T_ZERO) {
        zero_doubles(cg, p, const_i64(cg, 0), LLVMBuildNUWMul(cg->b, n, row_doubles, ""));
        return;
    }
    LLVMValueRef m = smin(cg, n, cg_list_len(cg, d));
    LLVMValueRef data = cg_list_data(cg, d);
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), m, NULL, 0);
    LLVMValueRef item = cg_list_load(cg, data, l.i, elem);
    LLVMValueRef first = LLVMBuildNUWMul(cg->b, l.i, row_doubles, "");
    if (cols) {
        LLVMValueRef off = LLVMBuildNUWMul(cg->b, first, const_i64(cg, 8), "");
        sens_to_c(cg, item, elem, cols, NULL, per, LLVMBuildGEP2(cg->b, cg->t_i8, p, &off, 1, "row"));
    } else {
        CTypeVec il = {0};
        leaves(elem, &il);
        if (il.len != per)
            die("codegen: a list sensitivity's item has %d leaves, the parameter's %d", il.len, per);
        const Type *f64 = type_float(cg->m->types);
        const Type **want = xmalloc(sizeof(const Type *) * (size_t)(per + 1));
        LLVMValueRef *lv = xmalloc(sizeof(LLVMValueRef) * (size_t)(per + 1));
        for (int j = 0; j < per; j++)
            want[j] = f64;
        leaves_as(cg, item, elem, want, per, lv);
        for (int j = 0; j < per; j++) {
            LLVMValueRef at = LLVMBuildNUWAdd(cg->b, first, const_i64(cg, j), "");
            LLVMBuildStore(cg->b, lv[j], LLVMBuildGEP2(cg->b, cg->t_f64, ptr_to(cg, p, cg->t_f64), &at, 1, ""));
        }
        free(lv);
        free(want);
        vec_free(&il);
    }
    cg_loop_end(cg, &l, NULL);
    zero_doubles(cg, p, LLVMBuildNUWMul(cg->b, m, row_doubles, ""),
                 LLVMBuildNUWMul(cg->b, LLVMBuildNUWSub(cg->b, n, m, ""), row_doubles, ""));
}

/*
 * NAME_grad(C inputs..., d...) (cabi.h): the inputs as NAME takes them
 * (inputs_from_c, shared by both paths); with every d_ pointer NULL,
 * NAME alone; otherwise the entry fn$grad (export.h: (value, (d...)), one
 * derivative per float or float-list leaf), each derivative stored unless
 * its pointer is NULL: a float through its pointer, a list into the
 * caller's buffer of the parameter's length (sens_to_c).
 */
static void emit_grad_export(Cg *cg, const CgExport *ex)
{
    Graph *g = ex->graph;
    LLVMTypeVec pt = {0};
    CInputs ci;
    inputs_layout(cg, ex->primal, 0, &ci, &pt);
    int nin = pt.len;
    if (nin != ex->sig.ninputs)
        die("codegen: %s takes %d C inputs, its signature %d", ex->sig.name, nin, ex->sig.ninputs);
    VEC(int) dleaf = {0};           /* per d_ pointer: its input leaf */
    for (int i = 0; i < ci.in.len; i++)
        if (has_derivative(ci.in.data[i])) {
            vec_push(&dleaf, i);
            vec_push(&pt, cg->t_ptr);
        }
    int nd = dleaf.len, np = pt.len;
    if (np != ex->sig.params.len)
        die("codegen: %s has %d C parameters, its signature %d", ex->sig.name, np, ex->sig.params.len);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, LLVMFunctionType(cg->t_f64, pt.data, (unsigned)np, 0));
    inputs_attrs(cg, fn, &ci, pt.data, nin, np);
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, ex->primal->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(ci.in.len + 1));
    inputs_from_c(cg, fn, arena, ex, ex->primal, g, &ci, flat);
    LLVMValueRef any = LLVMConstInt(cg->t_i1, 0, 0);
    for (int i = 0; i < nd; i++)
        any = LLVMBuildOr(cg->b, any, LLVMBuildIsNotNull(cg->b, LLVMGetParam(fn, (unsigned)(nin + i)), ""), "");
    LLVMBasicBlockRef prim = LLVMAppendBasicBlockInContext(cg->ctx, fn, "value_only");
    LLVMBasicBlockRef grad = LLVMAppendBasicBlockInContext(cg->ctx, fn, "gradient");
    LLVMBuildCondBr(cg->b, any, grad, prim);
    const Type *f64 = type_float(cg->m->types);
    LLVMPositionBuilderAtEnd(cg->b, prim);
    LLVMValueRef v = call_with_leaves(cg, ex->primal, arena, flat);
    arena_leave(cg, arena);
    LLVMBuildRet(cg->b, cg_coerce(cg, v, ret_type(ex->primal), f64));
    LLVMPositionBuilderAtEnd(cg->b, grad);
    if (g->nparams != ci.in.len)
        die("codegen: the entry of %s has %d parameters, its C signature %d leaves", ex->sig.name, g->nparams,
            ci.in.len);
    GInfo *gi = info(cg, g);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
    a[0] = arena;
    for (int i = 0; i < g->nparams; i++)
        a[i + 1] = flat[i];         /* the entry's parameters are the leaves */
    LLVMValueRef r = cg_call_fn(cg, gi->fnty, gi->fn, a, g->nparams + 1, true);
    free(a);
    const Type *grt = ret_type(g);      /* (value, (d...)) */
    LLVMValueRef val = cg_coerce(cg, LLVMBuildExtractValue(cg->b, r, 0, ""), grt->elems[0], f64);
    LLVMValueRef ds = LLVMBuildExtractValue(cg->b, r, 1, "");
    const Type *dt = grt->elems[1];
    if (dt->kind == T_TUPLE && dt->n != nd)
        die("codegen: %s has %d derivatives, its signature %d", ex->sig.name, dt->n, nd);
    Stores sd = {0};
    for (int i = 0; i < nd; i++) {
        LLVMValueRef p = LLVMGetParam(fn, (unsigned)(nin + i));
        const Type *t = ci.in.data[dleaf.data[i]];
        const Type *di_t = dt->kind == T_TUPLE ? dt->elems[i] : NULL;
        LLVMValueRef di = di_t ? LLVMBuildExtractValue(cg->b, ds, (unsigned)i, "") : NULL;
        if (t->kind != T_LIST) {
            stores_add(cg, &sd, p, di_t ? cg_coerce(cg, di, di_t, f64) : LLVMConstReal(cg->t_f64, 0.0), f64);
            continue;
        }
        LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
        LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
        LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
        LLVMPositionBuilderAtEnd(cg->b, st);
        ListBlock lb;
        type_list_block(t, &lb);
        LLVMValueRef len = cg_list_len(cg, flat[dleaf.data[i]]), cols = NULL;
        if (lb.dims == 2)       /* the columns: the C parameter after the rows */
            cols = LLVMGetParam(fn, (unsigned)(ci.cfirst[dleaf.data[i]] + 2));
        if (!di_t || di_t->kind == T_ZERO)
            di_t = type_zero(cg->m->types);
        sens_to_c(cg, di, di_t, len, cols, lb.per_item, p);
        LLVMBuildBr(cg->b, next);
        LLVMPositionBuilderAtEnd(cg->b, next);
    }
    stores_flush(cg, fn, &sd);
    arena_leave(cg, arena);
    LLVMBuildRet(cg->b, val);
    cg_debug_leave(cg, dbg);
    free(flat);
    inputs_free(&ci);
    vec_free(&dleaf);
    vec_free(&pt);
}

/* ---- NAME_vjp and NAME_jvp ---- */

/* `if (o[0]) *o[0] = <list v's block>`, then its lengths through o[1]
   (and o[2], the columns `cols` of a list of lists) unless NULL: a list
   result of NAME_vjp or NAME_jvp, whose out-pointers may each be NULL
   (list_to_c, but no block is made for a NULL o[0]). */
static void list_out_unless_null(Cg *cg, LLVMValueRef fn, LLVMValueRef arena, LLVMValueRef v, const Type *t,
                                 LLVMValueRef cols, const LLVMValueRef *o)
{
    ListBlock lb;
    type_list_block(t, &lb);
    const Type *i64 = type_int(cg->m->types);
    LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "out.list");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "out.next");
    LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, o[0], ""), st, next);
    LLVMPositionBuilderAtEnd(cg->b, st);
    LLVMValueRef lens = LLVMBuildAlloca(cg->b, LLVMArrayType(cg->t_i64, 2), "lens");
    LLVMValueRef one = const_i64(cg, 1), zero = const_i64(cg, 0);
    LLVMValueRef at0[2] = {zero, zero}, at1[2] = {zero, one};
    LLVMTypeRef at = LLVMArrayType(cg->t_i64, 2);
    LLVMValueRef slots[3] = {o[0], LLVMBuildGEP2(cg->b, at, lens, at0, 2, ""), LLVMBuildGEP2(cg->b, at, lens, at1, 2, "")};
    list_to_c(cg, arena, v, t, cols, slots);
    LLVMBuildBr(cg->b, next);
    LLVMPositionBuilderAtEnd(cg->b, next);
    store_unless_null(cg, fn, o[1], cg_list_len(cg, v), i64);
    if (lb.dims == 2)
        store_unless_null(cg, fn, o[2], cols, i64);
}

/* Stores NAME's result v (type vt, leaves `res` in the C signature's
   types) through the out-pointers (ofirst: each leaf's first C
   parameter), each skipped where NULL: every list of lists checked
   rectangular first (cols receives the columns), then the blocks. */
static void store_results(Cg *cg, LLVMValueRef fn, LLVMValueRef arena, LLVMValueRef v, const Type *vt,
                          const CTypeVec *res, const int *ofirst, LLVMValueRef *cols, Loc loc)
{
    LLVMValueRef *yl = xmalloc(sizeof(LLVMValueRef) * (size_t)(res->len + 1));
    leaves_as(cg, v, vt, res->data, res->len, yl);
    ListBlock lb;
    for (int i = 0; i < res->len; i++) {
        cols[i] = NULL;
        if (type_list_block(res->data[i], &lb) && lb.dims == 2)
            cols[i] = rectangular_columns(cg, yl[i], res->data[i], loc);
    }
    Stores st = {0};
    for (int i = 0; i < res->len; i++) {
        LLVMValueRef o[3];
        for (int d = 0; d < c_width(res->data[i]); d++)
            o[d] = LLVMGetParam(fn, (unsigned)(ofirst[i] + d));
        if (res->data[i]->kind == T_LIST)
            list_out_unless_null(cg, fn, arena, yl[i], res->data[i], cols[i], o);
        else
            stores_add(cg, &st, o[0], yl[i], res->data[i]);
    }
    stores_flush(cg, fn, &st);
    free(yl);
}

/*
 * NAME_vjp(inputs, out..., dy..., d...) and NAME_jvp(inputs, t...,
 * out..., dout...) (cabi.h): the inputs as NAME takes them
 * (inputs_from_c); with every d_ (dout_) pointer NULL, NAME alone;
 * otherwise the entry (export.h: (y, (d...)) or (y, ty)), a list
 * cotangent or tangent passed as a list over the caller's memory (a
 * cotangent with its own lengths, which the operator checks against the
 * result's; a tangent with its parameter's).  The result is stored as
 * store_results says; a d_ buffer of a list parameter receives its
 * sensitivity (sens_to_c, the parameter's length); a list result's
 * tangent goes into a block from malloc of the result's shape (NULL when
 * empty) stored through dout_k.  Everything is stored before the arena is
 * left.
 */
static void emit_vector_export(Cg *cg, const CgExport *ex)
{
    bool vjp = ex->kind == EXPORT_VJP;
    Graph *primal = ex->primal, *g = ex->graph;
    LLVMTypeVec pt = {0};
    CInputs ci;
    inputs_layout(cg, primal, 0, &ci, &pt);
    int nin = pt.len;
    if (nin != ex->sig.ninputs)
        die("codegen: %s takes %d C inputs, its signature %d", ex->sig.name, nin, ex->sig.ninputs);
    const Type *rt = ret_type(primal);
    CTypeVec res = {0};
    leaves(rt, &res);
    VEC(int) dp = {0}, dr = {0};        /* the differentiable parameter and result leaves */
    for (int i = 0; i < ci.in.len; i++)
        if (has_derivative(ci.in.data[i]))
            vec_push(&dp, i);
    for (int i = 0; i < res.len; i++)
        if (has_derivative(res.data[i]))
            vec_push(&dr, i);
    int nw = vjp ? dr.len : dp.len, nd = vjp ? dp.len : dr.len;
    int *ofirst = xmalloc(sizeof(int) * (size_t)(res.len + 1));
    int *wfirst = xmalloc(sizeof(int) * (size_t)(nw + 1));
    int *dfirst = xmalloc(sizeof(int) * (size_t)(nd + 1));
    for (int pass = 0; pass < 3; pass++) {
        /* vjp: out, dy, d; jvp: t, out, dout */
        int what = vjp ? pass : (pass == 0 ? 1 : pass == 1 ? 0 : 2);     /* 0 out, 1 w, 2 d */
        if (what == 0) {
            for (int i = 0; i < res.len; i++) {
                ofirst[i] = pt.len;
                for (int d = 0; d < c_width(res.data[i]); d++)
                    vec_push(&pt, cg->t_ptr);
            }
        } else if (what == 1) {
            for (int j = 0; j < nw; j++) {
                const Type *t = vjp ? res.data[dr.data[j]] : ci.in.data[dp.data[j]];
                wfirst[j] = pt.len;
                vec_push(&pt, t->kind == T_LIST ? cg->t_ptr : cg->t_f64);
                for (int d = 1; vjp && d < c_width(t); d++)
                    vec_push(&pt, cg->t_i64);       /* a cotangent's own lengths */
            }
        } else {
            for (int j = 0; j < nd; j++) {
                dfirst[j] = pt.len;
                vec_push(&pt, cg->t_ptr);
            }
        }
    }
    int np = pt.len;
    if (np != ex->sig.params.len)
        die("codegen: %s has %d C parameters, its signature %d", ex->sig.name, np, ex->sig.params.len);
    if (g->nparams != ci.in.len + nw)
        die("codegen: the entry of %s has %d parameters, its C signature %d", ex->sig.name, g->nparams,
            ci.in.len + nw);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, LLVMFunctionType(cg->t_void, pt.data, (unsigned)np, 0));
    inputs_attrs(cg, fn, &ci, pt.data, nin, np);
    DbgScope dbg = cg_debug_enter(cg, fn, ex->sig.name, primal->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(ci.in.len + nw + 1));
    inputs_from_c(cg, fn, arena, ex, primal, g, &ci, flat);
    LLVMValueRef any = LLVMConstInt(cg->t_i1, 0, 0);
    for (int j = 0; j < nd; j++)
        any = LLVMBuildOr(cg->b, any, LLVMBuildIsNotNull(cg->b, LLVMGetParam(fn, (unsigned)dfirst[j]), ""), "");
    LLVMBasicBlockRef prim = LLVMAppendBasicBlockInContext(cg->ctx, fn, "value_only");
    LLVMBasicBlockRef deriv = LLVMAppendBasicBlockInContext(cg->ctx, fn, "derivative");
    LLVMBuildCondBr(cg->b, any, deriv, prim);
    LLVMValueRef *cols = xcalloc((size_t)res.len + 1, sizeof(LLVMValueRef));
    Loc loc = primal->loc;
    /* value only: NAME */
    LLVMPositionBuilderAtEnd(cg->b, prim);
    LLVMValueRef v = call_with_leaves(cg, primal, arena, flat);
    store_results(cg, fn, arena, v, rt, &res, ofirst, cols, loc);
    arena_leave(cg, arena);
    LLVMBuildRetVoid(cg->b);
    /* the derivative: the entry, on the leaves and the cotangents or tangents */
    LLVMPositionBuilderAtEnd(cg->b, deriv);
    for (int j = 0; j < nw; j++) {
        const Type *t = vjp ? res.data[dr.data[j]] : ci.in.data[dp.data[j]];
        LLVMValueRef w = LLVMGetParam(fn, (unsigned)wfirst[j]);
        if (t->kind != T_LIST) {
            flat[ci.in.len + j] = w;
            continue;
        }
        /* a cotangent's lengths follow it; a tangent has its parameter's */
        const CParam *names = &ex->sig.params.data[vjp ? wfirst[j] : ci.cfirst[dp.data[j]]];
        LLVMValueRef c[3] = {w, NULL, NULL};
        for (int d = 1; d < c_width(t); d++)
            c[d] = LLVMGetParam(fn, (unsigned)((vjp ? wfirst[j] : ci.cfirst[dp.data[j]]) + d));
        bool copy = g->consumed && g->consumed[ci.in.len + j];
        flat[ci.in.len + j] = list_from_c(cg, arena, t, c, copy, ex->sig.params.data[wfirst[j]].name, names, loc);
    }
    GInfo *gi = info(cg, g);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
    a[0] = arena;
    for (int i = 0; i < g->nparams; i++)
        a[i + 1] = flat[i];
    LLVMValueRef r = cg_call_fn(cg, gi->fnty, gi->fn, a, g->nparams + 1, true);
    free(a);
    const Type *grt = ret_type(g);      /* (y, derivatives) */
    store_results(cg, fn, arena, LLVMBuildExtractValue(cg->b, r, 0, ""), grt->elems[0], &res, ofirst, cols, loc);
    const Type *dt = grt->elems[1];
    LLVMValueRef dv = LLVMBuildExtractValue(cg->b, r, 1, "");
    const Type *f64 = type_float(cg->m->types);
    if (vjp) {
        /* (d...): one per differentiable parameter leaf */
        if (dt->kind == T_TUPLE && dt->n != nd)
            die("codegen: %s has %d derivatives, its signature %d", ex->sig.name, dt->n, nd);
        Stores sd = {0};
        for (int j = 0; j < nd; j++) {
            const Type *t = ci.in.data[dp.data[j]];
            const Type *di_t = dt->kind == T_TUPLE ? dt->elems[j] : type_zero(cg->m->types);
            LLVMValueRef di = dt->kind == T_TUPLE ? LLVMBuildExtractValue(cg->b, dv, (unsigned)j, "") : NULL;
            LLVMValueRef p = LLVMGetParam(fn, (unsigned)dfirst[j]);
            if (t->kind != T_LIST) {
                stores_add(cg, &sd, p, di_t->kind == T_ZERO ? LLVMConstReal(cg->t_f64, 0.0)
                                                            : cg_coerce(cg, di, di_t, f64), f64);
                continue;
            }
            ListBlock lb;
            type_list_block(t, &lb);
            LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
            LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
            LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
            LLVMPositionBuilderAtEnd(cg->b, st);
            LLVMValueRef cols_p = lb.dims == 2 ? LLVMGetParam(fn, (unsigned)(ci.cfirst[dp.data[j]] + 2)) : NULL;
            sens_to_c(cg, di, di_t, cg_list_len(cg, flat[dp.data[j]]), cols_p, lb.per_item, p);
            LLVMBuildBr(cg->b, next);
            LLVMPositionBuilderAtEnd(cg->b, next);
        }
        stores_flush(cg, fn, &sd);
    } else {
        /* ty: y's shape; its differentiable leaves go through dout_ */
        ValVec tl = {0};
        CTypeVec tt = {0};
        if (dt->kind == T_ZERO) {
            for (int i = 0; i < res.len; i++) {
                vec_push(&tl, NULL);
                vec_push(&tt, dt);
            }
        } else {
            flatten_value(cg, dv, dt, &tl);
            leaves(dt, &tt);
        }
        if (tl.len != res.len)
            die("codegen: %s's tangent has %d leaves, its result %d", ex->sig.name, tl.len, res.len);
        LLVMValueRef y = LLVMBuildExtractValue(cg->b, r, 0, "");
        ValVec yl = {0};
        flatten_value(cg, y, grt->elems[0], &yl);
        Stores sd = {0};
        for (int j = 0; j < nd; j++) {
            int i = dr.data[j];
            const Type *t = res.data[i], *ti = tt.data[i];
            LLVMValueRef p = LLVMGetParam(fn, (unsigned)dfirst[j]);
            if (t->kind != T_LIST) {
                stores_add(cg, &sd, p, ti->kind == T_ZERO ? LLVMConstReal(cg->t_f64, 0.0)
                                                          : cg_coerce(cg, tl.data[i], ti, f64), f64);
                continue;
            }
            ListBlock lb;
            type_list_block(t, &lb);
            LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "dout");
            LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
            LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
            LLVMPositionBuilderAtEnd(cg->b, st);
            /* a block of the result's shape (cols: checked by store_results) */
            LLVMValueRef n = cg_list_len(cg, yl.data[i]);
            LLVMValueRef items = lb.dims == 2 ? LLVMBuildNUWMul(cg->b, n, cols[i], "") : n;
            LLVMValueRef dbl = LLVMBuildNUWMul(cg->b, items, const_i64(cg, lb.per_item), "");
            LLVMValueRef bytes = LLVMBuildNUWMul(cg->b, dbl, const_i64(cg, 8), "bytes");
            LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
            LLVMBasicBlockRef some = new_block(cg, "dout.items"), join = new_block(cg, "dout.stored");
            LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, dbl, const_i64(cg, 0), ""), some, join);
            LLVMPositionBuilderAtEnd(cg->b, some);
            LLVMValueRef block = LLVMBuildCall2(cg->b, cg->rt_list_out_ty, cg->rt_list_out, &bytes, 1, "dout");
            sens_to_c(cg, tl.data[i], ti, n, lb.dims == 2 ? cols[i] : NULL, lb.per_item, block);
            LLVMBasicBlockRef filled = LLVMGetInsertBlock(cg->b);
            LLVMBuildBr(cg->b, join);
            LLVMPositionBuilderAtEnd(cg->b, join);
            LLVMValueRef bp = LLVMBuildPhi(cg->b, cg->t_ptr, "dout.block");
            LLVMValueRef pv[2] = {LLVMConstNull(cg->t_ptr), block};
            LLVMBasicBlockRef pb[2] = {pre, filled};
            LLVMAddIncoming(bp, pv, pb, 2);
            LLVMBuildStore(cg->b, bp, ptr_to(cg, p, cg->t_ptr));
            LLVMBuildBr(cg->b, next);
            LLVMPositionBuilderAtEnd(cg->b, next);
        }
        stores_flush(cg, fn, &sd);
        vec_free(&yl);
        vec_free(&tl);
        vec_free(&tt);
    }
    arena_leave(cg, arena);
    LLVMBuildRetVoid(cg->b);
    cg_debug_leave(cg, dbg);
    free(cols);
    free(flat);
    free(ofirst);
    free(wfirst);
    free(dfirst);
    vec_free(&dp);
    vec_free(&dr);
    vec_free(&res);
    inputs_free(&ci);
    vec_free(&pt);
}

void cg_emit_export(Cg *cg, const CgExport *ex)
{
    if (ex->kind == EXPORT_FUNC) {
        emit_func_export(cg, ex);
        return;
    }
    if (ex->kind == EXPORT_VJP || ex->kind == EXPORT_JVP) {
        emit_vector_export(cg, ex);
        return;
    }
    emit_grad_export(cg, ex);
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
