"""Runs: coroutines on the loop, sync functions on threads, exceptions as TASK_ERROR with the traceback,
listeners with asyncz's codes and event classes, and cancellation on shutdown."""

from __future__ import annotations

import asyncio
import threading
import time

from conftest import run, wait_for

from casyncz import AsyncIOScheduler, TaskExecutionEvent, TaskSubmissionEvent
from casyncz.events import SchedulerEvent, TaskEvent
from casyncz.events import constants as ev


def test_coroutine_runs_on_the_loop_and_completes_later() -> None:
    async def main() -> None:
        s = AsyncIOScheduler()
        loop_thread = threading.get_ident()
        started, events = [], []

        async def slow(x: int) -> int:
            started.append(threading.get_ident())
            await asyncio.sleep(0.2)
            return x * 2

        s.add_listener(events.append, ev.TASK_EXECUTED)
        s.start()
        s.add_task(slow, args=[21], id="slow")
        await wait_for(lambda: started)
        assert started == [loop_thread]
        assert events == []  # pending until the coroutine ends
        await wait_for(lambda: events)
        e = events[0]
        assert isinstance(e, TaskExecutionEvent) and e.code == ev.TASK_EXECUTED
        assert (e.task_id, e.return_value, e.exception) == ("slow", 42, None)
        assert e.run_id and len(e.run_id) == 36
        s.shutdown()

    run(main)


def test_sync_functions_do_not_block_the_loop() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(executors={"pool": "threadpool"})
        loop_thread = threading.get_ident()
        threads = {}

        def block(name: str) -> str:
            threads[name] = threading.get_ident()
            time.sleep(0.3)
            return name

        s.start()
        s.add_task(block, args=["asyncio"])
        s.add_task(block, args=["pool"], executor="pool")
        ticks = 0
        t0 = time.monotonic()
        while len(threads) < 2 or time.monotonic() - t0 < 0.3:
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks > 10  # the loop kept turning while both functions slept
        assert loop_thread not in threads.values() and threads["asyncio"] != threads["pool"]
        s.shutdown(wait=True)  # waits for them with the GIL released

    run(main)


def test_exceptions_become_task_error_with_the_traceback() -> None:
    async def main() -> None:
        s = AsyncIOScheduler(executors={"pool": "threadpool"})
        errors = []

        async def fails_async() -> None:
            raise KeyError("async failure")

        def fails_sync() -> None:
            raise ValueError("sync failure")

        s.add_listener(errors.append, ev.TASK_ERROR)
        s.start()
        s.add_task(fails_async, id="a")
        s.add_task(fails_sync, id="s")
        s.add_task(fails_sync, id="p", executor="pool")
        await wait_for(lambda: len(errors) == 3)
        by_id = {e.task_id: e for e in errors}
        assert isinstance(by_id["a"].exception, KeyError)
        assert isinstance(by_id["s"].exception, ValueError) and isinstance(by_id["p"].exception, ValueError)
        for e in errors:
            assert e.code == ev.TASK_ERROR and e.traceback.startswith("Traceback (most recent call last):")
            assert e.error_code == -1000  # a Python exception, not a failure of the scheduler
        assert "fails_async" in by_id["a"].traceback and "KeyError: 'async failure'" in by_id["a"].traceback
        s.shutdown()

    run(main)


def test_listener_codes_and_classes() -> None:
    async def main() -> None:
        s = AsyncIOScheduler()
        seen = []
        s.add_listener(seen.append)
        submitted = []
        s.add_listener(submitted.append, ev.TASK_SUBMITTED)
        s.start()
        s.add_task(asyncio.sleep, args=[0], id="t")
        await wait_for(lambda: any(e.code == ev.TASK_EXECUTED for e in seen))
        s.shutdown()
        codes = [e.code for e in seen]
        for code in (ev.SCHEDULER_START, ev.TASK_ADDED, ev.TASK_SUBMITTED, ev.TASK_EXECUTED, ev.TASK_REMOVED,
                     ev.SCHEDULER_SHUTDOWN):
            assert code in codes
        assert codes.index(ev.TASK_SUBMITTED) < codes.index(ev.TASK_EXECUTED)
        assert type(seen[codes.index(ev.SCHEDULER_START)]) is SchedulerEvent
        assert type(seen[codes.index(ev.TASK_ADDED)]) is TaskEvent
        assert len(submitted) == 1 and isinstance(submitted[0], TaskSubmissionEvent)
        assert submitted[0].task_id == "t" and len(submitted[0].scheduled_run_times) == 1
        s.remove_listener(seen.append)

    run(main)


def test_shutdown_cancels_running_coroutines() -> None:
    async def main() -> None:
        s = AsyncIOScheduler()
        state = {"cancelled": False, "started": False}
        errors = []

        async def forever() -> None:
            state["started"] = True
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                state["cancelled"] = True
                raise

        s.add_listener(errors.append, ev.TASK_ERROR)
        s.start()
        s.add_task(forever, id="forever")
        await wait_for(lambda: state["started"])
        t0 = time.monotonic()
        s.shutdown(wait=True)  # does not wait for the coroutine: it is cancelled
        assert time.monotonic() - t0 < 2
        assert [e.task_id for e in errors] == ["forever"] and "CancelledError" in errors[0].traceback
        await wait_for(lambda: state["cancelled"])

    run(main)


def test_max_instances_and_missed_runs() -> None:
    async def main() -> None:
        s = AsyncIOScheduler()
        refused = []

        async def slow() -> None:
            await asyncio.sleep(0.5)

        s.add_listener(refused.append, ev.TASK_MAX_INSTANCES)
        s.start()
        s.add_task(slow, "interval", seconds=0.1, id="slow")
        await wait_for(lambda: refused)
        assert refused[0].task_id == "slow"
        s.shutdown(wait=False)

    run(main)
