/* test_cabi.c: C ABI descriptions of exported functions (src/cabi.c, contract section 3). */
#include "unit.h"

#include <string.h>

#include "cabi.h"

typedef struct Fixture {
    Arena *arena;
    Module *m;
} Fixture;

static int setup(void **state)
{
    Fixture *f = xcalloc(1, sizeof *f);
    f->arena = arena_new();
    f->m = ir_module_new(f->arena, "t.my");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    ir_module_free(f->m);
    arena_free(f->arena);
    free(f);
    return 0;
}

/* A graph with typed parameters and a return type (the body is irrelevant). */
static Graph *sig_graph(Fixture *f, const char *const *names, Type **types, int n, Type *ret)
{
    Graph *g = ir_graph_new(f->m, G_FUNCTION, "g", NULL, LOC_NONE);
    for (int i = 0; i < n; i++)
        ir_add_param(g, names[i], LOC_NONE)->type = types[i];
    g->ret_type = ret;
    ir_set_output(g, ir_const_float(f->m, 0.0, LOC_NONE));
    return g;
}

static char *describe(Fixture *f, Graph *g, const char *prefix, const char *name)
{
    CSignature sig;
    if (!cabi_signature(f->arena, g, prefix, name, &sig))
        return NULL;
    StrBuf sb = {0};
    cabi_format(&sig, &sb);
    cabi_signature_free(&sig);
    char *s = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return s;
}

static void test_scalars(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    const char *names[] = {"x", "n", "flag"};
    Type *types[] = {type_float(tt), type_int(tt), type_bool(tt)};
    char *s = describe(f, sig_graph(f, names, types, 3, type_float(tt)), NULL, "loss");
    assert_string_equal(s, "double loss(double x, int64_t n, bool flag)");
    free(s);
}

static void test_tuples_flatten_depth_first(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Type *inner[] = {type_int(tt), type_float(tt)};
    Type *outer[] = {type_float(tt), type_tuple(tt, inner, 2)};
    Type *res[] = {type_float(tt), type_tuple(tt, inner, 2)};
    const char *names[] = {"p", "k"};
    Type *types[] = {type_tuple(tt, outer, 2), type_float(tt)};
    char *s = describe(f, sig_graph(f, names, types, 2, type_tuple(tt, res, 2)), "my_", "step");
    /* parameters are named by path, results numbered in order */
    assert_string_equal(s, "void my_step(double p_0, int64_t p_1_0, double p_1_1, double k, "
                           "double *out_0, int64_t *out_1, double *out_2)");
    free(s);
}

static void test_keywords_renamed(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    const char *names[] = {"default", "new", "value"};
    Type *types[] = {type_float(tt), type_float(tt), type_float(tt)};
    char *s = describe(f, sig_graph(f, names, types, 3, type_float(tt)), NULL, "register");
    assert_string_equal(s, "double register_(double default_, double new_, double value)");
    free(s);
    assert_true(cabi_is_keyword("class"));
    assert_true(cabi_is_keyword("_Bool"));
    assert_false(cabi_is_keyword("loss"));
}

static void test_functions_are_not_exported(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Graph *h = ir_graph_new(f->m, G_FUNCTION, "h", NULL, LOC_NONE);
    FnRef r = {h, -1, NULL, NULL};
    Type *fn = type_func(tt, &r, 1);
    const char *names[] = {"g", "x"};
    Type *takes_fn[] = {fn, type_float(tt)};
    assert_null(describe(f, sig_graph(f, names, takes_fn, 2, type_float(tt)), NULL, "apply"));
    Type *floats[] = {type_float(tt), type_float(tt)};
    assert_null(describe(f, sig_graph(f, names, floats, 2, fn), NULL, "make"));
    Type *pair[] = {type_float(tt), fn};
    assert_null(describe(f, sig_graph(f, names, floats, 2, type_tuple(tt, pair, 2)), NULL, "both"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tuples_flatten_depth_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keywords_renamed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions_are_not_exported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
