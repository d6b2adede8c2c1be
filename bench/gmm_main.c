/* bench/gmm_main.c: the gmm benchmark (harness.h): ADBench's Gaussian
   mixture model objective, K components in d dimensions over n points, the
   gradient with respect to alphas, means, logdiag and ltri (all K + K d + K d
   + K d (d - 1) / 2 parameters); the data x is not differentiated, and the
   Wishart prior has ADBench's gamma = 1, m = 0.  One source, two sizes:
   run.py builds it with -DGMM_NAME="gmm_small" -DGMM_D=10 -DGMM_K=25 and
   -DGMM_NAME="gmm_large" -DGMM_D=64 -DGMM_K=200 (GMM_N 1000 for both);
   without them it is gmm_small. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "gmm.h"
#include "refs.h"

#ifndef GMM_NAME
#define GMM_NAME "gmm_small"
#endif
#ifndef GMM_D
#define GMM_D 10
#endif
#ifndef GMM_K
#define GMM_K 25
#endif
#ifndef GMM_N
#define GMM_N 1000
#endif
#define GMM_TRI (GMM_D * (GMM_D - 1) / 2)
#define GAMMA 1.0
#define WISHART_M 0

#define BENCH_NAME GMM_NAME
#define OFF_MEANS GMM_K
#define OFF_LOGDIAG (OFF_MEANS + GMM_K * GMM_D)
#define OFF_LTRI (OFF_LOGDIAG + GMM_K * GMM_D)
#define BENCH_N (OFF_LTRI + GMM_K * GMM_TRI)
#define BENCH_VARY 0
#define BENCH_GROUPS                                                                 \
    {"alphas", GMM_K, 0}, {"means", GMM_K, GMM_D}, {"logdiag", GMM_K, GMM_D},        \
        {"ltri", GMM_K, GMM_TRI}

static double *data;    /* GMM_N x GMM_D, row-major */

/* A uniform number in [lo, hi) from a 64-bit LCG (deterministic). */
static double uniform(uint64_t *s, double lo, double hi)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return lo + (hi - lo) * (double)(*s >> 11) * 0x1p-53;
}

/* Points and means uniform in the unit cube (as ADBench's generator), mixture
   weights in [-1, 1), log-diagonals in [-0.5, 0.5) and the strict lower
   triangles in +-1/sqrt(d), so that no component's term swamps the others
   whatever d. */
static void bench_init(double *x)
{
    uint64_t s = 17;
    double a = 1.0 / sqrt(GMM_D);
    for (int i = 0; i < GMM_K; i++)
        x[i] = uniform(&s, -1.0, 1.0);
    for (int i = 0; i < GMM_K * GMM_D; i++)
        x[OFF_MEANS + i] = uniform(&s, 0.0, 1.0);
    for (int i = 0; i < GMM_K * GMM_D; i++)
        x[OFF_LOGDIAG + i] = uniform(&s, -0.5, 0.5);
    for (int i = 0; i < GMM_K * GMM_TRI; i++)
        x[OFF_LTRI + i] = uniform(&s, -a, a);
    data = malloc((size_t)GMM_N * GMM_D * sizeof *data);
    for (int i = 0; i < GMM_N * GMM_D; i++)
        data[i] = uniform(&s, 0.0, 1.0);
}

#define GMM_ARGS(x)                                                                     \
    (x), GMM_K, (x) + OFF_MEANS, GMM_K, GMM_D, (x) + OFF_LOGDIAG, GMM_K, GMM_D,          \
        (x) + OFF_LTRI, GMM_K, GMM_TRI, data, GMM_N, GMM_D, GAMMA, WISHART_M

static double myc_primal(const double *x)
{
    return gmm(GMM_ARGS(x));
}

static double c_primal(const double *x)
{
    return ref_gmm(GMM_ARGS(x));
}

static double myc_grad(const double *x, double *g)
{
    return gmm_grad(GMM_ARGS(x), g, g + OFF_MEANS, g + OFF_LOGDIAG, g + OFF_LTRI, NULL, NULL);
}

static double c_grad(const double *x, double *g)
{
    return ref_gmm_grad(GMM_ARGS(x), g, g + OFF_MEANS, g + OFF_LOGDIAG, g + OFF_LTRI);
}

#include "harness.h"
