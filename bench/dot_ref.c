/* bench/dot_ref.c: dot (bench/dot.my) in C: the same loop, left to right. */
#include "refs.h"

double ref_dot(const double *xs, int64_t xs_len, const double *ys, int64_t ys_len)
{
    (void)ys_len;
    double s = 0.0;
    for (int64_t i = 0; i < xs_len; i++)
        s += xs[i] * ys[i];
    return s;
}
