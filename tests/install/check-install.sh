#!/usr/bin/env bash
# check-install.sh: `make install` and `make uninstall` work, and what they
# install is usable: a C program (and a C++ one, when g++ is there) builds
# against the installed runtime with `pkg-config --cflags --libs myrt` and
# runs, the installed myc runs, the man page renders without warnings.
#
# Assumes: run from anywhere after `make all` (the Makefile's install-check
# target does both); MAKE names the make to use (default: make).
# Guarantees: touches nothing outside a temporary directory, which it
# removes; exits non-zero with a message on the first failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
make_cmd=${MAKE:-make}
cc_cmd=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/myc-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() { echo "check-install: FAIL: $*" >&2; exit 1; }
step() { echo "check-install: $*"; }

prefix=$tmp/prefix
files=(bin/myc lib/libmyrt.a include/myrt.h share/man/man1/myc.1 lib/pkgconfig/myrt.pc)

# ---- make install PREFIX=... ----------------------------------------------------
step "make install PREFIX=$prefix"
"$make_cmd" -s -C "$root" install PREFIX="$prefix" >/dev/null
for f in "${files[@]}"; do
  [ -f "$prefix/$f" ] || fail "$prefix/$f was not installed"
done
[ -x "$prefix/bin/myc" ] || fail "bin/myc is not executable"
grep -qx "prefix=$prefix" "$prefix/lib/pkgconfig/myrt.pc" || fail "myrt.pc does not name the prefix"

# ---- the installed myc ------------------------------------------------------------
step "installed myc --version"
version=$("$prefix/bin/myc" --version) || fail "installed myc --version failed"
version=$(printf '%s\n' "$version" | sed -n 1p)   # then LLVM's version and the target
case $version in
  "myc version "*) ;;
  *) fail "unexpected --version output: $version" ;;
esac

# ---- pkg-config -----------------------------------------------------------------------
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc_version=$(pkg-config --modversion myrt) || fail "pkg-config does not find myrt"
[ "myc version $pc_version" = "$version" ] || fail "myrt.pc says $pc_version, myc says '$version'"
flags=$(pkg-config --cflags --libs myrt)
case $flags in
  *"-I$prefix/include"*"-L$prefix/lib"*"-lmyrt"*"-lm"*) ;;
  *) fail "unexpected pkg-config flags: $flags" ;;
esac

# ---- a C program against the installed runtime -------------------------------------------
step "a C program built with \$(pkg-config --cflags --libs myrt)"
cat > "$tmp/use_myrt.c" <<'EOF'
/* Uses the installed runtime: an arena, and error handlers (the original
   kind and the located one) that longjmp. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <myrt.h>

static jmp_buf back;
static char seen[64];

static void handler(const char *message)
{
    strncpy(seen, message, sizeof seen - 1);
    longjmp(back, 1);
}

static void handler_at(const char *message, const char *file, int line, int col)
{
    snprintf(seen, sizeof seen, "%s:%d:%d: %s", file, line, col, message);
    longjmp(back, 1);
}

int main(void)
{
    myrt_arena a;
    myrt_arena_enter(&a);
    double *xs = myrt_alloc(&a, 1000 * sizeof *xs);
    double sum = 0;
    for (int i = 0; i < 1000; i++)
        xs[i] = i;
    for (int i = 0; i < 1000; i++)
        sum += xs[i];
    myrt_arena_leave(&a);
    myrt_stats st;
    myrt_last_stats(&st);
    if (sum != 499500.0 || st.arena_bytes != 8000)
        return 1;
    myrt_set_error_handler(handler);
    if (setjmp(back) == 0) {
        myrt_arena_enter(&a);
        myrt_alloc(&a, 16);
        myrt_runtime_error("integer division or modulo by zero");
    }
    if (strcmp(seen, "integer division or modulo by zero") != 0)
        return 2;
    myrt_set_error_handler(NULL);
    myrt_set_error_handler_at(handler_at);
    static const myrt_source_loc where = {"prog.my", 3, 14};
    if (setjmp(back) == 0)
        myrt_runtime_error_at("integer modulo by zero", &where);
    if (strcmp(seen, "prog.my:3:14: integer modulo by zero") != 0)
        return 3;
    puts("ok");
    return 0;
}
EOF
# shellcheck disable=SC2086  # the flags are words
"$cc_cmd" -std=c11 -Wall -Wextra -Werror "$tmp/use_myrt.c" -o "$tmp/use_myrt" $flags \
  || fail "cannot build a C program against the installed runtime"
[ "$("$tmp/use_myrt")" = ok ] || fail "the C program against the installed runtime failed"

# The header is usable from C++ too, and the library links into a shared object.
if command -v g++ >/dev/null 2>&1; then
  step "myrt.h from C++"
  printf '#include <myrt.h>\nint main() { myrt_arena a; myrt_arena_enter(&a); myrt_alloc(&a, 1); myrt_arena_leave(&a); return sizeof a == MYRT_ARENA_SIZE ? 0 : 1; }\n' \
    > "$tmp/use_myrt.cc"
  # shellcheck disable=SC2086
  g++ -std=c++11 -Wall -Wextra -Werror "$tmp/use_myrt.cc" -o "$tmp/use_myrt_cc" $flags \
    || fail "cannot build a C++ program against the installed runtime"
  "$tmp/use_myrt_cc" || fail "the C++ program against the installed runtime failed"
fi
step "libmyrt.a in a shared library"
printf '#include <myrt.h>\nvoid *grab(myrt_arena *a) { return myrt_alloc(a, 32); }\n' > "$tmp/shared.c"
# shellcheck disable=SC2086
"$cc_cmd" -std=c11 -shared -fPIC "$tmp/shared.c" -o "$tmp/libshared.so" $flags \
  || fail "libmyrt.a cannot be linked into a shared library (is it built with -fPIC?)"

# ---- the build recipes of docs/language.md §12, as the docs write them ------------------------
# recipe NAME: the code block after docs/language.md's `<!-- recipe: NAME` line.
recipe() {
  awk -v name="$1" '
    index($0, "<!-- recipe: " name " ") == 1 { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$root/docs/language.md"
}
step "the Makefile and CMake recipes of docs/language.md"
export PATH=$prefix/bin:$PATH
for kind in Makefile CMakeLists.txt; do
  proj=$tmp/recipe_$kind
  mkdir -p "$proj"
  recipe "$kind" > "$proj/$kind"
  [ -s "$proj/$kind" ] || fail "docs/language.md has no '$kind' recipe"
  printf 'def loss(w, b):\n    return (w * 2.0 + b - 1.0) ** 2\n' > "$proj/model.my"
  printf '#include <stdio.h>\n#include "model.h"\nint main(void)\n{\n    double dw, db;\n    double l = loss_grad(1.0, 0.5, &dw, &db);\n    printf("%%g %%g %%g\\n", l, dw, db);\n    return 0;\n}\n' > "$proj/main.c"
  if [ "$kind" = Makefile ]; then
    (cd "$proj" && "$make_cmd" -s main >/dev/null 2>"$tmp/recipe.err") ||
      fail "the Makefile recipe does not build: $(cat "$tmp/recipe.err")"
    bin=$proj/main
    # a change to the source rebuilds the object; an unchanged header leaves main.o alone
    touch -d '-2 minutes' "$proj/main.c"
    touch -d '-1 minute' "$proj/main.o" "$proj/model.h" "$proj/model.o"
    old_main_o=$(stat -c %Y "$proj/main.o")
    old_model_o=$(stat -c %Y "$proj/model.o")
    printf 'def loss(w, b):\n    return (w * 2.0 + b - 1.0) ** 2 + 0.0\n' > "$proj/model.my"
    (cd "$proj" && "$make_cmd" -s main >/dev/null 2>&1) || fail "the Makefile recipe does not rebuild"
    [ "$(stat -c %Y "$proj/model.o")" != "$old_model_o" ] || fail "the Makefile recipe did not rebuild model.o"
    [ "$(stat -c %Y "$proj/main.o")" = "$old_main_o" ] ||
      fail "the Makefile recipe rebuilt main.o although model.h did not change"
  else
    (cd "$proj" && cmake -S . -B build >/dev/null 2>"$tmp/recipe.err" && cmake --build build >/dev/null 2>>"$tmp/recipe.err") ||
      fail "the CMake recipe does not build: $(cat "$tmp/recipe.err")"
    bin=$proj/build/main
  fi
  [ "$("$bin")" = "2.25 6 3" ] || fail "the $kind recipe's program printed '$("$bin")', not '2.25 6 3'"
done

# ---- the man page ------------------------------------------------------------------------------
if command -v groff >/dev/null 2>&1; then
  step "the man page renders without warnings"
  warnings=$(groff -ww -man -z "$prefix/share/man/man1/myc.1" 2>&1)
  [ -z "$warnings" ] || fail "groff warns about myc.1: $warnings"
fi

# ---- make uninstall ----------------------------------------------------------------------------
step "make uninstall"
"$make_cmd" -s -C "$root" uninstall PREFIX="$prefix" >/dev/null
for f in "${files[@]}"; do
  [ ! -e "$prefix/$f" ] || fail "$prefix/$f is still there after uninstall"
done

# ---- DESTDIR staging: files under DESTDIR, paths in them without it ------------------------------
step "make install DESTDIR=... PREFIX=/opt/myc"
stage=$tmp/stage
"$make_cmd" -s -C "$root" install DESTDIR="$stage" PREFIX=/opt/myc >/dev/null
for f in "${files[@]}"; do
  [ -f "$stage/opt/myc/$f" ] || fail "$stage/opt/myc/$f was not staged"
done
grep -qx "prefix=/opt/myc" "$stage/opt/myc/lib/pkgconfig/myrt.pc" || fail "staged myrt.pc names the wrong prefix"

step "all good"
