/* bench/recursion_ref.c: recursion (bench/recursion.my) in C, recursive as in
   the .my file, and its adjoint written by hand: the forward sweep is the
   same recursion, storing each level's sin argument in a tape (n doubles);
   the reverse sweep walks the tape from the outermost level in. */
#include <math.h>
#include <stdlib.h>

#include "refs.h"

static double rec(double x, double a, int64_t n)
{
    if (n == 0)
        return x;
    return a * sin(rec(x, a, n - 1)) + x;
}

double ref_recursion(double x, double a, int64_t n)
{
    return rec(x, a, n);
}

/* tape[n - 1] = r(x, a, n - 1), the argument of level n's sin */
static double rec_fwd(double x, double a, int64_t n, double *tape)
{
    if (n == 0)
        return x;
    double y = rec_fwd(x, a, n - 1, tape);
    tape[n - 1] = y;
    return a * sin(y) + x;
}

double ref_recursion_grad(double x, double a, int64_t n, double *d_x, double *d_a)
{
    double *tape = malloc((n > 0 ? (size_t)n : 1) * sizeof *tape);
    if (!tape)
        abort();
    double value = rec_fwd(x, a, n, tape);
    double ob = 1.0, xb = 0.0, ab = 0.0;   /* ob: adjoint of the current level's result */
    for (int64_t k = n; k > 0; k--) {
        double y = tape[k - 1];
        xb += ob;
        ab += ob * sin(y);
        ob = ob * a * cos(y);
    }
    xb += ob;   /* r(x, a, 0) = x */
    free(tape);
    *d_x = xb;
    *d_a = ab;
    return value;
}
