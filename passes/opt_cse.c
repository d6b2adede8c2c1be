/*
 * opt_cse.c: common-subexpression elimination.
 *
 * Assumes a fresh analysis (opt_pass.h).  Within each graph, two Applies
 * of the same known callee (a primitive or a graph constant) to the same
 * operands (the same nodes, or constants of the same value, floats bit for
 * bit) compute the same value: the language has no side effects, and a
 * call that fails fails the same way both times.  The later one (in the
 * body's order, inputs first) is replaced by the earlier.  Not a list
 * display (list_make) nor list_reserve (two comprehensions' accumulators
 * over the same lists): each makes a list of its own, which the in-place
 * pass may change where it is the only reference (two backpropagators'
 * empty zeros, merged, would be one list two sensitivities share).
 *
 * Across graphs, for the primitives libm computes (sin, exp, pow, ...):
 * an application in a nested graph equal to one in a graph enclosing it
 * reads that one (a free variable).  A backpropagator then keeps sin(y)
 * and cos(y) that its function computed, instead of calling libm again
 * (the rules of sin and cos read each other's value).  The arithmetic
 * opt_remat.c computes again costs less than keeping it; these cost more.
 *
 * Guarantees: every replacement is by a node of the same type and value,
 * computed before it: of the same graph, or of an enclosing one, which has
 * run when a nested graph runs.
 */
#include "opt_pass.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t hash_operand(const Node *x)
{
    if (x->kind != N_CONST)
        return mix(1, x->id);
    uint64_t v = 0;
    switch (x->k.kind) {
    case K_INT: v = (uint64_t)x->k.u.i; break;
    case K_FLOAT: memcpy(&v, &x->k.u.f, sizeof v); break;
    case K_BOOL: v = x->k.u.b; break;
    case K_PRIM: v = (uint64_t)x->k.u.prim; break;
    case K_GRAPH: v = x->k.u.graph->id; break;
    }
    return mix(2 + (uint64_t)x->k.kind, v);
}

static bool same_operand(const Node *a, const Node *b)
{
    return a == b || opt_same_const(a, b);
}

static bool same_apply(const Node *a, const Node *b)
{
    if (a->app.n != b->app.n || a->type != b->type)
        return false;
    for (int i = 0; i < a->app.n; i++)
        if (!same_operand(a->app.in[i], b->app.in[i]))
            return false;
    return true;
}

static uint64_t hash_apply(const Node *x)
{
    uint64_t h = 0;
    for (int i = 0; i < x->app.n; i++)
        h = mix(h, hash_operand(x->app.in[i]));
    return h;
}

static bool is_libm(const Node *x)
{
    int p = ir_applied_prim(x);
    return p >= 0 && (prim_info((PrimId)p)->libm1 || prim_info((PrimId)p)->libm2);
}

static int by_depth(const void *a, const void *b)
{
    int x = (*(Node *const *)a)->graph->depth, y = (*(Node *const *)b)->graph->depth;
    return (x > y) - (x < y);
}

/* The libm applications of nested graphs that one of an enclosing graph
   computes already read it. */
static int cse_nested(OptCtx *c)
{
    NodeVec all = {0};
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *body = &c->body[g->id];
        for (int j = 0; j < body->len; j++)
            if (body->data[j]->graph == g && body->data[j]->uses && is_libm(body->data[j]))
                vec_push(&all, body->data[j]);
    }
    size_t cap = 16;
    while (cap < (size_t)all.len * 2)
        cap *= 2;
    /* shallowest first, so that a chain of equal nodes ends at the outermost */
    if (all.len)
        qsort(all.data, (size_t)all.len, sizeof(Node *), by_depth);
    Node **table = xcalloc(cap, sizeof(Node *));
    int done = 0;
    for (int i = 0; i < all.len; i++) {
        Node *x = all.data[i];
        size_t k = (size_t)hash_apply(x) & (cap - 1);
        Node *y = NULL;
        for (; table[k] && !y; k = (k + 1) & (cap - 1))
            if (same_apply(table[k], x) && table[k]->graph != x->graph &&
                ir_graph_encloses(table[k]->graph, x->graph))
                y = table[k];
        if (y)
            done += opt_replace(c, x, y);
        else
            table[k] = x;
    }
    free(table);
    vec_free(&all);
    return done;
}

int opt_cse(OptCtx *c)
{
    int done = cse_nested(c);
    for (int gi = 0; gi < c->graphs.len; gi++) {
        Graph *g = c->graphs.data[gi];
        NodeVec *body = &c->body[g->id];
        size_t cap = 16;
        while (cap < (size_t)body->len * 2)
            cap *= 2;
        Node **table = xcalloc(cap, sizeof(Node *));
        for (int j = 0; j < body->len; j++) {
            Node *x = body->data[j];
            if (x->graph != g || !x->uses || x->app.n == 0 || x->app.in[0]->kind != N_CONST ||
                opt_is_prim(x, P_UNREACHABLE) || opt_is_prim(x, P_LIST_MAKE) ||
                opt_is_prim(x, P_LIST_RESERVE))
                continue;
            size_t k = (size_t)hash_apply(x) & (cap - 1);
            while (table[k] && !same_apply(table[k], x))
                k = (k + 1) & (cap - 1);
            if (!table[k])
                table[k] = x;
            else
                done += opt_replace(c, x, table[k]);
        }
        free(table);
    }
    return done;
}
