"""Persistent stores across a process restart, and the allow-list: a store record naming a function the
application did not allow is never imported or run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import HERE


def _app(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HERE / "store_app.py"), *args], capture_output=True, text=True,
                          timeout=60, env=env, check=True)


def test_sqlite_store_across_a_process_restart(tmp_path) -> None:
    db, out = str(tmp_path / "tasks.db"), str(tmp_path / "out.txt")
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
