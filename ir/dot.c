/*
 * dot.c: the IR as a Graphviz digraph (docs/ir.md).
 *
 * One cluster per graph, labelled with its header; graphs nested by parent
 * are nested clusters.  Inside: an ellipse per parameter, a box per body
 * node labelled as in the text form, and a "return" box.  Solid edges go
 * from an input to its user (across clusters for free variables); a dashed
 * edge goes from a node using a graph constant to the cluster of that
 * graph.  Dot identifiers are derived from print positions, never from
 * pointers or node ids, so the output is as stable as the text form.
 */
#include "interp.h"

#include <stdio.h>
#include <string.h>

static void dot_escape(StrBuf *out, const char *s)
{
    sb_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_putc(out, '\\');
        if (*s == '\n')
            sb_puts(out, "\\n");
        else
            sb_putc(out, *s);
    }
    sb_putc(out, '"');
}

typedef struct DotCtx {
    IrNames *nm;
    GraphVec order;
    int *gidx;          /* by graph id: print position, or -1 */
    uint32_t ng;
    int *pos;           /* by node id: index in its owner's body, or -1 */
    uint32_t nn;
    StrBuf line;
} DotCtx;

/* Writes the dot id of a parameter or body node; false when it is not drawn. */
static bool dot_id(DotCtx *cx, const Node *x, StrBuf *out)
{
    if (x->kind == N_CONST || !x->graph || x->graph->id >= cx->ng)
        return false;
    int gi = cx->gidx[x->graph->id];
    if (gi < 0)
        return false;
    if (x->kind == N_PARAM) {
        int i = x->param.index;
        if (i < 0 || i >= x->graph->nparams || x->graph->params[i] != x)
            return false;
        sb_printf(out, "g%d_p%d", gi, i);
        return true;
    }
    if (x->id >= cx->nn || cx->pos[x->id] < 0)
        return false;
    sb_printf(out, "g%d_n%d", gi, cx->pos[x->id]);
    return true;
}

static void emit_node(StrBuf *out, int indent, const char *id, const char *shape, StrBuf *label)
{
    sb_printf(out, "%*s%s [shape=%s, label=", indent, "", id, shape);
    dot_escape(out, sb_cstr(label));
    sb_puts(out, "];\n");
}

static void emit_cluster_open(DotCtx *cx, StrBuf *out, int gi, int indent)
{
    const Graph *g = cx->order.data[gi];
    const NodeVec *body = ir_names_body(cx->nm, g);
    char id[64];
    sb_printf(out, "%*ssubgraph cluster_%d {\n", indent, "", gi);
    cx->line.len = 0;
    ir_names_header(cx->nm, g, &cx->line);
    sb_printf(out, "%*slabel=", indent + 2, "");
    dot_escape(out, sb_cstr(&cx->line));
    sb_puts(out, ";\n");
    for (int i = 0; i < g->nparams; i++) {
        cx->line.len = 0;
        ir_names_ref(cx->nm, g, g->params[i], &cx->line);
        if (g->params[i]->type) {
            sb_puts(&cx->line, ": ");
            type_str(g->params[i]->type, &cx->line);
        }
        snprintf(id, sizeof id, "g%d_p%d", gi, i);
        emit_node(out, indent + 2, id, "ellipse", &cx->line);
    }
    for (int k = 0; k < body->len; k++) {
        cx->line.len = 0;
        ir_names_apply(cx->nm, g, body->data[k], &cx->line);
        snprintf(id, sizeof id, "g%d_n%d", gi, k);
        emit_node(out, indent + 2, id, "box", &cx->line);
    }
    cx->line.len = 0;
    ir_names_return(cx->nm, g, &cx->line);
    snprintf(id, sizeof id, "g%d_ret", gi);
    emit_node(out, indent + 2, id, "box, style=bold", &cx->line);
}

/* Edges into `user` (drawn as user_id) from the inputs in[0..n-1] of graph g. */
static void emit_edges(DotCtx *cx, StrBuf *out, const Graph *g, const char *user_id, Node *const *in, int n)
{
    for (int j = 0; j < n; j++) {
        Node *x = in[j];
        if (ir_is_const_graph(x)) {
            Graph *k = x->k.u.graph;
            if (!k || k->id >= cx->ng || cx->gidx[k->id] < 0)
                continue;
            int ki = cx->gidx[k->id];
            sb_printf(out, "  %s -> g%d_ret [style=dashed", user_id, ki);
            if (!ir_graph_encloses(k, g))   /* lhead must not contain the tail */
                sb_printf(out, ", lhead=cluster_%d", ki);
            sb_puts(out, "];\n");
        } else {
            cx->line.len = 0;
            if (dot_id(cx, x, &cx->line))
                sb_printf(out, "  %s -> %s;\n", sb_cstr(&cx->line), user_id);
        }
    }
}

void ir_dot_module(const Module *m, Graph *const *roots, int nroots, StrBuf *out)
{
    DotCtx cx = {0};
    cx.nm = ir_names_new(m);
    ir_names_order(cx.nm, roots, nroots, &cx.order);
    cx.ng = m->ngraph_ids;
    cx.gidx = xmalloc(sizeof(int) * (size_t)(cx.ng ? cx.ng : 1));
    for (uint32_t i = 0; i < cx.ng; i++)
        cx.gidx[i] = -1;
    for (int i = 0; i < cx.order.len; i++)
        cx.gidx[cx.order.data[i]->id] = i;
    /* bodies (this also names every node) and body positions */
    for (int i = 0; i < cx.order.len; i++)
        ir_names_body(cx.nm, cx.order.data[i]);
    cx.nn = m->nnodes;
    cx.pos = xmalloc(sizeof(int) * (size_t)(cx.nn ? cx.nn : 1));
    for (uint32_t i = 0; i < cx.nn; i++)
        cx.pos[i] = -1;
    for (int i = 0; i < cx.order.len; i++) {
        const NodeVec *body = ir_names_body(cx.nm, cx.order.data[i]);
        for (int k = 0; k < body->len; k++)
            if (body->data[k]->graph == cx.order.data[i])
                cx.pos[body->data[k]->id] = k;
    }

    /* the cluster tree: children of each printed graph, in print order */
    int n = cx.order.len;
    int *first = xmalloc(sizeof(int) * (size_t)(n + 1)), *next = xmalloc(sizeof(int) * (size_t)(n + 1));
    int *last = xmalloc(sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i <= n; i++)
        first[i] = last[i] = next[i] = -1;
    for (int i = 0; i < n; i++) {
        const Graph *p = cx.order.data[i]->parent;
        int pi = p && p->id < cx.ng && cx.gidx[p->id] >= 0 ? cx.gidx[p->id] : n;
        if (pi == i)
            pi = n;
        if (last[pi] < 0)
            first[pi] = i;
        else
            next[last[pi]] = i;
        last[pi] = i;
    }

    sb_puts(out, "digraph ir {\n  compound=true;\n  newrank=true;\n"
                 "  node [fontname=\"monospace\", fontsize=10];\n"
                 "  graph [fontname=\"monospace\", fontsize=10, labeljust=l];\n");
    /* Iterative walk of the tree: a stack of "next child to open" cursors. */
    int *stack = xmalloc(sizeof(int) * (size_t)(n + 1)), *cursor = xmalloc(sizeof(int) * (size_t)(n + 1));
    int sp = 0;
    unsigned char *opened = xcalloc((size_t)n + 1, 1);
    stack[sp] = n;
    cursor[sp++] = first[n];
    while (sp) {
        int c = cursor[sp - 1];
        if (c < 0) {
            if (stack[sp - 1] != n)
                sb_printf(out, "%*s}\n", 2 * sp - 2, "");
            sp--;
            continue;
        }
        cursor[sp - 1] = next[c];
        if (opened[c])      /* a parent cycle in broken IR: never loop */
            continue;
        opened[c] = 1;
        emit_cluster_open(&cx, out, c, 2 * sp);
        stack[sp] = c;
        cursor[sp++] = first[c];
    }
    for (int i = 0; i < n; i++) {   /* unreachable through the tree only in broken IR */
        if (!opened[i]) {
            emit_cluster_open(&cx, out, i, 2);
            sb_puts(out, "  }\n");
        }
    }

    char id[64];
    for (int i = 0; i < n; i++) {
        const Graph *g = cx.order.data[i];
        const NodeVec *body = ir_names_body(cx.nm, g);
        for (int k = 0; k < body->len; k++) {
            snprintf(id, sizeof id, "g%d_n%d", i, k);
            emit_edges(&cx, out, g, id, body->data[k]->app.in, body->data[k]->app.n);
        }
        snprintf(id, sizeof id, "g%d_ret", i);
        if (g->output)
            emit_edges(&cx, out, g, id, (Node *const *)&g->output, 1);
    }
    sb_puts(out, "}\n");

    free(stack);
    free(cursor);
    free(opened);
    free(first);
    free(next);
    free(last);
    free(cx.gidx);
    free(cx.pos);
    sb_free(&cx.line);
    vec_free(&cx.order);
    ir_names_free(cx.nm);
}
