/*
 * cabi.h: the C ABI of exported functions (contract section 3), derived
 * from their specialised signatures.  The header writer and the backend
 * (later work) build on these descriptions; the `infer` dump shows them.
 *
 * Types map float -> double, int -> int64_t, bool -> bool.  A tuple
 * parameter p is flattened depth-first, left to right, into parameters
 * p_0, p_1_0, p_1_1, ...; a tuple result becomes trailing out-pointers
 * out_0, out_1, ..., one per flattened component in order, and the
 * function returns void.  Names that are C or
 * C++ keywords get a trailing '_'.  A signature with a function anywhere
 * in it cannot be exported.
 */
#ifndef MYC_CABI_H
#define MYC_CABI_H

#include "../ir/ir.h"

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

#endif
