/*
 * prim_eval.c: the evaluators named in prims.def, with CPython's semantics
 * on bool, int and float (bool counts as int; mixed int/float promotes),
 * and the documented differences: ints are 64-bit and wrap, float
 * operations that raise in CPython return the IEEE result.
 *
 * Every evaluator checks its operand kinds and reports type confusion as a
 * runtime error in CPython's words, so the interpreter can run untyped IR.
 * Nothing here recurses over tuple nesting.
 */
#include "interp.h"

#include <math.h>
#include <string.h>

/* A numeric operand: bool and int become is_float = false. */
typedef struct Num {
    bool is_float;
    int64_t i;
    double f;
} Num;

static bool to_num(const Value *v, Num *n)
{
    switch (v->kind) {
    case V_BOOL: n->is_float = false; n->i = v->b; n->f = v->b; return true;
    case V_INT: n->is_float = false; n->i = v->i; n->f = (double)v->i; return true;
    case V_FLOAT: n->is_float = true; n->i = 0; n->f = v->f; return true;
    default: return false;
    }
}

static const char *tn(const Value *v) { return value_type_name(v); }

static int bad_binop(EvalCtx *cx, const char *op, const Value *a, const Value *b)
{
    return eval_raise(cx, "unsupported operand type(s) for %s: '%s' and '%s'", op, tn(a), tn(b));
}

/* Two numeric operands, or a TypeError naming the operator. */
static int nums2(EvalCtx *cx, const char *op, const Value *args, Num *x, Num *y)
{
    if (!to_num(&args[0], x) || !to_num(&args[1], y))
        return bad_binop(cx, op, &args[0], &args[1]);
    return 0;
}

/* ---- wrapping int64 arithmetic (no UB: computed in uint64_t) ------------- */
static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wrap_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t wrap_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static int64_t wrap_neg(int64_t a) { return (int64_t)(0 - (uint64_t)a); }

int ev_add(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    if (args[0].kind == V_LIST || args[1].kind == V_LIST)
        return eval_list_concat(cx, &args[0], &args[1], out);
    Num x = {0}, y = {0};
    if (nums2(cx, "+", args, &x, &y))
        return 3;
    *out = x.is_float || y.is_float ? value_float(x.f + y.f) : value_int(wrap_add(x.i, y.i));
    return 0;
}

int ev_sub(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0}, y = {0};
    if (nums2(cx, "-", args, &x, &y))
        return 3;
    *out = x.is_float || y.is_float ? value_float(x.f - y.f) : value_int(wrap_sub(x.i, y.i));
    return 0;
}

int ev_mul(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    if (args[0].kind == V_LIST)
        return eval_list_repeat(cx, &args[0], &args[1], out);
    if (args[1].kind == V_LIST)
        return eval_list_repeat(cx, &args[1], &args[0], out);
    Num x = {0}, y = {0};
    if (nums2(cx, "*", args, &x, &y))
        return 3;
    *out = x.is_float || y.is_float ? value_float(x.f * y.f) : value_int(wrap_mul(x.i, y.i));
    return 0;
}

/*
 * int / int, correctly rounded as CPython does.  Operands up to 2^53 are
 * exact doubles, so one division rounds once.  Larger ones: normalise |a|
 * to 64 significant bits, divide the 128-bit |a|*2^64 by |b| (a quotient
 * of at least 64 bits), fold the remainder into a sticky bit and let the
 * (correctly rounding) 128-bit to double conversion round once.
 */
static double int_truediv(int64_t a, int64_t b)
{
    const int64_t lim = (int64_t)1 << 53;
    if (b == 0)
        return (double)a / 0.0;
    if (a >= -lim && a <= lim && b >= -lim && b <= lim)
        return (double)a / (double)b;
    bool neg = (a < 0) != (b < 0);
    uint64_t ua = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    uint64_t ub = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    if (ua == 0)
        return neg ? -0.0 : 0.0;
    int sh = __builtin_clzll(ua);
    unsigned __int128 num = (unsigned __int128)(ua << sh) << 64;
    unsigned __int128 q = num / ub;
    if (num % ub)
        q |= 1;
    double r = ldexp((double)q, -64 - sh);
    return neg ? -r : r;
}

int ev_truediv(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0}, y = {0};
    if (nums2(cx, "/", args, &x, &y))
        return 3;
    if (!x.is_float && !y.is_float)
        *out = value_float(int_truediv(x.i, y.i));
    else
        *out = value_float(x.f / y.f);
    return 0;
}

/* CPython's float_divmod, minus the ZeroDivisionError: x // 0.0 is x / 0.0
   and x % 0.0 is nan (the IEEE results, see the contract). */
static void float_divmod(double vx, double wx, double *floordiv, double *modulo)
{
    if (wx == 0.0) {
        *floordiv = vx / wx;
        *modulo = NAN;
        return;
    }
    double mod = fmod(vx, wx);
    double div = (vx - mod) / wx;
    if (mod != 0.0) {
        if ((wx < 0) != (mod < 0)) {
            mod += wx;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, wx);
    }
    double fd;
    if (div != 0.0) {
        fd = floor(div);
        if (div - fd > 0.5)
            fd += 1.0;
    } else {
        fd = copysign(0.0, vx / wx);
    }
    *floordiv = fd;
    *modulo = mod;
}

int ev_floordiv(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0}, y = {0};
    if (nums2(cx, "//", args, &x, &y))
        return 3;
    if (x.is_float || y.is_float) {
        double d, m;
        float_divmod(x.f, y.f, &d, &m);
        *out = value_float(d);
        return 0;
    }
    if (y.i == 0)
        return eval_raise(cx, "integer division or modulo by zero");
    if (y.i == -1) {            /* INT64_MIN // -1 wraps instead of trapping */
        *out = value_int(wrap_neg(x.i));
        return 0;
    }
    int64_t q = x.i / y.i, r = x.i % y.i;
    if (r != 0 && ((r < 0) != (y.i < 0)))
        q--;
    *out = value_int(q);
    return 0;
}

int ev_mod(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0}, y = {0};
    if (nums2(cx, "%", args, &x, &y))
        return 3;
    if (x.is_float || y.is_float) {
        double d, m;
        float_divmod(x.f, y.f, &d, &m);
        *out = value_float(m);
        return 0;
    }
    if (y.i == 0)
        return eval_raise(cx, "integer modulo by zero");
    if (y.i == -1) {
        *out = value_int(0);
        return 0;
    }
    int64_t r = x.i % y.i;
    if (r != 0 && ((r < 0) != (y.i < 0)))
        r += y.i;
    *out = value_int(r);
    return 0;
}

/* int ** int: repeated squaring with wrap-around for exponents >= 0; a
   negative exponent gives a float, as in CPython (2 ** -1 == 0.5). */
int ev_pow_op(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0}, y = {0};
    if (nums2(cx, "** or pow()", args, &x, &y))
        return 3;
    if (x.is_float || y.is_float || y.i < 0) {
        *out = value_float(pow(x.f, y.f));
        return 0;
    }
    uint64_t r = 1, b = (uint64_t)x.i;
    for (uint64_t e = (uint64_t)y.i; e; e >>= 1) {
        if (e & 1)
            r *= b;
        b *= b;
    }
    *out = value_int((int64_t)r);
    return 0;
}

int ev_neg(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0};
    if (!to_num(&args[0], &x))
        return eval_raise(cx, "bad operand type for unary -: '%s'", tn(&args[0]));
    *out = x.is_float ? value_float(-x.f) : value_int(wrap_neg(x.i));
    return 0;
}

int ev_pos(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0};
    if (!to_num(&args[0], &x))
        return eval_raise(cx, "bad operand type for unary +: '%s'", tn(&args[0]));
    *out = x.is_float ? value_float(x.f) : value_int(x.i);
    return 0;
}

int ev_abs(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0};
    if (!to_num(&args[0], &x))
        return eval_raise(cx, "bad operand type for abs(): '%s'", tn(&args[0]));
    if (x.is_float)
        *out = value_float(fabs(x.f));
    else
        *out = value_int(x.i < 0 ? wrap_neg(x.i) : x.i);
    return 0;
}

/* ---- comparisons ----------------------------------------------------------- */

/* Exact comparison of an int with a non-NaN double (CPython compares the
   mathematical values: 2**53 + 1 != 2.0**53). */
static int cmp_int_float(int64_t i, double f)
{
    if (f >= 9223372036854775808.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    double t = trunc(f);
    int64_t ti = (int64_t)t;
    if (i != ti)
        return i < ti ? -1 : 1;
    double frac = f - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* -1, 0, 1, or 2 when unordered (a NaN). */
static int cmp_num(const Num *x, const Num *y)
{
    if (!x->is_float && !y->is_float)
        return x->i < y->i ? -1 : x->i > y->i;
    if (x->is_float && y->is_float) {
        if (isnan(x->f) || isnan(y->f))
            return 2;
        return x->f < y->f ? -1 : x->f > y->f;
    }
    if (x->is_float) {
        if (isnan(x->f))
            return 2;
        return -cmp_int_float(y->i, x->f);
    }
    if (isnan(y->f))
        return 2;
    return cmp_int_float(x->i, y->f);
}

/* Python's == on two values: numbers by value, tuples and lists element by
   element (iteratively), functions by identity, anything else unequal.  An
   item is compared by value even with itself (contract 5.6: a NaN in a
   list makes it unequal to itself; CPython tests identity first). */
bool eval_values_equal(const Value *a, const Value *b)
{
    typedef struct { const Value *a, *b; } Pair;
    VEC(Pair) work = {0};
    Pair first = {a, b};
    vec_push(&work, first);
    bool eq = true;
    while (eq && work.len) {
        Pair pr = vec_pop(&work);
        Num x = {0}, y = {0};
        if (to_num(pr.a, &x) && to_num(pr.b, &y)) {
            eq = cmp_num(&x, &y) == 0;
        } else if (pr.a->kind == V_TUPLE && pr.b->kind == V_TUPLE) {
            const Tuple *s = pr.a->tup, *t = pr.b->tup;
            if (s->n != t->n) {
                eq = false;
            } else {
                for (int i = t->n - 1; i >= 0; i--) {
                    Pair q = {&s->items[i], &t->items[i]};
                    vec_push(&work, q);
                }
            }
        } else if (pr.a->kind == V_LIST && pr.b->kind == V_LIST) {
            const List *s = pr.a->list, *t = pr.b->list;
            if (s->len != t->len) {
                eq = false;
            } else {
                for (int64_t i = t->len - 1; i >= 0; i--) {
                    Pair q = {&s->items[i], &t->items[i]};
                    vec_push(&work, q);
                }
            }
        } else if (pr.a->kind == V_CLOSURE && pr.b->kind == V_CLOSURE) {
            /* Each evaluation of a graph constant makes a new closure object;
               the same graph over the same frame is the same function. */
            eq = pr.a->clo->graph == pr.b->clo->graph && pr.a->clo->env == pr.b->clo->env;
        } else if (pr.a->kind == V_PRIM && pr.b->kind == V_PRIM) {
            eq = pr.a->prim == pr.b->prim;
        } else {
            eq = false;
        }
    }
    vec_free(&work);
    return eq;
}

enum CmpOp { OP_LT, OP_LE, OP_GT, OP_GE };
static const char *const cmp_spelling[] = {"<", "<=", ">", ">="};

static bool cmp_holds(int c, enum CmpOp op)
{
    if (c == 2)
        return false;
    switch (op) {
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    }
    return false;
}

/* Python's ordering: numbers by value; tuples lexicographically (the first
   unequal items decide, descending into them iteratively, else the lengths). */
static int order(EvalCtx *cx, enum CmpOp op, const Value *a, const Value *b, bool *res)
{
    for (;;) {
        Num x = {0}, y = {0};
        if (to_num(a, &x) && to_num(b, &y)) {
            *res = cmp_holds(cmp_num(&x, &y), op);
            return 0;
        }
        if (a->kind != V_TUPLE || b->kind != V_TUPLE)
            return eval_raise(cx, "'%s' not supported between instances of '%s' and '%s'", cmp_spelling[op],
                              tn(a), tn(b));
        const Tuple *s = a->tup, *t = b->tup;
        int i = 0;
        while (i < s->n && i < t->n && eval_values_equal(&s->items[i], &t->items[i]))
            i++;
        if (i >= s->n || i >= t->n) {
            *res = cmp_holds(s->n < t->n ? -1 : s->n > t->n, op);
            return 0;
        }
        a = &s->items[i];
        b = &t->items[i];
    }
}

static int ev_order(EvalCtx *cx, enum CmpOp op, const Value *args, Value *out)
{
    bool r = false;
    if (order(cx, op, &args[0], &args[1], &r))
        return 3;
    *out = value_bool(r);
    return 0;
}

int ev_lt(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)p, (void)n; return ev_order(cx, OP_LT, args, out); }
int ev_le(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)p, (void)n; return ev_order(cx, OP_LE, args, out); }
int ev_gt(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)p, (void)n; return ev_order(cx, OP_GT, args, out); }
int ev_ge(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)p, (void)n; return ev_order(cx, OP_GE, args, out); }

int ev_eq(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = value_bool(eval_values_equal(&args[0], &args[1]));
    return 0;
}

int ev_ne(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = value_bool(!eval_values_equal(&args[0], &args[1]));
    return 0;
}

/* Python truthiness: numbers non-zero (NaN is true), tuples and lists non-empty,
   functions always. */
static bool truthy(const Value *v)
{
    switch (v->kind) {
    case V_BOOL: return v->b;
    case V_INT: return v->i != 0;
    case V_FLOAT: return v->f != 0.0;
    case V_TUPLE: return v->tup->n > 0;
    case V_LIST: return v->list->len > 0;
    case V_CLOSURE:
    case V_PRIM: return true;
    case V_UNSET: case V_ZERO: case V_ENV: break;
    }
    return false;
}

int ev_not(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = value_bool(!truthy(&args[0]));
    return 0;
}

int ev_truth(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = value_bool(truthy(&args[0]));
    return 0;
}

/* ---- builtins -------------------------------------------------------------- */

static int real_arg(EvalCtx *cx, const Value *v, double *f)
{
    Num x = {0};
    if (!to_num(v, &x))
        return eval_raise(cx, "must be real number, not %s", tn(v));
    *f = x.f;
    return 0;
}

int ev_math1(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)n;
    double x = 0;
    if (real_arg(cx, &args[0], &x))
        return 3;
    *out = value_float(p->libm1(x));
    return 0;
}

int ev_math2(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)n;
    double x = 0, y = 0;
    if (real_arg(cx, &args[0], &x) || real_arg(cx, &args[1], &y))
        return 3;
    *out = value_float(p->libm2(x, y));
    return 0;
}

/* min(a, b) is exactly `b if b < a else a`, max(a, b) `b if b > a else a`;
   the selected operand becomes a float when either operand is one (the
   static type of the result), and is returned as is otherwise. */
static int minmax(EvalCtx *cx, enum CmpOp op, const Value *args, Value *out)
{
    bool take_b = false;
    if (order(cx, op, &args[1], &args[0], &take_b))
        return 3;
    *out = args[take_b ? 1 : 0];
    if ((args[0].kind == V_FLOAT || args[1].kind == V_FLOAT) && out->kind != V_FLOAT) {
        Num x = {0};
        if (to_num(out, &x))
            *out = value_float(x.f);
    }
    return 0;
}

int ev_min(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)p, (void)n; return minmax(cx, OP_LT, args, out); }
int ev_max(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)p, (void)n; return minmax(cx, OP_GT, args, out); }

/* floor, ceil, int: an int; a float is rounded by p->libm1 (floor, ceil,
   trunc) and must then fit in 64 bits. */
static int to_int(EvalCtx *cx, const PrimInfo *p, const Value *v, Value *out)
{
    Num x = {0};
    if (!to_num(v, &x)) {
        if (p->id == P_INT)
            return eval_raise(cx, "int() argument must be a string, a bytes-like object or a real number, not '%s'",
                              tn(v));
        return eval_raise(cx, "must be real number, not %s", tn(v));
    }
    if (!x.is_float) {
        *out = value_int(x.i);
        return 0;
    }
    if (isnan(x.f))
        return eval_raise(cx, "cannot convert float NaN to integer");
    if (isinf(x.f))
        return eval_raise(cx, "cannot convert float infinity to integer");
    double r = p->libm1(x.f);
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return eval_raise(cx, "integer overflow converting float to int");
    *out = value_int((int64_t)r);
    return 0;
}

int ev_floor(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)n; return to_int(cx, p, &args[0], out); }
int ev_ceil(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)n; return to_int(cx, p, &args[0], out); }
int ev_int(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out) { (void)n; return to_int(cx, p, &args[0], out); }

int ev_float(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Num x = {0};
    if (!to_num(&args[0], &x))
        return eval_raise(cx, "float() argument must be a string or a real number, not '%s'", tn(&args[0]));
    *out = value_float(x.f);
    return 0;
}

/* ---- tuples ------------------------------------------------------------------ */

int ev_make_tuple(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p;
    Tuple *t = eval_new_tuple(cx, n);
    for (int i = 0; i < n; i++)
        t->items[i] = args[i];
    *out = value_tuple(t);
    return 0;
}

int ev_getitem(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    if (args[0].kind == V_ZERO) {      /* an item of a zero sensitivity */
        *out = args[0];
        return 0;
    }
    if (args[0].kind == V_LIST)        /* a[k] on a list (before specialisation) */
        return ev_list_get(cx, prim_info(P_LIST_GET), args, n, out);
    if (args[0].kind != V_TUPLE)
        return eval_raise(cx, "'%s' object is not subscriptable", tn(&args[0]));
    if (args[1].kind != V_INT && args[1].kind != V_BOOL)
        return eval_raise(cx, "tuple indices must be integers or slices, not %s", tn(&args[1]));
    const Tuple *t = args[0].tup;
    int64_t i = args[1].kind == V_BOOL ? args[1].b : args[1].i;
    if (i < 0)
        i += t->n;
    if (i < 0 || i >= t->n)
        return eval_raise(cx, "tuple index out of range");
    *out = t->items[i];
    return 0;
}

/* a, b = t: CPython's messages for a non-tuple and for a count mismatch. */
int ev_unpack(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p;
    if (args[0].kind != V_TUPLE)
        return eval_raise(cx, "cannot unpack non-iterable %s object", tn(&args[0]));
    int64_t want = args[1].kind == V_BOOL ? args[1].b : args[1].i;
    if (n == 3 && (args[2].kind != V_TUPLE || args[0].tup->n != want || args[2].tup->n != want))
        return eval_raise(cx, "jvp(): the function takes %lld arguments, not the primals and tangents given",
                          (long long)want);
    int have = args[0].tup->n;
    if (have > want)
        return eval_raise(cx, "too many values to unpack (expected %lld)", (long long)want);
    if (have < want)
        return eval_raise(cx, "not enough values to unpack (expected %lld, got %d)", (long long)want, have);
    *out = args[0];
    return 0;
}

/* ---- control ------------------------------------------------------------------ */

/* Never runs: inference proved no call reaches a graph whose body it is.
   Reaching it anyway is a bug in myc, reported as such. */
int ev_unreachable(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)args, (void)n, (void)out;
    return eval_raise(cx, "internal error: a function that type inference found no call to was called");
}

/* depend(x..., v) is v: the x are values nothing uses, computed (like every
   argument, and before v) before it runs, so any runtime error of theirs is
   raised, in source order. */
int ev_depend(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p;
    if (n < 1)
        return eval_raise(cx, "depend() needs a value");
    *out = args[n - 1];
    return 0;
}

int ev_switch(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = truthy(&args[0]) ? args[1] : args[2];
    return 0;
}

static int int_arg(EvalCtx *cx, const Value *v, int64_t *i)
{
    if (v->kind == V_INT)
        *i = v->i;
    else if (v->kind == V_BOOL)
        *i = v->b;
    else
        return eval_raise(cx, "'%s' object cannot be interpreted as an integer", tn(v));
    return 0;
}

int ev_range_step(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    int64_t s = 0;
    if (int_arg(cx, &args[n - 1], &s))
        return 3;
    if (s == 0)
        return eval_raise(cx, "range() arg 3 must not be zero");
    *out = value_int(s);
    return 0;
}

int ev_range_cond(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    int64_t i = 0, stop = 0, step = 0;
    if (int_arg(cx, &args[0], &i) || int_arg(cx, &args[1], &stop) || int_arg(cx, &args[2], &step))
        return 3;
    *out = value_bool(step > 0 ? i < stop : i > stop);
    return 0;
}

/* ---- differentiation (see passes/grad.h) ------------------------------------------------ */

int ev_internal(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)args, (void)n, (void)out;
    return eval_raise(cx, "internal error: %s() is resolved before code runs", p->name);
}

int ev_first(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = args[0];
    return 0;
}

int ev_zero(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)args, (void)n;
    *out = value_zero();
    return 0;
}

static bool num(const Value *v, double *d)
{
    switch (v->kind) {
    case V_FLOAT: *d = v->f; return true;
    case V_INT: *d = (double)v->i; return true;
    case V_BOOL: *d = v->b; return true;
    default: return false;
    }
}

static int env_find(const Env *e, int64_t key)
{
    for (int i = 0; i < e->n; i++)
        if (e->keys[i] == key)
            return i;
    return -1;
}

/* The sensitivity of a list is a list of its length, or the empty list
   standing for zeros (ir/prims.def, "differentiation"). */
static bool empty_list(const Value *v) { return v->kind == V_LIST && v->list->len == 0; }

int eval_sens_add(EvalCtx *cx, const Value *a, const Value *b, Value *out)
{
    double x, y;
    if (a->kind == V_ZERO || b->kind == V_ZERO || empty_list(a) || empty_list(b)) {
        *out = a->kind == V_ZERO || empty_list(a) ? *b : *a;
        return 0;
    }
    if (num(a, &x) && num(b, &y)) {
        *out = value_float(x + y);
        return 0;
    }
    if (a->kind == V_TUPLE && b->kind == V_TUPLE && a->tup->n == b->tup->n) {
        Tuple *t = eval_new_tuple(cx, a->tup->n);
        for (int i = 0; i < t->n; i++)
            if (eval_sens_add(cx, &a->tup->items[i], &b->tup->items[i], &t->items[i]))
                return 3;
        *out = value_tuple(t);
        return 0;
    }
    if (a->kind == V_ENV && b->kind == V_ENV) {
        int extra = 0;
        for (int i = 0; i < b->env->n; i++)
            extra += env_find(a->env, b->env->keys[i]) < 0;
        Env *e = eval_new_env(cx, a->env->n + extra);
        for (int i = 0; i < a->env->n; i++) {
            e->keys[i] = a->env->keys[i];
            e->vals[i] = a->env->vals[i];
        }
        int k = a->env->n;
        for (int i = 0; i < b->env->n; i++) {
            int j = env_find(a->env, b->env->keys[i]);
            if (j < 0) {
                e->keys[k] = b->env->keys[i];
                e->vals[k++] = b->env->vals[i];
            } else if (eval_sens_add(cx, &a->env->vals[j], &b->env->vals[i], &e->vals[j])) {
                return 3;
            }
        }
        *out = value_env(e);
        return 0;
    }
    if (a->kind == V_LIST && b->kind == V_LIST) {
        if (a->list->len != b->list->len)
            return eval_raise(cx, "internal error: sensitivities of lists of lengths %lld and %lld",
                              (long long)a->list->len, (long long)b->list->len);
        List *l = eval_new_list(cx, a->list->len, a->list->len);
        for (int64_t i = 0; i < l->len; i++)
            if (eval_sens_add(cx, &a->list->items[i], &b->list->items[i], &l->items[i]))
                return 3;
        *out = value_list(l);
        return 0;
    }
    return eval_raise(cx, "internal error: cannot add sensitivities of types %s and %s", tn(a), tn(b));
}

int ev_sadd(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return eval_sens_add(cx, &args[0], &args[1], out);
}

int ev_sscale(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    double x, y;
    if (args[0].kind == V_ZERO || args[1].kind == V_ZERO || args[0].kind == V_LIST || args[1].kind == V_LIST) {
        *out = value_zero();
        return 0;
    }
    if (!num(&args[0], &x) || !num(&args[1], &y))
        return eval_raise(cx, "internal error: cannot scale a %s by a %s", tn(&args[0]), tn(&args[1]));
    /* a zero sensitivity or tangent stays that zero whatever the partial
       (an infinite or NaN partial of an input that does not vary), its
       sign kept: so scaling by 1.0 is the identity, as in a hand-written
       adjoint's d * 1.0 */
    *out = value_float(x == 0.0 ? x : x * y);
    return 0;
}

/* add_sens, add_tangent, mul_sens and mul_tangent (ir/prims.def) for
   values of any kind (specialise expands them for typed code). */
static int scale(EvalCtx *cx, const Value *d, const Value *k, Value *out)
{
    Value two[2] = {*d, *k};
    return ev_sscale(cx, prim_info(P_SSCALE), two, 2, out);
}

int ev_add_sens(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Value *d = &args[0], *a = &args[1], *b = &args[2];
    if (a->kind != V_LIST && b->kind != V_LIST) {
        Value one = value_float(1.0);
        return scale(cx, d, &one, out);
    }
    if (d->kind == V_ZERO || empty_list(d)) {
        *out = *d;
        return 0;
    }
    if (a->kind != V_LIST || d->kind != V_LIST || d->list->len < a->list->len)
        return eval_raise(cx, "internal error: add_sens of a %s", tn(d));
    int64_t from = args[3].i ? a->list->len : 0, len = args[3].i ? d->list->len - from : a->list->len;
    List *l = eval_new_list(cx, len, len);
    for (int64_t i = 0; i < len; i++)
        l->items[i] = d->list->items[from + i];
    *out = value_list(l);
    return 0;
}

int ev_add_tangent(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Value *a = &args[0], *b = &args[1];
    if (a->kind != V_LIST && b->kind != V_LIST) {
        Value one = value_float(1.0), x, y;
        return scale(cx, &args[2], &one, &x) || scale(cx, &args[3], &one, &y) ? 3 : eval_sens_add(cx, &x, &y, out);
    }
    if (args[2].kind == V_ZERO && args[3].kind == V_ZERO) {
        *out = value_zero();
        return 0;
    }
    Value x, y;
    if (eval_sens_dense(cx, a, &args[2], &x) || eval_sens_dense(cx, b, &args[3], &y))
        return 3;
    return eval_list_concat(cx, &x, &y, out);
}

int ev_mul_sens(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Value *d = &args[0], *ab = &args[1];
    int64_t k = args[3].i;
    if (ab[0].kind != V_LIST && ab[1].kind != V_LIST)
        return scale(cx, d, &ab[1 - k], out);
    if (ab[k].kind != V_LIST || d->kind == V_ZERO) {
        *out = value_zero();
        return 0;
    }
    Value two[2] = {*d, ab[k]};
    return ev_list_unrepeat(cx, prim_info(P_LIST_UNREPEAT), two, 2, out);
}

int ev_mul_tangent(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Value *ab = &args[0], *t = &args[2];
    int l = ab[0].kind == V_LIST ? 0 : ab[1].kind == V_LIST ? 1 : -1;
    if (l < 0) {
        Value x, y;
        return scale(cx, &t[0], &ab[1], &x) || scale(cx, &t[1], &ab[0], &y) ? 3 : eval_sens_add(cx, &x, &y, out);
    }
    if (t[l].kind == V_ZERO) {
        *out = value_zero();
        return 0;
    }
    Value dense;
    if (eval_sens_dense(cx, &ab[l], &t[l], &dense))
        return 3;
    return eval_list_repeat(cx, &dense, &ab[1 - l], out);
}

/* d with x's shape, zeros materialised (ints and bools have none; a list
   gets its length, a list d of another length being the empty zero; an
   empty x may be a zero standing for a longer list, and takes d's). */
int eval_sens_dense(EvalCtx *cx, const Value *x, const Value *d, Value *out)
{
    if (x->kind == V_INT || x->kind == V_BOOL || x->kind == V_ZERO) {
        *out = value_zero();
        return 0;
    }
    if (x->kind == V_FLOAT) {
        double v = 0.0;
        if (d->kind != V_ZERO && !num(d, &v))
            return eval_raise(cx, "internal error: a %s as the sensitivity of a float", tn(d));
        *out = value_float(v);
        return 0;
    }
    if (x->kind == V_TUPLE) {
        Tuple *t = eval_new_tuple(cx, x->tup->n);
        for (int i = 0; i < t->n; i++) {
            Value z = value_zero();
            const Value *di = d->kind == V_TUPLE && d->tup->n == t->n ? &d->tup->items[i] : &z;
            if (eval_sens_dense(cx, &x->tup->items[i], di, &t->items[i]))
                return 3;
        }
        *out = value_tuple(t);
        return 0;
    }
    if (x->kind == V_LIST) {
        const List *xl = x->list;
        if (xl->len == 0 && d->kind == V_LIST) {
            /* x is itself a list's empty zero (a sensitivity of a lower
               order, transformed again): d has the shape */
            *out = *d;
            return 0;
        }
        bool full = d->kind == V_LIST && d->list->len == xl->len;
        if (!full && d->kind != V_ZERO && !empty_list(d))
            return eval_raise(cx, "internal error: a %s as the sensitivity of a list of %lld items", tn(d),
                              (long long)xl->len);
        List *l = eval_new_list(cx, xl->len, xl->len);
        Value z = value_zero();
        for (int64_t i = 0; i < l->len; i++)
            if (eval_sens_dense(cx, list_shape_item(xl, i), full ? &d->list->items[i] : &z, &l->items[i]))
                return 3;
        *out = value_list(l);
        return 0;
    }
    if (d->kind == V_ENV) {
        *out = *d;
        return 0;
    }
    *out = value_env(eval_new_env(cx, 0));     /* a function's: no sensitivities yet */
    return 0;
}

int ev_sdense(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return eval_sens_dense(cx, &args[0], &args[1], out);
}

int ev_sfor(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)cx, (void)p, (void)n;
    *out = args[0].kind == V_INT || args[0].kind == V_BOOL ? value_zero() : args[1];
    return 0;
}

/* The zero of type t, as specialised code holds it (a list's: empty). */
static Value typed_zero(EvalCtx *cx, const Type *t)
{
    switch (t ? t->kind : T_ZERO) {
    case T_FLOAT: return value_float(0.0);
    case T_INT: return value_int(0);
    case T_BOOL: return value_bool(false);
    case T_LIST: return value_list(eval_new_list(cx, 0, 0));
    case T_ENV: return value_env(eval_new_env(cx, 0));
    case T_TUPLE: {
        Tuple *tup = eval_new_tuple(cx, t->n);
        for (int i = 0; i < t->n; i++)
            tup->items[i] = typed_zero(cx, t->elems[i]);
        return value_tuple(tup);
    }
    default: return value_zero();
    }
}

int ev_sens_get(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Value *d = &args[0];
    if (args[2].kind != V_INT)
        return eval_raise(cx, "internal error: sens_get at a %s", tn(&args[2]));
    if (d->kind == V_ZERO || empty_list(d)) {
        *out = typed_zero(cx, eval_node(cx) ? eval_node(cx)->type : NULL);
        return 0;
    }
    int64_t len = d->kind == V_TUPLE ? d->tup->n : d->kind == V_LIST ? d->list->len : -1;
    int64_t i = args[2].i < 0 ? args[2].i + len : args[2].i;
    if (len < 0 || i < 0 || i >= len)
        return eval_raise(cx, "internal error: sens_get of a %s", tn(d));
    *out = d->kind == V_TUPLE ? d->tup->items[i] : d->list->items[i];
    return 0;
}

int ev_onehot(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    if (args[0].kind == V_LIST && args[1].kind == V_INT) {    /* zeros shaped like the list, d at i */
        const List *xl = args[0].list;
        int64_t i = args[1].i < 0 ? args[1].i + xl->len : args[1].i;
        if (i < 0 || i >= xl->len)
            return eval_raise(cx, "internal error: onehot at %lld of a list of %lld items", (long long)args[1].i,
                              (long long)xl->len);
        List *l = eval_new_list(cx, xl->len, xl->len);
        Value z = value_zero();
        for (int64_t k = 0; k < l->len; k++)
            if (eval_sens_dense(cx, list_shape_item(xl, k), k == i ? &args[2] : &z, &l->items[k]))
                return 3;
        *out = value_list(l);
        return 0;
    }
    if (args[0].kind != V_TUPLE || args[1].kind != V_INT)
        return eval_raise(cx, "internal error: onehot of a %s", tn(&args[0]));
    Tuple *t = eval_new_tuple(cx, args[0].tup->n);
    int64_t i = args[1].i < 0 ? args[1].i + t->n : args[1].i;
    /* the other items: zeros as specialised code holds them (a list's is
       the empty list, as native code has it), where the type says */
    const Node *at = eval_node(cx);
    const Type *rt = at && at->type && at->type->kind == T_TUPLE && at->type->n == t->n ? at->type : NULL;
    for (int k = 0; k < t->n; k++)
        t->items[k] = k == i ? args[2] : rt ? typed_zero(cx, rt->elems[k]) : value_zero();
    *out = value_tuple(t);
    return 0;
}

int ev_newenv(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)args, (void)n;
    *out = value_env(eval_new_env(cx, 0));
    return 0;
}

int ev_env_set(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Env *old = args[0].kind == V_ENV ? args[0].env : NULL;
    int64_t key = args[1].i;
    int on = old ? old->n : 0, j = old ? env_find(old, key) : -1;
    Env *e = eval_new_env(cx, on + (j < 0));
    for (int i = 0; i < on; i++) {
        e->keys[i] = old->keys[i];
        e->vals[i] = old->vals[i];
    }
    e->keys[j < 0 ? on : j] = key;
    e->vals[j < 0 ? on : j] = args[2];
    *out = value_env(e);
    return 0;
}

int ev_env_get(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    int j = args[0].kind == V_ENV ? env_find(args[0].env, args[1].i) : -1;
    Value z = value_zero();
    return eval_sens_dense(cx, &args[2], j >= 0 ? &args[0].env->vals[j] : &z, out);
}

int ev_xlogy(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    double y, a;
    if (!num(&args[0], &y) || !num(&args[1], &a))
        return eval_raise(cx, "internal error: xlogy of a %s", tn(&args[0]));
    *out = value_float(y == 0.0 ? 0.0 : y * log(a));
    return 0;
}

static int to_float_shape(EvalCtx *cx, const Value *x, Value *out)
{
    double v;
    if (num(x, &v)) {
        *out = value_float(v);
        return 0;
    }
    if (x->kind == V_TUPLE) {
        Tuple *t = eval_new_tuple(cx, x->tup->n);
        for (int i = 0; i < t->n; i++)
            if (to_float_shape(cx, &x->tup->items[i], &t->items[i]))
                return 3;
        *out = value_tuple(t);
        return 0;
    }
    if (x->kind == V_LIST) {
        List *l = eval_new_list(cx, x->list->len, x->list->len);
        for (int64_t i = 0; i < l->len; i++)
            if (to_float_shape(cx, &x->list->items[i], &l->items[i]))
                return 3;
        *out = value_list(l);
        return 0;
    }
    return eval_raise(cx, "cannot differentiate with respect to a %s", tn(x));
}

int ev_to_diff(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return to_float_shape(cx, &args[0], out);
}

/* Whether the lists in t have the lengths of those in x (the shapes of
   the types agree: inference checked them). */
static bool same_lengths(const Value *x, const Value *t)
{
    if (x->kind == V_TUPLE && t->kind == V_TUPLE && x->tup->n == t->tup->n) {
        for (int i = 0; i < x->tup->n; i++)
            if (!same_lengths(&x->tup->items[i], &t->tup->items[i]))
                return false;
        return true;
    }
    if (x->kind == V_LIST && t->kind == V_LIST) {
        if (x->list->len != t->list->len)
            return false;
        for (int64_t i = 0; i < x->list->len; i++)
            if (!same_lengths(&x->list->items[i], &t->list->items[i]))
                return false;
    }
    return true;
}

/* cotangent(x, t, what): t as x's (co)tangent, its lists as long as x's
   (contract 5.4: a length mismatch is a runtime error) */
int ev_cotangent(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    if (!same_lengths(&args[0], &args[1]))
        return eval_raise(cx, "%s has a list whose length differs from %s", args[2].kind == V_INT && args[2].i == 0
                              ? "the cotangent passed to vjp's pullback" : "a tangent passed to jvp",
                          args[2].kind == V_INT && args[2].i == 0 ? "the function's result's" : "its argument's");
    return to_float_shape(cx, &args[1], out);
}
