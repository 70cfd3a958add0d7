/* Helpers shared by the unit tests. */
#include <stdio.h>
#include <stdlib.h>

#include "az_test.h"

json_t *az_test_load_vectors(const char *name)
{
    const char *dir = getenv("ASYNCZ_VECTORS_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : ASYNCZ_VECTORS_DIR_DEFAULT, name);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    return root;
}

asyncz_time_t az_test_time(const char *text, const asyncz_zone *zone)
{
    asyncz_time_t t = 0;
    int col = 0;
    int rc = asyncz_time_parse(&t, text, zone, &col);
    if (rc < 0)
        fail_msg("cannot parse time \"%s\": %s (column %d)", text, asyncz_strerror(rc), col);
    return t;
}

asyncz_zone *az_test_zone(const char *name)
{
    asyncz_zone *z = NULL;
    int rc = asyncz_zone_get(&z, name);
    if (rc < 0)
        fail_msg("cannot load zone \"%s\": %s", name, asyncz_strerror(rc));
    return z;
}

const char *az_test_fmt(asyncz_time_t t, const asyncz_zone *zone)
{
    static char buf[4][ASYNCZ_TIME_FORMAT_SIZE];
    static int next;
    char *b = buf[next++ % 4];
    if (t == ASYNCZ_TIME_NONE)
        return "(none)";
    if (asyncz_time_format(b, ASYNCZ_TIME_FORMAT_SIZE, t, zone) < 0)
        snprintf(b, ASYNCZ_TIME_FORMAT_SIZE, "%lld us", (long long)t);
    return b;
}

/* A cron field from vector arguments: strings as given, numbers written out into buf. */
static const char *cron_field(const json_t *args, const char *key, char *buf, size_t size)
{
    const json_t *v = json_object_get(args, key);
    if (!v)
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    assert_true(json_is_integer(v));
    snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    return buf;
}

asyncz_time_t az_test_json_time(const json_t *v, const asyncz_zone *zone)
{
    return json_is_string(v) ? az_test_time(json_string_value(v), zone) : ASYNCZ_TIME_NONE;
}

asyncz_trigger *az_test_cron_from_json(const json_t *args, asyncz_zone *zone)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone;
    opts.start_date = az_test_json_time(json_object_get(args, "start_at"), zone);
    opts.end_date = az_test_json_time(json_object_get(args, "end_at"), zone);
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    int rc;
    const json_t *crontab = json_object_get(args, "crontab");
    if (crontab) {
        rc = asyncz_trigger_crontab_new(&t, json_string_value(crontab), &opts, &err);
    } else {
        char b[8][24];
        asyncz_cron_fields f = {
            .year = cron_field(args, "year", b[0], sizeof b[0]),
            .month = cron_field(args, "month", b[1], sizeof b[1]),
            .day = cron_field(args, "day", b[2], sizeof b[2]),
            .week = cron_field(args, "week", b[3], sizeof b[3]),
            .day_of_week = cron_field(args, "day_of_week", b[4], sizeof b[4]),
            .hour = cron_field(args, "hour", b[5], sizeof b[5]),
            .minute = cron_field(args, "minute", b[6], sizeof b[6]),
            .second = cron_field(args, "second", b[7], sizeof b[7]),
        };
        rc = asyncz_trigger_cron_new(&t, &f, &opts, &err);
    }
    if (rc < 0)
        fail_msg("cron trigger rejected: %s \"%s\": %s", err.field, err.expression, err.reason);
    return t;
}
