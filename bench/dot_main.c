/* bench/dot_main.c: the dot benchmark (harness.h, primal only): two lists
   of 10^6 floats, passed by pointer to both functions; x[0], nudged, is
   written into the first item before each call. */
#include <stdlib.h>

#include "dot.h"
#include "refs.h"

#define BENCH_NAME "dot"
#define BENCH_PRIMAL_ONLY
#define BENCH_N 1
#define BENCH_VARY 0
#define BENCH_LEN 1000000
static const double bench_x[BENCH_N] = {0.25};
static double *xs, *ys;

static void bench_setup(void)
{
    xs = malloc(BENCH_LEN * sizeof *xs);
    ys = malloc(BENCH_LEN * sizeof *ys);
    for (int i = 0; i < BENCH_LEN; i++) {
        xs[i] = (double)(i % 1000) * 1e-3 - 0.5;
        ys[i] = 1.0 / (1.0 + (double)(i % 77));
    }
}

static double myc_primal(const double *x)
{
    xs[0] = x[0];
    return dot(xs, BENCH_LEN, ys, BENCH_LEN);
}

static double c_primal(const double *x)
{
    xs[0] = x[0];
    return ref_dot(xs, BENCH_LEN, ys, BENCH_LEN);
}

#include "harness.h"

static double bench_check(void)
{
    double vm = myc_primal(bench_x), vc = c_primal(bench_x);
    printf("%s: value %.17g\n", BENCH_NAME, vc);
    return expect_close("dot (myc vs C)", vm, vc, 0.0, REL_TOL);
}
