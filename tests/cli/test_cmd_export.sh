#!/usr/bin/env bash
# asyncz export and import: every task of a store as JSON lines and back, between a SQLite store and a file
# store (both ways), with a change of sealing key on the way; the export file is 0600 and replaced whole;
# bad input names its line and adds nothing; ids the store holds need --replace; records that cannot be read
# are not exported without a message and a failing status. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

# The tasks of a store as comparable text: every field the list shows, in order.
tasks_of() {
    run list --store "$1" --json
    [[ $rc -eq 0 ]] || fail "list $1: $err"
    json '"|".join(" ".join(str(t[k]) for k in ["id", "name", "trigger", "next_run_time", "command", "function", "state"]) for t in d)'
}

fill() {
    local url=$1
    ok "add cron" add --store "$url" --id nightly --cron '0 2 * * *' --start-date 2030-01-01 --command 'backup --all'
    ok "add interval" add --store "$url" --id often --interval 90m --start-date 2030-01-01T00:00Z --command 'echo "quoted" $HOME'
    ok "add paused" add --store "$url" --id resting --at 2030-06-01T12:00Z --command 'echo rest' --paused
    ok "add function" add --store "$url" --id fn --at 2030-02-01T00:00Z --function greet --args '["world", 3]' --kwargs '{"loud": true}'
}

check_round_trip() {
    local from=$1 to=$2 back=$3
    fill "$from"
    ok "export to stdout" export --store "$from"
    local lines=$out
    same "four lines" "4" "$(wc -l <<<"$lines" | tr -d ' ')"
    python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <<<"$lines" || fail "export lines are not JSON"
    ok "export --output" export --store "$from" --output "$TMP/tasks.jsonl"
    same "export --output says where" "4 tasks written to $TMP/tasks.jsonl" "$out"
    same "export file mode" "600" "$(stat -c %a "$TMP/tasks.jsonl")"
    same "file holds what stdout showed" "$lines" "$(cat "$TMP/tasks.jsonl")"
    ls "$TMP"/tasks.jsonl.tmp.* 2>/dev/null && fail "a temporary file was left behind"
    ok "import into another kind" import --store "$to" "$TMP/tasks.jsonl"
    same "import report" "imported 4 tasks (4 added, 0 replaced)" "$out"
    local want
    want=$(tasks_of "$from")
    same "same tasks after the round trip" "$want" "$(tasks_of "$to")"
    ok "export of the copy" export --store "$to"
    same "same documents" "$lines" "$out"
    # ... and back again, from standard input.
    run import --store "$back" - <"$TMP/tasks.jsonl"
    [[ $rc -eq 0 ]] || fail "import from stdin: $err"
    same "back again" "$want" "$(tasks_of "$back")"
    # An existing export file is replaced whole, and keeps mode 0600.
    chmod 644 "$TMP/tasks.jsonl"
    ok "remove one" remove --store "$from" fn
    run export --store "$from" --output "$TMP/tasks.jsonl"
    [[ $rc -eq 0 ]] || fail "export again: $err"
    same "replaced file" "3 600" "$(wc -l <"$TMP/tasks.jsonl" | tr -d ' ') $(stat -c %a "$TMP/tasks.jsonl")"
}

check_existing() {
    local url=$1
    expect "existing ids refused" 2 "*$TMP/tasks.jsonl:1: the store already holds a task \"often\"; use --replace*nothing imported*" \
        import --store "$url" "$TMP/tasks.jsonl"
    ok "update one" update --store "$url" nightly --command 'changed'
    ok "import --replace" import --store "$url" "$TMP/tasks.jsonl" --replace --json
    same "replace report" "3 0 3" "$(json '" ".join(str(d[k]) for k in ["tasks", "added", "replaced"])')"
    ok "the replaced task" inspect --store "$url" nightly --json
    same "replaced command" "backup --all" "$(json 'd["command"]')"
}

check_bad_input() {
    local url
    url=$(store_url sqlite never-made)
    printf '%s\n' "$(head -1 "$TMP/tasks.jsonl")" '{"v":1,"id":"x"}' >"$TMP/bad.jsonl"
    expect "bad line" 2 "asyncz import: $TMP/bad.jsonl:2: not a task document: *nothing imported)" \
        import --store "$url" "$TMP/bad.jsonl"
    [[ -e $TMP/never-made.db ]] && fail "a bad import created the store"
    printf '%s\n\n%s\n' "$(head -1 "$TMP/tasks.jsonl")" "$(head -1 "$TMP/tasks.jsonl")" >"$TMP/dup.jsonl"
    expect "same id twice" 2 "*dup.jsonl:3: task \"*\" is also on line 1 (nothing imported)" \
        import --store "$url" "$TMP/dup.jsonl"
    printf 'not json\n' >"$TMP/junk.jsonl"
    expect "not JSON" 2 "*junk.jsonl:1: not a task document: line 1, column 3: '?' or '{' expected near 'not'*" import --store "$url" "$TMP/junk.jsonl"
    run import --store "$url" < <(head -c 1100000 /dev/zero | tr '\0' a)
    [[ $rc -eq 2 && $err == *"standard input:1: longer than a task document can be"* ]] || fail "long line: $rc $err"
    expect "missing file" 1 "*cannot open $TMP/nope.jsonl*" import --store "$url" "$TMP/nope.jsonl"
    [[ -e $TMP/never-made.db ]] && fail "a bad import created the store"
    expect "two files" 2 "*one input file only*" import --store "$url" a b
    # An empty input adds nothing and succeeds (the store is made, as add would).
    ok "empty import" import --store "$url" </dev/null
    same "empty import" "imported 0 tasks (0 added, 0 replaced)" "$out"
    expect "export of a missing store" 1 "*" export --store "$(store_url sqlite missing)"
    expect "export into a missing directory" 1 "asyncz export: cannot create $TMP/no/such/dir/t.jsonl.tmp.*: No such file or directory" \
        export --store "$(store_url sqlite src)" --output "$TMP/no/such/dir/t.jsonl"
}

# Changing the key: export with the old key, import with the new one into a new store.
check_key_change() {
    local old new raw
    old=$(store_url sqlite sealed-old)
    new=$(store_url file sealed-new)
    export ASYNCZ_STORE_ENCRYPTION_KEY=old-key
    fill "$old"
    ok "export with the old key" export --store "$old" --output "$TMP/keys.jsonl"
    export ASYNCZ_STORE_ENCRYPTION_KEY=new-key
    ok "import with the new key" import --store "$new" "$TMP/keys.jsonl"
    same "sealed with the new key" "AZSEAL" "$(sed -n 2p "$TMP/sealed-new/nightly.task" | head -c 6)"
    raw=$(tasks_of "$new")
    export ASYNCZ_STORE_ENCRYPTION_KEY=old-key
    same "same tasks under the new key" "$(tasks_of "$old")" "$raw"
    run list --store "$new" --json
    [[ $rc -ne 0 || $(json 'len(d)') == 0 ]] || fail "the old key reads the new store: $out"
    unset ASYNCZ_STORE_ENCRYPTION_KEY
}

# What cannot be read is not exported silently.
check_unreadable() {
    local url
    url=$(store_url sqlite unreadable)
    fill "$url"
    python3 - "$TMP/unreadable.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("update asyncz_store set state = x'7b' where id = 'often'")
c.commit()
PY
    run export --store "$url" --output "$TMP/partial.jsonl"
    [[ $rc -eq 1 ]] || fail "export with an unreadable record: exit $rc"
    [[ $err == *'task "often" cannot be read'* && $err == *"1 record cannot be read and was not exported"* ]] ||
        fail "export with an unreadable record: $err"
    same "the readable ones are written" "3" "$(wc -l <"$TMP/partial.jsonl" | tr -d ' ')"
}

check_round_trip "$(store_url sqlite src)" "$(store_url file copy)" "$(store_url sqlite back)"
check_existing "$(store_url sqlite src)"
check_bad_input
check_key_change
check_unreadable

echo "$passed passed"
