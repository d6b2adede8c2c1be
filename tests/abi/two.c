/*
 * two.c: three objects from three .my files in one program (see
 * two_a.my): two_a.o exports f and f_grad, two_b.o (--prefix=b_) b_f and
 * b_f_grad, two_c.o g and g_grad; all three define private helpers with
 * the same names.  Each function must compute its own file's value.
 */
#include "check.h"
#include "two_a.expected.h"
#include "two_a.h"
#include "two_b.expected.h"
#include "two_b.h"
#include "two_c.expected.h"
#include "two_c.h"

int main(void)
{
    Checker c = {"two objects", 0, 0};
    double d = 0;
    check_double(&c, "f(0.5) (two_a.my)", f(0.5), E_A_F_0);
    check_double(&c, "f_grad(0.5) value (two_a.my)", f_grad(0.5, &d), E_A_F_0);
    check_double(&c, "f_grad(0.5) *d_x (two_a.my)", d, E_A_F_1);
    /* two_a: 6 x + 3 x = 9 x */
    check_double(&c, "f(0.5) = 9 x", f(0.5), 4.5);
    d = 0;
    check_double(&c, "b_f(0.5) (two_b.my)", b_f(0.5), E_B_F_0);
    check_double(&c, "b_f_grad(0.5) value (two_b.my)", b_f_grad(0.5, &d), E_B_F_0);
    check_double(&c, "b_f_grad(0.5) *d_x (two_b.my)", d, E_B_F_1);
    /* two_b: -x (x (1 + x) (2 + x)) */
    check_double(&c, "b_f(0.5) = -x^2 (1 + x) (2 + x)", b_f(0.5), -0.25 * 1.5 * 2.5);
    d = 0;
    check_double(&c, "g(0.5) (two_c.my)", g(0.5), E_C_G_0);
    check_double(&c, "g_grad(0.5) value (two_c.my)", g_grad(0.5, &d), E_C_G_0);
    check_double(&c, "g_grad(0.5) *d_x (two_c.my)", d, E_C_G_1);
    check_double(&c, "g(0.5) = exp(x / 2)", g(0.5), exp(0.25));
    return checks_done(&c);
}
