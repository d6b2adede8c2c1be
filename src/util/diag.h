/*
 * diag.h: diagnostics are values.  Phases report errors and warnings into a
 * Diags list with source locations; the driver prints them all, clang-style
 * (file:line:col: error: message, the source line, a caret), and decides the
 * exit status once.  No phase calls exit().
 *
 * With `color` set the printing uses clang's colours and escape codes (bold
 * location, bold red "error:", bold magenta "warning:", bold cyan "note:",
 * a bold message unless it is a note, a bold green caret); whether to set
 * it is the caller's decision (a terminal, NO_COLOR, -f[no-]color-diagnostics).
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
    bool color;              /* print with clang's ANSI colours */
} Diags;

void diags_init(Diags *d, const char *filename, const char *src, size_t srclen);
void diags_free(Diags *d);

void diag_error(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_vreport(Diags *d, DiagLevel level, Loc loc, const char *fmt, va_list ap);

/* Prints every diagnostic, sorted by position (stable), then clears none. */
void diags_print(const Diags *d, FILE *out);

/* Prints clang's closing count, "1 warning and 2 errors generated.", or
   nothing when there was neither (notes are not counted). */
void diags_print_summary(const Diags *d, FILE *out);

static inline bool diags_failed(const Diags *d) { return d->nerrors > 0; }

#endif
