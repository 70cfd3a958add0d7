#!/usr/bin/env bash
# `asyncz start`: shell-command tasks fire, their output reaches the log with the task id (stdout at info,
# stderr at warning), failures and timeouts fail the run with their reason, and the config's tasks are in
# the store. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

cat >"$TMP/run.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = sqlite:///$TMP/tasks.db

; every second, output on both streams
[task tick]
interval = 1s
command = echo "tick out \$((6 * 7))"; echo 'tick err' >&2

[task fails]
cron = * * * * * *
command = echo failing; exit 3

[task slow]
interval = 1s
command = sleep 29.25
timeout = 1s

[task later]
cron = 0 0 1 1 *
command = true
paused = yes
INI

start_daemon "$TMP/run.ini"
wait_log 'INFO asyncz\.shell: \[tick\] tick out 42$' 2
passed=$((passed + 1))
wait_log 'WARNING asyncz\.shell: \[tick\] tick err$'
passed=$((passed + 1))
wait_log 'INFO asyncz\.daemon: task tick: done$'
passed=$((passed + 1))
wait_log 'ERROR asyncz\.scheduler: task "fails" \(fails\) failed: exit status 3$'
passed=$((passed + 1))
wait_log 'ERROR asyncz\.scheduler: task "slow" \(slow\) failed: timed out after 1s$'
passed=$((passed + 1))
wait_log 'task later written in store default; next run: none \(paused\)$'
passed=$((passed + 1))

[[ $(stored_ids "$TMP/tasks.db" | tr '\n' ' ') == "fails later slow tick " ]] ||
    fail "stored tasks: $(stored_ids "$TMP/tasks.db" | tr '\n' ' ')"
passed=$((passed + 1))

stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM"
grep -qE 'INFO asyncz\.daemon: stopped$' "$DAEMON_LOG" || fail "no 'stopped' line: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

# The timed-out commands were stopped (SIGTERM to their process group): none of this test's sleeps is left.
for ((i = 0; i < 100; i++)); do
    pgrep -f '^sleep 29\.25$' >/dev/null || break
    sleep 0.1
done
! pgrep -f '^sleep 29\.25$' >/dev/null || fail "a timed-out command still runs: $(pgrep -af 'sleep 29')"
passed=$((passed + 1))

# A store written by a previous run: the config's tasks replace the tasks with the same ids.
start_daemon "$TMP/run.ini"
wait_log 'task tick written in store default'
stop_daemon INT
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGINT"
[[ $(stored_ids "$TMP/tasks.db" | wc -l) -eq 4 ]] || fail "after a restart: $(stored_ids "$TMP/tasks.db")"
passed=$((passed + 1))

echo "$passed passed"
