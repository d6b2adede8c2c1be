/* bench/axpy_ref.c: axpy (bench/axpy.my) in C: one loop over the shorter
   list (zip), the result in a block from malloc. */
#include <stdlib.h>

#include "refs.h"

void ref_axpy(double a, const double *xs, int64_t xs_len, const double *ys, int64_t ys_len, double **out,
              int64_t *out_len)
{
    int64_t n = xs_len < ys_len ? xs_len : ys_len;
    double *o = malloc((size_t)n * sizeof *o);
    for (int64_t i = 0; i < n; i++)
        o[i] = a * xs[i] + ys[i];
    *out = o;
    *out_len = n;
}
