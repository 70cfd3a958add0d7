/* Trigger objects: how each built-in kind is written in a task document and read back (docs/triggers.md;
 * the format is described in docs/tasks.md).
 *
 * The rule is the round trip: a trigger read back from what was written fires at exactly the same times.
 * So each kind writes its original parameters (the crontab string or the field expressions, not a
 * description), and what would otherwise be taken from the clock when the trigger is made (an interval's
 * grid origin, a calendar interval's date origin, a random jitter seed) is written too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/sys/trigger.h"
#include "codec/codec_internal.h"
#include "time/zone.h"
#include "trigger/trigger_codec.h"

static const char *const cron_fields[] = {"year", "month",  "day",    "week", "day_of_week",
                                          "hour", "minute", "second", NULL};

static const char *const common_keys[] = {"timezone", "start_date",  "end_date",
                                          "jitter",   "jitter_seed", NULL};

/* ---- writing ------------------------------------------------------------------------------------ */

static int encode_cron(json_t *obj, const char *crontab, const asyncz_cron_fields *f)
{
    int rc = az_doc_put_string(obj, "type", "cron");
    if (rc == 0 && crontab)
        return az_doc_put_string(obj, "crontab", crontab);
    json_t *fields = json_object();
    if (rc == 0)
        rc = az_doc_put(obj, "fields", json_incref(fields));
    const char *exprs[] = {f->year, f->month, f->day, f->week, f->day_of_week, f->hour, f->minute, f->second};
    for (int i = 0; rc == 0 && cron_fields[i]; i++)
        if (exprs[i])
            rc = az_doc_put_string(fields, cron_fields[i], exprs[i]);
    json_decref(fields);
    return rc;
}

static int encode_interval(json_t *obj, int64_t usec)
{
    char text[48];
    int rc = az_doc_put_string(obj, "type", "interval");
    if (rc == 0 && asyncz_duration_format(text, sizeof text, usec) < 0)
        rc = ASYNCZ_EINVAL;
    return rc ? rc : az_doc_put_string(obj, "interval", text);
}

static int encode_calendar(json_t *obj, const asyncz_calendar_interval *ci, const asyncz_civil *origin)
{
    static const char *const keys[] = {"years", "months", "weeks", "days", "hour", "minute", "second"};
    const json_int_t values[] = {ci->years, ci->months, ci->weeks, ci->days,
                                 ci->hour,  ci->minute, ci->second};
    int rc = az_doc_put_string(obj, "type", "calendarinterval");
    for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
        rc = az_doc_put(obj, keys[i], json_integer(values[i]));
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", (int)origin->year, origin->month, origin->day);
    return rc ? rc : az_doc_put_string(obj, "origin", date);
}

static int encode_trigger(const asyncz_trigger *t, int depth, json_t **out);

static int encode_combine(json_t *obj, const char *kind, asyncz_trigger *const *children, size_t n, int depth)
{
    /* The reader's bound, so that whatever is written can be read. */
    if (depth + 1 >= AZ_TRIGGER_DEPTH_MAX)
        return ASYNCZ_ETOOBIG;
    json_t *list = json_array();
    int rc = az_doc_put_string(obj, "type", kind);
    if (rc == 0)
        rc = az_doc_put(obj, "triggers", json_incref(list));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *child;
        rc = encode_trigger(children[i], depth + 1, &child);
        if (rc == 0 && json_array_append_new(list, child) < 0)
            rc = ASYNCZ_ENOMEM;
    }
    json_decref(list);
    return rc;
}

/* The kind's own members, starting with "type". */
static int encode_kind(const asyncz_trigger *t, int depth, json_t *obj)
{
    const char *crontab;
    asyncz_cron_fields fields;
    int64_t usec;
    asyncz_calendar_interval ci;
    asyncz_civil origin;
    asyncz_trigger *const *children;
    size_t n;
    if (az_trigger_cron_source(t, &crontab, &fields))
        return encode_cron(obj, crontab, &fields);
    if (az_trigger_interval_params(t, &usec))
        return encode_interval(obj, usec);
    if (az_trigger_calendar_params(t, &ci, &origin))
        return encode_calendar(obj, &ci, &origin);
    if (az_trigger_date_run_date(t, &usec)) {
        int rc = az_doc_put_string(obj, "type", "date");
        return rc ? rc : az_doc_put_time(obj, "run_date", usec);
    }
    if (az_trigger_combine_children(t, &children, &n))
        return encode_combine(obj, asyncz_trigger_kind(t), children, n, depth);
    if (az_trigger_is_shutdown(t))
        return az_doc_put_string(obj, "type", "shutdown");
    return ASYNCZ_EUNSUPPORTED;
}

/* The zone's name as reading it back names it, so that a second writing gives the same bytes: the local
 * zone can carry the name of its file ("Etc/UTC"), which the lookup knows as an alias ("UTC"). A local zone
 * made from a POSIX TZ string has no name but "local", which then means the reading host's zone. */
static int encode_zone(const asyncz_zone *zone, json_t *obj)
{
    const char *name = asyncz_zone_name(zone);
    asyncz_zone *canonical = NULL;
    if (asyncz_zone_get(&canonical, name) == 0)
        name = asyncz_zone_name(canonical);
    int rc = az_doc_put_string(obj, "timezone", name);
    asyncz_zone_unref(canonical);
    return rc;
}

/* The options every kind but shutdown carries. The jitter seed is written with the jitter: without jitter
 * it changes nothing. A seed above INT64_MAX (only a caller can choose one) is written as the negative
 * number with the same 64 bits. */
static int encode_common(const asyncz_trigger *t, json_t *obj)
{
    const asyncz_trigger_base *b = ASYNCZ_TRIGGER_CBASE(t);
    int rc = encode_zone(b->zone, obj);
    if (rc == 0 && b->start_date != ASYNCZ_TIME_NONE)
        rc = az_doc_put_time(obj, "start_date", b->start_date);
    if (rc == 0 && b->end_date != ASYNCZ_TIME_NONE)
        rc = az_doc_put_time(obj, "end_date", b->end_date);
    if (rc == 0 && b->jitter > 0)
        rc = az_doc_put_seconds(obj, "jitter", b->jitter);
    if (rc == 0 && b->jitter > 0)
        rc = az_doc_put(obj, "jitter_seed", json_integer((json_int_t)b->jitter_seed));
    return rc;
}

static int encode_trigger(const asyncz_trigger *t, int depth, json_t **out)
{
    *out = NULL;
    json_t *obj = json_object();
    if (!obj)
        return ASYNCZ_ENOMEM;
    int rc = encode_kind(t, depth, obj);
    if (rc == 0 && !az_trigger_is_shutdown(t))
        rc = encode_common(t, obj);
    if (rc < 0) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

int az_trigger_encode(const asyncz_trigger *t, json_t **out)
{
    return encode_trigger(t, 0, out);
}

/* ---- reading ------------------------------------------------------------------------------------ */

typedef struct reader {
    const json_t *obj;
    const char *path; /* the trigger object's own path */
    int depth;
    asyncz_doc_error *err;
    asyncz_trigger_options opts; /* the zone is owned */
} reader;

/* The path of one of the trigger's members. */
typedef struct member_path {
    char text[sizeof((asyncz_doc_error *)0)->path];
} member_path;

static member_path path_of(const reader *r, const char *key)
{
    member_path p;
    az_doc_path(p.text, sizeof p.text, r->path, key);
    return p;
}

/* A constructor's refusal, with its own detail, reported at the member it concerns. Range errors are
 * reported as invalid values (the document's error set). */
static int refused(const reader *r, int rc, const char *key, const asyncz_trigger_error *terr)
{
    char reason[sizeof r->err->reason];
    if (terr->reason[0])
        asyncz_trigger_error_format(terr, reason, sizeof reason);
    else
        snprintf(reason, sizeof reason, "%s", asyncz_strerror(rc));
    return az_doc_fail(r->err, rc == ASYNCZ_ERANGE ? ASYNCZ_EINVAL : rc, key ? path_of(r, key).text : r->path,
                       "%s", reason);
}

static int decode_crontab(reader *r, const char *crontab, asyncz_trigger **out)
{
    asyncz_trigger_error terr = {0};
    int rc = asyncz_trigger_crontab_new(out, crontab, &r->opts, &terr);
    return rc < 0 ? refused(r, rc, "crontab", &terr) : 0;
}

static int decode_fields(reader *r, const json_t *obj, asyncz_trigger **out)
{
    member_path fp = path_of(r, "fields");
    const char *e[8] = {0};
    int rc = az_doc_check_keys(obj, cron_fields, fp.text, r->err);
    for (int i = 0; rc == 0 && cron_fields[i]; i++)
        rc = az_doc_string(obj, cron_fields[i], fp.text, false, &e[i], r->err);
    if (rc < 0)
        return rc;
    asyncz_cron_fields fields = {e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]};
    asyncz_trigger_error terr = {0};
    rc = asyncz_trigger_cron_new(out, &fields, &r->opts, &terr);
    if (rc == 0)
        return 0;
    char key[40];
    snprintf(key, sizeof key, "fields%s%s", terr.field[0] ? "." : "", terr.field);
    return refused(r, rc, key, &terr);
}

static int decode_cron(reader *r, asyncz_trigger **out)
{
    const json_t *crontab = json_object_get(r->obj, "crontab");
    const json_t *fields = json_object_get(r->obj, "fields");
    if (crontab && fields)
        return az_doc_fail(r->err, ASYNCZ_EPARSE, path_of(r, "fields").text,
                           "a cron trigger has either crontab or fields, not both");
    if (!crontab && !fields)
        return az_doc_fail(r->err, ASYNCZ_EPARSE, path_of(r, "crontab").text,
                           "required key is missing (a cron trigger has crontab or fields)");
    const char *text = NULL;
    if (crontab) {
        int rc = az_doc_string(r->obj, "crontab", r->path, true, &text, r->err);
        return rc < 0 ? rc : decode_crontab(r, text, out);
    }
    int rc = az_doc_member(r->obj, "fields", r->path, true, JSON_OBJECT, &fields, r->err);
    return rc < 0 ? rc : decode_fields(r, fields, out);
}

static int decode_interval(reader *r, asyncz_trigger **out)
{
    member_path p = path_of(r, "interval");
    const char *text = NULL;
    int rc = az_doc_string(r->obj, "interval", r->path, true, &text, r->err);
    if (rc < 0)
        return rc;
    int64_t usec;
    int column;
    rc = asyncz_duration_parse(&usec, text, &column);
    if (rc == ASYNCZ_EPARSE)
        return az_doc_fail(r->err, rc, p.text, "\"%.64s\": column %d: not a duration such as \"1h30m\"", text,
                           column);
    if (rc < 0)
        return az_doc_fail(r->err, ASYNCZ_EINVAL, p.text, "\"%.64s\" is too long", text);
    if (usec <= 0)
        return az_doc_fail(r->err, ASYNCZ_EINVAL, p.text, "\"%.64s\": must be positive", text);
    asyncz_trigger_error terr = {0};
    if (r->opts.start_date != ASYNCZ_TIME_NONE)
        rc = az_trigger_interval_restore(out, usec, &r->opts, &terr);
    else
        rc = asyncz_trigger_interval_new(out, usec, &r->opts, &terr);
    return rc < 0 ? refused(r, rc, "interval", &terr) : 0;
}

/* A date written "YYYY-MM-DD", exactly. */
static bool parse_date(const char *text, asyncz_civil *out)
{
    int y, m, d, n = 0;
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return false;
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return false;
    *out = (asyncz_civil){.year = y, .month = (int8_t)m, .day = (int8_t)d};
    return asyncz_civil_valid(out);
}

static int decode_origin(reader *r, asyncz_civil *origin, bool *given)
{
    const char *text = NULL;
    int rc = az_doc_string(r->obj, "origin", r->path, false, &text, r->err);
    *given = text != NULL;
    if (rc < 0 || !text)
        return rc;
    if (!parse_date(text, origin))
        return az_doc_fail(r->err, ASYNCZ_EINVAL, path_of(r, "origin").text,
                           "\"%.64s\" is not a date such as \"2026-03-29\"", text);
    return 0;
}

static const char *const calendar_keys[] = {"years",  "months", "weeks",  "days", "hour",
                                            "minute", "second", "origin", NULL};

static int decode_calendar(reader *r, asyncz_trigger **out)
{
    static const json_int_t max[] = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, 23, 59, 59};
    json_int_t v[7] = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < 7; i++)
        rc = az_doc_int(r->obj, calendar_keys[i], r->path, false, 0, max[i], &v[i], r->err);
    asyncz_civil origin;
    bool given = false;
    if (rc == 0)
        rc = decode_origin(r, &origin, &given);
    if (rc < 0)
        return rc;
    asyncz_calendar_interval ci = {(int32_t)v[0], (int32_t)v[1], (int32_t)v[2], (int32_t)v[3],
                                   (int8_t)v[4],  (int8_t)v[5],  (int8_t)v[6]};
    asyncz_trigger_error terr = {0};
    if (given)
        rc = az_trigger_calendar_restore(out, &ci, &origin, &r->opts, &terr);
    else
        rc = asyncz_trigger_calendar_new(out, &ci, &r->opts, &terr);
    /* "at least one of years, months, weeks, days" concerns the object, not one member. */
    bool member = strcmp(terr.field, "interval") != 0 && terr.field[0];
    return rc < 0 ? refused(r, rc, member ? terr.field : NULL, &terr) : 0;
}

static int decode_date(reader *r, asyncz_trigger **out)
{
    asyncz_time_t run_date;
    int rc = az_doc_time(r->obj, "run_date", r->path, true, false, &run_date, r->err);
    if (rc == 0)
        rc = asyncz_trigger_date_new(out, run_date, &r->opts);
    return rc;
}

static int decode_children(reader *r, const json_t *list, asyncz_trigger **children)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        char p[sizeof r->err->path + 24]; /* cut to size when it is reported */
        snprintf(p, sizeof p, "%s[%zu]", path_of(r, "triggers").text, i);
        int rc = az_trigger_decode(json_array_get(list, i), p, r->depth + 1, &children[i], r->err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int decode_combine(reader *r, asyncz_trigger **out)
{
    const json_t *list;
    int rc = az_doc_member(r->obj, "triggers", r->path, true, JSON_ARRAY, &list, r->err);
    if (rc < 0)
        return rc;
    size_t n = json_array_size(list);
    if (n == 0)
        return az_doc_fail(r->err, ASYNCZ_EINVAL, path_of(r, "triggers").text, "must not be empty");
    if (r->depth + 1 >= AZ_TRIGGER_DEPTH_MAX)
        return az_doc_fail(r->err, ASYNCZ_ETOOBIG, path_of(r, "triggers").text,
                           "and/or triggers nest more than %d deep", AZ_TRIGGER_DEPTH_MAX);
    asyncz_trigger **children = calloc(n, sizeof *children);
    if (!children)
        return az_doc_fail(r->err, ASYNCZ_ENOMEM, r->path, "out of memory");
    rc = decode_children(r, list, children);
    bool is_and = strcmp(json_string_value(json_object_get(r->obj, "type")), "and") == 0;
    if (rc == 0)
        rc = (is_and ? asyncz_trigger_and_new : asyncz_trigger_or_new)(out, children, n, &r->opts);
    for (size_t i = 0; i < n; i++)
        asyncz_trigger_unref(children[i]);
    free(children);
    return rc;
}

static int decode_shutdown(reader *r, asyncz_trigger **out)
{
    return asyncz_trigger_shutdown_new(out);
}

typedef struct kind {
    const char *name;
    const char *const *keys; /* the kind's own keys besides "type" */
    bool common;             /* whether it takes the common options */
    int (*decode)(reader *r, asyncz_trigger **out);
} kind;

static const char *const cron_keys[] = {"crontab", "fields", NULL};
static const char *const interval_keys[] = {"interval", NULL};
static const char *const date_keys[] = {"run_date", NULL};
static const char *const combine_keys[] = {"triggers", NULL};
static const char *const no_keys[] = {NULL};

static const kind kinds[] = {
    {"cron", cron_keys, true, decode_cron},
    {"interval", interval_keys, true, decode_interval},
    {"calendarinterval", calendar_keys, true, decode_calendar},
    {"date", date_keys, true, decode_date},
    {"and", combine_keys, true, decode_combine},
    {"or", combine_keys, true, decode_combine},
    {"shutdown", no_keys, false, decode_shutdown},
};

/* Every key the kind allows, in one NULL-terminated list. */
static void allowed_keys(const kind *k, const char **keys)
{
    size_t n = 0;
    keys[n++] = "type";
    for (size_t i = 0; k->keys[i]; i++)
        keys[n++] = k->keys[i];
    for (size_t i = 0; k->common && common_keys[i]; i++)
        keys[n++] = common_keys[i];
    keys[n] = NULL;
}

static int decode_zone(reader *r)
{
    const char *name = "local";
    int rc = az_doc_string(r->obj, "timezone", r->path, false, &name, r->err);
    if (rc < 0)
        return rc;
    rc = asyncz_zone_get(&r->opts.timezone, name);
    member_path p = path_of(r, "timezone");
    if (rc == ASYNCZ_ENOMEM)
        return az_doc_fail(r->err, rc, p.text, "out of memory");
    /* A name that is no zone name at all is the document's fault (ASYNCZ_EINVAL). A well-formed one that
     * does not load is this host's: zone data missing, truncated or elsewhere (TZDIR), a zone that a tzdata
     * upgrade moved. ASYNCZ_EZONE and ASYNCZ_ETZDATA say so, and stores skip such records and retry
     * instead of quarantining them (see store/record.h). The words "does not load here" mark it for
     * `asyncz doctor`. */
    if (rc == ASYNCZ_EINVAL)
        return az_doc_fail(r->err, rc, p.text, "\"%.64s\" is not a valid time zone name", name);
    if (rc == ASYNCZ_ETZDATA)
        return az_doc_fail(
            r->err, rc, p.text,
            "time zone \"%.64s\" does not load here: its file in %.80s is malformed or truncated", name,
            az_zone_data_dir());
    if (rc < 0 && strcmp(name, "local") == 0)
        return az_doc_fail(r->err, ASYNCZ_EZONE, p.text,
                           "time zone \"local\" does not load here: TZ names no zone and is no TZ string");
    if (rc < 0)
        return az_doc_fail(r->err, ASYNCZ_EZONE, p.text,
                           "time zone \"%.64s\" does not load here: %s in the zone data at %.80s", name,
                           rc == ASYNCZ_EIO ? "its file cannot be read" : "not found", az_zone_data_dir());
    return 0;
}

static int decode_seed(reader *r)
{
    json_int_t seed = 0;
    int rc = az_doc_int(r->obj, "jitter_seed", r->path, false, INT64_MIN, INT64_MAX, &seed, r->err);
    if (rc == 0 && json_object_get(r->obj, "jitter_seed") && seed == 0)
        return az_doc_fail(r->err, ASYNCZ_EINVAL, path_of(r, "jitter_seed").text, "must not be 0");
    r->opts.jitter_seed = (uint64_t)seed;
    return rc;
}

static int decode_common(reader *r, const kind *k)
{
    int rc = decode_zone(r);
    if (rc == 0)
        rc = az_doc_time(r->obj, "start_date", r->path, false, false, &r->opts.start_date, r->err);
    if (rc == 0)
        rc = az_doc_time(r->obj, "end_date", r->path, false, false, &r->opts.end_date, r->err);
    if (rc == 0)
        rc = az_doc_seconds(r->obj, "jitter", r->path, false, 0, ASYNCZ_TIME_NONE, &r->opts.jitter, r->err);
    if (rc == 0)
        rc = decode_seed(r);
    /* An interval trigger keeps its written origin even past end_date (see az_trigger_interval_restore). */
    asyncz_time_t start = r->opts.start_date, end = r->opts.end_date;
    if (rc == 0 && k->decode != decode_interval && start != ASYNCZ_TIME_NONE && end != ASYNCZ_TIME_NONE &&
        end < start)
        rc = az_doc_fail(r->err, ASYNCZ_EINVAL, path_of(r, "end_date").text, "is before start_date");
    return rc;
}

static int find_kind(const reader *r, const kind **out)
{
    const char *type = NULL;
    int rc = az_doc_string(r->obj, "type", r->path, true, &type, r->err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, type) == 0) {
            *out = &kinds[i];
            return 0;
        }
    return az_doc_fail(
        r->err, ASYNCZ_EUNSUPPORTED, path_of(r, "type").text,
        "unknown trigger type \"%.64s\" (known: cron, interval, calendarinterval, date, and, or, "
        "shutdown)",
        type);
}

int az_trigger_decode(const json_t *v, const char *path, int depth, asyncz_trigger **out,
                      asyncz_doc_error *err)
{
    *out = NULL;
    if (!json_is_object(v))
        return az_doc_fail(err, ASYNCZ_EPARSE, path, "must be an object");
    reader r = {v, path, depth, err, {0}};
    asyncz_trigger_options_init(&r.opts);
    const kind *k = NULL;
    int rc = find_kind(&r, &k);
    if (rc < 0)
        return rc;
    const char *keys[32];
    allowed_keys(k, keys);
    rc = az_doc_check_keys(v, keys, path, err);
    if (rc == 0 && k->common)
        rc = decode_common(&r, k);
    if (rc == 0)
        rc = k->decode(&r, out);
    asyncz_zone_unref(r.opts.timezone);
    return rc;
}

/* ---- the public functions ---------------------------------------------------------------------- */

int asyncz_trigger_to_json(const asyncz_trigger *trigger, char **out, size_t *len)
{
    if (!trigger || !out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    json_t *obj;
    int rc = az_trigger_encode(trigger, &obj);
    if (rc < 0)
        return rc;
    rc = az_doc_dump(obj, out, len);
    json_decref(obj);
    return rc;
}

int asyncz_trigger_from_json(asyncz_trigger **out, const char *text, size_t len, asyncz_doc_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!out)
        return az_doc_fail(err, ASYNCZ_EINVAL, "", "no output");
    *out = NULL;
    json_t *doc;
    int rc = az_doc_load(text, len, "a trigger document", &doc, err);
    if (rc < 0)
        return rc;
    rc = az_trigger_decode(doc, "", 0, out, err);
    json_decref(doc);
    return rc;
}
