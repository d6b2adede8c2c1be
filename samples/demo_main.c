/*
 * demo_main.c: `make demo`'s C program.  It links samples/black_scholes.my,
 * compiled to an object by
 *
 *     myc -c samples/black_scholes.my --grad=call_price --grad=delta \
 *         --header=build/demo/black_scholes.h -o build/demo/black_scholes.o
 *     cc samples/demo_main.c build/demo/black_scholes.o build/libmyrt.a -lm -Ibuild/demo
 *
 * and prints, for a European call (spot 100, strike 95, rate 5%, volatility
 * 20%, one year), its price and Greeks as myc's exact derivatives give them
 * (call_price_grad: delta, vega, rho, theta, dC/dK; delta_grad: gamma),
 * each next to its closed form computed here with erf from libm.
 *
 * Guarantees: exit status 0 and "agrees with the closed form to 1e-12"
 * when every value does (relative error at most 1e-12), otherwise the
 * values that do not are marked and the exit status is 1.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "black_scholes.h"

#define TOLERANCE 1e-12

/* The market: spot, strike, rate, volatility, time to expiry (years). */
typedef struct Market {
    double S, K, r, sigma, T;
} Market;

/* One line of the table. */
typedef struct Row {
    const char *name;
    const char *meaning;
    double myc;         /* from the compiled .my code */
    double closed;      /* from the closed form */
} Row;

static double norm_cdf(double x)
{
    return 0.5 * (1.0 + erf(x / sqrt(2.0)));
}

static double norm_pdf(double x)
{
    const double sqrt_2pi = 2.506628274631000502415765284811;
    return exp(-0.5 * x * x) / sqrt_2pi;
}

/* The closed forms of the price and its Greeks (rows[0..6], in the order
   fill_myc uses). */
static void fill_closed(const Market *m, Row *rows)
{
    double sq = sqrt(m->T);
    double d1 = (log(m->S / m->K) + (m->r + 0.5 * m->sigma * m->sigma) * m->T) / (m->sigma * sq);
    double d2 = d1 - m->sigma * sq;
    double disc = exp(-m->r * m->T);
    rows[0].closed = m->S * norm_cdf(d1) - m->K * disc * norm_cdf(d2);
    rows[1].closed = norm_cdf(d1);
    rows[2].closed = m->S * norm_pdf(d1) * sq;
    rows[3].closed = m->K * m->T * disc * norm_cdf(d2);
    rows[4].closed = -m->S * norm_pdf(d1) * m->sigma / (2.0 * sq) - m->r * m->K * disc * norm_cdf(d2);
    rows[5].closed = -disc * norm_cdf(d2);
    rows[6].closed = norm_pdf(d1) / (m->S * m->sigma * sq);
}

/* The same from the object: one call of call_price_grad gives the price
   and every first derivative, one call of delta_grad the second. */
static void fill_myc(const Market *m, Row *rows)
{
    double dS, dK, dr, dsigma, dT;
    rows[0].myc = call_price_grad(m->S, m->K, m->r, m->sigma, m->T, &dS, &dK, &dr, &dsigma, &dT);
    rows[1].myc = dS;
    rows[2].myc = dsigma;
    rows[3].myc = dr;
    rows[4].myc = -dT;
    rows[5].myc = dK;
    double gamma;
    (void)delta_grad(m->S, m->K, m->r, m->sigma, m->T, &gamma, NULL, NULL, NULL, NULL);
    rows[6].myc = gamma;
}

static bool agrees(const Row *row)
{
    return fabs(row->myc - row->closed) <= TOLERANCE * fabs(row->closed);
}

int main(void)
{
    const Market m = {100.0, 95.0, 0.05, 0.20, 1.0};
    Row rows[] = {
        {"price", "C", 0, 0},
        {"delta", "dC/dS", 0, 0},
        {"vega", "dC/dsigma", 0, 0},
        {"rho", "dC/dr", 0, 0},
        {"theta", "-dC/dT (per year)", 0, 0},
        {"strike", "dC/dK", 0, 0},
        {"gamma", "d2C/dS2 (delta_grad)", 0, 0},
    };
    const int n = (int)(sizeof rows / sizeof rows[0]);
    fill_closed(&m, rows);
    fill_myc(&m, rows);

    printf("European call under Black-Scholes: spot %g, strike %g, rate %g%%, volatility %g%%, %g year\n",
           m.S, m.K, 100.0 * m.r, 100.0 * m.sigma, m.T);
    printf("(samples/black_scholes.my compiled by myc; derivatives from call_price_grad and delta_grad)\n\n");
    printf("  %-7s %-22s %22s %22s\n", "", "", "myc", "closed form");
    int bad = 0;
    for (int i = 0; i < n; i++) {
        bool ok = agrees(&rows[i]);
        bad += !ok;
        printf("  %-7s %-22s %22.15f %22.15f%s\n", rows[i].name, rows[i].meaning, rows[i].myc, rows[i].closed,
               ok ? "" : "   <- differs");
    }
    printf("\n");
    if (bad) {
        printf("%d value%s do%s not agree with the closed form to %g\n", bad, bad == 1 ? "" : "s",
               bad == 1 ? "es" : "", TOLERANCE);
        return 1;
    }
    printf("agrees with the closed form to 1e-12\n");
    return 0;
}
