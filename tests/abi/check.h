/*
 * check.h: value checks for the C (and C++) programs of the ABI tests.
 *
 * Assumes: included by a test's main program, which creates one Checker
 * named after its test, runs its checks and returns checks_done()'s value
 * from main.  Guarantees: every failed check prints one line on stderr,
 * `TEST: WHAT: expected X, got Y`, numbers with 17 significant digits; the
 * program's exit status is 1 when any check failed, 0 otherwise.
 *
 * Floats compare to 1e-12 relative (the contract's tolerance between two
 * ways of computing the same value); nan equals nan; an expected zero or
 * infinity needs exactly that (a zero of either sign).  Ints, bools and "bit-identical"
 * doubles compare exactly.  A bool must also be a canonical C bool (the
 * byte 0 or 1): check_bool reads the object's representation.
 */
#ifndef ABI_CHECK_H
#define ABI_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CHECK_REL_TOL 1e-12

typedef struct Checker {
    const char *test;   /* the test's name, first on every message */
    int checks;
    int failures;
} Checker;

static inline bool check_report(Checker *c, bool ok)
{
    c->checks++;
    if (!ok)
        c->failures++;
    return ok;
}

/* |got - want| <= tol * |want| (nan == nan; zeros and infinities exactly). */
static inline bool check_near(Checker *c, const char *what, double got, double want, double tol)
{
    bool ok;
    if (isnan(want))
        ok = isnan(got);
    else if (want == 0.0 || isinf(want))
        ok = got == want;
    else
        ok = fabs(got - want) <= tol * fabs(want);
    if (!check_report(c, ok))
        fprintf(stderr, "%s: %s: expected %.17g, got %.17g (relative error %.2g, tolerance %.2g)\n", c->test,
                what, want, got, want != 0.0 ? fabs(got - want) / fabs(want) : fabs(got), tol);
    return ok;
}

static inline bool check_double(Checker *c, const char *what, double got, double want)
{
    return check_near(c, what, got, want, CHECK_REL_TOL);
}

/* The same bits (for results that must be reproducible exactly). */
static inline bool check_bits(Checker *c, const char *what, double got, double want)
{
    bool ok = memcmp(&got, &want, sizeof got) == 0;
    if (!check_report(c, ok))
        fprintf(stderr, "%s: %s: expected exactly %a (%.17g), got %a (%.17g)\n", c->test, what, want, want, got,
                got);
    return ok;
}

static inline bool check_int(Checker *c, const char *what, int64_t got, int64_t want)
{
    bool ok = got == want;
    if (!check_report(c, ok))
        fprintf(stderr, "%s: %s: expected %" PRId64 ", got %" PRId64 "\n", c->test, what, want, got);
    return ok;
}

/* *got must be the byte 1 for true and 0 for false. */
static inline bool check_bool(Checker *c, const char *what, const bool *got, bool want)
{
    unsigned char byte;
    memcpy(&byte, got, 1);
    bool ok = byte == (want ? 1 : 0);
    if (!check_report(c, ok))
        fprintf(stderr, "%s: %s: expected %s, got the byte 0x%02x\n", c->test, what, want ? "true (1)" : "false (0)",
                byte);
    return ok;
}

static inline bool check_true(Checker *c, const char *what, bool cond)
{
    if (!check_report(c, cond))
        fprintf(stderr, "%s: %s\n", c->test, what);
    return cond;
}

/* Prints a summary line on failure; returns main's exit status. */
static inline int checks_done(const Checker *c)
{
    if (c->failures)
        fprintf(stderr, "%s: %d of %d checks failed\n", c->test, c->failures, c->checks);
    return c->failures ? 1 : 0;
}

#endif
