# Shared by the tests of the task-management commands (tests/cli/test_cmd_*.sh and servers_cmds.sh);
# sourced after lib.sh. Times are shown in UTC and triggers start in 2030, so every expected value is exact.

export TZ=UTC
# MONGOC_DISABLE_SHM=1 comes from the tests' environment (tests/CMakeLists.txt says why); also when these
# scripts are run by hand.
export MONGOC_DISABLE_SHM=1
unset ASYNCZ_STORE ASYNCZ_STORE_ENCRYPTION_KEY NO_COLOR COLUMNS
FIXTURE=${ASYNCZ_CLI_FIXTURE:-$(dirname "$ASYNCZ")/tests/asyncz-cli-fixture}

# store_url KIND NAME: a fresh store of KIND (sqlite or file) in $TMP.
store_url() {
    case $1 in
    sqlite) echo "sqlite:///$TMP/$2.db" ;;
    file) echo "file://$TMP/$2" ;;
    *) fail "store_url: unknown kind $1" ;;
    esac
}

# ok NAME ARGS...: the tool must exit 0 with nothing on stderr; sets $out.
ok() {
    local name=$1
    shift
    run "$@"
    [[ $rc -eq 0 ]] || fail "$name: expected exit 0, got $rc (stderr: $err)"
    [[ -z $err ]] || fail "$name: unexpected stderr: $err"
    passed=$((passed + 1))
}

# expect NAME STATUS 'STDERR GLOB' ARGS...: exit STATUS, empty stdout, stderr matching the glob.
expect() {
    local name=$1 status=$2 pattern=$3
    shift 3
    run "$@"
    [[ $rc -eq $status ]] || fail "$name: expected exit $status, got $rc (stdout: $out, stderr: $err)"
    [[ -z $out ]] || fail "$name: stdout not empty: $out"
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $err == $pattern ]] || fail "$name: stderr does not match '$pattern': $err"
    passed=$((passed + 1))
}

# same NAME EXPECTED ACTUAL
same() {
    [[ $3 == "$2" ]] || fail "$1: expected
$2
got
$3"
    passed=$((passed + 1))
}

# json EXPR: evaluate the Python expression EXPR on the JSON document in $out (bound to d); prints it.
json() {
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" <<<"$out" ||
        fail "not JSON or bad expression $1: $out"
}

# is_json NAME: $out parses as one JSON document.
is_json() {
    python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out" || fail "$1: not JSON: $out"
    passed=$((passed + 1))
}
