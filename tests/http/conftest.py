"""The HTTP API's tests run against the real daemon: each daemon fixture writes a config with an [http] section
(listen = 127.0.0.1:0, its port written to a port file), a tokens file and a users file made with
`asyncz auth token` and `asyncz auth user`, a SQLite store in a private directory (mode 0700) and a few
tasks; it starts `asyncz start --config` from ASYNCZ_BIN (default build/asyncz), waits for the port file,
and stops the daemon with SIGTERM at the end. A failing test gets the log of every daemon still running
attached to its report.

HTTP is spoken with the standard library only (http.client, socket): the suite needs pytest, jsonschema and
openapi-spec-validator (the Makefile's test-http installs them). Every response a Client gets is checked
against the OpenAPI document (src/cli/http/openapi.json): its status must be one the operation lists, and
its body must match the schema listed for it.

Run: ASYNCZ_BIN=build/asyncz python -m pytest tests/http -q
"""
import http.client
import http.cookies
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "src" / "cli" / "http" / "openapi.json"
START_SECONDS = 30  # a daemon that has not written its port file by then has failed
REQUEST_SECONDS = 15

# The principals every daemon has: API tokens, and console users with their passwords.
ROLES = ("viewer", "operator", "admin")
TOKEN_NAMES = {role: "ci-" + role for role in ROLES}
USERS = {"viewer": ("vera", "vera-secret-1"), "operator": ("otto", "otto-secret-2"), "admin": ("ada", "ada-secret-3")}

# The tasks of the config (CONFIG_TASKS; f-greet needs the greet plugin of examples/plugin).
CONFIG_TASKS = """
[task t-hello]
interval = 1h
command = echo hello from t-hello

[task t-nightly]
name = Nightly report
cron = 0 3 * * *
command = echo nightly

[task t-paused]
cron = 0 4 * * *
command = echo paused
paused = true

[task f-greet]
interval = 1h
function = greet.hello
args = ["tests"]
"""
CONFIG_TASK_IDS = ("t-hello", "t-nightly", "t-paused", "f-greet")


def unique(prefix):
    """A task id no other test uses."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


# ---- the binary and the plugin -------------------------------------------------------------------------


def asyncz_binary():
    given = Path(os.environ.get("ASYNCZ_BIN", "build/asyncz"))
    for candidate in ([given] if given.is_absolute() else [Path.cwd() / given, REPO / given]):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate.resolve()
    pytest.fail("no asyncz binary at %s (set ASYNCZ_BIN to the built tool, e.g. build/asyncz)" % given)


def greet_plugin(binary):
    given = os.environ.get("ASYNCZ_PLUGIN")
    path = Path(given) if given else binary.parent / "examples" / "plugin" / "libasyncz-greet.so"
    if not path.is_file():
        pytest.fail("no greet plugin at %s (it is built with the tool; set ASYNCZ_PLUGIN to its path)" % path)
    return path.resolve()


# ---- responses and the OpenAPI document ----------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: .get(name), .get_all(name)
        self.body = body

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "") or ""

    def json(self):
        assert self.content_type.split(";")[0].strip() == "application/json", (
            "expected a JSON answer, got Content-Type %r: %r" % (self.content_type, self.body[:300]))
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<Response %d %s %r>" % (self.status, self.content_type, self.body[:400])


def load_spec():
    with open(SPEC_PATH, encoding="utf-8") as f:
        return json.load(f)


def media_base(ctype):
    return ctype.split(";")[0].strip().lower()


class SpecChecker:
    """Finds the operation of a request in the OpenAPI document and checks a response against it."""

    METHODS = ("get", "post", "put", "patch", "delete")

    def __init__(self, spec):
        from jsonschema import Draft202012Validator

        self.spec = spec
        self.validator_class = Draft202012Validator
        self.seen = set()  # (method, template, status) checked
        self.templates = []
        for template in spec["paths"]:
            names = re.findall(r"\{([^}]+)\}", template)
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.templates.append((len(names), template, re.compile(regex)))
        self.templates.sort()

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    def find(self, method, path):
        """The (template, operation) of a request path (no query, no prefix), or (None, None)."""
        for _, template, regex in self.templates:
            if regex.match(path):
                operation = self.spec["paths"][template].get(method.lower())
                if operation:
                    return template, operation
        return None, None

    def validate(self, schema, instance, where):
        root = dict(schema)
        root["components"] = self.spec["components"]
        errors = sorted(self.validator_class(root).iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, "%s does not match the document: %s" % (
            where, "; ".join("at %s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)", e.message)
                             for e in errors[:5]))

    def check(self, method, path, resp):
        template, operation = self.find(method, path)
        if not operation:
            return None  # not an operation of the document (a 404 or 405 for a path nobody serves)
        where = "%s %s -> %d" % (method, path, resp.status)
        responses = operation["responses"]
        key = str(resp.status)
        assert key in responses or "default" in responses, (
            "%s: the document lists %s for %s %s, not %s; body: %r"
            % (where, ", ".join(sorted(responses)), method, template, key, resp.body[:500]))
        declared = self.deref(responses.get(key) or responses["default"])
        content = declared.get("content")
        if not content:
            assert resp.body == b"", "%s: the document declares no body, got %r" % (where, resp.body[:300])
        else:
            got = media_base(resp.content_type)
            matches = [c for c in content if c == "*/*" or media_base(c) == got]
            assert matches, "%s: Content-Type %r is not one the document lists (%s)" % (
                where, resp.content_type, ", ".join(content))
            schema = content[matches[0]].get("schema")
            if got == "application/json" and schema is not None:
                try:
                    doc = json.loads(resp.body.decode("utf-8"))
                except ValueError as e:
                    pytest.fail("%s: the body is not JSON (%s): %r" % (where, e, resp.body[:300]))
                self.validate(schema, doc, where)
        self.seen.add((method.lower(), template, key))
        return template


@pytest.fixture(scope="session")
def spec():
    return load_spec()


@pytest.fixture(scope="session")
def checker(spec):
    return SpecChecker(spec)


# ---- clients -------------------------------------------------------------------------------------------

_NO_BODY = object()


class Client:
    """One principal talking to one daemon: anonymous, a bearer token, or a console session (cookie and CSRF
    token). Each request is a new connection. Responses are checked against the document unless
    check=False."""

    def __init__(self, daemon, token=None, cookie=None, csrf=None, checker=None):
        self.daemon = daemon
        self.token = token
        self.cookie = cookie
        self.csrf = csrf
        self.checker = checker

    def request(self, method, path, json_body=_NO_BODY, body=None, headers=None, content_type=None,
                query=None, check=True, send_csrf=True, timeout=REQUEST_SECONDS):
        hdrs = {"Host": "127.0.0.1:%d" % self.daemon.port, "Connection": "close"}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        if self.cookie:
            hdrs["Cookie"] = "asyncz_session=" + self.cookie
        if self.csrf and send_csrf and method != "GET":
            hdrs["X-CSRF-Token"] = self.csrf
        if json_body is not _NO_BODY:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = content_type or "application/json"
        elif content_type:
            hdrs["Content-Type"] = content_type
        if isinstance(body, str):
            body = body.encode()
        hdrs.update(headers or {})
        target = path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=timeout)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in hdrs.items():
                conn.putheader(name, value)
            if body is not None and "Content-Length" not in hdrs:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            resp = Response(r.status, r.headers, r.read())
        finally:
            conn.close()
        if check and self.checker:
            self.checker.check(method, path, resp)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=_NO_BODY, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def patch(self, path, json_body=_NO_BODY, **kw):
        return self.request("PATCH", path, json_body=json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


# ---- the daemon ----------------------------------------------------------------------------------------

RUNNING = []  # daemons up now: their logs go with a failing test's report


def run_tool(binary, args, stdin=None):
    return subprocess.run([str(binary)] + args, input=stdin, capture_output=True, text=True, timeout=60)


def token_from_output(text, stored):
    """The secret `asyncz auth token` printed: the longest word of its output that looks like a token and is
    not in the tokens file (stored: its text; the file holds the hash, which the output may repeat)."""
    words = [w for w in re.findall(r"[A-Za-z0-9_\-.~+/=]{20,}", text) if w not in stored and w.count("/") < 2]
    assert words, "asyncz auth token printed no token: %r" % text
    return max(words, key=len)


class Daemon:
    def __init__(self, binary, plugin, name, http=None, seed_quarantine=False):
        self.binary = binary
        self.plugin = plugin
        self.name = name
        self.http = dict(http or {})
        self.seed_quarantine = seed_quarantine
        self.quarantine_seeded = False
        self.dir = Path(tempfile.mkdtemp(prefix="asyncz-http-%s-" % name))
        os.chmod(self.dir, 0o700)
        self.db = self.dir / "tasks.db"
        self.store_url = "sqlite:///" + str(self.db)
        self.config = self.dir / "asyncz.ini"
        self.port_file = self.dir / "port"
        self.tokens_file = self.dir / "tokens"
        self.users_file = self.dir / "users"
        self.log_path = self.dir / "daemon.log"
        self.tokens = {}
        self.proc = None
        self.port = None

    # -- setting up

    def make_token(self, role):
        name = TOKEN_NAMES[role]
        r = run_tool(self.binary, ["auth", "token", name, "--role", role, "--file", str(self.tokens_file)])
        assert r.returncode == 0, "asyncz auth token %s --role %s --file ... failed (%d): %s%s" % (
            name, role, r.returncode, r.stdout, r.stderr)
        text = self.tokens_file.read_text()
        self.tokens[role] = token_from_output(r.stdout, text)
        assert name in text and self.tokens[role] not in text, (
            "the tokens file should hold the token's name and hash, never the token: %r" % text)

    def make_user(self, role):
        user, password = USERS[role]
        r = run_tool(self.binary, ["auth", "user", user, "--role", role, "--file", str(self.users_file)],
                     stdin=password + "\n")
        if r.returncode == 2 and "--file" in r.stderr:
            # No --file: it prints the line for the users file.
            r = run_tool(self.binary, ["auth", "user", user, "--role", role], stdin=password + "\n")
            assert r.returncode == 0, "asyncz auth user %s failed (%d): %s" % (user, r.returncode, r.stderr)
            with open(self.users_file, "a") as f:
                f.write(r.stdout.strip().splitlines()[-1] + "\n")
        assert r.returncode == 0, "asyncz auth user %s --role %s failed (%d): %s%s" % (
            user, role, r.returncode, r.stdout, r.stderr)
        text = self.users_file.read_text()
        assert user in text and password not in text, "the users file should hold a hash: %r" % text

    def seed_quarantined_records(self):
        """Two records in the store's quarantine before the daemon starts: q-restorable (a valid task's
        bytes, so a retry restores it) and q-garbage (bytes no scheduler reads). Made with `asyncz add` and
        moved aside in the SQLite tables (the layout of src/store/sqlite.c)."""
        for task_id in ("q-restorable", "q-garbage"):
            r = run_tool(self.binary, ["add", "--id", task_id, "--interval", "1h", "--command",
                                       "echo restored", "--store", self.store_url])
            if r.returncode != 0:
                return
        try:
            db = sqlite3.connect(str(self.db))
            for task_id in ("q-restorable", "q-garbage"):
                state = bytes(db.execute("SELECT state FROM asyncz_store WHERE id = ?", (task_id,)).fetchone()[0])
                if task_id == "q-garbage":
                    state = b"not a task document"
                db.execute("INSERT INTO asyncz_store_quarantine (id, reason, at, state) VALUES (?, ?, ?, ?)",
                           (task_id, "seeded by tests/http", int(time.time() * 1e6), state))
                db.execute("DELETE FROM asyncz_store WHERE id = ?", (task_id,))
            db.commit()
            db.close()
            self.quarantine_seeded = True
        except sqlite3.Error:
            self.quarantine_seeded = False

    def write_config(self):
        http = {
            "listen": "127.0.0.1:0",
            "port_file": str(self.port_file),
            "tokens_file": str(self.tokens_file),
            "users_file": str(self.users_file),
            "allow_commands": "true",
        }
        http.update(self.http)
        lines = [
            "[scheduler]",
            "timezone = UTC",
            "shutdown_timeout = 5s",
            "plugins = %s" % self.plugin,
            "",
            "[store default]",
            "url = %s" % self.store_url,
            "",
            "[executor default]",
            "type = processpool",
            "workers = 2",
            CONFIG_TASKS,
            "[http]",
        ] + ["%s = %s" % (k, v) for k, v in http.items() if v is not None]
        self.config.write_text("\n".join(lines) + "\n")

    # -- running

    def start(self):
        for role in ROLES:
            self.make_token(role)
            self.make_user(role)
        if self.seed_quarantine:
            self.seed_quarantined_records()
        self.write_config()
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(self.binary), "start", "--config", str(self.config)],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING.append(self)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("asyncz start exited with status %d before serving HTTP; its log:\n%s"
                            % (self.proc.returncode, self.log_text()))
            text = self.port_file.read_text().strip() if self.port_file.exists() else ""
            if text.isdigit() and int(text) > 0:
                self.port = int(text)
                break
            time.sleep(0.05)
        else:
            pytest.fail("no port in %s after %ds; the log:\n%s" % (self.port_file, START_SECONDS, self.log_text()))
        # The port file is written once the socket listens; wait for an answer all the same.
        anon = self.client()
        while time.monotonic() < deadline:
            try:
                if anon.get("/healthz", check=False).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail("GET /healthz did not answer 200 within %ds; the log:\n%s" % (START_SECONDS, self.log_text()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in RUNNING:
            RUNNING.remove(self)
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def log_text(self, tail=300):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-tail:])

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients

    def client(self, role=None, checker=None):
        """A client with the token of role (None: anonymous)."""
        return Client(self, token=self.tokens[role] if role else None, checker=checker)

    def login(self, role, checker=None):
        """Log in as the console user of role: a client with the session cookie and its CSRF token."""
        user, password = USERS[role]
        anon = Client(self, checker=checker)
        r = anon.post("/api/v1/session", {"user": user, "password": password})
        assert r.status == 200, "login as %s: %r" % (user, r)
        cookie = session_cookie(r)
        assert cookie, "the login set no asyncz_session cookie: %r" % r.headers.get_all("Set-Cookie")
        return Client(self, cookie=cookie, csrf=r.json()["csrf_token"], checker=checker)


def session_cookie(resp):
    """The value of the asyncz_session cookie a response sets, or None."""
    for header in resp.headers.get_all("Set-Cookie") or []:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        if "asyncz_session" in jar:
            return jar["asyncz_session"].value
    return None


@pytest.fixture(scope="session")
def binary():
    return asyncz_binary()


@pytest.fixture(scope="session")
def plugin(binary):
    return greet_plugin(binary)


@pytest.fixture(scope="session")
def start_daemon(binary, plugin):
    """A factory: start_daemon(name, http={...}, seed_quarantine=False) starts a daemon stopped at the end of
    the session (or earlier with its .stop())."""
    started = []

    def start(name, http=None, seed_quarantine=False):
        d = Daemon(binary, plugin, name, http, seed_quarantine)
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
    """The daemon most tests share: default limits, commands allowed, two quarantined records."""
    return start_daemon("main", seed_quarantine=True)


class Clients:
    def __init__(self, daemon, checker):
        self.anon = daemon.client(None, checker)
        self.viewer = daemon.client("viewer", checker)
        self.operator = daemon.client("operator", checker)
        self.admin = daemon.client("admin", checker)

    def role(self, name):
        return {"anonymous": self.anon, "viewer": self.viewer, "operator": self.operator,
                "admin": self.admin}[name]


@pytest.fixture(scope="session")
def api(daemon, checker):
    """Token clients of the main daemon: api.anon, api.viewer, api.operator, api.admin."""
    return Clients(daemon, checker)


def create_function_task(client, task_id=None, **keys):
    """Create a greet.hello task through the API (201 expected) and return its id."""
    task_id = task_id or unique("fn")
    body = {"id": task_id, "interval": "1h", "function": "greet.hello"}
    body.update(keys)
    r = client.post("/api/v1/tasks", body)
    assert r.status == 201, "creating %s: %r" % (task_id, r)
    return task_id


def create_command_task(client, task_id=None, **keys):
    task_id = task_id or unique("cmd")
    body = {"id": task_id, "interval": "1h", "command": "echo made by the API"}
    body.update(keys)
    r = client.post("/api/v1/tasks", body)
    assert r.status == 201, "creating %s: %r" % (task_id, r)
    return task_id


def wait_for(what, fn, seconds=20, interval=0.2):
    """Call fn until it returns something true; fail naming what after seconds."""
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("%s: not within %ds" % (what, seconds))
        time.sleep(interval)


def raw_connect(port, source="127.0.0.1", timeout=5):
    """A TCP connection to the daemon from a chosen loopback address (127.0.0.2 is another client)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def raw_exchange(sock, request, timeout=5):
    """Send request bytes and read until the server closes or timeout; returns the bytes read."""
    sock.settimeout(timeout)
    sock.sendall(request)
    chunks = []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except socket.timeout:
        pass
    return b"".join(chunks)


def raw_status(data):
    """The status code of a raw HTTP answer, or None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for d in list(RUNNING):
            rep.sections.append(("asyncz daemon %s (port %s) log" % (d.name, d.port), d.log_text(200)))
