"""A Lilya app with a casyncz scheduler on its lifespan (the test suite serves it with uvicorn,
python/tests/test_asgi.py).

    pip install ./python lilya uvicorn
    PYTHONPATH=python/examples uvicorn lilya_app:app

Every 50 ms a coroutine task counts a tick; GET / answers {"ticks": n, "running": true, "last_run": ...}
with the outcome of the tick's newest recorded run, read from the run history. The scheduler starts with
the server's lifespan and shuts down with it (a listener prints "scheduler shut down")."""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator

from lilya.apps import Lilya
from lilya.requests import Request
from lilya.responses import JSONResponse
from lilya.routing import Path

from casyncz.events import constants as events
from casyncz.schedulers import AsyncIOScheduler

scheduler = AsyncIOScheduler()
ticks = 0


@scheduler.add_task(trigger="interval", seconds=0.05, id="tick")
async def tick() -> None:
    global ticks
    ticks += 1


scheduler.add_listener(lambda event: print("scheduler shut down", flush=True), events.SCHEDULER_SHUTDOWN)


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    async with scheduler:  # start() here, shutdown() when the server stops
        yield


async def status(request: Request) -> JSONResponse:
    runs = scheduler.get_runs("tick", limit=1) if scheduler.running else []
    return JSONResponse({"ticks": ticks, "running": scheduler.running,
                         "last_run": runs[0].outcome if runs else None})


app = Lilya(routes=[Path("/", status)], lifespan=lifespan)
