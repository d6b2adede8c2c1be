/*
 * test_lists_native.c: the list primitives in native code (src/backend/lists.c)
 * against CPython and the reference interpreter, through backend_run (the
 * JIT behind `myc run`) at -O0 and -O2.
 *
 * Each case is a typed graph built by hand with the ir.h builder (one or
 * a few primitive applications on the parameters), the arguments as
 * Python literals, and the result CPython 3.11 prints for the equivalent
 * Python (quoted above each case); a runtime error is "!FILE:LINE:COL:
 * MESSAGE".  The interpreter must agree too.  Arguments and results cross
 * backend_run's 8-byte slots as the driver passes them (a list: a block
 * [len, items' slots...]).
 *
 * Calls LLVMShutdown() once every test has run, so that LeakSanitizer sees
 * LLVM's own static state released; nothing of ours may leak.
 */
#include "compiled.h"
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "backend.h"
#include "interp.h"
#include "myrt.h"

typedef struct Fx {
    Arena *arena;
    Module *m;
    TypeTable *tt;
    Type *f, *i, *b, *lf, *li, *lb, *lq;    /* float, int, bool, list[float], list[int], list[bool], list[?] */
    Graph *g;
} Fx;

static Fx *fx_new(void)
{
    Fx *fx = calloc(1, sizeof *fx);
    fx->arena = arena_new();
    fx->m = ir_module_new(fx->arena, "t.my");
    fx->tt = fx->m->types;
    fx->f = type_float(fx->tt);
    fx->i = type_int(fx->tt);
    fx->b = type_bool(fx->tt);
    fx->lf = type_list(fx->tt, fx->f);
    fx->li = type_list(fx->tt, fx->i);
    fx->lb = type_list(fx->tt, fx->b);
    fx->lq = type_list(fx->tt, NULL);
    return fx;
}

static void fx_free(Fx *fx)
{
    ir_module_free(fx->m);
    arena_free(fx->arena);
    free(fx);
}

static Type *tup(Fx *fx, int n, ...)
{
    Type *el[8];
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++)
        el[k] = va_arg(ap, Type *);
    va_end(ap);
    return type_tuple(fx->tt, el, n);
}

/* A new top-level function f with parameters of these types. */
static Node **begin(Fx *fx, int n, ...)
{
    fx->g = ir_graph_new(fx->m, G_FUNCTION, "f", NULL, LOC_NONE);
    Node **p = ARENA_ARRAY(fx->arena, Node *, n + 1);
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        p[k] = ir_add_param(fx->g, NULL, LOC_NONE);
        p[k]->type = va_arg(ap, Type *);
    }
    va_end(ap);
    return p;
}

static Node *KI(Fx *fx, int64_t v)
{
    Node *k = ir_const_int(fx->m, v, LOC_NONE);
    k->type = fx->i;
    return k;
}

static Node *KF(Fx *fx, double v)
{
    Node *k = ir_const_float(fx->m, v, LOC_NONE);
    k->type = fx->f;
    return k;
}

/* p(args...) of type t, at line 3, column col. */
static Node *A(Fx *fx, PrimId p, Type *t, int col, int n, ...)
{
    Node *args[8];
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++)
        args[k] = va_arg(ap, Node *);
    va_end(ap);
    Loc at = {3, col};
    Node *x = ir_apply_prim_args(fx->g, p, at, n, args);
    x->type = t;
    return x;
}

static void finish(Fx *fx, Node *out)
{
    ir_set_output(fx->g, out);
    fx->g->ret_type = out->type;
}

/* ---- myc run's slots (as src/driver.c fills and reads them) ---------------- */

typedef VEC(void *) PtrVec;

static void to_slots(const Value *v, const Type *t, uint64_t *slots, int *pos, PtrVec *owned)
{
    if (t->kind == T_TUPLE) {
        for (int k = 0; k < t->n; k++)
            to_slots(&v->tup->items[k], t->elems[k], slots, pos, owned);
        return;
    }
    uint64_t w = 0;
    if (t->kind == T_LIST) {
        const Type *e = type_list_elem(t);
        int64_t len = e ? v->list->len : 0;
        int k = e ? backend_run_slots(e) : 0;
        uint64_t *blk = xmalloc(sizeof(uint64_t) * (size_t)(1 + len * k));
        vec_push(owned, blk);
        blk[0] = (uint64_t)len;
        int at = 1;
        for (int64_t j = 0; j < len; j++)
            to_slots(&v->list->items[j], e, blk, &at, owned);
        w = (uint64_t)(uintptr_t)blk;
    } else if (t->kind == T_FLOAT) {
        memcpy(&w, &v->f, sizeof w);
    } else if (t->kind == T_INT) {
        w = (uint64_t)v->i;
    } else {
        w = v->b;
    }
    slots[(*pos)++] = w;
}

static Value from_slots(const Type *t, const uint64_t *slots, int *pos, PtrVec *owned)
{
    if (t->kind == T_TUPLE) {
        Tuple *tp = xcalloc(1, sizeof(Tuple) + sizeof(Value) * (size_t)t->n);
        vec_push(owned, tp);
        tp->n = t->n;
        for (int k = 0; k < t->n; k++)
            tp->items[k] = from_slots(t->elems[k], slots, pos, owned);
        return value_tuple(tp);
    }
    uint64_t w = slots[(*pos)++];
    if (t->kind == T_LIST) {
        uint64_t *blk = (uint64_t *)(uintptr_t)w;
        List *l = xcalloc(1, sizeof(List));
        vec_push(owned, l);
        l->len = l->cap = (int64_t)blk[0];
        l->items = xcalloc((size_t)l->len + 1, sizeof(Value));
        vec_push(owned, l->items);
        int at = 1;
        for (int64_t j = 0; j < l->len; j++)
            l->items[j] = from_slots(type_list_elem(t), blk, &at, owned);
        free(blk);
        return value_list(l);
    }
    if (t->kind == T_FLOAT) {
        double d;
        memcpy(&d, &w, sizeof d);
        return value_float(d);
    }
    return t->kind == T_INT ? value_int((int64_t)w) : value_bool(w != 0);
}

/* ---- running ----------------------------------------------------------------- */

/* The repr of fx->g's result on args (a tuple's text), or "!" and the
   runtime error: by the interpreter when opt < 0, else natively at -Oopt. */
static void run(Fx *fx, const char *args, int opt, StrBuf *out)
{
    Interp *in = interp_new(fx->m);
    StrBuf err = {0};
    Value tv;
    assert_int_equal(interp_parse_value(in, args, &tv, &err), 0);
    assert_int_equal(tv.kind, V_TUPLE);
    Graph *g = fx->g;
    assert_int_equal(tv.tup->n, g->nparams);
    for (int k = 0; k < g->nparams; k++)
        assert_int_equal(interp_coerce(in, &tv.tup->items[k], g->params[k]->type), 0);
    out->len = 0;
    if (opt < 0) {
        Value r;
        if (interp_call(in, g, tv.tup->items, g->nparams, &r, &err) != 0) {
            Loc at = interp_error_loc(in);
            sb_printf(out, "!t.my:%d:%d: %s", at.line, at.col, sb_cstr(&err));
        } else {
            value_repr(&r, out);
        }
    } else {
        int nin = 0;
        for (int k = 0; k < g->nparams; k++)
            nin += backend_run_slots(g->params[k]->type);
        uint64_t *slots = xcalloc((size_t)nin + 1, sizeof(uint64_t));
        uint64_t *res = xcalloc((size_t)backend_run_slots(g->ret_type) + 1, sizeof(uint64_t));
        PtrVec owned = {0};
        int pos = 0;
        for (int k = 0; k < g->nparams; k++)
            to_slots(&tv.tup->items[k], g->params[k]->type, slots, &pos, &owned);
        BackendOptions o = {.opt_level = opt, .native = true, .name = "t.my"};
        RunStatus st = backend_run(fx->m, g, NULL, 0, &o, slots, res, &err);
        if (st == RUN_FAILED)
            fail_msg("backend_run failed: %s", sb_cstr(&err));
        if (st == RUN_RAISED) {
            sb_printf(out, "!%s", sb_cstr(&err));
        } else {
            pos = 0;
            Value r = from_slots(g->ret_type, res, &pos, &owned);
            value_repr(&r, out);
        }
        for (int k = 0; k < owned.len; k++)
            free(owned.data[k]);
        vec_free(&owned);
        free(slots);
        free(res);
    }
    sb_free(&err);
    interp_free(in);
}

/* fx->g on args gives `want` in the interpreter and natively at -O0 and -O2. */
static void check(Fx *fx, const char *args, const char *want)
{
    static const int opts[3] = {-1, 0, 2};
    StrBuf out = {0};
    for (int k = 0; k < 3; k++) {
        run(fx, args, opts[k], &out);
        if (strcmp(sb_cstr(&out), want) != 0)
            fail_msg("f%s %s: got %s, want %s", args, opts[k] < 0 ? "interpreted" : opts[k] ? "at -O2" : "at -O0",
                     sb_cstr(&out), want);
    }
    sb_free(&out);
}

/* ---- the cases --------------------------------------------------------------- */

/* a[i]; negative from the end; out of range at its location */
static void test_get(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 2, fx->lf, fx->i);
    finish(fx, A(fx, P_LIST_GET, fx->f, 7, 2, p[0], p[1]));
    check(fx, "([1.0, 2.5, -3.0], 0)", "1.0");
    check(fx, "([1.0, 2.5, -3.0], -1)", "-3.0");
    check(fx, "([1.0, 2.5, -3.0], -3)", "1.0");
    check(fx, "([1, 2.5, -3.0], 1)", "2.5");
    check(fx, "([1.0, 2.5, -3.0], 3)", "!t.my:3:7: list index out of range");
    check(fx, "([1.0, 2.5, -3.0], -4)", "!t.my:3:7: list index out of range");
    check(fx, "([], 0)", "!t.my:3:7: list index out of range");
    check(fx, "([1.0], -9223372036854775808)", "!t.my:3:7: list index out of range");
    fx_free(fx);
}

/* b = list(a); b[i] = v; (a, b): the operand is unchanged */
static void test_set(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 3, fx->lb, fx->i, fx->b);
    Node *s = A(fx, P_LIST_SET, fx->lb, 4, 3, p[0], p[1], p[2]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, fx->lb, fx->lb), 1, 2, p[0], s));
    check(fx, "([True, False, True], 1, True)", "([True, False, True], [True, True, True])");
    check(fx, "([True, False, True], -3, False)", "([True, False, True], [False, False, True])");
    check(fx, "([True], 1, False)", "!t.my:3:4: list assignment index out of range");
    fx_free(fx);
}

/* b = a + [v] as a.append on a copy; then a fresh list of v, appended twice */
static void test_append_and_make(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 2, fx->li, fx->i);
    Node *b = A(fx, P_LIST_APPEND, fx->li, 1, 2, p[0], p[1]);
    Node *m = A(fx, P_LIST_MAKE, fx->li, 1, 3, p[1], KI(fx, 7), p[1]);
    Node *e = A(fx, P_LIST_MAKE, fx->lq, 1, 0);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 4, fx->li, fx->li, fx->li, fx->lq), 1, 4, p[0], b, m, e));
    check(fx, "([1, 2], 3)", "([1, 2], [1, 2, 3], [3, 7, 3], [])");
    check(fx, "([], -5)", "([], [-5], [-5, 7, -5], [])");
    fx_free(fx);
}

/* b = list(a); x = b.pop(i); (a, (b, x)) */
static void test_pop(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Type *lt = type_list(fx->tt, tup(fx, 2, fx->f, fx->b));
    Node **p = begin(fx, 2, lt, fx->i);
    Node *r = A(fx, P_LIST_POP, tup(fx, 2, lt, lt->elems[0]), 5, 2, p[0], p[1]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, lt, r->type), 1, 2, p[0], r));
    check(fx, "([(1.0, True), (2.0, False), (3.5, True)], 1)",
          "([(1.0, True), (2.0, False), (3.5, True)], ([(1.0, True), (3.5, True)], (2.0, False)))");
    check(fx, "([(1.0, True), (2.0, False), (3.5, True)], -1)",
          "([(1.0, True), (2.0, False), (3.5, True)], ([(1.0, True), (2.0, False)], (3.5, True)))");
    check(fx, "([(1.0, True)], 0)", "([(1.0, True)], ([], (1.0, True)))");
    check(fx, "([], -1)", "!t.my:3:5: pop from empty list");
    check(fx, "([(1.0, True)], 1)", "!t.my:3:5: pop index out of range");
    fx_free(fx);
}

/* (a + b, a * n, n * b) */
static void test_concat_repeat(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 3, fx->lf, fx->lf, fx->i);
    Node *c = A(fx, P_LIST_CONCAT, fx->lf, 1, 2, p[0], p[1]);
    Node *r = A(fx, P_LIST_REPEAT, fx->lf, 1, 2, p[0], p[2]);
    Node *s = A(fx, P_LIST_REPEAT, fx->lf, 1, 2, p[1], p[2]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 3, fx->lf, fx->lf, fx->lf), 1, 3, c, r, s));
    check(fx, "([1.0, 2.0], [3.0], 3)", "([1.0, 2.0, 3.0], [1.0, 2.0, 1.0, 2.0, 1.0, 2.0], [3.0, 3.0, 3.0])");
    check(fx, "([1.0, 2.0], [], 0)", "([1.0, 2.0], [], [])");
    check(fx, "([], [0.5], -2)", "([0.5], [], [])");
    check(fx, "([0.5, 1.5, 2.5], [7.0], 5)",
          "([0.5, 1.5, 2.5, 7.0], [0.5, 1.5, 2.5, 0.5, 1.5, 2.5, 0.5, 1.5, 2.5, 0.5, 1.5, 2.5, 0.5, 1.5, 2.5], "
          "[7.0, 7.0, 7.0, 7.0, 7.0])");
    check(fx, "([1.0, 2.0], [3.0], 1099511627776)", "!t.my:3:1: cannot fit the repeated list in memory");
    fx_free(fx);
}

/* c = list(a); c += b; d = list(b); d *= n; (a, c, d): list_extend and
   list_irepeat, the changes += and *= are, where the operand is still read */
static void test_extend_irepeat(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 3, fx->li, fx->li, fx->i);
    Node *c = A(fx, P_LIST_EXTEND, fx->li, 1, 2, p[0], p[1]);
    Node *d = A(fx, P_LIST_IREPEAT, fx->li, 1, 2, p[1], p[2]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 3, fx->li, fx->li, fx->li), 1, 3, p[0], c, d));
    check(fx, "([1, 2], [3, 4], 2)", "([1, 2], [1, 2, 3, 4], [3, 4, 3, 4])");
    check(fx, "([], [5], 0)", "([], [5], [])");
    fx_free(fx);
}

/* a[i:j:k] with each mask; a[::0] */
static void test_slice(void **state)
{
    (void)state;
    static const struct {
        int mask;
        const char *args, *want;
    } cases[] = {
        /* a[1:3], a[-2:10], a[5:1], a[-100:2] */
        {4, "([0, 1, 2, 3, 4], 1, 3, 0)", "[1, 2]"},
        {4, "([0, 1, 2, 3, 4], -2, 10, 0)", "[3, 4]"},
        {4, "([0, 1, 2, 3, 4], 5, 1, 0)", "[]"},
        {4, "([0, 1, 2, 3, 4], -100, 2, 0)", "[0, 1]"},
        /* a[1:], a[:-1], a[:], a[::] */
        {6, "([0, 1, 2, 3, 4], 1, 0, 0)", "[1, 2, 3, 4]"},
        {5, "([0, 1, 2, 3, 4], 0, -1, 0)", "[0, 1, 2, 3]"},
        {7, "([0, 1, 2, 3, 4], 0, 0, 0)", "[0, 1, 2, 3, 4]"},
        {7, "([], 0, 0, 0)", "[]"},
        /* a[::-1], a[::2], a[::-2], a[4:0:-1], a[-1:-6:-2], a[10:-10:-3], a[1:4:7], a[1:3:1] */
        {3, "([0, 1, 2, 3, 4], 0, 0, -1)", "[4, 3, 2, 1, 0]"},
        {3, "([0, 1, 2, 3, 4], 0, 0, 2)", "[0, 2, 4]"},
        {3, "([0, 1, 2, 3, 4], 0, 0, -2)", "[4, 2, 0]"},
        {0, "([0, 1, 2, 3, 4], 4, 0, -1)", "[4, 3, 2, 1]"},
        {0, "([0, 1, 2, 3, 4], -1, -6, -2)", "[4, 2, 0]"},
        {0, "([0, 1, 2, 3, 4], 10, -10, -3)", "[4, 1]"},
        {0, "([0, 1, 2, 3, 4], 1, 4, 7)", "[1]"},
        {0, "([0, 1, 2, 3, 4], 1, 3, 1)", "[1, 2]"},
        /* a[::-9223372036854775808], a[2::9223372036854775807] */
        {3, "([0, 1, 2, 3, 4], 0, 0, -9223372036854775808)", "[4]"},
        {2, "([0, 1, 2, 3, 4], 2, 0, 9223372036854775807)", "[2]"},
        /* a[::0], [][1:2:0] */
        {3, "([0, 1, 2, 3, 4], 0, 0, 0)", "!t.my:3:2: slice step cannot be zero"},
        {0, "([], 1, 2, 0)", "!t.my:3:2: slice step cannot be zero"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        Fx *fx = fx_new();
        Node **p = begin(fx, 4, fx->li, fx->i, fx->i, fx->i);
        finish(fx, A(fx, P_LIST_SLICE, fx->li, 2, 5, p[0], p[1], p[2], p[3], KI(fx, cases[k].mask)));
        check(fx, cases[k].args, cases[k].want);
        fx_free(fx);
    }
}

/* (list(a), sum(a, start), min(a), max(a)) for ints, floats and bools */
static void test_copy_sum_min_max(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 2, fx->li, fx->f);
    Node *c = A(fx, P_LIST_COPY, fx->li, 1, 1, p[0]);
    Node *s = A(fx, P_LIST_SUM, fx->f, 1, 2, p[0], p[1]);
    Node *lo = A(fx, P_LIST_MIN, fx->i, 8, 1, p[0]);
    Node *hi = A(fx, P_LIST_MAX, fx->i, 9, 1, p[0]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 4, fx->li, fx->f, fx->i, fx->i), 1, 4, c, s, lo, hi));
    check(fx, "([3, -1, 4, 1, -5], 0.5)", "([3, -1, 4, 1, -5], 2.5, -5, 4)");
    check(fx, "([9007199254740993, 1], 0.0)", "([9007199254740993, 1], 9007199254740992.0, 1, 9007199254740993)");
    check(fx, "([], 0.5)", "!t.my:3:8: min() arg is an empty sequence");
    fx_free(fx);

    fx = fx_new();
    p = begin(fx, 1, fx->lf);
    s = A(fx, P_LIST_SUM, fx->f, 1, 2, p[0], KF(fx, 0.0));
    lo = A(fx, P_LIST_MIN, fx->f, 1, 1, p[0]);
    hi = A(fx, P_LIST_MAX, fx->f, 2, 1, p[0]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 3, fx->f, fx->f, fx->f), 1, 3, s, lo, hi));
    /* left to right: (0.0 + 1e16) + 1.0 + -1e16; the first of equal items; nan never replaces nor is replaced */
    check(fx, "([1e16, 1.0, -1e16],)", "(0.0, -1e+16, 1e+16)");
    check(fx, "([0.0, -0.0],)", "(0.0, 0.0, 0.0)");
    check(fx, "([-0.0, 0.0],)", "(0.0, -0.0, -0.0)");
    check(fx, "([2.0, nan, 1.0],)", "(nan, 1.0, 2.0)");
    check(fx, "([nan, 1.0, 2.0],)", "(nan, nan, nan)");
    check(fx, "([],)", "!t.my:3:1: min() arg is an empty sequence");
    fx_free(fx);

    /* sum(bs) (an int), max(bs) */
    fx = fx_new();
    p = begin(fx, 1, fx->lb);
    s = A(fx, P_LIST_SUM, fx->i, 1, 2, p[0], KI(fx, 0));
    hi = A(fx, P_LIST_MAX, fx->b, 4, 1, p[0]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, fx->i, fx->b), 1, 2, s, hi));
    check(fx, "([True, False, True],)", "(2, True)");
    check(fx, "([],)", "!t.my:3:4: max() arg is an empty sequence");
    fx_free(fx);
}

/* (x in a, a == b, a != b) with an int x and float items: exact */
static void test_contains_and_equality(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 3, fx->lf, fx->i, fx->li);
    Node *in = A(fx, P_LIST_CONTAINS, fx->b, 1, 2, p[0], p[1]);
    Node *eq = A(fx, P_EQ, fx->b, 1, 2, p[0], p[2]);
    Node *ne = A(fx, P_NE, fx->b, 1, 2, p[2], p[0]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 3, fx->b, fx->b, fx->b), 1, 3, in, eq, ne));
    check(fx, "([1.0, 2.0], 2, [1, 2])", "(True, True, False)");
    check(fx, "([1.0, 2.5], 2, [1, 2])", "(False, False, True)");
    check(fx, "([9007199254740992.0], 9007199254740993, [9007199254740993])", "(False, False, True)");
    check(fx, "([], 0, [])", "(False, True, False)");
    check(fx, "([1.0], 1, [1, 1])", "(True, False, True)");
    check(fx, "([nan], 0, [0])", "(False, False, True)");
    fx_free(fx);

    /* nested: (a == b, x in a) for lists of lists of tuples */
    fx = fx_new();
    Type *row = type_list(fx->tt, tup(fx, 2, fx->i, fx->f));
    Type *m = type_list(fx->tt, row);
    p = begin(fx, 3, m, m, row);
    eq = A(fx, P_EQ, fx->b, 1, 2, p[0], p[1]);
    in = A(fx, P_LIST_CONTAINS, fx->b, 1, 2, p[0], p[2]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, fx->b, fx->b), 1, 2, eq, in));
    check(fx, "([[(1, 2.0)], []], [[(1, 2.0)], []], [])", "(True, True)");
    check(fx, "([[(1, 2.0)], []], [[(1, 2.5)], []], [(1, 2.0)])", "(False, True)");
    check(fx, "([[(1, 2.0)], []], [[(1, 2.0)]], [(1, 3.0)])", "(False, False)");
    check(fx, "([], [], [])", "(True, False)");
    fx_free(fx);

    /* list[?] == list[float], [] in a list of lists */
    fx = fx_new();
    p = begin(fx, 1, fx->lf);
    eq = A(fx, P_EQ, fx->b, 1, 2, A(fx, P_LIST_MAKE, fx->lq, 1, 0), p[0]);
    finish(fx, eq);
    check(fx, "([],)", "True");
    check(fx, "([0.0],)", "False");
    fx_free(fx);
}

/* list_convert: list[int] to list[float], list[list[int]] to
   list[list[float]], list[?] to list[float] */
static void test_convert(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Type *mi = type_list(fx->tt, fx->li), *mf = type_list(fx->tt, fx->lf);
    Node **p = begin(fx, 2, fx->li, mi);
    Node *a = A(fx, P_LIST_CONVERT, fx->lf, 1, 1, p[0]);
    Node *b = A(fx, P_LIST_CONVERT, mf, 1, 1, p[1]);
    Node *e = A(fx, P_LIST_CONVERT, fx->lf, 1, 1, A(fx, P_LIST_MAKE, fx->lq, 1, 0));
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 4, fx->lf, mf, fx->lf, fx->li), 1, 4, a, b, e, p[0]));
    check(fx, "([1, -2, 3], [[1], [], [2, 3]])", "([1.0, -2.0, 3.0], [[1.0], [], [2.0, 3.0]], [], [1, -2, 3])");
    check(fx, "([], [])", "([], [], [], [])");
    fx_free(fx);
}

/* The in-place variants: a = [..]; a.append(x) x6 (growth past the first
   capacity); a[0] = x; a.extend(a); y = a.pop(1); (a, y) */
static void test_inplace(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 2, fx->lf, fx->f);
    Node *a = A(fx, P_LIST_COPY, fx->lf, 1, 1, p[0]);
    for (int k = 0; k < 6; k++)
        a = A(fx, P_LIST_APPEND_INPLACE, fx->lf, 1, 2, a, p[1]);
    a = A(fx, P_LIST_SET_INPLACE, fx->lf, 6, 3, a, KI(fx, 0), KF(fx, -1.0));
    a = A(fx, P_LIST_EXTEND_INPLACE, fx->lf, 1, 2, a, a);
    Node *r = A(fx, P_LIST_POP_INPLACE, tup(fx, 2, fx->lf, fx->f), 9, 2, a, KI(fx, 1));
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, fx->lf, r->type), 1, 2, p[0], r));
    check(fx, "([1.0, 2.0], 0.5)",
          "([1.0, 2.0], ([-1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -1.0, 2.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 2.0))");
    check(fx, "([], 0.5)",
          "([], ([-1.0, 0.5, 0.5, 0.5, 0.5, -1.0, 0.5, 0.5, 0.5, 0.5, 0.5], 0.5))");
    fx_free(fx);

    /* errors of the in-place variants: [][0] = 1.0; [].pop() */
    fx = fx_new();
    p = begin(fx, 1, fx->lf);
    finish(fx, A(fx, P_LIST_SET_INPLACE, fx->lf, 6, 3, p[0], KI(fx, 0), KF(fx, 1.0)));
    check(fx, "([],)", "!t.my:3:6: list assignment index out of range");
    fx_free(fx);
    fx = fx_new();
    p = begin(fx, 1, fx->lf);
    finish(fx, A(fx, P_LIST_POP_INPLACE, tup(fx, 2, fx->lf, fx->f), 2, 2, p[0], KI(fx, -1)));
    check(fx, "([],)", "!t.my:3:2: pop from empty list");
    fx_free(fx);
}

/* A comprehension's accumulator: list_reserve(n) and list_push_inplace
   into its room; list_item, a loop's read in range.  f(xs, v) =
   a = reserve(3); a.append(xs[0]); a.append(xs[2]); a.append(v);
   (a, [v] with reserve(-2) grown by the copying list_push) */
static void test_reserve_push_item(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 2, fx->lf, fx->f);
    Node *a = A(fx, P_LIST_RESERVE, fx->lf, 1, 1, KI(fx, 3));
    a = A(fx, P_LIST_PUSH_INPLACE, fx->lf, 2, 2, a, A(fx, P_LIST_ITEM, fx->f, 3, 2, p[0], KI(fx, 0)));
    a = A(fx, P_LIST_PUSH_INPLACE, fx->lf, 4, 2, a, A(fx, P_LIST_ITEM, fx->f, 5, 2, p[0], KI(fx, 2)));
    a = A(fx, P_LIST_PUSH_INPLACE, fx->lf, 6, 2, a, p[1]);
    Node *b = A(fx, P_LIST_PUSH, fx->lf, 7, 2, A(fx, P_LIST_RESERVE, fx->lf, 8, 1, KI(fx, -2)), p[1]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, fx->lf, fx->lf), 1, 2, a, b));
    check(fx, "([1.0, 2.0, 3.0], 0.5)", "([1.0, 3.0, 0.5], [0.5])");
    fx_free(fx);

    /* the interpreter checks what native code takes for granted: a push
       past the room, a read out of range, are the compiler's errors */
    fx = fx_new();
    p = begin(fx, 1, fx->f);
    a = A(fx, P_LIST_RESERVE, fx->lf, 1, 1, KI(fx, 1));
    a = A(fx, P_LIST_PUSH_INPLACE, fx->lf, 2, 2, a, p[0]);
    finish(fx, A(fx, P_LIST_PUSH_INPLACE, fx->lf, 4, 2, a, p[0]));
    StrBuf out = {0};
    run(fx, "(0.5,)", -1, &out);
    assert_string_equal(sb_cstr(&out), "!t.my:3:4: internal error: list_push_inplace on a list of 1 items without room");
    fx_free(fx);
    fx = fx_new();
    p = begin(fx, 1, fx->lf);
    finish(fx, A(fx, P_LIST_ITEM, fx->f, 5, 2, p[0], KI(fx, 2)));
    run(fx, "([1.0, 2.0],)", -1, &out);
    assert_string_equal(sb_cstr(&out), "!t.my:3:5: internal error: list_item index 2 out of range for 2 items");
    sb_free(&out);
    fx_free(fx);
}

/* What the pipeline makes of comprehensions and loops, after the in-place
   pass (what the backend compiles): counts of primitives in the module. */
typedef struct Counts {
    int reserve, push_inplace, append_inplace, item, get, extend_inplace;
} Counts;

static Counts counts_after_inplace(const char *src)
{
    Compiled *c = compile(src, "f", NULL);
    assert_true(pipeline_run(&c->pc, STAGE_INPLACE));
    Module *m = c->typed;
    Counts k = {count_prim_applies(m, P_LIST_RESERVE), count_prim_applies(m, P_LIST_PUSH_INPLACE),
                count_prim_applies(m, P_LIST_APPEND_INPLACE), count_prim_applies(m, P_LIST_ITEM),
                count_prim_applies(m, P_LIST_GET), count_prim_applies(m, P_LIST_EXTEND_INPLACE)};
    release(c);
    return k;
}

/* Which comprehensions start with room and push without a check, and the
   loops' reads in range */
static void test_comprehension_room(void **state)
{
    (void)state;
    /* axpy: one unfiltered clause over zip; the loop reads both lists */
    Counts k = counts_after_inplace("def f(a: float, xs: list[float], ys: list[float]):\n"
                                    "    return [a * x + y for x, y in zip(xs, ys)]\n");
    assert_int_equal(k.reserve, 1);
    assert_int_equal(k.push_inplace, 1);
    assert_int_equal(k.append_inplace, 0);
    assert_int_equal(k.item, 2);
    assert_int_equal(k.get, 0);
    /* a filter: the count is not known, an ordinary append */
    k = counts_after_inplace("def f(xs: list[float]):\n    return [x for x in xs if x > 0.0]\n");
    assert_int_equal(k.reserve, 0);
    assert_int_equal(k.push_inplace, 0);
    assert_int_equal(k.append_inplace, 1);
    assert_int_equal(k.item, 1);
    /* two clauses: the inner one pushes into its room, the outer extends */
    k = counts_after_inplace("def f(xs: list[float], ys: list[float]):\n"
                             "    return [x * y for x in xs for y in ys]\n");
    assert_int_equal(k.reserve, 1);
    assert_int_equal(k.push_inplace, 1);
    assert_int_equal(k.extend_inplace, 1);
    assert_int_equal(k.item, 2);
    /* a range counts with a counter that wraps: no room by count; a for
       statement's read of its list and a user's index */
    k = counts_after_inplace("def f(xs: list[float], n: int):\n"
                             "    s = 0.0\n"
                             "    for x in xs:\n"
                             "        s += x * xs[n]\n"
                             "    return ([s * i for i in range(n)], s)\n");
    assert_int_equal(k.reserve, 0);
    assert_int_equal(k.push_inplace, 0);
    assert_int_equal(k.item, 1);
    assert_int_equal(k.get, 1);
}

/* sum([x] * n): 10**7 items in one large block, freed with the arena */
static void test_ten_million(void **state)
{
    (void)state;
    Fx *fx = fx_new();
    Node **p = begin(fx, 2, fx->f, fx->i);
    Node *l = A(fx, P_LIST_REPEAT, fx->lf, 1, 2, A(fx, P_LIST_MAKE, fx->lf, 1, 1, p[0]), p[1]);
    Node *a = A(fx, P_LIST_APPEND_INPLACE, fx->lf, 1, 2, l, p[0]);
    finish(fx, A(fx, P_MAKE_TUPLE, tup(fx, 2, fx->f, fx->i), 1, 2, A(fx, P_LIST_SUM, fx->f, 1, 2, a, KF(fx, 0.0)),
                 A(fx, P_LIST_LEN, fx->i, 1, 1, a)));
    StrBuf out = {0};
    for (int opt = 0; opt <= 2; opt += 2) {
        run(fx, "(0.5, 10000000)", opt, &out);
        assert_string_equal(sb_cstr(&out), "(5000000.5, 10000001)");
        myrt_stats st;
        myrt_last_stats(&st);
        /* the repetition's block, grown in place (realloc) to twice its size by the append */
        assert_int_equal(st.big_blocks, 1);
        assert_int_equal(st.big_peak_bytes, 160000000);
        assert_true(st.arena_bytes < 4096);
    }
    sb_free(&out);
    fx_free(fx);
}

static int teardown_llvm(void **state)
{
    (void)state;
    LLVMShutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_append_and_make),
        cmocka_unit_test(test_pop),
        cmocka_unit_test(test_concat_repeat),
        cmocka_unit_test(test_extend_irepeat),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_copy_sum_min_max),
        cmocka_unit_test(test_contains_and_equality),
        cmocka_unit_test(test_convert),
        cmocka_unit_test(test_inplace),
        cmocka_unit_test(test_reserve_push_item),
        cmocka_unit_test(test_comprehension_room),
        cmocka_unit_test(test_ten_million),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_llvm);
}
