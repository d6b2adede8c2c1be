#!/usr/bin/env python3
"""gradcheck.py: gradients of every end-to-end program against finite differences.

For each `# RUN: FUNC ARG...` line of tests/e2e/*.my and samples/*.my whose
float arguments (literals with a '.' or an exponent) exist and whose run
succeeds, the program is extended with one function that returns, in one
`myc run`:

  - value_and_grad of FUNC with respect to every float argument (the other
    arguments held at their RUN values, through a lambda);
  - jvp of FUNC along each unit direction;
  - FUNC at x +- h and x +- h/8 along each direction (central differences).

and checks (tolerances stated here, and in docs/ad.md):

  - value_and_grad's value equals FUNC's value exactly;
  - grad_i and jvp's tangent along e_i agree to 1e-9 relative (the
    vjp/jvp duality <e_i, J^T 1> == <1, J e_i>; the two modes round
    differently, which cancellation in the program can amplify);
  - grad_i and the central difference with h = 1e-5 * max(1, |x_i|) agree
    to 1e-6 relative to max(1, |grad_i|, |f|/max(1,|x_i|)) -- unless the two
    step sizes disagree with each other by more than that, or the one-sided
    differences disagree by more than 1e-3, or a difference is not finite:
    a kink, jump or branch change at or near the point, which is then
    skipped and counted.  Functions marked `# GRADCHECK: skip FUNC -- why`
    are skipped.

Functions that do not return a float (tuples, ints) are checked through
vjp with a cotangent of ones instead of grad.  A RUN line whose extended
program does not compile for a reason of the function itself (a
parameter used as a range bound gets a float) is skipped and counted.

usage: gradcheck.py --myc build/myc [--only SUBSTR] [-j N] [-v]
Exit status 0 when every check passes.
"""
import argparse
import concurrent.futures
import glob
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOL_FD = 1e-6
TOL_DUAL = 1e-9


def run_lines(text):
    return [l[len("# RUN:"):].split() for l in text.splitlines() if l.startswith("# RUN:")]


def skip_list(text):
    """`# GRADCHECK: skip FUNC -- reason` headers: functions whose derivative
    as executed differs from their finite differences by design (an
    iterative solver whose result does not depend on its starting bracket)."""
    return [l.split()[3] for l in text.splitlines() if l.startswith("# GRADCHECK: skip ")]


def is_float_literal(a):
    return re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)", a) is not None


def parse_out(s):
    s = s.strip()
    s = re.sub(r"\bnan\b", "float('nan')", s)
    s = re.sub(r"\binf\b", "float('inf')", s)
    return eval(s, {"__builtins__": {"float": float}})


def flatten(v):
    if isinstance(v, tuple):
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


def check_line(myc, path, src, fn, args):
    fidx = [i for i, a in enumerate(args) if is_float_literal(a)]
    if not fidx:
        return "none", ""
    if fn in skip_list(src):
        return "skip", f"{fn}: GRADCHECK: skip"
    xs = [float(args[i]) for i in fidx]
    params = [f"__p{k}" for k in range(len(fidx))]
    call_args = []
    for i, a in enumerate(args):
        call_args.append(params[fidx.index(i)] if i in fidx else a)
    lam = f"lambda {', '.join(params)}: {fn}({', '.join(call_args)})"
    n = len(fidx)
    lines = [f"\n\ndef __gradcheck():", f"    f = {lam}", f"    x = ({', '.join(repr(x) for x in xs)},)"]
    sel = "(" + ", ".join(str(k) for k in range(n)) + ",)"
    # value and gradient: grad for a float result, vjp with ones otherwise
    lines.append(f"    y = f({', '.join(f'x[{k}]' for k in range(n))})")
    lines.append(f"    vg = __vg(f, x)")
    parts = ["y", "vg"]
    for k in range(n):
        e = ", ".join("1.0" if j == k else "0.0" for j in range(n))
        lines.append(f"    t{k} = jvp(f, x, ({e},))[1]")
        parts.append(f"t{k}")
        for frac in (1.0, 0.125):
            h = 1e-5 * max(1.0, abs(xs[k])) * frac
            for sgn, tag in ((1, "p"), (-1, "m")):
                xv = ", ".join(f"x[{j}] + {sgn * h!r}" if j == k else f"x[{j}]" for j in range(n))
                name = f"s{k}{tag}{int(frac * 8)}"
                lines.append(f"    {name} = f({xv})")
                parts.append(name)
    lines.append(f"    return ({', '.join(parts)},)")
    xs_args = ", ".join(f"x[{k}]" for k in range(n))
    for mode in ("grad", "vjp"):
        if mode == "grad":
            helper = (f"\n\ndef __vg(f, x):\n    return value_and_grad(f, {sel})({xs_args})\n")
        else:
            p0 = subprocess.run([myc, "run", path, fn] + args, capture_output=True, text=True, timeout=120)
            if p0.returncode != 0:
                return "skip", f"{fn}: does not run"
            try:
                ones = ones_like(parse_out(p0.stdout.strip().splitlines()[-1]))
            except Exception:  # noqa: BLE001 - a result that is not numbers
                return "skip", f"{fn}: result is not numbers"
            helper = (f"\n\ndef __vg(f, x):\n"
                      f"    r = vjp(f, {xs_args})\n    return (r[0], r[1]({ones}))\n")
        prog = src + helper + "\n".join(lines) + "\n"
        with tempfile.NamedTemporaryFile("w", suffix=".my", delete=False) as tf:
            tf.write(prog)
            tmp = tf.name
        try:
            p = subprocess.run([myc, "run", tmp, "__gradcheck"], capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(tmp)
        if p.returncode == 0:
            break
        if mode == "grad" and "grad needs a function that returns a float" in p.stderr:
            continue
        if p.returncode == 1 or p.returncode == 3:
            return "skip", f"{os.path.basename(path)}: {fn} {' '.join(args)}: not checked: {p.stderr.strip().splitlines()[0] if p.stderr.strip() else p.returncode}"
        return "fail", f"{path}: {fn} {' '.join(args)}: myc exited {p.returncode}: {p.stderr.strip()[:400]}"
    else:
        return "skip", f"{fn}: no float result"
    try:
        out = parse_out(p.stdout.strip().splitlines()[-1])
    except Exception as e:  # noqa: BLE001 - report any parse problem
        return "fail", f"{path}: {fn}: cannot parse output {p.stdout!r}: {e}"
    y, vg = out[0], out[1]
    val, g = vg
    yl = flatten(y)
    gl = flatten(g) if isinstance(g, tuple) else [float(g)]
    if mode == "grad" and not close(float(val), float(y), 0.0):
        return "fail", f"{path}: {fn} {' '.join(args)}: value_and_grad value {val!r} != f {y!r}"
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
    if problems:
        return "fail", f"{path}: {fn} {' '.join(args)}: " + "; ".join(problems)
    return ("ok" if not skipped else "kink"), f"{fn} {' '.join(args)}"


def ones_like(v):
    """A .my literal of v's shape with 1.0 for every number."""
    if isinstance(v, tuple):
        items = [ones_like(x) for x in v]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(v, (int, float)):
        return "1.0"
    raise ValueError("not a number")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--myc", default=os.path.join(ROOT, "build", "myc"))
    ap.add_argument("--only", default="")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-v", action="store_true")
    o = ap.parse_args()
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "e2e", "*.my")) + glob.glob(os.path.join(ROOT, "samples", "*.my")))
    jobs = []
    for path in files:
        if o.only and o.only not in path:
            continue
        src = open(path).read()
        for rl in run_lines(src):
            if rl:
                jobs.append((path, src, rl[0], rl[1:]))
    counts = {"ok": 0, "kink": 0, "skip": 0, "none": 0, "fail": 0}
    fails = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=o.j) as ex:
        for (path, _, fn, args), (status, msg) in zip(jobs, ex.map(lambda j: check_line(o.myc, *j), jobs)):
            counts[status] += 1
            if status == "fail":
                fails.append(msg)
            elif o.v and status in ("skip", "kink"):
                print(f"{status}: {os.path.basename(path)}: {msg}")
    for f in fails:
        print("FAIL", f)
    print(f"gradcheck: {counts['ok']} points checked, {counts['kink']} with a kink nearby, "
          f"{counts['skip']} not differentiable as run, {counts['none']} without float arguments, "
          f"{counts['fail']} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
