/* Every trigger kind across the whole range of instants (years 1 to 9999), before 1970 in particular:
 * negative microsecond counts, whole-second rounding of negative instants, zones whose tables start with
 * local mean time. Wall-clock answers in zones are checked against glibc's localtime_r, the oracle of
 * test_tz_oracle.c. (Issue 12 item 15: searches that started before 1970 were clamped to 1970.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "az_test.h"
#include "time/civil.h"

static asyncz_time_t at(const char *text)
{
    return az_test_time(text, NULL);
}

static asyncz_trigger_options options(asyncz_zone *zone, asyncz_time_t start)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = zone ? zone : asyncz_zone_utc();
    o.start_date = start;
    return o;
}

static asyncz_trigger *crontab(const char *text, asyncz_zone *zone)
{
    asyncz_trigger_options o = options(zone, ASYNCZ_TIME_NONE);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&t, text, &o, NULL), 0);
    return t;
}

static asyncz_trigger *fields(asyncz_cron_fields f, asyncz_zone *zone)
{
    asyncz_trigger_options o = options(zone, ASYNCZ_TIME_NONE);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &o, NULL), 0);
    return t;
}

/* Preview `count` fire times from `from` and compare them with the expected ISO-8601 texts. */
static void expect_preview(const asyncz_trigger *t, asyncz_time_t from, const char *const *expected,
                           size_t count)
{
    asyncz_time_t got[16];
    size_t n = 0;
    assert_true(count <= 16);
    assert_int_equal(asyncz_trigger_preview(t, from, count, got, &n), 0);
    for (size_t i = 0; i < count; i++) {
        asyncz_time_t want = at(expected[i]);
        if (i >= n || got[i] != want)
            fail_msg("fire %zu: expected %s, got %s", i, expected[i],
                     i < n ? az_test_fmt(got[i], NULL) : "none");
    }
    assert_int_equal(n, count);
}

/* The case of the issue: every second, from a start in 1900 given with an offset. */
static void test_range_every_second_1900(void **state)
{
    (void)state;
    static const char *const want[] = {"1900-02-20T16:46:00-05:00", "1900-02-20T16:46:01-05:00",
                                       "1900-02-20T16:46:02-05:00"};
    asyncz_trigger *t = crontab("* * * * * *", NULL);
    expect_preview(t, at("1900-02-20T16:46:00-05:00"), want, 3);
    asyncz_trigger_unref(t);
    t = fields((asyncz_cron_fields){.second = "*"}, NULL);
    expect_preview(t, at("1900-02-20T16:46:00-05:00"), want, 3);
    asyncz_trigger_unref(t);
}

/* Whole-second rounding of negative instants rounds up (towards 1970), never down. */
static void test_range_rounding_before_1970(void **state)
{
    (void)state;
    asyncz_trigger *t = crontab("* * * * * *", NULL);
    static const char *const half[] = {"1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"};
    expect_preview(t, at("1969-12-31T23:59:58.5Z"), half, 2);
    static const char *const micro[] = {"1900-01-01T00:00:01Z"};
    expect_preview(t, at("1900-01-01T00:00:00.000001Z"), micro, 1);
    static const char *const exact[] = {"1900-01-01T00:00:00Z"};
    expect_preview(t, at("1900-01-01T00:00:00Z"), exact, 1);
    asyncz_trigger_unref(t);
}

/* Explicit years before 1970, and year steps that still count from 1970 in both directions. */
static void test_range_cron_years(void **state)
{
    (void)state;
    asyncz_trigger *t = crontab("0 0 12 29 2 ? 1896-1904", NULL);
    static const char *const leap[] = {"1896-02-29T12:00:00Z", "1904-02-29T12:00:00Z"}; /* 1900 is not leap */
    expect_preview(t, at("1800-01-01T00:00:00Z"), leap, 2);
    asyncz_trigger_unref(t);
    t = fields((asyncz_cron_fields){.year = "*/400"}, NULL);
    static const char *const steps[] = {"0370-01-01T00:00:00Z", "0770-01-01T00:00:00Z",
                                        "1170-01-01T00:00:00Z"};
    expect_preview(t, ASYNCZ_TIME_MIN, steps, 3);
    asyncz_trigger_unref(t);
    t = crontab("0 0 0 1 1 * 1/1000", NULL);
    static const char *const from1[] = {"0001-01-01T00:00:00Z", "1001-01-01T00:00:00Z"};
    expect_preview(t, ASYNCZ_TIME_MIN, from1, 2);
    asyncz_trigger_unref(t);
}

/* The first instant of the range: a search from it (or from before it) starts there, and a wall time that
 * lies before it in a zone east of UTC is skipped, not answered out of range. */
static void test_range_first_instant(void **state)
{
    (void)state;
    asyncz_zone *tokyo = az_test_zone("Asia/Tokyo"), *ny = az_test_zone("America/New_York");
    asyncz_trigger *t = crontab("* * * * * *", tokyo);
    static const char *const first[] = {"0001-01-01T00:00:00Z"};
    expect_preview(t, ASYNCZ_TIME_MIN, first, 1);
    expect_preview(t, ASYNCZ_TIME_MIN - 5 * ASYNCZ_USEC_PER_SEC, first, 1);
    asyncz_trigger_unref(t);
    t = crontab("@yearly", tokyo);
    static const char *const tokyo_new_year[] = {"0002-01-01T00:00:00+09:18:59"};
    expect_preview(t, ASYNCZ_TIME_MIN, tokyo_new_year, 1);
    asyncz_trigger_unref(t);
    t = crontab("@yearly", ny);
    static const char *const ny_new_year[] = {"0001-01-01T00:00:00-04:56:02", "0002-01-01T00:00:00-04:56:02"};
    expect_preview(t, ASYNCZ_TIME_MIN, ny_new_year, 2);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(tokyo);
    asyncz_zone_unref(ny);
}

/* ---- against glibc in zones ------------------------------------------------------------------------ */

/* Zones whose tables start at different points: local mean time until 1883 (New York), 1893 (Berlin),
 * 1910 (Santiago), 1887 (Tokyo); Dublin's and Kolkata's odd offsets; Lord Howe's half-hour DST. */
static const char *const zones[] = {"America/New_York", "Europe/Berlin", "America/Santiago",   "Asia/Tokyo",
                                    "Europe/Dublin",    "Asia/Kolkata",  "Australia/Lord_Howe"};
static const char *const starts[] = {"1801-03-04T05:06:07Z", "1883-11-18T16:00:00Z",
                                     "1893-03-31T23:00:00Z", "1916-04-30T21:59:59.5Z",
                                     "1942-02-09T01:59:59Z", "1969-12-31T22:30:00Z"};

static struct tm local_tm(asyncz_time_t t)
{
    time_t s = (time_t)az_floor_div(t, ASYNCZ_USEC_PER_SEC);
    struct tm tm;
    assert_non_null(localtime_r(&s, &tm));
    return tm;
}

static int64_t local_day(const struct tm *tm)
{
    return az_days_from_civil(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
}

/* "30 9 * * *" fires at 09:30:00 local on consecutive local dates, the first on the date of `from` when
 * that is still before 09:30 there. No zone here has a DST change at 09:30. */
static void check_daily(const char *zone_name, asyncz_time_t from)
{
    asyncz_zone *z = az_test_zone(zone_name);
    asyncz_trigger *t = crontab("30 9 * * *", z);
    asyncz_time_t got[10];
    size_t n = 0;
    assert_int_equal(asyncz_trigger_preview(t, from, 10, got, &n), 0);
    assert_int_equal(n, 10);
    struct tm f = local_tm(from);
    bool before =
        f.tm_hour * 3600 + f.tm_min * 60 + f.tm_sec + (from % ASYNCZ_USEC_PER_SEC != 0) <= 9 * 3600 + 30 * 60;
    int64_t day = local_day(&f) + !before;
    for (size_t i = 0; i < n; i++, day++) {
        struct tm tm = local_tm(got[i]);
        if (tm.tm_hour != 9 || tm.tm_min != 30 || tm.tm_sec != 0 || local_day(&tm) != day ||
            got[i] % ASYNCZ_USEC_PER_SEC != 0)
            fail_msg("%s from %s: fire %zu is %s, glibc reads %04d-%02d-%02d %02d:%02d:%02d", zone_name,
                     az_test_fmt(from, NULL), i, az_test_fmt(got[i], z), tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    asyncz_trigger_unref(t);
    asyncz_zone_unref(z);
}

/* "*\/7 * * * *" (periodic) fires on every local minute divisible by 7, at :00 seconds. Between two fires
 * with the same UTC offset the wall clock moves to the next such minute (7 minutes on, or to the next
 * hour's minute 0); across an offset change (a gap skips the wall times in it) only the order is known. */
static void check_periodic(const char *zone_name, asyncz_time_t from)
{
    asyncz_zone *z = az_test_zone(zone_name);
    asyncz_trigger *t = crontab("*/7 * * * *", z);
    asyncz_time_t got[12];
    size_t n = 0;
    assert_int_equal(asyncz_trigger_preview(t, from, 12, got, &n), 0);
    assert_int_equal(n, 12);
    assert_true(got[0] >= from);
    for (size_t i = 0; i < n; i++) {
        struct tm tm = local_tm(got[i]);
        if (tm.tm_min % 7 != 0 || tm.tm_sec != 0)
            fail_msg("%s from %s: fire %zu is %s", zone_name, az_test_fmt(from, NULL), i,
                     az_test_fmt(got[i], z));
        if (i == 0)
            continue;
        struct tm prev = local_tm(got[i - 1]);
        int64_t step = (prev.tm_min + 7 <= 59 ? 7 : 60 - prev.tm_min) * ASYNCZ_USEC_PER_MIN;
        if (prev.tm_gmtoff == tm.tm_gmtoff ? got[i] - got[i - 1] != step : got[i] <= got[i - 1])
            fail_msg("%s: %s follows %s", zone_name, az_test_fmt(got[i], z), az_test_fmt(got[i - 1], z));
    }
    asyncz_trigger_unref(t);
    asyncz_zone_unref(z);
}

/* A calendar interval of one month on the 31st at 09:00 lands on 09:00 local of 31-day months only. */
static void check_calendar(const char *zone_name, asyncz_time_t from)
{
    asyncz_zone *z = az_test_zone(zone_name);
    asyncz_calendar_interval ci = {.months = 1, .hour = 9};
    asyncz_trigger_options o = options(z, from);
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &o, &err), 0);
    asyncz_time_t got[6];
    size_t n = 0;
    assert_int_equal(asyncz_trigger_preview(t, from, 6, got, &n), 0);
    assert_int_equal(n, 6);
    struct tm f = local_tm(from);
    for (size_t i = 0; i < n; i++) {
        struct tm tm = local_tm(got[i]);
        if (tm.tm_hour != 9 || tm.tm_min != 0 || tm.tm_sec != 0 || tm.tm_mday != f.tm_mday || got[i] < from)
            fail_msg("%s from %s: fire %zu is %s", zone_name, az_test_fmt(from, NULL), i,
                     az_test_fmt(got[i], z));
    }
    asyncz_trigger_unref(t);
    asyncz_zone_unref(z);
}

static void test_range_zones_against_glibc(void **state)
{
    (void)state;
    const char *saved = getenv("TZ");
    char *old = saved ? strdup(saved) : NULL;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        setenv("TZ", zones[i], 1);
        tzset();
        for (size_t j = 0; j < sizeof starts / sizeof starts[0]; j++) {
            check_daily(zones[i], at(starts[j]));
            check_periodic(zones[i], at(starts[j]));
            check_calendar(zones[i], at(starts[j]));
        }
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(old);
}

/* ---- elapsed-time and one-off kinds --------------------------------------------------------------- */

static void test_range_interval(void **state)
{
    (void)state;
    asyncz_trigger_options o = options(NULL, at("1900-01-01T00:00:00Z"));
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, ASYNCZ_USEC_PER_HOUR, &o, NULL), 0);
    static const char *const hourly[] = {"1950-06-01T01:00:00Z", "1950-06-01T02:00:00Z"};
    expect_preview(t, at("1950-06-01T00:30:00Z"), hourly, 2);
    static const char *const origin[] = {"1900-01-01T00:00:00Z", "1900-01-01T01:00:00Z"};
    expect_preview(t, at("1850-01-01T00:00:00Z"), origin, 2);
    asyncz_trigger_unref(t);
    /* A grid of 1.5 s through the epoch, with its origin at a negative, non-whole second. */
    o = options(NULL, at("1969-12-31T23:59:58.75Z"));
    assert_int_equal(asyncz_trigger_interval_new(&t, 1500000, &o, NULL), 0);
    static const char *const grid[] = {"1970-01-01T00:00:00.25Z", "1970-01-01T00:00:01.75Z"};
    expect_preview(t, at("1969-12-31T23:59:59.9Z"), grid, 2);
    static const char *const at_origin[] = {"1969-12-31T23:59:58.75Z", "1970-01-01T00:00:00.25Z"};
    expect_preview(t, at("1969-12-31T23:59:58.75Z"), at_origin, 2);
    asyncz_trigger_unref(t);
    /* Its first instant is a grid origin like any other. */
    o = options(NULL, ASYNCZ_TIME_MIN);
    assert_int_equal(asyncz_trigger_interval_new(&t, 7 * ASYNCZ_USEC_PER_DAY, &o, NULL), 0);
    static const char *const weekly[] = {"0001-01-08T00:00:00Z", "0001-01-15T00:00:00Z"};
    expect_preview(t, at("0001-01-01T00:00:00.000001Z"), weekly, 2);
    asyncz_trigger_unref(t);
}

static void test_range_date(void **state)
{
    (void)state;
    asyncz_zone *ny = az_test_zone("America/New_York");
    asyncz_trigger_options o = options(ny, ASYNCZ_TIME_NONE);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_date_new(&t, at("1900-02-21T00:00:00-05:00"), &o), 0);
    static const char *const once[] = {"1900-02-21T00:00:00-05:00"};
    expect_preview(t, at("1900-02-20T16:46:00-05:00"), once, 1);
    char buf[128];
    asyncz_trigger_describe(t, buf, sizeof buf);
    assert_string_equal(buf, "date[1900-02-21T00:00:00-05:00, timezone='America/New_York']");
    asyncz_trigger_unref(t);
    asyncz_zone_unref(ny);
}

static void test_range_and_or(void **state)
{
    (void)state;
    asyncz_trigger_options o = options(NULL, at("1900-01-01T00:00:00Z"));
    asyncz_trigger *hourly = NULL, *six = crontab("0 */6 * * *", NULL), *noon = crontab("0 12 * * *", NULL);
    assert_int_equal(asyncz_trigger_interval_new(&hourly, ASYNCZ_USEC_PER_HOUR, &o, NULL), 0);
    asyncz_trigger *both[] = {hourly, six}, *either[] = {hourly, noon}, *t = NULL;
    assert_int_equal(asyncz_trigger_and_new(&t, both, 2, NULL), 0);
    static const char *const and_times[] = {"1900-02-21T00:00:00Z", "1900-02-21T06:00:00Z",
                                            "1900-02-21T12:00:00Z"};
    expect_preview(t, at("1900-02-20T16:46:00-05:00"), and_times, 3);
    asyncz_trigger_unref(t);
    asyncz_trigger *date = NULL;
    o = options(NULL, ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_trigger_date_new(&date, at("1899-12-31T23:59:59.999999Z"), &o), 0);
    either[0] = date;
    assert_int_equal(asyncz_trigger_or_new(&t, either, 2, NULL), 0);
    static const char *const or_times[] = {"1899-12-31T12:00:00Z", "1899-12-31T23:59:59.999999Z",
                                           "1900-01-01T12:00:00Z"};
    expect_preview(t, at("1899-12-31T00:00:00Z"), or_times, 3);
    asyncz_trigger_unref(t);
    asyncz_trigger_unref(date);
    asyncz_trigger_unref(hourly);
    asyncz_trigger_unref(six);
    asyncz_trigger_unref(noon);
}

/* Triggers that start before 1970 keep their times through the task JSON. */
static void round_trip(asyncz_trigger *t, asyncz_time_t from)
{
    char *text = NULL;
    size_t len = 0;
    asyncz_trigger *back = NULL;
    assert_int_equal(asyncz_trigger_to_json(t, &text, &len), 0);
    assert_int_equal(asyncz_trigger_from_json(&back, text, len, NULL), 0);
    asyncz_time_t a[6], b[6];
    size_t na = 0, nb = 0;
    assert_int_equal(asyncz_trigger_preview(t, from, 6, a, &na), 0);
    assert_int_equal(asyncz_trigger_preview(back, from, 6, b, &nb), 0);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof a[0]);
    free(text);
    asyncz_trigger_unref(back);
    asyncz_trigger_unref(t);
}

static void test_range_json_round_trip(void **state)
{
    (void)state;
    asyncz_zone *ny = az_test_zone("America/New_York");
    asyncz_time_t from = at("1883-11-18T11:00:00-04:56:02");
    round_trip(crontab("0 */3 L-2W * *", ny), from);
    round_trip(fields((asyncz_cron_fields){.year = "1883-1885", .minute = "*/20"}, ny), from);
    asyncz_trigger_options o = options(ny, at("1800-01-01T00:00:00.25-04:56:02"));
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, 90 * ASYNCZ_USEC_PER_MIN + 1, &o, NULL), 0);
    round_trip(t, from);
    asyncz_calendar_interval ci = {.months = 1, .hour = 12};
    asyncz_trigger_error err;
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &o, &err), 0);
    round_trip(t, from);
    o = options(ny, ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_trigger_date_new(&t, at("1883-11-18T12:30:00-05:00"), &o), 0);
    round_trip(t, from);
    asyncz_zone_unref(ny);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_range_json_round_trip),
    cmocka_unit_test(test_range_every_second_1900),
    cmocka_unit_test(test_range_rounding_before_1970),
    cmocka_unit_test(test_range_cron_years),
    cmocka_unit_test(test_range_first_instant),
    cmocka_unit_test(test_range_zones_against_glibc),
    cmocka_unit_test(test_range_interval),
    cmocka_unit_test(test_range_date),
    cmocka_unit_test(test_range_and_or),
};

AZ_TEST_MAIN(tests)
