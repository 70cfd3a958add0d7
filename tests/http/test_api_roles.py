"""Every state-changing endpoint for every principal: no credentials 401; a viewer 403; an operator may change
tasks but not create or change one that runs a shell command (403); an admin may (with [http]
allow_commands = true) and handles quarantine. The same through console sessions, where a request without
the right X-CSRF-Token is 403 and changes nothing. A second daemon with allow_commands = false and a short
session_idle checks that even an admin cannot make a command task there, that sessions expire, and that
failed logins are throttled.
"""
import time

import pytest

from conftest import create_command_task, create_function_task, session_cookie, unique

PRINCIPALS = ("anonymous", "viewer", "operator", "admin")


# Each case: (name, setup, expected) where setup(admin client) makes what the request needs and returns
# (method, path, body or None), and expected maps operator and admin to their status (anonymous is always
# 401 and a viewer always 403).
def fn_task_request(method, suffix="", body=None):
    def setup(admin):
        return method, "/api/v1/tasks/" + create_function_task(admin) + suffix, body
    return setup


def cmd_task_request(method, suffix="", body=None):
    def setup(admin):
        return method, "/api/v1/tasks/" + create_command_task(admin) + suffix, body
    return setup


def new_task(**keys):
    def setup(admin):
        body = {"id": unique("role"), "interval": "1h"}
        body.update(keys)
        return "POST", "/api/v1/tasks", body
    return setup


def bulk(action):
    def setup(admin):
        return "POST", "/api/v1/tasks/bulk", {"action": action, "ids": [create_function_task(admin)]}
    return setup


def fixed(method, path, body=None):
    return lambda admin: (method, path, body)


CASES = [
    ("create a function task", new_task(function="greet.hello"), {"operator": 201, "admin": 201}),
    ("create a command task", new_task(command="echo hi"), {"operator": 403, "admin": 201}),
    ("rename a function task", fn_task_request("PATCH", body={"name": "renamed"}), {"operator": 200, "admin": 200}),
    ("turn a function task into a command", fn_task_request("PATCH", body={"command": "echo x", "function": None}),
     {"operator": 403, "admin": 200}),
    ("rename a command task", cmd_task_request("PATCH", body={"name": "renamed"}), {"operator": 403, "admin": 200}),
    ("remove a function task", fn_task_request("DELETE"), {"operator": 204, "admin": 204}),
    ("remove a command task", cmd_task_request("DELETE"), {"operator": 204, "admin": 204}),
    ("pause a function task", fn_task_request("POST", "/pause"), {"operator": 200, "admin": 200}),
    ("pause a command task", cmd_task_request("POST", "/pause"), {"operator": 200, "admin": 200}),
    ("resume a task", fn_task_request("POST", "/resume"), {"operator": 200, "admin": 200}),
    ("run a task now", fn_task_request("POST", "/run"), {"operator": 202, "admin": 202}),
    ("bulk pause", bulk("pause"), {"operator": 200, "admin": 200}),
    ("bulk resume", bulk("resume"), {"operator": 200, "admin": 200}),
    ("bulk run", bulk("run"), {"operator": 200, "admin": 200}),
    ("bulk remove", bulk("remove"), {"operator": 200, "admin": 200}),
    # Admin only; an admin gets past the role check to "no such record".
    ("retry a quarantined record", fixed("POST", "/api/v1/quarantine/default/no-such-record/retry"),
     {"operator": 403, "admin": 404}),
    ("drop a quarantined record", fixed("DELETE", "/api/v1/quarantine/default/no-such-record"),
     {"operator": 403, "admin": 404}),
]
CASE_IDS = [c[0] for c in CASES]


def expected_status(principal, expected):
    return {"anonymous": 401, "viewer": 403}.get(principal) or expected[principal]


def send(client, method, path, body, **kw):
    if body is None:
        return client.request(method, path, **kw)
    return client.request(method, path, json_body=body, **kw)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("name,setup,expected", CASES, ids=CASE_IDS)
def test_token_roles(api, name, setup, expected, principal):
    method, path, body = setup(api.admin)
    r = send(api.role(principal), method, path, body)
    want = expected_status(principal, expected)
    assert r.status == want, "%s as %s: %r" % (name, principal, r)


def test_401_says_how_to_authenticate(api):
    """RFC 9110: a 401 carries WWW-Authenticate (here: Bearer)."""
    for r in (api.anon.get("/api/v1/status"), api.anon.post("/api/v1/tasks/t-hello/pause")):
        assert r.status == 401
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), dict(r.headers)


def test_refused_requests_change_nothing(api):
    task_id = create_command_task(api.admin)
    before = api.viewer.get("/api/v1/tasks/" + task_id).json()
    assert api.operator.patch("/api/v1/tasks/" + task_id, {"name": "renamed"}).status == 403
    assert api.viewer.post("/api/v1/tasks/%s/pause" % task_id).status == 403
    assert api.anon.delete("/api/v1/tasks/" + task_id).status == 401
    after = api.viewer.get("/api/v1/tasks/" + task_id).json()
    assert after["name"] == before["name"] and after["state"] == "scheduled"
    assert not [e for e in api.viewer.get("/api/v1/audit", query={"task": task_id}).json()["items"]
                if e["action"] != "add"], "a refused request leaves no audit entry"


def test_viewer_reads_and_previews(api):
    for path in ("/api/v1/status", "/api/v1/tasks", "/api/v1/runs", "/api/v1/audit", "/api/v1/instances",
                 "/api/v1/quarantine", "/metrics"):
        assert api.viewer.get(path).status == 200, path
        assert api.anon.get(path).status == 401, path
    assert api.viewer.post("/api/v1/preview", {"interval": "1h"}).status == 200
    assert api.anon.post("/api/v1/preview", {"interval": "1h"}).status == 401


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "bearer"])
def test_bad_credentials_are_401(api, daemon, header):
    r = api.anon.get("/api/v1/status", headers={"Authorization": header})
    assert r.status == 401
    r = api.anon.post("/api/v1/tasks/t-hello/pause", headers={"Authorization": header})
    assert r.status == 401


def test_a_token_of_another_role_is_not_upgraded_by_a_cookie(api, daemon, checker):
    """A viewer token with an admin's session cookie: the request is refused (one principal per request, and
    the cookie's session then needs its CSRF token)."""
    admin = daemon.login("admin", checker)
    r = api.viewer.request("POST", "/api/v1/tasks/t-hello/pause",
                           headers={"Cookie": "asyncz_session=" + admin.cookie})
    assert r.status in (401, 403), r


# ---- sessions ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sessions(daemon, checker):
    return {role: daemon.login(role, checker) for role in ("viewer", "operator", "admin")}


def test_session_cookie_attributes(daemon, api):
    r = api.anon.post("/api/v1/session", {"user": "vera", "password": "vera-secret-1"})
    assert r.status == 200
    cookies = [c for c in r.headers.get_all("Set-Cookie") or [] if c.startswith("asyncz_session=")]
    assert len(cookies) == 1, r.headers.get_all("Set-Cookie")
    attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs, cookies[0]
    assert "secure" not in attrs, "Secure only under TLS (this daemon speaks plain HTTP)"
    body = r.json()
    assert body["csrf_token"] and body["csrf_token"] != session_cookie(r), "the CSRF token is not the cookie"


@pytest.mark.parametrize("role", ("viewer", "operator", "admin"))
@pytest.mark.parametrize("name,setup,expected", CASES, ids=CASE_IDS)
def test_session_roles_with_csrf(api, sessions, name, setup, expected, role):
    method, path, body = setup(api.admin)
    r = send(sessions[role], method, path, body)
    assert r.status == expected_status(role, expected), "%s as %s's session: %r" % (name, role, r)


@pytest.mark.parametrize("role", ("viewer", "operator", "admin"))
@pytest.mark.parametrize("name,setup,expected", CASES, ids=CASE_IDS)
def test_session_without_csrf_is_403(api, sessions, name, setup, expected, role):
    method, path, body = setup(api.admin)
    r = send(sessions[role], method, path, body, send_csrf=False)
    assert r.status == 403, "%s as %s's session without X-CSRF-Token: %r" % (name, role, r)
    r = send(sessions[role], method, path, body, send_csrf=False, headers={"X-CSRF-Token": "0" * 32})
    assert r.status == 403, "%s as %s's session with a wrong X-CSRF-Token: %r" % (name, role, r)


def test_csrf_refusal_changes_nothing(api, sessions):
    task_id = create_function_task(api.admin)
    s = sessions["operator"]
    assert s.post("/api/v1/tasks/%s/pause" % task_id, send_csrf=False).status == 403
    assert api.viewer.get("/api/v1/tasks/" + task_id).json()["state"] == "scheduled"
    other = sessions["admin"].csrf
    assert s.post("/api/v1/tasks/%s/pause" % task_id, send_csrf=False,
                  headers={"X-CSRF-Token": other}).status == 403, "another session's token is wrong"
    assert s.post("/api/v1/tasks/%s/pause" % task_id).status == 200


def test_session_gets_need_no_csrf(sessions):
    for role, s in sessions.items():
        assert s.get("/api/v1/tasks", send_csrf=False).status == 200, role


# ---- a daemon without commands, with short sessions ----------------------------------------------------


@pytest.fixture(scope="module")
def strict(start_daemon):
    d = start_daemon("strict", http={"allow_commands": "false", "session_idle": "2s"})
    yield d
    d.stop()


def test_no_commands_without_allow_commands(strict, checker):
    admin = strict.client("admin", checker)
    r = admin.post("/api/v1/tasks", {"id": unique("cmd"), "interval": "1h", "command": "echo hi"})
    assert r.status == 403, r
    assert "allow_commands" in r.json()["error"]["message"], "the message says how to allow it"
    assert admin.patch("/api/v1/tasks/t-hello", {"name": "renamed"}).status == 403
    assert admin.post("/api/v1/tasks/t-hello/pause").status == 200, "pausing a command task is no command"
    assert admin.post("/api/v1/tasks", {"id": unique("fn"), "interval": "1h", "function": "greet.hello"}).status == 201


def test_session_expires_when_idle(strict, checker):
    s = strict.login("viewer", checker)
    assert s.get("/api/v1/status").status == 200
    time.sleep(3.5)
    r = s.get("/api/v1/status")
    assert r.status == 401, "a session idle longer than session_idle (2s) has ended: %r" % r
    r = s.get("/api/v1/session")
    assert r.status == 401 or r.json()["authenticated"] is False, "an ended session is not authenticated: %r" % r


def test_failed_logins_are_throttled(strict, checker):
    anon = strict.client(None, checker)
    statuses = []
    for _ in range(30):
        r = anon.post("/api/v1/session", {"user": "vera", "password": "wrong"})
        statuses.append(r.status)
        if r.status == 429:
            retry = r.headers.get("Retry-After")
            assert retry and retry.isdigit() and int(retry) > 0, "429 says when to retry: %r" % retry
            break
    assert 429 in statuses, "30 wrong passwords were never throttled: %s" % statuses
    assert set(statuses[:-1]) <= {401}, statuses
