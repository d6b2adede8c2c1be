/*
 * sens.c: sensitivity arithmetic, type-directed (see cg.h): sums and
 * scalings of sensitivities of any shape, and envs -- the sensitivities of
 * a closure's free variables, keyed by variable (docs/backend.md,
 * "Sensitivity environments").
 *
 * Assumes every env_set of the module stores under a constant int key,
 * and that cg_collect_keys has seen every graph that will be emitted
 * before any env is built (the representation of env is fixed then).
 * Guarantees: a zero is never computed with (zero is the unit of the sum;
 * scaling a zero sensitivity gives 0 even by inf or nan); every value
 * stored under one key is stored in one representation, the join of what
 * the module stores there, so reading a key never needs to know which
 * env_set wrote it.
 */
#include "cg.h"

#include <stdio.h>

/* The ops record of values of type t (a runtime env entry's size and add
   function); defined below. */
static LLVMValueRef sens_ops(Cg *cg, const Type *t);

static LLVMValueRef env_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, LLVMValueRef b)
{
    if (cg->dense_env) {
        for (int i = 0; i < cg->nkeys; i++) {
            unsigned f = (unsigned)cg->keys[i].slot;
            const Type *kt = cg->keys[i].type;
            if (cg->keys[i].slot < 0)
                continue;
            LLVMValueRef x = LLVMBuildExtractValue(cg->b, a, f, ""), y = LLVMBuildExtractValue(cg->b, b, f, "");
            a = LLVMBuildInsertValue(cg->b, a, cg_sens_add(cg, arena, x, kt, y, kt, kt), f, "");
        }
        return a;
    }
    LLVMValueRef args[3] = {arena, a, b};
    return LLVMBuildCall2(cg->b, cg->rt_env_add_ty, cg->rt_env_add, args, 3, "");
}

/* a + b as sensitivities of types ta and tb, of result type rt. */
LLVMValueRef cg_sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                         const Type *tb, const Type *rt)
{
    if (!ta || ta->kind == T_ZERO)
        return cg_coerce(cg, b, tb, rt);
    if (!tb || tb->kind == T_ZERO)
        return cg_coerce(cg, a, ta, rt);
    switch (rt->kind) {
    case T_ZERO:
        return cg_zero_value(cg, rt);
    case T_FLOAT:
        return LLVMBuildFAdd(cg->b, cg_coerce(cg, a, ta, rt), cg_coerce(cg, b, tb, rt), "");
    case T_ENV:
        return env_add(cg, arena, a, b);
    case T_LIST:
        return cg_list_sens_add(cg, arena, a, ta, b, tb, rt);
    case T_TUPLE: {
        LLVMValueRef r = LLVMGetUndef(cg_type(cg, rt));
        for (int i = 0; i < rt->n; i++) {
            LLVMValueRef x = LLVMBuildExtractValue(cg->b, a, (unsigned)i, "");
            LLVMValueRef y = LLVMBuildExtractValue(cg->b, b, (unsigned)i, "");
            r = LLVMBuildInsertValue(cg->b, r,
                                     cg_sens_add(cg, arena, x, ta->elems[i], y, tb->elems[i], rt->elems[i]),
                                     (unsigned)i, "");
        }
        return r;
    }
    default:
        die("codegen: sens_add of an unexpected type");
    }
}

/* d * k for a scalar k; 0 where d is 0 (even when k is inf or nan). */
LLVMValueRef cg_sens_scale(Cg *cg, LLVMValueRef d, const Type *td, LLVMValueRef k, const Type *tk,
                           const Type *rt)
{
    if (!td || td->kind == T_ZERO || !tk || tk->kind == T_ZERO || rt->kind == T_ZERO)
        return cg_zero_value(cg, rt);
    if (rt->kind == T_TUPLE) {
        LLVMValueRef r = LLVMGetUndef(cg_type(cg, rt));
        for (int i = 0; i < rt->n; i++) {
            LLVMValueRef x = LLVMBuildExtractValue(cg->b, d, (unsigned)i, "");
            r = LLVMBuildInsertValue(cg->b, r, cg_sens_scale(cg, x, td->elems[i], k, tk, rt->elems[i]), (unsigned)i,
                                     "");
        }
        return r;
    }
    if (rt->kind != T_FLOAT)
        die("codegen: sens_scale of an unexpected type");
    LLVMValueRef x = cg_coerce(cg, d, td, rt), y = cg_coerce(cg, k, tk, rt);
    LLVMValueRef isz = LLVMBuildFCmp(cg->b, LLVMRealOEQ, x, LLVMConstReal(cg->t_f64, 0.0), "");
    return LLVMBuildSelect(cg->b, isz, LLVMConstReal(cg->t_f64, 0.0), LLVMBuildFMul(cg->b, x, y, ""), "");
}

/* ---- env keys ------------------------------------------------------------ */

/* The join of two representations of one sensitivity: zero is the unit,
   tuples elementwise; NULL when they do not fit together. */
static Type *rep_join(Cg *cg, Type *a, Type *b)
{
    if (a == b || !b || b->kind == T_ZERO)
        return a;
    if (!a || a->kind == T_ZERO)
        return b;
    if (a->kind == T_TUPLE && b->kind == T_TUPLE && a->n == b->n) {
        Type **el = xmalloc(sizeof(Type *) * (size_t)(a->n + 1));
        for (int i = 0; i < a->n; i++)
            if (!(el[i] = rep_join(cg, a->elems[i], b->elems[i]))) {
                free(el);
                return NULL;
            }
        Type *t = type_tuple(cg->m->types, el, a->n);
        free(el);
        return t;
    }
    if ((a->kind == T_FLOAT && (b->kind == T_INT || b->kind == T_BOOL)) ||
        (b->kind == T_FLOAT && (a->kind == T_INT || a->kind == T_BOOL)))
        return a->kind == T_FLOAT ? a : b;
    return a->kind == b->kind && a->kind != T_TUPLE ? a : NULL;
}

static int key_index(Cg *cg, int64_t key)
{
    for (int i = 0; i < cg->nkeys; i++)
        if (cg->keys[i].key == key)
            return i;
    return -1;
}

static Type **key_slot(Cg *cg, int64_t key)
{
    int i = key_index(cg, key);
    if (i >= 0)
        return &cg->keys[i].type;
    if (cg->nkeys == cg->capkeys) {
        cg->capkeys = cg->capkeys ? cg->capkeys * 2 : 64;
        cg->keys = xrealloc(cg->keys, sizeof *cg->keys * (size_t)cg->capkeys);
    }
    cg->keys[cg->nkeys].key = key;
    cg->keys[cg->nkeys].type = NULL;
    cg->keys[cg->nkeys].slot = -1;
    return &cg->keys[cg->nkeys++].type;
}

/* Whether the sensitivity whose bits are all zero is the zero of t: 0.0,
   the empty list { NULL, 0, 0 } (a list's zeros), tuples of those. */
static bool zero_bits_are_zero(const Type *t)
{
    if (t->kind == T_FLOAT || t->kind == T_ZERO || t->kind == T_LIST)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (!zero_bits_are_zero(t->elems[i]))
            return false;
    return t->kind == T_TUPLE;
}

/* A dense env is copied whole wherever an env is (closure records, tuples,
   returns); above this size the runtime's shared-structure envs win. */
enum { DENSE_ENV_MAX_BYTES = 512 };

/* Every value stored under one key is stored in one representation: the
   join of what the env_set nodes of the module store there.  Then the
   representation of env: dense when every key holds plain sensitivities
   and all keys fit in DENSE_ENV_MAX_BYTES. */
void cg_collect_keys(Cg *cg, Graph *const *graphs, int n)
{
    for (int i = 0; i < n; i++) {
        const NodeVec *body = body_of(cg, graphs[i]);
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            if (x->app.n != 4 || !ir_is_const_prim(x->app.in[0], P_ENV_SET))
                continue;
            Node *k = x->app.in[2];
            if (k->kind != N_CONST || k->k.kind != K_INT)
                die("codegen: env_set with a computed key");
            Type **slot = key_slot(cg, k->k.u.i);
            Type *t = rep_join(cg, *slot, x->app.in[3]->type);
            if (!t && *slot)
                die("codegen: key %lld holds values of two shapes", (long long)k->k.u.i);
            *slot = t ? t : *slot;
        }
    }
    cg->dense_env = true;
    int nslots = 0;
    for (int i = 0; i < cg->nkeys; i++) {
        Type *kt = cg->keys[i].type;
        cg->dense_env = cg->dense_env && (!kt || zero_bits_are_zero(kt));   /* an absent key's slot reads zero */
        if (kt && kt->kind != T_ZERO)
            cg->keys[i].slot = nslots++;
    }
    cg->keys_done = true;
    if (!cg->dense_env)
        return;
    LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(nslots + 1));
    for (int i = 0; i < cg->nkeys; i++)
        if (cg->keys[i].slot >= 0)
            el[cg->keys[i].slot] = cg_type(cg, cg->keys[i].type);
    cg->t_env = LLVMStructTypeInContext(cg->ctx, el, (unsigned)nslots, 0);
    free(el);
    if (size_of(cg, cg->t_env) > DENSE_ENV_MAX_BYTES)
        cg->dense_env = false;
}

/* The ops record of values of type t: { size, add }. */
static LLVMValueRef sens_ops(Cg *cg, const Type *t)
{
    for (int i = 0; i < cg->nops; i++)
        if (cg->ops[i].t == t)
            return cg->ops[i].g;
    LLVMTypeRef lt = cg_type(cg, t);
    char name[48];
    snprintf(name, sizeof name, "myc.sens_add.%u", t->id);
    LLVMValueRef add = LLVMAddFunction(cg->mod, name, cg->add_fn_ty);
    LLVMSetLinkage(add, LLVMInternalLinkage);
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(cg->b);
    DbgScope dbg = cg_debug_enter(cg, NULL, NULL, LOC_NONE);    /* a helper: no debug information */
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, add, "entry"));
    LLVMValueRef x = LLVMBuildLoad2(cg->b, lt, ptr_to(cg, LLVMGetParam(add, 2), lt), "");
    LLVMValueRef y = LLVMBuildLoad2(cg->b, lt, ptr_to(cg, LLVMGetParam(add, 3), lt), "");
    LLVMValueRef s = cg_sens_add(cg, LLVMGetParam(add, 0), x, t, y, t, t);
    LLVMBuildStore(cg->b, s, ptr_to(cg, LLVMGetParam(add, 1), lt));
    LLVMBuildRetVoid(cg->b);
    cg_debug_leave(cg, dbg);
    if (saved)
        LLVMPositionBuilderAtEnd(cg->b, saved);
    LLVMValueRef fields[2] = {LLVMConstInt(cg->t_i64, size_of(cg, lt), 0), add};
    LLVMValueRef init = LLVMConstNamedStruct(cg->ops_ty, fields, 2);
    snprintf(name, sizeof name, "myc.sens_ops.%u", t->id);
    LLVMValueRef g = LLVMAddGlobal(cg->mod, cg->ops_ty, name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    if (cg->nops == cg->capops) {
        cg->capops = cg->capops ? cg->capops * 2 : 16;
        cg->ops = xrealloc(cg->ops, sizeof *cg->ops * (size_t)cg->capops);
    }
    cg->ops[cg->nops].t = t;
    cg->ops[cg->nops++].g = g;
    return g;
}

LLVMValueRef cg_env_set(Cg *cg, LLVMValueRef arena, LLVMValueRef e, int64_t key, LLVMValueRef d, const Type *td)
{
    int i = key_index(cg, key);
    Type *kt = i < 0 ? NULL : cg->keys[i].type;
    if (!kt || kt->kind == T_ZERO)
        return e;       /* only zeros are ever stored under this key: nothing to store */
    LLVMValueRef v = cg_coerce(cg, d, td, kt);
    if (cg->dense_env)
        return LLVMBuildInsertValue(cg->b, e, v, (unsigned)cg->keys[i].slot, "");
    LLVMValueRef tmp = cg_entry_alloca(cg, cg_type(cg, kt), "envval");
    LLVMBuildStore(cg->b, v, tmp);
    LLVMValueRef args[5] = {arena, e, const_i64(cg, key), LLVMConstBitCast(sens_ops(cg, kt), cg->t_ptr),
                            LLVMBuildBitCast(cg->b, tmp, cg->t_ptr, "")};
    return LLVMBuildCall2(cg->b, cg->rt_env_set_ty, cg->rt_env_set, args, 5, "");
}

LLVMValueRef cg_env_get(Cg *cg, LLVMValueRef e, int64_t key, const Type *rt)
{
    int i = key_index(cg, key);
    Type *kt = i < 0 ? NULL : cg->keys[i].type;
    if (!kt || kt->kind == T_ZERO)
        return cg_zero_value(cg, rt);
    if (cg->dense_env)
        return cg_coerce(cg, LLVMBuildExtractValue(cg->b, e, (unsigned)cg->keys[i].slot, ""), kt, rt);
    LLVMValueRef args[2] = {e, const_i64(cg, key)};
    LLVMValueRef p = LLVMBuildCall2(cg->b, cg->rt_env_get_ty, cg->rt_env_get, args, 2, "");
    LLVMValueRef found = LLVMBuildICmp(cg->b, LLVMIntNE, p, LLVMConstNull(cg->t_ptr), "");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef load = new_block(cg, "env.found"), join = new_block(cg, "env.join");
    LLVMBuildCondBr(cg->b, found, load, join);
    LLVMPositionBuilderAtEnd(cg->b, load);
    LLVMValueRef stored = LLVMBuildLoad2(cg->b, cg_type(cg, kt), ptr_to(cg, p, cg_type(cg, kt)), "");
    LLVMValueRef v = cg_coerce(cg, stored, kt, rt);
    LLVMBasicBlockRef load_end = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef phi = LLVMBuildPhi(cg->b, cg_type(cg, rt), "");
    LLVMValueRef vals[2] = {cg_zero_value(cg, rt), v};
    LLVMBasicBlockRef bbs[2] = {from, load_end};
    LLVMAddIncoming(phi, vals, bbs, 2);
    return phi;
}
