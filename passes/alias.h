/*
 * alias.h: the aliasing rule of contract section 5.3 (passes/alias.c).
 *
 * In CPython a list is an object that every reference to it shares; in
 * myc a list is a value.  The two give the same answers whenever no other
 * reference to a changed list is used after the change.  This pass proves
 * that for every change of a list (item assignment, append, extend, pop,
 * += and *= on a list) and every call that hands a list to a function that
 * changes its parameter, or reports a located error at the change with a
 * note at the other reference and the fix.  The rule is conservative: a
 * program it accepts computes CPython's answer; a program it rejects may
 * have been fine, and the message says how to make the copy explicit.
 *
 * Assumes: the typed, specialised module inference returns (before the
 * optimiser: the graphs still have the source's shape and the nodes
 * lowering made keep their source order in Node.seq).
 * Guarantees: nothing changes in the module; errors go into d.
 */
#ifndef MYC_ALIAS_H
#define MYC_ALIAS_H

#include "../ir/ir.h"
#include "../src/util/diag.h"

/* Checks m; returns the number of errors reported. */
int alias_check(Module *m, Diags *d);

#endif
