#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a library, headers, asyncz.pc and the man page with which
# the README's example program compiles (through pkg-config) and runs, shared and static.
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
echo "2 passed, 0 failed"
