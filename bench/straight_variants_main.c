/* bench/straight_variants_main.c: the straight-line variants (harness.h).
   One benchmark per process: run.py compiles this file with -DVARIANT_NAME
   (NAME one of sl_lin, sl_trans, sl_const, sl_reuse, sl_branch) and links
   it with bench/straight_variants.my compiled with --grad=NAME. */
#include "straight_variants.h"
#include "refs.h"
#include "variant.h"

#define BENCH_VARY 0

#define ARGS2(x) x[0], x[1]
#define ARGS3(x) x[0], x[1], x[2]
#define ARGS4(x) x[0], x[1], x[2], x[3]

#if defined(VARIANT_sl_lin)
#define BENCH_NAME "sl_lin"
#define BENCH_N 4
static const double bench_x[BENCH_N] = {0.7, -0.4, 1.1, 0.5};
static const char *const bench_names[BENCH_N] = {"x", "y", "z", "w"};
BENCH_VARIANT(sl_lin, ARGS4, BENCH_GRADS4)
#elif defined(VARIANT_sl_trans)
#define BENCH_NAME "sl_trans"
#define BENCH_N 3
static const double bench_x[BENCH_N] = {0.6, 1.2, -0.8};
static const char *const bench_names[BENCH_N] = {"x", "y", "z"};
BENCH_VARIANT(sl_trans, ARGS3, BENCH_GRADS3)
#elif defined(VARIANT_sl_const)
#define BENCH_NAME "sl_const"
#define BENCH_N 2
static const double bench_x[BENCH_N] = {0.8, 1.1};
static const char *const bench_names[BENCH_N] = {"x", "s"};
BENCH_VARIANT(sl_const, ARGS2, BENCH_GRADS2)
#elif defined(VARIANT_sl_reuse)
#define BENCH_NAME "sl_reuse"
#define BENCH_N 3
static const double bench_x[BENCH_N] = {0.4, 0.9, 0.3};
static const char *const bench_names[BENCH_N] = {"x", "y", "z"};
BENCH_VARIANT(sl_reuse, ARGS3, BENCH_GRADS3)
#elif defined(VARIANT_sl_branch)
#define BENCH_NAME "sl_branch"
#define BENCH_N 3
static const double bench_x[BENCH_N] = {1.3, 0.9, 0.1};
static const char *const bench_names[BENCH_N] = {"x", "y", "d"};
BENCH_VARIANT(sl_branch, ARGS3, BENCH_GRADS3)
#else
#error "compile with -DVARIANT_NAME (see the top of this file)"
#endif

#include "harness.h"
