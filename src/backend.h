/*
 * backend.h: native code from the IR -- the whole interface of the backend
 * (src/backend/), which is the only code of the compiler that sees LLVM:
 * nothing else includes the folder's headers or an LLVM header (the
 * backend's own unit tests do).
 *
 * Assumes a closure-converted module (passes/closure.h) that passed the
 * typed IR checker.  Two calls: compile the module to a file of a kind
 * (`myc -c`, `-S`), or compile an entry point for the host and run it once
 * (`myc run`).  Neither changes the module.  Failures of LLVM (bugs in
 * myc) and of the file system are messages in err, never printed.
 */
#ifndef MYC_BACKEND_H
#define MYC_BACKEND_H

#include <stdint.h>

#include "../ir/ir.h"
#include "cabi.h"

/* The export kinds (ExportKind, cabi.h) as the wrappers take them:
     EXPORT_FUNC  NAME: the graph under its C signature
     EXPORT_GRAD  NAME_grad: graph = the grad entry (flat float and int/bool
                  leaves -> (value, (d leaf...))), primal = NAME's graph
     EXPORT_VJP   NAME_vjp: graph = the vjp entry (leaves, cotangents ->
                  (y, (d leaf...))), primal = NAME's graph
     EXPORT_JVP   NAME_jvp: graph = the jvp entry (leaves, tangents ->
                  (y, tangent of y)), primal = NAME's graph
   (passes/export.h builds the entries). */
typedef struct CgExport {
    ExportKind kind;
    Graph *graph;
    Graph *primal;          /* NAME itself, for its derivatives (called when every derivative pointer is NULL) */
    CSignature sig;         /* the C signature (cabi.h) */
} CgExport;

typedef enum EmitKind { EMIT_OBJECT, EMIT_ASM, EMIT_LLVM, EMIT_BITCODE } EmitKind;

/* What the backend's steps took (-ftime-report): wall seconds and the
   LLVM instructions in the module after each. */
typedef struct BackendStats {
    double lower_seconds;   /* the IR to LLVM IR (and LLVM's verifier) */
    double passes_seconds;  /* LLVM's optimisation pipeline */
    double emit_seconds;    /* machine code and the output file; for a run, the JIT and the run */
    long lowered_insts, optimised_insts;
} BackendStats;

typedef struct BackendOptions {
    int opt_level;          /* -O0 .. -O3 */
    bool native;            /* -march=native (files; the JIT always targets the host) */
    const char *name;       /* the source file's name, for the module */
    bool debug;             /* -g: DWARF debug information (line tables, function names) */
    BackendStats *stats;    /* filled when not NULL */
} BackendOptions;

/* Compiles m with its C ABI exports to path, written whole or not at all.
   Returns 0, or -1 with a message in err; *internal says whether the
   failure is myc's (LLVM rejected the module) rather than the output
   file's. */
int backend_compile_file(Module *m, const CgExport *ex, int nex, const BackendOptions *o, EmitKind kind,
                         const char *path, bool *internal, StrBuf *err);

typedef enum RunStatus {
    RUN_OK,
    RUN_RAISED,             /* the program raised a runtime error: in err, its message, after
                               "FILE:LINE:COL: " when it has a location (FILE: o->name) */
    RUN_FAILED,             /* myc failed to compile or link it (a bug): the message in err */
} RunStatus;

/* Number of 8-byte slots a value of type t takes in backend_run's buffers:
   one per scalar leaf, depth-first. */
int backend_run_slots(const Type *t);

/* myc run: compiles m for the host, calls the graphs first[0..nfirst-1]
   (the top-level constants, as a module load would), then entry on args
   (its parameters flattened, backend_run_slots each) and writes its result
   to results.  One call at a time per thread. */
RunStatus backend_run(Module *m, Graph *entry, Graph *const *first, int nfirst, const BackendOptions *o,
                      const uint64_t *args, uint64_t *results, StrBuf *err);

/* LLVM's version ("14.0.6") and the triple code is generated for (LLVM's
   default target: the host's), for --version and -v. */
void backend_describe(StrBuf *llvm_version, StrBuf *triple);

#endif
