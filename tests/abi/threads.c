/*
 * threads.c: NAME_grad is thread-safe and reentrant (contract section 3).
 * Eight threads start together (a barrier) and each calls work_grad 10,000
 * times on inputs of its own, a few calls with NULL pointers among them;
 * every result must be bit-identical to the same call made serially
 * before any thread started (threads.my: a loop, a conditional, a
 * closure; it allocates).  Also one value against the interpreter.
 */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "threads.expected.h"
#include "threads.h"

enum { NTHREADS = 8, CALLS = 10000 };

typedef struct Result {
    double v, dx, dy;
} Result;

typedef struct Input {
    double x, y;
    int64_t n;
} Input;

typedef struct Shared {
    const Result *serial;       /* NTHREADS * CALLS, computed first */
    pthread_barrier_t start;
} Shared;

typedef struct Worker {
    Shared *shared;
    int id;
    int mismatches;
    char first[200];            /* the first mismatch, described */
} Worker;

/* The k-th input (k < NTHREADS * CALLS): varied x, y and loop counts. */
static Input input(int k)
{
    Input in = {0.05 + 0.9 * (double)((k * 37) % 1001) / 1000.0, -1.5 + 3.0 * (double)((k * 53) % 997) / 996.0,
                1 + (k % 41)};
    return in;
}

/* Call k, with both pointers NULL on every 17th call and one NULL on every 13th. */
static Result call(int k)
{
    Input in = input(k);
    Result r = {0, -1, -1};
    double *px = k % 17 == 0 ? NULL : &r.dx;
    double *py = k % 17 == 0 || k % 13 == 0 ? NULL : &r.dy;
    r.v = work_grad(in.x, in.y, in.n, px, py);
    return r;
}

static bool same(const Result *a, const Result *b)
{
    return memcmp(&a->v, &b->v, sizeof a->v) == 0 && memcmp(&a->dx, &b->dx, sizeof a->dx) == 0 &&
           memcmp(&a->dy, &b->dy, sizeof a->dy) == 0;
}

static void *run_worker(void *arg)
{
    Worker *w = arg;
    pthread_barrier_wait(&w->shared->start);
    for (int i = 0; i < CALLS; i++) {
        int k = w->id * CALLS + i;
        Result r = call(k);
        const Result *want = &w->shared->serial[k];
        if (!same(&r, want) && w->mismatches++ == 0)
            snprintf(w->first, sizeof w->first,
                     "call %d: got (%.17g, %.17g, %.17g), serially (%.17g, %.17g, %.17g)", k, r.v, r.dx, r.dy,
                     want->v, want->dx, want->dy);
    }
    return NULL;
}

int main(void)
{
    Checker c = {"threads", 0, 0};
    double dx = 0, dy = 0;
    double v = work_grad(0.4, 1.3, 17, &dx, &dy);
    check_double(&c, "work_grad(0.4, 1.3, 17) value", v, E_WORK_0);
    check_double(&c, "work_grad(0.4, 1.3, 17) *d_x", dx, E_WORK_1);
    check_double(&c, "work_grad(0.4, 1.3, 17) *d_y", dy, E_WORK_2);

    Result *serial = malloc(sizeof *serial * NTHREADS * CALLS);
    if (!serial)
        return 1;
    for (int k = 0; k < NTHREADS * CALLS; k++)
        serial[k] = call(k);

    Shared shared;
    shared.serial = serial;
    pthread_barrier_init(&shared.start, NULL, NTHREADS);
    Worker workers[NTHREADS];
    pthread_t tids[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        workers[t] = (Worker){&shared, t, 0, ""};
        if (pthread_create(&tids[t], NULL, run_worker, &workers[t]) != 0) {
            fprintf(stderr, "threads: cannot create thread %d\n", t);
            return 1;
        }
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(tids[t], NULL);
    pthread_barrier_destroy(&shared.start);
    for (int t = 0; t < NTHREADS; t++) {
        char what[300];
        snprintf(what, sizeof what, "thread %d: %d of %d calls differ from the serial ones; first: %s", t,
                 workers[t].mismatches, CALLS, workers[t].first);
        check_true(&c, what, workers[t].mismatches == 0);
    }
    free(serial);
    return checks_done(&c);
}
