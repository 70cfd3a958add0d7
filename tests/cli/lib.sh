# Shared by the tests/cli/test_*.sh scripts (sourced, not run): the tool under test, a scratch directory,
# the pass counter, failing with a plain closing line, and running the tool with its output captured.
# $1 of the sourcing script is the asyncz binary.

ASYNCZ=${1:?usage: $(basename "$0") ASYNCZ_BINARY}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0

fail() {
    echo "FAIL: $*" >&2
    echo "$passed passed, 1 failed"
    exit 1
}

# run ARGS...: run the tool; sets $out, $err and $rc.
run() {
    rc=0
    "$ASYNCZ" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}
