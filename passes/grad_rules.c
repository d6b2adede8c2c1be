/*
 * grad_rules.c: the derivative rule of every primitive (the `diff` column
 * of ir/prims.def, which this file expands: prim_diff_rule).  See DiffRule
 * in grad.h.
 *
 * Scalar rules give partial derivatives; both modes are derived from them
 * in grad.c.  At kinks the derivative is that of the branch the primal
 * takes (contract section 1): abs'(0) = 0, max(a, b) with a == b follows a.
 * Partials that would be 0 * inf at a boundary the primal handles exactly
 * are guarded: d(a**b)/db is 0 where a is 0 and where a**b is 0 (xlogy),
 * d(a**b)/da is 0 where b is 0.
 */
#include "grad.h"

#include <stdarg.h>

Node *gb_prim(RuleB *b, PrimId p, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    Node *x = ir_apply_primv(b->g, p, b->loc, n, ap);
    va_end(ap);
    return x;
}

Node *gb_float(RuleB *b, double v) { return ir_const_float(b->g->module, v, b->loc); }
Node *gb_int(RuleB *b, int64_t v) { return ir_const_int(b->g->module, v, b->loc); }

#define P1(p, a) gb_prim(b, P_##p, 1, (a))
#define P2(p, a, c) gb_prim(b, P_##p, 2, (a), (c))
#define P3(p, a, c, e) gb_prim(b, P_##p, 3, (a), (c), (e))
#define F(v) gb_float(b, (v))

#define PARTIALS(name) \
    static void pa_##name(RuleB *b, Node *const *x, int n, Node *y, Node **k); \
    static const DiffRule dr_##name = {pa_##name, NULL, NULL}; \
    static void pa_##name(RuleB *b, Node *const *x, int n, Node *y, Node **k)
#define UNUSED3 (void)b, (void)x, (void)n, (void)y

static const DiffRule dr_none = {NULL, NULL, NULL};

PARTIALS(sub) { UNUSED3; k[0] = F(1.0); k[1] = F(-1.0); }
PARTIALS(truediv)
{
    UNUSED3;
    k[0] = P2(TRUEDIV, F(1.0), x[1]);
    k[1] = P1(NEG, P2(TRUEDIV, y, x[1]));
}
/* a % b == a - b * floor(a / b) */
PARTIALS(mod) { UNUSED3; k[0] = F(1.0); k[1] = P1(NEG, P2(FLOORDIV, x[0], x[1])); }
/* b * a ** (b - 1), and 0 when b == 0 (a ** 0 is 1 everywhere) */
static Node *power_partial(RuleB *b, Node *a, Node *e, PrimId pow)
{
    Node *v = P2(MUL, e, gb_prim(b, pow, 2, a, P2(SUB, e, F(1.0))));
    return P3(SWITCH, P2(EQ, e, F(0.0)), F(0.0), v);
}
/* y log a (xlogy: 0 where y = a ** b is 0), and a constant 0 where a is 0:
   a ** b does not change with b there (0 for b > 0, inf for b < 0; at
   b = 0 the special case 1), so neither may any derivative in b -- through
   xlogy, a second one would be log 0 * 0 */
static Node *power_log_partial(RuleB *b, Node *a, Node *y)
{
    return P3(SWITCH, P2(EQ, a, F(0.0)), F(0.0), P2(XLOGY, y, a));
}
PARTIALS(pow_op) { UNUSED3; k[0] = power_partial(b, x[0], x[1], P_POW); k[1] = power_log_partial(b, x[0], y); }
PARTIALS(mpow) { UNUSED3; k[0] = power_partial(b, x[0], x[1], P_MPOW); k[1] = power_log_partial(b, x[0], y); }
PARTIALS(neg) { UNUSED3; k[0] = F(-1.0); }
PARTIALS(pos) { UNUSED3; k[0] = F(1.0); }
PARTIALS(sin) { UNUSED3; k[0] = P1(COS, x[0]); }
PARTIALS(cos) { UNUSED3; k[0] = P1(NEG, P1(SIN, x[0])); }
PARTIALS(tan) { UNUSED3; k[0] = P2(ADD, F(1.0), P2(MUL, y, y)); }
static Node *inv_sqrt_1mx2(RuleB *b, Node *x)
{
    return P2(TRUEDIV, F(1.0), P1(SQRT, P2(SUB, F(1.0), P2(MUL, x, x))));
}
PARTIALS(asin) { UNUSED3; k[0] = inv_sqrt_1mx2(b, x[0]); }
PARTIALS(acos) { UNUSED3; k[0] = P1(NEG, inv_sqrt_1mx2(b, x[0])); }
PARTIALS(atan) { UNUSED3; k[0] = P2(TRUEDIV, F(1.0), P2(ADD, F(1.0), P2(MUL, x[0], x[0]))); }
PARTIALS(sinh) { UNUSED3; k[0] = P1(COSH, x[0]); }
PARTIALS(cosh) { UNUSED3; k[0] = P1(SINH, x[0]); }
PARTIALS(tanh) { UNUSED3; k[0] = P2(SUB, F(1.0), P2(MUL, y, y)); }
PARTIALS(exp) { UNUSED3; k[0] = y; }
PARTIALS(log) { UNUSED3; k[0] = P2(TRUEDIV, F(1.0), x[0]); }
PARTIALS(log1p) { UNUSED3; k[0] = P2(TRUEDIV, F(1.0), P2(ADD, F(1.0), x[0])); }
PARTIALS(expm1) { UNUSED3; k[0] = P2(ADD, y, F(1.0)); }
PARTIALS(sqrt) { UNUSED3; k[0] = P2(TRUEDIV, F(0.5), y); }
/* 2 / sqrt(pi) * exp(-x^2) */
PARTIALS(erf) { UNUSED3; k[0] = P2(MUL, F(1.1283791670955126), P1(EXP, P1(NEG, P2(MUL, x[0], x[0])))); }
PARTIALS(atan2)
{
    UNUSED3;
    Node *den = P2(ADD, P2(MUL, x[0], x[0]), P2(MUL, x[1], x[1]));
    k[0] = P2(TRUEDIV, x[1], den);
    k[1] = P1(NEG, P2(TRUEDIV, x[0], den));
}
PARTIALS(abs)
{
    UNUSED3;
    k[0] = P3(SWITCH, P2(GT, x[0], F(0.0)), F(1.0), P3(SWITCH, P2(LT, x[0], F(0.0)), F(-1.0), F(0.0)));
}
/* min(a, b) is b if b < a else a; max(a, b) is b if b > a else a */
static void select_partials(RuleB *b, Node *take_b, Node **k)
{
    k[0] = P3(SWITCH, take_b, F(0.0), F(1.0));
    k[1] = P3(SWITCH, take_b, F(1.0), F(0.0));
}
PARTIALS(min) { UNUSED3; select_partials(b, P2(LT, x[1], x[0]), k); }
PARTIALS(max) { UNUSED3; select_partials(b, P2(GT, x[1], x[0]), k); }
/* d(y log a)/dy = log a; d/da = y / a */
PARTIALS(xlogy) { UNUSED3; k[0] = P1(LOG, x[1]); k[1] = P2(TRUEDIV, x[0], x[1]); }
/* ---- structural rules ---------------------------------------------------- */

#define STRUCTURAL(name) \
    static void bp_##name(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx); \
    static Node *tg_##name(RuleB *b, Node *const *x, int n, Node *y, Node *const *t); \
    static const DiffRule dr_##name = {NULL, bp_##name, tg_##name};
#define UNUSED4 (void)b, (void)x, (void)n, (void)y

/* sens_get(d, y, i) is linear in d: its transpose is onehot, shaped like y */
STRUCTURAL(sens_get)
static void bp_sens_get(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P3(ONEHOT, x[1], x[2], d);
}
static Node *tg_sens_get(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P3(SENS_GET, t[0], x[1], x[2]) : NULL;
}

/* sens_scale(d, k) = d * k, but 0 where d is 0 whatever k (inf, nan):
   there it does not change with k, so neither may its derivatives in k.
   The generic rules would scale k's sensitivity or tangent by d with the
   guard on the wrong side (s * 0 = nan for an infinite s); here the
   guard is on d: sens_scale(d, s).  (In d, k's sensitivity is scaled as
   usual: sens_scale(s, k).) */
STRUCTURAL(sscale)
static void bp_sscale(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P2(SSCALE, d, x[1]);
    dx[1] = P2(SSCALE, x[0], d);
}
static Node *tg_sscale(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    Node *a = t[0] ? P2(SSCALE, t[0], x[1]) : NULL, *c = t[1] ? P2(SSCALE, x[0], t[1]) : NULL;
    return a && c ? P2(SADD, a, c) : a ? a : c;
}

/* Identity in the first operand: unpack(t, n), to_diff(x, i), check_result(y, what),
   J(x), Jfwd(x). */
STRUCTURAL(first)
static void bp_first(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[0] = d; }
static Node *tg_first(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[0]; }

static const DiffRule dr_j = {NULL, bp_first, tg_first};

/* Identity in the second operand: cotangent(x, t, what). */
STRUCTURAL(second)
static void bp_second(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[1] = d; }
static Node *tg_second(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[1]; }

STRUCTURAL(make_tuple)
static void bp_make_tuple(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int i = 0; i < n; i++)
        dx[i] = P2(GETITEM, d, gb_int(b, i));
}
static Node *tg_make_tuple(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    Node **in = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    in[0] = ir_const_prim(b->g->module, P_MAKE_TUPLE, b->loc);
    bool any = false;
    for (int i = 0; i < n; i++) {
        in[i + 1] = t[i] ? t[i] : gb_prim(b, P_ZERO, 0);
        any |= t[i] != NULL;
    }
    Node *r = any ? ir_apply(b->g, in, n + 1, b->loc) : NULL;
    free(in);
    return r;
}

STRUCTURAL(getitem)
static void bp_getitem(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P3(ONEHOT, x[0], x[1], d);
}
static Node *tg_getitem(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P3(SENS_GET, t[0], x[0], x[1]) : NULL;     /* a list's tangent may be its empty zero */
}

/* depend(x..., v): v */
STRUCTURAL(depend)
static void bp_depend(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[n - 1] = d; }
static Node *tg_depend(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[n - 1]; }

/* switch(c, a, b) selects a value (the closures of if/else arms): the
   sensitivity goes to the one selected, so the branch not taken gets none. */
STRUCTURAL(switch)
static void bp_switch(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[1] = P3(SWITCH, x[0], d, gb_prim(b, P_ZERO, 0));
    dx[2] = P3(SWITCH, x[0], gb_prim(b, P_ZERO, 0), d);
}
static Node *tg_switch(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    if (!t[1] && !t[2])
        return NULL;
    return P3(SWITCH, x[0], t[1] ? t[1] : gb_prim(b, P_ZERO, 0), t[2] ? t[2] : gb_prim(b, P_ZERO, 0));
}

/* + and * (and += and *=) on numbers or lists: add_sens, add_tangent,
   mul_sens and mul_tangent (ir/prims.def), which specialise expands for
   the operands' types; each of the four has its rule here too, in the same
   four, so that transforms of transforms stay within them. */
static Node *zero_unless(RuleB *b, bool cond, Node *d) { return cond ? d : gb_prim(b, P_ZERO, 0); }
static Node *or_zero(RuleB *b, Node *t) { return t ? t : gb_prim(b, P_ZERO, 0); }
static Node *sum_of(RuleB *b, Node *const *terms, int n)
{
    Node *r = NULL;
    for (int i = 0; i < n; i++)
        if (terms[i])
            r = r ? P2(SADD, r, terms[i]) : terms[i];
    return r;
}

STRUCTURAL(add)
static void bp_add(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int k = 0; k < 2; k++)
        dx[k] = gb_prim(b, P_ADD_SENS, 4, d, x[0], x[1], gb_int(b, k));
}
static Node *tg_add(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return gb_prim(b, P_ADD_TANGENT, 4, x[0], x[1], or_zero(b, t[0]), or_zero(b, t[1]));
}

STRUCTURAL(mul)
static void bp_mul(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int k = 0; k < 2; k++)
        dx[k] = gb_prim(b, P_MUL_SENS, 4, d, x[0], x[1], gb_int(b, k));
}
static Node *tg_mul(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return gb_prim(b, P_MUL_TANGENT, 4, x[0], x[1], or_zero(b, t[0]), or_zero(b, t[1]));
}

/* add_sens(d, a, b, k) is linear in d; its transpose puts D back as
   operand k's part of a + b's tangent */
STRUCTURAL(add_sens)
static void bp_add_sens(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    int64_t k = x[3]->k.u.i;
    dx[0] = gb_prim(b, P_ADD_TANGENT, 4, x[1], x[2], zero_unless(b, k == 0, d), zero_unless(b, k == 1, d));
}
static Node *tg_add_sens(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? gb_prim(b, P_ADD_SENS, 4, t[0], x[1], x[2], x[3]) : NULL;
}

STRUCTURAL(add_tangent)
static void bp_add_tangent(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int k = 0; k < 2; k++)
        dx[2 + k] = gb_prim(b, P_ADD_SENS, 4, d, x[0], x[1], gb_int(b, k));
}
static Node *tg_add_tangent(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    if (!t[2] && !t[3])
        return NULL;
    return gb_prim(b, P_ADD_TANGENT, 4, x[0], x[1], or_zero(b, t[2]), or_zero(b, t[3]));
}

/* mul_sens(d, a, b, k) is d times the other operand for numbers (its
   sensitivity there is sens_scale(d, D), which is zero for lists: their
   dependence on the int is none) and linear in d for lists */
STRUCTURAL(mul_sens)
static void bp_mul_sens(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    int64_t k = x[3]->k.u.i;
    dx[0] = gb_prim(b, P_MUL_TANGENT, 4, x[1], x[2], zero_unless(b, k == 0, d), zero_unless(b, k == 1, d));
    dx[1 + (1 - k)] = P2(SSCALE, x[0], d);
}
static Node *tg_mul_sens(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    int64_t k = x[3]->k.u.i;
    Node *terms[2] = {t[0] ? gb_prim(b, P_MUL_SENS, 4, t[0], x[1], x[2], x[3]) : NULL,
                      t[1 + (1 - k)] ? P2(SSCALE, x[0], t[1 + (1 - k)]) : NULL};
    return sum_of(b, terms, 2);
}

/* mul_tangent(a, b, ta, tb) = ta * b + tb * a */
STRUCTURAL(mul_tangent)
static void bp_mul_tangent(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int k = 0; k < 2; k++)
        dx[2 + k] = gb_prim(b, P_MUL_SENS, 4, d, x[0], x[1], gb_int(b, k));
    dx[0] = P2(SSCALE, x[3], d);
    dx[1] = P2(SSCALE, x[2], d);
}
static Node *tg_mul_tangent(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    Node *terms[3] = {t[2] || t[3] ? gb_prim(b, P_MUL_TANGENT, 4, x[0], x[1], or_zero(b, t[2]), or_zero(b, t[3]))
                                   : NULL,
                      t[1] ? P2(SSCALE, x[2], t[1]) : NULL, t[0] ? P2(SSCALE, x[3], t[0]) : NULL};
    return sum_of(b, terms, 3);
}

/* ---- rules of the sensitivity primitives (for transforms of transforms) -- */

STRUCTURAL(sadd)
static void bp_sadd(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[0] = d; dx[1] = d; }
static Node *tg_sadd(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    if (!t[0] || !t[1])
        return t[0] ? t[0] : t[1];
    return P2(SADD, t[0], t[1]);
}

/* sens_for(x, d) and sens_dense(x, d) are linear in d and take only x's shape */
STRUCTURAL(sfor)
static void bp_sfor(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[1] = P2(SFOR, x[0], d); }
static Node *tg_sfor(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[1] ? P2(SFOR, x[0], t[1]) : NULL; }

STRUCTURAL(sdense)
static void bp_sdense(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[1] = P2(SFOR, x[1], d); }
static Node *tg_sdense(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[1] ? P2(SDENSE, x[0], t[1]) : NULL; }

STRUCTURAL(onehot)
static void bp_onehot(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[2] = P3(SENS_GET, d, y, x[1]);   /* d may be a list's empty zero (see "lists" below) */
}
static Node *tg_onehot(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[2] ? P3(ONEHOT, x[0], x[1], t[2]) : NULL; }

/* Keys are set once per env by the transforms, so the sensitivity of the
   env set into is the whole sensitivity. */
STRUCTURAL(env_set)
static void bp_env_set(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = d;
    dx[2] = P3(ENV_GET, d, x[1], x[2]);
}
static Node *tg_env_set(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    if (!t[0] && !t[2])
        return NULL;
    return P3(ENV_SET, t[0] ? t[0] : gb_prim(b, P_NEWENV, 0), x[1], t[2] ? t[2] : gb_prim(b, P_ZERO, 0));
}

STRUCTURAL(env_get)
static void bp_env_get(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P3(ENV_SET, gb_prim(b, P_NEWENV, 0), x[1], d);
}
static Node *tg_env_get(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P3(ENV_GET, t[0], x[1], x[2]) : NULL;
}

/* ---- lists ---------------------------------------------------------------

   The sensitivity (tangent) of a list is a list of the same shape; where a
   symbolic zero met a list at a join, the runtime holds it as the empty
   list, which stands for zeros (sens_add takes it as its unit, sens_dense
   materialises it).  So a rule reads an item of a sensitivity with
   sens_get (zero for the empty zero), and changes one only after
   dense(y, d), y being the value whose sensitivity d is.  Rules read the
   primal lists for their shapes and lengths (and min/max for the place of
   the item): never an item that a later change could have overwritten. */

#define P6(p, a1, a2, a3, a4, a5, a6) gb_prim(b, P_##p, 6, (a1), (a2), (a3), (a4), (a5), (a6))

static Node *dense(RuleB *b, Node *x, Node *d) { return P2(SDENSE, x, or_zero(b, d)); }

/* a[start:stop] with the omitted bounds (bit 0 start, bit 1 stop) */
static Node *slice2(RuleB *b, Node *a, Node *start, Node *stop)
{
    int64_t omit = 4 | (start ? 0 : 1) | (stop ? 0 : 2);
    return gb_prim(b, P_LIST_SLICE, 5, a, start ? start : gb_int(b, 0), stop ? stop : gb_int(b, 0), gb_int(b, 0),
                   gb_int(b, omit));
}

STRUCTURAL(list_make)
static void bp_list_make(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int i = 0; i < n; i++)
        dx[i] = P3(SENS_GET, d, y, gb_int(b, i));
}
static Node *tg_list_make(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    Node **in = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    in[0] = ir_const_prim(b->g->module, P_LIST_MAKE, b->loc);
    for (int i = 0; i < n; i++)
        in[i + 1] = dense(b, x[i], t[i]);
    Node *r = ir_apply(b->g, in, n + 1, b->loc);
    free(in);
    return r;
}

STRUCTURAL(list_get)
static void bp_list_get(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P3(ONEHOT, x[0], x[1], d);
}
static Node *tg_list_get(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P3(SENS_GET, t[0], x[0], x[1]) : NULL;
}

/* y = a with a[i] = v: a's sensitivity is y's with item i zero, v's is item i */
STRUCTURAL(list_set)
static void bp_list_set(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    Node *dd = dense(b, y, d);
    dx[2] = P3(SENS_GET, d, y, x[1]);
    dx[0] = P3(LIST_SET, dd, x[1], dense(b, x[2], NULL));
}
static Node *tg_list_set(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return P3(LIST_SET, dense(b, x[0], t[0]), x[1], dense(b, x[2], t[2]));
}

STRUCTURAL(list_append)
static void bp_list_append(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[1] = P3(SENS_GET, d, y, gb_int(b, -1));
    /* d[:-1] of d as long as y: the transform of this slice (list_unslice)
       takes the length of the list it undoes from its operand, and d may
       be the empty zero, which stands for a list of y's length */
    dx[0] = slice2(b, dense(b, y, d), NULL, gb_int(b, -1));
}
static Node *tg_list_append(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return P2(LIST_APPEND, dense(b, x[0], t[0]), dense(b, x[1], t[1]));
}

/* y = (a without item k, a[k]): a's sensitivity is the first's with the
   second put back at k (i normalised as pop does) */
STRUCTURAL(list_pop)
static void bp_list_pop(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    Node *rest = dense(b, P2(GETITEM, y, gb_int(b, 0)), P2(GETITEM, d, gb_int(b, 0)));
    Node *item = dense(b, P2(GETITEM, y, gb_int(b, 1)), P2(GETITEM, d, gb_int(b, 1)));
    Node *k = P3(SWITCH, P2(LT, x[1], gb_int(b, 0)), P2(ADD, x[1], P1(LIST_LEN, x[0])), x[1]);
    Node *put = P2(LIST_CONCAT, slice2(b, rest, NULL, k), gb_prim(b, P_LIST_MAKE, 1, item));
    dx[0] = P2(LIST_CONCAT, put, slice2(b, rest, k, NULL));
}
static Node *tg_list_pop(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P2(LIST_POP, dense(b, x[0], t[0]), x[1]) : NULL;
}

/* a + b and a.extend(b) on lists: as + on lists (add_sens, add_tangent) */
STRUCTURAL(list_concat)
static void bp_list_concat(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int k = 0; k < 2; k++)
        dx[k] = gb_prim(b, P_ADD_SENS, 4, d, x[0], x[1], gb_int(b, k));
}
static Node *tg_list_concat(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;    /* (add_tangent converts the operands as the concatenation does) */
    return gb_prim(b, P_ADD_TANGENT, 4, x[0], x[1], or_zero(b, t[0]), or_zero(b, t[1]));
}

STRUCTURAL(list_repeat)
static void bp_list_repeat(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P2(LIST_UNREPEAT, dense(b, y, d), x[0]);
}
static Node *tg_list_repeat(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P2(LIST_REPEAT, dense(b, x[0], t[0]), x[1]) : NULL;
}

STRUCTURAL(list_slice)
static void bp_list_slice(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P6(LIST_UNSLICE, dense(b, y, d), x[0], x[1], x[2], x[3], x[4]);
}
static Node *tg_list_slice(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? gb_prim(b, P_LIST_SLICE, 5, dense(b, x[0], t[0]), x[1], x[2], x[3], x[4]) : NULL;
}

/* a copy's sensitivity is its operand's (lists are values) */
STRUCTURAL(list_copy)
static void bp_list_copy(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[0] = d; }
static Node *tg_list_copy(RuleB *b, Node *const *x, int n, Node *y, Node *const *t) { UNUSED4; return t[0]; }

/* sum(a, start): every item's sensitivity is the sum's, and so is start's */
STRUCTURAL(list_sum)
static void bp_list_sum(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = P2(LIST_REPEAT, gb_prim(b, P_LIST_MAKE, 1, d), P1(LIST_LEN, x[0]));
    dx[1] = d;
}
static Node *tg_list_sum(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    if (!t[0])
        return t[1];
    return P2(LIST_SUM, dense(b, x[0], t[0]), dense(b, x[1], t[1]));
}

/* min(a) and max(a) are the item at the place list_argmin/argmax find */
static void best_bprop(RuleB *b, PrimId arg, Node *const *x, Node *d, Node **dx)
{
    dx[0] = P3(ONEHOT, x[0], gb_prim(b, arg, 1, x[0]), d);
}
static Node *best_tangent(RuleB *b, PrimId arg, Node *const *x, Node *const *t)
{
    return t[0] ? P3(SENS_GET, t[0], x[0], gb_prim(b, arg, 1, x[0])) : NULL;
}
STRUCTURAL(list_min)
static void bp_list_min(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    best_bprop(b, P_LIST_ARGMIN, x, d, dx);
}
static Node *tg_list_min(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return best_tangent(b, P_LIST_ARGMIN, x, t);
}
STRUCTURAL(list_max)
static void bp_list_max(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    best_bprop(b, P_LIST_ARGMAX, x, d, dx);
}
static Node *tg_list_max(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return best_tangent(b, P_LIST_ARGMAX, x, t);
}

/* the rules' own primitives are linear in d (transforms of transforms) */
STRUCTURAL(list_unslice)
static void bp_list_unslice(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = gb_prim(b, P_LIST_SLICE, 5, dense(b, y, d), x[2], x[3], x[4], x[5]);
}
static Node *tg_list_unslice(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P6(LIST_UNSLICE, t[0], x[1], x[2], x[3], x[4], x[5]) : NULL;
}

/* list_addat(x, a, i, v) = sens_add(x, onehot(a, i, v)): linear in x and v */
STRUCTURAL(list_addat)
static void bp_list_addat(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    dx[0] = d;
    dx[3] = P3(SENS_GET, d, y, x[2]);
}
static Node *tg_list_addat(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    Node *hot = t[3] ? P3(ONEHOT, x[1], x[2], t[3]) : NULL;
    return t[0] && hot ? P2(SADD, t[0], hot) : t[0] ? t[0] : hot;
}

/* list_unrepeat(d, a): d is a * k's sensitivity, k = len(d) / len(a) */
STRUCTURAL(list_unrepeat)
static void bp_list_unrepeat(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    Node *k = P2(FLOORDIV, P1(LIST_LEN, x[0]), P2(MAX, P1(LIST_LEN, x[1]), gb_int(b, 1)));
    dx[0] = P2(LIST_REPEAT, dense(b, y, d), k);
}
static Node *tg_list_unrepeat(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    return t[0] ? P2(LIST_UNREPEAT, t[0], x[1]) : NULL;
}

/* The diff column of ir/prims.def, indexed by PrimId. */
static const DiffRule *const diff_rules[P__COUNT] = {
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) [P_##id] = &dr,
#include "../ir/prims.def"
#undef PRIM
};

const DiffRule *prim_diff_rule(PrimId p) { return diff_rules[p]; }
