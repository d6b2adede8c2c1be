/*
 * driver.c: the command line (contract section 2) and the pipeline.
 *
 * Errors in the source are collected in a Diags list by every phase and
 * printed once, here; a phase never exits.  Nothing is written to standard
 * output (a dump, a result) unless the whole compilation succeeded.
 */
#include "driver.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "../runtime/myrt.h"

#include "../grammar/ast.h"
#include "../ir/interp.h"
#include "../ir/ir.h"
#include "../passes/infer.h"
#include "../passes/lower.h"
#include "cabi.h"
#include "util/diag.h"
#include "../passes/closure.h"
#include "../passes/export.h"
#include "../passes/grad.h"
#include "../passes/opt.h"
#include "codegen.h"
#include "jit.h"


enum { EXIT_OK = 0, EXIT_SOURCE = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

typedef enum Stage { STAGE_NONE, STAGE_PARSE, STAGE_INFER, STAGE_GRAD, STAGE_OPT, STAGE_CLOSURE } Stage;

typedef struct Options {
    const char *input;
    const char *output;         /* -o */
    const char *header;         /* --header= */
    const char *prefix;         /* --prefix= */
    Stage dump;
    bool dot;                   /* --ir-format=dot */
    bool compile_obj, compile_asm, emit_llvm;
    bool verify_ir;             /* --verify-ir: run the IR checker after every stage */
    bool native;                /* -march=native */
    Stage interp_ir;            /* --interp-ir=STAGE: the IR --interp runs (grad, or closure to test that pass) */
    int opt_level;
    unsigned opt_passes;        /* --opt-passes=LIST: the optimiser passes run (testing); all by default */
    bool run;                   /* myc run */
    bool interp;                /* --interp */
    const char *run_func;
    char **run_args;
    int nrun_args;
    VEC(const char *) grads;    /* --grad= */
} Options;

/* Everything one compilation owns. */
typedef struct Compilation {
    Options *opt;
    Arena *arena;
    Diags diags;
    char *src;
    size_t srclen;
    AstModule *ast;
    Module *lowered;            /* after lowering */
    Module *typed;              /* after inference */
    InferEntry *entries;        /* what inference specialised */
    int nentries;
    int ngrads;                 /* the last ngrads entries are the --grad= graphs (export.h) */
    int status;                 /* a usage error found mid-way (exit 2), else 0 */
} Compilation;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("myc: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

static void print_help(FILE *out)
{
    fputs("OVERVIEW: myc " MYC_VERSION " - a differentiating compiler for .my programs\n"
          "\n"
          "USAGE: myc [options] FILE.my\n"
          "       myc run [-O<n>] [--interp] FILE.my FUNC [ARG...]\n"
          "\n"
          "COMMANDS:\n"
          "  run FILE FUNC ARG...   Run FUNC on the arguments and print the result as Python's repr().\n"
          "                         Arguments are values (floats, ints, True/False, tuples like \"(1.0, 2)\").\n"
          "\n"
          "OPTIONS:\n"
          "  --dump-ir=STAGE        Print the IR after STAGE and stop: parse (as lowered, untyped),\n"
          "                         infer (typed, specialised for the exported signatures),\n"
          "                         grad (differentiation operators expanded),\n"
          "                         opt (after the optimiser: inlined, folded, dead code gone),\n"
          "                         closure (closure-converted: what the backend compiles).\n"
          "  --ir-format=FMT        text (default) or dot (Graphviz; render with dot -Tsvg)\n"
          "  -c                     Compile to a native object file (-emit-llvm: LLVM bitcode)\n"
          "  -S                     Compile to assembly (-emit-llvm: LLVM IR text)\n"
          "  -o FILE                Output file\n"
          "  --header=FILE          Also write a C header           (with -c or -S)\n"
          "  --grad=NAME            Also export NAME_grad           (with -c or -S)\n"
          "  --prefix=PFX           Prefix every exported C name    (with -c or -S)\n"
          "  -O0 -O1 -O2 -O3        Optimisation level (default -O2)\n"
          "  -march=native          Generate code for this machine's CPU (default: generic x86-64)\n"
          "  --interp               myc run: use the reference interpreter instead of native code\n"
          "  --interp-ir=STAGE      With --interp: interpret the IR after grad (default), opt or closure\n"
          "  --opt-passes=LIST      Run only these optimiser passes (comma-separated; families: copy functions\n"
          "                         with nested graphs; none) (testing)\n"
          "  --verify-ir            Check the IR's invariants after every stage (for testing myc)\n"
          "  --help                 Show this help\n"
          "  --version              Show the version\n"
          "\n"
          "EXIT STATUS: 0 success, 1 errors in the source, 2 bad usage, 3 runtime error (run).\n",
          out);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int parse_stage(Options *o, const char *name)
{
    if (strcmp(name, "parse") == 0)
        o->dump = STAGE_PARSE;
    else if (strcmp(name, "infer") == 0)
        o->dump = STAGE_INFER;
    else if (strcmp(name, "grad") == 0)
        o->dump = STAGE_GRAD;
    else if (strcmp(name, "opt") == 0)
        o->dump = STAGE_OPT;
    else if (strcmp(name, "closure") == 0)
        o->dump = STAGE_CLOSURE;
    else {
        return usage_error("unknown IR stage '%s' (stages: parse, infer, grad, opt, closure)", name);
    }
    return 0;
}

/* True for a non-empty ASCII C identifier. */
static bool c_identifier_start(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* Parses the command line into o; returns -1 when done (help/version
   printed), 0 to go on, or an exit status. */
static int parse_args(Options *o, int argc, char **argv)
{
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "run") == 0) {
        o->run = true;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (o->run && o->input && !o->run_func) {
            o->run_func = a;        /* after FUNC everything is a value */
            o->run_args = argv + i + 1;
            o->nrun_args = argc - i - 1;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(stdout);
            return -1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("myc version " MYC_VERSION "\n");
            return -1;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->input)
                return usage_error("more than one input file ('%s' and '%s')", o->input, a);
            o->input = a;
            continue;
        }
        if (o->run && strcmp(a, "--interp") == 0) {
            o->interp = true;
        } else if (strcmp(a, "-c") == 0) {
            o->compile_obj = true;
        } else if (strcmp(a, "-S") == 0) {
            o->compile_asm = true;
        } else if (strcmp(a, "-emit-llvm") == 0) {
            o->emit_llvm = true;
        } else if (strcmp(a, "-o") == 0) {
            if (i + 1 >= argc)
                return usage_error("argument to '-o' is missing (expected 1 value)");
            o->output = argv[++i];
        } else if (starts_with(a, "-O") && strlen(a) == 3 && a[2] >= '0' && a[2] <= '3') {
            o->opt_level = a[2] - '0';
        } else if (starts_with(a, "--dump-ir=")) {
            int rc = parse_stage(o, a + strlen("--dump-ir="));
            if (rc)
                return rc;
        } else if (starts_with(a, "--ir-format=")) {
            const char *f = a + strlen("--ir-format=");
            if (strcmp(f, "dot") == 0)
                o->dot = true;
            else if (strcmp(f, "text") == 0)
                o->dot = false;
            else
                return usage_error("unknown IR format '%s' (formats: text, dot)", f);
        } else if (starts_with(a, "--header=")) {
            o->header = a + strlen("--header=");
        } else if (starts_with(a, "--grad=")) {
            vec_push(&o->grads, a + strlen("--grad="));
        } else if (starts_with(a, "--prefix=")) {
            o->prefix = a + strlen("--prefix=");
        } else if (strcmp(a, "-march=native") == 0) {
            o->native = true;
        } else if (starts_with(a, "--opt-passes=")) {
            o->opt_passes = 0;
            char *list = xstrdup(a + strlen("--opt-passes="));
            for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
                int p = 0;
                while (p < OPT__COUNT && strcmp(opt_pass_names[p], tok) != 0)
                    p++;
                if (p < OPT__COUNT)
                    o->opt_passes |= 1u << p;
                else if (strcmp(tok, "families") == 0)
                    o->opt_passes |= OPT_FAMILIES;
                else if (strcmp(tok, "none") != 0) {
                    int rc = usage_error("--opt-passes: unknown pass '%s'", tok);
                    free(list);
                    return rc;
                }
            }
            free(list);
        } else if (starts_with(a, "--interp-ir=")) {
            const char *st = a + strlen("--interp-ir=");
            if (strcmp(st, "grad") == 0)
                o->interp_ir = STAGE_GRAD;
            else if (strcmp(st, "closure") == 0)
                o->interp_ir = STAGE_CLOSURE;
            else if (strcmp(st, "opt") == 0)
                o->interp_ir = STAGE_OPT;
            else
                return usage_error("--interp-ir takes grad, opt or closure, not '%s'", st);
        } else if (strcmp(a, "--verify-ir") == 0) {
            o->verify_ir = true;
        } else {
            return usage_error("unknown argument: '%s'", a);
        }
    }
    if (!o->input)
        return usage_error(o->run ? "myc run needs a file, a function name and its arguments"
                                  : "no input file");
    if (o->run && !o->run_func)
        return usage_error("myc run needs a function name after the file");
    if (o->run && o->dump)
        return usage_error("--dump-ir cannot be combined with run");
    bool compile = o->compile_obj || o->compile_asm;
    if (compile && (o->run || o->dump))
        return usage_error("'%s' cannot be combined with %s", o->compile_obj ? "-c" : "-S",
                           o->run ? "run" : "--dump-ir");
    if (o->compile_obj && o->compile_asm)
        return usage_error("'-c' and '-S' cannot be combined");
    if (!compile && (o->header || (o->grads.len && !o->dump) || o->prefix || o->output || o->emit_llvm))
        return usage_error("'%s' needs -c or -S", o->header ? "--header" : o->grads.len ? "--grad"
                                                  : o->prefix ? "--prefix" : o->output ? "-o" : "-emit-llvm");
    if (o->prefix && !c_identifier_start(o->prefix))
        return usage_error("--prefix='%s' is not the start of a C identifier", o->prefix);
    if (o->interp_ir && !o->interp)
        return usage_error("--interp-ir needs --interp");
    if (!o->run && !o->dump && !compile)
        return usage_error("nothing to do: give -c, -S, --dump-ir=STAGE, or use 'myc run' (see --help)");
    return 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return usage_error("cannot open '%s': %s", path, strerror(errno));
    StrBuf sb = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++)   /* NUL bytes are kept: the lexer reports them */
            sb_putc(&sb, buf[i]);
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        sb_free(&sb);
        return usage_error("cannot read '%s'", path);
    }
    *len = sb.len;
    *out = sb.data ? sb.data : xstrdup("");
    return 0;
}

/* Runs the IR checker when asked; its findings are bugs in myc. */
static bool verify(Compilation *c, Module *m, bool typed, const char *stage)
{
    if (!c->opt->verify_ir || !m)
        return true;
    StrBuf errs = {0};
    int n = ir_check(m, typed, &errs);
    if (n)
        fprintf(stderr, "myc: internal error: the IR after '%s' breaks %d invariant%s:\n%s", stage, n,
                n == 1 ? "" : "s", sb_cstr(&errs));
    sb_free(&errs);
    return n == 0;
}

/* Chooses the functions inference specialises, once the module is
   lowered: fills *out (malloc'd) and returns their number, or returns -1
   after a usage error (c->status set). */
typedef int (*EntryChooser)(Compilation *c, InferEntry **out);

/* The functions the C ABI exports (contract section 3): every top-level,
   non-private function, typed with its annotations and float elsewhere;
   those that cannot be typed so are dropped by inference.  Constants are
   inferred too, so errors in them are reported. */
static int export_entries(Compilation *c, InferEntry **out)
{
    Module *m = c->lowered;
    InferEntry *e = xcalloc((size_t)m->tops.len + 1, sizeof(InferEntry));
    int n = 0;
    for (int i = 0; i < m->tops.len; i++) {
        TopLevel *t = &m->tops.data[i];
        if (t->graph->kind == G_CONST) {
            e[n].fn = t->graph;
            e[n++].required = true;
        } else if (!t->is_private) {
            e[n++].fn = t->graph;
        }
    }
    *out = e;
    return n;
}

static Graph *find_top(Module *m, const char *name)
{
    for (int i = 0; i < m->tops.len; i++)
        if (strcmp(m->tops.data[i].name, name) == 0)
            return m->tops.data[i].graph;
    return NULL;
}

/* myc run: FUNC, specialised for the types of the argument literals (a
   parameter's annotation wins where the argument converts to it). */
static int run_entry(Compilation *c, InferEntry **out)
{
    Options *o = c->opt;
    Graph *fn = find_top(c->lowered, o->run_func);
    if (!fn) {
        c->status = usage_error("no function named '%s' in '%s'", o->run_func, o->input);
        return -1;
    }
    if (fn->nparams != o->nrun_args) {
        c->status = usage_error("'%s' takes %d argument%s but %d %s given", o->run_func, fn->nparams,
                                fn->nparams == 1 ? "" : "s", o->nrun_args, o->nrun_args == 1 ? "was" : "were");
        return -1;
    }
    Type **types = ARENA_ARRAY(c->arena, Type *, o->nrun_args + 1);
    Interp *scratch = interp_new(c->lowered);
    StrBuf err = {0};
    for (int i = 0; i < o->nrun_args && !c->status; i++) {
        Value v;
        if (interp_parse_value(scratch, o->run_args[i], &v, &err) != 0) {
            c->status = usage_error("argument %d ('%s'): %s", i + 1, o->run_args[i], sb_cstr(&err));
            break;
        }
        types[i] = interp_value_type(c->lowered->types, &v);
        Type *ann = fn->param_ann ? fn->param_ann[i] : NULL;
        if (ann && interp_coerce(scratch, &v, ann) != 0) {
            StrBuf tn = {0};
            type_str(ann, &tn);
            c->status = usage_error("argument %d of '%s' must be %s, got '%s'", i + 1, o->run_func,
                                    sb_cstr(&tn), o->run_args[i]);
            sb_free(&tn);
        }
    }
    interp_free(scratch);
    sb_free(&err);
    if (c->status)
        return -1;
    /* FUNC first, then every top-level constant: CPython evaluates them
       all when the module loads, so run() does too. */
    Module *m = c->lowered;
    InferEntry *e = xcalloc((size_t)m->tops.len + 1, sizeof(InferEntry));
    int n = 0;
    e[n].fn = fn;
    e[n].args = types;
    e[n++].required = true;
    for (int i = 0; i < m->tops.len; i++)
        if (m->tops.data[i].graph->kind == G_CONST) {
            e[n].fn = m->tops.data[i].graph;
            e[n++].required = true;
        }
    *out = e;
    return n;
}

/*
 * The pipeline, in order.  Each stage reports into c->diags; the pipeline
 * stops at the first stage that fails, or after `stop`.  Returns true when
 * every stage up to `stop` succeeded.
 */
static bool front_end(Compilation *c)
{
    c->ast = parse_source(c->arena, &c->diags, c->src, c->srclen);
    if (diags_failed(&c->diags))
        return false;
    c->lowered = lower_module(c->arena, &c->diags, c->ast, c->opt->input);
    return !diags_failed(&c->diags) && verify(c, c->lowered, false, "parse");
}

/* The optimiser, checked: IR that breaks the checker's invariants after it
   is a bug in a pass, an internal error like any other (never a program
   compiled some other way). */
static bool optimise(Compilation *c)
{
    bool consistent = opt_module(c->typed, c->opt->opt_passes, NULL);
    StrBuf errs = {0};
    int bad = ir_check(c->typed, true, &errs);
    if (consistent && !bad) {
        sb_free(&errs);
        return true;
    }
    if (!bad)
        die("the optimiser used a node of a graph it had dropped");
    die("the IR after 'opt' breaks %d invariant%s:\n%s", bad, bad == 1 ? "" : "s", sb_cstr(&errs));
}

/* From the lowered module to `stop`. */
static bool middle_end(Compilation *c, Stage stop, EntryChooser choose)
{
    c->nentries = choose(c, &c->entries);
    if (c->nentries < 0)
        return false;
    /* Inference also expands the differentiation operators: it asks
       passes/grad.c for each transform when it finds it needs one, and
       types the result with the rest (see docs/ad.md).  The `grad` stage
       is its output with no operator left unexpanded. */
    c->typed = infer_module(c->lowered, &c->diags, c->entries, c->nentries);
    if (diags_failed(&c->diags) || !c->typed || !verify(c, c->typed, true, "infer"))
        return false;
    if (stop == STAGE_INFER)
        return true;
    if (!grad_check_expanded(c->typed, &c->diags) || !verify(c, c->typed, true, "grad"))
        return false;
    if (stop == STAGE_GRAD)
        return true;
    if (!optimise(c))
        return false;
    if (stop == STAGE_OPT)
        return true;
    closure_convert(c->typed);
    return verify(c, c->typed, true, "closure");
}

/*
 * The pipeline, in order.  Each stage reports into c->diags; the pipeline
 * stops at the first stage that fails, or after `stop`.  Returns true when
 * every stage up to `stop` succeeded.
 */
static bool run_pipeline(Compilation *c, Stage stop, EntryChooser choose)
{
    if (!front_end(c))
        return false;
    if (stop == STAGE_PARSE)
        return true;
    return middle_end(c, stop, choose);
}

/* The C ABI of every exported function, as comment lines before the
   typed IR (contract section 3: what `myc -c` will export). */
static void print_exports(Compilation *c, StrBuf *out)
{
    bool any = false;
    for (int e = 0; e < c->nentries; e++) {
        Graph *g = c->entries[e].result;
        if (!g || g->kind != G_FUNCTION)
            continue;
        CSignature sig;
        if (!cabi_signature(c->arena, g, c->opt->prefix, c->entries[e].fn->name, &sig))
            continue;
        if (!any)
            sb_puts(out, "# exported (C ABI):\n");
        any = true;
        sb_puts(out, "#   ");
        cabi_format(&sig, out);
        sb_puts(out, ";\n");
        cabi_signature_free(&sig);
    }
    if (any)
        sb_putc(out, '\n');
}

static bool build_with_grads(Compilation *c, Stage stop, int *status);

static int dump(Compilation *c)
{
    int status = 0;
    bool ok = c->opt->grads.len && c->opt->dump >= STAGE_INFER ? build_with_grads(c, c->opt->dump, &status)
                                                               : run_pipeline(c, c->opt->dump, export_entries);
    if (status)
        return status;
    diags_print(&c->diags, stderr);
    if (!ok)
        return c->status ? c->status : EXIT_SOURCE;
    Module *m = c->opt->dump == STAGE_PARSE ? c->lowered : c->typed;
    StrBuf out = {0};
    if (c->opt->dot) {
        ir_dot_module(m, NULL, 0, &out);
    } else {
        if (c->opt->dump >= STAGE_INFER)
            print_exports(c, &out);
        ir_print_module(m, NULL, 0, &out);
    }
    fputs(sb_cstr(&out), stdout);
    sb_free(&out);
    return EXIT_OK;
}

/* The constants, in source order, as a module load would, then FUNC. */
static int interp_run(Compilation *c, Value *args, Value *result, StrBuf *err)
{
    Interp *in = interp_new(c->typed);
    Graph *g = c->entries[0].result;
    int status = EXIT_OK;
    for (int i = 0; i < c->opt->nrun_args; i++) {   /* both already succeeded in run_entry */
        interp_parse_value(in, c->opt->run_args[i], &args[i], err);
        interp_coerce(in, &args[i], g->params[i]->type);
    }
    for (int e = 1; e < c->nentries && status == EXIT_OK; e++)
        if (interp_call(in, c->entries[e].result, NULL, 0, result, err) != 0)
            status = EXIT_RUNTIME;
    if (status == EXIT_OK && interp_call(in, g, args, c->opt->nrun_args, result, err) != 0)
        status = EXIT_RUNTIME;
    if (status == EXIT_OK) {
        StrBuf out = {0};
        value_repr(result, &out);
        printf("%s\n", sb_cstr(&out));
        sb_free(&out);
    }
    interp_free(in);
    return status;
}

/* ---- myc run on native code -------------------------------------------------- */

/* Flattens v (of type t) into 8-byte slots, depth-first. */
static void value_to_slots(const Value *v, const Type *t, uint64_t *slots, int *pos)
{
    if (t->kind == T_TUPLE) {
        for (int i = 0; i < t->n; i++)
            value_to_slots(&v->tup->items[i], t->elems[i], slots, pos);
        return;
    }
    uint64_t w = 0;
    if (t->kind == T_FLOAT) {
        double d = v->kind == V_FLOAT ? v->f : v->kind == V_INT ? (double)v->i : v->b;
        memcpy(&w, &d, sizeof w);
    } else if (t->kind == T_INT) {
        w = (uint64_t)(v->kind == V_INT ? v->i : v->b);
    } else if (t->kind == T_BOOL) {
        w = v->b;
    }
    slots[(*pos)++] = w;
}

/* What the native run returned, as a printable Value; the objects are
   malloc'd and listed in `owned` (freed by the caller). */
typedef VEC(void *) PtrVec;

static Value slots_to_value(const Type *t, const uint64_t *slots, int *pos, PtrVec *owned)
{
    Value v = {0};
    if (t->kind == T_TUPLE) {
        Tuple *tup = xcalloc(1, sizeof(Tuple) + sizeof(Value) * (size_t)t->n);
        vec_push(owned, tup);
        tup->n = t->n;
        for (int i = 0; i < t->n; i++)
            tup->items[i] = slots_to_value(t->elems[i], slots, pos, owned);
        return value_tuple(tup);
    }
    uint64_t w = slots[(*pos)++];
    switch (t->kind) {
    case T_FLOAT: memcpy(&v.f, &w, sizeof w); v.kind = V_FLOAT; break;
    case T_INT: v = value_int((int64_t)w); break;
    case T_BOOL: v = value_bool(w != 0); break;
    case T_FUNC: {
        const FnRef *r = w < (uint64_t)t->n ? &t->fns[w] : &t->fns[0];
        if (!r->graph)
            return value_prim(r->prim);
        Closure *clo = xcalloc(1, sizeof(Closure));
        vec_push(owned, clo);
        clo->graph = r->graph;
        v.kind = V_CLOSURE;
        v.clo = clo;
        break;
    }
    default: v = value_float(0.0); break;
    }
    return v;
}

/* The runtime's error handler while native code runs under `myc run`:
   print as the interpreter does and unwind to native_run (the runtime has
   released the call's memory before calling it). */
static _Thread_local jmp_buf *run_unwind;
static _Thread_local StrBuf *run_error;

static _Noreturn void run_error_handler(const char *message)
{
    sb_puts(run_error, message);
    longjmp(*run_unwind, 1);
}

static int native_run(Compilation *c)
{
    Options *o = c->opt;
    Graph *g = c->entries[0].result;
    StrBuf err = {0};
    volatile int status = EXIT_OK;
    Interp *scratch = interp_new(c->typed);
    int nin = 0;
    for (int i = 0; i < g->nparams - g->nfree; i++)
        nin += codegen_run_slots(g->params[i]->type);
    uint64_t *args = xcalloc((size_t)nin + 1, sizeof(uint64_t));
    for (int i = 0, pos = 0; i < o->nrun_args; i++) {
        Value v;
        interp_parse_value(scratch, o->run_args[i], &v, &err);
        interp_coerce(scratch, &v, g->params[i]->type);
        value_to_slots(&v, g->params[i]->type, args, &pos);
    }
    const Type *rt = g->ret_type;
    uint64_t *results = xcalloc((size_t)codegen_run_slots(rt) + 1, sizeof(uint64_t));
    /* the JIT generates code for the host at the -O level asked for */
    LLVMTargetMachineRef jtm = codegen_target(true, o->opt_level, &err);
    Jit *jit = jtm ? jit_new(jtm, &err) : NULL;
    LLVMTargetMachineRef tm = jit ? codegen_target(true, o->opt_level, &err) : NULL;
    LLVMModuleRef mod = NULL;
    if (tm) {
        Graph **consts = xcalloc((size_t)c->nentries + 1, sizeof(Graph *));
        for (int e = 1; e < c->nentries; e++)
            consts[e - 1] = c->entries[e].result;
        mod = codegen_module(jit_context(jit), tm, c->typed, NULL, 0, g, consts, c->nentries - 1, o->input, &err);
        free(consts);
        if (mod && codegen_optimize(mod, tm, o->opt_level, &err) != 0) {
            LLVMDisposeModule(mod);
            mod = NULL;
        }
    }
    if (!mod) {
        fprintf(stderr, "myc: internal error: %s\n", sb_cstr(&err));
        status = EXIT_SOURCE;
    } else {
        jmp_buf unwind;
        StrBuf rterr = {0};
        run_unwind = &unwind;
        run_error = &rterr;
        myrt_error_handler prev = myrt_set_error_handler(run_error_handler);
        if (setjmp(unwind) == 0) {
            if (jit_run(jit, mod, "myc_run", args, results, &err) != 0) {
                fprintf(stderr, "myc: internal error: %s\n", sb_cstr(&err));
                status = EXIT_SOURCE;
            }
        } else {
            fprintf(stderr, "myc: runtime error: %s\n", sb_cstr(&rterr));
            status = EXIT_RUNTIME;
        }
        myrt_set_error_handler(prev);
        run_unwind = NULL;
        run_error = NULL;
        sb_free(&rterr);
        if (status == EXIT_OK) {
            PtrVec owned = {0};
            int pos = 0;
            Value v = slots_to_value(rt, results, &pos, &owned);
            StrBuf out = {0};
            value_repr(&v, &out);
            printf("%s\n", sb_cstr(&out));
            sb_free(&out);
            for (int i = 0; i < owned.len; i++)
                free(owned.data[i]);
            vec_free(&owned);
        }
    }
    if (tm)
        LLVMDisposeTargetMachine(tm);
    jit_free(jit);
    interp_free(scratch);
    free(args);
    free(results);
    sb_free(&err);
    return status;
}

/* myc run: the pipeline, then native code through the JIT, or the
   reference interpreter (--interp) on the `grad` stage's IR (or, to test
   closure conversion, --interp-ir=closure). */
static int run(Compilation *c)
{
    Options *o = c->opt;
    Stage stop = o->interp ? (o->interp_ir ? o->interp_ir : STAGE_GRAD) : STAGE_CLOSURE;
    bool ok = run_pipeline(c, stop, run_entry);
    diags_print(&c->diags, stderr);
    if (!ok || !c->entries[0].result)
        return c->status ? c->status : EXIT_SOURCE;
    if (!o->interp)
        return native_run(c);
    Value *args = xcalloc((size_t)o->nrun_args + 1, sizeof(Value));
    Value result;
    StrBuf err = {0};
    int status = interp_run(c, args, &result, &err);
    if (status != EXIT_OK)
        fprintf(stderr, "myc: runtime error: %s\n", sb_cstr(&err));
    free(args);
    sb_free(&err);
    return status;
}

/* ---- myc -c / -S --------------------------------------------------------------- */

/* The exported functions and the --grad= graphs: inference specialises
   them all (the grad graphs last, see export.h). */
static int compile_entries(Compilation *c, InferEntry **out)
{
    int n = export_entries(c, out);
    Options *o = c->opt;
    *out = xrealloc(*out, sizeof(InferEntry) * (size_t)(n + o->grads.len + 1));
    for (int i = 0; i < o->grads.len; i++) {
        Graph *fn = find_top(c->lowered, o->grads.data[i]);
        InferEntry e = {0};
        e.fn = export_grad_graph(c->lowered, fn, &e.args);
        e.required = true;
        (*out)[n++] = e;
    }
    c->ngrads = o->grads.len;
    return n;
}

/* The specialisation inference made of top-level graph fn, or NULL. */
static Graph *entry_result(const Compilation *c, const Graph *fn)
{
    for (int e = 0; e < c->nentries; e++)
        if (c->entries[e].fn == fn)
            return c->entries[e].result;
    return NULL;
}

/* --grad=NAME names an exported function returning a float (checked on
   the exports' inference, before the gradients are built). */
static int check_grads(Compilation *c)
{
    Options *o = c->opt;
    for (int i = 0; i < o->grads.len; i++) {
        const char *name = o->grads.data[i];
        for (int j = 0; j < i; j++)
            if (strcmp(o->grads.data[j], name) == 0)
                return usage_error("--grad=%s is given twice", name);
        Graph *fn = find_top(c->lowered, name);
        if (!fn || fn->kind != G_FUNCTION)
            return usage_error("--grad=%s: no function named '%s' in '%s'", name, name, o->input);
        if (name[0] == '_')
            return usage_error("--grad=%s: '%s' is private (its name starts with '_') and is not exported", name, name);
        Graph *g = entry_result(c, fn);
        if (!g)
            return usage_error("--grad=%s: '%s' cannot be exported (a parameter is used as a function or a tuple "
                               "without an annotation saying so)", name, name);
        if (!g->ret_type || g->ret_type->kind != T_FLOAT) {
            StrBuf t = {0};
            if (g->ret_type)
                type_str(g->ret_type, &t);
            int rc = usage_error("--grad=%s: '%s' returns %s, not a float", name, name,
                                 g->ret_type ? sb_cstr(&t) : "nothing");
            sb_free(&t);
            return rc;
        }
    }
    return 0;
}

static const char *default_output(Compilation *c)
{
    Options *o = c->opt;
    const char *base = strrchr(o->input, '/');
    base = base ? base + 1 : o->input;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".my") == 0)
        n -= 3;
    const char *ext = o->compile_obj ? (o->emit_llvm ? ".bc" : ".o") : (o->emit_llvm ? ".ll" : ".s");
    return arena_printf(c->arena, "%.*s%s", (int)n, base, ext);
}

/* The C names of the exports, checked for clashes. */
typedef VEC(CgExport) ExportVec;

static int collect_exports(Compilation *c, ExportVec *out)
{
    Options *o = c->opt;
    int nfunc = c->nentries - c->ngrads;
    for (int e = 0; e < nfunc; e++) {
        Graph *g = c->entries[e].result;
        if (!g || g->kind != G_FUNCTION)
            continue;
        CgExport ex = {EXPORT_FUNC, g, NULL, {0}};
        if (!cabi_signature(c->arena, g, o->prefix, c->entries[e].fn->name, &ex.sig))
            continue;
        vec_push(out, ex);
    }
    for (int i = 0; i < c->ngrads; i++) {
        Graph *primal = entry_result(c, find_top(c->lowered, o->grads.data[i]));
        CgExport ex = {EXPORT_GRAD, c->entries[nfunc + i].result, primal, {0}};
        if (!ex.graph || !primal || !cabi_grad_signature(c->arena, primal, o->prefix, o->grads.data[i], &ex.sig))
            return usage_error("--grad=%s: internal error: no gradient was built", o->grads.data[i]);
        vec_push(out, ex);
    }
    for (int i = 0; i < out->len; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(out->data[i].sig.name, out->data[j].sig.name) == 0) {
                CgExport *a = &out->data[j], *b = &out->data[i];
                if (b->kind == EXPORT_GRAD || a->kind == EXPORT_GRAD)
                    return usage_error("--grad=%s: the C name '%s' is also the name of another exported function",
                                       o->grads.data[(b->kind == EXPORT_GRAD ? i : j) - (out->len - c->ngrads)],
                                       b->sig.name);
                diag_error(&c->diags, b->graph->loc,
                           "exported C name '%s' clashes with the one of '%s' (C and C++ keywords get a trailing '_')",
                           b->sig.name, a->graph->src_name ? a->graph->src_name : a->graph->name);
                return EXIT_SOURCE;
            }
    return 0;
}

/* The pipeline to `stop` for the exports and the --grad= gradients: the
   exports are inferred alone first, to check the --grad= names (a usage
   error sets *status). */
static bool build_with_grads(Compilation *c, Stage stop, int *status)
{
    Options *o = c->opt;
    bool ok = front_end(c);
    if (ok && o->grads.len) {
        /* first the exports alone, to check the --grad= names */
        ok = middle_end(c, STAGE_INFER, export_entries);
        if (ok && (*status = check_grads(c)) != 0)
            ok = false;
        if (c->typed)
            ir_module_free(c->typed);
        c->typed = NULL;
        free(c->entries);
        c->entries = NULL;
    }
    if (ok)
        ok = middle_end(c, stop, compile_entries);
    return ok;
}

static int compile(Compilation *c)
{
    Options *o = c->opt;
    int status = EXIT_OK;
    bool ok = build_with_grads(c, STAGE_CLOSURE, &status);
    ExportVec exports = {0};
    if (ok && (status = collect_exports(c, &exports)) != 0)
        ok = false;
    diags_print(&c->diags, stderr);
    if (!ok) {
        for (int i = 0; i < exports.len; i++)
            cabi_signature_free(&exports.data[i].sig);
        vec_free(&exports);
        return status ? status : c->status ? c->status : EXIT_SOURCE;
    }
    StrBuf err = {0};
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = codegen_target(o->native, o->opt_level, &err);
    LLVMModuleRef mod = tm ? codegen_module(ctx, tm, c->typed, exports.data, exports.len, NULL, NULL, 0, o->input, &err)
                           : NULL;
    if (mod && codegen_optimize(mod, tm, o->opt_level, &err) != 0) {
        LLVMDisposeModule(mod);
        mod = NULL;
    }
    const char *path = o->output ? o->output : default_output(c);
    if (!mod) {
        fprintf(stderr, "myc: internal error: %s\n", sb_cstr(&err));
        status = EXIT_SOURCE;
    } else {
        EmitKind kind = o->emit_llvm ? (o->compile_obj ? EMIT_BITCODE : EMIT_LLVM) : o->compile_obj ? EMIT_OBJECT : EMIT_ASM;
        if (o->header) {
            CExport *hx = xcalloc((size_t)exports.len + 1, sizeof(CExport));
            for (int i = 0; i < exports.len; i++) {
                hx[i].sig = exports.data[i].sig;
                hx[i].fn = exports.data[i].kind == EXPORT_GRAD ? exports.data[i].primal : exports.data[i].graph;
                hx[i].my_name = hx[i].fn->src_name ? hx[i].fn->src_name : hx[i].fn->name;
                hx[i].is_grad = exports.data[i].kind == EXPORT_GRAD;
            }
            StrBuf h = {0};
            cabi_write_header(o->header, o->input, hx, exports.len, &h);
            if (codegen_write_file(o->header, sb_cstr(&h), h.len, &err) != 0)
                status = usage_error("%s", sb_cstr(&err));
            sb_free(&h);
            free(hx);
        }
        if (status == EXIT_OK && codegen_emit(mod, tm, kind, path, &err) != 0) {
            status = usage_error("%s", sb_cstr(&err));
            if (o->header)
                remove(o->header);
        }
        LLVMDisposeModule(mod);
    }
    if (tm)
        LLVMDisposeTargetMachine(tm);
    LLVMContextDispose(ctx);
    sb_free(&err);
    for (int i = 0; i < exports.len; i++)
        cabi_signature_free(&exports.data[i].sig);
    vec_free(&exports);
    return status;
}

int driver_main(int argc, char **argv)
{
    Options opt = {0};
    opt.opt_level = 2;
    opt.opt_passes = OPT_DEFAULT;
    int rc = parse_args(&opt, argc, argv);
    if (rc) {
        vec_free(&opt.grads);
        return rc < 0 ? EXIT_OK : rc;
    }
    Compilation c = {0};
    c.opt = &opt;
    rc = read_file(opt.input, &c.src, &c.srclen);
    if (rc) {
        vec_free(&opt.grads);
        return rc;
    }
    c.arena = arena_new();
    diags_init(&c.diags, opt.input, c.src, c.srclen);
    rc = opt.run ? run(&c) : opt.dump ? dump(&c) : compile(&c);
    if (c.lowered)
        ir_module_free(c.lowered);
    if (c.typed)
        ir_module_free(c.typed);
    diags_free(&c.diags);
    free(c.entries);
    arena_free(c.arena);
    free(c.src);
    vec_free(&opt.grads);
    return rc;
}
