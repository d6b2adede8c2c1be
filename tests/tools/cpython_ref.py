#!/usr/bin/env python3
"""cpython_ref.py: independent reference outputs for the e2e tests, from CPython.

A `.my` program is Python source.  This script runs it in CPython with the
builtins bound exactly as the contract (spec/LANGUAGE.md, section 1) says:

    sin cos tan asin acos atan atan2 sinh cosh tanh exp log log1p expm1 sqrt
    floor ceil erf      -> the functions of the `math` module
    pow                 -> math.pow
    abs min max float int  -> Python's own
    range               -> Python's own (only valid in `for` headers in .my)
    len sum list enumerate zip  -> Python's own (lists, contract section 5)

Nothing else is visible (no print, ...), so a test that strays outside
the language fails here instead of producing a bogus reference.

Each test file has lines

    # RUN: FUNC ARG...

written as the `myc run FILE FUNC ARG...` command line takes them (shell
quoting: a tuple is one word, e.g. `# RUN: f 1.5 "(1, 2.0)" True`).  Each ARG
is read like a Python literal (`nan`, `inf`, `-inf` are floats too; lists
`"[1.0, 2.5]"` too).  As `myc run` does, an int argument given for a
parameter annotated `float` (also inside a tuple or list annotation) is
converted to float.

For every RUN line the script calls FUNC and records what `myc run` must
print: `print(repr(result))`'s text with status 0, or, for a runtime error the
contract shares with CPython (integer // or % by zero, a zero range step,
int/floor/ceil of nan or inf), the line

    myc: runtime error: FILE:LINE:COL: <CPython's message>

with status 3.  FILE is the test's path from the repository root (the runner
runs `myc` there with that path).  LINE:COL come from CPython too: its
traceback gives the source range of the operation that raised (Python 3.11
and later), and `myc_location` turns it into the place myc reports, by the
rule docs/language.md section 10 states: a binary operator's token (`//`,
`%`, also augmented `//=`), the start of a call's callee (`int` in
`int(x)`, `min` in `min(xs)`) or a method's name (`pop` in `a.pop()`), a
zero `range()` step's argument (its first token inside any parentheses), a
subscript's index (`i` in `a[i]`, read or assigned; the step of a slice
`a[i:j:k]` whose step is zero).  An operation of any other kind raising is refused (teach
`myc_location` its rule first).  Anything else CPython raises (math domain errors,
float division by zero, OverflowError from float math, recursion errors,
NameError, TypeError...) means the test is wrong or hits a documented
difference: the script stops with a message and writes nothing for that file.
Results with ints outside 64 bits are refused for the same reason.

Output: next to `NAME.my`, `NAME.expected`, one block per RUN line:

    == RUN <the RUN line's text after "# RUN: ">
    <output line>
    == STATUS <0|3>

Files named `diff_*.my` test the documented differences from CPython; their
expected outputs are written by hand as `# EXPECT:` lines and this script
skips them.

Regenerate everything (from the repository root):

    python3 tests/tools/cpython_ref.py tests/e2e/*.my samples/*.my

`--check` compares instead of writing (exit 1 if a file would change).
"""

import __future__
import ast
import io
import math
import os
import shlex
import sys
import threading
import tokenize
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BUILTINS = {name: getattr(math, name) for name in (
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
    "tanh", "exp", "log", "log1p", "expm1", "sqrt", "floor", "ceil", "erf")}
BUILTINS.update(pow=math.pow, abs=abs, min=min, max=max, float=float, int=int,
                range=range, len=len, sum=sum, list=list, enumerate=enumerate, zip=zip)

# CPython exceptions that are also myc runtime errors (same message, status 3).
SHARED_RUNTIME_ERRORS = {
    "integer division or modulo by zero",
    "integer modulo by zero",
    "range() arg 3 must not be zero",
    "cannot convert float NaN to integer",
    "cannot convert float infinity to integer",
    "list index out of range",
    "list assignment index out of range",
    "pop from empty list",
    "pop index out of range",
    "min() arg is an empty sequence",
    "max() arg is an empty sequence",
    "slice step cannot be zero",
}

INT_MIN, INT_MAX = -2**63, 2**63 - 1


class RefError(Exception):
    """The test file cannot get a CPython reference (a bug in the test)."""


def parse_value(word):
    """One `myc run` argument: a Python literal, or nan/inf/-inf, or a tuple of those."""
    try:
        tree = ast.parse(word.strip(), mode="eval").body
    except SyntaxError:
        raise RefError(f"bad argument {word!r}")
    return _literal(tree, word)


def _literal(node, word):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in ("nan", "inf"):
        return float(node.id)
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e, word) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e, word) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _literal(node.operand, word)
        if type(v) in (int, float):
            return -v if isinstance(node.op, ast.USub) else v
    raise RefError(f"bad argument {word!r}")


def convert_arg(value, ann):
    """Applies a parameter annotation (a source string, e.g. '(float, int)')."""
    if ann is None:
        return value
    tree = ann if isinstance(ann, ast.AST) else ast.parse(ann, mode="eval").body
    if isinstance(tree, ast.Name) and tree.id == "float" and type(value) is int:
        return float(value)
    if isinstance(tree, ast.Tuple) and type(value) is tuple and len(value) == len(tree.elts):
        return tuple(convert_arg(v, t) for v, t in zip(value, tree.elts))
    if (isinstance(tree, ast.Subscript) and isinstance(tree.value, ast.Name) and tree.value.id == "list"
            and type(value) is list):
        return [convert_arg(v, tree.slice) for v in value]
    return value


def check_result(value, where):
    if type(value) in (tuple, list):
        for v in value:
            check_result(v, where)
    elif type(value) is int:
        if not INT_MIN <= value <= INT_MAX:
            raise RefError(f"{where}: int result {value} does not fit in 64 bits "
                           "(a documented difference: use a diff_*.my test)")
    elif type(value) not in (float, bool):
        raise RefError(f"{where}: result {value!r} is not a float, int, bool, tuple or list")


def _byte_col(line, col):
    """The byte offset of character offset col in line (tokenize counts characters)."""
    return len(line[:col].encode("utf-8"))


def _token_after(text, line, col, pred):
    """The first token starting at or after (line, byte col) that pred accepts:
    (line, byte col), both from 1 for LINE:COL."""
    lines = text.splitlines(keepends=True)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        row, c = tok.start
        if row < line:
            continue
        bc = _byte_col(lines[row - 1], c) if row - 1 < len(lines) else c
        if (row, bc) >= (line, col) and pred(tok):
            return row, bc + 1
    return None


def myc_location(text, where, lineno, colno, end_lineno, end_colno):
    """LINE:COL (from 1, bytes) where myc reports a runtime error that CPython
    raised in the operation spanning (lineno, colno)-(end_lineno, end_colno)
    (colno from 0, in bytes, as tracebacks and the ast give them)."""
    if colno is None:
        raise RefError(f"{where}: CPython gave no column for the raising operation")
    span = (lineno, colno, end_lineno, end_colno)
    nodes = [n for n in ast.walk(ast.parse(text))
             if isinstance(n, (ast.BinOp, ast.AugAssign, ast.Call, ast.Subscript))
             and (n.lineno, n.col_offset, n.end_lineno, n.end_col_offset) == span]
    if len(nodes) != 1:
        raise RefError(f"{where}: no single operation at {lineno}:{colno + 1} to locate "
                       "the runtime error (teach myc_location this kind)")
    n = nodes[0]
    if isinstance(n, ast.Subscript):
        ix = n.slice
        if isinstance(ix, ast.Slice):
            if ix.step is None:
                raise RefError(f"{where}: a slice without a step raised")
            ix = ix.step
        return f"{ix.lineno}:{ix.col_offset + 1}"
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
        return f"{n.func.end_lineno}:{n.func.end_col_offset - len(n.func.attr) + 1}"
    if isinstance(n, ast.Call):
        if isinstance(n.func, ast.Name) and n.func.id == "range":
            if len(n.args) != 3:
                raise RefError(f"{where}: a range() of {len(n.args)} arguments raised")
            step = n.args[2]
            return f"{step.lineno}:{step.col_offset + 1}"
        return f"{n.func.lineno}:{n.func.col_offset + 1}"
    # the operator: the first operator token after the left operand or the
    # target (a closing parenthesis of the left operand is not it)
    left = n.left if isinstance(n, ast.BinOp) else n.target
    at = _token_after(text, left.end_lineno, left.end_col_offset,
                      lambda t: t.type == tokenize.OP and t.string not in ")]}")
    if at is None:
        raise RefError(f"{where}: no operator token after the left operand")
    return f"{at[0]}:{at[1]}"


def error_line(text, path, where, e, shown=None):
    """The `myc run` stderr line for CPython's exception e, raised by code
    compiled from `text` under the file name `path`; the line names the file
    `shown` (default: path from the repository root, as the e2e runner gives
    it to myc)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == path]
    if not frames:
        raise RefError(f"{where}: no frame of {path} in CPython's traceback")
    f = frames[-1]
    loc = myc_location(text, where, f.lineno, f.colno, f.end_lineno, f.end_colno)
    if shown is None:
        shown = os.path.relpath(os.path.abspath(path), ROOT)
    return f"myc: runtime error: {shown}:{loc}: {e}"


def run_lines(text):
    """The RUN lines of a test, as (line number, text after '# RUN: ')."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("# RUN:"):
            out.append((i, s[len("# RUN:"):].strip()))
    return out


def reference(path):
    """Returns the expected-file text for one test file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    runs = run_lines(text)
    if not runs:
        raise RefError(f"{path}: no '# RUN:' lines")
    ns = {"__builtins__": BUILTINS, "__name__": "__my__"}
    code = compile(text, path, "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    blocks = []
    try:
        exec(code, ns)
    except (ZeroDivisionError, ValueError, OverflowError, IndexError) as e:
        # The module itself fails to load (a top-level constant raised):
        # every run ends with that error.
        if str(e) not in SHARED_RUNTIME_ERRORS:
            raise RefError(f"{path}: CPython raised {type(e).__name__}: {e} while loading")
        line = error_line(text, path, path, e)
        return "".join(f"== RUN {run}\n{line}\n== STATUS 3\n" for _, run in runs)
    for lineno, run in runs:
        where = f"{path}:{lineno}"
        words = shlex.split(run)
        func = ns.get(words[0])
        if not callable(func):
            raise RefError(f"{where}: no function {words[0]!r}")
        args = [parse_value(w) for w in words[1:]]
        anns = getattr(func, "__annotations__", {})
        params = func.__code__.co_varnames[:func.__code__.co_argcount]
        if len(args) == len(params):
            args = [convert_arg(a, anns.get(p)) for a, p in zip(args, params)]
        try:
            result = func(*args)
            check_result(result, where)
            out, status = repr(result), 0
        except (ZeroDivisionError, ValueError, OverflowError, IndexError) as e:
            if str(e) not in SHARED_RUNTIME_ERRORS:
                raise RefError(f"{where}: CPython raised {type(e).__name__}: {e} "
                               "(a documented difference or a bad test)")
            out, status = error_line(text, path, where, e), 3
        blocks.append(f"== RUN {run}\n{out}\n== STATUS {status}\n")
    return "".join(blocks)


def main(argv):
    check = "--check" in argv
    files = [a for a in argv if a != "--check"]
    if not files:
        print(__doc__)
        return 2
    failed = False
    for path in files:
        if os.path.basename(path).startswith("diff_"):
            continue
        expected_path = os.path.splitext(path)[0] + ".expected"
        try:
            text = reference(path)
        except RefError as e:
            print(f"cpython_ref: {e}", file=sys.stderr)
            failed = True
            continue
        except Exception as e:  # the test itself is broken
            print(f"cpython_ref: {path}: {type(e).__name__}: {e}", file=sys.stderr)
            failed = True
            continue
        if check:
            old = open(expected_path).read() if os.path.exists(expected_path) else None
            if old != text:
                print(f"cpython_ref: {expected_path} is out of date", file=sys.stderr)
                failed = True
        else:
            with open(expected_path, "w") as f:
                f.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    # Deep recursion tests (10,000 levels and more) need a big stack.
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    status = []
    t = threading.Thread(target=lambda: status.append(main(sys.argv[1:])))
    t.start()
    t.join()
    sys.exit(status[0] if status else 1)
