/* Calendar interval triggers (APScheduler 4's CalendarIntervalTrigger): whole calendar units in wall-clock
 * time. Fire k is at the date origin + k * (years, months) + k * (weeks * 7 + days) days, at the time of day
 * in the trigger's zone.
 *
 * Years and months are always added to the original date, so the day of the month never drifts: from
 * Jan 31, one month on (Feb 31) does not exist and is skipped, and two months on is Mar 31. The day part is
 * added after the months. A time of day in a DST gap resolves to the first instant after the gap; in an
 * overlap, to its first occurrence (asyncz_zone_resolve). */
#include <stdio.h>
#include <stdlib.h>

#include "time/civil.h"
#include "trigger/trigger_codec.h"
#include "trigger/trigger_internal.h"

typedef struct calendar_trigger {
    asyncz_trigger_base base;
    asyncz_calendar_interval ci;
    int64_t step_months; /* years * 12 + months */
    int64_t step_days;   /* weeks * 7 + days */
    int32_t year;        /* the date origin */
    int month, day;
} calendar_trigger;

/* The date of fire k. *valid is false when it does not exist (day 31 in a 30-day month, Feb 29 in a common
 * year). The returned day count is still ordered with the other fires' (a missing day counts as the days
 * past the month's end), which lets the search compare fires that do not exist. */
static int64_t fire_days(const calendar_trigger *ct, int64_t k, int32_t *year, int *month, bool *valid)
{
    int64_t months = (int64_t)(ct->month - 1) + k * ct->step_months;
    *year = (int32_t)(ct->year + months / 12);
    *month = (int)(months % 12) + 1;
    *valid = ct->day <= az_days_in_month(*year, *month);
    return az_days_from_civil(*year, *month, ct->day) + k * ct->step_days;
}

/* Whether fire k lies past the last representable year, so that every later one does too. */
static bool fire_beyond_range(const calendar_trigger *ct, int64_t k)
{
    int64_t months = (int64_t)(ct->month - 1) + k * ct->step_months;
    if (ct->year + months / 12 > 9999)
        return true;
    return k * ct->step_days > az_days_from_civil(9999, 12, 31) - az_days_from_civil(1, 1, 1);
}

/* The smallest k whose (possibly missing) date is on or after day `target`. The estimate uses the average
 * Gregorian month (30.436875 days); the error of that over a few thousand years is a few steps, which the
 * two loops correct, so the search never scans from the origin. */
static int64_t first_k_on_or_after(const calendar_trigger *ct, int64_t target)
{
    int32_t y;
    int m;
    bool valid;
    int64_t origin = fire_days(ct, 0, &y, &m, &valid);
    if (target <= origin)
        return 0;
    double per_step = (double)ct->step_months * 30.436875 + (double)ct->step_days;
    int64_t k = (int64_t)((double)(target - origin) / per_step);
    while (k > 0 && fire_days(ct, k - 1, &y, &m, &valid) >= target)
        k--;
    while (!fire_beyond_range(ct, k) && fire_days(ct, k, &y, &m, &valid) < target)
        k++;
    return k;
}

/* The instant of fire k, ASYNCZ_TIME_NONE when its date does not exist. */
static int fire_instant(const calendar_trigger *ct, int64_t k, asyncz_time_t *out)
{
    asyncz_civil c = {.hour = ct->ci.hour, .minute = ct->ci.minute, .second = ct->ci.second};
    int month, day;
    bool valid;
    int64_t days = fire_days(ct, k, &c.year, &month, &valid);
    *out = ASYNCZ_TIME_NONE;
    if (!valid)
        return 0;
    az_civil_from_days(days, &c.year, &month, &day);
    if (c.year > 9999)
        return ASYNCZ_ERANGE;
    c.month = (int8_t)month;
    c.day = (int8_t)day;
    int rc = asyncz_zone_resolve(ct->base.zone, &c, out);
    /* Early on January 1 of year 1 in a zone east of UTC is before the first instant: skip that fire. */
    if (rc == ASYNCZ_ERANGE && c.year == 1) {
        *out = ASYNCZ_TIME_NONE;
        rc = 0;
    }
    return rc;
}

/* The local date (as a day count) of instant t in the trigger's zone. */
static int local_day(const calendar_trigger *ct, asyncz_time_t t, int64_t *out)
{
    asyncz_civil c;
    int rc = asyncz_zone_to_civil(ct->base.zone, t, &c, NULL);
    if (rc < 0)
        return rc;
    *out = az_days_from_civil(c.year, c.month, c.day);
    return 0;
}

static int calendar_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                         asyncz_time_t *out)
{
    const calendar_trigger *ct = (const calendar_trigger *)t;
    asyncz_time_t search = az_trigger_search_start(&ct->base, previous, now);
    *out = ASYNCZ_TIME_NONE;
    if (search > ASYNCZ_TIME_MAX)
        return 0;
    /* The local date only says where to start looking (each fire is checked against search below), so it
     * is taken from an instant whose date exists in every zone, a day away from either end of the range. */
    asyncz_time_t probe = search;
    if (probe < ASYNCZ_TIME_MIN + ASYNCZ_USEC_PER_DAY)
        probe = ASYNCZ_TIME_MIN + ASYNCZ_USEC_PER_DAY;
    else if (probe > ASYNCZ_TIME_MAX - ASYNCZ_USEC_PER_DAY)
        probe = ASYNCZ_TIME_MAX - ASYNCZ_USEC_PER_DAY;
    int64_t day;
    int rc = local_day(ct, probe, &day);
    if (rc < 0)
        return rc;
    /* Start one day early: a time of day in a gap that spans midnight resolves onto the next date. */
    for (int64_t k = first_k_on_or_after(ct, day - 1); !fire_beyond_range(ct, k); k++) {
        asyncz_time_t when;
        rc = fire_instant(ct, k, &when);
        if (rc == ASYNCZ_ERANGE)
            return 0;
        if (rc < 0)
            return rc;
        if (when != ASYNCZ_TIME_NONE && when >= search) {
            *out = when;
            return 0;
        }
    }
    return 0;
}

static int calendar_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    const asyncz_calendar_interval *ci = &((const calendar_trigger *)t)->ci;
    int len = 0;
    if (buf && size)
        buf[0] = '\0';
    az_describe_append(buf, size, &len, "years=%d, months=%d, weeks=%d, days=%d, time='%02d:%02d:%02d'",
                       (int)ci->years, (int)ci->months, (int)ci->weeks, (int)ci->days, ci->hour, ci->minute,
                       ci->second);
    return len;
}

static void calendar_destroy(asyncz_trigger *t)
{
    free(t);
}

static const asyncz_trigger_ops calendar_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "calendarinterval",
    .next = calendar_next,
    .describe = calendar_describe,
    .destroy = calendar_destroy,
};

static int check_part(const char *name, int64_t value, int64_t max, asyncz_trigger_error *err)
{
    if (value >= 0 && value <= max)
        return 0;
    char expr[24];
    snprintf(expr, sizeof expr, "%lld", (long long)value);
    if (value < 0)
        az_trigger_error_set(err, name, expr, 0, "must not be negative");
    else
        az_trigger_error_set(err, name, expr, 0, "must be between 0 and %lld", (long long)max);
    return ASYNCZ_EINVAL;
}

static int check_interval(const asyncz_calendar_interval *ci, asyncz_trigger_error *err)
{
    int rc = check_part("years", ci->years, INT32_MAX, err);
    if (rc == 0)
        rc = check_part("months", ci->months, INT32_MAX, err);
    if (rc == 0)
        rc = check_part("weeks", ci->weeks, INT32_MAX, err);
    if (rc == 0)
        rc = check_part("days", ci->days, INT32_MAX, err);
    if (rc == 0)
        rc = check_part("hour", ci->hour, 23, err);
    if (rc == 0)
        rc = check_part("minute", ci->minute, 59, err);
    if (rc == 0)
        rc = check_part("second", ci->second, 59, err);
    if (rc == 0 && !ci->years && !ci->months && !ci->weeks && !ci->days) {
        az_trigger_error_set(err, "interval", "0", 0,
                             "at least one of years, months, weeks, days must be positive");
        rc = ASYNCZ_EINVAL;
    }
    return rc;
}

/* The date origin: the given one (restoring a written trigger), else the date of start_date in the zone,
 * else today there. */
static int set_origin(calendar_trigger *ct, const asyncz_civil *given, asyncz_trigger_error *err)
{
    asyncz_civil c;
    if (given) {
        c = (asyncz_civil){.year = given->year, .month = given->month, .day = given->day};
        if (!asyncz_civil_valid(&c)) {
            az_trigger_error_set(err, "origin", "", 0, "not a date of years 1..9999");
            return ASYNCZ_EINVAL;
        }
    } else {
        asyncz_time_t from = ct->base.start_date != ASYNCZ_TIME_NONE ? ct->base.start_date : asyncz_now();
        int rc = asyncz_zone_to_civil(ct->base.zone, from, &c, NULL);
        if (rc < 0) {
            az_trigger_error_set(err, "start_date", "", 0, "its date in the zone is outside years 1..9999");
            return rc;
        }
    }
    ct->year = c.year;
    ct->month = c.month;
    ct->day = c.day;
    return 0;
}

static int calendar_make(asyncz_trigger **out, const asyncz_calendar_interval *ci, const asyncz_civil *origin,
                         const asyncz_trigger_options *opts, asyncz_trigger_error *err)
{
    if (!out || !ci)
        return ASYNCZ_EINVAL;
    *out = NULL;
    asyncz_trigger_options read;
    int rc = az_trigger_options_read(opts, &read, err);
    if (rc < 0)
        return rc;
    rc = check_interval(ci, err);
    if (rc < 0)
        return rc;
    calendar_trigger *ct = calloc(1, sizeof *ct);
    if (!ct)
        return ASYNCZ_ENOMEM;
    rc = asyncz_trigger_base_init(&ct->base, &calendar_ops, &read);
    if (rc < 0) {
        free(ct);
        return rc;
    }
    ct->ci = *ci;
    ct->step_months = (int64_t)ci->years * 12 + ci->months;
    ct->step_days = (int64_t)ci->weeks * 7 + ci->days;
    rc = set_origin(ct, origin, err);
    if (rc < 0) {
        asyncz_trigger_unref((asyncz_trigger *)ct);
        return rc;
    }
    *out = (asyncz_trigger *)ct;
    return 0;
}

int asyncz_trigger_calendar_new(asyncz_trigger **out, const asyncz_calendar_interval *ci,
                                const asyncz_trigger_options *opts, asyncz_trigger_error *err)
{
    return calendar_make(out, ci, NULL, opts, err);
}

int az_trigger_calendar_restore(asyncz_trigger **out, const asyncz_calendar_interval *ci,
                                const asyncz_civil *origin, const asyncz_trigger_options *opts,
                                asyncz_trigger_error *err)
{
    if (!origin)
        return ASYNCZ_EINVAL;
    return calendar_make(out, ci, origin, opts, err);
}

bool az_trigger_calendar_params(const asyncz_trigger *t, asyncz_calendar_interval *ci, asyncz_civil *origin)
{
    if (!t || ASYNCZ_TRIGGER_CBASE(t)->ops != &calendar_ops)
        return false;
    const calendar_trigger *ct = (const calendar_trigger *)t;
    *ci = ct->ci;
    *origin = (asyncz_civil){.year = ct->year, .month = (int8_t)ct->month, .day = (int8_t)ct->day};
    return true;
}
