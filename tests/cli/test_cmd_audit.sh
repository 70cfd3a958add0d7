#!/usr/bin/env bash
# asyncz audit: every change the tool makes to a task (add, pause, resume, update, run request, remove) is
# in the store's audit trail, newest first, with this user as the actor and the fields that changed; the
# filters and pages; bad filters are usage errors. On a SQLite and a file store.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cmd_lib.sh"

me="$(id -un) (uid $(id -u))"

check_store() {
    S=$(store_url "$1" "a-$1")
    export ASYNCZ_STORE=$S
    ok "add" add --id backup --interval 1h --command "echo hi"
    ok "a task filter before any change" audit nothing-here
    same "empty" "no changes match" "$out"
    ok "pause" pause backup
    ok "pause again (no change)" pause backup
    ok "resume" resume backup
    ok "rename" update backup --name "Nightly backup"
    ok "run now" run backup
    ok "add another" add --id other --interval 2h --command true
    ok "remove" remove backup
    expect "remove again" 3 "*backup*" remove backup

    ok "audit" audit --json
    same "actions, newest first" "['backup:remove', 'other:add', 'backup:run', 'backup:update', 'backup:resume', 'backup:pause', 'backup:add']" \
        "$(json '[e["task_id"] + ":" + e["action"] for e in d["entries"]]')"
    same "actor" "{'$me'}" "$(json '{e["actor"] for e in d["entries"]}')"
    same "rename changes" "{'name': {'after': 'Nightly backup', 'before': 'backup'}}" \
        "$(json '[e["changes"] for e in d["entries"] if e["action"] == "update"][0]')"
    same "pause changes" "['next_run_time']" "$(json 'sorted([e for e in d["entries"] if e["action"] == "pause"][0]["changes"])')"
    same "pause after" "None" "$(json '[e for e in d["entries"] if e["action"] == "pause"][0]["changes"]["next_run_time"]["after"]')"
    same "remove has every field before" "(True, 'echo hi')" \
        "$(json '(lambda c: (all(v["after"] is None for v in c.values()), c["args"]["before"][0]))([e for e in d["entries"] if e["action"] == "remove"][0]["changes"])')"
    same "entry fields" "['action', 'actor', 'at', 'at_us', 'changes', 'host', 'id', 'pid', 'task_id']" \
        "$(json 'sorted(d["entries"][0])')"

    ok "table" audit
    [[ $(sed -n 1p <<<"$out") == AT*TASK*ACTION*ACTOR*CHANGES ]] || fail "header: $out"
    [[ $out == *"backup  update  $me"*'name: "backup" -> "Nightly backup"'* ]] || fail "update row: $out"

    ok "task filter" audit other --json
    same "other only" "['add']" "$(json '[e["action"] for e in d["entries"]]')"
    ok "action filter" audit --action pause,resume --json
    same "pause, resume" "['resume', 'pause']" "$(json '[e["action"] for e in d["entries"]]')"
    ok "actor filter" audit --actor "$me" --json
    same "all mine" "7" "$(json 'len(d["entries"])')"
    ok "nobody's" audit --actor config
    same "no match" "no changes match" "$out"
    ok "since" audit --since 1h --json
    same "since 1h" "7" "$(json 'len(d["entries"])')"
    ok "until" audit --until 1h --json
    same "until 1h ago" "0" "$(json 'len(d["entries"])')"

    ok "page 1" audit --limit 3
    cursor=$(sed -n 's/^more changes: add --cursor //p' <<<"$out")
    [[ -n $cursor ]] || fail "no cursor hint: $out"
    ok "page 2" audit --limit 3 --cursor "$cursor" --json
    same "page 2" "(['backup:update', 'backup:resume', 'backup:pause'], True)" \
        "$(json '([e["task_id"] + ":" + e["action"] for e in d["entries"]], d["next_cursor"] is not None)')"

    expect "unknown action" 2 "*--action*'paws'*is not an action (add, update, pause, resume, remove or run)*" audit --action pause,paws
    expect "bad since" 2 "*--since*neither a duration*" audit --since yesterday
    expect "bad cursor" 2 "*--cursor*not a cursor*" audit --cursor nonsense
    expect "bad limit" 2 "*--limit*" audit --limit 0
    expect "bad task id" 2 "*task id*not a valid id*" audit "bad/id"
    unset ASYNCZ_STORE
}

for kind in sqlite file; do
    check_store "$kind"
done

ok "help" audit --help
[[ $out == *"Usage: asyncz audit"*"--action"*"Exit status"* ]] || fail "help: $out"

echo "$passed passed"
