/*
 * test_print.c: the text printer (golden output) and the Graphviz printer
 * (well-formed, and rendered by dot when it is installed).
 */
#include "unit.h"

#include "interp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define L LOC_NONE

typedef struct T {
    Arena *arena;
    Module *m;
    Graph *f, *sq, *dead;
} T;

/*
 * def sq(x: float) -> float: return x * x
 * def f(n: int):
 *     x = n * 2; x = x + 1
 *     def g(y): return sq(x) + y     # a closure over f's x
 *     return g(0.5), max, (1e16, -0.0, True)
 * plus a graph nothing refers to.
 */
static T *build(void)
{
    T *t = calloc(1, sizeof *t);
    t->arena = arena_new();
    Module *m = t->m = ir_module_new(t->arena, "p.my");
    TypeTable *tt = m->types;

    Graph *sq = t->sq = ir_graph_new(m, G_FUNCTION, "sq", NULL, L);
    sq->src_name = "sq";
    Node *x = ir_add_param(sq, "x", L);
    sq->param_ann[0] = type_float(tt);
    sq->ret_ann = type_float(tt);
    ir_set_output(sq, ir_apply_prim(sq, P_MUL, L, 2, x, x));

    Graph *f = t->f = ir_graph_new(m, G_FUNCTION, "f", NULL, L);
    f->src_name = "f";
    Node *n = ir_add_param(f, "n", L);
    n->type = type_int(tt);
    Node *x1 = ir_apply_prim(f, P_MUL, L, 2, n, ir_const_int(m, 2, L));
    x1->name = "x";
    x1->type = type_int(tt);
    Node *x2 = ir_apply_prim(f, P_ADD, L, 2, x1, ir_const_int(m, 1, L));
    x2->name = "x";
    x2->type = type_int(tt);
    Graph *g = ir_graph_new(m, G_FUNCTION, "f:g", f, L);
    g->src_name = "g";
    Node *y = ir_add_param(g, "y", L);
    Node *s = ir_apply_call(g, ir_const_graph(m, sq, L), L, 1, x2);
    ir_set_output(g, ir_apply_prim(g, P_ADD, L, 2, s, y));
    Node *r = ir_apply_call(f, ir_const_graph(m, g, L), L, 1, ir_const_float(m, 0.5, L));
    Node *k = ir_apply_prim(f, P_MAKE_TUPLE, L, 3, ir_const_float(m, 1e16, L), ir_const_float(m, -0.0, L),
                            ir_const_bool(m, true, L));
    ir_set_output(f, ir_apply_prim(f, P_MAKE_TUPLE, L, 3, r, ir_const_prim(m, P_MAX, L), k));

    Graph *dead = t->dead = ir_graph_new(m, G_CONST, "DEAD", NULL, L);
    Node *q = ir_apply_prim(dead, P_NEG, L, 1, ir_const_int(m, 3, L));
    q->name = "we\"ird\\name";
    ir_set_output(dead, q);
    return t;
}

static void t_free(T *t)
{
    ir_module_free(t->m);
    arena_free(t->arena);
    free(t);
}

static const char golden_module[] =
    "graph @sq(%x: float) -> float [function]\n"
    "  %1 = mul(%x, %x)\n"
    "  return %1\n"
    "\n"
    "graph @f(%n: int) [function]\n"
    "  %x: int = mul(%n, 2)\n"
    "  %x.2: int = add(%x, 1)\n"
    "  %1 = @f:g(0.5)\n"
    "  %2 = make_tuple(1e+16, -0.0, True)\n"
    "  %3 = make_tuple(%1, max, %2)\n"
    "  return %3\n"
    "\n"
    "graph @f:g(%y) [function, parent @f]\n"
    "  %1 = @sq(@f:%x.2)\n"
    "  %2 = add(%1, %y)\n"
    "  return %2\n"
    "\n"
    "graph @DEAD() [const]\n"
    "  %we\"ird\\name = neg(3)\n"
    "  return %we\"ird\\name\n";

static void test_print_module(void **state)
{
    (void)state;
    T *t = build();
    StrBuf out = {0};
    ir_print_module(t->m, NULL, 0, &out);
    assert_string_equal(sb_cstr(&out), golden_module);
    /* stable: printing twice gives the same text */
    StrBuf again = {0};
    ir_print_module(t->m, NULL, 0, &again);
    assert_string_equal(sb_cstr(&out), sb_cstr(&again));
    sb_free(&again);
    sb_free(&out);
    t_free(t);
}

/* With roots: only what f reaches, breadth first (f, then g, then sq). */
static void test_print_roots(void **state)
{
    (void)state;
    T *t = build();
    StrBuf out = {0};
    ir_print_module(t->m, &t->f, 1, &out);
    assert_string_equal(sb_cstr(&out),
                        "graph @f(%n: int) [function]\n"
                        "  %x: int = mul(%n, 2)\n"
                        "  %x.2: int = add(%x, 1)\n"
                        "  %1 = @f:g(0.5)\n"
                        "  %2 = make_tuple(1e+16, -0.0, True)\n"
                        "  %3 = make_tuple(%1, max, %2)\n"
                        "  return %3\n"
                        "\n"
                        "graph @f:g(%y) [function, parent @f]\n"
                        "  %1 = @sq(@f:%x.2)\n"
                        "  %2 = add(%1, %y)\n"
                        "  return %2\n"
                        "\n"
                        "graph @sq(%x: float) -> float [function]\n"
                        "  %1 = mul(%x, %x)\n"
                        "  return %1\n");
    out.len = 0;
    ir_print_graph(t->sq, &out);
    assert_string_equal(sb_cstr(&out), "graph @sq(%x: float) -> float [function]\n  %1 = mul(%x, %x)\n  return %1\n");
    sb_free(&out);
    t_free(t);
}

/* A graph without output and a parameter-only graph still print. */
static void test_print_odd_graphs(void **state)
{
    (void)state;
    Arena *a = arena_new();
    Module *m = ir_module_new(a, "o.my");
    Graph *g = ir_graph_new(m, G_BLOCK, "b", NULL, L);
    ir_add_param(g, NULL, L);
    ir_add_param(g, "x", L);
    ir_add_param(g, "x", L);
    Graph *h = ir_graph_new(m, G_FUNCTION, "h", NULL, L);
    ir_set_output(h, ir_add_param(h, "p", L));
    StrBuf out = {0};
    ir_print_module(m, NULL, 0, &out);
    assert_string_equal(sb_cstr(&out),
                        "graph @b(%1, %x, %x.2) [block]\n"
                        "  return <none>\n"
                        "\n"
                        "graph @h(%p) [function]\n"
                        "  return %p\n");
    sb_free(&out);
    ir_module_free(m);
    arena_free(a);
}

static int count(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub))
        n++;
    return n;
}

static void test_dot(void **state)
{
    (void)state;
    T *t = build();
    StrBuf out = {0};
    ir_dot_module(t->m, NULL, 0, &out);
    const char *s = sb_cstr(&out);
    assert_true(strncmp(s, "digraph ir {\n", 13) == 0);
    assert_int_equal(count(s, "subgraph cluster_"), 4);
    /* g nested in f */
    const char *cf = strstr(s, "subgraph cluster_1 {"), *cg = strstr(s, "subgraph cluster_2 {");
    assert_non_null(cf);
    assert_non_null(cg);
    assert_true(cf < cg);
    assert_non_null(strstr(s, "label=\"%x.2: int = add(%x, 1)\""));
    assert_non_null(strstr(s, "label=\"%we\\\"ird\\\\name = neg(3)\""));  /* escaped */
    assert_non_null(strstr(s, "style=dashed, lhead=cluster_2"));        /* f uses @f:g */
    assert_non_null(strstr(s, "g1_n1 -> g2_n0;"));                       /* free variable x.2 */
    assert_int_equal(count(s, "{"), count(s, "}"));

    /* dot must accept it */
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        char path[] = "/tmp/myc_test_dot_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *fp = fdopen(fd, "w");
        fputs(s, fp);
        fclose(fp);
        char cmd[256];
        snprintf(cmd, sizeof cmd, "dot -Tsvg %s -o /dev/null 2>&1", path);
        FILE *p = popen(cmd, "r");
        char buf[512];
        size_t got = fread(buf, 1, sizeof buf - 1, p);
        buf[got] = 0;
        int rc = pclose(p);
        if (got)
            fprintf(stderr, "dot said: %s\n", buf);
        assert_int_equal(rc, 0);
        assert_int_equal(got, 0);   /* no warnings either */
        remove(path);
    } else {
        fprintf(stderr, "dot not installed: rendering not tested\n");
    }
    /* roots: the dead graph is left out */
    out.len = 0;
    ir_dot_module(t->m, &t->f, 1, &out);
    assert_int_equal(count(sb_cstr(&out), "subgraph cluster_"), 3);
    assert_null(strstr(sb_cstr(&out), "DEAD"));
    sb_free(&out);
    t_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_module),
        cmocka_unit_test(test_print_roots),
        cmocka_unit_test(test_print_odd_graphs),
        cmocka_unit_test(test_dot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
