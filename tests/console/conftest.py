"""The web console's tests: a real browser (Debian's Chromium, headless, driven by Playwright for Python)
against real daemons (console_helpers.py makes them with the HTTP API suite's fixture code).

Each test opens its own browser context (cookies, viewport) in one browser shared by the session; the daemon
is shared by the session too, but for the ones a test needs for itself (a short session_idle; three daemons
on one store). Tests save screenshots of the pages they visit under ASYNCZ_SCREENSHOTS (default
build/console-screenshots); docs/console/ keeps a curated copy.

Playwright is never asked to download a browser: Chromium is /usr/bin/chromium (ASYNCZ_CHROMIUM names
another). The suite needs pytest and playwright (the Makefile's test-console installs them).

Run: ASYNCZ_BIN=build/asyncz python -m pytest tests/console -q
"""
import os

import pytest
from playwright.sync_api import expect, sync_playwright

from console_helpers import CHROMIUM, CHROMIUM_ARGS, EXPECT_MS, Console, ConsoleDaemon, hf, run_and_wait

# The API suite's fixtures and hook, used as they are: the tool and the plugin, and the daemons' logs attached
# to a failing test's report.
binary = hf.binary
plugin = hf.plugin
pytest_runtest_makereport = hf.pytest_runtest_makereport


@pytest.fixture(scope="session")
def start_daemon(binary, plugin):
    """start_daemon(name, **ConsoleDaemon options): a started daemon, stopped at the end of the session (or
    earlier by its .stop()); a daemon that does not exit 0 on SIGTERM fails the session."""
    started = []

    def start(name, **kw):
        d = ConsoleDaemon(binary, plugin, name, **kw)
        started.append(d)
        return d.start()

    yield start
    failed = []
    for d in started:
        rc = d.stop()
        if rc not in (0, None):
            failed.append("daemon %s exited with status %s on SIGTERM; its log:\n%s" % (d.name, rc, d.log_text()))
        else:
            d.cleanup()
    assert not failed, "\n\n".join(failed)


@pytest.fixture(scope="session")
def daemon(start_daemon):
    """The daemon most tests share, with a run history (c-echo, f-greet and t-hello succeeded, c-fail
    failed) and two quarantined records."""
    d = start_daemon("console", seed_quarantine=True)
    admin = d.client("admin")
    for task_id in ("c-echo", "c-fail", "c-echo", "f-greet", "c-echo", "t-hello"):
        run_and_wait(admin, task_id)
    return d


@pytest.fixture(scope="session")
def admin_api(daemon):
    return daemon.client("admin")


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("no Chromium at %s (Debian's package chromium; ASYNCZ_CHROMIUM names another)" % CHROMIUM)
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout():
    expect.set_options(timeout=EXPECT_MS)


@pytest.fixture
def open_console(browser):
    """open_console(daemon, width=1280, height=900): a Console, closed at the end of the test."""
    opened = []

    def make(daemon, width=1280, height=900):
        c = Console(browser, daemon, width, height)
        opened.append(c)
        return c

    yield make
    errors = [e for c in opened for e in c.errors]
    for c in opened:
        c.close()
    assert not errors, "the page reported errors:\n" + "\n".join(errors)


@pytest.fixture
def console(open_console, daemon):
    """A desktop-sized console on the shared daemon, not logged in."""
    return open_console(daemon)


