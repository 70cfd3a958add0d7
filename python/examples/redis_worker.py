"""A worker process on a shared Redis store: start it on several hosts (or several times on one) and each
occurrence of each task runs once, in one of them. Tasks name their functions ("redis_worker:report"), and a
worker runs only functions of the modules it allows: a store record cannot make it run anything else.

    pip install ./python
    cd python/examples
    python redis_worker.py add redis://127.0.0.1:6379/0 --out /tmp/reports.txt --count 20
    python redis_worker.py run redis://127.0.0.1:6379/0       # in three terminals, or on three hosts
    python redis_worker.py history redis://127.0.0.1:6379/0   # who ran what, from the shared history

`add` adds COUNT one-shot tasks, SPACING seconds apart (default 1) from two seconds on, each appending "NAME PID" to OUT, and
a recurring one every 10 s. `run` runs until SIGINT or SIGTERM (then it finishes the runs under way), or
with --exit-after N once OUT has N lines. `history` prints the newest runs with the worker that ran each."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
from typing import Optional

from casyncz.schedulers import AsyncIOScheduler


def report(out: str, name: str) -> str:
    """A task's function: append one line naming the occurrence and this process."""
    with open(out, "a", encoding="utf-8") as f:
        f.write(f"{name} {os.getpid()}\n")
    return name


async def heartbeat() -> None:
    """The recurring task: nothing to do but be run once per occurrence."""


def _scheduler(url: str) -> AsyncIOScheduler:
    return AsyncIOScheduler(stores={"default": url}, allowed_modules=["redis_worker"], timezone="UTC",
                            identity=f"worker-{socket.gethostname()}-{os.getpid()}")


async def add(url: str, out: str, count: int, spacing: float) -> None:
    scheduler = _scheduler(url)
    scheduler.start(paused=True)  # paused: this process only adds tasks, the workers run them
    first = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    for i in range(count):
        when = first + dt.timedelta(seconds=i * spacing)
        scheduler.add_task("redis_worker:report", "date", run_at=when, args=[out, f"report{i}"], id=f"report{i}",
                           replace_existing=True)
    scheduler.add_task("redis_worker:heartbeat", "interval", seconds=10, id="heartbeat", replace_existing=True)
    scheduler.shutdown()
    print(f"added {count} reports and a heartbeat to {url}")


def _lines(path: Optional[str]) -> int:
    try:
        with open(path or "", encoding="utf-8") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


async def run(url: str, out: Optional[str], exit_after: Optional[int]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with _scheduler(url) as scheduler:  # shutdown() on the way out waits for the runs under way
        print(f"{scheduler.identity} running tasks of {url}", flush=True)
        while not stop.is_set():
            if exit_after is not None and _lines(out) >= exit_after:
                break
            try:
                await asyncio.wait_for(stop.wait(), 0.1)
            except asyncio.TimeoutError:
                pass


async def history(url: str, limit: int) -> None:
    scheduler = _scheduler(url)
    scheduler.start(paused=True)
    for record in scheduler.get_runs(limit=limit):
        print(f"{record.submitted_at:%H:%M:%S} {record.task_id:<12} {record.outcome:<10} {record.scheduler}")
    scheduler.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["add", "run", "history"])
    parser.add_argument("url", help="the shared store, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("--out", default="reports.txt", help="the file the report tasks append to")
    parser.add_argument("--count", type=int, default=20, help="add: how many one-shot report tasks")
    parser.add_argument("--spacing", type=float, default=1.0, help="add: seconds between two reports")
    parser.add_argument("--exit-after", type=int, help="run: stop once OUT has this many lines")
    parser.add_argument("--limit", type=int, default=20, help="history: how many runs")
    args = parser.parse_args()
    if args.command == "add":
        asyncio.run(add(args.url, args.out, args.count, args.spacing))
    elif args.command == "run":
        asyncio.run(run(args.url, args.out, args.exit_after))
    else:
        asyncio.run(history(args.url, args.limit))


if __name__ == "__main__":
    main()
