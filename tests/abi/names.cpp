/*
 * names.cpp: the names test from C++ (see names.c): both headers included
 * in a C++ program (their names are C++ keywords: new, this, register,
 * auto, double), linked with `c++ names.cpp names.o pfx_names.o libmyrt.a -lm`.
 */
#include "names.h"
#include "pfx_names.h"

#include "check.h"
#include "names.expected.h"

namespace {

// Overloads and a reference: things only C++ has, around the C functions.
double call(double (*fn)(double), double x) { return fn(x); }

void check_grads(Checker &c)
{
    double d[3] = {0, 0, 0};
    double v = double_grad(1.5, -2.0, 0.25, &d[0], &d[1], &d[2]);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) value", v, E_DOUBLE_0);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) *d_x", d[0], E_DOUBLE_1);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) *d_new", d[1], E_DOUBLE_2);
    check_double(&c, "double_grad(1.5, -2.0, 0.25) *d_this", d[2], E_DOUBLE_3);
    double dx = 0;
    check_double(&c, "pfx_auto_grad(1.25) value", pfx_auto_grad(1.25, &dx), E_AUTO);
    check_double(&c, "pfx_auto_grad(1.25) *d_x", dx, 4.5);
    check_double(&c, "auto_grad(1.25, nullptr) value", auto_grad(1.25, nullptr), E_AUTO);
}

}  // namespace

int main()
{
    Checker c = {"names (C++)", 0, 0};
    check_double(&c, "auto_(1.25) through a function pointer", call(auto_, 1.25), E_AUTO);
    check_double(&c, "pfx_auto(1.25)", pfx_auto(1.25), E_AUTO);
    check_int(&c, "register_(41)", register_(41), E_REGISTER);
    check_double(&c, "f(3.0)", f(3.0), E_F);
    check_double(&c, "pfx_f(3.0)", call(pfx_f, 3.0), E_F);
    check_grads(c);
    return checks_done(&c);
}
