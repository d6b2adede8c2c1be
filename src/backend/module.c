/*
 * module.c: codegen_module, the order of the work (see codegen.h for what
 * the module looks like):
 *
 *   1. the runtime's declarations and fast paths (runtime.c);
 *   2. the graphs code may reach from the exports and the run entry, and
 *      their classification -- units, blocks, groups, recursive components
 *      (classify.c, no LLVM);
 *   3. the representation of sensitivity envs (sens.c), then the unit
 *      functions' declarations, so that any unit may call any other;
 *   4. emission: every plain group (emit.c), then one machine per
 *      recursive component (machine.c), in the order of the graphs;
 *   5. the C ABI wrappers and myc_run (abi.c);
 *   6. unwind tables on every function defined, the debug information
 *      finalised (debug.c, -g); LLVMVerifyModule.
 *
 * The Cg lives for one call: made here, freed before returning.
 */
#include "cg.h"

#include <llvm-c/Analysis.h>

/* A Cg for module m, building an LLVM module named name for tm's target
   in ctx. */
static void cg_init(Cg *cg, LLVMContextRef ctx, LLVMTargetMachineRef tm, Module *m, const char *name)
{
    cg->m = m;
    cg->ctx = ctx;
    cg->mod = LLVMModuleCreateWithNameInContext(name, ctx);
    cg->b = LLVMCreateBuilderInContext(ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(cg->mod, triple);
    LLVMDisposeMessage(triple);
    cg->td = LLVMCreateTargetDataLayout(tm);
    char *layout = LLVMCopyStringRepOfTargetData(cg->td);
    LLVMSetDataLayout(cg->mod, layout);
    LLVMDisposeMessage(layout);
    cg->t_i1 = LLVMInt1TypeInContext(ctx);
    cg->t_i8 = LLVMInt8TypeInContext(ctx);
    cg->t_i32 = LLVMInt32TypeInContext(ctx);
    cg->t_i64 = LLVMInt64TypeInContext(ctx);
    cg->t_f64 = LLVMDoubleTypeInContext(ctx);
    cg->t_void = LLVMVoidTypeInContext(ctx);
    cg->t_ptr = LLVMPointerType(cg->t_i8, 0);
    cg->t_zero = LLVMStructTypeInContext(ctx, NULL, 0, 0);
    LLVMTypeRef fv[2] = {cg->t_i32, cg->t_ptr};
    cg->t_fnval = LLVMStructTypeInContext(ctx, fv, 2, 0);
    LLVMTypeRef lv[3] = {cg->t_ptr, cg->t_i64, cg->t_i64};
    cg->t_list = LLVMStructTypeInContext(ctx, lv, 3, 0);
    cg->ngi = m->ngraph_ids;
    cg->gi = xcalloc(cg->ngi ? cg->ngi : 1, sizeof(GInfo));
    cg->cls = xcalloc(cg->ngi ? cg->ngi : 1, sizeof(GClass));
    cg_bodies_init(&cg->bodies, cg->ngi);
    cg->elided = xcalloc(m->nnodes + 1, 1);
}

/* Every function the module defines gets unwind tables (contract section
   3): a C++ exception thrown by a runtime error handler, or a debugger,
   unwinds through generated code.  (In LLVM 14 uwtable is an attribute
   without a value.) */
static void add_unwind_tables(Cg *cg)
{
    for (LLVMValueRef fn = LLVMGetFirstFunction(cg->mod); fn; fn = LLVMGetNextFunction(fn))
        if (LLVMCountBasicBlocks(fn))
            cg_add_attr(cg, fn, LLVMAttributeFunctionIndex, "uwtable");
}

/* Frees what cg_init and the work made, but the LLVM module. */
static void cg_free(Cg *cg)
{
    cg_bodies_free(&cg->bodies);
    free(cg->gi);
    free(cg->cls);
    free(cg->keys);
    free(cg->ops);
    free(cg->helpers);
    free(cg->val);
    free(cg->valstamp);
    free(cg->lastuse);
    free(cg->usestamp);
    free(cg->elided);
    LLVMDisposeBuilder(cg->b);
    LLVMDisposeTargetData(cg->td);
}

/* The graphs to compile, in the order classification and emission follow:
   those reachable from the roots (the exported graphs, the run entry and
   the top-level constants it runs first); is_root marks the roots and the
   graphs rebind makes closures of, const_uses the constants naming each
   graph (cg_scan_uses). */
static void find_graphs(Cg *cg, const CgExport *ex, int nex, Graph *run_entry, Graph *const *run_first, int nfirst,
                        GraphVec *graphs, bool *is_root, NodeVec *const_uses)
{
    GraphVec roots = {0};
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
    cg_reachable(&cg->bodies, roots.data, roots.len, graphs);
    for (int i = 0; i < roots.len; i++)
        is_root[roots.data[i]->id] = true;
    vec_free(&roots);
    cg_scan_uses(&cg->bodies, graphs->data, graphs->len, cg->m->nnodes, const_uses, is_root, cg->elided);
}

/* Plain groups first, then one machine per recursive component, by
   component number. */
static void emit_functions(Cg *cg, Graph *const *graphs, int n)
{
    for (int i = 0; i < n; i++) {
        const GClass *gc = class_of(cg, graphs[i]);
        if (gc->kind == GK_UNIT && !gc->machine)
            cg_emit_group(cg, graphs[i]);
    }
    GraphVec *comps = xcalloc(cg->ngi, sizeof(GraphVec));    /* machine units by component */
    for (int i = 0; i < n; i++) {
        const GClass *gc = class_of(cg, graphs[i]);
        if (gc->kind == GK_UNIT && gc->machine)
            vec_push(&comps[gc->scc], graphs[i]);
    }
    for (uint32_t c = 0; c < cg->ngi; c++) {
        if (comps[c].len)
            cg_emit_machine(cg, comps[c].data, comps[c].len);
        vec_free(&comps[c]);
    }
    free(comps);
}

LLVMModuleRef codegen_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, Module *m, const CgExport *ex,
                             int nex, Graph *run_entry, Graph *const *run_first, int nfirst,
                             const BackendOptions *o, StrBuf *err)
{
    Cg cg = {0};
    cg_init(&cg, ctx, tm, m, o->name);
    cg_debug_init(&cg, o);
    cg_declare_runtime(&cg);

    GraphVec graphs = {0};
    bool *is_root = xcalloc(cg.ngi, sizeof(bool));
    NodeVec *const_uses = xcalloc(cg.ngi, sizeof(NodeVec));
    find_graphs(&cg, ex, nex, run_entry, run_first, nfirst, &graphs, is_root, const_uses);
    cg_classify(cg.cls, cg.ngi, graphs.data, graphs.len, is_root, const_uses);
    cg_find_components(cg.cls, cg.ngi, &cg.bodies, graphs.data, graphs.len);

    cg_collect_keys(&cg, graphs.data, graphs.len);
    cg_ensure_node_tables(&cg);
    cg_declare_envs(&cg, graphs.data, graphs.len);
    for (int i = 0; i < graphs.len; i++)
        if (class_of(&cg, graphs.data[i])->kind == GK_UNIT)
            cg_declare_unit(&cg, graphs.data[i]);
    emit_functions(&cg, graphs.data, graphs.len);
    for (int i = 0; i < nex; i++)
        cg_emit_export(&cg, &ex[i]);
    if (run_entry)
        cg_emit_run_entry(&cg, run_entry, run_first, nfirst);
    add_unwind_tables(&cg);
    cg_debug_finish(&cg);

    for (uint32_t i = 0; i < cg.ngi; i++)
        vec_free(&const_uses[i]);
    free(const_uses);
    free(is_root);
    vec_free(&graphs);
    cg_free(&cg);
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
