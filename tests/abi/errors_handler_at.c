/*
 * errors_handler_at.c: runtime errors of native code reach the located
 * handler the program installed with myrt_set_error_handler_at
 * (runtime/myrt.h) with CPython's message and the place of the failing
 * operation in errors.my -- file (as given to myc -c), line and column,
 * the interpreter's (errors.expected.h, from the EXPECT-ERROR lines) --
 * and a handler that longjmps back leaves the functions usable.  Also: an
 * error inside a gradient is at the primal's operation; a handler of the
 * original kind installed on top gets the message alone and, once the one
 * it replaced is restored, the located handler is called again.
 *
 * The handlers have no user-data argument, so the jump buffer and what the
 * handler saw are file-scope statics: the only state of this program,
 * touched by one thread.
 */
#include <setjmp.h>
#include <string.h>

#include "check.h"
#include "errors.expected.h"
#include "errors.h"
#include "myrt.h"

static jmp_buf back;
static struct {
    char message[256], file[1024];
    int line, col, calls, plain_calls;
} seen;

static void on_error_at(const char *msg, const char *file, int line, int col)
{
    seen.calls++;
    snprintf(seen.message, sizeof seen.message, "%s", msg ? msg : "(null)");
    snprintf(seen.file, sizeof seen.file, "%s", file ? file : "(null)");
    seen.line = line;
    seen.col = col;
    longjmp(back, 1);
}

static void on_error_plain(const char *msg)
{
    seen.plain_calls++;
    snprintf(seen.message, sizeof seen.message, "%s", msg ? msg : "(null)");
    longjmp(back, 1);
}

typedef enum Call {
    IDIV_ZERO, IMOD_ZERO, SCALED_GRAD_ZERO, SCALED_ZERO, RANGE_STEP_ZERO, INT_OF_NAN, INT_OF_INF, INT_OVERFLOW,
    FLOOR_OF_INF, CEIL_OF_NAN
} Call;

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
    case INT_OVERFLOW: (void)to_int(1e19); break;
    case FLOOR_OF_INF: (void)bounds(INFINITY, 1.0); break;
    case CEIL_OF_NAN: (void)bounds(1.0, NAN); break;
    }
}

/* Calls `which`, which must end in the located handler, once, with msg at
   file:line:col. */
static void expect_error(Checker *c, const char *what, Call which, const char *msg, const char *file, int line,
                         int col)
{
    memset(&seen, 0, sizeof seen);
    if (setjmp(back) == 0) {
        make_call(which);
        char text[300];
        snprintf(text, sizeof text, "%s: returned normally; expected the handler with \"%s\"", what, msg);
        check_true(c, text, false);
        return;
    }
    char text[2400];
    snprintf(text, sizeof text, "%s: located handler called once (%d calls, %d of the plain one)", what,
             seen.calls, seen.plain_calls);
    check_true(c, text, seen.calls == 1 && seen.plain_calls == 0);
    snprintf(text, sizeof text, "%s: \"%s\" at %s:%d:%d, expected \"%s\" at %s:%d:%d", what, seen.message,
             seen.file, seen.line, seen.col, msg, file, line, col);
    check_true(c, text, strcmp(seen.message, msg) == 0 && strcmp(seen.file, file) == 0 && seen.line == line &&
                            seen.col == col);
}

#define EXPECT_ERROR(c, what, which) \
    expect_error(c, what, which, E_##which##_MSG, E_##which##_FILE, E_##which##_LINE, E_##which##_COL)

/* After an error, everything still works. */
static void expect_fine(Checker *c)
{
    check_int(c, "idiv(-7, 2)", idiv(-7, 2), E_IDIV);
    check_int(c, "imod(-7, 2)", imod(-7, 2), E_IMOD);
    check_int(c, "steps(10, 3)", steps(10, 3), E_STEPS);
    check_int(c, "bounds(2.5, -1.5)", bounds(2.5, -1.5), E_BOUNDS);
    double d = 0;
    check_double(c, "scaled_grad(1.5, 3) value", scaled_grad(1.5, 3, &d), E_SCALED_0);
    check_double(c, "scaled_grad(1.5, 3) *d_x", d, E_SCALED_1);
}

int main(void)
{
    Checker c = {"runtime errors (located handler)", 0, 0};
    check_true(&c, "no located handler at first", myrt_set_error_handler_at(on_error_at) == NULL);
    expect_fine(&c);
    for (int round = 0; round < 2; round++) {
        EXPECT_ERROR(&c, "idiv(7, 0)", IDIV_ZERO);
        expect_fine(&c);
        EXPECT_ERROR(&c, "imod(7, 0)", IMOD_ZERO);
        EXPECT_ERROR(&c, "scaled_grad(1.5, 0, &d)", SCALED_GRAD_ZERO);
        expect_fine(&c);
        EXPECT_ERROR(&c, "scaled(1.5, 0)", SCALED_ZERO);
        EXPECT_ERROR(&c, "steps(10, 0)", RANGE_STEP_ZERO);
        EXPECT_ERROR(&c, "to_int(nan)", INT_OF_NAN);
        EXPECT_ERROR(&c, "to_int(-inf)", INT_OF_INF);
        EXPECT_ERROR(&c, "to_int(1e19)", INT_OVERFLOW);
        EXPECT_ERROR(&c, "bounds(inf, 1)", FLOOR_OF_INF);
        EXPECT_ERROR(&c, "bounds(1, nan)", CEIL_OF_NAN);
        expect_fine(&c);
    }
    /* the gradient's error is the primal's: the same place as scaled's */
    check_true(&c, "scaled_grad fails where scaled does",
               E_SCALED_GRAD_ZERO_LINE == E_SCALED_ZERO_LINE && E_SCALED_GRAD_ZERO_COL == E_SCALED_ZERO_COL);

    /* a handler of the original kind on top: it gets the message alone */
    myrt_error_handler prev = myrt_set_error_handler(on_error_plain);
    memset(&seen, 0, sizeof seen);
    if (setjmp(back) == 0)
        make_call(IMOD_ZERO);
    check_true(&c, "plain handler installed last is called, with the message alone",
               seen.plain_calls == 1 && seen.calls == 0 && strcmp(seen.message, E_IMOD_ZERO_MSG) == 0);
    /* restoring the default hands back to the located handler */
    myrt_set_error_handler(prev);
    EXPECT_ERROR(&c, "idiv(7, 0) after the plain handler was removed", IDIV_ZERO);
    expect_fine(&c);

    check_true(&c, "myrt_set_error_handler_at(NULL) returns the handler installed",
               myrt_set_error_handler_at(NULL) == on_error_at);
    return checks_done(&c);
}
