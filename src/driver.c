/*
 * driver.c: the command line (contract section 2), over the pipeline (pipeline.h).
 *
 * Errors in the source are collected in a Diags list by every phase and
 * printed once, here; a phase never exits.  Nothing is written to standard
 * output (a dump, a result) unless the whole compilation succeeded.
 */
#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ir/interp.h"
#include "../ir/trace.h"
#include "../passes/export.h"
#include "../passes/opt.h"
#include "backend.h"
#include "cabi.h"
#include "pipeline.h"
#include "util/file.h"
#include "util/suggest.h"


enum { EXIT_OK = 0, EXIT_SOURCE = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

/* One --grad=NAME, --vjp=NAME or --jvp=NAME. */
typedef struct DerivRequest {
    ExportKind kind;            /* EXPORT_GRAD, EXPORT_VJP or EXPORT_JVP */
    const char *name;
    Type *result;               /* NAME's result type (check_derivs), for NAME_vjp's cotangents */
} DerivRequest;

static const char *deriv_flag(ExportKind k)
{
    return k == EXPORT_GRAD ? "--grad" : k == EXPORT_VJP ? "--vjp" : "--jvp";
}

typedef struct Options {
    const char *input;
    const char *output;         /* -o */
    const char *header;         /* --header= */
    const char *prefix;         /* --prefix= */
    Stage dump;
    bool dot;                   /* --ir-format=dot */
    bool compile_obj, compile_asm, emit_llvm;
    bool verify_ir;             /* --verify-ir: run the IR checker after every stage and optimiser pass */
    bool native;                /* -march=native */
    bool debug;                 /* -g: DWARF debug information */
    Stage interp_ir;            /* --interp-ir=STAGE: the IR --interp runs (grad, or a later stage to test its passes) */
    int opt_level;
    unsigned opt_passes;        /* --opt-passes=LIST: the optimiser passes run (testing); all by default */
    bool run;                   /* myc run */
    bool interp;                /* --interp */
    bool trace;                 /* --trace[=FILE]: the interpreter, traced */
    const char *trace_file;     /* FILE, or NULL: standard error */
    const char *trace_flag;     /* the first --trace-* option given (for "needs --trace") */
    TraceOptions trace_opt;     /* --trace-format=, --trace-depth=, --trace-limit=, --trace-prims */
    const char *run_func;
    char **run_args;
    int nrun_args;
    VEC(DerivRequest) derivs;   /* --grad=, --vjp=, --jvp=, in order */
    int color;                  /* -f[no-]color-diagnostics: 1 or 0; -1: a terminal and no NO_COLOR */
    bool time_report;           /* -ftime-report */
    bool verbose;               /* -v */
} Options;

/* One run of myc: the compilation and what the driver adds to it. */
typedef struct Job {
    Options *opt;
    int nderivs;                /* the last nderivs entries are the --grad=, --vjp=, --jvp= graphs (export.h) */
    int status;                 /* a usage error found mid-way (exit 2), else 0 */
} Job;

static Job *job(Compilation *c) { return c->user; }

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

/* The --help text; its option lines (two spaces, then the spellings up to
   two spaces more) are also the flags known_flags reads. */
static void help_text(StrBuf *out)
{
    sb_puts(out, "OVERVIEW: myc " MYC_VERSION " - a differentiating compiler for .my programs\n"
          "\n"
          "USAGE: myc [options] FILE.my\n"
          "       myc run [-O<n>] [-g] [--interp | --trace[=FILE]] FILE.my FUNC [ARG...]\n"
          "\n"
          "COMMANDS:\n"
          "  run FILE FUNC ARG...   Run FUNC on the arguments and print the result as Python's repr().\n"
          "                         Arguments are values (floats, ints, True/False, tuples like \"(1.0, 2)\").\n"
          "\n"
          "OPTIONS:\n"
          "  --dump-ir=STAGE        Print the IR after STAGE and stop:");
    for (Stage s = STAGE_PARSE; s < STAGE__COUNT; s++)
        if (stage_what(s))
            sb_printf(out, "%s%s (%s)%s\n", s == STAGE_PARSE ? " " : "                         ", stage_name(s),
                      stage_what(s), s + 1 < STAGE__COUNT && stage_what(s + 1) ? "," : ".");
    sb_puts(out, "  --ir-format=FMT        text (default) or dot (Graphviz; render with dot -Tsvg)\n"
          "  -c                     Compile to a native object file (-emit-llvm: LLVM bitcode)\n"
          "  -S                     Compile to assembly (-emit-llvm: LLVM IR text)\n"
          "  -o FILE                Output file\n"
          "  --header=FILE          Also write a C header           (with -c or -S)\n"
          "  --grad=NAME            Also export NAME_grad           (with -c or -S)\n"
          "  --vjp=NAME             Also export NAME_vjp            (with -c or -S)\n"
          "  --jvp=NAME             Also export NAME_jvp            (with -c or -S)\n"
          "  --prefix=PFX           Prefix every exported C name    (with -c or -S)\n"
          "  -O0 -O1 -O2 -O3        Optimisation level (default -O2)\n"
          "  -march=native          Generate code for this machine's CPU (default: generic x86-64)\n"
          "  -g                     DWARF debug information: .my lines and columns, source function names\n"
          "                         (with -c or -S; myc run accepts it)\n"
          "  --interp               myc run: use the reference interpreter instead of native code\n"
          "  --interp-ir=STAGE      With --interp: interpret the IR after grad (default), opt, closure or inplace\n"
          "  --trace[=FILE]         myc run: run the reference interpreter and write the call tree (calls with\n"
          "                         arguments, results and .my lines; loop iterations; branches taken; forward\n"
          "                         and backward passes of grad, value_and_grad, vjp, jvp) to standard error or FILE\n"
          "  --trace-format=text|dot|json\n"
          "                         With --trace: indented S-expressions (default), Graphviz (dot -Tsvg), or the\n"
          "                         Trace Event format (Perfetto, chrome://tracing) with the time of every call\n"
          "  --trace-depth=N        With --trace: show N levels of calls; deeper ones are counted (... K calls)\n"
          "  --trace-prims          With --trace: also show primitive applications, as (* 2.0 3.0) -> 6.0\n"
          "  --trace-limit=N        With --trace: write at most N entries (default 10000; 0: no limit)\n"
          "  --opt-passes=LIST      Run only these optimiser passes (comma-separated; families: copy functions\n"
          "                         with nested graphs; none) (testing)\n"
          "  --verify-ir            Check the IR's invariants after every stage and optimiser pass (for testing myc)\n"
          "  -fcolor-diagnostics    Colour the diagnostics (default: when standard error is a terminal and\n"
          "                         NO_COLOR is not set)\n"
          "  -fno-color-diagnostics Never colour the diagnostics\n"
          "  -ftime-report          Print the wall time and the IR size of every stage, optimiser pass and\n"
          "                         LLVM step on standard error after the compilation\n"
          "  -v                     Print what myc runs (stages, target, output files) on standard error\n"
          "  --help                 Show this help\n"
          "  --version              Show the version, LLVM's version and the target\n"
          "\n"
          "EXIT STATUS: 0 success, 1 errors in the source, 2 bad usage, 3 runtime error (run:\n"
          "  \"myc: runtime error: FILE:LINE:COL: MESSAGE\", where the failing operation is).\n");
}

static void print_help(FILE *out)
{
    StrBuf sb = {0};
    help_text(&sb);
    fputs(sb_cstr(&sb), out);
    sb_free(&sb);
}

static void print_version(FILE *out)
{
    StrBuf ver = {0}, triple = {0};
    backend_describe(&ver, &triple);
    fprintf(out, "myc version " MYC_VERSION "\nLLVM version %s\nTarget: %s\n", sb_cstr(&ver), sb_cstr(&triple));
    sb_free(&ver);
    sb_free(&triple);
}

/* ---- the flags, for suggestions ---------------------------------------------- */

/* A flag as --help spells it: "-c", "--grad=" (joined, value required:
   --grad=NAME or --fmt=a|b), "--trace" and "--trace=" (--trace[=FILE]),
   "-march=native" (one word: no metavariable, no choice). */
typedef struct Flag {
    char *name;
    char *spelling;         /* the word in --help: --grad=NAME */
    bool joined;            /* name ends with '=', and a value follows it */
    bool required;          /* joined, and the value may not be left out */
} Flag;

typedef VEC(Flag) FlagVec;

static bool is_metavar(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
            return false;
    return true;
}

static void add_flag(FlagVec *out, const char *name, size_t n, const char *spelling, size_t sn, bool joined,
                     bool required)
{
    Flag f = {xcalloc(n + 1, 1), xcalloc(sn + 1, 1), joined, required};
    memcpy(f.name, name, n);
    memcpy(f.spelling, spelling, sn);
    vec_push(out, f);
}

/* The flags the help text lists: one source for what exists. */
static void known_flags(FlagVec *out)
{
    StrBuf help = {0};
    help_text(&help);
    for (const char *line = sb_cstr(&help); *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        if (strncmp(line, "  -", 3) == 0) {
            const char *p = line + 2, *end = strstr(p, "  ");
            if (!end || end > eol)
                end = eol;
            while (p < end) {
                const char *w = p;
                while (p < end && *p != ' ')
                    p++;
                size_t n = (size_t)(p - w);
                const char *eq = memchr(w, '=', n), *opt = n > 2 ? strstr(w, "[=") : NULL;
                if (w[0] != '-') {
                    /* a separate value's metavariable, as in "-o FILE" */
                } else if (opt && opt < p) {      /* --trace[=FILE]: --trace, and --trace= */
                    add_flag(out, w, (size_t)(opt - w), w, n, false, false);
                    add_flag(out, w, (size_t)(opt - w) + 1, w, n, true, false);
                    out->data[out->len - 1].name[opt - w] = '=';
                } else if (eq && (is_metavar(eq + 1, (size_t)(p - eq - 1)) || memchr(eq, '|', (size_t)(p - eq)))) {
                    /* --grad=NAME, --ir-format=text|dot: a value of the user's */
                    add_flag(out, w, (size_t)(eq - w) + 1, w, n, true, true);
                } else {
                    add_flag(out, w, n, w, n, false, false);
                }
                while (p < end && *p == ' ')
                    p++;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    sb_free(&help);
}

static void free_flags(FlagVec *fl)
{
    for (int i = 0; i < fl->len; i++) {
        free(fl->data[i].name);
        free(fl->data[i].spelling);
    }
    vec_free(fl);
}

/* A word on the command line that is one of myc's options (for myc run's
   words after FILE, which are values: "-2.5" is one, "--interp" is not). */
static bool is_option(const FlagVec *fl, const char *a)
{
    if (a[0] == '-' && a[1] == '-')
        return true;
    for (int i = 0; i < fl->len; i++) {
        const Flag *f = &fl->data[i];
        if (f->joined ? strncmp(a, f->name, strlen(f->name)) == 0 : strcmp(a, f->name) == 0)
            return true;
    }
    return false;
}

/* A joined flag given without its value ("--grad", "--grad="): a usage
   error saying so; else 0. */
static int missing_value(const FlagVec *fl, const char *a)
{
    for (int i = 0; i < fl->len; i++) {
        const Flag *f = &fl->data[i];
        size_t n = strlen(f->name);
        if (f->required && (strcmp(a, f->name) == 0 || (strncmp(a, f->name, n - 1) == 0 && a[n - 1] == '\0')))
            return usage_error("argument to '%.*s' is missing (expected 1 value: %s)", (int)(n - 1), f->name,
                               f->spelling);
    }
    return 0;
}

/* "unknown argument 'A'", with the nearest flag when one is close (clang's
   wording; suggest.h's distance and limit).  A joined flag is compared up
   to its '=' and suggested with the value given; without one, a joined
   flag costs one more (clang's rule: "-nodefaultlibs" is nearer
   "-nodefaultlib" than "-nodefaultlib:"). */
static int unknown_argument(const FlagVec *fl, const char *a)
{
    const char *eq = strchr(a, '=');
    int limit = suggest_limit(a), best = limit + 1;
    const Flag *near = NULL;
    StrBuf typed = {0};
    for (int i = 0; i < fl->len; i++) {
        const Flag *f = &fl->data[i];
        int d;
        if (f->joined && eq) {
            typed.len = 0;
            sb_printf(&typed, "%.*s", (int)(eq - a) + 1, a);
            d = edit_distance(sb_cstr(&typed), f->name, best);
        } else if (f->joined) {
            typed.len = 0;
            sb_printf(&typed, "%.*s", (int)strlen(f->name) - 1, f->name);
            d = edit_distance(a, sb_cstr(&typed), best) + 1;
        } else {
            d = edit_distance(a, f->name, best);
        }
        if (d < best) {
            best = d;
            near = f;
        }
    }
    sb_free(&typed);
    if (!near)
        return usage_error("unknown argument '%s'", a);
    if (near->joined && eq)
        return usage_error("unknown argument '%s'; did you mean '%s%s'?", a, near->name, eq + 1);
    return usage_error("unknown argument '%s'; did you mean '%s'?", a, near->joined ? near->spelling : near->name);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The IR stages from `first` on, for messages: "a, b, c", or with
   last_sep " or ", "a, b or c". */
static void ir_stage_list(StrBuf *out, Stage first, const char *last_sep)
{
    for (Stage s = first; s < STAGE__COUNT && stage_what(s); s++)
        sb_printf(out, "%s%s", s == first ? "" : s + 1 < STAGE__COUNT && stage_what(s + 1) ? ", " : last_sep,
                  stage_name(s));
}

static int parse_stage(Options *o, const char *name)
{
    Stage s = stage_by_name(name);
    if (s == STAGE_NONE || !stage_what(s)) {
        StrBuf list = {0};
        ir_stage_list(&list, STAGE_PARSE, ", ");
        int rc = usage_error("unknown IR stage '%s' (stages: %s)", name, sb_cstr(&list));
        sb_free(&list);
        return rc;
    }
    o->dump = s;
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

static int parse_flags(Options *o, int argc, char **argv, const FlagVec *flags);

/* N in --trace-depth=N, --trace-limit=N: a decimal count from `min`. */
static int parse_count(const char *flag, const char *v, long min, long *out)
{
    char *end;
    errno = 0;
    long n = v[0] >= '0' && v[0] <= '9' ? strtol(v, &end, 10) : -1;
    if (n < min || errno == ERANGE || *end || n > INT32_MAX)
        return usage_error("%s takes a whole number from %ld, not '%s'", flag, min, v);
    *out = n;
    return 0;
}

/* One of --trace-format=, --trace-depth=, --trace-limit=, --trace-prims. */
static int parse_trace_flag(Options *o, const char *a)
{
    const char *eq = strchr(a, '=');
    const char *v = eq ? eq + 1 : "";
    long n;
    int rc = 0;
    if (!o->trace_flag)
        o->trace_flag = a;
    if (starts_with(a, "--trace-format=")) {
        if (strcmp(v, "text") == 0)
            o->trace_opt.format = TRACE_TEXT;
        else if (strcmp(v, "dot") == 0)
            o->trace_opt.format = TRACE_DOT;
        else if (strcmp(v, "json") == 0)
            o->trace_opt.format = TRACE_JSON;
        else
            rc = usage_error("unknown trace format '%s' (formats: text, dot, json)", v);
    } else if (starts_with(a, "--trace-depth=")) {
        if (!(rc = parse_count("--trace-depth", v, 1, &n)))
            o->trace_opt.depth = (int)n;
    } else if (starts_with(a, "--trace-limit=")) {
        if (!(rc = parse_count("--trace-limit", v, 0, &n)))
            o->trace_opt.limit = n;
    } else if (strcmp(a, "--trace-prims") == 0) {
        o->trace_opt.prims = true;
    }
    return rc;
}

static bool parse_trace_flag_known(const char *a)
{
    return starts_with(a, "--trace-format=") || starts_with(a, "--trace-depth=") || starts_with(a, "--trace-limit=")
           || strcmp(a, "--trace-prims") == 0;
}

/* Parses the command line into o; returns -1 when done (help/version
   printed), 0 to go on, or an exit status. */
static int parse_args(Options *o, int argc, char **argv)
{
    FlagVec flags = {0};
    known_flags(&flags);
    int rc = parse_flags(o, argc, argv, &flags);
    free_flags(&flags);
    return rc;
}

/* myc run's words after FILE are FUNC and values; an option among them
   was meant for myc, so it is an error that says where options go. */
static int misplaced_run_option(Options *o, const FlagVec *flags)
{
    if (is_option(flags, o->run_func))
        return usage_error("option '%s' after the file name is read as the function name; put options before "
                           "the file: myc run %s %s FUNC ...", o->run_func, o->run_func, o->input);
    for (int k = 0; k < o->nrun_args; k++)
        if (is_option(flags, o->run_args[k]))
            return usage_error("option '%s' after the function name is read as an argument; put options before "
                               "the file: myc run %s %s %s ...", o->run_args[k], o->run_args[k], o->input,
                               o->run_func);
    return 0;
}

static int parse_flags(Options *o, int argc, char **argv, const FlagVec *flags)
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
            int rc = misplaced_run_option(o, flags);
            if (rc)
                return rc;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(stdout);
            return -1;
        }
        if (strcmp(a, "--version") == 0) {
            print_version(stdout);
            return -1;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->input)
                return usage_error("more than one input file ('%s' and '%s')", o->input, a);
            o->input = a;
            continue;
        }
        int missing = missing_value(flags, a);
        if (missing)
            return missing;
        if (o->run && strcmp(a, "--interp") == 0) {
            o->interp = true;
        } else if (strcmp(a, "--trace") == 0 || starts_with(a, "--trace=")) {
            o->trace = true;
            o->trace_file = a[7] == '=' ? a + 8 : NULL;
            if (o->trace_file && !*o->trace_file)
                return usage_error("--trace= needs a file name (or use --trace for standard error)");
        } else if (starts_with(a, "--trace-") && parse_trace_flag_known(a)) {
            int rc = parse_trace_flag(o, a);
            if (rc)
                return rc;
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
        } else if (starts_with(a, "--grad=") || starts_with(a, "--vjp=") || starts_with(a, "--jvp=")) {
            DerivRequest r = {a[2] == 'g' ? EXPORT_GRAD : a[2] == 'v' ? EXPORT_VJP : EXPORT_JVP, strchr(a, '=') + 1,
                              NULL};
            vec_push(&o->derivs, r);
        } else if (starts_with(a, "--prefix=")) {
            o->prefix = a + strlen("--prefix=");
        } else if (strcmp(a, "-march=native") == 0) {
            o->native = true;
        } else if (strcmp(a, "-g") == 0) {
            o->debug = true;
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
            o->interp_ir = stage_by_name(st);
            if (o->interp_ir < STAGE_GRAD || !stage_what(o->interp_ir)) {
                StrBuf list = {0};
                ir_stage_list(&list, STAGE_GRAD, " or ");
                int rc = usage_error("--interp-ir takes %s, not '%s'", sb_cstr(&list), st);
                sb_free(&list);
                return rc;
            }
        } else if (strcmp(a, "--verify-ir") == 0) {
            o->verify_ir = true;
        } else if (strcmp(a, "-fcolor-diagnostics") == 0 || strcmp(a, "-fno-color-diagnostics") == 0) {
            o->color = a[2] != 'n';
        } else if (strcmp(a, "-ftime-report") == 0) {
            o->time_report = true;
        } else if (strcmp(a, "-v") == 0) {
            o->verbose = true;
        } else {
            return unknown_argument(flags, a);
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
    if (!compile && (o->header || (o->derivs.len && !o->dump) || o->prefix || o->output || o->emit_llvm))
        return usage_error("'%s' needs -c or -S", o->header ? "--header"
                                                  : o->derivs.len ? deriv_flag(o->derivs.data[0].kind)
                                                  : o->prefix ? "--prefix" : o->output ? "-o" : "-emit-llvm");
    if (compile && strcmp(o->input, "-") == 0 && !o->output)
        return usage_error("the source is read from standard input: give the output's name with -o FILE");
    if (o->debug && !compile && !o->run)
        return usage_error("'-g' needs -c, -S or run");
    if (o->prefix && !c_identifier_start(o->prefix))
        return usage_error("--prefix='%s' is not the start of a C identifier", o->prefix);
    if (o->interp_ir && !o->interp)
        return usage_error("--interp-ir needs --interp");
    if (o->trace && !o->run)
        return usage_error("'--trace' needs 'myc run'");
    if (o->trace_flag && !o->trace)
        return usage_error("'%.*s' needs --trace", (int)strcspn(o->trace_flag, "="), o->trace_flag);
    if (o->trace && o->interp_ir)
        return usage_error("--trace runs the IR after grad; it cannot be combined with --interp-ir");
    if (!o->run && !o->dump && !compile)
        return usage_error("nothing to do: give -c, -S, --dump-ir=STAGE, or use 'myc run' (see --help)");
    return 0;
}

/* The diagnostics, then clang's count of them ("2 errors generated."). */
static void print_diags(Compilation *c)
{
    diags_print(&c->diags, stderr);
    diags_print_summary(&c->diags, stderr);
}

/* The source: the file at path, or standard input for "-". */
static int read_file(const char *path, char **out, size_t *len)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
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
    if (!from_stdin)
        fclose(f);
    if (err) {
        sb_free(&sb);
        return usage_error("cannot read '%s'", from_stdin ? "<stdin>" : path);
    }
    *len = sb.len;
    *out = sb.data ? sb.data : xstrdup("");
    return 0;
}

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
    Options *o = job(c)->opt;
    Graph *fn = find_top(c->lowered, o->run_func);
    if (!fn) {
        job(c)->status = usage_error("no function named '%s' in '%s'", o->run_func, o->input);
        return -1;
    }
    if (fn->nparams != o->nrun_args) {
        job(c)->status = usage_error("'%s' takes %d argument%s but %d %s given", o->run_func, fn->nparams,
                                fn->nparams == 1 ? "" : "s", o->nrun_args, o->nrun_args == 1 ? "was" : "were");
        return -1;
    }
    Type **types = ARENA_ARRAY(c->arena, Type *, o->nrun_args + 1);
    Interp *scratch = interp_new(c->lowered);
    StrBuf err = {0};
    for (int i = 0; i < o->nrun_args && !job(c)->status; i++) {
        Value v;
        if (interp_parse_value(scratch, o->run_args[i], &v, &err) != 0) {
            job(c)->status = usage_error("argument %d ('%s'): %s", i + 1, o->run_args[i], sb_cstr(&err));
            break;
        }
        types[i] = interp_value_type(c->lowered->types, &v);
        Type *ann = fn->param_ann ? fn->param_ann[i] : NULL;
        if (ann && interp_coerce(scratch, &v, ann) != 0) {
            StrBuf tn = {0};
            type_str(ann, &tn);
            job(c)->status = usage_error("argument %d of '%s' must be %s, got '%s'", i + 1, o->run_func,
                                    sb_cstr(&tn), o->run_args[i]);
            sb_free(&tn);
        }
    }
    interp_free(scratch);
    sb_free(&err);
    if (job(c)->status)
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
        if (!cabi_signature(c->arena, g, job(c)->opt->prefix, c->entries[e].fn->name, &sig))
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
    Options *o = job(c)->opt;
    int status = 0;
    bool ok;
    if (o->derivs.len && o->dump >= STAGE_INFER) {
        ok = build_with_grads(c, o->dump, &status);
    } else {
        c->choose = export_entries;
        ok = pipeline_run(c, o->dump);
    }
    if (status)
        return status;
    print_diags(c);
    if (!ok)
        return job(c)->status ? job(c)->status : EXIT_SOURCE;
    Module *m = o->dump == STAGE_PARSE ? c->lowered : c->typed;
    StrBuf out = {0};
    if (o->dot) {
        ir_dot_module(m, NULL, 0, &out);
    } else {
        if (o->dump >= STAGE_INFER)
            print_exports(c, &out);
        ir_print_module(m, NULL, 0, &out);
    }
    fputs(sb_cstr(&out), stdout);
    sb_free(&out);
    return EXIT_OK;
}

/* The constants, in source order, as a module load would, then FUNC,
   traced by tr when not NULL.  A runtime error's message goes to err
   after its location, "FILE:LINE:COL: ", as native code reports it
   (backend.h). */
static int interp_run(Compilation *c, Tracer *tr, Value *args, Value *result, StrBuf *err)
{
    Interp *in = interp_new(c->typed);
    Graph *g = c->entries[0].result;
    int status = EXIT_OK;
    for (int i = 0; i < job(c)->opt->nrun_args; i++) {   /* both already succeeded in run_entry */
        interp_parse_value(in, job(c)->opt->run_args[i], &args[i], err);
        interp_coerce(in, &args[i], g->params[i]->type);
    }
    StrBuf msg = {0};
    for (int e = 1; e < c->nentries && status == EXIT_OK; e++)
        if (interp_call(in, c->entries[e].result, NULL, 0, result, &msg) != 0)
            status = EXIT_RUNTIME;
    if (tr && status == EXIT_OK)
        trace_attach(tr, in);
    if (status == EXIT_OK && interp_call(in, g, args, job(c)->opt->nrun_args, result, &msg) != 0) {
        status = EXIT_RUNTIME;
        if (tr)
            trace_fail(tr);
    }
    if (status != EXIT_OK) {
        Loc at = interp_error_loc(in);
        if (at.line > 0)
            sb_printf(err, "%s:%d:%d: ", c->input, at.line, at.col);
        sb_puts(err, sb_cstr(&msg));
    }
    sb_free(&msg);
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

/* The memory the conversions below allocate, freed by native_run. */
typedef VEC(void *) PtrVec;

/* Flattens v (of type t) into 8-byte slots, depth-first; a list takes one
   slot, the address of a block [len, its items' slots...] (malloc'd,
   listed in `owned`), as backend_run_slots says. */
static void value_to_slots(const Value *v, const Type *t, uint64_t *slots, int *pos, PtrVec *owned)
{
    if (t->kind == T_TUPLE) {
        for (int i = 0; i < t->n; i++)
            value_to_slots(&v->tup->items[i], t->elems[i], slots, pos, owned);
        return;
    }
    uint64_t w = 0;
    if (t->kind == T_LIST) {
        const Type *elem = type_list_elem(t);
        int64_t len = elem && v->kind == V_LIST ? v->list->len : 0;
        int k = elem ? backend_run_slots(elem) : 0;
        uint64_t *blk = xmalloc(sizeof(uint64_t) * (size_t)(1 + len * k));
        vec_push(owned, blk);
        blk[0] = (uint64_t)len;
        int at = 1;
        for (int64_t i = 0; i < len; i++)
            value_to_slots(&v->list->items[i], elem, blk, &at, owned);
        w = (uint64_t)(uintptr_t)blk;
    } else if (t->kind == T_FLOAT) {
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
   malloc'd and listed in `owned` (freed by the caller); a list's block
   (from the runtime's malloc) is freed once read. */
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
    if (t->kind == T_LIST) {
        const Type *elem = type_list_elem(t);
        uint64_t *blk = (uint64_t *)(uintptr_t)w;
        List *l = xcalloc(1, sizeof(List));
        vec_push(owned, l);
        l->len = l->cap = (int64_t)blk[0];
        l->items = xcalloc((size_t)l->len + 1, sizeof(Value));
        vec_push(owned, l->items);
        int at = 1;
        for (int64_t i = 0; i < l->len; i++)
            l->items[i] = slots_to_value(elem, blk, &at, owned);
        free(blk);
        return value_list(l);
    }
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

/* myc run on native code: the codegen stage runs FUNC through the JIT. */
static int native_run(Compilation *c)
{
    Options *o = job(c)->opt;
    Graph *g = c->entries[0].result;
    StrBuf err = {0};
    Interp *scratch = interp_new(c->typed);
    int nin = 0;
    for (int i = 0; i < g->nparams - g->nfree; i++)
        nin += backend_run_slots(g->params[i]->type);
    uint64_t *args = xcalloc((size_t)nin + 1, sizeof(uint64_t));
    PtrVec arg_blocks = {0};
    for (int i = 0, pos = 0; i < o->nrun_args; i++) {
        Value v;
        interp_parse_value(scratch, o->run_args[i], &v, &err);
        interp_coerce(scratch, &v, g->params[i]->type);
        value_to_slots(&v, g->params[i]->type, args, &pos, &arg_blocks);
    }
    const Type *rt = g->ret_type;
    uint64_t *results = xcalloc((size_t)backend_run_slots(rt) + 1, sizeof(uint64_t));
    c->target = (Target){.kind = TARGET_RUN,
                         .backend = {.opt_level = o->opt_level, .native = true, .name = c->input, .debug = o->debug},
                         .args = args,
                         .results = results};
    int status = EXIT_OK;
    if (!pipeline_run(c, STAGE_CODEGEN)) {
        bool raised = c->run_status == RUN_RAISED;
        fprintf(stderr, "myc: %s: %s\n", raised ? "runtime error" : "internal error", sb_cstr(&c->backend_msg));
        status = raised ? EXIT_RUNTIME : EXIT_SOURCE;
    } else {
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
    interp_free(scratch);
    for (int i = 0; i < arg_blocks.len; i++)
        free(arg_blocks.data[i]);
    vec_free(&arg_blocks);
    free(args);
    free(results);
    sb_free(&err);
    return status;
}

/* myc run: the pipeline, then native code through the JIT, or the
   reference interpreter (--interp) on the `grad` stage's IR (or, to test
   the later passes, --interp-ir=closure or inplace); --trace is the
   interpreter on the `grad` stage's IR, traced (ir/trace.h). */
static int run(Compilation *c)
{
    Options *o = job(c)->opt;
    bool interp = o->interp || o->trace;
    Stage stop = interp ? (o->interp_ir ? o->interp_ir : STAGE_GRAD) : STAGE_INPLACE;
    c->choose = run_entry;
    bool ok = pipeline_run(c, stop);
    print_diags(c);
    if (!ok || !c->entries[0].result)
        return job(c)->status ? job(c)->status : EXIT_SOURCE;
    if (!interp)
        return native_run(c);
    /* the trace's file once the program compiled: a source error leaves it alone */
    FILE *trace_out = NULL;
    if (o->trace_file && !(trace_out = fopen(o->trace_file, "w")))
        return usage_error("cannot open '%s' for the trace: %s", o->trace_file, strerror(errno));
    Tracer *tr = NULL;
    if (o->trace) {
        o->trace_opt.file = c->input;
        tr = trace_new(&o->trace_opt, trace_out ? trace_out : stderr);
    }
    Value *args = xcalloc((size_t)o->nrun_args + 1, sizeof(Value));
    Value result;
    StrBuf err = {0};
    int status = interp_run(c, tr, args, &result, &err);
    if (tr && !trace_finish(tr) && status == EXIT_OK) {
        fprintf(stderr, "myc: error: writing the trace to '%s' failed\n", o->trace_file ? o->trace_file : "<stderr>");
        status = EXIT_USAGE;
    }
    if (status == EXIT_RUNTIME)
        fprintf(stderr, "myc: runtime error: %s\n", sb_cstr(&err));
    trace_free(tr);
    if (trace_out && fclose(trace_out) != 0 && status == EXIT_OK) {
        fprintf(stderr, "myc: error: writing the trace to '%s' failed\n", o->trace_file);
        status = EXIT_USAGE;
    }
    free(args);
    sb_free(&err);
    return status;
}

/* ---- myc -c / -S --------------------------------------------------------------- */

/* The exported functions and the --grad=, --vjp=, --jvp= graphs:
   inference specialises them all (the derivatives last, see export.h). */
static int compile_entries(Compilation *c, InferEntry **out)
{
    int n = export_entries(c, out);
    Options *o = job(c)->opt;
    *out = xrealloc(*out, sizeof(InferEntry) * (size_t)(n + o->derivs.len + 1));
    for (int i = 0; i < o->derivs.len; i++) {
        DerivRequest *r = &o->derivs.data[i];
        Graph *fn = find_top(c->lowered, r->name);
        InferEntry e = {0};
        e.fn = r->kind == EXPORT_GRAD  ? export_grad_graph(c->lowered, fn, &e.args)
               : r->kind == EXPORT_VJP ? export_vjp_graph(c->lowered, fn, r->result, &e.args)
                                       : export_jvp_graph(c->lowered, fn, &e.args);
        e.required = true;
        (*out)[n++] = e;
    }
    job(c)->nderivs = o->derivs.len;
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

/* Why export entry e (dropped by inference) has no C signature, as a
   sentence ending in what to do; note_at and note receive where the
   parameter's use that shows it is, when known. */
static void why_not_exported(const InferEntry *e, StrBuf *why, Loc *note_at, StrBuf *note)
{
    const Graph *fn = e->fn;
    const char *name = fn->src_name ? fn->src_name : fn->name;
    const char *p = e->param >= 0 && e->param < fn->nparams && fn->params[e->param]->name
                        ? fn->params[e->param]->name : NULL;
    static const char *const as_what[] = {
        [MISUSE_OTHER] = "something other than a float", [MISUSE_INT] = "an int",
        [MISUSE_TUPLE] = "a tuple", [MISUSE_FUNCTION] = "a function", [MISUSE_LIST] = "a list",
    };
    *note_at = LOC_NONE;
    switch (e->dropped) {
    case DROP_PARAM_USE:
        if (p)
            sb_printf(why, "parameter '%s' is used as %s", p, as_what[e->as]);
        else
            sb_printf(why, "a parameter without an annotation (so taken as a float) is used as %s", as_what[e->as]);
        if (e->as == MISUSE_INT && p)
            sb_printf(why, ": annotate it '%s: int' to export '%s'", p, name);
        else if (e->as == MISUSE_TUPLE && p)
            sb_printf(why, ": annotate it with its tuple type (such as '%s: (float, float)') to export '%s'", p, name);
        else if (e->as == MISUSE_LIST && p)
            sb_printf(why, ": annotate it with its list type (such as '%s: list[float]') to export '%s'", p, name);
        else if (e->as == MISUSE_FUNCTION)
            sb_printf(why, ", which C cannot pass: '%s' is not exported", name);
        else
            sb_printf(why, ": annotate its type to export '%s'", name);
        *note_at = e->at;
        sb_printf(note, "'%s' is used as %s here", p ? p : "the parameter", as_what[e->as]);
        break;
    case DROP_PARAM_FN:
        sb_printf(why, "parameter '%s' is a function, which C cannot pass: '%s' is not exported", p ? p : "?", name);
        break;
    case DROP_RESULT_FN:
        sb_printf(why, "'%s' returns a function, which C cannot receive: it is not exported", name);
        break;
    case DROP_PARAM_LIST:
    case DROP_RESULT_LIST: {
        /* contract 5.5: what a C caller can pass is a block of one scalar type */
        StrBuf lt = {0};
        if (e->list)
            type_str(e->list, &lt);
        else
            sb_puts(&lt, "list");
        bool param = e->dropped == DROP_PARAM_LIST;
        if (param)
            sb_printf(why, "parameter '%s' %s %s", p ? p : "?", e->list_whole ? "is a" : "holds a", sb_cstr(&lt));
        else
            sb_printf(why, "'%s' returns %s %s", name, e->list_whole ? "a" : "a tuple holding a", sb_cstr(&lt));
        sb_printf(why, ", which the C ABI does not %s (it %s lists of numbers or bools, or of tuples whose items are "
                       "all one type, and rectangular lists of such lists): '%s' is not exported",
                  param ? "pass" : "return", param ? "passes" : "returns", name);
        sb_free(&lt);
        break;
    }
    case DROP_NONE:
        break;
    }
}

/* A warning at every top-level function that is not exported (-c, -S):
   nothing is left out of an object silently. */
static void warn_unexported(Compilation *c)
{
    for (int i = 0; i < c->nentries; i++) {
        const InferEntry *e = &c->entries[i];
        if (e->dropped == DROP_NONE)
            continue;
        StrBuf why = {0}, note = {0};
        Loc at;
        why_not_exported(e, &why, &at, &note);
        diag_warning(&c->diags, e->fn->loc, "%s", sb_cstr(&why));
        if (at.line)
            diag_note(&c->diags, at, "%s", sb_cstr(&note));
        sb_free(&why);
        sb_free(&note);
    }
}

/* --grad=NAME names an exported function returning a float, --vjp=NAME
   and --jvp=NAME any exported function (checked on the exports'
   inference, before the derivatives are built, which need NAME's result
   type). */
static int check_derivs(Compilation *c)
{
    Options *o = job(c)->opt;
    for (int i = 0; i < o->derivs.len; i++) {
        DerivRequest *r = &o->derivs.data[i];
        const char *name = r->name, *flag = deriv_flag(r->kind);
        for (int j = 0; j < i; j++)
            if (o->derivs.data[j].kind == r->kind && strcmp(o->derivs.data[j].name, name) == 0)
                return usage_error("%s=%s is given twice", flag, name);
        Graph *fn = find_top(c->lowered, name);
        if (!fn || fn->kind != G_FUNCTION)
            return usage_error("%s=%s: no function named '%s' in '%s'", flag, name, name, o->input);
        if (name[0] == '_')
            return usage_error("%s=%s: '%s' is private (its name starts with '_') and is not exported", flag, name,
                               name);
        /* inference drops the exports that have no C signature */
        Graph *g = entry_result(c, fn);
        if (!g) {
            StrBuf why = {0}, note = {0};
            Loc at;
            for (int e = 0; e < c->nentries; e++)
                if (c->entries[e].fn == fn)
                    why_not_exported(&c->entries[e], &why, &at, &note);
            int rc = usage_error("%s=%s: '%s' cannot be exported: %s", flag, name, name,
                                 why.len ? sb_cstr(&why) : "it has no C signature");
            sb_free(&why);
            sb_free(&note);
            return rc;
        }
        if (!g->ret_type || (r->kind == EXPORT_GRAD && g->ret_type->kind != T_FLOAT)) {
            StrBuf t = {0};
            if (g->ret_type)
                type_str(g->ret_type, &t);
            int rc = usage_error("%s=%s: '%s' returns %s, not a float", flag, name, name,
                                 g->ret_type ? sb_cstr(&t) : "nothing");
            sb_free(&t);
            return rc;
        }
        r->result = g->ret_type;
    }
    return 0;
}

static const char *default_output(Compilation *c)
{
    Options *o = job(c)->opt;
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
    Options *o = job(c)->opt;
    int nfunc = c->nentries - job(c)->nderivs;
    for (int e = 0; e < nfunc; e++) {
        Graph *g = c->entries[e].result;
        if (!g || g->kind != G_FUNCTION)
            continue;
        CgExport ex = {EXPORT_FUNC, g, NULL, {0}};
        if (!cabi_signature(c->arena, g, o->prefix, c->entries[e].fn->name, &ex.sig))
            continue;
        vec_push(out, ex);
    }
    for (int i = 0; i < job(c)->nderivs; i++) {
        DerivRequest *r = &o->derivs.data[i];
        Graph *primal = entry_result(c, find_top(c->lowered, r->name));
        CgExport ex = {r->kind, c->entries[nfunc + i].result, primal, {0}};
        bool ok = ex.graph && primal;
        if (ok)
            ok = r->kind == EXPORT_GRAD  ? cabi_grad_signature(c->arena, primal, o->prefix, r->name, &ex.sig)
                 : r->kind == EXPORT_VJP ? cabi_vjp_signature(c->arena, primal, o->prefix, r->name, &ex.sig)
                                         : cabi_jvp_signature(c->arena, primal, o->prefix, r->name, &ex.sig);
        if (!ok)
            return usage_error("%s=%s: internal error: no derivative was built", deriv_flag(r->kind), r->name);
        vec_push(out, ex);
    }
    int first_deriv = out->len - job(c)->nderivs;
    int reserved = 0;
    for (int i = 0; i < out->len; i++) {
        const char *whose = cabi_reserved(out->data[i].sig.name);
        if (whose && out->data[i].kind != EXPORT_FUNC) {
            const DerivRequest *r = &o->derivs.data[i - first_deriv];
            return usage_error("%s=%s: the C name '%s' is already %s: use --prefix=PFX", deriv_flag(r->kind),
                               r->name, out->data[i].sig.name, whose);
        }
        if (whose) {
            const Graph *g = out->data[i].graph;
            diag_error(&c->diags, g->loc,
                       "exported C name '%s' is already %s: rename the function, or prefix every exported name "
                       "with --prefix=PFX", out->data[i].sig.name, whose);
            reserved++;
        }
    }
    if (reserved)
        return EXIT_SOURCE;
    for (int i = 0; i < out->len; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(out->data[i].sig.name, out->data[j].sig.name) == 0) {
                CgExport *a = &out->data[j], *b = &out->data[i];
                if (b->kind != EXPORT_FUNC || a->kind != EXPORT_FUNC) {
                    const DerivRequest *r = &o->derivs.data[(b->kind != EXPORT_FUNC ? i : j) - first_deriv];
                    return usage_error("%s=%s: the C name '%s' is also the name of another exported function",
                                       deriv_flag(r->kind), r->name, b->sig.name);
                }
                diag_error(&c->diags, b->graph->loc,
                           "exported C name '%s' clashes with the one of '%s' (C and C++ keywords get a trailing '_')",
                           b->sig.name, a->graph->src_name ? a->graph->src_name : a->graph->name);
                return EXIT_SOURCE;
            }
    return 0;
}

/* The pipeline to `stop` for the exports and the --grad=, --vjp=, --jvp=
   derivatives: the exports are inferred alone first, to check the names
   (a usage error sets *status). */
static bool build_with_grads(Compilation *c, Stage stop, int *status)
{
    Options *o = job(c)->opt;
    bool ok = pipeline_run(c, STAGE_PARSE);
    if (ok && o->derivs.len) {
        /* first the exports alone, to check the names */
        c->choose = export_entries;
        ok = pipeline_run(c, STAGE_INFER);
        if (ok && (*status = check_derivs(c)) != 0)
            ok = false;
        pipeline_restart(c, STAGE_PARSE);
    }
    c->choose = compile_entries;
    return ok && pipeline_run(c, stop);
}

/* The header of the exports (--header=). */
static int write_header(Compilation *c, const ExportVec *exports)
{
    Options *o = job(c)->opt;
    CExport *hx = xcalloc((size_t)exports->len + 1, sizeof(CExport));
    for (int i = 0; i < exports->len; i++) {
        const CgExport *e = &exports->data[i];
        hx[i].sig = e->sig;
        hx[i].fn = e->kind != EXPORT_FUNC ? e->primal : e->graph;
        hx[i].my_name = hx[i].fn->src_name ? hx[i].fn->src_name : hx[i].fn->name;
        hx[i].kind = e->kind;
    }
    StrBuf h = {0}, err = {0};
    cabi_write_header(o->header, c->input, hx, exports->len, &h);
    /* unchanged: not rewritten, so that what includes it is not rebuilt */
    int status = file_write_if_changed(o->header, sb_cstr(&h), h.len, &err) != 0 ? usage_error("%s", sb_cstr(&err))
                                                                                  : EXIT_OK;
    sb_free(&h);
    sb_free(&err);
    free(hx);
    return status;
}

/* An output is never the input, and the object and the header are two
   files (gcc: "input file is the same as output file"). */
static int check_outputs(Compilation *c, const char *path)
{
    Options *o = job(c)->opt;
    if (strcmp(o->input, "-") != 0 && file_same(o->input, path))
        return usage_error("input file '%s' is the same as output file '%s'", o->input, path);
    if (o->header && strcmp(o->input, "-") != 0 && file_same(o->input, o->header))
        return usage_error("input file '%s' is the same as the header file '%s'", o->input, o->header);
    if (o->header && file_same(o->header, path))
        return usage_error("the header file '%s' is the same as output file '%s'", o->header, path);
    return 0;
}

static int compile(Compilation *c)
{
    Options *o = job(c)->opt;
    const char *path = o->output ? o->output : default_output(c);
    int status = check_outputs(c, path);
    if (status)
        return status;
    bool ok = build_with_grads(c, STAGE_INPLACE, &status);
    if (ok)
        warn_unexported(c);
    ExportVec exports = {0};
    if (ok && (status = collect_exports(c, &exports)) != 0)
        ok = false;
    print_diags(c);
    if (ok) {
        c->target = (Target){
            .kind = TARGET_FILE,
            .backend = {.opt_level = o->opt_level, .native = o->native, .name = c->input, .debug = o->debug},
            .emit = o->emit_llvm ? (o->compile_obj ? EMIT_BITCODE : EMIT_LLVM) : o->compile_obj ? EMIT_OBJECT : EMIT_ASM,
            .path = path,
            .exports = exports.data,
            .nexports = exports.len,
        };
        if (!pipeline_run(c, STAGE_CODEGEN)) {
            if (c->output_failed) {
                status = usage_error("%s", sb_cstr(&c->backend_msg));
            } else {
                fprintf(stderr, "myc: internal error: %s\n", sb_cstr(&c->backend_msg));
                status = EXIT_SOURCE;
            }
        } else if (o->header) {
            if (c->verbose)
                fprintf(c->verbose, "myc: header -> '%s'\n", o->header);
            if ((status = write_header(c, &exports)) != EXIT_OK)
                remove(path);   /* all the outputs or none */
        }
    } else if (!status) {
        status = job(c)->status ? job(c)->status : EXIT_SOURCE;
    }
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
    opt.color = -1;
    opt.trace_opt.limit = TRACE_DEFAULT_LIMIT;
    int rc = parse_args(&opt, argc, argv);
    if (rc) {
        vec_free(&opt.derivs);
        return rc < 0 ? EXIT_OK : rc;
    }
    Job j = {.opt = &opt};
    /* diagnostics name standard input as clang does */
    const char *shown = strcmp(opt.input, "-") == 0 ? "<stdin>" : opt.input;
    Compilation c = {.input = shown, .user = &j, .verify_ir = opt.verify_ir, .opt_passes = opt.opt_passes};
    char *src;
    rc = read_file(opt.input, &src, &c.srclen);
    if (rc) {
        vec_free(&opt.derivs);
        return rc;
    }
    c.src = src;
    c.arena = arena_new();
    diags_init(&c.diags, shown, c.src, c.srclen);
    /* colour as clang decides it, and as https://no-color.org asks */
    const char *no_color = getenv("NO_COLOR");
    c.diags.color = opt.color >= 0 ? opt.color == 1 : isatty(STDERR_FILENO) && !(no_color && *no_color);
    TimeReport times = {0};
    if (opt.time_report)
        c.times = &times;
    if (opt.verbose) {
        print_version(stderr);
        c.verbose = stderr;
    }
    rc = opt.run ? run(&c) : opt.dump ? dump(&c) : compile(&c);
    if (opt.time_report && times.rows.len)
        time_report_print(&times, shown, stderr);
    time_report_free(&times);
    pipeline_free(&c);
    diags_free(&c.diags);
    arena_free(c.arena);
    free(src);
    vec_free(&opt.derivs);
    return rc;
}
