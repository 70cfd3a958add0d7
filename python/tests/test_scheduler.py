"""The scheduler's calls: lifecycle, stores and executors, the task calls, errors, the decorator."""

from __future__ import annotations

import asyncio
import datetime as dt

import jobs
import pytest
from conftest import run, wait_for

from casyncz import AsyncIOScheduler, CronTrigger, IntervalTrigger, Task
from casyncz.errors import (
    ConflictIdError,
    FunctionNotAllowedError,
    SchedulerAlreadyRunningError,
    SchedulerNotRunningError,
    TaskLookupError,
)
from casyncz.schedulers.asyncio import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED


def test_lifecycle_states() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(timezone="UTC")
        assert s.state == STATE_STOPPED and not s.running
        s.start(paused=True)
        assert s.state == STATE_PAUSED
        with pytest.raises(SchedulerAlreadyRunningError):
            s.start()
        s.resume()
        assert s.state == STATE_RUNNING
        s.pause()
        assert s.state == STATE_PAUSED
        s.shutdown()
        assert s.state == STATE_STOPPED
        with pytest.raises(SchedulerNotRunningError):
            s.shutdown()
        s.start()  # again, after a shutdown
        assert s.running
        s.shutdown(wait=False)

    run(main)


def test_context_managers() -> None:
    async def main() -> None:
        s = AsyncIOScheduler()
        with s:
            assert s.running
        assert not s.running
        async with AsyncIOScheduler() as s2:
            assert s2.running
        assert not s2.running

    run(main)


def test_task_calls() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(timezone="Europe/Berlin")
        s.start(paused=True)  # nothing runs: only the calls are looked at
        t = s.add_task(jobs.record, "cron", hour=9, minute=30, args=[1], kwargs={}, id="a", name="nine thirty")
        assert isinstance(t, Task)
        assert (t.id, t.name, t.fn, t.fn_reference) == ("a", "nine thirty", jobs.record, "jobs:record")
        assert t.args == (1,) and t.kwargs == {} and t.executor == "default" and t.store_alias == "default"
        assert (t.next_run_time.hour, t.next_run_time.minute) == (9, 30)
        assert str(t.trigger.timezone) == "Europe/Berlin"  # an alias gets the scheduler's zone
        b = s.add_task(jobs.record, IntervalTrigger(hours=1), id="b", mistrigger_grace_time=None, coalesce=False,
                       max_instances=3)
        assert (b.mistrigger_grace_time, b.coalesce, b.max_instances) == (None, False, 3)
        assert [x.id for x in s.get_tasks()] == ["b", "a"]  # by next run time
        with pytest.raises(ConflictIdError):
            s.add_task(jobs.record, "interval", seconds=5, id="a")
        a2 = s.add_task(jobs.record, "interval", seconds=5, id="a", replace_existing=True)
        assert a2.trigger.native.kind == "interval"

        paused = s.pause_task("a")
        assert paused.next_run_time is None and paused.paused
        resumed = s.resume_task("a")
        assert resumed.next_run_time is not None
        moved = s.reschedule_task("a", trigger="cron", hour=23)
        assert moved.next_run_time.hour == 23
        assert s.get_task("nope") is None
        with pytest.raises(TaskLookupError):
            s.remove_task("nope")
        with pytest.raises(TaskLookupError):
            s.pause_task("nope")
        s.remove_task("a")
        assert s.get_task("a") is None
        later = s.add_task(jobs.record, next_run_time=None, id="paused")
        assert later.paused
        s.remove_all_tasks()
        assert s.get_tasks() == []
        s.shutdown()

    run(main)


def test_tasks_added_before_start_and_a_date_in_the_past() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(timezone="UTC")
        jobs.calls.clear()
        s.add_task(jobs.record, args=["now"])  # no trigger: once, now
        s.add_task(jobs.record, "date", run_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=50),
                   args=["soon"])
        s.start()
        await wait_for(lambda: sorted(jobs.calls) == ["now", "soon"])
        assert s.get_tasks() == []  # one-shot tasks are gone after their run
        s.shutdown()

    run(main)


def test_run_task_and_the_decorator() -> None:
    async def main() -> None:
        s = AsyncIOScheduler()
        seen = []

        @s.add_task(trigger="cron", year=2999, id="decorated")
        async def far_away(value: int = 7) -> None:
            seen.append(value)

        assert s.get_task("decorated").fn is far_away
        s.start()
        s.run_task("decorated")  # once now, outside the schedule
        await wait_for(lambda: seen == [7])
        assert s.get_task("decorated").next_run_time.year == 2999  # the schedule did not change
        s.shutdown()

    run(main)


def test_functions_by_reference_need_the_allow_list() -> None:
    s = AsyncIOScheduler()
    with pytest.raises(FunctionNotAllowedError):
        s.add_task("os:system", args=["true"])
    allowed = AsyncIOScheduler(allowed_modules=["jobs"])
    task = allowed.add_task("jobs:record", "interval", seconds=60, args=[1])
    assert task.fn is jobs.record


def test_lambdas_only_in_memory_stores(tmp_path) -> None:
    s = AsyncIOScheduler(stores={"default": "memory", "disk": f"sqlite:///{tmp_path}/t.db"})
    s.add_task(lambda: None, "interval", seconds=60)
    with pytest.raises(ValueError, match="persistent"):
        s.add_task(lambda: None, "interval", seconds=60, store="disk")


def test_executor_and_store_settings() -> None:
    s = AsyncIOScheduler(executors={"pool": {"type": "threadpool", "max_workers": 2}},
                         stores={"default": {"type": "memory"}},
                         task_defaults={"mistrigger_grace_time": 30, "coalesce": False, "max_instances": 2})
    t = s.add_task(jobs.record, CronTrigger(hour=1), executor="pool")
    assert (t.mistrigger_grace_time, t.coalesce, t.max_instances, t.executor) == (30, False, 2, "pool")
    with pytest.raises(NotImplementedError):
        AsyncIOScheduler(executors={"x": "processpool"})


def test_update_task_and_preview() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(timezone="UTC")
        s.start(paused=True)
        t = s.add_task(jobs.record, "cron", hour=9, args=[1], id="u")
        u = s.update_task("u", name="renamed", args=[2, 3], kwargs={"k": True}, max_instances=4, coalesce=False,
                          mistrigger_grace_time=5)
        assert (u.name, u.args, u.kwargs, u.max_instances, u.coalesce, u.mistrigger_grace_time) == (
            "renamed", (2, 3), {"k": True}, 4, False, 5)
        assert u.next_run_time == t.next_run_time  # kept
        v = u.update(trigger=CronTrigger(hour=22))
        assert v.next_run_time.hour == 22  # a new trigger recomputes it
        runs = s.preview_task_runs("u", count=3)
        assert [x.hour for x in runs] == [22, 22, 22] and runs[1] - runs[0] == dt.timedelta(days=1)
        p = s.update_task("u", next_run_time=None)
        assert p.paused
        with pytest.raises(TypeError):
            s.update_task("u", colour="blue")
        with pytest.raises(TaskLookupError):
            s.update_task("nope", name="x")
        s.shutdown()

    run(main)


def test_store_dicts_become_urls() -> None:
    from casyncz.stores import store_url

    assert store_url({"type": "memory"}) is None
    assert store_url({"type": "redis", "host": "h", "port": 1, "database": 2, "tasks_key": "t"}) == \
        "redis://h:1/2?tasks_key=t"
    assert store_url({"type": "sqlalchemy", "database": "postgresql+psycopg://u:p@h/db", "tablename": "x"}) == \
        "postgresql://u:p@h/db?tablename=x"
    assert store_url({"type": "mongodb", "database": "d", "collection": "c"}) == \
        "mongodb://localhost:27017/?database=d&collection=c"
    s = AsyncIOScheduler(stores={"default": {"type": "redis", "database": 3}, "sql": {"url": "sqlite:///x.db"}})
    assert s._store_kinds == {"default": "redis", "sql": "sqlite"}
    with pytest.raises(ValueError, match="colour"):  # libasyncz names the option it does not know
        AsyncIOScheduler(stores={"default": {"type": "redis", "colour": "blue"}})


def test_shutdown_from_another_thread_and_shutdown_tasks() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(executors={"pool": "threadpool"})
        ran = []

        async def on_shutdown_async() -> None:
            await asyncio.sleep(0.05)
            ran.append("async")

        def on_shutdown_sync() -> None:
            ran.append("sync")

        s.add_task(on_shutdown_async, "shutdown")
        s.add_task(on_shutdown_sync, "shutdown", executor="pool")
        s.start()
        await asyncio.sleep(0.05)
        await asyncio.get_running_loop().run_in_executor(None, s.shutdown)  # off the loop's thread
        assert not s.running
        assert sorted(ran) == ["async", "sync"]  # shutdown(wait=True) waited for both

    run(main)


def test_asyncz_call_forms() -> None:
    s = AsyncIOScheduler()
    a = s.add_task(fn_or_task=jobs.record, trigger="interval", seconds=5)
    b = s.add_task(fn=jobs.record, trigger="interval", seconds=5)
    assert a.fn is jobs.record and b.fn is jobs.record
    assert a.mistrigger_grace_time == 1  # the default
    assert s.add_task(jobs.record).mistrigger_grace_time is None  # "now": however late, as in asyncz
    assert s.add_task(jobs.record, "date").mistrigger_grace_time is None
    assert s.add_task(jobs.record, "date", run_at="2999-01-01T00:00").mistrigger_grace_time == 1
