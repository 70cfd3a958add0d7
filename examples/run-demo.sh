#!/usr/bin/env bash
# `make demo`: run the asyncz daemon in the foreground on a local SQLite store (./demo-data/tasks.db) with a
# few example tasks, so that tasks fire within seconds, and its web console on http://127.0.0.1:8080/ with a
# one-time login (user "demo", a new random password each start, printed below). Ctrl-C stops it cleanly
# (it waits for a running task, then exits 0). The config is written fresh each time, because the one-shot
# task's `at` time is an absolute time: 15 seconds after the start.
#
#   bash examples/run-demo.sh [ASYNCZ_BINARY]      (default build/asyncz; ASYNCZ_DEMO_DIR moves the data,
#                                                   ASYNCZ_DEMO_PORT the console, default 8080)
set -euo pipefail
cd "$(dirname "$0")/.."
asyncz=${1:-build/asyncz}
data=${ASYNCZ_DEMO_DIR:-$PWD/demo-data}
port=${ASYNCZ_DEMO_PORT:-8080}
mkdir -p "$data"
chmod 700 "$data"
# The console's one login: user demo (admin), a password made now and shown once.
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-16)
rm -f "$data/users"
printf '%s\n' "$password" | "$asyncz" auth user demo --role admin --file "$data/users" >/dev/null
# A naive local time: the scheduler reads it in its zone (local, as no timezone is configured).
at=$(date -d '+15 seconds' '+%Y-%m-%dT%H:%M:%S')

cat >"$data/demo.ini" <<INI
; Written by examples/run-demo.sh; see docs/daemon.md for every key.
[scheduler]
log_level = info
shutdown_timeout = 10s

; The demo's own store: SQLite in a local folder (four slashes: an absolute path).
[store default]
url = sqlite:///$data/tasks.db

; Shell commands run on this process pool; their output lines appear in the log with the task id.
[executor default]
type = processpool
workers = 4

[task heartbeat]
interval = 3s
command = echo "heartbeat at \$(date +%T), load \$(cut -d' ' -f1 /proc/loadavg)"

[task every-minute]
cron = * * * * *
command = echo "cron: minute \$(date +%H:%M) has begun"

[task disk]
interval = 10s
command = echo "disk: \$(df -h --output=avail / | tail -n 1 | tr -d ' ') free on /"

[task one-shot]
at = $at
command = echo "one-shot: runs once, at $at"

; A command that fails: its stderr is logged as a warning and the run as an error.
[task complaint]
interval = 20s
command = echo "something looks wrong" >&2; exit 1

; The web console and the JSON API (docs/console.md, docs/http-api.md), on this machine only.
[http]
listen = 127.0.0.1:$port
users_file = $data/users
INI

echo "asyncz demo: tasks from $data/demo.ini, stored in $data/tasks.db; Ctrl-C stops"
echo
echo "  console:  http://127.0.0.1:$port/"
echo "  login:    demo"
echo "  password: $password   (new at every start)"
echo
exec "$asyncz" start --config "$data/demo.ini"
