/* bench/stencil_main.c: the stencil benchmark (harness.h, primal only): one
   step of the heat equation over 10^6 points; x[0], nudged, is the
   coefficient c; each call's result is read and freed. */
#include <stdlib.h>

#include "refs.h"
#include "stencil.h"

#define BENCH_NAME "stencil"
#define BENCH_PRIMAL_ONLY
#define BENCH_N 1
#define BENCH_VARY 0
#define BENCH_LEN 1000000
static const double bench_x[BENCH_N] = {0.25};
static double *u;

static void bench_setup(void)
{
    u = malloc(BENCH_LEN * sizeof *u);
    for (int i = 0; i < BENCH_LEN; i++)
        u[i] = (double)((i * 7919) % 1009) * 1e-3;
}

static double myc_primal(const double *x)
{
    double *out;
    int64_t n;
    stencil(u, BENCH_LEN, x[0], &out, &n);
    double r = out[1] + out[n / 2];
    free(out);
    return r;
}

static double c_primal(const double *x)
{
    double *out;
    int64_t n;
    ref_stencil(u, BENCH_LEN, x[0], &out, &n);
    double r = out[1] + out[n / 2];
    free(out);
    return r;
}

#include "harness.h"

static double bench_check(void)
{
    double *om, *oc, err = 0.0;
    int64_t nm, nc;
    stencil(u, BENCH_LEN, bench_x[0], &om, &nm);
    ref_stencil(u, BENCH_LEN, bench_x[0], &oc, &nc);
    err = fmax(err, expect_close("length (myc vs C)", (double)nm, (double)nc, 0.0, 0.0));
    for (int64_t i = 0; i < nm && i < nc; i++)
        if (om[i] != oc[i])
            err = fmax(err, expect_close("item (myc vs C)", om[i], oc[i], 0.0, REL_TOL));
    printf("%s: out[1] %.17g, out[%d] %.17g\n", BENCH_NAME, oc[1], BENCH_LEN / 2, oc[BENCH_LEN / 2]);
    free(om);
    free(oc);
    return err;
}
