/*
 * test_cabi.c: C ABI descriptions of exported functions and the header
 * writer (src/cabi.c, contract section 3).
 *
 * The header tests also compile the header they write, as C and as C++,
 * with cc, gcc, clang, g++ and clang++ (-fsyntax-only, every warning an
 * error); a compiler that is not installed is skipped with a message.
 * tests/abi/run.sh does the same for the headers `myc --header` writes.
 */
#include "unit.h"

#include <stdio.h>
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

/* ---- lists (contract 5.5) ------------------------------------------------- */

/* Which list types are blocks of one scalar type, and their shape. */
static void test_list_blocks(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Type *fl = type_float(tt), *in = type_int(tt), *bo = type_bool(tt);
    ListBlock lb;
    assert_true(type_list_block(type_list(tt, fl), &lb));
    assert_int_equal(lb.dims, 1);
    assert_int_equal(lb.leaf, T_FLOAT);
    assert_int_equal(lb.per_item, 1);
    Type *pair[] = {in, in};
    Type *nested[] = {type_tuple(tt, pair, 2), in};
    assert_true(type_list_block(type_list(tt, type_list(tt, type_tuple(tt, nested, 2))), &lb));
    assert_int_equal(lb.dims, 2);
    assert_int_equal(lb.leaf, T_INT);
    assert_int_equal(lb.per_item, 3);
    assert_true(type_list_block(type_list(tt, type_list(tt, bo)), &lb));
    assert_int_equal(lb.leaf, T_BOOL);
    /* not blocks: deeper nesting, mixed leaves, no leaves, a list in a tuple item, list[?] */
    assert_false(type_list_block(type_list(tt, type_list(tt, type_list(tt, fl))), NULL));
    Type *mixed[] = {fl, in};
    assert_false(type_list_block(type_list(tt, type_tuple(tt, mixed, 2)), NULL));
    assert_false(type_list_block(type_list(tt, type_tuple(tt, NULL, 0)), NULL));
    Type *holds[] = {type_list(tt, fl), fl};
    Type *holds_t = type_tuple(tt, holds, 2);
    assert_false(type_list_block(type_list(tt, holds_t), NULL));
    assert_false(type_list_block(type_list(tt, NULL), NULL));
    assert_false(type_list_block(fl, NULL));
    /* the first list of a type that is not a block */
    Type *bad = type_list(tt, type_tuple(tt, mixed, 2));
    Type *t2[] = {fl, type_tuple(tt, holds, 2), bad};
    assert_null(type_unpassable_list(type_tuple(tt, t2, 2)));
    assert_ptr_equal(type_unpassable_list(type_tuple(tt, t2, 3)), bad);
    assert_null(type_unpassable_list(fl));
}

static void test_list_signatures(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Type *fl = type_float(tt), *in = type_int(tt), *bo = type_bool(tt);
    const char *names[] = {"xs", "m", "flags", "n"};
    Type *types[] = {type_list(tt, fl), type_list(tt, type_list(tt, in)), type_list(tt, bo), in};
    char *s = describe(f, sig_graph(f, names, types, 4, fl), NULL, "f");
    assert_string_equal(s, "double f(const double *xs, int64_t xs_len, const int64_t *m, int64_t m_len, "
                           "int64_t m_len_1, const bool *flags, int64_t flags_len, int64_t n)");
    free(s);
    /* a tuple holding lists, flattened in place; a list of tuples; a keyword */
    Type *pair[] = {fl, fl};
    Type *p_elems[] = {type_list(tt, type_tuple(tt, pair, 2)), fl};
    const char *names2[] = {"p", "int"};
    Type *types2[] = {type_tuple(tt, p_elems, 2), type_list(tt, in)};
    s = describe(f, sig_graph(f, names2, types2, 2, fl), NULL, "g");
    assert_string_equal(s, "double g(const double *p_0, int64_t p_0_len, double p_1, const int64_t *int_, "
                           "int64_t int_len)");
    free(s);
    /* list results: void, T ** and length pointers, numbered as components */
    Type *res[] = {fl, type_list(tt, type_list(tt, fl)), type_list(tt, bo)};
    const char *names3[] = {"x"};
    Type *types3[] = {fl};
    s = describe(f, sig_graph(f, names3, types3, 1, type_tuple(tt, res, 3)), NULL, "h");
    assert_string_equal(s, "void h(double x, double *out_0, double **out_1, int64_t *out_1_len, int64_t *out_1_len_1, "
                           "bool **out_2, int64_t *out_2_len)");
    free(s);
    s = describe(f, sig_graph(f, names3, types3, 1, type_list(tt, type_tuple(tt, pair, 2))), NULL, "r");
    assert_string_equal(s, "void r(double x, double **out_0, int64_t *out_0_len)");
    free(s);
    /* not a block: no signature */
    Type *mixed[] = {fl, in};
    Type *types4[] = {type_list(tt, type_tuple(tt, mixed, 2))};
    assert_null(describe(f, sig_graph(f, names3, types4, 1, fl), NULL, "bad"));
    Type *types5[] = {type_list(tt, type_list(tt, type_list(tt, fl)))};
    assert_null(describe(f, sig_graph(f, names3, types5, 1, fl), NULL, "deep"));
    /* NAME_grad: one double *d_ per float list (a matrix's, a list of
       tuples' too, in place in a tuple), none for lists of ints or bools */
    CSignature sig;
    Type *fm_types[] = {type_list(tt, fl), type_list(tt, type_list(tt, fl)), type_list(tt, bo), in};
    Graph *lg = sig_graph(f, names, fm_types, 4, fl);
    assert_true(cabi_grad_signature(f->arena, lg, NULL, "f", &sig));
    StrBuf sb = {0};
    cabi_format(&sig, &sb);
    assert_string_equal(sb_cstr(&sb), "double f_grad(const double *xs, int64_t xs_len, const double *m, int64_t m_len, "
                                      "int64_t m_len_1, const bool *flags, int64_t flags_len, int64_t n, "
                                      "double *d_xs, double *d_m)");
    sb_free(&sb);
    cabi_signature_free(&sig);
    Graph *tg = sig_graph(f, names2, types2, 2, fl);
    assert_true(cabi_grad_signature(f->arena, tg, NULL, "g", &sig));
    cabi_format(&sig, &sb);
    assert_string_equal(sb_cstr(&sb), "double g_grad(const double *p_0, int64_t p_0_len, double p_1, "
                                      "const int64_t *int_, int64_t int_len, double *d_p_0, double *d_p_1)");
    sb_free(&sb);
    cabi_signature_free(&sig);
    /* vjp: a list result's cotangent with its own lengths; jvp: a list
       parameter's tangent (its parameter's lengths), a list result's
       tangent through double ** */
    Type *lres[] = {fl, type_list(tt, type_list(tt, fl)), type_list(tt, in)};
    const char *names6[] = {"xs", "n"};
    Type *types6[] = {type_list(tt, fl), type_list(tt, in)};
    Graph *vg = sig_graph(f, names6, types6, 2, type_tuple(tt, lres, 3));
    assert_true(cabi_vjp_signature(f->arena, vg, NULL, "v", &sig));
    cabi_format(&sig, &sb);
    assert_string_equal(sb_cstr(&sb), "void v_vjp(const double *xs, int64_t xs_len, const int64_t *n, int64_t n_len, "
                                      "double *out_0, double **out_1, int64_t *out_1_len, int64_t *out_1_len_1, "
                                      "int64_t **out_2, int64_t *out_2_len, double dy_0, const double *dy_1, "
                                      "int64_t dy_1_len, int64_t dy_1_len_1, double *d_xs)");
    sb_free(&sb);
    cabi_signature_free(&sig);
    assert_true(cabi_jvp_signature(f->arena, vg, NULL, "v", &sig));
    cabi_format(&sig, &sb);
    assert_string_equal(sb_cstr(&sb), "void v_jvp(const double *xs, int64_t xs_len, const int64_t *n, int64_t n_len, "
                                      "const double *t_xs, double *out_0, double **out_1, int64_t *out_1_len, "
                                      "int64_t *out_1_len_1, int64_t **out_2, int64_t *out_2_len, double *dout_0, "
                                      "double **dout_1)");
    sb_free(&sb);
    cabi_signature_free(&sig);
}

/* ---- NAME_vjp and NAME_jvp signatures ------------------------------------ */

static char *describe_vector(Fixture *f, Graph *g, const char *prefix, const char *name, bool vjp)
{
    CSignature sig;
    if (!(vjp ? cabi_vjp_signature : cabi_jvp_signature)(f->arena, g, prefix, name, &sig))
        return NULL;
    StrBuf sb = {0};
    cabi_format(&sig, &sb);
    cabi_signature_free(&sig);
    char *s = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return s;
}

/* Out-pointers for every result leaf; a cotangent (vjp) or a tangent
   out-pointer (jvp) per float result leaf, numbered as its out-pointer;
   a d_ pointer (vjp) or a tangent (jvp) per float parameter leaf. */
static void test_vector_signatures(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Type *inner[] = {type_int(tt), type_float(tt)};
    Type *p_elems[] = {type_float(tt), type_tuple(tt, inner, 2)};
    Type *r_inner[] = {type_bool(tt), type_float(tt)};
    Type *res[] = {type_float(tt), type_int(tt), type_tuple(tt, r_inner, 2)};
    const char *names[] = {"x", "p", "n"};
    Type *types[] = {type_float(tt), type_tuple(tt, p_elems, 2), type_int(tt)};
    Graph *g = sig_graph(f, names, types, 3, type_tuple(tt, res, 3));
    char *s = describe_vector(f, g, NULL, "step", true);
    assert_string_equal(s, "void step_vjp(double x, double p_0, int64_t p_1_0, double p_1_1, int64_t n, "
                           "double *out_0, int64_t *out_1, bool *out_2, double *out_3, double dy_0, double dy_3, "
                           "double *d_x, double *d_p_0, double *d_p_1_1)");
    free(s);
    s = describe_vector(f, g, "pf_", "step", false);
    assert_string_equal(s, "void pf_step_jvp(double x, double p_0, int64_t p_1_0, double p_1_1, int64_t n, "
                           "double t_x, double t_p_0, double t_p_1_1, "
                           "double *out_0, int64_t *out_1, bool *out_2, double *out_3, double *dout_0, "
                           "double *dout_3)");
    free(s);
    /* a single float result is out_0; no float anywhere: no derivative */
    const char *one[] = {"k"};
    Type *f1[] = {type_float(tt)};
    g = sig_graph(f, one, f1, 1, type_float(tt));
    s = describe_vector(f, g, NULL, "sq", true);
    assert_string_equal(s, "void sq_vjp(double k, double *out_0, double dy_0, double *d_k)");
    free(s);
    s = describe_vector(f, g, NULL, "sq", false);
    assert_string_equal(s, "void sq_jvp(double k, double t_k, double *out_0, double *dout_0)");
    free(s);
    Type *i1[] = {type_int(tt)};
    g = sig_graph(f, one, i1, 1, type_bool(tt));
    s = describe_vector(f, g, NULL, "odd", true);
    assert_string_equal(s, "void odd_vjp(int64_t k, bool *out_0)");
    free(s);
    s = describe_vector(f, g, NULL, "odd", false);
    assert_string_equal(s, "void odd_jvp(int64_t k, bool *out_0)");
    free(s);
    /* names that repeat the generated ones are made distinct */
    const char *clash[] = {"dy_0", "out_0"};
    Type *f2[] = {type_float(tt), type_float(tt)};
    s = describe_vector(f, sig_graph(f, clash, f2, 2, type_float(tt)), NULL, "new", true);
    assert_string_equal(s, "void new_vjp(double dy_0, double out_0, double *out_0_, double dy_0_, double *d_dy_0, "
                           "double *d_out_0)");
    free(s);
    /* a function in the signature: not exported */
    Graph *h = ir_graph_new(f->m, G_FUNCTION, "h", NULL, LOC_NONE);
    FnRef r = {h, -1, NULL, NULL};
    Type *fn = type_func(tt, &r, 1);
    assert_null(describe_vector(f, sig_graph(f, one, f1, 1, fn), NULL, "make", true));
    assert_null(describe_vector(f, sig_graph(f, one, f1, 1, fn), NULL, "make", false));
}

/* ---- gradient signatures ------------------------------------------------ */

static char *describe_grad(Fixture *f, Graph *g, const char *prefix, const char *name)
{
    CSignature sig;
    if (!cabi_grad_signature(f->arena, g, prefix, name, &sig))
        return NULL;
    StrBuf sb = {0};
    cabi_format(&sig, &sb);
    cabi_signature_free(&sig);
    char *s = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return s;
}

static void test_grad_tuple_with_int_and_bool_leaves(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Type *inner[] = {type_int(tt), type_float(tt), type_bool(tt)};
    Type *outer[] = {type_float(tt), type_tuple(tt, inner, 3)};
    const char *names[] = {"p", "k", "n", "flag"};
    Type *types[] = {type_tuple(tt, outer, 2), type_float(tt), type_int(tt), type_bool(tt)};
    char *s = describe_grad(f, sig_graph(f, names, types, 4, type_float(tt)), NULL, "loss");
    /* one d_ pointer per float leaf, in order; none for p[1][0], p[1][2], n, flag */
    assert_string_equal(s, "double loss_grad(double p_0, int64_t p_1_0, double p_1_1, bool p_1_2, double k, "
                           "int64_t n, bool flag, double *d_p_0, double *d_p_1_1, double *d_k)");
    free(s);
}

static void test_grad_without_float_parameters(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    const char *names[] = {"n", "b"};
    Type *types[] = {type_int(tt), type_bool(tt)};
    char *s = describe_grad(f, sig_graph(f, names, types, 2, type_float(tt)), NULL, "count");
    assert_string_equal(s, "double count_grad(int64_t n, bool b)");
    free(s);
    s = describe_grad(f, sig_graph(f, NULL, NULL, 0, type_float(tt)), NULL, "answer");
    assert_string_equal(s, "double answer_grad(void)");
    free(s);
}

static void test_grad_keywords_and_prefix(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    const char *names[] = {"new", "default"};
    Type *types[] = {type_float(tt), type_float(tt)};
    Graph *g = sig_graph(f, names, types, 2, type_float(tt));
    /* the function is renamed where its C name is a keyword; NAME_grad never is one;
       the pointers are named after the .my parameters (d_new is no keyword) */
    char *s = describe(f, g, NULL, "auto");
    assert_string_equal(s, "double auto_(double new_, double default_)");
    free(s);
    s = describe_grad(f, g, NULL, "auto");
    assert_string_equal(s, "double auto_grad(double new_, double default_, double *d_new, double *d_default)");
    free(s);
    s = describe(f, g, "pfx_", "auto");
    assert_string_equal(s, "double pfx_auto(double new_, double default_)");
    free(s);
    s = describe_grad(f, g, "pfx_", "auto");
    assert_string_equal(s, "double pfx_auto_grad(double new_, double default_, double *d_new, double *d_default)");
    free(s);
}

static void test_grad_needs_a_float_result(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    const char *names[] = {"x"};
    Type *types[] = {type_float(tt)};
    Type *pair[] = {type_float(tt), type_float(tt)};
    assert_null(describe_grad(f, sig_graph(f, names, types, 1, type_int(tt)), NULL, "f"));
    assert_null(describe_grad(f, sig_graph(f, names, types, 1, type_bool(tt)), NULL, "f"));
    assert_null(describe_grad(f, sig_graph(f, names, types, 1, type_tuple(tt, pair, 2)), NULL, "f"));
    Type *one[] = {type_float(tt)};
    assert_null(describe_grad(f, sig_graph(f, names, types, 1, type_tuple(tt, one, 1)), NULL, "f"));
    Graph *h = ir_graph_new(f->m, G_FUNCTION, "h", NULL, LOC_NONE);
    FnRef r = {h, -1, NULL, NULL};
    Type *fn[] = {type_func(tt, &r, 1)};
    assert_null(describe_grad(f, sig_graph(f, names, fn, 1, type_float(tt)), NULL, "f"));
}

static void test_parameter_names_stay_distinct(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    const char *names[] = {"x", "d_x"};
    Type *types[] = {type_float(tt), type_float(tt)};
    char *s = describe_grad(f, sig_graph(f, names, types, 2, type_float(tt)), NULL, "f");
    assert_string_equal(s, "double f_grad(double x, double d_x, double *d_x_, double *d_d_x)");
    free(s);
    /* a tuple's flattened names against a parameter's; a result pointer against a parameter */
    Type *pair[] = {type_float(tt), type_float(tt)};
    const char *names2[] = {"p", "p_0", "out_1"};
    Type *types2[] = {type_tuple(tt, pair, 2), type_float(tt), type_int(tt)};
    s = describe(f, sig_graph(f, names2, types2, 3, type_tuple(tt, pair, 2)), NULL, "f");
    assert_string_equal(s, "void f(double p_0, double p_1, double p_0_, int64_t out_1, double *out_0, double *out_1_)");
    free(s);
}

/* ---- the header ------------------------------------------------------------- */

/* The exports of a small program: every kind of parameter and result. */
typedef struct HeaderCase {
    CExport ex[10];
    int n;
} HeaderCase;

static void add_export(Fixture *f, HeaderCase *hc, Graph *g, const char *prefix, const char *name, ExportKind kind)
{
    CExport *e = &hc->ex[hc->n++];
    bool ok = kind == EXPORT_GRAD  ? cabi_grad_signature(f->arena, g, prefix, name, &e->sig)
              : kind == EXPORT_VJP ? cabi_vjp_signature(f->arena, g, prefix, name, &e->sig)
              : kind == EXPORT_JVP ? cabi_jvp_signature(f->arena, g, prefix, name, &e->sig)
                                   : cabi_signature(f->arena, g, prefix, name, &e->sig);
    assert_true(ok);
    e->fn = g;
    e->my_name = name;
    e->kind = kind;
}

static void header_case(Fixture *f, const char *prefix, HeaderCase *hc)
{
    TypeTable *tt = f->m->types;
    memset(hc, 0, sizeof *hc);
    Type *inner[] = {type_int(tt), type_float(tt)};
    Type *p_elems[] = {type_float(tt), type_tuple(tt, inner, 2)};
    const char *loss_names[] = {"x", "p", "flag"};
    Type *loss_types[] = {type_float(tt), type_tuple(tt, p_elems, 2), type_bool(tt)};
    Graph *loss = sig_graph(f, loss_names, loss_types, 3, type_float(tt));
    add_export(f, hc, loss, prefix, "loss", EXPORT_FUNC);
    add_export(f, hc, loss, prefix, "loss", EXPORT_GRAD);

    Type *res_inner[] = {type_float(tt), type_int(tt)};
    Type *res[] = {type_tuple(tt, res_inner, 2), type_bool(tt)};
    const char *split_names[] = {"x"};
    Type *split_types[] = {type_float(tt)};
    Graph *split = sig_graph(f, split_names, split_types, 1, type_tuple(tt, res, 2));
    add_export(f, hc, split, prefix, "split", EXPORT_FUNC);
    add_export(f, hc, split, prefix, "split", EXPORT_VJP);
    add_export(f, hc, split, prefix, "split", EXPORT_JVP);
    add_export(f, hc, loss, prefix, "loss", EXPORT_JVP);

    add_export(f, hc, sig_graph(f, NULL, NULL, 0, type_int(tt)), prefix, "answer", EXPORT_FUNC);

    const char *kw_names[] = {"new", "this", "n"};
    Type *kw_types[] = {type_float(tt), type_float(tt), type_int(tt)};
    Graph *kw = sig_graph(f, kw_names, kw_types, 3, type_float(tt));
    add_export(f, hc, kw, prefix, "auto", EXPORT_FUNC);
    add_export(f, hc, kw, prefix, "auto", EXPORT_GRAD);
}

static char *write_header(Fixture *f, const char *path, const char *source, const char *prefix)
{
    HeaderCase hc;
    header_case(f, prefix, &hc);
    StrBuf sb = {0};
    cabi_write_header(path, source, hc.ex, hc.n, &sb);
    for (int i = 0; i < hc.n; i++)
        cabi_signature_free(&hc.ex[i].sig);
    char *s = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return s;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("the header lacks \"%s\"; it reads:\n%s", part, text);
}

static void test_header_content(void **state)
{
    Fixture *f = *state;
    char *h = write_header(f, "build/demo/prog.h", "samples/prog.my", NULL);
    assert_contains(h, "#ifndef PROG_H\n#define PROG_H\n");
    assert_contains(h, "#endif /* PROG_H */\n");
    assert_contains(h, "#include <stdbool.h>\n");
    assert_contains(h, "#include <stdint.h>\n");
    assert_contains(h, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    assert_contains(h, "samples/prog.my");
    assert_contains(h, "myc " MYC_VERSION);
    /* which .my function, how tuples were flattened */
    assert_contains(h, "/* loss(x: float, p: (float, (int, float)), flag: bool) -> float\n");
    assert_contains(h, " *   p is passed flattened, as (p_0, (p_1_0, p_1_1)).\n");
    assert_contains(h, "double loss(double x, double p_0, int64_t p_1_0, double p_1_1, bool flag);\n");
    /* the gradient: what each pointer receives, which parameters have none, NULL */
    assert_contains(h, "/* Gradient of loss(x: float, p: (float, (int, float)), flag: bool) -> float\n");
    assert_contains(h, " *     *d_x = d loss / d x\n");
    assert_contains(h, " *     *d_p_0 = d loss / d p[0]\n");
    assert_contains(h, " *     *d_p_1_1 = d loss / d p[1][1]\n");
    assert_contains(h, "int and bool parameters: p[1][0], flag)");
    assert_contains(h, "A NULL pointer skips that derivative");
    assert_contains(h, "double loss_grad(double x, double p_0, int64_t p_1_0, double p_1_1, bool flag, double *d_x,\n"
                       "                 double *d_p_0, double *d_p_1_1);\n");
    /* a tuple result, no parameters, keywords */
    assert_contains(h, "/* split(x: float) -> ((float, int), bool)\n");
    assert_contains(h, "as ((*out_0, *out_1), *out_2).\n");
    assert_contains(h, "void split(double x, double *out_0, int64_t *out_1, bool *out_2);\n");
    assert_contains(h, "\n/* answer() -> int */\nint64_t answer(void);\n");
    assert_contains(h, "\n/* auto(new: float, this: float, n: int) -> float */\n");
    assert_contains(h, "double auto_(double new_, double this_, int64_t n);\n");
    assert_contains(h, " *     *d_this = d auto / d this\n");
    assert_contains(h, "double auto_grad(double new_, double this_, int64_t n, double *d_new, double *d_this);\n");
    /* vjp and jvp: where the result goes, what each derivative pointer receives */
    assert_contains(h, "/* Vector-Jacobian product of split(x: float) -> ((float, int), bool)\n"
                       " *   Stores split's result through the out-pointers, as ((*out_0, *out_1), *out_2),\n"
                       " *   and its vector-Jacobian product with the cotangent (dy_0):\n"
                       " *     *d_x = dy_0 * d split[0][0] / d x\n"
                       " *   (No cotangent for the int and bool results: split[0][1], split[1].)\n"
                       " *   Any pointer may be NULL: that store is skipped (with every d_ pointer NULL,\n"
                       " *   no derivative is computed); the pointers must not overlap.\n */\n"
                       "void split_vjp(double x, double *out_0, int64_t *out_1, bool *out_2, double dy_0, double *d_x);\n");
    assert_contains(h, "/* Jacobian-vector product of split(x: float) -> ((float, int), bool)\n");
    assert_contains(h, " *   and its derivative along the tangent (t_x):\n"
                       " *     *dout_0 = d split[0][0] / d x * t_x\n"
                       " *   (No dout_ pointer for the int and bool results: split[0][1], split[1].)\n");
    assert_contains(h, "void split_jvp(double x, double t_x, double *out_0, int64_t *out_1, bool *out_2, double *dout_0);\n");
    assert_contains(h, " *   Stores loss's result through the out-pointers, as *out_0,\n"
                       " *   and its derivative along the tangent (t_x, t_p_0, t_p_1_1):\n"
                       " *     *dout_0 = d loss / d x * t_x + d loss / d p[0] * t_p_0 + d loss / d p[1][1] * t_p_1_1\n"
                       " *   (No tangent for the int and bool parameters: p[1][0], flag.)\n");
    assert_null(strstr(h, "restrict"));
    free(h);
}

static void test_header_prefix(void **state)
{
    Fixture *f = *state;
    char *h = write_header(f, "prog.h", "prog.my", "pfx_");
    assert_contains(h, "double pfx_loss(double x,");
    assert_contains(h, "double pfx_loss_grad(double x,");
    assert_contains(h, "void pfx_split(double x,");
    assert_contains(h, "int64_t pfx_answer(void);\n");
    assert_contains(h, "double pfx_auto(double new_,");      /* no longer a keyword */
    assert_contains(h, "/* loss(x: float,");                 /* the comment names the .my function */
    free(h);
}

static void test_header_guard_and_comment_text(void **state)
{
    (void)state;
    StrBuf sb = {0};
    cabi_write_header("out/black-scholes.v2.h", "weird */ name\n.my", NULL, 0, &sb);
    const char *h = sb_cstr(&sb);
    assert_contains(h, "#ifndef BLACK_SCHOLES_V2_H\n");
    assert_contains(h, "(no function is exported)");
    assert_contains(h, "weird * / name?.my");
    assert_null(strstr(h, "weird */"));
    sb_free(&sb);
    cabi_write_header("2d.h", "2d.my", NULL, 0, &sb);
    assert_contains(sb_cstr(&sb), "#ifndef MYC_2D_H\n");
    sb_free(&sb);
}

/* ---- the header compiles as C and as C++ ------------------------------------------- */

static bool have_program(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* Compiles `src` (which includes prog.h) in dir with compiler `cc` and
   flags.  Returns NULL on success (or when cc is not installed), else the
   command and the compiler's output (malloc'd). */
static char *compile_error(const char *dir, const char *cc, const char *flags, const char *src)
{
    if (!have_program(cc)) {
        print_message("skipped: %s is not installed\n", cc);
        return NULL;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s %s -fsyntax-only %s > log 2>&1", dir, cc, flags, src);
    if (system(cmd) == 0)
        return NULL;
    char log[4096] = "";
    snprintf(cmd, sizeof cmd, "%s/log", dir);
    FILE *fp = fopen(cmd, "r");
    if (fp) {
        size_t n = fread(log, 1, sizeof log - 1, fp);
        log[n] = '\0';
        fclose(fp);
    }
    StrBuf sb = {0};
    sb_printf(&sb, "%s %s %s failed:\n%s", cc, flags, src, log);
    char *msg = xstrdup(sb_cstr(&sb));
    sb_free(&sb);
    return msg;
}

static void test_header_compiles(void **state)
{
    Fixture *f = *state;
    char dir[] = "/tmp/myc_cabi_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/prog.h", dir);
    char *h = write_header(f, path, "prog.my", NULL);
    write_file(path, h);
    free(h);
    /* included twice (the guard), and the declarations used with their types */
    const char *use =
        "#include \"prog.h\"\n#include \"prog.h\"\n"
        "double use(void);\n"
        "double use(void)\n{\n"
        "    double d_x, d_p_0, d_p_1_1, o0; int64_t o1; bool o2;\n"
        "    double v = loss(1.0, 2.0, 3, 4.0, true) + loss_grad(1.0, 2.0, 3, 4.0, false, &d_x, &d_p_0, 0);\n"
        "    split(v, &o0, &o1, &o2);\n"
        "    split_vjp(v, &o0, 0, &o2, 1.0, &d_x);\n"
        "    split_jvp(v, 1.0, 0, &o1, 0, &d_x);\n"
        "    loss_jvp(1.0, 2.0, 3, 4.0, true, 1.0, 0.0, 0.5, &o0, 0);\n"
        "    return v + (double)answer() + auto_(1.0, 2.0, 3) + auto_grad(1.0, 2.0, 3, 0, &d_p_1_1) + o0;\n"
        "}\n";
    char src[300];
    snprintf(src, sizeof src, "%s/use.c", dir);
    write_file(src, use);
    snprintf(src, sizeof src, "%s/use.cpp", dir);
    write_file(src, use);
    static const struct { const char *cc, *flags, *src; } runs[] = {
        {"cc", "-std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes -Wmissing-prototypes", "use.c"},
        {"gcc", "-std=c99 -Wall -Wextra -Werror -pedantic", "use.c"},
        {"clang", "-std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes", "use.c"},
        {"g++", "-std=c++17 -Wall -Wextra -Werror -pedantic", "use.cpp"},
        {"g++", "-std=c++11 -Wall -Wextra -Werror", "use.cpp"},
        {"clang++", "-std=c++17 -Wall -Wextra -Werror -pedantic", "use.cpp"},
    };
    char *err = NULL;
    for (size_t i = 0; i < sizeof runs / sizeof *runs && !err; i++)
        err = compile_error(dir, runs[i].cc, runs[i].flags, runs[i].src);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rm = system(cmd);
    if (err) {
        print_error("%s\n", err);
        free(err);
        fail();
    }
    assert_int_equal(rm, 0);
}

/* The header's comments on lists: the shape of each list parameter's
   block, who frees a result, the general paragraph; and it compiles as C
   and C++ (test_header_compiles does the same for the other header). */
static void test_list_header(void **state)
{
    Fixture *f = *state;
    TypeTable *tt = f->m->types;
    Type *fl = type_float(tt), *in = type_int(tt);
    Type *pair[] = {fl, fl};
    const char *names[] = {"xs", "m", "ps"};
    Type *types[] = {type_list(tt, fl), type_list(tt, type_list(tt, fl)), type_list(tt, type_tuple(tt, pair, 2))};
    Type *res[] = {type_list(tt, in), type_list(tt, type_list(tt, fl))};
    HeaderCase hc;
    memset(&hc, 0, sizeof hc);
    add_export(f, &hc, sig_graph(f, names, types, 3, type_tuple(tt, res, 2)), NULL, "solve", EXPORT_FUNC);
    StrBuf sb = {0};
    cabi_write_header("lists.h", "lists.my", hc.ex, hc.n, &sb);
    const char *h = sb_cstr(&sb);
    assert_contains(h, " * Lists (as each function's comment says): a list parameter is a pointer to\n");
    assert_contains(h, "/* solve(xs: list[float], m: list[list[float]], ps: list[(float, float)]) -> "
                       "(list[int], list[list[float]])\n"
                       " *   xs: xs_len doubles (read only; NULL allowed when there are none).\n"
                       " *   m: m_len rows of m_len_1 doubles, row-major (read only; NULL allowed when there are none).\n"
                       " *   ps: ps_len items (float, float), each 2 doubles in a row (read only; NULL allowed when there "
                       "are none).\n"
                       " *   The result is stored through the out-pointers, as ((*out_0)[*out_0_len], "
                       "(*out_1)[*out_1_len][*out_1_len_1]).\n"
                       " *   *out_0: *out_0_len int64_t values,\n"
                       " *     in a block from malloc (NULL when empty) that the caller frees with free().\n"
                       " *   *out_1: *out_1_len rows of *out_1_len_1 doubles, row-major,\n"
                       " *     in a block from malloc (NULL when empty) that the caller frees with free();\n"
                       " *     a result whose rows differ in length is a runtime error.\n */\n"
                       "void solve(const double *xs, int64_t xs_len, const double *m, int64_t m_len, int64_t m_len_1,\n"
                       "           const double *ps, int64_t ps_len, int64_t **out_0, int64_t *out_0_len, double **out_1,\n"
                       "           int64_t *out_1_len, int64_t *out_1_len_1);\n");
    cabi_signature_free(&hc.ex[0].sig);
    /* a header without lists has no list paragraph */
    char *plain = write_header(f, "prog.h", "prog.my", NULL);
    assert_null(strstr(plain, "Lists"));
    free(plain);
    char dir[] = "/tmp/myc_cabi_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/lists.h", dir);
    write_file(path, h);
    sb_free(&sb);
    const char *use =
        "#include <stdlib.h>\n#include \"lists.h\"\n"
        "double use(void);\n"
        "double use(void)\n{\n"
        "    static const double xs[2] = {1.0, 2.0}, m[2][2] = {{1.0, 2.0}, {3.0, 4.0}}, ps[2] = {0.5, 0.25};\n"
        "    int64_t *o0, n0, n1, c1; double *o1;\n"
        "    solve(xs, 2, &m[0][0], 2, 2, ps, 1, &o0, &n0, &o1, &n1, &c1);\n"
        "    double v = (double)n0 + o1[0];\n"
        "    free(o0);\n    free(o1);\n"
        "    return v;\n"
        "}\n";
    char src[300];
    snprintf(src, sizeof src, "%s/use.c", dir);
    write_file(src, use);
    snprintf(src, sizeof src, "%s/use.cpp", dir);
    write_file(src, use);
    static const struct { const char *cc, *flags, *src; } runs[] = {
        {"cc", "-std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes -Wmissing-prototypes", "use.c"},
        {"gcc", "-std=c99 -Wall -Wextra -Werror -pedantic", "use.c"},
        {"clang", "-std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes", "use.c"},
        {"g++", "-std=c++11 -Wall -Wextra -Werror", "use.cpp"},
        {"clang++", "-std=c++17 -Wall -Wextra -Werror -pedantic", "use.cpp"},
    };
    char *err = NULL;
    for (size_t i = 0; i < sizeof runs / sizeof *runs && !err; i++)
        err = compile_error(dir, runs[i].cc, runs[i].flags, runs[i].src);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rm = system(cmd);
    if (err) {
        print_error("%s\n", err);
        free(err);
        fail();
    }
    assert_int_equal(rm, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tuples_flatten_depth_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keywords_renamed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions_are_not_exported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vector_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grad_tuple_with_int_and_bool_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grad_without_float_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grad_keywords_and_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grad_needs_a_float_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_names_stay_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_guard_and_comment_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_compiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_header, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
