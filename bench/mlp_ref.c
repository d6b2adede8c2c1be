/* bench/mlp_ref.c: mlp (bench/mlp.my) in C, and its adjoint written by hand.
   The loss is a sum over the data points, so the adjoint runs each point's
   forward and reverse sweeps back to back: the two hidden layers'
   activations of one point are the whole tape, and the weights' adjoints
   accumulate over the points (W2's as an outer product, with W2^T dz2 for
   the first layer's in the same pass over W2).  tanh's derivative comes
   from its stored output.  The output layer's first row is the output (as
   the .my function takes _dense(...)[0]); the sums run in the .my
   function's order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "refs.h"

/* The first layers of one point: h1 = tanh(W1 x + b1), h2 = tanh(W2 h1 + b2);
   returns the output W3[0] . h2 + b3[0]. */
static double forward(const double *w1, const double *b1, const double *w2, const double *b2,
                      const double *w3, const double *b3, int64_t nin, int64_t n1, int64_t n2,
                      const double *x, double *h1, double *h2)
{
    for (int64_t i = 0; i < n1; i++) {
        double s = 0.0;
        for (int64_t k = 0; k < nin; k++)
            s += w1[i * nin + k] * x[k];
        h1[i] = tanh(s + b1[i]);
    }
    for (int64_t i = 0; i < n2; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < n1; j++)
            s += w2[i * n1 + j] * h1[j];
        h2[i] = tanh(s + b2[i]);
    }
    double s = 0.0;
    for (int64_t j = 0; j < n2; j++)
        s += w3[j] * h2[j];
    return s + b3[0];
}

double ref_mlp(const double *w1, int64_t w1_len, int64_t w1_len_1, const double *b1,
               int64_t b1_len, const double *w2, int64_t w2_len, int64_t w2_len_1,
               const double *b2, int64_t b2_len, const double *w3, int64_t w3_len,
               int64_t w3_len_1, const double *b3, int64_t b3_len, const double *xs,
               int64_t xs_len, int64_t xs_len_1, const double *ys, int64_t ys_len)
{
    (void)b1_len;
    (void)w2_len_1;
    (void)b2_len;
    (void)w3_len;
    (void)w3_len_1;
    (void)b3_len;
    (void)ys_len;
    int64_t nin = w1_len_1, n1 = w1_len, n2 = w2_len;
    double *h = malloc((size_t)(n1 + n2) * sizeof *h);
    double loss = 0.0;
    for (int64_t p = 0; p < xs_len; p++) {
        double out = forward(w1, b1, w2, b2, w3, b3, nin, n1, n2, xs + p * xs_len_1, h, h + n1);
        double r = out - ys[p];
        loss += r * r;
    }
    free(h);
    return loss;
}

double ref_mlp_grad(const double *w1, int64_t w1_len, int64_t w1_len_1, const double *b1,
                    int64_t b1_len, const double *w2, int64_t w2_len, int64_t w2_len_1,
                    const double *b2, int64_t b2_len, const double *w3, int64_t w3_len,
                    int64_t w3_len_1, const double *b3, int64_t b3_len, const double *xs,
                    int64_t xs_len, int64_t xs_len_1, const double *ys, int64_t ys_len,
                    double *d_w1, double *d_b1, double *d_w2, double *d_b2, double *d_w3,
                    double *d_b3)
{
    (void)b1_len;
    (void)w2_len_1;
    (void)b2_len;
    (void)w3_len_1;
    (void)b3_len;
    (void)ys_len;
    int64_t nin = w1_len_1, n1 = w1_len, n2 = w2_len, nout = w3_len;
    /* the adjoints, accumulated here and stored into the caller's buffers
       (those not NULL) at the end; then the tape of one point */
    size_t nadj = (size_t)(n1 * nin + n1 + n2 * n1 + n2 + nout * n2 + nout);
    double *adj = calloc(nadj + (size_t)(2 * n1 + 2 * n2), sizeof *adj);
    double *dw1 = adj, *db1 = dw1 + n1 * nin, *dw2 = db1 + n1, *db2 = dw2 + n2 * n1;
    double *dw3 = db2 + n2, *db3 = dw3 + nout * n2;
    double *h1 = adj + nadj, *h2 = h1 + n1, *dz2 = h2 + n2, *dh1 = dz2 + n2;
    double loss = 0.0;
    for (int64_t p = 0; p < xs_len; p++) {
        const double *x = xs + p * xs_len_1;
        double out = forward(w1, b1, w2, b2, w3, b3, nin, n1, n2, x, h1, h2);
        double r = out - ys[p];
        loss += r * r;
        double dout = 2.0 * r;
        db3[0] += dout;
        for (int64_t j = 0; j < n2; j++) {
            dw3[j] += dout * h2[j];
            dz2[j] = dout * w3[j] * (1.0 - h2[j] * h2[j]);
        }
        for (int64_t j = 0; j < n1; j++)
            dh1[j] = 0.0;
        for (int64_t i = 0; i < n2; i++) {
            double d = dz2[i];
            const double *row = w2 + i * n1;
            double *drow = dw2 + i * n1;
            for (int64_t j = 0; j < n1; j++) {
                drow[j] += d * h1[j];
                dh1[j] += row[j] * d;
            }
            db2[i] += d;
        }
        for (int64_t i = 0; i < n1; i++) {
            double d = dh1[i] * (1.0 - h1[i] * h1[i]);
            for (int64_t k = 0; k < nin; k++)
                dw1[i * nin + k] += d * x[k];
            db1[i] += d;
        }
    }
    double *outs[6] = {d_w1, d_b1, d_w2, d_b2, d_w3, d_b3};
    double *from[6] = {dw1, db1, dw2, db2, dw3, db3};
    int64_t sizes[6] = {n1 * nin, n1, n2 * n1, n2, nout * n2, nout};
    for (int k = 0; k < 6; k++)
        if (outs[k])
            memcpy(outs[k], from[k], (size_t)sizes[k] * sizeof *from[k]);
    free(adj);
    return loss;
}
