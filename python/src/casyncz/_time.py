"""Conversions between Python's datetimes and zones and libasyncz's instants (microseconds since the epoch)
and zone names.

A naive datetime (or ISO text without an offset) is wall-clock time in the zone that applies, resolved by
libasyncz's DST policy: a time in a spring gap becomes the first instant after the gap, a time in an autumn
overlap its first occurrence."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import _casyncz as _c

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_USEC = _dt.timedelta(microseconds=1)
# Below 2**32 s (the year 2106) a double's spacing is under half a microsecond, so usec / 1e6 rounds back
# to the same microsecond in datetime.fromtimestamp (which rounds half to even).
_FLOAT_EXACT_USEC = 2**32 * 1_000_000

TimeLike = Union[_dt.datetime, _dt.date, str]
ZoneLike = Union[str, _dt.tzinfo]


def zone_name(tz: Optional[ZoneLike]) -> Optional[str]:
    """The libasyncz name of a zone given as a name or a tzinfo (None stays None: the default zone)."""
    if tz is None or isinstance(tz, str):
        return tz
    if tz is _dt.timezone.utc:
        return "UTC"
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)  # zoneinfo, pytz
    if isinstance(key, str):
        return key
    if isinstance(tz, _dt.timezone):
        offset = tz.utcoffset(None)
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    raise TypeError(f"cannot tell the name of time zone {tz!r}: give an IANA name or a zoneinfo.ZoneInfo")


@functools.lru_cache(maxsize=256)
def tzinfo_for(name: Optional[str]) -> _dt.tzinfo:
    """A tzinfo for a libasyncz zone name, for the datetimes handed back to Python."""
    if name is None or name == "local":
        resolved = _c.zone_name("local")
        if resolved == "local":
            return _dt.datetime.now().astimezone().tzinfo  # type: ignore[return-value]
        name = resolved
    if name in ("UTC", "Z", "Etc/UTC"):
        return _dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _dt.timezone(_dt.timedelta(seconds=_c.zone_offset(name, _c.now())))


def to_usec(value: Optional[TimeLike], zone: Optional[str] = None) -> Optional[int]:
    """An instant from a datetime (aware, or naive in `zone`), a date (midnight in `zone`) or ISO text."""
    if value is None:
        return None
    if type(value) is _dt.datetime and value.tzinfo is not None:  # the common case, first
        try:
            return (value - EPOCH) // _USEC
        except TypeError:  # a tzinfo whose utcoffset is None: naive after all
            pass
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            return (value - EPOCH) // _USEC
        return _c.parse_time(value.isoformat(), zone if zone is not None else "local")
    if isinstance(value, _dt.date):
        return _c.parse_time(value.isoformat(), zone if zone is not None else "local")
    if isinstance(value, str):
        return _c.parse_time(value, zone if zone is not None else "local")
    raise TypeError(f"expected a datetime, a date or ISO-8601 text, not {type(value).__name__}")


def from_usec(usec: Optional[int], tz: Optional[_dt.tzinfo] = None) -> Optional[_dt.datetime]:
    """An aware datetime for an instant (in tz, UTC when None)."""
    if usec is None:
        return None
    if 0 <= usec < _FLOAT_EXACT_USEC:  # one call: a float of seconds still names each microsecond here
        return _dt.datetime.fromtimestamp(usec / 1e6, tz if tz is not None else _dt.timezone.utc)
    seconds, micro = divmod(usec, 1_000_000)
    try:
        value = _dt.datetime.fromtimestamp(seconds, tz if tz is not None else _dt.timezone.utc)
    except (OverflowError, OSError, ValueError):  # outside what the platform's time functions take
        value = EPOCH + _dt.timedelta(seconds=seconds)
        value = value.astimezone(tz) if tz is not None else value
    return value.replace(microsecond=micro) if micro else value


def seconds_to_usec(value: Any) -> Optional[int]:
    """Microseconds from seconds (int/float) or a timedelta; None stays None."""
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        return value // _USEC
    return int(round(float(value) * 1_000_000))
