/* The JSON API's read-mostly handlers on a real scheduler (http_api_fixture.h): the trigger preview and its
 * DST notes, run history and audit pages merged across two stores, instances, and the quarantine (list,
 * retry, drop). */
#include "http_api_fixture.h"

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

static void create(az_fx *f, const char *id, const char *store, const char *function)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"id\": \"%s\", \"function\": \"%s\", \"cron\": \"0 0 1 1 *\", \"store\": \"%s\"}", id,
             function, store);
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks", body, 201));
}

/* ---- preview ------------------------------------------------------------------------------------------- */

static void test_preview(void **state)
{
    az_fx *f = *state;
    json_t *doc = az_fx_expect(
        f, V, "POST", "/api/v1/preview",
        "{\"cron\": \"0 9 * * mon-fri\", \"start\": \"2026-06-05T12:00:00Z\", \"count\": 3}", 200);
    json_t *times = json_object_get(doc, "times");
    assert_int_equal(json_array_size(times), 3);
    assert_string_equal(az_fx_str(json_array_get(times, 0), "time"),
                        "2026-06-08T09:00:00+00:00"); /* a Monday */
    assert_string_equal(az_fx_str(json_array_get(times, 2), "time"), "2026-06-10T09:00:00+00:00");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(times, 0), "epoch")), 1780909200);
    assert_true(json_is_null(json_object_get(json_array_get(times, 0), "note")));
    assert_string_equal(az_fx_str(doc, "timezone"), "UTC");
    assert_non_null(strstr(az_fx_str(doc, "description"), "cron"));
    assert_true(json_is_false(json_object_get(doc, "exhausted")));
    json_decref(doc);
    /* default count 10; a one-shot is exhausted after its one time */
    doc = az_fx_expect(f, V, "POST", "/api/v1/preview", "{\"interval\": \"1h\"}", 200);
    assert_int_equal(json_array_size(json_object_get(doc, "times")), 10);
    json_decref(doc);
    doc = az_fx_expect(f, V, "POST", "/api/v1/preview", "{\"at\": \"2030-01-01T00:00:00Z\"}", 200);
    assert_int_equal(json_array_size(json_object_get(doc, "times")), 1);
    assert_true(json_is_true(json_object_get(doc, "exhausted")));
    json_decref(doc);
}

static void test_preview_dst_notes(void **state)
{
    az_fx *f = *state;
    /* Europe/Berlin springs forward on 2026-03-29 at 02:00 (to 03:00): 02:30 does not exist that night */
    json_t *doc = az_fx_expect(f, V, "POST", "/api/v1/preview",
                               "{\"cron\": \"30 2 * * *\", \"timezone\": \"Europe/Berlin\", \"start\": "
                               "\"2026-03-27T12:00\", \"count\": 3}",
                               200);
    json_t *times = json_object_get(doc, "times");
    assert_string_equal(az_fx_str(doc, "timezone"), "Europe/Berlin");
    assert_string_equal(az_fx_str(json_array_get(times, 0), "time"), "2026-03-28T02:30:00+01:00");
    assert_true(json_is_null(json_object_get(json_array_get(times, 0), "note")));
    assert_string_equal(az_fx_str(json_array_get(times, 1), "time"), "2026-03-29T03:00:00+02:00");
    assert_string_equal(az_fx_str(json_array_get(times, 1), "note"), "dst_gap");
    assert_true(json_is_null(json_object_get(json_array_get(times, 2), "note")));
    json_decref(doc);
    /* and falls back on 2026-10-25 at 03:00 (to 02:00): 02:30 happens twice */
    doc = az_fx_expect(
        f, V, "POST", "/api/v1/preview",
        "{\"cron\": \"30 2 * * *\", \"timezone\": \"Europe/Berlin\", \"start\": \"2026-10-24T12:00\", "
        "\"count\": 2}",
        200);
    times = json_object_get(doc, "times");
    assert_string_equal(az_fx_str(json_array_get(times, 0), "time"), "2026-10-25T02:30:00+02:00");
    assert_string_equal(az_fx_str(json_array_get(times, 0), "note"), "dst_overlap");
    assert_true(json_is_null(json_object_get(json_array_get(times, 1), "note")));
    json_decref(doc);
}

static void test_preview_refusals(void **state)
{
    az_fx *f = *state;
    struct {
        const char *body, *field, *text;
    } cases[] = {
        {"{\"cron\": \"0 9 * * mon-fry\"}", "cron", "column"},
        {"{\"cron\": \"@daily\", \"timezone\": \"Mars/Olympus\"}", "timezone", "Mars/Olympus"},
        {"{\"cron\": \"@daily\", \"count\": 101}", "count", "1 to 100"},
        {"{\"cron\": \"@daily\", \"count\": 0}", "count", "1 to 100"},
        {"{\"cron\": \"@daily\", \"start\": \"tomorrow\"}", "start", "ISO-8601"},
        {"{\"cron\": \"@daily\", \"function\": \"ok\"}", "function", "trigger keys"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *doc = az_fx_expect(f, V, "POST", "/api/v1/preview", cases[i].body, 422);
        json_t *e = az_fx_error(doc);
        const char *field = json_string_value(json_object_get(e, "field"));
        if (!field || strcmp(field, cases[i].field) != 0 || !strstr(az_fx_str(e, "message"), cases[i].text))
            fail_msg("%s: %s", cases[i].body, az_fx_str(e, "message"));
        json_decref(doc);
    }
    json_t *doc = az_fx_expect(f, V, "POST", "/api/v1/preview", "{}", 422);
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "no trigger"));
    json_decref(doc);
    json_decref(az_fx_expect(f, V, "POST", "/api/v1/preview", "{\"cron\": ", 400));
    json_decref(az_fx_expect(f, AZ_HTTP_ROLE_NONE, "POST", "/api/v1/preview", "{}", 403));
}

/* ---- runs and audit across stores -------------------------------------------------------------------- */

/* Run task id and wait until it has n finished runs. */
static void run_and_wait(az_fx *f, const char *id, size_t n)
{
    char target[256];
    snprintf(target, sizeof target, "/api/v1/tasks/%s/run", id);
    json_decref(az_fx_expect(f, O, "POST", target, NULL, 202));
    snprintf(target, sizeof target, "/api/v1/runs?task=%s&outcome=succeeded,failed", id);
    for (int i = 0; i < 500; i++) {
        json_t *doc = az_fx_expect(f, V, "GET", target, NULL, 200);
        size_t got = json_array_size(json_object_get(doc, "items"));
        json_decref(doc);
        if (got >= n)
            return;
        az_fx_sleep_ms(10);
    }
    fail_msg("task %s has not run %zu times", id, n);
}

/* Walk every page of target at limit: n items in all, newest first by key, none twice. */
static void walk(az_fx *f, const char *target, const char *key, size_t limit, size_t n)
{
    char url[1024], last[64] = "";
    char *cursor = NULL;
    size_t total = 0;
    do {
        snprintf(url, sizeof url, "%s%slimit=%zu%s%s", target, strchr(target, '?') ? "&" : "?", limit,
                 cursor ? "&cursor=" : "", cursor ? cursor : "");
        json_t *doc = az_fx_expect(f, V, "GET", url, NULL, 200);
        json_t *items = json_object_get(doc, "items");
        assert_true(json_array_size(items) <= limit);
        for (size_t i = 0; i < json_array_size(items); i++) {
            const char *id = az_fx_str(json_array_get(items, i), key);
            if (last[0] && strcmp(id, last) >= 0)
                fail_msg("%s: %s after %s", target, id, last);
            snprintf(last, sizeof last, "%s", id);
            total++;
        }
        free(cursor);
        json_t *next = json_object_get(doc, "next_cursor");
        cursor = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
        json_decref(doc);
    } while (cursor && total <= n);
    assert_int_equal(total, n);
}

static void test_runs_across_stores(void **state)
{
    az_fx *f = *state;
    create(f, "r1", "default", "ok");
    create(f, "r2", "mem", "fail");
    for (size_t i = 1; i <= 3; i++) {
        run_and_wait(f, "r1", i);
        run_and_wait(f, "r2", i);
    }
    walk(f, "/api/v1/runs", "run_id", 2, 6);
    walk(f, "/api/v1/runs", "run_id", 4, 6);
    walk(f, "/api/v1/runs", "run_id", 50, 6);
    walk(f, "/api/v1/runs?store=mem", "run_id", 2, 3);
    walk(f, "/api/v1/runs?outcome=failed", "run_id", 1, 3);
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/runs?outcome=failed&limit=1", NULL, 200);
    json_t *run = json_array_get(json_object_get(doc, "items"), 0);
    assert_string_equal(az_fx_str(run, "store"), "mem");
    assert_string_equal(az_fx_str(run, "outcome"), "failed");
    /* a cursor is for the listing it came from */
    char url[512];
    snprintf(url, sizeof url, "/api/v1/runs?store=default&cursor=%s", az_fx_str(doc, "next_cursor"));
    json_t *bad = az_fx_expect(f, V, "GET", url, NULL, 400);
    assert_string_equal(az_fx_str(az_fx_error(bad), "parameter"), "cursor");
    json_decref(bad);
    snprintf(url, sizeof url, "/api/v1/tasks?cursor=%s", az_fx_str(doc, "next_cursor"));
    json_decref(az_fx_expect(f, V, "GET", url, NULL, 400));
    json_decref(doc);
    /* the status counts them (at most COUNTS_TTL late: a fresh fixture's first status) */
    doc = az_fx_expect(f, V, "GET", "/api/v1/status", NULL, 200);
    json_t *hour = json_object_get(json_object_get(doc, "runs"), "last_hour");
    assert_int_equal(json_integer_value(json_object_get(hour, "succeeded")), 3);
    assert_int_equal(json_integer_value(json_object_get(hour, "failed")), 3);
    assert_int_equal(json_integer_value(json_object_get(hour, "total")), 6);
    json_decref(doc);
    /* run ids of one store, asked in the other */
    doc = az_fx_expect(f, V, "GET", "/api/v1/runs?store=mem&limit=1", NULL, 200);
    snprintf(url, sizeof url, "/api/v1/runs/%s?store=default",
             az_fx_str(json_array_get(json_object_get(doc, "items"), 0), "run_id"));
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", url, NULL, 404);
    assert_non_null(strstr(az_fx_str(az_fx_error(doc), "message"), "in store 'default'"));
    json_decref(doc);
}

static void test_audit_pages(void **state)
{
    az_fx *f = *state;
    create(f, "a1", "default", "ok");
    create(f, "a2", "default", "ok");
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/tasks/a1/pause", NULL, 200));
    json_decref(az_fx_expect(f, O, "PATCH", "/api/v1/tasks/a2", "{\"name\": \"second\"}", 200));
    int status;
    json_decref(az_fx_call(f, O, "DELETE", "/api/v1/tasks/a1", NULL, &status));
    assert_int_equal(status, 204);
    walk(f, "/api/v1/audit", "id", 2, 5);
    walk(f, "/api/v1/audit?task=a1", "id", 1, 3);
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/audit?action=update", NULL, 200);
    json_t *e = json_array_get(json_object_get(doc, "items"), 0);
    assert_string_equal(az_fx_str(e, "task_id"), "a2");
    json_t *name = json_object_get(json_object_get(e, "changes"), "name");
    assert_string_equal(az_fx_str(name, "after"), "second");
    json_decref(doc);
    /* the memory store records no changes by default (the daemon's own calls) */
    doc = az_fx_expect(f, V, "GET", "/api/v1/audit?store=mem", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 0);
    assert_true(json_is_null(json_object_get(doc, "next_cursor")));
    json_decref(doc);
    json_decref(az_fx_expect(f, V, "GET", "/api/v1/audit?task=..", NULL, 400));
}

/* ---- instances and quarantine ----------------------------------------------------------------------------
 */

static void test_instances(void **state)
{
    az_fx *f = *state;
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/instances", NULL, 200);
    json_t *items = json_object_get(doc, "items");
    assert_int_equal(json_array_size(json_object_get(doc, "errors")), 0);
    assert_int_equal(json_array_size(items), 2); /* this daemon, in each store */
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        assert_string_equal(az_fx_str(it, "store"), i ? "mem" : "default");
        assert_string_equal(az_fx_str(it, "identity"), asyncz_scheduler_identity(f->s));
        assert_true(json_is_true(json_object_get(it, "alive")));
        assert_true(json_is_true(json_object_get(it, "self")));
        assert_int_equal(json_integer_value(json_object_get(it, "pid")), getpid());
        assert_true(json_is_string(json_object_get(it, "started")));
    }
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/instances?store=mem", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
    json_decref(doc);
}

/* Overwrite the stored document of task id in the fixture's SQLite store with bytes that do not decode. */
static void spoil(az_fx *f, const char *id)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s/tasks.db' \"update asyncz_store set state = x'00ff' where id = '%s'\"", f->dir, id);
    if (system(cmd) != 0)
        skip(); /* no sqlite3 program here */
}

static void test_quarantine(void **state)
{
    az_fx *f = *state;
    create(f, "q1", "default", "ok");
    create(f, "q2", "default", "ok");
    spoil(f, "q1");
    json_decref(
        az_fx_expect(f, V, "GET", "/api/v1/tasks", NULL, 200)); /* the scheduler's read sets it aside */
    json_t *doc = az_fx_expect(f, V, "GET", "/api/v1/quarantine", NULL, 200);
    json_t *items = json_object_get(doc, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *q = json_array_get(items, 0);
    assert_string_equal(az_fx_str(q, "id"), "q1");
    assert_string_equal(az_fx_str(q, "store"), "default");
    assert_true(strlen(az_fx_str(q, "reason")) > 0);
    assert_true(json_is_integer(json_object_get(q, "at_us")));
    json_decref(doc);
    /* it still does not read: nothing changes */
    doc = az_fx_expect(f, A, "POST", "/api/v1/quarantine/default/q1/retry", NULL, 422);
    assert_string_equal(az_fx_str(az_fx_error(doc), "code"), "still_invalid");
    json_decref(doc);
    json_decref(az_fx_expect(f, O, "POST", "/api/v1/quarantine/default/q1/retry", NULL, 403));
    json_decref(az_fx_expect(f, A, "POST", "/api/v1/quarantine/default/q2/retry", NULL, 404));
    json_decref(az_fx_expect(f, A, "POST", "/api/v1/quarantine/mem/q1/retry", NULL, 404));
    json_decref(az_fx_expect(f, A, "POST", "/api/v1/quarantine/nope/q1/retry", NULL, 404));
    json_decref(az_fx_expect(f, A, "DELETE", "/api/v1/quarantine/default/q1?at=noon", NULL, 400));
    json_decref(az_fx_expect(f, A, "DELETE", "/api/v1/quarantine/default/q1?at=1", NULL, 404));
    doc = az_fx_expect(f, A, "DELETE", "/api/v1/quarantine/default/q1", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "dropped")), 1);
    json_decref(doc);
    doc = az_fx_expect(f, V, "GET", "/api/v1/quarantine", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 0);
    json_decref(doc);
    json_decref(az_fx_expect(f, A, "DELETE", "/api/v1/quarantine/default/q1", NULL, 404));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_preview, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preview_dst_notes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preview_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_across_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
