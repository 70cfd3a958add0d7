#!/usr/bin/env bash
# Run an example program and check what it printed: run-example.sh PROGRAM PATTERN...
# Passes when the program exits with status 0 and every extended regular expression matches a line of its
# output (stdout and stderr together). The output is always shown, so a failure can be read in the CI log.
set -uo pipefail
prog=$1
shift
out=$("$prog" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" -ne 0 ]; then
    echo "FAIL: $(basename "$prog") exited with status $status"
    exit 1
fi
for pattern in "$@"; do
    if ! grep -Eq -- "$pattern" <<<"$out"; then
        echo "FAIL: $(basename "$prog") printed no line matching: $pattern"
        exit 1
    fi
done
echo "PASS: $(basename "$prog") ($# patterns)"
