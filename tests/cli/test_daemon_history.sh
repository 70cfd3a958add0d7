#!/usr/bin/env bash
# The runs the daemon records are what the tool shows: a shell task that succeeds and one that fails, run by
# `asyncz start` on a SQLite store, are in `asyncz history` (with their outcome, exit status and error), in
# the LAST RUN of `asyncz list` and in `asyncz logs` (with the command's output), also after the daemon
# has stopped; and `asyncz logs --follow` shows what a running task printed before the task ends. $1 is the
# asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"
export TZ=UTC
unset ASYNCZ_STORE ASYNCZ_STORE_ENCRYPTION_KEY NO_COLOR COLUMNS

cat >"$TMP/history.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = sqlite:///$TMP/tasks.db

[task good]
interval = 1s
command = echo fine

[task bad]
interval = 1s
command = echo failing; exit 3
INI

start_daemon "$TMP/history.ini"
wait_log 'INFO asyncz\.daemon: task good: done$' 2
wait_log 'ERROR asyncz\.scheduler: task "bad" \(bad\) failed: exit status 3$' 2
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM"
passed=$((passed + 1))

S=(--store "sqlite:///$TMP/tasks.db")
run history "${S[@]}" good --json
[[ $rc -eq 0 ]] || fail "history good: $err"
outcomes=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(set(r["outcome"] for r in d["runs"])), all(r["task_id"] == "good" and r["scheduler"] for r in d["runs"]))' <<<"$out")
[[ $outcomes == "['succeeded'] True" || $outcomes == "['cancelled', 'succeeded'] True" ]] ||
    fail "good runs: $outcomes: $out"
passed=$((passed + 1))

run history "${S[@]}" bad --outcome failed --json
[[ $rc -eq 0 ]] || fail "history bad: $err"
read -r n run_id exit_status error < <(python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["runs"]; print(len(r), r[0]["run_id"], r[0]["exit_status"], r[0]["error_message"])' <<<"$out")
[[ $n -ge 2 && $exit_status == 3 && $error == "exit status 3" ]] || fail "bad runs: $out"
passed=$((passed + 1))

run logs "${S[@]}" "$run_id"
[[ $rc -eq 0 && $out == *"outcome    failed"*"exit       3"*"error      exit status 3"*"  out   failing" ]] ||
    fail "logs of a failed run: $rc $out $err"
passed=$((passed + 1))

run list "${S[@]}" --sort-by id
[[ $rc -eq 0 ]] || fail "list: $err"
[[ $(sed -n 2p <<<"$out") == "bad "*"failed "*" ago"* && $(sed -n 3p <<<"$out") == "good "*" ago"* ]] ||
    fail "list LAST RUN: $out"
passed=$((passed + 1))

run status "${S[@]}" --json
[[ $rc -eq 0 ]] || fail "status: $err"
python3 -c 'import json,sys; d=json.load(sys.stdin); h=d["runs_last_hour"]; assert h["runs"] >= 4 and h["failed"] >= 2, h' <<<"$out" ||
    fail "status runs: $out"
passed=$((passed + 1))

# A running task's output is in the store while it runs: `logs --follow` shows the first line of a command
# that then waits (for the test's go, at most 30 s), and the rest and the end once it goes on.
cat >"$TMP/live.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = sqlite:///$TMP/live.db

[task slow]
interval = 1s
command = echo first; for i in \$(seq 300); do [ -e "$TMP/go" ] && break; sleep 0.1; done; echo second
INI

start_daemon "$TMP/live.ini"
L=(--store "sqlite:///$TMP/live.db")
run_id=
for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
    run history "${L[@]}" slow --outcome running --json
    run_id=$(python3 -c 'import json,sys; r=json.load(sys.stdin)["runs"]; print(r[0]["run_id"] if r else "")' <<<"$out" 2>/dev/null || true)
    [[ -n $run_id ]] && break
    sleep 0.1
done
[[ -n $run_id ]] || fail "no running run of slow: $out $err"
"$ASYNCZ" logs "${L[@]}" "$run_id" --follow >"$TMP/follow.out" 2>"$TMP/follow.err" &
follow_pid=$!
for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
    grep -q '  out   first$' "$TMP/follow.out" && break
    sleep 0.1
done
shown=$(cat "$TMP/follow.out")
[[ $shown == *"outcome    running"*"  out   first" && $shown != *second* && $shown != *"-- run"* ]] ||
    fail "logs --follow before the task ends: $shown $(cat "$TMP/follow.err")"
passed=$((passed + 1))

touch "$TMP/go"
follow_rc=0
wait "$follow_pid" || follow_rc=$?
shown=$(cat "$TMP/follow.out")
[[ $follow_rc -eq 0 && $shown == *"  out   first"*"  out   second"*"-- run $run_id succeeded after"* ]] ||
    fail "logs --follow after the task ended: $follow_rc $shown $(cat "$TMP/follow.err")"
[[ $(grep -c '  out   first$' <<<"$shown") -eq 1 ]] || fail "a line shown twice: $shown"
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM (live output)"
passed=$((passed + 1))

echo "$passed passed"
