/*
 * trace.c: the tracer (see trace.h for what it writes and promises).
 *
 * Expects: interp.h's hooks in the order the interpreter calls them (an
 * `enter` per activation started or replaced by a tail call, a `leave` per
 * activation returning), on a module whose graphs carry their provenance
 * (ir.h, GraphRole, GraphXform, src_label).
 *
 * How the IR's shapes become the source's (ir.h: control flow is calls):
 *
 *   - a function's activation (a G_FUNCTION's or G_CONST's, one `enter`
 *     to the `leave` that ends it) is a scope: the entries opened in it (its
 *     call, the calls it chains to by tail calls, its loops' iterations) all
 *     end when it returns, innermost first, with its result.  A block or
 *     branch called without a tail call (an expression's branch; forward
 *     mode's and reverse mode's jumps, whose results are pairs) runs in its
 *     caller's scope, so loops read the same whichever way their blocks
 *     are called; when it returns it ends only the calls it tail-called;
 *   - GR_FUNCTION, GR_OPERATOR_FN (`value_and_grad(g)`), GR_PULLBACK: a
 *     call entry, labelled src_label; by the graph's xform, a forward pass
 *     (XF_J) shows its value without the backpropagator, a backpropagator
 *     (XF_BPROP, labelled "f:bprop") the sensitivity it received and those
 *     of f's parameters without the env of its free variables', a tangent
 *     function (XF_JFWD, "f:jvp") its point and tangents as `x... | t...`;
 *   - a loop header (GR_LOOP) ends the iteration open for its loop (same
 *     line, same activation, not across a call) and notes the next one,
 *     which starts when the body branch (GR_LOOP_BODY) is entered: the last
 *     test, which leaves, is no iteration.  The block after the loop
 *     (GR_LOOP_END) ends the open iteration (break).  In a backward pass
 *     each body's backpropagator is one iteration, the last forward one
 *     first;
 *   - if-statement and conditional-expression arms (GR_THEN ...) entered
 *     in forward code are branch entries `(if@LINE then|else)`;
 *   - everything else (joins, and/or operands, conversions, the operator
 *     W itself, the transforms of primitives, J's helpers) is transparent:
 *     what it calls shows under the entry open around it; a top-level
 *     constant's graph and what it calls are not shown at all (CPython
 *     evaluates it once, before the run);
 *   - primitives (with prims): those the source wrote, by their Python
 *     spelling; in transformed code only the numeric ones (and sens_scale
 *     and sens_add as * and +): J's tuple, env and sensitivity bookkeeping
 *     is hidden.
 *
 * Output is written as it happens: json and dot need nothing held back (a
 * cluster's closing edges are written when it ends; Graphviz accepts them
 * there); text holds a call's line until its result is known (see trace.h).
 * The entry limit counts entries in the order they appear in the output;
 * an entry past it is counted, never formatted.
 */
#include "trace.h"

#include <string.h>
#include <time.h>

typedef enum OpenKind {
    O_CALL,         /* a call entry */
    O_ITER,         /* a loop iteration */
    O_NEXT,         /* a loop's next iteration, noted by its header, not started yet */
    O_MUTE,         /* a top-level constant's graph: nothing under it is shown */
} OpenKind;

/* An entry still open (or noted), on the tracer's stack. */
typedef struct Open {
    uint8_t kind;           /* OpenKind */
    uint8_t xform;          /* O_CALL: GraphXform of its graph (how its result shows) */
    bool shown;             /* written (within the depth and the limit) */
    bool back;              /* O_ITER: an iteration of a backward pass */
    bool early;             /* text: its line went out before its result */
    int scope;              /* the function activation it belongs to (see Tracer.scopes) */
    int act;                /* the activation that opened it: its depth on the interpreter's stack */
    int line;               /* O_ITER, O_NEXT: the loop's line */
    long iter;              /* O_ITER, O_NEXT: the iteration's number */
    long id;                /* shown: its number in the output (dot, json) */
    long pend;              /* text: its line's index in the pending lines */
    long calls, iters, prims;   /* descendants too deep to show (at the depth limit) */
    const char *label;      /* its name: a graph's src_label, or own_label */
    char *own_label;        /* malloc'd: value_and_grad(g), loop@4 */
    char *args;             /* shown: its arguments' text (malloc'd), for dot's edge and text's line */
} Open;

/* A text line waiting to be written: complete, or a call's line waiting
   for its result. */
typedef struct Pending {
    char *head;             /* indentation, "(f 3)" */
    char *tail;             /* "  prog.my:2", or NULL */
    char *result;           /* NULL while the call is open */
    bool waits;             /* a call's line: written once result is set */
} Pending;

struct Tracer {
    TraceOptions o;
    FILE *out;
    VEC(Open) open;
    VEC(int) levels;        /* index in `open` of the O_CALL / O_ITER entry at each nesting level */
    /* scopes.data[k]: the scope of the k-th activation on the interpreter's
       stack: a new one for a function's (G_FUNCTION, G_CONST), its
       caller's for a block's or branch's, which the transforms call without
       a tail call (forward mode's jumps return (value, tangent) pairs) */
    VEC(int) scopes;
    int next_scope;
    int muted;              /* open O_MUTE entries */
    long written;           /* entries written (the limit counts them) */
    long left_out;          /* entries past the limit */
    long next_id;
    struct timespec t0;
    bool started, finished;
    bool events;            /* json: an event was written (the next needs a comma) */
    /* text: lines held back, pend[0] being line number pend_base */
    VEC(Pending) pend;
    long pend_base;
    int pend_head;          /* pend.data[pend_head] is the first not yet written */
    size_t pend_bytes;
    StrBuf sb, sb2;         /* scratch */
};

/* ======================================================================
 * Values
 * ====================================================================== */

enum { VALUE_DEPTH = 8 };

static const char *graph_source_name(const Graph *g)
{
    return g->src_label ? g->src_label : g->src_name ? g->src_name : g->name;
}

/* Appends v's text, nesting at most `depth` more levels; false once the
   text is longer than `stop`. */
static bool format_value(const Value *v, StrBuf *out, int depth, size_t stop)
{
    if (out->len > stop)
        return false;
    switch (v->kind) {
    case V_UNSET: sb_puts(out, "?"); return true;
    case V_BOOL: sb_puts(out, v->b ? "True" : "False"); return true;
    case V_INT: sb_printf(out, "%lld", (long long)v->i); return true;
    case V_FLOAT: fmt_float_repr(out, v->f); return true;
    case V_ZERO: sb_puts(out, "0"); return true;
    case V_ENV: sb_puts(out, "<env>"); return true;
    case V_PRIM:
        sb_printf(out, "<built-in function %s>", v->prim >= 0 && v->prim < P__COUNT ? prim_table[v->prim].name : "?");
        return true;
    case V_CLOSURE: sb_printf(out, "<function %s>", graph_source_name(v->clo->graph)); return true;
    case V_TUPLE: case V_LIST: break;
    }
    bool list = v->kind == V_LIST;
    int64_t n = list ? v->list->len : v->tup->n;
    const Value *items = list ? v->list->items : v->tup->items;
    if (depth <= 0 && n > 0) {
        sb_puts(out, list ? "[...]" : "(...)");
        return true;
    }
    sb_putc(out, list ? '[' : '(');
    int64_t shown = list && n > TRACE_LIST_ITEMS ? TRACE_LIST_ITEMS : n;
    for (int64_t i = 0; i < shown; i++) {
        if (i)
            sb_puts(out, ", ");
        if (!format_value(&items[i], out, depth - 1, stop))
            return false;
    }
    if (shown < n)
        sb_printf(out, ", ... %lld more", (long long)(n - shown));
    sb_puts(out, list ? "]" : n == 1 ? ",)" : ")");
    return out->len <= stop;
}

void trace_format_value(const Value *v, StrBuf *out)
{
    size_t start = out->len;
    if (!format_value(v, out, VALUE_DEPTH, start + TRACE_VALUE_CHARS) || out->len > start + TRACE_VALUE_CHARS) {
        out->len = start + TRACE_VALUE_CHARS;
        out->data[out->len] = 0;
        sb_puts(out, "...");
    }
}

/* The values args[from..to), separated by spaces. */
static void format_values(const Value *args, int from, int to, StrBuf *out)
{
    for (int i = from; i < to; i++) {
        if (i > from)
            sb_putc(out, ' ');
        trace_format_value(&args[i], out);
    }
}

/* A call's arguments as its graph's transform shows them (see the top). */
static void format_args(int xform, const Value *args, int nargs, StrBuf *out)
{
    if (xform == XF_JFWD && nargs % 2 == 0 && nargs > 0) {
        format_values(args, 0, nargs / 2, out);
        sb_puts(out, " | ");
        format_values(args, nargs / 2, nargs, out);
    } else {
        format_values(args, 0, nargs, out);
    }
}

static void format_result(int xform, const Value *r, StrBuf *out)
{
    if (xform == XF_J && r->kind == V_TUPLE && r->tup->n == 2) {
        trace_format_value(&r->tup->items[0], out);            /* (value, bprop) */
    } else if (xform == XF_JFWD && r->kind == V_TUPLE && r->tup->n == 2) {
        trace_format_value(&r->tup->items[0], out);            /* (value, tangent) */
        sb_puts(out, " | ");
        trace_format_value(&r->tup->items[1], out);
    } else if (xform == XF_BPROP && r->kind == V_TUPLE && r->tup->n >= 1 && r->tup->items[0].kind == V_ENV) {
        int n = r->tup->n - 1;                                  /* (env, d x1, ..., d xn) */
        sb_putc(out, '(');
        for (int i = 0; i < n; i++) {
            if (i)
                sb_puts(out, ", ");
            trace_format_value(&r->tup->items[i + 1], out);
        }
        sb_puts(out, n == 1 ? ",)" : ")");
    } else {
        trace_format_value(r, out);
    }
}

/* ======================================================================
 * Output: the three formats
 * ====================================================================== */

static double now_us(Tracer *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - t->t0.tv_sec) * 1e6 + (double)(ts.tv_nsec - t->t0.tv_nsec) / 1e3;
}

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_dot_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void start_output(Tracer *t)
{
    if (t->started)
        return;
    t->started = true;
    if (t->o.format == TRACE_JSON) {
        fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n", t->out);
    } else if (t->o.format == TRACE_DOT) {
        fputs("digraph trace {\n"
              "  graph [fontname=\"monospace\", fontsize=10, labeljust=l];\n"
              "  node [fontname=\"monospace\", fontsize=10, shape=box];\n"
              "  edge [fontname=\"monospace\", fontsize=9];\n"
              "  n0 [label=", t->out);
        put_dot_string(t->out, t->o.file);
        fputs(", shape=plaintext];\n", t->out);
    }
}

/* A json event; args: name/value pairs, NULL-terminated. */
static void json_event(Tracer *t, const char *name, const char *ph, const char *cat, const char *const *args)
{
    fputs(t->events ? ",\n" : "", t->out);
    t->events = true;
    fputs("{\"name\": ", t->out);
    put_json_string(t->out, name);
    if (cat)
        fprintf(t->out, ", \"cat\": \"%s\"", cat);
    fprintf(t->out, ", \"ph\": \"%s\", \"ts\": %.3f, \"pid\": 1, \"tid\": 1", ph, now_us(t));
    if (*ph == 'i')
        fputs(", \"s\": \"t\"", t->out);
    if (args && args[0]) {
        fputs(", \"args\": {", t->out);
        for (int i = 0; args[i]; i += 2) {
            fputs(i ? ", " : "", t->out);
            put_json_string(t->out, args[i]);
            fputs(": ", t->out);
            put_json_string(t->out, args[i + 1]);
        }
        fputc('}', t->out);
    }
    fputc('}', t->out);
}

/* ---- text: the pending lines ---- */

static void write_line(Tracer *t, const Pending *p)
{
    fputs(p->head, t->out);
    if (p->result) {
        fputs(" -> ", t->out);
        fputs(p->result, t->out);
    }
    if (p->tail)
        fputs(p->tail, t->out);
    fputc('\n', t->out);
}

static void pending_free(Pending *p)
{
    free(p->head);
    free(p->tail);
    free(p->result);
}

static Open *open_with_pend(Tracer *t, long pend)
{
    for (int i = t->open.len - 1; i >= 0; i--)
        if (t->open.data[i].kind == O_CALL && t->open.data[i].shown && t->open.data[i].pend == pend)
            return &t->open.data[i];
    return NULL;
}

/* Writes the lines that wait for nothing; with force, also the first
   waiting ones until the held bytes are under the bound (their results
   follow their last child). */
static void flush_pending(Tracer *t, bool force)
{
    while (t->pend_head < t->pend.len) {
        Pending *p = &t->pend.data[t->pend_head];
        if (p->waits && !p->result) {
            if (!force || t->pend_bytes <= t->o.hold / 2)
                break;
            Open *o = open_with_pend(t, t->pend_base + t->pend_head);
            if (o)
                o->early = true;
        }
        write_line(t, p);
        t->pend_bytes -= strlen(p->head) + (p->tail ? strlen(p->tail) : 0) + (p->result ? strlen(p->result) : 0);
        pending_free(p);
        t->pend_head++;
    }
    if (t->pend_head == t->pend.len) {
        t->pend_base += t->pend.len;
        t->pend.len = t->pend_head = 0;
    } else if (t->pend_head > 1024 && t->pend_head > t->pend.len / 2) {
        memmove(t->pend.data, t->pend.data + t->pend_head, sizeof(Pending) * (size_t)(t->pend.len - t->pend_head));
        t->pend.len -= t->pend_head;
        t->pend_base += t->pend_head;
        t->pend_head = 0;
    }
}

/* A text line (head: without the indentation), held back while it waits
   for a result or behind one that does; returns its index. */
static long text_line(Tracer *t, int level, const char *head, const char *tail, bool waits)
{
    StrBuf h = {0};
    sb_printf(&h, "%*s%s", 2 * level, "", head);
    Pending p = {xstrdup(sb_cstr(&h)), tail ? xstrdup(tail) : NULL, NULL, waits};
    sb_free(&h);
    t->pend_bytes += strlen(p.head) + (p.tail ? strlen(p.tail) : 0);
    vec_push(&t->pend, p);
    long at = t->pend_base + t->pend.len - 1;
    flush_pending(t, t->pend_bytes > t->o.hold);
    return at;
}

/* ---- entries, in every format ---- */

/* Whether one more entry may be written (and counts it), else counts it
   as left out. */
static bool admit(Tracer *t)
{
    if (t->o.limit > 0 && t->written >= t->o.limit) {
        t->left_out++;
        return false;
    }
    t->written++;
    return true;
}

/* The shown O_CALL / O_ITER entry innermost among the open ones, or NULL. */
static Open *shown_parent(Tracer *t)
{
    for (int i = t->levels.len - 1; i >= 0; i--) {
        Open *o = &t->open.data[t->levels.data[i]];
        if (o->shown)
            return o;
    }
    return NULL;
}

static const char *loc_tail(Tracer *t, int line, StrBuf *sb)
{
    sb->len = 0;
    if (line > 0)
        sb_printf(sb, "  %s:%d", t->o.file, line);
    return line > 0 ? sb_cstr(sb) : NULL;
}

/* Writes the start of shown entry o, the top of the stack: a call or an
   iteration (head: its text without parentheses, "fib 3", "loop@4 iter=0
   i=0"). */
static void write_open(Tracer *t, Open *o, const char *head, int line)
{
    start_output(t);
    o->id = ++t->next_id;
    int level = t->levels.len - 1;
    const char *name = o->label;
    if (t->o.format == TRACE_TEXT) {
        StrBuf h = {0};
        sb_printf(&h, "(%s)", head);
        o->pend = text_line(t, level, sb_cstr(&h), o->kind == O_CALL ? loc_tail(t, line, &t->sb2) : NULL,
                            o->kind == O_CALL);
        sb_free(&h);
    } else if (t->o.format == TRACE_JSON) {
        const char *at = loc_tail(t, line, &t->sb2);
        const char *args[] = {"args", o->args ? o->args : "", at ? "at" : NULL, at ? at + 2 : NULL, NULL};
        json_event(t, name, "B", o->kind == O_CALL ? "call" : "loop", args);
    } else {
        fprintf(t->out, "%*ssubgraph cluster_%ld {\n%*slabel=", 2 * level + 2, "", o->id, 2 * level + 4, "");
        StrBuf l = {0};
        sb_puts(&l, o->kind == O_CALL ? name : head);
        if (loc_tail(t, line, &t->sb2))
            sb_puts(&l, sb_cstr(&t->sb2));
        put_dot_string(t->out, sb_cstr(&l));
        sb_free(&l);
        fprintf(t->out, ";\n%*sn%ld [label=", 2 * level + 4, "", o->id);
        put_dot_string(t->out, o->kind == O_CALL ? name : o->args ? o->args : "");
        fputs(o->kind == O_CALL ? "];\n" : ", shape=plain];\n", t->out);
    }
}

/* Writes the end of shown entry o (result: NULL for an iteration). */
static void write_close(Tracer *t, Open *o, const char *result)
{
    Open *parent = NULL;
    for (int i = t->levels.len - 1; i >= 0 && !parent; i--) {
        Open *p = &t->open.data[t->levels.data[i]];
        if (p != o && p->shown)
            parent = p;
    }
    if (t->o.format == TRACE_TEXT) {
        if (o->kind != O_CALL)
            return;
        if (!o->early && o->pend >= t->pend_base + t->pend_head) {
            Pending *p = &t->pend.data[o->pend - t->pend_base];
            p->result = xstrdup(result ? result : "");
            t->pend_bytes += strlen(p->result);
            flush_pending(t, t->pend_bytes > t->o.hold);
        } else {
            StrBuf h = {0};
            sb_printf(&h, "-> %s", result ? result : "");
            StrBuf tl = {0};
            sb_printf(&tl, "  (%s)", o->label);
            text_line(t, t->levels.len - 1, sb_cstr(&h), sb_cstr(&tl), false);
            sb_free(&h);
            sb_free(&tl);
        }
    } else if (t->o.format == TRACE_JSON) {
        const char *args[] = {"result", result, NULL};
        json_event(t, o->label, "E", NULL, result ? args : NULL);
    } else {
        int ind = 2 * (t->levels.len - 1) + 2;
        long pid = parent ? parent->id : 0;
        fprintf(t->out, "%*s}\n%*sn%ld -> n%ld", ind, "", ind, "", pid, o->id);
        if (o->kind == O_CALL) {
            fputs(" [label=", t->out);
            put_dot_string(t->out, o->args ? o->args : "");
            fprintf(t->out, "];\n%*sn%ld -> n%ld [label=", ind, "", o->id, pid);
            put_dot_string(t->out, result ? result : "");
            fputs(", style=dashed];\n", t->out);
        } else {
            fputs(" [style=dotted];\n", t->out);
        }
    }
}

/* A leaf entry: a branch taken, a primitive, a summary (result NULL but
   for primitives). */
static void write_leaf(Tracer *t, int level, const char *head, const char *args, const char *result, int line,
                       const char *shape)
{
    start_output(t);
    if (t->o.format == TRACE_TEXT) {
        StrBuf h = {0};
        if (*shape == 'n')                  /* a summary: no parentheses */
            sb_puts(&h, head);
        else
            sb_printf(&h, "(%s%s%s)", head, args && *args ? " " : "", args ? args : "");
        if (result)
            sb_printf(&h, " -> %s", result);
        text_line(t, level, sb_cstr(&h), result ? loc_tail(t, line, &t->sb2) : NULL, false);
        sb_free(&h);
    } else if (t->o.format == TRACE_JSON) {
        if (result) {
            const char *a[] = {"args", args ? args : "", NULL};
            json_event(t, head, "B", "primitive", a);
            const char *r[] = {"result", result, NULL};
            json_event(t, head, "E", NULL, r);
        } else {
            json_event(t, head, "i", *shape == 'n' ? "summary" : "branch", NULL);
        }
    } else {
        long id = ++t->next_id;
        Open *parent = shown_parent(t);
        long pid = parent ? parent->id : 0;
        int ind = 2 * level + 2;
        fprintf(t->out, "%*sn%ld [label=", ind, "", id);
        put_dot_string(t->out, head);
        fprintf(t->out, ", shape=%s];\n", shape);
        if (result) {
            fprintf(t->out, "%*sn%ld -> n%ld [label=", ind, "", pid, id);
            put_dot_string(t->out, args ? args : "");
            fprintf(t->out, "];\n%*sn%ld -> n%ld [label=", ind, "", id, pid);
            put_dot_string(t->out, result);
            fputs(", style=dashed];\n", t->out);
        } else {
            fprintf(t->out, "%*sn%ld -> n%ld [style=dotted];\n", ind, "", pid, id);
        }
    }
}

/* ======================================================================
 * The stack of open entries
 * ====================================================================== */

/* Whether an entry opened now is within the depth limit; if not, counts
   it (kind: O_CALL, O_ITER, -1 for a primitive, -2 for nothing: a branch)
   in its ancestor at the limit. */
static bool within_depth(Tracer *t, int kind)
{
    if (t->o.depth <= 0 || t->levels.len < t->o.depth)
        return true;
    Open *owner = &t->open.data[t->levels.data[t->o.depth - 1]];
    if (kind == O_CALL)
        owner->calls++;
    else if (kind == O_ITER)
        owner->iters++;
    else if (kind == -1)
        owner->prims++;
    return false;
}

/* Pushes an entry; shown entries of kind O_CALL / O_ITER also get a level. */
static Open *push(Tracer *t, OpenKind kind)
{
    Open o = {0};
    o.kind = (uint8_t)kind;
    o.scope = t->scopes.len ? vec_last(&t->scopes) : 0;
    o.act = t->scopes.len;
    vec_push(&t->open, o);
    if (kind == O_CALL || kind == O_ITER)
        vec_push(&t->levels, t->open.len - 1);
    if (kind == O_MUTE)
        t->muted++;
    return &vec_last(&t->open);
}

/* Ends the top entry (result: a call's, or NULL). */
static void pop(Tracer *t, const char *result)
{
    Open *o = &vec_last(&t->open);
    if ((o->kind == O_CALL || o->kind == O_ITER)) {
        if (o->shown && (o->calls || o->iters || o->prims)) {
            StrBuf s = {0};
            sb_puts(&s, "...");
            const char *sep = " ";
            if (o->calls)
                sb_printf(&s, "%s%ld call%s", sep, o->calls, o->calls == 1 ? "" : "s"), sep = ", ";
            if (o->iters)
                sb_printf(&s, "%s%ld iteration%s", sep, o->iters, o->iters == 1 ? "" : "s"), sep = ", ";
            if (o->prims)
                sb_printf(&s, "%s%ld primitive%s", sep, o->prims, o->prims == 1 ? "" : "s");
            if (admit(t))
                write_leaf(t, t->levels.len, sb_cstr(&s), NULL, NULL, 0, "note");
            sb_free(&s);
        }
        if (o->shown)
            write_close(t, o, o->kind == O_CALL ? result : NULL);
        t->levels.len--;
    }
    if (o->kind == O_MUTE)
        t->muted--;
    free(o->args);
    free(o->own_label);
    t->open.len--;
}

/* The index of the innermost O_ITER or O_NEXT entry of the loop at `line`
   open in the current scope (not under a call of it), or -1. */
static int find_loop(Tracer *t, int line, bool back)
{
    int scope = t->scopes.len ? vec_last(&t->scopes) : 0;
    for (int i = t->open.len - 1; i >= 0 && t->open.data[i].scope == scope; i--) {
        Open *o = &t->open.data[i];
        if (o->kind == O_CALL)
            break;
        if ((o->kind == O_ITER || o->kind == O_NEXT) && o->line == line && o->back == back)
            return i;
    }
    return -1;
}

static void pop_to(Tracer *t, int index, const char *result)
{
    while (t->open.len > index)
        pop(t, result);
}

/* ======================================================================
 * The hooks
 * ====================================================================== */

/* The name of a closure of an operator's graph (GR_OPERATOR_FN,
   GR_PULLBACK) or of a transform of one: value_and_grad(g), grad(grad(f)),
   pullback(q), grad(f):bprop.  The function differentiated is the
   parameter of W (grad.c, operator_graph) found up the closure's frames. */
static void operator_name(const Closure *c, int nest, StrBuf *out)
{
    const Graph *g = c->graph;
    const char *base = g->src_name ? g->src_name : "?";
    const char *label = graph_source_name(g);
    size_t n = strlen(base);
    const char *suffix = strncmp(label, base, n) == 0 ? label + n : "";
    int up = (g->role == GR_PULLBACK) + (g->xform == XF_BPROP);
    Value f = interp_closure_param(c, up, 0);
    sb_printf(out, "%s(", base);
    if (f.kind == V_CLOSURE && nest < 8
        && (f.clo->graph->role == GR_OPERATOR_FN || f.clo->graph->role == GR_PULLBACK))
        operator_name(f.clo, nest + 1, out);
    else if (f.kind == V_CLOSURE)
        sb_puts(out, graph_source_name(f.clo->graph));
    else if (f.kind == V_PRIM && f.prim >= 0 && f.prim < P__COUNT)
        sb_puts(out, prim_table[f.prim].name);
    else
        sb_puts(out, "?");
    sb_printf(out, ")%s", suffix);
}

static void open_call(Tracer *t, const Closure *c, const Value *args, int nargs, const Node *site)
{
    const Graph *g = c->graph;
    bool deep = !within_depth(t, O_CALL);
    Open *o = push(t, O_CALL);
    o->xform = g->xform;
    o->label = graph_source_name(g);
    if (deep || !admit(t))
        return;
    o->shown = true;
    if (g->role == GR_OPERATOR_FN || g->role == GR_PULLBACK) {
        StrBuf name = {0};
        operator_name(c, 0, &name);
        o->label = o->own_label = xstrdup(sb_cstr(&name));
        sb_free(&name);
    }
    StrBuf a = {0};
    format_args(g->xform, args, nargs, &a);
    o->args = xstrdup(sb_cstr(&a));
    StrBuf head = {0};
    sb_printf(&head, "%s%s%s", o->label, a.len ? " " : "", sb_cstr(&a));
    int line = site && site->loc.line > 0 ? site->loc.line : g->loc.line;
    write_open(t, o, sb_cstr(&head), line);
    sb_free(&a);
    sb_free(&head);
}

/* The loop variables a header receives, "i=0 s=1.5": its named
   parameters, but for hidden ones (names with a '.', a continuation). */
static void format_loop_vars(const Graph *g, const Value *args, int nargs, StrBuf *out)
{
    for (int i = 0; i < nargs && i < g->nparams; i++) {
        const char *nm = g->params[i]->name;
        if (!nm || strchr(nm, '.') || (args[i].kind == V_CLOSURE && args[i].clo->graph->xform == XF_BPROP))
            continue;
        sb_printf(out, " %s=", nm);
        trace_format_value(&args[i], out);
    }
}

/* A loop header entered: the open iteration ends, the next is noted. */
static void loop_header(Tracer *t, const Graph *g, const Value *args, int nargs)
{
    int line = g->loc.line;
    int at = find_loop(t, line, false);
    long iter = 0;
    if (at >= 0) {
        iter = t->open.data[at].kind == O_ITER ? t->open.data[at].iter + 1 : t->open.data[at].iter;
        pop_to(t, at, NULL);
    }
    Open *o = push(t, O_NEXT);
    o->line = line;
    o->iter = iter;
    StrBuf v = {0};
    format_loop_vars(g, args, nargs, &v);
    o->args = xstrdup(sb_cstr(&v));
    sb_free(&v);
}

/* An iteration starts: forward, the one its header noted; backward, the
   next after the open one. */
static void start_iteration(Tracer *t, int line, bool back)
{
    int at = find_loop(t, line, back);
    long iter = 0;
    char *vars = NULL;
    if (back) {
        if (at >= 0) {
            iter = t->open.data[at].iter + 1;
            pop_to(t, at, NULL);
        }
    } else {
        if (at < 0 || t->open.data[at].kind != O_NEXT)
            return;
        iter = t->open.data[at].iter;
        vars = t->open.data[at].args;
        t->open.data[at].args = NULL;
        pop_to(t, at, NULL);
    }
    bool deep = !within_depth(t, O_ITER);
    Open *o = push(t, O_ITER);
    o->line = line;
    o->iter = iter;
    o->back = back;
    o->args = vars;
    if (deep || !admit(t))
        return;
    o->shown = true;
    StrBuf head = {0}, name = {0};
    sb_printf(&name, "loop@%d%s", line, back ? ":bprop" : "");
    o->label = o->own_label = xstrdup(sb_cstr(&name));
    sb_printf(&head, "%s iter=%ld%s", o->label, iter, vars ? vars : "");
    if (vars && *vars == ' ')
        memmove(vars, vars + 1, strlen(vars));  /* the dot label and json args: no leading space */
    write_open(t, o, sb_cstr(&head), line);
    sb_free(&head);
    sb_free(&name);
}

/* The loop at `line` is left (its exit branch, or the block after it). */
static void end_loop(Tracer *t, int line)
{
    int at = find_loop(t, line, false);
    if (at >= 0)
        pop_to(t, at, NULL);
}

static void branch(Tracer *t, const Graph *g)
{
    if (!within_depth(t, -2) || !admit(t))
        return;
    StrBuf h = {0};
    bool then = g->role == GR_THEN || g->role == GR_IFEXP;
    sb_printf(&h, "if@%d %s", g->loc.line, then ? "then" : "else");
    write_leaf(t, t->levels.len, sb_cstr(&h), NULL, NULL, g->loc.line, "diamond");
    sb_free(&h);
}

static void hook_enter(void *user, const Closure *c, const Value *args, int nargs, const Node *site, bool tail)
{
    Tracer *t = user;
    const Graph *g = c->graph;
    if (!tail) {
        bool fn = g->kind == G_FUNCTION || g->kind == G_CONST || !t->scopes.len;
        int scope = fn ? ++t->next_scope : vec_last(&t->scopes);
        vec_push(&t->scopes, scope);
    }
    if (t->muted)
        return;
    bool back = g->xform == XF_BPROP;
    switch ((GraphRole)g->role) {
    case GR_FUNCTION:
    case GR_OPERATOR_FN:
    case GR_PULLBACK:
        open_call(t, c, args, nargs, site);
        break;
    case GR_CONSTANT:
        push(t, O_MUTE);
        break;
    case GR_THEN:
    case GR_ELSE:
    case GR_IFEXP:
    case GR_IFELSE:
        if (!back)
            branch(t, g);
        break;
    case GR_LOOP:
        if (!back)
            loop_header(t, g, args, nargs);
        break;
    case GR_LOOP_BODY:
        start_iteration(t, g->loc.line, back);
        break;
    case GR_LOOP_EXIT:
    case GR_LOOP_END:
        if (!back)
            end_loop(t, g->loc.line);
        break;
    case GR_NONE:
    case GR_JOIN:
    case GR_OPERAND:
    case GR_CONVERT:
    case GR_PRIM:
    case GR_OPERATOR:
        break;
    }
}

static void hook_leave(void *user, const Value *result)
{
    Tracer *t = user;
    if (!t->scopes.len)
        return;
    /* a function's activation ends what was opened in its scope; a
       block's, sharing its caller's scope, ends the calls it tail-called
       (and what is above them) but leaves the loops' iterations open */
    int act = t->scopes.len;
    int scope = vec_pop(&t->scopes);
    int i = t->open.len;
    if (t->scopes.len && vec_last(&t->scopes) == scope) {
        int call = -1;
        for (int k = t->open.len - 1; k >= 0 && t->open.data[k].act >= act; k--)
            if (t->open.data[k].act == act && (t->open.data[k].kind == O_CALL || t->open.data[k].kind == O_MUTE))
                call = k;
        if (call >= 0)
            i = call;
    } else {
        while (i > 0 && t->open.data[i - 1].scope == scope)
            i--;
    }
    if (i < t->open.len) {
        /* the result shows as each call's transform says (a tail call's
           chain may mix them: J of a call that is a graph's output) */
        StrBuf r = {0};
        while (t->open.len > i) {
            Open *o = &vec_last(&t->open);
            r.len = 0;
            if (o->kind == O_CALL && o->shown)
                format_result(o->xform, result, &r);
            pop(t, sb_cstr(&r));
        }
        sb_free(&r);
    }
}

/* How primitive p shows, applied in graph g; NULL: hidden (the
   transforms' bookkeeping, the IR's own plumbing). */
static const char *prim_label(int p, const Graph *g)
{
    static const char *const ops[P__COUNT] = {
        [P_ADD] = "+", [P_SUB] = "-", [P_MUL] = "*", [P_TRUEDIV] = "/", [P_FLOORDIV] = "//", [P_MOD] = "%",
        [P_POW] = "**", [P_IADD] = "+=", [P_IMUL] = "*=", [P_NEG] = "-", [P_POS] = "+", [P_LT] = "<",
        [P_LE] = "<=", [P_GT] = ">", [P_GE] = ">=", [P_EQ] = "==", [P_NE] = "!=", [P_NOT] = "not",
        [P_XLOGY] = "xlogy", [P_SSCALE] = "*", [P_SADD] = "+",
    };
    static const char *const lists[P__COUNT] = {
        [P_LIST_MAKE] = "list", [P_LIST_RESERVE] = "list", [P_LIST_LEN] = "len", [P_LIST_GET] = "getitem",
        [P_LIST_ITEM] = "getitem", [P_LIST_SET] = "setitem", [P_LIST_APPEND] = "append", [P_LIST_PUSH] = "append",
        [P_LIST_PUSH_INPLACE] = "append", [P_LIST_POP] = "pop", [P_LIST_CONCAT] = "+", [P_LIST_EXTEND] = "+=",
        [P_LIST_REPEAT] = "*", [P_LIST_IREPEAT] = "*=", [P_LIST_SLICE] = "slice", [P_LIST_SUM] = "sum",
        [P_LIST_MIN] = "min", [P_LIST_MAX] = "max", [P_LIST_CONTAINS] = "in", [P_LIST_CONVERT] = "list",
        [P_LIST_SET_INPLACE] = "setitem", [P_LIST_APPEND_INPLACE] = "append", [P_LIST_POP_INPLACE] = "pop", [P_LIST_SLICE_INPLACE] = "slice",
        [P_LIST_EXTEND_INPLACE] = "+=", [P_LIST_COPY] = "list",
    };
    static const char *const tuples[P__COUNT] = {
        [P_MAKE_TUPLE] = "tuple", [P_GETITEM] = "getitem",
    };
    if (p < 0 || p >= P__COUNT)
        return NULL;
    int xform = g ? g->xform : XF_NONE;
    if (g && (g->role == GR_OPERATOR || g->role == GR_OPERATOR_FN || g->role == GR_PULLBACK))
        return NULL;            /* the operators' code: J's calls and their results' bookkeeping */
    if (ops[p])
        return ops[p];
    if (prim_table[p].flags & PF_BUILTIN)
        return prim_table[p].name;
    if (lists[p] && xform != XF_BPROP)
        return lists[p];
    if (tuples[p] && xform == XF_NONE)
        return tuples[p];
    return NULL;
}

static void hook_prim(void *user, const Node *site, int p, const Value *args, int nargs, const Value *result)
{
    Tracer *t = user;
    if (t->muted)
        return;
    const char *label = prim_label(p, site->graph);
    if (!label || !within_depth(t, -1) || !admit(t))
        return;
    StrBuf a = {0}, r = {0};
    /* a comprehension's empty accumulator, whichever way it was made: its
       room (list_reserve's operand) is no value of the source's */
    format_values(args, 0, p == P_LIST_RESERVE ? 0 : nargs, &a);
    trace_format_value(result, &r);
    write_leaf(t, t->levels.len, label, sb_cstr(&a), sb_cstr(&r), site->loc.line, "ellipse");
    sb_free(&a);
    sb_free(&r);
}

/* ======================================================================
 * Set-up and the end
 * ====================================================================== */

Tracer *trace_new(const TraceOptions *o, FILE *out)
{
    Tracer *t = xcalloc(1, sizeof *t);
    t->o = *o;
    if (!t->o.hold)
        t->o.hold = TRACE_BUFFER_MAX;
    if (!t->o.file)
        t->o.file = "<stdin>";
    t->out = out;
    clock_gettime(CLOCK_MONOTONIC, &t->t0);
    return t;
}

void trace_attach(Tracer *t, Interp *in)
{
    InterpHooks h = {t, hook_enter, hook_leave, t->o.prims ? hook_prim : NULL};
    interp_set_hooks(in, &h);
}

void trace_fail(Tracer *t)
{
    while (t->open.len)
        pop(t, "error");
    t->scopes.len = 0;
}

bool trace_finish(Tracer *t)
{
    if (t->finished)
        return !ferror(t->out);
    trace_fail(t);              /* nothing is open after a run that returned */
    t->finished = true;
    start_output(t);
    StrBuf s = {0};
    if (t->left_out)
        sb_printf(&s, "... %ld more entr%s left out (--trace-limit=%ld)", t->left_out, t->left_out == 1 ? "y" : "ies",
                  t->o.limit);
    if (t->o.format == TRACE_TEXT) {
        if (s.len) {
            Pending p = {xstrdup(sb_cstr(&s)), NULL, NULL, false};
            vec_push(&t->pend, p);
        }
        flush_pending(t, false);
    } else if (t->o.format == TRACE_JSON) {
        if (s.len)
            json_event(t, sb_cstr(&s), "i", "summary", NULL);
        fprintf(t->out, "\n], \"otherData\": {\"entries\": \"%ld\", \"left_out\": \"%ld\"}}\n", t->written,
                t->left_out);
    } else {
        if (s.len) {
            fprintf(t->out, "  n%ld [label=", ++t->next_id);
            put_dot_string(t->out, sb_cstr(&s));
            fputs(", shape=note];\n", t->out);
        }
        fputs("}\n", t->out);
    }
    sb_free(&s);
    fflush(t->out);
    return !ferror(t->out);
}

void trace_free(Tracer *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->open.len; i++)
        free(t->open.data[i].args);
    for (int i = t->pend_head; i < t->pend.len; i++)
        pending_free(&t->pend.data[i]);
    vec_free(&t->open);
    vec_free(&t->levels);
    vec_free(&t->scopes);
    vec_free(&t->pend);
    sb_free(&t->sb);
    sb_free(&t->sb2);
    free(t);
}
