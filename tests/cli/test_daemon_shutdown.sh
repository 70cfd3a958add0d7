#!/usr/bin/env bash
# `asyncz start` stopping: a run that was missed is not waited for (runs are paired with their outcome, not
# counted); the shutdown tasks run after the running tasks were stopped at shutdown_timeout, and get that
# much time of their own before they are stopped in turn. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

# ---- a missed run leaves nothing to wait for -----------------------------------------------------------------
# One worker: whichever task runs first, the other's next run waits in the pool's queue behind the
# two-second one, past its one second of grace, and is reported missed.
cat >"$TMP/miss.ini" <<INI
[scheduler]
shutdown_timeout = 20s
misfire_grace_time = 1s

[store default]
url = sqlite:///$TMP/miss.db

[executor default]
type = processpool
workers = 1

[task hog]
interval = 1s
command = sleep 2

[task late]
interval = 1s
command = true
INI
start_daemon "$TMP/miss.ini"
wait_log 'run of task .* missed by'
# The miss is told with an ISO-8601 time and a duration, not microseconds.
grep -qE 'WARNING asyncz\.executor: run of task "(hog|late)" \((hog|late)\) due at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\+00:00 missed by [0-9]+\.[0-9]{2} s$' \
    "$DAEMON_LOG" || fail "the miss: $(grep missed "$DAEMON_LOG")"
passed=$((passed + 1))
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM; log: $(cat "$DAEMON_LOG")"
! grep -q 'stopping anyway' "$DAEMON_LOG" || fail "a missed run was waited for: $(cat "$DAEMON_LOG")"
grep -qE 'asyncz\.daemon: stopped$' "$DAEMON_LOG" || fail "no 'stopped' line: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

# ---- shutdown tasks run after the running ones were stopped, bounded themselves -------------------------------
cat >"$TMP/final.ini" <<INI
[scheduler]
shutdown_timeout = 2s

[store default]
url = sqlite:///$TMP/final.db

[task stuck]
interval = 1s
command = echo stuck; exec sleep 29.25

[task bye]
shutdown = true
command = echo bye

[task hang]
shutdown = true
command = echo hang begun; exec sleep 29.5
INI
start_daemon "$TMP/final.ini"
wait_log '\[stuck\] stuck$'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM; log: $(cat "$DAEMON_LOG")"
killed_at=$(line_number 'stopping anyway with 1 run\(s\) still going \(shutdown_timeout 2s\)' "$DAEMON_LOG")
bye_at=$(line_number '\[bye\] bye$' "$DAEMON_LOG")
[[ -n $killed_at && -n $bye_at && $bye_at -gt $killed_at ]] ||
    fail "the shutdown task did not run after the running one was stopped: $(cat "$DAEMON_LOG")"
! grep -q 'bye.*executor shut down' "$DAEMON_LOG" || fail "the shutdown task was killed: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
# The shutdown task that outlives its own shutdown_timeout is stopped, with its command.
hang_at=$(line_number '\[hang\] hang begun$' "$DAEMON_LOG")
bound_at=$(line_number 'WARNING asyncz\.daemon: shutdown tasks still going \(shutdown_timeout 2s\): they are killed$' \
    "$DAEMON_LOG")
stopped_at=$(line_number 'asyncz\.daemon: stopped$' "$DAEMON_LOG")
[[ -n $hang_at && -n $bound_at && -n $stopped_at && $hang_at -lt $bound_at && $bound_at -lt $stopped_at ]] ||
    fail "the hanging shutdown task was not stopped at shutdown_timeout: $(cat "$DAEMON_LOG")"
for ((i = 0; i < 200; i++)); do
    pgrep -f '^sleep 29\.(25|5)$' >/dev/null || break
    sleep 0.1
done
! pgrep -f '^sleep 29\.(25|5)$' >/dev/null || fail "a command outlived the daemon"
passed=$((passed + 1))

echo "$passed passed"
