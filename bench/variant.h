/*
 * bench/variant.h: the four wrappers harness.h wants, for the benchmarks
 * grouped several to a file (bench/rec_variants*, loop_variants*,
 * straight_variants*).  Each group's NAME_main.c is compiled once per
 * variant with -DVARIANT_F (run.py), defines BENCH_NAME, BENCH_N, bench_x
 * and bench_names for that variant, then
 *
 *     BENCH_VARIANT(f, ARGS, GRADS)
 *
 * defines myc_primal, c_primal, myc_grad and c_grad, which call myc's f and
 * f_grad and the hand-written ref_f and ref_f_grad (bench/refs.h) with
 * ARGS(x) (the C arguments made from x: scalars x[0], x[1], ..., then any
 * fixed ints such as a depth) and, for the gradients, GRADS(g) (pointers to
 * g[0], g[1], ...; BENCH_N of them).
 */
#ifndef BENCH_VARIANT_H
#define BENCH_VARIANT_H

#define BENCH_VARIANT(f, ARGS, GRADS)                                          \
    static double myc_primal(const double *x)                                  \
    {                                                                          \
        return f(ARGS(x));                                                     \
    }                                                                          \
    static double c_primal(const double *x)                                    \
    {                                                                          \
        return ref_##f(ARGS(x));                                               \
    }                                                                          \
    static double myc_grad(const double *x, double *g)                         \
    {                                                                          \
        return f##_grad(ARGS(x), GRADS(g));                                    \
    }                                                                          \
    static double c_grad(const double *x, double *g)                           \
    {                                                                          \
        return ref_##f##_grad(ARGS(x), GRADS(g));                              \
    }

#define BENCH_GRADS1(g) &g[0]
#define BENCH_GRADS2(g) &g[0], &g[1]
#define BENCH_GRADS3(g) &g[0], &g[1], &g[2]
#define BENCH_GRADS4(g) &g[0], &g[1], &g[2], &g[3]

#endif
