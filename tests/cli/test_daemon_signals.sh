#!/usr/bin/env bash
# `asyncz start` and SIGTERM/SIGINT: a running task is waited for (its last line is logged before the
# daemon exits 0); shutdown_timeout bounds the wait, after which the command is stopped and the daemon still
# exits 0; logs to stderr as the journal wants them when JOURNAL_STREAM names stderr. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

# ---- SIGTERM waits for a running task -----------------------------------------------------------------
cat >"$TMP/wait.ini" <<INI
[store default]
url = sqlite:///$TMP/wait.db

[task slow]
interval = 1s
command = echo started; sleep 2; echo done

[task bye]
shutdown = true
command = echo goodbye
INI
start_daemon "$TMP/wait.ini"
wait_log '\[slow\] started$'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM; log: $(cat "$DAEMON_LOG")"
grep -qE 'SIGTERM: stopping; no new runs start; waiting for the running tasks$' "$DAEMON_LOG" ||
    fail "no stopping line: $(cat "$DAEMON_LOG")"
done_at=$(line_number '\[slow\] done$' "$DAEMON_LOG")
stopped_at=$(line_number 'asyncz\.daemon: stopped$' "$DAEMON_LOG")
[[ -n $done_at && -n $stopped_at && $done_at -lt $stopped_at ]] ||
    fail "'done' not logged before the daemon stopped: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
# The shutdown task ran once, after the running task, before the daemon stopped.
bye_at=$(line_number '\[bye\] goodbye$' "$DAEMON_LOG")
[[ -n $bye_at && $bye_at -gt $done_at && $bye_at -lt $stopped_at ]] ||
    fail "the shutdown task did not run between 'done' and 'stopped': $(cat "$DAEMON_LOG")"
[[ $(grep -c '\[bye\] goodbye$' "$DAEMON_LOG") -eq 1 ]] || fail "the shutdown task ran more than once"
passed=$((passed + 1))

# ---- shutdown_timeout bounds the wait ----------------------------------------------------------------------
cat >"$TMP/bound.ini" <<INI
[scheduler]
shutdown_timeout = 1s

[store default]
url = sqlite:///$TMP/bound.db

[task stuck]
interval = 1s
command = echo stuck; sleep 28.75
INI
start_daemon "$TMP/bound.ini"
wait_log '\[stuck\] stuck$'
stop_daemon INT
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGINT with a stuck task"
grep -qE 'WARNING asyncz\.daemon: stopping anyway with 1 run\(s\) still going \(shutdown_timeout 1s\): they are killed$' \
    "$DAEMON_LOG" || fail "no 'stopping anyway' line: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
# The killed worker's watchdog stops the command's process group.
for ((i = 0; i < 200; i++)); do
    pgrep -f '^sleep 28\.75$' >/dev/null || break
    sleep 0.1
done
! pgrep -f '^sleep 28\.75$' >/dev/null || fail "the stuck command outlived the daemon"
passed=$((passed + 1))

# ---- a second SIGTERM stops at once --------------------------------------------------------------------------
start_daemon "$TMP/bound.ini"
wait_log '\[stuck\] stuck$'
kill -TERM "$DAEMON_PID"
wait_log 'waiting for the running tasks$'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after two SIGTERMs"
grep -qE 'SIGTERM again: not waiting any longer$' "$DAEMON_LOG" || fail "no 'again' line: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

# ---- journald: priorities as <N> prefixes, no timestamps --------------------------------------------------------
: >"$TMP/journal.log"
stream=$(stat -c '%d:%i' "$TMP/journal.log")
JOURNAL_STREAM=$stream "$ASYNCZ" start --config "$TMP/wait.ini" 2>>"$TMP/journal.log" &
DAEMON_PID=$!
DAEMON_LOG=$TMP/journal.log
wait_log '^<6>asyncz\.shell: \[slow\] started$'
stop_daemon TERM
grep -qE '^<6>asyncz\.daemon: stopped$' "$TMP/journal.log" || fail "journald lines: $(cat "$TMP/journal.log")"
! grep -qvE '^<[0-7]>[a-z.]+: ' "$TMP/journal.log" || fail "a line without a <N> prefix: $(cat "$TMP/journal.log")"
passed=$((passed + 1))

echo "$passed passed"
