/*
 * names.c: the C side of the names test (names.my, compiled twice: as
 * names.o and, with --prefix=pfx_, as pfx_names.o; both linked here).
 * Keyword-named functions and parameters are exported with a trailing '_'
 * (auto_, double_, register_; new_, this_), prefixed ones are not
 * (pfx_auto); the private helper both objects define must not clash.
 */
#include "check.h"
#include "names.expected.h"
#include "names.h"
#include "pfx_names.h"

int main(void)
{
    Checker c = {"names", 0, 0};
    check_double(&c, "auto_(1.25)", auto_(1.25), E_AUTO);
    check_double(&c, "pfx_auto(1.25)", pfx_auto(1.25), E_AUTO);
    check_int(&c, "register_(41)", register_(41), E_REGISTER);
    check_int(&c, "pfx_register(41)", pfx_register(41), E_REGISTER);
    check_double(&c, "f(3.0)", f(3.0), E_F);
    check_double(&c, "pfx_f(3.0)", pfx_f(3.0), E_F);
    check_double(&c, "double_(1.5, -2.0, 0.25)", double_(1.5, -2.0, 0.25), E_DOUBLE_0);
    check_double(&c, "pfx_double(1.5, -2.0, 0.25)", pfx_double(1.5, -2.0, 0.25), E_DOUBLE_0);

    double dx = 0, dnew = 0, dthis = 0;
    double v = double_grad(1.5, -2.0, 0.25, &dx, &dnew, &dthis);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) value", v, E_DOUBLE_0);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) *d_x", dx, E_DOUBLE_1);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) *d_new", dnew, E_DOUBLE_2);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) *d_this", dthis, E_DOUBLE_3);
    dx = dnew = dthis = 0;
    v = pfx_double_grad(1.5, -2.0, 0.25, &dx, &dnew, &dthis);
    check_double(&c, "pfx_double_grad(1.5, -2.0, 0.25) value", v, E_DOUBLE_0);
    check_double(&c, "pfx_double_grad(1.5, -2.0, 0.25) *d_x", dx, E_DOUBLE_1);
    check_double(&c, "pfx_double_grad(1.5, -2.0, 0.25) *d_new", dnew, E_DOUBLE_2);
    check_double(&c, "pfx_double_grad(1.5, -2.0, 0.25) *d_this", dthis, E_DOUBLE_3);

    /* auto(x) = 2 x + x^2: d/dx = 2 + 2 x */
    dx = 0;
    check_double(&c, "auto_grad(1.25) value", auto_grad(1.25, &dx), E_AUTO);
    check_double(&c, "auto_grad(1.25) *d_x = 2 + 2 x", dx, 4.5);
    dx = 0;
    check_double(&c, "pfx_auto_grad(1.25) value", pfx_auto_grad(1.25, &dx), E_AUTO);
    check_double(&c, "pfx_auto_grad(1.25) *d_x = 2 + 2 x", dx, 4.5);
    return checks_done(&c);
}
