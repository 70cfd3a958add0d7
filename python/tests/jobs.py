"""Task functions of the tests, importable as "jobs:<name>" (the allow-list tests allow this module)."""

from __future__ import annotations

import asyncio
import os
import pathlib
from typing import Any, List

calls: List[Any] = []


def record(value: Any) -> Any:
    calls.append(value)
    return value


async def record_async(value: Any, delay: float = 0.0) -> Any:
    await asyncio.sleep(delay)
    calls.append(value)
    return value


def append_line(path: str, text: str) -> None:
    """Append text to a file: the effect another process can see."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{text} {os.getpid()}\n")


def touch(path: str) -> None:
    pathlib.Path(path).touch()
