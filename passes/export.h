/*
 * export.h: the graphs behind the C ABI's NAME_grad, NAME_vjp and NAME_jvp
 * (contract section 3), built in the lowered module before inference
 * (passes/export.c).  Each is a synthesised top-level function that applies
 * the language's own operator (a derive() node, as lowering makes them),
 * so inference, the transforms' nesting and the optimiser treat it exactly
 * like in-language use.
 *
 * For a top-level function fn(p1, ..., pn) whose parameters flatten into C
 * leaves l1..lm (tuple parameters depth-first, a list a leaf; types from
 * the annotations, float where there is none), with differentiable leaves
 * f1..fk (floats, and lists whose items hold floats: contract 5.5), let
 * inner(f1..fk) rebuild fn's arguments from them and the other leaves
 * (ints, bools and lists of them, read from the enclosing graph) and call
 * fn.  Only those leaves are differentiated, so fn computes with its int
 * and bool parameters exactly as when called directly (a list leaf's
 * derivative is a list of its shape).  Then:
 *
 *     fn$grad(l1..lm)            = value_and_grad(inner, (0..k-1))(f1..fk)
 *                                  -> (value, (d1, ..., dk))
 *     fn$vjp(l1..lm, dy1..dyq)   = (y, pb) = vjp(inner, f1..fk); (y, pb(dy))
 *                                  -> (y, (d1, ..., dk))
 *     fn$jvp(l1..lm, t1..tk)     = jvp(inner, (f1..fk), (t1..tk))
 *                                  -> (y, ty)
 *
 * where dy has the shape of fn's result with dy1..dyq at its
 * differentiable leaves (floats and float lists, in order), 0.0 at its int
 * and bool leaves and y's own list at a list of ints or bools (whose
 * sensitivity is the symbolic zero: the operator only checks its length),
 * t1..tk have the types of f1..fk, and ty has the shape of y (a float or
 * float list at each such leaf, a symbolic zero at each int or bool leaf).
 * The vjp and jvp are the operators' C ABI variant (derive()'s tuple flag
 * set, grad.h): their result may have int and bool leaves, which the
 * language's vjp and jvp reject.  Every derivative is in the C ABI's order.
 */
#ifndef MYC_EXPORT_H
#define MYC_EXPORT_H

#include "../ir/ir.h"
#include "grad.h"

/* Builds fn$grad in m; *leaf_types (in m's arena) receives the types of
   its parameters, for inference's entry. */
Graph *export_grad_graph(Module *m, Graph *fn, Type ***leaf_types);

/* Builds fn$vjp in m, for fn's result type `result` (from an inference of
   the exports: scalars, lists and tuples of them); *param_types as above. */
Graph *export_vjp_graph(Module *m, Graph *fn, Type *result, Type ***param_types);

/* Builds fn$jvp in m; *param_types as above. */
Graph *export_jvp_graph(Module *m, Graph *fn, Type ***param_types);

#endif
