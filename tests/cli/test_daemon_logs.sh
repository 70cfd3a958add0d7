#!/usr/bin/env bash
# `asyncz start` and its log: a log file that cannot be opened is reported by --check (exit 2) and by start
# (exit 1, a runtime failure, naming the file and the reason); a `file:` log is opened again on SIGHUP, in
# the daemon and in the process pool's workers (logrotate); control bytes a command prints are escaped;
# shutdown tasks are logged as running at shutdown. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

# ---- an unopenable log file ------------------------------------------------------------------------------------
printf '%s\n' '[scheduler]' "log = file:$TMP/nodir/x.log" '[store default]' 'url = memory://' >"$TMP/bad.ini"
want="$TMP/bad.ini:2: \[scheduler\] log: 'file:$TMP/nodir/x.log': cannot make the log file $TMP/nodir/x.log: its directory $TMP/nodir does not exist"
run start --config "$TMP/bad.ini" --check
[[ $rc -eq 2 ]] || fail "--check with an unopenable log: exit $rc, stderr: $err"
grep -qE "^asyncz start: $want$" <<<"$err" || fail "--check: $err"
passed=$((passed + 1))
run start --config "$TMP/bad.ini" --check --json
[[ $rc -eq 2 && $out == *'"valid":false'*"cannot make the log file $TMP/nodir/x.log"* ]] ||
    fail "--check --json: exit $rc, $out"
passed=$((passed + 1))
run start --config "$TMP/bad.ini"
[[ $rc -eq 1 ]] || fail "start with an unopenable log: exit $rc (a runtime failure is 1), stderr: $err"
grep -qE "^asyncz start: $TMP/bad\.ini:2: \[scheduler\] log: 'file:$TMP/nodir/x\.log': cannot open the log file $TMP/nodir/x\.log for appending: No such file or directory$" <<<"$err" ||
    fail "start: $err"
[[ $err != *Try* ]] || fail "start points to --help for a runtime failure: $err"
[[ ! -e $TMP/nodir ]] || fail "something was made"
passed=$((passed + 1))
# A good file log passes --check without being made.
printf '%s\n' '[scheduler]' "log = file:$TMP/good.log" '[store default]' 'url = memory://' >"$TMP/good.ini"
run start --config "$TMP/good.ini" --check
[[ $rc -eq 0 && ! -e $TMP/good.log ]] || fail "--check with a good log file: exit $rc, $err"
passed=$((passed + 1))

# ---- SIGHUP opens the log file again; escaped control bytes; shutdown tasks -----------------------------------
cat >"$TMP/file.ini" <<INI
[scheduler]
log = file:$TMP/asyncz.log

[store default]
url = memory://

[task tick]
interval = 1s
command = printf 'bell\\007 esc\\033[2J cr\\rdone\\n'

[task bye]
shutdown = true
command = true
INI
DAEMON_LOG=$TMP/asyncz.log
"$ASYNCZ" start --config "$TMP/file.ini" 2>"$TMP/stderr" &
DAEMON_PID=$!
wait_log '\[tick\] '
grep -qF '[tick] bell\x07 esc\x1b[2J cr\x0ddone' "$DAEMON_LOG" || fail "control bytes: $(cat -v "$DAEMON_LOG")"
! grep -q $'\033' "$DAEMON_LOG" || fail "an escape byte reached the log"
passed=$((passed + 1))
grep -qE 'task bye written in store default; next run: at shutdown \(a shutdown task runs when the daemon stops\)$' \
    "$DAEMON_LOG" || fail "the shutdown task's next run: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
mv "$TMP/asyncz.log" "$TMP/asyncz.log.1"
kill -HUP "$DAEMON_PID"
wait_log 'INFO asyncz\.daemon: SIGHUP: log file opened again; reading .*/file\.ini again$'
wait_log '\[tick\] bell' # a worker's line: the workers follow too
passed=$((passed + 1))
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc; stderr: $(cat "$TMP/stderr")"
grep -qE 'asyncz\.daemon: stopped$' "$DAEMON_LOG" || fail "no 'stopped' in the new file: $(cat "$DAEMON_LOG")"
! grep -q 'SIGHUP' "$TMP/asyncz.log.1" || fail "the moved file got lines after SIGHUP"
passed=$((passed + 1))

echo "$passed passed"
