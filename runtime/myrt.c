/* myrt.c: the runtime's error handler. */
#include "myrt.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static void default_handler(const char *message)
{
    fprintf(stderr, "myc: runtime error: %s\n", message);
    fflush(stderr);
    abort();
}

/* Process-wide by design (a C program installs one handler for all the
   .my code it links); atomic so that threads may call concurrently. */
static _Atomic(myrt_error_handler) current_handler = default_handler;

myrt_error_handler myrt_set_error_handler(myrt_error_handler handler)
{
    return atomic_exchange(&current_handler, handler ? handler : default_handler);
}

_Noreturn void myrt_runtime_error(const char *message)
{
    myrt_error_handler h = atomic_load(&current_handler);
    h(message);
    abort();    /* a handler that returns: there is no way to continue */
}
