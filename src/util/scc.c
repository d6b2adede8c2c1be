/* scc.c: Tarjan's strongly connected components, iterative (see scc.h). */
#include "scc.h"

void scc_find(int n, const int *roots, int nroots, SccSucc succ, void *arg, Scc *out)
{
    size_t sz = (size_t)(n ? n : 1);
    int *index = xmalloc(sizeof(int) * sz), *low = xmalloc(sizeof(int) * sz);
    int *stack = xmalloc(sizeof(int) * sz);
    int *fnode = xmalloc(sizeof(int) * sz), *fnext = xmalloc(sizeof(int) * sz);   /* the search's path */
    bool *on = xcalloc(sz, sizeof(bool));
    out->comp = xmalloc(sizeof(int) * sz);
    out->order = xmalloc(sizeof(int) * sz);
    out->start = xmalloc(sizeof(int) * (sz + 1));
    out->ncomp = 0;
    out->start[0] = 0;
    for (int i = 0; i < n; i++)
        index[i] = -1, out->comp[i] = -1;
    int counter = 0, sp = 0, nord = 0;
    for (int r = 0; r < (roots ? nroots : n); r++) {
        int s0 = roots ? roots[r] : r;
        if (index[s0] >= 0)
            continue;
        int fp = 0;
        fnode[fp] = s0, fnext[fp++] = 0;
        index[s0] = low[s0] = counter++;
        stack[sp++] = s0, on[s0] = true;
        while (fp) {
            int v = fnode[fp - 1];
            int w = succ(arg, v, fnext[fp - 1]);
            if (w >= 0) {
                fnext[fp - 1]++;
                if (index[w] < 0) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = w, on[w] = true;
                    fnode[fp] = w, fnext[fp++] = 0;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            /* v is done: its low link goes to its parent on the path */
            fp--;
            if (fp && low[v] < low[fnode[fp - 1]])
                low[fnode[fp - 1]] = low[v];
            if (low[v] != index[v])
                continue;
            /* v roots a component: the stack from v up */
            int top = sp;
            do {
                w = stack[--sp];
                on[w] = false;
            } while (w != v);
            for (int q = sp; q < top; q++) {
                out->comp[stack[q]] = out->ncomp;
                out->order[nord++] = stack[q];
            }
            out->start[++out->ncomp] = nord;
        }
    }
    free(index);
    free(low);
    free(stack);
    free(fnode);
    free(fnext);
    free(on);
}

void scc_free(Scc *s)
{
    free(s->comp);
    free(s->order);
    free(s->start);
    s->comp = s->order = s->start = NULL;
    s->ncomp = 0;
}
