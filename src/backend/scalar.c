/*
 * scalar.c: LLVM IR for the scalar primitives (see scalar.h for the
 * contract).  Each primitive mirrors its evaluator in
 * ir/prim_eval.c, case by case:
 *
 *   - bool counts as int (zext), int meets float by sitofp; the natural
 *     result kind (int when no operand is a float) is then widened to the
 *     result type inference chose (bool -> int -> float), never narrowed;
 *   - int arithmetic wraps (no nsw/nuw); // and % are Python's, with
 *     INT64_MIN // -1 and % -1 computed without sdiv's undefined case;
 *   - float // and % follow CPython's float_divmod, IEEE results for a
 *     zero divisor; int ** int is repeated squaring (unrolled for a
 *     constant exponent, which is what inference allows);
 *   - an int and a float compare exactly, as cmp_int_float does;
 *   - min/max are `b < a ? b : a` / `b > a ? b : a` with that comparison;
 *   - floor/ceil/int of a float check NaN, infinity and the int64 range
 *     before fptosi.
 *
 * Only exact LLVM intrinsics are used (sqrt, floor, ceil, trunc, fabs,
 * copysign, ctlz); every other math function is a `nobuiltin` libm call,
 * so LLVM neither rewrites nor constant-folds it.  Runtime errors branch
 * (weighted unlikely) to a block that calls myrt_runtime_error_at with the
 * message and the primitive's location record and ends in unreachable;
 * the code continues in a fresh block.
 */
#include "scalar.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* An operand: its LLVM value and its myc type. */
typedef struct Arg {
    LLVMValueRef v;
    TypeKind k;
} Arg;

/* ---- types and constants -------------------------------------------------------- */

static LLVMTypeRef t_i1(CgPrimCtx *cg) { return LLVMInt1TypeInContext(cg->ctx); }
static LLVMTypeRef t_i8(CgPrimCtx *cg) { return LLVMInt8TypeInContext(cg->ctx); }
static LLVMTypeRef t_i32(CgPrimCtx *cg) { return LLVMInt32TypeInContext(cg->ctx); }
static LLVMTypeRef t_i64(CgPrimCtx *cg) { return LLVMInt64TypeInContext(cg->ctx); }
static LLVMTypeRef t_f64(CgPrimCtx *cg) { return LLVMDoubleTypeInContext(cg->ctx); }

static LLVMTypeRef llvm_type(CgPrimCtx *cg, TypeKind k)
{
    switch (k) {
    case T_BOOL: return t_i1(cg);
    case T_INT: return t_i64(cg);
    case T_FLOAT: return t_f64(cg);
    default: die("codegen: a non-scalar type");
    }
}

static LLVMValueRef c_i1(CgPrimCtx *cg, bool v) { return LLVMConstInt(t_i1(cg), v, 0); }
static LLVMValueRef c_i64(CgPrimCtx *cg, int64_t v) { return LLVMConstInt(t_i64(cg), (unsigned long long)v, 1); }
static LLVMValueRef c_f64(CgPrimCtx *cg, double v) { return LLVMConstReal(t_f64(cg), v); }

static const double TWO63 = 9223372036854775808.0;     /* 2**63 */

/* ---- conversions ------------------------------------------------------------------ */

/* bool or int as i64. */
static LLVMValueRef as_int(CgPrimCtx *cg, Arg a)
{
    if (a.k == T_BOOL)
        return LLVMBuildZExt(cg->b, a.v, t_i64(cg), "");
    if (a.k != T_INT)
        die("codegen: a float where an int is required");
    return a.v;
}

/* Any scalar as double (the Num.f of prim_eval.c). */
static LLVMValueRef as_float(CgPrimCtx *cg, Arg a)
{
    switch (a.k) {
    case T_BOOL: return LLVMBuildUIToFP(cg->b, a.v, t_f64(cg), "");
    case T_INT: return LLVMBuildSIToFP(cg->b, a.v, t_f64(cg), "");
    default: return a.v;
    }
}

/* v of kind `from` as kind `to`, which may only be wider. */
static LLVMValueRef widen(CgPrimCtx *cg, LLVMValueRef v, TypeKind from, TypeKind to)
{
    if (from == to)
        return v;
    Arg a = {v, from};
    if (to == T_FLOAT)
        return as_float(cg, a);
    if (to == T_INT && from == T_BOOL)
        return as_int(cg, a);
    die("codegen: cannot narrow a result to the type inference gave it");
}

static bool any_float(const Arg *a, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].k == T_FLOAT)
            return true;
    return false;
}

/* ---- declarations and calls --------------------------------------------------------- */

static LLVMAttributeRef enum_attr(CgPrimCtx *cg, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    if (!kind)
        die("codegen: LLVM has no attribute '%s'", name);
    return LLVMCreateEnumAttribute(cg->ctx, kind, 0);
}

/* The function `name` of type fty, declared with the NULL-terminated
   function attributes attrs when the module does not have it yet. */
static LLVMValueRef declare(CgPrimCtx *cg, const char *name, LLVMTypeRef fty, const char *const *attrs)
{
    LLVMValueRef f = LLVMGetNamedFunction(cg->mod, name);
    if (f) {
        if (LLVMGlobalGetValueType(f) != fty)
            die("codegen: '%s' is already declared with another type", name);
        return f;
    }
    f = LLVMAddFunction(cg->mod, name, fty);
    for (int i = 0; attrs[i]; i++)
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, enum_attr(cg, attrs[i]));
    return f;
}

/* What clang gives libm functions under -fno-math-errno, plus nobuiltin
   (see scalar.h: LLVM must not substitute other functions). */
static const char *const libm_attrs[] = {"nounwind", "readnone", "willreturn", "nofree", "nosync", "nobuiltin",
                                         NULL};

/* name(args): a libm function of n doubles. */
static LLVMValueRef call_libm(CgPrimCtx *cg, const char *name, LLVMValueRef *args, int n)
{
    LLVMTypeRef params[2] = {t_f64(cg), t_f64(cg)};
    LLVMTypeRef fty = LLVMFunctionType(t_f64(cg), params, (unsigned)n, 0);
    LLVMValueRef f = declare(cg, name, fty, libm_attrs);
    LLVMValueRef call = LLVMBuildCall2(cg->b, fty, f, args, (unsigned)n, name);
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, enum_attr(cg, "nobuiltin"));
    return call;
}

/* llvm.NAME.<ty>(args) for an intrinsic overloaded on one type. */
static LLVMValueRef call_intrinsic(CgPrimCtx *cg, const char *name, LLVMTypeRef ty, LLVMValueRef *args, int n)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    if (!id)
        die("codegen: no intrinsic %s", name);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(cg->mod, id, &ty, 1);
    LLVMTypeRef fty = LLVMIntrinsicGetType(cg->ctx, id, &ty, 1);
    return LLVMBuildCall2(cg->b, fty, f, args, (unsigned)n, "");
}

static LLVMValueRef fcall1(CgPrimCtx *cg, const char *intrinsic, LLVMValueRef x)
{
    return call_intrinsic(cg, intrinsic, t_f64(cg), &x, 1);
}

static LLVMValueRef copysign_(CgPrimCtx *cg, LLVMValueRef mag, LLVMValueRef sign)
{
    LLVMValueRef a[2] = {mag, sign};
    return call_intrinsic(cg, "llvm.copysign", t_f64(cg), a, 2);
}

/* ---- runtime errors ------------------------------------------------------------------ */

/* The messages prim_eval.c raises, each a private string `myc.msg.*`. */
typedef enum RtMsg { MSG_DIV_ZERO, MSG_MOD_ZERO, MSG_RANGE_STEP, MSG_NAN, MSG_INF, MSG_OVERFLOW } RtMsg;

static const struct {
    const char *sym, *text;
} rt_messages[] = {
    [MSG_DIV_ZERO] = {"myc.msg.div_zero", "integer division or modulo by zero"},
    [MSG_MOD_ZERO] = {"myc.msg.mod_zero", "integer modulo by zero"},
    [MSG_RANGE_STEP] = {"myc.msg.range_step", "range() arg 3 must not be zero"},
    [MSG_NAN] = {"myc.msg.nan_to_int", "cannot convert float NaN to integer"},
    [MSG_INF] = {"myc.msg.inf_to_int", "cannot convert float infinity to integer"},
    [MSG_OVERFLOW] = {"myc.msg.float_to_int_overflow", "integer overflow converting float to int"},
};

/* An i8* to the NUL-terminated message m. */
static LLVMValueRef message(CgPrimCtx *cg, RtMsg m)
{
    const char *text = rt_messages[m].text;
    unsigned len = (unsigned)strlen(text) + 1;
    LLVMTypeRef aty = LLVMArrayType(t_i8(cg), len);
    LLVMValueRef g = LLVMGetNamedGlobal(cg->mod, rt_messages[m].sym);
    if (!g) {
        g = LLVMAddGlobal(cg->mod, aty, rt_messages[m].sym);
        LLVMSetInitializer(g, LLVMConstStringInContext(cg->ctx, text, len - 1, 0));
        LLVMSetLinkage(g, LLVMPrivateLinkage);
        LLVMSetGlobalConstant(g, 1);
        LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
        LLVMSetAlignment(g, 1);
    }
    LLVMValueRef zero[2] = {LLVMConstInt(t_i32(cg), 0, 0), LLVMConstInt(t_i32(cg), 0, 0)};
    return LLVMConstInBoundsGEP2(aty, g, zero, 2);
}

/* A new block, placed right after the current one (the fall-through path). */
static LLVMBasicBlockRef block_after_current(CgPrimCtx *cg, const char *name)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef next = LLVMGetNextBasicBlock(cur);
    if (next)
        return LLVMInsertBasicBlockInContext(cg->ctx, next, name);
    return LLVMAppendBasicBlockInContext(cg->ctx, LLVMGetBasicBlockParent(cur), name);
}

/* br with !prof branch weights making the true edge unlikely. */
static void branch_unlikely(CgPrimCtx *cg, LLVMValueRef cond, LLVMBasicBlockRef then, LLVMBasicBlockRef other)
{
    LLVMValueRef br = LLVMBuildCondBr(cg->b, cond, then, other);
    LLVMMetadataRef md[3] = {
        LLVMMDStringInContext2(cg->ctx, "branch_weights", strlen("branch_weights")),
        LLVMValueAsMetadata(LLVMConstInt(t_i32(cg), 1, 0)),
        LLVMValueAsMetadata(LLVMConstInt(t_i32(cg), 2000, 0)),
    };
    LLVMValueRef node = LLVMMetadataAsValue(cg->ctx, LLVMMDNodeInContext2(cg->ctx, md, 3));
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(cg->ctx, "prof", 4), node);
}

/* Branches to a new cold block when `bad`; leaves the builder in that
   block (the caller computes the message there, then calls raise_in) and
   returns the block where the code continues. */
static LLVMBasicBlockRef begin_error(CgPrimCtx *cg, LLVMValueRef bad)
{
    LLVMBasicBlockRef ok = block_after_current(cg, "ok");
    LLVMValueRef fn = LLVMGetBasicBlockParent(ok);
    LLVMBasicBlockRef err = LLVMAppendBasicBlockInContext(cg->ctx, fn, "rt.error");
    branch_unlikely(cg, bad, err, ok);
    LLVMPositionBuilderAtEnd(cg->b, err);
    return ok;
}

/* A private constant of the module named name, initialised to init. */
static LLVMValueRef private_constant(CgPrimCtx *cg, const char *name, LLVMValueRef init, unsigned align)
{
    LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(g, align);
    return g;
}

/* An i8* to the myrt_source_loc record { file, line, col } of loc
   (myc.loc.LINE.COL, made once per module), file being myc.srcfile. */
static LLVMValueRef source_loc(CgPrimCtx *cg, Loc loc)
{
    LLVMTypeRef i8p = LLVMPointerType(t_i8(cg), 0);
    char name[64];
    snprintf(name, sizeof name, "myc.loc.%d.%d", loc.line, loc.col);
    LLVMValueRef rec = LLVMGetNamedGlobal(cg->mod, name);
    if (!rec) {
        LLVMValueRef file = LLVMGetNamedGlobal(cg->mod, "myc.srcfile");
        if (!file) {
            size_t len;
            const char *path = LLVMGetSourceFileName(cg->mod, &len);
            file = private_constant(cg, "myc.srcfile",
                                    LLVMConstStringInContext(cg->ctx, path, (unsigned)len, 0), 1);
        }
        LLVMValueRef fields[3] = {LLVMConstBitCast(file, i8p), LLVMConstInt(t_i32(cg), (unsigned)loc.line, 0),
                                  LLVMConstInt(t_i32(cg), (unsigned)loc.col, 0)};
        rec = private_constant(cg, name, LLVMConstStructInContext(cg->ctx, fields, 3, 0), 8);
    }
    return LLVMConstBitCast(rec, i8p);
}

void cg_raise(CgPrimCtx *cg, LLVMValueRef msg)
{
    static const char *const attrs[] = {"noreturn", "cold", NULL};      /* a C++ handler may throw */
    LLVMTypeRef params[2] = {LLVMPointerType(t_i8(cg), 0), LLVMPointerType(t_i8(cg), 0)};
    LLVMValueRef args[2] = {msg, NULL};
    bool located = cg->loc.line > 0;
    if (located)
        args[1] = source_loc(cg, cg->loc);
    LLVMTypeRef fty = LLVMFunctionType(LLVMVoidTypeInContext(cg->ctx), params, located ? 2 : 1, 0);
    LLVMValueRef f = declare(cg, located ? "myrt_runtime_error_at" : "myrt_runtime_error", fty, attrs);
    LLVMBuildCall2(cg->b, fty, f, args, located ? 2 : 1, "");
    LLVMBuildUnreachable(cg->b);
}

/* Ends the error block: the error msg at cg->loc; unreachable.  Continues
   in ok. */
static void raise_in(CgPrimCtx *cg, LLVMValueRef msg, LLVMBasicBlockRef ok)
{
    cg_raise(cg, msg);
    LLVMPositionBuilderAtEnd(cg->b, ok);
}

/* Raises message m when bad is true. */
static void raise_if(CgPrimCtx *cg, LLVMValueRef bad, RtMsg m)
{
    LLVMBasicBlockRef ok = begin_error(cg, bad);
    raise_in(cg, message(cg, m), ok);
}

/* ---- int arithmetic --------------------------------------------------------------------- */

/* Python's x // y (want_mod false) or x % y on int64, as ev_floordiv and
   ev_mod: y == 0 raises; y == -1 gives -x (wrapping) and 0 without
   executing sdiv/srem on it (undefined for INT64_MIN). */
static LLVMValueRef int_divmod(CgPrimCtx *cg, LLVMValueRef x, LLVMValueRef y, bool want_mod)
{
    LLVMBuilderRef b = cg->b;
    raise_if(cg, LLVMBuildICmp(b, LLVMIntEQ, y, c_i64(cg, 0), ""), want_mod ? MSG_MOD_ZERO : MSG_DIV_ZERO);
    LLVMValueRef minus1 = LLVMBuildICmp(b, LLVMIntEQ, y, c_i64(cg, -1), "");
    LLVMValueRef ys = LLVMBuildSelect(b, minus1, c_i64(cg, 1), y, "");
    LLVMValueRef q = LLVMBuildSDiv(b, x, ys, "");
    LLVMValueRef r = LLVMBuildSRem(b, x, ys, "");
    LLVMValueRef signs_differ = LLVMBuildXor(b, LLVMBuildICmp(b, LLVMIntSLT, r, c_i64(cg, 0), ""),
                                             LLVMBuildICmp(b, LLVMIntSLT, y, c_i64(cg, 0), ""), "");
    LLVMValueRef adjust = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntNE, r, c_i64(cg, 0), ""), signs_differ, "");
    if (want_mod) {
        LLVMValueRef m = LLVMBuildSelect(b, adjust, LLVMBuildAdd(b, r, y, ""), r, "");
        return LLVMBuildSelect(b, minus1, c_i64(cg, 0), m, "mod");
    }
    LLVMValueRef d = LLVMBuildSelect(b, adjust, LLVMBuildSub(b, q, c_i64(cg, 1), ""), q, "");
    return LLVMBuildSelect(b, minus1, LLVMBuildNeg(b, x, ""), d, "floordiv");
}

/* x ** e for a constant e >= 0: the multiplications of repeated squaring
   (mod 2**64 the order does not matter, so this is ev_pow_op's result). */
static LLVMValueRef int_pow_const(CgPrimCtx *cg, LLVMValueRef x, uint64_t e)
{
    LLVMValueRef r = NULL, sq = x;
    while (e) {
        if (e & 1)
            r = r ? LLVMBuildMul(cg->b, r, sq, "") : sq;
        e >>= 1;
        if (e)
            sq = LLVMBuildMul(cg->b, sq, sq, "");
    }
    return r ? r : c_i64(cg, 1);
}

/* x ** e for a computed e: the loop of ev_pow_op (e taken as unsigned, so
   at most 64 iterations). */
static LLVMValueRef int_pow_loop(CgPrimCtx *cg, LLVMValueRef x, LLVMValueRef e)
{
    LLVMBuilderRef b = cg->b;
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
    LLVMBasicBlockRef loop = block_after_current(cg, "pow.loop");
    LLVMPositionBuilderAtEnd(b, loop);
    LLVMBasicBlockRef done = block_after_current(cg, "pow.done");
    LLVMPositionBuilderAtEnd(b, pre);
    LLVMValueRef zero = c_i64(cg, 0), one = c_i64(cg, 1);
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, e, zero, ""), loop, done);

    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef r = LLVMBuildPhi(b, t_i64(cg), "r");
    LLVMValueRef sq = LLVMBuildPhi(b, t_i64(cg), "sq");
    LLVMValueRef ei = LLVMBuildPhi(b, t_i64(cg), "e");
    LLVMValueRef odd = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, ei, one, ""), zero, "");
    LLVMValueRef r2 = LLVMBuildSelect(b, odd, LLVMBuildMul(b, r, sq, ""), r, "");
    LLVMValueRef sq2 = LLVMBuildMul(b, sq, sq, "");
    LLVMValueRef e2 = LLVMBuildLShr(b, ei, one, "");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, e2, zero, ""), loop, done);
    LLVMValueRef r_in[2] = {one, r2}, sq_in[2] = {x, sq2}, e_in[2] = {e, e2};
    LLVMBasicBlockRef from[2] = {pre, loop};
    LLVMAddIncoming(r, r_in, from, 2);
    LLVMAddIncoming(sq, sq_in, from, 2);
    LLVMAddIncoming(ei, e_in, from, 2);

    LLVMPositionBuilderAtEnd(b, done);
    LLVMValueRef res = LLVMBuildPhi(b, t_i64(cg), "pow");
    LLVMAddIncoming(res, r_in, from, 2);
    return res;
}

/* ---- int / int (myc.int_truediv) ------------------------------------------------------- */

/* The 64 low quotient bits ql = floor(rh * 2**64 / ud) for rh < ud, by
   restoring division, one bit per iteration of a loop appended to fn
   (entered from the current block).  Sets *ql and the final remainder *r;
   the builder ends in the block after the loop. */
static void long_division(CgPrimCtx *cg, LLVMValueRef fn, LLVMValueRef rh, LLVMValueRef ud, LLVMValueRef *ql,
                          LLVMValueRef *r)
{
    LLVMBuilderRef b = cg->b;
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(cg->ctx, fn, "loop");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(cg->ctx, fn, "done");
    LLVMValueRef c0 = c_i64(cg, 0), c1 = c_i64(cg, 1);
    LLVMBuildBr(b, loop);
    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef i = LLVMBuildPhi(b, t_i64(cg), "i");
    LLVMValueRef rem = LLVMBuildPhi(b, t_i64(cg), "r");
    LLVMValueRef q = LLVMBuildPhi(b, t_i64(cg), "ql");
    LLVMValueRef carry = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildLShr(b, rem, c_i64(cg, 63), ""), c0, "");
    LLVMValueRef rem2 = LLVMBuildShl(b, rem, c1, "");
    LLVMValueRef take = LLVMBuildOr(b, carry, LLVMBuildICmp(b, LLVMIntUGE, rem2, ud, ""), "");
    LLVMValueRef rem3 = LLVMBuildSelect(b, take, LLVMBuildSub(b, rem2, ud, ""), rem2, "");
    LLVMValueRef q2 = LLVMBuildOr(b, LLVMBuildShl(b, q, c1, ""), LLVMBuildZExt(b, take, t_i64(cg), ""), "");
    LLVMValueRef i2 = LLVMBuildAdd(b, i, c1, "");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, i2, c_i64(cg, 64), ""), done, loop);
    LLVMValueRef i_in[2] = {c0, i2}, r_in[2] = {rh, rem3}, q_in[2] = {c0, q2};
    LLVMBasicBlockRef from[2] = {pre, loop};
    LLVMAddIncoming(i, i_in, from, 2);
    LLVMAddIncoming(rem, r_in, from, 2);
    LLVMAddIncoming(q, q_in, from, 2);
    LLVMPositionBuilderAtEnd(b, done);
    *ql = q2;
    *r = rem3;
}

/* The double nearest to (qh * 2**64 + ql + rem / ud) * 2**(-64 - sh),
   rounded once: Q = qh:ql has 64 + L significant bits (L = bit length of
   qh, 0..64); its top 64 bits, with a sticky bit for what is below them,
   convert as Q + rem / ud would.  The sticky bit is rem != 0: when rem is
   0, ud = u * 2**t (u odd) divides N * 2**64, so Q = (N / u) * 2**(64 - t)
   and its low 64 - t >= L bits, the ones dropped, are all zero. */
static LLVMValueRef round_quotient(CgPrimCtx *cg, LLVMValueRef qh, LLVMValueRef ql, LLVMValueRef rem,
                                   LLVMValueRef sh)
{
    LLVMBuilderRef b = cg->b;
    LLVMValueRef c0 = c_i64(cg, 0), c63 = c_i64(cg, 63), c64 = c_i64(cg, 64);
    LLVMValueRef ctlz_args[2] = {qh, c_i1(cg, false)};
    LLVMValueRef L = LLVMBuildSub(b, c64, call_intrinsic(cg, "llvm.ctlz", t_i64(cg), ctlz_args, 2), "L");
    /* 0 < L < 64: the shifts below; L == 0 and L == 64 are selected apart */
    LLVMValueRef s_lo = LLVMBuildAnd(b, L, c63, "");
    LLVMValueRef s_hi = LLVMBuildAnd(b, LLVMBuildSub(b, c64, L, ""), c63, "");
    LLVMValueRef mid = LLVMBuildOr(b, LLVMBuildShl(b, qh, s_hi, ""), LLVMBuildLShr(b, ql, s_lo, ""), "");
    LLVMValueRef L0 = LLVMBuildICmp(b, LLVMIntEQ, L, c0, "");
    LLVMValueRef L64 = LLVMBuildICmp(b, LLVMIntEQ, L, c64, "");
    LLVMValueRef top = LLVMBuildSelect(b, L0, ql, LLVMBuildSelect(b, L64, qh, mid, ""), "top");
    LLVMValueRef sticky = LLVMBuildICmp(b, LLVMIntNE, rem, c0, "");
    LLVMValueRef m = LLVMBuildOr(b, top, LLVMBuildZExt(b, sticky, t_i64(cg), ""), "");
    LLVMValueRef mag = LLVMBuildUIToFP(b, m, t_f64(cg), "");
    /* times 2**(L - 64 - sh), built from its exponent bits (between 2**-127 and 1) */
    LLVMValueRef ex = LLVMBuildSub(b, LLVMBuildSub(b, L, c64, ""), sh, "");
    LLVMValueRef bits = LLVMBuildShl(b, LLVMBuildAdd(b, ex, c_i64(cg, 1023), ""), c_i64(cg, 52), "");
    return LLVMBuildFMul(b, mag, LLVMBuildBitCast(b, bits, t_f64(cg), ""), "");
}

/*
 * Builds the body of `double myc.int_truediv(i64 a, i64 b)`: int_truediv of
 * prim_eval.c without i128 division or conversion (which would need
 * compiler-rt helpers).  Operands within 2**53 (or b == 0): one double
 * division.  Otherwise, with N = |a| << clz(|a|) (top bit set), the 128-bit
 * quotient Q = floor(N * 2**64 / |b|) is qh * 2**64 + ql, qh = N / |b| and
 * ql by long division of the remainder.  Q has at least 64 significant
 * bits, so its top 64 bits with a sticky bit for everything below round to
 * the same double as prim_eval's 128-bit conversion (of Q with its low bit
 * set when the remainder is not zero); scaling by a power of
 * two is exact (the quotient of two int64 is far from the double range
 * limits).
 */
static void build_int_truediv(CgPrimCtx *cg, LLVMValueRef fn)
{
    LLVMBuilderRef b = cg->b;
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry");
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "fast");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "slow");
    LLVMBasicBlockRef zero_num = LLVMAppendBasicBlockInContext(cg->ctx, fn, "zero");
    LLVMBasicBlockRef wide = LLVMAppendBasicBlockInContext(cg->ctx, fn, "wide");
    LLVMValueRef a = LLVMGetParam(fn, 0), d = LLVMGetParam(fn, 1), c0 = c_i64(cg, 0);
    LLVMValueRef lim = c_i64(cg, (int64_t)1 << 53), nlim = c_i64(cg, -((int64_t)1 << 53));

    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef in_a = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSGE, a, nlim, ""),
                                     LLVMBuildICmp(b, LLVMIntSLE, a, lim, ""), "");
    LLVMValueRef in_d = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSGE, d, nlim, ""),
                                     LLVMBuildICmp(b, LLVMIntSLE, d, lim, ""), "");
    LLVMValueRef d0 = LLVMBuildICmp(b, LLVMIntEQ, d, c0, "");
    LLVMValueRef small = LLVMBuildOr(b, d0, LLVMBuildAnd(b, in_a, in_d, ""), "");
    LLVMBuildCondBr(b, small, fast, slow);

    LLVMPositionBuilderAtEnd(b, fast);
    LLVMValueRef fa = LLVMBuildSIToFP(b, a, t_f64(cg), ""), fd = LLVMBuildSIToFP(b, d, t_f64(cg), "");
    LLVMBuildRet(b, LLVMBuildFDiv(b, fa, fd, ""));

    LLVMPositionBuilderAtEnd(b, slow);
    LLVMValueRef a_neg = LLVMBuildICmp(b, LLVMIntSLT, a, c0, "");
    LLVMValueRef d_neg = LLVMBuildICmp(b, LLVMIntSLT, d, c0, "");
    LLVMValueRef neg = LLVMBuildXor(b, a_neg, d_neg, "neg");
    LLVMValueRef ua = LLVMBuildSelect(b, a_neg, LLVMBuildNeg(b, a, ""), a, "ua");
    LLVMValueRef ud = LLVMBuildSelect(b, d_neg, LLVMBuildNeg(b, d, ""), d, "ud");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, ua, c0, ""), zero_num, wide);

    LLVMPositionBuilderAtEnd(b, zero_num);
    LLVMBuildRet(b, LLVMBuildSelect(b, neg, c_f64(cg, -0.0), c_f64(cg, 0.0), ""));

    LLVMPositionBuilderAtEnd(b, wide);
    LLVMValueRef ctlz_args[2] = {ua, c_i1(cg, true)};
    LLVMValueRef sh = call_intrinsic(cg, "llvm.ctlz", t_i64(cg), ctlz_args, 2);
    LLVMValueRef num = LLVMBuildShl(b, ua, sh, "");
    LLVMValueRef qh = LLVMBuildUDiv(b, num, ud, "qh");
    LLVMValueRef ql, rem;
    long_division(cg, fn, LLVMBuildURem(b, num, ud, ""), ud, &ql, &rem);
    LLVMValueRef res = round_quotient(cg, qh, ql, rem, sh);
    LLVMBuildRet(b, LLVMBuildSelect(b, neg, LLVMBuildFNeg(b, res, ""), res, ""));
}

/* a / b for ints: a call of myc.int_truediv, defined on first use. */
static LLVMValueRef int_truediv(CgPrimCtx *cg, LLVMValueRef a, LLVMValueRef d)
{
    static const char *const attrs[] = {"nounwind", "readnone", "willreturn", "nofree", "nosync", NULL};
    LLVMTypeRef params[2] = {t_i64(cg), t_i64(cg)};
    LLVMTypeRef fty = LLVMFunctionType(t_f64(cg), params, 2, 0);
    LLVMValueRef fn = declare(cg, "myc.int_truediv", fty, attrs);
    if (LLVMCountBasicBlocks(fn) == 0) {
        CgPrimCtx h = {cg->ctx, cg->mod, LLVMCreateBuilderInContext(cg->ctx), LOC_NONE};
        LLVMSetLinkage(fn, LLVMInternalLinkage);
        build_int_truediv(&h, fn);
        LLVMDisposeBuilder(h.b);
    }
    LLVMValueRef args[2] = {a, d};
    return LLVMBuildCall2(cg->b, fty, fn, args, 2, "truediv");
}

/* ---- float // and % ---------------------------------------------------------------------- */

/* CPython's float_divmod as in prim_eval.c, branch-free: a zero divisor
   gives vx / wx and NaN. */
static void float_divmod(CgPrimCtx *cg, LLVMValueRef vx, LLVMValueRef wx, LLVMValueRef *floordiv,
                         LLVMValueRef *modulo)
{
    LLVMBuilderRef b = cg->b;
    LLVMValueRef z = c_f64(cg, 0.0);
    LLVMValueRef wzero = LLVMBuildFCmp(b, LLVMRealOEQ, wx, z, "");
    LLVMValueRef mod = LLVMBuildFRem(b, vx, wx, "");          /* fmod: exact */
    LLVMValueRef div = LLVMBuildFDiv(b, LLVMBuildFSub(b, vx, mod, ""), wx, "");
    LLVMValueRef mod_nz = LLVMBuildFCmp(b, LLVMRealUNE, mod, z, "");
    LLVMValueRef signs = LLVMBuildXor(b, LLVMBuildFCmp(b, LLVMRealOLT, wx, z, ""),
                                      LLVMBuildFCmp(b, LLVMRealOLT, mod, z, ""), "");
    LLVMValueRef fix = LLVMBuildAnd(b, mod_nz, signs, "");
    LLVMValueRef mod1 = LLVMBuildSelect(b, fix, LLVMBuildFAdd(b, mod, wx, ""), mod, "");
    LLVMValueRef div1 = LLVMBuildSelect(b, fix, LLVMBuildFSub(b, div, c_f64(cg, 1.0), ""), div, "");
    LLVMValueRef mod2 = LLVMBuildSelect(b, mod_nz, mod1, copysign_(cg, z, wx), "");
    LLVMValueRef fl = fcall1(cg, "llvm.floor", div1);
    LLVMValueRef up = LLVMBuildFCmp(b, LLVMRealOGT, LLVMBuildFSub(b, div1, fl, ""), c_f64(cg, 0.5), "");
    LLVMValueRef fl2 = LLVMBuildSelect(b, up, LLVMBuildFAdd(b, fl, c_f64(cg, 1.0), ""), fl, "");
    LLVMValueRef q = LLVMBuildFDiv(b, vx, wx, "");
    LLVMValueRef div_nz = LLVMBuildFCmp(b, LLVMRealUNE, div1, z, "");
    LLVMValueRef fd = LLVMBuildSelect(b, div_nz, fl2, copysign_(cg, z, q), "");
    *floordiv = LLVMBuildSelect(b, wzero, q, fd, "floordiv");
    *modulo = LLVMBuildSelect(b, wzero, c_f64(cg, NAN), mod2, "mod");
}

/* ---- comparisons ------------------------------------------------------------------------- */

static LLVMIntPredicate int_pred(PrimId op)
{
    switch (op) {
    case P_LT: return LLVMIntSLT;
    case P_LE: return LLVMIntSLE;
    case P_GT: return LLVMIntSGT;
    case P_GE: return LLVMIntSGE;
    case P_EQ: return LLVMIntEQ;
    default: return LLVMIntNE;
    }
}

/* Ordered predicates, false on NaN, except != (true on NaN, as in Python). */
static LLVMRealPredicate float_pred(PrimId op)
{
    switch (op) {
    case P_LT: return LLVMRealOLT;
    case P_LE: return LLVMRealOLE;
    case P_GT: return LLVMRealOGT;
    case P_GE: return LLVMRealOGE;
    case P_EQ: return LLVMRealOEQ;
    default: return LLVMRealUNE;
    }
}

/* op with its operands swapped: x op y == y swapped(op) x. */
static PrimId swapped(PrimId op)
{
    switch (op) {
    case P_LT: return P_GT;
    case P_LE: return P_GE;
    case P_GT: return P_LT;
    case P_GE: return P_LE;
    default: return op;
    }
}

/* cmp_int_float(i, f) of prim_eval.c as an i64 -1, 0 or 1, for a non-NaN f
   (a NaN gives some value; callers mask it).  fptosi only sees a value in
   [-2**63, 2**63). */
static LLVMValueRef cmp_int_float(CgPrimCtx *cg, LLVMValueRef i, LLVMValueRef f)
{
    LLVMBuilderRef b = cg->b;
    LLVMValueRef m1 = c_i64(cg, -1), p1 = c_i64(cg, 1), z = c_f64(cg, 0.0);
    LLVMValueRef big = LLVMBuildFCmp(b, LLVMRealOGE, f, c_f64(cg, TWO63), "");
    LLVMValueRef tiny = LLVMBuildFCmp(b, LLVMRealOLT, f, c_f64(cg, -TWO63), "");
    LLVMValueRef in_range = LLVMBuildAnd(b, LLVMBuildFCmp(b, LLVMRealOGE, f, c_f64(cg, -TWO63), ""),
                                         LLVMBuildFCmp(b, LLVMRealOLT, f, c_f64(cg, TWO63), ""), "");
    LLVMValueRef t = fcall1(cg, "llvm.trunc", f);
    LLVMValueRef ti = LLVMBuildFPToSI(b, LLVMBuildSelect(b, in_range, t, z, ""), t_i64(cg), "");
    LLVMValueRef by_int = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, i, ti, ""), m1, p1, "");
    LLVMValueRef frac = LLVMBuildFSub(b, f, t, "");
    LLVMValueRef by_frac = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, frac, z, ""), m1,
                                           LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, frac, z, ""), p1,
                                                           c_i64(cg, 0), ""), "");
    LLVMValueRef c = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntNE, i, ti, ""), by_int, by_frac, "");
    return LLVMBuildSelect(b, big, m1, LLVMBuildSelect(b, tiny, p1, c, ""), "");
}

/* x op y for op in LT LE GT GE EQ NE, as cmp_num and cmp_holds: ints and
   floats by value, an int and a float exactly, NaN unordered. */
static LLVMValueRef compare(CgPrimCtx *cg, PrimId op, Arg x, Arg y)
{
    LLVMBuilderRef b = cg->b;
    if (x.k != T_FLOAT && y.k != T_FLOAT)
        return LLVMBuildICmp(b, int_pred(op), as_int(cg, x), as_int(cg, y), "");
    if (x.k == T_FLOAT && y.k == T_FLOAT)
        return LLVMBuildFCmp(b, float_pred(op), x.v, y.v, "");
    if (x.k == T_FLOAT) {            /* x op y  ==  y swapped(op) x */
        Arg t = x;
        x = y;
        y = t;
        op = swapped(op);
    }
    LLVMValueRef c = cmp_int_float(cg, as_int(cg, x), y.v);
    LLVMValueRef holds = LLVMBuildICmp(b, int_pred(op), c, c_i64(cg, 0), "");
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, y.v, y.v, "");
    return LLVMBuildSelect(b, nan, c_i1(cg, op == P_NE), holds, "");
}

/* Python truthiness of a scalar: non-zero (NaN is true). */
static LLVMValueRef truth(CgPrimCtx *cg, Arg a)
{
    if (a.k == T_BOOL)
        return a.v;
    if (a.k == T_INT)
        return LLVMBuildICmp(cg->b, LLVMIntNE, a.v, c_i64(cg, 0), "");
    return LLVMBuildFCmp(cg->b, LLVMRealUNE, a.v, c_f64(cg, 0.0), "");
}

/* ---- float to int --------------------------------------------------------------------- */

/* floor, ceil or int of a float (round: the intrinsic that rounds it),
   as to_int in prim_eval.c: NaN, infinities and results outside int64
   raise, each with its message. */
static LLVMValueRef float_to_int(CgPrimCtx *cg, LLVMValueRef x, const char *round)
{
    LLVMBuilderRef b = cg->b;
    LLVMValueRef r = fcall1(cg, round, x);
    LLVMValueRef in_range = LLVMBuildAnd(b, LLVMBuildFCmp(b, LLVMRealOGE, r, c_f64(cg, -TWO63), ""),
                                         LLVMBuildFCmp(b, LLVMRealOLT, r, c_f64(cg, TWO63), ""), "");
    LLVMBasicBlockRef ok = begin_error(cg, LLVMBuildNot(b, in_range, ""));
    LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
    LLVMValueRef is_inf = LLVMBuildFCmp(b, LLVMRealOEQ, fcall1(cg, "llvm.fabs", x), c_f64(cg, INFINITY), "");
    LLVMValueRef not_nan = LLVMBuildSelect(b, is_inf, message(cg, MSG_INF), message(cg, MSG_OVERFLOW), "");
    LLVMValueRef msg = LLVMBuildSelect(b, is_nan, message(cg, MSG_NAN), not_nan, "");
    raise_in(cg, msg, ok);
    return LLVMBuildFPToSI(b, r, t_i64(cg), "");
}

/* ---- per primitive -------------------------------------------------------------------- */

/* add, sub, mul: wrapping ints, or doubles. */
static LLVMValueRef emit_arith(CgPrimCtx *cg, PrimId p, const Arg *a, TypeKind *kind)
{
    int op = p == P_ADD ? 0 : p == P_SUB ? 1 : 2;
    if (any_float(a, 2)) {
        static const LLVMOpcode fops[] = {LLVMFAdd, LLVMFSub, LLVMFMul};
        *kind = T_FLOAT;
        return LLVMBuildBinOp(cg->b, fops[op], as_float(cg, a[0]), as_float(cg, a[1]), "");
    }
    static const LLVMOpcode iops[] = {LLVMAdd, LLVMSub, LLVMMul};     /* no nsw: ints wrap */
    *kind = T_INT;
    return LLVMBuildBinOp(cg->b, iops[op], as_int(cg, a[0]), as_int(cg, a[1]), "");
}

static LLVMValueRef emit_divmod(CgPrimCtx *cg, PrimId p, const Arg *a, TypeKind *kind)
{
    if (any_float(a, 2)) {
        LLVMValueRef d, m;
        float_divmod(cg, as_float(cg, a[0]), as_float(cg, a[1]), &d, &m);
        *kind = T_FLOAT;
        return p == P_MOD ? m : d;
    }
    *kind = T_INT;
    return int_divmod(cg, as_int(cg, a[0]), as_int(cg, a[1]), p == P_MOD);
}

/* x ** y: a float when either is one or when inference typed it float
   (int ** int with an exponent that is not a non-negative constant; such
   code passes floats anyway), else int by repeated squaring. */
static LLVMValueRef emit_pow(CgPrimCtx *cg, const Arg *a, TypeKind rk, TypeKind *kind)
{
    if (any_float(a, 2) || rk == T_FLOAT) {
        LLVMValueRef args[2] = {as_float(cg, a[0]), as_float(cg, a[1])};
        *kind = T_FLOAT;
        return call_libm(cg, "pow", args, 2);
    }
    *kind = T_INT;
    LLVMValueRef x = as_int(cg, a[0]), e = as_int(cg, a[1]);
    if (LLVMIsAConstantInt(e))
        return int_pow_const(cg, x, LLVMConstIntGetZExtValue(e));
    return int_pow_loop(cg, x, e);
}

/* neg, pos, abs. */
static LLVMValueRef emit_unary(CgPrimCtx *cg, PrimId p, Arg a, TypeKind *kind)
{
    LLVMBuilderRef b = cg->b;
    if (a.k == T_FLOAT) {
        *kind = T_FLOAT;
        return p == P_NEG ? LLVMBuildFNeg(b, a.v, "") : p == P_ABS ? fcall1(cg, "llvm.fabs", a.v) : a.v;
    }
    *kind = T_INT;
    LLVMValueRef x = as_int(cg, a);
    if (p == P_POS)
        return x;
    LLVMValueRef neg = LLVMBuildNeg(b, x, "");
    if (p == P_NEG)
        return neg;
    return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, x, c_i64(cg, 0), ""), neg, x, "abs");
}

/* min(a, b) is `b if b < a else a`, max(a, b) `b if b > a else a`, the
   comparison exact, the operands widened to the result type. */
static LLVMValueRef emit_minmax(CgPrimCtx *cg, PrimId p, const Arg *a, TypeKind rk)
{
    LLVMValueRef take_b = compare(cg, p == P_MAX ? P_GT : P_LT, a[1], a[0]);
    LLVMValueRef x = widen(cg, a[0].v, a[0].k, rk), y = widen(cg, a[1].v, a[1].k, rk);
    return LLVMBuildSelect(cg->b, take_b, y, x, p == P_MAX ? "max" : "min");
}

/* floor, ceil, int: ints as they are, floats rounded and checked. */
static LLVMValueRef emit_to_int(CgPrimCtx *cg, PrimId p, Arg a)
{
    if (a.k != T_FLOAT)
        return as_int(cg, a);
    const char *round = p == P_FLOOR ? "llvm.floor" : p == P_CEIL ? "llvm.ceil" : "llvm.trunc";
    return float_to_int(cg, a.v, round);
}

/* The float builtins computed by a libm function (is_libm_prim): a libm
   call of the builtin's own name, except sqrt, which is exact (the
   intrinsic is sqrtsd). */
static LLVMValueRef emit_math(CgPrimCtx *cg, PrimId p, const Arg *a, int n)
{
    LLVMValueRef args[2];
    for (int i = 0; i < n; i++)
        args[i] = as_float(cg, a[i]);
    if (p == P_SQRT)
        return fcall1(cg, "llvm.sqrt", args[0]);
    return call_libm(cg, prim_info(p)->name, args, n);
}

/* (start, stop, step) -> step, raising when it is 0. */
static LLVMValueRef emit_range_step(CgPrimCtx *cg, const Arg *a, int n)
{
    LLVMValueRef s = as_int(cg, a[n - 1]);
    raise_if(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, s, c_i64(cg, 0), ""), MSG_RANGE_STEP);
    return s;
}

/* (i, stop, step) -> i < stop if step > 0 else i > stop. */
static LLVMValueRef emit_range_cond(CgPrimCtx *cg, const Arg *a)
{
    LLVMBuilderRef b = cg->b;
    LLVMValueRef i = as_int(cg, a[0]), stop = as_int(cg, a[1]), step = as_int(cg, a[2]);
    return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, step, c_i64(cg, 0), ""),
                           LLVMBuildICmp(b, LLVMIntSLT, i, stop, ""), LLVMBuildICmp(b, LLVMIntSGT, i, stop, ""),
                           "range_cond");
}

/* xlogy(y, a) = y == 0 ? 0.0 : y * log(a); sens_scale(d, k) = d == 0 ? 0.0 : d * k. */
static LLVMValueRef emit_zero_guarded(CgPrimCtx *cg, PrimId p, const Arg *a)
{
    LLVMBuilderRef b = cg->b;
    LLVMValueRef x = as_float(cg, a[0]), y = as_float(cg, a[1]);
    LLVMValueRef factor = p == P_XLOGY ? call_libm(cg, "log", &y, 1) : y;
    LLVMValueRef is_zero = LLVMBuildFCmp(b, LLVMRealOEQ, x, c_f64(cg, 0.0), "");
    /* xlogy(0, y) is 0.0; sens_scale of a zero is that zero, its sign kept
       (so sens_scale(d, 1.0) is d itself: prims.def) */
    LLVMValueRef z = p == P_XLOGY ? c_f64(cg, 0.0) : x;
    return LLVMBuildSelect(b, is_zero, z, LLVMBuildFMul(b, x, factor, ""), prim_info(p)->name);
}

/* ---- entry points ------------------------------------------------------------------------ */

/* The primitives the table computes with a libm function (its libm1 and
   libm2 columns): sin ... erf, atan2, pow, which emit_math lowers; and
   floor, ceil and int, whose libm1 rounds but which have cases of their
   own above (they check the int64 range), so they never get here. */
static bool is_libm_prim(PrimId p)
{
    const PrimInfo *pi = prim_info(p);
    return pi->libm1 || pi->libm2;
}

bool cg_is_scalar_prim(PrimId p)
{
    switch (p) {
    case P_ADD: case P_SUB: case P_MUL: case P_TRUEDIV: case P_FLOORDIV: case P_MOD: case P_POW:
    case P_NEG: case P_POS:
    case P_LT: case P_LE: case P_GT: case P_GE: case P_EQ: case P_NE: case P_NOT: case P_TRUTH:
    case P_ABS: case P_MIN: case P_MAX: case P_FLOOR: case P_CEIL: case P_FLOAT: case P_INT:
    case P_RANGE_STEP: case P_RANGE_COND: case P_XLOGY: case P_SSCALE:
        return true;
    default:
        return is_libm_prim(p);
    }
}

/* p on a, with the kind of the value returned in *kind (before widening). */
static LLVMValueRef emit(CgPrimCtx *cg, PrimId p, const Arg *a, int n, TypeKind rk, TypeKind *kind)
{
    *kind = T_FLOAT;
    switch (p) {
    case P_ADD: case P_SUB: case P_MUL:
        return emit_arith(cg, p, a, kind);
    case P_TRUEDIV:
        if (any_float(a, 2))
            return LLVMBuildFDiv(cg->b, as_float(cg, a[0]), as_float(cg, a[1]), "truediv");
        return int_truediv(cg, as_int(cg, a[0]), as_int(cg, a[1]));
    case P_FLOORDIV: case P_MOD:
        return emit_divmod(cg, p, a, kind);
    case P_POW:
        return emit_pow(cg, a, rk, kind);
    case P_NEG: case P_POS: case P_ABS:
        return emit_unary(cg, p, a[0], kind);
    case P_LT: case P_LE: case P_GT: case P_GE: case P_EQ: case P_NE:
        *kind = T_BOOL;
        return compare(cg, p, a[0], a[1]);
    case P_TRUTH:
        *kind = T_BOOL;
        return truth(cg, a[0]);
    case P_NOT:
        *kind = T_BOOL;
        return LLVMBuildNot(cg->b, truth(cg, a[0]), "not");
    case P_MIN: case P_MAX:
        *kind = rk;
        return emit_minmax(cg, p, a, rk);
    case P_FLOOR: case P_CEIL: case P_INT:
        *kind = T_INT;
        return emit_to_int(cg, p, a[0]);
    case P_FLOAT:
        return as_float(cg, a[0]);
    case P_RANGE_STEP:
        *kind = T_INT;
        return emit_range_step(cg, a, n);
    case P_RANGE_COND:
        *kind = T_BOOL;
        return emit_range_cond(cg, a);
    case P_XLOGY: case P_SSCALE:
        return emit_zero_guarded(cg, p, a);
    default:
        return emit_math(cg, p, a, n);
    }
}

LLVMValueRef cg_scalar_prim(CgPrimCtx *cg, PrimId p, LLVMValueRef *args, Type *const *argtypes, int n, Type *rtype)
{
    const PrimInfo *pi = prim_info(p);
    if (!cg_is_scalar_prim(p))
        die("codegen: %s is not a scalar primitive", pi->name);
    if (n != pi->arity || n > 3)
        die("codegen: %s takes %d arguments, not %d", pi->name, pi->arity, n);
    if (!type_is_scalar(rtype))
        die("codegen: %s with a non-scalar result", pi->name);
    Arg a[3];
    for (int i = 0; i < n; i++) {
        if (!type_is_scalar(argtypes[i]) || LLVMTypeOf(args[i]) != llvm_type(cg, argtypes[i]->kind))
            die("codegen: argument %d of %s does not match its type", i, pi->name);
        a[i].v = args[i];
        a[i].k = argtypes[i]->kind;
    }
    TypeKind kind;
    LLVMValueRef v = emit(cg, p, a, n, rtype->kind, &kind);
    return widen(cg, v, kind, rtype->kind);
}
