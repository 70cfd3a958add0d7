#!/usr/bin/env bash
# The shared library exports the public asyncz_* API and nothing else (hidden visibility + export list).
set -euo pipefail
dir=$(dirname "$1")
lib=$(ls "$dir"/libasyncz.so.* 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "no libasyncz.so.* next to $1"; exit 1; }
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRB]$/ {sub(/@.*/, "", $3); print $3}')
stray=$(printf '%s\n' "$exported" | grep -v '^asyncz_' || true)
if [ -n "$stray" ]; then
    echo "symbols exported that are not public API:"; echo "$stray"; exit 1
fi
for sym in asyncz_version asyncz_strerror asyncz_trigger_next asyncz_zone_get asyncz_time_parse; do
    [[ $'\n'"$exported"$'\n' == *$'\n'"$sym"$'\n'* ]] || { echo "public symbol $sym is not exported"; exit 1; }
done
echo "$(printf '%s\n' "$exported" | wc -l) public symbols exported, none internal"
echo "1 passed, 0 failed"
