"""Events with asyncz's classes and fields: SchedulerEvent (code, alias), TaskEvent (+ task_id, store),
TaskSubmissionEvent (+ scheduled_run_times) and TaskExecutionEvent (+ scheduled_run_time, return_value,
exception, traceback). Every event also carries libasyncz's extras (time, run_id, error_code, ...)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any, List, Optional

from .constants import *  # noqa: F401,F403
from .constants import (
    SCHEDULER_LOST,
    TASK_ERROR,
    TASK_EXECUTED,
    TASK_LOST,
    TASK_MAX_INSTANCES,
    TASK_MISSED,
    TASK_SUBMITTED,
)


@dataclasses.dataclass
class SchedulerEvent:
    """An event of the scheduler (start, shutdown, pause, stores and executors added or removed)."""

    code: int
    alias: Optional[str] = None
    time: Optional[_dt.datetime] = None
    instance_id: Optional[str] = None


@dataclasses.dataclass
class TaskEvent(SchedulerEvent):
    """An event about one task (added, removed, modified, quarantined)."""

    task_id: Optional[str] = None
    store: Optional[str] = None
    task_name: Optional[str] = None


@dataclasses.dataclass
class TaskSubmissionEvent(TaskEvent):
    """A run was submitted (TASK_SUBMITTED) or refused by max_instances (TASK_MAX_INSTANCES)."""

    scheduled_run_times: List[_dt.datetime] = dataclasses.field(default_factory=list)
    run_id: Optional[str] = None
    coalesced: int = 0


@dataclasses.dataclass
class TaskExecutionEvent(TaskEvent):
    """A run ended (TASK_EXECUTED, TASK_ERROR) or was missed (TASK_MISSED). return_value is the function's
    return value (the object itself for runs in this process, else what its JSON gave back); exception the
    exception raised in this process (None for failures of the scheduler, or runs elsewhere), traceback the
    error text (for a Python exception, its formatted traceback)."""

    scheduled_run_time: Optional[_dt.datetime] = None
    return_value: Any = None
    exception: Optional[BaseException] = None
    traceback: Optional[str] = None
    error_code: int = 0
    run_id: Optional[str] = None
    fencing_token: int = 0


_TASK_RUN = TASK_EXECUTED | TASK_ERROR | TASK_MISSED | TASK_LOST
_SUBMISSION = TASK_SUBMITTED | TASK_MAX_INSTANCES

__all__ = ["SchedulerEvent", "TaskEvent", "TaskSubmissionEvent", "TaskExecutionEvent", "SCHEDULER_LOST"]
