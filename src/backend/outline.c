/*
 * outline.c: long straight-line runs emitted as functions of their own.
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
 * function then stays small, and compile time grows linearly.
 *
 * Assumes emit.c asks, at each body position of the graph it emits,
 * whether a chunk starts there (cg_outline_chunk), in increasing order,
 * and emits every node outside the chunks itself.
 * Guarantees: a chunk holds only primitives computed from scalars alone
 * (no arena, no frame, no call), so the values and their order of
 * evaluation are unchanged; after a chunk, the values the rest of the
 * graph uses are loaded back from the frame.
 */
#include "cg.h"

#include "scalar.h"

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

/* The plan for g's body, or NULL when g is not worth outlining. */
Outline *cg_plan_outline(Cg *cg, const Graph *g, const NodeVec *body)
{
    Outline plan = {0};
    if (!plan_outline(cg, g, body, &plan))
        return NULL;
    Outline *ol = xmalloc(sizeof *ol);
    *ol = plan;
    return ol;
}

/* Frees a plan (cg_plan_outline). */
void cg_free_outline(Outline *ol)
{
    for (int c = 0; c < ol->chunks.len; c++) {
        vec_free(&ol->chunks.data[c].in);
        vec_free(&ol->chunks.data[c].out);
    }
    vec_free(&ol->chunks);
    free(ol->chunk_of);
    free(ol->slot);
    free(ol->flags);
    free(ol);
}

/* The frame slot of x (frame: i8*), as a pointer to x's LLVM type. */
static LLVMValueRef slot_ptr(Cg *cg, const Outline *ol, LLVMValueRef frame, const Node *x)
{
    LLVMValueRef idx = const_i64(cg, ol->slot[x->id] - 1);
    LLVMValueRef p = LLVMBuildGEP2(cg->b, cg->t_i64, ptr_to(cg, frame, cg->t_i64), &idx, 1, "");
    return ptr_to(cg, p, cg_type(cg, x->type));
}

/* Emits chunk ol->next of g as a function, and its call at the builder. */
static void emit_chunk(Cg *cg, Region *r, const Graph *g, const NodeVec *body, Outline *ol)
{
    int c = ol->next++;
    Chunk *ch = &ol->chunks.data[c];
    if (!ol->frame)
        ol->frame = LLVMBuildBitCast(cg->b,
                                     cg_entry_alloca(cg, LLVMArrayType(cg->t_i64, (unsigned)ol->nslots), "frame"),
                                     cg->t_ptr, "");
    for (int k = 0; k < ch->in.len; k++) {
        Node *x = ch->in.data[k];
        if (!ol->chunk_of[x->id] && !(ol->flags[x->id] & OL_STORED)) {
            LLVMBuildStore(cg->b, cg_get_val(cg, r, x), slot_ptr(cg, ol, ol->frame, x));
            ol->flags[x->id] |= OL_STORED;
        }
    }
    LLVMTypeRef fty = LLVMFunctionType(cg->t_void, &cg->t_ptr, 1, 0);
    char *name = arena_printf(cg->m->arena, "myc.%s.part%d", g->name, c);
    LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMSetFunctionCallConv(fn, LLVMFastCallConv);
    cg_add_attr(cg, fn, LLVMAttributeFunctionIndex, "noinline");
    cg_add_attr(cg, fn, 1, "noalias");
    cg_call_fn(cg, fty, fn, &ol->frame, 1, true);
    LLVMBasicBlockRef back = LLVMGetInsertBlock(cg->b);

    /* The chunk's own values for its inputs, then the parent's again. */
    LLVMValueRef *parent = xmalloc(sizeof(LLVMValueRef) * (size_t)(ch->in.len + 1));
    for (int k = 0; k < ch->in.len; k++)
        parent[k] = has_val(cg, ch->in.data[k]) ? cg->val[ch->in.data[k]->id] : NULL;
    DbgScope dbg = cg_debug_enter(cg, fn, arena_printf(cg->m->arena, "%s [part %d]", cg_debug_name(cg, g), c),
                                  body->data[ch->from]->loc);
    LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
    LLVMValueRef frame = LLVMGetParam(fn, 0);
    for (int k = 0; k < ch->in.len; k++) {
        Node *x = ch->in.data[k];
        cg_set_val(cg, x, LLVMBuildLoad2(cg->b, cg_type(cg, x->type), slot_ptr(cg, ol, frame, x), ""));
    }
    for (int p = ch->from; p < ch->to; p++) {
        cg_debug_at(cg, body->data[p]->loc);
        cg_set_val(cg, body->data[p], cg_emit_prim_node(cg, r, body->data[p]));
    }
    for (int k = 0; k < ch->out.len; k++)
        LLVMBuildStore(cg->b, cg_get_val(cg, r, ch->out.data[k]), slot_ptr(cg, ol, frame, ch->out.data[k]));
    LLVMBuildRetVoid(cg->b);
    cg_debug_leave(cg, dbg);

    LLVMPositionBuilderAtEnd(cg->b, back);
    for (int k = 0; k < ch->in.len; k++) {
        Node *x = ch->in.data[k];
        if (parent[k])
            cg_set_val(cg, x, parent[k]);
        else
            cg->valstamp[x->id] = 0;    /* an earlier chunk's, only in the frame */
    }
    for (int p = ch->from; p < ch->to; p++)
        cg->valstamp[body->data[p]->id] = 0;
    for (int k = 0; k < ch->out.len; k++) {
        Node *y = ch->out.data[k];
        if (ol->flags[y->id] & OL_PARENT_USE)
            cg_set_val(cg, y, LLVMBuildLoad2(cg->b, cg_type(cg, y->type), slot_ptr(cg, ol, ol->frame, y), ""));
    }
    free(parent);
}

/* When the next chunk of the plan starts at body position pos: emits it
   (emit_chunk) and returns the position after it; else -1. */
int cg_outline_chunk(Cg *cg, Region *r, const Graph *g, const NodeVec *body, Outline *ol, int pos)
{
    if (ol->next >= ol->chunks.len || ol->chunks.data[ol->next].from != pos)
        return -1;
    int end = ol->chunks.data[ol->next].to;
    emit_chunk(cg, r, g, body, ol);
    return end;
}
