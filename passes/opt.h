/*
 * opt.h: the optimiser on the graph IR (passes/opt*.c), between the `grad`
 * stage and closure conversion; its output is the `opt` stage.
 *
 * Assumes a typed, specialised module with every differentiation operator
 * expanded (grad_check_expanded holds), whose top-level list names the
 * graphs called from outside (the roots).
 *
 * Guarantees: the same module, rewritten in place, computes what it
 * computed before for every root and every argument, bit for bit,
 * including which runtime error a failing call reports; it still passes
 * the typed IR checker; m->graphs lists only the graphs the roots can
 * still reach (through constants and through the types of live nodes).
 *
 * The passes (one file each, each with its own contract; the list and its
 * order: opt_passes.def) are local rewrites run by one fixpoint driver
 * (opt.c) until none changes anything or a round limit is hit; every pass
 * sees a fresh analysis (opt_pass.h):
 *
 *   opt_inline.c   inlining: graphs called once (moved, nested graphs and
 *                  all), small leaf graphs (copied), within a budget
 *   opt_tuple.c    getitem(make_tuple(...)) folding
 *   opt_switch.c   switch with a known condition or equal arms; projections
 *                  and env reads pushed into a switch of values
 *   opt_arith.c    arithmetic identities and symbolic zeros
 *   opt_env.c      env_get(env_set(...)) cancelling, reads of empty envs
 *   opt_fold.c     constant folding (the interpreter's evaluators, so
 *                  folded values are the run-time ones)
 *   opt_cse.c      common-subexpression elimination within a graph
 *   opt_dead.c     dead code and dead data: unused parameters and unused
 *                  fields of returned tuples
 *   opt_lift.c     lambda lifting: graphs only ever called directly take
 *                  their free variables as parameters
 *   opt_remat.c    float arithmetic a closure would capture, computed again
 *                  inside it from operands it captures anyway
 *   opt_thread.c   a loop's invariants passed along the continuations of
 *                  its backward pass instead of captured by each iteration
 *
 * The primitives' derivative rules are already inline: the J transform
 * (passes/grad.c) writes them into the backpropagators as primitives.
 */
#ifndef MYC_OPT_H
#define MYC_OPT_H

#include "../ir/ir.h"

/* The passes, in the order each round runs them (opt_passes.def). */
typedef enum OptPass {
#define OPT_PASS(id, name, fn) OPT_##id,
#include "opt_passes.def"
#undef OPT_PASS
    OPT__COUNT
} OptPass;

/* The copying of functions with nested graphs called from several places
   (opt_inline.c: the types naming the nested graphs are widened to name
   the copies; the driver drops the dead ones at the end), and the
   default: every pass, with that copying. */
#define OPT_FAMILIES (1u << OPT__COUNT)
#define OPT_DEFAULT (((1u << OPT__COUNT) - 1) | OPT_FAMILIES)

/* What a run did: rewrites per pass, rounds run, and the wall time of
   each pass summed over the rounds (with the analysis it needed first),
   and of the end phases (-ftime-report). */
typedef struct OptStats {
    int rewrites[OPT__COUNT];
    int rounds;
    double seconds[OPT__COUNT];
    double end_seconds;
} OptStats;

/* The passes' names, for tests and statistics ("inline", "tuple", ...). */
extern const char *const opt_pass_names[OPT__COUNT];

/* Called after every pass that rewrote something (--verify-ir: the IR
   checker), with the pass's name and the graphs still live (the module
   lists the dropped ones until the end); returning false stops the
   optimiser. */
typedef struct OptVerify {
    bool (*after_pass)(void *arg, Module *m, const GraphVec *live, const char *pass);
    void *arg;
} OptVerify;

/* Runs the passes whose bit is set in `passes` (1u << OptPass, OPT_DEFAULT,
   and OPT_FAMILIES to copy functions with nested graphs) to a fixpoint.
   `verify` and `stats` may be NULL.  Returns false when it found the IR it
   made inconsistent (a bug in a pass: the driver stops with an internal
   error), or when verify->after_pass did. */
bool opt_module(Module *m, unsigned passes, const OptVerify *verify, OptStats *stats);

#endif
