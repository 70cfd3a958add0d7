"""The tasks: the list (search, state filter, sort), a task's buttons (pause, resume, run now) and the run
they make with its output, editing with the diff, a new task with the live trigger preview."""
import re

from playwright.sync_api import expect

from console_helpers import MARKER, eventually, finished_runs, get_task, ids_of, task_ids, wait_for

ROWS = "#tasks-table tbody tr[data-task-id]"


def test_tasks_search_filter_and_sort(console, admin_api):
    page = console.page
    console.login("admin", "#/tasks")
    rows = page.locator(ROWS)
    eventually("every task, by id", lambda: ids_of(rows), task_ids(admin_api, sort="id"))
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Id")
    console.shot("tasks")

    # the search box: id or name, ignoring case ("Nightly report" is t-nightly's name)
    page.locator("#task-search").fill("REPORT")
    expected = task_ids(admin_api, q="REPORT", sort="id")
    assert "t-nightly" in expected and "report-weekly" in expected, expected
    eventually("tasks matching 'REPORT'", lambda: ids_of(rows), expected)
    assert "q=REPORT" in page.url

    # the state filter, with the search still on
    console.testid("task-state-filter").select_option("paused")
    eventually("paused tasks matching 'REPORT'", lambda: ids_of(rows), task_ids(admin_api, q="REPORT", state="paused"))
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.state)")) == {"paused"}

    # no match: the empty state offers to clear the filters
    page.locator("#task-search").fill("no-such-task-anywhere")
    expect(console.testid("clear-filters")).to_be_visible()
    console.testid("clear-filters").click()
    expect(page.locator("#task-search")).to_have_value("")
    eventually("every task after clearing", lambda: ids_of(rows), task_ids(admin_api, sort="id"))

    # sorting: a header's button, again for descending
    console.testid("sort-id").click()
    descending = task_ids(admin_api, sort="-id")
    eventually("tasks by id, descending", lambda: ids_of(rows), descending)
    assert descending == sorted(descending, reverse=True)
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Id")
    assert "sort=-id" in page.url
    console.testid("sort-next_run_time").click()
    # (c-minutely's next run moves on every minute: what the API answers is asked again)
    eventually("tasks by next run", lambda: ids_of(rows), lambda: task_ids(admin_api, sort="next_run_time"))
    console.testid("sort-name").click()
    eventually("tasks by name", lambda: ids_of(rows), task_ids(admin_api, sort="name"))
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")


def test_pause_resume_and_run_a_task_then_see_its_output(console, admin_api):
    page = console.page
    before = {r["run_id"] for r in finished_runs(admin_api, "c-marker")}
    console.login("operator", "#/tasks/c-marker")
    expect(page.locator("dd[data-field=command]")).to_contain_text("echo " + MARKER)
    expect(page.locator("dd[data-field=state]")).to_contain_text("scheduled")

    page.locator("#task-pause").click()
    expect(page.locator("#task-resume")).to_be_visible()
    expect(page.locator("dd[data-field=state]")).to_contain_text("paused")
    expect(console.testid("task-paused-note")).to_contain_text("Paused")
    assert get_task(admin_api, "c-marker")["state"] == "paused"

    page.locator("#task-resume").click()
    expect(page.locator("#task-pause")).to_be_visible()
    expect(console.testid("task-paused-note")).to_have_count(0)
    expect(page.locator("dd[data-field=state]")).to_contain_text("scheduled")
    assert get_task(admin_api, "c-marker")["state"] == "scheduled"

    page.locator("#task-run").click()
    expect(console.testid("toast-ok").filter(has_text="Run of c-marker requested")).to_be_visible()
    run = wait_for("the run of c-marker the console asked for",
                   lambda: next((r for r in finished_runs(admin_api, "c-marker") if r["run_id"] not in before), None))
    assert run["outcome"] == "succeeded" and run["source"] == "request", run

    # the task's page lists it under its recent runs, with the chart
    console.route("#/tasks/c-marker?refresh=1")
    expect(console.testid("task-runs").locator('tr[data-run-id="%s"]' % run["run_id"])).to_be_visible()
    expect(console.testid("run-chart").locator("rect.chart-bar")).to_have_count(len(before) + 1)

    # the run history, filtered by the task, then the run itself
    console.testid("nav-runs").click()
    expect(console.testid("runs-table")).to_be_visible()
    page.locator("#runs-task").fill("c-marker")
    row = page.locator('#runs-table tr[data-run-id="%s"]' % run["run_id"])
    expect(row).to_be_visible()
    expect(page.locator("#runs-table tbody tr")).to_have_count(len(before) + 1)
    expect(row.locator("td[data-col=outcome]")).to_have_text("succeeded")
    assert "task=c-marker" in page.url
    row.click()
    output = page.locator("#run-output .output-line")
    expect(output.filter(has_text=MARKER)).to_have_count(1)
    expect(output.filter(has_text=MARKER)).to_have_attribute("data-stream", "stdout")
    expect(output.filter(has_text="done")).to_have_count(1)
    expect(page.locator("dd[data-field=outcome]")).to_contain_text("succeeded")
    expect(page.locator("dd[data-field=source]")).to_have_text("request")
    expect(page.locator("dd[data-field=scheduler]")).to_have_text(run["scheduler"])


def test_a_running_run_is_followed_live(console, admin_api):
    page = console.page
    console.login("viewer", "#/runs")
    r = admin_api.post("/api/v1/tasks/c-slow/run", {})
    assert r.status == 202, r

    def running():
        items = admin_api.get("/api/v1/runs", query={"task": "c-slow", "outcome": "running"}).json()["items"]
        return items[0] if items else None

    run = wait_for("c-slow running", running)
    console.route("#/runs/" + run["run_id"])
    expect(console.testid("run-live")).to_be_visible()
    expect(page.locator("dd[data-field=outcome]")).to_contain_text("running")
    lines = page.locator("#run-output .output-line")
    expect(lines.filter(has_text="started")).to_have_count(1)
    # the page asks again every second: the last line and the outcome arrive without a reload
    expect(lines.filter(has_text="finished")).to_have_count(1)
    expect(page.locator("dd[data-field=outcome]")).to_contain_text("succeeded")
    expect(console.testid("run-live")).to_be_hidden()


def test_bulk_pause_resume_run_and_remove(console, admin_api):
    page = console.page
    for task_id in ("bulk-1", "bulk-2"):
        r = admin_api.post("/api/v1/tasks", {"id": task_id, "interval": "1h", "function": "greet.hello"})
        assert r.status == 201, r
    console.login("operator", "#/tasks?q=bulk-")
    rows = page.locator(ROWS)
    eventually("the two bulk tasks", lambda: ids_of(rows), ["bulk-1", "bulk-2"])
    expect(page.locator("#bulk-pause")).to_be_disabled()
    console.testid("select-all").check()
    expect(console.testid("bulk-count")).to_have_text("2 selected")
    page.locator("#bulk-pause").click()
    expect(console.testid("toast-ok").filter(has_text="Paused 2 tasks")).to_be_visible()
    eventually("states after the bulk pause", lambda: rows.evaluate_all("els => els.map(e => e.dataset.state)"),
               ["paused", "paused"])
    assert {get_task(admin_api, i)["state"] for i in ("bulk-1", "bulk-2")} == {"paused"}

    page.locator('input[data-select="bulk-2"]').check()
    page.locator("#bulk-resume").click()
    eventually("states after resuming bulk-2", lambda: rows.evaluate_all("els => els.map(e => e.dataset.state)"),
               ["paused", "scheduled"])

    console.testid("select-all").check()
    page.locator("#bulk-remove").click()
    expect(console.testid("confirm-dialog")).to_contain_text("Remove 2 tasks?")
    console.testid("confirm-ok").click()
    expect(console.testid("toast-ok").filter(has_text="Removed 2 tasks")).to_be_visible()
    expect(console.testid("clear-filters")).to_be_visible()
    assert task_ids(admin_api, q="bulk-") == []


def test_screenshots_of_a_task_and_runs_with_output(console, admin_api):
    """c-echo printed on stdout and stderr (the session's fixture ran it)."""
    page = console.page
    console.login("admin", "#/tasks/c-echo")
    expect(console.testid("run-chart").locator("rect.chart-bar").first).to_be_visible()
    expect(page.locator("dd[data-field=trigger]")).to_contain_text("interval[1:00:00")
    expect(console.testid("task-next-runs").locator("li")).to_have_count(5)
    console.shot("task-detail", height=1250)

    console.route("#/runs")
    expect(page.locator("#runs-table tbody tr").first).to_be_visible()
    failed = page.locator("#runs-table tbody tr[data-outcome=failed]")
    expect(failed.first).to_contain_text("c-fail")
    console.shot("runs")

    # the outcome and time filters, kept in the address
    console.testid("runs-outcome-filter").select_option(label="Any failure")
    expect(page.locator("#runs-table tbody tr").first).to_have_attribute("data-outcome", "failed")
    failures = admin_api.get("/api/v1/runs", query={"outcome": "failed,timed_out,crashed,lost"}).json()["items"]
    eventually("the failed runs", lambda: page.locator("#runs-table tbody tr").evaluate_all(
        "els => els.map(e => e.dataset.runId)"), [r["run_id"] for r in failures])
    assert "outcome=failed%2Ctimed_out%2Ccrashed%2Clost" in page.url or "outcome=failed,timed_out" in page.url, page.url
    console.testid("runs-since-filter").select_option("1h")
    assert "since=1h" in page.url
    expect(page.locator("#runs-table tbody tr[data-outcome=failed]").first).to_contain_text("c-fail")

    run = finished_runs(admin_api, "c-echo")[-1]
    console.route("#/runs/" + run["run_id"])
    lines = page.locator("#run-output .output-line")
    expect(lines).to_have_count(3)
    expect(lines.filter(has_text="a line on stderr")).to_have_attribute("data-stream", "stderr")
    console.shot("run-output")

    # a failed run: its exit status and error
    run = finished_runs(admin_api, "c-fail")[-1]
    console.route("#/runs/" + run["run_id"])
    expect(page.locator("dd[data-field=outcome]")).to_contain_text("failed")
    expect(page.locator("dd[data-field=exit_status]")).to_have_text("3")
    expect(page.locator("dd[data-field=error_message]")).to_contain_text("exit status 3")
    expect(page.locator("#run-output .output-line")).to_have_text(re.compile("about to fail"))


def test_edit_a_task_with_the_diff(console, admin_api):
    page = console.page
    assert get_task(admin_api, "tick")["trigger_kind"] == "interval"
    console.login("operator", "#/tasks/tick")
    page.locator("#task-edit").click()
    expect(page.locator("#edit-form")).to_be_visible()

    page.locator("#edit-trigger-kind").select_option("cron")
    page.locator("#edit-trigger-cron").fill("*/20 * * * *")
    expect(console.testid("preview-list").locator("li")).to_have_count(5)
    page.locator("#edit-max-instances").fill("3")
    page.locator("#edit-preview").click()
    diff = console.testid("edit-diff-table")
    trigger = diff.locator("tr[data-field=trigger]")
    expect(trigger.locator(".diff-before")).to_contain_text("interval[0:10:00")
    expect(trigger.locator(".diff-after")).to_contain_text("*/20 * * * *")
    mi = diff.locator("tr[data-field=max_instances]")
    expect(mi.locator(".diff-before")).to_have_text("1")
    expect(mi.locator(".diff-after")).to_have_text("3")
    # a preview changes nothing
    assert get_task(admin_api, "tick")["trigger_kind"] == "interval"
    console.shot("edit-diff", height=1300)

    page.locator("#edit-apply").click()
    expect(page.locator("dd[data-field=trigger]")).to_contain_text("*/20 * * * *")
    expect(page.locator("dd[data-field=trigger_kind]")).to_have_text("cron")
    expect(page.locator("dd[data-field=max_instances]")).to_have_text("3")
    t = get_task(admin_api, "tick")
    assert t["trigger_kind"] == "cron" and t["max_instances"] == 3, t
    minutes = {int(x[14:16]) for x in t["next_run_times"]}
    assert minutes <= {0, 20, 40}, t["next_run_times"]


def test_new_task_with_the_trigger_preview(console, admin_api):
    page = console.page
    console.login("operator", "#/new")
    expect(page.locator("#new-id")).to_be_focused()
    page.locator("#new-id").fill("dst-check")

    # a bad expression: the server's message
    page.locator("#new-trigger-cron").fill("61 2 * * *")
    expect(console.testid("preview-error")).to_contain_text("minute: value 61 is above the maximum 59")

    # 02:30 on the Sundays of March in Berlin: the last one is in the DST gap
    page.locator("#new-trigger-cron").fill("30 2 * 3 sun")
    page.locator("#new-trigger-timezone").fill("Europe/Berlin")
    expect(console.testid("preview-description")).to_contain_text("Europe/Berlin")
    items = console.testid("preview-list").locator("li")
    expect(items).to_have_count(10)
    gap = console.testid("preview-list").locator("li[data-note=dst_gap]")
    expect(gap.first).to_contain_text("03:00:00 +02:00")
    expect(gap.first.get_by_test_id("preview-note")).to_have_text("DST gap")
    assert gap.count() >= 1
    # the first times are 02:30 in winter time
    expect(items.first).to_contain_text("02:30:00 +01:00")

    # the last Sundays of October: 02:30 happens twice
    page.locator("#new-trigger-cron").fill("30 2 * 10 sun")
    overlap = console.testid("preview-list").locator("li[data-note=dst_overlap]")
    expect(overlap.first.get_by_test_id("preview-note")).to_have_text("DST overlap")
    page.locator("#new-trigger-cron").fill("30 2 * 3 sun")
    expect(gap.first).to_be_visible()

    page.locator("#new-function").fill("greet.hello")
    page.locator("#new-args").fill('["dst"]')
    page.locator("#new-name").fill("DST check")
    console.shot("new-task-preview", height=1250)
    page.locator("#new-submit").click()

    expect(page.locator("dd[data-field=id]")).to_have_text("dst-check")
    assert page.url.endswith("#/tasks/dst-check?store=default") or page.url.endswith("#/tasks/dst-check")
    expect(page.locator("dd[data-field=trigger]")).to_contain_text("30 2 * 3 sun")
    expect(page.locator("dd[data-field=timezone]")).to_have_text("Europe/Berlin")
    t = get_task(admin_api, "dst-check")
    assert t["function"] == "greet.hello" and t["args"] == ["dst"] and t["name"] == "DST check", t

    console.testid("nav-tasks").click()
    page.locator("#task-search").fill("dst")
    eventually("the new task in the list", lambda: ids_of(page.locator(ROWS)), ["dst-check"])

    # the same id again: the server's 409 message
    console.route("#/new")
    page.locator("#new-id").fill("dst-check")
    page.locator("#new-trigger-cron").fill("0 9 * * *")
    page.locator("#new-function").fill("greet.hello")
    page.locator("#new-submit").click()
    expect(console.testid("new-error")).to_contain_text("already in store 'default'")
