/* strmap.c: the string -> int hash map (see strmap.h). */
#include "strmap.h"

#include <string.h>

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;    /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static StrEnt *slot(const StrMap *m, const char *s, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask)
        if (!m->e[i].s || (m->e[i].h == h && strcmp(m->e[i].s, s) == 0))
            return &m->e[i];
}

StrEnt *strmap_put(StrMap *m, Arena *arena, const char *s, bool *fresh)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        StrEnt *ne = xcalloc(ncap, sizeof *ne);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].s)
                continue;
            size_t j = m->e[i].h & (ncap - 1);
            while (ne[j].s)
                j = (j + 1) & (ncap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    uint64_t h = str_hash(s);
    StrEnt *e = slot(m, s, h);
    *fresh = !e->s;
    if (*fresh) {
        e->s = arena ? arena_strdup(arena, s) : s;
        e->h = h;
        e->v = 0;
        m->len++;
    }
    return e;
}

StrEnt *strmap_get(const StrMap *m, const char *s)
{
    if (!m->cap)
        return NULL;
    StrEnt *e = slot(m, s, str_hash(s));
    return e->s ? e : NULL;
}

void strmap_free(StrMap *m)
{
    free(m->e);
    m->e = NULL;
    m->cap = m->len = 0;
}
