/*
 * classify.h: the shape of the code before any LLVM is built -- which
 * graphs of a closure-converted module become LLVM functions, which become
 * basic blocks of another graph's function, and which functions call each
 * other recursively.  src/backend/classify.c; no LLVM here.
 *
 * Assumes a closure-converted, typed module (passes/closure.h) that does
 * not change while the backend reads it: every graph top level, closures
 * built by make_closure, a function value's type listing the graphs it may
 * be (so every graph code may enter is reachable through constants and
 * types).
 *
 * Guarantees, for the graphs cg_reachable lists:
 *   - a *block* is a graph whose constant is used only as the target of
 *     jumps -- tail calls, directly or through switch(c, A, B)() -- from
 *     graphs of one function, and which is not a root (called from C or
 *     made a closure of by rebind); its group is that function's unit.
 *     Every other graph is a *unit* (an LLVM function), its own group;
 *   - units are numbered into the strongly connected components of the
 *     call graph between groups (a self tail call is a loop, not an edge);
 *     a component of several units, or of one that calls itself, is a
 *     *machine* (src/backend/machine.c), its units numbered 0.. (mindex).
 *     Numbering follows the order of the graphs given, so it, and the
 *     module built from it, is deterministic.
 */
#ifndef MYC_CLASSIFY_H
#define MYC_CLASSIFY_H

#include "../../ir/ir.h"

/* Each graph's body (ir_graph_body, in schedule order), computed once. */
typedef struct Bodies {
    uint32_t n;                 /* graph ids: m->ngraph_ids */
    NodeVec *of;                /* by graph id */
    uint8_t *have;
} Bodies;

void cg_bodies_init(Bodies *b, uint32_t ngraph_ids);
const NodeVec *cg_body(Bodies *b, const Graph *g);
void cg_bodies_free(Bodies *b);

typedef enum GKind { GK_NONE, GK_UNIT, GK_BLOCK } GKind;

/* What classification says of one graph (by graph id). */
typedef struct GClass {
    GKind kind;
    Graph *group;               /* the unit whose LLVM function holds this graph */
    int scc;                    /* units: component id */
    bool machine;               /* units: part of a recursive component */
    int mindex;                 /* units in a machine: entry index */
} GClass;

/* Is x make_closure(G, ...)? */
bool cg_is_make_closure(const Node *x);

/* The graph a callee operand names statically: a graph constant or a
   make_closure node; NULL otherwise. */
Graph *cg_static_graph(const Node *x);

/* Appends to out the graphs that code may reach from roots (NULL entries
   skipped), through graph constants and function types (rebind makes
   closures of graphs named only by types), in the order a worklist stack
   visits them. */
void cg_reachable(Bodies *b, Graph *const *roots, int nroots, GraphVec *out);

/* One pass over the bodies of graphs[0..n-1] (nnodes: m->nnodes):
   const_uses[graph id] gets the constant nodes naming that graph (each
   node once); is_root[graph id] is set for the graphs a rebind makes
   closures of (named by types only, never jumped to); elided[node id] is
   set for the make_closure and switch nodes whose every use calls them,
   so that no closure value need be built. */
void cg_scan_uses(Bodies *b, Graph *const *graphs, int n, uint32_t nnodes, NodeVec *const_uses, bool *is_root,
                  uint8_t *elided);

/* Units, blocks and groups of graphs[0..n-1] into cls (by graph id, ngi
   entries), from the uses of their constants (cg_scan_uses). */
void cg_classify(GClass *cls, uint32_t ngi, Graph *const *graphs, int n, const bool *is_root,
                 const NodeVec *const_uses);

/* The recursive components of the units of graphs[0..n-1] (after
   cg_classify): scc, machine and mindex of each unit. */
void cg_find_components(GClass *cls, uint32_t ngi, Bodies *b, Graph *const *graphs, int n);

#endif
