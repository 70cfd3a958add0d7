"""ASGI apps for the uvicorn test, each with a scheduler on its lifespan and a task whose effect an HTTP
request shows:

  asgi_app:starlette_app   Starlette, the scheduler entered in its lifespan (`async with scheduler`)
  asgi_app:wrapped_app     a plain ASGI app wrapped by scheduler.asgi(handle_lifespan=True)

GET / answers {"ticks": n, "running": bool}. A SCHEDULER_SHUTDOWN listener prints "scheduler shut down"."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from casyncz import AsyncIOScheduler
from casyncz.events import constants as ev


def _scheduler(counter: dict) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler()

    async def tick() -> None:
        counter["ticks"] += 1

    scheduler.add_task(tick, "interval", seconds=0.05, id="tick")
    scheduler.add_listener(lambda e: print("scheduler shut down", flush=True), ev.SCHEDULER_SHUTDOWN)
    return scheduler


starlette_counter = {"ticks": 0}
starlette_scheduler = _scheduler(starlette_counter)


@contextlib.asynccontextmanager
async def lifespan(app: Any):
    async with starlette_scheduler:
        yield


async def ticks(request: Any) -> JSONResponse:
    return JSONResponse({"ticks": starlette_counter["ticks"], "running": starlette_scheduler.running})


starlette_app = Starlette(routes=[Route("/", ticks)], lifespan=lifespan)

plain_counter = {"ticks": 0}
plain_scheduler = _scheduler(plain_counter)


async def plain(scope: Any, receive: Any, send: Any) -> None:
    body = json.dumps({"ticks": plain_counter["ticks"], "running": plain_scheduler.running}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


wrapped_app = plain_scheduler.asgi(plain, handle_lifespan=True)
