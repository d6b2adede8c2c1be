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
 * never produces a program compiled some other way.  With c->times set,
 * each step adds its wall time and the IR's size after it to a row
 * (-ftime-report; the sizes are measured outside the timed spans); with
 * c->verbose set, each stage says what it runs there as it starts (-v).
 */
#include "pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../passes/alias.h"
#include "../passes/closure.h"
#include "../passes/grad.h"
#include "../passes/inplace.h"
#include "../passes/lower.h"
#include "../passes/opt.h"
#include "util/timer.h"

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

/* ---- -ftime-report and -v ---------------------------------------------------- */

static TimeRow *time_row(Compilation *c, const char *name)
{
    TimeReport *r = c->times;
    for (int i = 0; i < r->rows.len; i++)
        if (strcmp(r->rows.data[i].name, name) == 0)
            return &r->rows.data[i];
    TimeRow row = {name, 0.0, -1, -1, -1, -1};
    vec_push(&r->rows, row);
    return &r->rows.data[r->rows.len - 1];
}

/* Adds seconds to the row `name`, with the size of m after it (m may be NULL). */
static void timed(Compilation *c, const char *name, double seconds, const Module *m)
{
    if (!c->times)
        return;
    TimeRow *row = time_row(c, name);
    row->seconds += seconds;
    if (!m)
        return;
    NodeVec body = {0};
    long nodes = 0;
    for (int i = 0; i < m->graphs.len; i++) {
        body.len = 0;
        ir_graph_body(m->graphs.data[i], &body);
        nodes += body.len;
    }
    vec_free(&body);
    row->graphs = m->graphs.len;
    row->nodes = nodes;
}

static void say(Compilation *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(Compilation *c, const char *fmt, ...)
{
    if (!c->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("myc: ", c->verbose);
    vfprintf(c->verbose, fmt, ap);
    fputc('\n', c->verbose);
    va_end(ap);
}

void time_report_print(const TimeReport *r, const char *input, FILE *out)
{
    double total = 0;
    for (int i = 0; i < r->rows.len; i++)
        total += r->rows.data[i].seconds;
    const char *rule = "===-------------------------------------------------------------------------===";
    fprintf(out, "%s\n                        myc time report: %s\n%s\n", rule, input, rule);
    fprintf(out, "  Total Execution Time: %.4f seconds (wall clock)\n\n", total);
    fprintf(out, "  %10s %7s  %8s %10s %10s  %s\n", "Wall (ms)", "%", "Graphs", "Nodes", "LLVM insts", "Name");
    for (int i = 0; i < r->rows.len; i++) {
        const TimeRow *w = &r->rows.data[i];
        char graphs[32] = "", nodes[32] = "", insts[32] = "", name[128];
        if (w->graphs >= 0) {
            snprintf(graphs, sizeof graphs, "%d", w->graphs);
            snprintf(nodes, sizeof nodes, "%ld", w->nodes);
        }
        if (w->insts >= 0)
            snprintf(insts, sizeof insts, "%ld", w->insts);
        if (w->rewrites >= 0)
            snprintf(name, sizeof name, "%s (%d rewrite%s)", w->name, w->rewrites, w->rewrites == 1 ? "" : "s");
        else
            snprintf(name, sizeof name, "%s", w->name);
        fprintf(out, "  %10.3f %6.1f%%  %8s %10s %10s  %s\n", 1e3 * w->seconds,
                total > 0 ? 100.0 * w->seconds / total : 0.0, graphs, nodes, insts, name);
    }
    fprintf(out, "  %10.3f %6.1f%%  %8s %10s %10s  %s\n", 1e3 * total, 100.0, "", "", "", "Total");
}

void time_report_free(TimeReport *r) { vec_free(&r->rows); }

/* ---- the stages ------------------------------------------------------------ */

static bool parse(Compilation *c)
{
    say(c, "parse '%s': flex and bison to the AST, then lowering to the graph IR", c->input);
    double t0 = timer_now();
    c->ast = parse_source(c->arena, &c->diags, c->src, c->srclen);
    timed(c, "parse", timer_now() - t0, NULL);
    if (diags_failed(&c->diags))
        return false;
    t0 = timer_now();
    c->lowered = lower_module(c->arena, &c->diags, c->ast, c->input);
    timed(c, "lower", timer_now() - t0, c->lowered);
    return !diags_failed(&c->diags) && verify(c, c->lowered, false, "parse");
}

static bool infer(Compilation *c)
{
    c->nentries = c->choose(c, &c->entries);
    if (c->nentries < 0)
        return false;
    say(c, "infer: types for %d entr%s, differentiation operators expanded (J, Jfwd)", c->nentries,
        c->nentries == 1 ? "y" : "ies");
    double t0 = timer_now(), j = 0;
    c->typed = infer_module(c->lowered, &c->diags, c->entries, c->nentries, &j);
    timed(c, "infer", timer_now() - t0 - j, c->typed);
    timed(c, "J (the transforms inference asked for)", j, NULL);
    if (diags_failed(&c->diags) || !c->typed)
        return false;
    t0 = timer_now();
    alias_check(c->typed, &c->diags);       /* contract 5.3: CPython's shared lists agree with values */
    timed(c, "alias", timer_now() - t0, NULL);
    return !diags_failed(&c->diags) && verify(c, c->typed, true, "infer");
}

static bool grad(Compilation *c)
{
    say(c, "grad: check that no differentiation operator is left");
    double t0 = timer_now();
    bool ok = grad_check_expanded(c->typed, &c->diags);
    timed(c, "grad (check)", timer_now() - t0, NULL);
    return ok && verify(c, c->typed, true, "grad");
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
    OptStats st;
    say(c, "opt: the optimiser's passes to a fixpoint");
    bool consistent = opt_module(c->typed, c->opt_passes, c->verify_ir ? &check : NULL, &st);
    if (c->times) {
        for (int p = 0; p < OPT__COUNT; p++) {
            if (!(c->opt_passes & (1u << p)))
                continue;
            const char *name = arena_printf(c->arena, "opt: %s", opt_pass_names[p]);
            timed(c, name, st.seconds[p], NULL);
            time_row(c, name)->rewrites = st.rewrites[p];
        }
        timed(c, arena_printf(c->arena, "opt: end phases (%d round%s)", st.rounds, st.rounds == 1 ? "" : "s"),
              st.end_seconds, c->typed);
    }
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
    say(c, "closure: closure conversion");
    double t0 = timer_now();
    closure_convert(c->typed);
    timed(c, "closure", timer_now() - t0, c->typed);
    return verify(c, c->typed, true, "closure");
}

static bool inplace(Compilation *c)
{
    say(c, "inplace: the list changes that may reuse their operand's storage");
    double t0 = timer_now();
    InplaceStats st;
    inplace_module(c->typed, &st);
    timed(c, "inplace", timer_now() - t0, c->typed);
    return verify(c, c->typed, true, "inplace");
}

/* The backend's steps' rows (-ftime-report). */
static void backend_rows(Compilation *c, const BackendStats *st, bool run)
{
    if (!c->times)
        return;
    timed(c, "codegen: IR to LLVM IR", st->lower_seconds, NULL);
    time_row(c, "codegen: IR to LLVM IR")->insts = st->lowered_insts;
    timed(c, "codegen: LLVM passes", st->passes_seconds, NULL);
    time_row(c, "codegen: LLVM passes")->insts = st->optimised_insts;
    timed(c, run ? "codegen: JIT machine code and the run" : "codegen: machine code and output", st->emit_seconds,
          NULL);
}

static bool codegen(Compilation *c)
{
    Target *t = &c->target;
    BackendStats st = {0};
    t->backend.stats = c->times ? &st : NULL;
    if (c->verbose) {
        StrBuf ver = {0}, triple = {0};
        backend_describe(&ver, &triple);
        static const char *const kinds[] = {"object", "assembly", "LLVM IR", "LLVM bitcode"};
        if (t->kind == TARGET_FILE)
            say(c, "codegen: LLVM %s, -O%d, target %s, cpu %s -> '%s' (%s)", sb_cstr(&ver), t->backend.opt_level,
                sb_cstr(&triple), t->backend.native ? "native" : "x86-64", t->path, kinds[t->emit]);
        else
            say(c, "codegen: LLVM %s JIT, -O%d, target %s, cpu native, then the run", sb_cstr(&ver),
                t->backend.opt_level, sb_cstr(&triple));
        sb_free(&ver);
        sb_free(&triple);
    }
    if (t->kind == TARGET_FILE) {
        bool internal;
        int rc = backend_compile_file(c->typed, t->exports, t->nexports, &t->backend, t->emit, t->path, &internal,
                                      &c->backend_msg);
        backend_rows(c, &st, false);
        t->backend.stats = NULL;
        if (rc == 0)
            return true;
        c->output_failed = !internal;
        return false;
    }
    Graph **first = xcalloc((size_t)c->nentries + 1, sizeof(Graph *));
    for (int e = 1; e < c->nentries; e++)
        first[e - 1] = c->entries[e].result;
    c->run_status = backend_run(c->typed, c->entries[0].result, first, c->nentries - 1, &t->backend, t->args,
                                t->results, &c->backend_msg);
    backend_rows(c, &st, true);
    t->backend.stats = NULL;
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
    [STAGE_INPLACE] = inplace,  /* -> list changes in place where no one sees them */
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
