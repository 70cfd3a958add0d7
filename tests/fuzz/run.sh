#!/usr/bin/env bash
# Run every built libFuzzer target for a few seconds from its kept corpus (tests/fuzz/corpus/<name>).
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS. Fails when a fuzzer finds a crash, or when there is none.
set -euo pipefail
build=$1 seconds=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
shopt -s nullglob
fuzzers=("$build"/tests/fuzz/fuzz_*)
[ ${#fuzzers[@]} -gt 0 ] || { echo "no fuzz targets in $build/tests/fuzz"; exit 1; }
failed=0 passed=0
for f in "${fuzzers[@]}"; do
    name=$(basename "$f"); corpus=$here/corpus/${name#fuzz_}
    work=$(mktemp -d); log=$(mktemp)
    mkdir -p "$corpus"
    echo "== $name (${seconds}s, corpus $corpus)"
    # New inputs go to a scratch directory so the kept corpus only changes on purpose.
    if "$f" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$work/" "$work" "$corpus" >"$log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|#[0-9]+ +DONE)' "$log" | tail -n 2
        passed=$((passed + 1))
    else
        tail -n 40 "$log"; echo "FAILED: $name (artifacts in $work)"; failed=$((failed + 1)); continue
    fi
    rm -rf "$work" "$log"
done
echo "fuzz targets: $passed clean, $failed crashed"
[ "$failed" = 0 ]
