#!/usr/bin/env bash
# asyncz status, instances and doctor on a SQLite store and a file store: counts, heartbeats (written by
# asyncz-cli-fixture), unreadable records (reported, never quarantined by the tool), quarantined records,
# and the sealing key. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

# tamper KIND NAME ID PY: rewrite the stored bytes of task ID with the Python expression PY over b (bytes).
tamper() {
    local kind=$1 name=$2 id=$3 expr=$4
    if [[ $kind == sqlite ]]; then
        python3 - "$TMP/$name.db" "$id" "$expr" <<'PY'
import sqlite3, sys
db, id_, expr = sys.argv[1:]
c = sqlite3.connect(db)
b = bytes(c.execute("select state from asyncz_store where id = ?", (id_,)).fetchone()[0])
c.execute("update asyncz_store set state = ? where id = ?", (eval(expr), id_))
c.commit()
PY
    else
        python3 - "$TMP/$name/$id.task" "$expr" <<'PY'
import sys
path, expr = sys.argv[1:]
b = open(path, "rb").read()
open(path, "wb").write(eval(expr))
PY
    fi
}

# stored KIND NAME ID: whether the record of ID is still where the store keeps its tasks.
stored() {
    if [[ $1 == sqlite ]]; then
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute("select 1 from asyncz_store where id=?", (sys.argv[2],)).fetchone() else 1)' \
            "$TMP/$2.db" "$3"
    else
        [[ -f $TMP/$2/$3.task ]]
    fi
}

check_status() {
    # Only add makes a store; then it is emptied, for the counts of an empty store.
    ok "$kind make the store" add "${S[@]}" --id scratch --at 2030-01-01T05:00Z --command true
    ok "$kind empty it" remove "${S[@]}" scratch
    ok "$kind status empty" status "${S[@]}" --json
    same "$kind empty status" "$kind 0 0 0 None 0 0" \
        "$(json '" ".join(str(d[k]) for k in ["store", "tasks", "scheduled", "paused", "next_run_time", "quarantined", "schedulers_live"])')"
    ok "add one" add "${S[@]}" --id one --at 2030-01-01T05:00Z --command 'echo one'
    ok "add two" add "${S[@]}" --id two --cron '0 6 * * *' --start-date 2030-01-01 --command 'echo two'
    ok "add three" add "${S[@]}" --id three --interval 1h --command 'echo three' --paused
    ok "$kind status" status "${S[@]}" --json
    same "$kind status counts" "3 2 1 0 2030-01-01T05:00:00+00:00 1893474000000000 0 0" \
        "$(json '" ".join(str(d[k]) for k in ["tasks", "scheduled", "paused", "unreadable", "next_run_time", "next_run_time_us", "quarantined", "schedulers_expired"])')"
    ok "$kind status text" status "${S[@]}"
    local table=$out
    # A store that keeps run history adds the runs of the last hour and day (none here).
    run history "${S[@]}"
    if [[ $rc -eq 0 ]]; then
        same "$kind status table" "store            $kind
url              $URL
tasks            3 (2 scheduled, 1 paused)
next run         2030-01-01T05:00:00+00:00
records          0 quarantined, 0 unreadable
schedulers       0 live, 0 expired
runs, last hour  0 (0 failed, 0 late)
runs, last day   0 (0 failed, 0 late)" "$table"
        ok "$kind status json runs" status "${S[@]}" --json
        same "$kind status runs" "{'runs': 0, 'failed': 0, 'late': 0} {'runs': 0, 'failed': 0, 'late': 0}" \
            "$(json '" ".join(str(d[k]) for k in ["runs_last_hour", "runs_last_day"])')"
    else
        same "$kind status table" "store       $kind
url         $URL
tasks       3 (2 scheduled, 1 paused)
next run    2030-01-01T05:00:00+00:00
records     0 quarantined, 0 unreadable
schedulers  0 live, 0 expired" "$table"
        ok "$kind status json no history" status "${S[@]}" --json
        same "$kind status no runs" "None None" "$(json '" ".join(str(d[k]) for k in ["runs_last_hour", "runs_last_day"])')"
    fi
}

check_instances() {
    ok "$kind no instances" instances "${S[@]}"
    same "$kind no instances text" "no schedulers registered" "$out"
    ok "$kind no instances json" instances "${S[@]}" --json
    same "$kind no instances json" "[]" "$out"
    ok "$kind doctor all ok" doctor "${S[@]}" --strict
    "$FIXTURE" heartbeat "$URL" live-1 600 || fail "fixture heartbeat"
    "$FIXTURE" heartbeat "$URL" gone-1 -30 || fail "fixture heartbeat"
    ok "$kind instances" instances "${S[@]}" --json
    same "$kind instances json" "gone-1 fixture-host 4242 True 1 t0000001|live-1 fixture-host 4242 False 1 t0000001" \
        "$(json '"|".join(" ".join(str(x) for x in [i["id"], i["host"], i["pid"], i["expired"], len(i["running"]), i["running"][0]["task_id"]]) for i in sorted(d, key=lambda i: i["id"]))')"
    same "$kind instance keys" "id host pid version expired started_at started_at_us heartbeat_at heartbeat_at_us expires_at expires_at_us running" \
        "$(json '" ".join(d[0].keys())')"
    ok "$kind instances text" instances "${S[@]}"
    same "$kind instances header" "ID      HOST          PID   VERSION  STARTED                           LAST HEARTBEAT                    EXPIRES                           RUNNING" \
        "$(head -1 <<<"$out" | sed 's/  *$//' | sed -E 's/STARTED +LAST HEARTBEAT +EXPIRES +RUNNING/STARTED                           LAST HEARTBEAT                    EXPIRES                           RUNNING/')"
    [[ $(grep -c 'fixture-host  4242' <<<"$out") -eq 2 ]] || fail "$kind instances rows: $out"
    ok "$kind status with schedulers" status "${S[@]}" --json
    same "$kind live and expired" "1 1" "$(json '" ".join(str(d[k]) for k in ["schedulers_live", "schedulers_expired"])')"
    ok "$kind doctor warns about an expired heartbeat" doctor "${S[@]}"
    same "$kind doctor warning line" "warning  schedulers  1 live; 1 expired heartbeat (stopped without deregistering, or stuck): gone-1" \
        "$(grep schedulers <<<"$out")"
    run doctor "${S[@]}" --strict
    [[ $rc -eq 1 ]] || fail "$kind doctor --strict with a warning: expected exit 1, got $rc"
    passed=$((passed + 1))
}

check_unreadable() {
    # Same length, so the file store's header (which counts the bytes) still fits: only the document is bad.
    tamper "$kind" "$NAME" two 'b.replace(b"\"name\":", b"\"evil\":")'
    run list "${S[@]}" --json
    [[ $rc -eq 0 ]] || fail "$kind list with a tampered record: exit $rc ($err)"
    same "$kind list warns" 'asyncz list: warning: task "two" cannot be read (left in place): the task document is invalid: evil: unknown key' "$err"
    same "$kind list skips it" "one three" "$(json '" ".join(t["id"] for t in d)')"
    passed=$((passed + 1))
    run doctor "${S[@]}" --json
    [[ $rc -eq 1 ]] || fail "$kind doctor with a tampered record: expected exit 1, got $rc"
    same "$kind doctor reports it" "records error ['two']" \
        "$(json '" ".join(str(x) for c in d if c["check"] == "records" for x in [c["check"], c["status"], c["ids"]])')"
    run doctor "${S[@]}"
    same "$kind doctor error line" "error    records     1 record cannot be read; a scheduler would quarantine it: two" \
        "$(grep records <<<"$out")"
    stored "$kind" "$NAME" two || fail "$kind: the tool moved the tampered record"
    run status "${S[@]}" --json
    same "$kind status counts the unreadable record" "0 1" "$(json '" ".join(str(d[k]) for k in ["quarantined", "unreadable"])')"
    expect "$kind inspect an unreadable task" 1 "*cannot be read*" inspect "${S[@]}" two

    # A scheduler's read quarantines it; then doctor warns about the quarantine.
    "$FIXTURE" scan "$URL" 2>/dev/null || fail "fixture scan"
    stored "$kind" "$NAME" two && fail "$kind: a scheduler's read did not quarantine the record"
    ok "$kind status after quarantine" status "${S[@]}" --json
    same "$kind quarantined" "1 0" "$(json '" ".join(str(d[k]) for k in ["quarantined", "unreadable"])')"
    ok "$kind doctor quarantine" doctor "${S[@]}" --json
    same "$kind doctor quarantine warning" "warning ['two']" \
        "$(json '" ".join(str(x) for c in d if c["check"] == "quarantine" for x in [c["status"], c["ids"]])')"
}

check_sealing() {
    local name=sealed-$kind url
    url=$(store_url "$kind" "$name")
    export ASYNCZ_STORE_ENCRYPTION_KEY=first-key
    ok "$kind add sealed" add --store "$url" --id s1 --at 2030-01-01T00:00Z --command 'echo s1'
    ok "$kind add sealed 2" add --store "$url" --id s2 --at 2030-01-01T00:00Z --command 'echo s2'
    ok "$kind doctor with the key" doctor --store "$url" --json
    same "$kind sealing ok" "ok" "$(json '" ".join(c["status"] for c in d if c["check"] == "sealing")')"
    tamper "$kind" "$name" s2 'b[:-3] + bytes([b[-3] ^ 1]) + b[-2:]'
    run list --store "$url" --json
    same "$kind list with an altered sealed record" "s1" "$(json '" ".join(t["id"] for t in d)')"
    [[ $err == *'task "s2" cannot be read (left in place): the sealed record does not open'* ]] ||
        fail "$kind altered sealed record warning: $err"
    run doctor --store "$url" --json
    [[ $rc -eq 1 ]] || fail "$kind doctor with an altered sealed record: exit $rc"
    same "$kind doctor altered" "error ['s2']" "$(json '" ".join(str(x) for c in d if c["check"] == "sealing" for x in [c["status"], c["ids"]])')"
    stored "$kind" "$name" s2 || fail "$kind: the tool moved the altered sealed record"
    export ASYNCZ_STORE_ENCRYPTION_KEY=other-key
    run doctor --store "$url" --json
    [[ $rc -eq 1 ]] || fail "$kind doctor with another key: exit $rc"
    # A key that opens none of the sealed records is refused at connect (a wrong key, not two altered records).
    same "$kind doctor other key" "error: cannot connect to the store: ASYNCZ_STORE_ENCRYPTION_KEY opens none of the 2 sealed records in $url: is it the right key?" \
        "$(json '" ".join(c["status"] + ": " + c["message"] for c in d if c["check"] == "sealing")')"
    unset ASYNCZ_STORE_ENCRYPTION_KEY
    run doctor --store "$url"
    [[ $rc -eq 1 ]] || fail "$kind doctor without the key: exit $rc"
    [[ $out == "error  sealing  cannot connect to the store: $url holds sealed records but ASYNCZ_STORE_ENCRYPTION_KEY is not set"* ]] || fail "$kind doctor without the key: $out"
    passed=$((passed + 4))
}

for kind in sqlite file; do
    NAME=ops-$kind
    URL=$(store_url "$kind" "$NAME")
    S=(--store "$URL")
    check_status
    check_instances
    check_unreadable
    check_sealing
done

echo "$passed passed"
