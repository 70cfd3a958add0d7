/* The JSON API's task handlers (src/cli/http/api_*.c) on a real scheduler (http_api_fixture.h): status,
 * create (and every way it is refused), get, update with and without a dry run, remove, pause/resume/run,
 * bulk, the audit trail's actor, pages of tasks, and the OpenAPI document. */
#include "http_api_fixture.h"

#include <pthread.h>

#define O AZ_HTTP_ROLE_OPERATOR
#define V AZ_HTTP_ROLE_VIEWER
#define A AZ_HTTP_ROLE_ADMIN

static int setup(void **state)
{
    *state = az_fx_new();
    return 0;
}

static int teardown(void **state)
{
    az_fx_free(*state);
    return 0;
}

/* Create a yearly function task id in store (NULL: the default). */
static void create(az_fx *f, const char *id, const char *store)
{
    char body[512];
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"function\": \"ok\", \"cron\": \"0 0 1 1 *\"%s%s%s}", id,
             store ? ", \"store\": \"" : "", store ? store : "", store ? "\"" : "");
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks", body, 201));
}

/* ---- status -------------------------------------------------------------------------------------------- */

static void test_status(void **state)
{
    az_fx *f = *state;
    create(f, "a", NULL);
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/status", NULL, 200);
    assert_string_equal(az_fx_str(doc, "version"), asyncz_version());
    assert_string_equal(az_fx_str(doc, "state"), "running");
    assert_string_equal(az_fx_str(doc, "zone"), "UTC");
    assert_string_equal(az_fx_str(doc, "identity"), asyncz_scheduler_identity(f->s));
    assert_true(json_is_integer(json_object_get(doc, "pid")));
    assert_true(json_is_integer(json_object_get(doc, "uptime_seconds")));
    assert_true(json_is_string(json_object_get(doc, "started")));
    json_t *stores = json_object_get(doc, "stores");
    assert_int_equal(json_array_size(stores), 2);
    assert_string_equal(az_fx_str(json_array_get(stores, 0), "name"), "default");
    assert_true(json_is_true(json_object_get(json_array_get(stores, 0), "history")));
    json_t *ex = json_array_get(json_object_get(doc, "executors"), 0);
    assert_string_equal(az_fx_str(ex, "type"), "threadpool");
    assert_int_equal(json_integer_value(json_object_get(ex, "workers")), 2);
    json_t *tasks = json_object_get(doc, "tasks");
    assert_int_equal(json_integer_value(json_object_get(tasks, "total")), 1);
    assert_int_equal(json_integer_value(json_object_get(tasks, "scheduled")), 1);
    json_t *hour = json_object_get(json_object_get(doc, "runs"), "last_hour");
    assert_true(json_is_integer(json_object_get(hour, "succeeded")));
    assert_true(json_is_integer(json_object_get(hour, "failed")));
    assert_true(json_is_integer(json_object_get(hour, "late")));
    json_decref(doc);
}

static void test_status_masks_passwords(void **state)
{
    az_fx *f = *state;
    char *url = f->cfg->stores[1].url; /* not connected to: only shown */
    f->cfg->stores[1].url = "postgresql://u:s3cret@db.example/asyncz";
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/status", NULL, 200);
    f->cfg->stores[1].url = url;
    const char *shown = az_fx_str(json_array_get(json_object_get(doc, "stores"), 1), "url");
    assert_null(strstr(shown, "s3cret"));
    assert_non_null(strstr(shown, "***"));
    json_decref(doc);
}

/* ---- create -------------------------------------------------------------------------------------------- */

static void test_create_and_get(void **state)
{
    az_fx *f = *state;
    json_t *doc =
        az_fx_expect(f, O, "POST", "/api/v1/tasks",
                     "{\"id\": \"backup\", \"function\": \"ok\", \"args\": [1, \"x\"], \"cron\": \"0 9 * * "
                     "mon-fri\", \"max_instances\": 2, \"coalesce\": false, \"day-of-week\": null}",
                     201);
    assert_string_equal(f->location, "/api/v1/tasks/backup");
    assert_string_equal(az_fx_str(doc, "id"), "backup");
    assert_string_equal(az_fx_str(doc, "name"), "backup"); /* named after its id, as the config does */
    assert_string_equal(az_fx_str(doc, "store"), "default");
    assert_string_equal(az_fx_str(doc, "function"), "ok");
    assert_int_equal(json_integer_value(json_object_get(doc, "max_instances")), 2);
    assert_true(json_is_false(json_object_get(doc, "coalesce")));
    assert_int_equal(json_array_size(json_object_get(doc, "args")), 2);
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/backup", NULL, 200);
    assert_string_equal(az_fx_str(doc, "state"), "scheduled");
    assert_int_equal(json_array_size(json_object_get(doc, "next_run_times")), 5);
    assert_true(json_is_null(json_object_get(doc, "last_run")));
    assert_non_null(strstr(az_fx_str(doc, "next_run_time"), "T09:00:00+00:00"));
    json_decref(doc);
    /* paused, in the memory store, with a generated id */
    doc = az_fx_expect(f, O, "POST", "/api/v1/tasks",
                       "{\"function\": \"ok\", \"interval\": 60, \"paused\": true, \"store\": \"mem\"}", 201);
    assert_string_equal(az_fx_str(doc, "state"), "paused");
    assert_string_equal(az_fx_str(doc, "store"), "mem");
    assert_true(strlen(az_fx_str(doc, "id")) > 8);
    json_decref(doc);
}

static void test_create_duplicate_and_replace(void **state)
{
    az_fx *f = *state;
    create(f, "dup", NULL);
    json_t *doc = az_fx_expect(f, O, "POST", "/api/v1/tasks",
                               "{\"id\": \"dup\", \"function\": \"ok\", \"cron\": \"0 0 1 1 *\"}", 409);
    json_t *e = az_fx_error(doc);
    assert_string_equal(az_fx_str(e, "code"), "already_exists");
    assert_non_null(strstr(az_fx_str(e, "message"), "replace"));
    json_decref(doc);
    doc = az_fx_expect(
        f, O, "POST", "/api/v1/tasks",
        "{\"id\": \"dup\", \"replace\": true, \"function\": \"ok\", \"cron\": \"0 0 2 1 *\", \"name\": "
        "\"again\"}",
        201);
    assert_string_equal(az_fx_str(doc, "name"), "again");
    json_decref(doc);
}

static void test_create_bad_bodies(void **state)
{
    az_fx *f = *state;
    int status;
    /* not JSON */
    json_t *doc = az_fx_expect(f, O, "POST", "/api/v1/tasks", "{\"id\": ", 400);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "invalid_json");
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "column"));
    json_decref(doc);
    /* JSON, but not an object: 422, as a member of the wrong type */
    doc = az_fx_expect(f, O, "POST", "/api/v1/tasks", "[1, 2]", 422);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "invalid_body");
    json_decref(doc);
    /* no body */
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks", NULL, 415));
    /* another content type */
    az_http_pair form = {"Content-Type", "application/x-www-form-urlencoded"};
    doc = az_fx_call_with(f, O, "POST", "/api/v1/tasks", "id=x", &form, &status);
    assert_int_equal(status, 415);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "unsupported_media_type");
    json_decref(doc);
    /* with a charset it is JSON */
    az_http_pair charset = {"Content-Type", "application/json; charset=utf-8"};
    doc = az_fx_call_with(f, O, "POST", "/api/v1/tasks",
                          "{\"id\": \"cs\", \"function\": \"ok\", \"cron\": \"@daily\"}", &charset, &status);
    assert_int_equal(status, 201);
    json_decref(doc);
}

/* A 422 about field, its message containing text. */
static void expect_field(az_fx *f, az_http_role role, const char *method, const char *target,
                         const char *body, const char *field, const char *text)
{
    json_t *doc = az_fx_expect(f, role, method, target, body, 422);
    json_t *e = az_fx_error(doc);
    const char *got = json_string_value(json_object_get(e, "field"));
    if (!got || strcmp(got, field) != 0 || !strstr(az_fx_str(e, "message"), text)) {
        char *dump = json_dumps(doc, JSON_COMPACT);
        fail_msg("%s: wanted field %s saying \"%s\", got %s", body, field, text, dump);
    }
    json_decref(doc);
}

static void test_create_invalid_tasks(void **state)
{
    az_fx *f = *state;
    const char *t = "/api/v1/tasks";
    expect_field(f, O, "POST", t,
                 "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"0 0 1 1 *\", \"colour\": 1}", "colour",
                 "unknown field");
    expect_field(f, O, "POST", t, "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"0 61 * * *\"}", "cron",
                 "field 'cron': '0 61 * * *': column 3");
    expect_field(f, O, "POST", t, "{\"id\": \"x\", \"function\": \"ok\", \"day-of-week\": \"mon-zzz\"}",
                 "day-of-week", "day-of-week");
    expect_field(f, O, "POST", t, "{\"id\": \"x\", \"function\": \"nope\", \"cron\": \"@daily\"}", "function",
                 "no function of that name is registered");
    expect_field(f, O, "POST", t,
                 "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"@daily\", \"store\": \"zz\"}", "store",
                 "default, mem");
    expect_field(f, O, "POST", t,
                 "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"@daily\", \"executor\": \"zz\"}",
                 "executor", "its executors: default");
    expect_field(f, O, "POST", t, "{\"id\": \"-x\", \"function\": \"ok\", \"cron\": \"@daily\"}", "id",
                 "not a valid task id");
    expect_field(f, O, "POST", t,
                 "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"@daily\", \"on_failure\": \"rm\"}",
                 "on_failure", "config file only");
    expect_field(f, O, "POST", t, "{\"id\": \"x\", \"function\": \"ok\", \"cron\": [\"@daily\"]}", "cron",
                 "string, a number or a boolean");
    expect_field(f, O, "POST", t, "{\"id\": \"x\", \"function\": \"ok\", \"at\": \"2001-01-01T00:00:00Z\"}",
                 "at", "past");
    expect_field(f, O, "POST", t,
                 "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"@daily\", \"max_instances\": 0}",
                 "max_instances", "max_instances");
    expect_field(f, O, "POST", t,
                 "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"@daily\", \"args\": {\"a\": 1}}", "args",
                 "not a JSON array");
    /* errors of the section as a whole have no field, but say what to do */
    json_t *doc = az_fx_expect(f, O, "POST", t, "{\"id\": \"x\", \"cron\": \"@daily\"}", 422);
    assert_null(json_object_get(az_fx_error(doc), "field"));
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "nothing to run"));
    json_decref(doc);
    doc = az_fx_expect(f, O, "POST", t,
                       "{\"id\": \"x\", \"function\": \"ok\", \"cron\": \"@daily\", \"interval\": 5}", 422);
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "combine"));
    json_decref(doc);
    /* nothing was made */
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks/x", NULL, 404));
}

static void test_command_tasks_need_admin_and_allow_commands(void **state)
{
    az_fx *f = *state;
    const char *body = "{\"id\": \"sh\", \"command\": \"echo hi\", \"cron\": \"@daily\"}";
    f->settings.allow_commands = true;
    json_t *doc = az_fx_expect(f, O, "POST", "/api/v1/tasks", body, 403);
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "admin"));
    json_decref(doc);
    f->settings.allow_commands = false;
    doc = az_fx_expect(f, A, "POST", "/api/v1/tasks", body, 403);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "commands_not_allowed");
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "allow_commands"));
    json_decref(doc);
    f->settings.allow_commands = true;
    doc = az_fx_expect(f, A, "POST", "/api/v1/tasks", body, 201);
    assert_string_equal(az_fx_str(doc, "command"), "echo hi");
    json_decref(doc);
    /* an operator may not change it, nor make a function task a command */
    json_decref(az_fx_expect(f, O, "PATCH", "/api/v1/tasks/sh", "{\"name\": \"x\"}", 403));
    create(f, "fn", NULL);
    json_decref(az_fx_expect(f, O, "PATCH", "/api/v1/tasks/fn", "{\"command\": \"rm -rf /\"}", 403));
    json_decref(
        az_fx_expect(f, O, "POST", "/api/v1/tasks",
                     "{\"id\": \"sh\", \"replace\": true, \"function\": \"ok\", \"cron\": \"@daily\"}", 403));
    /* an admin may */
    doc = az_fx_expect(f, A, "PATCH", "/api/v1/tasks/sh", "{\"command\": \"echo bye\", \"timeout\": \"30s\"}",
                       200);
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "command"), "echo bye");
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "timeout"), "30s");
    json_decref(doc);
    /* the operator can still pause and run it */
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks/sh/pause", NULL, 200));
}

/* ---- update -------------------------------------------------------------------------------------------- */

static void test_update_dry_run_changes_nothing(void **state)
{
    az_fx *f = *state;
    create(f, "u", NULL);
    json_t *before = az_fx_expect(f, V, "GET", "/api/v1/tasks/u", NULL, 200);
    json_t *doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/u?dry_run=true",
                               "{\"cron\": \"0 12 * * *\", \"name\": \"renamed\"}", 200);
    assert_true(json_is_false(json_object_get(doc, "applied")));
    assert_true(json_is_true(json_object_get(doc, "dry_run")));
    json_t *changes = json_object_get(doc, "changes");
    bool saw_name = false, saw_trigger = false;
    for (size_t i = 0; i < json_array_size(changes); i++) {
        json_t *c = json_array_get(changes, i);
        if (strcmp(az_fx_str(c, "field"), "name") == 0) {
            saw_name = true;
            assert_string_equal(az_fx_str(c, "before"), "u");
            assert_string_equal(az_fx_str(c, "after"), "renamed");
        }
        saw_trigger = saw_trigger || strcmp(az_fx_str(c, "field"), "trigger") == 0;
    }
    assert_true(saw_name && saw_trigger);
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "name"), "renamed");
    json_decref(doc);
    json_t *after = az_fx_expect(f, V, "GET", "/api/v1/tasks/u", NULL, 200);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
}

static void test_update_applies_and_resets(void **state)
{
    az_fx *f = *state;
    create(f, "u", NULL);
    json_t *doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/u",
                               "{\"name\": \"nice\", \"max_instances\": 3, \"args\": [7]}", 200);
    assert_true(json_is_true(json_object_get(doc, "applied")));
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/u", NULL, 200);
    assert_string_equal(az_fx_str(doc, "name"), "nice");
    assert_int_equal(json_integer_value(json_object_get(doc, "max_instances")), 3);
    assert_string_equal(az_fx_str(doc, "trigger_kind"), "cron"); /* the trigger was kept */
    char *next = strdup(az_fx_str(doc, "next_run_time"));
    json_decref(doc);
    /* null: back to the default (the id for the name, [scheduler]'s for the rest) */
    doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/u", "{\"name\": null, \"max_instances\": null}", 200);
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "name"), "u");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "task"), "max_instances")), 1);
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "next_run_time"), next);
    json_decref(doc);
    free(next);
    /* a new trigger keeps the old one's zone and gets a next run time */
    create(f, "z", NULL);
    json_decref(az_fx_expect(f, O, "PATCH", "/api/v1/tasks/z",
                             "{\"cron\": \"0 9 * * *\", \"timezone\": \"Europe/Berlin\"}", 200));
    doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/z", "{\"cron\": \"0 10 * * *\"}", 200);
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "timezone"), "Europe/Berlin");
    json_decref(doc);
    /* no change: nothing written */
    doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/z", "{}", 200);
    assert_int_equal(json_array_size(json_object_get(doc, "changes")), 0);
    assert_true(json_is_false(json_object_get(doc, "applied")));
    json_decref(doc);
    /* pausing through an update */
    doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/z", "{\"paused\": true}", 200);
    assert_string_equal(az_fx_str(json_object_get(doc, "task"), "state"), "paused");
    json_decref(doc);
}

static void test_update_refusals(void **state)
{
    az_fx *f = *state;
    create(f, "u", NULL);
    json_t *doc = az_fx_expect(f, O, "PATCH", "/api/v1/tasks/nope", "{\"name\": \"x\"}", 404);
    assert_string_equal(az_fx_str(az_fx_error(doc), "message"), "no task 'nope' in any store");
    json_decref(doc);
    expect_field(f, O, "PATCH", "/api/v1/tasks/u", "{\"cron\": \"0 99 * * *\"}", "cron", "column 3");
    expect_field(f, O, "PATCH", "/api/v1/tasks/u", "{\"id\": \"other\"}", "id", "cannot change");
    expect_field(f, O, "PATCH", "/api/v1/tasks/u", "{\"store\": \"mem\"}", "store", "cannot move");
    expect_field(f, O, "PATCH", "/api/v1/tasks/u", "{\"replace\": true}", "replace", "unknown field");
    expect_field(f, O, "PATCH", "/api/v1/tasks/u", "{\"function\": \"nope\"}", "function", "registered");
    json_decref(az_fx_expect(f, O, "PATCH", "/api/v1/tasks/u?dry_run=maybe", "{}", 400));
    json_decref(az_fx_expect(f, O, "PATCH", "/api/v1/tasks/u", "not json", 400));
    json_decref(az_fx_expect(f, V, "PATCH", "/api/v1/tasks/u", "{}", 403)); /* the route wants an operator */
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/u", NULL, 200);
    assert_string_equal(az_fx_str(doc, "name"), "u");
    json_decref(doc);
}

/* ---- pause, resume, run, remove, bulk, audit --------------------------------------------------------- */

/* Poll the runs of task until one has finished; returns the page (new reference). */
static json_t *wait_for_run(az_fx *f, const char *task)
{
    char target[256];
    snprintf(target, sizeof target, "/api/v1/runs?task=%s&outcome=succeeded,failed", task);
    for (int i = 0; i < 500; i++) {
        json_t *doc = az_fx_expect(f, V, "GET", target, NULL, 200);
        if (json_array_size(json_object_get(doc, "items")) > 0)
            return doc;
        json_decref(doc);
        az_fx_sleep_ms(20);
    }
    fail_msg("no run of %s finished", task);
    return NULL;
}

static void test_pause_resume_and_audit_actor(void **state)
{
    az_fx *f = *state;
    create(f, "p", NULL);
    json_t *doc = az_fx_expect(f, O, "POST", "/api/v1/tasks/p/pause", NULL, 200);
    assert_string_equal(az_fx_str(doc, "state"), "paused");
    assert_true(json_is_null(json_object_get(doc, "next_run_time")));
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/audit?task=p&action=pause", NULL, 200);
    json_t *e = json_array_get(json_object_get(doc, "items"), 0);
    assert_non_null(e);
    assert_string_equal(az_fx_str(e, "action"), "pause");
    assert_string_equal(az_fx_str(e, "actor"), "api:alice (operator, via token)");
    assert_string_equal(az_fx_str(e, "store"), "default");
    json_decref(doc);
    /* the thread's actor was reset after the change */
    assert_null(strstr(asyncz_actor(), "api:"));
    doc = az_fx_expect(f, O, "POST", "/api/v1/tasks/p/resume", NULL, 200);
    assert_string_equal(az_fx_str(doc, "state"), "scheduled");
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/audit?actor=api:alice%20(operator,%20via%20token)", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 3); /* add, pause, resume */
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/audit?actor=api:bob", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 0);
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/audit?task=p", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 3); /* add, pause, resume */
    assert_string_equal(az_fx_str(json_array_get(json_object_get(doc, "items"), 0), "action"), "resume");
    json_decref(doc);
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/audit?action=jump", NULL, 400));
    json_decref(az_fx_expect(f, V, "POST", "/api/v1/tasks/p/pause", NULL, 403));
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks/nope/pause", NULL, 404));
}

static void test_run_shows_in_history(void **state)
{
    az_fx *f = *state;
    create(f, "r", NULL);
    json_t *doc = az_fx_expect(f, O, "POST", "/api/v1/tasks/r/run", NULL, 202);
    assert_true(json_is_true(json_object_get(doc, "requested")));
    json_decref(doc);
    doc = wait_for_run(f, "r");
    json_t *run = json_array_get(json_object_get(doc, "items"), 0);
    assert_string_equal(az_fx_str(run, "outcome"), "succeeded");
    assert_string_equal(az_fx_str(run, "task_id"), "r");
    assert_string_equal(az_fx_str(run, "store"), "default");
    char target[128];
    snprintf(target, sizeof target, "/api/v1/runs/%s", az_fx_str(run, "run_id"));
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", target, NULL, 200);
    json_t *line = json_array_get(json_object_get(doc, "output"), 0);
    assert_string_equal(az_fx_str(line, "text"), "hello from the test");
    json_decref(doc);
    /* the task's last run, in the listing and on its page */
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks?q=r", NULL, 200);
    json_t *last = json_object_get(json_array_get(json_object_get(doc, "items"), 0), "last_run");
    assert_string_equal(az_fx_str(last, "outcome"), "succeeded");
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/r", NULL, 200);
    assert_string_equal(az_fx_str(json_object_get(doc, "last_run"), "outcome"), "succeeded");
    json_decref(doc);
    /* a run nobody has */
    doc = az_fx_expect(f, V, "GET", "/api/v1/runs/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", NULL, 404);
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "in any store"));
    json_decref(doc);
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/runs/not-a-run", NULL, 404));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/runs?outcome=bad", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/runs?since=yesterday", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/runs?store=nope", NULL, 404));
}

static void test_remove(void **state)
{
    az_fx *f = *state;
    create(f, "gone", NULL);
    int status;
    json_t *doc = az_fx_call(f, O, "DELETE", "/api/v1/tasks/gone", NULL, &status);
    assert_int_equal(status, 204);
    assert_null(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/gone", NULL, 404);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "not_found");
    json_decref(doc);
    doc = az_fx_expect(f, O, "DELETE", "/api/v1/tasks/gone?store=default", NULL, 404);
    assert_string_equal(az_fx_str(az_fx_error(doc), "message"), "no task 'gone' in store 'default'");
    json_decref(doc);
}

static void test_bulk(void **state)
{
    az_fx *f = *state;
    create(f, "b1", NULL);
    create(f, "b2", "mem");
    json_t *doc = az_fx_expect(f, O, "POST", "/api/v1/tasks/bulk",
                               "{\"action\": \"pause\", \"ids\": [\"b1\", \"missing\", \"b2\"]}", 200);
    json_t *r = json_object_get(doc, "results");
    assert_int_equal(json_array_size(r), 3);
    assert_true(json_is_true(json_object_get(json_array_get(r, 0), "ok")));
    assert_true(json_is_false(json_object_get(json_array_get(r, 1), "ok")));
    assert_string_equal(az_fx_str(json_object_get(json_array_get(r, 1), "error"), "code"), "not_found");
    assert_true(json_is_true(json_object_get(json_array_get(r, 2), "ok")));
    assert_string_equal(az_fx_str(json_array_get(r, 2), "store"), "mem");
    assert_int_equal(json_integer_value(json_object_get(doc, "failed")), 1);
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks?state=paused", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 2);
    json_decref(doc);
    expect_field(f, O, "POST", "/api/v1/tasks/bulk", "{\"action\": \"explode\", \"ids\": [\"b1\"]}", "action",
                 "pause");
    expect_field(f, O, "POST", "/api/v1/tasks/bulk", "{\"action\": \"run\", \"ids\": []}", "ids", "array");
    expect_field(f, O, "POST", "/api/v1/tasks/bulk", "{\"action\": \"run\", \"ids\": [1]}", "ids", "string");
    expect_field(f, O, "POST", "/api/v1/tasks/bulk",
                 "{\"action\": \"run\", \"ids\": [\"b1\"], \"store\": \"x\"}", "store", "default, mem");
    doc = az_fx_expect(f, O, "POST", "/api/v1/tasks/bulk",
                       "{\"action\": \"remove\", \"ids\": [\"b1\", \"b2\"]}", 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "succeeded")), 2);
    json_decref(doc);
}

static void test_same_id_in_two_stores(void **state)
{
    az_fx *f = *state;
    create(f, "twin", NULL);
    create(f, "twin", "mem");
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/twin", NULL, 409);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "ambiguous");
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "?store="));
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks/twin?store=mem", NULL, 200);
    assert_string_equal(az_fx_str(doc, "store"), "mem");
    json_decref(doc);
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks/twin/pause?store=mem", NULL, 200));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks/twin?store=nope", NULL, 404));
}

/* ---- pages of tasks ------------------------------------------------------------------------------------ */

/* Walk every page of target (with its ?sort...) at limit; each id must come once, n in all, in order. */
static void walk(az_fx *f, const char *target, size_t limit, size_t n, bool by_id_desc)
{
    char *seen = calloc(n, 1), last[64] = "";
    char url[512];
    char *cursor = NULL;
    size_t total = 0, pages = 0;
    do {
        snprintf(url, sizeof url, "%s%slimit=%zu%s%s", target, strchr(target, '?') ? "&" : "?", limit,
                 cursor ? "&cursor=" : "", cursor ? cursor : "");
        json_t *doc = az_fx_expect(f, V, "GET", url, NULL, 200);
        assert_int_equal(json_integer_value(json_object_get(doc, "total")), n);
        json_t *items = json_object_get(doc, "items");
        assert_true(json_array_size(items) <= limit);
        for (size_t i = 0; i < json_array_size(items); i++) {
            const char *id = az_fx_str(json_array_get(items, i), "id");
            int k = atoi(id + 1);
            assert_true(k >= 0 && (size_t)k < n);
            assert_false(seen[k]);
            seen[k] = 1;
            if (by_id_desc && last[0])
                assert_true(strcmp(id, last) < 0);
            snprintf(last, sizeof last, "%s", id);
            total++;
        }
        free(cursor);
        json_t *next = json_object_get(doc, "next_cursor");
        cursor = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
        assert_true(json_is_string(next) || json_is_null(next));
        json_decref(doc);
        pages++;
    } while (cursor);
    assert_int_equal(total, n);
    assert_int_equal(pages, (n + limit - 1) / limit);
    free(seen);
}

static void test_pages_of_tasks(void **state)
{
    az_fx *f = *state;
    for (int i = 0; i < 120; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%03d", i);
        create(f, id, i % 3 ? NULL : "mem");
    }
    walk(f, "/api/v1/tasks", 50, 120, false);
    walk(f, "/api/v1/tasks?sort=-id", 50, 120, true);
    walk(f, "/api/v1/tasks?sort=name", 7, 120, false);
    /* a task added between two pages shifts nothing */
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/tasks?sort=id&limit=10", NULL, 200);
    char *cursor = strdup(az_fx_str(doc, "next_cursor"));
    assert_string_equal(az_fx_str(json_array_get(json_object_get(doc, "items"), 9), "id"), "t009");
    json_decref(doc);
    create(f, "t000a", NULL);
    char url[512];
    snprintf(url, sizeof url, "/api/v1/tasks?sort=id&limit=10&cursor=%s", cursor);
    doc = az_fx_expect(f, V, "GET", url, NULL, 200);
    assert_string_equal(az_fx_str(json_array_get(json_object_get(doc, "items"), 0), "id"), "t010");
    json_decref(doc);
    /* a cursor of another sort, one that was tampered with, a bad limit */
    snprintf(url, sizeof url, "/api/v1/tasks?sort=name&cursor=%s", cursor);
    doc = az_fx_expect(f, V, "GET", url, NULL, 400);
    assert_string_equal(az_fx_str(az_fx_error(doc), "parameter"), "cursor");
    json_decref(doc);
    free(cursor);
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks?cursor=eyJrIjoicnVucyJ9", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks?cursor=%%%", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks?limit=0", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks?limit=501", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks?sort=colour", NULL, 400));
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/tasks?state=asleep", NULL, 400));
    /* filters */
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks?store=mem&limit=500", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 40);
    assert_string_equal(az_fx_str(json_array_get(json_object_get(doc, "items"), 0), "store"), "mem");
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/tasks?q=T11", NULL, 200); /* case-insensitive: t110..t119 */
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 10);
    json_decref(doc);
}

/* ---- many requests at once ------------------------------------------------------------------------------
 */

typedef struct worker {
    az_fx *f;
    int n;
    pthread_t thread;
    int wrong; /* answers that were not what the request called for */
} worker;

/* Valid and invalid tasks and previews, each invalid one with its own message: the config reader's
 * messages and its option parser's state are the calling thread's own. */
static void *hammer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 20; i++) {
        char body[256], want[64];
        int status;
        snprintf(body, sizeof body, "{\"id\": \"w%d-%d\", \"function\": \"ok\", \"cron\": \"0 %d * * *\"}",
                 w->n, i, i % 2 ? 60 + w->n : w->n);
        json_t *doc = az_fx_call(w->f, O, "POST", "/api/v1/tasks", body, &status);
        snprintf(want, sizeof want, "'0 %d * * *'", 60 + w->n);
        const char *message = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
        if (i % 2 ? status != 422 || !message || !strstr(message, want) : status != 201)
            w->wrong++;
        json_decref(doc);
        snprintf(body, sizeof body, "{\"interval\": \"%ds\", \"count\": %d}", w->n + 1, w->n + 1);
        doc = az_fx_call(w->f, V, "POST", "/api/v1/preview", body, &status);
        if (status != 200 || json_array_size(json_object_get(doc, "times")) != (size_t)w->n + 1)
            w->wrong++;
        json_decref(doc);
        doc = az_fx_call(w->f, V, "GET", "/api/v1/tasks?limit=5", NULL, &status);
        w->wrong += status != 200;
        json_decref(doc);
    }
    return NULL;
}

static void test_requests_on_many_threads(void **state)
{
    az_fx *f = *state;
    worker w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (worker){.f = f, .n = i};
        assert_int_equal(pthread_create(&w[i].thread, NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(w[i].thread, NULL);
        assert_int_equal(w[i].wrong, 0);
    }
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/tasks", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 60);
    json_decref(doc);
}

/* ---- the OpenAPI document ------------------------------------------------------------------------------ */

static void test_openapi(void **state)
{
    az_fx *f = *state;
    int status;
    json_t *doc = az_fx_call(f, AZ_HTTP_ROLE_NONE, "GET", "/api/v1/openapi.json", NULL, &status);
    assert_int_equal(status, 200);
    json_decref(doc);
    assert_true(f->etag[0] == '"');
    char etag[128];
    snprintf(etag, sizeof etag, "%s", f->etag);
    az_http_pair inm = {"If-None-Match", etag};
    doc = az_fx_call_with(f, AZ_HTTP_ROLE_NONE, "GET", "/api/v1/openapi.json", NULL, &inm, &status);
    assert_int_equal(status, 304);
    assert_null(doc);
    az_http_pair other = {"If-None-Match", "\"0000\""};
    json_decref(az_fx_call_with(f, AZ_HTTP_ROLE_NONE, "GET", "/api/v1/openapi.json", NULL, &other, &status));
    assert_int_equal(status, 200);
}

static void test_routes_and_roles(void **state)
{
    az_fx *f = *state;
    int status;
    json_decref(az_fx_call(f, AZ_HTTP_ROLE_NONE, "GET", "/api/v1/tasks", NULL, &status));
    assert_int_equal(status, 403);
    json_decref(az_fx_call(f, V, "PUT", "/api/v1/tasks", NULL, &status));
    assert_int_equal(status, 405);
    json_decref(az_fx_call(f, V, "POST", "/api/v1/tasks", "{}", &status));
    assert_int_equal(status, 403);
    json_decref(az_fx_call(f, O, "GET", "/api/v1/quarantine", NULL, &status));
    assert_int_equal(status, 200);
    json_decref(az_fx_call(f, O, "DELETE", "/api/v1/quarantine/default/x", NULL, &status));
    assert_int_equal(status, 403);
    /* every route answers, for each role at least its own */
    for (const az_http_route *r = az_http_api_routes; r->method; r++)
        assert_true(r->role == AZ_HTTP_ROLE_NONE || r->role == V || r->role == O || r->role == A);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_masks_passwords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_duplicate_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_bad_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_invalid_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_tasks_need_admin_and_allow_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_dry_run_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_applies_and_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_resume_and_audit_actor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_shows_in_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_id_in_two_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_of_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_on_many_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes_and_roles, setup, teardown),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
