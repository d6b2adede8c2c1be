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
    g->parent = parent;
    g->fn = (kind == G_FUNCTION || kind == G_CONST || !parent) ? g : parent->fn;
    vec_push(&m->graphs, g);
    return g;
}

static Node *new_node(Module *m, NodeKind kind, Loc loc)
{
    Node *n = ARENA_NEW(m->arena, Node);
    n->kind = kind;
    n->id = m->nnodes++;
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

static void add_use(Module *m, Node *used, Node *user, Graph *graph, int index)
{
    Use *u = ARENA_NEW(m->arena, Use);
    u->user = user;
    u->graph = graph;
    u->index = index;
    u->next = used->uses;
    if (used->uses)
        used->uses->prev = u;
    used->uses = u;
}

static void remove_use(Node *used, Node *user, Graph *graph, int index)
{
    for (Use *u = used->uses; u; u = u->next) {
        if (u->user == user && u->graph == graph && u->index == index) {
            if (u->prev)
                u->prev->next = u->next;
            else
                used->uses = u->next;
            if (u->next)
                u->next->prev = u->prev;
            return;
        }
    }
    die("use list out of date for node %u", used->id);
}

Node *ir_apply(Graph *g, Node *const *in, int n, Loc loc)
{
    Module *m = g->module;
    Node *a = new_node(m, N_APPLY, loc);
    a->graph = g;
    a->app.cap = n < 4 ? 4 : n;
    a->app.in = ARENA_ARRAY(m->arena, Node *, a->app.cap);
    a->app.n = n;
    for (int i = 0; i < n; i++) {
        if (!in[i])
            die("ir_apply: NULL input %d", i);
        a->app.in[i] = in[i];
        add_use(m, in[i], a, NULL, i);
    }
    return a;
}

Node *ir_apply_prim(Graph *g, PrimId p, Loc loc, int nargs, ...)
{
    Node *in[16];
    if (nargs > 15)
        die("ir_apply_prim: too many arguments");
    in[0] = ir_const_prim(g->module, p, loc);
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++)
        in[i + 1] = va_arg(ap, Node *);
    va_end(ap);
    return ir_apply(g, in, nargs + 1, loc);
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
        memcpy(in, a->app.in, sizeof(Node *) * (size_t)a->app.n);
        a->app.in = in;
        a->app.cap = cap;
    }
    a->app.in[a->app.n] = arg;
    add_use(m, arg, a, NULL, a->app.n);
    a->app.n++;
}

void ir_set_output(Graph *g, Node *out)
{
    if (g->output)
        remove_use(g->output, NULL, g, -1);
    g->output = out;
    if (out)
        add_use(g->module, out, NULL, g, -1);
}

void ir_set_input(Node *a, int i, Node *v)
{
    remove_use(a->app.in[i], a, NULL, i);
    a->app.in[i] = v;
    add_use(a->graph->module, v, a, NULL, i);
}

void ir_replace_all_uses(Node *old, Node *new_)
{
    if (old == new_)
        return;
    while (old->uses) {
        Use *u = old->uses;
        if (u->user)
            ir_set_input(u->user, u->index, new_);
        else
            ir_set_output(u->graph, new_);
    }
}

bool ir_graph_encloses(const Graph *a, const Graph *g)
{
    for (; g; g = g->parent)
        if (g == a)
            return true;
    return false;
}

/*
 * Iterative post-order DFS over inputs owned by g.  `mark` is a side table
 * indexed by node id: 0 unseen, 1 on the stack, 2 done.
 */
void ir_graph_body(const Graph *g, NodeVec *out)
{
    if (!g->output)
        return;
    uint32_t nn = g->module->nnodes;
    unsigned char *mark = xcalloc(nn, 1);
    typedef struct { Node *n; int next; } Frame;
    VEC(Frame) stack = {0};
    if (g->output->kind == N_APPLY && g->output->graph == g) {
        Frame f = {g->output, 0};
        vec_push(&stack, f);
        mark[g->output->id] = 1;
    }
    while (stack.len) {
        Frame *top = &stack.data[stack.len - 1];
        Node *n = top->n;
        if (top->next < n->app.n) {
            Node *in = n->app.in[top->next++];
            if (in->kind == N_APPLY && in->graph == g && !mark[in->id]) {
                mark[in->id] = 1;
                Frame f = {in, 0};
                vec_push(&stack, f);
            }
        } else {
            mark[n->id] = 2;
            vec_push(out, n);
            stack.len--;
        }
    }
    vec_free(&stack);
    free(mark);
}

void ir_graph_constant_graphs(const Graph *g, GraphVec *out)
{
    NodeVec body = {0};
    ir_graph_body(g, &body);
    uint32_t ng = g->module->ngraph_ids;
    unsigned char *seen = xcalloc(ng, 1);
    for (int i = 0; i <= body.len; i++) {
        Node *const *in;
        int n;
        if (i < body.len) {
            in = body.data[i]->app.in;
            n = body.data[i]->app.n;
        } else {
            in = (Node *const *)&g->output;
            n = g->output ? 1 : 0;
        }
        for (int j = 0; j < n; j++) {
            if (ir_is_const_graph(in[j]) && !seen[in[j]->k.u.graph->id]) {
                seen[in[j]->k.u.graph->id] = 1;
                vec_push(out, in[j]->k.u.graph);
            }
        }
    }
    free(seen);
    vec_free(&body);
}

/*
 * Free variables of g: walk g and every graph nested in it (reached through
 * graph constants whose parent chain leads to g), collecting inputs owned
 * by graphs that strictly enclose g.
 */
void ir_free_variables(const Graph *g, NodeVec *out)
{
    Module *m = g->module;
    unsigned char *seen_node = xcalloc(m->nnodes, 1);
    unsigned char *seen_graph = xcalloc(m->ngraph_ids, 1);
    GraphVec work = {0};
    vec_push(&work, (Graph *)g);
    seen_graph[g->id] = 1;
    NodeVec body = {0};
    while (work.len) {
        Graph *h = vec_pop(&work);
        body.len = 0;
        ir_graph_body(h, &body);
        int nb = body.len;
        for (int i = 0; i <= nb; i++) {
            Node *const *in;
            int n;
            if (i < nb) {
                in = body.data[i]->app.in;
                n = body.data[i]->app.n;
            } else {
                in = (Node *const *)&h->output;
                n = h->output ? 1 : 0;
            }
            for (int j = 0; j < n; j++) {
                Node *x = in[j];
                if (x->kind == N_CONST) {
                    if (x->k.kind == K_GRAPH) {
                        Graph *c = x->k.u.graph;
                        if (!seen_graph[c->id] && c != g && c->parent && ir_graph_encloses(g, c)) {
                            seen_graph[c->id] = 1;
                            vec_push(&work, c);
                        }
                    }
                } else if (x->graph != h && !ir_graph_encloses(g, x->graph) && !seen_node[x->id]) {
                    seen_node[x->id] = 1;
                    vec_push(out, x);
                }
            }
        }
    }
    vec_free(&body);
    vec_free(&work);
    free(seen_node);
    free(seen_graph);
}
