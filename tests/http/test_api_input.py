"""Hostile and broken input: bodies that are not JSON (400), JSON of the wrong types or with unknown fields
(422), another content type (415), bad query parameters (400), wrong methods (405), path traversal on the
console's static files (404), and, on a daemon with small limits, bodies over max_body (413), more
connections than max_connections / max_connections_per_client, clients that send one byte a second
(slowloris) and connections that stay idle past the timeout. Each answer is checked against the OpenAPI
document too (conftest.py).
"""
import json
import select
import socket
import threading
import time

import pytest

from conftest import raw_connect, raw_exchange, raw_status, unique

# The endpoints that take a JSON body, with a path that exists on the main daemon (session: see below).
BODY_ENDPOINTS = [
    ("POST", "/api/v1/tasks"),
    ("PATCH", "/api/v1/tasks/t-nightly"),
    ("POST", "/api/v1/tasks/bulk"),
    ("POST", "/api/v1/preview"),
]
BODY_IDS = ["%s %s" % e for e in BODY_ENDPOINTS]
NOT_JSON = [b"{", b'{"id": }', b"not json", b'{"a": 1} trailing', b"\xff\xfe{}", b"", b"[" * 5000 + b"]" * 5000,
            b"{'id': 'single quotes'}"]


@pytest.mark.parametrize("method,path", BODY_ENDPOINTS, ids=BODY_IDS)
@pytest.mark.parametrize("body", NOT_JSON, ids=range(len(NOT_JSON)))
def test_not_json_is_400(api, method, path, body):
    r = api.admin.request(method, path, body=body, content_type="application/json")
    assert r.status == 400, "%s %s with %r: %r" % (method, path, body[:40], r)
    assert r.json()["error"]["code"]


# Well-formed JSON that is wrong: the body is not an object, or a member has the wrong type or a bad value.
WRONG = {
    ("POST", "/api/v1/tasks"): [
        {"id": 5, "interval": "1h", "function": "greet.hello"},
        {"id": "wrong-type-1", "interval": ["1h"], "function": "greet.hello"},
        {"id": "wrong-type-2", "interval": "1h", "function": "greet.hello", "paused": {"yes": True}},
        {"id": "wrong-type-3", "interval": "1h", "function": "greet.hello", "max_instances": "many"},
        {"id": "wrong-type-4", "interval": "1h", "function": "greet.hello", "replace": "yes please"},
        {"id": "../../etc", "interval": "1h", "function": "greet.hello"},
        {"id": "no-trigger", "function": "greet.hello"},
        {"id": "no-function", "interval": "1h"},
        {"id": "unknown-function", "interval": "1h", "function": "no.such.function"},
    ],
    ("PATCH", "/api/v1/tasks/t-nightly"): [
        {"name": ["a"]}, {"max_instances": 0}, {"cron": "0 61 * * *"}, {"coalesce": {"a": 1}},
    ],
    ("POST", "/api/v1/tasks/bulk"): [
        {"action": "pause", "ids": "t-hello"}, {"action": 5, "ids": ["t-hello"]},
        {"action": "pause", "ids": [1, 2]}, {"action": "pause"}, {"ids": ["t-hello"]},
        {"action": "pause", "ids": ["t-%d" % i for i in range(501)]},
    ],
    ("POST", "/api/v1/preview"): [
        {"interval": "1h", "count": "many"}, {"interval": "1h", "count": [1]}, {"cron": "61 * * * *"},
        {"interval": "1h", "start": "not a time"}, {"interval": "1h", "count": 0}, {"interval": "1h", "timezone": "Mars/Base"},
        {},
    ],
}
WRONG_CASES = [(m, p, b) for (m, p), bodies in WRONG.items() for b in bodies]


@pytest.mark.parametrize("method,path,body", WRONG_CASES, ids=["%s %s %d" % (m, p, i) for i, (m, p, _) in
                                                              enumerate(WRONG_CASES)])
def test_wrong_types_and_values_are_422(api, method, path, body):
    r = api.admin.request(method, path, json_body=body)
    assert r.status == 422, "%s %s with %r: %r" % (method, path, body, r)
    assert r.json()["error"]["message"]


# (method, path, body, the key at fault)
@pytest.mark.parametrize("method,path", BODY_ENDPOINTS, ids=BODY_IDS)
def test_an_array_body_is_422(api, method, path):
    """An array parses, and is the wrong type: 422 (the contract: 400 is for what does not parse, 422 for
    what parses and is wrong; the login answers so too)."""
    r = api.admin.request(method, path, json_body=[{"id": "in-an-array"}])
    assert r.status == 422, "%s %s with an array: %r" % (method, path, r)


@pytest.mark.parametrize("method,path", BODY_ENDPOINTS, ids=BODY_IDS)
@pytest.mark.parametrize("body", ["a string", None, 5, True], ids=["string", "null", "number", "bool"])
def test_a_scalar_body_is_400_or_422(api, method, path, body):
    """A lone scalar is a JSON text to RFC 8259 and not one to jansson's default parser: either answer."""
    r = api.admin.request(method, path, json_body=body)
    assert r.status in (400, 422), "%s %s with %r: %r" % (method, path, body, r)


UNKNOWN = [
    ("POST", "/api/v1/tasks", {"id": "unknown-field", "interval": "1h", "function": "greet.hello", "bogus": 1},
     "bogus"),
    ("POST", "/api/v1/tasks", {"id": "unknown-field-2", "interval": "1h", "function": "greet.hello",
                               "from": "2026-01-01"}, "from"),
    ("PATCH", "/api/v1/tasks/t-nightly", {"bogus": 1}, "bogus"),
    ("PATCH", "/api/v1/tasks/t-nightly", {"id": "renamed-id"}, "id"),
    ("POST", "/api/v1/tasks/bulk", {"action": "pause", "ids": ["t-hello"], "bogus": 1}, "bogus"),
    ("POST", "/api/v1/preview", {"interval": "1h", "bogus": 1}, "bogus"),
    ("POST", "/api/v1/preview", {"interval": "1h", "function": "greet.hello"}, "function"),
    # Failure hooks are shell commands set in the config file only.
    ("POST", "/api/v1/tasks", {"id": "with-hook", "interval": "1h", "function": "greet.hello",
                               "on_failure": "echo failed"}, "on_failure"),
    ("PATCH", "/api/v1/tasks/t-nightly", {"on_failure_interval": "1m"}, "on_failure_interval"),
]


@pytest.mark.parametrize("method,path,body,key", UNKNOWN, ids=range(len(UNKNOWN)))
def test_unknown_fields_are_422(api, method, path, body, key):
    r = api.admin.request(method, path, json_body=body)
    assert r.status == 422, "%s %s with %r: %r" % (method, path, body, r)
    error = r.json()["error"]
    assert error.get("field") == key or key in error["message"], "the error names %r: %r" % (key, error)


def test_nothing_was_created_by_refused_bodies(api):
    ids = {t["id"] for t in api.viewer.get("/api/v1/tasks", query={"limit": 500}).json()["items"]}
    assert not {"wrong-type-1", "wrong-type-2", "wrong-type-3", "wrong-type-4", "no-trigger", "no-function",
                "unknown-function", "unknown-field", "unknown-field-2", "with-hook"} & ids
    t = api.viewer.get("/api/v1/tasks/t-nightly").json()
    assert t["trigger"].startswith("cron") and t["name"] == "Nightly report", "refused patches changed nothing"


@pytest.mark.parametrize("method,path", BODY_ENDPOINTS, ids=BODY_IDS)
@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; "
                                   "boundary=x", None, "application/jsonx", "text/json"])
def test_other_content_types_are_415(api, method, path, ctype):
    body = b'{"id": "ctype", "interval": "1h", "function": "greet.hello"}'
    headers = {} if ctype is None else {"Content-Type": ctype}
    r = api.admin.request(method, path, body=body, headers=headers)
    assert r.status == 415, "%s %s with Content-Type %r: %r" % (method, path, ctype, r)


def test_json_with_a_charset_is_json(api):
    task_id = unique("charset")
    r = api.admin.request("POST", "/api/v1/tasks", json_body={"id": task_id, "interval": "1h",
                                                              "function": "greet.hello"},
                          content_type="application/json; charset=utf-8")
    assert r.status == 201, r


BAD_QUERIES = [
    ("/api/v1/tasks", {"limit": "abc"}), ("/api/v1/tasks", {"limit": "0"}), ("/api/v1/tasks", {"limit": "501"}),
    ("/api/v1/tasks", {"limit": "-1"}), ("/api/v1/tasks", {"limit": "1e3"}), ("/api/v1/tasks", {"sort": "bogus"}),
    ("/api/v1/tasks", {"state": "sleeping"}), ("/api/v1/tasks", {"cursor": "!!not-a-cursor!!"}),
    ("/api/v1/runs", {"since": "the day before"}), ("/api/v1/runs", {"until": "2026-13-45"}),
    ("/api/v1/runs", {"outcome": "exploded"}), ("/api/v1/runs", {"limit": "x"}),
    ("/api/v1/runs", {"cursor": "\u00e9t\u00e9"}), ("/api/v1/audit", {"limit": "many"}),
    ("/api/v1/audit", {"cursor": "x" * 600}),
]


@pytest.mark.parametrize("path,query", BAD_QUERIES, ids=["%s %s" % (p, q) for p, q in BAD_QUERIES])
def test_bad_query_parameters_are_400(api, path, query):
    r = api.viewer.get(path, query=query)
    assert r.status == 400, "%s?%s: %r" % (path, query, r)


def test_bad_dry_run_is_400(api):
    assert api.admin.patch("/api/v1/tasks/t-nightly", {"name": "x"}, query={"dry_run": "maybe"}).status == 400
    assert api.viewer.get("/api/v1/tasks/t-nightly").json()["name"] == "Nightly report"


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/api/v1/status", "GET"), ("DELETE", "/api/v1/runs", "GET"), ("POST", "/healthz", "GET"),
    ("PUT", "/api/v1/tasks/t-hello", "PATCH"), ("GET", "/api/v1/tasks/t-hello/pause", "POST"),
    ("PATCH", "/api/v1/tasks", "POST")])
def test_wrong_method_is_405(api, method, path, allowed):
    r = api.admin.request(method, path)
    assert r.status == 405, "%s %s: %r" % (method, path, r)
    assert allowed in r.headers.get("Allow", ""), r.headers.get("Allow")
    if path.startswith("/api/"):
        assert r.json()["error"]["code"]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/status", "/api/v1/tasks/t-hello/explode", "/nope",
                                  "/api/v1/status/extra"])
def test_unknown_paths_are_404(api, path):
    r = api.admin.get(path)
    assert r.status == 404, r
    if path.startswith("/api/"):
        assert r.json()["error"]["code"] == "not_found"


TRAVERSAL = [
    "/console/assets/../../../../etc/passwd",
    "/console/assets/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/console/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/console/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/console/assets/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/console/assets/....//....//....//etc/passwd",
    "/console/assets/..\\..\\..\\..\\etc\\passwd",
    "/console/assets/..%5c..%5c..%5cetc%5cpasswd",
    "/console/assets//etc/passwd",
    "/console/assets/%2fetc%2fpasswd",
    "/console/assets/..%2f..%2fopenapi.json",
    "/console/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/console/../../../../etc/passwd",
    "/console/..%2f..%2f..%2fetc%2fpasswd",
    "/../../../../etc/passwd",
    "/api/v1/../../../../etc/passwd",
    "/console/assets/.",
    "/console/assets/..",
]


@pytest.mark.parametrize("path", TRAVERSAL)
def test_path_traversal_is_refused(api, path):
    """404, or 400 for a path with a '.' or '..' segment (the server refuses those before routing)."""
    r = api.anon.request("GET", path, check=False)
    assert r.status in (400, 404), "%s: %r" % (path, r)
    assert b"root:" not in r.body and b'"openapi"' not in r.body


@pytest.mark.parametrize("path", ["/console/assets/%00", "/console/assets/app.js%00.png", "/api/v1/tasks/a%00b"])
def test_nul_in_a_path_is_refused(api, path):
    r = api.viewer.request("GET", path, check=False)
    assert r.status in (400, 404), "%s: %r" % (path, r)


def test_security_headers(api):
    for client, path in ((api.anon, "/console/"), (api.viewer, "/api/v1/status"), (api.anon, "/api/v1/nope")):
        r = client.get(path)
        h = r.headers
        assert h.get("X-Content-Type-Options", "").lower() == "nosniff", (path, dict(h))
        csp = h.get("Content-Security-Policy", "")
        assert csp, "%s has no Content-Security-Policy" % path
        assert "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0], csp
        assert "frame-ancestors 'none'" in csp or h.get("X-Frame-Options", "").upper() == "DENY", dict(h)
        assert h.get("Referrer-Policy"), dict(h)


def test_redirect_is_local(api):
    """The root's redirect goes to this server's console, whatever the Host header says."""
    r = api.anon.get("/", headers={"Host": "evil.example"})
    assert r.status == 302
    location = r.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location


# ---- limits: a daemon of its own -----------------------------------------------------------------------

MAX_BODY = 4096
MAX_CONNECTIONS = 8
MAX_PER_CLIENT = 4
TIMEOUT = 6  # seconds: longer than a connection test holds its idle connections


@pytest.fixture(scope="module")
def limited(start_daemon):
    d = start_daemon("limits", http={"max_body": str(MAX_BODY), "max_connections": str(MAX_CONNECTIONS),
                                     "max_connections_per_client": str(MAX_PER_CLIENT), "timeout": "%ds" % TIMEOUT})
    yield d
    d.stop()


@pytest.fixture(scope="module")
def limited_admin(limited, checker):
    return limited.client("admin", checker)


def second_client_address():
    """127.0.0.2 as another client (every 127/8 address is the loopback on Linux), or skip."""
    s = socket.socket()
    try:
        s.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("cannot bind 127.0.0.2: no second client address")
    finally:
        s.close()
    return "127.0.0.2"


def test_body_over_max_body_is_413(limited_admin):
    body = {"id": unique("big"), "interval": "1h", "function": "greet.hello", "name": "x" * (2 * MAX_BODY)}
    r = limited_admin.post("/api/v1/tasks", body)
    assert r.status == 413, r
    small = {"id": unique("small"), "interval": "1h", "function": "greet.hello", "name": "y" * 100}
    assert limited_admin.post("/api/v1/tasks", small).status == 201


def test_body_just_under_max_body_is_read(limited_admin):
    body = {"id": unique("edge"), "interval": "1h", "function": "greet.hello", "name": ""}
    body["name"] = "z" * (MAX_BODY - len(json.dumps(body)))
    assert len(json.dumps(body)) == MAX_BODY
    r = limited_admin.post("/api/v1/tasks", body)
    assert r.status != 413, "a body of exactly max_body bytes is allowed: %r" % r


def send_until_answered(sock, parts, seconds=5):
    """Send parts one by one until the server answers (or hangs up), then read its answer's head. Returns the
    bytes read: a server that refuses a body answers before reading all of it, and a reset must not lose
    its answer."""
    for part in parts:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.01)
    sock.settimeout(seconds)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def test_announced_huge_body_is_413_before_it_is_sent(limited):
    s = raw_connect(limited.port)
    try:
        head = ("POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n" % limited.tokens["admin"])
        started = time.monotonic()
        data = send_until_answered(s, [head.encode(), b'{"id": "'] + [b"x" * 1024] * 8)
        assert raw_status(data) == 413, "a Content-Length over max_body is refused at once: %r" % data[:300]
        assert time.monotonic() - started < 5
    finally:
        s.close()


def test_chunked_body_over_max_body_is_413(limited):
    s = raw_connect(limited.port)
    try:
        head = ("POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" % limited.tokens["admin"])
        chunks = [b"400\r\n" + b"x" * 1024 + b"\r\n" for _ in range(2 * MAX_BODY // 1024)] + [b"0\r\n\r\n"]
        data = send_until_answered(s, [head.encode()] + chunks)
        assert raw_status(data) == 413, data[:300]
    finally:
        s.close()


def refused_or_queued(sock):
    """Send a request on sock: True when the server refused the connection (closed, reset, or an error
    status) or left it waiting; False when it served it."""
    try:
        data = raw_exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                            timeout=3)
    except (ConnectionResetError, BrokenPipeError):
        return True
    status = raw_status(data)
    return status is None or status in (429, 503)


def served(sock):
    data = raw_exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                        timeout=5)
    return raw_status(data) == 200


def wait_served(port, source="127.0.0.1", seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            s = raw_connect(port, source)
            try:
                if served(s):
                    return True
            finally:
                s.close()
        except OSError:
            pass
        time.sleep(0.2)
    return False


def test_too_many_connections_from_one_client(limited):
    time.sleep(0.5)  # the connections of the tests before are gone
    held = [raw_connect(limited.port) for _ in range(MAX_PER_CLIENT)]
    extra = None
    try:
        time.sleep(0.5)  # the server has accepted them
        extra = raw_connect(limited.port)
        assert refused_or_queued(extra), "a connection over max_connections_per_client was served"
        for s in held:
            assert served(s), "a connection within the limit is served while the limit is reached"
    finally:
        for s in held + ([extra] if extra else []):
            s.close()
    assert wait_served(limited.port), "once connections close, new ones are served again"


def test_too_many_connections_in_all(limited):
    second = second_client_address()
    third = "127.0.0.3"
    time.sleep(0.5)
    held = [raw_connect(limited.port, "127.0.0.1") for _ in range(MAX_PER_CLIENT)]
    extra = None
    try:
        held += [raw_connect(limited.port, second) for _ in range(MAX_CONNECTIONS - MAX_PER_CLIENT)]
        time.sleep(0.5)
        extra = raw_connect(limited.port, third)
        assert refused_or_queued(extra), "a connection over max_connections was served"
        for s in held:
            assert served(s), "the connections within the limit are still served"
    finally:
        for s in held + ([extra] if extra else []):
            s.close()
    assert wait_served(limited.port, third), "once connections close, new ones are served again"


def test_one_client_at_its_limit_leaves_room_for_others(limited):
    second = second_client_address()
    time.sleep(0.5)
    held = [raw_connect(limited.port, "127.0.0.1") for _ in range(MAX_PER_CLIENT)]
    try:
        time.sleep(0.5)
        s = raw_connect(limited.port, second)
        try:
            assert served(s), "another client is served while one is at max_connections_per_client"
        finally:
            s.close()
    finally:
        for s in held:
            s.close()


def slow_sender(port, source, stop, errors):
    """A slowloris: a request's header, one byte a second, never finished."""
    try:
        s = raw_connect(port, source, timeout=2)
    except OSError as e:
        errors.append(e)
        return
    try:
        s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        while not stop.is_set():
            try:
                s.sendall(b"a")
            except OSError:
                return  # the server hung up on it: fine
            stop.wait(1.0)
    finally:
        s.close()


def test_slowloris_does_not_stop_the_others(limited, checker):
    source = second_client_address()
    stop = threading.Event()
    errors = []
    threads = [threading.Thread(target=slow_sender, args=(limited.port, source, stop, errors))
               for _ in range(MAX_PER_CLIENT - 1)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        viewer = limited.client("viewer", checker)
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            r = viewer.get("/api/v1/status", timeout=5)
            slowest = max(slowest, time.monotonic() - started)
            assert r.status == 200
            time.sleep(0.25)
        assert slowest < 2.0, "a request took %.2fs while slow clients trickled in" % slowest
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors


def test_idle_connection_is_closed_after_the_timeout(limited):
    s = raw_connect(limited.port, timeout=TIMEOUT + 10)
    try:
        started = time.monotonic()
        try:
            data = s.recv(1024)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            pytest.fail("an idle connection was still open %d s after [http] timeout = %ds" % (10, TIMEOUT))
        elapsed = time.monotonic() - started
        assert raw_status(data) in (None, 408), data[:200]
        assert elapsed >= TIMEOUT - 1.5, "closed after %.1fs, before the %d s timeout" % (elapsed, TIMEOUT)
    finally:
        s.close()


# ---- login bodies (on the limits daemon, so that failed logins throttle nobody else) --------------------


@pytest.mark.parametrize("body", [b"{", b"", b"user=vera&password=x"], ids=range(3))
def test_login_not_json_is_400(limited, checker, body):
    r = limited.client(None, checker).request("POST", "/api/v1/session", body=body,
                                              content_type="application/json")
    assert r.status == 400, r


@pytest.mark.parametrize("body", [{"user": 5, "password": "x"}, {"user": "vera"}, {"user": "vera", "password": None},
                                  {"user": "vera", "password": "x", "remember": True}, []],
                         ids=range(5))
def test_login_wrong_shape_is_422(limited, checker, body):
    r = limited.client(None, checker).request("POST", "/api/v1/session", json_body=body)
    assert r.status == 422, r


def test_login_form_body_is_415(limited, checker):
    r = limited.client(None, checker).request("POST", "/api/v1/session", body=b"user=vera&password=x",
                                              content_type="application/x-www-form-urlencoded")
    assert r.status == 415, r
