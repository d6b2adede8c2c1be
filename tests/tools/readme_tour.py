#!/usr/bin/env python3
"""readme_tour.py: every command of the README's tour, run, its output compared with the README.

    python3 tests/tools/readme_tour.py [--myc build/myc] [--readme README.md]

The README shows sessions as indented blocks of `$ COMMAND` lines, each followed by the
output it prints.  This runs them in order, in a fresh directory that has `samples/` (the
repository's) and `build/` (the directory of the `myc` under test, which holds
`libmyrt.a`) in it, and compares what each prints (standard output and error together)
with the lines shown:

  - `$ cat FILE` of a file that is not in the repository shows a file the tour writes:
    the lines shown are written to FILE first (so the README's text is the input);
  - an output line `...` stands for any number of lines;
  - a command that prints nothing must be followed by no lines.

A command's exit status must be 0, except where its output shows a compile error (a line
with `: error:`), where it must be 1.  Any difference fails, with the README's line number:
the README cannot drift from what the compiler does.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sessions(text):
    """(line number, command, [output lines]) of every `$` line of every indented block."""
    out, cur = [], None
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("    $ "):
            cur = (n, line[6:], [])
            out.append(cur)
        elif cur and (line.startswith("    ") or line == ""):
            cur[2].append(line[4:])     # a blank line goes on while the block does
        else:
            cur = None
    for _, _, shown in out:
        while shown and shown[-1] == "":
            shown.pop()
    return out


def matches(shown, got):
    """Whether output lines `got` match the README's `shown` (`...`: any lines)."""
    if not shown:
        return not got
    if shown[0] == "...":
        return any(matches(shown[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and got[0] == shown[0] and matches(shown[1:], got[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--myc", default="build/myc")
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = ap.parse_args()
    myc = os.path.abspath(args.myc)
    build = os.path.dirname(myc)
    text = open(args.readme).read()
    cmds = sessions(text)
    if not cmds:
        print(f"readme_tour: no `$` commands in {args.readme}")
        return 1
    fails = 0
    with tempfile.TemporaryDirectory(prefix="myc-tour-") as d:
        os.symlink(os.path.join(ROOT, "samples"), os.path.join(d, "samples"))
        os.symlink(build, os.path.join(d, "build"))
        for n, cmd, shown in cmds:
            m = re.fullmatch(r"cat (\S+)", cmd)
            if m and not os.path.exists(os.path.join(ROOT, m.group(1))):
                with open(os.path.join(d, m.group(1)), "w") as f:
                    f.write("\n".join(shown) + "\n")
            r = subprocess.run(["/bin/sh", "-c", cmd], cwd=d, capture_output=True, text=True, timeout=300)
            got = (r.stdout + r.stderr).rstrip("\n")
            got = got.split("\n") if got else []
            want = 1 if any(": error:" in s for s in shown) else 0
            problems = []
            if r.returncode != want:
                problems.append(f"exit status {r.returncode}, expected {want}")
            if not matches(shown, got):
                problems.append("output differs from the README's:\n" +
                                "\n".join("      | " + s for s in got[:40]) +
                                ("\n      | ..." if len(got) > 40 else ""))
            if problems:
                fails += 1
                print(f"FAIL README.md:{n}: $ {cmd}\n    " + "\n    ".join(problems))
    print(f"readme_tour: {len(cmds) - fails} of {len(cmds)} commands as the README shows them")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
