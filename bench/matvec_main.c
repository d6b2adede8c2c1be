/* bench/matvec_main.c: the matvec benchmark (harness.h, primal only): a
   1000 x 1000 row-major matrix times a vector; x[0], nudged, is written
   into the vector's first item before each call; each call's result is
   read and freed. */
#include <stdlib.h>

#include "matvec.h"
#include "refs.h"

#define BENCH_NAME "matvec"
#define BENCH_PRIMAL_ONLY
#define BENCH_N 1
#define BENCH_VARY 0
#define BENCH_LEN 1000
static const double bench_x[BENCH_N] = {0.5};
static double *m, *v;

static void bench_setup(void)
{
    m = malloc((size_t)BENCH_LEN * BENCH_LEN * sizeof *m);
    v = malloc(BENCH_LEN * sizeof *v);
    for (int i = 0; i < BENCH_LEN * BENCH_LEN; i++)
        m[i] = (double)(i % 997) * 1e-3 - 0.5;
    for (int j = 0; j < BENCH_LEN; j++)
        v[j] = 1.0 / (1.0 + j);
}

static double myc_primal(const double *x)
{
    double *out;
    int64_t n;
    v[0] = x[0];
    matvec(m, BENCH_LEN, BENCH_LEN, v, BENCH_LEN, &out, &n);
    double r = out[0] + out[n - 1];
    free(out);
    return r;
}

static double c_primal(const double *x)
{
    double *out;
    int64_t n;
    v[0] = x[0];
    ref_matvec(m, BENCH_LEN, BENCH_LEN, v, BENCH_LEN, &out, &n);
    double r = out[0] + out[n - 1];
    free(out);
    return r;
}

#include "harness.h"

static double bench_check(void)
{
    double *om, *oc, err = 0.0;
    int64_t nm, nc;
    v[0] = bench_x[0];
    matvec(m, BENCH_LEN, BENCH_LEN, v, BENCH_LEN, &om, &nm);
    ref_matvec(m, BENCH_LEN, BENCH_LEN, v, BENCH_LEN, &oc, &nc);
    err = fmax(err, expect_close("length (myc vs C)", (double)nm, (double)nc, 0.0, 0.0));
    for (int64_t i = 0; i < nm && i < nc; i++)
        err = fmax(err, expect_close("item (myc vs C)", om[i], oc[i], 0.0, REL_TOL));
    printf("%s: out[0] %.17g, out[%d] %.17g\n", BENCH_NAME, oc[0], BENCH_LEN - 1, oc[BENCH_LEN - 1]);
    free(om);
    free(oc);
    return err;
}
