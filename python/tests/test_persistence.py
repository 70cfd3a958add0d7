"""Persistent stores across a process restart, and the allow-list: a store record naming a function the
application did not allow is never imported or run."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import uuid

import pytest

from conftest import HERE, ROOT


def _app(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HERE / "store_app.py"), *args], capture_output=True, text=True,
                          timeout=60, env=env, check=True)


def _server_store(kind: str) -> str:
    """A fresh namespace on one of the test suite's servers (tests/servers, started by make test-python):
    its URL from the environment, with table or keys of this test's own."""
    base = os.environ.get(f"ASYNCZ_TEST_{kind.upper()}_URL")
    if not base:
        pytest.skip(f"no {kind} server (make test-python starts them through tests/servers/servers.sh)")
    tag = uuid.uuid4().hex[:12]
    if kind == "redis":
        return f"{base}?tasks_key=casyncz.{tag}.tasks&run_times_key=casyncz.{tag}.run_times"
    return f"{base}?tablename=casyncz_{tag}"


@pytest.mark.parametrize("kind", ["sqlite", "redis", "postgresql"])
def test_store_across_a_process_restart(tmp_path, kind: str) -> None:
    db = str(tmp_path / "tasks.db") if kind == "sqlite" else _server_store(kind)
    out = str(tmp_path / "out.txt")
    env = dict(os.environ)
    _app("add", db, out, "jobs", env=env)
    assert not os.path.exists(out)  # the first process only added the tasks
    runner = _app("run", db, out, "jobs", env=env)
    report = json.loads(runner.stdout.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["tasks"]["survivor"] == {"fn": "jobs:append_line", "args": [out, "ran"], "kwargs": {}}
    assert report["tasks"]["far"]["kwargs"] == {"value": {"nested": [1, 2]}}
    line = open(out).read().split()
    assert line == ["ran", str(report["pid"])]  # ran once, in the second process
    # A third process finds the one-shot task gone and the cron task still there.
    again = _app("list", db, out, "jobs", env=env)
    assert json.loads(again.stdout.strip().splitlines()[-1])["tasks"] == ["far"]


def test_a_record_naming_a_function_outside_the_allow_list_is_refused(tmp_path) -> None:
    db, out = str(tmp_path / "tasks.db"), str(tmp_path / "out.txt")
    mark = str(tmp_path / "evil")
    env = dict(os.environ, CASYNCZ_EVIL_MARK=mark)
    _app("add", db, out, "evil", env=env)  # an application that allowed evil wrote the record
    assert os.path.exists(mark + ".imported")
    os.remove(mark + ".imported")
    report = json.loads(_app("run", db, out, "jobs", env=env).stdout.strip().splitlines()[-1])
    assert report["tasks"]["evil"]["fn"] == "evil:run"
    assert [e["task"] for e in report["errors"]] == ["evil"]
    assert "not registered" in report["errors"][0]["traceback"]
    assert not report["evil_imported"]
    assert not os.path.exists(mark + ".imported") and not os.path.exists(mark + ".ran")


def test_three_processes_on_one_redis_store_run_each_occurrence_once(tmp_path) -> None:
    store, out, n = _server_store("redis"), str(tmp_path / "out.txt"), 40
    env = dict(os.environ)
    _app("add-many", store, out, str(n), env=env)
    workers = [subprocess.Popen([sys.executable, str(HERE / "store_app.py"), "share", store, out, str(n)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(3)]
    outputs = [w.communicate(timeout=60)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    lines = [line.split() for line in open(out).read().splitlines()]
    names = sorted(name for name, _pid in lines)
    assert names == sorted(f"occ{i}" for i in range(n))  # every occurrence, each exactly once
    assert {pid for _name, pid in lines} <= {str(w.pid) for w in workers}


def test_redis_worker_example_runs_each_occurrence_once(tmp_path: pathlib.Path) -> None:
    """python/examples/redis_worker.py as its docstring says to use it: one process adds the tasks, three
    workers share the store, each report runs once, and the shared history names the worker of each."""
    store, out, n = _server_store("redis"), str(tmp_path / "reports.txt"), 30
    example = ROOT / "python" / "examples" / "redis_worker.py"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(example.parent), os.environ.get("PYTHONPATH", "")]))

    def worker(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(example), *args], capture_output=True, text=True, timeout=60,
                              env=env, check=True)

    added = worker("add", store, "--out", out, "--count", str(n), "--spacing", "0.05")
    assert f"added {n} reports" in added.stdout
    workers = [subprocess.Popen([sys.executable, str(example), "run", store, "--out", out, "--exit-after", str(n)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(3)]
    outputs = [w.communicate(timeout=60)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    lines = [line.split() for line in open(out).read().splitlines()]
    assert sorted(name for name, _pid in lines) == sorted(f"report{i}" for i in range(n))  # each once
    assert {pid for _name, pid in lines} <= {str(w.pid) for w in workers}
    shown = worker("history", store, "--limit", "100").stdout.splitlines()
    ours = [line for line in shown if any(f"-{w.pid}" in line for w in workers)]
    assert len([line for line in ours if " report" in line and "succeeded" in line]) == n, shown
