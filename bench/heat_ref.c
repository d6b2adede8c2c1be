/* bench/heat_ref.c: heat (bench/heat.my) in C, and its adjoint written by
   hand.  The primal runs the same two buffers.  The adjoint's forward sweep
   writes every state into a tape of (steps + 1) x n doubles (row t + 1
   computed from row t: the tape is the second buffer, so the forward sweep
   costs what the primal does), and the reverse sweep runs the transposed
   stencil over two adjoint buffers.  d/dc of a step is <ub, L u> (ub the
   adjoint of the step's output, L the Laplacian on the interior, u the
   stored row), computed as <L^T ub, u>: L^T ub is what the transposed
   stencil computes anyway, so the loop reads one tape value per cell, not
   three.  It is summed per cell over the steps, then over the cells (a
   single running sum would make the loop one chain of dependent additions
   that the compiler does not vectorise).  Tape: 8 (steps + 1) n bytes. */
#include <stdlib.h>
#include <string.h>

#include "refs.h"

double ref_heat(const double *u0, int64_t n, double c, int64_t steps)
{
    double *u = malloc((size_t)n * sizeof *u), *v = malloc((size_t)n * sizeof *v);
    memcpy(u, u0, (size_t)n * sizeof *u);
    v[0] = u[0];
    v[n - 1] = u[n - 1];
    for (int64_t t = 0; t < steps; t++) {
        for (int64_t i = 1; i < n - 1; i++)
            v[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
        double *w = u;
        u = v;
        v = w;
    }
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += u[i] * u[i];
    free(u);
    free(v);
    return s;
}

double ref_heat_grad(const double *u0, int64_t n, double c, int64_t steps, double *d_u0,
                     double *d_c)
{
    double *tape = malloc((size_t)(steps + 1) * (size_t)n * sizeof *tape);
    memcpy(tape, u0, (size_t)n * sizeof *tape);
    for (int64_t t = 0; t < steps; t++) {
        const double *u = tape + t * n;
        double *v = tape + (t + 1) * n;
        v[0] = u[0];
        v[n - 1] = u[n - 1];
        for (int64_t i = 1; i < n - 1; i++)
            v[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
    }
    const double *uT = tape + steps * n;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += uT[i] * uT[i];

    /* reverse: ub is the adjoint of row t + 1, wb becomes row t's.  The
       transposed stencil is the stencil itself over ub with its ends taken
       as zero (an end cell of row t + 1 is a copy, not a stencil output),
       plus the copies' adjoints at the ends. */
    double *ub = malloc((size_t)n * sizeof *ub), *wb = malloc((size_t)n * sizeof *wb);
    double *cbs = calloc((size_t)n, sizeof *cbs);     /* d/dc per cell, summed at the end */
    for (int64_t i = 0; i < n; i++)
        ub[i] = 2.0 * uT[i];
    for (int64_t t = steps - 1; t >= 0 && n >= 3; t--) {
        const double *u = tape + t * n;
        wb[0] = ub[0] + c * ub[1];
        wb[n - 1] = ub[n - 1] + c * ub[n - 2];
        cbs[0] += u[0] * ub[1];
        cbs[n - 1] += u[n - 1] * ub[n - 2];
        ub[0] = ub[n - 1] = 0.0;
        for (int64_t i = 1; i < n - 1; i++) {
            double lt = ub[i - 1] - 2.0 * ub[i] + ub[i + 1];
            wb[i] = ub[i] + c * lt;
            cbs[i] += u[i] * lt;
        }
        double *w = ub;
        ub = wb;
        wb = w;
    }
    double cb = 0.0;
    for (int64_t i = 0; i < n; i++)
        cb += cbs[i];
    if (d_u0)
        memcpy(d_u0, ub, (size_t)n * sizeof *ub);
    if (d_c)
        *d_c = cb;
    free(cbs);
    free(ub);
    free(wb);
    free(tape);
    return s;
}
