/*
 * scc.h: strongly connected components of a directed graph on dense
 * indices 0..n-1 (Tarjan's algorithm, iterative: a path of a million
 * nodes needs no C stack).
 *
 * The graph is given by a callback, so that callers keep their own edge
 * representation: succ(arg, v, i) is v's i-th successor, for i = 0, 1, ...
 * asked in order, once each, or -1 when v has no more.  Successors are
 * visited in that order, so the result is a function of the graph, the
 * roots and the order of each node's successors.
 *
 * Components are numbered in the order Tarjan's algorithm completes them:
 * a component is numbered after every component it reaches (a reverse
 * topological order of the condensation).  Within a component, members
 * are listed in the order they were pushed on Tarjan's stack: the first
 * node of the component that the search entered first.  Only nodes
 * reachable from the roots are visited; the others have comp -1.
 *
 * Users: the J transform's loops (passes/grad.c, find_loops: the blocks
 * on a cycle of tail calls, a component of more than one node or with a
 * self edge), and the backend's recursive components (src/backend/
 * classify.c: functions that call each other run as one machine).
 */
#ifndef MYC_SCC_H
#define MYC_SCC_H

#include "common.h"

typedef int (*SccSucc)(void *arg, int v, int i);

typedef struct Scc {
    int ncomp;
    int *comp;      /* n entries: the node's component, or -1 when not visited */
    int *order;     /* the visited nodes by component, in component order */
    int *start;     /* ncomp + 1 entries: component c is order[start[c] .. start[c + 1]) */
} Scc;

/* The components of the nodes reachable from roots[0..nroots-1], searched
   from each root in turn (roots NULL: from every node, 0 to n-1).  Free
   the result with scc_free. */
void scc_find(int n, const int *roots, int nroots, SccSucc succ, void *arg, Scc *out);
void scc_free(Scc *s);

#endif
