/*
 * bench/refs.h: the hand-written C twins of the benchmarks (bench/NAME_ref.c):
 * for each, the function (same arguments as the .my function's C ABI, except
 * nn, which takes its 33 parameters as an array) and its reverse-mode adjoint
 * (returns the value, stores the gradient; the pointers must not be NULL).
 * The primal-only list benchmarks (dot, matvec, stencil, axpy) have no
 * adjoint; a list result is returned as myc's C ABI returns it, in a block
 * from malloc that the caller frees.  mlp, rnn, heat and gmm: see below.
 */
#ifndef BENCH_REFS_H
#define BENCH_REFS_H

#include <stdint.h>

double ref_black_scholes(double S, double K, double T, double r, double sigma);
double ref_black_scholes_grad(double S, double K, double T, double r, double sigma, double *d_S,
                              double *d_K, double *d_T, double *d_r, double *d_sigma);

double ref_recurrence(double x0, double a, double b, double h, int64_t n);
double ref_recurrence_grad(double x0, double a, double b, double h, int64_t n, double *d_x0,
                           double *d_a, double *d_b, double *d_h);

double ref_recursion(double x, double a, int64_t n);
double ref_recursion_grad(double x, double a, int64_t n, double *d_x, double *d_a);

double ref_lotka_volterra(double alpha, double beta, double delta, double gamma, int64_t n);
double ref_lotka_volterra_grad(double alpha, double beta, double delta, double gamma, int64_t n,
                               double *d_alpha, double *d_beta, double *d_delta,
                               double *d_gamma);

/* p: w1[j][0] = p[2j], w1[j][1] = p[2j + 1] (j < 8), b1 = p[16..23], w2 =
   p[24..31], b2 = p[32]: the order of nn's C parameters. */
#define NN_NPARAM 33
double ref_nn(const double *p);
double ref_nn_grad(const double *p, double *d_p);

double ref_hypergrad(double lr, double u0, double v0, int64_t k);
double ref_hypergrad_grad(double lr, double u0, double v0, int64_t k, double *d_lr, double *d_u0,
                          double *d_v0);

/* The variants of recursion, loops and straight-line code (issue 20):
   bench/rec_variants_ref.c, loop_variants_ref.c, straight_variants_ref.c. */
double ref_rec_lin(double x, double a, int64_t n);
double ref_rec_lin_grad(double x, double a, int64_t n, double *d_x, double *d_a);
double ref_rec_cos(double x, int64_t n);
double ref_rec_cos_grad(double x, int64_t n, double *d_x);
double ref_rec_const(double x, double a, int64_t n);
double ref_rec_const_grad(double x, double a, int64_t n, double *d_x, double *d_a);
double ref_rec_twice(double x, double a, int64_t n);
double ref_rec_twice_grad(double x, double a, int64_t n, double *d_x, double *d_a);
double ref_rec_pair(double u, double v, double a, double b, int64_t n);
double ref_rec_pair_grad(double u, double v, double a, double b, int64_t n, double *d_u,
                         double *d_v, double *d_a, double *d_b);
double ref_rec_guard(double x, double a, int64_t n);
double ref_rec_guard_grad(double x, double a, int64_t n, double *d_x, double *d_a);

double ref_loop_lin(double x0, double a, double b, int64_t n);
double ref_loop_lin_grad(double x0, double a, double b, int64_t n, double *d_x0, double *d_a,
                         double *d_b);
double ref_loop_exp(double x0, double a, double b, int64_t n);
double ref_loop_exp_grad(double x0, double a, double b, int64_t n, double *d_x0, double *d_a,
                         double *d_b);
double ref_loop_const(double x0, double a, int64_t n);
double ref_loop_const_grad(double x0, double a, int64_t n, double *d_x0, double *d_a);
double ref_loop_euler2(double a, double b, double c, double d, int64_t n);
double ref_loop_euler2_grad(double a, double b, double c, double d, int64_t n, double *d_a,
                            double *d_b, double *d_c, double *d_d);
double ref_loop_euler4(double k, double c, double e, double d, int64_t n);
double ref_loop_euler4_grad(double k, double c, double e, double d, int64_t n, double *d_k,
                            double *d_c, double *d_e, double *d_d);
double ref_loop_while(double x0, double a, double b, int64_t n);
double ref_loop_while_grad(double x0, double a, double b, int64_t n, double *d_x0, double *d_a,
                           double *d_b);

double ref_sl_lin(double x, double y, double z, double w);
double ref_sl_lin_grad(double x, double y, double z, double w, double *d_x, double *d_y,
                       double *d_z, double *d_w);
double ref_sl_trans(double x, double y, double z);
double ref_sl_trans_grad(double x, double y, double z, double *d_x, double *d_y, double *d_z);
double ref_sl_const(double x, double s);
double ref_sl_const_grad(double x, double s, double *d_x, double *d_s);
double ref_sl_reuse(double x, double y, double z);
double ref_sl_reuse_grad(double x, double y, double z, double *d_x, double *d_y, double *d_z);
double ref_sl_branch(double x, double y, double d);
double ref_sl_branch_grad(double x, double y, double d, double *d_x, double *d_y, double *d_d);

double ref_dot(const double *xs, int64_t xs_len, const double *ys, int64_t ys_len);
void ref_matvec(const double *m, int64_t rows, int64_t cols, const double *v, int64_t v_len, double **out,
                int64_t *out_len);
void ref_stencil(const double *u, int64_t n, double c, double **out, int64_t *out_len);
void ref_axpy(double a, const double *xs, int64_t xs_len, const double *ys, int64_t ys_len, double **out,
              int64_t *out_len);

/* The benchmarks with list parameters and gradients (issue 17): the
   function with the arguments of the .my function's C ABI, and its
   adjoint, which takes a d_ pointer (caller-allocated, the parameter's
   length; NULL skips it) for each differentiated parameter only, none for
   the data. */
double ref_mlp(const double *w1, int64_t w1_len, int64_t w1_len_1, const double *b1,
               int64_t b1_len, const double *w2, int64_t w2_len, int64_t w2_len_1,
               const double *b2, int64_t b2_len, const double *w3, int64_t w3_len,
               int64_t w3_len_1, const double *b3, int64_t b3_len, const double *xs,
               int64_t xs_len, int64_t xs_len_1, const double *ys, int64_t ys_len);
double ref_mlp_grad(const double *w1, int64_t w1_len, int64_t w1_len_1, const double *b1,
                    int64_t b1_len, const double *w2, int64_t w2_len, int64_t w2_len_1,
                    const double *b2, int64_t b2_len, const double *w3, int64_t w3_len,
                    int64_t w3_len_1, const double *b3, int64_t b3_len, const double *xs,
                    int64_t xs_len, int64_t xs_len_1, const double *ys, int64_t ys_len,
                    double *d_w1, double *d_b1, double *d_w2, double *d_b2, double *d_w3,
                    double *d_b3);

double ref_heat(const double *u0, int64_t n, double c, int64_t steps);
double ref_heat_grad(const double *u0, int64_t n, double c, int64_t steps, double *d_u0,
                     double *d_c);

double ref_rnn(const double *wh, int64_t wh_len, int64_t wh_len_1, const double *wx,
               int64_t wx_len, int64_t wx_len_1, const double *b, int64_t b_len,
               const double *xs, int64_t xs_len, int64_t xs_len_1);
double ref_rnn_grad(const double *wh, int64_t wh_len, int64_t wh_len_1, const double *wx,
                    int64_t wx_len, int64_t wx_len_1, const double *b, int64_t b_len,
                    const double *xs, int64_t xs_len, int64_t xs_len_1, double *d_wh,
                    double *d_wx, double *d_b);

/* gmm: K = alphas' length components in d = means' columns dimensions, tri =
   d (d - 1) / 2 = ltri's columns, n = x's rows; the matrices row-major, as
   myc's C ABI passes them (the lengths it passes but gmm does not need are
   ignored).  The adjoint stores the gradient with respect to alphas, means,
   logdiag and ltri (not x, gamma or m); its four pointers must not be NULL. */
double ref_gmm(const double *alphas, int64_t k, const double *means, int64_t means_len,
               int64_t d, const double *logdiag, int64_t logdiag_len, int64_t logdiag_len_1,
               const double *ltri, int64_t ltri_len, int64_t tri, const double *x, int64_t n,
               int64_t x_len_1, double gamma, int64_t m);
double ref_gmm_grad(const double *alphas, int64_t k, const double *means, int64_t means_len,
                    int64_t d, const double *logdiag, int64_t logdiag_len, int64_t logdiag_len_1,
                    const double *ltri, int64_t ltri_len, int64_t tri, const double *x, int64_t n,
                    int64_t x_len_1, double gamma, int64_t m, double *d_alphas, double *d_means,
                    double *d_logdiag, double *d_ltri);

#endif
