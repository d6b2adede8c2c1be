/*
 * value.h: run-time values of the reference interpreter (ir/interp.c) and of
 * the primitive evaluators (ir/prim_eval.c).
 *
 * A Value is a small tagged union passed by value.  Scalars live in it;
 * tuples and closures are heap objects owned by an Interp's collector
 * (see the memory note in interp.c): a pointer to one stays valid while the
 * object is reachable from a root (an active frame, or a pinned value).
 */
#ifndef MYC_VALUE_H
#define MYC_VALUE_H

#include "../src/util/common.h"

typedef struct Graph Graph;
typedef struct Frame Frame;         /* interp.c: a graph's activation record */

typedef enum ValueKind {
    V_UNSET,        /* no value: a slot not computed yet; never a program value */
    V_BOOL,         /* b */
    V_INT,          /* i */
    V_FLOAT,        /* f */
    V_TUPLE,        /* tup */
    V_CLOSURE,      /* clo: a graph and the frame it closes over */
    V_PRIM,         /* prim: a PrimId used as a function value */
    V_ZERO,         /* differentiated code: a symbolic zero sensitivity */
    V_ENV,          /* env: differentiated code: sensitivities by variable */
    V_LIST,         /* list */
} ValueKind;

typedef struct Value {
    ValueKind kind;
    union {
        bool b;
        int64_t i;
        double f;
        struct Tuple *tup;
        struct Closure *clo;
        struct Env *env;
        struct List *list;
        int prim;
    };
} Value;

/* Header of every collected object (tuples, closures, frames). */
typedef enum GcKind { GC_TUPLE, GC_CLOSURE, GC_FRAME, GC_ENV, GC_LIST } GcKind;
typedef struct GcObj {
    struct GcObj *next;     /* all objects of one Interp, newest first */
    size_t size;            /* bytes, for the heap statistics */
    uint8_t kind;           /* GcKind */
    uint8_t mark;
} GcObj;

typedef struct Tuple {
    GcObj gc;
    int n;
    Value items[];
} Tuple;

/* A list: len items in a separately allocated buffer of cap (freed with
   the list).  Lists are values (contract section 5): the evaluators never
   change a list that a Value already holds, except a fresh one they are
   building. */
typedef struct List {
    GcObj gc;
    int64_t len, cap;
    Value *items;
    /* An in-place change of the length (list_append_inplace, ...) moves
       the storage to a new List: this one keeps its length (a list's
       length is part of its value, as in native code), its items are gone
       (NULL), and `shape` is what one of them was -- a flat list's items
       all have one shape, which is all a sensitivity operation reads of
       such a list (passes/inplace.c lets it, after the change). */
    bool moved;
    Value shape;
} List;

/* Item i of l where only its shape is read (the sensitivity operations'
   shape operands): the item, or a moved list's `shape`. */
static inline const Value *list_shape_item(const List *l, int64_t i)
{
    return l->moved ? &l->shape : &l->items[i];
}

typedef struct Closure {
    GcObj gc;
    Graph *graph;
    Frame *env;             /* frame of graph->parent; NULL for top-level graphs */
    struct Tuple *bound;    /* after closure conversion: the values of graph's last
                               graph->nfree parameters (make_closure), or NULL */
} Closure;

/* An env: n (key, value) pairs, keys distinct, in no particular order;
   never changed once built (env_set copies). */
typedef struct Env {
    GcObj gc;
    int n;
    int64_t *keys;          /* points into the object, after vals */
    Value vals[];
} Env;

static inline Value value_bool(bool b) { Value v = {.kind = V_BOOL, .b = b}; return v; }
static inline Value value_int(int64_t i) { Value v = {.kind = V_INT, .i = i}; return v; }
static inline Value value_float(double f) { Value v = {.kind = V_FLOAT, .f = f}; return v; }
static inline Value value_prim(int p) { Value v = {.kind = V_PRIM, .prim = p}; return v; }
static inline Value value_tuple(Tuple *t) { Value v = {.kind = V_TUPLE, .tup = t}; return v; }
static inline Value value_zero(void) { Value v = {.kind = V_ZERO}; return v; }
static inline Value value_env(Env *e) { Value v = {.kind = V_ENV, .env = e}; return v; }
static inline Value value_list(List *l) { Value v = {.kind = V_LIST, .list = l}; return v; }

/* CPython's repr(): 1.0, 0.1, 3, True, (1.0, 2), (0.5,), (), [1.0, 2.0], [], nan, -inf.
   Functions print as <function NAME> and <built-in function NAME>. */
void value_repr(const Value *v, StrBuf *out);
/* Python's type name of v: "int", "tuple", "function", ... */
const char *value_type_name(const Value *v);

#endif
