/*
 * test_infer.c: type inference and specialisation (passes/infer.c).
 *
 * Each test compiles a small program through the pipeline's parse and
 * infer stages (src/pipeline.h), checks the typed IR with the IR checker,
 * looks at the types and clones that come out, and runs the result with
 * the reference interpreter: the value before inference (untyped IR) must equal the value
 * after it, up to the int-to-float conversions inference inserts.
 */
#include "unit.h"

#include <math.h>
#include <string.h>

#include "ast.h"
#include "infer.h"
#include "interp.h"
#include "lower.h"
#include "pipeline.h"

typedef struct Compiled {
    Compilation pc;         /* the pipeline's state (src/pipeline.h) */
    const char *fn, *sig;
    bool required;
    Module *lowered, *typed;
    InferEntry entry;
    StrBuf errors;          /* the printed diagnostics */
} Compiled;

/* The entry chooser: c->fn, specialised for c->sig. */
static int one_entry(Compilation *pc, InferEntry **out)
{
    Compiled *c = pc->user;
    Graph *g = NULL;
    for (int i = 0; i < pc->lowered->tops.len; i++)
        if (strcmp(pc->lowered->tops.data[i].name, c->fn) == 0)
            g = pc->lowered->tops.data[i].graph;
    assert_non_null(g);
    InferEntry *e = xcalloc(1, sizeof *e);
    e->fn = g;
    if (c->sig) {
        TypeTable *tt = pc->lowered->types;
        Type **args = ARENA_ARRAY(pc->arena, Type *, g->nparams + 1);
        for (int i = 0; i < g->nparams; i++)
            args[i] = c->sig[i] == 'i' ? type_int(tt) : c->sig[i] == 'b' ? type_bool(tt) : type_float(tt);
        e->args = args;
    }
    e->required = c->required;
    *out = e;
    return 1;
}

/* Compiles src through the pipeline's parse and infer stages and
   specialises `fn` for the signature `sig`, one letter per parameter: i
   int, f float, b bool (NULL: the exported signature, float parameters).
   Inference may fail (the diagnostics are kept in c->errors); the IR it
   gives must pass the checker. */
static Compiled *compile(const char *src, const char *fn, const char *sig, bool required)
{
    Compiled *c = xcalloc(1, sizeof *c);
    c->fn = fn;
    c->sig = sig;
    c->required = required;
    c->pc = (Compilation){.input = "t.my", .src = src, .srclen = strlen(src), .arena = arena_new(),
                          .choose = one_entry, .user = c, .verify_ir = true};
    diags_init(&c->pc.diags, "t.my", src, strlen(src));
    assert_true(pipeline_run(&c->pc, STAGE_PARSE));
    pipeline_run(&c->pc, STAGE_INFER);
    c->lowered = c->pc.lowered;
    c->typed = c->pc.typed;
    if (c->pc.entries)
        c->entry = c->pc.entries[0];
    if (c->typed) {
        StrBuf e2 = {0};
        int bad = ir_check(c->typed, true, &e2);
        if (bad)
            print_error("%s", sb_cstr(&e2));
        assert_int_equal(bad, 0);
        sb_free(&e2);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    diags_print(&c->pc.diags, mem);
    fclose(mem);
    sb_puts(&c->errors, buf);
    free(buf);
    return c;
}

static void release(Compiled *c)
{
    pipeline_free(&c->pc);
    diags_free(&c->pc.diags);
    sb_free(&c->errors);
    arena_free(c->pc.arena);
    free(c);
}

/* Runs the specialised entry on args; returns the repr of the result. */
static char *run_typed(Compiled *c, const Value *args, int n)
{
    Interp *in = interp_new(c->typed);
    Value r;
    StrBuf err = {0}, out = {0};
    int rc = interp_call(in, c->entry.result, args, n, &r, &err);
    if (rc)
        sb_printf(&out, "error: %s", sb_cstr(&err));
    else
        value_repr(&r, &out);
    char *s = xstrdup(sb_cstr(&out));
    sb_free(&err);
    sb_free(&out);
    interp_free(in);
    return s;
}

static Graph *find_graph(Module *m, const char *name)
{
    for (int i = 0; i < m->graphs.len; i++)
        if (strcmp(m->graphs.data[i]->name, name) == 0)
            return m->graphs.data[i];
    return NULL;
}

static void test_int_plus_float_promotes(void **state)
{
    (void)state;
    Compiled *c = compile("def f(x, n):\n    return x + n\n", "f", "fi", true);
    assert_non_null(c->typed);
    Graph *g = c->entry.result;
    assert_int_equal(g->ret_type->kind, T_FLOAT);
    /* the int operand is converted explicitly: add(%x, float(%n)) */
    Node *add = g->output;
    assert_int_equal(add->kind, N_APPLY);
    assert_true(ir_is_const_prim(add->app.in[0], P_ADD));
    assert_true(add->app.in[2]->kind == N_APPLY && ir_is_const_prim(add->app.in[2]->app.in[0], P_FLOAT));
    Value args[2] = {value_float(1.5), value_int(2)};
    char *r = run_typed(c, args, 2);
    assert_string_equal(r, "3.5");
    free(r);
    release(c);
}

static void test_int_arguments_stay_int(void **state)
{
    (void)state;
    Compiled *c = compile("def f(a, b):\n    return a // b + a % b\n", "f", "ii", true);
    assert_int_equal(c->entry.result->ret_type->kind, T_INT);
    Value args[2] = {value_int(-7), value_int(2)};
    char *r = run_typed(c, args, 2);
    assert_string_equal(r, "-3");   /* -4 + 1 */
    free(r);
    release(c);
}

/* A variable that is an int on one path and a float on another is a
   float, and the int path converts. */
static void test_join_of_int_and_float_is_float(void **state)
{
    (void)state;
    const char *src = "def f(c):\n"
                      "    if c > 0:\n"
                      "        y = 1\n"
                      "    else:\n"
                      "        y = 2.5\n"
                      "    return y\n";
    Compiled *c = compile(src, "f", NULL, true);
    assert_non_null(c->typed);
    assert_int_equal(c->entry.result->ret_type->kind, T_FLOAT);
    Value pos = value_float(1.0), neg = value_float(-1.0);
    char *r1 = run_typed(c, &pos, 1), *r2 = run_typed(c, &neg, 1);
    assert_string_equal(r1, "1.0");
    assert_string_equal(r2, "2.5");
    free(r1);
    free(r2);
    release(c);
}

static void test_recursion_reaches_a_fixpoint(void **state)
{
    (void)state;
    const char *src = "def fact(n):\n"
                      "    if n <= 1:\n"
                      "        return 1\n"
                      "    return n * fact(n - 1)\n";
    Compiled *c = compile(src, "fact", "i", true);
    assert_int_equal(c->entry.result->ret_type->kind, T_INT);
    Value n = value_int(20);
    char *r = run_typed(c, &n, 1);
    assert_string_equal(r, "2432902008176640000");
    free(r);
    release(c);
}

static void test_one_clone_per_signature(void **state)
{
    (void)state;
    const char *src = "def ident(x):\n"
                      "    return x\n"
                      "def f(a):\n"
                      "    return ident(a) + ident(2)\n";
    Compiled *c = compile(src, "f", NULL, true);
    assert_non_null(c->typed);
    assert_non_null(find_graph(c->typed, "ident[float]"));
    assert_non_null(find_graph(c->typed, "ident[int]"));
    Value a = value_float(0.5);
    char *r = run_typed(c, &a, 1);
    assert_string_equal(r, "2.5");
    free(r);
    release(c);
}

static void test_closures_and_higher_order(void **state)
{
    (void)state;
    const char *src = "def twice(g, x):\n"
                      "    return g(g(x))\n"
                      "def f(a):\n"
                      "    k = a * 3.0\n"
                      "    return twice(lambda v: v + k, 1.0)\n";
    Compiled *c = compile(src, "f", NULL, true);
    assert_non_null(c->typed);
    Value a = value_float(2.0);
    char *r = run_typed(c, &a, 1);
    assert_string_equal(r, "13.0");
    free(r);
    release(c);
}

static void test_never_returning_function_is_an_error(void **state)
{
    (void)state;
    Compiled *c = compile("def f(x):\n    return f(x)\n", "f", NULL, true);
    assert_null(c->typed);
    assert_non_null(strstr(sb_cstr(&c->errors), "t.my:1:5: error: cannot infer the type of 'f'"));
    release(c);
}

/* A function whose parameter is used as a function cannot have the
   exported (float) signature: dropped silently unless required. */
static void test_higher_order_function_is_not_exported(void **state)
{
    (void)state;
    const char *src = "def apply(g, x):\n    return g(x)\n";
    Compiled *c = compile(src, "apply", NULL, false);
    assert_null(c->entry.result);
    assert_int_equal(c->pc.diags.nerrors, 0);
    release(c);
    c = compile(src, "apply", NULL, true);
    assert_int_equal(c->pc.diags.nerrors, 1);
    assert_non_null(strstr(sb_cstr(&c->errors), "is not a function"));
    release(c);
}

static void test_type_errors_name_both_types(void **state)
{
    (void)state;
    Compiled *c = compile("def f(x):\n    return x + (1.0, 2.0)\n", "f", NULL, false);
    assert_null(c->typed);
    assert_non_null(strstr(sb_cstr(&c->errors),
                           "t.my:2:14: error: unsupported operand types for +: 'float' and '(float, float)'"));
    release(c);
}

static void test_incompatible_returns(void **state)
{
    (void)state;
    const char *src = "def f(x):\n"
                      "    if x > 0.0:\n"
                      "        return x\n"
                      "    return (x, x)\n";
    Compiled *c = compile(src, "f", NULL, true);
    assert_null(c->typed);
    assert_non_null(strstr(sb_cstr(&c->errors), "incompatible types 'float' and '(float, float)'"));
    release(c);
}

static void test_annotations_convert_and_check(void **state)
{
    (void)state;
    const char *src = "def f(n: int, x: float) -> float:\n"
                      "    return n * 2\n"
                      "def g(a):\n"
                      "    return f(3, 1)\n"
                      "def h(a):\n"
                      "    return f(a, 1)\n";
    Compiled *c = compile(src, "g", NULL, true);
    assert_non_null(c->typed);
    Value a = value_float(0.0);
    char *r = run_typed(c, &a, 1);
    assert_string_equal(r, "6.0");   /* the int result converts to the declared float */
    free(r);
    release(c);
    c = compile(src, "h", NULL, true);
    assert_null(c->typed);
    assert_non_null(strstr(sb_cstr(&c->errors), "argument 1 of 'f' must be 'int', not 'float'"));
    release(c);
}

static void test_tuples_and_loops(void **state)
{
    (void)state;
    const char *src = "def fib(n: int):\n"
                      "    a, b = 0, 1\n"
                      "    for i in range(n):\n"
                      "        a, b = b, a + b\n"
                      "    return (a, b)\n";
    Compiled *c = compile(src, "fib", NULL, true);
    assert_non_null(c->typed);
    assert_int_equal(c->entry.result->ret_type->kind, T_TUPLE);
    Value n = value_int(90);
    char *r = run_typed(c, &n, 1);
    assert_string_equal(r, "(2880067194370816120, 4660046610375530309)");
    free(r);
    release(c);
}

/* apply(sq, 3) + apply(sq, a): one clone of apply per use, each calling its
   own clone of sq, instead of an error about sq's two signatures. */
static void test_function_values_specialised_per_origin(void **state)
{
    (void)state;
    const char *src = "def sq(x):\n    return x * x\n"
                      "def apply(g, x):\n    return g(x)\n"
                      "def f(a):\n    return apply(sq, 3) + apply(sq, a)\n";
    Compiled *c = compile(src, "f", NULL, true);
    assert_non_null(c->typed);
    Graph *ai = find_graph(c->typed, "apply[fn{sq},int]"), *af = find_graph(c->typed, "apply[fn{sq},float]");
    assert_non_null(ai);
    assert_non_null(af);
    assert_int_equal(ai->params[0]->type->kind, T_FUNC);
    assert_string_equal(ai->params[0]->type->fns[0].graph->name, "sq[int]");
    assert_string_equal(af->params[0]->type->fns[0].graph->name, "sq[float]");
    Value a = value_float(2.0);
    char *r = run_typed(c, &a, 1);
    assert_string_equal(r, "13.0");
    free(r);
    release(c);
}

/* A lambda that reads nothing from its creator lives at top level once
   specialised, so a recursion passing a fresh one down has one type. */
static void test_closure_context_is_what_it_reads(void **state)
{
    (void)state;
    const char *src = "def rec(n, f):\n    if n <= 0:\n        return f(1.0)\n"
                      "    return rec(n - 1, lambda a: a + 1.0)\n"
                      "def main(n: int):\n    k = n * 0.5\n    return rec(n, lambda b: b * k)\n";
    Compiled *c = compile(src, "main", NULL, true);
    assert_non_null(c->typed);
    Graph *free_lambda = NULL, *capturing = NULL;
    for (int i = 0; i < c->typed->graphs.len; i++) {
        Graph *g = c->typed->graphs.data[i];
        if (g->origin && strncmp(g->origin->name, "rec/lambda", 10) == 0)
            free_lambda = g;
        if (g->origin && strncmp(g->origin->name, "main/lambda", 11) == 0)
            capturing = g;
    }
    assert_non_null(free_lambda);
    assert_null(free_lambda->parent);       /* reads nothing: no context */
    assert_non_null(capturing);
    assert_non_null(capturing->parent);     /* reads k from main's frame */
    Value n = value_int(3);
    char *r = run_typed(c, &n, 1);
    assert_string_equal(r, "2.0");
    free(r);
    release(c);
}

/* A function value nobody calls is never typed: its specialisation is a
   graph whose body is unreachable(). */
static void test_uncalled_value_is_not_typed(void **state)
{
    (void)state;
    const char *src = "def need_int(t: int):\n    return t\n"
                      "def f(x):\n    pair = (x, lambda a: need_int(a))\n    return pair[0]\n";
    Compiled *c = compile(src, "f", NULL, true);
    assert_non_null(c->typed);
    Graph *u = NULL;
    for (int i = 0; i < c->typed->graphs.len; i++)
        if (strstr(c->typed->graphs.data[i]->name, "!uncalled"))
            u = c->typed->graphs.data[i];
    assert_non_null(u);
    assert_true(ir_is_const_prim(u->output->app.in[0], P_UNREACHABLE));
    release(c);
}

/* Values nothing uses still run (and raise) before the returned value. */
static void test_unused_values_run_first(void **state)
{
    (void)state;
    Compiled *c = compile("def f(x):\n    y = x % 0\n    return 1 // x\n", "f", "i", true);
    assert_non_null(c->typed);
    Value z = value_int(0);
    char *r = run_typed(c, &z, 1);
    assert_string_equal(r, "error: integer modulo by zero");
    free(r);
    release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_plus_float_promotes),
        cmocka_unit_test(test_int_arguments_stay_int),
        cmocka_unit_test(test_join_of_int_and_float_is_float),
        cmocka_unit_test(test_recursion_reaches_a_fixpoint),
        cmocka_unit_test(test_one_clone_per_signature),
        cmocka_unit_test(test_closures_and_higher_order),
        cmocka_unit_test(test_never_returning_function_is_an_error),
        cmocka_unit_test(test_higher_order_function_is_not_exported),
        cmocka_unit_test(test_type_errors_name_both_types),
        cmocka_unit_test(test_incompatible_returns),
        cmocka_unit_test(test_annotations_convert_and_check),
        cmocka_unit_test(test_tuples_and_loops),
        cmocka_unit_test(test_function_values_specialised_per_origin),
        cmocka_unit_test(test_closure_context_is_what_it_reads),
        cmocka_unit_test(test_uncalled_value_is_not_typed),
        cmocka_unit_test(test_unused_values_run_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
