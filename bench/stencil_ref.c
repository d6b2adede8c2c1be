/* bench/stencil_ref.c: stencil (bench/stencil.my) in C: the same loops (a
   zeroed list, its ends, the interior), the result in a block from malloc. */
#include <stdlib.h>

#include "refs.h"

void ref_stencil(const double *u, int64_t n, double c, double **out, int64_t *out_len)
{
    double *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = 0.0;
    v[0] = u[0];
    v[n - 1] = u[n - 1];
    for (int64_t i = 1; i < n - 1; i++)
        v[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
    *out = v;
    *out_len = n;
}
