/* Interval triggers: fire times on a grid of elapsed time, origin + k * interval (k >= 0).
 *
 * The interval is elapsed (absolute) time, so an hourly trigger fires every real hour, across DST changes
 * too; the zone only matters for describing the trigger. With a previous fire time the next one is the first
 * grid point strictly after it. That keeps a jittered previous fire time (a grid point plus a delay in
 * [0, jitter]) on the grid, as long as the jitter is shorter than the interval; with a longer jitter a grid
 * point can be skipped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "trigger/trigger_codec.h"
#include "trigger/trigger_internal.h"

typedef struct interval_trigger {
    asyncz_trigger_base base;
    int64_t interval; /* > 0, microseconds */
    asyncz_time_t origin;
} interval_trigger;

static int add_part(int64_t *sum, int64_t count, int64_t unit)
{
    int64_t part;
    if (count < 0 || __builtin_mul_overflow(count, unit, &part) || __builtin_add_overflow(*sum, part, sum))
        return ASYNCZ_ERANGE;
    return 0;
}

int asyncz_interval_usec(const asyncz_interval *iv, int64_t *out_usec)
{
    if (!iv || !out_usec)
        return ASYNCZ_EINVAL;
    int64_t sum = 0;
    int rc = add_part(&sum, iv->weeks, 7 * ASYNCZ_USEC_PER_DAY);
    if (rc == 0)
        rc = add_part(&sum, iv->days, ASYNCZ_USEC_PER_DAY);
    if (rc == 0)
        rc = add_part(&sum, iv->hours, ASYNCZ_USEC_PER_HOUR);
    if (rc == 0)
        rc = add_part(&sum, iv->minutes, ASYNCZ_USEC_PER_MIN);
    if (rc == 0)
        rc = add_part(&sum, iv->seconds, ASYNCZ_USEC_PER_SEC);
    if (rc == 0)
        rc = add_part(&sum, iv->microseconds, 1);
    if (rc == 0)
        *out_usec = sum;
    return rc;
}

/* The first grid point at or after t, or ASYNCZ_TIME_NONE when it would lie past ASYNCZ_TIME_MAX. The
 * arithmetic is unsigned because t - origin can exceed INT64_MAX when t is far from the grid's origin. */
static asyncz_time_t grid_at_or_after(const interval_trigger *it, asyncz_time_t t)
{
    if (it->origin > ASYNCZ_TIME_MAX)
        return ASYNCZ_TIME_NONE;
    if (t <= it->origin)
        return it->origin;
    uint64_t step = (uint64_t)it->interval;
    uint64_t diff = (uint64_t)t - (uint64_t)it->origin;
    uint64_t k = diff / step + (diff % step != 0);
    uint64_t k_max = ((uint64_t)ASYNCZ_TIME_MAX - (uint64_t)it->origin) / step;
    if (k > k_max)
        return ASYNCZ_TIME_NONE;
    return (asyncz_time_t)((uint64_t)it->origin + k * step);
}

static int interval_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                         asyncz_time_t *out)
{
    const interval_trigger *it = (const interval_trigger *)t;
    if (previous == ASYNCZ_TIME_NONE)
        *out = grid_at_or_after(it, now);
    else if (previous >= ASYNCZ_TIME_MAX)
        *out = ASYNCZ_TIME_NONE;
    else
        *out = grid_at_or_after(it, previous + 1);
    return 0;
}

/* Like Python's str(timedelta), as APScheduler shows intervals: "1:00:00", "2 days, 0:30:00",
 * "0:00:01.500000". */
static int interval_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    const interval_trigger *it = (const interval_trigger *)t;
    int64_t days = it->interval / ASYNCZ_USEC_PER_DAY;
    int64_t rest = it->interval % ASYNCZ_USEC_PER_DAY;
    int64_t secs = rest / ASYNCZ_USEC_PER_SEC, usec = rest % ASYNCZ_USEC_PER_SEC;
    int len = 0;
    if (buf && size)
        buf[0] = '\0';
    if (days)
        az_describe_append(buf, size, &len, "%" PRId64 " day%s, ", days, days == 1 ? "" : "s");
    az_describe_append(buf, size, &len, "%" PRId64 ":%02d:%02d", secs / 3600, (int)(secs / 60 % 60),
                       (int)(secs % 60));
    if (usec)
        az_describe_append(buf, size, &len, ".%06d", (int)usec);
    return len;
}

static void interval_destroy(asyncz_trigger *t)
{
    free(t);
}

static const asyncz_trigger_ops interval_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "interval",
    .next = interval_next,
    .describe = interval_describe,
    .destroy = interval_destroy,
};

/* The default origin: one interval from now, held at ASYNCZ_TIME_MAX for an interval that long. */
static asyncz_time_t default_origin(int64_t interval)
{
    asyncz_time_t now = asyncz_now();
    return now > ASYNCZ_TIME_MAX - interval ? ASYNCZ_TIME_MAX : now + interval;
}

/* Make the trigger. The options are checked with opts' own start_date; the grid origin is `origin`, or
 * when that is ASYNCZ_TIME_NONE the start_date, else one interval from now. */
static int interval_make(asyncz_trigger **out, int64_t interval_usec, const asyncz_trigger_options *opts,
                         asyncz_time_t origin, asyncz_trigger_error *err)
{
    if (!out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    asyncz_trigger_options read;
    int rc = az_trigger_options_read(opts, &read, err);
    if (rc < 0)
        return rc;
    if (interval_usec <= 0) {
        char expr[32];
        snprintf(expr, sizeof expr, "%" PRId64 "us", interval_usec);
        az_trigger_error_set(err, "interval", expr, 0, "interval must be positive");
        return ASYNCZ_EINVAL;
    }
    interval_trigger *it = calloc(1, sizeof *it);
    if (!it)
        return ASYNCZ_ENOMEM;
    rc = asyncz_trigger_base_init(&it->base, &interval_ops, &read);
    if (rc < 0) {
        free(it);
        return rc;
    }
    it->interval = interval_usec;
    /* The default start is set after the base's validation on purpose: an end_date earlier than
     * "now + interval" makes an exhausted trigger, as in APScheduler, not an error. */
    if (origin != ASYNCZ_TIME_NONE)
        it->base.start_date = origin;
    else if (it->base.start_date == ASYNCZ_TIME_NONE)
        it->base.start_date = default_origin(interval_usec);
    it->origin = it->base.start_date;
    *out = (asyncz_trigger *)it;
    return 0;
}

int asyncz_trigger_interval_new(asyncz_trigger **out, int64_t interval_usec,
                                const asyncz_trigger_options *opts, asyncz_trigger_error *err)
{
    return interval_make(out, interval_usec, opts, ASYNCZ_TIME_NONE, err);
}

int az_trigger_interval_restore(asyncz_trigger **out, int64_t interval_usec,
                                const asyncz_trigger_options *opts, asyncz_trigger_error *err)
{
    asyncz_trigger_options checked;
    if (!opts)
        return ASYNCZ_EINVAL;
    int rc = az_trigger_options_read(opts, &checked, err);
    if (rc < 0)
        return rc;
    asyncz_time_t origin = checked.start_date;
    if (origin < ASYNCZ_TIME_MIN || origin > ASYNCZ_TIME_MAX)
        return ASYNCZ_EINVAL;
    checked.start_date = ASYNCZ_TIME_NONE;
    return interval_make(out, interval_usec, &checked, origin, err);
}

bool az_trigger_interval_params(const asyncz_trigger *t, int64_t *interval_usec)
{
    if (!t || ASYNCZ_TRIGGER_CBASE(t)->ops != &interval_ops)
        return false;
    *interval_usec = ((const interval_trigger *)t)->interval;
    return true;
}
