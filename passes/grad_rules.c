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

PARTIALS(add) { UNUSED3; k[0] = F(1.0); k[1] = F(1.0); }
PARTIALS(sub) { UNUSED3; k[0] = F(1.0); k[1] = F(-1.0); }
PARTIALS(mul) { UNUSED3; k[0] = x[1]; k[1] = x[0]; }
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
    return t[0] ? P2(GETITEM, t[0], x[1]) : NULL;
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
static void bp_onehot(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx) { UNUSED4; dx[2] = P2(GETITEM, d, x[1]); }
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

/* The list primitives have no derivative rules yet.  Rather than a silent
   zero, the derivative of one is list_nodiff of the sensitivity it
   receives (the tangent it would return), which inference reports as a
   located error unless that is a symbolic zero: code that only reads
   lengths, or list code nothing differentiated flows through, is fine. */
STRUCTURAL(list)
static void bp_list(RuleB *b, Node *const *x, int n, Node *y, Node *d, Node **dx)
{
    UNUSED4;
    for (int i = 0; i < n; i++)
        dx[i] = P1(LIST_NODIFF, d);
}
static Node *tg_list(RuleB *b, Node *const *x, int n, Node *y, Node *const *t)
{
    UNUSED4;
    for (int i = 0; i < n; i++)
        if (t[i])
            return P1(LIST_NODIFF, t[i]);
    return NULL;
}

/* The diff column of ir/prims.def, indexed by PrimId. */
static const DiffRule *const diff_rules[P__COUNT] = {
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) [P_##id] = &dr,
#include "../ir/prims.def"
#undef PRIM
};

const DiffRule *prim_diff_rule(PrimId p) { return diff_rules[p]; }
