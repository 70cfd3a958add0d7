"""An ASGI app served by a real uvicorn process: its lifespan starts the scheduler, a task's effect shows in
an HTTP response, and stopping the server shuts the scheduler down."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import HERE, ROOT

pytest.importorskip("uvicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# Each example app, with the framework it needs (make test-python installs them all).
APPS = [("starlette_app:app", "starlette"), ("asgi_app:wrapped_app", "starlette"), ("lilya_app:app", "lilya"),
        ("fastapi_app:app", "fastapi")]


@pytest.mark.parametrize("app,framework", APPS)
def test_uvicorn_lifespan_runs_the_scheduler(app: str, framework: str) -> None:
    pytest.importorskip(framework)
    port = _free_port()
    path = [str(HERE), str(ROOT / "python" / "examples"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
                               "--lifespan", "on"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env)
    try:
        first = _get(f"http://127.0.0.1:{port}/")
        assert first["running"] is True
        time.sleep(0.3)
        second = _get(f"http://127.0.0.1:{port}/")
        assert second["ticks"] > first["ticks"]  # the interval task ran inside the server's loop
        if "last_run" in second:  # the run history, read in a request
            assert second["last_run"] in ("succeeded", "running")
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0, output
    assert "scheduler shut down" in output
    assert "Application shutdown complete" in output
