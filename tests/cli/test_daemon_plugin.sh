#!/usr/bin/env bash
# `asyncz start` with a plugin library (examples/plugin/greet_plugin.c): its functions run with their args
# and kwargs on the process pool, and their logs reach the daemon's log, here a file (log = file:PATH), which
# the workers inherit. A library without asyncz_plugin_init is refused. $1 is the asyncz binary; the plugin
# comes from $ASYNCZ_TEST_PLUGIN (set by CTest when the examples are built).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

if [[ -z ${ASYNCZ_TEST_PLUGIN:-} ]]; then
    echo "skipped: ASYNCZ_TEST_PLUGIN is not set (configure with -DASYNCZ_BUILD_EXAMPLES=ON)"
    exit 77
fi

cat >"$TMP/plugin.ini" <<INI
[scheduler]
plugins = $ASYNCZ_TEST_PLUGIN
log = file:$TMP/asyncz.log

[store default]
url = sqlite:///$TMP/tasks.db

[task greet]
interval = 1s
function = greet.hello
args = ["tests"]
kwargs = {"shout": true}

[task broken]
interval = 1s
function = greet.fail

[task shell]
interval = 1s
command = echo from a shell
INI
run start --config "$TMP/plugin.ini" --check
[[ $rc -eq 0 ]] || fail "--check: exit $rc: $err"
passed=$((passed + 1))

start_daemon "$TMP/plugin.ini"
DAEMON_LOG=$TMP/asyncz.log
wait_log 'INFO greet: \[greet\] HELLO, tests!$'
passed=$((passed + 1))
wait_log 'ERROR asyncz\.scheduler: task "broken" \(broken\) failed: greet\.fail always fails$'
passed=$((passed + 1))
wait_log 'INFO asyncz\.shell: \[shell\] from a shell$'
passed=$((passed + 1))
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc"
[[ ! -s $TMP/daemon.log ]] || fail "output outside the log file: $(cat "$TMP/daemon.log")"
passed=$((passed + 1))

# A shared library that is no plugin.
libm=$(ldconfig -p | awk '/libm\.so\.6 .*x86-64|libm\.so\.6 \(libc6\)/ {print $NF; exit}')
[[ -n $libm ]] || libm=$(gcc -print-file-name=libm.so.6)
printf '%s\n' '[scheduler]' "plugins = $libm" '[store default]' "url = sqlite:///$TMP/tasks.db" >"$TMP/notplugin.ini"
run start --config "$TMP/notplugin.ini" --check
[[ $rc -eq 2 && $err == "asyncz start: $TMP/notplugin.ini:2: [scheduler] plugins: '$libm': not an asyncz plugin: it has no function asyncz_plugin_init" ]] ||
    fail "not a plugin: exit $rc, $err"
passed=$((passed + 1))

echo "$passed passed"
