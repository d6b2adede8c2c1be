/*
 * infer.h: type inference and specialisation (monomorphisation).
 *
 * Assumes: a module as lowering builds it (ir_check passes), untyped.
 * Guarantees: a new module whose graphs are the specialised clones of every
 * function reachable from the entries: one clone per (function, enclosing
 * context, argument types), every node typed, every call resolved to known
 * graphs, and explicit conversions wherever the language converts
 * implicitly (int/bool to float at arithmetic, joins, annotated parameters
 * and returns), so that each primitive sees operands of one type -- except
 * comparisons of an int with a float, which compare exactly as CPython does
 * (converting the int first would round it).
 */
#ifndef MYC_INFER_H
#define MYC_INFER_H

#include "../ir/ir.h"
#include "../src/util/diag.h"

enum {
    INFER_MAX_SPECIALISATIONS = 256,   /* per source function */
    INFER_MAX_TUPLE_DEPTH = TYPE_MAX_TUPLE_DEPTH,
    INFER_MAX_ROUNDS = 8,               /* re-runs telling function values apart by origin */
    INFER_MAX_EXPANSIONS = 200,         /* re-runs typing graphs the differentiation transforms made */
};

/* What an exported function's unannotated parameter (taken as a float) is
   used as where a use shows it cannot be one: why the function has no C
   signature. */
typedef enum InferMisuse { MISUSE_OTHER, MISUSE_INT, MISUSE_TUPLE, MISUSE_FUNCTION, MISUSE_LIST } InferMisuse;

/* Why an export entry was dropped (InferEntry.dropped). */
typedef enum InferDrop {
    DROP_NONE,
    DROP_PARAM_USE,     /* parameter `param` is used as `as`, at `at` */
    DROP_PARAM_FN,      /* parameter `param`'s type holds a function */
    DROP_RESULT_FN,     /* the result holds a function */
    DROP_PARAM_LIST,    /* parameter `param`'s type holds a list the C ABI does not pass (type_unpassable_list) */
    DROP_RESULT_LIST,   /* the result holds such a list */
} InferDrop;

typedef struct InferEntry {
    Graph *fn;          /* a top-level G_FUNCTION or G_CONST graph */
    Type **args;        /* argument types (fn->nparams of them); NULL entries: float (the C ABI default) */
    bool required;      /* report every error; otherwise an entry whose parameters cannot be the
                           given types (a parameter used as a function or tuple) is dropped, with
                           the reason below (the driver warns where a C signature was wanted) */
    Graph *result;      /* out: the specialised graph, or NULL when dropped or on error */
    InferDrop dropped;  /* out: why it was dropped (DROP_NONE: it was not) */
    int param;          /* out: the parameter concerned (-1: not known) */
    InferMisuse as;     /* out: DROP_PARAM_USE: what it is used as */
    Loc at;             /* out: DROP_PARAM_USE: where */
    const Type *list;   /* out: DROP_PARAM_LIST, DROP_RESULT_LIST: the list type the C ABI does not pass */
    bool list_whole;    /* out: ... and it is the whole parameter or result (not an item of a tuple) */
} InferEntry;

/* Infers and specialises; reports errors into d.  Returns the specialised
   module (sharing m's arena and type table), or NULL when errors were
   reported.  The differentiation operators are expanded on the way: the
   transforms (passes/grad.h) add their graphs, untyped, to m, where they
   stay; their memo is this call's, freed before it returns.  When
   j_seconds is not NULL it is set to the wall time spent building those
   transforms (-ftime-report), a part of the call's. */
Module *infer_module(Module *m, Diags *d, InferEntry *entries, int nentries, double *j_seconds);

/* ---- the type rules (the type_rule column of ir/prims.def) ----------------- */
typedef struct TypeCtx TypeCtx;     /* passes/infer_impl.h */

/* Returns the result type, or NULL after reporting an error through tc. */
typedef Type *(*PrimTypeRule)(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int nargs);

/* The type rule of primitive p (passes/infer_prims.c). */
PrimTypeRule prim_type_rule(PrimId p);

/* The rules prims.def names (infer_prims.c; the lists': infer_lists.c; J, Jfwd and derive: infer.c). */
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) Type *ty(TypeCtx *, const PrimInfo *, Node *, Type **, int);
#include "../ir/prims.def"
#undef PRIM

/* ---- for the type rules in infer_prims.c ----------------------------------- */
/* The error type: the result of an ill-typed operation (never reported twice). */
extern Type infer_error_type;
#define TY_ERR (&infer_error_type)

TypeTable *infer_types(TypeCtx *tc);
/* Records an error at loc.  `shape` marks errors caused by a value used as a
   function or tuple when it is not one (what makes an exported signature
   impossible rather than the program wrong). Returns TY_ERR. */
Type *infer_error(TypeCtx *tc, Loc loc, bool shape, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for value t used as `as` when it cannot be one: a shape error
   when t is an exported parameter's marked float (remembering which
   parameter, and the use), else an error. */
Type *infer_misuse(TypeCtx *tc, Loc loc, const Type *t, InferMisuse as, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The join of two types (int|float = float, bool|int = int, tuples
   elementwise, lists by their items (list[?] joins any list), functions
   by union), or TY_ERR. NULL is bottom. */
Type *infer_join(TypeCtx *tc, Type *a, Type *b);
/* True for the type of an exported function's unannotated parameter (see
   infer.c): a float whose misuse as a function or tuple means "not
   exportable", not "wrong". */
bool infer_is_default_float(const Type *t);
/* Short type name for messages. */
const char *infer_type_name(TypeCtx *tc, Type *t);
/* check_result(y, what): whether y's type t may be the result of a
   function grad (what 0), vjp (1) or jvp (2) differentiates (3, 4: vjp's
   and jvp's C ABI variants, which also take int and bool leaves), else the
   message into sb.  An int or a bool may still become a float while
   inference runs (`1 if n == 0 else x * f(x, n - 1)`): it passes unless
   `final` (specialisation checks the final type). */
bool infer_result_ok(TypeCtx *tc, Type *t, int64_t what, bool final, StrBuf *sb);
/* a + b and a * n (either order) when an operand is a list: the type of
   list_concat or list_repeat, TY_ERR after an error, or NULL when the
   operator is another (infer_lists.c). */
Type *infer_list_arith(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args);

#endif
