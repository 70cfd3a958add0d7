"""Logging in and out, the overview, the keyboard, and the refusals: a wrong password, an expired session, a
change without the CSRF token, a viewer trying to pause."""
import re

from playwright.sync_api import expect

from console_helpers import USERS, get_task, numbers, wait_seconds


def test_login_wrong_password_then_right_shows_the_overview(console, admin_api):
    page = console.page
    console.goto()
    expect(page.locator("body")).to_have_attribute("data-page", "login")
    expect(page.locator("#login-user")).to_be_focused()
    console.shot("login")

    page.locator("#login-user").fill("ada")
    page.locator("#login-password").fill("not-her-password")
    page.locator("#login-submit").click()
    expect(console.testid("login-error")).to_contain_text("wrong user name or password")
    expect(page.locator("#login-password")).to_have_value("")
    expect(page.locator("#user-box")).to_be_hidden()

    page.locator("#login-password").fill(USERS["admin"][1])
    page.locator("#login-submit").click()
    expect(page.locator("body")).to_have_attribute("data-page", "overview")
    expect(console.testid("user-name")).to_have_text("ada")
    expect(console.testid("user-role")).to_have_text("admin")

    st = admin_api.get("/api/v1/status").json()
    expect(console.testid("identity-name")).to_have_text(st["identity"])
    expect(console.testid("stat-state")).to_contain_text("running")
    expect(console.testid("stat-tasks-total")).to_contain_text(str(st["tasks"]["total"]))
    expect(console.testid("stat-tasks-scheduled")).to_contain_text(str(st["tasks"]["scheduled"]))
    expect(console.testid("stat-tasks-paused")).to_contain_text(str(st["tasks"]["paused"]))
    # the session's fixture ran c-fail (exit 3) and three tasks that succeed
    expect(console.testid("stat-1d-failed")).to_contain_text(re.compile(r"^\s*[1-9]"))
    assert numbers(console.testid("stat-1d-succeeded").inner_text())[0] >= 3
    expect(console.testid("recent-failures").locator("tr[data-run-id]").first).to_contain_text("c-fail")
    expect(console.testid("next-runs").locator("tr[data-task-id]").first).to_be_visible()
    console.shot("overview", height=1200)


def test_logout_ends_the_session(console):
    page = console.page
    console.login("admin", "#/tasks")
    expect(console.testid("tasks-table")).to_be_visible()
    page.locator("#logout-button").click()
    expect(page.locator("body")).to_have_attribute("data-page", "login")
    expect(console.testid("login-message")).to_contain_text("logged out")
    assert console.api("GET", "status", csrf=False)["status"] == 401
    # a page asked for now leads to the login, and back to that page afterwards
    console.route("#/runs")
    expect(page.locator("#login-user")).to_be_visible()
    assert "next=" in page.url


def test_keyboard_reaches_the_login_form_and_the_navigation(console):
    page = console.page
    console.goto()
    expect(page.locator("#login-user")).to_be_focused()

    def tab_to(element_id, presses=25):
        """Tab from the first element of the page (the skip link) until element_id has the focus."""
        page.locator("#skip-link").focus()
        seen = ["skip-link"]
        for _ in range(presses):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
            if seen[-1] == element_id:
                return seen
        raise AssertionError("Tab never reached #%s; it went %s" % (element_id, " ".join(seen)))

    assert page.evaluate("document.querySelector('a, button, input, [tabindex]').id") == "skip-link"
    tab_to("login-user")
    page.keyboard.type(USERS["operator"][0])
    page.keyboard.press("Tab")
    expect(page.locator("#login-password")).to_be_focused()
    page.keyboard.type(USERS["operator"][1])
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-page", "overview")

    seen = tab_to("nav-tasks")
    assert "nav-overview" in seen, seen
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-page", "tasks")
    expect(page.locator("#page-title")).to_be_focused()
    # on to a row of the table, and Enter opens its task
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "task-row":
            break
    else:
        raise AssertionError("Tab never reached a row of the tasks table")
    task_id = page.evaluate("document.activeElement.dataset.taskId")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-page", "tasks")
    expect(page.locator("dd[data-field=id]")).to_have_text(task_id)


def test_an_idle_session_expires(start_daemon, open_console):
    short = start_daemon("short-session", http={"session_idle": "2s"})
    console = open_console(short)
    page = console.page
    console.login("operator")
    expect(console.testid("stat-state")).to_contain_text("running")
    wait_seconds(3.2)  # the session's idle time must pass
    console.testid("refresh").click()
    expect(page.locator("body")).to_have_attribute("data-page", "login")
    expect(console.testid("login-message")).to_contain_text("session expired")
    console.shot("login-expired")
    # logging in again leads back to the overview
    console.login_form("operator")
    expect(page.locator("body")).to_have_attribute("data-page", "overview")


def test_a_change_without_the_csrf_token_is_refused(console, admin_api):
    console.login("operator", "#/tasks/t-hello")
    expect(console.page.locator("#task-pause")).to_be_visible()
    r = console.api("POST", "tasks/t-hello/pause", {}, csrf=False)
    assert r["status"] == 403 and r["body"]["error"]["code"] == "csrf", r
    assert get_task(admin_api, "t-hello")["state"] == "scheduled"
    r = console.api("DELETE", "tasks/t-hello", csrf=False)
    assert r["status"] == 403, r
    assert get_task(admin_api, "t-hello")["state"] == "scheduled"


def test_a_viewer_sees_no_pause_button_and_is_refused_a_pause(console, admin_api):
    page = console.page
    console.login("viewer", "#/tasks/t-hello")
    expect(console.testid("task-fields")).to_be_visible()
    expect(page.locator("dd[data-field=state]")).to_contain_text("scheduled")
    for button in ("task-pause", "task-resume", "task-run", "task-edit", "task-remove"):
        expect(console.testid(button)).to_have_count(0)
    expect(console.testid("nav-new")).to_have_count(0)
    console.route("#/tasks")
    expect(console.testid("tasks-table")).to_be_visible()
    expect(console.testid("bulk-bar")).to_have_count(0)
    expect(console.testid("new-task-button")).to_have_count(0)
    r = console.api("POST", "tasks/t-hello/pause", {}, csrf=True)
    assert r["status"] == 403 and r["body"]["error"]["code"] == "forbidden", r
    assert get_task(admin_api, "t-hello")["state"] == "scheduled"


def test_login_leads_only_to_a_page_of_the_console(console):
    page = console.page
    # the page asked for before logging in is where the login leads
    console.goto("#/runs?outcome=failed")
    expect(page.locator("#login-user")).to_be_visible()
    console.login_form("viewer")
    expect(page.locator("body")).to_have_attribute("data-page", "runs")
    assert page.url.endswith("#/runs?outcome=failed"), page.url
    page.locator("#logout-button").click()
    expect(page.locator("#login-user")).to_be_visible()
    # anything else given as next leads to the overview
    for bad in ("https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "javascript%3Aalert(1)"):
        console.goto("#/login?next=" + bad)
        console.login_form("viewer")
        expect(page.locator("body")).to_have_attribute("data-page", "overview")
        assert page.url == console.base + "#/overview", page.url
        page.locator("#logout-button").click()
        expect(page.locator("#login-user")).to_be_visible()


def test_failed_logins_are_throttled(start_daemon, open_console):
    throttled = start_daemon("throttled")
    console = open_console(throttled)
    page = console.page
    console.goto()
    message = console.testid("login-error")
    for attempt in range(1, 8):
        page.locator("#login-user").fill("vera")
        page.locator("#login-password").fill("wrong-%d" % attempt)
        page.locator("#login-submit").click()
        expect(page.locator("#login-submit")).to_be_enabled()
        expect(message).to_be_visible()
        if "try again" in message.inner_text():
            break
    expect(message).to_contain_text(re.compile(r"try again in \d+ ?s"))
    assert attempt <= 6, "throttled only after %d failed logins" % attempt
    # even the right password waits now
    page.locator("#login-password").fill(USERS["viewer"][1])
    page.locator("#login-submit").click()
    expect(message).to_contain_text("try again")
    expect(page.locator("#user-box")).to_be_hidden()


def test_the_console_under_a_prefix(start_daemon, open_console):
    prefixed = start_daemon("prefixed", http={"base_path": "/ops/asyncz"})
    console = open_console(prefixed)
    page = console.page
    console.login("operator", "#/tasks")
    assert page.url.startswith("http://127.0.0.1:%d/ops/asyncz/console/" % prefixed.port), page.url
    expect(page.locator("#tasks-table tbody tr[data-task-id=c-echo]")).to_be_visible()
    cookie = [c for c in console.context.cookies() if c["name"] == "asyncz_session"]
    assert cookie and cookie[0]["path"] == "/ops/asyncz/" and cookie[0]["httpOnly"], cookie
    assert cookie[0]["sameSite"] == "Strict", cookie
    console.route("#/tasks/c-echo")
    page.locator("#task-run").click()
    expect(console.testid("toast-ok").filter(has_text="Run of c-echo requested")).to_be_visible()
    # the run's events reach the events page through the prefix
    console.route("#/events")
    expect(console.testid("events-status")).to_have_text("live")
    console.route("#/runs?task=c-echo")
    expect(page.locator("#runs-table tbody tr[data-outcome=succeeded]")).to_have_count(1)
