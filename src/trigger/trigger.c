/* What every trigger shares: reference counting, the common options (end_date, jitter), preview,
 * describe, and the error record. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "trigger/trigger_internal.h"
#include "util/options.h"

/* The bytes of each version of asyncz_trigger_options: up to the end of that version's last field. A new
 * field goes at the end of the struct, with a new version and its size here. */
static const size_t OPTIONS_SIZE[ASYNCZ_TRIGGER_OPTIONS_VERSION + 1] = {
    [1] = offsetof(asyncz_trigger_options, jitter_seed) + sizeof(uint64_t),
};

static void options_defaults(asyncz_trigger_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->version = ASYNCZ_TRIGGER_OPTIONS_VERSION;
    opts->start_date = ASYNCZ_TIME_NONE;
    opts->end_date = ASYNCZ_TIME_NONE;
}

/* Whether version is one this library knows; if not, say why in err or, without err, in the log. */
static int check_version(uint32_t version, asyncz_trigger_error *err)
{
    char why[320];
    if (!az_options_version_problem("asyncz_trigger_options", "asyncz_trigger_options_init", version,
                                    ASYNCZ_TRIGGER_OPTIONS_VERSION, why, sizeof why))
        return 0;
    if (err)
        az_trigger_error_set(err, "options", "", 0, "%s", why);
    else
        asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.trigger", "%s", why);
    return ASYNCZ_EINVAL;
}

int asyncz_trigger_options_init_version(asyncz_trigger_options *opts, uint32_t version)
{
    if (!opts)
        return ASYNCZ_EINVAL;
    int rc = check_version(version, NULL);
    if (rc) {
        opts->version = version; /* the first member of every version */
        return rc;
    }
    asyncz_trigger_options defaults;
    options_defaults(&defaults);
    az_options_fill(opts, &defaults, OPTIONS_SIZE, version);
    return 0;
}

int az_trigger_options_read(const asyncz_trigger_options *in, asyncz_trigger_options *out,
                            asyncz_trigger_error *err)
{
    options_defaults(out);
    if (!in)
        return 0;
    int rc = check_version(in->version, err);
    if (rc)
        return rc;
    az_options_copy(out, in, OPTIONS_SIZE, ASYNCZ_TRIGGER_OPTIONS_VERSION);
    return 0;
}

static uint64_t splitmix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* A seed for triggers that were not given one: different per trigger and per process. It is kept in the
 * trigger (so the task document can carry it and jitter stays the same after a reload), and made positive
 * as a signed 64-bit number so that it is written as a plain JSON integer. */
static uint64_t random_seed(const void *p)
{
    static _Atomic uint64_t counter;
    uint64_t c = atomic_fetch_add(&counter, 1);
    return (splitmix64((uint64_t)asyncz_now() ^ (uint64_t)(uintptr_t)p ^ (c << 32)) >> 1) | 1;
}

int asyncz_trigger_base_init(asyncz_trigger_base *base, const asyncz_trigger_ops *ops,
                             const asyncz_trigger_options *opts)
{
    asyncz_trigger_options read;
    if (!base || !ops || ops->version != ASYNCZ_TRIGGER_OPS_VERSION || !ops->next || !ops->destroy)
        return ASYNCZ_EINVAL;
    if (az_trigger_options_read(opts, &read, NULL) != 0)
        return ASYNCZ_EINVAL;
    opts = &read;
    if (opts->jitter < 0)
        return ASYNCZ_EINVAL;
    if (opts->start_date != ASYNCZ_TIME_NONE && opts->end_date != ASYNCZ_TIME_NONE &&
        opts->end_date < opts->start_date)
        return ASYNCZ_EINVAL;
    asyncz_zone *zone = NULL;
    if (opts->timezone) {
        zone = asyncz_zone_ref(opts->timezone);
    } else {
        int rc = asyncz_zone_get(&zone, "local");
        if (rc < 0)
            return rc;
    }
    base->ops = ops;
    atomic_init(&base->refs, 1);
    base->zone = zone;
    base->start_date = opts->start_date;
    base->end_date = opts->end_date;
    base->jitter = opts->jitter;
    base->jitter_seed = opts->jitter_seed ? opts->jitter_seed : random_seed(base);
    return 0;
}

asyncz_trigger *asyncz_trigger_ref(asyncz_trigger *t)
{
    if (t)
        atomic_fetch_add_explicit(&ASYNCZ_TRIGGER_BASE(t)->refs, 1, memory_order_relaxed);
    return t;
}

void asyncz_trigger_unref(asyncz_trigger *t)
{
    if (!t)
        return;
    asyncz_trigger_base *b = ASYNCZ_TRIGGER_BASE(t);
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    asyncz_zone *zone = b->zone;
    b->ops->destroy(t);
    asyncz_zone_unref(zone);
}

asyncz_time_t az_trigger_search_start(const asyncz_trigger_base *b, asyncz_time_t previous, asyncz_time_t now)
{
    if (previous == ASYNCZ_TIME_NONE) {
        if (b->start_date != ASYNCZ_TIME_NONE && b->start_date > now)
            return b->start_date;
        return now;
    }
    /* min(now, previous + 1 us), bumped past previous when now equals it (APScheduler 3 does the same). */
    asyncz_time_t after = previous < INT64_MAX ? previous + 1 : previous;
    asyncz_time_t start = now < after ? now : after;
    return start == previous ? after : start;
}

int asyncz_trigger_next_raw(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                            asyncz_time_t *out)
{
    if (!t || !out)
        return ASYNCZ_EINVAL;
    const asyncz_trigger_base *b = ASYNCZ_TRIGGER_CBASE(t);
    *out = ASYNCZ_TIME_NONE;
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    int rc = b->ops->next(t, previous, now, &next);
    if (rc < 0)
        return rc;
    if (next != ASYNCZ_TIME_NONE && b->end_date != ASYNCZ_TIME_NONE && next > b->end_date)
        next = ASYNCZ_TIME_NONE;
    *out = next;
    return 0;
}

/* A delay in [0, limit] drawn from the seed and the fire time, so the same trigger always jitters the same
 * fire time the same way: reproducible with a seed, and free of shared mutable state. */
static int64_t jitter_delay(const asyncz_trigger_base *b, asyncz_time_t fire, int64_t limit)
{
    if (limit <= 0)
        return 0;
    uint64_t r = splitmix64(b->jitter_seed ^ splitmix64((uint64_t)fire));
    return (int64_t)(r % ((uint64_t)limit + 1));
}

int asyncz_trigger_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                        asyncz_time_t *out)
{
    int rc = asyncz_trigger_next_raw(t, previous, now, out);
    if (rc < 0 || *out == ASYNCZ_TIME_NONE)
        return rc;
    const asyncz_trigger_base *b = ASYNCZ_TRIGGER_CBASE(t);
    if (b->jitter > 0) {
        int64_t limit = b->jitter;
        if (b->end_date != ASYNCZ_TIME_NONE && b->end_date - *out < limit)
            limit = b->end_date - *out;
        *out += jitter_delay(b, *out, limit);
    }
    return 0;
}

int asyncz_trigger_preview(const asyncz_trigger *t, asyncz_time_t from, size_t count, asyncz_time_t *out,
                           size_t *n_out)
{
    if (!t || (!out && count) || !n_out)
        return ASYNCZ_EINVAL;
    *n_out = 0;
    asyncz_time_t prev = ASYNCZ_TIME_NONE, now = from;
    for (size_t i = 0; i < count; i++) {
        asyncz_time_t next;
        int rc = asyncz_trigger_next(t, prev, now, &next);
        if (rc < 0)
            return rc;
        if (next == ASYNCZ_TIME_NONE)
            break;
        out[(*n_out)++] = next;
        prev = now = next;
    }
    return 0;
}

int az_trigger_first_from(const asyncz_trigger *child, asyncz_time_t t, asyncz_time_t *out)
{
    int rc = asyncz_trigger_next_raw(child, ASYNCZ_TIME_NONE, t, out);
    /* A date trigger answers its run date even when it has passed; for a combinator that is no match. */
    if (rc == 0 && *out != ASYNCZ_TIME_NONE && *out < t)
        *out = ASYNCZ_TIME_NONE;
    return rc;
}

const char *asyncz_trigger_kind(const asyncz_trigger *t)
{
    return t ? ASYNCZ_TRIGGER_CBASE(t)->ops->name : NULL;
}

asyncz_zone *asyncz_trigger_zone(const asyncz_trigger *t)
{
    return t ? ASYNCZ_TRIGGER_CBASE(t)->zone : NULL;
}

void az_describe_append(char *buf, size_t size, int *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t used = (size_t)*len;
    int n = vsnprintf(used < size ? buf + used : NULL, used < size ? size - used : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += n;
}

/* The separator before the next item: none right after the opening bracket (a kind with nothing of its
 * own to describe, such as shutdown), ", " otherwise. */
static const char *describe_sep(int len, int opened)
{
    return len > opened ? ", " : "";
}

static void describe_time(char *buf, size_t size, int *len, int opened, const char *label, asyncz_time_t t,
                          const asyncz_zone *z)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    if (asyncz_time_format(when, sizeof when, t, z) > 0)
        az_describe_append(buf, size, len, "%s%s='%s'", describe_sep(*len, opened), label, when);
}

int asyncz_trigger_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    if (!t)
        return ASYNCZ_EINVAL;
    if (buf && size)
        buf[0] = '\0';
    const asyncz_trigger_base *b = ASYNCZ_TRIGGER_CBASE(t);
    int len = 0;
    az_describe_append(buf, size, &len, "%s[", b->ops->name);
    int opened = len;
    if (b->ops->describe) {
        int n = b->ops->describe(t, (size_t)len < size ? buf + len : NULL,
                                 (size_t)len < size ? size - (size_t)len : 0);
        if (n > 0)
            len += n;
    }
    if (b->start_date != ASYNCZ_TIME_NONE)
        describe_time(buf, size, &len, opened, "start_date", b->start_date, b->zone);
    if (b->end_date != ASYNCZ_TIME_NONE)
        describe_time(buf, size, &len, opened, "end_date", b->end_date, b->zone);
    if (b->jitter > 0) {
        char d[48];
        asyncz_duration_format(d, sizeof d, b->jitter);
        az_describe_append(buf, size, &len, "%sjitter='%s'", describe_sep(len, opened), d);
    }
    az_describe_append(buf, size, &len, "%stimezone='%s']", describe_sep(len, opened),
                       asyncz_zone_name(b->zone));
    return len;
}

void az_trigger_error_set(asyncz_trigger_error *err, const char *field, const char *expr, int column,
                          const char *fmt, ...)
{
    if (!err)
        return;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    snprintf(err->expression, sizeof err->expression, "%s", expr ? expr : "");
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
}

int asyncz_trigger_error_format(const asyncz_trigger_error *err, char *buf, size_t size)
{
    if (!err)
        return snprintf(buf, size, "unknown error");
    int len = 0;
    if (size && buf)
        buf[0] = '\0';
    if (err->field[0])
        az_describe_append(buf, size, &len, "%s ", err->field);
    az_describe_append(buf, size, &len, "\"%s\": ", err->expression);
    if (err->column > 0)
        az_describe_append(buf, size, &len, "column %d: ", err->column);
    az_describe_append(buf, size, &len, "%s", err->reason);
    return len;
}
