/*
 * grad.h: automatic differentiation on the graph IR.
 *
 * Two transforms of a function graph G (and of everything nested in it):
 *
 *   J(G)      reverse mode (Pearlmutter & Siskind, as in Myia): called with
 *             the arguments of G, returns (value, bprop); bprop(dy) returns
 *             (env, dx1, ..., dxn), env holding the sensitivities of G's
 *             free variables, keyed by variable.
 *   Jfwd(G)   forward mode: called with (x1..xn, t1..tn), returns
 *             (value, tangent).
 *
 * Both are ordinary graphs built from ordinary primitives (plus the
 * sensitivity primitives of prims.def), so each can be transformed again:
 * J of J-transformed code is how grad(grad(f)) works, Jfwd of J how jvp of
 * grad does.  The transforms run on the untyped IR, on demand: inference
 * asks for J(G) when it meets J applied to a value that may be a closure
 * of G, and for the graph of a differentiation operator when it knows the
 * arity of the function the operator is applied to (grad_operator); it
 * then types the new graphs like any others, so symbolic zeros, int
 * values (which have no sensitivity) and the branch not taken are decided
 * by types, and cost nothing at run time.
 *
 * State: the transforms are memoised (a function is transformed once per
 * mode, a primitive once per mode and arity, an operator once per site
 * and arity), and transforming a transform needs to know where it came
 * from.  That memo is a GradState, made and freed by whoever asks for
 * transforms -- inference (infer_module), which makes one per module it
 * types and frees it when the specialised module is built -- and passed
 * to every entry point below.  Memory: graphs live in the module's arena
 * and outlive the memo; the memo's tables are the heap's, freed with it.
 */
#ifndef MYC_GRAD_H
#define MYC_GRAD_H

#include "../ir/ir.h"

/* What differentiation operator a derive() node stands for. */
typedef enum DiffOp { OP_GRAD, OP_VALUE_AND_GRAD, OP_VJP, OP_JVP } DiffOp;

/* Modes of the transforms (also the digits of a derive() tower). */
enum { MODE_J = 1, MODE_F = 2 };

/* The layout of a derive() node's inputs: in[1] kind (DiffOp), in[2] tower
   (the transforms applied to the operator since lowering, base 3, first
   applied most significant), in[3] 1 when grad's selection is a tuple
   (for vjp and jvp: 1 for the C ABI's NAME_vjp and NAME_jvp, whose
   function's result may also have int and bool leaves, passes/export.h),
   in[4] the number k of selected parameters, in[5..5+k) their indices,
   then the values (the function, or its transformed versions). */
enum { DERIVE_KIND = 1, DERIVE_TOWER, DERIVE_TUPLE, DERIVE_NIDX, DERIVE_IDX };
int derive_first_value(const Node *app);

/* ---- derivative rules (passes/grad_rules.c) ---------------------------- */

/* Where a rule builds: nodes go into graph g at loc. */
typedef struct RuleB {
    Graph *g;
    Loc loc;
} RuleB;

/*
 * A primitive's derivative, written once.  Scalar primitives give
 * `partials`: k[i] = d y / d x[i] (NULL for zero), from which both modes
 * follow (reverse: dx[i] = d * k[i]; forward: ty = sum t[i] * k[i]).  The
 * structural ones (tuples, switch, envs) give `bprop` and `tangent`
 * instead.  x are the primal inputs and y the primal output, as nodes
 * usable in b->g; d (the output's sensitivity) and t[i] (the inputs'
 * tangents, NULL for zero) likewise.  Rules only build; they never
 * inspect types (inference types what they build).
 */
typedef struct DiffRule DiffRule;
struct DiffRule {
    void (*partials)(RuleB *b, Node *const *x, int n, Node *y, Node **k);
    void (*bprop)(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx);
    Node *(*tangent)(RuleB *b, Node *const *x, int n, Node *y, Node *const *t);
};

/* The derivative rule of primitive p (the diff column of ir/prims.def,
   which grad_rules.c expands). */
const DiffRule *prim_diff_rule(PrimId p);

/* Shorthands for rules and transforms: gb_prim is ir_apply_prim in b->g at
   b->loc. */
Node *gb_prim(RuleB *b, PrimId p, int n, ...);
Node *gb_float(RuleB *b, double v);
Node *gb_int(RuleB *b, int64_t v);

/* ---- the transforms ---------------------------------------------------- */

/* The memo of the transforms made in module m (see above). */
typedef struct GradState GradState;
GradState *grad_state_new(Module *m);
/* Frees the memo (NULL: nothing); the graphs it made stay in the module. */
void grad_state_free(GradState *gs);

/* The error when they nest deeper (inference reports it where it finds it). */
#define GRAD_TOO_DEEP_MSG \
    "differentiation operators are nested more than %d deep here (the number of nested operators must be " \
    "known at compile time)"

/* Transforms of transforms nest at most this deep.  Each level multiplies
   the code by about three, and the time to compile it by about ten (a 6th
   derivative of sin(t) * t: 15 s; a 7th: 80 s), and a nesting decided at
   run time (a recursion whose step applies grad to a function that calls
   the recursion) must stop with an error quickly: at 6 it takes about two
   seconds to reach the limit, at 8 it took minutes and gigabytes. */
enum { GRAD_MAX_DEPTH = 6 };

/* The transform (mode MODE_J or MODE_F) of function graph g as a value:
   nested where g is, a closure of it needs the frame a closure of g needs.
   Made on first request (with everything it needs), then memoised; NULL
   when g is already GRAD_MAX_DEPTH transforms deep. */
Graph *grad_transform(GradState *gs, int mode, Graph *g);
/* The transform of the function a type's reference names (graph or
   primitive); NULL as for grad_transform. */
Graph *grad_transform_ref(GradState *gs, int mode, const FnRef *f);
/* The graph of J(x, depth) (mode MODE_J) or Jfwd(x, depth) of a function
   value x that f names: for depth 0, grad_transform_ref; for depth d > 0,
   x is a value of code d enclosing transforms rewrote, and the result is
   those transforms applied, in their order, to the transform of x's
   source function (grad.c, "nesting").  NULL as for grad_transform. */
Graph *grad_transform_fn(GradState *gs, int mode, int depth, const FnRef *f);
/* The transform of primitive p used as a function of nargs arguments. */
Graph *grad_transform_prim(GradState *gs, int mode, PrimId p, int nargs);
/* For a derive() node whose function has `arity` parameters: the
   top-level graph W (one argument: the function) such that the operator's
   value is W(f), with the node's tower applied.  Memoised per node; NULL
   when the tower is too deep. */
Graph *grad_operator(GradState *gs, Node *derive, int arity);
/* When code in graph `where`, part of an operator's graph W, applies a
   transform to g, (a transform of) a function W made -- the operator
   applied to its own result, as in d(d(sin)) with def d(f): return grad(f),
   or in a recursion passing grad(f) down, where the nesting depends on the
   run -- W; else NULL.  Inference allows GRAD_MAX_SELF such levels. */
Graph *grad_operator_of(const GradState *gs, const Graph *where, const Graph *g);
enum { GRAD_MAX_SELF = 4 };
/* The graph g was transformed from and the mode, or NULL (not a transform). */
Graph *grad_source(const GradState *gs, const Graph *g, int *mode);
/* The function f names before a transform lifted it (J(v) of a function
   value v: the transform of v's function, nested where it is): v's own
   function, in *out; false when f is not such a lift (a closure made
   inside transformed code).  Other references are their own sources. */
bool grad_source_ref(const GradState *gs, const FnRef *f, FnRef *out);
/* When g is the root of an extension (grad.c, "nesting") that rebind makes
   closures of from closures of another graph (its companion, nested in
   the same frame): that graph, else NULL.  A closure of g then needs the
   frame a closure of the companion needs, even where g reads less. */
Graph *grad_extension_companion(const GradState *gs, const Graph *g);

/* After specialisation: every differentiation primitive expanded (no
   derive, J or Jfwd left).  Reports an internal error into d otherwise. */
typedef struct Diags Diags;
bool grad_check_expanded(const Module *spec, Diags *d);

#endif
