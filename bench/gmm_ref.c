/* bench/gmm_ref.c: gmm (bench/gmm.my, ADBench's Gaussian mixture model
   objective) in C, and its adjoint written by hand.

   The objective is a sum over data points of a log-sum-exp over components,
   so the adjoint works point by point: a forward sweep over the K components
   of point i keeps x_i - mu_k and Q_k (x_i - mu_k) for every k (2 K d
   doubles, the whole tape, reused by every point), then the backward sweep
   over the same components adds point i's share into the gradients.  With
   w_k = softmax(main_term)_k and r = Q_k (x_i - mu_k):
     d alphas[k]     += w_k
     d sum_qs[k]     += w_k                    (sum_qs[k] = sum(logdiag[k]))
     d Q_k           += -w_k r (x_i - mu_k)^T  (lower triangle only)
     d means[k]      -= Q_k^T (-w_k r)
   The diagonal's share -w_k r_c (x_i - mu_k)_c is summed over points first
   and multiplied by exp(logdiag[k][c]) once at the end.  The backward sweep
   costs two passes over each Q_k (d Q_k and Q_k^T times a vector) against
   the forward's one, so the adjoint is about three times the primal. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "refs.h"

#define GMM_PI 3.14159265358979323846

static double logsumexp(const double *v, int64_t n)
{
    double mx = v[0];
    for (int64_t i = 1; i < n; i++)
        if (v[i] > mx)
            mx = v[i];
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += exp(v[i] - mx);
    return log(s) + mx;
}

/* The constant part of the log Wishart prior, for K components: K times
   n d (log gamma - log 2 / 2) - log Gamma_d(n / 2), n = d + m + 1. */
static double wishart_constant(int64_t d, int64_t k, double gamma, int64_t m)
{
    int64_t n = d + m + 1;
    double lgamma_d = 0.25 * (double)(d * (d - 1)) * log(GMM_PI);
    for (int64_t j = 1; j <= d; j++)
        lgamma_d += lgamma(0.5 * (double)n + 0.5 * (double)(1 - j));
    return (double)k * ((double)(n * d) * (log(gamma) - 0.5 * log(2.0)) - lgamma_d);
}

/* out = Q xc, Q lower triangular with diagonal qdiag and strict lower part
   l, column by column (Q[1][0], Q[2][0], ..., Q[d-1][0], Q[2][1], ...). */
static void qtimes(int64_t d, const double *qdiag, const double *l, const double *xc, double *out)
{
    for (int64_t j = 0; j < d; j++)
        out[j] = qdiag[j] * xc[j];
    int64_t idx = 0;
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = i + 1; j < d; j++)
            out[j] += l[idx++] * xc[i];
}

/* Each component's diagonal of Q, exp(logdiag), and the sum of its logdiag. */
static void diagonals(const double *logdiag, int64_t k, int64_t d, double *qdiags, double *sum_qs)
{
    for (int64_t c = 0; c < k; c++) {
        sum_qs[c] = 0.0;
        for (int64_t j = 0; j < d; j++) {
            sum_qs[c] += logdiag[c * d + j];
            qdiags[c * d + j] = exp(logdiag[c * d + j]);
        }
    }
}

double ref_gmm(const double *alphas, int64_t k, const double *means, int64_t means_len,
               int64_t d, const double *logdiag, int64_t logdiag_len, int64_t logdiag_len_1,
               const double *ltri, int64_t ltri_len, int64_t tri, const double *x, int64_t n,
               int64_t x_len_1, double gamma, int64_t m)
{
    (void)means_len, (void)logdiag_len, (void)logdiag_len_1, (void)ltri_len, (void)x_len_1;
    double *qdiags = malloc((size_t)(k * d + k + 2 * d + k) * sizeof *qdiags);
    double *sum_qs = qdiags + k * d, *xc = sum_qs + k, *qxc = xc + d, *main_term = qxc + d;
    diagonals(logdiag, k, d, qdiags, sum_qs);
    double slse = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double *xi = x + i * d;
        for (int64_t c = 0; c < k; c++) {
            for (int64_t j = 0; j < d; j++)
                xc[j] = xi[j] - means[c * d + j];
            qtimes(d, qdiags + c * d, ltri + c * tri, xc, qxc);
            double sq = 0.0;
            for (int64_t j = 0; j < d; j++)
                sq += qxc[j] * qxc[j];
            main_term[c] = alphas[c] + sum_qs[c] - 0.5 * sq;
        }
        slse += logsumexp(main_term, k);
    }
    double prior = 0.0;
    for (int64_t c = 0; c < k; c++) {
        double frobenius = 0.0;
        for (int64_t j = 0; j < d; j++)
            frobenius += qdiags[c * d + j] * qdiags[c * d + j];
        for (int64_t j = 0; j < tri; j++)
            frobenius += ltri[c * tri + j] * ltri[c * tri + j];
        prior += 0.5 * gamma * gamma * frobenius - (double)m * sum_qs[c];
    }
    free(qdiags);
    double constant = -(double)(n * d) * 0.5 * log(2.0 * GMM_PI);
    return constant + slse - (double)n * logsumexp(alphas, k) + prior
           - wishart_constant(d, k, gamma, m);
}

double ref_gmm_grad(const double *alphas, int64_t k, const double *means, int64_t means_len,
                    int64_t d, const double *logdiag, int64_t logdiag_len, int64_t logdiag_len_1,
                    const double *ltri, int64_t ltri_len, int64_t tri, const double *x, int64_t n,
                    int64_t x_len_1, double gamma, int64_t m, double *d_alphas, double *d_means,
                    double *d_logdiag, double *d_ltri)
{
    (void)means_len, (void)logdiag_len, (void)logdiag_len_1, (void)ltri_len, (void)x_len_1;
    /* qdiags, sum_qs and d sum_qs (K d + 2 K); per point: xc and qxc of
       every component (2 K d), main_term and then its exponentials (K), and
       one d xc (d) */
    double *qdiags = malloc((size_t)(3 * k * d + 3 * k + d) * sizeof *qdiags);
    double *sum_qs = qdiags + k * d, *d_sum_qs = sum_qs + k, *xc = d_sum_qs + k,
           *qxc = xc + k * d, *main_term = qxc + k * d, *d_xc = main_term + k;
    memset(d_alphas, 0, (size_t)k * sizeof *d_alphas);
    memset(d_means, 0, (size_t)(k * d) * sizeof *d_means);
    memset(d_logdiag, 0, (size_t)(k * d) * sizeof *d_logdiag);
    memset(d_ltri, 0, (size_t)(k * tri) * sizeof *d_ltri);
    diagonals(logdiag, k, d, qdiags, sum_qs);
    memset(d_sum_qs, 0, (size_t)k * sizeof *d_sum_qs);
    double slse = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double *xi = x + i * d;
        for (int64_t c = 0; c < k; c++) {
            double *xcc = xc + c * d, *qxcc = qxc + c * d;
            for (int64_t j = 0; j < d; j++)
                xcc[j] = xi[j] - means[c * d + j];
            qtimes(d, qdiags + c * d, ltri + c * tri, xcc, qxcc);
            double sq = 0.0;
            for (int64_t j = 0; j < d; j++)
                sq += qxcc[j] * qxcc[j];
            main_term[c] = alphas[c] + sum_qs[c] - 0.5 * sq;
        }
        /* logsumexp, keeping exp(main_term[c] - max) in main_term */
        double mx = main_term[0];
        for (int64_t c = 1; c < k; c++)
            if (main_term[c] > mx)
                mx = main_term[c];
        double sum_e = 0.0;
        for (int64_t c = 0; c < k; c++) {
            main_term[c] = exp(main_term[c] - mx);
            sum_e += main_term[c];
        }
        slse += log(sum_e) + mx;
        /* backward: d slse = 1, so d main_term[c] = w = softmax(main_term)[c];
           qxcc is overwritten by its adjoint -w qxc */
        for (int64_t c = 0; c < k; c++) {
            double w = main_term[c] / sum_e;
            double *xcc = xc + c * d, *dq = qxc + c * d;
            const double *qd = qdiags + c * d, *l = ltri + c * tri;
            double *dl = d_ltri + c * tri, *dd = d_logdiag + c * d;
            d_alphas[c] += w;
            d_sum_qs[c] += w;
            for (int64_t j = 0; j < d; j++) {
                dq[j] *= -w;
                dd[j] += dq[j] * xcc[j];   /* times qdiags at the end */
                d_xc[j] = qd[j] * dq[j];
            }
            int64_t idx = 0;
            for (int64_t a = 0; a < d; a++) {
                double s = 0.0;
                for (int64_t b = a + 1; b < d; b++, idx++) {
                    dl[idx] += dq[b] * xcc[a];
                    s += l[idx] * dq[b];
                }
                d_xc[a] += s;
            }
            for (int64_t j = 0; j < d; j++)
                d_means[c * d + j] -= d_xc[j];
        }
    }
    /* the prior, the diagonal's chain rule and sum_qs */
    double prior = 0.0, g2 = gamma * gamma;
    for (int64_t c = 0; c < k; c++) {
        double frobenius = 0.0;
        for (int64_t j = 0; j < d; j++) {
            double q = qdiags[c * d + j];
            frobenius += q * q;
            d_logdiag[c * d + j] =
                q * (d_logdiag[c * d + j] + g2 * q) + d_sum_qs[c] - (double)m;
        }
        for (int64_t j = 0; j < tri; j++) {
            frobenius += ltri[c * tri + j] * ltri[c * tri + j];
            d_ltri[c * tri + j] += g2 * ltri[c * tri + j];
        }
        prior += 0.5 * g2 * frobenius - (double)m * sum_qs[c];
    }
    /* - n logsumexp(alphas) */
    double lse_alphas = logsumexp(alphas, k);
    for (int64_t c = 0; c < k; c++)
        d_alphas[c] -= (double)n * exp(alphas[c] - lse_alphas);
    free(qdiags);
    double constant = -(double)(n * d) * 0.5 * log(2.0 * GMM_PI);
    return constant + slse - (double)n * lse_alphas + prior - wishart_constant(d, k, gamma, m);
}
