/*
 * diag.h: diagnostics are values.  Phases report errors and warnings into a
 * Diags list with source locations; the driver prints them all, clang-style
 * (file:line:col: error: message, the source line, a caret), and decides the
 * exit status once.  No phase calls exit().
 */
#ifndef MYC_DIAG_H
#define MYC_DIAG_H

#include "common.h"
#include <stdio.h>

typedef enum DiagLevel { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
    DiagLevel level;
    Loc loc;
    char *msg;
} Diag;

typedef struct Diags {
    const char *filename;    /* as given on the command line */
    const char *src;         /* the source text (may contain NULs) */
    size_t srclen;
    VEC(Diag) items;
    int nerrors, nwarnings;
    int max_errors;          /* stop recording after this many errors (0: 50) */
} Diags;

void diags_init(Diags *d, const char *filename, const char *src, size_t srclen);
void diags_free(Diags *d);

void diag_error(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_vreport(Diags *d, DiagLevel level, Loc loc, const char *fmt, va_list ap);

/* Prints every diagnostic, sorted by position (stable), then clears none. */
void diags_print(const Diags *d, FILE *out);

static inline bool diags_failed(const Diags *d) { return d->nerrors > 0; }

#endif
