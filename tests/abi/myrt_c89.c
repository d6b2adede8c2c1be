/*
 * myrt_c89.c: runtime/myrt.h from old C and C++ (run.sh builds this file as
 * C89 and as C++98, -pedantic, warnings as errors): the header compiles
 * there, its arena keeps its size, and both error handler setters work
 * when the runtime reports errors directly, with and without a location.
 * Written in C89 (and the common subset of C++98) on purpose.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "myrt.h"

/* sizeof(myrt_arena) == MYRT_ARENA_SIZE, at compile time, in C89 */
typedef char arena_size_is_right[sizeof(myrt_arena) == MYRT_ARENA_SIZE ? 1 : -1];

static jmp_buf back;
static char seen[256];

static void on_error(const char *message)
{
    sprintf(seen, "plain: %.200s", message);
    longjmp(back, 1);
}

static void on_error_at(const char *message, const char *file, int line, int col)
{
    sprintf(seen, "at: %.100s:%d:%d: %.100s", file ? file : "(null)", line, col, message);
    longjmp(back, 1);
}

static const myrt_source_loc where = {"prog.my", 3, 14};

/* Reports an error (located or not) and returns what the handler saw. */
static const char *report(int located)
{
    seen[0] = '\0';
    if (setjmp(back) == 0) {
        myrt_arena a;
        myrt_arena_enter(&a);
        (void)myrt_alloc(&a, 16);
        if (located)
            myrt_runtime_error_at("integer division or modulo by zero", &where);
        else
            myrt_runtime_error("out of memory");
    }
    return seen;
}

static int failures = 0;

static void expect(const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "myrt_c89: %s: got \"%s\", expected \"%s\"\n", what, got, want);
        failures++;
    }
}

int main(void)
{
    myrt_error_handler old;
    myrt_stats st;
    arena_size_is_right *unused = 0;
    (void)unused;

    if (myrt_set_error_handler_at(on_error_at) != 0)
        failures++;
    expect("located", report(1), "at: prog.my:3:14: integer division or modulo by zero");
    expect("unlocated", report(0), "at: (null):0:0: out of memory");
    old = myrt_set_error_handler(on_error);
    expect("plain on top", report(1), "plain: integer division or modulo by zero");
    myrt_set_error_handler(old);
    expect("located again", report(1), "at: prog.my:3:14: integer division or modulo by zero");
    if (myrt_set_error_handler_at(0) != on_error_at)
        failures++;
    old = myrt_set_error_handler(on_error);
    expect("plain alone", report(1), "plain: integer division or modulo by zero");
    if (myrt_set_error_handler(old) != on_error)
        failures++;
    /* the arena of the failed call was left: nothing outlives it */
    myrt_last_stats(&st);
    if (st.arena_bytes != 16)
        failures++;
    if (failures)
        fprintf(stderr, "myrt_c89: %d failures\n", failures);
    else
        puts("myrt_c89: ok");
    return failures ? 1 : 0;
}
