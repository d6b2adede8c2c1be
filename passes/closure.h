/*
 * closure.h: closure conversion, the last pass on the graph IR before the
 * backend (passes/closure.c).
 *
 * Assumes a typed, specialised module with every differentiation operator
 * expanded (the `grad` stage).  Rewrites it in place so that:
 *
 *   - every graph is top level (parent NULL): a graph that read nodes of
 *     enclosing graphs (its free variables) takes them as trailing
 *     parameters, g->nfree of them, each with param.captured set to the
 *     variable it stands for;
 *   - a graph constant used as a value becomes make_closure(G, v1..vk), the
 *     closure of G binding those parameters (the constant stays when G has
 *     no free variables): the closure's code is G, its environment record
 *     the values v;
 *   - a call of a graph constant is a direct call passing the free
 *     variables after the arguments: G(a1..an, v1..vk);
 *   - rebind(x, ...) (J or Jfwd of a closure value) rebinds by variable:
 *     the transform's free variables are among the original's.
 *
 * Types are kept (a make_closure has the type its constant had), so the
 * typed IR checker validates the result and the reference interpreter
 * runs it.  Self tail calls and jumps between the blocks of a function
 * become loops in the backend (src/backend/), which reads the result.
 */
#ifndef MYC_CLOSURE_H
#define MYC_CLOSURE_H

#include "../ir/ir.h"

/* The free variables of every graph: fv[g->id] lists the nodes of g's
   strict ancestors that a closure of g must hold (those g reads, and those
   of the graphs whose closures g makes or jumps to), in a fixed order.
   The least solution of those equations, so a block's own nodes never
   count as free in the blocks that jump back to it. */
typedef struct FreeVars {
    NodeVec *fv;
    uint32_t n;
} FreeVars;
void closure_free_vars(Module *m, FreeVars *out);
void closure_free_vars_free(FreeVars *fv);

/* Converts m in place (see above). */
void closure_convert(Module *m);

#endif
