/*
 * opt_fold.c: constant folding.
 *
 * Assumes a fresh analysis (opt_pass.h).  A scalar primitive (operators,
 * comparisons, truth, the math builtins, conversions, the scalar
 * sensitivity operations) whose operands are all int, float or bool
 * constants becomes the constant it evaluates to.  The value comes from
 * the interpreter's evaluator (interp_eval_prim), the same code that
 * defines the primitive, so folding cannot change a result.  A primitive
 * that fails on its constants (1 // 0, int(nan)) is left in place, so the
 * error still happens at run time, where and when the program reaches it.
 *
 * rebind(@F, key, j, ...) of a graph constant is the constant of the graph
 * it names (J of a known function is a known function) when that graph has
 * F's parent, so that the closure is made over the same frame.
 *
 * Guarantees: the constant has the node's type and value.
 */
#include "opt_pass.h"

static bool foldable(PrimId p)
{
    if (prim_info(p)->flags & (PF_ARITH | PF_COMPARE | PF_BUILTIN))
        return true;
    switch (p) {
    case P_NOT: case P_TRUTH: case P_SADD: case P_SSCALE: case P_XLOGY: case P_RANGE_COND:
    case P_RANGE_STEP: case P_TO_DIFF: case P_SFOR:
        return true;
    default:
        return false;
    }
}

static bool to_value(const Node *k, Value *v)
{
    if (k->kind != N_CONST)
        return false;
    switch (k->k.kind) {
    case K_INT: *v = value_int(k->k.u.i); return true;
    case K_FLOAT: *v = value_float(k->k.u.f); return true;
    case K_BOOL: *v = value_bool(k->k.u.b); return true;
    default: return false;
    }
}

static int rebind(OptCtx *c, Node *x)
{
    Node *f = x->app.in[1];
    const Type *rt = x->type;
    if (!ir_is_const_graph(f) || !rt || rt->kind != T_FUNC || rt->n != 1)
        return 0;
    for (int k = 2; k + 1 < x->app.n; k += 2) {
        Node *i = x->app.in[k], *j = x->app.in[k + 1];
        if (!opt_is_int_const(i) || !opt_is_int_const(j) || j->k.u.i != 0)
            continue;
        if (i->k.u.i != (int64_t)f->k.u.graph->id)
            continue;
        Graph *r = rt->fns[0].graph;
        if (!r || r->parent != f->k.u.graph->parent)
            return 0;
        return opt_replace(c, x, opt_const_graph(c, r, x->type, x->loc));
    }
    return 0;
}

static int rewrite(OptCtx *c, Node *x)
{
    if (opt_is_prim(x, P_REBIND) && x->app.n >= 4)
        return rebind(c, x);
    if (x->app.n < 1 || x->app.n > 4 || x->app.in[0]->kind != N_CONST || x->app.in[0]->k.kind != K_PRIM ||
        !foldable(x->app.in[0]->k.u.prim) || !type_is_scalar(x->type))
        return 0;
    Value args[3], out;
    for (int i = 1; i < x->app.n; i++)
        if (!to_value(x->app.in[i], &args[i - 1]))
            return 0;
    StrBuf err = {0};
    int rc = interp_eval_prim(c->interp, x->app.in[0]->k.u.prim, args, x->app.n - 1, &out, &err);
    sb_free(&err);
    if (rc != 0)
        return 0;
    Node *k;
    if (out.kind == V_FLOAT && x->type->kind == T_FLOAT)
        k = opt_const_float(c, out.f, x->loc);
    else if (out.kind == V_INT && x->type->kind == T_INT)
        k = ir_const_int(c->m, out.i, x->loc);
    else if (out.kind == V_BOOL && x->type->kind == T_BOOL)
        k = ir_const_bool(c->m, out.b, x->loc);
    else
        return 0;
    k->type = x->type;
    return opt_replace(c, x, k);
}

int opt_fold(OptCtx *c)
{
    return opt_rewrite_all(c, rewrite);
}
