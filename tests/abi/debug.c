/*
 * debug.c: the program run.sh debugs (debug.my, compiled with -g).
 * `./debug plain` calls walk and depth, `./debug grad` walk_grad; both
 * check the values against the interpreter's, so the program is also an
 * ordinary test of the -g objects.
 */
#include <string.h>

#include "check.h"
#include "debug.expected.h"
#include "debug.h"

int main(int argc, char **argv)
{
    Checker c = {"debug (-g objects)", 0, 0};
    if (argc != 2 || (strcmp(argv[1], "plain") != 0 && strcmp(argv[1], "grad") != 0)) {
        fprintf(stderr, "usage: debug plain|grad\n");
        return 2;
    }
    if (strcmp(argv[1], "plain") == 0) {
        check_double(&c, "walk(1.5, 4)", walk(1.5, 4), E_WALK);
        check_int(&c, "depth(5)", depth(5), E_DEPTH);
    } else {
        double d = 0;
        check_double(&c, "walk_grad(1.5, 4) value", walk_grad(1.5, 4, &d), E_WALK_GRAD_0);
        check_double(&c, "walk_grad(1.5, 4) *d_x", d, E_WALK_GRAD_1);
    }
    return checks_done(&c);
}
