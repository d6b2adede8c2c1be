/*
 * driver.c: the command line (contract section 2) and the pipeline.
 *
 * Errors in the source are collected in a Diags list by every phase and
 * printed once, here; a phase never exits.  Nothing is written to standard
 * output (a dump, a result) unless the whole compilation succeeded.
 */
#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../grammar/ast.h"
#include "../ir/interp.h"
#include "../ir/ir.h"
#include "../passes/infer.h"
#include "../passes/lower.h"
#include "cabi.h"
#include "diag.h"
#include "../passes/grad.h"

#define MYC_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_SOURCE = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

typedef enum Stage { STAGE_NONE, STAGE_PARSE, STAGE_INFER, STAGE_GRAD } Stage;

/* Stages the contract names that later work adds; asking for one is a usage
   error until then. */
static const char *const future_stages[] = {"opt", "closure"};

typedef struct Options {
    const char *input;
    const char *output;         /* -o */
    const char *header;         /* --header= */
    const char *prefix;         /* --prefix= */
    Stage dump;
    bool dot;                   /* --ir-format=dot */
    bool compile_obj, compile_asm, emit_llvm;
    bool verify_ir;             /* --verify-ir: run the IR checker after every stage */
    int opt_level;
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
          "                         grad (differentiation operators expanded).\n"
          "                         (opt and closure arrive with the passes that make them.)\n"
          "  --ir-format=FMT        text (default) or dot (Graphviz; render with dot -Tsvg)\n"
          "  -c                     Compile to an object file        (not available yet)\n"
          "  -S                     Compile to assembly, -emit-llvm for LLVM IR (not available yet)\n"
          "  -o FILE                Output file\n"
          "  --header=FILE          Also write a C header           (with -c or -S)\n"
          "  --grad=NAME            Also export NAME_grad           (with -c or -S)\n"
          "  --prefix=PFX           Prefix every exported C name    (with -c or -S)\n"
          "  -O0 -O1 -O2 -O3        Optimisation level (default -O2)\n"
          "  --interp               myc run: use the reference interpreter (the only engine for now)\n"
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
    else {
        for (size_t i = 0; i < sizeof future_stages / sizeof *future_stages; i++)
            if (strcmp(name, future_stages[i]) == 0)
                return usage_error("IR stage '%s' is not available yet in this version of myc "
                                   "(available: parse, infer, grad)", name);
        return usage_error("unknown IR stage '%s' (stages: parse, infer, grad, opt, closure)", name);
    }
    return 0;
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
            return 0;
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
            /* accepted; meaningful once code generation exists */
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
    if (o->compile_obj || o->compile_asm)
        return usage_error("native code generation (%s) is not available yet in this version of myc; "
                           "use 'myc run' or --dump-ir", o->compile_obj ? "-c" : "-S");
    if (o->header || o->grads.len || o->prefix || o->output || o->emit_llvm)
        return usage_error("'%s' needs -c or -S", o->header ? "--header" : o->grads.len ? "--grad"
                                                  : o->prefix ? "--prefix" : o->output ? "-o" : "-emit-llvm");
    if (!o->run && !o->dump)
        return usage_error("nothing to do: give --dump-ir=STAGE, or use 'myc run' (see --help)");
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
static bool run_pipeline(Compilation *c, Stage stop, EntryChooser choose)
{
    c->ast = parse_source(c->arena, &c->diags, c->src, c->srclen);
    if (diags_failed(&c->diags))
        return false;

    c->lowered = lower_module(c->arena, &c->diags, c->ast, c->opt->input);
    if (diags_failed(&c->diags) || !verify(c, c->lowered, false, "parse"))
        return false;
    if (stop == STAGE_PARSE)
        return true;

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
    return true;
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

static int dump(Compilation *c)
{
    bool ok = run_pipeline(c, c->opt->dump, export_entries);
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

/* myc run: the pipeline up to inference, then the reference interpreter. */
static int run(Compilation *c)
{
    Options *o = c->opt;
    bool ok = run_pipeline(c, STAGE_GRAD, run_entry);
    diags_print(&c->diags, stderr);
    if (!ok || !c->entries[0].result)
        return c->status ? c->status : EXIT_SOURCE;
    Graph *g = c->entries[0].result;
    Interp *in = interp_new(c->typed);
    Value *args = xcalloc((size_t)o->nrun_args + 1, sizeof(Value));
    StrBuf err = {0};
    for (int i = 0; i < o->nrun_args; i++) {   /* both already succeeded in run_entry */
        interp_parse_value(in, o->run_args[i], &args[i], &err);
        interp_coerce(in, &args[i], g->params[i]->type);
    }
    Value result;
    int status = EXIT_OK;
    /* The constants, in source order, as a module load would. */
    for (int e = 1; e < c->nentries && status == EXIT_OK; e++)
        if (interp_call(in, c->entries[e].result, NULL, 0, &result, &err) != 0)
            status = EXIT_RUNTIME;
    if (status == EXIT_OK && interp_call(in, g, args, o->nrun_args, &result, &err) != 0)
        status = EXIT_RUNTIME;
    if (status != EXIT_OK) {
        fprintf(stderr, "myc: runtime error: %s\n", sb_cstr(&err));
    } else {
        StrBuf out = {0};
        value_repr(&result, &out);
        printf("%s\n", sb_cstr(&out));
        sb_free(&out);
    }
    free(args);
    sb_free(&err);
    interp_free(in);
    return status;
}

int driver_main(int argc, char **argv)
{
    Options opt = {0};
    opt.opt_level = 2;
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
    rc = opt.run ? run(&c) : dump(&c);
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
