"""AsyncIOScheduler: asyncz's scheduler API on libasyncz, embedded in the running asyncio loop.

The C scheduler has no thread of its own: its fd (an epoll set of a timerfd armed for the next due time and
an eventfd every scheduler call writes to) is watched with loop.add_reader, and the time it next needs a
call is also armed with loop.call_at, as a backstop. Each wake-up calls dispatch() with the GIL released;
what it runs calls back into Python:

- a coroutine function (executor "asyncio", the default) becomes a task on the loop, and the run stays
  pending (ASYNCZ_RUN_PENDING) until the task ends: its result, or its exception with the traceback text
  (TASK_ERROR), completes the run;
- a plain function on the "asyncio" executor runs on the loop's default thread pool (as asyncz does),
  completing the run from that thread; on a "threadpool" executor it runs on libasyncz's own pool threads;
- listeners get asyncz's event objects on the loop's thread (or on the thread of the call that caused the
  event, such as add_task).

shutdown() cancels coroutine runs still going (as asyncz's asyncio executor does), reporting them as
TASK_ERROR, and with wait=True waits for thread runs, with the GIL released."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import logging
import sys
import threading
import traceback as _traceback
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Union

from .. import _casyncz as _c
from .._time import ZoneLike, from_usec, seconds_to_usec, to_usec, tzinfo_for, zone_name
from ..errors import SchedulerAlreadyRunningError, SchedulerNotRunningError, TaskLookupError
from ..history import AuditEntry, RunRecord, outcome_names
from ..events import (
    _SUBMISSION,
    _TASK_RUN,
    SchedulerEvent,
    TaskEvent,
    TaskExecutionEvent,
    TaskSubmissionEvent,
)
from ..events.constants import ALL_EVENTS, TASK_ERROR, TASK_EXECUTED
from ..functions import FunctionRegistry
from ..stores import store_url
from ..tasks import Task
from ..triggers import BaseTrigger, make_trigger, native_trigger

logger = logging.getLogger("casyncz.scheduler")

STATE_STOPPED = _c.STATE_STOPPED
STATE_RUNNING = _c.STATE_RUNNING
STATE_PAUSED = _c.STATE_PAUSED

_UNSET: Any = object()
# Eager tasks (asyncio.Task(..., eager_start=True)) exist from Python 3.12 on.
_EAGER = sys.version_info >= (3, 12)
_PERSISTENT_KINDS = frozenset({"file", "sqlite", "postgresql", "mariadb", "redis", "mongodb"})


# Schedulers still running when the interpreter exits are shut down first (without waiting), so that no
# libasyncz thread calls into an interpreter that is finalizing.
_running: "weakref.WeakSet[AsyncIOScheduler]" = weakref.WeakSet()


@atexit.register
def _shutdown_at_exit() -> None:
    for scheduler in list(_running):
        if scheduler.running:
            try:
                scheduler._shutdown_here(False)
            except Exception:  # noqa: BLE001  (exiting anyway)
                logger.exception("shutting %r down at exit failed", scheduler)


# A field add_task leaves out (the C call takes ... for it).
_UNSET_FIELD = ...


def _grace_usec(value: Any) -> Optional[int]:
    """mistrigger_grace_time in seconds (None: unlimited) as libasyncz's microseconds."""
    return _c.GRACE_UNLIMITED if value is None else seconds_to_usec(value)


class AsyncIOScheduler:
    """asyncz's AsyncIOScheduler on libasyncz.

    stores: alias -> "memory", a store URL ("sqlite:///tasks.db", "redis://host:6379/0", ...) or
    {"type": "memory"} / {"url": URL}; default {"default": "memory"}.
    executors: alias -> "asyncio", "threadpool" or {"type": "threadpool", "max_workers": 10}; default
    {"default": "asyncio"}.
    task_defaults: mistrigger_grace_time (seconds; None: unlimited), coalesce, max_instances.
    timezone: the default zone of triggers given by alias (a name or a tzinfo; default: local).
    identity: this scheduler's name in shared stores (default "<hostname>:<pid>").
    allowed_modules: modules whose top-level functions tasks in persistent stores may name ("pkg.*": a
    package and its submodules), besides the callables passed to add_task or register().
    """

    def __init__(
        self,
        global_config: Optional[Mapping[str, Any]] = None,
        *,
        stores: Optional[Mapping[str, Any]] = None,
        executors: Optional[Mapping[str, Any]] = None,
        task_defaults: Optional[Mapping[str, Any]] = None,
        timezone: Optional[ZoneLike] = None,
        identity: Optional[str] = None,
        allowed_modules: Iterable[str] = (),
        event_loop: Optional[asyncio.AbstractEventLoop] = None,
    ) -> None:
        config = dict(global_config or {})
        stores = stores if stores is not None else config.get("stores")
        executors = executors if executors is not None else config.get("executors")
        task_defaults = dict(task_defaults if task_defaults is not None else config.get("task_defaults", {}))
        timezone = timezone if timezone is not None else config.get("timezone")
        self._zone = zone_name(timezone)
        self.timezone = tzinfo_for(self._zone)
        grace = task_defaults.pop("mistrigger_grace_time", task_defaults.pop("misfire_grace_time", _UNSET))
        core_args: Dict[str, Any] = {
            "timezone": self._zone,
            "identity": identity if identity is not None else config.get("identity"),
            "coalesce": bool(task_defaults.pop("coalesce", True)),
            "max_instances": int(task_defaults.pop("max_instances", 1)),
        }
        if grace is not _UNSET:
            core_args["misfire_grace_time"] = _grace_usec(grace)
        if task_defaults:
            raise TypeError(f"unknown task_defaults: {', '.join(sorted(task_defaults))}")
        self._core = _c.Core(**core_args)
        self._core.set_runner(self._run)
        self._core.set_listener(self._on_event, 0)  # no event reaches Python until a listener wants it
        self._functions = FunctionRegistry(allowed_modules or config.get("allowed_modules", ()))
        self._registered: set = set()  # names registered with libasyncz
        self._listeners: List[tuple] = []
        self._listener_mask = 0
        self._results: Dict[str, Any] = {}  # run_id -> return value / exception, for the next event
        self._pending: Dict[asyncio.Task, Any] = {}  # coroutine runs in flight -> their Run
        self._store_kinds: Dict[str, str] = {}
        self._loop = event_loop
        self._loop_thread: Optional[int] = None
        self._fd = -1
        self._timer: Optional[asyncio.TimerHandle] = None
        self._stopping = False
        for alias, spec in (stores or {"default": "memory"}).items():
            self.add_store(spec, alias)
        if "default" not in self._store_kinds:
            self.add_store("memory", "default")
        executors = dict(executors or {})
        executors.setdefault("default", "asyncio")
        for alias, spec in executors.items():
            self.add_executor(spec, alias)

    # ---- stores, executors, functions ---------------------------------------------------------------

    def add_store(self, store: Union[str, Mapping[str, Any]], alias: str = "default") -> None:
        """A store by URL or "memory", or asyncz's dict ({"type": "redis", "host": ..., "database": 0},
        {"type": "sqlalchemy", "database": URL, "tablename": ...}, {"type": "memory"}, {"url": URL})."""
        url: Optional[str]
        if isinstance(store, Mapping):
            url = store_url(store)
        elif isinstance(store, str):
            url = None if store in ("memory", "memory://") else store
        else:
            raise TypeError("a store is a URL, \"memory\" or a dict")
        self._store_kinds[alias] = self._core.add_store(alias, url)

    def add_executor(self, executor: Union[str, Mapping[str, Any]], alias: str = "default") -> None:
        """"asyncio" (coroutines on the app's loop, plain functions on its default thread pool) or
        "threadpool" (libasyncz's threads; {"type": "threadpool", "max_workers": n})."""
        spec = dict(executor) if isinstance(executor, Mapping) else {"type": executor}
        kind = spec.pop("type", "asyncio")
        max_workers = int(spec.pop("max_workers", 0))
        if spec:
            raise TypeError(f"unknown executor settings: {', '.join(sorted(spec))}")
        if kind in ("asyncio", "loop"):
            self._core.add_executor(alias, "loop")
        elif kind in ("threadpool", "pool"):
            self._core.add_executor(alias, "threadpool", max_workers)
        else:
            raise NotImplementedError(f"executor type {kind!r} (asyncio and threadpool are available)")

    def register(self, fn: Callable[..., Any], name: Optional[str] = None) -> str:
        """Allow tasks to call fn (under name, default "module:qualname"); returns the name."""
        name = self._functions.register(fn, name)
        self._register_native(name)
        return name

    def _register_native(self, name: str) -> None:
        if name not in self._registered:
            self._core.register(name)
            self._registered.add(name)

    # ---- lifecycle ----------------------------------------------------------------------------------

    @property
    def state(self) -> int:
        return self._core.state

    @property
    def running(self) -> bool:
        return self._core.state != STATE_STOPPED

    @property
    def identity(self) -> str:
        return self._core.identity

    def start(self, paused: bool = False) -> None:
        """Start in the running loop (or the event_loop given): open the stores, watch the scheduler's fd."""
        if self.running:
            raise SchedulerAlreadyRunningError(_c.ESTATE, "the scheduler is running already")
        loop = self._loop
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop_policy().get_event_loop()
        self._loop = loop
        for name, _fn in self._functions.scan_allowed():
            self._register_native(name)
        self._stopping = False
        self._fd = self._core.start_embedded(paused)
        self._loop_thread = threading.get_ident() if loop.is_running() else None
        self._register_stored_functions()
        loop.add_reader(self._fd, self._on_ready)
        loop.call_soon(self._on_ready)
        _running.add(self)

    def _register_stored_functions(self) -> None:
        """Register with libasyncz the allowed functions that tasks already in the stores name."""
        for fields in self._core.list_tasks():
            name = fields["func"]
            if name in self._registered:
                continue
            try:
                self._functions.resolve_reference(name)
            except Exception as exc:  # not allowed: libasyncz will refuse its runs
                logger.warning("task %r names %r, which is not allowed: %s", fields["id"], name, exc)
                continue
            self._register_native(name)

    def _on_ready(self) -> None:
        """The fd is readable (or the backstop timer fired): let libasyncz do what is ready."""
        if self._loop_thread is None:
            self._loop_thread = threading.get_ident()
        if self._core.state == STATE_STOPPED:
            return self._detach()
        timeout = self._core.dispatch()
        if self._core.state == STATE_STOPPED:  # a listener shut it down during the dispatch
            return self._detach()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if timeout >= 0 and self._loop is not None:
            self._timer = self._loop.call_at(self._loop.time() + timeout / 1000, self._on_ready)

    def _detach(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fd >= 0 and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        self._fd = -1
        _running.discard(self)

    def shutdown(self, wait: bool = True) -> None:
        """Stop: run shutdown-trigger tasks once, cancel coroutine runs still going (TASK_ERROR), wait for
        thread runs when wait is true, close the stores. The scheduler can be started again. Called from
        another thread while the loop runs, the loop's thread does it and this call waits for it."""
        if not self.running:
            raise SchedulerNotRunningError(_c.ESTATE, "the scheduler is not running")
        loop = self._loop
        if (loop is not None and loop.is_running() and self._loop_thread is not None
                and threading.get_ident() != self._loop_thread):
            done: concurrent.futures.Future = concurrent.futures.Future()

            def on_loop() -> None:
                try:
                    if self.running:
                        self._shutdown_here(wait)
                    done.set_result(None)
                except BaseException as exc:  # noqa: BLE001  (handed to the calling thread)
                    done.set_exception(exc)

            loop.call_soon_threadsafe(on_loop)
            done.result()
            return
        self._shutdown_here(wait)

    def _shutdown_here(self, wait: bool) -> None:
        """shutdown() on the thread that dispatches (libasyncz's rule for embedded schedulers)."""
        self._stopping = True
        self._cancel_coroutine_runs()
        try:
            self._core.shutdown(wait)
        finally:
            self._detach()

    def _cancel_coroutine_runs(self) -> None:
        loop = self._loop
        current = asyncio.current_task() if loop is not None and loop.is_running() else None
        for task, (run, run_id) in list(self._pending.items()):
            self._pending.pop(task, None)
            if run.live:
                if task.done():  # it finished; only its done callback had not run yet: its own outcome
                    self._report_task(run, run_id, task)
                else:
                    run.set_error("asyncio.CancelledError: the scheduler shut down during the run")
                run.complete()
            if task is not current and loop is not None and not loop.is_closed():
                task.cancel()

    def pause(self) -> None:
        """Stop processing (SCHEDULER_PAUSED); tasks stay scheduled, running ones finish."""
        self._core.pause()

    def resume(self) -> None:
        """Process again; what was missed meanwhile follows the misfire rules."""
        self._core.resume()

    def wakeup(self) -> None:
        """Dispatch now (asyncz's name); never needed, the fd wakes the loop by itself."""
        if self._loop is not None:
            self._loop.call_soon(self._on_ready)

    def __enter__(self) -> "AsyncIOScheduler":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.running:
            self.shutdown()

    async def __aenter__(self) -> "AsyncIOScheduler":
        self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.running:
            self.shutdown()

    def asgi(self, app: Any = None, handle_lifespan: bool = False, wait: bool = False) -> Any:
        """Wrap an ASGI app so that its lifespan starts and stops this scheduler (asyncz's asgi())."""
        from ..asgi import ASGIApp

        if app is None:
            return lambda inner: ASGIApp(inner, self, handle_lifespan=handle_lifespan, wait=wait)
        return ASGIApp(app, self, handle_lifespan=handle_lifespan, wait=wait)

    # ---- running functions ------------------------------------------------------------------------------

    def _run(self, run: Any) -> int:
        """libasyncz's call for one run: on the loop's thread (executor "asyncio", inside dispatch) or on a
        libasyncz pool thread. Returns RUN_PENDING when the run completes later."""
        func, run_id, args_json, kwargs_json = run.call_info()
        fn = self._functions.get(func)
        if fn is None:
            run.set_error(f"function {func!r} is not registered or allowed in this process", _c.ENOTFOUND)
            return _c.RUN_DONE
        try:
            args = json.loads(args_json) if args_json != "[]" else []
            kwargs = json.loads(kwargs_json) if kwargs_json != "{}" else {}
        except ValueError as exc:
            run.set_error(f"arguments are not JSON: {exc}", _c.EPARSE)
            return _c.RUN_DONE
        coroutine = self._functions.is_coroutine(func, fn)
        if threading.get_ident() != self._loop_thread:
            # A libasyncz pool thread: the run ends when this returns (a pool takes no pending runs).
            try:
                result = asyncio.run(fn(*args, **kwargs)) if coroutine else fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001  (reported, as asyncz reports every exception)
                self._report_exception(run, run_id, exc)
            else:
                self._report_result(run, run_id, result)
            return _c.RUN_DONE
        if self._stopping:
            return self._run_on_thread(run, fn, args, kwargs, coroutine)
        assert self._loop is not None
        if coroutine:
            try:
                if _EAGER:
                    # Python >= 3.12: the task's first step runs now, inside the dispatch; a coroutine that
                    # never waits is finished when this returns, and its run is done without a loop turn.
                    task = asyncio.Task(fn(*args, **kwargs), loop=self._loop, eager_start=True)
                    if task.done():
                        self._report_task(run, run_id, task)
                        return _c.RUN_DONE
                else:
                    task = self._loop.create_task(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001
                self._report_exception(run, run_id, exc)
                return _c.RUN_DONE
            self._pending[task] = (run, run_id)
            task.add_done_callback(self._coroutine_done)
            return _c.RUN_PENDING
        self._loop.run_in_executor(None, self._call_and_complete, run, run_id, fn, args, kwargs)
        return _c.RUN_PENDING

    def _run_on_thread(self, run: Any, fn: Callable[..., Any], args: list, kwargs: dict, coroutine: bool) -> int:
        """During shutdown the loop is blocked in shutdown(): run shutdown-trigger tasks on a thread of their
        own (a coroutine in a loop of its own there), which libasyncz waits for when wait is true."""
        run_id = run.info()[3]

        def call() -> None:
            try:
                result = asyncio.run(fn(*args, **kwargs)) if coroutine else fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001
                self._report_exception(run, run_id, exc)
            else:
                self._report_result(run, run_id, result)
            run.complete()

        threading.Thread(target=call, name="casyncz-shutdown-task", daemon=True).start()
        return _c.RUN_PENDING

    def _call_and_complete(self, run: Any, run_id: str, fn: Callable[..., Any], args: list, kwargs: dict) -> None:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            self._report_exception(run, run_id, exc)
        else:
            self._report_result(run, run_id, result)
        run.complete()

    def _coroutine_done(self, task: asyncio.Task) -> None:
        run, run_id = self._pending.pop(task, (None, None))
        if run is None or not run.live:
            return
        self._report_task(run, run_id, task)
        run.complete()

    def _report_task(self, run: Any, run_id: str, task: asyncio.Task) -> None:
        """Report a finished coroutine task's outcome on its run."""
        if task.cancelled():
            run.set_error("asyncio.CancelledError: the run was cancelled")
        elif task.exception() is not None:
            self._report_exception(run, run_id, task.exception())  # type: ignore[arg-type]
        else:
            self._report_result(run, run_id, task.result())

    def _report_result(self, run: Any, run_id: str, value: Any) -> None:
        if value is not None:
            try:
                run.set_result(json.dumps(value))
            except (TypeError, ValueError, _c.Error):
                pass  # not JSON: listeners in this process still get the object
            if self._listener_mask & TASK_EXECUTED:
                self._results[run_id] = value

    def _report_exception(self, run: Any, run_id: str, exc: BaseException) -> None:
        text = "".join(_traceback.format_exception(type(exc), exc, exc.__traceback__))
        run.set_error(text.rstrip())
        if self._listener_mask & TASK_ERROR:
            self._results[run_id] = exc

    # ---- events -----------------------------------------------------------------------------------------

    def add_listener(self, callback: Callable[[Any], Any], mask: int = ALL_EVENTS) -> None:
        """Call callback(event) for every event whose code is in mask."""
        self._listeners.append((callback, mask))
        self._listener_mask |= mask
        self._core.set_listener(self._on_event, self._listener_mask)

    def remove_listener(self, callback: Callable[[Any], Any]) -> None:
        self._listeners = [(cb, m) for cb, m in self._listeners if cb is not callback]
        mask = 0
        for _cb, m in self._listeners:
            mask |= m
        self._listener_mask = mask
        self._core.set_listener(self._on_event, self._listener_mask)

    def _on_event(self, e: tuple) -> None:
        (code, when, alias, task_id, task_name, sched, run_times, coalesced, result_json, error_code,
         error_message, run_id, instance_id, fencing) = e
        if code & (TASK_EXECUTED | TASK_ERROR) and run_id is not None:
            local = self._results.pop(run_id, None)
        else:
            local = None
        if not self._listener_mask & code:
            return
        tz = self.timezone
        time = from_usec(when, tz)
        event: SchedulerEvent
        if code & _TASK_RUN:
            value = local if code & TASK_EXECUTED else None
            if value is None and result_json is not None:
                value = json.loads(result_json)
            event = TaskExecutionEvent(code=code, alias=alias, time=time, instance_id=instance_id, task_id=task_id,
                                       store=alias, task_name=task_name, scheduled_run_time=from_usec(sched, tz),
                                       return_value=value, exception=local if code & TASK_ERROR else None,
                                       traceback=error_message, error_code=error_code, run_id=run_id,
                                       fencing_token=fencing)
        elif code & _SUBMISSION:
            event = TaskSubmissionEvent(code=code, alias=alias, time=time, task_id=task_id, store=alias,
                                        task_name=task_name, run_id=run_id, coalesced=coalesced,
                                        scheduled_run_times=[from_usec(t, tz) for t in run_times])
        elif task_id is not None:
            event = TaskEvent(code=code, alias=alias, time=time, instance_id=instance_id, task_id=task_id,
                              store=alias, task_name=task_name)
        else:
            event = SchedulerEvent(code=code, alias=alias, time=time, instance_id=instance_id)
        for callback, mask in list(self._listeners):
            if mask & code:
                try:
                    callback(event)
                except Exception:
                    logger.exception("listener %r failed", callback)

    # ---- tasks ------------------------------------------------------------------------------------------

    def add_task(
        self,
        fn_or_task: Any = None,
        trigger: Union[str, BaseTrigger, None] = None,
        args: Optional[Iterable[Any]] = None,
        kwargs: Optional[Mapping[str, Any]] = None,
        id: Optional[str] = None,
        name: Optional[str] = None,
        mistrigger_grace_time: Any = _UNSET,
        coalesce: Any = _UNSET,
        max_instances: Any = _UNSET,
        next_run_time: Any = _UNSET,
        store: Optional[str] = "default",
        executor: Optional[str] = "default",
        replace_existing: bool = False,
        fn: Any = None,
        **trigger_args: Any,
    ) -> Any:
        """Add a task calling fn_or_task (a callable, or "package.module:function" allowed by the allow-list;
        asyncz's older name `fn=` is taken too) on trigger (an object or an alias with trigger_args).
        Without a function, returns a decorator. Returns the Task."""
        fn = fn_or_task if fn_or_task is not None else fn
        if fn is None:
            def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
                self.add_task(func, trigger, args, kwargs, id, name, mistrigger_grace_time, coalesce,
                              max_instances, next_run_time, store, executor, replace_existing, **trigger_args)
                return func

            return decorator
        store = store if store is not None else "default"  # asyncz passes None for the default
        executor = executor if executor is not None else "default"
        if "misfire_grace_time" in trigger_args:
            mistrigger_grace_time = trigger_args.pop("misfire_grace_time")
        persistent = self._store_kinds.get(store) in _PERSISTENT_KINDS
        if isinstance(fn, str):
            self._functions.resolve_reference(fn)
            func = fn
        elif callable(fn):
            func = self._functions.name_for(fn, persistent)
        else:
            raise TypeError("fn must be a callable or a \"package.module:function\" reference")
        self._register_native(func)
        native, late_ok = native_trigger(trigger, self._zone, trigger_args)
        if mistrigger_grace_time is _UNSET and late_ok:
            mistrigger_grace_time = None  # a task for "now" runs however late the loop gets to it
        if name is None and not isinstance(fn, str):
            name = getattr(fn, "__name__", None)
        task_id = self._core.add_task(
            func,
            native,
            id,
            name,
            json.dumps(list(args)) if args else None,
            json.dumps(dict(kwargs)) if kwargs else None,
            executor,
            store,
            _UNSET_FIELD if mistrigger_grace_time is _UNSET else _grace_usec(mistrigger_grace_time),
            _UNSET_FIELD if coalesce is _UNSET else coalesce,
            _UNSET_FIELD if max_instances is _UNSET else max_instances,
            _UNSET_FIELD if next_run_time is _UNSET else to_usec(next_run_time, self._zone),
            replace_existing,
        )
        return Task._lazy(self, task_id, store)

    def scheduled_task(self, trigger: Any = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """The decorator form: @scheduler.scheduled_task("interval", seconds=5)."""
        return self.add_task(None, trigger, **kwargs)

    def get_task(self, task_id: str, store: Optional[str] = None) -> Optional[Task]:
        """The task with this id (in store, or any), or None."""
        fields = self._core.get_task(task_id, store)
        return Task(self, fields) if fields is not None else None

    def get_tasks(self, store: Optional[str] = None) -> List[Task]:
        """Every task (of one store, or all), by next run time, paused ones last."""
        return [Task(self, f) for f in self._core.list_tasks(store)]

    def _task_after(self, task_id: str, store: Optional[str]) -> Optional[Task]:
        return self.get_task(task_id, store)

    def pause_task(self, task_id: str, store: Optional[str] = None) -> Task:
        self._core.task_op("pause", task_id, store)
        return self._task_after(task_id, store)  # type: ignore[return-value]

    def resume_task(self, task_id: str, store: Optional[str] = None) -> Optional[Task]:
        """Resume (next run time from now); a task whose trigger is exhausted is removed (None)."""
        self._core.task_op("resume", task_id, store)
        return self._task_after(task_id, store)

    def run_task(self, task_id: str, store: Optional[str] = None) -> None:
        """Run once now, outside the schedule (subject to max_instances)."""
        self._core.task_op("run", task_id, store)

    def remove_task(self, task_id: str, store: Optional[str] = None) -> None:
        self._core.task_op("remove", task_id, store)

    def delete_task(self, task_id: str, store: Optional[str] = None) -> None:
        self.remove_task(task_id, store)

    def remove_all_tasks(self, store: Optional[str] = None) -> None:
        self._core.remove_all_tasks(store)

    # ---- run history and audit trail -------------------------------------------------------------------

    def _history_store(self, store: Optional[str]) -> str:
        alias = store if store is not None else "default"
        if alias not in self._store_kinds:
            raise LookupError(f"no store named {alias!r} (this scheduler has {', '.join(sorted(self._store_kinds))})")
        return alias

    def iter_runs(
        self,
        task_id: Optional[str] = None,
        *,
        outcome: Union[str, Iterable[str], None] = None,
        since: Any = None,
        until: Any = None,
        scheduler: Optional[str] = None,
        store: Optional[str] = None,
        with_output: bool = False,
        page_size: int = 100,
    ) -> Iterator[RunRecord]:
        """Every run record of the store (default: "default") that matches, newest first, read a page at a
        time: of one task, with these outcomes (a name of casyncz.history.OUTCOMES or several), submitted
        at or after since and before until (datetimes, dates or ISO text), recorded by this scheduler
        identity. Output lines only when with_output. Every scheduler sharing the store sees every run."""
        alias = self._history_store(store)
        cursor: Optional[str] = None
        query = {
            "task_id": task_id,
            "outcomes": outcome_names(outcome),
            "since": to_usec(since, self._zone),
            "until": to_usec(until, self._zone),
            "scheduler": scheduler,
            "limit": page_size,
            "with_output": with_output,
        }
        while True:
            page, cursor = self._core.list_runs(alias, cursor=cursor, **query)
            for fields in page:
                yield RunRecord(fields, self.timezone)
            if cursor is None:
                return

    def get_runs(self, task_id: Optional[str] = None, *, limit: int = 100, **filters: Any) -> List[RunRecord]:
        """The newest `limit` run records that match (the filters of iter_runs)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        runs: List[RunRecord] = []
        for record in self.iter_runs(task_id, page_size=min(limit, 10000), **filters):
            runs.append(record)
            if len(runs) == limit:
                break
        return runs

    def get_run(self, run_id: str, store: Optional[str] = None) -> Optional[RunRecord]:
        """One run record with its output, or None when the store has no such run."""
        fields = self._core.get_run(run_id, self._history_store(store))
        return RunRecord(fields, self.timezone) if fields is not None else None

    def get_audit(
        self,
        task_id: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        since: Any = None,
        until: Any = None,
        limit: int = 100,
        store: Optional[str] = None,
    ) -> List[AuditEntry]:
        """The newest `limit` changes made to the tasks of the store (of one task, by one actor, in a time
        range), each with who made it and what changed."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        alias = self._history_store(store)
        entries: List[AuditEntry] = []
        cursor: Optional[str] = None
        while len(entries) < limit:
            page, cursor = self._core.list_audit(alias, task_id, actor, to_usec(since, self._zone),
                                                 to_usec(until, self._zone), min(limit - len(entries), 10000),
                                                 cursor)
            entries.extend(AuditEntry(fields, self.timezone) for fields in page)
            if cursor is None:
                break
        return entries

    def reschedule_task(
        self, task_id: str, store: Optional[str] = None, trigger: Any = None, **trigger_args: Any
    ) -> Task:
        """A new trigger (object, or alias with trigger_args) and the next run time it gives now."""
        trig = make_trigger(trigger, self._zone, trigger_args)
        if trig is None:
            raise TypeError("reschedule_task needs a trigger")
        self._core.reschedule_task(task_id, trig.native, store)
        return self._task_after(task_id, store)  # type: ignore[return-value]

    def update_task(self, task_id: str, store: Optional[str] = None, **updates: Any) -> Task:
        """Change fields of a task: fn, name, args, kwargs, executor, mistrigger_grace_time, coalesce,
        max_instances, next_run_time (None pauses), trigger (then the next run time is recomputed from it
        unless next_run_time is given)."""
        fields: Dict[str, Any] = {}
        if "fn" in updates:
            fn = updates.pop("fn")
            persistent = self._store_kinds.get(store or "default") in _PERSISTENT_KINDS
            if isinstance(fn, str):
                self._functions.resolve_reference(fn)
                fields["func"] = fn
            else:
                fields["func"] = self._functions.name_for(fn, persistent)
            self._register_native(fields["func"])
        if "name" in updates:
            fields["name"] = updates.pop("name")
        if "args" in updates:
            fields["args_json"] = json.dumps(list(updates.pop("args") or ()))
        if "kwargs" in updates:
            fields["kwargs_json"] = json.dumps(dict(updates.pop("kwargs") or {}))
        if "executor" in updates:
            fields["executor"] = updates.pop("executor")
        for key in ("mistrigger_grace_time", "misfire_grace_time"):
            if key in updates:
                fields["misfire_grace_time"] = _grace_usec(updates.pop(key))
        for key in ("coalesce", "max_instances"):
            if key in updates:
                fields[key] = updates.pop(key)
        if "next_run_time" in updates:
            fields["next_run_time"] = to_usec(updates.pop("next_run_time"), self._zone)
        trigger = updates.pop("trigger", None)
        if updates:
            raise TypeError(f"update_task cannot change: {', '.join(sorted(updates))}")
        if trigger is not None:
            trig = make_trigger(trigger, self._zone, {})
            fields["trigger"] = trig.native  # type: ignore[union-attr]
        if fields:
            self._core.update_task(task_id, store, **fields)
        if trigger is not None and "next_run_time" not in fields:
            self._core.reschedule_task(task_id, fields["trigger"], store)
        return self._task_after(task_id, store)  # type: ignore[return-value]

    def preview_task_runs(
        self, task_id: str, store: Optional[str] = None, count: int = 10, start: Any = None
    ) -> List[Any]:
        """The next `count` run times of a task from its next run time (or from start), without running it."""
        task = self.get_task(task_id, store)
        if task is None:
            raise TaskLookupError(_c.ENOTFOUND, f"no task with id {task_id!r}")
        if task.trigger is None:
            return [task.next_run_time] if task.next_run_time is not None else []
        begin = start if start is not None else task.next_run_time
        if begin is None:
            return []
        return task.trigger.preview(count, begin)

    def print_tasks(self, store: Optional[str] = None) -> None:
        for task in self.get_tasks(store):
            print(task)

    def __repr__(self) -> str:
        names = {STATE_STOPPED: "stopped", STATE_RUNNING: "running", STATE_PAUSED: "paused"}
        return f"<AsyncIOScheduler {names.get(self.state, '?')} identity={self.identity!r}>"
