/*
 * cabi.c: C ABI descriptions of exported functions and the C header that
 * declares them (see cabi.h for what is assumed and guaranteed).
 */
#include "cabi.h"

#include <ctype.h>
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

/* The functions of the C standard library (C11 7.x, the external names a
   hosted program links against), which an exported function must not
   define: the linker would take one for the other.  <math.h>'s also have
   their float and long double twins (NAMEf, NAMEl). */
static const char *const libm_names[] = {
    "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "acosh", "asinh", "atanh", "cosh", "sinh", "tanh",
    "exp", "exp2", "expm1", "frexp", "ilogb", "ldexp", "log", "log10", "log1p", "log2", "logb", "modf",
    "scalbn", "scalbln", "cbrt", "fabs", "hypot", "pow", "sqrt", "erf", "erfc", "lgamma", "tgamma", "ceil",
    "floor", "nearbyint", "rint", "lrint", "llrint", "round", "lround", "llround", "trunc", "fmod",
    "remainder", "remquo", "copysign", "nan", "nextafter", "nexttoward", "fdim", "fmax", "fmin", "fma",
};
static const char *const libc_names[] = {
    "main", "abort", "abs", "aligned_alloc", "at_quick_exit", "atexit", "atof", "atoi", "atol", "atoll",
    "bsearch", "calloc", "div", "exit", "free", "getenv", "labs", "ldiv", "llabs", "lldiv", "malloc",
    "mblen", "mbstowcs", "mbtowc", "qsort", "quick_exit", "rand", "realloc", "srand", "strtod", "strtof",
    "strtol", "strtold", "strtoll", "strtoul", "strtoull", "system", "wcstombs", "wctomb", "memchr",
    "memcmp", "memcpy", "memmove", "memset", "strcat", "strchr", "strcmp", "strcoll", "strcpy", "strcspn",
    "strerror", "strlen", "strncat", "strncmp", "strncpy", "strpbrk", "strrchr", "strspn", "strstr",
    "strtok", "strxfrm", "clearerr", "fclose", "feof", "ferror", "fflush", "fgetc", "fgetpos", "fgets",
    "fopen", "fprintf", "fputc", "fputs", "fread", "freopen", "fscanf", "fseek", "fsetpos", "ftell",
    "fwrite", "getc", "getchar", "perror", "printf", "putc", "putchar", "puts", "remove", "rename",
    "rewind", "scanf", "setbuf", "setvbuf", "snprintf", "sprintf", "sscanf", "tmpfile", "tmpnam",
    "ungetc", "vfprintf", "vprintf", "vsnprintf", "vsprintf", "clock", "difftime", "mktime", "time",
    "asctime", "ctime", "gmtime", "localtime", "strftime", "raise", "signal", "setjmp", "longjmp",
    "isalnum", "isalpha", "isblank", "iscntrl", "isdigit", "isgraph", "islower", "isprint", "ispunct",
    "isspace", "isupper", "isxdigit", "tolower", "toupper", "localeconv", "setlocale",
};

const char *cabi_reserved(const char *name)
{
    if (strncmp(name, "myrt_", 5) == 0)
        return "a name of the runtime library (libmyrt.a)";
    for (size_t i = 0; i < sizeof libc_names / sizeof *libc_names; i++)
        if (strcmp(name, libc_names[i]) == 0)
            return strcmp(name, "main") == 0 ? "the C program's entry point" : "a function of the C library";
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof libm_names / sizeof *libm_names; i++) {
        size_t m = strlen(libm_names[i]);
        if (strncmp(name, libm_names[i], m) == 0 &&
            (n == m || (n == m + 1 && (name[m] == 'f' || name[m] == 'l'))))
            return "a function of the C math library";
    }
    return NULL;
}

static const char *safe_name(Arena *a, const char *name)
{
    return cabi_is_keyword(name) ? arena_printf(a, "%s_", name) : name;
}

static const char *kind_ctype(TypeKind k)
{
    switch (k) {
    case T_FLOAT: return "double";
    case T_INT: return "int64_t";
    case T_BOOL: return "bool";
    default: return NULL;
    }
}

static const char *scalar_ctype(const Type *t)
{
    return kind_ctype(t->kind);
}

/* How flatten() turns the scalar leaves of a type into C parameters. */
typedef enum FlatMode {
    FLAT_INPUT,     /* every leaf: `double p_1_0`, named by path (keyword-safe) */
    FLAT_RESULT,    /* every leaf: `double *out_3`, numbered in order */
    /* the derivative modes: float leaves and lists of floats only (flatten_list_deriv) */
    FLAT_GRAD,      /* `double *d_p_1_0`, named by path */
    FLAT_TANGENT,   /* `double t_p_1_0`, named by path (NAME_jvp) */
    FLAT_COTANGENT, /* `double dy_3`, numbered as the out-pointers (NAME_vjp) */
    FLAT_DOUT,      /* `double *dout_3`, numbered as the out-pointers (NAME_jvp) */
} FlatMode;

/*
 * The C parameters of list leaf t (a block, contract 5.5), appended to
 * sig: as an input named base, `const T *xs, int64_t xs_len` (and
 * `int64_t xs_len_1` for a list of lists); as result component k,
 * `T **out_k, int64_t *out_k_len` (and `int64_t *out_k_len_1`).  T is the
 * block's scalar type.  False when t is not a block.  (The derivative
 * modes: flatten_list_deriv.)
 */
static bool flatten_list(Arena *a, const Type *t, const char *base, FlatMode mode, int k, CSignature *sig)
{
    ListBlock lb;
    if (!type_list_block(t, &lb))
        return false;
    const char *ct = kind_ctype(lb.leaf);
    CParam p;
    if (mode == FLAT_INPUT) {
        p.type = arena_printf(a, "const %s *", ct);
        p.name = safe_name(a, base);
        vec_push(&sig->params, p);
        for (int d = 0; d < lb.dims; d++) {
            p.type = "int64_t";
            p.name = d ? arena_printf(a, "%s_len_%d", base, d) : arena_printf(a, "%s_len", base);
            vec_push(&sig->params, p);
        }
        return true;
    }
    p.type = arena_printf(a, "%s **", ct);
    p.name = arena_printf(a, "out_%d", k);
    vec_push(&sig->params, p);
    for (int d = 0; d < lb.dims; d++) {
        p.type = "int64_t *";
        p.name = d ? arena_printf(a, "out_%d_len_%d", k, d) : arena_printf(a, "out_%d_len", k);
        vec_push(&sig->params, p);
    }
    return true;
}

/*
 * The derivative parameters of list leaf t (contracts 3 and 5.5) when its
 * items hold floats, appended to sig: NAME_grad's and NAME_vjp's `double
 * *d_xs` (the caller's buffer of as many doubles as the parameter's block
 * holds); NAME_jvp's tangent `const double *t_xs` (as many, the
 * parameter's lengths giving its shape); NAME_vjp's cotangent of result
 * component k, `const double *dy_k, int64_t dy_k_len` (and `int64_t
 * dy_k_len_1` for a list of lists: the cotangent has its own lengths,
 * checked against the result's); NAME_jvp's `double **dout_k` (a block
 * from malloc of the result's shape, *out_k_len giving it).  Nothing for a
 * list of ints or bools.  False when t is not a block.
 */
static bool flatten_list_deriv(Arena *a, const Type *t, const char *base, FlatMode mode, int k, CSignature *sig)
{
    ListBlock lb;
    if (!type_list_block(t, &lb))
        return false;
    if (lb.leaf != T_FLOAT)
        return true;
    CParam p;
    switch (mode) {
    case FLAT_GRAD:
        p.type = "double *";
        p.name = arena_printf(a, "d_%s", base);
        break;
    case FLAT_TANGENT:
        p.type = "const double *";
        p.name = arena_printf(a, "t_%s", base);
        break;
    case FLAT_COTANGENT:
        p.type = "const double *";
        p.name = arena_printf(a, "dy_%d", k);
        vec_push(&sig->params, p);
        for (int d = 0; d < lb.dims; d++) {
            p.type = "int64_t";
            p.name = d ? arena_printf(a, "dy_%d_len_%d", k, d) : arena_printf(a, "dy_%d_len", k);
            vec_push(&sig->params, p);
        }
        return true;
    case FLAT_DOUT:
        p.type = "double **";
        p.name = arena_printf(a, "dout_%d", k);
        break;
    default:
        return false;
    }
    vec_push(&sig->params, p);
    return true;
}

/*
 * Flattens t depth-first into scalar parameters appended to sig, named
 * after base as `mode` says; a list leaf gives its pointer and lengths
 * (flatten_list, flatten_list_deriv).  Iterative: an explicit stack of
 * (type, name) pairs, pushed in reverse so that items come out left to
 * right.  False when a leaf cannot cross (a function, a list that is not a
 * block).
 */
static bool flatten(Arena *a, const Type *t, const char *base, FlatMode mode, CSignature *sig)
{
    typedef struct { const Type *t; const char *name; } Item;
    VEC(Item) stack = {0};
    Item first = {t, base};
    vec_push(&stack, first);
    bool ok = true;
    int leaf = 0;           /* the leaf's index among all of t's */
    while (stack.len && ok) {
        Item it = vec_pop(&stack);
        if (it.t->kind == T_TUPLE) {
            for (int i = it.t->n - 1; i >= 0; i--) {
                Item sub = {it.t->elems[i], arena_printf(a, "%s_%d", it.name, i)};
                vec_push(&stack, sub);
            }
            continue;
        }
        if (it.t->kind == T_LIST) {
            ok = mode <= FLAT_RESULT ? flatten_list(a, it.t, it.name, mode, leaf, sig)
                                     : flatten_list_deriv(a, it.t, it.name, mode, leaf, sig);
            leaf++;
            continue;
        }
        const char *ct = scalar_ctype(it.t);
        if (!ct) {
            ok = false;
            break;
        }
        int k = leaf++;
        CParam p;
        if (mode >= FLAT_GRAD && it.t->kind != T_FLOAT)
            continue;               /* int and bool leaves have no derivative */
        switch (mode) {
        case FLAT_INPUT:
            p.type = ct;
            p.name = safe_name(a, it.name);
            break;
        case FLAT_RESULT:
            p.type = arena_printf(a, "%s *", ct);
            p.name = arena_printf(a, "out_%d", k);
            break;
        case FLAT_GRAD:
            p.type = "double *";
            p.name = arena_printf(a, "d_%s", it.name);
            break;
        case FLAT_TANGENT:
            p.type = "double";
            p.name = arena_printf(a, "t_%s", it.name);
            break;
        case FLAT_COTANGENT:
            p.type = "double";
            p.name = arena_printf(a, "dy_%d", k);
            break;
        case FLAT_DOUT:
            p.type = "double *";
            p.name = arena_printf(a, "dout_%d", k);
            break;
        }
        vec_push(&sig->params, p);
    }
    vec_free(&stack);
    return ok;
}

static const char *param_name(Arena *a, const Graph *g, int i)
{
    const Node *p = g->params[i];
    return p->name ? p->name : arena_printf(a, "arg%d", i);
}

/* Appends g's parameters, flattened as `mode` says; false if one cannot be. */
static bool flatten_params(Arena *a, const Graph *g, FlatMode mode, CSignature *sig)
{
    for (int i = 0; i < g->nparams; i++) {
        const Node *p = g->params[i];
        if (!p->type || !flatten(a, p->type, param_name(a, g, i), mode, sig))
            return false;
    }
    return true;
}

/* Gives every parameter a name no earlier parameter has, by appending
   '_'s (a prototype may not name two parameters alike). */
static void uniquify_params(Arena *a, CSignature *sig)
{
    for (int i = 1; i < sig->params.len; i++) {
        CParam *p = &sig->params.data[i];
        for (int j = 0; j < i; j++) {
            if (strcmp(p->name, sig->params.data[j].name) == 0) {
                p->name = arena_printf(a, "%s_", p->name);
                j = -1;             /* the new name must be checked against all again */
            }
        }
    }
}

bool cabi_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out)
{
    memset(out, 0, sizeof *out);
    out->name = safe_name(arena, arena_printf(arena, "%s%s", prefix ? prefix : "", name));
    if (!flatten_params(arena, g, FLAT_INPUT, out))
        goto fail;
    out->ninputs = out->params.len;
    const Type *r = g->ret_type;
    if (!r)
        goto fail;
    if (r->kind == T_TUPLE || r->kind == T_LIST) {
        out->ret = "void";
        if (!flatten(arena, r, "out", FLAT_RESULT, out))
            goto fail;
    } else if (!(out->ret = scalar_ctype(r))) {
        goto fail;
    }
    uniquify_params(arena, out);
    return true;
fail:
    cabi_signature_free(out);
    return false;
}

bool cabi_grad_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out)
{
    memset(out, 0, sizeof *out);
    if (!g->ret_type || g->ret_type->kind != T_FLOAT)
        return false;
    const char *gname = arena_printf(arena, "%s_grad", name);
    if (!cabi_signature(arena, g, prefix, gname, out))
        return false;
    if (!flatten_params(arena, g, FLAT_GRAD, out)) {
        cabi_signature_free(out);
        return false;
    }
    uniquify_params(arena, out);
    return true;
}

/* NAME_vjp and NAME_jvp: void, g's C parameters, then the rest as
   cabi.h says. */
static bool vector_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, bool vjp,
                             CSignature *out)
{
    memset(out, 0, sizeof *out);
    const Type *r = g->ret_type;
    if (!r)
        return false;
    out->name = safe_name(arena, arena_printf(arena, "%s%s_%s", prefix ? prefix : "", name, vjp ? "vjp" : "jvp"));
    out->ret = "void";
    bool ok = flatten_params(arena, g, FLAT_INPUT, out);
    out->ninputs = out->params.len;
    if (vjp)
        ok = ok && flatten(arena, r, "out", FLAT_RESULT, out) && flatten(arena, r, "dy", FLAT_COTANGENT, out) &&
             flatten_params(arena, g, FLAT_GRAD, out);
    else
        ok = ok && flatten_params(arena, g, FLAT_TANGENT, out) && flatten(arena, r, "out", FLAT_RESULT, out) &&
             flatten(arena, r, "dout", FLAT_DOUT, out);
    if (!ok) {
        cabi_signature_free(out);
        return false;
    }
    uniquify_params(arena, out);
    return true;
}

bool cabi_vjp_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out)
{
    return vector_signature(arena, g, prefix, name, true, out);
}

bool cabi_jvp_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out)
{
    return vector_signature(arena, g, prefix, name, false, out);
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

/* ---- the header (--header) ------------------------------------------------ */

enum { HEADER_WIDTH = 100 };    /* prototypes wrap before this column */

/* Appends s for use inside a C comment: no comment terminator, no control
   characters (a file name may hold anything). */
static void put_comment_text(StrBuf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '*' && s[1] == '/')
            sb_puts(out, "* ");
        else if (c < 0x20 || c == 0x7f)
            sb_putc(out, '?');
        else
            sb_putc(out, (char)c);
    }
}

/* A parameter's .my name (`arg2` for one without). */
static void put_param_name(StrBuf *out, const Graph *g, int i)
{
    if (g->params[i]->name)
        sb_puts(out, g->params[i]->name);
    else
        sb_printf(out, "arg%d", i);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* PROG_H for ".../prog.h": the file name upper-cased, every other
   character '_'; "MYC_" in front when it would not start with a letter. */
static void put_guard(StrBuf *out, const char *header_path)
{
    const char *b = base_name(header_path);
    if (!isalpha((unsigned char)b[0]))
        sb_puts(out, "MYC_");
    for (; *b; b++) {
        unsigned char c = (unsigned char)*b;
        sb_putc(out, c < 0x80 && isalnum(c) ? (char)toupper(c) : '_');
    }
}

/* `name(x: float, p: (float, float)) -> float` */
static void put_my_signature(StrBuf *out, const CExport *ex)
{
    const Graph *g = ex->fn;
    sb_printf(out, "%s(", ex->my_name);
    for (int i = 0; i < g->nparams; i++) {
        if (i)
            sb_puts(out, ", ");
        put_param_name(out, g, i);
        sb_puts(out, ": ");
        type_str(g->params[i]->type, out);
    }
    sb_puts(out, ") -> ");
    type_str(g->ret_type, out);
}

/* How many C parameters a list leaf of type t takes: its pointer and its
   lengths (t a block, type_list_block). */
static int list_params(const Type *t)
{
    ListBlock lb;
    return type_list_block(t, &lb) ? 1 + lb.dims : 1;
}

/* The shape of t with its leaves replaced by the C names they became
   (params[*k], params[*k + 1], ...), each written after `deref`:
   `(p_0, (p_1_0, p_1_1))`, a list as its pointer indexed by its lengths
   (`p_0[p_0_len]`, `(*out_1)[*out_1_len][*out_1_len_1]`).  Tuples nest at
   most TYPE_MAX_TUPLE_DEPTH deep, which bounds the recursion. */
static void put_shape(StrBuf *out, const Type *t, const CSignature *sig, int *k, const char *deref)
{
    if (t->kind == T_LIST) {
        int n = list_params(t);
        const CParam *p = &sig->params.data[*k];
        sb_printf(out, *deref ? "(%s%s)" : "%s%s", deref, p[0].name);
        for (int d = 1; d < n; d++)
            sb_printf(out, "[%s%s]", deref, p[d].name);
        *k += n;
        return;
    }
    if (t->kind != T_TUPLE) {
        sb_printf(out, "%s%s", deref, sig->params.data[(*k)++].name);
        return;
    }
    sb_putc(out, '(');
    for (int i = 0; i < t->n; i++) {
        if (i)
            sb_puts(out, ", ");
        put_shape(out, t->elems[i], sig, k, deref);
    }
    sb_puts(out, t->n == 1 ? ",)" : ")");
}

/* How many scalar and list leaves t flattens to. */
static int leaf_count(const Type *t)
{
    if (t->kind != T_TUPLE)
        return 1;
    int n = 0;
    for (int i = 0; i < t->n; i++)
        n += leaf_count(t->elems[i]);
    return n;
}

/* Whether t is or holds a list. */
static bool holds_list(const Type *t)
{
    if (t->kind == T_LIST)
        return true;
    for (int i = 0; t->kind == T_TUPLE && i < t->n; i++)
        if (holds_list(t->elems[i]))
            return true;
    return false;
}

/* One comment line per list leaf of t (a parameter's, or the result's when
   `result`), its C parameters at params[*k], ...: the block the pointer
   points at, in the lengths' names; *k advances past t's C parameters.
   The recursion is bounded as put_shape's. */
static void put_list_lines(StrBuf *out, const Type *t, const CSignature *sig, int *k, bool result)
{
    if (t->kind == T_TUPLE) {
        for (int i = 0; i < t->n; i++)
            put_list_lines(out, t->elems[i], sig, k, result);
        return;
    }
    if (t->kind != T_LIST) {
        (*k)++;
        return;
    }
    ListBlock lb;
    if (!type_list_block(t, &lb))
        return;
    const CParam *p = &sig->params.data[*k];
    *k += 1 + lb.dims;
    static const char *const plural[] = {[T_FLOAT] = "doubles", [T_INT] = "int64_t values", [T_BOOL] = "bools"};
    const char *star = result ? "*" : "";
    sb_printf(out, " *   %s%s: ", star, p[0].name);
    if (lb.dims == 2)
        sb_printf(out, "%s%s rows of %s%s ", star, p[1].name, star, p[2].name);
    else
        sb_printf(out, "%s%s ", star, p[1].name);
    if (lb.per_item == 1) {
        sb_puts(out, plural[lb.leaf]);
    } else {
        sb_puts(out, "items ");
        type_str(lb.item, out);
        sb_printf(out, ", each %d %s in a row", lb.per_item, plural[lb.leaf]);
    }
    if (lb.dims == 2)
        sb_puts(out, ", row-major");
    if (result)
        sb_puts(out, lb.dims == 2 ? ",\n *     in a block from malloc (NULL when empty) that the caller frees with free();\n"
                                    " *     a result whose rows differ in length is a runtime error.\n"
                                  : ",\n *     in a block from malloc (NULL when empty) that the caller frees with free().\n");
    else
        sb_printf(out, " (read only; NULL allowed when there are none).\n");
}

/* One comment line per tuple parameter, and one for a tuple result; one
   per list among the parameters and in the result. */
static void put_flattening(StrBuf *out, const CExport *ex)
{
    const Graph *g = ex->fn;
    int k = 0;
    for (int i = 0; i < g->nparams; i++) {
        const Type *t = g->params[i]->type;
        int first = k;
        if (t->kind == T_TUPLE) {
            sb_puts(out, " *   ");
            put_param_name(out, g, i);
            if (leaf_count(t) == 0) {
                sb_puts(out, " is empty: it takes no C parameter.\n");
                continue;
            }
            sb_puts(out, " is passed flattened, as ");
            put_shape(out, t, &ex->sig, &k, "");
            sb_puts(out, ".\n");
        }
        k = first;
        put_list_lines(out, t, &ex->sig, &k, false);
    }
    const Type *rt = g->ret_type;
    if (ex->kind == EXPORT_FUNC && rt->kind == T_TUPLE) {
        k = ex->sig.ninputs;
        if (leaf_count(rt) == 0) {
            sb_puts(out, " *   The result is empty: nothing is stored.\n");
            return;
        }
        sb_puts(out, " *   The result is stored through the out-pointers, as ");
        put_shape(out, rt, &ex->sig, &k, "*");
        sb_puts(out, ".\n");
    } else if (ex->kind == EXPORT_FUNC && rt->kind == T_LIST) {
        sb_puts(out, " *   The result is stored through the out-pointers:\n");
    }
    if (ex->kind == EXPORT_FUNC && holds_list(rt)) {
        k = ex->sig.ninputs;
        put_list_lines(out, rt, &ex->sig, &k, true);
    }
}

/* Comment lines `*d_p_1_1 = d loss / d p[1][1]` for the float leaves of t
   (its .my path in `path`), taking C names from params[*k], ...; for a
   list of floats, what its buffer receives, in the names of its lengths
   (the list's C inputs at params[*in], ...), setting *lists; collects the
   paths of the leaves without a pointer (ints, bools, lists of them) in
   `skipped`. */
static void put_derivatives(StrBuf *out, const Type *t, StrBuf *path, const CExport *ex, int *k, int *in,
                            StrBuf *skipped, bool *lists)
{
    if (t->kind == T_TUPLE) {
        size_t len = path->len;
        for (int i = 0; i < t->n; i++) {
            sb_printf(path, "[%d]", i);
            put_derivatives(out, t->elems[i], path, ex, k, in, skipped, lists);
            path->len = len;
            path->data[len] = '\0';
        }
        return;
    }
    const CParam *ps = ex->sig.params.data;
    ListBlock lb;
    if (t->kind == T_LIST && type_list_block(t, &lb) && lb.leaf == T_FLOAT) {
        const CParam *c = &ps[*in];
        const char *d = ps[(*k)++].name, *p = sb_cstr(path), *f = ex->my_name;
        *in += 1 + lb.dims;
        *lists = true;
        /* an item's leaves: `[k]` for a flat tuple, else counted depth-first */
        bool flat = lb.per_item == 1 || (int)lb.item->n == lb.per_item;
        const char *item = lb.per_item == 1 ? "" : flat ? "[k]" : " (its leaf k, depth-first)";
        if (lb.dims == 2 && lb.per_item == 1)
            sb_printf(out, " *     %s[i * %s + j] = d %s / d %s[i][j]  (%s * %s doubles, row-major)\n", d,
                      c[2].name, f, p, c[1].name, c[2].name);
        else if (lb.dims == 2)
            sb_printf(out, " *     %s[(i * %s + j) * %d + k] = d %s / d %s[i][j]%s  (%s * %s * %d doubles)\n", d,
                      c[2].name, lb.per_item, f, p, item, c[1].name, c[2].name, lb.per_item);
        else if (lb.per_item == 1)
            sb_printf(out, " *     %s[i] = d %s / d %s[i]  (%s doubles)\n", d, f, p, c[1].name);
        else
            sb_printf(out, " *     %s[i * %d + k] = d %s / d %s[i]%s  (%s * %d doubles)\n", d, lb.per_item, f, p,
                      item, c[1].name, lb.per_item);
        return;
    }
    *in += t->kind == T_LIST ? list_params(t) : 1;
    if (t->kind != T_FLOAT) {
        sb_printf(skipped, "%s%s", skipped->len ? ", " : "", sb_cstr(path));
        return;
    }
    sb_printf(out, " *     *%s = d %s / d %s\n", ps[(*k)++].name, ex->my_name, sb_cstr(path));
}

static void put_grad_comment(StrBuf *out, const CExport *ex)
{
    const Graph *g = ex->fn;
    int k = ex->sig.ninputs, in = 0;
    bool lists = false;
    StrBuf lines = {0}, skipped = {0}, path = {0};
    for (int i = 0; i < g->nparams; i++) {
        put_param_name(&path, g, i);
        put_derivatives(&lines, g->params[i]->type, &path, ex, &k, &in, &skipped, &lists);
        path.len = 0;
        path.data[0] = '\0';
    }
    if (k == ex->sig.ninputs) {
        sb_printf(out, " *   Returns %s's value; it has no float parameter, so no derivative.\n", ex->my_name);
    } else {
        sb_printf(out, " *   Returns %s's value and stores its gradient:\n%s", ex->my_name, sb_cstr(&lines));
        if (skipped.len)
            sb_printf(out, " *   (no pointer for the int and bool parameters: %s).\n", sb_cstr(&skipped));
        if (lists)
            sb_puts(out, " *   A list's d_ pointer is a buffer the caller allocates, of the size given\n"
                         " *   (the list's own); the gradient overwrites it.\n");
        sb_puts(out, " *   A NULL pointer skips that derivative (it need not be computed);\n"
                     " *   the pointers must not overlap.\n");
    }
    sb_free(&lines);
    sb_free(&skipped);
    sb_free(&path);
}

/* ---- NAME_vjp and NAME_jvp ---- */

/* A scalar or list leaf of a parameter or of the result: its .my path
   (`p[1][0]`, `f[2]`), its type, and whether it has a derivative (a
   float, or a list of floats). */
typedef struct Leaf {
    char *path;
    const Type *t;
    bool is_float;
} Leaf;
typedef VEC(Leaf) LeafVec;

static bool float_list(const Type *t)
{
    ListBlock lb;
    return t->kind == T_LIST && type_list_block(t, &lb) && lb.leaf == T_FLOAT;
}

/* The leaves of t, depth-first, their paths extending `path`.  Tuples nest
   at most TYPE_MAX_TUPLE_DEPTH deep, which bounds the recursion. */
static void collect_leaves(const Type *t, StrBuf *path, LeafVec *out)
{
    if (t->kind == T_TUPLE) {
        size_t len = path->len;
        for (int i = 0; i < t->n; i++) {
            sb_printf(path, "[%d]", i);
            collect_leaves(t->elems[i], path, out);
            path->len = len;
            path->data[len] = '\0';
        }
        return;
    }
    Leaf l = {xstrdup(sb_cstr(path)), t, t->kind == T_FLOAT || float_list(t)};
    vec_push(out, l);
}

static void leaves_free(LeafVec *v)
{
    for (int i = 0; i < v->len; i++)
        free(v->data[i].path);
    vec_free(v);
}

/* `a, b` of the paths of the leaves without a derivative (empty when none). */
static void put_non_floats(StrBuf *out, const LeafVec *v)
{
    for (int i = 0; i < v->len; i++)
        if (!v->data[i].is_float)
            sb_printf(out, "%s%s", out->len ? ", " : "", v->data[i].path);
}

/* How many doubles list t's block holds, in the names of its lengths
   c[1], c[2] (each after `deref`): `xs_len`, `m_len * m_len_1`, `ps_len * 2`. */
static void put_block_size(StrBuf *out, const Type *t, const CParam *c, const char *deref)
{
    ListBlock lb;
    type_list_block(t, &lb);
    sb_printf(out, "%s%s", deref, c[1].name);
    if (lb.dims == 2)
        sb_printf(out, " * %s%s", deref, c[2].name);
    if (lb.per_item > 1)
        sb_printf(out, " * %d", lb.per_item);
}

/* The derivative term of result leaf r by parameter leaf p, weighted by
   the C name w (summed over its items `[j]` when it is a list; the other
   side's items are `[i]`): `dy_0 * d f[0] / d x`, `sum_j dy_1[j] * d
   f[1][j] / d xs[i]` (vjp), `d f[0] / d x * t_x` (jvp). */
static void put_term(StrBuf *out, bool vjp, const char *w, const Leaf *r, const Leaf *p)
{
    bool wl = (vjp ? r : p)->t->kind == T_LIST;
    const char *ri = r->t->kind != T_LIST ? "" : vjp ? "[j]" : "[i]";
    const char *pi = p->t->kind != T_LIST ? "" : vjp ? "[i]" : "[j]";
    if (wl)
        sb_puts(out, "sum_j ");
    if (vjp)
        sb_printf(out, "%s%s * d %s%s / d %s%s", w, wl ? "[j]" : "", r->path, ri, p->path, pi);
    else
        sb_printf(out, "d %s%s / d %s%s * %s%s", r->path, ri, p->path, pi, w, wl ? "[j]" : "");
}

/* The C parameters of a signature's parts, by leaf: each input leaf's
   first C parameter, each result leaf's first out-pointer, each
   differentiable leaf's cotangent or tangent (w) and derivative pointer
   (d), as cabi.h orders them. */
typedef struct VectorLayout {
    int *in, *outp, *w, *d;     /* indices into sig.params, -1 where none */
} VectorLayout;

static int c_params_of(const Type *t)
{
    return t->kind == T_LIST ? list_params(t) : 1;
}

static void vector_layout(const CExport *ex, const LeafVec *pl, const LeafVec *rl, VectorLayout *lay)
{
    bool vjp = ex->kind == EXPORT_VJP;
    lay->in = xmalloc(sizeof(int) * (size_t)(pl->len + 1));
    lay->outp = xmalloc(sizeof(int) * (size_t)(rl->len + 1));
    const LeafVec *wl = vjp ? rl : pl, *dl = vjp ? pl : rl;
    lay->w = xmalloc(sizeof(int) * (size_t)(wl->len + 1));
    lay->d = xmalloc(sizeof(int) * (size_t)(dl->len + 1));
    int k = 0;
    for (int i = 0; i < pl->len; i++) {
        lay->in[i] = k;
        k += c_params_of(pl->data[i].t);
    }
    for (int part = 0; part < 3; part++) {
        /* vjp: out, dy, d; jvp: t, out, dout */
        int what = vjp ? part : (part == 0 ? 1 : part == 1 ? 0 : 2);
        if (what == 0) {
            for (int i = 0; i < rl->len; i++) {
                lay->outp[i] = k;
                k += c_params_of(rl->data[i].t);
            }
        } else {
            const LeafVec *v = what == 1 ? wl : dl;
            int *at = what == 1 ? lay->w : lay->d;
            for (int i = 0; i < v->len; i++) {
                at[i] = v->data[i].is_float ? k : -1;
                if (v->data[i].is_float)    /* only a cotangent list has its lengths */
                    k += what == 1 && vjp ? c_params_of(v->data[i].t) : 1;
            }
        }
    }
}

static void vector_layout_free(VectorLayout *lay)
{
    free(lay->in);
    free(lay->outp);
    free(lay->w);
    free(lay->d);
}

/* The comment of NAME_vjp or NAME_jvp: where the result goes, then one
   line per derivative pointer with the sum it receives (terms over the
   float results for a vjp, over the float parameters for a jvp; at most
   four written, else the first and the last around `...`), and for a
   list, how many doubles it holds; how long each list cotangent or
   tangent must be. */
static void put_vector_comment(StrBuf *out, const CExport *ex)
{
    const Graph *g = ex->fn;
    bool vjp = ex->kind == EXPORT_VJP;
    LeafVec pl = {0}, rl = {0};
    StrBuf path = {0};
    for (int i = 0; i < g->nparams; i++) {
        path.len = 0;
        if (path.data)
            path.data[0] = '\0';
        put_param_name(&path, g, i);
        collect_leaves(g->params[i]->type, &path, &pl);
    }
    path.len = 0;
    if (path.data)
        path.data[0] = '\0';
    sb_puts(&path, ex->my_name);
    collect_leaves(g->ret_type, &path, &rl);
    VectorLayout lay;
    vector_layout(ex, &pl, &rl, &lay);
    const CParam *ps = ex->sig.params.data;
    const LeafVec *wl = vjp ? &rl : &pl, *dl = vjp ? &pl : &rl;
    int nw = 0, nd = 0;
    for (int i = 0; i < wl->len; i++)
        nw += wl->data[i].is_float;
    for (int i = 0; i < dl->len; i++)
        nd += dl->data[i].is_float;
    if (rl.len == 0) {
        sb_printf(out, " *   %s's result is empty: nothing is stored", ex->my_name);
    } else {
        sb_printf(out, " *   Stores %s's result through the out-pointers, as ", ex->my_name);
        int k = lay.outp[0];
        put_shape(out, g->ret_type, &ex->sig, &k, "*");
    }
    if (nd == 0) {
        sb_printf(out, ".\n *   There is no %s pointer: %s has no float %s.\n", vjp ? "d_" : "dout_", ex->my_name,
                  vjp ? "parameter" : "result");
    } else if (nw == 0) {
        sb_printf(out, ",\n *   and zero derivatives (%s has no float %s):\n", ex->my_name,
                  vjp ? "result" : "parameter");
    } else {
        sb_puts(out, vjp ? ",\n *   and its vector-Jacobian product with the cotangent ("
                         : ",\n *   and its derivative along the tangent (");
        for (int i = 0, n = 0; i < wl->len; i++)
            if (wl->data[i].is_float)
                sb_printf(out, "%s%s", n++ ? ", " : "", ps[lay.w[i]].name);
        sb_puts(out, "):\n");
    }
    for (int i = 0; i < dl->len; i++) {
        const Leaf *d = &dl->data[i];
        if (!d->is_float)
            continue;
        bool list = d->t->kind == T_LIST;
        if (!list)
            sb_printf(out, " *     *%s = ", ps[lay.d[i]].name);
        else
            sb_printf(out, vjp ? " *     %s[i] = " : " *     (*%s)[i] = ", ps[lay.d[i]].name);
        if (nw == 0)
            sb_puts(out, "0");
        for (int j = 0, wi = 0; j < wl->len; j++) {
            if (!wl->data[j].is_float)
                continue;
            int w = wi++;
            if (nw > 4 && w > 0 && w < nw - 1) {
                if (w == 1)
                    sb_puts(out, " + ...");
                continue;
            }
            if (w)
                sb_puts(out, " + ");
            const Leaf *r = vjp ? &wl->data[j] : d, *p = vjp ? d : &wl->data[j];
            put_term(out, vjp, ps[lay.w[j]].name, r, p);
        }
        sb_putc(out, '\n');
        if (list && vjp) {
            sb_printf(out, " *       (%s: the caller's buffer of ", ps[lay.d[i]].name);
            put_block_size(out, d->t, &ps[lay.in[i]], "");
            sb_puts(out, " doubles)\n");
        } else if (list) {
            sb_printf(out, " *       (*%s: a block from malloc of ", ps[lay.d[i]].name);
            put_block_size(out, d->t, &ps[lay.outp[i]], "*");
            sb_puts(out, " doubles, NULL when empty, that the caller frees with free())\n");
        }
    }
    bool lists = false;
    for (int i = 0; i < pl.len; i++)
        lists = lists || (pl.data[i].is_float && pl.data[i].t->kind == T_LIST);
    for (int i = 0; i < rl.len; i++)
        lists = lists || (rl.data[i].is_float && rl.data[i].t->kind == T_LIST);
    if (lists && nd && nw)
        sb_puts(out, " *   (A list's [i] and [j] count the doubles of its block, in order.)\n");
    for (int j = 0; j < wl->len; j++) {
        const Leaf *w = &wl->data[j];
        if (!w->is_float || w->t->kind != T_LIST)
            continue;
        if (vjp) {
            sb_printf(out, " *   %s holds ", ps[lay.w[j]].name);
            put_block_size(out, w->t, &ps[lay.w[j]], "");
            sb_printf(out, " doubles, shaped as the result %s (other lengths are a runtime error).\n", w->path);
        } else {
            sb_printf(out, " *   %s holds ", ps[lay.w[j]].name);
            put_block_size(out, w->t, &ps[lay.in[j]], "");
            sb_printf(out, " doubles, as %s does.\n", w->path);
        }
    }
    StrBuf np = {0}, nr = {0};
    put_non_floats(&np, &pl);
    put_non_floats(&nr, &rl);
    if (nr.len)
        sb_printf(out, " *   (No %s for the int and bool results: %s.)\n", vjp ? "cotangent" : "dout_ pointer",
                  sb_cstr(&nr));
    if (np.len)
        sb_printf(out, " *   (No %s for the int and bool parameters: %s.)\n", vjp ? "d_ pointer" : "tangent",
                  sb_cstr(&np));
    sb_printf(out, " *   Any pointer may be NULL: that store is skipped (with every %s pointer NULL,\n"
                   " *   no derivative is computed); the pointers must not overlap.\n",
              vjp ? "d_" : "dout_");
    vector_layout_free(&lay);
    sb_free(&np);
    sb_free(&nr);
    sb_free(&path);
    leaves_free(&pl);
    leaves_free(&rl);
}

/* The prototype, wrapped before HEADER_WIDTH with continuation lines
   aligned after the '('. */
static void put_prototype(StrBuf *out, const CSignature *sig)
{
    size_t start = out->len;
    sb_printf(out, "%s %s(", sig->ret, sig->name);
    size_t indent = out->len - start;
    if (indent > HEADER_WIDTH / 2)
        indent = 4;
    size_t col = out->len - start;
    if (sig->params.len == 0)
        sb_puts(out, "void");
    for (int i = 0; i < sig->params.len; i++) {
        const CParam *p = &sig->params.data[i];
        size_t n = strlen(p->type);
        bool star = p->type[n - 1] == '*';
        size_t width = n + (star ? 0 : 1) + strlen(p->name) + 2;    /* ", " or ");" */
        if (i && col + width > HEADER_WIDTH) {
            sb_printf(out, ",\n%*s", (int)indent, "");
            col = indent;
        } else if (i) {
            sb_puts(out, ", ");
            col += 2;
        }
        sb_printf(out, "%s%s%s", p->type, star ? "" : " ", p->name);
        col += width - 2;
    }
    sb_puts(out, ");\n");
}

/* The comment (a single line when there is nothing to explain), then the
   prototype. */
static void put_export(StrBuf *out, const CExport *ex)
{
    StrBuf details = {0};
    put_flattening(&details, ex);
    if (ex->kind == EXPORT_GRAD)
        put_grad_comment(&details, ex);
    else if (ex->kind == EXPORT_VJP || ex->kind == EXPORT_JVP)
        put_vector_comment(&details, ex);
    static const char *const what[] = {
        [EXPORT_FUNC] = "/* ", [EXPORT_GRAD] = "/* Gradient of ",
        [EXPORT_VJP] = "/* Vector-Jacobian product of ", [EXPORT_JVP] = "/* Jacobian-vector product of ",
    };
    sb_puts(out, what[ex->kind]);
    put_my_signature(out, ex);
    if (details.len)
        sb_printf(out, "\n%s */\n", sb_cstr(&details));
    else
        sb_puts(out, " */\n");
    sb_free(&details);
    put_prototype(out, &ex->sig);
}

void cabi_write_header(const char *header_path, const char *source_path, const CExport *ex, int n, StrBuf *out)
{
    sb_puts(out, "/*\n * ");
    put_comment_text(out, base_name(header_path));
    sb_puts(out, ": the functions exported by the object compiled from\n * ");
    put_comment_text(out, source_path);
    sb_puts(out, " by myc " MYC_VERSION ".  Generated by `myc --header`: do not edit.\n"
                 " *\n"
                 " * Types: .my float -> double, int -> int64_t, bool -> bool.  Tuple parameters\n"
                 " * are flattened depth-first into consecutive C parameters and a tuple result\n"
                 " * is stored through trailing out-pointers, as each function's comment says.\n"
                 " * Link the object with the myc runtime (libmyrt.a) and libm (-lm).\n"
                 " * Every function is thread-safe and reentrant.  A runtime error (integer\n"
                 " * division by zero, say) calls the runtime's error handler, which prints\n"
                 " * \"myc: runtime error: FILE:LINE:COL: MESSAGE\" (the failing operation's\n"
                 " * place in the .my source) and aborts unless the program installed its own\n"
                 " * (myrt_set_error_handler: the message; myrt_set_error_handler_at: the\n"
                 " * message, file, line and column; in myrt.h).\n");
    bool lists = false;
    for (int i = 0; i < n && !lists; i++) {
        const Graph *g = ex[i].fn;
        lists = holds_list(g->ret_type);
        for (int k = 0; k < g->nparams && !lists; k++)
            lists = holds_list(g->params[k]->type);
    }
    if (lists)
        sb_puts(out, " *\n"
                     " * Lists (as each function's comment says): a list parameter is a pointer to\n"
                     " * its items and a length (a list of lists: a rectangular row-major block, its\n"
                     " * number of rows and of columns; a list of tuples: the tuples' items one\n"
                     " * after another, the length counting tuples).  The function only reads\n"
                     " * through the pointer (a list it changes is copied first); the pointer may\n"
                     " * be NULL when the list is empty; a negative length is a runtime error.  A\n"
                     " * list result is stored as a pointer to a block from malloc, which the\n"
                     " * caller releases with free() (NULL for an empty list), and its lengths.\n");
    sb_puts(out, " */\n#ifndef ");
    put_guard(out, header_path);
    sb_puts(out, "\n#define ");
    put_guard(out, header_path);
    sb_puts(out, "\n\n#include <stdbool.h>\n#include <stdint.h>\n\n"
                 "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    if (n == 0)
        sb_puts(out, "\n/* (no function is exported) */\n");
    for (int i = 0; i < n; i++) {
        sb_putc(out, '\n');
        put_export(out, &ex[i]);
    }
    sb_puts(out, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* ");
    put_guard(out, header_path);
    sb_puts(out, " */\n");
}
