#!/usr/bin/env bash
# `asyncz run ID`: queues one run for the daemon that owns the store, which runs it once and then goes on
# as before: a paused task stays paused, a one-shot keeps its date. Without a daemon nothing runs and the
# request waits in the store; a second request changes nothing; an unknown id exits 3. $1 is the asyncz
# binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

STORE=sqlite:///$TMP/tasks.db
export ASYNCZ_STORE=$STORE

cat >"$TMP/run.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = $STORE

[task held]
cron = 0 0 1 1 *
command = echo "held ran"
paused = yes

[task yearly]
cron = 0 0 1 1 *
command = echo "yearly ran"
INI

# The daemon writes the config's tasks; stop it, so that the first request waits in the store.
start_daemon "$TMP/run.ini"
wait_log 'task yearly written in store default'
stop_daemon TERM

run run held
[[ $rc -eq 0 ]] || fail "run held: exit $rc: $err"
[[ $out == "queued a run of held at "*"; the scheduler that owns the store runs it" ]] || fail "run held: $out"
passed=$((passed + 1))

run run held --json
[[ $rc -eq 0 ]] || fail "run held again: exit $rc: $err"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["queued"] is False and d["id"] == "held" and d["run_requested"], d' \
    <<<"$out" || fail "run held again: $out"
passed=$((passed + 1))

run run nosuchtask
[[ $rc -eq 3 ]] || fail "run of an unknown id: exit $rc"
[[ $err == *"nosuchtask"* ]] || fail "run of an unknown id: $err"
passed=$((passed + 1))

run run
[[ $rc -eq 2 ]] || fail "run without an id: exit $rc"
passed=$((passed + 1))

# Nothing ran yet: the request waits in the store.
run inspect held --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["run_requested"] is not None, d' <<<"$out" ||
    fail "inspect held: $out"
passed=$((passed + 1))

# A paused task with a queued run is listed as paused; pause and resume change its schedule and keep the
# queued run.
run list --state paused --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert [t["id"] for t in d] == ["held"] and d[0]["run_requested"], d' \
    <<<"$out" || fail "list --state paused with a queued run: $out"
run pause held
[[ $rc -eq 0 && $out == "already paused: held (a queued run at "*" still runs once)" ]] || fail "pause held: $rc $out"
run resume held
[[ $rc -eq 0 && $out == "resumed held (a queued run at "*" still runs once)" ]] || fail "resume held: $rc $out"
run pause held
[[ $rc -eq 0 && $out == "paused held (a queued run at "*" still runs once)" ]] || fail "pause held again: $rc $out"
run inspect held --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["state"] == "paused" and d["run_requested"], d' \
    <<<"$out" || fail "inspect held after pause and resume: $out"
passed=$((passed + 1))

# The daemon starts, runs the queued run once, and the task is paused again.
start_daemon "$TMP/run.ini"
wait_log 'INFO asyncz\.shell: \[held\] held ran$'
passed=$((passed + 1))

run run yearly
[[ $rc -eq 0 ]] || fail "run yearly: exit $rc: $err"
wait_log 'INFO asyncz\.shell: \[yearly\] yearly ran$'
passed=$((passed + 1))

for ((i = 0; i < 100; i++)); do
    run list --json
    python3 -c 'import json,sys
d={t["id"]: t for t in json.load(sys.stdin)}
assert d["held"]["state"] == "paused" and d["held"]["run_requested"] is None
assert d["yearly"]["state"] == "scheduled" and d["yearly"]["run_requested"] is None
assert d["yearly"]["next_run_time"].endswith("-01-01T00:00:00+00:00"), d["yearly"]' <<<"$out" 2>/dev/null && break
    sleep 0.1
done
python3 -c 'import json,sys
d={t["id"]: t for t in json.load(sys.stdin)}
assert d["held"]["state"] == "paused" and d["held"]["run_requested"] is None
assert d["yearly"]["state"] == "scheduled" and d["yearly"]["run_requested"] is None
assert d["yearly"]["next_run_time"].endswith("-01-01T00:00:00+00:00"), d["yearly"]' <<<"$out" ||
    fail "after the runs: $out"
passed=$((passed + 1))

stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM"
[[ $(grep -c 'held ran$' "$DAEMON_LOG") -eq 1 ]] || fail "held ran $(grep -c 'held ran$' "$DAEMON_LOG") times"
[[ $(grep -c 'yearly ran$' "$DAEMON_LOG") -eq 1 ]] || fail "yearly ran $(grep -c 'yearly ran$' "$DAEMON_LOG") times"
passed=$((passed + 1))

# A request while the task runs (max_instances 1) is not dropped: it waits in the record for the running
# instance, across a restart of the daemon too, and then runs once.
SLOW=sqlite:///$TMP/slow.db
cat >"$TMP/slow.ini" <<INI
[scheduler]
timezone = UTC
shutdown_timeout = 1m

[store default]
url = $SLOW

[task slow]
cron = 0 0 1 1 *
max_instances = 1
command = echo "slow start"; sleep 2; echo "slow end"
INI
start_daemon "$TMP/slow.ini"
wait_log 'task slow written in store default'
run run slow --store "$SLOW"
[[ $rc -eq 0 ]] || fail "run slow: exit $rc: $err"
wait_log 'slow start$'
run run slow --store "$SLOW"
[[ $rc -eq 0 && $out == "queued a run of slow at "* ]] || fail "run slow while it runs: $rc $out $err"
wait_log 'task "slow" \(slow\): its requested run waits until a running instance finishes \(max_instances 1\)'
! grep -q 'maximum number of instances' "$DAEMON_LOG" || fail "the request was dropped: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
# Stopped while the request waits (SIGTERM lets the running command finish): the request stays queued.
stop_daemon TERM
[[ $(grep -c 'slow start$' "$DAEMON_LOG") -eq 1 ]] || fail "slow started $(grep -c 'slow start$' "$DAEMON_LOG") times before the restart"
run inspect slow --store "$SLOW" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["run_requested"] is not None and d["state"] == "scheduled", d' \
    <<<"$out" || fail "the waiting request is not in the record: $out"
passed=$((passed + 1))
start_daemon "$TMP/slow.ini"
wait_log 'slow end$'
run inspect slow --store "$SLOW" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["run_requested"] is None, d' <<<"$out" ||
    fail "the request is still queued after it ran: $out"
sleep 1.5 # a second run would start within the retry period
stop_daemon TERM
[[ $(grep -c 'slow start$' "$DAEMON_LOG") -eq 1 ]] || fail "slow ran $(grep -c 'slow start$' "$DAEMON_LOG") times after the restart"
passed=$((passed + 1))

echo "$passed passed"
