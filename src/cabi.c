/* cabi.c: C ABI descriptions of exported functions (see cabi.h). */
#include "cabi.h"

#include <string.h>

/* C11 and C++20 keywords, and the macros <stdbool.h> defines. */
static const char *const keywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
    "case", "catch", "char", "char16_t", "char32_t", "char8_t", "class", "co_await", "co_return",
    "co_yield", "compl", "concept", "const", "const_cast", "consteval", "constexpr", "constinit",
    "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline",
    "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
    "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "restrict", "return", "short", "signed", "sizeof", "static", "static_assert",
    "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true", "try",
    "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
    "wchar_t", "while", "xor", "xor_eq", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex",
    "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
};

bool cabi_is_keyword(const char *name)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (strcmp(name, keywords[i]) == 0)
            return true;
    return false;
}

static const char *safe_name(Arena *a, const char *name)
{
    return cabi_is_keyword(name) ? arena_printf(a, "%s_", name) : name;
}

static const char *scalar_ctype(const Type *t)
{
    switch (t->kind) {
    case T_FLOAT: return "double";
    case T_INT: return "int64_t";
    case T_BOOL: return "bool";
    default: return NULL;
    }
}

/*
 * Flattens t depth-first into scalar parameters named base, base_0,
 * base_1_0, ... (or pointer outputs when `out`).  Iterative: an explicit
 * stack of (type, name) pairs, pushed in reverse so that items come out
 * left to right.
 */
static bool flatten(Arena *a, const Type *t, const char *base, bool out, CSignature *sig)
{
    typedef struct { const Type *t; const char *name; } Item;
    VEC(Item) stack = {0};
    Item first = {t, base};
    vec_push(&stack, first);
    bool ok = true;
    while (stack.len && ok) {
        Item it = vec_pop(&stack);
        if (it.t->kind == T_TUPLE) {
            for (int i = it.t->n - 1; i >= 0; i--) {
                Item sub = {it.t->elems[i], arena_printf(a, "%s_%d", it.name, i)};
                vec_push(&stack, sub);
            }
            continue;
        }
        const char *ct = scalar_ctype(it.t);
        if (!ct) {
            ok = false;
            break;
        }
        /* results are numbered in order (out_0, out_1, ...), parameters by path */
        const char *pname = out ? arena_printf(a, "out_%d", sig->params.len - sig->ninputs) : safe_name(a, it.name);
        CParam p = {out ? arena_printf(a, "%s *", ct) : ct, pname};
        vec_push(&sig->params, p);
    }
    vec_free(&stack);
    return ok;
}

bool cabi_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out)
{
    memset(out, 0, sizeof *out);
    out->name = safe_name(arena, arena_printf(arena, "%s%s", prefix ? prefix : "", name));
    for (int i = 0; i < g->nparams; i++) {
        const Node *p = g->params[i];
        const char *pname = p->name ? p->name : arena_printf(arena, "arg%d", i);
        if (!p->type || !flatten(arena, p->type, pname, false, out))
            goto fail;
    }
    out->ninputs = out->params.len;
    const Type *r = g->ret_type;
    if (!r)
        goto fail;
    if (r->kind == T_TUPLE) {
        out->ret = "void";
        if (!flatten(arena, r, "out", true, out))
            goto fail;
    } else if (!(out->ret = scalar_ctype(r))) {
        goto fail;
    }
    return true;
fail:
    cabi_signature_free(out);
    return false;
}

void cabi_signature_free(CSignature *sig)
{
    vec_free(&sig->params);
}

void cabi_format(const CSignature *sig, StrBuf *out)
{
    sb_printf(out, "%s %s(", sig->ret, sig->name);
    for (int i = 0; i < sig->params.len; i++) {
        const CParam *p = &sig->params.data[i];
        const char *ty = p->type;
        size_t n = strlen(ty);
        sb_printf(out, "%s%s%s%s", i ? ", " : "", ty, ty[n - 1] == '*' ? "" : " ", p->name);
    }
    if (sig->params.len == 0)
        sb_puts(out, "void");
    sb_putc(out, ')');
}
