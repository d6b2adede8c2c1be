/*
 * lists.c: lists in native code (contract section 5): the list primitives
 * of ir/prims.def, == on two lists (emit.c's cg_equal calls it), the
 * conversions between list types,
 * and the loops over items that myc_run's arguments and results need.
 *
 * Representation (cg.h, docs/backend.md): a list is the LLVM struct
 * { i8* data, i64 len, i64 cap } passed by value; data points at cap
 * items of the element's memory type (cg_list_mem_type: a bool is an i8
 * holding 0 or 1, a tuple its literal struct of memory types, a list this
 * struct), of which the first len are the list's.  list[?] is the same
 * struct, { NULL, 0, 0 }, and so is every empty list this file makes but
 * list_reserve's (room for n items, none yet).
 * Buffers come from the runtime (myrt_list_alloc, myrt_list_grow) with
 * exactly cap * size-of-item bytes, so the runtime can tell from a
 * buffer's capacity whether it is a block of its own that it may realloc.
 *
 * Assumes types as specialise left them: a change's operands already
 * converted to its result's type (passes/specialise.c list_operands),
 * indices ints; the _inplace primitives only where passes/inplace.c
 * proved nothing reads their list operand (nor a value sharing its
 * storage) afterwards; cg->arena the arena of the function being emitted.
 *
 * Guarantees: each primitive computes what its evaluator in ir/list_eval.c
 * computes, and raises the same runtime errors with the same messages at
 * the primitive's location; a non-inplace primitive never writes its
 * operands' buffers (it allocates a new one); an _inplace one writes only
 * its list operand's, growing it by doubling (amortised O(1) per item),
 * but list_push_inplace, which stores into the room passes/inplace.c
 * proved (list_reserve's) without a check; list_item reads without a
 * check (the index is in range by construction: ir/prims.def).
 * Loops over items are plain counted LLVM loops (a phi, a compare, a
 * branch), copies memcpy, so that -O2 can vectorise them.
 */
#include "cg.h"

#include <stdio.h>
#include <string.h>

#include "../../runtime/myrt.h"
#include "scalar.h"

/* ---- representation ------------------------------------------------------------- */

LLVMTypeRef cg_list_mem_type(Cg *cg, const Type *t)
{
    if (!t)
        return cg->t_zero;
    switch (t->kind) {
    case T_BOOL: return cg->t_i8;
    case T_TUPLE: {
        LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(t->n + 1));
        for (int i = 0; i < t->n; i++)
            el[i] = cg_list_mem_type(cg, t->elems[i]);
        LLVMTypeRef s = LLVMStructTypeInContext(cg->ctx, el, (unsigned)t->n, 0);
        free(el);
        return s;
    }
    default: return cg_type(cg, t);
    }
}

/* Whether values of t differ from their memory form (a bool somewhere
   outside nested lists). */
static bool has_bool(const Type *t)
{
    if (!t)
        return false;
    if (t->kind == T_BOOL)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (has_bool(t->elems[i]))
            return true;
    return false;
}

/* v (of type t) in its memory form, and back. */
static LLVMValueRef to_mem(Cg *cg, LLVMValueRef v, const Type *t)
{
    if (!has_bool(t))
        return v;
    if (t->kind == T_BOOL)
        return LLVMBuildZExt(cg->b, v, cg->t_i8, "");
    LLVMValueRef r = LLVMGetUndef(cg_list_mem_type(cg, t));
    for (int i = 0; i < t->n; i++)
        r = LLVMBuildInsertValue(cg->b, r, to_mem(cg, LLVMBuildExtractValue(cg->b, v, (unsigned)i, ""), t->elems[i]),
                                 (unsigned)i, "");
    return r;
}

static LLVMValueRef from_mem(Cg *cg, LLVMValueRef v, const Type *t)
{
    if (!has_bool(t))
        return v;
    if (t->kind == T_BOOL)
        return LLVMBuildICmp(cg->b, LLVMIntNE, v, LLVMConstInt(cg->t_i8, 0, 0), "");
    LLVMValueRef r = LLVMGetUndef(cg_type(cg, t));
    for (int i = 0; i < t->n; i++)
        r = LLVMBuildInsertValue(cg->b, r,
                                 from_mem(cg, LLVMBuildExtractValue(cg->b, v, (unsigned)i, ""), t->elems[i]),
                                 (unsigned)i, "");
    return r;
}

static LLVMValueRef item_size(Cg *cg, const Type *elem)
{
    return const_i64(cg, (int64_t)size_of(cg, cg_list_mem_type(cg, elem)));
}

LLVMValueRef cg_list_value(Cg *cg, LLVMValueRef data, LLVMValueRef len, LLVMValueRef cap)
{
    LLVMValueRef v = LLVMGetUndef(cg->t_list);
    v = LLVMBuildInsertValue(cg->b, v, data, 0, "");
    v = LLVMBuildInsertValue(cg->b, v, len, 1, "");
    return LLVMBuildInsertValue(cg->b, v, cap, 2, "");
}

LLVMValueRef cg_list_data(Cg *cg, LLVMValueRef l) { return LLVMBuildExtractValue(cg->b, l, 0, "data"); }
LLVMValueRef cg_list_len(Cg *cg, LLVMValueRef l) { return LLVMBuildExtractValue(cg->b, l, 1, "len"); }
static LLVMValueRef cap_of(Cg *cg, LLVMValueRef l) { return LLVMBuildExtractValue(cg->b, l, 2, "cap"); }

static LLVMValueRef empty_list(Cg *cg) { return LLVMConstNull(cg->t_list); }

/* A pointer to item i of buffer data. */
static LLVMValueRef item_ptr(Cg *cg, LLVMValueRef data, LLVMValueRef i, const Type *elem)
{
    LLVMTypeRef mt = cg_list_mem_type(cg, elem);
    return LLVMBuildGEP2(cg->b, mt, ptr_to(cg, data, mt), &i, 1, "");
}

/* data + k bytes */
static LLVMValueRef byte_ptr(Cg *cg, LLVMValueRef data, LLVMValueRef k)
{
    return LLVMBuildGEP2(cg->b, cg->t_i8, data, &k, 1, "");
}

LLVMValueRef cg_list_load(Cg *cg, LLVMValueRef data, LLVMValueRef i, const Type *elem)
{
    LLVMTypeRef mt = cg_list_mem_type(cg, elem);
    return from_mem(cg, LLVMBuildLoad2(cg->b, mt, item_ptr(cg, data, i, elem), "item"), elem);
}

void cg_list_store(Cg *cg, LLVMValueRef data, LLVMValueRef i, LLVMValueRef v, const Type *elem)
{
    LLVMBuildStore(cg->b, to_mem(cg, v, elem), item_ptr(cg, data, i, elem));
}

/* A buffer for n items of type elem (capacity n). */
LLVMValueRef cg_list_buffer(Cg *cg, LLVMValueRef arena, LLVMValueRef n, const Type *elem)
{
    LLVMValueRef bytes = LLVMBuildNUWMul(cg->b, n, item_size(cg, elem), "bytes");
    LLVMValueRef args[2] = {arena, bytes};
    return LLVMBuildCall2(cg->b, cg->rt_list_alloc_ty, cg->list_alloc_fast, args, 2, "buf");
}

static void copy_bytes(Cg *cg, LLVMValueRef dst, LLVMValueRef src, LLVMValueRef bytes)
{
    LLVMBuildMemCpy(cg->b, dst, 1, src, 1, bytes);
}

/* ---- loops ---------------------------------------------------------------------- */

void cg_loop_begin(Cg *cg, CgLoop *l, LLVMValueRef from, LLVMValueRef to, LLVMValueRef *init, int nacc)
{
    if (nacc > CG_LOOP_MAX_ACC)
        die("codegen: a loop with %d carried values", nacc);
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
    l->head = new_block(cg, "loop");
    l->body = new_block(cg, "loop.body");
    l->exit = new_block(cg, "loop.exit");
    l->nacc = nacc;
    LLVMBuildBr(cg->b, l->head);
    LLVMPositionBuilderAtEnd(cg->b, l->head);
    l->i = LLVMBuildPhi(cg->b, cg->t_i64, "i");
    LLVMAddIncoming(l->i, &from, &pre, 1);
    for (int k = 0; k < nacc; k++) {
        l->acc[k] = LLVMBuildPhi(cg->b, LLVMTypeOf(init[k]), "acc");
        LLVMAddIncoming(l->acc[k], &init[k], &pre, 1);
    }
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, l->i, to, ""), l->body, l->exit);
    LLVMPositionBuilderAtEnd(cg->b, l->body);
}

void cg_loop_end(Cg *cg, CgLoop *l, LLVMValueRef *next)
{
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
    LLVMValueRef i1 = LLVMBuildNSWAdd(cg->b, l->i, const_i64(cg, 1), "");
    LLVMBuildBr(cg->b, l->head);
    LLVMAddIncoming(l->i, &i1, &latch, 1);
    for (int k = 0; k < l->nacc; k++)
        LLVMAddIncoming(l->acc[k], &next[k], &latch, 1);
    LLVMPositionBuilderAtEnd(cg->b, l->exit);
}

/* ---- runtime errors --------------------------------------------------------------- */

/* The message m as a private constant i8* (myc.msg.list.N, one per
   distinct message). */
static LLVMValueRef message(Cg *cg, const char *m)
{
    static const char *const known[] = {
        "list index out of range", "list assignment index out of range", "pop from empty list",
        "pop index out of range", "slice step cannot be zero", "min() arg is an empty sequence",
        "max() arg is an empty sequence", "cannot fit the repeated list in memory",
        "internal error: sensitivities of lists of different lengths",
        "the cotangent passed to vjp's pullback has a list whose length differs from the function's result's",
        "a tangent passed to jvp has a list whose length differs from its argument's",
    };
    int k = 0;
    while (k < (int)(sizeof known / sizeof *known) && strcmp(known[k], m) != 0)
        k++;
    if (k == (int)(sizeof known / sizeof *known))
        die("codegen: unknown list error message \"%s\"", m);
    char name[32];
    snprintf(name, sizeof name, "myc.msg.list.%d", k);
    unsigned len = (unsigned)strlen(m) + 1;
    LLVMTypeRef aty = LLVMArrayType(cg->t_i8, len);
    LLVMValueRef g = LLVMGetNamedGlobal(cg->mod, name);
    if (!g) {
        g = LLVMAddGlobal(cg->mod, aty, name);
        LLVMSetInitializer(g, LLVMConstStringInContext(cg->ctx, m, len - 1, 0));
        LLVMSetLinkage(g, LLVMPrivateLinkage);
        LLVMSetGlobalConstant(g, 1);
        LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
        LLVMSetAlignment(g, 1);
    }
    return LLVMConstBitCast(g, cg->t_ptr);
}

/* Raises m at loc when bad (an unlikely branch to a cold block); the
   builder continues where bad is false. */
static void raise_if(Cg *cg, LLVMValueRef bad, const char *m, Loc loc)
{
    LLVMBasicBlockRef err = new_block(cg, "rt.error"), ok = new_block(cg, "ok");
    LLVMValueRef br = LLVMBuildCondBr(cg->b, bad, err, ok);
    LLVMMetadataRef md[3] = {
        LLVMMDStringInContext2(cg->ctx, "branch_weights", strlen("branch_weights")),
        LLVMValueAsMetadata(const_i32(cg, 1)),
        LLVMValueAsMetadata(const_i32(cg, 2000)),
    };
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(cg->ctx, "prof", 4),
                    LLVMMetadataAsValue(cg->ctx, LLVMMDNodeInContext2(cg->ctx, md, 3)));
    LLVMPositionBuilderAtEnd(cg->b, err);
    CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, loc};
    cg_raise(&pc, message(cg, m));
    LLVMPositionBuilderAtEnd(cg->b, ok);
}

/* Index i (an int) of a list of length len, normalised (negative counts
   from the end); raises m at loc when out of range. */
static LLVMValueRef checked_index(Cg *cg, LLVMValueRef i, LLVMValueRef len, const char *m, Loc loc)
{
    LLVMValueRef neg = LLVMBuildICmp(cg->b, LLVMIntSLT, i, const_i64(cg, 0), "");
    LLVMValueRef k = LLVMBuildSelect(cg->b, neg, LLVMBuildAdd(cg->b, i, len, ""), i, "k");
    /* unsigned: a k still negative is huge */
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntUGE, k, len, ""), m, loc);
    return k;
}

static LLVMValueRef imax(Cg *cg, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, a, b, ""), a, b, "");
}

static LLVMValueRef imin(Cg *cg, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/* ---- conversions and equality ------------------------------------------------------ */

LLVMValueRef cg_list_convert(Cg *cg, LLVMValueRef arena, LLVMValueRef v, const Type *from, const Type *to)
{
    const Type *fe = type_list_elem(from), *te = type_list_elem(to);
    if (!fe)
        return empty_list(cg);          /* list[?]: the empty list, as any list */
    if (!te)
        die("codegen: a list converted to list[?]");
    if (fe == te)
        return v;
    LLVMValueRef data = cg_list_data(cg, v), len = cg_list_len(cg, v);
    LLVMValueRef buf = cg_list_buffer(cg, arena, len, te);
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), len, NULL, 0);
    LLVMValueRef x = cg_list_load(cg, data, l.i, fe);
    cg_list_store(cg, buf, l.i, cg_coerce(cg, x, fe, te), te);
    cg_loop_end(cg, &l, NULL);
    return cg_list_value(cg, buf, len, len);
}

/* Tests item i of a search (find_item); ctx is the caller's. */
typedef LLVMValueRef (*ItemTest)(Cg *cg, LLVMValueRef i, const void *ctx);

/* Whether some i in [0, len) has test(i) == want (an i1): a loop that
   stops at the first such i. */
static LLVMValueRef find_item(Cg *cg, LLVMValueRef len, bool want, ItemTest test, const void *ctx)
{
    LLVMValueRef no = LLVMConstInt(cg->t_i1, 0, 0), yes = LLVMConstInt(cg->t_i1, 1, 0);
    LLVMBasicBlockRef start = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef loop = new_block(cg, "find.loop"), body = new_block(cg, "find.body"),
                      done = new_block(cg, "find.done");
    LLVMBuildBr(cg->b, loop);
    LLVMPositionBuilderAtEnd(cg->b, loop);
    LLVMValueRef i = LLVMBuildPhi(cg->b, cg->t_i64, "i"), zero = const_i64(cg, 0);
    LLVMAddIncoming(i, &zero, &start, 1);
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, i, len, ""), body, done);
    LLVMPositionBuilderAtEnd(cg->b, body);
    LLVMValueRef e = test(cg, i, ctx);
    LLVMValueRef i1 = LLVMBuildNSWAdd(cg->b, i, const_i64(cg, 1), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
    if (want)
        LLVMBuildCondBr(cg->b, e, done, loop);
    else
        LLVMBuildCondBr(cg->b, e, loop, done);
    LLVMAddIncoming(i, &i1, &latch, 1);
    LLVMPositionBuilderAtEnd(cg->b, done);
    LLVMValueRef r = LLVMBuildPhi(cg->b, cg->t_i1, "found");
    LLVMValueRef vals[2] = {no, yes};
    LLVMBasicBlockRef from[2] = {loop, latch};
    LLVMAddIncoming(r, vals, from, 2);
    return r;
}

typedef struct ItemsEq {
    LLVMValueRef x, y;      /* lists, or for `in` y the value sought (y_list false) */
    const Type *ex, *ey;
    bool y_list;
    Loc loc;
} ItemsEq;

/* x[i] == y[i], or x[i] == y */
static LLVMValueRef item_equal(Cg *cg, LLVMValueRef i, const void *ctx)
{
    const ItemsEq *q = ctx;
    LLVMValueRef y = q->y_list ? cg_list_load(cg, cg_list_data(cg, q->y), i, q->ey) : q->y;
    return cg_equal(cg, cg_list_load(cg, cg_list_data(cg, q->x), i, q->ex), q->ex, y, q->ey, q->loc);
}

/* x == y for two lists: equal lengths, and items equal by cg_equal
   (which calls this for lists of lists); the first unequal item stops. */
LLVMValueRef cg_list_equal(Cg *cg, LLVMValueRef x, const Type *tx, LLVMValueRef y, const Type *ty, Loc loc)
{
    LLVMValueRef lx = cg_list_len(cg, x), ly = cg_list_len(cg, y);
    LLVMValueRef same_len = LLVMBuildICmp(cg->b, LLVMIntEQ, lx, ly, "");
    const Type *ex = type_list_elem(tx), *ey = type_list_elem(ty);
    if (!ex || !ey)     /* list[?] is empty: equal to an empty list */
        return LLVMBuildAnd(cg->b, same_len, LLVMBuildICmp(cg->b, LLVMIntEQ, lx, const_i64(cg, 0), ""), "");
    /* no item is compared when the lengths differ */
    LLVMValueRef n = LLVMBuildSelect(cg->b, same_len, lx, const_i64(cg, 0), "");
    ItemsEq q = {x, y, ex, ey, true, loc};
    LLVMValueRef differ = find_item(cg, n, false, item_equal, &q);
    return LLVMBuildAnd(cg->b, same_len, LLVMBuildNot(cg->b, differ, ""), "eq");
}

/* ---- the primitives ------------------------------------------------------------------ */

/* A new list holding a's items, with room for cap >= len items. */
static LLVMValueRef copy_with_room(Cg *cg, LLVMValueRef arena, LLVMValueRef a, LLVMValueRef cap, const Type *elem)
{
    LLVMValueRef len = cg_list_len(cg, a);
    LLVMValueRef buf = cg_list_buffer(cg, arena, cap, elem);
    copy_bytes(cg, buf, cg_list_data(cg, a), LLVMBuildNUWMul(cg->b, len, item_size(cg, elem), ""));
    return cg_list_value(cg, buf, len, cap);
}

/* a with room for need items: its buffer when it has it, else one grown
   (doubling) by the runtime, which may move or free a's buffer. */
static LLVMValueRef grow_to(Cg *cg, LLVMValueRef arena, LLVMValueRef a, LLVMValueRef need, const Type *elem)
{
    LLVMValueRef data = cg_list_data(cg, a), len = cg_list_len(cg, a), cap = cap_of(cg, a);
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef grow = new_block(cg, "grow"), join = new_block(cg, "grown");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, need, cap, ""), grow, join);
    LLVMPositionBuilderAtEnd(cg->b, grow);
    LLVMValueRef ncap = imax(cg, need, imax(cg, LLVMBuildNUWMul(cg->b, cap, const_i64(cg, 2), ""), const_i64(cg, 4)));
    LLVMValueRef size = item_size(cg, elem);
    LLVMValueRef args[5] = {arena, data, LLVMBuildNUWMul(cg->b, len, size, ""), LLVMBuildNUWMul(cg->b, cap, size, ""),
                            LLVMBuildNUWMul(cg->b, ncap, size, "")};
    LLVMValueRef nd = LLVMBuildCall2(cg->b, cg->rt_list_grow_ty, cg->rt_list_grow, args, 5, "");
    LLVMBasicBlockRef grown_from = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef pd = LLVMBuildPhi(cg->b, cg->t_ptr, "data"), pc = LLVMBuildPhi(cg->b, cg->t_i64, "cap");
    LLVMValueRef dv[2] = {data, nd}, cv[2] = {cap, ncap};
    LLVMBasicBlockRef bb[2] = {pre, grown_from};
    LLVMAddIncoming(pd, dv, bb, 2);
    LLVMAddIncoming(pc, cv, bb, 2);
    return cg_list_value(cg, pd, len, pc);
}

/* The first index, step and count of a[start:stop:step] for a list of
   len items (args: start, stop, step; omitted: list_slice's mask, a
   constant), as Python's slice.indices. */
static void slice_range(Cg *cg, LLVMValueRef len, LLVMValueRef *args, int64_t omitted, Loc loc, LLVMValueRef *first,
                        LLVMValueRef *stepp, LLVMValueRef *countp)
{
    LLVMValueRef zero = const_i64(cg, 0), m1 = const_i64(cg, -1);
    LLVMValueRef step = const_i64(cg, 1);
    if (!(omitted & 4)) {
        step = args[2];
        raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, step, zero, ""), "slice step cannot be zero", loc);
        step = imax(cg, step, const_i64(cg, -INT64_MAX));     /* as CPython clamps it */
    }
    LLVMValueRef back = LLVMBuildICmp(cg->b, LLVMIntSLT, step, zero, "back");
    LLVMValueRef lo = LLVMBuildSelect(cg->b, back, m1, zero, "");       /* clamp of a negative bound */
    LLVMValueRef hi = LLVMBuildSelect(cg->b, back, LLVMBuildSub(cg->b, len, const_i64(cg, 1), ""), len, "");
    LLVMValueRef bound[2];
    for (int k = 0; k < 2; k++) {
        if (omitted & (1 << k)) {
            bound[k] = k == 0 ? LLVMBuildSelect(cg->b, back, LLVMBuildSub(cg->b, len, const_i64(cg, 1), ""), zero, "")
                              : LLVMBuildSelect(cg->b, back, m1, len, "");
            continue;
        }
        LLVMValueRef x = args[k];
        LLVMValueRef neg = LLVMBuildICmp(cg->b, LLVMIntSLT, x, zero, "");
        LLVMValueRef shifted = LLVMBuildAdd(cg->b, x, len, "");     /* no overflow: x < 0 <= len */
        LLVMValueRef from_end = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, shifted, zero, ""), lo, shifted, "");
        LLVMValueRef past = LLVMBuildICmp(cg->b, LLVMIntSGE, x, len, "");
        bound[k] = LLVMBuildSelect(cg->b, neg, from_end, LLVMBuildSelect(cg->b, past, hi, x, ""), "");
    }
    LLVMValueRef start = bound[0], stop = bound[1], one = const_i64(cg, 1);
    /* the count: (|stop - start| - 1) / |step| + 1 when the range is not empty (unsigned) */
    LLVMValueRef nonempty = LLVMBuildSelect(cg->b, back, LLVMBuildICmp(cg->b, LLVMIntSLT, stop, start, ""),
                                            LLVMBuildICmp(cg->b, LLVMIntSLT, start, stop, ""), "");
    LLVMValueRef span = LLVMBuildSelect(cg->b, back, LLVMBuildSub(cg->b, start, stop, ""), LLVMBuildSub(cg->b, stop, start, ""), "");
    LLVMValueRef mag = LLVMBuildSelect(cg->b, back, LLVMBuildNeg(cg->b, step, ""), step, "");
    /* span >= 1 and mag >= 1 where used; select keeps the division defined */
    LLVMValueRef q = LLVMBuildUDiv(cg->b, LLVMBuildSub(cg->b, span, one, ""), LLVMBuildSelect(cg->b, nonempty, mag, one, ""), "");
    *first = start;
    *stepp = step;
    *countp = LLVMBuildSelect(cg->b, nonempty, LLVMBuildAdd(cg->b, q, one, ""), zero, "count");
}

/* a[start:stop:step] (omitted: list_slice's mask, a constant). */
static LLVMValueRef slice(Cg *cg, LLVMValueRef arena, LLVMValueRef *args, const Type *lt, int64_t omitted, Loc loc)
{
    const Type *elem = type_list_elem(lt);
    LLVMValueRef a = args[0], start, step, count;
    slice_range(cg, cg_list_len(cg, a), args + 1, omitted, loc, &start, &step, &count);
    if (!elem)
        return empty_list(cg);
    LLVMValueRef buf = cg_list_buffer(cg, arena, count, elem);
    LLVMValueRef data = cg_list_data(cg, a);
    if (omitted & 4) {
        LLVMValueRef size = item_size(cg, elem);
        copy_bytes(cg, buf, byte_ptr(cg, data, LLVMBuildNUWMul(cg->b, start, size, "")),
                   LLVMBuildNUWMul(cg->b, count, size, ""));
    } else {
        CgLoop l;
        cg_loop_begin(cg, &l, const_i64(cg, 0), count, NULL, 0);
        LLVMValueRef src = LLVMBuildAdd(cg->b, start, LLVMBuildMul(cg->b, l.i, step, ""), "");
        cg_list_store(cg, buf, l.i, cg_list_load(cg, data, src, elem), elem);
        cg_loop_end(cg, &l, NULL);
    }
    return cg_list_value(cg, buf, count, count);
}

/* a * k: empty when k <= 0; the first copy, then the filled part doubled
   (log k copies). */
/* a[start:stop] (step omitted) in a's storage: the items moved to its
   front (nothing moves for a prefix), a's capacity kept. */
static LLVMValueRef slice_inplace(Cg *cg, LLVMValueRef *args, const Type *lt, int64_t omitted, Loc loc)
{
    const Type *elem = type_list_elem(lt);
    LLVMValueRef a = args[0], start, step, count;
    slice_range(cg, cg_list_len(cg, a), args + 1, omitted, loc, &start, &step, &count);
    if (!elem)
        return empty_list(cg);
    LLVMValueRef data = cg_list_data(cg, a), size = item_size(cg, elem);
    LLVMBasicBlockRef move = new_block(cg, "slice.move"), done = new_block(cg, "slice.done");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, start, const_i64(cg, 0), ""), move, done);
    LLVMPositionBuilderAtEnd(cg->b, move);
    LLVMBuildMemMove(cg->b, data, 1, byte_ptr(cg, data, LLVMBuildNUWMul(cg->b, start, size, "")), 1,
                     LLVMBuildNUWMul(cg->b, count, size, ""));
    LLVMBuildBr(cg->b, done);
    LLVMPositionBuilderAtEnd(cg->b, done);
    return LLVMBuildInsertValue(cg->b, a, count, 1, "");
}

static LLVMValueRef repeat(Cg *cg, LLVMValueRef arena, LLVMValueRef a, LLVMValueRef k, const Type *lt, Loc loc)
{
    const Type *elem = type_list_elem(lt);
    if (!elem)
        return empty_list(cg);
    LLVMValueRef len = cg_list_len(cg, a), zero = const_i64(cg, 0);
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef some = new_block(cg, "repeat"), join = new_block(cg, "repeat.done");
    LLVMValueRef none = LLVMBuildOr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLE, k, zero, ""),
                                    LLVMBuildICmp(cg->b, LLVMIntEQ, len, zero, ""), "");
    LLVMBuildCondBr(cg->b, none, join, some);
    LLVMPositionBuilderAtEnd(cg->b, some);
    /* beyond 2**40 items CPython cannot allocate them either */
    LLVMValueRef limit = LLVMBuildSDiv(cg->b, const_i64(cg, (int64_t)1 << 40), len, "");
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntSGT, k, limit, ""), "cannot fit the repeated list in memory", loc);
    LLVMValueRef n = LLVMBuildNSWMul(cg->b, len, k, "n");
    LLVMValueRef buf = cg_list_buffer(cg, arena, n, elem);
    LLVMValueRef size = item_size(cg, elem);
    LLVMValueRef total = LLVMBuildNUWMul(cg->b, n, size, ""), first = LLVMBuildNUWMul(cg->b, len, size, "");
    /* [x] * n, the common case, stores x n times: a write-only loop (a
       memset for a zero), where doubling copies would read what they write */
    LLVMBasicBlockRef single = new_block(cg, "repeat.one"), many = new_block(cg, "repeat.many");
    LLVMBasicBlockRef filled = new_block(cg, "repeat.filled");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, len, const_i64(cg, 1), ""), single, many);
    LLVMPositionBuilderAtEnd(cg->b, single);
    LLVMTypeRef mt = cg_list_mem_type(cg, elem);
    LLVMValueRef item = LLVMBuildLoad2(cg->b, mt, ptr_to(cg, cg_list_data(cg, a), mt), "item");
    CgLoop fill;
    cg_loop_begin(cg, &fill, zero, n, NULL, 0);
    LLVMBuildStore(cg->b, item, item_ptr(cg, buf, fill.i, elem));
    cg_loop_end(cg, &fill, NULL);
    LLVMBuildBr(cg->b, filled);
    LLVMPositionBuilderAtEnd(cg->b, many);
    copy_bytes(cg, buf, cg_list_data(cg, a), first);
    /* while (filled < total) { c = min(filled, total - filled); copy; filled += c; } */
    CgLoop l;
    cg_loop_begin(cg, &l, first, total, NULL, 0);
    LLVMValueRef c = imin(cg, l.i, LLVMBuildSub(cg->b, total, l.i, ""));
    copy_bytes(cg, byte_ptr(cg, buf, l.i), buf, c);
    /* the loop's counter is the filled size: advance it by c - 1 more */
    LLVMValueRef i2 = LLVMBuildAdd(cg->b, l.i, LLVMBuildSub(cg->b, c, const_i64(cg, 1), ""), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
    LLVMValueRef i1 = LLVMBuildNSWAdd(cg->b, i2, const_i64(cg, 1), "");
    LLVMBuildBr(cg->b, l.head);
    LLVMAddIncoming(l.i, &i1, &latch, 1);
    LLVMPositionBuilderAtEnd(cg->b, l.exit);
    LLVMBuildBr(cg->b, filled);
    LLVMPositionBuilderAtEnd(cg->b, filled);
    LLVMValueRef full = cg_list_value(cg, buf, n, n);
    LLVMBasicBlockRef done_from = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef r = LLVMBuildPhi(cg->b, cg->t_list, "");
    LLVMValueRef vals[2] = {empty_list(cg), full};
    LLVMBasicBlockRef bbs[2] = {pre, done_from};
    LLVMAddIncoming(r, vals, bbs, 2);
    return r;
}

/* (a without item i, item i), a's buffer reused when in place. */
static LLVMValueRef pop(Cg *cg, LLVMValueRef arena, LLVMValueRef a, LLVMValueRef i, const Type *lt, const Type *rt,
                        bool inplace, Loc loc)
{
    const Type *elem = type_list_elem(lt);
    LLVMValueRef len = cg_list_len(cg, a), data = cg_list_data(cg, a), one = const_i64(cg, 1);
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, len, const_i64(cg, 0), ""), "pop from empty list", loc);
    LLVMValueRef k = checked_index(cg, i, len, "pop index out of range", loc);
    LLVMValueRef item = cg_list_load(cg, data, k, elem);
    LLVMValueRef size = item_size(cg, elem), n1 = LLVMBuildSub(cg->b, len, one, "");
    LLVMValueRef tail = LLVMBuildNUWMul(cg->b, LLVMBuildSub(cg->b, n1, k, ""), size, "");
    LLVMValueRef after = byte_ptr(cg, data, LLVMBuildNUWMul(cg->b, LLVMBuildAdd(cg->b, k, one, ""), size, ""));
    LLVMValueRef rest;
    if (inplace) {
        LLVMBuildMemMove(cg->b, byte_ptr(cg, data, LLVMBuildNUWMul(cg->b, k, size, "")), 1, after, 1, tail);
        rest = cg_list_value(cg, data, n1, cap_of(cg, a));
    } else {
        LLVMValueRef buf = cg_list_buffer(cg, arena, n1, elem);
        LLVMValueRef head = LLVMBuildNUWMul(cg->b, k, size, "");
        copy_bytes(cg, buf, data, head);
        copy_bytes(cg, byte_ptr(cg, buf, head), after, tail);
        rest = cg_list_value(cg, buf, n1, n1);
    }
    LLVMValueRef r = LLVMGetUndef(cg_type(cg, rt));
    r = LLVMBuildInsertValue(cg->b, r, cg_coerce(cg, rest, lt, rt->elems[0]), 0, "");
    return LLVMBuildInsertValue(cg->b, r, cg_coerce(cg, item, elem, rt->elems[1]), 1, "");
}

/* sum(a, start): left to right, start + a[0] + a[1] + ... in rt. */
static LLVMValueRef sum(Cg *cg, LLVMValueRef a, LLVMValueRef start, const Type *lt, const Type *st, const Type *rt)
{
    const Type *elem = type_list_elem(lt);
    LLVMValueRef acc0 = cg_coerce(cg, start, st, rt);
    if (!elem)
        return acc0;
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), cg_list_len(cg, a), &acc0, 1);
    CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, LOC_NONE};
    LLVMValueRef two[2] = {l.acc[0], cg_list_load(cg, cg_list_data(cg, a), l.i, elem)};
    Type *tt[2] = {(Type *)rt, (Type *)elem};
    LLVMValueRef next = cg_scalar_prim(&pc, P_ADD, two, tt, 2, (Type *)rt);
    cg_loop_end(cg, &l, &next);
    return l.acc[0];
}

/* The place of min(a) or max(a): the first item with no later one better
   (CPython's rule: y replaces the best when y < best, or y > best). */
static LLVMValueRef arg_best(Cg *cg, LLVMValueRef a, const Type *lt, bool is_min, Loc loc)
{
    const Type *elem = type_list_elem(lt);
    LLVMValueRef len = cg_list_len(cg, a), data = cg_list_data(cg, a);
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, len, const_i64(cg, 0), ""),
             is_min ? "min() arg is an empty sequence" : "max() arg is an empty sequence", loc);
    LLVMValueRef init[2] = {cg_list_load(cg, data, const_i64(cg, 0), elem), const_i64(cg, 0)};
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 1), len, init, 2);
    LLVMValueRef y = cg_list_load(cg, data, l.i, elem);
    CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, LOC_NONE};
    LLVMValueRef two[2] = {y, l.acc[0]};
    Type *tt[2] = {(Type *)elem, (Type *)elem};
    LLVMValueRef better = cg_scalar_prim(&pc, is_min ? P_LT : P_GT, two, tt, 2, type_bool(cg->m->types));
    LLVMValueRef next[2] = {LLVMBuildSelect(cg->b, better, y, l.acc[0], ""),
                            LLVMBuildSelect(cg->b, better, l.i, l.acc[1], "")};
    cg_loop_end(cg, &l, next);
    return l.acc[1];
}

/* x in a: some item == x (stops at the first). */
static LLVMValueRef contains(Cg *cg, LLVMValueRef a, LLVMValueRef x, const Type *lt, const Type *xt, Loc loc)
{
    const Type *elem = type_list_elem(lt);
    if (!elem)
        return LLVMConstInt(cg->t_i1, 0, 0);
    ItemsEq q = {a, x, elem, xt, false, loc};
    return find_item(cg, cg_list_len(cg, a), true, item_equal, &q);
}

/* ---- sensitivities (passes/grad_rules.c, "lists") -------------------------------

   A list's sensitivity or tangent is a list of its length, or the empty
   list standing for its zeros (a symbolic zero materialised at a join). */

static bool holds_list(const Type *t)
{
    if (t->kind == T_LIST)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (holds_list(t->elems[i]))
            return true;
    return false;
}

static const Type *zero_type(Cg *cg) { return type_zero(cg->m->types); }

/* Item k of list x (items of type xe) as the shape of a sensitivity:
   read only when it holds lists (a float's shape is nothing).  A flat
   list's storage is not read for its shape at all: a backpropagator keeps
   the primal list for its length while the forward pass changes its
   storage (passes/inplace.c, length_only). */
static LLVMValueRef shape_item(Cg *cg, LLVMValueRef x, LLVMValueRef k, const Type *xe)
{
    return holds_list(xe) ? cg_list_load(cg, cg_list_data(cg, x), k, xe) : LLVMGetUndef(cg_type(cg, xe));
}

/* The operations below loop over lists, and over their rows recursively.
   Emitted inline at every use, they made a fourth-order gradient's module
   100,000 LLVM instructions and seconds of compile time; so each is a
   helper: an internal function myc.list.KIND.N, emitted once per module
   for its kind and types (without debug information) and called at each
   use.  Callers coerce the operands and make the checks that have a
   location; a helper raises only internal errors, which have none. */
enum { H_SENS_ADD, H_SHAPE, H_ZEROS, H_ONEHOT, H_LENGTHS, H_KINDS };
static const char *const helper_kind[H_KINDS] = {"sens_add", "shape", "zeros", "onehot", "lengths"};

/* A helper's body: its parameters p (the arena first, but for H_LENGTHS)
   and the types of its key t; returns its result. */
typedef LLVMValueRef (*HelperBody)(Cg *cg, LLVMValueRef *p, const Type *const *t);

struct ListHelper {
    int kind;
    const Type *t[3];
    LLVMValueRef fn;
    LLVMTypeRef ty;
};

enum { HELPER_MAX_ARGS = 4 };

/* A call of the helper of kind for types t0, t1, t2 (NULL for none) on
   args, returning ret; emits the helper with body the first time. */
static LLVMValueRef call_helper(Cg *cg, int kind, const Type *t0, const Type *t1, const Type *t2, LLVMTypeRef ret,
                                LLVMValueRef *args, int nargs, HelperBody body)
{
    for (int i = 0; i < cg->nhelpers; i++) {
        const struct ListHelper *h = &cg->helpers[i];
        if (h->kind == kind && h->t[0] == t0 && h->t[1] == t1 && h->t[2] == t2)
            return LLVMBuildCall2(cg->b, h->ty, h->fn, args, (unsigned)nargs, "");
    }
    LLVMTypeRef pt[HELPER_MAX_ARGS];
    for (int i = 0; i < nargs; i++)
        pt[i] = LLVMTypeOf(args[i]);
    LLVMTypeRef ty = LLVMFunctionType(ret, pt, (unsigned)nargs, 0);
    char name[48];
    snprintf(name, sizeof name, "myc.list.%s.%d", helper_kind[kind], cg->nhelpers);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, name, ty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    if (cg->nhelpers == cg->caphelpers) {
        cg->caphelpers = cg->caphelpers ? cg->caphelpers * 2 : 16;
        cg->helpers = xrealloc(cg->helpers, sizeof *cg->helpers * (size_t)cg->caphelpers);
    }
    cg->helpers[cg->nhelpers++] = (struct ListHelper){kind, {t0, t1, t2}, fn, ty};

    LLVMBasicBlockRef saved = LLVMGetInsertBlock(cg->b);
    LLVMValueRef outer_arena = cg->arena;
    DbgScope dbg = cg_debug_enter(cg, NULL, NULL, LOC_NONE);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef p[HELPER_MAX_ARGS];
    for (int i = 0; i < nargs; i++)
        p[i] = LLVMGetParam(fn, (unsigned)i);
    cg->arena = kind == H_LENGTHS ? NULL : p[0];
    const Type *t[3] = {t0, t1, t2};
    LLVMBuildRet(cg->b, body(cg, p, t));
    cg_debug_leave(cg, dbg);
    cg->arena = outer_arena;
    LLVMPositionBuilderAtEnd(cg->b, saved);
    return LLVMBuildCall2(cg->b, ty, fn, args, (unsigned)nargs, "");
}

/* zeros(arena, x) for t = (tx, rt) */
static LLVMValueRef h_zeros(Cg *cg, LLVMValueRef *p, const Type *const *t)
{
    LLVMValueRef arena = p[0], x = p[1];
    const Type *tx = t[0], *rt = t[1], *re = type_list_elem(rt);
    LLVMValueRef n = cg_list_len(cg, x);
    LLVMValueRef buf = cg_list_buffer(cg, arena, n, re);
    if (!holds_list(re)) {      /* floats and tuples of them: all bits zero */
        LLVMBuildMemSet(cg->b, buf, LLVMConstInt(cg->t_i8, 0, 0), LLVMBuildNUWMul(cg->b, n, item_size(cg, re), ""), 1);
    } else {
        const Type *xe = type_list_elem(tx);
        CgLoop l;
        cg_loop_begin(cg, &l, const_i64(cg, 0), n, NULL, 0);
        LLVMValueRef xi = cg_list_load(cg, cg_list_data(cg, x), l.i, xe);
        cg_list_store(cg, buf, l.i, cg_sens_shape(cg, arena, xi, xe, NULL, zero_type(cg), re), re);
        cg_loop_end(cg, &l, NULL);
    }
    return cg_list_value(cg, buf, n, n);
}

/* Zeros shaped like list x (of type tx), of sensitivity type rt. */
static LLVMValueRef zeros_like(Cg *cg, LLVMValueRef arena, LLVMValueRef x, const Type *tx, const Type *rt)
{
    if (!type_list_elem(rt))
        return empty_list(cg);
    LLVMValueRef args[2] = {arena, x};
    return call_helper(cg, H_ZEROS, tx, rt, NULL, cg->t_list, args, 2, h_zeros);
}

/* A two-way choice of list values: then_v where cond holds (built by
   then_fn in its own block), else_v otherwise. */
typedef LLVMValueRef (*ListBuild)(Cg *cg, const void *ctx);
static LLVMValueRef choose(Cg *cg, LLVMValueRef cond, ListBuild then_fn, ListBuild else_fn, const void *ctx,
                           LLVMTypeRef ty)
{
    LLVMBasicBlockRef tb = new_block(cg, "then"), eb = new_block(cg, "else"), join = new_block(cg, "join");
    LLVMBuildCondBr(cg->b, cond, tb, eb);
    LLVMValueRef v[2];
    LLVMBasicBlockRef from[2];
    LLVMPositionBuilderAtEnd(cg->b, tb);
    v[0] = then_fn(cg, ctx);
    from[0] = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, eb);
    v[1] = else_fn(cg, ctx);
    from[1] = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef phi = LLVMBuildPhi(cg->b, ty, "");
    LLVMAddIncoming(phi, v, from, 2);
    return phi;
}

typedef struct Shape {
    LLVMValueRef arena, x, d;
    const Type *tx, *rt;
} Shape;

static LLVMValueRef shape_d(Cg *cg, const void *ctx) { (void)cg; return ((const Shape *)ctx)->d; }

static LLVMValueRef shape_items(Cg *cg, const void *ctx)
{
    const Shape *s = ctx;
    const Type *re = type_list_elem(s->rt), *xe = type_list_elem(s->tx);
    LLVMValueRef n = cg_list_len(cg, s->x), buf = cg_list_buffer(cg, s->arena, n, re);
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), n, NULL, 0);
    LLVMValueRef xi = cg_list_load(cg, cg_list_data(cg, s->x), l.i, xe);
    LLVMValueRef di = cg_list_load(cg, cg_list_data(cg, s->d), l.i, re);
    cg_list_store(cg, buf, l.i, cg_sens_shape(cg, s->arena, xi, xe, di, re, re), re);
    cg_loop_end(cg, &l, NULL);
    return cg_list_value(cg, buf, n, n);
}

/* Whether every item of d (flat lists) is as long as x's item at its
   place (d as long as x): d already has x's shape. */
static LLVMValueRef items_shaped(Cg *cg, const Shape *s)
{
    const Type *re = type_list_elem(s->rt), *xe = type_list_elem(s->tx);
    LLVMValueRef init = LLVMConstInt(cg->t_i1, 1, 0), next;
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), cg_list_len(cg, s->x), &init, 1);
    LLVMValueRef xi = cg_list_load(cg, cg_list_data(cg, s->x), l.i, xe);
    LLVMValueRef di = cg_list_load(cg, cg_list_data(cg, s->d), l.i, re);
    LLVMValueRef same = LLVMBuildICmp(cg->b, LLVMIntEQ, cg_list_len(cg, xi), cg_list_len(cg, di), "");
    next = LLVMBuildAnd(cg->b, l.acc[0], same, "");
    cg_loop_end(cg, &l, &next);
    return l.acc[0];
}

/* d as long as x (or x empty): d itself, its items shaped like x's (d
   itself when they are: a list of flat lists whose items all have their
   lengths is not copied) */
static LLVMValueRef shape_full(Cg *cg, const void *ctx)
{
    const Shape *s = ctx;
    const Type *re = type_list_elem(s->rt);
    if (!holds_list(re))
        return s->d;
    LLVMValueRef keep = LLVMBuildICmp(cg->b, LLVMIntEQ, cg_list_len(cg, s->x), const_i64(cg, 0), "");
    if (re->kind == T_LIST && !holds_list(type_list_elem(re)) && type_list_elem(s->tx) &&
        type_list_elem(s->tx)->kind == T_LIST)
        keep = LLVMBuildOr(cg->b, keep, items_shaped(cg, s), "");
    return choose(cg, keep, shape_d, shape_items, s, cg->t_list);
}

static LLVMValueRef shape_zeros_of_a(Cg *cg, const void *ctx)
{
    const Shape *s = ctx;
    return zeros_like(cg, s->arena, s->x, s->tx, s->rt);
}

static LLVMValueRef shape_copy(Cg *cg, const void *ctx)
{
    const Shape *s = ctx;
    return copy_with_room(cg, s->arena, s->d, cg_list_len(cg, s->d), type_list_elem(s->rt));
}

static LLVMValueRef shape_zeros(Cg *cg, const void *ctx)
{
    const Shape *s = ctx;
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntNE, cg_list_len(cg, s->d), const_i64(cg, 0), ""),
             "internal error: sensitivities of lists of different lengths", LOC_NONE);
    return zeros_like(cg, s->arena, s->x, s->tx, s->rt);
}

/* shape(arena, x, d) for t = (tx, rt), d of type rt */
static LLVMValueRef h_shape(Cg *cg, LLVMValueRef *p, const Type *const *t)
{
    Shape s = {p[0], p[1], p[2], t[0], t[1]};
    LLVMValueRef nx = cg_list_len(cg, s.x), nd = cg_list_len(cg, s.d);
    /* an empty x may be a zero standing for a longer list (a sensitivity
       of a lower order, transformed again): then d has the shape */
    LLVMValueRef full = LLVMBuildOr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, nd, nx, ""),
                                    LLVMBuildICmp(cg->b, LLVMIntEQ, nx, const_i64(cg, 0), ""), "");
    return choose(cg, full, shape_full, shape_zeros, &s, cg->t_list);
}

LLVMValueRef cg_sens_shape(Cg *cg, LLVMValueRef arena, LLVMValueRef x, const Type *tx, LLVMValueRef d,
                           const Type *td, const Type *rt)
{
    bool zero = !td || td->kind == T_ZERO;
    if (rt->kind == T_ZERO || !holds_list(rt))
        return zero ? cg_zero_value(cg, rt) : cg_coerce(cg, d, td, rt);
    if (rt->kind == T_TUPLE) {
        LLVMValueRef v = LLVMGetUndef(cg_type(cg, rt));
        for (int i = 0; i < rt->n; i++) {
            LLVMValueRef xi = LLVMBuildExtractValue(cg->b, x, (unsigned)i, "");
            LLVMValueRef di = zero ? NULL : LLVMBuildExtractValue(cg->b, d, (unsigned)i, "");
            v = LLVMBuildInsertValue(cg->b, v,
                                     cg_sens_shape(cg, arena, xi, tx->elems[i], di, zero ? td : td->elems[i],
                                                   rt->elems[i]),
                                     (unsigned)i, "");
        }
        return v;
    }
    if (zero)
        return zeros_like(cg, arena, x, tx, rt);
    LLVMValueRef args[3] = {arena, x, cg_coerce(cg, d, td, rt)};
    return call_helper(cg, H_SHAPE, tx, rt, NULL, cg->t_list, args, 3, h_shape);
}

typedef struct Sum {
    LLVMValueRef arena, a, b;
    const Type *rt;
} Sum;

static LLVMValueRef sum_first(Cg *cg, const void *ctx) { (void)cg; return ((const Sum *)ctx)->b; }

static LLVMValueRef sum_items(Cg *cg, const void *ctx)
{
    const Sum *s = ctx;
    LLVMValueRef la = cg_list_len(cg, s->a), lb = cg_list_len(cg, s->b);
    const Type *re = type_list_elem(s->rt);
    LLVMValueRef both = LLVMBuildICmp(cg->b, LLVMIntNE, lb, const_i64(cg, 0), "");
    raise_if(cg, LLVMBuildAnd(cg->b, both, LLVMBuildICmp(cg->b, LLVMIntNE, la, lb, ""), ""),
             "internal error: sensitivities of lists of different lengths", LOC_NONE);
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef add = new_block(cg, "sadd.items"), join = new_block(cg, "sadd.done");
    LLVMBuildCondBr(cg->b, both, add, join);
    LLVMPositionBuilderAtEnd(cg->b, add);
    LLVMValueRef buf = cg_list_buffer(cg, s->arena, la, re);
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), la, NULL, 0);
    LLVMValueRef x = cg_list_load(cg, cg_list_data(cg, s->a), l.i, re);
    LLVMValueRef y = cg_list_load(cg, cg_list_data(cg, s->b), l.i, re);
    cg_list_store(cg, buf, l.i, cg_sens_add(cg, s->arena, x, re, y, re, re), re);
    cg_loop_end(cg, &l, NULL);
    LLVMValueRef sum = cg_list_value(cg, buf, la, la);
    LLVMBasicBlockRef add_end = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_list, "");
    LLVMValueRef v[2] = {s->a, sum};
    LLVMBasicBlockRef from[2] = {pre, add_end};
    LLVMAddIncoming(phi, v, from, 2);
    return phi;
}

/* sens_add(arena, a, b) for t = (rt) */
static LLVMValueRef h_sens_add(Cg *cg, LLVMValueRef *p, const Type *const *t)
{
    Sum s = {p[0], p[1], p[2], t[0]};
    LLVMValueRef a_empty = LLVMBuildICmp(cg->b, LLVMIntEQ, cg_list_len(cg, s.a), const_i64(cg, 0), "");
    return choose(cg, a_empty, sum_first, sum_items, &s, cg->t_list);
}

/* sens_add of two lists of sensitivity type rt: item by item; an empty
   one (zeros) is the unit. */
LLVMValueRef cg_list_sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                              const Type *tb, const Type *rt)
{
    LLVMValueRef args[3] = {arena, cg_coerce(cg, a, ta, rt), cg_coerce(cg, b, tb, rt)};
    return call_helper(cg, H_SENS_ADD, rt, NULL, NULL, cg->t_list, args, 3, h_sens_add);
}

typedef struct Item {
    LLVMValueRef d, i;
    const Type *td, *rt;
    Loc loc;
} Item;

static LLVMValueRef item_zero(Cg *cg, const void *ctx) { return cg_zero_value(cg, ((const Item *)ctx)->rt); }

static LLVMValueRef item_of(Cg *cg, const void *ctx)
{
    const Item *s = ctx;
    const Type *e = type_list_elem(s->td);
    LLVMValueRef k = checked_index(cg, s->i, cg_list_len(cg, s->d), "list index out of range", s->loc);
    return cg_coerce(cg, cg_list_load(cg, cg_list_data(cg, s->d), k, e), e, s->rt);
}

LLVMValueRef cg_list_sens_get(Cg *cg, LLVMValueRef d, const Type *td, LLVMValueRef i, const Type *rt, Loc loc)
{
    if (!type_list_elem(td))
        return cg_zero_value(cg, rt);
    Item s = {d, i, td, rt, loc};
    LLVMValueRef empty = LLVMBuildICmp(cg->b, LLVMIntEQ, cg_list_len(cg, d), const_i64(cg, 0), "");
    return choose(cg, empty, item_zero, item_of, &s, cg_type(cg, rt));
}

/* onehot(arena, x, k, d) for t = (tx, td, rt), k in range */
static LLVMValueRef h_onehot(Cg *cg, LLVMValueRef *p, const Type *const *t)
{
    LLVMValueRef arena = p[0], x = p[1], k = p[2], d = p[3];
    const Type *tx = t[0], *td = t[1], *rt = t[2], *re = type_list_elem(rt), *xe = type_list_elem(tx);
    LLVMValueRef z = zeros_like(cg, arena, x, tx, rt);
    cg_list_store(cg, cg_list_data(cg, z), k, cg_sens_shape(cg, arena, shape_item(cg, x, k, xe), xe, d, td, re), re);
    return z;
}

/* onehot(x, i, d) of list x: zeros shaped like x, d (shaped as x[i]) at i. */
LLVMValueRef cg_list_onehot(Cg *cg, LLVMValueRef arena, LLVMValueRef x, const Type *tx, LLVMValueRef i,
                            LLVMValueRef d, const Type *td, const Type *rt, Loc loc)
{
    LLVMValueRef k = checked_index(cg, i, cg_list_len(cg, x), "list index out of range", loc);
    LLVMValueRef args[4] = {arena, x, k, d};
    return call_helper(cg, H_ONEHOT, tx, td, rt, cg->t_list, args, 4, h_onehot);
}

/* list_addat(x, a, i, v): x (a copy, or x itself in place; zeros shaped
   like a when x is empty) with v added to item i. */
static LLVMValueRef addat(Cg *cg, LLVMValueRef arena, LLVMValueRef *args, Type *const *types, const Type *rt,
                          bool inplace, Loc loc)
{
    const Type *re = type_list_elem(rt), *xe = type_list_elem(types[1]);
    LLVMValueRef x = cg_coerce(cg, args[0], types[0], rt), a = args[1];
    LLVMValueRef n = cg_list_len(cg, a);
    LLVMValueRef k = checked_index(cg, args[2], n, "list index out of range", loc);
    raise_if(cg, LLVMBuildAnd(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, cg_list_len(cg, x), const_i64(cg, 0), ""),
                              LLVMBuildICmp(cg->b, LLVMIntNE, cg_list_len(cg, x), n, ""), ""),
             "internal error: sensitivities of lists of different lengths", loc);
    Shape s = {arena, a, x, types[1], rt};
    LLVMValueRef empty = LLVMBuildICmp(cg->b, LLVMIntEQ, cg_list_len(cg, x), const_i64(cg, 0), "");
    LLVMValueRef base = choose(cg, empty, shape_zeros_of_a, inplace ? shape_d : shape_copy, &s, cg->t_list);
    LLVMValueRef data = cg_list_data(cg, base);
    LLVMValueRef item = cg_list_load(cg, data, k, re);
    LLVMValueRef v = cg_sens_shape(cg, arena, shape_item(cg, a, k, xe), xe, args[3], types[3], re);
    cg_list_store(cg, data, k, cg_sens_add(cg, arena, item, re, v, re, re), re);
    return base;
}

/* list_unslice(d, a, start, stop, step, omitted): zeros shaped like a,
   d's items where the slice took a's (none when d is empty: zeros). */
static LLVMValueRef unslice(Cg *cg, LLVMValueRef arena, LLVMValueRef *args, Type *const *types, const Type *rt,
                            int64_t omitted, Loc loc)
{
    const Type *re = type_list_elem(rt), *xe = type_list_elem(types[1]);
    LLVMValueRef d = cg_coerce(cg, args[0], types[0], rt), a = args[1], start, step, count;
    slice_range(cg, cg_list_len(cg, a), args + 2, omitted, loc, &start, &step, &count);
    LLVMValueRef r = zeros_like(cg, arena, a, types[1], rt);
    if (!re)
        return r;
    LLVMValueRef dn = cg_list_len(cg, d);
    raise_if(cg, LLVMBuildAnd(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, dn, const_i64(cg, 0), ""),
                              LLVMBuildICmp(cg->b, LLVMIntNE, dn, count, ""), ""),
             "internal error: sensitivities of lists of different lengths", loc);
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), dn, NULL, 0);
    LLVMValueRef at = LLVMBuildAdd(cg->b, start, LLVMBuildMul(cg->b, l.i, step, ""), "");
    LLVMValueRef di = cg_list_load(cg, cg_list_data(cg, d), l.i, re);
    cg_list_store(cg, cg_list_data(cg, r), at, cg_sens_shape(cg, arena, shape_item(cg, a, at, xe), xe, di, re, re), re);
    cg_loop_end(cg, &l, NULL);
    return r;
}

/* list_unrepeat(d, a): item j is the sum of d[j], d[j + len(a)], ...; d
   empty: zeros shaped like a. */
static LLVMValueRef unrepeat(Cg *cg, LLVMValueRef arena, LLVMValueRef d, const Type *td, LLVMValueRef a,
                             const Type *ta, const Type *rt)
{
    const Type *re = type_list_elem(rt);
    LLVMValueRef r = zeros_like(cg, arena, a, ta, rt);
    if (!re)
        return r;
    d = cg_coerce(cg, d, td, rt);
    LLVMValueRef la = cg_list_len(cg, a), one = const_i64(cg, 1);
    LLVMValueRef div = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, la, one, ""), la, one, "");
    CgLoop l;
    cg_loop_begin(cg, &l, const_i64(cg, 0), cg_list_len(cg, d), NULL, 0);
    LLVMValueRef j = LLVMBuildURem(cg->b, l.i, div, "");
    LLVMValueRef x = cg_list_load(cg, cg_list_data(cg, r), j, re);
    LLVMValueRef y = cg_list_load(cg, cg_list_data(cg, d), l.i, re);
    cg_list_store(cg, cg_list_data(cg, r), j, cg_sens_add(cg, arena, x, re, y, re, re), re);
    cg_loop_end(cg, &l, NULL);
    return r;
}

static LLVMValueRef same_lengths(Cg *cg, LLVMValueRef x, const Type *tx, LLVMValueRef t, const Type *tt);

/* lengths(x, t) for types (tx, tt), lists: whether t's lists are as long
   as x's, at every depth */
static LLVMValueRef h_lengths(Cg *cg, LLVMValueRef *p, const Type *const *t)
{
    LLVMValueRef x = p[0], y = p[1];
    LLVMValueRef n = cg_list_len(cg, x);
    LLVMValueRef same = LLVMBuildICmp(cg->b, LLVMIntEQ, n, cg_list_len(cg, y), "");
    const Type *xe = type_list_elem(t[0]), *ye = type_list_elem(t[1]);
    if (!xe || !ye || !holds_list(xe))
        return same;
    CgLoop l;
    LLVMValueRef to = LLVMBuildSelect(cg->b, same, n, const_i64(cg, 0), "");
    cg_loop_begin(cg, &l, const_i64(cg, 0), to, &same, 1);
    LLVMValueRef item = same_lengths(cg, cg_list_load(cg, cg_list_data(cg, x), l.i, xe), xe,
                                     cg_list_load(cg, cg_list_data(cg, y), l.i, ye), ye);
    LLVMValueRef next = LLVMBuildAnd(cg->b, l.acc[0], item, "");
    cg_loop_end(cg, &l, &next);
    return l.acc[0];
}

/* Whether the lists in t have the lengths of those in x (their types have
   one shape: inference checked it), as an i1. */
static LLVMValueRef same_lengths(Cg *cg, LLVMValueRef x, const Type *tx, LLVMValueRef t, const Type *tt)
{
    LLVMValueRef same = LLVMConstInt(cg->t_i1, 1, 0);
    if (tx->kind == T_TUPLE && tt->kind == T_TUPLE) {
        for (int i = 0; i < tx->n; i++)
            if (holds_list(tx->elems[i]))
                same = LLVMBuildAnd(cg->b, same,
                                    same_lengths(cg, LLVMBuildExtractValue(cg->b, x, (unsigned)i, ""), tx->elems[i],
                                                 LLVMBuildExtractValue(cg->b, t, (unsigned)i, ""), tt->elems[i]),
                                    "");
        return same;
    }
    if (tx->kind != T_LIST || tt->kind != T_LIST)
        return same;
    LLVMValueRef args[2] = {x, t};
    return call_helper(cg, H_LENGTHS, tx, tt, NULL, cg->t_i1, args, 2, h_lengths);
}

/* Raises m at loc unless the lists in t have the lengths of those in x. */
void cg_list_check_lengths(Cg *cg, LLVMValueRef x, const Type *tx, LLVMValueRef t, const Type *tt, const char *m,
                           Loc loc)
{
    if (!holds_list(tx))
        return;
    raise_if(cg, LLVMBuildNot(cg->b, same_lengths(cg, x, tx, t, tt), ""), m, loc);
}

bool cg_is_list_prim(PrimId p)
{
    switch (p) {
    case P_LIST_MAKE: case P_LIST_RESERVE: case P_LIST_LEN: case P_LIST_GET: case P_LIST_ITEM: case P_LIST_SET:
    case P_LIST_APPEND: case P_LIST_PUSH: case P_LIST_PUSH_INPLACE: case P_LIST_POP:
    case P_LIST_CONCAT: case P_LIST_EXTEND: case P_LIST_REPEAT: case P_LIST_IREPEAT: case P_LIST_SLICE:
    case P_LIST_COPY: case P_LIST_SUM:
    case P_LIST_MIN: case P_LIST_MAX: case P_LIST_CONTAINS: case P_LIST_CONVERT: case P_LIST_SET_INPLACE:
    case P_LIST_APPEND_INPLACE: case P_LIST_POP_INPLACE: case P_LIST_EXTEND_INPLACE: case P_LIST_SLICE_INPLACE:
    case P_LIST_ARGMIN: case P_LIST_ARGMAX: case P_LIST_UNSLICE: case P_LIST_UNREPEAT: case P_LIST_ADDAT:
    case P_LIST_ADDAT_INPLACE:
        return true;
    default:
        return false;
    }
}

LLVMValueRef cg_list_prim(Cg *cg, LLVMValueRef arena, PrimId p, const Node *n, LLVMValueRef *args,
                          Type *const *types, int nargs)
{
    const Type *rt = n->type, *lt = nargs ? types[0] : NULL;
    const Type *elem = lt && lt->kind == T_LIST ? type_list_elem(lt) : NULL;
    Loc loc = n->loc;
    switch (p) {
    case P_LIST_MAKE: {
        const Type *re = type_list_elem(rt);
        if (!nargs)
            return empty_list(cg);
        LLVMValueRef len = const_i64(cg, nargs);
        LLVMValueRef buf = cg_list_buffer(cg, arena, len, re);
        for (int i = 0; i < nargs; i++)
            cg_list_store(cg, buf, const_i64(cg, i), cg_coerce(cg, args[i], types[i], re), re);
        return cg_list_value(cg, buf, len, len);
    }
    case P_LIST_RESERVE: {        /* room for max(n, 0) items, none yet */
        const Type *re = type_list_elem(rt);
        if (!re)
            return empty_list(cg);
        LLVMValueRef room = imax(cg, args[0], const_i64(cg, 0));
        return cg_list_value(cg, cg_list_buffer(cg, arena, room, re), const_i64(cg, 0), room);
    }
    case P_LIST_LEN:
        return cg_list_len(cg, args[0]);
    case P_LIST_GET:
    case P_LIST_ITEM: {         /* list_item: 0 <= i < len by construction */
        LLVMValueRef k = p == P_LIST_ITEM ? args[1]
                                          : checked_index(cg, args[1], cg_list_len(cg, args[0]),
                                                          "list index out of range", loc);
        return cg_coerce(cg, cg_list_load(cg, cg_list_data(cg, args[0]), k, elem), elem, rt);
    }
    case P_LIST_SET:
    case P_LIST_SET_INPLACE: {
        const Type *re = type_list_elem(rt);
        LLVMValueRef a = cg_coerce(cg, args[0], lt, rt);
        LLVMValueRef len = cg_list_len(cg, a);
        LLVMValueRef k = checked_index(cg, args[1], len, "list assignment index out of range", loc);
        if (p == P_LIST_SET)
            a = copy_with_room(cg, arena, a, len, re);
        cg_list_store(cg, cg_list_data(cg, a), k, cg_coerce(cg, args[2], types[2], re), re);
        return a;
    }
    case P_LIST_APPEND:
    case P_LIST_PUSH:               /* not made in place: an append */
    case P_LIST_APPEND_INPLACE:
    case P_LIST_PUSH_INPLACE: {     /* into room passes/inplace.c found by provenance: no check */
        const Type *re = type_list_elem(rt);
        LLVMValueRef a = cg_coerce(cg, args[0], lt, rt);
        LLVMValueRef len = cg_list_len(cg, a), n1 = LLVMBuildNSWAdd(cg->b, len, const_i64(cg, 1), "");
        if (p == P_LIST_APPEND || p == P_LIST_PUSH)
            a = copy_with_room(cg, arena, a, n1, re);
        else if (p == P_LIST_APPEND_INPLACE)
            a = grow_to(cg, arena, a, n1, re);
        cg_list_store(cg, cg_list_data(cg, a), len, cg_coerce(cg, args[1], types[1], re), re);
        return LLVMBuildInsertValue(cg->b, a, n1, 1, "");
    }
    case P_LIST_POP:
    case P_LIST_POP_INPLACE:
        return pop(cg, arena, args[0], args[1], lt, rt, p == P_LIST_POP_INPLACE, loc);
    case P_LIST_CONCAT:
    case P_LIST_EXTEND:             /* a += b where a is still read: a new list */
    case P_LIST_EXTEND_INPLACE: {
        const Type *re = type_list_elem(rt);
        if (!re)
            return empty_list(cg);
        LLVMValueRef a = cg_coerce(cg, args[0], lt, rt), b = cg_coerce(cg, args[1], types[1], rt);
        LLVMValueRef la = cg_list_len(cg, a), lb = cg_list_len(cg, b), bd = cg_list_data(cg, b);
        LLVMValueRef total = LLVMBuildNSWAdd(cg->b, la, lb, "");
        LLVMValueRef ad_old = cg_list_data(cg, a);
        if (p != P_LIST_EXTEND_INPLACE) {
            a = copy_with_room(cg, arena, a, total, re);
        } else {
            a = grow_to(cg, arena, a, total, re);
            /* a.extend(a): b's items are a's, wherever growing moved them */
            LLVMValueRef same = LLVMBuildICmp(cg->b, LLVMIntEQ, bd, ad_old, "");
            bd = LLVMBuildSelect(cg->b, same, cg_list_data(cg, a), bd, "");
        }
        LLVMValueRef size = item_size(cg, re);
        copy_bytes(cg, byte_ptr(cg, cg_list_data(cg, a), LLVMBuildNUWMul(cg->b, la, size, "")), bd,
                   LLVMBuildNUWMul(cg->b, lb, size, ""));
        return LLVMBuildInsertValue(cg->b, a, total, 1, "");
    }
    case P_LIST_REPEAT:
    case P_LIST_IREPEAT:            /* a *= n: a new buffer (n copies do not fit in a's) */
        return cg_coerce(cg, repeat(cg, arena, args[0], args[1], lt, loc), lt, rt);
    case P_LIST_SLICE:
    case P_LIST_SLICE_INPLACE: {
        const Node *mask = n->app.in[5];
        if (mask->kind != N_CONST || mask->k.kind != K_INT)
            die("codegen: list_slice without a constant mask");
        if (p == P_LIST_SLICE_INPLACE && (mask->k.u.i & 4))
            return cg_coerce(cg, slice_inplace(cg, args, lt, mask->k.u.i, loc), lt, rt);
        return cg_coerce(cg, slice(cg, arena, args, lt, mask->k.u.i, loc), lt, rt);
    }
    case P_LIST_COPY:
        if (!elem)
            return empty_list(cg);
        return cg_coerce(cg, copy_with_room(cg, arena, args[0], cg_list_len(cg, args[0]), elem), lt, rt);
    case P_LIST_SUM:
        return sum(cg, args[0], args[1], lt, types[1], rt);
    case P_LIST_MIN:
    case P_LIST_MAX: {
        LLVMValueRef k = arg_best(cg, args[0], lt, p == P_LIST_MIN, loc);
        return cg_coerce(cg, cg_list_load(cg, cg_list_data(cg, args[0]), k, elem), elem, rt);
    }
    case P_LIST_ARGMIN:
    case P_LIST_ARGMAX:
        return arg_best(cg, args[0], lt, p == P_LIST_ARGMIN, loc);
    case P_LIST_UNSLICE: {
        const Node *mask = n->app.in[6];
        if (mask->kind != N_CONST || mask->k.kind != K_INT)
            die("codegen: list_unslice without a constant mask");
        return unslice(cg, arena, args, types, rt, mask->k.u.i, loc);
    }
    case P_LIST_UNREPEAT:
        return unrepeat(cg, arena, args[0], types[0], args[1], types[1], rt);
    case P_LIST_ADDAT:
    case P_LIST_ADDAT_INPLACE:
        return addat(cg, arena, args, types, rt, p == P_LIST_ADDAT_INPLACE, loc);
    case P_LIST_CONTAINS:
        return contains(cg, args[0], args[1], lt, types[1], loc);
    case P_LIST_CONVERT:
        return cg_list_convert(cg, arena, args[0], lt, rt);
    default:
        die("codegen: %s is not a list primitive", prim_info(p)->name);
    }
}

/* ---- myc_run's buffers ------------------------------------------------------------ */

/* A value of type t from the 8-byte slots at p (an i64*): scalars one slot
   each, tuples their items' slots in order, a list one slot holding a
   pointer to [len, the items' slots...] (codegen_run_slots). */
LLVMValueRef cg_run_from_slots(Cg *cg, LLVMValueRef arena, LLVMValueRef p, const Type *t)
{
    switch (t->kind) {
    case T_TUPLE: {
        LLVMValueRef v = LLVMGetUndef(cg_type(cg, t));
        int off = 0;
        for (int i = 0; i < t->n; i++) {
            LLVMValueRef o = const_i64(cg, off);
            LLVMValueRef q = LLVMBuildGEP2(cg->b, cg->t_i64, p, &o, 1, "");
            v = LLVMBuildInsertValue(cg->b, v, cg_run_from_slots(cg, arena, q, t->elems[i]), (unsigned)i, "");
            off += codegen_run_slots(t->elems[i]);
        }
        return v;
    }
    case T_LIST: {
        const Type *elem = type_list_elem(t);
        LLVMTypeRef pi64 = LLVMPointerType(cg->t_i64, 0);
        LLVMValueRef q = LLVMBuildIntToPtr(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, p, ""), pi64, "");
        LLVMValueRef len = LLVMBuildLoad2(cg->b, cg->t_i64, q, "len");
        if (!elem)
            return empty_list(cg);
        LLVMValueRef buf = cg_list_buffer(cg, arena, len, elem);
        LLVMValueRef k = const_i64(cg, codegen_run_slots(elem)), one = const_i64(cg, 1);
        CgLoop l;
        cg_loop_begin(cg, &l, const_i64(cg, 0), len, NULL, 0);
        LLVMValueRef o = LLVMBuildAdd(cg->b, one, LLVMBuildMul(cg->b, l.i, k, ""), "");
        LLVMValueRef item = cg_run_from_slots(cg, arena, LLVMBuildGEP2(cg->b, cg->t_i64, q, &o, 1, ""), elem);
        cg_list_store(cg, buf, l.i, item, elem);
        cg_loop_end(cg, &l, NULL);
        return cg_list_value(cg, buf, len, len);
    }
    default: {
        LLVMValueRef w = LLVMBuildLoad2(cg->b, cg->t_i64, p, "");
        switch (t->kind) {
        case T_FLOAT: return LLVMBuildBitCast(cg->b, w, cg->t_f64, "");
        case T_BOOL: return LLVMBuildICmp(cg->b, LLVMIntNE, w, const_i64(cg, 0), "");
        case T_INT: return w;
        default: die("codegen: myc_run cannot take a value of this type");
        }
    }
    }
}

/* Stores v (of type t) into the slots at p, as cg_run_from_slots reads
   them; a list's block is malloc'd (myrt_list_out) for the caller to free. */
void cg_run_to_slots(Cg *cg, LLVMValueRef v, const Type *t, LLVMValueRef p)
{
    LLVMValueRef w;
    switch (t->kind) {
    case T_TUPLE: {
        int off = 0;
        for (int i = 0; i < t->n; i++) {
            LLVMValueRef o = const_i64(cg, off);
            cg_run_to_slots(cg, LLVMBuildExtractValue(cg->b, v, (unsigned)i, ""), t->elems[i],
                            LLVMBuildGEP2(cg->b, cg->t_i64, p, &o, 1, ""));
            off += codegen_run_slots(t->elems[i]);
        }
        return;
    }
    case T_LIST: {
        const Type *elem = type_list_elem(t);
        LLVMValueRef len = elem ? cg_list_len(cg, v) : const_i64(cg, 0);
        LLVMValueRef k = const_i64(cg, elem ? codegen_run_slots(elem) : 0), one = const_i64(cg, 1);
        LLVMValueRef bytes = LLVMBuildNUWMul(cg->b, LLVMBuildNUWAdd(cg->b, one, LLVMBuildNUWMul(cg->b, len, k, ""), ""),
                                             const_i64(cg, 8), "");
        LLVMValueRef q = ptr_to(cg, LLVMBuildCall2(cg->b, cg->rt_list_out_ty, cg->rt_list_out, &bytes, 1, "out"),
                                cg->t_i64);
        LLVMBuildStore(cg->b, len, q);
        if (elem) {
            LLVMValueRef data = cg_list_data(cg, v);
            CgLoop l;
            cg_loop_begin(cg, &l, const_i64(cg, 0), len, NULL, 0);
            LLVMValueRef o = LLVMBuildAdd(cg->b, one, LLVMBuildMul(cg->b, l.i, k, ""), "");
            cg_run_to_slots(cg, cg_list_load(cg, data, l.i, elem), elem, LLVMBuildGEP2(cg->b, cg->t_i64, q, &o, 1, ""));
            cg_loop_end(cg, &l, NULL);
        }
        w = LLVMBuildPtrToInt(cg->b, q, cg->t_i64, "");
        break;
    }
    case T_FLOAT: w = LLVMBuildBitCast(cg->b, v, cg->t_i64, ""); break;
    case T_BOOL: w = LLVMBuildZExt(cg->b, v, cg->t_i64, ""); break;
    case T_INT: w = v; break;
    case T_FUNC: w = LLVMBuildZExt(cg->b, cg_fn_tag(cg, t, v), cg->t_i64, ""); break;
    default: w = const_i64(cg, 0); break;
    }
    LLVMBuildStore(cg->b, w, p);
}
