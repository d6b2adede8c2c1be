/* bench/nn_main.c: the nn benchmark (harness.h): 33 parameters, which myc's
   C ABI passes as 33 doubles (the tuples flattened) and the hand-written C
   as an array. */
#include "nn.h"
#include "refs.h"

#define BENCH_NAME "nn"
#define BENCH_N NN_NPARAM
#define BENCH_VARY 32
static const double bench_x[BENCH_N] = {
    0.384, 0.784, 0.647, -0.641, -0.55, 0.07, -0.505, 0.548, 0.68, -0.8, 0.33, 0.518, -0.765,
    0.109, -0.132, -0.664, 0.252, 0.284, 0.1, -0.159, -0.298, -0.212, 0.035, 0.255, 0.461,
    0.035, -0.428, -0.424, 0.044, 0.464, 0.377, -0.122, 0.05};
static const char *const bench_names[BENCH_N] = {
    "w1_0_0", "w1_0_1", "w1_1_0", "w1_1_1", "w1_2_0", "w1_2_1", "w1_3_0", "w1_3_1", "w1_4_0",
    "w1_4_1", "w1_5_0", "w1_5_1", "w1_6_0", "w1_6_1", "w1_7_0", "w1_7_1", "b1_0", "b1_1",
    "b1_2", "b1_3", "b1_4", "b1_5", "b1_6", "b1_7", "w2_0", "w2_1", "w2_2", "w2_3", "w2_4",
    "w2_5", "w2_6", "w2_7", "b2"};

static double myc_primal(const double *x)
{
    return nn(
        x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], x[12], x[13],
        x[14], x[15], x[16], x[17], x[18], x[19], x[20], x[21], x[22], x[23], x[24], x[25],
        x[26], x[27], x[28], x[29], x[30], x[31], x[32]);
}

static double c_primal(const double *x)
{
    return ref_nn(x);
}

static double myc_grad(const double *x, double *g)
{
    return nn_grad(
        x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], x[12], x[13],
        x[14], x[15], x[16], x[17], x[18], x[19], x[20], x[21], x[22], x[23], x[24], x[25],
        x[26], x[27], x[28], x[29], x[30], x[31], x[32],
        &g[0], &g[1], &g[2], &g[3], &g[4], &g[5], &g[6], &g[7], &g[8], &g[9], &g[10], &g[11],
        &g[12], &g[13], &g[14], &g[15], &g[16], &g[17], &g[18], &g[19], &g[20], &g[21], &g[22],
        &g[23], &g[24], &g[25], &g[26], &g[27], &g[28], &g[29], &g[30], &g[31], &g[32]);
}

static double c_grad(const double *x, double *g)
{
    return ref_nn_grad(x, g);
}

#include "harness.h"
