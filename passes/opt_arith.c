/*
 * opt_arith.c: arithmetic identities and symbolic zeros.
 *
 * Assumes a fresh analysis (opt_pass.h).  Every rewrite is exact in IEEE
 * arithmetic, signed zeros and NaNs included (the result must print as
 * CPython prints it), so x + 0.0 is not x (-0.0 + 0.0 is 0.0) unless x
 * cannot be -0.0:
 *
 *   x + -0.0, x - 0.0, x * 1.0, 1.0 * x, x / 1.0,
 *   x ** 1.0                                         -> x      (floats)
 *   x + 0.0, 0.0 + x                                 -> x      (x never -0.0)
 *   i + 0, i - 0, i * 1, 1 * i                       -> i      (ints)
 *   i * 0, 0 * i                                     -> 0      (ints)
 *   neg(neg(x)), pos(x), float(x)                    -> x      (same type)
 *   sens_add(zero, d), sens_add(d, zero)             -> d      (symbolic zero)
 *   sens_add(newenv(), e), sens_add(e, newenv())     -> e
 *   sens_add((a...), (b...))                         -> (sens_add(a, b)...)
 *   sens_scale(zero, k)                              -> zero
 *   sens_scale(c, k), c a non-zero constant          -> c * k
 *   sens_scale(d, 1.0)                               -> d
 *   sens_for, sens_dense, to_diff, cotangent, check_result, mixed_mode
 *     whose value is an operand of the result's type  -> that operand
 *
 *   depend(x..., v)   loses the x that cannot fail (constants, parameters,
 *                     tuples of those); depend(v) -> v
 *
 * (sens_scale(d, k) is d when d is a zero of either sign, else d * k:
 * scaling by -1.0 is not 0.0 - d, which turns -0.0 into 0.0.)
 *
 * Guarantees: the replacement has the node's type and value; none of the
 * primitives removed can fail on operands of these types.
 */
#include "opt_pass.h"

#include <math.h>

static bool is_int(const Node *x, int64_t v)
{
    return x->kind == N_CONST && x->k.kind == K_INT && x->k.u.i == v;
}

static bool is_neg_zero(const Node *x)
{
    return x->kind == N_CONST && x->k.kind == K_FLOAT && x->k.u.f == 0.0 && signbit(x->k.u.f);
}

static bool of_kind(const Node *x, TypeKind k)
{
    if (x->type)
        return x->type->kind == k;
    return x->kind == N_CONST && ((k == T_FLOAT && x->k.kind == K_FLOAT) || (k == T_INT && x->k.kind == K_INT));
}

/* x is a float that cannot be -0.0 (looking a few sums deep). */
static bool never_neg_zero_at(const Node *x, int depth)
{
    if (x->kind == N_CONST)
        return x->k.kind == K_FLOAT && !(x->k.u.f == 0.0 && signbit(x->k.u.f));
    if (depth == 0 || x->kind != N_APPLY || x->app.n != 3 || !of_kind(x, T_FLOAT))
        return false;
    if (opt_is_prim(x, P_ADD) || opt_is_prim(x, P_SADD))     /* a + b is -0.0 only if both are */
        return never_neg_zero_at(x->app.in[1], depth - 1) || never_neg_zero_at(x->app.in[2], depth - 1);
    return false;
}

static bool never_neg_zero(const Node *x)
{
    return never_neg_zero_at(x, 6);
}

/* The type of sens_add(a, b) for operands of types a and b, or NULL. */
static Type *sum_type(Type *a, Type *b)
{
    if (a && a->kind == T_ZERO)
        return b;
    if (b && b->kind == T_ZERO)
        return a;
    return a == b ? a : NULL;
}

/* sens_add of two make_tuples, elementwise (small tuples only). */
static int split_tuple_sum(OptCtx *c, Node *x, Node *a, Node *b)
{
    int n = a->app.n - 1;
    if (n != b->app.n - 1 || n > 64 || !x->type || x->type->kind != T_TUPLE || x->type->n != n)
        return 0;
    Node *in[65];
    in[0] = ir_const_prim(c->m, P_MAKE_TUPLE, x->loc);
    for (int i = 0; i < n; i++) {
        Node *ai = a->app.in[i + 1], *bi = b->app.in[i + 1];
        Type *t = sum_type(ai->type, bi->type);
        if (!t || t != x->type->elems[i])
            return 0;
    }
    for (int i = 0; i < n; i++) {
        Node *ai = a->app.in[i + 1], *bi = b->app.in[i + 1];
        if (ai->type && ai->type->kind == T_ZERO)
            in[i + 1] = bi;
        else if (bi->type && bi->type->kind == T_ZERO)
            in[i + 1] = ai;
        else
            in[i + 1] = opt_apply_prim(x->graph, x->type->elems[i], P_SADD, x->loc, 2, ai, bi);
    }
    return opt_replace(c, x, opt_apply(x->graph, x->type, in, n + 1, x->loc));
}

/* x is computed without any possible runtime error. */
static bool cannot_fail(const Node *x, int depth)
{
    if (x->kind != N_APPLY)
        return true;
    if (depth == 0 || !opt_is_prim(x, P_MAKE_TUPLE))
        return false;
    for (int i = 1; i < x->app.n; i++)
        if (!cannot_fail(x->app.in[i], depth - 1))
            return false;
    return true;
}

static int drop_depends(OptCtx *c, Node *x)
{
    Node *in[x->app.n];
    int n = 0;
    for (int i = 0; i < x->app.n; i++)
        if (i == 0 || i == x->app.n - 1 || !cannot_fail(x->app.in[i], 4))
            in[n++] = x->app.in[i];
    if (n == 2)
        return opt_replace(c, x, x->app.in[x->app.n - 1]);
    if (n == x->app.n)
        return 0;
    return opt_replace(c, x, opt_apply(x->graph, x->type, in, n, x->loc));
}

/* onehot(a, i, d) of a list a, of the same type as the sum it is in */
static bool is_list_onehot(const Node *x)
{
    return opt_is_prim(x, P_ONEHOT) && x->app.n == 4 && x->type && x->type->kind == T_LIST;
}

static int rewrite(OptCtx *c, Node *x)
{
    if (opt_is_prim(x, P_DEPEND) && x->app.n >= 2)
        return drop_depends(c, x);
    if (x->app.n < 2 || x->app.in[0]->kind != N_CONST || x->app.in[0]->k.kind != K_PRIM)
        return 0;
    Node *a = x->app.in[1], *b = x->app.n > 2 ? x->app.in[2] : NULL;
    bool flt = of_kind(x, T_FLOAT), in = of_kind(x, T_INT);
    switch (x->app.in[0]->k.u.prim) {
    case P_ADD:
        if ((flt && is_neg_zero(b)) || (in && is_int(b, 0)) || (flt && opt_is_float(b, 0.0) && never_neg_zero(a)))
            return opt_replace(c, x, a);
        if ((flt && is_neg_zero(a)) || (in && is_int(a, 0)) || (flt && opt_is_float(a, 0.0) && never_neg_zero(b)))
            return opt_replace(c, x, b);
        return 0;
    case P_SUB:
        if ((flt && opt_is_float(b, 0.0) && !signbit(b->k.u.f)) || (in && is_int(b, 0)))
            return opt_replace(c, x, a);
        return 0;
    case P_MUL:
        if ((flt && opt_is_float(b, 1.0)) || (in && is_int(b, 1)))
            return opt_replace(c, x, a);
        if ((flt && opt_is_float(a, 1.0)) || (in && is_int(a, 1)))
            return opt_replace(c, x, b);
        if (in && of_kind(a, T_INT) && of_kind(b, T_INT) && (is_int(a, 0) || is_int(b, 0)))
            return opt_replace(c, x, is_int(a, 0) ? a : b);
        return 0;
    case P_POW:     /* x ** 1.0 is x, NaN and signed zeros included */
        return flt && of_kind(a, T_FLOAT) && opt_is_float(b, 1.0) ? opt_replace(c, x, a) : 0;
    case P_TRUEDIV:
        return flt && opt_is_float(b, 1.0) ? opt_replace(c, x, a) : 0;
    case P_NEG:
        return opt_is_prim(a, P_NEG) ? opt_replace(c, x, a->app.in[1]) : 0;
    case P_SDENSE:
    case P_COTANGENT:       /* a list's length is checked or materialised when it runs */
        if (type_may_hold_list(x->type))
            return 0;
        return opt_replace(c, x, b);
    case P_POS:
    case P_FLOAT:
    case P_TO_DIFF:
    case P_CHECK_RESULT:
    case P_SFOR:
        return opt_replace(c, x, x->app.in[0]->k.u.prim == P_SFOR ? b : a);
    case P_SADD:
        if (a->type && a->type->kind == T_ZERO)
            return opt_replace(c, x, b);
        if (b->type && b->type->kind == T_ZERO)
            return opt_replace(c, x, a);
        if (x->type && x->type->kind == T_LIST && (is_list_onehot(b) || is_list_onehot(a))) {
            /* a list's sensitivity plus one item's: list_addat, which the
               in-place pass may make O(1) (docs/ad.md, "Lists") */
            Node *hot = is_list_onehot(b) ? b : a, *acc = hot == b ? a : b;
            return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_LIST_ADDAT, x->loc, 4, acc, hot->app.in[1],
                                                    hot->app.in[2], hot->app.in[3]));
        }
        if ((b->type && b->type->kind == T_ZERO) || opt_is_prim(b, P_NEWENV))
            return opt_replace(c, x, a);
        /* the empty list stands for a list's zeros (docs/ad.md, "Lists") */
        if (opt_is_empty_list(b) && a->type == x->type)
            return opt_replace(c, x, a);
        if (opt_is_empty_list(a) && b->type == x->type)
            return opt_replace(c, x, b);
        if (opt_is_prim(a, P_NEWENV))
            return opt_replace(c, x, b);
        if (opt_is_prim(a, P_MAKE_TUPLE) && opt_is_prim(b, P_MAKE_TUPLE))
            return split_tuple_sum(c, x, a, b);
        return 0;
    case P_SSCALE:
        if (a->type && a->type->kind == T_ZERO)
            return opt_replace(c, x, a);
        if (!flt || !of_kind(a, T_FLOAT))
            return 0;
        if (a->kind == N_CONST && a->k.u.f != 0.0 && of_kind(b, T_FLOAT))
            return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_MUL, x->loc, 2, a, b));
        if (opt_is_float(b, 1.0))
            return opt_replace(c, x, a);
        return 0;
    default:
        return 0;
    }
}

int opt_arith(OptCtx *c)
{
    return opt_rewrite_all(c, rewrite);
}
