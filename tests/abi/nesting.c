/*
 * nesting.c: the C side of the nesting test (nesting.my): NAME and
 * NAME_grad of nested derivatives against their closed forms, in an object
 * compiled at -O0 or -O2 (run.sh).
 */
#include <math.h>

#include "check.h"
#include "nesting.h"

/* f(x, y) and its gradient against (v, dx, dy). */
#define CHECK2(name, x, y, v, ddx, ddy)                                          \
    do {                                                                         \
        double dx_ = -1.0, dy_ = -1.0;                                           \
        check_double(&c, #name "(" #x ", " #y ")", name(x, y), v);              \
        check_double(&c, #name "_grad value", name##_grad(x, y, &dx_, &dy_), v); \
        check_double(&c, #name "_grad *d_x", dx_, ddx);                          \
        check_double(&c, #name "_grad *d_y", dy_, ddy);                          \
    } while (0)

int main(void)
{
    Checker c = {"nesting", 0, 0};
    double x = 1.2, y = 0.7;
    /* 6 x^2 y + 6 x y^2 */
    CHECK2(second_partials, x, y, 6 * x * x * y + 6 * x * y * y, 12 * x * y + 6 * y * y, 6 * x * x + 12 * x * y);
    CHECK2(g0, x, y, y, 0.0, 1.0);
    CHECK2(g1, x, y, x, 1.0, 0.0);
    /* 120 x y */
    CHECK2(fourth, x, y, 120 * x * y, 120 * y, 120 * x);
    /* d/da [d/db a b^2 at y] = 2 y */
    CHECK2(rr_capture, x, y, 2 * y, 0.0, 2.0);
    /* d/du [d/db u b^2 at y, tangent 1] = 2 y */
    CHECK2(ff_capture, x, y, 2 * y, 0.0, 2.0);
    /* d/da [d/db [d/dc a b c^2 at y] at 1] = 2 y */
    CHECK2(rfr, x, y, 2 * y, 0.0, 2.0);
    /* x > 0: d/db x b^2 = 2 x y; else d/db b = 1 */
    CHECK2(joined, x, y, 2 * x * y, 2 * y, 2 * x);
    CHECK2(joined, -x, y, 1.0, 0.0, 0.0);
    /* the pullback of (x^2, sin x) applied to (1, -1.5), times y */
    CHECK2(applied_pullback, x, y, (2 * x - 1.5 * cos(x)) * y, (2 + 1.5 * sin(x)) * y, 2 * x - 1.5 * cos(x));
    /* x cos x, derivative cos x - x sin x */
    double d = -1.0;
    check_double(&c, "jvp_sin(0.4)", jvp_sin(0.4), 0.4 * cos(0.4));
    check_double(&c, "jvp_sin_grad value", jvp_sin_grad(0.4, &d), 0.4 * cos(0.4));
    check_double(&c, "jvp_sin_grad *d_x", d, cos(0.4) - 0.4 * sin(0.4));
    check_double(&c, "uses_helpers(0.3)", uses_helpers(0.3), 0.3 + sin(0.3));
    return checks_done(&c);
}
