#!/usr/bin/env bash
# The tables of the tool (list, timeline, inspect) on a terminal and in a pipe: a row is one line whatever
# a command or name holds (control characters are escaped, --json keeps the real text), and the flexible
# columns (name, trigger, what runs) are fitted to the terminal's width, or to COLUMNS, and cut with an
# ellipsis, never the id or the times. Terminals are made with script(1) and stty. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

S=(--store "$(store_url sqlite tasks)")
TRIGGER="cron[crontab='30 2 * * *', start_date='2030-03-01T00:00:00+01:00', timezone='Europe/Berlin']"
LONG_ID=a-long-task-id-that-is-never-cut-whatever-the-width

# widest TEXT: the widest line of TEXT in display columns (UTF-8 code points; the tables here are ASCII
# but for the ellipsis).
widest() {
    python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().split("\n")))' <<<"$1"
}

# on_tty COLS COMMAND...: run COMMAND (the tool, maybe through env) on a terminal COLS columns wide; sets
# $out (carriage returns dropped). The shell script(1) starts may set COLUMNS to the terminal's width.
on_tty() {
    local cols=$1
    shift
    local cmd
    printf -v cmd '%q ' "$@"
    out=$(script -q -e -c "stty cols $cols rows 50; exec $cmd --no-color" /dev/null </dev/null | tr -d '\r') ||
        fail "on a terminal: asyncz $* failed: $out"
    passed=$((passed + 1))
}

ok "add backup" add "${S[@]}" --id backup --name 'nightly backup' --cron '30 2 * * *' --start-date 2030-03-01 \
    --timezone Europe/Berlin --command 'tar czf /backup/home.tgz /home'
ok "add a task whose command has a newline and an escape" add "${S[@]}" --id multi --name $'two\tparts' \
    --at 2030-03-02T00:00Z --command $'echo one\necho \e[2J\e]0;owned\a two'
ok "add a long id" add "${S[@]}" --id "$LONG_ID" --at 2030-03-03T00:00Z --command 'true'

# ---- one row per line, escaped --------------------------------------------------------------------------
ok "list" list "${S[@]}"
same "list: a header and one line per task" 4 "$(wc -l <<<"$out")"
[[ $out == *$'\nmulti  '*'  two\tparts  '* ]] || fail "name not escaped: $out"
[[ $out == *'echo one\necho \x1b[2J\x1b]0;owned\x07 two'* ]] || fail "command not escaped: $out"
[[ $out != *$'\e'* && $out != *$'\a'* ]] || fail "a control character reached the output: $out"
passed=$((passed + 2))
ok "list --json keeps the real text" list "${S[@]}" --json --query multi
same "json command" $'echo one\necho \e[2J\e]0;owned\a two' "$(json 'd[0]["command"]')"
same "json name" $'two\tparts' "$(json 'd[0]["name"]')"
ok "timeline" timeline "${S[@]}" --from 2030-03-01T12:00Z --count 2 --timezone UTC
same "timeline: escaped, one line a run" 'TIME                       ID      NAME            FUNCTION/COMMAND
2030-03-02T00:00:00+00:00  multi   two\tparts      echo one\necho \x1b[2J\x1b]0;owned\x07 two
2030-03-02T01:30:00+00:00  backup  nightly backup  tar czf /backup/home.tgz /home' "$out"
ok "inspect" inspect "${S[@]}" multi --count 1
[[ $out == *$'\ncommand             echo one\\necho \\x1b[2J\\x1b]0;owned\\x07 two\n'* ]] ||
    fail "inspect: command not escaped: $out"
passed=$((passed + 1))

ok "update --dry-run" update "${S[@]}" multi --command $'echo \e[1mthree\nlines\n' --dry-run
same "update --dry-run: one line a field, escaped" 'command: echo one\necho \x1b[2J\x1b]0;owned\x07 two → echo \x1b[1mthree\nlines\n
args: ["echo one\necho \u001B[2J\u001B]0;owned\u0007 two"] → ["echo \u001B[1mthree\nlines\n"]
dry run: task multi not changed' "$out"

# ---- widths: no terminal, no COLUMNS: whole cells -------------------------------------------------------
ok "list piped" list "${S[@]}"
[[ $out == *"$TRIGGER"* && $out == *"$LONG_ID"* ]] || fail "piped list cut a cell: $out"
passed=$((passed + 1))
whole=$(widest "$out")

# COLUMNS, also for a pipe
COLUMNS=200 run list "${S[@]}" --query backup
same "COLUMNS=200: nothing to cut" 185 "$(widest "$out")"
[[ $rc -eq 0 && $out == *"$TRIGGER"* && $out != *…* ]] || fail "COLUMNS=200 cut a cell: $out"
passed=$((passed + 1))
[[ $(widest "$out") -le 200 ]] || fail "COLUMNS=200: a line is wider: $out"
COLUMNS=60 run list "${S[@]}" --query backup
[[ $rc -eq 0 ]] || fail "COLUMNS=60 list: $err"
[[ $(widest "$out") -eq 60 ]] || fail "COLUMNS=60: lines are not 60 wide: $out"
[[ $out == *'backup  '* && $out == *'2030-03-01T01:30:00+00:00  default'* && $out == *…* ]] ||
    fail "COLUMNS=60: the id, the time and the executor must be whole, the rest cut: $out"
passed=$((passed + 2))
COLUMNS=60 run list "${S[@]}" --query "$LONG_ID"
[[ $out == *"$LONG_ID  "* ]] || fail "COLUMNS=60: the id was cut: $out"
passed=$((passed + 1))
COLUMNS=60 run timeline "${S[@]}" --from 2030-03-01T12:00Z --count 2
[[ $rc -eq 0 && $(widest "$out") -eq 60 && $out == *"2030-03-02T01:30:00+00:00  backup  nightly"*…* ]] ||
    fail "COLUMNS=60 timeline: $out"
passed=$((passed + 1))
COLUMNS=60 run timeline "${S[@]}" --from 2030-03-01T12:00Z --count 3
[[ $rc -eq 0 && $out == *"2030-03-03T00:00:00+00:00  $LONG_ID  "* ]] || fail "COLUMNS=60 timeline cut an id: $out"
passed=$((passed + 1))
for bad in 0 abc -5 ''; do
    COLUMNS=$bad run list "${S[@]}"
    same "COLUMNS='$bad' is ignored" "$whole" "$(widest "$out")"
done

# ---- on a terminal: its width --------------------------------------------------------------------------
on_tty 200 "$ASYNCZ" list "${S[@]}" --query backup
[[ $out == *"$TRIGGER  2030-03-01T01:30:00+00:00  default   tar czf /backup/home.tgz /home"* && $out != *…* ]] ||
    fail "a 200-column terminal cut the list: $out"
[[ $(widest "$out") -le 200 ]] || fail "wider than the terminal: $out"
passed=$((passed + 1))
on_tty 80 "$ASYNCZ" list "${S[@]}" --query backup
[[ $(widest "$out") -eq 80 && $out == *'backup  '* && $out == *…* ]] ||
    fail "an 80-column terminal: lines are not 80 wide, or the id was cut: $out"
passed=$((passed + 1))
on_tty 80 env COLUMNS=120 "$ASYNCZ" list "${S[@]}" --query backup
[[ $(widest "$out") -eq 120 ]] || fail "COLUMNS=120 on an 80-column terminal: $out"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
