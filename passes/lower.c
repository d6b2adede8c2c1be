/*
 * lower.c: the AST becomes the graph IR.
 *
 * Assumes: an AstModule from parse_source (possibly partial after parse
 * errors: NULL expressions and statements are tolerated).  Chains (operands
 * of E_BINARY, E_COMPARE, E_BOOLOP; statement lists; sequences of blocks)
 * may be arbitrarily long; expression and block nesting is bounded by the
 * parser (AST_MAX_EXPR_DEPTH, AST_MAX_BLOCK_DEPTH).  So this pass recurses
 * over nesting only, iterates along chains, and looks variables up across
 * blocks with an explicit stack (run_lookup).
 *
 * Guarantees: a module that passes ir_check (even after errors, with float
 * placeholders where a value was missing), untyped, with
 *   - one G_FUNCTION per top-level def (parent NULL, name = the def's name,
 *     src_name, param_ann, ret_ann) and one G_CONST per top-level constant
 *     NAME = expr, both registered in m->tops in source order; a reference to
 *     a constant is Apply(Constant(@NAME)), to a function Constant(@f);
 *   - every block of a function a graph (Braun et al.'s SSA construction
 *     read as "SSA is functional programming"):
 *       nested blocks, G_BRANCH closures selected by switch(c, @a, @b)():
 *         f:if.L / f:else.L      arms of an if statement
 *         f:body.L / f:exit.L    a loop's body and exit (children of the header)
 *         f:ifexp.L / f:ifelse.L x if c else y
 *         f:and.L / f:andval.L   the right operand of `and` / the short-circuit value
 *         f:or.L / f:orval.L     the same for `or`
 *         f:cmp.L / f:cmpval.L   the rest of a comparison chain / its false result
 *       join blocks, G_BLOCK graphs (parent: the function) entered by tail
 *       calls (jumps) whose arguments are the phis (parameters, named after
 *       the variable):
 *         f:endif.L              after an if whose arms fall through
 *         f:while.L / f:for.L    loop headers
 *         f:endwhile.L / f:endfor.L  after a loop
 *     each with its provenance (Graph.role, ir.h: GR_THEN for if, GR_LOOP
     for while and for, ...; src_label for a function), for the tracer;
     nested functions: f/g (def), f/lambda.L (lambda), f/comp.L (a
 *     comprehension clause, src_name <listcomp> or <genexpr>, called where
 *     it is made), f/x:ann.L (the identity function x: T = e calls to
 *     convert e, its parameter annotated T), parent = the block that creates
 *     them; a name already taken gets a .2, .3 ... suffix;
 *   - a variable read in a join block that is not defined there becomes a
 *     phi only when the incoming values differ or are not visible from the
 *     join block (a value of the function's entry block or a constant is used
 *     directly); loop headers are sealed after their body, as in Braun.
 *
 *   - values computed but never used (expression statements, assignments
 *     to variables never read, or read only by closures) still run, as in
 *     CPython: keep_unused attaches each to its block with
 *     depend(x..., v), ahead of the value, so their runtime and type errors
 *     are raised in source order;
 *   - a, b = t goes through unpack(t, 2), which checks the count;
 *   - lists are values (ir/prims.def, "lists"): a change (a[i] = e,
 *     m[i][j] += e, a.append(e), a.pop(), a += b ...) computes the new list
 *     and rebinds the variable under it, reading and writing back each row
 *     of a subscript chain, the variable and each index evaluated once in
 *     CPython's order; += and *= are iadd and imul everywhere;
 *   - a for loop over a list, enumerate or zip is an index loop like
 *     for-range (hidden counter NAME.for, which infer_lists.c recognises in
 *     its message for a loop over a tuple), reading a list variable the body
 *     does not rebind at every iteration (CPython's live list iterator);
 *   - nodes are made in source order (alias.c and inplace.c rely on
 *     Node.seq).
 */
#include "lower.h"
#include "grad.h"

#include "../src/util/strmap.h"
#include "../src/util/suggest.h"

#include <stdio.h>
#include <string.h>

/* ======================================================================
 * Hash tables (scratch memory on the heap, freed at the end of the pass)
 * ====================================================================== */

/* Integer keys (never 0) to a pointer and an integer.  Not the id map of
   src/util/idmap.h: the keys are pairs (a graph's or function's id and a
   symbol, key2), and callers update an entry's two fields in place. */
typedef struct MapEnt {
    uint64_t key;
    void *p;
    int64_t v;
} MapEnt;
typedef struct Map {
    MapEnt *e;
    size_t cap, len;
} Map;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A key from two 32-bit parts; never 0. */
static uint64_t key2(uint32_t a, uint32_t b) { return (((uint64_t)a + 1) << 32) | b; }

static MapEnt *map_get(const Map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
        if (m->e[i].key == key)
            return &m->e[i];
        if (!m->e[i].key)
            return NULL;
    }
}

/* Finds or inserts (p = NULL, v = 0) the entry for key. */
static MapEnt *map_put(Map *m, uint64_t key)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 32;
        MapEnt *ne = xcalloc(ncap, sizeof *ne);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].key)
                continue;
            size_t j = mix64(m->e[i].key) & (ncap - 1);
            while (ne[j].key)
                j = (j + 1) & (ncap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    size_t mask = m->cap - 1;
    for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
        if (m->e[i].key == key)
            return &m->e[i];
        if (!m->e[i].key) {
            m->e[i].key = key;
            m->len++;
            return &m->e[i];
        }
    }
}

static void map_free(Map *m)
{
    free(m->e);
    m->e = NULL;
    m->cap = m->len = 0;
}


/* ======================================================================
 * The pass's state
 * ====================================================================== */

/* Names the language reserves besides the PF_BUILTIN primitives: range and
   the list builtins (lowered to list primitives here), and the
   differentiation operators. */
enum {
    SP_NONE, SP_RANGE, SP_ENUMERATE, SP_ZIP, SP_LEN, SP_SUM, SP_LIST,
    SP_GRAD, SP_VALUE_AND_GRAD, SP_VJP, SP_JVP,
};
static bool is_diff_op(int sp) { return sp >= SP_GRAD; }

typedef struct TopDef {
    bool is_const;
    Graph *g;
    Loc loc;            /* the name */
    int order;          /* index of the statement in the module */
} TopDef;

/* An interned name, or a hidden variable the compiler made. */
typedef struct Sym {
    const char *name;
    int prim;           /* the PF_BUILTIN primitive of this name, or -1 */
    int special;        /* SP_* */
    bool hidden;        /* a for-loop's counter, stop or step: never captured, no warnings */
    TopDef *top;        /* the top-level function or constant of this name */
} Sym;

/* Lookup results.  VS_NONE is "absent" in the variable map; VS_PENDING
   marks a join block whose value is being computed (a cycle through it
   needs a phi there). */
enum { VS_NONE, VS_OK, VS_NEVER, VS_MAYBE, VS_PENDING };
typedef struct Val {
    Node *n;
    int st;
} Val;

/* What lowering knows about each graph it made (indexed by graph id). */
enum { BK_ENTRY, BK_NESTED, BK_JOIN };
typedef struct Incomplete {
    Node *phi;
    int sym;
    Loc loc;            /* the read that made it */
} Incomplete;
typedef struct Capture {
    int sym;
    Loc loc;
} Capture;
typedef struct BlockInfo {
    int kind;           /* BK_ENTRY: a function's or constant's graph; BK_NESTED: a
                           G_BRANCH, reads continue in the parent; BK_JOIN: a G_BLOCK */
    bool sealed;        /* every jump into the block exists */
    bool is_header;     /* a loop header: preds[0] is the loop entry */
    bool is_lambda;
    bool is_comp;       /* a G_FUNCTION: a comprehension's, called where it is made */
    int fn_id;          /* FnState id of the function the block belongs to */
    Loc def_loc;        /* G_FUNCTION: the def's name (arity notes) */
    VEC(Node *) preds;  /* jumps into a join block, in creation order */
    VEC(Incomplete) incomplete;     /* phis of an unsealed block, filled at sealing */
    Map assigned;       /* header: symbols assigned inside the loop */

    /* For the captured-variable check (check_rebinds). */
    bool expr;          /* a G_BRANCH of an expression (ifexp, and/or, comparison chain):
                           it runs inside the statement that holds it, not as a block */
    Node *sel;          /* a G_BRANCH: the switch(c, @a, @b)() that calls it */
    Node *konst;        /* a nested G_FUNCTION: the constant that makes its closure */
    int group;          /* a nested G_FUNCTION: its def group or lambda */
    VEC(Capture) caps;  /* a nested G_FUNCTION: the variables of the enclosing function it
                           captures (directly or through functions nested in it), first
                           capture of each */
    VEC(Graph *) members;   /* a G_FUNCTION: its own graphs (itself, blocks, branches) */
    VEC(Graph *) closures;  /* a G_FUNCTION: functions nested directly in it that capture */
    VEC(Graph *) cpreds, csuccs;    /* a statement block: control flow within the function */
    Graph *home;        /* the statement block whose code this graph's code is part of */
    uint32_t live_stamp, use_stamp, seen_stamp;    /* check_rebinds' marks */
    int64_t maxuse;     /* with use_stamp: the value's last use here */
} BlockInfo;

/* One assignment or capture, for the captured-variable-rebound check. */
typedef struct Event {
    int sym;
    Loc loc;
    int group;          /* def group or lambda of the capture; def group of a def binding; 0 */
    Graph *block;       /* an assignment: the block it is in, and m->nnodes then (nodes */
    uint32_t mark;      /* made before it have smaller ids) */
} Event;

/* A rebinding of a captured variable: an error when a closure that captured
   it may be called afterwards, else a warning (check_rebinds). */
typedef struct Rebind {
    Event ev;
    Graph *fn;          /* the function whose variable it is */
    Loc cap;            /* a capture (for the warning) */
    bool error;
    Loc err_cap, err_use;   /* the error's capture and later use */
    int use_kind;       /* U_* */
} Rebind;

typedef struct LoopCx {
    struct LoopCx *outer;       /* the enclosing loop of the same function */
    Graph *header, *after;      /* after: the block after the loop, made on first use */
    int line;
    int counter, step;          /* hidden symbols of a for-loop; -1 for while */
    Loc incr_loc;
    VEC(Event) assigns, captures;
} LoopCx;

typedef struct FnState {
    int id;
    struct FnState *outer;      /* the function this one is nested in */
    Graph *fn;                  /* G_FUNCTION or G_CONST */
    const FuncDef *def;         /* NULL for a constant */
    const TopDef *konst;        /* the constant being lowered, or NULL */
    Graph *cur;                 /* the current block; NULL when unreachable */
    LoopCx *loop;               /* innermost loop being lowered */
    int group;                  /* the def group or lambda this function belongs to */
    Loc created_at;             /* the def or lambda keyword */
} FnState;

typedef struct LFrame {
    Graph *b;
    int phase;                  /* PH_* */
    int i;                      /* next predecessor (PH_COLLECT) */
    Val *vals;                  /* incoming values (PH_COLLECT) */
    Node *phi;                  /* the phi being filled, or NULL (PH_COLLECT) */
} LFrame;
enum { PH_START, PH_PARENT, PH_ENTRY, PH_COLLECT };

typedef struct Lower {
    Arena *arena;
    Diags *d;
    Module *m;
    VEC(Sym) syms;
    StrMap symtab;              /* name -> index in syms */
    StrMap gnames;              /* graph names taken -> last suffix used */
    VEC(BlockInfo *) blocks;    /* by graph id */
    Map vars;                   /* (graph id, sym) -> Val */
    Map locals;                 /* (FnState id, sym): sym is local to the function */
    Map captures;               /* (FnState id, sym) -> Loc * of the first capture */
    Map reported;               /* (FnState id, sym): an unbound error was reported */
    Map warned;                 /* location of a rebinding already recorded */
    VEC(Rebind) rebinds;        /* rebindings of captured variables, for check_rebinds */
    Map kcaps;                  /* (closure graph id, sym): recorded in its caps */
    VEC(LFrame) stack;          /* run_lookup's explicit stack */
    FnState *fs;                /* the function being lowered */
    int next_id;                /* FnState and group ids */
} Lower;

static Sym *sym_of(Lower *L, int s) { return &L->syms.data[s]; }
static BlockInfo *binfo(Lower *L, const Graph *g) { return L->blocks.data[g->id]; }

static const struct { const char *name; int sp; } special_names[] = {
    {"range", SP_RANGE}, {"enumerate", SP_ENUMERATE}, {"zip", SP_ZIP}, {"len", SP_LEN},
    {"sum", SP_SUM}, {"list", SP_LIST}, {"grad", SP_GRAD}, {"value_and_grad", SP_VALUE_AND_GRAD},
    {"vjp", SP_VJP}, {"jvp", SP_JVP},
};

static int special_of(const char *name)
{
    for (size_t i = 0; i < sizeof special_names / sizeof special_names[0]; i++)
        if (strcmp(special_names[i].name, name) == 0)
            return special_names[i].sp;
    return SP_NONE;
}

static int intern(Lower *L, const char *name)
{
    bool fresh;
    StrEnt *e = strmap_put(&L->symtab, L->arena, name, &fresh);
    if (!fresh)
        return e->v;
    Sym s = {e->s, prim_builtin_lookup(name), special_of(name), false, NULL};
    e->v = L->syms.len;
    vec_push(&L->syms, s);
    return e->v;
}

static int new_hidden(Lower *L, const char *display)
{
    Sym s = {arena_strdup(L->arena, display), -1, SP_NONE, true, NULL};
    vec_push(&L->syms, s);
    return L->syms.len - 1;
}

static bool is_reserved(Lower *L, int s) { return sym_of(L, s)->prim >= 0 || sym_of(L, s)->special != SP_NONE; }

/* A placeholder value where one is missing after an error. */
static Node *placeholder(Lower *L, Loc loc) { return ir_const_float(L->m, 0.0, loc); }

/* ======================================================================
 * Graphs and blocks
 * ====================================================================== */

/* `base`, or base.2, base.3, ... when taken: unique in the module. */
static const char *unique_name(Lower *L, const char *base)
{
    bool fresh;
    StrEnt *e = strmap_put(&L->gnames, L->arena, base, &fresh);
    if (fresh)
        return e->s;
    const char *b = e->s;
    for (int k = e->v < 2 ? 2 : e->v + 1;; k++) {
        char *cand = arena_printf(L->arena, "%s.%d", b, k);
        StrEnt *c = strmap_put(&L->gnames, L->arena, cand, &fresh);
        if (fresh) {
            const char *name = c->s;   /* the next put may grow the map and move c */
            strmap_put(&L->gnames, L->arena, b, &fresh)->v = k;
            return name;
        }
    }
}

static Graph *new_graph(Lower *L, GraphKind kind, const char *base, Graph *parent, Loc loc, int bk)
{
    Graph *g = ir_graph_new(L->m, kind, unique_name(L, base), parent, loc);
    BlockInfo *bi = xcalloc(1, sizeof *bi);
    bi->kind = bk;
    bi->sealed = bk != BK_JOIN;
    bi->fn_id = L->fs ? L->fs->id : -1;
    while (L->blocks.len <= (int)g->id)
        vec_push(&L->blocks, NULL);
    L->blocks.data[g->id] = bi;
    vec_push(&binfo(L, g->fn)->members, g);
    return g;
}

/* The provenance of a block of kind `kind` (the names listed above). */
static GraphRole block_role(const char *kind)
{
    static const struct { const char *kind; GraphRole role; } roles[] = {
        {"if", GR_THEN}, {"else", GR_ELSE}, {"ifexp", GR_IFEXP}, {"ifelse", GR_IFELSE},
        {"while", GR_LOOP}, {"for", GR_LOOP}, {"body", GR_LOOP_BODY}, {"exit", GR_LOOP_EXIT},
        {"endwhile", GR_LOOP_END}, {"endfor", GR_LOOP_END}, {"endif", GR_JOIN},
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].kind, kind) == 0)
            return roles[i].role;
    return GR_OPERAND;      /* and, andval, or, orval, cmp, cmpval */
}

/* A G_BRANCH closure of the current block: f:KIND.LINE. */
static Graph *new_branch(Lower *L, const char *kind, Loc loc)
{
    FnState *fs = L->fs;
    Graph *g = new_graph(L, G_BRANCH, arena_printf(L->arena, "%s:%s.%d", fs->fn->name, kind, loc.line),
                         fs->cur, loc, BK_NESTED);
    g->role = (uint8_t)block_role(kind);
    return g;
}

/* A branch of an expression: part of the statement that holds it. */
static Graph *new_expr_branch(Lower *L, const char *kind, Loc loc)
{
    Graph *g = new_branch(L, kind, loc);
    binfo(L, g)->expr = true;
    return g;
}

/* A join block of the current function (unsealed). */
static Graph *new_join(Lower *L, const char *kind, Loc loc)
{
    FnState *fs = L->fs;
    Graph *g = new_graph(L, G_BLOCK, arena_printf(L->arena, "%s:%s.%d", fs->fn->name, kind, loc.line),
                         fs->fn, loc, BK_JOIN);
    g->role = (uint8_t)block_role(kind);
    return g;
}

/* Ends the current block with a jump to join block `to`.  The jump gets
   its arguments when `to` is sealed (or at once for phis made later). */
static void jump(Lower *L, Graph *to, Loc loc)
{
    Graph *from = L->fs->cur;
    BlockInfo *bi = binfo(L, to);
    if (bi->sealed)
        die("lower: jump into sealed block %s", to->name);
    Node *callee = ir_const_graph(L->m, to, loc);
    Node *j = ir_apply(from, &callee, 1, loc);
    ir_set_output(from, j);
    vec_push(&bi->preds, j);
    L->fs->cur = NULL;
}

/* switch(c, @t, @e)() in the current block. */
static Node *switch_call(Lower *L, Node *c, Graph *t, Graph *e, Loc loc)
{
    Graph *g = L->fs->cur;
    Node *sw = ir_apply_prim(g, P_SWITCH, loc, 3, c, ir_const_graph(L->m, t, loc),
                             ir_const_graph(L->m, e, loc));
    Node *call = ir_apply(g, &sw, 1, loc);
    binfo(L, t)->sel = binfo(L, e)->sel = call;
    return call;
}

/* ======================================================================
 * Variables: per-block maps and the lookup across blocks
 * ====================================================================== */

static MapEnt *var_get(Lower *L, const Graph *b, int sym) { return map_get(&L->vars, key2(b->id, (uint32_t)sym)); }

static void var_set(Lower *L, const Graph *b, int sym, Node *n, int st)
{
    MapEnt *e = map_put(&L->vars, key2(b->id, (uint32_t)sym));
    e->p = n;
    e->v = st;
}

static Val val_ok(Node *n) { Val v = {n, VS_OK}; return v; }

/* Whether join block b may use n directly: a node of an enclosing graph
   (the function's entry block, an outer function), or a constant, except the
   constant of a closure made in a block that does not enclose b (a lambda or
   def in an if arm or a loop body, read after the join): that closure needs
   its block's frame, so it reaches b as a value, through a phi. */
static bool visible_in(const Node *n, const Graph *b)
{
    if (n->kind == N_CONST)
        return !ir_is_const_graph(n) || !n->k.u.graph->parent || ir_graph_encloses(n->k.u.graph->parent, b);
    return ir_graph_encloses(n->graph, b);
}

static Node *make_phi(Lower *L, Graph *b, int sym, Loc loc)
{
    Node *p = ir_add_param(b, sym_of(L, sym)->name, loc);
    var_set(L, b, sym, p, VS_OK);
    BlockInfo *bi = binfo(L, b);
    if (!bi->sealed) {
        Incomplete inc = {p, sym, loc};
        vec_push(&bi->incomplete, inc);
    }
    return p;
}

static void push_frame(Lower *L, Graph *b)
{
    LFrame f = {b, PH_START, 0, NULL, NULL};
    vec_push(&L->stack, f);
}

/* Turns the top frame (a join block) into the collection of the values its
   predecessors give, for `phi` (or for a decision, when phi is NULL). */
static void start_collect(Lower *L, Node *phi)
{
    LFrame *f = &vec_last(&L->stack);
    BlockInfo *bi = binfo(L, f->b);
    f->phase = PH_COLLECT;
    f->phi = phi;
    f->i = 0;
    f->vals = xcalloc((size_t)(bi->preds.len ? bi->preds.len : 1), sizeof(Val));
    if (bi->preds.len)
        push_frame(L, bi->preds.data[0]->graph);
}

/* All incoming values of join block f->b are known: use the common value,
   or make (or complete) a phi and pass the values along the jumps. */
static Val finish_collect(Lower *L, LFrame *f, int sym, Loc loc)
{
    BlockInfo *bi = binfo(L, f->b);
    int n = bi->preds.len;
    Node *phi = f->phi;
    if (!phi) {     /* a cycle through this block may have made one meanwhile */
        MapEnt *e = var_get(L, f->b, sym);
        if (e && e->v == VS_OK)
            phi = e->p;
    }
    bool any_ok = false, any_maybe = false, any_never = false, same = true;
    Node *first = NULL;
    for (int i = 0; i < n; i++) {
        Val v = f->vals[i];
        if (v.st == VS_OK) {
            if (v.n == phi)
                continue;
            any_ok = true;
            if (!first)
                first = v.n;
            else if (v.n != first)
                same = false;
        } else if (v.st == VS_MAYBE) {
            any_maybe = true;
        } else {
            any_never = true;
        }
    }
    bool bad = any_maybe || any_never || (!phi && n == 0);
    int badst = any_ok || any_maybe ? VS_MAYBE : VS_NEVER;
    if (!phi) {
        Val r = {NULL, badst};
        if (!bad && same && visible_in(first, f->b))
            r = val_ok(first);
        if (r.n || bad) {
            var_set(L, f->b, sym, r.n, r.st);
            return r;
        }
        phi = make_phi(L, f->b, sym, loc);
    }
    for (int i = 0; i < n; i++) {
        Val v = f->vals[i];
        ir_apply_append(bi->preds.data[i], v.st == VS_OK ? v.n : placeholder(L, loc));
    }
    Val r = {phi, bad ? badst : VS_OK};
    /* When an incomplete phi is completed at sealing, the block's own code
       (a `while True` body runs in its header) may have rebound sym since:
       keep that binding. */
    MapEnt *e = var_get(L, f->b, sym);
    if (!e || e->v == VS_PENDING || e->p == phi)
        var_set(L, f->b, sym, phi, r.st);
    return r;
}

static void pop_frame(Lower *L)
{
    free(vec_last(&L->stack).vals);
    L->stack.len--;
}

/*
 * The value of variable `sym` at the end of block `start` (Braun's
 * readVariable), without recursion: a frame per block being resolved.
 *   nested block: the value in its parent;
 *   entry block: unbound (parameters and assignments are in the map);
 *   join block: the values its jumps bring, or a phi.  A loop header
 *     reads a variable the loop never assigns from the loop entry only;
 *     an unsealed header gets an incomplete phi; a block met again while
 *     its value is pending is on a cycle and gets the phi there.
 * With fill_phi, completes that (incomplete) phi of join block `start`.
 * Results are cached in every block visited.
 */
static Val run_lookup(Lower *L, Graph *start, Node *fill_phi, int sym, Loc loc)
{
    int base = L->stack.len;
    push_frame(L, start);
    if (fill_phi)
        start_collect(L, fill_phi);
    Val ret = {NULL, VS_NEVER};
    bool have = false;      /* ret holds the result of the frame just popped */
    while (L->stack.len > base) {
        LFrame *f = &vec_last(&L->stack);
        Graph *b = f->b;
        BlockInfo *bi = binfo(L, b);
        if (have) {
            have = false;
            if (f->phase == PH_PARENT) {
                var_set(L, b, sym, ret.n, ret.st);
            } else if (f->phase == PH_ENTRY) {
                MapEnt *e = var_get(L, b, sym);
                if (e && e->v == VS_OK) {           /* a cycle made a phi here */
                    if (bi->sealed) {
                        start_collect(L, e->p);
                        continue;
                    }
                    ret = val_ok(e->p);
                } else if (ret.st == VS_OK && !visible_in(ret.n, b)) {
                    Node *p = make_phi(L, b, sym, loc);
                    if (bi->sealed) {
                        start_collect(L, p);
                        continue;
                    }
                    ret = val_ok(p);
                } else {
                    var_set(L, b, sym, ret.n, ret.st);
                }
            } else {    /* PH_COLLECT */
                f->vals[f->i++] = ret;
                if (f->i < bi->preds.len) {
                    push_frame(L, bi->preds.data[f->i]->graph);
                    continue;
                }
                ret = finish_collect(L, f, sym, loc);
            }
            pop_frame(L);
            have = true;
            continue;
        }
        if (f->phase == PH_COLLECT) {   /* a join block without predecessors */
            ret = finish_collect(L, f, sym, loc);
            pop_frame(L);
            have = true;
            continue;
        }
        MapEnt *e = var_get(L, b, sym);
        if (e && e->v == VS_PENDING) {
            ret = val_ok(make_phi(L, b, sym, loc));
        } else if (e && e->v != VS_NONE) {
            ret.n = e->p;
            ret.st = (int)e->v;
        } else if (bi->kind == BK_ENTRY) {
            ret.n = NULL;
            ret.st = VS_NEVER;
            var_set(L, b, sym, NULL, VS_NEVER);
        } else if (bi->kind == BK_NESTED) {
            f->phase = PH_PARENT;
            push_frame(L, b->parent);
            continue;
        } else if (bi->is_header && bi->preds.len && !map_get(&bi->assigned, key2(0, (uint32_t)sym))) {
            var_set(L, b, sym, NULL, VS_PENDING);
            f->phase = PH_ENTRY;
            push_frame(L, bi->preds.data[0]->graph);
            continue;
        } else if (!bi->sealed) {
            ret = val_ok(make_phi(L, b, sym, loc));
        } else if (bi->is_header) {
            start_collect(L, make_phi(L, b, sym, loc));
            continue;
        } else {
            var_set(L, b, sym, NULL, VS_PENDING);
            start_collect(L, NULL);
            continue;
        }
        pop_frame(L);
        have = true;
    }
    return ret;
}

static void report_unbound(Lower *L, int fn_id, int sym, int st, Loc loc)
{
    MapEnt *e = map_put(&L->reported, key2((uint32_t)fn_id, (uint32_t)sym));
    if (e->v)
        return;
    e->v = 1;
    if (st == VS_NEVER)
        diag_error(L->d, loc, "local variable '%s' is used before assignment", sym_of(L, sym)->name);
    else
        diag_error(L->d, loc, "variable '%s' may be unbound here", sym_of(L, sym)->name);
}

/* Every jump into b exists: completes its incomplete phis. */
static void seal(Lower *L, Graph *b)
{
    BlockInfo *bi = binfo(L, b);
    bi->sealed = true;
    for (int k = 0; k < bi->incomplete.len; k++) {
        Incomplete inc = bi->incomplete.data[k];
        Val r = run_lookup(L, b, inc.phi, inc.sym, inc.loc);
        if (r.st != VS_OK)
            report_unbound(L, bi->fn_id, inc.sym, r.st, inc.loc);
    }
    vec_free(&bi->incomplete);
}

/* The value of local `sym` of function fs in its current block (for a
   capture, fs is the enclosing function and its current block is where the
   closure is being created). */
static Node *read_var(Lower *L, FnState *fs, int sym, Loc loc)
{
    Val v = run_lookup(L, fs->cur, NULL, sym, loc);
    if (v.st == VS_OK)
        return v.n;
    int before = L->d->nerrors;
    report_unbound(L, fs->id, sym, v.st, loc);
    if (L->d->nerrors > before && fs != L->fs) {
        FnState *c = L->fs;
        while (c->outer != fs)
            c = c->outer;
        diag_note(L->d, c->created_at, "the closure is created here and captures the value '%s' has at this point",
                  sym_of(L, sym)->name);
    }
    return placeholder(L, loc);
}

/* ---- rebinding a captured variable ------------------------------------------------ */

/* Assignment a, in function fn, rebinds a variable that a closure created
   earlier (or in an earlier iteration) captured, at cap.  Recorded here;
   check_rebinds decides, once the module is lowered, whether that closure
   may be called afterwards (an error) or not (a warning). */
static void note_rebind(Lower *L, const Event *a, Graph *fn, Loc cap)
{
    MapEnt *e = map_put(&L->warned, key2((uint32_t)a->loc.line, (uint32_t)a->loc.col));
    if (e->v)
        return;
    e->v = 1;
    Rebind r = {*a, fn, cap, false, LOC_NONE, LOC_NONE, 0};
    vec_push(&L->rebinds, r);
}

/* A nested function reads variable sym of `owner` at loc. */
static void note_capture(Lower *L, FnState *owner, int sym, Loc loc)
{
    FnState *c = L->fs;
    while (c->outer != owner)
        c = c->outer;
    /* A comprehension runs where it is made: a rebinding after it (or a
       change of a list it read) cannot be seen by it, nor by the closures
       made inside it, which cannot outlive it (a list holds no functions). */
    if (binfo(L, c->fn)->is_comp)
        return;
    MapEnt *e = map_put(&L->captures, key2((uint32_t)owner->id, (uint32_t)sym));
    if (!e->p) {
        Loc *p = ARENA_NEW(L->arena, Loc);
        *p = loc;
        e->p = p;
    }
    /* what the closure of c, made in owner, captures */
    MapEnt *k = map_put(&L->kcaps, key2(c->fn->id, (uint32_t)sym));
    if (!k->v) {
        k->v = 1;
        BlockInfo *ci = binfo(L, c->fn);
        if (!ci->caps.len)
            vec_push(&binfo(L, owner->fn)->closures, c->fn);
        Capture cp = {sym, loc};
        vec_push(&ci->caps, cp);
    }
    if (owner->loop) {
        Event ev = {sym, loc, c->group, NULL, 0};
        vec_push(&owner->loop->captures, ev);
    }
}

/* A loop is done: warn about assignments in it to variables captured in it,
   and hand its events to the enclosing loop. */
static void finish_loop_events(Lower *L, LoopCx *lc)
{
    if (lc->captures.len && lc->assigns.len) {
        /* per symbol: the first capture, and the first one of another group */
        Map cap = {0};
        for (int i = 0; i < lc->captures.len; i++) {
            Event *c = &lc->captures.data[i];
            MapEnt *e = map_put(&cap, (uint64_t)c->sym + 1);
            if (!e->p)
                e->p = c;
            else if (e->v == 0 && ((Event *)e->p)->group != c->group)
                e->v = i + 1;
        }
        for (int i = 0; i < lc->assigns.len; i++) {
            Event *a = &lc->assigns.data[i];
            MapEnt *e = map_get(&cap, (uint64_t)a->sym + 1);
            if (!e)
                continue;
            Event *c = e->p;
            if (a->group && c->group == a->group)
                c = e->v ? &lc->captures.data[e->v - 1] : NULL;
            if (c)
                note_rebind(L, a, L->fs->fn, c->loc);
        }
        map_free(&cap);
    }
    if (lc->outer) {
        for (int i = 0; i < lc->assigns.len; i++)
            vec_push(&lc->outer->assigns, lc->assigns.data[i]);
        for (int i = 0; i < lc->captures.len; i++)
            vec_push(&lc->outer->captures, lc->captures.data[i]);
    }
    vec_free(&lc->assigns);
    vec_free(&lc->captures);
}

/* Binds local `sym` to v in the current block (an assignment at loc). */
static void bind(Lower *L, int sym, Node *v, Loc loc, int group)
{
    FnState *fs = L->fs;
    var_set(L, fs->cur, sym, v, VS_OK);
    Sym *s = sym_of(L, sym);
    if (v->kind == N_APPLY && !v->name)
        v->name = s->name;
    if (s->hidden)
        return;
    Event ev = {sym, loc, group, fs->cur, L->m->nnodes};
    MapEnt *c = map_get(&L->captures, key2((uint32_t)fs->id, (uint32_t)sym));
    if (c)
        note_rebind(L, &ev, fs->fn, *(Loc *)c->p);
    if (fs->loop)
        vec_push(&fs->loop->assigns, ev);
}

/* ======================================================================
 * Which names a function (or loop body) assigns
 * ====================================================================== */

static void collect_target(Lower *L, const Expr *t, Map *set, uint32_t owner)
{
    if (!t)
        return;
    if (t->kind == E_NAME) {
        int s = intern(L, t->name);
        if (!is_reserved(L, s))
            map_put(set, key2(owner, (uint32_t)s))->v = 1;
    } else if (t->kind == E_TUPLE) {
        for (int i = 0; i < t->items.n; i++)
            collect_target(L, t->items.items[i], set, owner);
    }
}

/* What collect_assigned gathers: the names a function binds (its locals);
   those and the list variables changed in place (a loop's header needs a
   phi for both); the names rebound by plain assignment only (a for loop
   over a variable reads it live unless the body rebinds it). */
enum { CA_NAMES, CA_CHANGED, CA_REBOUND };

/* The variable under a subscript chain NAME[i][j]..., or NULL. */
static const Expr *subscript_root(const Expr *t)
{
    while (t && t->kind == E_INDEX)
        t = t->index.base;
    return t && t->kind == E_NAME ? t : NULL;
}

/* The list variables that the list methods in e change (a.append(x),
   m[i].pop() ...), outside nested functions and comprehensions (which
   cannot change their enclosing function's variables).  Recursion over
   expression nesting only. */
static void collect_changes(Lower *L, const Expr *e, Map *set, uint32_t owner)
{
    if (!e)
        return;
    switch (e->kind) {
    case E_INT: case E_FLOAT: case E_BOOL: case E_NAME: case E_LAMBDA: case E_LISTCOMP: case E_GENEXP:
        break;
    case E_TUPLE:
    case E_LIST:
        for (int i = 0; i < e->items.n; i++)
            collect_changes(L, e->items.items[i], set, owner);
        break;
    case E_INDEX:
        collect_changes(L, e->index.base, set, owner);
        collect_changes(L, e->index.index, set, owner);
        break;
    case E_SLICE:
        collect_changes(L, e->slice.base, set, owner);
        collect_changes(L, e->slice.lower, set, owner);
        collect_changes(L, e->slice.upper, set, owner);
        collect_changes(L, e->slice.step, set, owner);
        break;
    case E_CALL:
        collect_changes(L, e->call.fn, set, owner);
        for (int i = 0; i < e->call.args.n; i++)
            collect_changes(L, e->call.args.items[i], set, owner);
        break;
    case E_METHOD:
        if (strcmp(e->method.name, "copy") != 0)
            collect_target(L, subscript_root(e->method.base), set, owner);
        collect_changes(L, e->method.base, set, owner);
        for (int i = 0; i < e->method.args.n; i++)
            collect_changes(L, e->method.args.items[i], set, owner);
        break;
    case E_UNARY: collect_changes(L, e->unary.operand, set, owner); break;
    case E_BINARY:
        for (int i = 0; i < e->binary.n; i++)
            collect_changes(L, e->binary.operands[i], set, owner);
        break;
    case E_COMPARE:
        for (int i = 0; i < e->compare.n; i++)
            collect_changes(L, e->compare.operands[i], set, owner);
        break;
    case E_BOOLOP:
        for (int i = 0; i < e->boolop.n; i++)
            collect_changes(L, e->boolop.operands[i], set, owner);
        break;
    case E_IFEXP:
        collect_changes(L, e->ifexp.cond, set, owner);
        collect_changes(L, e->ifexp.then, set, owner);
        collect_changes(L, e->ifexp.orelse, set, owner);
        break;
    }
}

/* Adds (owner, sym) to set for every name bound in body (as `mode` says),
   outside nested functions (recursion over block nesting only). */
static void collect_assigned(Lower *L, const StmtList *body, Map *set, uint32_t owner, int mode)
{
    bool changed = mode == CA_CHANGED;
    for (int i = 0; i < body->n; i++) {
        const Stmt *s = body->items[i];
        if (!s)
            continue;
        switch (s->kind) {
        case S_EXPR:
            if (changed)
                collect_changes(L, s->expr, set, owner);
            break;
        case S_ASSIGN:
            for (int k = 0; k < s->assign.ntargets; k++) {
                const Expr *t = s->assign.targets[k];
                collect_target(L, t, set, owner);
                if (changed && t && t->kind == E_TUPLE)
                    for (int j = 0; j < t->items.n; j++)
                        collect_target(L, subscript_root(t->items.items[j]), set, owner);
                if (changed && t && t->kind == E_INDEX)
                    collect_target(L, subscript_root(t), set, owner);
            }
            if (changed)
                collect_changes(L, s->assign.value, set, owner);
            break;
        case S_AUGASSIGN:
            if (mode != CA_REBOUND)
                collect_target(L, changed ? subscript_root(s->aug.target) : s->aug.target, set, owner);
            if (changed)
                collect_changes(L, s->aug.value, set, owner);
            break;
        case S_FOR:
        case S_FOREACH:
            collect_target(L, s->for_.target, set, owner);
            collect_assigned(L, &s->for_.body, set, owner, mode);
            if (changed) {
                for (int k = 0; k < s->for_.nargs; k++)
                    collect_changes(L, s->for_.args[k], set, owner);
                collect_changes(L, s->for_.iter, set, owner);
            }
            break;
        case S_IF:
            if (changed)
                collect_changes(L, s->if_.cond, set, owner);
            collect_assigned(L, &s->if_.then, set, owner, mode);
            collect_assigned(L, &s->if_.orelse, set, owner, mode);
            break;
        case S_WHILE:
            if (changed)
                collect_changes(L, s->while_.cond, set, owner);
            collect_assigned(L, &s->while_.body, set, owner, mode);
            break;
        case S_RETURN:
            if (changed)
                collect_changes(L, s->ret, set, owner);
            break;
        case S_DEF:
            if (s->def) {
                int sym = intern(L, s->def->name);
                if (!is_reserved(L, sym))
                    map_put(set, key2(owner, (uint32_t)sym))->v = 1;
            }
            break;
        default:
            break;
        }
    }
}

static bool is_local(Lower *L, const FnState *fs, int sym)
{
    return map_get(&L->locals, key2((uint32_t)fs->id, (uint32_t)sym)) != NULL;
}

/* ======================================================================
 * Expressions
 * ====================================================================== */

static Node *lower_expr(Lower *L, const Expr *e);
static void lower_stmts(Lower *L, const StmtList *sl);
static Graph *make_function_graph(Lower *L, const FuncDef *fd, const char *name, Graph *parent);
static void lower_function_body(Lower *L, const FuncDef *fd, Graph *g, int group);
static Node *lower_iterable_arg(Lower *L, const Expr *a);
static Node *lower_method(Lower *L, const Expr *e, bool stmt);
static Node *lower_comp(Lower *L, const Expr *e, const Expr *sum);
static Node *lower_list_builtin(Lower *L, const Expr *e, int sp);

static const PrimId binop_prim[] = {
    [OP_ADD] = P_ADD, [OP_SUB] = P_SUB, [OP_MUL] = P_MUL, [OP_DIV] = P_TRUEDIV,
    [OP_FLOORDIV] = P_FLOORDIV, [OP_MOD] = P_MOD, [OP_POW] = P_POW,
};
static const PrimId cmp_prim[] = {
    [CMP_LT] = P_LT, [CMP_LE] = P_LE, [CMP_GT] = P_GT, [CMP_GE] = P_GE, [CMP_EQ] = P_EQ, [CMP_NE] = P_NE,
};

/* An integer literal, optionally negated (or with a unary plus). */
static bool int_literal(const Expr *e, int64_t *k)
{
    if (!e)
        return false;
    if (e->kind == E_INT) {
        *k = e->ival;
        return true;
    }
    if (e->kind == E_UNARY && e->unary.operand && e->unary.operand->kind == E_INT && e->unary.op != UOP_NOT) {
        int64_t v = e->unary.operand->ival;
        *k = e->unary.op == UOP_NEG ? (int64_t)(0 - (uint64_t)v) : v;
        return true;
    }
    return false;
}

/* A reference to a top-level function or constant. */
static Node *lower_top_ref(Lower *L, int sym, Loc loc, bool callee)
{
    FnState *fs = L->fs;
    const TopDef *t = sym_of(L, sym)->top;
    const char *name = sym_of(L, sym)->name;
    if (fs->konst) {
        const char *cname = fs->fn->name;
        if (!t->is_const) {
            if (callee)
                diag_error(L->d, loc, "constants may not call user functions");
            else
                diag_error(L->d, loc, "constants may not refer to user function '%s'", name);
            return placeholder(L, loc);
        }
        if (t == fs->konst) {
            diag_error(L->d, loc, "constant '%s' refers to itself", cname);
            return placeholder(L, loc);
        }
        if (t->order > fs->konst->order) {
            diag_error(L->d, loc, "constant '%s' uses '%s', which is defined later", cname, name);
            return placeholder(L, loc);
        }
    }
    Node *c = ir_const_graph(L->m, t->g, loc);
    if (t->is_const)
        return ir_apply(fs->cur, &c, 1, loc);
    return c;
}

/* "undefined name 'x'", with the nearest name in scope when one is close
   (suggest.h): the function's and its enclosing functions' variables and
   parameters, the top-level definitions, the builtins and the operators.
   Past the error limit no suggestion is looked for (it would be dropped,
   and a file of thousands of misspellings must stay linear). */
static void undefined_name(Lower *L, const FnState *fs, const char *name, Loc loc)
{
    Suggest sg;
    suggest_init(&sg, name);
    if (L->d->nerrors < L->d->max_errors) {
        for (int s = 0; s < L->syms.len; s++) {
            const Sym *sy = sym_of(L, s);
            if (sy->hidden)
                continue;
            bool visible = sy->top != NULL;
            for (const FnState *o = fs; o && !visible; o = o->outer)
                visible = is_local(L, o, s);
            if (visible)
                suggest_consider(&sg, sy->name);
        }
        for (int p = 0; p < P__COUNT; p++)
            if (prim_table[p].flags & PF_BUILTIN)
                suggest_consider(&sg, prim_table[p].name);
        for (size_t i = 0; i < sizeof special_names / sizeof special_names[0]; i++)
            suggest_consider(&sg, special_names[i].name);
    }
    if (sg.best)
        diag_error(L->d, loc, "undefined name '%s'; did you mean '%s'?", name, sg.best);
    else
        diag_error(L->d, loc, "undefined name '%s'", name);
}

/* A name read as a value (callee: in call position). */
static Node *lower_name(Lower *L, const char *name, Loc loc, bool callee)
{
    FnState *fs = L->fs;
    int s = intern(L, name);
    if (is_local(L, fs, s))
        return read_var(L, fs, s, loc);
    for (FnState *o = fs->outer; o; o = o->outer) {
        if (is_local(L, o, s)) {
            Node *v = read_var(L, o, s, loc);
            note_capture(L, o, s, loc);
            return v;
        }
    }
    Sym *sy = sym_of(L, s);
    if (sy->top)
        return lower_top_ref(L, s, loc, callee);
    if (sy->prim >= 0)
        return ir_const_prim(L->m, (PrimId)sy->prim, loc);
    if (sy->special == SP_RANGE)
        diag_error(L->d, loc, "'range' can only be used in a for-loop header: for i in range(...)");
    else if (sy->special == SP_ENUMERATE || sy->special == SP_ZIP)
        diag_error(L->d, loc, "'%s' can only be used as what a for loop or a comprehension runs over: "
                   "for x in %s(...)", name, name);
    else if (sy->special != SP_NONE && !is_diff_op(sy->special))
        diag_error(L->d, loc, "the builtin '%s' is not a value: call it, as in %s(xs)", name, name);
    else if (sy->special != SP_NONE)
        diag_error(L->d, loc, "'%s' is an operator, not a value: call it, as in %s(f)", name, name);
    else
        undefined_name(L, fs, name, loc);
    return placeholder(L, loc);
}

static Node *lower_unary(Lower *L, const Expr *e)
{
    const Expr *x = e->unary.operand;
    if (e->unary.op == UOP_NEG && x && x->kind == E_INT)
        return ir_const_int(L->m, (int64_t)(0 - (uint64_t)x->ival), e->loc);
    if (e->unary.op == UOP_NEG && x && x->kind == E_FLOAT)
        return ir_const_float(L->m, -x->fval, e->loc);
    Node *v = lower_expr(L, x);
    PrimId p = e->unary.op == UOP_NEG ? P_NEG : e->unary.op == UOP_POS ? P_POS : P_NOT;
    return ir_apply_prim(L->fs->cur, p, e->loc, 1, v);
}

/* a op b op c ...: left-associative, except ** (all operands first, then
   folded from the right). */
static Node *lower_binary(Lower *L, const Expr *e)
{
    int n = e->binary.n;
    if (n <= 0)
        return placeholder(L, e->loc);
    if (n > 1 && e->binary.ops[0] == OP_POW) {
        Node **v = xmalloc(sizeof(Node *) * (size_t)n);
        for (int i = 0; i < n; i++)
            v[i] = lower_expr(L, e->binary.operands[i]);
        Node *acc = v[n - 1];
        for (int i = n - 2; i >= 0; i--)
            acc = ir_apply_prim(L->fs->cur, P_POW, e->binary.oplocs[i], 2, v[i], acc);
        free(v);
        return acc;
    }
    Node *acc = lower_expr(L, e->binary.operands[0]);
    for (int i = 1; i < n; i++) {
        Node *r = lower_expr(L, e->binary.operands[i]);
        acc = ir_apply_prim(L->fs->cur, binop_prim[e->binary.ops[i - 1]], e->binary.oplocs[i - 1], 2, acc, r);
    }
    return acc;
}

/* The value of a chain of nested branches: in the block where the chain
   starts it is the result, in a branch its output. */
static void chain_value(Lower *L, Graph *home, Node *v, Node **result)
{
    if (L->fs->cur == home)
        *result = v;
    else
        ir_set_output(L->fs->cur, v);
}

/* a < b < c: (a < b) and (b < c) with b evaluated once and c only when
   a < b holds.  Each further comparison lives in a nested branch. */
static Node *lower_compare(Lower *L, const Expr *e)
{
    int n = e->compare.n;
    if (n < 2)
        return n == 1 ? lower_expr(L, e->compare.operands[0]) : placeholder(L, e->loc);
    Graph *home = L->fs->cur;
    Node *result = NULL;
    Node *prev = lower_expr(L, e->compare.operands[0]);
    for (int i = 1; i < n; i++) {
        Node *v = lower_expr(L, e->compare.operands[i]);
        Loc oploc = e->compare.oplocs[i - 1];
        CmpOp op = e->compare.ops[i - 1];
        Node *t;
        if (op == CMP_IN || op == CMP_NOT_IN) {     /* x in a: list_contains(a, x) */
            t = ir_apply_prim(L->fs->cur, P_LIST_CONTAINS, oploc, 2, v, prev);
            if (op == CMP_NOT_IN)
                t = ir_apply_prim(L->fs->cur, P_NOT, oploc, 1, t);
        } else {
            t = ir_apply_prim(L->fs->cur, cmp_prim[op], oploc, 2, prev, v);
        }
        if (i == n - 1) {
            chain_value(L, home, t, &result);
            break;
        }
        Graph *rest = new_expr_branch(L, "cmp", oploc);
        Graph *stop = new_expr_branch(L, "cmpval", oploc);
        ir_set_output(stop, t);
        chain_value(L, home, switch_call(L, t, rest, stop, oploc), &result);
        L->fs->cur = rest;
        prev = v;
    }
    L->fs->cur = home;
    return result;
}

/* a and b and c: v = a; switch(v, @rest, @v)() (or: @v, @rest), nested. */
static Node *lower_boolop(Lower *L, const Expr *e)
{
    int n = e->boolop.n;
    if (n < 1)
        return placeholder(L, e->loc);
    bool is_and = e->boolop.is_and;
    Graph *home = L->fs->cur;
    Node *result = NULL;
    Node *v = lower_expr(L, e->boolop.operands[0]);
    for (int i = 1; i < n; i++) {
        const Expr *x = e->boolop.operands[i];
        Loc at = x ? x->loc : e->loc;
        Graph *rest = new_expr_branch(L, is_and ? "and" : "or", at);
        Graph *keep = new_expr_branch(L, is_and ? "andval" : "orval", at);
        ir_set_output(keep, v);
        /* the switch tests the previous operand: a bad condition is reported there */
        const Expr *tested = e->boolop.operands[i - 1];
        Loc cond_at = tested ? tested->loc : e->loc;
        Node *call = is_and ? switch_call(L, v, rest, keep, cond_at)
                            : switch_call(L, v, keep, rest, cond_at);
        chain_value(L, home, call, &result);
        L->fs->cur = rest;
        v = lower_expr(L, x);
    }
    chain_value(L, home, v, &result);
    L->fs->cur = home;
    return result;
}

/* x if c else y: switch(c, @ifexp, @ifelse)(), only the taken branch runs. */
static Node *lower_ifexp(Lower *L, const Expr *e)
{
    Graph *home = L->fs->cur;
    Node *c = lower_expr(L, e->ifexp.cond);
    Graph *t = new_expr_branch(L, "ifexp", e->loc);
    Graph *f = new_expr_branch(L, "ifelse", e->loc);
    L->fs->cur = t;
    ir_set_output(t, lower_expr(L, e->ifexp.then));
    L->fs->cur = f;
    ir_set_output(f, lower_expr(L, e->ifexp.orelse));
    L->fs->cur = home;
    /* located at the condition, where a bad condition is reported */
    return switch_call(L, c, t, f, e->ifexp.cond ? e->ifexp.cond->loc : e->loc);
}

/* (a, b, c) and [a, b, c]: make_tuple and list_make of the items, in order
   ([] is list_make(), a list[?] until a join or an annotation types it). */
static Node *lower_display(Lower *L, const Expr *e, PrimId p)
{
    int n = e->items.n;
    Node **in = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    in[0] = ir_const_prim(L->m, p, e->loc);
    for (int i = 0; i < n; i++)
        in[i + 1] = lower_expr(L, e->items.items[i]);
    Node *t = ir_apply(L->fs->cur, in, n + 1, e->loc);
    free(in);
    return t;
}

/* Where a subscript's errors are reported (docs/language.md section 10):
   at its index. */
static Loc index_loc(const Expr *e)
{
    return e->index.index ? e->index.index->loc : e->loc;
}

/*
 * a[i].  Lowering does not know whether a is a tuple or a list, so:
 *   an integer literal i (negative too): getitem(a, i), a tuple's item
 *     (inference normalises a negative i), which on a list is list_get
 *     (specialise spells it so);
 *   any other i: list_get(a, i); a tuple is then an error (its indices
 *     must be constants).
 */
static Node *lower_index(Lower *L, const Expr *e)
{
    Node *base = lower_expr(L, e->index.base);
    const Expr *ix = e->index.index;
    Loc at = index_loc(e);
    int64_t k;
    if (int_literal(ix, &k))
        return ir_apply_prim(L->fs->cur, P_GETITEM, at, 2, base, ir_const_int(L->m, k, at));
    Node *i = lower_expr(L, ix);
    return ir_apply_prim(L->fs->cur, P_LIST_GET, at, 2, base, i);
}

/* a[i:j:k]: list_slice(a, i, j, k, omitted), an omitted bound being the
   constant 0 with its bit (1 start, 2 stop, 4 step) set in `omitted`.
   Located at the step (a zero step is the one error), else at the
   subscript. */
static Node *lower_slice(Lower *L, const Expr *e)
{
    Node *base = lower_expr(L, e->slice.base);
    const Expr *parts[3] = {e->slice.lower, e->slice.upper, e->slice.step};
    Node *v[3];
    int64_t omitted = 0;
    for (int i = 0; i < 3; i++) {
        if (parts[i]) {
            v[i] = lower_expr(L, parts[i]);
        } else {
            v[i] = ir_const_int(L->m, 0, e->loc);
            omitted |= (int64_t)1 << i;
        }
    }
    Loc at = parts[2] ? parts[2]->loc : e->loc;
    return ir_apply_prim(L->fs->cur, P_LIST_SLICE, at, 5, base, v[0], v[1], v[2], ir_const_int(L->m, omitted, at));
}

/* ---- changing lists --------------------------------------------------------------- */

/*
 * A list changed in place in CPython is a value here: the change returns
 * the new list and the variable is rebound to it, as x += 1 rebinds x.  A
 * change of an item of an item (m[i][j] = x, m[i].append(x)) reads the row,
 * changes it and writes it back: m = list_set(m, i, list_set(list_get(m, i),
 * j, x)), the variable and each index evaluated once, in CPython's order.
 * Path holds such a chain while it is changed.
 */
typedef struct Path {
    const Expr *var;        /* the E_NAME at the root */
    int sym;
    int n;                  /* indices */
    Node **lists;           /* lists[0]: the variable's value; lists[k + 1] = lists[k][idx[k]] */
    Node **idx;
    Loc *at;                /* where each level's errors are reported */
} Path;

static void path_free(Path *p)
{
    free(p->lists);
    free(p->idx);
    free(p->at);
}

/* Whether the current block computes part of an expression (a branch of
   x if c else y, and/or, a comparison chain): a change there would be lost
   (the branch returns only the expression's value). */
static bool in_expr_branch(Lower *L)
{
    return binfo(L, L->fs->cur)->expr;
}

/* The variable a change at `at` rebinds: a local of the function being
   lowered (else a located error, -1). */
static int changeable_var(Lower *L, const Expr *name, Loc at)
{
    FnState *fs = L->fs;
    int s = intern(L, name->name);
    if (in_expr_branch(L)) {
        diag_error(L->d, at,
                   "a list cannot be changed inside a conditional expression, 'and', 'or' or a comparison "
                   "chain; use an if statement");
        return -1;
    }
    if (is_local(L, fs, s))
        return s;
    for (FnState *o = fs->outer; o; o = o->outer) {
        if (is_local(L, o, s)) {
            diag_error(L->d, at,
                       "cannot change '%s' here: it is a variable of the enclosing function, which a nested "
                       "function or comprehension can only read",
                       name->name);
            return -1;
        }
    }
    Sym *sy = sym_of(L, s);
    if (sy->top && sy->top->is_const)
        diag_error(L->d, at, "cannot change the top-level constant '%s'; copy it first: x = list(%s)", name->name,
                   name->name);
    else if (sy->top || is_reserved(L, s))
        diag_error(L->d, at, "can only change an item of a list variable, not of '%s'", name->name);
    else
        undefined_name(L, fs, name->name, name->loc);
    return -1;
}

/* Reads chain t (NAME or NAME[i]... : a variable or a subscript of one,
   which the parser guarantees for targets; method bases are checked here),
   evaluating the variable, then each index and reading each level, except
   the last level when !read_last (an assignment to it).  False after an
   error (then nothing is left to free). */
static bool read_path(Lower *L, const Expr *t, bool read_last, Loc at, Path *p)
{
    memset(p, 0, sizeof *p);
    int n = 0;
    const Expr *x = t;
    for (; x && x->kind == E_INDEX; x = x->index.base)
        n++;
    if (!x || x->kind != E_NAME) {
        diag_error(L->d, t ? t->loc : at, "can only change a list variable or an item of one (NAME or NAME[i])");
        return false;
    }
    p->var = x;
    p->sym = changeable_var(L, x, at);
    if (p->sym < 0)
        return false;
    p->n = n;
    p->lists = xmalloc(sizeof(Node *) * (size_t)(n + 1));
    p->idx = xmalloc(sizeof(Node *) * (size_t)(n ? n : 1));
    p->at = xmalloc(sizeof(Loc) * (size_t)(n ? n : 1));
    const Expr **subs = xmalloc(sizeof(Expr *) * (size_t)(n ? n : 1));
    x = t;
    for (int k = n - 1; k >= 0; k--, x = x->index.base)
        subs[k] = x;
    p->lists[0] = read_var(L, L->fs, p->sym, p->var->loc);
    for (int k = 0; k < n; k++) {
        p->idx[k] = lower_expr(L, subs[k]->index.index);
        p->at[k] = index_loc(subs[k]);
        p->lists[k + 1] = k < n - 1 || read_last
                              ? ir_apply_prim(L->fs->cur, P_LIST_GET, p->at[k], 2, p->lists[k], p->idx[k])
                              : NULL;
    }
    free(subs);
    return true;
}

/* Stores v as the item at level `level` of path p (level 0: the variable
   itself; level k: lists[k], the item idx[k - 1] of lists[k - 1]) and
   writes every level back up to the variable, which is rebound. */
static void write_path(Lower *L, Path *p, int level, Node *v, Loc loc)
{
    for (int k = level - 1; k >= 0; k--)
        v = ir_apply_prim(L->fs->cur, P_LIST_SET, p->at[k], 3, p->lists[k], p->idx[k], v);
    bind(L, p->sym, v, loc, 0);
}

/* target[i]... = v (a subscript target; v already evaluated). */
static void assign_subscript(Lower *L, const Expr *t, Node *v)
{
    Path p;
    if (!read_path(L, t, false, t->loc, &p))
        return;
    write_path(L, &p, p.n, v, t->loc);
    path_free(&p);
}

/*
 * a.append(x), a.extend(b), a.pop(), a.pop(i), a.copy().  The changes
 * rebind the variable under the base (a, or m in m[i].append(x)); append
 * and extend return None in Python, so they are statements only (stmt).
 * pop's list_pop gives (the list without the item, the item).
 */
static Node *lower_method(Lower *L, const Expr *e, bool stmt)
{
    const char *name = e->method.name;
    Loc at = e->method.name_loc;
    const ExprList *args = &e->method.args;
    if (strcmp(name, "copy") == 0)
        return ir_apply_prim(L->fs->cur, P_LIST_COPY, at, 1, lower_expr(L, e->method.base));
    bool pop = strcmp(name, "pop") == 0;
    if (!pop && !stmt) {
        diag_error(L->d, at, "%s() changes the list and returns None; use it as a statement", name);
        return placeholder(L, at);
    }
    Path p;
    if (!read_path(L, e->method.base, true, at, &p))
        return placeholder(L, at);
    Node *list = p.lists[p.n], *r;
    if (pop) {
        Node *i = args->n ? lower_expr(L, args->items[0]) : ir_const_int(L->m, -1, at);
        Node *t = ir_apply_prim(L->fs->cur, P_LIST_POP, at, 2, list, i);
        write_path(L, &p, p.n, ir_apply_prim(L->fs->cur, P_GETITEM, at, 2, t, ir_const_int(L->m, 0, at)), at);
        r = ir_apply_prim(L->fs->cur, P_GETITEM, at, 2, t, ir_const_int(L->m, 1, at));
    } else {
        Node *x = args->n ? lower_expr(L, args->items[0]) : placeholder(L, at);
        r = ir_apply_prim(L->fs->cur, strcmp(name, "append") == 0 ? P_LIST_APPEND : P_LIST_EXTEND, at, 2, list, x);
        write_path(L, &p, p.n, r, at);
    }
    path_free(&p);
    return r;
}

static Node *lower_lambda(Lower *L, const Expr *e)
{
    FnState *fs = L->fs;
    const FuncDef *fd = e->lambda;
    if (!fd)
        return placeholder(L, e->loc);
    if (fs->konst) {
        diag_error(L->d, e->loc, "a lambda is not allowed in a constant");
        return placeholder(L, e->loc);
    }
    Graph *g = make_function_graph(L, fd, arena_printf(L->arena, "%s/lambda.%d", fs->fn->name, fd->loc.line),
                                   fs->cur);
    BlockInfo *gi = binfo(L, g);
    gi->group = ++L->next_id;
    lower_function_body(L, fd, g, gi->group);
    gi->konst = ir_const_graph(L->m, g, fd->loc);
    return gi->konst;
}

static const char *plural(int n, const char *one, const char *many) { return n == 1 ? one : many; }

/* Calling a statically known function: the argument count must match. */
static void check_arity(Lower *L, Node *callee, int nargs, Loc loc)
{
    if (!ir_is_const_graph(callee) || callee->k.u.graph->kind != G_FUNCTION)
        return;
    Graph *g = callee->k.u.graph;
    if (g->nparams == nargs)
        return;
    diag_error(L->d, loc, "%s() takes %d %s but %d %s given", g->src_name, g->nparams,
               plural(g->nparams, "argument", "arguments"), nargs, plural(nargs, "was", "were"));
    BlockInfo *bi = binfo(L, g);
    if (bi->is_lambda)
        diag_note(L->d, bi->def_loc, "the lambda is defined here");
    else
        diag_note(L->d, bi->def_loc, "'%s' is defined here", g->src_name);
}

static Node **lower_args(Lower *L, const ExprList *args)
{
    Node **in = xmalloc(sizeof(Node *) * (size_t)(args->n + 1));
    for (int i = 0; i < args->n; i++)
        in[i + 1] = lower_expr(L, args->items[i]);
    return in;
}

/* sin(x), atan2(y, x), max(a, b, c) = max(max(a, b), c), ... */
static Node *lower_builtin_call(Lower *L, const Expr *e, PrimId p)
{
    const PrimInfo *pi = prim_info(p);
    Loc loc = e->call.fn->loc;
    int n = e->call.args.n;
    Node **in = (p == P_MIN || p == P_MAX) && n == 1 ? NULL : lower_args(L, &e->call.args);
    Node *r;
    if ((p == P_MIN || p == P_MAX) && n == 1) {
        free(in);
        /* min(a), max(a) of a list (or a generator expression) */
        return ir_apply_prim(L->fs->cur, p == P_MIN ? P_LIST_MIN : P_LIST_MAX, loc, 1,
                             lower_iterable_arg(L, e->call.args.items[0]));
    }
    if (p == P_MIN || p == P_MAX) {
        if (n < 1) {
            diag_error(L->d, loc, "%s expected at least 1 argument, got 0", pi->name);
            r = placeholder(L, loc);
        } else {
            r = in[1];
            for (int i = 2; i <= n; i++)
                r = ir_apply_prim(L->fs->cur, p, loc, 2, r, in[i]);
        }
    } else if (n != pi->arity) {
        diag_error(L->d, loc, "%s() takes exactly %d %s (%d given)", pi->name, pi->arity,
                   plural(pi->arity, "argument", "arguments"), n);
        r = placeholder(L, loc);
    } else {
        in[0] = ir_const_prim(L->m, p, loc);
        r = ir_apply(L->fs->cur, in, n + 1, loc);
    }
    free(in);
    return r;
}

/* ---- iteration: for loops and comprehension clauses --------------------------------------- */

/*
 * What a for loop or a comprehension's for clause runs over, evaluated
 * before the loop in CPython's order:
 *   range(a, b, s): a counter from a by s while range_cond holds;
 *   a list, enumerate(list[, start]), zip(list, ...): an index i from 0 while
 *     i < len of each list (the shortest, for zip), the target bound to
 *     list_get(list, i) (enumerate: (start + i, item); zip: the tuple of
 *     the items).  A list given as a variable of this function that the
 *     loop never rebinds by plain assignment is read from the variable at
 *     every iteration (syms[k]), length included, as CPython's list
 *     iterator sees the live list (changes through the loop's own index,
 *     appends); any other is evaluated once (vals[k]).
 */
enum { IT_RANGE, IT_LISTS };
typedef struct Iter {
    int kind;
    bool enumerate, zip;
    int n;                  /* IT_LISTS: the lists */
    Node **vals;            /* each list's value, or NULL: read from variable syms[k] */
    int *syms;
    Node *start, *stop, *step;  /* IT_RANGE; start also enumerate's (NULL: 0) */
    Loc loc;                /* the iterable (where a non-list is reported) */
} Iter;

static void iter_free(Iter *it)
{
    free(it->vals);
    free(it->syms);
}

/* range(args): start, stop and a step, evaluated in order; a step that is
   not a nonzero literal goes through range_step, which raises on 0. */
static bool range_operands(Lower *L, Expr *const *args, int nargs, Loc rl, Node **start, Node **stop, Node **step)
{
    if (nargs < 1 || nargs > 3) {
        for (int i = 0; i < nargs; i++)
            (void)lower_expr(L, args[i]);
        diag_error(L->d, rl, "range expected 1 to 3 arguments, got %d", nargs);
        return false;
    }
    if (nargs == 1) {
        *start = ir_const_int(L->m, 0, rl);
        *stop = lower_expr(L, args[0]);
    } else {
        *start = lower_expr(L, args[0]);
        *stop = lower_expr(L, args[1]);
    }
    int64_t k;
    if (nargs < 3) {
        *step = ir_const_int(L->m, 1, rl);
    } else if (int_literal(args[2], &k) && k != 0) {
        *step = ir_const_int(L->m, k, args[2]->loc);
    } else {
        Node *v = lower_expr(L, args[2]);
        Loc at = args[2] ? args[2]->loc : rl;
        /* start and stop are operands too, so they are computed (and raise)
           before the step is checked, as CPython evaluates them in order */
        *step = ir_apply_prim(L->fs->cur, P_RANGE_STEP, at, 3, *start, *stop, v);
    }
    return true;
}

/* One list of an iteration (see Iter); rebound: the names the loop rebinds,
   or NULL to evaluate every list once. */
static void list_source(Lower *L, const Expr *x, const Map *rebound, Iter *it, int k)
{
    it->vals[k] = NULL;
    it->syms[k] = -1;
    if (rebound && x && x->kind == E_NAME) {
        int s = intern(L, x->name);
        if (is_local(L, L->fs, s) && !map_get(rebound, key2(0, (uint32_t)s))) {
            (void)read_var(L, L->fs, s, x->loc);      /* reports it unbound here */
            it->syms[k] = s;
            return;
        }
    }
    it->vals[k] = lower_expr(L, x);
}

/* Evaluates iterable x into it (false after an error). */
static bool eval_iter(Lower *L, const Expr *x, const Map *rebound, Iter *it)
{
    memset(it, 0, sizeof *it);
    it->kind = IT_LISTS;
    it->loc = x ? x->loc : LOC_NONE;
    int sp = SP_NONE;
    if (x && x->kind == E_CALL && x->call.fn && x->call.fn->kind == E_NAME)
        sp = sym_of(L, intern(L, x->call.fn->name))->special;
    if (sp == SP_RANGE) {
        it->kind = IT_RANGE;
        return range_operands(L, x->call.args.items, x->call.args.n, x->call.fn->loc, &it->start, &it->stop,
                              &it->step);
    }
    Expr *const *lists = (Expr *const *)&x;
    int n = 1;
    if (sp == SP_ENUMERATE || sp == SP_ZIP) {
        int nargs = x->call.args.n;
        Loc fl = x->call.fn->loc;
        bool ok = sp == SP_ZIP ? nargs >= 1 : nargs == 1 || nargs == 2;
        if (!ok) {
            free(lower_args(L, &x->call.args));
            if (sp == SP_ZIP)
                diag_error(L->d, fl, "zip() needs at least one list");
            else
                diag_error(L->d, fl, "enumerate() takes 1 or 2 arguments (%d given)", nargs);
            return false;
        }
        it->enumerate = sp == SP_ENUMERATE;
        it->zip = sp == SP_ZIP;
        lists = x->call.args.items;
        n = it->zip ? nargs : 1;
    }
    it->n = n;
    it->vals = xmalloc(sizeof(Node *) * (size_t)n);
    it->syms = xmalloc(sizeof(int) * (size_t)n);
    for (int k = 0; k < n; k++) {
        list_source(L, lists[k], rebound, it, k);
        if (lists[k])
            it->loc = k == 0 ? lists[k]->loc : it->loc;
    }
    if (it->enumerate && x->call.args.n == 2)
        it->start = lower_expr(L, x->call.args.items[1]);
    return true;
}

/* The number of iterations over lists[0..n-1] (zip's: the shortest),
   computed in g. */
static Node *min_len(Graph *g, Node *const *lists, int n, Loc il)
{
    Node *len = NULL;
    for (int k = 0; k < n; k++) {
        Node *lk = ir_apply_prim(g, P_LIST_LEN, il, 1, lists[k]);
        len = len ? ir_apply_prim(g, P_MIN, il, 2, len, lk) : lk;
    }
    return len;
}

static void begin_loop(Lower *L, LoopCx *lc, Graph *h, const StmtList *body, int line);
static void loop_next(Lower *L, LoopCx *lc, Loc loc);
static void end_loop(Lower *L, LoopCx *lc, Graph *exit, Loc loc);
static void bind_target(Lower *L, const Expr *t, Node *v);

/*
 * Starts the loop over `it` in the current block: hidden counter, step
 * and list variables, the header f:for.L (switch(cond, @body, @exit)()),
 * and the body, where the target is bound; the caller lowers the rest of
 * the body (left in fs->cur), steps with loop_next and ends with end_loop
 * given the exit branch returned.  The header's phis: the variables `body`
 * assigns or changes, those in `also`, the counter and the target.
 */
static Graph *begin_iter_loop(Lower *L, LoopCx *lc, const Iter *it, const Expr *target, const StmtList *body,
                              const Map *also, Loc loc)
{
    FnState *fs = L->fs;
    Module *m = L->m;
    Loc il = it->loc;
    const char *tname = target && target->kind == E_NAME ? target->name : "for";
    lc->counter = new_hidden(L, arena_printf(L->arena, "%s.for", tname));
    lc->step = new_hidden(L, "step.for");
    lc->incr_loc = il;
    int stop_sym = -1, start_sym = -1;
    int *lsyms = xmalloc(sizeof(int) * (size_t)(it->n ? it->n : 1));
    if (it->kind == IT_RANGE) {
        stop_sym = new_hidden(L, "stop.for");
        var_set(L, fs->cur, lc->counter, it->start, VS_OK);
        var_set(L, fs->cur, stop_sym, it->stop, VS_OK);
        var_set(L, fs->cur, lc->step, it->step, VS_OK);
    } else {
        var_set(L, fs->cur, lc->counter, ir_const_int(m, 0, il), VS_OK);
        var_set(L, fs->cur, lc->step, ir_const_int(m, 1, il), VS_OK);
        for (int k = 0; k < it->n; k++) {
            lsyms[k] = it->syms[k];
            if (lsyms[k] < 0) {
                lsyms[k] = new_hidden(L, "list.for");
                var_set(L, fs->cur, lsyms[k], it->vals[k], VS_OK);
            }
        }
        if (it->start) {
            start_sym = new_hidden(L, "start.for");
            var_set(L, fs->cur, start_sym, it->start, VS_OK);
        }
    }
    Graph *h = new_join(L, "for", loc);
    BlockInfo *hi = binfo(L, h);
    if (also)
        for (size_t i = 0; i < also->cap; i++)
            if (also->e[i].key)
                map_put(&hi->assigned, also->e[i].key)->v = 1;
    begin_loop(L, lc, h, body, loc.line);
    map_put(&hi->assigned, key2(0, (uint32_t)lc->counter))->v = 1;
    collect_target(L, target, &hi->assigned, 0);
    Node *cond;
    if (it->kind == IT_RANGE) {
        cond = ir_apply_prim(h, P_RANGE_COND, il, 3, read_var(L, fs, lc->counter, il), read_var(L, fs, stop_sym, il),
                             read_var(L, fs, lc->step, il));
    } else {
        Node **lists = xmalloc(sizeof(Node *) * (size_t)it->n);
        for (int k = 0; k < it->n; k++)
            lists[k] = read_var(L, fs, lsyms[k], il);
        cond = ir_apply_prim(h, P_LT, il, 2, read_var(L, fs, lc->counter, il), min_len(h, lists, it->n, il));
        free(lists);
    }
    Graph *bg = new_branch(L, "body", loc);
    Graph *exit = new_branch(L, "exit", loc);
    ir_set_output(h, switch_call(L, cond, bg, exit, loc));
    fs->cur = bg;
    Loc tl = target ? target->loc : il;
    Node *i = read_var(L, fs, lc->counter, tl), *v = i;
    if (it->kind == IT_LISTS) {
        Node **items = xmalloc(sizeof(Node *) * (size_t)(it->n + 2));
        items[0] = ir_const_prim(m, P_MAKE_TUPLE, il);
        /* in range: the header just compared i with the length of this
           very value (bg's only way in is from h, and nothing is bound
           before these reads) */
        for (int k = 0; k < it->n; k++)
            items[k + 1] = ir_apply_prim(bg, P_LIST_ITEM, il, 2, read_var(L, fs, lsyms[k], il), i);
        int n = it->n;
        if (it->enumerate) {
            Node *c = start_sym >= 0 ? ir_apply_prim(bg, P_ADD, il, 2, read_var(L, fs, start_sym, il), i) : i;
            items[2] = items[1];
            items[1] = c;
            n = 2;
        }
        if (!it->enumerate && !it->zip) {
            v = items[1];
        } else if (target && target->kind == E_TUPLE && target->items.n == n) {
            /* for i, x in enumerate(xs): the items bound directly */
            for (int k = 0; k < n; k++)
                bind_target(L, target->items.items[k], items[k + 1]);
            v = NULL;
        } else {
            v = ir_apply(bg, items, n + 1, il);
        }
        free(items);
    }
    free(lsyms);
    if (v)
        bind_target(L, target, v);
    return exit;
}

/* ---- comprehensions ---------------------------------------------------------------- */

/* The start of the call sum(a) or sum(a, start): start, or the int 0. */
static Node *sum_start(Lower *L, const Expr *call)
{
    const ExprList *args = &call->call.args;
    return args->n == 2 ? lower_expr(L, args->items[1]) : ir_const_int(L->m, 0, call->call.fn->loc);
}

/*
 * [elt for t0 in it0 if c0 for t1 in it1 ...], and a generator expression
 * (only ever consumed whole, by sum, min, max or list: the same list).  As
 * in Python 3 the targets do not leak: each clause k is a nested function
 * f/comp.L (src_name <listcomp> or <genexpr>, which passes/alias.c knows
 * makes a new list), called where it is made (opt inlines it), whose locals
 * are clause k's targets and which reads the enclosing variables (the
 * outer clauses' targets too) as a closure does.  Clause k's iterable is
 * evaluated before the call, in the enclosing scope, as CPython does.
 * Inside, one loop (as a for statement, its list evaluated once) builds an
 * accumulator: the innermost clause appends elt, the others extend it by
 * the next clause's list; a false filter continues the loop.  One loop per
 * function keeps every change of an accumulator in the loop that owns it.
 * An innermost clause without a filter over lists (zip, enumerate) knows
 * its count before its loop: its accumulator starts as list_reserve of
 * it and takes each item with list_push (ir/prims.def), which native code
 * stores without a capacity check where passes/inplace.c finds the room.
 *
 * sum(generator, start) folds instead of building the list (sum, the call,
 * not NULL): the accumulator starts at start (evaluated after the first
 * iterable, as CPython does) or at the enclosing clause's accumulator
 * (init),
 * the innermost clause adds elt to it (sum_add: sum()'s rule, left to
 * right as CPython 3.11), the others take the next clause's result.  No
 * list exists, and a differentiated sum keeps a number per item, not a
 * list and its adjoint.
 */
static Node *comp_clause(Lower *L, const Expr *e, int k, const Expr *sum, Node *init)
{
    FnState *outer = L->fs;
    const CompFor *cf = &e->comp.fors[k];
    Iter it;
    if (!eval_iter(L, cf->iter, NULL, &it)) {
        iter_free(&it);
        return placeholder(L, e->loc);
    }
    Graph *g = new_graph(L, G_FUNCTION, arena_printf(L->arena, "%s/comp.%d", outer->fn->name, cf->loc.line),
                         outer->cur, cf->loc, BK_ENTRY);
    BlockInfo *gi = binfo(L, g);
    gi->def_loc = cf->loc;
    gi->is_comp = true;
    gi->group = ++L->next_id;
    g->src_name = e->kind == E_GENEXP ? "<genexpr>" : "<listcomp>";
    g->role = GR_FUNCTION;
    g->src_label = g->src_name;
    FnState fs = {0};
    fs.id = ++L->next_id;
    fs.outer = outer;
    fs.fn = g;
    fs.konst = outer->konst;     /* in a constant, the constant's rules hold */
    fs.cur = g;
    fs.group = gi->group;
    fs.created_at = cf->loc;
    gi->fn_id = fs.id;
    if (sum && k == 0)          /* sum's start, in the enclosing scope */
        init = sum_start(L, sum);
    collect_target(L, cf->target, &L->locals, (uint32_t)fs.id);
    L->fs = &fs;
    int acc = new_hidden(L, "comp");
    Map also = {0};             /* the accumulator: a phi in the header */
    map_put(&also, key2(0, (uint32_t)acc))->v = 1;
    /* the innermost clause, unfiltered, over lists (zip, enumerate): one
       item per iteration, and their number, n, is known before the loop;
       the accumulator starts with room for n (list_reserve) and each item
       goes into it with list_push (no more than n of them run on it, which
       lets native code store without a capacity check: passes/inplace.c).
       A range counts its iterations too, but its counter wraps at 2**63
       (ints wrap), which could run more iterations than len(range) */
    bool reserve = !sum && k + 1 == e->comp.nfors && cf->ifs.n == 0 && it.kind == IT_LISTS;
    Node *start = sum ? init
                : reserve ? ir_apply_prim(g, P_LIST_RESERVE, cf->loc, 1, min_len(g, it.vals, it.n, it.loc))
                          : ir_apply_prim(g, P_LIST_MAKE, cf->loc, 0);
    var_set(L, g, acc, start, VS_OK);
    LoopCx lc = {0};
    Graph *exit = begin_iter_loop(L, &lc, &it, cf->target, NULL, &also, cf->loc);
    iter_free(&it);
    for (int f = 0; f < cf->ifs.n; f++) {
        const Expr *c = cf->ifs.items[f];
        Node *cv = lower_expr(L, c);
        Loc cl = c ? c->loc : cf->loc;
        Graph *t = new_branch(L, "if", cl);
        Graph *skip = new_branch(L, "else", cl);
        ir_set_output(fs.cur, switch_call(L, cv, t, skip, cl));
        fs.cur = skip;
        loop_next(L, &lc, cl);
        fs.cur = t;
    }
    if (k + 1 < e->comp.nfors) {
        Loc il = e->comp.fors[k + 1].loc;
        Node *inner = comp_clause(L, e, k + 1, sum, sum ? read_var(L, &fs, acc, il) : NULL);
        var_set(L, fs.cur, acc,
                sum ? inner : ir_apply_prim(fs.cur, P_LIST_EXTEND, il, 2, read_var(L, &fs, acc, il), inner), VS_OK);
    } else {
        Node *elt = lower_expr(L, e->comp.elt);
        Loc el = e->comp.elt ? e->comp.elt->loc : e->loc;
        Node *a = read_var(L, &fs, acc, el);
        var_set(L, fs.cur, acc,
                sum ? ir_apply_prim(fs.cur, P_SUM_ADD, sum->call.fn->loc, 2, a, elt)
                     : ir_apply_prim(fs.cur, reserve ? P_LIST_PUSH : P_LIST_APPEND, el, 2, a, elt), VS_OK);
    }
    loop_next(L, &lc, cf->loc);
    end_loop(L, &lc, exit, cf->loc);
    ir_set_output(fs.cur, read_var(L, &fs, acc, e->loc));
    map_free(&also);
    L->fs = outer;
    gi->konst = ir_const_graph(L->m, g, cf->loc);
    return ir_apply(outer->cur, &gi->konst, 1, cf->loc);
}

/* A comprehension's list, or with sum (the call sum(e, start)) the fold of
   generator e into start. */
static Node *lower_comp(Lower *L, const Expr *e, const Expr *sum)
{
    if (e->comp.nfors < 1 || !e->comp.fors)
        return placeholder(L, e->loc);
    return comp_clause(L, e, 0, sum, NULL);
}

/* The argument of sum, min, max, list: a generator expression is the list
   it makes. */
static Node *lower_iterable_arg(Lower *L, const Expr *a)
{
    if (a && a->kind == E_GENEXP)
        return lower_comp(L, a, NULL);
    return lower_expr(L, a);
}

/* len(x), sum(a), sum(a, start), list(a), list(): list primitives. */
static Node *lower_list_builtin(Lower *L, const Expr *e, int sp)
{
    const Expr *fn = e->call.fn;
    Loc loc = fn->loc;
    const char *name = fn->name;
    const ExprList *args = &e->call.args;
    int n = args->n, lo = sp == SP_LIST ? 0 : 1, hi = sp == SP_SUM ? 2 : 1;
    if (n < lo || n > hi) {
        free(lower_args(L, args));
        if (lo == hi)
            diag_error(L->d, loc, "%s() takes exactly one argument (%d given)", name, n);
        else if (sp == SP_SUM)
            diag_error(L->d, loc, "sum() takes 1 or 2 arguments (%d given)", n);
        else
            diag_error(L->d, loc, "%s() takes at most 1 argument (%d given)", name, n);
        return placeholder(L, loc);
    }
    Graph *g = L->fs->cur;
    switch (sp) {
    case SP_LEN: return ir_apply_prim(g, P_LIST_LEN, loc, 1, lower_expr(L, args->items[0]));
    case SP_LIST:
        if (n == 0)
            return ir_apply_prim(g, P_LIST_MAKE, loc, 0);
        if (args->items[0] && args->items[0]->kind == E_GENEXP)
            return lower_comp(L, args->items[0], NULL);        /* already a fresh list */
        return ir_apply_prim(g, P_LIST_COPY, loc, 1, lower_expr(L, args->items[0]));
    default: {
        if (args->items[0] && args->items[0]->kind == E_GENEXP)
            return lower_comp(L, args->items[0], e);
        Node *a = lower_expr(L, args->items[0]);
        return ir_apply_prim(L->fs->cur, P_LIST_SUM, loc, 2, a, sum_start(L, e));
    }
    }
}

/* A parameter selection for grad/value_and_grad: an integer constant or a
   non-empty tuple of them. */
static bool param_selection(const Expr *e)
{
    if (!e)
        return false;
    if (e->kind == E_INT)
        return true;
    if (e->kind != E_TUPLE || e->items.n == 0)
        return false;
    for (int i = 0; i < e->items.n; i++)
        if (!e->items.items[i] || e->items.items[i]->kind != E_INT)
            return false;
    return true;
}

/*
 * grad, value_and_grad, vjp, jvp: the argument shapes are checked here,
 * then each becomes derive(kind, 0, tuple, nidx, idx..., f) -- a function
 * value (see passes/grad.h), applied at once to the arguments for vjp and
 * jvp.  Inference expands it when it knows f's arity.
 */
static Node *lower_diff_call(Lower *L, const Expr *e, int sym)
{
    const Expr *fn = e->call.fn;
    int sp = sym_of(L, sym)->special;
    const char *name = sym_of(L, sym)->name;
    int n = e->call.args.n;
    Node **in = lower_args(L, &e->call.args);   /* errors inside the arguments still show */
    bool ok = true;
    if (sp == SP_GRAD || sp == SP_VALUE_AND_GRAD) {
        if (n < 1 || n > 2) {
            diag_error(L->d, fn->loc, "%s() takes 1 or 2 arguments (%d given)", name, n);
            ok = false;
        } else if (n == 2 && !param_selection(e->call.args.items[1])) {
            const Expr *a = e->call.args.items[1];
            diag_error(L->d, a ? a->loc : fn->loc,
                       "the second argument of %s() must be an integer constant or a tuple of integer constants",
                       name);
            ok = false;
        }
    } else if (sp == SP_VJP && n < 2) {
        diag_error(L->d, fn->loc, "vjp() takes at least 2 arguments (%d given)", n);
        ok = false;
    } else if (sp == SP_JVP && n != 3) {
        diag_error(L->d, fn->loc, "jvp() takes exactly 3 arguments (%d given)", n);
        ok = false;
    }
    if (!ok) {
        free(in);
        return placeholder(L, fn->loc);
    }
    DiffOp op = sp == SP_GRAD ? OP_GRAD : sp == SP_VALUE_AND_GRAD ? OP_VALUE_AND_GRAD : sp == SP_VJP ? OP_VJP : OP_JVP;
    /* selected parameters: grad's (default: the first); vjp: the argument count */
    VEC(int64_t) idx = {0};
    bool tuple = false;
    if (op == OP_GRAD || op == OP_VALUE_AND_GRAD) {
        const Expr *sel = n == 2 ? e->call.args.items[1] : NULL;
        if (!sel)
            vec_push(&idx, 0);
        else if (sel->kind == E_INT)
            vec_push(&idx, sel->ival);
        else {
            tuple = true;
            for (int i = 0; i < sel->items.n; i++)
                vec_push(&idx, sel->items.items[i]->ival);
        }
    } else if (op == OP_VJP) {
        vec_push(&idx, n - 1);
    }
    Loc at = fn->loc;
    int nin = DERIVE_IDX + idx.len + 1;
    Node **d = xmalloc(sizeof(Node *) * (size_t)nin);
    d[0] = ir_const_prim(L->m, P_DERIVE, at);
    d[DERIVE_KIND] = ir_const_int(L->m, op, at);
    d[DERIVE_TOWER] = ir_const_int(L->m, 0, at);
    d[DERIVE_TUPLE] = ir_const_int(L->m, tuple, at);
    d[DERIVE_NIDX] = ir_const_int(L->m, idx.len, at);
    for (int i = 0; i < idx.len; i++)
        d[DERIVE_IDX + i] = ir_const_int(L->m, idx.data[i], at);
    d[nin - 1] = in[1];
    Node *v = ir_apply(L->fs->cur, d, nin, at);
    free(d);
    vec_free(&idx);
    if (op == OP_VJP || op == OP_JVP) {
        in[1] = v;      /* f's place: the operator's function, called with the rest */
        v = ir_apply(L->fs->cur, in + 1, n, at);
    }
    free(in);
    return v;
}

static Node *lower_call(Lower *L, const Expr *e)
{
    const Expr *fn = e->call.fn;
    if (!fn)
        return placeholder(L, e->loc);
    Node *callee;
    if (fn->kind == E_NAME) {
        int s = intern(L, fn->name);
        /* builtins and operators are never local: binding them is an error */
        if (sym_of(L, s)->prim >= 0)
            return lower_builtin_call(L, e, (PrimId)sym_of(L, s)->prim);
        int sp = sym_of(L, s)->special;
        if (sp == SP_RANGE || sp == SP_ENUMERATE || sp == SP_ZIP) {
            free(lower_args(L, &e->call.args));
            if (sp == SP_RANGE)
                diag_error(L->d, fn->loc, "'range' can only be used in a for-loop header: for i in range(...)");
            else
                diag_error(L->d, fn->loc, "'%s' can only be used as what a for loop or a comprehension runs "
                           "over: for x in %s(...)", fn->name, fn->name);
            return placeholder(L, fn->loc);
        }
        if (sp == SP_LEN || sp == SP_SUM || sp == SP_LIST)
            return lower_list_builtin(L, e, sp);
        if (sp != SP_NONE)
            return lower_diff_call(L, e, s);
        callee = lower_name(L, fn->name, fn->loc, true);
    } else {
        callee = lower_expr(L, fn);
    }
    int n = e->call.args.n;
    Node **in = lower_args(L, &e->call.args);
    in[0] = callee;
    check_arity(L, callee, n, fn->loc);
    Node *r = ir_apply(L->fs->cur, in, n + 1, fn->loc);
    free(in);
    return r;
}

static Node *lower_expr(Lower *L, const Expr *e)
{
    if (!e)
        return placeholder(L, LOC_NONE);
    switch (e->kind) {
    case E_INT: return ir_const_int(L->m, e->ival, e->loc);
    case E_FLOAT: return ir_const_float(L->m, e->fval, e->loc);
    case E_BOOL: return ir_const_bool(L->m, e->bval, e->loc);
    case E_NAME: return lower_name(L, e->name, e->loc, false);
    case E_TUPLE: return lower_display(L, e, P_MAKE_TUPLE);
    case E_INDEX: return lower_index(L, e);
    case E_CALL: return lower_call(L, e);
    case E_UNARY: return lower_unary(L, e);
    case E_BINARY: return lower_binary(L, e);
    case E_COMPARE: return lower_compare(L, e);
    case E_BOOLOP: return lower_boolop(L, e);
    case E_IFEXP: return lower_ifexp(L, e);
    case E_LAMBDA: return lower_lambda(L, e);
    case E_LIST: return lower_display(L, e, P_LIST_MAKE);
    case E_SLICE: return lower_slice(L, e);
    case E_METHOD: return lower_method(L, e, false);
    case E_LISTCOMP: return lower_comp(L, e, NULL);
    case E_GENEXP:
        diag_error(L->d, e->loc, "a generator expression can only be the argument of sum(), min(), max() or "
                   "list(); use a list comprehension [...]");
        return placeholder(L, e->loc);
    }
    return placeholder(L, e->loc);
}

/* ======================================================================
 * Statements
 * ====================================================================== */

/* An assignment of v to the name at loc (group: the def group binding it). */
static void bind_name(Lower *L, const char *name, Node *v, Loc loc, int group)
{
    int s = intern(L, name);
    if (is_reserved(L, s)) {
        diag_error(L->d, loc, "cannot redefine builtin '%s'", name);
        return;
    }
    bind(L, s, v, loc, group);
}

static bool is_make_tuple(const Node *v)
{
    return v->kind == N_APPLY && v->app.n >= 1 && ir_is_const_prim(v->app.in[0], P_MAKE_TUPLE);
}

/* target = v; a tuple target unpacks by constant index (taking the items of
   a tuple display directly). */
static void bind_target(Lower *L, const Expr *t, Node *v)
{
    if (!t)
        return;
    if (t->kind == E_NAME) {
        bind_name(L, t->name, v, t->loc, 0);
        return;
    }
    if (t->kind == E_INDEX) {
        assign_subscript(L, t, v);
        return;
    }
    if (t->kind != E_TUPLE) {
        diag_error(L->d, t->loc, "cannot assign to this expression");
        return;
    }
    int n = t->items.n;
    bool direct = is_make_tuple(v);
    if (direct && v->app.n - 1 != n) {
        diag_error(L->d, t->loc, "cannot unpack %d %s into %d %s", v->app.n - 1,
                   plural(v->app.n - 1, "value", "values"), n, plural(n, "target", "targets"));
        for (int i = 0; i < n; i++)
            bind_target(L, t->items.items[i], placeholder(L, t->loc));
        return;
    }
    /* Any other value is checked to be a tuple of exactly n items first
       (CPython raises on a count mismatch; taking the first n would be a
       different answer). */
    if (!direct)
        v = ir_apply_prim(L->fs->cur, P_UNPACK, t->loc, 2, v, ir_const_int(L->m, n, t->loc));
    for (int i = 0; i < n; i++) {
        const Expr *x = t->items.items[i];
        Loc at = x ? x->loc : t->loc;
        Node *item = direct ? v->app.in[i + 1]
                            : ir_apply_prim(L->fs->cur, P_GETITEM, at, 2, v, ir_const_int(L->m, i, at));
        bind_target(L, x, item);
    }
}

static Type *convert_annotation(Lower *L, const TypeExpr *t);

/*
 * x: T = e: e converted to T, as an argument is for a parameter annotated
 * T (an int to a float, list[int] or the empty list[?] to list[float]...):
 * through the identity function f/x:ann.L(x: T) called at once (opt inlines
 * it).  A value that does not convert is a located error at the annotation.
 */
static Node *annotate(Lower *L, const TypeExpr *ann, const char *name, Node *v)
{
    FnState *fs = L->fs;
    Type *t = convert_annotation(L, ann);
    if (!t)
        return v;
    Graph *g = new_graph(L, G_FUNCTION, arena_printf(L->arena, "%s/%s:ann.%d", fs->fn->name, name, ann->loc.line),
                         fs->cur, ann->loc, BK_ENTRY);
    BlockInfo *gi = binfo(L, g);
    gi->def_loc = ann->loc;
    gi->group = ++L->next_id;
    g->src_name = arena_strdup(L->arena, name);
    g->role = GR_CONVERT;
    Node *p = ir_add_param(g, name, ann->loc);
    g->param_ann[0] = t;
    ir_set_output(g, p);
    Node *in[2] = {ir_const_graph(L->m, g, ann->loc), v};
    return ir_apply(fs->cur, in, 2, ann->loc);
}

static void lower_assign(Lower *L, const Stmt *s)
{
    Node *v = lower_expr(L, s->assign.value);
    const Expr *t0 = s->assign.ntargets ? s->assign.targets[0] : NULL;
    if (s->assign.ann && t0 && t0->kind == E_NAME)
        v = annotate(L, s->assign.ann, t0->name, v);
    for (int k = 0; k < s->assign.ntargets; k++)
        bind_target(L, s->assign.targets[k], v);
}

/* x op= e is x = x op e (x must be bound), += and *= as iadd and imul (on
   a list, the changes a += b and a *= n; on numbers add and mul).
   a[i] op= e is a[i] = a[i] op e with a and i evaluated once (and
   a[i][j] op= e likewise), as CPython does. */
static void lower_augassign(Lower *L, const Stmt *s)
{
    const Expr *t = s->aug.target;
    PrimId op = s->aug.op == OP_ADD ? P_IADD : s->aug.op == OP_MUL ? P_IMUL : binop_prim[s->aug.op];
    if (t && t->kind == E_INDEX) {
        Path p;
        if (!read_path(L, t, true, t->loc, &p)) {
            (void)lower_expr(L, s->aug.value);
            return;
        }
        Node *v = lower_expr(L, s->aug.value);
        Node *r = ir_apply_prim(L->fs->cur, op, s->aug.oploc, 2, p.lists[p.n], v);
        write_path(L, &p, p.n, r, t->loc);
        path_free(&p);
        return;
    }
    if (!t || t->kind != E_NAME) {
        diag_error(L->d, t ? t->loc : s->loc, "cannot assign to this expression");
        return;
    }
    Node *old = lower_name(L, t->name, t->loc, false);
    Node *v = lower_expr(L, s->aug.value);
    Node *r = ir_apply_prim(L->fs->cur, op, s->aug.oploc, 2, old, v);
    bind_name(L, t->name, r, t->loc, 0);
}

/* if c: A else: B -> switch(c, @if, @else)(); arms that fall through jump
   to f:endif, where the rest goes. */
static void lower_if(Lower *L, const Stmt *s)
{
    FnState *fs = L->fs;
    Node *c = lower_expr(L, s->if_.cond);
    Graph *t = new_branch(L, "if", s->loc);
    Graph *e = new_branch(L, "else", s->loc);
    ir_set_output(fs->cur, switch_call(L, c, t, e, s->if_.cond->loc));   /* condition errors point at it */
    Graph *join = NULL;
    fs->cur = t;
    lower_stmts(L, &s->if_.then);
    if (fs->cur) {
        join = new_join(L, "endif", s->loc);
        jump(L, join, s->loc);
    }
    fs->cur = e;
    lower_stmts(L, &s->if_.orelse);
    if (fs->cur) {
        if (!join)
            join = new_join(L, "endif", s->loc);
        jump(L, join, s->loc);
    }
    if (join) {
        seal(L, join);
        fs->cur = join;
    }
}

static bool literally_true(const Expr *e)
{
    if (!e)
        return false;
    return (e->kind == E_BOOL && e->bval) || (e->kind == E_INT && e->ival != 0) ||
           (e->kind == E_FLOAT && e->fval != 0.0);
}

static Graph *loop_after(Lower *L, LoopCx *lc)
{
    if (!lc->after)
        lc->after = new_join(L, lc->counter >= 0 ? "endfor" : "endwhile", loc_make(lc->line, 1));
    return lc->after;
}

/* The end of an iteration (fall-through or continue): a for-loop steps its
   counter, then the header is entered again. */
static void loop_next(Lower *L, LoopCx *lc, Loc loc)
{
    FnState *fs = L->fs;
    if (lc->counter >= 0) {
        Node *c = read_var(L, fs, lc->counter, lc->incr_loc);
        Node *st = read_var(L, fs, lc->step, lc->incr_loc);
        var_set(L, fs->cur, lc->counter, ir_apply_prim(fs->cur, P_ADD, lc->incr_loc, 2, c, st), VS_OK);
    }
    jump(L, lc->header, loc);
}

/* Starts a loop at header h (entered from the current block). */
static void begin_loop(Lower *L, LoopCx *lc, Graph *h, const StmtList *body, int line)
{
    FnState *fs = L->fs;
    BlockInfo *bi = binfo(L, h);
    bi->is_header = true;
    if (body)
        collect_assigned(L, body, &bi->assigned, 0, CA_CHANGED);
    lc->outer = fs->loop;
    lc->header = h;
    lc->line = line;
    jump(L, h, loc_make(line, 1));
    fs->cur = h;
    fs->loop = lc;
}

/* Seals the header, leaves through `exit` (if any) and continues after the loop. */
static void end_loop(Lower *L, LoopCx *lc, Graph *exit, Loc loc)
{
    FnState *fs = L->fs;
    fs->loop = lc->outer;
    seal(L, lc->header);
    if (exit) {
        fs->cur = exit;
        jump(L, loop_after(L, lc), loc);
    }
    finish_loop_events(L, lc);
    if (lc->after) {
        seal(L, lc->after);
        fs->cur = lc->after;
    } else {
        fs->cur = NULL;
    }
}

/* while c: body -> f:while (header) = switch(c, @body, @exit)(); the body
   jumps back to the header, the exit to f:endwhile.  A literally true
   condition has no exit: the body runs in the header itself. */
static void lower_while(Lower *L, const Stmt *s)
{
    FnState *fs = L->fs;
    LoopCx lc = {0};
    lc.counter = lc.step = -1;
    Graph *h = new_join(L, "while", s->loc);
    begin_loop(L, &lc, h, &s->while_.body, s->loc.line);
    Graph *exit = NULL;
    if (!literally_true(s->while_.cond)) {
        Node *c = lower_expr(L, s->while_.cond);
        Graph *body = new_branch(L, "body", s->loc);
        exit = new_branch(L, "exit", s->loc);
        ir_set_output(h, switch_call(L, c, body, exit, s->while_.cond->loc));
        fs->cur = body;
    }
    lower_stmts(L, &s->while_.body);
    if (fs->cur)
        loop_next(L, &lc, s->loc);
    end_loop(L, &lc, exit, s->loc);
}

/* for i in range(a, b, s): a, b, s evaluated once (s checked by range_step
   unless a nonzero literal); hidden counter, stop and step variables; the
   header is switch(range_cond(counter, stop, step), @body, @exit)(); the
   body binds i = counter first and steps the counter at its end
   (begin_iter_loop). */
static void lower_for(Lower *L, const Stmt *s)
{
    FnState *fs = L->fs;
    Iter it = {0};
    it.kind = IT_RANGE;
    it.loc = s->for_.range_loc;
    if (!range_operands(L, (Expr *const *)s->for_.args, s->for_.nargs, s->for_.range_loc, &it.start, &it.stop,
                        &it.step))
        return;
    LoopCx lc = {0};
    Graph *exit = begin_iter_loop(L, &lc, &it, s->for_.target, &s->for_.body, NULL, s->loc);
    lower_stmts(L, &s->for_.body);
    if (fs->cur)
        loop_next(L, &lc, s->loc);
    end_loop(L, &lc, exit, s->loc);
}

/* for TARGET in xs / enumerate(xs[, start]) / zip(xs, ys, ...): an index
   loop (Iter, begin_iter_loop); a list variable the body does not rebind
   is read live. */
static void lower_foreach(Lower *L, const Stmt *s)
{
    FnState *fs = L->fs;
    Map rebound = {0};
    collect_assigned(L, &s->for_.body, &rebound, 0, CA_REBOUND);
    collect_target(L, s->for_.target, &rebound, 0);
    Iter it;
    if (eval_iter(L, s->for_.iter, &rebound, &it)) {
        LoopCx lc = {0};
        Graph *exit = begin_iter_loop(L, &lc, &it, s->for_.target, &s->for_.body, NULL, s->loc);
        lower_stmts(L, &s->for_.body);
        if (fs->cur)
            loop_next(L, &lc, s->loc);
        end_loop(L, &lc, exit, s->loc);
    }
    iter_free(&it);
    map_free(&rebound);
}

static void lower_break_continue(Lower *L, const Stmt *s)
{
    LoopCx *lc = L->fs->loop;
    bool brk = s->kind == S_BREAK;
    if (!lc) {
        diag_error(L->d, s->loc, "'%s' outside loop", brk ? "break" : "continue");
        return;
    }
    if (brk)
        jump(L, loop_after(L, lc), s->loc);
    else
        loop_next(L, lc, s->loc);
}

/* Consecutive defs are defined together: every name is bound (to its graph
   constant) before any body is lowered, so they may call each other. */
static void lower_def_group(Lower *L, const Stmt *const *defs, int n)
{
    FnState *fs = L->fs;
    int group = ++L->next_id;
    Graph **gs = xcalloc((size_t)n, sizeof *gs);
    for (int k = 0; k < n; k++) {
        const FuncDef *fd = defs[k]->def;
        if (!fd)
            continue;
        gs[k] = make_function_graph(L, fd, arena_printf(L->arena, "%s/%s", fs->fn->name, fd->name), fs->cur);
        BlockInfo *gi = binfo(L, gs[k]);
        gi->group = group;
        gi->konst = ir_const_graph(L->m, gs[k], fd->name_loc);
        bind_name(L, fd->name, gi->konst, fd->name_loc, group);
    }
    for (int k = 0; k < n; k++)
        if (gs[k])
            lower_function_body(L, defs[k]->def, gs[k], group);
    free(gs);
}

static void lower_stmt(Lower *L, const Stmt *s)
{
    FnState *fs = L->fs;
    switch (s->kind) {
    case S_EXPR:
        /* The value is unused and dropped, with any runtime error it would
           raise: only what a graph's output depends on runs. */
        if (s->expr && s->expr->kind == E_METHOD)
            (void)lower_method(L, s->expr, true);
        else
            (void)lower_expr(L, s->expr);
        break;
    case S_ASSIGN: lower_assign(L, s); break;
    case S_AUGASSIGN: lower_augassign(L, s); break;
    case S_IF: lower_if(L, s); break;
    case S_WHILE: lower_while(L, s); break;
    case S_FOR: lower_for(L, s); break;
    case S_FOREACH: lower_foreach(L, s); break;
    case S_BREAK:
    case S_CONTINUE: lower_break_continue(L, s); break;
    case S_RETURN:
        ir_set_output(fs->cur, lower_expr(L, s->ret));
        fs->cur->ret_loc = s->loc;      /* where a return-type clash is reported */
        fs->cur = NULL;
        break;
    case S_PASS: break;
    case S_DEF: lower_def_group(L, &s, 1); break;
    }
}

/* Statements in order until the block ends (after return, break, continue,
   or control flow that does not fall through); the rest is dead code and
   is skipped, as CPython does. */
static void lower_stmts(Lower *L, const StmtList *sl)
{
    int i = 0;
    while (i < sl->n && L->fs->cur) {
        const Stmt *s = sl->items[i];
        if (!s) {
            i++;
            continue;
        }
        if (s->kind == S_DEF) {
            int j = i;
            while (j < sl->n && sl->items[j] && sl->items[j]->kind == S_DEF)
                j++;
            lower_def_group(L, (const Stmt *const *)sl->items + i, j - i);
            i = j;
            continue;
        }
        lower_stmt(L, s);
        i++;
    }
}

/* ======================================================================
 * Functions and the module
 * ====================================================================== */

static Type *convert_type(Lower *L, const TypeExpr *t)
{
    if (!t)
        return NULL;
    TypeTable *tt = L->m->types;
    switch (t->kind) {
    case TE_FLOAT: return type_float(tt);
    case TE_INT: return type_int(tt);
    case TE_BOOL: return type_bool(tt);
    case TE_TUPLE: break;
    case TE_LIST: {
        Type *el = convert_type(L, t->elem);
        return type_list(tt, el ? el : type_float(tt));
    }
    }
    Type **el = xmalloc(sizeof(Type *) * (size_t)(t->n ? t->n : 1));
    for (int i = 0; i < t->n; i++) {
        el[i] = convert_type(L, t->elems[i]);
        if (!el[i])
            el[i] = type_float(tt);
    }
    Type *r = type_tuple(tt, el, t->n);
    free(el);
    return r;
}

/* An annotation's type, held to the same tuple depth limit as values. */
static Type *convert_annotation(Lower *L, const TypeExpr *t)
{
    Type *r = convert_type(L, t);
    if (r && r->depth > TYPE_MAX_TUPLE_DEPTH)
        diag_error(L->d, t->loc, "tuple type nesting is too deep (limit %d levels)", TYPE_MAX_TUPLE_DEPTH);
    return r;
}

/* The graph of a def or lambda with its parameters and annotations. */
static Graph *make_function_graph(Lower *L, const FuncDef *fd, const char *name, Graph *parent)
{
    /* A def's graph is located at its name, where messages about the
       function as a whole point. */
    Graph *g = new_graph(L, G_FUNCTION, name, parent, fd->is_lambda ? fd->loc : fd->name_loc, BK_ENTRY);
    BlockInfo *bi = binfo(L, g);
    bi->def_loc = fd->name_loc;
    bi->is_lambda = fd->is_lambda;
    g->src_name = fd->is_lambda ? "<lambda>" : arena_strdup(L->arena, fd->name);
    g->role = GR_FUNCTION;
    g->src_label = g->src_name;
    Map seen = {0};
    for (int i = 0; i < fd->nparams; i++) {
        const Param *p = &fd->params[i];
        int s = intern(L, p->name);
        MapEnt *e = map_put(&seen, (uint64_t)s + 1);
        if (is_reserved(L, s))
            diag_error(L->d, p->loc, "cannot redefine builtin '%s'", p->name);
        else if (e->v)
            diag_error(L->d, p->loc, "duplicate parameter '%s' in function definition", p->name);
        e->v = 1;
        ir_add_param(g, p->name, p->loc);
        g->param_ann[g->nparams - 1] = convert_annotation(L, p->ann);
    }
    map_free(&seen);
    g->ret_ann = convert_annotation(L, fd->ret_ann);
    return g;
}

/* Lowers the body of fd into its graph g (created in the current block of
   the enclosing function, if any). */
static void lower_function_body(Lower *L, const FuncDef *fd, Graph *g, int group)
{
    FnState fs = {0};
    fs.id = ++L->next_id;
    fs.outer = L->fs;
    fs.fn = g;
    fs.def = fd;
    fs.cur = g;
    fs.group = group;
    fs.created_at = fd->loc;
    binfo(L, g)->fn_id = fs.id;
    for (int i = 0; i < fd->nparams; i++) {
        int s = intern(L, fd->params[i].name);
        if (is_reserved(L, s))
            continue;
        map_put(&L->locals, key2((uint32_t)fs.id, (uint32_t)s))->v = 1;
        if (!var_get(L, g, s))      /* the first of duplicate parameters */
            var_set(L, g, s, g->params[i], VS_OK);
    }
    collect_assigned(L, &fd->body, &L->locals, (uint32_t)fs.id, CA_NAMES);
    L->fs = &fs;
    lower_stmts(L, &fd->body);
    if (fs.cur) {
        diag_error(L->d, fd->name_loc, "missing return: function '%s' can reach its end without returning a value",
                   fd->name);
        ir_set_output(fs.cur, placeholder(L, fd->end_loc));
    }
    L->fs = fs.outer;
}

static void lower_const(Lower *L, TopDef *t, const Stmt *s)
{
    FnState fs = {0};
    fs.id = ++L->next_id;
    fs.fn = t->g;
    fs.konst = t;
    fs.cur = t->g;
    fs.created_at = t->loc;
    binfo(L, t->g)->fn_id = fs.id;
    L->fs = &fs;
    Node *v = lower_expr(L, s->assign.value);
    if (s->assign.ann)
        v = annotate(L, s->assign.ann, s->assign.targets[0]->name, v);
    ir_set_output(t->g, v);
    L->fs = NULL;
}

/* Declares a top-level function or constant: its graph, registered unless
   the name is reserved or taken (then reported, and the graph is lowered
   under a fresh name so errors inside it still show). */
static TopDef *declare_top(Lower *L, const char *name, Loc loc, bool is_const, int order, const FuncDef *fd)
{
    int s = intern(L, name);
    bool ok = true;
    if (is_reserved(L, s)) {
        diag_error(L->d, loc, "cannot redefine builtin '%s'", name);
        ok = false;
    } else if (sym_of(L, s)->top) {
        diag_error(L->d, loc, "redefinition of '%s'", name);
        diag_note(L->d, sym_of(L, s)->top->loc, "previous definition is here");
        ok = false;
    }
    TopDef *t = ARENA_NEW(L->arena, TopDef);
    t->is_const = is_const;
    t->loc = loc;
    t->order = order;
    if (is_const) {
        t->g = new_graph(L, G_CONST, name, NULL, loc, BK_ENTRY);
        t->g->role = GR_CONSTANT;
    } else {
        t->g = make_function_graph(L, fd, name, NULL);
    }
    if (ok) {
        sym_of(L, s)->top = t;
        TopLevel tl = {t->g->name, t->g, loc, name[0] == '_'};
        vec_push(&L->m->tops, tl);
    }
    return t;
}

/* ======================================================================
 * Rebinding a captured variable: an error or a warning
 * ====================================================================== */

/*
 * A closure holds the values its free variables had when it was made;
 * CPython's reads them when it runs.  The two differ exactly when a
 * captured variable is rebound between the two.  For each rebinding
 * note_rebind recorded (one that may follow the making of a closure that
 * captured the variable), check_rebinds looks for a value holding such a
 * closure that is live across the rebinding: used on some path after it
 * (called, passed to a function, put in a tuple, captured by another
 * closure, returned...).  That is an error; otherwise no such closure can
 * run after the rebinding, and the rebinding gets a warning.
 *
 * The values holding a closure: the constant that makes it, and what is
 * computed from a value holding it -- tuples and their items, phis,
 * depend, derive, the closures of nested functions that read it, the value
 * of an expression's switch whose branch returns it, and a call that takes
 * it (as the callee or an argument) when the call may return a function
 * (Flow below).
 *
 * Where: a function's statement blocks (its entry, join blocks, if arms,
 * loop bodies and exits) are the nodes of its control flow; the branches
 * of an expression are part of the block holding the expression.  Within a
 * block the ids of the nodes follow the source (lowering makes them in
 * order), and an assignment sits at the node count when it was made
 * (Event.mark).  Liveness is SSA liveness by path exploration, per value.
 */

/* ---- which values may hold a function (untyped, over the whole module) ---- */

/*
 * A mask per node: may its value be a function (FN_ALL: or hold one
 * anywhere, its shape unknown), or hold one in its top-level tuple item i
 * (bit i, at any depth)?  A monotone flow analysis: a tuple display sets
 * the bits of its items, t[k] reads bit k; a graph's result is its
 * output's mask; a direct call's or jump's arguments flow to the
 * parameters; a function used as a value escapes, and then calls of
 * unknown callees (parameters, call results, ...) may call it: their
 * arguments flow to its parameters and its result to theirs.  A node's
 * mask grows at most 64 times, each time propagated along its uses:
 * linear in the size of the module.
 */
#define FN_ALL (UINT64_C(1) << 63)

enum { CK_PRIM, CK_GRAPH, CK_SWITCH, CK_DERIVE, CK_UNKNOWN };

typedef struct Flow {
    uint64_t *mf;           /* by node id */
    uint8_t *queued;        /* by node id: in `work` */
    NodeVec *callers;       /* by graph id: direct calls and jumps of the graph */
    NodeVec *watchers;      /* by graph id: other applies whose value is its result */
    uint8_t *escapes;       /* by graph id: a function used as a value */
    GraphVec escaping;
    NodeVec unknown;        /* calls of unknown callees (and of derived functions) */
    uint64_t u_arg, u_ret;  /* what unknown calls may pass / return */
    NodeVec work;
} Flow;

static int callee_kind(const Node *a)
{
    const Node *c = a->app.in[0];
    if (c->kind == N_CONST && c->k.kind == K_PRIM)
        return CK_PRIM;
    if (ir_is_const_graph(c))
        return CK_GRAPH;
    if (c->kind == N_APPLY && c->app.n == 4 && ir_is_const_prim(c->app.in[0], P_SWITCH))
        return CK_SWITCH;
    if (c->kind == N_APPLY && c->app.n > DERIVE_IDX && ir_is_const_prim(c->app.in[0], P_DERIVE))
        return CK_DERIVE;
    return CK_UNKNOWN;
}

static uint64_t flow_mf(const Flow *f, const Node *n)
{
    if (n->kind == N_CONST)
        return n->k.kind == K_GRAPH || n->k.kind == K_PRIM ? FN_ALL : 0;
    return f->mf[n->id];
}

static uint64_t flow_result(const Flow *f, const Graph *g) { return g->output ? flow_mf(f, g->output) : 0; }

/* The mask of apply a from what is known now. */
static uint64_t flow_eval(const Flow *f, const Node *a)
{
    Node *const *in = a->app.in;
    int n = a->app.n;
    switch (callee_kind(a)) {
    case CK_PRIM:
        switch (in[0]->k.u.prim) {
        case P_MAKE_TUPLE: {
            uint64_t m = 0;
            for (int i = 1; i < n; i++)
                if (flow_mf(f, in[i]))
                    m |= i - 1 < 63 ? UINT64_C(1) << (i - 1) : FN_ALL;
            return m;
        }
        case P_GETITEM: {
            uint64_t m = n > 1 ? flow_mf(f, in[1]) : 0;
            const Node *k = n > 2 ? in[2] : NULL;
            if (!m || m & FN_ALL || !k || k->kind != N_CONST || k->k.kind != K_INT || k->k.u.i < 0 || k->k.u.i >= 63)
                return m ? FN_ALL : 0;
            return m >> k->k.u.i & 1 ? FN_ALL : 0;
        }
        case P_UNPACK: return n > 1 ? flow_mf(f, in[1]) : 0;
        case P_DEPEND: return flow_mf(f, in[n - 1]);
        case P_DERIVE:
        case P_SWITCH: return FN_ALL;
        default: return 0;
        }
    case CK_GRAPH: return flow_result(f, in[0]->k.u.graph);
    case CK_SWITCH: {
        uint64_t m = 0;
        for (int i = 2; i <= 3; i++) {
            const Node *b = in[0]->app.in[i];
            m |= ir_is_const_graph(b) ? flow_result(f, b->k.u.graph) : FN_ALL;
        }
        return m;
    }
    case CK_DERIVE: {
        const Node *d = in[0], *kind = d->app.in[DERIVE_KIND], *fn = d->app.in[d->app.n - 1];
        int64_t k = kind->kind == N_CONST && kind->k.kind == K_INT ? kind->k.u.i : -1;
        if (k == OP_GRAD || k == OP_VALUE_AND_GRAD)
            return 0;       /* floats, and tuples of them */
        if (k == OP_JVP && ir_is_const_graph(fn))
            return flow_result(f, fn->k.u.graph) ? FN_ALL : 0;
        return FN_ALL;
    }
    default: return f->u_ret;
    }
}

static void flow_set(Flow *f, Node *n, uint64_t m)
{
    if (n->kind == N_CONST || (f->mf[n->id] | m) == f->mf[n->id])
        return;
    f->mf[n->id] |= m;
    if (!f->queued[n->id]) {
        f->queued[n->id] = 1;
        vec_push(&f->work, n);
    }
}

static void flow_add_uarg(Flow *f, uint64_t m)
{
    if ((f->u_arg | m) == f->u_arg)
        return;
    f->u_arg |= m;
    for (int i = 0; i < f->escaping.len; i++) {
        Graph *g = f->escaping.data[i];
        for (int k = 0; k < g->nparams; k++)
            flow_set(f, g->params[k], f->u_arg);
    }
}

/* Graph g's result grew. */
static void flow_result_grew(Flow *f, Graph *g)
{
    uint64_t m = flow_result(f, g);
    for (int i = 0; i < f->callers[g->id].len; i++)
        flow_set(f, f->callers[g->id].data[i], m);
    for (int i = 0; i < f->watchers[g->id].len; i++)
        flow_set(f, f->watchers[g->id].data[i], flow_eval(f, f->watchers[g->id].data[i]));
    if (f->escapes[g->id] && (f->u_ret | m) != f->u_ret) {
        f->u_ret |= m;
        for (int i = 0; i < f->unknown.len; i++)
            flow_set(f, f->unknown.data[i], flow_eval(f, f->unknown.data[i]));
    }
}

/* Node n's mask grew (or n is a function constant): what follows from it. */
static void flow_propagate(Flow *f, const Node *n)
{
    uint64_t m = flow_mf(f, n);
    for (const Use *u = n->uses; u; u = u->next) {
        if (!u->user) {
            flow_result_grew(f, u->graph);
            continue;
        }
        Node *a = u->user;
        if (u->index == 0)
            continue;       /* being called tells nothing about the result */
        switch (callee_kind(a)) {
        case CK_GRAPH: {
            Graph *g = a->app.in[0]->k.u.graph;
            if (u->index - 1 < g->nparams)
                flow_set(f, g->params[u->index - 1], m);
            break;
        }
        case CK_PRIM: flow_set(f, a, flow_eval(f, a)); break;
        case CK_SWITCH: break;
        default: flow_add_uarg(f, m); break;
        }
    }
}

static void flow_run(Flow *f)
{
    while (f->work.len) {
        Node *n = vec_pop(&f->work);
        f->queued[n->id] = 0;
        flow_propagate(f, n);
    }
}

static void flow_init(Flow *f, Module *m, const NodeVec *applies)
{
    memset(f, 0, sizeof *f);
    size_t nn = m->nnodes ? m->nnodes : 1, ng = m->ngraph_ids ? m->ngraph_ids : 1;
    f->mf = xcalloc(nn, sizeof *f->mf);
    f->queued = xcalloc(nn, 1);
    f->callers = xcalloc(ng, sizeof(NodeVec));
    f->watchers = xcalloc(ng, sizeof(NodeVec));
    f->escapes = xcalloc(ng, 1);
    uint8_t *seen = xcalloc(nn, 1);
    NodeVec consts = {0};
    /* who depends on whom; which functions are values */
    for (int i = 0; i < applies->len; i++) {
        Node *a = applies->data[i];
        switch (callee_kind(a)) {
        case CK_GRAPH: vec_push(&f->callers[a->app.in[0]->k.u.graph->id], a); break;
        case CK_SWITCH:
            for (int k = 2; k <= 3; k++)
                if (ir_is_const_graph(a->app.in[0]->app.in[k]))
                    vec_push(&f->watchers[a->app.in[0]->app.in[k]->k.u.graph->id], a);
            break;
        case CK_DERIVE: {
            const Node *fn = a->app.in[0]->app.in[a->app.in[0]->app.n - 1];
            if (ir_is_const_graph(fn))
                vec_push(&f->watchers[fn->k.u.graph->id], a);
            vec_push(&f->unknown, a);
            break;
        }
        case CK_UNKNOWN: vec_push(&f->unknown, a); break;
        default: break;
        }
        for (int k = 0; k < a->app.n; k++) {
            Node *x = a->app.in[k];
            if (flow_mf(f, x) && !seen[x->id]) {
                seen[x->id] = 1;
                vec_push(&consts, x);
            }
            if (ir_is_const_graph(x) && k > 0 && x->k.u.graph->kind == G_FUNCTION)
                f->escapes[x->k.u.graph->id] = 1;
        }
    }
    for (int i = 0; i < m->graphs.len; i++) {
        Node *o = m->graphs.data[i]->output;
        if (o && o->kind == N_CONST && flow_mf(f, o)) {
            if (!seen[o->id]) {
                seen[o->id] = 1;
                vec_push(&consts, o);
            }
            if (o->k.kind == K_GRAPH && o->k.u.graph->kind == G_FUNCTION)
                f->escapes[o->k.u.graph->id] = 1;
        }
    }
    for (int i = 0; i < m->graphs.len; i++)
        if (f->escapes[m->graphs.data[i]->id])
            vec_push(&f->escaping, m->graphs.data[i]);
    /* the function values, then every apply once; the rest follows */
    for (int i = 0; i < consts.len; i++) {
        flow_propagate(f, consts.data[i]);
        flow_run(f);
    }
    for (int i = 0; i < applies->len; i++) {
        flow_set(f, applies->data[i], flow_eval(f, applies->data[i]));
        flow_run(f);
    }
    vec_free(&consts);
    free(seen);
}

static void flow_free(Flow *f, Module *m)
{
    for (uint32_t i = 0; i < m->ngraph_ids; i++) {
        vec_free(&f->callers[i]);
        vec_free(&f->watchers[i]);
    }
    free(f->callers);
    free(f->watchers);
    free(f->escapes);
    free(f->mf);
    free(f->queued);
    vec_free(&f->escaping);
    vec_free(&f->unknown);
    vec_free(&f->work);
}

/* ---- liveness of the values holding a closure, per function ---- */

/* Uses, for the notes: the closure called, a value holding it called,
   passed to a function, used otherwise, returned, captured by another
   closure. */
enum { U_CALL, U_CALL_HOLDER, U_PASS, U_ARG, U_RETURN, U_CAPTURE };

/* An effect of a value holding the closure: a use that may call it (a
   sink: to < 0), or one that hands it to another holder `to`, which
   matters only if that holder has effects that matter in turn. */
typedef struct HEdge {
    int from, to;       /* indices in holders */
    Graph *b;           /* the statement block of the use */
    int64_t pos;
    Loc loc;
    int kind;           /* U_* */
} HEdge;

typedef struct LUse {
    Graph *b;           /* statement block */
    int64_t pos;
    Loc loc;
    int kind;           /* U_* */
} LUse;

typedef struct RCheck {
    Lower *L;
    Flow *flow;
    Graph *fn;
    uint32_t *held;         /* by node id: == held_cur when in `holders` */
    int *held_at;           /* by node id: its index in `holders` */
    uint32_t held_cur;
    NodeVec holders;        /* the values holding the closure examined */
    VEC(HEdge) edges;       /* their effects, grouped by `from` once found */
    VEC(int) first;         /* by holder: its first edge (first[i + 1]: the end) */
    VEC(bool) matters;      /* by holder: it may be called, or passed on to such a holder */
    VEC(LUse) uses;         /* the uses of the value examined */
    Graph *def_b;           /* and its definition */
    int64_t def_pos;
    uint32_t stamp;         /* BlockInfo live_stamp and use_stamp */
    uint32_t seen;          /* BlockInfo seen_stamp */
    int nerrors;            /* rebindings found to be errors */
    GraphVec stack;
    GraphVec touched;       /* the blocks the value is used in or live out of */
    Map in_fn;              /* (fn id, sym): fn has rebindings of sym */
    Map in_block;           /* (block id, sym) -> (start << 32 | count) in `order` */
    VEC(int) order;         /* indices in L->rebinds by block, variable, then position */
} RCheck;

static Graph *home_of(RCheck *rc, const Graph *g) { return binfo(rc->L, g)->home; }

/* The function nested directly in rc->fn whose code g is part of. */
static Graph *outer_closure(RCheck *rc, const Graph *g)
{
    const Graph *f = g->fn;
    while (f->parent && f->parent->fn != rc->fn)
        f = f->parent->fn;
    return f->parent ? (Graph *)f : NULL;
}

/* t[k] of a tuple display t with a constant k: the item (else NULL). */
static Node *known_item(const Node *a)
{
    if (a->app.n != 3 || a->app.in[1]->kind != N_APPLY || !ir_is_const_prim(a->app.in[1]->app.in[0], P_MAKE_TUPLE))
        return NULL;
    const Node *t = a->app.in[1], *k = a->app.in[2];
    if (k->kind != N_CONST || k->k.kind != K_INT)
        return NULL;
    int64_t n = t->app.n - 1, i = k->k.u.i < 0 ? k->k.u.i + n : k->k.u.i;
    return i >= 0 && i < n ? t->app.in[i + 1] : NULL;
}

static int hold(RCheck *rc, Node *n)
{
    if (!n)
        return -1;
    if (rc->held[n->id] != rc->held_cur) {
        rc->held[n->id] = rc->held_cur;
        rc->held_at[n->id] = rc->holders.len;
        vec_push(&rc->holders, n);
    }
    return rc->held_at[n->id];
}

static void effect(RCheck *rc, int from, int to, Graph *b, int64_t pos, Loc loc, int kind)
{
    HEdge e = {from, to, b, pos, loc, kind};
    vec_push(&rc->edges, e);
}

/* The effects of holder i (rc->holders.data[i]), adding the holders they make. */
static void holder_effects(RCheck *rc, int i)
{
    Lower *L = rc->L;
    Node *x = rc->holders.data[i];
    for (const Use *u = x->uses; u; u = u->next) {
        Graph *g = ir_use_graph(u);
        if (g->fn != rc->fn) {                  /* read by a nested function */
            Graph *d = outer_closure(rc, g);
            Node *k = d ? binfo(L, d)->konst : NULL;
            if (k && k != x)
                effect(rc, i, hold(rc, k), home_of(rc, d->parent), k->id, k->loc, U_CAPTURE);
            continue;
        }
        if (!u->user) {
            BlockInfo *bi = binfo(L, g);
            if (!bi->expr)                      /* the function's result */
                effect(rc, i, -1, g, INT64_MAX, g->ret_loc.line ? g->ret_loc : g->loc, U_RETURN);
            else if (bi->sel)                   /* an expression branch's value */
                effect(rc, i, hold(rc, bi->sel), home_of(rc, g), bi->sel->id, bi->sel->loc, U_ARG);
            continue;
        }
        Node *a = u->user;
        Graph *b = home_of(rc, g);
        if (u->index == 0) {                    /* called */
            effect(rc, i, -1, b, a->id, a->loc, U_CALL);
            if (rc->flow->mf[a->id])
                hold(rc, a);
            continue;
        }
        int kind = callee_kind(a);
        if (kind == CK_PRIM) {
            int to = -1;
            switch (a->app.in[0]->k.u.prim) {
            case P_GETITEM: {
                const Node *item = known_item(a);
                if (!item || rc->held[item->id] == rc->held_cur)
                    to = hold(rc, a);
                break;
            }
            case P_MAKE_TUPLE:
            case P_UNPACK:
            case P_DERIVE: to = hold(rc, a); break;
            case P_DEPEND:
                if (u->index == a->app.n - 1)
                    to = hold(rc, a);
                break;
            default: break;     /* a condition, or a type error */
            }
            if (to >= 0)
                effect(rc, i, to, b, a->id, a->loc, U_ARG);
        } else if (kind == CK_GRAPH && a->app.in[0]->k.u.graph->kind == G_BLOCK) {
            Graph *t = a->app.in[0]->k.u.graph;     /* a jump: to a phi */
            if (u->index - 1 < t->nparams)
                effect(rc, i, hold(rc, t->params[u->index - 1]), b, a->id, a->loc, U_ARG);
        } else if (kind != CK_SWITCH) {         /* passed to a function */
            effect(rc, i, -1, b, a->id, a->loc, U_PASS);
            if (rc->flow->mf[a->id])
                hold(rc, a);
        }
    }
}

/* Every value of rc->fn that holds closure k, their effects, and which of
   them matter. */
static void find_holders(RCheck *rc, Graph *k)
{
    rc->held_cur++;
    rc->holders.len = 0;
    rc->edges.len = 0;
    hold(rc, binfo(rc->L, k)->konst);
    for (int i = 0; i < rc->holders.len; i++)
        holder_effects(rc, i);
    int n = rc->holders.len;
    /* edges grouped by holder (counting sort; stable) */
    rc->first.len = 0;
    for (int i = 0; i <= n; i++)
        vec_push(&rc->first, 0);
    for (int e = 0; e < rc->edges.len; e++)
        rc->first.data[rc->edges.data[e].from + 1]++;
    for (int i = 0; i < n; i++)
        rc->first.data[i + 1] += rc->first.data[i];
    HEdge *sorted = xmalloc(sizeof *sorted * (size_t)(rc->edges.len ? rc->edges.len : 1));
    int *fill = xmalloc(sizeof *fill * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        fill[i] = rc->first.data[i];
    for (int e = 0; e < rc->edges.len; e++)
        sorted[fill[rc->edges.data[e].from]++] = rc->edges.data[e];
    if (rc->edges.len > 0)  /* (no edges: data may be NULL) */
        memcpy(rc->edges.data, sorted, sizeof *sorted * (size_t)rc->edges.len);
    /* which holders matter: backwards from the sinks (to < 0) */
    rc->matters.len = 0;
    for (int i = 0; i < n; i++)
        vec_push(&rc->matters, false);
    int *rfirst = xcalloc((size_t)n + 1, sizeof *rfirst), *rlist = fill;
    free(sorted);
    rlist = xmalloc(sizeof *rlist * (size_t)(rc->edges.len ? rc->edges.len : 1));
    for (int e = 0; e < rc->edges.len; e++)
        if (rc->edges.data[e].to >= 0)
            rfirst[rc->edges.data[e].to + 1]++;
    for (int i = 0; i < n; i++)
        rfirst[i + 1] += rfirst[i];
    int *rfill = xmalloc(sizeof *rfill * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        rfill[i] = rfirst[i];
    for (int e = 0; e < rc->edges.len; e++)
        if (rc->edges.data[e].to >= 0)
            rlist[rfill[rc->edges.data[e].to]++] = rc->edges.data[e].from;
    VEC(int) work = {0};
    for (int e = 0; e < rc->edges.len; e++) {
        int f = rc->edges.data[e].from;
        if (rc->edges.data[e].to < 0 && !rc->matters.data[f]) {
            rc->matters.data[f] = true;
            vec_push(&work, f);
        }
    }
    while (work.len) {
        int t = vec_pop(&work);
        for (int j = rfirst[t]; j < rfirst[t + 1]; j++) {
            int f = rlist[j];
            if (!rc->matters.data[f]) {
                rc->matters.data[f] = true;
                vec_push(&work, f);
            }
        }
    }
    vec_free(&work);
    free(rfill);
    free(rlist);
    free(rfirst);
    free(fill);
}

static void add_use(RCheck *rc, Graph *b, int64_t pos, Loc loc, int kind)
{
    if (b == rc->def_b && pos < rc->def_pos)
        pos = rc->def_pos;      /* a sibling def made before it reads it */
    LUse u = {b, pos, loc, kind};
    vec_push(&rc->uses, u);
}

/* Holder h's definition and the uses that matter, and the blocks it is
   live out of. */
static void examine(RCheck *rc, int h)
{
    Lower *L = rc->L;
    Node *x = rc->holders.data[h];
    if (x->kind == N_CONST) {
        rc->def_b = home_of(rc, x->k.u.graph->parent);
        rc->def_pos = x->id;
    } else if (x->kind == N_PARAM) {
        rc->def_b = home_of(rc, x->graph);
        rc->def_pos = -1;
    } else {
        rc->def_b = home_of(rc, x->graph);
        rc->def_pos = x->id;
    }
    rc->uses.len = 0;
    for (int e = rc->first.data[h]; e < rc->first.data[h + 1]; e++) {
        const HEdge *he = &rc->edges.data[e];
        if (he->to < 0 || rc->matters.data[he->to])
            add_use(rc, he->b, he->pos, he->loc, he->kind);
    }
    rc->stamp++;
    rc->touched.len = 0;
    for (int i = 0; i < rc->uses.len; i++) {
        LUse *u = &rc->uses.data[i];
        BlockInfo *bi = binfo(L, u->b);
        if (bi->use_stamp != rc->stamp) {
            bi->use_stamp = rc->stamp;
            bi->maxuse = u->pos;
            if (bi->live_stamp != rc->stamp)
                vec_push(&rc->touched, u->b);
        } else if (u->pos > bi->maxuse) {
            bi->maxuse = u->pos;
        }
        if (u->b == rc->def_b || bi->live_stamp == rc->stamp)
            continue;
        rc->stack.len = 0;
        for (int k = 0; k < bi->cpreds.len; k++)
            vec_push(&rc->stack, bi->cpreds.data[k]);
        while (rc->stack.len) {
            Graph *p = vec_pop(&rc->stack);
            BlockInfo *pi = binfo(L, p);
            if (pi->live_stamp == rc->stamp)
                continue;
            pi->live_stamp = rc->stamp;
            if (pi->use_stamp != rc->stamp)
                vec_push(&rc->touched, p);
            if (p != rc->def_b)
                for (int k = 0; k < pi->cpreds.len; k++)
                    vec_push(&rc->stack, pi->cpreds.data[k]);
        }
    }
}

/* A use of the value examine() saw that follows assignment a (live there). */
static const LUse *use_after(RCheck *rc, const Event *a)
{
    const LUse *best = NULL;
    for (int i = 0; i < rc->uses.len; i++) {
        const LUse *u = &rc->uses.data[i];
        if (u->b == a->block && u->pos >= (int64_t)a->mark && (!best || u->pos < best->pos))
            best = u;
    }
    if (best)
        return best;
    /* the first block after a's with a use, not going through the definition
       (a's own block included, reached again around a loop) */
    uint32_t seen = ++rc->seen;
    GraphVec queue = {0};
    vec_push(&queue, a->block);
    for (int qi = 0; qi < queue.len && !best; qi++) {
        BlockInfo *bi = binfo(rc->L, queue.data[qi]);
        for (int k = 0; k < bi->csuccs.len && !best; k++) {
            Graph *s = bi->csuccs.data[k];
            BlockInfo *si = binfo(rc->L, s);
            if (si->seen_stamp == seen || s == rc->def_b)
                continue;
            si->seen_stamp = seen;
            for (int i = 0; i < rc->uses.len; i++) {
                const LUse *u = &rc->uses.data[i];
                if (u->b == s && (!best || u->pos < best->pos))
                    best = u;
            }
            vec_push(&queue, s);
        }
    }
    vec_free(&queue);
    return best;
}

/* The statement blocks of fn and the control flow between them. */
static void function_blocks(Lower *L, Graph *fn)
{
    BlockInfo *fi = binfo(L, fn);
    for (int i = 0; i < fi->members.len; i++) {     /* parents come first */
        Graph *g = fi->members.data[i];
        BlockInfo *bi = binfo(L, g);
        bi->home = bi->expr && g->parent ? binfo(L, g->parent)->home : g;
    }
    for (int i = 0; i < fi->members.len; i++) {
        Graph *g = fi->members.data[i];
        Node *out = g->output;
        if (binfo(L, g)->home != g || !out || out->kind != N_APPLY)
            continue;
        Graph *to[2] = {NULL, NULL};
        int kind = callee_kind(out);
        if (kind == CK_GRAPH && out->app.in[0]->k.u.graph->kind == G_BLOCK) {
            to[0] = out->app.in[0]->k.u.graph;
        } else if (kind == CK_SWITCH) {
            for (int k = 0; k < 2; k++) {
                Node *b = out->app.in[0]->app.in[2 + k];
                if (ir_is_const_graph(b) && b->k.u.graph->kind == G_BRANCH && !binfo(L, b->k.u.graph)->expr)
                    to[k] = b->k.u.graph;
            }
        }
        for (int k = 0; k < 2; k++) {
            if (!to[k] || to[k]->fn != fn)
                continue;
            vec_push(&binfo(L, g)->csuccs, to[k]);
            vec_push(&binfo(L, to[k])->cpreds, g);
        }
    }
}

static bool rebind_exempt(Lower *L, const Rebind *r, Graph *k)
{
    /* the defs of one group are bound together, before any of them runs */
    return r->ev.group && r->ev.group == binfo(L, k)->group;
}

/* The first of n rebindings (indices ord, in position order) after position v. */
static int first_after(const Rebind *rb, const int *ord, int n, int64_t v)
{
    int a = 0, z = n;
    while (a < z) {
        int mid = a + (z - a) / 2;
        if ((int64_t)rb[ord[mid]].ev.mark > v)
            z = mid;
        else
            a = mid + 1;
    }
    return a;
}

/* The rebindings of sym in block b whose position is in (lo, hi]: [*first, *end) in rc->order. */
static void rebinds_in(RCheck *rc, Graph *b, int sym, int64_t lo, int64_t hi, int *first, int *end)
{
    *first = *end = 0;
    MapEnt *e = map_get(&rc->in_block, key2(b->id, (uint32_t)sym));
    if (!e)
        return;
    int start = (int)(e->v >> 32), n = (int)(e->v & 0xffffffff);
    const int *ord = rc->order.data + start;
    *first = start + first_after(rc->L->rebinds.data, ord, n, lo);
    *end = start + first_after(rc->L->rebinds.data, ord, n, hi);
}

/* Rebindings of fn's variables that a closure of fn may see: errors. */
static void check_function(RCheck *rc, Graph *fn)
{
    Lower *L = rc->L;
    rc->fn = fn;
    function_blocks(L, fn);
    BlockInfo *fi = binfo(L, fn);
    for (int ci = 0; ci < fi->closures.len; ci++) {
        Graph *k = fi->closures.data[ci];
        BlockInfo *ki = binfo(L, k);
        bool any = false;       /* fn rebinds something k captures */
        for (int c = 0; c < ki->caps.len && !any; c++)
            any = map_get(&rc->in_fn, key2(fn->id, (uint32_t)ki->caps.data[c].sym)) != NULL;
        if (!ki->konst || !any)
            continue;
        find_holders(rc, k);
        for (int h = 0; h < rc->holders.len; h++) {
            Node *x = rc->holders.data[h];
            if (!rc->matters.data[h])
                continue;
            examine(rc, h);
            /* live at a rebinding in block b: after the definition (when in b),
               and before b's last use of x or anywhere when x is live out of b */
            for (int t = 0; t < rc->touched.len; t++) {
                Graph *b = rc->touched.data[t];
                BlockInfo *bi = binfo(L, b);
                int64_t lo = b == rc->def_b ? rc->def_pos : INT64_MIN;
                int64_t hi = bi->live_stamp == rc->stamp ? INT64_MAX : bi->maxuse;
                for (int c = 0; c < ki->caps.len; c++) {
                    int first, end;
                    rebinds_in(rc, b, ki->caps.data[c].sym, lo, hi, &first, &end);
                    for (int i = first; i < end; i++) {
                        Rebind *r = &L->rebinds.data[rc->order.data[i]];
                        if (r->error || rebind_exempt(L, r, k))
                            continue;
                        /* the later use, for a note (only on the errors that will be
                           shown: finding it is a walk over the function) */
                        const LUse *u = rc->nerrors++ < L->d->max_errors ? use_after(rc, &r->ev) : NULL;
                        r->error = true;
                        r->err_cap = ki->caps.data[c].loc;
                        r->err_use = u ? u->loc : LOC_NONE;
                        r->use_kind = !u ? -1 : u->kind == U_CALL && x != ki->konst ? U_CALL_HOLDER : u->kind;
                    }
                }
            }
        }
    }
}

typedef struct RebindKey {
    uint32_t block, mark;
    int sym, index;
} RebindKey;

static int cmp_rebind_key(const void *a, const void *b)
{
    const RebindKey *x = a, *y = b;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    if (x->sym != y->sym)
        return x->sym < y->sym ? -1 : 1;
    if (x->mark != y->mark)
        return x->mark < y->mark ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Decides each recorded rebinding (error or warning) and reports it. */
static void check_rebinds(Lower *L, const NodeVec *applies)
{
    if (!L->rebinds.len)
        return;
    Module *m = L->m;
    Flow flow;
    flow_init(&flow, m, applies);
    RCheck rc = {0};
    rc.L = L;
    rc.flow = &flow;
    rc.held = xcalloc(m->nnodes ? m->nnodes : 1, sizeof *rc.held);
    rc.held_at = xcalloc(m->nnodes ? m->nnodes : 1, sizeof *rc.held_at);
    GraphVec fns = {0};     /* the functions with rebindings, once each */
    Map fn_seen = {0};
    for (int i = 0; i < L->rebinds.len; i++) {
        Rebind *r = &L->rebinds.data[i];
        map_put(&rc.in_fn, key2(r->fn->id, (uint32_t)r->ev.sym))->v = 1;
        MapEnt *f = map_put(&fn_seen, (uint64_t)r->fn->id + 1);
        if (!f->v) {
            f->v = 1;
            vec_push(&fns, r->fn);
        }
    }
    map_free(&fn_seen);
    /* by block, variable and position */
    RebindKey *keys = xmalloc(sizeof *keys * (size_t)L->rebinds.len);
    for (int i = 0; i < L->rebinds.len; i++) {
        const Event *a = &L->rebinds.data[i].ev;
        RebindKey k = {a->block->id, a->mark, a->sym, i};
        keys[i] = k;
    }
    qsort(keys, (size_t)L->rebinds.len, sizeof *keys, cmp_rebind_key);
    for (int i = 0; i < L->rebinds.len; i++)
        vec_push(&rc.order, keys[i].index);
    free(keys);
    for (int i = 0; i < rc.order.len;) {
        const Event *a = &L->rebinds.data[rc.order.data[i]].ev;
        int j = i;
        while (j < rc.order.len && L->rebinds.data[rc.order.data[j]].ev.block == a->block &&
               L->rebinds.data[rc.order.data[j]].ev.sym == a->sym)
            j++;
        map_put(&rc.in_block, key2(a->block->id, (uint32_t)a->sym))->v = ((int64_t)i << 32) | (j - i);
        i = j;
    }
    for (int i = 0; i < fns.len; i++)
        check_function(&rc, fns.data[i]);
    for (int i = 0; i < L->rebinds.len; i++) {
        Rebind *r = &L->rebinds.data[i];
        const char *name = sym_of(L, r->ev.sym)->name;
        if (!r->error) {
            diag_warning(L->d, r->ev.loc,
                         "variable '%s' is captured by a closure and then rebound; the closure keeps the old value",
                         name);
            diag_note(L->d, r->cap, "captured here");
            continue;
        }
        diag_error(L->d, r->ev.loc,
                   "variable '%s' is rebound while a closure that captured it can still be called "
                   "(the closure keeps the old value; in CPython it would see the new one)", name);
        if (L->d->nerrors > L->d->max_errors)
            continue;       /* the error was not recorded: no notes for it */
        diag_note(L->d, r->err_cap, "'%s' is captured here", name);
        static const char *const what[] = {
            [U_CALL] = "the closure is called here, after the rebinding",
            [U_CALL_HOLDER] = "a value holding the closure is called here, after the rebinding",
            [U_PASS] = "a value holding the closure is passed to a function here, after the rebinding",
            [U_ARG] = "a value holding the closure is used here, after the rebinding",
            [U_RETURN] = "the closure is returned here, after the rebinding",
            [U_CAPTURE] = "another closure captures it here, after the rebinding",
        };
        if (r->use_kind >= 0)
            diag_note(L->d, r->err_use, "%s", what[r->use_kind]);
    }
    vec_free(&fns);
    vec_free(&rc.holders);
    vec_free(&rc.uses);
    vec_free(&rc.stack);
    map_free(&rc.in_fn);
    map_free(&rc.in_block);
    vec_free(&rc.order);
    vec_free(&rc.touched);
    free(rc.held);
    free(rc.held_at);
    vec_free(&rc.edges);
    vec_free(&rc.first);
    vec_free(&rc.matters);
    flow_free(&flow, m);
}

/* Whether a use of n is in n's own function (one of its blocks or
   branches).  A use only inside a nested def or lambda does not count: the
   closure may never be called, nor even created where it is dead code. */
static bool used_in_own_function(const Node *n)
{
    for (const Use *u = n->uses; u; u = u->next) {
        const Graph *ug = ir_use_graph(u);
        if (ug && ug->fn == n->graph->fn)
            return true;
    }
    return false;
}

/* Whether `to`, an apply of n's graph, is n or one of its inputs, directly or
   not, counting what a closure among them reads of its enclosing graphs as
   its inputs.  Inputs are created before their users (only the output call
   gets newer inputs, the depends added below), so nodes older than `to` are
   not followed. */
static bool reaches(Node *n, Node *to)
{
    NodeVec stack = {0};
    Map seen = {0};
    bool found = false;
    vec_push(&stack, n);
    while (stack.len && !found) {
        Node *x = stack.data[--stack.len];
        if (x == to) {
            found = true;
            break;
        }
        if (ir_is_const_graph(x) && x->k.u.graph != to->graph && ir_graph_encloses(to->graph, x->k.u.graph)) {
            MapEnt *e = map_put(&seen, key2(1u << 31, x->k.u.graph->id));
            if (!e->v) {
                e->v = 1;
                ir_free_variables(x->k.u.graph, &stack);
            }
            continue;
        }
        if (x->kind != N_APPLY || x->graph != to->graph || x->id < to->id)
            continue;
        MapEnt *e = map_put(&seen, (uint64_t)x->id + 1);
        if (e->v)
            continue;
        e->v = 1;
        for (int i = 0; i < x->app.n; i++)
            vec_push(&stack, x->app.in[i]);
    }
    vec_free(&stack);
    map_free(&seen);
    return found;
}

/*
 * Computations nothing uses -- an expression statement, an assignment to a
 * variable never read, or read only by a closure -- are not reachable from
 * any output, so without help nothing would type-check or run them, and a
 * program CPython stops with an error (1 // 0, a type error) would return a
 * value.  Each one is
 * attached to its block with depend(), without moving a tail call out of
 * tail position: to the first argument of a jump or call that is the
 * output, to the callee of an argument-less one, else to the output value.
 */
static void keep_unused(Lower *L, NodeVec *created)
{
    Module *m = L->m;
    for (int i = 0; i < created->len; i++) {
        Node *n = created->data[i];
        if (!n->graph || !n->graph->output || n->graph->output == n || used_in_own_function(n))
            continue;
        Graph *g = n->graph;
        Node *out = g->output;
        bool is_call = out->kind == N_APPLY && out->graph == g && !(out->app.in[0]->kind == N_CONST &&
                                                                   out->app.in[0]->k.kind == K_PRIM);
        int slot = is_call ? (out->app.n > 1 ? 1 : 0) : -1;   /* first argument, else the callee */
        if (slot >= 0 && reaches(n, out)) {
            /* n uses the call's own result (`t = (x, y and z)` unpacked, then
               `return z`...): it cannot run before the call, so after it. */
            slot = -1;
        }
        Node *target = slot >= 0 ? out->app.in[slot] : out;
        if (target->kind == N_APPLY && target->graph == g && ir_is_const_prim(target->app.in[0], P_DEPEND)) {
            /* one depend per block; the value stays last */
            int last = target->app.n - 1;
            Node *v = target->app.in[last];
            ir_set_input(target, last, n);
            ir_apply_append(target, v);
            continue;
        }
        /* depend(x, v): x is scheduled before v, as it comes first in the source */
        Node *in[3] = {ir_const_prim(m, P_DEPEND, n->loc), n, target};
        Node *d = ir_apply(g, in, 3, target->loc);
        if (slot >= 0)
            ir_set_input(out, slot, d);
        else
            ir_set_output(g, d);
    }
}

Module *lower_module(Arena *arena, Diags *d, const AstModule *ast, const char *filename)
{
    Lower L = {0};
    L.arena = arena;
    L.d = d;
    L.m = ir_module_new(arena, filename);
    Module *m = L.m;
    NodeVec created = {0};
    m->track = &created;
    int n = ast ? ast->body.n : 0;
    TopDef **tops = xcalloc((size_t)(n ? n : 1), sizeof *tops);

    /* 1. every top-level name, so functions may be used before their
          definition and call each other */
    for (int i = 0; i < n; i++) {
        const Stmt *s = ast->body.items[i];
        if (!s)
            continue;
        if (s->kind == S_DEF && s->def) {
            tops[i] = declare_top(&L, s->def->name, s->def->name_loc, false, i, s->def);
        } else if (s->kind == S_ASSIGN && s->assign.ntargets == 1 && s->assign.targets[0] &&
                   s->assign.targets[0]->kind == E_NAME) {
            const Expr *t = s->assign.targets[0];
            tops[i] = declare_top(&L, t->name, t->loc, true, i, NULL);
        } else if (s->kind == S_ASSIGN) {
            diag_error(d, s->loc, "a top-level constant must be assigned to a single name: NAME = expression");
        } else {
            diag_error(d, s->loc, "only function definitions and constants are allowed at top level");
        }
    }
    /* 2. their bodies and values */
    for (int i = 0; i < n; i++) {
        if (!tops[i])
            continue;
        const Stmt *s = ast->body.items[i];
        if (tops[i]->is_const)
            lower_const(&L, tops[i], s);
        else
            lower_function_body(&L, s->def, tops[i]->g, 0);
    }

    free(tops);
    m->track = NULL;
    check_rebinds(&L, &created);
    keep_unused(&L, &created);
    vec_free(&created);
    for (int i = 0; i < L.blocks.len; i++) {
        BlockInfo *bi = L.blocks.data[i];
        if (!bi)
            continue;
        vec_free(&bi->preds);
        vec_free(&bi->incomplete);
        map_free(&bi->assigned);
        vec_free(&bi->caps);
        vec_free(&bi->members);
        vec_free(&bi->closures);
        vec_free(&bi->cpreds);
        vec_free(&bi->csuccs);
        free(bi);
    }
    vec_free(&L.blocks);
    vec_free(&L.syms);
    vec_free(&L.stack);
    strmap_free(&L.symtab);
    strmap_free(&L.gnames);
    map_free(&L.vars);
    map_free(&L.locals);
    map_free(&L.captures);
    map_free(&L.reported);
    map_free(&L.warned);
    map_free(&L.kcaps);
    vec_free(&L.rebinds);
    return m;
}
