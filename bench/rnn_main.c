/* bench/rnn_main.c: the rnn benchmark (harness.h): hidden size 16, input
   size 4, 500 steps; the gradient with respect to W_h, W_x and b (336
   inputs); the sequence is data. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "refs.h"
#include "rnn.h"

#define BENCH_NAME "rnn"
#define NH 16
#define NX 4
#ifndef STEPS           /* -DSTEPS= for a smaller run by hand */
#define STEPS 500
#endif
#define OFF_WX (NH * NH)
#define OFF_B (OFF_WX + NH * NX)
#define BENCH_N (OFF_B + NH)
#define BENCH_VARY 0
#define BENCH_GROUPS {"W_h", NH, NH}, {"W_x", NH, NX}, {"b", NH, 0}

static double *xs;      /* STEPS x NX, row-major */

/* A uniform number in [-a, a) from a 64-bit LCG (deterministic). */
static double uniform(uint64_t *s, double a)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return a * (2.0 * (double)(*s >> 11) * 0x1p-53 - 1.0);
}

static void bench_init(double *x)
{
    uint64_t s = 17;
    for (int i = 0; i < NH * NH; i++)
        x[i] = uniform(&s, 0.3);    /* W_h: the state stays well inside tanh's range */
    for (int i = 0; i < NH * NX; i++)
        x[OFF_WX + i] = uniform(&s, 0.5);
    for (int i = 0; i < NH; i++)
        x[OFF_B + i] = uniform(&s, 0.1);
    xs = malloc((size_t)STEPS * NX * sizeof *xs);
    for (int t = 0; t < STEPS; t++)
        for (int k = 0; k < NX; k++)
            xs[t * NX + k] = sin(0.05 * t + 0.9 * k) + 0.3 * uniform(&s, 1.0);
}

static double myc_primal(const double *x)
{
    return rnn(x, NH, NH, x + OFF_WX, NH, NX, x + OFF_B, NH, xs, STEPS, NX);
}

static double c_primal(const double *x)
{
    return ref_rnn(x, NH, NH, x + OFF_WX, NH, NX, x + OFF_B, NH, xs, STEPS, NX);
}

static double myc_grad(const double *x, double *g)
{
    return rnn_grad(x, NH, NH, x + OFF_WX, NH, NX, x + OFF_B, NH, xs, STEPS, NX, g, g + OFF_WX,
                    g + OFF_B, NULL);
}

static double c_grad(const double *x, double *g)
{
    return ref_rnn_grad(x, NH, NH, x + OFF_WX, NH, NX, x + OFF_B, NH, xs, STEPS, NX, g,
                        g + OFF_WX, g + OFF_B);
}

#include "harness.h"
