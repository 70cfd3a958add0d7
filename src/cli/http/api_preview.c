/* POST /api/v1/preview: the next fire times of a trigger given as the trigger keys of a [task] section
 * (cron, interval, the field keys, calendar_interval, at, combine, timezone, start_date...), from `start`
 * (default now), `count` of them (default 10, at most 100), each flagged when its wall time is in a DST
 * overlap (it happens twice that night) or just after a DST gap (a time that did not exist moved there).
 * The trigger is built by the config reader (az_cfg_trigger_build), so a preview and a task agree. */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"
#include "api_section.h"

#define COUNT_DEFAULT 10
#define COUNT_MAX 100

typedef struct preview {
    az_api_section s;
    asyncz_zone *zone; /* of `timezone`, else the daemon's */
    asyncz_time_t from;
    size_t count;
} preview;

/* The body's `count`. Returns 0 or -1 (answered). */
static int read_count(const json_t *v, size_t *out, az_http_response *resp)
{
    *out = COUNT_DEFAULT;
    if (!v || json_is_null(v))
        return 0;
    json_int_t n = json_is_integer(v)  ? json_integer_value(v)
                   : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                                       : 0;
    if (n < 1 || n > COUNT_MAX)
        return az_api_reply_field(resp, "count", "give a whole number from 1 to %d", COUNT_MAX);
    *out = (size_t)n;
    return 0;
}

/* The body's `start` in p->zone (naive times), default now. Returns 0 or -1 (answered). */
static int read_start(const json_t *v, preview *p, az_http_response *resp)
{
    p->from = asyncz_now();
    if (!v || json_is_null(v))
        return 0;
    int column = 0;
    if (!json_is_string(v) || asyncz_time_parse(&p->from, json_string_value(v), p->zone, &column) != 0)
        return az_api_reply_field(
            resp, "start",
            "not an ISO-8601 time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]; naive times in the "
            "preview's timezone)");
    return 0;
}

/* The zone times are read and shown in: `timezone`, else the daemon's. A zone that does not load is left to
 * the trigger builder, whose message names it. */
static void read_zone(const az_http_app *app, const json_t *v, preview *p)
{
    if (!json_is_string(v) || asyncz_zone_get(&p->zone, json_string_value(v)) != 0)
        p->zone = asyncz_zone_ref((asyncz_zone *)app->zone);
}

/* The body as a section of trigger keys. Returns 0 or -1 (answered). */
static int read_body(const az_http_app *app, const json_t *body, preview *p, az_http_response *resp)
{
    read_zone(app, json_object_get(body, "timezone"), p);
    if (read_count(json_object_get(body, "count"), &p->count, resp) ||
        read_start(json_object_get(body, "start"), p, resp))
        return -1;
    if (az_api_section_init(&p->s, "preview") != 0)
        return az_http_reply_error(resp, 500, "internal", "out of memory"), -1;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "start") == 0 || strcmp(key, "count") == 0)
            continue;
        char norm[64];
        snprintf(norm, sizeof norm, "%s", key);
        for (char *c = norm; *c; c++)
            if (*c == '-')
                *c = '_';
        if (az_api_key_kind_of(norm) != AZ_API_KEY_TRIGGER)
            return az_api_reply_field(
                resp, key,
                "a preview takes the trigger keys of a task (cron, interval, "
                "calendar_interval, at, shutdown, the field keys, time_of_day, start_date, "
                "end_date, timezone, jitter, jitter_seed, combine), start and count");
        char why[160];
        int rc = az_api_section_set(&p->s, key, value, why, sizeof why);
        if (rc < 0)
            return az_http_reply_error(resp, 500, "internal", "out of memory"), -1;
        if (rc > 0)
            return az_api_reply_field(resp, key, "%s", why);
    }
    return 0;
}

/* "dst_overlap" when t's wall time happens twice in zone, "dst_gap" when t is the first instant after the
 * clocks jumped forward (a wall time in the gap fires there), else NULL. */
static const char *dst_note(const asyncz_zone *zone, asyncz_time_t t)
{
    asyncz_civil c;
    asyncz_local_result r;
    if (asyncz_zone_to_civil(zone, t, &c, NULL) == 0 && asyncz_zone_from_civil(zone, &c, &r) == 0 &&
        r.kind == ASYNCZ_LOCAL_OVERLAP)
        return "dst_overlap";
    if (t > ASYNCZ_TIME_MIN && asyncz_zone_offset(zone, t - 1) < asyncz_zone_offset(zone, t))
        return "dst_gap";
    return NULL;
}

static json_t *times_json(const asyncz_zone *zone, const asyncz_time_t *times, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        const char *note = dst_note(zone, times[i]);
        asyncz_time_t t = times[i];
        json_t *o = json_pack("{s:I, s:o}", "epoch",
                              (json_int_t)(t >= 0 ? t / ASYNCZ_USEC_PER_SEC
                                                  : -((-t + ASYNCZ_USEC_PER_SEC - 1) / ASYNCZ_USEC_PER_SEC)),
                              "note", note ? json_string(note) : json_null());
        if (!o || az_cli_json_set_time(o, "time", t, zone) || json_array_append_new(a, o)) {
            json_decref(o);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Whether the trigger has no fire time after the n listed of count asked for. */
static bool exhausted(const asyncz_trigger *t, const asyncz_time_t *times, size_t n, size_t count)
{
    if (n < count)
        return true;
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    return asyncz_trigger_next(t, times[n - 1], times[n - 1], &next) == 0 && next == ASYNCZ_TIME_NONE;
}

static void answer(const preview *p, const asyncz_trigger *trig, az_http_response *resp)
{
    asyncz_time_t times[COUNT_MAX];
    size_t n = 0;
    int rc = asyncz_trigger_preview(trig, p->from, p->count, times, &n);
    if (rc == ASYNCZ_ESEARCH) {
        az_http_reply_error(
            resp, 422, "invalid_task",
            "the combined triggers never agree on a fire time (none in common within %d search "
            "rounds): their times must meet, e.g. give an interval a start_date on a time the other "
            "triggers match",
            ASYNCZ_AND_MAX_ITERATIONS);
        return;
    }
    if (rc < 0) {
        az_api_fail(resp, rc, NULL, "cannot compute the fire times");
        return;
    }
    const asyncz_zone *zone = asyncz_trigger_zone(trig) ? asyncz_trigger_zone(trig) : p->zone;
    char description[1024];
    asyncz_trigger_describe(trig, description, sizeof description);
    json_t *list = times_json(zone, times, n);
    json_t *o = list ? json_pack("{s:o, s:s, s:o, s:b}", "description", az_cli_json_text(description),
                                 "timezone", asyncz_zone_name(zone), "times", list, "exhausted",
                                 exhausted(trig, times, n, p->count))
                     : NULL;
    if (!o || az_cli_json_set_time(o, "start", p->from, zone)) {
        json_decref(o);
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    az_http_reply_json(resp, 200, o);
}

void az_api_preview(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    json_t *body = az_api_body(req, resp);
    if (!body)
        return;
    preview p = {0};
    if (read_body(app, body, &p, resp) == 0) {
        az_cfg_errors errs = {0};
        asyncz_trigger *trig = NULL;
        if (az_cfg_trigger_build(&p.s.sec, p.zone, p.from, &trig, &errs) != 0)
            az_api_reply_cfg_errors(resp, &p.s, &errs);
        else
            answer(&p, trig, resp);
        asyncz_trigger_unref(trig);
        az_cfg_errors_free(&errs);
    }
    az_api_section_free(&p.s);
    asyncz_zone_unref(p.zone);
    json_decref(body);
}
