#!/usr/bin/env python3
"""nesttest.py: nested differentiation through closures, against an independent oracle.

    python3 tests/tools/nesttest.py [--myc build/myc] [--rt build/libmyrt.a]
        [-n 200] [--seed 1] [--start 0] [-j 2] [--keep DIR] [--print K]
        [--timeout 20] [--compile-timeout 90] [--modes jit,interp-grad,interp-opt,interp-closure,obj-O0,obj-O2]
        [--points 1] [--depth 1|2|3] [--oracle-budget 60] [--stats] [--selftest]
        [--lists RATE] [--avoid-known]

Generates random, valid `.my` programs (deterministic from the seed and the
program index) in which the differentiation operators `grad`,
`value_and_grad`, `vjp` and `jvp` are nested two or three deep -- every
ordered pair and triple (outer, middle, inner) is cycled through -- and the
functions the inner operators differentiate *capture the variables the
enclosing operators differentiate*.  The functions handed to the operators
are built in many ways: lambdas, nested `def`s, closures made by factories,
closures passed to helpers (that call them or apply the operator
themselves) and returned from helpers (wrappers, compositions), closures
stored in tuples and captured by other closures, a function value chosen by
`if`/`else` (or a conditional expression) and called through another
closure, top-level functions (chains like h, d = jvp(h), dd = jvp(d),
grad(dd)); their bodies use `while` and `for` loops with `break`,
`continue` and `return`, recursion with an int depth (top-level, nested,
and passing a function value down), tuple parameters and tuple results,
int parameters, and the non-smooth builtins (abs, min, max, floor, int,
conditional expressions).  With `--lists RATE` (the fraction of programs; a
separate random stream picks them, so the others stay as they were) programs
also have list[float] parameters differentiated as a whole (grad gives a
list), lists built from differentiated floats (displays, comprehensions,
slices, concatenation, copies), changed right after (item assignment, append,
pop, +=) and then only read (by index, sum, min/max, comprehensions, `for`
loops, zip, enumerate), captured by closures, held in tuples; vjp of
list-valued functions with list cotangents, jvp with list tangents, and the
gradient of a list under jvp or vjp (Hessian-vector products).  Entries may
take list[float] parameters and return lists (`myc run` only: the object
modes run the entries whose parameters and result are floats).
`--avoid-known` leaves out the shapes of the known bugs while their
tests/e2e/pending_NAME.my.txt exists (Gen.avoid; none today).  Every value is kept tame: arguments in
[-1.5, 1.5], builtins inside their domains, bounded loops and recursion,
no captured variable ever rebound after its closure is made.

The reference is tests/tools/mpref.py: CPython runs the same source with
the builtins bound to mpmath at 40 digits and the four operators computed
by high-precision central differences of the program itself (it shares
nothing with myc; `--selftest` checks it on hand-derived classics, lists
included: lists are CPython lists of mpmath numbers there, fresh for every
evaluation).  A
sample point is used only if the program's decisions (every comparison and
test, abs, min, max, int, floor, ceil; recorded by instrumenting the
source) are the same at the point and at the point moved by +-1e-6 along
each float argument, and if no derivative straddles a kink; otherwise it
is redrawn (counted).  A point is also redrawn (counted as
"ill-conditioned") when the reference is too sensitive for double
arithmetic: when moving each float argument (and, for the gradient of a
float-valued entry, all of them at once) by a relative 1e-13 changes the
value (or the gradient) by more than the comparison tolerance -- e.g. the
sine of a value near 1e14, which no double computation gets right.

Each program then runs through myc every way (`--modes`):

  jit             myc run prog.my FUNC ARGS
  interp-grad     myc run --interp --interp-ir=grad ...
  interp-opt      myc run --interp --interp-ir=opt ...
  interp-closure  myc run --interp --interp-ir=inplace ... (the IR the backend compiles)
  obj-O0, obj-O2  myc -c prog.my -O0/-O2 --header=... --grad=FUNC for the
                  float-valued entries, linked with a generated C main and
                  the runtime (--rt); FUNC's value and FUNC_grad's value and
                  gradient (with respect to the float parameters, tuple
                  parameters flattened) against the oracle's

Outcomes of each run: pass; wrong number (|myc - ref| > 1e-9 * max(1,
|ref|), or a different shape); rejected (a compile error on a valid
program); crash (a signal, an abort, `internal error`, an unexpected
runtime error, a C link failure); hang (over --timeout seconds, or --compile-timeout for `myc -c`).  When
myc's modes do not all give the same outcome and numbers for a run, a
`disagreement` line follows.

Output: one line per failure,

    FAIL seed=S prog=K MODE FUNC ARGS: what

then a summary (runs and programs per outcome, points redrawn), with
`--stats` the coverage table (programs and failed programs per construct
and per operator pair and triple, split by whether an inner function
captured a differentiated variable), and last exactly `N passed, M failed`
(programs).  Exit status 1 if any program failed.  `--keep DIR` saves each
failing program as DIR/nesttest_S_K.my with `# RUN:` lines for the failing
runs and the reference values; `--print K` prints program K so.
"""

import argparse
import ast
import concurrent.futures
import math
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

import mpref  # noqa: E402
from mpref import mp, mpf  # noqa: E402

OPS = ("grad", "value_and_grad", "vjp", "jvp")
SHORT = {"grad": "grad", "value_and_grad": "vag", "vjp": "vjp", "jvp": "jvp"}
CHAINS = ([(a, b) for a in OPS for b in OPS] +
          [(a, b, c) for a in OPS for b in OPS for c in OPS])
ALL_MODES = ("jit", "interp-grad", "interp-opt", "interp-closure", "obj-O0", "obj-O2")
RUN_FLAGS = {"jit": [], "interp-grad": ["--interp", "--interp-ir=grad"],
             "interp-opt": ["--interp", "--interp-ir=opt"],
             "interp-closure": ["--interp", "--interp-ir=inplace"]}
TOL = 1e-9
PERTURB = 1e-6
MAX_REDRAWS = 8
ILLCOND_REL = 1e-13     # relative move of the arguments for the ill-conditioning test
OUTCOMES = ("pass", "wrong number", "rejected", "crash", "hang")


def chain_name(ch):
    return ">".join(SHORT[o] for o in ch)


# ---------------------------------------------------------------------------
# The generator.

class Var:
    """A variable visible in generated code.  kind: 'f' float, 'i' int, 'g' a
    function float -> float, 'gt' a tuple of two such, 'r' a recursive nested def
    r(k, u), 'l' a list[float] of n items (n known when the program is written: a
    list is never changed after the statements that build it).  diffs: the levels
    of the enclosing operators whose differentiated variables this value depends
    on; fn: the function that binds it; mutable: it is rebound later (a loop's
    variables): never captured by a closure."""

    def __init__(self, name, kind, fn, diffs=frozenset(), mutable=False, n=None):
        self.name, self.kind, self.fn, self.diffs, self.mutable = name, kind, fn, diffs, mutable
        self.n = n


def list_sig(part):
    """A signature's parameter or result kind 'lN' / 'lNf': (N, with a float param)."""
    if part and part[0] == "l":
        return int(part[1]), part.endswith("f")
    return None


class Ctx:
    """Where code is being generated: the variables in scope, the output lines
    (None inside a lambda: expressions only), the function, the number of
    operators enclosing it, the indentation, the kind of value a `return` here must
    give (None: no return allowed), and whether this is a loop body."""

    def __init__(self, env, out, fn, level, ind, ret=None, in_loop=False):
        self.env, self.out, self.fn, self.level, self.ind = env, out, fn, level, ind
        self.ret, self.in_loop = ret, in_loop

    def emit(self, text):
        self.out.append("    " * self.ind + text)

    def sub(self, **kw):
        c = Ctx(self.env, self.out, self.fn, self.level, self.ind, self.ret, self.in_loop)
        for k, v in kw.items():
            setattr(c, k, v)
        return c


def is_atomic(text):
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    if isinstance(node, ast.Constant):
        return not text.startswith("-")
    return isinstance(node, (ast.Name, ast.Call, ast.Subscript))


def P(text):
    return text if is_atomic(text) else f"({text})"


def has_op(text):
    return any(f"{o}(" in text for o in OPS) or "_op" in text


UNARY = ["sin({a})", "cos({a})", "tanh({a})", "atan({a})", "erf({a})", "exp(sin({a}))",
         "sqrt(1.0 + {a} * {a})", "log(1.0 + {a} * {a})", "log1p(0.5 * {a} * {a})",
         "1.0 / (2.0 + cos({a}))", "pow(1.5 + sin({a}), 1.5)", "{a} ** 2",
         "expm1(0.5 * tanh({a}))", "asin(0.5 * tanh({a}))", "acos(0.5 * sin({a}))",
         "sinh(0.5 * sin({a}))", "cosh(0.5 * tanh({a}))", "atan2({a}, 2.0 + cos({a}))",
         "tan(0.5 * tanh({a}))", "{a} * exp(-0.25 * {a} * {a})", "{a} ** 3 * 0.25"]
UNARY1 = [u for u in UNARY if u.count("{a}") == 1]
BINARY = ["{a} * {b}", "{a} + {b}", "{a} - {b}", "{a} * {b} * 0.5", "{a} * sin({b})",
          "{a} + {b} * {b}", "{a} * cos({b}) + {b}", "({a} + {b}) * 0.75",
          "{a} * tanh({b})", "{a} / (2.0 + sin({b}))"]
BINARY1 = [b for b in BINARY if b.count("{b}") == 1]
FLOATS = ["0.5", "0.25", "1.5", "0.75", "2.0", "1.25", "0.3", "-0.5", "-1.5"]
TANGENTS = ["1.0", "0.5", "-1.5", "2.0", "0.25", "-0.75"]


class Gen:
    def __init__(self, rng, index, seed):
        self.rng, self.index, self.seed = rng, index, seed
        self.count = 0
        self.fns = 0
        self.top = []            # top-level functions: lists of lines
        self.features = set()
        self.cap = False         # the current chain: an inner function captured a differentiated variable
        self.reflog = []
        self.loops = 0
        self.budget = 0          # statement-level extras left for this entry
        self.lists = False       # lists in this program (--lists)
        self.avoid = frozenset() # the known bugs to steer clear of (--avoid-known)

    # -- small helpers ------------------------------------------------------
    def fresh(self, p):
        self.count += 1
        return f"{p}{self.count}"

    def new_fn(self):
        self.fns += 1
        return self.fns

    def ch(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def wpick(self, pairs):
        tot = sum(w for _, w in pairs)
        r = self.rng.random() * tot
        for item, w in pairs:
            r -= w
            if r < 0:
                return item
        return pairs[-1][0]

    def ref(self, v, ctx):
        self.reflog.append(v)
        if v.fn != ctx.fn and any(lv < ctx.level for lv in v.diffs):
            self.cap = True
        return v.name

    def fvars(self, ctx):
        return [v for v in ctx.env if v.kind == "f"]

    def ivars(self, ctx):
        return [v for v in ctx.env if v.kind == "i"]

    def lvars(self, ctx, n=None):
        return [v for v in ctx.env if v.kind == "l" and (n is None or v.n == n)]

    # -- lists (--lists) ------------------------------------------------------------
    def list_read(self, ctx, v=None):
        """A float expression reading a list in scope (v, or any): an item, a
        reduction, a comprehension reduced, a slice or a concatenation read."""
        self.features.add("list_read")
        v = v or self.pick(self.lvars(ctx))
        X, n = self.ref(v, ctx), v.n
        r = self.rng.random()
        if r < 0.25:
            return f"{X}[{self.rng.randint(-n, n - 1)}]"
        if r < 0.4:
            return self.pick([f"sum({X})", f"sum({X}) * 0.5", f"sum({X}, {self.atom(ctx)})"])
        if r < 0.5:
            self.features.add("list_min_max")
            return self.pick([f"max({X})", f"min({X})", f"max({X}) - min({X}) * 0.5"])
        if r < 0.68:
            self.features.add("list_comprehension")
            q = self.fresh("v")
            e = self.pick(UNARY1).format(a=q)
            if self.ch(0.4):
                e = f"{P(e)} * {P(self.atom(ctx))}"
            return f"sum([{e} for {q} in {X}])"
        if r < 0.78:
            others = [o for o in self.lvars(ctx, n) if o is not v]
            if others:
                self.features.add("list_zip")
                Y = self.ref(self.pick(others), ctx)
                a, b = self.fresh("v"), self.fresh("v")
                return f"sum([{a} * {b} for {a}, {b} in zip({X}, {Y})])"
            return f"{X}[0] * {X}[{n - 1}]"
        if r < 0.9:
            self.features.add("list_slice")
            j = self.rng.randint(0, n - 1)
            forms = [f"sum({X}[{j}:])", f"{X}[::-1][{j}]", f"sum({X}[:{j + 1}]) * 0.5",
                     f"{X}[-{j + 1}:][0]"]
            if n > 1:
                forms.append(f"{X}[1:][{n - 2}]")
            return self.pick(forms)
        self.features.add("list_concat")
        a = self.atom(ctx)
        return self.pick([f"({X} + [{a}])[{n}]", f"sum({X} + [{a}, {X}[0]])",
                          f"([{a}] + {X})[{self.rng.randint(1, n)}] * {P(a)}"])

    def list_value(self, ctx, n):
        """An expression giving a new list of n floats, from the floats and lists in scope."""
        r = self.rng.random()
        same = self.lvars(ctx, n)
        longer = [v for v in self.lvars(ctx) if v.n > n]
        shorter = [v for v in self.lvars(ctx) if v.n < n]
        if same and r < 0.3:
            self.features.add("list_comprehension")
            X = self.ref(self.pick(same), ctx)
            q = self.fresh("v")
            e = self.pick(["{q} * 0.5 + {a}", "sin({q}) * {a}", "{q} * {a}", "tanh({q} + {a})",
                           "{q} * {q} * 0.5"]).format(q=q, a=P(self.atom(ctx)))
            return f"[{e} for {q} in {X}]"
        if same and r < 0.4:
            return self.pick([f"list({self.ref(self.pick(same), ctx)})",
                              f"{self.ref(self.pick(same), ctx)}[:]"])
        if longer and r < 0.55:
            self.features.add("list_slice")
            v = self.pick(longer)
            j = self.rng.randint(0, v.n - n)
            X = self.ref(v, ctx)
            if j == 0 and self.ch(0.5):
                return f"{X}[:{n}]"
            if n == 1 and self.ch(0.3):
                return f"{X}[::-1][{j}:{j + 1}]"
            return f"{X}[{j}:{j + n}]"
        if shorter and r < 0.7:
            self.features.add("list_concat")
            v = self.pick(shorter)
            rest = ", ".join(self.atom(ctx) for _ in range(n - v.n))
            X = self.ref(v, ctx)
            return f"{X} + [{rest}]" if self.ch(0.5) else f"[{rest}] + {X}"
        if r < 0.8:
            self.features.add("list_comprehension")
            i = self.fresh("i")
            a, b = self.atom(ctx), self.atom(ctx)
            return f"[{P(a)} * float({i}) + {P(b)} for {i} in range({n})]"
        self.features.add("list_display")
        return "[" + ", ".join(self.combine([self.atom(ctx)], ctx, unary=0.3, nonsmooth=0)
                               for _ in range(n)) + "]"

    def list_point(self, ctx, n):
        """A list[float] of n items an operator is applied at."""
        own = [v for v in self.lvars(ctx, n) if v.fn == ctx.fn]
        if own and self.ch(0.4):
            return self.ref(self.pick(own), ctx)
        if self.lvars(ctx, n) and self.ch(0.3):
            return self.ref(self.pick(self.lvars(ctx, n)), ctx)
        if self.ch(0.5):
            self.features.add("list_display")
            return "[" + ", ".join(self.point(ctx) for _ in range(n)) + "]"
        return self.list_value(ctx, n)

    def list_tangent(self, ctx, n, like=None):
        """A tangent or cotangent list of n items (like: a list of n items in scope)."""
        if like and self.ch(0.35):
            self.features.add("list_comprehension")
            q = self.fresh("v")
            return f"[{self.pick(['0.5 * {q}', '{q} - 0.25', 'cos({q})']).format(q=q)} for {q} in {like}]"
        if self.ch(0.2):
            return f"[{self.tangent(ctx)}] * {n}"
        return "[" + ", ".join(self.tangent(ctx) for _ in range(n)) + "]"

    def list_reduce(self, ctx, G, n):
        """A float from the list expression G (n items), e.g. a gradient: an item, a sum,
        a loop over it, max/min."""
        self.features.add("list_result_read")
        if ctx.out is not None and self.ch(0.35):
            g = self.fresh("gl")
            ctx.emit(f"{g} = {G}")
            self.features.add("list_loop")
            s, q = self.fresh("s"), self.fresh("v")
            ctx.emit(f"{s} = 0.0")
            if self.ch(0.5):
                ctx.emit(f"for {q} in {g}:")
                ctx.emit(f"    {s} = {s} * 0.5 + " + self.pick(["{q}", "sin({q})", "{q} * {q}"]).format(q=q))
            else:
                i = self.fresh("i")
                ctx.emit(f"for {i}, {q} in enumerate({g}):")
                ctx.emit(f"    {s} = {s} + {q} * float({i} + 1)")
            return s
        r = self.rng.random()
        if r < 0.4:
            return f"{G}[{self.rng.randint(-n, n - 1)}]"
        if r < 0.75:
            return f"sum({G})"
        if r < 0.85:
            self.features.add("list_min_max")
            return self.pick([f"max({G})", f"min({G})"])
        q = self.fresh("v")
        return f"sum([{q} * {q} for {q} in {G}])"

    def list_extras(self, ctx, kind):
        """Statements that make a list local (changed by item assignment, append, pop,
        +=, before anything captures it), loop over a list, or put a list in a tuple."""
        start = len(self.reflog)
        if kind == "listlocal":
            self.features.add("list_local")
            n = self.rng.randint(2, 3)
            name = self.fresh("w")
            ctx.emit(f"{name} = {self.list_value(ctx, n)}")
            for _ in range(self.rng.randint(1, 3)):
                r = self.rng.random()
                if r < 0.35:
                    self.features.add("list_setitem")
                    j = self.rng.randint(-n, n - 1)
                    e = self.combine([self.atom(ctx), f"{name}[{j}]"], ctx, unary=0.3, nonsmooth=0)
                    ctx.emit(f"{name}[{j}] = {e}" if self.ch(0.6) else f"{name}[{j}] += {self.atom(ctx)}")
                elif r < 0.6 and n < 5:
                    self.features.add("list_append")
                    ctx.emit(f"{name}.append({self.combine([self.atom(ctx)], ctx, unary=0.4, nonsmooth=0)})")
                    n += 1
                elif r < 0.8 and n > 1:
                    self.features.add("list_pop")
                    if self.ch(0.5):
                        u = self.fresh("u")
                        ctx.emit(f"{u} = {name}.pop({self.pick(['', '0', '-1'])})")
                        ctx.env = ctx.env + [Var(u, "f", ctx.fn, self.diffs_since(start), ctx.in_loop)]
                    else:
                        ctx.emit(f"{name}.pop({self.rng.randint(0, n - 1)})")
                    n -= 1
                elif n < 5:
                    self.features.add("list_concat")
                    ctx.emit(f"{name} += [{self.atom(ctx)}]" if self.ch(0.5) else
                             f"{name} = {name} + [{self.atom(ctx)}]")
                    n += 1
            ctx.env = ctx.env + [Var(name, "l", ctx.fn, self.diffs_since(start), ctx.in_loop, n=n)]
        elif kind == "listloop":
            self.features.add("list_loop")
            v = self.pick(self.lvars(ctx))
            X = self.ref(v, ctx)
            s, q = self.fresh("s"), self.fresh("v")
            ctx.emit(f"{s} = {self.atom(ctx)}")
            body = ctx.sub(ind=ctx.ind + 1, in_loop=True)
            qv = Var(q, "f", ctx.fn, v.diffs, True)
            if self.ch(0.6):
                ctx.emit(f"for {q} in {X}:")
            else:
                i = self.fresh("i")
                ctx.emit(f"for {i}, {q} in enumerate({X}):")
                body.env = body.env + [Var(i, "i", ctx.fn, frozenset(), True)]
            body.env = body.env + [qv]
            e = self.combine([q, self.atom(body, [qv])], body, unary=0.3, nonsmooth=0.1)
            body.emit(f"{s} = {s} * 0.5 + {e}" if self.ch(0.5) else f"{s} = {s} + {e}")
            ctx.env = ctx.env + [Var(s, "f", ctx.fn, self.diffs_since(start), ctx.in_loop)]
        else:
            self.features.add("list_in_tuple")
            v = self.pick(self.lvars(ctx))
            name = self.fresh("tp")
            X = self.list_value(ctx, v.n) if self.ch(0.5) else self.ref(v, ctx)
            a = self.atom(ctx)
            li, fi = (0, 1) if self.ch(0.5) else (1, 0)
            ctx.emit(f"{name} = ({X}, {a})" if li == 0 else f"{name} = ({a}, {X})")
            d = self.diffs_since(start)
            if self.ch(0.4):
                a, b = self.fresh("m"), self.fresh("m")
                ctx.emit(f"{a}, {b} = {name}")
                names = (a, b)
            else:
                names = (f"{name}[0]", f"{name}[1]")
            ctx.env = ctx.env + [Var(names[li], "l", ctx.fn, d, ctx.in_loop, n=v.n),
                                 Var(names[fi], "f", ctx.fn, d, ctx.in_loop)]

    def diffs_since(self, start):
        out = set()
        for v in self.reflog[start:]:
            out |= v.diffs
        return frozenset(out)

    # -- expressions ----------------------------------------------------------
    def atom(self, ctx, prefer=None):
        fv = self.fvars(ctx)
        if prefer and self.ch(0.6):
            return self.ref(self.pick(prefer), ctx)
        if self.lists and self.lvars(ctx) and self.ch(0.15):
            return self.list_read(ctx)
        if fv and self.ch(0.9):
            return self.ref(self.pick(fv), ctx)
        iv = self.ivars(ctx)
        if iv and self.ch(0.5):
            self.features.add("int_param")
            return self.pick(["float({})", "{} * 0.5", "0.25 * {}"]).format(self.ref(self.pick(iv), ctx))
        return self.pick(FLOATS)

    def point(self, ctx):
        """The point an operator is applied at."""
        fv = self.fvars(ctx)
        own = [v for v in fv if v.fn == ctx.fn]
        r = self.rng.random()
        if own and r < 0.55:
            return self.ref(self.pick(own), ctx)
        if fv and r < 0.75:
            return self.ref(self.pick(fv), ctx)
        if fv and r < 0.92:
            a = self.ref(self.pick(fv), ctx)
            return self.pick(["{} * 0.5 + 0.25", "sin({})", "0.75 * {} - 0.1"]).format(P(a))
        return self.pick(["0.7", "-0.4", "1.1", "0.35"])

    def tangent(self, ctx):
        if self.ch(0.6):
            return self.pick(TANGENTS)
        return self.point(ctx)

    def cond(self, ctx):
        """A branch condition: on an int (exact) or a float comparison (traced)."""
        iv = self.ivars(ctx)
        if iv and self.ch(0.5):
            v = self.ref(self.pick(iv), ctx)
            return self.pick([f"{v} > 1", f"{v} == 2", f"{v} % 2 == 1", f"{v} < 3"])
        fv = self.fvars(ctx)
        if len(fv) >= 2 and self.ch(0.5):
            a, b = self.rng.sample(fv, 2)
            return f"{self.ref(a, ctx)} < {self.ref(b, ctx)}"
        if fv:
            return f"{self.ref(self.pick(fv), ctx)} > {self.pick(['0.2', '-0.3', '0.0', '0.6'])}"
        return "True"

    def call_term(self, ctx):
        """A float term that calls something: a function value in scope, a recursion."""
        fns = [v for v in ctx.env if v.kind in ("g", "gt", "r")]
        if fns and self.ch(0.7):
            v = self.pick(fns)
            name = self.ref(v, ctx)
            arg = self.atom(ctx)
            if v.fn != ctx.fn:
                self.features.add("fn_value_captured")
            if v.kind == "g":
                return f"{name}({arg})"
            if v.kind == "gt":
                return f"{name}[{self.rng.randint(0, 1)}]({arg})"
            return f"{name}({self.depth(ctx)}, {arg})"
        if self.ch(0.5):
            return self.rec_helper_call(ctx)
        return None

    def depth(self, ctx):
        iv = self.ivars(ctx)
        if iv and self.ch(0.4):
            return self.ref(self.pick(iv), ctx)
        return str(self.rng.randint(1, 3))

    def rec_helper_call(self, ctx):
        """A top-level recursion with an int depth (sometimes passing a function down)."""
        self.features.add("recursion")
        name = self.fresh("_rec")
        if self.ch(0.5):
            self.features.add("recursion_fn_arg")
            body = self.pick(["g(u) * 0.5 + u * c", "sin(g(u)) + 0.5 * u", "g(u * c) * 0.75 + 0.1"])
            self.top.append([f"def {name}(g, k: int, u, c):",
                             "    if k <= 0:",
                             "        return g(u)",
                             f"    return {name}(g, k - 1, {body}, c)"])
            fid = self.new_fn()
            q = self.fresh("q")
            qv = Var(q, "f", fid)
            gc = Ctx(self.capturable(ctx) + [qv], None, fid, ctx.level, 0)
            t = self.combine([self.atom(gc, [qv]), self.atom(gc)], gc, unary=0.3)
            g = f"(lambda {q}: {t})"
            self.features.add("closure_to_helper")
            return f"{name}({g}, {self.depth(ctx)}, {self.atom(ctx)}, {self.atom(ctx)})"
        base = self.pick(["u", "u * c", "sin(u) + c"])
        step = self.pick(["u * 0.5 + sin(u * c)", "tanh(u) * c + 0.25 * u", "u * c * 0.75 + 0.1",
                          "cos(u) * 0.5 + u * 0.25 * c"])
        self.top.append([f"def {name}(k: int, u, c):",
                         "    if k <= 0:",
                         f"        return {base}",
                         f"    return {name}(k - 1, {step}, c)"])
        return f"{name}({self.depth(ctx)}, {self.atom(ctx)}, {self.atom(ctx)})"

    def combine(self, terms, ctx, unary=0.35, nonsmooth=0.12):
        ts = [t for t in terms if t]
        self.rng.shuffle(ts)
        while len(ts) > 1:
            a, b = ts.pop(), ts.pop()
            tmpl = self.pick(BINARY1 if has_op(b) else BINARY)
            ts.append(tmpl.format(a=P(a), b=P(b)))
        t = ts[0]
        if self.ch(unary):
            t = self.pick(UNARY1 if has_op(t) else UNARY).format(a=P(t))
        if self.ch(nonsmooth):
            t = self.nonsmooth(t, ctx)
        return t

    def nonsmooth(self, t, ctx):
        self.features.add("nonsmooth")
        b = self.atom(ctx)
        forms = ["abs({a})", "max({a}, {b})", "min({a}, {b})", "max({a}, 0.25)",
                 "{a} + 0.25 * float(floor({b} * 2.0))", "({a} if {b} > 0.1 else 0.5 * {b})",
                 "{a} * (1.0 + 0.1 * float(int({b} * 3.0)))", "min({b}, 0.5) * {a}"]
        if not has_op(t):
            forms.append("({a} if {b} > 0.1 else {b} * {a})")
        return self.pick(forms).format(a=P(t), b=P(b))

    def body_expr(self, ctx, inner, require_cap=True):
        """A float expression of a function's own parameters, captured differentiated
        variables (when there are some), and the inner operator's result."""
        terms = [inner] if inner else []
        fv = self.fvars(ctx)
        own = [v for v in fv if v.fn == ctx.fn]
        if own and (self.ch(0.85) or not inner):
            terms.append(self.ref(self.pick(own), ctx))
        if require_cap:
            caps = [v for v in fv if v.fn != ctx.fn and any(lv < ctx.level for lv in v.diffs)]
            if caps and self.ch(0.85):
                terms.append(self.ref(self.pick(caps), ctx))
        if self.lists:
            lv = self.lvars(ctx)
            own_l = [v for v in lv if v.fn == ctx.fn]
            if own_l and (self.ch(0.8) or not terms):
                terms.append(self.list_read(ctx, self.pick(own_l)))
            cap_l = [v for v in lv if v.fn != ctx.fn and any(lv_ < ctx.level for lv_ in v.diffs)]
            if require_cap and cap_l and self.ch(0.5):
                self.features.add("list_captured")
                terms.append(self.list_read(ctx, self.pick(cap_l)))
        if self.ch(0.3) or not terms:
            terms.append(self.atom(ctx))
        if self.ch(0.25):
            terms.append(self.call_term(ctx))
        return self.combine(terms, ctx)

    # -- statements inside function bodies -------------------------------------
    def extras(self, ctx):
        """Optional statements before a body's result: locals, function values,
        nested recursive defs, tuple unpacking."""
        n = 0
        while self.budget > 0 and self.ch(0.45) and n < 2:
            n += 1
            self.budget -= 1
            kinds = [("local", 3), ("fnvar", 2), ("fntuple", 1), ("nrec", 1), ("ifvar", 1)]
            if self.lists:
                kinds += [("listlocal", 2.5)]
                if self.lvars(ctx):
                    kinds += [("listloop", 1.5), ("listtuple", 1)]
            kind = self.wpick(kinds)
            if kind.startswith("list"):
                self.list_extras(ctx, kind)
            elif kind == "local":
                start = len(self.reflog)
                e = self.combine([self.atom(ctx), self.atom(ctx)], ctx)
                name = self.fresh("u")
                ctx.emit(f"{name} = {e}")
                ctx.env = ctx.env + [Var(name, "f", ctx.fn, self.diffs_since(start), ctx.in_loop)]
            elif kind == "ifvar":
                start = len(self.reflog)
                name = self.fresh("u")
                c = self.cond(ctx)
                e1 = self.combine([self.atom(ctx), self.atom(ctx)], ctx)
                e2 = self.combine([self.atom(ctx)], ctx)
                ctx.emit(f"if {c}:")
                ctx.emit(f"    {name} = {e1}")
                ctx.emit("else:")
                ctx.emit(f"    {name} = {e2}")
                ctx.env = ctx.env + [Var(name, "f", ctx.fn, self.diffs_since(start), ctx.in_loop)]
            elif kind == "fnvar":
                # a function value in a variable, later called (maybe captured by a closure)
                start = len(self.reflog)
                name = self.fresh("h")
                fid = self.new_fn()
                q = self.fresh("q")
                qv = Var(q, "f", fid, frozenset(), False)
                c2 = Ctx([v for v in ctx.env if not v.mutable] + [qv], None, fid, ctx.level, 0)
                e = self.combine([q, self.atom(c2)], c2, unary=0.5)
                if ctx.out is not None and self.ch(0.4):
                    ctx.emit(f"def {name}({q}):")
                    ctx.emit(f"    return {e}")
                else:
                    ctx.emit(f"{name} = lambda {q}: {e}")
                ctx.env = ctx.env + [Var(name, "g", ctx.fn, self.diffs_since(start), ctx.in_loop)]
            elif kind == "fntuple":
                # two closures in a tuple, later called through it (maybe by a closure)
                self.features.add("closure_in_tuple")
                start = len(self.reflog)
                name = self.fresh("hs")
                fns = []
                for _ in range(2):
                    fid = self.new_fn()
                    q = self.fresh("q")
                    c2 = Ctx(self.capturable(ctx) + [Var(q, "f", fid)], None, fid, ctx.level, 0)
                    fns.append(f"lambda {q}: {self.combine([q, self.atom(c2)], c2, unary=0.5)}")
                ctx.emit(f"{name} = ({fns[0]}, {fns[1]})")
                ctx.env = ctx.env + [Var(name, "gt", ctx.fn, self.diffs_since(start), ctx.in_loop)]
            elif kind == "nrec" and not ctx.in_loop:
                self.features.add("recursion")
                self.features.add("recursion_nested")
                start = len(self.reflog)
                name = self.fresh("r")
                fid = self.new_fn()
                k, u = self.fresh("k"), self.fresh("w")
                uv = Var(u, "f", fid)
                c2 = Ctx([v for v in ctx.env if not v.mutable] + [uv], None, fid, ctx.level, 0)
                base = self.combine([u, self.atom(c2)], c2, unary=0.2, nonsmooth=0)
                step = self.pick(["{u} * 0.5 + sin({u} * {c})", "tanh({u}) * {c} + 0.25 * {u}",
                                  "cos({u}) * 0.5 + {u} * 0.25 * {c}"]).format(
                                      u=u, c=P(self.atom(c2)))
                ctx.emit(f"def {name}({k}, {u}):")
                ctx.emit(f"    if {k} <= 0:")
                ctx.emit(f"        return {base}")
                ctx.emit(f"    return {name}({k} - 1, {step})")
                ctx.env = ctx.env + [Var(name, "r", ctx.fn, self.diffs_since(start), False)]

    def loop(self, ctx, inner_gen):
        """A loop whose body may hold the inner operators; returns the accumulator."""
        self.loops += 1
        start = len(self.reflog)
        s = self.fresh("s")
        ctx.emit(f"{s} = {self.combine([self.atom(ctx)], ctx, nonsmooth=0)}")
        kind = self.pick(["for", "while"])
        i = self.fresh("i")
        bound = str(self.rng.randint(2, 3))
        iv = self.ivars(ctx)
        if iv and self.ch(0.4):
            bound = self.ref(self.pick(iv), ctx) + self.pick(["", " + 1"])
        body = ctx.sub(ind=ctx.ind + 1, in_loop=True)
        if kind == "for":
            self.features.add("loop_for")
            ctx.emit(f"for {i} in range({bound}):")
        else:
            self.features.add("loop_while")
            ctx.emit(f"{i} = 0")
            ctx.emit(f"while {i} < {bound}:")
            body.emit(f"{i} = {i} + 1")
        sv = Var(s, "f", ctx.fn, frozenset(), True)
        body.env = ctx.env + [Var(i, "i", ctx.fn, frozenset(), True), sv]
        if self.ch(0.3):
            self.features.add("continue")
            body.emit(f"if {i} == {self.rng.randint(1, 2)}:")
            body.emit("    continue")
        self.extras(body)
        inner = inner_gen(body)
        e = self.combine([inner, self.atom(body), s], body, unary=0.2)
        body.emit(f"{s} = {s} * 0.5 + {e}" if self.ch(0.5) else f"{s} = {e}")
        r = self.rng.random()
        if r < 0.3:
            self.features.add("break")
            body.emit(f"if {self.cond(body) if self.ch(0.5) else f'{s} > 2.0'}:")
            body.emit("    break")
        elif r < 0.55 and ctx.ret == "f":
            self.features.add("return_in_loop")
            body.emit(f"if {self.cond(body) if self.ch(0.5) else f'{i} == 1'}:")
            body.emit(f"    return {self.combine([s, self.atom(body)], body, nonsmooth=0)}")
        diffs = self.diffs_since(start)
        ctx.env = ctx.env + [Var(s, "f", ctx.fn, diffs, ctx.in_loop)]
        return self.ref(ctx.env[-1], ctx)

    # -- functions handed to the operators -------------------------------------
    def params(self, sig, fid, level):
        n, pk, ok = sig
        d = frozenset([level])
        ls = list_sig(pk)
        if ls:
            self.features.add("list_param")
            p = self.fresh("p")
            names, pvars = [p], [Var(p, "l", fid, d, n=ls[0])]
            if ls[1]:
                x = self.fresh(self.pick("abxyz"))
                names.append(x)
                pvars.append(Var(x, "f", fid, d))
            return names, pvars
        if pk == "t":
            p = self.fresh("p")
            self.features.add("tuple_param")
            return [p], [Var(f"{p}[0]", "f", fid, d), Var(f"{p}[1]", "f", fid, d)]
        names = [self.fresh(self.pick("abxyz")) for _ in range(n)]
        return names, [Var(nm, "f", fid, d) for nm in names]

    def fn_body(self, c2, rest, sig):
        """The body of a function an operator differentiates: its result expression
        (statements go to c2.out when there is one)."""
        n, pk, ok = sig
        if c2.out is not None:
            if pk == "t" and self.ch(0.4):
                p = c2.env[-1].name.split("[")[0]
                u, w = self.fresh("m"), self.fresh("m")
                c2.emit(f"{u}, {w} = {p}")
                d = c2.env[-1].diffs
                c2.env = c2.env + [Var(u, "f", c2.fn, d), Var(w, "f", c2.fn, d)]
            self.extras(c2)
        lr = list_sig(ok)
        if lr and rest and rest[0] in ("grad", "value_and_grad") and self.ch(0.5):
            return self.list_of_gradient(c2, rest, lr[0])
        inner = None
        if rest:
            if c2.out is not None and self.loops == 0 and self.ch(0.25):
                inner = self.loop(c2, lambda lc: self.chain(rest, lc))
            else:
                inner = self.chain(rest, c2)
        e = self.body_expr(c2, inner)
        if lr:
            return self.list_result(c2, e, lr[0])
        if ok == "t":
            self.features.add("tuple_result")
            e2 = self.body_expr(c2, None)
            return f"({e}, {e2})" if self.ch(0.5) else f"({e2}, {e})"
        return e

    def list_result(self, c2, e, m):
        """A list of m floats, one of them (or each) from e, the rest from the
        function's parameters and captures."""
        self.features.add("list_result")
        own_l = [v for v in self.lvars(c2) if v.fn == c2.fn]
        r = self.rng.random()
        same = [v for v in own_l if v.n == m]
        one_less = [v for v in own_l if v.n == m - 1]
        if same and r < 0.35 and not has_op(e):
            self.features.add("list_comprehension")
            q = self.fresh("v")
            return f"[{self.pick(['{q} * {e}', 'sin({q}) + {e}', '{e} * {q} * {q}']).format(q=q, e=P(e))}" \
                f" for {q} in {self.ref(self.pick(same), c2)}]"
        if one_less and r < 0.6:
            self.features.add("list_concat")
            q = self.fresh("v")
            X = self.ref(self.pick(one_less), c2)
            return f"[{self.pick(UNARY1).format(a=q)} for {q} in {X}] + [{e}]"
        items = [e] + [self.body_expr(c2, None) for _ in range(m - 1)]
        self.rng.shuffle(items)
        self.features.add("list_display")
        return "[" + ", ".join(items) + "]"

    def list_of_gradient(self, c2, rest, m):
        """A list of m floats from the gradient of the inner operator (grad or
        value_and_grad) with respect to a list: under jvp, a Hessian-vector product."""
        self.features.add("list_gradient_result")
        G = self.chain(rest, c2, want_list=m)
        own_l = [v for v in self.lvars(c2) if v.fn == c2.fn and v.n == m]
        r = self.rng.random()
        if r < 0.35:
            return G
        a, b = self.fresh("v"), self.fresh("v")
        if own_l and r < 0.7:
            self.features.add("list_zip")
            c = P(self.atom(c2))
            return f"[{a} * {c} + {b} for {a}, {b} in zip({G}, {self.ref(self.pick(own_l), c2)})]"
        e = self.body_expr(c2, None)
        return f"[{a} + {P(e)} for {a} in {G}]" if self.ch(0.5) else f"[{a} * {a} for {a} in {G}]"

    def own_body(self, c2, sig):
        """A body that uses only the function's own parameters (captures nothing)."""
        if list_sig(sig[1]) or list_sig(sig[2]):
            own = [v for v in c2.env if v.fn == c2.fn and v.kind in ("f", "l")]
            c3 = c2.sub(env=own)
            fl = [v for v in own if v.kind == "f"]
            ll = [v for v in own if v.kind == "l"]

            def one():
                t = [self.list_read(c3, self.pick(ll)) if ll else self.atom(c3, fl)]
                return self.combine(t + [self.atom(c3, fl or None)], c3, nonsmooth=0)
            lr = list_sig(sig[2])
            if lr:
                return "[" + ", ".join(one() for _ in range(lr[0])) + "]"
            if sig[2] == "t":
                return f"({one()}, {one()})"
            return one()
        own = [v for v in self.fvars(c2) if v.fn == c2.fn]
        c3 = c2.sub(env=own)
        e = self.combine([self.atom(c3, own), self.atom(c3, own)], c3, nonsmooth=0)
        if sig[2] == "t":
            return f"({e}, {self.combine([self.atom(c3, own)], c3, nonsmooth=0)})"
        return e

    def capturable(self, ctx):
        return [v for v in ctx.env if not v.mutable]

    def lambda_text(self, ctx, sig, body, level):
        fid = self.new_fn()
        names, pvars = self.params(sig, fid, level)
        c2 = Ctx(self.capturable(ctx) + pvars, None, fid, level, 0)
        return f"(lambda {', '.join(names)}: {body(c2)})"

    def def_text(self, ctx, sig, body, level, name=None):
        """Emits a nested def into ctx; returns its name."""
        fid = self.new_fn()
        names, pvars = self.params(sig, fid, level)
        name = name or self.fresh("f")
        lines = []
        c2 = Ctx(self.capturable(ctx) + pvars, lines, fid, level, ctx.ind + 1, ret=sig[2])
        e = body(c2)
        ctx.emit(f"def {name}({', '.join(names)}):")
        ctx.out += lines
        ctx.emit(f"    return {e}")
        return name

    def simple_fn(self, ctx, sig, body, level):
        """A lambda or (in statement context) a nested def."""
        if ctx.out is not None and self.ch(0.45):
            self.features.add("nested_def")
            return self.def_text(ctx, sig, body, level)
        self.features.add("lambda")
        return self.lambda_text(ctx, sig, body, level)

    def make_fn(self, cons, ctx, sig, body, level):
        """A function value built the way `cons` says, for an operator at `level`."""
        n, pk, ok = sig
        if cons == "lambda":
            self.features.add("lambda")
            return self.lambda_text(ctx, sig, body, level)
        if cons == "def":
            self.features.add("nested_def")
            return self.def_text(ctx, sig, body, level)
        if cons == "toplevel":
            self.features.add("toplevel_fn")
            fid = self.new_fn()
            names, pvars = self.params(sig, fid, level)
            public = self.ch(0.3)
            name = self.fresh("t" if public else "_t")
            lines = []
            c2 = Ctx(pvars, lines, fid, level, 1, ret=ok)
            e = body(c2)
            ps = ", ".join(f"{p}: (float, float)" if pk == "t" and public else
                           f"{p}: list[float]" if list_sig(pk) and public and i == 0 else p
                           for i, p in enumerate(names))
            self.top.append([f"def {name}({ps}):"] + lines + [f"    return {e}"])
            return name
        if cons == "factory":
            self.features.add("factory")
            mk = self.fresh("_mk")
            mid = self.new_fn()
            cands = [v for v in self.capturable(ctx) if v.kind == "f"]
            cands.sort(key=lambda v: -len(v.diffs))
            passed = []
            for _ in range(self.rng.randint(1, 2)):
                if cands and self.ch(0.85):
                    v = cands[0] if self.ch(0.6) else self.pick(cands)
                    passed.append((self.ref(v, ctx), v.diffs))
                else:
                    passed.append((self.pick(FLOATS), frozenset()))
            cnames = [self.fresh("c") for _ in passed]
            cvars = [Var(c, "f", mid, d) for c, (_, d) in zip(cnames, passed)]
            lines = [f"def {mk}({', '.join(cnames)}):"]
            fctx = Ctx(cvars, lines, mid, ctx.level, 1)
            if self.ch(0.3):
                k = self.fresh("k")
                start = len(self.reflog)
                fctx.emit(f"{k} = {self.combine([self.atom(fctx), self.atom(fctx)], fctx, nonsmooth=0)}")
                fctx.env = fctx.env + [Var(k, "f", mid, self.diffs_since(start))]
            if self.ch(0.5):
                inner = self.def_text(fctx, sig, body, level)
                fctx.emit(f"return {inner}")
            else:
                fctx.emit(f"return {self.lambda_text(fctx, sig, body, level)}")
            self.top.append(lines)
            return f"{mk}({', '.join(p for p, _ in passed)})"
        if cons == "branch":
            self.features.add("branch_fn")
            c = self.cond(ctx)
            simple = lambda c2: self.fn_body(c2, (), sig)   # noqa: E731
            if self.ch(0.7):
                # the other arm captures nothing: a closure joined with a plain function
                simple = lambda c2: self.own_body(c2, sig)   # noqa: E731
            both = self.ch(0.35)
            b1, b2 = body, (body if both else simple)
            if self.ch(0.5):
                b1, b2 = b2, b1
            ctx1 = ctx2 = ctx
            if ctx.out is not None and not ctx.in_loop and sig[2] == "f" and self.ch(0.5):
                # a local made just for one arm's closure: only that arm captures it
                self.features.add("branch_fn_own_capture")
                start = len(self.reflog)
                kn = self.fresh("k")
                ctx.emit(f"{kn} = {self.combine([self.atom(ctx), self.atom(ctx)], ctx, nonsmooth=0)}")
                kv = Var(kn, "f", ctx.fn, self.diffs_since(start))
                ctx1 = ctx.sub(env=ctx.env + [kv])
                bk = b1
                b1 = lambda c2: f"{P(bk(c2))} * {self.ref(kv, c2)}"   # noqa: E731
                if self.ch(0.5):
                    b1, b2, ctx1, ctx2 = b2, b1, ctx2, ctx1
            if ctx.out is None or self.ch(0.25):
                self.features.add("branch_fn_ifexp")
                f1 = self.lambda_text(ctx1, sig, b1, level)
                f2 = self.lambda_text(ctx2, sig, b2, level)
                g = f"({f1} if {c} else {f2})"
                if ctx.out is None:
                    return g
                name = self.fresh("g")
                ctx.emit(f"{name} = {g}")
            else:
                name = self.fresh("g")
                ctx.emit(f"if {c}:")
                arm = ctx1.sub(ind=ctx.ind + 1)
                if self.ch(0.5):
                    self.def_text(arm, sig, b1, level, name)
                else:
                    arm.emit(f"{name} = {self.lambda_text(arm, sig, b1, level)}")
                ctx.emit("else:")
                arm = ctx2.sub(ind=ctx.ind + 1)
                if self.ch(0.5):
                    self.def_text(arm, sig, b2, level, name)
                else:
                    arm.emit(f"{name} = {self.lambda_text(arm, sig, b2, level)}")
            if not ctx.in_loop and sig in ((1, "f", "f"), (2, "f", "f")) and self.ch(0.5):
                self.features.add("fn_value_captured")
                return self.wrapper(ctx, sig, lambda qs: f"{name}({', '.join(qs)})", level)
            return name
        if cons == "tuple":
            self.features.add("closure_in_tuple")
            other = lambda c2: self.fn_body(c2, (), sig)   # noqa: E731
            f1 = self.simple_fn(ctx, sig, body, level)
            f2 = self.simple_fn(ctx, sig, other, level)
            j = self.rng.randint(0, 1)
            fs = self.fresh("fs")
            ctx.emit(f"{fs} = ({f1}, {f2})" if j == 0 else f"{fs} = ({f2}, {f1})")
            if not ctx.in_loop and sig in ((1, "f", "f"), (2, "f", "f")) and self.ch(0.6):
                self.features.add("fn_value_captured")
                return self.wrapper(ctx, sig, lambda qs: (
                    f"{fs}[{j}]({', '.join(qs)}) * {self.pick(['0.75', '1.25'])} + "
                    f"{fs}[{1 - j}]({', '.join(qs)}) * 0.25"), level)
            return f"{fs}[{j}]"
        if cons == "helper_passed":
            self.features.add("closure_to_helper")
            # the wrapper below captures g and c: in a loop body, where names are
            # rebound by the next iteration, both are written in place
            if ctx.in_loop:
                self.features.add("lambda")
                g = self.lambda_text(ctx, sig, body, level)
            else:
                g = self.simple_fn(ctx, sig, body, level)
            h = self.fresh("_call")
            form = self.rng.randint(0, 2)
            if form == 0:
                self.top.append([f"def {h}(g, u, c):",
                                 f"    return g(u) * c + g(u * 0.5) * {self.pick(['0.5', '0.25'])}"])
            elif form == 1:
                self.features.add("loop_for")
                self.top.append([f"def {h}(g, u, c):",
                                 "    s = u",
                                 "    for i in range(2):",
                                 "        s = g(s) * 0.5 + c * u",
                                 "    return s"])
            else:
                self.features.add("loop_while")
                self.features.add("break")
                self.top.append([f"def {h}(g, u, c):",
                                 "    s = 0.0",
                                 "    k = 0",
                                 "    while True:",
                                 "        s = s + g(u + 0.25 * k) * c",
                                 "        k = k + 1",
                                 "        if k >= 2:",
                                 "            break",
                                 "    return s"])
            c = self.atom(ctx.sub(env=self.capturable(ctx)))
            return self.wrapper(ctx, sig, lambda qs: f"{h}({g}, {qs[0]}, {c})", level)
        if cons == "helper_returned":
            self.features.add("closure_from_helper")
            g = self.simple_fn(ctx, sig, body, level)
            h = self.fresh("_wrap")
            form = self.rng.randint(0, 2)
            if form == 0:
                self.top.append([f"def {h}(g, c):",
                                 "    return lambda t: g(t) * c + sin(t)"])
                return f"{h}({g}, {self.atom(ctx)})"
            if form == 1:
                self.top.append([f"def {h}(g, c):",
                                 "    def w(t):",
                                 "        return g(t * c) + 0.5 * t",
                                 "    return w"])
                return f"{h}({g}, {self.pick(['0.75', '1.25', '-0.5'])})"
            self.top.append([f"def {h}(f, g):",
                             "    return lambda t: f(g(t))"])
            outer = self.pick(["(lambda v: v * v + v)", "sin", "(lambda v: tanh(v) * 2.0)", "exp"])
            return f"{h}({outer}, {g})" if self.ch(0.5) else f"{h}({g}, {outer})"
        raise ValueError(cons)

    def wrapper(self, ctx, sig, call, level):
        """A lambda (capturing a function value) that calls it: the function the
        operator differentiates."""
        fid = self.new_fn()
        names, pvars = self.params(sig, fid, level)
        c2 = Ctx(self.capturable(ctx) + pvars, None, fid, level, 0)
        extra = self.pick(["", " + {} * 0.5", " * {}"])
        if extra:
            extra = extra.format(P(self.atom(c2, pvars)))
        return f"(lambda {', '.join(names)}: {call(names)}{extra})"

    # -- operators ---------------------------------------------------------------
    def signature(self, op, cons):
        if cons in ("helper_passed", "helper_returned", "op_in_helper", "toplevel_chain"):
            return (1, "f", "f")
        if self.lists and self.ch(0.45):
            pk = f"l{self.rng.randint(2, 3)}" + ("f" if self.ch(0.3) else "")
            ok = "f"
            if op in ("vjp", "jvp"):
                ok = self.wpick([("f", 2), (f"l{self.rng.randint(2, 3)}", 2), ("t", 0.5)])
            return (1, pk, ok)
        r = self.rng.random()
        n, pk = (1, "t") if r < 0.15 else ((2, "f") if r < 0.5 else (1, "f"))
        ok = "t" if op in ("vjp", "jvp") and self.ch(0.3) else "f"
        if self.lists and ok == "f" and op in ("vjp", "jvp") and self.ch(0.3):
            ok = f"l{self.rng.randint(2, 3)}"
        return (n, pk, ok)

    def apply_op(self, op, F, sig, ctx, want_list=None):
        """A float expression applying op to the function F (text) at points from ctx."""
        n, pk, ok = sig
        if list_sig(pk) or list_sig(ok):
            return self.apply_op_list(op, F, sig, ctx, want_list)
        if pk == "t":
            pts = [f"({self.point(ctx)}, {self.point(ctx)})"]
        else:
            pts = [self.point(ctx) for _ in range(n)]
        args = ", ".join(pts)
        stmt = ctx.out is not None and self.ch(0.3)
        if stmt:
            self.features.add("stmt_form")
        j = self.rng.randint(0, 1)
        if op in ("grad", "value_and_grad"):
            if pk == "t":
                spec, idx = "", f"[{j}]"
            elif n == 1:
                spec, idx = self.pick([("", ""), (", 0", ""), (", (0,)", "[0]")])
                if self.ch(0.06) and not stmt:
                    self.features.add("int_point")
                    args = self.pick(["1", "2"])
            else:
                spec, idx = self.pick([("", ""), (", 1", ""), (", (0, 1)", f"[{j}]"),
                                       (", (1,)", "[0]"), (", (1, 0)", f"[{j}]")])
            call = f"{op}({F}{spec})({args})"
            if op == "grad":
                if stmt and idx == "[0]" and spec == ", (0,)":
                    g = self.fresh("d")
                    ctx.emit(f"{g}, = {call}")
                    return g
                if stmt and spec in (", (0, 1)", ", (1, 0)"):
                    g1, g2 = self.fresh("d"), self.fresh("d")
                    ctx.emit(f"{g1}, {g2} = {call}")
                    return self.pick(["{} * {}", "{} + 0.5 * {}", "{} - {}"]).format(g1, g2)
                return call + idx
            if stmt:
                v, g = self.fresh("v"), self.fresh("d")
                ctx.emit(f"{v}, {g} = {call}")
                return self.pick(["{v} * {g}{i}", "{g}{i} + 0.5 * {v}", "{g}{i} * cos({v})"]).format(
                    v=v, g=g, i=idx)
            if self.ch(0.15):
                return call + "[0]"
            return call + "[1]" + idx
        if op == "vjp":
            cot = self.tangent(ctx) if ok == "f" else f"({self.tangent(ctx)}, {self.tangent(ctx)})"
            call = f"vjp({F}, {args})"
            i = self.rng.randint(0, len(pts) - 1)
            sub = f"[{j}]" if pk == "t" else ""
            yi = f"[{self.rng.randint(0, 1)}]" if ok == "t" else ""
            if stmt:
                y, pb, ct = self.fresh("y"), self.fresh("pb"), self.fresh("ct")
                ctx.emit(f"{y}, {pb} = {call}")
                ctx.emit(f"{ct} = {pb}({cot})")
                return self.pick(["{ct}[{i}]{s} * {y}{yi}", "{ct}[{i}]{s} + 0.5 * {y}{yi}",
                                  "{ct}[{i}]{s}"]).format(ct=ct, i=i, s=sub, y=y, yi=yi)
            if self.ch(0.12):
                return f"{call}[0]{yi}"
            return f"{call}[1]({cot})[{i}]{sub}"
        if op == "jvp":
            if pk == "t":
                prim = f"({pts[0]},)"
                tan = f"(({self.tangent(ctx)}, {self.tangent(ctx)}),)"
            else:
                prim = "(" + ", ".join(pts) + ("," if n == 1 else "") + ")"
                tan = "(" + ", ".join(self.tangent(ctx) for _ in pts) + ("," if n == 1 else "") + ")"
            call = f"jvp({F}, {prim}, {tan})"
            yi = f"[{self.rng.randint(0, 1)}]" if ok == "t" else ""
            if stmt:
                y, t = self.fresh("y"), self.fresh("dt")
                ctx.emit(f"{y}, {t} = {call}")
                return self.pick(["{t}{i} * {y}{i}", "{t}{i} + 0.5 * {y}{i}", "{t}{i}"]).format(
                    t=t, y=y, i=yi)
            if self.ch(0.12):
                return f"{call}[0]{yi}"
            return f"{call}[1]{yi}"
        raise ValueError(op)

    def apply_op_list(self, op, F, sig, ctx, want_list):
        """apply_op for signatures with a list parameter or a list result: the gradient,
        pullback or tangent list read (an item, a sum, a loop, ...), or with want_list
        the gradient list itself."""
        n, pk, ok = sig
        ls, lr = list_sig(pk), list_sig(ok)
        if ls:
            L = ls[0]
            pts = [self.list_point(ctx, L)] + ([self.point(ctx)] if ls[1] else [])
            kinds = [("l", L)] + ([("f", 0)] if ls[1] else [])
        elif pk == "t":
            L = None
            pts = [f"({self.point(ctx)}, {self.point(ctx)})"]
            kinds = [("t", 0)]
        else:
            L = None
            pts = [self.point(ctx) for _ in range(n)]
            kinds = [("f", 0)] * n
        args = ", ".join(pts)
        stmt = ctx.out is not None and self.ch(0.3)
        if stmt:
            self.features.add("stmt_form")
        j = self.rng.randint(0, 1)
        out = ("l", lr[0]) if lr else (("t", 0) if ok == "t" else ("f", 0))

        def red(G, kind):
            if kind[0] == "l":
                return self.list_reduce(ctx, G, kind[1])
            if kind[0] == "t":
                return f"{G}[{j}]"
            return G

        def name(G, p):
            if not stmt:
                return G
            v = self.fresh(p)
            ctx.emit(f"{v} = {G}")
            return v
        if op in ("grad", "value_and_grad"):
            sel = ""
            if want_list:
                forms = [("", ""), (", 0", ""), (", (0,)", "[0]")]
                if len(kinds) == 2:
                    forms += [(", (0, 1)", "[0]"), (", (1, 0)", "[1]")]
                spec, sel = self.pick(forms)
                which = 0
            elif len(kinds) == 1:
                spec, which = self.pick([("", 0), (", 0", 0), (", (0,)", (0,))])
            else:
                spec, which = self.pick([("", 0), (", 1", 1), (", (0, 1)", (0, 1)),
                                         (", (1, 0)", (1, 0)), (", (1,)", (1,))])
            call = f"{op}({F}{spec})({args})"
            if op == "value_and_grad":
                if not want_list and self.ch(0.15):
                    return f"{call}[0]"
                if stmt and not want_list:
                    v, g = self.fresh("v"), self.fresh("d")
                    ctx.emit(f"{v}, {g} = {call}")
                    G, extra = g, v
                else:
                    G, extra = call + "[1]", None
            else:
                G, extra = call, None
            if want_list:
                return G + sel
            G = name(G, "d")
            if type(which) is tuple:
                t = self.rng.randint(0, len(which) - 1)
                r = red(f"{G}[{t}]", kinds[which[t]])
            else:
                r = red(G, kinds[which])
            return f"{P(r)} * {P(extra)}" if extra else r
        i = self.rng.randint(0, len(kinds) - 1)
        if op == "vjp":
            self.features.add("list_vjp")
            call = f"vjp({F}, {args})"
            if stmt:
                y, pb, ct = self.fresh("y"), self.fresh("pb"), self.fresh("ct")
                ctx.emit(f"{y}, {pb} = {call}")
                cot = (self.list_tangent(ctx, lr[0], like=y) if lr else
                       f"({self.tangent(ctx)}, {self.tangent(ctx)})" if ok == "t" else self.tangent(ctx))
                ctx.emit(f"{ct} = {pb}({cot})")
                r = red(f"{ct}[{i}]", kinds[i])
                if self.ch(0.5):
                    return r
                return f"{P(r)} + 0.5 * {P(red(y, out))}"
            cot = (self.list_tangent(ctx, lr[0]) if lr else
                   f"({self.tangent(ctx)}, {self.tangent(ctx)})" if ok == "t" else self.tangent(ctx))
            if self.ch(0.12):
                return red(f"{call}[0]", out)
            return red(f"{call}[1]({cot})[{i}]", kinds[i])
        if op == "jvp":
            self.features.add("list_jvp")
            tans = []
            for (kd, m), pt in zip(kinds, pts):
                if kd == "l":
                    like = pt if re.fullmatch(r"[A-Za-z_]\w*", pt) else None
                    tans.append(self.list_tangent(ctx, m, like))
                elif kd == "t":
                    tans.append(f"({self.tangent(ctx)}, {self.tangent(ctx)})")
                else:
                    tans.append(self.tangent(ctx))
            comma = "," if len(pts) == 1 else ""
            call = f"jvp({F}, ({args}{comma}), ({', '.join(tans)}{comma}))"
            if stmt:
                y, t = self.fresh("y"), self.fresh("dt")
                ctx.emit(f"{y}, {t} = {call}")
                r = red(t, out)
                return r if self.ch(0.5) else f"{P(r)} + 0.5 * {P(red(y, out))}"
            if self.ch(0.12):
                return red(f"{call}[0]", out)
            return red(f"{call}[1]", out)
        raise ValueError(op)

    def op_in_helper(self, op, ctx, sig, body, level):
        """The operator applied inside a top-level helper to a function passed in."""
        self.features.add("op_in_helper")
        self.features.add("closure_to_helper")
        h = self.fresh("_op")
        hid = self.new_fn()
        lines = [f"def {h}(g, u):"]
        hctx = Ctx([Var("u", "f", hid)], lines, hid, ctx.level, 1)
        e = self.apply_op(op, "g", sig, hctx)
        hctx.emit(f"return {e}")
        self.top.append(lines)
        g = self.make_fn(self.pick(["lambda", "lambda", "factory", "def"]) if ctx.out is not None
                         else self.pick(["lambda", "factory"]), ctx, sig, body, level)
        return f"{h}({g}, {self.point(ctx)})"

    def chain(self, ops, ctx, cons=None, want_list=None):
        """A float expression: ops[0] applied to a function whose body holds the rest
        (want_list: ops[0] is grad or value_and_grad, and the expression is its
        gradient with respect to a list of that many floats)."""
        op, rest = ops[0], ops[1:]
        level = ctx.level + 1
        if cons is None:
            cands = [("lambda", 3), ("factory", 1.5), ("toplevel", 0.8), ("branch", 1.2)]
            if not want_list:
                cands += [("helper_passed", 0.8), ("helper_returned", 0.8), ("op_in_helper", 0.8)]
            if ctx.out is not None:
                cands += [("def", 2), ("tuple", 1)]
                if ctx.level == 0:
                    # a function value joined from two branches in code that is not
                    # itself differentiated
                    cands += [("branch", 1.5)]
            cons = self.wpick(cands)
        force = "toplevel" if cons == "toplevel_chain" else None
        sig = self.signature(op, cons)
        if want_list:
            sig = (1, f"l{want_list}" + ("f" if self.ch(0.3) else ""), "f")

        def body(c2):
            if force:
                return self.fn_body_chain(c2, rest, sig)
            return self.fn_body(c2, rest, sig)
        if cons == "op_in_helper":
            return self.op_in_helper(op, ctx, sig, body, level)
        F = self.make_fn(force or cons, ctx, sig, body, level)
        return self.apply_op(op, F, sig, ctx, want_list)

    def fn_body_chain(self, c2, rest, sig):
        """The h / d = jvp(h) / dd = jvp(d) / grad(dd) shape: every level top-level."""
        if rest:
            inner = self.chain(rest, c2, "toplevel_chain")
            return self.combine([inner, self.ref(c2.env[0], c2)] if self.ch(0.3) else [inner], c2,
                                unary=0.1, nonsmooth=0)
        x = self.ref(c2.env[0], c2)
        return self.pick([f"{x} ** 4", f"sin({x}) * {x} ** 3", f"exp(0.5 * {x}) * {x} * {x}",
                          f"{x} ** 5 * 0.25 + {x}", f"cos({x}) * {x}"])

    # -- programs ---------------------------------------------------------------
    def entry(self, idx, ops):
        name = f"e{idx}"
        fid = self.new_fn()
        self.budget = 3
        self.loops = 0
        params, pkinds, env, anns = [], [], [], []
        nf = self.pick([1, 2, 2, 3])
        for _ in range(nf):
            x = self.fresh(self.pick("xyz"))
            a = f"{x}: float" if self.ch(0.3) else x
            params.append(a)
            pkinds.append("f")
            env.append(Var(x, "f", fid))
        if self.ch(0.2):
            p = self.fresh("p")
            pos = self.rng.randint(0, len(params))
            params.insert(pos, f"{p}: (float, float)")
            pkinds.insert(pos, "t")
            self.features.add("tuple_param")
            env += [Var(f"{p}[0]", "f", fid), Var(f"{p}[1]", "f", fid)]
        if self.lists and self.ch(0.6):
            self.features.add("list_entry_param")
            L = self.rng.randint(2, 4)
            xs = self.fresh("xs")
            pos = self.rng.randint(0, len(params))
            params.insert(pos, f"{xs}: list[float]")
            pkinds.insert(pos, f"l{L}")
            env.append(Var(xs, "l", fid, n=L))
        if self.ch(0.4):
            n = self.fresh("n")
            params.append(f"{n}: int")
            pkinds.append("i")
            self.features.add("int_param")
            env.append(Var(n, "i", fid))
        ret = "f" if self.ch(0.75) else "t"
        if self.lists and self.ch(0.2):
            ret = "l"
        lines = []
        ctx = Ctx(env, lines, fid, 0, 1, ret=ret)
        self.cap = False
        self.extras(ctx)
        if self.ch(0.12):
            cons = "toplevel_chain"
            self.features.add("toplevel_chain")
        else:
            cons = None
        if cons is None and self.ch(0.2):
            r = self.loop(ctx, lambda lc: self.chain(ops, lc))
        else:
            r = self.chain(ops, ctx, cons)
        cap = self.cap
        e = self.combine([r, self.atom(ctx)], ctx, unary=0.25, nonsmooth=0.05)
        if ret == "t":
            self.features.add("tuple_result")
            e = f"({e}, {self.combine([self.atom(ctx), self.atom(ctx)], ctx, nonsmooth=0)})"
        elif ret == "l":
            self.features.add("list_entry_result")
            ls = self.lvars(ctx)
            if ls and self.ch(0.5):
                e = f"[{e}] + {self.ref(self.pick(ls), ctx)}"
            else:
                e = f"[{e}, {self.combine([self.atom(ctx), self.atom(ctx)], ctx, nonsmooth=0)}]"
        hdr = f"def {name}({', '.join(params)})" + (" -> float" if ret == "f" and self.ch(0.3) else "")
        self.top.append([hdr + ":"] + lines + [f"    return {e}"])
        return {"name": name, "pkinds": pkinds, "ret": ret, "chain": tuple(ops), "cap": cap,
                # the object modes export NAME_grad: float parameters and result only
                "obj": ret == "f" and all(k in ("f", "i", "t") for k in pkinds)}


CYCLE = CHAINS + CHAINS[:16]      # pairs twice: a third of the entries nest two deep


def pending_bugs():
    """The known bugs not fixed yet: NAME of each tests/e2e/pending_NAME.my.txt."""
    e2e = os.path.join(ROOT, "tests", "e2e")
    return frozenset(f[len("pending_"):-len(".my.txt")] for f in os.listdir(e2e)
                     if f.startswith("pending_") and f.endswith(".my.txt"))


def gen_program(seed, k, depth=None, lists_rate=0.0, avoid=frozenset()):
    """(source, entries, features) for program k; depth: only chains of that many
    operators (1, 2 or 3; default: pairs and triples, in a cycle that covers every
    ordered pair and triple within 96 programs, and a few single operators);
    lists_rate: the fraction of programs with lists (--lists); avoid: the known bugs
    whose shapes are not generated (--avoid-known)."""
    rng = random.Random(f"nesttest:{seed}:{k}")
    g = Gen(rng, k, seed)
    # a separate stream picks the list programs, so that the others stay as they were
    g.lists = random.Random(f"nesttest-lists:{seed}:{k}").random() < lists_rate
    g.avoid = frozenset(avoid)
    if g.lists:
        g.features.add("lists")
    entries = []
    ne = 1 if rng.random() < 0.6 else 2
    for e in range(ne):
        r = rng.random()
        if depth:
            ops = tuple(rng.choice(OPS) for _ in range(depth))
        elif r < 0.88:
            ops = CYCLE[(7 * k + 29 * e + 17 * seed) % len(CYCLE)]
        elif r < 0.94:
            ops = (rng.choice(OPS),)
        else:
            ops = rng.choice(CHAINS)
        entries.append(g.entry(e, ops))
    src = "\n\n".join("\n".join(f) for f in g.top) + "\n"
    return src, entries, sorted(g.features)


# ---------------------------------------------------------------------------
# Sample points and the reference.

class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def rand_args(rng, pkinds):
    out = []
    for k in pkinds:
        if k == "f":
            out.append(repr(round(rng.uniform(-1.5, 1.5), 4)))
        elif k == "i":
            out.append(str(rng.randint(1, 3)))
        elif k[0] == "l":
            out.append("[" + ", ".join(repr(round(rng.uniform(-1.5, 1.5), 4))
                                       for _ in range(int(k[1:]))) + "]")
        else:
            out.append(f"({round(rng.uniform(-1.5, 1.5), 4)!r}, {round(rng.uniform(-1.5, 1.5), 4)!r})")
    return out


def arg_leaves(word):
    """The floats of an argument word (a float, a tuple or a list of floats)."""
    return [float(x) for x in mpref._leaves(mpref.parse_arg(word))]


def arg_word(word, leaves):
    """The argument word shaped like `word` with these floats."""
    def w(v):
        if type(v) is tuple:
            return "(" + ", ".join(w(e) for e in v) + ")"
        if type(v) is list:
            return "[" + ", ".join(w(e) for e in v) + "]"
        return repr(v)
    return w(mpref._rebuild(mpref.parse_arg(word), iter(leaves)))


def perturbed(args, pkinds):
    """The argument lists moved by +-PERTURB along each float argument."""
    out = []
    for i, k in enumerate(pkinds):
        if k == "i":
            continue
        leaves = arg_leaves(args[i])
        for j in range(len(leaves)):
            for s in (1, -1):
                lv = list(leaves)
                lv[j] += s * PERTURB
                a = list(args)
                a[i] = arg_word(args[i], lv)
                out.append(a)
    return out


def illcond_points(args, pkinds):
    """The argument lists with each float argument moved by a relative ILLCOND_REL
    (signs alternating), and last one list with all of them moved at once."""
    out = []
    allmoved = list(args)
    n = 0
    for i, k in enumerate(pkinds):
        if k == "i":
            continue
        leaves = arg_leaves(args[i])
        moved = list(leaves)
        for j, x in enumerate(leaves):
            s = 1 if n % 2 == 0 else -1
            n += 1
            lv = list(leaves)
            lv[j] = x + s * ILLCOND_REL * (abs(x) if x != 0 else 1.0)
            moved[j] = lv[j]
            a = list(args)
            a[i] = arg_word(args[i], lv)
            out.append(a)
        allmoved[i] = arg_word(args[i], moved)
    if n > 1:
        out.append(allmoved)
    return out, (allmoved if n else None)


def _moved_much(a, b):
    """Whether two oracle results differ by more than the comparison tolerance."""
    if type(a) in (tuple, list) or type(b) in (tuple, list):
        return not (type(a) is type(b) and len(a) == len(b)) or \
            any(_moved_much(x, y) for x, y in zip(a, b))
    if type(a) in (int, bool) or type(b) in (int, bool):
        return a != b
    return abs(a - b) > TOL * max(1, abs(a))


class GeneratorBug(Exception):
    pass


def reference(prog, e, args, want_grad, deadline):
    """(value, gradient or None) from the oracle, or raises Unreliable (redraw) /
    GeneratorBug.  Checks the decisions at nearby points."""
    signal.setitimer(signal.ITIMER_REAL, max(0.01, deadline))
    try:
        try:
            val, trace = prog.call(e["name"], args)
            for a in perturbed(args, e["pkinds"]):
                _, t2 = prog.call(e["name"], a, dps=20)
                if t2 != trace:
                    raise mpref.Unreliable("branch")
            g = prog.entry_gradient(e["name"], args) if want_grad else None
            # Ill-conditioning: if moving the float arguments by a relative
            # ILLCOND_REL (far below what a double computation's rounding
            # amounts to, e.g. sin of 1e14) moves the value or the gradient by
            # more than the comparison tolerance, no double computation can be
            # expected to match the reference: redraw.
            moves, allmoved = illcond_points(args, e["pkinds"])
            for a in moves:
                v2, t2 = prog.call(e["name"], a)
                if t2 != trace:
                    raise mpref.Unreliable("branch")
                if _moved_much(val, v2):
                    raise mpref.Unreliable("ill-conditioned")
            if g is not None and allmoved is not None:
                g2 = prog.entry_gradient(e["name"], allmoved)
                if len(g2) != len(g) or any(_moved_much(x, y) for x, y in zip(g, g2)):
                    raise mpref.Unreliable("ill-conditioned")
        except (mpref.Unreliable, _Timeout):
            raise
        except ValueError as ex:
            if "unpack" in str(ex):
                raise GeneratorBug(f"the oracle raised ValueError: {ex}")
            raise mpref.Unreliable(f"ValueError: {ex}")
        except (ZeroDivisionError, OverflowError, RecursionError) as ex:
            raise mpref.Unreliable(f"{type(ex).__name__}: {ex}")
        except Exception as ex:
            raise GeneratorBug(f"the oracle raised {type(ex).__name__}: {ex}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return val, g


def pick_points(seed, k, src, entries, npoints, want_grad, budget):
    """For each entry: a list of (args, value, gradient); and redraw counts."""
    import time
    prog = mpref.Program(src, f"nesttest_{seed}_{k}.my")
    redraws = {}
    out = []
    t0 = time.monotonic()
    for ei, e in enumerate(entries):
        pts = []
        attempt = 0
        while len(pts) < npoints and attempt < MAX_REDRAWS * npoints:
            rng = random.Random(f"nesttest-pt:{seed}:{k}:{ei}:{attempt}")
            attempt += 1
            args = rand_args(rng, e["pkinds"])
            left = budget - (time.monotonic() - t0)
            if left <= 0:
                redraws["oracle too slow"] = redraws.get("oracle too slow", 0) + 1
                break
            try:
                val, g = reference(prog, e, args, want_grad and e["obj"], left)
            except _Timeout:
                redraws["oracle too slow"] = redraws.get("oracle too slow", 0) + 1
                break
            except mpref.Unreliable as ex:
                why = str(ex)
                key = ("branch decision within 1e-6" if why == "branch" else
                       "ill-conditioned" if why == "ill-conditioned" else
                       "kink inside a derivative step" if "step" in why else
                       "domain/runtime error" if "domain" in why or "Error" in why else why)
                redraws[key] = redraws.get(key, 0) + 1
                continue
            pts.append((args, val, g))
        out.append(pts)
    return out, redraws


# ---------------------------------------------------------------------------
# Running myc.

def run(argv, timeout, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def first_error(err):
    """The message that matters in myc's stderr, on one line (warnings and the
    source lines and carets that follow them are left out)."""
    lines = [l.strip() for l in err.splitlines()]
    for key in ("internal error", "runtime error", "error:", "error"):
        for line in lines:
            if key in line and "warning:" not in line:
                return line[:300]
    return " | ".join(l for l in lines if l)[-300:]


def classify_status(rc, out, err, timeout):
    """(outcome, message) for a failed command, or None when it succeeded."""
    if rc is None:
        return "hang", f"timeout after {timeout} s"
    if "internal error" in err:
        return "crash", first_error(err)
    if rc < 0:
        return "crash", f"killed by signal {-rc}; {first_error(err)}"
    if rc == 1:
        return "rejected", first_error(err)
    if rc != 0:
        return "crash", f"status {rc}: {first_error(err) or out.strip()[:300]}"
    return None


def parse_out(text):
    text = text.strip()
    text = re.sub(r"\bnan\b", "float('nan')", text)
    text = re.sub(r"\binf\b", "float('inf')", text)
    try:
        return eval(text, {"__builtins__": {"float": float}})
    except Exception:
        return None


def close(got, ref):
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    r = float(ref)
    if math.isnan(got):
        return False
    return abs(got - r) <= TOL * max(1.0, abs(r))


def compare_value(got, ref):
    """None if got (a printed value parsed) matches the reference tree, else why."""
    if type(ref) in (tuple, list):
        if type(got) is not type(ref) or len(got) != len(ref):
            return f"shape: got {got!r}"
        for a, b in zip(got, ref):
            w = compare_value(a, b)
            if w:
                return w
        return None
    if type(ref) in (int, bool):
        return None if got == ref and type(got) is type(ref) else f"got {got!r}"
    return None if close(got, ref) else f"got {got!r}"


def same(a, b):
    """Two of myc's results agree (to the tolerance)."""
    if type(a) in (tuple, list) or type(b) in (tuple, list):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def fmt(v):
    if type(v) is tuple:
        return "(" + ", ".join(fmt(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if type(v) is list:
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, mpf):
        return mp.nstr(v, 17)
    return repr(v)


def flat_words(args):
    out = []
    for a in args:
        v = mpref.parse_arg(a)
        for x in (v if type(v) is tuple else (v,)):
            out.append(repr(float(x)) if isinstance(x, mpf) else str(x))
    return out


MAIN_HEAD = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>
#include "prog.h"
int main(int argc, char **argv) {
    if (argc < 2) return 2;
"""


def c_main(header, names):
    """A C main calling NAME and NAME_grad for each entry the header declares:
    `./exe NAME leaf...` prints the value, NAME_grad's value and the gradient."""
    body = [MAIN_HEAD]
    for nm in names:
        m = re.search(rf"double {nm}_grad\(([^)]*)\);", header)
        if not m:
            continue
        params = [p.strip() for p in m.group(1).split(",")]
        vals = [p for p in params if "*" not in p]
        ptrs = [p for p in params if "*" in p]
        body.append(f'    if (!strcmp(argv[1], "{nm}")) {{\n')
        body.append(f"        if (argc != {len(vals) + 2}) return 2;\n")
        cargs = []
        for i, p in enumerate(vals):
            ty = p.rsplit(" ", 1)[0]
            if ty == "double":
                body.append(f"        double a{i} = strtod(argv[{i + 2}], 0);\n")
            else:
                body.append(f"        {ty} a{i} = ({ty})strtoll(argv[{i + 2}], 0, 10);\n")
            cargs.append(f"a{i}")
        body.append(f"        double d[{max(1, len(ptrs))}];\n")
        body.append(f"        for (int i = 0; i < {max(1, len(ptrs))}; i++) d[i] = -12345.0;\n")
        body.append(f"        double v = {nm}({', '.join(cargs)});\n")
        gargs = cargs + [f"&d[{i}]" for i in range(len(ptrs))]
        body.append(f"        double vg = {nm}_grad({', '.join(gargs)});\n")
        body.append('        printf("%.17g\\n%.17g\\n", v, vg);\n')
        body.append(f'        for (int i = 0; i < {len(ptrs)}; i++) printf("%.17g\\n", d[i]);\n')
        body.append("        return 0;\n    }\n")
    body.append("    return 2;\n}\n")
    return "".join(body)


def check_program(opt, k):
    """Everything for program k: returns a dict of results (runs in a worker)."""
    src, entries, features = gen_program(opt.seed, k, opt.depth, opt.lists, opt.avoid)
    res = {"k": k, "src": src, "entries": [{kk: e[kk] for kk in ("name", "chain", "cap", "ret")}
                                            for e in entries],
           "features": features, "fails": [], "runs": {}, "redraws": {}, "generator": None,
           "bad_runs": [], "disagree": 0, "unchecked": 0, "points": 0}
    want_grad = any(m.startswith("obj") for m in opt.modes)
    try:
        points, redraws = pick_points(opt.seed, k, src, entries, opt.points, want_grad,
                                      opt.oracle_budget)
    except GeneratorBug as ex:
        res["generator"] = str(ex)
        return res
    except SyntaxError as ex:
        res["generator"] = f"the generator wrote invalid Python: {ex}"
        return res
    res["redraws"] = redraws
    res["unchecked"] = sum(1 for p in points if not p)
    tmp = tempfile.mkdtemp(prefix=f"nesttest_{opt.seed}_{k}_", dir=opt.tmpdir)
    try:
        path = f"nesttest_{opt.seed}_{k}.my"      # commands run in tmp: messages name this file
        with open(os.path.join(tmp, path), "w") as f:
            f.write(src)
        runs = []      # (entry, args, value, grad, {mode: (outcome, msg, got)})
        for e, pts in zip(entries, points):
            for args, val, g in pts:
                runs.append((e, args, val, g, {}))
        res["points"] = len(runs)
        for mode in opt.modes:
            if mode in RUN_FLAGS:
                for e, args, val, g, outs in runs:
                    argv = [opt.myc, "run"] + RUN_FLAGS[mode] + [path, e["name"]] + args
                    rc, out, err = run(argv, opt.timeout, cwd=tmp)
                    bad = classify_status(rc, out, err, opt.timeout)
                    if bad:
                        outs[mode] = bad + (None,)
                        continue
                    got = parse_out(out)
                    why = compare_value(got, val)
                    outs[mode] = (("wrong number", f"got {out.strip()[:200]}, expected {fmt(val)}",
                                   got) if why else ("pass", "", got))
            else:
                objruns = [r for r in runs if r[0]["obj"]]
                if objruns:
                    obj_mode(opt, mode, tmp, path, entries, objruns)
    finally:
        if not opt.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    for e, args, val, g, outs in runs:
        shown = " ".join(shlex.quote(a) for a in args)
        failed_here = False
        for mode in opt.modes:
            if mode not in outs:
                continue
            oc, msg, got = outs[mode]
            res["runs"][oc] = res["runs"].get(oc, 0) + 1
            if oc != "pass":
                failed_here = True
                msg = " ".join(msg.split())
                res["fails"].append((oc, f"{mode} {e['name']} {shown}: {oc}: {msg}"))
        # myc's modes against each other: the values they printed (the object modes'
        # FUNC value included), and the outcomes; but an object mode also computes
        # FUNC_grad, one more differentiation: its compile errors and wrong gradients
        # are not a disagreement by themselves
        vals = list(outs.items())
        kinds = set()
        for m, o in vals:
            if m in RUN_FLAGS:
                kinds.add(o[0])
            elif o[0] == "wrong number":
                kinds.add("pass" if close(o[2], val) else o[0])
            elif o[0] != "rejected":
                kinds.add(o[0])
        numbers = [o[2] for _, o in vals if o[2] is not None]
        differ = len(kinds) > 1 or any(not same(n, numbers[0]) for n in numbers[1:])
        if differ:
            res["disagree"] += 1
            summary = ", ".join(f"{m}={o[0]}" + (f" {fmt(o[2])}" if o[2] is not None else "")
                                for m, o in vals)
            res["fails"].append(("disagreement", f"modes {e['name']} {shown}: disagreement: {summary}"))
        if failed_here:
            res["bad_runs"].append((e["name"], args, val, g))
    return res


def obj_mode(opt, mode, tmp, path, entries, objruns):
    """Compiles the program to an object at -O0/-O2 with --grad for the float-valued
    entries, links a C main, runs each point."""
    lvl = mode.split("-")[1]
    names = sorted({r[0]["name"] for r in objruns})
    obj = os.path.join(tmp, f"prog_{lvl}.o")
    hdr = os.path.join(tmp, "prog.h")
    argv = [opt.myc, "-c", path, f"-{lvl}", "-o", obj, f"--header={hdr}"] + [f"--grad={n}" for n in names]
    rc, out, err = run(argv, opt.compile_timeout, cwd=tmp)
    bad = classify_status(rc, out, err, opt.compile_timeout)
    if bad:
        for e, args, val, g, outs in objruns:
            outs[mode] = (bad[0], f"myc -c -{lvl}: {bad[1]}", None)
        return
    with open(hdr) as f:
        header = f.read()
    with open(os.path.join(tmp, "main.c"), "w") as f:
        f.write(c_main(header, names))
    exe = os.path.join(tmp, f"prog_{lvl}")
    rc, out, err = run([opt.cc, "-o", exe, "-I", tmp, os.path.join(tmp, "main.c"), obj, opt.rt, "-lm"],
                       opt.timeout)
    if rc != 0:
        for e, args, val, g, outs in objruns:
            outs[mode] = ("crash", f"cc failed: {first_error(err) or err.strip()[:300]}", None)
        return
    for e, args, val, g, outs in objruns:
        rc, out, err = run([exe, e["name"]] + flat_words(args), opt.timeout)
        bad = classify_status(rc, out, err, opt.timeout)
        if bad:
            outs[mode] = bad + (None,)
            continue
        try:
            nums = [float(x) for x in out.split()]
        except ValueError:
            outs[mode] = ("crash", f"unreadable output {out.strip()[:200]!r}", None)
            continue
        if len(nums) != 2 + len(g):
            outs[mode] = ("wrong number", f"{len(nums) - 2} gradient components, expected {len(g)} "
                          f"(is {e['name']}_grad exported?)", None)
            continue
        probs = []
        if not close(nums[0], val):
            probs.append(f"{e['name']} = {nums[0]!r}, expected {fmt(val)}")
        if not close(nums[1], val):
            probs.append(f"{e['name']}_grad value = {nums[1]!r}, expected {fmt(val)}")
        for i, (a, b) in enumerate(zip(nums[2:], g)):
            if not close(a, b):
                probs.append(f"d[{i}] = {a!r}, expected {fmt(b)}")
        # the value as a number and the gradient as a list (compared across modes apart)
        outs[mode] = (("wrong number", "; ".join(probs), nums[0]) if probs
                      else ("pass", "", nums[0]))


# ---------------------------------------------------------------------------

def keep_text(opt, res):
    """The failing program with its header; locations in the messages are shifted to
    the lines of this file."""
    lines = [f"# nesttest.py --seed {opt.seed} --print {res['k']}",
             "# chains: " + ", ".join(f"{e['name']}: {chain_name(e['chain'])}"
                                      + (" (captures)" if e["cap"] else "") for e in res["entries"]),
             "# constructs: " + " ".join(res["features"])]
    for name, args, val, g in res["bad_runs"]:
        lines.append(f"# RUN: {name} {' '.join(shlex.quote(a) for a in args)}")
        lines.append(f"# REF: {fmt(val)}" + (f"  gradient {fmt(tuple(g))}" if g else ""))
    fails = [line for _, line in res["fails"]]
    shift = len(lines) + len(fails)
    name = f"nesttest_{opt.seed}_{res['k']}.my"
    for line in fails:
        line = re.sub(re.escape(name) + r":(\d+):",
                      lambda m: f"{name}:{int(m.group(1)) + shift}:", line)
        lines.append(f"# FAILED: {line}")
    return "\n".join(lines) + "\n" + res["src"]


def worker_init():
    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(20000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--myc", default=os.path.join(ROOT, "build/myc"))
    ap.add_argument("--rt", default=None, help="the runtime library for the object modes "
                    "(default: libmyrt.a next to --myc)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("-n", type=int, default=200, help="number of programs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first program index")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--keep", help="directory for failing programs")
    ap.add_argument("--keep-tmp", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--print", type=int, dest="print_k", help="print program K and exit")
    ap.add_argument("--timeout", type=float, default=20, help="seconds per myc command (default 20)")
    ap.add_argument("--compile-timeout", type=float, default=90,
                    help="seconds for `myc -c` in the object modes (default 90: LLVM's -O2 on "
                         "third-order code of a 25-line program takes 20 s; compile speed is "
                         "measured by `make bench`, not here)")
    ap.add_argument("--oracle-budget", type=float, default=60,
                    help="seconds of oracle per program (default 60); over it the rest of the "
                    "program's points are skipped and counted")
    ap.add_argument("--modes", default=",".join(ALL_MODES),
                    help="comma-separated subset of " + ",".join(ALL_MODES))
    ap.add_argument("--points", type=int, default=1, help="sample points per entry (default 1)")
    ap.add_argument("--stats", action="store_true", help="print the coverage table")
    ap.add_argument("--depth", type=int, choices=(1, 2, 3),
                    help="only chains of this many operators (1: no nesting, to check the "
                    "generator and the oracle against a compiler whose nesting is broken)")
    ap.add_argument("--lists", type=float, default=0.0, metavar="RATE",
                    help="the fraction of programs with lists (default 0): list[float] "
                    "parameters differentiated whole, lists built, read, changed and captured")
    ap.add_argument("--avoid-known", action="store_true",
                    help="do not generate the shapes of the known bugs (tests/e2e/pending_*.my.txt)")
    ap.add_argument("--selftest", action="store_true", help="check the oracle (mpref.py) and exit")
    opt = ap.parse_args()
    opt.avoid = pending_bugs() if opt.avoid_known else frozenset()
    if opt.selftest:
        return mpref.selftest()
    opt.modes = [m.strip() for m in opt.modes.split(",") if m.strip()]
    for m in opt.modes:
        if m not in ALL_MODES:
            ap.error(f"unknown mode {m!r}")
    if opt.rt is None:
        opt.rt = os.path.join(os.path.dirname(os.path.abspath(opt.myc)), "libmyrt.a")
    opt.myc = os.path.abspath(opt.myc)
    opt.rt = os.path.abspath(opt.rt)
    if opt.print_k is not None:
        worker_init()
        src, entries, features = gen_program(opt.seed, opt.print_k, opt.depth, opt.lists, opt.avoid)
        points, _ = pick_points(opt.seed, opt.print_k, src, entries, opt.points, False,
                                opt.oracle_budget)
        print(f"# nesttest.py --seed {opt.seed} --print {opt.print_k}")
        print("# chains: " + ", ".join(f"{e['name']}: {chain_name(e['chain'])}"
                                       + (" (captures)" if e["cap"] else "") for e in entries))
        print("# constructs: " + " ".join(features))
        for e, pts in zip(entries, points):
            for args, val, g in pts:
                print(f"# RUN: {e['name']} {' '.join(shlex.quote(a) for a in args)}")
                print(f"# REF: {fmt(val)}")
        print(src, end="")
        return 0
    if not os.path.exists(opt.myc):
        ap.error(f"no myc at {opt.myc}")
    if any(m.startswith("obj") for m in opt.modes) and not os.path.exists(opt.rt):
        ap.error(f"no runtime library at {opt.rt} (--rt)")
    opt.tmpdir = tempfile.mkdtemp(prefix="myc-nesttest-")
    if opt.keep:
        os.makedirs(opt.keep, exist_ok=True)

    passed = failed = 0
    prog_outcomes = {}
    run_outcomes = {}
    redraws = {}
    feat = {}          # construct -> [programs, failed]
    chains = {}        # (chain, cap) -> [programs, failed]
    disagree_runs = disagree_progs = unchecked = points = 0
    generator_bugs = 0
    with concurrent.futures.ProcessPoolExecutor(max(1, opt.j), initializer=worker_init) as pool:
        futs = [pool.submit(check_program, opt, k) for k in range(opt.start, opt.start + opt.n)]
        for fut in futs:
            res = fut.result()
            k = res["k"]
            bad = bool(res["fails"]) or res["generator"] is not None
            if res["generator"] is not None:
                generator_bugs += 1
                print(f"FAIL seed={opt.seed} prog={k} generator: {res['generator']}", flush=True)
            for oc, line in res["fails"]:
                print(f"FAIL seed={opt.seed} prog={k} {line}", flush=True)
            for oc, c in res["runs"].items():
                run_outcomes[oc] = run_outcomes.get(oc, 0) + c
            for oc in {oc for oc, _ in res["fails"]}:
                prog_outcomes[oc] = prog_outcomes.get(oc, 0) + 1
            for r, c in res["redraws"].items():
                redraws[r] = redraws.get(r, 0) + c
            disagree_runs += res["disagree"]
            disagree_progs += res["disagree"] > 0
            unchecked += res["unchecked"]
            points += res["points"]
            for f_ in res["features"]:
                row = feat.setdefault(f_, [0, 0])
                row[0] += 1
                row[1] += bad
            seen = set()
            for e in res["entries"]:
                ch = e["chain"]
                subs = {ch} | {ch[i:i + 2] for i in range(len(ch) - 1)}
                for s in subs:
                    if len(s) >= 2 and (s, e["cap"]) not in seen:
                        seen.add((s, e["cap"]))
                        row = chains.setdefault((s, e["cap"]), [0, 0])
                        row[0] += 1
                        row[1] += bad
            if bad:
                failed += 1
                if opt.keep:
                    with open(os.path.join(opt.keep, f"nesttest_{opt.seed}_{k}.my"), "w") as f:
                        f.write(keep_text(opt, res))
            else:
                passed += 1
    shutil.rmtree(opt.tmpdir, ignore_errors=True)

    total_runs = sum(run_outcomes.values())
    print(f"runs ({total_runs}, at {points} points x {len(opt.modes)} modes): " +
          ", ".join(f"{oc} {run_outcomes.get(oc, 0)}" for oc in OUTCOMES))
    print(f"programs ({opt.n}) with at least one: " +
          ", ".join(f"{oc} {prog_outcomes.get(oc, 0)}" for oc in OUTCOMES[1:]) +
          f", disagreement {disagree_progs} ({disagree_runs} runs)" +
          (f", generator bug {generator_bugs}" if generator_bugs else ""))
    print(f"points redrawn: {sum(redraws.values())}" +
          (" (" + ", ".join(f"{r}: {c}" for r, c in sorted(redraws.items(), key=lambda kv: -kv[1]))
           + ")" if redraws else "") + f"; entries left without a point: {unchecked}")
    if opt.stats:
        print("constructs (programs / failed):")
        for f_, (n, b) in sorted(feat.items()):
            print(f"  {f_:24s} {n:6d} {b:6d}")
        print("operator chains, outer>inner (programs / failed; with an inner function capturing "
              "a differentiated variable | without):")
        for ch in CHAINS:
            a = chains.get((ch, True), [0, 0])
            b = chains.get((ch, False), [0, 0])
            print(f"  {chain_name(ch):16s} capt {a[0]:5d} {a[1]:5d}   no-capt {b[0]:5d} {b[1]:5d}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
