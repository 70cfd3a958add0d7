"""casyncz: asyncz's scheduler API for asyncio and ASGI apps, on the asyncz C library (libasyncz).

Switch from asyncz by changing the import (`from casyncz.schedulers import AsyncIOScheduler`); see
python/README.md for what else differs (no pickling: functions are named and allowed; crontab day-of-week
numbers; the DST policy)."""

from . import errors
from ._casyncz import version as _libversion
from .events import SchedulerEvent, TaskEvent, TaskExecutionEvent, TaskSubmissionEvent
from .schedulers.asyncio import AsyncIOScheduler
from .tasks import Task
from .triggers import (
    AndTrigger,
    BaseTrigger,
    CalendarIntervalTrigger,
    CronTrigger,
    DateTrigger,
    IntervalTrigger,
    OrTrigger,
    ShutdownTrigger,
)

__version__ = "0.1.0"
libasyncz_version = _libversion()

__all__ = [
    "AsyncIOScheduler",
    "Task",
    "BaseTrigger",
    "CronTrigger",
    "IntervalTrigger",
    "CalendarIntervalTrigger",
    "DateTrigger",
    "AndTrigger",
    "OrTrigger",
    "ShutdownTrigger",
    "SchedulerEvent",
    "TaskEvent",
    "TaskExecutionEvent",
    "TaskSubmissionEvent",
    "errors",
]
