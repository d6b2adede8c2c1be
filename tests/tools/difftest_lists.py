"""difftest_lists.py: the list programs of difftest.py (`--lists RATE`).

Generates random `.my` programs with lists (contract section 5,
/work/shared/spec/LANGUAGE.md; docs/language.md section 14), deterministically
from the random stream it is given.  A program is a few helpers and one or two
entry functions taking list parameters (passed as `"[1.0, 2.5]"` on the
`myc run` command line) and returning lists, tuples holding lists or numbers.

What they use: displays, `[]` filled by appends, `[e] * n`, comprehensions
(filters, two `for` clauses, tuple targets, enumerate and zip inside), `len`,
indexing (also negative; every index is in range by construction: loop
indices over `range(len(a))`, constants below a known minimum length, `i %
len(a)` of a non-empty list), slices with omitted bounds and negative steps,
`for x in a`, `for i, x in enumerate(a)`, `for x, y in zip(a, b)`,
`sum`/`min`/`max` of lists and of generator expressions (`min`/`max` of
non-empty ones only), `in`, `==`, item assignment and augmented item
assignment in loops, `append`/`extend`/`pop`, `+=`/`*=` on lists, copies
(`list(a)`, `a[:]`, `a.copy()`), matrices built by comprehension changed as
`m[i][j] += ...`, rows replaced whole, lists of tuples and tuples holding
lists, closures reading lists, helpers that change their list parameter
called as `u = step(u)`, recursion over a list with an index (reading it, or
changing it and passing it on), buffers swapped by `u, v = v, u`.

The generator models which variables refer to which list: every list variable
it keeps for later blocks is the only reference to its list (it is assigned
only fresh lists: displays, comprehensions, copies, slices, concatenations,
results of helpers that build a new list, or `u = step(u)`), so the plain
blocks never make an alias.  Aliases are made only by the alias blocks, one of
the shapes of contract 5.3 each:

    var      b = a; (change a); ... b ...
    tuple    t = (a, k); (change a); ... t ...
    closure  f reads a; (change a); f(...)
    rows     m = [[0.0] * c] * r; m[i][j] = ...; ... m[other row] ...
    shallow  m2 = list(m); m2[i][j] = ...; ... m ...
    param    w = step(a); ... a ...    (step changes its parameter)

in a *rejected* variant (the other reference is used after the change:
CPython shows the change, myc must refuse the program with a located error)
or an *accepted* variant (the alias is used only before the change, or the
program copies explicitly: `b = list(a)`, `[list(r) for r in m]`,
`a = step(a)`, `w = step(list(a))`, rows built by a comprehension, rows of a
shallow copy replaced whole).  `alias_rate` of the programs get alias blocks.

Each emitted line is tagged: 'reject' (the change of a rejected alias shape),
'idiom: WHICH' (a change contract 5.3 says myc must accept: a list made in the
function filled or updated in loops, `for i, x in enumerate(a): a[i] = ...`,
a swapped buffer written, a row replaced whole, a copy changed, a change
whose alias is never used again, `u = step(u)`, the change in a recursion
that passes the list on, the change inside such a `step`), or None (another
change myc should accept but 5.3 does not list, such as an entry function
changing its own parameter, or a change of a helper's result).  difftest.py
judges a rejection by the tags of the lines myc's errors point at.

With `avoid` (difftest.py --avoid-known: the NAMEs of tests/e2e/pending_NAME.my.txt)
it may leave out the shapes of known list bugs not fixed yet; each avoidance
names its pending file and holds only while that file exists (the AV_* names
below).  The list bugs it found before are fixed (their repros are
tests/e2e/lists/difftest_found*.my).

Things it avoids (contract 5.6 and fairness): lists mixing ints and floats
(each list's items are all floats or all ints; int arguments for
`list[float]` parameters are converted as `myc run` does), `sum` of a possibly
empty float list or generator (written `sum(a, 0.0)` or `0.0 + sum(...)`),
NaN and infinities in lists (items stay small; there is no float division
but by nonzero constants), int overflow (the CPython run checks every int
operation), rebinding a variable a live closure captured, `min`/`max` of a
possibly empty list, runtime errors (an IndexError in CPython is a generator
bug and reported as one).
"""


# Kinds of variables: 'fl' list[float], 'il' list[int], 'mat' list[list[float]],
# 'pl' list[(float, int)], 'tl' (list[float], float), 'f' float, 'i' int.
LIST_KINDS = ("fl", "il", "mat", "pl")

# --avoid-known: the known list bugs, each named by its tests/e2e/pending_NAME.my.txt.
AV_ROWCOMP = "list_row_replaced_by_comprehension"   # then another row's item changed:
                                                    # rejected
ANN = {"fl": "list[float]", "il": "list[int]", "mat": "list[list[float]]",
       "pl": "list[(float, int)]", "tl": "(list[float], float)", "f": "float", "i": "int"}
ALIAS_SHAPES = ("var", "tuple", "closure", "rows", "shallow", "param")



class LV:
    """A variable the blocks may use: kind, minimum length (lists), minimum row length
    (matrices), read-only (never changed: rows taken out, lists inside tuples)."""
    def __init__(self, name, kind, minlen=0, mincols=0, local=True, call=False):
        self.name, self.kind, self.minlen, self.mincols = name, kind, minlen, mincols
        self.local = local          # made in this function (not a parameter, nor a call's result)
        self.call = call            # a call's result
        self.busy = 0               # > 0: iterated over by an enclosing loop / captured


class Helper:
    def __init__(self, name, kind, params, ret, lines):
        self.name, self.kind, self.params, self.ret, self.lines = name, kind, params, ret, lines


class ListGen:
    def __init__(self, rng, alias_rate=0.45, avoid=frozenset()):
        self.r = rng
        self.avoid = avoid       # known bugs not fixed yet (difftest.py --avoid-known)
        self.counter = 0
        self.out = []            # (text, tag)
        self.helpers = {}        # kind -> Helper
        self.alias_rate = alias_rate
        self.shapes = []         # (shape, 'reject'|'accept')
        self.const = 0           # length of the top-level constant list W (0: none)
        self.loop_depth = 0      # enclosing loops of the block being written (lengths may
                                 # not grow there, and nothing pops)
        self.expect_reject = False

    # -- utilities ---------------------------------------------------------------
    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(seq)

    def emit(self, ind, text, tag=None):
        self.out.append(("    " * ind + text, tag))

    def flit(self, lo=-4.0, hi=4.0):
        x = self.r.random()
        if x < 0.5:
            v = self.pick((0.5, 1.0, 1.5, 2.0, 0.25, 0.75, 3.0, 0.1, 2.5))
            v = -v if self.chance(0.25) else v
        else:
            v = round(self.r.uniform(lo, hi), self.r.randint(0, 3))
        return repr(v)

    def ilit(self, lo=-5, hi=9):
        return str(self.r.randint(lo, hi))

    def elit(self, el):
        return self.flit() if el == "f" else self.ilit()

    # -- the pool ------------------------------------------------------------------
    def vars(self, scope, kinds, free=False, minlen=0):
        return [v for v in scope if v.kind in kinds and (not free or v.busy == 0)
                and v.minlen >= minlen]

    def el(self, kind):
        return "f" if kind == "fl" else "i"

    def itv(self, el):
        """The name of a statement-level loop variable over items: every variable has one
        type, so float items are x, int items p."""
        return "x" if el == "f" else "p"

    # -- scalar expressions ----------------------------------------------------------
    def index(self, v, loopvars=()):
        """An int expression that is a valid index of list v."""
        opts = []
        if v.minlen >= 1:
            k = self.r.randint(-v.minlen, v.minlen - 1)
            opts += [str(k), str(k), f"len({v.name}) - 1", "-1"]
            ints = [n for n, lv in loopvars if lv is None]
            if ints:
                opts.append(f"{self.pick(ints)} % len({v.name})")
        for n, lv in loopvars:
            if lv is v:
                opts += [n, n, f"len({v.name}) - 1 - {n}", f"{n} // 2"]
        return self.pick(opts) if opts else None

    def fexpr(self, scope, d=0, loopvars=()):
        """A float expression (small magnitudes)."""
        x = self.r.random()
        fs = [v.name for v in scope if v.kind == "f"]
        if d >= 2 or x < 0.25:
            if fs and self.chance(0.6):
                return self.pick(fs)
            return self.flit()
        if x < 0.45:
            ls = [v for v in scope if v.kind == "fl" and self.index(v, loopvars) is not None]
            if ls:
                v = self.pick(ls)
                return f"{v.name}[{self.index(v, loopvars)}]"
            return self.flit()
        if x < 0.55:
            ls = self.vars(scope, ("fl",))
            if ls:
                v = self.pick(ls)
                if v.minlen >= 1 and self.chance(0.5):
                    return f"{self.pick(('min', 'max'))}({v.name})"
                return f"sum({v.name}, 0.0)"
            return self.flit()
        if x < 0.62:
            ls = self.vars(scope, ("il",))
            if ls:
                return f"float(len({self.pick(ls).name}))"
        if x < 0.68:
            ms = [v for v in scope if v.kind == "mat" and v.minlen >= 1 and v.mincols >= 1]
            if ms:
                m = self.pick(ms)
                return f"{m.name}[{self.r.randint(0, m.minlen - 1)}][{self.r.randint(-m.mincols, m.mincols - 1)}]"
        if x < 0.74:
            ts = self.vars(scope, ("tl",))
            if ts:
                t = self.pick(ts)
                return self.pick((f"{t.name}[1]", f"sum({t.name}[0], 0.0)", f"float(len({t.name}[0]))"))
        a = self.fexpr(scope, d + 1, loopvars)
        b = self.fexpr(scope, d + 1, loopvars)
        op = self.pick(("+", "-", "*", "+", "-"))
        if op == "*" and d == 0:
            return f"{a} * {self.pick(('0.5', '1.5', '0.25', '-1.0', '2.0'))}"
        return f"({a} {op} {b})" if d > 0 else f"{a} {op} {b}"

    def iexpr(self, scope, d=0, loopvars=()):
        x = self.r.random()
        ins = [v.name for v in scope if v.kind == "i"] + [n for n, lv in loopvars if lv is None]
        if d >= 2 or x < 0.3:
            if ins and self.chance(0.6):
                return self.pick(ins)
            return self.ilit()
        if x < 0.45:
            ls = [v for v in scope if v.kind == "il" and self.index(v, loopvars) is not None]
            if ls:
                v = self.pick(ls)
                return f"{v.name}[{self.index(v, loopvars)}]"
        if x < 0.55:
            ls = self.vars(scope, LIST_KINDS)
            if ls:
                return f"len({self.pick(ls).name})"
        if x < 0.62:
            ls = self.vars(scope, ("il",))
            if ls:
                v = self.pick(ls)
                if v.minlen >= 1 and self.chance(0.5):
                    return f"{self.pick(('min', 'max'))}({v.name})"
                return f"sum({v.name})"
        a = self.iexpr(scope, d + 1, loopvars)
        b = self.iexpr(scope, d + 1, loopvars)
        op = self.pick(("+", "-", "+", "*"))
        if op == "*":
            b = self.ilit(-3, 3)
        return f"({a} {op} {b})" if d > 0 else f"{a} {op} {b}"

    def eexpr(self, el, scope, loopvars=()):
        return self.fexpr(scope, 0, loopvars) if el == "f" else self.iexpr(scope, 0, loopvars)

    def bexpr(self, scope, loopvars=()):
        x = self.r.random()
        ls = self.vars(scope, ("fl", "il"))
        if ls and x < 0.3:
            v = self.pick(ls)
            e = self.eexpr(self.el(v.kind), scope, loopvars)
            return f"{e} {self.pick(('in', 'not in'))} {v.name}"
        if ls and x < 0.5:
            v = self.pick(ls)
            same = [w for w in ls if w.kind == v.kind]
            w = self.pick(same)
            other = self.pick((w.name, f"{w.name}[::-1]", f"list({w.name})", f"{v.name}[:]"))
            return f"{v.name} {self.pick(('==', '!='))} {other}"
        if x < 0.75:
            return f"{self.fexpr(scope, 1, loopvars)} {self.pick(('<', '>', '<=', '>='))} {self.flit()}"
        return f"{self.iexpr(scope, 1, loopvars)} {self.pick(('<', '>', '==', '!='))} {self.ilit()}"

    # -- fresh list expressions ----------------------------------------------------------
    def fresh_list(self, el, scope, loopvars=()):
        """(expression, minimum length) of a new list[float] (el 'f') or list[int] ('i')."""
        kind = "fl" if el == "f" else "il"
        srcs = self.vars(scope, (kind,))
        anyl = self.vars(scope, ("fl", "il"))
        x = self.r.random()
        if x < 0.12 or not srcs:
            n = self.r.randint(1, 4)
            return "[" + ", ".join(self.elit(el) for _ in range(n)) + "]", n
        if x < 0.2:
            n = self.r.randint(0, 4)
            return f"[{self.elit(el)}] * {n}" if self.chance(0.7) else f"{n} * [{self.elit(el)}]", n
        a = self.pick(srcs)
        if x < 0.3:
            return self.pick((f"list({a.name})", f"{a.name}[:]", f"{a.name}.copy()")), a.minlen
        if x < 0.38:
            k = self.r.randint(0, 3)
            s = self.pick((f"{a.name}[{k}:]", f"{a.name}[:{k}]", f"{a.name}[::-1]", f"{a.name}[::2]",
                           f"{a.name}[-{k + 1}:]", f"{a.name}[::-{k + 1}]", f"{a.name}[1:-1]",
                           f"{a.name}[{k}::-1]"))
            ml = a.minlen if s.endswith("[::-1]") else 0
            return s, ml
        if x < 0.45:
            b = self.pick(srcs)
            return f"{a.name} + {b.name}", a.minlen + b.minlen
        if x < 0.52:
            n = self.r.randint(0, 3)
            return f"[{self.elit(el)} for _ in range({n})] + {a.name}", a.minlen + n
        # comprehensions
        y = self.r.random()
        if el == "f":
            body = lambda v: self.pick((f"{v} * {self.flit()}", f"{v} + {self.flit()}", f"abs({v})",
                                        f"{v} * {v}", f"max({v}, {self.flit()})"))
        else:
            body = lambda v: self.pick((f"{v} * {self.ilit(-3, 3)}", f"{v} + {self.ilit()}", f"abs({v})",
                                        f"{v} // 2", f"{v} % 3"))
        if y < 0.3:
            return f"[{body('x')} for x in {a.name}]", a.minlen
        if y < 0.45:
            cmp = self.pick(("<", ">", "!="))
            return f"[{body('x')} for x in {a.name} if x {cmp} {self.elit(el)}]", 0
        if y < 0.6:
            b = self.pick(srcs)
            return f"[{body('x')} + {body('y')} for x, y in zip({a.name}, {b.name})]", min(a.minlen, b.minlen)
        if y < 0.72:
            conv = "float(i)" if el == "f" else "i"
            return f"[{body('x')} + {conv} for i, x in enumerate({a.name})]", a.minlen
        if y < 0.82:
            b = self.pick(anyl)
            conv = (lambda s: f"float({s})") if el == "f" and b.kind == "il" else (lambda s: s)
            return (f"[{body('x')} for x in {a.name} for y in {b.name} if y > {self.elit(self.el(b.kind))}]"
                    if self.chance(0.5) else
                    f"[x + {conv('y')} for x in {a.name} for y in {b.name}]"), 0
        if y < 0.9:
            n = self.r.randint(0, 4)
            conv = "float(i)" if el == "f" else "i"
            return f"[{conv} * {self.elit(el)} for i in range({n})]", n
        if el == "f":
            return f"list({body('x')} for x in {a.name})", a.minlen
        return f"[len({a.name}) - i for i in range(len({a.name}))]", a.minlen

    def new_row(self, row, k=None):
        """A new list replacing `row` (as long): a comprehension over it, or a
        repetition (AV_ROWCOMP)."""
        k = k or self.flit()
        if AV_ROWCOMP in self.avoid:
            return f"[{k}] * len({row})"
        return f"[x * 0.5 + {k} for x in {row}]"

    def fresh_mat(self, scope):
        """(expression, rows, cols) of a new matrix with distinct rows."""
        fls = self.vars(scope, ("fl",))
        x = self.r.random()
        if x < 0.35 or not fls:
            r, c = self.r.randint(1, 3), self.r.randint(1, 3)
            if self.chance(0.5):
                return f"[[{self.flit()}] * {c} for _ in range({r})]", r, c
            return f"[[float(i * {c} + j) * {self.flit()} for j in range({c})] for i in range({r})]", r, c
        a = self.pick(fls)
        if x < 0.6:
            b = self.pick(fls)
            return f"[[x * y for y in {b.name}] for x in {a.name}]", a.minlen, b.minlen
        if x < 0.75:
            return f"[[x, x + 1.0] for x in {a.name}]", a.minlen, 2
        if x < 0.9:
            ms = self.vars(scope, ("mat",))
            if ms:
                m = self.pick(ms)
                return self.pick(((f"[list(r) for r in {m.name}]", m.minlen, m.mincols),
                                  (f"[[x * 2.0 for x in r] for r in {m.name}]", m.minlen, m.mincols),
                                  (f"[r[:] for r in {m.name}] + [[0.0] * {m.mincols}]", m.minlen + 1, m.mincols)))
        return f"[{a.name}[:] for _ in range(2)]", 2, a.minlen

    # -- blocks -----------------------------------------------------------------------
    def block(self, ind, scope, depth, loopvars=(), top=True):
        """One random block; may add variables to scope."""
        x = self.r.random()
        if x < 0.14:
            return self.b_new_list(ind, scope, loopvars)
        if x < 0.26:
            return self.b_update_loop(ind, scope, depth, loopvars)
        if x < 0.36:
            return self.b_accumulate(ind, scope, loopvars)
        if x < 0.46:
            return self.b_grow(ind, scope, loopvars, top)
        if x < 0.54:
            return self.b_matrix(ind, scope, loopvars, top)
        if x < 0.6 and depth < 2:
            return self.b_outer_loop(ind, scope, depth, loopvars)
        if x < 0.66:
            return self.b_tuples(ind, scope, loopvars, top)
        if x < 0.72:
            return self.b_closure(ind, scope, loopvars)
        if x < 0.8:
            return self.b_helper_call(ind, scope, loopvars, top)
        if x < 0.86 and top:
            return self.b_swap(ind, scope)
        if x < 0.92:
            return self.b_if(ind, scope, depth, loopvars)
        return self.b_accumulate(ind, scope, loopvars)

    def changeable(self, scope, kinds, minlen=0):
        return [v for v in scope if v.kind in kinds and v.busy == 0 and v.minlen >= minlen]

    def tag_of(self, v):
        return "idiom: a list made here, changed" if v.local else None

    def b_new_list(self, ind, scope, loopvars):
        el = self.pick(("f", "f", "i"))
        if self.chance(0.25):
            # [] filled by appends in a loop: the idiom
            name = self.fresh("xs")
            ann = f": {ANN['fl' if el == 'f' else 'il']}" if self.chance(0.4) else ""
            self.emit(ind, f"{name}{ann} = []")
            n = self.r.randint(0, 5)
            src = self.vars(scope, ("fl" if el == "f" else "il",))
            if src and self.chance(0.5):
                s = self.pick(src)
                it = self.itv(el)
                self.emit(ind, f"for {it} in {s.name}:")
                cond = self.chance(0.4)
                if cond:
                    self.emit(ind + 1, f"if {it} {self.pick(('<', '>'))} {self.elit(el)}:")
                self.emit(ind + 1 + cond, f"{name}.append({it} {self.pick(('+', '*', '-'))} {self.elit(el)})", "idiom: filled by appends")
                v = LV(name, "fl" if el == "f" else "il", 0 if cond else s.minlen)
            else:
                self.emit(ind, f"for i in range({n}):")
                conv = "float(i)" if el == "f" else "i"
                self.emit(ind + 1, f"{name}.append({conv} * {self.elit(el)} + {self.eexpr(el, scope, loopvars)})", "idiom: filled by appends")
                v = LV(name, "fl" if el == "f" else "il", n)
            scope.append(v)
            return
        e, ml = self.fresh_list(el, scope, loopvars)
        name = self.fresh("a")
        self.emit(ind, f"{name} = {e}")
        scope.append(LV(name, "fl" if el == "f" else "il", ml))

    def b_update_loop(self, ind, scope, depth, loopvars):
        vs = self.changeable(scope, ("fl", "il"))
        if not vs:
            return self.b_new_list(ind, scope, loopvars)
        v = self.pick(vs)
        el = self.el(v.kind)
        op = self.pick(("=", "+=", "-=", "*=")) if el == "f" else self.pick(("=", "+=", "-="))
        x = self.r.random()
        it = self.itv(el)
        if x < 0.35:
            self.emit(ind, f"for i, {it} in enumerate({v.name}):")
            v.busy += 1
            rhs = (f"{it} * {self.elit(el)} + {self.eexpr(el, scope, loopvars)}" if el == "f"
                   else f"{it} + {self.eexpr(el, scope, loopvars)}")
            self.emit(ind + 1, f"{v.name}[i] = {rhs}", "idiom: enumerate update")
            v.busy -= 1
        elif x < 0.7:
            self.emit(ind, f"for i in range(len({v.name})):")
            lv = tuple(loopvars) + (("i", v),)
            rhs = self.eexpr(el, scope, lv)
            if op == "*=":
                rhs = self.pick(("0.5", "1.5", "-1.0"))
            if self.chance(0.3):
                self.emit(ind + 1, f"if {self.bexpr(scope, lv)}:")
                ind += 1
            self.emit(ind + 1, f"{v.name}[i] {op} {rhs}", self.tag_of(v))
        elif x < 0.85 and v.minlen >= 2:
            i = self.index(v, loopvars)
            j = self.index(v, loopvars)
            self.emit(ind, f"{v.name}[{i}], {v.name}[{j}] = {v.name}[{j}], {v.name}[{i}]", self.tag_of(v))
        else:
            idx = self.index(v, loopvars)
            if idx is None:
                self.emit(ind, f"if len({v.name}) > 0:")
                ind += 1
                idx = self.pick(("0", "-1", f"len({v.name}) // 2"))
            rhs = self.eexpr(el, scope, loopvars) if op != "*=" else "2.0"
            self.emit(ind, f"{v.name}[{idx}] {op} {rhs}", self.tag_of(v))

    def b_accumulate(self, ind, scope, loopvars):
        name = self.fresh("s")
        x = self.r.random()
        fls = self.vars(scope, ("fl",))
        ils = self.vars(scope, ("il",))
        if x < 0.3 and fls:
            a = self.pick(fls)
            self.emit(ind, f"{name} = 0.0")
            y = self.r.random()
            if y < 0.4:
                self.emit(ind, f"for x in {a.name}:")
                self.emit(ind + 1, f"{name} += x * {self.flit()}")
            elif y < 0.7 and len(fls) > 1:
                b = self.pick(fls)
                self.emit(ind, f"for x, y in zip({a.name}, {b.name}):")
                self.emit(ind + 1, f"{name} += x * y")
            else:
                start = self.pick(("", "", ", 1", ", -2"))
                self.emit(ind, f"for i, x in enumerate({a.name}{start}):")
                self.emit(ind + 1, f"{name} = {name} * 0.5 + x * float(i)")
            scope.append(LV(name, "f"))
            return
        if x < 0.55 and fls:
            a = self.pick(fls)
            opts = [f"0.0 + sum(x * x for x in {a.name})",
                    f"0.0 + sum(x for x in {a.name} if x > {self.flit()})",
                    f"sum({a.name}, {self.flit()})",
                    f"0.0 + sum(x * float(i) for i, x in enumerate({a.name}))"]
            if a.minlen >= 1:
                opts += [f"{self.pick(('min', 'max'))}({a.name})",
                         f"{self.pick(('min', 'max'))}(x * {self.flit()} for x in {a.name})",
                         f"sum({a.name})"]
            if len(fls) > 1:
                b = self.pick(fls)
                opts.append(f"0.0 + sum(x * y for x, y in zip({a.name}, {b.name}))")
            self.emit(ind, f"{name} = {self.pick(opts)}")
            scope.append(LV(name, "f"))
            return
        if x < 0.75 and ils:
            a = self.pick(ils)
            opts = [f"sum({a.name})", f"len({a.name})", f"sum(1 for x in {a.name} if x > {self.ilit()})",
                    f"sum([x > {self.ilit()} for x in {a.name}])",
                    f"len([x for x in {a.name} if x % 2 == 0])", f"sum(x * i for i, x in enumerate({a.name}))"]
            if a.minlen >= 1:
                opts += [f"{self.pick(('min', 'max'))}({a.name})", f"max(abs(x) for x in {a.name})",
                         f"{a.name}[{self.index(a, loopvars)}]"]
            self.emit(ind, f"{name} = {self.pick(opts)}")
            scope.append(LV(name, "i"))
            return
        if x < 0.85:
            self.emit(ind, f"{name} = {self.bexpr(scope, loopvars)}")
            sb = self.fresh("sb")
            self.emit(ind, f"{sb} = 1.0 if {name} else -1.0")
            scope.append(LV(sb, "f"))
            return
        self.emit(ind, f"{name} = {self.fexpr(scope, 0, loopvars)}")
        scope.append(LV(name, "f"))

    def b_grow(self, ind, scope, loopvars, top):
        vs = self.changeable(scope, ("fl", "il"))
        if not vs:
            return self.b_new_list(ind, scope, loopvars)
        v = self.pick(vs)
        el = self.el(v.kind)
        tag = self.tag_of(v)
        x = self.r.random()
        if x < 0.3:
            self.emit(ind, f"{v.name}.append({self.eexpr(el, scope, loopvars)})", tag)
            if not self.loop_depth:
                v.minlen += 1
        elif x < 0.45:
            e, ml = self.fresh_list(el, [w for w in scope if w is not v or self.chance(0.2)], loopvars)
            self.emit(ind, f"{v.name}.extend({e})", tag)
            if not self.loop_depth:
                v.minlen += ml
        elif x < 0.6:
            e, ml = self.fresh_list(el, [w for w in scope if w is not v], loopvars)
            self.emit(ind, f"{v.name} += {e}", tag)
            if not self.loop_depth:
                v.minlen += ml
        elif x < 0.7 and top and not self.loop_depth:
            k = self.r.randint(0, 2)
            self.emit(ind, f"{v.name} *= {k}", tag)
            v.minlen *= k
        elif x < 0.85 and not self.loop_depth:
            s = self.fresh("pv")
            self.emit(ind, f"{s} = {self.elit(el)}")
            self.emit(ind, f"if len({v.name}) > 1:")
            self.emit(ind + 1, f"{s} = {v.name}.pop()", tag)
            v.minlen = min(v.minlen, 1)
            scope.append(LV(s, "f" if el == "f" else "i"))
        elif not self.loop_depth:
            s = self.fresh("pv")
            self.emit(ind, f"{s} = {self.elit(el)}")
            self.emit(ind, f"if len({v.name}) > 2:")
            self.emit(ind + 1, f"{s} = {v.name}.pop({self.pick(('0', '1', '-2'))})", tag)
            v.minlen = min(v.minlen, 2)
            scope.append(LV(s, "f" if el == "f" else "i"))

    def b_matrix(self, ind, scope, loopvars, top):
        ms = self.changeable(scope, ("mat",))
        if not ms or self.chance(0.3):
            e, r, c = self.fresh_mat(scope)
            name = self.fresh("m")
            self.emit(ind, f"{name} = {e}")
            scope.append(LV(name, "mat", r, c))
            return
        m = self.pick(ms)
        x = self.r.random()
        if x < 0.4:
            self.emit(ind, f"for i in range(len({m.name})):")
            self.emit(ind + 1, f"for j in range(len({m.name}[i])):")
            op = self.pick(("=", "+=", "*="))
            rhs = self.pick(("0.5", "-1.0", "1.5")) if op == "*=" else \
                self.pick((f"float(i - j)", f"{m.name}[i][j] * 0.5 + float(j)", self.fexpr(scope, 1, loopvars)))
            self.emit(ind + 2, f"{m.name}[i][j] {op} {rhs}", self.tag_of(m))
        elif x < 0.55 and m.minlen >= 1 and m.mincols >= 1:
            self.emit(ind, f"{m.name}[{self.r.randint(-m.minlen, m.minlen - 1)}][{self.r.randint(0, m.mincols - 1)}] "
                           f"{self.pick(('=', '+='))} {self.fexpr(scope, 1, loopvars)}", self.tag_of(m))
        elif x < 0.7 and m.minlen >= 1:
            # a row replaced whole
            i = self.r.randint(0, m.minlen - 1)
            self.emit(ind, f"{m.name}[{i}] = {self.new_row(m.name + f'[{i}]')}", "idiom: row replaced")
        elif x < 0.8:
            self.emit(ind, f"{m.name}.append([{self.flit()}] * {m.mincols + self.r.randint(0, 1)})", self.tag_of(m))
            if not self.loop_depth:
                m.minlen += 1
        else:
            name = self.fresh("rs")
            self.emit(ind, self.pick((
                f"{name} = [sum(r, 0.0) for r in {m.name}]",
                f"{name} = [0.0 + sum(x * x for x in r) for r in {m.name}]",
                f"{name} = [x for r in {m.name} for x in r if x > 0.0]")))
            scope.append(LV(name, "fl", m.minlen if "if" not in self.out[-1][0] else 0))
            if m.mincols >= 1 and m.minlen >= 1 and self.chance(0.5):
                t = self.fresh("mt")
                self.emit(ind, f"{t} = [[{m.name}[i][j] for i in range(len({m.name}))] for j in range({m.mincols})]")
                scope.append(LV(t, "mat", m.mincols, m.minlen))

    def b_outer_loop(self, ind, scope, depth, loopvars):
        """A loop around a few blocks: range, or iterating over a list (not changed inside)."""
        x = self.r.random()
        lists = self.vars(scope, ("fl", "il"))
        inner = list(scope)
        lv = tuple(loopvars)
        busy = None
        if x < 0.5 or not lists:
            k = self.fresh("k")
            self.emit(ind, f"for {k} in range({self.r.randint(0, 3)}):")
            lv = lv + ((k, None),)
        else:
            busy = self.pick(lists)
            busy.busy += 1
            y = self.fresh("y")
            if busy.kind == "fl":
                self.emit(ind, f"for {y} in {busy.name}:")
                inner.append(LV(y, "f"))
            else:
                self.emit(ind, f"for {y} in {busy.name}{self.pick(('', '[::-1]', '[1:]'))}:")
                inner.append(LV(y, "i"))
        n = self.r.randint(1, 2)
        self.loop_depth += 1
        start = len(self.out)
        for _ in range(n):
            self.block(ind + 1, inner, depth + 1, lv, top=False)
        if len(self.out) == start:          # the blocks chose to write nothing
            self.b_accumulate(ind + 1, inner, lv)
        self.loop_depth -= 1
        if busy:
            busy.busy -= 1
        # variables first made inside the loop are not kept (they may not be set)

    def b_if(self, ind, scope, depth, loopvars):
        self.emit(ind, f"if {self.bexpr(scope, loopvars)}:")
        inner = list(scope)
        before = {v.name: v.minlen for v in scope}
        start = len(self.out)
        self.block(ind + 1, inner, depth + 1, loopvars, top=False)
        if len(self.out) == start:
            self.b_accumulate(ind + 1, inner, loopvars)
        for v in scope:     # a change in the branch: only what holds both ways
            v.minlen = min(v.minlen, before[v.name])

    def b_tuples(self, ind, scope, loopvars, top):
        fls = self.vars(scope, ("fl",))
        x = self.r.random()
        if x < 0.5 and fls:
            a = self.pick(fls)
            name = self.fresh("ps")
            self.emit(ind, f"{name} = [(x, i) for i, x in enumerate({a.name})]")
            v = LV(name, "pl", a.minlen)
            scope.append(v)
            s = self.fresh("s")
            y = self.r.random()
            if y < 0.4:
                self.emit(ind, f"{s} = 0.0")
                self.emit(ind, f"for x, i in {name}:")
                self.emit(ind + 1, f"{s} += x * float(i)")
            elif y < 0.7 and v.minlen >= 1:
                self.emit(ind, f"{name}[0] = ({name}[0][0] + 1.0, {name}[-1][1])", "idiom: changed in the function")
                self.emit(ind, f"{s} = 0.0 + sum(x for x, _ in {name})")
            else:
                self.emit(ind, f"{name}.append(({self.flit()}, {self.ilit()}))", "idiom: filled by appends")
                v.minlen += 1
                self.emit(ind, f"{s} = {name}[-1][0] * float({name}[0][1])")
            scope.append(LV(s, "f"))
        elif fls:
            a = self.pick(fls)
            name = self.fresh("t")
            self.emit(ind, f"{name} = ({self.pick(('list', ''))}({a.name}[::-1]), {self.fexpr(scope, 1, loopvars)})")
            scope.append(LV(name, "tl"))

    def b_closure(self, ind, scope, loopvars):
        fls = self.vars(scope, ("fl",), minlen=1)
        if not fls:
            return self.b_accumulate(ind, scope, loopvars)
        a = self.pick(fls)
        f = self.fresh("get")
        k = self.flit()
        if self.chance(0.5):
            self.emit(ind, f"def {f}(j: int) -> float:")
            self.emit(ind + 1, f"return {a.name}[j % len({a.name})] * {k}")
        else:
            self.emit(ind, f"{f} = lambda j: {a.name}[j % len({a.name})] * {k}")
        s = self.fresh("s")
        self.emit(ind, f"{s} = {f}({self.ilit()}) + 0.0 + sum({f}(j) for j in range({self.r.randint(0, 4)}))")
        scope.append(LV(s, "f"))

    def b_swap(self, ind, scope):
        """Two buffers: one read, the other written, swapped (the heat-equation idiom)."""
        fls = self.vars(scope, ("fl",), minlen=0)
        if not fls:
            return self.b_new_list(ind, scope, ())
        u = self.pick(fls)
        if u.busy:
            return
        v = self.fresh("v")
        w = self.fresh("w")
        self.emit(ind, f"{w} = list({u.name})")
        self.emit(ind, f"{v} = [0.0] * len({w})")
        self.emit(ind, f"for _ in range({self.r.randint(0, 3)}):")
        self.emit(ind + 1, f"for i in range(1, len({w}) - 1):")
        self.emit(ind + 2, f"{v}[i] = {w}[i] + 0.25 * ({w}[i - 1] - 2.0 * {w}[i] + {w}[i + 1])", "idiom: swapped buffers")
        self.emit(ind + 1, f"{w}, {v} = {v}, {w}")
        # v and w are two distinct lists again (swapped): keep w (the result)
        scope.append(LV(w, "fl", u.minlen))

    def b_helper_call(self, ind, scope, loopvars, top):
        x = self.r.random()
        fls = self.changeable(scope, ("fl",))
        allf = self.vars(scope, ("fl",))
        if x < 0.3 and fls:
            v = self.pick(fls)
            h = self.helper(self.pick(("scale", "bump", "recfill")))
            args = {"scale": f"{v.name}, {self.flit()}", "bump": v.name, "recfill": f"{v.name}, 0"}[h.kind]
            self.emit(ind, f"{v.name} = {h.name}({args})", "idiom: u = step(u)")
            if h.kind == "bump" and not self.loop_depth:
                v.minlen += 1
            return
        if x < 0.45 and allf:
            v = self.pick(allf)
            h = self.helper(self.pick(("scale", "bump")))
            args = {"scale": f"list({v.name}), {self.flit()}", "bump": f"{v.name}[:]"}[h.kind]
            name = self.fresh("c")
            self.emit(ind, f"{name} = {h.name}({args})")
            # a call's result, not a list made here: changing it is not one of 5.3's idioms
            scope.append(LV(name, "fl", v.minlen, local=False, call=True))
            return
        if x < 0.7 and allf:
            v = self.pick(allf)
            h = self.helper(self.pick(("total", "rec", "stats")))
            name = self.fresh("h")
            if h.kind == "stats":
                self.emit(ind, f"{name} = {h.name}({v.name})[{self.pick(('0', '1', '-1'))}]")
            else:
                self.emit(ind, f"{name} = {h.name}({v.name}{', 0' if h.kind == 'rec' else ''})")
            scope.append(LV(name, "f"))
            return
        if x < 0.85:
            h = self.helper("make")
            name = self.fresh("mk")
            n = self.r.randint(0, 4)
            self.emit(ind, f"{name} = {h.name}({n})")
            scope.append(LV(name, "fl", n, local=False, call=True))
            return
        ms = self.vars(scope, ("mat",))
        if ms and allf:
            h = self.helper("matvec")
            m, v = self.pick(ms), self.pick(allf)
            name = self.fresh("mv")
            self.emit(ind, f"{name} = {h.name}({m.name}, {v.name})")
            scope.append(LV(name, "fl", m.minlen, local=False, call=True))
            return
        h = self.helper("count")
        ils = self.vars(scope, ("il",))
        if ils:
            name = self.fresh("n")
            self.emit(ind, f"{name} = {h.name}({self.pick(ils).name}, {self.ilit()})")
            scope.append(LV(name, "i"))

    # -- helpers ------------------------------------------------------------------------
    def helper(self, kind):
        if kind in self.helpers:
            return self.helpers[kind]
        n = self.fresh(kind)
        c, c2 = self.flit(-2, 2), self.flit()
        ann = self.chance(0.7)

        def a(t):
            return f": {t}" if ann else ""
        rl = " -> list[float]" if ann else ""
        L = {
            "scale": [f"def {n}(a{a('list[float]')}, k{a('float')}){rl}:",
                      "    for i, x in enumerate(a):",
                      (f"        a[i] = x * k + {c}", "idiom: step changes its parameter"),
                      "    return a"],
            "bump": [f"def {n}(u{a('list[float]')}):",
                     "    if len(u) > 0:",
                     (f"        u[0] += {c}", "idiom: step changes its parameter"),
                     (f"    u.append({c2})", "idiom: step changes its parameter"),
                     "    return u"],
            "recfill": [f"def {n}(a{a('list[float]')}, i{a('int')}){rl}:",
                        "    if i >= len(a):",
                        "        return a",
                        (f"    a[i] = a[i] * {c} + float(i)", "idiom: recursion passing the list on"),
                        f"    return {n}(a, i + 1)"],
            "total": [f"def {n}(a{a('list[float]')}) -> float:",
                      "    s = 0.0",
                      "    for x in a:",
                      f"        s += x * {c}",
                      "    return s"],
            "rec": [f"def {n}(a{a('list[float]')}, i{a('int')}) -> float:",
                    "    if i >= len(a):",
                    "        return 0.0",
                    f"    return a[i] * {c} + {n}(a, i + 1)"],
            "stats": [f"def {n}(a{a('list[float]')}):",
                      "    if len(a) == 0:",
                      "        return (0.0, 0.0, 0)",
                      "    return (min(a), max(a), len(a))"],
            "make": [f"def {n}(k{a('int')}) -> list[float]:",
                     "    xs = []",
                     "    for i in range(k):",
                     (f"        xs.append(float(i) * {c} + {c2})", "idiom: filled by appends"),
                     "    return xs"],
            "matvec": [f"def {n}(m{a('list[list[float]]')}, v{a('list[float]')}) -> list[float]:",
                       "    return [0.0 + sum(x * y for x, y in zip(row, v)) for row in m]"],
            "count": [f"def {n}(a{a('list[int]')}, t{a('int')}) -> int:",
                      "    return sum(1 for x in a if x > t) + len([x for x in a if x % 2 == 0])"],
        }[kind]
        h = Helper(n, kind, None, None, [(l, None) if isinstance(l, str) else l for l in L])
        self.helpers[kind] = h
        return h

    # -- alias blocks ---------------------------------------------------------------------
    def change_stmt(self, v):
        """One change of list v (reading nothing but v): its text; v.minlen updated."""
        el = self.el(v.kind)
        x = self.r.random()
        if v.minlen >= 1 and x < 0.4:
            return f"{v.name}[{self.r.randint(-v.minlen, v.minlen - 1)}] {self.pick(('=', '+='))} {self.elit(el)}"
        if v.minlen >= 1 and x > 0.9:
            v.minlen -= 1
            return f"{v.name}.pop()"
        if x < 0.65 or x > 0.9:
            v.minlen += 1
            return f"{v.name}.append({self.elit(el)})"
        if x < 0.8:
            v.minlen += 1
            return f"{v.name} += [{self.elit(el)}]"
        v.minlen += 2
        return f"{v.name}.extend([{self.elit(el)}, {self.elit(el)}])"

    def use_of(self, name, kind):
        """A float expression reading list `name` of kind fl/il (any length) that sees
        any change of its items or length."""
        if kind == "fl":
            return self.pick((f"sum({name}, 0.0) + float(len({name})) * 0.125",
                              f"0.0 + sum(x * float(i + 1) for i, x in enumerate({name})) + float(len({name}))"))
        return self.pick((f"float(sum({name}) + 1000 * len({name}))",
                          f"float(sum(x * (i + 1) for i, x in enumerate({name})) + 1000 * len({name}))"))

    def alias_block(self, ind, scope, shape, reject):
        """One alias shape of contract 5.3; returns the float variable it leaves."""
        s = self.fresh("al")
        tag = "reject" if reject else "idiom: alias never used again / copy changed"   # accepted: an alias never used again, a copy
        self.shapes.append((shape, "reject" if reject else "accept"))
        if reject:
            self.expect_reject = True
        cands = self.changeable(scope, ("fl", "il"))
        if shape in ("var", "tuple", "closure", "param") and not cands:
            name = self.fresh("a")
            self.emit(ind, f"{name} = [{self.flit()}, {self.flit()}]")
            cands = [LV(name, "fl", 2)]
            scope.append(cands[0])
        if shape == "var":
            a = self.pick(cands)
            tag = None if a.call and not reject else tag
            b = self.fresh("b")
            variant = "use-after" if reject else self.pick(("before", "copy"))
            self.emit(ind, f"{b} = {'list(' + a.name + ')' if variant == 'copy' else a.name}")
            if variant == "before":
                self.emit(ind, f"{s} = {self.use_of(b, a.kind)}")
            st = self.change_stmt(a)
            if reject and self.chance(0.4):     # the change through the other name
                st = st.replace(a.name, b, 1)
                self.emit(ind, st, tag)
                self.emit(ind, f"{s} = {self.use_of(a.name, a.kind)}")
                return s
            self.emit(ind, st, tag)
            if variant == "before":
                self.emit(ind, f"{s} = {s} + {self.use_of(a.name, a.kind)}")
            else:
                self.emit(ind, f"{s} = {self.use_of(b, a.kind)} + {self.use_of(a.name, a.kind)}")
            return s
        if shape == "tuple":
            a = self.pick(cands)
            tag = None if a.call and not reject else tag
            t = self.fresh("t")
            variant = "use-after" if reject else self.pick(("before", "copy"))
            held = f"list({a.name})" if variant == "copy" else a.name
            self.emit(ind, f"{t} = ({held}, {self.flit()})" if self.chance(0.6) else f"{t} = ({self.ilit()}, {held})")
            pos = 0 if self.out[-1][0].split("= (")[1].startswith(held) else 1
            use = self.use_of(f"{t}[{pos}]", a.kind)
            if variant == "before":
                self.emit(ind, f"{s} = {use}")
            self.emit(ind, self.change_stmt(a), tag)
            if variant == "before":
                self.emit(ind, f"{s} = {s} + {self.use_of(a.name, a.kind)}")
            else:
                self.emit(ind, f"{s} = {use}")
            return s
        if shape == "closure":
            fl = [v for v in cands if v.minlen >= 1]
            if not fl:
                a = cands[0]
                self.emit(ind, f"{a.name}.append({self.elit(self.el(a.kind))})", "idiom: changed in the function")
                a.minlen += 1
                fl = [a]
            a = self.pick(fl)
            tag = None if a.call and not reject else tag
            f = self.fresh("f")
            variant = "use-after" if reject else self.pick(("before", "copy"))
            src = a.name
            if variant == "copy":
                src = self.fresh("c")
                self.emit(ind, f"{src} = {a.name}[:]")
            conv = "float" if a.kind == "il" else ""
            if self.chance(0.5):
                self.emit(ind, f"{f} = lambda j: {conv}({src}[j % len({src})]) + {self.flit()}")
            else:
                self.emit(ind, f"def {f}(j: int) -> float:")
                self.emit(ind + 1, f"return {conv}({src}[j % len({src})]) * {self.flit()}")
            if variant == "before":
                self.emit(ind, f"{s} = {f}({self.ilit()})")
            self.emit(ind, self.change_stmt(a), tag)
            if variant == "before":
                self.emit(ind, f"{s} = {s} + {self.use_of(a.name, a.kind)}")
            else:
                self.emit(ind, f"{s} = {f}({self.ilit(0, 5)}) + {self.use_of(a.name, a.kind)}")
            return s
        if shape == "rows":
            m = self.fresh("m")
            r, c = self.r.randint(2, 3), self.r.randint(1, 3)
            variant = "use-after" if reject else self.pick(("comprehension", "read-only", "replaced"))
            if variant == "comprehension":
                self.emit(ind, f"{m} = [[{self.flit()}] * {c} for _ in range({r})]")
            else:
                self.emit(ind, f"{m} = [[{self.flit()}] * {c}] * {r}")
            i, j = self.r.randint(0, r - 1), self.r.randint(0, c - 1)
            if variant == "replaced":
                self.emit(ind, f"for i in range(len({m})):")
                self.emit(ind + 1, f"{m}[i] = {self.new_row(m + '[i]', 'float(i)')}", "idiom: row replaced")
                self.emit(ind, f"{m}[{i}][{j}] {self.pick(('=', '+='))} {self.flit()}", None)
            elif variant != "read-only":
                self.emit(ind, f"{m}[{i}][{j}] {self.pick(('=', '+=', '*='))} {self.flit()}", tag)
            other = (i + 1) % r
            self.emit(ind, f"{s} = {m}[{other}][{j}] + 0.0 + sum(sum(r) for r in {m})")
            return s
        if shape == "shallow":
            ms = self.vars(scope, ("mat",), minlen=1)
            ms = [v for v in ms if v.mincols >= 1]
            if ms:
                m = self.pick(ms)
            else:
                m = LV(self.fresh("m"), "mat", 2, 2)
                self.emit(ind, f"{m.name} = [[float(i + j) for j in range(2)] for i in range(2)]")
                scope.append(m)
            m2 = self.fresh("mc")
            variant = "use-after" if reject else self.pick(("deep", "replace", "unused"))
            copy = self.pick((f"list({m.name})", f"{m.name}[:]", f"{m.name}.copy()"))
            if variant == "deep":
                copy = self.pick((f"[list(r) for r in {m.name}]", f"[r[:] for r in {m.name}]"))
            self.emit(ind, f"{m2} = {copy}")
            i, j = self.r.randint(0, m.minlen - 1), self.r.randint(0, m.mincols - 1)
            if variant == "replace":
                self.emit(ind, f"{m2}[{i}] = {self.new_row(m2 + f'[{i}]')}", "idiom: row of a copy replaced")
            elif variant == "unused":
                # the original never read again: its rows are the copy's alone
                self.emit(ind, f"{m2}[{i}][{j}] += {self.flit()}", "idiom: shallow copy whose original is unused")
                self.emit(ind, f"{s} = {m2}[{i}][{j}] + 0.0 + sum(sum(r) for r in {m2})")
                m.busy += 1 << 20     # never read again (nor changed)
                scope.remove(m)
                return s
            else:
                self.emit(ind, f"{m2}[{i}][{j}] {self.pick(('=', '+='))} {self.flit()}", tag)
            self.emit(ind, f"{s} = {m.name}[{i}][{j}] + {m2}[{i}][{j}] + 0.0 + sum(sum(r) for r in {m.name})")
            return s
        if shape == "param":
            a = self.pick([v for v in cands if v.kind == "fl"] or cands)
            if a.kind != "fl":
                a = LV(self.fresh("a"), "fl", 1)
                self.emit(ind, f"{a.name} = [{self.flit()}]")
                scope.append(a)
            h = self.helper(self.pick(("scale", "bump")))
            args = lambda x: f"{x}, {self.flit()}" if h.kind == "scale" else x
            variant = "use-after" if reject else self.pick(("rebind", "copy"))
            if variant == "rebind":
                self.emit(ind, f"{a.name} = {h.name}({args(a.name)})", "idiom: u = step(u)")
                a.minlen += h.kind == "bump"
                self.emit(ind, f"{s} = {self.use_of(a.name, 'fl')}")
                return s
            w = self.fresh("w")
            arg = a.name if variant == "use-after" else self.pick((f"list({a.name})", f"{a.name}[:]"))
            self.emit(ind, f"{w} = {h.name}({args(arg)})", tag)
            self.emit(ind, f"{s} = {self.use_of(w, 'fl')} + {self.use_of(a.name, 'fl')}")
            return s
        if shape == "const":
            a = LV(self.fresh("a"), "fl", self.const)
            self.emit(ind, f"{a.name} = {'W' if reject else self.pick(('list(W)', 'W[:]', 'W.copy()'))}")
            self.emit(ind, self.change_stmt(a), tag)
            self.emit(ind, f"{s} = {self.use_of(a.name, 'fl')} + sum(W, 0.0)")
            if not reject:
                scope.append(a)
            return s
        raise ValueError(shape)

    # -- functions and programs ------------------------------------------------------------
    def entry(self, name, want_alias):
        """An entry function: (lines, params [(name, kind, minlen)])."""
        self.out = []
        nl = self.r.randint(1, 3)
        params = []
        scope = []
        for i in range(nl):
            kind = self.pick(("fl", "fl", "fl", "il", "mat") if i else ("fl", "fl", "il"))
            p = "p" + "abc"[i]
            minlen = self.pick((0, 1, 1, 2))
            if kind == "mat":         # a rectangular matrix: rows and columns at least 1
                minlen = (self.r.randint(1, 2), self.r.randint(1, 3))
                scope.append(LV(p, kind, minlen[0], minlen[1], local=False))
            else:
                scope.append(LV(p, kind, minlen, local=False))
            params.append((p, kind, minlen))
        if self.chance(0.5):
            params.append(("k", "i", 0))
            scope.append(LV("k", "i", local=False))
        if self.chance(0.3):
            params.append(("xf", "f", 0))
            scope.append(LV("xf", "f", local=False))
        if self.const:
            w = LV("W", "fl", self.const, local=False)
            w.busy = 1 << 20         # read, never changed
            scope.append(w)
        heads = ", ".join(f"{p}: {ANN[k]}" if (k in LIST_KINDS or self.chance(0.5)) else p
                          for p, k, _ in params)
        self.emit(0, f"def {name}({heads}):")
        nblocks = self.r.randint(3, 8)
        alias_at = self.r.randint(0, nblocks) if want_alias else -1
        results = []
        for b in range(nblocks + 1):
            if b == alias_at:
                shape = self.pick(ALIAS_SHAPES + (("const",) if self.const else ()))
                reject = self.chance(0.55)
                results.append(self.alias_block(1, scope, shape, reject))
                scope.append(LV(results[-1], "f"))
            if b < nblocks:
                self.block(1, scope, 0)
        # the result: lists, tuples holding lists, numbers
        lists = [v for v in scope if v.kind in LIST_KINDS + ("tl",) and v.busy < (1 << 20)]
        nums = [v for v in scope if v.kind in ("f", "i")]
        x = self.r.random()
        parts = []
        if lists:
            parts += [v.name for v in self.r.sample(lists, min(len(lists), self.r.randint(1, 3)))]
        if nums and (x < 0.6 or not parts):
            parts += [v.name for v in self.r.sample(nums, min(len(nums), self.r.randint(1, 2)))]
        # what an alias shape computed after the change is in the result, so that a
        # program myc accepts though it should not shows CPython's different answer
        parts += [r for r in results if r not in parts]
        if not parts:
            parts = ["0.0"]
        if len(parts) == 1 and self.chance(0.7):
            self.emit(1, f"return {parts[0]}")
        else:
            self.emit(1, f"return ({', '.join(parts)})" if self.chance(0.5) else f"return {', '.join(parts)}")
        return self.out, params

    def program(self):
        """(source, entries [(name, params)], line tags {line number: tag})."""
        want_alias = self.chance(self.alias_rate)
        self.const = self.r.randint(1, 3) if self.chance(0.3) else 0
        entries = []
        bodies = []
        for e in range(self.pick((1, 1, 2))):
            name = f"f{e}" if e else "f"
            lines, params = self.entry(name, want_alias and e == 0)
            bodies.append(lines)
            entries.append((name, params))
        out = []
        if self.const:
            out.append((f"W = [{', '.join(self.flit() for _ in range(self.const))}]", None))
            out.append(("", None))
        for h in self.helpers.values():
            out += h.lines + [("", None)]
        for b in bodies:
            out += b + [("", None)]
        src = "\n".join(t for t, _ in out).rstrip("\n") + "\n"
        tags = {i + 1: tag for i, (_, tag) in enumerate(out) if tag}
        return src, entries, tags


def _row(rng, n):
    return "[" + ", ".join(repr(round(rng.uniform(-5, 5), rng.randint(0, 2))) for _ in range(n)) + "]"


def rand_list_arg(rng, kind, minlen):
    n = rng.randint(minlen, max(minlen, 6))
    if rng.random() < 0.15:
        n = minlen
    if kind == "il":
        return "[" + ", ".join(str(rng.randint(-9, 9)) for _ in range(n)) + "]"
    items = []
    for _ in range(n):
        x = rng.random()
        if x < 0.1:
            items.append(str(rng.randint(-5, 5)))        # an int for a float: converted
        elif x < 0.15:
            items.append(rng.choice(("0.0", "-0.0", "1.0")))
        else:
            items.append(repr(round(rng.uniform(-5, 5), rng.randint(0, 3))))
    return "[" + ", ".join(items) + "]"


def rand_arg(rng, kind, minlen):
    if kind in ("fl", "il"):
        return rand_list_arg(rng, kind, minlen)
    if kind == "mat":
        rows, cols = rng.randint(minlen[0], 3), rng.randint(minlen[1], 3)
        return "[" + ", ".join(_row(rng, cols) for _ in range(rows)) + "]"
    if kind == "i":
        return str(rng.randint(-3, 6))
    if kind == "f":
        return repr(round(rng.uniform(-4, 4), rng.randint(0, 2)))
    raise ValueError(kind)


def gen_list_program(rng, alias_rate=0.45, avoid=frozenset()):
    """(source, runs [(entry, [arg words])], info) for difftest.py; avoid: the NAMEs of
    tests/e2e/pending_NAME.my.txt whose shapes to leave out (--avoid-known)."""
    g = ListGen(rng, alias_rate, avoid)
    src, entries, tags = g.program()
    runs = []
    for name, params in entries:
        for _ in range(rng.randint(1, 3)):
            runs.append((name, [rand_arg(rng, k, ml) for _, k, ml in params]))
    return src, runs, {"tags": tags, "expect_reject": g.expect_reject, "shapes": list(g.shapes)}
