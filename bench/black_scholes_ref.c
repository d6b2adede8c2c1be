/* bench/black_scholes_ref.c: black_scholes (bench/black_scholes.my) in C, and
   its adjoint written by hand: the forward sweep keeps every intermediate in
   a local, the reverse sweep visits them in the opposite order. */
#include <math.h>

#include "refs.h"

static const double SQRT2 = 1.4142135623730951;
static const double INV_SQRT_2PI = 0.3989422804014327;

static double norm_cdf(double x)
{
    return 0.5 * (1.0 + erf(x / SQRT2));
}

static double norm_pdf(double x)
{
    return INV_SQRT_2PI * exp(-0.5 * x * x);
}

double ref_black_scholes(double S, double K, double T, double r, double sigma)
{
    double sqrt_t = sqrt(T);
    double d1 = (log(S / K) + (r + 0.5 * sigma * sigma) * T) / (sigma * sqrt_t);
    double d2 = d1 - sigma * sqrt_t;
    return S * norm_cdf(d1) - K * exp(-r * T) * norm_cdf(d2);
}

double ref_black_scholes_grad(double S, double K, double T, double r, double sigma, double *d_S,
                              double *d_K, double *d_T, double *d_r, double *d_sigma)
{
    /* forward sweep */
    double st = sqrt(T);
    double l = log(S / K);
    double q = r + 0.5 * sigma * sigma;
    double num = l + q * T;
    double den = sigma * st;
    double d1 = num / den;
    double d2 = d1 - sigma * st;
    double n1 = norm_cdf(d1), n2 = norm_cdf(d2);
    double disc = exp(-r * T);
    double c = S * n1 - K * disc * n2;

    /* reverse sweep, from c_b = 1 */
    double Sb = n1, n1b = S;
    double Kb = -disc * n2, discb = -K * n2, n2b = -K * disc;
    double rb = -T * disc * discb, Tb = -r * disc * discb;
    double d2b = n2b * norm_pdf(d2);
    double d1b = n1b * norm_pdf(d1) + d2b;
    double sigmab = -st * d2b, stb = -sigma * d2b;
    double numb = d1b / den, denb = -d1b * d1 / den;
    sigmab += st * denb;
    stb += sigma * denb;
    double lb = numb, qb = T * numb;
    Tb += q * numb;
    rb += qb;
    sigmab += sigma * qb;
    Sb += lb / S;
    Kb -= lb / K;
    Tb += 0.5 * stb / st;

    *d_S = Sb;
    *d_K = Kb;
    *d_T = Tb;
    *d_r = rb;
    *d_sigma = sigmab;
    return c;
}
