"""The pages that show what the daemon has, against its real answers: events (live), audit trail,
instances, quarantine, timeline, runtime; and the console on a phone-sized screen."""
import re

from playwright.sync_api import expect

from console_helpers import eventually, ids_of, run_and_wait, task_ids


def test_events_arrive_live(console, admin_api):
    page = console.page
    console.login("admin", "#/events")
    expect(console.testid("events-status")).to_have_text("live")
    run = run_and_wait(admin_api, "c-echo")
    items = console.testid("event-list").locator("[data-testid=event-item]")
    executed = items.filter(has=page.locator('a[href^="#/runs/%s"]' % run["run_id"]))
    expect(executed.and_(page.locator("[data-event=TASK_EXECUTED]"))).to_have_count(1)
    expect(executed.and_(page.locator("[data-event=TASK_SUBMITTED]"))).to_have_count(1)
    expect(executed.and_(page.locator("[data-event=TASK_EXECUTED]"))).to_contain_text("c-echo")
    expect(executed.and_(page.locator("[data-event=TASK_EXECUTED]"))).to_contain_text("succeeded")

    # paused: new events are held back and counted, and shown on resume
    page.locator("#events-pause").click()
    expect(page.locator("#events-pause")).to_have_attribute("aria-pressed", "true")
    shown = items.count()
    run = run_and_wait(admin_api, "c-fail")
    expect(console.testid("events-held")).to_contain_text(re.compile(r"Paused: [1-9]\d* new events? held back"))
    assert items.count() == shown
    page.locator("#events-pause").click()
    failed = items.filter(has=page.locator('a[href^="#/runs/%s"]' % run["run_id"]))
    expect(failed.and_(page.locator("[data-event=TASK_ERROR]"))).to_contain_text("c-fail")
    console.shot("events")


def test_audit_trail(console, admin_api):
    page = console.page
    assert admin_api.post("/api/v1/tasks/t-nightly/pause", {}).status == 200
    assert admin_api.post("/api/v1/tasks/t-nightly/resume", {}).status == 200
    assert admin_api.patch("/api/v1/tasks/t-nightly", {"cron": "15 3 * * *"}).status == 200
    console.login("admin", "#/audit")
    rows = page.locator("#audit-table > tbody > tr")
    expect(rows.first).to_be_visible()
    newest = admin_api.get("/api/v1/audit", query={"limit": 1}).json()["items"][0]
    expect(rows.first).to_have_attribute("data-audit-id", newest["id"])
    expect(rows.first.locator("td[data-col=actor]")).to_have_text(newest["actor"])
    expect(page.locator("#audit-table tr[data-action=add]").first).to_contain_text("config")
    console.shot("audit", height=1100)

    page.locator("#audit-task").fill("t-nightly")
    expect(rows.first).to_contain_text("t-nightly")
    eventually("actions on t-nightly, newest first", lambda: rows.evaluate_all("els => els.map(e => e.dataset.action)"),
               ["update", "resume", "pause", "add"])
    expect(page.locator("#audit-table tr[data-action=resume] td[data-col=actor]")).to_have_text(
        "api:ci-admin (admin, via token)")
    # an update shows each changed field before and after
    diff = page.locator("#audit-table tr[data-action=update]").get_by_test_id("audit-diff")
    expect(diff.locator("tr[data-field=trigger] .diff-before")).to_contain_text("0 3 * * *")
    expect(diff.locator("tr[data-field=trigger] .diff-after")).to_contain_text("15 3 * * *")


def test_instances_quarantine_timeline_runtime(console, admin_api):
    page = console.page
    st = admin_api.get("/api/v1/status").json()
    console.login("admin", "#/instances")
    row = console.testid("instances-table").locator('tr[data-identity="%s"]' % st["identity"])
    expect(row).to_have_attribute("data-alive", "true")
    expect(row.locator("td[data-col=pid]")).to_have_text(str(st["pid"]))
    console.shot("instances")

    console.route("#/quarantine")
    table = console.testid("quarantine-table")
    expect(table.locator("tr[data-task-id]")).to_have_count(2)
    expect(table.locator('tr[data-task-id="q-garbage"]')).to_contain_text("seeded by tests/http")
    expect(table.locator('tr[data-task-id="q-restorable"]').get_by_test_id("quarantine-retry")).to_be_visible()
    console.shot("quarantine")

    console.route("#/timeline")
    chart = console.testid("timeline-chart")
    expect(chart.locator("g[data-task-id=c-minutely] rect.timeline-tick").first).to_be_visible()
    expect(console.testid("now-line")).to_have_count(1)
    console.testid("timeline-window").select_option("24")
    expect(chart.locator("g[data-task-id=backup-db]")).to_have_count(1)
    console.shot("timeline")

    console.route("#/runtime")
    fields = console.testid("runtime-fields")
    expect(fields.locator("dd[data-field=version]")).to_have_text(st["version"])
    expect(fields.locator("dd[data-field=identity]")).to_have_text(st["identity"])
    expect(fields.locator("dd[data-field=zone]")).to_have_text("UTC")
    expect(console.testid("stores-table")).to_contain_text(st["stores"][0]["url"])
    expect(console.testid("executors-table")).to_contain_text("processpool")
    console.shot("runtime")


def test_quarantine_retry_and_delete_as_admin(console, admin_api, daemon):
    page = console.page
    console.login("admin", "#/quarantine")
    table = console.testid("quarantine-table")
    expect(table.locator("tr[data-task-id]")).to_have_count(2)
    # q-garbage cannot be read: a retry is refused with the reason, and the record stays
    table.locator('tr[data-task-id="q-garbage"]').get_by_test_id("quarantine-retry").click()
    expect(console.testid("toast-error")).to_be_visible()
    expect(table.locator("tr[data-task-id]")).to_have_count(2)
    # q-restorable comes back as a task
    table.locator('tr[data-task-id="q-restorable"]').get_by_test_id("quarantine-retry").click()
    expect(console.testid("toast-ok").filter(has_text="Restored q-restorable")).to_be_visible()
    expect(table.locator("tr[data-task-id]")).to_have_count(1)
    assert admin_api.get("/api/v1/tasks/q-restorable").status == 200
    # q-garbage is deleted after the confirmation
    table.locator('tr[data-task-id="q-garbage"]').get_by_test_id("quarantine-delete").click()
    console.testid("confirm-ok").click()
    expect(console.testid("empty-state")).to_contain_text("Nothing is quarantined")
    assert admin_api.get("/api/v1/quarantine").json()["items"] == []


def test_phone_menu_and_tasks(open_console, daemon, admin_api):
    console = open_console(daemon, 390, 844)
    page = console.page
    console.login("operator", "#/overview")
    expect(page.locator("#nav-tasks")).to_be_hidden()
    menu = page.locator("#menu-button")
    expect(menu).to_be_visible()
    menu.click()
    expect(page.locator("#nav-tasks")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    console.shot("phone-menu")
    page.keyboard.press("Escape")
    expect(page.locator("#nav-tasks")).to_be_hidden()
    menu.click()
    page.locator("#nav-tasks").click()
    expect(page.locator("body")).to_have_attribute("data-page", "tasks")
    expect(page.locator("#nav-tasks")).to_be_hidden()

    rows = page.locator("#tasks-table tbody tr[data-task-id]")
    eventually("every task", lambda: ids_of(rows), task_ids(admin_api, sort="id"))
    # the cards fit the width: nothing to scroll sideways
    assert page.evaluate("document.getElementById('main').scrollWidth <= document.getElementById('main').clientWidth")
    page.locator("#task-search").fill("c-")
    console.testid("task-sort").select_option("-id")
    eventually("tasks matching 'c-', by id descending", lambda: ids_of(rows), task_ids(admin_api, q="c-", sort="-id"))
    expect(rows.first.locator("td[data-col=state]")).to_be_visible()
    console.shot("phone-tasks")
    # a card opens its task, with its buttons
    rows.first.locator("a.task-link").click()
    expect(page.locator("#task-run")).to_be_visible()
