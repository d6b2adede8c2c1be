/*
 * jit.c: `myc run`'s JIT (see jit.h): an ORC LLJIT for the host whose main
 * JITDylib resolves myrt_* to the runtime linked into this program
 * (absolute symbols) and everything else through the process.
 *
 * Assumes: LLVM 14's C API (llvm-c/LLJIT.h, llvm-c/Orc.h).
 * Guarantees: the only process-wide state is the once-only native target
 * initialisation (a pthread_once flag and its result); everything else
 * lives in the Jit.  LLVM errors are always consumed (turned into text in
 * err), so none is leaked or left unchecked.
 */
#include "jit.h"

#include <pthread.h>
#include <string.h>

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>

#include "../../runtime/myrt.h"

struct Jit {
    LLVMOrcLLJITRef lljit;
    LLVMOrcThreadSafeContextRef tsc;
    char global_prefix;         /* of mangled names on this target ('\0' on ELF) */
    StrBuf session_errors;      /* what the execution session reported on its own */
};

/* ---- once per process --------------------------------------------------- */

static pthread_once_t native_once = PTHREAD_ONCE_INIT;
static int native_status;       /* written once, under native_once */

static void init_native(void)
{
    native_status = LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter();
}

/* ---- errors ------------------------------------------------------------------ */

/* Consumes e; when it is an error, appends "JIT: what: message" to err and
   returns -1. */
static int take_error(LLVMErrorRef e, const char *what, StrBuf *err)
{
    if (!e)
        return 0;
    char *msg = LLVMGetErrorMessage(e);
    sb_printf(err, "JIT: %s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return -1;
}

/* Errors the session cannot return to a caller (a symbol missing while
   linking, typically); jit_run adds them to its own message. */
static void report_session_error(void *ctx, LLVMErrorRef e)
{
    Jit *j = ctx;
    char *msg = LLVMGetErrorMessage(e);
    if (j->session_errors.len)
        sb_puts(&j->session_errors, "; ");
    sb_puts(&j->session_errors, msg);
    LLVMDisposeErrorMessage(msg);
}

/* ---- symbols ------------------------------------------------------------------- */

static bool is_runtime_name(const char *mangled, char global_prefix)
{
    if (global_prefix && mangled[0] == global_prefix)
        mangled++;
    return strncmp(mangled, "myrt_", 5) == 0;
}

/* The process generator's filter: myrt_* names are never looked up in the
   process (the runtime defines them absolutely, or they do not exist). */
static int process_symbol_filter(void *ctx, LLVMOrcSymbolStringPoolEntryRef sym)
{
    const Jit *j = ctx;
    return !is_runtime_name(LLVMOrcSymbolStringPoolEntryStr(sym), j->global_prefix);
}

static int add_process_symbols(Jit *j, StrBuf *err)
{
    LLVMOrcDefinitionGeneratorRef gen;
    LLVMErrorRef e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
        &gen, j->global_prefix, process_symbol_filter, j);
    if (take_error(e, "cannot search the process for symbols", err))
        return -1;
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j->lljit), gen);
    return 0;
}

typedef struct RuntimeSymbol {
    const char *name;
    uintptr_t addr;
} RuntimeSymbol;

#define RUNTIME_SYMBOL(f) {#f, (uintptr_t)&f}

/* Defines every runtime function generated code may call, at the address
   it has in this program. */
static int add_runtime_symbols(Jit *j, StrBuf *err)
{
    const RuntimeSymbol syms[] = {
        RUNTIME_SYMBOL(myrt_set_error_handler),
        RUNTIME_SYMBOL(myrt_runtime_error),
        RUNTIME_SYMBOL(myrt_runtime_error_at),
        RUNTIME_SYMBOL(myrt_set_error_handler_at),
        RUNTIME_SYMBOL(myrt_arena_enter),
        RUNTIME_SYMBOL(myrt_arena_leave),
        RUNTIME_SYMBOL(myrt_alloc),
        RUNTIME_SYMBOL(myrt_frame_push),
        RUNTIME_SYMBOL(myrt_frame_pop),
        RUNTIME_SYMBOL(myrt_env_set),
        RUNTIME_SYMBOL(myrt_env_get),
        RUNTIME_SYMBOL(myrt_env_add),
        RUNTIME_SYMBOL(myrt_last_stats),
        RUNTIME_SYMBOL(myrt_list_alloc),
        RUNTIME_SYMBOL(myrt_list_grow),
        RUNTIME_SYMBOL(myrt_list_out),
        RUNTIME_SYMBOL(myrt_list_release),
    };
    enum { N = sizeof syms / sizeof *syms };
    LLVMJITCSymbolMapPair pairs[N];
    for (size_t i = 0; i < N; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(j->lljit, syms[i].name);
        pairs[i].Sym.Address = (LLVMOrcExecutorAddress)syms[i].addr;
        pairs[i].Sym.Flags.GenericFlags =
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    /* Takes over the pool entries of pairs. */
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, N);
    LLVMErrorRef e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(j->lljit), mu);
    if (e)
        LLVMOrcDisposeMaterializationUnit(mu);
    return take_error(e, "cannot define the runtime's symbols", err);
}

/* ---- the JIT ----------------------------------------------------------------------- */

static LLVMOrcLLJITRef create_lljit(LLVMTargetMachineRef tm, StrBuf *err)
{
    LLVMOrcJITTargetMachineBuilderRef jtmb;
    if (tm)
        jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);     /* takes tm */
    else if (take_error(LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb), "cannot detect the host", err))
        return NULL;
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);    /* takes jtmb */
    LLVMOrcLLJITRef lljit = NULL;
    if (take_error(LLVMOrcCreateLLJIT(&lljit, builder), "cannot create the JIT", err))  /* takes builder */
        return NULL;
    return lljit;
}

Jit *jit_new(LLVMTargetMachineRef tm, StrBuf *err)
{
    pthread_once(&native_once, init_native);
    if (native_status) {
        sb_puts(err, "JIT: LLVM has no native target for this host");
        if (tm)
            LLVMDisposeTargetMachine(tm);
        return NULL;
    }
    LLVMOrcLLJITRef lljit = create_lljit(tm, err);
    if (!lljit)
        return NULL;
    Jit *j = xcalloc(1, sizeof *j);
    j->lljit = lljit;
    j->global_prefix = LLVMOrcLLJITGetGlobalPrefix(lljit);
    LLVMOrcExecutionSessionSetErrorReporter(LLVMOrcLLJITGetExecutionSession(lljit),
                                            report_session_error, j);
    if (add_runtime_symbols(j, err) || add_process_symbols(j, err)) {
        jit_free(j);
        return NULL;
    }
    j->tsc = LLVMOrcCreateNewThreadSafeContext();
    return j;
}

LLVMContextRef jit_context(Jit *j)
{
    return LLVMOrcThreadSafeContextGetContext(j->tsc);
}

typedef void (*EntryFn)(const uint64_t *args, uint64_t *results);

/* The address of entry, compiling and linking what it needs; 0 with a
   message in err when that fails. */
static LLVMOrcExecutorAddress lookup_entry(Jit *j, const char *entry, StrBuf *err)
{
    j->session_errors.len = 0;
    LLVMOrcExecutorAddress addr = 0;
    LLVMErrorRef e = LLVMOrcLLJITLookup(j->lljit, &addr, entry);
    if (!e && addr)
        return addr;
    char *msg = e ? LLVMGetErrorMessage(e) : NULL;
    sb_printf(err, "JIT: cannot link '%s': %s", entry, msg ? msg : "address 0");
    if (msg)
        LLVMDisposeErrorMessage(msg);
    if (j->session_errors.len)
        sb_printf(err, " (%s)", sb_cstr(&j->session_errors));
    return 0;
}

int jit_run(Jit *j, LLVMModuleRef m, const char *entry, const uint64_t *args, uint64_t *results,
            StrBuf *err)
{
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(m, j->tsc);
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModule(j->lljit, LLVMOrcLLJITGetMainJITDylib(j->lljit),
                                                 tsm);  /* takes tsm, even on failure */
    if (take_error(e, "cannot add the module", err))
        return -1;
    LLVMOrcExecutorAddress addr = lookup_entry(j, entry, err);
    if (!addr)
        return -1;
    EntryFn fn = (EntryFn)(uintptr_t)addr;
    fn(args, results);
    return 0;
}

void jit_free(Jit *j)
{
    if (!j)
        return;
    if (j->lljit) {
        LLVMErrorRef e = LLVMOrcDisposeLLJIT(j->lljit);
        if (e)
            LLVMConsumeError(e);
    }
    if (j->tsc)
        LLVMOrcDisposeThreadSafeContext(j->tsc);
    sb_free(&j->session_errors);
    free(j);
}
