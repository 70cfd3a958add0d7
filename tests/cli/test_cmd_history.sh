#!/usr/bin/env bash
# asyncz history and asyncz logs, the LAST RUN column of list, the last runs of inspect and the run counts
# of status, on a SQLite and a file store whose run records the CLI fixture writes (asyncz-cli-fixture runs); bad
# filters and run ids are usage errors; a run followed while it runs ends with it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cmd_lib.sh"

# check_store KIND: every check on a fresh store of KIND (sqlite or file).
check_store() {
    S=$(store_url "$1" "h-$1")
    export ASYNCZ_STORE=$S
    ok "add a" add --id a --interval 1h --command true
    ok "add b" add --id b --interval 1h --command true
    ok "add c" add --id c --interval 1h --command true

    ok "no runs" history
    same "no runs text" "no runs" "$out"
    ok "no runs json" history --json
    same "no runs json" '{"runs":[],"next_cursor":null}' "$out"
    ok "list without runs" list
    [[ $out != *"LAST RUN"* ]] || fail "list shows LAST RUN with no runs: $out"

    # Oldest first: a succeeded 2 h ago, b failed 62 min ago (2.5 s late), a missed 1 min ago, a running now.
    runs=$(printf -- '-\ta\tsucceeded\t7200\t5\t100\tsch1\t-\to:hello|e:warn\n-\tb\tfailed\t3700\t2500\t1500\tsch1\tcommand exited with status 1\t!o:kept|e:bad \x1b[31mred\n-\ta\tmissed\t60\t-\t-\tsch2\t-\t-\n' |
        "$FIXTURE" runs "$S") || fail "fixture runs"
    mapfile -t ids <<<"$runs"
    [[ ${#ids[@]} -eq 3 ]] || fail "fixture wrote ${#ids[@]} runs"

    ok "history" history
    [[ $(sed -n 1p <<<"$out") == "RUN ID"*TASK*SCHEDULED*LATE*TOOK*OUTCOME*SCHEDULER*ERROR ]] || fail "header: $out"
    [[ $(sed -n 2p <<<"$out") == "${ids[2]}  a "*missed*sch2* ]] || fail "newest first: $out"
    [[ $(sed -n 3p <<<"$out") == "${ids[1]}  b "*2.5s*1.5s*failed*sch1*"command exited with status 1" ]] ||
        fail "failed row: $out"
    [[ $(sed -n 4p <<<"$out") == "${ids[0]}  a "*5ms*100ms*succeeded* ]] || fail "succeeded row: $out"
    [[ $(wc -l <<<"$out") -eq 4 ]] || fail "4 lines: $out"

    ok "history of a task" history a --json
    same "task filter" "['missed', 'succeeded']" "$(json '[r["outcome"] for r in d["runs"]]')"
    same "no cursor" "None" "$(json 'd["next_cursor"]')"
    ok "outcome filter" history --outcome failed,missed --json
    same "outcomes" "['missed', 'failed']" "$(json '[r["outcome"] for r in d["runs"]]')"
    ok "since" history --since 90m --json
    same "since 90m" "['missed', 'failed']" "$(json '[r["outcome"] for r in d["runs"]]')"
    ok "until" history --until 30m --json
    same "until 30m" "['failed', 'succeeded']" "$(json '[r["outcome"] for r in d["runs"]]')"
    ok "scheduler" history --scheduler sch2 --json
    same "scheduler sch2" "['missed']" "$(json '[r["outcome"] for r in d["runs"]]')"
    ok "no match" history --outcome crashed
    same "no match text" "no runs match" "$out"
    ok "late flag" history b --json
    same "late" "(True, 1, 'command exited with status 1')" "$(json 'd["runs"][0]["late"], d["runs"][0]["exit_status"], d["runs"][0]["error_message"]')"

    # Pages: two, then the rest with the cursor printed.
    ok "page 1" history --limit 2
    cursor=$(sed -n 's/^more runs: add --cursor //p' <<<"$out")
    [[ -n $cursor ]] || fail "no cursor hint: $out"
    ok "page 2" history --limit 2 --cursor "$cursor" --json
    same "page 2 runs" "(['${ids[0]}'], None)" "$(json '[r["run_id"] for r in d["runs"]], d["next_cursor"]')"

    # Bad filters: usage errors naming the option, before the store is touched.
    expect "bad outcome" 2 "*--outcome 'failed,nope'*'nope' is not an outcome*" history --outcome failed,nope
    expect "empty outcome" 2 "*--outcome*" history --outcome ''
    expect "bad since" 2 "*--since 'yesterday'*neither a duration*" history --since yesterday
    expect "bad until" 2 "*--until '2030-13-01'*" history --until 2030-13-01
    expect "until before since" 2 "*--until*must be after --since*" history --since 1h --until 2h
    expect "bad limit" 2 "*--limit '0'*1 to 10000*" history --limit 0
    expect "big limit" 2 "*--limit '10001'*" history --limit 10001
    expect "bad cursor" 2 "*--cursor 'zzz'*not a cursor*" history --cursor zzz
    expect "bad task id" 2 "*task id '.x'*" history .x
    expect "two task ids" 2 "*unexpected argument 'b'*" history a b
    expect "no store" 2 "*" env -u ASYNCZ_STORE "$ASYNCZ" history

    expect "missing store" 1 "*" history --store "sqlite:///$TMP/none/missing.db"
    expect "logs missing store" 1 "*" logs 0190a3c4-0000-7000-8000-000000000000 --store "sqlite:///$TMP/none/missing.db"
    ok "history help" history --help
    [[ $out == "Usage: asyncz history [TASK_ID]"*"--outcome"*"--cursor"* ]] || fail "history help: $out"
    ok "logs help" logs --help
    [[ $out == "Usage: asyncz logs RUN_ID [--follow]"*"kubectl"* ]] || fail "logs help: $out"

    # logs: the record and its output, truncation said, control characters escaped.
    ok "logs" logs "${ids[1]}"
    [[ $out == *"run        ${ids[1]}"* && $out == *"outcome    failed"* && $out == *"exit       1"* ]] ||
        fail "logs header: $out"
    [[ $out == *"(output truncated: older lines dropped)"*"  out   kept"*"  err   bad \\x1b[31mred" ]] ||
        fail "logs lines: $out"
    grep -Eq '^2[0-9-]{9}T[0-9:]{8}\.[0-9]{3}\+00:00  out   kept$' <<<"$out" || fail "line times to the ms: $out"
    ok "logs json" logs "${ids[1]}" --json
    same "logs json output" "([('stdout', 'kept'), ('stderr', 'bad \\x1b[31mred')], True)" \
        "$(json '[(l["stream"], l["text"]) for l in d["output"]], d["output_truncated"]')"
    ok "logs no output" logs "${ids[2]}"
    [[ $out == *"(no output)" ]] || fail "no output: $out"
    expect "logs unknown run" 3 "*no run with id \"0190a3c4-0000-7000-8000-000000000000\"*" \
        logs 0190a3c4-0000-7000-8000-000000000000
    expect "logs bad id" 2 "*run id 'nope'*not a run id*" logs nope
    expect "logs no id" 2 "*no run id given*" logs
    expect "logs two ids" 2 "*one run id only*" logs "${ids[0]}" "${ids[1]}"

    # list and inspect show the last runs.
    ok "list last run" list --sort-by id
    [[ $(sed -n 1p <<<"$out") == *"NEXT RUN"*"LAST RUN"*EXECUTOR* ]] || fail "list header: $out"
    [[ $(sed -n 2p <<<"$out") == "a "*"missed 1m ago"* ]] || fail "list a: $out"
    [[ $(sed -n 3p <<<"$out") == "b "*"failed 1h ago"* ]] || fail "list b: $out"
    [[ $(sed -n 4p <<<"$out") == "c "*"  -  "* ]] || fail "list c: $out"
    ok "list json last run" list --sort-by id --json
    same "list json last_run" "['${ids[2]}', '${ids[1]}', None]" \
        "$(json '[t["last_run"] and t["last_run"]["run_id"] for t in d]')"
    ok "inspect last runs" inspect a
    [[ $out == *"last runs"*"missed 1m ago, took - (${ids[2]})"*"succeeded 2h ago, took 100ms (${ids[0]})"* ]] ||
        fail "inspect: $out"
    ok "inspect json" inspect a --json
    same "inspect json runs" "['${ids[2]}', '${ids[0]}']" "$(json '[r["run_id"] for r in d["last_runs"]]')"

    # status counts the runs of the last hour (the missed one: late) and day (b failed 2.5 s late too).
    ok "status runs" status
    [[ $out == *"runs, last hour  1 (0 failed, 1 late)"*"runs, last day   3 (1 failed, 2 late)"* ]] ||
        fail "status runs: $out"
    ok "status runs json" status --json
    same "status runs json" "{'runs': 1, 'failed': 0, 'late': 1} {'runs': 3, 'failed': 1, 'late': 2}" \
        "$(json '" ".join(str(d[k]) for k in ["runs_last_hour", "runs_last_day"])')"

    # --follow: a running run gains lines, then ends; logs prints them and stops with the run.
    ASYNCZ_FIXTURE_NOW=$(($(date +%s) * 1000000))
    export ASYNCZ_FIXTURE_NOW
    run_id=$(printf -- '-\tc\trunning\t1\t0\t-\tsch1\t-\to:one\n' | "$FIXTURE" runs "$S")
    rm -f "$TMP/follow" "$TMP/follow.err" "$TMP/follow.rc"
    ("$ASYNCZ" logs "$run_id" --follow >"$TMP/follow" 2>"$TMP/follow.err"; echo $? >"$TMP/follow.rc") &
    sleep 1
    printf -- '%s\tc\trunning\t1\t0\t-\tsch1\t-\to:one|o:two\n' "$run_id" | "$FIXTURE" runs "$S" >/dev/null
    sleep 1
    printf -- '%s\tc\tfailed\t1\t0\t1500\tsch1\tboom\to:one|o:two|e:three\n' "$run_id" | "$FIXTURE" runs "$S" >/dev/null
    for _ in $(seq 50); do [[ -s $TMP/follow.rc ]] && break; sleep 0.2; done
    [[ $(cat "$TMP/follow.rc" 2>/dev/null) == 0 ]] || fail "follow did not end with 0: $(cat "$TMP/follow.err")"
    follow=$(cat "$TMP/follow")
    [[ $(grep -c '  out   one$' <<<"$follow") -eq 1 && $(grep -c '  out   two$' <<<"$follow") -eq 1 ]] ||
        fail "follow printed each line once: $follow"
    [[ $follow == *"  err   three"*"-- run $run_id failed after 1.5s: boom" ]] || fail "follow end: $follow"
    passed=$((passed + 1))
    # --follow --json of a run that has ended: its lines, one object a line, then the record.
    ok "follow json" logs "$run_id" --follow --json
    same "follow json lines" "['stdout one', 'stdout two', 'stderr three', 'failed $run_id']" \
        "$(python3 -c 'import json,sys; print([" ".join((o["stream"], o["text"]) if "text" in o else (o["outcome"], o["run_id"])) for o in map(json.loads, sys.stdin)])' <<<"$out")"
    unset ASYNCZ_FIXTURE_NOW
}

for kind in sqlite file; do
    check_store "$kind"
done

# A store that keeps no history says so (the file store, until its journal lands, is such a store: skip
# the check when it has one).
F=$(store_url file f)
ok "add to file store" add --store "$F" --id a --interval 1h --command true
run history --store "$F"
if [[ $rc -ne 0 ]]; then
    [[ $rc -eq 1 && $err == *"keeps no run history"* ]] || fail "history without history: $rc $err"
    ok "list without history" list --store "$F"
    [[ $out != *"LAST RUN"* ]] || fail "LAST RUN on a store without history: $out"
    ok "list json without history" list --store "$F" --json
    same "no last_run key" "False" "$(json '"last_run" in d[0]')"
fi

echo "$passed passed"
