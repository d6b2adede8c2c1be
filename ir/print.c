/*
 * print.c: the text form of the IR (docs/ir.md), stable and diffable.
 *
 * Nothing printed depends on pointers or node ids: a graph's nodes are
 * named per graph, parameters first and then the body in schedule order
 * (ir_graph_body), by source name when they have one (%x; the second %x of
 * a graph becomes %x.2) and otherwise by a counter (%1, %2, ...).  A node
 * of an enclosing graph reads @owner:%x.
 */
#include "interp.h"
#include "../src/util/strmap.h"

#include <string.h>

struct IrNames {
    const Module *m;
    char **name;            /* by node id: its name without '%', or NULL */
    uint32_t nn;
    NodeVec **body;         /* by graph id: the body, once named */
    uint32_t ng;
};


/* ---- naming ---------------------------------------------------------------- */

IrNames *ir_names_new(const Module *m)
{
    IrNames *nm = xcalloc(1, sizeof *nm);
    nm->m = m;
    return nm;
}

void ir_names_free(IrNames *nm)
{
    if (!nm)
        return;
    for (uint32_t i = 0; i < nm->nn; i++)
        free(nm->name[i]);
    for (uint32_t i = 0; i < nm->ng; i++) {
        if (nm->body[i]) {
            vec_free(nm->body[i]);
            free(nm->body[i]);
        }
    }
    free(nm->name);
    free(nm->body);
    free(nm);
}

static void names_grow(IrNames *nm)
{
    const Module *m = nm->m;
    if (m->nnodes > nm->nn) {
        nm->name = xrealloc(nm->name, sizeof(char *) * m->nnodes);
        memset(nm->name + nm->nn, 0, sizeof(char *) * (m->nnodes - nm->nn));
        nm->nn = m->nnodes;
    }
    if (m->ngraph_ids > nm->ng) {
        nm->body = xrealloc(nm->body, sizeof(NodeVec *) * m->ngraph_ids);
        memset(nm->body + nm->ng, 0, sizeof(NodeVec *) * (m->ngraph_ids - nm->ng));
        nm->ng = m->ngraph_ids;
    }
}

/* k must outlive the map. */
static void map_put(StrMap *mp, const char *k, int v)
{
    bool fresh;
    strmap_put(mp, NULL, k, &fresh)->v = v;
}

static void name_node(IrNames *nm, StrMap *used, StrMap *next_suffix, int *counter, Node *x)
{
    if (x->id >= nm->nn || nm->name[x->id])
        return;
    StrBuf sb = {0};
    if (x->name) {
        sb_puts(&sb, x->name);
        if (strmap_get(used, x->name)) {
            StrEnt *ks = strmap_get(next_suffix, x->name);
            int *k = ks ? &ks->v : NULL;
            int i = k ? *k : 2;
            for (;; i++) {
                sb.len = 0;
                sb_printf(&sb, "%s.%d", x->name, i);
                if (!strmap_get(used, sb_cstr(&sb)))
                    break;
            }
            map_put(next_suffix, x->name, i + 1);
        }
    } else {
        for (;; (*counter)++) {
            sb.len = 0;
            sb_printf(&sb, "%d", *counter);
            if (!strmap_get(used, sb_cstr(&sb)))
                break;
        }
        (*counter)++;
    }
    nm->name[x->id] = xstrdup(sb_cstr(&sb));
    map_put(used, nm->name[x->id], 1);
    sb_free(&sb);
}

const NodeVec *ir_names_body(IrNames *nm, const Graph *g)
{
    names_grow(nm);
    if (nm->body[g->id])
        return nm->body[g->id];
    NodeVec *body = xcalloc(1, sizeof *body);
    ir_graph_body(g, body);
    nm->body[g->id] = body;
    StrMap used = {0}, next_suffix = {0};
    int counter = 1;
    for (int i = 0; i < g->nparams; i++)
        name_node(nm, &used, &next_suffix, &counter, g->params[i]);
    for (int i = 0; i < body->len; i++)
        name_node(nm, &used, &next_suffix, &counter, body->data[i]);
    strmap_free(&used);
    strmap_free(&next_suffix);
    return body;
}

/* ---- printing -------------------------------------------------------------- */

static void put_const(const Node *x, StrBuf *out)
{
    switch (x->k.kind) {
    case K_INT: sb_printf(out, "%lld", (long long)x->k.u.i); break;
    case K_FLOAT: fmt_float_repr(out, x->k.u.f); break;
    case K_BOOL: sb_puts(out, x->k.u.b ? "True" : "False"); break;
    case K_PRIM:
        if ((int)x->k.u.prim >= 0 && x->k.u.prim < P__COUNT)
            sb_puts(out, prim_table[x->k.u.prim].name);
        else
            sb_printf(out, "<bad primitive %d>", (int)x->k.u.prim);
        break;
    case K_GRAPH: sb_printf(out, "@%s", x->k.u.graph ? x->k.u.graph->name : "?"); break;
    }
}

void ir_names_ref(IrNames *nm, const Graph *g, const Node *x, StrBuf *out)
{
    if (x->kind == N_CONST) {
        put_const(x, out);
        return;
    }
    if (!x->graph) {
        sb_puts(out, "%?");
        return;
    }
    if (x->graph != g) {
        ir_names_body(nm, x->graph);
        sb_printf(out, "@%s:", x->graph->name);
    }
    names_grow(nm);
    const char *name = x->id < nm->nn ? nm->name[x->id] : NULL;
    if (name)
        sb_printf(out, "%%%s", name);
    else    /* not computed by its graph: only in broken or dead code */
        sb_printf(out, "%%?%s", x->name ? x->name : "");
}

static void put_type(const Type *t, StrBuf *out)
{
    if (t) {
        sb_puts(out, ": ");
        type_str(t, out);
    }
}

static const char *const kind_names[] = {"function", "block", "branch", "const"};

void ir_names_header(IrNames *nm, const Graph *g, StrBuf *out)
{
    ir_names_body(nm, g);
    sb_printf(out, "graph @%s(", g->name);
    for (int i = 0; i < g->nparams; i++) {
        const Node *p = g->params[i];
        if (i)
            sb_puts(out, ", ");
        ir_names_ref(nm, g, p, out);
        put_type(p->type ? p->type : (g->param_ann ? g->param_ann[i] : NULL), out);
        if (p->param.length_only)
            sb_puts(out, " (length)");
    }
    sb_putc(out, ')');
    const Type *rt = g->ret_type ? g->ret_type : g->ret_ann;
    if (rt) {
        sb_puts(out, " -> ");
        type_str(rt, out);
    }
    sb_printf(out, " [%s", (unsigned)g->kind < 4 ? kind_names[g->kind] : "?");
    if (g->parent)
        sb_printf(out, ", parent @%s", g->parent->name);
    if (g->nfree)       /* closure conversion: the last nfree parameters are captured variables */
        sb_printf(out, ", captures %d", g->nfree);
    /* a clone named like its origin (specialisation keeps names) says nothing new */
    if (g->origin && g->origin != g && g->origin->name && strcmp(g->origin->name, g->name) != 0)
        sb_printf(out, ", origin @%s", g->origin->name);
    sb_putc(out, ']');
}

void ir_names_apply(IrNames *nm, const Graph *g, const Node *n, StrBuf *out)
{
    ir_names_ref(nm, g, n, out);
    put_type(n->type, out);
    sb_puts(out, " = ");
    if (n->app.n == 0) {
        sb_puts(out, "<no callee>()");
        return;
    }
    ir_names_ref(nm, g, n->app.in[0], out);
    sb_putc(out, '(');
    for (int i = 1; i < n->app.n; i++) {
        if (i > 1)
            sb_puts(out, ", ");
        ir_names_ref(nm, g, n->app.in[i], out);
    }
    sb_putc(out, ')');
}

void ir_names_return(IrNames *nm, const Graph *g, StrBuf *out)
{
    sb_puts(out, "return ");
    if (g->output)
        ir_names_ref(nm, g, g->output, out);
    else
        sb_puts(out, "<none>");
}

void ir_names_order(IrNames *nm, Graph *const *roots, int nroots, GraphVec *out)
{
    const Module *m = nm->m;
    if (nroots <= 0) {
        for (int i = 0; i < m->graphs.len; i++)
            vec_push(out, m->graphs.data[i]);
        return;
    }
    unsigned char *seen = xcalloc(m->ngraph_ids, 1);
    int head = out->len;
    for (int i = 0; i < nroots; i++)
        if (roots[i] && !seen[roots[i]->id]) {
            seen[roots[i]->id] = 1;
            vec_push(out, roots[i]);
        }
    for (; head < out->len; head++) {
        const Graph *g = out->data[head];
        const NodeVec *body = ir_names_body(nm, g);
        for (int i = 0; i <= body->len; i++) {
            Node *const *in = i < body->len ? body->data[i]->app.in : (Node *const *)&g->output;
            int n = i < body->len ? body->data[i]->app.n : (g->output ? 1 : 0);
            for (int j = 0; j < n; j++) {
                if (ir_is_const_graph(in[j])) {
                    Graph *k = in[j]->k.u.graph;
                    if (k && k->id < m->ngraph_ids && !seen[k->id]) {
                        seen[k->id] = 1;
                        vec_push(out, k);
                    }
                }
            }
        }
    }
    free(seen);
}

static void print_graph(IrNames *nm, const Graph *g, StrBuf *out)
{
    const NodeVec *body = ir_names_body(nm, g);
    ir_names_header(nm, g, out);
    sb_putc(out, '\n');
    for (int i = 0; i < body->len; i++) {
        sb_puts(out, "  ");
        ir_names_apply(nm, g, body->data[i], out);
        sb_putc(out, '\n');
    }
    sb_puts(out, "  ");
    ir_names_return(nm, g, out);
    sb_putc(out, '\n');
}

void ir_print_graph(const Graph *g, StrBuf *out)
{
    IrNames *nm = ir_names_new(g->module);
    print_graph(nm, g, out);
    ir_names_free(nm);
}

void ir_print_module(const Module *m, Graph *const *roots, int nroots, StrBuf *out)
{
    IrNames *nm = ir_names_new(m);
    GraphVec order = {0};
    ir_names_order(nm, roots, nroots, &order);
    for (int i = 0; i < order.len; i++) {
        if (i)
            sb_putc(out, '\n');
        print_graph(nm, order.data[i], out);
    }
    vec_free(&order);
    ir_names_free(nm);
}
