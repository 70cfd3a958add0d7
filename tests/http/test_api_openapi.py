"""Every endpoint of the API against the OpenAPI document (src/cli/http/openapi.json): each answer's status is
one the operation lists and its body matches the schema (the clients of conftest.py check every response).
The document itself is checked first: valid OpenAPI 3.1, a role on every operation, the statuses the contract
promises, every endpoint of the contract present. The last test fails if an operation of the document was
never exercised.
"""
import http.client
import json
import re
import time

import pytest

from conftest import (CONFIG_TASK_IDS, SPEC_PATH, create_function_task, unique, wait_for)

ROLE_NAMES = ("none", "viewer", "operator", "admin")

# The contract (docs/http-api.md): every endpoint and the least role it needs.
CONTRACT = {
    ("get", "/api/v1/status"): "viewer",
    ("get", "/api/v1/tasks"): "viewer",
    ("post", "/api/v1/tasks"): "operator",
    ("get", "/api/v1/tasks/{id}"): "viewer",
    ("patch", "/api/v1/tasks/{id}"): "operator",
    ("delete", "/api/v1/tasks/{id}"): "operator",
    ("post", "/api/v1/tasks/{id}/pause"): "operator",
    ("post", "/api/v1/tasks/{id}/resume"): "operator",
    ("post", "/api/v1/tasks/{id}/run"): "operator",
    ("post", "/api/v1/tasks/bulk"): "operator",
    ("post", "/api/v1/preview"): "viewer",
    ("get", "/api/v1/runs"): "viewer",
    ("get", "/api/v1/runs/{run_id}"): "viewer",
    ("get", "/api/v1/audit"): "viewer",
    ("get", "/api/v1/instances"): "viewer",
    ("get", "/api/v1/quarantine"): "viewer",
    ("post", "/api/v1/quarantine/{store}/{task}/retry"): "admin",
    ("delete", "/api/v1/quarantine/{store}/{task}"): "admin",
    ("get", "/api/v1/events"): "viewer",
    ("get", "/api/v1/openapi.json"): "none",
    ("get", "/api/v1/session"): "none",
    ("post", "/api/v1/session"): "none",
    ("delete", "/api/v1/session"): "viewer",
    ("get", "/metrics"): "viewer",
    ("get", "/healthz"): "none",
    ("get", "/readyz"): "none",
    ("get", "/"): "none",
    ("get", "/console"): "none",
    ("get", "/console/"): "none",
    ("get", "/console/assets/{file}"): "none",
}
SCHEMAS = ("Task", "TaskPage", "Run", "RunPage", "OutputLine", "AuditEntry", "AuditPage", "Status", "Instance",
           "QuarantinedRecord", "Preview", "Session", "Error")


def operations(spec):
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method, path, item[method]


# ---- the document --------------------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(spec):
    validator = pytest.importorskip("openapi_spec_validator")
    assert spec["openapi"].startswith("3.1.")
    validator.validate(spec)


def test_document_schemas_are_valid_json_schema(spec):
    from jsonschema import Draft202012Validator

    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    missing = [s for s in SCHEMAS if s not in spec["components"]["schemas"]]
    assert not missing, "schemas missing: %s" % missing


def test_document_has_every_contract_endpoint_with_its_role(spec):
    found = {(m, p): op.get("x-asyncz-role") for m, p, op in operations(spec)}
    for key, role in CONTRACT.items():
        assert key in found, "%s %s is not in the document" % key
        assert found[key] == role, "%s %s: x-asyncz-role %r, the contract says %r" % (key + (found[key], role))
    extra = set(found) - set(CONTRACT)
    assert not extra, "operations the contract does not have: %s" % sorted(extra)


def test_document_lists_the_error_statuses(spec):
    for method, path, op in operations(spec):
        where = "%s %s" % (method.upper(), path)
        role = op.get("x-asyncz-role")
        assert role in ROLE_NAMES, "%s: x-asyncz-role %r" % (where, role)
        assert op.get("operationId"), where
        assert role in op.get("description", "").lower() or role == "none", (
            "%s: the description should name the role %s" % (where, role))
        codes = set(op["responses"])
        if role != "none":
            assert "401" in codes, "%s: needs a role but lists no 401" % where
            assert {"bearerAuth": []} in op["security"], where
        if role in ("operator", "admin"):
            assert "403" in codes, "%s: role %s but no 403" % (where, role)
        if "requestBody" in op:
            assert {"400", "413", "415", "422"} <= codes, "%s: a body but not 400/413/415/422: %s" % (where, codes)
        if "{" in path:
            assert "404" in codes, "%s: a path parameter but no 404" % where
        if method != "get" and role != "none":
            assert {"sessionCookie": [], "csrfHeader": []} in op["security"], (
                "%s: a session's request needs the CSRF header" % where)
        for code, resp in op["responses"].items():
            if path.startswith("/api/") and code.startswith(("4", "5")) and "$ref" not in resp:
                assert "application/json" in resp["content"], "%s %s: errors are JSON" % (where, code)


def test_document_path_parameters_are_declared(spec):
    for path, item in spec["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        declared = set()
        for p in item.get("parameters", []):
            if "$ref" in p:
                p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
            if p["in"] == "path":
                declared.add(p["name"])
        assert names == declared, "%s: path parameters %s, declared %s" % (path, names, declared)


# ---- meta ----------------------------------------------------------------------------------------------


def test_openapi_is_served_as_built(api):
    r = api.anon.get("/api/v1/openapi.json")
    assert r.status == 200
    with open(SPEC_PATH, encoding="utf-8") as f:
        assert r.json() == json.load(f), "the served document differs from src/cli/http/openapi.json"


def test_health_and_ready(api):
    r = api.anon.get("/healthz")
    assert r.status == 200
    r = api.anon.get("/readyz")
    assert r.status == 200, "the SQLite store is reachable: %r" % r


def test_metrics(api):
    assert api.anon.get("/metrics").status == 401
    r = api.viewer.get("/metrics")
    assert r.status == 200
    text = r.text()
    assert re.search(r"^# TYPE \w+ (counter|gauge|histogram|summary)$", text, re.M), text[:500]
    for line in text.splitlines():
        assert line.startswith("#") or not line or re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+( \d+)?$", line), (
            "not a Prometheus sample line: %r" % line)


def test_console_pages(api):
    for path in ("/", "/console"):
        r = api.anon.get(path)
        assert r.status == 302
        assert r.headers["Location"] == "/console/", r.headers["Location"]
    r = api.anon.get("/console/")
    assert r.status == 200
    assert b"<html" in r.body.lower()
    assert api.anon.get("/console/assets/no-such-file.js").status == 404
    assets = re.findall(r"""(?:src|href)=["'](?:\./|/console/)?assets/([A-Za-z0-9._/-]+)["']""", r.text())
    if not assets:
        pytest.skip("the console's page references no asset under assets/")
    r = api.anon.get("/console/assets/" + assets[0])
    assert r.status == 200
    etag = r.headers.get("ETag")
    if etag:
        assert api.anon.get("/console/assets/" + assets[0], headers={"If-None-Match": etag}).status == 304


# ---- status and tasks ----------------------------------------------------------------------------------


def test_status(api, daemon):
    assert api.anon.get("/api/v1/status").status == 401
    s = api.viewer.get("/api/v1/status").json()
    assert s["pid"] == daemon.proc.pid
    assert s["state"] == "running"
    assert s["zone"] == "UTC"
    assert [st["name"] for st in s["stores"]] == ["default"]
    assert s["stores"][0]["history"] is True
    assert s["tasks"]["total"] >= len(CONFIG_TASK_IDS)
    assert s["tasks"]["paused"] >= 1
    assert any(e["name"] == "default" and e["type"] == "processpool" and e["workers"] == 2 for e in s["executors"])


def test_tasks_list_filters_sort_and_pages(api):
    r = api.viewer.get("/api/v1/tasks")
    assert r.status == 200
    page = r.json()
    ids = [t["id"] for t in page["items"]]
    for task_id in CONFIG_TASK_IDS:
        assert task_id in ids
    assert page["total"] >= len(CONFIG_TASK_IDS)
    assert all("last_run" in t for t in page["items"]), "list items carry last_run"

    paused = api.viewer.get("/api/v1/tasks", query={"state": "paused"}).json()["items"]
    assert "t-paused" in [t["id"] for t in paused]
    assert all(t["state"] == "paused" for t in paused)

    found = api.viewer.get("/api/v1/tasks", query={"q": "nightly"}).json()["items"]
    assert [t["id"] for t in found] == ["t-nightly"]
    found = api.viewer.get("/api/v1/tasks", query={"q": "NIGHTLY REP"}).json()["items"]
    assert [t["id"] for t in found] == ["t-nightly"], "q matches the name too, ignoring case"

    up = [t["id"] for t in api.viewer.get("/api/v1/tasks", query={"sort": "id", "limit": 500}).json()["items"]]
    down = [t["id"] for t in api.viewer.get("/api/v1/tasks", query={"sort": "-id", "limit": 500}).json()["items"]]
    assert up == sorted(up) and down == sorted(down, reverse=True) and sorted(up) == sorted(down)

    seen, cursor = [], None
    for _ in range(len(up) + 1):
        query = {"sort": "id", "limit": 1}
        if cursor:
            query["cursor"] = cursor
        p = api.viewer.get("/api/v1/tasks", query=query).json()
        assert len(p["items"]) <= 1
        seen += [t["id"] for t in p["items"]]
        cursor = p["next_cursor"]
        if not cursor:
            break
    assert seen == up, "pages of one, followed by their cursors, give the whole list once"

    assert api.viewer.get("/api/v1/tasks", query={"store": "no-such-store"}).status == 404


def test_task_get(api):
    r = api.viewer.get("/api/v1/tasks/t-nightly")
    assert r.status == 200
    t = r.json()
    assert t["id"] == "t-nightly" and t["name"] == "Nightly report"
    assert t["command"] == "echo nightly" and t["function"] == "asyncz.shell"
    assert t["trigger_kind"] == "cron"
    assert len(t["next_run_times"]) == 5
    assert all(x.endswith("T03:00:00+00:00") for x in t["next_run_times"])
    assert "max_instances" in t and "coalesce" in t, "one task is shown in full"
    assert api.viewer.get("/api/v1/tasks/no-such-task").status == 404


def test_task_create_update_remove(api):
    task_id = unique("openapi")
    r = api.operator.post("/api/v1/tasks", {"id": task_id, "cron": "0 9 * * mon-fri", "function": "greet.hello",
                                            "args": '["api"]', "timezone": "Europe/Berlin"})
    assert r.status == 201, r
    t = r.json()
    assert t["id"] == task_id and t["function"] == "greet.hello" and t["timezone"] == "Europe/Berlin"
    assert api.operator.post("/api/v1/tasks", {"id": task_id, "interval": "1h", "function": "greet.hello"}).status == 409
    r = api.operator.post("/api/v1/tasks", {"id": task_id, "interval": "1h", "function": "greet.hello",
                                            "replace": True})
    assert r.status == 201 and r.json()["trigger_kind"] == "interval"

    r = api.operator.post("/api/v1/tasks", {"id": unique("bad"), "cron": "0 61 * * *", "function": "greet.hello"})
    assert r.status == 422
    assert r.json()["error"].get("field") == "cron", r.json()

    r = api.operator.patch("/api/v1/tasks/" + task_id, {"cron": "30 2 * * *", "interval": None},
                           query={"dry_run": "true"})
    assert r.status == 200, r
    change = r.json()
    assert change["applied"] is False and change["dry_run"] is True
    assert change["task"]["trigger_kind"] == "cron", "a dry run answers the task as it would be"
    assert [c for c in change["changes"] if c["field"] == "trigger"], change["changes"]
    assert api.viewer.get("/api/v1/tasks/" + task_id).json()["trigger_kind"] == "interval", "and changes nothing"
    r = api.operator.patch("/api/v1/tasks/" + task_id, {"cron": "30 2 * * *", "interval": None})
    change = r.json()
    assert change["applied"] is True and change["task"]["trigger_kind"] == "cron"
    assert change["changes"], "the diff names what changed"
    assert api.operator.patch("/api/v1/tasks/no-such-task", {"name": "x"}).status == 404

    r = api.operator.delete("/api/v1/tasks/" + task_id)
    assert r.status == 204 and r.body == b""
    assert api.operator.delete("/api/v1/tasks/" + task_id).status == 404


def test_pause_resume_run(api):
    task_id = create_function_task(api.operator)
    r = api.operator.post("/api/v1/tasks/%s/pause" % task_id)
    assert r.status == 200 and r.json()["state"] == "paused" and r.json()["next_run_time"] is None
    r = api.operator.post("/api/v1/tasks/%s/resume" % task_id)
    assert r.status == 200 and r.json()["state"] == "scheduled"
    r = api.operator.post("/api/v1/tasks/%s/run" % task_id)
    assert r.status == 202 and r.json()["requested"] is True and r.json()["id"] == task_id
    for action in ("pause", "resume", "run"):
        assert api.operator.post("/api/v1/tasks/no-such-task/" + action).status == 404


def test_bulk(api):
    ids = [create_function_task(api.operator) for _ in range(2)]
    r = api.operator.post("/api/v1/tasks/bulk", {"action": "pause", "ids": ids + ["no-such-task"]})
    assert r.status == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == ids + ["no-such-task"]
    assert [x["ok"] for x in results] == [True, True, False]
    assert results[2]["error"]["code"]
    for task_id in ids:
        assert api.viewer.get("/api/v1/tasks/" + task_id).json()["state"] == "paused"
    r = api.operator.post("/api/v1/tasks/bulk", {"action": "remove", "ids": ids})
    assert all(x["ok"] for x in r.json()["results"])
    assert api.operator.post("/api/v1/tasks/bulk", {"action": "explode", "ids": ids}).status == 422


def test_preview_flags_dst(api):
    r = api.viewer.post("/api/v1/preview", {"cron": "30 2 * * *", "timezone": "Europe/Berlin",
                                           "start": "2026-03-28T00:00:00+01:00", "count": 3})
    assert r.status == 200, r
    p = r.json()
    assert p["timezone"] == "Europe/Berlin" and p["description"]
    assert [t["time"] for t in p["times"]] == ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00",
                                               "2026-03-30T02:30:00+02:00"]
    assert [t["note"] for t in p["times"]] == [None, "dst_gap", None]
    assert p["times"][0]["epoch"] == 1774661400

    p = api.viewer.post("/api/v1/preview", {"cron": "30 2 * * *", "timezone": "Europe/Berlin",
                                           "start": "2026-10-24T00:00:00+02:00", "count": 3}).json()
    assert [t["note"] for t in p["times"]] == [None, "dst_overlap", None]

    assert len(api.viewer.post("/api/v1/preview", {"interval": "1m"}).json()["times"]) == 10, "count: 10 by default"
    assert api.viewer.post("/api/v1/preview", {"cron": "* * *"}).status == 422
    assert api.viewer.post("/api/v1/preview", {"interval": "1m", "count": 101}).status == 422


# ---- runs, events, audit -------------------------------------------------------------------------------


def read_event(resp, seconds):
    """The first event of an SSE stream within seconds: (name, data)."""
    deadline = time.monotonic() + seconds
    name = None
    while time.monotonic() < deadline:
        line = resp.readline()
        if not line:
            pytest.fail("the event stream ended")
        line = line.decode("utf-8").rstrip("\r\n")
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:") and name:
            return name, json.loads(line[5:].strip())
    pytest.fail("no event within %ds" % seconds)


def test_events_runs_and_output(api, daemon, checker):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
    conn.request("GET", "/api/v1/events", headers={"Authorization": "Bearer " + daemon.tokens["viewer"],
                                                   "Accept": "text/event-stream"})
    stream = conn.getresponse()
    try:
        assert stream.status == 200
        assert stream.getheader("Content-Type", "").startswith("text/event-stream")
        checker.seen.add(("get", "/api/v1/events", "200"))
        assert api.operator.post("/api/v1/tasks/t-hello/run").status == 202
        name, data = read_event(stream, 20)
        assert re.match(r"^[A-Z_]+$", name), name
        checker.validate({"$ref": "#/components/schemas/Event"}, data, "event " + name)
    finally:
        conn.close()

    def finished_run():
        items = api.viewer.get("/api/v1/runs", query={"task": "t-hello"}).json()["items"]
        done = [r for r in items if r["outcome"] != "running"]
        return done[0] if done else None

    run = wait_for("a finished run of t-hello in /api/v1/runs", finished_run)
    assert run["outcome"] == "succeeded" and run["source"] == "request" and run["store_alias"] == "default"
    r = api.viewer.get("/api/v1/runs/" + run["run_id"])
    assert r.status == 200
    full = r.json()
    assert [line["text"] for line in full["output"] if line["stream"] == "stdout"] == ["hello from t-hello"]
    assert api.viewer.get("/api/v1/runs/00000000-0000-7000-8000-000000000000").status == 404

    page = api.viewer.get("/api/v1/runs", query={"outcome": "failed,timed_out", "since": "1h"}).json()
    assert all(r["outcome"] in ("failed", "timed_out") for r in page["items"])
    assert api.viewer.get("/api/v1/runs", query={"outcome": "exploded"}).status == 400
    assert api.viewer.get("/api/v1/runs", query={"since": "yesterday-ish"}).status == 400
    page = api.viewer.get("/api/v1/runs", query={"limit": 1}).json()
    assert len(page["items"]) == 1


def test_audit_names_the_principal(api):
    task_id = create_function_task(api.operator)
    assert api.operator.post("/api/v1/tasks/%s/pause" % task_id).status == 200
    r = api.viewer.get("/api/v1/audit", query={"task": task_id})
    assert r.status == 200
    entries = r.json()["items"]
    assert [e["action"] for e in entries] == ["pause", "add"], "newest first"
    assert all("ci-operator" in e["actor"] for e in entries), [e["actor"] for e in entries]
    mine = api.viewer.get("/api/v1/audit", query={"actor": entries[0]["actor"], "limit": 500}).json()["items"]
    assert mine and all(e["actor"] == entries[0]["actor"] for e in mine)


# ---- instances and quarantine --------------------------------------------------------------------------


def test_instances(api, daemon):
    r = api.viewer.get("/api/v1/instances")
    assert r.status == 200
    items = r.json()["items"]
    mine = [i for i in items if i["pid"] == daemon.proc.pid]
    assert len(mine) == 1, items
    assert mine[0]["store"] == "default" and mine[0]["alive"] is True


def test_quarantine(api, daemon):
    r = api.viewer.get("/api/v1/quarantine")
    assert r.status == 200
    assert api.admin.post("/api/v1/quarantine/default/no-such-record/retry").status == 404
    assert api.admin.delete("/api/v1/quarantine/no-such-store/x").status == 404
    if not daemon.quarantine_seeded:
        pytest.skip("could not seed the store's quarantine (the SQLite layout changed?)")
    records = {q["id"]: q for q in r.json()["items"]}
    assert {"q-restorable", "q-garbage"} <= set(records), records
    assert records["q-garbage"]["store"] == "default" and records["q-garbage"]["reason"]

    r = api.admin.post("/api/v1/quarantine/default/q-garbage/retry")
    assert r.status == 422, "bytes no scheduler reads cannot be restored: %r" % r
    r = api.admin.post("/api/v1/quarantine/default/q-restorable/retry")
    assert r.status == 200, r
    assert r.json()["id"] == "q-restorable"
    assert api.viewer.get("/api/v1/tasks/q-restorable").status == 200

    r = api.admin.delete("/api/v1/quarantine/default/q-garbage")
    assert r.status == 200 and r.json()["dropped"] == 1, r
    remaining = [q["id"] for q in api.viewer.get("/api/v1/quarantine").json()["items"]]
    assert "q-garbage" not in remaining and "q-restorable" not in remaining
    assert api.admin.delete("/api/v1/quarantine/default/q-garbage").status == 404


# ---- sessions ------------------------------------------------------------------------------------------


def test_session_login_and_logout(api, daemon, checker):
    r = api.anon.get("/api/v1/session")
    assert r.status == 200
    me = r.json()
    assert (me["authenticated"], me["user"], me["role"], me["csrf_token"]) == (False, None, None, None), me

    r = api.anon.post("/api/v1/session", {"user": "otto", "password": "wrong"})
    assert r.status == 401

    session = daemon.login("operator", checker)
    r = session.get("/api/v1/session")
    me = r.json()
    assert me["via"] == "session" and me["expires"]
    assert me["authenticated"] is True and me["user"] == "otto" and me["role"] == "operator"
    assert me["csrf_token"] == session.csrf
    assert session.get("/api/v1/status").status == 200

    assert session.delete("/api/v1/session", send_csrf=False).status == 403
    assert session.delete("/api/v1/session").status == 204
    r = session.get("/api/v1/session")
    assert r.status == 401 or r.json()["authenticated"] is False, "an ended session is not authenticated: %r" % r
    assert session.get("/api/v1/status").status == 401, "a session ends at logout"


# ---- the last test: coverage ---------------------------------------------------------------------------


def test_zz_every_operation_was_exercised(spec, checker):
    """Every operation of the document answered at least once with a status it lists (in this module or
    the ones before it)."""
    seen = {(m, p) for m, p, _ in checker.seen}
    missing = sorted((m.upper(), p) for m, p, _ in operations(spec) if (m, p) not in seen)
    assert not missing, "operations never exercised: %s" % missing
