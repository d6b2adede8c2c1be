/*
 * codegen.h: the LLVM code generator (src/backend/codegen.c), inside the backend:
 * only backend.c calls it (backend.h is the backend's interface).
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

/* The target machine for generic x86-64 (or the host CPU when native),
   position-independent; NULL with a message in err on failure. */
LLVMTargetMachineRef codegen_target(bool native, int opt_level, StrBuf *err);

/* Builds the LLVM module for m in ctx: the exported wrappers, and when
   run_entry is set, `void myc_run(const uint64_t *args, uint64_t *results)`
   calling it with arguments and results flattened one 8-byte slot per
   scalar (codegen_run_slots), after calling the graphs run_first (the
   top-level constants, as a module load would).  Returns NULL with a message in err when
   LLVM rejects the module (a bug in myc). */
LLVMModuleRef codegen_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, Module *m, const CgExport *ex,
                             int nex, Graph *run_entry, Graph *const *run_first, int nfirst, const char *name,
                             StrBuf *err);

/* Runs LLVM's optimisation pipeline for -O<level> (new pass manager). */
int codegen_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, StrBuf *err);

/* Writes the module to path: the whole file or nothing. */
int codegen_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, EmitKind kind, const char *path, StrBuf *err);

/* Number of 8-byte slots a value of type t takes in myc_run's buffers. */
int codegen_run_slots(const Type *t);

#endif
