/* ir.c: building and editing the graph IR; use lists; iterative traversal. */
#include "ir.h"

#include <string.h>

Module *ir_module_new(Arena *arena, const char *filename)
{
    Module *m = ARENA_NEW(arena, Module);
    m->arena = arena;
    m->types = types_new(arena);
    m->filename = arena_strdup(arena, filename ? filename : "<input>");
    return m;
}

Graph *ir_graph_new(Module *m, GraphKind kind, const char *name, Graph *parent, Loc loc)
{
    Graph *g = ARENA_NEW(m->arena, Graph);
    g->id = m->ngraph_ids++;
    g->kind = kind;
    g->name = arena_strdup(m->arena, name);
    g->loc = loc;
    g->module = m;
    g->fn = (kind == G_FUNCTION || kind == G_CONST || !parent) ? g : parent->fn;
    ir_graph_set_parent(g, parent);
    vec_push(&m->graphs, g);
    return g;
}

void ir_graph_copy_provenance(Graph *to, const Graph *from)
{
    to->role = from->role;
    to->xform = from->xform;
    to->src_label = from->src_label;
    to->derived = from->derived;
}

void ir_graph_set_parent(Graph *g, Graph *parent)
{
    g->parent = parent;
    /* binary lifting: up[i] is the ancestor 2^i levels up */
    g->depth = parent ? parent->depth + 1 : 0;
    int n = 0;
    while ((1 << n) <= g->depth)
        n++;
    if (n > g->nup)
        g->up = ARENA_ARRAY(g->module->arena, Graph *, n);
    g->nup = n;
    if (n) {
        g->up[0] = parent;
        for (int i = 1; i < n; i++)
            g->up[i] = g->up[i - 1]->up[i - 1];
    }
}

static Node *new_node(Module *m, NodeKind kind, Loc loc)
{
    Node *n = ARENA_NEW(m->arena, Node);
    n->kind = kind;
    n->id = m->nnodes++;
    n->seq = m->seq_as ? m->seq_as : n->id;
    n->loc = loc;
    return n;
}

Node *ir_add_param(Graph *g, const char *name, Loc loc)
{
    Module *m = g->module;
    Node *p = new_node(m, N_PARAM, loc);
    p->graph = g;
    p->name = name ? arena_strdup(m->arena, name) : NULL;
    p->param.index = g->nparams;
    if (g->nparams == g->capparams) {
        int cap = g->capparams ? g->capparams * 2 : 4;
        Node **np = ARENA_ARRAY(m->arena, Node *, cap);
        if (g->nparams)
            memcpy(np, g->params, sizeof(Node *) * (size_t)g->nparams);
        g->params = np;
        g->capparams = cap;
        if (g->kind == G_FUNCTION) {
            Type **na = ARENA_ARRAY(m->arena, Type *, cap);
            if (g->param_ann)
                memcpy(na, g->param_ann, sizeof(Type *) * (size_t)g->nparams);
            g->param_ann = na;
        }
    }
    g->params[g->nparams++] = p;
    return p;
}

void ir_graph_remove_param(Graph *g, int i)
{
    if (g->params[i]->uses)
        die("ir_graph_remove_param: parameter %d of @%s is used", i, g->name);
    for (int k = i; k + 1 < g->nparams; k++) {
        g->params[k] = g->params[k + 1];
        g->params[k]->param.index = k;
        if (g->param_ann)
            g->param_ann[k] = g->param_ann[k + 1];
    }
    g->nparams--;
}

static Node *new_const(Module *m, ConstKind k, Loc loc)
{
    Node *n = new_node(m, N_CONST, loc);
    n->k.kind = k;
    return n;
}

Node *ir_const_int(Module *m, int64_t v, Loc loc) { Node *n = new_const(m, K_INT, loc); n->k.u.i = v; return n; }
Node *ir_const_float(Module *m, double v, Loc loc) { Node *n = new_const(m, K_FLOAT, loc); n->k.u.f = v; return n; }
Node *ir_const_bool(Module *m, bool v, Loc loc) { Node *n = new_const(m, K_BOOL, loc); n->k.u.b = v; return n; }
Node *ir_const_prim(Module *m, PrimId p, Loc loc) { Node *n = new_const(m, K_PRIM, loc); n->k.u.prim = p; return n; }
Node *ir_const_graph(Module *m, Graph *g, Loc loc) { Node *n = new_const(m, K_GRAPH, loc); n->k.u.graph = g; return n; }

static Use *add_use(Module *m, Node *used, Node *user, Graph *graph, int index)
{
    Use *u = ARENA_NEW(m->arena, Use);
    u->user = user;
    u->graph = graph;
    u->index = index;
    u->prev = NULL;
    u->next = used->uses;
    if (used->uses)
        used->uses->prev = u;
    used->uses = u;
    return u;
}

/* Unlinks u from used's use list: constant time (every user keeps its Uses,
   Node.app.use and Graph.output_use), so that dropping the inputs of many
   nodes that share one input (a parameter used by thousands of terms) is
   not a scan of its list per input. */
static void remove_use(Node *used, Use *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else if (used->uses == u)
        used->uses = u->next;
    else
        die("use list out of date for node %u", used->id);
    if (u->next)
        u->next->prev = u->prev;
    /* u keeps its links: a walk of the list that is at u goes on */
}

Node *ir_apply(Graph *g, Node *const *in, int n, Loc loc)
{
    Module *m = g->module;
    Node *a = new_node(m, N_APPLY, loc);
    a->graph = g;
    a->app.cap = n < 4 ? 4 : n;
    a->app.in = ARENA_ARRAY(m->arena, Node *, a->app.cap);
    a->app.use = ARENA_ARRAY(m->arena, Use *, a->app.cap);
    a->app.n = n;
    for (int i = 0; i < n; i++) {
        if (!in[i])
            die("ir_apply: NULL input %d", i);
        a->app.in[i] = in[i];
        a->app.use[i] = add_use(m, in[i], a, NULL, i);
    }
    if (m->track)
        vec_push(m->track, a);
    return a;
}

/* The one builder of primitive applications; the variadic forms below and
   the passes' shorthands (grad_rules.c's gb_prim, opt_apply_prim) use it.
   The primitive's constant is made before the Apply, as ir_apply's callers
   always did. */
Node *ir_apply_prim_args(Graph *g, PrimId p, Loc loc, int nargs, Node *const *args)
{
    Node *small[16];
    Node **in = nargs < 16 ? small : xmalloc(sizeof(Node *) * (size_t)(nargs + 1));
    in[0] = ir_const_prim(g->module, p, loc);
    for (int i = 0; i < nargs; i++)
        in[i + 1] = args[i];
    Node *a = ir_apply(g, in, nargs + 1, loc);
    if (in != small)
        free(in);
    return a;
}

Node *ir_apply_primv(Graph *g, PrimId p, Loc loc, int nargs, va_list ap)
{
    Node *small[16] = {NULL};
    Node **args = nargs <= 16 ? small : xmalloc(sizeof(Node *) * (size_t)nargs);
    for (int i = 0; i < nargs; i++)
        args[i] = va_arg(ap, Node *);
    Node *a = ir_apply_prim_args(g, p, loc, nargs, args);
    if (args != small)
        free(args);
    return a;
}

Node *ir_apply_prim(Graph *g, PrimId p, Loc loc, int nargs, ...)
{
    va_list ap;
    va_start(ap, nargs);
    Node *x = ir_apply_primv(g, p, loc, nargs, ap);
    va_end(ap);
    return x;
}

Node *ir_apply_call(Graph *g, Node *fn, Loc loc, int nargs, ...)
{
    Node *in[16];
    if (nargs > 15)
        die("ir_apply_call: too many arguments");
    in[0] = fn;
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++)
        in[i + 1] = va_arg(ap, Node *);
    va_end(ap);
    return ir_apply(g, in, nargs + 1, loc);
}

void ir_apply_append(Node *a, Node *arg)
{
    Module *m = a->graph->module;
    if (a->app.n == a->app.cap) {
        int cap = a->app.cap * 2;
        Node **in = ARENA_ARRAY(m->arena, Node *, cap);
        Use **use = ARENA_ARRAY(m->arena, Use *, cap);
        memcpy(in, a->app.in, sizeof(Node *) * (size_t)a->app.n);
        memcpy(use, a->app.use, sizeof(Use *) * (size_t)a->app.n);
        a->app.in = in;
        a->app.use = use;
        a->app.cap = cap;
    }
    a->app.in[a->app.n] = arg;
    a->app.use[a->app.n] = add_use(m, arg, a, NULL, a->app.n);
    a->app.n++;
}

void ir_apply_set_inputs(Node *a, Node *const *in, int n)
{
    Module *m = a->graph->module;
    for (int i = 0; i < a->app.n; i++)
        remove_use(a->app.in[i], a->app.use[i]);
    if (n > a->app.cap) {
        a->app.in = ARENA_ARRAY(m->arena, Node *, n);
        a->app.use = ARENA_ARRAY(m->arena, Use *, n);
        a->app.cap = n;
    }
    for (int i = 0; i < n; i++) {
        a->app.in[i] = in[i];
        a->app.use[i] = add_use(m, in[i], a, NULL, i);
    }
    a->app.n = n;
}

void ir_set_output(Graph *g, Node *out)
{
    if (g->output)
        remove_use(g->output, g->output_use);
    g->output = out;
    g->output_use = out ? add_use(g->module, out, NULL, g, -1) : NULL;
}

void ir_set_input(Node *a, int i, Node *v)
{
    remove_use(a->app.in[i], a->app.use[i]);
    a->app.in[i] = v;
    a->app.use[i] = add_use(a->graph->module, v, a, NULL, i);
}

void ir_use_set(const Use *u, Node *v)
{
    if (u->user)
        ir_set_input(u->user, u->index, v);
    else
        ir_set_output(u->graph, v);
}

void ir_replace_all_uses(Node *old, Node *new_)
{
    if (old == new_)
        return;
    while (old->uses)
        ir_use_set(old->uses, new_);
}

int ir_replace_uses_in(Graph *g, Node *old, Node *new_)
{
    int n = 0;
    for (Use *u = old->uses, *next; u; u = next) {
        next = u->next;
        if (ir_use_graph(u) == g) {
            ir_use_set(u, new_);
            n++;
        }
    }
    return n;
}

int ir_fn_index_of_key(const Type *t, int64_t key)
{
    for (int i = 0; t && t->kind == T_FUNC && i < t->n; i++)
        if (ir_fn_key(&t->fns[i]) == key)
            return i;
    return -1;
}

bool ir_graph_encloses(const Graph *a, const Graph *g)
{
    if (!a || !g || g->depth < a->depth)
        return false;
    int diff = g->depth - a->depth;
    for (int i = 0; diff; i++, diff >>= 1)
        if (diff & 1)
            g = g->up[i];
    return g == a;
}

/* A fresh visit stamp for ids below n: a node is visited when
   stamp[id] == cur. */
static uint32_t marks_begin(struct IrMarks *mk, uint32_t n)
{
    if (mk->cap < n) {
        uint32_t cap = n + n / 2 + 64;
        mk->stamp = xrealloc(mk->stamp, sizeof(uint32_t) * cap);
        memset(mk->stamp + mk->cap, 0, sizeof(uint32_t) * (cap - mk->cap));
        mk->cap = cap;
    }
    if (++mk->cur == 0) {   /* wrapped: clear */
        memset(mk->stamp, 0, sizeof(uint32_t) * mk->cap);
        mk->cur = 1;
    }
    return mk->cur;
}

void ir_module_free(Module *m)
{
    vec_free(&m->graphs);
    vec_free(&m->tops);
    free(m->mark_body.stamp);
    free(m->mark_region.stamp);
    free(m->mark_graph.stamp);
    m->mark_body = m->mark_region = m->mark_graph = (struct IrMarks){0};
}

/* The inputs of a node, or of a graph's output seen as a one-input node. */
static Node *const *node_inputs(const Node *n, int *count)
{
    *count = n->app.n;
    return n->app.in;
}

/*
 * What a closure of `start` may read from its enclosing frames once called:
 * one iterative walk over start and every graph it may reach through graph
 * constants while staying inside `scope` (branches nested in it, and the
 * blocks of its function it jumps to, whose closures it creates), crossing
 * graph boundaries, recording -- without entering them -- nodes owned by
 * strict ancestors of start inside scope.  Graphs outside scope cannot use
 * those nodes, so the walk never leaves it.
 */
static void closure_reads(const Graph *start, const Graph *scope, NodeVec *out)
{
    Module *m = start->module;
    uint32_t ns = marks_begin(&m->mark_region, m->nnodes);
    uint32_t gs = marks_begin(&m->mark_graph, m->ngraph_ids);
    uint32_t *nmark = m->mark_region.stamp, *gmark = m->mark_graph.stamp;
    NodeVec work = {0};
    gmark[start->id] = gs;
    if (start->output)
        vec_push(&work, start->output);
    while (work.len) {
        Node *x = vec_pop(&work);
        if (nmark[x->id] == ns)
            continue;
        nmark[x->id] = ns;
        if (x->kind == N_CONST) {
            Graph *c = x->k.kind == K_GRAPH ? x->k.u.graph : NULL;
            if (c && gmark[c->id] != gs && c != scope && ir_graph_encloses(scope, c)) {
                gmark[c->id] = gs;
                if (c->output)
                    vec_push(&work, c->output);
            }
            continue;
        }
        if (!ir_graph_encloses(scope, x->graph))
            continue;
        if (x->graph != start && ir_graph_encloses(x->graph, start)) {
            vec_push(out, x);
            continue;
        }
        if (x->kind == N_APPLY && x->graph != scope) {
            int n;
            Node *const *in = node_inputs(x, &n);
            for (int i = 0; i < n; i++)
                if (nmark[in[i]->id] != ns)
                    vec_push(&work, in[i]);
        }
    }
    vec_free(&work);
}

void ir_free_variables(const Graph *g, NodeVec *out)
{
    const Graph *top = g;
    while (top->parent)
        top = top->parent;
    closure_reads(g, top, out);
}

/*
 * Iterative post-order DFS from the output over inputs owned by g.  The
 * dependencies of a node are its inputs, plus, for an input that is a
 * constant of a graph nested in g (a closure g creates), the nodes of g
 * that closure may read (closure_reads, scoped to g).
 */
void ir_graph_body(const Graph *g, NodeVec *out)
{
    if (!g->output)
        return;
    Module *m = g->module;
    uint32_t stamp = marks_begin(&m->mark_body, m->nnodes);
    uint32_t *mark = m->mark_body.stamp;
    typedef struct { Node *n; int next; NodeVec extra; } Frame;
    VEC(Frame) stack = {0};
    /* The output is handled as the single input of a virtual root. */
    Frame root = {NULL, 0, {0}};
    vec_push(&stack, root);
    while (stack.len) {
        Frame *top = &stack.data[stack.len - 1];
        Node *dep = NULL;
        int nin = 0;
        Node *const *in = top->n ? node_inputs(top->n, &nin) : (Node *const *)&g->output;
        if (!top->n)
            nin = 1;
        if (top->next < nin) {
            Node *x = in[top->next++];
            if (ir_is_const_graph(x) && x->k.u.graph != g && ir_graph_encloses(g, x->k.u.graph))
                closure_reads(x->k.u.graph, g, &top->extra);   /* what the closure reads of g */
            else
                dep = x;
        } else if (top->extra.len) {
            dep = vec_pop(&top->extra);
        } else {
            if (top->n)
                vec_push(out, top->n);
            vec_free(&top->extra);
            stack.len--;
            continue;
        }
        if (dep && dep->kind == N_APPLY && dep->graph == g && mark[dep->id] != stamp) {
            mark[dep->id] = stamp;
            Frame f = {dep, 0, {0}};
            vec_push(&stack, f);
        }
    }
    vec_free(&stack);
}

bool ir_value_holds_closure_of(const Node *v, const Graph *u)
{
    if (v->kind != N_APPLY)
        return false;
    const Graph *owner = v->graph;
    Module *m = owner->module;
    uint32_t ns = marks_begin(&m->mark_region, m->nnodes);
    uint32_t *mark = m->mark_region.stamp;
    NodeVec work = {0};
    vec_push(&work, (Node *)v);
    mark[v->id] = ns;
    bool found = false;
    while (work.len && !found) {
        Node *x = vec_pop(&work);
        int n;
        Node *const *in = node_inputs(x, &n);
        for (int i = 0; i < n && !found; i++) {
            Node *y = in[i];
            if (ir_is_const_graph(y))
                found = y->k.u.graph != owner && ir_graph_encloses(owner, y->k.u.graph) &&
                        ir_graph_encloses(y->k.u.graph, u);
            else if (y->kind == N_APPLY && y->graph == owner && mark[y->id] != ns) {
                mark[y->id] = ns;
                vec_push(&work, y);
            }
        }
    }
    vec_free(&work);
    return found;
}

Node *const *ir_body_inputs(const Graph *g, const NodeVec *body, int i, int *n)
{
    if (i < body->len)
        return node_inputs(body->data[i], n);
    *n = g->output ? 1 : 0;
    return (Node *const *)&g->output;
}

void ir_graph_constant_graphs(const Graph *g, GraphVec *out)
{
    NodeVec body = {0};
    ir_graph_body(g, &body);
    Module *m = g->module;
    /* Collect first, then dedupe: the graph marks are used by ir_graph_body. */
    GraphVec all = {0};
    for (int i = 0; i <= body.len; i++) {
        int n;
        Node *const *in;
        if (i < body.len) {
            in = node_inputs(body.data[i], &n);
        } else {
            in = (Node *const *)&g->output;
            n = g->output ? 1 : 0;
        }
        for (int j = 0; j < n; j++)
            if (ir_is_const_graph(in[j]))
                vec_push(&all, in[j]->k.u.graph);
    }
    uint32_t gs = marks_begin(&m->mark_graph, m->ngraph_ids);
    for (int i = 0; i < all.len; i++) {
        if (m->mark_graph.stamp[all.data[i]->id] != gs) {
            m->mark_graph.stamp[all.data[i]->id] = gs;
            vec_push(out, all.data[i]);
        }
    }
    vec_free(&all);
    vec_free(&body);
}
