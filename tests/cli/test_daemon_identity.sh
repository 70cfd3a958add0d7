#!/usr/bin/env bash
# `asyncz start` and [scheduler] identity: a daemon refuses to start (exit 1) when a live scheduler of this
# host heartbeats under its identity in its store, takes over the heartbeat of a predecessor that is gone,
# and warns about a fresh heartbeat of another host under its identity. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"
FIXTURE=${ASYNCZ_CLI_FIXTURE:-$(dirname "$ASYNCZ")/tests/asyncz-cli-fixture}

URL=sqlite:///$TMP/twin.db
printf '%s\n' '[scheduler]' 'identity = twin' '[store default]' "url = $URL" '[task t]' 'interval = 1h' \
    'command = true' >"$TMP/twin.ini"

# wait_heartbeat: until `asyncz status` lists the scheduler twin.
wait_heartbeat() {
    local i
    for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
        "$ASYNCZ" status --store "$URL" 2>/dev/null | grep -q twin && return 0
        sleep 0.1
    done
    fail "no heartbeat of twin: $("$ASYNCZ" status --store "$URL" 2>&1)"
}

# ---- a live daemon of this host under the same identity: refused -----------------------------------------------
start_daemon "$TMP/twin.ini"
first=$DAEMON_PID
wait_heartbeat
# (bounded: a daemon that does not refuse would run on)
rc=0
timeout -s KILL "$WAIT_SECONDS" "$ASYNCZ" start --config "$TMP/twin.ini" >"$TMP/out" 2>"$TMP/err" || rc=$?
err=$(cat "$TMP/err")
[[ $rc -eq 1 ]] || fail "a second daemon with identity twin: exit $rc, stderr: $err"
grep -qE "^asyncz start: \[scheduler\] identity 'twin' is taken: process $first on this host \(.*\) heartbeats under it in store default \(last at .*\); stop that scheduler, or give this daemon an identity of its own$" <<<"$err" ||
    fail "the refusal: $err"
passed=$((passed + 1))

# ---- its predecessor died without signing off: taken over ----------------------------------------------------
kill -KILL "$first"
wait "$first" || true
DAEMON_PID=
start_daemon "$TMP/twin.ini"
wait_log "INFO asyncz\.daemon: store default: the heartbeat of identity 'twin' \(process $first, gone\) is taken over by this daemon$"
wait_log 'asyncz\.daemon: asyncz .* started with'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

# ---- another host's fresh heartbeat under the same identity: a warning -------------------------------------------
"$FIXTURE" heartbeat "$URL" twin 300 || fail "fixture heartbeat"
start_daemon "$TMP/twin.ini"
wait_log "WARNING asyncz\.daemon: store default: another scheduler heartbeats under this daemon's identity 'twin' \(host fixture-host, process 4242, last at .*\): if it is running, the two share one heartbeat and neither reports the other's loss; give each scheduler its own \[scheduler\] identity$"
wait_log 'asyncz\.daemon: asyncz .* started with'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

echo "$passed passed"
