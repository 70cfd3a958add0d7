#!/usr/bin/env bash
# `asyncz start` stopping with a shutdown task that cannot be stopped: a plugin function on a thread pool
# (greet.nap, 600 s) goes on past shutdown_timeout, and nothing can kill a thread; the daemon still exits,
# 5 s after telling it to stop, with status 1 and a log line that says why. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

if [[ -z ${ASYNCZ_TEST_PLUGIN:-} ]]; then
    echo "skipped: ASYNCZ_TEST_PLUGIN is not set (configure with -DASYNCZ_BUILD_EXAMPLES=ON)"
    exit 77
fi

cat >"$TMP/stuck.ini" <<INI
[scheduler]
plugins = $ASYNCZ_TEST_PLUGIN
shutdown_timeout = 1s

[store default]
url = sqlite:///$TMP/stuck.db

[executor default]
type = threadpool
workers = 2

[task last-words]
shutdown = true
function = greet.nap
args = [600]
INI
start_daemon "$TMP/stuck.ini"
wait_log 'started with'
began=$SECONDS
stop_daemon TERM
took=$((SECONDS - began))
[[ $daemon_rc -eq 1 ]] || fail "exit status $daemon_rc, expected 1; log: $(cat "$DAEMON_LOG")"
((took < 30)) || fail "the stop took ${took}s; log: $(cat "$DAEMON_LOG")"
grep -q 'shutdown tasks still going (shutdown_timeout 1s): they are killed' "$DAEMON_LOG" ||
    fail "no timeout line: $(cat "$DAEMON_LOG")"
grep -q 'ERROR asyncz.daemon: a shutdown task on a thread pool or the loop does not stop when told' "$DAEMON_LOG" ||
    fail "no line saying why: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
echo "$passed passed"
