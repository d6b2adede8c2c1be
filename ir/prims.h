/*
 * prims.h: the primitive table (see prims.def for the list and columns).
 *
 * Only the IR layer's columns: a primitive's type rule is prim_type_rule
 * (passes/infer.h), its derivative rule prim_diff_rule (passes/grad.h).
 */
#ifndef MYC_PRIMS_H
#define MYC_PRIMS_H

#include "../src/util/common.h"

typedef struct Value Value;         /* ir/value.h */
typedef struct EvalCtx EvalCtx;     /* ir/interp.c */

typedef enum PrimId {
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) P_##id,
#include "prims.def"
#undef PRIM
    P__COUNT
} PrimId;

enum {
    PF_BUILTIN = 1 << 0,    /* a builtin name users can write */
    PF_ARITH = 1 << 1,      /* arithmetic operator */
    PF_COMPARE = 1 << 2,    /* comparison operator */
    PF_RAISES = 1 << 3,     /* may raise a runtime error */
};

typedef struct PrimInfo PrimInfo;

/* Returns 0 and sets *out, or non-zero after reporting a runtime error through cx. */
typedef int (*PrimEvalFn)(EvalCtx *cx, const PrimInfo *p, const Value *args, int nargs, Value *out);

struct PrimInfo {
    PrimId id;
    const char *name;
    int arity;
    unsigned flags;
    PrimEvalFn eval;
    double (*libm1)(double);
    double (*libm2)(double, double);
};

extern const PrimInfo prim_table[P__COUNT];

/* The evaluators (ir/prim_eval.c) named in prims.def. */
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) int ev(EvalCtx *, const PrimInfo *, const Value *, int, Value *);
#include "prims.def"
#undef PRIM

static inline const PrimInfo *prim_info(PrimId id) { return &prim_table[id]; }
/* list_get, or list_item (a read the lowering proved in range): the
   same read of a[i] for every pass but the backend and the interpreter. */
static inline bool prim_reads_item(int p) { return p == P_LIST_GET || p == P_LIST_ITEM; }
/* list_append, or list_push (a comprehension's append into reserved room):
   the same change for every pass before passes/inplace.c. */
static inline bool prim_appends(int p) { return p == P_LIST_APPEND || p == P_LIST_PUSH; }

/* The builtin named `name` (PF_BUILTIN), or -1. */
int prim_builtin_lookup(const char *name);

#endif
