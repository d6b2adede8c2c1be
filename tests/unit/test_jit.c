/*
 * test_jit.c: the JIT behind `myc run` (src/backend/jit.h) on modules built by hand
 * with the LLVM-C API: libm and runtime calls resolve, results come back
 * through the results array, and link failures are reported, not fatal.
 *
 * Calls LLVMShutdown() once every test has run, so that LeakSanitizer sees
 * LLVM's own static state released; nothing of ours may leak.
 */
#include "unit.h"

#include <math.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>

#include "backend/jit.h"
#include "myrt.h"

/* ---- building modules ----------------------------------------------------- */

/* The IR types an entry point uses. */
typedef struct Types {
    LLVMTypeRef i8p, i64, i64p, dbl, dblp, vd;
} Types;

static Types types_in(LLVMContextRef ctx)
{
    Types t;
    t.i8p = LLVMPointerType(LLVMInt8TypeInContext(ctx), 0);
    t.i64 = LLVMInt64TypeInContext(ctx);
    t.i64p = LLVMPointerType(t.i64, 0);
    t.dbl = LLVMDoubleTypeInContext(ctx);
    t.dblp = LLVMPointerType(t.dbl, 0);
    t.vd = LLVMVoidTypeInContext(ctx);
    return t;
}

static LLVMValueRef declare(LLVMModuleRef m, const char *name, LLVMTypeRef ret, LLVMTypeRef *params,
                            unsigned n)
{
    return LLVMAddFunction(m, name, LLVMFunctionType(ret, params, n, 0));
}

static LLVMValueRef call(LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef *args, unsigned n,
                         const char *name)
{
    LLVMTypeRef fty = LLVMGlobalGetValueType(fn);
    return LLVMBuildCall2(b, fty, fn, args, n, name);
}

/* void NAME(const uint64_t *args, uint64_t *results), entered and ready. */
static LLVMValueRef define_entry(LLVMModuleRef m, const Types *t, const char *name, LLVMBuilderRef b)
{
    LLVMTypeRef params[] = {t->i64p, t->i64p};
    LLVMValueRef f = declare(m, name, t->vd, params, 2);
    LLVMContextRef ctx = LLVMGetModuleContext(m);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, f, "entry"));
    return f;
}

static LLVMValueRef load_arg(LLVMBuilderRef b, const Types *t, LLVMValueRef args, unsigned i)
{
    LLVMValueRef p = LLVMBuildBitCast(b, args, t->dblp, "argsd");
    LLVMValueRef idx = LLVMConstInt(t->i64, i, 0);
    LLVMValueRef at = LLVMBuildGEP2(b, t->dbl, p, &idx, 1, "argp");
    return LLVMBuildLoad2(b, t->dbl, at, "arg");
}

/*
 *   void f(const uint64_t *args, uint64_t *results) {
 *       myrt_arena a; myrt_arena_enter(&a);
 *       double *cell = myrt_alloc(&a, 8);
 *       *cell = sin(args[0] as double) + args[1] as double;
 *       results[0] = *cell as bits;
 *       myrt_arena_leave(&a);
 *   }
 */
static LLVMModuleRef build_sin_plus(LLVMContextRef ctx, const char *name)
{
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("test_jit", ctx);
    Types t = types_in(ctx);
    LLVMValueRef sin_fn = declare(m, "sin", t.dbl, &t.dbl, 1);
    LLVMValueRef enter = declare(m, "myrt_arena_enter", t.vd, &t.i8p, 1);
    LLVMValueRef leave = declare(m, "myrt_arena_leave", t.vd, &t.i8p, 1);
    LLVMTypeRef alloc_params[] = {t.i8p, t.i64};
    LLVMValueRef alloc = declare(m, "myrt_alloc", t.i8p, alloc_params, 2);

    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMValueRef f = define_entry(m, &t, name, b);
    LLVMTypeRef arena_ty = LLVMArrayType(LLVMInt8TypeInContext(ctx), MYRT_ARENA_SIZE);
    LLVMValueRef arena_mem = LLVMBuildAlloca(b, arena_ty, "arena");
    LLVMSetAlignment(arena_mem, 16);
    LLVMValueRef arena = LLVMBuildBitCast(b, arena_mem, t.i8p, "a");
    call(b, enter, &arena, 1, "");

    LLVMValueRef x = load_arg(b, &t, LLVMGetParam(f, 0), 0);
    LLVMValueRef y = load_arg(b, &t, LLVMGetParam(f, 0), 1);
    LLVMValueRef s = call(b, sin_fn, &x, 1, "s");
    LLVMValueRef sum = LLVMBuildFAdd(b, s, y, "sum");
    LLVMValueRef alloc_args[] = {arena, LLVMConstInt(t.i64, 8, 0)};
    LLVMValueRef mem = call(b, alloc, alloc_args, 2, "mem");
    LLVMValueRef cell = LLVMBuildBitCast(b, mem, t.dblp, "cell");
    LLVMBuildStore(b, sum, cell);
    LLVMValueRef back = LLVMBuildLoad2(b, t.dbl, cell, "back");
    LLVMValueRef out = LLVMBuildBitCast(b, LLVMGetParam(f, 1), t.dblp, "out");
    LLVMBuildStore(b, back, out);
    call(b, leave, &arena, 1, "");
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
    return m;
}

/* An entry point that calls a function nothing defines. */
static LLVMModuleRef build_undefined_call(LLVMContextRef ctx, const char *name, const char *missing)
{
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("test_jit_undefined", ctx);
    Types t = types_in(ctx);
    LLVMValueRef g = declare(m, missing, t.vd, NULL, 0);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    define_entry(m, &t, name, b);
    call(b, g, NULL, 0, "");
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
    return m;
}

static void assert_valid(LLVMModuleRef m)
{
    char *msg = NULL;
    LLVMBool bad = LLVMVerifyModule(m, LLVMReturnStatusAction, &msg);
    if (bad)
        fail_msg("invalid module: %s", msg);
    LLVMDisposeMessage(msg);
}

static double as_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static uint64_t as_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ---- tests ------------------------------------------------------------------ */

static Jit *new_jit(void)
{
    StrBuf err = {0};
    Jit *j = jit_new(NULL, &err);
    if (!j)
        fail_msg("jit_new: %s", sb_cstr(&err));
    sb_free(&err);
    return j;
}

static void test_runs_libm_and_runtime_calls(void **state)
{
    (void)state;
    Jit *j = new_jit();
    LLVMModuleRef m = build_sin_plus(jit_context(j), "f");
    assert_valid(m);
    uint64_t args[2] = {as_bits(0.5), as_bits(2.25)}, results[1] = {0};
    StrBuf err = {0};
    int rc = jit_run(j, m, "f", args, results, &err);
    if (rc)
        fail_msg("jit_run: %s", sb_cstr(&err));
    assert_true(as_double(results[0]) == sin(0.5) + 2.25);
    /* The JIT'd code used the runtime linked into this program. */
    myrt_stats st;
    myrt_last_stats(&st);
    assert_int_equal(st.arena_bytes, 16);
    sb_free(&err);
    jit_free(j);
}

static void test_missing_entry_is_an_error(void **state)
{
    (void)state;
    Jit *j = new_jit();
    LLVMModuleRef m = build_sin_plus(jit_context(j), "f");
    StrBuf err = {0};
    uint64_t args[2] = {0}, results[1] = {0};
    assert_int_equal(jit_run(j, m, "no_such_entry", args, results, &err), -1);
    assert_non_null(strstr(sb_cstr(&err), "JIT: cannot link 'no_such_entry'"));
    sb_free(&err);
    jit_free(j);
}

static void test_undefined_symbol_is_an_error_and_jit_goes_on(void **state)
{
    (void)state;
    Jit *j = new_jit();
    StrBuf err = {0};
    uint64_t args[2] = {as_bits(1.0), as_bits(-1.0)}, results[1] = {0};
    LLVMModuleRef bad = build_undefined_call(jit_context(j), "g", "no_such_function_anywhere");
    assert_valid(bad);
    assert_int_equal(jit_run(j, bad, "g", args, results, &err), -1);
    assert_non_null(strstr(sb_cstr(&err), "no_such_function_anywhere"));
    sb_free(&err);
    /* A myrt_ name the runtime does not define is not looked for elsewhere. */
    LLVMModuleRef bad_rt = build_undefined_call(jit_context(j), "h", "myrt_no_such_function");
    assert_int_equal(jit_run(j, bad_rt, "h", args, results, &err), -1);
    assert_non_null(strstr(sb_cstr(&err), "myrt_no_such_function"));
    sb_free(&err);
    /* The JIT is still usable. */
    LLVMModuleRef good = build_sin_plus(jit_context(j), "f2");
    if (jit_run(j, good, "f2", args, results, &err))
        fail_msg("jit_run after a failure: %s", sb_cstr(&err));
    assert_true(as_double(results[0]) == sin(1.0) - 1.0);
    sb_free(&err);
    jit_free(j);
}

static void test_two_jits_at_once(void **state)
{
    (void)state;
    Jit *a = new_jit(), *b = new_jit();
    StrBuf err = {0};
    uint64_t args[2] = {as_bits(3.0), as_bits(0.0)}, ra[1] = {0}, rb[1] = {0};
    assert_int_equal(jit_run(a, build_sin_plus(jit_context(a), "f"), "f", args, ra, &err), 0);
    assert_int_equal(jit_run(b, build_sin_plus(jit_context(b), "f"), "f", args, rb, &err), 0);
    assert_true(as_double(ra[0]) == sin(3.0));
    assert_int_equal(ra[0], rb[0]);
    assert_int_equal(err.len, 0);
    jit_free(a);
    jit_free(b);
    jit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_libm_and_runtime_calls),
        cmocka_unit_test(test_missing_entry_is_an_error),
        cmocka_unit_test(test_undefined_symbol_is_an_error_and_jit_goes_on),
        cmocka_unit_test(test_two_jits_at_once),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    LLVMShutdown();
    return failed;
}
