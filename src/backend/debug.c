/*
 * debug.c: DWARF debug information for `-g` (docs/backend.md, "Debug
 * information and unwinding"), through LLVM's C API (llvm-c/DebugInfo.h).
 *
 * With -g the module gets a DICompileUnit (language C, producer "myc
 * VERSION") for a DIFile of the .my source (its directory absolute), one
 * DISubprogram per generated function that comes from the program -- a
 * unit, a machine, an outlined chunk, a C ABI wrapper, myc_run -- named as
 * in the source (cg_debug_name; no DW_AT_linkage_name: gdb would show the
 * internal symbol, myc.f, instead of the name, f), and a location (line,
 * column, that subprogram) on every instruction built while the function
 * is emitted: the node's when it has one, else the one before it, else the
 * function's own line.  Helpers with no source of their own (the runtime's
 * inline fast paths and int_truediv, built with builders of their own, and
 * sens_add) get no subprogram and no locations; once inlined, their
 * instructions take the call's location.  The module flags "Debug Info
 * Version" and "Dwarf Version" (4) are set and the DIBuilder finalised by
 * cg_debug_finish.
 *
 * Assumes every file that starts the body of an LLVM function calls
 * cg_debug_enter before building its first instruction and
 * cg_debug_leave after its last (the builder's current location is
 * sticky: it must never carry one function's scope into another).
 * Guarantees: without -g (cg->dbg NULL) every function here does nothing,
 * so the module has no debug metadata at all; with -g, LLVMVerifyModule's
 * rules hold: each location's scope is the subprogram of the function
 * holding the instruction, and every call of a function with a subprogram
 * from a function with one has a location.
 */
#include "cg.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/DebugInfo.h>

struct Dbg {
    LLVMDIBuilderRef dib;
    LLVMMetadataRef file, cu, fnty;
    bool optimized;
    /* the subprogram of the function being built (NULL: a function
       without one), the scope of the locations cg_debug_at makes */
    LLVMMetadataRef scope;
};

/* The file name and the absolute directory of the source at path ("-":
   standard input, named as clang names it). */
static void source_file(const char *path, StrBuf *name, StrBuf *dir)
{
    if (strcmp(path, "-") == 0)
        path = "<stdin>";
    const char *slash = strrchr(path, '/');
    if (path[0] == '/') {
        sb_printf(dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        sb_puts(name, slash + 1);
        return;
    }
    char cwd[PATH_MAX];
    sb_puts(dir, getcwd(cwd, sizeof cwd) ? cwd : ".");
    sb_puts(name, path);
}

void cg_debug_init(Cg *cg, const BackendOptions *o)
{
    if (!o->debug)
        return;
    Dbg *d = xcalloc(1, sizeof *d);
    d->dib = LLVMCreateDIBuilder(cg->mod);
    d->optimized = o->opt_level > 0;
    StrBuf name = {0}, dir = {0};
    source_file(o->name ? o->name : "<input>", &name, &dir);
    d->file = LLVMDIBuilderCreateFile(d->dib, sb_cstr(&name), name.len, sb_cstr(&dir), dir.len);
    sb_free(&name);
    sb_free(&dir);
    static const char producer[] = "myc " MYC_VERSION;
    d->cu = LLVMDIBuilderCreateCompileUnit(d->dib, LLVMDWARFSourceLanguageC, d->file, producer,
                                          sizeof producer - 1, d->optimized, "", 0, 0, "", 0,
                                          LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0);
    d->fnty = LLVMDIBuilderCreateSubroutineType(d->dib, d->file, NULL, 0, LLVMDIFlagZero);
    cg->dbg = d;
}

void cg_debug_finish(Cg *cg)
{
    Dbg *d = cg->dbg;
    if (!d)
        return;
    LLVMDIBuilderFinalize(d->dib);
    LLVMDisposeDIBuilder(d->dib);
    static const char ver[] = "Debug Info Version", dwarf[] = "Dwarf Version";
    LLVMAddModuleFlag(cg->mod, LLVMModuleFlagBehaviorWarning, ver, sizeof ver - 1,
                      LLVMValueAsMetadata(LLVMConstInt(cg->t_i32, LLVMDebugMetadataVersion(), 0)));
    LLVMAddModuleFlag(cg->mod, LLVMModuleFlagBehaviorWarning, dwarf, sizeof dwarf - 1,
                      LLVMValueAsMetadata(LLVMConstInt(cg->t_i32, 4, 0)));
    LLVMSetCurrentDebugLocation2(cg->b, NULL);
    free(d);
    cg->dbg = NULL;
}

/* Whether s starts with a transform's prefix ("J.", "Jfwd.", "J3.",
   "Jfwd12."); its length, with the kind in *fwd. */
static size_t transform_prefix(const char *s, bool *fwd)
{
    if (s[0] != 'J')
        return 0;
    size_t i = 1;
    *fwd = strncmp(s + 1, "fwd", 3) == 0;
    if (*fwd)
        i += 3;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return s[i] == '.' ? i + 1 : 0;
}

const char *cg_debug_name(Cg *cg, const Graph *g)
{
    /* J.f:body.6:bprop -> "f:body.6:bprop [reverse]", Jfwd1.f -> "f [forward]",
       f$grad (--grad=f's entry) -> "f [grad]" */
    const char *base = g->name;
    StrBuf suffix = {0};
    bool fwd = false;
    for (size_t k; (k = transform_prefix(base, &fwd)) != 0; base += k)
        sb_puts(&suffix, fwd ? " [forward]" : " [reverse]");
    const char *dollar = strchr(base, '$');
    if (dollar)
        sb_printf(&suffix, " [%s]", dollar + 1);
    const char *name = dollar ? arena_printf(cg->m->arena, "%.*s", (int)(dollar - base), base) : base;
    if (!suffix.len && g->kind == G_FUNCTION && g->src_name) {
        /* the function itself (f, a nested f/g, a specialisation f.2):
           its name in the source */
        const char *last = strrchr(name, '/');
        last = last ? last + 1 : name;
        size_t n = strlen(g->src_name);
        if (strncmp(last, g->src_name, n) == 0 && (last[n] == '\0' || last[n] == '.'))
            name = g->src_name;
    }
    const char *out = suffix.len ? arena_printf(cg->m->arena, "%s%s", name, sb_cstr(&suffix)) : name;
    sb_free(&suffix);
    return out;
}

/* The location for loc in the current scope (line 0: code of no line). */
static LLVMMetadataRef location(Cg *cg, Loc loc)
{
    Dbg *d = cg->dbg;
    return LLVMDIBuilderCreateDebugLocation(cg->ctx, loc.line > 0 ? (unsigned)loc.line : 0,
                                            loc.line > 0 && loc.col > 0 ? (unsigned)loc.col : 0, d->scope, NULL);
}

DbgScope cg_debug_enter(Cg *cg, LLVMValueRef fn, const char *name, Loc loc)
{
    DbgScope saved = {NULL, NULL};
    Dbg *d = cg->dbg;
    if (!d)
        return saved;
    saved.scope = d->scope;
    saved.loc = LLVMGetCurrentDebugLocation2(cg->b);
    d->scope = NULL;
    if (fn) {
        size_t len;
        const char *sym = LLVMGetValueName2(fn, &len);
        unsigned line = loc.line > 0 ? (unsigned)loc.line : 0;
        d->scope = LLVMDIBuilderCreateFunction(d->dib, d->file, name ? name : sym, strlen(name ? name : sym),
                                               "", 0, d->file, line, d->fnty,
                                               LLVMGetLinkage(fn) == LLVMInternalLinkage, 1, line,
                                               LLVMDIFlagPrototyped, d->optimized);
        LLVMSetSubprogram(fn, d->scope);
    }
    LLVMSetCurrentDebugLocation2(cg->b, d->scope ? location(cg, loc) : NULL);
    return saved;
}

void cg_debug_leave(Cg *cg, DbgScope saved)
{
    Dbg *d = cg->dbg;
    if (!d)
        return;
    if (d->scope)
        LLVMDIBuilderFinalizeSubprogram(d->dib, d->scope);
    d->scope = saved.scope;
    LLVMSetCurrentDebugLocation2(cg->b, saved.loc);
}

void cg_debug_at(Cg *cg, Loc loc)
{
    Dbg *d = cg->dbg;
    if (!d || !d->scope || loc.line <= 0)
        return;
    LLVMSetCurrentDebugLocation2(cg->b, location(cg, loc));
}

LLVMMetadataRef cg_debug_save(Cg *cg)
{
    return cg->dbg ? LLVMGetCurrentDebugLocation2(cg->b) : NULL;
}

void cg_debug_restore(Cg *cg, LLVMMetadataRef loc)
{
    if (cg->dbg)
        LLVMSetCurrentDebugLocation2(cg->b, loc);
}
