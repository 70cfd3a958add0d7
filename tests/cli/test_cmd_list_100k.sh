#!/usr/bin/env bash
# asyncz list on a store of 100,000 tasks (loaded in batches by asyncz-cli-fixture, not by 100,000 adds):
# every task comes back, in order, with --json and as a table. How long it takes is measured by
# `asyncz-bench cli`, never asserted here. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

N=100000
URL=$(store_url sqlite big)
"$FIXTURE" load "$URL" "$N" || fail "fixture load"

"$ASYNCZ" list --store "$URL" --json >"$TMP/list.json" 2>"$TMP/err" || fail "list --json exit $? ($(cat "$TMP/err"))"
[[ ! -s $TMP/err ]] || fail "list --json stderr: $(cat "$TMP/err")"
python3 - "$TMP/list.json" "$N" <<'PY' || fail "list --json content"
import json, sys
rows = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert len(rows) == n, f"{len(rows)} rows, expected {n}"
assert len({r["id"] for r in rows}) == n, "ids repeat"
paused = [r for r in rows if r["state"] == "paused"]
assert len(paused) == n // 10, f"{len(paused)} paused"
assert all(r["next_run_time_us"] is None for r in rows[-len(paused):]), "paused tasks are not last"
times = [r["next_run_time_us"] for r in rows if r["next_run_time_us"] is not None]
assert times == sorted(times), "not in next-run order"
assert rows[0]["command"].startswith("echo task "), rows[0]
PY
passed=$((passed + 1))

"$ASYNCZ" list --store "$URL" >"$TMP/list.txt" 2>"$TMP/err" || fail "list exit $?"
[[ $(wc -l <"$TMP/list.txt") -eq $((N + 1)) ]] || fail "table: $(wc -l <"$TMP/list.txt") lines, expected $((N + 1))"
# The JSON array is made in chunks on several threads: its rows come in the table's order all the same.
python3 - "$TMP/list.json" "$TMP/list.txt" <<'PY' || fail "list --json and the table disagree on the order"
import json, sys
json_ids = [r["id"] for r in json.load(open(sys.argv[1]))]
table_ids = [line.split()[0] for line in open(sys.argv[2]).readlines()[1:]]
assert json_ids == table_ids, next(i for i, (a, b) in enumerate(zip(json_ids, table_ids)) if a != b)
PY
passed=$((passed + 1))

run list --store "$URL" --json --state paused --sort-by id --desc --limit 3
same "filters on 100,000 tasks" "t0099999 t0099989 t0099979" "$(json '" ".join(t["id"] for t in d)')"
run status --store "$URL" --json
same "status on 100,000 tasks" "100000 90000 10000" "$(json '" ".join(str(d[k]) for k in ["tasks", "scheduled", "paused"])')"

echo "$passed passed"
