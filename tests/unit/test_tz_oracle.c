/* asyncz's zones against glibc's localtime_r under TZ=<zone>: the same tz database read by two independent
 * readers must give the same local time, offset, DST flag and abbreviation for every instant.
 *
 * Where the two could disagree, RFC 8536 and glibc agree on this system's data: before the first transition
 * glibc uses the first non-DST type while RFC 8536 §3.2 says type 0; in every zone tested here type 0 is
 * the non-DST local mean time, so both readings give the same answer, and test_oracle_before_first_transition
 * checks that assumption rather than taking it for granted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "az_test.h"
#include "time/civil.h"
#include "time/posix_tz.h"
#include "time/tzif.h"
#include "time/zone.h"
#include "time/zone_internal.h"

static const char *const zones[] = {
    "Australia/Lord_Howe",  "America/Santiago",   "Asia/Kathmandu",      "Pacific/Chatham",
    "Africa/Casablanca",    "Europe/Dublin",      "Pacific/Kiritimati",  "Pacific/Apia",
    "Asia/Tehran",          "America/Caracas",    "Asia/Gaza",           "America/Sao_Paulo",
    "Europe/Berlin",        "Europe/London",      "America/New_York",    "America/Los_Angeles",
    "Australia/Sydney",     "Asia/Tokyo",         "Asia/Kolkata",        "UTC",
    "Europe/Moscow",        "Europe/Lisbon",      "Europe/Istanbul",     "Asia/Shanghai",
    "Asia/Singapore",       "Asia/Dhaka",         "Asia/Kabul",          "Asia/Pyongyang",
    "Asia/Jerusalem",       "Africa/Cairo",       "Africa/Monrovia",     "America/St_Johns",
    "America/Havana",       "America/Nuuk",       "America/Mexico_City", "America/Asuncion",
    "America/Scoresbysund", "Antarctica/Troll",   "Atlantic/Azores",     "Pacific/Norfolk",
    "Pacific/Tongatapu",    "Australia/Adelaide", "Australia/Eucla",     "America/Anchorage",
    "Pacific/Honolulu",     "Asia/Colombo",       "Africa/Juba",         "Europe/Chisinau",
    "America/Metlakatla",   "Etc/GMT+5",
};
#define NZONES (sizeof zones / sizeof zones[0])

static uint64_t rng = 0x2545F4914F6CDD1Du;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t random_between(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_random() % (uint64_t)(hi - lo));
}

static int64_t year_start(int64_t year)
{
    return az_days_from_civil(year, 1, 1) * 86400;
}

static void use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* Compare one instant (seconds); returns false and prints the difference when the two disagree. */
static bool same_as_glibc(const asyncz_zone *z, const char *name, int64_t s)
{
    time_t tt = (time_t)s;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        fail_msg("localtime_r failed for %lld", (long long)s);
    asyncz_civil c;
    int32_t off;
    assert_int_equal(asyncz_zone_to_civil(z, s * ASYNCZ_USEC_PER_SEC, &c, &off), 0);
    asyncz_zone_info info;
    assert_int_equal(asyncz_zone_info_at(z, s * ASYNCZ_USEC_PER_SEC, &info), 0);
    bool same = c.year == tm.tm_year + 1900 && c.month == tm.tm_mon + 1 && c.day == tm.tm_mday &&
                c.hour == tm.tm_hour && c.minute == tm.tm_min && c.second == tm.tm_sec &&
                off == tm.tm_gmtoff && info.is_dst == (tm.tm_isdst > 0) && strcmp(info.abbr, tm.tm_zone) == 0;
    if (!same)
        print_error("%s at %lld: asyncz %04d-%02d-%02d %02d:%02d:%02d %+d dst=%d %s, glibc %04d-%02d-%02d "
                    "%02d:%02d:%02d %+ld dst=%d %s\n",
                    name, (long long)s, c.year, c.month, c.day, c.hour, c.minute, c.second, off, info.is_dst,
                    info.abbr, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    tm.tm_gmtoff, tm.tm_isdst, tm.tm_zone);
    return same;
}

/* n random instants in [from, to) years in every zone. */
static void compare_random(int64_t from, int64_t to, int per_zone)
{
    int bad = 0;
    for (size_t k = 0; k < NZONES; k++) {
        asyncz_zone *z = az_test_zone(zones[k]);
        use_tz(zones[k]);
        for (int i = 0; i < per_zone; i++)
            bad += !same_as_glibc(z, zones[k], random_between(year_start(from), year_start(to)));
        asyncz_zone_unref(z);
    }
    assert_int_equal(bad, 0);
}

static void test_oracle_1900_2100(void **state)
{
    assert_true(NZONES >= 40);
    compare_random(1900, 2101, 2200); /* 110,000 instants */
}

static void test_oracle_2037_2500(void **state)
{
    compare_random(2037, 2500, 400);
}

static void test_oracle_after_2500(void **state)
{
    compare_random(2500, 9999, 100);
}

/* Every transition from 1900 to 2150: the last second before, the first second of, and the middle of
 * each span, found by walking asyncz's spans. */
static void test_oracle_transitions(void **state)
{
    int bad = 0, checked = 0;
    for (size_t k = 0; k < NZONES; k++) {
        asyncz_zone *z = az_test_zone(zones[k]);
        use_tz(zones[k]);
        az_zone_span s;
        az_zone_span_at(z, year_start(1900), &s);
        while (s.end < year_start(2150)) {
            int64_t end = s.end;
            bad += !same_as_glibc(z, zones[k], end - 1) + !same_as_glibc(z, zones[k], end);
            bad += !same_as_glibc(z, zones[k], end + (s.start > INT64_MIN ? (s.start - end) / 2 : -3600));
            checked += 3;
            az_zone_span_at(z, end, &s);
        }
        asyncz_zone_unref(z);
    }
    assert_true(checked > 10000);
    assert_int_equal(bad, 0);
}

static void test_oracle_before_first_transition(void **state)
{
    int bad = 0;
    for (size_t k = 0; k < NZONES; k++) {
        asyncz_zone *z = az_test_zone(zones[k]);
        use_tz(zones[k]);
        for (int64_t y = 2; y < 1900; y += 97)
            bad += !same_as_glibc(z, zones[k], year_start(y) + 12345);
        asyncz_zone_unref(z);
    }
    assert_int_equal(bad, 0);
}

/* POSIX TZ strings with no file behind them: asyncz's rule code against glibc's, including the RFC 8536
 * §3.3.1 extensions (hours past 24, negative times, DST all year). */
static void test_oracle_posix_strings(void **state)
{
    const char *strings[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "EST5EDT,M3.2.0,M11.1.0",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
        "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
        "AAA3BBB,J60/167,J300/-100",
        "AAA-3BBB-4,59/1:30,300",
        "<+0530>-5:30",
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
    };
    int bad = 0;
    for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++) {
        az_tzif data = {.has_footer = true};
        assert_int_equal(az_posix_tz_parse(strings[k], &data.footer), 0);
        asyncz_zone *z;
        assert_int_equal(az_zone_build(&z, strings[k], &data), 0);
        use_tz(strings[k]);
        for (int i = 0; i < 3000; i++)
            bad += !same_as_glibc(z, strings[k], random_between(year_start(1970), year_start(2600)));
        az_zone_free(z);
    }
    assert_int_equal(bad, 0);
}

/* Before 1970 glibc's rule code is wrong: compute_change() in glibc's time/tzset.c starts every year before
 * 1971 from 1970-01-01, so TZ=CET-1CEST,M3.5.0,M10.5.0/3 gives no DST in the summer of 1947 and DST on the
 * wrong days in other early years. POSIX gives a TZ string's rules no first year, and RFC 8536 footers are
 * only used after a file's last transition, so asyncz applies the rules to every year; this test pins that
 * down instead of comparing with glibc. */
static void test_posix_rules_before_1970(void **state)
{
    az_tzif data = {.has_footer = true};
    assert_int_equal(az_posix_tz_parse("CET-1CEST,M3.5.0,M10.5.0/3", &data.footer), 0);
    asyncz_zone *z;
    assert_int_equal(az_zone_build(&z, "test", &data), 0);
    az_zone_span s;
    az_zone_span_at(z, az_days_from_civil(1947, 7, 1) * 86400, &s);
    assert_int_equal(s.offset, 7200);
    assert_int_equal(s.start, az_days_from_civil(1947, 3, 30) * 86400 + 3600);
    assert_int_equal(s.end, az_days_from_civil(1947, 10, 26) * 86400 + 3600);
    az_zone_free(z);
}

/* DST all year (RFC 8536 §3.3.1): a start on January 1 at 00:00 and an end on December 31 at 24:00 plus the
 * DST shift leave no standard time at all. glibc evaluates the rule per UTC year, so west of Greenwich it
 * reports standard time between 00:00 UTC on January 1 and the year's start (TZ=EST5EDT,0/0,J365/25 gives
 * EST at 2368-01-01T04:32:56Z). The RFC is right by its own definition, and asyncz follows it. */
static void test_all_year_dst_per_rfc(void **state)
{
    az_tzif data = {.has_footer = true};
    assert_int_equal(az_posix_tz_parse("EST5EDT,0/0,J365/25", &data.footer), 0);
    asyncz_zone *z;
    assert_int_equal(az_zone_build(&z, "test", &data), 0);
    const int64_t instants[] = {12559638776, 16346537712, year_start(2026), year_start(2026) + 5 * 3600 - 1,
                                year_start(3001) + 3600};
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
        asyncz_zone_info info;
        assert_int_equal(asyncz_zone_info_at(z, instants[i] * ASYNCZ_USEC_PER_SEC, &info), 0);
        assert_int_equal(info.utc_offset, -4 * 3600);
        assert_true(info.is_dst);
    }
    az_zone_free(z);
}

static int64_t wall_seconds(int64_t s)
{
    time_t tt = (time_t)s;
    struct tm tm;
    localtime_r(&tt, &tm);
    return az_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 + tm.tm_hour * 3600 +
           tm.tm_min * 60 + tm.tm_sec;
}

/* Wall-clock to instant: glibc's localtime_r must read each reported instant back as the wall time (unique
 * and both overlap instants), and around a gap's instant must step over the wall time. */
static void test_oracle_from_civil(void **state)
{
    int kinds[3] = {0, 0, 0};
    for (size_t k = 0; k < NZONES; k++) {
        asyncz_zone *z = az_test_zone(zones[k]);
        use_tz(zones[k]);
        az_zone_span s;
        az_zone_span_at(z, year_start(1970), &s);
        for (int i = 0; i < 600; i++) {
            /* Half the samples right at a change, where gaps and overlaps are; zones whose changes ran out
             * start over from 1900. */
            if (s.end >= year_start(2100))
                az_zone_span_at(z, year_start(1900), &s);
            bool at_change = i % 2 == 0 && s.end < year_start(2100);
            int64_t wall = at_change ? s.end + s.offset + random_between(-5400, 5400)
                                     : random_between(year_start(1900), year_start(2100));
            if (at_change)
                az_zone_span_at(z, s.end, &s);
            asyncz_civil c;
            az_seconds_to_civil(wall, &c);
            asyncz_local_result r;
            assert_int_equal(asyncz_zone_from_civil(z, &c, &r), 0);
            int64_t first = r.first / ASYNCZ_USEC_PER_SEC, second = r.second / ASYNCZ_USEC_PER_SEC;
            kinds[r.kind]++;
            if (r.kind == ASYNCZ_LOCAL_GAP) {
                if (!(wall_seconds(first - 1) < wall && wall_seconds(first) > wall))
                    fail_msg("%s: gap at %lld reported at %lld", zones[k], (long long)wall, (long long)first);
            } else {
                assert_int_equal(wall_seconds(first), wall);
                assert_int_equal(wall_seconds(second), wall);
                assert_true(r.kind == ASYNCZ_LOCAL_UNIQUE ? first == second : first < second);
            }
        }
        asyncz_zone_unref(z);
    }
    assert_true(kinds[ASYNCZ_LOCAL_GAP] > 100 && kinds[ASYNCZ_LOCAL_OVERLAP] > 100);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_1900_2100),
        cmocka_unit_test(test_oracle_2037_2500),
        cmocka_unit_test(test_oracle_after_2500),
        cmocka_unit_test(test_oracle_transitions),
        cmocka_unit_test(test_oracle_before_first_transition),
        cmocka_unit_test(test_oracle_posix_strings),
        cmocka_unit_test(test_oracle_from_civil),
        cmocka_unit_test(test_posix_rules_before_1970),
        cmocka_unit_test(test_all_year_dst_per_rfc),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
