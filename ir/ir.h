/*
 * ir.h: the graph IR.
 *
 * A program is a Module of Graphs.  A Graph is a function: parameters and
 * one output node.  Its body is the set of Apply nodes it owns, reachable
 * from the output; there is no instruction list and no statement order
 * beyond data dependence.  Four node kinds, as in Myia:
 *
 *   Graph     a function (not a node; used as a value through a Constant)
 *   Apply     in[0](in[1], ..., in[n-1]): a call of a primitive, a graph or
 *             any function value
 *   Parameter the index-th parameter of its graph
 *   Constant  int, float, bool, a primitive, or a graph
 *
 * Closures: a graph may use nodes owned by any of its ancestors (its
 * parent, the parent's parent, ...).  Those are its free variables.
 * Evaluating a Constant that holds graph G inside a frame of graph H makes
 * a closure of G over the frame of G->parent found on H's chain (G->parent
 * must be H or an ancestor of H, or NULL for top-level graphs).
 *
 * Control flow is calls: every block of a source function is a graph, a
 * jump is a tail call (an Apply that is its graph's output), a phi is a
 * parameter, and a branch is switch(c, A, B)() calling one of two closures.
 *
 * Invariants (checked by ir_check, ir/check.c):
 *   - every input of an Apply owned by G is a Constant, or a node owned by G
 *     or by an ancestor of G;
 *   - a Constant graph G' used in G has G'->parent == NULL or equal to G or
 *     an ancestor of G;
 *   - an Apply used as an input or an output is in its owner's body
 *     (ir_graph_body): no frame ever reads a node its graph does not compute;
 *   - use lists exactly mirror inputs and outputs;
 *   - params[i]->param.index == i and params[i]->graph == G;
 *   - every graph has an output, and the body is acyclic.
 *
 * Memory: nodes, graphs and use records live in the module's arena.  Ids
 * are dense per module (for side tables indexed by id).
 */
#ifndef MYC_IR_H
#define MYC_IR_H

#include <stdarg.h>

#include "../src/util/common.h"
#include "prims.h"
#include "types.h"

typedef struct Module Module;
typedef struct Graph Graph;
typedef struct Node Node;

typedef enum NodeKind { N_APPLY, N_PARAM, N_CONST } NodeKind;
typedef enum ConstKind { K_INT, K_FLOAT, K_BOOL, K_PRIM, K_GRAPH } ConstKind;

/* One use of a node: input `index` of `user`, or (user == NULL) the output
   of graph `graph`. */
typedef struct Use {
    Node *user;
    Graph *graph;
    int index;
    struct Use *prev, *next;
} Use;

struct Node {
    NodeKind kind;
    uint32_t id;
    Loc loc;
    Graph *graph;       /* owner; NULL for constants */
    Type *type;         /* set by inference; NULL before */
    uint32_t seq;       /* source order: lowering makes nodes in the order of the source, so
                           for the nodes lowering made seq is their creation order; clones keep
                           their original's (the conversions specialisation adds, the seq of
                           the node they are for); other passes' nodes get their id */
    const char *name;   /* source variable name, or NULL */
    Use *uses;
    union {
        struct { Node **in; Use **use; int n, cap; } app;  /* in[0]: the callee; use[i]: in[i]'s
                                                               Use of this node (ir.c keeps it) */
        struct {
            int index;
            Node *captured;     /* closure conversion's free variable this parameter holds */
            bool length_only;   /* a captured flat list of which the graph reads only the length
                                   (passes/inplace.c): a closure's record keeps just that */
            Node *holds;        /* the loop invariant passes/opt_thread.c made this parameter
                                   carry down a chain of continuations: every call passes that
                                   node's value; NULL for other parameters, and in copies */
        } param;
        struct {
            ConstKind kind;
            union { int64_t i; double f; bool b; PrimId prim; Graph *graph; } u;
        } k;
    };
};

typedef enum GraphKind {
    G_FUNCTION,     /* a def or a lambda */
    G_BLOCK,        /* a join point of a function: after an if, a loop header,
                       after a loop; entered by tail calls with arguments */
    G_BRANCH,       /* a closure selected by switch: if/else arms, loop bodies
                       and exits, conditional expressions, and/or operands;
                       no parameters */
    G_CONST,        /* a top-level constant: no parameters, its value */
} GraphKind;

/* Provenance: the source construct a graph is (lowering sets it; the
   transforms and every copy carry it), for the tracer (ir/trace.c), which
   shows a run in the source's terms.  Graph.loc's line is the construct's. */
typedef enum GraphRole {
    GR_NONE,        /* no source construct: a transform's helper (a loop entry's wrapper, ...) */
    GR_FUNCTION,    /* a def, a lambda, a comprehension clause (src_label names it) */
    GR_THEN,        /* the arm of an if statement or comprehension filter taken when true (f:if.L), */
    GR_ELSE,        /*   when false (f:else.L) */
    GR_IFEXP,       /* x if c else y: x (f:ifexp.L), */
    GR_IFELSE,      /*   y (f:ifelse.L) */
    GR_LOOP,        /* a loop header (f:while.L, f:for.L): entered once per iteration */
    GR_LOOP_BODY,   /* a loop's body and exit branches (f:body.L, f:exit.L) */
    GR_LOOP_EXIT,
    GR_LOOP_END,    /* the block after a loop (f:endwhile.L, f:endfor.L) */
    GR_JOIN,        /* the block after an if (f:endif.L) */
    GR_OPERAND,     /* the operands and/or and comparison chains evaluate lazily */
    GR_CONVERT,     /* x: T = e's conversion (f/x:ann.L) */
    GR_CONSTANT,    /* a top-level constant */
    GR_PRIM,        /* the transform of a primitive (J.mul, Jfwd.sin) */
    GR_OPERATOR,    /* grad, value_and_grad, vjp, jvp: W = λ f: ... (grad.c, operator_graph), */
    GR_OPERATOR_FN, /*   the closure W(f) it returns, */
    GR_PULLBACK,    /*   vjp's pullback */
} GraphRole;

/* How a transformed graph's parameters and result relate to its source's. */
typedef enum GraphXform {
    XF_NONE,        /* the source's */
    XF_J,           /* reverse mode's forward pass: the source's parameters; result (y, bprop) */
    XF_BPROP,       /* a backpropagator: the sensitivity of the result; (env, d x1, ..., d xn) */
    XF_JFWD,        /* forward mode: x1..xn, t1..tn; result (y, t) */
} GraphXform;

struct Graph {
    uint32_t id;
    GraphKind kind;
    const char *name;       /* unique in the module: f, f:if.2, f:endif.2, f/g, ... (a block: its
                               function, its kind and its line; passes/lower.c lists them) */
    Loc loc;
    Module *module;
    Graph *parent;          /* lexically enclosing graph, NULL at top level */
    int depth;              /* 0 at top level, parent's + 1 */
    Graph **up;             /* up[i]: the ancestor 2^i levels up (nup of them), for ir_graph_encloses */
    int nup;
    Graph *fn;              /* the G_FUNCTION (or G_CONST) graph this one belongs to (itself for those) */
    Node **params;
    int nparams, capparams;
    Node *output;
    Use *output_use;    /* output's Use of this graph (ir.c keeps it) */
    Loc ret_loc;            /* the return statement that set the output, if any (for messages) */

    /* Source-level signature (G_FUNCTION only; NULL entries when absent). */
    const char *src_name;   /* the def's name or "<lambda>" */
    Type **param_ann;       /* nparams entries: annotated type or NULL */
    Type *ret_ann;

    /* Set by inference on specialised graphs: the signature. */
    Type *ret_type;
    Graph *origin;          /* the unspecialised graph this was cloned from */

    /* Set by closure conversion (passes/closure.c): the last nfree
       parameters hold the free variables a closure of this graph binds. */
    int nfree;

    /* Set by passes/inplace.c: consumed[k] is nonzero when list parameter
       k may have its storage changed in place (every call in the module
       hands it a list nothing else reads; a caller from outside must pass
       such a list too: a copy).  Zero: the storage is only read, by g and
       by whatever g hands the list to.  NULL: none is consumed. */
    uint8_t *consumed;

    /* Set by the transforms (passes/grad.c) on every graph they make (J and
       Jfwd of source code, backpropagators, the operators' graphs); copies
       keep it.  The aliasing rule checks source code only (passes/alias.c). */
    bool derived;

    /* Set by the J transform (passes/grad.c, "loops"): nonzero for the
       code of one run of a continuation-passing loop (J' of a member, a
       member's bprop, the entry's return continuation), the same number
       for one loop; copies keep it.  opt_thread.c reads it. */
    uint32_t loop;
    /* Set by passes/opt_thread.c on the members of a family whose
       invariants it has threaded: a family is threaded once.  (Another
       family's calls in its members pass the invariant itself, which the
       members then read again; threading it again added a parameter per
       round: 63 copies of one list after the optimiser's rounds.) */
    bool threaded;

    /* Provenance (GraphRole above): set by lowering and passes/grad.c, kept
       by the copies (specialise.c).  src_label: the source name the tracer
       shows, "f", "<lambda>", "f:bprop" (the backpropagator of f's forward
       pass), "f:jvp"; NULL where role has none. */
    uint8_t role;           /* GraphRole */
    uint8_t xform;          /* GraphXform */
    const char *src_label;
};

typedef VEC(Node *) NodeVec;
typedef VEC(Graph *) GraphVec;

typedef struct TopLevel {
    const char *name;
    Graph *graph;           /* G_FUNCTION or G_CONST */
    Loc loc;
    bool is_private;        /* name starts with '_' */
} TopLevel;

struct Module {
    Arena *arena;
    TypeTable *types;
    const char *filename;
    VEC(Graph *) graphs;    /* every graph, in creation order */
    VEC(TopLevel) tops;     /* top-level functions and constants, in source order */
    uint32_t nnodes;        /* next node id */
    uint32_t ngraph_ids;    /* next graph id */
    /* Scratch visit stamps for the traversals in ir.c (indexed by node or
       graph id; a walk takes a fresh stamp instead of clearing). */
    struct IrMarks { uint32_t *stamp; uint32_t cap, cur; } mark_body, mark_region, mark_graph;
    /* When set, every Apply that ir_apply creates is also appended here
       (lowering uses it to find computations nothing uses). */
    NodeVec *track;
    /* When nonzero, the seq of every node made (specialisation: a clone's
       conversions take the original's place in the source order). */
    uint32_t seq_as;
};

/* ---- building ----------------------------------------------------------- */
Module *ir_module_new(Arena *arena, const char *filename);
Graph *ir_graph_new(Module *m, GraphKind kind, const char *name, Graph *parent, Loc loc);
Node *ir_add_param(Graph *g, const char *name, Loc loc);
/* Makes parent g's lexical parent (NULL: top level), updating depth and the
   ancestor table; a caller moving a subtree updates the descendants after,
   shallowest first. */
void ir_graph_set_parent(Graph *g, Graph *parent);
/* to gets from's provenance (role, xform, src_label, derived): a copy of from. */
void ir_graph_copy_provenance(Graph *to, const Graph *from);
/* Removes g's i-th parameter, which nothing may use; later ones shift down. */
void ir_graph_remove_param(Graph *g, int i);

Node *ir_const_int(Module *m, int64_t v, Loc loc);
Node *ir_const_float(Module *m, double v, Loc loc);
Node *ir_const_bool(Module *m, bool v, Loc loc);
Node *ir_const_prim(Module *m, PrimId p, Loc loc);
Node *ir_const_graph(Module *m, Graph *g, Loc loc);

/* An Apply owned by g with the n inputs in[0..n-1] (copied). */
Node *ir_apply(Graph *g, Node *const *in, int n, Loc loc);
/* p(args[0..nargs-1]) owned by g: the builder of primitive applications
   (any number of arguments). */
Node *ir_apply_prim_args(Graph *g, PrimId p, Loc loc, int nargs, Node *const *args);
/* Shorthand: prim(args...); the same with the arguments in a va_list. */
Node *ir_apply_prim(Graph *g, PrimId p, Loc loc, int nargs, ...);
Node *ir_apply_primv(Graph *g, PrimId p, Loc loc, int nargs, va_list ap);
/* Shorthand: fn(args...). */
Node *ir_apply_call(Graph *g, Node *fn, Loc loc, int nargs, ...);
/* Appends one more input (lowering adds phi arguments to jumps this way). */
void ir_apply_append(Node *app, Node *arg);
/* Replaces all of app's inputs by in[0..n-1]. */
void ir_apply_set_inputs(Node *app, Node *const *in, int n);

void ir_set_output(Graph *g, Node *out);
void ir_set_input(Node *app, int i, Node *v);
/* Every use of old (inputs and graph outputs) becomes a use of new. */
void ir_replace_all_uses(Node *old, Node *new_);
/* The graph use u is in: its user's, or the graph whose output it is. */
static inline Graph *ir_use_graph(const Use *u) { return u->user ? u->user->graph : u->graph; }
/* The input or graph output that u is makes a use of v instead (u leaves
   the old node's use list; read u->next first when walking that list). */
void ir_use_set(const Use *u, Node *v);
/* The uses of old in g's own body and output become uses of new_;
   returns how many. */
int ir_replace_uses_in(Graph *g, Node *old, Node *new_);

static inline bool ir_is_const_graph(const Node *n) { return n->kind == N_CONST && n->k.kind == K_GRAPH; }
static inline bool ir_is_const_prim(const Node *n, PrimId p)
{
    return n->kind == N_CONST && n->k.kind == K_PRIM && n->k.u.prim == p;
}
/* Whether x applies primitive p; the primitive x applies, or -1. */
static inline bool ir_applies_prim(const Node *x, PrimId p)
{
    return x && x->kind == N_APPLY && x->app.n >= 1 && ir_is_const_prim(x->app.in[0], p);
}
static inline int ir_applied_prim(const Node *x)
{
    if (!x || x->kind != N_APPLY || x->app.n < 1 || x->app.in[0]->kind != N_CONST || x->app.in[0]->k.kind != K_PRIM)
        return -1;
    return (int)x->app.in[0]->k.u.prim;
}
/* rebind(x, key0, j0, key1, j1, ...) (after specialisation, J or Jfwd of a
   function value x) names each function x may be by a key, not by its
   place in x's type: the optimiser may replace x by a value whose type
   names fewer functions.  The key of a graph is its id, of a primitive
   -1 - its PrimId; j_k is a place in the rebind's own type. */
static inline int64_t ir_fn_key(const FnRef *f) { return f->graph ? (int64_t)f->graph->id : -1 - (int64_t)f->prim; }
/* The place in function type t of the function `key` names, or -1. */
int ir_fn_index_of_key(const Type *t, int64_t key);

/* True when a is g or an ancestor of g (O(log depth): nesting can be
   thousands of graphs deep, as in a long elif chain). */
bool ir_graph_encloses(const Graph *a, const Graph *g);

/* ---- traversal (iterative: never recursive over use-def chains) ---------- */

/* The Apply nodes owned by g that running g computes, in a topological
   order (inputs first), appended to out: those the output depends on
   through nodes owned by g, and the free variables owned by g of every
   graph nested in g whose closure g creates, each scheduled before the
   node that uses the closure (so a closure never runs before what it
   captured exists). */
void ir_graph_body(const Graph *g, NodeVec *out);
/* The inputs of body->data[i] (body: what ir_graph_body gave for g), or for
   i == body->len g's output as a one-input node; *n receives the count. */
Node *const *ir_body_inputs(const Graph *g, const NodeVec *body, int i, int *n);
/* True when computing v (an Apply) in its graph makes a closure of u or of
   a graph enclosing u: a closure of u cannot read v (its body would have a
   cycle). */
bool ir_value_holds_closure_of(const Node *v, const Graph *u);
/* Graphs whose Constants appear as inputs (or the output) of g's body. */
void ir_graph_constant_graphs(const Graph *g, GraphVec *out);
/* Nodes owned by strict ancestors of g that a closure of g needs: those
   used by g, by graphs nested in g, and by the blocks they jump to (whose
   closures they create), in first-use order. */
void ir_free_variables(const Graph *g, NodeVec *out);

/* Frees what the module holds outside its arena (its graph and top-level
   lists, traversal scratch).  Call once, when done with the module; the
   arena is the caller's to free. */
void ir_module_free(Module *m);

/* ---- printing and checking (ir/print.c, ir/dot.c, ir/check.c) ------------ */
/* Text form, described in docs/ir.md: graphs in module order (or only
   those reachable from `roots` when nroots > 0), stable and diffable. */
void ir_print_module(const Module *m, Graph *const *roots, int nroots, StrBuf *out);
void ir_print_graph(const Graph *g, StrBuf *out);
/* Graphviz: one cluster per graph, nested graphs as nested clusters. */
void ir_dot_module(const Module *m, Graph *const *roots, int nroots, StrBuf *out);
/* Validates the invariants above (and, when `typed`, that every node has a
   type).  Appends one line per violation to `errs` and returns their count. */
int ir_check(const Module *m, bool typed, StrBuf *errs);
/* The same over the graphs listed, and with the existence rule or
   without: between the optimiser's passes, the module still lists the
   graphs it dropped, and the rule holds only once its end phases have
   made the sources of rebinds read what their transforms read
   (passes/opt.c, rebind_reads). */
int ir_check_graphs(const Module *m, Graph *const *graphs, int ngraphs, bool typed, bool existence, StrBuf *errs);

#endif
