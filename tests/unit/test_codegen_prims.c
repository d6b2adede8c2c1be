/*
 * test_codegen_prims.c: the LLVM IR of the scalar primitives
 * (src/backend/scalar.c) against the reference interpreter's evaluators
 * (ir/prim_eval.c).
 *
 * For every primitive cg_scalar_prim handles and every combination of
 * argument types inference can give it (with the result type inference
 * gives), a tiny function `void f(const u64 *in, u64 *out)` unpacks the
 * arguments, applies the primitive and stores the result.  It is verified,
 * JIT-compiled (MCJIT) twice, as emitted and after the -O2 pipeline, and
 * run on a grid of edge values and on pseudo-random values; the -O2
 * module also holds one function per sampled grid point with the
 * arguments as constants, so that constant folding is checked too.  Each
 * result must equal the evaluator's bit for bit (any NaN equals any NaN),
 * and where the evaluator raises a runtime error the native code must
 * call myrt_runtime_error_at with the same message and the primitive's
 * location, PRIM_LINE:PRIM_COL in the module's file (caught by a located
 * handler that longjmps back).
 *
 * Assumes: the host is x86-64 (the backend's target) with LLVM 14's MCJIT,
 * and libm is in the process (the JIT resolves libm and the runtime by the
 * addresses this test registers).
 */
#include "unit.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend/scalar.h"
#include "interp.h"
#include "myrt.h"

/* ---- catching runtime errors --------------------------------------------------- */

/* The runtime's handler takes no user data, so what it needs lives here
   (test only; the handler is process-wide anyway). */
static jmp_buf *catch_point;
static char caught[256];
static char caught_file[64];   /* "(none)" when the error had no location */
static int caught_line, caught_col;

/* Where define_fn's primitives are in the "source": the test modules'
   name (their source file name) and this line and column. */
#define MODULE_FILE "t.my"
enum { PRIM_LINE = 40, PRIM_COL = 9 };

static void catching_handler(const char *message, const char *file, int line, int col)
{
    snprintf(caught, sizeof caught, "%s", message);
    snprintf(caught_file, sizeof caught_file, "%s", file ? file : "(none)");
    caught_line = line;
    caught_col = col;
    longjmp(*catch_point, 1);
}

typedef void (*TestFn)(const uint64_t *in, uint64_t *out);

/* Runs f; false (with the message in `caught`) when it raised. */
static bool run_native(TestFn f, const uint64_t *in, uint64_t *out)
{
    jmp_buf here;
    jmp_buf *volatile saved = catch_point;
    catch_point = &here;
    if (setjmp(here)) {
        catch_point = saved;
        return false;
    }
    f(in, out);
    catch_point = saved;
    return true;
}

/* ---- fixture: types and the reference interpreter ------------------------------- */

typedef struct Fx {
    Arena *arena;
    TypeTable *tt;
    Module *m;
    Interp *in;
    StrBuf err;
    LLVMTargetMachineRef tm;
    char *triple;
    myrt_error_handler_at old_handler;
    Loc loc;                    /* of the primitives define_fn emits */
    uint64_t rng;
    int checked, raised;        /* statistics, for the log */
} Fx;

static void register_symbols(void)
{
    static const PrimId math[] = {P_SIN, P_COS, P_TAN, P_ASIN, P_ACOS, P_ATAN, P_SINH, P_COSH, P_TANH, P_EXP,
                                  P_LOG, P_LOG1P, P_EXPM1, P_SQRT, P_ERF, P_ATAN2, P_MPOW};
    for (size_t i = 0; i < sizeof math / sizeof *math; i++) {
        const PrimInfo *pi = prim_info(math[i]);
        LLVMAddSymbol(pi->name, pi->libm1 ? (void *)pi->libm1 : (void *)pi->libm2);
    }
    LLVMAddSymbol("fmod", (void *)fmod);
    LLVMAddSymbol("myrt_runtime_error", (void *)myrt_runtime_error);
    LLVMAddSymbol("myrt_runtime_error_at", (void *)myrt_runtime_error_at);
}

static int setup(void **state)
{
    Fx *fx = calloc(1, sizeof *fx);
    fx->arena = arena_new();
    fx->tt = types_new(fx->arena);
    fx->m = ir_module_new(fx->arena, "t.my");
    fx->in = interp_new(fx->m);
    fx->rng = 0x9E3779B97F4A7C15ull;
    LLVMLinkInMCJIT();
    if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter())
        return -1;
    register_symbols();
    fx->triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(fx->triple, &target, &msg)) {
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    fx->tm = LLVMCreateTargetMachine(target, fx->triple, "x86-64", "", LLVMCodeGenLevelDefault, LLVMRelocDefault,
                                     LLVMCodeModelJITDefault);
    fx->old_handler = myrt_set_error_handler_at(catching_handler);
    fx->loc = loc_make(PRIM_LINE, PRIM_COL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    myrt_set_error_handler_at(fx->old_handler);
    LLVMDisposeTargetMachine(fx->tm);
    LLVMDisposeMessage(fx->triple);
    interp_free(fx->in);
    sb_free(&fx->err);
    ir_module_free(fx->m);
    arena_free(fx->arena);
    free(fx);
    return 0;
}

static Type *type_of_kind(Fx *fx, TypeKind k)
{
    return k == T_BOOL ? type_bool(fx->tt) : k == T_INT ? type_int(fx->tt) : type_float(fx->tt);
}

/* ---- what is tested: combinations and values ------------------------------------- */

/* A primitive applied to arguments of kinds at[0..n-1], result kind rk. */
typedef struct Combo {
    PrimId p;
    int n;
    TypeKind at[3];
    TypeKind rk;
} Combo;

/* The result kind inference gives (passes/infer_prims.c); for int ** int
   the caller picks int (a constant exponent) or float. */
static TypeKind result_kind(const Combo *c)
{
    bool flt = false, all_bool = true;
    for (int i = 0; i < c->n; i++) {
        flt |= c->at[i] == T_FLOAT;
        all_bool &= c->at[i] == T_BOOL;
    }
    switch (c->p) {
    case P_ADD: case P_SUB: case P_MUL: case P_FLOORDIV: case P_MOD: case P_POW:
    case P_NEG: case P_POS: case P_ABS:
        return flt ? T_FLOAT : T_INT;
    case P_LT: case P_LE: case P_GT: case P_GE: case P_EQ: case P_NE: case P_NOT: case P_TRUTH:
    case P_RANGE_COND:
        return T_BOOL;
    case P_MIN: case P_MAX:
        return flt ? T_FLOAT : all_bool ? T_BOOL : T_INT;
    case P_FLOOR: case P_CEIL: case P_INT: case P_RANGE_STEP:
        return T_INT;
    default:
        return T_FLOAT;
    }
}

static const int64_t int_grid[] = {
    0, 1, -1, 2, -2, 3, -3, 7, -7, 10, 62, 63, 64, 65, 1000003, -123456789,
    (int64_t)1 << 31, ((int64_t)1 << 53) + 1, -(((int64_t)1 << 53) + 1), (int64_t)1 << 53, (int64_t)1 << 62,
    4052555153018976267,    /* 3**39 */
    INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1,
};

static const double float_grid[] = {
    0.0, -0.0, 0.5, 1.0, -1.0, 1.5, -2.5, 2.0, 3.0, -7.0, 7.0, 0.1, 4.5, -3.5, 1e308, -1e-310, 5e-324,
    INFINITY, -INFINITY, NAN, 9007199254740992.0 /* 2**53 */, 9007199254740994.0,
    9223372036854775808.0 /* 2**63 */,
    -9223372036854775808.0, 9223372036854774784.0 /* the double below 2**63 */, 1e16, -0.75,
    0x1.34c0ca136981ap-77,  /* pow(x, 0.5) != sqrt(x) in glibc */
    -0x1.06e45c802dc8cp+6,  /* pow(2.0, x) != exp2(x) in glibc */
};

enum { NGRID_INT = sizeof int_grid / sizeof *int_grid, NGRID_FLOAT = sizeof float_grid / sizeof *float_grid };

typedef struct Point {
    Value v[3];
} Point;

typedef VEC(Point) PointVec;

static int grid_size(TypeKind k) { return k == T_BOOL ? 2 : k == T_INT ? NGRID_INT : NGRID_FLOAT; }

static Value grid_value(TypeKind k, int i)
{
    return k == T_BOOL ? value_bool(i) : k == T_INT ? value_int(int_grid[i]) : value_float(float_grid[i]);
}

static uint64_t next_rand(Fx *fx)
{
    uint64_t x = fx->rng;     /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fx->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int64_t random_int(Fx *fx)
{
    uint64_t r = next_rand(fx);
    switch (r % 5) {
    case 0: return (int64_t)next_rand(fx);
    case 1: return (int64_t)next_rand(fx) >> (next_rand(fx) % 64);            /* any magnitude */
    case 2: return (int64_t)(next_rand(fx) % 21) - 10;
    case 3: return int_grid[next_rand(fx) % NGRID_INT];
    default: return (int64_t)(next_rand(fx) >> 10) * ((r >> 8) & 1 ? 1 : -1);   /* around 2**53 */
    }
}

static double random_float(Fx *fx)
{
    uint64_t r = next_rand(fx);
    double sign = (r >> 8) & 1 ? 1.0 : -1.0;
    switch (r % 6) {
    case 0: {
        uint64_t bits = next_rand(fx);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    case 1: return sign * ldexp((double)(next_rand(fx) >> 11), (int)(next_rand(fx) % 140) - 120);
    case 2: return sign * (double)(next_rand(fx) % 41) / 4.0;
    case 3: return float_grid[next_rand(fx) % NGRID_FLOAT];
    case 4: {   /* an int's neighbourhood, for exact int/float comparison */
        double d = (double)random_int(fx);
        int step = (int)(next_rand(fx) % 3) - 1;
        return step ? nextafter(d, step * INFINITY) : d;
    }
    default: return sign * ldexp(1.0, (int)(next_rand(fx) % 130) - 65);
    }
}

static Value random_value(Fx *fx, TypeKind k)
{
    if (k == T_BOOL)
        return value_bool(next_rand(fx) & 1);
    if (k == T_INT)
        return value_int(random_int(fx));
    return value_float(random_float(fx));
}

enum { NRANDOM = 2500, MAX_CONST_POINTS = 40 };

/* The grid (every combination of grid values) followed by random points;
   returns the grid's size. */
static int make_points(Fx *fx, const Combo *c, PointVec *out)
{
    int total = 1;
    for (int i = 0; i < c->n; i++)
        total *= grid_size(c->at[i]);
    for (int idx = 0; idx < total; idx++) {
        Point pt = {{{0}}};
        int rest = idx;
        for (int i = 0; i < c->n; i++) {
            pt.v[i] = grid_value(c->at[i], rest % grid_size(c->at[i]));
            rest /= grid_size(c->at[i]);
        }
        vec_push(out, pt);
    }
    for (int r = 0; r < NRANDOM; r++) {
        Point pt = {{{0}}};
        for (int i = 0; i < c->n; i++)
            pt.v[i] = random_value(fx, c->at[i]);
        vec_push(out, pt);
    }
    return total;
}

/* ---- the reference -------------------------------------------------------------------- */

/* The evaluator's result for c at pt: true with the value widened to c->rk
   as raw bits, or false with the runtime error in fx->err.  *skip when
   inference never produces this case (int ** negative constant). */
static bool reference(Fx *fx, const Combo *c, const Point *pt, uint64_t *bits, bool *skip)
{
    Value args[3];
    *skip = false;
    for (int i = 0; i < c->n; i++) {
        args[i] = pt->v[i];
        /* int ** int typed float: inference converts the operands first */
        if (c->p == P_POW && c->rk == T_FLOAT && args[i].kind != V_FLOAT)
            args[i] = value_float(args[i].kind == V_BOOL ? args[i].b : (double)args[i].i);
    }
    if (c->p == P_POW && c->rk == T_INT && args[1].kind == V_INT && args[1].i < 0) {
        *skip = true;
        return true;
    }
    fx->err.len = 0;
    Value out;
    int rc = interp_eval_prim(fx->in, c->p, args, c->n, &out, &fx->err);
    interp_release(fx->in);
    if (rc) {
        assert_int_equal(rc, 3);
        return false;
    }
    switch (c->rk) {
    case T_FLOAT: {
        double d = out.kind == V_FLOAT ? out.f : out.kind == V_INT ? (double)out.i : out.b;
        assert_true(out.kind == V_FLOAT || out.kind == V_INT || out.kind == V_BOOL);
        memcpy(bits, &d, sizeof d);
        return true;
    }
    case T_INT:
        assert_true(out.kind == V_INT || out.kind == V_BOOL);
        *bits = out.kind == V_INT ? (uint64_t)out.i : out.b;
        return true;
    default:
        assert_int_equal(out.kind, V_BOOL);
        *bits = out.b;
        return true;
    }
}

static uint64_t arg_bits(const Value *v)
{
    if (v->kind == V_BOOL)
        return v->b;
    if (v->kind == V_INT)
        return (uint64_t)v->i;
    uint64_t b;
    memcpy(&b, &v->f, sizeof b);
    return b;
}

static bool is_nan_bits(uint64_t b)
{
    return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (b & 0x000fffffffffffffull);
}

static void describe(const Combo *c, const Point *pt, StrBuf *sb)
{
    sb_printf(sb, "%s(", prim_info(c->p)->name);
    for (int i = 0; i < c->n; i++) {
        const Value *v = &pt->v[i];
        if (v->kind == V_BOOL)
            sb_puts(sb, v->b ? "True" : "False");
        else if (v->kind == V_INT)
            sb_printf(sb, "%lld", (long long)v->i);
        else
            sb_printf(sb, "%a", v->f);
        sb_puts(sb, i + 1 < c->n ? ", " : ")");
    }
    sb_printf(sb, " -> %s", c->rk == T_BOOL ? "bool" : c->rk == T_INT ? "int" : "float");
}

/* ---- building and running the test functions --------------------------------------------- */

static LLVMValueRef load_arg(CgPrimCtx *cg, LLVMValueRef in, int i, TypeKind k)
{
    LLVMTypeRef i64 = LLVMInt64TypeInContext(cg->ctx);
    LLVMValueRef idx = LLVMConstInt(i64, (unsigned long long)i, 0);
    LLVMValueRef w = LLVMBuildLoad2(cg->b, i64, LLVMBuildInBoundsGEP2(cg->b, i64, in, &idx, 1, ""), "");
    if (k == T_BOOL)
        return LLVMBuildTrunc(cg->b, w, LLVMInt1TypeInContext(cg->ctx), "");
    if (k == T_FLOAT)
        return LLVMBuildBitCast(cg->b, w, LLVMDoubleTypeInContext(cg->ctx), "");
    return w;
}

static LLVMValueRef const_arg(CgPrimCtx *cg, const Value *v)
{
    if (v->kind == V_BOOL)
        return LLVMConstInt(LLVMInt1TypeInContext(cg->ctx), v->b, 0);
    if (v->kind == V_INT)
        return LLVMConstInt(LLVMInt64TypeInContext(cg->ctx), (unsigned long long)v->i, 1);
    return LLVMConstReal(LLVMDoubleTypeInContext(cg->ctx), v->f);
}

/* Defines `void name(const u64 *in, u64 *out)` computing c; argument i is
   the constant *konst[i], or in[i] when konst (or konst[i]) is NULL. */
static void define_fn(Fx *fx, LLVMContextRef ctx, LLVMModuleRef mod, const char *name, const Combo *c,
                      const Value *const *konst)
{
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
    LLVMTypeRef ptr = LLVMPointerType(i64, 0);
    LLVMTypeRef params[2] = {ptr, ptr};
    LLVMValueRef fn = LLVMAddFunction(mod, name, LLVMFunctionType(LLVMVoidTypeInContext(ctx), params, 2, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
    CgPrimCtx cg = {ctx, mod, b, fx->loc};
    LLVMValueRef args[3];
    Type *types[3];
    for (int i = 0; i < c->n; i++) {
        types[i] = type_of_kind(fx, c->at[i]);
        bool k = konst && konst[i];
        args[i] = k ? const_arg(&cg, konst[i]) : load_arg(&cg, LLVMGetParam(fn, 0), i, c->at[i]);
    }
    LLVMValueRef r = cg_scalar_prim(&cg, c->p, args, types, c->n, type_of_kind(fx, c->rk));
    if (c->rk == T_BOOL)
        r = LLVMBuildZExt(b, r, i64, "");
    else if (c->rk == T_FLOAT)
        r = LLVMBuildBitCast(b, r, i64, "");
    LLVMBuildStore(b, r, LLVMGetParam(fn, 1));
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
}

static void verify(LLVMModuleRef mod)
{
    char *msg = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        char *ir = LLVMPrintModuleToString(mod);
        fprintf(stderr, "invalid module: %s\n%s\n", msg, ir);
        LLVMDisposeMessage(ir);
        fail_msg("LLVMVerifyModule failed");
    }
    LLVMDisposeMessage(msg);
}

static void optimize(Fx *fx, LLVMModuleRef mod)
{
    LLVMSetTarget(mod, fx->triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(fx->tm);
    LLVMSetModuleDataLayout(mod, dl);
    LLVMDisposeTargetData(dl);
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, "default<O2>", fx->tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (e) {
        char *msg = LLVMGetErrorMessage(e);
        fprintf(stderr, "%s\n", msg);
        LLVMDisposeErrorMessage(msg);
        fail_msg("LLVMRunPasses failed");
    }
    verify(mod);
}

static LLVMExecutionEngineRef jit(LLVMModuleRef mod, unsigned opt_level)
{
    struct LLVMMCJITCompilerOptions o;
    LLVMInitializeMCJITCompilerOptions(&o, sizeof o);
    o.OptLevel = opt_level;
    LLVMExecutionEngineRef ee = NULL;
    char *msg = NULL;
    if (LLVMCreateMCJITCompilerForModule(&ee, mod, &o, sizeof o, &msg)) {
        fprintf(stderr, "%s\n", msg);
        fail_msg("MCJIT failed");
    }
    return ee;
}

static TestFn lookup(LLVMExecutionEngineRef ee, const char *name)
{
    uint64_t addr = LLVMGetFunctionAddress(ee, name);
    assert_true(addr != 0);
    return (TestFn)(uintptr_t)addr;
}

/* Runs f on pt and compares with the evaluator. */
static void check_point(Fx *fx, const Combo *c, const Point *pt, TestFn f, const char *variant)
{
    uint64_t want = 0, got = 0, in[3] = {0};
    bool skip;
    bool want_ok = reference(fx, c, pt, &want, &skip);
    if (skip)
        return;
    for (int i = 0; i < c->n; i++)
        in[i] = arg_bits(&pt->v[i]);
    bool got_ok = run_native(f, in, &got);
    fx->checked++;
    bool same = want_ok == got_ok;
    if (same && want_ok)
        same = want == got || (c->rk == T_FLOAT && is_nan_bits(want) && is_nan_bits(got));
    if (same && !want_ok) {
        same = strcmp(sb_cstr(&fx->err), caught) == 0 && strcmp(caught_file, MODULE_FILE) == 0 &&
               caught_line == PRIM_LINE && caught_col == PRIM_COL;
        fx->raised++;
    }
    if (!same) {
        StrBuf sb = {0};
        describe(c, pt, &sb);
        double wf, gf;
        memcpy(&wf, &want, sizeof wf);
        memcpy(&gf, &got, sizeof gf);
        fprintf(stderr, "%s [%s]:\n  interpreter %s %s (%#llx, %a)\n  native %s %s (%#llx, %a)%s%s:%d:%d\n",
                sb_cstr(&sb), variant, want_ok ? "returns" : "raises", want_ok ? "" : sb_cstr(&fx->err),
                (unsigned long long)want, wf, got_ok ? "returns" : "raises", got_ok ? "" : caught,
                (unsigned long long)got, gf, got_ok ? "" : " at ", got_ok ? "" : caught_file, caught_line,
                caught_col);
        sb_free(&sb);
        fail_msg("native code differs from the interpreter");
    }
}

/* Everything for one combination: the emitted code on all points, the
   -O2 code on all points, and constant-folded -O2 code on a sample. */
static void check_combo(Fx *fx, const Combo *c)
{
    PointVec pts = {0};
    int ngrid = make_points(fx, c, &pts);
    int stride = ngrid / MAX_CONST_POINTS + 1;
    for (int optimized = 0; optimized <= 1; optimized++) {
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(MODULE_FILE, ctx);
        define_fn(fx, ctx, mod, "f", c, NULL);
        int nconst = 0;
        for (int i = 0; optimized && i < ngrid; i += stride) {
            char name[32];
            snprintf(name, sizeof name, "k%d", nconst++);
            const Value *konst[3] = {&pts.data[i].v[0], &pts.data[i].v[1], &pts.data[i].v[2]};
            define_fn(fx, ctx, mod, name, c, konst);
        }
        verify(mod);
        if (optimized)
            optimize(fx, mod);
        LLVMExecutionEngineRef ee = jit(mod, optimized ? 2 : 0);
        TestFn f = lookup(ee, "f");
        for (int i = 0; i < pts.len; i++)
            check_point(fx, c, &pts.data[i], f, optimized ? "-O2" : "-O0");
        for (int k = 0; k < nconst; k++) {
            char name[32];
            snprintf(name, sizeof name, "k%d", k);
            check_point(fx, c, &pts.data[k * stride], lookup(ee, name), "-O2, constant arguments");
        }
        LLVMDisposeExecutionEngine(ee);     /* and the module */
        LLVMContextDispose(ctx);
    }
    vec_free(&pts);
}

/* Every combination of argument kinds for p (range_* take ints and bools). */
static void check_prim(Fx *fx, PrimId p)
{
    assert_true(cg_is_scalar_prim(p));
    int n = prim_info(p)->arity, nkinds = p == P_RANGE_STEP || p == P_RANGE_COND ? 2 : 3, total = 1;
    for (int i = 0; i < n; i++)
        total *= nkinds;
    for (int idx = 0; idx < total; idx++) {
        Combo c = {.p = p, .n = n};
        int rest = idx;
        for (int i = 0; i < n; i++) {
            c.at[i] = (TypeKind)(rest % nkinds);     /* T_BOOL, T_INT, T_FLOAT */
            rest /= nkinds;
        }
        c.rk = result_kind(&c);
        check_combo(fx, &c);
        if (p == P_POW && c.rk == T_INT) {           /* int ** int typed float, too */
            c.rk = T_FLOAT;
            check_combo(fx, &c);
        }
    }
}

/* ---- the tests -------------------------------------------------------------------------------- */

static void test_arithmetic(void **state)
{
    static const PrimId ps[] = {P_ADD, P_SUB, P_MUL, P_TRUEDIV, P_FLOORDIV, P_MOD, P_POW, P_NEG, P_POS};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        check_prim(*state, ps[i]);
}

static void test_comparisons_and_truth(void **state)
{
    static const PrimId ps[] = {P_LT, P_LE, P_GT, P_GE, P_EQ, P_NE, P_NOT, P_TRUTH};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        check_prim(*state, ps[i]);
}

static void test_builtins(void **state)
{
    int n = 0;
    for (int p = 0; p < P__COUNT; p++) {
        if (prim_info((PrimId)p)->flags & PF_BUILTIN) {
            check_prim(*state, (PrimId)p);
            n++;
        }
    }
    assert_true(n >= 24);
}

static void test_range_and_differentiation_helpers(void **state)
{
    static const PrimId ps[] = {P_RANGE_STEP, P_RANGE_COND, P_XLOGY, P_SSCALE};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        check_prim(*state, ps[i]);
    Fx *fx = *state;
    print_message("checked %d values (%d runtime errors)\n", fx->checked, fx->raised);
}

/* Functions of c with some arguments constant (konst), each run on pts
   (-O0, or -O2 when optimized). */
static void check_with_constants(Fx *fx, const Combo *c, const Value *const *konst, const Point *pts, int npts,
                                 bool optimized)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(MODULE_FILE, ctx);
    define_fn(fx, ctx, mod, "f", c, konst);
    verify(mod);
    if (optimized)
        optimize(fx, mod);
    LLVMExecutionEngineRef ee = jit(mod, optimized ? 2 : 0);
    TestFn f = lookup(ee, "f");
    for (int i = 0; i < npts; i++)
        check_point(fx, c, &pts[i], f, optimized ? "-O2, some arguments constant" : "some arguments constant");
    LLVMDisposeExecutionEngine(ee);
    LLVMContextDispose(ctx);
}

/* int ** constant: the unrolled squaring, on exponents 0..70. */
static void test_int_pow_constant_exponents(void **state)
{
    Fx *fx = *state;
    Combo c = {.p = P_POW, .n = 2, .at = {T_INT, T_INT}, .rk = T_INT};
    for (int64_t e = 0; e <= 70; e++) {
        Value ev = value_int(e);
        const Value *konst[2] = {NULL, &ev};
        Point pts[NGRID_INT];
        for (int i = 0; i < NGRID_INT; i++)
            pts[i] = (Point){{value_int(int_grid[i]), ev}};
        check_with_constants(fx, &c, konst, pts, NGRID_INT, false);
    }
}

/* int / int near the rounding ties: a / b just above, at and just below
   T / 2**j for odd 54-bit T (halfway between two doubles), so that only
   a correct sticky bit (remainder and dropped quotient bits) rounds right. */
static void test_int_truediv_near_ties(void **state)
{
    Fx *fx = *state;
    enum { NPTS = 3000 };
    Point *pts = calloc(NPTS, sizeof *pts);
    int n = 0;
    while (n < NPTS) {
        uint64_t T = (next_rand(fx) >> 10) | ((uint64_t)1 << 53) | 1;
        uint64_t b = next_rand(fx) >> (next_rand(fx) % 62);
        if (b < 2)
            continue;
        unsigned __int128 tb = (unsigned __int128)T * b;
        int j = 0;
        while ((tb >> j) >= ((unsigned __int128)1 << 63) - 2)
            j++;
        unsigned __int128 lo = tb >> j, hi = lo + ((tb & (((unsigned __int128)1 << j) - 1)) != 0);
        int sa = next_rand(fx) & 1 ? -1 : 1, sb = next_rand(fx) & 1 ? -1 : 1;
        pts[n++] = (Point){{value_int(sa * (int64_t)hi), value_int(sb * (int64_t)b)}};
        pts[n++] = (Point){{value_int(sa * (int64_t)lo), value_int(sb * (int64_t)b)}};
    }
    Combo c = {.p = P_TRUEDIV, .n = 2, .at = {T_INT, T_INT}, .rk = T_FLOAT};
    const Value *none[2] = {NULL, NULL};
    check_with_constants(fx, &c, none, pts, n, false);
    check_with_constants(fx, &c, none, pts, n, true);
    free(pts);
}

/* What the module gets: libm declarations that LLVM may not rewrite, the
   runtime's error function, cold error paths. */
static void test_declarations(void **state)
{
    Fx *fx = *state;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(MODULE_FILE, ctx);
    define_fn(fx, ctx, mod, "s", &(Combo){.p = P_SIN, .n = 1, .at = {T_FLOAT}, .rk = T_FLOAT}, NULL);
    define_fn(fx, ctx, mod, "d", &(Combo){.p = P_FLOORDIV, .n = 2, .at = {T_INT, T_INT}, .rk = T_INT}, NULL);
    define_fn(fx, ctx, mod, "d2", &(Combo){.p = P_FLOORDIV, .n = 2, .at = {T_INT, T_INT}, .rk = T_INT}, NULL);
    fx->loc = LOC_NONE;
    define_fn(fx, ctx, mod, "m", &(Combo){.p = P_MOD, .n = 2, .at = {T_INT, T_INT}, .rk = T_INT}, NULL);
    fx->loc = loc_make(PRIM_LINE, PRIM_COL);
    verify(mod);
    char *ir = LLVMPrintModuleToString(mod);
    assert_non_null(strstr(ir, "declare double @sin(double) #"));
    assert_non_null(strstr(ir, "nobuiltin"));
    assert_non_null(strstr(ir, "readnone"));
    /* located errors pass a constant record { file, line, col } per place
       (defined once, however many primitives are there), unlocated ones
       the message alone */
    assert_non_null(strstr(ir, "declare void @myrt_runtime_error_at(i8*, i8*) #"));
    assert_non_null(strstr(ir, "declare void @myrt_runtime_error(i8*) #"));
    assert_non_null(strstr(ir, "@myc.srcfile = private unnamed_addr constant [5 x i8] c\"t.my\\00\""));
    assert_non_null(strstr(ir, "@myc.loc.40.9 = private unnamed_addr constant { i8*, i32, i32 } { i8* getelementptr "
                               "inbounds ([5 x i8], [5 x i8]* @myc.srcfile, i32 0, i32 0), i32 40, i32 9 }"));
    assert_null(strstr(ir, "@myc.loc.40.9.1"));
    assert_non_null(strstr(ir, "call void @myrt_runtime_error_at(i8* getelementptr inbounds ([35 x i8], "
                               "[35 x i8]* @myc.msg.div_zero, i32 0, i32 0), i8* bitcast ({ i8*, i32, i32 }* "
                               "@myc.loc.40.9 to i8*))"));
    assert_non_null(strstr(ir, "call void @myrt_runtime_error(i8* getelementptr inbounds ([23 x i8], "
                               "[23 x i8]* @myc.msg.mod_zero, i32 0, i32 0))"));
    assert_non_null(strstr(ir, "noreturn"));
    assert_non_null(strstr(ir, "!\"branch_weights\", i32 1, i32 2000"));
    assert_non_null(strstr(ir, "@myc.msg.div_zero = private unnamed_addr constant [35 x i8] "
                               "c\"integer division or modulo by zero\\00\""));
    /* the message is defined once however often it is used */
    assert_null(strstr(ir, "@myc.msg.div_zero.1"));
    assert_null(strstr(ir, "fast"));
    LLVMDisposeMessage(ir);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
}

/* pow(x, 0.5) and pow(2.0, x) stay calls of pow under -O2 (LLVM would make
   them sqrt and exp2, which round differently from glibc's pow for these
   x), for ** and for pow(). */
static void test_pow_not_rewritten(void **state)
{
    Fx *fx = *state;
    static const double xs[] = {0x1.34c0ca136981ap-77, 0x1.fd978259fb2fp-92};     /* base, exponent 0.5 */
    static const double ys[] = {-0x1.06e45c802dc8cp+6, -0x1.e92289d712452p+5};    /* exponent, base 2.0 */
    Value half = value_float(0.5), two = value_float(2.0);
    const Value *half_exp[2] = {NULL, &half}, *two_base[2] = {&two, NULL};
    Point sqrt_pts[2], exp2_pts[2];
    for (int i = 0; i < 2; i++) {
        sqrt_pts[i] = (Point){{value_float(xs[i]), half}};
        exp2_pts[i] = (Point){{two, value_float(ys[i])}};
        assert_true(pow(xs[i], 0.5) != sqrt(xs[i]));
        assert_true(pow(2.0, ys[i]) != exp2(ys[i]));
    }
    static const PrimId ps[] = {P_POW, P_MPOW};
    for (int i = 0; i < 2; i++) {
        Combo c = {.p = ps[i], .n = 2, .at = {T_FLOAT, T_FLOAT}, .rk = T_FLOAT};
        check_with_constants(fx, &c, half_exp, sqrt_pts, 2, true);
        check_with_constants(fx, &c, two_base, exp2_pts, 2, true);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declarations),
        cmocka_unit_test(test_pow_not_rewritten),
        cmocka_unit_test(test_int_pow_constant_exponents),
        cmocka_unit_test(test_int_truediv_near_ties),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_comparisons_and_truth),
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_range_and_differentiation_helpers),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    LLVMShutdown();
    return rc;
}
