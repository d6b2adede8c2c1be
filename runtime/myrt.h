/*
 * myrt.h: the myc runtime, linked into programs that use compiled .my code
 * (build/libmyrt.a; `myc` itself links it too, for `myc run`).  Every
 * function here is called from generated code, so the interface uses plain
 * C types only.  The header is valid C89, C99, C11 and C++98 and later
 * (the runtime itself is built as C11).
 *
 * Runtime errors (integer // or % by zero, a zero range() step, int() of a
 * NaN or an infinity, out of memory) call the error handler.  Generated
 * code reports each error with the place in the .my source of the
 * operation that failed: the file name as it was given to `myc`, the line
 * and the column (from 1, columns in bytes).  The default handler prints
 *
 *     myc: runtime error: prog.my:LINE:COL: MESSAGE
 *
 * to stderr and aborts, as `myc run` reports them (an error with no
 * location, which only "out of memory" is, prints
 * "myc: runtime error: MESSAGE").  A program may install its own handler
 * (for example one that longjmps back to the caller, or in C++ one that
 * throws: generated code has unwind tables and this runtime is built with
 * -fexceptions, so the exception propagates to the caller's catch), of
 * either kind:
 *
 *   - myrt_set_error_handler (the original API): the handler gets the
 *     message alone, exactly as before locations existed (CPython's
 *     words, "integer division or modulo by zero", no location);
 *   - myrt_set_error_handler_at: the handler gets the message, the file,
 *     the line and the column (NULL, 0 and 0 for an error with no
 *     location).
 *
 * Each setter replaces the handler of its own kind, process-wide.  When
 * handlers of both kinds are installed, the one whose setter was called
 * last with a handler (not NULL) is called: so code that installs a
 * handler of one kind around some calls, and then restores the one it
 * replaced, overrides a handler of the other kind only meanwhile.  A
 * handler must not return: if it does, the runtime aborts.
 *
 * Arenas.  Each call of an exported entry point owns one arena: generated
 * code reserves MYRT_ARENA_SIZE bytes (16-aligned) on its C stack, calls
 * myrt_arena_enter, allocates from it, and calls myrt_arena_leave before it
 * returns, which frees everything at once (into the thread's chunk cache,
 * below).  At -O1 and above, an entry point whose optimised code turns out
 * to allocate nothing and to have no runtime error to report enters no
 * arena at all (it leaves myrt_last_stats as it was).  Arenas are per call
 * and per thread: nothing is shared between threads except the error
 * handlers (atomics), so entry points are thread-safe and reentrant.  Each
 * thread keeps a stack of its active arenas (innermost last); enter and
 * leave must nest LIFO on one thread.
 *
 * Before it calls the handler, myrt_runtime_error(_at) leaves (frees and
 * pops) this thread's innermost active arena, so a handler that longjmps
 * out of the failing call leaks nothing.  Arenas further out are untouched: their
 * owners (outer calls on this thread) are still responsible for them.  The
 * message and the location passed to myrt_runtime_error(_at) must
 * therefore not point into that arena's memory.
 */
#ifndef MYRT_H
#define MYRT_H

#include <stdint.h>

/* The header is valid C89/C99/C11 and C++98/C++11 and later: the standard
   spellings where the language has them, GNU attributes (gcc, clang) before
   that.  The alignment is part of the ABI, so a compiler with neither is
   refused rather than given a different layout. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define MYRT_NORETURN [[noreturn]]
#define MYRT_ALIGN16 alignas(16)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MYRT_NORETURN _Noreturn
#define MYRT_ALIGN16 _Alignas(16)
#elif defined(__GNUC__)
#define MYRT_NORETURN __attribute__((__noreturn__))
#define MYRT_ALIGN16 __attribute__((__aligned__(16)))
#else
#error "myrt.h needs C11, C++11, or a compiler with GNU attributes (gcc, clang)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- runtime errors ---------------------------------------------------- */

/* The original handler: the message alone (no location). */
typedef void (*myrt_error_handler)(const char *message);

/* Installs handler (NULL restores the default); returns the previous one
   (the default handler's address when none was installed).  Process-wide;
   the default, called with a message, prints "myc: runtime error:
   MESSAGE" and aborts. */
myrt_error_handler myrt_set_error_handler(myrt_error_handler handler);

/* A handler that is told where: message, the .my file (as given to myc),
   line and column (from 1; file NULL and line, col 0 when the error has no
   location). */
typedef void (*myrt_error_handler_at)(const char *message, const char *file, int line, int col);

/* Installs handler (NULL uninstalls it); returns the previous handler of
   this kind, NULL when none was installed.  Process-wide. */
myrt_error_handler_at myrt_set_error_handler_at(myrt_error_handler_at handler);

/* A place in a .my source.  Generated code passes a constant one per
   failing operation. */
typedef struct myrt_source_loc {
    const char *file;
    int line, col;
} myrt_source_loc;

/* Leaves this thread's innermost active arena (if any), then reports a
   runtime error at where (NULL: no location) through the current handler;
   never returns. */
MYRT_NORETURN void myrt_runtime_error_at(const char *message, const myrt_source_loc *where);

/* myrt_runtime_error_at(message, NULL): an error with no location. */
MYRT_NORETURN void myrt_runtime_error(const char *message);

/* ---- arenas -------------------------------------------------------------- */

struct myrt_chunk;      /* private to myrt.c */
struct myrt_frame;      /* private to myrt.c */
struct myrt_bigs;       /* private to myrt.c */

/* The per-call memory of one exported entry point.  The fields are private
   to the runtime and to the code myc generates (which inlines the common
   paths of myrt_alloc, myrt_frame_push and myrt_frame_pop, so a program
   must link the runtime of the myc that compiled it): use the arena only
   through the functions below.  A zero-filled arena is not valid;
   myrt_arena_enter initialises it. */
typedef struct myrt_arena {
    /* myrt_alloc: a bump region in the newest chunk, older chunks behind it */
    MYRT_ALIGN16 struct myrt_chunk *chunk;
    char *cur, *end;
    uint64_t next_cap;              /* capacity of the next ordinary chunk */
    /* myrt_frame_push/pop: a LIFO stack in chunks of its own */
    struct myrt_chunk *fchunk;      /* chunk holding the top frame, or NULL */
    struct myrt_frame *ftop;        /* top frame, or NULL */
    char *fcur;                     /* first free byte in fchunk */
    char *fend;                     /* the end of fchunk's data, or NULL */
    struct myrt_chunk *fspare;      /* emptied frame chunks kept for reuse (a list) */
    /* statistics (see myrt_stats) */
    uint64_t bytes, fbytes, fpeak, nchunks, nreused;
    /* the thread's next arena out */
    struct myrt_arena *outer;
    /* list buffers of MYRT_LIST_BIG_BYTES or more: blocks of their own
       (myrt_list_alloc), or NULL before the first */
    struct myrt_bigs *bigs;
} myrt_arena;

#define MYRT_ARENA_SIZE 128     /* == sizeof(myrt_arena); checked in myrt.c */

/* Initialises a, empty (allocates nothing yet) and makes it this thread's
   innermost active arena. */
void myrt_arena_enter(myrt_arena *a);

/* Frees everything a holds (allocations, frames, env entries, list
   buffers), records its
   statistics for myrt_last_stats and pops it; a must be this thread's
   innermost active arena (otherwise the runtime aborts: a bug in the
   caller). */
void myrt_arena_leave(myrt_arena *a);

/* size bytes (uninitialised), 16-byte aligned, valid until myrt_arena_leave.
   Never NULL: out of memory is the runtime error "out of memory".  size 0
   gives a valid, distinct pointer. */
void *myrt_alloc(myrt_arena *a, uint64_t size);

/* ---- list buffers ------------------------------------------------------------- */

/* The items of a list live in one buffer (generated code's layout, see
   docs/backend.md).  A buffer of fewer than MYRT_LIST_BIG_BYTES bytes is
   ordinary arena memory (myrt_alloc); a larger one is a block of its own,
   from malloc, that the arena records and frees when it is left (also when
   a runtime error leaves it) unless myrt_list_release handed it over.  Which of the two a buffer is follows from
   its size alone, so code that knows a buffer's capacity knows whether it
   may be resized in place. */
#define MYRT_LIST_BIG_BYTES ((uint64_t)1 << 16)

/* A buffer of size bytes (uninitialised, 16-byte aligned), valid until
   myrt_arena_leave; size 0 gives a valid pointer.  "out of memory" is a
   runtime error. */
void *myrt_list_alloc(myrt_arena *a, uint64_t size);

/* Grows buffer data, of cap bytes of which the first used are in use (a
   buffer from myrt_list_alloc or myrt_list_grow of exactly cap bytes, or
   NULL with cap 0), to size bytes (size > cap): returns a buffer of size
   bytes holding those used bytes.  data must not be used afterwards: a
   large block is resized (realloc), an arena buffer is left behind. */
void *myrt_list_grow(myrt_arena *a, void *data, uint64_t used, uint64_t cap, uint64_t size);

/* size bytes from malloc, for a result that outlives the arena (the caller
   frees it); "out of memory" is a runtime error.  size 0 gives a valid
   pointer. */
void *myrt_list_out(uint64_t size);

/* The first used bytes of buffer data as a block from malloc that outlives
   a, for the caller to free: when data is a large buffer of a's (from
   myrt_list_alloc or myrt_list_grow, still a's), that block itself,
   which a then no longer owns (no copy; the block may hold more than used
   bytes); otherwise a copy (myrt_list_out).  data may be any readable
   memory of used bytes (NULL when used is 0). */
void *myrt_list_release(myrt_arena *a, const void *data, uint64_t used);

/* ---- frames ------------------------------------------------------------------ */

/* A LIFO stack of frames on the heap, owned by the arena (generated code
   uses it to run recursion without the C stack).  Frames never move while
   they are on the stack.  myrt_frame_push returns a 16-aligned payload of
   size bytes (uninitialised); myrt_frame_pop pops the top frame (the stack
   must not be empty) and returns its payload, valid until the next push. */
void *myrt_frame_push(myrt_arena *a, uint64_t size);
void *myrt_frame_pop(myrt_arena *a);

/* ---- sensitivity environments ------------------------------------------------ */

/* Persistent maps from int64 keys to values of any type (the value type is
   fixed per key).  An env is a pointer into the arena that built it; NULL is
   the empty env.  Envs are never modified: every operation returns a new
   env sharing structure with its operands.  Each entry carries an ops record
   (generated code emits one per value type) so that two envs can be summed.
   Values are stored 16-aligned; they are plain bytes (an env of envs stores
   env pointers). */
typedef struct myrt_sens_ops {
    uint64_t size;                                                     /* bytes of a value */
    void (*add)(myrt_arena *a, void *dst, const void *x, const void *y); /* dst = x + y (dst may alias neither) */
} myrt_sens_ops;

typedef struct myrt_env myrt_env;

/* e with key -> a copy of value (ops->size bytes), replacing any previous
   value of key; e is unchanged.  O(log n) expected. */
const myrt_env *myrt_env_set(myrt_arena *a, const myrt_env *e, int64_t key,
                             const myrt_sens_ops *ops, const void *value);

/* The value stored under key (16-aligned, read-only), or NULL. */
const void *myrt_env_get(const myrt_env *e, int64_t key);

/* The keys of both; the value of a key in both is x's value + y's value,
   computed by x's entry's ops->add (the ops of one key must agree in both).
   Shares every subtree it can; x and y are unchanged. */
const myrt_env *myrt_env_add(myrt_arena *a, const myrt_env *x, const myrt_env *y);

/* ---- statistics ------------------------------------------------------------------ */

/* Of the last arena this thread left (all zero before any):
   arena_bytes       bytes handed out by myrt_alloc (sizes rounded up to 16;
                     env entries included);
   frame_peak_bytes  the most bytes the frame stack held at once (payloads
                     rounded up to 16, plus 16 bytes of header per frame);
   chunks            the chunks it used (allocation and frame chunks
                     together), from malloc or from the chunk cache;
   reused_chunks     how many of those came from the chunk cache;
   big_peak_bytes    the most bytes its large list buffers (myrt_list_alloc,
                     MYRT_LIST_BIG_BYTES or more each) held at once (a list's
                     smaller buffers are in arena_bytes);
   big_blocks        how many large list buffers it allocated (a buffer
                     grown in place by myrt_list_grow counts once). */
typedef struct myrt_stats {
    uint64_t arena_bytes;
    uint64_t frame_peak_bytes;
    uint64_t chunks;
    uint64_t reused_chunks;
    uint64_t big_peak_bytes;
    uint64_t big_blocks;
} myrt_stats;

void myrt_last_stats(myrt_stats *out);

/* ---- the chunk cache ------------------------------------------------------------- */

/* An arena that is left does not return its memory to malloc at once: its
   chunks go to a cache of the calling thread, and later arenas on that
   thread take their chunks from it first.  A program that calls a gradient
   in a loop therefore reuses memory already mapped instead of mapping,
   zeroing and unmapping it on every call (as a hand-written adjoint reuses
   its tape through malloc).  A thread's cache holds at most the limit
   (default MYRT_CACHE_DEFAULT_LIMIT bytes of chunk capacity; chunks that do
   not fit are freed), and is freed when the thread exits.

   myrt_set_cache_limit sets the limit for every thread (0 turns the cache
   off) and returns the previous one; a lower limit applies to chunks cached
   from then on.  myrt_cache_release frees the calling thread's cache now
   (for example after a large gradient that will not be repeated). */
#define MYRT_CACHE_DEFAULT_LIMIT ((uint64_t)64 << 20)

uint64_t myrt_set_cache_limit(uint64_t bytes);
void myrt_cache_release(void);

#ifdef __cplusplus
}
#endif

#endif
