#!/usr/bin/env bash
# `asyncz version --json` (every command takes --json): one object with the library's version and the store
# backends it was built with; the text form is unchanged. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

ok "version" version
version=${out#asyncz }
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version: $out"
for args in "version --json" "--version --json"; do
    # shellcheck disable=SC2086 # the words on purpose
    ok "$args" $args
    same "$args: keys" "version stores" "$(json '" ".join(d.keys())')"
    same "$args: the version" "$version" "$(json 'd["version"]')"
done
stores=$(json '" ".join(d["stores"])')
for s in $stores; do
    case $s in memory | file | sqlite | postgresql | mariadb | redis | mongodb) ;; *) fail "unknown store kind $s" ;; esac
done
[[ " $stores " == *" memory "* && " $stores " == *" file "* ]] || fail "memory and file are always built: $stores"
passed=$((passed + 1))
# The list says what the library does: a kind it lists opens, one it does not is "built without".
run list --store "sqlite:///$TMP/none.db"
if [[ " $stores " == *" sqlite "* ]]; then
    [[ $rc -eq 1 && $err == *"does not exist"* ]] || fail "sqlite listed but: $err"
else
    [[ $err == *"built without"* ]] || fail "sqlite not listed but: $err"
fi
passed=$((passed + 1))

expect "version --jsn" 2 "asyncz version: unknown option '--jsn'
Try 'asyncz version --help' for more information." version --jsn
expect "version extra" 2 "asyncz version: unexpected argument 'x'*" version x
ok "version --help" version --help
[[ $out == *"--json"* ]] || fail "version --help does not mention --json: $out"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
