#!/usr/bin/env bash
# servers.sh's failure paths: a server that exits at once or never answers fails `start`, which then stops
# what it had started and leaves no process, temporary directory or env file behind; refused commands say
# why; `run` stops everything after its command. It starts servers of its own (a fake FerretDB makes the
# start fail), so it needs no fixture.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SERVERS_SH=$(dirname "$0")/servers.sh
TMP=$(mktemp -d)
trap 'bash "$SERVERS_SH" stop "$TMP/state" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

# fake_ferretdb BODY: a FerretDB stand-in that reports the expected version and then runs BODY.
fake_ferretdb() {
    printf '#!/bin/sh\n[ "$1" = --version ] && { echo "version: %s"; exit 0; }\n%s\n' \
        "${ASYNCZ_FERRETDB_VERSION:-v1.24.0}" "$1" >"$TMP/ferretdb"
    chmod 755 "$TMP/ferretdb"
}

# start_fails WHAT: run start with the fake, which must fail; $err holds its standard error.
start_fails() {
    local rc=0
    ASYNCZ_FERRETDB=$TMP/ferretdb ASYNCZ_SERVERS_WAIT=3 bash "$SERVERS_SH" start "$TMP/state" \
        >"$TMP/out" 2>"$TMP/err" || rc=$?
    err=$(cat "$TMP/err")
    [ "$rc" = 1 ] || fail "$1: start exited with $rc, not 1; stderr: $err"
    pass
}

# nothing_left: every process start logged is gone, and so are its temporary directory and files.
nothing_left() {
    local dir pid
    dir=$(sed -n 's/^servers.sh: starting the servers in //p' "$TMP/err")
    [ -n "$dir" ] || fail "start did not say where it started the servers"
    [ ! -e "$dir" ] || fail "$dir is left behind"
    for pid in $(sed -n 's/^servers.sh: [A-Za-z-]*: pid \([0-9]*\),.*/\1/p' "$TMP/err"); do
        if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ]; then
            fail "pid $pid is still running: $(ps -o args= -p "$pid")"
        fi
    done
    [ "$(sed -n 's/^servers.sh: [A-Za-z-]*: pid \([0-9]*\),.*/\1/p' "$TMP/err" | wc -l)" = 4 ] ||
        fail "start did not log the four launches: $(cat "$TMP/err")"
    [ ! -e "$TMP/state/env" ] && [ ! -e "$TMP/state/state" ] || fail "the state files are left behind"
    pass
}

fake_ferretdb 'echo "fake ferretdb: address already in use" >&2; exit 1'
start_fails "a server that exits"
[[ "$err" == *"FerretDB exited before accepting connections; the end of "*"/ferretdb.log:"* ]] ||
    fail "no reason given: $err"
[[ "$err" == *"fake ferretdb: address already in use"* ]] || fail "the log's end is not shown: $err"
pass
nothing_left

fake_ferretdb 'exec sleep 600'
start_fails "a server that never answers"
[[ "$err" == *"FerretDB did not accept connections within 3 s"* ]] || fail "no reason given: $err"
pass
nothing_left

# run ARGS...: run servers.sh; sets $rc and $err.
run() {
    rc=0
    bash "$SERVERS_SH" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    err=$(cat "$TMP/err")
}

run stop "$TMP/state"
expect "stop with nothing started" 0 "$rc"
run env "$TMP/state"
expect "env with nothing started" 1 "$rc"
expect "env's reason" "servers.sh: no servers recorded in $TMP/state (run: $SERVERS_SH start $TMP/state)" "$err"
run restart "$TMP/state" redis
expect "restart with nothing started" 1 "$rc"
expect "restart's reason" "servers.sh: no servers recorded in $TMP/state (run: $SERVERS_SH start $TMP/state)" \
    "$err"
run restart "$TMP/state" sqlite
expect "restart of an unknown server" 1 "$rc"
expect "restart's reason" "servers.sh: unknown server 'sqlite' (redis postgresql mariadb mongodb)" "$err"
run launch "$TMP/state"
expect "an unknown command" 2 "$rc"
[[ "$err" == *"servers.sh start STATE_DIR"* ]] || fail "no usage shown: $err"
pass
run start
expect "start without a directory" 2 "$rc"
run run "$TMP/state"
expect "run without a command" 2 "$rc"

# run: the command sees the URLs, its status is run's, and nothing is left running afterwards.
run run "$TMP/state" sh -c 'redis-cli -u "$ASYNCZ_TEST_REDIS_URL" ping && psql -X -tAc "SELECT 1" \
    "$ASYNCZ_TEST_POSTGRESQL_URL" && exit 3'
expect "run's status" 3 "$rc"
expect "run's output" "PONG
1" "$(cat "$TMP/out")"
nothing_left

echo "$passed passed"
