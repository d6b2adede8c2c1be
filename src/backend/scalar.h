/*
 * scalar.h: LLVM IR for the primitives whose arguments and result are
 * scalars (bool, int, float), for the rest of the code generator (emit.c,
 * values.c, outline.c) and its unit test (tests/unit/test_codegen_prims.c).
 *
 * Assumes: the caller passes the myc types inference gave the arguments
 * and the result (bool -> i1, int -> i64, float -> double) and a builder
 * positioned in a function of cg->mod.
 *
 * Guarantees: the code computes bit for bit what the reference
 * interpreter's evaluator (ir/prim_eval.c) computes for the same operand
 * values (NaN payloads aside), and raises the same runtime errors with the
 * same messages, through myrt_runtime_error_at (runtime/myrt.h).  It never
 * relies on undefined or poison behaviour (INT64_MIN // -1 wraps, no
 * fptosi out of range), uses no fast-math flags, and calls libm by name
 * with `nobuiltin` so that LLVM cannot replace a call by a different
 * rounding of it (pow(x, 0.5) by sqrt(x), pow(2.0, x) by exp2(x): glibc's
 * pow is not correctly rounded, so those rewrites change results).
 *
 * What it adds to the module (names the rest of the backend must not
 * reuse with other types):
 *   - libm declarations `double NAME(double[, double])` for sin ... erf,
 *     atan2, pow, log: nounwind readnone willreturn nofree nosync nobuiltin
 *     (and `nobuiltin` on each call site); the module must be linked with -lm.
 *   - `void myrt_runtime_error_at(i8*, i8*)` (message, location record),
 *     or `void myrt_runtime_error(i8*)` for a primitive with no location:
 *     noreturn cold (not nounwind: the handler may throw a C++ exception
 *     through generated code).
 *   - private constant strings `myc.msg.*`, one per runtime error message;
 *     `myc.srcfile`, the module's source file name (LLVMGetSourceFileName,
 *     which the backend sets to the .my file's name as given to myc); and
 *     per source location that may raise, `myc.loc.LINE.COL`, the record
 *     { i8* file, i32 line, i32 col } (myrt_source_loc) of it.
 *   - the internal function `myc.int_truediv` (int / int, correctly
 *     rounded as CPython does), when int / int is emitted.
 *   - LLVM intrinsics llvm.{sqrt,floor,ceil,trunc,fabs,copysign}.f64 and
 *     llvm.ctlz.i64 (exact operations only).
 */
#ifndef MYC_SCALAR_H
#define MYC_SCALAR_H

#include <llvm-c/Core.h>

#include "../../ir/prims.h"
#include "../../ir/types.h"

typedef struct CgPrimCtx {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;      /* positioned in the current function; blocks may be added to that function */
    Loc loc;               /* the primitive's place in the source, which its runtime errors report
                              (line 0: none; they report no location) */
} CgPrimCtx;

/* True when cg_scalar_prim handles primitive p (for SSCALE: when both
   arguments are scalars, not symbolic zeros). */
bool cg_is_scalar_prim(PrimId p);

/* Emits p(args) where args[i] has myc type argtypes[i] (T_BOOL -> i1,
   T_INT -> i64, T_FLOAT -> double) and the result has myc type rtype (same
   mapping); returns the result value.  Leaves the builder positioned where
   the caller continues (a new block when p may raise a runtime error).
   A combination of types inference never produces (a float where an int
   is required, a result type narrower than the natural one) is an
   internal error (die). */
LLVMValueRef cg_scalar_prim(CgPrimCtx *cg, PrimId p, LLVMValueRef *args, Type *const *argtypes, int n,
                            Type *rtype);

/* Reports the runtime error msg (an i8*) at cg->loc -- a call of
   myrt_runtime_error_at with the location's record, or of
   myrt_runtime_error when cg->loc has no line -- then `unreachable`; the
   builder is left after it, at the end of its block (the caller moves
   it). */
void cg_raise(CgPrimCtx *cg, LLVMValueRef msg);

#endif
