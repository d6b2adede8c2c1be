/*
 * compiled.h: a test program compiled to the `grad` stage by the pipeline
 * (src/pipeline.h), for the unit tests of the passes that run after it
 * (test_grad.c, test_closure.c, test_opt.c), and counting what its graphs
 * compute.
 */
#ifndef MYC_TESTS_COMPILED_H
#define MYC_TESTS_COMPILED_H

#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "grad.h"
#include "infer.h"
#include "lower.h"
#include "pipeline.h"
#include "unit.h"

typedef struct Compiled {
    Compilation pc;             /* the pipeline's state (src/pipeline.h) */
    const char *fn, *sig;       /* the entry and its signature */
    Module *lowered, *typed;    /* pc's, after the run */
    InferEntry entry;           /* what inference made of the entry */
} Compiled;

/* The entry chooser: c->fn, specialised for c->sig. */
static inline int compiled_entry(Compilation *pc, InferEntry **out)
{
    Compiled *c = pc->user;
    Graph *g = NULL;
    for (int i = 0; i < pc->lowered->tops.len; i++)
        if (strcmp(pc->lowered->tops.data[i].name, c->fn) == 0)
            g = pc->lowered->tops.data[i].graph;
    assert_non_null(g);
    InferEntry *e = xcalloc(1, sizeof *e);
    if (c->sig) {
        assert_int_equal((int)strlen(c->sig), g->nparams);
        TypeTable *tt = pc->lowered->types;
        Type **args = ARENA_ARRAY(pc->arena, Type *, g->nparams + 1);
        for (int i = 0; i < g->nparams; i++)
            args[i] = c->sig[i] == 'i' ? type_int(tt) : c->sig[i] == 'b' ? type_bool(tt) : type_float(tt);
        e->args = args;
    }
    e->fn = g;
    e->required = true;
    *out = e;
    return 1;
}

/* Compiles src through the pipeline (src/pipeline.h) to the `grad` stage
   with `fn` as the entry, specialised for `sig`: one letter per parameter,
   f float, i int, b bool; NULL: as annotated, floats where not.  Checks
   that every stage succeeds with the IR checker after each (which also
   checks that every differentiation operator was expanded), and that the
   lowered module, with the transforms inference built in it, untyped,
   still passes the checker. */
static inline Compiled *compile(const char *src, const char *fn, const char *sig)
{
    Compiled *c = xcalloc(1, sizeof *c);
    c->fn = fn;
    c->sig = sig;
    c->pc = (Compilation){.input = "t.my", .src = src, .srclen = strlen(src), .arena = arena_new(),
                          .choose = compiled_entry, .user = c, .verify_ir = true};
    diags_init(&c->pc.diags, "t.my", src, strlen(src));
    bool ok = pipeline_run(&c->pc, STAGE_GRAD);
    if (!ok)
        diags_print(&c->pc.diags, stderr);
    assert_true(ok);
    c->lowered = c->pc.lowered;
    c->typed = c->pc.typed;
    c->entry = c->pc.entries[0];
    assert_non_null(c->entry.result);
    StrBuf errs = {0};
    int bad = ir_check(c->lowered, false, &errs);
    if (bad)
        print_error("%s", sb_cstr(&errs));
    assert_int_equal(bad, 0);
    sb_free(&errs);
    return c;
}

static inline void release(Compiled *c)
{
    pipeline_free(&c->pc);
    diags_free(&c->pc.diags);
    arena_free(c->pc.arena);
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
