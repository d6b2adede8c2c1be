/* bench/nn_ref.c: nn (bench/nn.my) in C, and its adjoint written by hand.
   The loss is a sum over data points, so the adjoint runs each point's
   forward and reverse sweeps back to back (the hidden activations of one
   point are the whole tape) and accumulates the parameters' adjoints. */
#include <math.h>

#include "refs.h"

#define NPOINTS 20
#define NH 8
#define W1(p, j, c) (p)[2 * (j) + (c)]
#define B1(p, j) (p)[16 + (j)]
#define W2(p, j) (p)[24 + (j)]
#define B2(p) (p)[32]

static void point(int i, double *u, double *v, double *t)
{
    *u = sin(0.7 * i + 0.3);
    *v = cos(1.3 * i);
    *t = *u * *v + 0.5 * sin(*u + 2.0 * *v);
}

double ref_nn(const double *p)
{
    double s = 0.0;
    for (int i = 0; i < NPOINTS; i++) {
        double u, v, t;
        point(i, &u, &v, &t);
        double y = 0.0;
        for (int j = 0; j < NH; j++) {
            double h = tanh(W1(p, j, 0) * u + W1(p, j, 1) * v + B1(p, j));
            y = j == 0 ? W2(p, j) * h : y + W2(p, j) * h;
        }
        double e = y + B2(p) - t;
        s = s + e * e;
    }
    return s / NPOINTS;
}

double ref_nn_grad(const double *p, double *d_p)
{
    for (int k = 0; k < NN_NPARAM; k++)
        d_p[k] = 0.0;
    double s = 0.0;
    for (int i = 0; i < NPOINTS; i++) {
        double u, v, t, h[NH];
        point(i, &u, &v, &t);
        double y = 0.0;
        for (int j = 0; j < NH; j++) {
            h[j] = tanh(W1(p, j, 0) * u + W1(p, j, 1) * v + B1(p, j));
            y = j == 0 ? W2(p, j) * h[j] : y + W2(p, j) * h[j];
        }
        double e = y + B2(p) - t;
        s = s + e * e;
        /* reverse: d loss / d e = 2 e / NPOINTS */
        double yb = 2.0 * e / NPOINTS;
        B2(d_p) += yb;
        for (int j = 0; j < NH; j++) {
            W2(d_p, j) += yb * h[j];
            double zb = yb * W2(p, j) * (1.0 - h[j] * h[j]);
            W1(d_p, j, 0) += zb * u;
            W1(d_p, j, 1) += zb * v;
            B1(d_p, j) += zb;
        }
    }
    return s / NPOINTS;
}
