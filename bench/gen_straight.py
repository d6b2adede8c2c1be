#!/usr/bin/env python3
"""Writes a straight-line .my function of N statements, for compile-time scaling.

    python3 bench/gen_straight.py N [-o FILE] [--name straight] [--seed 1]

The function is `def NAME(x0: float, x1: float, x2: float, x3: float) -> float`
with N assignments `tK = ...` and `return tN`.  Each statement mixes + - * /
with sin, cos, exp, sqrt, log and tanh; its first operand is the previous
temporary (so the result depends on every statement: nothing is dead) and
its other operands are inputs or earlier temporaries, mostly recent ones,
sometimes far back.  Every template maps [-1, 1] into [-1, 1], so the values
stay finite however long the chain.  The same N and seed give the same file.
"""
import argparse
import math
import random
import sys

INPUTS = ["x0", "x1", "x2", "x3"]

# {a}: the previous temporary; {b}, {c}: earlier values.
TEMPLATES = [
    "0.5 * ({a} + {b})",
    "0.5 * ({a} - {b})",
    "{a} * {b}",
    "0.5 * ({a} * {b} + {c})",
    "{a} / (1.0 + {b} * {b})",
    "sin({a} + {b})",
    "cos({a}) * {b}",
    "exp(-{a} * {a}) * {b}",
    "0.5 * sqrt(1.0 + {a} * {a}) - 0.4 * {b} - 0.3",
    "tanh({a} - {b} * {c})",
    "0.5 * log(2.0 + {a} * {b}) - 0.3 * {c}",
    "0.9 * {a} + 0.1 * {b} * {c}",
]


def generate(n, name="straight", seed=1):
    rng = random.Random(seed)
    lines = ['"""%d statements of straight-line code (bench/gen_straight.py, seed %d)."""'
             % (n, seed), "",
             "def %s(%s) -> float:" % (name, ", ".join(v + ": float" for v in INPUTS))]
    values = list(INPUTS)

    def pick():
        if rng.random() < 0.8:
            return rng.choice(values[-50:])
        return rng.choice(values)

    prev = "x0"
    for k in range(1, n + 1):
        expr = rng.choice(TEMPLATES).format(a=prev, b=pick(), c=pick())
        t = "t%d" % k
        lines.append("    %s = %s" % (t, expr))
        values.append(t)
        prev = t
    lines.append("    return %s" % prev)
    return "\n".join(lines) + "\n"


def evaluate(src, args):
    """Runs the generated function in Python (a self-check of the generator)."""
    env = {f: getattr(math, f) for f in ("sin", "cos", "exp", "sqrt", "log", "tanh")}
    body = src.replace(") -> float:", "):")
    body = "\n".join(l.replace(": float", "") if l.startswith("def ") else l
                     for l in body.splitlines())
    exec(body, env)
    fn = [v for k, v in env.items() if callable(v) and k not in
          ("sin", "cos", "exp", "sqrt", "log", "tanh", "__builtins__")][0]
    return fn(*args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of statements")
    ap.add_argument("-o", "--output", help="output file (default: standard output)")
    ap.add_argument("--name", default="straight", help="the function's name")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval", metavar="X0,X1,X2,X3",
                    help="instead of writing the file, print the function's value there")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("N must be at least 1")
    src = generate(args.n, args.name, args.seed)
    if args.eval:
        print(repr(evaluate(src, [float(v) for v in args.eval.split(",")])))
        return
    if args.output:
        with open(args.output, "w") as f:
            f.write(src)
    else:
        sys.stdout.write(src)


if __name__ == "__main__":
    main()
