/*
 * interp.h: the reference interpreter over the graph IR, at any stage.
 *
 * It is the oracle every pass is checked against, so it is written to be
 * obviously right rather than fast: frames linked to their lexical parent
 * exactly as ir.h describes closures, an explicit stack of activations (no
 * C recursion over calls; tail calls replace the activation), and CPython's
 * semantics for every primitive (ir/prim_eval.c).  It runs untyped IR too,
 * and any IR that passes ir_check: type confusion is a runtime error, never
 * a crash.
 *
 * Value lifetime: every value handed out by interp_call, interp_apply,
 * interp_parse_value or interp_coerce is pinned (a root of the collector)
 * and stays valid until interp_release or interp_free.
 *
 * The module must not be edited while an Interp exists: per-graph
 * schedules are computed on first use and cached.
 */
#ifndef MYC_INTERP_H
#define MYC_INTERP_H

#include "ir.h"
#include "value.h"

typedef struct Interp Interp;

Interp *interp_new(Module *m);
void interp_free(Interp *in);

/* Calls graph g (a top-level or closed G_FUNCTION) with args; on success
   returns 0 and sets *result; on a runtime error returns 3 and appends the
   message (e.g. "integer division or modulo by zero") to err. */
int interp_call(Interp *in, Graph *g, const Value *args, int nargs, Value *result, StrBuf *err);
/* The same for any function value (a closure, or a primitive). */
int interp_apply(Interp *in, const Value *fn, const Value *args, int nargs, Value *result, StrBuf *err);
/* Where the last runtime error happened (the Apply being evaluated). */
Loc interp_error_loc(const Interp *in);

/* Parses a command-line argument: float, int, True/False, tuples like
   "(1.0, (2, True))", "(0.5,)", "()", also "nan", "inf", "-inf", "-2",
   "1e-3".  Returns 0, or -1 with a message in err. */
int interp_parse_value(Interp *in, const char *text, Value *out, StrBuf *err);
/* The type of a value (for specialising FUNC on the run arguments). */
Type *interp_value_type(TypeTable *tt, const Value *v);
/* Converts v to type t where the language converts implicitly (int/bool ->
   float, bool -> int, elementwise in tuples); -1 if impossible.  NULL t
   accepts anything. */
int interp_coerce(Interp *in, Value *v, Type *t);

/* Evaluates primitive p on args (constant folding in passes); 0, or 3 with
   the runtime error in err. */
int interp_eval_prim(Interp *in, PrimId p, const Value *args, int nargs, Value *out, StrBuf *err);

/* ---- observing a run (ir/trace.c) ------------------------------------------ */
/* What a tracer sees of a run, as it happens.  The values are valid only
   during the call (copy or format them: the collector may move on).  With
   no hooks set the evaluation loop pays one test per call and return. */
typedef struct InterpHooks {
    void *user;
    /* An activation starts: closure c entered with args (the caller's;
       closure conversion's bound values are not among them).  site: the
       Apply calling it, NULL for interp_call's and interp_apply's own; tail:
       it replaces the caller's activation (a jump, or a call that is its
       graph's output), so the next `leave` returns for both. */
    void (*enter)(void *user, const Closure *c, const Value *args, int nargs, const Node *site, bool tail);
    /* The activation on top returns result. */
    void (*leave)(void *user, const Value *result);
    /* Primitive p was applied at site to args, giving result (NULL: not
       wanted; rebind and make_closure, which only make closures, are not
       reported). */
    void (*prim)(void *user, const Node *site, int p, const Value *args, int nargs, const Value *result);
} InterpHooks;
/* Reports the activations of interp_call and interp_apply from now on to
   hooks (copied), or stops (NULL).  Runs started before are not affected. */
void interp_set_hooks(Interp *in, const InterpHooks *hooks);
/* Parameter i of the frame `up` levels up the chain closure c closes over
   (0: the frame of c's graph's parent), or an unset value (V_UNSET) when
   there is none: for a tracer naming a closure by what it captured. */
Value interp_closure_param(const Closure *c, int up, int i);

/* ---- limits and the heap -------------------------------------------------- */
/* Activations deeper than this fail with "maximum recursion depth exceeded"
   (default INTERP_MAX_DEPTH). */
enum { INTERP_MAX_DEPTH = 4000000 };   /* reverse mode through a non-tail recursion nests a few per level */
void interp_set_max_depth(Interp *in, int depth);
/* Unpins every value handed out so far (they die at the next collection). */
void interp_release(Interp *in);
/* Runs a full collection now. */
void interp_gc(Interp *in);
typedef struct InterpStats {
    size_t objects;         /* heap objects allocated and not yet swept */
    size_t bytes;           /* their bytes */
    size_t peak_bytes;      /* the maximum of bytes since interp_new */
    size_t collections;
} InterpStats;
InterpStats interp_stats(const Interp *in);

/* ---- for the primitive evaluators (ir/prim_eval.c) ------------------------- */
/* Records a runtime error; returns 3, for `return eval_raise(cx, ...)`. */
int eval_raise(EvalCtx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A fresh tuple of n V_UNSET items, owned by the collector. */
Tuple *eval_new_tuple(EvalCtx *cx, int n);
/* A fresh env of n entries (keys 0, values V_UNSET), owned by the collector. */
Env *eval_new_env(EvalCtx *cx, int n);
/* A fresh list of len V_UNSET items and room for cap (>= len), owned by the collector. */
List *eval_new_list(EvalCtx *cx, int64_t len, int64_t cap);
/* Appends v to l, growing its buffer: only for a list being built (lists are values). */
void eval_list_push(EvalCtx *cx, List *l, Value v);
/* The Apply being evaluated (its type says what a conversion converts to),
   or NULL when a pass folds a constant. */
const Node *eval_node(const EvalCtx *cx);
/* interp_coerce for an evaluator: v converted to t in place (not pinned); -1 if impossible. */
int eval_coerce(EvalCtx *cx, Value *v, const Type *t);
/* Python's == (prim_eval.c): numbers by value, tuples and lists item by
   item, functions by identity. */
bool eval_values_equal(const Value *a, const Value *b);
/* Sensitivities (prim_eval.c): sens_add(a, b), and sens_dense(x, d), d
   with x's shape and zeros materialised; a list's empty sensitivity stands
   for zeros (ir/prims.def, "differentiation"). */
int eval_sens_add(EvalCtx *cx, const Value *a, const Value *b, Value *out);
int eval_sens_dense(EvalCtx *cx, const Value *x, const Value *d, Value *out);
/* a + b and a * count on lists (list_eval.c; ev_add and ev_mul call them
   when an operand is a list). */
int eval_list_concat(EvalCtx *cx, const Value *a, const Value *b, Value *out);
int eval_list_repeat(EvalCtx *cx, const Value *a, const Value *count, Value *out);
/* Python's slice.indices for a list of len items (omitted: bits 0, 1, 2 for
   start, stop, step left out): the first index and the number of items;
   -1 when the step is 0. */
int eval_slice_indices(int64_t len, int64_t start, int64_t stop, int64_t step, int omitted, int64_t *first,
                       int64_t *count);

/* ---- text helpers (ir/print.c), shared with ir/dot.c --------------------- */
/* Per-module naming of nodes as docs/ir.md describes (%x, %acc.2, %3). */
typedef struct IrNames IrNames;
IrNames *ir_names_new(const Module *m);
void ir_names_free(IrNames *nm);
/* The body of g (ir_graph_body), computed once. */
const NodeVec *ir_names_body(IrNames *nm, const Graph *g);
/* How x reads inside g: %x, @owner:%x (a free variable), 3, 1.5, True,
   add (a primitive), @h (a graph). */
void ir_names_ref(IrNames *nm, const Graph *g, const Node *x, StrBuf *out);
/* "graph @f(%x: float) -> float [function]", no newline. */
void ir_names_header(IrNames *nm, const Graph *g, StrBuf *out);
/* "%3: float = mul(%x, 2)" for an Apply n of g, no indentation or newline. */
void ir_names_apply(IrNames *nm, const Graph *g, const Node *n, StrBuf *out);
/* "return %3", no newline. */
void ir_names_return(IrNames *nm, const Graph *g, StrBuf *out);
/* The graphs to print: module order, or (nroots > 0) those reachable from
   roots through graph constants, breadth first. */
void ir_names_order(IrNames *nm, Graph *const *roots, int nroots, GraphVec *out);

#endif
