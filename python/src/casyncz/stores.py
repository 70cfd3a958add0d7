"""asyncz's store settings ({"type": "redis", "host": ..., ...}) as libasyncz store URLs.

  {"type": "memory"}                                                  memory
  {"type": "sqlalchemy", "database": "postgresql+psycopg://...", "tablename": "asyncz_store"}
                                                     the URL without its driver, ?tablename=...
  {"type": "redis", "host": "localhost", "port": 6379, "database": 0, "password": ...,
   "tasks_key": ..., "run_times_key": ...}                           redis://...
  {"type": "mongodb", "host": "localhost", "port": 27017, "database": "asyncz", "collection": "tasks"}
  {"type": "sqlite" | "file" | ..., "url": URL} or {"url": URL}       the URL as given

Options libasyncz does not know are refused when the store is added (the message names them)."""

from __future__ import annotations

import urllib.parse
from typing import Any, Dict, Mapping, Optional


def _query(options: Dict[str, Any]) -> str:
    items = {k: ("true" if v is True else "false" if v is False else v) for k, v in options.items() if v is not None}
    return "?" + urllib.parse.urlencode(items) if items else ""


def _without_driver(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"{url!r} is not a database URL")
    return scheme.split("+")[0] + "://" + rest


def store_url(settings: Mapping[str, Any]) -> Optional[str]:
    """The URL for a store dict (None: a memory store)."""
    spec = dict(settings)
    kind = spec.pop("type", None)
    url = spec.pop("url", None)
    if kind in (None, "memory") and url is None:
        if spec:
            raise TypeError(f"unknown memory store settings: {', '.join(sorted(spec))}")
        return None
    if kind == "sqlalchemy":
        database = url or spec.pop("database", None) or spec.pop("engine", None)
        if not isinstance(database, str):
            raise TypeError("a sqlalchemy store needs database= as a URL (engines are not supported)")
        return _without_driver(database) + _query(spec)
    if url is not None:
        return url + _query(spec) if spec else url
    if kind == "redis":
        host = spec.pop("host", "localhost")
        port = spec.pop("port", 6379)
        database = spec.pop("database", spec.pop("db", 0))
        password = spec.pop("password", None)
        auth = ":" + urllib.parse.quote(str(password), safe="") + "@" if password else ""
        return f"redis://{auth}{host}:{port}/{database}" + _query(spec)
    if kind == "mongodb":
        host = spec.pop("host", "localhost")
        port = spec.pop("port", 27017)
        return f"mongodb://{host}:{port}/" + _query(spec)
    raise NotImplementedError(f"store type {kind!r}: give its URL ({{'type': {kind!r}, 'url': ...}})")
