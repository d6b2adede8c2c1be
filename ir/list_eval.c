/*
 * list_eval.c: the evaluators of the list primitives (ir/prims.def, "lists"),
 * with CPython's semantics and error messages (contract section 5).
 *
 * Lists are values: an evaluator never changes a list it is given; a
 * change builds a new list (O(n) here, where native code changes in place
 * what passes/inplace.c proves no one else sees).  Like prim_eval.c, every
 * evaluator checks its operands' kinds and reports type confusion as a
 * runtime error, so untyped IR runs too; and nothing here recurses over the
 * nesting of the values.
 */
#include "interp.h"

#include <string.h>

static const char *tn(const Value *v) { return value_type_name(v); }

static bool as_int(const Value *v, int64_t *i)
{
    if (v->kind == V_INT)
        *i = v->i;
    else if (v->kind == V_BOOL)
        *i = v->b;
    else
        return false;
    return true;
}

/* args[k] as a list, or a TypeError in CPython's words for `what`. */
static int need_list(EvalCtx *cx, const Value *args, int k, const char *what, List **out)
{
    if (args[k].kind != V_LIST)
        return eval_raise(cx, "%s: expected a list, not '%s'", what, tn(&args[k]));
    *out = args[k].list;
    return 0;
}

/* need_list for an operand whose items are read: a list whose storage an
   in-place change moved has none (passes/inplace.c was wrong to let it be
   read). */
static int need_items(EvalCtx *cx, const Value *args, int k, const char *what, List **out)
{
    if (need_list(cx, args, k, what, out))
        return 3;
    if ((*out)->moved)
        return eval_raise(cx, "internal error: %s reads a list whose storage an in-place change took", what);
    return 0;
}

/* An in-place change of l's length: the storage moves to a new list, which
   the change then works on; l keeps its length and the shape of its items
   (value.h, List.moved). */
static List *move_storage(EvalCtx *cx, List *l)
{
    List *nl = eval_new_list(cx, 0, 0);
    if (!l->cap)
        return nl;      /* no storage to take (an empty list may be shared: native code's has none) */
    nl->items = l->items;
    nl->len = l->len;
    nl->cap = l->cap;
    l->shape = l->len ? l->items[0] : value_float(0.0);
    l->items = NULL;
    l->cap = 0;
    l->moved = true;
    return nl;
}

/* A list index normalised to 0..len-1, or -1 when out of range. */
static int64_t norm_index(int64_t i, int64_t len)
{
    if (i < 0)
        i += len;       /* no overflow: len >= 0 and i < 0 */
    return i >= 0 && i < len ? i : -1;
}

static int need_index(EvalCtx *cx, const Value *v, int64_t *i)
{
    if (!as_int(v, i))
        return eval_raise(cx, "list indices must be integers or slices, not %s", tn(v));
    return 0;
}

/* A new list holding l's n items from `from`, with room for cap. */
static List *copy_items(EvalCtx *cx, const List *l, int64_t from, int64_t n, int64_t cap)
{
    List *r = eval_new_list(cx, n, cap);
    if (n)
        memcpy(r->items, l->items + from, sizeof(Value) * (size_t)n);
    return r;
}

int ev_list_make(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p;
    List *l = eval_new_list(cx, n, n);
    for (int i = 0; i < n; i++)
        l->items[i] = args[i];
    *out = value_list(l);
    return 0;
}

int ev_list_len(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    if (args[0].kind == V_LIST)
        *out = value_int(args[0].list->len);
    else if (args[0].kind == V_TUPLE)
        *out = value_int(args[0].tup->n);
    else
        return eval_raise(cx, "object of type '%s' has no len()", tn(&args[0]));
    return 0;
}

int ev_list_get(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t i = 0;
    if (args[0].kind != V_LIST)
        return eval_raise(cx, "'%s' object is not subscriptable", tn(&args[0]));
    if (need_items(cx, args, 0, "list_get", &l) || need_index(cx, &args[1], &i))
        return 3;
    int64_t k = norm_index(i, l->len);
    if (k < 0)
        return eval_raise(cx, "list index out of range");
    *out = l->items[k];
    return 0;
}

/* list_get whose index the lowering proved in range (a loop's read of the
   list it runs over): out of range is the lowering's error, not the
   program's. */
int ev_list_item(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t i = 0;
    if (need_items(cx, args, 0, "list_item", &l) || need_index(cx, &args[1], &i))
        return 3;
    if (i < 0 || i >= l->len)
        return eval_raise(cx, "internal error: list_item index %lld out of range for %lld items", (long long)i,
                          (long long)l->len);
    *out = l->items[i];
    return 0;
}

/* The empty list with room for n items (as native code makes it, so that
   list_push_inplace can check that room). */
int ev_list_reserve(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    int64_t k = 0;
    if (need_index(cx, &args[0], &k))
        return 3;
    *out = value_list(eval_new_list(cx, 0, k > 0 ? k : 0));
    return 0;
}

int ev_list_set(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t i = 0;
    if (args[0].kind != V_LIST)
        return eval_raise(cx, "'%s' object does not support item assignment", tn(&args[0]));
    l = args[0].list;
    if (need_index(cx, &args[1], &i))
        return 3;
    int64_t k = norm_index(i, l->len);
    if (k < 0)
        return eval_raise(cx, "list assignment index out of range");
    List *r = copy_items(cx, l, 0, l->len, l->len);
    r->items[k] = args[2];
    *out = value_list(r);
    return 0;
}

int ev_list_append(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    if (need_items(cx, args, 0, "append()", &l))
        return 3;
    List *r = copy_items(cx, l, 0, l->len, l->len + 1);
    eval_list_push(cx, r, args[1]);
    *out = value_list(r);
    return 0;
}

/* pop(a, i)'s list and the item's place, or CPython's error. */
static int pop_place(EvalCtx *cx, const Value *args, List **l, int64_t *k)
{
    int64_t i = 0;
    if (need_items(cx, args, 0, "pop()", l))
        return 3;
    if (!as_int(&args[1], &i))
        return eval_raise(cx, "'%s' object cannot be interpreted as an integer", tn(&args[1]));
    if ((*l)->len == 0)
        return eval_raise(cx, "pop from empty list");
    *k = norm_index(i, (*l)->len);
    if (*k < 0)
        return eval_raise(cx, "pop index out of range");
    return 0;
}

int ev_list_pop(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t k = 0;
    if (pop_place(cx, args, &l, &k))
        return 3;
    List *r = eval_new_list(cx, l->len - 1, l->len - 1);
    if (k > 0)      /* (r->items is NULL when r is empty) */
        memcpy(r->items, l->items, sizeof(Value) * (size_t)k);
    if (l->len - 1 - k > 0)
        memcpy(r->items + k, l->items + k + 1, sizeof(Value) * (size_t)(l->len - 1 - k));
    Tuple *t = eval_new_tuple(cx, 2);
    t->items[0] = value_list(r);
    t->items[1] = l->items[k];
    *out = value_tuple(t);
    return 0;
}

int eval_list_concat(EvalCtx *cx, const Value *a, const Value *b, Value *out)
{
    if (a->kind != V_LIST || b->kind != V_LIST)
        return eval_raise(cx, "can only concatenate list (not \"%s\") to list", tn(a->kind == V_LIST ? b : a));
    const List *x = a->list, *y = b->list;
    if (x->moved || y->moved)
        return eval_raise(cx, "internal error: list_concat reads a list whose storage an in-place change took");
    List *r = copy_items(cx, x, 0, x->len, x->len + y->len);
    if (y->len)
        memcpy(r->items + x->len, y->items, sizeof(Value) * (size_t)y->len);
    r->len = x->len + y->len;
    *out = value_list(r);
    return 0;
}

int ev_list_concat(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return eval_list_concat(cx, &args[0], &args[1], out);
}

/* Repetition beyond this many items is a MemoryError in CPython too (it
   could not allocate them); here it is reported before trying. */
static const int64_t LIST_MAX_ITEMS = (int64_t)1 << 40;

int eval_list_repeat(EvalCtx *cx, const Value *a, const Value *count, Value *out)
{
    int64_t k;
    if (a->kind != V_LIST || !as_int(count, &k))
        return eval_raise(cx, "can't multiply sequence by non-int of type '%s'",
                          tn(a->kind == V_LIST ? count : a));
    const List *l = a->list;
    if (k <= 0 || l->len == 0) {
        *out = value_list(eval_new_list(cx, 0, 0));
        return 0;
    }
    if (k > LIST_MAX_ITEMS / l->len)
        return eval_raise(cx, "cannot fit the repeated list in memory");
    List *r = eval_new_list(cx, l->len * k, l->len * k);
    for (int64_t j = 0; j < k; j++)
        memcpy(r->items + j * l->len, l->items, sizeof(Value) * (size_t)l->len);
    *out = value_list(r);
    return 0;
}

int ev_list_repeat(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return eval_list_repeat(cx, &args[0], &args[1], out);
}

/* Python's slice.indices: the first index, and the count, of a[start:stop:step]. */
int eval_slice_indices(int64_t len, int64_t start, int64_t stop, int64_t step, int omitted, int64_t *first,
                       int64_t *count)
{
    if (omitted & 4)
        step = 1;
    if (step == 0)
        return -1;
    if (step < -INT64_MAX)
        step = -INT64_MAX;      /* as CPython clamps it */
    bool back = step < 0;
    if (omitted & 1) {
        start = back ? len - 1 : 0;
    } else if (start < 0) {
        start += len;
        if (start < 0)
            start = back ? -1 : 0;
    } else if (start >= len) {
        start = back ? len - 1 : len;
    }
    if (omitted & 2) {
        stop = back ? -1 : len;
    } else if (stop < 0) {
        stop += len;
        if (stop < 0)
            stop = back ? -1 : 0;
    } else if (stop >= len) {
        stop = back ? len - 1 : len;
    }
    uint64_t n = 0;
    if (back && stop < start)
        n = ((uint64_t)(start - stop) - 1) / (uint64_t)(-step) + 1;
    else if (!back && start < stop)
        n = ((uint64_t)(stop - start) - 1) / (uint64_t)step + 1;
    *first = start;
    *count = (int64_t)n;
    return 0;
}

/* list_slice's operands (a, start, stop, step, omitted): a's items, the
   first index taken, how many and the step; 0, or eval_raise's status. */
static int slice_operands(EvalCtx *cx, const Value *args, List **l, int64_t *first, int64_t *count, int64_t *step,
                          int64_t *omitted)
{
    int64_t b[3] = {0, 0, 0};
    if (need_items(cx, args, 0, "slice", l))
        return 3;
    if (!as_int(&args[4], omitted))
        return eval_raise(cx, "list_slice: the omitted mask must be an int");
    for (int k = 0; k < 3; k++)
        if (!as_int(&args[1 + k], &b[k]) && !(*omitted & (1 << k)))
            return eval_raise(cx, "slice indices must be integers, not %s", tn(&args[1 + k]));
    if (eval_slice_indices((*l)->len, b[0], b[1], b[2], (int)*omitted, first, count))
        return eval_raise(cx, "slice step cannot be zero");
    *step = *omitted & 4 ? 1 : b[2] < -INT64_MAX ? -INT64_MAX : b[2];
    return 0;
}

/* A new list of count items of l from first, step apart. */
static Value slice_copy(EvalCtx *cx, const List *l, int64_t first, int64_t count, int64_t step)
{
    List *r = eval_new_list(cx, count, count);
    for (int64_t k = 0; k < count; k++)
        r->items[k] = l->items[first + k * step];
    return value_list(r);
}

int ev_list_slice(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t first, count, step, omitted;
    int st = slice_operands(cx, args, &l, &first, &count, &step, &omitted);
    if (st)
        return st;
    *out = slice_copy(cx, l, first, count, step);
    return 0;
}

/* list_slice in a's storage: a contiguous slice moved to the front of the
   storage, which the result takes (value.h, List.moved); with a step, a
   new list as list_slice makes. */
int ev_list_slice_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t first, count, step, omitted;
    int st = slice_operands(cx, args, &l, &first, &count, &step, &omitted);
    if (st)
        return st;
    if (!(omitted & 4)) {
        *out = slice_copy(cx, l, first, count, step);
        return 0;
    }
    l = move_storage(cx, l);
    if (count)
        memmove(l->items, l->items + first, sizeof(Value) * (size_t)count);
    l->len = count;
    *out = value_list(l);
    return 0;
}

/* list_unslice(d, a, start, stop, step, omitted): zeros shaped like a,
   with d's items where a[start:stop:step] took a's (d empty: all zeros). */
int ev_list_unslice(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *d = NULL, *a = NULL;
    int64_t b[3] = {0, 0, 0}, omitted;
    if (need_items(cx, args, 0, "list_unslice", &d) || need_list(cx, args, 1, "list_unslice", &a))
        return 3;
    if (!as_int(&args[5], &omitted))
        return eval_raise(cx, "list_unslice: the omitted mask must be an int");
    for (int k = 0; k < 3; k++)
        if (!as_int(&args[2 + k], &b[k]) && !(omitted & (1 << k)))
            return eval_raise(cx, "slice indices must be integers, not %s", tn(&args[2 + k]));
    int64_t first, count;
    if (eval_slice_indices(a->len, b[0], b[1], b[2], (int)omitted, &first, &count))
        return eval_raise(cx, "slice step cannot be zero");
    if (d->len != 0 && d->len != count)
        return eval_raise(cx, "internal error: list_unslice of %lld items for a slice of %lld", (long long)d->len,
                          (long long)count);
    int64_t step = omitted & 4 ? 1 : b[2] < -INT64_MAX ? -INT64_MAX : b[2];
    Value z = value_zero();
    Value dense;
    if (eval_sens_dense(cx, args + 1, &z, &dense))
        return 3;
    List *r = dense.list;
    for (int64_t k = 0; k < count && d->len; k++)
        if (eval_sens_dense(cx, list_shape_item(a, first + k * step), &d->items[k], &r->items[first + k * step]))
            return 3;
    *out = dense;
    return 0;
}

/* list_addat(x, a, i, v) and its _inplace form: x (zeros shaped like a
   when x is empty) with v added to item i; in place, x's own items. */
static int addat(EvalCtx *cx, const Value *args, bool inplace, Value *out)
{
    List *x = NULL, *a = NULL;
    int64_t i;
    Value xs[1] = {args[0]};
    if (xs[0].kind == V_ZERO)   /* a symbolic zero: the empty list, as native code coerces it */
        xs[0] = value_list(eval_new_list(cx, 0, 0));
    if (need_items(cx, xs, 0, "list_addat", &x) || need_list(cx, args, 1, "list_addat", &a))
        return 3;
    if (!as_int(&args[2], &i) || (i = norm_index(i, a->len)) < 0 || (x->len && x->len != a->len))
        return eval_raise(cx, "internal error: list_addat out of range");
    Value base, z = value_zero();
    if (x->len == 0) {
        if (eval_sens_dense(cx, &args[1], &z, &base))
            return 3;
    } else {
        base = inplace ? xs[0] : value_list(copy_items(cx, x, 0, x->len, x->len));
    }
    Value sum;
    if (eval_sens_add(cx, &base.list->items[i], &args[3], &sum))
        return 3;
    base.list->items[i] = sum;
    *out = base;
    return 0;
}

int ev_list_addat(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return addat(cx, args, false, out);
}

int ev_list_addat_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return addat(cx, args, true, out);
}

/* list_unrepeat(d, a): item j of the result is the sum of d[j],
   d[j + len(a)], ... (d is the sensitivity of a * k; empty: zeros). */
int ev_list_unrepeat(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *d = NULL, *a = NULL;
    if (need_items(cx, args, 0, "list_unrepeat", &d) || need_list(cx, args, 1, "list_unrepeat", &a))
        return 3;
    if (a->len ? d->len % a->len : d->len)
        return eval_raise(cx, "internal error: list_unrepeat of %lld items for a list of %lld", (long long)d->len,
                          (long long)a->len);
    Value z = value_zero(), acc;
    if (eval_sens_dense(cx, args + 1, &z, &acc))
        return 3;
    List *r = acc.list;
    for (int64_t k = 0; k < d->len; k++)
        if (eval_sens_add(cx, &r->items[k % a->len], &d->items[k], &r->items[k % a->len]))
            return 3;
    for (int64_t j = 0; j < r->len; j++)       /* a sum of empty zeros is one */
        if (eval_sens_dense(cx, list_shape_item(a, j), &r->items[j], &r->items[j]))
            return 3;
    *out = acc;
    return 0;
}

int ev_list_copy(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    if (need_items(cx, args, 0, "list()", &l))
        return 3;
    *out = value_list(copy_items(cx, l, 0, l->len, l->len));
    return 0;
}

int ev_list_sum(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    if (need_items(cx, args, 0, "sum()", &l))
        return 3;
    const PrimInfo *add = prim_info(P_ADD);
    Value acc = args[1];
    for (int64_t i = 0; i < l->len; i++) {
        Value two[2] = {acc, l->items[i]};
        if (add->eval(cx, add, two, 2, &acc))
            return 3;
    }
    /* sum([True, True]) is 2: an int even when nothing was added to a bool start */
    if (acc.kind == V_BOOL)
        acc = value_int(acc.b);
    *out = acc;
    return 0;
}

/* The place of the item min (max) returns: the first one no later item
   beats (CPython's: an item replaces the best when it is better). */
static int argbest(EvalCtx *cx, const Value *args, PrimId better, const char *name, Value *out)
{
    List *l = NULL;
    if (need_items(cx, args, 0, name, &l))
        return 3;
    if (l->len == 0)
        return eval_raise(cx, "%s() arg is an empty sequence", name);
    const PrimInfo *cmp = prim_info(better);
    int64_t best = 0;
    for (int64_t i = 1; i < l->len; i++) {
        Value two[2] = {l->items[i], l->items[best]}, r;
        if (cmp->eval(cx, cmp, two, 2, &r))
            return 3;
        if (r.kind == V_BOOL && r.b)
            best = i;
    }
    *out = value_int(best);
    return 0;
}

int ev_list_argmin(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return argbest(cx, args, P_LT, "min", out);
}

int ev_list_argmax(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    return argbest(cx, args, P_GT, "max", out);
}

int ev_list_min(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Value k;
    if (argbest(cx, args, P_LT, "min", &k))
        return 3;
    *out = args[0].list->items[k.i];
    return 0;
}

int ev_list_max(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    Value k;
    if (argbest(cx, args, P_GT, "max", &k))
        return 3;
    *out = args[0].list->items[k.i];
    return 0;
}

int ev_list_contains(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    if (args[0].kind != V_LIST)
        return eval_raise(cx, "argument of type '%s' is not iterable", tn(&args[0]));
    if (need_items(cx, args, 0, "in", &l))
        return 3;
    bool found = false;
    for (int64_t i = 0; i < l->len && !found; i++)
        found = eval_values_equal(&l->items[i], &args[1]);
    *out = value_bool(found);
    return 0;
}

int ev_list_convert(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    const Node *app = eval_node(cx);
    if (!app || !app->type || app->type->kind != T_LIST)
        return eval_raise(cx, "list_convert needs the list type it converts to (typed IR)");
    if (args[0].kind != V_LIST)
        return eval_raise(cx, "list_convert: expected a list, not '%s'", tn(&args[0]));
    Value v = args[0];
    if (eval_coerce(cx, &v, app->type)) {
        StrBuf sb = {0};
        type_str(app->type, &sb);
        int rc = eval_raise(cx, "list_convert: cannot convert this list to %s", sb_cstr(&sb));
        sb_free(&sb);
        return rc;
    }
    /* a new list, as passes/inplace.c counts it (an in-place change of the
       result must not reach the operand): copied when nothing converted */
    if (v.list == args[0].list)
        v = value_list(copy_items(cx, v.list, 0, v.list->len, v.list->len));
    *out = v;
    return 0;
}

/* ---- the in-place changes: the operand's storage is reused (nothing reads
   it afterwards, as passes/inplace.c proved; if that proof were wrong, the
   interpreter's results after that pass would show it) ---- */

int ev_list_set_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    int64_t i = 0;
    if (args[0].kind != V_LIST)
        return eval_raise(cx, "'%s' object does not support item assignment", tn(&args[0]));
    List *l = args[0].list;
    if (need_index(cx, &args[1], &i))
        return 3;
    if (l->moved)
        return eval_raise(cx, "internal error: list assignment to a list whose storage an in-place change took");
    int64_t k = norm_index(i, l->len);
    if (k < 0)
        return eval_raise(cx, "list assignment index out of range");
    l->items[k] = args[2];
    *out = args[0];
    return 0;
}

int ev_list_append_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    if (need_items(cx, args, 0, "append()", &l))
        return 3;
    l = move_storage(cx, l);
    eval_list_push(cx, l, args[1]);
    *out = value_list(l);
    return 0;
}

/* list_append_inplace where passes/inplace.c found room by provenance:
   native code stores without a capacity check, so no room is its error. */
int ev_list_push_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    List *l = NULL;
    if (need_items(cx, args, 0, "list_push_inplace", &l))
        return 3;
    if (l->len >= l->cap)
        return eval_raise(cx, "internal error: list_push_inplace on a list of %lld items without room",
                          (long long)l->len);
    return ev_list_append_inplace(cx, p, args, n, out);
}

int ev_list_pop_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL;
    int64_t k = 0;
    if (pop_place(cx, args, &l, &k))
        return 3;
    l = move_storage(cx, l);
    Value x = l->items[k];
    memmove(l->items + k, l->items + k + 1, sizeof(Value) * (size_t)(l->len - 1 - k));
    l->len--;
    Tuple *t = eval_new_tuple(cx, 2);
    t->items[0] = value_list(l);
    t->items[1] = x;
    *out = value_tuple(t);
    return 0;
}

int ev_list_extend_inplace(EvalCtx *cx, const PrimInfo *p, const Value *args, int n, Value *out)
{
    (void)p, (void)n;
    List *l = NULL, *m = NULL;
    if (need_items(cx, args, 0, "extend()", &l) || need_items(cx, args, 1, "extend()", &m))
        return 3;
    bool self = m == l;
    l = move_storage(cx, l);
    if (self)
        m = l;
    int64_t len = m->len;  /* a.extend(a): the items as they were */
    for (int64_t i = 0; i < len; i++)
        eval_list_push(cx, l, m->items[i]);
    *out = value_list(l);
    return 0;
}
