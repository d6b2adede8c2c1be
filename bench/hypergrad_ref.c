/* bench/hypergrad_ref.c: hypergrad (bench/hypergrad.my) in C, with the inner
   loss's gradient derived by hand, and its adjoint written by hand: the
   forward sweep stores every iterate (u_i, v_i) in a tape (2 k doubles); the
   reverse sweep runs the descent steps backwards, which needs the inner
   loss's Hessian (also by hand).

   f(u, v) = (u - 1)^2 + 2 r^2 + 0.1 cos(u v),  r = v - sin u
   f_u  = 2 (u - 1) - 4 r cos u - 0.1 v sin(u v)
   f_v  = 4 r - 0.1 u sin(u v)
   f_uu = 2 + 4 cos^2 u + 4 r sin u - 0.1 v^2 cos(u v)
   f_uv = -4 cos u - 0.1 (sin(u v) + u v cos(u v))
   f_vv = 4 - 0.1 u^2 cos(u v) */
#include <math.h>
#include <stdlib.h>

#include "refs.h"

static double f(double u, double v)
{
    double r = v - sin(u);
    return (u - 1.0) * (u - 1.0) + 2.0 * r * r + 0.1 * cos(u * v);
}

static void f_grad(double u, double v, double *gu, double *gv)
{
    double r = v - sin(u), s = sin(u * v);
    *gu = 2.0 * (u - 1.0) - 4.0 * r * cos(u) - 0.1 * v * s;
    *gv = 4.0 * r - 0.1 * u * s;
}

/* the gradient and the Hessian together */
static void f_grad_hess(double u, double v, double *gu, double *gv, double *huu, double *huv,
                        double *hvv)
{
    double su = sin(u), cu = cos(u), r = v - su;
    double s = sin(u * v), c = cos(u * v);
    *gu = 2.0 * (u - 1.0) - 4.0 * r * cu - 0.1 * v * s;
    *gv = 4.0 * r - 0.1 * u * s;
    *huu = 2.0 + 4.0 * cu * cu + 4.0 * r * su - 0.1 * v * v * c;
    *huv = -4.0 * cu - 0.1 * (s + u * v * c);
    *hvv = 4.0 - 0.1 * u * u * c;
}

double ref_hypergrad(double lr, double u0, double v0, int64_t k)
{
    double u = u0, v = v0;
    for (int64_t i = 0; i < k; i++) {
        double gu, gv;
        f_grad(u, v, &gu, &gv);
        u = u - lr * gu;
        v = v - lr * gv;
    }
    return f(u, v);
}

double ref_hypergrad_grad(double lr, double u0, double v0, int64_t k, double *d_lr, double *d_u0,
                          double *d_v0)
{
    double *tape = malloc((k > 0 ? 2 * (size_t)k : 1) * sizeof *tape);
    if (!tape)
        abort();
    double u = u0, v = v0;
    for (int64_t i = 0; i < k; i++) {
        tape[2 * i] = u;
        tape[2 * i + 1] = v;
        double gu, gv;
        f_grad(u, v, &gu, &gv);
        u = u - lr * gu;
        v = v - lr * gv;
    }
    double loss = f(u, v);

    double ub, vb, lrb = 0.0;
    f_grad(u, v, &ub, &vb);
    for (int64_t i = k - 1; i >= 0; i--) {
        double gu, gv, huu, huv, hvv;
        f_grad_hess(tape[2 * i], tape[2 * i + 1], &gu, &gv, &huu, &huv, &hvv);
        lrb -= ub * gu + vb * gv;
        double nub = ub - lr * (ub * huu + vb * huv);
        double nvb = vb - lr * (ub * huv + vb * hvv);
        ub = nub;
        vb = nvb;
    }
    free(tape);
    *d_lr = lrb;
    *d_u0 = ub;
    *d_v0 = vb;
    return loss;
}
