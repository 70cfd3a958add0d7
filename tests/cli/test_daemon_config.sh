#!/usr/bin/env bash
# `asyncz start` with bad configs: every error names the file, the line and the key, the exit status is 2 and
# nothing is started or touched (the store file is never made); --check and --check --json. $1 is the asyncz
# binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# bad NAME 'EXPECTED STDERR' CONFIG_TEXT: `start` and `start --check` both exit 2 with exactly this stderr
# ($CFG stands for the config's path), print nothing on stdout, and leave no store behind.
bad() {
    local name=$1 expected=$2 text=$3 mode
    printf '%s\n' "$text" >"$TMP/$name.ini"
    expected=${expected//'$CFG'/$TMP/$name.ini}
    for mode in start check; do
        if [[ $mode == check ]]; then run start --config "$TMP/$name.ini" --check; else run start --config "$TMP/$name.ini"; fi
        [[ $rc -eq 2 ]] || fail "$name ($mode): exit $rc, expected 2 (stderr: $err)"
        [[ -z $out ]] || fail "$name ($mode): unexpected stdout: $out"
        [[ $err == "$expected" ]] || fail "$name ($mode): expected stderr
$expected
got
$err"
    done
    [[ ! -e $TMP/never.db ]] || fail "$name: the store file was made"
    passed=$((passed + 1))
}

STORE="[store default]
url = sqlite:///$TMP/never.db"

bad unknown_key 'asyncz start: $CFG:4: [task a] colour: unknown key (keys here: a trigger in the words of asyncz preview, command, timeout, function, args, kwargs, name, store, executor, paused, misfire_grace_time, coalesce, max_instances, on_failure, on_failure_interval, on_failure_timeout: see docs/daemon.md)' "[task a]
interval = 5s
command = true
colour = blue
$STORE"

bad unknown_scheduler_key 'asyncz start: $CFG:2: [scheduler] threads: unknown key (keys here: timezone, identity, log_level, log, shutdown_timeout, plugins, misfire_grace_time, coalesce, max_instances, executor, store, on_failure, on_failure_interval, on_failure_timeout)' "[scheduler]
threads = 4
$STORE"

bad bad_hook_interval "asyncz start: \$CFG:3: [scheduler] on_failure_interval: 'sometimes': column 1: not a duration (parts like 30s, 1h30m, 2d, 250ms; units us ms s m h d w) or none" "[scheduler]
on_failure = mail -s failed root
on_failure_interval = sometimes
$STORE"

bad bad_hook_timeout "asyncz start: \$CFG:4: [task a] on_failure_timeout: '-5s': must be greater than zero" "[task a]
interval = 5s
command = true
on_failure_timeout = -5s
on_failure = page-me
$STORE"

bad hook_timeout_without_command "asyncz start: \$CFG:5: [task a] on_failure_timeout: no on_failure command for it (set on_failure here or in [scheduler])" "[scheduler]
on_failure = page-me
[task a]
on_failure =
on_failure_timeout = 5s
interval = 5s
command = true
$STORE"

bad bad_cron "asyncz start: \$CFG:3: [task backup] cron: '0 3 * * 8': column 9: day_of_week: value 8 is above the maximum 7" "
[task backup]
cron = 0 3 * * 8
command = /usr/local/bin/backup
$STORE"

bad bad_field "asyncz start: \$CFG:2: [task a] minute: '*/70': column 3: step 70 is larger than the range 0-59 it applies to" "[task a]
minute = */70
command = true
$STORE"

bad unknown_zone "asyncz start: \$CFG:2: [scheduler] timezone: 'Mars/Olympus_Mons': unknown time zone
asyncz start: \$CFG:7: [task b] timezone: 'Europe/Atlantis': unknown time zone" "[scheduler]
timezone = Mars/Olympus_Mons
$STORE
[task b]
interval = 1h
timezone = Europe/Atlantis
command = true"

bad duplicate_key 'asyncz start: $CFG:4: [task a] command: duplicate key (first at line 3)' "[task a]
interval = 5s
command = true
command = false
$STORE"

bad duplicate_key_spelling 'asyncz start: $CFG:3: [task a] day_of_week: duplicate key (first at line 2)' "[task a]
day-of-week = mon
day_of_week = tue
command = true
$STORE"

bad duplicate_task 'asyncz start: $CFG:4: [task a]: duplicate section (first at line 1)' "[task a]
interval = 5s
command = true
[task a]
interval = 6s
command = true
$STORE"

bad no_trigger 'asyncz start: $CFG:1: [task lonely]: no trigger: give cron, interval, calendar-interval, at, shutdown or field keys such as minute' "[task lonely]
command = true
$STORE"

bad nothing_to_run 'asyncz start: $CFG:1: [task idle]: nothing to run: give command = SHELL LINE or function = NAME' "[task idle]
interval = 5s
$STORE"

bad two_triggers 'asyncz start: $CFG:1: [task a]: several triggers (cron, interval): add combine = and (fire when all agree) or combine = or (fire at the earliest)' "[task a]
cron = 0 * * * *
interval = 5s
command = true
$STORE"

bad preview_only 'asyncz start: $CFG:4: [task a] count: a preview option, not one of a task (see asyncz preview)' "[task a]
interval = 5s
command = true
count = 3
$STORE"

bad inline_comment "asyncz start: \$CFG:3: [task a] command: ' ;' starts a comment in this file, which would cut the value short: write ';' without a blank before it (a; b), or put the command in a script" "[task a]
interval = 5s
command = cd /tmp ; ls
$STORE"

bad bad_duration "asyncz start: \$CFG:4: [task a] timeout: '5 minutes': column 3: not a duration (parts like 30s, 1h30m, 2d, 250ms; units us ms s m h d w)" "[task a]
interval = 5s
command = true
timeout = 5 minutes
$STORE"

bad bad_store_url "asyncz start: \$CFG:2: [store default] url: 'sqlite://host/x.db': an SQLite URL names a file, not a server: sqlite:///relative/path.db or sqlite:////absolute/path.db" "[store default]
url = sqlite://host/x.db"

bad thread_for_command "asyncz start: \$CFG:5: [task a]: a command runs on a process pool, and executor 'default' is a threadpool: name a processpool executor" "[executor default]
type = threadpool
$STORE
[task a]
interval = 5s
command = true"

bad unknown_function "asyncz start: \$CFG:3: [task a] function: 'reports.weekly': no plugin registers this function (plugins are named by [scheduler] plugins)" "[task a]
interval = 5s
function = reports.weekly
$STORE"

bad bad_section 'asyncz start: $CFG:1: [job a]: unknown section (sections: [scheduler], [store NAME], [executor NAME], [task ID], [http])
asyncz start: $CFG:4: expected '"'key = value'"' or a '"'[section]'"' header' "[job a]
$STORE
not an entry"

bad missing_plugin "asyncz start: \$CFG:2: [scheduler] plugins: '/nonexistent/libnope.so': cannot load it: /nonexistent/libnope.so: cannot open shared object file: No such file or directory" "[scheduler]
plugins = /nonexistent/libnope.so
$STORE"

# A missing file.
run start --config "$TMP/absent.ini"
[[ $rc -eq 2 && $err == "asyncz start: $TMP/absent.ini: cannot read the config file: No such file or directory" ]] ||
    fail "missing file: exit $rc, stderr: $err"
passed=$((passed + 1))

# No --config.
run start
[[ $rc -eq 2 && $err == *"no config file given: asyncz start --config FILE"* ]] || fail "no --config: exit $rc, $err"
passed=$((passed + 1))

# --check on a good config: exit 0, a summary, no store made.
cat >"$TMP/good.ini" <<INI
[scheduler]
timezone = Europe/Berlin
misfire_grace_time = 30s

$STORE

[executor default]
type = processpool
workers = 2

[task backup]
cron = 30 2 * * *
command = /usr/local/bin/backup --quiet
timeout = 1h

[task weekdays]
day-of-week = mon-fri
hour = 9
command = echo morning
INI
run start --config "$TMP/good.ini" --check
[[ $rc -eq 0 && -z $err && $out == "$TMP/good.ini: ok (2 task(s), 1 store(s), 1 executor(s))" ]] ||
    fail "--check: exit $rc, out: $out, err: $err"
[[ ! -e $TMP/never.db ]] || fail "--check made the store file"
passed=$((passed + 1))

run start --config "$TMP/good.ini" --check --json
[[ $rc -eq 0 && -z $err && $out == "{\"config\":\"$TMP/good.ini\",\"valid\":true,\"errors\":[],\"tasks\":[\"backup\",\"weekdays\"],\"warnings\":[]}" ]] ||
    fail "--check --json: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

run start --config "$TMP/duplicate_key.ini" --check --json
[[ $rc -eq 2 && -z $err && $out == "{\"config\":\"$TMP/duplicate_key.ini\",\"valid\":false,\"errors\":[{\"line\":4,\"message\":\"[task a] command: duplicate key (first at line 3)\"}],\"tasks\":[],\"warnings\":[]}" ]] ||
    fail "--check --json of a bad config: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

echo "$passed passed"
