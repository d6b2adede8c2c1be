/* bench/lotka_volterra_main.c: the lotka_volterra benchmark (harness.h),
   10^5 Euler steps. */
#include "lotka_volterra.h"
#include "refs.h"

#define BENCH_NAME "lotka_volterra"
#define BENCH_N 4
#define BENCH_VARY 0
#define STEPS 100000
#define BENCH_LEVELS STEPS
static const double bench_x[BENCH_N] = {1.1, 0.4, 0.1, 0.4};
static const char *const bench_names[BENCH_N] = {"alpha", "beta", "delta", "gamma"};

static double myc_primal(const double *x)
{
    return lotka_volterra(x[0], x[1], x[2], x[3], STEPS);
}

static double c_primal(const double *x)
{
    return ref_lotka_volterra(x[0], x[1], x[2], x[3], STEPS);
}

static double myc_grad(const double *x, double *g)
{
    return lotka_volterra_grad(x[0], x[1], x[2], x[3], STEPS, &g[0], &g[1], &g[2], &g[3]);
}

static double c_grad(const double *x, double *g)
{
    return ref_lotka_volterra_grad(x[0], x[1], x[2], x[3], STEPS, &g[0], &g[1], &g[2], &g[3]);
}

#include "harness.h"
