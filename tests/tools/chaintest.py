#!/usr/bin/env python3
"""chaintest.py: every chain of three differentiation operators, under grad and jvp.

    python3 tests/tools/chaintest.py [--myc build/myc] [-j 2] [--mode interp|jit]

For each ordered triple (o2, o3, o4) of grad, value_and_grad, vjp and jvp,
and each of four inner bodies (one calls a top-level function with the
enclosing operators' variables), builds

    e1(p0, t) = o2(lambda a: o3(lambda w: o4(lambda p: BODY(p, a, w, p0), 1.1, w), 1.2, 0.7 a), p0, t)

where each operator differentiates its lambda at the point given and
scales the result by (or, for jvp and vjp, takes as tangent or cotangent)
the last argument: the innermost function captures the variables of both
enclosing operators (a, w) and of the function (p0), each operator's
tangent or cotangent is a variable of the one enclosing it, and t enters
as the outermost operator's tangent or scale.  Then d e1/dt and d e1/dp0, each
by grad and by jvp (a fourth level), are compared with central
differences of e1 itself (h = 1e-6, agreement to 1e-6 relative).  The
first two levels and the captured outer tangent are where nesttest seed 2
program 57 found a dropped sensitivity (grad over jvp over jvp); this
checks all 64 triples systematically, 1,024 derivatives.
"""
import argparse
import concurrent.futures
import itertools
import os
import subprocess
import sys
import tempfile

OPS = ["grad", "vag", "vjp", "jvp"]
BODIES = ["p * a * w", "sin(p * a + w) * cos(a * p0)", "p * p * w + a * tanh(w * p)", "_h(p, a) * w + _h(w, p0)"]
X0, T0, H = 0.8, 0.9, 1e-6
TOL = 1e-6


def app(op, fn, x, scale):
    if op == "grad":
        return f"({scale}) * grad({fn})({x})"
    if op == "vag":
        return f"({scale}) * value_and_grad({fn})({x})[1]"
    if op == "vjp":
        return f"vjp({fn}, {x})[1]({scale})[0]"
    return f"jvp({fn}, ({x},), ({scale},))[1]"


def program(o2, o3, o4, body):
    inner = app(o4, f"lambda p: {body}", "1.1", "w")
    mid = app(o3, f"lambda w: {inner}", "1.2", "0.7 * a")
    outer = app(o2, f"lambda a: {mid}", "p0", "t")
    return f"""def _h(u, c):
    return u * u * c

def e1(p0, t):
    return {outer}

def gt(p0, t):
    return grad(lambda s: e1(p0, s))(t)

def gp(p0, t):
    return grad(lambda s: e1(s, t))(p0)

def jt(p0, t):
    return jvp(lambda s: e1(p0, s), (t,), (1.0,))[1]

def jp(p0, t):
    return jvp(lambda s: e1(s, t), (p0,), (1.0,))[1]
"""


def run(myc, mode, path, fn, *args):
    argv = [myc, "run"] + (["--interp"] if mode == "interp" else []) + [path, fn] + [repr(a) for a in args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    try:
        return float(r.stdout.strip())
    except ValueError:
        return (r.stderr.strip() or f"exit status {r.returncode}").splitlines()[0][:200]


def check(opt, case):
    o2, o3, o4, body = case
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chain.my")
        with open(path, "w") as f:
            f.write(program(o2, o3, o4, body))
        vals = {k: run(opt.myc, opt.mode, path, "e1", *a) for k, a in
                {"t+": (X0, T0 + H), "t-": (X0, T0 - H), "p+": (X0 + H, T0), "p-": (X0 - H, T0)}.items()}
        bad = [f"e1: {v}" for v in vals.values() if isinstance(v, str)]
        if bad:
            return case, bad[:1]
        fd = {"t": (vals["t+"] - vals["t-"]) / (2 * H), "p": (vals["p+"] - vals["p-"]) / (2 * H)}
        fails = []
        for fn in ("gt", "gp", "jt", "jp"):
            v = run(opt.myc, opt.mode, path, fn, X0, T0)
            ref = fd[fn[1]]
            if isinstance(v, str) or abs(v - ref) > TOL * max(1.0, abs(ref)):
                fails.append(f"{fn}: {v} (central difference {ref!r})")
        return case, fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--myc", default="build/myc")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--mode", choices=["interp", "jit"], default="interp")
    opt = ap.parse_args()
    cases = [(o2, o3, o4, b) for o2, o3, o4 in itertools.product(OPS, repeat=3) for b in BODIES]
    nbad = 0
    with concurrent.futures.ThreadPoolExecutor(opt.j) as pool:
        for case, fails in pool.map(lambda c: check(opt, c), cases):
            for f in fails:
                nbad += 1
                print(f"FAIL {'>'.join(case[:3])} [{case[3]}] {f}")
    n = len(cases) * 4
    print(f"chaintest: {n - nbad} of {n} derivatives agree with central differences ({len(cases)} programs)")
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main())
