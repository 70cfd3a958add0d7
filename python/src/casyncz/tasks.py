"""Task: a scheduler's task as asyncz shows it (a snapshot of the stored task, with methods that act on the
stored one through its scheduler)."""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from ._time import from_usec
from .triggers import BaseTrigger, _wrap

if TYPE_CHECKING:
    from .schedulers.asyncio import AsyncIOScheduler


class Task:
    """A snapshot of a task: id, name, fn (the callable, when this process knows it), fn_reference (the
    name the store keeps), args, kwargs, trigger, executor, store_alias, mistrigger_grace_time (seconds,
    None: unlimited), coalesce, max_instances, next_run_time (None: paused)."""

    id: str
    name: str
    fn: Optional[Callable[..., Any]]
    fn_reference: str
    args: Tuple[Any, ...]
    kwargs: Dict[str, Any]
    trigger: Optional[BaseTrigger]
    executor: str
    store_alias: str
    mistrigger_grace_time: Optional[float]
    coalesce: bool
    max_instances: int
    next_run_time: Optional[_dt.datetime]

    def __init__(self, scheduler: "AsyncIOScheduler", fields: Dict[str, Any]) -> None:
        self._scheduler = scheduler
        self._fill(fields)

    @classmethod
    def _lazy(cls, scheduler: "AsyncIOScheduler", task_id: str, store: str) -> "Task":
        """A task whose fields are read from the scheduler on first use (what add_task returns, so that
        adding many tasks does not pay for a snapshot nobody looks at)."""
        task = cls.__new__(cls)
        task._scheduler = scheduler
        task.id = task_id
        task.store_alias = store
        return task

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: the fields of a lazy task.
        if name.startswith("_") or name not in Task.__annotations__:
            raise AttributeError(name)
        fields = self._scheduler._core.get_task(self.id, self.store_alias)
        if fields is None:
            raise AttributeError(f"task {self.id!r} is no longer in store {self.store_alias!r}")
        self._fill(fields)
        return getattr(self, name)

    def _fill(self, fields: Dict[str, Any]) -> None:
        scheduler = self._scheduler
        self.id = fields["id"]
        self.name = fields["name"]
        self.fn_reference = fields["func"]
        self.fn = scheduler._functions.get(self.fn_reference)
        self.args = tuple(json.loads(fields["args_json"]))
        self.kwargs = json.loads(fields["kwargs_json"])
        native = fields["trigger"]
        self.trigger = _wrap(native) if native is not None else None
        self.executor = fields["executor"]
        self.store_alias = fields["store"]
        grace = fields["misfire_grace_time"]
        self.mistrigger_grace_time = None if grace < 0 else grace / 1_000_000
        self.coalesce = fields["coalesce"]
        self.max_instances = fields["max_instances"]
        tz = self.trigger.timezone if self.trigger is not None else scheduler.timezone
        self.next_run_time = from_usec(fields["next_run_time"], tz)

    @property
    def misfire_grace_time(self) -> Optional[float]:
        return self.mistrigger_grace_time

    @property
    def paused(self) -> bool:
        return self.next_run_time is None

    def pause(self) -> "Task":
        return self._scheduler.pause_task(self.id, self.store_alias)

    def resume(self) -> Optional["Task"]:
        return self._scheduler.resume_task(self.id, self.store_alias)

    def remove(self) -> None:
        self._scheduler.remove_task(self.id, self.store_alias)

    def run(self) -> None:
        """Run once now, outside the schedule."""
        self._scheduler.run_task(self.id, self.store_alias)

    def update(self, **updates: Any) -> "Task":
        """Change fields of the stored task (see AsyncIOScheduler.update_task); returns the new snapshot."""
        return self._scheduler.update_task(self.id, self.store_alias, **updates)

    modify = update

    def reschedule(self, trigger: Any, **trigger_args: Any) -> "Task":
        return self._scheduler.reschedule_task(self.id, self.store_alias, trigger, **trigger_args)

    def __repr__(self) -> str:
        return f"<Task (id={self.id!r} name={self.name!r} trigger={self.trigger} next_run_time={self.next_run_time})>"
