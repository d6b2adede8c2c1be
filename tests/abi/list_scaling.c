/* tests/abi/list_scaling.c: the gradients of tests/abi/list_scaling.my use memory
   linear in the size of their lists.  Each is called at a size and at four times it,
   and the memory of the call (myrt_last_stats: arena bytes and large list buffers)
   must grow by at most 6 (linear: 4; a copy of the gradient list per item read, as a
   naive J transform makes: 16).  The gradients are checked against closed forms too.
   A dot product's gradient keeps at most 32 bytes per item (dot_bytes_per_item). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "list_scaling.h"
#include "myrt.h"

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

static double memory(void)
{
    myrt_stats st;
    myrt_last_stats(&st);
    return (double)(st.arena_bytes + st.big_peak_bytes);
}

static void scales(const char *name, double small, double big)
{
    printf("%s: %.0f bytes, 4x the size: %.0f bytes (x%.2f)\n", name, small, big, big / small);
    check(big / small <= 6.0, name);
}

static double ssq_mem(int n)
{
    double *x = calloc((size_t)n, sizeof *x), *g = calloc((size_t)n, sizeof *g);
    for (int i = 0; i < n; i++)
        x[i] = 0.5 + (i % 7) * 0.25;
    ssq_grad(x, n, g);
    double m = memory();
    for (int i = 0; i < n; i++)
        check(g[i] == 2.0 * x[i], "ssq: d/dx_i = 2 x_i");
    free(x), free(g);
    return m;
}

/* The bytes per item of dot's gradient, from two sizes (the constant part
   cancels): the two gradient lists' 16, and each item's backpropagator
   record, 16: the index and the continuation, not the two items too (32). */
static double dot_bytes_per_item(int n)
{
    double m[2];
    for (int k = 0; k < 2; k++) {
        int len = n << (2 * k);
        double *w = calloc((size_t)len, sizeof *w), *x = calloc((size_t)len, sizeof *x);
        double *gw = calloc((size_t)len, sizeof *gw), *gx = calloc((size_t)len, sizeof *gx);
        for (int i = 0; i < len; i++)
            w[i] = 0.5 + (i % 7) * 0.25, x[i] = 1.0 - (i % 3) * 0.5;
        dot_grad(w, len, x, len, gw, gx);
        m[k] = memory();
        for (int i = 0; i < len; i++)
            check(gw[i] == x[i] && gx[i] == w[i], "dot: d/dw_i = x_i, d/dx_i = w_i");
        free(w), free(x), free(gw), free(gx);
    }
    double per = (m[1] - m[0]) / (3.0 * n);
    printf("dot: %.1f bytes per item\n", per);
    check(per <= 32.0, "dot: at most 32 bytes per item in the backpropagators");
    return per;
}

static double rows_mem(int d)
{
    double *m = calloc((size_t)d * d, sizeof *m), *g = calloc((size_t)d * d, sizeof *g);
    for (int i = 0; i < d * d; i++)
        m[i] = 0.1 * (i % 11);
    rows_grad(m, d, d, g);
    double r = memory();
    for (int i = 0; i < d * d; i++)
        check(g[i] == 2.0 * m[i], "rows: d/dm_ij = 2 m_ij");
    free(m), free(g);
    return r;
}

static double dense_mem(int d)
{
    double *w = calloc((size_t)d * d, sizeof *w), *gw = calloc((size_t)d * d, sizeof *gw);
    double *b = calloc((size_t)d, sizeof *b), *x = calloc((size_t)d, sizeof *x);
    double *gb = calloc((size_t)d, sizeof *gb), *gx = calloc((size_t)d, sizeof *gx);
    for (int i = 0; i < d * d; i++)
        w[i] = 0.01 * (i % 13);
    for (int i = 0; i < d; i++)
        b[i] = 0.5, x[i] = 0.25 * (i % 5);
    dense_sum_grad(w, d, d, b, d, x, d, gw, gb, gx);
    double r = memory();
    for (int i = 0; i < d; i++) {
        double col = 0.0;
        for (int k = 0; k < d; k++) {
            check(gw[k * d + i] == x[i], "dense_sum: d/dw_ki = x_i");
            col += w[k * d + i];
        }
        check(gb[i] == 1.0, "dense_sum: d/db_i = 1");
        check(fabs(gx[i] - col) <= 1e-12 * (1.0 + fabs(col)), "dense_sum: d/dx_i = sum_k w_ki");
    }
    free(w), free(gw), free(b), free(x), free(gb), free(gx);
    return r;
}

static double heat_mem(int n)
{
    double *u = calloc((size_t)n, sizeof *u), *g = calloc((size_t)n, sizeof *g), gc;
    for (int i = 0; i < n; i++)
        u[i] = sin(0.01 * i);
    double v = heat_grad(u, n, 0.2, g, &gc);
    double r = memory();
    check(isfinite(v) && isfinite(gc) && isfinite(g[n / 2]), "heat: finite");
    free(u), free(g);
    return r;
}

int main(void)
{
    scales("ssq", ssq_mem(5000), ssq_mem(20000));
    (void)dot_bytes_per_item(100000);
    scales("rows", rows_mem(40), rows_mem(80));
    scales("dense_sum", dense_mem(40), dense_mem(80));
    scales("heat", heat_mem(2000), heat_mem(8000));
    if (failures)
        printf("%d failures\n", failures);
    return failures != 0;
}
