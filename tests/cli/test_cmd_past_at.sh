#!/usr/bin/env bash
# A date in the past: `add --at`, `update --at` and a config's `at =` are refused (exit 2, the option or the
# file:line:key named, nothing written) when a scheduler would only count the run as missed and drop the
# task; --misfire-grace-time none (misfire_grace_time = none), or a grace that still covers the date, makes
# it run once instead. $1 is the asyncz binary.
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
for mode in start check; do
    if [[ $mode == check ]]; then run start --config "$TMP/past.ini" --check; else run start --config "$TMP/past.ini"; fi
    [[ $rc -eq 2 ]] || fail "config ($mode): exit $rc, expected 2 (stderr: $err)"
    # shellcheck disable=SC2053 # a glob on purpose
    [[ $err == "asyncz start: $TMP/past.ini:5: [task past] at: '2020-01-01T00:00Z' "$PAST" (1s), so a scheduler would count that run as missed and remove the task without running it; give a time from now on, or misfire_grace_time = none to run it once when a scheduler picks the task up" ]] ||
        fail "config ($mode): stderr: $err"
    [[ ! -e $TMP/never.db ]] || fail "config ($mode): the store was made"
    passed=$((passed + 1))
done
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
