#!/usr/bin/env bash
# SIGHUP with a config whose value is not UTF-8 (a Latin-1 byte): the reload fails with the file, line and
# key in the log, and the daemon keeps running its tasks on the old config (it used to abort). The same for a
# config that grew past the size limit. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

DB=$TMP/tasks.db
STORE="[store default]
url = sqlite:///$DB"

printf '%s\n' "$STORE" '[task tick]' 'interval = 1s' 'command = echo tick' >"$TMP/a.ini"
start_daemon "$TMP/a.ini"
wait_log '\[tick\] tick$'

# bad_reload 'LOG PATTERN' REPEAT: after SIGHUP, the error is logged, the reload fails, and tick goes on.
bad_reload() {
    local pattern=$1 repeat=$2 ticks
    kill -HUP "$DAEMON_PID"
    wait_log "$pattern" "$repeat"
    wait_log 'ERROR asyncz\.daemon: reload failed: the tasks stay as they were$' "$repeat"
    ticks=$(grep -cE '\[tick\] tick$' "$DAEMON_LOG")
    wait_log '\[tick\] tick$' $((ticks + 2))
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon is gone: $(cat "$DAEMON_LOG")"
    [[ $(stored_ids "$DB" | tr '\n' ' ') == "tick " ]] || fail "the store changed: $(stored_ids "$DB")"
    passed=$((passed + 1))
}

printf '%s\n' "$STORE" '[task tick]' 'interval = 1s' 'command = echo tick' '[task new]' 'interval = 1s' \
    $'command = echo caf\xe9' >"$TMP/a.ini"
bad_reload "ERROR asyncz\.daemon: .*/a\.ini:8: \[task new\] command: not valid UTF-8: byte 0xE9 at byte 9 of the value \('echo caf\\\\xE9'\)" 1

head -c $((5 * 1024 * 1024)) /dev/zero >"$TMP/a.ini"
bad_reload "ERROR asyncz\.daemon: .*/a\.ini: larger than 4 MiB, the limit of a config file" 1

# A good config again is taken.
printf '%s\n' "$STORE" '[task tick]' 'interval = 1s' 'command = echo tick' '[task new]' 'interval = 1s' \
    $'command = echo caf\xc3\xa9' >"$TMP/a.ini"
kill -HUP "$DAEMON_PID"
wait_log 'INFO asyncz\.daemon: reloaded .*/a\.ini: 2 task\(s\)$'
wait_log $'\\[new\\] caf\xc3\xa9$'
passed=$((passed + 1))

stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "the daemon exited $daemon_rc: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
echo "$passed passed"
