/*
 * common.h: what every layer of myc shares: source locations, arenas,
 * growable arrays, string buffers and the internal-error path.
 *
 * Arenas own all compiler memory (AST, IR, types); nothing allocated from
 * one is freed individually.  Internal invariant failures call die(); they
 * are bugs, never user errors (those go through diag.h).
 */
#ifndef MYC_COMMON_H
#define MYC_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define MYC_VERSION "0.1.0"     /* myc --version, headers, the man page and pkg-config file */

/* A position in the source file: 1-based line and column (in bytes). */
typedef struct Loc {
    int line;
    int col;
} Loc;

static inline Loc loc_make(int line, int col) { Loc l = {line, col}; return l; }
#define LOC_NONE ((Loc){0, 0})

/* ---- internal errors (bugs) ------------------------------------------- */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* ---- arenas ------------------------------------------------------------ */
typedef struct Arena Arena;
Arena *arena_new(void);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t n);              /* zeroed, 16-byte aligned */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t arena_bytes(const Arena *a);                 /* bytes handed out so far */

#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)arena_alloc((a), sizeof(T) * (size_t)(n)))

/* ---- growable arrays (heap, not arena: for scratch work in passes) ------ */
#define VEC(T) struct { T *data; int len, cap; }
#define vec_push(v, x) do { \
        if ((v)->len == (v)->cap) { \
            (v)->cap = (v)->cap ? (v)->cap * 2 : 8; \
            (v)->data = xrealloc((v)->data, sizeof(*(v)->data) * (size_t)(v)->cap); \
        } \
        (v)->data[(v)->len++] = (x); \
    } while (0)
#define vec_pop(v) ((v)->data[--(v)->len])
#define vec_last(v) ((v)->data[(v)->len - 1])
#define vec_free(v) do { free((v)->data); (v)->data = NULL; (v)->len = (v)->cap = 0; } while (0)

/* ---- string buffers ------------------------------------------------------ */
typedef struct StrBuf {
    char *data;
    size_t len, cap;
} StrBuf;
void sb_putc(StrBuf *sb, char c);
void sb_puts(StrBuf *sb, const char *s);
void sb_printf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);
void sb_free(StrBuf *sb);
const char *sb_cstr(StrBuf *sb);    /* always NUL-terminated, "" when empty */

/* Shortest repr of a double that round-trips, exactly as CPython's repr(). */
void fmt_float_repr(StrBuf *sb, double x);

#endif
