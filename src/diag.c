/* diag.c: collecting and printing clang-style diagnostics. */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

void diags_init(Diags *d, const char *filename, const char *src, size_t srclen)
{
    memset(d, 0, sizeof *d);
    d->filename = filename;
    d->src = src;
    d->srclen = srclen;
    d->max_errors = 50;
}

void diags_free(Diags *d)
{
    for (int i = 0; i < d->items.len; i++)
        free(d->items.data[i].msg);
    vec_free(&d->items);
}

void diag_vreport(Diags *d, DiagLevel level, Loc loc, const char *fmt, va_list ap)
{
    if (level == DIAG_ERROR) {
        if (d->nerrors >= d->max_errors) {
            d->nerrors++;
            return;
        }
        d->nerrors++;
    } else if (level == DIAG_WARNING) {
        d->nwarnings++;
    }
    StrBuf sb = {0};
    sb_vprintf(&sb, fmt, ap);
    Diag g = {level, loc, xstrdup(sb_cstr(&sb))};
    sb_free(&sb);
    vec_push(&d->items, g);
}

#define REPORT(level) \
    va_list ap; \
    va_start(ap, fmt); \
    diag_vreport(d, level, loc, fmt, ap); \
    va_end(ap)

void diag_error(Diags *d, Loc loc, const char *fmt, ...) { REPORT(DIAG_ERROR); }
void diag_warning(Diags *d, Loc loc, const char *fmt, ...) { REPORT(DIAG_WARNING); }
void diag_note(Diags *d, Loc loc, const char *fmt, ...) { REPORT(DIAG_NOTE); }

/* Finds the start of 1-based line `line`, or NULL past the end. */
static const char *line_start(const Diags *d, int line, size_t *len)
{
    if (!d->src || line < 1)
        return NULL;
    const char *p = d->src, *end = d->src + d->srclen;
    for (int l = 1; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        p = nl + 1;
    }
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    *len = (size_t)(e - p);
    return p;
}

static void print_one(const Diags *d, const Diag *g, FILE *out)
{
    static const char *names[] = {"error", "warning", "note"};
    if (g->loc.line > 0)
        fprintf(out, "%s:%d:%d: %s: %s\n", d->filename, g->loc.line, g->loc.col,
                names[g->level], g->msg);
    else
        fprintf(out, "%s: %s: %s\n", d->filename, names[g->level], g->msg);
    size_t len;
    const char *line = line_start(d, g->loc.line, &len);
    if (!line)
        return;
    /* The source line, with control and non-ASCII bytes shown as '?' so the
       caret stays aligned (columns count bytes). */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        fputc(c == '\t' ? ' ' : (c < 32 || c >= 127) ? '?' : c, out);
    }
    fputc('\n', out);
    int col = g->loc.col < 1 ? 1 : g->loc.col;
    if ((size_t)col > len + 1)
        col = (int)len + 1;
    for (int i = 1; i < col; i++)
        fputc(' ', out);
    fputs("^\n", out);
}

static int cmp_diag(const void *a, const void *b)
{
    const Diag *x = *(Diag *const *)a, *y = *(Diag *const *)b;
    if (x->loc.line != y->loc.line)
        return x->loc.line < y->loc.line ? -1 : 1;
    if (x->loc.col != y->loc.col)
        return x->loc.col < y->loc.col ? -1 : 1;
    return x < y ? -1 : x > y;   /* stable: creation order */
}

/* Primary diagnostics are printed in source order; a note follows the
   diagnostic it was reported after, wherever that one sorts. */
void diags_print(const Diags *d, FILE *out)
{
    int n = d->items.len, np = 0;
    const Diag **prim = xmalloc(sizeof(Diag *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        if (d->items.data[i].level != DIAG_NOTE || i == 0)
            prim[np++] = &d->items.data[i];
    qsort(prim, (size_t)np, sizeof *prim, cmp_diag);
    for (int i = 0; i < np; i++) {
        print_one(d, prim[i], out);
        for (const Diag *g = prim[i] + 1; g < d->items.data + n && g->level == DIAG_NOTE; g++)
            print_one(d, g, out);
    }
    if (d->nerrors > d->max_errors)
        fprintf(out, "%s: note: %d more errors not shown (limit %d)\n", d->filename,
                d->nerrors - d->max_errors, d->max_errors);
    free(prim);
}
