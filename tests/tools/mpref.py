#!/usr/bin/env python3
"""mpref.py: a high-precision reference for `.my` programs that differentiate.

A `.my` program is Python source.  This module runs it in CPython with

  - the builtins bound to mpmath at high precision (`mp.dps`, default 40):
    sin cos tan asin acos atan atan2 sinh cosh tanh exp log log1p expm1
    sqrt pow erf floor ceil, and abs min max float int as the contract
    (spec/LANGUAGE.md, section 1) defines them: `float` converts to an mpf,
    `int`/`floor`/`ceil` give Python ints, `max(a, b)` is exactly
    `b if b > a else a` and `min(a, b)` is `b if b < a else a`;
  - the four differentiation operators `grad`, `value_and_grad`, `vjp`, `jvp`
    computed by numeric differentiation, with the contract's calling
    conventions (`grad(f, i)`, `grad(f, (i, j))` giving a tuple, tuple
    parameters giving tuples of the same shape, a differentiated int treated
    as a float, `vjp`'s pullback giving an n-tuple, `jvp(f, xs, ts)`).

It shares nothing with myc: every derivative is a central difference of
*evaluations of the program itself*, so nesting (`grad(grad(f))`, `jvp` of a
`grad` of a closure, ...) needs no special care and cannot confuse
perturbations.  Accuracy comes from precision, not from the formula: a
derivative at precision p bits evaluates the function at (p + 40) * 2 bits
with the step h = 2^-(p + 20), as `mpmath.diff` does, so the truncation
error (h^2) and the rounding error (2^-(2p+80) / h) are both far below
2^-p.  Nested derivatives raise the precision again at every level.

Only smooth code has a derivative this way.  The program is instrumented
(an `ast.NodeTransformer`) so that every decision that can make it
non-smooth is recorded in a trace: each comparison's outcome, each `if` /
`while` / conditional-expression / `and` / `or` / `not` test, `abs` (the
sign), `min` / `max` (which argument), `int` / `floor` / `ceil` and float
`//` / `%` (the integer).  A derivative whose two evaluations x + h and
x - h take different decisions raises `Unreliable` (the point sits on a
kink or a jump); callers also compare whole traces at nearby points
(nesttest.py redraws points whose decisions change within 1e-6).

    python3 tests/tools/mpref.py --selftest     # the oracle against hand-derived answers

API: `Program(source)`; `prog.call(fname, args, dps=40)` returns the result
(mpf / int / bool / nested tuples) and the trace; `prog.entry_gradient(fname,
args)` the gradient of a float-valued entry with respect to its float
parameters (flattened, in order).  Exceptions: `Unreliable` (a kink within
the step, a math domain error, a complex or infinite value) and whatever
the program raises.
"""

import __future__
import ast
import sys

try:
    import mpmath
except ImportError:                       # Debian's python3-mpmath
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    import mpmath
from mpmath import mp, mpf, mpc

DPS = 40
ADDPREC = 20


class Unreliable(Exception):
    """The numeric reference cannot be trusted at this point."""


# ---------------------------------------------------------------------------
# The trace of decisions (one per process; reset by Program.call).

TRACE = []


def _rec(v):
    TRACE.append(v)


def _decide(v):
    """Wraps a test or a comparison: records its truth value, returns it unchanged."""
    TRACE.append(bool(v))
    return v


# ---------------------------------------------------------------------------
# Values: numbers (int, bool, Python float, mpf) and nested tuples and lists of them.
# A list is a Python list here: the program runs as CPython runs it (the contract's
# aliasing rule, section 5.3, makes myc's list values agree), and every list the
# operators below hand to the program is a fresh one, so a function that changes its
# list parameter changes no other evaluation's.

def _is_num(v):
    return type(v) in (int, bool, float) or isinstance(v, mpf)


def _leaves(v):
    if type(v) in (tuple, list):
        out = []
        for e in v:
            out += _leaves(e)
        return out
    return [v]


def _rebuild(shape, it):
    if type(shape) is tuple:
        return tuple(_rebuild(e, it) for e in shape)
    if type(shape) is list:
        return [_rebuild(e, it) for e in shape]
    return next(it)


def _fresh(v):
    """v with every list in it a new list (the numbers shared: they are immutable)."""
    if type(v) in (tuple, list):
        return type(v)(_fresh(e) for e in v)
    return v


def _tofloat(v):
    """A differentiated argument: every leaf a float (an int is treated as a float)."""
    if type(v) in (tuple, list):
        return type(v)(_tofloat(e) for e in v)
    if callable(v):
        raise TypeError("differentiating with respect to a function")
    return mpf(v)


def _check(v):
    if isinstance(v, mpc):
        raise Unreliable("math domain error (complex result)")
    if type(v) is complex:
        raise Unreliable("math domain error (complex result)")
    if isinstance(v, mpf) and not mp.isfinite(v):
        raise Unreliable("infinite or nan value")
    return v


def _deriv(phi, x):
    """d/dt phi(t) at t = x, leaf by leaf (phi returns a number or nested tuples)."""
    prec = mp.prec
    with mp.workprec((prec + 2 * ADDPREC) * 2):
        h = mp.ldexp(mpf(1), -(prec + ADDPREC))
        x = mpf(x)
        t0 = len(TRACE)
        a = phi(x + h)
        t1 = len(TRACE)
        b = phi(x - h)
        if TRACE[t0:t1] != TRACE[t1:]:
            raise Unreliable("a branch decision changes within the differentiation step")
        la, lb = _leaves(a), _leaves(b)
        if len(la) != len(lb):
            raise Unreliable("result shape changes within the differentiation step")
        for u in la:
            if not _is_num(u):
                raise TypeError(f"differentiating a function that returns {type(u).__name__}")
        d = [(mpf(u) - mpf(v)) / (2 * h) for u, v in zip(la, lb)]
    return _rebuild(a, iter([_check(+v) for v in d]))


def _shape(v):
    if type(v) in (tuple, list):
        return (type(v).__name__, tuple(_shape(e) for e in v))
    return None


def _dot(dy, y):
    ly, ld = _leaves(y), _leaves(dy)
    if _shape(y) != _shape(dy):
        raise TypeError("cotangent shape differs from the value's")
    s = mpf(0)
    for a, b in zip(ld, ly):
        s += a * b
    return s


def _partials(f, args, i):
    """The derivative of f(*args) with respect to args[i], shaped like args[i]."""
    leaves = _leaves(args[i])
    out = []
    for j in range(len(leaves)):
        def phi(t, j=j):
            lv = list(leaves)
            lv[j] = t
            a2 = [_fresh(a) for a in args]
            a2[i] = _rebuild(args[i], iter(lv))
            return f(*a2)
        out.append(_deriv(phi, leaves[j]))
    return _rebuild(args[i], iter(out))


def _spec(spec, n):
    idx = spec if type(spec) is tuple else (spec,)
    for i in idx:
        if type(i) is not int or not -n <= i < n:
            raise TypeError(f"grad: parameter index {i} out of range")
    return [i % n for i in idx]


def _gradient(f, spec, args, want_value):
    args = list(args)
    idx = _spec(spec, len(args))
    for i in idx:
        args[i] = _tofloat(args[i])
    value = None
    if want_value:
        value = f(*_fresh(args))
        if not _is_num(value) or type(value) in (int, bool):
            raise TypeError("grad of a function that does not return a float")
    g = [_partials(f, args, i) for i in idx]
    g = tuple(g) if type(spec) is tuple else g[0]
    return (value, g) if want_value else g


def grad(f, spec=0):
    def g(*args):
        return _gradient(f, spec, args, False)
    return g


def value_and_grad(f, spec=0):
    def g(*args):
        return _gradient(f, spec, args, True)
    return g


def vjp(f, *xs):
    xs = tuple(_tofloat(x) for x in xs)
    y = f(*_fresh(xs))

    def pullback(dy):
        return tuple(_partials(lambda *a: _dot(dy, f(*a)), xs, i) for i in range(len(xs)))
    return (y, pullback)


def jvp(f, xs, ts):
    if type(xs) is not tuple or type(ts) is not tuple or len(xs) != len(ts):
        raise TypeError("jvp: primals and tangents must be tuples of one length")
    xs = tuple(_tofloat(x) for x in xs)
    ts = tuple(_tofloat(t) for t in ts)
    for x, t in zip(xs, ts):
        if _shape(x) != _shape(t):
            raise TypeError("jvp: a tangent's shape differs from its primal's")
    y = f(*_fresh(xs))

    def phi(s):
        moved = tuple(_rebuild(x, iter([a + s * b for a, b in zip(_leaves(x), _leaves(t))]))
                      for x, t in zip(xs, ts))
        return f(*moved)
    return (y, _deriv(phi, 0))


# ---------------------------------------------------------------------------
# Builtins.

def _mp1(fn):
    def g(x):
        return _check(fn(x))
    return g


def _abs(x):
    TRACE.append(x < 0)
    return abs(x)


def _max(*args):
    if len(args) == 1:
        args = list(args[0])
        if not args:
            raise ValueError("max() of an empty list")
    a = args[0]
    for b in args[1:]:
        c = b > a
        TRACE.append(c)
        a = b if c else a
    return a


def _min(*args):
    if len(args) == 1:
        args = list(args[0])
        if not args:
            raise ValueError("min() of an empty list")
    a = args[0]
    for b in args[1:]:
        c = b < a
        TRACE.append(c)
        a = b if c else a
    return a


def _int(x):
    if type(x) is int:
        return x
    if type(x) is bool:
        return int(x)
    if isinstance(x, mpf) and not mp.isfinite(x):
        raise ValueError("cannot convert float infinity to integer")
    r = int(x)
    TRACE.append(("int", r))
    return r


def _floor(x):
    if type(x) in (int, bool):
        return int(x)
    r = int(mp.floor(x))
    TRACE.append(("floor", r))
    return r


def _ceil(x):
    if type(x) in (int, bool):
        return int(x)
    r = int(mp.ceil(x))
    TRACE.append(("ceil", r))
    return r


def _float(x):
    if isinstance(x, mpf):
        return x
    return mpf(int(x)) if type(x) in (int, bool) else mpf(x)


def _pow(x, y):
    return _check(mp.power(x, y))


def _opow(a, b):
    """`a ** b`."""
    if type(a) in (int, bool) and type(b) in (int, bool):
        return a ** b
    return _check(mpf(a) ** mpf(b) if not (isinstance(a, mpf) or isinstance(b, mpf))
                  else a ** b)


def _floordiv(a, b):
    if type(a) in (int, bool) and type(b) in (int, bool):
        return a // b
    r = mp.floor(mpf(a) / mpf(b))
    TRACE.append(("//", int(r)))
    return r


def _mod(a, b):
    if type(a) in (int, bool) and type(b) in (int, bool):
        return a % b
    q = mp.floor(mpf(a) / mpf(b))
    TRACE.append(("%", int(q)))
    return mpf(a) - mpf(b) * q


BUILTINS = {name: _mp1(getattr(mp, name)) for name in (
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log",
    "log1p", "expm1", "sqrt", "erf")}
BUILTINS.update(
    atan2=lambda y, x: _check(mp.atan2(y, x)), pow=_pow, abs=_abs, min=_min, max=_max,
    float=_float, int=_int, floor=_floor, ceil=_ceil, range=range,
    sum=sum, len=len, zip=zip, enumerate=enumerate, list=list,
    grad=grad, value_and_grad=value_and_grad, vjp=vjp, jvp=jvp,
    __d=_decide, __pow=_opow, __floordiv=_floordiv, __mod=_mod)


# ---------------------------------------------------------------------------
# Instrumentation.

class _Instrument(ast.NodeTransformer):
    def _call(self, name, args, node):
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), args, []), node)

    def _test(self, node):
        return node if isinstance(node, ast.Compare) else self._call("__d", [node], node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        return self._call("__d", [node], node)

    def visit_If(self, node):
        self.generic_visit(node)
        node.test = self._test(node.test)
        return node

    visit_While = visit_If
    visit_IfExp = visit_If

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        node.values = [self._test(v) for v in node.values[:-1]] + node.values[-1:]
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            node.operand = self._test(node.operand)
        return node

    OPS = {ast.Pow: "__pow", ast.FloorDiv: "__floordiv", ast.Mod: "__mod"}

    def visit_BinOp(self, node):
        self.generic_visit(node)
        name = self.OPS.get(type(node.op))
        return self._call(name, [node.left, node.right], node) if name else node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        name = self.OPS.get(type(node.op))
        if not name or not isinstance(node.target, ast.Name):
            return node
        value = self._call(name, [ast.Name(node.target.id, ast.Load()), node.value], node)
        return ast.copy_location(ast.Assign([ast.Name(node.target.id, ast.Store())], value), node)


def parse_arg(word):
    """A `myc run` argument as the oracle's value: floats become exact mpfs."""
    tree = ast.parse(word.strip(), mode="eval").body

    def lit(n):
        if isinstance(n, ast.Constant) and type(n.value) in (int, bool):
            return n.value
        if isinstance(n, ast.Constant) and type(n.value) is float:
            return mpf(n.value)
        if isinstance(n, ast.Tuple):
            return tuple(lit(e) for e in n.elts)
        if isinstance(n, ast.List):
            return [lit(e) for e in n.elts]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            v = lit(n.operand)
            return -v
        raise ValueError(f"bad argument {word!r}")
    return lit(tree)


def _convert(value, ann):
    """Applies a parameter annotation: an int for a float parameter becomes a float."""
    if ann is None:
        return value
    tree = ast.parse(ann, mode="eval").body if isinstance(ann, str) else ann
    if isinstance(tree, ast.Name) and tree.id == "float" and type(value) in (int, bool):
        return mpf(value)
    if isinstance(tree, ast.Tuple) and type(value) is tuple and len(value) == len(tree.elts):
        return tuple(_convert(v, t) for v, t in zip(value, tree.elts))
    if isinstance(tree, ast.Subscript) and isinstance(tree.value, ast.Name) \
            and tree.value.id == "list" and type(value) is list:
        return [_convert(v, tree.slice) for v in value]
    return value


class Program:
    def __init__(self, source, path="<nesttest>"):
        tree = _Instrument().visit(ast.parse(source))
        ast.fix_missing_locations(tree)
        self.code = compile(tree, path, "exec", dont_inherit=True,
                            flags=__future__.annotations.compiler_flag)
        self.ns = None

    def _load(self):
        self.ns = {"__builtins__": dict(BUILTINS), "__name__": "__my__"}
        exec(self.code, self.ns)

    def _args(self, fname, args):
        func = self.ns[fname]
        vals = [parse_arg(a) if isinstance(a, str) else a for a in args]
        anns = getattr(func, "__annotations__", {})
        params = func.__code__.co_varnames[:func.__code__.co_argcount]
        return func, [_convert(v, anns.get(p)) for v, p in zip(vals, params)]

    def call(self, fname, args, dps=DPS):
        """(result, trace) of FUNC(*args); args are `myc run` words or values."""
        del TRACE[:]
        with mp.workdps(dps):
            self._load()
            func, vals = self._args(fname, args)
            r = func(*vals)
            for v in _leaves(r):
                if not _is_num(v):
                    raise TypeError(f"result holds a {type(v).__name__}")
                _check(v)
        return r, list(TRACE)

    def entry_gradient(self, fname, args, dps=DPS):
        """The gradient of a float-valued FUNC with respect to its float parameters
        (tuple parameters flattened depth-first), as a list of mpfs."""
        del TRACE[:]
        with mp.workdps(dps):
            self._load()
            func, vals = self._args(fname, args)
            out = []
            for i, v in enumerate(vals):
                if type(v) in (int, bool):
                    continue
                g = _partials(func, vals, i)
                out += [mpf(x) for x in _leaves(g)]
        return out


# ---------------------------------------------------------------------------
# Self test: classics with hand-derived answers.

SELFTEST_SRC = '''
def cubic(x):
    return 2.0 * x ** 3 - x * x + 5.0 * x
def d3cubic(x):
    return grad(grad(grad(cubic)))(x)                         # 12
def confusion(x):
    return grad(lambda a: a * grad(lambda y: a + y)(1.0))(x)   # 1
def confusion_fwd(x):
    return jvp(lambda a: a * jvp(lambda y: a + y, (1.0,), (1.0,))[1], (x,), (1.0,))[1]   # 1
def g2(x, y):
    return sin(x) * y ** 2
def mixed(x, y):
    return grad(lambda b: grad(g2, 0)(x, b))(y)              # 2 y cos x
def mixed_other(x, y):
    return grad(lambda a: grad(g2, 1)(a, y))(x)              # 2 y cos x
def poly(x, y):
    return x * x * y + y ** 3
def hvp(x, y, v1, v2):
    return jvp(grad(poly, (0, 1)), (x, y), (v1, v2))[1]      # (2y v1 + 2x v2, 2x v1 + 6y v2)
def hvp_rev(x, y, v1, v2):
    return vjp(grad(poly, (0, 1)), x, y)[1]((v1, v2))       # symmetric Hessian: the same
def vjp_tuple(x, y):
    return vjp(lambda a, b: (a * b, sin(a)), x, y)[1]((1.0, 2.0))   # (y + 2 cos x, x)
def jvp_grad_closure(x):
    return jvp(lambda u: grad(lambda b: u * b * b)(u), (x,), (1.0,))[1]   # 4 x
def rr(x, y):
    return grad(lambda a: grad(lambda b: a * b * b)(y))(x)    # 2 y
def ff(x, y):
    return jvp(lambda u: jvp(lambda b: u * b, (y,), (3.0,))[1], (x,), (5.0,))   # (3 x, 15)
def h(t):
    return t ** 4
def d(t):
    return jvp(h, (t,), (1.0,))[1]
def dd(t):
    return jvp(d, (t,), (1.0,))[1]
def topchain(x):
    return grad(dd)(x)                                        # 24 x
def vg_tuple(x, y):
    return value_and_grad(lambda p: p[0] * p[1] ** 2)((x, y))   # (x y^2, (y^2, 2 x y))
def grad_int():
    return grad(lambda x: x * x)(3)                           # 6.0
def grad_one(x, y):
    return grad(lambda a, b: a * b * b, (1,))(x, y)          # (2 x y,)
def triple(x):
    return grad(lambda a: value_and_grad(lambda b: vjp(lambda c: a * b * c * c, a)[1](b)[0])(a)[1])(x)  # 12 x^2
def kink(x):
    return grad(lambda a: max(a, 0.5) * abs(a))(x)           # 2 x for x > 0.5
def on_kink(x):
    return grad(lambda a: abs(a - 0.5))(x)                    # unreliable at 0.5
def loop8(x):
    def p8(t):
        s = t
        for i in range(3):
            s = s * s
        return s
    return grad(p8)(x)                                        # 8 x^7
def rec(k: int, x):
    if k <= 0:
        return x
    return x * rec(k - 1, x)
def drec(x, n: int):
    return grad(lambda t: rec(n, t))(x)                       # (n+1) x^n
def entry(x, y):
    return x * y * y + exp(x)                                 # gradient (y^2 + e^x, 2 x y)
def d4(x):
    return grad(grad(grad(grad(lambda t: sin(t) * exp(t)))))(x)   # -4 e^x sin x
def lgrad(x, y):
    return grad(lambda l: l[0] * l[1] ** 2 + sum([v * v for v in l]))([x, y])   # [y^2 + 2 x, 2 x y + 2 y]
def lhvp(x, y, v1, v2):
    return jvp(grad(lambda l: l[0] ** 2 * l[1] + l[1] ** 3), ([x, y],), ([v1, v2],))[1]
def lvjp(x, y):
    return vjp(lambda l: [l[0] * l[1], sin(l[0])], [x, y])[1]([1.0, 2.0])[0]   # [y + 2 cos x, x]
def lmut_(l):
    l[0] = l[0] * l[1]
    l.append(l[0])
    return sum(l) + min(l[1:])
def lmut(x, y):
    return grad(lmut_)([x, y])                                # [3 y, 3 x + 1] for x y < y
def lmax(x, y):
    return grad(lambda l: max(l) * 2.0 + l[-1])([x, y])       # [2, 1] for x > y
'''


def selftest():
    from mpmath import cos, sin, exp
    prog = Program(SELFTEST_SRC, "<selftest>")
    mp.dps = DPS
    x, y, v1, v2 = mpf(1.3), mpf(-0.7), mpf(0.25), mpf(2.5)    # the doubles the words denote
    X, Y, V1, V2 = "1.3", "-0.7", "0.25", "2.5"
    cases = [
        ("d3cubic", [X], mpf(12)),
        ("confusion", [X], mpf(1)),
        ("confusion_fwd", [X], mpf(1)),
        ("mixed", [X, Y], 2 * y * cos(x)),
        ("mixed_other", [X, Y], 2 * y * cos(x)),
        ("hvp", [X, Y, V1, V2], (2 * y * v1 + 2 * x * v2, 2 * x * v1 + 6 * y * v2)),
        ("hvp_rev", [X, Y, V1, V2], (2 * y * v1 + 2 * x * v2, 2 * x * v1 + 6 * y * v2)),
        ("vjp_tuple", [X, Y], (y + 2 * cos(x), x)),
        ("jvp_grad_closure", [X], 4 * x),
        ("rr", [X, Y], 2 * y),
        ("ff", [X, Y], (3 * x, mpf(15))),
        ("topchain", [X], 24 * x),
        ("vg_tuple", [X, Y], (x * y * y, (y * y, 2 * x * y))),
        ("grad_int", [], mpf(6)),
        ("grad_one", [X, Y], (2 * x * y,)),
        ("triple", [X], 12 * x * x),
        ("kink", [X], 2 * x),
        ("loop8", [X], 8 * x ** 7),
        ("drec", [X, "3"], 4 * x ** 3),
        ("d4", [X], -4 * exp(x) * sin(x)),
        ("lgrad", [X, Y], [y * y + 2 * x, 2 * x * y + 2 * y]),
        ("lhvp", [X, Y, V1, V2], [2 * y * v1 + 2 * x * v2, 2 * x * v1 + 6 * y * v2]),
        ("lvjp", [X, Y], [y + 2 * cos(x), x]),
        ("lmut", [X, Y], [3 * y, 3 * x + 1]),
        ("lmax", [X, Y], [mpf(2), mpf(1)]),
    ]
    failed = 0
    with mp.workdps(DPS):
        for name, args, want in cases:
            x, y, v1, v2 = mpf(1.3), mpf(-0.7), mpf(0.25), mpf(2.5)    # the doubles the words denote
            try:
                got, _ = prog.call(name, args)
            except Exception as e:
                print(f"FAIL {name}: {type(e).__name__}: {e}")
                failed += 1
                continue
            gl, wl = _leaves(got), _leaves(want)
            err = max(abs(g - w) / max(1, abs(w)) for g, w in zip(gl, wl)) if len(gl) == len(wl) else 1
            ok = (err < mpf("1e-20") and len(gl) == len(wl)
                  and _rebuild(want, iter([0] * len(wl))) == _rebuild(got, iter([0] * len(gl))))
            print(f"{'ok  ' if ok else 'FAIL'} {name}: error {mp.nstr(err, 3)}")
            failed += not ok
        # the gradient of an entry (what nesttest.py compares NAME_grad with)
        g = prog.entry_gradient("entry", [X, Y])
        want = [y * y + exp(x), 2 * x * y]
        err = max(abs(a - b) / max(1, abs(b)) for a, b in zip(g, want))
        ok = err < mpf("1e-20")
        print(f"{'ok  ' if ok else 'FAIL'} entry_gradient: error {mp.nstr(err, 3)}")
        failed += not ok
        # a kink inside the step must not give a number
        try:
            prog.call("on_kink", ["0.5"])
            print("FAIL on_kink: a derivative across a kink was not flagged")
            failed += 1
        except Unreliable:
            print("ok   on_kink: flagged as unreliable")
        # nearby points on both sides of a kink have different traces
        _, t1 = prog.call("kink", ["0.5000001"])
        _, t2 = prog.call("kink", ["0.4999999"])
        ok = t1 != t2
        print(f"{'ok  ' if ok else 'FAIL'} traces differ across the kink of max")
        failed += not ok
        # a domain error is reported, not turned into a complex number
        try:
            Program("def f(x):\n    return sqrt(x)\n").call("f", ["-1.0"])
            print("FAIL sqrt(-1): no error")
            failed += 1
        except Unreliable:
            print("ok   sqrt(-1.0): flagged")
    print(f"{len(cases) + 4 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(selftest())
    print(__doc__)
    sys.exit(2)
