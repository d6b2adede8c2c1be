/*
 * infer_prims.c: the type rule of every primitive (the type_rule column of
 * ir/prims.def, which this file expands: prim_type_rule).
 *
 * A rule receives the argument types, none of them bottom or TY_ERR (the
 * engine handles those), and returns the result type or reports an error
 * through infer_error() and returns TY_ERR.  Messages follow CPython's
 * wording where CPython has one.
 */
#include "infer.h"
#include "grad.h"

static const char *op_symbol(PrimId p)
{
    switch (p) {
    case P_ADD: return "+";
    case P_IADD: return "+=";
    case P_IMUL: return "*=";
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
   mark (see infer_is_default_float). */
static Type *float_result(TypeCtx *tc, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (infer_is_default_float(args[i]))
            return args[i];
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
    if (n == 2 && (args[0]->kind == T_LIST || args[1]->kind == T_LIST)) {
        Type *t = infer_list_arith(tc, p, app, args);   /* + and * of lists */
        if (t)
            return t;
    }
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

/* == and != compare numbers, tuples and lists (structurally, as CPython does).
   Not functions: CPython compares them by identity, which specialised
   closures do not keep, so myc cannot promise CPython's answer. */
Type *ty_equality(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    for (int i = 0; i < n; i++)
        if (type_has_function(args[i]))
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
    if (args[0]->kind == T_ZERO)       /* an item of a zero sensitivity */
        return args[0];
    if (args[0]->kind == T_LIST)        /* a[k] on a list: list_get (specialise spells it so) */
        return ty_list_get(tc, prim_info(P_LIST_GET), app, args, n);
    if (args[0]->kind != T_TUPLE)
        return infer_misuse(tc, app->loc, args[0], MISUSE_TUPLE,
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
            return infer_misuse(tc, app->loc, args[i], MISUSE_INT,
                               "range() arguments must be integers, not '%s'", infer_type_name(tc, args[i]));
    return type_int(infer_types(tc));
}

Type *ty_range_cond(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    for (int i = 0; i < n; i++)
        if (!is_intlike(args[i]))
            return infer_misuse(tc, app->loc, args[i], MISUSE_INT,
                               "range() arguments must be integers, not '%s'", infer_type_name(tc, args[i]));
    return type_bool(infer_types(tc));
}

/* a, b = t: t must be a tuple of exactly as many items as there are targets.
   unpack(xs, n, ts): jvp's primals and tangents for a function of n
   parameters, said in jvp's terms. */
Type *ty_unpack(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p;
    Node *count = app->app.in[2];
    if (count->kind != N_CONST || count->k.kind != K_INT)
        return infer_error(tc, app->loc, false, "unpack needs a constant count");
    if (n == 3) {
        int64_t want = count->k.u.i;
        int have[2];
        for (int i = 0; i < 2; i++) {
            Type *t = args[i == 0 ? 0 : 2];
            if (t->kind != T_TUPLE)
                return infer_misuse(tc, app->loc, t, MISUSE_TUPLE,
                                   "jvp() takes the %s as a tuple, not '%s'", i == 0 ? "primals" : "tangents",
                                   infer_type_name(tc, t));
            have[i] = t->n;
        }
        if (have[0] != want || have[1] != want)
            return infer_error(tc, app->loc, false,
                               "jvp(): the function takes %lld argument%s, but %d primal%s and %d tangent%s were given",
                               (long long)want, want == 1 ? "" : "s", have[0], have[0] == 1 ? "" : "s", have[1],
                               have[1] == 1 ? "" : "s");
        return args[0];
    }
    if (args[0]->kind != T_TUPLE)
        return infer_misuse(tc, app->loc, args[0], MISUSE_TUPLE,
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

/* ---- differentiation (see passes/grad.h) -------------------------------------------------- */

static TypeTable *TT(TypeCtx *tc) { return infer_types(tc); }

/* The type of a sensitivity of a value of type t with nothing known zero:
   floats for numbers, elementwise for tuples and lists, env for functions;
   ints, bools and lists of them (list[?] too: always empty) have none
   (zero). */
static bool all_zero(const Type *t)
{
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (!all_zero(t->elems[i]))
            return false;
    return t->kind == T_ZERO || t->kind == T_TUPLE;
}

static Type *dense_type(TypeCtx *tc, Type *t)
{
    switch (t->kind) {
    case T_FLOAT: return type_float(TT(tc));
    case T_INT: case T_BOOL: case T_ZERO: return type_zero(TT(tc));
    case T_FUNC: case T_ENV: return type_env(TT(tc));
    case T_LIST: {
        Type *e = type_list_elem(t) ? dense_type(tc, type_list_elem(t)) : NULL;
        return e && !all_zero(e) ? type_list(TT(tc), e) : type_zero(TT(tc));
    }
    case T_TUPLE: {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n ? t->n : 1));
        for (int i = 0; i < t->n; i++)
            el[i] = dense_type(tc, t->elems[i]);
        Type *r = type_tuple(TT(tc), el, t->n);
        free(el);
        return r;
    }
    }
    return t;
}

static Type *sens_error(TypeCtx *tc, Node *app, Type *a, Type *b)
{
    return infer_error(tc, app->loc, false, "internal error: sensitivities of types '%s' and '%s' do not match",
                       infer_type_name(tc, a), infer_type_name(tc, b));
}

typedef Type *(*PairRule)(TypeCtx *tc, Node *app, Type *a, Type *b);

/* rule applied to the items of two tuples of n items, or TY_ERR */
static Type *tuple_map2(TypeCtx *tc, Node *app, Type *a, Type *b, PairRule rule)
{
    Type **el = xmalloc(sizeof(Type *) * (size_t)(a->n ? a->n : 1));
    Type *r = NULL;
    for (int i = 0; i < a->n && !r; i++) {
        el[i] = rule(tc, app, a->elems[i], b->elems[i]);
        if (el[i] == TY_ERR)
            r = TY_ERR;
    }
    if (!r)
        r = type_tuple(TT(tc), el, a->n);
    free(el);
    return r;
}

static Type *sadd_type(TypeCtx *tc, Node *app, Type *a, Type *b)
{
    if (a->kind == T_ZERO)
        return b;
    if (b->kind == T_ZERO)
        return a;
    if (type_is_scalar(a) && type_is_scalar(b))
        return type_float(TT(tc));
    if (a->kind == T_ENV && b->kind == T_ENV)
        return a;
    if (a->kind == T_TUPLE && b->kind == T_TUPLE && a->n == b->n)
        return tuple_map2(tc, app, a, b, sadd_type);
    if (a->kind == T_LIST && b->kind == T_LIST) {
        if (!type_list_elem(a) || !type_list_elem(b))
            return type_list_elem(a) ? a : b;
        Type *e = sadd_type(tc, app, type_list_elem(a), type_list_elem(b));
        return e == TY_ERR ? e : type_list(TT(tc), e);
    }
    return sens_error(tc, app, a, b);
}

Type *ty_zero(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)app; (void)args; (void)n;
    return type_zero(TT(tc));
}

Type *ty_sadd(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    return sadd_type(tc, app, args[0], args[1]);
}

Type *ty_sscale(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (args[0]->kind == T_ZERO || args[1]->kind == T_ZERO || args[0]->kind == T_LIST || args[1]->kind == T_LIST)
        return type_zero(TT(tc));
    if (!type_is_scalar(args[0]) || !type_is_scalar(args[1]))
        return sens_error(tc, app, args[0], args[1]);
    return type_float(TT(tc));
}

/* add_sens(d, a, b, k): d's part for operand k (lists), or d (numbers) */
Type *ty_add_sens(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (args[1]->kind == T_LIST || args[2]->kind == T_LIST) {
        return args[0]->kind == T_LIST ? args[0] : sens_error(tc, app, args[1], args[0]);
    }
    return type_is_scalar(args[0]) ? type_float(TT(tc)) : sens_error(tc, app, args[1], args[0]);
}

/* add_tangent(a, b, ta, tb) */
Type *ty_add_tangent(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (args[0]->kind == T_LIST || args[1]->kind == T_LIST) {
        if (args[2]->kind == T_ZERO && args[3]->kind == T_ZERO)
            return args[2];
        Type *j = infer_join(tc, args[0], args[1]);
        return j == TY_ERR ? sens_error(tc, app, args[0], args[1]) : dense_type(tc, j);
    }
    return sadd_type(tc, app, args[2], args[3]);
}

/* the list of a list repetition a * b (either order), or NULL for numbers */
static int list_operand(Type **ab) { return ab[0]->kind == T_LIST ? 0 : ab[1]->kind == T_LIST ? 1 : -1; }

/* mul_sens(d, a, b, k) */
Type *ty_mul_sens(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (args[0]->kind == T_ZERO)
        return args[0];
    int l = list_operand(args + 1);
    if (l >= 0)
        return l == app->app.in[4]->k.u.i ? dense_type(tc, args[1 + l]) : type_zero(TT(tc));
    return type_is_scalar(args[0]) ? type_float(TT(tc)) : sens_error(tc, app, args[1], args[0]);
}

/* mul_tangent(a, b, ta, tb) */
Type *ty_mul_tangent(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n; (void)app;
    int l = list_operand(args);
    if (l >= 0)
        return args[2 + l]->kind == T_ZERO ? args[2 + l] : dense_type(tc, args[l]);
    if (args[2]->kind == T_ZERO && args[3]->kind == T_ZERO)
        return args[2];
    return type_float(TT(tc));
}

/* sens_for(x, d): d restricted to what x can have (ints have nothing) */
static Type *sfor_type(TypeCtx *tc, Node *app, Type *x, Type *d)
{
    if (d->kind == T_ZERO || x->kind == T_INT || x->kind == T_BOOL || x->kind == T_ZERO)
        return type_zero(TT(tc));
    if (x->kind == T_LIST && d->kind == T_LIST)
        return dense_type(tc, x);
    if (x->kind == T_TUPLE && d->kind == T_TUPLE && x->n == d->n)
        return tuple_map2(tc, app, x, d, sfor_type);
    if (x->kind == T_FLOAT && type_is_scalar(d))
        return type_float(TT(tc));
    if ((x->kind == T_FUNC || x->kind == T_ENV) && d->kind == T_ENV)
        return d;
    return sens_error(tc, app, x, d);
}

Type *ty_sfor(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    return sfor_type(tc, app, args[0], args[1]);
}

Type *ty_sdense(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    Type *t = dense_type(tc, args[0]);
    if (all_zero(t))    /* x has no sensitivity, whatever one instance of shared code passes as d */
        return t;
    Type *j = infer_join(tc, args[1], t);
    if (j != t)
        return sens_error(tc, app, args[0], args[1]);
    return t;
}

/* sens_get(d, y, i): item i of d (a tuple's: i a constant) */
Type *ty_sens_get(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    Node *ix = app->app.in[3];
    if (args[0]->kind == T_ZERO)
        return args[0];
    if (args[0]->kind == T_LIST)
        return type_list_elem(args[0]) ? type_list_elem(args[0]) : type_zero(TT(tc));
    if (args[0]->kind != T_TUPLE || ix->kind != N_CONST || ix->k.kind != K_INT)
        return sens_error(tc, app, args[1], args[0]);
    int64_t i = ix->k.u.i < 0 ? ix->k.u.i + args[0]->n : ix->k.u.i;
    if (i < 0 || i >= args[0]->n)
        return sens_error(tc, app, args[1], args[0]);
    return args[0]->elems[i];
}

Type *ty_onehot(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    Node *ix = app->app.in[2];
    if (args[0]->kind == T_ZERO)    /* the item read from a zero (ty_getitem) has no sensitivity */
        return args[0];
    if (args[0]->kind == T_LIST)    /* shaped like the list, whatever the index */
        return args[2]->kind == T_ZERO ? args[2] : dense_type(tc, args[0]);
    if (args[0]->kind != T_TUPLE || ix->kind != N_CONST || ix->k.kind != K_INT)
        return sens_error(tc, app, args[0], args[2]);
    int len = args[0]->n;
    int64_t i = ix->k.u.i < 0 ? ix->k.u.i + len : ix->k.u.i;
    if (i < 0 || i >= len)
        return sens_error(tc, app, args[0], args[2]);
    Type **el = xmalloc(sizeof(Type *) * (size_t)len);
    for (int k = 0; k < len; k++)
        el[k] = k == i ? args[2] : type_zero(TT(tc));
    Type *r = type_tuple(TT(tc), el, len);
    free(el);
    return r;
}

Type *ty_newenv(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)app; (void)args; (void)n;
    return type_env(TT(tc));
}

Type *ty_env_set(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (args[0]->kind != T_ENV && args[0]->kind != T_ZERO)
        return sens_error(tc, app, args[0], args[2]);
    return type_env(TT(tc));
}

Type *ty_env_get(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    if (args[0]->kind != T_ENV && args[0]->kind != T_ZERO)
        return sens_error(tc, app, args[0], args[2]);
    return dense_type(tc, args[2]);
}

/* The value of a differentiated argument: numbers become floats; a
   function cannot be differentiated. */
static Type *to_diff_type(TypeCtx *tc, Node *app, Type *t, int64_t index, bool *bad)
{
    if (type_is_scalar(t))
        return type_float(TT(tc));
    if (t->kind == T_TUPLE) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n ? t->n : 1));
        for (int i = 0; i < t->n; i++)
            el[i] = to_diff_type(tc, app, t->elems[i], index, bad);
        Type *r = type_tuple(TT(tc), el, t->n);
        free(el);
        return r;
    }
    if (t->kind == T_LIST)      /* [1, 2] differentiates at [1.0, 2.0] (contract 5.4) */
        return type_list_elem(t) ? type_list(TT(tc), to_diff_type(tc, app, type_list_elem(t), index, bad)) : t;
    *bad = true;
    return t;
}

Type *ty_to_diff(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    bool bad = false;
    int64_t index = app->app.in[2]->k.u.i;
    Type *r = to_diff_type(tc, app, args[0], index, &bad);
    if (bad)
        return infer_misuse(tc, app->loc, args[0], MISUSE_OTHER,
                           "cannot differentiate with respect to argument %lld: it is '%s'; only floats, "
                           "and tuples and lists of floats, can be differentiated",
                           (long long)index + 1, infer_type_name(tc, args[0]));
    return r;
}

static bool all_floats(const Type *t, bool final)
{
    if (t->kind == T_FLOAT || (!final && (t->kind == T_INT || t->kind == T_BOOL)))
        return true;
    if (t->kind == T_LIST)
        return !type_list_elem(t) || all_floats(type_list_elem(t), final);
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (!all_floats(t->elems[i], final))
            return false;
    return t->kind == T_TUPLE;
}

bool infer_result_ok(TypeCtx *tc, Type *t, int64_t what, bool final, StrBuf *sb)
{
    if (what >= 3)          /* NAME_vjp, NAME_jvp: int and bool leaves take no (co)tangent */
        final = false;
    if (what == 0 ? t->kind == T_FLOAT || (!final && (t->kind == T_INT || t->kind == T_BOOL)) : all_floats(t, final))
        return true;
    if (what == 0 && t->kind == T_TUPLE && all_floats(t, final))   /* what vjp and jvp take */
        sb_printf(sb, "grad needs a function that returns a float; this one returns '%s' (use vjp or jvp for a "
                  "tuple-valued function)", infer_type_name(tc, t));
    else if (what == 0)
        sb_printf(sb, "grad needs a function that returns a float; this one returns '%s'", infer_type_name(tc, t));
    else
        sb_printf(sb, "%s needs a function that returns a float, or tuples or lists of floats; this one returns '%s'",
                  what % 2 ? "vjp" : "jvp", infer_type_name(tc, t));
    return false;
}

Type *ty_check_result(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    StrBuf sb = {0};
    Type *r = args[0];
    if (!infer_result_ok(tc, args[0], app->app.in[2]->k.u.i, false, &sb))
        r = infer_error(tc, app->loc, false, "%s", sb_cstr(&sb));
    sb_free(&sb);
    return r;
}

/* cotangent(x, t, what): t must have x's shape; numbers become floats */
static bool same_shape(const Type *x, const Type *t)
{
    if (type_is_scalar(x))
        return type_is_scalar(t);
    if (x->kind == T_TUPLE) {
        if (t->kind != T_TUPLE || t->n != x->n)
            return false;
        for (int i = 0; i < x->n; i++)
            if (!same_shape(x->elems[i], t->elems[i]))
                return false;
        return true;
    }
    if (x->kind == T_LIST)      /* the lengths are checked when it runs */
        return t->kind == T_LIST &&
               (!type_list_elem(x) || !type_list_elem(t) || same_shape(type_list_elem(x), type_list_elem(t)));
    return false;
}

Type *ty_cotangent(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)n;
    int64_t what = app->app.in[3]->k.u.i;
    if (!same_shape(args[0], args[1]))
        return infer_error(tc, app->loc, false, "%s has type '%s', but it must have the shape of %s, '%s'",
                           what == 0 ? "the cotangent passed to vjp's pullback" : "a tangent passed to jvp",
                           infer_type_name(tc, args[1]), what == 0 ? "the function's result" : "its argument",
                           infer_type_name(tc, args[0]));
    bool bad = false;
    return to_diff_type(tc, app, args[1], 0, &bad);
}

Type *ty_too_deep(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)p; (void)args; (void)n;
    return infer_error(tc, app->loc, false, GRAD_TOO_DEEP_MSG, GRAD_MAX_DEPTH);
}

/* Nodes that exist only after specialisation. */
Type *ty_internal(TypeCtx *tc, const PrimInfo *p, Node *app, Type **args, int n)
{
    (void)args; (void)n;
    return infer_error(tc, app->loc, false, "%s() is not part of the language", p->name);
}

/* The type_rule column of ir/prims.def, indexed by PrimId. */
static const PrimTypeRule type_rules[P__COUNT] = {
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) [P_##id] = ty,
#include "../ir/prims.def"
#undef PRIM
};

PrimTypeRule prim_type_rule(PrimId p) { return type_rules[p]; }
