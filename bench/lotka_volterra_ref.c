/* bench/lotka_volterra_ref.c: lotka_volterra (bench/lotka_volterra.my) in C,
   and its adjoint written by hand: the forward sweep stores the state
   (x_k, y_k) of every step in a tape (2 n doubles), the reverse sweep runs
   the steps backwards. */
#include <math.h>
#include <stdlib.h>

#include "refs.h"

#define X0 1.0
#define Y0 0.5
#define H 1e-4

double ref_lotka_volterra(double alpha, double beta, double delta, double gamma, int64_t n)
{
    double x = X0, y = Y0;
    for (int64_t k = 0; k < n; k++) {
        double dx = alpha * x - beta * x * y;
        double dy = delta * x * y - gamma * y;
        x = x + H * dx;
        y = y + H * dy;
    }
    return (x - 1.0) * (x - 1.0) + (y - 1.0) * (y - 1.0);
}

double ref_lotka_volterra_grad(double alpha, double beta, double delta, double gamma, int64_t n,
                               double *d_alpha, double *d_beta, double *d_delta, double *d_gamma)
{
    double *tape = malloc((n > 0 ? 2 * (size_t)n : 1) * sizeof *tape);
    if (!tape)
        abort();
    double x = X0, y = Y0;
    for (int64_t k = 0; k < n; k++) {
        tape[2 * k] = x;
        tape[2 * k + 1] = y;
        double dx = alpha * x - beta * x * y;
        double dy = delta * x * y - gamma * y;
        x = x + H * dx;
        y = y + H * dy;
    }
    double loss = (x - 1.0) * (x - 1.0) + (y - 1.0) * (y - 1.0);

    double xb = 2.0 * (x - 1.0), yb = 2.0 * (y - 1.0);
    double alphab = 0.0, betab = 0.0, deltab = 0.0, gammab = 0.0;
    for (int64_t k = n - 1; k >= 0; k--) {
        double xk = tape[2 * k], yk = tape[2 * k + 1];
        double dxb = H * xb, dyb = H * yb;
        alphab += dxb * xk;
        betab -= dxb * xk * yk;
        deltab += dyb * xk * yk;
        gammab -= dyb * yk;
        double nxb = xb + dxb * (alpha - beta * yk) + dyb * delta * yk;
        double nyb = yb - dxb * beta * xk + dyb * (delta * xk - gamma);
        xb = nxb;
        yb = nyb;
    }
    free(tape);
    *d_alpha = alphab;
    *d_beta = betab;
    *d_delta = deltab;
    *d_gamma = gammab;
    return loss;
}
