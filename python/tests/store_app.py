"""A process of the persistence tests: python store_app.py MODE DB OUT [ALLOWED...]

  add     add tasks to the SQLite store DB (allowing ALLOWED modules) and exit without running them
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


async def add(db: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": f"sqlite:///{db}"}, allowed_modules=allowed, timezone="UTC")
    s.start(paused=True)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    if "jobs" in allowed:
        s.add_task("jobs:append_line", "date", run_at=soon, args=[out, "ran"], id="survivor")
        s.add_task("jobs:record", "cron", year=2999, id="far", kwargs={"value": {"nested": [1, 2]}})
    if "evil" in allowed:
        s.add_task("evil:run", "date", run_at=soon, id="evil")
    s.shutdown()


async def list_tasks(db: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": f"sqlite:///{db}"}, allowed_modules=allowed, timezone="UTC")
    s.start(paused=True)
    print(json.dumps({"tasks": [t.id for t in s.get_tasks()]}))
    s.shutdown()


async def run(db: str, out: str, allowed: list) -> None:
    s = AsyncIOScheduler(stores={"default": f"sqlite:///{db}"}, allowed_modules=allowed, timezone="UTC")
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


if __name__ == "__main__":
    mode, db, out, *allowed = sys.argv[1:]
    asyncio.run({"add": add, "list": list_tasks, "run": run}[mode](db, out, allowed))
