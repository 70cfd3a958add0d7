#!/usr/bin/env bash
# Every C code block of the runtime's concept pages either compiles on its own or is an exact excerpt of an
# example program. A block preceded by the line `<!-- excerpt: examples/NAME.c -->` must appear verbatim in
# that file (which CI builds and runs); any other ```c block is compiled as a translation unit of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$(dirname "$ASYNCZ")" && pwd)
pages=(docs/scheduler.md docs/executors.md docs/events.md docs/loop-integration.md)

# Split a page into $TMP/blocks/N.c, with N.from naming the example file for excerpts.
split_blocks() {
    rm -rf "$TMP/blocks"
    mkdir -p "$TMP/blocks"
    awk -v dir="$TMP/blocks" '
        /^<!-- excerpt: [^ ]+ -->$/ { from = $3; next }
        /^```c$/ { n++; file = dir "/" n ".c"; printf "" > file; if (from != "") print from > (dir "/" n ".from"); on = 1; next }
        /^```/ && on { on = 0; close(file); from = ""; next }
        on { print >> file; next }
        { from = "" }
    ' "$1"
}

check_block() {
    local page=$1 block=$2
    if [ -f "${block%.c}.from" ]; then
        local from
        from=$(cat "${block%.c}.from")
        perl -0777 -e 'open my $a, "<", $ARGV[0] or exit 2; open my $b, "<", $ARGV[1] or exit 2;
                       my ($x, $y) = (<$a>, <$b>); exit(index($y, $x) < 0 ? 1 : 0)' "$block" "$src/$from" ||
            fail "$page: block $(basename "$block") is not an excerpt of $from"
    else
        cc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unused-function \
           -I"$src/include" -I"$build/include" -c "$block" -o "$TMP/block.o" 2>"$TMP/cc.err" ||
            { cat "$TMP/cc.err" >&2; fail "$page: block $(basename "$block") does not compile"; }
    fi
    passed=$((passed + 1))
}

for page in "${pages[@]}"; do
    [ -f "$src/$page" ] || fail "missing page $page"
    split_blocks "$src/$page"
    for block in "$TMP"/blocks/*.c; do
        [ -e "$block" ] || continue
        check_block "$page" "$block"
    done
done
echo "$passed passed, 0 failed"
