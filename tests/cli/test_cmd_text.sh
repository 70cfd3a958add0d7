#!/usr/bin/env bash
# `asyncz add` and `asyncz update` with option values that are not UTF-8 (a Latin-1 byte): each is refused
# with exit 2, naming the option and the byte, never "out of memory"; nothing is stored. --max-instances takes
# 1 to 4294967295, as the config file's max_instances. doctor shows ids read from a store that are not UTF-8
# escaped rather than leaving them out. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

URL=$(store_url sqlite text)
S=(--store "$URL")
HINT="write the text in UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1)"
ok "add" add "${S[@]}" --id job --at 2030-01-01T00:00Z --command 'echo job'
ok "add a function task" add "${S[@]}" --id fn --at 2030-01-01T00:00Z --function greet --args '["x"]'

# latin1 NAME OPTION 'SHOWN VALUE' BYTE POSITION ARGS...: the command exits 2 with exactly this message.
latin1() {
    local name=$1 option=$2 shown=$3 byte=$4 at=$5
    shift 5
    local expected="asyncz ${1}: $option '$shown': not valid UTF-8: byte $byte at byte $at of the value: $HINT"
    run "$@"
    [[ $rc -eq 2 && -z $out ]] || fail "$name: expected exit 2 and no output, got $rc (stdout: $out, stderr: $err)"
    [[ $err == "$expected" ]] || fail "$name: expected stderr
$expected
got
$err"
    passed=$((passed + 1))
}

latin1 "add --command" --command 'echo caf\xE9' 0xE9 9 add "${S[@]}" --id a --at 2030-01-01T00:00Z --command $'echo caf\xe9'
latin1 "add --name" --name 'caf\xE9' 0xE9 4 add "${S[@]}" --id a --at 2030-01-01T00:00Z --command true --name $'caf\xe9'
latin1 "add --args" --args '["caf\xE9"]' 0xE9 6 add "${S[@]}" --id a --at 2030-01-01T00:00Z --function greet --args $'["caf\xe9"]'
latin1 "add --kwargs" --kwargs '{"k":"\xE9"}' 0xE9 7 add "${S[@]}" --id a --at 2030-01-01T00:00Z --function greet --kwargs $'{"k":"\xe9"}'
latin1 "add --function" --function 'gr\xFCss' 0xFC 3 add "${S[@]}" --id a --at 2030-01-01T00:00Z --function $'gr\xfcss'
latin1 "add --timeout" --timeout '1\xB5s' 0xB5 2 add "${S[@]}" --id a --at 2030-01-01T00:00Z --command true --timeout $'1\xb5s'
latin1 "add --id" --id 'caf\xE9' 0xE9 4 add "${S[@]}" --id $'caf\xe9' --at 2030-01-01T00:00Z --command true
latin1 "add --cron" --cron '0 3 * * mon\xE9' 0xE9 12 add "${S[@]}" --id a --cron $'0 3 * * mon\xe9' --command true
latin1 "update --command" --command 'echo caf\xE9' 0xE9 9 update "${S[@]}" job --command $'echo caf\xe9'
latin1 "update --name" --name 'caf\xE9' 0xE9 4 update "${S[@]}" job --name $'caf\xe9'
latin1 "update --args" --args '["\xE9"]' 0xE9 3 update "${S[@]}" fn --args $'["\xe9"]'
latin1 "update id" "task id" 'j\xF6b' 0xF6 2 update "${S[@]}" $'j\xf6b' --name x
ok "list after the refusals" list "${S[@]}" --json
[[ $(jq -r '[.[].id] | sort | join(" ")' <<<"$out") == "fn job" ]] || fail "stored tasks changed: $out"
passed=$((passed + 1))

# UTF-8 is stored as given.
ok "add with UTF-8" add "${S[@]}" --id utf --at 2030-01-01T00:00Z --command $'echo caf\xc3\xa9' --name $'K\xc3\xa4se'
ok "inspect it" inspect "${S[@]}" utf --json
[[ $(jq -r '.command + "|" + .name' <<<"$out") == $'echo caf\xc3\xa9|K\xc3\xa4se' ]] || fail "UTF-8 task: $out"
passed=$((passed + 1))

# ---- ids read from a store that are not UTF-8 are shown escaped, never dropped -----------------------------------
# A record whose id column was edited to Latin-1 bytes: doctor names it (it was left out of ids and the
# message), and once a scheduler quarantined it, doctor counts it (it said "no record is quarantined").
DURL=$(store_url sqlite doctor)
ok "add for doctor" add --store "$DURL" --id two --at 2030-01-01T00:00Z --command true
sqlite3 "$TMP/doctor.db" "UPDATE asyncz_store SET id = CAST(X'7477E9' AS TEXT) WHERE id = 'two'"
run doctor --store "$DURL" --json
[[ $rc -eq 1 ]] || fail "doctor with a Latin-1 id: exit $rc ($err)"
[[ $(jq -c '.[] | select(.check == "records") | [.status, .ids, .message]' <<<"$out") == '["error",["tw\\xE9"],"1 record cannot be read; a scheduler would quarantine it: tw\\xE9"]' ]] ||
    fail "doctor records check: $out"
passed=$((passed + 1))
"$FIXTURE" scan "$DURL" 2>/dev/null || fail "fixture scan"
run doctor --store "$DURL" --json
[[ $(jq -c '.[] | select(.check == "quarantine") | [.status, .ids]' <<<"$out") == '["warning",["tw\\xE9"]]' ]] ||
    fail "doctor quarantine check: $out"
passed=$((passed + 1))

# ---- --max-instances: 1 to 4294967295 --------------------------------------------------------------------------
ok "add --max-instances 4294967295" add "${S[@]}" --id many --at 2030-01-01T00:00Z --command true --max-instances 4294967295
ok "inspect many" inspect "${S[@]}" many --json
[[ $(jq -r .max_instances <<<"$out") == 4294967295 ]] || fail "max_instances: $out"
passed=$((passed + 1))
ok "update --max-instances 1" update "${S[@]}" many --max-instances 1
expect "add --max-instances 0" 2 "asyncz add: --max-instances '0': *1*4294967295*" \
    add "${S[@]}" --id a --at 2030-01-01T00:00Z --command true --max-instances 0
expect "update --max-instances 4294967296" 2 "asyncz update: --max-instances '4294967296': *1*4294967295*" \
    update "${S[@]}" many --max-instances 4294967296

echo "$passed passed"
