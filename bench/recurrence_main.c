/* bench/recurrence_main.c: the recurrence benchmark (harness.h), n = 10^6. */
#include "recurrence.h"
#include "refs.h"

#define BENCH_NAME "recurrence"
#define BENCH_N 4
#define BENCH_VARY 0
#define STEPS 1000000
#define BENCH_LEVELS STEPS
static const double bench_x[BENCH_N] = {0.3, 1.7, 0.4, 1e-6};
static const char *const bench_names[BENCH_N] = {"x0", "a", "b", "h"};

static double myc_primal(const double *x)
{
    return recurrence(x[0], x[1], x[2], x[3], STEPS);
}

static double c_primal(const double *x)
{
    return ref_recurrence(x[0], x[1], x[2], x[3], STEPS);
}

static double myc_grad(const double *x, double *g)
{
    return recurrence_grad(x[0], x[1], x[2], x[3], STEPS, &g[0], &g[1], &g[2], &g[3]);
}

static double c_grad(const double *x, double *g)
{
    return ref_recurrence_grad(x[0], x[1], x[2], x[3], STEPS, &g[0], &g[1], &g[2], &g[3]);
}

#include "harness.h"
