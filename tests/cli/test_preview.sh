#!/usr/bin/env bash
# `asyncz preview` driven like a user would. $1 is the asyncz binary.
#
# Every expected fire time below was worked out by hand from the calendar and the tz rules (Europe/Berlin
# changes to summer time on 2026-03-29 at 02:00 and back on 2026-10-25 at 03:00; 2026-01-01 is a Thursday,
# 2026-03-27 a Friday) and checked with python3's zoneinfo, never copied from the program's output.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# check NAME 'EXPECTED LINES SEPARATED BY SPACES' ARGS...: exit 0, exactly these lines, nothing on stderr.
check() {
    local name=$1 expected
    expected=$(printf '%s\n' $2)
    shift 2
    run "$@"
    [[ $rc -eq 0 ]] || fail "$name: exit $rc (stderr: $err)"
    [[ -z $err ]] || fail "$name: unexpected stderr: $err"
    [[ $out == "$expected" ]] || fail "$name: expected
$expected
got
$out"
    passed=$((passed + 1))
}

# check_json NAME PYTHON_ASSERTIONS ARGS...: the output is one JSON object `d` satisfying the assertions.
check_json() {
    local name=$1 assertions=$2
    shift 2
    run "$@"
    [[ $rc -eq 0 ]] || fail "$name: exit $rc (stderr: $err)"
    [[ -z $err ]] || fail "$name: unexpected stderr: $err"
    [[ $(printf '%s\n' "$out" | wc -l) -eq 1 ]] || fail "$name: JSON output is not one line: $out"
    printf '%s' "$out" | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert isinstance(d, dict) and sorted(d) == ['exhausted', 'run_times', 'timezone'], d
assert isinstance(d['run_times'], list) and isinstance(d['exhausted'], bool), d
$assertions
" || fail "$name: JSON assertions failed on: $out"
    passed=$((passed + 1))
}

# ---- crontab strings --------------------------------------------------------------------------------------

check "crontab weekdays across the spring change" \
    "2026-03-27T09:00:00+01:00 2026-03-30T09:00:00+02:00 2026-03-31T09:00:00+02:00
     2026-04-01T09:00:00+02:00 2026-04-02T09:00:00+02:00" \
    preview --cron '0 9 * * 1-5' --timezone Europe/Berlin --from 2026-03-27T00:00

check "--opt=VALUE works like --opt VALUE" \
    "2026-03-27T09:00:00+01:00 2026-03-30T09:00:00+02:00" \
    preview --cron='0 9 * * 1-5' --timezone=Europe/Berlin --from=2026-03-27T00:00 --count=2

check "crontab day-of-week 0 is Sunday" \
    "2026-01-04T08:00:00+00:00 2026-01-11T08:00:00+00:00 2026-01-18T08:00:00+00:00" \
    preview --cron '0 8 * * 0' --timezone UTC --from 2026-01-01 --count 3

check "crontab @daily" \
    "2026-01-02T00:00:00+00:00 2026-01-03T00:00:00+00:00" \
    preview --cron @daily --timezone UTC --from 2026-01-01T00:00:01 --count 2

check "crontab with seconds (6 fields)" \
    "2026-01-01T00:00:15+00:00 2026-01-01T00:00:45+00:00 2026-01-01T00:01:15+00:00" \
    preview --cron '15,45 * * * * *' --timezone UTC --from 2026-01-01 --count 3

check "crontab: from exactly on a fire time lists it first" \
    "2026-01-01T12:00:00+00:00 2026-01-02T12:00:00+00:00" \
    preview --cron '0 12 * * *' --timezone UTC --from 2026-01-01T12:00:00Z --count 2

check "an explicit offset in --from overrides --timezone" \
    "2026-01-01T11:00:00+01:00 2026-01-02T11:00:00+01:00" \
    preview --cron '0 11 * * *' --timezone Europe/Berlin --from 2026-01-01T09:30:00Z --count 2

# ---- DST policy --------------------------------------------------------------------------------------------

check "fixed-time cron in the spring gap fires at the first instant after it" \
    "2026-03-29T03:00:00+02:00 2026-03-30T02:30:00+02:00 2026-03-31T02:30:00+02:00" \
    preview --cron '30 2 * * *' --timezone Europe/Berlin --from 2026-03-28T12:00 --count 3

check "periodic cron skips the spring gap" \
    "2026-03-29T01:00:00+01:00 2026-03-29T01:30:00+01:00 2026-03-29T03:00:00+02:00 2026-03-29T03:30:00+02:00" \
    preview --cron '*/30 * * * *' --timezone Europe/Berlin --from 2026-03-29T01:00 --count 4

check "fixed-time cron in the autumn overlap fires once, at the first occurrence" \
    "2026-10-25T02:30:00+02:00 2026-10-26T02:30:00+01:00 2026-10-27T02:30:00+01:00" \
    preview --cron '30 2 * * *' --timezone Europe/Berlin --from 2026-10-24T12:00 --count 3

check "periodic cron fires in both occurrences of the overlap" \
    "2026-10-25T02:00:00+02:00 2026-10-25T02:30:00+02:00 2026-10-25T02:00:00+01:00 2026-10-25T02:30:00+01:00
     2026-10-26T02:00:00+01:00" \
    preview --cron '*/30 2 * * *' --timezone Europe/Berlin --from 2026-10-25T00:00

# ---- the field API -------------------------------------------------------------------------------------------

check "field API: day-of-week 0 is Monday; lower fields default to their minimum" \
    "2026-01-05T08:00:00+00:00 2026-01-12T08:00:00+00:00 2026-01-19T08:00:00+00:00 2026-01-26T08:00:00+00:00
     2026-02-02T08:00:00+00:00" \
    preview --day-of-week 0 --hour 8 --timezone UTC --from 2026-01-01

check "field API: several fields make one trigger" \
    "2026-01-01T09:40:00+00:00 2026-01-01T10:00:00+00:00 2026-01-01T10:20:00+00:00 2026-01-01T10:40:00+00:00
     2026-01-02T09:00:00+00:00" \
    preview --minute '*/20' --hour 9-10 --timezone UTC --from 2026-01-01T09:30

check "field API: last day of the month" \
    "2026-01-31T00:00:00+00:00 2026-02-28T00:00:00+00:00 2026-03-31T00:00:00+00:00" \
    preview --day last --timezone UTC --from 2026-01-01 --count 3

check "field API: second and month" \
    "2026-02-01T00:00:30+00:00 2026-02-01T00:01:30+00:00" \
    preview --month 2 --second 30 --timezone UTC --from 2026-01-15 --count 2

# ---- interval ----------------------------------------------------------------------------------------------

check "interval: first fire time is --from + interval; elapsed time across DST" \
    "2026-03-29T01:30:00+01:00 2026-03-29T04:00:00+02:00 2026-03-29T05:30:00+02:00 2026-03-29T07:00:00+02:00
     2026-03-29T08:30:00+02:00" \
    preview --interval 1h30m --timezone Europe/Berlin --from 2026-03-29T00:00

check "interval on a grid from --start-date" \
    "2026-01-04T06:00:00+00:00 2026-01-05T06:00:00+00:00 2026-01-06T06:00:00+00:00" \
    preview --interval 1d --start-date 2026-01-01T06:00Z --from 2026-01-03T07:00Z --timezone UTC --count 3

check "interval: a grid point equal to --from comes first" \
    "2026-01-03T06:00:00+00:00 2026-01-04T06:00:00+00:00" \
    preview --interval 1d --start-date 2026-01-01T06:00Z --from 2026-01-03T06:00Z --timezone UTC --count 2

check "interval: milliseconds" \
    "2026-01-01T00:00:00.25+00:00 2026-01-01T00:00:00.5+00:00 2026-01-01T00:00:00.75+00:00" \
    preview --interval 250ms --timezone UTC --from 2026-01-01 --count 3

# ---- calendar interval ---------------------------------------------------------------------------------------

check "calendar interval: monthly from Jan 31 skips months without a 31st" \
    "2026-03-31T02:30:00+02:00 2026-05-31T02:30:00+02:00 2026-07-31T02:30:00+02:00 2026-08-31T02:30:00+02:00" \
    preview --calendar-interval 1mo --time-of-day 02:30 --timezone Europe/Berlin --from 2026-01-31T12:00 --count 4

check "calendar interval: every 2 weeks from --start-date, wall-clock time across DST" \
    "2026-03-30T09:00:00+02:00 2026-04-13T09:00:00+02:00 2026-04-27T09:00:00+02:00" \
    preview --calendar-interval 2w --time-of-day 09:00 --timezone Europe/Berlin --start-date 2026-03-16 \
    --from 2026-03-20T00:00 --count 3

check "calendar interval: time of day in the spring gap" \
    "2026-03-29T03:00:00+02:00 2026-03-30T02:30:00+02:00 2026-03-31T02:30:00+02:00" \
    preview --calendar-interval 1d --time-of-day 02:30 --timezone Europe/Berlin --from 2026-03-28T12:00 --count 3

check "calendar interval: default time of day is midnight, counted from the date of --from" \
    "2026-01-04T00:00:00+00:00 2026-01-07T00:00:00+00:00" \
    preview --calendar-interval 3d --timezone UTC --from 2026-01-01T00:00:01 --count 2

check "calendar interval: years and months together" \
    "2027-07-15T12:00:00+00:00 2029-01-15T12:00:00+00:00" \
    preview --calendar-interval 1y6mo --time-of-day 12:00:00 --timezone UTC --from 2026-01-15T13:00 --count 2

# ---- date --------------------------------------------------------------------------------------------------

check "date trigger fires once (exhausted after one line)" \
    "2026-07-01T08:00:00-04:00" \
    preview --at 2026-07-01T12:00Z --timezone America/New_York --from 2026-01-01

check "date trigger in the spring gap" \
    "2026-03-29T03:00:00+02:00" \
    preview --at 2026-03-29T02:30 --timezone Europe/Berlin --from 2026-01-01

check "a date in the past is still listed" \
    "2020-01-01T00:00:00+00:00" \
    preview --at 2020-01-01 --timezone UTC --from 2026-01-01

# ---- start/end dates, count, exhaustion ----------------------------------------------------------------------

check "start and end dates (end inclusive)" \
    "2026-01-10T12:00:00+00:00 2026-01-11T12:00:00+00:00 2026-01-12T12:00:00+00:00" \
    preview --cron '0 12 * * *' --timezone UTC --from 2026-01-01 --start-date 2026-01-10 \
    --end-date 2026-01-12T12:00 --count 5

check "count 0 lists nothing" "" preview --cron '* * * * *' --timezone UTC --from 2026-01-01 --count 0

check "count 1" "2026-01-01T00:01:00+00:00" preview --cron '* * * * *' --timezone UTC --from 2026-01-01T00:00:30 --count 1

run preview --interval 1s --timezone UTC --from 2026-01-01 --count 100000
[[ $rc -eq 0 && $(printf '%s\n' "$out" | wc -l) -eq 100000 ]] || fail "count 100000: rc $rc"
[[ $(printf '%s\n' "$out" | tail -n 1) == 2026-01-02T03:46:40+00:00 ]] || fail "count 100000: last line"
passed=$((passed + 1))

check "end date before every fire time: nothing" "" \
    preview --cron '0 12 * * *' --timezone UTC --from 2026-01-01 --end-date 2026-01-01T11:59

# ---- JSON --------------------------------------------------------------------------------------------------

check_json "json shape" "
assert d['timezone'] == 'Europe/Berlin'
assert d['run_times'] == ['2026-03-29T03:00:00+02:00', '2026-03-30T02:30:00+02:00']
assert d['exhausted'] is False" \
    preview --cron '30 2 * * *' --timezone Europe/Berlin --from 2026-03-28T12:00 --count 2 --json

check_json "json: date trigger is exhausted after its one time" "
assert d['run_times'] == ['2026-05-01T00:00:00+00:00'] and d['exhausted'] is True" \
    preview --at 2026-05-01 --timezone UTC --from 2026-01-01 --count 1 --json

check_json "json: fewer times than --count means exhausted" "
assert len(d['run_times']) == 3 and d['exhausted'] is True" \
    preview --cron '0 12 * * *' --timezone UTC --from 2026-01-01 --end-date 2026-01-03T12:00 --json

check_json "json: count 0 with more to come" "
assert d['run_times'] == [] and d['exhausted'] is False" \
    preview --interval 1h --timezone UTC --from 2026-01-01 --count 0 --json

check_json "json: shutdown trigger" "
assert d['timezone'] == 'UTC' and d['run_times'] == [] and d['exhausted'] is True" \
    preview --shutdown --timezone UTC --json

check_json "json: fixed-offset zone" "
assert d['timezone'] == '+05:30' and d['run_times'] == ['2026-01-01T09:00:00+05:30']" \
    preview --cron '0 9 * * *' --timezone +05:30 --from 2026-01-01 --count 1 --json

check "shutdown trigger lists nothing" "" preview --shutdown

# ---- a gap at midnight (issue 12 item 16) ------------------------------------------------------------------
# Amman skipped 2017-03-31 00:00-01:00 (+02 -> +03): the fixed 00:30 of that day fires at 01:00+03:00, also
# when the search starts in the last second before the gap or inside it (a naive --from there resolves to
# the gap's end).

for from in 2017-03-30T23:59:59.000001+02:00 2017-03-30T23:59:59.999999+02:00 2017-03-31T00:30 \
    2017-03-31T01:00:00+03:00; do
    check "midnight gap in Amman from $from" \
        "2017-03-31T01:00:00+03:00 2017-04-01T00:30:00+03:00" \
        preview --cron '30 0 * * *' --timezone Asia/Amman --from "$from" --count 2
done

# ---- before 1970 (issue 12 item 15: such starts were clamped to 1970-01-01) --------------------------------
# New York kept local mean time (-04:56:02) until 1883-11-18 12:03:58 and EST without DST until 1918;
# 1883-11-19 was a Monday.

check "every second from 1900" \
    "1900-02-20T16:46:00-05:00 1900-02-20T16:46:01-05:00" \
    preview --cron '* * * * * *' --timezone America/New_York --from 1900-02-20T16:46:00-05:00 --count 2

check "crontab across New York's adoption of standard time" \
    "1883-11-18T09:00:00-04:56:02 1883-11-19T09:00:00-05:00 1883-11-20T09:00:00-05:00" \
    preview --cron '0 9 * * *' --timezone America/New_York --from 1883-11-18 --count 3

check "field API with a year before 1970" \
    "1896-02-29T12:00:00+00:00 1904-02-29T12:00:00+00:00" \
    preview --year 1893-1910 --month 2 --day 29 --hour 12 --timezone UTC --from 1800-01-01 --count 2

check "interval, calendar interval, date and and/or before 1970" \
    "1900-02-21T00:00:00+00:00 1900-02-21T06:00:00+00:00" \
    preview --interval 1h --cron '0 */6 * * *' --and --start-date 1900-01-01 --timezone UTC \
    --from 1900-02-20T16:46:00-05:00 --count 2
check "calendar interval before 1970" "1899-12-31T09:00:00+00:00 1900-01-31T09:00:00+00:00 1900-03-31T09:00:00+00:00" \
    preview --calendar-interval 1mo --time-of-day 09:00 --timezone UTC --from 1899-12-31 --count 3
check "date before 1970" "1900-02-21T00:00:00-05:00" \
    preview --at 1900-02-21 --timezone America/New_York --from 1900-01-01

# ---- jitter ------------------------------------------------------------------------------------------------

jitter_args=(preview --interval 1h --jitter 10m --jitter-seed 7 --timezone UTC --from 2026-01-01T00:00Z --count 20)
run "${jitter_args[@]}"
[[ $rc -eq 0 ]] || fail "jitter: exit $rc: $err"
first=$out
run "${jitter_args[@]}"
[[ $out == "$first" ]] || fail "jitter with a seed is not reproducible"
printf '%s\n' "$first" | python3 -c "
import sys
from datetime import datetime, timedelta, timezone
lines = sys.stdin.read().split()
assert len(lines) == 20, lines
base = datetime(2026, 1, 1, tzinfo=timezone.utc)
for i, line in enumerate(lines):
    t = datetime.fromisoformat(line)
    grid = base + timedelta(hours=i + 1)
    assert grid <= t <= grid + timedelta(minutes=10), (i, line)
assert len(set(datetime.fromisoformat(l) - (base + timedelta(hours=i + 1)) for i, l in enumerate(lines))) > 1
" || fail "jitter out of bounds or constant: $first"
run preview --interval 1h --jitter 10m --jitter-seed 8 --timezone UTC --from 2026-01-01T00:00Z --count 20
[[ $out != "$first" ]] || fail "jitter: another seed gives the same delays"
passed=$((passed + 1))

check "jitter never goes past the end date" "2026-01-01T01:00:00+00:00" \
    preview --at 2026-01-01T01:00Z --jitter 1h --jitter-seed 3 --end-date 2026-01-01T01:00Z --timezone UTC \
    --from 2026-01-01

# ---- and / or ----------------------------------------------------------------------------------------------

check "and: daily 09:00 and Monday 09:00 (field API)" \
    "2026-01-05T09:00:00+00:00 2026-01-12T09:00:00+00:00 2026-01-19T09:00:00+00:00" \
    preview --cron '0 9 * * *' --day-of-week 0 --hour 9 --and --timezone UTC --from 2026-01-01 --count 3

check "and: hourly interval and every 6 hours" \
    "2026-01-01T06:00:00+00:00 2026-01-01T12:00:00+00:00 2026-01-01T18:00:00+00:00 2026-01-02T00:00:00+00:00" \
    preview --interval 1h --cron '0 */6 * * *' --and --timezone UTC --from 2026-01-01T00:00Z --count 4

check "or: the earliest of two crontabs" \
    "2026-01-01T09:00:00+00:00 2026-01-01T17:30:00+00:00 2026-01-02T09:00:00+00:00 2026-01-02T17:30:00+00:00" \
    preview --cron '0 9 * * *' --cron '30 17 * * *' --or --timezone UTC --from 2026-01-01 --count 4

check "or: field API midnight Mondays with daily 09:00" \
    "2026-01-05T00:00:00+00:00 2026-01-05T09:00:00+00:00 2026-01-06T09:00:00+00:00" \
    preview --cron '0 9 * * *' --day-of-week 0 --or --timezone UTC --from 2026-01-04T10:00 --count 3

check "or: date and shutdown" "2026-02-01T00:00:00+00:00" \
    preview --at 2026-02-01 --shutdown --or --timezone UTC --from 2026-01-01

run preview --interval 2h --calendar-interval 1d --time-of-day 00:30 --and --timezone UTC --from 2026-01-01T00:00Z
[[ $rc -eq 1 ]] || fail "and without agreement: expected exit 1, got $rc"
[[ $err == *"asyncz preview: "*"10000"* ]] || fail "and without agreement: message: $err"
[[ $err == *"never agree"*"--start-date"* ]] || fail "and without agreement: no cause or remedy: $err"
passed=$((passed + 1))

# Issue 12 item 19: inside --and/--or an --interval without --start-date counts from midnight of the day of
# --from in --timezone, so the docs' example works from any now, not only from a whole hour.
check "and: hourly interval and every 6 hours from an unaligned now" \
    "2026-01-01T06:00:00+00:00 2026-01-01T12:00:00+00:00 2026-01-01T18:00:00+00:00" \
    preview --interval 1h --cron '0 */6 * * *' --and --timezone UTC --from 2026-01-01T00:17:42.5Z --count 3
check "and: unaligned now in a zone with a half-hour offset" \
    "2026-03-05T18:00:00+05:30 2026-03-06T00:00:00+05:30" \
    preview --interval 1h --cron '0 */6 * * *' --and --timezone Asia/Kolkata --from 2026-03-05T13:13:13 --count 2
check "and: unaligned now on a day whose midnight is skipped (Santiago 2026-09-06)" \
    "2026-09-06T18:00:00-03:00 2026-09-07T00:00:00-03:00" \
    preview --interval 1h --cron '0 */6 * * *' --and --timezone America/Santiago --from 2026-09-06T13:13:13 --count 2
check "and: 15-minute interval and a field API half hour" \
    "2026-01-01T10:30:00+00:00 2026-01-01T11:30:00+00:00" \
    preview --interval 15m --minute 30 --and --timezone UTC --from 2026-01-01T10:07:00Z --count 2
check "or: the interval counts from midnight too" \
    "2026-01-01T01:00:00+00:00 2026-01-01T02:00:00+00:00 2026-01-01T03:00:00+00:00" \
    preview --interval 1h --cron '0 */6 * * *' --or --timezone UTC --from 2026-01-01T00:17:42Z --count 3
check "alone, the interval still counts from --from + interval" "2026-01-01T01:17:42+00:00" \
    preview --interval 1h --timezone UTC --from 2026-01-01T00:17:42Z --count 1
check "and: an explicit --start-date still wins" "2026-01-01T12:00:00+00:00" \
    preview --interval 4h --cron '0 */6 * * *' --and --start-date 2026-01-01T00:00Z --timezone UTC \
    --from 2026-01-01T00:17:42Z --count 1

# ---- a number too long to hold is quoted as typed (issue 12 item 17: it was shown as 1000000000) ----------

run preview --cron '0 99999999999 * * *'
[[ $rc -eq 2 && $err == "asyncz preview: --cron '0 99999999999 * * *': column 3: hour: value 99999999999 is above the maximum 23" ]] ||
    fail "huge crontab value: $rc $err"
run preview --second 12345678901234567890123456789012345678901234567890
[[ $rc -eq 2 && $err == *"value 12345678901234567890... (50 digits) is above the maximum 59" ]] ||
    fail "huge field value: $rc $err"
passed=$((passed + 2))

# ---- the local zone comes from TZ (issue 12 item 17: a bad TZ was blamed on "--timezone 'local'") ---------

for args in "" "--timezone local"; do
    TZ=Mars/Base run preview --cron '0 9 * * *' --from 2026-01-01T00:00Z $args
    [[ $rc -eq 2 && -z $out ]] || fail "TZ=Mars/Base ($args): expected exit 2 and no output, got $rc: $out"
    [[ $err == "asyncz preview: TZ 'Mars/Base': unknown time zone; the local time zone comes from the TZ"* ]] ||
        fail "TZ=Mars/Base ($args): message: $err"
    [[ $err != *"--timezone 'local'"* && $err == *"or give --timezone"* ]] || fail "TZ=Mars/Base: message: $err"
    passed=$((passed + 1))
done
TZ=Mars/Base run add --store "sqlite://$TMP/tz.db" --id tz --cron '0 9 * * *' --command true
[[ $rc -eq 2 && $err == "asyncz add: TZ 'Mars/Base': unknown time zone; the local time zone comes from the TZ"* ]] ||
    fail "TZ=Mars/Base add: $rc $err"
passed=$((passed + 1))
TZ=Mars/Base run preview --cron '0 9 * * *' --timezone UTC --from 2026-01-01T00:00Z --count 1
[[ $rc -eq 0 && $out == "2026-01-01T09:00:00+00:00" && -z $err ]] || fail "a bad TZ with --timezone: $rc $out $err"
TZ=Europe/Berlin run preview --cron '0 9 * * *' --from 2026-01-01T00:00Z --count 1
[[ $rc -eq 0 && $out == "2026-01-01T09:00:00+01:00" && -z $err ]] || fail "TZ names the local zone: $rc $out $err"
passed=$((passed + 2))

# ---- help and version --------------------------------------------------------------------------------------

for args in --version version; do
    run $args
    [[ $rc -eq 0 && -z $err && $out == "asyncz 0.1.0" ]] || fail "$args: rc $rc, output '$out', stderr '$err'"
    passed=$((passed + 1))
done

run --help
[[ $rc -eq 0 && -z $err && $out == *"preview"* && $out == *"Exit status"* ]] || fail "--help: $rc $out"
passed=$((passed + 1))
run help
[[ $rc -eq 0 && $out == *"Usage: asyncz COMMAND"* ]] || fail "help: $rc $out"
passed=$((passed + 1))
run preview --help
[[ $rc -eq 0 && -z $err && $out == *"--calendar-interval"* && $out == *"--jitter-seed"* ]] || fail "preview --help"
preview_help=$out
run help preview
[[ $rc -eq 0 && $out == "$preview_help" ]] || fail "help preview differs from preview --help"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
