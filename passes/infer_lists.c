/*
 * infer_lists.c: the type rules of the list primitives (ir/prims.def,
 * "lists"), and of + and * when their operands are lists (ty_arith calls
 * infer_list_arith).
 *
 * Like infer_prims.c's rules, each receives argument types that are
 * neither bottom nor TY_ERR and returns the result type, or reports a
 * located error and returns TY_ERR.  A list's element type is the join of
 * every item it is built or changed with (contract 5.1): a change returns
 * a list of the join, and specialisation converts the operands to it.
 * list[?] (the empty list before anything says its element type) joins
 * any list; reading an item of one is an error, since no use says what it
 * would be.
 *
 * The derivative rules (passes/grad_rules.c) apply these primitives to
 * sensitivities and tangents, which may be the symbolic zero: a read, a
 * slice, a change or a sum of a zero list is zero (of its start, for a
 * sum), and a zero item stored into a list is its element's zero
 * (specialise materialises it).
 */
#include "infer.h"

#include <string.h>

static TypeTable *TT(TypeCtx *tc) { return infer_types(tc); }

static bool is_intlike(const Type *t)
{
    return t->kind == T_INT || t->kind == T_BOOL;
}

/* What a list may hold: numbers, bools, tuples of them, lists (contract 5). */
static Type *check_item(TypeCtx *tc, Node *app, Type *t)
{
    if (type_has_function(t))
        return infer_error(tc, app->loc, false, "a list cannot hold functions (here: '%s')",
                           infer_type_name(tc, t));
    if (t->kind == T_ZERO || t->kind == T_ENV)
        return infer_error(tc, app->loc, false, "internal error: a list of '%s'", infer_type_name(tc, t));
    if (t->depth + 1 > INFER_MAX_TUPLE_DEPTH)
        return infer_error(tc, app->loc, false, "lists and tuples are nested too deeply (limit %d levels)",
                           INFER_MAX_TUPLE_DEPTH);
    return t;
}

/* args[k], which must be a list, for `what` (a list used as something
   else: the exported-parameter misuse when it is one). */
static Type *need_list(TypeCtx *tc, Node *app, Type *t, const char *what)
{
    if (t->kind != T_LIST)
        return infer_misuse(tc, app->loc, t, MISUSE_LIST, "%s needs a list, not '%s'", what,
                            infer_type_name(tc, t));
    return t;
}

static Type *need_index(TypeCtx *tc, Node *app, Type *t, const char *what)
{
    if (!is_intlike(t))
        return infer_misuse(tc, app->loc, t, MISUSE_INT, "%s must be integers, not '%s'", what,
                            infer_type_name(tc, t));
    return t;
}

/* The element type of list t, which an item is read from: bottom while t
   is list[?], which may still grow (a comprehension's result before its
   items are typed); specialise reports a read of a list that stays empty
   (LIST_EMPTY_READ_MSG). */
static Type *known_elem(TypeCtx *tc, Node *app, Type *t)
{
    (void)tc, (void)app;
    return type_list_elem(t);
}

/* list[join(elem of l, item)]: the list l changed to hold item too. */
static Type *widened(TypeCtx *tc, Node *app, Type *l, Type *item)
{
    if (item->kind == T_ZERO && type_list_elem(l))     /* a derivative rule's zero item */
        return l;
    if (check_item(tc, app, item) == TY_ERR)
        return TY_ERR;
    Type *e = infer_join(tc, type_list_elem(l), item);
    if (e == TY_ERR)
        return infer_error(tc, app->loc, false, "cannot put a '%s' into a '%s' (a list's items have one type)",
                           infer_type_name(tc, item), infer_type_name(tc, l));
    return type_list(TT(tc), e);
}

Type *ty_list_make(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    Type *e = NULL;
    bool all_zero = n > 0;
    for (int i = 0; i < n; i++)
        all_zero &= args[i]->kind == T_ZERO;
    if (all_zero)       /* a derivative rule's list of zeros */
        return args[0];
    for (int i = 0; i < n; i++) {
        if (args[i]->kind == T_ZERO)    /* joins as the unit */
            continue;
        if (check_item(tc, app, args[i]) == TY_ERR)
            return TY_ERR;
        Type *j = infer_join(tc, e, args[i]);
        if (j == TY_ERR)
            return infer_error(tc, app->loc, false, "list items have incompatible types '%s' and '%s'",
                               infer_type_name(tc, e), infer_type_name(tc, args[i]));
        e = j;
    }
    return type_list(TT(tc), e);
}

/* list_reserve(n): the empty list, list[?] as list_make() (n an int: the
   lowering's count of a loop) */
Type *ty_list_reserve(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (need_index(tc, app, args[0], "a list's room") == TY_ERR)
        return TY_ERR;
    return type_list(TT(tc), NULL);
}

Type *ty_list_len(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)        /* a rule's length of a symbolic zero (whose sensitivity is dropped) */
        return type_int(TT(tc));
    if (args[0]->kind != T_LIST && args[0]->kind != T_TUPLE)
        return infer_misuse(tc, app->loc, args[0], MISUSE_LIST, "object of type '%s' has no len()",
                            infer_type_name(tc, args[0]));
    return type_int(TT(tc));
}

Type *ty_list_get(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (args[0]->kind == T_TUPLE) {
        /* the index of a for loop over a list is its hidden counter, which
           passes/lower.c names NAME.for */
        const char *ix = app->app.in[2]->name;
        size_t len = ix ? strlen(ix) : 0;
        if (len > 4 && strcmp(ix + len - 4, ".for") == 0)
            return infer_error(tc, app->loc, false,
                               "a for loop cannot run over a tuple: it runs over range(...), a list, "
                               "enumerate(list) or zip(lists...)");
        return infer_error(tc, app->loc, false, "tuple index must be an integer constant");
    }
    if (need_list(tc, app, args[0], "indexing with a variable") == TY_ERR ||
        need_index(tc, app, args[1], "list indices") == TY_ERR)
        return TY_ERR;
    return known_elem(tc, app, args[0]);
}

Type *ty_list_set(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (need_list(tc, app, args[0], "item assignment") == TY_ERR ||
        need_index(tc, app, args[1], "list indices") == TY_ERR)
        return TY_ERR;
    return widened(tc, app, args[0], args[2]);
}

Type *ty_list_append(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (need_list(tc, app, args[0], "append()") == TY_ERR)
        return TY_ERR;
    return widened(tc, app, args[0], args[1]);
}

Type *ty_list_pop(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (need_list(tc, app, args[0], "pop()") == TY_ERR || need_index(tc, app, args[1], "pop() indices") == TY_ERR)
        return TY_ERR;
    Type *e = known_elem(tc, app, args[0]);
    if (!e)
        return NULL;
    Type *pair[2] = {args[0], e};
    return type_tuple(TT(tc), pair, 2);
}

Type *ty_list_concat(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO && args[1]->kind == T_ZERO)
        return args[0];
    if (args[0]->kind != T_LIST || args[1]->kind != T_LIST)
        return infer_error(tc, app->loc, false, "can only concatenate a list to a list, not '%s' and '%s'",
                           infer_type_name(tc, args[0]), infer_type_name(tc, args[1]));
    Type *j = infer_join(tc, args[0], args[1]);
    if (j == TY_ERR)
        return infer_error(tc, app->loc, false, "cannot concatenate '%s' and '%s' (a list's items have one type)",
                           infer_type_name(tc, args[0]), infer_type_name(tc, args[1]));
    return j;
}

Type *ty_list_repeat(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (need_list(tc, app, args[0], "repetition") == TY_ERR)
        return TY_ERR;
    if (!is_intlike(args[1]))
        return infer_misuse(tc, app->loc, args[1], MISUSE_INT, "can't multiply a list by non-int of type '%s'",
                            infer_type_name(tc, args[1]));
    return args[0];
}

Type *ty_list_slice(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    Node *mask = app->app.in[5];
    if (mask->kind != N_CONST || mask->k.kind != K_INT)
        return infer_error(tc, app->loc, false, "internal error: list_slice needs a constant mask");
    if (need_list(tc, app, args[0], "slicing") == TY_ERR)
        return TY_ERR;
    for (int k = 0; k < 3; k++)
        if (!(mask->k.u.i & (1 << k)) && need_index(tc, app, args[1 + k], "slice indices") == TY_ERR)
            return TY_ERR;
    return args[0];
}

Type *ty_list_copy(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    return need_list(tc, app, args[0], "list()");
}

/* sum(a, start): ints and bools sum to an int, anything with a float to a
   float; the empty list[?] sums to its start (an int for a bool start). */
Type *ty_list_sum(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)        /* a tangent rule's sum of zeros */
        return args[1];
    if (need_list(tc, app, args[0], "sum()") == TY_ERR)
        return TY_ERR;
    Type *e = type_list_elem(args[0]);
    if (args[1]->kind == T_ZERO && e && type_is_numeric(e))     /* a tangent rule's: zero start */
        return e;
    if ((e && !type_is_numeric(e)) || !type_is_numeric(args[1]))
        return infer_error(tc, app->loc, false, "sum() adds numbers, not '%s' to a start of '%s'",
                           infer_type_name(tc, e ? e : args[0]), infer_type_name(tc, args[1]));
    Type *r = infer_join(tc, e, args[1]);
    return r->kind == T_BOOL ? type_int(TT(tc)) : r;
}

/* acc + x in sum(generator)'s fold: sum's rule for one item, acc standing
   for the start (the first step adds to it). */
Type *ty_sum_add(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (!type_is_numeric(args[0]) || !type_is_numeric(args[1]))
        return infer_error(tc, app->loc, false, "sum() adds numbers, not '%s' to a start of '%s'",
                           infer_type_name(tc, args[1]), infer_type_name(tc, args[0]));
    Type *r = infer_join(tc, args[0], args[1]);
    return r->kind == T_BOOL ? type_int(TT(tc)) : r;
}

Type *ty_list_minmax(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)n;
    const char *name = p->id == P_LIST_MIN ? "min()" : "max()";
    if (need_list(tc, app, args[0], name) == TY_ERR)
        return TY_ERR;
    Type *e = known_elem(tc, app, args[0]);
    if (!e)
        return NULL;
    if (!type_is_numeric(e))
        return infer_error(tc, app->loc, false, "%s of a list needs numbers, not '%s'", name,
                           infer_type_name(tc, e));
    return e;
}

Type *ty_list_contains(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind != T_LIST)
        return infer_misuse(tc, app->loc, args[0], MISUSE_LIST, "'in' needs a list on its right, not '%s'",
                            infer_type_name(tc, args[0]));
    if (type_has_function(args[1]))
        return infer_error(tc, app->loc, false, "'in' cannot compare function values");
    return type_bool(TT(tc));
}

/* list_unslice(d, a, ...) and list_unrepeat(d, a): a sensitivity of a
   (zero when d is). */
Type *ty_list_unslice(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p, (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (args[0]->kind != T_LIST || args[1]->kind != T_LIST)
        return infer_error(tc, app->loc, false, "internal error: %s of '%s' for '%s'", p->name,
                           infer_type_name(tc, args[0]), infer_type_name(tc, args[1]));
    return args[0];
}

Type *ty_list_unrepeat(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    return ty_list_unslice(tc, p, app, args, n);
}

Type *ty_list_argbest(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)n;
    if (need_list(tc, app, args[0], p->name) == TY_ERR)
        return TY_ERR;
    return type_int(TT(tc));
}

Type *infer_list_arith(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args)
{
    bool add = p->id == P_ADD || p->id == P_IADD, mul = p->id == P_MUL || p->id == P_IMUL;
    if (add && args[0]->kind == T_LIST && args[1]->kind == T_LIST)
        return ty_list_concat(tc, prim_info(P_LIST_CONCAT), app, args, 2);
    if (p->id == P_IMUL && args[0]->kind != T_LIST)    /* n *= a: a new list, as CPython's int * list */
        mul = true;
    if (mul && (args[0]->kind == T_LIST) != (args[1]->kind == T_LIST)) {
        Type *rev[2] = {args[1], args[0]};
        return ty_list_repeat(tc, prim_info(P_LIST_REPEAT), app, args[0]->kind == T_LIST ? args : rev, 2);
    }
    return NULL;
}
