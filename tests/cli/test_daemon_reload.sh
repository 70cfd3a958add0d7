#!/usr/bin/env bash
# `asyncz start` and SIGHUP: a changed config is picked up (a new task fires, a task removed from the config
# is removed from the store, an unchanged one is left alone, a task another scheduler added stays); a bad
# config is logged with its file and line and the daemon keeps running unchanged. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

DB=$TMP/shared.db
STORE="[store default]
url = sqlite:///$DB"

# Another scheduler (a second daemon on the same store) adds a task of its own, then stops.
printf '%s\n' "$STORE" '[task other]' 'cron = 0 0 1 1 *' 'command = true' 'paused = true' >"$TMP/other.ini"
start_daemon "$TMP/other.ini"
wait_log 'task other written in store default'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "the other daemon exited $daemon_rc"

printf '%s\n' "$STORE" '[task keep]' 'interval = 1s' 'command = echo kept' \
    '[task gone]' 'interval = 1s' 'command = echo going' >"$TMP/a.ini"
start_daemon "$TMP/a.ini"
wait_log '\[keep\] kept$'
wait_log '\[gone\] going$'
[[ $(stored_ids "$DB" | tr '\n' ' ') == "gone keep other " ]] || fail "before the reload: $(stored_ids "$DB")"
passed=$((passed + 1))

# The new config: keep unchanged, gone dropped, fresh added.
printf '%s\n' "$STORE" '[task keep]' 'interval = 1s' 'command = echo kept' \
    '[task fresh]' 'interval = 1s' 'command = echo new here' >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log 'INFO asyncz\.daemon: reloaded .*/a\.ini: 2 task\(s\)$'
wait_log '\[fresh\] new here$'
passed=$((passed + 1))
grep -qE 'task gone removed from store default: no longer in the config$' "$DAEMON_LOG" ||
    fail "no removal line: $(cat "$DAEMON_LOG")"
[[ $(stored_ids "$DB" | tr '\n' ' ') == "fresh keep other " ]] || fail "after the reload: $(stored_ids "$DB")"
passed=$((passed + 1))
! grep -qE 'task keep updated' "$DAEMON_LOG" || fail "the unchanged task was rewritten: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

# A bad config: logged with file and line, nothing changes, the daemon goes on.
printf '%s\n' "$STORE" '[task keep]' 'interval = never' 'command = echo kept' >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log "ERROR asyncz\.daemon: .*/a\.ini:4: \[task keep\] interval: 'never': column 1: not a duration"
wait_log 'ERROR asyncz\.daemon: reload failed: the tasks stay as they were$'
kept=$(grep -cE '\[fresh\] new here$' "$DAEMON_LOG")
wait_log '\[fresh\] new here$' $((kept + 1))
[[ $(stored_ids "$DB" | tr '\n' ' ') == "fresh keep other " ]] || fail "after a bad reload: $(stored_ids "$DB")"
passed=$((passed + 1))

# A [scheduler] change that no task inherits rewrites no task: a task paused with `asyncz pause` stays
# paused. A task default (misfire_grace_time) rewrites the tasks that inherit it.
"$ASYNCZ" pause fresh --store "sqlite:///$DB" >/dev/null || fail "pause fresh"
printf '%s\n' '[scheduler]' 'log_level = debug' "$STORE" '[task keep]' 'interval = 1s' 'command = echo kept' \
    '[task fresh]' 'interval = 1s' 'command = echo new here' >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log 'INFO asyncz\.daemon: reloaded .*/a\.ini: 2 task\(s\)$' 2
! grep -qE 'task (keep|fresh) updated' "$DAEMON_LOG" || fail "log_level rewrote tasks: $(cat "$DAEMON_LOG")"
paused_ids=$("$ASYNCZ" list --store "sqlite:///$DB" --state paused --sort-by id --json |
    python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)))')
[[ $paused_ids == "fresh other" ]] || fail "after a log_level reload the paused tasks are: $paused_ids"
passed=$((passed + 1))
printf '%s\n' '[scheduler]' 'log_level = debug' 'misfire_grace_time = 5s' "$STORE" '[task keep]' 'interval = 1s' \
    'command = echo kept' '[task fresh]' 'interval = 1s' 'command = echo new here' >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log 'task keep updated in store default; next run: '
wait_log 'task fresh updated in store default with the \[scheduler\] defaults it inherits; it stays paused as it was \(asyncz resume fresh\)$'
grep -qE 'INFO asyncz\.daemon: changes to \[scheduler\] misfire_grace_time apply now to the tasks that inherit them' \
    "$DAEMON_LOG" || fail "no line for the task default: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))

# A timezone change (a task default too) applies now, and a pause made by hand survives it.
list_paused() {
    "$ASYNCZ" list --store "sqlite:///$DB" --state paused --sort-by id --json |
        python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)))'
}
[[ $(list_paused) == "fresh other" ]] || fail "after a misfire_grace_time reload the paused tasks are: $(list_paused)"
printf '%s\n' '[scheduler]' 'log_level = debug' 'misfire_grace_time = 5s' 'timezone = Asia/Tokyo' "$STORE" \
    '[task keep]' 'interval = 1s' 'command = echo kept' '[task fresh]' 'interval = 1s' 'command = echo new here' \
    >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log 'INFO asyncz\.daemon: reloaded .*/a\.ini: 2 task\(s\)$' 4
grep -qE 'INFO asyncz\.daemon: changes to \[scheduler\] timezone apply now to the tasks that inherit them' \
    "$DAEMON_LOG" || fail "no line for the timezone: $(cat "$DAEMON_LOG")"
! grep -qE 'timezone.* take effect at the next start' "$DAEMON_LOG" || fail "timezone reported for the next start"
[[ $(grep -c 'task fresh updated .* it stays paused as it was' "$DAEMON_LOG") -eq 2 ]] ||
    fail "fresh not kept paused on the timezone change: $(cat "$DAEMON_LOG")"
[[ $(list_paused) == "fresh other" ]] || fail "after a timezone reload the paused tasks are: $(list_paused)"
passed=$((passed + 1))

# Settings changes are reported as taking effect at the next start.
printf '%s\n' '[scheduler]' 'shutdown_timeout = 5s' "$STORE" '[task keep]' 'interval = 1s' 'command = echo kept' >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log 'WARNING asyncz\.daemon: changes to \[scheduler\] shutdown_timeout take effect at the next start$'
wait_log 'task fresh removed from store default: no longer in the config$'
passed=$((passed + 1))

stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc"
[[ $(stored_ids "$DB" | tr '\n' ' ') == "keep other " ]] || fail "at the end: $(stored_ids "$DB")"
passed=$((passed + 1))

echo "$passed passed"
