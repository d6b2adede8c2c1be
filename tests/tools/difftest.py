#!/usr/bin/env python3
"""difftest.py: differential fuzzing of `myc run` against CPython.

    python3 tests/tools/difftest.py --myc build/myc [--san build/san/myc]
        [-n 300] [--seed 1] [--keep DIR] [-j 2] [--print K] [--print-export K]
        [--poly RATE] [--lists RATE] [--run-flag FLAG] [--avoid-known] [--no-dumps]
        [--san-dumps some|all] [--dot-render] [--verbose]

Generates random, valid `.my` programs inside the contract's language (see
/work/shared/spec/LANGUAGE.md and docs/language.md), deterministically from
(seed, program index), runs each program's entry functions on random
arguments with CPython (builtins bound exactly as tests/tools/cpython_ref.py
binds them) and with `myc run --verify-ir` (and the sanitizer build when
`--san` is given), and reports every disagreement: a different value (floats
to 1e-12 relative, ints and bools exactly, nan == nan, the sign of a zero), a
different status or runtime-error message, a compile error on a valid
program, a crash (signal), a hang (timeout) or a sanitizer report.

What the generator covers: int/float/bool arithmetic with Python semantics
(`+ - * / // %`, `**` with constant exponents, negative operands, bools as
ints), comparisons and chains, `and`/`or`/`not`, conditional expressions,
`if`/`elif`/`else`, `while` loops with several carried variables (bounded),
`for` over `range` with one, two or three arguments (negative and variable
steps, an existing variable as the loop variable), `break`/`continue`/`return`
in nested loops, tuples (displays, constant indexing incl. negative, nested,
unpacking incl. nested), lambdas and nested `def`s (closures: a captured
variable is never rebound while the closure is alive, also when a variable
of an enclosing block or loop keeps the closure), closures returned from
helpers and functions passed as values (builtins, top-level functions),
self and mutual recursion with a depth bound, top-level constants, builtins
with arguments kept in their domains, annotated parameters, expression
statements, one-line bodies and `;`.

What it avoids (the contract's documented differences and the limits of a
fair comparison): a variable whose type differs between paths (every variable
has one type), int overflow (the CPython run checks every int operation and
drops runs that leave 64 bits), float division by zero, math domain errors,
OverflowError (CPython raises; those runs are dropped), `int ** variable`,
`and`/`or`/conditional expressions/`min`/`max` mixing types, an int passed
to a `float`-annotated parameter inside the program, and rebinding a captured
variable before the closure is called.

Polymorphic mode (`--poly RATE`, the fraction of programs, default 0.3; a
separate random stream picks them, so the other programs are exactly the plain
generator's): a type variable N that is int in one specialisation and float in
another; helpers with N parameters (also N inside tuples, and function
parameters over N) called directly at N = int and N = float (and at N from N
code); higher-order templates written once and used at many types (apply,
apply2, twice, iterate and recsum passing g down a recursion, fold, pmap,
compose, the factories scale and adder whose closures are kept and called
later, pick, thunk, flip), taking lambdas, nested defs, helpers, polymorphic
helpers used as values and builtins (abs, max, floor, ... at their several
signatures); function values stored in variables and passed on later.  Every
function value still reaches its calls with one signature.

List mode (`--lists RATE`, the fraction of programs, default 0.2; a separate
random stream picks them, so the other programs are exactly the plain and
polymorphic generators'): programs with lists (contract section 5), written by
tests/tools/difftest_lists.py (its docstring lists what they use): list
parameters (arguments `"[1.0, 2.5]"`) and results (printed as CPython's repr,
compared item by item as above), comprehensions, in-place updates in loops,
lists in tuples and closures, helpers that change their parameter, recursion
over a list.  About 45% of them contain one of the aliasing shapes of
contract 5.3 (another variable, a tuple, a closure, a top-level constant,
repeated rows, a shallow copy of a matrix, a call that changes its argument),
in a variant myc must reject (the other reference is used after the change)
or in an accepted one (used only before, or an explicit copy).  CPython runs
them with Python's own len, sum, list, enumerate and zip bound too, and with
augmented assignments kept in place.  myc's answer is judged per entry
function: accepted, it must match CPython (even for a program the generator
knows is an alias shape: myc must never give a different answer); rejected,
it must be with located aliasing errors (`file:line:col: error:`, status 1;
any other compile error is a failure), and an error at a change the generator
tagged as an idiom of 5.3 that must be accepted (a list made in the function
filled or updated in loops, `for i, x in enumerate(a): a[i] = ...`, swapped
buffers, rows replaced whole, a copy changed, an alias never used again,
`u = step(u)`, recursion passing the list on) is a failure.  Rejections
elsewhere in programs the generator thought fine are counted and listed, not
failures.  A line `lists: ...` before the last one gives the counts.
`--run-flag FLAG` passes FLAG to every `myc run` (`--run-flag=--interp`).

IR dumps (unless `--no-dumps`): every program also goes through
`--dump-ir=parse --verify-ir` (must succeed), `--dump-ir=infer --verify-ir`
(export mode: the program as generated may be rejected, its int parameters
being floats there, but only with located errors, never a crash, an internal
error or a sanitizer report), and its export variant (every non-float
parameter of the top-level functions annotated, so export mode types them as
the program does) through `--dump-ir=infer --verify-ir` and `--dump-ir=infer
--ir-format=dot`: status 0, no error, no warning but the captured-variable one,
and the exported functions exactly those whose signature involves no function
(those with an unannotated function parameter may or may not be).
`--dot-render` also renders the dot output with `dot -Tsvg`.  List programs get the
parse and infer dumps of the program only (no export variant), both lenient:
located errors allowed, as the program may be an alias shape.

`--avoid-known` does not generate the shapes of the known bugs not yet fixed:
each avoidance names its tests/e2e/pending_NAME.my.txt and holds only while
that file exists (a fixed bug's shapes come back by themselves); `make check`
uses it.

Each problem prints one line `FAIL seed=S prog=K FUNC ARGS: what`; with
`--keep DIR` the program is saved as DIR/difftest_S_K.my with `# RUN:` lines
for the failing runs (ready to minimise into tests/e2e/).  `--print K` prints
program K and exits.  The last line is always `N passed, N failed` (counting
programs); exit status 1 if any program failed.
"""

import __future__
import argparse
import ast
import concurrent.futures
import math
import operator
import os
import random
import re
import shlex
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

from run_tests import parse_value as parse_printed, values_equal, sanitizer_report  # noqa: E402
from cpython_ref import BUILTINS, SHARED_RUNTIME_ERRORS, RefError, convert_arg, error_line  # noqa: E402
from difftest_lists import gen_list_program  # noqa: E402

INT_MIN, INT_MAX = -2**63, 2**63 - 1
TIMEOUT = 20          # seconds per myc command
REF_TIMEOUT = 2.0     # seconds of CPython per run

# ---------------------------------------------------------------------------
# Types: 'int', 'float', 'bool', ('tup', (T, ...)), ('fn', (T, ...), T).

SCALARS = ("int", "float", "bool")


def is_tup(t):
    return isinstance(t, tuple) and t[0] == "tup"


def is_fn(t):
    return isinstance(t, tuple) and t[0] == "fn"


def has_fn(t):
    if is_fn(t):
        return True
    if is_tup(t):
        return any(has_fn(e) for e in t[1])
    return False


def has_n(t):
    """Does t mention the type variable 'N' (int or float, fixed per specialisation)?"""
    if t == "N":
        return True
    if is_tup(t):
        return any(has_n(e) for e in t[1])
    if is_fn(t):
        return any(has_n(e) for e in t[1]) or has_n(t[2])
    return False


def subst(t, n):
    """t with the type variable 'N' replaced by n."""
    if t == "N":
        return n
    if is_tup(t):
        return ("tup", tuple(subst(e, n) for e in t[1]))
    if is_fn(t):
        return ("fn", tuple(subst(e, n) for e in t[1]), subst(t[2], n))
    return t


def promote(a, b):
    """The type of `a * b` / `a + b` for a, b in int, float, bool, N."""
    if "float" in (a, b):
        return "float"
    if "N" in (a, b):
        return "N"
    return "int"


def xann_str(t):
    """ann_str, also for 1-tuples: `(int,)` (export mode's annotations)."""
    if is_tup(t) and len(t[1]) == 1 and not has_fn(t) and not has_n(t):
        inner = xann_str(t[1][0])
        return f"({inner},)" if inner else None
    if is_tup(t) and len(t[1]) >= 2 and not has_fn(t) and not has_n(t):
        inner = [xann_str(e) for e in t[1]]
        return "(" + ", ".join(inner) + ")" if all(inner) else None
    return ann_str(t)


def ann_str(t):
    if t in SCALARS:
        return t
    if is_tup(t) and len(t[1]) >= 2 and not has_fn(t) and not has_n(t):
        return "(" + ", ".join(ann_str(e) for e in t[1]) + ")"
    return None


# Precedence levels (higher binds tighter).
P_LAMBDA, P_IFEXP, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_UNARY, P_POW, P_ATOM = \
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12


def par(e, p):
    """e = (text, prec); parenthesised if it binds looser than p."""
    text, prec = e
    return text if prec >= p else "(" + text + ")"


# ---------------------------------------------------------------------------
# Scopes and variables.

class Var:
    def __init__(self, name, ty, owner, const=False):
        self.name, self.ty, self.owner, self.const = name, ty, owner, const
        self.frozen = 0          # > 0: captured by a live closure, never rebound
        self.caps = set()        # variables captured by the closures its value may hold


class Scope:
    def __init__(self, parent, fn):
        self.parent, self.fn, self.vars, self.frozen = parent, fn, [], []
        self.defs = []           # nested defs callable here: (name, type, cost, rec param)

    def visible(self):
        s, out = self, []
        while s:
            out.extend(s.vars)
            s = s.parent
        return out


class Fn:
    """A function being generated (top-level, nested def or lambda)."""
    def __init__(self, name, params, ret, parent=None, def_scope=None):
        self.name, self.params, self.ret = name, params, ret
        self.parent, self.def_scope = parent, def_scope
        self.loops = []          # stack of 'for' / 'while'
        self.frames = []         # one Loop per entry of loops
        self.mult = 1            # iterations of the enclosing loops (cost estimate)
        self.cost = 0
        self.rec = None          # (name, params, ret, index of the bound int parameter)
        self.nrec = 0            # recursive calls written so far


class Loop:
    """A loop being generated: the variables (nested defs too) visible at its entry,
    and those of them rebound in it so far (by its header or its body)."""
    def __init__(self, outer):
        self.outer = outer
        self.rebound = set()


class Helper:
    def __init__(self, name, params, ret, index):
        self.name, self.params, self.ret, self.index = name, params, ret, index
        self.cost = 1
        self.anns = [None] * len(params)
        self.rec_param = None
        self.poly = False        # params/result mention N: called at N = int and N = float


FLOAT_FNS = ("sin", "cos", "atan", "tanh", "erf", "expm1_safe")

# Polymorphic mode (--poly): top-level higher-order functions written once and
# used at many types.  `{n}` is the function's name.  Their parameters are never
# annotated, so none of them is exported (a function parameter or result).
TEMPLATES = {
    "apply": ["def {n}(g, x):", "    return g(x)"],
    "apply2": ["def {n}(g, x, y):", "    return g(x, y)"],
    "twice": ["def {n}(g, x):", "    return g(g(x))"],
    "iterate": ["def {n}(g, k, x):", "    if k <= 0:", "        return x",
                "    return {n}(g, k - 1, g(x))"],
    "fold": ["def {n}(g, k, acc):", "    for i in range(k):", "        acc = g(acc, i)",
             "    return acc"],
    "recsum": ["def {n}(g, k, x):", "    if k <= 0: return g(x)",
               "    return g(x) + {n}(g, k - 1, x)"],
    "pmap": ["def {n}(g, p):", "    return g(p[0]), g(p[1])"],
    "compose": ["def {n}(f, g):", "    return lambda x: f(g(x))"],
    "scale": ["def {n}(k):", "    return lambda x: x * k"],
    "adder": ["def {n}(k):", "    def add(x):", "        return x + k", "    return add"],
    "pick": ["def {n}(c, f, g):", "    return f if c else g"],
    "thunk": ["def {n}(f, x):", "    return lambda: f(x)"],
    "flip": ["def {n}(f):", "    return lambda a, b: f(b, a)"],
}
VALUE_TEMPLATES = ("apply", "apply2", "twice", "iterate", "fold", "recsum", "pmap")
FN_TEMPLATES = ("compose", "scale", "adder", "pick", "thunk", "flip")
# Builtins usable as function values, by (params, result).
BUILTIN_VALUES = {
    (("float",), "float"): ("sin", "cos", "atan", "tanh", "erf", "exp", "sqrt", "abs"),
    (("int",), "int"): ("abs", "int", "floor", "ceil"),
    (("float",), "int"): ("floor", "ceil", "int"),
    (("int",), "float"): ("float", "sin", "atan", "tanh"),
    (("float", "float"), "float"): ("max", "min", "atan2"),
    (("int", "int"), "int"): ("max", "min"),
    (("int", "int"), "float"): ("atan2",),
}


class Gen:
    MAX_COST = 4000

    def __init__(self, rng):
        self.r = rng
        self.counter = 0
        self.helpers = []
        self.lines = []
        self.consts = []
        self.poly = False        # polymorphic calls, higher-order templates (--poly)
        self.avoid = frozenset() # the known bugs to steer clear of (--avoid-known):
                                 # NAME of each tests/e2e/pending_NAME.my.txt
        self.templates = {}      # template kind -> the name it is defined under
        self.export_hdr = {}     # top-level function -> its `def` line for export mode
        self.sinks = []          # the capture sets of the expressions being collected
        self.def_vars = {}       # nested def name -> its Var (caps: what its body captured)

    # -- small utilities -------------------------------------------------
    def fresh(self, prefix="v"):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(seq)

    def rand_scalar(self):
        return self.r.choice(("int", "int", "float", "float", "float", "bool"))

    def rand_type(self, depth=0, allow_fn=False):
        x = self.r.random()
        if depth < 2 and x < 0.18:
            n = self.r.choice((1, 2, 2, 2, 3))
            return ("tup", tuple(self.rand_type(depth + 1) for _ in range(n)))
        if allow_fn and x < 0.25:
            return self.rand_fn_type()
        return self.rand_scalar()

    def rand_fn_type(self, scope=None):
        if self.poly:
            n = self.r.choice((0, 1, 1, 1, 2, 2))
            pool = ["int", "float", "float"] + (["N", "N"] if scope and self.n_ok(scope) else [])
            return ("fn", tuple(self.pick(pool) for _ in range(n)),
                    self.pick(pool + ["bool"]))
        n = self.r.choice((1, 1, 2))
        return ("fn", tuple(self.r.choice(("int", "float", "float")) for _ in range(n)),
                self.r.choice(("int", "float", "float", "bool")))

    # -- literals ----------------------------------------------------------
    def int_lit(self, small=False):
        x = self.r.random()
        if small or x < 0.7:
            v = self.r.randint(-6, 12)
        elif x < 0.9:
            v = self.r.randint(-100, 100)
        else:
            v = self.r.randint(-5000, 5000)
        if v >= 1000 and self.chance(0.3):
            s = f"{v:_}"
        else:
            s = str(abs(v))
        return ("-" + s, P_UNARY) if v < 0 else (s, P_ATOM)

    def float_lit(self):
        x = self.r.random()
        if x < 0.5:
            v = self.r.choice((0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 0.25, 0.1, 10.0, 0.75, 4.0, 7.5))
        elif x < 0.8:
            v = round(self.r.uniform(-10, 10), self.r.randint(0, 4))
        else:
            v = self.r.uniform(-3, 3) * 10.0 ** self.r.randint(-6, 6)
        neg = v < 0 or (v == 0 and math.copysign(1, v) < 0)
        s = repr(abs(v))
        if s.endswith(".0") and self.chance(0.15):
            s = s[:-1]                      # `2.`
        elif s.startswith("0.") and self.chance(0.15):
            s = s[1:]                       # `.5`
        elif "e" in s and self.chance(0.3):
            s = s.upper()
        return ("-" + s, P_UNARY) if neg else (s, P_ATOM)

    def bool_lit(self):
        return (self.pick(("True", "False")), P_ATOM)

    def lit(self, ty):
        if ty == "int":
            return self.int_lit()
        if ty == "float":
            return self.float_lit()
        if ty == "bool":
            return self.bool_lit()
        if is_tup(ty):
            return self.tuple_display(ty, 0, None)
        raise ValueError(ty)

    # -- variables -----------------------------------------------------------
    def read_var(self, v, fn):
        """Reading v from fn: freezes v if it is captured by a closure.  The expressions
        being collected (collect) note v if captured, and what v's closures captured."""
        captured = False
        if not (v.const or v.owner is fn):
            f = fn
            while f is not None and f.parent is not v.owner:
                f = f.parent
            if f is not None and f.def_scope is not None:
                v.frozen += 1
                f.def_scope.frozen.append(v)
                captured = True
        for sink in self.sinks:
            sink |= v.caps
            if captured:
                sink.add(v)
        return (v.name, P_ATOM)

    def collect(self, gen):
        """(gen(), the variables captured by the closures gen's expression makes or reads:
        those its value may hold)."""
        self.sinks.append(set())
        try:
            e = gen()
        finally:
            caps = self.sinks.pop()
        return e, caps

    def enter_loop(self, kind, scope, fn):
        fn.loops.append(kind)
        outer = set(scope.visible())
        s = scope
        while s:
            outer.update(self.def_vars[d[0]] for d in s.defs)
            s = s.parent
        fn.frames.append(Loop(outer))

    def leave_loop(self, fn):
        fn.loops.pop()
        fn.frames.pop()

    def rebind(self, v, fn):
        """v is rebound here: noted in the enclosing loops, whose next iteration rebinds it."""
        for loop in fn.frames:
            loop.rebound.add(v)

    def may_hold(self, v, caps, scope, fn):
        """May the existing variable v take a value whose closures captured caps?  Not if
        they captured v itself (the assignment rebinds it while they can be called), nor
        when v outlives the iteration of an enclosing loop and they captured a variable
        that loop binds or rebinds (its next iteration does, v's closures still callable).
        If it may, caps stay frozen as long as v is visible, not only where the closures
        were made, and v's later readers carry them on."""
        own = {c for c in caps if c.owner is fn}
        if v in own:
            return False
        for loop in fn.frames:
            if v in loop.outer and any(c not in loop.outer or c in loop.rebound for c in own):
                return False
        s = scope
        while v not in s.vars:
            s = s.parent
        for c in own:
            c.frozen += 1
            s.frozen.append(c)
        v.caps |= caps
        return True

    def vars_of(self, scope, pred):
        return [v for v in scope.visible() if pred(v.ty)]

    def var_of_type(self, ty, scope, fn):
        vs = self.vars_of(scope, lambda t: t == ty)
        if not vs:
            return None
        return self.read_var(self.pick(vs), fn)

    def tuple_paths(self, ty, scope):
        """Expressions `t[i][j]` of type ty inside visible tuple variables."""
        out = []

        def walk(v, t, path):
            for i, et in enumerate(t[1]):
                idx = i if self.chance(0.6) else i - len(t[1])
                p = path + [idx]
                if et == ty:
                    out.append((v, p))
                if is_tup(et):
                    walk(v, et, p)
        for v in scope.visible():
            if is_tup(v.ty):
                walk(v, v.ty, [])
        return out

    # -- expressions -----------------------------------------------------------
    def expr(self, ty, d, scope, fn):
        if ty == "int":
            return self.int_expr(d, scope, fn)
        if ty == "float":
            return self.float_expr(d, scope, fn)
        if ty == "bool":
            return self.bool_expr(d, scope, fn)
        if is_tup(ty):
            return self.tuple_expr(ty, d, scope, fn)
        if is_fn(ty):
            return self.fn_expr(ty, d, scope, fn)
        if ty == "N":
            return self.n_expr(d, scope, fn)
        raise ValueError(ty)

    def leaf(self, ty, scope, fn):
        if self.chance(0.65):
            v = self.var_of_type(ty, scope, fn)
            if v:
                return v
        if is_fn(ty):
            return self.fn_expr(ty, 0, scope, fn)
        return self.lit(ty)

    def num_expr(self, d, scope, fn, allow_bool=True):
        if self.poly and self.n_ok(scope) and self.chance(0.3):
            return self.n_expr(d, scope, fn), "N"
        t = self.r.choice(("int", "float", "bool") if allow_bool else ("int", "float"))
        return self.expr(t, d, scope, fn), t

    def common(self, ty, d, scope, fn):
        """Forms shared by every type; None if the dice say otherwise."""
        x = self.r.random()
        if x < 0.08:
            c = self.cond(d - 1, scope, fn)
            a = self.expr(ty, d - 1, scope, fn)
            b = self.expr(ty, d - 1, scope, fn)
            return (f"{par(a, P_OR)} if {par(c, P_OR)} else {par(b, P_IFEXP)}", P_IFEXP)
        if x < 0.16:
            paths = self.tuple_paths(ty, scope)
            if paths:
                v, p = self.pick(paths)
                self.read_var(v, fn)
                return (v.name + "".join(f"[{i}]" for i in p), P_ATOM)
        if x < 0.26:
            c = self.call(ty, d, scope, fn)
            if c:
                return c
        if x < 0.29 and ty in ("int", "float", "bool", "N"):
            a = self.expr(ty, d - 1, scope, fn)
            b = self.expr(ty, d - 1, scope, fn)
            op = self.pick(("and", "or"))
            p = P_AND if op == "and" else P_OR
            return (f"{par(a, p)} {op} {par(b, p + 1)}", p)
        return None

    def int_expr(self, d, scope, fn):
        if d <= 0:
            return self.leaf("int", scope, fn)
        c = self.common("int", d, scope, fn)
        if c:
            return c
        x = self.r.random()
        if x < 0.3:
            op = self.pick(("+", "-", "*", "+", "-"))
            a = self.expr(self.pick(("int", "int", "bool")), d - 1, scope, fn)
            b = self.expr(self.pick(("int", "int", "bool")), d - 1, scope, fn)
            p = P_ADD if op in "+-" else P_MUL
            return (f"{par(a, p)} {op} {par(b, p + 1)}", p)
        if x < 0.42:
            op = self.pick(("//", "%"))
            a = self.expr(self.pick(("int", "int", "bool")), d - 1, scope, fn)
            b = self.int_divisor(d - 1, scope, fn)
            return (f"{par(a, P_MUL)} {op} {par(b, P_MUL + 1)}", P_MUL)
        if x < 0.48:
            base = self.expr(self.pick(("int", "int", "bool")), d - 1, scope, fn)
            k = self.pick((0, 1, 2, 2, 3))
            return (f"{par(base, P_POW + 1)} ** {k}", P_POW)
        if x < 0.54:
            a = self.expr(self.pick(("int", "bool")), d - 1, scope, fn)
            return (f"{self.pick(('-', '+', '-'))}{par(a, P_UNARY)}", P_UNARY)
        if x < 0.66:
            b = self.pick(("abs", "min", "max", "floor", "ceil", "int", "int"))
            if b == "abs":
                return (f"abs({self.expr('int', d - 1, scope, fn)[0]})", P_ATOM)
            if b in ("min", "max"):
                n = self.pick((2, 2, 3))
                args = ", ".join(par(self.expr("int", d - 1, scope, fn), P_IFEXP) for _ in range(n))
                return (f"{b}({args})", P_ATOM)
            a = self.expr(self.pick(("float", "float", "int", "bool")), d - 1, scope, fn) \
                if not (self.poly and self.n_ok(scope) and self.chance(0.4)) \
                else self.n_expr(d - 1, scope, fn)
            return (f"{b}({par(a, P_IFEXP)})", P_ATOM)
        return self.leaf("int", scope, fn)

    def int_divisor(self, d, scope, fn):
        x = self.r.random()
        if x < 0.45:
            v = self.pick((1, 2, 3, 4, 5, 7, 10, -1, -2, -3, -7))
            return (str(v), P_ATOM) if v > 0 else (str(v), P_UNARY)
        if x < 0.8:
            e = self.expr("int", d, scope, fn)
            k = self.pick((3, 4, 5, 9))
            return (f"({par(e, P_MUL)} % {k} + 1)", P_ATOM)
        return self.expr("int", d, scope, fn)      # may be 0: a runtime error in both

    def float_divisor(self, d, scope, fn):
        x = self.r.random()
        if x < 0.4:
            return self.pick((("2.0", P_ATOM), ("0.5", P_ATOM), ("3", P_ATOM), ("-1.5", P_UNARY),
                              ("7.25", P_ATOM), ("-4", P_UNARY)))
        if x < 0.8:
            e = self.expr(self.pick(("float", "int")), d, scope, fn)
            return (f"({par(e, P_MUL)} * {par(e, P_MUL + 1)} + 0.5)", P_ATOM) if self.chance(0.5) \
                else (f"(abs({e[0]}) + 1)", P_ATOM)
        return self.expr(self.pick(("float", "int")), d, scope, fn)   # CPython may raise: dropped

    def float_expr(self, d, scope, fn):
        if d <= 0:
            return self.leaf("float", scope, fn)
        c = self.common("float", d, scope, fn)
        if c:
            return c
        x = self.r.random()
        if x < 0.25:
            op = self.pick(("+", "-", "*"))
            a, b = self.float_operands(d - 1, scope, fn)
            p = P_ADD if op in "+-" else P_MUL
            return (f"{par(a, p)} {op} {par(b, p + 1)}", p)
        if x < 0.33:
            a, _ = self.num_expr(d - 1, scope, fn)
            b = self.float_divisor(d - 1, scope, fn)
            return (f"{par(a, P_MUL)} / {par(b, P_MUL + 1)}", P_MUL)
        if x < 0.41:
            op = self.pick(("//", "%"))
            a, ta = self.num_expr(d - 1, scope, fn)
            if ta != "float":
                a = (f"float({a[0]})", P_ATOM)
            b = self.float_divisor(d - 1, scope, fn)
            return (f"{par(a, P_MUL)} {op} {par(b, P_MUL + 1)}", P_MUL)
        if x < 0.48:
            e = self.float_expr(d - 1, scope, fn)
            k = self.pick((0, 1, 2, 2, 3, -1, -2))
            if self.chance(0.7):
                ks = str(k) if k >= 0 else f"-{-k}"
            else:
                ks = f"{k}.0" if k >= 0 else f"-{-k}.0"
            return (f"{par(e, P_POW + 1)} ** {ks}", P_POW)
        if x < 0.51:
            e, t = self.num_expr(d - 1, scope, fn)
            k = self.pick(("0.5", "1.5", "0.25", "2.5"))
            return (f"(abs({e[0]}) + 0.5) ** {k}", P_POW)
        if x < 0.54:
            e = self.expr("int", d - 1, scope, fn)
            k = self.pick(("-1", "-2"))
            return (f"(abs({e[0]}) + 1) ** {k}", P_POW)     # int ** negative constant: float
        if x < 0.58:
            a = self.float_expr(d - 1, scope, fn)
            return (f"{self.pick(('-', '+', '-'))}{par(a, P_UNARY)}", P_UNARY)
        if x < 0.8:
            return self.float_builtin(d - 1, scope, fn)
        if x < 0.84:
            e, _ = self.num_expr(d - 1, scope, fn)
            return (f"float({e[0]})", P_ATOM)
        return self.leaf("float", scope, fn)

    def float_operands(self, d, scope, fn):
        if self.poly and self.n_ok(scope) and self.chance(0.3):
            a, b = self.expr("N", d, scope, fn), self.expr("float", d, scope, fn)
            return (a, b) if self.chance(0.5) else (b, a)
        ta = self.pick(("float", "float", "int", "bool"))
        tb = "float" if ta != "float" else self.pick(("float", "float", "int", "bool"))
        if self.chance(0.5):
            ta, tb = tb, ta
        return self.expr(ta, d, scope, fn), self.expr(tb, d, scope, fn)

    def float_builtin(self, d, scope, fn):
        b = self.pick(("sin", "cos", "tan", "atan", "atan2", "tanh", "sinh", "cosh", "exp",
                       "expm1", "log", "log1p", "sqrt", "asin", "acos", "pow", "erf",
                       "abs", "min", "max", "sqrt", "log"))

        def arg():
            e, _ = self.num_expr(d, scope, fn)
            return e
        if b in ("sin", "cos", "atan", "tanh", "erf"):
            return (f"{b}({arg()[0]})", P_ATOM)
        if b == "tan":
            return (f"tan({par(self.float_expr(d, scope, fn), P_MUL)} % 1.5)", P_ATOM)
        if b in ("sinh", "cosh", "exp", "expm1"):
            if self.chance(0.7):
                return (f"{b}({par(arg(), P_MUL)} % 20.0)", P_ATOM)
            return (f"{b}({arg()[0]})", P_ATOM)          # may overflow: CPython raises, dropped
        if b in ("log", "sqrt"):
            if self.chance(0.75):
                return (f"{b}(abs({arg()[0]}) + {self.pick(('0.5', '1', '1e-3', '2.0'))})", P_ATOM)
            return (f"{b}({arg()[0]})", P_ATOM)
        if b == "log1p":
            return (f"log1p(abs({arg()[0]}))", P_ATOM)
        if b in ("asin", "acos"):
            return (f"{b}({self.pick(('sin', 'cos', 'tanh'))}({arg()[0]}))", P_ATOM)
        if b == "atan2":
            return (f"atan2({arg()[0]}, {arg()[0]})", P_ATOM)
        if b == "pow":
            if self.chance(0.5):
                return (f"pow({arg()[0]}, {self.pick(('2', '3', '0', '1.0', '2.0', '-1'))})", P_ATOM)
            return (f"pow(abs({arg()[0]}) + 0.25, {par(self.float_expr(d, scope, fn), P_MUL)} % 3.0)",
                    P_ATOM)
        if b == "abs":
            return (f"abs({self.float_expr(d, scope, fn)[0]})", P_ATOM)
        n = self.pick((2, 2, 3))
        args = ", ".join(par(self.float_expr(d, scope, fn), P_IFEXP) for _ in range(n))
        return (f"{b}({args})", P_ATOM)

    def bool_expr(self, d, scope, fn):
        if d <= 0:
            return self.leaf("bool", scope, fn)
        c = self.common("bool", d, scope, fn)
        if c:
            return c
        x = self.r.random()
        if x < 0.5:
            return self.comparison(d - 1, scope, fn)
        if x < 0.62:
            e, _ = self.num_expr(d - 1, scope, fn)
            return (f"not {par(e, P_NOT)}", P_NOT)
        return self.leaf("bool", scope, fn)

    # -- the type variable N (--poly): int in one specialisation, float in another --
    def n_ok(self, scope):
        """Is an N value readable here (an N variable or an N inside a tuple variable)?"""
        for v in scope.visible():
            if v.ty == "N" or (is_tup(v.ty) and has_n(v.ty) and not has_fn(v.ty)):
                return True
        return False

    def n_leaf(self, scope, fn):
        if self.chance(0.7):
            v = self.var_of_type("N", scope, fn)
            if v:
                return v
        paths = self.tuple_paths("N", scope)
        if paths:
            v, p = self.pick(paths)
            self.read_var(v, fn)
            return (v.name + "".join(f"[{i}]" for i in p), P_ATOM)
        v = self.var_of_type("N", scope, fn)
        if v:
            return v
        raise ValueError("no N value in scope")

    def n_expr(self, d, scope, fn):
        """An expression whose type is N: int where N is int, float where N is float."""
        if d <= 0:
            return self.n_leaf(scope, fn)
        c = self.common("N", d, scope, fn)
        if c:
            return c
        x = self.r.random()
        if x < 0.3:
            op = self.pick(("+", "-", "*", "+", "-"))
            a = self.n_expr(d - 1, scope, fn)
            b = self.expr(self.pick(("N", "N", "int", "bool")), d - 1, scope, fn)
            if self.chance(0.4):
                a, b = b, a
            p = P_ADD if op in "+-" else P_MUL
            return (f"{par(a, p)} {op} {par(b, p + 1)}", p)
        if x < 0.4:
            op = self.pick(("//", "%"))
            a = self.n_expr(d - 1, scope, fn)
            if self.chance(0.6):
                b = self.int_divisor(d - 1, scope, fn)
            else:
                b = (f"(abs({self.n_expr(d - 1, scope, fn)[0]}) + 1)", P_ATOM)
            return (f"{par(a, P_MUL)} {op} {par(b, P_MUL + 1)}", P_MUL)
        if x < 0.47:
            base = self.n_expr(d - 1, scope, fn)
            return (f"{par(base, P_POW + 1)} ** {self.pick((0, 1, 2, 2, 3))}", P_POW)
        if x < 0.54:
            a = self.n_expr(d - 1, scope, fn)
            return (f"{self.pick(('-', '+', '-'))}{par(a, P_UNARY)}", P_UNARY)
        if x < 0.66:
            b = self.pick(("abs", "min", "max"))
            if b == "abs":
                return (f"abs({self.n_expr(d - 1, scope, fn)[0]})", P_ATOM)
            n = self.pick((2, 2, 3))
            args = ", ".join(par(self.n_expr(d - 1, scope, fn), P_IFEXP) for _ in range(n))
            return (f"{b}({args})", P_ATOM)
        return self.n_leaf(scope, fn)

    def comparison(self, d, scope, fn):
        n = self.pick((2, 2, 2, 3))
        parts = [par(self.num_expr(d, scope, fn)[0], P_ADD)]
        for _ in range(n - 1):
            parts.append(self.pick(("<", "<=", ">", ">=", "==", "!=")))
            parts.append(par(self.num_expr(d, scope, fn)[0], P_ADD))
        return (" ".join(parts), P_CMP)

    def cond(self, d, scope, fn):
        if self.chance(0.7):
            return self.bool_expr(max(d, 1), scope, fn)
        return self.num_expr(max(d, 0), scope, fn)[0]

    def tuple_display(self, ty, d, scope, fn):
        els = [par(self.expr(t, d - 1, scope, fn) if scope else self.lit(t), P_IFEXP) for t in ty[1]]
        if len(els) == 1:
            return (f"({els[0]},)", P_ATOM)
        return ("(" + ", ".join(els) + ")", P_ATOM)

    def tuple_expr(self, ty, d, scope, fn):
        if d > 0:
            c = self.common(ty, d, scope, fn)
            if c:
                return c
        if self.chance(0.4):
            v = self.var_of_type(ty, scope, fn)
            if v:
                return v
        return self.tuple_display(ty, d, scope, fn)

    def fn_expr(self, ty, d, scope, fn):
        """An expression of function type ty."""
        _, params, ret = ty
        if self.poly and self.cur_index != 1 << 30 and self.chance(0.35):
            e = self.poly_fn_expr(ty, d, scope, fn)
            if e:
                return e
        x = self.r.random()
        if x < 0.3:
            v = self.var_of_type(ty, scope, fn)
            if v:
                return v
        if x < 0.45 and params == ("float",) and ret == "float":
            return (self.pick(("sin", "cos", "atan", "tanh", "erf", "exp", "sqrt")), P_ATOM) \
                if self.chance(0.3) else self.lambda_expr(ty, d, scope, fn)
        if x < 0.52 and d > 0:
            c = self.cond(d - 1, scope, fn)
            a = self.fn_expr(ty, d - 1, scope, fn)
            b = self.fn_expr(ty, d - 1, scope, fn)
            return (f"{par(a, P_OR)} if {par(c, P_OR)} else {par(b, P_IFEXP)}", P_IFEXP)
        if x < 0.6:
            hs = [h for h in self.helpers if tuple(h.params) == params and h.ret == ret
                  and h.cost * fn.mult < self.MAX_COST and h.index > self.cur_index
                  and h.rec_param is None and not h.poly]
            if hs:
                h = self.pick(hs)
                fn.cost += h.cost
                return (h.name, P_ATOM)
        return self.lambda_expr(ty, d, scope, fn)

    # -- polymorphic mode: function values of many types ------------------------
    def insts(self, scope):
        """What N may stand for at a use here: int, float, and N itself inside N code."""
        return ["int", "float"] + (["N"] if self.n_ok(scope) else [])

    def rand_val(self, scope, d=1):
        """A type for a value passed through a higher-order function."""
        pool = ["int", "float", "float", "bool"] + (["N", "N"] if self.n_ok(scope) else [])
        if d > 0 and self.chance(0.12):
            return ("tup", (self.pick(pool), self.pick(pool)))
        return self.pick(pool)

    def use_template(self, kind):
        if kind not in self.templates:
            self.templates[kind] = f"{self.pick(('_', '', ''))}{kind}"
        return self.templates[kind]

    def poly_helpers(self, ty, scope, fn, as_value):
        """(helper, inst) pairs: a polymorphic helper whose result (as_value: whose
        function type) is ty when N is inst."""
        out = []
        for h in self.helpers:
            if not h.poly or h.index <= self.cur_index or h.cost * fn.mult >= self.MAX_COST:
                continue
            if as_value and h.rec_param is not None:
                continue
            for n in self.insts(scope):
                if as_value:
                    ok = subst(("fn", tuple(h.params), h.ret), n) == ty
                else:
                    ok = subst(h.ret, n) == ty
                if ok:
                    out.append((h, n))
        return out

    def template_inst(self, kind, ty, scope):
        """Parameter types of template `kind` giving ty, or None.  'kint' is a small
        non-negative int (a recursion or loop bound)."""
        v = lambda: self.rand_val(scope)
        if kind in VALUE_TEMPLATES:
            if is_fn(ty):
                return None
            if kind == "apply":
                a = v()
                return [("fn", (a,), ty), a]
            if kind == "apply2":
                a, b = v(), v()
                return [("fn", (a, b), ty), a, b]
            if kind in ("twice", "iterate", "fold") and has_fn(ty):
                # g gets x and then g's own results: functions of other origins,
                # which are other types in myc (one signature per value)
                return None
            if kind == "twice":
                return [("fn", (ty,), ty), ty]
            if kind == "iterate":
                return [("fn", (ty,), ty), "kint", ty]
            if kind == "fold":
                return [("fn", (ty, "int"), ty), "kint", ty]
            if kind == "recsum":
                if ty not in ("int", "float", "N"):
                    return None
                a = v()
                return [("fn", (a,), ty), "kint", a]
            if kind == "pmap":
                if not (is_tup(ty) and len(ty[1]) == 2 and ty[1][0] == ty[1][1]):
                    return None
                a = v()
                return [("fn", (a,), ty[1][0]), ("tup", (a, a))]
            return None
        if not is_fn(ty):
            return None
        _, ps, r = ty
        if kind == "compose" and len(ps) == 1:
            b = v()
            return [("fn", (b,), r), ("fn", ps, b)]
        if kind in ("scale", "adder") and len(ps) == 1 and ps[0] in ("int", "float", "N"):
            ks = [k for k in ["int", "float", "bool"] + (["N"] if self.n_ok(scope) else [])
                  if promote(ps[0], k) == r]
            if "factory_closures" in self.avoid:
                # the closures one specialisation of a factory makes are one value
                # (pending_factory_closures): their signature must follow from k's type
                ks = [k for k in ks if k == ps[0]]
            return [self.pick(ks)] if ks else None
        if kind == "pick":
            return [self.pick(("bool", "int", "float")), ty, ty]
        if kind == "thunk" and len(ps) == 0:
            a = v()
            return [("fn", (a,), r), a]
        if kind == "flip" and len(ps) == 2:
            return [("fn", (ps[1], ps[0]), r)]
        return None

    def template_call(self, kind, ptys, d, scope, fn):
        name = self.use_template(kind)
        c0 = fn.cost
        args = []
        for t in ptys:
            if t == "kint":
                e = self.expr("int", min(d - 1, 1), scope, fn)
                args.append(f"{par(e, P_MUL)} % {self.pick((3, 4, 5))}")
            else:
                args.append(par(self.expr(t, d - 1, scope, fn), P_IFEXP))
        if "kint" in ptys:
            fn.cost += (fn.cost - c0) * 5 * fn.mult
        return (f"{name}({', '.join(args)})", P_ATOM)

    def poly_fn_expr(self, ty, d, scope, fn):
        """A function value of type ty from a builtin, a polymorphic helper used as a
        value, or a higher-order template (a factory, compose, ...); None if none fits."""
        _, params, ret = ty
        x = self.r.random()
        if x < 0.25:
            bs = BUILTIN_VALUES.get((params, ret))
            if "factory_closures" in self.avoid and (params, ret) not in ((("float",), "float"),
                                                   (("float", "float"), "float")):
                bs = None        # one signature per builtin: a factory's closure of
                                 # builtin is one value (pending_factory_closures)
            if bs:
                return (self.pick(bs), P_ATOM)
        if x < 0.5:
            hs = self.poly_helpers(ty, scope, fn, True)
            if hs:
                h, _ = self.pick(hs)
                fn.cost += h.cost
                return (h.name, P_ATOM)
        if d > 0:
            kinds = list(FN_TEMPLATES)
            self.r.shuffle(kinds)
            for kind in kinds:
                ptys = self.template_inst(kind, ty, scope)
                if ptys:
                    return self.template_call(kind, ptys, d, scope, fn)
        return None

    def poly_stmt(self, ind, scope, fn):
        """A statement of the polymorphic mode."""
        x = self.r.random()
        if x < 0.45:
            # one polymorphic helper called at several types
            hs = [h for h in self.helpers if h.poly and h.index > self.cur_index
                  and h.cost * fn.mult < self.MAX_COST]
            if hs:
                h = self.pick(hs)
                insts = self.insts(scope)
                self.r.shuffle(insts)
                for n in insts[:self.pick((2, 2, 3))]:
                    fn.cost += h.cost * fn.mult
                    name = self.fresh()
                    self.emit(ind, f"{name} = {h.name}({self.args(tuple(subst(t, n) for t in h.params), 2, scope, fn, h.rec_param)})")
                    scope.vars.append(Var(name, subst(h.ret, n), fn))
                return False
        if x < 0.6 and self.n_ok(scope):
            name = self.fresh()
            self.emit(ind, f"{name} = {self.n_expr(self.r.randint(1, 3), scope, fn)[0]}")
            scope.vars.append(Var(name, "N", fn))
            return False
        # a function value (often a closure made by a factory) kept and called later,
        # or passed to a higher-order function
        ty = self.rand_fn_type(scope)
        name = self.fresh("g")
        e, caps = self.collect(lambda: self.poly_fn_expr(ty, 2, scope, fn)
                               or self.fn_expr(ty, 2, scope, fn))
        self.emit(ind, f"{name} = {e[0]}")
        v = Var(name, ty, fn)
        v.caps = caps
        scope.vars.append(v)
        if self.chance(0.6):
            _, ps, rt = ty
            kinds = []
            if len(ps) == 1:
                kinds.append(("apply", list(ps)))
                if rt in ("int", "float", "N"):
                    kinds.append(("recsum", ["kint", ps[0]]))
            if len(ps) == 2:
                kinds.append(("apply2", list(ps)))
            if ps == (rt,) and not has_fn(rt):
                kinds += [("twice", [rt]), ("iterate", ["kint", rt])]
            if ps == (rt, "int") and not has_fn(rt):
                kinds.append(("fold", ["kint", rt]))
            if kinds:
                kind, rest = self.pick(kinds)
                e = self.template_call(kind, rest, 2, scope, fn)[0]
                tname = self.templates[kind]
                args = e[len(tname) + 1:-1]
                r = self.fresh()
                self.emit(ind, f"{r} = {tname}({name}{', ' if args else ''}{args})")
                scope.vars.append(Var(r, rt, fn))
        return False

    def lambda_expr(self, ty, d, scope, fn):
        _, params, ret = ty
        lam = Fn("<lambda>", params, ret, parent=fn, def_scope=scope)
        lam.mult = fn.mult
        sc = Scope(scope, lam)
        names = []
        for t in params:
            n = self.fresh("a")
            names.append(n)
            sc.vars.append(Var(n, t, lam))
        body = self.expr(ret, max(d - 1, 1), sc, lam)
        fn.cost += lam.cost
        return (f"lambda {', '.join(names)}: {par(body, P_IFEXP)}", P_LAMBDA)

    def call(self, ty, d, scope, fn):
        """A call returning ty: a helper, a function variable, a sibling nested def."""
        opts = []
        for h in self.helpers:
            if h.ret == ty and h.index > self.cur_index and h.cost * fn.mult < self.MAX_COST \
                    and not h.poly:
                opts.append(("h", h))
        for v in scope.visible():
            if is_fn(v.ty) and v.ty[2] == ty:
                opts.append(("v", v))
            elif is_tup(v.ty):
                for i, et in enumerate(v.ty[1]):
                    if is_fn(et) and et[2] == ty:
                        opts.append(("t", (v, i, et)))
        sc = scope
        while sc:
            for s in sc.defs:
                if s[1][2] == ty and s[2] * fn.mult < self.MAX_COST:
                    opts.append(("s", s))
            sc = sc.parent
        if fn.rec and fn.rec[2] == ty and fn.mult == 1 and fn.nrec < 2:
            opts.append(("r", fn.rec))
        for h in self.helpers:
            if is_fn(h.ret) and h.ret[2] == ty and h.index > self.cur_index \
                    and h.cost * fn.mult < self.MAX_COST and not has_fn(h.ret[1]):
                opts.append(("hh", h))
        if self.poly and self.cur_index != 1 << 30:      # (constants call no function)
            for h, n in self.poly_helpers(ty, scope, fn, False):
                opts += [("p", (h, n))] * 2
            if d > 0 and not is_fn(ty) and self.chance(0.25):
                opts.append(("T", self.pick(VALUE_TEMPLATES)))
        if not opts:
            return None
        kind, o = self.pick(opts)
        if kind == "p":
            h, n = o
            fn.cost += h.cost * fn.mult
            return (f"{h.name}({self.args(tuple(subst(t, n) for t in h.params), d, scope, fn, h.rec_param)})",
                    P_ATOM)
        if kind == "T":
            ptys = self.template_inst(o, ty, scope)
            if ptys is None:
                return None
            return self.template_call(o, ptys, d, scope, fn)
        if kind == "h":
            fn.cost += o.cost * fn.mult
            return (f"{o.name}({self.args(o.params, d, scope, fn, o.rec_param)})", P_ATOM)
        if kind == "v":
            callee = self.read_var(o, fn)
            return (f"{callee[0]}({self.args(o.ty[1], d, scope, fn)})", P_ATOM)
        if kind == "t":
            v, i, et = o
            callee = self.read_var(v, fn)
            idx = i if self.chance(0.5) else i - len(v.ty[1])
            return (f"{callee[0]}[{idx}]({self.args(et[1], d, scope, fn)})", P_ATOM)
        if kind == "s":
            name, sty, cost, rec_param = o
            self.read_var(self.def_vars[name], fn)
            fn.cost += cost * fn.mult
            return (f"{name}({self.args(sty[1], d, scope, fn, rec_param)})", P_ATOM)
        if kind == "r":
            name, params, _, idx = o
            fn.nrec += 1
            args = []
            for i, t in enumerate(params):
                if i == idx:
                    args.append(f"{fn.rec_param_name} - {self.pick((1, 1, 2))}")
                elif "recursion_fresh_closure" in self.avoid and has_fn(t) \
                        and getattr(fn, "rec_pnames", None):
                    # a fresh closure passed down a recursion makes myc specialise
                    # without end (pending_recursion_fresh_closure): pass the parameter on
                    args.append(fn.rec_pnames[i])
                else:
                    args.append(par(self.expr(t, min(d - 1, 1), scope, fn), P_IFEXP))
            return (f"{name}({', '.join(args)})", P_ATOM)
        # a helper returning a closure, called at once
        h = o
        fn.cost += h.cost * fn.mult
        return (f"{h.name}({self.args(h.params, d, scope, fn)})({self.args(h.ret[1], d, scope, fn)})",
                P_ATOM)

    def args(self, params, d, scope, fn, rec_param=None):
        out = []
        for i, t in enumerate(params):
            if i == rec_param:
                e = self.expr("int", min(d - 1, 1), scope, fn)
                out.append(f"{par(e, P_MUL)} % {self.pick((4, 6, 9))}")
            else:
                out.append(par(self.expr(t, d - 1, scope, fn), P_IFEXP))
        return ", ".join(out)

    # -- statements ------------------------------------------------------------
    def emit(self, ind, text):
        self.out.append("    " * ind + text)

    def block(self, ind, scope, fn, nstmts, depth, must_return=False):
        """Statements of a block; returns True if the block ends in a jump."""
        for i in range(nstmts):
            last = i == nstmts - 1
            jumped = self.stmt(ind, scope, fn, depth, last)
            if jumped:
                self.close_scope(scope)
                return True
        if must_return:
            self.emit(ind, f"return {self.ret_expr(fn.ret, 2, scope, fn)}")
            self.close_scope(scope)
            return True
        self.close_scope(scope)
        return False

    def close_scope(self, scope):
        for v in scope.frozen:
            v.frozen -= 1
        scope.frozen = []

    def ret_expr(self, ty, d, scope, fn):
        if is_tup(ty) and len(ty[1]) >= 2 and self.chance(0.3):
            return ", ".join(par(self.expr(t, d, scope, fn), P_IFEXP) for t in ty[1])
        return self.expr(ty, d, scope, fn)[0]

    def assignable(self, scope, fn, pred=lambda t: True):
        return [v for v in scope.visible()
                if v.owner is fn and not v.const and not v.frozen and pred(v.ty)
                and not getattr(v, "loopvar", False)]

    def stmt(self, ind, scope, fn, depth, last):
        if self.poly and depth < 4 and self.chance(0.15):
            return self.poly_stmt(ind, scope, fn)
        x = self.r.random()
        in_loop = bool(fn.loops)
        ed = self.r.randint(1, 3)
        if x < 0.2 or depth >= 4:
            ty = self.rand_type(allow_fn=False)
            name = self.fresh()
            e = self.expr(ty, ed, scope, fn)
            scope.vars.append(Var(name, ty, fn))
            self.emit(ind, f"{name} = {e[0]}")
            return False
        if x < 0.32:
            vs = self.assignable(scope, fn, lambda t: not is_fn(t))
            if vs:
                v = self.pick(vs)
                self.assign_existing(ind, v, scope, fn, ed)
                return False
            return self.stmt(ind, scope, fn, 9, last)
        if x < 0.38:
            return self.unpack(ind, scope, fn, ed)
        if x < 0.5:
            self.if_stmt(ind, scope, fn, depth)
            return False
        if x < 0.58:
            self.for_stmt(ind, scope, fn, depth)
            return False
        if x < 0.64:
            self.while_stmt(ind, scope, fn, depth)
            return False
        if x < 0.68:
            self.lambda_stmt(ind, scope, fn)
            return False
        if x < 0.7:
            ft = self.rand_fn_type()
            ty = ("tup", (ft, self.rand_scalar())) if self.chance(0.5) else ("tup", (self.rand_scalar(), ft))
            name = self.fresh("t")
            e, caps = self.collect(lambda: self.tuple_display(ty, 2, scope, fn))
            scope.vars.append(Var(name, ty, fn))
            scope.vars[-1].caps = caps
            self.emit(ind, f"{name} = {e[0]}")
            return False
        if x < 0.74 and depth < 3:
            self.nested_defs(ind, scope, fn, depth)
            return False
        if x < 0.77:
            c = self.call(self.rand_type(), 2, scope, fn)
            if c:
                self.emit(ind, c[0])             # an expression statement
            else:
                self.emit(ind, "pass")
            return False
        if x < 0.85 and in_loop:
            c = self.cond(2, scope, fn)
            kind = self.pick(("break", "continue", "return", "break"))
            jump = kind if kind != "return" else f"return {self.ret_expr(fn.ret, 2, scope, fn)}"
            if self.chance(0.5):
                self.emit(ind, f"if {c[0]}: {jump}")
            else:
                self.emit(ind, f"if {c[0]}:")
                if self.chance(0.4):
                    vs = self.assignable(scope, fn, lambda t: t in SCALARS or t == "N")
                    if vs:
                        self.assign_existing(ind + 1, self.pick(vs), scope, fn, 1)
                self.emit(ind + 1, jump)
            return False
        if x < 0.88:
            c = self.cond(2, scope, fn)
            self.emit(ind, f"if {c[0]}: return {self.ret_expr(fn.ret, 2, scope, fn)}")
            return False
        if x < 0.9 and last and in_loop:
            self.emit(ind, self.pick(("break", "continue")))
            return True
        ty = self.rand_type(allow_fn=False)
        name = self.fresh()
        e = self.expr(ty, ed, scope, fn)
        scope.vars.append(Var(name, ty, fn))
        if self.chance(0.2):
            name2 = self.fresh()
            scope.vars.append(Var(name2, ty, fn))
            self.emit(ind, f"{name} = {name2} = {e[0]}")
        else:
            self.emit(ind, f"{name} = {e[0]}")
        return False

    def assign_existing(self, ind, v, scope, fn, d):
        if v.ty == "int" and self.chance(0.5):
            op = self.pick(("+=", "-=", "*=", "//=", "%=", "+=", "-="))
            if op in ("//=", "%="):
                rhs = self.int_divisor(d, scope, fn)
            else:
                rhs = self.expr(self.pick(("int", "int", "bool")), d, scope, fn)
            if op == "*=":
                self.emit(ind, f"{v.name} {op} {rhs[0]}")
                self.emit(ind, f"{v.name} %= {self.pick((97, 1000, 12345))}")
            else:
                self.emit(ind, f"{v.name} {op} {rhs[0]}")
        elif v.ty == "float" and self.chance(0.5):
            op = self.pick(("+=", "-=", "*=", "/=", "//=", "%="))
            if op in ("/=", "//=", "%="):
                rhs = self.float_divisor(d, scope, fn)
                if op != "/=" and "." not in rhs[0]:
                    rhs = (f"float({rhs[0]})", P_ATOM)
            else:
                rhs, _ = self.num_expr(d, scope, fn)
            self.emit(ind, f"{v.name} {op} {rhs[0]}")
            if op == "*=" and self.chance(0.5):
                self.emit(ind, f"{v.name} = {v.name} % 1000.0")
        elif v.ty == "N" and self.chance(0.5):
            op = self.pick(("+=", "-=", "*="))
            rhs = self.expr(self.pick(("N", "int", "bool")), d, scope, fn)
            self.emit(ind, f"{v.name} {op} {rhs[0]}")
            if op == "*=":
                self.emit(ind, f"{v.name} %= {self.pick((97, 1000))}")
        else:
            e, caps = self.collect(lambda: self.expr(v.ty, d, scope, fn))
            if has_fn(v.ty) and not self.may_hold(v, caps, scope, fn):
                # a rebinding myc must reject (contract: closures): a new variable instead
                nv = Var(self.fresh(), v.ty, fn)
                nv.caps = caps
                self.emit(ind, f"{nv.name} = {e[0]}")
                scope.vars.append(nv)
                return
            self.emit(ind, f"{v.name} = {e[0]}")
        self.rebind(v, fn)

    def unpack(self, ind, scope, fn, d):
        tvars = [v for v in scope.visible() if is_tup(v.ty) and not has_fn(v.ty)]
        if tvars and self.chance(0.6):
            t = self.pick(tvars)
            src, ty = self.read_var(t, fn), t.ty
        else:
            ty = ("tup", tuple(self.rand_type(1) for _ in range(self.pick((2, 2, 3)))))
            src = self.expr(ty, d, scope, fn)

        targets = []

        def target(t, top):
            # reuse an assignable variable of the same type, or a fresh one
            if is_tup(t) and len(t[1]) >= 1 and self.chance(0.5):
                inner = [target(e, False) for e in t[1]]
                if len(inner) == 1:
                    return f"({inner[0]},)"
                return "(" + ", ".join(inner) + ")"
            vs = [v for v in self.assignable(scope, fn, lambda x: x == t) if v.name not in targets]
            if vs and self.chance(0.3):
                v = self.pick(vs)
                targets.append(v.name)
                self.rebind(v, fn)
                return v.name
            n = self.fresh()
            targets.append(n)
            new.append(Var(n, t, fn))
            return n
        new = []
        parts = [target(e, True) for e in ty[1]]
        if len(parts) == 1:
            lhs = f"{parts[0]},"
        else:
            lhs = ", ".join(parts)
        self.emit(ind, f"{lhs} = {src[0]}")
        scope.vars.extend(new)
        return False

    def if_stmt(self, ind, scope, fn, depth):
        c = self.cond(2, scope, fn)
        self.emit(ind, f"if {c[0]}:")
        # a variable assigned on every arm, read afterwards
        both = None
        if self.chance(0.3):
            both = Var(self.fresh(), self.rand_scalar(), fn)
        arms = 1 + self.pick((0, 0, 1, 1, 2))
        has_else = self.chance(0.6) or both is not None
        all_jump = True
        for k in range(arms + (1 if has_else else 0)):
            if k > 0 and k < arms:
                self.emit(ind, f"elif {self.cond(2, scope, fn)[0]}:")
            elif k > 0:
                self.emit(ind, "else:")
            sc = Scope(scope, fn)
            if both:
                self.emit(ind + 1, f"{both.name} = {self.expr(both.ty, 2, scope, fn)[0]}")
            n = self.r.randint(1, 3)
            jumped = self.block(ind + 1, sc, fn, n, depth + 1)
            all_jump = all_jump and jumped
        if both and not (all_jump and has_else):
            scope.vars.append(both)

    def loop_body(self, ind, scope, fn, depth, iters, kind):
        self.enter_loop(kind, scope, fn)
        old = fn.mult
        fn.mult = fn.mult * max(iters, 1)
        sc = Scope(scope, fn)
        self.block(ind, sc, fn, self.r.randint(1, 4), depth + 1)
        fn.mult = old
        self.leave_loop(fn)

    def small_int(self, scope, fn, lo, hi):
        """An int expression with a value in [lo, hi]."""
        if self.chance(0.5):
            return str(self.r.randint(lo, hi)) if True else None
        e = self.expr("int", 1, scope, fn)
        span = hi - lo + 1
        if lo == 0:
            return f"{par(e, P_MUL)} % {span}"
        return f"({par(e, P_MUL)} % {span} {'+' if lo > 0 else '-'} {abs(lo)})"

    def for_stmt(self, ind, scope, fn, depth):
        if fn.mult > 400:
            return self.emit(ind, "pass")
        x = self.r.random()
        if x < 0.35:
            rng, iters = f"range({self.small_int(scope, fn, 0, 8)})", 8
        elif x < 0.6:
            rng, iters = f"range({self.small_int(scope, fn, -3, 4)}, {self.small_int(scope, fn, 0, 9)})", 12
        else:
            y = self.r.random()
            if y < 0.5:
                step = self.pick(("1", "2", "3", "-1", "-2", "-3"))
            elif y < 0.75:
                e = self.expr("int", 1, scope, fn)
                step = f"{par(e, P_MUL)} % 3 + 1"
            elif y < 0.95:
                e = self.expr("int", 1, scope, fn)
                step = f"-({par(e, P_MUL)} % 3) - 1"
            else:
                e = self.expr("int", 1, scope, fn)       # zero: a runtime error in both
                step = f"{par(e, P_MUL)} % 3 - 1"
            a, b = self.small_int(scope, fn, -8, 8), self.small_int(scope, fn, -8, 8)
            rng, iters = f"range({a}, {b}, {step})", 17
        # the loop variable: fresh, or an existing int variable (bound after the loop)
        vs = self.assignable(scope, fn, lambda t: t == "int")
        if vs and self.chance(0.3):
            v = self.pick(vs)
            lv, newvar = v.name, None
        else:
            lv = self.fresh("i")
            newvar = Var(lv, "int", fn)
        self.emit(ind, f"for {lv} in {rng}:")
        body = Scope(scope, fn)
        if newvar:
            body.vars.append(newvar)
        self.enter_loop("for", scope, fn)
        if not newvar:
            self.rebind(v, fn)
        old = fn.mult
        fn.mult *= iters
        self.block(ind + 1, body, fn, self.r.randint(1, 4), depth + 1)
        fn.mult = old
        self.leave_loop(fn)

    def while_stmt(self, ind, scope, fn, depth):
        if fn.mult > 400:
            return self.emit(ind, "pass")
        w = self.fresh("w")
        lim = self.r.randint(0, 10)
        self.emit(ind, f"{w} = {self.pick(('0', '0', '-2', '1'))}")
        wv = Var(w, "int", fn)
        wv.loopvar = True
        scope.vars.append(wv)
        x = self.r.random()
        if x < 0.5:
            self.emit(ind, f"while {w} < {lim}:")
        elif x < 0.8:
            c = self.bool_expr(2, scope, fn)
            self.emit(ind, f"while {w} < {lim} and {par(c, P_AND + 1)}:")
        else:
            self.emit(ind, "while True:")
            self.emit(ind + 1, f"if {w} >= {lim}: break")
        self.emit(ind + 1, f"{w} += 1")
        # carried variables: update several existing ones
        body = Scope(scope, fn)
        self.enter_loop("while", scope, fn)
        self.rebind(wv, fn)
        old = fn.mult
        fn.mult *= lim + 2
        carried = self.assignable(scope, fn, lambda t: t in SCALARS or t == "N")
        for v in self.r.sample(carried, min(2, len(carried))):
            self.assign_existing(ind + 1, v, body, fn, 2)
        self.block(ind + 1, body, fn, self.r.randint(1, 3), depth + 1)
        fn.mult = old
        self.leave_loop(fn)

    def lambda_stmt(self, ind, scope, fn):
        ty = self.rand_fn_type(scope)
        name = self.fresh("g")
        e, caps = self.collect(lambda: self.lambda_expr(ty, 2, scope, fn))
        self.emit(ind, f"{name} = {e[0]}")
        scope.vars.append(Var(name, ty, fn))
        scope.vars[-1].caps = caps
        # call it right away sometimes
        if self.chance(0.5):
            r = self.fresh()
            self.emit(ind, f"{r} = {name}({self.args(ty[1], 2, scope, fn)})")
            scope.vars.append(Var(r, ty[2], fn))

    def nested_defs(self, ind, scope, fn, depth):
        """One or two nested defs in this block (may call each other and themselves)."""
        n = self.pick((1, 1, 2))
        defs = []
        for _ in range(n):
            name = self.fresh("h")
            params = [self.rand_scalar() for _ in range(self.pick((1, 2)))]
            rec = self.chance(0.35)
            if rec:
                params[0] = "int"
            ret = self.rand_type(1)
            defs.append([name, params, ret, rec])
        siblings = []
        for name, params, ret, rec in defs:
            sub = Fn(name, tuple(params), ret, parent=fn, def_scope=scope)
            sub.mult = 1
            sc = Scope(scope, sub)
            pnames = []
            for t in params:
                pn = self.fresh("p")
                pnames.append(pn)
                sc.vars.append(Var(pn, t, sub))
            self.emit(ind, f"def {name}({', '.join(pnames)}):")
            self.sinks.append(set())            # what the def captures (collect)
            if rec:
                sc.vars[0].loopvar = True        # never rebound: it bounds the recursion
                self.emit(ind + 1, f"if {pnames[0]} <= 0: return {self.ret_expr(ret, 1, sc, sub)}")
                sub.rec = (name, tuple(params), ret, 0)
                sub.rec_param_name = pnames[0]
            self.block(ind + 1, sc, sub, self.r.randint(0, 3), depth + 1, must_return=True)
            caps = self.sinks.pop()
            cost = sub.cost * (10 if rec else 1) + 1
            siblings.append((name, ("fn", tuple(params), ret), cost, 0 if rec else None))
            scope.defs.append(siblings[-1])
            v = Var(name, siblings[-1][1], fn)
            v.frozen = 1 << 20          # never rebound
            v.cost = cost
            v.caps = caps
            self.def_vars[name] = v     # (read when called as a sibling)
        # bound as variables too (call them through the sibling list)
        for name, ty, cost, recp in siblings:
            if recp is None:
                scope.vars.append(self.def_vars[name])

    # -- top level ------------------------------------------------------------
    def program(self):
        self.out = []
        # constants
        cscope = Scope(None, None)
        self.cur_index = 1 << 30
        for _ in range(self.r.randint(0, 3)):
            ty = self.rand_type(1)
            name = self.fresh("C")
            e = self.const_expr(ty, cscope)
            self.emit(0, f"{name.upper()} = {e[0]}")
            cscope.vars.append(Var(name.upper(), ty, None, const=True))
        self.out.append("")
        # helpers, generated last-first so that callees exist
        nh = self.r.randint(1, 5)
        specs = []
        for i in range(nh):
            params = [self.rand_type(1, allow_fn=(self.chance(0.2))) for _ in range(self.r.randint(1, 3))]
            ret = self.rand_type(1) if self.chance(0.85) else \
                ("fn", (self.pick(("float", "int")),), self.pick(("float", "int")))
            specs.append(Helper(f"{self.pick(('_', ''))}hf{i}", params, ret, i))
        if self.poly:
            for h in specs:
                if self.chance(0.5):
                    self.make_poly(h)
        if "export_cannot_infer" in self.avoid:
            # export mode: a helper with a function parameter is not exported, yet typing
            # it may leave "cannot infer the type" errors (pending_export_cannot_infer)
            for h in specs:
                if any(has_fn(t) for t in h.params) and h.name[0] != "_":
                    h.name = "_" + h.name
        texts = {}
        if self.chance(0.3):
            self.mutual_pair(nh, cscope, texts)
        for h in reversed(specs):
            self.cur_index = h.index
            self.out = []
            rec = self.chance(0.3) and not is_fn(h.ret)
            if rec and h.poly:
                h.params.insert(0, "int")
                h.anns.insert(0, None)
                h.rec_param = 0
            elif rec:
                h.params[0] = "int"
                h.rec_param = 0
            self.function(h, cscope, rec)
            texts[h.index] = self.out
            self.helpers.append(h)
        # entry functions
        entries = []
        self.cur_index = -1
        for k in range(self.r.randint(1, 3)):
            params = [self.rand_type(1) for _ in range(self.r.randint(1, 3))]
            ret = self.rand_type(1)
            e = Helper(f"f{k}", params, ret, -1)
            self.out = []
            self.function(e, cscope, False, entry=True)
            texts[-1 - k] = self.out
            entries.append(e)
        for j, kind in enumerate(sorted(self.templates)):
            texts[2000 + j] = [line.format(n=self.templates[kind]) for line in TEMPLATES[kind]]
        order = list(texts)
        self.r.shuffle(order)
        lines = []
        lines.extend(self.const_lines)
        for k in order:
            lines.append("")
            lines.extend(texts[k])
        return "\n".join(lines) + "\n", entries

    def make_poly(self, h):
        """Turn helper spec h into a polymorphic one: N is int at some calls, float at others."""
        pool = ["N", "N", "int", "float", "bool", ("tup", ("N", "float")), ("tup", ("int", "N")),
                ("tup", ("N", "N")), ("fn", ("N",), "N"), ("fn", ("N", "int"), "N"),
                ("fn", ("float",), "N")]
        h.params = ["N"] + [self.pick(pool) for _ in range(self.pick((0, 1, 1, 2)))]
        self.r.shuffle(h.params)
        x = self.r.random()
        if x < 0.45:
            h.ret = "N"
        elif x < 0.55:
            h.ret = ("tup", ("N", self.rand_scalar()))
        elif x < 0.6:
            h.ret = ("tup", ("N", "N"))
        else:
            h.ret = self.rand_type(1)
        h.anns = [None] * len(h.params)
        h.poly = True
        h.name = h.name.replace("hf", "hp")
        if "export_cannot_infer" in self.avoid and any(has_fn(t) or is_tup(t) for t in h.params) \
                and h.name[0] != "_":
            # export mode: such a helper is not exported, yet typing it may leave "cannot
            # infer the type" errors (pending_export_cannot_infer): keep it private
            h.name = "_" + h.name


    def mutual_pair(self, index, cscope, texts):
        """ev(n, x) and od(n, x), mutually recursive on n (bounded by callers)."""
        t = self.pick(("int", "float"))
        ret = self.pick(("int", "float", "bool"))
        names = [f"ev{index}", f"od{index}"]
        out = []
        for k in range(2):
            fn = Fn(names[k], ("int", t), ret)
            fn.cur = None
            sc = Scope(cscope, fn)
            n, x = self.fresh("n"), self.fresh("x")
            nv, xv = Var(n, "int", fn), Var(x, t, fn)
            nv.loopvar = True
            sc.vars.extend([nv, xv])
            self.cur_index = 1 << 29
            self.out = []
            self.emit(0, f"def {names[k]}({n}, {x}):")
            self.export_hdr[names[k]] = (f"def {names[k]}({n}: int, {x}{': int' if t == 'int' else ''}):")
            self.emit(1, f"if {n} <= 0: return {self.expr(ret, 2, sc, fn)[0]}")
            y = self.expr(t, 2, sc, fn)
            self.emit(1, f"{'return' if self.chance(0.5) else 'r = '} {names[1 - k]}({n} - 1, {y[0]})"
                      .replace("r =  ", "r = "))
            if self.out[-1].lstrip().startswith("r = "):
                sc.vars.append(Var("r", ret, fn))
                self.emit(1, f"return {self.expr(ret, 2, sc, fn)[0]}")
            texts[1000 + k] = self.out
        for k in range(2):
            h = Helper(names[k], ["int", t], ret, 1 << 29)
            h.rec_param = 0
            h.cost = 20
            self.helpers.append(h)

    def const_expr(self, ty, cscope):
        fn = Fn("<const>", (), ty)
        return self.expr(ty, 2, cscope, fn)

    def function(self, h, cscope, rec, entry=False):
        fn = Fn(h.name, tuple(h.params), h.ret)
        sc = Scope(cscope, fn)
        pnames, xnames = [], []
        for i, t in enumerate(h.params):
            pn = self.fresh("x")
            a = ann_str(t)
            if a and self.chance(0.25):
                h.anns[i] = a
                pnames.append(f"{pn}: {a}")
            else:
                pnames.append(pn)
            # export mode: every parameter that is not a float is annotated with
            # its type (N as float), so that the exported signature is the type
            # the program uses; function parameters stay unannotated (not exported)
            # (not a tuple holding N: calls at N = int would convert it)
            xa = h.anns[i] or (None if t in ("float", "N") else xann_str(t))
            xnames.append(f"{pn}: {xa}" if xa else pn)
            sc.vars.append(Var(pn, t, fn))
        ret_ann = ""
        if self.chance(0.15) and ann_str(h.ret):
            ret_ann = f" -> {ann_str(h.ret)}"
        self.emit(0, f"def {h.name}({', '.join(pnames)}){ret_ann}:")
        self.export_hdr[h.name] = f"def {h.name}({', '.join(xnames)}){ret_ann}:"
        if self.chance(0.1):
            self.emit(1, '"""A docstring."""')
        if rec:
            sc.vars[0].loopvar = True
            self.emit(1, f"if {sc.vars[0].name} <= 0:")
            self.emit(2, f"return {self.ret_expr(h.ret, 2, sc, fn)}")
            fn.rec = (h.name, tuple(h.params), h.ret, 0)
            fn.rec_param_name = sc.vars[0].name
            fn.rec_pnames = [v.name for v in sc.vars[:len(h.params)]]
        if is_fn(h.ret):
            # a closure factory
            self.block(1, sc, fn, self.r.randint(0, 2), 1)
            self.emit(1, f"return {self.lambda_expr(h.ret, 2, sc, fn)[0]}")
        else:
            n = self.r.randint(1, 6) if entry else self.r.randint(0, 4)
            self.block(1, sc, fn, n, 1, must_return=True)
        h.cost = fn.cost + 1
        if rec:
            h.cost *= 10


def pending_bugs():
    """The known bugs not fixed yet: NAME of each tests/e2e/pending_NAME.my.txt."""
    e2e = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e")
    return frozenset(f[len("pending_"):-len(".my.txt")] for f in os.listdir(e2e)
                     if f.startswith("pending_") and f.endswith(".my.txt"))


def gen_program(seed, k, poly_rate=0.0, avoid=frozenset(), lists_rate=0.0):
    """(source, runs, info): info["poly"], info["lists"], info["export_src"] (the program
    with every non-float parameter of the top-level functions annotated, which export
    mode must accept; None for a list program) and info["exports"] (the names export mode
    must export).  A list program's info also has "tags" (line -> 'idiom: WHICH' | 'reject'),
    "expect_reject" and "shapes" (difftest_lists.gen_list_program)."""
    rng = random.Random(f"difftest:{seed}:{k}")
    # a separate stream picks the list programs, so that the others stay as they were
    if random.Random(f"difftest-lists:{seed}:{k}").random() < lists_rate:
        src, runs, info = gen_list_program(rng, avoid=frozenset(avoid))
        info.update(poly=False, lists=True, export_src=None, exports=None)
        return src, runs, info
    g = Gen(rng)
    # a separate stream decides the mode, so that the plain programs stay as they were
    g.poly = random.Random(f"difftest-poly:{seed}:{k}").random() < poly_rate
    g.avoid = frozenset(avoid)
    g.const_lines = []
    # constants are emitted through g.out of the first call; keep them apart
    src, entries = _program_with_consts(g)
    runs = []
    for e in entries:
        for _ in range(rng.randint(1, 3)):
            args = [rand_arg(rng, t, a) for t, a in zip(e.params, e.anns)]
            runs.append((e.name, args))
    xlines = []
    for line in src.split("\n"):
        m = re.match(r"def (\w+)\(", line)
        xlines.append(g.export_hdr.get(m.group(1), line) if m else line)
    # export mode must export these, and may export those in maybe: a function with a
    # parameter left unannotated that the program uses as a function or a tuple is not
    # exported if its body uses it so (a float otherwise); a function result, never
    exports, maybe = set(), set()
    for h in list(g.helpers) + entries:
        if h.name.startswith("_") or has_fn(h.ret):
            continue
        if any(has_fn(t) or (t not in ("float", "N") and not xann_str(t)) for t in h.params):
            maybe.add(h.name)
        else:
            exports.add(h.name)
    for kind, name in g.templates.items():
        if not name.startswith("_") and kind not in ("compose", "scale", "adder", "thunk", "flip"):
            maybe.add(name)
    return src, runs, {"poly": g.poly, "lists": False, "export_src": "\n".join(xlines),
                       "exports": (exports, maybe)}


def _program_with_consts(g):
    # Gen.program writes constants into g.out before resetting it.
    orig_emit = g.emit
    consts = []

    def emit(ind, text):
        if g.cur_index == 1 << 30:
            consts.append("    " * ind + text)
        else:
            orig_emit(ind, text)
    g.emit = emit
    g.const_lines = consts
    return g.program()


def rand_arg(rng, t, ann):
    if t == "int":
        x = rng.random()
        v = rng.randint(-10, 10) if x < 0.8 else rng.randint(-100000, 100000)
        return str(v)
    if t == "float":
        if ann == "float" and rng.random() < 0.3:
            return str(rng.randint(-10, 10))       # an int for a float parameter: converted
        x = rng.random()
        if x < 0.03:
            return rng.choice(("nan", "inf", "-inf"))
        if x < 0.1:
            return rng.choice(("0.0", "-0.0", "1.0", "-1.0"))
        if x < 0.7:
            return repr(round(rng.uniform(-10, 10), rng.randint(0, 3)))
        return repr(rng.uniform(-3, 3) * 10.0 ** rng.randint(-5, 5))
    if t == "bool":
        return rng.choice(("True", "False"))
    if is_tup(t):
        anns = [None] * len(t[1])
        if ann and ann.startswith("("):
            anns = [ann_str(e) for e in t[1]]
        els = [rand_arg(rng, e, a) for e, a in zip(t[1], anns)]
        return "(" + ", ".join(els) + ("," if len(els) == 1 else "") + ")"
    raise ValueError(t)


# ---------------------------------------------------------------------------
# The CPython side: every int operation checked against 64 bits.

class Dropped(Exception):
    """This run hits a documented difference or CPython raised: not compared."""


def _check64(v):
    if type(v) is int and not INT_MIN <= v <= INT_MAX:
        raise Dropped("int overflow")
    return v


class _Instrument(ast.NodeTransformer):
    """Wraps every operation's value in __c (the 64-bit check).  In list programs
    (lists=True) `t op= v` becomes `t = __c(__iop['op'](t, v))`, Python's in-place
    operator (a list's `+=` and `*=` stay in place; a subscript target is evaluated
    twice, which the generator's side-effect-free subscripts allow)."""
    def __init__(self, lists=False):
        super().__init__()
        self.lists = lists

    def _wrap(self, node):
        return ast.copy_location(ast.Call(ast.Name("__c", ast.Load()), [node], []), node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return self._wrap(node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return self._wrap(node)

    def visit_Call(self, node):
        self.generic_visit(node)
        return self._wrap(node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if self.lists:
            load = _as_load(node.target)
            op = ast.Subscript(ast.Name("__iop", ast.Load()), ast.Constant(type(node.op).__name__),
                               ast.Load())
            value = self._wrap(ast.Call(op, [load, node.value], []))
            return ast.copy_location(ast.Assign([node.target], value), node)
        target = ast.Name(node.target.id, ast.Load())
        value = self._wrap(ast.BinOp(target, node.op, node.value))
        return ast.copy_location(ast.Assign([ast.Name(node.target.id, ast.Store())], value), node)


def _as_load(t):
    """The expression reading assignment target t (a name or a subscript)."""
    if isinstance(t, ast.Name):
        return ast.Name(t.id, ast.Load())
    if isinstance(t, ast.Subscript):
        return ast.Subscript(_as_load(t.value) if isinstance(t.value, (ast.Name, ast.Subscript))
                             else t.value, t.slice, ast.Load())
    raise ValueError(ast.dump(t))


_IOPS = {"Add": operator.iadd, "Sub": operator.isub, "Mult": operator.imul,
         "Div": operator.itruediv, "FloorDiv": operator.ifloordiv, "Mod": operator.imod,
         "Pow": operator.ipow}

# The builtins of list programs, Python's own (contract section 5).  `sum` is
# CPython's: left to right for floats up to 3.11, as the contract states;
# 3.12 compensates, so a newer CPython would differ from myc by design.
LIST_BUILTINS = dict(len=len, sum=sum, list=list, enumerate=enumerate, zip=zip)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def cpython_run(code, fname, args, src, path, lists=False):
    """(output line, status) as `myc run` must print for `myc run path ...`
    (code: src instrumented, compiled under the name path), or raises
    Dropped.  A runtime error's line has its location from CPython's
    traceback (cpython_ref.error_line; the instrumentation keeps the
    raising operations' source ranges)."""
    extra = dict(LIST_BUILTINS, __iop=_IOPS) if lists else {}
    ns = {"__builtins__": dict(BUILTINS, __c=_check64, **extra), "__name__": "__my__"}
    signal.setitimer(signal.ITIMER_REAL, REF_TIMEOUT)
    try:
        try:
            exec(code, ns)
        except Exception as e:
            # A top-level constant that raises: CPython fails at import, myc
            # only where the constant is used (reported to the lead).
            raise Dropped(f"constant raises: {e}")
        func = ns[fname]
        anns = getattr(func, "__annotations__", {})
        params = func.__code__.co_varnames[:func.__code__.co_argcount]
        if lists:
            vals = [list_arg(a, anns.get(p)) for a, p in zip(args, params)]
        else:
            vals = [convert_arg(parse_arg(a), anns.get(p)) for a, p in zip(args, params)]
        result = func(*vals)
    except _Timeout:
        raise Dropped("CPython too slow")
    except RecursionError:
        raise Dropped("recursion limit")
    except (ZeroDivisionError, ValueError, OverflowError) as e:
        if str(e) in SHARED_RUNTIME_ERRORS:
            try:
                return error_line(src, path, fname, e, shown=path), 3
            except RefError as why:
                raise Dropped(f"runtime error not located: {why}")
        raise Dropped(f"{type(e).__name__}: {e}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return repr(result), 0


def parse_arg(word):
    from cpython_ref import parse_value
    return parse_value(word)


def list_arg(word, ann):
    """An argument of a list program: a literal; the items of a `list[float]` parameter
    converted to float, as `myc run` does."""
    v = ast.literal_eval(word)
    if ann == "list[float]":
        return [float(x) for x in v]
    if ann == "list[list[float]]":
        return [[float(x) for x in row] for row in v]
    if ann == "float" and type(v) is int:
        return float(v)
    return v


def parse_list_value(text):
    """A printed value with lists (nested lists, tuples, numbers, bools; nan and inf),
    or None."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None

    def val(n):
        if isinstance(n, ast.Constant) and type(n.value) in (int, float, bool):
            return n.value
        if isinstance(n, ast.Name) and n.id in ("nan", "inf"):
            return float(n.id)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            v = val(n.operand)
            if type(v) in (int, float):
                return -v
        if isinstance(n, ast.List):
            return [val(e) for e in n.elts]
        if isinstance(n, ast.Tuple):
            return tuple(val(e) for e in n.elts)
        raise ValueError
    try:
        return val(tree)
    except ValueError:
        return None


def deep_equal(a, b):
    """values_equal, through lists too."""
    if type(a) is list or type(b) is list:
        return (type(a) is type(b) and len(a) == len(b)
                and all(deep_equal(x, y) for x, y in zip(a, b)))
    if type(a) is tuple and type(b) is tuple:
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    return values_equal(a, b)


# ---------------------------------------------------------------------------
# The myc side.

def run_myc(myc, path, fname, args, san, flags=()):
    argv = [myc, "run", "--verify-ir"] + list(flags) + [path, fname] + args
    try:
        p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def compare(expected, status, got):
    """A problem description, or None."""
    rc, out, err = got
    if rc is None:
        return f"timeout after {TIMEOUT} s"
    if rc < 0:
        return f"killed by signal {-rc}; stderr: {err.strip()[:300]}"
    rep = sanitizer_report(err)
    if rep:
        return f"sanitizer report: {rep.strip()[:300]}"
    if rc == 1:
        first = next((l for l in err.splitlines() if "error" in l), err.strip()[:300])
        return f"compile error on a valid program: {first}"
    if rc != status:
        return (f"expected status {status} ({expected}), got {rc}: "
                f"{(out.strip() or err.strip())[:300]}")
    if status == 0 and "[" in expected:
        got_v = parse_list_value(out.strip())
        exp_v = parse_list_value(expected)
        if got_v is None or exp_v is None or "\n" in out.strip() or not deep_equal(exp_v, got_v):
            return f"expected {expected}, got {out.strip()[:300]}"
    elif status == 0:
        got_v = parse_printed(out.strip())
        exp_v = parse_printed(expected)
        if got_v is None or exp_v is None or "\n" in out.strip():
            if out.strip() != expected:
                return f"expected {expected}, got {out.strip()[:300]}"
        elif not values_equal(exp_v, got_v):
            return f"expected {expected}, got {out.strip()[:300]}"
    else:
        last = err.strip().splitlines()[-1] if err.strip() else ""
        if last != expected:
            return f"expected on stderr {expected!r}, got {last[:300]!r}"
        if out.strip():
            return f"expected empty stdout, got {out.strip()[:200]!r}"
    return None


# ---------------------------------------------------------------------------
# The IR dumps: every program through `--dump-ir=parse`, `--dump-ir=infer` (export
# mode) and `--ir-format=dot`.

DUMPS = (
    # (label, argv after myc, which source, strict, also under the sanitizer build
    # without --san-dumps=all)
    ("parse", ["--dump-ir=parse", "--verify-ir"], "src", True, False),
    ("infer", ["--dump-ir=infer", "--verify-ir"], "src", False, True),
    ("infer-export", ["--dump-ir=infer", "--verify-ir"], "export", True, True),
    ("infer-dot", ["--dump-ir=infer", "--ir-format=dot"], "export", True, False),
)
_DIAG = re.compile(r"^(\S+?):(\d+):(\d+): (error|warning|note): (.*)$")
ALLOWED_WARNINGS = ("is captured by a closure and then rebound",)


def run_dump(myc, path, flags):
    try:
        p = subprocess.run([myc] + flags + [path], capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def diag_lines(err, path):
    """[(kind, message)] of the diagnostics in err; ('other', line) for a line that
    is neither a diagnostic nor its quoted source and caret."""
    out = []
    lines = err.splitlines()
    k = 0
    while k < len(lines):
        m = _DIAG.match(lines[k])
        if m and m.group(1) == path:
            out.append((m.group(4), m.group(5)))
            k += 1
            # the quoted source line and the caret line
            while k < len(lines) and not _DIAG.match(lines[k]) and not lines[k].startswith("myc:"):
                k += 1
            continue
        out.append(("other", lines[k]))
        k += 1
    return out


def check_dump(label, strict, got, path, exports, dot_render):
    """A problem description, or None; the error messages of a lenient run in .errors."""
    rc, out, err = got
    if rc is None:
        return f"timeout after {TIMEOUT} s"
    if rc < 0:
        return f"killed by signal {-rc}; stderr: {err.strip()[:300]}"
    rep = sanitizer_report(err)
    if rep:
        return f"sanitizer report: {rep.strip()[:300]}"
    if "internal error" in err:
        return f"internal error: {next(l for l in err.splitlines() if 'internal error' in l)[:300]}"
    diags = diag_lines(err, path)
    other = [m for k, m in diags if k == "other"]
    if other:
        return f"stderr is not diagnostics for this file: {other[0][:300]!r}"
    errors = [m for k, m in diags if k == "error"]
    warns = [m for k, m in diags if k == "warning" and not any(a in m for a in ALLOWED_WARNINGS)]
    if warns:
        return f"unexpected warning: {warns[0][:300]}"
    if strict or rc not in (0, 1):
        if rc != 0 or errors:
            return f"status {rc}: {(errors or [err.strip()])[0][:300]}"
    if rc == 1:
        if not errors:
            return "status 1 without an error"
        if out.strip():
            return f"status 1 with output on stdout: {out.strip()[:100]!r}"
        return None
    if errors:
        return f"status 0 with errors: {errors[0][:300]}"
    if not out.strip() and (label == "parse" or (label != "infer" and exports[0])):
        return "status 0 and nothing on stdout"
    if label == "infer-export" and exports is not None:
        got_x = set()
        lines = out.splitlines()
        if lines and lines[0].startswith("# exported"):
            for line in lines[1:]:
                if not line.startswith("#"):
                    break
                m = re.match(r"#\s+.*?\b(\w+)\(", line)
                if m:
                    got_x.add(m.group(1))
        must, maybe = exports
        if not must <= got_x <= must | maybe:
            return (f"exported {sorted(got_x)}, expected {sorted(must)} and perhaps "
                    f"{sorted(maybe)} (every non-private function whose signature involves "
                    f"no function; a function whose unannotated parameter is used as a "
                    f"function or a tuple perhaps not)")
    if label == "infer-dot" and out.strip():
        if not out.lstrip().startswith("digraph"):
            return f"dot output does not start with 'digraph': {out.strip()[:100]!r}"
        if dot_render:
            try:
                d = subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=out.encode(),
                                   capture_output=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return None          # Graphviz's layout is slow on big graphs: not myc's

            if d.returncode != 0:
                return f"dot -Tsvg rejects the output: {d.stderr.decode()[:300]}"
    return None


# the aliasing rule's errors (passes/alias.c), and the rebinding of a list a live
# closure captured (a change of a list variable rebinds it: section 5 of docs/language.md)
ALIAS_ERROR = re.compile(r"(changes|hands over) (the|a) list|"
                         r"is rebound while a closure that captured it can still be called")


def list_rejection(got, path, info):
    """How myc refused a list program (status 1): (category, problem or None).
    info["tags"]: line -> 'reject' or 'idiom: WHICH' (difftest_lists.py).
    category: 'rejected-expected' (an alias error at the change of a rejected shape),
    'rejected-fine' (alias errors, none at an idiom's line, the generator thought the
    program fine), 'rejected-idiom' (an alias error at a change contract 5.3 says myc
    must accept: a failure) or 'error' (not an aliasing error, or not located)."""
    rc, out, err = got
    errors = []
    for m in map(_DIAG.match, err.splitlines()):
        if m and m.group(1) == path and m.group(4) == "error":
            errors.append((int(m.group(2)), m.group(5)))
    if not errors:
        return "error", f"status 1 without a located error: {err.strip()[:300]!r}"
    if out.strip():
        return "error", f"status 1 with output on stdout: {out.strip()[:100]!r}"
    other = [(ln, msg) for ln, msg in errors if not ALIAS_ERROR.search(msg)]
    if other:
        return "error", f"compile error on a valid program: line {other[0][0]}: {other[0][1][:300]}"
    idiom = [(ln, msg) for ln, msg in errors if (info["tags"].get(ln) or "").startswith("idiom")]
    if idiom:
        ln, msg = idiom[0]
        return "rejected-idiom", (f"rejected an idiom contract 5.3 says must be accepted "
                                  f"({info['tags'][ln][len('idiom: '):]}): line {ln}: {msg[:300]}")
    if any(info["tags"].get(ln) == "reject" for ln, _ in errors):
        return "rejected-expected", None
    return "rejected-fine", None


def error_kind(msg):
    """An error message with names, types and numbers blotted out (for --verbose)."""
    msg = re.sub(r"'[^']*'", "'_'", msg)
    msg = re.sub(r"\([^()]*\)", "(_)", msg)
    return re.sub(r"\d+", "N", msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--myc", default=os.path.join(ROOT, "build/myc"))
    ap.add_argument("--san", help="the sanitizer build of myc: every run again with it")
    ap.add_argument("-n", type=int, default=300, help="number of programs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first program index")
    ap.add_argument("--keep", help="directory for failing programs")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--print", type=int, dest="print_k", help="print program K and exit")
    ap.add_argument("--print-export", type=int, dest="print_x",
                    help="print program K as export mode checks it (annotated) and exit")
    ap.add_argument("--poly", type=float, default=0.3, metavar="RATE",
                    help="fraction of programs in the polymorphic mode (default 0.3; 0 gives "
                    "the plain generator's programs, 1 only polymorphic ones)")
    ap.add_argument("--lists", type=float, default=0.2, metavar="RATE",
                    help="fraction of programs that are list programs (default 0.2; a separate "
                    "random stream picks them, so the others are the generator's as without)")
    ap.add_argument("--run-flag", action="append", default=[], metavar="FLAG",
                    help="an extra flag for every `myc run` (repeatable), e.g. --run-flag=--interp")
    ap.add_argument("--avoid-known", action="store_true",
                    help="do not generate the shapes of the known, not yet fixed bugs "
                    "(tests/e2e/pending_*.my.txt)")
    ap.add_argument("--no-dumps", action="store_true",
                    help="skip the --dump-ir=parse/infer/dot checks")
    ap.add_argument("--san-dumps", choices=("some", "all"), default="some",
                    help="with --san, which dumps run under the sanitizer build too: 'some' "
                    "(default; infer of the program and of its export variant) or 'all'")
    ap.add_argument("--dot-render", action="store_true",
                    help="also render every dot dump with `dot -Tsvg`")
    ap.add_argument("--verbose", action="store_true")
    opt = ap.parse_args()
    avoid = pending_bugs() if opt.avoid_known else frozenset()

    if opt.print_k is not None or opt.print_x is not None:
        k = opt.print_k if opt.print_k is not None else opt.print_x
        src, runs, info = gen_program(opt.seed, k, opt.poly, avoid, opt.lists)
        if opt.print_x is not None:
            if info["export_src"] is None:
                print(f"program {k} is a list program: no export variant", file=sys.stderr)
                return 2
            src = info["export_src"]
        print("".join(f"# RUN: {f} {' '.join(shlex.quote(a) for a in args)}\n" for f, args in runs)
              + src, end="")
        return 0

    sys.setrecursionlimit(20000)
    signal.signal(signal.SIGALRM, _alarm)
    tmpdir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"myc-difftest-{os.getpid()}")
    os.makedirs(tmpdir, exist_ok=True)
    if opt.keep:
        os.makedirs(opt.keep, exist_ok=True)
    stats = {"runs": 0, "dropped": 0, "compared": 0, "poly": 0, "dumps": 0,
             "infer-rejected": 0}
    # list programs: how myc took them
    lst = {"programs": 0, "with-shape": 0, "expect-reject": 0, "accepted": 0,
           "accepted-matching": 0, "accepted-unexpected": [], "rejected": 0,
           "rejected-expected": 0, "rejected-fine": [], "failed": 0, "not-run": 0}
    drop_reasons = {}
    infer_errors = {}
    pool = concurrent.futures.ThreadPoolExecutor(max(1, opt.j))
    pending = []          # (k, src, info, paths, jobs, dumps)
    for k in range(opt.start, opt.start + opt.n):
        src, runs, info = gen_program(opt.seed, k, opt.poly, avoid, opt.lists)
        stats["poly"] += info["poly"]
        path = os.path.join(tmpdir, f"difftest_{opt.seed}_{k}.my")
        xpath = os.path.join(tmpdir, f"difftest_{opt.seed}_{k}_export.my")
        with open(path, "w") as f:
            f.write(src)
        dumps = []
        if not opt.no_dumps:
            if info["export_src"] is not None:
                with open(xpath, "w") as f:
                    f.write(info["export_src"])
            for label, flags, which, strict, san_too in DUMPS:
                if info["lists"] and which == "export":
                    continue        # list programs: no export variant
                p = path if which == "src" else xpath
                for m, name in ((opt.myc, "myc"), (opt.san, "san")):
                    if m and (name == "myc" or san_too or opt.san_dumps == "all"):
                        stats["dumps"] += 1
                        # a list program may be refused (its alias shapes; the rebinding
                        # of a captured list is found at parse): located errors only
                        dumps.append((label, name, strict and not info["lists"], p,
                                      pool.submit(run_dump, m, p, flags)))
        try:
            tree = _Instrument(info["lists"]).visit(ast.parse(src))
            ast.fix_missing_locations(tree)
            code = compile(tree, path, "exec", dont_inherit=True,
                           flags=__future__.annotations.compiler_flag)
        except SyntaxError as e:
            print(f"FAIL seed={opt.seed} prog={k}: the generator wrote invalid Python: {e}")
            pending.append((k, src, info, (path, xpath), [("<generator>", [], None, None, [])], dumps))
            continue
        jobs = []
        for fname, args in runs:
            stats["runs"] += 1
            try:
                expected, status = cpython_run(code, fname, args, src, path, info["lists"])
            except Dropped as e:
                stats["dropped"] += 1
                reason = str(e).split(":")[0] if "domain" not in str(e) else str(e)
                drop_reasons[reason] = drop_reasons.get(reason, 0) + 1
                continue
            except Exception as e:    # the generator broke the language: a bug here
                expected, status = f"<CPython raised {type(e).__name__}: {e}>", -1
            stats["compared"] += 1
            futs = [pool.submit(run_myc, opt.myc, path, fname, args, False, opt.run_flag)]
            if opt.san:
                futs.append(pool.submit(run_myc, opt.san, path, fname, args, True, opt.run_flag))
            jobs.append((fname, args, expected, status, futs))
        pending.append((k, src, info, (path, xpath), jobs, dumps))

    passed = failed = 0
    for k, src, info, (path, xpath), jobs, dumps in pending:
        bad_runs = []
        bad_dumps = []
        mode = " (poly)" if info["poly"] else " (lists)" if info["lists"] else ""
        outcomes = {}         # list programs: entry -> how myc took its runs
        for fname, args, expected, status, futs in jobs:
            if fname == "<generator>":
                bad_runs.append((fname, args))
                continue
            shown = " ".join(shlex.quote(a) for a in args)
            if status == -1:
                print(f"FAIL seed={opt.seed} prog={k}{mode} {fname} {shown}: generator bug: {expected}")
                bad_runs.append((fname, args))
                continue
            for fut, which in zip(futs, ("myc", "san")):
                got = fut.result()
                if info["lists"] and got[0] == 1:
                    cat, prob = list_rejection(got, path, info)
                    outcomes.setdefault(fname, set()).add(cat)
                    if prob and sanitizer_report(got[2]):
                        prob = f"sanitizer report: {sanitizer_report(got[2]).strip()[:300]}"
                else:
                    prob = compare(expected, status, got)
                    if info["lists"] and got[0] is not None and got[0] >= 0:
                        outcomes.setdefault(fname, set()).add("accepted")
                if prob:
                    print(f"FAIL seed={opt.seed} prog={k}{mode} {fname} {shown}: {which}: {prob}")
                    bad_runs.append((fname, args))
                    break
        if info["lists"]:
            lst["programs"] += 1
            lst["with-shape"] += bool(info["shapes"])
            lst["expect-reject"] += info["expect_reject"]
            # myc compiles what an entry uses: each entry is accepted or rejected as a whole
            for fname, cats in outcomes.items():
                if "accepted" in cats and len(cats) > 1:
                    print(f"FAIL seed={opt.seed} prog={k}{mode} {fname}: myc accepted some runs "
                          f"and rejected others ({' '.join(sorted(cats))})")
                    bad_runs.append((fname, []))
            every = set().union(*outcomes.values()) if outcomes else set()
            rej = every - {"accepted"}
            if every == {"accepted"}:
                lst["accepted"] += 1
                if bad_runs:
                    pass
                elif info["expect_reject"]:
                    lst["accepted-unexpected"].append(k)
                else:
                    lst["accepted-matching"] += 1
            elif rej:
                lst["rejected"] += 1
                if "rejected-expected" in rej and not bad_runs:
                    lst["rejected-expected"] += 1
                elif rej == {"rejected-fine"}:
                    (lst["rejected-fine"] if not info["expect_reject"] else
                     lst.setdefault("rejected-elsewhere", [])).append(k)
            else:
                lst["not-run"] += 1
        for label, which, strict, p, fut in dumps:
            got = fut.result()
            prob = check_dump(label, strict, got, p, info["exports"], opt.dot_render)
            if prob:
                print(f"FAIL seed={opt.seed} prog={k}{mode} {label}: {which}: {prob}")
                bad_dumps.append(label)
            elif label == "infer" and which == "myc" and got[0] == 1:
                stats["infer-rejected"] += 1
                for kind, m in diag_lines(got[2], p):
                    if kind == "error":
                        key = error_kind(m)
                        infer_errors[key] = infer_errors.get(key, 0) + 1
        if bad_runs or bad_dumps:
            failed += 1
            lst["failed"] += info["lists"]
            if opt.keep:
                with open(os.path.join(opt.keep, f"difftest_{opt.seed}_{k}.my"), "w") as f:
                    f.write(f"# difftest.py --seed {opt.seed} --poly {opt.poly} --lists {opt.lists} --print {k}\n")
                    for label in sorted(set(bad_dumps)):
                        if label in ("parse", "infer"):
                            f.write(f"# DUMP FAILED: {label}\n")
                    for fname, args in bad_runs:
                        f.write(f"# RUN: {fname} {' '.join(shlex.quote(a) for a in args)}\n")
                    f.write(src)
                if any(label in ("infer-export", "infer-dot") for label in bad_dumps):
                    with open(os.path.join(opt.keep, f"difftest_{opt.seed}_{k}_export.my"), "w") as f:
                        f.write(f"# difftest.py --seed {opt.seed} --poly {opt.poly} --lists {opt.lists} --print-export {k}\n")
                        f.write(f"# DUMP FAILED: {' '.join(sorted(set(bad_dumps)))}\n")
                        f.write(info["export_src"])
        else:
            passed += 1
        for q in (path, xpath):
            try:
                os.remove(q)
            except OSError:
                pass
    pool.shutdown()
    try:
        os.rmdir(tmpdir)
    except OSError:
        pass
    if opt.verbose:
        print(f"programs: {opt.n} ({stats['poly']} polymorphic), runs: {stats['runs']}, "
              f"compared: {stats['compared']}, dropped: {stats['dropped']} "
              f"{sorted(drop_reasons.items(), key=lambda kv: -kv[1])}", file=sys.stderr)
        print(f"dumps: {stats['dumps']}; unannotated programs export mode rejects: "
              f"{stats['infer-rejected']}", file=sys.stderr)
        for key, c in sorted(infer_errors.items(), key=lambda kv: -kv[1]):
            print(f"  {c:5d}  {key}", file=sys.stderr)
    if lst["programs"]:
        fine, elsewhere = lst["rejected-fine"], lst.get("rejected-elsewhere", [])
        rej = f"{lst['rejected-expected']} as expected, {len(fine)} the generator thought fine"
        if fine:
            rej += f" (programs {' '.join(map(str, fine))})"
        if elsewhere:
            rej += (f", {len(elsewhere)} with a rejected shape but not at it "
                    f"(programs {' '.join(map(str, elsewhere))})")
        unexp = lst["accepted-unexpected"]
        acc = f"{lst['accepted-matching']} matching CPython, {len(unexp)} with a rejected shape " \
              f"and matching CPython" + (f" (programs {' '.join(map(str, unexp))})" if unexp else "")
        print(f"lists: {lst['programs']} programs, {lst['with-shape']} with an alias shape "
              f"({lst['expect-reject']} a rejected one); accepted {lst['accepted']} ({acc}); "
              f"rejected {lst['rejected']} ({rej}); "
              f"failed {lst['failed']}" + (f"; no run compared {lst['not-run']}" if lst["not-run"] else ""))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
