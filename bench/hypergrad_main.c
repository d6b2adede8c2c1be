/* bench/hypergrad_main.c: the hypergrad benchmark (harness.h), 100 descent
   steps. */
#include "hypergrad.h"
#include "refs.h"

#define BENCH_NAME "hypergrad"
#define BENCH_N 3
#define BENCH_VARY 0
#define STEPS 100
#define BENCH_LEVELS STEPS
static const double bench_x[BENCH_N] = {0.05, -0.5, 1.5};
static const char *const bench_names[BENCH_N] = {"lr", "u0", "v0"};

static double myc_primal(const double *x)
{
    return hypergrad(x[0], x[1], x[2], STEPS);
}

static double c_primal(const double *x)
{
    return ref_hypergrad(x[0], x[1], x[2], STEPS);
}

static double myc_grad(const double *x, double *g)
{
    return hypergrad_grad(x[0], x[1], x[2], STEPS, &g[0], &g[1], &g[2]);
}

static double c_grad(const double *x, double *g)
{
    return ref_hypergrad_grad(x[0], x[1], x[2], STEPS, &g[0], &g[1], &g[2]);
}

#include "harness.h"
