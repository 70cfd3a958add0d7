"""Triggers with asyncz's names and arguments, computed by libasyncz: CronTrigger (the field API, and
CronTrigger.from_crontab with cron(5) semantics), IntervalTrigger, CalendarIntervalTrigger, DateTrigger,
AndTrigger, OrTrigger and ShutdownTrigger.

Times go in as datetimes (aware, or naive in the trigger's zone), dates or ISO-8601 text, and come back as
aware datetimes in the trigger's zone. `start_date`/`end_date`/`run_date` (APScheduler 3's names) are
accepted for `start_at`/`end_at`/`run_at`."""

from __future__ import annotations

import datetime as _dt
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple, Type, Union

from . import _casyncz as _c
from . import errors as _errors  # noqa: F401  (maps the C error codes to exception classes)
from ._time import TimeLike, ZoneLike, from_usec, seconds_to_usec, to_usec, tzinfo_for, zone_name

__all__ = [
    "BaseTrigger",
    "CronTrigger",
    "IntervalTrigger",
    "CalendarIntervalTrigger",
    "DateTrigger",
    "AndTrigger",
    "OrTrigger",
    "ShutdownTrigger",
    "make_trigger",
]


class BaseTrigger:
    """A trigger: when a task fires next. Immutable; the C trigger is in `native`."""

    alias: ClassVar[str] = ""
    native: Any
    timezone: _dt.tzinfo

    def _set(self, native: Any) -> None:
        self.native = native
        self._zone = native.zone  # kept: the C trigger makes a new str for each read
        self.timezone = tzinfo_for(self._zone)

    # asyncz gives tasks whose trigger says so an unlimited grace time unless the task sets one.
    allow_mistrigger_by_default: bool = False

    def get_next_trigger_time(self, *args: Any, **kwargs: Any) -> Optional[_dt.datetime]:
        """The next fire time after previous_time (None: never fired) as seen at now (default: the current
        time), or None when the trigger is exhausted. Both signatures are taken: asyncz's
        (timezone, previous_time, now=None), where the trigger's own zone wins as it does in asyncz, and
        APScheduler 3's (previous_time, now=None)."""
        if len(args) == 3 and not kwargs:  # asyncz's call, in full: the common case
            return self._next(args[1], args[2])
        if len(args) == 3 or (args and isinstance(args[0], _dt.tzinfo)):
            args = args[1:]
        elif kwargs:
            kwargs.pop("timezone", None)
        return self._next(*args, **kwargs)

    def _next(
        self, previous_time: Optional[_dt.datetime] = None, now: Optional[_dt.datetime] = None
    ) -> Optional[_dt.datetime]:
        zone = self._zone
        now_usec = to_usec(now, zone) if now is not None else _c.now()
        previous = to_usec(previous_time, zone) if previous_time is not None else None
        return from_usec(self.native.next(previous, now_usec), self.timezone)

    def preview(self, count: int = 10, start: Optional[TimeLike] = None) -> List[_dt.datetime]:
        """The next `count` fire times from start (default: now), without side effects."""
        start_usec = to_usec(start, self.native.zone) if start is not None else _c.now()
        return [from_usec(t, self.timezone) for t in self.native.preview(start_usec, count)]  # type: ignore

    def to_json(self) -> str:
        """The trigger's JSON document, as persistent stores keep it."""
        return self.native.to_json()

    @classmethod
    def from_json(cls, text: str) -> "BaseTrigger":
        return _wrap(_c.trigger_from_json(text))

    def __str__(self) -> str:
        return self.native.describe()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.native.describe()}>"


def _common(kwargs: Dict[str, Any], timezone: Optional[ZoneLike]) -> Dict[str, Any]:
    """The options every trigger takes, in libasyncz's units; kwargs are the caller's remaining ones."""
    zone = zone_name(timezone)
    if not kwargs:
        return {"timezone": zone}
    start = kwargs.pop("start_at", None) or kwargs.pop("start_date", None)
    end = kwargs.pop("end_at", None) or kwargs.pop("end_date", None)
    jitter = kwargs.pop("jitter", None)
    seed = kwargs.pop("jitter_seed", 0)
    if kwargs:
        raise TypeError(f"unexpected trigger argument(s): {', '.join(sorted(kwargs))}")
    return {
        "timezone": zone,
        "start_date": to_usec(start, zone),
        "end_date": to_usec(end, zone),
        "jitter": seconds_to_usec(jitter),
        "jitter_seed": seed,
    }


def _field(value: Any) -> Optional[str]:
    return None if value is None else str(value)


class CronTrigger(BaseTrigger):
    """APScheduler 3's and asyncz's cron field API (day_of_week 0 = Monday)."""

    alias = "cron"

    def __init__(
        self,
        year: Any = None,
        month: Any = None,
        day: Any = None,
        week: Any = None,
        day_of_week: Any = None,
        hour: Any = None,
        minute: Any = None,
        second: Any = None,
        timezone: Optional[ZoneLike] = None,
        **options: Any,
    ) -> None:
        fields = [year, month, day, week, day_of_week, hour, minute, second]
        self._set(_c.cron(*[_field(v) for v in fields], **_common(options, timezone)))

    @classmethod
    def from_crontab(cls, expr: str, timezone: Optional[ZoneLike] = None, **options: Any) -> "CronTrigger":
        """A crontab string with cron(5) semantics: 5 to 7 fields, @daily and friends; day of week 0 and 7
        are Sunday (unlike APScheduler 3's from_crontab, where 0 is Monday)."""
        trigger = cls.__new__(cls)
        trigger._set(_c.crontab(expr, **_common(options, timezone)))
        return trigger


class IntervalTrigger(BaseTrigger):
    """Elapsed time from start_at (default: now + interval); "1 day" is 86,400 s, across DST too."""

    alias = "interval"

    def __init__(
        self,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        microseconds: float = 0,
        timezone: Optional[ZoneLike] = None,
        **options: Any,
    ) -> None:
        interval = _dt.timedelta(
            weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=microseconds
        )
        if interval == _dt.timedelta(0):
            interval = _dt.timedelta(seconds=1)  # as APScheduler 3 and asyncz do
        self.interval = interval
        usec = seconds_to_usec(interval)
        self._set(_c.interval(usec, **_common(options, timezone)))


class CalendarIntervalTrigger(BaseTrigger):
    """Whole calendar units plus a time of day, in wall-clock time of the trigger's zone (APScheduler 4)."""

    alias = "calendarinterval"

    def __init__(
        self,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        timezone: Optional[ZoneLike] = None,
        **options: Any,
    ) -> None:
        self._set(_c.calendar(years, months, weeks, days, hour, minute, second, **_common(options, timezone)))


class DateTrigger(BaseTrigger):
    """Fires once, at run_at (default: now)."""

    alias = "date"

    def __init__(
        self, run_at: Optional[TimeLike] = None, timezone: Optional[ZoneLike] = None, **options: Any
    ) -> None:
        run_at = run_at if run_at is not None else options.pop("run_date", None)
        self.allow_mistrigger_by_default = run_at is None  # "now" runs however late, as in asyncz
        common = _common(options, timezone)
        self._set(_c.date(to_usec(run_at, common["timezone"]), **common))


class _Combined(BaseTrigger):
    _and: ClassVar[bool]

    def __init__(
        self, triggers: Sequence[BaseTrigger], timezone: Optional[ZoneLike] = None, **options: Any
    ) -> None:
        self.triggers = list(triggers)
        make = _c.and_ if self._and else _c.or_
        self._set(make([t.native for t in self.triggers], **_common(options, timezone)))


class AndTrigger(_Combined):
    """Fires when every child agrees on a time."""

    alias = "and"
    _and = True


class OrTrigger(_Combined):
    """Fires at the earliest time of any child."""

    alias = "or"
    _and = False


class ShutdownTrigger(BaseTrigger):
    """Never fires by time: the scheduler runs the task once when it shuts down."""

    alias = "shutdown"

    def __init__(self) -> None:
        self._set(_c.shutdown())


_BY_KIND: Dict[str, Type[BaseTrigger]] = {
    "cron": CronTrigger,
    "interval": IntervalTrigger,
    "calendarinterval": CalendarIntervalTrigger,
    "date": DateTrigger,
    "and": AndTrigger,
    "or": OrTrigger,
    "shutdown": ShutdownTrigger,
}
_ALIASES = dict(_BY_KIND, calendar_interval=CalendarIntervalTrigger)


def _wrap(native: Any) -> BaseTrigger:
    """A Python trigger object for a C trigger (as a store hands it back)."""
    trigger = _BY_KIND.get(native.kind, BaseTrigger).__new__(_BY_KIND.get(native.kind, BaseTrigger))
    trigger._set(native)
    return trigger


# Microseconds per unit of IntervalTrigger's arguments.
_INTERVAL_UNITS = {
    "weeks": 604_800_000_000,
    "days": 86_400_000_000,
    "hours": 3_600_000_000,
    "minutes": 60_000_000,
    "seconds": 1_000_000,
    "microseconds": 1,
}


def native_trigger(
    trigger: Union[str, BaseTrigger, None], timezone: Optional[str], trigger_args: Dict[str, Any]
) -> Tuple[Any, bool]:
    """What add_task needs of make_trigger: the C trigger (None: no trigger) and whether the task runs
    however late by default. An interval of whole units in the scheduler's zone, the most common trigger,
    is made without a Python trigger object (the same C trigger IntervalTrigger would make)."""
    if trigger == "interval" and trigger_args:
        usec = 0
        for key, value in trigger_args.items():
            unit = _INTERVAL_UNITS.get(key)
            if unit is None or type(value) is not int:
                break
            usec += value * unit
        else:
            if usec > 0:  # zero and negative intervals take IntervalTrigger's path (its default, its error)
                return _c.interval(usec, timezone=timezone), False
    trig = make_trigger(trigger, timezone, trigger_args)
    if trig is None:
        return None, True
    return trig.native, trig.allow_mistrigger_by_default


def make_trigger(
    trigger: Union[str, BaseTrigger, None], timezone: Optional[ZoneLike], trigger_args: Dict[str, Any]
) -> Optional[BaseTrigger]:
    """The trigger of add_task: an object as given, or an alias ("cron", "interval", ...) built from
    trigger_args in the scheduler's zone unless they name one."""
    if trigger is None:
        if trigger_args:
            raise TypeError(f"trigger arguments without a trigger: {', '.join(sorted(trigger_args))}")
        return None
    if isinstance(trigger, BaseTrigger):
        if trigger_args:
            raise TypeError("trigger arguments are only for a trigger given by its alias")
        return trigger
    cls = _ALIASES.get(trigger)
    if cls is None:
        raise ValueError(f"unknown trigger alias {trigger!r} (cron, interval, calendarinterval, date, and, or, "
                         "shutdown)")
    args = dict(trigger_args)
    if cls is not ShutdownTrigger:
        args.setdefault("timezone", timezone)
    return cls(**args)
