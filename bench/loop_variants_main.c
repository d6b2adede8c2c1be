/* bench/loop_variants_main.c: the loop variants (harness.h), 10^5 iterations.
   One benchmark per process: run.py compiles this file with -DVARIANT_NAME
   (NAME one of loop_lin, loop_exp, loop_const, loop_euler2, loop_euler4,
   loop_while) and links it with bench/loop_variants.my compiled with
   --grad=NAME. */
#include "loop_variants.h"
#include "refs.h"
#include "variant.h"

#define STEPS 100000
#define BENCH_LEVELS STEPS
#define BENCH_VARY 0
#define ARGS2(x) x[0], x[1], STEPS
#define ARGS3(x) x[0], x[1], x[2], STEPS
#define ARGS4(x) x[0], x[1], x[2], x[3], STEPS

#if defined(VARIANT_loop_lin)
#define BENCH_NAME "loop_lin"
#define BENCH_N 3
static const double bench_x[BENCH_N] = {0.5, -0.5, 0.8};
static const char *const bench_names[BENCH_N] = {"x0", "a", "b"};
BENCH_VARIANT(loop_lin, ARGS3, BENCH_GRADS3)
#elif defined(VARIANT_loop_exp)
#define BENCH_NAME "loop_exp"
#define BENCH_N 3
static const double bench_x[BENCH_N] = {0.1, 1.5, 2.0};
static const char *const bench_names[BENCH_N] = {"x0", "a", "b"};
BENCH_VARIANT(loop_exp, ARGS3, BENCH_GRADS3)
#elif defined(VARIANT_loop_const)
#define BENCH_NAME "loop_const"
#define BENCH_N 2
static const double bench_x[BENCH_N] = {0.3, 1.3};
static const char *const bench_names[BENCH_N] = {"x0", "a"};
BENCH_VARIANT(loop_const, ARGS2, BENCH_GRADS2)
#elif defined(VARIANT_loop_euler2)
#define BENCH_NAME "loop_euler2"
#define BENCH_N 4
static const double bench_x[BENCH_N] = {0.5, 1.0, 0.3, 0.2};
static const char *const bench_names[BENCH_N] = {"a", "b", "c", "d"};
BENCH_VARIANT(loop_euler2, ARGS4, BENCH_GRADS4)
#elif defined(VARIANT_loop_euler4)
#define BENCH_NAME "loop_euler4"
#define BENCH_N 4
static const double bench_x[BENCH_N] = {1.0, 0.1, 0.3, 1.5};
static const char *const bench_names[BENCH_N] = {"k", "c", "e", "d"};
BENCH_VARIANT(loop_euler4, ARGS4, BENCH_GRADS4)
#elif defined(VARIANT_loop_while)
#define BENCH_NAME "loop_while"
#define BENCH_N 3
static const double bench_x[BENCH_N] = {0.5, 1.2, 0.7};
static const char *const bench_names[BENCH_N] = {"x0", "a", "b"};
BENCH_VARIANT(loop_while, ARGS3, BENCH_GRADS3)
#else
#error "compile with -DVARIANT_NAME (see the top of this file)"
#endif

#include "harness.h"
