/* export.c: the graph behind NAME_grad (see export.h). */
#include "export.h"

#include "grad.h"

typedef VEC(Type *) TypeVec;

/* The leaves of t, depth-first, left to right (iterative). */
static void type_leaves(Type *t, TypeVec *out)
{
    TypeVec st = {0};
    vec_push(&st, t);
    while (st.len) {
        Type *x = vec_pop(&st);
        if (x->kind == T_TUPLE)
            for (int i = x->n - 1; i >= 0; i--)
                vec_push(&st, x->elems[i]);
        else
            vec_push(out, x);
    }
    vec_free(&st);
}

/* fn's argument i rebuilt inside `inner` from the leaves: float leaves are
   inner's parameters (next_float), the others the outer graph's
   (outer_params[next_leaf]).  Iterative over the annotation's shape. */
static Node *rebuild(Graph *inner, Type *t, Node **leaf_nodes, int *next, Loc loc)
{
    if (t->kind != T_TUPLE)
        return leaf_nodes[(*next)++];
    Module *m = inner->module;
    Node **items = xmalloc(sizeof(Node *) * (size_t)(t->n + 1));
    for (int i = 0; i < t->n; i++)
        items[i] = rebuild(inner, t->elems[i], leaf_nodes, next, loc);   /* depth <= TYPE_MAX_TUPLE_DEPTH */
    Node **in = xmalloc(sizeof(Node *) * (size_t)(t->n + 2));
    in[0] = ir_const_prim(m, P_MAKE_TUPLE, loc);
    for (int i = 0; i < t->n; i++)
        in[i + 1] = items[i];
    Node *tup = ir_apply(inner, in, t->n + 1, loc);
    free(in);
    free(items);
    return tup;
}

Graph *export_grad_graph(Module *m, Graph *fn, Type ***leaf_types)
{
    Loc loc = fn->loc;
    Type *f = type_float(m->types);
    TypeVec leaves = {0};
    VEC(Type *) shapes = {0};
    for (int i = 0; i < fn->nparams; i++) {
        Type *t = fn->param_ann && fn->param_ann[i] ? fn->param_ann[i] : f;
        vec_push(&shapes, t);
        type_leaves(t, &leaves);
    }
    Graph *outer = ir_graph_new(m, G_FUNCTION, arena_printf(m->arena, "%s$grad", fn->name), NULL, loc);
    outer->src_name = fn->src_name;
    Graph *inner = ir_graph_new(m, G_FUNCTION, arena_printf(m->arena, "%s$grad:f", fn->name), outer, loc);
    inner->src_name = fn->src_name;
    Node **leaf_nodes = xmalloc(sizeof(Node *) * (size_t)(leaves.len + 1));
    NodeVec floats = {0};
    for (int i = 0; i < leaves.len; i++) {
        Node *p = ir_add_param(outer, arena_printf(m->arena, "l%d", i), loc);
        if (leaves.data[i]->kind == T_FLOAT) {
            vec_push(&floats, p);
            leaf_nodes[i] = ir_add_param(inner, arena_printf(m->arena, "f%d", floats.len - 1), loc);
        } else {
            leaf_nodes[i] = p;      /* read from the enclosing graph */
        }
    }
    /* inner: fn(rebuilt arguments) */
    Node **args = xmalloc(sizeof(Node *) * (size_t)(fn->nparams + 2));
    args[0] = ir_const_graph(m, fn, loc);
    int next = 0;
    for (int i = 0; i < fn->nparams; i++)
        args[i + 1] = rebuild(inner, shapes.data[i], leaf_nodes, &next, loc);
    ir_set_output(inner, ir_apply(inner, args, fn->nparams + 1, loc));
    /* outer: value_and_grad(inner, (0..k-1))(float leaves) */
    int k = floats.len;
    if (k == 0) {       /* nothing to differentiate: (fn(...), ()) */
        Node *v = ir_apply_call(outer, ir_const_graph(m, inner, loc), loc, 0);
        Node *none = ir_apply_prim(outer, P_MAKE_TUPLE, loc, 0);
        ir_set_output(outer, ir_apply_prim(outer, P_MAKE_TUPLE, loc, 2, v, none));
    } else {
        Node **d = xmalloc(sizeof(Node *) * (size_t)(DERIVE_IDX + k + 1));
        d[0] = ir_const_prim(m, P_DERIVE, loc);
        d[DERIVE_KIND] = ir_const_int(m, OP_VALUE_AND_GRAD, loc);
        d[DERIVE_TOWER] = ir_const_int(m, 0, loc);
        d[DERIVE_TUPLE] = ir_const_int(m, 1, loc);
        d[DERIVE_NIDX] = ir_const_int(m, k, loc);
        for (int i = 0; i < k; i++)
            d[DERIVE_IDX + i] = ir_const_int(m, i, loc);
        d[DERIVE_IDX + k] = ir_const_graph(m, inner, loc);
        Node *op = ir_apply(outer, d, DERIVE_IDX + k + 1, loc);
        free(d);
        Node **call = xmalloc(sizeof(Node *) * (size_t)(k + 1));
        call[0] = op;
        for (int i = 0; i < k; i++)
            call[i + 1] = floats.data[i];
        ir_set_output(outer, ir_apply(outer, call, k + 1, loc));
        free(call);
    }
    Type **types = xmalloc(sizeof(Type *) * (size_t)(leaves.len + 1));
    for (int i = 0; i < leaves.len; i++)
        types[i] = leaves.data[i];
    *leaf_types = types;
    free(args);
    free(leaf_nodes);
    vec_free(&floats);
    vec_free(&shapes);
    vec_free(&leaves);
    return outer;
}
