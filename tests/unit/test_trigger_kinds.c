/* The trigger kinds other than cron: interval, calendar interval, date, and/or, shutdown; the common options
 * (end_date, jitter), preview, describe, the error record, and a custom kind made through the extension
 * API in include/asyncz/sys/trigger.h. */
#include <stdio.h>
#include <string.h>

#include "az_test.h"
#include "asyncz/sys/trigger.h"

#define HOUR ASYNCZ_USEC_PER_HOUR
#define MINUTE ASYNCZ_USEC_PER_MIN
#define SECOND ASYNCZ_USEC_PER_SEC
#define DAY ASYNCZ_USEC_PER_DAY

/* An instant from ISO-8601 text; naive values are UTC. */
static asyncz_time_t at(const char *text)
{
    return az_test_time(text, NULL);
}

static asyncz_trigger *interval_trigger(int64_t usec, asyncz_time_t start, asyncz_time_t end,
                                        asyncz_zone *zone)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone ? zone : asyncz_zone_utc();
    opts.start_date = start;
    opts.end_date = end;
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, usec, &opts, NULL), 0);
    return t;
}

static asyncz_trigger *date_trigger(asyncz_time_t run_date)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_date_new(&t, run_date, &opts), 0);
    return t;
}

static asyncz_trigger *calendar_trigger(const asyncz_calendar_interval *ci, asyncz_time_t start,
                                        asyncz_zone *zone)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone ? zone : asyncz_zone_utc();
    opts.start_date = start;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    assert_int_equal(asyncz_trigger_calendar_new(&t, ci, &opts, &err), 0);
    return t;
}

static asyncz_time_t next_of(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now)
{
    asyncz_time_t out = 0;
    assert_int_equal(asyncz_trigger_next(t, previous, now, &out), 0);
    return out;
}

static void assert_time(asyncz_time_t got, asyncz_time_t expected, const asyncz_zone *zone)
{
    if (got != expected)
        fail_msg("expected %s, got %s", az_test_fmt(expected, zone), az_test_fmt(got, zone));
}

/* preview(from, count) must give exactly the n times in `expected` (ISO-8601 with offsets). */
static void assert_preview(const asyncz_trigger *t, asyncz_time_t from, size_t count,
                           const char *const *expected, size_t n, const asyncz_zone *zone)
{
    asyncz_time_t got[64];
    size_t got_n = 99;
    assert_true(count <= 64);
    assert_int_equal(asyncz_trigger_preview(t, from, count, got, &got_n), 0);
    for (size_t i = 0; i < n && i < got_n; i++)
        assert_time(got[i], at(expected[i]), zone);
    assert_int_equal(got_n, n);
}

static void assert_describe(const asyncz_trigger *t, const char *expected)
{
    char buf[512];
    int len = asyncz_trigger_describe(t, buf, sizeof buf);
    assert_string_equal(buf, expected);
    assert_int_equal(len, (int)strlen(expected));
}

/* ---- interval ----------------------------------------------------------------------------------------- */

static void test_interval_grid(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = interval_trigger(15 * MINUTE, start, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start - DAY), start, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start), start, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start + 1), start + 15 * MINUTE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start + 45 * MINUTE), start + 45 * MINUTE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-01-01T10:07:00Z")), at("2024-01-01T10:15:00Z"), NULL);
    /* With a previous fire time: the first grid point strictly after it, whatever now is. */
    assert_time(next_of(t, start, start), start + 15 * MINUTE, NULL);
    assert_time(next_of(t, start + 15 * MINUTE, start + 5 * HOUR), start + 30 * MINUTE, NULL);
    assert_time(next_of(t, start + 20 * MINUTE, start), start + 30 * MINUTE, NULL);
    assert_time(next_of(t, start - HOUR, start - HOUR), start, NULL);
    assert_string_equal(asyncz_trigger_kind(t), "interval");
    asyncz_trigger_unref(t);
}

/* Elapsed hours: every real hour across both DST changes, so the wall clock skips 02:00 in spring and shows
 * 01:00 twice in autumn. */
static void test_interval_dst_elapsed(void **state)
{
    asyncz_zone *ny = az_test_zone("US/Eastern");
    asyncz_trigger *t = interval_trigger(HOUR, az_test_time("2024-03-10T00:00:00", ny), ASYNCZ_TIME_NONE, ny);
    static const char *const spring[] = {"2024-03-10T00:00:00-05:00", "2024-03-10T01:00:00-05:00",
                                         "2024-03-10T03:00:00-04:00", "2024-03-10T04:00:00-04:00"};
    assert_preview(t, at("2024-03-09T23:30:00-05:00"), 4, spring, 4, ny);
    static const char *const autumn[] = {"2024-11-03T00:00:00-04:00", "2024-11-03T01:00:00-04:00",
                                         "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"};
    assert_preview(t, at("2024-11-02T23:30:00-04:00"), 4, autumn, 4, ny);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(ny);
}

static void test_interval_microseconds(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *one = interval_trigger(1, start, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(one, ASYNCZ_TIME_NONE, start + 12345), start + 12345, NULL);
    assert_time(next_of(one, start + 7, start + 7), start + 8, NULL);
    asyncz_trigger_unref(one);
    asyncz_trigger *t = interval_trigger(250, start, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start + 1), start + 250, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start + 251), start + 500, NULL);
    assert_time(next_of(t, start + 500, start + 500), start + 750, NULL);
    asyncz_trigger_unref(t);
}

static void test_interval_default_start(void **state)
{
    asyncz_time_t before = asyncz_now();
    asyncz_trigger *t = interval_trigger(10 * SECOND, ASYNCZ_TIME_NONE, ASYNCZ_TIME_NONE, NULL);
    asyncz_time_t after = asyncz_now();
    asyncz_time_t first = next_of(t, ASYNCZ_TIME_NONE, before);
    assert_true(first >= before + 10 * SECOND);
    assert_true(first <= after + 10 * SECOND);
    assert_time(next_of(t, first, first), first + 10 * SECOND, NULL);
    asyncz_trigger_unref(t);
    /* An end_date before the default start makes an exhausted trigger, not an error (as in APScheduler). */
    t = interval_trigger(HOUR, ASYNCZ_TIME_NONE, asyncz_now() + MINUTE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, asyncz_now()), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
}

static void test_interval_end_inclusive(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = interval_trigger(HOUR, start, start + 2 * HOUR, NULL);
    static const char *const expected[] = {"2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z",
                                           "2024-01-01T02:00:00Z"};
    assert_preview(t, start, 5, expected, 3, NULL);
    assert_time(next_of(t, start + 2 * HOUR, start + 2 * HOUR), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start + 2 * HOUR + 1), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
}

/* Grid points past ASYNCZ_TIME_MAX do not exist: the trigger is exhausted there, without overflowing. */
static void test_interval_overflow(void **state)
{
    asyncz_time_t start = ASYNCZ_TIME_MAX - 10 * SECOND;
    asyncz_trigger *t = interval_trigger(HOUR, start, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start), start, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, start + 1), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, start, start), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_MAX, ASYNCZ_TIME_MAX), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, INT64_MAX, INT64_MAX), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, INT64_MAX), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    /* The widest grid: from the first instant to the last, step 1 us. */
    t = interval_trigger(1, ASYNCZ_TIME_MIN, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MAX), ASYNCZ_TIME_MAX, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_MAX, ASYNCZ_TIME_MAX), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    /* The longest interval: one fire at the origin, then nothing. */
    t = interval_trigger(INT64_MAX, 0, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, -5), 0, NULL);
    assert_time(next_of(t, 0, 0), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, 1), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    /* The default start of such an interval is held at the last instant. */
    t = interval_trigger(INT64_MAX, ASYNCZ_TIME_NONE, ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, 0), ASYNCZ_TIME_MAX, NULL);
    asyncz_trigger_unref(t);
}

static void test_interval_zero_error(void **state)
{
    asyncz_trigger *t = (asyncz_trigger *)0x1;
    asyncz_trigger_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(asyncz_trigger_interval_new(&t, 0, NULL, &err), ASYNCZ_EINVAL);
    assert_null(t);
    assert_string_equal(err.field, "interval");
    assert_string_equal(err.expression, "0us");
    assert_string_equal(err.reason, "interval must be positive");
    assert_int_equal(asyncz_trigger_interval_new(&t, -5, NULL, &err), ASYNCZ_EINVAL);
    assert_string_equal(err.expression, "-5us");
    assert_int_equal(asyncz_trigger_interval_new(&t, -5, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_interval_new(NULL, SECOND, NULL, NULL), ASYNCZ_EINVAL);
}

static void test_interval_usec_parts(void **state)
{
    asyncz_interval iv = {.weeks = 1, .days = 2, .hours = 3, .minutes = 4, .seconds = 5, .microseconds = 6};
    int64_t usec = 0;
    assert_int_equal(asyncz_interval_usec(&iv, &usec), 0);
    assert_int_equal(usec, 9 * DAY + 3 * HOUR + 4 * MINUTE + 5 * SECOND + 6);
    asyncz_interval zero = {0};
    assert_int_equal(asyncz_interval_usec(&zero, &usec), 0);
    assert_int_equal(usec, 0);
    asyncz_interval negative = {.minutes = -1};
    assert_int_equal(asyncz_interval_usec(&negative, &usec), ASYNCZ_ERANGE);
    asyncz_interval huge = {.weeks = INT64_MAX / (7 * DAY) + 1};
    assert_int_equal(asyncz_interval_usec(&huge, &usec), ASYNCZ_ERANGE);
    asyncz_interval sum = {.microseconds = INT64_MAX, .seconds = 1};
    assert_int_equal(asyncz_interval_usec(&sum, &usec), ASYNCZ_ERANGE);
    assert_int_equal(asyncz_interval_usec(NULL, &usec), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_interval_usec(&iv, NULL), ASYNCZ_EINVAL);
}

/* A jittered previous fire time (grid point + delay < interval) leads back onto the grid. */
static void test_interval_jittered_previous(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    opts.start_date = start;
    opts.jitter = 50 * MINUTE;
    opts.jitter_seed = 7;
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, HOUR, &opts, NULL), 0);
    asyncz_time_t prev = ASYNCZ_TIME_NONE, now = start;
    for (int k = 0; k < 50; k++) {
        asyncz_time_t fire = next_of(t, prev, now), raw = 0;
        assert_true(fire >= start + k * HOUR && fire <= start + k * HOUR + 50 * MINUTE);
        assert_int_equal(asyncz_trigger_next_raw(t, fire, fire, &raw), 0);
        assert_time(raw, start + (k + 1) * HOUR, NULL);
        prev = now = fire;
    }
    asyncz_trigger_unref(t);
}

/* ---- calendar interval -------------------------------------------------------------------------------- */

static void test_calendar_every_two_days(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_calendar_interval ci = {.days = 2, .hour = 9};
    asyncz_trigger *t = calendar_trigger(&ci, az_test_time("2024-03-27", berlin), berlin);
    static const char *const spring[] = {"2024-03-27T09:00:00+01:00", "2024-03-29T09:00:00+01:00",
                                         "2024-03-31T09:00:00+02:00", "2024-04-02T09:00:00+02:00"};
    assert_preview(t, at("2024-03-01T00:00:00Z"), 4, spring, 4, berlin);
    static const char *const autumn[] = {"2024-10-25T09:00:00+02:00", "2024-10-27T09:00:00+01:00",
                                         "2024-10-29T09:00:00+01:00"};
    assert_preview(t, at("2024-10-24T12:00:00Z"), 3, autumn, 3, berlin);
    assert_string_equal(asyncz_trigger_kind(t), "calendarinterval");
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

/* 02:30 does not exist on 2024-03-31 in Berlin (the first instant after the gap, 03:00, is used instead) and
 * happens twice on 2024-10-27 (the first occurrence is used). */
static void test_calendar_dst_gap_and_overlap(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_calendar_interval ci = {.days = 1, .hour = 2, .minute = 30};
    asyncz_trigger *t = calendar_trigger(&ci, az_test_time("2024-03-30", berlin), berlin);
    static const char *const gap[] = {"2024-03-30T02:30:00+01:00", "2024-03-31T03:00:00+02:00",
                                      "2024-04-01T02:30:00+02:00"};
    assert_preview(t, at("2024-03-29T00:00:00Z"), 3, gap, 3, berlin);
    static const char *const overlap[] = {"2024-10-26T02:30:00+02:00", "2024-10-27T02:30:00+02:00",
                                          "2024-10-28T02:30:00+01:00"};
    assert_preview(t, at("2024-10-26T00:00:00Z"), 3, overlap, 3, berlin);
    /* Past the first occurrence, the second one is not a fire time. */
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-10-27T00:31:00Z")), at("2024-10-28T02:30:00+01:00"),
                berlin);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

static void test_calendar_month_ends(void **state)
{
    asyncz_calendar_interval ci = {.months = 1, .hour = 9};
    asyncz_trigger *t = calendar_trigger(&ci, at("2024-01-31"), NULL);
    static const char *const expected[] = {
        "2024-01-31T09:00:00Z", "2024-03-31T09:00:00Z", "2024-05-31T09:00:00Z", "2024-07-31T09:00:00Z",
        "2024-08-31T09:00:00Z", "2024-10-31T09:00:00Z", "2024-12-31T09:00:00Z", "2025-01-31T09:00:00Z"};
    assert_preview(t, at("2024-01-01T00:00:00Z"), 8, expected, 8, NULL);
    asyncz_trigger_unref(t);
    /* Day 30: only February is skipped. */
    t = calendar_trigger(&ci, at("2023-12-30"), NULL);
    static const char *const day30[] = {"2024-01-30T09:00:00Z", "2024-03-30T09:00:00Z"};
    assert_preview(t, at("2024-01-01T00:00:00Z"), 2, day30, 2, NULL);
    asyncz_trigger_unref(t);
}

static void test_calendar_leap_years(void **state)
{
    asyncz_calendar_interval ci = {.years = 1};
    asyncz_trigger *t = calendar_trigger(&ci, at("2096-02-29"), NULL);
    /* 2100 is not a leap year: eight years between these two. */
    static const char *const expected[] = {"2096-02-29T00:00:00Z", "2104-02-29T00:00:00Z",
                                           "2108-02-29T00:00:00Z"};
    assert_preview(t, at("2096-01-01T00:00:00Z"), 3, expected, 3, NULL);
    asyncz_trigger_unref(t);
}

static void test_calendar_weeks(void **state)
{
    asyncz_calendar_interval ci = {.weeks = 1, .hour = 10};
    asyncz_trigger *t = calendar_trigger(&ci, at("2024-01-01"), NULL);
    static const char *const expected[] = {"2024-01-08T10:00:00Z", "2024-01-15T10:00:00Z",
                                           "2024-01-22T10:00:00Z"};
    assert_preview(t, at("2024-01-01T10:00:00.000001Z"), 3, expected, 3, NULL);
    asyncz_trigger_unref(t);
}

/* The k-th fire date computed the slow way, by adding months and then days to the origin. */
static asyncz_time_t slow_fire(int y, int m, int d, int64_t k, int64_t months, int64_t days, bool *exists)
{
    int64_t mm = (m - 1) + k * months;
    int32_t year = (int32_t)(y + mm / 12);
    int month = (int)(mm % 12) + 1;
    *exists = d <= asyncz_civil_days_in_month(year, month);
    char text[32];
    snprintf(text, sizeof text, "%04d-%02d-01T00:00:00Z", (int)year, month);
    return at(text) + (d - 1) * DAY + k * days * DAY;
}

/* A start far in the past is found without scanning from it, and agrees with a slow reference. */
static void test_calendar_start_in_past(void **state)
{
    asyncz_calendar_interval ci = {.months = 1, .days = 1};
    asyncz_trigger *t = calendar_trigger(&ci, at("1900-01-31"), NULL);
    asyncz_time_t now = at("9000-06-15T12:00:00Z");
    asyncz_time_t expected = ASYNCZ_TIME_NONE;
    for (int64_t k = 0; expected == ASYNCZ_TIME_NONE; k++) {
        bool exists;
        asyncz_time_t f = slow_fire(1900, 1, 31, k, 1, 1, &exists);
        if (exists && f >= now)
            expected = f;
    }
    assert_time(next_of(t, ASYNCZ_TIME_NONE, now), expected, NULL);
    asyncz_trigger_unref(t);
    asyncz_calendar_interval monthly = {.months = 1, .hour = 9};
    t = calendar_trigger(&monthly, at("2020-01-01"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-06-15T12:00:00Z")), at("2024-07-01T09:00:00Z"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-07-01T09:00:00Z")), at("2024-07-01T09:00:00Z"), NULL);
    asyncz_trigger_unref(t);
}

static void test_calendar_start_in_future(void **state)
{
    asyncz_calendar_interval ci = {.days = 3, .hour = 9};
    asyncz_trigger *t = calendar_trigger(&ci, at("2030-05-05"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-01-01T00:00:00Z")), at("2030-05-05T09:00:00Z"), NULL);
    asyncz_trigger_unref(t);
    /* A start_date later in the day than the time of day: the first fire is on the next date. */
    t = calendar_trigger(&ci, at("2030-05-05T12:00:00Z"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-01-01T00:00:00Z")), at("2030-05-08T09:00:00Z"), NULL);
    asyncz_trigger_unref(t);
}

/* Without a start_date the dates count from today in the zone. */
static void test_calendar_default_start(void **state)
{
    asyncz_calendar_interval ci = {.days = 1, .hour = 0};
    asyncz_time_t before = asyncz_now();
    asyncz_trigger *t = calendar_trigger(&ci, ASYNCZ_TIME_NONE, NULL);
    asyncz_time_t after = asyncz_now();
    asyncz_time_t midnight = before - before % DAY;
    if (after - after % DAY != midnight)
        skip();
    assert_time(next_of(t, ASYNCZ_TIME_NONE, midnight), midnight, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, midnight + 1), midnight + DAY, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, midnight - DAY), midnight, NULL);
    asyncz_trigger_unref(t);
}

static void test_calendar_end_of_range(void **state)
{
    asyncz_calendar_interval ci = {.years = 1000};
    asyncz_trigger *t = calendar_trigger(&ci, at("8000-01-01"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("8500-01-01T00:00:00Z")), at("9000-01-01T00:00:00Z"), NULL);
    assert_time(next_of(t, at("9000-01-01T00:00:00Z"), at("9000-01-01T00:00:00Z")), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    asyncz_calendar_interval daily = {.days = 1, .hour = 23, .minute = 59, .second = 59};
    t = calendar_trigger(&daily, at("9999-12-30"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("9999-12-31T00:00:00Z")), at("9999-12-31T23:59:59Z"), NULL);
    assert_time(next_of(t, at("9999-12-31T23:59:59Z"), at("9999-12-31T23:59:59Z")), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, INT64_MAX), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
}

/* Near both ends of the range, in a zone west of UTC, and with the largest parts. */
static void test_calendar_range_edges(void **state)
{
    asyncz_zone *ny = az_test_zone("US/Eastern");
    asyncz_calendar_interval ci = {.days = 1, .hour = 12};
    asyncz_trigger *t = calendar_trigger(&ci, az_test_time("0001-01-03", ny), ny);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MIN), az_test_time("0001-01-03T12:00:00", ny), ny);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, INT64_MIN + 1), az_test_time("0001-01-03T12:00:00", ny), ny);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MAX - 1), ASYNCZ_TIME_NONE, ny);
    assert_time(next_of(t, ASYNCZ_TIME_MAX, ASYNCZ_TIME_MAX), ASYNCZ_TIME_NONE, ny);
    asyncz_trigger_unref(t);
    /* The date of the first instant is 0000-12-31 in New York: not a date asyncz handles. */
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = ny;
    opts.start_date = ASYNCZ_TIME_MIN;
    asyncz_trigger_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &opts, &err), ASYNCZ_ERANGE);
    assert_string_equal(err.field, "start_date");
    asyncz_zone_unref(ny);
    /* East of UTC (Tokyo's local mean time, +09:18:59) the first date's midnight is before the first instant:
     * that fire is skipped. */
    asyncz_zone *east = az_test_zone("Asia/Tokyo");
    asyncz_calendar_interval midnight = {.days = 1};
    opts.timezone = east;
    assert_int_equal(asyncz_trigger_calendar_new(&t, &midnight, &opts, NULL), 0);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, ASYNCZ_TIME_MIN), az_test_time("0001-01-02T00:00:00", east),
                east);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(east);
    asyncz_calendar_interval big = {
        .years = INT32_MAX, .months = INT32_MAX, .weeks = INT32_MAX, .days = INT32_MAX};
    t = calendar_trigger(&big, at("2024-05-05"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, 0), at("2024-05-05T00:00:00Z"), NULL);
    assert_time(next_of(t, at("2024-05-05T00:00:00Z"), at("2024-05-05T00:00:00Z")), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    asyncz_calendar_interval weeks = {.weeks = INT32_MAX};
    t = calendar_trigger(&weeks, at("2024-05-05"), NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, at("2024-05-05T00:00:01Z")), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
}

static void expect_calendar_error(asyncz_calendar_interval ci, const char *field, const char *expression,
                                  const char *reason)
{
    asyncz_trigger *t = (asyncz_trigger *)0x1;
    asyncz_trigger_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, NULL, &err), ASYNCZ_EINVAL);
    assert_null(t);
    assert_string_equal(err.field, field);
    assert_string_equal(err.expression, expression);
    assert_string_equal(err.reason, reason);
}

static void test_calendar_errors(void **state)
{
    expect_calendar_error((asyncz_calendar_interval){0}, "interval", "0",
                          "at least one of years, months, weeks, days must be positive");
    expect_calendar_error((asyncz_calendar_interval){.days = -1}, "days", "-1", "must not be negative");
    expect_calendar_error((asyncz_calendar_interval){.years = -2, .days = 1}, "years", "-2",
                          "must not be negative");
    expect_calendar_error((asyncz_calendar_interval){.months = -1}, "months", "-1", "must not be negative");
    expect_calendar_error((asyncz_calendar_interval){.weeks = -1}, "weeks", "-1", "must not be negative");
    expect_calendar_error((asyncz_calendar_interval){.days = 1, .hour = 24}, "hour", "24",
                          "must be between 0 and 23");
    expect_calendar_error((asyncz_calendar_interval){.days = 1, .minute = 60}, "minute", "60",
                          "must be between 0 and 59");
    expect_calendar_error((asyncz_calendar_interval){.days = 1, .second = -1}, "second", "-1",
                          "must not be negative");
    asyncz_calendar_interval ok = {.days = 1};
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_calendar_new(NULL, &ok, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_calendar_new(&t, NULL, NULL, NULL), ASYNCZ_EINVAL);
    asyncz_calendar_interval bad = {0};
    assert_int_equal(asyncz_trigger_calendar_new(&t, &bad, NULL, NULL), ASYNCZ_EINVAL);
}

/* ---- date --------------------------------------------------------------------------------------------- */

static void test_date_fires_once(void **state)
{
    asyncz_time_t run = at("2024-06-01T12:00:00Z");
    asyncz_trigger *t = date_trigger(run);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, run - DAY), run, NULL);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, run), run, NULL);
    /* Past: still the run date, the scheduler decides about the misfire. */
    assert_time(next_of(t, ASYNCZ_TIME_NONE, run + DAY), run, NULL);
    assert_time(next_of(t, run, run), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, run - DAY, run - DAY), ASYNCZ_TIME_NONE, NULL);
    assert_string_equal(asyncz_trigger_kind(t), "date");
    asyncz_trigger_unref(t);
}

static void test_date_options(void **state)
{
    asyncz_time_t before = asyncz_now();
    asyncz_trigger *t = date_trigger(ASYNCZ_TIME_NONE);
    asyncz_time_t got = next_of(t, ASYNCZ_TIME_NONE, before);
    assert_true(got >= before && got <= asyncz_now());
    asyncz_trigger_unref(t);
    asyncz_time_t run = at("2024-06-01T12:00:00Z");
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    opts.end_date = run - 1;
    assert_int_equal(asyncz_trigger_date_new(&t, run, &opts), 0);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, run - DAY), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    opts.end_date = ASYNCZ_TIME_NONE;
    opts.start_date = run + 1;
    assert_int_equal(asyncz_trigger_date_new(&t, run, &opts), 0);
    assert_time(next_of(t, ASYNCZ_TIME_NONE, run - DAY), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(t);
    assert_int_equal(asyncz_trigger_date_new(NULL, run, &opts), ASYNCZ_EINVAL);
}

/* ---- and / or ------------------------------------------------------------------------------------------ */

static asyncz_trigger *combine(bool is_and, asyncz_trigger *a, asyncz_trigger *b)
{
    asyncz_trigger *children[2] = {a, b};
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    int rc = is_and ? asyncz_trigger_and_new(&t, children, 2, &opts)
                    : asyncz_trigger_or_new(&t, children, 2, &opts);
    assert_int_equal(rc, 0);
    asyncz_trigger_unref(a);
    asyncz_trigger_unref(b);
    return t;
}

static void test_and_agreement(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = combine(true, interval_trigger(2 * HOUR, start, ASYNCZ_TIME_NONE, NULL),
                                interval_trigger(3 * HOUR, start + HOUR, ASYNCZ_TIME_NONE, NULL));
    static const char *const expected[] = {"2024-01-01T04:00:00Z", "2024-01-01T10:00:00Z",
                                           "2024-01-01T16:00:00Z"};
    assert_preview(t, start, 3, expected, 3, NULL);
    assert_time(next_of(t, at("2024-01-01T04:00:00Z"), at("2024-01-01T05:00:00Z")),
                at("2024-01-01T10:00:00Z"), NULL);
    assert_string_equal(asyncz_trigger_kind(t), "and");
    asyncz_trigger_unref(t);
}

/* Two grids offset by an hour never meet: the search stops at its bound with ASYNCZ_ESEARCH. */
static void test_and_never_agrees(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = combine(true, interval_trigger(2 * HOUR, start, ASYNCZ_TIME_NONE, NULL),
                                interval_trigger(2 * HOUR, start + HOUR, ASYNCZ_TIME_NONE, NULL));
    asyncz_time_t out = 0;
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, start, &out), ASYNCZ_ESEARCH);
    assert_time(out, ASYNCZ_TIME_NONE, NULL);
    size_t n = 9;
    asyncz_time_t buf[2];
    assert_int_equal(asyncz_trigger_preview(t, start, 2, buf, &n), ASYNCZ_ESEARCH);
    assert_int_equal(n, 0);
    asyncz_trigger_unref(t);
}

static void test_and_exhausted_child(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = combine(true, interval_trigger(HOUR, start, start + 3 * HOUR, NULL),
                                interval_trigger(2 * HOUR, start, ASYNCZ_TIME_NONE, NULL));
    static const char *const expected[] = {"2024-01-01T00:00:00Z", "2024-01-01T02:00:00Z"};
    assert_preview(t, start, 5, expected, 2, NULL);
    asyncz_trigger_unref(t);
}

/* A date child whose date has passed is no match (not the "late" answer a date trigger gives alone). */
static void test_combine_date_children(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_time_t d1 = at("2024-01-01T06:00:00Z"), d2 = at("2024-01-01T09:00:00Z");
    asyncz_trigger *both =
        combine(true, date_trigger(d1), interval_trigger(HOUR, start, ASYNCZ_TIME_NONE, NULL));
    assert_time(next_of(both, ASYNCZ_TIME_NONE, start), d1, NULL);
    assert_time(next_of(both, d1, d1), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(both, ASYNCZ_TIME_NONE, d1 + 1), ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger_unref(both);
    asyncz_trigger *either = combine(false, date_trigger(d2), date_trigger(d1));
    static const char *const expected[] = {"2024-01-01T06:00:00Z", "2024-01-01T09:00:00Z"};
    assert_preview(either, start, 5, expected, 2, NULL);
    assert_time(next_of(either, ASYNCZ_TIME_NONE, d1 + 1), d2, NULL);
    assert_time(next_of(either, ASYNCZ_TIME_NONE, d2 + 1), ASYNCZ_TIME_NONE, NULL);
    assert_string_equal(asyncz_trigger_kind(either), "or");
    asyncz_trigger_unref(either);
}

static void test_or_earliest(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = combine(false, interval_trigger(3 * HOUR, start, ASYNCZ_TIME_NONE, NULL),
                                interval_trigger(2 * HOUR, start, ASYNCZ_TIME_NONE, NULL));
    static const char *const expected[] = {"2024-01-01T00:00:00Z", "2024-01-01T02:00:00Z",
                                           "2024-01-01T03:00:00Z", "2024-01-01T04:00:00Z",
                                           "2024-01-01T06:00:00Z", "2024-01-01T08:00:00Z"};
    assert_preview(t, start, 6, expected, 6, NULL);
    asyncz_trigger_unref(t);
}

static void test_combine_refcounts(void **state)
{
    asyncz_trigger *child = interval_trigger(HOUR, 0, ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger *children[] = {child, child};
    asyncz_trigger *t = NULL;
    assert_int_equal(atomic_load(&ASYNCZ_TRIGGER_BASE(child)->refs), 1);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    assert_int_equal(asyncz_trigger_and_new(&t, children, 2, &opts), 0);
    assert_int_equal(atomic_load(&ASYNCZ_TRIGGER_BASE(child)->refs), 3);
    asyncz_trigger_unref(t);
    assert_int_equal(atomic_load(&ASYNCZ_TRIGGER_BASE(child)->refs), 1);
    assert_int_equal(asyncz_trigger_or_new(&t, children, 1, &opts), 0);
    asyncz_trigger_unref(child);
    /* The combination keeps its child alive. */
    assert_time(next_of(t, ASYNCZ_TIME_NONE, 1), HOUR, NULL);
    asyncz_trigger_unref(t);
}

static void test_combine_errors(void **state)
{
    asyncz_trigger *child = interval_trigger(HOUR, 0, ASYNCZ_TIME_NONE, NULL);
    asyncz_trigger *with_null[] = {child, NULL};
    asyncz_trigger *t = (asyncz_trigger *)0x1;
    assert_int_equal(asyncz_trigger_and_new(&t, with_null, 0, NULL), ASYNCZ_EINVAL);
    assert_null(t);
    assert_int_equal(asyncz_trigger_and_new(&t, NULL, 1, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_or_new(&t, with_null, 2, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_or_new(NULL, with_null, 1, NULL), ASYNCZ_EINVAL);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.jitter = -1;
    assert_int_equal(asyncz_trigger_or_new(&t, with_null, 1, &opts), ASYNCZ_EINVAL);
    assert_int_equal(atomic_load(&ASYNCZ_TRIGGER_BASE(child)->refs), 1);
    asyncz_trigger_unref(child);
}

/* ---- shutdown ---------------------------------------------------------------------------------------- */

static void test_shutdown(void **state)
{
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&t), 0);
    assert_string_equal(asyncz_trigger_kind(t), "shutdown");
    assert_time(next_of(t, ASYNCZ_TIME_NONE, 0), ASYNCZ_TIME_NONE, NULL);
    assert_time(next_of(t, 0, HOUR), ASYNCZ_TIME_NONE, NULL);
    size_t n = 9;
    asyncz_time_t buf[3];
    assert_int_equal(asyncz_trigger_preview(t, 0, 3, buf, &n), 0);
    assert_int_equal(n, 0);
    assert_describe(t, "shutdown[timezone='UTC']");
    asyncz_trigger_unref(t);
    assert_int_equal(asyncz_trigger_shutdown_new(NULL), ASYNCZ_EINVAL);
}

/* ---- jitter ------------------------------------------------------------------------------------------ */

static asyncz_trigger *jittered(uint64_t seed, int64_t jitter, asyncz_time_t end)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    opts.start_date = at("2024-01-01T00:00:00Z");
    opts.end_date = end;
    opts.jitter = jitter;
    opts.jitter_seed = seed;
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, HOUR, &opts, NULL), 0);
    return t;
}

static void test_jitter_seeded(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *a = jittered(42, 10 * MINUTE, ASYNCZ_TIME_NONE);
    asyncz_trigger *b = jittered(42, 10 * MINUTE, ASYNCZ_TIME_NONE);
    asyncz_trigger *c = jittered(43, 10 * MINUTE, ASYNCZ_TIME_NONE);
    asyncz_time_t pa[32], pb[32], pc[32];
    size_t na, nb, nc;
    assert_int_equal(asyncz_trigger_preview(a, start, 32, pa, &na), 0);
    assert_int_equal(asyncz_trigger_preview(b, start, 32, pb, &nb), 0);
    assert_int_equal(asyncz_trigger_preview(c, start, 32, pc, &nc), 0);
    assert_int_equal(na, 32);
    assert_int_equal(nc, 32);
    assert_memory_equal(pa, pb, sizeof pa);
    int differ = 0, nonzero = 0;
    for (int k = 0; k < 32; k++) {
        assert_true(pa[k] >= start + k * HOUR && pa[k] <= start + k * HOUR + 10 * MINUTE);
        differ += pa[k] != pc[k];
        nonzero += pa[k] != start + k * HOUR;
    }
    assert_true(differ > 16);
    assert_true(nonzero > 16);
    asyncz_trigger_unref(a);
    asyncz_trigger_unref(b);
    asyncz_trigger_unref(c);
}

/* Jitter never pushes a fire time past end_date, whatever the seed. */
static void test_jitter_clamped_to_end(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z"), end = start + HOUR + MINUTE;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        asyncz_trigger *t = jittered(seed, 10 * MINUTE, end);
        asyncz_time_t got = next_of(t, start, start);
        assert_true(got >= start + HOUR && got <= end);
        asyncz_trigger_unref(t);
    }
    asyncz_trigger *t = jittered(5, 10 * MINUTE, start + HOUR);
    assert_time(next_of(t, start, start), start + HOUR, NULL);
    asyncz_trigger_unref(t);
}

/* ---- preview ----------------------------------------------------------------------------------------- */

static void test_preview(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *t = interval_trigger(HOUR, start, ASYNCZ_TIME_NONE, NULL);
    static const char *const expected[] = {"2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z",
                                           "2024-01-01T04:00:00Z"};
    /* The first is next(NONE, from), each further one next(p, p). */
    assert_preview(t, start + HOUR + 1, 3, expected, 3, NULL);
    asyncz_time_t buf[1];
    size_t n = 9;
    assert_int_equal(asyncz_trigger_preview(t, start, 0, NULL, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(asyncz_trigger_preview(t, start, 1, NULL, &n), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_preview(t, start, 1, buf, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_preview(NULL, start, 1, buf, &n), ASYNCZ_EINVAL);
    asyncz_trigger_unref(t);
    t = date_trigger(start);
    static const char *const once[] = {"2024-01-01T00:00:00Z"};
    assert_preview(t, start + DAY, 4, once, 1, NULL);
    asyncz_trigger_unref(t);
}

/* ---- describe ----------------------------------------------------------------------------------------- */

static void test_describe_kinds(void **state)
{
    asyncz_time_t start = at("2024-01-01T00:00:00Z");
    asyncz_trigger *iv = interval_trigger(HOUR, start, ASYNCZ_TIME_NONE, NULL);
    assert_describe(iv, "interval[1:00:00, start_date='2024-01-01T00:00:00+00:00', timezone='UTC']");
    asyncz_trigger *odd =
        interval_trigger(2 * DAY + 30 * MINUTE + 1500 * ASYNCZ_USEC_PER_MSEC, start, start + DAY, NULL);
    assert_describe(odd, "interval[2 days, 0:30:01.500000, start_date='2024-01-01T00:00:00+00:00', "
                         "end_date='2024-01-02T00:00:00+00:00', timezone='UTC']");
    asyncz_trigger_unref(odd);
    asyncz_trigger *d = date_trigger(at("2024-03-29T03:00:00Z"));
    assert_describe(d, "date[2024-03-29T03:00:00+00:00, timezone='UTC']");
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_calendar_interval ci = {.months = 1, .hour = 9};
    asyncz_trigger *cal = calendar_trigger(&ci, ASYNCZ_TIME_NONE, berlin);
    assert_describe(cal, "calendarinterval[years=0, months=1, weeks=0, days=0, time='09:00:00', "
                         "timezone='Europe/Berlin']");
    asyncz_trigger_unref(cal);
    asyncz_zone_unref(berlin);
    asyncz_trigger *both = combine(true, iv, d);
    assert_describe(both, "and[interval[1:00:00, start_date='2024-01-01T00:00:00+00:00', timezone='UTC'], "
                          "date[2024-03-29T03:00:00+00:00, timezone='UTC'], timezone='UTC']");
    asyncz_trigger_unref(both);
    asyncz_trigger *j = jittered(1, 90 * SECOND, ASYNCZ_TIME_NONE);
    char jd[64];
    asyncz_duration_format(jd, sizeof jd, 90 * SECOND);
    char expected[256];
    snprintf(expected, sizeof expected,
             "interval[1:00:00, start_date='2024-01-01T00:00:00+00:00', jitter='%s', timezone='UTC']", jd);
    assert_describe(j, expected);
    asyncz_trigger_unref(j);
}

/* Like snprintf: the full length whatever the buffer, and a terminated prefix in a short one. */
static void test_describe_truncation(void **state)
{
    asyncz_trigger *t = date_trigger(at("2024-03-29T03:00:00Z"));
    const char *full = "date[2024-03-29T03:00:00+00:00, timezone='UTC']";
    char small[10];
    assert_int_equal(asyncz_trigger_describe(t, small, sizeof small), (int)strlen(full));
    assert_string_equal(small, "date[2024");
    assert_int_equal(asyncz_trigger_describe(t, NULL, 0), (int)strlen(full));
    assert_int_equal(asyncz_trigger_describe(NULL, small, sizeof small), ASYNCZ_EINVAL);
    asyncz_trigger *both = combine(false, date_trigger(0), t);
    char mid[40];
    int len = asyncz_trigger_describe(both, mid, sizeof mid);
    char big[256];
    assert_int_equal(asyncz_trigger_describe(both, big, sizeof big), len);
    assert_int_equal(strlen(mid), sizeof mid - 1);
    assert_memory_equal(mid, big, sizeof mid - 1);
    asyncz_trigger_unref(both);
}

/* ---- errors and the base --------------------------------------------------------------------------- */

static void test_error_format(void **state)
{
    asyncz_trigger_error err;
    memset(&err, 0, sizeof err);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, 0, NULL, &err), ASYNCZ_EINVAL);
    char buf[256];
    int n = asyncz_trigger_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "interval \"0us\": interval must be positive");
    assert_int_equal(n, (int)strlen(buf));
    asyncz_trigger_error cron = {
        .field = "minute", .expression = "*/0", .column = 3, .reason = "step must be at least 1"};
    int len = asyncz_trigger_error_format(&cron, buf, sizeof buf);
    assert_string_equal(buf, "minute \"*/0\": column 3: step must be at least 1");
    assert_int_equal(len, (int)strlen(buf));
    char small[5];
    assert_int_equal(asyncz_trigger_error_format(&cron, small, sizeof small), len);
    assert_string_equal(small, "minu");
    assert_int_equal(asyncz_trigger_error_format(&cron, NULL, 0), len);
    asyncz_trigger_error bare = {.expression = "x", .reason = "bad"};
    asyncz_trigger_error_format(&bare, buf, sizeof buf);
    assert_string_equal(buf, "\"x\": bad");
    assert_int_equal(asyncz_trigger_error_format(NULL, buf, sizeof buf), (int)strlen("unknown error"));
    assert_string_equal(buf, "unknown error");
}

/* A custom kind for the extension API: fires at every multiple of `period` (a "clock tick"). */
typedef struct tick_trigger {
    asyncz_trigger_base base;
    int64_t period;
    int *destroyed;
} tick_trigger;

static int tick_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    const tick_trigger *tt = (const tick_trigger *)t;
    asyncz_time_t from = previous == ASYNCZ_TIME_NONE ? now : previous + 1;
    if (tt->base.start_date != ASYNCZ_TIME_NONE && from < tt->base.start_date)
        from = tt->base.start_date;
    int64_t rem = from % tt->period;
    *out = rem ? from + (tt->period - rem) : from;
    return 0;
}

static int tick_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    return snprintf(buf, size, "every %lld us", (long long)((const tick_trigger *)t)->period);
}

static void tick_destroy(asyncz_trigger *t)
{
    tick_trigger *tt = (tick_trigger *)t;
    (*tt->destroyed)++;
    test_free(tt);
}

static const asyncz_trigger_ops tick_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "tick",
    .next = tick_next,
    .describe = tick_describe,
    .destroy = tick_destroy,
};

static asyncz_trigger *tick_new(int64_t period, asyncz_time_t end, int *destroyed)
{
    tick_trigger *tt = test_calloc(1, sizeof *tt);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    opts.end_date = end;
    assert_int_equal(asyncz_trigger_base_init(&tt->base, &tick_ops, &opts), 0);
    tt->period = period;
    tt->destroyed = destroyed;
    return (asyncz_trigger *)tt;
}

static void test_custom_kind(void **state)
{
    int destroyed = 0;
    asyncz_trigger *t = tick_new(7 * SECOND, 30 * SECOND, &destroyed);
    assert_string_equal(asyncz_trigger_kind(t), "tick");
    static const char *const expected[] = {"1970-01-01T00:00:07Z", "1970-01-01T00:00:14Z",
                                           "1970-01-01T00:00:21Z", "1970-01-01T00:00:28Z"};
    /* end_date (30 s) is applied by the library: four ticks, then exhausted. */
    assert_preview(t, 1, 10, expected, 4, NULL);
    assert_describe(t, "tick[every 7000000 us, end_date='1970-01-01T00:00:30+00:00', timezone='UTC']");
    asyncz_trigger *both =
        combine(true, asyncz_trigger_ref(t), interval_trigger(2 * SECOND, 0, ASYNCZ_TIME_NONE, NULL));
    assert_time(next_of(both, ASYNCZ_TIME_NONE, 1), 14 * SECOND, NULL);
    asyncz_trigger_unref(both);
    assert_int_equal(destroyed, 0);
    asyncz_trigger_unref(t);
    assert_int_equal(destroyed, 1);
}

static void test_base_init_errors(void **state)
{
    asyncz_trigger_base base;
    asyncz_trigger_ops bad = tick_ops;
    bad.version = ASYNCZ_TRIGGER_OPS_VERSION + 1;
    assert_int_equal(asyncz_trigger_base_init(&base, &bad, NULL), ASYNCZ_EINVAL);
    bad = tick_ops;
    bad.next = NULL;
    assert_int_equal(asyncz_trigger_base_init(&base, &bad, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_trigger_base_init(&base, NULL, NULL), ASYNCZ_EINVAL);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    opts.jitter = -1;
    assert_int_equal(asyncz_trigger_base_init(&base, &tick_ops, &opts), ASYNCZ_EINVAL);
    opts.jitter = 0;
    opts.start_date = HOUR;
    opts.end_date = HOUR - 1;
    assert_int_equal(asyncz_trigger_base_init(&base, &tick_ops, &opts), ASYNCZ_EINVAL);
    /* The same errors through a kind's constructor, which then allocates nothing. */
    asyncz_trigger *t = (asyncz_trigger *)0x1;
    assert_int_equal(asyncz_trigger_interval_new(&t, HOUR, &opts, NULL), ASYNCZ_EINVAL);
    assert_null(t);
    assert_int_equal(asyncz_trigger_date_new(&t, 0, &opts), ASYNCZ_EINVAL);
    asyncz_calendar_interval ci = {.days = 1};
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &opts, NULL), ASYNCZ_EINVAL);
    opts.end_date = HOUR;
    assert_int_equal(asyncz_trigger_base_init(&base, &tick_ops, &opts), 0);
    asyncz_zone_unref(base.zone);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_interval_grid),
    cmocka_unit_test(test_interval_dst_elapsed),
    cmocka_unit_test(test_interval_microseconds),
    cmocka_unit_test(test_interval_default_start),
    cmocka_unit_test(test_interval_end_inclusive),
    cmocka_unit_test(test_interval_overflow),
    cmocka_unit_test(test_interval_zero_error),
    cmocka_unit_test(test_interval_usec_parts),
    cmocka_unit_test(test_interval_jittered_previous),
    cmocka_unit_test(test_calendar_every_two_days),
    cmocka_unit_test(test_calendar_dst_gap_and_overlap),
    cmocka_unit_test(test_calendar_month_ends),
    cmocka_unit_test(test_calendar_leap_years),
    cmocka_unit_test(test_calendar_weeks),
    cmocka_unit_test(test_calendar_start_in_past),
    cmocka_unit_test(test_calendar_start_in_future),
    cmocka_unit_test(test_calendar_default_start),
    cmocka_unit_test(test_calendar_end_of_range),
    cmocka_unit_test(test_calendar_range_edges),
    cmocka_unit_test(test_calendar_errors),
    cmocka_unit_test(test_date_fires_once),
    cmocka_unit_test(test_date_options),
    cmocka_unit_test(test_and_agreement),
    cmocka_unit_test(test_and_never_agrees),
    cmocka_unit_test(test_and_exhausted_child),
    cmocka_unit_test(test_combine_date_children),
    cmocka_unit_test(test_or_earliest),
    cmocka_unit_test(test_combine_refcounts),
    cmocka_unit_test(test_combine_errors),
    cmocka_unit_test(test_shutdown),
    cmocka_unit_test(test_jitter_seeded),
    cmocka_unit_test(test_jitter_clamped_to_end),
    cmocka_unit_test(test_preview),
    cmocka_unit_test(test_describe_kinds),
    cmocka_unit_test(test_describe_truncation),
    cmocka_unit_test(test_error_format),
    cmocka_unit_test(test_custom_kind),
    cmocka_unit_test(test_base_init_errors),
};

AZ_TEST_MAIN(tests)
