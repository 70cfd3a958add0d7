/* The DST policy through real transitions (US/Eastern, Europe/Berlin, Australia/Lord_Howe with its
 * 30-minute shift, America/Santiago with its midnight gap): previews compared with dst_policy.json, which
 * tests/vectors/tools/gen_dst_policy.py derived from zoneinfo by applying the policy to wall-clock time. */
#include <stdio.h>
#include <string.h>

#include "az_test.h"

#define MAX_FIRES 16

/* Preview one case; returns whether every fire time matched. */
static int run_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    asyncz_zone *zone = az_test_zone(json_string_value(json_object_get(c, "timezone")));
    asyncz_trigger *t = az_test_cron_from_json(json_object_get(c, "args"), zone);
    json_t *expected = json_object_get(c, "expected");
    size_t count = json_array_size(expected), n = 0;
    assert_true(count <= MAX_FIRES);
    asyncz_time_t got[MAX_FIRES];
    asyncz_time_t from = az_test_time(json_string_value(json_object_get(c, "from")), zone);
    assert_int_equal(asyncz_trigger_preview(t, from, count, got, &n), 0);
    int ok = n == count;
    for (size_t i = 0; i < count; i++) {
        asyncz_time_t want = az_test_time(json_string_value(json_array_get(expected, i)), zone);
        if (i >= n || got[i] != want) {
            print_error("%s [%zu]: expected %s, got %s\n", name, i, az_test_fmt(want, zone),
                        i < n ? az_test_fmt(got[i], zone) : "(none)");
            ok = 0;
        }
    }
    asyncz_trigger_unref(t);
    asyncz_zone_unref(zone);
    return ok;
}

/* Run the cases whose name starts with `prefix`; at least `min_cases` of them. */
static void run_cases(const char *prefix, size_t min_cases)
{
    json_t *root = az_test_load_vectors("dst_policy.json");
    size_t i, ran = 0, failed = 0;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        if (strncmp(json_string_value(json_object_get(c, "name")), prefix, strlen(prefix)) != 0)
            continue;
        ran++;
        failed += !run_case(c);
    }
    json_decref(root);
    assert_true(ran >= min_cases);
    assert_int_equal(failed, 0);
}

static void test_dst_us_eastern(void **state)
{
    (void)state;
    run_cases("eastern ", 9);
}

static void test_dst_europe_berlin(void **state)
{
    (void)state;
    run_cases("berlin ", 8);
}

static void test_dst_lord_howe(void **state)
{
    (void)state;
    run_cases("lord howe ", 4);
}

static void test_dst_santiago(void **state)
{
    (void)state;
    run_cases("santiago ", 6);
}

/* Gaps at midnight in six zones, searched from just before the gap and from its end: a fixed time inside
 * the gap fires at the gap's end even when the search starts in the last second before it (that start
 * rounds up to the gap's end, where the span walk used to begin past the gap and miss the run). */
static void test_dst_midnight_gaps(void **state)
{
    (void)state;
    run_cases("midnight gap ", 18);
}

/* The same instants whatever the search starts from inside an overlap: a fixed time in its second pass is
 * not repeated, a periodic one is (checked directly rather than through the generator). */
static void test_dst_overlap_start_inside(void **state)
{
    (void)state;
    asyncz_zone *zone = az_test_zone("Europe/Berlin");
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone;
    asyncz_trigger *fixed = NULL, *periodic = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&fixed, "40 2 * * *", &opts, NULL), 0);
    assert_int_equal(asyncz_trigger_crontab_new(&periodic, "*/20 2 * * *", &opts, NULL), 0);
    asyncz_time_t now = az_test_time("2026-10-25T02:30:00+01:00", NULL), got;
    assert_int_equal(asyncz_trigger_next(fixed, ASYNCZ_TIME_NONE, now, &got), 0);
    assert_int_equal(got, az_test_time("2026-10-26T02:40:00+01:00", NULL));
    assert_int_equal(asyncz_trigger_next(periodic, ASYNCZ_TIME_NONE, now, &got), 0);
    assert_int_equal(got, az_test_time("2026-10-25T02:40:00+01:00", NULL));
    asyncz_trigger_unref(fixed);
    asyncz_trigger_unref(periodic);
    asyncz_zone_unref(zone);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_dst_us_eastern),
    cmocka_unit_test(test_dst_europe_berlin),
    cmocka_unit_test(test_dst_lord_howe),
    cmocka_unit_test(test_dst_santiago),
    cmocka_unit_test(test_dst_midnight_gaps),
    cmocka_unit_test(test_dst_overlap_start_inside),
};

AZ_TEST_MAIN(tests)
