#!/usr/bin/env python3
"""gradcheck.py: gradients of every end-to-end program against finite differences.

For each `# RUN: FUNC ARG...` line of tests/e2e/**/*.my and samples/*.my
(the words split as a shell splits them, each argument read as a literal:
ints, floats, nan/inf, bools, tuples, lists) whose arguments hold finite
floats (top-level, or leaves of tuples and lists: the differentiation
points, at most MAX_POINTS of them, the first ones), the program is
extended with one function, `__gradcheck`, which takes the RUN line's
arguments (given to it on the command line, as they are to FUNC) and
returns, in one `myc run`:

  - value_and_grad of FUNC with respect to every point (the other arguments
    held at their RUN values, through a lambda that rebuilds the tuples and
    lists holding the points from its parameters);
  - jvp of FUNC along each unit direction;
  - FUNC at x +- h and x +- h/8 along each direction (central differences);
  - for a float result, the gradient of FUNC with respect to each list
    argument holding points, as a whole (a list of its shape), whose items
    at the points must equal the points' derivatives to 1e-12 relative.

and checks (tolerances stated here, and in docs/ad.md):

  - value_and_grad's (or vjp's) value equals FUNC's value exactly;
  - grad_i and jvp's tangent along e_i agree to 1e-9 relative (the
    vjp/jvp duality <e_i, J^T 1> == <1, J e_i>; the two modes round
    differently, which cancellation in the program can amplify);
  - grad_i and the central difference with h = 1e-5 * max(1, |x_i|) agree
    to 1e-6 relative to max(1, |grad_i|, |f|/max(1,|x_i|)) -- unless the two
    step sizes disagree with each other by more than that, or the one-sided
    differences disagree by more than 1e-3, or a difference is not finite:
    a kink, jump or branch change at or near the point, which is then
    skipped and counted.  Functions marked `# GRADCHECK: skip FUNC -- why`
    are skipped (`# GRADCHECK: skip FUNC ARG... -- why`: that RUN line only;
    a reason naming `pending_NAME` holds while that pending test exists).

FUNC's result (the test's expected output; else as `myc run` prints it)
decides how: a float is checked with
value_and_grad; a tuple or list of floats with vjp and a cotangent of ones;
a result that mixes floats with ints or bools (or lists) through a wrapper
that returns its float leaves.  A result without floats is counted, not
checked.

Nothing that fails is a skip: a RUN line whose expected status (NAME.expected,
or the `# EXPECT:` lines of diff_*.my) is not 0 is not checked (the program
is meant to stop), but a RUN line that should succeed and does not, or an
extended program that myc rejects or that fails, fails the check.

usage: gradcheck.py --myc build/myc [--only SUBSTR] [-j N] [-v]
Exit status 0 when every check passes.
"""
import argparse
import ast
import concurrent.futures
import glob
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOL_FD = 1e-6
TOL_DUAL = 1e-9
TOL_SAME = 1e-12
MAX_POINTS = 6
TIMEOUT = 120


def run_lines(text):
    """The RUN lines of a test: (the text after '# RUN: ', its words)."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("# RUN:"):
            run = s[len("# RUN:"):].strip()
            out.append((run, shlex.split(run)))
    return out


def expected_results(path, text):
    """RUN text -> (expected exit status, output line), from NAME.expected
    or the EXPECT lines."""
    if os.path.basename(path).startswith("diff_"):
        runs = [r for r, _ in run_lines(text)]
        expects = [l.strip()[len("# EXPECT:"):].strip() for l in text.splitlines()
                   if l.strip().startswith("# EXPECT:")]
        return {r: (3 if e.startswith("myc: runtime error:") else 0, e) for r, e in zip(runs, expects)}
    exp = os.path.splitext(path)[0] + ".expected"
    out = {}
    if os.path.exists(exp):
        lines = open(exp).read().splitlines()
        for i, l in enumerate(lines):
            if l.startswith("== RUN ") and i + 2 < len(lines) and lines[i + 2].startswith("== STATUS "):
                out[l[len("== RUN "):].strip()] = (int(lines[i + 2][len("== STATUS "):]), lines[i + 1])
    return out


def skip_list(text):
    """`# GRADCHECK: skip FUNC [ARG...] -- why` headers: functions (or, with
    arguments, one RUN line of them) whose derivative as executed differs
    from their finite differences by design (an iterative solver whose
    result does not depend on its starting bracket), or that cannot be
    checked at that point.  A reason that names `pending_NAME` is a known
    bug: the skip holds only while tests/e2e/pending_NAME.my.txt exists.
    Returns [(FUNC, [ARG...] or None)]."""
    out = []
    for l in text.splitlines():
        if not l.startswith("# GRADCHECK: skip "):
            continue
        what, _, why = l[len("# GRADCHECK: skip "):].partition(" -- ")
        words = shlex.split(what)
        m = re.search(r"\bpending_(\w+)", why)
        if m and not os.path.exists(os.path.join(ROOT, "tests", "e2e", f"pending_{m.group(1)}.my.txt")):
            continue
        out.append((words[0], words[1:] or None))
    return out


def is_skipped(text, words):
    return any(f == words[0] and (a is None or a == words[1:]) for f, a in skip_list(text))


def parse_value(s):
    """A literal as `myc run` takes and prints them: ints, floats (nan, inf),
    bools, tuples, lists.  ValueError otherwise."""
    return _literal(ast.parse(s.strip(), mode="eval").body)


def _literal(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in ("nan", "inf"):
        return float(node.id)
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _literal(node.operand)
        if type(v) in (int, float):
            return -v if isinstance(node.op, ast.USub) else v
    raise ValueError(f"not a literal: {ast.dump(node)}")


def float_leaves(v, path=()):
    """[(index path, value)] of the float leaves of a value (tuples and lists)."""
    if type(v) is float:
        return [(path, v)]
    if isinstance(v, (tuple, list)):
        out = []
        for i, x in enumerate(v):
            out += float_leaves(x, path + (i,))
        return out
    return []


def all_floats(v):
    """v is a float, or a tuple or list of such (nested)."""
    if type(v) is float:
        return True
    return type(v) in (tuple, list) and len(v) > 0 and all(all_floats(x) for x in v)


def ones_like(v):
    """A .my literal of v's shape (floats, tuples and lists) with 1.0 for every number."""
    if isinstance(v, tuple):
        items = [ones_like(x) for x in v]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(ones_like(x) for x in v) + "]"
    return "1.0"


def flatten(v):
    if isinstance(v, (tuple, list)):
        out = []
        for x in v:
            out += flatten(x)
        return out
    return [float(v)]


def close(a, b, tol, scale=1.0):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(scale, abs(a), abs(b))


def same(a, b):
    """Exactly the same floats (nan equal to nan, zeros by sign)."""
    a, b = flatten(a), flatten(b)
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or
                                    (x == y and math.copysign(1, x) == math.copysign(1, y))
                                    for x, y in zip(a, b))


def index(name, path):
    return name + "".join(f"[{i}]" for i in path)


def rebuild(v, name, points, path=()):
    """The .my expression for argument `name` with the points among its
    leaves replaced by their lambda parameters."""
    if path in points:
        return points[path]
    if type(v) in (tuple, list) and any(p[:len(path)] == path for p in points):
        items = [rebuild(x, name, points, path + (i,)) for i, x in enumerate(v)]
        if type(v) is list:
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return index(name, path)


def program(src, fn, args, points, mode, result):
    """The extended program: `__gradcheck(a0, a1, ...)`.  points: [(arg, path)]."""
    n = len(points)
    params = [f"__gc_p{k}" for k in range(n)]
    formals = [f"__gc_a{i}" for i in range(len(args))]
    call_args = []
    for i, a in enumerate(args):
        mine = {p[1]: params[k] for k, p in enumerate(points) if p[0] == i}
        call_args.append(rebuild(a, formals[i], mine) if mine else formals[i])
    call = f"{fn}({', '.join(call_args)})"
    helpers = []
    if mode == "select":
        leaves = [p for p, _ in float_leaves(result)]
        if len(leaves) == 1:
            body = index("__gc_r", leaves[0])
        else:
            body = "(" + ", ".join(index("__gc_r", p) for p in leaves) + ",)"
        helpers.append(f"def __gc_select(__gc_r):\n    return {body}\n")
        call = f"__gc_select({call})"
        mode = "grad" if len(leaves) == 1 else "vjp"
        ones = ones_like(tuple(1.0 for _ in leaves))
    else:
        ones = ones_like(result) if mode == "vjp" else None
    xs = ", ".join(f"__gc_x[{k}]" for k in range(n))
    sel = "(" + ", ".join(str(k) for k in range(n)) + ",)"
    if mode == "grad":
        helpers.append(f"def __gc_vg(__gc_f, __gc_x):\n    return value_and_grad(__gc_f, {sel})({xs})\n")
    else:
        helpers.append(f"def __gc_vg(__gc_f, __gc_x):\n    __gc_r = vjp(__gc_f, {xs})\n"
                       f"    return (__gc_r[0], __gc_r[1]({ones}))\n")
    lines = [f"def __gradcheck({', '.join(formals)}):",
             f"    __gc_f = lambda {', '.join(params)}: {call}",
             "    __gc_x = (" + ", ".join(index(formals[a], p) for a, p in points) + ",)",
             f"    __gc_y = __gc_f({xs})",
             "    __gc_vgr = __gc_vg(__gc_f, __gc_x)"]
    parts = ["__gc_y", "__gc_vgr"]
    for k in range(n):
        e = ", ".join("1.0" if j == k else "0.0" for j in range(n))
        lines.append(f"    __gc_t{k} = jvp(__gc_f, __gc_x, ({e},))[1]")
        parts.append(f"__gc_t{k}")
        for frac in (1.0, 0.125):
            for sgn, tag in ((1, "p"), (-1, "m")):
                h = f"{sgn * frac!r} * 1e-5 * max(1.0, abs(__gc_x[{k}]))"
                xv = ", ".join(f"__gc_x[{j}] + {h}" if j == k else f"__gc_x[{j}]" for j in range(n))
                name = f"__gc_s{k}{tag}{int(frac * 8)}"
                lines.append(f"    {name} = __gc_f({xv})")
                parts.append(name)
    if mode == "grad":
        # the gradient with respect to each list argument holding points, as a whole
        for a in sorted({a for a, p in points if type(args[a]) is list}):
            others = [formals[i] if i != a else "__gc_l" for i in range(len(args))]
            lines.append(f"    __gc_g{a} = grad(lambda __gc_l: {fn}({', '.join(others)}))({formals[a]})")
            parts.append(f"__gc_g{a}")
    lines.append(f"    return ({', '.join(parts)},)")
    return src + "\n\n" + "\n\n".join(helpers) + "\n\n" + "\n".join(lines) + "\n", mode


def run_myc(myc, path, fn, words):
    return subprocess.run([myc, "run", path, fn] + words, capture_output=True, text=True, timeout=TIMEOUT)


def first_line(s):
    s = s.strip()
    return s.splitlines()[0] if s else "(no message)"


def check_line(myc, path, src, expected, run, words):
    fn, wargs = words[0], words[1:]
    where = f"{os.path.relpath(path, ROOT)}: {run}"
    try:
        args = [parse_value(w) for w in wargs]
    except (ValueError, SyntaxError) as e:
        return "fail", f"{where}: cannot read an argument: {e}"
    # The points: finite floats, top-level or in tuples and lists (the first MAX_POINTS).
    points = [(i, p) for i, a in enumerate(args) for p, v in float_leaves(a) if math.isfinite(v)][:MAX_POINTS]
    if not points:
        return "none", f"{fn}: no float argument"
    status, line = expected.get(run, (0, None))
    if status != 0:
        return "rejected", f"{where}: expected to stop with status {status}"
    if is_skipped(src, words):
        return "skip", f"{where}: GRADCHECK: skip"
    # FUNC's result (its shape decides how to differentiate): the expected
    # one (the e2e tests check that myc prints it), else myc's
    result = None
    if line is not None:
        try:
            result = parse_value(line)
        except (ValueError, SyntaxError):
            pass
    if result is None:
        p0 = run_myc(myc, path, fn, wargs)
        if p0.returncode != 0:
            return "fail", f"{where}: myc run exited {p0.returncode}: {first_line(p0.stderr)}"
        try:
            result = parse_value(p0.stdout.strip().splitlines()[-1])
        except (ValueError, SyntaxError, IndexError) as e:
            return "fail", f"{where}: cannot read the result {p0.stdout!r}: {e}"
    if type(result) is float:
        mode = "grad"
    elif all_floats(result):
        mode = "vjp"
    elif float_leaves(result):
        mode = "select"
    else:
        return "nofloat", f"{where}: no float in the result"
    prog, mode = program(src, fn, args, points, mode, result)
    with tempfile.NamedTemporaryFile("w", suffix=".my", prefix="gradcheck_", delete=False) as tf:
        tf.write(prog)
        tmp = tf.name
    try:
        p = run_myc(myc, tmp, "__gradcheck", wargs)
    finally:
        os.unlink(tmp)
    if p.returncode != 0:
        msg = p.stderr.strip().replace(tmp, "<extended>")
        return "fail", f"{where}: the extended program: myc exited {p.returncode}: {msg[:600]}"
    try:
        out = parse_value(p.stdout.strip().splitlines()[-1])
    except (ValueError, SyntaxError, IndexError) as e:
        return "fail", f"{where}: cannot parse output {p.stdout!r}: {e}"
    n = len(points)
    y, (val, g) = out[0], out[1]
    yl = flatten(y)
    gl = flatten(g)
    if len(gl) != n:
        return "fail", f"{where}: {len(gl)} derivatives for {n} points: {g!r}"
    if not same(val, y):
        return "fail", f"{where}: {'value_and_grad' if mode == 'grad' else 'vjp'} value {val!r} != f {y!r}"
    xs = [leaf(args[a], p) for a, p in points]
    problems, skipped = [], 0
    pos = 2
    for k in range(n):
        t = out[pos]
        sp, sm, sp1, sm1 = out[pos + 1:pos + 5]
        pos += 5
        tsum = sum(flatten(t))
        h = 1e-5 * max(1.0, abs(xs[k]))
        fd = (sum(flatten(sp)) - sum(flatten(sm))) / (2 * h)
        fd1 = (sum(flatten(sp1)) - sum(flatten(sm1))) / (2 * h * 0.125)
        scale = max(1.0, sum(abs(v) for v in yl) / max(1.0, abs(xs[k])))
        if not close(gl[k], tsum, TOL_DUAL, scale):
            problems.append(f"d/dx{k}: reverse {gl[k]!r} != forward {tsum!r}")
        f0 = sum(yl)
        fwd = (sum(flatten(sp)) - f0) / h
        bwd = (f0 - sum(flatten(sm))) / h
        if not all(math.isfinite(v) for v in (fd, fd1, fwd, bwd)) or not close(fd, fd1, TOL_FD, scale) \
                or not close(fwd, bwd, 1e-3, scale):
            skipped += 1        # a kink, a jump or a branch change at or near x
            continue
        if not close(gl[k], fd, TOL_FD, scale):
            problems.append(f"d/dx{k}: reverse {gl[k]!r} vs central difference {fd!r}")
    # the gradients of the list arguments as a whole, at the points
    for a in (sorted({a for a, p in points if type(args[a]) is list}) if mode == "grad" else []):
        whole = out[pos]
        pos += 1
        for k, (pa, p) in enumerate(points):
            if pa == a and not close(leaf(whole, p), gl[k], TOL_SAME):
                problems.append(f"d/d{index('arg' + str(a), p)}: of the list {leaf(whole, p)!r} != of the point "
                                f"{gl[k]!r}")
    if problems:
        return "fail", f"{where}: " + "; ".join(problems)
    return ("ok" if not skipped else "kink"), where


def leaf(v, path):
    for i in path:
        v = v[i]
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--myc", default=os.path.join(ROOT, "build", "myc"))
    ap.add_argument("--only", default="")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-v", action="store_true")
    o = ap.parse_args()
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "e2e", "**", "*.my"), recursive=True) +
                   glob.glob(os.path.join(ROOT, "samples", "*.my")))
    jobs = []
    for path in files:
        if o.only and o.only not in path:
            continue
        src = open(path).read()
        expected = expected_results(path, src)
        for run, words in run_lines(src):
            if words:
                jobs.append((path, src, expected, run, words))
    counts = dict.fromkeys(("ok", "kink", "skip", "rejected", "nofloat", "none", "fail"), 0)
    fails = []

    def one(j):
        try:
            return check_line(o.myc, *j)
        except subprocess.TimeoutExpired:
            return "fail", f"{os.path.relpath(j[0], ROOT)}: {j[3]}: timed out after {TIMEOUT} s"

    with concurrent.futures.ThreadPoolExecutor(max_workers=o.j) as ex:
        for (status, msg) in ex.map(one, jobs):
            counts[status] += 1
            if status == "fail":
                fails.append(msg)
            elif o.v and status in ("skip", "kink", "rejected", "nofloat"):
                print(f"{status}: {msg}")
    for f in fails:
        print("FAIL", f)
    print(f"gradcheck: {counts['ok']} points checked, {counts['kink']} with a kink nearby, "
          f"{counts['skip']} marked GRADCHECK: skip, {counts['rejected']} expected to stop with an error, "
          f"{counts['nofloat']} without a float result, {counts['none']} without float arguments, "
          f"{counts['fail']} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
