"""End to end on a shared store: three daemons on one SQLite file, each with its own HTTP port and identity,
run the same tasks (each occurrence on one of them); the console of one shows runs made by all three."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console_helpers import eventually, wait_for

NODES = ("node-a", "node-b", "node-c")
SHARED_TASKS = "".join("""
[task e2e-%d]
interval = 1s
command = echo run of e2e-%d on $ASYNCZ_SCHEDULER
""" % (i, i) for i in range(1, 7))


@pytest.fixture
def shared_store():
    d = Path(tempfile.mkdtemp(prefix="asyncz-console-shared-"))
    os.chmod(d, 0o700)
    yield "sqlite:///" + str(d / "shared.db")
    shutil.rmtree(d, ignore_errors=True)


def schedulers_of(client, limit):
    r = client.get("/api/v1/runs", query={"limit": limit}, check=False)
    assert r.status == 200, r
    return {x["scheduler"] for x in r.json()["items"] if x["task_id"].startswith("e2e-")}


def test_the_console_of_one_daemon_shows_the_runs_of_three(start_daemon, open_console, shared_store):
    daemons = [start_daemon(name, store_url=shared_store, identity=name, tasks=SHARED_TASKS) for name in NODES]
    first = daemons[0]
    api = first.client("operator")
    # each occurrence runs on one daemon, whichever claims it first: wait until all three have run some
    wait_for("runs of e2e tasks by all three daemons",
             lambda: schedulers_of(api, 50) >= set(NODES), seconds=45)
    # hold the tasks still, so that the newest runs the page lists are those just seen
    r = api.post("/api/v1/tasks/bulk", {"action": "pause", "ids": ["e2e-%d" % i for i in range(1, 7)]}, check=False)
    assert r.status == 200 and all(x["ok"] for x in r.json()["results"]), r
    wait_for("no e2e run in progress",
             lambda: all(x["outcome"] != "running" for x in api.get("/api/v1/runs", check=False).json()["items"]))
    assert schedulers_of(api, 50) >= set(NODES)

    console = open_console(first)
    page = console.page
    console.login("viewer", "#/runs")
    expect(console.testid("identity-name")).to_have_text("node-a")
    rows = page.locator("#runs-table tbody tr[data-run-id]")
    expect(rows.first).to_be_visible()
    eventually("the schedulers in the run history's Scheduler column",
               lambda: set(page.locator("#runs-table td[data-col=scheduler]").all_inner_texts()) >= set(NODES), True)
    console.shot("shared-store-runs")

    # a run made by another daemon opens on this one's console, with its output
    other = page.locator("#runs-table tbody tr[data-run-id]").filter(
        has=page.locator("td[data-col=scheduler]", has_text="node-c")).first
    other.click()
    expect(page.locator("dd[data-field=scheduler]")).to_have_text("node-c")
    expect(page.locator("#run-output .output-line")).to_contain_text("on node-c")

    # each daemon's console serves the shared store: the same tasks, paused on all
    for d in daemons[1:]:
        c = open_console(d)
        c.login("viewer", "#/tasks?q=e2e-&state=paused")
        expect(c.testid("identity-name")).to_have_text(d.identity)
        expect(c.page.locator("#tasks-table tbody tr[data-task-id]")).to_have_count(6)
