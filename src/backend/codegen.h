/*
 * codegen.h: the LLVM code generator, inside the backend: what backend.c
 * calls (backend.h is the backend's interface; cg.h is the code
 * generator's own shared state, which backend.c does not see).
 *
 * The code generator's files, each a concern (headers say what each
 * assumes and guarantees):
 *   module.c    codegen_module: the order of the work
 *   classify.c  units, blocks, groups, recursive components (no LLVM)
 *   values.c    myc values as LLVM values; conversions
 *   sens.c      sensitivity arithmetic and envs
 *   emit.c      graphs, calls, structural primitives
 *   machine.c   recursive components on the heap stack
 *   outline.c   long straight-line runs as functions of their own
 *   lists.c     the list primitives, == on lists, list conversions
 *   scalar.c    the scalar primitives, bit for bit as the interpreter
 *   runtime.c   the runtime's declarations and inline fast paths
 *   abi.c       C ABI wrappers, myc_run
 *   target.c    target machine, LLVM's pipeline, arena elision, output
 *
 * Assumes a closure-converted module (passes/closure.h): every graph top
 * level, typed, free variables as trailing parameters, closures built by
 * make_closure.  Produces an LLVM module in which
 *
 *   - every function value is { i32 tag, i8* env }: tag indexes the
 *     functions of its type, env points to the record of the closure's
 *     free variables (allocated from the call's runtime arena), so a call
 *     through a value is a switch over the few functions it may be;
 *   - a graph entered only by jumps from one function (the blocks of a
 *     function: if/else arms, loop headers and bodies) is a basic block of
 *     that function with its parameters as phis, so loops are loops at every
 *     -O level;
 *   - functions that call each other recursively (a recursive source
 *     function, the forward and backward passes of a differentiated loop)
 *     run together in one "machine" function whose calls push frames on
 *     the arena's heap stack (myrt_frame_push) instead of the C stack, so
 *     recursion of any depth, the reverse pass of a 10^7-iteration loop
 *     included, runs in constant C stack;
 *   - a list is { i8* data, i64 len, i64 cap } by value, its items
 *     contiguous in a buffer from the call's arena (lists.c, cg.h);
 *   - a graph with thousands of scalar primitives (a long straight-line
 *     function, its gradient) has its runs of them outlined into
 *     functions of about 512 nodes that pass values through a stack frame,
 *     so LLVM's compile time stays linear in the program's size;
 *   - exported functions get C ABI wrappers (contract section 3) that set
 *     up and release a runtime arena per call.
 *
 * Guarantees: the module passes LLVMVerifyModule; floating-point code is
 * never reassociated (no fast-math flags).
 */
#ifndef MYC_CODEGEN_H
#define MYC_CODEGEN_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "../../ir/ir.h"
#include "../backend.h"

/* ---- module.c, abi.c ----------------------------------------------------- */

/* Builds the LLVM module for m in ctx: the exported wrappers, and when
   run_entry is set, `void myc_run(const uint64_t *args, uint64_t *results)`
   calling it with arguments and results flattened one 8-byte slot per
   scalar (codegen_run_slots), after calling the graphs run_first (the
   top-level constants, as a module load would).  The module is named
   after o->name, with debug information when o->debug.  Every function
   defined has unwind tables (uwtable).  Returns NULL with a message in err
   when LLVM rejects the module (a bug in myc). */
LLVMModuleRef codegen_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, Module *m, const CgExport *ex,
                             int nex, Graph *run_entry, Graph *const *run_first, int nfirst,
                             const BackendOptions *o, StrBuf *err);

/* abi.c: the number of 8-byte slots a value of type t takes in myc_run's
   buffers (one per scalar leaf, depth-first). */
int codegen_run_slots(const Type *t);

/* ---- target.c ------------------------------------------------------------ */

/* The target machine for generic x86-64 (or the host CPU when native),
   position-independent; NULL with a message in err on failure. */
LLVMTargetMachineRef codegen_target(bool native, int opt_level, StrBuf *err);

/* Runs LLVM's optimisation pipeline for -O<level> (new pass manager), then
   at -O1 and above drops the arenas of exported functions whose optimised
   code needs none. */
int codegen_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, StrBuf *err);

/* Writes the module to path: the whole file or nothing. */
int codegen_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, EmitKind kind, const char *path, StrBuf *err);

#endif
