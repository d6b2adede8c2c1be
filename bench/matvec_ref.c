/* bench/matvec_ref.c: matvec (bench/matvec.my) in C: the same loops, the
   result in a block from malloc. */
#include <stdlib.h>

#include "refs.h"

void ref_matvec(const double *m, int64_t rows, int64_t cols, const double *v, int64_t v_len, double **out,
                int64_t *out_len)
{
    double *o = malloc((size_t)rows * sizeof *o);
    for (int64_t i = 0; i < rows; i++)
        o[i] = 0.0;
    for (int64_t i = 0; i < rows; i++) {
        const double *row = m + i * cols;
        double s = 0.0;
        for (int64_t j = 0; j < v_len; j++)
            s += row[j] * v[j];
        o[i] = s;
    }
    *out = o;
    *out_len = rows;
}
