/*
 * grads.c: the C side of the grads test (grads.my): several NAME_grad
 * functions of one object, through a loop, a conditional, closures, a tuple
 * parameter with int and bool leaves (no d_ pointer for them) and a helper
 * shared by two gradients; NULL gradient pointers.  Expected values:
 * grads.expected.h (the language's value_and_grad under `myc run --interp`),
 * and closed forms where they are short.  Also linked against a shared
 * library built from grads.o (run.sh), and run under valgrind.
 */
#include <stddef.h>

#include "check.h"
#include "grads.expected.h"
#include "grads.h"

/* A value no derivative here has: shows a pointer that was not written. */
#define UNTOUCHED (-12345.678)

static void check_loop(Checker *c)
{
    double dx = UNTOUCHED, dy = UNTOUCHED;
    double v = loop_f_grad(0.7, 0.9, 12, &dx, &dy);
    check_double(c, "loop_f_grad(0.7, 0.9, 12) value", v, E_LOOP_0);
    check_double(c, "loop_f_grad(0.7, 0.9, 12) *d_x", dx, E_LOOP_1);
    check_double(c, "loop_f_grad(0.7, 0.9, 12) *d_y", dy, E_LOOP_2);
    check_double(c, "loop_f(0.7, 0.9, 12) (no gradient)", loop_f(0.7, 0.9, 12), E_LOOP_0);
    /* the loop runs zero times: value and derivatives are zero, and written */
    dx = dy = UNTOUCHED;
    v = loop_f_grad(0.7, 0.9, 0, &dx, &dy);
    check_double(c, "loop_f_grad(0.7, 0.9, 0) value", v, E_LOOP_EMPTY_0);
    check_double(c, "loop_f_grad(0.7, 0.9, 0) *d_x", dx, E_LOOP_EMPTY_1);
    check_double(c, "loop_f_grad(0.7, 0.9, 0) *d_y", dy, E_LOOP_EMPTY_2);
}

/* Each arm of cond_f, against the interpreter and the closed form. */
static void check_cond(Checker *c)
{
    double dx, dy, v;
    dx = dy = UNTOUCHED;
    v = cond_f_grad(2.0, 1.0, &dx, &dy);    /* x y > 1: x^3 - y */
    check_double(c, "cond_f_grad(2, 1) value", v, E_COND_1_0);
    check_double(c, "cond_f_grad(2, 1) *d_x", dx, E_COND_1_1);
    check_double(c, "cond_f_grad(2, 1) *d_y", dy, E_COND_1_2);
    check_double(c, "cond_f_grad(2, 1) *d_x = 3 x^2", dx, 12.0);
    check_double(c, "cond_f_grad(2, 1) *d_y = -1", dy, -1.0);

    double x = 0.9, y = 0.5;                 /* x > y: sqrt(x - y) y */
    dx = dy = UNTOUCHED;
    v = cond_f_grad(x, y, &dx, &dy);
    check_double(c, "cond_f_grad(0.9, 0.5) value", v, E_COND_2_0);
    check_double(c, "cond_f_grad(0.9, 0.5) *d_x", dx, E_COND_2_1);
    check_double(c, "cond_f_grad(0.9, 0.5) *d_y", dy, E_COND_2_2);
    check_double(c, "cond_f_grad(0.9, 0.5) *d_x = y / (2 sqrt(x - y))", dx, y / (2 * sqrt(x - y)));
    check_double(c, "cond_f_grad(0.9, 0.5) *d_y = sqrt(x - y) - y / (2 sqrt(x - y))", dy,
                 sqrt(x - y) - y / (2 * sqrt(x - y)));

    x = 0.3, y = 0.8;                        /* otherwise: cos(x) y^2 */
    dx = dy = UNTOUCHED;
    v = cond_f_grad(x, y, &dx, &dy);
    check_double(c, "cond_f_grad(0.3, 0.8) value", v, E_COND_3_0);
    check_double(c, "cond_f_grad(0.3, 0.8) *d_x", dx, E_COND_3_1);
    check_double(c, "cond_f_grad(0.3, 0.8) *d_y", dy, E_COND_3_2);
    check_double(c, "cond_f_grad(0.3, 0.8) *d_x = -sin(x) y^2", dx, -sin(x) * y * y);
    check_double(c, "cond_f_grad(0.3, 0.8) *d_y = 2 y cos(x)", dy, 2 * y * cos(x));
}

static void check_closures(Checker *c)
{
    double dx = UNTOUCHED, dk = UNTOUCHED;
    double v = clos_f_grad(0.6, -1.3, &dx, &dk);
    check_double(c, "clos_f_grad(0.6, -1.3) value", v, E_CLOS_0);
    check_double(c, "clos_f_grad(0.6, -1.3) *d_x", dx, E_CLOS_1);
    check_double(c, "clos_f_grad(0.6, -1.3) *d_k", dk, E_CLOS_2);
}

/* tup_f(p: (float, int, (float, bool)), w): pointers for p[0], p[2][0] and
   w only.  Every combination of NULL pointers gives the same value and the
   same other derivatives, and leaves nothing written through a NULL. */
static void check_tuple_and_nulls(Checker *c)
{
    double d0 = UNTOUCHED, d20 = UNTOUCHED, dw = UNTOUCHED;
    double v = tup_f_grad(1.5, 4, 0.5, true, 2.0, &d0, &d20, &dw);
    check_double(c, "tup_f_grad((1.5, 4, (0.5, True)), 2) value", v, E_TUP_T_0);
    check_double(c, "tup_f_grad((1.5, 4, (0.5, True)), 2) *d_p_0", d0, E_TUP_T_1);
    check_double(c, "tup_f_grad((1.5, 4, (0.5, True)), 2) *d_p_2_0", d20, E_TUP_T_2);
    check_double(c, "tup_f_grad((1.5, 4, (0.5, True)), 2) *d_w", dw, E_TUP_T_3);
    check_double(c, "tup_f_grad(...) *d_p_0 = w", d0, 2.0);

    d0 = d20 = dw = UNTOUCHED;
    v = tup_f_grad(-0.25, 7, 1.25, false, 0.5, &d0, &d20, &dw);
    check_double(c, "tup_f_grad((-0.25, 7, (1.25, False)), 0.5) value", v, E_TUP_F_0);
    check_double(c, "tup_f_grad((-0.25, 7, (1.25, False)), 0.5) *d_p_0", d0, E_TUP_F_1);
    check_double(c, "tup_f_grad((-0.25, 7, (1.25, False)), 0.5) *d_p_2_0", d20, E_TUP_F_2);
    check_double(c, "tup_f_grad((-0.25, 7, (1.25, False)), 0.5) *d_w", dw, E_TUP_F_3);
    check_double(c, "tup_f_grad(...) value = tup_f(...)", v, tup_f(-0.25, 7, 1.25, false, 0.5));

    const double want[3] = {E_TUP_T_1, E_TUP_T_2, E_TUP_T_3};
    const char *names[3] = {"d_p_0", "d_p_2_0", "d_w"};
    for (int mask = 0; mask < 8; mask++) {    /* bit i set: pointer i is NULL */
        double d[3] = {UNTOUCHED, UNTOUCHED, UNTOUCHED};
        double *p[3];
        for (int i = 0; i < 3; i++)
            p[i] = (mask >> i) & 1 ? NULL : &d[i];
        v = tup_f_grad(1.5, 4, 0.5, true, 2.0, p[0], p[1], p[2]);
        char what[160];
        snprintf(what, sizeof what, "tup_f_grad with NULL pointers (mask %d) value", mask);
        check_double(c, what, v, E_TUP_T_0);
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof what, "tup_f_grad with NULL pointers (mask %d) *%s", mask, names[i]);
            check_double(c, what, d[i], p[i] ? want[i] : UNTOUCHED);
        }
    }
    v = loop_f_grad(0.7, 0.9, 12, NULL, NULL);
    check_double(c, "loop_f_grad(0.7, 0.9, 12, NULL, NULL) value", v, E_LOOP_0);
    double dy = UNTOUCHED;
    v = loop_f_grad(0.7, 0.9, 12, NULL, &dy);
    check_double(c, "loop_f_grad(0.7, 0.9, 12, NULL, &d_y) value", v, E_LOOP_0);
    check_double(c, "loop_f_grad(0.7, 0.9, 12, NULL, &d_y) *d_y", dy, E_LOOP_2);
}

/* uses_a and uses_b differentiate the same private helper. */
static void check_shared_helper(Checker *c)
{
    double dx = UNTOUCHED, dy = UNTOUCHED;
    double v = uses_a_grad(0.8, 0.3, &dx, &dy);
    check_double(c, "uses_a_grad(0.8, 0.3) value", v, E_USES_A_0);
    check_double(c, "uses_a_grad(0.8, 0.3) *d_x", dx, E_USES_A_1);
    check_double(c, "uses_a_grad(0.8, 0.3) *d_y", dy, E_USES_A_2);
    dx = dy = UNTOUCHED;
    v = uses_b_grad(0.8, 0.3, &dx, &dy);
    check_double(c, "uses_b_grad(0.8, 0.3) value", v, E_USES_B_0);
    check_double(c, "uses_b_grad(0.8, 0.3) *d_x", dx, E_USES_B_1);
    check_double(c, "uses_b_grad(0.8, 0.3) *d_y", dy, E_USES_B_2);
    check_double(c, "uses_a(0.8, 0.3)", uses_a(0.8, 0.3), E_USES_A_0);
    check_double(c, "uses_b(0.8, 0.3)", uses_b(0.8, 0.3), E_USES_B_0);
}

int main(void)
{
    Checker c = {"grads", 0, 0};
    /* twice over: a second round finds state a first call left behind */
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            c.test = "grads (second round)";
        check_loop(&c);
        check_cond(&c);
        check_closures(&c);
        check_tuple_and_nulls(&c);
        check_shared_helper(&c);
    }
    return checks_done(&c);
}
