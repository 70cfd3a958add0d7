"""A FastAPI app with a casyncz scheduler on its lifespan (the test suite serves it with uvicorn,
python/tests/test_asgi.py).

    pip install ./python fastapi uvicorn
    PYTHONPATH=python/examples uvicorn fastapi_app:app

Every 50 ms a coroutine task counts a tick; GET / answers {"ticks": n, "running": true, "last_run": ...};
POST /run asks for one run of the tick now, outside its schedule. The scheduler starts with the server's
lifespan and shuts down with it (a listener prints "scheduler shut down")."""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator, Dict

from fastapi import FastAPI

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
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with scheduler:  # start() here, shutdown() when the server stops
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/")
async def status() -> Dict[str, Any]:
    runs = scheduler.get_runs("tick", limit=1) if scheduler.running else []
    return {"ticks": ticks, "running": scheduler.running, "last_run": runs[0].outcome if runs else None}


@app.post("/run")
async def run_now() -> Dict[str, str]:
    scheduler.run_task("tick")
    return {"requested": "tick"}
