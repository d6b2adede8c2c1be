/*
 * opt_cse.c: common-subexpression elimination.
 *
 * Assumes a fresh analysis (opt_pass.h).  Within each graph, two Applies
 * of the same known callee (a primitive or a graph constant) to the same
 * operands (the same nodes, or constants of the same value, floats bit for
 * bit) compute the same value: the language has no side effects, and a
 * call that fails fails the same way both times.  The later one (in the
 * body's order, inputs first) is replaced by the earlier.  Not a list
 * display (list_make): each makes a list of its own, which the in-place
 * pass may change where it is the only reference (two backpropagators'
 * empty zeros, merged, would be one list two sensitivities share).
 *
 * Guarantees: every replacement is by a node of the same graph, type and
 * value, computed before it.
 */
#include "opt_pass.h"

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

int opt_cse(OptCtx *c)
{
    int done = 0;
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
                opt_is_prim(x, P_UNREACHABLE) || opt_is_prim(x, P_LIST_MAKE))
                continue;
            uint64_t h = 0;
            for (int i = 0; i < x->app.n; i++)
                h = mix(h, hash_operand(x->app.in[i]));
            size_t k = (size_t)h & (cap - 1);
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
