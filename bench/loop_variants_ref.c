/* bench/loop_variants_ref.c: the loop variants (bench/loop_variants.my) in C,
   and their adjoints written by hand the way bench/lotka_volterra_ref.c is:
   the forward sweep stores the state carried into each iteration in a tape
   (1, 2 or 4 doubles a step), with the special function of it that the
   forward sweep computes anyway and the reverse sweep needs (loop_exp:
   exp(a x); loop_while: sin x), and the reverse sweep runs the steps
   backwards, recomputing the rest from the tape. */
#include <math.h>
#include <stdlib.h>

#include "refs.h"

#define H 1e-4

static double *tape_new(int64_t n, int per_step)
{
    double *tape = malloc((n > 0 ? (size_t)n * (size_t)per_step : 1) * sizeof *tape);
    if (!tape)
        abort();
    return tape;
}

/* ---- loop_lin: x += H (a x + b) ---- */

double ref_loop_lin(double x0, double a, double b, int64_t n)
{
    double x = x0;
    for (int64_t k = 0; k < n; k++)
        x = x + H * (a * x + b);
    return x;
}

double ref_loop_lin_grad(double x0, double a, double b, int64_t n, double *d_x0, double *d_a,
                         double *d_b)
{
    double *tape = tape_new(n, 1);
    double x = x0;
    for (int64_t k = 0; k < n; k++) {
        tape[k] = x;
        x = x + H * (a * x + b);
    }
    double xb = 1.0, ab = 0.0, bb = 0.0;
    for (int64_t k = n - 1; k >= 0; k--) {
        double sb = H * xb;   /* adjoint of a x + b */
        ab += sb * tape[k];
        bb += sb;
        xb += sb * a;
    }
    free(tape);
    *d_x0 = xb;
    *d_a = ab;
    *d_b = bb;
    return x;
}

/* ---- loop_exp: x += H (b - exp(a x)) ---- */

double ref_loop_exp(double x0, double a, double b, int64_t n)
{
    double x = x0;
    for (int64_t k = 0; k < n; k++)
        x = x + H * (b - exp(a * x));
    return x;
}

double ref_loop_exp_grad(double x0, double a, double b, int64_t n, double *d_x0, double *d_a,
                         double *d_b)
{
    double *tape = tape_new(n, 2);   /* x_k and exp(a x_k) */
    double x = x0;
    for (int64_t k = 0; k < n; k++) {
        double e = exp(a * x);
        tape[2 * k] = x;
        tape[2 * k + 1] = e;
        x = x + H * (b - e);
    }
    double xb = 1.0, ab = 0.0, bb = 0.0;
    for (int64_t k = n - 1; k >= 0; k--) {
        double eb = -H * xb * tape[2 * k + 1];   /* adjoint of a x */
        bb += H * xb;
        ab += eb * tape[2 * k];
        xb += eb * a;
    }
    free(tape);
    *d_x0 = xb;
    *d_a = ab;
    *d_b = bb;
    return x;
}

/* ---- loop_const: x += H (2 - 3 x + 0.5 sin(a x + 1)) ---- */

double ref_loop_const(double x0, double a, int64_t n)
{
    double x = x0;
    for (int64_t k = 0; k < n; k++)
        x = x + H * (2.0 - 3.0 * x + 0.5 * sin(a * x + 1.0));
    return x;
}

double ref_loop_const_grad(double x0, double a, int64_t n, double *d_x0, double *d_a)
{
    double *tape = tape_new(n, 1);
    double x = x0;
    for (int64_t k = 0; k < n; k++) {
        tape[k] = x;
        x = x + H * (2.0 - 3.0 * x + 0.5 * sin(a * x + 1.0));
    }
    double xb = 1.0, ab = 0.0;
    for (int64_t k = n - 1; k >= 0; k--) {
        double xk = tape[k];
        double sb = 0.5 * H * xb * cos(a * xk + 1.0);   /* adjoint of a x + 1 */
        ab += sb * xk;
        xb += -3.0 * H * xb + sb * a;
    }
    free(tape);
    *d_x0 = xb;
    *d_a = ab;
    return x;
}

/* ---- loop_euler2: u' = v, v' = a (1 - u^2) v - b u - c u^3 + d; loss u^2 + v^2 ---- */

double ref_loop_euler2(double a, double b, double c, double d, int64_t n)
{
    double u = 1.0, v = 0.0;
    for (int64_t k = 0; k < n; k++) {
        double du = v;
        double dv = a * (1.0 - u * u) * v - b * u - c * u * u * u + d;
        u = u + H * du;
        v = v + H * dv;
    }
    return u * u + v * v;
}

double ref_loop_euler2_grad(double a, double b, double c, double d, int64_t n, double *d_a,
                            double *d_b, double *d_c, double *d_d)
{
    double *tape = tape_new(n, 2);
    double u = 1.0, v = 0.0;
    for (int64_t k = 0; k < n; k++) {
        tape[2 * k] = u;
        tape[2 * k + 1] = v;
        double du = v;
        double dv = a * (1.0 - u * u) * v - b * u - c * u * u * u + d;
        u = u + H * du;
        v = v + H * dv;
    }
    double loss = u * u + v * v;
    double ub = 2.0 * u, vb = 2.0 * v, ab = 0.0, bb = 0.0, cb = 0.0, db = 0.0;
    for (int64_t k = n - 1; k >= 0; k--) {
        double uk = tape[2 * k], vk = tape[2 * k + 1];
        double dvb = H * vb, w = 1.0 - uk * uk;
        ab += dvb * w * vk;
        bb -= dvb * uk;
        cb -= dvb * uk * uk * uk;
        db += dvb;
        double nub = ub + dvb * (-2.0 * a * uk * vk - b - 3.0 * c * uk * uk);
        vb += H * ub + dvb * a * w;
        ub = nub;
    }
    free(tape);
    *d_a = ab;
    *d_b = bb;
    *d_c = cb;
    *d_d = db;
    return loss;
}

/* ---- loop_euler4: two coupled oscillators (x, vx, y, vy); loss x y ---- */

double ref_loop_euler4(double k, double c, double e, double d, int64_t n)
{
    double x = 1.0, vx = 0.0, y = -0.5, vy = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double ax = -k * x - c * vx + e * sin(y - x);
        double ay = -d * y - c * vy + e * sin(x - y);
        x = x + H * vx;
        vx = vx + H * ax;
        y = y + H * vy;
        vy = vy + H * ay;
    }
    return x * y;
}

double ref_loop_euler4_grad(double k, double c, double e, double d, int64_t n, double *d_k,
                            double *d_c, double *d_e, double *d_d)
{
    double *tape = tape_new(n, 4);
    double x = 1.0, vx = 0.0, y = -0.5, vy = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double *t = tape + 4 * i;
        t[0] = x;
        t[1] = vx;
        t[2] = y;
        t[3] = vy;
        double ax = -k * x - c * vx + e * sin(y - x);
        double ay = -d * y - c * vy + e * sin(x - y);
        x = x + H * vx;
        vx = vx + H * ax;
        y = y + H * vy;
        vy = vy + H * ay;
    }
    double loss = x * y;
    double xb = y, yb = x, vxb = 0.0, vyb = 0.0, kb = 0.0, cb = 0.0, eb = 0.0, db = 0.0;
    for (int64_t i = n - 1; i >= 0; i--) {
        const double *t = tape + 4 * i;
        double xi = t[0], vxi = t[1], yi = t[2], vyi = t[3];
        double axb = H * vxb, ayb = H * vyb;
        double s = sin(yi - xi), co = cos(yi - xi);   /* sin(x - y) = -s, cos(x - y) = co */
        kb -= axb * xi;
        db -= ayb * yi;
        cb -= axb * vxi + ayb * vyi;
        eb += (axb - ayb) * s;
        double sb = e * co * (axb - ayb);   /* adjoint of y - x through both sines */
        vxb += H * xb - c * axb;   /* x' = x + H vx, before xb changes */
        vyb += H * yb - c * ayb;
        xb += -k * axb - sb;
        yb += -d * ayb + sb;
    }
    free(tape);
    *d_k = kb;
    *d_c = cb;
    *d_e = eb;
    *d_d = db;
    return loss;
}

/* ---- loop_while: x += H (a sin x - b x) until the counter reaches n, unless x > 1e6 ---- */

double ref_loop_while(double x0, double a, double b, int64_t n)
{
    double x = x0;
    for (int64_t k = 0;;) {
        x = x + H * (a * sin(x) - b * x);
        if (x > 1e6)
            return 1e6;
        if (++k >= n)
            break;
    }
    return x;
}

double ref_loop_while_grad(double x0, double a, double b, int64_t n, double *d_x0, double *d_a,
                           double *d_b)
{
    double *tape = tape_new(n > 0 ? n : 1, 2);   /* x_k and sin x_k */
    double x = x0;
    int64_t steps = 0;
    for (;;) {
        double s = sin(x);
        tape[2 * steps] = x;
        tape[2 * steps + 1] = s;
        x = x + H * (a * s - b * x);
        if (x > 1e6) {   /* the constant 1e6 is the value: no gradient */
            free(tape);
            *d_x0 = *d_a = *d_b = 0.0;
            return 1e6;
        }
        if (++steps >= n)
            break;
    }
    double xb = 1.0, ab = 0.0, bb = 0.0;
    for (int64_t k = steps - 1; k >= 0; k--) {
        double xk = tape[2 * k];
        ab += H * xb * tape[2 * k + 1];
        bb -= H * xb * xk;
        xb += H * xb * (a * cos(xk) - b);
    }
    free(tape);
    *d_x0 = xb;
    *d_a = ab;
    *d_b = bb;
    return x;
}
