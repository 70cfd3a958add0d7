#!/usr/bin/env bash
# A date in the past: `add --at` and `update --at` are refused (exit 2, the option named, nothing written)
# when a scheduler would only count the run as missed and drop the task; --misfire-grace-time none, or a
# grace that still covers the date, makes it run once instead. A config's past `at =` is a warning at its
# line and the daemon leaves the task out. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

PAST="is in the past: the first run time 2020-01-01T00:00:00+00:00 is * ago, more than the misfire grace time"

for kind in sqlite file; do
    URL=$(store_url "$kind" past)
    S=(--store "$URL")

    # ---- add ----
    expect "$kind add past --at" 2 "asyncz add: --at '2020-01-01T00:00Z': $PAST (1s), so a scheduler would count that run as missed and remove the task without running it; give a time from now on, or --misfire-grace-time none to run it once when a scheduler picks the task up" \
        add "${S[@]}" --id past --at 2020-01-01T00:00Z --command 'echo x'
    expect "$kind add past --at with a short grace" 2 "asyncz add: --at '2020-01-01T00:00Z': $PAST (1h)*" \
        add "${S[@]}" --id past --at 2020-01-01T00:00Z --command 'echo x' --misfire-grace-time 1h
    # Refused means not written: the store has no such task (the file store is not even made).
    if [[ $kind == sqlite ]]; then
        expect "$kind nothing written" 1 "*cannot connect to the store*" list "${S[@]}"
    fi
    ok "$kind add past --at, grace none" add "${S[@]}" --id past --at 2020-01-01T00:00Z --command 'echo x' \
        --misfire-grace-time none
    same "$kind it is stored" "past	2020-01-01T00:00:00+00:00" "$out"
    # A grace that still covers the date: a scheduler runs it (late, within the grace).
    soon=$(date -u -d '-5 seconds' +%Y-%m-%dT%H:%M:%SZ)
    ok "$kind add a moment ago, covered by the grace" add "${S[@]}" --id lately --at "$soon" --command 'echo x' \
        --misfire-grace-time 1h
    # --paused: nothing is due, so nothing is missed.
    ok "$kind add past --at paused" add "${S[@]}" --id asleep --at 2020-01-01T00:00Z --command 'echo x' --paused

    # ---- update ----
    ok "$kind add future" add "${S[@]}" --id later --at 2030-01-01T00:00Z --command 'echo later'
    expect "$kind update past --at" 2 "asyncz update: --at '2020-01-01T00:00Z': $PAST (1s)*" \
        update "${S[@]}" later --at 2020-01-01T00:00Z
    ok "$kind unchanged" inspect "${S[@]}" later --json
    same "$kind still 2030" "2030-01-01T00:00:00+00:00" "$(json 'd["next_run_time"]')"
    ok "$kind update past --at, grace none" update "${S[@]}" later --at 2020-01-01T00:00Z --misfire-grace-time none
    # Making the grace finite again on a task whose date is past would drop it as well.
    expect "$kind update the grace of a past date" 2 "asyncz update: --at '2020-01-01T00:00Z': $PAST (1m)*" \
        update "${S[@]}" past --at 2020-01-01T00:00Z --misfire-grace-time 1m
    expect "$kind update only the grace of a past date" 2 "asyncz update: the trigger $PAST (1m)*" \
        update "${S[@]}" past --misfire-grace-time 1m
    ok "$kind update the grace of a future task" update "${S[@]}" asleep --misfire-grace-time 1m
done

# ---- the config file ----
printf '%s\n' "[store default]
url = sqlite:///$TMP/never.db

[task past]
at = 2020-01-01T00:00Z
command = echo x" >"$TMP/past.ini"
# A config is not refused for it: the file that scheduled a one-shot must keep working once the task has
# run (a restart or a reload must not stop the daemon). --check warns at the `at` line and exits 0; the
# daemon logs the same warning and leaves the task out of the store.
run start --config "$TMP/past.ini" --check
[[ $rc -eq 0 ]] || fail "config --check: exit $rc, expected 0 (stderr: $err)"
# shellcheck disable=SC2053 # a glob on purpose
[[ $err == "asyncz start: $TMP/past.ini:5: warning: [task past] at: '2020-01-01T00:00Z' "$PAST" (1s), so a scheduler would count that run as missed and remove the task without running it; give a time from now on, or misfire_grace_time = none to run it once when a scheduler picks the task up; the daemon leaves this task out of the schedule" ]] ||
    fail "config --check: stderr: $err"
[[ $out == "$TMP/past.ini: ok (1 task(s), 1 store(s), 1 executor(s)), 1 task(s) left out of the schedule" ]] ||
    fail "config --check: stdout: $out"
[[ ! -e $TMP/never.db ]] || fail "config --check: the store was made"
run start --config "$TMP/past.ini" --check --json
[[ $rc -eq 0 && $out == *'"warnings":[{"line":5,"message":"[task past] at: '"'2020-01-01T00:00Z'"' is in the past: '* ]] ||
    fail "config --check --json: exit $rc, stdout: $out"
passed=$((passed + 2))
# The daemon: the warning in its log, the task not in the store, the daemon running until it is told to stop.
"$ASYNCZ" start --config "$TMP/past.ini" >"$TMP/daemon.out" 2>"$TMP/daemon.err" &
pid=$!
for _ in $(seq 100); do grep -q 'left out of the schedule' "$TMP/daemon.err" && break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null || fail "config start: the daemon stopped (stderr: $(cat "$TMP/daemon.err"))"
kill -TERM "$pid"
wait "$pid" || fail "config start: exit $? after SIGTERM (stderr: $(cat "$TMP/daemon.err"))"
grep -q "WARNING asyncz.daemon: $TMP/past.ini:5: \[task past\] at: '2020-01-01T00:00Z' is in the past: .*; the task is left out of the schedule" "$TMP/daemon.err" ||
    fail "config start: no warning in the log: $(cat "$TMP/daemon.err")"
run list --store "sqlite:///$TMP/never.db" --json
[[ $rc -eq 0 && $out == "[]" ]] || fail "config start: the past task is in the store: exit $rc, $out $err"
passed=$((passed + 1))
# A date edited into the past on a reload takes the stored task out (the old date must not stay scheduled).
printf '%s\n' "[store default]
url = sqlite:///$TMP/reload.db

[task later]
at = 2099-01-01T00:00Z
command = echo x" >"$TMP/reload.ini"
"$ASYNCZ" start --config "$TMP/reload.ini" >/dev/null 2>"$TMP/reload.err" &
pid=$!
for _ in $(seq 100); do grep -q 'task later written' "$TMP/reload.err" && break; sleep 0.05; done
run list --store "sqlite:///$TMP/reload.db" --json
[[ $out == *'"id":"later"'* ]] || fail "reload: the future task is not in the store: $out $err $(cat "$TMP/reload.err")"
sed -i 's/2099-01-01/2020-01-01/' "$TMP/reload.ini"
kill -HUP "$pid"
for _ in $(seq 100); do grep -q 'task later removed from store default' "$TMP/reload.err" && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid" || fail "reload: exit $? (stderr: $(cat "$TMP/reload.err"))"
run list --store "sqlite:///$TMP/reload.db" --json
[[ $rc -eq 0 && $out == "[]" ]] || fail "reload: the task edited into the past is still stored: $out $(cat "$TMP/reload.err")"
passed=$((passed + 1))

# A past `at =` or-ed with a cron is kept: the cron part runs on (a scheduler reports the one missed run).
printf '%s\n' "[store default]
url = sqlite:///$TMP/or.db

[task both]
at = 2020-01-01T00:00Z
cron = 0 3 * * *
combine = or
command = echo x" >"$TMP/or.ini"
run start --config "$TMP/or.ini" --check
[[ $rc -eq 0 && -z $err && $out == "$TMP/or.ini: ok (1 task(s), 1 store(s), 1 executor(s))" ]] ||
    fail "config, past at or cron: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

printf '%s\n' "[store default]
url = sqlite:///$TMP/never.db

[task past]
at = 2020-01-01T00:00Z
misfire_grace_time = none
command = echo x

[task asleep]
at = 2020-01-01T00:00Z
paused = true
command = echo x" >"$TMP/none.ini"
run start --config "$TMP/none.ini" --check
[[ $rc -eq 0 ]] || fail "config with grace none: exit $rc (stderr: $err)"
passed=$((passed + 1))

echo "$passed passed"
