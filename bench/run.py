#!/usr/bin/env python3
"""The benchmark suite: runtime of myc's code and gradients against hand-written C, and
myc's compile time.  `make bench` runs it; docs/performance.md explains it.

    python3 bench/run.py [NAME...] [--quick] [--sizes 1000,10000] [--compile-timeout S]
                         [--compile-memory GIB] [--target S] [--rounds N] [--max-seconds S]
                         [--bench-timeout S] [--bench-memory GIB]
                         [--myc PATH] [--rt PATH] [--out DIR] [--verbose]

NAME selects parts of the suite (default: all of them but patho, in this order):
  black_scholes recurrence recursion lotka_volterra nn hypergrad
                the runtime benchmarks: bench/NAME.my against bench/NAME_ref.c
  rec_lin rec_cos rec_const rec_twice rec_pair rec_guard
  loop_lin loop_exp loop_const loop_euler2 loop_euler4 loop_while
  sl_lin sl_trans sl_const sl_reuse sl_branch
                variants of recursion, loops and straight-line code (issue 20),
                several functions to a file: bench/rec_variants.my,
                loop_variants.my, straight_variants.my with their _ref.c and
                _main.c (`rec_variants`, `loop_variants`, `straight_variants`
                on the command line name each file's all); the tables give
                the worst ratios of each kind (KINDS: the older scalar
                benchmarks count in theirs)
  mlp rnn heat  the same with list parameters (issue 17): gradients with
                respect to weight matrices and an initial state, against
                hand-written adjoints
  gmm_small gmm_large
                ADBench's Gaussian mixture model objective (issue 17) at d = 10,
                K = 25 and d = 64, K = 200, n = 1000 points: one source,
                bench/gmm*.{my,c}, built at each size (`gmm` names both)
  dot matvec stencil axpy
                list functions timed as primals only (PRIMAL_ONLY): lists of
                10^6 floats across the C ABI
  straight      compile-time scaling on generated straight-line functions
                (bench/gen_straight.py) of 1,000, 10,000 and 30,000 statements
  samples       compile time of every samples/*.my with --grad for its float functions
  patho         compile-time scaling on pathological shapes (bench/gen_patho.py), each
                at two sizes: a flat tuple of 300 and 1,000 floats, one expression of
                10^4 and 3 x 10^4 terms with --grad, 500 and 2,000 small functions with
                --grad for each, a file of 10,000 and 50,000 lines (several minutes:
                not in the default set, name it)
--quick leaves out the 30,000-statement function; --sizes chooses the sizes.

Everything is built into build/bench/ (myc -c -O2 objects and headers, clang -O2 for the C
files, linked with build/libmyrt.a -lm), and everything runs one thing at a time (the timings
mean nothing when two run together).  Each runtime benchmark is one process (bench/harness.h)
that checks myc's values and gradients against the hand-written code and times the four
functions, and measures the reverse-mode memory of myc's gradient and of the hand adjoint the
same way (peak heap + arena + frames + C stack; harness.h says how), in a process limited to
--bench-memory (8 GiB) of address space and --bench-timeout (3600 s): a gradient that needs
more fails the benchmark ("out of memory") instead of the machine, and the tables still give
the other three functions' numbers and the memory the gradient had when it failed.  Compile
times are the wall time of the myc process, best of 3 (a single run when the first takes over
10 s; a run that exceeds --compile-timeout, 300 s by default, is stopped and reported as such,
and so is one that needs more address space than --compile-memory, 12 GiB; -O2 is not tried
for a size whose -O0 compile was stopped).

Output: the machine, one line per step as it goes, then the tables in markdown, also
written to build/bench/results.md.  Exit status 1 when a benchmark fails to build or its
check fails, or myc rejects a file; 0 otherwise (slowness is measured, never a failure).
Run from anywhere; needs python3, clang and a built build/myc and build/libmyrt.a
(`make bench` builds them first).
"""
import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "bench")
# the variants of recursion, loops and straight-line code (issue 20): several benchmarks to a
# file, bench/FILES.my, FILES_ref.c and FILES_main.c; each built with --grad= its own name and
# -DVARIANT_NAME (bench/variant.h)
VARIANTS = {
    "rec_variants": ["rec_lin", "rec_cos", "rec_const", "rec_twice", "rec_pair", "rec_guard"],
    "loop_variants": ["loop_lin", "loop_exp", "loop_const", "loop_euler2", "loop_euler4",
                      "loop_while"],
    "straight_variants": ["sl_lin", "sl_trans", "sl_const", "sl_reuse", "sl_branch"],
}
VARIANT_FILES = {name: files for files, names in VARIANTS.items() for name in names}
BENCHMARKS = (["black_scholes", "recurrence", "recursion", "lotka_volterra", "nn", "hypergrad"] +
              [n for names in VARIANTS.values() for n in names] +
              ["mlp", "rnn", "heat", "gmm_small", "gmm_large", "dot", "matvec", "stencil", "axpy"])
# the scalar benchmarks by kind, for the worst ratios of each kind
KINDS = [("recursion", ["recursion"] + VARIANTS["rec_variants"]),
         ("loops", ["recurrence", "lotka_volterra", "hypergrad"] + VARIANTS["loop_variants"]),
         ("straight-line", ["black_scholes", "nn"] + VARIANTS["straight_variants"])]
# functions of lists timed without a gradient (the C ABI of lists, issue 16)
PRIMAL_ONLY = {"dot", "matvec", "stencil", "axpy"}
# benchmarks built from another's files at a size of their own: NAME -> (the files'
# name, clang's -D flags for NAME_ref.c and NAME_main.c)
SIZED = {
    "gmm_small": ("gmm", ['-DGMM_NAME="gmm_small"', "-DGMM_D=10", "-DGMM_K=25", "-DGMM_N=1000"]),
    "gmm_large": ("gmm", ['-DGMM_NAME="gmm_large"', "-DGMM_D=64", "-DGMM_K=200", "-DGMM_N=1000"]),
}
# NAME on the command line for several benchmarks
GROUPS = dict({"gmm": ["gmm_small", "gmm_large"]}, **VARIANTS)
SECTIONS = ["straight", "samples", "patho"]
DEFAULT_SECTIONS = ["straight", "samples"]
# bench/gen_patho.py's shapes and the two sizes `patho` compiles each at
PATHO_SIZES = [("tuple", 300, 1000), ("expr", 10000, 30000), ("funcs", 500, 2000),
               ("lines", 10000, 50000)]
SIZES = [1000, 10000, 30000]
CC = "clang"
CFLAGS = ["-std=c11", "-D_POSIX_C_SOURCE=200809L", "-pthread", "-O2",
          "-Wall", "-Wextra", "-Werror"]
# harness.h's memory measure: its wrappers of the allocator count the hand adjoint's heap;
# symbols bound at load time, so that no first call runs the dynamic linker on the stack
LDFLAGS = ["-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free", "-Wl,-z,now"]
SLOW_COMPILE = 10.0         # seconds: above this, one compile run instead of three
SAMPLES_TARGET = 0.050      # seconds: a sample with its gradients at -O2


class Failure(Exception):
    pass


def log(msg=""):
    print(msg, flush=True)


def rel(path):
    return os.path.relpath(path, ROOT)


def run(cmd, timeout=None, mem_limit=None):
    """Runs cmd; returns (exit status, or None when stopped at the timeout; its standard
    output and error; wall seconds; peak resident memory in bytes).  mem_limit: bytes
    of address space the process may use (RLIMIT_AS)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    lock = threading.Lock()
    state = {"done": False, "killed": False}
    with tempfile.TemporaryFile() as outf:
        for attempt in range(10):
            # (an executable being relinked this moment cannot run: wait for it)
            try:
                t0 = time.perf_counter()
                p = subprocess.Popen(cmd, stdout=outf, stderr=subprocess.STDOUT, cwd=ROOT,
                                     preexec_fn=limit if mem_limit else None)
                break
            except OSError as e:
                if attempt == 9:
                    raise Failure("cannot run %s: %s" % (cmd[0], e))
                time.sleep(1.0)

        def kill():
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    os.kill(p.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        with lock:
            state["done"] = True
        if timer:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
        outf.seek(0)
        out = outf.read().decode(errors="replace")
    rc = None if state["killed"] else p.returncode
    return rc, out, wall, usage.ru_maxrss * 1024


def must(cmd, what, timeout=None):
    rc, out, _, _ = run(cmd, timeout)
    if rc != 0:
        raise Failure("%s failed (%s):\n  $ %s\n%s" % (
            what, "timed out" if rc is None else "exit status %d" % rc,
            " ".join(rel(c) if c.startswith(ROOT) else c for c in cmd), indent(out)))
    return out


def indent(text, prefix="    "):
    return "".join(prefix + line + "\n" for line in text.rstrip("\n").splitlines())


# ---- the machine -------------------------------------------------------------------

def first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             cwd=ROOT).stdout.decode(errors="replace")
        return out.strip().splitlines()[0] if out.strip() else "?"
    except OSError as e:
        return "? (%s)" % e


def machine(myc):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = first_line(["git", "describe", "--always", "--dirty"])
    return ("CPU: %s (%d cores) | %s | %s | commit %s" % (
        cpu, os.cpu_count() or 0, first_line([CC, "--version"]), first_line([myc, "--version"]),
        commit))


# ---- compile times -----------------------------------------------------------------

def time_compile(cmd, args):
    """Best wall time of cmd over 3 runs (1 when slow).  Returns (seconds, runs, note,
    peak memory in bytes): note is None, 'timeout' (seconds is then the timeout), 'memory'
    (out of the address space --compile-memory allows) or an error message."""
    best, runs, peak = None, 0, 0
    limit = int(args.compile_memory * 2**30)
    for _ in range(3):
        rc, out, t, rss = run(cmd, args.compile_timeout, limit)
        runs += 1
        peak = max(peak, rss)
        if rc is None:
            return args.compile_timeout, runs, "timeout", peak
        if rc != 0 and re.search(r"out of memory|bad_alloc|cannot allocate", out, re.I):
            return None, runs, "memory", peak
        if rc != 0:
            return None, runs, "myc failed (exit status %d):\n  $ %s\n%s" % (
                rc, " ".join(rel(c) if c.startswith(ROOT) else c for c in cmd), indent(out)), peak
        best = t if best is None else min(best, t)
        if t > SLOW_COMPILE:
            break
    return best, runs, None, peak


def compile_failed(note):
    return note not in (None, "timeout", "memory", "skipped")


def logged_compile(cmd, args, label):
    """time_compile(cmd), logged under label; and whether the compile failed
    (not a timeout or out of memory: an error, whose text is logged)."""
    res = time_compile(cmd, args)
    t, runs, note, peak = res
    failed = compile_failed(note)
    if failed:
        log(indent(note))
    log("    %s: %s, peak memory %s" % (label, fmt_seconds(t, runs, note), fmt_bytes(peak)))
    return res, failed


def fmt_seconds(t, runs=None, note=None, *_):
    """A time_compile result as text."""
    if note == "timeout":
        return "> %.0f s (timeout)" % t
    if note == "memory":
        return "out of memory"
    if note == "skipped":
        return "skipped"
    if t is None:
        return "failed"
    s = "%.1f ms" % (t * 1e3) if t < 1.0 else "%.2f s" % t
    if runs == 1:
        s += " (1 run)"
    return s


def fmt_bytes(n):
    if n >= 2**30:
        return "%.1f GiB" % (n / 2**30)
    return "%.0f MiB" % (n / 2**20)


# ---- runtime benchmarks --------------------------------------------------------------

def grad_flags(name):
    """myc's --grad flag for benchmark NAME: its function's gradient (a variant's own, not
    its file's others)."""
    if name in PRIMAL_ONLY:
        return []
    return ["--grad=" + (name if name in VARIANT_FILES else files_of(name)[0])]


def files_of(name):
    """The name of benchmark NAME's files (bench/FILES.my, ...) and its -D flags."""
    if name in VARIANT_FILES:
        return VARIANT_FILES[name], ["-DVARIANT_" + name]
    return SIZED.get(name, (name, []))


def build_benchmark(name, args, out):
    files, defines = files_of(name)
    src = os.path.join(BENCH_DIR, files + ".my")
    obj = os.path.join(out, files + ".o")
    hdr = os.path.join(out, files + ".h")
    must([args.myc, "-c", "-O2", src] + grad_flags(name) + ["--header=" + hdr, "-o", obj],
         "myc -c -O2 bench/%s.my" % files)
    objs = [obj]
    incs = ["-I" + BENCH_DIR, "-I" + os.path.join(ROOT, "runtime"), "-I" + out]
    for part in ("_ref", "_main"):
        c = os.path.join(BENCH_DIR, files + part + ".c")
        o = os.path.join(out, name + part + ".o")
        must([CC] + CFLAGS + defines + incs + ["-c", c, "-o", o],
             "clang bench/%s%s.c" % (files, part))
        objs.insert(0, o)
    exe = os.path.join(out, name)
    must([CC, "-pthread"] + LDFLAGS + ["-o", exe] + objs + [args.rt, "-lm"],
         "linking %s" % name)
    return exe


def parse_result(output):
    for line in output.splitlines():
        if line.startswith("RESULT "):
            fields = dict(kv.split("=", 1) for kv in line.split()[1:])
            res = {}
            for k, v in fields.items():
                try:
                    res[k] = int(v)
                except ValueError:
                    try:
                        res[k] = float(v)
                    except ValueError:
                        res[k] = v
            return res
    return None


def run_benchmark(name, args, out):
    exe = build_benchmark(name, args, out)
    cmd = [exe, "--target", str(args.target), "--rounds", str(args.rounds),
           "--max-seconds", str(args.max_seconds)]
    rc, output, wall, _ = run(cmd, timeout=args.bench_timeout,
                              mem_limit=int(args.bench_memory * 2**30))
    shown = [l for l in output.splitlines()
             if not l.startswith("RESULT ") and (args.verbose or not l.startswith("  d/d"))]
    log(indent("\n".join(shown)))
    res = parse_result(output)
    if rc != 0 and not (rc == 1 and res is not None and "myc_grad_error" in res):
        why = [l for l in output.splitlines() if "runtime error" in l or "FAILED" in l]
        raise Failure("%s: the harness failed (%s)%s" % (
            name, "timed out after %.0f s" % args.bench_timeout if rc is None
            else "exit status %d" % rc, ": " + why[0].strip() if why else ""))
    if res is None:
        raise Failure("%s: no RESULT line in the harness's output" % name)
    if "myc_grad_error" in res:
        # NAME_grad ended in a runtime error (out of memory under --bench-memory, typically);
        # the harness measured the other three functions: a failure, reported with them
        res["error"] = "myc grad: " + str(res["myc_grad_error"]).replace("_", " ")
    res["wall"] = wall
    files = files_of(name)[0]
    src = os.path.join(BENCH_DIR, files + ".my")
    for level in ("-O0", "-O2"):
        o = os.path.join(out, "ct", "%s%s.o" % (name, level))
        res["compile" + level] = time_compile(
            [args.myc, "-c", level] + grad_flags(name) + [src, "-o", o], args)
        if compile_failed(res["compile" + level][2]):
            raise Failure(res["compile" + level][2])
    log("    (harness %.1f s; compile -O0 %s, -O2 %s)" % (
        wall, fmt_seconds(*res["compile-O0"]), fmt_seconds(*res["compile-O2"])))
    return res


def ratio(a, b):
    return "%.2f" % (a / b) if a == a and b == b and b > 0 else "n/a"


def per_level(r, key):
    """r[key] (bytes) per recursion level or loop iteration, as text ('-' for none)."""
    levels = r.get("levels", 0)
    return "{:,.0f}".format(r[key] / levels) if isinstance(levels, int) and levels > 0 else "-"


def kind_table(results):
    """The worst ratios of each kind of scalar benchmark (KINDS) among those run: the lines
    of a markdown table (none when no benchmark of a kind ran)."""
    measures = [("myc grad / hand adjoint", "myc_grad", "c_grad"),
                ("myc grad / myc primal", "myc_grad", "myc_primal"),
                ("reverse memory: myc / hand adjoint", "myc_mem_bytes", "hand_mem_bytes"),
                ("hand adjoint / C primal", "c_grad", "c_primal")]
    done = dict(results)
    lines = []
    for kind, names in KINDS:
        ran = [(n, done[n]) for n in names if n in done]
        if not ran:
            continue
        failed = [n for n, r in ran if isinstance(r, str) or r.get("error")]
        ok = [(n, r) for n, r in ran if n not in failed]
        cells = []
        for _, num, den in measures:
            vals = [(r[num] / r[den], n, r) for n, r in ok
                    if r[num] == r[num] and r[den] == r[den] and r[den] > 0]
            if not vals:
                cells.append("n/a")
                continue
            v, n, r = max(vals, key=lambda t: t[0])
            cell = "%.2f (%s" % (v, n)
            if num == "myc_mem_bytes" and r.get("levels", 0) > 0:
                cell += ": %s / %s B a level" % (per_level(r, num), per_level(r, den))
            elif num == "myc_mem_bytes":    # straight-line code: the totals
                cell += ": {:,} / {:,} B in all".format(r[num], r[den])
            cells.append(cell + ")")
        lines.append("| %s | %d%s | %s |" % (
            kind, len(ran), " (failed: %s)" % ", ".join(failed) if failed else "",
            " | ".join(cells)))
    if lines:
        lines = ["Worst ratio of each kind (the benchmark that has it):", "",
                 "| kind | benchmarks | " + " | ".join(m[0] for m in measures) + " |",
                 "|---|---|" + "---:|" * len(measures)] + lines + [""]
    return lines


def runtime_tables(results, args):
    lists = [(n, r) for n, r in results if n in PRIMAL_ONLY]
    results = [(n, r) for n, r in results if n not in PRIMAL_ONLY]
    lines = ["| benchmark | myc primal / C primal | myc grad / myc primal "
             "| myc grad / hand adjoint "
             "| hand adjoint / C primal | reverse memory: myc / hand adjoint "
             "| myc compile -O0 | -O2 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results:
        if isinstance(r, str):
            lines.append("| %s | FAILED: %s | | | | | | |" % (name, r))
            continue
        err = r.get("error")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, ratio(r["myc_primal"], r["c_primal"]),
            "FAILED: " + err if err else ratio(r["myc_grad"], r["myc_primal"]),
            ratio(r["myc_grad"], r["c_grad"]), ratio(r["c_grad"], r["c_primal"]),
            ("> " if err else "") + ratio(r["myc_mem_bytes"], r["hand_mem_bytes"]),
            fmt_seconds(*r["compile-O0"]), fmt_seconds(*r["compile-O2"])))
    lines += ["", "Targets: myc primal / C primal <= 1.1; myc grad / hand adjoint <= 1.3 "
              "(issue 20: <= 1.2 on every scalar benchmark); "
              "myc grad / myc primal <= 3; hand adjoint / C primal <= 3 (the yardstick); "
              "reverse memory <= 1.5 x the hand adjoint's on heat and rnn (issue 20: per "
              "recursion level or loop iteration <= 2 x).", ""] + kind_table(results) + [
              "Reverse-mode memory of one gradient call in bytes (harness.h): myc's arena, "
              "frame stack peak, large list buffers' peak and C stack; the hand adjoint's "
              "malloc peak and C stack; per level: the totals over the recursion levels or loop "
              "iterations the gradient runs through:", "",
              "| benchmark | myc: arena | frames | large lists | C stack | myc total "
              "| hand: heap | C stack | hand total | myc / hand | per level: myc | hand |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results:
        if isinstance(r, str):
            continue
        more = "> " if r.get("error") else ""    # where the failed call stopped
        lines.append("| %s | %s | %s%s | %s%s | %s |" % (name, " | ".join(
            (more if k in ("arena_bytes", "myc_mem_bytes") else "") + "{:,}".format(r[k])
            for k in ("arena_bytes", "frame_peak_bytes", "big_peak_bytes", "myc_stack_bytes",
                      "myc_mem_bytes", "hand_heap_bytes", "hand_stack_bytes", "hand_mem_bytes")),
            more, ratio(r["myc_mem_bytes"], r["hand_mem_bytes"]), more,
            per_level(r, "myc_mem_bytes"), per_level(r, "hand_mem_bytes")))
    lines += ["",
              "Time per call (best of the rounds shown; each round ~%g s of calls):"
              % args.target, "",
              "| benchmark | myc primal | C primal | myc grad | hand adjoint | rounds |",
              "|---|---:|---:|---:|---:|---|"]
    for name, r in results:
        if isinstance(r, str):
            continue
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            name, fmt_call(r["myc_primal"]), fmt_call(r["c_primal"]), fmt_call(r["myc_grad"]),
            fmt_call(r["c_grad"]), "/".join(str(r[k + "_rounds"]) for k in
                                            ("myc_primal", "c_primal", "myc_grad", "c_grad"))))
    if not results:
        lines = []
    if lists:
        lines += ([""] if lines else []) + [
            "List benchmarks, primal only (time per call, "
            "the median of the rounds, each ~%g s of calls):" % args.target, "",
                  "| benchmark | myc primal / C primal | myc primal | C primal | rounds "
                  "| myc grad / myc primal | myc compile -O0 | -O2 |",
                  "|---|---:|---:|---:|---|---:|---:|---:|"]
        for name, r in lists:
            if isinstance(r, str):
                lines.append("| %s | FAILED: %s | | | | | | |" % (name, r))
                continue
            lines.append("| %s | %s | %s | %s | %s | n/a | %s | %s |" % (
                name, ratio(r["myc_primal_median"], r["c_primal_median"]),
                fmt_call(r["myc_primal_median"]), fmt_call(r["c_primal_median"]),
                "/".join(str(r[k + "_rounds"]) for k in ("myc_primal", "c_primal")),
                fmt_seconds(*r["compile-O0"]), fmt_seconds(*r["compile-O2"])))
        lines += ["", "Target: myc primal / C primal <= 1.1."]
    return lines


def fmt_call(t):
    if t != t:
        return "n/a"
    if t < 1e-6:
        return "%.1f ns" % (t * 1e9)
    if t < 1e-3:
        return "%.2f us" % (t * 1e6)
    if t < 1.0:
        return "%.2f ms" % (t * 1e3)
    return "%.2f s" % t


# ---- compile-time scaling ---------------------------------------------------------------

def straight(args, out):
    sys.path.insert(0, BENCH_DIR)
    sys.dont_write_bytecode = True      # no bench/__pycache__
    import gen_straight
    rows, failed = [], False
    for n in args.sizes:
        src = os.path.join(out, "straight_%d.my" % n)
        with open(src, "w") as f:
            f.write(gen_straight.generate(n))
        row = {"n": n}
        for level in ("-O0", "-O2"):
            if level == "-O2" and row["-O0"][2] in ("timeout", "memory"):
                # -O2 does more than -O0: it would only run out too
                row[level] = (None, 0, "skipped", 0)
                log("    N = %d %s: skipped (-O0 ran out of time or memory)" % (n, level))
                continue
            o = os.path.join(out, "ct", "straight_%d%s.o" % (n, level))
            row[level], bad = logged_compile([args.myc, "-c", level, "--grad=straight", src, "-o", o],
                                             args, "N = %d %s" % (n, level))
            failed = failed or bad
        rows.append(row)
    lines = ["| statements N | myc -c --grad -O0 | -O2 | -O0 per statement | -O2 per statement "
             "| peak memory -O0 / -O2 |",
             "|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        cells = [fmt_seconds(*row[level]) for level in ("-O0", "-O2")]
        for level in ("-O0", "-O2"):
            t, runs, note, _ = row[level]
            cells.append("%.1f us" % (t / row["n"] * 1e6) if note is None else
                         "> %.0f us" % (t / row["n"] * 1e6) if note == "timeout" else "n/a")
        cells.append(" / ".join(fmt_bytes(row[level][3]) if row[level][3] else "-"
                                for level in ("-O0", "-O2")))
        lines.append("| {:,} | {} | {} | {} | {} | {} |".format(row["n"], *cells))
    lines += ["", "Targets: N = 30,000 under 2 s at -O0; the time per statement about constant. "
              "(A compile is stopped after %.0f s or %.0f GiB of address space.)"
              % (args.compile_timeout, args.compile_memory)]
    return lines, failed


def patho(args, out):
    sys.path.insert(0, BENCH_DIR)
    sys.dont_write_bytecode = True
    import gen_patho
    rows, failed = [], False
    for shape, small, large in PATHO_SIZES:
        res = {}
        for n in (small, large):
            src = os.path.join(out, "patho_%s_%d.my" % (shape, n))
            with open(src, "w") as f:
                f.write(gen_patho.generate(shape, n))
            o = os.path.join(out, "ct", "patho_%s_%d.o" % (shape, n))
            res[n], bad = logged_compile([args.myc, "-c", "-O2", src] + gen_patho.flags(shape, n) +
                                         ["-o", o], args, "%s N = %d" % (shape, n))
            failed = failed or bad
        rows.append((shape, small, large, res))
    lines = ["| shape | N | myc -c -O2 | peak memory | 2nd N | myc -c -O2 | peak memory "
             "| time ratio (size ratio) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for shape, small, large, res in rows:
        (ts, _, ns, ms), (tl, _, nl, ml) = res[small], res[large]
        ratio = ("%.1f (%.1f)" % (tl / ts, large / small) if ns is None and nl is None
                 else "n/a")
        lines.append("| %s | {:,} | %s | %s | {:,} | %s | %s | %s |".format(small, large) % (
            shape, fmt_seconds(*res[small]), fmt_bytes(ms), fmt_seconds(*res[large]),
            fmt_bytes(ml), ratio))
    lines += ["", "Target: a time ratio about the size ratio (linear). (A compile is stopped "
              "after %.0f s or %.0f GiB of address space.)" % (args.compile_timeout,
                                                               args.compile_memory)]
    return lines, failed


# ---- samples ---------------------------------------------------------------------------

DECL = re.compile(r"^(\w[\w ]*?)\s*\b(\w+)\(([^;]*?)\);", re.M | re.S)


def float_functions(header_text):
    """The exported functions of a header that return double and take a double."""
    names = []
    for ret, name, params in DECL.findall(header_text):
        if ret.strip() == "double" and re.search(r"\bdouble\b", params):
            names.append(name)
    return names


def samples(args, out):
    rows, failed = [], False
    sample_dir = os.path.join(ROOT, "samples")
    for fn in sorted(os.listdir(sample_dir)):
        if not fn.endswith(".my"):
            continue
        src = os.path.join(sample_dir, fn)
        base = fn[:-3]
        hdr = os.path.join(out, "samples", base + ".h")
        o = os.path.join(out, "samples", base + ".o")
        try:
            must([args.myc, "-c", "-O2", src, "--header=" + hdr, "-o", o], "myc -c samples/" + fn)
        except Failure as e:
            log(indent(str(e)))
            rows.append((fn, [], (None, 0, "failed", 0)))
            failed = True
            continue
        with open(hdr) as f:
            funcs = float_functions(f.read())
        good = []
        for name in funcs:   # which of them myc differentiates (it should be all)
            rc, output, _, _ = run([args.myc, "-c", "-O2", src, "--grad=" + name, "-o", o],
                                   args.compile_timeout)
            if rc == 0:
                good.append(name)
            else:
                failed = True
                log("    samples/%s: --grad=%s failed:\n%s" % (fn, name, indent(output, "      ")))
        groups = [good]
        res = time_compile([args.myc, "-c", "-O2", src] + ["--grad=" + n for n in good] +
                           ["-o", o], args)
        if compile_failed(res[2]) and len(good) > 1:
            # each alone works, all together do not: a bug to report; time them one by one
            failed = True
            log(indent(res[2]))
            log("    samples/%s: timing each --grad alone instead" % fn)
            groups = [[n] for n in good]
        for group in groups:
            if group is not good:
                res = time_compile([args.myc, "-c", "-O2", src, "--grad=" + group[0], "-o", o],
                                   args)
            if compile_failed(res[2]):
                failed = True
                log(indent(res[2]))
            log("    samples/%s --grad=%s: %s" % (fn, ",".join(group), fmt_seconds(*res)))
            rows.append((fn, group, res))
    lines = ["| sample | --grad= | myc -c -O2 (best of 3) | under 50 ms |", "|---|---|---:|---|"]
    for fn, group, (t, runs, note, _) in rows:
        ok = "yes" if note is None and t is not None and t < SAMPLES_TARGET else "no"
        lines.append("| samples/%s | %s | %s | %s |" % (fn, ", ".join(group) or "-",
                                                       fmt_seconds(t, runs, note), ok))
    return lines, failed


# ---- main ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(
        description="The myc benchmark suite (docs/performance.md).",
        epilog="NAME: one of %s." % ", ".join(BENCHMARKS + list(GROUPS) + SECTIONS))
    ap.add_argument("names", nargs="*", metavar="NAME", help="parts to run (default: all)")
    ap.add_argument("--myc", default=os.path.join(ROOT, "build", "myc"))
    ap.add_argument("--rt", default=os.path.join(ROOT, "build", "libmyrt.a"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--quick", action="store_true",
                    help="leave out the 30,000-statement function")
    ap.add_argument("--sizes", help="statement counts for `straight`, comma-separated "
                    "(default 1000,10000,30000)")
    ap.add_argument("--compile-timeout", type=float, default=300.0,
                    help="seconds before a myc run is stopped (default 300)")
    ap.add_argument("--compile-memory", type=float, default=12.0,
                    help="GiB of address space a myc run may use (default 12)")
    ap.add_argument("--target", type=float, default=0.2,
                    help="seconds of calls per timing round (default 0.2)")
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds, best counts (5)")
    ap.add_argument("--max-seconds", type=float, default=30.0,
                    help="time budget of one function's rounds; slow ones get fewer (30)")
    ap.add_argument("--bench-timeout", type=float, default=3600.0,
                    help="seconds before a benchmark's process is stopped (default 3600)")
    ap.add_argument("--bench-memory", type=float, default=8.0,
                    help="GiB of address space a benchmark's process may use (default 8)")
    ap.add_argument("--verbose", action="store_true", help="also print every gradient component")
    args = ap.parse_args()

    names = args.names or BENCHMARKS + DEFAULT_SECTIONS
    for n in names:
        if n not in BENCHMARKS + list(GROUPS) + SECTIONS:
            ap.error("unknown benchmark '%s' (known: %s)" % (
                n, ", ".join(BENCHMARKS + list(GROUPS) + SECTIONS)))
    names = [m for n in names for m in GROUPS.get(n, [n])]
    if args.sizes:
        args.sizes = [int(s) for s in args.sizes.split(",") if s]
    else:
        args.sizes = [n for n in SIZES if not (args.quick and n > 10000)]
    for path in (args.myc, args.rt):
        if not os.path.exists(path):
            sys.exit("run.py: %s does not exist: run `make` first" % path)
    args.myc, args.rt = os.path.abspath(args.myc), os.path.abspath(args.rt)
    out = os.path.abspath(args.out)
    for d in (out, os.path.join(out, "ct"), os.path.join(out, "samples")):
        os.makedirs(d, exist_ok=True)

    t_start = time.perf_counter()
    head = machine(args.myc)
    log(head)
    log()
    failed = False
    report = ["Machine: " + head, ""]

    results = []
    for name in [n for n in BENCHMARKS if n in names]:
        log("== %s" % name)
        try:
            res = run_benchmark(name, args, out)
            results.append((name, res))
            if "error" in res:
                failed = True
        except Failure as e:
            failed = True
            log(indent(str(e)))
            results.append((name, str(e).splitlines()[0]))
    if results:
        report += ["### Runtime", ""] + runtime_tables(results, args) + [""]

    sections = [("straight", "compile-time scaling", straight,
                 "### Compile time of a straight-line function with its gradient "
                 "(`myc -c --grad=straight`)"),
                ("samples", "compile time of the samples", samples,
                 "### Compile time of the samples with --grad (target: under 50 ms)"),
                ("patho", "compile-time scaling on pathological shapes", patho,
                 "### Compile time of pathological shapes at two sizes "
                 "(`bench/gen_patho.py`, `myc -c -O2`)")]
    for key, what, fn, title in sections:
        if key not in names:
            continue
        log("== %s (%s)" % (key, what))
        try:
            lines, bad = fn(args, out)
        except Failure as e:
            log(indent(str(e)))
            lines, bad = ["FAILED: " + str(e).splitlines()[0]], True
        failed |= bad
        report += [title, ""] + lines + [""]

    report.append("Total time of the suite: %.0f s." % (time.perf_counter() - t_start))
    text = "\n".join(report) + "\n"
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    log()
    log(text)
    log("(also in %s)" % rel(os.path.join(out, "results.md")))
    if failed:
        log("bench: FAILED (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
