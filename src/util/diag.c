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

/* Where each line starts, found once per print (files may have many
   diagnostics; scanning from the top for each would be quadratic). */
typedef struct LineIndex {
    const char *src;
    size_t len;
    VEC(size_t) starts;     /* starts[k]: offset of line k + 1 */
} LineIndex;

static void index_lines(const Diags *d, LineIndex *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->src = d->src;
    ix->len = d->srclen;
    if (!d->src)
        return;
    vec_push(&ix->starts, (size_t)0);
    for (size_t i = 0; i < d->srclen; i++) {
        char c = d->src[i];     /* \n, \r\n and a lone \r end a line, as in the lexer */
        if (c == '\n' || (c == '\r' && (i + 1 >= d->srclen || d->src[i + 1] != '\n')))
            vec_push(&ix->starts, i + 1);
    }
}

/* The text of 1-based line `line` (without its end), or NULL past the end. */
static const char *line_text(const LineIndex *ix, int line, size_t *len)
{
    if (!ix->src || line < 1 || line > ix->starts.len)
        return NULL;
    const char *p = ix->src + ix->starts.data[line - 1], *end = ix->src + ix->len;
    if (p > end)
        return NULL;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    *len = (size_t)(e - p);
    return p;
}

/* clang's escape codes (llvm::raw_ostream::changeColor on a terminal). */
#define ESC_BOLD "\033[1m"
#define ESC_RESET "\033[0m"
static const char *const level_color[] = {"\033[0;1;31m", "\033[0;1;35m", "\033[0;1;36m"};
#define ESC_CARET "\033[0;1;32m"

static void print_one(const Diags *d, const LineIndex *ix, const Diag *g, FILE *out)
{
    static const char *names[] = {"error", "warning", "note"};
    bool c = d->color;
    if (c)
        fputs(ESC_BOLD, out);
    if (g->loc.line > 0)
        fprintf(out, "%s:%d:%d: ", d->filename, g->loc.line, g->loc.col);
    else
        fprintf(out, "%s: ", d->filename);
    if (c)
        fprintf(out, ESC_RESET "%s%s: " ESC_RESET "%s%s" ESC_RESET "\n", level_color[g->level], names[g->level],
                g->level == DIAG_NOTE ? "" : ESC_BOLD, g->msg);
    else
        fprintf(out, "%s: %s\n", names[g->level], g->msg);
    size_t len;
    const char *line = line_text(ix, g->loc.line, &len);
    if (!line)
        return;
    /* The source line, with control and non-ASCII bytes shown as '?' so the
       caret stays aligned (columns count bytes). */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        fputc(ch == '\t' ? ' ' : (ch < 32 || ch >= 127) ? '?' : ch, out);
    }
    fputc('\n', out);
    int col = g->loc.col < 1 ? 1 : g->loc.col;
    if ((size_t)col > len + 1)
        col = (int)len + 1;
    if (c)
        fputs(ESC_CARET, out);
    for (int i = 1; i < col; i++)
        fputc(' ', out);
    fputs(c ? "^" ESC_RESET "\n" : "^\n", out);
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
    LineIndex ix;
    index_lines(d, &ix);
    for (int i = 0; i < np; i++) {
        print_one(d, &ix, prim[i], out);
        for (const Diag *g = prim[i] + 1; g < d->items.data + n && g->level == DIAG_NOTE; g++)
            print_one(d, &ix, g, out);
    }
    if (d->nerrors > d->max_errors) {
        Diag more = {DIAG_NOTE, {0, 0}, NULL};
        char buf[128];
        snprintf(buf, sizeof buf, "%d more errors not shown (limit %d)", d->nerrors - d->max_errors,
                 d->max_errors);
        more.msg = buf;
        print_one(d, &ix, &more, out);
    }
    vec_free(&ix.starts);
    free(prim);
}

void diags_print_summary(const Diags *d, FILE *out)
{
    if (d->nwarnings)
        fprintf(out, "%d warning%s%s", d->nwarnings, d->nwarnings == 1 ? "" : "s", d->nerrors ? " and " : "");
    if (d->nerrors)
        fprintf(out, "%d error%s", d->nerrors, d->nerrors == 1 ? "" : "s");
    if (d->nwarnings || d->nerrors)
        fputs(" generated.\n", out);
}
