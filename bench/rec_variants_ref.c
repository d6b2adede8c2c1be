/* bench/rec_variants_ref.c: the recursion variants (bench/rec_variants.my)
   in C, recursive as in the .my file, and their adjoints written by hand
   the way bench/recursion_ref.c is: the forward sweep is the same recursion
   storing, per level, the result of the recursive call (rec_pair: both
   values) in a tape, with the special functions of it that the forward sweep
   computes anyway and the reverse sweep needs (rec_cos: cos y; rec_guard:
   sin y and cos y), so that the reverse sweep recomputes only arithmetic and
   the special functions the forward sweep did not compute; the reverse sweep
   walks the tape from the outermost level in, carrying the adjoint of the
   level's result. */
#include <math.h>
#include <stdlib.h>

#include "refs.h"

static double *tape_new(int64_t n, int per_level)
{
    double *tape = malloc((n > 0 ? (size_t)n * (size_t)per_level : 1) * sizeof *tape);
    if (!tape)
        abort();
    return tape;
}

/* ---- rec_lin: r(n) = a r(n - 1) + x ---- */

static double lin(double x, double a, int64_t n)
{
    return n == 0 ? x : a * lin(x, a, n - 1) + x;
}

double ref_rec_lin(double x, double a, int64_t n)
{
    return lin(x, a, n);
}

static double lin_fwd(double x, double a, int64_t n, double *tape)
{
    if (n == 0)
        return x;
    double y = lin_fwd(x, a, n - 1, tape);
    tape[n - 1] = y;
    return a * y + x;
}

double ref_rec_lin_grad(double x, double a, int64_t n, double *d_x, double *d_a)
{
    double *tape = tape_new(n, 1);
    double value = lin_fwd(x, a, n, tape);
    double ob = 1.0, xb = 0.0, ab = 0.0;
    for (int64_t k = n; k > 0; k--) {
        xb += ob;
        ab += ob * tape[k - 1];
        ob *= a;
    }
    xb += ob;
    free(tape);
    *d_x = xb;
    *d_a = ab;
    return value;
}

/* ---- rec_cos: r(n) = cos(r(n - 1)) x ---- */

static double rcos(double x, int64_t n)
{
    return n == 0 ? x : cos(rcos(x, n - 1)) * x;
}

double ref_rec_cos(double x, int64_t n)
{
    return rcos(x, n);
}

/* tape[2 (n - 1)] = y = r(n - 1), tape[2 (n - 1) + 1] = cos y */
static double rcos_fwd(double x, int64_t n, double *tape)
{
    if (n == 0)
        return x;
    double y = rcos_fwd(x, n - 1, tape);
    double c = cos(y);
    tape[2 * (n - 1)] = y;
    tape[2 * (n - 1) + 1] = c;
    return c * x;
}

double ref_rec_cos_grad(double x, int64_t n, double *d_x)
{
    double *tape = tape_new(n, 2);
    double value = rcos_fwd(x, n, tape);
    double ob = 1.0, xb = 0.0;
    for (int64_t k = n; k > 0; k--) {
        xb += ob * tape[2 * (k - 1) + 1];
        ob = -ob * x * sin(tape[2 * (k - 1)]);
    }
    xb += ob;
    free(tape);
    *d_x = xb;
    return value;
}

/* ---- rec_const: r(n) = 0.5 sin(a r(n - 1) + 1) - 0.25 x + 2 ---- */

static double rconst(double x, double a, int64_t n)
{
    return n == 0 ? x : 0.5 * sin(a * rconst(x, a, n - 1) + 1.0) - 0.25 * x + 2.0;
}

double ref_rec_const(double x, double a, int64_t n)
{
    return rconst(x, a, n);
}

static double rconst_fwd(double x, double a, int64_t n, double *tape)
{
    if (n == 0)
        return x;
    double y = rconst_fwd(x, a, n - 1, tape);
    tape[n - 1] = y;
    return 0.5 * sin(a * y + 1.0) - 0.25 * x + 2.0;
}

double ref_rec_const_grad(double x, double a, int64_t n, double *d_x, double *d_a)
{
    double *tape = tape_new(n, 1);
    double value = rconst_fwd(x, a, n, tape);
    double ob = 1.0, xb = 0.0, ab = 0.0;
    for (int64_t k = n; k > 0; k--) {
        double y = tape[k - 1];
        double sb = 0.5 * ob * cos(a * y + 1.0);   /* adjoint of a y + 1 */
        xb -= 0.25 * ob;
        ab += sb * y;
        ob = sb * a;
    }
    xb += ob;
    free(tape);
    *d_x = xb;
    *d_a = ab;
    return value;
}

/* ---- rec_twice: r(n) = a y (1 - y) + x, y = r(n - 1) ---- */

static double twice(double x, double a, int64_t n)
{
    if (n == 0)
        return x;
    double y = twice(x, a, n - 1);
    return a * y * (1.0 - y) + x;
}

double ref_rec_twice(double x, double a, int64_t n)
{
    return twice(x, a, n);
}

static double twice_fwd(double x, double a, int64_t n, double *tape)
{
    if (n == 0)
        return x;
    double y = twice_fwd(x, a, n - 1, tape);
    tape[n - 1] = y;
    return a * y * (1.0 - y) + x;
}

double ref_rec_twice_grad(double x, double a, int64_t n, double *d_x, double *d_a)
{
    double *tape = tape_new(n, 1);
    double value = twice_fwd(x, a, n, tape);
    double ob = 1.0, xb = 0.0, ab = 0.0;
    for (int64_t k = n; k > 0; k--) {
        double y = tape[k - 1];
        xb += ob;
        ab += ob * y * (1.0 - y);
        ob = ob * a * (1.0 - 2.0 * y);
    }
    xb += ob;
    free(tape);
    *d_x = xb;
    *d_a = ab;
    return value;
}

/* ---- rec_pair: (p, q)(n) = (p + 0.01 a q, q - 0.01 b sin p), (p, q) = (p, q)(n - 1) ---- */

typedef struct pq {
    double p, q;
} pq;

static pq pair(double u, double v, double a, double b, int64_t n)
{
    if (n == 0)
        return (pq){u, v};
    pq r = pair(u, v, a, b, n - 1);
    return (pq){r.p + 0.01 * a * r.q, r.q - 0.01 * b * sin(r.p)};
}

double ref_rec_pair(double u, double v, double a, double b, int64_t n)
{
    pq r = pair(u, v, a, b, n);
    return r.p * r.q;
}

static pq pair_fwd(double u, double v, double a, double b, int64_t n, double *tape)
{
    if (n == 0)
        return (pq){u, v};
    pq r = pair_fwd(u, v, a, b, n - 1, tape);
    tape[2 * (n - 1)] = r.p;
    tape[2 * (n - 1) + 1] = r.q;
    return (pq){r.p + 0.01 * a * r.q, r.q - 0.01 * b * sin(r.p)};
}

double ref_rec_pair_grad(double u, double v, double a, double b, int64_t n, double *d_u,
                         double *d_v, double *d_a, double *d_b)
{
    double *tape = tape_new(n, 2);
    pq r = pair_fwd(u, v, a, b, n, tape);
    double pb = r.q, qb = r.p, ab = 0.0, bb = 0.0;
    for (int64_t k = n; k > 0; k--) {
        double p = tape[2 * (k - 1)], q = tape[2 * (k - 1) + 1];
        ab += 0.01 * pb * q;
        bb -= 0.01 * qb * sin(p);
        double npb = pb - 0.01 * b * qb * cos(p);
        qb += 0.01 * a * pb;
        pb = npb;
    }
    free(tape);
    *d_u = pb;
    *d_v = qb;
    *d_a = ab;
    *d_b = bb;
    return r.p * r.q;
}

/* ---- rec_guard: r(n) = a sin y + x cos y, y = r(n - 1), unless y > 100: y ---- */

static double guard(double x, double a, int64_t n)
{
    if (n == 0)
        return x;
    double y = guard(x, a, n - 1);
    if (y > 100.0)
        return y;
    return a * sin(y) + x * cos(y);
}

double ref_rec_guard(double x, double a, int64_t n)
{
    return guard(x, a, n);
}

/* tape[3 (n - 1)] = y = r(n - 1), then sin y and cos y (unset when y > 100) */
static double guard_fwd(double x, double a, int64_t n, double *tape)
{
    if (n == 0)
        return x;
    double y = guard_fwd(x, a, n - 1, tape);
    double *t = tape + 3 * (n - 1);
    t[0] = y;
    if (y > 100.0)
        return y;
    t[1] = sin(y);
    t[2] = cos(y);
    return a * t[1] + x * t[2];
}

double ref_rec_guard_grad(double x, double a, int64_t n, double *d_x, double *d_a)
{
    double *tape = tape_new(n, 3);
    double value = guard_fwd(x, a, n, tape);
    double ob = 1.0, xb = 0.0, ab = 0.0;
    for (int64_t k = n; k > 0; k--) {
        const double *t = tape + 3 * (k - 1);
        if (t[0] > 100.0)
            continue;   /* the level returned y: ob passes through */
        double s = t[1], c = t[2];
        ab += ob * s;
        xb += ob * c;
        ob = ob * (a * c - x * s);
    }
    xb += ob;
    free(tape);
    *d_x = xb;
    *d_a = ab;
    return value;
}
