/* prims.c: the primitive table, expanded from prims.def (the IR layer's
   columns only; see prims.def). */
#include "prims.h"

#include <math.h>
#include <string.h>

const PrimInfo prim_table[P__COUNT] = {
#define PRIM(id, name, arity, flags, ty, ev, m1, m2, dr) \
    [P_##id] = {P_##id, name, arity, flags, ev, m1, m2},
#include "prims.def"
#undef PRIM
};

int prim_builtin_lookup(const char *name)
{
    for (int i = 0; i < P__COUNT; i++)
        if ((prim_table[i].flags & PF_BUILTIN) && strcmp(prim_table[i].name, name) == 0)
            return i;
    return -1;
}
