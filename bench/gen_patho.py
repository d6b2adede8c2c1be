#!/usr/bin/env python3
"""Writes .my files of pathological shapes and sizes, for compile-time scaling (issue 20).

    python3 bench/gen_patho.py SHAPE N [-o FILE] [--seed 1]
    python3 bench/gen_patho.py SHAPE N --flags    # the myc flags the shape is compiled with

SHAPE is one of
  tuple   `def f(t: (float, ..., float)) -> (float, ..., float): return t`, a flat tuple
          of N floats in and out (exported: N parameters and N out-pointers), with
          `--vjp=f`
  expr    `def f(x: float, y: float) -> float: return <N terms>`, one expression of N
          terms (each a product or a call of x and y), with `--grad=f`
  funcs   N small functions f1 ... fN of two floats, with `--grad=fK` for each
  lines   a file of N lines: N / 8 functions of a loop, a branch and a few statements
          (each calls the one before it), compiled with `-c` alone
Every function returns finite values on inputs in [-1, 1]; the same shape, N and seed give
the same file.  bench/run.py's `patho` section times them (docs/performance.md).
"""
import argparse
import random
import sys

SHAPES = ["tuple", "expr", "funcs", "lines"]

TERMS = ["{c} * x * y", "{c} * sin(x)", "{c} * cos(y)", "{c} * x * x", "{c} * exp(-y * y)",
         "{c} * tanh(x - y)", "{c} * y"]


def const(rng):
    return "%.3f" % rng.uniform(-1.0, 1.0)


def gen_tuple(n, rng):
    ty = "(" + ", ".join(["float"] * n) + ")"
    return ('"""A flat tuple of %d floats (bench/gen_patho.py tuple)."""\n\n'
            "def f(t: %s) -> %s:\n    return t\n" % (n, ty, ty))


def gen_expr(n, rng):
    lines = ['"""One expression of %d terms (bench/gen_patho.py expr)."""' % n, "",
             "def f(x: float, y: float) -> float:", "    return (0.0"]
    for k in range(n):
        lines.append("        + " + rng.choice(TERMS).format(c=const(rng)))
    lines[-1] += ")"
    return "\n".join(lines) + "\n"


def gen_funcs(n, rng):
    lines = ['"""%d small functions (bench/gen_patho.py funcs)."""' % n]
    for k in range(1, n + 1):
        a, b = rng.sample(TERMS, 2)
        lines += ["", "def f%d(x: float, y: float) -> float:" % k,
                  "    u = " + a.format(c=const(rng)),
                  "    return u * (" + b.format(c=const(rng)) + ") + x"]
    return "\n".join(lines) + "\n"


def gen_lines(n, rng):
    # 8 lines per function (the blank line before it included)
    lines = ['"""A file of %d lines (bench/gen_patho.py lines)."""' % n]
    k = 0
    while len(lines) + 8 <= n:
        k += 1
        prev = "g%d(x, s)" % (k - 1) if k > 1 else "x"
        lines += ["", "def g%d(x: float, n: int) -> float:" % k,
                  "    s = n % 3",
                  "    for i in range(s):",
                  "        x = %s * x + %s" % (const(rng), rng.choice(["sin(x)", "0.5", "cos(x)"])),
                  "    if x > %s:" % const(rng),
                  "        return " + prev,
                  "    return 0.5 * x"]
    while len(lines) < n:
        lines.append("# filler")
    return "\n".join(lines) + "\n"


GENERATORS = {"tuple": gen_tuple, "expr": gen_expr, "funcs": gen_funcs, "lines": gen_lines}


def generate(shape, n, seed=1):
    return GENERATORS[shape](n, random.Random(seed))


def flags(shape, n):
    """The myc flags (besides -c, -O and -o) the shape is compiled with."""
    if shape == "tuple":
        return ["--vjp=f"]
    if shape == "expr":
        return ["--grad=f"]
    if shape == "funcs":
        return ["--grad=f%d" % k for k in range(1, n + 1)]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shape", choices=SHAPES)
    ap.add_argument("n", type=int, help="the size")
    ap.add_argument("-o", "--output", help="output file (default: standard output)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flags", action="store_true",
                    help="print the myc flags of the shape instead of the file")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("N must be at least 1")
    if args.flags:
        print(" ".join(flags(args.shape, args.n)))
        return
    src = generate(args.shape, args.n, args.seed)
    if args.output:
        with open(args.output, "w") as f:
            f.write(src)
    else:
        sys.stdout.write(src)


if __name__ == "__main__":
    main()
