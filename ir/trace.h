/*
 * trace.h: the dynamic call tree of a run of the reference interpreter, in
 * the source's terms (myc run --trace; docs/trace.md shows its output).
 *
 * A Tracer watches one Interp through its hooks (interp.h, InterpHooks) and
 * writes, as the run goes, one entry per call of a user function (forward
 * passes, backpropagators and tangent functions of the differentiation
 * operators included), per loop iteration, per branch taken and, when
 * asked, per primitive applied: as indented S-expressions (text), as the
 * Trace Event format's B/E events (json, for Perfetto and chrome://tracing),
 * or as a Graphviz digraph with one cluster per call (dot).
 *
 * Assumes: the module is the `grad` stage's (or a later one's whose passes
 * keep Graph provenance: ir.h, GraphRole), so every graph says which source
 * construct it is.  Guarantees: memory bounded by the open calls and the
 * entry limit whatever the run's length (a call's text line waits for its
 * result only while TRACE_BUFFER_MAX bytes of lines wait with it; beyond
 * that its line goes out first and its result follows its last child on a
 * `-> RESULT` line); every value shown is shortened (lists to 8 items,
 * nesting and length bounded).
 */
#ifndef MYC_TRACE_H
#define MYC_TRACE_H

#include <stdio.h>

#include "interp.h"

typedef enum TraceFormat { TRACE_TEXT, TRACE_DOT, TRACE_JSON } TraceFormat;

enum {
    TRACE_DEFAULT_LIMIT = 10000,    /* entries written by default (--trace-limit) */
    TRACE_LIST_ITEMS = 8,           /* a longer list shows its first 8 items and how many more */
    TRACE_VALUE_CHARS = 200,        /* a value's text is cut after about this many characters */
    TRACE_BUFFER_MAX = 8 << 20,     /* bytes of text lines held back waiting for a result */
};

typedef struct TraceOptions {
    TraceFormat format;
    int depth;          /* entries nested deeper than this are counted, not shown
                           ("... K calls" under their ancestor at this depth); 0: no limit */
    long limit;         /* at most this many entries; then one line saying how many
                           more there were; 0: no limit */
    bool prims;         /* also primitive applications: (* 2.0 3.0) -> 6.0 */
    const char *file;   /* the .my file as entries name it: FILE:LINE */
    size_t hold;        /* text: bytes of lines held back for a result at most (0: TRACE_BUFFER_MAX) */
} TraceOptions;

typedef struct Tracer Tracer;

/* A tracer writing to out (not closed by trace_free). */
Tracer *trace_new(const TraceOptions *o, FILE *out);
/* Watches the runs in starts from now on (interp_set_hooks). */
void trace_attach(Tracer *t, Interp *in);
/* The run stopped on a runtime error: the calls still open end `-> error`. */
void trace_fail(Tracer *t);
/* Ends the trace (what is still open, the left-out count, the format's
   closing lines) and flushes; false when writing failed. */
bool trace_finish(Tracer *t);
void trace_free(Tracer *t);

/* A value as entries show it: Python's repr, with lists of more than
   TRACE_LIST_ITEMS items shortened ("[0, 1, 2, 3, 4, 5, 6, 7, ... 12 more]"),
   tuples nested deeper than 8 as "(...)", the whole cut after about
   TRACE_VALUE_CHARS characters with "...", a symbolic zero sensitivity as
   0, a function as <function NAME> (its source name). */
void trace_format_value(const Value *v, StrBuf *out);

#endif
