/*
 * ast.c: building the AST while parsing (the ast_* constructors declared
 * in parser.y's header section) and printing it (ast_dump).
 *
 * The constructors are where the parser's invariants live:
 *   - depth: every expression node knows the height of its subtree; a node
 *     that would exceed AST_MAX_EXPR_DEPTH is reported (once per
 *     statement) and not built, its deepest operand standing in for it, so
 *     the tree handed to later phases never exceeds the limit;
 *   - chains: a + b - c, a * b, a ** b ** c, a and b, a < b < c are each
 *     one node, extended in place in O(1) amortised time; an `and`/`or`
 *     chain or a chained comparison is lowered to nested branches, so each
 *     of its operands counts as one more level of depth;
 *   - literals valid only in one context: a string is legal only as a
 *     docstring, the literal 9223372036854775808 only negated.  Such
 *     literals are marked, and reported when anything uses them as an
 *     operand (ast_use) or when a block keeps them as a statement;
 *   - comprehensions: each `for` clause and each `if` filter counts as one
 *     more level of depth (lowering nests them), so a comprehension with
 *     very many clauses is reported like any deep nesting;
 *   - what may be assigned to (check_target, check_loop_target), which
 *     list methods exist and their argument counts (ast_method), and that
 *     a generator expression without its own parentheses is a call's only
 *     argument (ast_check_args).
 *
 *   - statement height: blocks nest at most AST_MAX_BLOCK_DEPTH deep by
 *     indentation, but elif chains nest S_IFs without it; a statement tree
 *     higher than MAX_STMT_HEIGHT is reported and cut (see set_height).
 *
 * The bookkeeping lives in headers hidden in front of every Expr and Stmt
 * this file allocates (ExprBox, StmtBox), so ast.h stays as later phases
 * need it.
 */
#include "parser.h"

#include "../src/util/suggest.h"

#include <string.h>

typedef struct ExprBox {
    int depth;          /* height of the subtree: 1 for a leaf */
    int cap;            /* capacity of a chain's arrays */
    bool sealed;        /* parenthesised: a chain that must not grow */
    bool is_string;     /* a string literal: valid only as a docstring */
    bool big_int;       /* 9223372036854775808: valid only negated */
    bool bare_tuple;    /* a, b without parentheses (loc not yet final) */
    bool bare_genexp;   /* f(x for x in a): a generator expression as an argument,
                           without parentheses of its own */
    Loc lparen;         /* sealed: the outermost '(' around it */
    Expr e;
} ExprBox;

static ExprBox *box(Expr *e)
{
    return (ExprBox *)((char *)e - offsetof(ExprBox, e));
}

static int depth(Expr *e)
{
    return e ? box(e)->depth : 0;
}

void *ast_grow(Arena *a, void *items, int n, int *cap, size_t elem)
{
    int ncap = *cap ? *cap * 2 : 4;
    if (ncap < *cap)
        die("list too long");
    void *fresh = arena_alloc(a, elem * (size_t)ncap);
    if (n)
        memcpy(fresh, items, elem * (size_t)n);
    *cap = ncap;
    return fresh;
}

void ast_nesting_error(ParseCtx *c, Loc loc)
{
    if (c->depth_reported)
        return;
    c->depth_reported = true;
    diag_error(c->d, loc, "expression is nested too deeply (limit %d levels)", AST_MAX_EXPR_DEPTH);
}

/* True (after reporting) when a node of height `d` may not be built. */
static bool too_deep(ParseCtx *c, int d, Loc loc)
{
    if (d <= AST_MAX_EXPR_DEPTH)
        return false;
    ast_nesting_error(c, loc);
    return true;
}

static Expr *new_expr(ParseCtx *c, ExprKind kind, Loc loc, int d)
{
    ExprBox *b = ARENA_NEW(c->arena, ExprBox);
    b->depth = d;
    b->e.kind = kind;
    b->e.loc = loc;
    return &b->e;
}

/* Every operand goes through here: literals that are only valid in one
   context are reported when used in any other. */
Expr *ast_use(ParseCtx *c, Expr *e)
{
    ExprBox *b = box(e);
    if (b->is_string) {
        diag_error(c->d, e->loc, "strings are only allowed as docstrings");
        b->is_string = false;
    }
    if (b->big_int) {
        diag_error(c->d, e->loc, "integer literal is too large (limit 9223372036854775807)");
        b->big_int = false;
    }
    return e;
}

/* ---- leaves ------------------------------------------------------------------ */

Expr *ast_int(ParseCtx *c, Loc loc, uint64_t v)
{
    Expr *e = new_expr(c, E_INT, loc, 1);
    if (v > (uint64_t)INT64_MAX) {      /* exactly 2^63: the lexer rejects more */
        box(e)->big_int = true;
        e->ival = INT64_MAX;
    } else {
        e->ival = (int64_t)v;
    }
    return e;
}

Expr *ast_float(ParseCtx *c, Loc loc, double v)
{
    Expr *e = new_expr(c, E_FLOAT, loc, 1);
    e->fval = v;
    return e;
}

Expr *ast_bool(ParseCtx *c, Loc loc, bool v)
{
    Expr *e = new_expr(c, E_BOOL, loc, 1);
    e->bval = v;
    return e;
}

Expr *ast_name(ParseCtx *c, Loc loc, const char *name)
{
    Expr *e = new_expr(c, E_NAME, loc, 1);
    e->name = name;
    return e;
}

/* A string literal stands in the tree as the name "<string>" until a
   block drops it as a docstring or someone reports it. */
Expr *ast_string(ParseCtx *c, Loc loc)
{
    Expr *e = ast_name(c, loc, "<string>");
    box(e)->is_string = true;
    return e;
}

/* ---- displays, calls, subscripts ----------------------------------------- */

static int max_depth(Expr *const *items, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++)
        if (depth(items[i]) > d)
            d = depth(items[i]);
    return d;
}

/* A tuple or list display. */
static Expr *seq_of(ParseCtx *c, ExprKind kind, Loc loc, ExprBuf items)
{
    for (int i = 0; i < items.n; i++)
        ast_use(c, items.items[i]);
    int d = max_depth(items.items, items.n);
    if (too_deep(c, d + 1, loc))
        return items.items[0];      /* d > 0: there is an item */
    Expr *e = new_expr(c, kind, loc, d + 1);
    e->items.items = items.items;
    e->items.n = items.n;
    return e;
}

static Expr *tuple_of(ParseCtx *c, Loc loc, ExprBuf items)
{
    return seq_of(c, E_TUPLE, loc, items);
}

Expr *ast_tuple(ParseCtx *c, Loc loc, ExprBuf items)
{
    return tuple_of(c, loc, items);
}

Expr *ast_list(ParseCtx *c, Loc loc, ExprBuf items)
{
    return seq_of(c, E_LIST, loc, items);
}

/* a, b, c (a tuple located at a) or a single expression. */
Expr *ast_testlist(ParseCtx *c, ExprBuf items, bool trailing_comma)
{
    if (items.n == 1 && !trailing_comma)
        return items.items[0];
    Expr *e = tuple_of(c, items.items[0]->loc, items);
    if (e->kind == E_TUPLE)
        box(e)->bare_tuple = true;
    return e;
}

/* ( e ): a tuple display takes the location of its '('; a chain is sealed
   so that (a < b) < c stays two comparisons. */
Expr *ast_paren(ParseCtx *c, Loc lparen, Expr *e)
{
    (void)c;
    ExprBox *b = box(e);
    if (b->bare_tuple) {
        e->loc = lparen;
        b->bare_tuple = false;
    }
    b->sealed = true;
    b->lparen = lparen;
    return e;
}

/* Where an expression that starts with e starts: e's '(' when e is
   parenthesised ((a - b) % 3 starts at its '('; a parenthesised whole keeps
   the place of its first token inside, e's own loc). */
static Loc start_of(Expr *e)
{
    ExprBox *b = box(e);
    return b->sealed ? b->lparen : e->loc;
}

Expr *ast_index(ParseCtx *c, Expr *base, Expr *index)
{
    ast_use(c, base);
    ast_use(c, index);
    int d = 1 + (depth(base) > depth(index) ? depth(base) : depth(index));
    if (too_deep(c, d, base->loc))
        return base;
    Expr *e = new_expr(c, E_INDEX, base->loc, d);
    e->index.base = base;
    e->index.index = index;
    return e;
}

/* base[lower:upper:step], each bound NULL when omitted. */
Expr *ast_slice(ParseCtx *c, Expr *base, Expr *lower, Expr *upper, Expr *step)
{
    Expr *parts[4] = {base, lower, upper, step};
    for (int i = 0; i < 4; i++)
        if (parts[i])
            ast_use(c, parts[i]);
    int d = 1 + max_depth(parts, 4);
    if (too_deep(c, d, base->loc))
        return base;
    Expr *e = new_expr(c, E_SLICE, base->loc, d);
    e->slice.base = base;
    e->slice.lower = lower;
    e->slice.upper = upper;
    e->slice.step = step;
    return e;
}

Expr *ast_call(ParseCtx *c, Expr *fn, ExprBuf args)
{
    ast_use(c, fn);
    int d = depth(fn);
    for (int i = 0; i < args.n; i++) {
        ast_use(c, args.items[i]);
        if (depth(args.items[i]) > d)
            d = depth(args.items[i]);
    }
    if (too_deep(c, d + 1, fn->loc))
        return fn;
    Expr *e = new_expr(c, E_CALL, fn->loc, d + 1);
    e->call.fn = fn;
    e->call.args.items = args.items;
    e->call.args.n = args.n;
    return e;
}

/* f(x for x in a, b) and f(x for x in a,): as in Python, a generator
   expression needs its own parentheses unless it is the only argument. */
void ast_check_args(ParseCtx *c, ExprBuf args, bool trailing_comma)
{
    if (args.n == 1 && !trailing_comma)
        return;
    for (int i = 0; i < args.n; i++) {
        ExprBox *b = box(args.items[i]);
        if (b->bare_genexp) {
            diag_error(c->d, args.items[i]->loc, "generator expression must be parenthesized");
            b->bare_genexp = false;
        }
    }
}

/* The list methods of the language, with their argument counts. */
static const struct { const char *name; int min, max; } list_methods[] = {
    {"append", 1, 1}, {"extend", 1, 1}, {"pop", 0, 1}, {"copy", 0, 0},
};
#define LIST_METHOD_NAMES "append, extend, pop, copy"

/* Python's other list methods, named as such in the error. */
static const char *const python_list_methods[] = {
    "clear", "count", "index", "insert", "remove", "reverse", "sort",
};

/* base.name(args): only a list method of the language, with a count of
   arguments it takes; anything else is reported and stands as base. */
Expr *ast_method(ParseCtx *c, Expr *base, const char *name, Loc name_loc, ExprBuf args)
{
    ast_use(c, base);
    for (int i = 0; i < args.n; i++)
        ast_use(c, args.items[i]);
    int m = -1;
    for (int i = 0; i < (int)(sizeof list_methods / sizeof list_methods[0]); i++)
        if (!strcmp(name, list_methods[i].name))
            m = i;
    if (m < 0) {
        bool python = false;
        for (size_t i = 0; i < sizeof python_list_methods / sizeof python_list_methods[0]; i++)
            python |= !strcmp(name, python_list_methods[i]);
        Suggest sg;
        suggest_init(&sg, name);
        for (size_t i = 0; i < sizeof list_methods / sizeof list_methods[0]; i++)
            suggest_consider(&sg, list_methods[i].name);
        if (python)
            diag_error(c->d, name_loc, "the list method '%s' is not supported; lists have the methods "
                       LIST_METHOD_NAMES, name);
        else if (sg.best)
            diag_error(c->d, name_loc, "lists have no method '%s'; did you mean '%s'?", name, sg.best);
        else
            diag_error(c->d, name_loc, "lists have no method '%s'; they have the methods " LIST_METHOD_NAMES,
                       name);
        return base;
    }
    int lo = list_methods[m].min, hi = list_methods[m].max;
    if (args.n < lo || args.n > hi) {
        if (lo == hi && lo == 0)
            diag_error(c->d, name_loc, "list.%s() takes no arguments (%d given)", name, args.n);
        else if (lo == hi)
            diag_error(c->d, name_loc, "list.%s() takes exactly one argument (%d given)", name, args.n);
        else
            diag_error(c->d, name_loc, "list.%s() takes at most %d argument (%d given)", name, hi, args.n);
        return base;
    }
    int d = 1 + (depth(base) > max_depth(args.items, args.n) ? depth(base) : max_depth(args.items, args.n));
    if (too_deep(c, d, base->loc))
        return base;
    Expr *e = new_expr(c, E_METHOD, base->loc, d);
    e->method.base = base;
    e->method.name = name;
    e->method.name_loc = name_loc;
    e->method.args.items = args.items;
    e->method.args.n = args.n;
    return e;
}

/* base.name not called: reported; stands as base. */
Expr *ast_attribute(ParseCtx *c, Expr *base, const char *name, Loc name_loc)
{
    (void)name;
    ast_use(c, base);
    diag_error(c->d, name_loc, "attributes are not supported; lists have the methods " LIST_METHOD_NAMES);
    return base;
}

/* ---- comprehensions ------------------------------------------------------------- */

static void check_loop_target(ParseCtx *c, Expr *t);

CompFor ast_comp_for(ParseCtx *c, Loc loc, Expr *target, Expr *iter)
{
    ast_use(c, target);
    ast_use(c, iter);
    check_loop_target(c, target);
    CompFor f = {loc, target, iter, {NULL, 0}};
    return f;
}

/* An `if` filter, for the last `for` clause so far. */
void ast_comp_if(ParseCtx *c, CompBuf *clauses, Expr *cond)
{
    ast_use(c, cond);
    CompFor *f = &clauses->items[clauses->n - 1];
    if (f->ifs.n == clauses->ifcap)
        f->ifs.items = ast_grow(c->arena, f->ifs.items, f->ifs.n, &clauses->ifcap, sizeof(Expr *));
    f->ifs.items[f->ifs.n++] = cond;
}

/* [elt for ...] or (elt for ...); every clause and filter is a level. */
Expr *ast_comp(ParseCtx *c, ExprKind kind, Loc loc, Expr *elt, CompBuf clauses)
{
    ast_use(c, elt);
    int d = depth(elt), levels = 0;
    for (int i = 0; i < clauses.n; i++) {
        const CompFor *f = &clauses.items[i];
        Expr *parts[2] = {f->target, f->iter};
        if (max_depth(parts, 2) > d)
            d = max_depth(parts, 2);
        if (max_depth(f->ifs.items, f->ifs.n) > d)
            d = max_depth(f->ifs.items, f->ifs.n);
        levels += 1 + f->ifs.n;
    }
    if (too_deep(c, d + levels, loc))
        return elt;
    Expr *e = new_expr(c, kind, loc, d + levels);
    e->comp.elt = elt;
    e->comp.fors = clauses.items;
    e->comp.nfors = clauses.n;
    return e;
}

/* f(elt for ...): located at elt; ast_check_args checks it is alone. */
Expr *ast_genexp_arg(ParseCtx *c, Expr *elt, CompBuf clauses)
{
    Expr *e = ast_comp(c, E_GENEXP, elt->loc, elt, clauses);
    if (e->kind == E_GENEXP)
        box(e)->bare_genexp = true;
    return e;
}

/* ---- operators ---------------------------------------------------------------- */

/* -9223372036854775808: the minus applied directly to 2^63 is INT64_MIN. */
Expr *ast_unary(ParseCtx *c, Loc loc, UnaryOp op, Expr *operand)
{
    if (op == UOP_NEG && operand->kind == E_INT && box(operand)->big_int) {
        box(operand)->big_int = false;
        operand->ival = INT64_MIN;
        operand->loc = loc;
        return operand;
    }
    ast_use(c, operand);
    if (too_deep(c, depth(operand) + 1, loc))
        return operand;
    Expr *e = new_expr(c, E_UNARY, loc, depth(operand) + 1);
    e->unary.op = op;
    e->unary.operand = operand;
    return e;
}

static int prec_level(BinOp op)
{
    switch (op) {
    case OP_ADD: case OP_SUB: return 1;
    case OP_MUL: case OP_DIV: case OP_FLOORDIV: case OP_MOD: return 2;
    case OP_POW: return 3;
    }
    return 0;
}

/* Grows a chain's three parallel arrays (operands, ops, oplocs) together;
   `n` operands are in use, `ops`/`oplocs` hold n - 1. */
static void chain_reserve(ParseCtx *c, Expr ***operands, void **ops, size_t opsize,
                          Loc **oplocs, int n, int *cap)
{
    if (n < *cap)
        return;
    int ncap = *cap;
    *operands = ast_grow(c->arena, *operands, n, &ncap, sizeof **operands);
    ncap = *cap;
    *ops = ast_grow(c->arena, *ops, n - 1, &ncap, opsize);
    if (oplocs) {
        ncap = *cap;
        *oplocs = ast_grow(c->arena, *oplocs, n - 1, &ncap, sizeof **oplocs);
    }
    *cap = ncap;
}

/* left op right.  When `left` is an unsealed chain of the same precedence
   level, right is appended to it (a + b - c is one node; for ** the grammar
   appends too: a ** b ** c is one node evaluated right to left). */
Expr *ast_binary(ParseCtx *c, Expr *left, BinOp op, Loc oploc, Expr *right)
{
    ast_use(c, right);
    ExprBox *lb = box(left);
    if (left->kind == E_BINARY && !lb->sealed && prec_level(left->binary.ops[0]) == prec_level(op)) {
        int d = depth(right) + 1 > lb->depth ? depth(right) + 1 : lb->depth;
        if (too_deep(c, d, left->loc))
            return left;
        int n = left->binary.n;
        void *ops = left->binary.ops;
        chain_reserve(c, &left->binary.operands, &ops, sizeof(BinOp), &left->binary.oplocs, n, &lb->cap);
        left->binary.ops = ops;
        left->binary.operands[n] = right;
        left->binary.ops[n - 1] = op;
        left->binary.oplocs[n - 1] = oploc;
        left->binary.n = n + 1;
        lb->depth = d;
        return left;
    }
    ast_use(c, left);
    int d = 1 + (depth(left) > depth(right) ? depth(left) : depth(right));
    if (too_deep(c, d, left->loc))
        return left;
    Expr *e = new_expr(c, E_BINARY, start_of(left), d);
    ExprBox *b = box(e);
    b->cap = 4;
    e->binary.operands = ARENA_ARRAY(c->arena, Expr *, 4);
    e->binary.ops = ARENA_ARRAY(c->arena, BinOp, 4);
    e->binary.oplocs = ARENA_ARRAY(c->arena, Loc, 4);
    e->binary.operands[0] = left;
    e->binary.operands[1] = right;
    e->binary.ops[0] = op;
    e->binary.oplocs[0] = oploc;
    e->binary.n = 2;
    return e;
}

Expr *ast_compare(ParseCtx *c, Expr *left, CmpOp op, Loc oploc, Expr *right)
{
    ast_use(c, right);
    ExprBox *lb = box(left);
    if (left->kind == E_COMPARE && !lb->sealed) {
        /* lowered as nested branches (a < b and b < c ...): every operand
           adds a level, so a very long chain cannot make lowering slow */
        int d = (depth(right) > lb->depth ? depth(right) : lb->depth) + 1;
        if (too_deep(c, d, right->loc))
            return left;
        int n = left->compare.n;
        void *ops = left->compare.ops;
        chain_reserve(c, &left->compare.operands, &ops, sizeof(CmpOp), &left->compare.oplocs, n, &lb->cap);
        left->compare.ops = ops;
        left->compare.operands[n] = right;
        left->compare.ops[n - 1] = op;
        left->compare.oplocs[n - 1] = oploc;
        left->compare.n = n + 1;
        lb->depth = d;
        return left;
    }
    ast_use(c, left);
    int d = 1 + (depth(left) > depth(right) ? depth(left) : depth(right));
    if (too_deep(c, d, left->loc))
        return left;
    Expr *e = new_expr(c, E_COMPARE, start_of(left), d);
    box(e)->cap = 4;
    e->compare.operands = ARENA_ARRAY(c->arena, Expr *, 4);
    e->compare.ops = ARENA_ARRAY(c->arena, CmpOp, 4);
    e->compare.oplocs = ARENA_ARRAY(c->arena, Loc, 4);
    e->compare.operands[0] = left;
    e->compare.operands[1] = right;
    e->compare.ops[0] = op;
    e->compare.oplocs[0] = oploc;
    e->compare.n = 2;
    return e;
}

Expr *ast_boolop(ParseCtx *c, Expr *left, bool is_and, Expr *right)
{
    ast_use(c, right);
    ExprBox *lb = box(left);
    if (left->kind == E_BOOLOP && !lb->sealed && left->boolop.is_and == is_and) {
        /* lowered as nested branches: every operand adds a level (as for
           chained comparisons) */
        int d = (depth(right) > lb->depth ? depth(right) : lb->depth) + 1;
        if (too_deep(c, d, right->loc))
            return left;
        int n = left->boolop.n;
        if (n == lb->cap)
            left->boolop.operands = ast_grow(c->arena, left->boolop.operands, n, &lb->cap,
                                             sizeof(Expr *));
        left->boolop.operands[n] = right;
        left->boolop.n = n + 1;
        lb->depth = d;
        return left;
    }
    ast_use(c, left);
    int d = 1 + (depth(left) > depth(right) ? depth(left) : depth(right));
    if (too_deep(c, d, left->loc))
        return left;
    Expr *e = new_expr(c, E_BOOLOP, start_of(left), d);
    box(e)->cap = 4;
    e->boolop.is_and = is_and;
    e->boolop.operands = ARENA_ARRAY(c->arena, Expr *, 4);
    e->boolop.operands[0] = left;
    e->boolop.operands[1] = right;
    e->boolop.n = 2;
    return e;
}

Expr *ast_ifexp(ParseCtx *c, Expr *then, Expr *cond, Expr *orelse)
{
    ast_use(c, then);
    ast_use(c, cond);
    ast_use(c, orelse);
    int d = depth(then);
    if (depth(cond) > d)
        d = depth(cond);
    if (depth(orelse) > d)
        d = depth(orelse);
    if (too_deep(c, d + 1, then->loc))
        return then;
    Expr *e = new_expr(c, E_IFEXP, start_of(then), d + 1);
    e->ifexp.then = then;
    e->ifexp.cond = cond;
    e->ifexp.orelse = orelse;
    return e;
}

static void params_to(FuncDef *f, ParamBuf params)
{
    f->params = params.items;
    f->nparams = params.n;
}

Expr *ast_lambda(ParseCtx *c, Loc loc, ParamBuf params, Expr *body, Loc end)
{
    ast_use(c, body);
    if (too_deep(c, depth(body) + 1, loc))
        return body;
    FuncDef *f = ARENA_NEW(c->arena, FuncDef);
    f->name = "<lambda>";
    f->loc = f->name_loc = loc;
    params_to(f, params);
    f->is_lambda = true;
    f->end_loc = end;
    Stmt *ret = ARENA_NEW(c->arena, Stmt);
    ret->kind = S_RETURN;
    ret->loc = body->loc;
    ret->ret = body;
    f->body.items = ARENA_ARRAY(c->arena, Stmt *, 1);
    f->body.items[0] = ret;
    f->body.n = 1;
    Expr *e = new_expr(c, E_LAMBDA, loc, depth(body) + 1);
    e->lambda = f;
    return e;
}

/* ---- types --------------------------------------------------------------------- */

TypeExpr *ast_type_name(ParseCtx *c, Loc loc, const char *name)
{
    TypeExpr *t = ARENA_NEW(c->arena, TypeExpr);
    t->loc = loc;
    if (!strcmp(name, "float")) {
        t->kind = TE_FLOAT;
    } else if (!strcmp(name, "int")) {
        t->kind = TE_INT;
    } else if (!strcmp(name, "bool")) {
        t->kind = TE_BOOL;
    } else if (!strcmp(name, "list")) {
        diag_error(c->d, loc, "the type 'list' needs its element type, as in list[float]");
        t->kind = TE_FLOAT;
    } else {
        diag_error(c->d, loc, "unknown type '%s' (expected float, int, bool, list[T] or a tuple of them)", name);
        t->kind = TE_FLOAT;
    }
    return t;
}

/* NAME[T, ...]: list[T]; anything else is reported. */
TypeExpr *ast_type_generic(ParseCtx *c, Loc loc, const char *name, TypeBuf args)
{
    if (!strcmp(name, "list")) {
        if (args.n != 1)
            diag_error(c->d, loc, "list[...] takes one element type (%d given)", args.n);
        TypeExpr *t = ARENA_NEW(c->arena, TypeExpr);
        t->kind = TE_LIST;
        t->loc = loc;
        t->elem = args.items[0];    /* the grammar gives at least one */
        return t;
    }
    if (!strcmp(name, "tuple")) {
        diag_error(c->d, loc, "tuple types are written in parentheses: (T1, T2, ...)");
        return ast_type_tuple(c, loc, args);
    }
    if (!strcmp(name, "float") || !strcmp(name, "int") || !strcmp(name, "bool")) {
        diag_error(c->d, loc, "the type '%s' takes no element type", name);
        return ast_type_name(c, loc, name);
    }
    return ast_type_name(c, loc, name);     /* reports the unknown name */
}

TypeExpr *ast_type_tuple(ParseCtx *c, Loc loc, TypeBuf elems)
{
    TypeExpr *t = ARENA_NEW(c->arena, TypeExpr);
    t->kind = TE_TUPLE;
    t->loc = loc;
    t->elems = elems.items;
    t->n = elems.n;
    return t;
}

/* ---- statements ----------------------------------------------------------------- */

/* Statement nesting.  Indentation limits blocks to AST_MAX_BLOCK_DEPTH,
   but an elif chain nests S_IFs (each in the previous one's else branch)
   without indenting.  So every statement also knows the height of its
   tree, and a compound statement that would exceed MAX_STMT_HEIGHT is
   reported and loses its blocks: later phases may recurse over blocks. */
enum { MAX_STMT_HEIGHT = 1000 };

typedef struct StmtBox {
    int height;         /* 1 for a simple statement */
    bool elif;          /* an S_IF made by 'elif', still to be measured */
    Stmt s;
} StmtBox;

static StmtBox *sbox(Stmt *s)
{
    return (StmtBox *)((char *)s - offsetof(StmtBox, s));
}

static Stmt *new_stmt(ParseCtx *c, StmtKind kind, Loc loc)
{
    StmtBox *b = ARENA_NEW(c->arena, StmtBox);
    b->height = 1;
    b->s.kind = kind;
    b->s.loc = loc;
    return &b->s;
}

static int block_height(StmtList l)
{
    int h = 0;
    for (int i = 0; i < l.n; i++)
        if (sbox(l.items[i])->height > h)
            h = sbox(l.items[i])->height;
    return h;
}

/* Sets the height of compound statement s from its blocks a and b (b may
   be NULL), or reports it (unless *reported) and empties them. */
static void set_height(ParseCtx *c, Stmt *s, StmtList *a, StmtList *b, bool *reported)
{
    int h = block_height(*a);
    if (b && block_height(*b) > h)
        h = block_height(*b);
    if (h + 1 > MAX_STMT_HEIGHT) {
        if (!*reported)
            diag_error(c->d, s->loc, "statements are nested too deeply (limit %d levels, each 'elif' counting as one)",
                       MAX_STMT_HEIGHT);
        *reported = true;
        *a = (StmtList){NULL, 0};
        if (b)
            *b = (StmtList){NULL, 0};
        h = 0;
        if (s->kind == S_IF)
            s->if_.has_else = false;
    }
    sbox(s)->height = h + 1;
}

static StmtList list_of(StmtBuf b)
{
    StmtList l = {b.items, b.n};
    return l;
}

/* A string statement is kept (unreported) so that ast_block can drop it
   when it is a docstring. */
Stmt *ast_stmt_expr(ParseCtx *c, Expr *e)
{
    if (!box(e)->is_string)
        ast_use(c, e);
    Stmt *s = new_stmt(c, S_EXPR, e->loc);
    s->expr = e;
    return s;
}

static const char *target_problem(Expr *e)
{
    switch (e->kind) {
    case E_NAME: case E_TUPLE: case E_INDEX: return NULL;
    case E_INT: case E_FLOAT: case E_BOOL: return "literal";
    case E_CALL: return "function call";
    case E_METHOD: return "method call";
    case E_COMPARE: return "comparison";
    case E_IFEXP: return "conditional expression";
    case E_LAMBDA: return "lambda";
    case E_LISTCOMP: return "list comprehension";
    case E_GENEXP: return "generator expression";
    default: return "expression";
    }
}

/* A subscript target: a[i], a[i][j], ... down to a name.  Reports any
   other and returns false. */
static bool check_subscript_target(ParseCtx *c, Expr *t)
{
    Expr *root = t;
    while (root->kind == E_INDEX)
        root = root->index.base;
    if (root->kind == E_NAME)
        return true;
    diag_error(c->d, t->loc, "only items of a variable can be assigned to, as in NAME[i] or NAME[i][j]");
    return false;
}

/* Targets are names, subscripts of names (a[i], a[i][j]) or (nested)
   tuples of them.  The recursion is bounded by the depth limit. */
static void check_target(ParseCtx *c, Expr *t)
{
    if (t->kind == E_SLICE) {
        diag_error(c->d, t->loc, "slice assignment is not supported");
        return;
    }
    if (t->kind == E_LIST) {
        diag_error(c->d, t->loc, "cannot assign to a list display; unpack into a tuple: a, b = ...");
        return;
    }
    const char *problem = target_problem(t);
    if (problem) {
        diag_error(c->d, t->loc, "cannot assign to %s", problem);
        return;
    }
    if (t->kind == E_INDEX)
        check_subscript_target(c, t);
    if (t->kind == E_TUPLE)
        for (int i = 0; i < t->items.n; i++)
            check_target(c, t->items.items[i]);
}

/* The target of a for loop or a comprehension's `for`: a name or a
   (nested) tuple of names. */
static void check_loop_target(ParseCtx *c, Expr *t)
{
    if (t->kind == E_TUPLE) {
        for (int i = 0; i < t->items.n; i++)
            check_loop_target(c, t->items.items[i]);
        return;
    }
    if (t->kind != E_NAME)
        diag_error(c->d, t->loc, "the target of a 'for' must be a name or a tuple of names");
}

Stmt *ast_assign(ParseCtx *c, ExprBuf chain)
{
    Stmt *s = new_stmt(c, S_ASSIGN, chain.items[0]->loc);
    for (int i = 0; i < chain.n; i++)
        ast_use(c, chain.items[i]);
    for (int i = 0; i < chain.n - 1; i++)
        check_target(c, chain.items[i]);
    s->assign.targets = chain.items;
    s->assign.ntargets = chain.n - 1;
    s->assign.value = chain.items[chain.n - 1];
    return s;
}

/* NAME: TYPE = value */
Stmt *ast_annassign(ParseCtx *c, Expr *target, TypeExpr *ann, Expr *value)
{
    ast_use(c, target);
    ast_use(c, value);
    if (target->kind != E_NAME) {
        diag_error(c->d, target->loc, "only a single name can be annotated: NAME: TYPE = expression");
        return NULL;
    }
    Stmt *s = new_stmt(c, S_ASSIGN, target->loc);
    s->assign.targets = ARENA_ARRAY(c->arena, Expr *, 2);
    s->assign.targets[0] = target;
    s->assign.targets[1] = value;
    s->assign.ntargets = 1;
    s->assign.value = value;
    s->assign.ann = ann;
    return s;
}

Stmt *ast_augassign(ParseCtx *c, Expr *target, BinOp op, Loc oploc, Expr *value)
{
    ast_use(c, target);
    ast_use(c, value);
    if (target->kind == E_SLICE)
        diag_error(c->d, target->loc, "slice assignment is not supported");
    else if (target->kind == E_INDEX)
        check_subscript_target(c, target);
    else if (target->kind != E_NAME)
        diag_error(c->d, target->loc, "augmented assignment needs a name or a subscript (a[i]) on its left");
    Stmt *s = new_stmt(c, S_AUGASSIGN, target->loc);
    s->aug.target = target;
    s->aug.op = op;
    s->aug.oploc = oploc;
    s->aug.value = value;
    return s;
}

Stmt *ast_simple(ParseCtx *c, StmtKind kind, Loc loc)
{
    return new_stmt(c, kind, loc);
}

Stmt *ast_return(ParseCtx *c, Loc loc, Expr *value)
{
    Stmt *s = new_stmt(c, S_RETURN, loc);
    s->ret = ast_use(c, value);
    return s;
}

Stmt *ast_if(ParseCtx *c, Loc loc, Expr *cond, StmtBuf then)
{
    Stmt *s = new_stmt(c, S_IF, loc);
    s->if_.cond = ast_use(c, cond);
    s->if_.then = ast_block(c, then, false);
    return s;
}

void ast_set_else(ParseCtx *c, Stmt *s, StmtBuf orelse)
{
    s->if_.orelse = ast_block(c, orelse, false);
    s->if_.has_else = true;
}

/* elif: an S_IF alone in the previous one's else branch. */
Stmt *ast_elif(ParseCtx *c, Stmt *prev, Loc loc, Expr *cond, StmtBuf then)
{
    Stmt *s = ast_if(c, loc, cond, then);
    sbox(s)->elif = true;
    prev->if_.orelse.items = ARENA_ARRAY(c->arena, Stmt *, 1);
    prev->if_.orelse.items[0] = s;
    prev->if_.orelse.n = 1;
    prev->if_.has_else = true;
    return s;
}

/* The whole if/elif/else statement is parsed: measure the chain, from its
   last S_IF back to the first (iteratively: chains can be long). */
Stmt *ast_if_done(ParseCtx *c, Stmt *first)
{
    VEC(Stmt *) chain = {0};
    for (Stmt *s = first;; s = s->if_.orelse.items[0]) {
        vec_push(&chain, s);
        if (!s->if_.has_else || s->if_.orelse.n != 1 || !sbox(s->if_.orelse.items[0])->elif)
            break;
    }
    bool reported = false;      /* once per chain, which is cut where it is too long */
    for (int i = chain.len - 1; i >= 0; i--) {
        Stmt *s = chain.data[i];
        sbox(s)->elif = false;
        set_height(c, s, &s->if_.then, &s->if_.orelse, &reported);
    }
    vec_free(&chain);
    return first;
}

Stmt *ast_while(ParseCtx *c, Loc loc, Expr *cond, StmtBuf body)
{
    Stmt *s = new_stmt(c, S_WHILE, loc);
    s->while_.cond = ast_use(c, cond);
    s->while_.body = ast_block(c, body, false);
    set_height(c, s, &s->while_.body, NULL, &(bool){false});
    return s;
}

/* for NAME in range(a[, b[, c]]): S_FOR (range is a builtin that cannot be
   rebound, so the name decides); for TARGET in ITER: S_FOREACH. */
Stmt *ast_for(ParseCtx *c, Loc loc, Expr *target, Expr *iter, StmtBuf body)
{
    ast_use(c, target);
    ast_use(c, iter);
    bool range = iter->kind == E_CALL && iter->call.fn->kind == E_NAME && !strcmp(iter->call.fn->name, "range");
    Stmt *s = new_stmt(c, range ? S_FOR : S_FOREACH, loc);
    s->for_.target = target;
    if (range) {
        if (target->kind != E_NAME)
            diag_error(c->d, target->loc, "the target of a 'for ... in range(...)' loop must be a single name");
        int n = iter->call.args.n;
        s->for_.range_loc = iter->call.fn->loc;
        if (n < 1 || n > 3)
            diag_error(c->d, iter->loc, "range() takes 1 to 3 arguments (%d given)", n);
        s->for_.nargs = n < 3 ? n : 3;
        for (int i = 0; i < s->for_.nargs; i++)
            s->for_.args[i] = iter->call.args.items[i];
    } else {
        check_loop_target(c, target);
        s->for_.iter = iter;
    }
    s->for_.body = ast_block(c, body, false);
    set_height(c, s, &s->for_.body, NULL, &(bool){false});
    return s;
}

Stmt *ast_def(ParseCtx *c, Loc loc, const char *name, Loc name_loc, ParamBuf params,
              TypeExpr *ret, StmtBuf body, Loc end)
{
    FuncDef *f = ARENA_NEW(c->arena, FuncDef);
    f->name = name;
    f->loc = loc;
    f->name_loc = name_loc;
    params_to(f, params);
    f->ret_ann = ret;
    f->body = ast_block(c, body, true);
    f->end_loc = end;
    Stmt *s = new_stmt(c, S_DEF, loc);
    s->def = f;
    set_height(c, s, &f->body, NULL, &(bool){false});
    return s;
}

static bool is_string_stmt(Stmt *s)
{
    return s->kind == S_EXPR && box(s->expr)->is_string;
}

/* Finishes a block: drops a leading docstring where one is allowed (a
   function body, the file) and reports every other string statement. */
StmtList ast_block(ParseCtx *c, StmtBuf b, bool docstring_allowed)
{
    StmtList l = list_of(b);
    if (docstring_allowed && l.n > 0 && is_string_stmt(l.items[0])) {
        l.items++;
        l.n--;
    }
    for (int i = 0; i < l.n; i++)
        if (is_string_stmt(l.items[i]))
            ast_use(c, l.items[i]->expr);
    if (l.n == 0)
        l.items = NULL;
    return l;
}

/* ---- ast_dump -----------------------------------------------------------------------
 *
 * One S-expression per top-level statement, one per line:
 *
 *   statements   (expr E)  (= T1 T2 ... E)  (= x:TYPE E)  (+= x E)  (pass) (break)
 *                (continue)  (return E)  (while C S...)  (for i (range A B C) S...)
 *                (foreach T ITER S...)
 *                (if C (then S...) (else S...))   [else omitted without one;
 *                                                  elif is (else (if ...))]
 *                (def f (x:float y p:(float (int bool))) -> float S...)
 *   expressions  names and literals as in Python (1, 2.5, 1e+100, inf, True);
 *                operator chains infix in parentheses, so flattening is
 *                visible: (a + b - c) is one node, ((a + b) - c) two;
 *                likewise (a < b <= c), (a and b and c), (a ** b ** c);
 *                (- x) (+ x) (not x)  (a if c else b)  (call f a b)
 *                (index t 0)  (tuple a b)  (lambda (x y) E)  (list a b)
 *                (slice a LOWER UPPER STEP) with _ for an omitted bound
 *                (method a append x)  (x in a) (x not in a)
 *                (listcomp E (for T ITER (if C)...)...)  (genexp E (for ...)...)
 *   types        float int bool, a tuple type as (T1 T2 ...), list[T]
 */

static const char *const binop_names[] = {"+", "-", "*", "/", "//", "%", "**"};
static const char *const cmpop_names[] = {"<", "<=", ">", ">=", "==", "!=", "in", "not in"};
static const char *const unop_names[] = {"-", "+", "not"};

static void dump_expr(const Expr *e, StrBuf *out);
static void dump_stmt(const Stmt *s, StrBuf *out);

static void dump_type(const TypeExpr *t, StrBuf *out)
{
    switch (t->kind) {
    case TE_FLOAT: sb_puts(out, "float"); return;
    case TE_INT: sb_puts(out, "int"); return;
    case TE_BOOL: sb_puts(out, "bool"); return;
    case TE_TUPLE:
        sb_putc(out, '(');
        for (int i = 0; i < t->n; i++) {
            if (i)
                sb_putc(out, ' ');
            dump_type(t->elems[i], out);
        }
        sb_putc(out, ')');
        return;
    case TE_LIST:
        sb_puts(out, "list[");
        dump_type(t->elem, out);
        sb_putc(out, ']');
        return;
    }
}

static void dump_params(const FuncDef *f, StrBuf *out)
{
    sb_putc(out, '(');
    for (int i = 0; i < f->nparams; i++) {
        if (i)
            sb_putc(out, ' ');
        sb_puts(out, f->params[i].name);
        if (f->params[i].ann) {
            sb_putc(out, ':');
            dump_type(f->params[i].ann, out);
        }
    }
    sb_putc(out, ')');
}

static void dump_list(const Expr *const *items, int n, StrBuf *out)
{
    for (int i = 0; i < n; i++) {
        sb_putc(out, ' ');
        dump_expr(items[i], out);
    }
}

/* An optional part: _ when omitted. */
static void dump_opt(const Expr *e, StrBuf *out)
{
    sb_putc(out, ' ');
    if (e)
        dump_expr(e, out);
    else
        sb_putc(out, '_');
}

static void dump_comp(const char *head, const Expr *e, StrBuf *out)
{
    sb_printf(out, "(%s ", head);
    dump_expr(e->comp.elt, out);
    for (int i = 0; i < e->comp.nfors; i++) {
        const CompFor *f = &e->comp.fors[i];
        sb_puts(out, " (for ");
        dump_expr(f->target, out);
        sb_putc(out, ' ');
        dump_expr(f->iter, out);
        for (int k = 0; k < f->ifs.n; k++) {
            sb_puts(out, " (if ");
            dump_expr(f->ifs.items[k], out);
            sb_putc(out, ')');
        }
        sb_putc(out, ')');
    }
    sb_putc(out, ')');
}

static void dump_expr(const Expr *e, StrBuf *out)
{
    switch (e->kind) {
    case E_INT: sb_printf(out, "%lld", (long long)e->ival); return;
    case E_FLOAT: fmt_float_repr(out, e->fval); return;
    case E_BOOL: sb_puts(out, e->bval ? "True" : "False"); return;
    case E_NAME: sb_puts(out, e->name); return;
    case E_TUPLE:
        sb_puts(out, "(tuple");
        dump_list((const Expr *const *)e->items.items, e->items.n, out);
        sb_putc(out, ')');
        return;
    case E_LIST:
        sb_puts(out, "(list");
        dump_list((const Expr *const *)e->items.items, e->items.n, out);
        sb_putc(out, ')');
        return;
    case E_INDEX:
        sb_puts(out, "(index ");
        dump_expr(e->index.base, out);
        sb_putc(out, ' ');
        dump_expr(e->index.index, out);
        sb_putc(out, ')');
        return;
    case E_SLICE:
        sb_puts(out, "(slice ");
        dump_expr(e->slice.base, out);
        dump_opt(e->slice.lower, out);
        dump_opt(e->slice.upper, out);
        dump_opt(e->slice.step, out);
        sb_putc(out, ')');
        return;
    case E_METHOD:
        sb_puts(out, "(method ");
        dump_expr(e->method.base, out);
        sb_printf(out, " %s", e->method.name);
        dump_list((const Expr *const *)e->method.args.items, e->method.args.n, out);
        sb_putc(out, ')');
        return;
    case E_LISTCOMP:
        dump_comp("listcomp", e, out);
        return;
    case E_GENEXP:
        dump_comp("genexp", e, out);
        return;
    case E_CALL:
        sb_puts(out, "(call ");
        dump_expr(e->call.fn, out);
        dump_list((const Expr *const *)e->call.args.items, e->call.args.n, out);
        sb_putc(out, ')');
        return;
    case E_UNARY:
        sb_printf(out, "(%s ", unop_names[e->unary.op]);
        dump_expr(e->unary.operand, out);
        sb_putc(out, ')');
        return;
    case E_BINARY:
        sb_putc(out, '(');
        for (int i = 0; i < e->binary.n; i++) {
            if (i)
                sb_printf(out, " %s ", binop_names[e->binary.ops[i - 1]]);
            dump_expr(e->binary.operands[i], out);
        }
        sb_putc(out, ')');
        return;
    case E_COMPARE:
        sb_putc(out, '(');
        for (int i = 0; i < e->compare.n; i++) {
            if (i)
                sb_printf(out, " %s ", cmpop_names[e->compare.ops[i - 1]]);
            dump_expr(e->compare.operands[i], out);
        }
        sb_putc(out, ')');
        return;
    case E_BOOLOP:
        sb_putc(out, '(');
        for (int i = 0; i < e->boolop.n; i++) {
            if (i)
                sb_puts(out, e->boolop.is_and ? " and " : " or ");
            dump_expr(e->boolop.operands[i], out);
        }
        sb_putc(out, ')');
        return;
    case E_IFEXP:
        sb_putc(out, '(');
        dump_expr(e->ifexp.then, out);
        sb_puts(out, " if ");
        dump_expr(e->ifexp.cond, out);
        sb_puts(out, " else ");
        dump_expr(e->ifexp.orelse, out);
        sb_putc(out, ')');
        return;
    case E_LAMBDA:
        sb_puts(out, "(lambda ");
        dump_params(e->lambda, out);
        sb_putc(out, ' ');
        dump_expr(e->lambda->body.items[0]->ret, out);
        sb_putc(out, ')');
        return;
    }
}

static void dump_body(const StmtList *l, StrBuf *out)
{
    for (int i = 0; i < l->n; i++) {
        sb_putc(out, ' ');
        dump_stmt(l->items[i], out);
    }
}

/* if/elif chains can be long: they are printed iteratively. */
static void dump_if(const Stmt *s, StrBuf *out)
{
    int open = 0;
    for (;;) {
        sb_puts(out, "(if ");
        dump_expr(s->if_.cond, out);
        sb_puts(out, " (then");
        dump_body(&s->if_.then, out);
        sb_putc(out, ')');
        open++;
        if (!s->if_.has_else)
            break;
        sb_puts(out, " (else");
        open++;
        const StmtList *e = &s->if_.orelse;
        if (e->n == 1 && e->items[0]->kind == S_IF) {
            sb_putc(out, ' ');
            s = e->items[0];
            continue;
        }
        dump_body(e, out);
        break;
    }
    while (open-- > 0)
        sb_putc(out, ')');
}

static void dump_stmt(const Stmt *s, StrBuf *out)
{
    switch (s->kind) {
    case S_EXPR:
        sb_puts(out, "(expr ");
        dump_expr(s->expr, out);
        sb_putc(out, ')');
        return;
    case S_ASSIGN:
        sb_puts(out, "(=");
        dump_list((const Expr *const *)s->assign.targets, s->assign.ntargets, out);
        if (s->assign.ann) {
            sb_putc(out, ':');
            dump_type(s->assign.ann, out);
        }
        sb_putc(out, ' ');
        dump_expr(s->assign.value, out);
        sb_putc(out, ')');
        return;
    case S_AUGASSIGN:
        sb_printf(out, "(%s= ", binop_names[s->aug.op]);
        dump_expr(s->aug.target, out);
        sb_putc(out, ' ');
        dump_expr(s->aug.value, out);
        sb_putc(out, ')');
        return;
    case S_IF:
        dump_if(s, out);
        return;
    case S_WHILE:
        sb_puts(out, "(while ");
        dump_expr(s->while_.cond, out);
        dump_body(&s->while_.body, out);
        sb_putc(out, ')');
        return;
    case S_FOR:
        sb_puts(out, "(for ");
        dump_expr(s->for_.target, out);
        sb_puts(out, " (range");
        dump_list((const Expr *const *)s->for_.args, s->for_.nargs, out);
        sb_putc(out, ')');
        dump_body(&s->for_.body, out);
        sb_putc(out, ')');
        return;
    case S_FOREACH:
        sb_puts(out, "(foreach ");
        dump_expr(s->for_.target, out);
        sb_putc(out, ' ');
        dump_expr(s->for_.iter, out);
        dump_body(&s->for_.body, out);
        sb_putc(out, ')');
        return;
    case S_BREAK: sb_puts(out, "(break)"); return;
    case S_CONTINUE: sb_puts(out, "(continue)"); return;
    case S_PASS: sb_puts(out, "(pass)"); return;
    case S_RETURN:
        sb_puts(out, "(return ");
        dump_expr(s->ret, out);
        sb_putc(out, ')');
        return;
    case S_DEF:
        sb_printf(out, "(def %s ", s->def->name);
        dump_params(s->def, out);
        if (s->def->ret_ann) {
            sb_puts(out, " -> ");
            dump_type(s->def->ret_ann, out);
        }
        dump_body(&s->def->body, out);
        sb_putc(out, ')');
        return;
    }
}

void ast_dump(const AstModule *m, StrBuf *out)
{
    for (int i = 0; i < m->body.n; i++) {
        dump_stmt(m->body.items[i], out);
        sb_putc(out, '\n');
    }
}
