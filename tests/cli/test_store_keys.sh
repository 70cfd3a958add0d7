#!/usr/bin/env bash
# A sealing key that opens none of a store's sealed records is a wrong key, not tampering: `add`, the other
# commands and the daemon refuse the store (exit 1, naming the variable and the store) and nothing is
# quarantined or sealed under a second key; a store whose first record is plaintext is still refused
# without a key when later ones are sealed. On the SQLite and file stores. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"
# shellcheck source=daemon_lib.sh
source "$(dirname "$0")/daemon_lib.sh"

K1=(env ASYNCZ_STORE_ENCRYPTION_KEY=the-right-key)
K2=(env ASYNCZ_STORE_ENCRYPTION_KEY=the-rihgt-key)

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

    # A plaintext record first in order does not hide the sealed ones from the missing-key check.
    URL=$(store_url "$kind" mixed)
    S=(--store "$URL")
    ok "$kind plaintext first" add "${S[@]}" --id plain --at 2030-01-01T00:00Z --command 'echo plain'
    run_key "${K1[@]}" add "${S[@]}" --id sealed --at 2030-01-02T00:00Z --command 'echo sealed'
    [[ $rc -eq 0 ]] || fail "$kind add a sealed record after a plaintext one: $rc $err"
    for cmd in list "add --id more --at 2030-01-03T00:00Z --command true"; do
        # shellcheck disable=SC2086
        expect "$kind $cmd without the key" 1 "*holds sealed records but ASYNCZ_STORE_ENCRYPTION_KEY is not set*" \
            $cmd "${S[@]}"
    done
done

echo "$passed passed"
