/*
 * infer_prims.c: the type rule of every primitive (named in ir/prims.def).
 *
 * A rule receives the argument types, none of them bottom or TY_ERR (the
 * engine handles those), and returns the result type or reports an error
 * through infer_error() and returns TY_ERR.  Messages follow CPython's
 * wording where CPython has one.
 */
#include "infer.h"

static const char *op_symbol(PrimId p)
{
    switch (p) {
    case P_ADD: return "+";
    case P_SUB: return "-";
    case P_MUL: return "*";
    case P_TRUEDIV: return "/";
    case P_FLOORDIV: return "//";
    case P_MOD: return "%";
    case P_POW: return "**";
    case P_NEG: return "unary -";
    case P_POS: return "unary +";
    case P_LT: return "<";
    case P_LE: return "<=";
    case P_GT: return ">";
    case P_GE: return ">=";
    case P_EQ: return "==";
    case P_NE: return "!=";
    default: return prim_info(p)->name;
    }
}

static bool all_numeric(Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (!type_is_numeric(args[i]))
            return false;
    return true;
}

/* A float computed from an exported parameter's marked float keeps the
   mark (see infer_default_float). */
static Type *float_result(TypeCtx *tc, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (infer_is_default_float(args[i]))
            return infer_default_float();
    return type_float(infer_types(tc));
}

/* bool counts as int; float wins. */
static Type *numeric_result(TypeCtx *tc, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (args[i]->kind == T_FLOAT)
            return float_result(tc, args, n);
    return type_int(infer_types(tc));
}

static Type *operand_error(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    if (n == 1)
        return infer_error(tc, app->loc, false, "bad operand type for %s: '%s'", op_symbol(p->id),
                           infer_type_name(tc, args[0]));
    return infer_error(tc, app->loc, false, "unsupported operand types for %s: '%s' and '%s'",
                       op_symbol(p->id), infer_type_name(tc, args[0]), infer_type_name(tc, args[1]));
}

Type *ty_arith(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    if (!all_numeric(args, n))
        return operand_error(tc, p, app, args, n);
    return numeric_result(tc, args, n);
}

Type *ty_truediv(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    if (!all_numeric(args, n))
        return operand_error(tc, p, app, args, n);
    return float_result(tc, args, n);
}

/* int ** int is an int only when the exponent is a non-negative constant
   (CPython gives a float for negative exponents; myc cannot know the sign
   of a variable exponent, so it gives a float: a documented difference). */
Type *ty_pow_op(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    if (!all_numeric(args, n))
        return operand_error(tc, p, app, args, n);
    TypeTable *tt = infer_types(tc);
    if (args[0]->kind == T_FLOAT || args[1]->kind == T_FLOAT)
        return float_result(tc, args, n);
    Node *e = app->app.in[2];
    if (e->kind == N_CONST && ((e->k.kind == K_INT && e->k.u.i >= 0) || e->k.kind == K_BOOL))
        return type_int(tt);
    return type_float(tt);
}

/* neg, pos, abs: bool becomes int. */
Type *ty_unary(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    if (!all_numeric(args, n))
        return operand_error(tc, p, app, args, n);
    return numeric_result(tc, args, n);
}

Type *ty_compare(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    if (!all_numeric(args, n))
        return infer_error(tc, app->loc, false, "'%s' not supported between values of type '%s' and '%s'",
                           op_symbol(p->id), infer_type_name(tc, args[0]), infer_type_name(tc, args[1]));
    return type_bool(infer_types(tc));
}

static bool has_function(const Type *t)
{
    if (t->kind == T_FUNC)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (has_function(t->elems[i]))
            return true;
    return false;
}

/* == and != compare numbers and tuples (structurally, as CPython does).
   Not functions: CPython compares them by identity, which specialised
   closures do not keep, so myc cannot promise CPython's answer. */
Type *ty_equality(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (has_function(args[i]))
            return infer_error(tc, app->loc, false, "'%s' cannot compare function values",
                               op_symbol(p->id));
    return type_bool(infer_types(tc));
}

/* Conditions, `not` and the operands of and/or: bool, int or float (the
   contract's list; a tuple or a function there is almost surely a slip,
   even though CPython would take it). */
static Type *condition_error(TypeCtx *tc, Node *app, Type *t)
{
    return infer_error(tc, app->loc, false, "a condition must be a bool, int or float, not '%s'",
                       infer_type_name(tc, t));
}

Type *ty_truth(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (!type_is_scalar(args[0]))
        return condition_error(tc, app, args[0]);
    return type_bool(infer_types(tc));
}

Type *ty_math(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (!type_is_numeric(args[i]))
            return infer_error(tc, app->loc, false, "%s() needs a number, not '%s'", p->name,
                               infer_type_name(tc, args[i]));
    return type_float(infer_types(tc));
}

/* min and max keep int (or bool) when both arguments have it, else float. */
Type *ty_minmax(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (!type_is_numeric(args[i]))
            return infer_error(tc, app->loc, false, "%s() needs numbers, not '%s'", p->name,
                               infer_type_name(tc, args[i]));
    return infer_join(tc, args[0], args[1]);
}

Type *ty_to_int(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)n;
    if (!type_is_numeric(args[0]))
        return infer_error(tc, app->loc, false, "%s() needs a number, not '%s'", p->name,
                           infer_type_name(tc, args[0]));
    return type_int(infer_types(tc));
}

Type *ty_to_float(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)n;
    if (!type_is_numeric(args[0]))
        return infer_error(tc, app->loc, false, "%s() needs a number, not '%s'", p->name,
                           infer_type_name(tc, args[0]));
    return type_float(infer_types(tc));
}

Type *ty_make_tuple(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    Type *t = type_tuple(infer_types(tc), args, n);
    if (t->depth > INFER_MAX_TUPLE_DEPTH)
        return infer_error(tc, app->loc, false, "tuple nesting is too deep (limit %d levels)",
                           INFER_MAX_TUPLE_DEPTH);
    return t;
}

Type *ty_getitem(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    Node *ix = app->app.in[2];
    if (args[0]->kind != T_TUPLE)
        return infer_error(tc, app->loc, infer_is_default_float(args[0]),
                           "cannot index or unpack a value of type '%s' (only tuples can be)",
                           infer_type_name(tc, args[0]));
    if (ix->kind != N_CONST || ix->k.kind != K_INT)
        return infer_error(tc, app->loc, false, "tuple index must be an integer constant");
    int64_t i = ix->k.u.i, len = args[0]->n;
    if (i < -len || i >= len)
        return infer_error(tc, app->loc, false, "tuple index %lld is out of range for a tuple of length %lld",
                           (long long)i, (long long)len);
    return args[0]->elems[i < 0 ? i + len : i];
}

Type *ty_switch(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (!type_is_scalar(args[0]))
        return condition_error(tc, app, args[0]);
    Type *t = infer_join(tc, args[1], args[2]);
    if (t == TY_ERR)
        return infer_error(tc, app->loc, false, "the two branches have incompatible types '%s' and '%s'",
                           infer_type_name(tc, args[1]), infer_type_name(tc, args[2]));
    return t;
}

static bool is_intlike(const Type *t)
{
    return t->kind == T_INT || t->kind == T_BOOL;
}

Type *ty_range_step(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    for (int i = 0; i < n; i++)
        if (!is_intlike(args[i]))     /* an exported parameter used as a bound: meant to be an int */
            return infer_error(tc, app->loc, infer_is_default_float(args[i]),
                               "range() arguments must be integers, not '%s'", infer_type_name(tc, args[i]));
    return type_int(infer_types(tc));
}

Type *ty_range_cond(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    for (int i = 0; i < n; i++)
        if (!is_intlike(args[i]))
            return infer_error(tc, app->loc, infer_is_default_float(args[i]),
                               "range() arguments must be integers, not '%s'", infer_type_name(tc, args[i]));
    return type_bool(infer_types(tc));
}

/* a, b = t: t must be a tuple of exactly as many items as there are targets. */
Type *ty_unpack(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    Node *count = app->app.in[2];
    if (count->kind != N_CONST || count->k.kind != K_INT)
        return infer_error(tc, app->loc, false, "unpack needs a constant count");
    if (args[0]->kind != T_TUPLE)
        return infer_error(tc, app->loc, infer_is_default_float(args[0]),
                           "cannot unpack a value of type '%s' (only tuples can be)", infer_type_name(tc, args[0]));
    if (args[0]->n != count->k.u.i)
        return infer_error(tc, app->loc, false, "cannot unpack a tuple of %d value%s into %lld target%s", args[0]->n,
                           args[0]->n == 1 ? "" : "s", (long long)count->k.u.i, count->k.u.i == 1 ? "" : "s");
    return args[0];
}

/* unreachable() only appears in specialised code (see uncalled_graph in
   infer.c), never in what inference types. */
Type *ty_unreachable(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)args; (void)n;
    return infer_error(tc, app->loc, false, "unreachable() is not part of the language");
}

/* depend(x..., v): v's type; the x only need to be well typed. */
Type *ty_depend(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    if (n < 1)
        return infer_error(tc, app->loc, false, "depend needs a value");
    return args[n - 1];
}
