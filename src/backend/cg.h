/*
 * cg.h: the state the code generator's files share while they build one
 * LLVM module (codegen_module), and the functions they call across files.
 * Private to src/backend/: backend.c does not include it (it calls
 * codegen.h), nothing outside the folder may.
 *
 * One Cg per module being built, made and freed by codegen_module
 * (module.c); nothing here outlives it.  Functions declared here are
 * named cg_*, sectioned by the file that defines them; the static inline
 * helpers at the top are shared by all.
 *
 * Values (values.c): bool i1, int i64, float double, zero {} (a symbolic
 * zero has no data), tuples literal structs, functions { i32 tag, i8* env }
 * (tag: the index of the function in the value's type; env: the record of
 * the closure's free variables).  An env (a map from free-variable keys to
 * sensitivities) is, when the module's keys are few and hold plain data, a
 * literal struct with one slot per key (dense_env, sens.c); otherwise an
 * i8* to a runtime env (NULL when empty).
 */
#ifndef MYC_CG_H
#define MYC_CG_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>

#include "../../ir/ir.h"
#include "classify.h"
#include "codegen.h"

typedef struct Region Region;

/* The LLVM side of one graph (by graph id); what it is -- unit, block,
   machine -- is its GClass (classify.h). */
typedef struct GInfo {
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
    GClass *cls;                /* by graph id: unit or block, group, component (classify.h) */
    GInfo *gi;                  /* by graph id */
    uint32_t ngi;
    Bodies bodies;              /* ir_graph_body of each graph, computed once (body_of) */
    /* common types */
    LLVMTypeRef t_i1, t_i8, t_i32, t_i64, t_f64, t_ptr, t_void, t_fnval, t_zero;
    /* runtime (runtime.c) */
    LLVMValueRef rt_alloc, rt_push, rt_pop, rt_env_set, rt_env_get, rt_env_add, rt_error, rt_enter, rt_leave;
    LLVMTypeRef rt_alloc_ty, rt_push_ty, rt_pop_ty, rt_env_set_ty, rt_env_get_ty, rt_env_add_ty, rt_error_ty,
        rt_enter_ty, rt_leave_ty;
    LLVMTypeRef ops_ty, add_fn_ty;
    /* myrt.alloc, myrt.frame_push, myrt.frame_pop: the runtime's common
       paths inline (runtime.c) */
    LLVMValueRef alloc_fast, push_fast, pop_fast;
    /* env keys (sens.c): canonical stored type per key; with dense_env,
       the key's field in t_env (-1: only zeros are stored under it) */
    struct { int64_t key; Type *type; int slot; } *keys;
    int nkeys, capkeys;
    bool dense_env, keys_done;
    LLVMTypeRef t_env;
    /* sens ops globals per canonical type (by type id) */
    struct { const Type *t; LLVMValueRef g; } *ops;
    int nops, capops;
    /* node values of the graph being emitted (emit.c) */
    LLVMValueRef *val;
    uint32_t *valstamp;
    uint32_t nval, stamp;
    int *lastuse;               /* machine splits: body position of a node's last use (machine.c) */
    uint32_t *usestamp;
    /* make_closure and switch nodes whose every use calls them (no closure is built) */
    uint8_t *elided;
    int nstr;
} Cg;

/* An LLVM function being emitted: a unit's group, or a machine. */
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

/* A call being emitted: where it is. */
typedef struct CallSite {
    const Graph *g;             /* graph being emitted */
    const NodeVec *body;
    int pos;                    /* position of the call in body */
} CallSite;

/* ---- small helpers ------------------------------------------------------------ */

/* g's body in schedule order (the IR does not change during codegen). */
static inline const NodeVec *body_of(Cg *cg, const Graph *g) { return cg_body(&cg->bodies, g); }

static inline GInfo *info(Cg *cg, const Graph *g)
{
    if (g->id >= cg->ngi)
        die("codegen: graph @%s has no info", g->name);
    return &cg->gi[g->id];
}

static inline const GClass *class_of(const Cg *cg, const Graph *g)
{
    if (g->id >= cg->ngi)
        die("codegen: graph @%s has no info", g->name);
    return &cg->cls[g->id];
}

static inline LLVMValueRef fn_in(Cg *cg)
{
    return LLVMGetBasicBlockParent(LLVMGetInsertBlock(cg->b));
}

static inline LLVMBasicBlockRef new_block(Cg *cg, const char *name)
{
    return LLVMAppendBasicBlockInContext(cg->ctx, fn_in(cg), name);
}

static inline LLVMValueRef ptr_to(Cg *cg, LLVMValueRef p, LLVMTypeRef elem)
{
    return LLVMBuildBitCast(cg->b, p, LLVMPointerType(elem, 0), "");
}

static inline LLVMValueRef const_i32(Cg *cg, int v) { return LLVMConstInt(cg->t_i32, (unsigned long long)v, 0); }
static inline LLVMValueRef const_i64(Cg *cg, int64_t v) { return LLVMConstInt(cg->t_i64, (unsigned long long)v, 1); }

static inline uint64_t size_of(Cg *cg, LLVMTypeRef t) { return LLVMABISizeOfType(cg->td, t); }

static inline bool is_func(const Type *t) { return t && t->kind == T_FUNC; }

static inline const Type *ret_type(const Graph *g)
{
    return g->ret_type ? g->ret_type : g->output ? g->output->type : NULL;
}

/* Whether node x has a value in the graph being emitted. */
static inline bool has_val(Cg *cg, const Node *x)
{
    return x->id < cg->nval && cg->valstamp[x->id] == cg->stamp;
}

/* ---- values.c: types and values ------------------------------------------------- */

LLVMTypeRef cg_type(Cg *cg, const Type *t);
LLVMValueRef cg_zero_value(Cg *cg, const Type *t);
LLVMValueRef cg_fn_value(Cg *cg, int tag, LLVMValueRef env);
LLVMValueRef cg_coerce(Cg *cg, LLVMValueRef v, const Type *from, const Type *to);
LLVMValueRef cg_truth(Cg *cg, LLVMValueRef v, const Type *t);
int cg_ref_index(const Type *t, const FnRef *r);
int cg_graph_index(const Type *t, const Graph *g);
LLVMValueRef cg_entry_alloca(Cg *cg, LLVMTypeRef t, const char *name);
void cg_runtime_error(Cg *cg, const char *msg);
void cg_add_attr(Cg *cg, LLVMValueRef fn, LLVMAttributeIndex idx, const char *name);
LLVMValueRef cg_call_fn(Cg *cg, LLVMTypeRef fty, LLVMValueRef fn, LLVMValueRef *args, int n, bool fast);

/* ---- sens.c: sensitivity arithmetic and envs --------------------------------------- */

void cg_collect_keys(Cg *cg, Graph *const *graphs, int n);
LLVMValueRef cg_sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                         const Type *tb, const Type *rt);
LLVMValueRef cg_sens_scale(Cg *cg, LLVMValueRef d, const Type *td, LLVMValueRef k, const Type *tk,
                           const Type *rt);
LLVMValueRef cg_sens_dense(Cg *cg, LLVMValueRef d, const Type *td, const Type *rt);
LLVMValueRef cg_env_set(Cg *cg, LLVMValueRef arena, LLVMValueRef e, int64_t key, LLVMValueRef d,
                        const Type *td);
LLVMValueRef cg_env_get(Cg *cg, LLVMValueRef e, int64_t key, const Type *rt);

/* ---- emit.c: graphs, calls and primitives ------------------------------------------ */

void cg_declare_envs(Cg *cg, Graph *const *graphs, int n);
void cg_declare_unit(Cg *cg, Graph *g);
void cg_ensure_node_tables(Cg *cg);
void cg_set_val(Cg *cg, const Node *x, LLVMValueRef v);
LLVMValueRef cg_get_val(Cg *cg, Region *r, Node *x);
void cg_jump(Cg *cg, Region *r, Graph *g, LLVMValueRef *vals);
LLVMValueRef cg_emit_prim_node(Cg *cg, Region *r, Node *n);
void cg_drain(Cg *cg, Region *r);
void cg_emit_group(Cg *cg, Graph *u);

/* ---- machine.c: recursive components on the heap stack ---------------------------- */

void cg_region_return(Cg *cg, Region *r, const Graph *g, LLVMValueRef v, const Type *t);
void cg_note_uses(Cg *cg, const Graph *g, const NodeVec *body);
void cg_live_after(Cg *cg, const Region *r, const Graph *g, const NodeVec *body, int pos, NodeVec *out,
                   NodeVec *inv);
LLVMValueRef cg_machine_call(Cg *cg, Region *r, const CallSite *cs, Graph *t, LLVMValueRef *args,
                             LLVMBasicBlockRef *cont_out);
void cg_emit_machine(Cg *cg, Graph *const *units, int n);

/* ---- outline.c: long straight-line runs as functions of their own ----------------- */

typedef struct Outline Outline;

Outline *cg_plan_outline(Cg *cg, const Graph *g, const NodeVec *body);
int cg_outline_chunk(Cg *cg, Region *r, const Graph *g, const NodeVec *body, Outline *ol, int pos);
void cg_free_outline(Outline *ol);

/* ---- abi.c: the C ABI wrappers and myc_run ------------------------------------------ */

void cg_emit_export(Cg *cg, const CgExport *ex);
void cg_emit_run_entry(Cg *cg, Graph *g, Graph *const *first, int nfirst);

/* ---- runtime.c: the runtime as generated code calls it ------------------------------ */

void cg_declare_runtime(Cg *cg);
LLVMValueRef cg_emit_alloc(Cg *cg, LLVMValueRef arena, uint64_t size, const char *name);

#endif
