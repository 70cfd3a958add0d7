#!/usr/bin/env bash
# asyncz add, update, pause, resume, remove on a SQLite store and a file store: what they print, what they
# write, and their failures (exit 1 runtime, 2 bad input, 3 no such task). $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

TAB=$'\t'

check_store() {
    local kind=$1 S
    S=(--store "$(store_url "$kind" tasks)")

    # ---- add ----
    ok "$kind add cron" add "${S[@]}" --id backup --cron '30 2 * * *' --start-date 2030-01-01 --timezone UTC \
        --command 'tar czf /tmp/x.tgz /home' --timeout 1h
    same "$kind add prints id and next run" "backup${TAB}2030-01-01T02:30:00+00:00" "$out"
    ok "$kind add in a zone" add "${S[@]}" --id berlin --cron '0 9 * * *' --start-date 2030-07-01 \
        --timezone Europe/Berlin --function report.daily --args '["sales", 3]' --kwargs '{"mail": true}' \
        --name 'daily report' --executor pool --misfire-grace-time none --no-coalesce --max-instances 3
    same "$kind add shows the next run in the trigger's zone" "berlin${TAB}2030-07-01T09:00:00+02:00" "$out"
    ok "$kind add paused" add "${S[@]}" --id later --at 2030-05-01T12:00Z --command 'echo later' --paused
    same "$kind add paused prints paused" "later${TAB}paused" "$out"
    ok "$kind add with a generated id" add "${S[@]}" --interval 1h --start-date 2030-01-01T00:00Z --command 'date' --json
    [[ $(json 'len(d["id"]) == 32 and all(c in "0123456789abcdef" for c in d["id"])') == True ]] ||
        fail "$kind: generated id is not 32 hex digits: $out"
    generated=$(json 'd["id"]')

    expect "$kind add a taken id" 1 "asyncz add: a task with id \"backup\" is already in the store (--replace replaces it)" \
        add "${S[@]}" --id backup --at 2030-01-01T00:00Z --command true
    ok "$kind add --replace" add "${S[@]}" --id backup --cron '30 2 * * *' --start-date 2030-01-01 --timezone UTC \
        --command 'tar czf /tmp/x.tgz /home' --timeout 1h --replace
    ok "$kind list after add" list "${S[@]}" --json --state all
    same "$kind four tasks" "4" "$(json 'len(d)')"
    same "$kind stored order" "$generated backup berlin later" "$(json '" ".join(t["id"] for t in d)')"

    ok "$kind inspect a function task" inspect "${S[@]}" berlin --json --count 2
    same "$kind function task fields" \
        "report.daily ['sales', 3] {'mail': True} pool None False 3 daily report Europe/Berlin" \
        "$(json '" ".join(str(x) for x in [d["function"], d["args"], d["kwargs"], d["executor"], d["misfire_grace_time_us"], d["coalesce"], d["max_instances"], d["name"], d["timezone"]])')"
    same "$kind next runs" "['2030-07-01T07:00:00+00:00', '2030-07-02T07:00:00+00:00']" "$(json 'd["next_runs"]')"
    ok "$kind inspect a shell task" inspect "${S[@]}" backup --json
    same "$kind shell task fields" "asyncz.shell tar czf /tmp/x.tgz /home 1h ['tar czf /tmp/x.tgz /home'] {'timeout': '1h'}" \
        "$(json '" ".join(str(x) for x in [d["function"], d["command"], d["timeout"], d["args"], d["kwargs"]])')"

    # ---- pause / resume ----
    ok "$kind pause" pause "${S[@]}" backup
    same "$kind pause prints" "paused backup" "$out"
    ok "$kind list paused" list "${S[@]}" --json --state paused
    same "$kind paused tasks, in the order they were paused" "later backup" "$(json '" ".join(t["id"] for t in d)')"
    same "$kind paused has no next run" "None None" "$(json '" ".join(str(t["next_run_time"]) for t in d)')"
    ok "$kind pause again" pause "${S[@]}" backup
    same "$kind pause again changes nothing" "already paused: backup" "$out"
    ok "$kind resume" resume "${S[@]}" backup
    same "$kind resume computes the next run from now" "resumed backup (next run 2030-01-01T02:30:00+00:00)" "$out"
    ok "$kind resume --json" resume "${S[@]}" later --json
    same "$kind resumed date task" "scheduled 2030-05-01T12:00:00+00:00 1903867200000000" \
        "$(json 'd["state"] + " " + d["next_run_time"] + " " + str(d["next_run_time_us"])')"
    ok "$kind resume a scheduled task" resume "${S[@]}" backup
    same "$kind resume a scheduled task changes nothing" "not paused: backup (next run 2030-01-01T02:30:00+00:00)" "$out"

    # ---- update ----
    ok "$kind inspect before dry run" inspect "${S[@]}" backup --json
    before=$out
    ok "$kind update --dry-run" update "${S[@]}" backup --name nightly --cron '0 3 * * *' --start-date 2030-02-01 \
        --timeout 2h --dry-run
    same "$kind dry-run diff" "name: backup → nightly
timeout: 1h → 2h
kwargs: {\"timeout\":\"1h\"} → {\"timeout\":\"2h\"}
trigger: cron[crontab='30 2 * * *', start_date='2030-01-01T00:00:00+00:00', timezone='UTC'] → cron[crontab='0 3 * * *', start_date='2030-02-01T00:00:00+00:00', timezone='UTC']
next_run_time: 2030-01-01T02:30:00+00:00 → 2030-02-01T03:00:00+00:00
dry run: task backup not changed" "$out"
    ok "$kind inspect after dry run" inspect "${S[@]}" backup --json
    same "$kind update --dry-run writes nothing" "$before" "$out"
    ok "$kind update --dry-run --json" update "${S[@]}" backup --name nightly --dry-run --json
    same "$kind dry-run json" "True False name backup nightly" \
        "$(json '" ".join(str(x) for x in [d["dry_run"], d["written"], d["changes"][0]["field"], d["changes"][0]["old"], d["changes"][0]["new"]])')"
    ok "$kind update" update "${S[@]}" backup --name nightly --max-instances 2 --coalesce
    same "$kind update prints the diff" "name: backup → nightly
max_instances: 1 → 2
updated backup" "$out"
    ok "$kind update keeps the rest" inspect "${S[@]}" backup --json
    same "$kind updated fields" "nightly 2 tar czf /tmp/x.tgz /home 2030-01-01T02:30:00+00:00" \
        "$(json '" ".join(str(x) for x in [d["name"], d["max_instances"], d["command"], d["next_run_time"]])')"
    ok "$kind update a trigger keeps the zone" update "${S[@]}" berlin --cron '0 8 * * *' --start-date 2030-07-01
    ok "$kind inspect updated trigger" inspect "${S[@]}" berlin --json
    same "$kind new trigger in the old zone" "Europe/Berlin 2030-07-01T06:00:00+00:00" "$(json 'd["timezone"] + " " + d["next_run_time"]')"
    ok "$kind update a command into a function" update "${S[@]}" later --function mail.send --args '[1]'
    ok "$kind inspect converted task" inspect "${S[@]}" later --json
    same "$kind converted" "mail.send None [1] {}" "$(json '" ".join(str(x) for x in [d["function"], d["command"], d["args"], d["kwargs"]])')"
    ok "$kind update nothing changed" update "${S[@]}" backup --name nightly
    same "$kind no changes" "no changes to task backup" "$out"
    ok "$kind pause before a trigger update" pause "${S[@]}" later
    ok "$kind update paused trigger" update "${S[@]}" later --at 2031-01-01T00:00Z --timezone UTC
    ok "$kind paused stays paused" inspect "${S[@]}" later --json
    same "$kind paused after trigger update" "paused None" "$(json 'd["state"] + " " + str(d["next_run_time"])')"

    # ---- remove ----
    ok "$kind remove" remove "${S[@]}" "$generated"
    same "$kind remove prints" "removed $generated" "$out"
    ok "$kind remove --json" remove "${S[@]}" later --json
    same "$kind remove json" "{'id': 'later', 'removed': True}" "$(json 'd')"
    ok "$kind list after remove" list "${S[@]}" --json
    same "$kind left" "backup berlin" "$(json '" ".join(t["id"] for t in d)')"

    # ---- no such task: exit 3 ----
    for cmd in pause resume remove inspect; do
        expect "$kind $cmd unknown id" 3 "asyncz $cmd: no task with id \"nope\" in the store" "$cmd" "${S[@]}" nope
    done
    expect "$kind update unknown id" 3 'asyncz update: no task with id "nope" in the store' update "${S[@]}" nope --name x
    expect "$kind preview unknown task" 3 'asyncz preview: no task with id "nope" in the store' preview "${S[@]}" --task nope
}

check_store sqlite
check_store file

# ---- the store from the environment ----
export ASYNCZ_STORE
ASYNCZ_STORE=$(store_url sqlite env)
ok "store from ASYNCZ_STORE" add --id e1 --at 2030-01-01T00:00Z --command true
ok "list from ASYNCZ_STORE" list --json
same "env store holds e1" "e1" "$(json 'd[0]["id"]')"
ok "--store wins over ASYNCZ_STORE (add)" add --id o1 --at 2030-01-01T00:00Z --command true --store "$(store_url sqlite other)"
ok "--store wins over ASYNCZ_STORE" list --json --store "$(store_url sqlite other)"
same "other store holds o1 only" "o1" "$(json '" ".join(t["id"] for t in d)')"
unset ASYNCZ_STORE

echo "$passed passed"
