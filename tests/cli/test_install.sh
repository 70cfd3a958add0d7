#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a library, headers, asyncz.pc and the man page with which
# the README's example program compiles (through pkg-config) and runs, shared and static; asyncz.pc works
# on its own, and the installed tool runs without LD_LIBRARY_PATH.
set -euo pipefail
build=$(cd "$(dirname "$1")" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in include/asyncz.h include/asyncz/trigger.h include/asyncz/version.h lib/pkgconfig/asyncz.pc \
         share/man/man1/asyncz.1 bin/asyncz; do
    [ -e "$tmp/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
# The first C block of the README is the example program.
awk '/^```c$/ {on=1; next} /^```$/ && on {exit} on' "$src/README.md" > "$tmp/example.c"
[ -s "$tmp/example.c" ] || { echo "no C example in README.md"; exit 1; }
extra=()
symbols=$(nm -D "$tmp"/prefix/lib/libasyncz.so)
if [[ "$symbols" == *__asan_init* ]]; then extra=(-fsanitize=address,undefined); fi
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
cc -Wall -Wextra -Werror "${extra[@]}" "$tmp/example.c" $(pkg-config --cflags --libs asyncz) -o "$tmp/shared"
want=$'hello, asyncz (run 1)\nhello, asyncz (run 2)\nhello, asyncz (run 3)'
out=$(LD_LIBRARY_PATH=$tmp/prefix/lib "$tmp/shared")
[[ "$out" == "$want" ]] || { echo "unexpected output: $out"; exit 1; }
cc -Wall -Wextra -Werror "${extra[@]}" "$tmp/example.c" $(pkg-config --cflags asyncz) \
   "$tmp/prefix/lib/libasyncz.a" $(pkg-config --static --libs-only-l asyncz | sed 's/-lasyncz//') -o "$tmp/static"
out=$("$tmp/static")
[[ "$out" == "$want" ]] || { echo "unexpected output (static): $out"; exit 1; }

# asyncz.pc ends with a newline, and needs nothing but itself: the headers include only libc, so --cflags
# and the shared --libs work with no other .pc file at all (not every store's -dev package); the static
# link's dependencies are in Libs.private as -l flags.
pc=$tmp/prefix/lib/pkgconfig/asyncz.pc
[[ $(tail -c 1 "$pc" | od -An -c | tr -d ' ') == '\n' ]] || { echo "asyncz.pc does not end with a newline"; exit 1; }
! grep -q '^Requires' "$pc" || { echo "asyncz.pc requires other modules: $(grep '^Requires' "$pc")"; exit 1; }
cflags=$(PKG_CONFIG_LIBDIR=$tmp/prefix/lib/pkgconfig pkg-config --cflags asyncz) ||
    { echo "pkg-config --cflags asyncz needs more than asyncz.pc"; exit 1; }
# read -r: pkg-config ends its output with a blank; the paths go through the relocatable ${pcfiledir}/../..
read -r -a words <<<"$cflags"
[[ ${#words[@]} -eq 1 && ${words[0]} == -I* && $(cd "${words[0]#-I}" && pwd -P) == "$(cd "$tmp/prefix/include" && pwd -P)" ]] ||
    { echo "unexpected --cflags: $cflags"; exit 1; }
libs=$(PKG_CONFIG_LIBDIR=$tmp/prefix/lib/pkgconfig pkg-config --libs asyncz) ||
    { echo "pkg-config --libs asyncz needs more than asyncz.pc"; exit 1; }
read -r -a words <<<"$libs"
[[ ${#words[@]} -eq 2 && ${words[0]} == -L* && ${words[1]} == -lasyncz &&
    $(cd "${words[0]#-L}" && pwd -P) == "$(cd "$tmp/prefix/lib" && pwd -P)" ]] || { echo "unexpected --libs: $libs"; exit 1; }
static=$(PKG_CONFIG_LIBDIR=$tmp/prefix/lib/pkgconfig pkg-config --static --libs asyncz)
for l in -lasyncz -lpthread -lm -ljansson -lcrypto; do
    [[ " $static " == *" $l "* ]] || { echo "--static --libs lacks $l: $static"; exit 1; }
done
cc -Wall -Wextra -Werror "${extra[@]}" "$tmp/example.c" $cflags $libs -o "$tmp/shared-pc-only"
out=$(LD_LIBRARY_PATH=$tmp/prefix/lib "$tmp/shared-pc-only")
[[ "$out" == "$want" ]] || { echo "unexpected output (asyncz.pc alone): $out"; exit 1; }

# The installed tool finds its library in any prefix without LD_LIBRARY_PATH (an $ORIGIN-relative
# RUNPATH), also once the prefix is moved elsewhere.
out=$(env -u LD_LIBRARY_PATH "$tmp/prefix/bin/asyncz" version) || { echo "installed asyncz does not run: $out"; exit 1; }
[[ $out == "asyncz "* ]] || { echo "installed asyncz version: $out"; exit 1; }
runpath=$(readelf -d "$tmp/prefix/bin/asyncz" | grep -E 'R(UN)?PATH' || true)
[[ $runpath == *'[$ORIGIN/../lib]'* ]] || { echo "installed asyncz: no \$ORIGIN RUNPATH: $runpath"; exit 1; }
[[ $runpath != *"$build"* ]] || { echo "installed asyncz keeps the build tree's RUNPATH: $runpath"; exit 1; }
mv "$tmp/prefix" "$tmp/moved"
out=$(env -u LD_LIBRARY_PATH "$tmp/moved/bin/asyncz" version --json) || { echo "moved asyncz does not run: $out"; exit 1; }
mv "$tmp/moved" "$tmp/prefix"
echo "4 passed, 0 failed"
