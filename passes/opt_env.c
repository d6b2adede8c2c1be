/*
 * opt_env.c: cancelling environment writes and reads.
 *
 * Assumes a fresh analysis (opt_pass.h).  An env (the sensitivities of a
 * closure's free variables, by key) built by env_set chains and read back
 * in the same program needs no env at all:
 *
 *   env_get(env_set(e, k, d), k, x)  -> d          (or the zero of the
 *                                                    read's type, d zero)
 *   env_get(env_set(e, j, d), k, x)  -> env_get(e, k, x)       (j != k)
 *   env_get(newenv(), k, x)          -> the zero of the read's type
 *   env_get(sens_add(a, b), k, x)    -> sens_add(env_get(a, k, x),
 *                                                env_get(b, k, x))
 *   env_get(switch(c, a, b), k, x)   -> switch(c, env_get(a, k, x),
 *                                         env_get(b, k, x))
 *                                       when a or b is a newenv or env_set
 *                                       (the reads then cancel)
 *   env_set(e, k, zero)              -> e, when e has no key k
 *   env_set(env_set(e, k, d), k, d2) -> env_set(e, k, d2)
 *   env_get(e, k, x)                 -> env_get(e, k, z), z the zero of
 *                                       x's type, when that type is made
 *                                       of floats (x only gives the shape
 *                                       of an absent key's zero, and one
 *                                       type has one shape: the
 *                                       backpropagator that reads no
 *                                       longer keeps x)
 *
 * Guarantees: the same values (ev_env_get, ev_env_set); none of these can
 * fail.
 */
#include "opt_pass.h"

enum { ENV_WALK = 4096 };  /* env_set chains followed at most this far */

static bool same_key(const Node *a, const Node *b)
{
    return opt_is_int_const(a) && opt_is_int_const(b) && a->k.u.i == b->k.u.i;
}

static bool is_zero_typed(const Node *x)
{
    return x->type && x->type->kind == T_ZERO;
}

/* The read x (env_get(_, k, v)) of env e instead. */
static Node *read_of(Node *x, Node *e)
{
    return opt_apply_prim(x->graph, x->type, P_ENV_GET, x->loc, 3, e, x->app.in[2], x->app.in[3]);
}

/* The read x replaced by the zero of its type (what an absent key reads). */
static int read_zero(OptCtx *c, Node *x)
{
    Node *z = opt_zero_of(c, x->graph, x->type, x->loc);
    return z ? opt_replace(c, x, z) : 0;
}

static int read(OptCtx *c, Node *x)
{
    Node *e = x->app.in[1], *key = x->app.in[2];
    for (int steps = 0; steps < ENV_WALK; steps++) {
        if (opt_is_prim(e, P_ENV_SET) && e->app.n == 4) {
            if (same_key(e->app.in[2], key)) {
                Node *d = e->app.in[3];
                if (d->type == x->type)
                    return opt_replace(c, x, d);
                return is_zero_typed(d) ? read_zero(c, x) : 0;
            }
            if (!opt_is_int_const(e->app.in[2]) || !opt_is_int_const(key))
                return 0;
            e = e->app.in[1];
            continue;
        }
        if (opt_is_prim(e, P_NEWENV))
            return read_zero(c, x);
        if (opt_is_prim(e, P_SADD) && e->app.n == 3)
            return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_SADD, x->loc, 2, read_of(x, e->app.in[1]),
                                                    read_of(x, e->app.in[2])));
        if (opt_is_prim(e, P_SWITCH) && e->app.n == 4) {
            Node *a = e->app.in[2], *b = e->app.in[3];
            if (!opt_is_prim(a, P_NEWENV) && !opt_is_prim(a, P_ENV_SET) && !opt_is_prim(b, P_NEWENV) &&
                !opt_is_prim(b, P_ENV_SET))
                break;
            return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_SWITCH, x->loc, 3, e->app.in[1],
                                                    read_of(x, a), read_of(x, b)));
        }
        break;
    }
    if (e == x->app.in[1])
        return 0;
    return opt_replace(c, x, read_of(x, e));
}

/* Whether env e certainly has no entry under key. */
static bool lacks(Node *e, Node *key)
{
    for (int steps = 0; steps < ENV_WALK; steps++) {
        if (opt_is_prim(e, P_NEWENV))
            return true;
        if (!opt_is_prim(e, P_ENV_SET) || e->app.n != 4 || !opt_is_int_const(e->app.in[2]) ||
            !opt_is_int_const(key) || same_key(e->app.in[2], key))
            return false;
        e = e->app.in[1];
    }
    return false;
}

static int write(OptCtx *c, Node *x)
{
    Node *e = x->app.in[1], *key = x->app.in[2], *d = x->app.in[3];
    if (is_zero_typed(d) && lacks(e, key))
        return opt_replace(c, x, e);
    if (opt_is_prim(e, P_ENV_SET) && e->app.n == 4 && same_key(e->app.in[2], key)) {
        Node *in[4] = {x->app.in[0], e->app.in[1], key, d};
        return opt_replace(c, x, opt_apply(x->graph, x->type, in, 4, x->loc));
    }
    return 0;
}

/* Whether x is what opt_zero_of builds: 0.0, zero() or a tuple of those. */
static bool is_zero_of_type(const Node *x)
{
    if (opt_is_float(x, 0.0) || opt_is_prim(x, P_ZERO))
        return true;
    if (!opt_is_prim(x, P_MAKE_TUPLE))
        return false;
    for (int i = 1; i < x->app.n; i++)
        if (!is_zero_of_type(x->app.in[i]))
            return false;
    return true;
}

/* env_get(e, k, x) -> env_get(e, k, zero of x's type).  x stays computed
   where it has other uses; a value only the read uses is left alone, so
   that no error it raises is dropped. */
static int shape_only(OptCtx *c, Node *x)
{
    Node *w = x->app.in[3];
    if (!type_is_float_shaped(w->type) || is_zero_of_type(w) || (w->kind == N_APPLY && opt_only_used_by(w, x)))
        return 0;
    Node *z = opt_zero_of(c, x->graph, w->type, x->loc);
    if (!z)
        return 0;
    return opt_replace(c, x, opt_apply_prim(x->graph, x->type, P_ENV_GET, x->loc, 3, x->app.in[1], x->app.in[2], z));
}

static int rewrite(OptCtx *c, Node *x)
{
    if (opt_is_prim(x, P_ENV_GET) && x->app.n == 4)
        return read(c, x) || shape_only(c, x);
    if (opt_is_prim(x, P_ENV_SET) && x->app.n == 4)
        return write(c, x);
    return 0;
}

int opt_env(OptCtx *c)
{
    return opt_rewrite_all(c, rewrite);
}
