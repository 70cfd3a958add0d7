/* Civil-time matching of a cron spec: the first matching wall-clock time at or after a given one.
 *
 * The search is the classic carry loop over bitsets: the next year, the next month, the next day in the
 * month's day mask, then the time of day by bit scans. Day masks come from patterns precomputed per spec,
 * so a month costs a handful of table lookups whatever the expression. */
#include <string.h>

#include "time/civil.h"
#include "trigger/cron.h"

static int next_bit64(uint64_t bits, int from)
{
    if (from >= 64)
        return -1;
    uint64_t m = bits >> from;
    return m ? from + __builtin_ctzll(m) : -1;
}

static int next_bit32(uint32_t bits, int from)
{
    if (from >= 32)
        return -1;
    uint32_t m = bits >> from;
    return m ? from + __builtin_ctz(m) : -1;
}

void az_cron_spec_init(az_cron_spec *s)
{
    memset(s, 0, sizeof *s);
}

static void set_year(az_cron_spec *s, int y)
{
    int i = y - AZ_CRON_YEAR_MIN;
    s->years[i / 64] |= UINT64_C(1) << (i % 64);
}

static void set_year_range(az_cron_spec *s, int lo, int hi, int step)
{
    if (step > 1) {
        for (int y = lo; y <= hi; y += step)
            set_year(s, y);
        return;
    }
    /* A plain range is filled a word at a time: "*" covers 8,030 years. */
    for (int y = lo; y <= hi && (y - AZ_CRON_YEAR_MIN) % 64; y++)
        set_year(s, y);
    int y = lo + (64 - (lo - AZ_CRON_YEAR_MIN) % 64) % 64;
    for (; y + 63 <= hi; y += 64)
        s->years[(y - AZ_CRON_YEAR_MIN) / 64] = ~UINT64_C(0);
    for (; y <= hi; y++)
        set_year(s, y);
}

void az_cron_set_range(az_cron_spec *s, int field_index, int lo, int hi, int step)
{
    if (field_index == AZ_CRON_YEAR) {
        set_year_range(s, lo, hi, step);
        return;
    }
    uint64_t bits = 0;
    if (step == 1)
        bits = (hi == 63 ? ~UINT64_C(0) : (UINT64_C(1) << (hi + 1)) - 1) & (~UINT64_C(0) << lo);
    else
        for (int v = lo; v <= hi; v += step)
            bits |= UINT64_C(1) << v;
    switch (field_index) {
    case AZ_CRON_MONTH:
        s->month |= (uint16_t)bits;
        break;
    case AZ_CRON_DAY:
        s->dom.days |= (uint32_t)bits;
        break;
    case AZ_CRON_WEEK:
        s->week |= bits;
        break;
    case AZ_CRON_DOW:
        s->dow.weekdays |= (uint8_t)bits;
        break;
    case AZ_CRON_HOUR:
        s->hour |= (uint32_t)bits;
        break;
    case AZ_CRON_MINUTE:
        s->minute |= bits;
        break;
    default:
        s->second |= bits;
        break;
    }
}

/* Days of a month selected by plain days, weekdays and n-th weekdays, for a month whose 1st falls on
 * weekday wd1. Weekday w first falls on day 1 + (w - wd1) mod 7 and recurs every 7 days. */
static uint32_t pattern_by_first(const az_cron_days *ds, int wd1)
{
    const uint32_t every_week = (1u << 0) | (1u << 7) | (1u << 14) | (1u << 21) | (1u << 28);
    uint32_t m = ds->days & ~UINT32_C(1);
    unsigned nth = ds->nth[0] | ds->nth[1] | ds->nth[2] | ds->nth[3] | ds->nth[4];
    for (int w = 0, first = 1 + (7 - wd1) % 7; w < 7; w++, first = first == 7 ? 1 : first + 1) {
        if (ds->weekdays >> w & 1)
            m |= every_week << first;
        for (int k = 0; (nth >> w & 1) && k < 5; k++)
            if ((ds->nth[k] >> w & 1) && first + 7 * k <= 31)
                m |= UINT32_C(1) << (first + 7 * k);
    }
    return m;
}

/* Distances from the month's end (as bits 31-n) selected by "last <weekday>", for a month whose last day
 * falls on weekday wl. */
static uint32_t pattern_by_last(const az_cron_days *ds, int wl)
{
    uint32_t m = ds->from_end;
    for (int n = 0; ds->last_of && n < 7; n++)
        if (ds->last_of >> ((wl - n + 7) % 7) & 1)
            m |= UINT32_C(1) << (31 - n);
    return m;
}

static void days_finish(az_cron_days *ds)
{
    for (int wd = 0; wd < 7; wd++) {
        ds->by_first[wd] = pattern_by_first(ds, wd);
        ds->by_last[wd] = pattern_by_last(ds, wd);
    }
    ds->extras = ds->nearest || ds->nearest_from_end;
}

static bool days_all(const az_cron_days *ds)
{
    for (int wd = 0; wd < 7; wd++)
        if ((ds->by_first[wd] & UINT32_C(0xfffffffe)) != UINT32_C(0xfffffffe))
            return false;
    return true;
}

static bool years_all(const az_cron_spec *s)
{
    const int last = AZ_CRON_YEAR_WORDS - 1, tail_bits = (AZ_CRON_YEAR_MAX - AZ_CRON_YEAR_MIN + 1) % 64;
    for (int w = 0; w < last; w++)
        if (s->years[w] != ~UINT64_C(0))
            return false;
    uint64_t tail = tail_bits ? (UINT64_C(1) << tail_bits) - 1 : ~UINT64_C(0);
    return (s->years[last] & tail) == tail;
}

void az_cron_spec_finish(az_cron_spec *s)
{
    days_finish(&s->dom);
    days_finish(&s->dow);
    s->any_week = (s->week & UINT64_C(0x3ffffffffffffe)) == UINT64_C(0x3ffffffffffffe);
    bool dom_all = days_all(&s->dom), dow_all = days_all(&s->dow);
    s->any_day = s->any_week && (s->either_day ? dom_all || dow_all : dom_all && dow_all);
    s->any_year = years_all(s);
    int h = next_bit32(s->hour, 0), m = next_bit64(s->minute, 0), sec = next_bit64(s->second, 0);
    s->first_tod = h * 3600 + m * 60 + sec;
}

/* The weekday Monday-Friday nearest to day n of a month, never leaving the month. */
static int nearest_workday(int n, int ndays, int wd1)
{
    int wd = (wd1 + n - 1) % 7;
    if (wd == 5)
        return n > 1 ? n - 1 : n + 2;
    if (wd == 6)
        return n < ndays ? n + 1 : n - 2;
    return n;
}

/* Days chosen per month: "nW" and "L-nW" ("LW" is L-0W, the last Monday-Friday). A day that does not exist
 * in the month (31W in April, L-30W in February) chooses nothing. */
static uint32_t extras_mask(const az_cron_days *ds, int ndays, int wd1)
{
    uint32_t m = 0;
    for (uint32_t bits = ds->nearest; bits; bits &= bits - 1) {
        int n = __builtin_ctz(bits);
        if (n <= ndays)
            m |= UINT32_C(1) << nearest_workday(n, ndays, wd1);
    }
    for (uint32_t bits = ds->nearest_from_end; bits; bits &= bits - 1) {
        int n = ndays - __builtin_ctz(bits);
        if (n >= 1)
            m |= UINT32_C(1) << nearest_workday(n, ndays, wd1);
    }
    return m;
}

static uint32_t days_mask(const az_cron_days *ds, int ndays, int wd1)
{
    int wl = (wd1 + ndays - 1) % 7;
    uint32_t m = ds->by_first[wd1] | (ds->by_last[wl] >> (31 - ndays));
    if (ds->extras)
        m |= extras_mask(ds, ndays, wd1);
    return m;
}

/* ISO 8601 week number of a day count whose weekday is wd: the week belongs to the year of its Thursday. */
static int iso_week(int64_t day, int wd)
{
    int64_t thursday = day - wd + 3;
    int32_t y;
    int m, d;
    az_civil_from_days(thursday, &y, &m, &d);
    return (int)((thursday - az_days_from_civil(y, 1, 1)) / 7 + 1);
}

/* Days of a month whose ISO week is in the spec: one week number per Monday-Sunday stretch. */
static uint32_t week_mask(const az_cron_spec *s, int64_t day0, int ndays, int wd1)
{
    uint64_t mask = 0;
    for (int d = 1, wd = wd1; d <= ndays; d += 7 - wd, wd = 0) {
        int sunday = d + 6 - wd;
        if (s->week >> iso_week(day0 + d - 1, wd) & 1)
            mask |= (UINT64_C(2) << sunday) - (UINT64_C(1) << d);
    }
    return (uint32_t)mask;
}

uint32_t az_cron_day_mask(const az_cron_spec *s, int32_t year, int month)
{
    int ndays = az_days_in_month(year, month);
    uint32_t valid = (UINT32_C(0xffffffff) >> (31 - ndays)) & ~UINT32_C(1);
    if (s->any_day)
        return valid;
    int64_t day0 = az_days_from_civil(year, month, 1);
    int wd1 = az_weekday_from_days(day0);
    uint32_t a = days_mask(&s->dom, ndays, wd1), b = days_mask(&s->dow, ndays, wd1);
    uint32_t m = s->either_day ? a | b : a & b;
    if (!s->any_week)
        m &= week_mask(s, day0, ndays, wd1);
    return m & valid;
}

static int32_t next_year(const az_cron_spec *s, int32_t y)
{
    if (y < AZ_CRON_YEAR_MIN)
        y = AZ_CRON_YEAR_MIN;
    if (y > AZ_CRON_YEAR_MAX)
        return -1;
    if (s->any_year)
        return y;
    int i = y - AZ_CRON_YEAR_MIN;
    for (int w = i / 64; w < AZ_CRON_YEAR_WORDS; w++) {
        uint64_t bits = s->years[w];
        if (w == i / 64)
            bits &= ~UINT64_C(0) << (i % 64);
        if (bits)
            return AZ_CRON_YEAR_MIN + w * 64 + __builtin_ctzll(bits);
    }
    return -1;
}

/* First matching (month, day) at or after (*m, *d) within year y. */
static bool find_in_year(const az_cron_spec *s, int32_t y, int *m, int *d)
{
    for (int mo = next_bit32(s->month, *m); mo >= 0; mo = next_bit32(s->month, mo + 1)) {
        int day = next_bit32(az_cron_day_mask(s, y, mo), mo == *m ? *d : 1);
        if (day >= 0) {
            *m = mo;
            *d = day;
            return true;
        }
    }
    return false;
}

/* Years whose days match alike. Without a week restriction that depends only on leap-ness and the weekday
 * of January 1 (14 kinds). ISO weeks also depend on the year before: whether early January still belongs to
 * its week 52 or 53 follows from that year's leap-ness (given this year's January 1), so a week restriction
 * adds it (21 kinds: two leap years never follow each other). Every kind occurs within 28 years. */
static int year_class(const az_cron_spec *s, int32_t y)
{
    int kind = az_is_leap(y) * 7 + az_weekday_from_days(az_days_from_civil(y, 1, 1));
    return s->any_week ? kind : kind + 14 * az_is_leap(y - 1);
}

/* The first matching day at or after (*y, *m, *d). A year in which no day matches at all proves every year
 * of its class fails too, so an expression that can never match (February 30) gives up after one cycle. */
static bool find_day(const az_cron_spec *s, int32_t *y, int *m, int *d)
{
    uint32_t failed = 0;
    int nfailed = 0, nclasses = s->any_week ? 14 : 21;
    int32_t year = *y;
    int mo = *m, day = *d;
    bool partial = mo != 1 || day != 1;
    for (;;) {
        int32_t ny = next_year(s, year);
        if (ny < 0)
            return false;
        if (ny != year) {
            year = ny;
            mo = day = 1;
            partial = false;
        }
        int cls = partial ? -1 : year_class(s, year);
        if (cls < 0 || !(failed >> cls & 1)) {
            if (find_in_year(s, year, &mo, &day)) {
                *y = year;
                *m = mo;
                *d = day;
                return true;
            }
            if (cls >= 0) {
                failed |= UINT32_C(1) << cls;
                if (++nfailed == nclasses)
                    return false;
            }
        }
        year++;
        mo = day = 1;
        partial = false;
    }
}

/* The first matching second of the day at or after second-of-day tod, or -1. */
static int time_next(const az_cron_spec *s, int tod)
{
    int h = tod / 3600, mi = tod / 60 % 60, sec = tod % 60;
    if (s->hour >> h & 1) {
        if (s->minute >> mi & 1) {
            int s2 = next_bit64(s->second, sec);
            if (s2 >= 0)
                return h * 3600 + mi * 60 + s2;
            mi++;
        }
        int m2 = next_bit64(s->minute, mi);
        if (m2 >= 0)
            return h * 3600 + m2 * 60 + __builtin_ctzll(s->second);
    }
    int h2 = next_bit32(s->hour, h + 1);
    return h2 < 0 ? -1 : h2 * 3600 + __builtin_ctzll(s->minute) * 60 + __builtin_ctzll(s->second);
}

bool az_cron_next_wall(const az_cron_spec *s, int64_t wall, int64_t *out)
{
    int64_t day = az_floor_div(wall, 86400);
    int t = time_next(s, (int)(wall - day * 86400));
    if (t < 0) {
        day++;
        t = s->first_tod;
    }
    int32_t y;
    int m, d;
    az_civil_from_days(day, &y, &m, &d);
    int32_t y2 = y;
    int m2 = m, d2 = d;
    if (!find_day(s, &y2, &m2, &d2))
        return false;
    if (y2 != y || m2 != m || d2 != d)
        t = s->first_tod;
    *out = az_days_from_civil(y2, m2, d2) * 86400 + t;
    return true;
}
