/*
 * myrt.h: the myc runtime, linked into programs that use compiled .my code
 * (build/libmyrt.a).
 *
 * Runtime errors (integer // or % by zero, a zero range() step, int() of a
 * NaN or an infinity) call the error handler.  The default handler prints
 * "myc: runtime error: MESSAGE" to stderr and aborts, as `myc run` reports
 * them; a program may install its own (for example one that longjmps back
 * to the caller).  A handler must not return: if it does, the runtime
 * aborts.
 */
#ifndef MYRT_H
#define MYRT_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*myrt_error_handler)(const char *message);

/* Installs handler (NULL restores the default); returns the previous one.
   The handler is process-wide. */
myrt_error_handler myrt_set_error_handler(myrt_error_handler handler);

/* Reports a runtime error through the current handler; never returns. */
_Noreturn void myrt_runtime_error(const char *message);

#ifdef __cplusplus
}
#endif

#endif
