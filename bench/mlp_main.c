/* bench/mlp_main.c: the mlp benchmark (harness.h): 10 inputs, two hidden
   layers of 64 tanh units, one output, squared loss over 1,000 points; the
   gradient with respect to the 4,929 weights and biases; the data (xs, ys)
   is not differentiated. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "mlp.h"
#include "refs.h"

#define BENCH_NAME "mlp"
#define NIN 10
#define N1 64
#define N2 64
#define NOUT 1
#ifndef POINTS          /* -DPOINTS= for a smaller run by hand */
#define POINTS 1000
#endif
#define OFF_B1 (N1 * NIN)
#define OFF_W2 (OFF_B1 + N1)
#define OFF_B2 (OFF_W2 + N2 * N1)
#define OFF_W3 (OFF_B2 + N2)
#define OFF_B3 (OFF_W3 + NOUT * N2)
#define BENCH_N (OFF_B3 + NOUT)
#define BENCH_VARY OFF_B3
#define BENCH_GROUPS                                                                   \
    {"W1", N1, NIN}, {"b1", N1, 0}, {"W2", N2, N1}, {"b2", N2, 0}, {"W3", NOUT, N2}, \
        {"b3", NOUT, 0}

static double *xs, *ys;     /* POINTS x NIN, row-major; POINTS */

/* A uniform number in [-a, a) from a 64-bit LCG (deterministic). */
static double uniform(uint64_t *s, double a)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return a * (2.0 * (double)(*s >> 11) * 0x1p-53 - 1.0);
}

/* Weights uniform in +-1/sqrt(fan-in), biases in +-0.1; inputs in [-1, 1),
   targets a smooth function of them. */
static void bench_init(double *x)
{
    uint64_t s = 5;
    for (int i = 0; i < N1 * NIN; i++)
        x[i] = uniform(&s, 1.0 / sqrt(NIN));
    for (int i = 0; i < N1; i++)
        x[OFF_B1 + i] = uniform(&s, 0.1);
    for (int i = 0; i < N2 * N1; i++)
        x[OFF_W2 + i] = uniform(&s, 1.0 / sqrt(N1));
    for (int i = 0; i < N2; i++)
        x[OFF_B2 + i] = uniform(&s, 0.1);
    for (int i = 0; i < NOUT * N2; i++)
        x[OFF_W3 + i] = uniform(&s, 1.0 / sqrt(N2));
    for (int i = 0; i < NOUT; i++)
        x[OFF_B3 + i] = uniform(&s, 0.1);
    xs = malloc((size_t)POINTS * NIN * sizeof *xs);
    ys = malloc((size_t)POINTS * sizeof *ys);
    for (int p = 0; p < POINTS; p++) {
        for (int k = 0; k < NIN; k++)
            xs[p * NIN + k] = uniform(&s, 1.0);
        ys[p] = sin(xs[p * NIN] + xs[p * NIN + 1] * xs[p * NIN + 2]) + 0.5 * xs[p * NIN + 3];
    }
}

static double myc_primal(const double *x)
{
    return mlp(x, N1, NIN, x + OFF_B1, N1, x + OFF_W2, N2, N1, x + OFF_B2, N2, x + OFF_W3, NOUT,
               N2, x + OFF_B3, NOUT, xs, POINTS, NIN, ys, POINTS);
}

static double c_primal(const double *x)
{
    return ref_mlp(x, N1, NIN, x + OFF_B1, N1, x + OFF_W2, N2, N1, x + OFF_B2, N2, x + OFF_W3,
                   NOUT, N2, x + OFF_B3, NOUT, xs, POINTS, NIN, ys, POINTS);
}

static double myc_grad(const double *x, double *g)
{
    return mlp_grad(x, N1, NIN, x + OFF_B1, N1, x + OFF_W2, N2, N1, x + OFF_B2, N2, x + OFF_W3,
                    NOUT, N2, x + OFF_B3, NOUT, xs, POINTS, NIN, ys, POINTS, g, g + OFF_B1,
                    g + OFF_W2, g + OFF_B2, g + OFF_W3, g + OFF_B3, NULL, NULL);
}

static double c_grad(const double *x, double *g)
{
    return ref_mlp_grad(x, N1, NIN, x + OFF_B1, N1, x + OFF_W2, N2, N1, x + OFF_B2, N2,
                        x + OFF_W3, NOUT, N2, x + OFF_B3, NOUT, xs, POINTS, NIN, ys, POINTS, g,
                        g + OFF_B1, g + OFF_W2, g + OFF_B2, g + OFF_W3, g + OFF_B3);
}

#include "harness.h"
