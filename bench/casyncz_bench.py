#!/usr/bin/env python3
"""The same work on casyncz (python/, this repository's C scheduler) and, when it is installed, on the
Python library asyncz, with the ratios side by side (issue 16's speed targets):

  add       adding N interval tasks to a started (paused) scheduler's memory store: tasks/s, and the
            resident memory each task costs
  dispatch  N no-op coroutines due at once, from resume() until the last one has run: runs/s
  next      a cron trigger's next fire time from Python (mon-fri, 9-17, every 15 minutes): calls/s

Each library runs each case in a process of its own (so memory figures do not mix). Usage:

  python bench/casyncz_bench.py [--n 100000] [--next 100000] [--cases add,dispatch,next]

Both libraries must be importable by the interpreter that runs this (a virtual environment with
`pip install ./python asyncz`). One case in one process: --run LIB CASE (prints one JSON line)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, Optional

LIBS = ("casyncz", "asyncz")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _modules(lib: str) -> Any:
    schedulers = importlib.import_module(f"{lib}.schedulers")
    triggers = importlib.import_module(f"{lib}.triggers")
    return schedulers.AsyncIOScheduler, triggers


async def _noop() -> None:
    return None


def case_add(lib: str, n: int) -> Dict[str, float]:
    Scheduler, triggers = _modules(lib)

    async def main() -> Dict[str, float]:
        scheduler = Scheduler(timezone="UTC")
        scheduler.start(paused=True)
        trigger_args = {"seconds": 3600}
        before = _rss_bytes()
        t0 = time.perf_counter()
        for i in range(n):
            scheduler.add_task(_noop, "interval", id=f"t{i}", **trigger_args)
        elapsed = time.perf_counter() - t0
        grown = _rss_bytes() - before
        scheduler.shutdown(wait=False)
        return {"tasks_per_s": n / elapsed, "bytes_per_task": grown / n, "seconds": elapsed}

    return asyncio.run(main())


def case_dispatch(lib: str, n: int) -> Dict[str, float]:
    Scheduler, triggers = _modules(lib)
    done = {"count": 0}
    finished: Optional[asyncio.Future] = None

    async def tick() -> None:
        done["count"] += 1
        if done["count"] == n and finished is not None and not finished.done():
            finished.set_result(None)

    async def main() -> Dict[str, float]:
        nonlocal finished
        finished = asyncio.get_running_loop().create_future()
        scheduler = Scheduler(timezone="UTC")
        scheduler.start(paused=True)
        now = dt.datetime.now(dt.timezone.utc)
        for i in range(n):
            scheduler.add_task(tick, "date", run_at=now, id=f"t{i}", mistrigger_grace_time=None)
        t0 = time.perf_counter()
        scheduler.resume()
        await asyncio.wait_for(finished, 600)
        elapsed = time.perf_counter() - t0
        scheduler.shutdown(wait=False)
        return {"runs_per_s": n / elapsed, "seconds": elapsed}

    return asyncio.run(main())


def case_next(lib: str, n: int) -> Dict[str, float]:
    _Scheduler, triggers = _modules(lib)
    trigger = triggers.CronTrigger(day_of_week="mon-fri", hour="9-17", minute="*/15", timezone="Europe/Berlin")
    tz = dt.timezone.utc
    now = dt.datetime(2026, 3, 27, 17, 50, tzinfo=tz)
    t0 = time.perf_counter()
    for _ in range(n):
        trigger.get_next_trigger_time(tz, None, now)
    elapsed = time.perf_counter() - t0
    return {"calls_per_s": n / elapsed, "seconds": elapsed}


CASES = {"add": case_add, "dispatch": case_dispatch, "next": case_next}
METRICS = {"add": ["tasks_per_s", "bytes_per_task"], "dispatch": ["runs_per_s"], "next": ["calls_per_s"]}


def _available(lib: str) -> bool:
    try:
        importlib.import_module(f"{lib}.schedulers")
        return True
    except ImportError:
        return False


def _run_one(lib: str, case: str, n: int) -> Optional[Dict[str, float]]:
    out = subprocess.run([sys.executable, __file__, "--run", lib, case, "--n", str(n)], capture_output=True,
                         text=True, timeout=1800)
    if out.returncode != 0:
        print(f"{lib} {case} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="tasks for add and dispatch")
    parser.add_argument("--next", type=int, default=100_000, help="calls for next")
    parser.add_argument("--cases", default="add,dispatch,next")
    parser.add_argument("--run", nargs=2, metavar=("LIB", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        lib, case = args.run
        print(json.dumps(CASES[case](lib, args.n)))
        return 0
    libs = [lib for lib in LIBS if _available(lib)]
    print(f"libraries: {', '.join(libs)}  (n = {args.n:,}; next: {args.next:,} calls)")
    print(f"{'case':<10}{'metric':<16}" + "".join(f"{lib:>16}" for lib in libs) + f"{'ratio':>10}")
    for case in args.cases.split(","):
        n = args.next if case == "next" else args.n
        results = {lib: _run_one(lib, case, n) for lib in libs}
        for metric in METRICS[case]:
            values = [results[lib][metric] if results[lib] else None for lib in libs]
            cells = "".join(f"{v:>16,.0f}" if v is not None else f"{'-':>16}" for v in values)
            ratio = ""
            if len(values) == 2 and all(values):
                # Higher is better for rates, lower for bytes: show how many times better casyncz is.
                r = values[1] / values[0] if metric == "bytes_per_task" else values[0] / values[1]
                ratio = f"{r:>9.1f}x"
            print(f"{case:<10}{metric:<16}{cells}{ratio:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
