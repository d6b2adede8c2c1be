/*
 * opt_tuple.c: tuples built only to be taken apart.
 *
 * Assumes a fresh analysis (opt_pass.h) and inference's normal form
 * (getitem indices are constants in 0..n-1).  Rewrites
 *
 *   getitem(make_tuple(a0, ..., an), i)         -> ai
 *   make_tuple(getitem(t, 0), ..., getitem(t, n-1)) -> t   (t of that type)
 *   unpack(t, n)                                -> t       (its check is static)
 *   onehot(t, i, d)                             -> make_tuple(zero, .., d, .., zero)
 *
 * Guarantees: each replacement has the replaced node's type and value;
 * none of these primitives can fail on typed operands, and an element a
 * projection drops that may fail (opt_may_fail) is kept by a depend, so
 * no error is lost.
 */
#include "opt_pass.h"

/* x = getitem(t, i), t = make_tuple(a0, ..., an): by ai, after (depend)
   the other elements that may fail and that only t uses, in order, so
   their errors still happen; not when one after ai may fail and so may ai
   (its error came first). */
static int project(OptCtx *c, Node *x, Node *t, int i)
{
    Node *ai = t->app.in[i + 1];
    NodeVec keep = {0};
    bool later = false;
    for (int j = 0; j < t->app.n - 1; j++) {
        Node *a = t->app.in[j + 1];
        if (j != i && a->kind == N_APPLY && a != ai && opt_only_used_by(a, t) && opt_may_fail(c->fails, a)) {
            vec_push(&keep, a);
            later |= j > i;
        }
    }
    int done = 0;
    if (!(later && opt_may_fail(c->fails, ai)))
        done = opt_replace(c, x, opt_apply_depend(c, x->graph, x->type, keep.data, keep.len, ai, x->loc));
    vec_free(&keep);
    return done;
}

static int rewrite(OptCtx *c, Node *x)
{
    if (opt_is_prim(x, P_GETITEM) && x->app.n == 3 && opt_is_int_const(x->app.in[2])) {
        Node *t = x->app.in[1];
        int64_t i = x->app.in[2]->k.u.i;
        if (opt_is_prim(t, P_MAKE_TUPLE) && i >= 0 && i < t->app.n - 1)
            return project(c, x, t, (int)i);
        return 0;
    }
    if (opt_is_prim(x, P_ONEHOT) && x->app.n == 4 && opt_is_int_const(x->app.in[2]) && x->type &&
        x->type->kind == T_TUPLE && x->type->n <= 64) {
        int64_t i = x->app.in[2]->k.u.i;
        Type *t = x->type;
        if (i < 0 || i >= t->n || t->elems[i] != x->app.in[3]->type)
            return 0;
        Node *in[65];
        in[0] = ir_const_prim(c->m, P_MAKE_TUPLE, x->loc);
        for (int k = 0; k < t->n; k++)
            if (!(in[k + 1] = k == i ? x->app.in[3] : opt_zero_of(c, x->graph, t->elems[k], x->loc)))
                return 0;
        return opt_replace(c, x, opt_apply(x->graph, t, in, t->n + 1, x->loc));
    }
    if (opt_is_prim(x, P_UNPACK) && x->app.n >= 3)
        return opt_replace(c, x, x->app.in[1]);
    if (opt_is_prim(x, P_MAKE_TUPLE) && x->app.n > 1) {
        Node *t = NULL;
        for (int i = 1; i < x->app.n; i++) {
            Node *e = x->app.in[i];
            if (!opt_is_prim(e, P_GETITEM) || e->app.n != 3 || !opt_is_int_const(e->app.in[2]) ||
                e->app.in[2]->k.u.i != i - 1 || (t && e->app.in[1] != t))
                return 0;
            t = e->app.in[1];
        }
        return opt_replace(c, x, t);
    }
    return 0;
}

int opt_tuple(OptCtx *c)
{
    OptFails f = opt_fails_new(c);
    c->fails = &f;
    int done = opt_rewrite_all(c, rewrite);
    c->fails = NULL;
    opt_fails_free(&f);
    return done;
}
