/*
 * list_grads.c: the C side of the list-gradient test (list_grads.my,
 * contract 5.5): NAME_grad of functions with list parameters stores one
 * gradient per float list into a buffer the caller allocates with the
 * list's length (a matrix row-major, a list of tuples tuple by tuple),
 * none for a list[int]; a NULL pointer skips that gradient, and with every
 * pointer NULL only the value is computed; zero-length lists (passed as
 * NULL) give an empty gradient and leave the other gradients right.  Each
 * gradient is checked against its closed form, computed here in C, and
 * against the in-language `grad` (list_grads.expected.h, from `myc run
 * --interp`, run.sh); every buffer starts filled with a sentinel, so a
 * gradient that is not stored (or a skipped one that is) fails.  The list
 * parameters live in read-only memory: a wrapper that wrote through them
 * would crash.  The program is C and C++ (run.sh compiles it as both) and
 * runs under valgrind.  NAME_vjp and NAME_jvp of functions with list
 * parameters and results: a list cotangent with its lengths, a list
 * tangent of its parameter's shape, d_ buffers as NAME_grad's, a list
 * result's tangent in a block from malloc; NULL out-pointers, and every
 * derivative pointer NULL; a cotangent of another length than the
 * result's, and one of a negative length, are runtime errors at the
 * function (through the handler: nothing stored).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "list_grads.expected.h"
#include "list_grads.h"
#include "myrt.h"

#define COUNT(a) ((int64_t)(sizeof(a) / sizeof *(a)))
#define SENTINEL 99.0

static const double dot_x[] = {1.5, -2.0, 0.25}, dot_y[] = {4.0, 0.5, -8.0};
static const double lsq_w[] = {0.5, -1.0};
static const double lsq_xs[3][2] = {{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.5}};
static const double lsq_ys[] = {1.0, 2.0, 3.0};
static const double quad_a[3][3] = {{1.0, 2.0, -1.0}, {0.5, 3.0, 2.0}, {-2.0, 1.0, 4.0}};
static const double quad_x[] = {1.0, -2.0, 0.5};
static const double cen_p[3][2] = {{1.0, 2.0}, {3.0, -4.0}, {0.5, 0.5}};
static const int64_t w_ks[] = {2, -1, 3};
static const double w_xs[] = {0.5, 1.5, -2.0};
static const double nest_v[] = {2.0, -3.0, 0.5};
static const double nest_m[2][2] = {{1.0, 2.0}, {3.0, 4.0}};
static const double row_m[3][2] = {{1.5, -2.0}, {3.0, 4.0}, {5.0, 6.0}};

static void fill(double *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = SENTINEL;
}

static void check_doubles(Checker *c, const char *what, const double *got, const double *want, int64_t n)
{
    char text[200];
    for (int64_t i = 0; i < n; i++) {
        snprintf(text, sizeof text, "%s[%d]", what, (int)i);
        check_double(c, text, got[i], want[i]);
    }
}

static void check_dot(Checker *c)
{
    double dx[3], dy[3];
    fill(dx, 3);
    fill(dy, 3);
    double v = dot_grad(dot_x, 3, dot_y, 3, dx, dy);
    check_double(c, "dot value", v, 1.5 * 4.0 - 2.0 * 0.5 - 0.25 * 8.0);
    check_doubles(c, "dot: d_xs = ys", dx, dot_y, 3);
    check_doubles(c, "dot: d_ys = xs", dy, dot_x, 3);
    const double lang_x[] = {E_DOT_0, E_DOT_1, E_DOT_2}, lang_y[] = {E_DOT_3, E_DOT_4, E_DOT_5};
    check_int(c, "g_dot: numbers", E_DOT_N, 6);
    check_doubles(c, "dot: d_xs = grad(dot)", dx, lang_x, 3);
    check_doubles(c, "dot: d_ys = grad(dot)", dy, lang_y, 3);
    /* zero-length lists, passed as NULL */
    check_double(c, "dot of empty lists", dot_grad(NULL, 0, NULL, 0, NULL, NULL), 0.0);
    check_double(c, "dot_grad of empty lists", dot_grad(NULL, 0, NULL, 0, dx, dy), 0.0);
    check_double(c, "dot_grad of empty lists: d_xs untouched", dx[0], dot_y[0]);
}

/* The closed forms of lsq: r_i = w . xs[i] - ys[i]; d_w = 2 sum_i r_i
   xs[i]; d_xs[i][j] = 2 r_i w_j; d_ys[i] = -2 r_i. */
static double lsq_closed(int64_t n, double *dw, double *dxs, double *dys)
{
    double loss = 0.0;
    dw[0] = dw[1] = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double r = lsq_w[0] * lsq_xs[i][0] + lsq_w[1] * lsq_xs[i][1] - lsq_ys[i];
        loss += r * r;
        for (int j = 0; j < 2; j++) {
            dw[j] += 2.0 * r * lsq_xs[i][j];
            dxs[2 * i + j] = 2.0 * r * lsq_w[j];
        }
        dys[i] = -2.0 * r;
    }
    return loss;
}

static void check_lsq(Checker *c)
{
    double want_w[2], want_xs[6], want_ys[3];
    double loss = lsq_closed(3, want_w, want_xs, want_ys);
    double dw[2], dxs[6], dys[3];
    fill(dw, 2);
    fill(dxs, 6);
    fill(dys, 3);
    double v = lsq_grad(lsq_w, 2, &lsq_xs[0][0], 3, 2, lsq_ys, 3, dw, dxs, dys);
    check_double(c, "lsq value", v, loss);
    check_doubles(c, "lsq: d_w", dw, want_w, 2);
    check_doubles(c, "lsq: d_xs", dxs, want_xs, 6);
    check_doubles(c, "lsq: d_ys", dys, want_ys, 3);
    check_int(c, "g_lsq: numbers", E_LSQ_N, 11);
    const double lang[] = {E_LSQ_0, E_LSQ_1, E_LSQ_2, E_LSQ_3, E_LSQ_4, E_LSQ_5,
                           E_LSQ_6, E_LSQ_7, E_LSQ_8, E_LSQ_9, E_LSQ_10};
    check_doubles(c, "lsq: d_w = grad(lsq)", dw, lang, 2);
    check_doubles(c, "lsq: d_xs = grad(lsq)", dxs, lang + 2, 6);
    check_doubles(c, "lsq: d_ys = grad(lsq)", dys, lang + 8, 3);

    /* each pointer NULL in turn: the others are still right, and the
       skipped buffer is not written */
    for (int skip = 0; skip < 3; skip++) {
        char what[80];
        fill(dw, 2);
        fill(dxs, 6);
        fill(dys, 3);
        v = lsq_grad(lsq_w, 2, &lsq_xs[0][0], 3, 2, lsq_ys, 3, skip == 0 ? NULL : dw, skip == 1 ? NULL : dxs,
                     skip == 2 ? NULL : dys);
        snprintf(what, sizeof what, "lsq, pointer %d NULL: value", skip);
        check_double(c, what, v, loss);
        snprintf(what, sizeof what, "lsq, pointer %d NULL: d_w", skip);
        if (skip == 0)
            check_double(c, what, dw[0], SENTINEL);
        else
            check_doubles(c, what, dw, want_w, 2);
        snprintf(what, sizeof what, "lsq, pointer %d NULL: d_xs", skip);
        if (skip == 1)
            check_double(c, what, dxs[0], SENTINEL);
        else
            check_doubles(c, what, dxs, want_xs, 6);
        snprintf(what, sizeof what, "lsq, pointer %d NULL: d_ys", skip);
        if (skip == 2)
            check_double(c, what, dys[0], SENTINEL);
        else
            check_doubles(c, what, dys, want_ys, 3);
    }
    /* every pointer NULL: the value alone */
    check_double(c, "lsq, every pointer NULL", lsq_grad(lsq_w, 2, &lsq_xs[0][0], 3, 2, lsq_ys, 3, NULL, NULL, NULL),
                 loss);

    /* no data: a zero loss, and d_w overwritten with zeros (the empty data
       lists may be NULL; their gradients are empty) */
    fill(dw, 2);
    v = lsq_grad(lsq_w, 2, NULL, 0, 2, NULL, 0, dw, NULL, NULL);
    check_double(c, "lsq of no data", v, 0.0);
    check_double(c, "lsq of no data: d_w[0]", dw[0], 0.0);
    check_double(c, "lsq of no data: d_w[1]", dw[1], 0.0);
    /* the first data point only: a prefix of the matrix */
    fill(dxs, 6);
    v = lsq_grad(lsq_w, 2, &lsq_xs[0][0], 1, 2, lsq_ys, 1, dw, dxs, dys);
    loss = lsq_closed(1, want_w, want_xs, want_ys);
    check_double(c, "lsq of one point", v, loss);
    check_doubles(c, "lsq of one point: d_w", dw, want_w, 2);
    check_doubles(c, "lsq of one point: d_xs", dxs, want_xs, 2);
    check_double(c, "lsq of one point: d_xs past its length", dxs[2], SENTINEL);
}

static void check_quad(Checker *c)
{
    double want_a[9], want_x[3], value = 0.0;
    for (int i = 0; i < 3; i++) {
        want_x[i] = 0.0;
        for (int j = 0; j < 3; j++) {
            value += quad_x[i] * quad_a[i][j] * quad_x[j];
            want_a[3 * i + j] = quad_x[i] * quad_x[j];                 /* x x^T */
            want_x[i] += (quad_a[i][j] + quad_a[j][i]) * quad_x[j];     /* (A + A^T) x */
        }
    }
    double da[9], dx[3];
    fill(da, 9);
    fill(dx, 3);
    check_double(c, "quad value", quad_grad(&quad_a[0][0], 3, 3, quad_x, 3, da, dx), value);
    check_doubles(c, "quad: d_a = x x^T", da, want_a, 9);
    check_doubles(c, "quad: d_x = (A + A^T) x", dx, want_x, 3);
    check_int(c, "g_quad: numbers", E_QUAD_N, 12);
    const double lang[] = {E_QUAD_0, E_QUAD_1, E_QUAD_2, E_QUAD_3, E_QUAD_4, E_QUAD_5,
                           E_QUAD_6, E_QUAD_7, E_QUAD_8, E_QUAD_9, E_QUAD_10, E_QUAD_11};
    check_doubles(c, "quad: d_a = grad(quad)", da, lang, 9);
    check_doubles(c, "quad: d_x = grad(quad)", dx, lang + 9, 3);
    /* a 0 x 0 matrix */
    check_double(c, "quad of nothing", quad_grad(NULL, 0, 0, NULL, 0, da, dx), 0.0);
}

static void check_centroid(Checker *c)
{
    const double cx = 0.25, cy = 1.5;
    double want_p[6], want_cx = 0.0, want_cy = 0.0, value = 0.0;
    for (int i = 0; i < 3; i++) {
        double ex = cen_p[i][0] - cx, ey = cen_p[i][1] - cy;
        value += ex * ex + ey * ey;
        want_p[2 * i] = 2.0 * ex;
        want_p[2 * i + 1] = 2.0 * ey;
        want_cx -= 2.0 * ex;
        want_cy -= 2.0 * ey;
    }
    double dp[6], dcx = SENTINEL, dcy = SENTINEL;
    fill(dp, 6);
    check_double(c, "centroid_loss value", centroid_loss_grad(&cen_p[0][0], 3, cx, cy, dp, &dcx, &dcy), value);
    check_doubles(c, "centroid_loss: d_ps", dp, want_p, 6);
    check_double(c, "centroid_loss: d_cx", dcx, want_cx);
    check_double(c, "centroid_loss: d_cy", dcy, want_cy);
    check_int(c, "g_centroid: numbers", E_CENTROID_N, 8);
    const double lang[] = {E_CENTROID_0, E_CENTROID_1, E_CENTROID_2, E_CENTROID_3,
                           E_CENTROID_4, E_CENTROID_5, E_CENTROID_6, E_CENTROID_7};
    check_doubles(c, "centroid_loss: d_ps = grad(centroid_loss)", dp, lang, 6);
    check_double(c, "centroid_loss: d_cx = grad(centroid_loss)", dcx, lang[6]);
    check_double(c, "centroid_loss: d_cy = grad(centroid_loss)", dcy, lang[7]);
    /* no points: zero derivatives for the scalars */
    dcx = dcy = SENTINEL;
    check_double(c, "centroid_loss of no points", centroid_loss_grad(NULL, 0, cx, cy, NULL, &dcx, &dcy), 0.0);
    check_double(c, "centroid_loss of no points: d_cx", dcx, 0.0);
    check_double(c, "centroid_loss of no points: d_cy", dcy, 0.0);
}

static void check_weighted(Checker *c)
{
    const double cc = 2.0;
    double want_x[3], want_c = 0.0, value = 0.0;
    for (int i = 0; i < 3; i++) {
        value += (double)w_ks[i] * cc * w_xs[i] * w_xs[i];
        want_x[i] = 2.0 * (double)w_ks[i] * cc * w_xs[i];
        want_c += (double)w_ks[i] * w_xs[i] * w_xs[i];
    }
    double dx[3], dc = SENTINEL;
    fill(dx, 3);
    /* weighted_grad(ks, ks_len, xs, xs_len, c, d_xs, d_c): no d_ks */
    check_double(c, "weighted value", weighted_grad(w_ks, 3, w_xs, 3, cc, dx, &dc), value);
    check_doubles(c, "weighted: d_xs", dx, want_x, 3);
    check_double(c, "weighted: d_c", dc, want_c);
    check_int(c, "g_weighted: numbers", E_WEIGHTED_N, 4);
    const double lang[] = {E_WEIGHTED_0, E_WEIGHTED_1, E_WEIGHTED_2, E_WEIGHTED_3};
    check_doubles(c, "weighted: d_xs = grad(weighted)", dx, lang, 3);
    check_double(c, "weighted: d_c = grad(weighted)", dc, lang[3]);
}

static void check_nested(Checker *c)
{
    const double p0 = 1.5;
    double prod = 1.0;
    for (int i = 0; i < 3; i++)
        prod *= nest_v[i];
    double dp0 = SENTINEL, dv[3], dm[4];
    fill(dv, 3);
    fill(dm, 4);
    /* nested_grad(p_0, p_1, p_1_len, m, m_len, m_len_1, d_p_0, d_p_1, d_m) */
    check_double(c, "nested value", nested_grad(p0, nest_v, 3, &nest_m[0][0], 2, 2, &dp0, dv, dm),
                 p0 * prod + 10.0);
    check_double(c, "nested: d_p_0", dp0, prod);
    const double want_v[] = {p0 * nest_v[1] * nest_v[2], p0 * nest_v[0] * nest_v[2], p0 * nest_v[0] * nest_v[1]};
    const double ones[] = {1.0, 1.0, 1.0, 1.0};
    check_doubles(c, "nested: d_p_1", dv, want_v, 3);
    check_doubles(c, "nested: d_m", dm, ones, 4);
}

static void check_changes(Checker *c)
{
    /* scaled_copy changes its list: the wrapper copies it first (the
       parameter is read-only memory), and the gradient is d(a x^2) */
    static const double xs[] = {1.0, -2.0, 3.0};
    const double a = 0.5;
    double dx[3], da = SENTINEL;
    fill(dx, 3);
    check_double(c, "scaled_copy value", scaled_copy_grad(xs, 3, a, dx, &da), a * 14.0);
    const double want[] = {2.0 * a * xs[0], 2.0 * a * xs[1], 2.0 * a * xs[2]};
    check_doubles(c, "scaled_copy: d_xs", dx, want, 3);
    check_double(c, "scaled_copy: d_a", da, 14.0);
    check_double(c, "scaled_copy, value only", scaled_copy_grad(xs, 3, a, NULL, NULL), a * 14.0);
}

static void check_zeros(Checker *c)
{
    /* a list never read: its gradient is zeros, every one overwritten */
    static const double xs[] = {1.0, 2.0, 3.0, 4.0};
    double dx[4], dy = SENTINEL;
    fill(dx, 4);
    check_double(c, "ignores value", ignores_grad(xs, 4, 3.0, dx, &dy), 9.0);
    const double zeros[6] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    check_doubles(c, "ignores: d_xs", dx, zeros, 4);
    check_double(c, "ignores: d_y", dy, 6.0);
    /* one row read: the others' gradients are zeros */
    double dm[6];
    fill(dm, 6);
    check_double(c, "first_row value", first_row_grad(&row_m[0][0], 3, 2, dm), 1.5 * 1.5 + 4.0);
    const double want[] = {3.0, -4.0};
    check_doubles(c, "first_row: d_m row 0", dm, want, 2);
    check_doubles(c, "first_row: d_m rows 1 and 2", dm + 2, zeros, 4);
    /* a prefix read in a loop; with no iteration, nothing read */
    for (int64_t n = 0; n <= 2; n++) {
        char what[80];
        fill(dx, 4);
        double want_v = 0.0, want_d[4] = {0.0, 0.0, 0.0, 0.0};
        for (int64_t i = 0; i < n; i++) {
            want_v += xs[i] * xs[i];
            want_d[i] = 2.0 * xs[i];
        }
        snprintf(what, sizeof what, "prefix_sq(xs, %d) value", (int)n);
        check_double(c, what, prefix_sq_grad(xs, 4, n, dx), want_v);
        snprintf(what, sizeof what, "prefix_sq(xs, %d): d_xs", (int)n);
        check_doubles(c, what, dx, want_d, 4);
    }
}

static void check_vectors(Checker *c)
{
    /* dot_vjp with dy = 2 is twice the gradient; dot_jvp the directional
       derivative */
    double dx[3], dy[3], v = 0.0;
    fill(dx, 3);
    fill(dy, 3);
    dot_vjp(dot_x, 3, dot_y, 3, &v, 2.0, dx, dy);
    check_double(c, "dot_vjp value", v, 1.5 * 4.0 - 2.0 * 0.5 - 0.25 * 8.0);
    const double two_y[] = {8.0, 1.0, -16.0}, two_x[] = {3.0, -4.0, 0.5};
    check_doubles(c, "dot_vjp: d_xs", dx, two_y, 3);
    check_doubles(c, "dot_vjp: d_ys", dy, two_x, 3);
    static const double tx[] = {1.0, 0.0, -1.0}, ty[] = {0.5, 0.5, 0.5};
    double dout = SENTINEL;
    dot_jvp(dot_x, 3, dot_y, 3, tx, ty, NULL, &dout);
    double want = 0.0;
    for (int i = 0; i < 3; i++)
        want += tx[i] * dot_y[i] + dot_x[i] * ty[i];
    check_double(c, "dot_jvp: dout_0", dout, want);

    /* scale: y = a x^2 (a list result) */
    static const double xs[] = {1.0, -2.0, 3.0}, dys[] = {1.0, 10.0, 100.0}, txs[] = {1.0, 0.5, -1.0};
    const double a = 0.5, ta = 2.0;
    double *y = NULL, d_xs[3], d_a = SENTINEL;
    int64_t n = -1;
    fill(d_xs, 3);
    scale_vjp(xs, 3, a, &y, &n, dys, 3, d_xs, &d_a);
    check_int(c, "scale_vjp: out_0_len", n, 3);
    const double want_y[] = {a * 1.0, a * 4.0, a * 9.0};
    if (y)
        check_doubles(c, "scale_vjp: out_0", y, want_y, 3);
    free(y);
    const double want_dx[] = {dys[0] * 2 * a * xs[0], dys[1] * 2 * a * xs[1], dys[2] * 2 * a * xs[2]};
    check_doubles(c, "scale_vjp: d_xs", d_xs, want_dx, 3);
    check_double(c, "scale_vjp: d_a", d_a, dys[0] * 1.0 + dys[1] * 4.0 + dys[2] * 9.0);
    const double lang_v[] = {E_SCALE_VJP_0, E_SCALE_VJP_1, E_SCALE_VJP_2, E_SCALE_VJP_3,
                             E_SCALE_VJP_4, E_SCALE_VJP_5, E_SCALE_VJP_6};
    check_int(c, "v_scale: numbers", E_SCALE_VJP_N, 7);
    check_doubles(c, "scale_vjp: d_xs = vjp(scale)", d_xs, lang_v + 3, 3);
    check_double(c, "scale_vjp: d_a = vjp(scale)", d_a, lang_v[6]);
    /* the result not wanted (NULL out-pointers), only d_a */
    d_a = SENTINEL;
    scale_vjp(xs, 3, a, NULL, NULL, dys, 3, NULL, &d_a);
    check_double(c, "scale_vjp, NULL out and d_xs: d_a", d_a, lang_v[6]);
    /* every derivative pointer NULL: the value alone */
    y = NULL;
    scale_vjp(xs, 3, a, &y, &n, NULL, 0, NULL, NULL);
    check_int(c, "scale_vjp, value only: out_0_len", n, 3);
    if (y)
        check_doubles(c, "scale_vjp, value only: out_0", y, want_y, 3);
    free(y);
    /* empty lists */
    y = &d_a;
    d_a = SENTINEL;
    scale_vjp(NULL, 0, a, &y, &n, NULL, 0, NULL, &d_a);
    check_int(c, "scale_vjp of nothing: out_0_len", n, 0);
    check_int(c, "scale_vjp of nothing: out_0 is NULL", y == NULL, 1);
    check_double(c, "scale_vjp of nothing: d_a", d_a, 0.0);

    double *dy_out = NULL;
    y = NULL;
    scale_jvp(xs, 3, a, txs, ta, &y, &n, &dy_out);
    const double want_t[] = {2 * a * xs[0] * txs[0] + xs[0] * xs[0] * ta, 2 * a * xs[1] * txs[1] + xs[1] * xs[1] * ta,
                             2 * a * xs[2] * txs[2] + xs[2] * xs[2] * ta};
    check_int(c, "scale_jvp: dout_0 is a block", dy_out != NULL, 1);
    if (dy_out) {
        check_doubles(c, "scale_jvp: dout_0", dy_out, want_t, 3);
        const double lang_j[] = {E_SCALE_JVP_3, E_SCALE_JVP_4, E_SCALE_JVP_5};
        check_doubles(c, "scale_jvp: dout_0 = jvp(scale)", dy_out, lang_j, 3);
    }
    free(y);
    free(dy_out);
    /* the tangent alone (NULL out-pointers) */
    dy_out = NULL;
    scale_jvp(xs, 3, a, txs, ta, NULL, NULL, &dy_out);
    if (dy_out)
        check_doubles(c, "scale_jvp, NULL out: dout_0", dy_out, want_t, 3);
    free(dy_out);
    dy_out = &d_a;
    scale_jvp(NULL, 0, a, NULL, ta, NULL, &n, &dy_out);
    check_int(c, "scale_jvp of nothing: dout_0 is NULL", dy_out == NULL, 1);

    /* stats: (sum of m, m squared item by item, 2 k) */
    static const double m[2][2] = {{1.0, 2.0}, {3.0, -4.0}}, d1[2][2] = {{1.0, 2.0}, {3.0, 4.0}};
    static const double tm[2][2] = {{1.0, 0.0}, {0.5, -1.0}};
    double s = SENTINEL, *sq = NULL, dm[4];
    int64_t rows = -1, cols = -1, *k2 = NULL, k2n = -1;
    fill(dm, 4);
    stats_vjp(&m[0][0], 2, 2, w_ks, 2, &s, &sq, &rows, &cols, &k2, &k2n, 0.5, &d1[0][0], 2, 2, dm);
    check_double(c, "stats_vjp: out_0", s, 2.0);
    check_int(c, "stats_vjp: out_1 rows", rows, 2);
    check_int(c, "stats_vjp: out_1 columns", cols, 2);
    const double want_sq[] = {1.0, 4.0, 9.0, 16.0};
    if (sq)
        check_doubles(c, "stats_vjp: out_1", sq, want_sq, 4);
    check_int(c, "stats_vjp: out_2_len", k2n, 2);
    if (k2) {
        check_int(c, "stats_vjp: out_2[0]", k2[0], 2 * w_ks[0]);
        check_int(c, "stats_vjp: out_2[1]", k2[1], 2 * w_ks[1]);
    }
    free(sq);
    free(k2);
    double want_dm[4];
    for (int i = 0; i < 4; i++)
        want_dm[i] = 0.5 + (&d1[0][0])[i] * 2.0 * (&m[0][0])[i];
    check_doubles(c, "stats_vjp: d_m", dm, want_dm, 4);
    const double lang_sv[] = {E_STATS_VJP_0, E_STATS_VJP_1, E_STATS_VJP_2, E_STATS_VJP_3};
    check_int(c, "v_stats: numbers", E_STATS_VJP_N, 4);
    check_doubles(c, "stats_vjp: d_m = vjp(stats)", dm, lang_sv, 4);

    double ds = SENTINEL, *dsq = NULL;
    stats_jvp(&m[0][0], 2, 2, w_ks, 2, &tm[0][0], NULL, NULL, NULL, NULL, NULL, NULL, &ds, &dsq);
    check_double(c, "stats_jvp: dout_0", ds, 0.5);
    const double lang_sj[] = {E_STATS_JVP_1, E_STATS_JVP_2, E_STATS_JVP_3, E_STATS_JVP_4};
    check_double(c, "stats_jvp: dout_0 = jvp(stats)", ds, E_STATS_JVP_0);
    check_int(c, "stats_jvp: dout_1 is a block", dsq != NULL, 1);
    if (dsq) {
        double want_dsq[4];
        for (int i = 0; i < 4; i++)
            want_dsq[i] = 2.0 * (&m[0][0])[i] * (&tm[0][0])[i];
        check_doubles(c, "stats_jvp: dout_1", dsq, want_dsq, 4);
        check_doubles(c, "stats_jvp: dout_1 = jvp(stats)", dsq, lang_sj, 4);
    }
    free(dsq);
}

/* ---- runtime errors ---- */

static jmp_buf back;
static struct {
    char message[256], file[1024];
    int line, col, calls;
} seen;

static void on_error(const char *msg, const char *file, int line, int col)
{
    seen.calls++;
    snprintf(seen.message, sizeof seen.message, "%s", msg ? msg : "(null)");
    snprintf(seen.file, sizeof seen.file, "%s", file ? file : "(null)");
    seen.line = line;
    seen.col = col;
    longjmp(back, 1);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Where list_grads.my defines scale (its def line, the column of its name). */
enum { SCALE_LINE = 91, SCALE_COL = 5 };

static void check_errors(Checker *c)
{
    myrt_error_handler_at old = myrt_set_error_handler_at(on_error);
    static const double xs[] = {1.0, -2.0, 3.0}, dys[] = {1.0, 10.0, 100.0};
    double d_xs[3];
    fill(d_xs, 3);
    memset(&seen, 0, sizeof seen);
    if (setjmp(back) == 0) {
        double *out = NULL;
        int64_t n = -1;
        scale_vjp(xs, 3, 0.5, &out, &n, dys, 2, d_xs, NULL);
        free(out);
        check_true(c, "scale_vjp with a short cotangent returned normally", false);
    }
    check_int(c, "short cotangent: handler calls", seen.calls, 1);
    check_true(c, "short cotangent: the message",
               strcmp(seen.message, "the cotangent passed to vjp's pullback has a list whose length differs from "
                                    "the function's result's") == 0);
    check_true(c, "short cotangent: in list_grads.my", ends_with(seen.file, "list_grads.my"));
    check_int(c, "short cotangent: line", seen.line, SCALE_LINE);
    check_int(c, "short cotangent: column", seen.col, SCALE_COL);
    check_double(c, "short cotangent: d_xs not stored", d_xs[0], SENTINEL);

    memset(&seen, 0, sizeof seen);
    if (setjmp(back) == 0) {
        scale_vjp(xs, 3, 0.5, NULL, NULL, dys, -1, d_xs, NULL);
        check_true(c, "scale_vjp with a negative cotangent length returned normally", false);
    }
    check_int(c, "negative cotangent length: handler calls", seen.calls, 1);
    check_true(c, "negative cotangent length: the message",
               strcmp(seen.message, "list parameter 'dy_0' has a negative length (dy_0_len < 0)") == 0);
    check_int(c, "negative cotangent length: line", seen.line, SCALE_LINE);
    myrt_set_error_handler_at(old);
    /* and the function still works */
    double d_a = SENTINEL;
    scale_vjp(xs, 3, 0.5, NULL, NULL, dys, 3, NULL, &d_a);
    check_double(c, "scale_vjp after the errors: d_a", d_a, 941.0);
}

int main(void)
{
    Checker c = {"list_grads", 0, 0};
    check_dot(&c);
    check_lsq(&c);
    check_quad(&c);
    check_centroid(&c);
    check_weighted(&c);
    check_nested(&c);
    check_changes(&c);
    check_zeros(&c);
    check_vectors(&c);
    check_errors(&c);
    return checks_done(&c);
}
