/*
 * machine.c: recursive components as machines (docs/backend.md,
 * "Recursion runs on a heap stack").  The units of a recursive component
 * -- a recursive source function, or the forward and backward passes of a
 * differentiated loop -- are emitted into one LLVM function, the machine,
 * entered through a wrapper per unit.  A call between two of its units
 * saves the values live across the call in a frame on the runtime arena's
 * heap stack (myrt.frame_push), stores a return point and jumps to the
 * callee's entry block; a return at depth 0 leaves the machine, deeper it
 * pops the frame and dispatches on the return point.  So the C stack stays
 * constant whatever the depth of the recursion.
 *
 * Assumes cg_note_uses ran for each graph of the machine before its
 * emission (liveness: cg->lastuse), and that emit.c emits the graphs,
 * calling cg_machine_call for a call to a unit of the same component and
 * cg_region_return for every return of every region.
 * Guarantees: a frame holds exactly the values used after the call (and
 * in a machine of one unit not the parameters every recursive call passes
 * through unchanged, machine_invariants), reloaded in the continuation;
 * the values computed are those of the same code run on the C stack.
 */
#include "cg.h"

#include <string.h>

/* ---- returns ------------------------------------------------------------- */

/* The stack slot through which the machine's units return values of type
   t (one per type), and in *exit the block that leaves the machine with
   the value (a return at depth 0). */
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
    LLVMValueRef slot = cg_entry_alloca(cg, cg_type(cg, t), "ret");
    /* the exit for a return at depth 0: copy to the caller's buffer */
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef ex = LLVMAppendBasicBlockInContext(cg->ctx, r->fn, "machine.exit");
    LLVMPositionBuilderAtEnd(cg->b, ex);
    LLVMValueRef v = LLVMBuildLoad2(cg->b, cg_type(cg, t), slot, "");
    LLVMBuildStore(cg->b, v, ptr_to(cg, r->retbuf, cg_type(cg, t)));
    LLVMBuildRetVoid(cg->b);
    LLVMPositionBuilderAtEnd(cg->b, saved);
    r->slots[r->nslots].t = t;
    r->slots[r->nslots].slot = slot;
    r->slots[r->nslots++].exit = ex;
    if (exit)
        *exit = ex;
    return slot;
}

/* Returns v (of type t) from the unit whose code is running: a ret in a
   plain function; in a machine, through the return slot, leaving the
   machine at depth 0 or dispatching to the caller's continuation. */
void cg_region_return(Cg *cg, Region *r, const Graph *g, LLVMValueRef v, const Type *t)
{
    const Type *rt = ret_type(class_of(cg, g)->group);
    v = cg_coerce(cg, v, t, rt);
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

/* ---- invariant parameters ------------------------------------------------ */

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
        if (g->id >= cg->ngi || class_of(cg, g)->group != u)
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

/* ---- liveness across calls ----------------------------------------------- */

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

/* Where each value of g's body (and each parameter) is last used, for
   cg_live_after: called before a graph of a machine is emitted. */
void cg_note_uses(Cg *cg, const Graph *g, const NodeVec *body)
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
    extend_uses(cg, body);
}

/* Live values across a machine call at body position pos of the graph
   being emitted: those computed (or parameters) and used later.  The live
   parameters that are invariant (machine_invariants) go to inv instead,
   or nowhere when inv is NULL. */
void cg_live_after(Cg *cg, const Region *r, const Graph *g, const NodeVec *body, int pos, NodeVec *out,
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

/* ---- calls and the machine function -------------------------------------- */

/* A call inside a machine to unit t of the same machine: saves the live
   values in a frame, jumps to t, and continues (after t returns) in a new
   block where the live values are reloaded.  Returns t's result. */
LLVMValueRef cg_machine_call(Cg *cg, Region *r, const CallSite *cs, Graph *t, LLVMValueRef *args,
                             LLVMBasicBlockRef *cont_out)
{
    NodeVec live = {0}, inv = {0};
    cg_live_after(cg, r, cs->g, cs->body, cs->pos, &live, &inv);
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
    cg_jump(cg, r, t, args);
    /* the continuation */
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(cg->ctx, r->fn, "ret");
    LLVMAddCase(r->dispatch_switch, const_i32(cg, retid), cont);
    LLVMPositionBuilderAtEnd(cg->b, cont);
    LLVMValueRef f = ptr_to(cg, LLVMBuildLoad2(cg->b, cg->t_ptr, r->fp, ""), frty);
    for (int i = 0; i < live.len; i++)
        cg_set_val(cg, live.data[i],
                   LLVMBuildLoad2(cg->b, LLVMStructGetTypeAtIndex(frty, (unsigned)i + 1),
                                  LLVMBuildStructGEP2(cg->b, frty, f, (unsigned)i + 1, ""), ""));
    for (int i = 0; i < inv.len; i++)
        cg_set_val(cg, inv.data[i], invariant_value(cg, r, inv.data[i]));
    vec_free(&live);
    vec_free(&inv);
    const Type *rt = ret_type(t);
    LLVMValueRef slot = ret_slot(cg, r, rt, NULL);
    if (cont_out)
        *cont_out = cont;
    return LLVMBuildLoad2(cg->b, cg_type(cg, rt), slot, "");
}

/* A recursive component: one machine function holding every unit's group,
   and per unit a wrapper that enters it. */
void cg_emit_machine(Cg *cg, Graph *const *units, int n)
{
    Region r = {0};
    r.machine = true;
    r.scc = class_of(cg, units[0])->scc;
    LLVMTypeRef pt[4] = {cg->t_ptr, cg->t_i32, cg->t_ptr, cg->t_ptr};
    LLVMTypeRef mty = LLVMFunctionType(cg->t_void, pt, 4, 0);
    char *name = arena_printf(cg->m->arena, "myc.machine.%s", units[0]->name);
    r.fn = LLVMAddFunction(cg->mod, name, mty);
    LLVMSetLinkage(r.fn, LLVMInternalLinkage);
    DbgScope dbg = cg_debug_enter(cg, r.fn, cg_debug_name(cg, units[0]), units[0]->loc);
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
        int mindex = class_of(cg, u)->mindex;
        LLVMBasicBlockRef eb = LLVMAppendBasicBlockInContext(cg->ctx, r.fn, "enter");
        LLVMAddCase(esw, const_i32(cg, mindex), eb);
        LLVMPositionBuilderAtEnd(cg->b, eb);
        LLVMValueRef ap = ptr_to(cg, LLVMGetParam(r.fn, 2), ui->argsty);
        LLVMValueRef *a = xmalloc(sizeof(LLVMValueRef) * (size_t)(u->nparams + 1));
        for (int i = 0; i < u->nparams; i++)
            a[i] = LLVMBuildLoad2(cg->b, LLVMStructGetTypeAtIndex(ui->argsty, (unsigned)i),
                                  LLVMBuildStructGEP2(cg->b, ui->argsty, ap, (unsigned)i, ""), "");
        if (n == 1)
            machine_invariants(cg, &r, u, a);
        cg_jump(cg, &r, u, a);
        free(a);
        /* the wrapper callers outside the machine call */
        DbgScope wdbg = cg_debug_enter(cg, ui->fn, cg_debug_name(cg, u), u->loc);
        LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, ui->fn, "start"));
        LLVMValueRef args = LLVMBuildAlloca(cg->b, ui->argsty, "args");
        for (int i = 0; i < u->nparams; i++)
            LLVMBuildStore(cg->b, LLVMGetParam(ui->fn, (unsigned)i + 1), LLVMBuildStructGEP2(cg->b, ui->argsty, args, (unsigned)i, ""));
        LLVMTypeRef rty = cg_type(cg, ret_type(u));
        LLVMValueRef ret = LLVMBuildAlloca(cg->b, rty, "ret");
        LLVMValueRef ma[4] = {LLVMGetParam(ui->fn, 0), const_i32(cg, mindex), LLVMBuildBitCast(cg->b, args, cg->t_ptr, ""),
                              LLVMBuildBitCast(cg->b, ret, cg->t_ptr, "")};
        LLVMBuildCall2(cg->b, mty, r.fn, ma, 4, "");
        LLVMBuildRet(cg->b, LLVMBuildLoad2(cg->b, rty, ret, ""));
        cg_debug_leave(cg, wdbg);
    }
    LLVMValueRef outer_arena = cg->arena;
    cg->arena = r.arena;
    cg_drain(cg, &r);
    cg->arena = outer_arena;
    vec_free(&r.todo);
    free(r.slots);
    cg_debug_leave(cg, dbg);
}
