#!/usr/bin/env bash
# `asyncz start`: a command gets its run's context in ASYNCZ_* variables; a failed run starts its on_failure
# hook with that environment plus ASYNCZ_OUTCOME, ASYNCZ_ERROR, ASYNCZ_EXIT_STATUS or ASYNCZ_SIGNAL and
# ASYNCZ_SUPPRESSED; the rate limit holds hooks back and counts them; a task's own on_failure wins over
# [scheduler]'s and an empty one turns it off; a hook that hangs is stopped at its timeout, and one still
# running when the daemon stops is stopped too. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

# The value of NAME in an `env` dump FILE (exactly one line must have it).
value_of() {
    local lines
    lines=$(grep -c "^$1=" "$2" || true)
    [[ $lines -eq 1 ]] || fail "$2: $lines line(s) of $1: $(cat "$2")"
    grep "^$1=" "$2" | cut -d= -f2-
}

NAME='Nightly "backup" $HOME '"'é'"' \ done'
cat >"$TMP/hooks.ini" <<INI
[scheduler]
timezone = Europe/Paris
on_failure = env | grep ^ASYNCZ_ | sort >"$TMP/hook-\$ASYNCZ_TASK_ID-\$ASYNCZ_SCHEDULED_EPOCH.env"
on_failure_interval = 3s

[store default]
url = sqlite:///$TMP/tasks.db

[task fails]
name = $NAME
interval = 2s
command = env | grep ^ASYNCZ_ | sort >"$TMP/run-\$ASYNCZ_SCHEDULED_EPOCH.env"; exit 3

[task own]
interval = 2s
command = exit 4
on_failure = echo "own hook of \$ASYNCZ_TASK_ID: \$ASYNCZ_ERROR"

[task off]
interval = 1s
command = exit 5
on_failure =

[task crash]
interval = 2s
command = kill -SEGV \$\$
on_failure_interval = 1h

[task hang]
interval = 1s
command = false
on_failure = sleep 97.25
on_failure_timeout = 1s
on_failure_interval = 1h
INI

start_daemon "$TMP/hooks.ini"
wait_log 'INFO asyncz\.hook: task fails: on_failure hook done$' 2
wait_log 'WARNING asyncz\.hook: task fails: failed again \(failed\); its on_failure hook is held back: at most one every 3s \(on_failure_interval\)$'
wait_log 'INFO asyncz\.hook: \[own on_failure\] own hook of own: exit status 4$'
wait_log 'INFO asyncz\.hook: task crash: on_failure hook done$'
wait_log 'ERROR asyncz\.hook: task hang: on_failure hook timed out after 1s \(on_failure_timeout\): stopped$'
wait_log 'ERROR asyncz\.scheduler: task "off" \(off\) failed: exit status 5$' 3
passed=$((passed + 1))

# A shell task's environment (item 9): its context, the time in the [scheduler] timezone and as seconds.
run_env=$(ls "$TMP"/run-*.env | head -1)
[[ $(value_of ASYNCZ_TASK_ID "$run_env") == fails ]] || fail "ASYNCZ_TASK_ID: $(cat "$run_env")"
[[ $(value_of ASYNCZ_TASK_NAME "$run_env") == "$NAME" ]] || fail "ASYNCZ_TASK_NAME: $(cat "$run_env")"
epoch=$(value_of ASYNCZ_SCHEDULED_EPOCH "$run_env")
iso=$(value_of ASYNCZ_SCHEDULED_TIME "$run_env")
[[ $run_env == "$TMP/run-$epoch.env" ]] || fail "ASYNCZ_SCHEDULED_EPOCH $epoch in $run_env"
[[ $iso =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+0[12]:00$ ]] || fail "ASYNCZ_SCHEDULED_TIME: $iso"
[[ $(date -d "$iso" +%s) == "$epoch" ]] || fail "ASYNCZ_SCHEDULED_TIME $iso is not ASYNCZ_SCHEDULED_EPOCH $epoch"
[[ $iso == "$(TZ=Europe/Paris date -d "@$epoch" +%Y-%m-%dT%H:%M:%S%:z)" ]] || fail "not Paris time: $iso"
[[ $(value_of ASYNCZ_RUN_ID "$run_env") =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] ||
    fail "ASYNCZ_RUN_ID: $(cat "$run_env")"
[[ $(value_of ASYNCZ_FENCING_TOKEN "$run_env") =~ ^[1-9][0-9]*$ ]] || fail "ASYNCZ_FENCING_TOKEN: $(cat "$run_env")"
[[ $(value_of ASYNCZ_SCHEDULER "$run_env") == "$(hostname):$DAEMON_PID" ]] ||
    fail "ASYNCZ_SCHEDULER: $(cat "$run_env") (daemon pid $DAEMON_PID)"
! grep -qE '^ASYNCZ_(OUTCOME|ERROR|SUPPRESSED)=' "$run_env" || fail "hook variables in a run: $(cat "$run_env")"
passed=$((passed + 1))

# The hooks of fails: the failed run's environment plus what went wrong; the second says one was held back.
hooks=($(ls "$TMP"/hook-fails-*.env | sort))
[[ ${#hooks[@]} -ge 2 ]] || fail "hooks of fails: ${hooks[*]}"
first=${hooks[0]} second=${hooks[1]}
epoch=$(value_of ASYNCZ_SCHEDULED_EPOCH "$first")
for name in ASYNCZ_TASK_ID ASYNCZ_TASK_NAME ASYNCZ_RUN_ID ASYNCZ_SCHEDULED_TIME ASYNCZ_SCHEDULED_EPOCH ASYNCZ_SCHEDULER \
    ASYNCZ_FENCING_TOKEN; do
    [[ $(value_of $name "$first") == "$(value_of $name "$TMP/run-$epoch.env")" ]] ||
        fail "$name of the hook differs from its run's: $(cat "$first")"
done
[[ $(value_of ASYNCZ_OUTCOME "$first") == failed ]] || fail "ASYNCZ_OUTCOME: $(cat "$first")"
[[ $(value_of ASYNCZ_ERROR "$first") == 'exit status 3' ]] || fail "ASYNCZ_ERROR: $(cat "$first")"
[[ $(value_of ASYNCZ_EXIT_STATUS "$first") == 3 ]] || fail "ASYNCZ_EXIT_STATUS: $(cat "$first")"
[[ $(value_of ASYNCZ_SUPPRESSED "$first") == 0 ]] || fail "ASYNCZ_SUPPRESSED: $(cat "$first")"
! grep -q '^ASYNCZ_SIGNAL=' "$first" || fail "ASYNCZ_SIGNAL of an exit: $(cat "$first")"
[[ $(value_of ASYNCZ_SUPPRESSED "$second") == 1 ]] || fail "second hook: $(cat "$second")"
(($(value_of ASYNCZ_SCHEDULED_EPOCH "$second") - epoch == 4)) || fail "second hook not 4s later: $second"
passed=$((passed + 1))

# A crash: the signal.
crash=$(ls "$TMP"/hook-crash-*.env | head -1)
[[ $(value_of ASYNCZ_OUTCOME "$crash") == crashed ]] || fail "crash: $(cat "$crash")"
[[ $(value_of ASYNCZ_SIGNAL "$crash") == 11 ]] || fail "crash: $(cat "$crash")"
! grep -q '^ASYNCZ_EXIT_STATUS=' "$crash" || fail "ASYNCZ_EXIT_STATUS of a crash: $(cat "$crash")"
passed=$((passed + 1))

# A task's own hook instead of [scheduler]'s; none for `on_failure =`.
! ls "$TMP"/hook-own-*.env 2>/dev/null || fail "[scheduler]'s hook ran for own"
! ls "$TMP"/hook-off-*.env 2>/dev/null || fail "a hook ran for off"
! grep -q 'task off: .*hook' "$DAEMON_LOG" || fail "off: $(grep 'task off' "$DAEMON_LOG")"
passed=$((passed + 1))

stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM: $(cat "$DAEMON_LOG")"
grep -qE 'INFO asyncz\.daemon: stopped$' "$DAEMON_LOG" || fail "no 'stopped' line: $(cat "$DAEMON_LOG")"
! pgrep -f '^sleep 97\.25$' >/dev/null || fail "a timed-out hook still runs: $(pgrep -af 'sleep 97')"
passed=$((passed + 1))

# The hooks' own runs are in the task's run history (source hook): outcome, output, the run they answer;
# the failed runs are recorded with their exit status, timed-out hooks as timed out, crashes as crashed.
hist=$("$ASYNCZ" history --store "sqlite:///$TMP/tasks.db" --json --limit 1000) || fail "history: $hist"
check_py() {
    python3 -c "import json,sys; d=json.load(sys.stdin)['runs']; $1" <<<"$hist" || fail "$2: $hist"
}
check_py 'h=[r for r in d if r["task_id"]=="own" and r["source"]=="hook"]; assert h and h[0]["outcome"]=="succeeded", h' \
    "a hook run of own"
check_py 'runs={r["run_id"] for r in d if r["task_id"]=="own" and r["source"]!="hook"}; h=[r for r in d if r["task_id"]=="own" and r["source"]=="hook"]; assert h and all(r["result"]["hook_of"] in runs for r in h), h' \
    "a hook run names the run it answers"
check_py 'h=[r for r in d if r["task_id"]=="hang" and r["source"]=="hook"]; assert h and h[0]["outcome"]=="timed_out", h' \
    "the hanging hook timed out"
check_py 'f=[r for r in d if r["task_id"]=="fails" and r["source"]=="schedule"]; assert f and all(r["outcome"]=="failed" and r["exit_status"]==3 for r in f), f' \
    "failed runs with their exit status"
check_py 'c=[r for r in d if r["task_id"]=="crash" and r["source"]=="schedule"]; assert c and all(r["outcome"]=="crashed" and r["signal"]==11 for r in c), c' \
    "crashes by their signal"
own_hook=$(python3 -c "import json,sys; print([r['run_id'] for r in json.load(sys.stdin)['runs'] if r['task_id']=='own' and r['source']=='hook'][0])" <<<"$hist")
logs=$("$ASYNCZ" logs "$own_hook" --store "sqlite:///$TMP/tasks.db") || fail "logs of a hook: $logs"
[[ $logs == *"own hook of own: exit status 4"* ]] || fail "the hook's output: $logs"
passed=$((passed + 1))

# A hook still running when the daemon stops is waited for up to shutdown_timeout, then stopped.
cat >"$TMP/stop.ini" <<INI
[scheduler]
shutdown_timeout = 1s

[store default]
url = sqlite:///$TMP/stop.db

[task fails]
interval = 1h
start_date = 2000-01-01T00:00:00Z
command = false
on_failure = echo hook started; sleep 96.75
INI
start_daemon "$TMP/stop.ini"
wait_log 'task fails written in store default'
"$ASYNCZ" run fails --store "sqlite:///$TMP/stop.db" >/dev/null 2>&1 || true
wait_log 'INFO asyncz\.hook: \[fails on_failure\] hook started$'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM: $(cat "$DAEMON_LOG")"
grep -qE 'SIGTERM: stopping; no new runs start; waiting for the on_failure hooks$' "$DAEMON_LOG" ||
    fail "no wait for the hook: $(cat "$DAEMON_LOG")"
grep -qE 'stopping anyway with on_failure hooks still going \(shutdown_timeout 1s\): they are stopped$' "$DAEMON_LOG" ||
    fail "no stop message: $(cat "$DAEMON_LOG")"
grep -qE 'WARNING asyncz\.hook: task fails: on_failure hook stopped: the daemon is stopping$' "$DAEMON_LOG" ||
    fail "the hook was not stopped: $(cat "$DAEMON_LOG")"
for ((i = 0; i < 100; i++)); do
    pgrep -f '^sleep 96\.75$' >/dev/null || break
    sleep 0.1
done
! pgrep -f '^sleep 96\.75$' >/dev/null || fail "a stopped hook still runs: $(pgrep -af 'sleep 96')"
passed=$((passed + 1))

echo "$passed passed"
