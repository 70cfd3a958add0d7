#!/usr/bin/env python3
"""Generate tests/vectors/dst_policy.json: cron fire times through DST transitions, derived by applying
asyncz's DST policy literally to wall-clock time.

The script walks wall-clock time minute by minute over a window, keeps each wall time the expression
matches (cronref.py), asks zoneinfo how many instants carry that wall time, and applies the policy:
  - one instant: it fires;
  - two instants (autumn overlap): the first fires; the second too when the expression is periodic;
  - no instant (spring gap): a periodic expression skips it; a fixed-time one fires at the first instant
    after the gap.
The fire times from the case's start on, in order and without duplicates, are the expected preview.

Usage: gen_dst_policy.py > tests/vectors/dst_policy.json"""
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

sys.path.insert(0, __import__("os").path.dirname(__file__))
import cronref  # noqa: E402

UTC = dt.timezone.utc

CASES = [
    # US/Eastern 2026: spring 2026-03-08 02:00 -> 03:00, autumn 2026-11-01 02:00 -> 01:00.
    ("eastern spring periodic fields", "US/Eastern", {"minute": "*/30"}, "2026-03-08T00:00:00-05:00", 6),
    ("eastern spring fixed fields", "US/Eastern", {"hour": "2", "minute": "30"}, "2026-03-07T00:00:00-05:00", 3),
    ("eastern spring fixed crontab", "US/Eastern", {"crontab": "30 2 * * *"}, "2026-03-07T00:00:00-05:00", 3),
    ("eastern spring hourly crontab", "US/Eastern", {"crontab": "0 * * * *"}, "2026-03-08T00:00:00-05:00", 4),
    ("eastern autumn fixed crontab", "US/Eastern", {"crontab": "30 1 * * *"}, "2026-10-31T00:00:00-04:00", 3),
    ("eastern autumn periodic crontab", "US/Eastern", {"crontab": "*/20 1 * * *"},
     "2026-11-01T00:00:00-04:00", 7),
    ("eastern autumn hourly crontab", "US/Eastern", {"crontab": "@hourly"}, "2026-11-01T00:00:00-04:00", 4),
    ("eastern autumn fixed fields", "US/Eastern", {"hour": "1", "minute": "0"}, "2026-10-31T12:00:00-04:00", 3),
    ("eastern autumn start in second pass", "US/Eastern", {"crontab": "45 1 * * *"},
     "2026-11-01T01:30:00-05:00", 2),
    # Europe/Berlin 2026: spring 2026-03-29 02:00 -> 03:00, autumn 2026-10-25 03:00 -> 02:00.
    ("berlin spring fixed crontab", "Europe/Berlin", {"crontab": "30 2 * * *"}, "2026-03-28T00:00:00+01:00", 3),
    ("berlin spring two times in the gap", "Europe/Berlin", {"hour": "2", "minute": "0,30"},
     "2026-03-28T12:00:00+01:00", 4),
    ("berlin spring periodic fields", "Europe/Berlin", {"hour": "2", "minute": "*/15"},
     "2026-03-28T12:00:00+01:00", 6),
    ("berlin spring every second", "Europe/Berlin", {"second": "*/20"}, "2026-03-29T01:59:00+01:00", 5),
    ("berlin autumn periodic fields", "Europe/Berlin", {"hour": "2", "minute": "*/15"},
     "2026-10-25T00:00:00+02:00", 9),
    ("berlin autumn fixed crontab", "Europe/Berlin", {"crontab": "30 2 * * *"}, "2026-10-24T00:00:00+02:00", 3),
    ("berlin autumn fixed 6 fields", "Europe/Berlin", {"crontab": "15 30 2 * * *"},
     "2026-10-24T00:00:00+02:00", 3),
    ("berlin autumn hour star", "Europe/Berlin", {"crontab": "0 */1 * * *"}, "2026-10-25T01:00:00+02:00", 4),
    # Australia/Lord_Howe 2026: autumn 2026-04-05 02:00 -> 01:30, spring 2026-10-04 02:00 -> 02:30.
    ("lord howe spring fixed crontab", "Australia/Lord_Howe", {"crontab": "15 2 * * *"},
     "2026-10-03T00:00:00+10:30", 3),
    ("lord howe spring periodic crontab", "Australia/Lord_Howe", {"crontab": "*/10 * * * *"},
     "2026-10-04T01:40:00+10:30", 5),
    ("lord howe autumn fixed crontab", "Australia/Lord_Howe", {"crontab": "45 1 * * *"},
     "2026-04-04T00:00:00+11:00", 3),
    ("lord howe autumn periodic fields", "Australia/Lord_Howe", {"hour": "1", "minute": "*/15"},
     "2026-04-05T00:00:00+11:00", 7),
    # America/Santiago 2026: autumn 2026-04-05 00:00 -> 04-04 23:00, spring 2026-09-06 00:00 -> 01:00.
    ("santiago spring midnight crontab", "America/Santiago", {"crontab": "0 0 * * *"},
     "2026-09-05T00:00:00-04:00", 3),
    ("santiago spring midnight fields", "America/Santiago", {"day": "*"}, "2026-09-05T00:00:00-04:00", 3),
    ("santiago spring periodic crontab", "America/Santiago", {"crontab": "*/30 * * * *"},
     "2026-09-05T23:00:00-04:00", 4),
    ("santiago autumn fixed crontab", "America/Santiago", {"crontab": "30 23 * * *"},
     "2026-04-03T12:00:00-03:00", 3),
    ("santiago autumn periodic crontab", "America/Santiago", {"crontab": "*/30 * * * *"},
     "2026-04-04T22:30:00-03:00", 6),
    ("santiago autumn midnight weekly", "America/Santiago", {"crontab": "0 0 * * sun"},
     "2026-04-01T00:00:00-03:00", 2),
    # Gaps at midnight (00:00 -> 01:00), searched from 1 s and 1 us before the gap, from a start that rounds
    # up to the gap's end, from the gap's end itself, and from a wall time inside the gap (a start without an
    # offset is wall-clock time in the zone, which resolves to the gap's end):
    # a fixed time inside the gap fires at its end (issue 12 item 16: a start in the last second before
    # the gap missed it). Amman 2017-03-31, Havana 2019-03-10, Beirut 2019-03-31, Asuncion 2019-10-06,
    # Damascus 2019-03-29, Santiago 2026-09-06.
    ("midnight gap amman -1 s", "Asia/Amman", {"crontab": "30 0 * * *"}, "2017-03-30T23:59:59+02:00", 3),
    ("midnight gap amman -1 us", "Asia/Amman", {"crontab": "30 0 * * *"}, "2017-03-30T23:59:59.999999+02:00",
     3),
    ("midnight gap amman in the last second", "Asia/Amman", {"crontab": "30 0 * * *"},
     "2017-03-30T23:59:59.000001+02:00", 3),
    ("midnight gap amman at the gap", "Asia/Amman", {"crontab": "30 0 * * *"}, "2017-03-31T01:00:00+03:00", 3),
    ("midnight gap amman inside the gap", "Asia/Amman", {"crontab": "30 0 * * *"}, "2017-03-31T00:15:00", 3),
    ("midnight gap amman after the gap", "Asia/Amman", {"crontab": "30 0 * * *"},
     "2017-03-31T01:00:00.000001+03:00", 2),
    ("midnight gap amman midnight fields", "Asia/Amman", {"day": "*"}, "2017-03-30T23:59:59.5+02:00", 3),
    ("midnight gap amman two times in and after the gap", "Asia/Amman", {"crontab": "0 0,1 * * *"},
     "2017-03-30T23:59:59.999999+02:00", 3),
    ("midnight gap amman periodic", "Asia/Amman", {"crontab": "*/30 * * * *"},
     "2017-03-30T23:59:59.999999+02:00", 3),
    ("midnight gap havana -1 us", "America/Havana", {"crontab": "0 0 * * *"}, "2019-03-09T23:59:59.999999-05:00",
     3),
    ("midnight gap havana at the gap", "America/Havana", {"crontab": "15 0 * * *"}, "2019-03-10T01:00:00-04:00",
     3),
    ("midnight gap beirut -1 s", "Asia/Beirut", {"crontab": "59 59 0 * * *"}, "2019-03-30T23:59:59+02:00", 3),
    ("midnight gap beirut -1 us", "Asia/Beirut", {"crontab": "59 59 0 * * *"}, "2019-03-30T23:59:59.999999+02:00",
     3),
    ("midnight gap asuncion at the gap", "America/Asuncion", {"hour": "0", "minute": "45"},
     "2019-10-06T01:00:00-03:00", 3),
    ("midnight gap damascus -1 us", "Asia/Damascus", {"crontab": "0 0 * * 5"}, "2019-03-28T23:59:59.999999+02:00",
     2),
    ("midnight gap santiago -1 us", "America/Santiago", {"crontab": "30 0 * * *"},
     "2026-09-05T23:59:59.999999-04:00", 3),
    ("midnight gap santiago at the gap", "America/Santiago", {"crontab": "0 0 * * *"},
     "2026-09-06T01:00:00-03:00", 3),
    ("midnight gap santiago inside the gap", "America/Santiago", {"crontab": "59 0 * * *"},
     "2026-09-06T00:00:00.5", 3),
]


def instants(wall, tz):
    """The UTC instants whose wall time in tz is `wall` (0, 1 or 2 of them)."""
    out = set()
    for fold in (0, 1):
        u = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if u.astimezone(tz).replace(tzinfo=None) == wall:
            out.add(u)
    return sorted(out)


def gap_end(wall, tz):
    """The first instant whose wall time is later than `wall`, a wall time inside a gap."""
    lo = wall.replace(tzinfo=UTC) - dt.timedelta(hours=30)
    hi = wall.replace(tzinfo=UTC) + dt.timedelta(hours=30)
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def resolve(t, tz):
    """A start without an offset is wall-clock time in tz, read as asyncz reads it: the first occurrence,
    or for a wall time inside a gap the first instant after the gap."""
    if t.tzinfo is not None:
        return t
    whole = t.replace(microsecond=0)
    found = instants(whole, tz)
    if not found:
        return gap_end(whole, tz)
    return found[0] + dt.timedelta(microseconds=t.microsecond)


def fire_times(spec, tz, first_day, days):
    fires = set()
    minute = dt.datetime.combine(first_day, dt.time())
    end = minute + dt.timedelta(days=days)
    while minute < end:
        if spec.day_matches(minute.date()) and minute.hour in spec.hours and minute.minute in spec.minutes:
            for sec in sorted(spec.seconds):
                wall = minute.replace(second=sec)
                found = instants(wall, tz)
                if len(found) == 0:
                    if not spec.periodic:
                        fires.add(gap_end(wall, tz))
                elif len(found) == 1 or not spec.periodic:
                    fires.add(found[0])
                else:
                    fires.update(found)
        minute += dt.timedelta(minutes=1)
    return sorted(fires)


def iso(u, tz):
    return u.astimezone(tz).isoformat()


def main():
    out = []
    for name, zone, args, start, count in CASES:
        tz = ZoneInfo(zone)
        t0 = resolve(dt.datetime.fromisoformat(start), tz)
        spec = cronref.spec_of(args)
        fires = [u for u in fire_times(spec, tz, t0.astimezone(tz).date() - dt.timedelta(days=1), 15) if u >= t0]
        if len(fires) < count:
            sys.exit("case %r: only %d fire times in the window" % (name, len(fires)))
        out.append({"name": name, "timezone": zone, "args": args, "from": start, "periodic": spec.periodic,
                    "expected": [iso(u, tz) for u in fires[:count]]})
    doc = {"about": "Cron fire times through DST transitions (asyncz DST policy), generated by "
                    "tests/vectors/tools/gen_dst_policy.py from zoneinfo by a minute-by-minute wall-clock scan. "
                    "'expected' is preview(from, n): the first fire time at or after 'from', then each next one.",
           "cases": out}
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
