/* bench/straight_variants_ref.c: the straight-line variants
   (bench/straight_variants.my) in C, and their adjoints written by hand:
   the forward sweep keeps its intermediates in locals, the reverse sweep
   applies the chain rule to them in reverse order. */
#include <math.h>

#include "refs.h"

/* ---- sl_lin: a 3 x 3 determinant plus x y z w ---- */

double ref_sl_lin(double x, double y, double z, double w)
{
    double t1 = z * x - w * w, t2 = y * x - w * z, t3 = y * w - z * z;
    return x * t1 - y * t2 + z * t3 + x * y * z * w;
}

double ref_sl_lin_grad(double x, double y, double z, double w, double *d_x, double *d_y,
                       double *d_z, double *d_w)
{
    double t1 = z * x - w * w, t2 = y * x - w * z, t3 = y * w - z * z;
    /* the adjoints of t1, t2, t3 are x, -y, z */
    *d_x = t1 + y * z * w + x * z - y * y;
    *d_y = -t2 + x * z * w - y * x + z * w;
    *d_z = t3 + x * y * w + x * x + y * w - 2.0 * z * z;
    *d_w = x * y * z - 2.0 * x * w + y * z + z * y;
    return x * t1 - y * t2 + z * t3 + x * y * z * w;
}

/* ---- sl_trans: exp(-x^2) sin y + log(1 + z^2) cos(x y) + |(x, y, z)| tanh z ---- */

double ref_sl_trans(double x, double y, double z)
{
    double a = exp(-x * x) * sin(y);
    double b = log(1.0 + z * z) * cos(x * y);
    return a + b + sqrt(x * x + y * y + z * z) * tanh(z);
}

double ref_sl_trans_grad(double x, double y, double z, double *d_x, double *d_y, double *d_z)
{
    double e = exp(-x * x), s = sin(y), q = 1.0 + z * z, l = log(q), c = cos(x * y);
    double r = sqrt(x * x + y * y + z * z), th = tanh(z);
    double lsxy = l * sin(x * y), thr = th / r;
    *d_x = -2.0 * x * e * s - lsxy * y + thr * x;
    *d_y = e * cos(y) - lsxy * x + thr * y;
    *d_z = 2.0 * z * c / q + thr * z + r * (1.0 - th * th);
    return e * s + l * c + r * th;
}

/* ---- sl_const: erf(x / s), Abramowitz and Stegun 7.1.26 ---- */

#define P 0.3275911
#define A1 0.254829592
#define A2 -0.284496736
#define A3 1.421413741
#define A4 -1.453152027
#define A5 1.061405429

double ref_sl_const(double x, double s)
{
    double u = x / s;
    double t = 1.0 / (1.0 + P * u);
    double p = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
    return 1.0 - p * exp(-u * u);
}

double ref_sl_const_grad(double x, double s, double *d_x, double *d_s)
{
    double u = x / s;
    double t = 1.0 / (1.0 + P * u);
    double q4 = A4 + t * A5, q3 = A3 + t * q4, q2 = A2 + t * q3, q1 = A1 + t * q2;
    double p = t * q1, e = exp(-u * u);
    /* dp/dt by the Horner steps in reverse */
    double dp = q1 + t * (q2 + t * (q3 + t * (q4 + t * A5)));
    double ub = e * (dp * P * t * t + 2.0 * u * p);   /* d(1 - p e)/du */
    *d_x = ub / s;
    *d_s = -ub * u / s;
    return 1.0 - p * e;
}

/* ---- sl_reuse: t = sin(x y) + z; t^3 - 2 t x + t / (1 + y^2) + exp(t) z ---- */

double ref_sl_reuse(double x, double y, double z)
{
    double t = sin(x * y) + z;
    return t * t * t - 2.0 * t * x + t / (1.0 + y * y) + exp(t) * z;
}

double ref_sl_reuse_grad(double x, double y, double z, double *d_x, double *d_y, double *d_z)
{
    double t = sin(x * y) + z, q = 1.0 + y * y, et = exp(t);
    double tb = 3.0 * t * t - 2.0 * x + 1.0 / q + et * z;
    double cb = tb * cos(x * y);   /* adjoint of x y */
    *d_x = -2.0 * t + cb * y;
    *d_y = -2.0 * y * t / (q * q) + cb * x;
    *d_z = et + tb;
    return t * t * t - 2.0 * t * x + t / q + et * z;
}

/* ---- sl_branch: the Huber loss of r = x y - sin x at d ---- */

double ref_sl_branch(double x, double y, double d)
{
    double r = x * y - sin(x);
    if (r > d)
        return d * (r - 0.5 * d);
    if (r < -d)
        return -d * (r + 0.5 * d);
    return 0.5 * r * r;
}

double ref_sl_branch_grad(double x, double y, double d, double *d_x, double *d_y, double *d_d)
{
    double r = x * y - sin(x), rb, value;
    if (r > d) {
        value = d * (r - 0.5 * d);
        rb = d;
        *d_d = r - d;
    } else if (r < -d) {
        value = -d * (r + 0.5 * d);
        rb = -d;
        *d_d = -r - d;
    } else {
        value = 0.5 * r * r;
        rb = r;
        *d_d = 0.0;
    }
    *d_x = rb * (y - cos(x));
    *d_y = rb * x;
    return value;
}
