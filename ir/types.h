/*
 * types.h: the types of the language, interned so that equal types are the
 * same pointer.  float, int, bool, tuples of types, lists, and function values.
 *
 * A function type is a set of function references: each names a graph (a
 * closure of it) or a primitive used as a value.  During inference a
 * reference also carries the inference context its free variables were
 * typed in (opaque here); after specialisation ctx is NULL and the graphs
 * are the specialised ones.  "No information yet" (bottom) is NULL.
 */
#ifndef MYC_TYPES_H
#define MYC_TYPES_H

#include "../src/util/common.h"

typedef struct Graph Graph;
typedef struct Type Type;
typedef struct TypeTable TypeTable;

/* T_ZERO and T_ENV exist only in differentiated code (passes/grad.c):
   T_ZERO is a sensitivity or tangent known to be zero (a symbolic zero: no
   data at run time); T_ENV the sensitivities of a closure's free
   variables, keyed by variable. */
/* T_LIST: a list (contract section 5) with n == 1 and elems[0] its element
   type; or, with n == 0, the type of an empty list whose element type
   nothing has said yet ("list[?]": `[]` before a join or an annotation
   gives it one; its only value is the empty list). */
typedef enum TypeKind { T_BOOL, T_INT, T_FLOAT, T_TUPLE, T_FUNC, T_ZERO, T_ENV, T_LIST } TypeKind;

enum { TYPE_MAX_TUPLE_DEPTH = 32 };    /* tuples nest at most this deep (values and annotations) */

typedef struct FnRef {
    Graph *graph;       /* NULL for a primitive */
    int prim;           /* PrimId when graph == NULL, else -1 */
    void *ctx;          /* inference context (see passes/infer.c), or NULL */
    const void *site;   /* inference: the Constant a function value comes from, for functions
                           whose values must be told apart by origin; NULL otherwise */
} FnRef;

struct Type {
    TypeKind kind;
    int n;              /* T_TUPLE: element count; T_FUNC: number of refs; T_LIST: 1, or 0 for list[?] */
    Type **elems;       /* T_TUPLE, T_LIST */
    FnRef *fns;         /* T_FUNC: sorted, no duplicates */
    uint32_t id;        /* unique per table */
    int depth;          /* tuple and list nesting depth (scalars and functions: 0) */
};

TypeTable *types_new(Arena *arena);
Type *type_bool(TypeTable *tt);
Type *type_int(TypeTable *tt);
Type *type_float(TypeTable *tt);
Type *type_zero(TypeTable *tt);
Type *type_env(TypeTable *tt);
Type *type_tuple(TypeTable *tt, Type *const *elems, int n);
Type *type_func(TypeTable *tt, const FnRef *fns, int n);   /* fns need not be sorted */
/* list[elem]; elem NULL gives list[?], the type of an empty list whose
   element type is not known yet. */
Type *type_list(TypeTable *tt, Type *elem);
/* A list's element type, NULL for list[?]. */
static inline Type *type_list_elem(const Type *t) { return t->n ? t->elems[0] : NULL; }

static inline bool type_is_scalar(const Type *t) { return t && t->kind <= T_FLOAT; }
static inline bool type_is_numeric(const Type *t) { return t && t->kind <= T_FLOAT; }
/* A float, the symbolic zero or a tuple of those: a sensitivity type all of
   whose values have one shape, and whose all-zero value is its zero. */
bool type_is_float_shaped(const Type *t);
/* Whether a value of type t may share a list's storage: a list, a tuple
   holding one, a function (a closure may have captured one), or an
   unknown type (NULL). */
bool type_may_hold_list(const Type *t);
/* A function type, or a tuple or list holding one; an unknown type (NULL) may be one. */
bool type_has_function(const Type *t);

/* A list type seen as a block of scalars of one kind (the C ABI of lists,
   contract 5.5): list[S] (dims 1) or list[list[S]] (dims 2, a rectangular
   block row-major) where S, the item, is a scalar or a tuple, nested or
   not, whose leaves are one or more scalars of one kind.  An item's
   leaves lie one after another in memory, as an array of that scalar
   (backend/lists.c's item layout). */
typedef struct ListBlock {
    int dims;           /* 1 or 2 */
    TypeKind leaf;      /* T_FLOAT, T_INT or T_BOOL */
    int per_item;       /* how many leaves one item holds (1 for a scalar item) */
    const Type *item;   /* S */
} ListBlock;
/* Whether list type t is such a block (out, may be NULL, describes it):
   false for list[?], deeper nesting, an item holding a list or a function,
   a tuple item whose leaves differ in kind or that has none. */
bool type_list_block(const Type *t, ListBlock *out);
/* The first list in t (t itself, or depth-first among a tuple's items)
   that is not a block, so that the C ABI cannot pass it (contract 5.5);
   NULL when there is none. */
const Type *type_unpassable_list(const Type *t);

/* Source-level spelling: float, int, bool, (float, int), list[float], list[?], fn{f, g}. */
void type_str(const Type *t, StrBuf *out);
/* Same, into an arena string (for messages). */
const char *type_name(Arena *a, const Type *t);

#endif
