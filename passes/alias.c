/*
 * alias.c: the aliasing rule of contract 5.3 (see alias.h for what it
 * assumes and guarantees).
 *
 * CPython's answer and myc's differ exactly when a list object is changed
 * and then read through a reference that, in myc's value semantics, still
 * holds the list as it was: a *stale* reference.  For each change D of
 * list value v (and each call that hands v to a parameter its callee
 * changes, which is a change of v for the caller), the rule is checked in
 * three parts:
 *
 *   1. where v comes from must be a list that only v refers to: a list
 *      made here (a display, a copy, a change's result, a comprehension),
 *      a parameter of the function (its callers are then checked, part 3),
 *      a loop variable or join whose every incoming value is such a list,
 *      the item of a tuple display, or a row of a list written back to the
 *      same place right after (m[i][j] = x) in a list whose rows are
 *      distinct objects.  Anything else (a row kept in another variable, a
 *      list out of a tuple parameter, a call's result that may be one of
 *      its arguments, a top-level constant, a list a closure captured) is
 *      an error: myc cannot see every other reference to it;
 *   2. no other reference to that list -- v, or a value it came from -- is
 *      used after D: "after" is what runs later, by data dependence or by
 *      source order (Node.seq: the nodes lowering made are in the source's
 *      order), except in the other branch of an if, and a use inside a
 *      closure runs when the closure is called;
 *   3. where v is a parameter of function F, every call of F is itself
 *      checked as a change of its argument.
 *
 * A container that holds v (a tuple, a list, a closure) is another
 * reference: its uses after D are errors too.  Specialised clones of one
 * function give each error once (by place).
 *
 * Only source code is checked: the graphs the differentiation transforms
 * made (Graph.derived) are invisible here, as makers of changes and as
 * users.  Their primal computation is the source's, which inference
 * instantiates beside every transform (passes/infer.c, get_inst), so it is
 * checked here; what they add (backpropagators reading the shapes of
 * lists, tangents) reads lists as values, which passes/inplace.c keeps
 * exact by copying where a change would be seen.
 */
#include "alias.h"

#include <string.h>

typedef struct AC {
    Module *m;
    Diags *d;
    uint32_t *live;         /* node id -> its graph's id + 1 when in that graph's body */
    uint32_t *reach;        /* node id -> stamp: depends on the change being checked */
    uint32_t stamp;
    uint32_t *maxseq;       /* graph id -> the largest seq in its body */
    NodeVec *body;          /* graph id -> ir_graph_body, computed once (the module does not change) */
    NodeVec *calls;         /* graph id -> the applies whose callee is its constant */
    uint8_t **consumes;     /* graph id -> per parameter: the function changes it */
    uint8_t *fresh;         /* graph id -> its result is a new list: 0 unknown, 1 being found, 2 yes, 3 no */
    bool assumed;           /* a "yes" rested on a graph being found */
    uint64_t *from;         /* graph id -> the parameters its result may be (fresh_result) */
    VEC(Graph *) work;      /* functions whose consumed parameters' callers need checking */
    VEC(Loc) reported;
    NodeVec stack;
    NodeVec visiting;       /* rows_distinct's values being found (a loop comes back to them) */
    int errors;
} AC;

static bool is_list(const Node *x) { return x->type && x->type->kind == T_LIST; }

static bool live(const AC *c, const Node *x)
{
    return x->kind == N_APPLY && x->id < c->m->nnodes && c->live[x->id] == x->graph->id + 1;
}

static bool is_change(int p)
{
    return p == P_LIST_SET || prim_appends(p) || p == P_LIST_POP || p == P_LIST_EXTEND || p == P_LIST_IREPEAT;
}

static bool makes_list(int p)
{
    switch (p) {
    case P_LIST_MAKE: case P_LIST_RESERVE: case P_LIST_CONCAT: case P_LIST_REPEAT: case P_LIST_SLICE:
    case P_LIST_COPY: case P_LIST_CONVERT:
        return true;
    default:
        return is_change(p);
    }
}

static const char *var_name(const Node *x) { return x->name ? x->name : NULL; }

/* What callee f may be: itself, or the two operands of the switch it is
   (alts[1] NULL otherwise). */
static void callee_alternatives(Node *f, Node *alts[2])
{
    bool sw = ir_applies_prim(f, P_SWITCH) && f->app.n == 4;
    alts[0] = sw ? f->app.in[2] : f;
    alts[1] = sw ? f->app.in[3] : NULL;
}

/* ---- "runs after" --------------------------------------------------------------- */

/* Marks what depends on x (its uses, transitively, in any graph).  The
   first operands of depend(x..., v) are not data: lowering hangs an unused
   statement's value there, on whatever comes next, and that says nothing
   about when the source runs what. */
static void mark_dependents(AC *c, Node *x)
{
    uint32_t st = ++c->stamp;
    c->stack.len = 0;
    vec_push(&c->stack, x);
    c->reach[x->id] = st;
    while (c->stack.len) {
        Node *y = vec_pop(&c->stack);
        for (const Use *u = y->uses; u; u = u->next)
            if (u->user && live(c, u->user) && c->reach[u->user->id] != st &&
                !(ir_applies_prim(u->user, P_DEPEND) && u->index < u->user->app.n - 1)) {
                c->reach[u->user->id] = st;
                vec_push(&c->stack, u->user);
            }
    }
}

static bool depends(const AC *c, const Node *x) { return x->id < c->m->nnodes && c->reach[x->id] == c->stamp; }


static const NodeVec *calls_of(const AC *c, const Graph *g);

/* Where g runs from: its parent, except for a block (a loop or a join,
   a child of its function) entered from one graph only from outside it
   (a loop inside an if's branch): that graph. */
static Graph *runs_in(AC *c, Graph *g)
{
    if (g->kind != G_BLOCK)
        return g->parent;
    const NodeVec *js = calls_of(c, g);
    Graph *from = NULL;
    bool one = true;
    for (int i = 0; i < js->len && one; i++) {
        Graph *h = js->data[i]->graph;
        if (ir_graph_encloses(g, h))
            continue;       /* the loop's own back edge */
        one = !from || from == h;
        from = h;
    }
    return one && from ? from : g->parent;
}

/* Graphs a and b are (inside) the two branches of one switch: never both run. */
static bool exclusive_branches(AC *c, Graph *a, Graph *b)
{
    if (!a || !b || a == b || ir_graph_encloses(a, b) || ir_graph_encloses(b, a))
        return false;
    /* the chains of graphs a and b run in, up to the function */
    GraphVec ca = {0}, cb = {0};
    for (Graph *g = a; g && ca.len < 4096; g = runs_in(c, g))
        vec_push(&ca, g);
    for (Graph *g = b; g && cb.len < 4096; g = runs_in(c, g))
        vec_push(&cb, g);
    Graph *x = NULL, *y = NULL;
    for (int i = 0; i < ca.len && !x; i++)
        for (int j = 0; j < cb.len && !x; j++)
            if (ca.data[i] == cb.data[j] && i > 0 && j > 0) {
                x = ca.data[i - 1];
                y = cb.data[j - 1];
            }
    vec_free(&ca);
    vec_free(&cb);
    if (!x || !y || x == y || x->kind != G_BRANCH || y->kind != G_BRANCH || x->parent != y->parent || !x->parent)
        return false;
    const NodeVec *body = &c->body[x->parent->id];
    bool found = false;
    for (int i = 0; i < body->len && !found; i++) {
        Node *s = body->data[i];
        if (ir_applies_prim(s, P_SWITCH) && s->app.n == 4 && ir_is_const_graph(s->app.in[2]) &&
            ir_is_const_graph(s->app.in[3])) {
            Graph *p = s->app.in[2]->k.u.graph, *q = s->app.in[3]->k.u.graph;
            found = (p == x && q == y) || (p == y && q == x);
        }
    }
    return found;
}

static bool runs_after(AC *c, Node *u, Graph *ug, Node *d, int depth);

/* A use inside function L (a lambda or nested def) runs when L is called:
   after d when some use of L's closure does. */
static bool closure_runs_after(AC *c, Graph *l, Node *d, int depth)
{
    if (depth > 8)
        return true;
    for (int gi = 0; gi < c->m->graphs.len; gi++) {
        Graph *g = c->m->graphs.data[gi];
        if (g->fn == l)
            continue;       /* L's own recursion */
        const NodeVec *body = &c->body[g->id];
        bool after = false;
        for (int i = 0; i <= body->len && !after; i++) {
            int n;
            Node *const *in = ir_body_inputs(g, body, i, &n);
            for (int k = 0; k < n && !after; k++) {
                if (!ir_is_const_graph(in[k]) || in[k]->k.u.graph != l)
                    continue;
                Node *x = i < body->len ? body->data[i] : NULL;
                if (x && ir_applies_prim(x, P_DEPEND) && k == x->app.n - 1) {
                    /* depend(unused..., L) is L where it is used (lowering put it there) */
                    for (const Use *u = x->uses; u && !after; u = u->next)
                        after = runs_after(c, u->user, u->user ? u->user->graph : u->graph, d, depth + 1);
                    continue;
                }
                after = runs_after(c, x, g, d, depth + 1);
            }
        }
        if (after)
            return true;
    }
    return false;
}

/* Whether use u (an Apply of graph ug; NULL: ug returning) runs after d,
   with mark_dependents(d) done. */
static bool runs_after(AC *c, Node *u, Graph *ug, Node *d, int depth)
{
    if (u == d)
        return false;
    if (ug->fn != d->graph->fn && ir_graph_encloses(d->graph->fn, ug->fn))
        return closure_runs_after(c, ug->fn, d, depth);
    if (exclusive_branches(c, ug, d->graph))
        return false;
    if (!u)     /* ug returns: after everything it encloses, and what precedes its end */
        return ir_graph_encloses(ug, d->graph) || c->maxseq[ug->id] > d->seq;
    return depends(c, u) || u->seq > d->seq;
}

/* ---- reporting ------------------------------------------------------------------ */

static bool first_report(AC *c, Loc at)
{
    for (int i = 0; i < c->reported.len; i++)
        if (c->reported.data[i].line == at.line && c->reported.data[i].col == at.col)
            return false;
    vec_push(&c->reported, at);
    return true;
}

static const char *what_change(const Node *d)
{
    switch (ir_applied_prim(d)) {
    case P_LIST_SET: return "this item assignment changes";
    case P_LIST_APPEND: case P_LIST_PUSH: return "append() changes";
    case P_LIST_POP: return "pop() changes";
    case P_LIST_EXTEND: return "this changes";
    case P_LIST_IREPEAT: return "*= changes";
    default: return "this call hands over";
    }
}

static void report(AC *c, Node *d, Node *v, const char *why, Loc note_at, const char *note)
{
    if (!first_report(c, d->loc))
        return;
    const char *name = var_name(v);
    if (name)
        diag_error(c->d, d->loc, "%s the list '%s', which %s", what_change(d), name, why);
    else
        diag_error(c->d, d->loc, "%s a list that %s", what_change(d), why);
    if (note_at.line)
        diag_note(c->d, note_at, "%s", note);
    c->errors++;
}

/* ---- where a list comes from ------------------------------------------------------ */

/* The same node, or equal int constants (specialisation makes a constant per use). */
static bool same_value(const Node *a, const Node *b)
{
    return a == b || (a->kind == N_CONST && b->kind == N_CONST && a->k.kind == K_INT && b->k.kind == K_INT &&
                      a->k.u.i == b->k.u.i);
}

/* A comprehension's function (passes/lower.c names them so): called where
   it is made, it returns the list it built with list_append (and
   list_extend by the lists of the inner clauses' functions). */
static bool is_comp_graph(const Graph *g)
{
    const char *src = g->origin ? g->origin->src_name : g->src_name;
    return src && (strcmp(src, "<listcomp>") == 0 || strcmp(src, "<genexpr>") == 0);
}

/* The calls of graph g: applies whose callee is g's constant (the jumps
   into a block). */
static const NodeVec *calls_of(const AC *c, const Graph *g)
{
    return &c->calls[g->id];
}

typedef struct Origin {
    NodeVec refs;           /* the values in scope at the change that refer to the changed list (v,
                               what it came from in the activations still running) */
    NodeVec seen;           /* every value followed (refs, and values of activations that ended) */
    const char *why;        /* NULL: only those refer to it */
    Loc at;                 /* where the reason is */
    const char *note;
    bool probe;             /* only asking what a callee's result is: record nothing */
    Graph *probe_fn;        /* probing: the function whose parameters the result may be */
    uint64_t params;        /* probing: those parameters (bit k: parameter k) */
} Origin;

static bool rows_distinct(AC *c, Node *m, int depth);
static bool fresh_result(AC *c, Graph *g, int depth, uint64_t *from);

static void add_ref(Origin *o, Node *x)
{
    for (int i = 0; i < o->refs.len; i++)
        if (o->refs.data[i] == x)
            return;
    vec_push(&o->refs, x);
}

static void fail(Origin *o, const char *why, Loc at, const char *note)
{
    if (!o->why) {
        o->why = why;
        o->at = at;
        o->note = note;
    }
}

/* The call that runs graph g's function for the check of a change of v:
   fills o with the references to v's list, or the reason it may have
   others. */
static bool has(const NodeVec *vs, const Node *x)
{
    for (int i = 0; i < vs->len; i++)
        if (vs->data[i] == x)
            return true;
    return false;
}

/* Follows where v comes from.  With `collect`, v is a value of an
   activation still running at the change d (v's graph encloses d's), so a
   use of it after d would see the change: it joins o->refs.  A loop's or
   join's parameter came from the jump into it, whose arguments were values
   of the jumping graph: still running when that graph encloses d (the
   function entering its loop), ended otherwise (a loop's previous
   iteration, another loop that jumped here): those only say what kind of
   list it is. */
static void origin_in(AC *c, Node *v, Node *d, Origin *o, int depth, bool collect)
{
    if (collect && has(&o->refs, v))
        return;
    if (!collect && has(&o->seen, v))
        return;
    if (collect)
        add_ref(o, v);
    if (!has(&o->seen, v))
        vec_push(&o->seen, v);
    if (depth > 64) {
        fail(o, "comes from too far for myc to follow", v->loc, "it comes from here");
        return;
    }
    if (v->kind == N_PARAM) {
        Graph *g = v->graph;
        if (g->fn != d->graph->fn) {
            fail(o, "is captured from an enclosing function (a closure that changes a list it captured would "
                    "change it on every call in Python)",
                 v->loc, "it is defined here: pass it as an argument and return the changed list instead");
            return;
        }
        if (g->kind == G_FUNCTION && o->probe) {
            if (g == o->probe_fn && v->param.index < 64)
                o->params |= (uint64_t)1 << v->param.index;     /* the caller's argument */
            else
                fail(o, "may be a parameter", v->loc, "");
            return;
        }
        if (g->kind == G_FUNCTION) {     /* the callers hand it over: checked at each call */
            uint8_t **cs = &c->consumes[g->id];
            if (!*cs)
                *cs = xcalloc((size_t)g->nparams, 1);
            if (!(*cs)[v->param.index]) {
                (*cs)[v->param.index] = 1;
                vec_push(&c->work, g);
            }
            return;
        }
        if (g->kind == G_BLOCK) {       /* a loop variable or a join: every incoming value */
            const NodeVec *js = calls_of(c, g);
            for (int i = 0; i < js->len; i++) {
                Node *j = js->data[i];
                int k = v->param.index + 1;
                if (k >= j->app.n)
                    continue;
                Node *a = j->app.in[k];
                for (int q = 1; q < j->app.n; q++)
                    if (q != k && j->app.in[q] == a)
                        fail(o, "is also another variable of the loop (the same list under two names)", a->loc,
                             "both get this list here");
                Graph *ag = a->kind == N_CONST ? NULL : a->graph;
                origin_in(c, a, d, o, depth + 1, collect && ag && ir_graph_encloses(ag, d->graph));
            }
            return;
        }
        fail(o, "comes from where myc cannot follow it", v->loc, "it comes from here");
        return;
    }
    if (v->kind != N_APPLY) {
        fail(o, "is a constant shared by every use", v->loc, "it is this constant");
        return;
    }
    int p = ir_applied_prim(v);
    if (makes_list(p))
        return;                                 /* a new list */
    if (p == P_DEPEND) {                        /* depend(x..., w) is w */
        origin_in(c, v->app.in[v->app.n - 1], d, o, depth + 1, collect);
        return;
    }
    if (p == P_GETITEM && v->app.n == 3) {
        Node *t = v->app.in[1], *ix = v->app.in[2];
        if (ir_applies_prim(t, P_LIST_POP) || ir_applies_prim(t, P_LIST_POP_INPLACE))
            return;                             /* the list pop() leaves */
        if (ir_applies_prim(t, P_MAKE_TUPLE) && ix->kind == N_CONST && ix->k.kind == K_INT && ix->k.u.i >= 0 &&
            ix->k.u.i + 1 < t->app.n) {
            origin_in(c, t->app.in[ix->k.u.i + 1], d, o, depth + 1, collect);
            return;
        }
        fail(o, "is an item of a tuple that may be used elsewhere", t->loc,
             "the tuple is here; copy the list before changing it, as in 'a = list(a)'");
        return;
    }
    if (prim_reads_item(p)) {
        /* m[i][j] = x: the row is changed and written back to the same
           place; fine when the rows of m are distinct lists */
        Node *m = v->app.in[1];
        bool back = false;
        for (const Use *u = d->uses; u && !back; u = u->next) {
            Node *w = u->user;
            back = w && live(c, w) && (ir_applies_prim(w, P_LIST_SET)) && u->index == 3 && w->app.in[1] == m &&
                   same_value(w->app.in[2], v->app.in[2]);
        }
        if (!back) {
            fail(o, "is an item of another list, which Python would change too", m->loc,
                 "it is an item of this list: copy it first ('row = list(row)') or assign the changed row back");
            return;
        }
        if (!rows_distinct(c, m, 0))
            fail(o, "is a row of a list whose rows may be one list (as in [[0.0] * m] * n, or a copy of a list of "
                    "lists, which shares its rows)",
                 m->loc, "the rows of this list: build them as [[0.0] * m for _ in range(n)]");
        return;
    }
    /* a call: a new list when the callee's result always is one */
    Node *f = v->app.in[0];
    if (f->kind == N_CONST && f->k.kind == K_GRAPH && f->k.u.graph->kind == G_CONST) {
        fail(o, "is a top-level constant, shared by every function that reads it", v->loc,
             "copy it first, as in 'a = list(CONST)'");
        return;
    }
    if (ir_is_const_graph(f)) {
        /* the identity function of an annotated assignment (x: T = e,
           passes/lower.c) returns its argument itself */
        Graph *g = f->k.u.graph;
        Node *out = g->output;
        if (g->kind == G_FUNCTION && out && out->kind == N_PARAM && out->graph == g && g->nfree == 0 &&
            out->param.index + 1 < v->app.n) {
            origin_in(c, v->app.in[out->param.index + 1], d, o, depth + 1, collect);
            return;
        }
    }
    Node *alts[2];
    callee_alternatives(f, alts);
    for (int i = 0; i < 2 && alts[i]; i++) {
        uint64_t from = 0;
        Graph *g = ir_is_const_graph(alts[i]) ? alts[i]->k.u.graph : NULL;
        if (!g || !fresh_result(c, g, depth, &from)) {
            fail(o, "is the result of a call that may return a list shared with something else", v->loc,
                 "copy it first, as in 'a = list(f(...))'");
            return;
        }
        /* a result that is one of the arguments (a function that changes its
           parameter and returns it) is that argument's list */
        for (int k = 0; k < 64 && from; k++) {
            if (!(from & ((uint64_t)1 << k)))
                continue;
            from &= ~((uint64_t)1 << k);
            Node *arg = NULL;
            if (g->kind == G_FUNCTION)
                arg = k + 1 < v->app.n ? v->app.in[k + 1] : NULL;
            else if (g->fn && k < g->fn->nparams)
                arg = g->fn->params[k];     /* a branch or block returning its function's parameter */
            if (!arg) {
                fail(o, "is the result of a call that may return a list shared with something else", v->loc,
                     "copy it first, as in 'a = list(f(...))'");
                return;
            }
            origin_in(c, arg, d, o, depth + 1, collect);
        }
    }
}

/* Whether every call of g returns a new list (not a parameter's, nor one
   stored elsewhere). */
/* Whether what g returns is known: a new list, or (bits of *from) one of
   the parameters of g's function, which the call passed. */
static bool fresh_result(AC *c, Graph *g, int depth, uint64_t *from)
{
    uint8_t *st = &c->fresh[g->id];
    *from = c->from[g->id];
    if (*st == 1) {
        c->assumed = true;  /* a loop or a recursion back to g: as the other paths say */
        return true;
    }
    if (*st)
        return *st == 2;
    if (!g->output || g->kind == G_CONST)
        return false;
    *st = 1;
    bool outer = c->assumed;
    c->assumed = false;
    Origin inner = {.probe = true, .probe_fn = g->fn};
    origin_in(c, g->output, g->output, &inner, depth + 1, false);
    bool known = !inner.why;
    vec_free(&inner.refs);
    vec_free(&inner.seen);
    *from = c->from[g->id] = inner.params;
    /* "no" is final; "yes" only when it did not rest on a graph still being found */
    *st = !known ? 3 : c->assumed ? 0 : 2;
    c->assumed = outer || c->assumed;
    return known;
}

static bool returns_new(AC *c, Node *w);

/* Whether list `item`, stored by container operation `op`, is a new list
   that nothing else reads after op (it moves into the container). */
static bool moved_in(AC *c, Node *item, Node *op)
{
    if (!is_list(item))
        return true;
    if (item->kind != N_APPLY || !(makes_list(ir_applied_prim(item)) || (ir_applied_prim(item) < 0 && returns_new(c, item))))
        return false;
    mark_dependents(c, op);
    for (const Use *u = item->uses; u; u = u->next)
        if (!u->user || (live(c, u->user) && u->user != op && runs_after(c, u->user, u->user->graph, op, 0)))
            return false;
    return true;
}

/* Whether the rows of list m are distinct objects that nothing else reads
   (a change of one is seen through no other reference). */
static bool rows_distinct_at(AC *c, Node *m, int depth);

static bool rows_distinct(AC *c, Node *m, int depth)
{
    if (depth > 64)
        return false;
    if (has(&c->visiting, m))
        return true;        /* around a loop: as the other incoming values say */
    vec_push(&c->visiting, m);
    bool ok = rows_distinct_at(c, m, depth);
    c->visiting.len--;
    return ok;
}

static bool rows_distinct_at(AC *c, Node *m, int depth)
{
    if (m->kind == N_PARAM) {
        if (m->graph->kind == G_FUNCTION)   /* the caller's list (from C: a fresh block) */
            return true;
        if (m->graph->kind != G_BLOCK)
            return false;
        const NodeVec *js = calls_of(c, m->graph);
        bool ok = true;
        for (int i = 0; i < js->len && ok; i++) {
            Node *a = m->param.index + 1 < js->data[i]->app.n ? js->data[i]->app.in[m->param.index + 1] : NULL;
            ok = a && (a == m || rows_distinct(c, a, depth + 1));
        }
        return ok;
    }
    int p = ir_applied_prim(m);
    switch (p) {
    case P_LIST_MAKE:
        for (int i = 1; i < m->app.n; i++) {
            for (int j = 1; j < i; j++)
                if (m->app.in[i] == m->app.in[j])
                    return false;
            if (!moved_in(c, m->app.in[i], m))
                return false;
        }
        return true;
    case P_LIST_RESERVE:
        return true;
    case P_LIST_APPEND:
    case P_LIST_PUSH:
    case P_LIST_SET:
        return rows_distinct(c, m->app.in[1], depth + 1) && moved_in(c, m->app.in[m->app.n - 1], m);
    case P_LIST_CONVERT:
        return true;
    case P_DEPEND:
        return rows_distinct(c, m->app.in[m->app.n - 1], depth + 1);
    case P_LIST_COPY:
    case P_LIST_SLICE: {
        /* a copy shares its rows with its source: distinct when the source's
           are and nothing reads the source after the copy */
        Node *src = m->app.in[1];
        if (!rows_distinct(c, src, depth + 1))
            return false;
        mark_dependents(c, m);
        for (const Use *u = src->uses; u; u = u->next)
            if (!u->user || (live(c, u->user) && u->user != m && runs_after(c, u->user, u->user->graph, m, 0)))
                return false;
        return true;
    }
    default:
        break;
    }
    Node *f = m->kind == N_APPLY ? m->app.in[0] : NULL;
    if (f && p < 0 && !(ir_is_const_graph(f) && is_comp_graph(f->k.u.graph))) {
        /* a call: the result of every graph it may run (a loop's, a branch's) */
        Node *alts[2];
        callee_alternatives(f, alts);
        bool ok = true;
        for (int i = 0; i < 2 && alts[i] && ok; i++)
            ok = ir_is_const_graph(alts[i]) && alts[i]->k.u.graph->output &&
                 alts[i]->k.u.graph->kind != G_CONST && rows_distinct(c, alts[i]->k.u.graph->output, depth + 1);
        return ok;
    }
    /* a comprehension's list: distinct rows when each item appended is a
       new list that nothing else reads */
    if (!f || f->kind != N_CONST || f->k.kind != K_GRAPH || !is_comp_graph(f->k.u.graph))
        return false;
    Graph *g = f->k.u.graph;
    bool ok = true;
    for (int gi = 0; gi < c->m->graphs.len && ok; gi++) {
        Graph *h = c->m->graphs.data[gi];
        if (h->fn != g)
            continue;
        const NodeVec *body = &c->body[h->id];
        for (int i = 0; i < body->len && ok; i++)
            if (prim_appends(ir_applied_prim(body->data[i]))) {
                /* an item is a new list, or an inner comprehension's (made
                   for this item alone) */
                Node *item = body->data[i]->app.in[2], *fi = item->kind == N_APPLY ? item->app.in[0] : NULL;
                ok = (fi && ir_is_const_graph(fi) && is_comp_graph(fi->k.u.graph)) ||
                     moved_in(c, item, body->data[i]);
            }
            else if (ir_applies_prim(body->data[i], P_LIST_EXTEND))   /* an inner clause's list */
                ok = rows_distinct(c, body->data[i]->app.in[2], depth + 1);
    }
    return ok;
}

/* ---- the check of one change ----------------------------------------------------- */


/* Use (w, index) of a value only puts it, or a list it holds, into another
   value (the result of w) without reading it: a tuple or list holding it,
   a switch choosing it, depend, an item taken out of a container. */
static bool stores(const Node *w, int index)
{
    switch (ir_applied_prim(w)) {
    case P_MAKE_TUPLE: case P_LIST_MAKE: case P_SWITCH:
        return true;
    case P_DEPEND: return index == w->app.n - 1;
    case P_LIST_SET: return index == 3;
    case P_LIST_APPEND: case P_LIST_PUSH: return index == 2;
    case P_GETITEM: case P_LIST_GET: case P_LIST_ITEM: return index == 1 && type_may_hold_list(w->type);
    default: return false;
    }
}

static void report_stale(AC *c, Node *d, Node *v, Node *w, Graph *wg, bool via_container)
{
    const char *name = var_name(v);
    StrBuf sb = {0};
    if (via_container)
        sb_puts(&sb, "a value holding the same list is used here, after the change, and Python would see the change "
                     "through it");
    else
        sb_puts(&sb, "the same list is used here, after the change, and Python would see the change through it");
    if (name)
        sb_printf(&sb, "; to keep the old list there, make that reference a copy, 'list(%s)'", name);
    report(c, d, v, via_container ? "is held by a tuple, list or other value that is used afterwards"
                                  : "is used afterwards through another reference",
           w ? w->loc : (wg->ret_loc.line ? wg->ret_loc : wg->loc), sb_cstr(&sb));
    sb_free(&sb);
}

/* Whether call w's result is a new list (not one it was given). */
static bool returns_new(AC *c, Node *w)
{
    Node *f = w->app.in[0];
    Node *alts[2];
    callee_alternatives(f, alts);
    for (int i = 0; i < 2 && alts[i]; i++) {
        uint64_t from = 0;
        if (!ir_is_const_graph(alts[i]) || !fresh_result(c, alts[i]->k.u.graph, 0, &from) || from)
            return false;
    }
    return true;
}

/* d changes (or hands over) v. */
static void check_change(AC *c, Node *d, Node *v)
{
    Origin o = {0};
    origin_in(c, v, d, &o, 0, true);
    vec_free(&o.seen);
    if (o.why) {
        report(c, d, v, o.why, o.at, o.note);
        vec_free(&o.refs);
        return;
    }
    mark_dependents(c, d);
    /* the stale values: the references in scope not computed from the
       change, and what holds them */
    NodeVec stale = {0};
    int nrefs = 0;
    for (int r = 0; r < o.refs.len; r++)
        if (!depends(c, o.refs.data[r])) {
            vec_push(&stale, o.refs.data[r]);
            nrefs++;
        }
    for (int r = 0; r < stale.len; r++) {
        Node *x = stale.data[r];
        for (const Use *u = x->uses; u; u = u->next) {
            Node *w = u->user;
            Graph *wg = w ? w->graph : u->graph;
            if (w && (!live(c, w) || w == d))
                continue;
            if (w && ir_is_const_graph(w->app.in[0]) && w->app.in[0]->k.u.graph->kind == G_BLOCK) {
                /* passing it on to a loop or a join is part of where it came from */
                bool passed = false;
                for (int r2 = 0; r2 < o.refs.len && !passed; r2++) {
                    Node *q = o.refs.data[r2];
                    passed = q->kind == N_PARAM && q->graph == w->app.in[0]->k.u.graph &&
                             q->param.index + 1 == u->index;
                }
                if (passed)
                    continue;
            }
            if (w && ir_applies_prim(w, P_DEPEND) && u->index < w->app.n - 1)
                continue;       /* an unused statement's value hung there: not read */
            if (w && stores(w, u->index)) {
                /* an item of a tuple display holds the stale list only if it is that item */
                Node *ix = ir_applied_prim(w) == P_GETITEM && w->app.n == 3 ? w->app.in[2] : NULL;
                bool other_item = ix && ir_applies_prim(x, P_MAKE_TUPLE) && ix->kind == N_CONST && ix->k.kind == K_INT &&
                                  ix->k.u.i >= 0 && ix->k.u.i + 1 < x->app.n && !has(&stale, x->app.in[ix->k.u.i + 1]);
                if (!other_item && !has(&stale, w))
                    vec_push(&stale, w);
                continue;
            }
            if (w && u->index >= 1 && ir_applied_prim(w) < 0 && type_may_hold_list(w->type) && !has(&stale, w)) {
                bool fresh = returns_new(c, w);
                mark_dependents(c, d);  /* returns_new may have marked others */
                if (!fresh)
                    vec_push(&stale, w);    /* a call's result may be the list it was given */
            }
            if (!runs_after(c, w, wg, d, 0))
                continue;
            report_stale(c, d, v, w, wg, r >= nrefs);
            vec_free(&stale);
            vec_free(&o.refs);
            return;
        }
    }
    vec_free(&stale);
    vec_free(&o.refs);
}

/* Every call of function g (directly, or through a function value that may
   be g) is a change of its arguments for the parameters g changes. */
static void check_callers(AC *c, Graph *g)
{
    uint8_t *cs = c->consumes[g->id];
    for (int gi = 0; gi < c->m->graphs.len; gi++) {
        Graph *h = c->m->graphs.data[gi];
        const NodeVec *body = &c->body[h->id];
        for (int i = 0; i < body->len; i++) {
            Node *x = body->data[i];
            Node *f = x->app.in[0];
            bool calls = ir_is_const_graph(f) && f->k.u.graph == g;
            if (!calls && f->type && f->type->kind == T_FUNC && f->kind != N_CONST)
                for (int k = 0; k < f->type->n && !calls; k++)
                    calls = f->type->fns[k].graph == g;
            if (!calls || x->app.n - 1 != g->nparams)
                continue;
            for (int k = 0; k < g->nparams; k++)
                if (cs[k] && is_list(x->app.in[k + 1]))
                    check_change(c, x, x->app.in[k + 1]);
        }
    }
}

int alias_check(Module *m, Diags *d)
{
    AC c = {.m = m, .d = d};
    uint32_t nn = m->nnodes ? m->nnodes : 1, ng = m->ngraph_ids ? m->ngraph_ids : 1;
    c.live = xcalloc(nn, sizeof(uint32_t));
    c.reach = xcalloc(nn, sizeof(uint32_t));
    c.maxseq = xcalloc(ng, sizeof(uint32_t));
    c.consumes = xcalloc(ng, sizeof(uint8_t *));
    c.fresh = xcalloc(ng, 1);
    c.from = xcalloc(ng, sizeof(uint64_t));
    c.body = xcalloc(ng, sizeof(NodeVec));
    c.calls = xcalloc(ng, sizeof(NodeVec));
    NodeVec changes = {0};
    for (int gi = 0; gi < m->graphs.len; gi++) {
        Graph *g = m->graphs.data[gi];
        if (g->derived)
            continue;   /* a transform's code: its source is checked (the next comment) */
        NodeVec *body = &c.body[g->id];
        ir_graph_body(g, body);
        for (int i = 0; i < body->len; i++) {
            Node *x = body->data[i];
            c.live[x->id] = g->id + 1;
            if (x->seq > c.maxseq[g->id])
                c.maxseq[g->id] = x->seq;
            if (is_change(ir_applied_prim(x)) && x->app.n >= 2)
                vec_push(&changes, x);
            if (ir_is_const_graph(x->app.in[0]))
                vec_push(&c.calls[x->app.in[0]->k.u.graph->id], x);
        }
    }
    for (int i = 0; i < changes.len; i++)
        check_change(&c, changes.data[i], changes.data[i]->app.in[1]);
    while (c.work.len)
        check_callers(&c, vec_pop(&c.work));
    for (uint32_t i = 0; i < ng; i++) {
        free(c.consumes[i]);
        vec_free(&c.body[i]);
        vec_free(&c.calls[i]);
    }
    free(c.body);
    free(c.calls);
    free(c.consumes);
    free(c.fresh);
    free(c.from);
    free(c.live);
    free(c.reach);
    free(c.maxseq);
    vec_free(&changes);
    vec_free(&c.work);
    vec_free(&c.reported);
    vec_free(&c.stack);
    vec_free(&c.visiting);
    return c.errors;
}
