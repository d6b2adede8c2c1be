/*
 * opt.c: the optimiser's fixpoint driver (contract: opt.h), the only
 * caller of the passes (opt_passes.def; what they share: opt_pass.h,
 * opt_lib.c).
 *
 * Assumes what opt.h says of the module.  Each round runs the selected
 * passes in the table's order, each after a fresh analysis when the pass
 * before it rewrote something, until a round rewrites nothing, a pass
 * leaves the IR inconsistent or OPT_MAX_ROUNDS rounds ran.  Then the end
 * phases, each on a fresh analysis: stub_uncreated (to a fixpoint),
 * rebind_reads, narrow_types (when family copies widened types), and
 * m->graphs keeps only the live graphs.
 *
 * Guarantees opt.h's contract, given that each pass keeps its own.
 */
#include "opt_pass.h"
#include "../src/util/timer.h"

#include <string.h>

const char *const opt_pass_names[OPT__COUNT] = {
#define OPT_PASS(id, name, fn) [OPT_##id] = name,
#include "opt_passes.def"
#undef OPT_PASS
};

enum { OPT_MAX_ROUNDS = 64 };

/* One live rebind's pair: its transform `to` is made from a closure of
   `from` (both nested in one parent). */
typedef struct RebindPair { Graph *from, *to; } RebindPair;
typedef VEC(RebindPair) RebindPairVec;

/* The pairs of every live rebind of a function type (one analysis's). */
static void rebind_pairs(OptCtx *c, RebindPairVec *out)
{
    out->len = 0;
    for (int gi = 0; gi < c->graphs.len; gi++) {
        NodeVec *body = &c->body[c->graphs.data[gi]->id];
        for (int bi = 0; bi < body->len; bi++) {
            Node *r = body->data[bi];
            if (!opt_is_prim(r, P_REBIND) || !r->type || r->type->kind != T_FUNC)
                continue;
            const Type *xt = r->app.in[1]->type;
            for (int k = 2; k + 1 < r->app.n; k += 2) {
                int ix = ir_fn_index_of_key(xt, r->app.in[k]->k.u.i);
                int64_t jx = r->app.in[k + 1]->k.u.i;
                Graph *from = ix >= 0 ? xt->fns[ix].graph : NULL;
                Graph *to = jx >= 0 && jx < r->type->n ? r->type->fns[jx].graph : NULL;
                if (from && to && from->output && to->parent == from->parent)
                    vec_push(out, ((RebindPair){from, to}));
            }
        }
    }
}

/* made[g]: a closure of graph g may be made.  A top-level graph's, a
   graph's whose constant a live node uses, and a rebind's transform's
   when a closure of its source may be made (to a fixpoint: rebind of
   rebind).  A malloc'd array by graph id. */
static uint8_t *closures_made(OptCtx *c, const RebindPairVec *pairs)
{
    uint8_t *made = xcalloc(c->gcap ? c->gcap : 1, 1);
    for (int gi = 0; gi < c->graphs.len; gi++) {
        const Graph *g = c->graphs.data[gi];
        made[g->id] = !g->parent || c->calls[g->id] || c->values[g->id];
    }
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < pairs->len; i++)
            if (made[pairs->data[i].from->id] && !made[pairs->data[i].to->id])
                made[pairs->data[i].to->id] = more = true;
    }
    return made;
}

/*
 * A nested graph no closure of which is made never runs: one that only
 * types name -- no live node uses its constant, no rebind makes it -- as a
 * branch a known condition dropped that a switch's type still lists, or
 * the copy of a nested graph a family copy made for types to name.  Its
 * body may read nodes its parent no longer computes (it is not its
 * parent's closure), which the IR must not hold; so its body becomes
 * unreachable(), as inference makes the functions no call reaches.  (A
 * top-level function reads no frame; it stays, so that what its types name
 * stays whole.)
 * A rebind's transform is made from a closure of its source, in the frame
 * of their parent: it is never made when no closure of its source is
 * (closures_made), nor when that parent never runs (its body is
 * unreachable() already).
 * Returns how many it rewrote (after a fresh analysis; the graphs it frees
 * may expose more).
 */
static int stub_uncreated(OptCtx *c)
{
    opt_analyse(c);
    RebindPairVec pairs = {0};
    rebind_pairs(c, &pairs);
    uint8_t *made = closures_made(c, &pairs);
    int done = 0;
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        bool frame_never_runs = g->parent && g->parent->output && opt_is_prim(g->parent->output, P_UNREACHABLE);
        if (!g->parent || (made[g->id] && !frame_never_runs) || g->kind == G_CONST || !g->output ||
            opt_is_prim(g->output, P_UNREACHABLE))
            continue;
        /* what it computed is not lost: it never ran */
        NodeVec *body = &c->body[g->id];
        for (int j = 0; j < body->len; j++)
            if (body->data[j]->id < c->ncap)
                c->ran_graph[body->data[j]->id] = 0;
        ir_set_output(g, opt_apply_prim(g, g->ret_type ? g->ret_type : g->output->type, P_UNREACHABLE, g->loc, 0));
        done++;
    }
    free(made);
    vec_free(&pairs);
    return done;
}

/*
 * rebind(x, key, j) makes a closure of graph T over the frame of x's graph
 * F: that frame must compute what T reads, and a frame computes what the
 * closures it makes read (ir_graph_body).  The passes simplify F and T
 * apart (F's backward pass may stop reading a value T's still reads), so,
 * last, F is made to read what T reads and F does not: depend(v..., y)
 * on its output y, or on the callee of its output's call (a tail call
 * stays one; the depend is typed without the dead graphs a constant's
 * type may name, opt_live_type): values of F's parent and of the
 * functions enclosing it alike (F reading one of an enclosing function's
 * values makes every frame between compute and capture it, as for any
 * free variable).  Closure
 * conversion would give F's closures those values anyway (closure.c,
 * rebind_edges); this makes the IR before it say so.
 *
 * One sweep over the live rebinds; returns whether it added a read.
 */
static bool rebind_reads_sweep(OptCtx *c, RebindPairVec *pairs, NodeVec *fv, NodeVec *have)
{
    bool changed = false;
    rebind_pairs(c, pairs);
    for (int pi = 0; pi < pairs->len; pi++) {
        Graph *from = pairs->data[pi].from, *to = pairs->data[pi].to;
        fv->len = have->len = 0;
        ir_free_variables(to, fv);
        ir_free_variables(from, have);
        int n = 0;
        for (int i = 0; i < fv->len; i++) {
            /* F never reads a value that holds its own closure
               (that would be a cycle); T, made later, may */
            bool found = ir_value_holds_closure_of(fv->data[i], from);
            for (int q = 0; q < have->len && !found; q++)
                found = have->data[q] == fv->data[i];
            if (!found)
                fv->data[n++] = fv->data[i];
        }
        if (!n)
            continue;
        Node *out = from->output;
        if (out->kind == N_APPLY && out->graph == from && !opt_is_prim(out, P_DEPEND) &&
            !(out->app.in[0]->kind == N_CONST && out->app.in[0]->k.kind == K_PRIM)) {
            Node *callee = out->app.in[0];
            ir_set_input(out, 0, opt_apply_depend(c, from, opt_live_type(c, callee), fv->data, n, callee, out->loc));
        } else {
            ir_set_output(from, opt_apply_depend(c, from, out->type ? out->type : from->ret_type, fv->data, n,
                                                 out, out->loc));
        }
        changed = true;
    }
    return changed;
}

/* The sweeps, to a fixpoint: rebind(rebind(x)) makes a closure of T2 from
   one of T over x's frame, so F must read what T2 reads, which reaches F
   through T only once T reads it (the two rebinds come in any order). */
static void rebind_reads(OptCtx *c)
{
    opt_analyse(c);
    RebindPairVec pairs = {0};
    NodeVec fv = {0}, have = {0};
    while (rebind_reads_sweep(c, &pairs, &fv, &have))
        ;
    vec_free(&pairs);
    vec_free(&fv);
    vec_free(&have);
}

/* A ref survives narrowing when it names a primitive or a live graph. */
static void keep_live_ref(void *arg, FnRef ref, FnRefVec *f)
{
    const OptCtx *c = arg;
    if (!ref.graph || c->glive[ref.graph->id])
        vec_push(f, ref);
}

/*
 * Last, on a fresh analysis: the function types of live graphs forget the
 * dead graphs they name.  Family copies (opt_inline.c) widened every type
 * naming a copied graph to name its copies too, and some of those died
 * later; no later stage may see a dead graph.
 */
static void narrow_types(OptCtx *c)
{
    opt_map_types(c, c->graphs.data, c->graphs.len, keep_live_ref, c);
}

bool opt_module(Module *m, unsigned passes, const OptVerify *verify, OptStats *stats)
{
    static int (*const run[OPT__COUNT])(OptCtx *) = {
#define OPT_PASS(id, name, fn) [OPT_##id] = fn,
#include "opt_passes.def"
#undef OPT_PASS
    };
    OptStats local = {0};
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    OptCtx c = {.m = m, .interp = interp_new(m), .families = (passes & OPT_FAMILIES) != 0};
    opt_analyse(&c);
    /* Inlining may copy about as many nodes as the program had. */
    uint32_t nlive = 0;
    for (uint32_t i = 0; i < c.ncap; i++)
        nlive += c.live[i];
    c.budget = (int)nlive + 2000;
    /* A pass that rewrote nothing left the analysis as it was. */
    bool stale = false;
    for (int round = 0; round < OPT_MAX_ROUNDS; round++) {
        int changed = 0;
        for (int p = 0; p < OPT__COUNT; p++) {
            if (!(passes & (1u << p)))
                continue;
            double t0 = timer_now();
            if (stale)
                opt_analyse(&c);
            int n = run[p](&c);
            stats->seconds[p] += timer_now() - t0;
            stale = n != 0;
            stats->rewrites[p] += n;
            changed += n;
            if (n && verify && verify->after_pass) {
                opt_analyse(&c);    /* the next pass would: the live graphs, uses swept */
                stale = false;
                if (c.broken || !verify->after_pass(verify->arg, m, &c.graphs, opt_pass_names[p])) {
                    c.broken = true;
                    break;
                }
            }
        }
        stats->rounds = round + 1;
        if (!changed || c.broken)
            break;
    }
    double t_end = timer_now();
    for (int k = 0; k < OPT_MAX_ROUNDS && !c.broken && stub_uncreated(&c); k++)
        ;
    rebind_reads(&c);
    /* Keep only the live graphs, in creation order. */
    opt_analyse(&c);
    if (c.families)
        narrow_types(&c);
    int keep = 0;
    for (int i = 0; i < m->graphs.len; i++)
        if (c.glive[m->graphs.data[i]->id])
            m->graphs.data[keep++] = m->graphs.data[i];
    m->graphs.len = keep;
    opt_ctx_free(&c);
    interp_free(c.interp);
    stats->end_seconds = timer_now() - t_end;
    return !c.broken;
}
