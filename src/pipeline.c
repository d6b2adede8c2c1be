/*
 * pipeline.c: the pipeline (pipeline.h), one function per stage, run in
 * the order of the stage table.
 *
 * Assumes the caller set the source, the diags, the entry chooser and (for
 * codegen) the target.  Guarantees: a stage runs only when every stage
 * before it succeeded; under verify_ir the IR checker runs after each IR
 * stage and after every optimiser pass that rewrote something (there on
 * the live graphs, without the rule the optimiser's end phases restore),
 * and what it finds is reported as an internal error (a bug in myc) and
 * stops the pipeline.  The optimiser's
 * output is always checked, asked or not: a pass that breaks an invariant
 * never produces a program compiled some other way.
 */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>

#include "../passes/closure.h"
#include "../passes/grad.h"
#include "../passes/lower.h"
#include "../passes/opt.h"

static const struct {
    const char *name, *what;
} stage_names[STAGE__COUNT] = {
#define X(id, name, what) [STAGE_##id] = {name, what},
    MYC_STAGES(X)
#undef X
};

Stage stage_by_name(const char *name)
{
    for (int s = STAGE_NONE + 1; s < STAGE__COUNT; s++)
        if (strcmp(stage_names[s].name, name) == 0)
            return (Stage)s;
    return STAGE_NONE;
}

const char *stage_name(Stage s) { return s > STAGE_NONE && s < STAGE__COUNT ? stage_names[s].name : "none"; }
const char *stage_what(Stage s) { return s > STAGE_NONE && s < STAGE__COUNT ? stage_names[s].what : NULL; }

/* Runs the IR checker when asked; its findings are bugs in myc. */
static bool verify(Compilation *c, Module *m, bool typed, const char *after)
{
    if (!c->verify_ir || !m)
        return true;
    StrBuf errs = {0};
    int n = ir_check(m, typed, &errs);
    if (n)
        fprintf(stderr, "myc: internal error: the IR after '%s' breaks %d invariant%s:\n%s", after, n,
                n == 1 ? "" : "s", sb_cstr(&errs));
    sb_free(&errs);
    return n == 0;
}

/* ---- the stages ------------------------------------------------------------ */

static bool parse(Compilation *c)
{
    c->ast = parse_source(c->arena, &c->diags, c->src, c->srclen);
    if (diags_failed(&c->diags))
        return false;
    c->lowered = lower_module(c->arena, &c->diags, c->ast, c->input);
    return !diags_failed(&c->diags) && verify(c, c->lowered, false, "parse");
}

static bool infer(Compilation *c)
{
    c->nentries = c->choose(c, &c->entries);
    if (c->nentries < 0)
        return false;
    c->typed = infer_module(c->lowered, &c->diags, c->entries, c->nentries);
    return !diags_failed(&c->diags) && c->typed && verify(c, c->typed, true, "infer");
}

static bool grad(Compilation *c)
{
    return grad_check_expanded(c->typed, &c->diags) && verify(c, c->typed, true, "grad");
}

/* Under verify_ir, the checker after every optimiser pass, on the live
   graphs and without the existence rule, which the optimiser's end phases
   restore (ir.h, ir_check_graphs); the stage's check has it. */
static bool check_pass(void *arg, Module *m, const GraphVec *live, const char *pass)
{
    Compilation *c = arg;
    StrBuf errs = {0};
    int n = ir_check_graphs(m, live->data, live->len, true, false, &errs);
    if (n)
        fprintf(stderr, "myc: internal error: the IR after the optimiser's pass '%s' breaks %d invariant%s:\n%s",
                pass, n, n == 1 ? "" : "s", sb_cstr(&errs));
    sb_free(&errs);
    c->pass_failed = n != 0;
    return n == 0;
}

/* The optimiser's output is checked whether asked or not. */
static bool optimise(Compilation *c)
{
    OptVerify check = {check_pass, c};
    bool consistent = opt_module(c->typed, c->opt_passes, c->verify_ir ? &check : NULL, NULL);
    if (c->pass_failed)
        return false;
    StrBuf errs = {0};
    int bad = ir_check(c->typed, true, &errs);
    if (consistent && !bad) {
        sb_free(&errs);
        return true;
    }
    if (!bad)
        die("the optimiser used a node of a graph it had dropped");
    die("the IR after 'opt' breaks %d invariant%s:\n%s", bad, bad == 1 ? "" : "s", sb_cstr(&errs));
}

static bool closure(Compilation *c)
{
    closure_convert(c->typed);
    return verify(c, c->typed, true, "closure");
}

static bool codegen(Compilation *c)
{
    Target *t = &c->target;
    if (t->kind == TARGET_FILE) {
        bool internal;
        if (backend_compile_file(c->typed, t->exports, t->nexports, &t->backend, t->emit, t->path, &internal,
                                 &c->backend_msg) == 0)
            return true;
        c->output_failed = !internal;
        return false;
    }
    Graph **first = xcalloc((size_t)c->nentries + 1, sizeof(Graph *));
    for (int e = 1; e < c->nentries; e++)
        first[e - 1] = c->entries[e].result;
    c->run_status = backend_run(c->typed, c->entries[0].result, first, c->nentries - 1, &t->backend, t->args,
                                t->results, &c->backend_msg);
    free(first);
    return c->run_status == RUN_OK;
}

/* The pipeline, in order. */
static bool (*const stages[STAGE__COUNT])(Compilation *) = {
    [STAGE_PARSE] = parse,      /* source -> untyped IR */
    [STAGE_INFER] = infer,      /* -> typed, specialised, operators expanded */
    [STAGE_GRAD] = grad,        /* (checked: none left) */
    [STAGE_OPT] = optimise,     /* -> optimised */
    [STAGE_CLOSURE] = closure,  /* -> closure-converted */
    [STAGE_CODEGEN] = codegen,  /* -> native code: a file, or a run */
};

bool pipeline_run(Compilation *c, Stage stop)
{
    for (Stage s = c->done + 1; s <= stop; s++) {
        if (!stages[s](c))
            return false;
        c->done = s;
    }
    return true;
}

void pipeline_restart(Compilation *c, Stage stage)
{
    if (stage > STAGE_PARSE)
        die("pipeline_restart: the stages after parse rewrite one module in place; only parse can be kept");
    if (c->typed)
        ir_module_free(c->typed);
    c->typed = NULL;
    free(c->entries);
    c->entries = NULL;
    c->nentries = 0;
    if (stage < STAGE_PARSE) {
        if (c->lowered)
            ir_module_free(c->lowered);
        c->lowered = NULL;
        c->ast = NULL;
    }
    if (c->done > stage)
        c->done = stage;
}

void pipeline_free(Compilation *c)
{
    pipeline_restart(c, STAGE_NONE);
    sb_free(&c->backend_msg);
}
