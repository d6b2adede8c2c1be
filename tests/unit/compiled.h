/*
 * compiled.h: a test program compiled to the `grad` stage, for the unit
 * tests of the passes that run after it (test_grad.c, test_closure.c,
 * test_opt.c), and counting what its graphs compute.
 */
#ifndef MYC_TESTS_COMPILED_H
#define MYC_TESTS_COMPILED_H

#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "grad.h"
#include "infer.h"
#include "lower.h"
#include "unit.h"

typedef struct Compiled {
    Arena *arena;
    Diags diags;
    Module *lowered, *typed;
    InferEntry entry;
} Compiled;

/* Compiles src through parsing, lowering, inference and the grad stage
   with `fn` as the entry, specialised for `sig`: one letter per parameter,
   f float, i int, b bool; NULL: as annotated, floats where not.  Checks
   that every stage succeeds, that the lowered module (with the transforms
   inference built in it, untyped) and the specialised one pass the IR
   checker, and that every differentiation operator was expanded. */
static inline Compiled *compile(const char *src, const char *fn, const char *sig)
{
    Compiled *c = xcalloc(1, sizeof *c);
    c->arena = arena_new();
    diags_init(&c->diags, "t.my", src, strlen(src));
    AstModule *ast = parse_source(c->arena, &c->diags, src, strlen(src));
    if (diags_failed(&c->diags))
        diags_print(&c->diags, stderr);
    assert_false(diags_failed(&c->diags));
    c->lowered = lower_module(c->arena, &c->diags, ast, "t.my");
    if (diags_failed(&c->diags))
        diags_print(&c->diags, stderr);
    assert_false(diags_failed(&c->diags));
    Graph *g = NULL;
    for (int i = 0; i < c->lowered->tops.len; i++)
        if (strcmp(c->lowered->tops.data[i].name, fn) == 0)
            g = c->lowered->tops.data[i].graph;
    assert_non_null(g);
    if (sig) {
        assert_int_equal((int)strlen(sig), g->nparams);
        TypeTable *tt = c->lowered->types;
        Type **args = ARENA_ARRAY(c->arena, Type *, g->nparams + 1);
        for (int i = 0; i < g->nparams; i++)
            args[i] = sig[i] == 'i' ? type_int(tt) : sig[i] == 'b' ? type_bool(tt) : type_float(tt);
        c->entry.args = args;
    }
    c->entry.fn = g;
    c->entry.required = true;
    c->typed = infer_module(c->lowered, &c->diags, &c->entry, 1);
    if (!c->typed)
        diags_print(&c->diags, stderr);
    assert_non_null(c->typed);
    assert_non_null(c->entry.result);
    StrBuf errs = {0};
    int bad = ir_check(c->lowered, false, &errs);
    bad += ir_check(c->typed, true, &errs);
    if (bad)
        print_error("%s", sb_cstr(&errs));
    assert_int_equal(bad, 0);
    sb_free(&errs);
    assert_true(grad_check_expanded(c->typed, &c->diags));
    return c;
}

static inline void release(Compiled *c)
{
    ir_module_free(c->typed);
    ir_module_free(c->lowered);
    diags_free(&c->diags);
    arena_free(c->arena);
    free(c);
}

/* The nodes of m's graph bodies for which match(node, arg) holds. */
static inline int count_nodes(Module *m, bool (*match)(const Node *x, const void *arg), const void *arg)
{
    int k = 0;
    NodeVec body = {0};
    for (int gi = 0; gi < m->graphs.len; gi++) {
        body.len = 0;
        ir_graph_body(m->graphs.data[gi], &body);
        for (int i = 0; i < body.len; i++)
            k += match(body.data[i], arg);
    }
    vec_free(&body);
    return k;
}

static inline bool applies_prim(const Node *x, const void *p)
{
    return ir_is_const_prim(x->app.in[0], *(const PrimId *)p);
}

/* The applications of primitive p in g's body. */
static inline int count_prim(Graph *g, PrimId p)
{
    NodeVec body = {0};
    ir_graph_body(g, &body);
    int n = 0;
    for (int i = 0; i < body.len; i++)
        n += ir_is_const_prim(body.data[i]->app.in[0], p);
    vec_free(&body);
    return n;
}

/* The applications of primitive p in m's graph bodies. */
static inline int count_prim_applies(Module *m, PrimId p)
{
    return count_nodes(m, applies_prim, &p);
}

#endif
