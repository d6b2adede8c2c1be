/* idmap.c: the id -> pointer hash map (see idmap.h). */
#include "idmap.h"

/* The slot of key (id + 1), or the empty slot where it would go.  Ids are
   dense, so Fibonacci hashing (the high bits of key * 2^32/phi) spreads
   runs of them over the table. */
static uint32_t slot(const IdMap *m, uint32_t key)
{
    uint32_t mask = m->cap - 1;
    uint32_t i = (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 32) & mask;
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

void *idmap_get(const IdMap *m, uint32_t id)
{
    if (!m->cap)
        return NULL;
    uint32_t i = slot(m, id + 1);
    return m->keys[i] ? m->vals[i] : NULL;
}

static void grow(IdMap *m)
{
    IdMap n = {0};
    n.cap = m->cap ? m->cap * 2 : 64;
    if (n.cap < m->cap)
        die("idmap: too many entries");
    n.keys = xcalloc(n.cap, sizeof *n.keys);
    n.vals = xcalloc(n.cap, sizeof *n.vals);
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            uint32_t j = slot(&n, m->keys[i]);
            n.keys[j] = m->keys[i];
            n.vals[j] = m->vals[i];
            n.len++;
        }
    free(m->keys);
    free(m->vals);
    *m = n;
}

void idmap_set(IdMap *m, uint32_t id, void *v)
{
    if (id == UINT32_MAX)
        die("idmap: id %u out of range", id);
    if ((m->len + 1) * 2 > m->cap)
        grow(m);
    uint32_t i = slot(m, id + 1);
    if (!m->keys[i]) {
        m->keys[i] = id + 1;
        m->len++;
    }
    m->vals[i] = v;
}

void idmap_free(IdMap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->len = 0;
}
