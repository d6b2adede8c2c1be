/*
 * inplace.h: which list changes reuse their operand's storage
 * (passes/inplace.c), the last pass on the graph IR before the backend.
 *
 * In the IR a list is a value: list_set(a, i, v) is a new list, and a is
 * unchanged.  Native code would copy a on every change; this pass finds
 * the changes after which nothing reads a (its *last use*, a being owned:
 * no other value shares its storage) and turns them into the `_inplace`
 * primitives, which change a's storage and return it (O(1), amortised for
 * list_append).  The proof is about the IR alone: a program is compiled
 * correctly whatever the pass decides, and a change it cannot prove safe
 * copies.  (Which programs are accepted at all -- the aliasing rule of
 * contract 5.3 that makes CPython's shared lists agree with values -- is
 * checked on the source, before any of this.)
 *
 * Assumes: a closure-converted module (passes/closure.h: every graph top
 * level, free variables passed as parameters), typed, with no `_inplace`
 * primitive yet.
 *
 * Guarantees, for every `_inplace` application D with list operand a (and
 * every call that hands a over to a parameter the callee changes in place):
 *   - a is owned: made by a primitive that returns a new list, a change's
 *     result, the result of a call whose callee returns an owned list, a
 *     parameter that every call of its graph hands over, or read out of
 *     an owned container (a tuple or env that took its lists over and is
 *     taken apart, each part read out once: derived code only, so the C
 *     ABI never hands a container over);
 *   - no other use of a can run after D: each is an input of D (through a
 *     depend(uses..., a) wrapped around D's operand, so the backend's
 *     schedule runs it first) and none depends on D's result;
 *   - a is not stored anywhere (tuple, list, closure that may run later)
 *     where it could be read after D, nor is it the graph's result.
 * A call site that passes a value it cannot hand over to such a parameter
 * passes list_copy(value) instead.  A list_push made in place (a
 * comprehension's append, whose accumulator started as list_reserve of
 * its loop's count) is list_push_inplace, which native code stores without
 * a capacity check, only when its list comes from list_reserve through
 * list_push_inplace, depend and parameters alone, every entry of each such
 * parameter passing such a list (not a call site's copy: a copy has no
 * spare room); else it is list_append_inplace.  Graph.consumed[k] records the list
 * parameters a graph may change in place (changed by an `_inplace`
 * primitive, returned, or handed to such a parameter): a caller from
 * outside the module (the C ABI, `myc run`) must pass a list no one else
 * reads.  Every other list parameter's storage is only read, by the graph
 * and by everything it hands the list to: a caller from outside may pass
 * memory it does not own (the C ABI passes the C caller's buffer).
 * Node.param.length_only marks each captured flat-list parameter of
 * which its graph, and everything it hands the list to, reads only the
 * length (a backpropagator keeping a primal list for its shape), in
 * graphs whose records no rebind copies: the backend's closure record
 * keeps the length alone (8 bytes, not the list's 24), and the graph
 * sees a list with that length and no storage.
 */
#ifndef MYC_INPLACE_H
#define MYC_INPLACE_H

#include "../ir/ir.h"

typedef struct InplaceStats {
    int inplace;        /* changes made _inplace */
    int copies;         /* changes left copying */
    int site_copies;    /* list_copy inserted at call sites */
} InplaceStats;

/* Rewrites m as above; st (may be NULL) receives the counts. */
void inplace_module(Module *m, InplaceStats *st);

#endif
