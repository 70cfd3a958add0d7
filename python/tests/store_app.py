"""A process of the persistence tests: python store_app.py MODE STORE OUT [ALLOWED...]

STORE is a store URL, or the path of a SQLite database.

  add     add tasks to STORE (allowing ALLOWED modules) and exit without running them
  add-many  add N=int(ALLOWED[0]) one-shot tasks "occ<i>", due from 1.5 s on, 20 ms apart, each appending
          its name to OUT (allowing the jobs module)
  share   start on STORE (allowing jobs), run until OUT has N=int(ALLOWED[0]) lines or 20 s passed
  list    start on DB paused, print one JSON line with the tasks, stop
  run     start on DB (allowing ALLOWED), run until OUT has a line or a TASK_ERROR arrives (at most 10 s),
          print one JSON line: the tasks seen at start, the errors, the modules imported"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from casyncz import AsyncIOScheduler  # noqa: E402
from casyncz.events import constants as ev  # noqa: E402


def _url(store: str) -> str:
    return store if "://" in store else f"sqlite:///{store}"


async def add(db: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": _url(db)}, allowed_modules=allowed, timezone="UTC")
    s.start(paused=True)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    if "jobs" in allowed:
        s.add_task("jobs:append_line", "date", run_at=soon, args=[out, "ran"], id="survivor")
        s.add_task("jobs:record", "cron", year=2999, id="far", kwargs={"value": {"nested": [1, 2]}})
    if "evil" in allowed:
        s.add_task("evil:run", "date", run_at=soon, id="evil")
    s.shutdown()


async def list_tasks(db: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": _url(db)}, allowed_modules=allowed, timezone="UTC")
    s.start(paused=True)
    print(json.dumps({"tasks": [t.id for t in s.get_tasks()]}))
    s.shutdown()


async def run(db: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": _url(db)}, allowed_modules=allowed, timezone="UTC")
    errors = []
    s.add_listener(lambda e: errors.append({"task": e.task_id, "traceback": e.traceback}), ev.TASK_ERROR)
    s.start()
    seen = {t.id: {"fn": t.fn_reference, "args": list(t.args), "kwargs": t.kwargs} for t in s.get_tasks()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while loop.time() < deadline and not errors and not (os.path.exists(out) and open(out).read()):
        await asyncio.sleep(0.05)
    s.shutdown()
    print(json.dumps({"tasks": seen, "errors": errors, "evil_imported": "evil" in sys.modules,
                      "pid": os.getpid()}))


async def add_many(store: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": _url(store)}, allowed_modules=["jobs"], timezone="UTC")
    s.start(paused=True)
    first = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1.5)
    for i in range(int(allowed[0])):
        s.add_task("jobs:append_line", "date", run_at=first + dt.timedelta(milliseconds=20 * i),
                   args=[out, f"occ{i}"], id=f"occ{i}")
    s.shutdown()


async def share(store: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": _url(store)}, allowed_modules=["jobs"], timezone="UTC",
                         identity=f"share-{os.getpid()}")
    s.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    n = int(allowed[0])
    while loop.time() < deadline and (not os.path.exists(out) or len(open(out).readlines()) < n):
        await asyncio.sleep(0.05)
    s.shutdown()


if __name__ == "__main__":
    mode, db, out, *allowed = sys.argv[1:]
    asyncio.run({"add": add, "list": list_tasks, "run": run, "add-many": add_many, "share": share}[mode](db, out, allowed))
