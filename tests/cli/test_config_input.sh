#!/usr/bin/env bash
# `asyncz start --check` on config files that are not what a config should be: a value that is not UTF-8 (one
# error naming the key, exit 2, never an abort), a file too large (/dev/zero included), a NUL byte, a
# directory, a read error (exit 1); plugin paths as written in messages; a bad [store] reported once;
# max_instances at both ends of its range. $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STORE="[store default]
url = sqlite:///$TMP/never.db"
HINT="write the file in UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1)"

# check NAME STATUS 'EXPECTED STDERR' CONFIG: `start --check --config CONFIG` exits STATUS with exactly this
# stderr and nothing on stdout, and `start` the same without starting anything.
check() {
    local name=$1 status=$2 expected=$3 config=$4 mode
    for mode in check start; do
        if [[ $mode == check ]]; then run start --config "$config" --check; else run start --config "$config"; fi
        [[ $rc -eq $status ]] || fail "$name ($mode): exit $rc, expected $status (stderr: $err)"
        [[ -z $out ]] || fail "$name ($mode): unexpected stdout: $out"
        [[ $err == "$expected" ]] || fail "$name ($mode): expected stderr
$expected
got
$err"
    done
    [[ ! -e $TMP/never.db ]] || fail "$name: the store file was made"
    passed=$((passed + 1))
}

# ---- a value that is not UTF-8 ---------------------------------------------------------------------------
printf '%s\n[task a]\ncron = 0 3 * * *\ncommand = echo caf\xe9\n' "$STORE" >"$TMP/latin1.ini"
check latin1 2 "asyncz start: $TMP/latin1.ini:5: [task a] command: not valid UTF-8: byte 0xE9 at byte 9 of the value ('echo caf\\xE9'): $HINT" "$TMP/latin1.ini"

run start --config "$TMP/latin1.ini" --check --json
[[ $rc -eq 2 && -z $err ]] || fail "--check --json of a Latin-1 value: exit $rc, err: $err"
[[ $out == "{\"config\":\"$TMP/latin1.ini\",\"valid\":false,\"errors\":[{\"line\":5,\"message\":\"[task a] command: not valid UTF-8: byte 0xE9 at byte 9 of the value ('echo caf\\\\xE9'): $HINT\"}],\"tasks\":[],\"warnings\":[]}" ]] ||
    fail "--check --json of a Latin-1 value: $out"
passed=$((passed + 1))

# A config path that is not UTF-8 is shown escaped in --check --json (it was "out of memory").
cp "$TMP/latin1.ini" "$TMP/caf"$'\xe9'".ini"
run start --config "$TMP/caf"$'\xe9'".ini" --check --json
[[ $rc -eq 2 && -z $err && $(jq -r .config <<<"$out") == "$TMP/caf\\xE9.ini" && $(jq -r '.errors[0].line' <<<"$out") == 5 ]] ||
    fail "--check --json of a path that is not UTF-8: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

# In the trigger too: one error for the line, not also the cron parser's.
printf '%s\n[task a]\ncron = 0 3 * * mon\xe9\ncommand = true\n' "$STORE" >"$TMP/latin1_cron.ini"
check latin1_cron 2 "asyncz start: $TMP/latin1_cron.ini:4: [task a] cron: not valid UTF-8: byte 0xE9 at byte 12 of the value ('0 3 * * mon\\xE9'): $HINT" "$TMP/latin1_cron.ini"

# UTF-8 itself is fine.
printf '%s\n[task a]\ncron = 0 3 * * *\ncommand = echo caf\xc3\xa9\nname = K\xc3\xa4se\n' "$STORE" >"$TMP/utf8.ini"
run start --config "$TMP/utf8.ini" --check
[[ $rc -eq 0 && -z $err && $out == "$TMP/utf8.ini: ok (1 task(s), 1 store(s), 1 executor(s))" ]] ||
    fail "UTF-8 config: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

# ---- size, NUL bytes, what is not a file ---------------------------------------------------------------
check dev_zero 2 "asyncz start: /dev/zero: larger than 4 MiB, the limit of a config file: is it the right file? (asyncz start --config FILE)" /dev/zero

# Exactly 4 MiB is read; one byte more is not.
{
    printf '%s\n' "$STORE"
    head -c $((4 * 1024 * 1024 - ${#STORE} - 2)) < <(yes '; filler')
    printf '\n'
} >"$TMP/big.ini"
[[ $(stat -c %s "$TMP/big.ini") -eq $((4 * 1024 * 1024)) ]] || fail "big.ini is $(stat -c %s "$TMP/big.ini") bytes"
printf ';\n' >>"$TMP/big.ini"
check too_big 2 "asyncz start: $TMP/big.ini: larger than 4 MiB, the limit of a config file: is it the right file? (asyncz start --config FILE)" "$TMP/big.ini"
truncate -s $((4 * 1024 * 1024 - 1)) "$TMP/big.ini"
printf '\n' >>"$TMP/big.ini"
run start --config "$TMP/big.ini" --check
[[ $rc -eq 0 && -z $err && $out == "$TMP/big.ini: ok (0 task(s), 1 store(s), 1 executor(s))" ]] ||
    fail "a config of exactly 4 MiB: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

printf '%s\n[task a]\ncron = 0 3 * * *\ncommand = echo a\0b\n' "$STORE" >"$TMP/nul.ini"
check nul 2 "asyncz start: $TMP/nul.ini:5: a NUL byte (at byte 17 of the line): a config file is text; is it the right file?" "$TMP/nul.ini"

mkdir "$TMP/dir.ini"
check directory 2 "asyncz start: $TMP/dir.ini: a directory, not a config file (asyncz start --config FILE)" "$TMP/dir.ini"

# A read error is a failure (exit 1), not a config with nothing in it: reading /proc/self/mem from its
# start fails with EIO.
check read_error 1 "asyncz start: /proc/self/mem: cannot read the config file: Input/output error" /proc/self/mem

# ---- messages that are not consequences of another, paths as written --------------------------------------
printf '[store default]\nurl = bogus://x\n[task a]\ncron = 0 3 * * *\ncommand = true\n' >"$TMP/bad_url.ini"
check bad_url 2 "asyncz start: $TMP/bad_url.ini:2: [store default] url: 'bogus://x': unknown scheme \"bogus\" (known: memory, file, sqlite, postgresql, mariadb, mysql, redis, mongodb)" "$TMP/bad_url.ini"

printf '[scheduler]\nplugins = ./nope.so\n%s\n' "$STORE" >"$TMP/plugin.ini"
asyncz=$(realpath "$ASYNCZ")
for config in plugin.ini ./plugin.ini "$TMP/plugin.ini"; do
    case $config in
    /*) shown=$TMP/nope.so ;;
    *) shown=./nope.so ;;
    esac
    (cd "$TMP" && "$asyncz" start --config "$config" --check) >"$TMP/out" 2>"$TMP/err" && fail "plugin $config: exit 0"
    [[ $(cat "$TMP/err") == "asyncz start: $config:2: [scheduler] plugins: './nope.so': cannot load it: $shown: cannot open shared object file: No such file or directory" ]] ||
        fail "plugin $config: $(cat "$TMP/err")"
    passed=$((passed + 1))
done

# ---- max_instances: 1 to 4294967295, as the tool's --max-instances -------------------------------------------
printf '[scheduler]\nmax_instances = 4294967295\n%s\n[task a]\ncron = 0 3 * * *\ncommand = true\nmax_instances = 1\n' "$STORE" >"$TMP/max.ini"
run start --config "$TMP/max.ini" --check
[[ $rc -eq 0 && -z $err ]] || fail "max_instances 4294967295: exit $rc, err: $err"
passed=$((passed + 1))
printf '%s\n[task a]\ncron = 0 3 * * *\ncommand = true\nmax_instances = 4294967296\n' "$STORE" >"$TMP/max_over.ini"
check max_over 2 "asyncz start: $TMP/max_over.ini:6: [task a] max_instances: '4294967296' is not a whole number from 1 to 4294967295" "$TMP/max_over.ini"
printf '[scheduler]\nmax_instances = 0\n%s\n' "$STORE" >"$TMP/max_zero.ini"
check max_zero 2 "asyncz start: $TMP/max_zero.ini:2: [scheduler] max_instances: '0' is not a whole number from 1 to 4294967295" "$TMP/max_zero.ini"

echo "$passed passed"
