/*
 * opt_remat.c: captured values computed again where they are read.
 *
 * Assumes a fresh analysis (opt_pass.h).  A value v that, outside its own
 * graph, only the body of one graph G reads (so a closure of G captures v),
 * and each of whose operands G has, is computed again in G: G's uses read
 * the copy, and closures of G stop capturing v, keeping only operands they
 * capture anyway.  G has an operand that is a constant, a value G reads
 * directly, a value a parameter of G holds (Node.param.holds: the
 * invariants opt_thread.c hands down a loop's chain of continuations), or
 * float or int arithmetic on such operands (two levels deep), computed
 * again too.  v is
 *   - a float or int add, sub, mul or neg: a loop body's backpropagator
 *     then keeps x, not both x and a * x, nor 1 - x * x, nor c * x * x
 *     for an invariant c, and i, not i, i - 1 and i + 1, for each
 *     iteration;
 *   - an item read list_get(a, i) or list_item(a, i) (a loop's own read
 *     of the list it runs over) of a loop invariant a held by a
 *     parameter of G (only that way: a list G would capture itself would
 *     cost each record 24 bytes, not an item's 8), where a is only ever
 *     read (read_only below: a list some code may change would make that
 *     change copy it, passes/inplace.c) and v's own graph still uses v: G
 *     reads the item from that parameter at i (which G reads anyway: the
 *     place its adjoint adds to), so each iteration's record keeps
 *     neither item: a dot product's keeps the index and its continuation,
 *     16 bytes an item instead of 32.  Unchanged, a stays in the arena
 *     until the call ends, so keeping it readable costs nothing.
 *
 * Guarantees: the copy computes v's value bit for bit (the same primitives
 * on operands holding the same values; lists are values).  Float and int
 * arithmetic cannot fail (ints wrap); a read the copy repeats already
 * succeeded where v is computed, which still happens (v keeps a use in its
 * own graph), so no error appears or goes.  A computation only moves into
 * a strictly nested graph (whose copies have no uses outside it), so the
 * rewrites end.
 */
#include "opt_pass.h"

#include <stdlib.h>

/* Whether g reads x directly (an input of its body, or its output). */
static bool reads(const Graph *g, const Node *x)
{
    for (const Use *u = x->uses; u; u = u->next)
        if (ir_use_graph(u) == g)
            return true;
    return false;
}

/* What the uses of a list may do with it: the pass's memo. */
typedef struct Remat {
    OptCtx *c;
    uint8_t *answer;    /* by node id: 0 not asked, 1 read only, 2 not */
    uint32_t *seen;     /* by node id: the query that visited it */
    uint32_t query;
} Remat;

/* Whether operand k (0-based) of primitive p only reads the list there: its
   items, its length or its shape, never changing, returning or keeping it.
   (passes/inplace.c's observes() also counts the changes that may copy;
   here a change, even a copying one, is one passes/inplace.c may make in
   place once nothing reads the list after it.) */
static bool reads_operand(PrimId p, int k)
{
    switch (p) {
    case P_LIST_GET: case P_LIST_ITEM: case P_LIST_LEN: case P_LIST_SUM: case P_LIST_MIN: case P_LIST_MAX: case P_LIST_CONTAINS:
    case P_LIST_ARGMIN: case P_LIST_ARGMAX: case P_LIST_COPY: case P_SDENSE: case P_SFOR: case P_ONEHOT:
    case P_COTANGENT:
        return k == 0;
    case P_EQ: case P_NE:
        return true;
    case P_LIST_ADDAT: case P_LIST_UNSLICE: case P_LIST_UNREPEAT: case P_SENS_GET:
        return k == 1;
    case P_ENV_GET:
        return k == 2;
    case P_ADD_SENS: case P_MUL_SENS:
        return k == 1 || k == 2;
    case P_ADD_TANGENT:
        return k == 0 || k == 1;
    default:
        return false;
    }
}

static bool read_only_from(Remat *r, Node *x);

static bool param_read_only(Remat *r, Graph *g, int k)
{
    return k < g->nparams && read_only_from(r, g->params[k]);
}

/* Whether every use of list x, and of what it flows into (depend's value,
   the parameter of each function it is passed to), only reads it.  A
   cycle (a loop handing the list to its next iteration) is taken to read
   only. */
static bool read_only_from(Remat *r, Node *x)
{
    if (x->id >= r->c->ncap)
        return false;                           /* made since the analysis: not known */
    if (r->seen[x->id] == r->query)
        return true;
    r->seen[x->id] = r->query;
    for (const Use *u = x->uses; u; u = u->next) {
        Node *a = u->user;
        if (!a || a->kind != N_APPLY || u->index < 1)
            return false;                       /* returned, or called */
        Node *f = a->app.in[0];
        if (f->kind == N_CONST && f->k.kind == K_PRIM) {
            PrimId p = f->k.u.prim;
            if (p == P_DEPEND) {
                if (u->index == a->app.n - 1 && !read_only_from(r, a))
                    return false;
            } else if (!reads_operand(p, u->index - 1)) {
                return false;
            }
        } else if (f->kind == N_CONST && f->k.kind == K_GRAPH) {
            if (!param_read_only(r, f->k.u.graph, u->index - 1))
                return false;
        } else if (f->type && f->type->kind == T_FUNC) {
            for (int j = 0; j < f->type->n; j++)    /* a closure: each function it may be */
                if (!f->type->fns[j].graph || !param_read_only(r, f->type->fns[j].graph, u->index - 1))
                    return false;
        } else {
            return false;
        }
    }
    return true;
}

static bool read_only(Remat *r, Node *x)
{
    if (x->id >= r->c->ncap)
        return false;
    if (!r->answer[x->id]) {
        r->query++;
        r->answer[x->id] = read_only_from(r, x) ? 1 : 2;
    }
    return r->answer[x->id] == 1;
}

static Node *copy_in(Graph *g, Node *x, Node *list);

static bool arithmetic(const Node *v)
{
    return (opt_is_prim(v, P_ADD) || opt_is_prim(v, P_SUB) || opt_is_prim(v, P_MUL) || opt_is_prim(v, P_NEG)) &&
           v->type && (v->type->kind == T_FLOAT || v->type->kind == T_INT);
}

enum { OPERAND_DEPTH = 2 };     /* levels of an operand's arithmetic computed again */

/* The parameter of g that holds x's value (Node.param.holds), or NULL. */
static Node *holder_in(const Graph *g, Node *x)
{
    if (x->kind == N_CONST)
        return NULL;
    Node *root = opt_held(x);
    for (int k = 0; k < g->nparams; k++)
        if (g->params[k]->param.holds && opt_held(g->params[k]) == root)
            return g->params[k];
    return NULL;
}

/* Whether g can have the value of operand x: a constant, a node g reads,
   a parameter of g that holds it, or arithmetic computed again in g (at
   most depth levels) on such operands. */
static bool available(const Graph *g, Node *x, int depth)
{
    if (x->kind == N_CONST || reads(g, x) || holder_in(g, x))
        return true;
    if (depth == 0 || x->kind != N_APPLY || !arithmetic(x))
        return false;
    for (int i = 1; i < x->app.n; i++)
        if (!available(g, x->app.in[i], depth - 1))
            return false;
    return true;
}

/* A node of g with x's value, x available in g: x, g's parameter holding
   it, or a copy of x's arithmetic on such nodes, made in g. */
static Node *value_in(Graph *g, Node *x)
{
    if (x->kind == N_CONST || reads(g, x))
        return x;
    Node *p = holder_in(g, x);
    if (p)
        return p;
    return copy_in(g, x, NULL);
}

/* x's operation applied in g to its operands' values there (operand 1
   replaced by list, when not NULL). */
static Node *copy_in(Graph *g, Node *x, Node *list)
{
    Node **in = xmalloc(sizeof(Node *) * (size_t)x->app.n);
    in[0] = x->app.in[0];
    for (int i = 1; i < x->app.n; i++)
        in[i] = i == 1 && list ? list : value_in(g, x->app.in[i]);
    Node *w = opt_apply(g, x->type, in, x->app.n, x->loc);
    w->name = x->name;
    free(in);
    return w;
}

/* For v = list_get(a, i) or list_item(a, i) read by g: g's parameter holding a, if g is a
   loop's code, v's graph still uses v and a is only ever read; else NULL. */
static Node *list_in(Remat *r, Node *v, const Graph *g)
{
    Node *a = v->app.in[1];
    if (!v->type || !g->loop || a->kind == N_CONST || !a->type || a->type->kind != T_LIST)
        return NULL;
    Node *p = holder_in(g, a);
    bool used_here = false;
    for (const Use *u = v->uses; u && !used_here; u = u->next)
        used_here = ir_use_graph(u) == v->graph;
    return p && used_here && read_only(r, opt_held(a)) ? p : NULL;
}

static int rewrite(OptCtx *c, Node *v)
{
    Remat *r = c->pass_state;
    if (v->kind != N_APPLY || !(arithmetic(v) || prim_reads_item(ir_applied_prim(v))))
        return 0;
    Graph *g = NULL;
    for (const Use *u = v->uses; u; u = u->next) {
        Graph *ug = ir_use_graph(u);
        if (ug == v->graph)
            continue;
        if (g && ug != g)
            return 0;
        g = ug;
    }
    if (!g)
        return 0;
    Node *list = NULL;
    if (!arithmetic(v) && !(list = list_in(r, v, g)))
        return 0;
    for (int i = list ? 2 : 1; i < v->app.n; i++)
        if (!available(g, v->app.in[i], OPERAND_DEPTH))
            return 0;
    return ir_replace_uses_in(g, v, copy_in(g, v, list));
}

int opt_remat(OptCtx *c)
{
    Remat r = {c, xcalloc(c->ncap, 1), xcalloc(c->ncap, sizeof(uint32_t)), 0};
    c->pass_state = &r;
    int n = opt_rewrite_all(c, rewrite);
    c->pass_state = NULL;
    free(r.answer);
    free(r.seen);
    return n;
}
