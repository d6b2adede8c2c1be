/*
 * infer_impl.h: what inference (infer.c) and specialisation (specialise.c)
 * share; private to the two.
 *
 * Inference builds the engine's state: instances (a source function typed
 * for one tuple of argument types in one enclosing instance), their return
 * slots, the calls between them, to a fixpoint.  Specialisation reads it,
 * once the fixpoint is final, and builds the specialised module.  Outside
 * these two files TypeCtx is opaque (infer.h): the type rules reach it
 * through infer.h's functions only.
 */
#ifndef MYC_INFER_IMPL_H
#define MYC_INFER_IMPL_H

#include "grad.h"
#include "infer.h"
#include "../src/util/idmap.h"

typedef struct Slot Slot;
typedef struct Inst Inst;
typedef struct FnInfo FnInfo;
typedef VEC(Inst *) InstVec;

struct Slot {
    Slot *up;               /* union-find parent; NULL for a root */
    Type *type;
    Loc type_loc;           /* the return that last raised type, for messages */
    Type *ann;              /* declared return type, or NULL */
    const char *ann_what;   /* the function that declared it */
    InstVec readers;
    /* the first clash, reported at the end if the slot is reachable */
    Loc clash_loc;
    Type *clash_a, *clash_b;
    const char *clash_other; /* a clash of two declared results: the second function */
    const char *what;       /* the function's name, for messages */
};

/* A call through a function value: which instance of the function (g in
   context ctx, the value made at `site` when such values are told apart)
   the call reached. */
typedef struct IndirectCall {
    Graph *g;
    Inst *ctx;
    const void *site;
    Inst *callee;
} IndirectCall;
typedef VEC(IndirectCall) CallVec;

/* Where a function value comes from, when values of its function must be
   told apart: the Constant, and the instance evaluating it (one constant
   in a function specialised twice makes two different values). */
typedef struct Site {
    Node *node;
    Inst *inst;
} Site;

typedef struct InstError {
    Loc loc;
    char *msg;
    bool shape;
    int param;          /* shape: the marked parameter whose use it is (-1: not known) */
    InferMisuse as;     /* shape: what that parameter is used as */
    int nnotes;         /* notes printed after it (a clash's two assignments) */
    Loc note_loc[2];
    char *note[2];
} InstError;
typedef VEC(InstError) ErrVec;

struct FnInfo {
    Graph *fn;
    GraphVec graphs;        /* [0] is fn; then its blocks and branches */
    NodeVec *bodies;        /* per graph */
    int nlocal;
    InstVec insts;
    int nreach;             /* reachable instances (for naming clones) */
};

struct Inst {
    int id;
    FnInfo *fi;
    Inst *parent;
    Type **args;
    int nargs;
    Type **types;           /* per local node */
    Loc *type_from;         /* per block parameter: the value that brought its type (clash notes) */
    Slot **slots;           /* per graph: its return slot */
    Slot **callslot;        /* per local Apply: the slot of the graphs it calls */
    Inst **direct;          /* per local Apply with a constant function callee: the instance */
    Inst **reached;         /* per local Apply: the last function instance it called (kept when
                               its arguments have since become erroneous, so the error's cause
                               stays reachable) */
    unsigned char *blockcall; /* per local Apply: calls only blocks/branches */
    InstVec children;
    InstVec callees;        /* from the last processing */
    CallVec indirect;       /* likewise: calls through function values */
    VEC(Site *) sites;      /* the origins of values made here (see site_of) */
    /* Errors are kept once found: types only grow, so an error found on
       smaller types stands on the final ones, and re-collecting them each
       round would lose one whose error result feeds back into its own
       operands (through a loop's phi, say).  The exception, a rule failing
       on an operand that may still grow into one it takes, is not recorded
       until the fixpoint (see apply_rule, infer.c). */
    ErrVec errors;
    ErrVec lasting;         /* clashes at block parameters */
    bool queued, processing, dirty;
    bool deferred;          /* a rule's error was deferred here (see apply_rule) */
    bool via_value;         /* made for calls through function values (see get_inst) */
    bool widened;           /* its function-valued parameters are unions (widen_recursion) */
    Node *callsite;         /* for call-site-sensitive functions (TypeCtx.by_caller): the call */
    Inst *caller;           /* ... and the instance it is in */
    unsigned *typed_pass;   /* per graph: the pass that last typed it */
    Inst *canon;            /* specialisation: the instance whose clones this one shares (see share_clones) */
    Inst *source;           /* an instance of a transform's root: its source's instance (get_inst), kept in the
                               specialised module for the checks of source code; reached from this one */
    bool outer_grew;        /* queued because an enclosing instance's types grew */
    unsigned reach;         /* == TypeCtx.reach_gen: reached by the current walk */
    bool to_error;          /* reaches an instance with errors (see errors_ahead) */
    /* specialisation */
    Graph **clones;
    Node **map;
    const char *clone_name;
};

struct TypeCtx {
    Module *m;
    IdMap has_lists;        /* by graph id: 2 when its code has lists, 1 when not (has_lists, infer.c) */
    Diags *d;
    double j_seconds;       /* wall time in grad.c's transforms (-ftime-report) */
    TypeTable *tt;
    Arena *arena;
    FnInfo **fninfo;        /* by graph id (functions and constants) */
    Graph **home;           /* by graph id, for nested functions: see closure_home (infer.c) */
    int *local;             /* by node id */
    int *glocal;            /* by graph id: index in its FnInfo */
    InstVec queue;
    int qhead;
    InstVec all;
    Inst *cur;
    bool changed;
    bool settled;           /* the fixpoint was reached: rules' errors are recorded (see apply_rule) */
    unsigned reach_gen;     /* generation of the current reachability walk */
    unsigned pass;          /* counts passes over instances (see type_graph) */
    /* Functions whose values are told apart by the Constant they come from
       (by graph id): set when values of one function reached calls with
       different argument types; kept across inference rounds. */
    unsigned char *by_site;
    /* Functions whose instances are also told apart by the call (by graph
       id): set when one instance made function values that reached calls
       of different signatures (scale(2)(1) and scale(3)(1.5)). */
    unsigned char *by_caller;
    /* Differentiation: the transforms (passes/grad.c) add graphs to the
       module as inference finds what it needs; graphs made during a round
       are typed from the next one (see infer_module). */
    GradState *grad;        /* their memo: made by infer_module, freed when it returns */
    uint32_t known_graphs;  /* graphs that existed when this round began */
    uint32_t ntables;       /* size of the by-graph-id tables above */
    bool grew;              /* this round made graphs or rewrote a derive() */
    Loc grew_at;            /* the differentiation that last did */
    int expansions;         /* rounds restarted for that */
    CallVec indirect;       /* after the fixpoint: every reachable instance's calls */
    ErrVec entry_errors;    /* about the entries themselves */
    /* specialisation (specialise.c) */
    Module *spec;
    Graph **uncalled;       /* by graph id: the representation of its values no call reaches */
    GraphVec uncalled_nested; /* likewise, for nested functions (one per enclosing clone) */
    VEC(FnRef) rebound;     /* stand-ins rebind makes transforms' closures from: graph = the stand-in,
                               ctx = the context of the function it stands for, site = that function */
    GraphVec fill;          /* clones whose bodies are still to be built */
    VEC(Inst *) fill_inst;
    VEC(int) fill_gi;
    bool spec_failed;
    ErrVec spec_errors;     /* found while specialising (each reported once) */
};

/* ---- helpers both use -------------------------------------------------------------- */

/* The root of s's class of slots, which holds their type. */
static inline Slot *find(Slot *s)
{
    Slot *r = s;
    while (r->up)
        r = r->up;
    while (s->up) {     /* path compression */
        Slot *next = s->up;
        s->up = r;
        s = next;
    }
    return r;
}

/* The instance of fn that inst is or is nested in, or NULL. */
static inline Inst *ctx_for(Inst *inst, Graph *fn)
{
    for (; inst; inst = inst->parent)
        if (inst->fi->fn == fn)
            return inst;
    return NULL;
}

/* Where the closures of graph g live (see closure_home, infer.c): blocks
   and branches in their parent, nested functions in their home. */
static inline Graph *anchor_of(TypeCtx *tc, const Graph *g)
{
    return g->kind == G_FUNCTION && g->parent ? tc->home[g->id] : g->parent;
}

/* The type of one function: graph g (or primitive prim) in context ctx. */
static inline Type *fnref_type(TypeCtx *tc, Graph *g, int prim, Inst *ctx)
{
    FnRef r = {g, prim, ctx, NULL};
    return type_func(tc->tt, &r, 1);
}

/* g's name, for messages. */
static inline const char *graph_what(Graph *g)
{
    return g->src_name ? g->src_name : g->name;
}

/* Drops v's errors from index `from` on. */
static inline void drop_errs(ErrVec *v, int from)
{
    for (int i = from; i < v->len; i++) {
        free(v->data[i].msg);
        for (int k = 0; k < v->data[i].nnotes; k++)
            free(v->data[i].note[k]);
    }
    v->len = from;
}

static inline void free_errs(ErrVec *v)
{
    drop_errs(v, 0);
    vec_free(v);
}

/* ---- infer.c ---------------------------------------------------------------------- */

/* Records an error in list (once per location and message; `shape`: see
   infer_error). */
void infer_record_error(ErrVec *list, Loc loc, bool shape, const char *msg);
/* The same, keeping e's shape, its parameter's misuse and its notes (all
   copied); returns the record, or NULL when it was there already. */
InstError *infer_record_copy(ErrVec *list, const InstError *e);
/* The type of constant x evaluated in inst; of node x (a constant, or a
   node of inst's function or of an enclosing one) in inst. */
Type *infer_const_type(TypeCtx *tc, Inst *inst, Node *x);
Type *infer_node_type(TypeCtx *tc, Inst *inst, Node *x);
/* Appends to out every instance reachable through calls from the n roots;
   NULL roots are skipped. */
void infer_reachable_from(TypeCtx *tc, Inst *const *roots, int n, InstVec *out);
/* t with the default-float marker replaced by float (tuples too). */
Type *infer_plain(TypeCtx *tc, Type *t);
/* Two instances of one function whose signatures differ at most by the
   default-float marker. */
bool infer_same_signature(TypeCtx *tc, Inst *a, Inst *b);
/* "(float, int)": an instance's parameter types, for messages. */
void infer_signature_str(Inst *inst, StrBuf *sb);

/* ---- specialise.c ------------------------------------------------------------------ */

/* The specialised module of the fixpoint in tc, the n entries' results set
   (roots[e]: entry e's instance, NULL for one dropped); NULL, with every
   result NULL, when specialising found errors (reported into tc->d). */
Module *infer_specialise(TypeCtx *tc, InferEntry *entries, Inst **roots, int n);

#endif
