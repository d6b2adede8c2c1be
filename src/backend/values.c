/*
 * values.c: how myc values are LLVM values (see cg.h): the LLVM type of a
 * myc type, zeros, function values, the implicit conversions, truth; and
 * the small emission helpers every other file of the code generator uses
 * (allocas in the entry block, attributes, calls, runtime errors).
 *
 * Assumes types as inference left them after specialisation (a function
 * type lists the graphs and primitives a value may be); an env's
 * representation is asked only after cg_collect_keys fixed it.
 * Guarantees: every conversion is one the language makes implicitly or a
 * join made when it widened a type; anything else is an internal error
 * (die), never a silent reinterpretation.
 */
#include "cg.h"

#include <stdio.h>
#include <string.h>

#include "scalar.h"

/* ---- types and values ---------------------------------------------------- */

static bool same_ref(const FnRef *a, const FnRef *b)
{
    return a->graph == b->graph && (a->graph || a->prim == b->prim);
}

/* The position of function r in function type t -- the tag of a value of
   type t that is r -- or -1 when t does not list it. */
int cg_ref_index(const Type *t, const FnRef *r)
{
    for (int i = 0; t && t->kind == T_FUNC && i < t->n; i++)
        if (same_ref(&t->fns[i], r))
            return i;
    return -1;
}

/* The position of graph g in function type t, or -1. */
int cg_graph_index(const Type *t, const Graph *g)
{
    FnRef r = {(Graph *)g, -1, NULL, NULL};
    return cg_ref_index(t, &r);
}

/*
 * Function values.  A value of function type t is one of t's functions,
 * its tag (its position in t), and for a closure its record.  In general
 * it is { i32 tag, ptr record }.  When at most one function of t has a
 * record (captured parameters) it is a single pointer: that function's
 * record, or for any other function its tag as a small integer (no record
 * lies below address t->n: records are arena memory).  A loop's
 * continuation is such a type (the loop's entry, which captures nothing,
 * or the previous iteration's backpropagator), so a backpropagator's
 * record keeps 8 bytes for it, not 16.  The all-zero value is tag 0 in
 * both forms.
 */

/* -2 when values of function type t are { tag, record }; else they are one
   pointer, and this is the position of the one function with a record, or
   -1 when none has one. */
static int fn_owner(const Type *t)
{
    if (!t || t->kind != T_FUNC)
        return -2;
    int owner = -1;
    for (int i = 0; i < t->n; i++) {
        const Graph *g = t->fns[i].graph;
        if (g && g->nfree > 0) {
            if (owner >= 0)
                return -2;
            owner = i;
        }
    }
    return owner;
}

/* The LLVM type of values of myc type t (NULL: a zero). */
LLVMTypeRef cg_type(Cg *cg, const Type *t)
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
    case T_FUNC: return fn_owner(t) == -2 ? cg->t_fnval : cg->t_ptr;
    case T_LIST: return cg->t_list;
    case T_TUPLE: {
        LLVMTypeRef *el = xmalloc(sizeof(LLVMTypeRef) * (size_t)(t->n + 1));
        bool same = true;
        for (int i = 0; i < t->n; i++) {
            el[i] = cg_type(cg, t->elems[i]);
            same = same && el[i] == el[0];
        }
        if (t->n >= CG_ARRAY_TUPLE && same) {
            LLVMTypeRef a = LLVMArrayType(el[0], (unsigned)t->n);
            free(el);
            return a;
        }
        LLVMTypeRef s = LLVMStructTypeInContext(cg->ctx, el, (unsigned)t->n, 0);
        free(el);
        return s;
    }
    }
    return cg->t_zero;
}

/* The all-zero value of t: 0, 0.0, False, (), NULL env, ... */
LLVMValueRef cg_zero_value(Cg *cg, const Type *t)
{
    return LLVMConstNull(cg_type(cg, t));
}

/* t's value for tag and record env (NULL: none), tag an i32 value. */
static LLVMValueRef fn_value_of(Cg *cg, const Type *t, LLVMValueRef tag, LLVMValueRef env)
{
    int owner = fn_owner(t);
    if (owner == -2) {
        LLVMValueRef v = LLVMGetUndef(cg->t_fnval);
        v = LLVMBuildInsertValue(cg->b, v, tag, 0, "");
        return LLVMBuildInsertValue(cg->b, v, env ? env : LLVMConstNull(cg->t_ptr), 1, "");
    }
    LLVMValueRef small = LLVMBuildIntToPtr(cg->b, LLVMBuildZExt(cg->b, tag, cg->t_i64, ""), cg->t_ptr, "");
    if (owner < 0 || !env)
        return small;
    if (LLVMIsAConstantInt(tag))
        return LLVMConstIntGetZExtValue(tag) == (unsigned long long)owner ? env : small;
    LLVMValueRef is = LLVMBuildICmp(cg->b, LLVMIntEQ, tag, const_i32(cg, owner), "");
    return LLVMBuildSelect(cg->b, is, env, small, "");
}

LLVMValueRef cg_fn_value(Cg *cg, const Type *t, int tag, LLVMValueRef env)
{
    return fn_value_of(cg, t, const_i32(cg, tag), env);
}

LLVMValueRef cg_fn_tag(Cg *cg, const Type *t, LLVMValueRef v)
{
    int owner = fn_owner(t);
    if (owner == -2)
        return LLVMBuildExtractValue(cg->b, v, 0, "tag");
    LLVMValueRef p = LLVMBuildPtrToInt(cg->b, v, cg->t_i64, "");
    LLVMValueRef small = LLVMBuildTrunc(cg->b, p, cg->t_i32, "tag");
    if (owner < 0)
        return small;
    LLVMValueRef is_small = LLVMBuildICmp(cg->b, LLVMIntULT, p, const_i64(cg, t->n), "");
    return LLVMBuildSelect(cg->b, is_small, small, const_i32(cg, owner), "tag");
}

LLVMValueRef cg_fn_env(Cg *cg, const Type *t, LLVMValueRef v)
{
    return fn_owner(t) == -2 ? LLVMBuildExtractValue(cg->b, v, 1, "env") : v;
}

/* Converts v from type `from` to type `to` where the language converts
   implicitly or a join widened a type: bool/int to float, bool to int,
   zero to anything (materialised), anything to zero (dropped: it is known
   to be zero), tuples elementwise, lists item by item (list[int] to
   list[float] a new list in cg->arena; list[?] to any list the empty
   list), function values between types listing the same functions in
   other positions. */
LLVMValueRef cg_coerce(Cg *cg, LLVMValueRef v, const Type *from, const Type *to)
{
    if (from == to || !to)
        return v;
    if (to->kind == T_ZERO)
        return cg_zero_value(cg, to);
    if (!from || from->kind == T_ZERO)
        return cg_zero_value(cg, to);
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
            LLVMValueRef r = LLVMGetUndef(cg_type(cg, to));
            for (int i = 0; i < to->n; i++) {
                LLVMValueRef e = LLVMBuildExtractValue(cg->b, v, (unsigned)i, "");
                r = LLVMBuildInsertValue(cg->b, r, cg_coerce(cg, e, from->elems[i], to->elems[i]), (unsigned)i, "");
            }
            return r;
        }
        break;
    case T_FUNC:
        if (from->kind == T_FUNC) {
            /* remap tags: a switch over from's functions (and the form:
               one pointer or { tag, record }) */
            bool identity = from->n <= to->n && fn_owner(from) == fn_owner(to);
            for (int i = 0; identity && i < from->n; i++)
                identity = cg_ref_index(to, &from->fns[i]) == i;
            if (identity)
                return v;
            LLVMValueRef tag = cg_fn_tag(cg, from, v);
            LLVMValueRef nt = const_i32(cg, 0);
            for (int i = 0; i < from->n; i++) {
                int j = cg_ref_index(to, &from->fns[i]);
                if (j < 0)
                    die("codegen: function type conversion loses @%s",
                        from->fns[i].graph ? from->fns[i].graph->name : "a primitive");
                LLVMValueRef is = LLVMBuildICmp(cg->b, LLVMIntEQ, tag, const_i32(cg, i), "");
                nt = LLVMBuildSelect(cg->b, is, const_i32(cg, j), nt, "");
            }
            return fn_value_of(cg, to, nt, cg_fn_env(cg, from, v));
        }
        break;
    case T_LIST:
        if (from->kind == T_LIST) {
            if (!cg->arena)
                die("codegen: a list conversion outside a function with an arena");
            return cg_list_convert(cg, cg->arena, v, from, to);
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
LLVMValueRef cg_truth(Cg *cg, LLVMValueRef v, const Type *t)
{
    if (!type_is_scalar(t))
        die("codegen: a condition of a non-scalar type");
    CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, LOC_NONE};
    Type *arg = (Type *)t;
    return cg_scalar_prim(&pc, P_TRUTH, &v, &arg, 1, type_bool(cg->m->types));
}

/* ---- emission helpers ---------------------------------------------------- */

/* An alloca in the entry block of the current function. */
LLVMValueRef cg_entry_alloca(Cg *cg, LLVMTypeRef t, const char *name)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->b);
    LLVMBasicBlockRef first = LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(cur));
    LLVMValueRef inst = LLVMGetFirstInstruction(first);
    LLVMMetadataRef loc = cg_debug_save(cg);     /* positioning before inst takes inst's */
    if (inst)
        LLVMPositionBuilderBefore(cg->b, inst);
    else
        LLVMPositionBuilderAtEnd(cg->b, first);
    LLVMValueRef a = LLVMBuildAlloca(cg->b, t, name);
    LLVMSetAlignment(a, 16);
    LLVMPositionBuilderAtEnd(cg->b, cur);
    cg_debug_restore(cg, loc);
    return a;
}

/* A private constant string s (.str.N), as an i8*. */
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

/* Calls the runtime error handler (never returns) with msg at loc and
   continues in a fresh, unreachable block. */
void cg_runtime_error(Cg *cg, const char *msg, Loc loc)
{
    CgPrimCtx pc = {cg->ctx, cg->mod, cg->b, loc};
    cg_raise(&pc, cstring(cg, msg));
    LLVMPositionBuilderAtEnd(cg->b, new_block(cg, "dead"));
}

/* Adds LLVM's enum attribute name to fn at idx (function, return value or
   parameter i + 1). */
void cg_add_attr(Cg *cg, LLVMValueRef fn, LLVMAttributeIndex idx, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

/* A call of fn (of type fty); fast: with the fastcc convention of the
   module's internal functions. */
LLVMValueRef cg_call_fn(Cg *cg, LLVMTypeRef fty, LLVMValueRef fn, LLVMValueRef *args, int n, bool fast)
{
    LLVMValueRef c = LLVMBuildCall2(cg->b, fty, fn, args, (unsigned)n, "");
    if (fast)
        LLVMSetInstructionCallConv(c, LLVMFastCallConv);
    return c;
}
