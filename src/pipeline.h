/*
 * pipeline.h: the stages of myc, declared once, and the one function that
 * runs them (src/pipeline.c).
 *
 *   parse     grammar/ (flex, bison) then passes/lower.c: the untyped graph IR
 *   infer     passes/infer.c + specialise.c: typed and specialised for the
 *             entries; inference asks passes/grad.c for each J / Jfwd
 *             transform it meets, so the differentiation operators are
 *             expanded here too
 *   grad      passes/grad.c's check that no operator is left unexpanded
 *   opt       passes/opt*.c: the optimiser
 *   closure   passes/closure.c: closure conversion
 *   codegen   src/backend.h: an object, assembly or LLVM file, or a JIT run
 *
 * The driver (src/driver.c: the command line), the unit tests' fixtures
 * and anything else that compiles a program go through pipeline_run.
 */
#ifndef MYC_PIPELINE_H
#define MYC_PIPELINE_H

#include "../grammar/ast.h"
#include "../passes/infer.h"
#include "backend.h"
#include "util/diag.h"

/* Every stage: its enum suffix, its name (--dump-ir=NAME, --verify-ir's
   messages), and what its IR is (--help); the last is not an IR stage. */
#define MYC_STAGES(X) \
    X(PARSE,   "parse",   "as lowered, untyped") \
    X(INFER,   "infer",   "typed, specialised for the exported signatures") \
    X(GRAD,    "grad",    "differentiation operators expanded") \
    X(OPT,     "opt",     "after the optimiser: inlined, folded, dead code gone") \
    X(CLOSURE, "closure", "closure-converted") \
    X(INPLACE, "inplace", "list changes that may reuse their storage made in place: what the backend compiles") \
    X(CODEGEN, "codegen", NULL)

typedef enum Stage {
    STAGE_NONE,
#define X(id, name, what) STAGE_##id,
    MYC_STAGES(X)
#undef X
    STAGE__COUNT
} Stage;

/* The stage called `name`, or STAGE_NONE. */
Stage stage_by_name(const char *name);
const char *stage_name(Stage s);
/* What the IR after s is, or NULL when s has no IR to show. */
const char *stage_what(Stage s);

typedef struct Compilation Compilation;

/* Chooses the functions inference specialises, once the module is
   lowered: fills *out (malloc'd) and returns their number, or returns -1
   after reporting why (a usage error is the chooser's to report). */
typedef int (*EntryChooser)(Compilation *c, InferEntry **out);

/* What the codegen stage produces: a file, or a run of entries[0]. */
typedef struct Target {
    enum { TARGET_FILE, TARGET_RUN } kind;
    BackendOptions backend;
    /* TARGET_FILE */
    EmitKind emit;
    const char *path;
    const CgExport *exports;
    int nexports;
    /* TARGET_RUN: entries[0] on args, after entries[1..] (the constants) */
    const uint64_t *args;
    uint64_t *results;
} Target;

/* -ftime-report: one row per step, in the order first run; a step run
   again (inference after a restart) adds to its row. */
typedef struct TimeRow {
    const char *name;           /* "parse", "opt: inline", "codegen: LLVM passes", ... */
    double seconds;             /* wall time */
    int graphs;                 /* the IR after it: graphs and nodes (-1: not IR) */
    long nodes;
    long insts;                 /* LLVM instructions after it (-1: not LLVM) */
    int rewrites;               /* an optimiser pass: its rewrites (-1: not a pass) */
} TimeRow;

typedef struct TimeReport {
    VEC(TimeRow) rows;
} TimeReport;

/* Prints the report as a table (clang's -ftime-report in spirit): the
   rows, each with its share of the total, then the total. */
void time_report_print(const TimeReport *r, const char *input, FILE *out);
void time_report_free(TimeReport *r);

/* Everything one compilation owns, and how far it got. */
struct Compilation {
    /* set by the caller */
    const char *input;          /* the file's name, as given */
    const char *src;            /* its text (may hold NULs: the lexer reports them) */
    size_t srclen;
    Arena *arena;
    Diags diags;
    EntryChooser choose;        /* for the infer stage */
    void *user;                 /* the chooser's context */
    bool verify_ir;             /* run the IR checker after every stage and optimiser pass */
    unsigned opt_passes;        /* the optimiser passes (opt.h: OPT_DEFAULT) */
    Target target;              /* for the codegen stage */
    TimeReport *times;          /* -ftime-report: filled by the stages when not NULL */
    FILE *verbose;              /* -v: each stage says what it runs here, when not NULL */
    /* filled by the stages */
    Stage done;                 /* the last stage that succeeded */
    AstModule *ast;
    Module *lowered;            /* after parse */
    Module *typed;              /* after infer, rewritten in place by the later stages */
    InferEntry *entries;        /* what inference specialised (malloc'd) */
    int nentries;
    bool pass_failed;           /* the checker failed after an optimiser pass (verify_ir) */
    /* why the codegen stage failed: the output file, or a runtime error
       of a run (RUN_RAISED), rather than myc itself */
    bool output_failed;
    RunStatus run_status;
    StrBuf backend_msg;         /* the backend's message, when it failed */
};

/* Runs the stages after c->done up to `stop`, in order; each reports its
   errors into c->diags.  Returns true when every one succeeded.  A later
   call goes on from where the last stopped; pipeline_restart goes back. */
bool pipeline_run(Compilation *c, Stage stop);

/* Drops what the stages after `stage` (STAGE_PARSE or STAGE_NONE) built,
   so that inference can run again with other entries, and goes back to
   it: the later stages rewrite one module in place, so there is no going
   back to one of them. */
void pipeline_restart(Compilation *c, Stage stage);

/* Frees what the stages built (not the arena, the source or the diags). */
void pipeline_free(Compilation *c);

#endif
