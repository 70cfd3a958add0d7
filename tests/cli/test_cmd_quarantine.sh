#!/usr/bin/env bash
# asyncz quarantine list|show|restore|drop on a SQLite store and a file store: records a scheduler's read
# moved aside (asyncz-cli-fixture scan) are listed and shown; one still invalid is refused with the reason and
# stays; one quarantined for a reason that no longer holds (a key set by mistake) is restored and listed
# again; a live task with the same id needs --replace; several entries for one id are told apart by --at;
# drop is explicit. $1 is the asyncz binary.
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

# quarantine_now: a scheduler's read of the store, which quarantines what cannot be read.
quarantine_now() {
    "$FIXTURE" scan "$URL" 2>/dev/null || fail "fixture scan"
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
}

# A key set by mistake: a scheduler with it quarantines the plaintext records; without it they restore.
check_fixed_record() {
    ok "$kind add plain" add "${S[@]}" --id plain --cron '0 7 * * *' --start-date 2030-01-01 --command 'echo plain'
    ok "$kind add dup" add "${S[@]}" --id dup --at 2030-01-02T00:00Z --command 'echo original'
    ok "$kind remove good" remove "${S[@]}" good
    ASYNCZ_STORE_ENCRYPTION_KEY=set-by-mistake quarantine_now
    ok "$kind both quarantined" quarantine list "${S[@]}" --json
    same "$kind both quarantined" "dup plain" "$(json '" ".join(sorted(e["id"] for e in d))')"
    export ASYNCZ_STORE_ENCRYPTION_KEY=set-by-mistake
    expect "$kind restore with the key still set" 1 '*not sealed although ASYNCZ_STORE_ENCRYPTION_KEY is set*' \
        quarantine restore "${S[@]}" plain
    ok "$kind show with the key set" quarantine show "${S[@]}" plain
    [[ $out == *'restorable   no: the record is not sealed although'* ]] || fail "$kind show: $out"
    [[ $out == *'document:'*'"crontab": "0 7 * * *"'* ]] || fail "$kind show document: $out"
    unset ASYNCZ_STORE_ENCRYPTION_KEY
    ok "$kind show restorable" quarantine show "${S[@]}" plain
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

# A sealed record altered by someone: shown as sealed and not opening, refused.
check_sealed() {
    export ASYNCZ_STORE_ENCRYPTION_KEY=the-key
    ok "$kind sealed one" add "${S[@]}" --id s1 --at 2030-01-01T00:00Z --command 'echo s1'
    ok "$kind sealed two" add "${S[@]}" --id s2 --at 2030-01-01T00:00Z --command 'echo s2'
    tamper "$kind" "$NAME" s2 'b[:-3] + bytes([b[-3] ^ 1]) + b[-2:]'
    quarantine_now
    ok "$kind show sealed" quarantine show "${S[@]}" s2
    [[ $out == *"sealed       yes, does not open"* && $out == *"content (sealed, "*"it does not open with the current key):"*"41 5a 53 45 41 4c"* ]] ||
        fail "$kind show sealed: $out"
    expect "$kind restore sealed" 1 '*cannot be restored: the sealed record does not open*' \
        quarantine restore "${S[@]}" s2
    ok "$kind drop sealed" quarantine drop "${S[@]}" s2
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
