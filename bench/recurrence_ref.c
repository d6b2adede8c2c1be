/* bench/recurrence_ref.c: recurrence (bench/recurrence.my) in C, and its
   adjoint written by hand: the forward sweep stores every x_k in a tape
   (n doubles), the reverse sweep recomputes sin and cos from it. */
#include <math.h>
#include <stdlib.h>

#include "refs.h"

double ref_recurrence(double x0, double a, double b, double h, int64_t n)
{
    double x = x0;
    for (int64_t k = 0; k < n; k++)
        x = x + h * sin(a * x + b);
    return x;
}

double ref_recurrence_grad(double x0, double a, double b, double h, int64_t n, double *d_x0,
                           double *d_a, double *d_b, double *d_h)
{
    double *tape = malloc((n > 0 ? (size_t)n : 1) * sizeof *tape);
    if (!tape)
        abort();
    double x = x0;
    for (int64_t k = 0; k < n; k++) {
        tape[k] = x;
        x = x + h * sin(a * x + b);
    }
    double xb = 1.0, ab = 0.0, bb = 0.0, hb = 0.0;
    for (int64_t k = n - 1; k >= 0; k--) {
        double xk = tape[k];
        double s = a * xk + b;
        hb += xb * sin(s);
        double sb = xb * h * cos(s);
        ab += sb * xk;
        bb += sb;
        xb += sb * a;
    }
    free(tape);
    *d_x0 = xb;
    *d_a = ab;
    *d_b = bb;
    *d_h = hb;
    return x;
}
