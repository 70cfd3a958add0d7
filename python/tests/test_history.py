"""The run history and the audit trail from Python: records of coroutine and sync runs, their outcomes,
errors and results, the filters and pages, a run in progress, a SQLite store read after a restart, the
audit of the task calls, and the errors of bad queries."""

from __future__ import annotations

import asyncio
import datetime as dt
import pathlib

import jobs
import pytest
from conftest import run, wait_for

from casyncz import AsyncIOScheduler
from casyncz.history import OUTCOMES, AuditEntry, RunRecord


async def ok_value() -> dict:
    return {"rows": 3}


async def broken() -> None:
    raise ValueError("the input file is empty")


async def slow() -> None:
    await asyncio.sleep(30)


def _done(s: AsyncIOScheduler, task_id: str, n: int = 1):
    return lambda: len([r for r in s.get_runs(task_id) if r.outcome != "running"]) >= n


def test_runs_are_recorded_with_outcome_error_and_result() -> None:
    async def main() -> None:
        async with AsyncIOScheduler(timezone="Europe/Berlin") as s:
            s.add_task(ok_value, "date", id="ok")
            s.add_task(broken, "date", id="bad")
            s.add_task(jobs.record, "date", args=["sync"], id="sync")
            for task_id in ("ok", "bad", "sync"):
                await wait_for(_done(s, task_id))
            (ok,) = s.get_runs("ok")
            assert isinstance(ok, RunRecord)
            assert ok.outcome == "succeeded" and ok.result == {"rows": 3}
            assert ok.task_id == "ok" and ok.task_name == "ok_value" and ok.store == "default"
            assert ok.source == "schedule" and ok.scheduler == s.identity
            assert ok.submitted_at is not None and ok.submitted_at.tzinfo is not None
            assert str(ok.submitted_at.tzinfo) == "Europe/Berlin"
            assert ok.duration is not None and ok.duration >= dt.timedelta(0)
            assert ok.lateness is not None
            (bad,) = s.get_runs("bad")
            assert bad.outcome == "failed"
            assert "ValueError: the input file is empty" in bad.error_message
            assert bad.result is None
            (sync,) = s.get_runs("sync")
            assert sync.outcome == "succeeded" and sync.result == "sync"
            again = s.get_run(bad.run_id)
            assert again is not None and again.run_id == bad.run_id and again.outcome == "failed"
            assert s.get_run("0190a1b2-c3d4-7e5f-8a9b-000000000000") is None

    run(main)


def test_filters_and_pages() -> None:
    async def main() -> None:
        async with AsyncIOScheduler(timezone="UTC") as s:
            for i in range(5):
                s.add_task(ok_value, "date", id=f"ok{i}")
            s.add_task(broken, "date", id="bad")
            await wait_for(lambda: len([r for r in s.get_runs() if r.outcome != "running"]) == 6)
            assert [r.task_id for r in s.get_runs(outcome="failed")] == ["bad"]
            assert len(s.get_runs(outcome=["failed", "succeeded"])) == 6
            assert len(s.get_runs(limit=4)) == 4
            every = list(s.iter_runs(page_size=2))  # three pages, newest first, none twice
            assert len(every) == 6 and len({r.run_id for r in every}) == 6
            assert [r.run_id for r in every] == sorted((r.run_id for r in every), reverse=True)
            assert len(s.get_runs(scheduler=s.identity)) == 6
            assert s.get_runs(scheduler="another-host:1:scheduler") == []
            later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
            assert s.get_runs(since=later) == []
            assert len(s.get_runs(until=later)) == 6

    run(main)


def test_a_run_in_progress_is_visible() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(timezone="UTC")
        s.start()
        s.add_task(slow, "date", id="slow")
        await wait_for(lambda: [r.outcome for r in s.get_runs("slow")] == ["running"])
        (running,) = s.get_runs("slow", outcome="running")
        assert running.finished_at is None and running.duration is None
        s.shutdown(wait=False)

    run(main)


def test_history_survives_a_restart_on_sqlite(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"

    async def first() -> str:
        async with AsyncIOScheduler(stores={"default": url}, allowed_modules=["jobs"], timezone="UTC") as s:
            s.add_task("jobs:record", "date", args=["persisted"], id="p")
            await wait_for(_done(s, "p"))
            return s.get_runs("p")[0].run_id

    async def second(run_id: str) -> None:
        s = AsyncIOScheduler(stores={"default": url}, allowed_modules=["jobs"], timezone="UTC")
        s.start(paused=True)
        record = s.get_run(run_id)
        assert record is not None and record.outcome == "succeeded" and record.result == "persisted"
        s.shutdown(wait=False)

    run_id = run(first)
    run(lambda: second(run_id))


def test_audit_trail_of_the_task_calls(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"

    async def main() -> None:
        async with AsyncIOScheduler(stores={"default": url}, allowed_modules=["jobs"], timezone="UTC") as s:
            s.add_task("jobs:record", "interval", args=[1], id="t", hours=1)
            s.pause_task("t")
            s.resume_task("t")
            s.remove_task("t")
            entries = s.get_audit("t")
            assert all(isinstance(e, AuditEntry) for e in entries)
            assert [e.action for e in entries] == ["remove", "resume", "pause", "add"]
            add = entries[-1]
            assert add.task_id == "t" and add.actor and add.at is not None
            assert "trigger" in add.changes and add.changes["trigger"]["before"] is None
            assert len(s.get_audit(limit=2)) == 2

    run(main)


def test_bad_queries_say_what_is_wrong() -> None:
    async def main() -> None:
        async with AsyncIOScheduler() as s:
            with pytest.raises(ValueError, match="unknown run outcome 'fine'"):
                s.get_runs(outcome="fine")
            with pytest.raises(LookupError, match="no store named 'nowhere'"):
                s.get_runs(store="nowhere")
            with pytest.raises(ValueError, match="limit"):
                s.get_runs(limit=0)
            with pytest.raises(Exception, match="not a run id"):
                s.get_run("not-a-run-id")
            with pytest.raises(TypeError):
                s.get_runs(since=12.5)

    run(main)


def test_outcome_names() -> None:
    assert OUTCOMES[0] == "running" and "timed_out" in OUTCOMES and len(OUTCOMES) == 9


def test_a_run_that_finished_just_before_shutdown_keeps_its_outcome() -> None:
    """A coroutine done before shutdown(wait=False) whose done callback has not run yet is recorded as it
    ended, not as cancelled."""

    async def main() -> None:
        s = AsyncIOScheduler(timezone="UTC")
        seen = asyncio.Event()

        async def quick() -> str:
            seen.set()
            return "done"

        s.start()
        s.add_task(quick, "date", id="quick")
        await seen.wait()  # it ran; its task's done callback comes on the next loop turn
        s.shutdown(wait=False)
        s.start(paused=True)  # the memory store's history is the scheduler's: read it after the stop
        (record,) = s.get_runs("quick")
        assert record.outcome == "succeeded" and record.result == "done"
        s.shutdown(wait=False)

    run(main)
