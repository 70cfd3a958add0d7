#!/usr/bin/env bash
# Bad input to the asyncz tool: every case must exit 2, print nothing on stdout, and say on stderr which
# option, which value and what is wrong. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
FROM=(--timezone UTC --from 2026-01-01)

# run_bad NAME ARGS...: the tool must exit 2 with nothing on stdout; sets $err.
run_bad() {
    local name=$1
    shift
    run "$@"
    [[ $rc -eq 2 ]] || fail "$name: expected exit 2, got $rc (stderr: $err)"
    [[ -z $out ]] || fail "$name: stdout not empty: $out"
}

# bad NAME 'EXPECTED STDERR' ARGS...: exit 2, empty stdout, stderr exactly EXPECTED.
bad() {
    local name=$1 expected=$2
    shift 2
    run_bad "$name" "$@"
    [[ $err == "$expected" ]] || fail "$name: expected stderr
$expected
got
$err"
    passed=$((passed + 1))
}

# bad_like NAME PATTERN ARGS...: exit 2, empty stdout, stderr matching the glob PATTERN (for messages whose
# reason comes from the trigger engine and may be worded in more than one reasonable way).
bad_like() {
    local name=$1 pattern=$2
    shift 2
    run_bad "$name" "$@"
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $err == $pattern ]] || fail "$name: stderr does not match $pattern: $err"
    passed=$((passed + 1))
}

HELP_HINT="Try 'asyncz preview --help' for more information."

# ---- trigger expressions ----------------------------------------------------------------------------------

bad "bad cron field" "asyncz preview: --minute '*/0': column 3: step must be at least 1" \
    preview --minute '*/0' "${FROM[@]}"
bad_like "bad cron field among several: the right option is named" \
    "asyncz preview: --day-of-week 'xyz': *" preview --hour 9 --day-of-week xyz "${FROM[@]}"
bad_like "cron field out of range" "asyncz preview: --hour '24': *" preview --hour 24 "${FROM[@]}"
bad_like "crontab value out of range" "asyncz preview: --cron '61 * * * *': column 1: *minute*" \
    preview --cron '61 * * * *' "${FROM[@]}"
bad_like "crontab with too few fields" "asyncz preview: --cron '* * * *': ?*" preview --cron '* * * *' "${FROM[@]}"
bad_like "crontab with a bad name" "asyncz preview: --cron '0 9 * * funday': column 9: *" \
    preview --cron '0 9 * * funday' "${FROM[@]}"

# ---- zones, times, durations -------------------------------------------------------------------------------

bad "unknown zone" "asyncz preview: --timezone 'Mars/Base': unknown time zone" \
    preview --cron '* * * * *' --timezone Mars/Base
bad "unsafe zone name" "asyncz preview: --timezone '../etc/passwd': not a valid time zone name" \
    preview --cron '* * * * *' --timezone ../etc/passwd
bad "bad duration" \
    "asyncz preview: --interval '5x': column 2: not a duration (parts like 30s, 1h30m, 2d, 1w, 250ms; units us ms s m h d w)" \
    preview --interval 5x "${FROM[@]}"
bad "zero interval" "asyncz preview: --interval '0s': the interval must be greater than zero" \
    preview --interval 0s "${FROM[@]}"
bad_like "bad jitter" "asyncz preview: --jitter '1q': column 2: not a duration*" \
    preview --interval 1h --jitter 1q "${FROM[@]}"
bad "bad TIME with its column" \
    "asyncz preview: --from '2026-03-2x': column 10: not an ISO-8601 time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])" \
    preview --interval 1h --timezone UTC --from 2026-03-2x
bad_like "TIME field out of range" "asyncz preview: --at '2026-13-01': *out of range" \
    preview --at 2026-13-01 --timezone UTC
bad_like "bad start date" "asyncz preview: --start-date 'tomorrow': column 1: not an ISO-8601 time*" \
    preview --interval 1h --start-date tomorrow "${FROM[@]}"
bad "end date before start date" \
    "asyncz preview: --end-date '2025-01-01': is before --start-date '2026-01-01'" \
    preview --interval 1h --start-date 2026-01-01 --end-date 2025-01-01 "${FROM[@]}"

# ---- calendar interval --------------------------------------------------------------------------------------

bad "calendar unit m is not months" \
    "asyncz preview: --calendar-interval '1m': column 2: unknown unit 'm' (calendar units: y, mo, w, d)" \
    preview --calendar-interval 1m "${FROM[@]}"
bad "zero calendar interval" "asyncz preview: --calendar-interval '0d': the interval must not be zero" \
    preview --calendar-interval 0d "${FROM[@]}"
bad "calendar unit twice" "asyncz preview: --calendar-interval '1d2d': column 4: unit 'd' given twice" \
    preview --calendar-interval 1d2d "${FROM[@]}"
bad "bad time of day" "asyncz preview: --time-of-day '25:00': column 1: hour must be 0 to 23" \
    preview --calendar-interval 1d --time-of-day 25:00 "${FROM[@]}"
bad "time of day with one-digit minutes" \
    "asyncz preview: --time-of-day '9:7': column 3: expected two digits for the minute" \
    preview --calendar-interval 1d --time-of-day 9:7 "${FROM[@]}"
bad "time of day without calendar interval" "asyncz preview: --time-of-day needs --calendar-interval
$HELP_HINT" preview --interval 1h --time-of-day 09:00 "${FROM[@]}"

# ---- numbers ------------------------------------------------------------------------------------------------

bad "negative count" "asyncz preview: --count '-1': column 1: must be a whole number from 0 to 100000" \
    preview --interval 1h --count -1 "${FROM[@]}"
bad "count too large" "asyncz preview: --count '100001': must be a whole number from 0 to 100000" \
    preview --interval 1h --count 100001 "${FROM[@]}"
bad "count not a number" "asyncz preview: --count '5x': column 2: must be a whole number from 0 to 100000" \
    preview --interval 1h --count 5x "${FROM[@]}"
bad "empty count" "asyncz preview: --count '': must be a whole number from 0 to 100000" \
    preview --interval 1h --count '' "${FROM[@]}"
bad_like "bad jitter seed" "asyncz preview: --jitter-seed '-3': column 1: must be a whole number*" \
    preview --interval 1h --jitter 1m --jitter-seed -3 "${FROM[@]}"

# ---- the shape of the command line ---------------------------------------------------------------------------

bad "two kinds without --and/--or" \
    "asyncz preview: several triggers given (--cron, --interval): add --and (fire when all agree) or --or (fire at the earliest)
$HELP_HINT" preview --cron '* * * * *' --interval 1h "${FROM[@]}"
bad_like "two crontabs without --and/--or" "asyncz preview: several triggers given (--cron, --cron)*" \
    preview --cron '0 9 * * *' --cron '0 17 * * *' "${FROM[@]}"
bad_like "field options with a crontab" "asyncz preview: several triggers given (the field options, --cron)*" \
    preview --hour 9 --cron '0 17 * * *' "${FROM[@]}"
bad "no trigger" \
    "asyncz preview: no trigger given: use --cron, field options such as --minute, --interval, --calendar-interval, --at or --shutdown
$HELP_HINT" preview "${FROM[@]}"
bad "--and with --or" "asyncz preview: --and and --or cannot be used together
$HELP_HINT" preview --cron '* * * * *' --interval 1h --and --or "${FROM[@]}"
bad "option given twice" "asyncz preview: --from given twice
$HELP_HINT" preview --interval 1h --from 2026-01-01 --from 2026-01-02
bad "field option given twice" "asyncz preview: --hour given twice
$HELP_HINT" preview --hour 9 --hour 10 "${FROM[@]}"
bad "unknown option" "asyncz preview: unknown or ambiguous option '--every'
$HELP_HINT" preview --every 5m
bad "missing value" "asyncz preview: option --cron needs a value
$HELP_HINT" preview --cron
bad "missing value (--timezone)" "asyncz preview: option --timezone needs a value
$HELP_HINT" preview --interval 1h --timezone
bad "value for a flag" "asyncz preview: option --json takes no value
$HELP_HINT" preview --interval 1h --json=yes
bad "stray argument" "asyncz preview: unexpected argument 'hourly'
$HELP_HINT" preview hourly
bad "unknown command" "asyncz: unknown command 'frobnicate'
Try 'asyncz --help' for more information." frobnicate
bad "no command" "asyncz: no command given
Try 'asyncz --help' for more information."
bad "unknown top-level option" "asyncz: unknown option '--verbose'
Try 'asyncz --help' for more information." --verbose
bad "help for an unknown command" "asyncz: no help for unknown command 'frobnicate'
Try 'asyncz --help' for more information." help frobnicate

echo "$passed passed, 0 failed"
