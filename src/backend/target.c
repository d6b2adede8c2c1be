/*
 * target.c: the target machine, LLVM's optimisation pipeline and the
 * output of a module (object, assembly, LLVM IR or bitcode).
 *
 * Assumes a module that passed LLVMVerifyModule (codegen_module).
 * Guarantees: objects are position-independent, for generic x86-64 unless
 * native; the pipeline is LLVM's default<On> (new pass manager), no
 * fast-math anywhere, followed at -O1 and above by the elision of arenas
 * that optimised code turned out not to need; output files are written
 * whole or not at all (src/util/file.h).
 */
#include "codegen.h"

#include <stdio.h>
#include <string.h>

#include <llvm-c/BitWriter.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "../util/file.h"

typedef VEC(LLVMValueRef) ValVec;

/* ---- the target machine -------------------------------------------------- */

LLVMTargetMachineRef codegen_target(bool native, int opt_level, StrBuf *err)
{
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeX86AsmParser();
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        sb_printf(err, "no LLVM target for '%s': %s", triple, msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    char *cpu = native ? LLVMGetHostCPUName() : NULL;
    char *features = native ? LLVMGetHostCPUFeatures() : NULL;
    LLVMCodeGenOptLevel lvl = opt_level <= 0 ? LLVMCodeGenLevelNone
                              : opt_level == 1 ? LLVMCodeGenLevelLess
                              : opt_level == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, native ? cpu : "x86-64",
                                                      native ? features : "", lvl, LLVMRelocPIC,
                                                      LLVMCodeModelDefault);
    LLVMDisposeMessage(triple);
    if (cpu)
        LLVMDisposeMessage(cpu);
    if (features)
        LLVMDisposeMessage(features);
    if (!tm)
        sb_puts(err, "cannot create the LLVM target machine");
    return tm;
}

/* ---- arena elision ------------------------------------------------------- */

/* Whether fn, once optimised, can do without its arena: every call it
   makes is one of enter (myrt_arena_enter) and leave, collected in calls,
   an intrinsic, or a declared function that is not the runtime's (libm).
   Such code allocates nothing, pushes no frame and reports no runtime
   error (which leaves the innermost arena), so the arena's only users are
   its enter and leave. */
static bool arena_unused(LLVMValueRef fn, LLVMValueRef enter, LLVMValueRef leave, ValVec *calls)
{
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (!LLVMIsACallInst(i) && !LLVMIsAInvokeInst(i))
                continue;
            LLVMValueRef f = LLVMGetCalledValue(i);
            if (f && (f == enter || f == leave) && LLVMIsACallInst(i)) {
                vec_push(calls, i);
                continue;
            }
            if (!f || !LLVMIsAFunction(f) || !LLVMIsDeclaration(f))
                return false;   /* code of ours, or a call through a pointer */
            size_t n;
            const char *name = LLVMGetValueName2(f, &n);
            if (LLVMGetIntrinsicID(f) == 0 && n >= 5 && memcmp(name, "myrt_", 5) == 0)
                return false;
        }
    return calls->len > 0;
}

/* Deletes v if nothing uses it, then the instructions that computed its
   operands and are left unused (the alloca and casts behind an arena). */
static void erase_if_unused(LLVMValueRef v)
{
    while (v && LLVMIsAInstruction(v) && !LLVMGetFirstUse(v)) {
        LLVMValueRef op = LLVMIsAGetElementPtrInst(v) || LLVMIsABitCastInst(v) ? LLVMGetOperand(v, 0) : NULL;
        LLVMInstructionEraseFromParent(v);
        v = op;
    }
}

/* After optimisation: the exported functions whose code, inlined, turned
   out to need no arena (arena_unused) stop entering one.  A scalar
   function called from C then costs what its arithmetic costs. */
static void elide_unused_arenas(LLVMModuleRef mod)
{
    LLVMValueRef enter = LLVMGetNamedFunction(mod, "myrt_arena_enter");
    LLVMValueRef leave = LLVMGetNamedFunction(mod, "myrt_arena_leave");
    if (!enter || !leave)
        return;
    ValVec calls = {0};
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        calls.len = 0;
        if (LLVMIsDeclaration(fn) || !arena_unused(fn, enter, leave, &calls))
            continue;
        for (int k = 0; k < calls.len; k++) {
            LLVMValueRef arena = LLVMGetOperand(calls.data[k], 0);
            LLVMInstructionEraseFromParent(calls.data[k]);
            erase_if_unused(arena);
        }
    }
    vec_free(&calls);
}

/* ---- the pipeline and the output ----------------------------------------- */

int codegen_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, StrBuf *err)
{
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", level < 0 ? 0 : level > 3 ? 3 : level);
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (e) {
        char *msg = LLVMGetErrorMessage(e);
        sb_printf(err, "LLVM optimisation failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return -1;
    }
    if (level > 0)
        elide_unused_arenas(mod);
    return 0;
}

int codegen_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, EmitKind kind, const char *path, StrBuf *err)
{
    if (kind == EMIT_BITCODE) {
        LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(mod);
        int rc = file_write_whole(path, LLVMGetBufferStart(bc), LLVMGetBufferSize(bc), err);
        LLVMDisposeMemoryBuffer(bc);
        return rc;
    }
    if (kind == EMIT_LLVM) {
        char *s = LLVMPrintModuleToString(mod);
        int rc = file_write_whole(path, s, strlen(s), err);
        LLVMDisposeMessage(s);
        return rc;
    }
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, kind == EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &msg,
                                            &buf)) {
        sb_printf(err, "LLVM code generation failed: %s", msg ? msg : "");
        LLVMDisposeMessage(msg);
        return -1;
    }
    int rc = file_write_whole(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), err);
    LLVMDisposeMemoryBuffer(buf);
    return rc;
}
