/*
 * lists.c: the C side of the lists test (lists.my, contract 5.5): list
 * parameters of each element type, matrices, lists of tuples, tuples
 * holding lists, list results in malloc'd blocks the caller frees (run.sh
 * also runs this under valgrind: no leak, no invalid access), empty lists
 * passed as NULL and returned as NULL, a 10^7-item list in and out,
 * functions that change their list parameters in place (the caller's
 * buffers, read-only memory, unchanged), and the runtime errors of a
 * ragged list-of-lists result and a negative length, at their places in
 * lists.my.  Expected values: lists.expected.h, from `myc run --interp`
 * (run.sh), and closed forms.  The program is C and C++ (run.sh compiles
 * it as both).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lists.expected.h"
#include "lists.h"
#include "myrt.h"

#define COUNT(a) ((int64_t)(sizeof(a) / sizeof *(a)))

/* Each parameter lives in read-only memory: a write through it faults. */
static const double dot_x[] = {1.5, -2.0, 0.25}, dot_y[] = {4.0, 0.5, -8.0};
static const int64_t isum_n[] = {INT64_C(4611686018427387903), -INT64_C(4611686018427387903), 7, -2};
static const bool flags_b[] = {true, false, true, true};
static const double mv_m[2][3] = {{1.0, 2.0, 3.0}, {-4.0, 0.5, 6.0}}, mv_v[] = {0.5, -1.0, 2.0};
static const int64_t tr_m[2][3] = {{1, 2, 3}, {4, 5, 6}};
static const double cen_p[] = {1.0, 2.0, 3.0, -4.0, 0.5, 0.5};
static const int64_t swap_p[] = {1, 2, 3, 4, -5, 6};
static const double grid_g[] = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5};
static const double w_xs[] = {1.0, 2.0, 4.0};
static const int64_t w_ks[] = {3, -1};
static const double split_x[] = {1.5, -2.0, 0.0, -0.25, 3.0};
static const double pos_x[] = {1.5, -2.0, 0.0, 3.0};
static const double norm_x[] = {3.0, 4.0, 12.0};
static const double bump_m[3][2] = {{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}};
static const double grow_x[] = {1.0, 2.0};

static void check_doubles(Checker *c, const char *what, const double *got, int64_t n, const double *want,
                          int64_t want_n)
{
    char text[200];
    snprintf(text, sizeof text, "%s: length", what);
    if (!check_int(c, text, n, want_n))
        return;
    for (int64_t i = 0; i < n; i++) {
        snprintf(text, sizeof text, "%s[%d]", what, (int)i);
        check_double(c, text, got[i], want[i]);
    }
}

static void check_params(Checker *c)
{
    check_double(c, "dot", dot(dot_x, COUNT(dot_x), dot_y, COUNT(dot_y)), E_DOT);
    check_double(c, "dot, closed form", E_DOT, 1.5 * 4.0 - 2.0 * 0.5 - 0.25 * 8.0);
    check_int(c, "isum", isum(isum_n, COUNT(isum_n)), E_ISUM);
    int64_t nt = -1;
    bool all = true;
    flags(flags_b, COUNT(flags_b), &nt, &all);
    check_int(c, "flags out_0", nt, E_FLAGS_0);
    check_bool(c, "flags out_1", &all, E_FLAGS_1);
    bool last_two = all_true(flags_b + 2, 2);
    check_bool(c, "all_true of the last two", &last_two, true);
    double cx = 0, cy = 0;
    centroid(cen_p, 3, &cx, &cy);
    check_double(c, "centroid out_0", cx, E_CENTROID_0);
    check_double(c, "centroid out_1", cy, E_CENTROID_1);
    check_double(c, "grid_sum", grid_sum(grid_g, 2, 2), E_GRID);
    check_double(c, "weighted", weighted(w_xs, COUNT(w_xs), 0.5, w_ks, COUNT(w_ks)), E_WEIGHTED);
    check_double(c, "weighted, closed form", E_WEIGHTED, 7.0 * 0.5 + 2.0);
}

static void check_results(Checker *c)
{
    double *out = NULL;
    int64_t n = -1, n1 = -1;
    matvec(&mv_m[0][0], 2, 3, mv_v, 3, &out, &n);
    const double mv_want[] = {E_MATVEC_0, E_MATVEC_1};
    check_doubles(c, "matvec", out, n, mv_want, E_MATVEC_N);
    check_double(c, "matvec[1], closed form", out[1], -4.0 * 0.5 - 0.5 + 12.0);
    free(out);

    int64_t *iout = NULL;
    transpose(&tr_m[0][0], 2, 3, &iout, &n, &n1);
    const int64_t tr_want[] = {E_TRANSPOSE_0, E_TRANSPOSE_1, E_TRANSPOSE_2, E_TRANSPOSE_3, E_TRANSPOSE_4,
                               E_TRANSPOSE_5};
    check_int(c, "transpose rows", n, 3);
    check_int(c, "transpose columns", n1, 2);
    for (int i = 0; i < 6 && n * n1 == 6; i++)
        check_int(c, "transpose item", iout[i], tr_want[i]);
    check_int(c, "transpose[2][1], closed form", iout[2 * 2 + 1], 6);
    free(iout);

    iout = NULL;
    swap_pairs(swap_p, 3, &iout, &n);
    check_int(c, "swap_pairs length (tuples)", n, 3);
    const int64_t sw_want[] = {E_SWAP_0, E_SWAP_1, E_SWAP_2, E_SWAP_3, E_SWAP_4, E_SWAP_5};
    for (int i = 0; i < 6 && n == 3; i++)
        check_int(c, "swap_pairs leaf", iout[i], sw_want[i]);
    free(iout);

    double *neg = NULL, *pos = NULL;
    int64_t nneg = -1, npos = -1, total_n = -1;
    split_signs(split_x, COUNT(split_x), &neg, &nneg, &total_n, &pos, &npos);
    const double split_want[] = {E_SPLIT_0, E_SPLIT_1, E_SPLIT_2, E_SPLIT_3, E_SPLIT_4, E_SPLIT_5};
    check_doubles(c, "split_signs out_0", neg, nneg, split_want, 2);
    check_int(c, "split_signs out_1", total_n, (int64_t)split_want[2]);
    check_doubles(c, "split_signs out_2", pos, npos, split_want + 3, 3);
    free(neg);
    free(pos);

    bool *bout = NULL;
    positive(pos_x, COUNT(pos_x), &bout, &n);
    const bool pos_want[] = {E_POSITIVE_0, E_POSITIVE_1, E_POSITIVE_2, E_POSITIVE_3};
    check_int(c, "positive length", n, E_POSITIVE_N);
    for (int i = 0; i < 4 && n == 4; i++)
        check_bool(c, "positive item", &bout[i], pos_want[i]);
    free(bout);
}

/* Empty lists: NULL pointers in, NULL blocks out. */
static void check_empty(Checker *c)
{
    check_double(c, "dot of empty lists", dot(NULL, 0, NULL, 0), 0.0);
    check_int(c, "isum of an empty list", isum(NULL, 0), 0);
    static double d_sentinel;
    static int64_t i_sentinel;
    double *out = &d_sentinel;      /* (not NULL before the calls) */
    int64_t n = -1, n1 = -1;
    matvec(NULL, 0, 5, NULL, 0, &out, &n);
    check_true(c, "matvec of no rows stores NULL", out == NULL);
    check_int(c, "matvec of no rows: length", n, 0);
    int64_t *iout = &i_sentinel;
    transpose(NULL, 0, 0, &iout, &n, &n1);
    check_true(c, "transpose of no rows stores NULL", iout == NULL);
    check_int(c, "transpose of no rows: rows", n, 0);
    check_int(c, "transpose of no rows: columns", n1, 0);
    double *rows = &d_sentinel;
    tri(0, &rows, &n, &n1);
    check_true(c, "tri(0) stores NULL", rows == NULL);
    check_int(c, "tri(0): rows", n, E_TRI_0_N);
    rows = &d_sentinel;
    tri(1, &rows, &n, &n1);
    check_true(c, "tri(1) ([[]]) stores NULL", rows == NULL);
    check_int(c, "tri(1): rows", n, 1);
    check_int(c, "tri(1): columns", n1, 0);
    check_int(c, "tri(1): items", E_TRI_1_N, 0);
    /* rows of no columns, the pointer NULL */
    check_double(c, "grid_sum of 3 empty rows", grid_sum(NULL, 3, 0), 0.0);
}

/* Changes in place work on a copy: the caller's read-only buffers stay. */
static void check_in_place(Checker *c)
{
    double *out = NULL;
    int64_t n = -1;
    normalise(norm_x, COUNT(norm_x), &out, &n);
    const double norm_want[] = {E_NORMALISE_0, E_NORMALISE_1, E_NORMALISE_2};
    check_doubles(c, "normalise", out, n, norm_want, E_NORMALISE_N);
    check_double(c, "normalise[0], closed form", out[0], 3.0 / 13.0);
    free(out);
    check_double(c, "normalise left its parameter", norm_x[2], 12.0);
    check_double(c, "bump_rows", bump_rows(&bump_m[0][0], 3, 2, 0.5), E_BUMP);
    check_double(c, "bump_rows twice: the same", bump_rows(&bump_m[0][0], 3, 2, 0.5), E_BUMP);
    check_double(c, "bump_rows left its parameter", bump_m[2][1], 6.0);
    grow(grow_x, COUNT(grow_x), 3, &out, &n);
    const double grow_want[] = {E_GROW_0, E_GROW_1, E_GROW_2, E_GROW_3, E_GROW_4};
    check_doubles(c, "grow", out, n, grow_want, E_GROW_N);
    free(out);
    /* a parameter larger than a runtime block's threshold, grown */
    int64_t big = 200000;
    double *xs = (double *)malloc((size_t)big * sizeof *xs);
    for (int64_t i = 0; i < big; i++)
        xs[i] = (double)i;
    grow(xs, big, 1000, &out, &n);
    check_int(c, "grow of 2e5 items by 1000: length", n, big + 1000);
    check_double(c, "grow: last item", out[n - 1], 999 * 0.5);
    check_double(c, "grow: an item of the parameter", out[big - 1], (double)(big - 1));
    check_double(c, "grow left its parameter", xs[big - 1], (double)(big - 1));
    free(out);
    free(xs);
}

/* 10^7 items in and out. */
static void check_long(Checker *c)
{
    const int64_t n = 10000000;
    double *out = NULL;
    int64_t len = -1;
    ramp(n, &out, &len);
    check_int(c, "ramp(10^7) length", len, n);
    if (len != n) {
        free(out);
        return;
    }
    check_double(c, "ramp(10^7) last item", out[n - 1], (double)(n - 1) * 0.5);
    /* 0.5 * (0 + 1 + ... + n-1): every partial sum is exact in a double */
    check_bits(c, "total(ramp(10^7))", total(out, n), 0.5 * (double)n * (double)(n - 1) / 2.0);
    free(out);
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

/* Where lists.my defines tri and length (their def lines; the column of
   tri's name and of length's parameter xs). */
enum { TRI_LINE = 142, TRI_COL = 5, LENGTH_LINE = 146, LENGTH_COL = 12 };

static void check_errors(Checker *c)
{
    myrt_error_handler_at old = myrt_set_error_handler_at(on_error);
    double *rows = NULL;
    int64_t n = -1, n1 = -1;
    memset(&seen, 0, sizeof seen);
    if (setjmp(back) == 0) {
        tri(3, &rows, &n, &n1);
        check_true(c, "tri(3) (ragged) returned normally", false);
    }
    check_int(c, "tri(3): handler calls", seen.calls, 1);
    check_true(c, "tri(3): the message says ragged rows",
               strcmp(seen.message, "a list of lists returned to C must be rectangular: its rows differ in length")
                   == 0);
    check_true(c, "tri(3): in lists.my", ends_with(seen.file, "lists.my"));
    check_int(c, "tri(3): line", seen.line, TRI_LINE);
    check_int(c, "tri(3): column", seen.col, TRI_COL);
    check_true(c, "tri(3): nothing stored", rows == NULL && n == -1 && n1 == -1);

    static const int64_t ks[] = {1, 2};
    memset(&seen, 0, sizeof seen);
    if (setjmp(back) == 0) {
        (void)length(ks, -1);
        check_true(c, "length(xs, -1) returned normally", false);
    }
    check_int(c, "negative length: handler calls", seen.calls, 1);
    check_true(c, "negative length: the message",
               strcmp(seen.message, "list parameter 'xs' has a negative length (xs_len < 0)") == 0);
    check_int(c, "negative length: line", seen.line, LENGTH_LINE);
    check_int(c, "negative length: column", seen.col, LENGTH_COL);
    myrt_set_error_handler_at(old);
    /* and the functions still work */
    check_int(c, "length after the errors", length(ks, 2), 2);
}

int main(void)
{
    Checker c = {"lists", 0, 0};
    check_params(&c);
    check_results(&c);
    check_empty(&c);
    check_in_place(&c);
    check_long(&c);
    check_errors(&c);
    return checks_done(&c);
}
