/*
 * cabi.h: the C ABI of exported functions (contract section 3), derived
 * from their specialised signatures, and the C header that declares them
 * (`--header`).  The backend and the `infer` dump build on these
 * descriptions.
 *
 * Assumes: the graphs described are specialised top-level functions
 * (inference done: every parameter has ->type, the graph has ->ret_type).
 *
 * Guarantees: types map float -> double, int -> int64_t, bool -> bool.  A
 * tuple parameter p is flattened depth-first, left to right, into
 * parameters p_0, p_1_0, p_1_1, ...; a tuple result becomes trailing
 * out-pointers out_0, out_1, ..., one per flattened component in order,
 * and the function returns void.  A list (contract 5.5: a block of one
 * scalar type T, ir/types.h type_list_block) is a leaf of its own: a
 * parameter xs gives `const T *xs, int64_t xs_len` (and `int64_t
 * xs_len_1`, the columns, for a list of lists), in place where it lies in
 * a tuple; a result component k gives `T **out_k, int64_t *out_k_len` (and
 * `int64_t *out_k_len_1`), and a function whose result is or holds a list
 * returns void.  In the derivative signatures a list of floats (a float
 * block) is one leaf among the float ones, a list of ints or bools one
 * among the int ones: NAME_grad's and NAME_vjp's `double *d_xs` is the
 * caller's buffer of the list's doubles; NAME_jvp's tangent `const double
 * *t_xs` has them too (the parameter's lengths give its shape); NAME_vjp's
 * cotangent of list result component k is `const double *dy_k, int64_t
 * dy_k_len` (and `int64_t dy_k_len_1`); NAME_jvp's tangent of it `double
 * **dout_k`, a block from malloc of the result's shape.  Names that are C
 * or C++ keywords get a trailing '_'.  The parameter names of one signature are distinct (a
 * name that repeats an earlier one, `d_x` next to the gradient pointer of
 * `x` say, gets trailing '_'s until it does not); parameter names are not
 * part of the ABI, only the function's name and the order and types of
 * its parameters are.  A signature with a function anywhere in it cannot
 * be exported.  Every string lives in the arena passed in.
 */
#ifndef MYC_CABI_H
#define MYC_CABI_H

#include "../ir/ir.h"

/* The version the header comment names (driver.c prints the same). */

typedef struct CParam {
    const char *type;       /* "double", "int64_t", "bool", or a pointer type for outputs */
    const char *name;
} CParam;

typedef struct CSignature {
    const char *name;       /* the C name (prefix applied, keyword-safe) */
    const char *ret;        /* "double", "int64_t", "bool" or "void" */
    VEC(CParam) params;     /* inputs, then out-pointers for a tuple result */
    int ninputs;            /* how many of params are inputs */
} CSignature;

/* Describes g (a specialised top-level function) under C name prefix+name;
   false when it cannot be exported.  Strings live in `arena`. */
bool cabi_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out);
void cabi_signature_free(CSignature *sig);
/* "double f(double x, int64_t n)" */
void cabi_format(const CSignature *sig, StrBuf *out);
/* True for C and C++ keywords (which get a trailing '_'). */
bool cabi_is_keyword(const char *name);
/* What C name `name` already is ("a function of the C library", ...), for a
   name an object must not define (a C library function, `main`, the
   runtime's myrt_ names); NULL when it is free. */
const char *cabi_reserved(const char *name);

/* The signature of NAME_grad (contract sections 3 and 5.5): g's C
   parameters, then one `double *d_<flattened name>` out-pointer per
   flattened float parameter and per list of floats, in order (none for
   int or bool leaves, or lists of them); returns double.
   C name: prefix + name + "_grad" (keyword-safe).  False when g cannot be
   exported or does not return a float. */
bool cabi_grad_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out);

/*
 * The signatures of NAME_vjp and NAME_jvp (contract section 3); both
 * return void.  NAME_vjp: g's C parameters; one out-pointer per flattened
 * result component, `T *out_0, ...` (a single result is out_0; a list
 * its pointer and lengths, as NAME's); one cotangent `double dy_i` per
 * float component (i numbers it as its out-pointer: none for int and bool
 * components; a list of floats `const double *dy_i, int64_t dy_i_len`
 * ...); then one `double *d_...` per flattened float parameter, as
 * NAME_grad.  NAME_jvp: g's C parameters; one tangent `double
 * t_<flattened name>` per flattened float parameter (`const double *` for
 * a list of floats); the out-pointers; one `double *dout_i` per float
 * component (`double **` for a list of floats).  C names: prefix + name +
 * "_vjp" / "_jvp" (keyword-safe).  False when g cannot be exported.
 */
bool cabi_vjp_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out);
bool cabi_jvp_signature(Arena *arena, const Graph *g, const char *prefix, const char *name, CSignature *out);

/* What an exported C function is (the backend's wrappers, backend.h, and
   the header's comments). */
typedef enum ExportKind {
    EXPORT_FUNC,    /* NAME */
    EXPORT_GRAD,    /* NAME_grad */
    EXPORT_VJP,     /* NAME_vjp */
    EXPORT_JVP,     /* NAME_jvp */
} ExportKind;

/* One function a header declares. */
typedef struct CExport {
    CSignature sig;
    const Graph *fn;        /* the specialised .my function it comes from (params have ->name and ->type, fn->ret_type) */
    const char *my_name;    /* the .my function's name */
    ExportKind kind;        /* NAME, or a derivative of it */
} CExport;

/*
 * A self-contained C header declaring the exports, appended to `out`: an
 * include guard derived from the header's file name (`prog.h` ->
 * PROG_H), <stdint.h> and <stdbool.h>, extern "C" for C++, a comment naming
 * the source file and myc version, then per function a comment saying
 * which .my function it is (its parameters with their .my types, e.g.
 * `loss(x: float, p: (float, float)) -> float`), how tuple parameters and a
 * tuple result were flattened, one line per list on the shape of its
 * block (`xs: xs_len doubles`, `m: m_len rows of m_len_1 doubles,
 * row-major`) and, for a list result, that the caller frees it; when any
 * function has lists, a paragraph on them at the top; for a gradient what each d_ pointer
 * receives (a list's: per item, and its length in the list's length names), for a vjp or jvp what each out-pointer and each derivative
 * pointer receives (as sums over the cotangents or tangents), and that
 * NULL skips it; then the prototype.  The header compiles
 * as C (C99 and later) and as C++ (C++11 and later) with every warning on.
 */
void cabi_write_header(const char *header_path, const char *source_path, const CExport *ex, int n, StrBuf *out);

#endif
