"""What the console's tests share (tests/console/conftest.py has the fixtures): the daemons, made with the HTTP
API suite's fixture code (tests/http/conftest.py, loaded here as a module, not copied: a config with an
[http] section on 127.0.0.1:0, tokens and users made with `asyncz auth token|user --file`, a SQLite store in
a private directory) plus tasks of these tests (shell commands that print known lines, one that fails, a few
more to filter and sort); a Console (one browser context and page on one daemon's console); waiting for what
the page shows; screenshots.
"""
import importlib.util
import os
import re
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_http_fixtures():
    """tests/http/conftest.py as the module asyncz_http_fixtures (its Daemon, clients and helpers)."""
    path = REPO / "tests" / "http" / "conftest.py"
    spec = importlib.util.spec_from_file_location("asyncz_http_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hf = _load_http_fixtures()

USERS = hf.USERS
wait_for = hf.wait_for

CHROMIUM = os.environ.get("ASYNCZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
EXPECT_MS = 15000  # how long expect() waits for a condition of the page

# What the console tests' daemons run besides the API suite's tasks (hf.CONFIG_TASKS: t-hello, t-nightly,
# t-paused, f-greet). MARKER is printed by c-marker, the task the console runs and whose output it shows.
MARKER = "console-marker-7f3a"
CONSOLE_TASKS = """
[task c-echo]
name = Echo three lines
interval = 1h
command = echo first line from c-echo; echo second line from c-echo; echo a line on stderr >&2

[task c-fail]
name = Always fails
interval = 1h
command = echo about to fail; exit 3

[task c-marker]
name = Marker
interval = 1h
command = echo %(marker)s; echo done

[task backup-db]
name = Database backup
cron = 30 2 * * *
timezone = Europe/Berlin
command = echo backing up

[task report-weekly]
name = Weekly report
cron = 0 8 * * mon
function = greet.hello
args = ["weekly"]
paused = true

[task tick]
name = Every ten minutes
interval = 10m
function = greet.hello
args = ["tick"]

[task c-slow]
name = Takes three seconds
interval = 1h
command = echo started; sleep 3; echo finished

[task c-minutely]
name = Every minute
cron = * * * * *
command = echo minutely
""" % {"marker": MARKER}


class PrefixedClient(hf.Client):
    """The API suite's client for a daemon serving under [http] base_path: every path gets the prefix."""

    def request(self, method, path, **kw):
        prefix = (self.daemon.http.get("base_path") or "").rstrip("/")
        return super().request(method, prefix + path, **kw)


class ConsoleDaemon(hf.Daemon):
    """The API suite's daemon with the console's tasks, and optionally a given store, identity and tasks."""

    def __init__(self, binary, plugin, name, http=None, seed_quarantine=False, tasks=CONSOLE_TASKS,
                 store_url=None, identity=None):
        super().__init__(binary, plugin, name, http, seed_quarantine)
        self.extra_tasks = tasks
        self.identity = identity
        if store_url:
            self.store_url = store_url

    def client(self, role=None, checker=None):
        """A client with the token of role (None: anonymous), paths under the daemon's base_path."""
        return PrefixedClient(self, token=self.tokens[role] if role else None, checker=checker)

    def write_config(self):
        super().write_config()
        text = self.config.read_text()
        if self.identity:
            text = text.replace("[scheduler]\n", "[scheduler]\nidentity = %s\n" % self.identity, 1)
        self.config.write_text(text + self.extra_tasks)


def finished_runs(client, task_id):
    r = client.get("/api/v1/runs", query={"task": task_id}, check=False)
    assert r.status == 200, r
    return [x for x in r.json()["items"] if x["outcome"] != "running"]


def run_and_wait(client, task_id, seconds=20):
    """Run task_id now through the API and wait for its run to end; returns the run."""
    before = {x["run_id"] for x in finished_runs(client, task_id)}
    r = client.post("/api/v1/tasks/%s/run" % task_id, {}, check=False)
    assert r.status == 202, "run %s: %r" % (task_id, r)
    return wait_for("a finished run of %s" % task_id,
                    lambda: next((x for x in finished_runs(client, task_id) if x["run_id"] not in before), None),
                    seconds=seconds)


# ---- the browser ---------------------------------------------------------------------------------------


class Console:
    """One browser context and page on one daemon's console. Uncaught script errors of the page fail the
    test (pageerror); so does a console.error that is not the browser's own line about a refused request."""

    def __init__(self, browser, daemon, width, height):
        self.daemon = daemon
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB",
                                           timezone_id="UTC")
        self.context.set_default_timeout(EXPECT_MS)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append("uncaught: %s" % e))
        self.page.on("console", self._on_console)

    def _on_console(self, msg):
        # Chromium logs every 4xx/5xx answer as "Failed to load resource"; the refusals are what some tests want
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            self.errors.append("console.error: %s" % msg.text)

    @property
    def base(self):
        prefix = (self.daemon.http.get("base_path") or "").rstrip("/")
        return "http://127.0.0.1:%d%s/console/" % (self.daemon.port, prefix)

    def goto(self, route=""):
        self.page.goto(self.base + route)

    def route(self, hash_route):
        """Go to a hash route of the console already loaded (no reload: the session stays in memory)."""
        self.page.evaluate("h => { location.hash = h; }", hash_route)

    def login(self, role="admin", route=""):
        """Open the console (at route) and log in as the user of role; waits until logged in."""
        self.goto(route)
        self.login_form(role)
        self.page.locator("#user-box").wait_for(state="visible")
        return self

    def login_form(self, role):
        """Fill in the login form shown now with the user of role and submit it."""
        user, password = USERS[role]
        self.page.locator("#login-user").fill(user)
        self.page.locator("#login-password").fill(password)
        self.page.locator("#login-submit").click()

    def testid(self, name):
        return self.page.get_by_test_id(name)

    def api(self, method, path, body=None, csrf=True):
        """fetch() from the page, with the session cookie, and the CSRF token of the session if csrf:
        {"status": N, "body": the parsed JSON answer or null}."""
        return self.page.evaluate(
            """async ([method, path, body, csrf]) => {
                 const headers = {'Content-Type': 'application/json'};
                 if (csrf) {
                   const s = await (await fetch('../api/v1/session', {credentials: 'same-origin'})).json();
                   headers['X-CSRF-Token'] = s.csrf_token;
                 }
                 const r = await fetch('../api/v1/' + path, {method, headers, credentials: 'same-origin',
                   body: body === null ? undefined : JSON.stringify(body)});
                 const text = await r.text();
                 let parsed = null;
                 try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
                 return {status: r.status, body: parsed};
               }""", [method, path, body, csrf])

    def shot(self, name, height=None):
        """Save a screenshot as NAME.png. The console scrolls inside <main>, so a full-page screenshot would
        show no more than the window: height makes the window that tall for the screenshot."""
        out = screenshot_dir() / (name + ".png")
        size = self.page.viewport_size
        if height:
            self.page.set_viewport_size({"width": size["width"], "height": height})
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        self.page.evaluate("document.getElementById('main').scrollTop = 0")
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.page.screenshot(path=str(out), animations="disabled", caret="hide")
        if height:
            self.page.set_viewport_size(size)
        return out

    def close(self):
        self.context.close()


def screenshot_dir():
    given = Path(os.environ.get("ASYNCZ_SCREENSHOTS", "build/console-screenshots"))
    path = given if given.is_absolute() else REPO / given
    path.mkdir(parents=True, exist_ok=True)
    return path


def ids_of(locator):
    return locator.evaluate_all("els => els.map(e => e.dataset.taskId)")


def numbers(text):
    return [int(x) for x in re.findall(r"\d+", text)]


def wait_seconds(seconds):
    """A real wait, for where time itself must pass (a session's idle time)."""
    time.sleep(seconds)


def eventually(what, fn, expected, seconds=EXPECT_MS / 1000):
    """Poll fn() (a value read from the page) until it equals expected (a value, or a function asked again
    each time: what the API answers now); fail showing both after seconds."""
    deadline = time.monotonic() + seconds
    while True:
        got = fn()
        want = expected() if callable(expected) else expected
        if got == want:
            return got
        if time.monotonic() > deadline:
            pytest.fail("%s: expected %r, the page shows %r" % (what, want, got))
        time.sleep(0.1)


def task_ids(client, **query):
    """The ids GET /api/v1/tasks answers, in its order (one page of up to 500)."""
    query.setdefault("limit", 500)
    r = client.get("/api/v1/tasks", query=query, check=False)
    assert r.status == 200, r
    return [t["id"] for t in r.json()["items"]]


def get_task(client, task_id):
    r = client.get("/api/v1/tasks/" + task_id, check=False)
    assert r.status == 200, r
    return r.json()
