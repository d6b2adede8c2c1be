/*
 * parser.y: the grammar of .my files (contract section 1), as a pure,
 * reentrant LALR(1) bison parser building the AST of ast.h.
 *
 * Tokens come from lexer_next() (lexer.l), which turns flex's raw tokens
 * into Python's layout tokens NEWLINE, INDENT and DEDENT and tracks
 * brackets.  Nodes are built by the ast_* constructors of ast.c, which also
 * enforce the depth limit and flatten operator chains.
 *
 * Shape of the grammar: every repetition (statement lists, operator
 * chains, argument lists, elif chains) is left-recursive, so the parser's
 * stack stays flat however long the input is; only true nesting
 * (brackets, unary operators, conditional expressions, lambdas, blocks)
 * deepens it, and that is limited (see YYMAXDEPTH).
 *
 * Locations: YYLTYPE is bison's default struct.  first_line/first_column
 * locate a symbol's first token and last_line/last_column its last real
 * token (the lexer gives NEWLINE/INDENT/DEDENT the location of the last
 * real token before them as their "last"), so @rule.last of a suite is
 * the last token of the block.
 *
 * Errors: unsupported constructs have their own rules with specific
 * messages; anything else goes through yyreport_syntax_error.  Recovery
 * is per logical line: `stmt: error NEWLINE`.
 */

%code requires {
#include "ast.h"

/* Arena-backed growable lists used while parsing.  Capacity doubles; the
   abandoned copies stay in the arena (at most twice the final size). */
typedef struct ExprBuf { Expr **items; int n, cap; } ExprBuf;
typedef struct StmtBuf { Stmt **items; int n, cap; } StmtBuf;
typedef struct ParamBuf { Param *items; int n, cap; } ParamBuf;
typedef struct TypeBuf { TypeExpr **items; int n, cap; } TypeBuf;
typedef struct IfChain { Stmt *first, *last; } IfChain;   /* if + elifs */
/* A comprehension's clauses; ifcap is the capacity of the last clause's
   `ifs` (the only one still growing). */
typedef struct CompBuf { CompFor *items; int n, cap, ifcap; } CompBuf;

typedef struct ParseCtx ParseCtx;
}

%code provides {
/* A layout token waiting in the lexer's queue. */
typedef struct LexQueued { int kind; YYLTYPE loc; } LexQueued;
typedef struct IndentLevel { int width; bool silent; } IndentLevel;
typedef struct OpenBracket { char ch; Loc loc; } OpenBracket;

/* Everything one parse needs; no global state anywhere. */
struct ParseCtx {
    Arena *arena;
    Diags *d;

    /* ---- lexer state (lexer.l) ---- */
    void *scanner;              /* flex's yyscan_t */
    int line, col;              /* position of the next unread byte */
    Loc str_start;              /* opening quote of the string being read */
    VEC(IndentLevel) indents;   /* indentation stack; [0] is width 0 */
    VEC(OpenBracket) brackets;  /* open ( [ { */
    int skip_above;             /* > 0: dropping tokens nested deeper than this */
    VEC(LexQueued) queue;       /* layout tokens not yet handed out */
    int queue_head;
    int indent_width;           /* leading whitespace of the current line */
    bool indent_tab, indent_space;
    char file_indent;           /* 0, ' ' or '\t': what this file indents with */
    bool mixed_reported, block_depth_reported;
    bool line_has_tokens;       /* the logical line has a real token */
    bool at_eof;
    YYLTYPE last_tok;           /* location of the last real token */
    int last_kind;              /* its kind and (truncated) text, for messages */
    char last_text[40];
    int logical_line;           /* counts logical lines handed to the parser */
    bool after_newline;         /* the last token handed out was NEWLINE */
    int bad_char_line;          /* logical line (+1) with an invalid character */

    /* ---- parser state (parser.y, ast.c) ---- */
    StmtBuf top;                /* top-level statements, kept if the parse aborts */
    bool depth_reported;        /* a nesting error was reported in this statement */
    bool prev_stmt_error;       /* the last statement was skipped by recovery */
    bool quiet;                 /* the lexer reported an unclosed bracket at EOF */
};

/* lexer.l */
void lexer_init(ParseCtx *c, const char *src, size_t len);
void lexer_destroy(ParseCtx *c);
int lexer_next(YYSTYPE *lval, YYLTYPE *lloc, ParseCtx *c);

/* ast.c: constructors.  Each checks the depth limit, reports strings and
   oversized literals used as operands, and flattens chains. */
void *ast_grow(Arena *a, void *items, int n, int *cap, size_t elem);
#define BUF_PUSH(c, buf, x) do { \
        if ((buf)->n == (buf)->cap) \
            (buf)->items = ast_grow((c)->arena, (buf)->items, (buf)->n, &(buf)->cap, \
                                   sizeof *(buf)->items); \
        (buf)->items[(buf)->n++] = (x); \
    } while (0)

void ast_nesting_error(ParseCtx *c, Loc loc);
Expr *ast_int(ParseCtx *c, Loc loc, uint64_t v);
Expr *ast_float(ParseCtx *c, Loc loc, double v);
Expr *ast_bool(ParseCtx *c, Loc loc, bool v);
Expr *ast_name(ParseCtx *c, Loc loc, const char *name);
Expr *ast_string(ParseCtx *c, Loc loc);
Expr *ast_tuple(ParseCtx *c, Loc loc, ExprBuf items);
Expr *ast_testlist(ParseCtx *c, ExprBuf items, bool trailing_comma);
Expr *ast_paren(ParseCtx *c, Loc lparen, Expr *e);
Expr *ast_list(ParseCtx *c, Loc loc, ExprBuf items);
Expr *ast_index(ParseCtx *c, Expr *base, Expr *index);
Expr *ast_slice(ParseCtx *c, Expr *base, Expr *lower, Expr *upper, Expr *step);
Expr *ast_call(ParseCtx *c, Expr *fn, ExprBuf args);
void ast_check_args(ParseCtx *c, ExprBuf args, bool trailing_comma);
Expr *ast_method(ParseCtx *c, Expr *base, const char *name, Loc name_loc, ExprBuf args);
Expr *ast_attribute(ParseCtx *c, Expr *base, const char *name, Loc name_loc);
CompFor ast_comp_for(ParseCtx *c, Loc loc, Expr *target, Expr *iter);
void ast_comp_if(ParseCtx *c, CompBuf *clauses, Expr *cond);
Expr *ast_comp(ParseCtx *c, ExprKind kind, Loc loc, Expr *elt, CompBuf clauses);
Expr *ast_genexp_arg(ParseCtx *c, Expr *elt, CompBuf clauses);
Expr *ast_unary(ParseCtx *c, Loc loc, UnaryOp op, Expr *operand);
Expr *ast_binary(ParseCtx *c, Expr *left, BinOp op, Loc oploc, Expr *right);
Expr *ast_compare(ParseCtx *c, Expr *left, CmpOp op, Loc oploc, Expr *right);
Expr *ast_boolop(ParseCtx *c, Expr *left, bool is_and, Expr *right);
Expr *ast_ifexp(ParseCtx *c, Expr *then, Expr *cond, Expr *orelse);
Expr *ast_lambda(ParseCtx *c, Loc loc, ParamBuf params, Expr *body, Loc end);
Expr *ast_use(ParseCtx *c, Expr *e);

TypeExpr *ast_type_name(ParseCtx *c, Loc loc, const char *name);
TypeExpr *ast_type_tuple(ParseCtx *c, Loc loc, TypeBuf elems);
TypeExpr *ast_type_generic(ParseCtx *c, Loc loc, const char *name, TypeBuf args);

Stmt *ast_stmt_expr(ParseCtx *c, Expr *e);
Stmt *ast_assign(ParseCtx *c, ExprBuf chain);
Stmt *ast_annassign(ParseCtx *c, Expr *target, TypeExpr *ann, Expr *value);
Stmt *ast_augassign(ParseCtx *c, Expr *target, BinOp op, Loc oploc, Expr *value);
Stmt *ast_simple(ParseCtx *c, StmtKind kind, Loc loc);
Stmt *ast_return(ParseCtx *c, Loc loc, Expr *value);
Stmt *ast_if(ParseCtx *c, Loc loc, Expr *cond, StmtBuf then);
void ast_set_else(ParseCtx *c, Stmt *s, StmtBuf orelse);
Stmt *ast_elif(ParseCtx *c, Stmt *prev, Loc loc, Expr *cond, StmtBuf then);
Stmt *ast_if_done(ParseCtx *c, Stmt *first);
Stmt *ast_while(ParseCtx *c, Loc loc, Expr *cond, StmtBuf body);
Stmt *ast_for(ParseCtx *c, Loc loc, Expr *target, Expr *iter, StmtBuf body);
Stmt *ast_def(ParseCtx *c, Loc loc, const char *name, Loc name_loc, ParamBuf params,
              TypeExpr *ret, StmtBuf body, Loc end);
StmtList ast_block(ParseCtx *c, StmtBuf b, bool docstring_allowed);
}

%code {
#include <string.h>

/* Deep enough for any program within the limits (200 nested expression
   levels take a few thousand entries), small enough that the stack of a
   pathological input stays at a few tens of megabytes.  Exhaustion is
   reported as the nesting limit (see yyerror). */
#define YYMAXDEPTH 1000000

static inline int yylex(YYSTYPE *lval, YYLTYPE *lloc, ParseCtx *ctx)
{
    return lexer_next(lval, lloc, ctx);
}

static void yyerror(YYLTYPE *loc, ParseCtx *ctx, const char *msg);

#define LOC(yl) loc_make((yl).first_line, (yl).first_column)
#define LAST(yl) loc_make((yl).last_line, (yl).last_column)

static StmtBuf stmt_one(ParseCtx *ctx, Stmt *s)
{
    StmtBuf b = {0};
    if (s)
        BUF_PUSH(ctx, &b, s);
    return b;
}
}

%define api.pure full
%define api.token.prefix {T_}
%define parse.error custom
%define parse.lac full
%locations
%param {ParseCtx *ctx}
%expect 0

%union {
    const char *str;
    uint64_t uval;
    double fval;
    int op;             /* a BinOp or CmpOp */
    Expr *expr;
    Stmt *stmt;
    TypeExpr *type;
    Param param;
    ExprBuf exprs;
    StmtBuf stmts;
    ParamBuf params;
    TypeBuf types;
    IfChain ifs;
    CompFor cfor;
    CompBuf comps;
}

%token YYEOF 0          "end of file"
%token NEWLINE          "end of line"
%token INDENT           "indent"
%token DEDENT           "dedent"
%token <str> NAME       "name"
%token <uval> INT       "integer"
%token <fval> FLOAT     "number"
%token STRING           "string literal"
%token DEF "'def'" RETURN "'return'" LAMBDA "'lambda'" PASS "'pass'"
%token IF "'if'" ELIF "'elif'" ELSE "'else'" WHILE "'while'" FOR "'for'"
%token BREAK "'break'" CONTINUE "'continue'"
%token IN "'in'" IS "'is'" NOT "'not'" AND "'and'" OR "'or'"
%token TRUE "'True'" FALSE "'False'" NONE "'None'"
%token POW "'**'" FLOORDIV "'//'" ARROW "'->'"
%token LE "'<='" GE "'>='" EQ "'=='" NE "'!='"
%token <op> AUGASSIGN   "augmented assignment"
/* Never accepted by the grammar: they exist so that syntax errors can name
   the unsupported construct (see yyreport_syntax_error). */
%token <str> UNSUP_KW   "unsupported keyword"
%token <str> UNSUP_OP   "unsupported operator"
%token WALRUS           "':='"
%token LBRACE "'{'" RBRACE "'}'"

/* The one conflict the grammar resolves by precedence: in `a.b(x)` the
   '(' is shifted (a method call), never taken as a call of `a.b`. */
%precedence ATTRIBUTE
%precedence '('

%type <stmts> stmts stmt simple_line small_list suite
%type <stmt> small compound if_stmt while_stmt for_stmt funcdef
%type <ifs> if_chain
%type <exprs> exprs assign_chain args arglist for_exprs
%type <expr> testlist test lambdef or_test and_test not_test comparison arith term
%type <expr> factor power pow_chain primary atom arg for_target slice_bound
%type <cfor> comp_for
%type <comps> comp_clauses
%type <op> comp_op
%type <params> params param_list lparams lparam_list
%type <param> param lparam
%type <type> ret_ann type
%type <types> types

%%

/* ---- files and blocks ------------------------------------------------------
   Statements are appended to ctx->top as soon as they are complete, so a
   parse that aborts (EOF during recovery) still returns what came before. */

file
    : %empty
    | file stmt                 { for (int i = 0; i < $2.n; i++) BUF_PUSH(ctx, &ctx->top, $2.items[i]); }
    ;

stmts
    : %empty                    { $$ = (StmtBuf){0}; }
    | stmts stmt                { $$ = $1; for (int i = 0; i < $2.n; i++) BUF_PUSH(ctx, &$$, $2.items[i]); }
    ;

/* One logical line of simple statements, or one compound statement.  An
   indented block where none is expected is reported and parsed (so the
   errors inside it are found too), then dropped; after a line skipped by
   recovery the indent is a cascade of that error and stays silent. */
stmt
    : simple_line               { $$ = $1; ctx->prev_stmt_error = false; ctx->depth_reported = false; }
    | compound                  { $$ = stmt_one(ctx, $1); ctx->prev_stmt_error = false; }
    | error NEWLINE             { yyerrok; $$ = (StmtBuf){0}; ctx->prev_stmt_error = true;
                                  ctx->depth_reported = false; }
    | INDENT                    { if (!ctx->prev_stmt_error) diag_error(ctx->d, LOC(@1), "unexpected indent"); }
      stmts DEDENT              { $$ = (StmtBuf){0}; ctx->prev_stmt_error = false; }
    ;

/* A block: the one-line form `if x: a; b` or NEWLINE INDENT ... DEDENT. */
suite
    : simple_line               { $$ = $1; ctx->depth_reported = false; }
    | NEWLINE INDENT stmts DEDENT { $$ = $3; }
    ;

/* ---- simple statements -------------------------------------------------- */

simple_line
    : small_list NEWLINE        { $$ = $1; }
    | small_list ';' NEWLINE    { $$ = $1; }
    ;

small_list
    : small                     { $$ = stmt_one(ctx, $1); }
    | small_list ';' small      { $$ = $1; if ($3) BUF_PUSH(ctx, &$$, $3); }
    ;

/* A NULL small statement is an erroneous one already reported. */
small
    : testlist                  { $$ = ast_stmt_expr(ctx, $1); }
    | assign_chain              { $$ = ast_assign(ctx, $1); }
    | testlist AUGASSIGN testlist { $$ = ast_augassign(ctx, $1, (BinOp)$2, LOC(@2), $3); }
    | testlist ':' type '=' testlist
                                { $$ = ast_annassign(ctx, $1, $3, $5); }
    | testlist ':' type         { diag_error(ctx->d, LOC(@2), "an annotated name needs a value: NAME: TYPE = expression");
                                  $$ = NULL; }
    | PASS                      { $$ = ast_simple(ctx, S_PASS, LOC(@1)); }
    | BREAK                     { $$ = ast_simple(ctx, S_BREAK, LOC(@1)); }
    | CONTINUE                  { $$ = ast_simple(ctx, S_CONTINUE, LOC(@1)); }
    | RETURN testlist           { $$ = ast_return(ctx, LOC(@1), $2); }
    | RETURN                    { diag_error(ctx->d, LOC(@1), "'return' needs a value"); $$ = NULL; }
    ;

/* a = b = value: every item but the last is a target. */
assign_chain
    : testlist '=' testlist     { $$ = (ExprBuf){0}; BUF_PUSH(ctx, &$$, $1); BUF_PUSH(ctx, &$$, $3); }
    | assign_chain '=' testlist { $$ = $1; BUF_PUSH(ctx, &$$, $3); }
    ;

/* ---- compound statements ------------------------------------------------- */

compound
    : if_stmt
    | while_stmt
    | for_stmt
    | funcdef
    ;

/* if / elif ... / else.  The chain is left-recursive (so many elifs do not
   deepen the parser stack) and remembers its last S_IF, which receives the
   next elif or the else block. */
if_stmt
    : if_chain                  { $$ = ast_if_done(ctx, $1.first); }
    | if_chain ELSE ':' suite   { ast_set_else(ctx, $1.last, $4); $$ = ast_if_done(ctx, $1.first); }
    ;

if_chain
    : IF test ':' suite         { $$.first = $$.last = ast_if(ctx, LOC(@1), $2, $4); }
    | if_chain ELIF test ':' suite
                                { $$.first = $1.first; $$.last = ast_elif(ctx, $1.last, LOC(@2), $3, $5); }
    ;

while_stmt
    : WHILE test ':' suite      { $$ = ast_while(ctx, LOC(@1), $2, $4); }
    | WHILE test ':' suite ELSE ':' suite
                                { diag_error(ctx->d, LOC(@5), "'else' after a loop is not supported");
                                  $$ = ast_while(ctx, LOC(@1), $2, $4); }
    ;

/* The target is parsed at the level of `+` (as Python's star_targets) so
   that its 'in' is not a comparison.  ast_for makes `for NAME in
   range(...)` an S_FOR and any other iterable an S_FOREACH, and checks the
   target (a name; for S_FOREACH also a tuple of names). */
for_stmt
    : FOR for_target IN testlist ':' suite
                                { $$ = ast_for(ctx, LOC(@1), $2, $4, $6); }
    | FOR for_target IN testlist ':' suite ELSE ':' suite
                                { diag_error(ctx->d, LOC(@7), "'else' after a loop is not supported");
                                  $$ = ast_for(ctx, LOC(@1), $2, $4, $6); }
    ;

for_target
    : for_exprs                 { $$ = ast_testlist(ctx, $1, false); }
    | for_exprs ','             { $$ = ast_testlist(ctx, $1, true); }
    ;

for_exprs
    : arith                     { $$ = (ExprBuf){0}; BUF_PUSH(ctx, &$$, $1); }
    | for_exprs ',' arith       { $$ = $1; BUF_PUSH(ctx, &$$, $3); }
    ;

/* ---- functions -------------------------------------------------------------- */

funcdef
    : DEF NAME '(' params ')' ret_ann ':' suite
                                { $$ = ast_def(ctx, LOC(@1), $2, LOC(@2), $4, $6, $8, LAST(@8)); }
    ;

params
    : %empty                    { $$ = (ParamBuf){0}; }
    | param_list
    | param_list ','
    ;

param_list
    : param                     { $$ = (ParamBuf){0}; if ($1.name) BUF_PUSH(ctx, &$$, $1); }
    | param_list ',' param      { $$ = $1; if ($3.name) BUF_PUSH(ctx, &$$, $3); }
    ;

/* A Param with a NULL name is an erroneous one already reported. */
param
    : NAME                      { $$ = (Param){$1, LOC(@1), NULL}; }
    | NAME ':' type             { $$ = (Param){$1, LOC(@1), $3}; }
    | NAME '=' test             { diag_error(ctx->d, LOC(@2), "default parameter values are not supported");
                                  $$ = (Param){$1, LOC(@1), NULL}; }
    | NAME ':' type '=' test    { diag_error(ctx->d, LOC(@4), "default parameter values are not supported");
                                  $$ = (Param){$1, LOC(@1), $3}; }
    | '*' NAME                  { diag_error(ctx->d, LOC(@1), "'*args' parameters are not supported"); $$ = (Param){0}; }
    | '*' NAME ':' type         { diag_error(ctx->d, LOC(@1), "'*args' parameters are not supported"); $$ = (Param){0}; }
    | '*'                       { diag_error(ctx->d, LOC(@1), "keyword-only parameters are not supported"); $$ = (Param){0}; }
    | POW NAME                  { diag_error(ctx->d, LOC(@1), "'**kwargs' parameters are not supported"); $$ = (Param){0}; }
    | POW NAME ':' type         { diag_error(ctx->d, LOC(@1), "'**kwargs' parameters are not supported"); $$ = (Param){0}; }
    | '/'                       { diag_error(ctx->d, LOC(@1), "positional-only parameters are not supported"); $$ = (Param){0}; }
    ;

ret_ann
    : %empty                    { $$ = NULL; }
    | ARROW type                { $$ = $2; }
    ;

/* float, int, bool, list[T], and tuples of types: (float, (int, float)),
   (float,). */
type
    : NAME                      { $$ = ast_type_name(ctx, LOC(@1), $1); }
    | NAME '[' types ']'        { $$ = ast_type_generic(ctx, LOC(@1), $1, $3); }
    | '(' ')'                   { $$ = ast_type_tuple(ctx, LOC(@1), (TypeBuf){0}); }
    | '(' types ')'             { $$ = $2.n == 1 ? $2.items[0] : ast_type_tuple(ctx, LOC(@1), $2); }
    | '(' types ',' ')'         { $$ = ast_type_tuple(ctx, LOC(@1), $2); }
    ;

types
    : type                      { $$ = (TypeBuf){0}; BUF_PUSH(ctx, &$$, $1); }
    | types ',' type            { $$ = $1; BUF_PUSH(ctx, &$$, $3); }
    ;

/* lambda a, b: expr (no annotations, no defaults) */
lambdef
    : LAMBDA lparams ':' test   { $$ = ast_lambda(ctx, LOC(@1), $2, $4, LAST(@4)); }
    ;

lparams
    : %empty                    { $$ = (ParamBuf){0}; }
    | lparam_list
    | lparam_list ','
    ;

lparam_list
    : lparam                    { $$ = (ParamBuf){0}; if ($1.name) BUF_PUSH(ctx, &$$, $1); }
    | lparam_list ',' lparam    { $$ = $1; if ($3.name) BUF_PUSH(ctx, &$$, $3); }
    ;

lparam
    : NAME                      { $$ = (Param){$1, LOC(@1), NULL}; }
    | NAME '=' test             { diag_error(ctx->d, LOC(@2), "default parameter values are not supported");
                                  $$ = (Param){$1, LOC(@1), NULL}; }
    | '*' NAME                  { diag_error(ctx->d, LOC(@1), "'*args' parameters are not supported"); $$ = (Param){0}; }
    | '*'                       { diag_error(ctx->d, LOC(@1), "keyword-only parameters are not supported"); $$ = (Param){0}; }
    | POW NAME                  { diag_error(ctx->d, LOC(@1), "'**kwargs' parameters are not supported"); $$ = (Param){0}; }
    ;

/* ---- expressions, loosest first -------------------------------------------
   testlist: a, b, c  (a tuple when there is a comma; a trailing comma
   makes a 1-tuple).  Used where Python allows an unparenthesised tuple. */

testlist
    : exprs                     { $$ = ast_testlist(ctx, $1, false); }
    | exprs ','                 { $$ = ast_testlist(ctx, $1, true); }
    ;

exprs
    : test                      { $$ = (ExprBuf){0}; BUF_PUSH(ctx, &$$, $1); }
    | exprs ',' test            { $$ = $1; BUF_PUSH(ctx, &$$, $3); }
    ;

/* lambda < conditional expression (right-nested: a if b else c if d else e) */
test
    : or_test
    | or_test IF or_test ELSE test { $$ = ast_ifexp(ctx, $1, $3, $5); }
    | lambdef
    ;

/* or < and < not: boolean chains are flattened by ast_boolop. */
or_test
    : and_test
    | or_test OR and_test       { $$ = ast_boolop(ctx, $1, false, $3); }
    ;

and_test
    : not_test
    | and_test AND not_test     { $$ = ast_boolop(ctx, $1, true, $3); }
    ;

not_test
    : comparison
    | NOT not_test              { $$ = ast_unary(ctx, LOC(@1), UOP_NOT, $2); }
    ;

/* a < b <= c, x in a: one E_COMPARE.  'is' is parsed only to name it in
   an error. */
comparison
    : arith
    | comparison comp_op arith  { $$ = ast_compare(ctx, $1, (CmpOp)$2, LOC(@2), $3); }
    ;

comp_op
    : '<'                       { $$ = CMP_LT; }
    | '>'                       { $$ = CMP_GT; }
    | LE                        { $$ = CMP_LE; }
    | GE                        { $$ = CMP_GE; }
    | EQ                        { $$ = CMP_EQ; }
    | NE                        { $$ = CMP_NE; }
    | IN                        { $$ = CMP_IN; }
    | NOT IN                    { $$ = CMP_NOT_IN; }
    | IS                        { diag_error(ctx->d, LOC(@1), "'is' is not supported"); $$ = CMP_EQ; }
    | IS NOT                    { diag_error(ctx->d, LOC(@1), "'is not' is not supported"); $$ = CMP_NE; }
    ;

/* + - and * / // %: left-associative chains, flattened by ast_binary. */
arith
    : term
    | arith '+' term            { $$ = ast_binary(ctx, $1, OP_ADD, LOC(@2), $3); }
    | arith '-' term            { $$ = ast_binary(ctx, $1, OP_SUB, LOC(@2), $3); }
    ;

term
    : factor
    | term '*' factor           { $$ = ast_binary(ctx, $1, OP_MUL, LOC(@2), $3); }
    | term '/' factor           { $$ = ast_binary(ctx, $1, OP_DIV, LOC(@2), $3); }
    | term FLOORDIV factor      { $$ = ast_binary(ctx, $1, OP_FLOORDIV, LOC(@2), $3); }
    | term '%' factor           { $$ = ast_binary(ctx, $1, OP_MOD, LOC(@2), $3); }
    ;

/* unary - + bind looser than ** on their right: -2 ** 2 == -(2 ** 2). */
factor
    : power
    | '-' factor                { $$ = ast_unary(ctx, LOC(@1), UOP_NEG, $2); }
    | '+' factor                { $$ = ast_unary(ctx, LOC(@1), UOP_POS, $2); }
    ;

/* a ** b ** c is right-associative, but written left-recursively over
   primaries so the chain is built by appending (one E_BINARY); only the
   last operand may be a signed factor: 2 ** -x ** 2 == 2 ** (-(x ** 2)). */
power
    : pow_chain
    | pow_chain POW '-' factor  { $$ = ast_binary(ctx, $1, OP_POW, LOC(@2), ast_unary(ctx, LOC(@3), UOP_NEG, $4)); }
    | pow_chain POW '+' factor  { $$ = ast_binary(ctx, $1, OP_POW, LOC(@2), ast_unary(ctx, LOC(@3), UOP_POS, $4)); }
    ;

pow_chain
    : primary
    | pow_chain POW primary     { $$ = ast_binary(ctx, $1, OP_POW, LOC(@2), $3); }
    ;

/* calls, subscripts, slices and method calls: f(a, b)(c), t[0][1],
   a[i:j:k], a.pop().  An attribute that is not a method call is parsed only
   to report it. */
primary
    : atom
    | primary '(' args ')'      { $$ = ast_call(ctx, $1, $3); }
    | primary '[' test ']'      { $$ = ast_index(ctx, $1, $3); }
    | primary '[' exprs ',' ']' { diag_error(ctx->d, LOC(@4), "a subscript takes one index; for a list of lists write a[i][j]");
                                  $$ = $1; }
    | primary '[' exprs ',' test ']'
                                { diag_error(ctx->d, LOC(@4), "a subscript takes one index; for a list of lists write a[i][j]");
                                  $$ = $1; }
    | primary '[' slice_bound ':' slice_bound ']'
                                { $$ = ast_slice(ctx, $1, $3, $5, NULL); }
    | primary '[' slice_bound ':' slice_bound ':' slice_bound ']'
                                { $$ = ast_slice(ctx, $1, $3, $5, $7); }
    | primary '.' NAME '(' args ')'
                                { $$ = ast_method(ctx, $1, $3, LOC(@3), $5); }
    | primary '.' NAME %prec ATTRIBUTE
                                { $$ = ast_attribute(ctx, $1, $3, LOC(@3)); }
    ;

/* NULL: omitted */
slice_bound
    : %empty                    { $$ = NULL; }
    | test
    ;

/* A generator expression without its own parentheses must be the only
   argument (ast_check_args). */
args
    : %empty                    { $$ = (ExprBuf){0}; }
    | arglist                   { $$ = $1; ast_check_args(ctx, $$, false); }
    | arglist ','               { $$ = $1; ast_check_args(ctx, $$, true); }
    ;

arglist
    : arg                       { $$ = (ExprBuf){0}; if ($1) BUF_PUSH(ctx, &$$, $1); }
    | arglist ',' arg           { $$ = $1; if ($3) BUF_PUSH(ctx, &$$, $3); }
    ;

/* A NULL argument is an erroneous one already reported. */
arg
    : test
    | test comp_clauses         { $$ = ast_genexp_arg(ctx, $1, $2); }
    | test '=' test             { diag_error(ctx->d, LOC(@1), "keyword arguments are not supported"); $$ = NULL; }
    | '*' test                  { diag_error(ctx->d, LOC(@1), "argument unpacking ('*') is not supported"); $$ = NULL; }
    | POW test                  { diag_error(ctx->d, LOC(@1), "argument unpacking ('**') is not supported"); $$ = NULL; }
    ;

atom
    : NAME                      { $$ = ast_name(ctx, LOC(@1), $1); }
    | INT                       { $$ = ast_int(ctx, LOC(@1), $1); }
    | FLOAT                     { $$ = ast_float(ctx, LOC(@1), $1); }
    | TRUE                      { $$ = ast_bool(ctx, LOC(@1), true); }
    | FALSE                     { $$ = ast_bool(ctx, LOC(@1), false); }
    | NONE                      { diag_error(ctx->d, LOC(@1), "'None' is not supported"); $$ = ast_bool(ctx, LOC(@1), false); }
    | strings                   { $$ = ast_string(ctx, LOC(@1)); }
    | '(' ')'                   { $$ = ast_tuple(ctx, LOC(@1), (ExprBuf){0}); }
    | '(' testlist ')'          { $$ = ast_paren(ctx, LOC(@1), $2); }
    | '(' test comp_clauses ')' { $$ = ast_comp(ctx, E_GENEXP, LOC(@1), $2, $3); }
    | '[' ']'                   { $$ = ast_list(ctx, LOC(@1), (ExprBuf){0}); }
    | '[' exprs ']'             { $$ = ast_list(ctx, LOC(@1), $2); }
    | '[' exprs ',' ']'         { $$ = ast_list(ctx, LOC(@1), $2); }
    | '[' test comp_clauses ']' { $$ = ast_comp(ctx, E_LISTCOMP, LOC(@1), $2, $3); }
    ;

/* for T in A if c for U in B ...: as Python's for_if_clauses, the iterables
   and filters are or-tests. */
comp_clauses
    : comp_for                  { $$ = (CompBuf){0}; BUF_PUSH(ctx, &$$, $1); }
    | comp_clauses comp_for     { $$ = $1; BUF_PUSH(ctx, &$$, $2); $$.ifcap = 0; }
    | comp_clauses IF or_test   { $$ = $1; ast_comp_if(ctx, &$$, $3); }
    ;

comp_for
    : FOR for_target IN or_test { $$ = ast_comp_for(ctx, LOC(@1), $2, $4); }
    ;

/* "a" "b": adjacent literals are one string (only valid as a docstring). */
strings
    : STRING
    | strings STRING
    ;

%%

/* Bison calls this only when its stack is exhausted ("memory exhausted"):
   the input nests beyond anything the limits allow. */
static void yyerror(YYLTYPE *loc, ParseCtx *ctx, const char *msg)
{
    (void)msg;
    ast_nesting_error(ctx, LOC(*loc));
}

/* A token's name for messages, without bison's quotes around aliases. */
static void put_symbol(StrBuf *sb, yysymbol_kind_t kind)
{
    const char *name = yysymbol_name(kind);
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '"' && name[n - 1] == '"')
        sb_printf(sb, "%.*s", (int)(n - 2), name + 1);
    else
        sb_puts(sb, name);
}

/* The unexpected token as the user wrote it. */
static void put_unexpected(StrBuf *sb, ParseCtx *ctx, yysymbol_kind_t kind)
{
    switch (kind) {
    case YYSYMBOL_NAME:
    case YYSYMBOL_INT:
    case YYSYMBOL_FLOAT:
        put_symbol(sb, kind);
        sb_printf(sb, " '%s'", ctx->last_text);
        break;
    default:
        put_symbol(sb, kind);
    }
}

/* Syntax errors: constructs outside the language get their own message;
   everything else reads "syntax error: unexpected X[, expected Y or Z]". */
static int yyreport_syntax_error(const yypcontext_t *yyctx, ParseCtx *ctx)
{
    if (ctx->quiet || ctx->bad_char_line == ctx->logical_line + 1)
        return 0;   /* a cascade of an error the lexer reported */
    yysymbol_kind_t tok = yypcontext_token(yyctx);
    Loc loc = LOC(*yypcontext_location(yyctx));
    yysymbol_kind_t expected[YYNTOKENS];
    int nexp = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
    bool expects_indent = false, expects_colon = false, expects_else = false;
    for (int i = 0; i < nexp; i++) {
        expects_indent |= expected[i] == YYSYMBOL_INDENT;
        expects_colon |= !strcmp(yysymbol_name(expected[i]), "':'");
        expects_else |= expected[i] == YYSYMBOL_ELSE;
    }

    switch (tok) {
    case YYSYMBOL_UNSUP_KW:
        diag_error(ctx->d, loc, "'%s' is not supported", ctx->last_text);
        return 0;
    case YYSYMBOL_UNSUP_OP:
        if (!strcmp(ctx->last_text, "^") || !strcmp(ctx->last_text, "^="))
            diag_error(ctx->d, loc, "operator '%s' is not supported; use '**' for exponentiation", ctx->last_text);
        else
            diag_error(ctx->d, loc, "operator '%s' is not supported", ctx->last_text);
        return 0;
    case YYSYMBOL_NONE:
        diag_error(ctx->d, loc, "'None' is not supported");
        return 0;
    case YYSYMBOL_LBRACE:
        diag_error(ctx->d, loc, "dicts and sets are not supported");
        return 0;
    case YYSYMBOL_WALRUS:
        diag_error(ctx->d, loc, "assignment expressions (':=') are not supported");
        return 0;
    case YYSYMBOL_INDENT:
        diag_error(ctx->d, loc, "unexpected indent");
        return 0;
    default:
        break;
    }
    if (expects_indent && nexp == 1) {     /* after "...:" NEWLINE, not at any statement */
        diag_error(ctx->d, loc, "expected an indented block");
        return 0;
    }
    if (expects_else && !expects_colon) {   /* "a if c" with no else */
        diag_error(ctx->d, loc, "syntax error: expected 'else' (a conditional expression is 'a if c else b')");
        return 0;
    }
    if (tok == YYSYMBOL_NEWLINE && expects_colon) {   /* if x, def f(), else ... */
        diag_error(ctx->d, loc, "syntax error: expected ':'");
        return 0;
    }
    enum { MAX_SHOWN = 3 };     /* longer lists of expected tokens do not help */
    if (nexp > MAX_SHOWN)
        nexp = 0;
    StrBuf sb = {0};
    sb_puts(&sb, "syntax error: unexpected ");
    put_unexpected(&sb, ctx, tok);
    for (int i = 0; i < nexp; i++) {
        sb_puts(&sb, i == 0 ? ", expected " : i == nexp - 1 ? " or " : ", ");
        put_symbol(&sb, expected[i]);
    }
    diag_error(ctx->d, loc, "%s", sb_cstr(&sb));
    sb_free(&sb);
    return 0;
}

/* Byte size limit keeping every line and column within an int. */
enum { MAX_SOURCE_BYTES = 1 << 30 };

AstModule *parse_source(Arena *arena, Diags *d, const char *src, size_t len)
{
    AstModule *m = ARENA_NEW(arena, AstModule);
    if (len > MAX_SOURCE_BYTES) {
        diag_error(d, loc_make(1, 1), "source file is too large (limit %d bytes)", MAX_SOURCE_BYTES);
        return m;
    }
    ParseCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = arena;
    ctx.d = d;
    lexer_init(&ctx, src, len);
    yyparse(&ctx);
    lexer_destroy(&ctx);
    m->body = ast_block(&ctx, ctx.top, true);
    return m;
}
