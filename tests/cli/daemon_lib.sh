# Shared by the tests/cli/test_daemon_*.sh scripts (sourced after lib.sh): start `asyncz start` in the
# background on a config in $TMP, wait for lines in its log with a generous bound, stop it.
# Timing is never asserted: every wait is for a condition, bounded only so a broken daemon fails the test.

DAEMON_PID=
DAEMON_LOG=$TMP/daemon.log
# What the daemon writes to stdout and stderr: its log too, unless the config sends the log to a file.
DAEMON_OUT=$TMP/daemon.log
WAIT_SECONDS=${WAIT_SECONDS:-30}

# Kill a daemon left running by a failing test (then its helper and workers follow it).
trap 'if [[ -n $DAEMON_PID ]]; then kill -KILL "$DAEMON_PID" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT

# start_daemon CONFIG [ENV=VALUE...]: run the daemon with stdout and stderr in $DAEMON_LOG.
start_daemon() {
    local config=$1
    shift
    : >"$DAEMON_OUT"
    env "$@" "$ASYNCZ" start --config "$config" >>"$DAEMON_OUT" 2>&1 &
    DAEMON_PID=$!
}

# wait_log PATTERN [COUNT]: wait until at least COUNT (default 1) lines of the log match the extended
# regular expression PATTERN.
wait_log() {
    local pattern=$1 count=${2:-1} i status
    for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
        if [[ $(grep -cE -- "$pattern" "$DAEMON_LOG" 2>/dev/null || true) -ge $count ]]; then
            return 0
        fi
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            wait "$DAEMON_PID" && status=0 || status=$?
            fail "the daemon exited (status $status) while waiting for '$pattern'; its log:
$(cat "$DAEMON_LOG" 2>&1)
its output:
$(cat "$DAEMON_OUT" 2>&1)"
        fi
        sleep 0.1
    done
    fail "no $count line(s) matching '$pattern' within ${WAIT_SECONDS}s; the log:
$(cat "$DAEMON_LOG" 2>&1)
its output:
$(cat "$DAEMON_OUT" 2>&1)"
}

# stop_daemon [SIGNAL]: send SIGNAL (default TERM) and wait for the exit; sets $daemon_rc.
stop_daemon() {
    kill -"${1:-TERM}" "$DAEMON_PID"
    daemon_rc=0
    wait "$DAEMON_PID" || daemon_rc=$?
    DAEMON_PID=
}

# stored_ids DB: the task ids in a SQLite store, one per line, sorted.
stored_ids() {
    sqlite3 "$1" 'SELECT id FROM asyncz_store ORDER BY id'
}

# line_number PATTERN FILE: the line where PATTERN first occurs (a log's order of events).
line_number() {
    grep -nE -- "$1" "$2" | head -1 | cut -d: -f1
}
