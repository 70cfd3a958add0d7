"""Schedulers: AsyncIOScheduler (asyncz's name), embedded in the running asyncio loop."""

from .asyncio import AsyncIOScheduler

__all__ = ["AsyncIOScheduler"]
