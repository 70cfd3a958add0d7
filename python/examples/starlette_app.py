"""A Starlette app with a casyncz scheduler on its lifespan (issue 16's ASGI example; the test suite serves it
with uvicorn, python/tests/test_asgi.py).

    pip install ./python starlette uvicorn
    PYTHONPATH=python/examples uvicorn starlette_app:app

Every 50 ms a coroutine task counts a tick; GET / answers {"ticks": n, "running": true}. The scheduler
starts when the server's lifespan starts and shuts down with it (a listener prints "scheduler shut down")."""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
    return JSONResponse({"ticks": ticks, "running": scheduler.running})


app = Starlette(routes=[Route("/", status)], lifespan=lifespan)
