/*
 * strmap.h: a string -> int hash map (open addressing), for the passes
 * that intern names (lowering's symbols and graph names, the printer's
 * node names).
 */
#ifndef MYC_STRMAP_H
#define MYC_STRMAP_H

#include "common.h"

typedef struct StrEnt {
    const char *s;      /* NULL: empty slot */
    uint64_t h;
    int v;
} StrEnt;

typedef struct StrMap {
    StrEnt *e;
    size_t cap, len;
} StrMap;

/* Finds s, or inserts it with v = 0 and sets *fresh.  The key is copied
   into `arena`, or (arena NULL) kept as given and must outlive the map. */
StrEnt *strmap_put(StrMap *m, Arena *arena, const char *s, bool *fresh);
/* The entry of s, or NULL. */
StrEnt *strmap_get(const StrMap *m, const char *s);
void strmap_free(StrMap *m);

#endif
