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
 * the closure's free variables), lists { i8* data, i64 len, i64 cap }
 * (lists.c; docs/backend.md): passed by value, so that LLVM sees len and
 * cap as SSA values (hoisted bounds checks, vectorised loops); data points
 * at cap contiguous items of the element's memory type (a bool an i8 0 or
 * 1 as a C bool, a tuple its literal struct of memory types, a list of
 * lists rows of these structs; no per-item allocation), the first len of
 * them the list's; list[?] and every empty list made here are
 * { NULL, 0, 0 }.  Buffers come from the call's arena through the
 * runtime (myrt_list_alloc, myrt_list_grow: large ones are blocks of their
 * own, freed with the arena).  An env (a map from free-variable keys to
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
typedef struct Dbg Dbg;

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
    LLVMValueRef *phis;         /* per parameter: its value at the entry */
    LLVMValueRef *fields;       /* per parameter, 3 each: a list's data, len and cap phis (else NULL) */
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
    LLVMTypeRef t_i1, t_i8, t_i32, t_i64, t_f64, t_ptr, t_void, t_fnval, t_zero, t_list;
    /* runtime (runtime.c) */
    LLVMValueRef rt_alloc, rt_push, rt_pop, rt_env_set, rt_env_get, rt_env_add, rt_enter, rt_leave;
    LLVMTypeRef rt_alloc_ty, rt_push_ty, rt_pop_ty, rt_env_set_ty, rt_env_get_ty, rt_env_add_ty, rt_enter_ty,
        rt_leave_ty;
    LLVMValueRef rt_list_alloc, rt_list_grow, rt_list_out, rt_list_release;
    LLVMTypeRef rt_list_alloc_ty, rt_list_grow_ty, rt_list_out_ty, rt_list_release_ty;
    LLVMTypeRef ops_ty, add_fn_ty;
    /* myrt.alloc, myrt.frame_push, myrt.frame_pop, myrt.list_alloc: the
       runtime's common paths inline (runtime.c) */
    LLVMValueRef alloc_fast, push_fast, pop_fast, list_alloc_fast;
    /* the arena of the function being emitted (a unit's or machine's first
       parameter, an exported wrapper's own), for the conversions that
       allocate (cg_coerce of lists) */
    LLVMValueRef arena;
    /* env keys (sens.c): canonical stored type per key; with dense_env,
       the key's field in t_env (-1: only zeros are stored under it) */
    struct { int64_t key; Type *type; int slot; } *keys;
    int nkeys, capkeys;
    bool dense_env, keys_done;
    LLVMTypeRef t_env;
    /* sens ops globals per canonical type (by type id) */
    struct { const Type *t; LLVMValueRef g; } *ops;
    int nops, capops;
    /* list sensitivity helpers, one function per kind and types (lists.c) */
    struct ListHelper *helpers;
    int nhelpers, caphelpers;
    /* node values of the graph being emitted (emit.c) */
    LLVMValueRef *val;
    uint32_t *valstamp;
    uint32_t nval, stamp;
    int *lastuse;               /* machine splits: body position of a node's last use (machine.c) */
    uint32_t *usestamp;
    /* make_closure and switch nodes whose every use calls them (no closure is built) */
    uint8_t *elided;
    int nstr;
    /* -g: the debug information being built (debug.c), else NULL */
    Dbg *dbg;
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

/* ---- small helpers ------------------------------------------------------- */

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

/* ---- values.c: types and values ------------------------------------------ */

/* The LLVM type of myc type t.  A tuple is a struct of its elements' types,
   but a tuple of CG_ARRAY_TUPLE or more elements of one LLVM type is an
   array of them: extractvalue and insertvalue read and build both alike,
   and LLVM's (IP)SCCP tracks every field of a struct value separately,
   which costs it time quadratic in the fields on a chain of insertvalues
   (a function of a flat 1,000-float tuple compiled for minutes). */
#define CG_ARRAY_TUPLE 16
LLVMTypeRef cg_type(Cg *cg, const Type *t);
LLVMValueRef cg_zero_value(Cg *cg, const Type *t);              /* 0, 0.0, False, (), NULL env, ... */
/* Function values of type t (values.c: { tag, record }, or one pointer
   when at most one of t's functions has a record). */
LLVMValueRef cg_fn_value(Cg *cg, const Type *t, int tag, LLVMValueRef env);   /* env NULL: none */
LLVMValueRef cg_fn_tag(Cg *cg, const Type *t, LLVMValueRef v);  /* its tag, an i32 */
LLVMValueRef cg_fn_env(Cg *cg, const Type *t, LLVMValueRef v);  /* its record (when its function has one) */
/* v of type from as type to, where the language converts implicitly or a
   join widened a type (bool/int to float, zero to anything, ...). */
LLVMValueRef cg_coerce(Cg *cg, LLVMValueRef v, const Type *from, const Type *to);
LLVMValueRef cg_truth(Cg *cg, LLVMValueRef v, const Type *t);   /* Python truth of a scalar */
int cg_ref_index(const Type *t, const FnRef *r);                /* r's tag in function type t, or -1 */
int cg_graph_index(const Type *t, const Graph *g);              /* g's tag in function type t, or -1 */
LLVMValueRef cg_entry_alloca(Cg *cg, LLVMTypeRef t, const char *name);  /* in the entry block */
/* A call of the runtime error handler with msg at loc (scalar.h's
   cg_raise); continues in a fresh, unreachable block. */
void cg_runtime_error(Cg *cg, const char *msg, Loc loc);
void cg_add_attr(Cg *cg, LLVMValueRef fn, LLVMAttributeIndex idx, const char *name);
LLVMValueRef cg_call_fn(Cg *cg, LLVMTypeRef fty, LLVMValueRef fn, LLVMValueRef *args, int n, bool fast);

/* ---- sens.c: sensitivity arithmetic and envs ----------------------------- */

/* The representation of each env key, then of env (dense or not), from
   the env_set nodes of graphs: before anything asks cg_type of an env. */
void cg_collect_keys(Cg *cg, Graph *const *graphs, int n);
/* a + b, sensitivities of types ta and tb, of result type rt. */
LLVMValueRef cg_sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                         const Type *tb, const Type *rt);
/* d * k for a scalar k; 0 where d is 0 (even when k is inf or nan). */
LLVMValueRef cg_sens_scale(Cg *cg, LLVMValueRef d, const Type *td, LLVMValueRef k, const Type *tk,
                           const Type *rt);
/* lists.c: sensitivities of lists (a list of the value's length, or the
   empty list standing for its zeros).  d (of type td; NULL: zero) given
   the shape of x (of type tx), of sensitivity type rt: zeros materialised
   (sens_dense, env_get). */
LLVMValueRef cg_sens_shape(Cg *cg, LLVMValueRef arena, LLVMValueRef x, const Type *tx, LLVMValueRef d,
                           const Type *td, const Type *rt);
/* sens_add of two lists of sensitivity type rt. */
LLVMValueRef cg_list_sens_add(Cg *cg, LLVMValueRef arena, LLVMValueRef a, const Type *ta, LLVMValueRef b,
                              const Type *tb, const Type *rt);
/* sens_get(d, y, i) of a list's sensitivity d: d[i], or zero when d is empty. */
LLVMValueRef cg_list_sens_get(Cg *cg, LLVMValueRef d, const Type *td, LLVMValueRef i, const Type *rt, Loc loc);
/* onehot(x, i, d) of a list x. */
LLVMValueRef cg_list_onehot(Cg *cg, LLVMValueRef arena, LLVMValueRef x, const Type *tx, LLVMValueRef i,
                            LLVMValueRef d, const Type *td, const Type *rt, Loc loc);
/* Raises message m at loc unless the lists in t are as long as those in x. */
void cg_list_check_lengths(Cg *cg, LLVMValueRef x, const Type *tx, LLVMValueRef t, const Type *tt, const char *m,
                           Loc loc);
/* env e with d stored under key; what e holds under key (zero if nothing). */
LLVMValueRef cg_env_set(Cg *cg, LLVMValueRef arena, LLVMValueRef e, int64_t key, LLVMValueRef d,
                        const Type *td);
LLVMValueRef cg_env_get(Cg *cg, LLVMValueRef e, int64_t key, const Type *rt);

/* ---- emit.c: graphs, calls and primitives -------------------------------- */

/* The LLVM types of the closure records (GInfo.envty) of graphs. */
void cg_declare_envs(Cg *cg, Graph *const *graphs, int n);
/* Unit g's LLVM function: internal fastcc, the arena first (not nounwind:
   a runtime error handler may throw through it). */
void cg_declare_unit(Cg *cg, Graph *g);
/* The node value tables, sized for the module's node ids. */
void cg_ensure_node_tables(Cg *cg);
/* x's value in the graph being emitted: set, and get (constants built on
   demand; a value not computed yet is an internal error). */
void cg_set_val(Cg *cg, const Node *x, LLVMValueRef v);
LLVMValueRef cg_get_val(Cg *cg, Region *r, Node *x);
/* Branches to g's entry block in r (made on first use, g then queued for
   emission) with vals as its parameters' phi inputs. */
void cg_jump(Cg *cg, Region *r, Graph *g, LLVMValueRef *vals);
/* Python's == on a and b (an i1): numbers exactly, tuples and lists item
   by item, anything else unequal (loc: where a comparison that may raise
   is). */
LLVMValueRef cg_equal(Cg *cg, LLVMValueRef a, const Type *ta, LLVMValueRef b, const Type *tb, Loc loc);
/* A primitive application: its arguments' values, then the primitive. */
LLVMValueRef cg_emit_prim_node(Cg *cg, Region *r, Node *n);
/* Emits the graphs queued in r until none is left. */
void cg_drain(Cg *cg, Region *r);
/* Unit u's LLVM function, with its group's blocks (u not in a machine). */
void cg_emit_group(Cg *cg, Graph *u);

/* ---- lists.c: lists ------------------------------------------------------- */

/* The memory form of an item of type t (bool -> i8, tuples of memory
   forms, lists the list struct). */
LLVMTypeRef cg_list_mem_type(Cg *cg, const Type *t);
/* { data, len, cap }, and two of its fields. */
LLVMValueRef cg_list_value(Cg *cg, LLVMValueRef data, LLVMValueRef len, LLVMValueRef cap);
LLVMValueRef cg_list_data(Cg *cg, LLVMValueRef l);
LLVMValueRef cg_list_len(Cg *cg, LLVMValueRef l);
/* Item i of buffer data (items of type elem), read and written. */
LLVMValueRef cg_list_load(Cg *cg, LLVMValueRef data, LLVMValueRef i, const Type *elem);
void cg_list_store(Cg *cg, LLVMValueRef data, LLVMValueRef i, LLVMValueRef v, const Type *elem);
/* A buffer (i8*) for n items of type elem, from the arena. */
LLVMValueRef cg_list_buffer(Cg *cg, LLVMValueRef arena, LLVMValueRef n, const Type *elem);
/* A list of type from as type to (items converted; list[?]: empty). */
LLVMValueRef cg_list_convert(Cg *cg, LLVMValueRef arena, LLVMValueRef v, const Type *from, const Type *to);
/* x == y (an i1) for two lists: equal lengths and items (cg_equal). */
LLVMValueRef cg_list_equal(Cg *cg, LLVMValueRef x, const Type *tx, LLVMValueRef y, const Type *ty, Loc loc);
/* Whether cg_list_prim lowers p (the list primitives). */
bool cg_is_list_prim(PrimId p);
LLVMValueRef cg_list_prim(Cg *cg, LLVMValueRef arena, PrimId p, const Node *n, LLVMValueRef *args,
                          Type *const *types, int nargs);
/* myc_run's 8-byte slots (codegen_run_slots): a value of type t read from
   the slots at p (an i64*; a list's slot points at [len, items' slots...],
   copied into the arena), and v stored into them (a list's block from
   myrt_list_out, for the caller to free). */
LLVMValueRef cg_run_from_slots(Cg *cg, LLVMValueRef arena, LLVMValueRef p, const Type *t);
void cg_run_to_slots(Cg *cg, LLVMValueRef v, const Type *t, LLVMValueRef p);

/* A counted loop for (i = from; i < to; i++) with up to CG_LOOP_MAX_ACC
   carried values: cg_loop_begin leaves the builder in the body (l->i and
   l->acc[k] its phis), cg_loop_end closes it with the carried values'
   next values and leaves the builder after the loop, where l->acc[k] are
   the final values. */
#define CG_LOOP_MAX_ACC 2
typedef struct CgLoop {
    LLVMBasicBlockRef head, body, exit;
    LLVMValueRef i, acc[CG_LOOP_MAX_ACC];
    int nacc;
} CgLoop;
void cg_loop_begin(Cg *cg, CgLoop *l, LLVMValueRef from, LLVMValueRef to, LLVMValueRef *init, int nacc);
void cg_loop_end(Cg *cg, CgLoop *l, LLVMValueRef *next);

/* ---- machine.c: recursive components on the heap stack ------------------- */

/* Returns v (of type t) from the unit whose code is running (g: the graph
   being emitted). */
void cg_region_return(Cg *cg, Region *r, const Graph *g, LLVMValueRef v, const Type *t);
/* Each value's last use in g's body, for cg_live_after. */
void cg_note_uses(Cg *cg, const Graph *g, const NodeVec *body);
/* The values live across a call at body position pos; the invariant
   parameters of a machine of one unit go to inv (or nowhere). */
void cg_live_after(Cg *cg, const Region *r, const Graph *g, const NodeVec *body, int pos, NodeVec *out,
                   NodeVec *inv);
/* A call to unit t of the machine being emitted: a frame push, a jump, a
   continuation that reloads the live values; returns t's result. */
LLVMValueRef cg_machine_call(Cg *cg, Region *r, const CallSite *cs, Graph *t, LLVMValueRef *args,
                             LLVMBasicBlockRef *cont_out);
/* The machine function of a recursive component and its units' wrappers. */
void cg_emit_machine(Cg *cg, Graph *const *units, int n);

/* ---- outline.c: long straight-line runs as functions of their own -------- */

typedef struct Outline Outline;

/* The plan for g's body, or NULL when it is not worth outlining. */
Outline *cg_plan_outline(Cg *cg, const Graph *g, const NodeVec *body);
/* When the plan's next chunk starts at body position pos: emits it as a
   function and its call, returns the position after it; else -1. */
int cg_outline_chunk(Cg *cg, Region *r, const Graph *g, const NodeVec *body, Outline *ol, int pos);
void cg_free_outline(Outline *ol);

/* ---- abi.c: the C ABI wrappers and myc_run ------------------------------- */

/* The C function of an export (its CSignature's name), around its unit. */
void cg_emit_export(Cg *cg, const CgExport *ex);
/* void myc_run(const uint64_t *args, uint64_t *results): calls first[],
   then g, arguments and results one 8-byte slot per scalar leaf. */
void cg_emit_run_entry(Cg *cg, Graph *g, Graph *const *first, int nfirst);

/* ---- debug.c: DWARF for -g (each a no-op without it) --------------------- */

/* What cg_debug_enter replaced: restored by cg_debug_leave. */
typedef struct DbgScope {
    LLVMMetadataRef scope, loc;
} DbgScope;

/* With o->debug, the compile unit and file of the module (before any
   function is built); cg_debug_finish finalises them and sets the module
   flags (before LLVMVerifyModule). */
void cg_debug_init(Cg *cg, const BackendOptions *o);
void cg_debug_finish(Cg *cg);
/* The name a debugger shows for graph g: its source name, or for a
   transform's graph the rest of its name and what it is ("f:body.6:bprop
   [reverse]"). */
const char *cg_debug_name(Cg *cg, const Graph *g);
/* The instructions built from now on belong to fn: a DISubprogram named
   name (NULL: fn's symbol) at loc, their location loc; fn NULL: a helper
   with no debug information (no location).  cg_debug_leave goes back to
   what was there before. */
DbgScope cg_debug_enter(Cg *cg, LLVMValueRef fn, const char *name, Loc loc);
void cg_debug_leave(Cg *cg, DbgScope saved);
/* The instructions built from now on are at loc (ignored when loc has no
   line, or the function has no debug information). */
void cg_debug_at(Cg *cg, Loc loc);
/* The builder's current location, and setting it back (around code that
   moves the builder to another instruction, which changes it). */
LLVMMetadataRef cg_debug_save(Cg *cg);
void cg_debug_restore(Cg *cg, LLVMMetadataRef loc);

/* ---- runtime.c: the runtime as generated code calls it ------------------- */

/* The myrt_* declarations and the inline fast paths (before any emission). */
void cg_declare_runtime(Cg *cg);
/* size bytes from the arena, as myrt_alloc gives them (the fast path). */
LLVMValueRef cg_emit_alloc(Cg *cg, LLVMValueRef arena, uint64_t size, const char *name);

#endif
