/*
 * myrt.c: the myc runtime: the error handler, per-call arenas, the frame
 * stack, list buffers and sensitivity environments (the contract is in
 * myrt.h).
 *
 * Assumes: malloc returns memory aligned for max_align_t, at least 16 bytes
 * (checked below); callers follow myrt.h (enter/leave LIFO per thread, pop
 * only a non-empty frame stack, one value type per env key).
 *
 * Guarantees: the only state shared between threads is the error handlers
 * (atomics); each thread's stack of active arenas and its last statistics
 * are thread-locals.  Allocation chunks double in size up to ARENA_MAX_CAP,
 * and a request larger than half the next chunk gets a chunk of its own, so
 * n allocations cost O(n) time and O(bytes requested) memory.  The frame
 * stack lives in chunks of its own, never moved while in use; chunks
 * emptied by pops are kept as spares for later pushes until the arena is
 * left, so that a reverse pass reuses the memory of the forward pass's
 * frames (a loop's gradient pages in its peak, not the sum of both).
 * The chunks of an arena that is left go to its thread's chunk cache (up
 * to the process-wide limit, the rest back to malloc), and new chunks come
 * from that cache first: a program that calls a gradient again and again
 * reuses memory whose pages are already mapped, as a hand-written adjoint
 * reuses its tape through malloc.  A thread's cache is freed when the
 * thread exits (a C11 tss destructor) or on myrt_cache_release.
 * List buffers of MYRT_LIST_BIG_BYTES or more are malloc'd blocks of their
 * own, on a doubly linked list of the arena's (so that myrt_list_grow can
 * realloc one in O(1), and a 10^7-item list costs one block, not chunks),
 * freed with the arena unless myrt_list_release handed one over (the
 * data first in the block, the list's header after it, so that the data
 * pointer is what malloc returned).
 * Envs are treaps keyed by key with priority hash(key): a key set has one
 * shape, expected depth O(log n), and operations copy only the paths they
 * change.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE     /* madvise's MADV_HUGEPAGE (chunk_malloc) */
#endif
#include "myrt.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

_Static_assert(sizeof(myrt_arena) == MYRT_ARENA_SIZE, "MYRT_ARENA_SIZE must be sizeof(myrt_arena)");
_Static_assert(MYRT_ARENA_SIZE <= 128, "generated code reserves at most 128 bytes per arena");
_Static_assert(_Alignof(myrt_arena) == 16, "arenas are 16-aligned");
_Static_assert(_Alignof(max_align_t) >= 16, "malloc must return 16-aligned memory");

/* ---- the error handlers ------------------------------------------------------ */

/* Called with a message alone (what myrt_set_error_handler returns when no
   handler of that kind is installed): the original default. */
static void default_handler(const char *message)
{
    fprintf(stderr, "myc: runtime error: %s\n", message);
    fflush(stderr);
    abort();
}

/* What the runtime does when no handler is installed: the same, with the
   location when there is one. */
static void default_report(const char *message, const myrt_source_loc *where)
{
    if (where && where->file)
        fprintf(stderr, "myc: runtime error: %s:%d:%d: %s\n", where->file, where->line, where->col, message);
    else
        fprintf(stderr, "myc: runtime error: %s\n", message);
    fflush(stderr);
    abort();
}

/* Process-wide by design (a C program installs one handler for all the
   .my code it links); atomics so that threads may call concurrently.  A
   NULL slot holds no handler; prefer_at says which kind was installed
   last (see myrt.h), and is only consulted when both are installed. */
static _Atomic(myrt_error_handler) message_handler;
static _Atomic(myrt_error_handler_at) located_handler;
static atomic_bool prefer_at;

/* Per thread: the innermost active arena (each links to the next one out),
   and the statistics of the last arena left. */
static _Thread_local myrt_arena *tl_innermost;
static _Thread_local myrt_stats tl_last_stats;

myrt_error_handler myrt_set_error_handler(myrt_error_handler handler)
{
    if (handler == default_handler)
        handler = NULL;     /* restoring what an earlier call returned */
    myrt_error_handler prev = atomic_exchange(&message_handler, handler);
    atomic_store(&prefer_at, handler == NULL);
    return prev ? prev : default_handler;
}

myrt_error_handler_at myrt_set_error_handler_at(myrt_error_handler_at handler)
{
    myrt_error_handler_at prev = atomic_exchange(&located_handler, handler);
    atomic_store(&prefer_at, handler != NULL);
    return prev;
}

_Noreturn void myrt_runtime_error_at(const char *message, const myrt_source_loc *where)
{
    if (tl_innermost)
        myrt_arena_leave(tl_innermost);
    if (where && !where->file)
        where = NULL;
    myrt_error_handler m = atomic_load(&message_handler);
    myrt_error_handler_at at = atomic_load(&located_handler);
    if (at && (!m || atomic_load(&prefer_at)))
        at(message, where ? where->file : NULL, where ? where->line : 0, where ? where->col : 0);
    else if (m)
        m(message);
    else
        default_report(message, where);
    abort();    /* a handler that returns: there is no way to continue */
}

_Noreturn void myrt_runtime_error(const char *message)
{
    myrt_runtime_error_at(message, NULL);
}

/* A broken caller (generated code or a C program misusing the API): no
   handler can recover from it. */
static _Noreturn void misuse(const char *what)
{
    fprintf(stderr, "myrt: internal error: %s\n", what);
    fflush(stderr);
    abort();
}

static _Noreturn void out_of_memory(void)
{
    myrt_runtime_error("out of memory");
}

/* ---- chunks ------------------------------------------------------------------- */

/* A malloc'd block: this header, then cap bytes of 16-aligned data. */
struct myrt_chunk {
    struct myrt_chunk *prev;    /* the next older chunk of the same list */
    uint64_t cap;
};
_Static_assert(sizeof(struct myrt_chunk) == 16, "chunk data starts 16-aligned");

#define ARENA_FIRST_CAP ((uint64_t)4096)
#define ARENA_MAX_CAP   ((uint64_t)64 << 20)
#define FRAME_FIRST_CAP ((uint64_t)4096)
#define FRAME_MAX_CAP   ((uint64_t)64 << 20)
/* Larger requests are out of memory without asking malloc (128 TiB, the
   x86-64 user address space; also keeps every size computation in range). */
#define MAX_REQUEST     ((uint64_t)1 << 47)
#define HUGE_PAGE       ((size_t)2 << 20)
#define HUGE_MIN_CAP    ((uint64_t)4 << 20)

static char *chunk_data(struct myrt_chunk *c)
{
    return (char *)(c + 1);
}

static char *chunk_end(struct myrt_chunk *c)
{
    return chunk_data(c) + c->cap;
}

static uint64_t round16(uint64_t n)
{
    return (n + 15) & ~(uint64_t)15;
}

/* The link of list *p (chained by prev) that holds its first chunk with
   room for cap bytes, or the list's NULL end. */
static struct myrt_chunk **first_fitting(struct myrt_chunk **p, uint64_t cap)
{
    while (*p && (*p)->cap < cap)
        p = &(*p)->prev;
    return p;
}

/* ---- the chunk cache ------------------------------------------------------------ */

/* Process-wide, like the error handler; read when an arena is left. */
static _Atomic uint64_t cache_limit = MYRT_CACHE_DEFAULT_LIMIT;

/* This thread's cached chunks, by increasing capacity, and the sum of
   their capacities (never above the limit in force when each went in). */
static _Thread_local struct myrt_chunk *tl_cache;
static _Thread_local uint64_t tl_cache_bytes;
/* Whether this thread's cache_key value is set (the destructor then runs
   at its exit, and frees whatever the cache holds then). */
static _Thread_local bool tl_cache_registered;

/* The key whose destructor frees a thread's cache when the thread exits;
   created on first use.  Its value is non-NULL while the cache may hold
   chunks (tss destructors run only for non-NULL values). */
static tss_t cache_key;
static int cache_key_ok;
static once_flag cache_key_once = ONCE_FLAG_INIT;

static void cache_free(void *unused)
{
    (void)unused;
    myrt_cache_release();
}

static void cache_key_create(void)
{
    cache_key_ok = tss_create(&cache_key, cache_free) == thrd_success;
}

uint64_t myrt_set_cache_limit(uint64_t bytes)
{
    return atomic_exchange(&cache_limit, bytes);
}

void myrt_cache_release(void)
{
    struct myrt_chunk *c = tl_cache;
    tl_cache = NULL;
    tl_cache_bytes = 0;
    while (c) {
        struct myrt_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
}

/* Keeps c in this thread's cache if the limit allows, else frees it. */
static void cache_put(struct myrt_chunk *c)
{
    uint64_t limit = atomic_load(&cache_limit);
    if (c->cap > limit || tl_cache_bytes > limit - c->cap) {
        free(c);
        return;
    }
    if (!tl_cache_registered) {     /* once per thread, not per call that empties the cache */
        call_once(&cache_key_once, cache_key_create);
        if (!cache_key_ok || tss_set(cache_key, &tl_cache) != thrd_success) {
            free(c);    /* no way to free it at thread exit: do not keep it */
            return;
        }
        tl_cache_registered = true;
    }
    struct myrt_chunk **p = first_fitting(&tl_cache, c->cap);
    c->prev = *p;
    *p = c;
    tl_cache_bytes += c->cap;
}

/* The smallest cached chunk with room for cap bytes, taken out of the
   cache, or NULL. */
static struct myrt_chunk *cache_take(uint64_t cap)
{
    struct myrt_chunk **p = first_fitting(&tl_cache, cap);
    struct myrt_chunk *c = *p;
    if (c) {
        *p = c->prev;
        tl_cache_bytes -= c->cap;
    }
    return c;
}

/* A new chunk's memory, with *cap data bytes (at least as many as asked).
   Chunks of HUGE_MIN_CAP bytes or more are aligned to huge pages and
   advised to use them where the system can (Linux's transparent huge
   pages in "madvise" mode), their capacity rounded up to whole huge pages:
   a gradient's tape of hundreds of megabytes is then faulted in 2 MiB at a
   time instead of 4 KiB (mlp's gradient spent most of its time in the
   kernel's page-fault path). */
static struct myrt_chunk *chunk_malloc(uint64_t *cap)
{
    size_t size = (size_t)(sizeof(struct myrt_chunk) + *cap);
#if defined(MADV_HUGEPAGE)
    if (*cap >= HUGE_MIN_CAP && size <= SIZE_MAX - HUGE_PAGE) {
        size_t rounded = (size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
        void *p = aligned_alloc(HUGE_PAGE, rounded);
        if (p) {
            (void)madvise(p, rounded, MADV_HUGEPAGE);   /* advice: failing changes nothing */
            *cap = rounded - sizeof(struct myrt_chunk);
        }
        return p;
    }
#endif
    return malloc(size);
}

/* A chunk of at least cap data bytes, from the cache or from malloc,
   counted in a's statistics. */
static struct myrt_chunk *chunk_new(myrt_arena *a, uint64_t cap)
{
    if (cap > MAX_REQUEST || cap > SIZE_MAX - sizeof(struct myrt_chunk))
        out_of_memory();
    struct myrt_chunk *c = cache_take(cap);
    if (c) {
        a->nreused++;
    } else {
        c = chunk_malloc(&cap);
        if (!c)
            out_of_memory();
        c->cap = cap;
    }
    c->prev = NULL;
    a->nchunks++;
    return c;
}

/* Gives a list of chunks back to the cache (or to malloc). */
static void chunk_list_free(struct myrt_chunk *c)
{
    while (c) {
        struct myrt_chunk *prev = c->prev;
        cache_put(c);
        c = prev;
    }
}

/* ---- arenas ---------------------------------------------------------------------- */

/* Field by field, not memset: gcc clears 128 bytes with `rep stos`, whose
   start-up cost was a tenth of a small gradient's call (bench/sl_branch). */
void myrt_arena_enter(myrt_arena *a)
{
    a->chunk = NULL;
    a->cur = a->end = NULL;
    a->next_cap = ARENA_FIRST_CAP;
    a->fchunk = NULL;
    a->ftop = NULL;
    a->fcur = a->fend = NULL;
    a->fspare = NULL;
    a->bytes = a->fbytes = a->fpeak = a->nchunks = a->nreused = 0;
    a->outer = tl_innermost;
    a->bigs = NULL;
    tl_innermost = a;
}

static void bigs_free(myrt_arena *a, myrt_stats *st);

void myrt_arena_leave(myrt_arena *a)
{
    if (a != tl_innermost)
        misuse("myrt_arena_leave: not this thread's innermost active arena");
    tl_innermost = a->outer;
    tl_last_stats.arena_bytes = a->bytes;
    tl_last_stats.frame_peak_bytes = a->fpeak;
    tl_last_stats.chunks = a->nchunks;
    tl_last_stats.reused_chunks = a->nreused;
    bigs_free(a, &tl_last_stats);
    chunk_list_free(a->chunk);
    chunk_list_free(a->fchunk);
    chunk_list_free(a->fspare);
    a->chunk = a->fchunk = a->fspare = NULL;    /* nothing left to reach through a */
    a->cur = a->end = a->fcur = a->fend = NULL;
    a->ftop = NULL;
    a->bigs = NULL;
}

void myrt_last_stats(myrt_stats *out)
{
    *out = tl_last_stats;
}

/* n bytes (a multiple of 16) in a chunk of their own, linked behind the
   current chunk so that its free space stays in use. */
static void *alloc_own_chunk(myrt_arena *a, uint64_t n)
{
    struct myrt_chunk *c = chunk_new(a, n);
    if (a->chunk) {
        c->prev = a->chunk->prev;
        a->chunk->prev = c;
    } else {
        a->chunk = c;           /* cur stays NULL: the next request starts a chunk */
    }
    a->bytes += n;
    return chunk_data(c);
}

/* n bytes (a multiple of 16) when the current chunk has no room. */
static void *alloc_slow(myrt_arena *a, uint64_t n)
{
    if (n > a->next_cap / 2)
        return alloc_own_chunk(a, n);
    struct myrt_chunk *c = chunk_new(a, a->next_cap);
    c->prev = a->chunk;
    a->chunk = c;
    a->cur = chunk_data(c);
    a->end = chunk_end(c);
    if (a->next_cap < ARENA_MAX_CAP)
        a->next_cap *= 2;
    void *p = a->cur;
    a->cur += n;
    a->bytes += n;
    return p;
}

void *myrt_alloc(myrt_arena *a, uint64_t size)
{
    if (size > MAX_REQUEST)
        out_of_memory();
    uint64_t n = size ? round16(size) : 16;
    if (!a->cur || n > (uint64_t)(a->end - a->cur))
        return alloc_slow(a, n);
    void *p = a->cur;
    a->cur += n;
    a->bytes += n;
    return p;
}

/* ---- list buffers -------------------------------------------------------------------- */

/* A large list buffer: one malloc'd block holding size bytes of data (at
   its start, so that the block can be handed over to a C caller who frees
   the data pointer: myrt_list_release), then, 16-aligned, this header; the
   arena's blocks form a doubly linked list, so that one can be resized
   (moved by realloc) and relinked in O(1). */
struct myrt_block {
    struct myrt_block *prev, *next;
    uint64_t size;
    void *data;         /* the block's start: what malloc returned */
};

/* Where the header of a block of size data bytes at data lies. */
static struct myrt_block *header_of(void *data, uint64_t size)
{
    return (struct myrt_block *)((char *)data + ((size + 15) & ~(uint64_t)15));
}

/* The bytes of a block holding size bytes of data, with its header. */
static size_t block_bytes(uint64_t size)
{
    return (size_t)(((size + 15) & ~(uint64_t)15) + sizeof(struct myrt_block));
}

/* An arena's large blocks and their statistics (malloc'd with the first
   block, freed when the arena is left). */
struct myrt_bigs {
    struct myrt_block *first;
    uint64_t live, peak, count;
};

static struct myrt_bigs *bigs_of(myrt_arena *a)
{
    if (!a->bigs) {
        a->bigs = calloc(1, sizeof *a->bigs);
        if (!a->bigs)
            out_of_memory();
    }
    return a->bigs;
}

/* Frees a's large blocks, after recording their statistics in st. */
static void bigs_free(myrt_arena *a, myrt_stats *st)
{
    struct myrt_bigs *b = a->bigs;
    st->big_peak_bytes = b ? b->peak : 0;
    st->big_blocks = b ? b->count : 0;
    if (!b)
        return;
    a->bigs = NULL;
    struct myrt_block *k = b->first;
    while (k) {
        struct myrt_block *next = k->next;
        free(k->data);
        k = next;
    }
    free(b);
}

/* Links block k (of k->size bytes) into b, counting its bytes as live. */
static void *block_link(struct myrt_bigs *b, struct myrt_block *k)
{
    k->prev = NULL;
    k->next = b->first;
    if (b->first)
        b->first->prev = k;
    b->first = k;
    b->live += k->size;
    if (b->live > b->peak)
        b->peak = b->live;
    return k->data;
}

static void block_unlink(struct myrt_bigs *b, struct myrt_block *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        b->first = k->next;
    if (k->next)
        k->next->prev = k->prev;
    b->live -= k->size;
}

static void *big_alloc(myrt_arena *a, uint64_t size)
{
    if (size > MAX_REQUEST)
        out_of_memory();
    struct myrt_bigs *b = bigs_of(a);
    void *p = malloc(block_bytes(size));
    if (!p)
        out_of_memory();
    struct myrt_block *k = header_of(p, size);
    k->size = size;
    k->data = p;
    b->count++;
    return block_link(b, k);
}

void *myrt_list_alloc(myrt_arena *a, uint64_t size)
{
    return size >= MYRT_LIST_BIG_BYTES ? big_alloc(a, size) : myrt_alloc(a, size);
}

void *myrt_list_grow(myrt_arena *a, void *data, uint64_t used, uint64_t cap, uint64_t size)
{
    if (size <= cap || used > cap)
        misuse("myrt_list_grow: the new size must exceed the capacity, which must hold what is used");
    if (cap < MYRT_LIST_BIG_BYTES) {
        void *p = myrt_list_alloc(a, size);
        if (used)
            memcpy(p, data, (size_t)used);
        return p;
    }
    if (size > MAX_REQUEST)
        out_of_memory();
    struct myrt_bigs *b = a->bigs;
    struct myrt_block *k = header_of(data, cap);
    if (!b || k->size != cap || k->data != data)
        misuse("myrt_list_grow: not a large buffer of this arena");
    block_unlink(b, k);
    void *p = realloc(data, block_bytes(size));
    if (!p) {
        block_link(b, k);       /* still the arena's, freed when it is left */
        out_of_memory();
    }
    struct myrt_block *r = header_of(p, size);
    r->size = size;
    r->data = p;
    return block_link(b, r);
}

void *myrt_list_release(myrt_arena *a, const void *data, uint64_t used)
{
    /* a's own large block: found by address among a's (a list's buffer
       may also be memory the arena does not own: a C caller's) */
    for (struct myrt_block *k = a->bigs ? a->bigs->first : NULL; k; k = k->next)
        if (k->data == data) {
            block_unlink(a->bigs, k);
            return k->data;
        }
    void *p = myrt_list_out(used);
    if (used)
        memcpy(p, data, (size_t)used);
    return p;
}

void *myrt_list_out(uint64_t size)
{
    if (size > MAX_REQUEST)
        out_of_memory();
    void *p = malloc(size ? (size_t)size : 1);
    if (!p)
        out_of_memory();
    return p;
}

/* ---- frames ------------------------------------------------------------------------- */

/* The header of a frame; the payload follows. */
struct myrt_frame {
    struct myrt_frame *below;   /* the frame under this one, or NULL */
    char *prev_fcur;            /* a->fcur before this frame was pushed */
};
_Static_assert(sizeof(struct myrt_frame) == 16, "frame payloads are 16-aligned");

/* Makes a chunk with room for n bytes the current frame chunk (a spare if
   one is large enough, else a new one) and returns its first byte. */
static char *frame_chunk_next(myrt_arena *a, uint64_t n)
{
    struct myrt_chunk **p = first_fitting(&a->fspare, n);
    struct myrt_chunk *c = *p;
    if (c) {
        *p = c->prev;
    } else {
        uint64_t cap = a->fchunk ? 2 * a->fchunk->cap : FRAME_FIRST_CAP;
        if (cap > FRAME_MAX_CAP)
            cap = FRAME_MAX_CAP;
        if (cap < n)
            cap = n;
        c = chunk_new(a, cap);
    }
    c->prev = a->fchunk;
    a->fchunk = c;
    a->fend = chunk_end(c);
    return chunk_data(c);
}

/* The top frame chunk has just been emptied: it becomes a spare (the
   payload just popped stays readable until the next push). */
static void frame_chunk_release(myrt_arena *a)
{
    struct myrt_chunk *c = a->fchunk;
    a->fchunk = c->prev;
    a->fend = a->fchunk ? chunk_end(a->fchunk) : NULL;
    c->prev = a->fspare;
    a->fspare = c;
}

void *myrt_frame_push(myrt_arena *a, uint64_t size)
{
    if (size > MAX_REQUEST)
        out_of_memory();
    uint64_t n = sizeof(struct myrt_frame) + round16(size);
    char *prev_fcur = a->fcur;
    char *at = a->fcur;
    if (!a->fchunk || n > (uint64_t)(a->fend - at))
        at = frame_chunk_next(a, n);
    struct myrt_frame *f = (struct myrt_frame *)(void *)at;
    f->below = a->ftop;
    f->prev_fcur = prev_fcur;
    a->ftop = f;
    a->fcur = at + n;
    a->fbytes += n;
    if (a->fbytes > a->fpeak)
        a->fpeak = a->fbytes;
    return f + 1;
}

void *myrt_frame_pop(myrt_arena *a)
{
    struct myrt_frame *f = a->ftop;
    if (!f)
        misuse("myrt_frame_pop: the frame stack is empty");
    a->fbytes -= (uint64_t)(a->fcur - (char *)f);
    a->ftop = f->below;
    a->fcur = f->prev_fcur;
    if ((char *)f == chunk_data(a->fchunk))
        frame_chunk_release(a);
    return f + 1;
}

/* ---- sensitivity environments ------------------------------------------------------- */

/* One treap node: an entry and its two subtrees.  The value follows. */
struct myrt_env {
    int64_t key;
    const myrt_sens_ops *ops;
    const myrt_env *left;       /* keys less than key */
    const myrt_env *right;      /* keys greater than key */
};
_Static_assert(sizeof(struct myrt_env) % 16 == 0, "env values are 16-aligned");

static const void *env_value(const myrt_env *e)
{
    return e + 1;
}

/* The treap priority of a key (splitmix64's finaliser). */
static uint64_t key_priority(int64_t key)
{
    uint64_t z = (uint64_t)key + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Whether key k belongs above key j (a strict total order). */
static int above(int64_t k, int64_t j)
{
    uint64_t pk = key_priority(k), pj = key_priority(j);
    return pk > pj || (pk == pj && k < j);
}

/* A new node whose value is left for the caller to fill in. */
static myrt_env *node_alloc(myrt_arena *a, int64_t key, const myrt_sens_ops *ops,
                            const myrt_env *left, const myrt_env *right)
{
    myrt_env *n = myrt_alloc(a, sizeof *n + ops->size);
    n->key = key;
    n->ops = ops;
    n->left = left;
    n->right = right;
    return n;
}

static const myrt_env *node_new(myrt_arena *a, int64_t key, const myrt_sens_ops *ops,
                                const myrt_env *left, const myrt_env *right, const void *value)
{
    myrt_env *n = node_alloc(a, key, ops, left, right);
    if (ops->size)
        memcpy(n + 1, value, ops->size);
    return n;
}

/* t's entry with these subtrees: t itself when they are t's. */
static const myrt_env *node_with(myrt_arena *a, const myrt_env *t,
                                 const myrt_env *left, const myrt_env *right)
{
    if (left == t->left && right == t->right)
        return t;
    return node_new(a, t->key, t->ops, left, right, env_value(t));
}

/* Splits t into the entries below key (*lo), above it (*hi) and key's own
   entry (*mid, or NULL). */
static void env_split(myrt_arena *a, const myrt_env *t, int64_t key,
                      const myrt_env **lo, const myrt_env **hi, const myrt_env **mid)
{
    if (!t) {
        *lo = *hi = *mid = NULL;
    } else if (key < t->key) {
        const myrt_env *l;
        env_split(a, t->left, key, lo, &l, mid);
        *hi = node_with(a, t, l, t->right);
    } else if (key > t->key) {
        const myrt_env *r;
        env_split(a, t->right, key, &r, hi, mid);
        *lo = node_with(a, t, t->left, r);
    } else {
        *lo = t->left;
        *hi = t->right;
        *mid = t;
    }
}

const myrt_env *myrt_env_set(myrt_arena *a, const myrt_env *e, int64_t key,
                             const myrt_sens_ops *ops, const void *value)
{
    if (!e || above(key, e->key)) {
        const myrt_env *lo, *hi, *mid;
        env_split(a, e, key, &lo, &hi, &mid);
        return node_new(a, key, ops, lo, hi, value);
    }
    if (key == e->key)
        return node_new(a, key, ops, e->left, e->right, value);
    if (key < e->key)
        return node_with(a, e, myrt_env_set(a, e->left, key, ops, value), e->right);
    return node_with(a, e, e->left, myrt_env_set(a, e->right, key, ops, value));
}

const void *myrt_env_get(const myrt_env *e, int64_t key)
{
    while (e && e->key != key)
        e = key < e->key ? e->left : e->right;
    return e ? env_value(e) : NULL;
}

/* The union of x and y; x_first says whether x holds the left operand of
   the sums (the operands swap as the recursion puts y's entries on top). */
static const myrt_env *env_union(myrt_arena *a, const myrt_env *x, const myrt_env *y, int x_first)
{
    if (!x)
        return y;
    if (!y)
        return x;
    if (above(y->key, x->key)) {
        const myrt_env *t = x;
        x = y;
        y = t;
        x_first = !x_first;
    }
    const myrt_env *lo, *hi, *mid;
    env_split(a, y, x->key, &lo, &hi, &mid);
    const myrt_env *left = env_union(a, x->left, lo, x_first);
    const myrt_env *right = env_union(a, x->right, hi, x_first);
    if (!mid)
        return node_with(a, x, left, right);
    const myrt_env *first = x_first ? x : mid, *second = x_first ? mid : x;
    myrt_env *n = node_alloc(a, x->key, first->ops, left, right);
    first->ops->add(a, n + 1, env_value(first), env_value(second));
    return n;
}

const myrt_env *myrt_env_add(myrt_arena *a, const myrt_env *x, const myrt_env *y)
{
    return env_union(a, x, y, 1);
}
