#!/usr/bin/env bash
# tests/abi/run.sh: the C ABI of object files (contract sections 2 and 3),
# tested the way users use it: `.my` programs compiled with `myc -c` (and
# --header, --grad, --vjp, --jvp, --prefix), linked exactly as the contract says
# (`cc main.c prog.o build/libmyrt.a -lm`, also into a shared library and
# from C++), run, and checked against values the interpreter computes.
#
#   tests/abi/run.sh [--myc build/myc] [--rt build/libmyrt.a] [--cc "gcc clang"]
#                    [--only GLOB] [--keep] [--no-valgrind]
#
# --only GLOB runs the tests whose names match the shell pattern GLOB (the
# brackets of names like `grads[gcc]` are pattern characters: write
# 'grads?gcc?' or 'grads*').
#
# Assumes: run from anywhere; bash, the compilers named by --cc (each with
# its C++ driver: gcc/g++, clang/clang++, cc/c++; missing ones are skipped
# with a note), nm, readelf; gdb and llvm-dwarfdump for the -g tests (a
# missing one fails them: they are on every machine myc is tested on);
# valgrind is optional.  Paths given are relative to the repository root
# unless absolute.
#
# Guarantees: everything is built in a fresh temporary directory (removed
# at the end unless --keep); one line per test, `PASS name` or `FAIL name`,
# a failure followed by what was run and what came out (indented); then
# `N passed, M failed`; exit status 1 when any test failed (or a compiler
# asked for is missing), 0 otherwise.  The objects are built once; the
# tests that link and run are done once per compiler (name[gcc],
# name[clang]).
#
# Expected values: a `.my` file's `# EXPECT: NAME = FUNC ARG...` lines are
# run with `myc run --interp FILE FUNC ARG...` and become BASE.expected.h:
# `#define E_NAME value`, or for a tuple or list result E_NAME_0, E_NAME_1,
# ... (the numbers in order, a list of lists row by row) and E_NAME_N.  `# EXPECT-ERROR: NAME = FUNC ARG...` lines
# must end in a runtime error, `myc: runtime error: FILE:LINE:COL: MESSAGE`
# (FILE: the .my file's absolute path, as run.sh gives it to myc -c too):
# E_NAME_FILE, E_NAME_LINE, E_NAME_COL and E_NAME_MSG.  The C programs compare with them (1e-12
# relative; ints and bools exactly; tests/abi/check.h) and with closed forms.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ABI=$ROOT/tests/abi
MYC=build/myc
RT=build/libmyrt.a
CCS="gcc clang"
ONLY=
KEEP=0
VALGRIND=1

usage() {
    sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --myc) MYC=$2; shift 2 ;;
        --myc=*) MYC=${1#--myc=}; shift ;;
        --rt) RT=$2; shift 2 ;;
        --rt=*) RT=${1#--rt=}; shift ;;
        --cc) CCS=$2; shift 2 ;;
        --cc=*) CCS=${1#--cc=}; shift ;;
        --only) ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#--only=}; shift ;;
        --keep) KEEP=1; shift ;;
        --no-valgrind) VALGRIND=0; shift ;;
        -h|--help) usage ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
case $MYC in /*) ;; *) MYC=$ROOT/$MYC ;; esac
case $RT in /*) ;; *) RT=$ROOT/$RT ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/myc-abi.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then
        echo "(kept $TMP)"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
mkdir -p "$TMP/obj" "$TMP/exp" "$TMP/logs"

PASSED=0
FAILED=0
FAILED_NAMES=()

# Flags for the test programs themselves (not for myc's objects).
CFLAGS_TEST="-std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Wall -Wextra -Werror"
CXXFLAGS_TEST="-std=c++17 -O1 -g -Wall -Wextra -Werror"
INCS="-I$TMP/obj -I$TMP/exp -I$ABI -I$ROOT/runtime"

# ---- running and reporting ------------------------------------------------

# Nothing here should take long: a command that runs longer has hung.
TIMEOUT="timeout -k 10 600"

# run CMD...: logs the command, runs it with its output in the log.
run() {
    echo "\$ $*"
    $TIMEOUT "$@"
    local rc=$?
    [ $rc = 0 ] || echo "(exit status $rc$([ $rc = 124 ] && echo ': timed out'))"
    return $rc
}

# fail MESSAGE: logs why a test failed; returns 1.
fail() {
    echo "FAILED: $*"
    return 1
}

# test_case NAME FUNCTION [ARG...]: runs FUNCTION ARG... with its output in a
# log; reports PASS or FAIL (with the log) for NAME.
test_case() {
    local name=$1
    shift
    if [ -n "$ONLY" ]; then
        # shellcheck disable=SC2254
        case $name in $ONLY) ;; *) return 0 ;; esac
    fi
    local log
    log="$TMP/logs/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_').log"
    local dir
    dir="$TMP/run/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    mkdir -p "$dir"
    if (cd "$dir" && "$@") > "$log" 2>&1; then
        PASSED=$((PASSED + 1))
        echo "PASS  $name"
    else
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
        echo "FAIL  $name"
        tail -n 60 "$log" | sed 's/^/      /'
    fi
}

# ---- building --------------------------------------------------------------

# myc_c KEY FILE.my [FLAG...]: `myc -c FILE.my -o KEY.o --header=KEY.h FLAG...`
# in $TMP/obj, once per KEY (later calls replay the first one's result).
myc_c() {
    local key=$1 src=$2
    shift 2
    local out=$TMP/obj/$key
    if [ ! -e "$out.status" ]; then
        (
            cd "$TMP/obj" || exit 1
            echo "\$ myc -c $src -o $key.o --header=$key.h $*"
            $TIMEOUT "$MYC" -c "$ABI/$src" -o "$key.o" --header="$key.h" "$@"
        ) > "$out.log" 2>&1
        echo $? > "$out.status"
    fi
    cat "$out.log"
    local st
    st=$(cat "$out.status")
    [ "$st" = 0 ] || fail "myc exited with status $st compiling $src"
    [ "$st" = 0 ] || return 1
    [ -s "$out.o" ] || fail "myc wrote no $key.o" || return 1
    [ -s "$out.h" ] || fail "myc wrote no $key.h" || return 1
    # these programs are clean: no warning either, but the ones $WARNS names
    # (FUNC:words_of_it ..., '_' for a space: one warning each, naming FUNC)
    local want=1 w text
    for w in ${WARNS:-}; do
        text=${w#*:}
        text=${text//_/ }
        grep -q "^$ABI/$src:[0-9]*:[0-9]*: warning: .*$text.*'${w%%:*}'" "$out.log" ||
            fail "no warning '$text' for ${w%%:*} compiling $src" || return 1
        want=$((want + 1))
    done
    [ "$(grep -c ': warning: \|: error: ' "$out.log")" = $((want - 1)) ] &&
        [ "$(grep -c ': error: ' "$out.log")" = 0 ] ||
        fail "myc printed diagnostics compiling $src"
}

# c_value WORD: a value as `myc run` prints it, as a C expression.
c_value() {
    case $1 in
        True) echo "true" ;;
        False) echo "false" ;;
        nan) echo "NAN" ;;
        inf) echo "INFINITY" ;;
        -inf) echo "(-INFINITY)" ;;
        -9223372036854775808) echo "(-INT64_MAX - 1)" ;;
        *[.eE]*) echo "($1)" ;;
        -*) echo "(-INT64_C(${1#-}))" ;;
        *) echo "INT64_C($1)" ;;
    esac
}

# expected BASE: $TMP/exp/BASE.expected.h from the # EXPECT: lines of BASE.my,
# once (later calls replay the first one's result).
expected() {
    local base=$1
    local out=$TMP/exp/$base.expected.h
    if [ ! -e "$out.status" ]; then
        gen_expected "$ABI/$base.my" "$out" > "$out.log" 2>&1
        echo $? > "$out.status"
    fi
    cat "$out.log"
    [ "$(cat "$out.status")" = 0 ] || fail "could not compute the expected values of $base.my"
}

gen_expected() {
    local my=$1 out=$2 guard
    guard="E_$(basename "$my" .my | tr 'a-z' 'A-Z' | tr -c 'A-Z0-9\n' '_')_H"
    local ok=0 lines errs
    lines=$(grep '^# EXPECT:' "$my")
    errs=$(grep '^# EXPECT-ERROR:' "$my")
    [ -n "$lines" ] || { fail "no '# EXPECT:' lines in $my"; return 1; }
    {
        echo "/* Generated by tests/abi/run.sh from the # EXPECT: lines of $(basename "$my"),"
        echo "   each run with myc run --interp. */"
        echo "#ifndef $guard"
        echo "#define $guard"
        echo "#include <math.h>"
        echo "#include <stdbool.h>"
        echo "#include <stdint.h>"
    } > "$out"
    while IFS= read -r line; do
        local spec=${line#\# EXPECT: }
        local name=${spec%% = *} call=${spec#* = }
        local repr
        eval "set -- $call"
        if ! repr=$(run "$MYC" run --interp "$my" "$@"); then
            echo "$repr"
            fail "myc run --interp $(basename "$my") $call failed"
            ok=1
            continue
        fi
        repr=$(echo "$repr" | tail -n 1)
        echo "  $name = $call -> $repr"
        if [ "${repr#[([]}" = "$repr" ]; then
            echo "#define E_$name $(c_value "$repr")" >> "$out"
        else
            local i=0 w
            for w in $(echo "$repr" | tr -d '()[] ' | tr ',' ' '); do
                echo "#define E_${name}_$i $(c_value "$w")" >> "$out"
                i=$((i + 1))
            done
            echo "#define E_${name}_N $i" >> "$out"
        fi
    done <<< "$lines"
    [ -z "$errs" ] || while IFS= read -r line; do
        local spec=${line#\# EXPECT-ERROR: }
        local name=${spec%% = *} call=${spec#* = }
        local msg st
        eval "set -- $call"
        echo "\$ $MYC run --interp $my $*"
        msg=$($TIMEOUT "$MYC" run --interp "$my" "$@" 2>&1 >/dev/null)
        st=$?
        echo "$msg"
        local re='^myc: runtime error: (.*):([0-9]+):([0-9]+): (.*)$'
        if [ $st != 3 ] || ! [[ $msg =~ $re ]]; then
            fail "myc run --interp $(basename "$my") $call: expected a located runtime error (status 3), got status $st"
            ok=1
            continue
        fi
        {
            echo "#define E_${name}_FILE \"${BASH_REMATCH[1]}\""
            echo "#define E_${name}_LINE ${BASH_REMATCH[2]}"
            echo "#define E_${name}_COL ${BASH_REMATCH[3]}"
            echo "#define E_${name}_MSG \"${BASH_REMATCH[4]}\""
        } >> "$out"
    done <<< "$errs"
    echo "#endif" >> "$out"
    return $ok
}

# cc_main OUT SRC [MORE...]: compiles and links a test program with $CC.
cc_main() {
    local out=$1
    shift
    run "$CC" $CFLAGS_TEST $INCS -o "$out" "$@" "$RT" -lm
}

# ---- the tests ---------------------------------------------------------------

# Every header myc wrote compiles on its own, as C and as C++, warnings on.
t_header() {
    local key=$1
    myc_c_for "$key" || return 1
    printf '#include "%s.h"\n#include "%s.h"\n' "$key" "$key" > use.c
    cp use.c use.cpp
    run "$CC" -std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes -fsyntax-only -I"$TMP/obj" use.c &&
    run "$CC" -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$TMP/obj" use.c &&
    run "$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$TMP/obj" use.cpp &&
    run "$CXX" -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$TMP/obj" use.cpp
}

# The objects of each .my file, with the flags its tests need.
myc_c_for() {
    case $1 in
        tuples) myc_c tuples tuples.my ;;
        grads) myc_c grads grads.my --grad=loop_f --grad=cond_f --grad=clos_f --grad=tup_f \
                   --grad=uses_a --grad=uses_b ;;
        names) myc_c names names.my --grad=auto --grad=double ;;
        pfx_names) myc_c pfx_names names.my --grad=auto --grad=double --prefix=pfx_ ;;
        two_a) myc_c two_a two_a.my --grad=f ;;
        two_b) myc_c two_b two_b.my --grad=f --prefix=b_ ;;
        two_c) myc_c two_c two_c.my --grad=g ;;
        errors) myc_c errors errors.my --grad=scaled ;;
        threads) myc_c threads threads.my --grad=work ;;
        stack_O0) myc_c stack_O0 stack.my --grad=osc --grad=power -O0 ;;
        stack_O2) myc_c stack_O2 stack.my --grad=osc --grad=power -O2 ;;
        vectors_O0|vectors_O2)
            myc_c "$1" vectors.my --grad=sq2 --grad=tup_loss --vjp=sq2 --jvp=sq2 --vjp=tup_loss --jvp=tup_loss \
                --vjp=polar --jvp=polar --vjp=three --jvp=three --vjp=mixed --jvp=mixed --vjp=nested --jvp=nested \
                --vjp=count --jvp=count --vjp=wide --jvp=wide --grad=wsum "-${1#vectors_}" ;;
        pfx_vectors) myc_c pfx_vectors vectors.my --vjp=polar --jvp=polar --prefix=pv_ ;;
        lists_O0|lists_O2) myc_c "$1" lists.my "-${1#lists_}" ;;
        list_grads_O0|list_grads_O2)
            myc_c "$1" list_grads.my --grad=dot --grad=lsq --grad=quad --grad=centroid_loss --grad=weighted \
                --grad=nested --grad=scaled_copy --grad=ignores --grad=first_row --grad=prefix_sq --vjp=dot --jvp=dot --vjp=scale \
                --jvp=scale --vjp=stats --jvp=stats "-${1#list_grads_}" ;;
        list_scaling) myc_c list_scaling list_scaling.my --grad=ssq --grad=dot --grad=rows --grad=dense_sum --grad=heat ;;
        debug_O0|debug_O2) myc_c "$1" debug.my --grad=walk --vjp=walk --jvp=walk -g "-${1#debug_}" ;;
        unwind_O0|unwind_O2) myc_c "$1" unwind.my --grad=scaled "-${1#unwind_}" ;;
        nesting_O0|nesting_O2)
            myc_c "$1" nesting.my --grad=second_partials --grad=g0 --grad=g1 --grad=fourth --grad=rr_capture \
                --grad=ff_capture --grad=rfr --grad=joined --grad=jvp_sin --grad=applied_pullback "-${1#nesting_}" ;;
        *) fail "no object named $1" ;;
    esac
}

t_expected() {
    expected "$1"
}

t_tuples() {
    myc_c_for tuples && expected tuples || return 1
    cc_main tuples "$ABI/tuples.c" "$TMP/obj/tuples.o" && run ./tuples
}

# The contract: "links ... as an ordinary (PIE) executable".
t_pie() {
    myc_c_for tuples && expected tuples || return 1
    run "$CC" $CFLAGS_TEST -fPIE $INCS -o tuples "$ABI/tuples.c" "$TMP/obj/tuples.o" "$RT" -lm -pie &&
    run ./tuples
}

t_grads() {
    myc_c_for grads && expected grads || return 1
    cc_main grads "$ABI/grads.c" "$TMP/obj/grads.o" && run ./grads
}

# The exported (global, defined) symbols of an object are exactly its
# exports: private helpers, closures and loop bodies stay local.
t_symbols() {
    myc_c_for grads || return 1
    local want got
    want=$(printf '%s\n' loop_f cond_f clos_f tup_f uses_a uses_b loop_f_grad cond_f_grad clos_f_grad tup_f_grad \
        uses_a_grad uses_b_grad | sort)
    got=$(nm -g --defined-only "$TMP/obj/grads.o" | awk '{print $NF}' | sort)
    run nm -g --defined-only "$TMP/obj/grads.o"
    [ "$got" = "$want" ] || fail "global symbols of grads.o: expected [$(echo $want)], got [$(echo $got)]"
}

# arena_enters LL FN: how many calls of myrt_arena_enter the definition of
# FN in the LLVM IR file LL makes.
arena_enters() {
    awk -v fn="$2" '
        /^define / { name = $0; sub(/\(.*/, "", name); sub(/.*@/, "", name); if (name == fn) found = 1 }
        /^define /, /^}/ { if (name == fn && /call void @myrt_arena_enter/) n++ }
        END { print found ? n + 0 : "none" }' "$1"
}

# An exported function whose optimised code needs no memory and cannot
# fail enters no arena (src/backend/target.c, elide_unused_arenas); one that allocates
# or may report a runtime error keeps it, and -O0 keeps every arena.
t_arena_elision() {
    run "$MYC" -S -emit-llvm -O2 "$ABI/grads.my" --grad=loop_f --grad=clos_f -o grads-O2.ll || return 1
    run "$MYC" -S -emit-llvm -O0 "$ABI/grads.my" --grad=loop_f -o grads-O0.ll || return 1
    run "$MYC" -S -emit-llvm -O2 "$ABI/errors.my" -o errors-O2.ll || return 1
    local ll fn want got
    for case in grads-O2.ll:loop_f:0 grads-O2.ll:clos_f:0 grads-O2.ll:clos_f_grad:0 \
                grads-O2.ll:loop_f_grad:1 errors-O2.ll:idiv:1 errors-O2.ll:steps:1 \
                grads-O0.ll:loop_f:1 grads-O0.ll:loop_f_grad:1; do
        IFS=: read -r ll fn want <<< "$case"
        got=$(arena_enters "$ll" "$fn")
        [ "$got" = "$want" ] || fail "$fn in $ll: $got calls of myrt_arena_enter, expected $want" || return 1
    done
}

# entry_memcpys LL FN: how many memcpy calls the definition of FN in LL
# makes before it calls the function it wraps (@myc.FN: at -O0, not inlined).
entry_memcpys() {
    awk -v fn="$2" '
        /^define / { name = $0; sub(/\(.*/, "", name); sub(/.*@/, "", name); if (name == fn) { found = 1; called = 0 } }
        /^define /, /^}/ {
            if (name == fn && index($0, "@myc." fn "(")) called = 1
            if (name == fn && !called && /call void @llvm\.memcpy/) n++
        }
        END { print found ? n + 0 : "none" }' "$1"
}

# An exported function copies a list parameter on entry exactly when it
# may change it in place (contract 5.3; passes/inplace.h, Graph.consumed):
# at -O0 (each wrapper a function of its own) the wrappers of the lists.my
# functions that only read their lists (also through loops and helpers
# that pass them on) have no memcpy, and those that change them (also by
# handing them to a helper that appends) do, before the call.
t_list_copies() {
    run "$MYC" -S -emit-llvm -O0 "$ABI/lists.my" -o lists-O0.ll || return 1
    local fn want got case
    for case in dot:0 isum:0 flags:0 matvec:0 transpose:0 centroid:0 grid_sum:0 weighted:0 total:0 \
                normalise:1 bump_rows:1 grow:1; do
        IFS=: read -r fn want <<< "$case"
        got=$(entry_memcpys lists-O0.ll "$fn")
        [ "$got" != none ] || fail "no definition of $fn in lists-O0.ll" || return 1
        [ "$got" = 0 ] && [ "$want" = 0 ] || { [ "$got" != 0 ] && [ "$want" = 1 ]; } ||
            fail "$fn's wrapper makes $got memcpy calls; expected $([ "$want" = 0 ] && echo none || echo some)" ||
            return 1
    done
}

# frame_sizes LL: the payload sizes generated code pushes (myrt.frame_push
# calls at -O0), sorted, one per line.
frame_sizes() {
    sed -n 's/.*call i8\* @myrt\.frame_push(i8\* %[0-9a-z.]*, i64 \([0-9]*\)).*/\1/p' "$1" | sort -n | uniq
}

# A self-recursive function's frames keep no parameter that every recursive
# call passes through unchanged (src/backend/machine.c, machine_invariants): power's
# hold only the return id; the functions of recursion_invariants.my whose
# parameters change keep them.
t_machine_invariants() {
    run "$MYC" -S -emit-llvm -O0 "$ABI/stack.my" -o stack-O0.ll || return 1
    run "$MYC" -S -emit-llvm -O0 "$ROOT/tests/e2e/recursion_invariants.my" -o inv-O0.ll || return 1
    local got
    got=$(frame_sizes stack-O0.ll | tr '\n' ' ')
    [ "$got" = "4 " ] || fail "stack.my's frames: payload sizes [$got], expected only 4 (the return id)" || return 1
    got=$(frame_sizes inv-O0.ll | tail -n 1)
    [ -n "$got" ] && [ "$got" -gt 4 ] || fail "recursion_invariants.my: no frame keeps a changing parameter" || return 1
}

# The textual LLVM IR that -S -emit-llvm writes is valid IR: LLVM's own
# parser (llvm-as) reads it back, for the exports of every kind (gradients,
# vjp/jvp, list parameters and results, list gradients) at -O0 and -O2.
t_llvm_text() {
    local as
    as=$(llvm-config --bindir 2> /dev/null)/llvm-as
    [ -x "$as" ] || as=llvm-as-14
    local level src
    for level in O0 O2; do
        for src in "grads.my --grad=loop_f --grad=cond_f --grad=clos_f --grad=tup_f" \
                   "vectors.my --vjp=polar --jvp=polar --vjp=nested --jvp=nested --grad=wsum" \
                   "lists.my" \
                   "list_grads.my --grad=dot --grad=lsq --grad=quad --grad=centroid_loss --grad=weighted --grad=nested \
                    --grad=scaled_copy --grad=first_row --grad=prefix_sq --vjp=dot --jvp=dot --vjp=stats --jvp=stats"; do
            set -- $src
            local f=$1
            shift
            run "$MYC" -S -emit-llvm "-$level" "$ABI/$f" "$@" -o "text-$level.ll" || return 1
            run "$as" -o /dev/null "text-$level.ll" || fail "llvm-as rejects myc -S -emit-llvm -$level $f $*" || return 1
        done
    done
}

t_names() {
    myc_c_for names && myc_c_for pfx_names && expected names || return 1
    cc_main names "$ABI/names.c" "$TMP/obj/names.o" "$TMP/obj/pfx_names.o" && run ./names
}

t_cxx() {
    myc_c_for names && myc_c_for pfx_names && expected names || return 1
    run "$CXX" $CXXFLAGS_TEST $INCS -o names_cxx "$ABI/names.cpp" "$TMP/obj/names.o" "$TMP/obj/pfx_names.o" \
        "$RT" -lm && run ./names_cxx
}

t_two_objects() {
    myc_c_for two_a && myc_c_for two_b && myc_c_for two_c || return 1
    expected two_a && expected two_b && expected two_c || return 1
    cc_main two "$ABI/two.c" "$TMP/obj/two_a.o" "$TMP/obj/two_b.o" "$TMP/obj/two_c.o" && run ./two
}

t_shared_lib() {
    myc_c_for grads && expected grads || return 1
    run "$CC" -shared -o libgrads.so "$TMP/obj/grads.o" "$RT" -lm &&
    run "$CC" $CFLAGS_TEST $INCS -o grads_dyn "$ABI/grads.c" -L. -lgrads -Wl,-rpath,"$PWD" -lm &&
    run ./grads_dyn
}

t_errors_handler() {
    myc_c_for errors && expected errors || return 1
    cc_main errors_handler "$ABI/errors_handler.c" "$TMP/obj/errors.o" && run ./errors_handler
}

# The located handler: message, file, line and column of each error, as
# the interpreter reports them.
t_errors_handler_at() {
    myc_c_for errors && expected errors || return 1
    cc_main errors_handler_at "$ABI/errors_handler_at.c" "$TMP/obj/errors.o" && run ./errors_handler_at
}

# No handler: the default prints the error with its location, as `myc run`
# does (the same line, the file as given to myc -c), and aborts.
t_errors_abort() {
    myc_c_for errors || return 1
    cc_main errors_abort "$ABI/errors_abort.c" "$TMP/obj/errors.o" || return 1
    local want
    want=$("$MYC" run "$ABI/errors.my" idiv 1 0 2>&1 >/dev/null)
    echo "myc run: $want"
    [[ $want =~ ^myc:\ runtime\ error:\ $ABI/errors\.my:[0-9]+:[0-9]+:\ integer\ division\ or\ modulo\ by\ zero$ ]] ||
        fail "myc run errors.my idiv 1 0 printed '$want'" || return 1
    echo "\$ ./errors_abort"
    $TIMEOUT ./errors_abort > out.txt 2> err.txt
    local rc=$?
    cat out.txt err.txt
    [ $rc = 134 ] || fail "expected SIGABRT (status 134), got status $rc" || return 1
    [ "$(cat err.txt)" = "$want" ] || fail "expected exactly the line '$want' on stderr" || return 1
}

# runtime/myrt.h from C89 and C++98 (and its handlers without any .my code).
t_myrt_old_standards() {
    local std
    for std in c89 c99; do
        run "$CC" -std=$std -pedantic -Wall -Wextra -Werror $INCS -o myrt_$std "$ABI/myrt_c89.c" "$RT" -lm &&
        run ./myrt_$std || return 1
    done
    run "$CXX" -x c++ -std=c++98 -pedantic -Wall -Wextra -Werror $INCS -o myrt_cxx98 "$ABI/myrt_c89.c" \
        -x none "$RT" -lm && run ./myrt_cxx98
}

t_threads() {
    myc_c_for threads && expected threads || return 1
    run "$CC" $CFLAGS_TEST -pthread $INCS -o threads "$ABI/threads.c" "$TMP/obj/threads.o" "$RT" -lm &&
    run ./threads
}

# stack.c includes "stack.h": the header of the object at -O$1.
stack_prog() {
    local key=stack_$1
    myc_c_for "$key" && expected stack || return 1
    run cp "$TMP/obj/$key.h" stack.h &&
    run "$CC" $CFLAGS_TEST -I. $INCS -o stack "$ABI/stack.c" "$TMP/obj/$key.o" "$RT" -lm
}

# myrt.h compiles as every C and C++ standard a user may build with, and
# the arena's layout (part of the ABI) is the same in all of them.
t_myrt_standards() {
    local RTINC=$ROOT/runtime
    cat > std.c <<'EOC'
#include <stddef.h>
#include <stdio.h>
#include "myrt.h"
int main(void)
{
    printf("%d %d %d\n", (int)sizeof(myrt_arena), (int)offsetof(myrt_arena, cur), (int)__alignof__(myrt_arena));
    return 0;
}
EOC
    cp std.c std.cpp
    local want='' s got
    for s in c89 c99 c11 c17; do
        run "$CC" -std=$s -pedantic-errors -Wall -Wextra -Werror -I"$RTINC" -o std std.c || return 1
        got=$(./std)
        [ -n "$want" ] || want=$got
        [ "$got" = "$want" ] || fail "-std=$s: arena layout $got, not $want" || return 1
    done
    for s in c++98 c++11 c++17; do
        run "$CXX" -std=$s -pedantic-errors -Wall -Wextra -Werror -I"$RTINC" -o std std.cpp || return 1
        got=$(./std)
        [ "$got" = "$want" ] || fail "-std=$s: arena layout $got, not $want" || return 1
    done
}

# Nested derivatives in an object at -O$1 (nesting.c: closed forms); the
# public helpers whose parameters are tuples and functions are not exported,
# each with a warning that says why.
t_nesting() {
    local key=nesting_$1
    WARNS="hp_tuple:used_as_a_tuple hp_fn:used_as_a_function" myc_c_for "$key" || return 1
    local got
    got=$(nm -g --defined-only "$TMP/obj/$key.o" | awk '{print $NF}' | grep -c '^hp_')
    [ "$got" = 0 ] || fail "$key.o exports hp_tuple or hp_fn"
    run cp "$TMP/obj/$key.h" nesting.h &&
    run "$CC" $CFLAGS_TEST -I. $INCS -o nesting "$ABI/nesting.c" "$TMP/obj/$key.o" "$RT" -lm &&
    run ./nesting
}

# NAME_vjp and NAME_jvp in an object at -O$1 (vectors.c: the Jacobians
# three ways, closed forms, NULL pointers), from C and, with $2 = c++, the
# same program compiled as C++; the object exports exactly NAME,
# NAME_grad, NAME_vjp and NAME_jvp of what was asked.
t_vectors() {
    local key=vectors_$1
    myc_c_for "$key" && expected vectors || return 1
    run cp "$TMP/obj/$key.h" vectors.h || return 1
    if [ "${2:-c}" = c++ ]; then
        run "$CXX" -x c++ $CXXFLAGS_TEST -I. $INCS -o vectors "$ABI/vectors.c" -x none "$TMP/obj/$key.o" "$RT" -lm
    else
        run "$CC" $CFLAGS_TEST -I. $INCS -o vectors "$ABI/vectors.c" "$TMP/obj/$key.o" "$RT" -lm
    fi || return 1
    run ./vectors || return 1
    local want got n
    want=$(for n in sq2 tup_loss polar three mixed nested count wide; do
               printf '%s\n' "$n" "${n}_vjp" "${n}_jvp"
           done; printf '%s\n' sq2_grad tup_loss_grad wsum wsum_grad)
    want=$(echo "$want" | sort)
    got=$(nm -g --defined-only "$TMP/obj/$key.o" | awk '{print $NF}' | sort)
    [ "$got" = "$want" ] || fail "global symbols of $key.o: expected [$(echo $want)], got [$(echo $got)]"
}

# --prefix applies to NAME_vjp and NAME_jvp.
t_vectors_prefix() {
    myc_c_for pfx_vectors || return 1
    local syms
    syms=$(nm -g --defined-only "$TMP/obj/pfx_vectors.o" | awk '{print $NF}')
    run nm -g --defined-only "$TMP/obj/pfx_vectors.o"
    echo "$syms" | grep -qx pv_polar_vjp && echo "$syms" | grep -qx pv_polar_jvp ||
        fail "pfx_vectors.o does not define pv_polar_vjp and pv_polar_jvp" || return 1
    [ -z "$(echo "$syms" | grep -v '^pv_')" ] || fail "pfx_vectors.o defines names without the prefix" || return 1
    cat > pv.c <<'EOF'
#include "pfx_vectors.h"
int main(void)
{
    /* polar at r = 1, theta = 0: the Jacobian is ((1, 0), (0, 1)) */
    double a, b, dr, dth, t0, t1;
    pv_polar_vjp(1.0, 0.0, &a, &b, 1.0, 0.0, &dr, &dth);
    pv_polar_jvp(1.0, 0.0, 0.0, 1.0, &a, &b, &t0, &t1);
    return !(a == 1.0 && b == 0.0 && dr == 1.0 && dth == 0.0 && t0 == 0.0 && t1 == 1.0);
}
EOF
    run "$CC" $CFLAGS_TEST $INCS -o pv pv.c "$TMP/obj/pfx_vectors.o" "$RT" -lm && run ./pv
}

# Lists across the C ABI (contract 5.5) in an object at -O$1 (lists.c),
# from C and, with $2 = c++, from the same program compiled as C++; every
# public function of lists.my is exported, with no warning.
t_lists() {
    local key=lists_$1
    myc_c_for "$key" && expected lists || return 1
    run cp "$TMP/obj/$key.h" lists.h || return 1
    if [ "${2:-c}" = c++ ]; then
        run "$CXX" -x c++ $CXXFLAGS_TEST -I. $INCS -o lists "$ABI/lists.c" -x none "$TMP/obj/$key.o" "$RT" -lm
    else
        run "$CC" $CFLAGS_TEST -I. $INCS -o lists "$ABI/lists.c" "$TMP/obj/$key.o" "$RT" -lm
    fi || return 1
    run ./lists || return 1
    local want got
    want=$(sed -n 's/^def \([a-z][a-z_]*\)(.*/\1/p' "$ABI/lists.my" | sort)
    got=$(nm -g --defined-only "$TMP/obj/$key.o" | awk '{print $NF}' | sort)
    [ "$got" = "$want" ] || fail "global symbols of $key.o: expected [$(echo $want)], got [$(echo $got)]"
}

# NAME_grad with list parameters (contract 5.5), and NAME_vjp and NAME_jvp
# with lists in their signatures (contract 3), in an object at -O$1
# (list_grads.c), from C and, with $2 = c++, from C++.
t_list_grads() {
    local key=list_grads_$1
    myc_c_for "$key" && expected list_grads || return 1
    run cp "$TMP/obj/$key.h" list_grads.h || return 1
    if [ "${2:-c}" = c++ ]; then
        run "$CXX" -x c++ $CXXFLAGS_TEST -I. $INCS -o list_grads "$ABI/list_grads.c" -x none "$TMP/obj/$key.o" \
            "$RT" -lm
    else
        run "$CC" $CFLAGS_TEST -I. $INCS -o list_grads "$ABI/list_grads.c" "$TMP/obj/$key.o" "$RT" -lm
    fi || return 1
    run ./list_grads
}

# List gradients' memory is linear in the lists' sizes (list_scaling.c).
t_list_scaling() {
    myc_c_for list_scaling || return 1
    run cp "$TMP/obj/list_scaling.h" list_scaling.h || return 1
    run "$CC" $CFLAGS_TEST -I. $INCS -o list_scaling "$ABI/list_scaling.c" "$TMP/obj/list_scaling.o" "$RT" -lm &&
        run ./list_scaling
}

# osc_grad on 10^7 iterations in 512 KiB of stack.
t_stack_loop() {
    stack_prog "$1" || return 1
    echo "\$ (ulimit -s 512; ./stack loop)"
    (ulimit -s 512 && $TIMEOUT ./stack loop)
    local rc=$?
    [ $rc = 0 ] || fail "./stack loop under ulimit -s 512 exited with status $rc" \
        "$( [ $rc -ge 128 ] && echo "(signal $((rc - 128)): a stack overflow?)")"
}

# power_grad recursing 10,000 deep, default stack.
t_stack_rec() {
    stack_prog "$1" && run ./stack rec
}

# valgrind: no invalid access, no definite or indirect leak.
t_valgrind() {
    local prog=$1
    local vg="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect"
    case $prog in
        grads) myc_c_for grads && expected grads && cc_main grads "$ABI/grads.c" "$TMP/obj/grads.o" ;;
        tuples) myc_c_for tuples && expected tuples && cc_main tuples "$ABI/tuples.c" "$TMP/obj/tuples.o" ;;
        errors_handler) myc_c_for errors && expected errors &&
            cc_main errors_handler "$ABI/errors_handler.c" "$TMP/obj/errors.o" ;;
        vectors) myc_c_for vectors_O2 && expected vectors && run cp "$TMP/obj/vectors_O2.h" vectors.h &&
            run "$CC" $CFLAGS_TEST -I. $INCS -o vectors "$ABI/vectors.c" "$TMP/obj/vectors_O2.o" "$RT" -lm ;;
        lists) myc_c_for lists_O2 && expected lists && run cp "$TMP/obj/lists_O2.h" lists.h &&
            run "$CC" $CFLAGS_TEST -I. $INCS -o lists "$ABI/lists.c" "$TMP/obj/lists_O2.o" "$RT" -lm ;;
        list_grads) myc_c_for list_grads_O2 && expected list_grads &&
            run cp "$TMP/obj/list_grads_O2.h" list_grads.h &&
            run "$CC" $CFLAGS_TEST -I. $INCS -o list_grads "$ABI/list_grads.c" "$TMP/obj/list_grads_O2.o" "$RT" -lm ;;
        unwind) unwind_prog O2 ;;
        errors_handler_at) myc_c_for errors && expected errors &&
            cc_main errors_handler_at "$ABI/errors_handler_at.c" "$TMP/obj/errors.o" ;;
    esac || return 1
    run $vg "./$prog"
}

# ---- debug information and unwinding (-g, unwind tables) ----------------------------

# need_tool NAME: fails (never skips) when NAME is not installed.
need_tool() {
    command -v "$1" > /dev/null ||
        fail "$1 is not installed (the -g tests need it; it is on every machine myc is tested on)"
}

# llvm-dwarfdump under the names Debian gives it.
dwarfdump() {
    local d
    for d in llvm-dwarfdump llvm-dwarfdump-14 "$(llvm-config --bindir 2> /dev/null)/llvm-dwarfdump"; do
        if command -v "$d" > /dev/null 2>&1; then
            "$d" "$@"
            return
        fi
    done
    fail "llvm-dwarfdump is not installed (the -g tests need it)"
}

# break_line MARK: the line of debug.my marked `# BREAK: MARK`.
break_line() {
    grep -n "# BREAK: $1\$" "$ABI/debug.my" | cut -d: -f1
}

# debug_prog O: ./debug, debug.c linked with debug.my compiled -g -O$1
# --grad=walk, and run (it checks its values).
debug_prog() {
    local key=debug_$1
    myc_c_for "$key" && expected debug || return 1
    run cp "$TMP/obj/$key.h" debug.h &&
    run "$CC" $CFLAGS_TEST -I. $INCS -o debug "$ABI/debug.c" "$TMP/obj/$key.o" "$RT" -lm &&
    run ./debug plain && run ./debug grad
}

# t_gdb O MODE MARK FRAME0 CALLER: gdb runs `./debug MODE` (objects at -O$1)
# with a breakpoint on the line of debug.my marked MARK: it must stop there in
# a function whose name matches FRAME0 (grep -E), and the backtrace must show
# a .my frame named CALLER further down (CALLER "-": none), then main in
# debug.c.  MARK "def:F" is a breakpoint on the function FRAME0 instead, which
# must stop at the line of `def F`.
t_gdb() {
    local level=$1 mode=$2 mark=$3 frame0=$4 caller=$5
    need_tool gdb || return 1
    debug_prog "$level" || return 1
    local line where
    if [ "${mark#def:}" != "$mark" ]; then
        where=$frame0
        line=$(grep -n "^def ${mark#def:}(" "$ABI/debug.my" | cut -d: -f1)
    else
        line=$(break_line "$mark")
        where=debug.my:$line
    fi
    [ -n "$line" ] || fail "no line for '$mark' in debug.my" || return 1
    echo "\$ gdb -batch -nx -ex 'break $where' -ex run -ex bt --args ./debug $mode"
    $TIMEOUT gdb -batch -nx -ex "break $where" -ex run -ex bt --args ./debug "$mode" > gdb.txt 2>&1
    cat gdb.txt
    local at="at [^ ]*debug\\.my" frame="^#[1-9][0-9]* +(0x[0-9a-f]+ in )?"
    grep -qE "^Breakpoint 1(\\.[0-9]+)?, $frame0 \\(.*\\) $at:$line\$" gdb.txt ||
        fail "the breakpoint at debug.my:$line was not hit in a function named $frame0" || return 1
    grep -qE "^#0 +$frame0 \\(.*\\) $at:$line\$" gdb.txt ||
        fail "frame #0 of the backtrace is not $frame0 at debug.my:$line" || return 1
    [ "$caller" = - ] || grep -qE "$frame$caller \\(.*\\) $at:[0-9]+\$" gdb.txt ||
        fail "no frame of debug.my named $caller below frame #0" || return 1
    grep -qE "${frame}main \\(.*\\) at [^ ]*debug\\.c:[0-9]+\$" gdb.txt ||
        fail "the backtrace does not reach main in debug.c" || return 1
}

# The DWARF of debug.my's object at -O$1: the compile unit (producer, file,
# absolute directory), the functions under their source names (the J and
# Jfwd transforms' with a suffix; the NAME_grad, NAME_vjp and NAME_jvp
# wrappers), and line-table rows with columns for the lines the breakpoints
# use.
t_dwarf() {
    local key=debug_$1
    myc_c_for "$key" || return 1
    dwarfdump --debug-info "$TMP/obj/$key.o" > info.txt || return 1
    dwarfdump --debug-line "$TMP/obj/$key.o" > line.txt || return 1
    local want
    for want in 'DW_AT_producer\s+\("myc [0-9.]+"\)' 'DW_AT_language\s+\(DW_LANG_C\)' \
                'DW_AT_name\s+\("debug\.my"\)' 'DW_AT_comp_dir\s+\("/' 'DW_AT_name\s+\("walk"\)' \
                'DW_AT_name\s+\("depth"\)' 'DW_AT_name\s+\("walk_grad"\)' 'DW_AT_name\s+\("walk:.* \[reverse\]"\)' \
                'DW_AT_name\s+\("walk_vjp"\)' 'DW_AT_name\s+\("walk_jvp"\)'; do
        grep -qE "$want" info.txt || { cat info.txt; fail "llvm-dwarfdump --debug-info: nothing matches '$want'"; } ||
            return 1
    done
    # at -O0 the forward mode's functions are there too (at -O2 LLVM may inline them away)
    if [ "$1" = O0 ] && ! grep -qE 'DW_AT_name\s+\("walk.* \[forward\]"\)' info.txt; then
        fail "llvm-dwarfdump --debug-info: no function of walk's forward mode ([forward])"
        return 1
    fi
    grep -qE 'name: "debug\.my"' line.txt || { cat line.txt; fail "the line table does not name debug.my"; } ||
        return 1
    local mark line
    for mark in walk depth; do
        line=$(break_line "$mark")
        # rows: address line column file ...; a row of this line with a column
        awk -v l="$line" '$1 ~ /^0x/ && $2 == l && $3 > 0 { found = 1 } END { exit !found }' line.txt ||
            { cat line.txt; fail "no line-table row for debug.my:$line with a column"; } || return 1
    done
}

# Without -g an object carries no debug information at all; with it, it
# does, and so do the assembly and the LLVM IR.
t_no_debug() {
    run "$MYC" -c "$ABI/debug.my" --grad=walk -o plain.o &&
    run "$MYC" -S -emit-llvm "$ABI/debug.my" --grad=walk -o plain.ll &&
    run "$MYC" -c -g "$ABI/debug.my" --grad=walk -o debug.o &&
    run "$MYC" -S -g "$ABI/debug.my" --grad=walk -o debug.s &&
    run "$MYC" -S -emit-llvm -g "$ABI/debug.my" --grad=walk -o debug.ll || return 1
    grep -qE '^\s*\.loc\s' debug.s || fail "myc -S -g wrote no .loc directive" || return 1
    grep -q 'DICompileUnit' debug.ll || fail "myc -S -emit-llvm -g wrote no DICompileUnit" || return 1
    readelf -S --wide plain.o > plain.txt && readelf -S --wide debug.o > debug.txt || return 1
    if grep -q '\.debug_' plain.txt; then
        cat plain.txt
        fail "myc -c without -g wrote debug sections"
        return 1
    fi
    if grep -qE 'llvm\.dbg|DISubprogram|DILocation' plain.ll; then
        fail "myc -S -emit-llvm without -g has debug metadata"
        return 1
    fi
    grep -q '\.debug_info' debug.txt && grep -q '\.debug_line' debug.txt ||
        { cat debug.txt; fail "myc -c -g wrote no .debug_info or .debug_line"; }
}

# unwind_prog O: ./unwind, unwind.cpp (C++) linked with unwind.my at -O$1.
unwind_prog() {
    local key=unwind_$1
    myc_c_for "$key" && expected unwind || return 1
    run cp "$TMP/obj/$key.h" unwind.h &&
    run "$CXX" $CXXFLAGS_TEST -I. $INCS -o unwind "$ABI/unwind.cpp" "$TMP/obj/$key.o" "$RT" -lm
}

# A C++ handler's exception propagates through generated code at -O$1.
t_unwind() {
    unwind_prog "$1" && run ./unwind
}

# fde_coverage EXE OBJ: every function OBJ defines lies, in the linked EXE,
# inside an FDE of .eh_frame (contract section 3: unwind tables).
fde_coverage() {
    local exe=$1 obj=$2
    readelf --debug-dump=frames "$exe" | sed -n 's/.* FDE .*pc=\([0-9a-f]*\)\.\.\([0-9a-f]*\).*/\1 \2/p' > fdes.txt
    nm --defined-only "$obj" | awk '$2 == "t" || $2 == "T" { print $3 }' | sort -u > funcs.txt
    nm "$exe" | awk '$2 == "t" || $2 == "T" { print $1, $3 }' > syms.txt
    [ -s funcs.txt ] || fail "nm finds no function in $obj" || return 1
    echo "functions of $(basename "$obj"): $(wc -l < funcs.txt), FDEs in $exe: $(wc -l < fdes.txt)"
    local f addr lo hi ok missing=
    while read -r f; do
        addr=$(awk -v n="$f" '$2 == n { print $1; exit }' syms.txt)
        [ -n "$addr" ] || { missing="$missing $f(not-in-$exe)"; continue; }
        ok=0
        while read -r lo hi; do
            if (( 16#$addr >= 16#$lo && 16#$addr < 16#$hi )); then
                ok=1
                break
            fi
        done < fdes.txt
        [ $ok = 1 ] || missing="$missing $f"
    done < funcs.txt
    [ -z "$missing" ] || fail "functions of $(basename "$obj") without unwind information:$missing"
}

# Every generated function has unwind tables, at -O0 (every unit a function
# of its own) and -O2, with and without -g.
t_unwind_tables() {
    unwind_prog O0 && fde_coverage unwind "$TMP/obj/unwind_O0.o" &&
    unwind_prog O2 && fde_coverage unwind "$TMP/obj/unwind_O2.o" &&
    debug_prog O0 && fde_coverage debug "$TMP/obj/debug_O0.o"
}

# make demo's program: samples/black_scholes.my's Greeks against their closed
# forms (samples/demo_main.c; scripts/demo builds it the same way).
t_demo() {
    run "$MYC" -c "$ROOT/samples/black_scholes.my" --grad=call_price --grad=delta --header=black_scholes.h \
        -o black_scholes.o &&
    run "$CC" -std=c11 -Wall -Wextra -Werror -O2 -I. -o demo "$ROOT/samples/demo_main.c" black_scholes.o "$RT" -lm &&
    run ./demo
}

# ---- the command line (contract section 2) --------------------------------------

# cli_fails STATUS PATTERN MENTION FILE.my ARG...: `myc -c FILE.my -o out.o
# --header=out.h ARG...` exits with STATUS, prints a line matching PATTERN
# (grep -E) on stderr that mentions MENTION, nothing on stdout, and leaves no
# file behind.
cli_fails() {
    local status=$1 pattern=$2 mention=$3 src=$4
    shift 4
    cp "$ABI/$src" .
    echo "\$ myc -c $src -o out.o --header=out.h $*"
    $TIMEOUT "$MYC" -c "$src" -o out.o --header=out.h "$@" > out.txt 2> err.txt
    local rc=$?
    echo "(exit status $rc)"
    echo "stdout:"; cat out.txt
    echo "stderr:"; cat err.txt
    local ok=0
    [ $rc = "$status" ] || { fail "expected exit status $status, got $rc"; ok=1; }
    grep -qE "$pattern" err.txt || { fail "expected stderr to match '$pattern'"; ok=1; }
    grep -qF -- "$mention" err.txt || { fail "expected stderr to mention '$mention'"; ok=1; }
    [ ! -s out.txt ] || { fail "expected nothing on stdout"; ok=1; }
    local left
    left=$(ls -A | grep -vxF -e "$src" -e out.txt -e err.txt)
    [ -z "$left" ] || { fail "files left behind: $(echo $left)"; ok=1; }
    return $ok
}

# What the contract says of the command line; the messages are not pinned
# yet, only their form: a usage error is `myc: error: MESSAGE` (status 2), an
# error in the source `FILE:LINE:COL: error: MESSAGE` (status 1).
USAGE='^myc: error: '
t_cli() {
    case $1 in
        grad-missing) cli_fails 2 "$USAGE" nope cli_targets.my --grad=nope ;;
        grad-private) cli_fails 2 "$USAGE" _private cli_targets.my --grad=_private ;;
        grad-tuple) cli_fails 2 "$USAGE" pair cli_targets.my --grad=pair ;;
        grad-int) cli_fails 2 "$USAGE" whole cli_targets.my --grad=whole ;;
        grad-bool) cli_fails 2 "$USAGE" positive cli_targets.my --grad=positive ;;
        grad-not-exported) cli_fails 2 "$USAGE--grad=takes_fn: 'takes_fn' cannot be exported: parameter 'f' is used as a function" \
                               takes_fn cli_targets.my --grad=takes_fn ;;
        grad-int-param) cli_fails 2 "$USAGE--grad=counts: 'counts' cannot be exported: parameter 'n' is used as an int: annotate it 'n: int'" \
                            counts cli_targets.my --grad=counts ;;
        grad-clash) cli_fails 2 "$USAGE" f_grad cli_grad_clash.my --grad=f ;;
        keyword-clash) cli_fails 1 '^cli_keyword_clash\.my:[0-9]+:[0-9]+: error: ' auto_ cli_keyword_clash.my ;;
        header-needs-c) cli_needs_c --header=out.h ;;
        grad-needs-c) cli_needs_c --grad=ok ;;
        prefix-needs-c) cli_needs_c --prefix=p_ ;;
        g-needs-c) cli_needs_c -g ;;
        grad-twice) cli_fails 2 "$USAGE" ok cli_targets.my --grad=ok --grad=ok ;;
        # --vjp= and --jvp=, with their exact messages
        vjp-missing) cli_fails 2 "^myc: error: --vjp=nope: no function named 'nope' in 'cli_targets\.my'\$" nope \
            cli_targets.my --vjp=nope ;;
        jvp-missing) cli_fails 2 "^myc: error: --jvp=nope: no function named 'nope' in 'cli_targets\.my'\$" nope \
            cli_targets.my --vjp=ok --jvp=nope ;;
        vjp-private) cli_fails 2 \
            "^myc: error: --vjp=_private: '_private' is private \(its name starts with '_'\) and is not exported\$" \
            _private cli_targets.my --vjp=_private ;;
        jvp-not-exported) cli_fails 2 \
            "^myc: error: --jvp=takes_fn: 'takes_fn' cannot be exported: parameter 'f' is used as a function, which C cannot pass: 'takes_fn' is not exported\$" \
            takes_fn cli_targets.my --jvp=takes_fn ;;
        vjp-returns-fn) cli_fails 2 \
            "^myc: error: --vjp=h: 'h' cannot be exported: 'h' returns a function, which C cannot receive: it is not exported\$" \
            h cli_vjp_clash.my --vjp=h ;;
        vjp-clash) cli_fails 2 \
            "^myc: error: --vjp=f: the C name 'f_vjp' is also the name of another exported function\$" \
            f_vjp cli_vjp_clash.my --vjp=f ;;
        jvp-clash) cli_fails 2 \
            "^myc: error: --jvp=g: the C name 'g_jvp' is also the name of another exported function\$" \
            g_jvp cli_vjp_clash.my --jvp=f --jvp=g ;;
        vjp-prefix-clash) cli_fails 2 \
            "^myc: error: --vjp=f: the C name 'p_f_vjp' is also the name of another exported function\$" \
            p_f_vjp cli_vjp_clash.my --prefix=p_ --jvp=f --vjp=f ;;
        vjp-twice) cli_fails 2 "^myc: error: --vjp=pair is given twice\$" pair cli_targets.my --vjp=pair --jvp=pair \
            --vjp=pair ;;
        vjp-needs-c) cli_needs_c --vjp=ok ;;
        jvp-needs-c) cli_needs_c --jvp=pair ;;
    esac
}

# --header, --grad, --prefix, -g without -c or -S: a usage error, nothing written.
cli_needs_c() {
    cp "$ABI/cli_targets.my" .
    echo "\$ myc cli_targets.my $*"
    $TIMEOUT "$MYC" cli_targets.my "$@" > out.txt 2> err.txt
    local rc=$?
    echo "(exit status $rc)"; cat out.txt err.txt
    [ $rc = 2 ] || fail "expected exit status 2, got $rc" || return 1
    grep -qE "$USAGE" err.txt || fail "expected stderr to match '$USAGE'" || return 1
    local left
    left=$(ls -A | grep -vxF -e cli_targets.my -e out.txt -e err.txt)
    [ -z "$left" ] || fail "files left behind: $(echo $left)"
}

# The files myc writes are made as other compilers make theirs: mode
# 0666 less the umask (0644 under umask 022), not private to their owner.
t_cli_output_mode() {
    cp "$ABI/cli_targets.my" .
    (umask 022 && run "$MYC" -c cli_targets.my -o out.o --header=out.h) || return 1
    local f mode
    for f in out.o out.h; do
        mode=$(stat -c %a "$f")
        [ "$mode" = 644 ] || fail "$f has mode $mode under umask 022; expected 644" || return 1
    done
}

# myc run accepts -g (the same module, with debug information): same result.
t_cli_run_g() {
    local plain with_g
    plain=$(run "$MYC" run "$ABI/debug.my" walk 1.5 4) && with_g=$(run "$MYC" run -g "$ABI/debug.my" walk 1.5 4) ||
        return 1
    echo "$plain"; echo "$with_g"
    [ "$(echo "$plain" | tail -n 1)" = "$(echo "$with_g" | tail -n 1)" ] ||
        fail "myc run -g printed another result than myc run"
}

# Default output names: the source's base name with .o (or .s), in the
# current directory.
t_cli_default_output() {
    mkdir -p src here
    cp "$ABI/cli_targets.my" src/
    (cd here && run "$MYC" -c ../src/cli_targets.my) || return 1
    [ -s here/cli_targets.o ] || fail "myc -c ../src/cli_targets.my wrote no ./cli_targets.o" || return 1
    [ ! -e src/cli_targets.o ] || fail "myc -c wrote next to the source, not in the current directory" || return 1
    (cd here && run "$MYC" -S ../src/cli_targets.my) || return 1
    [ -s here/cli_targets.s ] || fail "myc -S ../src/cli_targets.my wrote no ./cli_targets.s"
}

# ---- the plan ------------------------------------------------------------------------

if [ ! -x "$MYC" ]; then
    echo "run.sh: no myc at $MYC (build it with make)" >&2
    exit 1
fi
if [ ! -f "$RT" ]; then
    echo "run.sh: no runtime library at $RT (build it with make)" >&2
    exit 1
fi

# Expected values first: they need only the interpreter.
for base in tuples grads names two_a two_b two_c errors threads stack vectors lists list_grads debug unwind; do
    test_case "expected:$base" t_expected "$base"
done

# The command line: compiler-independent.
for c in grad-missing grad-private grad-tuple grad-int grad-bool grad-not-exported grad-int-param grad-clash grad-twice \
         keyword-clash header-needs-c grad-needs-c prefix-needs-c vjp-missing jvp-missing vjp-private \
         jvp-not-exported vjp-returns-fn vjp-clash jvp-clash vjp-prefix-clash vjp-twice vjp-needs-c jvp-needs-c \
         g-needs-c; do
    test_case "cli:$c" t_cli "$c"
done
test_case "cli:run-g" t_cli_run_g
test_case "cli:output-mode" t_cli_output_mode
test_case "cli:default-output" t_cli_default_output
test_case "symbols:grads" t_symbols
test_case "arena-elision" t_arena_elision
test_case "list-copies" t_list_copies
test_case "machine-invariants" t_machine_invariants
test_case "no-debug-info-without-g" t_no_debug
test_case "llvm-text" t_llvm_text
test_case "dwarf-O0" t_dwarf O0
test_case "dwarf-O2" t_dwarf O2

MISSING=0
FIRST_CC=
for CC in $CCS; do
    case $CC in
        gcc) CXX=g++ ;;
        clang) CXX=clang++ ;;
        cc) CXX=c++ ;;
        *) CXX=${CXX:-c++} ;;
    esac
    if ! command -v "$CC" > /dev/null || ! command -v "$CXX" > /dev/null; then
        echo "SKIP  everything [$CC]: $CC or $CXX is not installed"
        MISSING=1
        continue
    fi
    export CC CXX
    [ -n "$FIRST_CC" ] || FIRST_CC=$CC
    for key in tuples grads names pfx_names two_a two_b two_c errors threads stack_O2 vectors_O2 pfx_vectors lists_O2 \
               list_grads_O2 debug_O2 unwind_O2; do
        test_case "header:$key[$CC]" t_header "$key"
    done
    test_case "tuples[$CC]" t_tuples
    test_case "pie[$CC]" t_pie
    test_case "grads[$CC]" t_grads
    test_case "names[$CC]" t_names
    test_case "c++[$CXX]" t_cxx
    test_case "two-objects[$CC]" t_two_objects
    test_case "shared-lib[$CC]" t_shared_lib
    test_case "errors-handler[$CC]" t_errors_handler
    test_case "errors-handler-at[$CC]" t_errors_handler_at
    test_case "errors-abort[$CC]" t_errors_abort
    test_case "myrt-c89-c++98[$CC]" t_myrt_old_standards
    test_case "threads[$CC]" t_threads
    test_case "stack-loop-O0[$CC]" t_stack_loop O0
    test_case "stack-loop-O2[$CC]" t_stack_loop O2
    test_case "stack-recursion-O0[$CC]" t_stack_rec O0
    test_case "stack-recursion-O2[$CC]" t_stack_rec O2
    test_case "myrt-standards[$CC]" t_myrt_standards
    test_case "nesting-O0[$CC]" t_nesting O0
    test_case "nesting-O2[$CC]" t_nesting O2
    test_case "demo[$CC]" t_demo
    test_case "vectors-O0[$CC]" t_vectors O0
    test_case "vectors-O2[$CC]" t_vectors O2
    test_case "vectors-O0[$CXX]" t_vectors O0 c++
    test_case "vectors-O2[$CXX]" t_vectors O2 c++
    test_case "vectors-prefix[$CC]" t_vectors_prefix
    test_case "lists-O0[$CC]" t_lists O0
    test_case "lists-O2[$CC]" t_lists O2
    test_case "lists-O2[$CXX]" t_lists O2 c++
    test_case "list-grads-O0[$CC]" t_list_grads O0
    test_case "list-grads-O2[$CC]" t_list_grads O2
    test_case "list-grads-O2[$CXX]" t_list_grads O2 c++
    test_case "list-scaling[$CC]" t_list_scaling
    test_case "unwind-O0[$CXX]" t_unwind O0
    test_case "unwind-O2[$CXX]" t_unwind O2
    test_case "unwind-tables[$CC]" t_unwind_tables
done

if [ -n "$FIRST_CC" ]; then
    CC=$FIRST_CC
    # gdb: once, with the first compiler (the objects are myc's)
    test_case "gdb-O0:walk[$CC]" t_gdb O0 plain walk walk walk
    test_case "gdb-O0:depth[$CC]" t_gdb O0 plain depth depth depth
    test_case "gdb-O0:walk_grad[$CC]" t_gdb O0 grad walk 'walk:[^(]* \[reverse\]' walk_grad
    test_case "gdb-O2:walk[$CC]" t_gdb O2 plain walk walk walk
    test_case "gdb-O2:depth[$CC]" t_gdb O2 plain depth depth depth
    # (at -O2 a line of the gradient's code may be hit only where gdb does not
    # put the breakpoint: the backward pass is checked by name, in the DWARF)
    test_case "gdb-O2:walk_grad[$CC]" t_gdb O2 grad def:walk walk_grad -
    if [ "$VALGRIND" = 1 ] && command -v valgrind > /dev/null; then
        for prog in grads tuples errors_handler errors_handler_at vectors lists list_grads unwind; do
            test_case "valgrind:$prog[$CC]" t_valgrind "$prog"
        done
    else
        echo "SKIP  valgrind: not installed (or --no-valgrind)"
    fi
fi

echo "$PASSED passed, $FAILED failed"
if [ "$FAILED" != 0 ]; then
    echo "failed: ${FAILED_NAMES[*]}"
    exit 1
fi
[ "$MISSING" = 0 ] || exit 1
exit 0
