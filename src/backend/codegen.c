/*
 * codegen.c: the LLVM backend (see codegen.h for what it assumes and
 * guarantees).
 *
 * Layout of the work:
 *   1. classify graphs (classify): a graph whose constant is used only as
 *      the target of jumps -- tail calls, directly or through
 *      switch(c, A, B)() -- from graphs of one function is a *block* of
 *      that function's *group*; every other graph is a *unit* (an LLVM
 *      function of its own), the root of a group;
 *   2. the call graph between units, and its strongly connected components
 *      (Tarjan, iterative): a recursive component becomes one machine;
 *   3. emission, one LLVM function per group or machine (emit_region):
 *      graphs are emitted once each, body nodes in schedule order, the
 *      output as a return or a jump;
 *   4. the C ABI wrappers and myc_run.
 *
 * Values: bool i1, int i64, float double, zero {} (a symbolic zero has no
 * data), tuples literal structs, functions { i32 tag, i8* env }.  An env
 * (a map from free-variable keys to sensitivities) is, when the module's
 * keys are few and hold plain data, a literal struct with one slot per key
 * (dense_env: newenv is all zeros, env_set an insertvalue, no runtime
 * call); otherwise an i8* to a runtime env (NULL when empty).
 */
#include "codegen.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "../../runtime/myrt.h"
#include "scalar.h"
#include "../util/file.h"

/* ======================================================================
 * State
 * ====================================================================== */

typedef enum GKind { GK_NONE, GK_UNIT, GK_BLOCK } GKind;

typedef struct Region Region;

typedef struct GInfo {
    GKind kind;
    Graph *group;               /* the unit whose LLVM function holds this graph */
    int scc;                    /* units: component id */
    bool machine;               /* units: part of a recursive component */
    int mindex;                 /* units in a machine: entry index */
    LLVMValueRef fn;            /* units: what callers call (the machine wrapper for machine units) */
    LLVMTypeRef fnty;
    LLVMTypeRef envty;          /* struct of the free-variable parameters (nfree > 0) */
    LLVMTypeRef argsty;         /* machine units: struct of all parameters */
    /* per emission (valid while region == the region emitting it) */
    Region *region;
    LLVMBasicBlockRef entry;
    LLVMValueRef *phis;
    bool emitted;
} GInfo;

typedef struct Cg {
    Module *m;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTargetDataRef td;
    GInfo *gi;                  /* by graph id */
    uint32_t ngi;
    NodeVec *bodies;            /* by graph id: ir_graph_body, computed once (body_of) */
    uint8_t *have_body;
    /* common types */
    LLVMTypeRef t_i1, t_i8, t_i32, t_i64, t_f64, t_ptr, t_void, t_fnval, t_zero;
    /* runtime */
    LLVMValueRef rt_alloc, rt_push, rt_pop, rt_env_set, rt_env_get, rt_env_add, rt_error, rt_enter, rt_leave;
    LLVMTypeRef rt_alloc_ty, rt_push_ty, rt_pop_ty, rt_env_set_ty, rt_env_get_ty, rt_env_add_ty, rt_error_ty,
        rt_enter_ty, rt_leave_ty;
    LLVMTypeRef ops_ty, add_fn_ty;
    /* myrt.alloc, myrt.frame_push, myrt.frame_pop: the runtime's common
       paths inline (define_fast_paths) */
    LLVMValueRef alloc_fast, push_fast, pop_fast;
    /* env keys: canonical stored type per key; with dense_env, the key's
       field in t_env (-1: only zeros are stored under it) */
    struct { int64_t key; Type *type; int slot; } *keys;
    int nkeys, capkeys;
    bool dense_env, keys_done;
    LLVMTypeRef t_env;
    /* sens ops globals per canonical type (by type id) */
    struct { const Type *t; LLVMValueRef g; } *ops;
    int nops, capops;
    /* node values of the graph being emitted */
    LLVMValueRef *val;
    uint32_t *valstamp;
    uint32_t nval, stamp;
    int *lastuse;               /* machine splits: body position of a node's last use */
    uint32_t *usestamp;
    /* make_closure and switch nodes whose every use calls them (no closure is built) */
    uint8_t *elided;
    int nstr;
} Cg;

struct Region {
    LLVMValueRef fn;
    bool machine;
    int scc;
    LLVMValueRef arena;
    GraphVec todo;
    /* machine */
    LLVMValueRef depth, fp, retbuf;
    LLVMBasicBlockRef dispatch;
    LLVMValueRef dispatch_switch;
    int nretids;
    struct { const Type *t; LLVMValueRef slot; LLVMBasicBlockRef exit; } *slots;
    int nslots, capslots;
    /* a machine of one unit: the unit, and by parameter index its value
       on entry when the parameter is invariant (machine_invariants), else
       NULL */
    Graph *inv_unit;
    LLVMValueRef *inv;
};

static LLVMTypeRef ty(Cg *cg, const Type *t);
static LLVMValueRef emit_alloc(Cg *cg, LLVMValueRef arena, uint64_t size, const char *name);

typedef VEC(const Type *) CTypeVec;
typedef VEC(LLVMValueRef) ValVec;

/* ======================================================================
 * Small helpers
 * ====================================================================== */

/* g's body in schedule order (the IR does not change during codegen). */
static const NodeVec *body_of(Cg *cg, const Graph *g)
{
    NodeVec *b = &cg->bodies[g->id];
    if (!cg->have_body[g->id]) {
        ir_graph_body(g, b);
        cg->have_body[g->id] = 1;
    }
    return b;
}

static GInfo *info(Cg *cg, const Graph *g)
{
    if (g->id >= cg->ngi)
        die("codegen: graph @%s has no info", g->name);
    return &cg->gi[g->id];
}

static LLVMValueRef fn_in(Cg *cg)
{
    return LLVMGetBasicBlockParent(LLVMGetInsertBlock(cg->b));
}

static LLVMBasicBlockRef new_block(Cg *cg, const char *name)
{
    return LLVMAppendBasicBlockInContext(cg->ctx, fn_in(cg), name);
}

static void add_attr(Cg *cg, LLVMValueRef fn, LLVMAttributeIndex idx, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

static LLVMValueRef ptr_to(Cg *cg, LLVMValueRef p, LLVMTypeRef elem)
{
    return LLVMBuildBitCast(cg->b, p, LLVMPointerType(elem, 0), "");
}

static LLVMValueRef const_i32(Cg *cg, int v) { return LLVMConstInt(cg->t_i32, (unsigned long long)v, 0); }
static LLVMValueRef const_i64(Cg *cg, int64_t v) { return LLVMConstInt(cg->t_i64, (unsigned long long)v, 1); }

static uint64_t size_of(Cg *cg, LLVMTypeRef t)
{
    return LLVMABISizeOfType(cg->td, t);
}

/* An alloca in the entry block of the current function. */
static LLVMValueRef entry_alloca(Cg *cg, LLVMTypeRef t, const char *name)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef first = LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(cur));
    LLVMValueRef inst = LLVMGetFirstInstruction(first);
    if (inst)
        LLVMPositionBuilderBefore(cg->b, inst);
    else
        LLVMPositionBuilderAtEnd(cg->b, first);
    LLVMValueRef a = LLVMBuildAlloca(cg->b, t, name);
    LLVMSetAlignment(a, 16);
    LLVMPositionBuilderAtEnd(cg->b, cur);
    return a;
}

static LLVMValueRef cstring(Cg *cg, const char *s)
{
    char name[32];
    snprintf(name, sizeof name, ".str.%d", cg->nstr++);
    LLVMValueRef init = LLVMConstStringInContext(cg->ctx, s, (unsigned)strlen(s), 0);
    LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    return LLVMConstBitCast(g, cg->t_ptr);
}

/* Calls the runtime error handler (never returns) and continues in a
   fresh, unreachable block. */
static void runtime_error(Cg *cg, const char *msg)
{
    LLVMValueRef arg = cstring(cg, msg);
    LLVMBuildCall2(cg->b, cg->rt_error_ty, cg->rt_error, &arg, 1, "");
    LLVMBuildUnreachable(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, new_block(cg, "dead"));
}

static bool is_func(const Type *t) { return t && t->kind == T_FUNC; }

static bool same_ref(const FnRef *a, const FnRef *b)
{
    return a->graph == b->graph && (a->graph || a->prim == b->prim);
}

static int ref_index(const Type *t, const FnRef *r)
{
    for (int i = 0; t && t->kind == T_FUNC && i < t->n; i++)
        if (same_ref(&t->fns[i], r))
            return i;
    return -1;
}

static int graph_index(const Type *t, const Graph *g)
{
    FnRef r = {(Graph *)g, -1, NULL, NULL};
    return ref_index(t, &r);
}

/* ======================================================================
 * Types and values
 * ====================================================================== */

static LLVMTypeRef ty(Cg *cg, const Type *t)
{
    if (!t)
        return cg->t_zero;
    switch (t->kind) {
    case T_BOOL: return cg->t_i1;
    case T_INT: return cg->t_i64;
    case T_FLOAT: return cg->t_f64;
    case T_ZERO: return cg->t_zero;
    case T_ENV:
        if (!cg->keys_done)
            die("codegen: the representation of env asked before the keys are known");
        return cg->dense_env ? cg->t_env : cg->t_ptr;
    case T_FUNC: return cg->t_fnval;
    case T_TUPLE: {
        LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(t->n + 1));
        for (int i = 0; i < t->n; i++)
            el[i] = ty(cg, t->elems[i]);
        LLVMTypeRef s = LLVMStructTypeInContext(cg->ctx, el, (unsigned)t->n, 0);
        free(el);
        return s;
    }
    }
    return cg->t_zero;
}

/* The all-zero value of t: 0, 0.0, False, (), NULL env, ... */
static LLVMValueRef zero_value(Cg *cg, const Type *t)
{
    return LLVMConstNull(ty(cg, t));
}

static LLVMValueRef fn_value(Cg *cg, int tag, LLVMValueRef env)
{
    LLVMValueRef v = LLVMGetUndef(cg->t_fnval);
    v = LLVMBuildInsertValue(cg->b, v, const_i32(cg, tag), 0, "");
    return LLVMBuildInsertValue(cg->b, v, env ? env : LLVMConstNull(cg->t_ptr), 1, "");
}

/* Converts v from type `from` to type `to` where the language converts
   implicitly or a join widened a type: bool/int to float, bool to int,
   zero to anything (materialised), anything to zero (dropped: it is known
   to be zero), tuples elementwise, function values between types listing
   the same functions in other positions. */
static LLVMValueRef coerce(Cg *cg, LLVMValueRef v, const Type *from, const Type *to)
{
    if (from == to || !to)
        return v;
    if (to->kind == T_ZERO)
        return zero_value(cg, to);
    if (!from || from->kind == T_ZERO)
        return zero_value(cg, to);
    switch (to->kind) {
    case T_FLOAT:
        if (from->kind == T_INT)
            return LLVMBuildSIToFP(cg->b, v, cg->t_f64, "");
        if (from->kind == T_BOOL)
            return LLVMBuildUIToFP(cg->b, v, cg->t_f64, "");
        break;
    case T_INT:
        if (from->kind == T_BOOL)
            return LLVMBuildZExt(cg->b, v, cg->t_i64, "");
        break;
    case T_TUPLE:
        if (from->kind == T_TUPLE && from->n == to->n) {
            LLVMValueRef r = LLVMGetUndef(ty(cg, to));
            for (int i = 0; i < to->n; i++) {
                LLVMValueRef e = LLVMBuildExtractValue(cg->b, v, (unsigned)i, "");
                r = LLVMBuildInsertValue(cg->b, r, coerce(cg, e, from->elems[i], to->elems[i]), (unsigned)i, "");
            }
            return r;
        }
        break;
    case T_FUNC:
        if (from->kind == T_FUNC) {
            /* remap tags: a switch over from's functions */
            bool identity = from->n <= to->n;
            for (int i = 0; identity && i < from->n; i++)
                identity = ref_index(to, &from->fns[i]) == i;
            if (identity)
                return v;
            LLVMValueRef tag = LLVMBuildExtractValue(cg->b, v, 0, "");
            LLVMValueRef nt = const_i32(cg, 0);
            for (int i = 0; i < from->n; i++) {
                int j = ref_index(to, &from->fns[i]);
                if (j < 0)
                    die("codegen: function type conversion loses @%s",
                        from->fns[i].graph ? from->fns[i].graph->name : "a primitive");
                LLVMValueRef is = LLVMBuildICmp(cg->b, LLVMIntEQ, tag, const_i32(cg, i), "");
                nt = LLVMBuildSelect(cg->b, is, const_i32(cg, j), nt, "");
            }
            return LLVMBuildInsertValue(cg->b, v, nt, 0, "");
        }
        break;
    case T_ENV:
    case T_BOOL:
    case T_ZERO:
        break;
    }
    if (from->kind == to->kind && from->kind != T_TUPLE && from->kind != T_FUNC)
        return v;
    StrBuf a = {0}, b = {0};
    type_str(from, &a);
    type_str(to, &b);
    die("codegen: cannot convert %s to %s", sb_cstr(&a), sb_cstr(&b));
}

/* Python truth of a scalar condition (the truth primitive). */
static LLVMValueRef truth(Cg *cg, LLVMValueRef v, const Type *t)
{
    if (!type_is_scalar(t))
        die("codegen: a condition of a non-scalar type");
    CgPrimCtx pc = {cg->ctx, cg->mod, cg->b};
    Type *arg = (Type *)t;
    return cg_scalar_prim(&pc, P_TRUTH, &v, &arg, 1, type_bool(cg->m->types));
}

/* ======================================================================
 * Sensitivity arithmetic (type-directed)
 * ====================================================================== */

static LLVMValueRef sens_ops(Cg *cg, const Type *t);

static LLVMValueRef sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                             const Type *tb, const Type *rt);

static LLVMValueRef env_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, LLVMValueRef b)
{
    if (cg->dense_env) {
        for (int i = 0; i < cg->nkeys; i++) {
            unsigned f = (unsigned)cg->keys[i].slot;
            const Type *kt = cg->keys[i].type;
            if (cg->keys[i].slot < 0)
                continue;
            LLVMValueRef x = LLVMBuildExtractValue(cg->b, a, f, ""), y = LLVMBuildExtractValue(cg->b, b, f, "");
            a = LLVMBuildInsertValue(cg->b, a, sens_add(cg, arena, x, kt, y, kt, kt), f, "");
        }
        return a;
    }
    LLVMValueRef args[3] = {arena, a, b};
    return LLVMBuildCall2(cg->b, cg->rt_env_add_ty, cg->rt_env_add, args, 3, "");
}

/* a + b as sensitivities of types ta and tb, of result type rt. */
static LLVMValueRef sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                             const Type *tb, const Type *rt)
{
    if (!ta || ta->kind == T_ZERO)
        return coerce(cg, b, tb, rt);
    if (!tb || tb->kind == T_ZERO)
        return coerce(cg, a, ta, rt);
    switch (rt->kind) {
    case T_ZERO:
        return zero_value(cg, rt);
    case T_FLOAT:
        return LLVMBuildFAdd(cg->b, coerce(cg, a, ta, rt), coerce(cg, b, tb, rt), "");
    case T_ENV:
        return env_add(cg, arena, a, b);
    case T_TUPLE: {
        LLVMValueRef r = LLVMGetUndef(ty(cg, rt));
        for (int i = 0; i < rt->n; i++) {
            LLVMValueRef x = LLVMBuildExtractValue(cg->b, a, (unsigned)i, "");
            LLVMValueRef y = LLVMBuildExtractValue(cg->b, b, (unsigned)i, "");
            r = LLVMBuildInsertValue(cg->b, r,
                                     sens_add(cg, arena, x, ta->elems[i], y, tb->elems[i], rt->elems[i]),
                                     (unsigned)i, "");
        }
        return r;
    }
    default:
        die("codegen: sens_add of an unexpected type");
    }
}

/* d * k for a scalar k; 0 where d is 0 (even when k is inf or nan). */
static LLVMValueRef sens_scale(Cg *cg, LLVMValueRef d, const Type *td, LLVMValueRef k, const Type *tk,
                               const Type *rt)
{
    if (!td || td->kind == T_ZERO || !tk || tk->kind == T_ZERO || rt->kind == T_ZERO)
        return zero_value(cg, rt);
    if (rt->kind == T_TUPLE) {
        LLVMValueRef r = LLVMGetUndef(ty(cg, rt));
        for (int i = 0; i < rt->n; i++) {
            LLVMValueRef x = LLVMBuildExtractValue(cg->b, d, (unsigned)i, "");
            r = LLVMBuildInsertValue(cg->b, r, sens_scale(cg, x, td->elems[i], k, tk, rt->elems[i]), (unsigned)i, "");
        }
        return r;
    }
    if (rt->kind != T_FLOAT)
        die("codegen: sens_scale of an unexpected type");
    LLVMValueRef x = coerce(cg, d, td, rt), y = coerce(cg, k, tk, rt);
    LLVMValueRef isz = LLVMBuildFCmp(cg->b, LLVMRealOEQ, x, LLVMConstReal(cg->t_f64, 0.0), "");
    return LLVMBuildSelect(cg->b, isz, LLVMConstReal(cg->t_f64, 0.0), LLVMBuildFMul(cg->b, x, y, ""), "");
}

/* d given the shape of rt, zeros materialised (sens_dense, env_get). */
static LLVMValueRef dense(Cg *cg, LLVMValueRef d, const Type *td, const Type *rt)
{
    return coerce(cg, d, td, rt);
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

/* A dense env is copied whole wherever an env is (closure records, tuples,
   returns); above this size the runtime's shared-structure envs win. */
enum { DENSE_ENV_MAX_BYTES = 512 };

/* Every value stored under one key is stored in one representation: the
   join of what the env_set nodes of the module store there.  Then the
   representation of env: dense when every key holds plain sensitivities
   and all keys fit in DENSE_ENV_MAX_BYTES. */
static void collect_keys(Cg *cg, Graph *const *graphs, int n)
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
        cg->dense_env = cg->dense_env && (!kt || type_is_float_shaped(kt));   /* slots: zero bits are zero */
        if (kt && kt->kind != T_ZERO)
            cg->keys[i].slot = nslots++;
    }
    cg->keys_done = true;
    if (!cg->dense_env)
        return;
    LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(nslots + 1));
    for (int i = 0; i < cg->nkeys; i++)
        if (cg->keys[i].slot >= 0)
            el[cg->keys[i].slot] = ty(cg, cg->keys[i].type);
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
    LLVMTypeRef lt = ty(cg, t);
    char name[48];
    snprintf(name, sizeof name, "myc.sens_add.%u", t->id);
    LLVMValueRef add = LLVMAddFunction(cg->mod, name, cg->add_fn_ty);
    LLVMSetLinkage(add, LLVMInternalLinkage);
    add_attr(cg, add, LLVMAttributeFunctionIndex, "nounwind");
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, add, "entry"));
    LLVMValueRef x = LLVMBuildLoad2(cg->b, lt, ptr_to(cg, LLVMGetParam(add, 2), lt), "");
    LLVMValueRef y = LLVMBuildLoad2(cg->b, lt, ptr_to(cg, LLVMGetParam(add, 3), lt), "");
    LLVMValueRef s = sens_add(cg, LLVMGetParam(add, 0), x, t, y, t, t);
    LLVMBuildStore(cg->b, s, ptr_to(cg, LLVMGetParam(add, 1), lt));
    LLVMBuildRetVoid(cg->b);
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

static LLVMValueRef env_set(Cg *cg, LLVMValueRef arena, LLVMValueRef e, int64_t key, LLVMValueRef d, const Type *td)
{
    int i = key_index(cg, key);
    Type *kt = i < 0 ? NULL : cg->keys[i].type;
    if (!kt || kt->kind == T_ZERO)
        return e;       /* only zeros are ever stored under this key: nothing to store */
    LLVMValueRef v = coerce(cg, d, td, kt);
    if (cg->dense_env)
        return LLVMBuildInsertValue(cg->b, e, v, (unsigned)cg->keys[i].slot, "");
    LLVMValueRef tmp = entry_alloca(cg, ty(cg, kt), "envval");
    LLVMBuildStore(cg->b, v, tmp);
    LLVMValueRef args[5] = {arena, e, const_i64(cg, key), LLVMConstBitCast(sens_ops(cg, kt), cg->t_ptr),
                            LLVMBuildBitCast(cg->b, tmp, cg->t_ptr, "")};
    return LLVMBuildCall2(cg->b, cg->rt_env_set_ty, cg->rt_env_set, args, 5, "");
}

static LLVMValueRef env_get(Cg *cg, LLVMValueRef e, int64_t key, const Type *rt)
{
    int i = key_index(cg, key);
    Type *kt = i < 0 ? NULL : cg->keys[i].type;
    if (!kt || kt->kind == T_ZERO)
        return zero_value(cg, rt);
    if (cg->dense_env)
        return dense(cg, LLVMBuildExtractValue(cg->b, e, (unsigned)cg->keys[i].slot, ""), kt, rt);
    LLVMValueRef args[2] = {e, const_i64(cg, key)};
    LLVMValueRef p = LLVMBuildCall2(cg->b, cg->rt_env_get_ty, cg->rt_env_get, args, 2, "");
    LLVMValueRef found = LLVMBuildICmp(cg->b, LLVMIntNE, p, LLVMConstNull(cg->t_ptr), "");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef load = new_block(cg, "env.found"), join = new_block(cg, "env.join");
    LLVMBuildCondBr(cg->b, found, load, join);
    LLVMPositionBuilderAtEnd(cg->b, load);
    LLVMValueRef v = dense(cg, LLVMBuildLoad2(cg->b, ty(cg, kt), ptr_to(cg, p, ty(cg, kt)), ""), kt, rt);
    LLVMBasicBlockRef load_end = LLVMGetInsertBlock(cg->b);
    LLVMBuildBr(cg->b, join);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef phi = LLVMBuildPhi(cg->b, ty(cg, rt), "");
    LLVMValueRef vals[2] = {zero_value(cg, rt), v};
    LLVMBasicBlockRef bbs[2] = {from, load_end};
    LLVMAddIncoming(phi, vals, bbs, 2);
    return phi;
}

/* ======================================================================
 * Classification: units, blocks, groups
 * ====================================================================== */

/* True when every use of n is as the callee of an Apply (so no closure
   needs to exist) -- or, for a switch, as the callee of calls. */
static bool only_called(const Node *n)
{
    if (!n->uses)
        return false;
    for (const Use *u = n->uses; u; u = u->next)
        if (!u->user || u->index != 0)
            return false;
    return true;
}

/* A closure-valued node whose every use calls it: make_closure(G, ...) or
   a graph constant, directly or as an operand of a switch only called. */
static bool closure_elidable(const Node *x)
{
    for (const Use *u = x->uses; u; u = u->next) {
        if (!u->user)
            return false;
        const Node *s = u->user;
        if (u->index == 0)
            continue;
        if (s->app.n == 4 && ir_is_const_prim(s->app.in[0], P_SWITCH) && u->index >= 2 && only_called(s))
            continue;
        return false;
    }
    return x->uses != NULL;
}

static bool is_make_closure(const Node *x)
{
    return x->kind == N_APPLY && x->app.n >= 2 && ir_is_const_prim(x->app.in[0], P_MAKE_CLOSURE);
}

/* The graph a callee operand names statically: a graph constant or a
   make_closure node; NULL otherwise. */
static Graph *static_graph(const Node *x)
{
    if (ir_is_const_graph(x))
        return x->k.u.graph;
    if (is_make_closure(x))
        return x->app.in[1]->k.u.graph;
    return NULL;
}

/* Is this use of graph constant c (input `index` of `user`) a jump: a tail
   call, or an operand of a switch whose result only tail-calls? */
static bool use_is_jump(const Use *u, Graph **from)
{
    const Node *user = u->user;
    if (!user)
        return false;
    if (u->index == 0) {
        *from = user->graph;
        return user->graph->output == user;
    }
    const Node *val = user;
    if (is_make_closure(user)) {
        if (u->index != 1)
            return false;
        /* the make_closure must itself be used only as a switch operand */
        for (const Use *w = user->uses; w; w = w->next) {
            if (!w->user || w->index < 2 || !(w->user->app.n == 4 && ir_is_const_prim(w->user->app.in[0], P_SWITCH)))
                return false;
        }
        if (!user->uses)
            return false;
        val = user->uses->user;
        for (const Use *w = user->uses; w; w = w->next)
            if (w->user != val)
                return false;
    }
    if (!(val->app.n == 4 && ir_is_const_prim(val->app.in[0], P_SWITCH)))
        return false;
    if (val == user && u->index < 2)
        return false;
    for (const Use *w = val->uses; w; w = w->next) {
        if (!w->user || w->index != 0 || w->user->graph->output != w->user)
            return false;
    }
    if (!val->uses)
        return false;
    *from = val->uses->user->graph;
    for (const Use *w = val->uses; w; w = w->next)
        if (w->user->graph != *from)
            return false;
    return true;
}

/* The uses of graph g's constants: every Constant node naming g.  Graph
   constants are not shared in a useful index, so scan the bodies once. */
typedef struct ConstUses { NodeVec *by_graph; } ConstUses;

static void classify(Cg *cg, Graph *const *graphs, int n, const bool *is_root, ConstUses *cu)
{
    /* candidates: every use is a jump, and nothing names the graph otherwise */
    GraphVec *from = xcalloc(cg->ngi, sizeof(GraphVec));
    for (int i = 0; i < n; i++) {
        Graph *g = graphs[i];
        GInfo *gi = info(cg, g);
        NodeVec *cs = &cu->by_graph[g->id];
        bool cand = !is_root[g->id] && cs->len > 0;
        for (int k = 0; cand && k < cs->len; k++)
            for (Use *u = cs->data[k]->uses; cand && u; u = u->next) {
                Graph *f = NULL;
                cand = use_is_jump(u, &f);
                if (cand)
                    vec_push(&from[g->id], f);
            }
        gi->kind = cand ? GK_BLOCK : GK_UNIT;
        gi->group = cand ? NULL : g;
    }
    /* groups: optimistic propagation, then demotion of blocks whose jumps
       come from two groups, until stable */
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < n; i++) {
            GInfo *gi = info(cg, graphs[i]);
            if (gi->kind == GK_BLOCK)
                gi->group = NULL;
        }
        for (bool grew = true; grew;) {
            grew = false;
            for (int i = 0; i < n; i++) {
                Graph *g = graphs[i];
                GInfo *gi = info(cg, g);
                if (gi->kind != GK_BLOCK || gi->group)
                    continue;
                for (int k = 0; k < from[g->id].len; k++) {
                    Graph *grp = info(cg, from[g->id].data[k])->group;
                    if (grp) {
                        gi->group = grp;
                        grew = true;
                        break;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Graph *g = graphs[i];
            GInfo *gi = info(cg, g);
            if (gi->kind != GK_BLOCK)
                continue;
            bool ok = gi->group != NULL;
            for (int k = 0; ok && k < from[g->id].len; k++)
                ok = info(cg, from[g->id].data[k])->group == gi->group;
            if (!ok) {
                gi->kind = GK_UNIT;
                gi->group = g;
                changed = true;
            }
        }
    }
    for (uint32_t i = 0; i < cg->ngi; i++)
        vec_free(&from[i]);
    free(from);
}

/* ======================================================================
 * The call graph between units and its recursive components
 * ====================================================================== */

/* Units a call site may enter (calls and tail calls to units). */
static void call_targets(const Node *call, GraphVec *out)
{
    const Node *c = call->app.in[0];
    Graph *g = static_graph(c);
    if (g) {
        vec_push(out, g);
        return;
    }
    if (c->kind == N_APPLY && c->app.n == 4 && ir_is_const_prim(c->app.in[0], P_SWITCH)) {
        for (int k = 2; k < 4; k++) {
            Graph *h = static_graph(c->app.in[k]);
            if (h)
                vec_push(out, h);
        }
        if (static_graph(c->app.in[2]) && static_graph(c->app.in[3]))
            return;
    }
    const Type *t = c->type;
    for (int i = 0; t && t->kind == T_FUNC && i < t->n; i++)
        if (t->fns[i].graph)
            vec_push(out, t->fns[i].graph);
}

typedef struct Tarjan {
    int *index, *low;
    uint8_t *on;
    GraphVec stack;
    int next, ncomp;
} Tarjan;

/* Edges of the component graph: for unit u, the units its group (u and
   its blocks, `members`) calls. */
static void unit_edges(Cg *cg, Graph *u, const GraphVec *members, GraphVec *out)
{
    for (int i = 0; i < members->len; i++) {
        Graph *g = members->data[i];
        const NodeVec *body = body_of(cg, g);
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            Node *c = x->app.in[0];
            if (c->kind == N_CONST && c->k.kind == K_PRIM)
                continue;
            bool tail = g->output == x;
            GraphVec t = {0};
            call_targets(x, &t);
            for (int k = 0; k < t.len; k++) {
                GInfo *ti = info(cg, t.data[k]);
                if (ti->kind == GK_BLOCK)
                    continue;           /* a jump inside the group */
                if (t.data[k] == u && tail)
                    continue;           /* a self tail call: a loop */
                vec_push(out, t.data[k]);
            }
            vec_free(&t);
        }
    }
}

static void find_components(Cg *cg, Graph *const *graphs, int n)
{
    GraphVec units = {0};
    for (int i = 0; i < n; i++)
        if (info(cg, graphs[i])->kind == GK_UNIT)
            vec_push(&units, graphs[i]);
    GraphVec *edges = xcalloc(cg->ngi, sizeof(GraphVec));
    GraphVec *members = xcalloc(cg->ngi, sizeof(GraphVec));    /* by group root id */
    for (int i = 0; i < n; i++)
        vec_push(&members[info(cg, graphs[i])->group->id], graphs[i]);
    bool *self = xcalloc(cg->ngi, sizeof(bool));
    for (int i = 0; i < units.len; i++) {
        Graph *u = units.data[i];
        unit_edges(cg, u, &members[u->id], &edges[u->id]);
        for (int k = 0; k < edges[u->id].len; k++)
            if (edges[u->id].data[k] == u)
                self[u->id] = true;
    }
    Tarjan tj = {0};
    tj.index = xmalloc(sizeof(int) * cg->ngi);
    tj.low = xmalloc(sizeof(int) * cg->ngi);
    tj.on = xcalloc(cg->ngi, 1);
    for (uint32_t i = 0; i < cg->ngi; i++)
        tj.index[i] = -1;
    typedef struct { Graph *g; int next; } Fr;
    VEC(Fr) dfs = {0};
    for (int r = 0; r < units.len; r++) {
        if (tj.index[units.data[r]->id] >= 0)
            continue;
        Fr f0 = {units.data[r], 0};
        vec_push(&dfs, f0);
        tj.index[f0.g->id] = tj.low[f0.g->id] = tj.next++;
        vec_push(&tj.stack, f0.g);
        tj.on[f0.g->id] = 1;
        while (dfs.len) {
            Fr *top = &dfs.data[dfs.len - 1];
            Graph *g = top->g;
            if (top->next < edges[g->id].len) {
                Graph *w = edges[g->id].data[top->next++];
                if (tj.index[w->id] < 0) {
                    tj.index[w->id] = tj.low[w->id] = tj.next++;
                    vec_push(&tj.stack, w);
                    tj.on[w->id] = 1;
                    Fr f = {w, 0};
                    vec_push(&dfs, f);
                } else if (tj.on[w->id] && tj.index[w->id] < tj.low[g->id]) {
                    tj.low[g->id] = tj.index[w->id];
                }
                continue;
            }
            dfs.len--;
            if (dfs.len) {
                Graph *p = dfs.data[dfs.len - 1].g;
                if (tj.low[g->id] < tj.low[p->id])
                    tj.low[p->id] = tj.low[g->id];
            }
            if (tj.low[g->id] == tj.index[g->id]) {
                int comp = tj.ncomp++;
                int start = tj.stack.len;
                while (tj.stack.data[start - 1] != g)
                    start--;
                start--;
                int size = tj.stack.len - start;
                int idx = 0;
                for (int k = start; k < tj.stack.len; k++) {
                    Graph *w = tj.stack.data[k];
                    tj.on[w->id] = 0;
                    GInfo *wi = info(cg, w);
                    wi->scc = comp;
                    wi->machine = size > 1 || self[w->id];
                    wi->mindex = idx++;
                }
                tj.stack.len = start;
            }
        }
    }
    vec_free(&dfs);
    vec_free(&tj.stack);
    free(tj.index);
    free(tj.low);
    free(tj.on);
    for (uint32_t i = 0; i < cg->ngi; i++) {
        vec_free(&edges[i]);
        vec_free(&members[i]);
    }
    free(edges);
    free(members);
    free(self);
    vec_free(&units);
}

/* ======================================================================
 * Function declarations
 * ====================================================================== */

static const Type *ret_type(const Graph *g)
{
    return g->ret_type ? g->ret_type : g->output ? g->output->type : NULL;
}

static LLVMTypeRef params_struct(Cg *cg, const Graph *g, int from)
{
    int n = g->nparams - from;
    LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        el[i] = ty(cg, g->params[from + i]->type);
    LLVMTypeRef s = LLVMStructTypeInContext(cg->ctx, el, (unsigned)n, 0);
    free(el);
    return s;
}

static void declare_unit(Cg *cg, Graph *g)
{
    GInfo *gi = info(cg, g);
    LLVMTypeRef *pt = xmalloc(sizeof(LLVMTypeRef) * (size_t)(g->nparams + 1));
    pt[0] = cg->t_ptr;
    for (int i = 0; i < g->nparams; i++)
        pt[i + 1] = ty(cg, g->params[i]->type);
    gi->fnty = LLVMFunctionType(ty(cg, ret_type(g)), pt, (unsigned)g->nparams + 1, 0);
    free(pt);
    char *name = arena_printf(cg->m->arena, "myc.%s", g->name);
    gi->fn = LLVMAddFunction(cg->mod, name, gi->fnty);
    LLVMSetLinkage(gi->fn, LLVMInternalLinkage);
    LLVMSetFunctionCallConv(gi->fn, LLVMFastCallConv);
    add_attr(cg, gi->fn, LLVMAttributeFunctionIndex, "nounwind");
    add_attr(cg, gi->fn, 1, "noalias");
    if (gi->machine)
        gi->argsty = params_struct(cg, g, 0);
}

static void declare_envs(Cg *cg, Graph *const *graphs, int n)
{
    for (int i = 0; i < n; i++) {
        Graph *g = graphs[i];
        if (g->nfree)
            info(cg, g)->envty = params_struct(cg, g, g->nparams - g->nfree);
    }
}

static LLVMValueRef call_fn(Cg *cg, LLVMTypeRef fty, LLVMValueRef fn, LLVMValueRef *args, int n, bool fast)
{
    LLVMValueRef c = LLVMBuildCall2(cg->b, fty, fn, args, (unsigned)n, "");
    if (fast)
        LLVMSetInstructionCallConv(c, LLVMFastCallConv);
    return c;
}

/* ======================================================================
 * Emission of graphs
 * ====================================================================== */

static LLVMValueRef get_val(Cg *cg, Region *r, Node *x);

static void set_val(Cg *cg, const Node *x, LLVMValueRef v)
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

static bool has_val(Cg *cg, const Node *x)
{
    return x->id < cg->nval && cg->valstamp[x->id] == cg->stamp;
}

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
    for (int i = 0; i < g->nparams; i++)
        gi->phis[i] = LLVMBuildPhi(cg->b, ty(cg, g->params[i]->type), g->params[i]->name ? g->params[i]->name : "");
    if (saved)
        LLVMPositionBuilderAtEnd(cg->b, saved);
    vec_push(&r->todo, g);
    return gi->entry;
}

/* Branches to g's entry with the given parameter values. */
static void jump(Cg *cg, Region *r, Graph *g, LLVMValueRef *vals)
{
    LLVMBasicBlockRef bb = graph_entry(cg, r, g);
    GInfo *gi = info(cg, g);
    LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
    for (int i = 0; i < g->nparams; i++)
        LLVMAddIncoming(gi->phis[i], &vals[i], &from, 1);
    LLVMBuildBr(cg->b, bb);
}

/* ---- machines -------------------------------------------------------------- */

static LLVMValueRef ret_slot(Cg *cg, Region *r, const Type *t, LLVMBasicBlockRef *exit)
{
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].t == t) {
            if (exit)
                *exit = r->slots[i].exit;
            return r->slots[i].slot;
        }
    if (r->nslots == r->capslots) {
        r->capslots = r->capslots ? r->capslots * 2 : 8;
        r->slots = xrealloc(r->slots, sizeof *r->slots * (size_t)r->capslots);
    }
    LLVMValueRef slot = entry_alloca(cg, ty(cg, t), "ret");
    /* the exit for a return at depth 0: copy to the caller's buffer */
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef ex = LLVMAppendBasicBlockInContext(cg->ctx, r->fn, "machine.exit");
    LLVMPositionBuilderAtEnd(cg->b, ex);
    LLVMValueRef v = LLVMBuildLoad2(cg->b, ty(cg, t), slot, "");
    LLVMBuildStore(cg->b, v, ptr_to(cg, r->retbuf, ty(cg, t)));
    LLVMBuildRetVoid(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, saved);
    r->slots[r->nslots].t = t;
    r->slots[r->nslots].slot = slot;
    r->slots[r->nslots++].exit = ex;
    if (exit)
        *exit = ex;
    return slot;
}

/* Returns v (of type t) from the unit whose code is running. */
static void region_return(Cg *cg, Region *r, const Graph *g, LLVMValueRef v, const Type *t)
{
    const Type *rt = ret_type(info(cg, g)->group);
    v = coerce(cg, v, t, rt);
    if (!r->machine) {
        LLVMBuildRet(cg->b, v);
        return;
    }
    LLVMBasicBlockRef exit;
    LLVMValueRef slot = ret_slot(cg, r, rt, &exit);
    LLVMBuildStore(cg->b, v, slot);
    LLVMValueRef d = LLVMBuildLoad2(cg->b, cg->t_i64, r->depth, "depth");
    LLVMValueRef top = LLVMBuildICmp(cg->b, LLVMIntEQ, d, const_i64(cg, 0), "");
    LLVMBuildCondBr(cg->b, top, exit, r->dispatch);
}

/* What x holds: x itself, or for a parameter that holds a closure's free
   variable (closure conversion's param.captured), that variable's root. */
static const Node *captured_root(const Node *x)
{
    while (x->kind == N_PARAM && x->param.captured)
        x = x->param.captured;
    return x;
}

/* In a machine of one unit u, the entry value of x when x holds an
   invariant parameter of u (machine_invariants), else NULL. */
static LLVMValueRef invariant_value(Cg *cg, const Region *r, const Node *x)
{
    if (!r->inv_unit || x->kind != N_PARAM)
        return NULL;
    const Node *root = captured_root(x);
    Graph *u = r->inv_unit;
    if (root->graph != u)
        return NULL;
    int i = root->param.index;
    LLVMValueRef v = i >= 0 && i < u->nparams && u->params[i] == root ? r->inv[i] : NULL;
    return v && has_val(cg, x) && LLVMTypeOf(v) == LLVMTypeOf(cg->val[x->id]) ? v : NULL;
}

/* A machine of one unit u (a self-recursive function): the parameters
   that every call of u inside the machine passes through unchanged (the
   argument is the calling activation's own parameter, or a closure's copy
   of it).  By induction over the run, such a parameter has in every
   activation the value the machine was entered with, which entry[i] holds
   and which dominates every block of the machine but its start: a machine
   call need not save it (machine_call, live_after), the continuation uses
   entry[i].  recursion's x and a leave its frames. */
static void machine_invariants(Cg *cg, Region *r, Graph *u, LLVMValueRef *entry)
{
    bool *keep = xmalloc((size_t)u->nparams + 1);
    memset(keep, 1, (size_t)u->nparams + 1);
    for (int gi = 0; gi < cg->m->graphs.len; gi++) {
        Graph *g = cg->m->graphs.data[gi];
        if (g->id >= cg->ngi || info(cg, g)->group != u)
            continue;
        const NodeVec *body = body_of(cg, g);
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            if (!ir_is_const_graph(x->app.in[0]) || x->app.in[0]->k.u.graph != u)
                continue;
            for (int i = 0; i < u->nparams; i++)
                keep[i] = keep[i] && x->app.n == u->nparams + 1 && captured_root(x->app.in[i + 1]) == u->params[i];
        }
    }
    r->inv_unit = u;
    r->inv = ARENA_ARRAY(cg->m->arena, LLVMValueRef, u->nparams + 1);
    for (int i = 0; i < u->nparams; i++)
        r->inv[i] = keep[i] ? entry[i] : NULL;
    free(keep);
}

/* Live values across a machine call at body position pos of the graph
   being emitted: those computed (or parameters) and used later.  The live
   parameters that are invariant (machine_invariants) go to inv instead,
   or nowhere when inv is NULL. */
static void live_after(Cg *cg, const Region *r, const Graph *g, const NodeVec *body, int pos, NodeVec *out,
                       NodeVec *inv)
{
    for (int i = 0; i < g->nparams; i++) {
        Node *p = g->params[i];
        if (p->id >= cg->nval || cg->usestamp[p->id] != cg->stamp || cg->lastuse[p->id] <= pos)
            continue;
        if (!invariant_value(cg, r, p))
            vec_push(out, p);
        else if (inv)
            vec_push(inv, p);
    }
    for (int i = 0; i < pos; i++) {
        Node *x = body->data[i];
        if (has_val(cg, x) && cg->usestamp[x->id] == cg->stamp && cg->lastuse[x->id] > pos)
            vec_push(out, x);
    }
}

typedef struct CallSite {
    const Graph *g;             /* graph being emitted */
    const NodeVec *body;
    int pos;                    /* position of the call in body */
} CallSite;

/* A call inside a machine to unit t of the same machine: saves the live
   values in a frame, jumps to t, and continues (after t returns) in a new
   block where the live values are reloaded.  Returns t's result. */
static LLVMValueRef machine_call(Cg *cg, Region *r, const CallSite *cs, Graph *t, LLVMValueRef *args,
                                 LLVMBasicBlockRef *cont_out)
{
    NodeVec live = {0}, inv = {0};
    live_after(cg, r, cs->g, cs->body, cs->pos, &live, &inv);
    LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(live.len + 2));
    el[0] = cg->t_i32;
    for (int i = 0; i < live.len; i++)
        el[i + 1] = LLVMTypeOf(cg->val[live.data[i]->id]);
    LLVMTypeRef frty = LLVMStructTypeInContext(cg->ctx, el, (unsigned)live.len + 1, 0);
    free(el);
    int retid = r->nretids++;
    LLVMValueRef pa[2] = {r->arena, LLVMConstInt(cg->t_i64, size_of(cg, frty), 0)};
    LLVMValueRef fp = ptr_to(cg, LLVMBuildCall2(cg->b, cg->rt_push_ty, cg->push_fast, pa, 2, "frame"), frty);
    LLVMBuildStore(cg->b, const_i32(cg, retid), LLVMBuildStructGEP2(cg->b, frty, fp, 0, ""));
    for (int i = 0; i < live.len; i++)
        LLVMBuildStore(cg->b, cg->val[live.data[i]->id], LLVMBuildStructGEP2(cg->b, frty, fp, (unsigned)i + 1, ""));
    LLVMValueRef d = LLVMBuildLoad2(cg->b, cg->t_i64, r->depth, "");
    LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, d, const_i64(cg, 1), ""), r->depth);
    jump(cg, r, t, args);
    /* the continuation */
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(cg->ctx, r->fn, "ret");
    LLVMAddCase(r->dispatch_switch, const_i32(cg, retid), cont);
    LLVMPositionBuilderAtEnd(cg->b, cont);
    LLVMValueRef f = ptr_to(cg, LLVMBuildLoad2(cg->b, cg->t_ptr, r->fp, ""), frty);
    for (int i = 0; i < live.len; i++)
        set_val(cg, live.data[i],
                LLVMBuildLoad2(cg->b, LLVMStructGetTypeAtIndex(frty, (unsigned)i + 1),
                               LLVMBuildStructGEP2(cg->b, frty, f, (unsigned)i + 1, ""), ""));
    for (int i = 0; i < inv.len; i++)
        set_val(cg, inv.data[i], invariant_value(cg, r, inv.data[i]));
    vec_free(&live);
    vec_free(&inv);
    const Type *rt = ret_type(t);
    LLVMValueRef slot = ret_slot(cg, r, rt, NULL);
    if (cont_out)
        *cont_out = cont;
    return LLVMBuildLoad2(cg->b, ty(cg, rt), slot, "");
}

/* ---- calls ------------------------------------------------------------------- */

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
            region_return(cg, r, cs->g, v, rt);
        return v;
    }
    Graph *g = t->g;
    GInfo *gi = info(cg, g);
    if (nargs + t->nextra != g->nparams)
        die("codegen: call of @%s with %d arguments, it takes %d", g->name, nargs + t->nextra, g->nparams);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 1));
    for (int i = 0; i < nargs; i++)
        a[i] = coerce(cg, args[i], types[i], g->params[i]->type);
    for (int i = 0; i < t->nextra; i++)
        a[nargs + i] = t->extra[i];
    const Type *gr = ret_type(g);
    Graph *u = info(cg, (Graph *)cs->g)->group;
    bool same_machine = r->machine && gi->kind == GK_UNIT && gi->machine && gi->scc == r->scc;
    LLVMValueRef result = NULL;
    if (gi->kind == GK_BLOCK) {
        if (!tail || gi->group != u)
            die("codegen: @%s jumps to @%s of another function", cs->g->name, g->name);
        jump(cg, r, g, a);          /* its return converts to u's result type */
        free(a);
        return NULL;
    }
    if (tail && gr == ret_type(u) && (g == u || same_machine)) {
        jump(cg, r, g, a);          /* a self tail call, or a tail call inside a machine */
        free(a);
        return NULL;
    }
    if (same_machine) {
        result = machine_call(cg, r, cs, g, a, NULL);
    } else {
        LLVMValueRef *ca = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
        ca[0] = r->arena;
        for (int i = 0; i < g->nparams; i++)
            ca[i + 1] = a[i];
        result = call_fn(cg, gi->fnty, gi->fn, ca, g->nparams + 1, true);
        free(ca);
    }
    free(a);
    result = coerce(cg, result, gr, rt);
    if (tail)
        region_return(cg, r, cs->g, result, rt);
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
    for (int i = 0; i < g->nfree; i++)
        v[i] = LLVMBuildLoad2(cg->b, LLVMStructGetTypeAtIndex(et, (unsigned)i),
                              LLVMBuildStructGEP2(cg->b, et, p, (unsigned)i, ""), "");
    return v;
}

static void static_target(Cg *cg, Region *r, Node *x, Target *t)
{
    memset(t, 0, sizeof *t);
    t->g = static_graph(x);
    if (is_make_closure(x)) {
        t->nextra = x->app.n - 2;
        t->extra = ARENA_ARRAY(cg->m->arena, LLVMValueRef, t->nextra + 1);
        for (int i = 0; i < t->nextra; i++)
            t->extra[i] = get_val(cg, r, x->app.in[i + 2]);
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
        args[i] = get_val(cg, r, call->app.in[i + 1]);
        types[i] = call->app.in[i + 1]->type;
    }
    LLVMValueRef result = NULL;
    const Type *rt = call->type;
    bool sw = callee->kind == N_APPLY && callee->app.n == 4 && ir_is_const_prim(callee->app.in[0], P_SWITCH) &&
              static_graph(callee->app.in[2]) && static_graph(callee->app.in[3]);
    if (callee->kind == N_CONST && callee->k.kind == K_PRIM) {
        Target t = {NULL, callee->k.u.prim, NULL, 0};
        result = call_target(cg, r, cs, call, &t, args, types, nargs, tail);
    } else if (static_graph(callee)) {
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
            sel = LLVMBuildZExt(cg->b, LLVMBuildNot(cg->b, truth(cg, get_val(cg, r, c), c->type), ""), cg->t_i32, "");
        } else {
            const Type *ft = callee->type;
            if (!is_func(ft) || ft->n == 0) {
                runtime_error(cg, "internal error: call of a value that is not a function");
                result = tail ? NULL : zero_value(cg, rt);
                if (tail)
                    LLVMBuildUnreachable(cg->b);
                free(args);
                free(types);
                return result;
            }
            nt = ft->n;
            ts = xcalloc((size_t)nt, sizeof(Target));
            sel = LLVMBuildExtractValue(cg->b, get_val(cg, r, callee), 0, "tag");
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
            live_after(cg, r, cs->g, cs->body, cs->pos, &live, NULL);
        LLVMValueRef *before = xmalloc(sizeof(LLVMValueRef) * (size_t)(live.len + 1));
        LLVMValueRef *after = xmalloc(sizeof(LLVMValueRef) * (size_t)(live.len * nt + 1));
        for (int k = 0; k < live.len; k++)
            before[k] = cg->val[live.data[k]->id];
        VEC(LLVMValueRef) ins_v = {0};
        VEC(LLVMBasicBlockRef) ins_b = {0};
        Graph *unit = info(cg, (Graph *)cs->g)->group;
        for (int i = 0; i < nt; i++) {
            /* A block is only ever jumped to from its own function, never
               called through a value: a type may still name it (the
               optimiser's copies widen types), but that arm cannot run. */
            GInfo *ti = ts[i].g ? info(cg, ts[i].g) : NULL;
            if (ti && ti->kind == GK_BLOCK && (!tail || ti->group != unit))
                continue;
            LLVMBasicBlockRef bb = new_block(cg, "call.arm");
            LLVMAddCase(swi, const_i32(cg, i), bb);
            LLVMPositionBuilderAtEnd(cg->b, bb);
            for (int k = 0; k < live.len; k++)
                set_val(cg, live.data[k], before[k]);
            if (!sw && ts[i].g && ts[i].g->nfree) {
                LLVMValueRef env = LLVMBuildExtractValue(cg->b, get_val(cg, r, callee), 1, "");
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
            result = LLVMBuildPhi(cg->b, ty(cg, rt), "");
            LLVMAddIncoming(result, ins_v.data, ins_b.data, (unsigned)ins_v.len);
            for (int k = 0; k < live.len; k++) {
                bool same = true;
                for (int a = 0; a < ins_v.len; a++)
                    same &= after[a * live.len + k] == before[k];
                if (same) {
                    set_val(cg, live.data[k], before[k]);
                    continue;
                }
                LLVMValueRef phi = LLVMBuildPhi(cg->b, LLVMTypeOf(before[k]), "");
                for (int a = 0; a < ins_v.len; a++)
                    LLVMAddIncoming(phi, &after[a * live.len + k], &ins_b.data[a], 1);
                set_val(cg, live.data[k], phi);
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

/* ---- primitives (the structural ones; scalars go to scalar.c) ----------- */

static LLVMValueRef make_closure(Cg *cg, Region *r, Node *n)
{
    Graph *g = n->app.in[1]->k.u.graph;
    int tag = graph_index(n->type, g);
    if (tag < 0)
        die("codegen: make_closure of @%s typed without it", g->name);
    GInfo *gi = info(cg, g);
    LLVMValueRef env = emit_alloc(cg, r->arena, size_of(cg, gi->envty), "env");
    LLVMValueRef p = ptr_to(cg, env, gi->envty);
    for (int i = 0; i < g->nfree; i++) {
        Node *x = n->app.in[i + 2];
        const Type *pt = g->params[g->nparams - g->nfree + i]->type;
        LLVMBuildStore(cg->b, coerce(cg, get_val(cg, r, x), x->type, pt),
                       LLVMBuildStructGEP2(cg->b, gi->envty, p, (unsigned)i, ""));
    }
    return fn_value(cg, tag, env);
}

/* rebind(x, key0, j0, ...): the transform's closure over x's environment. */
static LLVMValueRef rebind(Cg *cg, Region *r, Node *n)
{
    Node *xn = n->app.in[1];
    const Type *xt = xn->type, *rt = n->type;
    LLVMValueRef x = get_val(cg, r, xn);
    LLVMValueRef tag = LLVMBuildExtractValue(cg->b, x, 0, "");
    LLVMValueRef env = LLVMBuildExtractValue(cg->b, x, 1, "");
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
            LLVMValueRef *src = from ? load_env(cg, from, env) : NULL;
            GInfo *ti = info(cg, to);
            nenv = emit_alloc(cg, r->arena, size_of(cg, ti->envty), "env");
            LLVMValueRef p = ptr_to(cg, nenv, ti->envty);
            for (int j = 0; j < to->nfree; j++) {
                const Node *var = to->params[to->nparams - to->nfree + j]->param.captured;
                int q = from ? from->nfree - 1 : -1;
                while (q >= 0 && from->params[from->nparams - from->nfree + q]->param.captured != var)
                    q--;
                if (q < 0)
                    die("codegen: @%s captures a variable @%s does not", to->name, from ? from->name : "?");
                LLVMBuildStore(cg->b, src[q], LLVMBuildStructGEP2(cg->b, ti->envty, p, (unsigned)j, ""));
            }
        }
        vec_push(&vs, fn_value(cg, jx, nenv));
        vec_push(&bs, LLVMGetInsertBlock(cg->b));
        LLVMBuildBr(cg->b, join);
    }
    LLVMPositionBuilderAtEnd(cg->b, none);
    LLVMBuildUnreachable(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, join);
    LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_fnval, "");
    LLVMAddIncoming(phi, vs.data, bs.data, (unsigned)vs.len);
    vec_free(&vs);
    vec_free(&bs);
    return phi;
}


static LLVMValueRef emit_prim(Cg *cg, Region *r, PrimId p, Node *n, LLVMValueRef *args, Type *const *types, int nargs)
{
    const Type *rt = n->type;
    if (cg_is_scalar_prim(p) && type_is_scalar(rt)) {
        bool scalars = true;
        for (int i = 0; i < nargs; i++)
            scalars &= type_is_scalar(types[i]);
        if (scalars) {
            CgPrimCtx pc = {cg->ctx, cg->mod, cg->b};
            return cg_scalar_prim(&pc, p, args, types, nargs, (Type *)rt);
        }
    }
    switch (p) {
    case P_MAKE_TUPLE: {
        LLVMValueRef v = LLVMGetUndef(ty(cg, rt));
        for (int i = 0; i < nargs; i++)
            v = LLVMBuildInsertValue(cg->b, v, coerce(cg, args[i], types[i], rt->elems[i]), (unsigned)i, "");
        return v;
    }
    case P_GETITEM: {
        if (!types[0] || types[0]->kind == T_ZERO)
            return zero_value(cg, rt);
        int64_t i = n->app.in[2]->k.u.i;
        if (i < 0)
            i += types[0]->n;
        return coerce(cg, LLVMBuildExtractValue(cg->b, args[0], (unsigned)i, ""), types[0]->elems[i], rt);
    }
    case P_UNPACK:
    case P_CHECK_RESULT:
        return coerce(cg, args[0], types[0], rt);
    case P_DEPEND:
        return coerce(cg, args[nargs - 1], types[nargs - 1], rt);
    case P_UNREACHABLE:
        runtime_error(cg, "internal error: a function value inference proved unused was called");
        return zero_value(cg, rt);
    case P_SWITCH: {
        LLVMValueRef c = truth(cg, args[0], types[0]);
        return LLVMBuildSelect(cg->b, c, coerce(cg, args[1], types[1], rt), coerce(cg, args[2], types[2], rt), "");
    }
    case P_ZERO:
    case P_NEWENV:
        return zero_value(cg, rt);
    case P_SADD:
        return sens_add(cg, r->arena, args[0], types[0], args[1], types[1], rt);
    case P_SSCALE:
        return sens_scale(cg, args[0], types[0], args[1], types[1], rt);
    case P_SFOR:
        if (types[0] && (types[0]->kind == T_INT || types[0]->kind == T_BOOL))
            return zero_value(cg, rt);
        return dense(cg, args[1], types[1], rt);
    case P_SDENSE:
        return dense(cg, args[1], types[1], rt);
    case P_ONEHOT: {
        int64_t i = n->app.in[2]->k.u.i;
        if (i < 0)
            i += rt->n;
        LLVMValueRef v = zero_value(cg, rt);
        return LLVMBuildInsertValue(cg->b, v, coerce(cg, args[2], types[2], rt->elems[i]), (unsigned)i, "");
    }
    case P_ENV_SET:     /* an env typed zero is the empty env */
        return env_set(cg, r->arena, types[0] && types[0]->kind == T_ENV ? args[0] : zero_value(cg, type_env(cg->m->types)),
                       n->app.in[2]->k.u.i, args[2], types[2]);
    case P_ENV_GET:
        if (!types[0] || types[0]->kind != T_ENV)
            return zero_value(cg, rt);
        return env_get(cg, args[0], n->app.in[2]->k.u.i, rt);
    case P_TO_DIFF:
        return coerce(cg, args[0], types[0], rt);
    case P_COTANGENT:
        return coerce(cg, args[1], types[1], rt);
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

static LLVMValueRef const_val(Cg *cg, Node *x)
{
    switch (x->k.kind) {
    case K_INT: return const_i64(cg, x->k.u.i);
    case K_FLOAT: return LLVMConstReal(cg->t_f64, x->k.u.f);
    case K_BOOL: return LLVMConstInt(cg->t_i1, x->k.u.b, 0);
    case K_GRAPH: {
        Graph *g = x->k.u.graph;
        int tag = is_func(x->type) ? graph_index(x->type, g) : 0;
        if (g->nfree)
            die("codegen: constant of @%s, which has free variables", g->name);
        return fn_value(cg, tag < 0 ? 0 : tag, NULL);
    }
    case K_PRIM: {
        FnRef ref = {NULL, (int)x->k.u.prim, NULL, NULL};
        int tag = ref_index(x->type, &ref);
        return fn_value(cg, tag < 0 ? 0 : tag, NULL);
    }
    }
    return NULL;
}

static LLVMValueRef get_val(Cg *cg, Region *r, Node *x)
{
    (void)r;
    if (x->kind == N_CONST)
        return const_val(cg, x);
    if (!has_val(cg, x))
        die("codegen: %%%s (node %u of @%s) used before it is computed", x->name ? x->name : "?", x->id,
            x->graph ? x->graph->name : "?");
    return cg->val[x->id];
}

static void note_uses(Cg *cg, const Graph *g, const NodeVec *body)
{
    for (int i = 0; i <= body->len; i++) {
        int nin;
        Node *const *in = ir_body_inputs(g, body, i, &nin);
        for (int j = 0; j < nin; j++) {
            Node *x = in[j];
            if (x->kind == N_CONST)
                continue;
            cg->lastuse[x->id] = i;
            cg->usestamp[x->id] = cg->stamp;
        }
    }
}

static void ensure_node_tables(Cg *cg)
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

/* Elided nodes are computed where called; their inputs count as used
   there (for liveness across machine calls). */
static void extend_uses(Cg *cg, const NodeVec *body)
{
    for (int i = body->len - 1; i >= 0; i--) {
        Node *x = body->data[i];
        if (x->id >= cg->m->nnodes || !cg->elided[x->id])
            continue;
        int last = cg->usestamp[x->id] == cg->stamp ? cg->lastuse[x->id] : i;
        for (int j = 1; j < x->app.n; j++) {
            Node *y = x->app.in[j];
            if (y->kind != N_CONST && cg->usestamp[y->id] == cg->stamp && cg->lastuse[y->id] < last)
                cg->lastuse[y->id] = last;
        }
    }
}

/* A primitive application n: its arguments' values, then the primitive. */
static LLVMValueRef emit_prim_node(Cg *cg, Region *r, Node *n)
{
    PrimId p = (PrimId)n->app.in[0]->k.u.prim;
    int nargs = n->app.n - 1;
    LLVMValueRef *args = xmalloc(sizeof(LLVMValueRef) * (size_t)(nargs + 1));
    Type **types = xmalloc(sizeof(Type *) * (size_t)(nargs + 1));
    for (int j = 0; j < nargs; j++) {
        Node *a = n->app.in[j + 1];
        /* the graph of make_closure is not a value */
        args[j] = j == 0 && p == P_MAKE_CLOSURE ? NULL : get_val(cg, r, a);
        types[j] = a->type;
    }
    LLVMValueRef v = emit_prim(cg, r, p, n, args, types, nargs);
    free(args);
    free(types);
    return v;
}

/* ---- outlining long straight-line runs ----------------------------------------
 *
 * LLVM's instruction selection, register allocation and SLP vectoriser grow
 * faster than linearly with the size of a basic block and with the number
 * of values live across it; a gradient of a long straight-line function
 * (every forward value live until the adjoint statements use it) is the
 * worst case.  So a graph with more than OUTLINE_MIN scalar primitives
 * (outside recursive machines) has its runs of them cut into chunks of
 * about OUTLINE_CHUNK nodes, each emitted as a function of its own
 * (noinline) that reads its inputs from, and writes the values used
 * elsewhere to, a frame of 8-byte slots in the caller's stack.  Each LLVM
 * function then stays small, and compile time grows linearly; the values
 * and their order of evaluation are unchanged.
 */
enum { OUTLINE_MIN = 2048, OUTLINE_CHUNK = 512, OUTLINE_RUN = 64 };

typedef struct Chunk {
    int from, to;               /* body positions [from, to) */
    NodeVec in, out;            /* values read from / written to the frame */
} Chunk;

typedef struct Outline {
    VEC(Chunk) chunks;
    int next;                   /* the next chunk to emit */
    int *chunk_of;              /* by node id: 1 + chunk index, 0 outside chunks */
    int *slot;                  /* by node id: 1 + frame slot, 0 for none */
    uint8_t *flags;             /* by node id: OL_* */
    int nslots;
    LLVMValueRef frame;         /* the caller's frame (i8*), made on first use */
} Outline;

enum { OL_STORED = 1, OL_PARENT_USE = 2 };

/* Whether emit_prim computes n from scalars alone, without the region
   (no arena, no frame): cg_scalar_prim, and sens_add, depend and switch
   of scalars. */
static bool outlinable(Cg *cg, const Node *n)
{
    if (n->kind != N_APPLY || cg->elided[n->id] || n->app.in[0]->kind != N_CONST || n->app.in[0]->k.kind != K_PRIM ||
        !type_is_scalar(n->type))
        return false;
    PrimId p = (PrimId)n->app.in[0]->k.u.prim;
    if (!cg_is_scalar_prim(p) && p != P_SADD && p != P_DEPEND && p != P_SWITCH)
        return false;
    for (int j = 1; j < n->app.n; j++)
        if (!type_is_scalar(n->app.in[j]->type))
            return false;
    return true;
}

static void add_slot(Outline *ol, const Node *x)
{
    if (!ol->slot[x->id])
        ol->slot[x->id] = ++ol->nslots;
}

/* The chunks of g's body, their inputs and outputs; false when g is not
   worth outlining. */
static bool plan_outline(Cg *cg, const Graph *g, const NodeVec *body, Outline *ol)
{
    int total = 0;
    for (int i = 0; i < body->len; i++)
        total += body->data[i] != g->output && outlinable(cg, body->data[i]);
    if (total < OUTLINE_MIN)
        return false;
    uint32_t nn = cg->m->nnodes + 1;
    ol->chunk_of = xcalloc(nn, sizeof(int));
    ol->slot = xcalloc(nn, sizeof(int));
    ol->flags = xcalloc(nn, 1);
    int *seen = xcalloc(nn, sizeof(int));
    for (int i = 0; i < body->len;) {
        int j = i;
        while (j < body->len && body->data[j] != g->output && outlinable(cg, body->data[j]))
            j++;
        if (j - i >= OUTLINE_RUN) {
            int k = (j - i + OUTLINE_CHUNK - 1) / OUTLINE_CHUNK;
            for (int c = 0; c < k; c++) {
                Chunk ch = {i + (int)((int64_t)(j - i) * c / k), i + (int)((int64_t)(j - i) * (c + 1) / k), {0}, {0}};
                vec_push(&ol->chunks, ch);
                for (int p = ch.from; p < ch.to; p++)
                    ol->chunk_of[body->data[p]->id] = ol->chunks.len;
            }
        }
        i = j > i ? j : i + 1;
    }
    for (int c = 0; c < ol->chunks.len; c++) {
        Chunk *ch = &ol->chunks.data[c];
        int id = c + 1;
        for (int p = ch->from; p < ch->to; p++) {
            Node *n = body->data[p];
            for (int j = 1; j < n->app.n; j++) {
                Node *x = n->app.in[j];
                if (x->kind != N_CONST && ol->chunk_of[x->id] != id && seen[x->id] != id) {
                    seen[x->id] = id;
                    vec_push(&ch->in, x);
                    add_slot(ol, x);
                }
            }
            bool out = false;
            for (Use *u = n->uses; u; u = u->next) {
                int uc = u->user ? ol->chunk_of[u->user->id] : 0;
                if (uc != id)
                    out = true;
                if (!uc)
                    ol->flags[n->id] |= OL_PARENT_USE;
            }
            if (out) {
                vec_push(&ch->out, n);
                add_slot(ol, n);
            }
        }
    }
    free(seen);
    return true;
}

static void free_outline(Outline *ol)
{
    for (int c = 0; c < ol->chunks.len; c++) {
        vec_free(&ol->chunks.data[c].in);
        vec_free(&ol->chunks.data[c].out);
    }
    vec_free(&ol->chunks);
    free(ol->chunk_of);
    free(ol->slot);
    free(ol->flags);
}

/* The frame slot of x (frame: i8*), as a pointer to x's LLVM type. */
static LLVMValueRef slot_ptr(Cg *cg, const Outline *ol, LLVMValueRef frame, const Node *x)
{
    LLVMValueRef idx = const_i64(cg, ol->slot[x->id] - 1);
    LLVMValueRef p = LLVMBuildGEP2(cg->b, cg->t_i64, ptr_to(cg, frame, cg->t_i64), &idx, 1, "");
    return ptr_to(cg, p, ty(cg, x->type));
}

/* Emits chunk ol->next of g as a function, and its call at the builder. */
static void emit_chunk(Cg *cg, Region *r, const Graph *g, const NodeVec *body, Outline *ol)
{
    int c = ol->next++;
    Chunk *ch = &ol->chunks.data[c];
    if (!ol->frame)
        ol->frame = LLVMBuildBitCast(cg->b, entry_alloca(cg, LLVMArrayType(cg->t_i64, (unsigned)ol->nslots), "frame"),
                                     cg->t_ptr, "");
    for (int k = 0; k < ch->in.len; k++) {
        Node *x = ch->in.data[k];
        if (!ol->chunk_of[x->id] && !(ol->flags[x->id] & OL_STORED)) {
            LLVMBuildStore(cg->b, get_val(cg, r, x), slot_ptr(cg, ol, ol->frame, x));
            ol->flags[x->id] |= OL_STORED;
        }
    }
    LLVMTypeRef fty = LLVMFunctionType(cg->t_void, &cg->t_ptr, 1, 0);
    char *name = arena_printf(cg->m->arena, "myc.%s.part%d", g->name, c);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMSetFunctionCallConv(fn, LLVMFastCallConv);
    add_attr(cg, fn, LLVMAttributeFunctionIndex, "nounwind");
    add_attr(cg, fn, LLVMAttributeFunctionIndex, "noinline");
    add_attr(cg, fn, 1, "noalias");
    call_fn(cg, fty, fn, &ol->frame, 1, true);
    LLVMBasicBlockRef back = LLVMGetInsertBlock(cg->b);

    /* The chunk's own values for its inputs, then the parent's again. */
    LLVMValueRef *parent = xmalloc(sizeof(LLVMValueRef) * (size_t)(ch->in.len + 1));
    for (int k = 0; k < ch->in.len; k++)
        parent[k] = has_val(cg, ch->in.data[k]) ? cg->val[ch->in.data[k]->id] : NULL;
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef frame = LLVMGetParam(fn, 0);
    for (int k = 0; k < ch->in.len; k++) {
        Node *x = ch->in.data[k];
        set_val(cg, x, LLVMBuildLoad2(cg->b, ty(cg, x->type), slot_ptr(cg, ol, frame, x), ""));
    }
    for (int p = ch->from; p < ch->to; p++)
        set_val(cg, body->data[p], emit_prim_node(cg, r, body->data[p]));
    for (int k = 0; k < ch->out.len; k++)
        LLVMBuildStore(cg->b, get_val(cg, r, ch->out.data[k]), slot_ptr(cg, ol, frame, ch->out.data[k]));
    LLVMBuildRetVoid(cg->b);

    LLVMPositionBuilderAtEnd(cg->b, back);
    for (int k = 0; k < ch->in.len; k++) {
        Node *x = ch->in.data[k];
        if (parent[k])
            set_val(cg, x, parent[k]);
        else
            cg->valstamp[x->id] = 0;    /* an earlier chunk's, only in the frame */
    }
    for (int p = ch->from; p < ch->to; p++)
        cg->valstamp[body->data[p]->id] = 0;
    for (int k = 0; k < ch->out.len; k++) {
        Node *y = ch->out.data[k];
        if (ol->flags[y->id] & OL_PARENT_USE)
            set_val(cg, y, LLVMBuildLoad2(cg->b, ty(cg, y->type), slot_ptr(cg, ol, ol->frame, y), ""));
    }
    free(parent);
}

static void emit_graph(Cg *cg, Region *r, Graph *g)
{
    GInfo *gi = info(cg, g);
    gi->emitted = true;
    cg->stamp++;
    LLVMPositionBuilderAtEnd(cg->b, gi->entry);
    for (int i = 0; i < g->nparams; i++)
        set_val(cg, g->params[i], gi->phis[i]);
    const NodeVec *body = body_of(cg, g);
    if (r->machine) {
        note_uses(cg, g, body);
        extend_uses(cg, body);
    }
    Node *out = g->output;
    Outline ol = {0};
    bool outline = !r->machine && plan_outline(cg, g, body, &ol);
    for (int i = 0; i < body->len; i++) {
        Node *n = body->data[i];
        if (n == out)
            break;          /* the output: below */
        if (cg->elided[n->id])
            continue;
        if (outline && ol.next < ol.chunks.len && ol.chunks.data[ol.next].from == i) {
            i = ol.chunks.data[ol.next].to - 1;
            emit_chunk(cg, r, g, body, &ol);
            continue;
        }
        CallSite cs = {g, body, i};
        Node *callee = n->app.in[0];
        LLVMValueRef v = callee->kind == N_CONST && callee->k.kind == K_PRIM ? emit_prim_node(cg, r, n)
                                                                             : emit_call(cg, r, &cs, n, false);
        set_val(cg, n, v);
    }
    if (out->kind == N_APPLY && out->graph == g && !(out->app.in[0]->kind == N_CONST && out->app.in[0]->k.kind == K_PRIM)) {
        CallSite cs = {g, body, body->len - 1};
        emit_call(cg, r, &cs, out, true);
    } else if (out->kind == N_APPLY && out->graph == g) {
        /* a primitive as the output: compute it like the others */
        LLVMValueRef v = emit_prim_node(cg, r, out);
        region_return(cg, r, g, v, out->type);
    } else {
        region_return(cg, r, g, get_val(cg, r, out), out->type);
    }
    if (outline)
        free_outline(&ol);
}

/* ---- regions ---------------------------------------------------------------- */

static void drain(Cg *cg, Region *r)
{
    while (r->todo.len) {
        Graph *g = vec_pop(&r->todo);
        if (!info(cg, g)->emitted)
            emit_graph(cg, r, g);
    }
}

/* A unit that is not part of a recursive component: its LLVM function,
   with the group's blocks. */
static void emit_group(Cg *cg, Graph *u)
{
    GInfo *ui = info(cg, u);
    Region r = {0};
    r.fn = ui->fn;
    LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "start");
    LLVMPositionBuilderAtEnd(cg->b, start);
    r.arena = LLVMGetParam(r.fn, 0);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(u->nparams + 1));
    for (int i = 0; i < u->nparams; i++)
        a[i] = LLVMGetParam(r.fn, (unsigned)i + 1);
    jump(cg, &r, u, a);
    free(a);
    drain(cg, &r);
    vec_free(&r.todo);
}

/* A recursive component: one machine function holding every unit's group,
   and per unit a wrapper that enters it. */
static void emit_machine(Cg *cg, Graph *const *units, int n)
{
    Region r = {0};
    r.machine = true;
    r.scc = info(cg, units[0])->scc;
    LLVMTypeRef pt[4] = {cg->t_ptr, cg->t_i32, cg->t_ptr, cg->t_ptr};
    LLVMTypeRef mty = LLVMFunctionType(cg->t_void, pt, 4, 0);
    char *name = arena_printf(cg->m->arena, "myc.machine.%s", units[0]->name);
    r.fn = LLVMAddFunction(cg->mod, name, mty);
    LLVMSetLinkage(r.fn, LLVMInternalLinkage);
    add_attr(cg, r.fn, LLVMAttributeFunctionIndex, "nounwind");
    LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "start");
    LLVMPositionBuilderAtEnd(cg->b, start);
    r.arena = LLVMGetParam(r.fn, 0);
    r.retbuf = LLVMGetParam(r.fn, 3);
    r.depth = LLVMBuildAlloca(cg->b, cg->t_i64, "depth");
    r.fp = LLVMBuildAlloca(cg->b, cg->t_ptr, "fp");
    LLVMBuildStore(cg->b, const_i64(cg, 0), r.depth);
    /* the dispatch after a return at depth > 0 */
    r.dispatch = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "dispatch");
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "dispatch.bad");
    LLVMBasicBlockRef entry_bad = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "entry.bad");
    LLVMValueRef esw = LLVMBuildSwitch(cg->b, LLVMGetParam(r.fn, 1), entry_bad, (unsigned)n);
    LLVMPositionBuilderAtEnd(cg->b, r.dispatch);
    LLVMValueRef d = LLVMBuildLoad2(cg->b, cg->t_i64, r.depth, "");
    LLVMBuildStore(cg->b, LLVMBuildSub(cg->b, d, const_i64(cg, 1), ""), r.depth);
    LLVMValueRef fp = LLVMBuildCall2(cg->b, cg->rt_pop_ty, cg->pop_fast, &r.arena, 1, "fp");
    LLVMBuildStore(cg->b, fp, r.fp);
    LLVMValueRef id = LLVMBuildLoad2(cg->b, cg->t_i32, ptr_to(cg, fp, cg->t_i32), "retid");
    r.dispatch_switch = LLVMBuildSwitch(cg->b, id, bad, 16);
    LLVMPositionBuilderAtEnd(cg->b, bad);
    LLVMBuildUnreachable(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, entry_bad);
    LLVMBuildUnreachable(cg->b);
    for (int k = 0; k < n; k++) {
        Graph *u = units[k];
        GInfo *ui = info(cg, u);
        LLVMBasicBlockRef eb = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "enter");
        LLVMAddCase(esw, const_i32(cg, ui->mindex), eb);
        LLVMPositionBuilderAtEnd(cg->b, eb);
        LLVMValueRef ap = ptr_to(cg, LLVMGetParam(r.fn, 2), ui->argsty);
        LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(u->nparams + 1));
        for (int i = 0; i < u->nparams; i++)
            a[i] = LLVMBuildLoad2(cg->b, LLVMStructGetTypeAtIndex(ui->argsty, (unsigned)i),
                                  LLVMBuildStructGEP2(cg->b, ui->argsty, ap, (unsigned)i, ""), "");
        if (n == 1)
            machine_invariants(cg, &r, u, a);
        jump(cg, &r, u, a);
        free(a);
        /* the wrapper callers outside the machine call */
        LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, ui->fn, "start"));
        LLVMValueRef args = LLVMBuildAlloca(cg->b, ui->argsty, "args");
        for (int i = 0; i < u->nparams; i++)
            LLVMBuildStore(cg->b, LLVMGetParam(ui->fn, (unsigned)i + 1), LLVMBuildStructGEP2(cg->b, ui->argsty, args, (unsigned)i, ""));
        LLVMTypeRef rty = ty(cg, ret_type(u));
        LLVMValueRef ret = LLVMBuildAlloca(cg->b, rty, "ret");
        LLVMValueRef ma[4] = {LLVMGetParam(ui->fn, 0), const_i32(cg, ui->mindex), LLVMBuildBitCast(cg->b, args, cg->t_ptr, ""),
                              LLVMBuildBitCast(cg->b, ret, cg->t_ptr, "")};
        LLVMBuildCall2(cg->b, mty, r.fn, ma, 4, "");
        LLVMBuildRet(cg->b, LLVMBuildLoad2(cg->b, rty, ret, ""));
    }
    drain(cg, &r);
    vec_free(&r.todo);
    free(r.slots);
}

/* ======================================================================
 * C ABI wrappers
 * ====================================================================== */

static LLVMTypeRef c_type(Cg *cg, const Type *t)
{
    return t->kind == T_BOOL ? cg->t_i1 : ty(cg, t);
}

/* Leaves of t, depth-first. */
static void leaves(const Type *t, CTypeVec *out)
{
    CTypeVec st = {0};
    vec_push(&st, t);
    while (st.len) {
        const Type *x = vec_pop(&st);
        if (x->kind == T_TUPLE) {
            for (int i = x->n - 1; i >= 0; i--)
                vec_push(&st, (const Type *)x->elems[i]);
        } else {
            vec_push(out, x);
        }
    }
    vec_free(&st);
}

/* Rebuilds a value of type t from flat leaf values, advancing *pos. */
static LLVMValueRef build_from_leaves(Cg *cg, const Type *t, LLVMValueRef *flat, int *pos)
{
    if (t->kind != T_TUPLE)
        return flat[(*pos)++];
    LLVMValueRef v = LLVMGetUndef(ty(cg, t));
    for (int i = 0; i < t->n; i++)
        v = LLVMBuildInsertValue(cg->b, v, build_from_leaves(cg, t->elems[i], flat, pos), (unsigned)i, "");
    return v;
}

/* Flattens value v of type t into out (leaf values, depth-first). */
static void flatten_value(Cg *cg, LLVMValueRef v, const Type *t, ValVec *out)
{
    if (t->kind != T_TUPLE) {
        vec_push(out, v);
        return;
    }
    for (int i = 0; i < t->n; i++)
        flatten_value(cg, LLVMBuildExtractValue(cg->b, v, (unsigned)i, ""), t->elems[i], out);
}

static LLVMValueRef arena_enter(Cg *cg)
{
    LLVMTypeRef at = LLVMArrayType(cg->t_i8, MYRT_ARENA_SIZE);
    LLVMValueRef a = LLVMBuildAlloca(cg->b, at, "arena");
    LLVMSetAlignment(a, 16);
    LLVMValueRef p = LLVMBuildBitCast(cg->b, a, cg->t_ptr, "");
    LLVMBuildCall2(cg->b, cg->rt_enter_ty, cg->rt_enter, &p, 1, "");
    return p;
}

static void arena_leave(Cg *cg, LLVMValueRef p)
{
    LLVMBuildCall2(cg->b, cg->rt_leave_ty, cg->rt_leave, &p, 1, "");
}

/* Calls unit g with C-level leaf parameters params[0..] (a tuple parameter
   takes as many leaves as it has). */
static LLVMValueRef call_with_leaves(Cg *cg, Graph *g, LLVMValueRef arena, LLVMValueRef *flat)
{
    GInfo *gi = info(cg, g);
    LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(g->nparams + 2));
    a[0] = arena;
    int pos = 0;
    for (int i = 0; i < g->nparams; i++)
        a[i + 1] = build_from_leaves(cg, g->params[i]->type, flat, &pos);
    LLVMValueRef r = call_fn(cg, gi->fnty, gi->fn, a, g->nparams + 1, true);
    free(a);
    return r;
}

static int count_leaves_params(const Graph *g, CTypeVec *lv)
{
    for (int i = 0; i < g->nparams; i++)
        leaves(g->params[i]->type, lv);
    return lv->len;
}

static void c_param_attrs(Cg *cg, LLVMValueRef fn, const Type *const *lt, int n, bool ret_bool)
{
    for (int i = 0; i < n; i++)
        if (lt[i]->kind == T_BOOL)
            add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "zeroext");
    if (ret_bool)
        add_attr(cg, fn, LLVMAttributeReturnIndex, "zeroext");
    add_attr(cg, fn, LLVMAttributeFunctionIndex, "nounwind");
}

static void emit_export(Cg *cg, const CgExport *ex)
{
    Graph *g = ex->graph;
    CTypeVec in = {0};
    int nin = count_leaves_params(ex->kind == EXPORT_GRAD ? ex->primal : g, &in);
    const Type *rt = ret_type(ex->kind == EXPORT_GRAD ? ex->primal : g);
    CTypeVec outs = {0};
    if (ex->kind == EXPORT_FUNC && rt->kind == T_TUPLE)
        leaves(rt, &outs);
    int nd = 0;
    for (int i = 0; ex->kind == EXPORT_GRAD && i < nin; i++)
        nd += in.data[i]->kind == T_FLOAT;
    int np = nin + outs.len + nd;
    LLVMTypeRef *pt = xmalloc(sizeof(LLVMTypeRef) * (size_t)(np + 1));
    for (int i = 0; i < nin; i++)
        pt[i] = c_type(cg, in.data[i]);
    for (int i = 0; i < outs.len + nd; i++)
        pt[nin + i] = cg->t_ptr;
    LLVMTypeRef ret = ex->kind == EXPORT_GRAD ? cg->t_f64 : outs.len || rt->kind == T_TUPLE ? cg->t_void : c_type(cg, rt);
    LLVMTypeRef fty = LLVMFunctionType(ret, pt, (unsigned)np, 0);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, ex->sig.name, fty);
    c_param_attrs(cg, fn, in.data, nin, ex->kind == EXPORT_FUNC && rt->kind == T_BOOL);
    for (int i = nin; i < np; i++)
        add_attr(cg, fn, (LLVMAttributeIndex)(i + 1), "noalias");
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef arena = arena_enter(cg);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(nin + 1));
    for (int i = 0; i < nin; i++)
        flat[i] = LLVMGetParam(fn, (unsigned)i);
    if (ex->kind == EXPORT_FUNC) {
        LLVMValueRef v = call_with_leaves(cg, g, arena, flat);
        arena_leave(cg, arena);
        if (rt->kind == T_TUPLE) {
            ValVec fl = {0};
            flatten_value(cg, v, rt, &fl);
            for (int i = 0; i < fl.len; i++) {
                LLVMValueRef x = fl.data[i];
                if (outs.data[i]->kind == T_BOOL)
                    x = LLVMBuildZExt(cg->b, x, cg->t_i8, "");
                LLVMBuildStore(cg->b, x, ptr_to(cg, LLVMGetParam(fn, (unsigned)(nin + i)), LLVMTypeOf(x)));
            }
            vec_free(&fl);
            LLVMBuildRetVoid(cg->b);
        } else {
            LLVMBuildRet(cg->b, v);
        }
    } else {
        /* NAME_grad: when every d pointer is NULL only the value is wanted */
        LLVMValueRef any = LLVMConstInt(cg->t_i1, 0, 0);
        for (int i = 0; i < nd; i++)
            any = LLVMBuildOr(cg->b, any, LLVMBuildIsNotNull(cg->b, LLVMGetParam(fn, (unsigned)(nin + i)), ""), "");
        LLVMBasicBlockRef prim = LLVMAppendBasicBlockInContext(cg->ctx, fn, "value_only");
        LLVMBasicBlockRef grad = LLVMAppendBasicBlockInContext(cg->ctx, fn, "gradient");
        LLVMBuildCondBr(cg->b, any, grad, prim);
        LLVMPositionBuilderAtEnd(cg->b, prim);
        LLVMValueRef v = call_with_leaves(cg, ex->primal, arena, flat);
        arena_leave(cg, arena);
        LLVMBuildRet(cg->b, coerce(cg, v, rt, type_float(cg->m->types)));
        LLVMPositionBuilderAtEnd(cg->b, grad);
        LLVMValueRef r = call_with_leaves(cg, g, arena, flat);
        const Type *grt = ret_type(g);      /* (value, (d...)) */
        LLVMValueRef val = coerce(cg, LLVMBuildExtractValue(cg->b, r, 0, ""), grt->elems[0], type_float(cg->m->types));
        LLVMValueRef ds = LLVMBuildExtractValue(cg->b, r, 1, "");
        const Type *dt = grt->elems[1];
        for (int i = 0; i < nd; i++) {
            LLVMValueRef p = LLVMGetParam(fn, (unsigned)(nin + i));
            LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(cg->ctx, fn, "store");
            LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
            LLVMBuildCondBr(cg->b, LLVMBuildIsNotNull(cg->b, p, ""), st, next);
            LLVMPositionBuilderAtEnd(cg->b, st);
            LLVMValueRef di = dt->kind == T_TUPLE
                                  ? coerce(cg, LLVMBuildExtractValue(cg->b, ds, (unsigned)i, ""), dt->elems[i],
                                           type_float(cg->m->types))
                                  : LLVMConstReal(cg->t_f64, 0.0);
            LLVMBuildStore(cg->b, di, ptr_to(cg, p, cg->t_f64));
            LLVMBuildBr(cg->b, next);
            LLVMPositionBuilderAtEnd(cg->b, next);
        }
        arena_leave(cg, arena);
        LLVMBuildRet(cg->b, val);
    }
    free(flat);
    free(pt);
    vec_free(&in);
    vec_free(&outs);
}

int codegen_run_slots(const Type *t)
{
    if (t->kind != T_TUPLE)
        return 1;
    int n = 0;
    for (int i = 0; i < t->n; i++)
        n += codegen_run_slots(t->elems[i]);
    return n;
}

/* void myc_run(const uint64_t *args, uint64_t *results) */
static void emit_run_entry(Cg *cg, Graph *g, Graph *const *first, int nfirst)
{
    LLVMTypeRef pt[2] = {cg->t_ptr, cg->t_ptr};
    LLVMValueRef fn = LLVMAddFunction(cg->mod, "myc_run", LLVMFunctionType(cg->t_void, pt, 2, 0));
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    CTypeVec in = {0};
    int nin = count_leaves_params(g, &in);
    LLVMValueRef *flat = xmalloc(sizeof(LLVMValueRef) * (size_t)(nin + 1));
    LLVMValueRef ap = ptr_to(cg, LLVMGetParam(fn, 0), cg->t_i64);
    for (int i = 0; i < nin; i++) {
        LLVMValueRef idx = const_i64(cg, i);
        LLVMValueRef w = LLVMBuildLoad2(cg->b, cg->t_i64, LLVMBuildGEP2(cg->b, cg->t_i64, ap, &idx, 1, ""), "");
        switch (in.data[i]->kind) {
        case T_FLOAT: flat[i] = LLVMBuildBitCast(cg->b, w, cg->t_f64, ""); break;
        case T_BOOL: flat[i] = LLVMBuildTrunc(cg->b, w, cg->t_i1, ""); break;
        default: flat[i] = w; break;
        }
    }
    LLVMValueRef arena = arena_enter(cg);
    for (int i = 0; i < nfirst; i++)
        if (first[i])
            call_with_leaves(cg, first[i], arena, NULL);
    LLVMValueRef v = call_with_leaves(cg, g, arena, flat);
    arena_leave(cg, arena);
    const Type *rt = ret_type(g);
    ValVec fl = {0};
    CTypeVec lt = {0};
    flatten_value(cg, v, rt, &fl);
    leaves(rt, &lt);
    LLVMValueRef rp = ptr_to(cg, LLVMGetParam(fn, 1), cg->t_i64);
    for (int i = 0; i < fl.len; i++) {
        LLVMValueRef x = fl.data[i], w;
        switch (lt.data[i]->kind) {
        case T_FLOAT: w = LLVMBuildBitCast(cg->b, x, cg->t_i64, ""); break;
        case T_BOOL: w = LLVMBuildZExt(cg->b, x, cg->t_i64, ""); break;
        case T_INT: w = x; break;
        case T_FUNC: w = LLVMBuildZExt(cg->b, LLVMBuildExtractValue(cg->b, x, 0, ""), cg->t_i64, ""); break;
        default: w = const_i64(cg, 0); break;
        }
        LLVMValueRef idx = const_i64(cg, i);
        LLVMBuildStore(cg->b, w, LLVMBuildGEP2(cg->b, cg->t_i64, rp, &idx, 1, ""));
    }
    LLVMBuildRetVoid(cg->b);
    vec_free(&fl);
    vec_free(&lt);
    vec_free(&in);
    free(flat);
}

/* ======================================================================
 * Driver
 * ====================================================================== */

/* ---- the runtime's common paths, inline ------------------------------------ */
/*
 * myrt.alloc, myrt.frame_push and myrt.frame_pop are internal functions of
 * every module with the runtime functions' signatures: they do the common
 * case with the arena's fields (myrt.h's layout, shared by myc and the
 * runtime it ships with) and call myrt_alloc, myrt_frame_push or
 * myrt_frame_pop for anything else; LLVM inlines them.  A frame is a
 * 16-byte header {below, prev_fcur} and its payload (myrt.c).
 */

/* An internal nounwind function named name, of type fnty, with its entry
   block and the builder at its end. */
static LLVMValueRef fast_path_fn(Cg *cg, const char *name, LLVMTypeRef fnty)
{
    LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fnty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    add_attr(cg, fn, LLVMAttributeFunctionIndex, "nounwind");
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    return fn;
}

/* A pointer to the field of type t at byte offset off of the arena a. */
static LLVMValueRef arena_field(Cg *cg, LLVMValueRef a, size_t off, LLVMTypeRef t)
{
    LLVMValueRef o = const_i64(cg, (int64_t)off);
    return ptr_to(cg, LLVMBuildGEP2(cg->b, cg->t_i8, a, &o, 1, ""), t);
}

/* p + k bytes. */
static LLVMValueRef bytes_after(Cg *cg, LLVMValueRef p, LLVMValueRef k)
{
    return LLVMBuildGEP2(cg->b, cg->t_i8, p, &k, 1, "");
}

/* Branches to fast when end - cur (two pointers) is at least n bytes, else
   to slow; with no chunk yet both are NULL and the room is 0. */
static void branch_on_room(Cg *cg, LLVMValueRef cur, LLVMValueRef end, LLVMValueRef n, LLVMBasicBlockRef fast,
                           LLVMBasicBlockRef slow)
{
    LLVMValueRef room = LLVMBuildSub(cg->b, LLVMBuildPtrToInt(cg->b, end, cg->t_i64, ""),
                                     LLVMBuildPtrToInt(cg->b, cur, cg->t_i64, ""), "room");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, room, n, ""), fast, slow);
}

/* myrt.alloc(arena, n), n a multiple of 16: a bump of the current chunk. */
static LLVMValueRef define_alloc_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.alloc", cg->rt_alloc_ty);
    add_attr(cg, fn, LLVMAttributeReturnIndex, "noalias");
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "bump");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "chunk");
    LLVMValueRef a = LLVMGetParam(fn, 0), n = LLVMGetParam(fn, 1);
    LLVMValueRef curp = arena_field(cg, a, offsetof(myrt_arena, cur), cg->t_ptr);
    LLVMValueRef cur = LLVMBuildLoad2(cg->b, cg->t_ptr, curp, "cur");
    LLVMValueRef end = LLVMBuildLoad2(cg->b, cg->t_ptr, arena_field(cg, a, offsetof(myrt_arena, end), cg->t_ptr), "end");
    branch_on_room(cg, cur, end, n, fast, slow);
    LLVMPositionBuilderAtEnd(cg->b, fast);
    LLVMValueRef bytesp = arena_field(cg, a, offsetof(myrt_arena, bytes), cg->t_i64);
    LLVMBuildStore(cg->b, bytes_after(cg, cur, n), curp);
    LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, bytesp, ""), n, ""), bytesp);
    LLVMBuildRet(cg->b, cur);
    LLVMPositionBuilderAtEnd(cg->b, slow);
    LLVMValueRef args[2] = {a, n};
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_alloc_ty, cg->rt_alloc, args, 2, ""));
    return fn;
}

/* myrt.frame_push(arena, size): when the current frame chunk has room
   (fend - fcur), the frame goes at fcur. */
static LLVMValueRef define_push_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.frame_push", cg->rt_push_ty);
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "bump");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "chunk");
    LLVMValueRef a = LLVMGetParam(fn, 0), size = LLVMGetParam(fn, 1);
    LLVMValueRef n = LLVMBuildAdd(cg->b, LLVMBuildAnd(cg->b, LLVMBuildAdd(cg->b, size, const_i64(cg, 15), ""),
                                                      const_i64(cg, -16), ""), const_i64(cg, 16), "n");
    LLVMValueRef fcurp = arena_field(cg, a, offsetof(myrt_arena, fcur), cg->t_ptr);
    LLVMValueRef fcur = LLVMBuildLoad2(cg->b, cg->t_ptr, fcurp, "fcur");
    LLVMValueRef fend = LLVMBuildLoad2(cg->b, cg->t_ptr, arena_field(cg, a, offsetof(myrt_arena, fend), cg->t_ptr), "fend");
    branch_on_room(cg, fcur, fend, n, fast, slow);
    LLVMPositionBuilderAtEnd(cg->b, fast);
    LLVMValueRef ftopp = arena_field(cg, a, offsetof(myrt_arena, ftop), cg->t_ptr);
    LLVMBuildStore(cg->b, LLVMBuildLoad2(cg->b, cg->t_ptr, ftopp, ""), ptr_to(cg, fcur, cg->t_ptr));
    LLVMBuildStore(cg->b, fcur, ptr_to(cg, bytes_after(cg, fcur, const_i64(cg, 8)), cg->t_ptr));
    LLVMBuildStore(cg->b, fcur, ftopp);
    LLVMBuildStore(cg->b, bytes_after(cg, fcur, n), fcurp);
    LLVMValueRef fbytesp = arena_field(cg, a, offsetof(myrt_arena, fbytes), cg->t_i64);
    LLVMValueRef fpeakp = arena_field(cg, a, offsetof(myrt_arena, fpeak), cg->t_i64);
    LLVMValueRef fb = LLVMBuildAdd(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, fbytesp, ""), n, "");
    LLVMBuildStore(cg->b, fb, fbytesp);
    LLVMValueRef peak = LLVMBuildLoad2(cg->b, cg->t_i64, fpeakp, "");
    LLVMBuildStore(cg->b, LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGT, fb, peak, ""), fb, peak, ""), fpeakp);
    LLVMBuildRet(cg->b, bytes_after(cg, fcur, const_i64(cg, 16)));
    LLVMPositionBuilderAtEnd(cg->b, slow);
    LLVMValueRef args[2] = {a, size};
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_push_ty, cg->rt_push, args, 2, ""));
    return fn;
}

/* myrt.frame_pop(arena): a frame whose prev_fcur is itself is not the
   first of its chunk (one pushed into a new chunk records the old chunk's
   fcur, or NULL), so popping it releases no chunk. */
static LLVMValueRef define_pop_fast(Cg *cg)
{
    LLVMValueRef fn = fast_path_fn(cg, "myrt.frame_pop", cg->rt_pop_ty);
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(cg->ctx, fn, "same_chunk");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(cg->ctx, fn, "first_of_chunk");
    LLVMValueRef a = LLVMGetParam(fn, 0);
    LLVMValueRef ftopp = arena_field(cg, a, offsetof(myrt_arena, ftop), cg->t_ptr);
    LLVMValueRef f = LLVMBuildLoad2(cg->b, cg->t_ptr, ftopp, "f");
    LLVMValueRef prev = LLVMBuildLoad2(cg->b, cg->t_ptr, ptr_to(cg, bytes_after(cg, f, const_i64(cg, 8)), cg->t_ptr), "prev");
    LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, prev, f, ""), fast, slow);
    LLVMPositionBuilderAtEnd(cg->b, fast);
    LLVMValueRef fcurp = arena_field(cg, a, offsetof(myrt_arena, fcur), cg->t_ptr);
    LLVMValueRef fbytesp = arena_field(cg, a, offsetof(myrt_arena, fbytes), cg->t_i64);
    LLVMValueRef fcur = LLVMBuildLoad2(cg->b, cg->t_ptr, fcurp, "");
    LLVMValueRef used = LLVMBuildSub(cg->b, LLVMBuildPtrToInt(cg->b, fcur, cg->t_i64, ""),
                                     LLVMBuildPtrToInt(cg->b, f, cg->t_i64, ""), "");
    LLVMBuildStore(cg->b, LLVMBuildSub(cg->b, LLVMBuildLoad2(cg->b, cg->t_i64, fbytesp, ""), used, ""), fbytesp);
    LLVMBuildStore(cg->b, LLVMBuildLoad2(cg->b, cg->t_ptr, ptr_to(cg, f, cg->t_ptr), "below"), ftopp);
    LLVMBuildStore(cg->b, f, fcurp);
    LLVMBuildRet(cg->b, bytes_after(cg, f, const_i64(cg, 16)));
    LLVMPositionBuilderAtEnd(cg->b, slow);
    LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, cg->rt_pop_ty, cg->rt_pop, &a, 1, ""));
    return fn;
}

/* The three fast paths, built with a builder of their own. */
static void define_fast_paths(Cg *cg)
{
    LLVMBuilderRef outer = cg->b;
    cg->b = LLVMCreateBuilderInContext(cg->ctx);
    cg->alloc_fast = define_alloc_fast(cg);
    cg->push_fast = define_push_fast(cg);
    cg->pop_fast = define_pop_fast(cg);
    LLVMDisposeBuilder(cg->b);
    cg->b = outer;
}

/* size bytes from the arena, as myrt_alloc gives them. */
static LLVMValueRef emit_alloc(Cg *cg, LLVMValueRef arena, uint64_t size, const char *name)
{
    uint64_t n = size ? (size + 15) & ~(uint64_t)15 : 16;
    LLVMValueRef args[2] = {arena, const_i64(cg, (int64_t)n)};
    return LLVMBuildCall2(cg->b, cg->rt_alloc_ty, cg->alloc_fast, args, 2, name);
}

static void declare_runtime(Cg *cg)
{
    LLVMTypeRef p = cg->t_ptr, i64 = cg->t_i64, v = cg->t_void;
#define RT(field, name, ret, ...) do { \
        LLVMTypeRef a_[] = {__VA_ARGS__}; \
        cg->field##_ty = LLVMFunctionType(ret, a_, sizeof a_ / sizeof *a_, 0); \
        cg->field = LLVMGetNamedFunction(cg->mod, name); \
        if (!cg->field) \
            cg->field = LLVMAddFunction(cg->mod, name, cg->field##_ty); \
        add_attr(cg, cg->field, LLVMAttributeFunctionIndex, "nounwind"); \
    } while (0)
    RT(rt_alloc, "myrt_alloc", p, p, i64);
    RT(rt_push, "myrt_frame_push", p, p, i64);
    RT(rt_pop, "myrt_frame_pop", p, p);
    RT(rt_env_set, "myrt_env_set", p, p, p, i64, p, p);
    RT(rt_env_get, "myrt_env_get", p, p, i64);
    RT(rt_env_add, "myrt_env_add", p, p, p, p);
    RT(rt_error, "myrt_runtime_error", v, p);
    RT(rt_enter, "myrt_arena_enter", v, p);
    RT(rt_leave, "myrt_arena_leave", v, p);
#undef RT
    add_attr(cg, cg->rt_error, LLVMAttributeFunctionIndex, "noreturn");
    add_attr(cg, cg->rt_alloc, LLVMAttributeReturnIndex, "noalias");
    define_fast_paths(cg);
    add_attr(cg, cg->rt_env_get, LLVMAttributeFunctionIndex, "readonly");
    LLVMTypeRef at[4] = {p, p, p, p};
    cg->add_fn_ty = LLVMFunctionType(v, at, 4, 0);
    LLVMTypeRef ot[2] = {i64, LLVMPointerType(cg->add_fn_ty, 0)};
    cg->ops_ty = LLVMStructCreateNamed(cg->ctx, "myrt_sens_ops");
    LLVMStructSetBody(cg->ops_ty, ot, 2, 0);
}

/* Graphs that code may reach: from the exports and the run entry, through
   constants and function types (rebind makes closures of graphs named only
   by types). */
static void reachable(Cg *cg, Graph *const *roots, int nroots, GraphVec *out)
{
    uint8_t *seen = xcalloc(cg->ngi, 1);
    GraphVec work = {0};
    for (int i = 0; i < nroots; i++)
        if (roots[i] && !seen[roots[i]->id]) {
            seen[roots[i]->id] = 1;
            vec_push(&work, roots[i]);
        }
    while (work.len) {
        Graph *g = vec_pop(&work);
        vec_push(out, g);
        const NodeVec *body = body_of(cg, g);
        for (int i = 0; i <= body->len; i++) {
            int nin;
            Node *const *in = ir_body_inputs(g, body, i, &nin);
            /* the inputs, and the node itself (its type names functions too) */
            for (int j = 0; j <= nin; j++) {
                const Node *x = j < nin ? in[j] : i < body->len ? body->data[i] : NULL;
                if (!x)
                    continue;
                const Type *t = x->type;
                if (ir_is_const_graph(x) && !seen[x->k.u.graph->id]) {
                    seen[x->k.u.graph->id] = 1;
                    vec_push(&work, x->k.u.graph);
                }
                for (int k = 0; t && t->kind == T_FUNC && k < t->n; k++) {
                    Graph *h = t->fns[k].graph;
                    if (h && !seen[h->id]) {
                        seen[h->id] = 1;
                        vec_push(&work, h);
                    }
                }
            }
        }
    }
    vec_free(&work);
    free(seen);
}

LLVMModuleRef codegen_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, Module *m, const CgExport *ex,
                             int nex, Graph *run_entry, Graph *const *run_first, int nfirst, const char *name,
                             StrBuf *err)
{
    Cg cg = {0};
    cg.m = m;
    cg.ctx = ctx;
    cg.mod = LLVMModuleCreateWithNameInContext(name, ctx);
    cg.b = LLVMCreateBuilderInContext(ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(cg.mod, triple);
    LLVMDisposeMessage(triple);
    cg.td = LLVMCreateTargetDataLayout(tm);
    char *layout = LLVMCopyStringRepOfTargetData(cg.td);
    LLVMSetDataLayout(cg.mod, layout);
    LLVMDisposeMessage(layout);
    cg.t_i1 = LLVMInt1TypeInContext(ctx);
    cg.t_i8 = LLVMInt8TypeInContext(ctx);
    cg.t_i32 = LLVMInt32TypeInContext(ctx);
    cg.t_i64 = LLVMInt64TypeInContext(ctx);
    cg.t_f64 = LLVMDoubleTypeInContext(ctx);
    cg.t_void = LLVMVoidTypeInContext(ctx);
    cg.t_ptr = LLVMPointerType(cg.t_i8, 0);
    cg.t_zero = LLVMStructTypeInContext(ctx, NULL, 0, 0);
    LLVMTypeRef fv[2] = {cg.t_i32, cg.t_ptr};
    cg.t_fnval = LLVMStructTypeInContext(ctx, fv, 2, 0);
    cg.ngi = m->ngraph_ids;
    cg.gi = xcalloc(cg.ngi ? cg.ngi : 1, sizeof(GInfo));
    cg.bodies = xcalloc(cg.ngi ? cg.ngi : 1, sizeof(NodeVec));
    cg.have_body = xcalloc(cg.ngi ? cg.ngi : 1, 1);
    declare_runtime(&cg);

    /* what is reachable, and which graphs are roots (called from C) */
    GraphVec roots = {0}, graphs = {0};
    for (int i = 0; i < nex; i++) {
        vec_push(&roots, ex[i].graph);
        if (ex[i].primal)
            vec_push(&roots, ex[i].primal);
    }
    if (run_entry)
        vec_push(&roots, run_entry);
    for (int i = 0; run_entry && i < nfirst; i++)
        if (run_first[i])
            vec_push(&roots, run_first[i]);
    reachable(&cg, roots.data, roots.len, &graphs);
    bool *is_root = xcalloc(cg.ngi, sizeof(bool));
    for (int i = 0; i < roots.len; i++)
        is_root[roots.data[i]->id] = true;
    /* One pass over the bodies: graphs that rebind makes closures of are
       units (they are named by types only); the constants naming each graph
       (each node once); make_closure and switch nodes that only calls use. */
    ConstUses cu = {xcalloc(cg.ngi, sizeof(NodeVec))};
    uint8_t *listed = xcalloc(m->nnodes + 1, 1);
    cg.elided = xcalloc(m->nnodes + 1, 1);
    for (int i = 0; i < graphs.len; i++) {
        Graph *g = graphs.data[i];
        const NodeVec *body = body_of(&cg, g);
        for (int j = 0; j <= body->len; j++) {
            int nin;
            Node *const *in = ir_body_inputs(g, body, j, &nin);
            for (int k = 0; k < nin; k++)
                if (ir_is_const_graph(in[k]) && !listed[in[k]->id]) {
                    listed[in[k]->id] = 1;
                    vec_push(&cu.by_graph[in[k]->k.u.graph->id], in[k]);
                }
            if (j == body->len)
                continue;
            Node *x = body->data[j];
            const Type *t = x->type;
            for (int k = 0; t && t->kind == T_FUNC && k < t->n; k++)
                if (t->fns[k].graph && ir_is_const_prim(x->app.in[0], P_REBIND))
                    is_root[t->fns[k].graph->id] = true;
            if ((is_make_closure(x) && closure_elidable(x)) ||
                (x->app.n == 4 && ir_is_const_prim(x->app.in[0], P_SWITCH) && only_called(x) &&
                 static_graph(x->app.in[2]) && static_graph(x->app.in[3])))
                cg.elided[x->id] = 1;
        }
    }
    free(listed);
    classify(&cg, graphs.data, graphs.len, is_root, &cu);
    find_components(&cg, graphs.data, graphs.len);
    collect_keys(&cg, graphs.data, graphs.len);
    ensure_node_tables(&cg);
    declare_envs(&cg, graphs.data, graphs.len);
    for (int i = 0; i < graphs.len; i++)
        if (info(&cg, graphs.data[i])->kind == GK_UNIT)
            declare_unit(&cg, graphs.data[i]);
    /* emit: plain groups, then one machine per recursive component */
    for (int i = 0; i < graphs.len; i++) {
        Graph *g = graphs.data[i];
        GInfo *gi = info(&cg, g);
        if (gi->kind == GK_UNIT && !gi->machine)
            emit_group(&cg, g);
    }
    GraphVec *comps = xcalloc(cg.ngi, sizeof(GraphVec));    /* machine units by component */
    for (int i = 0; i < graphs.len; i++) {
        GInfo *gi = info(&cg, graphs.data[i]);
        if (gi->kind == GK_UNIT && gi->machine)
            vec_push(&comps[gi->scc], graphs.data[i]);
    }
    for (uint32_t c = 0; c < cg.ngi; c++) {
        if (comps[c].len)
            emit_machine(&cg, comps[c].data, comps[c].len);
        vec_free(&comps[c]);
    }
    free(comps);
    for (int i = 0; i < nex; i++)
        emit_export(&cg, &ex[i]);
    if (run_entry)
        emit_run_entry(&cg, run_entry, run_first, nfirst);

    for (uint32_t i = 0; i < cg.ngi; i++) {
        vec_free(&cu.by_graph[i]);
        vec_free(&cg.bodies[i]);
    }
    free(cu.by_graph);
    free(cg.bodies);
    free(cg.have_body);
    free(is_root);
    vec_free(&roots);
    vec_free(&graphs);
    free(cg.gi);
    free(cg.keys);
    free(cg.ops);
    free(cg.val);
    free(cg.valstamp);
    free(cg.lastuse);
    free(cg.usestamp);
    free(cg.elided);
    LLVMDisposeBuilder(cg.b);
    LLVMDisposeTargetData(cg.td);
    char *msg = NULL;
    if (LLVMVerifyModule(cg.mod, LLVMReturnStatusAction, &msg)) {
        sb_printf(err, "internal error: the generated LLVM module is invalid:\n%s", msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(cg.mod);
        return NULL;
    }
    LLVMDisposeMessage(msg);
    return cg.mod;
}

/* ======================================================================
 * Target, optimisation, output
 * ====================================================================== */

LLVMTargetMachineRef codegen_target(bool native, int opt_level, StrBuf *err)
{
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeX86AsmParser();
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        sb_printf(err, "no LLVM target for '%s': %s", triple, msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    char *cpu = native ? LLVMGetHostCPUName() : NULL;
    char *features = native ? LLVMGetHostCPUFeatures() : NULL;
    LLVMCodeGenOptLevel lvl = opt_level <= 0 ? LLVMCodeGenLevelNone
                              : opt_level == 1 ? LLVMCodeGenLevelLess
                              : opt_level == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, native ? cpu : "x86-64",
                                                      native ? features : "", lvl, LLVMRelocPIC,
                                                      LLVMCodeModelDefault);
    LLVMDisposeMessage(triple);
    if (cpu)
        LLVMDisposeMessage(cpu);
    if (features)
        LLVMDisposeMessage(features);
    if (!tm)
        sb_puts(err, "cannot create the LLVM target machine");
    return tm;
}

/* Whether fn, once optimised, can do without its arena: every call it
   makes is one of enter (myrt_arena_enter) and leave, collected in calls,
   an intrinsic, or a declared function that is not the runtime's (libm).
   Such code allocates nothing, pushes no frame and reports no runtime
   error (which leaves the innermost arena), so the arena's only users are
   its enter and leave. */
static bool arena_unused(LLVMValueRef fn, LLVMValueRef enter, LLVMValueRef leave, ValVec *calls)
{
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (!LLVMIsACallInst(i) && !LLVMIsAInvokeInst(i))
                continue;
            LLVMValueRef f = LLVMGetCalledValue(i);
            if (f && (f == enter || f == leave) && LLVMIsACallInst(i)) {
                vec_push(calls, i);
                continue;
            }
            if (!f || !LLVMIsAFunction(f) || !LLVMIsDeclaration(f))
                return false;   /* code of ours, or a call through a pointer */
            size_t n;
            const char *name = LLVMGetValueName2(f, &n);
            if (LLVMGetIntrinsicID(f) == 0 && n >= 5 && memcmp(name, "myrt_", 5) == 0)
                return false;
        }
    return calls->len > 0;
}

/* Deletes v if nothing uses it, then the instructions that computed its
   operands and are left unused (the alloca and casts behind an arena). */
static void erase_if_unused(LLVMValueRef v)
{
    while (v && LLVMIsAInstruction(v) && !LLVMGetFirstUse(v)) {
        LLVMValueRef op = LLVMIsAGetElementPtrInst(v) || LLVMIsABitCastInst(v) ? LLVMGetOperand(v, 0) : NULL;
        LLVMInstructionEraseFromParent(v);
        v = op;
    }
}

/* After optimisation: the exported functions whose code, inlined, turned
   out to need no arena (arena_unused) stop entering one.  A scalar
   function called from C then costs what its arithmetic costs. */
static void elide_unused_arenas(LLVMModuleRef mod)
{
    LLVMValueRef enter = LLVMGetNamedFunction(mod, "myrt_arena_enter");
    LLVMValueRef leave = LLVMGetNamedFunction(mod, "myrt_arena_leave");
    if (!enter || !leave)
        return;
    ValVec calls = {0};
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        calls.len = 0;
        if (LLVMIsDeclaration(fn) || !arena_unused(fn, enter, leave, &calls))
            continue;
        for (int k = 0; k < calls.len; k++) {
            LLVMValueRef arena = LLVMGetOperand(calls.data[k], 0);
            LLVMInstructionEraseFromParent(calls.data[k]);
            erase_if_unused(arena);
        }
    }
    vec_free(&calls);
}

int codegen_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, StrBuf *err)
{
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", level < 0 ? 0 : level > 3 ? 3 : level);
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (e) {
        char *msg = LLVMGetErrorMessage(e);
        sb_printf(err, "LLVM optimisation failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return -1;
    }
    if (level > 0)
        elide_unused_arenas(mod);
    return 0;
}

int codegen_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, EmitKind kind, const char *path, StrBuf *err)
{
    if (kind == EMIT_BITCODE) {
        LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(mod);
        int rc = file_write_whole(path, LLVMGetBufferStart(bc), LLVMGetBufferSize(bc), err);
        LLVMDisposeMemoryBuffer(bc);
        return rc;
    }
    if (kind == EMIT_LLVM) {
        char *s = LLVMPrintModuleToString(mod);
        int rc = file_write_whole(path, s, strlen(s), err);
        LLVMDisposeMessage(s);
        return rc;
    }
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, kind == EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &msg,
                                            &buf)) {
        sb_printf(err, "LLVM code generation failed: %s", msg ? msg : "");
        LLVMDisposeMessage(msg);
        return -1;
    }
    int rc = file_write_whole(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), err);
    LLVMDisposeMemoryBuffer(buf);
    return rc;
}
