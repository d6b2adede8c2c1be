/*
 * idmap.h: a map from ids (node or graph ids, dense per module) to
 * pointers, for the passes' side tables.
 *
 * A hash table (open addressing, linear probing), not an array indexed by
 * id: a pass may keep many such tables at once (the J transform keeps a
 * few per region it transforms), each about a small part of a module whose
 * ids run into the millions, so an array per table would cost memory in
 * proportion to the module, not to what the table holds.
 *
 * A zeroed IdMap is empty and ready to use; absent ids map to NULL, and
 * setting NULL is the same as removing (idmap_get cannot tell them apart).
 * There is no iteration: a pass that needs an order keeps a list, so that
 * nothing it does depends on the table's layout.  The memory is the heap's;
 * idmap_free releases it.
 */
#ifndef MYC_IDMAP_H
#define MYC_IDMAP_H

#include "common.h"

typedef struct IdMap {
    uint32_t *keys;     /* id + 1; 0: an empty slot */
    void **vals;
    uint32_t cap, len;  /* cap: 0 or a power of two */
} IdMap;

/* The pointer id maps to, or NULL. */
void *idmap_get(const IdMap *m, uint32_t id);
/* Maps id (< UINT32_MAX) to v. */
void idmap_set(IdMap *m, uint32_t id, void *v);
/* Frees the table; m is empty again. */
void idmap_free(IdMap *m);

#endif
