#!/usr/bin/env python3
"""Generate tests/vectors/crontab.json: previews of crontab strings in UTC, derived with cronref.py by
testing every date from the start on (for up to 40 years) and every time of day the fields allow.

Usage: gen_crontab.py > tests/vectors/crontab.json"""
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import cronref  # noqa: E402

UTC = dt.timezone.utc

# (what it shows, crontab string, from (UTC), how many fire times)
CASES = [
    ("5 fields, business hours", "*/15 9-17 * * 1-5", "2026-03-27T16:50:00", 6),
    ("6 fields, seconds first", "30 */20 * * * *", "2026-01-01T00:00:00", 4),
    ("7 fields, year last", "0 0 12 29 2 ? 2028/4", "2026-01-01T00:00:00", 3),
    ("7 fields, year list", "0 0 0 1 1 * 2027,2030-2031", "2026-06-01T00:00:00", 3),
    ("names in any case", "0 9 * jan,JUL MON-wed", "2026-01-01T00:00:00", 4),
    ("month name range", "0 0 1 Mar-may *", "2026-01-01T00:00:00", 4),
    ("sunday is 0", "0 0 * * 0", "2026-01-01T00:00:00", 2),
    ("sunday is 7", "0 0 * * 7", "2026-01-01T00:00:00", 2),
    ("range up to 7", "0 0 * * 5-7", "2026-01-01T00:00:00", 4),
    ("range ending at sun", "0 0 * * fri-sun", "2026-01-01T00:00:00", 4),
    ("step over day of week", "0 0 * * */3", "2026-01-01T00:00:00", 4),
    ("@yearly", "@yearly", "2026-03-01T00:00:00", 2),
    ("@annually", "@annually", "2026-03-01T00:00:00", 2),
    ("@monthly", "@monthly", "2026-03-15T00:00:00", 2),
    ("@weekly", "@weekly", "2026-01-01T00:00:00", 2),
    ("@daily", "@daily", "2026-01-01T12:00:00", 2),
    ("@midnight", "@midnight", "2026-01-01T00:00:00", 2),
    ("@hourly", "@hourly", "2026-01-01T00:30:00", 2),
    ("macro with blanks", "  @daily\t", "2026-01-01T12:00:00", 1),
    ("both day fields restricted: either", "0 0 13 * 5", "2026-01-01T00:00:00", 5),
    ("day of month starts with star: both", "0 0 */10 * 5", "2026-01-01T00:00:00", 3),
    ("day of week star: day of month only", "0 0 13 * *", "2026-01-01T00:00:00", 2),
    ("question mark in day of week", "0 0 13 * ?", "2026-01-01T00:00:00", 2),
    ("question mark in day of month", "0 0 ? * 5", "2026-01-01T00:00:00", 3),
    ("day of week starts with star: both", "0 0 1-7 * */5", "2026-01-01T00:00:00", 4),
    ("last day", "0 0 L * *", "2026-01-15T00:00:00", 4),
    ("last day in a leap february", "0 0 L 2 *", "2027-01-01T00:00:00", 3),
    ("days before the last", "0 0 L-3 * *", "2026-01-01T00:00:00", 3),
    ("L-0 is the last day", "0 0 L-0 2 *", "2026-01-01T00:00:00", 1),
    ("L-30 only in 31-day months", "0 0 L-30 * *", "2026-01-15T00:00:00", 2),
    ("1W on a saturday", "0 0 1W * *", "2022-01-01T00:00:00", 3),
    ("1W on a sunday", "0 0 1W * *", "2022-05-01T00:00:00", 1),
    ("31W", "0 0 31W * *", "2026-01-01T00:00:00", 5),
    ("15W", "0 0 15W * *", "2026-01-01T00:00:00", 4),
    ("last weekday", "0 0 LW * *", "2026-01-01T00:00:00", 5),
    ("L-nW across month ends", "0 0 L-3W * *", "2026-01-01T00:00:00", 8),
    ("L-nW on a saturday and a sunday", "0 0 L-1W * *", "2026-01-01T00:00:00", 8),
    ("l-0w in lower case is the last weekday", "0 0 l-0w * *", "2026-01-01T00:00:00", 6),
    ("lw in lower case", "0 0 lw * *", "2026-04-01T00:00:00", 3),
    ("L-0W on a sunday month end stays in the month", "0 0 L-0W 5 *", "2026-01-01T00:00:00", 2),
    ("L-nW on a saturday first stays in the month", "0 0 L-27W 2 *", "2025-01-01T00:00:00", 4),
    ("L-30W only in 31-day months", "0 0 L-30W * *", "2026-01-01T00:00:00", 6),
    ("L-nW in a list", "0 0 L-2W,15 * *", "2026-01-01T00:00:00", 4),
    ("L-nW with day of week: either", "0 0 L-1W * 1#1", "2026-01-01T00:00:00", 4),
    ("last friday", "0 0 * * 5L", "2026-01-01T00:00:00", 3),
    ("last sunday as 7L", "0 0 * * 7L", "2026-01-01T00:00:00", 2),
    ("last friday by name", "0 0 * * friL", "2026-01-01T00:00:00", 2),
    ("third saturday", "0 0 * * 6#3", "2026-01-01T00:00:00", 3),
    ("fifth monday", "0 0 * * 1#5", "2026-01-01T00:00:00", 3),
    ("a/n from a to the end", "5/20 * * * *", "2026-01-01T00:00:00", 4),
    ("a/n in hours", "0 10/6 * * *", "2026-01-01T00:00:00", 3),
    ("lists of extensions", "0 0 L,15,1W * *", "2026-01-01T00:00:00", 5),
    ("extensions with day of week: either", "0 0 L * 1#1", "2026-01-01T00:00:00", 4),
    ("february 29 only", "0 0 29 2 *", "2026-01-01T00:00:00", 3),
    ("never: april 31", "0 0 31 4 *", "2026-01-01T00:00:00", 0),
    ("never: february 30", "0 0 0 30 2 * *", "2026-01-01T00:00:00", 0),
    ("never: a year in the past", "0 0 0 1 1 * 2020", "2026-01-01T00:00:00", 0),
    ("never: 5th friday in february of 2026-2027", "0 0 0 ? 2 5#5 2026-2027", "2026-01-01T00:00:00", 0),
    ("every second", "* * * * * *", "2026-12-31T23:59:58", 3),
    ("before 1970: every second", "* * * * * *", "1900-02-20T21:46:00", 3),
    ("before 1970: across the epoch", "59 59 23 31 12 * *", "1968-06-01T00:00:00", 3),
    ("before 1970: february 29", "0 0 29 2 *", "1895-01-01T00:00:00", 3),
    ("before 1970: L-2W", "0 9 L-2W * *", "1899-11-01T00:00:00", 4),
    ("before 1970: year 1", "0 0 0 1 1 ? 1,1969-1971", "0001-01-01T00:00:00", 1),
    ("before 1970: year range", "0 0 0 1 1 ? 1,1969-1971", "1950-01-01T00:00:00", 3),
    ("before 1970: year steps count from 1970", "0 0 0 1 1 ? */4", "1950-06-01T00:00:00", 3),
    ("before 1970: long year steps count from 1970", "0 0 0 1 1 ? */500", "0465-06-01T00:00:00", 1),
]


def fire_times(spec, start, count):
    out = []
    day = start.date()
    for _ in range(40 * 366):
        if spec.day_matches(day):
            for t in spec.times():
                w = dt.datetime.combine(day, t)
                if w >= start:
                    out.append(w)
                    if len(out) == count:
                        return out
        day += dt.timedelta(days=1)
    return out


def main():
    cases = []
    for name, text, start, count in CASES:
        t0 = dt.datetime.fromisoformat(start)
        fires = fire_times(cronref.crontab_spec(text), t0, count)
        if len(fires) != count:
            sys.exit("case %r: found %d fire times, wanted %d" % (name, len(fires), count))
        cases.append({"name": name, "crontab": text, "from": start + "Z", "count": max(count, 1),
                      "expected": [f.isoformat() + "Z" for f in fires]})
    doc = {"about": "Crontab previews in UTC generated by tests/vectors/tools/gen_crontab.py with the simple "
                    "reference matcher cronref.py. 'expected' holds the fire times of preview(from, count); "
                    "an empty list means the expression never matches from 'from' on.",
           "cases": cases}
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
