#!/usr/bin/env bash
# A task gets a name even when none is given: `asyncz add` names it after its id (it was "asyncz.shell" for
# every command, in tables and in the daemon's log), as the daemon's config names a task after its
# section. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cmd_lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

STORE=sqlite:///$TMP/tasks.db
S=(--store "$STORE")

ok "add a command without --name" add "${S[@]}" --id nightly --cron '0 3 * * *' --command 'echo x'
ok "add a function without --name" add "${S[@]}" --id report --cron '0 9 * * 1' --function reports.weekly
ok "add with --name" add "${S[@]}" --id named --cron '0 9 * * 1' --command 'echo y' --name 'weekly mail'
ok "add with a generated id" add "${S[@]}" --at 2030-01-01T00:00Z --command 'echo z' --json
generated=$(json 'd["id"]')
same "add --json: the name is the generated id" "$generated" "$(json 'd["name"]')"
ok "list" list "${S[@]}" --json --sort-by id
same "names" "$generated=$generated named=weekly mail nightly=nightly report=report" \
    "$(json '" ".join(t["id"] + "=" + t["name"] for t in d)')"
ok "inspect" inspect "${S[@]}" nightly --json
same "inspect: the name" nightly "$(json 'd["name"]')"
same "inspect: the function is still the shell" asyncz.shell "$(json 'd["function"]')"
ok "update keeps the name" update "${S[@]}" nightly --command 'echo changed'
ok "inspect after update" inspect "${S[@]}" nightly --json
same "still named after the id" nightly "$(json 'd["name"]')"

# The daemon's log names the tool's task by its id, and the config's task without a name by its section.
ok "a failing task" add "${S[@]}" --id fails-every-second --cron '* * * * * *' --command 'exit 3'
cat >"$TMP/names.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = $STORE

[task from-config]
cron = * * * * * *
command = exit 4
INI
start_daemon "$TMP/names.ini"
wait_log 'ERROR asyncz\.scheduler: task "fails-every-second" \(fails-every-second\) failed: exit status 3$'
passed=$((passed + 1))
wait_log 'ERROR asyncz\.scheduler: task "from-config" \(from-config\) failed: exit status 4$'
passed=$((passed + 1))
! grep -q 'asyncz\.shell"' "$DAEMON_LOG" || fail "a task is still named asyncz.shell: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
stop_daemon TERM
ok "list after the daemon" list "${S[@]}" --json --query from-config
same "the config's task is named after its section" from-config "$(json 'd[0]["name"]')"

echo "$passed passed, 0 failed"
