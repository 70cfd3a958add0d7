#!/usr/bin/env bash
# A sealing key that opens none of a store's sealed records is a wrong key, not tampering: `add`, the other
# commands and the daemon refuse the store (exit 1, naming the variable and the store) and nothing is
# quarantined or sealed under a second key; a key set on a plaintext store (set in the belief that it seals
# the store) is refused the same way, and the store is intact without it; a store whose first record is
# plaintext is still refused without a key when later ones are sealed. On the SQLite and file stores. $1
# is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"
# shellcheck source=daemon_lib.sh
source "$(dirname "$0")/daemon_lib.sh"

K1=(env ASYNCZ_STORE_ENCRYPTION_KEY=the-right-key)
K2=(env ASYNCZ_STORE_ENCRYPTION_KEY=the-rihgt-key)

# once NAME: the store's URL occurs once in what the last command printed (the tool's words and the
# library's name the store once between them).
once() {
    [[ $(grep -oF "$URL" <<<"$err$out" | wc -l) -eq 1 ]] || fail "$1: the store is named more than once: $err$out"
}

# run_key KEYCMD ARGS...: run with that environment; sets $out, $err, $rc.
run_key() {
    local -a pre=("$1" "$2")
    shift 2
    rc=0
    "${pre[@]}" "$ASYNCZ" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}

for kind in sqlite file; do
    URL=$(store_url "$kind" keys)
    S=(--store "$URL")
    run_key "${K1[@]}" add "${S[@]}" --id one --at 2030-01-01T00:00Z --command 'echo one'
    [[ $rc -eq 0 ]] || fail "$kind add with the key: $rc $err"
    run_key "${K1[@]}" add "${S[@]}" --id two --at 2030-01-02T00:00Z --command 'echo two'
    [[ $rc -eq 0 ]] || fail "$kind add 2 with the key: $rc $err"

    want="*ASYNCZ_STORE_ENCRYPTION_KEY opens none of the 2 sealed records in $URL: is it the right key?"
    for cmd in "add --id three --at 2030-01-03T00:00Z --command true" list status doctor "inspect one"; do
        # shellcheck disable=SC2086 # the command words split on purpose
        run_key "${K2[@]}" $cmd "${S[@]}"
        [[ $rc -eq 1 ]] || fail "$kind $cmd with a wrong key: expected exit 1, got $rc ($out $err)"
        # shellcheck disable=SC2053
        [[ "$err$out" == $want* ]] || fail "$kind $cmd with a wrong key: $err$out"
        once "$kind $cmd with a wrong key"
        passed=$((passed + 1))
    done

    cat >"$TMP/$kind.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = $URL

[task three]
interval = 1s
command = true
INI
    run_key "${K2[@]}" start --config "$TMP/$kind.ini"
    [[ $rc -eq 1 ]] || fail "$kind daemon with a wrong key: expected exit 1, got $rc ($err)"
    [[ $err == *"opens none of the 2 sealed records in $URL: is it the right key?"* ]] ||
        fail "$kind daemon with a wrong key: $err"
    passed=$((passed + 1))

    # Nothing was moved, added or sealed under the wrong key: the right key reads both, nothing quarantined.
    run_key "${K1[@]}" list "${S[@]}" --json
    [[ $rc -eq 0 ]] || fail "$kind list with the right key: $rc $err"
    same "$kind tasks intact" "one two" "$(json '" ".join(t["id"] for t in d)')"
    run_key "${K1[@]}" doctor "${S[@]}"
    [[ $rc -eq 0 && $out == *"no record is quarantined"* ]] || fail "$kind doctor with the right key: $rc $out $err"
    passed=$((passed + 1))

    # A key set on a plaintext store: refused by every command and the daemon, nothing quarantined or added.
    URL=$(store_url "$kind" plain)
    S=(--store "$URL")
    ok "$kind plaintext one" add "${S[@]}" --id p1 --at 2030-01-01T00:00Z --command 'echo p1'
    ok "$kind plaintext two" add "${S[@]}" --id p2 --at 2030-01-02T00:00Z --command 'echo p2'
    want="*ASYNCZ_STORE_ENCRYPTION_KEY is set but the 2 records in $URL are not sealed: unset it, or seal the store by exporting its tasks and importing them into a new store with the key (docs/stores.md, Changing the key)"
    for cmd in "add --id p3 --at 2030-01-03T00:00Z --command true" list status doctor "inspect p1" export \
        "quarantine list"; do
        # shellcheck disable=SC2086 # the command words split on purpose
        run_key "${K1[@]}" $cmd "${S[@]}"
        [[ $rc -eq 1 ]] || fail "$kind $cmd with a key on a plaintext store: expected exit 1, got $rc ($out $err)"
        # shellcheck disable=SC2053
        [[ "$err$out" == $want* ]] || fail "$kind $cmd with a key on a plaintext store: $err$out"
        once "$kind $cmd with a key on a plaintext store"
        passed=$((passed + 1))
    done
    sed -i "s#^url = .*#url = $URL#" "$TMP/$kind.ini"
    run_key "${K1[@]}" start --config "$TMP/$kind.ini"
    [[ $rc -eq 1 ]] || fail "$kind daemon with a key on a plaintext store: expected exit 1, got $rc ($err)"
    [[ $err == *"ASYNCZ_STORE_ENCRYPTION_KEY is set but the 2 records in $URL are not sealed: unset it"* ]] ||
        fail "$kind daemon with a key on a plaintext store: $err"
    ASYNCZ_STORE=$URL run_key "${K1[@]}" list
    [[ $rc -eq 1 && $err == "asyncz list: ASYNCZ_STORE: cannot connect to the store: ASYNCZ_STORE_ENCRYPTION_KEY is set but"* ]] ||
        fail "$kind list with ASYNCZ_STORE: $rc $err"
    once "$kind list with ASYNCZ_STORE"
    passed=$((passed + 1))
    ok "$kind plaintext store intact" list "${S[@]}" --json
    same "$kind plaintext tasks intact" "p1 p2" "$(json '" ".join(t["id"] for t in d)')"
    ok "$kind nothing quarantined" quarantine list "${S[@]}" --json
    same "$kind nothing quarantined" "[]" "$out"
    ok "$kind doctor without the key" doctor "${S[@]}"
    [[ $out == *"ASYNCZ_STORE_ENCRYPTION_KEY is not set and no record is sealed"* ]] || fail "$kind doctor: $out"
    # An empty store opens with a key: that is how a sealed store is made.
    run_key "${K1[@]}" add --store "$(store_url "$kind" new-sealed)" --id s --at 2030-01-01T00:00Z --command true
    [[ $rc -eq 0 ]] || fail "$kind add to a new store with a key: $rc $err"

    # A plaintext record first in order does not hide the sealed ones from the missing-key check. (The tool
    # cannot make such a store any more: the fixture puts p1's plaintext bytes in, as an older tool could.)
    "$FIXTURE" get "$URL" p1 >"$TMP/p1.raw" || fail "$kind fixture get"
    URL=$(store_url "$kind" mixed)
    S=(--store "$URL")
    run_key "${K1[@]}" add "${S[@]}" --id sealed --at 2030-01-02T00:00Z --command 'echo sealed'
    [[ $rc -eq 0 ]] || fail "$kind add a sealed record: $rc $err"
    "${K1[@]}" "$FIXTURE" put "$URL" p1 1893456000000000 <"$TMP/p1.raw" || fail "$kind fixture put"
    for cmd in list "add --id more --at 2030-01-03T00:00Z --command true"; do
        # shellcheck disable=SC2086
        expect "$kind $cmd without the key" 1 "*holds sealed records but ASYNCZ_STORE_ENCRYPTION_KEY is not set*" \
            $cmd "${S[@]}"
        once "$kind $cmd without the key"
    done
    # With the key, the plaintext record among sealed ones is reported, and a scheduler quarantines it alone.
    run_key "${K1[@]}" list "${S[@]}" --json
    [[ $rc -eq 0 ]] || fail "$kind list the mixed store with the key: $rc $err"
    same "$kind the sealed one is listed" "sealed" "$(json '" ".join(t["id"] for t in d)')"
    [[ $err == *'task "p1" cannot be read (left in place): the record is not sealed although ASYNCZ_STORE_ENCRYPTION_KEY is set'* ]] ||
        fail "$kind list the mixed store: $err"
    "${K1[@]}" "$FIXTURE" scan "$URL" 2>/dev/null || fail "$kind fixture scan"
    run_key "${K1[@]}" quarantine list "${S[@]}" --json
    same "$kind the plaintext one alone is quarantined" "p1" "$(json '" ".join(e["id"] for e in d)')"
    run_key "${K1[@]}" list "${S[@]}" --json
    same "$kind the sealed one stays" "sealed" "$(json '" ".join(t["id"] for t in d)')"
done

echo "$passed passed"
