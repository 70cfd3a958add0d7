"""The run history and the audit trail, as a scheduler's store keeps them (libasyncz's run records and audit
entries): every occurrence a scheduler handled, with its outcome and output, and every change made to the
tasks, by whom. Records are snapshots; times are aware datetimes in the scheduler's zone."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Dict, List, NamedTuple, Optional

from ._time import from_usec

__all__ = ["OUTCOMES", "RunRecord", "OutputLine", "AuditEntry"]

#: The outcomes a run record may have.
OUTCOMES = ("running", "succeeded", "failed", "timed_out", "crashed", "missed", "skipped", "lost", "cancelled")


class OutputLine(NamedTuple):
    """A line a run printed or attached: when, on which stream ("stdout", "stderr" or "note"), what."""

    time: Optional[_dt.datetime]
    stream: str
    text: str


class RunRecord:
    """One occurrence of a task: run_id (a UUIDv7, time-sortable), task_id, task_name, store, scheduled_time,
    coalesced (how many due times it stands for), source ("schedule", "request", "shutdown", "hook"),
    scheduler (the identity that ran it), host, pid, fencing_token, submitted_at, started_at, finished_at
    (None until reached), outcome (one of OUTCOMES), error_code, exit_status, signal, error_message, result
    (what the function returned, decoded from JSON; None when nothing), output (OutputLine list, when asked
    for) and output_truncated."""

    __slots__ = (
        "run_id",
        "task_id",
        "task_name",
        "store",
        "scheduled_time",
        "coalesced",
        "source",
        "scheduler",
        "host",
        "pid",
        "fencing_token",
        "submitted_at",
        "started_at",
        "finished_at",
        "outcome",
        "error_code",
        "exit_status",
        "signal",
        "error_message",
        "result",
        "output",
        "output_truncated",
    )

    def __init__(self, fields: Dict[str, Any], tz: _dt.tzinfo) -> None:
        for name in ("run_id", "task_id", "task_name", "store", "coalesced", "source", "scheduler", "host",
                     "pid", "fencing_token", "outcome", "error_code", "exit_status", "signal",
                     "error_message", "output_truncated"):
            setattr(self, name, fields[name])
        for name in ("scheduled_time", "submitted_at", "started_at", "finished_at"):
            setattr(self, name, from_usec(fields[name], tz))
        result = fields["result"]
        self.result = json.loads(result) if result is not None else None
        self.output = [OutputLine(from_usec(t, tz), stream, text) for t, stream, text in fields["output"]]

    @property
    def duration(self) -> Optional[_dt.timedelta]:
        """How long it ran (None until it started and finished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def lateness(self) -> Optional[_dt.timedelta]:
        """How long after its scheduled time it started (None until it started)."""
        if self.started_at is None or self.scheduled_time is None:
            return None
        return self.started_at - self.scheduled_time

    def __repr__(self) -> str:
        return f"<RunRecord {self.run_id} task={self.task_id!r} {self.outcome} scheduled={self.scheduled_time}>"


class AuditEntry:
    """One change to a task: id, at, action ("add", "update", "pause", "resume", "remove", "run"), task_id,
    actor (who: "alice (uid 1000)", "config"...), host, pid and changes: {field: {"before": .., "after": ..}}."""

    __slots__ = ("id", "at", "action", "task_id", "actor", "host", "pid", "changes")

    def __init__(self, fields: Dict[str, Any], tz: _dt.tzinfo) -> None:
        self.id = fields["id"]
        self.at = from_usec(fields["at"], tz)
        self.action = fields["action"]
        self.task_id = fields["task_id"]
        self.actor = fields["actor"]
        self.host = fields["host"]
        self.pid = fields["pid"]
        changes = fields["changes"]
        self.changes: Dict[str, Any] = json.loads(changes) if changes else {}

    def __repr__(self) -> str:
        return f"<AuditEntry {self.at} {self.action} task={self.task_id!r} by {self.actor!r}>"


def outcome_names(outcome: Any) -> Optional[List[str]]:
    """None, one outcome name or several, as the list the core takes (checked there)."""
    if outcome is None:
        return None
    if isinstance(outcome, str):
        return [outcome]
    return list(outcome)
