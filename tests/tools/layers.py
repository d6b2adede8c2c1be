#!/usr/bin/env python3
"""layers.py: fails when a lower layer of myc refers to a higher one.

    python3 tests/tools/layers.py [--obj build/obj] [--selftest]

The layers (docs/design.md, "The map"), bottom first; each may use itself
and the layers listed with it:

    util      src/util/                       -
    runtime   runtime/                        -
    grammar   grammar/, build/gen/            util
    ir        ir/                             util
    passes    passes/                         util, ir, grammar
    backend   src/backend*, src/codegen*,     util, ir, runtime
              src/jit*, src/cabi*, src/backend/
    top       src/driver*, src/pipeline*,     everything
              src/main.c

Two checks: every `#include "..."` of every source file resolves to a file
of an allowed layer; and (with --obj, after a build) every symbol an object
file leaves undefined (`nm -u`) that another object of myc defines is
defined in an allowed layer (the include check misses a declaration
written by hand; the link check misses a header-only use).  Prints each
violation as `file: includes path (layer -> layer)` or
`object: uses symbol from object (layer -> layer)` and exits 1 if any.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ALLOWED = {
    "util": {"util"},
    "runtime": {"runtime"},
    "grammar": {"util", "grammar"},
    "ir": {"util", "ir"},
    "passes": {"util", "ir", "grammar", "passes"},
    "backend": {"util", "ir", "runtime", "backend"},
    "top": {"util", "runtime", "grammar", "ir", "passes", "backend", "top"},
}

BACKEND_NAMES = ("backend", "codegen", "jit", "cabi")


def layer_of(rel):
    """The layer of a path relative to the repository (or of the build's
    generated parser and lexer), or None for files outside the layers."""
    rel = rel.replace(os.sep, "/")
    if rel.startswith("src/util/"):
        return "util"
    if rel.startswith("runtime/"):
        return "runtime"
    if rel.startswith("grammar/") or rel.startswith("gen/"):
        return "grammar"
    if rel.startswith("ir/"):
        return "ir"
    if rel.startswith("passes/"):
        return "passes"
    if rel.startswith("src/backend/"):
        return "backend"
    if rel.startswith("src/"):
        base = rel[len("src/"):]
        if "/" not in base and base.split(".")[0].startswith(BACKEND_NAMES):
            return "backend"
        return "top"
    return None


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def source_files():
    for top in ("src", "ir", "passes", "grammar", "runtime"):
        for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
            for n in sorted(names):
                if n.endswith((".c", ".h", ".l", ".y", ".def")):
                    yield os.path.relpath(os.path.join(dirpath, n), ROOT)


def check_includes():
    bad = []
    for rel in source_files():
        src_layer = layer_of(rel)
        with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            target = os.path.normpath(os.path.join(os.path.dirname(rel), inc))
            if not os.path.exists(os.path.join(ROOT, target)):
                # -I paths: src/ (util/...), ir/, passes/, grammar/, the generated parser.h
                for d in ("src", "ir", "passes", "grammar"):
                    if os.path.exists(os.path.join(ROOT, d, inc)):
                        target = os.path.normpath(os.path.join(d, inc))
                        break
                else:
                    if inc == "parser.h":
                        target = "gen/parser.h"
                    else:
                        continue    # not ours
            tl = layer_of(target)
            if tl and src_layer and tl not in ALLOWED[src_layer]:
                bad.append(f"{rel}: includes {inc} ({src_layer} -> {tl})")
    return bad


def nm(path, undefined):
    args = ["nm", "-u" if undefined else "--defined-only", path]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if undefined:
            syms.add(parts[-1])
        elif len(parts) == 3 and parts[1] in "TDRBCGSV":   # global definitions only
            syms.add(parts[2])
    return syms


def check_objects(objdir):
    objs = []
    for dirpath, _, names in os.walk(objdir):
        for n in names:
            if n.endswith(".o"):
                p = os.path.join(dirpath, n)
                objs.append((os.path.relpath(p, objdir)[:-2], p))
    defined = {}
    for rel, p in objs:
        for s in nm(p, False):
            defined[s] = rel
    bad = []
    for rel, p in objs:
        src_layer = layer_of(rel)
        if not src_layer:
            continue
        for s in sorted(nm(p, True)):
            if s not in defined:
                continue    # libc, libm, LLVM
            tl = layer_of(defined[s])
            if tl and tl not in ALLOWED[src_layer]:
                bad.append(f"{rel}.o: uses {s} from {defined[s]}.o ({src_layer} -> {tl})")
    return bad


def selftest():
    assert layer_of("src/util/common.h") == "util"
    assert layer_of("src/codegen.c") == "backend" and layer_of("src/jit.h") == "backend"
    assert layer_of("src/backend/emit.c") == "backend"
    assert layer_of("src/driver.c") == "top" and layer_of("src/pipeline.h") == "top"
    assert layer_of("gen/parser.c") == "grammar" and layer_of("ir/prims.def") == "ir"
    assert "passes" not in ALLOWED["ir"] and "top" not in ALLOWED["backend"]
    print("layers.py: selftest ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obj", help="the build's object folder (build/obj) for the link check")
    ap.add_argument("--selftest", action="store_true")
    opt = ap.parse_args()
    if opt.selftest:
        selftest()
        return 0
    bad = check_includes()
    if opt.obj:
        bad += check_objects(opt.obj)
    for b in bad:
        print(b)
    if bad:
        print(f"layers.py: {len(bad)} reference(s) from a lower layer to a higher one")
        return 1
    print("layers.py: no upward reference" + (" (includes and objects)" if opt.obj else " (includes)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
