/*
 * errors_handler.c: runtime errors of native code reach the handler the
 * program installed (runtime/myrt.h), with CPython's messages, and a
 * handler that longjmps back leaves the functions usable (errors.my).
 *
 * The handler has no user-data argument, so the jump buffer and the last
 * message are file-scope statics: the only state of this program, touched
 * by one thread.
 */
#include <setjmp.h>
#include <string.h>

#include "check.h"
#include "errors.expected.h"
#include "errors.h"
#include "myrt.h"

static jmp_buf back;
static char message[256];
static int handler_calls;

static void on_error(const char *msg)
{
    handler_calls++;
    snprintf(message, sizeof message, "%s", msg ? msg : "(null)");
    longjmp(back, 1);
}

typedef enum Call { IDIV_ZERO, IMOD_ZERO, SCALED_GRAD_ZERO, SCALED_ZERO, RANGE_STEP_ZERO, INT_OF_NAN, INT_OF_INF } Call;

static void make_call(Call which)
{
    double d = 0;
    switch (which) {
    case IDIV_ZERO: (void)idiv(7, 0); break;
    case IMOD_ZERO: (void)imod(7, 0); break;
    case SCALED_GRAD_ZERO: (void)scaled_grad(1.5, 0, &d); break;
    case SCALED_ZERO: (void)scaled(1.5, 0); break;
    case RANGE_STEP_ZERO: (void)steps(10, 0); break;
    case INT_OF_NAN: (void)to_int(NAN); break;
    case INT_OF_INF: (void)to_int(-INFINITY); break;
    }
}

/* Calls `which`, which must end in the handler with `want`. */
static void expect_error(Checker *c, const char *what, Call which, const char *want)
{
    volatile int calls_before = handler_calls;
    message[0] = '\0';
    if (setjmp(back) == 0) {
        make_call(which);
        char line[300];
        snprintf(line, sizeof line, "%s: returned normally; expected the handler with \"%s\"", what, want);
        check_true(c, line, false);
        return;
    }
    char line[600];
    snprintf(line, sizeof line, "%s: handler called once (%d calls)", what, handler_calls - calls_before);
    check_true(c, line, handler_calls - calls_before == 1);
    snprintf(line, sizeof line, "%s: message \"%s\", expected \"%s\"", what, message, want);
    check_true(c, line, strcmp(message, want) == 0);
}

/* After an error, everything still works. */
static void expect_fine(Checker *c)
{
    check_int(c, "idiv(-7, 2)", idiv(-7, 2), E_IDIV);
    check_int(c, "imod(-7, 2)", imod(-7, 2), E_IMOD);
    check_int(c, "steps(10, 3)", steps(10, 3), E_STEPS);
    check_int(c, "to_int(-2.7)", to_int(-2.7), -2);
    double d = 0;
    check_double(c, "scaled_grad(1.5, 3) value", scaled_grad(1.5, 3, &d), E_SCALED_0);
    check_double(c, "scaled_grad(1.5, 3) *d_x", d, E_SCALED_1);
}

int main(void)
{
    Checker c = {"runtime errors (handler)", 0, 0};
    myrt_set_error_handler(on_error);
    expect_fine(&c);
    const char *rounds[] = {"runtime errors (handler)", "runtime errors (handler, round 2)",
                            "runtime errors (handler, round 3)"};
    for (int round = 0; round < 3; round++) {
        c.test = rounds[round];
        expect_error(&c, "idiv(7, 0)", IDIV_ZERO, "integer division or modulo by zero");
        expect_fine(&c);
        expect_error(&c, "imod(7, 0)", IMOD_ZERO, "integer modulo by zero");
        expect_error(&c, "scaled_grad(1.5, 0, &d)", SCALED_GRAD_ZERO, "integer division or modulo by zero");
        expect_fine(&c);
        expect_error(&c, "scaled(1.5, 0)", SCALED_ZERO, "integer division or modulo by zero");
        expect_error(&c, "steps(10, 0)", RANGE_STEP_ZERO, "range() arg 3 must not be zero");
        expect_error(&c, "to_int(nan)", INT_OF_NAN, "cannot convert float NaN to integer");
        expect_error(&c, "to_int(-inf)", INT_OF_INF, "cannot convert float infinity to integer");
        expect_fine(&c);
    }
    /* NULL restores the default handler, which returns the one installed */
    check_true(&c, "myrt_set_error_handler(NULL) returns the handler installed",
               myrt_set_error_handler(NULL) == on_error);
    return checks_done(&c);
}
