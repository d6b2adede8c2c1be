/*
 * stack.c: gradients in constant C stack, and deep recursion (stack.my).
 *
 *   stack loop [N]   osc and osc_grad on a loop of N iterations (default
 *                    10^7); run.sh runs it under `ulimit -s 512`, with
 *                    stack.my compiled at -O0 and at -O2.
 *   stack rec [N]    power_grad recursing N deep (default 10,000), under
 *                    the default stack.
 *
 * The loop's gradient keeps no heap-stack frames and at most 32 bytes of
 * arena per iteration (one backpropagator record: what the backward step
 * of osc's body reads that changes from one iteration to the next, x * i
 * and i, and the next continuation; x itself travels along the
 * continuations, opt_thread.c).
 *
 * References are computed here by the straightforward double loops: the
 * value summed in the program's order (which the contract fixes: it must
 * agree to 1e-12), the derivative sum_i i cos(x i) summed backwards, as
 * reverse mode does; its order of summation is not fixed, so it is held to
 * the bound for any order, 2 N eps sum_i |i cos(x i)|.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "myrt.h"
#include "stack.expected.h"
#include "stack.h"

static void check_loop(Checker *c, int64_t n)
{
    const double x = 0.3;
    double want = 0.0;
    for (int64_t i = 0; i < n; i++)
        want = want + sin(x * (double)i);
    double dwant = 0.0, dabs = 0.0;
    for (int64_t i = n - 1; i >= 0; i--) {
        double t = (double)i * cos(x * (double)i);
        dwant += t;
        dabs += fabs(t);
    }
    char what[200];
    snprintf(what, sizeof what, "osc(0.3, %lld)", (long long)n);
    check_double(c, what, osc(x, n), want);
    double d = 0;
    double v = osc_grad(x, n, &d);
    snprintf(what, sizeof what, "osc_grad(0.3, %lld) value", (long long)n);
    check_double(c, what, v, want);
    myrt_stats st;
    myrt_last_stats(&st);
    snprintf(what, sizeof what, "osc_grad(0.3, %lld): frame peak %llu bytes, arena %llu bytes", (long long)n,
             (unsigned long long)st.frame_peak_bytes, (unsigned long long)st.arena_bytes);
    check_true(c, what, st.frame_peak_bytes == 0 && st.arena_bytes <= 32 * (uint64_t)n + 4096);
    snprintf(what, sizeof what, "osc_grad(0.3, %lld) *d_x", (long long)n);
    double tol = 2.0 * (double)n * 0x1p-53 * dabs / fabs(dwant);
    check_near(c, what, d, dwant, tol > CHECK_REL_TOL ? tol : CHECK_REL_TOL);
    /* and a small case against the interpreter */
    d = 0;
    v = osc_grad(x, 1000, &d);
    check_double(c, "osc_grad(0.3, 1000) value", v, E_OSC_0);
    check_double(c, "osc_grad(0.3, 1000) *d_x", d, E_OSC_1);
}

static void check_recursion(Checker *c, int64_t n)
{
    const double x = 1.0001;
    double d = 0;
    double v = power_grad(x, n, &d);
    char what[200];
    /* power(x, n) = x^(n+1): the closed form, within the rounding of n products */
    snprintf(what, sizeof what, "power_grad(1.0001, %lld) value = x^(n+1)", (long long)n);
    check_near(c, what, v, pow(x, (double)(n + 1)), 4.0 * (double)(n + 1) * 0x1p-53);
    snprintf(what, sizeof what, "power_grad(1.0001, %lld) *d_x = (n+1) x^n", (long long)n);
    check_near(c, what, d, (double)(n + 1) * pow(x, (double)n), 8.0 * (double)(n + 1) * 0x1p-53);
    if (n == 10000) {
        check_double(c, "power_grad(1.0001, 10000) value", v, E_POWER_0);
        check_double(c, "power_grad(1.0001, 10000) *d_x", d, E_POWER_1);
        check_double(c, "power(1.0001, 10000)", power(x, n), E_POWER_0);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "loop") != 0 && strcmp(argv[1], "rec") != 0)) {
        fprintf(stderr, "usage: stack loop|rec [N]\n");
        return 2;
    }
    bool loop = strcmp(argv[1], "loop") == 0;
    int64_t n = argc > 2 ? strtoll(argv[2], NULL, 10) : loop ? 10000000 : 10000;
    Checker c = {loop ? "stack (loop)" : "stack (recursion)", 0, 0};
    if (loop)
        check_loop(&c, n);
    else
        check_recursion(&c, n);
    return checks_done(&c);
}
