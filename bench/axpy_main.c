/* bench/axpy_main.c: the axpy benchmark (harness.h, primal only): a * x + y
   over two lists of 10^6 floats, made by a comprehension; x[0], nudged, is
   a; each call's result is read and freed. */
#include <stdlib.h>

#include "axpy.h"
#include "refs.h"

#define BENCH_NAME "axpy"
#define BENCH_PRIMAL_ONLY
#define BENCH_N 1
#define BENCH_VARY 0
#define BENCH_LEN 1000000
static const double bench_x[BENCH_N] = {1.5};
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
    double *out;
    int64_t n;
    axpy(x[0], xs, BENCH_LEN, ys, BENCH_LEN, &out, &n);
    double r = out[0] + out[n - 1];
    free(out);
    return r;
}

static double c_primal(const double *x)
{
    double *out;
    int64_t n;
    ref_axpy(x[0], xs, BENCH_LEN, ys, BENCH_LEN, &out, &n);
    double r = out[0] + out[n - 1];
    free(out);
    return r;
}

#include "harness.h"

static double bench_check(void)
{
    double *om, *oc, err = 0.0;
    int64_t nm, nc;
    axpy(bench_x[0], xs, BENCH_LEN, ys, BENCH_LEN, &om, &nm);
    ref_axpy(bench_x[0], xs, BENCH_LEN, ys, BENCH_LEN, &oc, &nc);
    err = fmax(err, expect_close("length (myc vs C)", (double)nm, (double)nc, 0.0, 0.0));
    for (int64_t i = 0; i < nm && i < nc; i++)
        if (om[i] != oc[i])
            err = fmax(err, expect_close("item (myc vs C)", om[i], oc[i], 0.0, REL_TOL));
    printf("%s: out[0] %.17g, out[%d] %.17g\n", BENCH_NAME, oc[0], BENCH_LEN - 1, oc[BENCH_LEN - 1]);
    free(om);
    free(oc);
    return err;
}
