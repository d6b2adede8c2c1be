/*
 * suggest.h: "did you mean ...?" -- the one edit distance of myc and the
 * rule for when a near name is worth suggesting (clang's typo correction).
 *
 * Assumes nothing of the strings but NUL termination; compares bytes.
 * Guarantees: a suggestion is a candidate at the smallest distance (the
 * first one given among equals) and at most strlen(typo) / 3 away (clang's
 * two checks, distance <= (len + 2) / 3 and len / distance >= 3), never
 * the typo itself.
 */
#ifndef MYC_SUGGEST_H
#define MYC_SUGGEST_H

#include <stddef.h>

/* The optimal string alignment distance of a and b (Levenshtein with
   adjacent transpositions: "gard" is 1 from "grad"), or max + 1 when it
   is more than max (the computation stops early). */
int edit_distance(const char *a, const char *b, int max);

/* The largest distance worth suggesting for typo: strlen(typo) / 3. */
int suggest_limit(const char *typo);

/* The best candidate so far for a misspelt name. */
typedef struct Suggest {
    const char *typo;
    const char *best;       /* NULL: nothing close enough yet */
    int best_dist;
} Suggest;

void suggest_init(Suggest *s, const char *typo);
/* Considers one candidate (kept by pointer: it must outlive the Suggest). */
void suggest_consider(Suggest *s, const char *cand);

#endif
