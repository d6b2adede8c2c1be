/*
 * bench/harness.h: the timing and checking harness every benchmark shares.
 * It defines main(), so it is included once, last, by bench/NAME_main.c,
 * which first defines:
 *
 *   BENCH_NAME     the benchmark's name, a string ("recurrence")
 *   BENCH_N        how many float inputs the gradient has
 *   BENCH_VARY     the input nudged from call to call in the timing loops
 *   static double myc_primal(const double *x);     NAME (compiled by myc)
 *   static double c_primal(const double *x);       NAME in hand-written C
 *   static double myc_grad(const double *x, double *g);   NAME_grad: value, g = gradient
 *   static double c_grad(const double *x, double *g);     the hand-written adjoint
 *
 * and the point measured, in one of two ways:
 *
 *   (a) a few scalar inputs (black_scholes, nn, ...):
 *       static const double bench_x[BENCH_N];          the point
 *       static const char *const bench_names[BENCH_N]; the inputs' names
 *
 *   (b) list parameters (mlp, rnn, heat, gmm): every differentiated
 *       parameter is a slice of the one vector x of BENCH_N doubles, one
 *       group after another (a matrix row-major, a scalar one double):
 *       #define BENCH_GROUPS {"w1", 64, 10}, {"b1", 64, 0}, {"c", 0, 0}
 *             each group {name, rows, cols}: cols 0 is a list of rows
 *             items, rows 0 a scalar, otherwise a rows x cols matrix; the
 *             sizes must add up to BENCH_N (checked at the start); the
 *             inputs are named w1[3][7], b1[5], c in the messages
 *       static void bench_init(double *x);
 *             stores the point into x[0..BENCH_N) and makes the data that
 *             is not differentiated (called once, before anything else)
 *       The wrappers pass pointers into x (and g) to NAME, NAME_grad and
 *       the hand code (myc_grad: d_ pointers g + offset of the group; NULL
 *       for parameters that are data, not differentiated).  x and g are
 *       on the heap, so BENCH_N may be large.
 *
 * (The four wrappers only unpack x and call the real function, which lives
 * in another object: myc's NAME.o or bench/NAME_ref.c; the wrappers are
 * static, so each timing loop below calls the real function directly.)
 *
 * Optionally, BENCH_LEVELS: how many recursion levels or loop iterations
 * the gradient runs through (reported as levels=N in the RESULT line, so
 * that run.py can give the reverse-mode memory per level; 0 when not
 * defined).  bench/variant.h defines the four wrappers for the benchmarks
 * grouped several to a file.
 *
 * A primal-only benchmark (dot, matvec, stencil, axpy: list functions timed
 * without gradients) defines BENCH_PRIMAL_ONLY, bench_x (way (a), without
 * bench_names) and, instead of myc_grad and c_grad:
 *
 *   static void bench_setup(void);     makes its data (once, before anything)
 *   static double bench_check(void);   runs both primals once and compares
 *                                      their results in full with
 *                                      expect_close; returns the largest
 *                                      relative error
 *
 * Its x (BENCH_N values) is what the wrappers pass on or store into the
 * data before each call (BENCH_VARY nudged as below); only the two primals
 * are timed, the gradient measures are reported as nan, no memory.
 *
 * In one run the program
 *   1. checks: myc's value against the C value, myc's gradient value and
 *      every gradient component against the hand adjoint's (relative 1e-9),
 *      and the hand adjoint against central finite differences of the C
 *      primal (1e-5), so that a wrong hand-written adjoint cannot pass for a
 *      wrong myc; when BENCH_N > 64, the differences are taken for a sample
 *      of about BENCH_FD_SAMPLES (40) inputs, at least two of every group
 *      (or the group whole), the rest spread evenly over the groups in
 *      proportion to their sizes, each group's sample spread evenly from its
 *      first input to its last; any failure prints every disagreeing number
 *      and exits with status 1.  A runtime error in NAME_grad (out of
 *      memory under run.py's limit, typically) is a failure too, but the
 *      program goes on to measure the three other functions and reports
 *      myc_grad_error=MESSAGE (spaces as _) in the RESULT line, then exits
 *      with status 1;
 *   2. measures reverse-mode memory in those same two gradient calls, one
 *      call each on a thread of its own, both measured the same way: the
 *      peak of the call's heap plus its arena plus its frames plus its C
 *      stack:
 *        myc grad      arena_bytes + frame_peak_bytes + big_peak_bytes of
 *                      myrt_last_stats (runtime/myrt.h: what the call's
 *                      arena handed out, its frame stack's peak, its large
 *                      list buffers' peak; nothing of the arena is freed
 *                      before the call returns, so arena_bytes is a peak),
 *                      plus the C stack;
 *        hand adjoint  the peak of the bytes it holds from malloc, calloc
 *                      and realloc (each block counted at
 *                      malloc_usable_size, less what it frees; run.py links
 *                      every benchmark with -Wl,--wrap=malloc,calloc,
 *                      realloc,free, so the wrappers below see every call
 *                      made by the benchmark's objects and libmyrt.a, and
 *                      they count on the measuring thread only, during the
 *                      call; not calls inside libc itself), plus the C
 *                      stack;
 *        C stack       the thread runs on a 64 MiB stack of our own filled
 *                      with a pattern first; the bytes from the deepest one
 *                      overwritten to the top are the stack the call used,
 *                      less those of a thread that calls nothing (glibc's
 *                      thread descriptor and thread-local variables); the
 *                      harness's wrappers' few dozen bytes stay in (run.py
 *                      links with -z now: a first call of a libm function
 *                      would otherwise run the dynamic linker on it).
 *      Also printed, as cross-checks: the malloc peak of the myc call
 *      measured as the hand adjoint's (its arena's chunks at their full
 *      capacity, so more than the counters), and for both the growth of the
 *      process's peak resident memory during the call (Linux: VmHWM of
 *      /proc/self/status after resetting it through /proc/self/clear_refs,
 *      less VmRSS before the call; getrusage's ru_maxrss cannot be reset;
 *      -1 where /proc does not allow it);
 *   3. times the four functions with clock_gettime(CLOCK_MONOTONIC): each
 *      measurement repeats the call enough times to take about --target
 *      seconds (0.2), and the best of --rounds (5) measurements counts (the
 *      median is reported too, as KEY_median); the
 *      rounds are interleaved (round 1 of all four, then round 2, ...) so
 *      that a noisy moment hurts all four alike.  A function whose
 *      measurement takes longer than --max-seconds / rounds (30 s in total
 *      by default) gets fewer rounds (at least one): slow gradients cost
 *      repetitions, never problem size.  A function whose single first
 *      (calibration) call already takes longer than --max-seconds is not
 *      called again: that call is its one round.  Each call sees input
 *      BENCH_VARY nudged by a relative 1e-12 (eight values in turn) and
 *      every result goes into a volatile sink, so no call can be hoisted or
 *      dropped.
 * It prints a readable report and, last, one line
 *   RESULT name=NAME key=value ...
 * that bench/run.py reads (times are seconds per call, memory in bytes).
 *
 * Options: --target S, --rounds N, --max-seconds S, --no-time (checks and
 * memory only).
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <float.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "myrt.h"

#ifndef BENCH_LEVELS
#define BENCH_LEVELS 0
#endif

#define REL_TOL 1e-9    /* myc against the hand-written code */
#define FD_TOL 1e-5     /* the hand adjoint against finite differences */
#define FD_ALL 64       /* up to this many inputs, differences for every one */
#ifndef BENCH_FD_SAMPLES
#define BENCH_FD_SAMPLES 40
#endif

enum { M_MYC_PRIMAL, M_C_PRIMAL, M_MYC_GRAD, M_C_GRAD, M_COUNT };
#ifdef BENCH_PRIMAL_ONLY
enum { M_TIMED = M_C_PRIMAL + 1 };     /* the measures timed: the primals only */
#else
enum { M_TIMED = M_COUNT };
#endif
enum { MAX_ROUNDS = 64 };
static const char *const measure_names[M_COUNT] = {"myc primal", "C primal", "myc grad",
                                                   "hand adjoint"};
static const char *const measure_keys[M_COUNT] = {"myc_primal", "c_primal", "myc_grad",
                                                  "c_grad"};

static volatile double bench_sink;
static double *bench_point;     /* the point measured, BENCH_N doubles */
static double *call_x, *call_g; /* the timing loops' x and g */
static char myc_error[256];     /* the runtime error that ended NAME_grad, if one did */

#ifdef BENCH_GROUPS
typedef struct bench_group {
    const char *name;
    int64_t rows, cols;         /* rows 0: a scalar; cols 0: a list of rows items */
} bench_group;
static const bench_group bench_groups[] = {BENCH_GROUPS};
enum { BENCH_NGROUPS = (int)(sizeof bench_groups / sizeof *bench_groups) };

static int64_t group_size(int k)
{
    const bench_group *gr = &bench_groups[k];
    return gr->rows == 0 ? 1 : gr->cols == 0 ? gr->rows : gr->rows * gr->cols;
}
#endif

#ifndef BENCH_PRIMAL_ONLY
/* Input i's name, for messages. */
static const char *input_name(int i)
{
    static char buf[96];
#if defined(BENCH_GROUPS)
    int64_t off = 0;
    for (int k = 0; k < BENCH_NGROUPS; k++) {
        const bench_group *gr = &bench_groups[k];
        int64_t j = i - off, size = group_size(k);
        if (j < size) {
            if (gr->rows == 0)
                snprintf(buf, sizeof buf, "%s", gr->name);
            else if (gr->cols == 0)
                snprintf(buf, sizeof buf, "%s[%lld]", gr->name, (long long)j);
            else
                snprintf(buf, sizeof buf, "%s[%lld][%lld]", gr->name, (long long)(j / gr->cols),
                         (long long)(j % gr->cols));
            return buf;
        }
        off += size;
    }
    snprintf(buf, sizeof buf, "x[%d]", i);
    return buf;
#else
    (void)buf;
    return bench_names[i];
#endif
}
#endif

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs measurement m reps times; returns the elapsed seconds. */
static double run_calls(int m, long reps)
{
    double *x = call_x, *g = call_g;
    memcpy(x, bench_point, BENCH_N * sizeof *x);
    const double base = x[BENCH_VARY];
    const double step = 1e-12 * (base != 0.0 ? fabs(base) : 1.0);
    double acc = 0.0;
    double t0 = now_seconds();
    switch (m) {
    case M_MYC_PRIMAL:
        for (long i = 0; i < reps; i++) {
            x[BENCH_VARY] = base + step * (double)(i & 7);
            acc += myc_primal(x);
        }
        break;
    case M_C_PRIMAL:
        for (long i = 0; i < reps; i++) {
            x[BENCH_VARY] = base + step * (double)(i & 7);
            acc += c_primal(x);
        }
        break;
#ifndef BENCH_PRIMAL_ONLY
    case M_MYC_GRAD:
        for (long i = 0; i < reps; i++) {
            x[BENCH_VARY] = base + step * (double)(i & 7);
            acc += myc_grad(x, g) + g[0];
        }
        break;
    case M_C_GRAD:
        for (long i = 0; i < reps; i++) {
            x[BENCH_VARY] = base + step * (double)(i & 7);
            acc += c_grad(x, g) + g[0];
        }
        break;
#endif
    }
    (void)g;
    double t1 = now_seconds();
    bench_sink = acc;
    return t1 - t0;
}

/* ---- heap accounting (the wrappers -Wl,--wrap=malloc,... links in) ----------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

/* On for the measuring thread during the measured call only. */
static _Thread_local int heap_on;
static _Thread_local int64_t heap_cur, heap_peak;

static void heap_count(void *p, int sign)
{
    if (heap_on && p) {
        heap_cur += sign * (int64_t)malloc_usable_size(p);
        if (heap_cur > heap_peak)
            heap_peak = heap_cur;
    }
}

void *__wrap_malloc(size_t size)
{
    void *p = __real_malloc(size);
    heap_count(p, 1);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = __real_calloc(n, size);
    heap_count(p, 1);
    return p;
}

void *__wrap_realloc(void *p, size_t size)
{
    heap_count(p, -1);
    void *q = __real_realloc(p, size);
    heap_count(q ? q : size ? p : NULL, 1);   /* a failed realloc keeps p */
    return q;
}

void __wrap_free(void *p)
{
    heap_count(p, -1);
    __real_free(p);
}

/* ---- one measured gradient call ---------------------------------------------------- */

#ifndef BENCH_PRIMAL_ONLY
enum { MEASURE_STACK = 64 << 20 };
#define STACK_PATTERN 0xa5u

typedef struct measured {
    int m;                    /* M_MYC_GRAD or M_C_GRAD */
    const double *x;
    double *g, value;
    myrt_stats st;            /* the call's arena (all zero for the hand adjoint) */
    int64_t heap_peak;        /* malloc peak during the call */
    int64_t stack_bytes;      /* C stack used */
    int64_t rss_growth;       /* peak resident growth, or -1 */
    int64_t total;            /* the memory compared: see the header */
    int failed;               /* the call ended in a runtime error (myc_error says which) */
} measured;

/* A runtime error of the measured myc call (out of memory, typically: the
   process's address space is limited by run.py) ends that call, not the
   program: the handler jumps back to measure_thread, which records it. */
static _Thread_local jmp_buf *error_jump;

static void on_runtime_error(const char *message, const char *file, int line, int col)
{
    if (file)
        snprintf(myc_error, sizeof myc_error, "%s:%d:%d: %s", file, line, col, message);
    else
        snprintf(myc_error, sizeof myc_error, "%s", message);
    if (!error_jump) {
        fprintf(stderr, "myc: runtime error: %s\n", myc_error);
        abort();
    }
    longjmp(*error_jump, 1);
}

/* kB of field ("VmRSS:") in /proc/self/status as bytes, or -1. */
static int64_t proc_status_bytes(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    int64_t v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) {
            v = 1024 * strtoll(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Resets the process's peak resident memory to the current one; 0 if it can. */
static int reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void *measure_thread(void *arg)
{
    measured *r = arg;
    jmp_buf jump;
    heap_cur = heap_peak = 0;
    heap_on = 1;
    if (setjmp(jump) == 0) {
        error_jump = &jump;
        r->value = r->m == M_MYC_GRAD ? myc_grad(r->x, r->g)
                   : r->m == M_C_GRAD   ? c_grad(r->x, r->g)
                                        : 0.0;
    } else {
        r->failed = 1;
        r->value = NAN;
    }
    error_jump = NULL;
    heap_on = 0;
    r->heap_peak = heap_peak;
    myrt_last_stats(&r->st);
    return NULL;
}

/* One call of measure m (a gradient; -1: none) at x into g, on a thread of
   its own (the runtime's statistics are per thread, so they are that
   call's); exits when no thread can be made.  The stack of a thread that
   calls nothing (glibc keeps the thread's descriptor and thread-local
   variables at the top of its stack: about 4 KiB) is left out. */
static void measure_call(measured *r, int m, const double *x, double *g)
{
    static int64_t stack_base = -1;
    if (m >= 0 && stack_base < 0) {
        measured none;
        measure_call(&none, -1, NULL, NULL);
        stack_base = none.stack_bytes;
    }
    memset(r, 0, sizeof *r);
    r->m = m;
    r->x = x;
    r->g = g;
    unsigned char *stack = NULL;
    pthread_attr_t attr;
    pthread_t thread;
    if (posix_memalign((void **)&stack, 4096, MEASURE_STACK) != 0 ||
        pthread_attr_init(&attr) != 0 ||
        pthread_attr_setstack(&attr, stack, MEASURE_STACK) != 0) {
        fprintf(stderr, "%s: cannot make a thread's stack\n", BENCH_NAME);
        exit(1);
    }
    memset(stack, STACK_PATTERN, MEASURE_STACK);
    /* (the resident memory is read here, not on the measured thread: the
       stack stdio would use there would count as the call's) */
    int rss_ok = reset_peak_rss() == 0;
    int64_t rss0 = proc_status_bytes("VmRSS:");
    if (pthread_create(&thread, &attr, measure_thread, r) != 0 ||
        pthread_join(thread, NULL) != 0) {
        fprintf(stderr, "%s: cannot run a thread\n", BENCH_NAME);
        exit(1);
    }
    int64_t hwm = proc_status_bytes("VmHWM:");
    r->rss_growth = rss_ok && rss0 >= 0 && hwm >= 0 ? hwm - rss0 : -1;
    pthread_attr_destroy(&attr);
    size_t low = 0;     /* the stack grows down: the lowest byte written */
    while (low < MEASURE_STACK && stack[low] == STACK_PATTERN)
        low++;
    r->stack_bytes = (int64_t)(MEASURE_STACK - low) - (m >= 0 ? stack_base : 0);
    if (r->stack_bytes < 0)
        r->stack_bytes = 0;
    free(stack);
    if (m == M_MYC_GRAD)
        r->total = (int64_t)(r->st.arena_bytes + r->st.frame_peak_bytes + r->st.big_peak_bytes) +
                   r->stack_bytes;
    else
        r->total = r->heap_peak + r->stack_bytes;
}
#endif

/* ---- checks ---------------------------------------------------------------- */

static int check_failures;

/* a and b agree to tol relative to the larger of |a|, |b| and floor. */
static double rel_err(double a, double b, double floor_)
{
    double scale = fmax(fmax(fabs(a), fabs(b)), floor_);
    if (a == b)
        return 0.0;
    if (!isfinite(a) || !isfinite(b) || scale == 0.0)
        return INFINITY;
    return fabs(a - b) / scale;
}

static double expect_close(const char *what, double got, double want, double floor_, double tol)
{
    double e = rel_err(got, want, floor_);
    if (!(e <= tol)) {
        fprintf(stderr, "%s: MISMATCH %s: got %.17g, want %.17g (relative error %.3g > %.0e)\n",
                BENCH_NAME, what, got, want, e, tol);
        check_failures++;
    }
    return e;
}

#ifdef BENCH_PRIMAL_ONLY
static double bench_check(void);

/* The benchmark's own comparison of the two primals' results. */
static void run_checks(double *max_err, double *max_fd_err)
{
    *max_err = bench_check();
    *max_fd_err = 0.0;
}
#else
static measured mem_myc, mem_hand;

/* The inputs whose finite differences are taken, into idx; returns how
   many (all of them up to FD_ALL; see the header). */
static int fd_sample(int *idx)
{
    if (BENCH_N <= FD_ALL) {
        for (int i = 0; i < BENCH_N; i++)
            idx[i] = i;
        return BENCH_N;
    }
#ifdef BENCH_GROUPS
    enum { G = BENCH_NGROUPS };
    int64_t take[G], sizes[G], off = 0, base = 0;
    for (int k = 0; k < G; k++) {
        sizes[k] = group_size(k);
        take[k] = sizes[k] < 2 ? sizes[k] : 2;
        base += take[k];
    }
    int64_t rest = BENCH_FD_SAMPLES > base ? BENCH_FD_SAMPLES - base : 0;
    int n = 0;
    for (int k = 0; k < G; k++) {
        int64_t extra = rest * sizes[k] / BENCH_N;
        take[k] += extra < sizes[k] - take[k] ? extra : sizes[k] - take[k];
        for (int64_t j = 0; j < take[k]; j++)
            idx[n++] = (int)(off + (take[k] == 1 ? 0 : j * (sizes[k] - 1) / (take[k] - 1)));
        off += sizes[k];
    }
    return n;
#else
    for (int j = 0; j < BENCH_FD_SAMPLES; j++)
        idx[j] = (int)((int64_t)j * (BENCH_N - 1) / (BENCH_FD_SAMPLES - 1));
    return BENCH_FD_SAMPLES;
#endif
}

/* myc against the hand code: every number relative to its own size.  The
   hand adjoint against central differences (relative step 1e-5): relative
   too, but never to less than 1e-3 of the largest sensitivity |x_j dF/dx_j|
   divided by |x_i| (differences cannot resolve a component much smaller
   than the others in those units), nor than the differences' rounding
   error, DBL_EPSILON |F| / h.  The two gradient calls are the memory
   measurements' (measure_call). */
static void run_checks(double *max_err, double *max_fd_err)
{
    double *x = malloc(BENCH_N * sizeof *x), *gm = malloc(BENCH_N * sizeof *gm),
           *gc = malloc(BENCH_N * sizeof *gc);
    int *idx = malloc(BENCH_N * sizeof *idx);
    if (!x || !gm || !gc || !idx) {
        fprintf(stderr, "%s: out of memory\n", BENCH_NAME);
        exit(1);
    }
    memcpy(x, bench_point, BENCH_N * sizeof *x);
    char what[160];
    *max_err = 0.0;

    double vm = myc_primal(x), vc = c_primal(x);
    *max_err = fmax(*max_err, expect_close("value (myc primal vs C primal)", vm, vc, 0.0, REL_TOL));
    for (int i = 0; i < BENCH_N; i++)
        gm[i] = gc[i] = NAN;
    measure_call(&mem_myc, M_MYC_GRAD, x, gm);
    measure_call(&mem_hand, M_C_GRAD, x, gc);
    double gvm = mem_myc.value, gvc = mem_hand.value;
    *max_err =
        fmax(*max_err, expect_close("value (hand adjoint vs C primal)", gvc, vc, 0.0, REL_TOL));
    if (mem_myc.failed) {
        fprintf(stderr, "%s: FAILED: myc grad: runtime error: %s\n", BENCH_NAME, myc_error);
        check_failures++;
    } else {
        *max_err =
            fmax(*max_err, expect_close("value (myc grad vs C primal)", gvm, vc, 0.0, REL_TOL));
        for (int i = 0; i < BENCH_N; i++) {
            snprintf(what, sizeof what, "d/d%s (myc grad vs hand adjoint)", input_name(i));
            *max_err = fmax(*max_err, expect_close(what, gm[i], gc[i], 0.0, REL_TOL));
        }
    }

    double sens = 0.0;
    for (int i = 0; i < BENCH_N; i++)
        sens = fmax(sens, fabs(gc[i] * x[i]));
    *max_fd_err = 0.0;
    int n = fd_sample(idx);
    for (int s = 0; s < n; s++) {
        int i = idx[s];
        double xi = x[i];
        double h = xi != 0.0 ? 1e-5 * fabs(xi) : 1e-5;
        x[i] = xi + h;
        double fp = c_primal(x);
        x[i] = xi - h;
        double fm = c_primal(x);
        x[i] = xi;
        double fd = (fp - fm) / (2.0 * h);
        /* nor to less than the differences' rounding: fp and fm are each
           rounded to about DBL_EPSILON |F|, so fd can be off by that over h
           (gmm's F is about 1e6, mostly its Wishart prior's constant, and
           many of its 429,000 inputs are small: their h is too) */
        double noise = DBL_EPSILON * fmax(fabs(fp), fabs(fm)) / h;
        double floor_ = fmax(1e-3 * sens / (xi != 0.0 ? fabs(xi) : 1.0), noise / FD_TOL);
        snprintf(what, sizeof what, "d/d%s (hand adjoint vs finite differences)", input_name(i));
        *max_fd_err = fmax(*max_fd_err, expect_close(what, gc[i], fd, floor_, FD_TOL));
    }

    printf("%s: value %.17g; finite differences for %d of the %d inputs%s\n", BENCH_NAME, vc, n,
           BENCH_N, n < BENCH_N ? " (shown below)" : "");
    for (int s = 0; s < n; s++)
        printf("  d/d%-8s hand %+.17e  myc %+.17e\n", input_name(idx[s]), gc[idx[s]],
               gm[idx[s]]);
    free(x);
    free(gm);
    free(gc);
    free(idx);
}
#endif

/* ---- main -------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of t[0..n) (n >= 1; sorts t). */
static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double arg_double(const char *s, const char *opt)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v > 0.0)) {
        fprintf(stderr, "%s: bad value '%s' for %s\n", BENCH_NAME, s, opt);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    double target = 0.2, max_seconds = 30.0;
    int rounds = 5, do_time = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--target") && i + 1 < argc)
            target = arg_double(argv[++i], "--target");
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = (int)arg_double(argv[++i], "--rounds");
        else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
            max_seconds = arg_double(argv[++i], "--max-seconds");
        else if (!strcmp(argv[i], "--no-time"))
            do_time = 0;
        else {
            fprintf(stderr, "usage: %s [--target S] [--rounds N] [--max-seconds S] [--no-time]\n",
                    argv[0]);
            return 2;
        }
    }
    if (rounds < 1)
        rounds = 1;
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;

    bench_point = malloc(BENCH_N * sizeof *bench_point);
    call_x = malloc(BENCH_N * sizeof *call_x);
    call_g = malloc(BENCH_N * sizeof *call_g);
    if (!bench_point || !call_x || !call_g) {
        fprintf(stderr, "%s: out of memory\n", BENCH_NAME);
        return 1;
    }
#ifdef BENCH_GROUPS
    int64_t total = 0;
    for (int k = 0; k < BENCH_NGROUPS; k++)
        total += group_size(k);
    if (total != BENCH_N) {
        fprintf(stderr, "%s: the groups hold %lld inputs, BENCH_N is %d\n", BENCH_NAME,
                (long long)total, BENCH_N);
        return 2;
    }
    bench_init(bench_point);
#else
    memcpy(bench_point, bench_x, BENCH_N * sizeof *bench_point);
#endif
#ifdef BENCH_PRIMAL_ONLY
    bench_setup();
    const int grad_failed = 0;
#else
    myrt_set_error_handler_at(on_runtime_error);
#endif

    double max_err, max_fd_err;
    run_checks(&max_err, &max_fd_err);
#ifndef BENCH_PRIMAL_ONLY
    const int grad_failed = mem_myc.failed;
#endif
    if (check_failures > grad_failed) {
        fprintf(stderr, "%s: FAILED: %d mismatches\n", BENCH_NAME, check_failures - grad_failed);
        return 1;
    }
    if (grad_failed)
        printf("%s: myc grad failed (%s); the hand adjoint agrees with finite differences to "
               "%.2g; the other three functions are measured still\n", BENCH_NAME, myc_error,
               max_fd_err);
    else
        printf("%s: checks passed (myc vs hand: max relative error %.2g; hand adjoint vs finite "
               "differences: %.2g)\n", BENCH_NAME, max_err, max_fd_err);

    /* reverse-mode memory of the two gradient calls the checks made */
#ifndef BENCH_PRIMAL_ONLY
    const measured *mm = &mem_myc, *mh = &mem_hand;
    printf("%s: myc grad memory%s %lld bytes: arena %llu, frame stack peak %llu, large lists peak "
           "%llu, C stack %lld (%llu chunks; malloc peak %lld, resident growth %lld)\n",
           BENCH_NAME, grad_failed ? " when it failed" : "", (long long)mm->total,
           (unsigned long long)mm->st.arena_bytes,
           (unsigned long long)mm->st.frame_peak_bytes, (unsigned long long)mm->st.big_peak_bytes,
           (long long)mm->stack_bytes, (unsigned long long)mm->st.chunks,
           (long long)mm->heap_peak, (long long)mm->rss_growth);
    printf("%s: hand adjoint memory %lld bytes: malloc peak %lld, C stack %lld (resident growth "
           "%lld); myc / hand %.2f\n",
           BENCH_NAME, (long long)mh->total, (long long)mh->heap_peak, (long long)mh->stack_bytes,
           (long long)mh->rss_growth, (double)mm->total / (double)mh->total);
#endif

    double best[M_COUNT], med[M_COUNT];
    static double times[M_COUNT][MAX_ROUNDS];
    long reps[M_COUNT];
    int nrounds[M_COUNT], done[M_COUNT];
    for (int m = 0; m < M_COUNT; m++) {
        best[m] = med[m] = NAN;
        reps[m] = 0;
        nrounds[m] = 0;
        done[m] = 0;
    }
    if (do_time) {
        /* calibration (also the warm-up): double the calls until they take
           a quarter of the target, then scale to the target; a single call
           over the whole budget is the measurement itself */
        for (int m = 0; m < M_TIMED; m++) {
            if (m == M_MYC_GRAD && grad_failed) {
                done[m] = 1;
                continue;
            }
            long r = 1;
            double t = run_calls(m, r);
            if (t > max_seconds) {
                reps[m] = 1;
                nrounds[m] = 1;
                times[m][0] = best[m] = t;
                done[m] = 1;
                continue;
            }
            while (t < 0.25 * target) {
                r *= 2;
                t = run_calls(m, r);
            }
            double per_call = t / (double)r;
            double want = ceil(target / per_call);
            reps[m] = want < 1.0 ? 1 : (long)want;
            double per_round = per_call * (double)reps[m];
            int fit = (int)(max_seconds / per_round);
            nrounds[m] = fit < 1 ? 1 : fit > rounds ? rounds : fit;
            best[m] = per_call;   /* replaced by the first round */
        }
        for (int round = 0; round < rounds; round++)
            for (int m = 0; m < M_TIMED; m++) {
                if (done[m] || round >= nrounds[m])
                    continue;
                double t = run_calls(m, reps[m]) / (double)reps[m];
                times[m][round] = t;
                if (round == 0 || t < best[m])
                    best[m] = t;
            }
        for (int m = 0; m < M_TIMED; m++) {
            if (nrounds[m] == 0)
                continue;
            med[m] = median(times[m], nrounds[m]);
            printf("%s: %-12s %12.3f us/call  median %12.3f  (%ld calls per round, best of %d%s)\n",
                   BENCH_NAME, measure_names[m], best[m] * 1e6, med[m] * 1e6, reps[m], nrounds[m],
                   done[m] ? ": one call over --max-seconds" : "");
        }
#ifdef BENCH_PRIMAL_ONLY
        printf("%s: myc primal / C primal %.2f (medians %.2f)\n", BENCH_NAME,
               best[M_MYC_PRIMAL] / best[M_C_PRIMAL], med[M_MYC_PRIMAL] / med[M_C_PRIMAL]);
#else
        printf("%s: myc primal / C primal %.2f, myc grad / myc primal %.2f, myc grad / hand "
               "adjoint %.2f, hand adjoint / C primal %.2f\n", BENCH_NAME,
               best[M_MYC_PRIMAL] / best[M_C_PRIMAL], best[M_MYC_GRAD] / best[M_MYC_PRIMAL],
               best[M_MYC_GRAD] / best[M_C_GRAD], best[M_C_GRAD] / best[M_C_PRIMAL]);
#endif
    }

    printf("RESULT name=%s", BENCH_NAME);
    for (int m = 0; m < M_COUNT; m++)
        printf(" %s=%.6e %s_median=%.6e %s_rounds=%d %s_reps=%ld", measure_keys[m], best[m],
               measure_keys[m], med[m], measure_keys[m], nrounds[m], measure_keys[m], reps[m]);
#ifdef BENCH_PRIMAL_ONLY
    printf(" max_rel_err=%.3e fd_err=%.3e\n", max_err, max_fd_err);
#else
    if (grad_failed) {
        /* the message as one word */
        printf(" myc_grad_error=");
        for (const char *c = myc_error; *c; c++)
            putchar(*c == ' ' ? '_' : *c);
    }
    printf(" arena_bytes=%llu frame_peak_bytes=%llu big_peak_bytes=%llu chunks=%llu"
           " myc_stack_bytes=%lld myc_mem_bytes=%lld myc_malloc_peak=%lld myc_rss_growth=%lld"
           " hand_heap_bytes=%lld hand_stack_bytes=%lld hand_mem_bytes=%lld hand_rss_growth=%lld"
           " max_rel_err=%.3e fd_err=%.3e levels=%lld\n",
           (unsigned long long)mm->st.arena_bytes, (unsigned long long)mm->st.frame_peak_bytes,
           (unsigned long long)mm->st.big_peak_bytes, (unsigned long long)mm->st.chunks,
           (long long)mm->stack_bytes, (long long)mm->total, (long long)mm->heap_peak,
           (long long)mm->rss_growth, (long long)mh->heap_peak, (long long)mh->stack_bytes,
           (long long)mh->total, (long long)mh->rss_growth, max_err, max_fd_err,
           (long long)BENCH_LEVELS);
#endif
    return grad_failed ? 1 : 0;
}

#endif
