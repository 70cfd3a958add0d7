"""A plain ASGI app wrapped by scheduler.asgi(handle_lifespan=True), for the uvicorn test (the Starlette app
it also serves is python/examples/starlette_app.py), with a task whose effect an HTTP request shows.

GET / answers {"ticks": n, "running": bool}. A SCHEDULER_SHUTDOWN listener prints "scheduler shut down"."""

from __future__ import annotations

import json
from typing import Any

from casyncz import AsyncIOScheduler
from casyncz.events import constants as ev


def _scheduler(counter: dict) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler()

    async def tick() -> None:
        counter["ticks"] += 1

    scheduler.add_task(tick, "interval", seconds=0.05, id="tick")
    scheduler.add_listener(lambda e: print("scheduler shut down", flush=True), ev.SCHEDULER_SHUTDOWN)
    return scheduler


plain_counter = {"ticks": 0}
plain_scheduler = _scheduler(plain_counter)


async def plain(scope: Any, receive: Any, send: Any) -> None:
    body = json.dumps({"ticks": plain_counter["ticks"], "running": plain_scheduler.running}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


wrapped_app = plain_scheduler.asgi(plain, handle_lifespan=True)
