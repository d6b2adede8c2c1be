/* bench/black_scholes_main.c: the black_scholes benchmark (harness.h). */
#include "black_scholes.h"
#include "refs.h"

#define BENCH_NAME "black_scholes"
#define BENCH_N 5
#define BENCH_VARY 0
static const double bench_x[BENCH_N] = {100.0, 95.0, 1.0, 0.05, 0.2};
static const char *const bench_names[BENCH_N] = {"S", "K", "T", "r", "sigma"};

static double myc_primal(const double *x)
{
    return black_scholes(x[0], x[1], x[2], x[3], x[4]);
}

static double c_primal(const double *x)
{
    return ref_black_scholes(x[0], x[1], x[2], x[3], x[4]);
}

static double myc_grad(const double *x, double *g)
{
    return black_scholes_grad(x[0], x[1], x[2], x[3], x[4], &g[0], &g[1], &g[2], &g[3], &g[4]);
}

static double c_grad(const double *x, double *g)
{
    return ref_black_scholes_grad(x[0], x[1], x[2], x[3], x[4], &g[0], &g[1], &g[2], &g[3],
                                  &g[4]);
}

#include "harness.h"
