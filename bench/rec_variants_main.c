/* bench/rec_variants_main.c: the recursion variants (harness.h), 1000 levels.
   One benchmark per process: run.py compiles this file with -DVARIANT_NAME
   (NAME one of rec_lin, rec_cos, rec_const, rec_twice, rec_pair, rec_guard)
   and links it with bench/rec_variants.my compiled with --grad=NAME. */
#include "rec_variants.h"
#include "refs.h"
#include "variant.h"

#define DEPTH 1000
#define BENCH_LEVELS DEPTH
#define BENCH_VARY 0
#define ARGS1(x) x[0], DEPTH
#define ARGS2(x) x[0], x[1], DEPTH
#define ARGS4(x) x[0], x[1], x[2], x[3], DEPTH

#if defined(VARIANT_rec_lin)
#define BENCH_NAME "rec_lin"
#define BENCH_N 2
static const double bench_x[BENCH_N] = {0.3, 0.9};
static const char *const bench_names[BENCH_N] = {"x", "a"};
BENCH_VARIANT(rec_lin, ARGS2, BENCH_GRADS2)
#elif defined(VARIANT_rec_cos)
#define BENCH_NAME "rec_cos"
#define BENCH_N 1
static const double bench_x[BENCH_N] = {0.7};
static const char *const bench_names[BENCH_N] = {"x"};
BENCH_VARIANT(rec_cos, ARGS1, BENCH_GRADS1)
#elif defined(VARIANT_rec_const)
#define BENCH_NAME "rec_const"
#define BENCH_N 2
static const double bench_x[BENCH_N] = {0.3, 0.8};
static const char *const bench_names[BENCH_N] = {"x", "a"};
BENCH_VARIANT(rec_const, ARGS2, BENCH_GRADS2)
#elif defined(VARIANT_rec_twice)
#define BENCH_NAME "rec_twice"
#define BENCH_N 2
static const double bench_x[BENCH_N] = {0.1, 2.0};
static const char *const bench_names[BENCH_N] = {"x", "a"};
BENCH_VARIANT(rec_twice, ARGS2, BENCH_GRADS2)
#elif defined(VARIANT_rec_pair)
#define BENCH_NAME "rec_pair"
#define BENCH_N 4
static const double bench_x[BENCH_N] = {0.5, 0.2, 0.8, 1.2};
static const char *const bench_names[BENCH_N] = {"u", "v", "a", "b"};
BENCH_VARIANT(rec_pair, ARGS4, BENCH_GRADS4)
#elif defined(VARIANT_rec_guard)
#define BENCH_NAME "rec_guard"
#define BENCH_N 2
static const double bench_x[BENCH_N] = {0.3, 0.9};
static const char *const bench_names[BENCH_N] = {"x", "a"};
BENCH_VARIANT(rec_guard, ARGS2, BENCH_GRADS2)
#else
#error "compile with -DVARIANT_NAME (see the top of this file)"
#endif

#include "harness.h"
