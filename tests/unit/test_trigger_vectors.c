/* The interval, date, and/or and task run-time cases of tests/vectors/asyncz_triggers.json, transcribed
 * from the Python asyncz test suite. Every case runs; a test fails with the list of the cases that differ. */
#include <stdio.h>
#include <string.h>

#include "az_test.h"

/* What the cases of one kind share while they run: the failures found so far. */
typedef struct vec_run {
    int cases, failures;
    char report[4096];
} vec_run;

static void vec_fail(vec_run *run, const char *test, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(run->report);
    run->failures++;
    snprintf(run->report + used, sizeof run->report - used, "\n  %s: ", test);
    used = strlen(run->report);
    snprintf(run->report + used, sizeof run->report - used, fmt, a, b);
}

/* The common options of a case: start_at, end_at and the zone. */
static void vec_options(asyncz_trigger_options *opts, const json_t *args, asyncz_zone *zone)
{
    asyncz_trigger_options_init(opts);
    opts->timezone = zone;
    opts->start_date = az_test_json_time(json_object_get(args, "start_at"), zone);
    opts->end_date = az_test_json_time(json_object_get(args, "end_at"), zone);
}

static int64_t vec_int(const json_t *args, const char *key)
{
    const json_t *v = json_object_get(args, key);
    return v ? (int64_t)json_number_value(v) : 0;
}

static asyncz_trigger *make_interval(const json_t *args, asyncz_zone *zone)
{
    asyncz_interval iv = {
        .weeks = vec_int(args, "weeks"),
        .days = vec_int(args, "days"),
        .hours = vec_int(args, "hours"),
        .minutes = vec_int(args, "minutes"),
        .seconds = vec_int(args, "seconds"),
        .microseconds = vec_int(args, "microseconds"),
    };
    int64_t usec = 0;
    assert_int_equal(asyncz_interval_usec(&iv, &usec), 0);
    asyncz_trigger_options opts;
    vec_options(&opts, args, zone);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, usec, &opts, NULL), 0);
    return t;
}

static asyncz_trigger *make_date(const json_t *args, asyncz_zone *zone)
{
    asyncz_trigger_options opts;
    vec_options(&opts, args, zone);
    asyncz_trigger *t = NULL;
    assert_int_equal(
        asyncz_trigger_date_new(&t, az_test_json_time(json_object_get(args, "run_at"), zone), &opts), 0);
    return t;
}

/* An and/or case: args is the list of the children's cron arguments. */
static asyncz_trigger *make_combined(const json_t *args, asyncz_zone *zone, bool is_and)
{
    asyncz_trigger *children[8];
    size_t n = json_array_size(args);
    assert_true(n >= 1 && n <= 8);
    for (size_t i = 0; i < n; i++)
        children[i] = az_test_cron_from_json(json_array_get(args, i), zone);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone;
    asyncz_trigger *t = NULL;
    int rc = is_and ? asyncz_trigger_and_new(&t, children, n, &opts)
                    : asyncz_trigger_or_new(&t, children, n, &opts);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < n; i++)
        asyncz_trigger_unref(children[i]);
    return t;
}

static asyncz_trigger *make_trigger(const char *kind, const json_t *args, asyncz_zone *zone)
{
    if (!strcmp(kind, "interval"))
        return make_interval(args, zone);
    if (!strcmp(kind, "date"))
        return make_date(args, zone);
    return make_combined(args, zone, !strcmp(kind, "and"));
}

static void run_next_case(vec_run *run, const char *kind, const json_t *c)
{
    const char *test = json_string_value(json_object_get(c, "test"));
    asyncz_zone *zone = az_test_zone(json_string_value(json_object_get(c, "timezone")));
    asyncz_trigger *t = make_trigger(kind, json_object_get(c, "args"), zone);
    asyncz_time_t previous = az_test_json_time(json_object_get(c, "previous"), zone);
    asyncz_time_t now = az_test_json_time(json_object_get(c, "now"), zone);
    asyncz_time_t expected = az_test_json_time(json_object_get(c, "expected"), zone);
    asyncz_time_t got = 0;
    int rc = asyncz_trigger_next(t, previous, now, &got);
    run->cases++;
    if (rc != 0)
        vec_fail(run, test, "next() failed: %s%s", asyncz_strerror(rc), "");
    else if (got != expected)
        vec_fail(run, test, "expected %s, got %s", az_test_fmt(expected, zone), az_test_fmt(got, zone));
    asyncz_trigger_unref(t);
    asyncz_zone_unref(zone);
}

/* Run every case of one kind and fail with the list of those that differ. */
static void run_kind(const char *kind)
{
    json_t *root = az_test_load_vectors("asyncz_triggers.json");
    vec_run run = {0};
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "kind")), kind))
            run_next_case(&run, kind, c);
    }
    json_decref(root);
    if (run.failures)
        fail_msg("%d of %d %s cases failed:%s", run.failures, run.cases, kind, run.report);
    assert_true(run.cases > 0);
}

static void test_interval_vectors(void **state)
{
    run_kind("interval");
}

static void test_date_vectors(void **state)
{
    run_kind("date");
}

static void test_or_vectors(void **state)
{
    run_kind("or");
}

static void test_and_vectors(void **state)
{
    run_kind("and");
}

/* The run times a scheduler owes a task at `now`: its next run time and each one after it, chained with
 * next(previous = t, now = t), up to now inclusive (asyncz's Task.get_run_times). */
static size_t run_times(const asyncz_trigger *t, asyncz_time_t next_run, asyncz_time_t now,
                        asyncz_time_t *out, size_t max)
{
    size_t n = 0;
    while (next_run != ASYNCZ_TIME_NONE && next_run <= now && n < max) {
        out[n++] = next_run;
        assert_int_equal(asyncz_trigger_next(t, next_run, next_run, &next_run), 0);
    }
    return n;
}

static void check_run_times(const json_t *tc, asyncz_trigger *t, asyncz_time_t next_run, asyncz_zone *zone)
{
    json_t *cases = json_object_get(tc, "cases");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        asyncz_time_t got[16];
        asyncz_time_t now = az_test_json_time(json_object_get(c, "now"), zone);
        json_t *expected = json_object_get(c, "expected");
        size_t n = run_times(t, next_run, now, got, 16);
        if (n != json_array_size(expected))
            fail_msg("now %s: %zu run times, expected %zu", az_test_fmt(now, zone), n,
                     json_array_size(expected));
        for (size_t k = 0; k < n; k++)
            assert_int_equal(got[k], az_test_json_time(json_array_get(expected, k), zone));
    }
}

static void test_task_run_times(void **state)
{
    json_t *root = az_test_load_vectors("asyncz_triggers.json");
    size_t i, found = 0;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "kind")), "task_run_times"))
            continue;
        asyncz_zone *zone = az_test_zone(json_string_value(json_object_get(c, "timezone")));
        json_t *args = json_object_get(c, "args");
        asyncz_trigger *t = make_interval(args, zone);
        check_run_times(c, t, az_test_json_time(json_object_get(args, "next_run_time"), zone), zone);
        asyncz_trigger_unref(t);
        asyncz_zone_unref(zone);
        found++;
    }
    json_decref(root);
    assert_int_equal(found, 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_interval_vectors), cmocka_unit_test(test_date_vectors),
    cmocka_unit_test(test_or_vectors),       cmocka_unit_test(test_and_vectors),
    cmocka_unit_test(test_task_run_times),
};

AZ_TEST_MAIN(tests)
