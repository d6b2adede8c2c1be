/*
 * test_runtime.c: the runtime (runtime/myrt.h): the replaceable error
 * handler, arenas, the frame stack, sensitivity environments, statistics,
 * and all of it from several threads at once.
 *
 * Runs under ASan+UBSan with leak detection (Makefile `units`), so every
 * test that leaves or errors out of an arena also checks that nothing
 * leaked.  The error handlers are process-wide; the tests that install one
 * run on the main thread and restore the default.  The default handler's
 * output (it aborts) is checked in a child process.
 */
#include "unit.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "myrt.h"

static jmp_buf back;
static char seen[128];

static void catching_handler(const char *message)
{
    strncpy(seen, message, sizeof seen - 1);
    longjmp(back, 1);
}

/* What the located handler was told last. */
static struct {
    char message[128], file[128];
    bool file_null;
    int line, col, calls;
} seen_at;

static void catching_handler_at(const char *message, const char *file, int line, int col)
{
    seen_at.calls++;
    snprintf(seen_at.message, sizeof seen_at.message, "%s", message);
    seen_at.file_null = file == NULL;
    snprintf(seen_at.file, sizeof seen_at.file, "%s", file ? file : "");
    seen_at.line = line;
    seen_at.col = col;
    longjmp(back, 1);
}

static void reset_seen(void)
{
    memset(&seen_at, 0, sizeof seen_at);
    seen[0] = 0;
}

static const myrt_source_loc here = {"prog.my", 12, 7};

static bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

/* ---- the error handler --------------------------------------------------- */

static void test_installed_handler_receives_message(void **state)
{
    (void)state;
    myrt_error_handler old = myrt_set_error_handler(catching_handler);
    if (setjmp(back) == 0) {
        myrt_runtime_error("integer division or modulo by zero");
        fail_msg("myrt_runtime_error returned");
    }
    assert_string_equal(seen, "integer division or modulo by zero");
    assert_ptr_equal(myrt_set_error_handler(old), catching_handler);
}

static void test_null_restores_default(void **state)
{
    (void)state;
    myrt_set_error_handler(catching_handler);
    myrt_error_handler prev = myrt_set_error_handler(NULL);
    assert_ptr_equal(prev, catching_handler);
    /* The default is back: installing again returns something else. */
    assert_ptr_not_equal(myrt_set_error_handler(NULL), catching_handler);
}

static void test_located_handler_receives_location(void **state)
{
    (void)state;
    reset_seen();
    assert_null(myrt_set_error_handler_at(catching_handler_at));
    if (setjmp(back) == 0) {
        myrt_runtime_error_at("integer modulo by zero", &here);
        fail_msg("myrt_runtime_error_at returned");
    }
    assert_int_equal(seen_at.calls, 1);
    assert_string_equal(seen_at.message, "integer modulo by zero");
    assert_string_equal(seen_at.file, "prog.my");
    assert_int_equal(seen_at.line, 12);
    assert_int_equal(seen_at.col, 7);
    /* no location: NULL, 0, 0 (from either entry) */
    static const myrt_source_loc nowhere = {NULL, 3, 4};
    const myrt_source_loc *const cases[] = {NULL, &nowhere};
    for (volatile int i = 0; i < 3; i++) {
        reset_seen();
        if (setjmp(back) == 0) {
            if (i < 2)
                myrt_runtime_error_at("out of memory", cases[i]);
            else
                myrt_runtime_error("out of memory");
        }
        assert_int_equal(seen_at.calls, 1);
        assert_string_equal(seen_at.message, "out of memory");
        assert_true(seen_at.file_null);
        assert_int_equal(seen_at.line, 0);
        assert_int_equal(seen_at.col, 0);
    }
    assert_ptr_equal(myrt_set_error_handler_at(NULL), catching_handler_at);
    assert_null(myrt_set_error_handler_at(NULL));
}

/* The original handler gets the message alone, as before locations. */
static void test_message_handler_gets_message_alone(void **state)
{
    (void)state;
    reset_seen();
    myrt_error_handler old = myrt_set_error_handler(catching_handler);
    if (setjmp(back) == 0)
        myrt_runtime_error_at("integer division or modulo by zero", &here);
    assert_string_equal(seen, "integer division or modulo by zero");
    assert_ptr_equal(myrt_set_error_handler(old), catching_handler);
}

/* Both kinds installed: the one installed last is called; restoring what a
   setter returned hands back to the other kind. */
static void test_handler_kinds_last_installed_wins(void **state)
{
    (void)state;
    /* located first, then a message handler around some calls */
    myrt_set_error_handler_at(catching_handler_at);
    myrt_error_handler prev = myrt_set_error_handler(catching_handler);
    reset_seen();
    if (setjmp(back) == 0)
        myrt_runtime_error_at("a", &here);
    assert_string_equal(seen, "a");
    assert_int_equal(seen_at.calls, 0);
    myrt_set_error_handler(prev);       /* the default: the located one is called again */
    reset_seen();
    if (setjmp(back) == 0)
        myrt_runtime_error_at("b", &here);
    assert_int_equal(seen_at.calls, 1);
    assert_string_equal(seen_at.message, "b");
    assert_string_equal(seen, "");
    myrt_set_error_handler_at(NULL);

    /* a message handler first, then a located one around some calls */
    myrt_set_error_handler(catching_handler);
    myrt_error_handler_at prev_at = myrt_set_error_handler_at(catching_handler_at);
    assert_null(prev_at);
    reset_seen();
    if (setjmp(back) == 0)
        myrt_runtime_error_at("c", &here);
    assert_int_equal(seen_at.calls, 1);
    assert_string_equal(seen, "");
    myrt_set_error_handler_at(prev_at);
    reset_seen();
    if (setjmp(back) == 0)
        myrt_runtime_error_at("d", &here);
    assert_int_equal(seen_at.calls, 0);
    assert_string_equal(seen, "d");
    myrt_set_error_handler(NULL);
}

/* The default handler's stderr line and abort, in a child process:
   located errors name the place, others keep the original form; the
   default returned by myrt_set_error_handler prints what it is given. */
static void expect_default_output(int which, const char *want)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        myrt_set_error_handler(NULL);
        myrt_set_error_handler_at(NULL);
        if (which == 0)
            myrt_runtime_error_at("integer division or modulo by zero", &here);
        else if (which == 1)
            myrt_runtime_error("out of memory");
        else
            myrt_set_error_handler(NULL)("range() arg 3 must not be zero");
        _exit(0);
    }
    close(fds[1]);
    char buf[512];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = 0;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_string_equal(buf, want);
}

static void test_default_handler_output(void **state)
{
    (void)state;
    expect_default_output(0, "myc: runtime error: prog.my:12:7: integer division or modulo by zero\n");
    expect_default_output(1, "myc: runtime error: out of memory\n");
    expect_default_output(2, "myc: runtime error: range() arg 3 must not be zero\n");
}

/* ---- arenas ----------------------------------------------------------------- */

static void test_arena_size_and_alignment(void **state)
{
    (void)state;
    assert_int_equal(sizeof(myrt_arena), MYRT_ARENA_SIZE);
    assert_true(MYRT_ARENA_SIZE <= 128);
    myrt_arena a;
    myrt_arena_enter(&a);
    unsigned char *prev = NULL;
    for (uint64_t size = 0; size < 300; size++) {
        unsigned char *p = myrt_alloc(&a, size);
        assert_non_null(p);
        assert_true(aligned16(p));
        assert_ptr_not_equal(p, prev);
        memset(p, 0xab, size);              /* ASan checks the bounds */
        prev = p;
    }
    /* A request larger than a chunk gets one of its own; small ones go on. */
    unsigned char *big = myrt_alloc(&a, 1 << 20);
    assert_true(aligned16(big));
    memset(big, 1, 1 << 20);
    unsigned char *small = myrt_alloc(&a, 24);
    assert_true(aligned16(small));
    memset(small, 2, 24);
    assert_int_equal(big[(1 << 20) - 1], 1);
    myrt_arena_leave(&a);
}

static void test_million_allocations(void **state)
{
    (void)state;
    enum { N = 1000000 };
    myrt_arena a;
    myrt_arena_enter(&a);
    int64_t **ptrs = myrt_alloc(&a, N * sizeof *ptrs);
    for (int64_t i = 0; i < N; i++) {
        ptrs[i] = myrt_alloc(&a, sizeof(int64_t));
        *ptrs[i] = i * 7;
    }
    for (int64_t i = 0; i < N; i++)
        assert_true(*ptrs[i] == i * 7);
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, (uint64_t)N * 16 + (uint64_t)N * sizeof *ptrs);
    assert_true(st.chunks < 40);           /* geometric growth, not one per allocation */
    assert_int_equal(st.frame_peak_bytes, 0);
}

/* ---- frames ----------------------------------------------------------------- */

/* A deterministic pseudo-random sequence (no shared state: each caller
   owns its seed). */
static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005u + 1442695040888963407u;
    return *seed >> 33;
}


static uint64_t frame_size(int i)
{
    return (uint64_t)(8 * (i % 97) + (i % 3));     /* 0 .. 778 bytes, odd sizes too */
}

static void fill(unsigned char *p, uint64_t n, int i)
{
    for (uint64_t k = 0; k < n; k++)
        p[k] = (unsigned char)(i * 31 + (int)k);
}

static bool intact(const unsigned char *p, uint64_t n, int i)
{
    for (uint64_t k = 0; k < n; k++)
        if (p[k] != (unsigned char)(i * 31 + (int)k))
            return false;
    return true;
}

static void test_frames_across_chunks(void **state)
{
    (void)state;
    enum { N = 5000 };
    static unsigned char *at[N];
    myrt_arena a;
    myrt_arena_enter(&a);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            at[i] = myrt_frame_push(&a, frame_size(i));
            assert_true(aligned16(at[i]));
            fill(at[i], frame_size(i), i);
        }
        /* Frames never moved: every payload is still where and what it was. */
        for (int i = 0; i < N; i++)
            assert_true(intact(at[i], frame_size(i), i));
        /* Pop half, push them again, then pop everything in LIFO order. */
        for (int i = N - 1; i >= N / 2; i--) {
            unsigned char *p = myrt_frame_pop(&a);
            assert_ptr_equal(p, at[i]);
            assert_true(intact(p, frame_size(i), i));
        }
        for (int i = N / 2; i < N; i++) {
            at[i] = myrt_frame_push(&a, frame_size(i));
            fill(at[i], frame_size(i), i);
        }
        for (int i = N - 1; i >= 0; i--) {
            unsigned char *p = myrt_frame_pop(&a);
            assert_ptr_equal(p, at[i]);
            assert_true(intact(p, frame_size(i), i));
        }
    }
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    uint64_t total = 0;
    for (int i = 0; i < N; i++)
        total += 16 + ((frame_size(i) + 15) & ~(uint64_t)15);
    assert_int_equal(st.frame_peak_bytes, total);
    assert_int_equal(st.arena_bytes, 0);
}

/* Chunks the frame stack used for `waves` rounds of pushing n frames of
   `size` bytes and popping them all. */
static uint64_t frame_chunks(int waves, int n, uint64_t size)
{
    myrt_arena a;
    myrt_arena_enter(&a);
    for (int w = 0; w < waves; w++) {
        for (int i = 0; i < n; i++)
            memset(myrt_frame_push(&a, size), w, size);
        for (int i = 0; i < n; i++)
            myrt_frame_pop(&a);
    }
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    return st.chunks;
}

/* A reverse pass after a forward pass (a loop's gradient) pushes into the
   chunks the forward frames emptied: no new chunk. */
static void test_emptied_frame_chunks_are_reused(void **state)
{
    (void)state;
    uint64_t one = frame_chunks(1, 100000, 40);
    assert_true(one > 5);
    assert_int_equal(frame_chunks(3, 100000, 40), one);
    assert_int_equal(frame_chunks(2, 3000, 700), frame_chunks(1, 3000, 700));
}

static void test_frame_oscillation_at_boundary(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    /* Push until a frame lands at the start of a second chunk. */
    unsigned char *prev = myrt_frame_push(&a, 48);
    int depth = 1;
    for (;;) {
        unsigned char *p = myrt_frame_push(&a, 48);
        depth++;
        if (p != prev + 64)
            break;
        prev = p;
    }
    /* Oscillate across the boundary: the emptied chunk is reused, not
       freed and malloc'd again. */
    for (int i = 0; i < 10000; i++) {
        myrt_frame_pop(&a);
        unsigned char *p = myrt_frame_push(&a, 48);
        fill(p, 48, i);
        assert_true(intact(p, 48, i));
    }
    for (int i = 0; i < depth; i++)
        myrt_frame_pop(&a);
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.chunks, 2);
    assert_int_equal(st.frame_peak_bytes, (uint64_t)depth * 64);
}

/* Generated code inlines the common paths of push and pop (src/backend/
   runtime.c, the fast paths): push bumps fcur when fend - fcur has room; pop is
   inline when the top frame's prev_fcur (its header's second word) is the
   frame itself, which must mean that popping it releases no chunk.  A
   random walk checks both predictions against the runtime at every step. */
static void test_frame_fields_for_inline_paths(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    uint64_t seed = 99;
    int depth = 0, slow_pushes = 0, slow_pops = 0;
    for (int step = 0; step < 200000; step++) {
        assert_true((a.fchunk == NULL) == (a.fend == NULL));
        assert_true(!a.fchunk || (a.fcur <= a.fend));
        bool push = depth == 0 || next_random(&seed) % 100 < (step < 100000 ? 55 : 45);
        if (push) {
            uint64_t size = next_random(&seed) % 300;
            uint64_t n = 16 + ((size + 15) & ~(uint64_t)15);
            char *fcur = a.fcur;
            bool fits = a.fchunk && (uint64_t)(a.fend - a.fcur) >= n;
            char *p = myrt_frame_push(&a, size);
            assert_true(fits == (p == fcur + 16));
            slow_pushes += !fits;
            assert_ptr_equal(a.ftop, p - 16);
            depth++;
        } else {
            char *top = (char *)a.ftop;
            bool same_chunk = ((char **)(void *)top)[1] == top;
            struct myrt_chunk *chunk = a.fchunk;
            myrt_frame_pop(&a);
            assert_true(same_chunk == (a.fchunk == chunk));
            slow_pops += !same_chunk;
            if (same_chunk)
                assert_ptr_equal(a.fcur, top);
            depth--;
        }
    }
    assert_true(slow_pushes > 10 && slow_pops > 10);   /* the walk crossed chunk boundaries */
    myrt_arena_leave(&a);
}

/* ---- sensitivity environments ---------------------------------------------- */

static void add_double(myrt_arena *a, void *dst, const void *x, const void *y)
{
    (void)a;
    double r = *(const double *)x + *(const double *)y;
    memcpy(dst, &r, sizeof r);
}

static const myrt_sens_ops double_ops = {sizeof(double), add_double};

typedef struct pair {
    double a, b;
} pair;

static void add_pair(myrt_arena *a, void *dst, const void *x, const void *y)
{
    (void)a;
    const pair *p = x, *q = y;
    pair r = {p->a + q->a, p->b + q->b};
    memcpy(dst, &r, sizeof r);
}

static const myrt_sens_ops pair_ops = {sizeof(pair), add_pair};

/* Not a sum: 10 x + y shows which operand came from which env. */
static void add_ordered(myrt_arena *a, void *dst, const void *x, const void *y)
{
    (void)a;
    double r = 10 * *(const double *)x + *(const double *)y;
    memcpy(dst, &r, sizeof r);
}

static const myrt_sens_ops ordered_ops = {sizeof(double), add_ordered};

/* Values that are envs themselves (an env of envs). */
static void add_env(myrt_arena *a, void *dst, const void *x, const void *y)
{
    const myrt_env *r = myrt_env_add(a, *(const myrt_env *const *)x, *(const myrt_env *const *)y);
    memcpy(dst, &r, sizeof r);
}

static const myrt_sens_ops env_ops = {sizeof(const myrt_env *), add_env};

static double get_double(const myrt_env *e, int64_t key)
{
    const double *v = myrt_env_get(e, key);
    assert_non_null(v);
    assert_true(aligned16(v));
    return *v;
}

static void test_env_set_get_replace(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    assert_null(myrt_env_get(NULL, 3));
    double one = 1.0, two = 2.0, three = 3.0;
    const myrt_env *e1 = myrt_env_set(&a, NULL, 7, &double_ops, &one);
    const myrt_env *e2 = myrt_env_set(&a, e1, -4, &double_ops, &two);
    const myrt_env *e3 = myrt_env_set(&a, e2, 7, &double_ops, &three);   /* replaces */
    assert_true(get_double(e1, 7) == 1.0);
    assert_null(myrt_env_get(e1, -4));
    assert_true(get_double(e2, 7) == 1.0);
    assert_true(get_double(e2, -4) == 2.0);
    assert_true(get_double(e3, 7) == 3.0);                 /* the new value */
    assert_true(get_double(e3, -4) == 2.0);
    assert_true(get_double(e2, 7) == 1.0);                 /* e2 unchanged */
    assert_null(myrt_env_get(e3, 0));
    pair p = {1.5, -2.5};
    const myrt_env *e4 = myrt_env_set(&a, e3, INT64_MIN, &pair_ops, &p);
    const pair *got = myrt_env_get(e4, INT64_MIN);
    assert_true(aligned16(got));
    assert_true(got->a == 1.5 && got->b == -2.5);
    myrt_arena_leave(&a);
}

enum { KEYS = 1001, KEY_MIN = -500 };

/* Against a reference array: many sets, replacements, and persistence of
   an earlier version. */
static void test_env_against_reference(void **state)
{
    (void)state;
    static double ref[KEYS], snap_ref[KEYS];
    static bool has[KEYS], snap_has[KEYS];
    memset(has, 0, sizeof has);
    myrt_arena a;
    myrt_arena_enter(&a);
    uint64_t seed = 42;
    const myrt_env *e = NULL, *snap = NULL;
    for (int i = 0; i < 4000; i++) {
        int k = (int)(next_random(&seed) % KEYS);
        double v = (double)next_random(&seed) / 1024.0;
        e = myrt_env_set(&a, e, k + KEY_MIN, &double_ops, &v);
        ref[k] = v;
        has[k] = true;
        if (i == 1500) {
            snap = e;
            memcpy(snap_ref, ref, sizeof ref);
            memcpy(snap_has, has, sizeof has);
        }
    }
    for (int k = 0; k < KEYS; k++) {
        if (has[k])
            assert_true(get_double(e, k + KEY_MIN) == ref[k]);
        else
            assert_null(myrt_env_get(e, k + KEY_MIN));
        if (snap_has[k])
            assert_true(get_double(snap, k + KEY_MIN) == snap_ref[k]);
        else
            assert_null(myrt_env_get(snap, k + KEY_MIN));
    }
    myrt_arena_leave(&a);
}

static void test_env_add(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    /* x: keys divisible by 2, value k; y: keys divisible by 3, value 100 k. */
    const myrt_env *x = NULL, *y = NULL;
    for (int64_t k = -60; k <= 60; k++) {
        double vx = (double)k, vy = 100.0 * (double)k;
        if (k % 2 == 0)
            x = myrt_env_set(&a, x, k, &double_ops, &vx);
        if (k % 3 == 0)
            y = myrt_env_set(&a, y, k, &double_ops, &vy);
    }
    const myrt_env *s = myrt_env_add(&a, x, y);
    for (int64_t k = -61; k <= 61; k++) {
        bool in_x = k % 2 == 0 && k >= -60 && k <= 60, in_y = k % 3 == 0 && k >= -60 && k <= 60;
        if (!in_x && !in_y) {
            assert_null(myrt_env_get(s, k));
            continue;
        }
        double want = (in_x ? (double)k : 0.0) + (in_y ? 100.0 * (double)k : 0.0);
        assert_true(get_double(s, k) == want);
    }
    /* Operands unchanged; the empty env is the identity. */
    assert_true(get_double(x, 6) == 6.0);
    assert_true(get_double(y, 6) == 600.0);
    assert_ptr_equal(myrt_env_add(&a, x, NULL), x);
    assert_ptr_equal(myrt_env_add(&a, NULL, y), y);
    assert_null(myrt_env_add(&a, NULL, NULL));
    myrt_arena_leave(&a);
}

static void test_env_add_pairs_and_order(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    const myrt_env *x = NULL, *y = NULL;
    for (int64_t k = 0; k < 200; k++) {
        pair p = {(double)k, 1.0}, q = {0.5, (double)-k};
        double ox = (double)k, oy = 1.0;
        x = myrt_env_set(&a, x, 2 * k, &pair_ops, &p);
        y = myrt_env_set(&a, y, 2 * k, &pair_ops, &q);
        x = myrt_env_set(&a, x, 2 * k + 1, &ordered_ops, &ox);
        y = myrt_env_set(&a, y, 2 * k + 1, &ordered_ops, &oy);
    }
    const myrt_env *s = myrt_env_add(&a, x, y);
    for (int64_t k = 0; k < 200; k++) {
        const pair *p = myrt_env_get(s, 2 * k);
        assert_true(p->a == (double)k + 0.5 && p->b == 1.0 - (double)k);
        /* x's value is the left operand, whatever the treap's shapes. */
        assert_true(get_double(s, 2 * k + 1) == 10.0 * (double)k + 1.0);
    }
    myrt_arena_leave(&a);
}

static void test_env_of_envs(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    double one = 1.0, two = 2.0;
    const myrt_env *in1 = myrt_env_set(&a, NULL, 1, &double_ops, &one);
    const myrt_env *in2 = myrt_env_set(&a, myrt_env_set(&a, NULL, 1, &double_ops, &two), 2,
                                       &double_ops, &two);
    const myrt_env *x = myrt_env_set(&a, NULL, 10, &env_ops, &in1);
    const myrt_env *y = myrt_env_set(&a, NULL, 10, &env_ops, &in2);
    const myrt_env *s = myrt_env_add(&a, x, y);
    const myrt_env *const *inner = myrt_env_get(s, 10);
    assert_non_null(inner);
    assert_true(get_double(*inner, 1) == 3.0);
    assert_true(get_double(*inner, 2) == 2.0);
    myrt_arena_leave(&a);
}

/* ---- statistics and nesting ------------------------------------------------------ */

static void test_stats(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    myrt_alloc(&a, 1);          /* 16 */
    myrt_alloc(&a, 0);          /* 16 */
    myrt_alloc(&a, 33);         /* 48 */
    myrt_frame_push(&a, 100);   /* 16 + 112 */
    myrt_frame_push(&a, 0);     /* 16 */
    myrt_frame_pop(&a);
    myrt_frame_pop(&a);
    myrt_frame_push(&a, 16);    /* 32: below the peak */
    myrt_arena_leave(&a);       /* a frame still on the stack is freed too */
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, 80);
    assert_int_equal(st.frame_peak_bytes, 144);
    assert_int_equal(st.chunks, 2);
}

/* Enters an arena per level, as nested entry-point calls would. */
static uint64_t nest(int depth)
{
    myrt_arena a;
    myrt_arena_enter(&a);
    uint64_t *p = myrt_alloc(&a, sizeof *p);
    *p = (uint64_t)depth;
    for (int i = 0; i < depth; i++)
        myrt_alloc(&a, 16);
    uint64_t below = depth ? nest(depth - 1) : 0;
    myrt_stats st;
    myrt_last_stats(&st);
    if (depth)
        assert_int_equal(st.arena_bytes, 16 * (uint64_t)depth);     /* the level below */
    uint64_t mine = *p;                     /* still ours after the inner arenas left */
    myrt_arena_leave(&a);
    return mine + below;
}

static void test_nested_arenas(void **state)
{
    (void)state;
    assert_int_equal(nest(50), 50 * 51 / 2);
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, 16 * 51);
}

/* ---- list buffers ---------------------------------------------------------------- */

/* Small buffers are arena memory; large ones are blocks of their own,
   counted apart, and growing keeps what is in use. */
static void test_list_buffers(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    double *small = myrt_list_alloc(&a, 3 * sizeof(double));
    assert_int_equal((uintptr_t)small % 16, 0);
    small[0] = 1.5, small[1] = 2.5, small[2] = 3.5;
    double *grown = myrt_list_grow(&a, small, 3 * sizeof(double), 3 * sizeof(double), 6 * sizeof(double));
    assert_true(grown != small);
    assert_true(grown[0] == 1.5 && grown[1] == 2.5 && grown[2] == 3.5);
    assert_non_null(myrt_list_alloc(&a, 0));
    /* from empty (NULL, 0) straight to a large block, then doubled twice */
    uint64_t n = MYRT_LIST_BIG_BYTES / sizeof(int64_t);
    int64_t *big = myrt_list_grow(&a, NULL, 0, 0, n * sizeof(int64_t));
    assert_int_equal((uintptr_t)big % 16, 0);
    for (uint64_t i = 0; i < n; i++)
        big[i] = (int64_t)i * 7;
    for (int k = 0; k < 2; k++) {
        big = myrt_list_grow(&a, big, n * sizeof(int64_t), n * sizeof(int64_t), 2 * n * sizeof(int64_t));
        for (uint64_t i = 0; i < n; i++)
            assert_int_equal(big[i], (int64_t)i * 7);
        for (uint64_t i = n; i < 2 * n; i++)
            big[i] = (int64_t)i * 7;
        n *= 2;
    }
    /* another large block next to it, so that relinking is exercised */
    char *other = myrt_list_alloc(&a, MYRT_LIST_BIG_BYTES + 1);
    memset(other, 0x5a, MYRT_LIST_BIG_BYTES + 1);
    big = myrt_list_grow(&a, big, n * sizeof(int64_t), n * sizeof(int64_t), 2 * n * sizeof(int64_t));
    assert_int_equal(big[n - 1], (int64_t)(n - 1) * 7);
    assert_int_equal((unsigned char)other[MYRT_LIST_BIG_BYTES], 0x5a);
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, 32 + 48 + 16);     /* the three small buffers */
    assert_int_equal(st.big_blocks, 2);
    assert_int_equal(st.big_peak_bytes, 8 * MYRT_LIST_BIG_BYTES + MYRT_LIST_BIG_BYTES + 1);
    /* an arena without large buffers reports none */
    myrt_arena_enter(&a);
    myrt_list_alloc(&a, 100);
    myrt_arena_leave(&a);
    myrt_last_stats(&st);
    assert_int_equal(st.big_blocks, 0);
    assert_int_equal(st.big_peak_bytes, 0);
}

/* myrt_list_release: a large block of the arena is handed over as it is
   (the arena no longer frees it: the caller does, with free; ASan would
   report a double free or a leak), at its address even after a realloc
   moved it and with another block linked after it; anything else -- a
   small buffer, memory the arena does not own, a block released already
   -- is copied. */
static void test_list_release(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    uint64_t n = MYRT_LIST_BIG_BYTES / sizeof(double);
    double *big = myrt_list_alloc(&a, n * sizeof(double));
    for (uint64_t i = 0; i < n; i++)
        big[i] = 0.5 * (double)i;
    big = myrt_list_grow(&a, big, n * sizeof(double), n * sizeof(double), 4 * n * sizeof(double));
    big[n] = -1.0;
    char *other = myrt_list_alloc(&a, MYRT_LIST_BIG_BYTES);
    memset(other, 0x33, MYRT_LIST_BIG_BYTES);
    double *out = myrt_list_release(&a, big, (n + 1) * sizeof(double));
    assert_ptr_equal(out, big);
    assert_true(out[n - 1] == 0.5 * (double)(n - 1) && out[n] == -1.0);
    /* released twice: the second is a copy */
    double *again = myrt_list_release(&a, big, 2 * sizeof(double));
    assert_true(again != big && again[1] == 0.5);
    /* a small buffer and foreign memory: copies */
    int64_t *small = myrt_list_alloc(&a, 2 * sizeof(int64_t));
    small[0] = 7, small[1] = -7;
    int64_t *s2 = myrt_list_release(&a, small, 2 * sizeof(int64_t));
    assert_true(s2 != small && s2[0] == 7 && s2[1] == -7);
    static const double foreign[3] = {1.0, 2.0, 3.0};
    double *f2 = myrt_list_release(&a, foreign, sizeof foreign);
    assert_true(f2 != foreign && f2[2] == 3.0);
    double *none = myrt_list_release(&a, NULL, 0);
    assert_non_null(none);
    myrt_arena_leave(&a);
    /* the arena freed `other` and not `out`, which is still readable */
    assert_true(out[n] == -1.0);
    free(out);
    free(again);
    free(s2);
    free(f2);
    free(none);
}

/* 10^7 doubles appended one at a time with doubling: O(log n) grows, one
   block at the end, freed with the arena (valgrind/ASan see no leak). */
static void test_list_ten_million_appends(void **state)
{
    (void)state;
    myrt_arena a;
    myrt_arena_enter(&a);
    double *d = NULL;
    uint64_t len = 0, cap = 0, grows = 0;
    for (uint64_t i = 0; i < 10000000; i++) {
        if (len == cap) {
            uint64_t ncap = cap ? 2 * cap : 4;
            d = myrt_list_grow(&a, d, len * sizeof *d, cap * sizeof *d, ncap * sizeof *d);
            cap = ncap;
            grows++;
        }
        d[len++] = (double)i;
    }
    double s = 0;
    for (uint64_t i = 0; i < len; i++)
        s += d[i];
    assert_true(s == 49999995000000.0);
    assert_true(grows < 30);
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    assert_true(st.big_peak_bytes >= 80000000 && st.big_peak_bytes <= 2 * 80000000);
    assert_true(st.arena_bytes < MYRT_LIST_BIG_BYTES * 2);
}

/* ---- errors out of an arena --------------------------------------------------------- */

static void test_error_releases_innermost_arena(void **state)
{
    (void)state;
    myrt_error_handler old = myrt_set_error_handler(catching_handler);
    myrt_arena outer, inner;
    myrt_arena_enter(&outer);
    int64_t *kept = myrt_alloc(&outer, sizeof *kept);
    *kept = 42;
    if (setjmp(back) == 0) {
        myrt_arena_enter(&inner);
        for (int i = 0; i < 10000; i++)
            myrt_alloc(&inner, 100);
        for (int i = 0; i < 1000; i++)
            myrt_frame_push(&inner, 200);
        double v = 1.0;
        myrt_env_set(&inner, NULL, 1, &double_ops, &v);
        void *big = myrt_list_alloc(&inner, 10 * MYRT_LIST_BIG_BYTES);    /* freed too (ASan: no leak) */
        myrt_list_grow(&inner, big, 0, 10 * MYRT_LIST_BIG_BYTES, 20 * MYRT_LIST_BIG_BYTES);
        myrt_runtime_error("range() arg 3 must not be zero");
        fail_msg("myrt_runtime_error returned");
    }
    assert_string_equal(seen, "range() arg 3 must not be zero");
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, 10000 * 112 + 48);    /* inner was left (and freed) */
    /* The outer arena is the innermost again and still usable. */
    assert_int_equal(*kept, 42);
    myrt_alloc(&outer, 8);
    myrt_arena_leave(&outer);
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, 32);
    myrt_set_error_handler(old);
}

static void test_out_of_memory_is_a_runtime_error(void **state)
{
    (void)state;
    myrt_error_handler old = myrt_set_error_handler(catching_handler);
    myrt_arena a;
    seen[0] = 0;
    if (setjmp(back) == 0) {
        myrt_arena_enter(&a);
        myrt_alloc(&a, 64);
        myrt_alloc(&a, UINT64_MAX / 2);
        fail_msg("an impossible allocation returned");
    }
    assert_string_equal(seen, "out of memory");
    seen[0] = 0;
    if (setjmp(back) == 0) {
        myrt_arena_enter(&a);
        myrt_frame_push(&a, 64);
        myrt_frame_push(&a, UINT64_MAX);
        fail_msg("an impossible frame returned");
    }
    assert_string_equal(seen, "out of memory");
    myrt_set_error_handler(old);
}

/* ---- threads ------------------------------------------------------------------------ */

typedef struct work {
    uint64_t seed;
    double sum;
    uint64_t checksum;
    myrt_stats stats;
} work;

/* Arena, frame and env work whose results depend only on w->seed. */
static void do_work(work *w)
{
    myrt_arena a;
    myrt_arena_enter(&a);
    uint64_t seed = w->seed, check = 0;
    uint64_t **cells = myrt_alloc(&a, 20000 * sizeof *cells);
    for (int i = 0; i < 20000; i++) {
        cells[i] = myrt_alloc(&a, 8 + next_random(&seed) % 64);
        *cells[i] = next_random(&seed);
    }
    for (int i = 0; i < 20000; i++)
        check = check * 31 + *cells[i];
    for (int round = 0; round < 5; round++) {
        int depth = 1000 + (int)(next_random(&seed) % 3000);
        for (int i = 0; i < depth; i++) {
            uint64_t *f = myrt_frame_push(&a, 8 * (1 + (uint64_t)i % 20));
            *f = (uint64_t)i ^ seed;
        }
        for (int i = depth - 1; i >= 0; i--)
            check = check * 31 + (*(uint64_t *)myrt_frame_pop(&a) ^ (uint64_t)i);
    }
    const myrt_env *x = NULL, *y = NULL;
    for (int i = 0; i < 2000; i++) {
        double v = (double)(next_random(&seed) % 1000);
        int64_t k = (int64_t)(next_random(&seed) % 500);
        if (i % 2)
            x = myrt_env_set(&a, x, k, &double_ops, &v);
        else
            y = myrt_env_set(&a, y, k, &double_ops, &v);
    }
    const myrt_env *s = myrt_env_add(&a, x, y);
    double sum = 0;
    for (int64_t k = 0; k < 500; k++) {
        const double *v = myrt_env_get(s, k);
        sum += v ? *v * (double)k : 0.0;
    }
    myrt_arena_leave(&a);
    w->sum = sum;
    w->checksum = check;
    myrt_last_stats(&w->stats);
}

static void *thread_main(void *arg)
{
    work *w = arg;
    for (int i = 0; i < 3; i++)
        do_work(w);
    return NULL;
}

/* ---- the chunk cache ----------------------------------------------------------- */

/* One arena's worth of work: n allocations of 40 bytes and frames of 100;
   returns its statistics. */
static myrt_stats cache_work(int n)
{
    myrt_arena a;
    myrt_arena_enter(&a);
    for (int i = 0; i < n; i++) {
        memset(myrt_alloc(&a, 40), i & 0xff, 40);      /* ASan: a reused chunk is writable */
        memset(myrt_frame_push(&a, 100), i & 0xff, 100);
    }
    for (int i = 0; i < n; i++)
        myrt_frame_pop(&a);
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    return st;
}

/* A repeated call takes every chunk from the cache; a limit of 0 turns the
   cache off; a lower limit keeps the chunks that fit; release empties it. */
static void test_chunk_cache(void **state)
{
    (void)state;
    myrt_cache_release();
    myrt_stats first = cache_work(20000);
    assert_int_equal(first.reused_chunks, 0);
    assert_true(first.chunks > 5);
    myrt_stats again = cache_work(20000);
    assert_int_equal(again.chunks, first.chunks);
    assert_int_equal(again.reused_chunks, again.chunks);

    uint64_t old = myrt_set_cache_limit(0);
    assert_int_equal(old, MYRT_CACHE_DEFAULT_LIMIT);
    myrt_cache_release();
    cache_work(20000);
    assert_int_equal(cache_work(20000).reused_chunks, 0);

    /* 64 KiB holds some of the chunks (4 KiB, 8 KiB, ... of both kinds). */
    myrt_set_cache_limit(64 << 10);
    cache_work(20000);
    myrt_stats part = cache_work(20000);
    assert_true(part.reused_chunks > 0);
    assert_true(part.reused_chunks < part.chunks);

    assert_int_equal(myrt_set_cache_limit(old), 64 << 10);
    myrt_cache_release();
    assert_int_equal(cache_work(100).reused_chunks, 0);
}

/* Threads that exit with chunks in their caches free them (LeakSanitizer
   checks, as the unit tests run under it). */
static void *cache_thread(void *arg)
{
    (void)arg;
    cache_work(5000);
    cache_work(5000);
    return NULL;
}

static void test_chunk_cache_freed_at_thread_exit(void **state)
{
    (void)state;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, cache_thread, NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
}

static void test_threads(void **state)
{
    (void)state;
    enum { T = 8 };
    work ref = {.seed = 12345}, ws[T];
    /* The statistics count chunks taken from the thread's cache too: the
       reference starts from an empty cache and repeats the work as each
       thread does. */
    myrt_cache_release();
    for (int i = 0; i < 3; i++)
        do_work(&ref);
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        ws[i] = (work){.seed = 12345};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &ws[i]), 0);
    }
    for (int i = 0; i < T; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < T; i++) {
        assert_true(ws[i].sum == ref.sum);
        assert_int_equal(ws[i].checksum, ref.checksum);
        assert_int_equal(ws[i].stats.arena_bytes, ref.stats.arena_bytes);
        assert_int_equal(ws[i].stats.frame_peak_bytes, ref.stats.frame_peak_bytes);
        assert_int_equal(ws[i].stats.chunks, ref.stats.chunks);
    }
    /* The main thread's own statistics are its own. */
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, ref.stats.arena_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_installed_handler_receives_message),
        cmocka_unit_test(test_null_restores_default),
        cmocka_unit_test(test_located_handler_receives_location),
        cmocka_unit_test(test_message_handler_gets_message_alone),
        cmocka_unit_test(test_handler_kinds_last_installed_wins),
        cmocka_unit_test(test_default_handler_output),
        cmocka_unit_test(test_arena_size_and_alignment),
        cmocka_unit_test(test_million_allocations),
        cmocka_unit_test(test_frames_across_chunks),
        cmocka_unit_test(test_emptied_frame_chunks_are_reused),
        cmocka_unit_test(test_frame_oscillation_at_boundary),
        cmocka_unit_test(test_frame_fields_for_inline_paths),
        cmocka_unit_test(test_env_set_get_replace),
        cmocka_unit_test(test_env_against_reference),
        cmocka_unit_test(test_env_add),
        cmocka_unit_test(test_env_add_pairs_and_order),
        cmocka_unit_test(test_env_of_envs),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_nested_arenas),
        cmocka_unit_test(test_list_buffers),
        cmocka_unit_test(test_list_release),
        cmocka_unit_test(test_list_ten_million_appends),
        cmocka_unit_test(test_error_releases_innermost_arena),
        cmocka_unit_test(test_out_of_memory_is_a_runtime_error),
        cmocka_unit_test(test_chunk_cache),
        cmocka_unit_test(test_chunk_cache_freed_at_thread_exit),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
