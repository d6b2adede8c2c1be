/*
 * backend.c: the backend's two entry points (backend.h), over the LLVM code
 * generator (codegen.h) and the JIT (jit.h).
 *
 * Each call owns what it creates (context, target machine, module, JIT)
 * and frees it before returning.  A runtime error raised while backend_run
 * runs native code unwinds to it (the runtime has released the call's
 * memory before calling the handler).
 */
#include "../backend.h"

#include <setjmp.h>
#include <stdio.h>

#include "../../runtime/myrt.h"
#include "codegen.h"
#include "jit.h"
#include "../util/timer.h"

#include <llvm/Config/llvm-config.h>

int backend_run_slots(const Type *t) { return codegen_run_slots(t); }

void backend_describe(StrBuf *llvm_version, StrBuf *triple)
{
    sb_puts(llvm_version, LLVM_VERSION_STRING);
    char *t = LLVMGetDefaultTargetTriple();
    sb_puts(triple, t);
    LLVMDisposeMessage(t);
}

/* The LLVM instructions in mod (-ftime-report). */
static long count_insts(LLVMModuleRef mod)
{
    long n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
                n++;
    return n;
}

/* Lowers m to LLVM IR and optimises it, timing both into o->stats. */
static LLVMModuleRef build_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, Module *m, const CgExport *ex,
                                  int nex, Graph *entry, Graph *const *first, int nfirst,
                                  const BackendOptions *o, StrBuf *err)
{
    BackendStats *st = o->stats;
    double t0 = timer_now();
    LLVMModuleRef mod = codegen_module(ctx, tm, m, ex, nex, entry, first, nfirst, o, err);
    double t1 = timer_now();
    if (st) {
        st->lower_seconds += t1 - t0;
        st->lowered_insts = mod ? count_insts(mod) : 0;
    }
    t1 = timer_now();
    if (mod && codegen_optimize(mod, tm, o->opt_level, err) != 0) {
        LLVMDisposeModule(mod);
        mod = NULL;
    }
    if (st) {
        st->passes_seconds += timer_now() - t1;
        st->optimised_insts = mod ? count_insts(mod) : 0;
    }
    return mod;
}

int backend_compile_file(Module *m, const CgExport *ex, int nex, const BackendOptions *o, EmitKind kind,
                         const char *path, bool *internal, StrBuf *err)
{
    *internal = true;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = codegen_target(o->native, o->opt_level, err);
    LLVMModuleRef mod = tm ? build_module(ctx, tm, m, ex, nex, NULL, NULL, 0, o, err) : NULL;
    int rc = -1;
    if (mod) {
        *internal = false;
        double t0 = timer_now();
        rc = codegen_emit(mod, tm, kind, path, err);
        if (o->stats)
            o->stats->emit_seconds += timer_now() - t0;
        LLVMDisposeModule(mod);
    }
    if (tm)
        LLVMDisposeTargetMachine(tm);
    LLVMContextDispose(ctx);
    return rc;
}

/* The runtime's error handler while native code runs: keep the message,
   prefixed by its location ("prog.my:3:14: "), and unwind to
   backend_run. */
static _Thread_local jmp_buf *run_unwind;
static _Thread_local StrBuf *run_error;

static _Noreturn void run_error_handler(const char *message, const char *file, int line, int col)
{
    if (file)
        sb_printf(run_error, "%s:%d:%d: ", file, line, col);
    sb_puts(run_error, message);
    longjmp(*run_unwind, 1);
}

RunStatus backend_run(Module *m, Graph *entry, Graph *const *first, int nfirst, const BackendOptions *o,
                      const uint64_t *args, uint64_t *results, StrBuf *err)
{
    /* the JIT generates code for the host at the -O level asked for */
    LLVMTargetMachineRef jtm = codegen_target(true, o->opt_level, err);
    Jit *jit = jtm ? jit_new(jtm, err) : NULL;
    LLVMTargetMachineRef tm = jit ? codegen_target(true, o->opt_level, err) : NULL;
    LLVMModuleRef mod = NULL;
    if (tm)
        mod = build_module(jit_context(jit), tm, m, NULL, 0, entry, first, nfirst, o, err);
    double t_run = timer_now();
    volatile RunStatus status = RUN_FAILED;
    if (mod) {
        jmp_buf unwind;
        StrBuf rterr = {0};
        run_unwind = &unwind;
        run_error = &rterr;
        myrt_error_handler_at prev = myrt_set_error_handler_at(run_error_handler);
        if (setjmp(unwind) == 0) {
            status = jit_run(jit, mod, "myc_run", args, results, err) == 0 ? RUN_OK : RUN_FAILED;
        } else {
            sb_puts(err, sb_cstr(&rterr));
            status = RUN_RAISED;
        }
        myrt_set_error_handler_at(prev);
        run_unwind = NULL;
        run_error = NULL;
        sb_free(&rterr);
    }
    if (o->stats)
        o->stats->emit_seconds += timer_now() - t_run;
    if (tm)
        LLVMDisposeTargetMachine(tm);
    jit_free(jit);
    return status;
}
