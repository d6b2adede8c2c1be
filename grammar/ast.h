/*
 * ast.h: the abstract syntax tree the parser builds and lowering consumes.
 *
 * All nodes live in the parse arena.  Every node carries the location of its
 * first token (binary chains also keep each operator's location, which is
 * where errors about the operation point).
 *
 * Depth: left-associative chains of one precedence level (a + b - c + ...,
 * a * b / c ...) are flattened into one E_BINARY node with n operands, so a
 * 10^5-term sum is one node, not a 10^5-deep tree.  Everything else that
 * nests (parentheses, unary operators, **, calls, conditional expressions,
 * lambdas, displays, subscripts, comprehensions and their clauses) is
 * limited by the parser to AST_MAX_EXPR_DEPTH levels, and blocks to
 * AST_MAX_BLOCK_DEPTH, each with a located error naming the limit.  Later
 * phases may therefore recurse over the AST (but never over a chain).
 *
 * What the comments below promise of targets and arguments holds when the
 * parse reported no error.
 */
#ifndef MYC_AST_H
#define MYC_AST_H

#include "../src/util/common.h"
#include "../src/util/diag.h"

enum {
    AST_MAX_EXPR_DEPTH = 200,   /* nested expression levels (CPython: 200 parentheses) */
    AST_MAX_BLOCK_DEPTH = 100,  /* nested indented blocks (CPython: 100) */
};

typedef struct Expr Expr;
typedef struct Stmt Stmt;
typedef struct FuncDef FuncDef;

typedef struct ExprList { Expr **items; int n; } ExprList;
typedef struct StmtList { Stmt **items; int n; } StmtList;

/* Type annotations: float, int, bool, (T1, T2, ...), list[T]. */
typedef enum TypeExprKind { TE_FLOAT, TE_INT, TE_BOOL, TE_TUPLE, TE_LIST } TypeExprKind;
typedef struct TypeExpr {
    TypeExprKind kind;
    Loc loc;                    /* its first token (TE_LIST: the name 'list') */
    struct TypeExpr **elems;    /* TE_TUPLE: n element types */
    int n;
    struct TypeExpr *elem;      /* TE_LIST: the element type (never NULL) */
} TypeExpr;

typedef enum BinOp {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW,
} BinOp;

/* CMP_IN / CMP_NOT_IN: `x in a` / `x not in a` (membership); they chain
   like the others (a < b in c is a < b and b in c). */
typedef enum CmpOp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE, CMP_IN, CMP_NOT_IN } CmpOp;

typedef enum UnaryOp { UOP_NEG, UOP_POS, UOP_NOT } UnaryOp;

/* The four differentiation operators are syntax-level names that cannot be
   rebound; the parser produces E_CALL with callee E_NAME for them like any
   call, and lowering recognises the names. */

typedef enum ExprKind {
    E_INT,      /* ival: literal value (already range-checked by the lexer) */
    E_FLOAT,    /* fval */
    E_BOOL,     /* bval */
    E_NAME,     /* name */
    E_TUPLE,    /* items: (a, b), (a,), () */
    E_LIST,     /* items: [a, b], [a, b,], [] (located at the '[') */
    E_INDEX,    /* index.base[index.index]: any expression as the index (a
                   tuple's must be a constant, which lowering checks) */
    E_SLICE,    /* slice.base[slice.lower:slice.upper:slice.step]; an omitted
                   bound is NULL (a[:], a[::] and a[::-1] have lower and upper
                   NULL; a[i:j] and a[i:j:] have step NULL) */
    E_CALL,     /* call.fn(call.args); a generator expression may be an
                   argument only alone: sum(x for x in a) has one E_GENEXP */
    E_METHOD,   /* method.base.method.name(method.args), located at the
                   base's first token; name_loc is the method name's.  The
                   parser admits only the list methods, with their argument
                   counts: append(x), extend(x), pop(), pop(i), copy() */
    E_UNARY,    /* unary.op unary.operand */
    E_BINARY,   /* binary: operands[0] ops[0] operands[1] ops[1] ... ;
                   left-associative for + - * / // %, right-associative
                   for ** (a ** b ** c keeps all three operands, evaluated
                   as a ** (b ** c)); every op in one node has the same
                   precedence level */
    E_COMPARE,  /* compare: operands[0] ops[0] operands[1] ... (a < b < c) */
    E_BOOLOP,   /* boolop: is_and, operands (a and b and c): flattened */
    E_IFEXP,    /* ifexp.then if ifexp.cond else ifexp.orelse */
    E_LAMBDA,   /* lambda: fn (a FuncDef whose body is one return statement) */
    E_LISTCOMP, /* comp: [comp.elt for ... in ... if ... for ...] (at the '[') */
    E_GENEXP,   /* comp: (comp.elt for ...), written as the only argument of
                   a call (located at comp.elt) or in parentheses (at the '(') */
} ExprKind;

/* One `for TARGET in ITER` clause of a comprehension with the `if` filters
   that follow it (before the next clause).  The target is an E_NAME or an
   E_TUPLE of targets (nested); iter and the filters are or-tests (no
   unparenthesised conditional expression or lambda, as in Python). */
typedef struct CompFor {
    Loc loc;            /* the 'for' keyword */
    Expr *target;
    Expr *iter;
    ExprList ifs;
} CompFor;
struct Expr {
    ExprKind kind;
    Loc loc;
    union {
        int64_t ival;
        double fval;
        bool bval;
        const char *name;
        ExprList items;
        struct { Expr *base, *index; } index;
        struct { Expr *base, *lower, *upper, *step; } slice;      /* NULL: omitted */
        struct { Expr *fn; ExprList args; } call;
        struct { Expr *base; const char *name; Loc name_loc; ExprList args; } method;
        struct { Expr *elt; CompFor *fors; int nfors; } comp;      /* nfors >= 1 */
        struct { UnaryOp op; Expr *operand; } unary;
        struct { Expr **operands; BinOp *ops; Loc *oplocs; int n; } binary;       /* n operands */
        struct { Expr **operands; CmpOp *ops; Loc *oplocs; int n; } compare;      /* n operands */
        struct { bool is_and; Expr **operands; int n; } boolop;
        struct { Expr *cond, *then, *orelse; } ifexp;
        FuncDef *lambda;
    };
};

typedef struct Param {
    const char *name;
    Loc loc;
    TypeExpr *ann;      /* NULL when unannotated */
} Param;

struct FuncDef {
    const char *name;   /* "<lambda>" for lambdas */
    Loc loc;            /* the 'def' or 'lambda' keyword */
    Loc name_loc;       /* the function's name (== loc for lambdas) */
    Param *params;
    int nparams;
    TypeExpr *ret_ann;  /* NULL when absent */
    StmtList body;      /* docstring removed; lambdas: one S_RETURN */
    bool is_lambda;
    Loc end_loc;        /* location just after the last statement of the body */
};

typedef enum StmtKind {
    S_EXPR,         /* expr */
    S_ASSIGN,       /* assign.targets[0] = assign.targets[1] = ... = assign.value;
                       a target is an E_NAME, an E_TUPLE of targets (nested),
                       or a subscript: an E_INDEX whose base is an E_NAME or
                       again such a subscript (a[i] = e, a[i][j] = e).  With an
                       annotation (x: T = e), assign.ann is T, and there is one
                       target, an E_NAME; otherwise assign.ann is NULL */
    S_AUGASSIGN,    /* aug.target aug.op= aug.value; the target is an E_NAME or
                       a subscript as for S_ASSIGN (a[i] += e, a[i][j] *= e) */
    S_IF,           /* if_.cond: then; else orelse (elif is an S_IF alone in orelse) */
    S_WHILE,        /* while_.cond: body */
    S_FOR,          /* for target in range(args[0..nargs-1]): body; the
                       target is an E_NAME (else reported); iter is NULL */
    S_FOREACH,      /* for target in iter: body, for any other iterable
                       (xs, enumerate(xs), zip(a, b)); the target is an
                       E_NAME or an E_TUPLE of targets (nested); uses
                       for_.target, for_.iter and for_.body only */
    S_BREAK,
    S_CONTINUE,
    S_RETURN,       /* ret (never NULL: a bare return is a parse error) */
    S_PASS,
    S_DEF,          /* def */
} StmtKind;

struct Stmt {
    StmtKind kind;
    Loc loc;
    union {
        Expr *expr;
        struct { Expr **targets; int ntargets; Expr *value; TypeExpr *ann; } assign;
        struct { Expr *target; BinOp op; Loc oploc; Expr *value; } aug;
        struct { Expr *cond; StmtList then, orelse; bool has_else; } if_;
        struct { Expr *cond; StmtList body; } while_;
        struct { Expr *target; Expr *args[3]; int nargs; Loc range_loc; Expr *iter; StmtList body; } for_;
        Expr *ret;
        FuncDef *def;
    };
};

/* A whole file: top-level statements in order (docstring removed).  The
   parser accepts any statement at top level; lowering reports those the
   language does not allow there. */
typedef struct AstModule {
    StmtList body;
} AstModule;

/* Parses `src` (len bytes; need not be NUL-terminated; may contain NULs,
   which are errors).  Reports errors into `d`, recovering at statement
   boundaries where possible.  Returns the module (possibly partial: check
   diags_failed) allocated in `arena`; never NULL. */
AstModule *parse_source(Arena *arena, Diags *d, const char *src, size_t len);

/* Debug printer used by parser tests: an S-expression per statement. */
void ast_dump(const AstModule *m, StrBuf *out);

#endif
