/*
 * jit.h: the JIT behind `myc run`: LLVM's ORC LLJIT (LLVM-C API), compiling
 * for the host.
 *
 * Internal to the backend: its types are LLVM's, so only the backend's own
 * files (backend.c, which runs `myc run` through it) and its unit test
 * (tests/unit/test_jit.c) include this header.  The rest of myc runs code
 * through backend_run (src/backend.h), which takes IR, not LLVM modules.
 *
 * Assumes: modules given to jit_run were built in jit_context(j) and are
 * well formed (the caller verifies them); the code in them calls only
 * functions of the running process (libm, libc) and the runtime's myrt_*
 * functions (runtime/myrt.h), which are linked into the program that uses
 * this file (build/myc links the runtime objects for that reason).
 *
 * Guarantees: myrt_* symbols resolve to the runtime linked into this
 * program, by address (no -rdynamic needed); a myrt_* name the runtime does
 * not define is a link error, never some other library's symbol.  Every
 * other symbol resolves through the process (dlsym).  LLVM's native target
 * is initialised once per process (thread-safely).  A Jit is used by one
 * thread at a time; code is compiled on the calling thread.  Failures are
 * reported in err as "JIT: ..." (no "myc: error:" prefix), never printed.
 */
#ifndef MYC_JIT_H
#define MYC_JIT_H

#include <stdint.h>

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "../util/common.h"

typedef struct Jit Jit;

/* A JIT for the host, or NULL with a message in err.  tm, when given, is
   the target machine to generate code with (its CPU and code-generation
   optimisation level; the JIT takes it over); NULL: the host's defaults. */
Jit *jit_new(LLVMTargetMachineRef tm, StrBuf *err);

/* The context modules for this JIT must be built in (its thread-safe
   context's); valid until jit_free. */
LLVMContextRef jit_context(Jit *j);

/* Takes ownership of m (even on failure), adds it to the JIT, looks up
   `entry` and calls it as void entry(const uint64_t *args, uint64_t
   *results).  Returns 0, or -1 with a message in err (a lookup or link
   failure; the Jit stays usable).  Every module added to one Jit shares one
   symbol namespace: a name defined by an earlier module cannot be defined
   again. */
int jit_run(Jit *j, LLVMModuleRef m, const char *entry, const uint64_t *args, uint64_t *results,
            StrBuf *err);

/* Frees the JIT, its code and its context (NULL is allowed). */
void jit_free(Jit *j);

#endif
