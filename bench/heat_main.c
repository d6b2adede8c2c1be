/* bench/heat_main.c: the heat benchmark (harness.h): 1,000 cells, 1,000
   steps; the gradient with respect to the initial state (x[0..1000)) and
   the diffusion coefficient (x[1000]). */
#include <math.h>

#include "heat.h"
#include "refs.h"

#define BENCH_NAME "heat"
#ifndef CELLS           /* -DCELLS=, -DSTEPS= for a smaller run by hand */
#define CELLS 1000
#endif
#ifndef STEPS
#define STEPS 1000
#endif
#define BENCH_N (CELLS + 1)
#define BENCH_VARY CELLS
#define BENCH_GROUPS {"u0", CELLS, 0}, {"c", 0, 0}

static void bench_init(double *x)
{
    for (int i = 0; i < CELLS; i++)
        x[i] = 0.5 + 0.4 * sin(0.013 * i) + 0.1 * cos(0.37 * i);
    x[CELLS] = 0.2;     /* stable: c <= 1/2 */
}

static double myc_primal(const double *x)
{
    return heat(x, CELLS, x[CELLS], STEPS);
}

static double c_primal(const double *x)
{
    return ref_heat(x, CELLS, x[CELLS], STEPS);
}

static double myc_grad(const double *x, double *g)
{
    return heat_grad(x, CELLS, x[CELLS], STEPS, g, &g[CELLS]);
}

static double c_grad(const double *x, double *g)
{
    return ref_heat_grad(x, CELLS, x[CELLS], STEPS, g, &g[CELLS]);
}

#include "harness.h"
