/* types.c: interned types.  Tuples, lists and function sets are hash-consed. */
#include "types.h"
#include "ir.h"

#include <string.h>

struct TypeTable {
    Arena *arena;
    Type *tbool, *tint, *tfloat, *tzero, *tenv;
    Type **slots;       /* open addressing over interned composite types */
    size_t nslots, count;
    uint32_t next_id;
};

static Type *new_type(TypeTable *tt, TypeKind k)
{
    Type *t = ARENA_NEW(tt->arena, Type);
    t->kind = k;
    t->id = tt->next_id++;
    return t;
}

TypeTable *types_new(Arena *arena)
{
    TypeTable *tt = ARENA_NEW(arena, TypeTable);
    tt->arena = arena;
    tt->tbool = new_type(tt, T_BOOL);
    tt->tint = new_type(tt, T_INT);
    tt->tfloat = new_type(tt, T_FLOAT);
    tt->tzero = new_type(tt, T_ZERO);
    tt->tenv = new_type(tt, T_ENV);
    tt->nslots = 64;
    tt->slots = ARENA_ARRAY(arena, Type *, tt->nslots);
    return tt;
}

Type *type_bool(TypeTable *tt) { return tt->tbool; }
Type *type_int(TypeTable *tt) { return tt->tint; }
Type *type_float(TypeTable *tt) { return tt->tfloat; }
Type *type_zero(TypeTable *tt) { return tt->tzero; }
Type *type_env(TypeTable *tt) { return tt->tenv; }

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t fnref_key(const FnRef *f)
{
    return mix(mix(mix(f->graph ? f->graph->id + 1 : 0, (uint64_t)(f->prim + 1)), (uint64_t)(uintptr_t)f->ctx),
               (uint64_t)(uintptr_t)f->site);
}

static uint64_t hash_type(TypeKind k, Type *const *elems, const FnRef *fns, int n)
{
    uint64_t h = mix((uint64_t)k, (uint64_t)n);
    for (int i = 0; i < n; i++)
        h = mix(h, k != T_FUNC ? elems[i]->id : fnref_key(&fns[i]));
    return h;
}

static bool same_fnref(const FnRef *a, const FnRef *b)
{
    return a->graph == b->graph && a->prim == b->prim && a->ctx == b->ctx && a->site == b->site;
}

static bool equal_type(const Type *t, TypeKind k, Type *const *elems, const FnRef *fns, int n)
{
    if (t->kind != k || t->n != n)
        return false;
    for (int i = 0; i < n; i++)
        if (k != T_FUNC ? t->elems[i] != elems[i] : !same_fnref(&t->fns[i], &fns[i]))
            return false;
    return true;
}

static void grow(TypeTable *tt)
{
    size_t n = tt->nslots * 2;
    Type **slots = ARENA_ARRAY(tt->arena, Type *, n);   /* the old array stays in the arena */
    for (size_t i = 0; i < tt->nslots; i++) {
        Type *t = tt->slots[i];
        if (!t)
            continue;
        size_t j = hash_type(t->kind, t->elems, t->fns, t->n) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = t;
    }
    tt->slots = slots;
    tt->nslots = n;
}

static Type *intern(TypeTable *tt, TypeKind k, Type *const *elems, const FnRef *fns, int n)
{
    if (tt->count * 2 >= tt->nslots)
        grow(tt);
    size_t j = hash_type(k, elems, fns, n) & (tt->nslots - 1);
    for (; tt->slots[j]; j = (j + 1) & (tt->nslots - 1))
        if (equal_type(tt->slots[j], k, elems, fns, n))
            return tt->slots[j];
    Type *t = new_type(tt, k);
    t->n = n;
    if (k != T_FUNC) {
        t->elems = ARENA_ARRAY(tt->arena, Type *, n ? n : 1);
        if (n)
            memcpy(t->elems, elems, sizeof(Type *) * (size_t)n);
        for (int i = 0; i < n; i++)
            if (elems[i]->depth + 1 > t->depth)
                t->depth = elems[i]->depth + 1;
        if (n == 0 || k == T_LIST)
            t->depth = n ? elems[0]->depth + 1 : 1;
    } else {
        t->fns = ARENA_ARRAY(tt->arena, FnRef, n ? n : 1);
        if (n)
            memcpy(t->fns, fns, sizeof(FnRef) * (size_t)n);
    }
    tt->slots[j] = t;
    tt->count++;
    return t;
}

Type *type_tuple(TypeTable *tt, Type *const *elems, int n)
{
    return intern(tt, T_TUPLE, elems, NULL, n);
}

Type *type_list(TypeTable *tt, Type *elem)
{
    return intern(tt, T_LIST, &elem, NULL, elem ? 1 : 0);
}

static int cmp_fnref(const void *a, const void *b)
{
    const FnRef *x = a, *y = b;
    uint32_t gx = x->graph ? x->graph->id + 1 : 0, gy = y->graph ? y->graph->id + 1 : 0;
    if (gx != gy)
        return gx < gy ? -1 : 1;
    if (x->prim != y->prim)
        return x->prim < y->prim ? -1 : 1;
    if (x->ctx != y->ctx)
        return (uintptr_t)x->ctx < (uintptr_t)y->ctx ? -1 : 1;
    if (x->site != y->site)
        return (uintptr_t)x->site < (uintptr_t)y->site ? -1 : 1;
    return 0;
}

Type *type_func(TypeTable *tt, const FnRef *fns, int n)
{
    FnRef *sorted = xmalloc(sizeof(FnRef) * (size_t)(n ? n : 1));
    if (n)
        memcpy(sorted, fns, sizeof(FnRef) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(FnRef), cmp_fnref);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || cmp_fnref(&sorted[m - 1], &sorted[i]) != 0)
            sorted[m++] = sorted[i];
    Type *t = intern(tt, T_FUNC, NULL, sorted, m);
    free(sorted);
    return t;
}

void type_str(const Type *t, StrBuf *out)
{
    if (!t) {
        sb_puts(out, "?");
        return;
    }
    switch (t->kind) {
    case T_BOOL: sb_puts(out, "bool"); break;
    case T_INT: sb_puts(out, "int"); break;
    case T_FLOAT: sb_puts(out, "float"); break;
    case T_ZERO: sb_puts(out, "zero"); break;
    case T_ENV: sb_puts(out, "env"); break;
    case T_TUPLE:
        sb_putc(out, '(');
        for (int i = 0; i < t->n; i++) {
            if (i)
                sb_puts(out, ", ");
            type_str(t->elems[i], out);
        }
        if (t->n == 1)
            sb_putc(out, ',');
        sb_putc(out, ')');
        break;
    case T_LIST:
        sb_puts(out, "list[");
        type_str(type_list_elem(t), out);
        sb_putc(out, ']');
        break;
    case T_FUNC:
        sb_puts(out, "fn{");
        for (int i = 0; i < t->n; i++) {
            if (i)
                sb_puts(out, ", ");
            if (t->fns[i].graph)
                sb_puts(out, t->fns[i].graph->name);
            else
                sb_puts(out, prim_info((PrimId)t->fns[i].prim)->name);
        }
        sb_putc(out, '}');
        break;
    }
}

const char *type_name(Arena *a, const Type *t)
{
    StrBuf sb = {0};
    type_str(t, &sb);
    const char *s = arena_strdup(a, sb_cstr(&sb));
    sb_free(&sb);
    return s;
}

bool type_has_function(const Type *t)
{
    if (!t || t->kind == T_FUNC)
        return true;
    for (int i = 0; (t->kind == T_TUPLE || t->kind == T_LIST) && i < t->n; i++)
        if (type_has_function(t->elems[i]))
            return true;
    return false;
}

bool type_may_hold_list(const Type *t)
{
    if (!t || t->kind == T_LIST || t->kind == T_FUNC)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (type_may_hold_list(t->elems[i]))
            return true;
    return false;
}

/* Whether every leaf of t is a scalar of kind *leaf (set by the first
   leaf when it is -1), counting them in *n. */
static bool uniform_leaves(const Type *t, int *leaf, int *n)
{
    if (t->kind == T_TUPLE) {
        for (int i = 0; i < t->n; i++)
            if (!uniform_leaves(t->elems[i], leaf, n))
                return false;
        return true;
    }
    if (!type_is_scalar(t) || (*leaf >= 0 && (int)t->kind != *leaf))
        return false;
    *leaf = (int)t->kind;
    (*n)++;
    return true;
}

bool type_list_block(const Type *t, ListBlock *out)
{
    if (!t || t->kind != T_LIST || !type_list_elem(t))
        return false;
    int dims = 1;
    const Type *item = type_list_elem(t);
    if (item->kind == T_LIST) {
        dims = 2;
        item = type_list_elem(item);
        if (!item)
            return false;
    }
    int leaf = -1, n = 0;
    if (!uniform_leaves(item, &leaf, &n) || n == 0)
        return false;
    if (out) {
        out->dims = dims;
        out->leaf = (TypeKind)leaf;
        out->per_item = n;
        out->item = item;
    }
    return true;
}

const Type *type_unpassable_list(const Type *t)
{
    if (!t)
        return NULL;
    if (t->kind == T_LIST)
        return type_list_block(t, NULL) ? NULL : t;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++) {
        const Type *bad = type_unpassable_list(t->elems[i]);
        if (bad)
            return bad;
    }
    return NULL;
}

bool type_is_float_shaped(const Type *t)
{
    if (!t)
        return false;
    if (t->kind == T_FLOAT || t->kind == T_ZERO)
        return true;
    if (t->kind != T_TUPLE)
        return false;
    for (int i = 0; i < t->n; i++)
        if (!type_is_float_shaped(t->elems[i]))
            return false;
    return true;
}
