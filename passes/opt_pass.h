/*
 * opt_pass.h: what the optimiser's passes share: the analysis and the
 * helper library (passes/opt_lib.c), and the passes' declarations.
 *
 * Layers: the driver (opt.c) calls the passes (opt_passes.def, one file
 * each) and the library; a pass calls the library, never another pass;
 * the library calls no pass.
 *
 * Before each pass the driver analyses the module afresh (opt_analyse):
 * which graphs are live, each live graph's body, and how the constants of
 * each graph are used.  Use lists are swept so that they hold only live
 * users: a pass may trust x->uses.  A pass edits the IR through ir.h and
 * opt_replace; nodes it creates are seen by the next analysis.  It returns
 * the number of rewrites it made (0: nothing changed).  A graph the
 * analysis found dead stays dead: a node a pass creates names in its type
 * only graphs that are live or new (a type taken from a graph constant
 * may name dead ones: opt_live_type), since the next analysis would make
 * a graph it names live again, with the nodes it swept.
 */
#ifndef MYC_OPT_PASS_H
#define MYC_OPT_PASS_H

#include "../ir/interp.h"
#include "opt.h"

typedef struct OptFails OptFails;

typedef struct OptCtx {
    Module *m;
    Interp *interp;         /* primitive evaluators, for constant folding */
    GraphVec graphs;        /* live graphs: the roots first, then as found */
    NodeVec *body;          /* by graph id: ir_graph_body of a live graph */
    uint32_t gcap, ncap;    /* sizes of the per-graph and per-node tables */
    uint8_t *glive;         /* by graph id */
    uint8_t *live;          /* by node id: an Apply or Parameter some live graph computes */
    int *calls;             /* by graph id: live uses of its constants as a callee */
    int *values;            /* by graph id: other live uses of its constants */
    uint8_t *named;         /* by graph id: named by the type of a live non-constant node
                               (or of a depend made since: opt_apply_depend) */
    uint8_t *pinned;        /* by graph id: a root, or named by a rebind (its identity matters) */
    uint8_t *parent_of;     /* by graph id: some live graph has it as parent */
    uint32_t nseen;         /* the graphs with lower ids existed at the last analysis */
    int budget;             /* nodes inlining may still copy */
    bool families;          /* inlining may copy functions with nested graphs */
    bool broken;            /* the analysis found the IR inconsistent (a pass's bug) */
    NodeVec ran;            /* the nodes that may stop the program (opt_can_raise) each
                               live graph computed at the last analysis, */
    uint32_t *ran_pos;      /* by node id: with their places in their graph's body (+1) */
    uint32_t *ran_graph;    /* and their graph's id (+1); 0 for other nodes */
    OptFails *fails;        /* during a pass that asks opt_may_fail, its memo */
    void *pass_state;       /* during a pass that keeps its own memo across its rewrites, that memo */
} OptCtx;

void opt_analyse(OptCtx *c);
/* Frees the tables the analyses allocated (not c->interp). */
void opt_ctx_free(OptCtx *c);

/* Every live use of old becomes a use of new_, when both have the same
   type; returns whether it did. */
bool opt_replace(OptCtx *c, Node *old, Node *new_);

/* Calls rw on every node of every live body (inputs first) that still has
   uses; returns the sum of what rw returned (its rewrites). */
typedef int (*OptRewrite)(OptCtx *c, Node *x);
int opt_rewrite_all(OptCtx *c, OptRewrite rw);

/* The live calls of every graph g with want[g->id] set whose callee is
   g's constant: a malloc'd array by graph id (opt_free_call_sites). */
NodeVec *opt_call_sites(OptCtx *c, const uint8_t *want);
void opt_free_call_sites(OptCtx *c, NodeVec *sites);

/* Typed node builders (new nodes get their type set). */
Node *opt_const_float(OptCtx *c, double v, Loc loc);
Node *opt_const_graph(OptCtx *c, Graph *g, Type *type, Loc loc);
Node *opt_apply(Graph *g, Type *type, Node *const *in, int n, Loc loc);
/* p(args...) in g, of type `type`: ir.h's builders, typed. */
Node *opt_apply_prim(Graph *g, Type *type, PrimId p, Loc loc, int nargs, ...);
Node *opt_apply_prim_args(Graph *g, Type *type, PrimId p, Loc loc, int nargs, Node *const *args);
/* The zero sensitivity of type t (the symbolic zero, 0.0, the empty list
   that stands for a list's zeros, or a tuple of those), built in g; NULL
   when t has no such value (an env, a function). */
Node *opt_zero_of(OptCtx *c, Graph *g, Type *t, Loc loc);

static inline bool opt_is_prim(const Node *x, PrimId p)
{
    return x->kind == N_APPLY && x->app.n > 0 && ir_is_const_prim(x->app.in[0], p);
}
static inline bool opt_is_float(const Node *x, double v)
{
    return x->kind == N_CONST && x->k.kind == K_FLOAT && x->k.u.f == v;
}
/* The empty list display: a list's zeros as a sensitivity (opt_zero_of). */
static inline bool opt_is_empty_list(const Node *x)
{
    return opt_is_prim(x, P_LIST_MAKE) && x->app.n == 1;
}
static inline bool opt_is_int_const(const Node *x)
{
    return x->kind == N_CONST && x->k.kind == K_INT;
}
/* Whether x may stop the program by itself: a call of a graph or of a
   closure, or a primitive flagged PF_RAISES whose operands do not rule the
   error out (an int // or % by a non-zero constant, floor/ceil/int of an
   int, // and % of floats, a range step that is a non-zero constant
   cannot fail). */
bool opt_can_raise(const Node *x);

/* Whether dropping x may drop a runtime error: x can raise
   (opt_can_raise), or an input only x uses may fail so.  (Inputs with other uses are taken to stay computed: a
   failing value two dropped nodes share is the case this misses.)  A
   pass that would leave such a value unused keeps it (depend, or the
   parameter it feeds), so that the error still happens.  The memo is for
   one pass. */
struct OptFails {
    uint8_t *memo;
    uint32_t n;
    NodeVec stack;
};
OptFails opt_fails_new(OptCtx *c);
void opt_fails_free(OptFails *f);
bool opt_may_fail(OptFails *f, Node *x);

/* The node whose value x holds: following Node.param.holds from a
   parameter (a threaded invariant), else x. */
Node *opt_held(Node *x);

/* Whether g is code of loop number `loop` (Graph.loop): marked so, or
   nested in a graph that is. */
bool opt_in_loop(const Graph *g, uint32_t loop);

/* Whether every use of a is an input of user. */
static inline bool opt_only_used_by(const Node *a, const Node *user)
{
    for (const Use *u = a->uses; u; u = u->next)
        if (u->user != user)
            return false;
    return true;
}

/* depend(first[0..n-1], v) in g, of type `type`: v, once the nodes of
   first are computed, in that order; v itself when n is 0.  The graphs
   `type` names are named from then on (c->named): a type taken from a
   graph constant may name graphs no live node named, which the pass must
   then not let die (inlining would move one away, its nodes gone, while
   the depend keeps it live). */
Node *opt_apply_depend(OptCtx *c, Graph *g, Type *type, Node *const *first, int n, Node *v, Loc loc);

/* Makes g compute xs[0..n-1] before its final jump, which stays a tail
   call: a depend on the jump's first (typed) argument, on its callee when
   it has none, or on the output when it is no call or when computing xs
   computes it (one of them is the jump or needs its value: a depend on
   the jump would be its own input), merged with a depend already there:
   xs first, or (by_place) all in the order of their places in the bodies
   of the last analysis.  The depend has the type of the
   value it wraps, without the graphs the last analysis found dead when
   that value is a graph constant (opt_live_type). */
void opt_depend_at_tail(OptCtx *c, Graph *g, Node *const *xs, int n, bool by_place);

/* The type of x (its own; an untyped constant's: its value's) for a new
   node that holds x's value.  For a graph constant, without the refs to
   graphs the last analysis found dead: a constant's type may still name
   them (family copies widen the types of constants too, and only the end
   narrows them), but a live node's type may not -- it would make the
   graph live again, with a body and parent whose nodes the analysis
   swept. */
Type *opt_live_type(OptCtx *c, Node *x);

/* Two constants with the same value (floats compared bit for bit). */
bool opt_same_const(const Node *a, const Node *b);

/* Rewrites the types of the graphs gs[0..n-1] -- their result and
   parameter types, and those of every node their bodies and outputs hold
   or use, constants included -- so that in every function type (also
   inside tuples), each ref r becomes the refs map pushes for it onto out
   (r itself to keep it; nothing to drop it).  A type changes only where
   the refs do; each type is mapped once.  No node may be made meanwhile.
   (Inlining widens types to name copied graphs; the driver narrows them
   to the live graphs at the end.) */
typedef VEC(FnRef) FnRefVec;
typedef void (*OptMapRef)(void *arg, FnRef ref, FnRefVec *out);
void opt_map_types(OptCtx *c, Graph *const *gs, int n, OptMapRef map, void *arg);

/* The passes (opt_passes.def); only the driver calls them. */
#define OPT_PASS(id, name, fn) int fn(OptCtx *c);
#include "opt_passes.def"
#undef OPT_PASS

#endif
