/*
 * runtime.c: the runtime (runtime/myrt.h) as generated code calls it: the
 * declarations of the myrt_* functions, and their common paths inline.
 *
 * myrt.alloc, myrt.frame_push, myrt.frame_pop and myrt.list_alloc are
 * internal functions of
 * every module with the runtime functions' signatures: they do the common
 * case with the arena's fields (myrt.h's layout, shared by myc and the
 * runtime it ships with) and call myrt_alloc, myrt_frame_push or
 * myrt_frame_pop for anything else; LLVM inlines them.  A frame is a
 * 16-byte header {below, prev_fcur} and its payload (myrt.c).
 *
 * Assumes the program links the runtime of the myc that compiled it (the
 * layout of myrt_arena is read here; test_runtime's
 * test_frame_fields_for_inline_paths checks the predictions made).
 * Guarantees: a fast path gives what the runtime function would give
 * (same pointers, same statistics) and calls it whenever the current chunk
 * has no room or a pop would release a chunk.
 */
#include "cg.h"

#include <stddef.h>

#include "../../runtime/myrt.h"

/* ---- the fast paths ------------------------------------------------------ */

/* An internal function named name, of type fnty, with its entry block and
   the builder at its end; nounwind unless its slow path may raise a
   runtime error (whose handler may throw). */
static LLVMValueRef fast_path_fn(Cg *cg, const char *name, LLVMTypeRef fnty, bool may_raise)
{
    LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fnty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    if (!may_raise)
        cg_add_attr(cg, fn, LLVMAttributeFunctionIndex, "nounwind");
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    return fn;
}

/* A pointer to the field of type t at byte offset off of the arena a. */
static LLVMValueRef arena_field(Cg *cg, LLVMValueRef a, size_t off, LLVMTypeRef t)
{
    LLVMValueRef o = const_i64(cg, (int64_t)off);
    return ptr_to(cg, LLVMBuildGEP2(cg->b, cg->t_i8, a, &o, 1, ""), t);
}

/* p + k bytes. */
static LLVMValueRef bytes_after(Cg *cg, LLVMValueRef p, LLVMValueRef k)
{
    return LLVMBuildGEP2(cg->b, cg->t_i8, p, &k, 1, "");
}

/* Branches to fast when end - cur (two pointers) is at least n bytes, else
   to slow; with no chunk yet both are NULL and the room is 0. */
static void branch_on_room(Cg *cg, LLVMValueRef cur, LLVMValueRef end, LLVMValueRef n, LLVMBasicBlockRef fast,
                           LLVMBasicBlockRef slow)
{
    LLVMValueRef room = LLVMBuildSub(cg->b, LLVMBuildPtrToInt(cg->b, end, cg->t_i64, ""),
                                     LLVMBuildPtrToInt(cg->b, cur, cg->t_i64, ""), "room");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, room, n, ""), fast, slow);
}

/* myrt.alloc(arena, n), n a multiple of 16: a bump of the current chunk. */
static LLVMValueRef define_alloc_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.alloc", cg->rt_alloc_ty, true);
    cg_add_attr(cg, fn, LLVMAttributeReturnIndex, "noalias");
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "bump");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "chunk");
    LLVMValueRef a = LLVMGetParam(fn, 0), n = LLVMGetParam(fn, 1);
    LLVMValueRef curp = arena_field(cg, a, offsetof(myrt_arena, cur), cg->t_ptr);
    LLVMValueRef cur = LLVMBuildLoad2(cg->b, cg->t_ptr, curp, "cur");
    LLVMValueRef end = LLVMBuildLoad2(cg->b, cg->t_ptr, arena_field(cg, a, offsetof(myrt_arena, end), cg->t_ptr), "end");
    branch_on_room(cg, cur, end, n, fast, slow);
    LLVMPositionBuilderAtEnd(cg->b, fast);
    LLVMValueRef bytesp = arena_field(cg, a, offsetof(myrt_arena, bytes), cg->t_i64);
    LLVMBuildStore(cg->b, bytes_after(cg, cur, n), curp);
    LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, bytesp, ""), n, ""), bytesp);
    LLVMBuildRet(cg->b, cur);
    LLVMPositionBuilderAtEnd(cg->b, slow);
    LLVMValueRef args[2] = {a, n};
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_alloc_ty, cg->rt_alloc, args, 2, ""));
    return fn;
}

/* myrt.frame_push(arena, size): when the current frame chunk has room
   (fend - fcur), the frame goes at fcur. */
static LLVMValueRef define_push_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.frame_push", cg->rt_push_ty, true);
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "bump");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "chunk");
    LLVMValueRef a = LLVMGetParam(fn, 0), size = LLVMGetParam(fn, 1);
    LLVMValueRef n = LLVMBuildAdd(cg->b, LLVMBuildAnd(cg->b, LLVMBuildAdd(cg->b, size, const_i64(cg, 15), ""),
                                                      const_i64(cg, -16), ""), const_i64(cg, 16), "n");
    LLVMValueRef fcurp = arena_field(cg, a, offsetof(myrt_arena, fcur), cg->t_ptr);
    LLVMValueRef fcur = LLVMBuildLoad2(cg->b, cg->t_ptr, fcurp, "fcur");
    LLVMValueRef fend = LLVMBuildLoad2(cg->b, cg->t_ptr, arena_field(cg, a, offsetof(myrt_arena, fend), cg->t_ptr), "fend");
    branch_on_room(cg, fcur, fend, n, fast, slow);
    LLVMPositionBuilderAtEnd(cg->b, fast);
    LLVMValueRef ftopp = arena_field(cg, a, offsetof(myrt_arena, ftop), cg->t_ptr);
    LLVMBuildStore(cg->b, LLVMBuildLoad2(cg->b, cg->t_ptr, ftopp, ""), ptr_to(cg, fcur, cg->t_ptr));
    LLVMBuildStore(cg->b, fcur, ptr_to(cg, bytes_after(cg, fcur, const_i64(cg, 8)), cg->t_ptr));
    LLVMBuildStore(cg->b, fcur, ftopp);
    LLVMBuildStore(cg->b, bytes_after(cg, fcur, n), fcurp);
    LLVMValueRef fbytesp = arena_field(cg, a, offsetof(myrt_arena, fbytes), cg->t_i64);
    LLVMValueRef fpeakp = arena_field(cg, a, offsetof(myrt_arena, fpeak), cg->t_i64);
    LLVMValueRef fb = LLVMBuildAdd(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, fbytesp, ""), n, "");
    LLVMBuildStore(cg->b, fb, fbytesp);
    LLVMValueRef peak = LLVMBuildLoad2(cg->b, cg->t_i64, fpeakp, "");
    LLVMBuildStore(cg->b, LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGT, fb, peak, ""), fb, peak, ""), fpeakp);
    LLVMBuildRet(cg->b, bytes_after(cg, fcur, const_i64(cg, 16)));
    LLVMPositionBuilderAtEnd(cg->b, slow);
    LLVMValueRef args[2] = {a, size};
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_push_ty, cg->rt_push, args, 2, ""));
    return fn;
}

/* myrt.frame_pop(arena): a frame whose prev_fcur is itself is not the
   first of its chunk (one pushed into a new chunk records the old chunk's
   fcur, or NULL), so popping it releases no chunk. */
static LLVMValueRef define_pop_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.frame_pop", cg->rt_pop_ty, false);
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "same_chunk");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "first_of_chunk");
    LLVMValueRef a = LLVMGetParam(fn, 0);
    LLVMValueRef ftopp = arena_field(cg, a, offsetof(myrt_arena, ftop), cg->t_ptr);
    LLVMValueRef f = LLVMBuildLoad2(cg->b, cg->t_ptr, ftopp, "f");
    LLVMValueRef prev = LLVMBuildLoad2(cg->b, cg->t_ptr, ptr_to(cg, bytes_after(cg, f, const_i64(cg, 8)), cg->t_ptr), "prev");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, prev, f, ""), fast, slow);
    LLVMPositionBuilderAtEnd(cg->b, fast);
    LLVMValueRef fcurp = arena_field(cg, a, offsetof(myrt_arena, fcur), cg->t_ptr);
    LLVMValueRef fbytesp = arena_field(cg, a, offsetof(myrt_arena, fbytes), cg->t_i64);
    LLVMValueRef fcur = LLVMBuildLoad2(cg->b, cg->t_ptr, fcurp, "");
    LLVMValueRef used = LLVMBuildSub(cg->b, LLVMBuildPtrToInt(cg->b, fcur, cg->t_i64, ""),
                                     LLVMBuildPtrToInt(cg->b, f, cg->t_i64, ""), "");
    LLVMBuildStore(cg->b, LLVMBuildSub(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, fbytesp, ""), used, ""), fbytesp);
    LLVMBuildStore(cg->b, LLVMBuildLoad2(cg->b, cg->t_ptr, ptr_to(cg, f, cg->t_ptr), "below"), ftopp);
    LLVMBuildStore(cg->b, f, fcurp);
    LLVMBuildRet(cg->b, bytes_after(cg, f, const_i64(cg, 16)));
    LLVMPositionBuilderAtEnd(cg->b, slow);
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_pop_ty, cg->rt_pop, &a, 1, ""));
    return fn;
}

/* myrt.list_alloc(arena, size): a buffer below MYRT_LIST_BIG_BYTES is
   myrt_alloc's (its size rounded up to 16, at least 16), through
   myrt.alloc's bump; a larger one is myrt_list_alloc's block. */
static LLVMValueRef define_list_alloc_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.list_alloc", cg->rt_list_alloc_ty, true);
    cg_add_attr(cg, fn, LLVMAttributeReturnIndex, "noalias");
    LLVMBasicBlockRef small = LLVMAppendBasicBlockInContext(cg->ctx, fn, "small");
    LLVMBasicBlockRef big = LLVMAppendBasicBlockInContext(cg->ctx, fn, "big");
    LLVMValueRef a = LLVMGetParam(fn, 0), size = LLVMGetParam(fn, 1);
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, size, const_i64(cg, (int64_t)MYRT_LIST_BIG_BYTES), ""),
                    small, big);
    LLVMPositionBuilderAtEnd(cg->b, small);
    LLVMValueRef r16 = LLVMBuildAnd(cg->b, LLVMBuildAdd(cg->b, size, const_i64(cg, 15), ""), const_i64(cg, -16), "");
    LLVMValueRef n = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, size, const_i64(cg, 0), ""),
                                     const_i64(cg, 16), r16, "n");
    LLVMValueRef sa[2] = {a, n};
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_alloc_ty, cg->alloc_fast, sa, 2, ""));
    LLVMPositionBuilderAtEnd(cg->b, big);
    LLVMValueRef ba[2] = {a, size};
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_list_alloc_ty, cg->rt_list_alloc, ba, 2, ""));
    return fn;
}

/* The four fast paths, built with a builder of their own. */
static void define_fast_paths(Cg *cg)
{
    LLVMBuilderRef outer = cg->b;
    cg->b = LLVMCreateBuilderInContext(cg->ctx);
    cg->alloc_fast = define_alloc_fast(cg);
    cg->push_fast = define_push_fast(cg);
    cg->pop_fast = define_pop_fast(cg);
    cg->list_alloc_fast = define_list_alloc_fast(cg);
    LLVMDisposeBuilder(cg->b);
    cg->b = outer;
}

/* ---- what the rest of the code generator calls --------------------------- */

/* size bytes from the arena, as myrt_alloc gives them. */
LLVMValueRef cg_emit_alloc(Cg *cg, LLVMValueRef arena, uint64_t size, const char *name)
{
    uint64_t n = size ? (size + 15) & ~(uint64_t)15 : 16;
    LLVMValueRef args[2] = {arena, const_i64(cg, (int64_t)n)};
    return LLVMBuildCall2(cg->b, cg->rt_alloc_ty, cg->alloc_fast, args, 2, name);
}

/* Declares the runtime functions generated code calls (nounwind, but
   those that may raise a runtime error, whose handler may throw a C++
   exception: the allocating myrt_alloc, myrt_frame_push, myrt_env_set,
   myrt_env_add, myrt_list_*; the results of myrt_alloc and myrt_list_*
   noalias, myrt_env_get readonly; the
   error entries are scalar.c's, declared on first use), defines the fast
   paths over them, and the type of a sens ops record, { size, add }
   (myrt_sens_ops). */
void cg_declare_runtime(Cg *cg)
{
    LLVMTypeRef p = cg->t_ptr, i64 = cg->t_i64, v = cg->t_void;
#define RT(field, name, may_raise, ret, ...) do { \
        LLVMTypeRef a_[] = {__VA_ARGS__}; \
        cg->field##_ty = LLVMFunctionType(ret, a_, sizeof a_ / sizeof *a_, 0); \
        cg->field = LLVMGetNamedFunction(cg->mod, name); \
        if (!cg->field) \
            cg->field = LLVMAddFunction(cg->mod, name, cg->field##_ty); \
        if (!(may_raise)) \
            cg_add_attr(cg, cg->field, LLVMAttributeFunctionIndex, "nounwind"); \
    } while (0)
    RT(rt_alloc, "myrt_alloc", true, p, p, i64);
    RT(rt_push, "myrt_frame_push", true, p, p, i64);
    RT(rt_pop, "myrt_frame_pop", false, p, p);
    RT(rt_env_set, "myrt_env_set", true, p, p, p, i64, p, p);
    RT(rt_env_get, "myrt_env_get", false, p, p, i64);
    RT(rt_env_add, "myrt_env_add", true, p, p, p, p);
    RT(rt_enter, "myrt_arena_enter", false, v, p);
    RT(rt_leave, "myrt_arena_leave", false, v, p);
    RT(rt_list_alloc, "myrt_list_alloc", true, p, p, i64);
    RT(rt_list_grow, "myrt_list_grow", true, p, p, p, i64, i64, i64);
    RT(rt_list_out, "myrt_list_out", true, p, i64);
    RT(rt_list_release, "myrt_list_release", true, p, p, p, i64);
#undef RT
    cg_add_attr(cg, cg->rt_alloc, LLVMAttributeReturnIndex, "noalias");
    cg_add_attr(cg, cg->rt_list_alloc, LLVMAttributeReturnIndex, "noalias");
    cg_add_attr(cg, cg->rt_list_grow, LLVMAttributeReturnIndex, "noalias");
    cg_add_attr(cg, cg->rt_list_out, LLVMAttributeReturnIndex, "noalias");
    define_fast_paths(cg);
    cg_add_attr(cg, cg->rt_env_get, LLVMAttributeFunctionIndex, "readonly");
    LLVMTypeRef at[4] = {p, p, p, p};
    cg->add_fn_ty = LLVMFunctionType(v, at, 4, 0);
    LLVMTypeRef ot[2] = {i64, LLVMPointerType(cg->add_fn_ty, 0)};
    cg->ops_ty = LLVMStructCreateNamed(cg->ctx, "myrt_sens_ops");
    LLVMStructSetBody(cg->ops_ty, ot, 2, 0);
}
