#!/usr/bin/env bash
# Failure paths of the task-management commands: bad arguments exit 2 and name the option, no store exits 2
# and says how to give one, an unreachable store exits 1 with the store's reason, an unknown id exits 3;
# every command's --json output parses; colors appear on a terminal only, and never with NO_COLOR or
# --no-color. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

URL=$(store_url sqlite errors)
S=(--store "$URL")
ok "add" add "${S[@]}" --id job --at 2030-01-01T00:00Z --command 'echo job'
ok "add paused" add "${S[@]}" --id sleepy --at 2030-01-01T00:00Z --command 'echo zzz' --paused

hint() {
    echo "Try 'asyncz $1 --help' for more information."
}

# ---- no store, bad store, unreachable store ------------------------------------------------------------------
for cmd in list status instances timeline; do
    expect "$cmd without a store" 2 "asyncz $cmd: no store given: use --store URL or set ASYNCZ_STORE (for example sqlite:////var/lib/asyncz/tasks.db)
$(hint "$cmd")" "$cmd"
done
expect "doctor without a store" 2 "asyncz doctor: no store given*" doctor
expect "add without a store" 2 "asyncz add: no store given*" add --at 2030-01-01T00:00Z --command true
expect "pause without a store" 2 "asyncz pause: no store given*" pause job
expect "unknown scheme" 2 "asyncz list: --store 'nosuch://x': *" list --store nosuch://x
expect "bad store option" 2 "asyncz list: --store 'sqlite:///x.db?colour=red': *colour*" list --store 'sqlite:///x.db?colour=red'
# The tool's words and the library's name the store once between them (masked).
for url in 'sqlite:///x.db?colour=red' 'postgresql://u:pw@h:99999/db' 'nosuch://x'; do
    run list --store "$url"
    shown=${url/:pw@/:***@}
    [[ $rc -eq 2 && $(grep -oF "$shown" <<<"$err" | wc -l) -eq 1 && $err != *pw@* ]] ||
        fail "$url: the store is not named once: $rc $err"
    passed=$((passed + 1))
done
for cmd in list status instances timeline "inspect job" "pause job" "resume job" "remove job" "update job --name x"; do
    # shellcheck disable=SC2086 # the command words split on purpose
    expect "$cmd on an unreachable redis" 1 "asyncz ${cmd%% *}: cannot connect to the store redis://127.0.0.1:1/0: *" \
        $cmd --store redis://127.0.0.1:1/0
done
expect "sqlite file that cannot be made" 1 "asyncz add: cannot connect to the store sqlite:////proc/nope/x.db: *" \
    add --store sqlite:////proc/nope/x.db --at 2030-01-01T00:00Z --command true
# A mistyped path is an error for every command but add: nothing is created on the way.
for cmd in list status instances timeline "inspect job" "pause job" "resume job" "remove job" "run job" \
    "update job --name x" "preview --task job"; do
    # shellcheck disable=SC2086 # the command words split on purpose
    expect "$cmd on a missing sqlite store" 1 "asyncz ${cmd%% *}: cannot connect to the store sqlite:///$TMP/typo/t.db: *the database file does not exist ('asyncz add' or a daemon creates a store)" \
        $cmd --store "sqlite:///$TMP/typo/t.db"
    # shellcheck disable=SC2086
    expect "$cmd on a missing file store" 1 "asyncz ${cmd%% *}: cannot connect to the store file://$TMP/typo-dir: *there is no such directory ('asyncz add' or a daemon creates a store)" \
        $cmd --store "file://$TMP/typo-dir"
done
run doctor --store "sqlite:///$TMP/typo/t.db"
[[ $rc -eq 1 && $out == "error  store  cannot connect to sqlite:///$TMP/typo/t.db: "*"does not exist"* ]] ||
    fail "doctor on a missing store: $rc $out"
[[ ! -e $TMP/typo && ! -e $TMP/typo-dir ]] || fail "a command made the mistyped store: $(ls "$TMP")"
passed=$((passed + 1))
run doctor --store redis://127.0.0.1:1/0
[[ $rc -eq 1 && $out == "error  store  cannot connect to redis://127.0.0.1:1/0: "* ]] || fail "doctor unreachable: $rc $out"
passed=$((passed + 1))

# ---- bad arguments: exit 2, the option named ----------------------------------------------------------------
expect "list --state" 2 "asyncz list: --state 'sleeping': must be scheduled, paused, shutdown or all" list "${S[@]}" --state sleeping
expect "list --trigger" 2 "asyncz list: --trigger 'hourly': must be cron, interval, calendar, date, and, or or shutdown" \
    list "${S[@]}" --trigger hourly
expect "list --sort-by" 2 "asyncz list: --sort-by 'size': must be next, id or name" list "${S[@]}" --sort-by size
expect "list --limit" 2 "asyncz list: --limit '-1': must be a whole number from 0 to *" list "${S[@]}" --limit -1
expect "list --limit twice" 2 "asyncz list: --limit given twice
$(hint list)" list "${S[@]}" --limit 1 --limit 2
expect "list unknown option" 2 "asyncz list: unknown or ambiguous option '--colour'
$(hint list)" list "${S[@]}" --colour
expect "list missing value" 2 "asyncz list: option --state needs a value
$(hint list)" list "${S[@]}" --state
expect "list value to a flag" 2 "asyncz list: option --desc takes no value
$(hint list)" list "${S[@]}" --desc=yes
expect "list positional" 2 "asyncz list: unexpected argument 'extra'
$(hint list)" list "${S[@]}" extra
expect "list --timezone" 2 "asyncz list: --timezone 'Mars/Base': unknown time zone" list "${S[@]}" --timezone Mars/Base
expect "inspect without id" 2 "asyncz inspect: no task id given
$(hint inspect)" inspect "${S[@]}"
expect "inspect two ids" 2 "asyncz inspect: unexpected argument 'b' (one task id only)
$(hint inspect)" inspect "${S[@]}" a b
expect "inspect --count" 2 "asyncz inspect: --count 'many': column 1: must be a whole number from 0 to 100000" inspect "${S[@]}" job --count many
expect "inspect bad id" 2 "asyncz inspect: task id '../etc': not a valid id*" inspect "${S[@]}" ../etc
expect "timeline --from" 2 "asyncz timeline: --from 'yesterday': column 1: not an ISO-8601 time*" timeline "${S[@]}" --from yesterday
expect "timeline --until before --from" 2 "asyncz timeline: --until '2029-01-01': is before --from" \
    timeline "${S[@]}" --from 2030-01-01 --until 2029-01-01
expect "pause without id" 2 "asyncz pause: no task id given
$(hint pause)" pause "${S[@]}"
expect "doctor positional" 2 "asyncz doctor: unexpected argument 'now'
$(hint doctor)" doctor "${S[@]}" now

expect "add without a trigger" 2 "asyncz add: no trigger given*" add "${S[@]}" --command true
expect "add without a command" 2 "asyncz add: nothing to run: give --command 'LINE' or --function NAME
$(hint add)" add "${S[@]}" --at 2030-01-01T00:00Z
expect "add both" 2 "asyncz add: --command and --function: give one of them
$(hint add)" add "${S[@]}" --at 2030-01-01T00:00Z --command true --function f
expect "add bad cron" 2 "asyncz add: --cron '61 * * * *': column 1: *" add "${S[@]}" --cron '61 * * * *' --command true
expect "add bad --id" 2 "asyncz add: --id '-x': not a valid id*" add "${S[@]}" --id -x --at 2030-01-01T00:00Z --command true
expect "add bad --args" 2 "asyncz add: --args '{\"a\":1}': not a JSON array" \
    add "${S[@]}" --at 2030-01-01T00:00Z --function f --args '{"a":1}'
expect "add bad --kwargs" 2 "asyncz add: --kwargs '\\[1\\]': not a JSON object" add "${S[@]}" --at 2030-01-01T00:00Z --function f --kwargs '[1]'
expect "add --args with --command" 2 "asyncz add: --args and --kwargs apply to --function tasks, not to --command
$(hint add)" add "${S[@]}" --at 2030-01-01T00:00Z --command true --args '[]'
expect "add --timeout with --function" 2 "asyncz add: --timeout applies to --command tasks, not to --function
$(hint add)" add "${S[@]}" --at 2030-01-01T00:00Z --function f --timeout 1m
expect "add bad --timeout" 2 "asyncz add: --timeout '0s': must be greater than zero" add "${S[@]}" --at 2030-01-01T00:00Z --command true --timeout 0s
expect "add bad --max-instances" 2 "asyncz add: --max-instances '0': must be a whole number from 1 to 4294967295" \
    add "${S[@]}" --at 2030-01-01T00:00Z --command true --max-instances 0
expect "add bad --misfire-grace-time" 2 "asyncz add: --misfire-grace-time 'soon': column 1: not a duration*" \
    add "${S[@]}" --at 2030-01-01T00:00Z --command true --misfire-grace-time soon
expect "add bad --executor" 2 "asyncz add: --executor 'a b': not a valid alias*" add "${S[@]}" --at 2030-01-01T00:00Z --command true --executor 'a b'
expect "add coalesce twice" 2 "asyncz add: --coalesce and --no-coalesce: give one of them, once
$(hint add)" add "${S[@]}" --at 2030-01-01T00:00Z --command true --coalesce --no-coalesce
expect "add exhausted trigger" 2 "asyncz add: the trigger has no fire time from now on (is --end-date past?)
$(hint add)" add "${S[@]}" --cron '0 * * * *' --end-date 2001-01-01 --command true
expect "add --function asyncz.shell" 2 "asyncz add: --function 'asyncz.shell': is the shell-command function: use --command" \
    add "${S[@]}" --at 2030-01-01T00:00Z --function asyncz.shell
expect "update nothing" 2 "asyncz update: nothing to change: give the options to change (see --help)
$(hint update)" update "${S[@]}" job
expect "update a zone alone" 2 "asyncz update: trigger options replace the whole trigger*" update "${S[@]}" job --timezone UTC
expect "update --args on a shell task" 2 "asyncz update: --args and --kwargs apply to function tasks; task \"job\" runs a shell command
$(hint update)" update "${S[@]}" job --args '[1]'
expect "update --replace" 2 "asyncz update: unknown or ambiguous option '--replace'
$(hint update)" update "${S[@]}" job --replace
expect "preview --store without --task" 2 "asyncz preview: --store needs --task ID*" preview "${S[@]}"
ok "add a paused task whose trigger has ended" add "${S[@]}" --id gone --cron '0 * * * *' --end-date 2001-01-01 \
    --command true --paused
expect "resume an exhausted task" 1 "asyncz resume: the trigger of task \"gone\" has no fire time left; nothing changed (remove it with 'asyncz remove gone')" \
    resume "${S[@]}" gone
ok "remove it" remove "${S[@]}" gone
ok "nothing was added by the failures" list "${S[@]}" --json --state all
same "still two tasks" "job sleepy" "$(json '" ".join(t["id"] for t in d)')"

# ---- --json parses, for every command -----------------------------------------------------------------------
"$FIXTURE" heartbeat "$URL" sched 60 || fail "fixture heartbeat"
for cmd in "list" "inspect job" "timeline --from 2029-12-31" "status" "instances" "doctor" "preview --task job" \
    "pause job" "resume job" "update job --name renamed --dry-run" "update job --name renamed" \
    "add --id j2 --at 2030-01-01T00:00Z --command true" "remove j2"; do
    # shellcheck disable=SC2086 # the command words split on purpose
    ok "$cmd --json" $cmd "${S[@]}" --json
    is_json "$cmd --json"
done

# ---- help ---------------------------------------------------------------------------------------------------
for cmd in add list inspect timeline pause resume update remove status instances doctor; do
    ok "$cmd --help" "$cmd" --help
    [[ $out == "Usage: asyncz $cmd"* ]] || fail "$cmd --help: $out"
done
ok "main help lists the commands" --help
for cmd in add list inspect timeline pause resume update remove status instances doctor; do
    grep -q "^  $cmd " <<<"$out" || fail "main help does not list $cmd"
done

# ---- colors: only on a terminal, never with NO_COLOR or --no-color ------------------------------------------
ESC=$'\033'
ok "no colors into a pipe" list "${S[@]}" --state all
[[ $out != *"$ESC"* ]] || fail "escape codes in piped output"
# script(1) gives the tool a terminal; its output comes back with CRLF line ends.
on_tty() {
    script -qec "$*" /dev/null </dev/null | tr -d '\r'
}
tty_out=$(on_tty "'$ASYNCZ' list --store '$URL' --state all")
[[ $tty_out == *"$ESC[1mID"* ]] || fail "no bold header on a terminal: $tty_out"
[[ $tty_out == *"$ESC[2msleepy"* ]] || fail "paused row not dim on a terminal: $tty_out"
passed=$((passed + 1))
tty_out=$(on_tty "NO_COLOR=1 '$ASYNCZ' list --store '$URL' --state all")
[[ $tty_out != *"$ESC"* && $tty_out == *sleepy* ]] || fail "escape codes with NO_COLOR: $tty_out"
tty_out=$(on_tty "'$ASYNCZ' list --store '$URL' --state all --no-color")
[[ $tty_out != *"$ESC"* && $tty_out == *sleepy* ]] || fail "escape codes with --no-color: $tty_out"
tty_out=$(on_tty "NO_COLOR= '$ASYNCZ' doctor --store '$URL'")
[[ $tty_out == *"$ESC[32mok"* ]] || fail "doctor ok lines not green on a terminal (an empty NO_COLOR counts as unset): $tty_out"
tty_out=$(on_tty "NO_COLOR=1 '$ASYNCZ' doctor --store '$URL'")
[[ $tty_out != *"$ESC"* ]] || fail "escape codes in doctor with NO_COLOR: $tty_out"
passed=$((passed + 4))

echo "$passed passed"
