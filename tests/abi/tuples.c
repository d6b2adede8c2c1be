/*
 * tuples.c: the C side of the tuples test (tuples.my): tuple parameters
 * nested two deep, nested tuple results through out-pointers, int and bool
 * parameters and results, functions of no parameters, empty tuples.
 * Expected values: tuples.expected.h, from `myc run --interp` (run.sh).
 */
#include "tuples.h"

#include "check.h"
#include "tuples.expected.h"

static void check_nested(Checker *c)
{
    check_double(c, "nested(1.5, (2.0, (3, True)), ((0.25, -1.0), 4.0))",
                 nested(1.5, 2.0, 3, true, 0.25, -1.0, 4.0), E_NESTED_T);
    check_double(c, "nested(1.5, (2.0, (3, False)), ((0.25, -1.0), 4.0))",
                 nested(1.5, 2.0, 3, false, 0.25, -1.0, 4.0), E_NESTED_F);
    check_double(c, "nested(-0.5, (3.0, (0, True)), ((1.0, 2.0), -3.0))",
                 nested(-0.5, 3.0, 0, true, 1.0, 2.0, -3.0), E_NESTED_NOLOOP);
    /* closed form of the first: s = 1.5 * 2 + 0.25 + 4 = 7.25, then three halvings plus i */
    double s = 7.25;
    for (int i = 0; i < 3; i++)
        s = s * 0.5 + i;
    check_double(c, "nested(1.5, ...) against the closed form", E_NESTED_T, s);
}

static void check_split(Checker *c)
{
    double o0 = -1, o3 = -1, o4 = -1;
    int64_t o1 = -1;
    bool o2 = false;
    split(2.5, 7, &o0, &o1, &o2, &o3, &o4);
    check_double(c, "split(2.5, 7) out_0 ([0][0])", o0, E_SPLIT_0);
    check_int(c, "split(2.5, 7) out_1 ([0][1])", o1, E_SPLIT_1);
    check_bool(c, "split(2.5, 7) out_2 ([1][0])", &o2, E_SPLIT_2);
    check_double(c, "split(2.5, 7) out_3 ([1][1][0])", o3, E_SPLIT_3);
    check_double(c, "split(2.5, 7) out_4 ([1][1][1])", o4, E_SPLIT_4);
    check_double(c, "split(2.5, 7) out_3 against sin(2.5)", o3, sin(2.5));
    o2 = true;
    split(-1.25, 2, &o0, &o1, &o2, &o3, &o4);
    check_double(c, "split(-1.25, 2) out_0", o0, E_SPLIT_SMALL_0);
    check_int(c, "split(-1.25, 2) out_1", o1, E_SPLIT_SMALL_1);
    check_bool(c, "split(-1.25, 2) out_2", &o2, E_SPLIT_SMALL_2);
    check_double(c, "split(-1.25, 2) out_3", o3, E_SPLIT_SMALL_3);
    check_double(c, "split(-1.25, 2) out_4", o4, E_SPLIT_SMALL_4);
}

static void check_scalars(Checker *c)
{
    check_int(c, "scale(2**40, -3)", scale(INT64_C(1099511627776), -3), E_SCALE);
    bool b = flip(true, 1);
    check_bool(c, "flip(True, 1)", &b, E_FLIP_1);
    b = flip(true, 0);
    check_bool(c, "flip(True, 0)", &b, E_FLIP_2);
    b = flip(false, 5);
    check_bool(c, "flip(False, 5)", &b, E_FLIP_3);

    bool mb = false;
    int64_t mn = 0;
    double mx = 0;
    mixed(false, INT64_C(4611686018427387903), 0.75, &mb, &mn, &mx);
    check_bool(c, "mixed(False, 2**62 - 1, 0.75) out_0", &mb, E_MIXED_0);
    check_int(c, "mixed(False, 2**62 - 1, 0.75) out_1", mn, E_MIXED_1);
    check_int(c, "mixed(False, 2**62 - 1, 0.75) out_1 is INT64_MAX", mn, INT64_MAX);
    check_double(c, "mixed(False, 2**62 - 1, 0.75) out_2", mx, E_MIXED_2);

    int64_t q = 0, r = 0;
    floordiv(-7, 2, &q, &r);
    check_int(c, "floordiv(-7, 2) out_0 (-7 // 2)", q, E_FLOORDIV_0);
    check_int(c, "floordiv(-7, 2) out_1 (-7 % 2)", r, E_FLOORDIV_1);
    check_int(c, "-7 // 2 is -4 in Python", q, -4);
}

static void check_no_parameters(Checker *c)
{
    check_double(c, "answer()", answer(), E_ANSWER);
    check_int(c, "count()", count(), E_COUNT);
    double o = 0;
    single(0.5, &o);
    check_double(c, "single(0.5) out_0", o, E_SINGLE_0);
    empty();    /* () -> (): nothing in, nothing out */
    double d0 = 0;
    int64_t d1 = 0;
    bool d2 = false;
    deep(1.0, &d0, &d1, &d2);
    check_double(c, "deep(1.0) out_0", d0, E_DEEP_0);
    check_int(c, "deep(1.0) out_1", d1, E_DEEP_1);
    check_bool(c, "deep(1.0) out_2", &d2, E_DEEP_2);
}

int main(void)
{
    Checker c = {"tuples", 0, 0};
    check_nested(&c);
    check_split(&c);
    check_scalars(&c);
    check_no_parameters(&c);
    return checks_done(&c);
}
