/* export.c: the graphs behind NAME_grad, NAME_vjp and NAME_jvp (see export.h). */
#include "export.h"

#include <string.h>

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

/* A value of shape t built in g from the leaves, depth-first
   (leaf_nodes[*next], ...).  Depth <= TYPE_MAX_TUPLE_DEPTH. */
static Node *rebuild(Graph *g, Type *t, Node **leaf_nodes, int *next, Loc loc)
{
    if (t->kind != T_TUPLE)
        return leaf_nodes[(*next)++];
    Module *m = g->module;
    Node **in = xmalloc(sizeof(Node *) * (size_t)(t->n + 2));
    in[0] = ir_const_prim(m, P_MAKE_TUPLE, loc);
    for (int i = 0; i < t->n; i++)
        in[i + 1] = rebuild(g, t->elems[i], leaf_nodes, next, loc);
    Node *tup = ir_apply(g, in, t->n + 1, loc);
    free(in);
    return tup;
}

/* Whether a leaf of an exported signature is differentiated: a float, or
   a list whose block holds floats (contract 5.5: list[float], lists of
   float tuples, matrices of floats).  Lists of ints or bools are not, as
   int and bool scalars are not. */
static bool differentiable_leaf(const Type *t)
{
    ListBlock lb;
    return t->kind == T_FLOAT || (t->kind == T_LIST && type_list_block(t, &lb) && lb.leaf == T_FLOAT);
}

/* What every export graph starts with: `outer`, whose first parameters
   are fn's flattened leaves, and `inner` (nested in it) whose parameters
   are the differentiable leaves (floats and float lists), calling fn on its arguments rebuilt from them and
   from outer's other leaves.  `floats` receives outer's differentiable
   leaf parameters, `types` the types of all its leaves. */
typedef struct Shell {
    Graph *outer, *inner;
    NodeVec floats;
    TypeVec types;
} Shell;

static void shell_build(Module *m, Graph *fn, const char *what, Shell *s)
{
    Loc loc = fn->loc;
    Type *f = type_float(m->types);
    TypeVec shapes = {0};
    memset(s, 0, sizeof *s);
    for (int i = 0; i < fn->nparams; i++) {
        Type *t = fn->param_ann && fn->param_ann[i] ? fn->param_ann[i] : f;
        vec_push(&shapes, t);
        type_leaves(t, &s->types);
    }
    s->outer = ir_graph_new(m, G_FUNCTION, arena_printf(m->arena, "%s$%s", fn->name, what), NULL, loc);
    s->outer->src_name = fn->src_name;
    s->inner = ir_graph_new(m, G_FUNCTION, arena_printf(m->arena, "%s$%s:f", fn->name, what), s->outer, loc);
    s->inner->src_name = fn->src_name;
    Node **leaf_nodes = xmalloc(sizeof(Node *) * (size_t)(s->types.len + 1));
    for (int i = 0; i < s->types.len; i++) {
        Node *p = ir_add_param(s->outer, arena_printf(m->arena, "l%d", i), loc);
        if (differentiable_leaf(s->types.data[i])) {
            vec_push(&s->floats, p);
            leaf_nodes[i] = ir_add_param(s->inner, arena_printf(m->arena, "f%d", s->floats.len - 1), loc);
        } else {
            leaf_nodes[i] = p;      /* read from the enclosing graph */
        }
    }
    Node **args = xmalloc(sizeof(Node *) * (size_t)(fn->nparams + 2));
    args[0] = ir_const_graph(m, fn, loc);
    int next = 0;
    for (int i = 0; i < fn->nparams; i++)
        args[i + 1] = rebuild(s->inner, shapes.data[i], leaf_nodes, &next, loc);
    ir_set_output(s->inner, ir_apply(s->inner, args, fn->nparams + 1, loc));
    free(args);
    free(leaf_nodes);
    vec_free(&shapes);
}

/* The entry's parameter types: the leaves', then the `nextra` of `extra`
   (in the module's arena, which outlives inference). */
static Type **shell_finish(Module *m, Shell *s, Type *const *extra, int nextra)
{
    Type **types = ARENA_ARRAY(m->arena, Type *, s->types.len + nextra + 1);
    for (int i = 0; i < s->types.len; i++)
        types[i] = s->types.data[i];
    for (int i = 0; i < nextra; i++)
        types[s->types.len + i] = extra[i];
    vec_free(&s->floats);
    vec_free(&s->types);
    return types;
}

/* The leaves of value v (of type t) in g, depth-first: getitems. */
static void leaf_nodes_of(Graph *g, Node *v, Type *t, NodeVec *out, Loc loc)
{
    if (t->kind != T_TUPLE) {
        vec_push(out, v);
        return;
    }
    for (int i = 0; i < t->n; i++)
        leaf_nodes_of(g, ir_apply_prim(g, P_GETITEM, loc, 2, v, ir_const_int(g->module, i, loc)), t->elems[i], out,
                      loc);
}

/* derive(op, tower 0, tuple, k selected: idx...)(inner) in g: the
   language's operator, as lowering makes it (passes/grad.h). */
static Node *derive(Graph *g, Graph *inner, DiffOp op, int tuple, const int *idx, int k, Loc loc)
{
    Module *m = g->module;
    Node **d = xmalloc(sizeof(Node *) * (size_t)(DERIVE_IDX + k + 1));
    d[0] = ir_const_prim(m, P_DERIVE, loc);
    d[DERIVE_KIND] = ir_const_int(m, op, loc);
    d[DERIVE_TOWER] = ir_const_int(m, 0, loc);
    d[DERIVE_TUPLE] = ir_const_int(m, tuple, loc);
    d[DERIVE_NIDX] = ir_const_int(m, k, loc);
    for (int i = 0; i < k; i++)
        d[DERIVE_IDX + i] = ir_const_int(m, idx[i], loc);
    d[DERIVE_IDX + k] = ir_const_graph(m, inner, loc);
    Node *op_node = ir_apply(g, d, DERIVE_IDX + k + 1, loc);
    free(d);
    return op_node;
}

/* op_node(args...) in g. */
static Node *call_nodes(Graph *g, Node *op_node, Node *const *args, int n, Loc loc)
{
    Node **call = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    call[0] = op_node;
    for (int i = 0; i < n; i++)
        call[i + 1] = args[i];
    Node *r = ir_apply(g, call, n + 1, loc);
    free(call);
    return r;
}

static Node *tuple_of(Graph *g, Node *const *items, int n, Loc loc)
{
    return ir_apply_prim_args(g, P_MAKE_TUPLE, loc, n, items);
}

Graph *export_grad_graph(Module *m, Graph *fn, Type ***leaf_types)
{
    Loc loc = fn->loc;
    Shell s;
    shell_build(m, fn, "grad", &s);
    Graph *outer = s.outer;
    /* outer: value_and_grad(inner, (0..k-1))(differentiable leaves) */
    int k = s.floats.len;
    if (k == 0) {       /* nothing to differentiate: (fn(...), ()) */
        Node *v = ir_apply_call(outer, ir_const_graph(m, s.inner, loc), loc, 0);
        Node *none = ir_apply_prim(outer, P_MAKE_TUPLE, loc, 0);
        ir_set_output(outer, ir_apply_prim(outer, P_MAKE_TUPLE, loc, 2, v, none));
    } else {
        int *idx = xmalloc(sizeof(int) * (size_t)k);
        for (int i = 0; i < k; i++)
            idx[i] = i;
        Node *op = derive(outer, s.inner, OP_VALUE_AND_GRAD, 1, idx, k, loc);
        ir_set_output(outer, call_nodes(outer, op, s.floats.data, k, loc));
        free(idx);
    }
    *leaf_types = shell_finish(m, &s, NULL, 0);
    return outer;
}

Graph *export_vjp_graph(Module *m, Graph *fn, Type *result, Type ***param_types)
{
    Loc loc = fn->loc;
    Shell s;
    shell_build(m, fn, "vjp", &s);
    Graph *outer = s.outer;
    int k = s.floats.len;
    /* (y, pullback) = vjp(inner, differentiable leaves...), the C ABI's variant */
    Node *op = derive(outer, s.inner, OP_VJP, 1, &k, 1, loc);
    Node *r = call_nodes(outer, op, s.floats.data, k, loc);
    Node *y = ir_apply_prim(outer, P_GETITEM, loc, 2, r, ir_const_int(m, 0, loc));
    Node *pb = ir_apply_prim(outer, P_GETITEM, loc, 2, r, ir_const_int(m, 1, loc));
    /* the cotangent: y's shape, the dy_ parameters at its differentiable
       leaves (floats, float lists), 0.0 at its other leaves */
    TypeVec rl = {0}, dy_types = {0};
    type_leaves(result, &rl);
    Node **dl = xmalloc(sizeof(Node *) * (size_t)(rl.len + 1));
    NodeVec yl = {0};
    leaf_nodes_of(outer, y, result, &yl, loc);
    for (int i = 0; i < rl.len; i++) {
        if (differentiable_leaf(rl.data[i])) {
            dl[i] = ir_add_param(outer, arena_printf(m->arena, "dy%d", dy_types.len), loc);
            vec_push(&dy_types, rl.data[i]);
        } else if (rl.data[i]->kind == T_LIST) {
            /* a list of ints or bools: the operator wants a list of its
               lengths, whose items no rule reads (such a list's
               sensitivity is the symbolic zero, docs/ad.md "Lists"), so
               the result's own list */
            dl[i] = yl.data[i];
        } else {
            dl[i] = ir_const_float(m, 0.0, loc);
        }
    }
    vec_free(&yl);
    int next = 0;
    Node *dy = rebuild(outer, result, dl, &next, loc);
    Node *dx = ir_apply_call(outer, pb, loc, 1, dy);
    Node *out[2] = {y, dx};
    ir_set_output(outer, tuple_of(outer, out, 2, loc));
    free(dl);
    vec_free(&rl);
    *param_types = shell_finish(m, &s, dy_types.data, dy_types.len);
    vec_free(&dy_types);
    return outer;
}

Graph *export_jvp_graph(Module *m, Graph *fn, Type ***param_types)
{
    Loc loc = fn->loc;
    Shell s;
    shell_build(m, fn, "jvp", &s);
    Graph *outer = s.outer;
    int k = s.floats.len;
    /* jvp(inner, (differentiable leaves...), (tangents...)), the C ABI's
       variant; a tangent has its leaf's type */
    Node **ts = xmalloc(sizeof(Node *) * (size_t)(k + 1));
    TypeVec t_types = {0};
    for (int i = 0, j = 0; i < s.types.len; i++) {
        if (!differentiable_leaf(s.types.data[i]))
            continue;
        ts[j] = ir_add_param(outer, arena_printf(m->arena, "t%d", j), loc);
        j++;
        vec_push(&t_types, s.types.data[i]);
    }
    Node *args[2] = {tuple_of(outer, s.floats.data, k, loc), tuple_of(outer, ts, k, loc)};
    Node *op = derive(outer, s.inner, OP_JVP, 1, NULL, 0, loc);
    ir_set_output(outer, call_nodes(outer, op, args, 2, loc));
    free(ts);
    *param_types = shell_finish(m, &s, t_types.data, t_types.len);
    vec_free(&t_types);
    return outer;
}
