/*
 * emit.c: emission of graphs (see codegen.h for the shape of the code and
 * cg.h for the state): one LLVM function per unit with its group's blocks,
 * body nodes in schedule order, the output as a return or a jump; calls
 * to known graphs, through function values (a switch over the functions a
 * value may be) and jumps; the structural primitives (tuples, == and !=
 * on tuples, closures, sensitivities, envs), the scalar ones going to
 * scalar.c, the list ones (and == and != on lists) to lists.c.
 *
 * Assumes classification (classify.h) and the env keys (sens.c) are done,
 * every unit declared (cg_declare_unit) before any code calls it.
 * Guarantees: each graph is emitted once per region (a block reached
 * from two places is one basic block, its parameters phis); a call
 * inside a machine goes through machine.c, a long straight-line run
 * through outline.c, and produces the same values in the same order.
 */
#include "cg.h"

#include <string.h>

#include "scalar.h"

/* ---- function declarations ----------------------------------------------- */

/* Captured variable i of g (its parameter nparams - nfree + i). */
static const Node *free_param(const Graph *g, int i)
{
    return g->params[g->nparams - g->nfree + i];
}

/* The struct of g's parameters from `from` on; a record (a closure's
   free variables) keeps only the length of a length-only list. */
static LLVMTypeRef params_struct(Cg *cg, const Graph *g, int from, bool record)
{
    int n = g->nparams - from;
    LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const Node *p = g->params[from + i];
        el[i] = record && p->param.length_only ? cg->t_i64 : cg_type(cg, p->type);
    }
    LLVMTypeRef s = LLVMStructTypeInContext(cg->ctx, el, (unsigned)n, 0);
    free(el);
    return s;
}

void cg_declare_unit(Cg *cg, Graph *g)
{
    GInfo *gi = info(cg, g);
    LLVMTypeRef *pt = xmalloc(sizeof(LLVMTypeRef) * (size_t)(g->nparams + 1));
    pt[0] = cg->t_ptr;
    for (int i = 0; i < g->nparams; i++)
        pt[i + 1] = cg_type(cg, g->params[i]->type);
    gi->fnty = LLVMFunctionType(cg_type(cg, ret_type(g)), pt, (unsigned)g->nparams + 1, 0);
    free(pt);
    char *name = arena_printf(cg->m->arena, "myc.%s", g->name);
    gi->fn = LLVMAddFunction(cg->mod, name, gi->fnty);
    LLVMSetLinkage(gi->fn, LLVMInternalLinkage);
    LLVMSetFunctionCallConv(gi->fn, LLVMFastCallConv);
    cg_add_attr(cg, gi->fn, 1, "noalias");
    if (class_of(cg, g)->machine)
        gi->argsty = params_struct(cg, g, 0, false);
}

void cg_declare_envs(Cg *cg, Graph *const *graphs, int n)
{
    for (int i = 0; i < n; i++) {
        Graph *g = graphs[i];
        if (g->nfree)
            info(cg, g)->envty = params_struct(cg, g, g->nparams - g->nfree, true);
    }
}

/* ---- graph entries and jumps --------------------------------------------- */

/* The entry block of graph g in region r, created (with its parameter
   phis) on first use; g is queued for emission. */
static LLVMBasicBlockRef graph_entry(Cg *cg, Region *r, Graph *g)
{
    GInfo *gi = info(cg, g);
    if (gi->region == r && gi->entry)
        return gi->entry;
    gi->region = r;
    gi->emitted = false;
    gi->entry = LLVMAppendBasicBlockInContext(cg->ctx, r->fn, g->name);
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, gi->entry);
    gi->phis = ARENA_ARRAY(cg->m->arena, LLVMValueRef, g->nparams + 1);
    gi->fields = ARENA_ARRAY(cg->m->arena, LLVMValueRef, 3 * (size_t)g->nparams + 1);
    /* a list parameter is three phis, one per field, put together after
       them: a loop's list then has its length and data as scalars that
       LLVM follows around the loop (an appended list's length is an
       induction variable, so that such a loop can be vectorised), where
       extractvalue of a phi of structs hides them */
    for (int i = 0; i < g->nparams; i++) {
        LLVMTypeRef t = cg_type(cg, g->params[i]->type);
        const char *name = g->params[i]->name ? g->params[i]->name : "";
        gi->fields[3 * i] = NULL;
        if (t != cg->t_list) {
            gi->phis[i] = LLVMBuildPhi(cg->b, t, name);
            continue;
        }
        LLVMTypeRef ft[3] = {cg->t_ptr, cg->t_i64, cg->t_i64};
        for (int k = 0; k < 3; k++)
            gi->fields[3 * i + k] = LLVMBuildPhi(cg->b, ft[k], name);
    }
    for (int i = 0; i < g->nparams; i++)
        if (gi->fields[3 * i])
            gi->phis[i] = cg_list_value(cg, gi->fields[3 * i], gi->fields[3 * i + 1], gi->fields[3 * i + 2]);
    if (saved)
        LLVMPositionBuilderAtEnd(cg->b, saved);
    vec_push(&r->todo, g);
    return gi->entry;
}

/* Branches to g's entry with the given parameter values. */
void cg_jump(Cg *cg, Region *r, Graph *g, LLVMValueRef *vals)
{
    LLVMBasicBlockRef bb = graph_entry(cg, r, g);
    GInfo *gi = info(cg, g);
    LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
    for (int i = 0; i < g->nparams; i++) {
        if (!gi->fields[3 * i]) {
            LLVMAddIncoming(gi->phis[i], &vals[i], &from, 1);
            continue;
        }
        for (int k = 0; k < 3; k++) {
            LLVMValueRef f = LLVMBuildExtractValue(cg->b, vals[i], (unsigned)k, "");
            LLVMAddIncoming(gi->fields[3 * i + k], &f, &from, 1);
        }
    }
    LLVMBuildBr(cg->b, bb);
}

/* ---- calls --------------------------------------------------------------- */

typedef struct Target {
    Graph *g;                   /* or NULL: a primitive */
    int prim;
    LLVMValueRef *extra;        /* values of g's free-variable parameters when not in args */
    int nextra;
} Target;

static LLVMValueRef emit_prim(Cg *cg, Region *r, PrimId p, Node *n, LLVMValueRef *args, Type *const *types, int nargs);

/* One call of a known target; tail: the call ends the graph (the value is
   returned, or the target is jumped to).  Returns the result, coerced to
   rt, when not tail. */
static LLVMValueRef call_target(Cg *cg, Region *r, const CallSite *cs, Node *call, const Target *t,
                                LLVMValueRef *args, Type *const *types, int nargs, bool tail)
{
    const Type *rt = call->type;
    if (!t->g) {
        LLVMValueRef v = emit_prim(cg, r, (PrimId)t->prim, call, args, types, nargs);
        if (tail)
            cg_region_return(cg, r, cs->g, v, rt);
        return v;
    }
    Graph *g = t->g;
    GInfo *gi = info(cg, g);
    const GClass *gc = class_of(cg, g);
    if (nargs + t->nextra != g->nparams)
        die("codegen: call of @%s with %d arguments, it takes %d", g->name, nargs + t->nextra, g->nparams);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 1));
    for (int i = 0; i < nargs; i++)
        a[i] = cg_coerce(cg, args[i], types[i], g->params[i]->type);
    for (int i = 0; i < t->nextra; i++)
        a[nargs + i] = t->extra[i];
    const Type *gr = ret_type(g);
    Graph *u = class_of(cg, cs->g)->group;
    bool same_machine = r->machine && gc->kind == GK_UNIT && gc->machine && gc->scc == r->scc;
    LLVMValueRef result = NULL;
    if (gc->kind == GK_BLOCK) {
        if (!tail || gc->group != u)
            die("codegen: @%s jumps to @%s of another function", cs->g->name, g->name);
        cg_jump(cg, r, g, a);          /* its return converts to u's result type */
        free(a);
        return NULL;
    }
    if (tail && gr == ret_type(u) && (g == u || same_machine)) {
        cg_jump(cg, r, g, a);          /* a self tail call, or a tail call inside a machine */
        free(a);
        return NULL;
    }
    if (same_machine) {
        result = cg_machine_call(cg, r, cs, g, a, NULL);
    } else {
        LLVMValueRef *ca = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
        ca[0] = r->arena;
        for (int i = 0; i < g->nparams; i++)
            ca[i + 1] = a[i];
        result = cg_call_fn(cg, gi->fnty, gi->fn, ca, g->nparams + 1, true);
        free(ca);
    }
    free(a);
    result = cg_coerce(cg, result, gr, rt);
    if (tail)
        cg_region_return(cg, r, cs->g, result, rt);
    return result;
}

/* The free-variable values of a closure value's environment for graph g. */
static LLVMValueRef *load_env(Cg *cg, Graph *g, LLVMValueRef env)
{
    LLVMValueRef *v = ARENA_ARRAY(cg->m->arena, LLVMValueRef, g->nfree + 1);
    if (!g->nfree)
        return v;
    LLVMTypeRef et = info(cg, g)->envty;
    LLVMValueRef p = ptr_to(cg, env, et);
    for (int i = 0; i < g->nfree; i++) {
        v[i] = LLVMBuildLoad2(cg->b, LLVMStructGetTypeAtIndex(et, (unsigned)i),
                              LLVMBuildStructGEP2(cg->b, et, p, (unsigned)i, ""), "");
        if (free_param(g, i)->param.length_only)    /* no storage: only the length is read */
            v[i] = cg_list_value(cg, LLVMConstNull(cg->t_ptr), v[i], const_i64(cg, 0));
    }
    return v;
}

static void static_target(Cg *cg, Region *r, Node *x, Target *t)
{
    memset(t, 0, sizeof *t);
    t->g = cg_static_graph(x);
    if (cg_is_make_closure(x)) {
        t->nextra = x->app.n - 2;
        t->extra = ARENA_ARRAY(cg->m->arena, LLVMValueRef, t->nextra + 1);
        for (int i = 0; i < t->nextra; i++)
            t->extra[i] = cg_get_val(cg, r, x->app.in[i + 2]);
    }
}

/* Emits a call (tail or not); returns its value when not tail. */
static LLVMValueRef emit_call(Cg *cg, Region *r, const CallSite *cs, Node *call, bool tail)
{
    Node *callee = call->app.in[0];
    int nargs = call->app.n - 1;
    LLVMValueRef *args = xmalloc(sizeof(LLVMValueRef) * (size_t)(nargs + 1));
    Type **types = xmalloc(sizeof(Type *) * (size_t)(nargs + 1));
    for (int i = 0; i < nargs; i++) {
        args[i] = cg_get_val(cg, r, call->app.in[i + 1]);
        types[i] = call->app.in[i + 1]->type;
    }
    LLVMValueRef result = NULL;
    const Type *rt = call->type;
    bool sw = callee->kind == N_APPLY && callee->app.n == 4 && ir_is_const_prim(callee->app.in[0], P_SWITCH) &&
              cg_static_graph(callee->app.in[2]) && cg_static_graph(callee->app.in[3]);
    if (callee->kind == N_CONST && callee->k.kind == K_PRIM) {
        Target t = {NULL, callee->k.u.prim, NULL, 0};
        result = call_target(cg, r, cs, call, &t, args, types, nargs, tail);
    } else if (cg_static_graph(callee)) {
        Target t;
        static_target(cg, r, callee, &t);
        result = call_target(cg, r, cs, call, &t, args, types, nargs, tail);
    } else {
        /* several possible targets: a branch per target */
        int nt;
        Target *ts;
        LLVMValueRef sel;
        if (sw) {
            nt = 2;
            ts = xcalloc(2, sizeof(Target));
            static_target(cg, r, callee->app.in[2], &ts[0]);
            static_target(cg, r, callee->app.in[3], &ts[1]);
            Node *c = callee->app.in[1];
            LLVMValueRef cond = cg_truth(cg, cg_get_val(cg, r, c), c->type);
            sel = LLVMBuildZExt(cg->b, LLVMBuildNot(cg->b, cond, ""), cg->t_i32, "");
        } else {
            const Type *ft = callee->type;
            if (!is_func(ft) || ft->n == 0) {
                cg_runtime_error(cg, "internal error: call of a value that is not a function", call->loc);
                result = tail ? NULL : cg_zero_value(cg, rt);
                if (tail)
                    LLVMBuildUnreachable(cg->b);
                free(args);
                free(types);
                return result;
            }
            nt = ft->n;
            ts = xcalloc((size_t)nt, sizeof(Target));
            sel = cg_fn_tag(cg, ft, cg_get_val(cg, r, callee));
            for (int i = 0; i < nt; i++) {
                ts[i].g = ft->fns[i].graph;
                ts[i].prim = ft->fns[i].prim;
            }
        }
        LLVMBasicBlockRef join = tail ? NULL : new_block(cg, "call.join");
        LLVMBasicBlockRef other = new_block(cg, "call.none");
        LLVMValueRef swi = LLVMBuildSwitch(cg->b, sel, other, (unsigned)nt);
        /* In a machine an arm may split (machine_call reloads the live values
           in its continuation): each arm starts from the values before the
           call, and the join merges what the arms end with. */
        NodeVec live = {0};
        if (r->machine)
            cg_live_after(cg, r, cs->g, cs->body, cs->pos, &live, NULL);
        LLVMValueRef *before = xmalloc(sizeof(LLVMValueRef) * (size_t)(live.len + 1));
        LLVMValueRef *after = xmalloc(sizeof(LLVMValueRef) * (size_t)(live.len * nt + 1));
        for (int k = 0; k < live.len; k++)
            before[k] = cg->val[live.data[k]->id];
        VEC(LLVMValueRef) ins_v = {0};
        VEC(LLVMBasicBlockRef) ins_b = {0};
        Graph *unit = class_of(cg, cs->g)->group;
        for (int i = 0; i < nt; i++) {
            /* A block is only ever jumped to from its own function, never
               called through a value: a type may still name it (the
               optimiser's copies widen types), but that arm cannot run. */
            const GClass *tc = ts[i].g ? class_of(cg, ts[i].g) : NULL;
            if (tc && tc->kind == GK_BLOCK && (!tail || tc->group != unit))
                continue;
            LLVMBasicBlockRef bb = new_block(cg, "call.arm");
            LLVMAddCase(swi, const_i32(cg, i), bb);
            LLVMPositionBuilderAtEnd(cg->b, bb);
            for (int k = 0; k < live.len; k++)
                cg_set_val(cg, live.data[k], before[k]);
            if (!sw && ts[i].g && ts[i].g->nfree) {
                LLVMValueRef env = cg_fn_env(cg, callee->type, cg_get_val(cg, r, callee));
                ts[i].extra = load_env(cg, ts[i].g, env);
                ts[i].nextra = ts[i].g->nfree;
            }
            LLVMValueRef v = call_target(cg, r, cs, call, &ts[i], args, types, nargs, tail);
            if (!tail) {
                for (int k = 0; k < live.len; k++)
                    after[ins_v.len * live.len + k] = cg->val[live.data[k]->id];
                vec_push(&ins_v, v);
                vec_push(&ins_b, LLVMGetInsertBlock(cg->b));
                LLVMBuildBr(cg->b, join);
            }
        }
        LLVMPositionBuilderAtEnd(cg->b, other);
        LLVMBuildUnreachable(cg->b);
        if (!tail) {
            LLVMPositionBuilderAtEnd(cg->b, join);
            result = LLVMBuildPhi(cg->b, cg_type(cg, rt), "");
            LLVMAddIncoming(result, ins_v.data, ins_b.data, (unsigned)ins_v.len);
            for (int k = 0; k < live.len; k++) {
                bool same = true;
                for (int a = 0; a < ins_v.len; a++)
                    same &= after[a * live.len + k] == before[k];
                if (same) {
                    cg_set_val(cg, live.data[k], before[k]);
                    continue;
                }
                LLVMValueRef phi = LLVMBuildPhi(cg->b, LLVMTypeOf(before[k]), "");
                for (int a = 0; a < ins_v.len; a++)
                    LLVMAddIncoming(phi, &after[a * live.len + k], &ins_b.data[a], 1);
                cg_set_val(cg, live.data[k], phi);
            }
        }
        vec_free(&live);
        free(before);
        free(after);
        vec_free(&ins_v);
        vec_free(&ins_b);
        free(ts);
    }
    free(args);
    free(types);
    return result;
}

/* ---- primitives (the structural ones; scalars go to scalar.c) ------------ */

static LLVMValueRef make_closure(Cg *cg, Region *r, Node *n)
{
    Graph *g = n->app.in[1]->k.u.graph;
    int tag = cg_graph_index(n->type, g);
    if (tag < 0)
        die("codegen: make_closure of @%s typed without it", g->name);
    GInfo *gi = info(cg, g);
    LLVMValueRef env = cg_emit_alloc(cg, r->arena, size_of(cg, gi->envty), "env");
    LLVMValueRef p = ptr_to(cg, env, gi->envty);
    for (int i = 0; i < g->nfree; i++) {
        Node *x = n->app.in[i + 2];
        const Node *param = free_param(g, i);
        LLVMValueRef v = cg_coerce(cg, cg_get_val(cg, r, x), x->type, param->type);
        if (param->param.length_only)
            v = cg_list_len(cg, v);
        LLVMBuildStore(cg->b, v, LLVMBuildStructGEP2(cg->b, gi->envty, p, (unsigned)i, ""));
    }
    return cg_fn_value(cg, n->type, tag, env);
}

/* Whether a closure record of g keeps only the length of a list
   (passes/inplace.c never lets a rebind copy such a record). */
static bool has_length_only(const Graph *g)
{
    for (int i = 0; g && i < g->nfree; i++)
        if (free_param(g, i)->param.length_only)
            return true;
    return false;
}

/* rebind(x, key0, j0, ...): the transform's closure over x's environment. */
static LLVMValueRef rebind(Cg *cg, Region *r, Node *n)
{
    Node *xn = n->app.in[1];
    const Type *xt = xn->type, *rt = n->type;
    LLVMValueRef x = cg_get_val(cg, r, xn);
    LLVMValueRef tag = cg_fn_tag(cg, xt, x);
    LLVMValueRef env = cg_fn_env(cg, xt, x);
    LLVMBasicBlockRef join = new_block(cg, "rebind.join"), none = new_block(cg, "rebind.none");
    LLVMValueRef sw = LLVMBuildSwitch(cg->b, tag, none, 4);
    VEC(LLVMValueRef) vs = {0};
    VEC(LLVMBasicBlockRef) bs = {0};
    for (int k = 2; k + 1 < n->app.n; k += 2) {
        int ix = ir_fn_index_of_key(xt, n->app.in[k]->k.u.i), jx = (int)n->app.in[k + 1]->k.u.i;
        if (ix < 0)     /* x's type no longer names that function */
            continue;
        LLVMBasicBlockRef bb = new_block(cg, "rebind");
        LLVMAddCase(sw, const_i32(cg, ix), bb);
        LLVMPositionBuilderAtEnd(cg->b, bb);
        Graph *from = xt->fns[ix].graph, *to = rt->fns[jx].graph;
        LLVMValueRef nenv = NULL;
        if (to && to->nfree) {
            if (has_length_only(from) || has_length_only(to))
                die("codegen: rebind of @%s, whose record keeps only a list's length", from ? from->name : to->name);
            LLVMValueRef *src = from ? load_env(cg, from, env) : NULL;
            GInfo *ti = info(cg, to);
            nenv = cg_emit_alloc(cg, r->arena, size_of(cg, ti->envty), "env");
            LLVMValueRef p = ptr_to(cg, nenv, ti->envty);
            for (int j = 0; j < to->nfree; j++) {
                const Node *var = free_param(to, j)->param.captured;
                int q = from ? from->nfree - 1 : -1;
                while (q >= 0 && free_param(from, q)->param.captured != var)
                    q--;
                if (q < 0)
                    die("codegen: @%s captures a variable @%s does not", to->name, from ? from->name : "?");
                LLVMBuildStore(cg->b, src[q], LLVMBuildStructGEP2(cg->b, ti->envty, p, (unsigned)j, ""));
            }
        }
        vec_push(&vs, cg_fn_value(cg, rt, jx, nenv));
        vec_push(&bs, LLVMGetInsertBlock(cg->b));
        LLVMBuildBr(cg->b, join);
    }
    LLVMPositionBuilderAtEnd(cg->b, none);
    LLVMBuildUnreachable(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef phi = LLVMBuildPhi(cg->b, cg_type(cg, rt), "");
    LLVMAddIncoming(phi, vs.data, bs.data, (unsigned)vs.len);
    vec_free(&vs);
    vec_free(&bs);
    return phi;
}

/* Python's == on a of type ta and b of type tb, as an i1, for the operands
   inference lets == have (ty_equality: numbers and tuples of them, nested):
   numbers as the scalar eq computes it (an int and a float exactly, NaN
   unequal, -0.0 == 0.0), tuples of one length item by item, anything else
   (tuples of different lengths, a tuple and a number, a list and a tuple
   or a number) unequal; two lists item by item (lists.c, cg_list_equal,
   which compares the items with this).  Items are
   compared by value, never by identity first as CPython does, so a tuple
   holding a NaN never equals itself (docs/language.md §9, rule 9), as the
   interpreter's values_equal. */
LLVMValueRef cg_equal(Cg *cg, LLVMValueRef a, const Type *ta, LLVMValueRef b, const Type *tb, Loc loc)
{
    if (!ta || !tb || ta->kind == T_FUNC || ta->kind == T_ZERO || ta->kind == T_ENV || tb->kind == T_FUNC ||
        tb->kind == T_ZERO || tb->kind == T_ENV)
        die("codegen: == on a value inference does not compare");
    if (ta->kind == T_LIST && tb->kind == T_LIST)
        return cg_list_equal(cg, a, ta, b, tb, loc);
    if (type_is_scalar(ta) && type_is_scalar(tb)) {
        CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, loc};
        LLVMValueRef args[2] = {a, b};
        Type *types[2] = {(Type *)ta, (Type *)tb};
        return cg_scalar_prim(&pc, P_EQ, args, types, 2, type_bool(cg->m->types));
    }
    if (ta->kind != T_TUPLE || tb->kind != T_TUPLE || ta->n != tb->n)
        return LLVMConstInt(cg->t_i1, 0, 0);
    LLVMValueRef eq = LLVMConstInt(cg->t_i1, 1, 0);
    for (int i = 0; i < ta->n; i++) {
        LLVMValueRef x = LLVMBuildExtractValue(cg->b, a, (unsigned)i, "");
        LLVMValueRef y = LLVMBuildExtractValue(cg->b, b, (unsigned)i, "");
        eq = LLVMBuildAnd(cg->b, eq, cg_equal(cg, x, ta->elems[i], y, tb->elems[i], loc), "");
    }
    return eq;
}

static LLVMValueRef emit_prim(Cg *cg, Region *r, PrimId p, Node *n, LLVMValueRef *args, Type *const *types, int nargs)
{
    const Type *rt = n->type;
    if (cg_is_scalar_prim(p) && type_is_scalar(rt)) {
        bool scalars = true;
        for (int i = 0; i < nargs; i++)
            scalars &= type_is_scalar(types[i]);
        if (scalars) {
            CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, n->loc};
            return cg_scalar_prim(&pc, p, args, types, nargs, (Type *)rt);
        }
    }
    if (cg_is_list_prim(p))
        return cg_list_prim(cg, r->arena, p, n, args, types, nargs);
    switch (p) {
    case P_MAKE_TUPLE: {
        LLVMValueRef v = LLVMGetUndef(cg_type(cg, rt));
        for (int i = 0; i < nargs; i++)
            v = LLVMBuildInsertValue(cg->b, v, cg_coerce(cg, args[i], types[i], rt->elems[i]), (unsigned)i, "");
        return v;
    }
    case P_GETITEM: {
        if (!types[0] || types[0]->kind == T_ZERO)
            return cg_zero_value(cg, rt);
        int64_t i = n->app.in[2]->k.u.i;
        if (i < 0)
            i += types[0]->n;
        return cg_coerce(cg, LLVMBuildExtractValue(cg->b, args[0], (unsigned)i, ""), types[0]->elems[i], rt);
    }
    case P_EQ:
        return cg_coerce(cg, cg_equal(cg, args[0], types[0], args[1], types[1], n->loc), type_bool(cg->m->types), rt);
    case P_NE: {
        LLVMValueRef eq = cg_equal(cg, args[0], types[0], args[1], types[1], n->loc);
        return cg_coerce(cg, LLVMBuildNot(cg->b, eq, "ne"), type_bool(cg->m->types), rt);
    }
    case P_UNPACK:
    case P_CHECK_RESULT:
        return cg_coerce(cg, args[0], types[0], rt);
    case P_DEPEND:
        return cg_coerce(cg, args[nargs - 1], types[nargs - 1], rt);
    case P_UNREACHABLE:
        cg_runtime_error(cg, "internal error: a function value inference proved unused was called", n->loc);
        return cg_zero_value(cg, rt);
    case P_SWITCH: {
        LLVMValueRef c = cg_truth(cg, args[0], types[0]);
        return LLVMBuildSelect(cg->b, c, cg_coerce(cg, args[1], types[1], rt), cg_coerce(cg, args[2], types[2], rt),
                               "");
    }
    case P_ZERO:
    case P_NEWENV:
        return cg_zero_value(cg, rt);
    case P_SADD:
        return cg_sens_add(cg, r->arena, args[0], types[0], args[1], types[1], rt);
    case P_SSCALE:
        return cg_sens_scale(cg, args[0], types[0], args[1], types[1], rt);
    case P_SFOR:
        if (types[0] && (types[0]->kind == T_INT || types[0]->kind == T_BOOL))
            return cg_zero_value(cg, rt);
        return cg_coerce(cg, args[1], types[1], rt);
    case P_SDENSE:
        return cg_sens_shape(cg, r->arena, args[0], types[0], args[1], types[1], rt);
    case P_SENS_GET:
        if (!types[0] || types[0]->kind != T_LIST)
            die("codegen: sens_get of a %s", types[0] ? "non-list" : "value of no type");
        return cg_list_sens_get(cg, args[0], types[0], args[2], rt, n->loc);
    case P_ONEHOT: {
        if (rt->kind == T_LIST)
            return cg_list_onehot(cg, r->arena, args[0], types[0], args[1], args[2], types[2], rt, n->loc);
        int64_t i = n->app.in[2]->k.u.i;
        if (i < 0)
            i += rt->n;
        LLVMValueRef v = cg_zero_value(cg, rt);
        return LLVMBuildInsertValue(cg->b, v, cg_coerce(cg, args[2], types[2], rt->elems[i]), (unsigned)i, "");
    }
    case P_ENV_SET: {   /* an env typed zero is the empty env */
        LLVMValueRef e = types[0] && types[0]->kind == T_ENV ? args[0] : cg_zero_value(cg, type_env(cg->m->types));
        return cg_env_set(cg, r->arena, e, n->app.in[2]->k.u.i, args[2], types[2]);
    }
    case P_ENV_GET:     /* an absent key's list is the empty list: a list's zeros (docs/ad.md) */
        if (!types[0] || types[0]->kind != T_ENV)
            return cg_zero_value(cg, rt);
        return cg_env_get(cg, args[0], n->app.in[2]->k.u.i, rt);
    case P_TO_DIFF:
        return cg_coerce(cg, args[0], types[0], rt);
    case P_COTANGENT: {
        bool vjp = n->app.in[3]->kind == N_CONST && n->app.in[3]->k.u.i == 0;
        cg_list_check_lengths(cg, args[0], types[0], args[1], types[1],
                              vjp ? "the cotangent passed to vjp's pullback has a list whose length differs from "
                                    "the function's result's"
                                  : "a tangent passed to jvp has a list whose length differs from its argument's",
                              n->loc);
        return cg_coerce(cg, args[1], types[1], rt);
    }
    case P_MAKE_CLOSURE:
        return make_closure(cg, r, n);
    case P_REBIND:
        return rebind(cg, r, n);
    default:
        break;
    }
    die("codegen: no lowering for %s on these types", prim_info(p)->name);
}

/* ---- node values --------------------------------------------------------- */

/* Records v as x's value in the graph being emitted. */
void cg_set_val(Cg *cg, const Node *x, LLVMValueRef v)
{
    if (x->id >= cg->nval) {
        uint32_t n = x->id + x->id / 2 + 64;
        cg->val = xrealloc(cg->val, sizeof(LLVMValueRef) * n);
        cg->valstamp = xrealloc(cg->valstamp, sizeof(uint32_t) * n);
        memset(cg->valstamp + cg->nval, 0, sizeof(uint32_t) * (n - cg->nval));
        cg->nval = n;
    }
    cg->val[x->id] = v;
    cg->valstamp[x->id] = cg->stamp;
}

static LLVMValueRef const_val(Cg *cg, Node *x)
{
    switch (x->k.kind) {
    case K_INT: return const_i64(cg, x->k.u.i);
    case K_FLOAT: return LLVMConstReal(cg->t_f64, x->k.u.f);
    case K_BOOL: return LLVMConstInt(cg->t_i1, x->k.u.b, 0);
    case K_GRAPH: {
        Graph *g = x->k.u.graph;
        int tag = is_func(x->type) ? cg_graph_index(x->type, g) : 0;
        if (g->nfree)
            die("codegen: constant of @%s, which has free variables", g->name);
        return cg_fn_value(cg, x->type, tag < 0 ? 0 : tag, NULL);
    }
    case K_PRIM: {
        FnRef ref = {NULL, (int)x->k.u.prim, NULL, NULL};
        int tag = cg_ref_index(x->type, &ref);
        return cg_fn_value(cg, x->type, tag < 0 ? 0 : tag, NULL);
    }
    }
    return NULL;
}

LLVMValueRef cg_get_val(Cg *cg, Region *r, Node *x)
{
    (void)r;
    if (x->kind == N_CONST)
        return const_val(cg, x);
    if (!has_val(cg, x))
        die("codegen: %%%s (node %u of @%s) used before it is computed", x->name ? x->name : "?", x->id,
            x->graph ? x->graph->name : "?");
    return cg->val[x->id];
}

void cg_ensure_node_tables(Cg *cg)
{
    uint32_t n = cg->m->nnodes + 1;
    if (cg->nval < n) {
        cg->val = xrealloc(cg->val, sizeof(LLVMValueRef) * n);
        cg->valstamp = xrealloc(cg->valstamp, sizeof(uint32_t) * n);
        memset(cg->valstamp + cg->nval, 0, sizeof(uint32_t) * (n - cg->nval));
        cg->nval = n;
    }
    cg->lastuse = xrealloc(cg->lastuse, sizeof(int) * cg->nval);
    cg->usestamp = xrealloc(cg->usestamp, sizeof(uint32_t) * cg->nval);
    memset(cg->usestamp, 0, sizeof(uint32_t) * cg->nval);
}

/* A primitive application n: its arguments' values, then the primitive. */
LLVMValueRef cg_emit_prim_node(Cg *cg, Region *r, Node *n)
{
    PrimId p = (PrimId)n->app.in[0]->k.u.prim;
    int nargs = n->app.n - 1;
    LLVMValueRef *args = xmalloc(sizeof(LLVMValueRef) * (size_t)(nargs + 1));
    Type **types = xmalloc(sizeof(Type *) * (size_t)(nargs + 1));
    for (int j = 0; j < nargs; j++) {
        Node *a = n->app.in[j + 1];
        /* the graph of make_closure is not a value */
        args[j] = j == 0 && p == P_MAKE_CLOSURE ? NULL : cg_get_val(cg, r, a);
        types[j] = a->type;
    }
    LLVMValueRef v = emit_prim(cg, r, p, n, args, types, nargs);
    free(args);
    free(types);
    return v;
}

/* ---- graphs and regions -------------------------------------------------- */

static void emit_graph(Cg *cg, Region *r, Graph *g)
{
    GInfo *gi = info(cg, g);
    gi->emitted = true;
    cg->stamp++;
    LLVMPositionBuilderAtEnd(cg->b, gi->entry);
    cg_debug_at(cg, g->loc);
    for (int i = 0; i < g->nparams; i++)
        cg_set_val(cg, g->params[i], gi->phis[i]);
    const NodeVec *body = body_of(cg, g);
    if (r->machine)
        cg_note_uses(cg, g, body);
    Node *out = g->output;
    Outline *ol = r->machine ? NULL : cg_plan_outline(cg, g, body);
    for (int i = 0; i < body->len; i++) {
        Node *n = body->data[i];
        if (n == out)
            break;          /* the output: below */
        if (cg->elided[n->id])
            continue;
        int chunk_end = ol ? cg_outline_chunk(cg, r, g, body, ol, i) : -1;
        if (chunk_end >= 0) {
            i = chunk_end - 1;      /* the chunk's nodes are emitted in its function */
            continue;
        }
        cg_debug_at(cg, n->loc);
        CallSite cs = {g, body, i};
        Node *callee = n->app.in[0];
        LLVMValueRef v = callee->kind == N_CONST && callee->k.kind == K_PRIM ? cg_emit_prim_node(cg, r, n)
                                                                             : emit_call(cg, r, &cs, n, false);
        cg_set_val(cg, n, v);
    }
    cg_debug_at(cg, out->loc);
    if (out->kind == N_APPLY && out->graph == g && !(out->app.in[0]->kind == N_CONST && out->app.in[0]->k.kind == K_PRIM)) {
        CallSite cs = {g, body, body->len - 1};
        emit_call(cg, r, &cs, out, true);
    } else if (out->kind == N_APPLY && out->graph == g) {
        /* a primitive as the output: compute it like the others */
        LLVMValueRef v = cg_emit_prim_node(cg, r, out);
        cg_region_return(cg, r, g, v, out->type);
    } else {
        cg_region_return(cg, r, g, cg_get_val(cg, r, out), out->type);
    }
    if (ol)
        cg_free_outline(ol);
}

void cg_drain(Cg *cg, Region *r)
{
    while (r->todo.len) {
        Graph *g = vec_pop(&r->todo);
        if (!info(cg, g)->emitted)
            emit_graph(cg, r, g);
    }
}

/* A unit that is not part of a recursive component: its LLVM function,
   with the group's blocks. */
void cg_emit_group(Cg *cg, Graph *u)
{
    GInfo *ui = info(cg, u);
    Region r = {0};
    r.fn = ui->fn;
    DbgScope dbg = cg_debug_enter(cg, r.fn, cg_debug_name(cg, u), u->loc);
    LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "start");
    LLVMPositionBuilderAtEnd(cg->b, start);
    r.arena = LLVMGetParam(r.fn, 0);
    LLVMValueRef outer_arena = cg->arena;
    cg->arena = r.arena;
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(u->nparams + 1));
    for (int i = 0; i < u->nparams; i++)
        a[i] = LLVMGetParam(r.fn, (unsigned)i + 1);
    cg_jump(cg, &r, u, a);
    free(a);
    cg_drain(cg, &r);
    cg->arena = outer_arena;
    vec_free(&r.todo);
    cg_debug_leave(cg, dbg);
}
