/*
 * lower.h: lowering the AST into the graph IR (passes/lower.c).
 *
 * Every top-level def becomes a G_FUNCTION and every top-level constant a
 * G_CONST graph, registered in m->tops in source order; statements become
 * blocks (graphs), jumps tail calls and phis parameters.  See lower.c for
 * the shapes and names.
 */
#ifndef MYC_LOWER_H
#define MYC_LOWER_H

#include "../grammar/ast.h"
#include "../ir/ir.h"
#include "../src/util/diag.h"

/* Lowers `ast` into a new module allocated in `arena`.  Reports every error
   and warning through d (located; lowering continues after an error), never
   exits.  Returns the module, never NULL; when errors were reported it is
   still well formed (ir_check passes) but must not be run. */
Module *lower_module(Arena *arena, Diags *d, const AstModule *ast, const char *filename);

#endif
