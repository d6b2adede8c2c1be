/*
 * errors_abort.c: with no handler installed, a runtime error in native code
 * prints `myc: runtime error: FILE:LINE:COL: integer division or modulo by
 * zero` on stderr, the line `myc run` prints for the same call, and aborts
 * (errors.my).  run.sh checks the signal and the stderr line; this program
 * fails by returning if the call comes back.
 */
#include <stdio.h>

#include "errors.h"

int main(int argc, char **argv)
{
    (void)argv;
    /* the divisor comes from outside, so nothing can be folded */
    int64_t zero = argc - 1;
    fprintf(stdout, "calling idiv(1, %lld)\n", (long long)zero);
    fflush(stdout);
    int64_t q = idiv(1, zero);
    fprintf(stderr, "errors_abort: idiv(1, 0) returned %lld instead of aborting\n", (long long)q);
    return 1;
}
