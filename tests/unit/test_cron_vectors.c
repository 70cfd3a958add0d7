/* Every "kind":"cron" case of asyncz_triggers.json (transcribed from the Python asyncz test suite) through
 * asyncz_trigger_next(previous, now), compared as instants. */
#include <stdio.h>
#include <string.h>

#include "az_test.h"

/* Run one case; returns whether it passed (printing the difference when it did not). */
static int run_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "test"));
    asyncz_zone *zone = az_test_zone(json_string_value(json_object_get(c, "timezone")));
    asyncz_trigger *t = az_test_cron_from_json(json_object_get(c, "args"), zone);
    json_t *prev = json_object_get(c, "previous"), *exp = json_object_get(c, "expected");
    asyncz_time_t now = az_test_time(json_string_value(json_object_get(c, "now")), zone);
    asyncz_time_t previous =
        json_is_string(prev) ? az_test_time(json_string_value(prev), zone) : ASYNCZ_TIME_NONE;
    asyncz_time_t expected =
        json_is_string(exp) ? az_test_time(json_string_value(exp), zone) : ASYNCZ_TIME_NONE;
    asyncz_time_t got = 0;
    assert_int_equal(asyncz_trigger_next(t, previous, now, &got), 0);
    int ok = got == expected;
    if (!ok)
        print_error("%s: expected %s, got %s\n", name, az_test_fmt(expected, zone), az_test_fmt(got, zone));
    asyncz_trigger_unref(t);
    asyncz_zone_unref(zone);
    return ok;
}

static void test_cron_trigger_vectors(void **state)
{
    (void)state;
    json_t *root = az_test_load_vectors("asyncz_triggers.json");
    size_t i, ran = 0, failed = 0;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "kind")), "cron") != 0)
            continue;
        ran++;
        failed += !run_case(c);
    }
    json_decref(root);
    assert_int_equal(ran, 26);
    assert_int_equal(failed, 0);
}

/* The description lists the given fields in APScheduler's order, or the crontab string. */
static void test_cron_describe(void **state)
{
    (void)state;
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    asyncz_cron_fields f = {.year = "2022/2", .month = "1/3", .day = "5-13"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, NULL), 0);
    char buf[256];
    asyncz_trigger_describe(t, buf, sizeof buf);
    assert_string_equal(buf, "cron[year='2022/2', month='1/3', day='5-13', timezone='UTC']");
    assert_string_equal(asyncz_trigger_kind(t), "cron");
    asyncz_trigger_unref(t);
    assert_int_equal(asyncz_trigger_crontab_new(&t, "  */15 9-17 * * 1-5 ", &opts, NULL), 0);
    asyncz_trigger_describe(t, buf, sizeof buf);
    assert_string_equal(buf, "cron[crontab='*/15 9-17 * * 1-5', timezone='UTC']");
    asyncz_trigger_unref(t);
}

/* Search starts with microseconds round up to the next whole second; results are whole seconds. */
static void test_cron_whole_seconds(void **state)
{
    (void)state;
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    asyncz_cron_fields f = {.second = "*"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, NULL), 0);
    asyncz_time_t got;
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, 1000000 * INT64_C(1700000000) + 1, &got), 0);
    assert_int_equal(got, INT64_C(1700000001) * 1000000);
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, INT64_C(1700000000) * 1000000, &got), 0);
    assert_int_equal(got, INT64_C(1700000000) * 1000000);
    assert_int_equal(
        asyncz_trigger_next(t, INT64_C(1700000000) * 1000000, INT64_C(1700000000) * 1000000, &got), 0);
    assert_int_equal(got, INT64_C(1700000001) * 1000000);
    asyncz_trigger_unref(t);
}

/* Past the last representable second nothing fires; an expression that can never match is exhausted. */
static void test_cron_exhausted(void **state)
{
    (void)state;
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    asyncz_cron_fields f = {.month = "2", .day = "30"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, NULL), 0);
    asyncz_time_t got = 0;
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, 0, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_NONE);
    asyncz_trigger_unref(t);
    asyncz_cron_fields every = {.second = "*"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &every, &opts, NULL), 0);
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MAX, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MAX - 999999, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_MAX - 999999);
    /* The range starts at year 1, not 1970 (issue 12 item 15: earlier starts were clamped to 1970). */
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MIN, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_MIN);
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MIN - 1, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_MIN);
    asyncz_trigger_unref(t);
}

/* ISO weeks across year ends (expected values from tests/vectors/tools/cronref.py, Python's isocalendar):
 * these take the matcher's shortcut that skips years known to fail, so check it loses nothing. */
static void check_week_preview(asyncz_cron_fields f, const char *const *expected, size_t n)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, NULL), 0);
    asyncz_time_t got[8];
    size_t count = 0;
    assert_int_equal(asyncz_trigger_preview(t, az_test_time("2026-01-01", NULL), n, got, &count), 0);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], az_test_time(expected[i], NULL));
    asyncz_trigger_unref(t);
}

static void test_cron_iso_weeks(void **state)
{
    (void)state;
    static const char *const sundays53[] = {"2027-01-03", "2033-01-02", "2038-01-03", "2044-01-03"};
    check_week_preview((asyncz_cron_fields){.week = "53", .day_of_week = "sun"}, sundays53, 4);
    static const char *const december_week1[] = {"2029-12-31", "2030-12-30", "2030-12-31", "2031-12-29"};
    check_week_preview((asyncz_cron_fields){.month = "12", .week = "1"}, december_week1, 4);
    static const char *const january_week53[] = {"2027-01-01", "2027-01-02", "2027-01-03", "2033-01-01",
                                                 "2033-01-02"};
    check_week_preview((asyncz_cron_fields){.month = "1", .day = "1-3", .week = "53"}, january_week53, 5);
    asyncz_trigger *t = NULL;
    asyncz_cron_fields never = {.month = "2", .week = "53"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &never, NULL, NULL), 0);
    asyncz_time_t got;
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, 0, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_NONE);
    asyncz_trigger_unref(t);
}

/* A far single match: year 9999's last second, found without walking 8,000 years of zone spans. */
static void test_cron_far_future(void **state)
{
    (void)state;
    asyncz_zone *zone = az_test_zone("Europe/Berlin");
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone;
    asyncz_trigger *t = NULL;
    asyncz_cron_fields f = {
        .year = "9999", .month = "12", .day = "31", .hour = "23", .minute = "59", .second = "59"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, NULL), 0);
    asyncz_time_t got;
    assert_int_equal(
        asyncz_trigger_next(t, ASYNCZ_TIME_NONE, az_test_time("2026-06-01T00:00:00Z", NULL), &got), 0);
    assert_int_equal(got, az_test_time("9999-12-31T23:59:59+01:00", NULL));
    asyncz_trigger_unref(t);
    /* A negative offset puts the same wall time past the last representable instant: exhausted. */
    asyncz_zone *ny = az_test_zone("America/New_York");
    opts.timezone = ny;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, NULL), 0);
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, 0, &got), 0);
    assert_int_equal(got, ASYNCZ_TIME_NONE);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(ny);
    asyncz_zone_unref(zone);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_cron_iso_weeks),       cmocka_unit_test(test_cron_far_future),
    cmocka_unit_test(test_cron_trigger_vectors), cmocka_unit_test(test_cron_describe),
    cmocka_unit_test(test_cron_whole_seconds),   cmocka_unit_test(test_cron_exhausted),
};

AZ_TEST_MAIN(tests)
