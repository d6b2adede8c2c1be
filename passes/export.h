/*
 * export.h: the graph behind the C ABI's NAME_grad (contract section 3),
 * built in the lowered module before inference (passes/export.c).
 *
 * For a top-level function fn(p1, ..., pn) whose parameters flatten into C
 * leaves l1..lm (tuple parameters depth-first; types from the annotations,
 * float where there is none), the graph
 *
 *     fn$grad(l1, ..., lm) = value_and_grad(inner, (0, ..., k-1))(f1, ..., fk)
 *
 * where f1..fk are the float leaves and inner(f1..fk) rebuilds fn's
 * arguments from them and the other leaves (ints and bools, read from the
 * enclosing graph) and calls fn.  Its result is (value, (d1, ..., dk)): the
 * value of fn and one derivative per float leaf, in the C ABI's order.
 * Only float leaves are differentiated, so fn computes with its int and
 * bool parameters exactly as when called directly.
 */
#ifndef MYC_EXPORT_H
#define MYC_EXPORT_H

#include "../ir/ir.h"

/* Builds fn$grad in m; *leaf_types (malloc'd) receives the types of its
   parameters, for inference's entry. */
Graph *export_grad_graph(Module *m, Graph *fn, Type ***leaf_types);

#endif
