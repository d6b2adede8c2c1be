/* bench/recursion_main.c: the recursion benchmark (harness.h), depth 1000. */
#include "recursion.h"
#include "refs.h"

#define BENCH_NAME "recursion"
#define BENCH_N 2
#define BENCH_VARY 0
#define DEPTH 1000
#define BENCH_LEVELS DEPTH
static const double bench_x[BENCH_N] = {0.3, 0.9};
static const char *const bench_names[BENCH_N] = {"x", "a"};

static double myc_primal(const double *x)
{
    return recursion(x[0], x[1], DEPTH);
}

static double c_primal(const double *x)
{
    return ref_recursion(x[0], x[1], DEPTH);
}

static double myc_grad(const double *x, double *g)
{
    return recursion_grad(x[0], x[1], DEPTH, &g[0], &g[1]);
}

static double c_grad(const double *x, double *g)
{
    return ref_recursion_grad(x[0], x[1], DEPTH, &g[0], &g[1]);
}

#include "harness.h"
