"""Shared helpers of the casyncz tests. The tests drive asyncio themselves (asyncio.run), so they need no
pytest plugin; the ones that start processes (a store across a restart, uvicorn) use this interpreter."""

from __future__ import annotations

import asyncio
import pathlib
import sys
from typing import Any, Awaitable, Callable

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
HERE = pathlib.Path(__file__).resolve().parent

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the helper modules (jobs.py) are importable by name, as an app's are


def run(coro_fn: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    """Run a coroutine function in a new loop with a time limit."""
    return asyncio.run(asyncio.wait_for(coro_fn(), timeout))


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.01) -> None:
    """Wait until predicate() holds; fail the test after timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(step)
