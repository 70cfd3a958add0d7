#!/usr/bin/env bash
# asyncz list (filters, sorting, limit, JSON), inspect, preview --task and timeline on a SQLite store and a
# file store. Every trigger starts in 2030, so the times are exact. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

fill() {
    ok "add a" add "${S[@]}" --id a-cron --name zeta --cron '0 9 * * *' --start-date 2030-01-01 --timezone UTC \
        --command 'echo a'
    ok "add b" add "${S[@]}" --id b-every --name alpha --interval 6h --start-date 2030-01-01T03:00Z --timezone UTC \
        --function backup.run --executor pool
    ok "add c" add "${S[@]}" --id c-once --name mid --at 2030-01-01T05:00Z --timezone UTC --command 'echo once'
    ok "add d" add "${S[@]}" --id d-paused --name beta --calendar-interval 1mo --time-of-day 08:00 \
        --start-date 2030-01-01 --timezone UTC --command 'echo monthly' --paused
    ok "add e" add "${S[@]}" --id e-both --name gamma --cron '0 12 * * *' --interval 1d --or \
        --start-date 2030-01-01 --timezone UTC --command 'echo both'
}

ids() {
    json '" ".join(t["id"] for t in d)'
}

check_list() {
    ok "$kind list" list "${S[@]}" --json
    same "$kind list order: next run, paused last" "e-both b-every c-once a-cron d-paused" "$(ids)"
    # last_run: the task's newest run (none here), from a store that keeps run history (both do now).
    same "$kind list keys" "id name state trigger trigger_kind timezone next_run_time next_run_time_us run_requested run_requested_us executor function command last_run" \
        "$(json '" ".join(d[0].keys())')"
    same "$kind no last run" "None" "$(json 'd[0]["last_run"]')"
    ok "$kind --state scheduled" list "${S[@]}" --json --state scheduled
    same "$kind scheduled" "e-both b-every c-once a-cron" "$(ids)"
    ok "$kind --state paused" list "${S[@]}" --json --state paused
    same "$kind paused" "d-paused" "$(ids)"
    ok "$kind --trigger cron" list "${S[@]}" --json --trigger cron
    same "$kind cron tasks" "a-cron" "$(ids)"
    ok "$kind --trigger calendar" list "${S[@]}" --json --trigger calendar
    same "$kind calendar tasks" "d-paused" "$(ids)"
    ok "$kind --trigger or" list "${S[@]}" --json --trigger or
    same "$kind or tasks" "e-both" "$(ids)"
    ok "$kind --executor" list "${S[@]}" --json --executor pool
    same "$kind pool tasks" "b-every" "$(ids)"
    ok "$kind --query in a command" list "${S[@]}" --json --query monthly
    same "$kind query command" "d-paused" "$(ids)"
    ok "$kind --query in a name or function" list "${S[@]}" --json --query a
    same "$kind query a (c-once has none)" "e-both b-every a-cron d-paused" "$(ids)"
    ok "$kind --query in a function" list "${S[@]}" --json --query backup.
    same "$kind query function" "b-every" "$(ids)"
    ok "$kind --query nothing" list "${S[@]}" --json --query nothing-matches
    same "$kind empty list" "[]" "$out"
    ok "$kind --sort-by name" list "${S[@]}" --json --sort-by name
    same "$kind by name" "b-every d-paused e-both c-once a-cron" "$(ids)"
    ok "$kind --sort-by id --desc --limit 2" list "${S[@]}" --json --sort-by id --desc --limit 2
    same "$kind by id desc, 2" "e-both d-paused" "$(ids)"
    ok "$kind --desc" list "${S[@]}" --json --desc --limit 1
    same "$kind next desc" "d-paused" "$(ids)"
    ok "$kind --limit 0" list "${S[@]}" --json --limit 0
    same "$kind limit 0" "[]" "$out"
    ok "$kind list text" list "${S[@]}" --state scheduled --executor default --sort-by id --limit 2
    same "$kind list table" "ID      NAME  TRIGGER                                                                            NEXT RUN                   EXECUTOR  FUNCTION/COMMAND
a-cron  zeta  cron[crontab='0 9 * * *', start_date='2030-01-01T00:00:00+00:00', timezone='UTC']  2030-01-01T09:00:00+00:00  default   echo a
c-once  mid   date[2030-01-01T05:00:00+00:00, timezone='UTC']                                    2030-01-01T05:00:00+00:00  default   echo once" "$out"
    ok "$kind list a paused task" list "${S[@]}" --state paused
    same "$kind paused row" "ID        NAME  TRIGGER                                                                                                                        NEXT RUN  EXECUTOR  FUNCTION/COMMAND
d-paused  beta  calendarinterval[years=0, months=1, weeks=0, days=0, time='08:00:00', start_date='2030-01-01T00:00:00+00:00', timezone='UTC']  paused    default   echo monthly" "$out"
    ok "$kind list in another zone" list "${S[@]}" --json --timezone Asia/Kolkata --query c-once
    same "$kind times in --timezone" "2030-01-01T10:30:00+05:30" "$(json 'd[0]["next_run_time"]')"
}

check_inspect() {
    ok "$kind inspect text" inspect "${S[@]}" b-every --count 3
    same "$kind inspect table" "id                  b-every
name                alpha
state               scheduled
function            backup.run
command             -
timeout             -
args                []
kwargs              {}
trigger             interval[6:00:00, start_date='2030-01-01T03:00:00+00:00', timezone='UTC']
timezone            UTC
next_run_time       2030-01-01T03:00:00+00:00
executor            pool
misfire_grace_time  1s
coalesce            true
max_instances       1
run_requested       -
next runs           2030-01-01T03:00:00+00:00
                    2030-01-01T09:00:00+00:00
                    2030-01-01T15:00:00+00:00" "$out"
    ok "$kind inspect json" inspect "${S[@]}" d-paused --json --count 2
    same "$kind inspect paused" "paused None ['2030-01-01T08:00:00+00:00', '2030-02-01T08:00:00+00:00']" \
        "$(json '" ".join(str(x) for x in [d["state"], d["next_run_time"], d["next_runs"]])')"
    same "$kind trigger document" "{'type': 'calendarinterval', 'months': 1, 'hour': 8, 'origin': '2030-01-01', 'timezone': 'UTC', 'start_date': '2030-01-01T00:00:00+00:00'}" \
        "$(json '{k: v for k, v in d["trigger_document"].items() if v not in (0, None)}')"
    ok "$kind inspect a one-shot" inspect "${S[@]}" c-once --json
    same "$kind one-shot runs once" "['2030-01-01T05:00:00+00:00']" "$(json 'd["next_runs"]')"
}

check_preview() {
    ok "$kind preview --task" preview "${S[@]}" --task a-cron --count 3
    stored=$out
    ok "$kind preview of the same trigger" preview --cron '0 9 * * *' --start-date 2030-01-01 --timezone UTC --count 3
    same "$kind preview --task = preview" "$out" "$stored"
    ok "$kind preview --task --json" preview "${S[@]}" --task e-both --count 2 --json --timezone Europe/Berlin
    same "$kind preview --task json" '{"timezone": "Europe/Berlin", "run_times": ["2030-01-01T01:00:00+01:00", "2030-01-01T13:00:00+01:00"], "exhausted": false}' "$out"
    ok "$kind preview --task --from" preview "${S[@]}" --task c-once --from 2029-12-31T00:00Z --count 3
    same "$kind exhausted one-shot" "2030-01-01T05:00:00+00:00" "$out"
    expect "$kind preview --task with a trigger" 2 "asyncz preview: --task previews the stored task's own trigger*" \
        preview "${S[@]}" --task a-cron --cron '* * * * *'
}

check_timeline() {
    # Runs at the same time come in the store's order (b-every was scheduled before a-cron).
    ok "$kind timeline" timeline "${S[@]}" --from 2030-01-01T00:00Z --until 2030-01-01T23:59Z --count 10
    same "$kind timeline table" "TIME                       ID       NAME   FUNCTION/COMMAND
2030-01-01T00:00:00+00:00  e-both   gamma  echo both
2030-01-01T03:00:00+00:00  b-every  alpha  backup.run
2030-01-01T05:00:00+00:00  c-once   mid    echo once
2030-01-01T09:00:00+00:00  b-every  alpha  backup.run
2030-01-01T09:00:00+00:00  a-cron   zeta   echo a
2030-01-01T12:00:00+00:00  e-both   gamma  echo both
2030-01-01T15:00:00+00:00  b-every  alpha  backup.run
2030-01-01T21:00:00+00:00  b-every  alpha  backup.run" "$out"
    ok "$kind timeline --json --count" timeline "${S[@]}" --from 2030-01-01T04:00Z --count 3 --json
    same "$kind timeline json" "c-once 2030-01-01T05:00:00+00:00 1893474000000000|b-every 2030-01-01T09:00:00+00:00 1893488400000000|a-cron 2030-01-01T09:00:00+00:00 1893488400000000" \
        "$(json '"|".join(r["id"] + " " + r["time"] + " " + str(r["time_us"]) for r in d)')"
    ok "$kind timeline later" timeline "${S[@]}" --from 2030-01-02T10:00Z --count 2 --json
    same "$kind timeline from a later start (12:00, 15:00)" "e-both b-every" "$(ids)"
    ok "$kind timeline empty window" timeline "${S[@]}" --from 2029-01-01T00:00Z --until 2029-01-02T00:00Z
    same "$kind no runs" "no runs" "$out"
}

for kind in sqlite file; do
    S=(--store "$(store_url "$kind" inspect)")
    fill
    check_list
    check_inspect
    check_preview
    check_timeline
done

echo "$passed passed"
