#!/usr/bin/env bash
# An option that needs a value does not take the next word when that word is an option: `add --id --cron
# X` once took "--cron" as the id. Every parser of the tool (the management commands, preview, start) says
# the option needs a value (exit 2) and nothing is written; a value starting with one '-' (an offset such
# as -05:00) is still a value, and --opt=VALUE gives a value that starts with "--". $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

URL=$(store_url sqlite values)
S=(--store "$URL")
ok "add" add "${S[@]}" --id job --at 2030-01-01T00:00Z --command 'echo job'

# needs CMD OPTION NEXT ARGS...: `asyncz CMD ARGS...` where OPTION is followed by the option NEXT.
needs() {
    local cmd=$1 option=$2 next=$3
    shift 3
    expect "$cmd $option $next" 2 "asyncz $cmd: option $option needs a value, got the option '$next' (write $option='$next' if that is the value)
Try 'asyncz $cmd --help' for more information." "$cmd" "$@"
}

needs add --id --cron "${S[@]}" --id --cron '0 9 * * *' --command 'echo x'
needs add --command --paused "${S[@]}" --id x --at 2030-01-01T00:00Z --command --paused
needs add --name --command "${S[@]}" --id x --at 2030-01-01T00:00Z --name --command 'echo x'
needs add --store --json --store --json --id x --at 2030-01-01T00:00Z --command 'echo x'
ok "nothing was added" list "${S[@]}" --json
same "only the first task" job "$(json '" ".join(t["id"] for t in d)')"
needs update --executor --dry-run "${S[@]}" job --executor --dry-run
needs list --limit --json "${S[@]}" --limit --json
needs list --sort-by --desc "${S[@]}" --sort-by --desc
needs timeline --count --json "${S[@]}" --count --json
needs inspect --timezone --json "${S[@]}" job --timezone --json
needs preview --cron --count --cron --count 3
needs preview --from --json --cron '0 9 * * *' --from --json
needs start --config --check --config --check
needs add --name -- "${S[@]}" --id x --at 2030-01-01T00:00Z --name -- --command 'echo x'

# a missing value at the end is reported as before
expect "a value missing at the end" 2 "asyncz list: option --limit needs a value*" list "${S[@]}" --limit

# values that start with one '-'
ok "--timezone -05:00 is a value" preview --cron '0 9 * * *' --timezone -05:00 --from 2030-01-01 --count 1
same "a fixed offset" "2030-01-01T09:00:00-05:00" "$out"
ok "--name - is a value" add "${S[@]}" --id dash --name - --at 2030-01-01T00:00Z --command 'echo -'
ok "list it" list "${S[@]}" --json --query dash
same "the name is '-'" "-" "$(json 'd[0]["name"]')"
expect "--limit -1 is a value, out of range" 2 "asyncz list: --limit '-1': must be a whole number*" \
    list "${S[@]}" --limit -1

# --opt=VALUE is taken as it is, so a value starting with "--" reaches the option's own check
expect "--id=--cron" 2 "asyncz add: --id '--cron': not a valid id*" add "${S[@]}" --id=--cron --at 2030-01-01T00:00Z \
    --command 'echo x'
ok "--name=--x" add "${S[@]}" --id dashes --name=--x --at 2030-01-01T00:00Z --command 'echo x'
ok "list it" list "${S[@]}" --json --query dashes
same "the name is '--x'" "--x" "$(json 'd[0]["name"]')"

echo "$passed passed, 0 failed"
