#!/usr/bin/env bash
# `make demo`: run the asyncz daemon in the foreground on a local SQLite store (./demo-data/tasks.db) with a
# few example tasks, so that tasks fire within seconds. Ctrl-C stops it cleanly (it waits for a running
# task, then exits 0). The config is written fresh each time, because the one-shot task's `at` time is an
# absolute time: 15 seconds after the start.
#
#   bash examples/run-demo.sh [ASYNCZ_BINARY]      (default build/asyncz; ASYNCZ_DEMO_DIR moves the data)
set -euo pipefail
cd "$(dirname "$0")/.."
asyncz=${1:-build/asyncz}
data=${ASYNCZ_DEMO_DIR:-$PWD/demo-data}
mkdir -p "$data"
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
INI

echo "asyncz demo: tasks from $data/demo.ini, stored in $data/tasks.db; Ctrl-C stops"
exec "$asyncz" start --config "$data/demo.ini"
