/*
 * vectors.c: the C side of the vectors test (vectors.my): NAME_vjp and
 * NAME_jvp, compiled by run.sh as C and as C++, against the object at -O0
 * and at -O2 (it includes "vectors.h", the header of the object linked).
 *
 * For each function, with its int and bool parameters fixed, the Jacobian
 * of its float results by its float parameters is computed three ways --
 * by rows (NAME_vjp, one-hot cotangents), by columns (NAME_jvp, one-hot
 * tangents) and by central finite differences of NAME -- and compared
 * (1e-12 between the two modes and with closed forms, 1e-6 with the
 * differences); vjp and jvp are linear in the cotangent and the tangent;
 * the results they store are NAME's, ints and bools included
 * (vectors.expected.h: the interpreter's); every pointer may be NULL.
 */
#include <stddef.h>

#include "check.h"
#include "vectors.expected.h"
#include "vectors.h"

#define MAXN 4
#define UNTOUCHED (-12345.678)

/* |got - want| <= rel * max(|got|, |want|) + abs_tol */
static bool check_close(Checker *c, const char *what, double got, double want, double rel, double abs_tol)
{
    double m = fabs(got) > fabs(want) ? fabs(got) : fabs(want);
    bool ok = fabs(got - want) <= rel * m + abs_tol;
    if (!check_report(c, ok))
        fprintf(stderr, "%s: %s: expected %.17g, got %.17g\n", c->test, what, want, got);
    return ok;
}

/* ---- one function's float part, in arrays ---- */

typedef struct Fn {
    const char *name;
    int nx, ny;     /* float parameter leaves, float result leaves */
    void (*eval)(const double *x, double *y);
    void (*vjp)(const double *x, double *y, const double *dy, double *dx);
    void (*jvp)(const double *x, const double *t, double *y, double *dy);
} Fn;

static void sq2_eval(const double *x, double *y) { y[0] = sq2(x[0], x[1]); }
static void sq2_vjp_a(const double *x, double *y, const double *dy, double *dx)
{
    sq2_vjp(x[0], x[1], &y[0], dy[0], &dx[0], &dx[1]);
}
static void sq2_jvp_a(const double *x, const double *t, double *y, double *dy)
{
    sq2_jvp(x[0], x[1], t[0], t[1], &y[0], &dy[0]);
}

/* tup_loss((x0, N), x1) */
static int64_t tup_n = 5;
static void tup_eval(const double *x, double *y) { y[0] = tup_loss(x[0], tup_n, x[1]); }
static void tup_vjp_a(const double *x, double *y, const double *dy, double *dx)
{
    tup_loss_vjp(x[0], tup_n, x[1], &y[0], dy[0], &dx[0], &dx[1]);
}
static void tup_jvp_a(const double *x, const double *t, double *y, double *dy)
{
    tup_loss_jvp(x[0], tup_n, x[1], t[0], t[1], &y[0], &dy[0]);
}

static void polar_eval(const double *x, double *y) { polar(x[0], x[1], &y[0], &y[1]); }
static void polar_vjp_a(const double *x, double *y, const double *dy, double *dx)
{
    polar_vjp(x[0], x[1], &y[0], &y[1], dy[0], dy[1], &dx[0], &dx[1]);
}
static void polar_jvp_a(const double *x, const double *t, double *y, double *dy)
{
    polar_jvp(x[0], x[1], t[0], t[1], &y[0], &y[1], &dy[0], &dy[1]);
}

static void three_eval(const double *x, double *y) { three(x[0], x[1], x[2], &y[0], &y[1], &y[2]); }
static void three_vjp_a(const double *x, double *y, const double *dy, double *dx)
{
    three_vjp(x[0], x[1], x[2], &y[0], &y[1], &y[2], dy[0], dy[1], dy[2], &dx[0], &dx[1], &dx[2]);
}
static void three_jvp_a(const double *x, const double *t, double *y, double *dy)
{
    three_jvp(x[0], x[1], x[2], t[0], t[1], t[2], &y[0], &y[1], &y[2], &dy[0], &dy[1], &dy[2]);
}

/* mixed(x0, (x1, P1, (x2, FLAG)), N): float results out_0, out_2, out_4 */
static int64_t mixed_p1 = 3, mixed_n = 4;
static bool mixed_flag = true;
static void mixed_eval(const double *x, double *y)
{
    int64_t i1;
    bool b3;
    mixed(x[0], x[1], mixed_p1, x[2], mixed_flag, mixed_n, &y[0], &i1, &y[1], &b3, &y[2]);
}
static void mixed_vjp_a(const double *x, double *y, const double *dy, double *dx)
{
    int64_t i1;
    bool b3;
    mixed_vjp(x[0], x[1], mixed_p1, x[2], mixed_flag, mixed_n, &y[0], &i1, &y[1], &b3, &y[2], dy[0], dy[1], dy[2],
              &dx[0], &dx[1], &dx[2]);
}
static void mixed_jvp_a(const double *x, const double *t, double *y, double *dy)
{
    int64_t i1;
    bool b3;
    mixed_jvp(x[0], x[1], mixed_p1, x[2], mixed_flag, mixed_n, t[0], t[1], t[2], &y[0], &i1, &y[1], &b3, &y[2],
              &dy[0], &dy[1], &dy[2]);
}

static void nested_eval(const double *x, double *y) { nested(x[0], x[1], &y[0], &y[1]); }
static void nested_vjp_a(const double *x, double *y, const double *dy, double *dx)
{
    nested_vjp(x[0], x[1], &y[0], &y[1], dy[0], dy[1], &dx[0], &dx[1]);
}
static void nested_jvp_a(const double *x, const double *t, double *y, double *dy)
{
    nested_jvp(x[0], x[1], t[0], t[1], &y[0], &y[1], &dy[0], &dy[1]);
}

/* The Jacobian three ways, at x; `closed` (ny rows of nx, or NULL) is the
   closed form. */
static void check_jacobian(Checker *c, const Fn *f, const double *x, const double *closed)
{
    double y0[MAXN], y[MAXN], jv[MAXN][MAXN], jj[MAXN][MAXN], e[MAXN], col[MAXN];
    char what[200];
    f->eval(x, y0);
    for (int i = 0; i < f->ny; i++) {           /* rows: vjp */
        for (int k = 0; k < MAXN; k++)
            e[k] = k == i ? 1.0 : 0.0;
        for (int k = 0; k < MAXN; k++)
            y[k] = jv[i][k] = UNTOUCHED;
        f->vjp(x, y, e, jv[i]);
        for (int k = 0; k < f->ny; k++) {
            snprintf(what, sizeof what, "%s_vjp: result %d", f->name, k);
            check_double(c, what, y[k], y0[k]);
        }
    }
    for (int j = 0; j < f->nx; j++) {           /* columns: jvp */
        for (int k = 0; k < MAXN; k++)
            e[k] = k == j ? 1.0 : 0.0;
        for (int k = 0; k < MAXN; k++)
            y[k] = col[k] = UNTOUCHED;
        f->jvp(x, e, y, col);
        for (int k = 0; k < f->ny; k++) {
            snprintf(what, sizeof what, "%s_jvp: result %d", f->name, k);
            check_double(c, what, y[k], y0[k]);
            jj[k][j] = col[k];
        }
    }
    for (int j = 0; j < f->nx; j++) {           /* central differences */
        double xp[MAXN], xm[MAXN], yp[MAXN], ym[MAXN];
        double h = 1e-5 * (fabs(x[j]) > 1.0 ? fabs(x[j]) : 1.0);
        for (int k = 0; k < f->nx; k++)
            xp[k] = xm[k] = x[k];
        xp[j] += h;
        xm[j] -= h;
        f->eval(xp, yp);
        f->eval(xm, ym);
        for (int i = 0; i < f->ny; i++) {
            double fd = (yp[i] - ym[i]) / (2 * h);
            snprintf(what, sizeof what, "%s: d y%d / d x%d, vjp against jvp", f->name, i, j);
            check_close(c, what, jv[i][j], jj[i][j], 1e-12, 1e-14);
            snprintf(what, sizeof what, "%s: d y%d / d x%d, vjp against finite differences", f->name, i, j);
            check_close(c, what, jv[i][j], fd, 1e-6, 1e-7);
            snprintf(what, sizeof what, "%s: d y%d / d x%d, jvp against finite differences", f->name, i, j);
            check_close(c, what, jj[i][j], fd, 1e-6, 1e-7);
            if (closed) {
                snprintf(what, sizeof what, "%s: d y%d / d x%d, vjp against the closed form", f->name, i, j);
                check_close(c, what, jv[i][j], closed[i * f->nx + j], 1e-12, 1e-14);
                snprintf(what, sizeof what, "%s: d y%d / d x%d, jvp against the closed form", f->name, i, j);
                check_close(c, what, jj[i][j], closed[i * f->nx + j], 1e-12, 1e-14);
            }
        }
    }
    /* linearity: a cotangent and a tangent that are not one-hot */
    double w[MAXN] = {0.75, -1.5, 2.25, 0.5}, d[MAXN];
    f->vjp(x, y, w, d);
    for (int j = 0; j < f->nx; j++) {
        double want = 0.0;
        for (int i = 0; i < f->ny; i++)
            want += w[i] * jv[i][j];
        snprintf(what, sizeof what, "%s_vjp with the cotangent (0.75, -1.5, ...): d_%d", f->name, j);
        check_close(c, what, d[j], want, 1e-12, 1e-14);
    }
    f->jvp(x, w, y, d);
    for (int i = 0; i < f->ny; i++) {
        double want = 0.0;
        for (int j = 0; j < f->nx; j++)
            want += jj[i][j] * w[j];
        snprintf(what, sizeof what, "%s_jvp with the tangent (0.75, -1.5, ...): dout %d", f->name, i);
        check_close(c, what, d[i], want, 1e-12, 1e-14);
    }
}

/* vjp of a float-valued function with the cotangent 1 is its gradient, and
   jvp along each axis a component of it. */
static void check_against_grad(Checker *c)
{
    double out = UNTOUCHED, dx = UNTOUCHED, dy = UNTOUCHED, gx, gy, t;
    double v = sq2_grad(0.7, -1.3, &gx, &gy);
    sq2_vjp(0.7, -1.3, &out, 1.0, &dx, &dy);
    check_double(c, "sq2_vjp value = sq2_grad's", out, v);
    check_double(c, "sq2_vjp *d_x = sq2_grad's", dx, gx);
    check_double(c, "sq2_vjp *d_y = sq2_grad's", dy, gy);
    check_double(c, "sq2_grad *d_x = 2 x y + y cos(x y)", gx, 2 * 0.7 * -1.3 + -1.3 * cos(0.7 * -1.3));
    sq2_jvp(0.7, -1.3, 1.0, 0.0, &out, &t);
    check_double(c, "sq2_jvp along x = sq2_grad's *d_x", t, gx);
    sq2_jvp(0.7, -1.3, 0.0, 1.0, &out, &t);
    check_double(c, "sq2_jvp along y = sq2_grad's *d_y", t, gy);
    sq2_vjp(0.7, -1.3, &out, -2.5, &dx, &dy);
    check_double(c, "sq2_vjp with the cotangent -2.5: *d_x", dx, -2.5 * gx);

    double gp, gw, dp = UNTOUCHED, dw = UNTOUCHED;
    v = tup_loss_grad(0.4, 6, 1.7, &gp, &gw);
    tup_loss_vjp(0.4, 6, 1.7, &out, 1.0, &dp, &dw);
    check_double(c, "tup_loss_vjp value = tup_loss_grad's", out, v);
    check_double(c, "tup_loss_vjp *d_p_0 = tup_loss_grad's", dp, gp);
    check_double(c, "tup_loss_vjp *d_w = tup_loss_grad's", dw, gw);
}

/* mixed's results, ints and bools included, as NAME stores them and as the
   interpreter computes them; every combination of NULL pointers. */
static void check_mixed_results(Checker *c, double x, double p0, int64_t p1, double p20, bool flag, int64_t n,
                                 const double *e_f, int64_t e_i, bool e_b)
{
    double f0, f2, f4;
    int64_t i1;
    bool b3;
    mixed(x, p0, p1, p20, flag, n, &f0, &i1, &f2, &b3, &f4);
    check_double(c, "mixed out_0", f0, e_f[0]);
    check_int(c, "mixed out_1", i1, e_i);
    check_double(c, "mixed out_2", f2, e_f[1]);
    check_bool(c, "mixed out_3", &b3, e_b);
    check_double(c, "mixed out_4", f4, e_f[2]);
    /* the full derivatives, for reference */
    double dx[3], dout[3];
    mixed_vjp(x, p0, p1, p20, flag, n, NULL, NULL, NULL, NULL, NULL, 0.5, -1.0, 2.0, &dx[0], &dx[1], &dx[2]);
    mixed_jvp(x, p0, p1, p20, flag, n, 0.5, -1.0, 2.0, NULL, NULL, NULL, NULL, NULL, &dout[0], &dout[1], &dout[2]);
    char what[200];
    for (unsigned mask = 0; mask < 256; mask++) {
#define P(k, v) ((mask >> (k)) & 1u ? NULL : (v))
        for (int mode = 0; mode < 2; mode++) {
            /* pointers 0-4 the out-pointers, 5-7 the derivative pointers */
            double o0 = UNTOUCHED, o2 = UNTOUCHED, o4 = UNTOUCHED, d[3] = {UNTOUCHED, UNTOUCHED, UNTOUCHED};
            int64_t o1 = -77;
            bool o3 = !e_b;
            const double *want_d = mode == 0 ? dx : dout;
            if (mode == 0)
                mixed_vjp(x, p0, p1, p20, flag, n, P(0, &o0), P(1, &o1), P(2, &o2), P(3, &o3), P(4, &o4), 0.5, -1.0,
                          2.0, P(5, &d[0]), P(6, &d[1]), P(7, &d[2]));
            else
                mixed_jvp(x, p0, p1, p20, flag, n, 0.5, -1.0, 2.0, P(0, &o0), P(1, &o1), P(2, &o2), P(3, &o3),
                          P(4, &o4), P(5, &d[0]), P(6, &d[1]), P(7, &d[2]));
            const char *fn = mode == 0 ? "mixed_vjp" : "mixed_jvp";
            snprintf(what, sizeof what, "%s, NULL mask %#x: out_0", fn, mask);
            check_double(c, what, o0, mask & 1u ? UNTOUCHED : f0);
            snprintf(what, sizeof what, "%s, NULL mask %#x: out_1", fn, mask);
            check_int(c, what, o1, mask & 2u ? -77 : i1);
            snprintf(what, sizeof what, "%s, NULL mask %#x: out_2", fn, mask);
            check_double(c, what, o2, mask & 4u ? UNTOUCHED : f2);
            snprintf(what, sizeof what, "%s, NULL mask %#x: out_3", fn, mask);
            check_bool(c, what, &o3, mask & 8u ? !e_b : b3);
            snprintf(what, sizeof what, "%s, NULL mask %#x: out_4", fn, mask);
            check_double(c, what, o4, mask & 16u ? UNTOUCHED : f4);
            for (int k = 0; k < 3; k++) {
                snprintf(what, sizeof what, "%s, NULL mask %#x: derivative %d", fn, mask, k);
                if ((mask >> (5 + k)) & 1u)
                    check_bits(c, what, d[k], UNTOUCHED);
                else
                    check_double(c, what, d[k], want_d[k]);
            }
        }
#undef P
    }
}

/* polar: NULL in each position alone, and all NULL. */
static void check_polar_nulls(Checker *c)
{
    double r = 1.5, th = 0.6;
    for (int k = -1; k < 4; k++) {
        double o[2] = {UNTOUCHED, UNTOUCHED}, d[2] = {UNTOUCHED, UNTOUCHED};
        polar_vjp(r, th, k == 0 ? NULL : &o[0], k == 1 ? NULL : &o[1], 1.0, 1.0, k == 2 ? NULL : &d[0],
                  k == 3 ? NULL : &d[1]);
        check_double(c, "polar_vjp NULL: out_0", o[0], k == 0 ? UNTOUCHED : r * cos(th));
        check_double(c, "polar_vjp NULL: out_1", o[1], k == 1 ? UNTOUCHED : r * sin(th));
        check_double(c, "polar_vjp NULL: d_r = cos + sin", d[0], k == 2 ? UNTOUCHED : cos(th) + sin(th));
        check_double(c, "polar_vjp NULL: d_theta = r (cos - sin)", d[1], k == 3 ? UNTOUCHED : r * (cos(th) - sin(th)));
        o[0] = o[1] = d[0] = d[1] = UNTOUCHED;
        polar_jvp(r, th, 1.0, 1.0, k == 0 ? NULL : &o[0], k == 1 ? NULL : &o[1], k == 2 ? NULL : &d[0],
                  k == 3 ? NULL : &d[1]);
        check_double(c, "polar_jvp NULL: out_0", o[0], k == 0 ? UNTOUCHED : r * cos(th));
        check_double(c, "polar_jvp NULL: out_1", o[1], k == 1 ? UNTOUCHED : r * sin(th));
        check_double(c, "polar_jvp NULL: dout_0 = cos - r sin", d[0], k == 2 ? UNTOUCHED : cos(th) - r * sin(th));
        check_double(c, "polar_jvp NULL: dout_1 = sin + r cos", d[1], k == 3 ? UNTOUCHED : sin(th) + r * cos(th));
    }
    polar_vjp(r, th, NULL, NULL, 1.0, 1.0, NULL, NULL);
    polar_jvp(r, th, 1.0, 1.0, NULL, NULL, NULL, NULL);
    sq2_vjp(1.0, 2.0, NULL, 1.0, NULL, NULL);
    sq2_jvp(1.0, 2.0, 1.0, 1.0, NULL, NULL);
}

/* No float parameter: NAME_vjp has no d_ pointer, NAME_jvp's tangent is 0. */
static void check_count(Checker *c)
{
    double f = UNTOUCHED, t = UNTOUCHED;
    int64_t i = -1;
    count_vjp(5, true, &f, &i, 3.0);
    check_double(c, "count_vjp out_0", f, E_COUNT_0);
    check_int(c, "count_vjp out_1", i, E_COUNT_1);
    f = UNTOUCHED;
    count_jvp(5, true, &f, &i, &t);
    check_double(c, "count_jvp out_0", f, E_COUNT_0);
    check_bits(c, "count_jvp dout_0 (no float parameter)", t, 0.0);
}

/* wide and wsum: 130 leaves each way (more than abi.c's STORES_LOOP:
   the wrappers store them in a loop), closed forms (exact: one product
   each), with every third out-pointer NULL and then none. */
#define WN 130
#define ARGS(a) \
    a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], \
    a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23], \
    a[24], a[25], a[26], a[27], a[28], a[29], a[30], a[31], a[32], a[33], a[34], a[35], \
    a[36], a[37], a[38], a[39], a[40], a[41], a[42], a[43], a[44], a[45], a[46], a[47], \
    a[48], a[49], a[50], a[51], a[52], a[53], a[54], a[55], a[56], a[57], a[58], a[59], \
    a[60], a[61], a[62], a[63], a[64], a[65], a[66], a[67], a[68], a[69], a[70], a[71], \
    a[72], a[73], a[74], a[75], a[76], a[77], a[78], a[79], a[80], a[81], a[82], a[83], \
    a[84], a[85], a[86], a[87], a[88], a[89], a[90], a[91], a[92], a[93], a[94], a[95], \
    a[96], a[97], a[98], a[99], a[100], a[101], a[102], a[103], a[104], a[105], a[106], a[107], \
    a[108], a[109], a[110], a[111], a[112], a[113], a[114], a[115], a[116], a[117], a[118], a[119], \
    a[120], a[121], a[122], a[123], a[124], a[125], a[126], a[127], a[128], a[129]
#define W(p, k) ((k) % 3 == skip ? NULL : &(p)[k])
#define PTRS(p) \
    W(p, 0), W(p, 1), W(p, 2), W(p, 3), W(p, 4), W(p, 5), W(p, 6), W(p, 7), \
    W(p, 8), W(p, 9), W(p, 10), W(p, 11), W(p, 12), W(p, 13), W(p, 14), W(p, 15), \
    W(p, 16), W(p, 17), W(p, 18), W(p, 19), W(p, 20), W(p, 21), W(p, 22), W(p, 23), \
    W(p, 24), W(p, 25), W(p, 26), W(p, 27), W(p, 28), W(p, 29), W(p, 30), W(p, 31), \
    W(p, 32), W(p, 33), W(p, 34), W(p, 35), W(p, 36), W(p, 37), W(p, 38), W(p, 39), \
    W(p, 40), W(p, 41), W(p, 42), W(p, 43), W(p, 44), W(p, 45), W(p, 46), W(p, 47), \
    W(p, 48), W(p, 49), W(p, 50), W(p, 51), W(p, 52), W(p, 53), W(p, 54), W(p, 55), \
    W(p, 56), W(p, 57), W(p, 58), W(p, 59), W(p, 60), W(p, 61), W(p, 62), W(p, 63), \
    W(p, 64), W(p, 65), W(p, 66), W(p, 67), W(p, 68), W(p, 69), W(p, 70), W(p, 71), \
    W(p, 72), W(p, 73), W(p, 74), W(p, 75), W(p, 76), W(p, 77), W(p, 78), W(p, 79), \
    W(p, 80), W(p, 81), W(p, 82), W(p, 83), W(p, 84), W(p, 85), W(p, 86), W(p, 87), \
    W(p, 88), W(p, 89), W(p, 90), W(p, 91), W(p, 92), W(p, 93), W(p, 94), W(p, 95), \
    W(p, 96), W(p, 97), W(p, 98), W(p, 99), W(p, 100), W(p, 101), W(p, 102), W(p, 103), \
    W(p, 104), W(p, 105), W(p, 106), W(p, 107), W(p, 108), W(p, 109), W(p, 110), W(p, 111), \
    W(p, 112), W(p, 113), W(p, 114), W(p, 115), W(p, 116), W(p, 117), W(p, 118), W(p, 119), \
    W(p, 120), W(p, 121), W(p, 122), W(p, 123), W(p, 124), W(p, 125), W(p, 126), W(p, 127), \
    W(p, 128), W(p, 129)

static void check_wide(Checker *c)
{
    double t[WN], dy[WN], y[WN], dx[WN], ty[WN], tdy[WN], d[WN];
    for (int k = 0; k < WN; k++)
        t[k] = 0.25 * k - 2.0, dy[k] = 1.5 - 0.125 * k;
    for (int skip = 3; skip >= 1; skip -= 2) {     /* 3: no pointer is NULL; 1: every third */
        char what[96];
        for (int k = 0; k < WN; k++)
            y[k] = dx[k] = ty[k] = tdy[k] = d[k] = UNTOUCHED;
        wide_vjp(ARGS(t), PTRS(y), ARGS(dy), PTRS(dx));
        wide_jvp(ARGS(t), ARGS(dy), PTRS(ty), PTRS(tdy));
        double v = wsum_grad(ARGS(t), PTRS(d)), want = 0.0;
        for (int k = 0; k < WN; k++) {
            bool null = k % 3 == skip;
            want += (k + 1) / 2.0 * t[k] * t[k];
            snprintf(what, sizeof what, "wide_vjp out_%d (skip %d)", k, skip);
            check_double(c, what, y[k], null ? UNTOUCHED : (k + 1) * t[WN - 1 - k]);
            snprintf(what, sizeof what, "wide_vjp d_t_%d (skip %d)", k, skip);
            check_double(c, what, dx[k], null ? UNTOUCHED : (WN - k) * dy[WN - 1 - k]);
            snprintf(what, sizeof what, "wide_jvp out_%d (skip %d)", k, skip);
            check_double(c, what, ty[k], null ? UNTOUCHED : (k + 1) * t[WN - 1 - k]);
            snprintf(what, sizeof what, "wide_jvp dout_%d (skip %d)", k, skip);
            check_double(c, what, tdy[k], null ? UNTOUCHED : (k + 1) * dy[WN - 1 - k]);
            snprintf(what, sizeof what, "wsum_grad d_t_%d (skip %d)", k, skip);
            check_double(c, what, d[k], null ? UNTOUCHED : (k + 1) * t[k]);
        }
        check_close(c, "wsum_grad's value", v, want, 1e-12, 0.0);
    }
}

int main(void)
{
    Checker c = {"vectors", 0, 0};
    check_against_grad(&c);

    static const Fn fns[] = {
        {"sq2", 2, 1, sq2_eval, sq2_vjp_a, sq2_jvp_a},
        {"tup_loss", 2, 1, tup_eval, tup_vjp_a, tup_jvp_a},
        {"polar", 2, 2, polar_eval, polar_vjp_a, polar_jvp_a},
        {"three", 3, 3, three_eval, three_vjp_a, three_jvp_a},
        {"mixed", 3, 3, mixed_eval, mixed_vjp_a, mixed_jvp_a},
        {"nested", 2, 2, nested_eval, nested_vjp_a, nested_jvp_a},
    };
    double x2[2] = {0.7, -1.3}, xt[2] = {0.4, 1.7};
    check_jacobian(&c, &fns[0], x2, NULL);
    check_jacobian(&c, &fns[1], xt, NULL);
    double r = 1.5, th = 0.6, xp[2] = {1.5, 0.6};
    double jp[4] = {cos(th), -r * sin(th), sin(th), r * cos(th)};
    check_jacobian(&c, &fns[2], xp, jp);
    double x = 0.3, y = -0.8, z = 1.1, x3[3] = {0.3, -0.8, 1.1};
    double j3[9] = {y, x, 0.0, 0.0, z, y, z * exp(z * x), 0.0, x * exp(z * x)};
    check_jacobian(&c, &fns[3], x3, j3);
    double xm[3] = {0.4, 0.9, 1.2};
    check_jacobian(&c, &fns[4], xm, NULL);
    mixed_flag = false, mixed_p1 = -2, mixed_n = 2;
    double xm2[3] = {-0.3, 1.1, 0.7};
    check_jacobian(&c, &fns[4], xm2, NULL);
    mixed_flag = true, mixed_n = 0;                 /* the loop runs zero times */
    check_jacobian(&c, &fns[4], xm, NULL);
    double xn[2] = {0.7, 1.1};                      /* (2 x^2 y, x cos y + 6 y) */
    double jn[4] = {4 * 0.7 * 1.1, 2 * 0.7 * 0.7, cos(1.1), -0.7 * sin(1.1) + 6.0};
    check_jacobian(&c, &fns[5], xn, jn);

    double ef_t[3] = {E_MIXED_T_0, E_MIXED_T_2, E_MIXED_T_4};
    check_mixed_results(&c, 0.4, 0.9, 3, 1.2, true, 4, ef_t, E_MIXED_T_1, E_MIXED_T_3);
    double ef_f[3] = {E_MIXED_F_0, E_MIXED_F_2, E_MIXED_F_4};
    check_mixed_results(&c, -0.3, 1.1, -2, 0.7, false, 2, ef_f, E_MIXED_F_1, E_MIXED_F_3);
    check_polar_nulls(&c);
    check_count(&c);
    check_wide(&c);
    return checks_done(&c);
}
