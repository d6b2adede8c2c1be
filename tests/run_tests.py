#!/usr/bin/env python3
"""run_tests.py: the end-to-end test runner (`make check` calls it).

    python3 tests/run_tests.py --myc build/myc [--san-myc build/san/myc]
        [--update] [--only PATTERN] [-j N] [--fuzz N] [--fuzz-seed S]
        [--run-flag FLAG]... [--selftest]

Always run from anywhere; commands run with the repository root as the
current directory, so paths in diagnostics read `tests/errors/NAME.my`.

Kinds of checks (see tests/README.md):
  e2e     tests/e2e/*.my, tests/e2e/lists/*.my and samples/*.my: every `# RUN: FUNC ARG...` line runs
          `myc run FILE FUNC ARG...`; stdout and status are compared with the
          block in NAME.expected (from CPython, tests/tools/cpython_ref.py), or
          for diff_*.my with the `# EXPECT:` lines.  Numbers compare to 1e-12
          relative; ints and bools exactly.  A runtime error (status 3) must
          print its line on stderr and nothing on stdout: `myc: runtime
          error: FILE:LINE:COL: MESSAGE`, the location too coming from
          CPython (its traceback); the self test requires every expected
          runtime error to name its own file at a place inside it.
  errors  tests/errors/*.my: `myc --dump-ir=infer FILE` (or `# CMD:`), stderr
          equal to NAME.err, status `# STATUS:` (default 1), stdout empty
          unless the status is 0; every `# ERROR: L:C: text` and
          `# WARNING: L:C: text` intent line must be matched by a diagnostic,
          and every error/warning reported must be one of them.
  dump    tests/dump/*.my: --dump-ir=parse / infer / parse --ir-format=dot /
          closure against NAME.parse.txt, NAME.infer.txt, NAME.parse.dot,
          NAME.closure.txt (grad_*.my also --dump-ir=grad, text and dot); the
          dot output must render with `dot -Tsvg` when dot is installed.
  trace   tests/trace/*.my: every `# TRACE: [FLAGS] FUNC ARG...` line runs
          `myc run --trace [FLAGS] FILE FUNC ARG...`; the trace (standard
          error), stdout and status against the blocks of NAME.trace (golden,
          --update), stdout also against the line's `# RESULT:` (CPython's
          value, or derived by hand for the differentiation operators); with
          --trace-format=json the trace must parse and its B/E events nest,
          with dot it must render with `dot -Tsvg` (or, without dot, be a
          well-formed digraph), and either also goes to a FILE.
  cli     the command line contract (exit statuses, usage errors).
  outputs an output that is the input, or the header and the object in one
          file, is a usage error; links and FIFOs are written through; an
          unchanged header is not rewritten.
  fuzz    (--fuzz N) N deterministic mutations of the test inputs through
          `myc --dump-ir=infer`: status 0 or 1 only, well-formed diagnostics,
          no signal, no hang.
  san     (--san-myc) every errors test, every e2e RUN line not in a file
          marked `# SLOW` and every trace test again with the sanitizer build:
          same results, and no sanitizer report.

`--update` rewrites the .err and dump goldens from the current output (never
the e2e expected files: those come from CPython).  The last line printed is
always `N passed, N failed`; the exit status is 1 on any failure.
"""

import argparse
import ast
import concurrent.futures
import fnmatch
import glob
import math
import os
import random
import re
import shlex
import shutil
import subprocess
import stat
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 60
REL_TOL = 1e-12


# ---------------------------------------------------------------------------
# Values printed by `myc run`: a tiny tokenizer and comparator.

_TOKEN = re.compile(r"""\s*(?:
    (?P<punct>[(),])
  | (?P<num>[-+]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))
  | (?P<word>True|False)
)""", re.X)


def tokenize_value(text):
    """Tokens of a printed value, or None if the text is not one."""
    toks, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        pos = m.end()
        if m.group("punct"):
            toks.append(m.group("punct"))
        elif m.group("word"):
            toks.append(m.group("word") == "True")
        else:
            s = m.group("num")
            body = s.lstrip("+-")
            if body.isdigit():
                toks.append(int(s))
            else:
                toks.append(float(s))
    return toks


def parse_value(text):
    """A printed value as a Python value (nested tuples of int/float/bool), or None."""
    toks = tokenize_value(text)
    if not toks:
        return None
    pos = 0

    def value():
        nonlocal pos
        if pos >= len(toks):
            raise ValueError
        t = toks[pos]
        pos += 1
        if t == "(":
            items, trailing_comma = [], False
            while True:
                if pos < len(toks) and toks[pos] == ")":
                    pos += 1
                    break
                items.append(value())
                trailing_comma = False
                if pos < len(toks) and toks[pos] == ",":
                    pos += 1
                    trailing_comma = True
                elif pos < len(toks) and toks[pos] == ")":
                    pos += 1
                    break
                else:
                    raise ValueError
            if len(items) == 1 and not trailing_comma:
                raise ValueError  # "(x)" is not how a 1-tuple prints
            return tuple(items)
        if t in (")", ","):
            raise ValueError
        return t

    try:
        v = value()
    except ValueError:
        return None
    return v if pos == len(toks) else None


def values_equal(a, b):
    """Exact for ints and bools (type too), 1e-12 relative for floats, nan == nan,
    and the sign of a zero must match (repr shows it)."""
    if type(a) is not type(b):
        return False
    if type(a) is tuple:
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if type(a) is float:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if a == 0.0 and b == 0.0:
            return math.copysign(1.0, a) == math.copysign(1.0, b)   # repr shows the sign
        if a == b:
            return True
        if math.isinf(a) or math.isinf(b):
            return False
        return abs(a - b) <= REL_TOL * max(abs(a), abs(b))
    return a == b


def outputs_equal(expected, actual):
    """Compares one printed line; falls back to exact text when not a value."""
    e, a = parse_value(expected), parse_value(actual)
    if e is None or a is None:
        return expected.strip() == actual.strip()
    return values_equal(e, a)


# ---------------------------------------------------------------------------
# Test files: headers and expected blocks.

def header_lines(text, key):
    """Values of `# KEY: value` comment lines, in order."""
    pat = re.compile(r"^\s*#\s*" + re.escape(key) + r":\s?(.*?)\s*$")
    out = []
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            out.append(m.group(1))
    return out


def has_marker(text, key):
    return any(re.match(r"^\s*#\s*" + re.escape(key) + r"\b", l) for l in text.splitlines())


def parse_expected(text):
    """NAME.expected -> [(run text, output line, status)]."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if not lines[i].startswith("== RUN ") or i + 2 >= len(lines) \
                or not lines[i + 2].startswith("== STATUS "):
            raise ValueError(f"line {i + 1}: malformed expected block")
        blocks.append((lines[i][len("== RUN "):].strip(), lines[i + 1],
                       int(lines[i + 2][len("== STATUS "):])))
        i += 3
    return blocks


_RUNTIME_ERROR = re.compile(r"^myc: runtime error: (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")


def runtime_error_parts(line):
    """`myc: runtime error: FILE:LINE:COL: MESSAGE` -> (FILE, LINE, COL, MESSAGE),
    or None for a line without a location."""
    m = _RUNTIME_ERROR.match(line)
    if not m:
        return None
    return m.group("file"), int(m.group("line")), int(m.group("col")), m.group("msg")


def runtime_error_problem(expected, got):
    """What differs between two runtime-error lines, said clearly when only
    the location does (the test file moved code since its .expected)."""
    e, g = runtime_error_parts(expected), runtime_error_parts(got)
    if e and g and e[0] == g[0] and e[3] == g[3]:
        return (f"runtime error at {g[1]}:{g[2]}, expected at {e[1]}:{e[2]} (if the test file "
                "changed, rerun tests/tools/cpython_ref.py on it)")
    return f"expected on stderr {expected!r}, got {short(got)!r}"


def expect_blocks_from_source(text):
    """diff_*.my: RUN lines paired with hand-written EXPECT lines."""
    runs, expects = header_lines(text, "RUN"), header_lines(text, "EXPECT")
    if len(runs) != len(expects):
        raise ValueError(f"{len(runs)} RUN lines but {len(expects)} EXPECT lines")
    return [(r, e, 3 if e.startswith("myc: runtime error:") else 0)
            for r, e in zip(runs, expects)]


def parse_intent(spec):
    """'12:5: some text' -> (12, 5, 'some text')."""
    m = re.match(r"^(\d+):(\d+):\s?(.*)$", spec)
    if not m:
        raise ValueError(f"bad intent line {spec!r}")
    return int(m.group(1)), int(m.group(2)), m.group(3).strip()


_DIAG = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<kind>error|warning|note): (?P<msg>.*)$")
_DIAG_NOLOC = re.compile(r"^(?P<file>[^:]+): (?P<kind>error|warning|note): (?P<msg>.*)$")
_CARET = re.compile(r"^ *\^$")
# clang's closing count: "2 errors generated.", "1 warning and 1 error generated."
_SUMMARY = re.compile(r"^(?:(?P<w>\d+) warnings? and (?P<e>\d+) errors?|(?P<w1>\d+) warnings?|(?P<e1>\d+) errors?)"
                      r" generated\.$")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_colors(text):
    """text without ANSI colour codes (-fcolor-diagnostics)."""
    return _ANSI.sub("", text)


def summary_counts(line):
    """(warnings, errors) of a summary line, or None."""
    m = _SUMMARY.match(line)
    if not m:
        return None
    return int(m.group("w") or m.group("w1") or 0), int(m.group("e") or m.group("e1") or 0)


def summary_problem(stderr, path):
    """None if stderr ends with clang's count of its errors and warnings (or
    has neither and no count), else what is wrong."""
    diags = diagnostics(stderr, path)
    nerr = sum(1 for d in diags if d[0] == "error")
    nwarn = sum(1 for d in diags if d[0] == "warning")
    lines = stderr.rstrip("\n").split("\n") if stderr.strip() else []
    counts = summary_counts(lines[-1]) if lines else None
    if "more errors not shown" in stderr:
        return None if counts and counts[1] > nerr else "no count after the error limit"
    if not nerr and not nwarn:
        return None if counts is None else f"a count with no diagnostics: {lines[-1]!r}"
    if counts != (nwarn, nerr):
        return (f"expected the last line to count {nwarn} warning(s) and {nerr} error(s), got "
                f"{lines[-1] if lines else ''!r}")
    return None


def diagnostics(stderr, path):
    """[(kind, line, col, message)] of the located diagnostics for `path`."""
    out = []
    for l in stderr.splitlines():
        m = _DIAG.match(l)
        if m and m.group("file") == path:
            out.append((m.group("kind"), int(m.group("line")), int(m.group("col")), m.group("msg")))
    return out


def check_intents(stderr, path, errors, warnings):
    """Problems (list of strings) between declared intents and reported diagnostics."""
    problems = []
    diags = diagnostics(stderr, path)
    for kind, specs in (("error", errors), ("warning", warnings)):
        intents = [parse_intent(s) for s in specs]
        reported = [d for d in diags if d[0] == kind]
        for line, col, text in intents:
            if not any(d[1] == line and d[2] == col and text.lower() in d[3].lower()
                       for d in reported):
                problems.append(f"expected {kind} at {line}:{col} containing {text!r}")
        for d in reported:
            if not any(d[1] == line and d[2] == col for line, col, _ in intents):
                problems.append(f"unexpected {kind} at {d[1]}:{d[2]}: {d[3]}")
    return problems


def well_formed_stderr(stderr, path):
    """None if stderr is only clang-style diagnostics for `path`, else the bad line."""
    lines = stderr.splitlines()
    i = 0
    while i < len(lines):
        m = _DIAG.match(lines[i])
        if m and m.group("file") == path:
            # Optional source line then caret line.
            if i + 1 < len(lines) and not _DIAG.match(lines[i + 1]) \
                    and not _DIAG_NOLOC.match(lines[i + 1]):
                if i + 2 >= len(lines) or not _CARET.match(lines[i + 2]):
                    return lines[i + 1]
                i += 3
            else:
                i += 1
            continue
        m = _DIAG_NOLOC.match(lines[i])
        if m and m.group("file") == path:
            i += 1
            continue
        if i == len(lines) - 1 and _SUMMARY.match(lines[i]):
            i += 1
            continue
        return lines[i]
    return None


_SAN_REPORT = re.compile(r"(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                         r"MemorySanitizer|ThreadSanitizer|\.(c|h|cc|cpp):\d+:\d+: runtime error:)")


def sanitizer_report(stderr):
    m = _SAN_REPORT.search(stderr)
    if not m:
        return None
    start = stderr.rfind("\n", 0, m.start()) + 1
    return stderr[start:stderr.find("\n", m.end()) if "\n" in stderr[m.end():] else None]


def unified(expected, actual, name):
    import difflib
    d = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                             f"{name} (expected)", f"{name} (actual)", lineterm="", n=1)
    lines = list(d)
    if len(lines) > 40:
        lines = lines[:40] + [f"... ({len(lines) - 40} more diff lines)"]
    return "\n    ".join(lines)


# ---------------------------------------------------------------------------
# Running commands.

class Result:
    def __init__(self, status, stdout, stderr, timed_out=False):
        self.status, self.stdout, self.stderr, self.timed_out = status, stdout, stderr, timed_out

    def describe(self):
        if self.timed_out:
            return f"timed out after {TIMEOUT} s"
        if self.status < 0:
            return f"killed by signal {-self.status}"
        return f"exit status {self.status}"


def run(argv, stdin=None):
    try:
        p = subprocess.run(argv, cwd=ROOT, input=stdin, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return Result(None, (e.stdout or b"").decode("utf-8", "replace"),
                      (e.stderr or b"").decode("utf-8", "replace"), True)
    except OSError as e:
        return Result(127, "", f"cannot run {argv[0]}: {e}")
    return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"))


def short(text, n=300):
    text = text.strip()
    return text if len(text) <= n else text[:n] + "..."


class Check:
    """One check: a name and a function returning a list of problems (empty: pass)."""
    def __init__(self, name, fn):
        self.name, self.fn = name, fn


# ---------------------------------------------------------------------------
# e2e

def e2e_files():
    return sorted(glob.glob(os.path.join(ROOT, "tests/e2e/*.my"))) + \
        sorted(glob.glob(os.path.join(ROOT, "tests/e2e/lists/*.my"))) + \
        sorted(glob.glob(os.path.join(ROOT, "samples/*.my")))


def rel(path):
    return os.path.relpath(path, ROOT)


def e2e_checks(myc, run_flags, san_myc=None):
    checks = []
    for path in e2e_files():
        relpath, base = rel(path), os.path.splitext(os.path.basename(path))[0]
        kind_dir = os.path.basename(os.path.dirname(path))
        text = open(path, encoding="utf-8", errors="replace").read()
        runs = header_lines(text, "RUN")
        warns = header_lines(text, "WARNING")
        slow = has_marker(text, "SLOW")
        native_only = has_marker(text, "NATIVE-ONLY")
        name = f"{kind_dir}/{base}"
        try:
            if base.startswith("diff_"):
                blocks = expect_blocks_from_source(text)
            else:
                exp_path = os.path.splitext(path)[0] + ".expected"
                if not os.path.exists(exp_path):
                    raise ValueError(f"missing {rel(exp_path)} "
                                     "(python3 tests/tools/cpython_ref.py " + relpath + ")")
                blocks = parse_expected(open(exp_path).read())
                if [b[0] for b in blocks] != runs:
                    raise ValueError(f"{rel(exp_path)} is stale: its RUN lines differ from "
                                     f"{relpath} (rerun tests/tools/cpython_ref.py)")
        except ValueError as e:
            msg = str(e)
            checks.append(Check(f"{name}", lambda msg=msg: [msg]))
            continue
        for i, (run_text, out, status) in enumerate(blocks, 1):
            words = shlex.split(run_text)
            # The reference interpreter, on the IR before and after closure
            # conversion, and native code (the JIT) at -O0 and -O2: all give
            # the expected output (floats to 1e-12 relative).
            # A file marked NATIVE-ONLY runs natively only: the interpreter
            # runs the IR before the in-place pass, where each change
            # copies its list (a 10^7-item append loop is quadratic there).
            variants = [] if native_only else [("", ["--interp"]), ("closure/", ["--interp", "--interp-ir=inplace"])]
            if not slow or native_only:
                variants += [("native-O0/", ["-O0"]), ("native-O2/", ["-O2"])]
            for tag, flags in variants:
                argv = [myc, "run"] + flags + run_flags + [relpath] + words
                checks.append(Check(f"{tag}{name}:{i}",
                                    lambda argv=argv, out=out, status=status, rp=relpath, w=warns:
                                    e2e_compare(argv, out, status, relpath=rp, warns=w)))
            if san_myc and not slow and not native_only:
                sargv = [san_myc, "run", "--interp"] + run_flags + [relpath] + words
                checks.append(Check(f"san/{name}:{i}",
                                    lambda a=sargv, out=out, status=status, rp=relpath, w=warns:
                                    e2e_compare(a, out, status, True, rp, w)))
    return checks


def e2e_compare(argv, expected, status, san=False, relpath=None, warns=()):
    """Problems of one RUN line.  `warns`: the file's `# WARNING:` intents, the
    warnings every run of it must print on stderr (and nothing else but the
    runtime error's line)."""
    r = run(argv)
    cmd = " ".join(shlex.quote(a) for a in argv)
    probs = []
    if san and sanitizer_report(r.stderr):
        return [f"{cmd}: sanitizer report: {sanitizer_report(r.stderr)}"]
    if r.timed_out or r.status != status:
        probs.append(f"{cmd}: expected exit status {status}, got {r.describe()}"
                     + (f"; stderr: {short(r.stderr)}" if r.stderr.strip() else ""))
        if r.timed_out:
            return probs
    stderr = r.stderr
    if warns and not r.timed_out:
        diags = stderr
        if status != 0 and stderr.rstrip("\n"):
            lines = stderr.rstrip("\n").split("\n")
            diags, stderr = "\n".join(lines[:-1]) + "\n", lines[-1]
        bad = well_formed_stderr(diags, relpath)
        if bad is not None:
            probs.append(f"{cmd}: unexpected stderr line {bad!r}")
        probs += [f"{cmd}: {p}" for p in check_intents(diags, relpath, [], warns)]
        if status == 0:
            stderr = ""
    if status == 0:
        got = r.stdout.rstrip("\n")
        if "\n" in got or not outputs_equal(expected, got):
            probs.append(f"{cmd}: expected {expected!r}, got {short(got)!r}")
        elif stderr.strip() and r.status == 0:
            probs.append(f"{cmd}: unexpected stderr: {short(stderr)}")
    else:
        got = stderr.rstrip("\n")
        if got != expected:
            probs.append(f"{cmd}: {runtime_error_problem(expected, got)}")
        if r.stdout.strip():
            probs.append(f"{cmd}: expected empty stdout, got {short(r.stdout)!r}")
    return probs


# ---------------------------------------------------------------------------
# errors

def errors_cmd(myc, text, relpath):
    cmds = header_lines(text, "CMD")
    if not cmds:
        return [myc, "--dump-ir=infer", relpath]
    words = shlex.split(cmds[0])
    if words and words[0] == "myc":
        words[0] = myc
    return [w.replace("{file}", relpath) for w in words]


def errors_checks(myc, update, san_myc=None):
    checks = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/errors/*.my"))):
        relpath, base = rel(path), os.path.splitext(os.path.basename(path))[0]
        text = open(path, "rb").read().decode("utf-8", "replace")
        err_path = os.path.splitext(path)[0] + ".err"
        st = header_lines(text, "STATUS")
        status = int(st[0]) if st else 1
        errs, warns = header_lines(text, "ERROR"), header_lines(text, "WARNING")
        argv = errors_cmd(myc, text, relpath)
        checks.append(Check(f"errors/{base}", lambda argv=argv, e=errs, w=warns, s=status,
                            p=err_path, r=relpath: errors_compare(argv, r, p, s, e, w, update)))
        if san_myc:
            sargv = errors_cmd(san_myc, text, relpath)
            checks.append(Check(f"san/errors/{base}", lambda argv=sargv, e=errs, w=warns, s=status,
                                p=err_path, r=relpath: errors_compare(argv, r, p, s, e, w, False, True)))
    return checks


def errors_compare(argv, relpath, err_path, status, errs, warns, update, san=False):
    r = run(argv)
    if san and sanitizer_report(r.stderr):
        return [f"{relpath}: sanitizer report: {sanitizer_report(r.stderr)}"]
    probs = []
    if not errs and not warns:
        probs.append(f"{relpath}: no '# ERROR:' or '# WARNING:' intent lines")
    if r.timed_out or r.status != status:
        probs.append(f"{relpath}: expected exit status {status}, got {r.describe()}")
        if r.timed_out:
            return probs
    if status != 0 and r.stdout:
        probs.append(f"{relpath}: expected empty stdout, got {short(r.stdout)!r}")
    plain = strip_colors(r.stderr)     # the golden keeps the colours; the intents read the text
    for p in check_intents(plain, relpath, errs, warns):
        probs.append(f"{relpath}: {p}")
    if r.status in (0, 1):
        sp = summary_problem(plain, relpath)
        if sp:
            probs.append(f"{relpath}: {sp}")
    if update and r.status == status:
        if not os.path.exists(err_path) or open(err_path).read() != r.stderr:
            with open(err_path, "w") as f:
                f.write(r.stderr)
    elif not os.path.exists(err_path):
        probs.append(f"{relpath}: missing golden {rel(err_path)} (run with --update)")
    else:
        want = open(err_path).read()
        if want != r.stderr:
            probs.append(f"{relpath}: stderr differs from {rel(err_path)}:\n    "
                         + unified(want, r.stderr, rel(err_path)))
    return probs


# ---------------------------------------------------------------------------
# dump

DUMP_VARIANTS = [
    ("parse.txt", ["--dump-ir=parse"]),
    ("infer.txt", ["--dump-ir=infer"]),
    ("parse.dot", ["--dump-ir=parse", "--ir-format=dot"]),
    ("opt.txt", ["--dump-ir=opt"]),
    ("closure.txt", ["--dump-ir=closure"]),
]
# files named grad_*.my also show the differentiated IR
GRAD_VARIANTS = [
    ("grad.txt", ["--dump-ir=grad"]),
    ("grad.dot", ["--dump-ir=grad", "--ir-format=dot"]),
]


def dump_checks(myc, update):
    checks = []
    have_dot = shutil.which("dot") is not None
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/dump/*.my"))):
        relpath, base = rel(path), os.path.splitext(os.path.basename(path))[0]
        for suffix, flags in DUMP_VARIANTS + (GRAD_VARIANTS if base.startswith("grad_") else []):
            golden = os.path.join(os.path.dirname(path), f"{base}.{suffix}")
            argv = [myc] + flags + [relpath]
            checks.append(Check(f"dump/{base}.{suffix}",
                                lambda a=argv, g=golden, s=suffix: dump_compare(a, g, update,
                                                                             s.endswith(".dot") and have_dot)))
    return checks


def dump_compare(argv, golden, update, render):
    r = run(argv)
    cmd = " ".join(argv[1:])
    if r.timed_out or r.status != 0:
        return [f"myc {cmd}: {r.describe()}; stderr: {short(r.stderr)}"]
    probs = []
    if r.stderr.strip():
        probs.append(f"myc {cmd}: unexpected stderr: {short(r.stderr)}")
    if update:
        if not os.path.exists(golden) or open(golden).read() != r.stdout:
            with open(golden, "w") as f:
                f.write(r.stdout)
    elif not os.path.exists(golden):
        probs.append(f"missing golden {rel(golden)} (run with --update)")
    elif open(golden).read() != r.stdout:
        probs.append(f"myc {cmd}: output differs from {rel(golden)}:\n    "
                     + unified(open(golden).read(), r.stdout, rel(golden)))
    if render:
        d = run(["dot", "-Tsvg"], stdin=r.stdout.encode())
        if d.status != 0:
            probs.append(f"myc {cmd}: dot -Tsvg rejects the output: {short(d.stderr)}")
    return probs


# ---------------------------------------------------------------------------
# trace: myc run --trace (tests/README.md)

def trace_checks(myc, update, prefix=""):
    checks = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/trace/*.my"))):
        relpath, base = rel(path), os.path.splitext(os.path.basename(path))[0]
        text = open(path, encoding="utf-8").read()
        traces, results = header_lines(text, "TRACE"), header_lines(text, "RESULT")
        golden = os.path.join(os.path.dirname(path), base + ".trace")
        checks.append(Check(f"{prefix}trace/{base}", lambda r=relpath, t=traces, res=results, g=golden:
                            trace_compare(myc, r, t, res, g, update)))
    return checks


def trace_argv(myc, relpath, line, trace_flag="--trace"):
    words = shlex.split(line)
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    return [myc, "run", trace_flag] + flags + [relpath] + rest, flags


def trace_compare(myc, relpath, traces, results, golden, update):
    if not traces:
        return [f"{relpath}: no '# TRACE:' line"]
    if len(results) != len(traces):
        return [f"{relpath}: {len(traces)} TRACE lines but {len(results)} RESULT lines (one each)"]
    probs, blocks = [], []
    for line, want in zip(traces, results):
        argv, flags = trace_argv(myc, relpath, line)
        r = run(argv)
        cmd = "myc " + " ".join(shlex.quote(a) for a in argv[1:])
        if r.timed_out or r.status is None or r.status < 0:
            probs.append(f"{cmd}: {r.describe()}")
            continue
        fmt = next((f.split("=", 1)[1] for f in flags if f.startswith("--trace-format=")), "text")
        if want.startswith("myc: runtime error:"):
            if r.status != 3 or r.stdout or want not in r.stderr:
                probs.append(f"{cmd}: expected the runtime error {want!r}, got {r.describe()}, "
                             f"stdout {short(r.stdout)!r}")
            trace = r.stderr.replace(want + "\n", "")
        else:
            if r.status != 0 or not outputs_equal(want, r.stdout.strip()):
                probs.append(f"{cmd}: expected {want!r} on stdout (status 0), got {short(r.stdout)!r}, "
                             f"{r.describe()}")
            trace = r.stderr
        probs += trace_format_problems(cmd, fmt, trace)
        # the same trace written to a file leaves standard error empty
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "trace.out")
            fargv, _ = trace_argv(myc, relpath, line, "--trace=" + out)
            fr = run(fargv)
            got = open(out).read() if os.path.exists(out) else None
            if fr.stdout != r.stdout or fr.status != r.status or got is None \
                    or (fmt == "text" and got != trace) or fr.stderr != r.stderr.replace(trace, "", 1):
                probs.append(f"myc run --trace={out}: the trace, standard output or status differs from --trace's")
        if fmt == "text":
            blocks.append(f"== TRACE {line}\n{trace}== STDOUT {r.stdout.strip()}\n== STATUS {r.status}\n")
    actual = "\n".join(blocks)
    if not blocks:
        return probs
    if update:
        if not os.path.exists(golden) or open(golden).read() != actual:
            with open(golden, "w") as f:
                f.write(actual)
    elif not os.path.exists(golden):
        probs.append(f"missing golden {rel(golden)} (run with --update)")
    elif open(golden).read() != actual:
        probs.append(f"{relpath}: traces differ from {rel(golden)}:\n    " + unified(open(golden).read(), actual,
                                                                                   rel(golden)))
    return probs


TRACE_LOOP = """def count(n: int) -> int:
    s = 0
    i = 0
    while i < n:
        s = s + i % 7
        i = i + 1
    return s
"""


def trace_memory_check(myc):
    """A trace of every iteration of a long loop (--trace-limit=0) is written
    as it goes: the peak memory of 2,000,000 traced iterations is within 40
    MB of that of 200,000 (held-back lines are bounded, trace.h)."""
    def check():
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "count.my")
            with open(path, "w") as f:
                f.write(TRACE_LOOP)
            peaks = []
            for n in (200000, 2000000):
                proc = subprocess.Popen(
                    [myc, "run", "--trace=" + os.devnull, "--trace-limit=0", path, "count", str(n)],
                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                out = proc.stdout.read().decode()
                _, status, ru = os.wait4(proc.pid, 0)
                proc.stdout.close()
                want = str(sum(i % 7 for i in range(n)))
                if os.waitstatus_to_exitcode(status) != 0 or out.strip() != want:
                    return [f"count {n}: status {os.waitstatus_to_exitcode(status)}, stdout {short(out)!r}, "
                            f"expected {want}"]
                peaks.append(ru.ru_maxrss)          # KB
            if peaks[1] - peaks[0] > 40 * 1024:
                return [f"the traced run's peak memory grows with the loop: {peaks[0]} KB for 200,000 "
                        f"iterations, {peaks[1]} KB for 2,000,000"]
            return []
    return [Check("trace/memory", check)]


def trace_format_problems(cmd, fmt, trace):
    """json: parses, B/E events nest (same names), timestamps do not go back;
    dot: renders with `dot -Tsvg`, or without dot, is a digraph whose braces
    balance."""
    import json
    if fmt == "json":
        try:
            doc = json.loads(trace)
        except ValueError as e:
            return [f"{cmd}: the json trace does not parse: {e}"]
        stack, last, probs = [], None, []
        for ev in doc.get("traceEvents", []):
            if last is not None and ev["ts"] < last:
                probs.append(f"{cmd}: event {ev} goes back in time")
            last = ev["ts"]
            if ev["ph"] == "B":
                stack.append(ev["name"])
            elif ev["ph"] == "E":
                if not stack or stack.pop() != ev["name"]:
                    probs.append(f"{cmd}: E event {ev} ends no open B event of that name")
            elif ev["ph"] != "i":
                probs.append(f"{cmd}: unexpected event kind {ev['ph']!r}")
        if stack:
            probs.append(f"{cmd}: B events never ended: {stack}")
        if not any(ev["ph"] == "B" for ev in doc.get("traceEvents", [])):
            probs.append(f"{cmd}: no B events")
        return probs
    if fmt == "dot":
        if shutil.which("dot"):
            d = run(["dot", "-Tsvg"], stdin=trace.encode())
            return [] if d.status == 0 and "<svg" in d.stdout else [f"{cmd}: dot -Tsvg rejects the trace: "
                                                                     f"{short(d.stderr)}"]
        depth = 0
        for ch in trace:
            depth += ch == "{"
            depth -= ch == "}"
            if depth < 0:
                break
        ok = trace.startswith("digraph trace {") and depth == 0 and trace.rstrip().endswith("}")
        return [] if ok else [f"{cmd}: the dot trace is not a well-formed digraph"]
    return []


# ---------------------------------------------------------------------------
# cli: the command line contract (spec section 2).

CLI_FILE = "tests/dump/arith.my"      # a valid program with f(x, y)


# -ftime-report's rows: every stage, every optimiser pass, LLVM's steps
TIME_REPORT_ROWS = ["parse", "lower", "infer", "J (the transforms", "grad (check)", "opt: inline", "opt: fold",
                    "opt: dead", "opt: end phases", "closure", "codegen: IR to LLVM IR", "codegen: LLVM passes",
                    "Total"]


def color_on_tty(myc, env_extra, flags):
    """myc's stderr when it is a terminal (a pty), for a file with an error."""
    import pty
    master, slave = pty.openpty()
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.update(env_extra)
    try:
        p = subprocess.Popen([myc] + flags + ["--dump-ir=infer", "tests/errors/caret_operator.my"], cwd=ROOT,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    finally:
        os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait(timeout=60)
    return out.decode("utf-8", "replace")


def cli_color_checks(myc):
    """Colour: on a terminal unless NO_COLOR is set (and not empty), as the
    flags say otherwise."""
    cases = [("color-tty", {}, [], True), ("color-tty-no-color", {"NO_COLOR": "1"}, [], False),
             ("color-tty-empty-no-color", {"NO_COLOR": ""}, [], True),
             ("color-tty-flag-off", {}, ["-fno-color-diagnostics"], False),
             ("color-no-color-flag-on", {"NO_COLOR": "1"}, ["-fcolor-diagnostics"], True),
             ("color-last-flag-wins", {}, ["-fno-color-diagnostics", "-fcolor-diagnostics"], True)]

    def check(env, flags, want):
        err = color_on_tty(myc, env, flags)
        got = "\x1b[0;1;31merror: " in err
        if "error:" not in err:
            return [f"myc {' '.join(flags)} (env {env}) on a terminal: no error printed: {short(err)!r}"]
        return [] if got == want else [f"myc {' '.join(flags)} (env {env}) on a terminal: colours "
                                       f"{'expected' if want else 'unexpected'}: {short(err)!r}"]
    return [Check(f"cli/{n}", lambda e=e, f=f, w=w: check(e, f, w)) for n, e, f, w in cases]


def cli_checks(myc):
    def expect(argv, status, stderr_prefix=None, stdout_contains=None, stdin=None, stderr_has=(), stderr_lacks=()):
        def fn():
            r = run([myc] + argv, stdin=stdin)
            cmd = "myc " + " ".join(shlex.quote(a) for a in argv)
            probs = []
            if r.timed_out or r.status != status:
                probs.append(f"{cmd}: expected exit status {status}, got {r.describe()}")
            if stderr_prefix is not None and not r.stderr.startswith(stderr_prefix):
                probs.append(f"{cmd}: stderr should start {stderr_prefix!r}, got {short(r.stderr)!r}")
            if stdout_contains is not None and stdout_contains not in r.stdout:
                probs.append(f"{cmd}: stdout should mention {stdout_contains!r}")
            if status == 2 and r.stdout:
                probs.append(f"{cmd}: usage errors print nothing on stdout")
            if status == 2 and (r.stderr.count("\n") != 1 or re.search(r":\d+:\d+:", r.stderr)):
                probs.append(f"{cmd}: a usage error is one line with no location, got {short(r.stderr)!r}")
            if status == 0 and r.stderr and not stderr_has:
                probs.append(f"{cmd}: success prints nothing on stderr, got {short(r.stderr)!r}")
            for want in stderr_has:
                if want not in r.stderr:
                    probs.append(f"{cmd}: stderr should mention {want!r}, got {short(r.stderr, 2000)!r}")
            for bad in stderr_lacks:
                if bad in r.stderr:
                    probs.append(f"{cmd}: stderr should not contain {bad!r}, got {short(r.stderr)!r}")
            return probs
        return fn

    usage = "myc: error: "
    cases = [
        ("version", ["--version"], 0, None, None),
        ("help", ["--help"], 0, None, "--dump-ir"),
        ("no-args", [], 2, usage, None),
        ("unknown-flag", ["--no-such-flag", CLI_FILE], 2, usage, None),
        ("missing-file", ["--dump-ir=infer", "tests/no/such/file.my"], 2, usage, None),
        ("bad-stage", ["--dump-ir=bogus", CLI_FILE], 2, usage, None),
        ("bad-ir-format", ["--dump-ir=parse", "--ir-format=bogus", CLI_FILE], 2, usage, None),
        ("run-no-file", ["run"], 2, usage, None),
        ("run-no-func", ["run", CLI_FILE], 2, usage, None),
        ("run-too-few-args", ["run", CLI_FILE, "f", "1.0"], 2, usage, None),
        ("run-missing-file", ["run", "tests/no/such/file.my", "f"], 2, usage, None),
        ("run-too-many-args", ["run", CLI_FILE, "f", "1.0", "2.0", "3.0"], 2, usage, None),
        ("run-unknown-func", ["run", CLI_FILE, "nosuch", "1.0"], 2, usage, None),
        ("run-bad-value", ["run", CLI_FILE, "f", "abc", "1.0"], 2, usage, None),
        ("run-bad-tuple", ["run", CLI_FILE, "f", "(1.0,", "1.0"], 2, usage, None),
        ("run-int-too-big", ["run", CLI_FILE, "f", "99999999999999999999", "1"], 2, usage, None),
        ("run-unknown-flag", ["run", "--no-such-flag", CLI_FILE, "f", "1.0", "2.0"], 2, usage, None),
        ("unknown-opt-level", ["-O5", "--dump-ir=parse", CLI_FILE], 2, usage, None),
        ("no-action", [CLI_FILE], 2, usage, None),
        ("two-files", ["--dump-ir=parse", CLI_FILE, CLI_FILE], 2, usage, None),
        ("dump-no-file", ["--dump-ir=parse"], 2, usage, None),
        ("dump-opt", ["--dump-ir=opt", CLI_FILE], 0, None, "graph @"),
        ("opt-passes-unknown", ["--dump-ir=opt", "--opt-passes=inline,bogus", CLI_FILE], 2, usage, None),
        ("interp-ir-opt", ["run", "--interp", "--interp-ir=opt", CLI_FILE, "f", "1", "2"], 0, None, None),
        ("dump-closure", ["--dump-ir=closure", CLI_FILE], 0, None, "graph @"),
        ("c-to-devnull", ["-c", CLI_FILE, "-o", os.devnull], 0, None, None),
        ("S-to-stdout", ["-S", CLI_FILE, "-o", "-"], 0, None, ".text"),
        ("S-emit-llvm", ["-S", "-emit-llvm", CLI_FILE, "-o", "-"], 0, None, "define"),
        ("c-and-S", ["-c", "-S", CLI_FILE], 2, usage, None),
        ("c-with-run", ["run", "-c", CLI_FILE, "f", "1"], 2, usage, None),
        ("interp-ir-needs-interp", ["run", "--interp-ir=closure", CLI_FILE, "f", "1", "2"], 2, usage, None),
        # myc run --trace: its options' values are checked, and it needs run
        ("trace-bad-format", ["run", "--trace", "--trace-format=svg", CLI_FILE, "f", "1", "2"], 2,
         usage + "unknown trace format 'svg' (formats: text, dot, json)", None),
        ("trace-bad-depth", ["run", "--trace", "--trace-depth=0", CLI_FILE, "f", "1", "2"], 2,
         usage + "--trace-depth takes a whole number from 1, not '0'", None),
        ("trace-depth-word", ["run", "--trace", "--trace-depth=two", CLI_FILE, "f", "1", "2"], 2,
         usage + "--trace-depth takes a whole number from 1, not 'two'", None),
        ("trace-bad-limit", ["run", "--trace", "--trace-limit=-5", CLI_FILE, "f", "1", "2"], 2,
         usage + "--trace-limit takes a whole number from 0, not '-5'", None),
        ("trace-limit-huge", ["run", "--trace", "--trace-limit=99999999999999999999", CLI_FILE, "f", "1", "2"], 2,
         usage + "--trace-limit takes a whole number from 0", None),
        ("trace-depth-missing", ["run", "--trace", "--trace-depth", CLI_FILE, "f", "1", "2"], 2,
         usage + "argument to '--trace-depth' is missing", None),
        ("trace-flag-needs-trace", ["run", "--trace-prims", CLI_FILE, "f", "1", "2"], 2,
         usage + "'--trace-prims' needs --trace", None),
        ("trace-limit-needs-trace", ["run", "--interp", "--trace-limit=5", CLI_FILE, "f", "1", "2"], 2,
         usage + "'--trace-limit' needs --trace", None),
        ("trace-needs-run", ["--trace", "--dump-ir=parse", CLI_FILE], 2, usage + "'--trace' needs 'myc run'", None),
        ("trace-interp-ir", ["run", "--trace", "--interp", "--interp-ir=opt", CLI_FILE, "f", "1", "2"], 2,
         usage + "--trace runs the IR after grad", None),
        ("trace-empty-file", ["run", "--trace=", CLI_FILE, "f", "1", "2"], 2, usage + "--trace= needs a file name",
         None),
        ("trace-unwritable", ["run", "--trace=/nonexistent/dir/t.txt", CLI_FILE, "f", "1", "2"], 2,
         usage + "cannot open '/nonexistent/dir/t.txt' for the trace", None),
        ("trace-suggest", ["run", "--trace-prim", CLI_FILE, "f", "1", "2"], 2,
         usage + "unknown argument '--trace-prim'; did you mean '--trace-prims'?", None),
        ("trace-after-func", ["run", CLI_FILE, "f", "--trace", "1"], 2,
         usage + "option '--trace' after the function name", None),
        ("bad-prefix", ["-c", "--prefix=1x", CLI_FILE, "-o", os.devnull], 2, usage, None),
        ("grad-missing", ["-c", "--grad=nope", CLI_FILE, "-o", os.devnull], 2, usage, None),
        ("vjp-missing", ["-c", "--vjp=nope", CLI_FILE, "-o", os.devnull], 2, usage, None),
        ("jvp-missing", ["-c", "--jvp=nope", CLI_FILE, "-o", os.devnull], 2, usage, None),
        ("vjp-needs-c", ["--vjp=f", CLI_FILE], 2, usage, None),
        ("vjp-jvp-ok", ["-c", "--vjp=f", "--jvp=f", "--grad=f", CLI_FILE, "-o", os.devnull], 0, None, None),
        ("vjp-dump-infer", ["--dump-ir=infer", "--vjp=f", "--jvp=f", CLI_FILE], 0, None, "graph @"),
        ("header-needs-c", ["--header=x.h", "--dump-ir=parse", CLI_FILE], 2, usage, None),
        # Successful runs: options before the file, values that look like options.
        ("run-options", ["run", "-O0", "--interp", CLI_FILE, "f", "1", "-2.5"], 0, None, None),
        ("dump-dot", ["--dump-ir=infer", "--ir-format=dot", CLI_FILE], 0, None, "digraph"),
        # Arguments are literals as the language writes them.
        ("run-hex-arg", ["run", CLI_FILE, "f", "0x10", "0b1"], 0, None, None),
        ("run-leading-zero", ["run", CLI_FILE, "f", "007", "1.0"], 2, usage + "argument 1 ('007')", None),
        # clang's suggestions for misspelt flags; values that are missing
        ("suggest-joined", ["-c", "--gard=f", CLI_FILE], 2,
         "myc: error: unknown argument '--gard=f'; did you mean '--grad=f'?\n", None),
        ("suggest-dashes", ["-verify-ir", "--dump-ir=parse", CLI_FILE], 2,
         "myc: error: unknown argument '-verify-ir'; did you mean '--verify-ir'?\n", None),
        ("suggest-plain", ["--dump-ir=parse", "-ftime-reprot", CLI_FILE], 2,
         "myc: error: unknown argument '-ftime-reprot'; did you mean '-ftime-report'?\n", None),
        ("suggest-none", ["--dump-ir=parse", "--no-such-flag", CLI_FILE], 2,
         "myc: error: unknown argument '--no-such-flag'\n", None),
        ("grad-no-value", ["-c", "--grad", CLI_FILE], 2,
         "myc: error: argument to '--grad' is missing (expected 1 value: --grad=NAME)\n", None),
        ("grad-empty-value", ["-c", "--grad=", CLI_FILE], 2,
         "myc: error: argument to '--grad' is missing (expected 1 value: --grad=NAME)\n", None),
        ("dump-ir-no-value", ["--dump-ir", CLI_FILE], 2, "myc: error: argument to '--dump-ir' is missing", None),
        # myc run: options after FUNC are values, so an error says where they go
        ("run-option-after-func", ["run", CLI_FILE, "f", "1", "2", "--interp"], 2,
         f"myc: error: option '--interp' after the function name is read as an argument; put options before "
         f"the file: myc run --interp {CLI_FILE} f ...\n", None),
        ("run-opt-level-after-func", ["run", CLI_FILE, "f", "-O0", "1"], 2,
         "myc: error: option '-O0' after the function name", None),
        ("run-option-as-func", ["run", CLI_FILE, "--interp", "f", "1", "2"], 2,
         "myc: error: option '--interp' after the file name is read as the function name", None),
    ]
    checks = [Check(f"cli/{n}", expect(a, s, p, c)) for n, a, s, p, c in cases]
    # `-` reads the source from standard input; diagnostics call it <stdin>.
    src = b"def f(x):\n    return x * 3.0\n"
    bad = b"def f(x):\n    return x + y\n"
    stdin_cases = [
        ("stdin-run", ["run", "-", "f", "2"], 0, None, "6.0", src),
        ("stdin-dump", ["--dump-ir=infer", "-"], 0, None, "graph @f", src),
        ("stdin-c", ["-c", "-", "-o", os.devnull], 0, None, None, src),
        ("stdin-c-needs-o", ["-c", "-"], 2, usage, None, src),
        ("stdin-error", ["run", "-", "f", "2"], 1, "<stdin>:2:16: error: undefined name 'y'", None, bad),
    ]
    checks += [Check(f"cli/{n}", expect(a, s, p, c, i)) for n, a, s, p, c, i in stdin_cases]
    introspection = [
        ("version-llvm", ["--version"], 0, None, "LLVM version 14.", (), ()),
        ("version-target", ["--version"], 0, None, "Target: x86_64", (), ()),
        ("time-report", ["-ftime-report", "-c", CLI_FILE, "-o", os.devnull], 0, None, None,
         TIME_REPORT_ROWS + ["codegen: machine code and output", "Wall (ms)"], ()),
        ("time-report-run", ["run", "-ftime-report", CLI_FILE, "f", "1", "2"], 0, None, None,
         TIME_REPORT_ROWS + ["codegen: JIT machine code and the run"], ()),
        ("time-report-grad", ["-ftime-report", "-S", "--grad=f", CLI_FILE, "-o", os.devnull], 0, None, None,
         TIME_REPORT_ROWS, ()),
        ("verbose", ["-v", "-c", CLI_FILE, "-o", os.devnull], 0, None, None,
         ["myc version ", "LLVM version ", "Target: ", "myc: parse ", "myc: infer: ", "myc: grad: ", "myc: opt: ",
          "myc: closure: ", "myc: codegen: LLVM ", "-O2", f"-> '{os.devnull}' (object)"], ()),
        ("verbose-run", ["run", "-v", "-O1", CLI_FILE, "f", "1", "2"], 0, None, None,
         ["myc: parse ", "myc: codegen: LLVM ", "JIT, -O1"], ()),
        ("no-color-by-flag", ["-fcolor-diagnostics", "-fno-color-diagnostics", "--dump-ir=infer",
                              "tests/errors/caret_operator.my"], 1, None, None, ["1 error generated.\n"], ["\x1b["]),
        ("count-at-end", ["--dump-ir=infer", "tests/errors/caret_operator.my"], 1, None, None,
         ["^\n1 error generated.\n"], ()),
    ]
    checks += [Check(f"cli/{n}", expect(a, s, p, c, None, h, l)) for n, a, s, p, c, h, l in introspection]
    return checks + cli_color_checks(myc)


# ---------------------------------------------------------------------------
# outputs: never the input, written through links and special files, a
# header left alone when its content is unchanged (issue 18, item 2).

def output_checks(myc):
    src = "def f(x):\n    return x * x\n"

    def in_tmp(body):
        def fn():
            with tempfile.TemporaryDirectory(prefix="myc-out-") as d:
                a = os.path.join(d, "a.my")
                with open(a, "w") as f:
                    f.write(src)
                return body(d, a)
        return fn

    def usage_error(argv_of, says, untouched):
        def body(d, a):
            argv = argv_of(d, a)
            before = {p: open(p, "rb").read() for p in untouched(d, a) if os.path.exists(p)}
            r = run([myc] + argv)
            cmd = "myc " + " ".join(argv)
            probs = []
            if r.timed_out or r.status != 2:
                probs.append(f"{cmd}: expected exit status 2, got {r.describe()}")
            if says not in r.stderr or not r.stderr.startswith("myc: error: ") or r.stderr.count("\n") != 1:
                probs.append(f"{cmd}: expected one usage error saying {says!r}, got {short(r.stderr)!r}")
            for p, data in before.items():
                if open(p, "rb").read() != data:
                    probs.append(f"{cmd}: {p} was changed")
            left = sorted(set(os.listdir(d)) - {os.path.basename(p) for p in before} - {"a.my", "sub"})
            if left:
                probs.append(f"{cmd}: left files behind: {left}")
            return probs
        return in_tmp(body)

    def symlink(d, a):
        real, link = os.path.join(d, "real.o"), os.path.join(d, "link.o")
        os.symlink("real.o", link)      # dangling: the target is created through it
        probs = []
        for round_ in (1, 2):           # then an existing target, rewritten through it
            r = run([myc, "-c", a, "-o", link])
            if r.status != 0:
                probs.append(f"-o link.o (round {round_}): {r.describe()}: {short(r.stderr)}")
            if not os.path.islink(link) or os.readlink(link) != "real.o":
                probs.append(f"-o link.o (round {round_}): the symbolic link was replaced")
            if not os.path.isfile(real) or open(real, "rb").read(4) != b"\x7fELF":
                probs.append(f"-o link.o (round {round_}): no object written through the link to real.o")
        return probs

    def fifo(d, a):
        pipe = os.path.join(d, "pipe.o")
        os.mkfifo(pipe)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(pipe, "rb").read()))
        reader.start()
        r = run([myc, "-c", a, "-o", pipe])
        reader.join(TIMEOUT)
        probs = []
        if r.status != 0:
            probs.append(f"-o FIFO: {r.describe()}: {short(r.stderr)}")
        if not stat.S_ISFIFO(os.lstat(pipe).st_mode):
            probs.append("-o FIFO: the FIFO was replaced")
        if not got or got[0][:4] != b"\x7fELF":
            probs.append("-o FIFO: the reader did not get the object")
        return probs

    def header_unchanged(d, a):
        h, o = os.path.join(d, "a.h"), os.path.join(d, "a.o")
        probs = []
        r1 = run([myc, "-c", a, "-o", o, f"--header={h}"])
        os.utime(h, ns=(1_000_000_000, 1_000_000_000))     # an old time stamp, to see a rewrite
        r2 = run([myc, "-c", a, "-o", o, f"--header={h}"])
        if r1.status != 0 or r2.status != 0:
            return [f"--header: {r1.describe()} / {r2.describe()}: {short(r1.stderr + r2.stderr)}"]
        if os.stat(h).st_mtime_ns != 1_000_000_000:
            probs.append("--header: an unchanged header was rewritten (its time stamp moved)")
        with open(a, "a") as f:
            f.write("\ndef g(y):\n    return y\n")
        r3 = run([myc, "-c", a, "-o", o, f"--header={h}"])
        if r3.status != 0 or "g(double y)" not in open(h).read() or os.stat(h).st_mtime_ns == 1_000_000_000:
            probs.append("--header: a changed header was not rewritten")
        return probs

    j = os.path.join
    cases = [
        ("o-is-input", lambda d, a: ["-c", a, "-o", a], "is the same as output file", lambda d, a: [a]),
        ("o-is-input-other-spelling", lambda d, a: ["-c", a, "-o", j(d, ".", "..", os.path.basename(d), "a.my")],
         "is the same as output file", lambda d, a: [a]),
        ("S-o-is-input", lambda d, a: ["-S", a, "-o", a], "is the same as output file", lambda d, a: [a]),
        ("header-is-input", lambda d, a: ["-c", a, "-o", j(d, "a.o"), f"--header={a}"],
         "is the same as the header file", lambda d, a: [a]),
        ("header-is-output", lambda d, a: ["-c", a, "-o", j(d, "x.o"), f"--header={j(d, 'x.o')}"],
         "the header file", lambda d, a: [a]),
        ("header-is-output-both-stdout", lambda d, a: ["-S", a, "-o", "-", "--header=-"],
         "the header file '-' is the same as output file '-'", lambda d, a: [a]),
    ]
    checks = [Check(f"outputs/{n}", usage_error(argv, says, untouched)) for n, argv, says, untouched in cases]
    checks += [Check("outputs/symlink-written-through", in_tmp(symlink)),
               Check("outputs/fifo-written-through", in_tmp(fifo)),
               Check("outputs/header-unchanged-not-rewritten", in_tmp(header_unchanged))]
    return checks


# ---------------------------------------------------------------------------
# fuzz

FUZZ_TOKENS = ["def", "if", "elif", "else", "while", "for", "in", "range", "return", "lambda",
               "break", "continue", "pass", "and", "or", "not", "True", "False", "grad", "(",
               ")", ",", ":", "=", "+", "-", "*", "/", "//", "%", "**", "<", "<=", "==", "!=",
               "+=", "[", "]", "0", "1", "1.5", "x", "y", "f", "\n", "    ", "\t", "\\\n",
               "#", '"""', ";", "9223372036854775808", "1e999", ".", "@", "$", "\x00", "\xff",
               "sin", "max", "int"]


def fuzz_sources():
    files = []
    for pat in ("tests/e2e/*.my", "tests/e2e/lists/*.my", "tests/errors/*.my", "tests/dump/*.my", "tests/trace/*.my",
                "samples/*.my"):
        files += sorted(glob.glob(os.path.join(ROOT, pat)))
    return [open(f, "rb").read() for f in files]


def mutate(rng, sources):
    """One deterministic mutation of a random test input (bytes)."""
    src = bytearray(rng.choice(sources)) if sources else bytearray(b"def f(x):\n    return x\n")
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        n = len(src)
        if kind == 0 and n:                                  # byte flip
            i = rng.randrange(n)
            src[i] ^= 1 << rng.randrange(8)
        elif kind == 1 and n:                                # delete a range
            i = rng.randrange(n)
            del src[i:i + rng.randint(1, 20)]
        elif kind == 2:                                      # duplicate a line
            lines = src.split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            src = bytearray(b"\n".join(lines))
        elif kind == 3:                                      # token soup
            soup = " ".join(rng.choice(FUZZ_TOKENS) for _ in range(rng.randint(1, 30)))
            i = rng.randrange(n + 1)
            src[i:i] = soup.encode("latin-1")
        elif kind == 4:                                      # swap two lines
            lines = src.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            src = bytearray(b"\n".join(lines))
        elif kind == 5 and n:                                # truncate
            del src[rng.randrange(n):]
        else:                                                # re-indent a line
            lines = src.split(b"\n")
            i = rng.randrange(len(lines))
            lines[i] = rng.choice([b"", b" ", b"    ", b"\t", b"        "]) + lines[i].lstrip()
            src = bytearray(b"\n".join(lines))
    return bytes(src)


def fuzz_checks(myc, n, seed):
    rng = random.Random(seed)
    sources = fuzz_sources()
    outdir = os.path.join(tempfile.gettempdir(), f"myc-fuzz-{seed}")
    os.makedirs(outdir, exist_ok=True)
    checks = []
    for i in range(n):
        data = mutate(rng, sources)
        path = os.path.join(outdir, f"fuzz_{i:05d}.my")
        with open(path, "wb") as f:
            f.write(data)
        checks.append(Check(f"fuzz/{i}", lambda p=path: fuzz_one(myc, p)))
    return checks


def fuzz_one(myc, path):
    r = run([myc, "--dump-ir=infer", path])
    if r.timed_out or r.status not in (0, 1):
        return [f"myc --dump-ir=infer {path}: {r.describe()}; stderr: {short(r.stderr)}"]
    rep = sanitizer_report(r.stderr)
    if rep:
        return [f"myc --dump-ir=infer {path}: sanitizer report: {rep}"]
    bad = well_formed_stderr(r.stderr, path)
    if bad is not None:
        return [f"myc --dump-ir=infer {path}: stderr line not a diagnostic: {short(bad)!r}"]
    if r.status == 1 and ": error: " not in r.stderr:
        return [f"myc --dump-ir=infer {path}: exit status 1 without an error"]
    return []


# ---------------------------------------------------------------------------
# self test of the pieces that do not need myc

def selftest():
    assert tokenize_value("(1.0, 2)") == ["(", 1.0, ",", 2, ")"]
    assert parse_value("1.0") == 1.0 and type(parse_value("1.0")) is float
    assert parse_value("3") == 3 and type(parse_value("3")) is int
    assert parse_value("-3") == -3
    assert parse_value("True") is True and parse_value("False") is False
    assert parse_value("(0.5,)") == (0.5,)
    assert parse_value("(0.5)") is None
    assert parse_value("()") == ()
    assert parse_value("((1, 2.0), (True, -inf))") == ((1, 2.0), (True, -math.inf))
    assert math.isnan(parse_value("nan")) and parse_value("-inf") == -math.inf
    assert parse_value("1e-05") == 1e-05 and parse_value("1.5e+300") == 1.5e300
    assert parse_value("(1, 2") is None and parse_value("1 2") is None
    assert parse_value("myc: runtime error: x") is None
    assert parse_value("") is None and parse_value("(,)") is None
    assert values_equal(1.0, 1.0 + 1e-15) and not values_equal(1.0, 1.0 + 1e-9)
    assert not values_equal(1, 1.0) and not values_equal(True, 1) and not values_equal(0, False)
    assert values_equal(math.nan, math.nan) and not values_equal(math.nan, 1.0)
    assert values_equal(math.inf, math.inf) and not values_equal(math.inf, -math.inf)
    assert not values_equal(math.inf, 1e308)
    assert not values_equal(0.0, -0.0) and values_equal(-0.0, -0.0)
    assert not values_equal((1.0, 2), (1.0, 2, 3))
    assert outputs_equal("(nan, 1)", "(nan, 1)") and not outputs_equal("(nan, 1)", "(nan, 1.0)")
    assert outputs_equal("0.30000000000000004", "0.3000000000000001")
    assert outputs_equal("myc: runtime error: a", "myc: runtime error: a")
    assert not outputs_equal("2", "2.0") and not outputs_equal("True", "1")
    exp = "== RUN f 1 \"(1, 2.0)\"\n(1, 2.0)\n== STATUS 0\n== RUN g\nmyc: runtime error: x\n== STATUS 3\n"
    assert parse_expected(exp) == [('f 1 "(1, 2.0)"', "(1, 2.0)", 0), ("g", "myc: runtime error: x", 3)]
    try:
        parse_expected("== RUN f\n1\n")
        assert False
    except ValueError:
        pass
    src = "# RUN: f 1\n# EXPECT: 2.0  \n# RUN: g 0\n# EXPECT: myc: runtime error: z\ndef f(x): return x\n"
    assert expect_blocks_from_source(src) == [("f 1", "2.0", 0), ("g 0", "myc: runtime error: z", 3)]
    located = "myc: runtime error: tests/e2e/a.my:3:14: integer division or modulo by zero"
    assert runtime_error_parts(located) == ("tests/e2e/a.my", 3, 14, "integer division or modulo by zero")
    assert runtime_error_parts("myc: runtime error: out of memory") is None
    assert "at 3:15, expected at 3:14" in runtime_error_problem(located, located.replace(":14:", ":15:"))
    assert "expected on stderr" in runtime_error_problem(located, located.replace("zero", "one"))
    lines = [b"def f(a, b):", b"    x = a", b"    return a // b"]
    assert runtime_error_lint("tests/e2e/a.my", lines, located) == []
    assert runtime_error_lint("tests/e2e/b.my", lines, located) != []
    assert runtime_error_lint("tests/e2e/a.my", lines, located.replace(":3:14:", ":4:1:")) != []
    assert runtime_error_lint("tests/e2e/a.my", lines, located.replace(":3:14:", ":3:18:")) != []
    assert runtime_error_lint("tests/e2e/a.my", lines, "myc: runtime error: z") != []
    # cpython_ref's rule from CPython's range of the raising operation to myc's place
    sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
    import cpython_ref
    src = ("def f(a, b):\n    x = (a +\n         1) // b\n    a %= b\n    return int(a) + range(0, 9, (b - b))\n"
           "y = ((2)) % (0)\nz = (int)(y)\n")
    where = (src, "t")
    assert cpython_ref.myc_location(*where, 2, 8, 3, 16) == "3:13"     # the // of a multi-line BinOp
    assert cpython_ref.myc_location(*where, 4, 4, 4, 10) == "4:7"      # %= of an AugAssign
    assert cpython_ref.myc_location(*where, 5, 11, 5, 17) == "5:12"    # int(a): the call
    assert cpython_ref.myc_location(*where, 5, 20, 5, 40) == "5:34"    # range(): its step, in (...)
    assert cpython_ref.myc_location(*where, 6, 4, 6, 15) == "6:11"     # after ((2)): the %
    assert cpython_ref.myc_location(*where, 7, 4, 7, 12) == "7:6"      # (int)(y): the callee
    try:
        cpython_ref.myc_location(*where, 5, 11, 5, 12)
        assert False
    except cpython_ref.RefError:
        pass
    assert shlex.split('f 1.5 "(1, 2.0)" True') == ["f", "1.5", "(1, 2.0)", "True"]
    assert parse_intent("3:14: undefined name 'x'") == (3, 14, "undefined name 'x'")
    err = ("tests/errors/a.my:3:5: error: undefined name 'y'\n    return y\n           ^\n"
           "tests/errors/a.my:4:1: warning: w\nx\n^\n"
           "tests/errors/a.my:4:2: note: here\n")
    assert check_intents(err, "tests/errors/a.my", ["3:5: 'y'"], ["4:1: w"]) == []
    assert check_intents(err, "tests/errors/a.my", ["3:6: 'y'"], ["4:1: w"]) != []
    assert check_intents(err, "tests/errors/a.my", ["3:5: UNDEFINED"], ["4:1: W"]) == []
    assert check_intents(err, "tests/errors/a.my", [], ["4:1: w"]) != []     # unexpected error
    assert well_formed_stderr(err, "tests/errors/a.my") is None
    assert well_formed_stderr("tests/errors/a.my: error: file too large\n", "tests/errors/a.my") is None
    assert well_formed_stderr("Segmentation fault\n", "tests/errors/a.my") == "Segmentation fault"
    assert well_formed_stderr("tests/errors/a.my:1:1: error: x\nsrc\nnot caret\n",
                              "tests/errors/a.my") == "src"
    assert sanitizer_report("==1==ERROR: AddressSanitizer: heap-use-after-free\n")
    assert sanitizer_report("src/x.c:12:3: runtime error: signed integer overflow\n")
    assert not sanitizer_report("myc: runtime error: integer division or modulo by zero\n")
    assert header_lines("# RUN: f 1\n#RUN:g\nx = 1  # RUN: no\n", "RUN") == ["f 1", "g"]
    assert has_marker("# SLOW: 10^7 iterations\n", "SLOW") and not has_marker("# SLOWER\n", "SLOW")
    a, b = random.Random(7), random.Random(7)
    srcs = [b"def f(x):\n    return x + 1\n"]
    assert [mutate(a, srcs) for _ in range(20)] == [mutate(b, srcs) for _ in range(20)]
    # The corpus itself: every e2e file has RUN lines and an expected block per line,
    # every errors file has intents pointing inside the file.
    problems = corpus_lint()
    for p in problems:
        print(f"corpus: {p}")
    print("selftest: ok" if not problems else f"selftest: {len(problems)} corpus problems")
    return 0 if not problems else 1


def corpus_lint():
    probs = []
    for path in e2e_files():
        text = open(path).read()
        name = rel(path)
        if not header_lines(text, "RUN"):
            probs.append(f"{name}: no RUN lines")
        probs += intent_problems(name, text.encode().split(b"\n"), header_lines(text, "WARNING"))
        blocks = []
        if os.path.basename(path).startswith("diff_"):
            try:
                blocks = expect_blocks_from_source(text)
            except ValueError as e:
                probs.append(f"{name}: {e}")
        else:
            exp = os.path.splitext(path)[0] + ".expected"
            if not os.path.exists(exp):
                probs.append(f"{name}: missing .expected")
            else:
                blocks = parse_expected(open(exp).read())
                if [b[0] for b in blocks] != header_lines(text, "RUN"):
                    probs.append(f"{name}: stale .expected")
        probs += [f"{name}: RUN {b[0]}: {p}" for b in blocks if b[2] == 3
                  for p in runtime_error_lint(name, text.encode().split(b"\n"), b[1])]
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/errors/*.my"))):
        data = open(path, "rb").read()
        text = data.decode("utf-8", "replace")
        lines = data.split(b"\n")
        specs = header_lines(text, "ERROR") + header_lines(text, "WARNING")
        if not specs:
            probs.append(f"{rel(path)}: no intent lines")
        probs += intent_problems(rel(path), lines, specs)
    return probs


def runtime_error_lint(name, lines, line):
    """Problems of an expected runtime-error line of test `name` (its `lines`,
    bytes): it must be located, in this file, at a place inside it."""
    parts = runtime_error_parts(line)
    if not parts:
        return [f"runtime error without a location: {line!r}"]
    file, ln, col, _ = parts
    if file != name:
        return [f"runtime error located in {file}, not in this file (renamed? rerun cpython_ref.py)"]
    if not 1 <= ln <= len(lines) or not 1 <= col <= len(lines[ln - 1]):
        return [f"runtime error located at {ln}:{col}, outside the file"]
    return []


def intent_problems(name, lines, specs):
    """Intent lines that do not parse or point outside the file (its `lines`, bytes)."""
    probs = []
    for s in specs:
        try:
            line, col, msg = parse_intent(s)
        except ValueError as e:
            probs.append(f"{name}: {e}")
            continue
        if not 1 <= line <= len(lines) or not 1 <= col <= len(lines[line - 1]) + 1:
            probs.append(f"{name}: intent {line}:{col} is outside the file")
        if not msg:
            probs.append(f"{name}: intent {line}:{col} has no text")
    return probs


# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# scale: large generated programs must compile and run, and agree with CPython
# (the compiler must not recurse over expression length or statement count)

def scale_programs():
    """(name, source, function, args) for each generated program."""
    rng = random.Random(7)
    progs = []
    terms = " + ".join(f"x * {i % 7}" if i % 3 else "x" for i in range(100000))
    progs.append(("sum_100000_terms", f"def s(x):\n    return {terms}\n", "s", ["1.5"]))
    lines = ["def big(x, y):", "    a = x", "    b = y", "    c = 0.5"]
    n = 0
    while n < 30000:
        if rng.random() < 0.33:
            lines += ["    if a > b:", "        a = a - 0.001 * b", "    else:", "        b = b - 0.001 * a"]
            n += 2
        else:
            lines.append(f"    c = c * 0.999 + {rng.choice('ab')} * 0.001")
            n += 1
    lines.append("    return a + b + c")
    progs.append(("function_30000_statements", "\n".join(lines) + "\n", "big", ["1.0", "2.0"]))
    nest = ["def deep(x):"]
    for d in range(90):
        nest.append("    " * (d + 1) + f"if x > {d}:")
    nest.append("    " * 91 + "return x")
    nest.append("    return -x")
    progs.append(("blocks_nested_90", "\n".join(nest) + "\n", "deep", ["100"]))
    chain = " if x > 0 else ".join(["x"] * 150) + " if x > 0 else 0"
    progs.append(("ifexp_150_deep", f"def c(x):\n    return {chain}\n", "c", ["3"]))
    elifs = ["def e(x):", "    if x < 0:", "        return 0"]
    for i in range(1, 990):
        elifs += [f"    elif x < {i}:", f"        return {i}"]
    elifs.append("    return -1")
    progs.append(("elif_chain_990", "\n".join(elifs) + "\n", "e", ["500"]))
    ifexps = ["def q(x):", "    y0 = x"] + [f"    y{i} = y{i - 1} + 1.0 if x > {i % 50} else y{i - 1} * 0.5"
                                             for i in range(1, 3000)] + ["    return y2999"]
    progs.append(("ifexp_chain_3000", "\n".join(ifexps) + "\n", "q", ["7.0"]))
    fns = [f"def f{i}(x):\n    return f{i + 1}(x) + 1.0\n" for i in range(19999)] + ["def f19999(x):\n    return x\n"]
    progs.append(("functions_20000_chain", "".join(fns), "f0", ["1.0"]))
    return progs


_CPYTHON_VALUE_LOCK = threading.Lock()


def cpython_value(source, fn, args):
    """CPython's repr of fn(*args).  CPython's own compiler recurses over
    expression depth, so it runs in a thread with a large stack and a raised
    recursion limit (myc needs neither).  The recursion limit and the stack
    size are the process's: the checks run in parallel threads, so one
    evaluation at a time (two at once restored each other's limit under a
    20,000-deep call chain)."""
    with _CPYTHON_VALUE_LOCK:
        return _cpython_value(source, fn, args)


def _cpython_value(source, fn, args):
    env = {k: getattr(math, k) for k in ("sin cos tan asin acos atan atan2 sinh cosh tanh exp log "
                                         "log1p expm1 sqrt floor ceil erf").split()}
    env["pow"] = math.pow
    out = {}

    def work():
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(1000000)
        try:
            exec(compile(source, "<scale>", "exec"), env)
            out["value"] = repr(env[fn](*[ast.literal_eval(a) for a in args]))
        finally:
            sys.setrecursionlimit(old)
    old_size = threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=work)
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
    return out["value"]


def scale_checks(myc):
    checks = []
    outdir = tempfile.mkdtemp(prefix="myc-scale-")
    for name, source, fn, args in scale_programs():
        path = os.path.join(outdir, name + ".my")
        with open(path, "w") as f:
            f.write(source)

        def check(path=path, source=source, fn=fn, args=args):
            expected = cpython_value(source, fn, args)
            r = run([myc, "run", "--interp", path, fn] + args)   # the front end's scaling (native: make bench)
            if r.timed_out or r.status != 0:
                return [f"{r.describe()}: {short(r.stderr)}"]
            d = run([myc, "--dump-ir=infer", path])     # every function specialised for export
            if d.timed_out or d.status != 0:
                return [f"--dump-ir=infer: {d.describe()}: {short(d.stderr)}"]
            if not outputs_equal(expected, r.stdout.strip()):
                return [f"expected {expected!r}, got {r.stdout.strip()!r}"]
            return []
        checks.append(Check(f"scale/{name}", check))
    return checks


def select(checks, pattern):
    if not pattern:
        return checks
    glob_chars = any(c in pattern for c in "*?[")
    return [c for c in checks if (fnmatch.fnmatch(c.name, pattern) if glob_chars else pattern in c.name)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--myc", default="build/myc")
    ap.add_argument("--san-myc")
    ap.add_argument("--update", action="store_true", help="rewrite .err and dump goldens")
    ap.add_argument("--only", metavar="PATTERN", help="substring or glob of check names, "
                    "e.g. e2e/, errors/undefined_name, 'dump/*.dot', cli/")
    ap.add_argument("-j", type=int, default=2, metavar="N")
    ap.add_argument("--fuzz", type=int, default=0, metavar="N")
    ap.add_argument("--fuzz-seed", type=int, default=1)
    ap.add_argument("--run-flag", action="append", default=[], metavar="FLAG",
                    help="extra flag for every `myc run` (e.g. --interp, -O0); repeatable")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()

    myc = os.path.abspath(args.myc)
    san = os.path.abspath(args.san_myc) if args.san_myc else None
    for b in [myc] + ([san] if san else []):
        if not os.access(b, os.X_OK):
            print(f"run_tests: {b} is not an executable (build it first)")
            print("0 passed, 1 failed")
            return 1

    checks = (cli_checks(myc) + output_checks(myc) + errors_checks(myc, args.update, san) + dump_checks(myc, args.update)
              + trace_checks(myc, args.update) + trace_memory_check(myc)
              + (trace_checks(san, False, "san/") if san else [])
              + e2e_checks(myc, args.run_flag, san) + scale_checks(myc))
    if args.fuzz:
        checks += fuzz_checks(san or myc, args.fuzz, args.fuzz_seed)
    checks = select(checks, args.only)

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        futures = [(c, pool.submit(c.fn)) for c in checks]
        for c, fut in futures:
            try:
                probs = fut.result()
            except Exception as e:   # a bug in a check is a failure, not a crash
                probs = [f"internal error in check: {type(e).__name__}: {e}"]
            if probs:
                failed += 1
                print(f"FAIL {c.name}: " + "\n    ".join(probs))
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
