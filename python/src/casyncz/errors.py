"""The exceptions casyncz raises. Every error of libasyncz is a SchedulerError carrying the C library's code
(`code`, a negative ASYNCZ_E* value) and message; the subclasses match asyncz's exceptions where asyncz has
one for the same failure."""

from __future__ import annotations

from . import _casyncz as _c


class SchedulerError(_c.Error):
    """A libasyncz call failed: `code` is its ASYNCZ_E* code, `message` what was wrong."""

    def __init__(self, code: int = _c.EINVAL, message: str = "") -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class TaskLookupError(SchedulerError, KeyError):
    """No task (or store, executor, function) with that name (ASYNCZ_ENOTFOUND)."""


class ConflictIdError(SchedulerError, KeyError):
    """A task with that id exists already (ASYNCZ_EEXISTS)."""


class SchedulerAlreadyRunningError(SchedulerError):
    """The scheduler is running already."""


class SchedulerNotRunningError(SchedulerError):
    """The scheduler is not running (ASYNCZ_ESTATE)."""


class StoreError(SchedulerError):
    """A store failed: the server is unreachable or refused (ASYNCZ_ESTORE)."""


class InvalidArgumentError(SchedulerError, ValueError):
    """An argument breaks a rule (ASYNCZ_EINVAL), or names an unknown time zone (ASYNCZ_EZONE)."""


class TriggerError(InvalidArgumentError):
    """A trigger expression cannot be read or is out of range (ASYNCZ_EPARSE, ASYNCZ_ERANGE)."""


class FunctionNotAllowedError(SchedulerError, LookupError):
    """A task names a function the application neither registered nor allowed (see the allow-list)."""


_c.set_error_types(
    {
        _c.ENOTFOUND: TaskLookupError,
        _c.EEXISTS: ConflictIdError,
        _c.ESTATE: SchedulerNotRunningError,
        _c.ESTORE: StoreError,
        _c.EPARSE: TriggerError,
        _c.ERANGE: TriggerError,
        _c.EINVAL: InvalidArgumentError,
        _c.EZONE: InvalidArgumentError,
        _c.ESEARCH: SchedulerError,
    }
)
