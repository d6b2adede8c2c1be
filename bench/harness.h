/*
 * bench/harness.h: the timing and checking harness every benchmark shares.
 * It defines main(), so it is included once, last, by bench/NAME_main.c,
 * which first defines:
 *
 *   BENCH_NAME     the benchmark's name, a string ("recurrence")
 *   BENCH_N        how many float inputs the gradient has
 *   BENCH_VARY     the input nudged from call to call in the timing loops
 *   static const double bench_x[BENCH_N];          the point measured
 *   static const char *const bench_names[BENCH_N]; the inputs' names
 *   static double myc_primal(const double *x);     NAME (compiled by myc)
 *   static double c_primal(const double *x);       NAME in hand-written C
 *   static double myc_grad(const double *x, double *g);   NAME_grad: value, g = gradient
 *   static double c_grad(const double *x, double *g);     the hand-written adjoint
 *
 * (The four wrappers only unpack x and call the real function, which lives
 * in another object: myc's NAME.o or bench/NAME_ref.c; the wrappers are
 * static, so each timing loop below calls the real function directly.)
 *
 * A primal-only benchmark (a function of lists: their derivatives are not
 * exported yet) defines BENCH_PRIMAL_ONLY, and instead of bench_names,
 * myc_grad and c_grad:
 *
 *   static void bench_setup(void);     makes its data (once, before anything)
 *   static double bench_check(void);   runs both primals once and compares
 *                                      their results in full with
 *                                      expect_close; returns the largest
 *                                      relative error
 *
 * Its x (BENCH_N values) is what the wrappers pass on or store into the
 * data before each call (BENCH_VARY nudged as below); only the two primals
 * are timed, the gradient measures and the memory are reported as nan / 0.
 *
 * In one run the program
 *   1. checks: myc's value against the C value, myc's gradient value and
 *      gradient against the hand adjoint's (relative 1e-9), and the hand
 *      adjoint against central finite differences of the C primal (1e-5), so
 *      that a wrong hand-written adjoint cannot pass for a wrong myc; any
 *      failure prints every disagreeing number and exits with status 1;
 *   2. reads myrt_last_stats right after one NAME_grad call, made on a new
 *      thread so that the statistics are that call's (reverse-mode memory:
 *      arena bytes, frame-stack peak);
 *   3. times the four functions with clock_gettime(CLOCK_MONOTONIC): each
 *      measurement repeats the call enough times to take about --target
 *      seconds (0.2), and the best of --rounds (5) measurements counts (the
 *      median is reported too, as KEY_median); the
 *      rounds are interleaved (round 1 of all four, then round 2, ...) so
 *      that a noisy moment hurts all four alike.  A function whose
 *      measurement takes longer than --max-seconds / rounds (30 s in total
 *      by default) gets fewer rounds (at least one): slow gradients cost
 *      repetitions, never problem size.  Each call sees input BENCH_VARY
 *      nudged by a relative 1e-12 (eight values in turn) and every result
 *      goes into a volatile sink, so no call can be hoisted or dropped.
 * It prints a readable report and, last, one line
 *   RESULT name=NAME key=value ...
 * that bench/run.py reads (times are seconds per call).
 *
 * Options: --target S, --rounds N, --max-seconds S, --no-time (checks and
 * memory only).
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "myrt.h"

#define REL_TOL 1e-9    /* myc against the hand-written code */
#define FD_TOL 1e-5     /* the hand adjoint against finite differences */

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

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs measurement m reps times; returns the elapsed seconds. */
static double run_calls(int m, long reps)
{
    double x[BENCH_N], g[BENCH_N];
    memcpy(x, bench_x, sizeof x);
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
/* myc against the hand code: every number relative to its own size.  The
   hand adjoint against central differences (relative step 1e-5): relative
   too, but never to less than 1e-3 of the largest sensitivity |x_j dF/dx_j|
   divided by |x_i| (differences cannot resolve a component much smaller
   than the others in those units). */
static void run_checks(double *max_err, double *max_fd_err)
{
    double x[BENCH_N], gm[BENCH_N], gc[BENCH_N];
    memcpy(x, bench_x, sizeof x);
    char what[128];
    *max_err = 0.0;

    double vm = myc_primal(x), vc = c_primal(x);
    *max_err = fmax(*max_err, expect_close("value (myc primal vs C primal)", vm, vc, 0.0, REL_TOL));
    for (int i = 0; i < BENCH_N; i++)
        gm[i] = gc[i] = NAN;
    double gvm = myc_grad(x, gm), gvc = c_grad(x, gc);
    *max_err = fmax(*max_err, expect_close("value (myc grad vs C primal)", gvm, vc, 0.0, REL_TOL));
    *max_err =
        fmax(*max_err, expect_close("value (hand adjoint vs C primal)", gvc, vc, 0.0, REL_TOL));
    for (int i = 0; i < BENCH_N; i++) {
        snprintf(what, sizeof what, "d/d%s (myc grad vs hand adjoint)", bench_names[i]);
        *max_err = fmax(*max_err, expect_close(what, gm[i], gc[i], 0.0, REL_TOL));
    }

    double sens = 0.0;
    for (int i = 0; i < BENCH_N; i++)
        sens = fmax(sens, fabs(gc[i] * x[i]));
    *max_fd_err = 0.0;
    for (int i = 0; i < BENCH_N; i++) {
        double xi = x[i];
        double h = xi != 0.0 ? 1e-5 * fabs(xi) : 1e-5;
        x[i] = xi + h;
        double fp = c_primal(x);
        x[i] = xi - h;
        double fm = c_primal(x);
        x[i] = xi;
        double fd = (fp - fm) / (2.0 * h);
        double floor_ = 1e-3 * sens / (xi != 0.0 ? fabs(xi) : 1.0);
        snprintf(what, sizeof what, "d/d%s (hand adjoint vs finite differences)", bench_names[i]);
        *max_fd_err = fmax(*max_fd_err, expect_close(what, gc[i], fd, floor_, FD_TOL));
    }

    printf("%s: value %.17g\n", BENCH_NAME, vc);
    for (int i = 0; i < BENCH_N; i++)
        printf("  d/d%-8s hand %+.17e  myc %+.17e\n", bench_names[i], gc[i], gm[i]);
}
#endif

/* ---- main -------------------------------------------------------------------- */

#ifndef BENCH_PRIMAL_ONLY
static void *memory_thread(void *arg)
{
    double x[BENCH_N], g[BENCH_N];
    memcpy(x, bench_x, sizeof x);
    bench_sink = myc_grad(x, g);
    myrt_last_stats((myrt_stats *)arg);
    return NULL;
}
#endif

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
#ifdef BENCH_PRIMAL_ONLY
    bench_setup();
#endif

    double max_err, max_fd_err;
    run_checks(&max_err, &max_fd_err);
    if (check_failures) {
        fprintf(stderr, "%s: FAILED: %d mismatches\n", BENCH_NAME, check_failures);
        return 1;
    }
    printf("%s: checks passed (myc vs hand: max relative error %.2g; hand adjoint vs finite "
           "differences: %.2g)\n", BENCH_NAME, max_err, max_fd_err);

    /* reverse-mode memory of one NAME_grad call, made on a thread of its own:
       the statistics are per thread, so they are that call's (or zero if it
       used no arena), never those of an earlier call */
    myrt_stats st;
    memset(&st, 0, sizeof st);
#ifndef BENCH_PRIMAL_ONLY
    pthread_t thread;
    if (pthread_create(&thread, NULL, memory_thread, &st) != 0 || pthread_join(thread, NULL) != 0) {
        fprintf(stderr, "%s: cannot run a thread\n", BENCH_NAME);
        return 1;
    }
    printf("%s: myc grad memory: arena %llu bytes, frame stack peak %llu bytes, %llu chunks\n",
           BENCH_NAME, (unsigned long long)st.arena_bytes, (unsigned long long)st.frame_peak_bytes,
           (unsigned long long)st.chunks);
#endif

    double best[M_COUNT], med[M_COUNT];
    static double times[M_COUNT][MAX_ROUNDS];
    long reps[M_COUNT];
    int nrounds[M_COUNT];
    for (int m = 0; m < M_COUNT; m++) {
        best[m] = med[m] = NAN;
        reps[m] = 0;
        nrounds[m] = 0;
    }
    if (do_time) {
        /* calibration (also the warm-up): double the calls until they take
           a quarter of the target, then scale to the target */
        for (int m = 0; m < M_TIMED; m++) {
            long r = 1;
            double t = run_calls(m, r);
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
                if (round >= nrounds[m])
                    continue;
                double t = run_calls(m, reps[m]) / (double)reps[m];
                times[m][round] = t;
                if (round == 0 || t < best[m])
                    best[m] = t;
            }
        for (int m = 0; m < M_TIMED; m++) {
            med[m] = median(times[m], nrounds[m]);
            printf("%s: %-12s %12.3f us/call  median %12.3f  (%ld calls per round, best of %d)\n",
                   BENCH_NAME, measure_names[m], best[m] * 1e6, med[m] * 1e6, reps[m], nrounds[m]);
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
    printf(" arena_bytes=%llu frame_peak_bytes=%llu chunks=%llu max_rel_err=%.3e fd_err=%.3e\n",
           (unsigned long long)st.arena_bytes, (unsigned long long)st.frame_peak_bytes,
           (unsigned long long)st.chunks, max_err, max_fd_err);
    return 0;
}

#endif
