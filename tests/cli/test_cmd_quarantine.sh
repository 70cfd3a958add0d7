#!/usr/bin/env bash
# asyncz quarantine list|show|restore|drop on a SQLite store and a file store: records a scheduler's read
# moved aside (asyncz-cli-fixture scan) are listed and shown; one still invalid is refused with the reason and
# stays; one quarantined for a reason that no longer holds (its index disagreed with its document) is
# restored and listed again; a live task with the same id needs --replace; several entries for one id are
# told apart by --at; drop is explicit; in a sealed store, an altered record and a plaintext one are refused
# (the plaintext one comes back by importing the document show prints). $1 is the asyncz binary.
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
data = open(path, "rb").read()
head, b = data.split(b"\n", 1)
new = eval(expr)
head = head.replace(b"len=%d" % len(b), b"len=%d" % len(new))
open(path, "wb").write(head + b"\n" + new)
PY
    fi
}

# quarantine_now [URL]: a scheduler's read of the store, which quarantines what cannot be read.
quarantine_now() {
    "$FIXTURE" scan "${1:-$URL}" 2>/dev/null || fail "fixture scan"
}

# misindex ID: rewrite the index (next run time) of task ID to 2029-12-31T00:00Z, so that it disagrees with
# the document (as a record half written by hand would); a scheduler's read then quarantines the record.
misindex() {
    "$FIXTURE" get "$URL" "$1" >"$TMP/$1.raw" || fail "fixture get $1"
    "$FIXTURE" put "$URL" "$1" 1893369600000000 <"$TMP/$1.raw" || fail "fixture put $1"
}

check_usage() {
    expect "no action" 2 "*no action given*" quarantine
    expect "unknown action" 2 "*unknown action 'frob'*" quarantine frob
    expect "show without id" 2 "*no task id given*" quarantine show
    expect "list --all" 2 "*--all is for drop only*" quarantine list --all
    expect "list with an id" 2 "*takes no task id*" quarantine list x
    expect "restore --all" 2 "*--all is for drop only*" quarantine restore x --all
    expect "drop --replace" 2 "*--replace is for restore only*" quarantine drop x --replace
    expect "drop --all --at" 2 "*exclude each other*" quarantine drop x --all --at 2030-01-01
    expect "bad --at" 2 "*--at*not an ISO-8601 time*" quarantine show x --at yesterday
    ok "help" quarantine --help
    [[ $out == *"asyncz quarantine restore ID"* ]] || fail "quarantine --help: $out"
    ok "action help" quarantine drop --help
    [[ $out == *"--all"* ]] || fail "quarantine drop --help: $out"
}

check_bad_record() {
    ok "$kind make the store" add "${S[@]}" --id good --at 2030-01-01T05:00Z --command 'echo good'
    ok "$kind empty quarantine" quarantine list "${S[@]}"
    same "$kind empty text" "no record is quarantined" "$out"
    ok "$kind empty json" quarantine list "${S[@]}" --json
    same "$kind empty json" "[]" "$out"
    ok "$kind add junk" add "${S[@]}" --id junk --at 2030-01-01T06:00Z --command 'echo junk'
    tamper "$kind" "$NAME" junk 'b"{\"v\":1,\x01" + bytes([0xff])'
    quarantine_now
    run doctor "${S[@]}"
    same "$kind doctor points to the quarantine commands" \
        "warning  quarantine  1 record is quarantined ('asyncz quarantine list' shows it, 'asyncz quarantine restore ID' puts a fixed one back): junk" \
        "$(grep "^warning  quarantine" <<<"$out")"
    ok "$kind list" quarantine list "${S[@]}"
    [[ $(head -1 <<<"$out") == "ID    QUARANTINED"*"REASON" ]] || fail "$kind list header: $out"
    [[ $(sed -n 2p <<<"$out") == "junk  20"*"  the task document is invalid"* ]] || fail "$kind list row: $out"
    ok "$kind list json" quarantine list "${S[@]}" --json
    same "$kind list json keys" "id reason size sealed at at_us" "$(json '" ".join(d[0].keys())')"
    same "$kind list json" "junk 9 False" "$(json '" ".join(str(d[0][k]) for k in ["id", "size", "sealed"])')"
    ok "$kind show" quarantine show "${S[@]}" junk
    [[ $out == *"restorable   no: the task document is invalid"* ]] || fail "$kind show: $out"
    [[ $out == *"content (9 bytes, not text):"*"7b 22 76 22 3a 31 2c 01 ff"*'|{"v":1,..|'* ]] ||
        fail "$kind show hex: $out"
    ok "$kind show json" quarantine show "${S[@]}" junk --json
    same "$kind show json" "False 7b2276223a312c01ff" "$(json '" ".join(str(d[0][k]) for k in ["restorable", "hex"])')"
    expect "$kind restore refused" 1 \
        '*task "junk" (quarantined at 20*) cannot be restored: the task document is invalid*nothing changed*' \
        quarantine restore "${S[@]}" junk
    ok "$kind still quarantined" quarantine list "${S[@]}" --json
    same "$kind still one entry" "junk" "$(json '" ".join(e["id"] for e in d)')"
    ok "$kind not in the tasks" list "${S[@]}" --json
    same "$kind tasks" "good" "$(json '" ".join(t["id"] for t in d)')"
    expect "$kind show missing" 3 '*no record of task "nope" is quarantined*' quarantine show "${S[@]}" nope
    expect "$kind restore missing" 3 '*no record of task "nope" is quarantined*' quarantine restore "${S[@]}" nope
    expect "$kind drop missing" 3 '*no record of task "nope" is quarantined*' quarantine drop "${S[@]}" nope
    ok "$kind drop" quarantine drop "${S[@]}" junk
    same "$kind dropped" "dropped 1 quarantined record of junk" "$out"
    ok "$kind gone" quarantine list "${S[@]}"
    same "$kind gone" "no record is quarantined" "$out"
    # A record of text that is not JSON, with terminal controls (ESC, and the C1 control CSI as UTF-8): show
    # prints them escaped, line by line, never as raw bytes.
    ok "$kind add ctl" add "${S[@]}" --id ctl --at 2030-01-01T07:00Z --command 'echo ctl'
    tamper "$kind" "$NAME" ctl 'b"hello \x1b[31mred\xc2\x9b\nline2"'
    quarantine_now
    ok "$kind show controls" quarantine show "${S[@]}" ctl
    [[ $out == *'content (22 bytes of text, not JSON):'*'  hello \x1b[31mred\u009b\n'*'  line2'* ]] ||
        fail "$kind show controls: $out"
    [[ $out != *$'\x1b'* && $out != *$'\xc2\x9b'* ]] || fail "$kind show controls: raw control bytes: $out"
    ok "$kind drop ctl" quarantine drop "${S[@]}" ctl
}

# Records whose index disagreed with their document: quarantined by a scheduler's read; restore rewrites the
# record from its document (the index is not trusted), so they restore as they were.
check_fixed_record() {
    ok "$kind add plain" add "${S[@]}" --id plain --cron '0 7 * * *' --start-date 2030-01-01 --command 'echo plain'
    ok "$kind add dup" add "${S[@]}" --id dup --at 2030-01-02T00:00Z --command 'echo original'
    ok "$kind remove good" remove "${S[@]}" good
    misindex plain
    misindex dup
    quarantine_now
    ok "$kind both quarantined" quarantine list "${S[@]}" --json
    same "$kind both quarantined" "dup plain" "$(json '" ".join(sorted(e["id"] for e in d))')"
    ok "$kind show restorable" quarantine show "${S[@]}" plain
    [[ $out == *'document:'*'"crontab": "0 7 * * *"'* ]] || fail "$kind show document: $out"
    [[ $out == *"restorable   yes ('asyncz quarantine restore plain')"* ]] || fail "$kind show: $out"
    ok "$kind restore" quarantine restore "${S[@]}" plain
    same "$kind restored" "restored plain (next run 2030-01-01T07:00:00+00:00)" "$out"
    ok "$kind listed again" list "${S[@]}" --json
    same "$kind listed again" "plain 2030-01-01T07:00:00+00:00" \
        "$(json '" ".join(str(x) for t in d for x in [t["id"], t["next_run_time"]])')"
    # A live task with the same id: refused (exit 2), then replaced with --replace.
    ok "$kind a new dup" add "${S[@]}" --id dup --at 2030-03-03T00:00Z --command 'echo new'
    expect "$kind restore over a live task" 2 '*already holds a live task "dup"*--replace*' \
        quarantine restore "${S[@]}" dup
    ok "$kind dup unchanged" inspect "${S[@]}" dup --json
    same "$kind dup unchanged" "echo new" "$(json 'd["command"]')"
    ok "$kind restore --replace" quarantine restore "${S[@]}" dup --replace --json
    same "$kind restore json" "dup True 2030-01-02T00:00:00+00:00" \
        "$(json '" ".join(str(d[k]) for k in ["id", "restored", "next_run_time"])')"
    ok "$kind dup replaced" inspect "${S[@]}" dup --json
    same "$kind dup replaced" "echo original" "$(json 'd["command"]')"
    ok "$kind nothing left" quarantine list "${S[@]}" --json
    same "$kind nothing left" "[]" "$out"
}

# Several entries for one id: show lists them all, drop wants --at or --all.
check_several() {
    local i
    for i in 1 2 3; do
        ok "$kind add twice $i" add "${S[@]}" --id twice --at 2030-01-01T00:00Z --command "echo $i"
        tamper "$kind" "$NAME" twice 'b"[" + str('"$i"').encode()'
        quarantine_now
    done
    ok "$kind three entries" quarantine list "${S[@]}" --json
    same "$kind three entries" "twice twice twice" "$(json '" ".join(e["id"] for e in d)')"
    local first second
    first=$(json 'd[0]["at"]')
    second=$(json 'd[1]["at"]')
    ok "$kind show all" quarantine show "${S[@]}" twice --json
    same "$kind show all" "[1 [2 [3" "$(json '" ".join(e["text"] for e in d)')"
    ok "$kind show --at" quarantine show "${S[@]}" twice --at "$second" --json
    same "$kind show --at" "[2" "$(json '" ".join(e["text"] for e in d)')"
    expect "$kind drop ambiguous" 2 '*task "twice" has 3 quarantined records (*, *, *): say which with --at TIME, or --all*' \
        quarantine drop "${S[@]}" twice
    ok "$kind drop --at" quarantine drop "${S[@]}" twice --at "$first"
    same "$kind drop --at" "dropped 1 quarantined record of twice" "$out"
    expect "$kind drop --at again" 3 '*no record of task "twice" was quarantined at*' \
        quarantine drop "${S[@]}" twice --at "$first"
    ok "$kind two left" quarantine show "${S[@]}" twice --json
    same "$kind two left" "[2 [3" "$(json '" ".join(e["text"] for e in d)')"
    ok "$kind drop --all" quarantine drop "${S[@]}" twice --all --json
    same "$kind drop --all" "twice 2" "$(json '" ".join(str(d[k]) for k in ["id", "dropped"])')"
}

# In a sealed store (its own: a key on the plaintext store above is refused at connect), a sealed record
# altered by someone is shown as sealed and not opening, refused; a plaintext record among the sealed ones
# (written by someone without the key) is quarantined alone and never restored with the key set: show
# prints its document, which comes back sealed by importing it, and the entry is dropped.
check_sealed() {
    local name=sealed-$kind sealed
    sealed=$(store_url "$kind" "$name")
    local K=(--store "$sealed")
    "$FIXTURE" get "$URL" plain >"$TMP/plain.raw" || fail "$kind fixture get plain"
    export ASYNCZ_STORE_ENCRYPTION_KEY=the-key
    expect "$kind the key on the plaintext store" 1 "*ASYNCZ_STORE_ENCRYPTION_KEY is set but the 2 records in $URL are not sealed*" \
        quarantine list "${S[@]}"
    ok "$kind sealed one" add "${K[@]}" --id s1 --at 2030-01-01T00:00Z --command 'echo s1'
    ok "$kind sealed two" add "${K[@]}" --id s2 --at 2030-01-01T00:00Z --command 'echo s2'
    tamper "$kind" "$name" s2 'b[:-3] + bytes([b[-3] ^ 1]) + b[-2:]'
    "$FIXTURE" put "$sealed" plain 1893481200000000 <"$TMP/plain.raw" || fail "$kind fixture put plain"
    quarantine_now "$sealed"
    ok "$kind both quarantined" quarantine list "${K[@]}" --json
    same "$kind both quarantined" "plain s2" "$(json '" ".join(sorted(e["id"] for e in d))')"
    ok "$kind s1 stays" list "${K[@]}" --json
    same "$kind s1 stays" "s1" "$(json '" ".join(t["id"] for t in d)')"
    ok "$kind show sealed" quarantine show "${K[@]}" s2
    [[ $out == *"sealed       yes, does not open"* && $out == *"content (sealed, "*"it does not open with the current key):"*"41 5a 53 45 41 4c"* ]] ||
        fail "$kind show sealed: $out"
    expect "$kind restore sealed" 1 '*cannot be restored: the sealed record does not open*' \
        quarantine restore "${K[@]}" s2
    ok "$kind drop sealed" quarantine drop "${K[@]}" s2

    expect "$kind restore plaintext with the key" 1 '*not sealed although ASYNCZ_STORE_ENCRYPTION_KEY is set*' \
        quarantine restore "${K[@]}" plain
    ok "$kind show plaintext with the key" quarantine show "${K[@]}" plain
    [[ $out == *'restorable   no: the record is not sealed although'* ]] || fail "$kind show: $out"
    [[ $out == *'document:'*'"crontab": "0 7 * * *"'* ]] || fail "$kind show document: $out"
    ok "$kind show plaintext json" quarantine show "${K[@]}" plain --json
    json 'json.dumps(d[0]["document"])' >"$TMP/plain.jsonl"
    ok "$kind import the checked document" import "${K[@]}" "$TMP/plain.jsonl"
    ok "$kind drop the plaintext entry" quarantine drop "${K[@]}" plain
    ok "$kind imported sealed" list "${K[@]}" --json
    same "$kind imported sealed" "s1 2030-01-01T00:00:00+00:00 plain 2030-01-01T07:00:00+00:00" \
        "$(json '" ".join(str(x) for t in d for x in [t["id"], t["next_run_time"]])')"
    "$FIXTURE" get "$sealed" plain >"$TMP/plain.sealed" || fail "$kind fixture get sealed plain"
    same "$kind sealed now" "AZSEAL" "$(head -c 6 "$TMP/plain.sealed")"
    unset ASYNCZ_STORE_ENCRYPTION_KEY
}

check_usage
for kind in sqlite file; do
    NAME=quarantine-$kind
    URL=$(store_url "$kind" "$NAME")
    S=(--store "$URL")
    expect "$kind no store yet" 1 "*" quarantine list "${S[@]}"
    check_bad_record
    check_fixed_record
    check_several
    check_sealed
done

echo "$passed passed"
