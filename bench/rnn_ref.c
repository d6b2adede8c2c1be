/* bench/rnn_ref.c: rnn (bench/rnn.my) in C, and its adjoint written by hand.
   The primal keeps two state vectors; the adjoint's forward sweep keeps
   every state in a tape of (T + 1) x H doubles (h_0 .. h_T), and the
   reverse sweep runs back through it: dz = dh (1 - h_t^2) (tanh's
   derivative from its stored output), the weights' adjoints as outer
   products, dh_{t-1} = W_h^T dz.  The sums run in the order of the .my
   function (W_h h, then W_x x, then b). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "refs.h"

/* One step: hn = tanh(W_h h + W_x x + b). */
static void step(const double *wh, const double *wx, const double *b, int64_t nh, int64_t nx,
                 const double *h, const double *x, double *hn)
{
    for (int64_t i = 0; i < nh; i++) {
        double s = 0.0, r = 0.0;
        for (int64_t j = 0; j < nh; j++)
            s += wh[i * nh + j] * h[j];
        for (int64_t k = 0; k < nx; k++)
            r += wx[i * nx + k] * x[k];
        hn[i] = tanh(s + r + b[i]);
    }
}

double ref_rnn(const double *wh, int64_t wh_len, int64_t wh_len_1, const double *wx,
               int64_t wx_len, int64_t wx_len_1, const double *b, int64_t b_len,
               const double *xs, int64_t xs_len, int64_t xs_len_1)
{
    (void)wh_len_1;
    (void)wx_len;
    (void)xs_len_1;
    int64_t nh = b_len, nx = wx_len_1, T = xs_len;
    (void)wh_len;
    double *h = calloc((size_t)nh, sizeof *h), *hn = malloc((size_t)nh * sizeof *hn);
    for (int64_t t = 0; t < T; t++) {
        step(wh, wx, b, nh, nx, h, xs + t * nx, hn);
        double *w = h;
        h = hn;
        hn = w;
    }
    double s = 0.0;
    for (int64_t i = 0; i < nh; i++)
        s += h[i] * h[i];
    free(h);
    free(hn);
    return s;
}

double ref_rnn_grad(const double *wh, int64_t wh_len, int64_t wh_len_1, const double *wx,
                    int64_t wx_len, int64_t wx_len_1, const double *b, int64_t b_len,
                    const double *xs, int64_t xs_len, int64_t xs_len_1, double *d_wh,
                    double *d_wx, double *d_b)
{
    (void)wh_len;
    (void)wh_len_1;
    (void)wx_len;
    (void)xs_len_1;
    int64_t nh = b_len, nx = wx_len_1, T = xs_len;
    double *tape = malloc((size_t)(T + 1) * (size_t)nh * sizeof *tape);
    memset(tape, 0, (size_t)nh * sizeof *tape);
    for (int64_t t = 0; t < T; t++)
        step(wh, wx, b, nh, nx, tape + t * nh, xs + t * nx, tape + (t + 1) * nh);
    const double *hT = tape + T * nh;
    double s = 0.0;
    for (int64_t i = 0; i < nh; i++)
        s += hT[i] * hT[i];

    /* every adjoint is accumulated here, stored into the caller's buffers
       (those not NULL) at the end */
    double *dwh = calloc((size_t)(nh * nh + nh * nx + 3 * nh), sizeof *dwh);
    double *dwx = dwh + nh * nh, *db = dwx + nh * nx, *dh = db + nh, *dz = dh + nh;
    for (int64_t i = 0; i < nh; i++)
        dh[i] = 2.0 * hT[i];
    for (int64_t t = T; t >= 1; t--) {
        const double *h = tape + t * nh, *hp = tape + (t - 1) * nh, *x = xs + (t - 1) * nx;
        for (int64_t i = 0; i < nh; i++)
            dz[i] = dh[i] * (1.0 - h[i] * h[i]);
        for (int64_t j = 0; j < nh; j++)
            dh[j] = 0.0;
        for (int64_t i = 0; i < nh; i++) {
            double d = dz[i];
            for (int64_t j = 0; j < nh; j++) {
                dwh[i * nh + j] += d * hp[j];
                dh[j] += wh[i * nh + j] * d;
            }
            for (int64_t k = 0; k < nx; k++)
                dwx[i * nx + k] += d * x[k];
            db[i] += d;
        }
    }
    if (d_wh)
        memcpy(d_wh, dwh, (size_t)(nh * nh) * sizeof *dwh);
    if (d_wx)
        memcpy(d_wx, dwx, (size_t)(nh * nx) * sizeof *dwx);
    if (d_b)
        memcpy(d_b, db, (size_t)nh * sizeof *db);
    free(dwh);
    free(tape);
    return s;
}
