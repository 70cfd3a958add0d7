/* Civil helpers, ISO-8601, durations, POSIX TZ strings, the TZif reader and zones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "az_test.h"
#include "time/civil.h"
#include "time/posix_tz.h"
#include "time/tzif.h"
#include "time/zone.h"
#include "time/zone_internal.h"

#define SEC ASYNCZ_USEC_PER_SEC

/* ---- helpers ------------------------------------------------------------------------------- */

static asyncz_civil civil(int y, int mo, int d, int h, int mi, int s)
{
    return (asyncz_civil){y, (int8_t)mo, (int8_t)d, (int8_t)h, (int8_t)mi, (int8_t)s, 0};
}

/* An instant written with an explicit offset, so expected values read like the ISO text. */
static asyncz_time_t at(const char *text)
{
    return az_test_time(text, NULL);
}

static void assert_fmt(asyncz_time_t t, const char *zone, const char *expected)
{
    asyncz_zone *z = az_test_zone(zone);
    char buf[ASYNCZ_TIME_FORMAT_SIZE];
    int n = asyncz_time_format(buf, sizeof buf, t, z);
    assert_int_equal(n, (int)strlen(expected));
    assert_string_equal(buf, expected);
    asyncz_zone_unref(z);
}

static void assert_local(const char *zone, asyncz_civil c, asyncz_local_kind kind, const char *first,
                         const char *second)
{
    asyncz_zone *z = az_test_zone(zone);
    asyncz_local_result r;
    assert_int_equal(asyncz_zone_from_civil(z, &c, &r), 0);
    if ((int)r.kind != (int)kind || r.first != at(first) || r.second != at(second))
        fail_msg("%s %04d-%02d-%02d %02d:%02d: kind %d %s %s, expected %d %s %s", zone, c.year, c.month,
                 c.day, c.hour, c.minute, r.kind, az_test_fmt(r.first, NULL), az_test_fmt(r.second, NULL),
                 kind, first, second);
    asyncz_time_t t;
    assert_int_equal(asyncz_zone_resolve(z, &c, &t), 0);
    assert_int_equal(t, r.first);
    asyncz_zone_unref(z);
}

static void assert_parse_error(const char *text, int rc, int column)
{
    asyncz_time_t t = 12345;
    int col = -1;
    int got = asyncz_time_parse(&t, text, NULL, &col);
    if (got != rc || col != column)
        fail_msg("\"%s\": rc %d column %d, expected %d column %d", text, got, col, rc, column);
    assert_int_equal(t, 12345);
}

static void assert_duration(const char *text, int64_t expected)
{
    int64_t v = -1;
    int col = -1;
    int rc = asyncz_duration_parse(&v, text, &col);
    if (rc != 0 || v != expected)
        fail_msg("\"%s\": rc %d value %lld, expected %lld", text, rc, (long long)v, (long long)expected);
    assert_int_equal(col, 0);
}

static void assert_duration_error(const char *text, int rc, int column)
{
    int64_t v = 77;
    int col = -1;
    int got = asyncz_duration_parse(&v, text, &col);
    if (got != rc || col != column)
        fail_msg("\"%s\": rc %d column %d, expected %d column %d", text, got, col, rc, column);
    assert_int_equal(v, 77);
}

static void assert_duration_fmt(int64_t usec, const char *expected)
{
    char buf[48];
    assert_int_equal(asyncz_duration_format(buf, sizeof buf, usec), (int)strlen(expected));
    assert_string_equal(buf, expected);
}

/* ---- civil helpers --------------------------------------------------------------------------- */

static void test_civil_valid(void **state)
{
    asyncz_civil c = civil(2024, 2, 29, 23, 59, 59);
    c.usec = 999999;
    assert_true(asyncz_civil_valid(&c));
    assert_false(asyncz_civil_valid(NULL));
    c = civil(2023, 2, 29, 0, 0, 0);
    assert_false(asyncz_civil_valid(&c));
    c = civil(1900, 2, 29, 0, 0, 0);
    assert_false(asyncz_civil_valid(&c));
    c = civil(2000, 2, 29, 0, 0, 0);
    assert_true(asyncz_civil_valid(&c));
    const asyncz_civil bad[] = {
        civil(0, 1, 1, 0, 0, 0),     civil(10000, 1, 1, 0, 0, 0), civil(2026, 0, 1, 0, 0, 0),
        civil(2026, 13, 1, 0, 0, 0), civil(2026, 4, 31, 0, 0, 0), civil(2026, 1, 0, 0, 0, 0),
        civil(2026, 1, 1, 24, 0, 0), civil(2026, 1, 1, -1, 0, 0), civil(2026, 1, 1, 0, 60, 0),
        civil(2026, 1, 1, 0, 0, 60),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(asyncz_civil_valid(&bad[i]));
    c = civil(2026, 1, 1, 0, 0, 0);
    c.usec = 1000000;
    assert_false(asyncz_civil_valid(&c));
    c.usec = -1;
    assert_false(asyncz_civil_valid(&c));
}

static void test_civil_weekday(void **state)
{
    assert_int_equal(asyncz_civil_weekday(1970, 1, 1), 3);  /* Thursday */
    assert_int_equal(asyncz_civil_weekday(2026, 3, 29), 6); /* Sunday */
    assert_int_equal(asyncz_civil_weekday(2000, 2, 29), 1); /* Tuesday */
    assert_int_equal(asyncz_civil_weekday(1, 1, 1), 0);     /* Monday */
    assert_int_equal(asyncz_civil_weekday(9999, 12, 31), 4);
    assert_int_equal(asyncz_civil_weekday(2026, 2, 29), -1);
    assert_int_equal(asyncz_civil_weekday(2026, 13, 1), -1);
}

static void test_civil_days_in_month(void **state)
{
    assert_int_equal(asyncz_civil_days_in_month(2024, 2), 29);
    assert_int_equal(asyncz_civil_days_in_month(2023, 2), 28);
    assert_int_equal(asyncz_civil_days_in_month(1900, 2), 28);
    assert_int_equal(asyncz_civil_days_in_month(2000, 2), 29);
    assert_int_equal(asyncz_civil_days_in_month(2026, 4), 30);
    assert_int_equal(asyncz_civil_days_in_month(2026, 12), 31);
    assert_int_equal(asyncz_civil_days_in_month(2026, 0), 0);
    assert_int_equal(asyncz_civil_days_in_month(2026, 13), 0);
}

static void test_now(void **state)
{
    asyncz_time_t a = asyncz_now();
    asyncz_time_t b = asyncz_now();
    assert_true(b >= a);
    assert_true(a > at("2024-01-01T00:00:00Z") && a < at("2200-01-01T00:00:00Z"));
}

/* ---- ISO-8601 ------------------------------------------------------------------------------- */

static void test_parse_forms(void **state)
{
    assert_int_equal(at("2022-11-3"), INT64_C(1667433600) * SEC);
    assert_int_equal(at("2022-11-03"), INT64_C(1667433600) * SEC);
    assert_int_equal(at("2022-02-03 11:00:00"), INT64_C(1643886000) * SEC);
    assert_int_equal(at("2022-02-03T11:00"), INT64_C(1643886000) * SEC);
    assert_int_equal(at("2022-02-03t11:00"), INT64_C(1643886000) * SEC);
    assert_int_equal(at("2022-11-03T00:00:02.001000+00:00"), INT64_C(1667433602001000));
    assert_int_equal(at("2026-03-29T03:00:00+02:00"), INT64_C(1774746000) * SEC);
    assert_int_equal(at("2026-03-29T01:00:00Z"), INT64_C(1774746000) * SEC);
    assert_int_equal(at("2026-03-29T01:00:00z"), INT64_C(1774746000) * SEC);
    assert_int_equal(at("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(at("1969-12-31T23:59:59.999999Z"), -1);
    assert_int_equal(at("0001-01-01T00:00:00Z"), ASYNCZ_TIME_MIN);
    assert_int_equal(at("9999-12-31T23:59:59.999999Z"), ASYNCZ_TIME_MAX);
}

static void test_parse_offsets(void **state)
{
    asyncz_time_t t = INT64_C(1774746000) * SEC;
    assert_int_equal(at("2026-03-29T03:00:00+0200"), t);
    assert_int_equal(at("2026-03-29T03:00:00+02"), t);
    assert_int_equal(at("2026-03-28T20:00:00-05:00"), t);
    assert_int_equal(at("2026-03-29T06:30:00+05:30"), t);
    assert_int_equal(at("2026-03-29T01:53:28+00:53:28"), t);
    assert_int_equal(at("2026-03-29T01:53:28+005328"), t);
    assert_int_equal(at("2026-03-29T01:00:00-00:00"), t);
    assert_int_equal(at("2026-03-29T01:00+00:00"), t);
}

static void test_parse_fraction(void **state)
{
    asyncz_time_t base = INT64_C(1774746000) * SEC;
    assert_int_equal(at("2026-03-29T01:00:00.25Z"), base + 250000);
    assert_int_equal(at("2026-03-29T01:00:00,5Z"), base + 500000);
    assert_int_equal(at("2026-03-29T01:00:00.1Z"), base + 100000);
    assert_int_equal(at("2026-03-29T01:00:00.000001Z"), base + 1);
    assert_int_equal(at("2026-03-29T01:00:00.123456789Z"), base + 123456);
    assert_int_equal(at("2026-03-29T01:00:00.0000009Z"), base);
}

static void test_parse_naive_zone(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_time_t t;
    int col;
    assert_int_equal(asyncz_time_parse(&t, "2026-07-01T12:00:00", berlin, &col), 0);
    assert_int_equal(t, at("2026-07-01T10:00:00Z"));
    /* The gap: 02:30 does not exist, the first instant after it is 03:00 CEST. */
    assert_int_equal(asyncz_time_parse(&t, "2026-03-29T02:30", berlin, &col), 0);
    assert_int_equal(t, at("2026-03-29T01:00:00Z"));
    /* The overlap: the first occurrence (CEST). */
    assert_int_equal(asyncz_time_parse(&t, "2026-10-25T02:30", berlin, &col), 0);
    assert_int_equal(t, at("2026-10-25T00:30:00Z"));
    /* Date only: local midnight. */
    assert_int_equal(asyncz_time_parse(&t, "2026-07-01", berlin, &col), 0);
    assert_int_equal(t, at("2026-06-30T22:00:00Z"));
    /* An explicit offset wins over the naive zone. */
    assert_int_equal(asyncz_time_parse(&t, "2026-07-01T12:00:00Z", berlin, &col), 0);
    assert_int_equal(t, at("2026-07-01T12:00:00+00:00"));
    assert_int_equal(col, 0);
    asyncz_zone_unref(berlin);
}

static void test_parse_errors(void **state)
{
    assert_parse_error("", ASYNCZ_EPARSE, 1);
    assert_parse_error("22-11-03", ASYNCZ_EPARSE, 3);
    assert_parse_error("20221103", ASYNCZ_EPARSE, 5);
    assert_parse_error("2022/11/03", ASYNCZ_EPARSE, 5);
    assert_parse_error("2022-", ASYNCZ_EPARSE, 6);
    assert_parse_error("2022-11", ASYNCZ_EPARSE, 8);
    assert_parse_error("2022-11-", ASYNCZ_EPARSE, 9);
    assert_parse_error("2022-111-03", ASYNCZ_EPARSE, 8);
    assert_parse_error("2022-11-03X11:00", ASYNCZ_EPARSE, 11);
    assert_parse_error("2022-11-03T", ASYNCZ_EPARSE, 12);
    assert_parse_error("2022-11-03T1:00", ASYNCZ_EPARSE, 13);
    assert_parse_error("2022-11-03T11", ASYNCZ_EPARSE, 14);
    assert_parse_error("2022-11-03T11:0", ASYNCZ_EPARSE, 16);
    assert_parse_error("2022-11-03T11:00:", ASYNCZ_EPARSE, 18);
    assert_parse_error("2022-11-03T11:00:00.", ASYNCZ_EPARSE, 21);
    assert_parse_error("2022-11-03T11:00:00.1234567891", ASYNCZ_EPARSE, 30);
    assert_parse_error("2022-11-03T11:00:00 ", ASYNCZ_EPARSE, 20);
    assert_parse_error("2022-11-03T11:00:00+", ASYNCZ_EPARSE, 21);
    assert_parse_error("2022-11-03T11:00:00+2", ASYNCZ_EPARSE, 22);
    assert_parse_error("2022-11-03T11:00:00+02:", ASYNCZ_EPARSE, 24);
    assert_parse_error("2022-11-03T11:00:00+02:0", ASYNCZ_EPARSE, 25);
    assert_parse_error("2022-11-03T11:00:00+02:00x", ASYNCZ_EPARSE, 26);
    assert_parse_error("2022-11-03T11:00:00+02:0000", ASYNCZ_EPARSE, 26);
    assert_parse_error("2022-11-03T11:00:00Zx", ASYNCZ_EPARSE, 21);
    assert_parse_error("2022-11-03 ", ASYNCZ_EPARSE, 12);
    assert_parse_error("2022-11-03x", ASYNCZ_EPARSE, 11);
    assert_parse_error("2022-11-03+02:00", ASYNCZ_EPARSE, 11);
    assert_parse_error(" 2022-11-03", ASYNCZ_EPARSE, 1);
    /* Fields out of range: ERANGE at the field's first character. */
    assert_parse_error("0000-01-01", ASYNCZ_ERANGE, 1);
    assert_parse_error("2022-13-01", ASYNCZ_ERANGE, 6);
    assert_parse_error("2022-0-01", ASYNCZ_ERANGE, 6);
    assert_parse_error("2022-02-30", ASYNCZ_ERANGE, 9);
    assert_parse_error("2023-02-29", ASYNCZ_ERANGE, 9);
    assert_parse_error("2022-02-00", ASYNCZ_ERANGE, 9);
    assert_parse_error("2022-02-03T25:00", ASYNCZ_ERANGE, 12);
    assert_parse_error("2022-02-03T24:00", ASYNCZ_ERANGE, 12);
    assert_parse_error("2022-02-03T23:60", ASYNCZ_ERANGE, 15);
    assert_parse_error("2022-02-03T23:59:60", ASYNCZ_ERANGE, 18);
    assert_parse_error("2022-02-03T23:59:59+24:00", ASYNCZ_ERANGE, 21);
    assert_parse_error("2022-02-03T23:59:59+23:60", ASYNCZ_ERANGE, 24);
    /* The instant itself out of range: column 1. */
    assert_parse_error("0001-01-01T00:00:00+01:00", ASYNCZ_ERANGE, 1);
    assert_parse_error("9999-12-31T23:59:59-01:00", ASYNCZ_ERANGE, 1);
}

static void test_parse_range_naive(void **state)
{
    asyncz_zone *z = az_test_zone("+05:00");
    asyncz_time_t t = 5;
    int col = -1;
    assert_int_equal(asyncz_time_parse(&t, "0001-01-01T01:00", z, &col), ASYNCZ_ERANGE);
    assert_int_equal(col, 1);
    assert_int_equal(asyncz_time_parse(&t, "0001-01-01T05:00", z, &col), 0);
    assert_int_equal(t, ASYNCZ_TIME_MIN);
    asyncz_zone_unref(z);
}

static void test_parse_einval(void **state)
{
    asyncz_time_t t;
    int col = 9;
    assert_int_equal(asyncz_time_parse(NULL, "2022-01-01", NULL, &col), ASYNCZ_EINVAL);
    assert_int_equal(col, 0);
    assert_int_equal(asyncz_time_parse(&t, NULL, NULL, &col), ASYNCZ_EINVAL);
    /* err_column is optional. */
    assert_int_equal(asyncz_time_parse(&t, "2022-13-01", NULL, NULL), ASYNCZ_ERANGE);
    assert_int_equal(asyncz_time_parse(&t, "2022-01-01", NULL, NULL), 0);
}

static void test_format(void **state)
{
    assert_fmt(at("2026-03-29T01:00:00Z"), "UTC", "2026-03-29T01:00:00+00:00");
    assert_fmt(at("2026-03-29T01:00:00Z"), "Europe/Berlin", "2026-03-29T03:00:00+02:00");
    assert_fmt(at("2026-03-29T00:59:59.999999Z"), "Europe/Berlin", "2026-03-29T01:59:59.999999+01:00");
    assert_fmt(at("2026-03-29T01:00:00.25Z"), "UTC", "2026-03-29T01:00:00.25+00:00");
    assert_fmt(at("2026-03-29T01:00:00.001Z"), "UTC", "2026-03-29T01:00:00.001+00:00");
    assert_fmt(at("2026-03-29T01:00:00.000010Z"), "UTC", "2026-03-29T01:00:00.00001+00:00");
    assert_fmt(at("2026-01-15T12:00:00Z"), "America/New_York", "2026-01-15T07:00:00-05:00");
    assert_fmt(at("2026-01-15T12:00:00Z"), "Asia/Kolkata", "2026-01-15T17:30:00+05:30");
    assert_fmt(at("1850-01-01T00:00:00Z"), "Europe/Berlin", "1850-01-01T00:53:28+00:53:28");
    assert_fmt(at("0999-03-04T05:06:07Z"), "UTC", "0999-03-04T05:06:07+00:00");
    assert_fmt(ASYNCZ_TIME_MIN, "UTC", "0001-01-01T00:00:00+00:00");
    assert_fmt(ASYNCZ_TIME_MAX, "UTC", "9999-12-31T23:59:59.999999+00:00");
    assert_fmt(-1, "UTC", "1969-12-31T23:59:59.999999+00:00");
    /* A NULL zone is UTC. */
    char buf[ASYNCZ_TIME_FORMAT_SIZE];
    assert_int_equal(asyncz_time_format(buf, sizeof buf, 0, NULL), 25);
    assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
}

static void test_format_errors(void **state)
{
    char buf[ASYNCZ_TIME_FORMAT_SIZE];
    assert_int_equal(asyncz_time_format(NULL, 10, 0, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_time_format(buf, 25, 0, NULL), ASYNCZ_ETOOBIG);
    assert_int_equal(asyncz_time_format(buf, 26, 0, NULL), 25);
    assert_int_equal(asyncz_time_format(buf, sizeof buf, ASYNCZ_TIME_MAX + 1, NULL), ASYNCZ_ERANGE);
    assert_int_equal(asyncz_time_format(buf, sizeof buf, ASYNCZ_TIME_MIN - 1, NULL), ASYNCZ_ERANGE);
    /* The local date of TIME_MAX in Tokyo is in year 10000. */
    asyncz_zone *tokyo = az_test_zone("Asia/Tokyo");
    assert_int_equal(asyncz_time_format(buf, sizeof buf, ASYNCZ_TIME_MAX, tokyo), ASYNCZ_ERANGE);
    asyncz_zone_unref(tokyo);
}

static void test_format_parse_round_trip(void **state)
{
    const char *zones[] = {
        "UTC",           "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
        "Europe/Dublin", "+05:30",        "America/Santiago"};
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 4000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        asyncz_time_t t =
            (asyncz_time_t)(x % (uint64_t)(at("2200-01-01") - at("1800-01-01"))) + at("1800-01-01");
        if (i % 2)
            t -= t % SEC;
        asyncz_zone *z = az_test_zone(zones[i % 8]);
        char buf[ASYNCZ_TIME_FORMAT_SIZE];
        assert_true(asyncz_time_format(buf, sizeof buf, t, z) > 0);
        asyncz_time_t back;
        assert_int_equal(asyncz_time_parse(&back, buf, NULL, NULL), 0);
        if (back != t)
            fail_msg("%s in %s read back as %lld", buf, zones[i % 8], (long long)back);
        asyncz_zone_unref(z);
    }
}

/* ---- durations ------------------------------------------------------------------------------ */

static void test_duration_parse(void **state)
{
    assert_duration("30s", 30 * SEC);
    assert_duration("1h30m", 90 * ASYNCZ_USEC_PER_MIN);
    assert_duration("2d", 2 * ASYNCZ_USEC_PER_DAY);
    assert_duration("1w", 7 * ASYNCZ_USEC_PER_DAY);
    assert_duration("250ms", 250000);
    assert_duration("15us", 15);
    assert_duration("1.5s", 1500000);
    assert_duration("0.5h", 30 * ASYNCZ_USEC_PER_MIN);
    assert_duration(".5s", 500000);
    assert_duration("1.s", SEC);
    assert_duration("90", 90 * SEC);
    assert_duration("1.25", 1250000);
    assert_duration("0", 0);
    assert_duration("0s", 0);
    assert_duration("1h 30m", 90 * ASYNCZ_USEC_PER_MIN);
    assert_duration("  1m\t2s  ", 62 * SEC);
    assert_duration("1m1m", 2 * ASYNCZ_USEC_PER_MIN);
    assert_duration("1.0000005s", SEC);
    assert_duration("0.1234567890123456789012s", 123456);
    assert_duration("-5m", -5 * ASYNCZ_USEC_PER_MIN);
    assert_duration("+5m", 5 * ASYNCZ_USEC_PER_MIN);
    assert_duration("9223372036854775807us", INT64_MAX);
    assert_duration("1w2d3h4m5s6ms7us", 9 * ASYNCZ_USEC_PER_DAY + 3 * ASYNCZ_USEC_PER_HOUR +
                                            4 * ASYNCZ_USEC_PER_MIN + 5 * SEC + 6007);
}

static void test_duration_parse_errors(void **state)
{
    assert_duration_error("", ASYNCZ_EPARSE, 1);
    assert_duration_error("   ", ASYNCZ_EPARSE, 4);
    assert_duration_error("s", ASYNCZ_EPARSE, 1);
    assert_duration_error("1x", ASYNCZ_EPARSE, 2);
    assert_duration_error("1h30", ASYNCZ_EPARSE, 5);
    assert_duration_error("30 1h", ASYNCZ_EPARSE, 4);
    assert_duration_error("1hr", ASYNCZ_EPARSE, 2);
    assert_duration_error("1H", ASYNCZ_EPARSE, 2);
    assert_duration_error("1h-2m", ASYNCZ_EPARSE, 3);
    assert_duration_error(".s", ASYNCZ_EPARSE, 2);
    assert_duration_error("1h,", ASYNCZ_EPARSE, 3);
    assert_duration_error("-", ASYNCZ_EPARSE, 2);
    assert_duration_error("9223372036854775808us", ASYNCZ_ERANGE, 1);
    assert_duration_error("99999999999999999999", ASYNCZ_ERANGE, 1);
    assert_duration_error("1s 15250285w", ASYNCZ_ERANGE, 4);
    assert_duration_error("15250284w 4d", ASYNCZ_ERANGE, 11);
    int64_t v;
    int col = 3;
    assert_int_equal(asyncz_duration_parse(NULL, "1s", &col), ASYNCZ_EINVAL);
    assert_int_equal(col, 0);
    assert_int_equal(asyncz_duration_parse(&v, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_duration_parse(&v, "1x", NULL), ASYNCZ_EPARSE);
}

static void test_duration_format(void **state)
{
    assert_duration_fmt(0, "0s");
    assert_duration_fmt(90 * ASYNCZ_USEC_PER_MIN, "1h30m");
    assert_duration_fmt(250000, "250ms");
    assert_duration_fmt(1500000, "1s500ms");
    assert_duration_fmt(1, "1us");
    assert_duration_fmt(7 * ASYNCZ_USEC_PER_DAY, "1w");
    assert_duration_fmt(8 * ASYNCZ_USEC_PER_DAY + 1, "1w1d1us");
    assert_duration_fmt(-30 * SEC, "-30s");
    assert_duration_fmt(INT64_MAX, "15250284w3d4h54s775ms807us");
    assert_duration_fmt(INT64_MIN, "-15250284w3d4h54s775ms808us");
    char buf[48];
    assert_int_equal(asyncz_duration_format(NULL, 10, 1), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_duration_format(buf, 5, 90 * ASYNCZ_USEC_PER_MIN), ASYNCZ_ETOOBIG);
    assert_int_equal(asyncz_duration_format(buf, 6, 90 * ASYNCZ_USEC_PER_MIN), 5);
}

static void test_duration_round_trip(void **state)
{
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 5000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t v = (int64_t)x >> (i % 60);
        char buf[48];
        assert_true(asyncz_duration_format(buf, sizeof buf, v) > 0);
        int64_t back = 0;
        assert_int_equal(asyncz_duration_parse(&back, buf, NULL), v == INT64_MIN ? ASYNCZ_ERANGE : 0);
        if (v != INT64_MIN)
            assert_int_equal(back, v);
    }
}

/* ---- POSIX TZ strings ----------------------------------------------------------------------- */

static void test_posix_tz_parse(void **state)
{
    az_posix_tz tz;
    assert_int_equal(az_posix_tz_parse("CET-1CEST,M3.5.0,M10.5.0/3", &tz), 0);
    assert_string_equal(tz.std_abbr, "CET");
    assert_string_equal(tz.dst_abbr, "CEST");
    assert_int_equal(tz.std_offset, 3600);
    assert_int_equal(tz.dst_offset, 7200);
    assert_true(tz.has_dst);
    assert_int_equal(tz.start.kind, AZ_RULE_MONTH);
    assert_int_equal(tz.start.month, 3);
    assert_int_equal(tz.start.week, 5);
    assert_int_equal(tz.start.weekday, 0);
    assert_int_equal(tz.start.time, 7200);
    assert_int_equal(tz.end.time, 3 * 3600);

    assert_int_equal(az_posix_tz_parse("<+0530>-5:30", &tz), 0);
    assert_string_equal(tz.std_abbr, "+0530");
    assert_int_equal(tz.std_offset, 19800);
    assert_false(tz.has_dst);

    assert_int_equal(az_posix_tz_parse("<-03>3", &tz), 0);
    assert_int_equal(tz.std_offset, -10800);

    assert_int_equal(az_posix_tz_parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", &tz), 0);
    assert_int_equal(tz.std_offset, 37800);
    assert_int_equal(tz.dst_offset, 39600);

    assert_int_equal(az_posix_tz_parse("IST-1GMT0,M10.5.0,M3.5.0/1", &tz), 0);
    assert_int_equal(tz.std_offset, 3600);
    assert_int_equal(tz.dst_offset, 0);

    assert_int_equal(az_posix_tz_parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &tz), 0);
    assert_int_equal(tz.start.time, -3600);

    assert_int_equal(az_posix_tz_parse("EST5EDT,0/0,J365/25", &tz), 0);
    assert_int_equal(tz.start.kind, AZ_RULE_DAY);
    assert_int_equal(tz.end.kind, AZ_RULE_JULIAN);
    assert_int_equal(tz.end.day, 365);
    assert_int_equal(tz.end.time, 25 * 3600);

    assert_int_equal(az_posix_tz_parse("XXX3YYY,J60/167,300/-167:59:59", &tz), 0);
    assert_int_equal(tz.start.time, 167 * 3600);
    assert_int_equal(tz.end.time, -(167 * 3600 + 59 * 60 + 59));

    /* Without rules the US rules apply, as in glibc. */
    assert_int_equal(az_posix_tz_parse("EST5EDT", &tz), 0);
    assert_int_equal(tz.start.month, 3);
    assert_int_equal(tz.start.week, 2);
    assert_int_equal(tz.end.month, 11);
    assert_int_equal(tz.dst_offset, -14400);
    assert_int_equal(az_posix_tz_parse("AAA+3:15:30BBB+1", &tz), 0);
    assert_int_equal(tz.std_offset, -(3 * 3600 + 15 * 60 + 30));
    assert_int_equal(tz.dst_offset, -3600);
}

static void test_posix_tz_errors(void **state)
{
    const char *bad[] = {
        "",
        "CE-1",
        "CET",
        "CET-",
        "CET-25",
        "CET-1:60",
        "CET-1:00:60",
        "<+05",
        "<+5>-5",
        "<+05>",
        "CET-1CE",
        "CET-1CEST,",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,M3.0.0,M10.5.0",
        "CET-1CEST,J0,J365",
        "CET-1CEST,J1,J366",
        "CET-1CEST,366,1",
        "CET-1CEST,M3.5.0/168,M10.5.0",
        "CET-1CEST,M3.5.0,M10.5.0x",
        "CET-1x",
        "CET-1CEST-2x",
        "<ABCDEFGHIJKLMNOPQ>1",
        "ABCDEFGHIJKLMNOPQ1",
        "CET-1CEST,M3.5.0/,M10.5.0",
        "CET-1CEST,M3.5,M10.5.0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        az_posix_tz tz;
        if (az_posix_tz_parse(bad[i], &tz) != ASYNCZ_EPARSE)
            fail_msg("\"%s\" parsed", bad[i]);
    }
    az_posix_tz tz;
    assert_int_equal(az_posix_tz_parse(NULL, &tz), ASYNCZ_EPARSE);
}

static void test_posix_tz_year(void **state)
{
    az_posix_tz tz;
    int64_t s, e;
    assert_int_equal(az_posix_tz_parse("CET-1CEST,M3.5.0,M10.5.0/3", &tz), 0);
    az_posix_tz_year(&tz, 2026, &s, &e);
    assert_int_equal(s * SEC, at("2026-03-29T01:00:00Z"));
    assert_int_equal(e * SEC, at("2026-10-25T01:00:00Z"));
    assert_int_equal(az_posix_tz_parse("EST5EDT,M3.2.0,M11.1.0", &tz), 0);
    az_posix_tz_year(&tz, 2026, &s, &e);
    assert_int_equal(s * SEC, at("2026-03-08T07:00:00Z"));
    assert_int_equal(e * SEC, at("2026-11-01T06:00:00Z"));
    /* Jn never counts February 29; n does. */
    assert_int_equal(az_posix_tz_parse("UTC0DST,J60/0,59/0", &tz), 0);
    az_posix_tz_year(&tz, 2024, &s, &e);
    assert_int_equal(s * SEC, at("2024-03-01T00:00:00Z"));
    assert_int_equal(e * SEC, at("2024-02-28T23:00:00Z"));
    az_posix_tz_year(&tz, 2023, &s, &e);
    assert_int_equal(s * SEC, at("2023-03-01T00:00:00Z"));
    assert_int_equal(e * SEC, at("2023-02-28T23:00:00Z"));
    /* Week 5 is the last such weekday, even in a month with only four. */
    assert_int_equal(az_posix_tz_parse("UTC0DST,M2.5.3/0,M4.1.1/0", &tz), 0);
    az_posix_tz_year(&tz, 2026, &s, &e);
    assert_int_equal(s * SEC, at("2026-02-25T00:00:00Z"));
    assert_int_equal(e * SEC, at("2026-04-05T23:00:00Z"));
    /* Rule times past 24h and negative ones (RFC 8536 §3.3.1). */
    assert_int_equal(az_posix_tz_parse("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", &tz), 0);
    az_posix_tz_year(&tz, 2026, &s, &e);
    assert_int_equal(s * SEC, at("2026-03-28T22:00:00-03:00"));
    assert_int_equal(e * SEC, at("2026-10-24T23:00:00-02:00"));
}

/* ---- TZif ----------------------------------------------------------------------------------- */

/* A TZif image put together field by field, so each check of the reader can be aimed at. */
typedef struct tzif_spec {
    char version;
    uint32_t timecnt, typecnt, charcnt, leapcnt, isstdcnt, isutcnt;
    int64_t times[4];
    uint8_t idx[4];
    struct {
        int32_t utoff;
        uint8_t isdst, abbr;
    } types[4];
    const char *chars;  /* charcnt bytes */
    uint8_t indicator;  /* value written for every std/ut indicator */
    const char *footer; /* written between newlines; NULL writes nothing */
} tzif_spec;

static size_t put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
    return 4;
}

static size_t put_block(uint8_t *p, const tzif_spec *s, size_t tsize)
{
    size_t n = 0;
    memcpy(p, "TZif", 4);
    p[4] = (uint8_t)s->version;
    memset(p + 5, 0, 15);
    n = 20;
    const uint32_t counts[6] = {s->isutcnt, s->isstdcnt, s->leapcnt, s->timecnt, s->typecnt, s->charcnt};
    for (int i = 0; i < 6; i++)
        n += put32(p + n, counts[i]);
    for (uint32_t i = 0; i < s->timecnt && i < 4; i++) {
        if (tsize == 8)
            n += put32(p + n, (uint32_t)((uint64_t)s->times[i] >> 32));
        n += put32(p + n, (uint32_t)s->times[i]);
    }
    for (uint32_t i = 0; i < s->timecnt && i < 4; i++)
        p[n++] = s->idx[i];
    for (uint32_t i = 0; i < s->typecnt && i < 4; i++) {
        n += put32(p + n, (uint32_t)s->types[i].utoff);
        p[n++] = s->types[i].isdst;
        p[n++] = s->types[i].abbr;
    }
    memcpy(p + n, s->chars, s->charcnt);
    n += s->charcnt;
    memset(p + n, 0, s->leapcnt * (tsize + 4));
    n += s->leapcnt * (tsize + 4);
    memset(p + n, s->indicator, s->isstdcnt + s->isutcnt);
    return n + s->isstdcnt + s->isutcnt;
}

static size_t build_tzif(uint8_t *buf, const tzif_spec *s)
{
    size_t n = put_block(buf, s, 4);
    if (s->version == '\0')
        return n;
    n += put_block(buf + n, s, 8);
    if (s->footer)
        n += (size_t)sprintf((char *)buf + n, "\n%s\n", s->footer);
    return n;
}

/* Two types (CET/CEST), two transitions, a footer: a small valid v2 file. */
static tzif_spec good_spec(void)
{
    tzif_spec s = {.version = '2', .timecnt = 2, .typecnt = 2, .charcnt = 9, .chars = "CET\0CEST\0"};
    s.times[0] = 1774746000; /* 2026-03-29T01:00Z */
    s.times[1] = 1792890000; /* 2026-10-25T01:00Z */
    s.idx[0] = 1, s.idx[1] = 0;
    s.types[0].utoff = 3600, s.types[0].abbr = 0;
    s.types[1].utoff = 7200, s.types[1].isdst = 1, s.types[1].abbr = 4;
    s.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
    return s;
}

static int parse_spec(const tzif_spec *s)
{
    uint8_t buf[1024];
    size_t n = build_tzif(buf, s);
    az_tzif t;
    int rc = az_tzif_parse(buf, n, &t);
    if (rc == 0)
        az_tzif_free(&t);
    return rc;
}

static void test_tzif_good(void **state)
{
    uint8_t buf[1024];
    tzif_spec s = good_spec();
    size_t n = build_tzif(buf, &s);
    az_tzif t;
    assert_int_equal(az_tzif_parse(buf, n, &t), 0);
    assert_int_equal(t.ntrans, 2);
    assert_int_equal(t.trans[1], 1792890000);
    assert_int_equal(t.trans_type[0], 1);
    assert_int_equal(t.ntypes, 2);
    assert_string_equal(t.types[1].abbr, "CEST");
    assert_true(t.types[1].isdst);
    assert_true(t.has_footer);
    assert_int_equal(t.footer.dst_offset, 7200);
    /* The zone built from it: before the first transition type 0 (RFC 8536 §3.2), after the table the
     * footer. */
    asyncz_zone *z;
    assert_int_equal(az_zone_build(&z, "Test/Zone", &t), 0);
    assert_string_equal(asyncz_zone_name(z), "Test/Zone");
    assert_int_equal(asyncz_zone_offset(z, at("2026-01-01T00:00:00Z")), 3600);
    assert_int_equal(asyncz_zone_offset(z, at("2026-07-01T00:00:00Z")), 7200);
    assert_int_equal(asyncz_zone_offset(z, at("2030-07-01T00:00:00Z")), 7200);
    assert_int_equal(asyncz_zone_offset(z, at("2030-12-01T00:00:00Z")), 3600);
    assert_int_equal(asyncz_zone_offset(z, at("1900-07-01T00:00:00Z")), 3600);
    az_zone_free(z);
    az_tzif_free(&t);

    s.version = '3';
    assert_int_equal(parse_spec(&s), 0);
    s.version = '4';
    assert_int_equal(parse_spec(&s), 0);
    s.version = '\0'; /* v1: one 32-bit block, no footer */
    assert_int_equal(parse_spec(&s), 0);
    s = good_spec();
    s.footer = ""; /* an empty footer: no rule */
    assert_int_equal(parse_spec(&s), 0);
    s.leapcnt = 2, s.isstdcnt = 2, s.isutcnt = 2, s.indicator = 1;
    assert_int_equal(parse_spec(&s), 0);
}

static void test_tzif_errors(void **state)
{
    tzif_spec s;
#define BAD(mutation)                                                                                        \
    do {                                                                                                     \
        s = good_spec();                                                                                     \
        mutation;                                                                                            \
        if (parse_spec(&s) != ASYNCZ_ETZDATA)                                                                \
            fail_msg("accepted: %s", #mutation);                                                             \
    } while (0)
    BAD(s.version = '1');
    BAD(s.version = '5');
    BAD(s.typecnt = 0);
    BAD(s.charcnt = 0);
    BAD(s.idx[1] = 2);
    BAD(s.types[1].abbr = 9);
    BAD((s.chars = "CET\0CESTX", s.types[1].abbr = 4));
    BAD(s.times[1] = s.times[0]);
    BAD(s.times[1] = s.times[0] - 1);
    BAD(s.types[0].utoff = 93600);
    BAD(s.types[0].utoff = -90000);
    BAD(s.types[0].isdst = 2);
    BAD(s.isstdcnt = 1);
    BAD(s.isutcnt = 3);
    BAD((s.isstdcnt = 2, s.indicator = 2));
    BAD(s.footer = NULL);
    BAD(s.footer = "CET-1CEST,M3.5.0");
    BAD(s.footer = "not a tz string");
#undef BAD
}

static void test_tzif_truncated(void **state)
{
    uint8_t buf[1024];
    tzif_spec s = good_spec();
    size_t n = build_tzif(buf, &s);
    az_tzif t;
    for (size_t len = 0; len < n; len++) {
        /* Every prefix is malformed; each is copied so ASan sees any read past its end. */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, buf, len);
        if (az_tzif_parse(copy, len, &t) != ASYNCZ_ETZDATA)
            fail_msg("prefix of %zu bytes accepted", len);
        free(copy);
    }
    assert_int_equal(az_tzif_parse(NULL, 0, &t), ASYNCZ_ETZDATA);
    /* A second header with a different magic, and a v2 file whose second header claims v1. */
    memcpy(buf + 44 + 2 * 5 + 2 * 6 + 9, "TZiX", 4);
    assert_int_equal(az_tzif_parse(buf, n, &t), ASYNCZ_ETZDATA);
    n = build_tzif(buf, &s);
    buf[44 + 2 * 5 + 2 * 6 + 9 + 4] = '\0';
    assert_int_equal(az_tzif_parse(buf, n, &t), ASYNCZ_ETZDATA);
    /* A footer with a NUL inside. */
    n = build_tzif(buf, &s);
    buf[n - 3] = '\0';
    assert_int_equal(az_tzif_parse(buf, n, &t), ASYNCZ_ETZDATA);
}

static void test_tzif_system_files(void **state)
{
    const char *names[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                           "Africa/Casablanca"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        az_tzif t;
        assert_int_equal(az_tzif_parse(buf, n, &t), 0);
        assert_true(t.has_footer);
        az_tzif_free(&t);
    }
}

/* ---- zones: names ---------------------------------------------------------------------------- */

static void assert_zone(const char *name, const char *canonical, int32_t offset, const char *abbr)
{
    asyncz_zone *z = az_test_zone(name);
    assert_string_equal(asyncz_zone_name(z), canonical);
    asyncz_zone_info info;
    assert_int_equal(asyncz_zone_info_at(z, at("2026-07-01T00:00:00Z"), &info), 0);
    assert_int_equal(info.utc_offset, offset);
    assert_string_equal(info.abbr, abbr);
    assert_false(info.is_dst);
    asyncz_zone_unref(z);
}

static void test_zone_fixed(void **state)
{
    assert_zone("+05:30", "+05:30", 19800, "+0530");
    assert_zone("+0530", "+05:30", 19800, "+0530");
    assert_zone("-0800", "-08:00", -28800, "-08");
    assert_zone("+05", "+05:00", 18000, "+05");
    assert_zone("-5", "-05:00", -18000, "-05");
    assert_zone("+00:00", "+00:00", 0, "+00");
    assert_zone("UTC+01:00", "UTC+01:00", 3600, "+01");
    assert_zone("UTC-05:00", "UTC-05:00", -18000, "-05");
    assert_zone("GMT+2", "UTC+02:00", 7200, "+02");
    assert_zone("GMT-0230", "UTC-02:30", -9000, "-0230");
    assert_zone("+23:59:59", "+23:59:59", 86399, "+235959");
    assert_zone("-12:34:56", "-12:34:56", -45296, "-123456");
    /* Etc/GMT+2 is the tz database's zone, with POSIX's inverted sign: UTC-2. */
    assert_zone("Etc/GMT+2", "Etc/GMT+2", -7200, "-02");
    asyncz_zone *z = az_test_zone("+05:30");
    az_zone_span s;
    az_zone_span_at(z, 0, &s);
    assert_true(s.start == INT64_MIN && s.end == INT64_MAX);
    assert_int_equal(s.offset, 19800);
    assert_int_equal(s.prev_offset, 19800);
    assert_int_equal(s.next_offset, 19800);
    asyncz_zone_unref(z);
}

static void test_zone_utc_aliases(void **state)
{
    const char *names[] = {"UTC", "Z", "Etc/UTC", "GMT"};
    for (size_t i = 0; i < 4; i++) {
        asyncz_zone *z = az_test_zone(names[i]);
        assert_ptr_equal(z, asyncz_zone_utc());
        assert_string_equal(asyncz_zone_name(z), "UTC");
        asyncz_zone_unref(z);
    }
    asyncz_zone_info info;
    assert_int_equal(asyncz_zone_info_at(asyncz_zone_utc(), 0, &info), 0);
    assert_string_equal(info.abbr, "UTC");
    assert_int_equal(info.utc_offset, 0);
    az_zone_span s;
    az_zone_span_at(asyncz_zone_utc(), 123, &s);
    assert_true(s.start == INT64_MIN && s.end == INT64_MAX && s.offset == 0);
}

static void test_zone_bad_names(void **state)
{
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *bad[] = {"",
                         "../etc/passwd",
                         "Europe/../../etc/passwd",
                         "/etc/passwd",
                         "/usr/share/zoneinfo/UTC",
                         "Europe//Berlin",
                         "Europe/",
                         "Europe/Ber lin",
                         "Europe/Berlin\n",
                         "Europe\\Berlin",
                         "Europe/./Berlin",
                         "./Europe/Berlin",
                         ".",
                         "Europe/.",
                         "Europe/Berlin;rm",
                         "+24:00",
                         "-25",
                         "+05:3",
                         "+05:60",
                         "+05:30:60",
                         "UTC+",
                         "GMT-x",
                         "+05:30x",
                         "+123",
                         "UTC+1:2",
                         "Ëurope/Berlin",
                         longname};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        asyncz_zone *z = (asyncz_zone *)1;
        int rc = asyncz_zone_get(&z, bad[i]);
        if (rc != ASYNCZ_EINVAL)
            fail_msg("\"%s\": %d", bad[i], rc);
        assert_null(z);
    }
    asyncz_zone *z;
    assert_int_equal(asyncz_zone_get(&z, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_get(NULL, "UTC"), ASYNCZ_EINVAL);
}

static void test_zone_missing(void **state)
{
    asyncz_zone *z = (asyncz_zone *)1;
    assert_int_equal(asyncz_zone_get(&z, "Nowhere/Atlantis"), ASYNCZ_EZONE);
    assert_null(z);
    assert_int_equal(asyncz_zone_get(&z, "Europe"), ASYNCZ_EZONE); /* a directory */
    assert_int_equal(asyncz_zone_get(&z, "Europe/Berlin/x"), ASYNCZ_EZONE);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_zone_tzdir(void **state)
{
    char dir[] = "/tmp/asyncz-tzdir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/Test", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    uint8_t buf[1024];
    tzif_spec s = good_spec();
    size_t n = build_tzif(buf, &s);
    snprintf(path, sizeof path, "%s/Test/Good", dir);
    write_file(path, buf, n);
    snprintf(path, sizeof path, "%s/Test/Truncated", dir);
    write_file(path, buf, n - 5);
    snprintf(path, sizeof path, "%s/Test/Garbage", dir);
    write_file(path, "hello, world\n", 13);
    snprintf(path, sizeof path, "%s/Test/Empty", dir);
    write_file(path, "", 0);
    setenv("TZDIR", dir, 1);

    asyncz_zone *z;
    assert_int_equal(asyncz_zone_get(&z, "Test/Good"), 0);
    assert_string_equal(asyncz_zone_name(z), "Test/Good");
    assert_int_equal(asyncz_zone_offset(z, at("2026-07-01T00:00:00Z")), 7200);
    asyncz_zone_unref(z);
    assert_int_equal(asyncz_zone_get(&z, "Test/Truncated"), ASYNCZ_ETZDATA);
    assert_int_equal(asyncz_zone_get(&z, "Test/Garbage"), ASYNCZ_ETZDATA);
    assert_int_equal(asyncz_zone_get(&z, "Test/Empty"), ASYNCZ_ETZDATA);
    assert_int_equal(asyncz_zone_get(&z, "Test/Missing"), ASYNCZ_EZONE);
    assert_int_equal(asyncz_zone_get(&z, "Asia/Ulaanbaatar"), ASYNCZ_EZONE); /* not in this TZDIR */
    /* Failures are not cached: a fixed file is found on the next lookup. */
    snprintf(path, sizeof path, "%s/Test/Garbage", dir);
    write_file(path, buf, n);
    assert_int_equal(asyncz_zone_get(&z, "Test/Garbage"), 0);
    asyncz_zone_unref(z);
    unsetenv("TZDIR");

    const char *files[] = {"Good", "Truncated", "Garbage", "Empty"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/Test/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/Test", dir);
    rmdir(path);
    rmdir(dir);
}

static void test_zone_cache_and_refcount(void **state)
{
    asyncz_zone *a = az_test_zone("Asia/Tokyo");
    int base = az_zone_refcount(a);
    asyncz_zone *b = az_test_zone("Asia/Tokyo");
    assert_ptr_equal(a, b);
    assert_int_equal(az_zone_refcount(a), base + 1);
    assert_ptr_equal(asyncz_zone_ref(a), a);
    assert_int_equal(az_zone_refcount(a), base + 2);
    asyncz_zone_unref(a);
    asyncz_zone_unref(b);
    assert_int_equal(az_zone_refcount(a), base);
    asyncz_zone_unref(a);
    /* A cached zone outlives its last reference. */
    assert_int_equal(asyncz_zone_offset(a, 0), 9 * 3600);
    assert_null(asyncz_zone_ref(NULL));
    asyncz_zone_unref(NULL);
    assert_null(asyncz_zone_name(NULL));
    asyncz_zone *c = az_test_zone("-0800");
    asyncz_zone *d = az_test_zone("-0800");
    assert_ptr_equal(c, d);
    asyncz_zone_unref(c);
    asyncz_zone_unref(d);
}

/* ---- zones: conversions ------------------------------------------------------------------------- */

static void test_zone_info(void **state)
{
    struct {
        const char *zone, *when, *abbr;
        int32_t offset;
        bool dst;
    } cases[] = {
        {"Europe/Berlin", "2026-01-15T12:00:00Z", "CET", 3600, false},
        {"Europe/Berlin", "2026-07-15T12:00:00Z", "CEST", 7200, true},
        {"Europe/Berlin", "1850-01-01T00:00:00Z", "LMT", 3208, false},
        /* Ireland's "negative DST": standard time is summer (IST), winter GMT is the DST type. */
        {"Europe/Dublin", "2026-01-15T12:00:00Z", "GMT", 0, true},
        {"Europe/Dublin", "2026-07-15T12:00:00Z", "IST", 3600, false},
        {"Asia/Kolkata", "2026-07-15T12:00:00Z", "IST", 19800, false},
        {"Australia/Lord_Howe", "2026-01-15T12:00:00Z", "+11", 39600, true},
        {"Australia/Lord_Howe", "2026-07-15T12:00:00Z", "+1030", 37800, false},
        {"America/New_York", "2300-07-04T12:00:00Z", "EDT", -14400, true},
        {"America/New_York", "3000-12-25T12:00:00Z", "EST", -18000, false},
        {"Asia/Kathmandu", "2026-07-15T12:00:00Z", "+0545", 20700, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asyncz_zone *z = az_test_zone(cases[i].zone);
        asyncz_zone_info info;
        assert_int_equal(asyncz_zone_info_at(z, at(cases[i].when), &info), 0);
        if (info.utc_offset != cases[i].offset || info.is_dst != cases[i].dst ||
            strcmp(info.abbr, cases[i].abbr))
            fail_msg("%s at %s: %d %d %s", cases[i].zone, cases[i].when, info.utc_offset, info.is_dst,
                     info.abbr);
        assert_int_equal(asyncz_zone_offset(z, at(cases[i].when)), cases[i].offset);
        asyncz_zone_unref(z);
    }
    asyncz_zone_info info;
    assert_int_equal(asyncz_zone_info_at(NULL, 0, &info), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_info_at(asyncz_zone_utc(), 0, NULL), ASYNCZ_EINVAL);
}

static void test_zone_to_civil(void **state)
{
    asyncz_zone *z = az_test_zone("Europe/Berlin");
    asyncz_civil c;
    int32_t off = 0;
    assert_int_equal(asyncz_zone_to_civil(z, at("2026-03-29T00:59:59.5Z"), &c, &off), 0);
    assert_int_equal(c.year, 2026);
    assert_int_equal(c.month, 3);
    assert_int_equal(c.day, 29);
    assert_int_equal(c.hour, 1);
    assert_int_equal(c.minute, 59);
    assert_int_equal(c.second, 59);
    assert_int_equal(c.usec, 500000);
    assert_int_equal(off, 3600);
    assert_int_equal(asyncz_zone_to_civil(z, at("2026-03-29T01:00:00Z"), &c, NULL), 0);
    assert_int_equal(c.hour, 3);
    /* Negative instants: the fraction still counts forward. */
    assert_int_equal(asyncz_zone_to_civil(asyncz_zone_utc(), -1, &c, &off), 0);
    assert_int_equal(c.year, 1969);
    assert_int_equal(c.second, 59);
    assert_int_equal(c.usec, 999999);
    assert_int_equal(asyncz_zone_to_civil(NULL, 0, &c, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_to_civil(z, 0, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_to_civil(z, ASYNCZ_TIME_MAX + 1, &c, NULL), ASYNCZ_ERANGE);
    assert_int_equal(asyncz_zone_to_civil(z, ASYNCZ_TIME_MIN - 1, &c, NULL), ASYNCZ_ERANGE);
    assert_int_equal(asyncz_zone_to_civil(z, ASYNCZ_TIME_MAX, &c, NULL), ASYNCZ_ERANGE); /* year 10000 */
    asyncz_zone *ny = az_test_zone("America/New_York");
    assert_int_equal(asyncz_zone_to_civil(ny, ASYNCZ_TIME_MIN, &c, NULL), ASYNCZ_ERANGE); /* year 0 */
    assert_int_equal(asyncz_zone_to_civil(ny, ASYNCZ_TIME_MAX, &c, NULL), 0);
    asyncz_zone_unref(ny);
    asyncz_zone_unref(z);
}

static void test_local_us_eastern(void **state)
{
    assert_local("US/Eastern", civil(2026, 7, 1, 12, 0, 0), ASYNCZ_LOCAL_UNIQUE, "2026-07-01T16:00:00Z",
                 "2026-07-01T16:00:00Z");
    assert_local("US/Eastern", civil(2026, 3, 8, 2, 0, 0), ASYNCZ_LOCAL_GAP, "2026-03-08T07:00:00Z",
                 "2026-03-08T07:00:00Z");
    assert_local("US/Eastern", civil(2026, 3, 8, 2, 59, 59), ASYNCZ_LOCAL_GAP, "2026-03-08T07:00:00Z",
                 "2026-03-08T07:00:00Z");
    assert_local("US/Eastern", civil(2026, 3, 8, 1, 59, 59), ASYNCZ_LOCAL_UNIQUE, "2026-03-08T06:59:59Z",
                 "2026-03-08T06:59:59Z");
    assert_local("US/Eastern", civil(2026, 3, 8, 3, 0, 0), ASYNCZ_LOCAL_UNIQUE, "2026-03-08T07:00:00Z",
                 "2026-03-08T07:00:00Z");
    assert_local("US/Eastern", civil(2026, 11, 1, 1, 0, 0), ASYNCZ_LOCAL_OVERLAP, "2026-11-01T05:00:00Z",
                 "2026-11-01T06:00:00Z");
    assert_local("US/Eastern", civil(2026, 11, 1, 1, 59, 59), ASYNCZ_LOCAL_OVERLAP, "2026-11-01T05:59:59Z",
                 "2026-11-01T06:59:59Z");
    assert_local("US/Eastern", civil(2026, 11, 1, 2, 0, 0), ASYNCZ_LOCAL_UNIQUE, "2026-11-01T07:00:00Z",
                 "2026-11-01T07:00:00Z");
    assert_local("US/Eastern", civil(2026, 11, 1, 0, 59, 59), ASYNCZ_LOCAL_UNIQUE, "2026-11-01T04:59:59Z",
                 "2026-11-01T04:59:59Z");
    /* From the footer rule, far past the table. */
    assert_local("US/Eastern", civil(2999, 3, 10, 2, 30, 0), ASYNCZ_LOCAL_GAP, "2999-03-10T07:00:00Z",
                 "2999-03-10T07:00:00Z");
    assert_local("US/Eastern", civil(2999, 11, 3, 1, 30, 0), ASYNCZ_LOCAL_OVERLAP, "2999-11-03T05:30:00Z",
                 "2999-11-03T06:30:00Z");
}

static void test_local_berlin(void **state)
{
    assert_local("Europe/Berlin", civil(2026, 3, 29, 2, 30, 0), ASYNCZ_LOCAL_GAP, "2026-03-29T01:00:00Z",
                 "2026-03-29T01:00:00Z");
    assert_local("Europe/Berlin", civil(2026, 10, 25, 2, 30, 0), ASYNCZ_LOCAL_OVERLAP, "2026-10-25T00:30:00Z",
                 "2026-10-25T01:30:00Z");
    assert_local("Europe/Berlin", civil(2026, 10, 25, 3, 0, 0), ASYNCZ_LOCAL_UNIQUE, "2026-10-25T02:00:00Z",
                 "2026-10-25T02:00:00Z");
    /* The microseconds are kept for unique and overlapping times, dropped for a gap. */
    asyncz_zone *z = az_test_zone("Europe/Berlin");
    asyncz_civil c = civil(2026, 10, 25, 2, 30, 0);
    c.usec = 7;
    asyncz_local_result r;
    assert_int_equal(asyncz_zone_from_civil(z, &c, &r), 0);
    assert_int_equal(r.first, at("2026-10-25T00:30:00.000007Z"));
    assert_int_equal(r.second, at("2026-10-25T01:30:00.000007Z"));
    c = civil(2026, 3, 29, 2, 30, 0);
    c.usec = 7;
    assert_int_equal(asyncz_zone_from_civil(z, &c, &r), 0);
    assert_int_equal(r.first, at("2026-03-29T01:00:00Z"));
    asyncz_zone_unref(z);
}

static void test_local_lord_howe(void **state)
{
    /* Half-hour DST: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April. */
    assert_local("Australia/Lord_Howe", civil(2026, 10, 4, 2, 15, 0), ASYNCZ_LOCAL_GAP,
                 "2026-10-04T02:30:00+11:00", "2026-10-04T02:30:00+11:00");
    assert_local("Australia/Lord_Howe", civil(2026, 10, 4, 2, 30, 0), ASYNCZ_LOCAL_UNIQUE,
                 "2026-10-04T02:30:00+11:00", "2026-10-04T02:30:00+11:00");
    assert_local("Australia/Lord_Howe", civil(2026, 4, 5, 1, 45, 0), ASYNCZ_LOCAL_OVERLAP,
                 "2026-04-05T01:45:00+11:00", "2026-04-05T01:45:00+10:30");
    assert_local("Australia/Lord_Howe", civil(2026, 4, 5, 1, 29, 0), ASYNCZ_LOCAL_UNIQUE,
                 "2026-04-05T01:29:00+11:00", "2026-04-05T01:29:00+11:00");
}

static void test_local_santiago(void **state)
{
    /* Chile changes at midnight: 00:00 on the first Sunday of September does not exist... */
    assert_local("America/Santiago", civil(2026, 9, 6, 0, 0, 0), ASYNCZ_LOCAL_GAP,
                 "2026-09-06T01:00:00-03:00", "2026-09-06T01:00:00-03:00");
    assert_local("America/Santiago", civil(2026, 9, 6, 0, 30, 0), ASYNCZ_LOCAL_GAP, "2026-09-06T04:00:00Z",
                 "2026-09-06T04:00:00Z");
    /* ...and 23:00-24:00 on the Saturday before the first Sunday of April happens twice. */
    assert_local("America/Santiago", civil(2026, 4, 4, 23, 30, 0), ASYNCZ_LOCAL_OVERLAP,
                 "2026-04-04T23:30:00-03:00", "2026-04-04T23:30:00-04:00");
    assert_local("America/Santiago", civil(2026, 4, 5, 0, 0, 0), ASYNCZ_LOCAL_UNIQUE,
                 "2026-04-05T00:00:00-04:00", "2026-04-05T00:00:00-04:00");
}

static void test_local_odd_zones(void **state)
{
    /* Samoa skipped 2011-12-30 entirely. */
    assert_local("Pacific/Apia", civil(2011, 12, 30, 12, 0, 0), ASYNCZ_LOCAL_GAP, "2011-12-31T00:00:00+14:00",
                 "2011-12-31T00:00:00+14:00");
    assert_local("Pacific/Apia", civil(2011, 12, 29, 23, 59, 0), ASYNCZ_LOCAL_UNIQUE,
                 "2011-12-29T23:59:00-10:00", "2011-12-29T23:59:00-10:00");
    /* Dublin's negative DST overlaps in October like anyone's. */
    assert_local("Europe/Dublin", civil(2026, 10, 25, 1, 30, 0), ASYNCZ_LOCAL_OVERLAP,
                 "2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00");
    assert_local("Europe/Dublin", civil(2026, 3, 29, 1, 30, 0), ASYNCZ_LOCAL_GAP, "2026-03-29T01:00:00Z",
                 "2026-03-29T01:00:00Z");
    /* Casablanca's Ramadan change: +01 -> +00 on 2026-02-15 at 03:00. */
    assert_local("Africa/Casablanca", civil(2026, 2, 15, 2, 30, 0), ASYNCZ_LOCAL_OVERLAP,
                 "2026-02-15T02:30:00+01:00", "2026-02-15T02:30:00+00:00");
}

static void test_from_civil_errors(void **state)
{
    asyncz_zone *z = az_test_zone("Europe/Berlin");
    asyncz_local_result r;
    asyncz_time_t t;
    asyncz_civil c = civil(2026, 2, 30, 0, 0, 0);
    assert_int_equal(asyncz_zone_from_civil(z, &c, &r), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_resolve(z, &c, &t), ASYNCZ_EINVAL);
    c = civil(2026, 2, 3, 0, 0, 0);
    assert_int_equal(asyncz_zone_from_civil(NULL, &c, &r), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_from_civil(z, NULL, &r), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_from_civil(z, &c, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_zone_resolve(z, &c, NULL), ASYNCZ_EINVAL);
    /* Year 1 at midnight in a zone east of UTC is before the first instant asyncz handles. */
    c = civil(1, 1, 1, 0, 0, 0);
    asyncz_zone *east = az_test_zone("+01:00");
    assert_int_equal(asyncz_zone_from_civil(east, &c, &r), ASYNCZ_ERANGE);
    assert_int_equal(asyncz_zone_resolve(east, &c, &t), ASYNCZ_ERANGE);
    c = civil(9999, 12, 31, 23, 59, 59);
    asyncz_zone *west = az_test_zone("-01:00");
    assert_int_equal(asyncz_zone_from_civil(west, &c, &r), ASYNCZ_ERANGE);
    asyncz_zone_unref(west);
    asyncz_zone_unref(east);
    asyncz_zone_unref(z);
}

/* ---- spans ---------------------------------------------------------------------------------- */

static void assert_span(const char *zone, const char *when, const char *start, const char *end,
                        int32_t offset, int32_t prev, int32_t next)
{
    asyncz_zone *z = az_test_zone(zone);
    az_zone_span s;
    az_zone_span_at(z, at(when) / SEC, &s);
    int64_t es = start ? at(start) / SEC : INT64_MIN, ee = end ? at(end) / SEC : INT64_MAX;
    if (s.start != es || s.end != ee || s.offset != offset || s.prev_offset != prev || s.next_offset != next)
        fail_msg("%s at %s: [%lld, %lld) %d prev %d next %d", zone, when, (long long)s.start,
                 (long long)s.end, s.offset, s.prev_offset, s.next_offset);
    asyncz_zone_unref(z);
}

static void test_spans(void **state)
{
    assert_span("Europe/Berlin", "2026-07-01T00:00:00Z", "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", 7200,
                3600, 3600);
    /* The start is inside the span, the end is not. */
    assert_span("Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", 7200,
                3600, 3600);
    assert_span("Europe/Berlin", "2026-03-29T00:59:59Z", "2025-10-26T01:00:00Z", "2026-03-29T01:00:00Z", 3600,
                7200, 7200);
    /* Before the first transition: unbounded into the past, local mean time. */
    assert_span("Europe/Berlin", "1800-01-01T00:00:00Z", NULL, "1893-03-31T23:06:32Z", 3208, 3208, 3600);
    /* Past the 2037 table and past 2500, from the footer rule. */
    assert_span("Europe/Berlin", "2100-07-01T00:00:00Z", "2100-03-28T01:00:00Z", "2100-10-31T01:00:00Z", 7200,
                3600, 3600);
    assert_span("Europe/Berlin", "3000-07-01T00:00:00Z", "3000-03-30T01:00:00Z", "3000-10-26T01:00:00Z", 7200,
                3600, 3600);
    assert_span("Europe/Berlin", "9999-07-01T00:00:00Z", "9999-03-28T01:00:00Z", "9999-10-31T01:00:00Z", 7200,
                3600, 3600);
    assert_span("Australia/Lord_Howe", "2026-07-01T00:00:00Z", "2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z",
                37800, 39600, 39600);
    /* Casablanca has no DST rule after its table (2087): the last span is unbounded. */
    assert_span("Africa/Casablanca", "2200-01-01T00:00:00Z", "2087-05-11T02:00:00Z", NULL, 3600, 0, 3600);
    assert_span("Asia/Kolkata", "2026-01-01T00:00:00Z", "1945-10-14T17:30:00Z", NULL, 19800, 23400, 19800);
}

static void test_span_walk_matches_offsets(void **state)
{
    /* Walking spans end to end covers time without holes, each offset matching asyncz_zone_offset. */
    const char *zones[] = {"Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Pacific/Apia",
                           "Asia/Gaza"};
    for (size_t k = 0; k < 5; k++) {
        asyncz_zone *z = az_test_zone(zones[k]);
        az_zone_span s;
        az_zone_span_at(z, at("1900-01-01T00:00:00Z") / SEC, &s);
        int32_t last = s.offset;
        while (s.end < at("2600-01-01T00:00:00Z") / SEC) {
            int64_t end = s.end;
            az_zone_span_at(z, end, &s);
            assert_int_equal(s.start, end);
            assert_int_equal(s.prev_offset, last);
            assert_int_equal(asyncz_zone_offset(z, (end - 1) * SEC), last);
            assert_int_equal(asyncz_zone_offset(z, end * SEC), s.offset);
            last = s.offset;
        }
        asyncz_zone_unref(z);
    }
}

static void test_zone_all_year_dst(void **state)
{
    /* RFC 8536 §3.3.1: DST all year, written as a change at Jan 1 00:00 and at Dec 31 24:00 + 1h. */
    az_tzif data = {.ntypes = 0, .has_footer = true};
    assert_int_equal(az_posix_tz_parse("EST5EDT,0/0,J365/25", &data.footer), 0);
    asyncz_zone *z;
    assert_int_equal(az_zone_build(&z, "test", &data), 0);
    const char *when[] = {"2026-01-01T12:00:00Z", "2026-07-01T00:00:00Z", "2026-12-31T23:00:00Z",
                          "2900-01-01T05:00:00Z"};
    for (int i = 0; i < 4; i++) {
        asyncz_zone_info info;
        assert_int_equal(asyncz_zone_info_at(z, at(when[i]), &info), 0);
        assert_int_equal(info.utc_offset, -14400);
        assert_string_equal(info.abbr, "EDT");
        assert_true(info.is_dst);
    }
    az_zone_free(z);
}

/* ---- local ---------------------------------------------------------------------------------- */

static asyncz_zone *local_with(const char *tz)
{
    if (tz)
        setenv("TZ", tz, 1);
    else
        unsetenv("TZ");
    az_zone_cache_drop_local();
    asyncz_zone *z = NULL;
    int rc = asyncz_zone_get(&z, "local");
    if (rc < 0)
        fail_msg("TZ=%s: %s", tz ? tz : "(unset)", asyncz_strerror(rc));
    return z;
}

static void assert_local_zone(const char *tz, const char *name, int32_t winter, int32_t summer,
                              const char *abbr)
{
    asyncz_zone *z = local_with(tz);
    assert_string_equal(asyncz_zone_name(z), name);
    assert_int_equal(asyncz_zone_offset(z, at("2026-01-15T12:00:00Z")), winter);
    assert_int_equal(asyncz_zone_offset(z, at("2026-07-15T12:00:00Z")), summer);
    asyncz_zone_info info;
    assert_int_equal(asyncz_zone_info_at(z, at("2026-01-15T12:00:00Z"), &info), 0);
    assert_string_equal(info.abbr, abbr);
    asyncz_zone_unref(z);
}

static void test_local_tz_names(void **state)
{
    assert_local_zone(":Europe/Berlin", "Europe/Berlin", 3600, 7200, "CET");
    assert_local_zone("Europe/Berlin", "Europe/Berlin", 3600, 7200, "CET");
    assert_local_zone("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo", 32400, 32400, "JST");
    assert_local_zone(":/usr/share/zoneinfo/America/New_York", "America/New_York", -18000, -14400, "EST");
    assert_local_zone("EST5EDT", "EST5EDT", -18000, -14400, "EST");
    assert_local_zone("", "UTC", 0, 0, "UTC");
    assert_local_zone(":", "UTC", 0, 0, "UTC");
}

static void test_local_tz_strings(void **state)
{
    assert_local_zone("EST5EDT,M3.2.0,M11.1.0", "local", -18000, -14400, "EST");
    assert_local_zone("<+0530>-5:30", "local", 19800, 19800, "+0530");
    assert_local_zone("UTC0", "local", 0, 0, "UTC");
    assert_local_zone("AEST-10AEDT,M10.1.0,M4.1.0/3", "local", 39600, 36000, "AEDT");
    assert_local_zone("CST6CDT", "CST6CDT", -21600, -18000, "CST");
    assert_local_zone("XYZ3ABC", "local", -10800, -7200, "XYZ");
}

static void test_local_tz_errors(void **state)
{
    const char *bad[] = {"Nowhere/Atlantis", "local", "not a zone", "/nonexistent/file", "CET-1CEST,M3.5.0"};
    for (int i = 0; i < 5; i++) {
        setenv("TZ", bad[i], 1);
        az_zone_cache_drop_local();
        asyncz_zone *z = (asyncz_zone *)1;
        int rc = asyncz_zone_get(&z, "local");
        if (rc != ASYNCZ_EZONE)
            fail_msg("TZ=%s: %d", bad[i], rc);
        assert_null(z);
    }
    setenv("TZ", "/etc/hostname", 1);
    az_zone_cache_drop_local();
    asyncz_zone *z;
    int rc = asyncz_zone_get(&z, "local");
    assert_true(rc == ASYNCZ_ETZDATA || rc == ASYNCZ_EZONE);
}

static void test_local_etc_localtime(void **state)
{
    char target[4096];
    ssize_t n = readlink("/etc/localtime", target, sizeof target - 1);
    asyncz_zone *z = local_with(NULL);
    if (n > 0) {
        target[n] = '\0';
        const char *p = strstr(target, "zoneinfo/");
        if (p)
            assert_string_equal(asyncz_zone_name(z), p + strlen("zoneinfo/"));
    }
    /* Whatever it is, it agrees with the C library. */
    setenv("TZ", ":/etc/localtime", 1);
    tzset();
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    assert_int_equal(asyncz_zone_offset(z, (asyncz_time_t)now * SEC), tm.tm_gmtoff);
    asyncz_zone_unref(z);
}

static void test_local_is_cached(void **state)
{
    /* The first lookup of "local" in a process reads TZ; later changes to TZ are not seen. */
    setenv("TZ", "Asia/Tokyo", 1);
    az_zone_cache_drop_local();
    asyncz_zone *a = az_test_zone("local");
    setenv("TZ", "Europe/Berlin", 1);
    asyncz_zone *b = az_test_zone("local");
    asyncz_zone *tokyo = az_test_zone("Asia/Tokyo");
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, tokyo);
    assert_string_equal(asyncz_zone_name(a), "Asia/Tokyo");
    asyncz_zone_unref(a);
    asyncz_zone_unref(b);
    asyncz_zone_unref(tokyo);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_valid),
        cmocka_unit_test(test_civil_weekday),
        cmocka_unit_test(test_civil_days_in_month),
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_fraction),
        cmocka_unit_test(test_parse_naive_zone),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_range_naive),
        cmocka_unit_test(test_parse_einval),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_duration_parse_errors),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_duration_round_trip),
        cmocka_unit_test(test_posix_tz_parse),
        cmocka_unit_test(test_posix_tz_errors),
        cmocka_unit_test(test_posix_tz_year),
        cmocka_unit_test(test_tzif_good),
        cmocka_unit_test(test_tzif_errors),
        cmocka_unit_test(test_tzif_truncated),
        cmocka_unit_test(test_tzif_system_files),
        cmocka_unit_test(test_zone_fixed),
        cmocka_unit_test(test_zone_utc_aliases),
        cmocka_unit_test(test_zone_bad_names),
        cmocka_unit_test(test_zone_missing),
        cmocka_unit_test(test_zone_tzdir),
        cmocka_unit_test(test_zone_cache_and_refcount),
        cmocka_unit_test(test_zone_info),
        cmocka_unit_test(test_zone_to_civil),
        cmocka_unit_test(test_local_us_eastern),
        cmocka_unit_test(test_local_berlin),
        cmocka_unit_test(test_local_lord_howe),
        cmocka_unit_test(test_local_santiago),
        cmocka_unit_test(test_local_odd_zones),
        cmocka_unit_test(test_from_civil_errors),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_span_walk_matches_offsets),
        cmocka_unit_test(test_zone_all_year_dst),
        cmocka_unit_test(test_local_tz_names),
        cmocka_unit_test(test_local_tz_strings),
        cmocka_unit_test(test_local_tz_errors),
        cmocka_unit_test(test_local_etc_localtime),
        cmocka_unit_test(test_local_is_cached),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
