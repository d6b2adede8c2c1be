/* suggest.c: edit distance and the near-name rule (suggest.h). */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

int edit_distance(const char *a, const char *b, int max)
{
    size_t n = strlen(a), m = strlen(b);
    if ((n > m ? n - m : m - n) > (size_t)max)
        return max + 1;
    /* three rows: i - 2, i - 1 and i, of (m + 1) costs each */
    int *rows = xmalloc(sizeof(int) * 3 * (m + 1));
    int *pp = rows, *p = rows + (m + 1), *c = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        p[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        c[0] = (int)i;
        int row_min = c[0];
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = p[j - 1] + cost;
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > max) {    /* every later row is at least this */
            free(rows);
            return max + 1;
        }
        int *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    int d = p[m];
    free(rows);
    return d > max ? max + 1 : d;
}

/* clang's rule (Sema's typo correction): a distance of at most
   (len + 2) / 3, and len / distance >= 3; together, at most len / 3 (so a
   name of one or two letters is never corrected: 'y' is not "probably f"). */
int suggest_limit(const char *typo) { return (int)(strlen(typo) / 3); }

void suggest_init(Suggest *s, const char *typo)
{
    s->typo = typo;
    s->best = NULL;
    s->best_dist = suggest_limit(typo) + 1;
}

void suggest_consider(Suggest *s, const char *cand)
{
    if (!cand || strcmp(cand, s->typo) == 0)
        return;
    int d = edit_distance(s->typo, cand, s->best_dist - 1);
    if (d < s->best_dist) {
        s->best = cand;
        s->best_dist = d;
    }
}
