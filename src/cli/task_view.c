/* How the management commands show a task: its state, what it runs, its trigger, its times, as table
 * cells, as named fields (inspect, update's diff) and as a JSON object with stable keys. */
#include <stdlib.h>
#include <string.h>

#include "manage.h"
#include "shell_task.h"

const char *az_cli_task_state(const asyncz_task *t)
{
    /* The library's rule, the one `list --state` filters by: a paused task with a queued run is paused. */
    unsigned state = asyncz_task_state(t);
    return state == ASYNCZ_TASK_STATE_SHUTDOWN ? "shutdown"
           : state == ASYNCZ_TASK_STATE_PAUSED ? "paused"
                                               : "scheduled";
}

static bool is_shell(const asyncz_task *t)
{
    return strcmp(asyncz_task_func(t), AZ_CLI_SHELL_FUNC) == 0;
}

/* The string at key of a shell task's kwargs, or at index 0 of its args. */
static const char *shell_string(const char *json_text, const char *key, char *buf, size_t size)
{
    json_t *doc = json_loads(json_text, 0, NULL);
    json_t *v = key ? json_object_get(doc, key) : json_array_get(doc, 0);
    const char *result = NULL;
    if (json_is_string(v)) {
        snprintf(buf, size, "%s", json_string_value(v));
        result = buf;
    }
    json_decref(doc);
    return result;
}

const char *az_cli_task_command(const asyncz_task *t, char *buf, size_t size)
{
    return is_shell(t) ? shell_string(asyncz_task_args_json(t), NULL, buf, size) : NULL;
}

const char *az_cli_task_timeout(const asyncz_task *t, char *buf, size_t size)
{
    return is_shell(t) ? shell_string(asyncz_task_kwargs_json(t), AZ_CLI_SHELL_TIMEOUT_KEY, buf, size) : NULL;
}

void az_cli_task_what(const asyncz_task *t, char *buf, size_t size)
{
    if (az_cli_task_command(t, buf, size))
        return;
    const char *args = asyncz_task_args_json(t), *kwargs = asyncz_task_kwargs_json(t);
    snprintf(buf, size, "%s%s%s%s%s", asyncz_task_func(t), strcmp(args, "[]") ? " " : "",
             strcmp(args, "[]") ? args : "", strcmp(kwargs, "{}") ? " " : "",
             strcmp(kwargs, "{}") ? kwargs : "");
}

void az_cli_task_trigger_text(const asyncz_task *t, char *buf, size_t size)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    if (trig)
        asyncz_trigger_describe(trig, buf, size);
    else
        snprintf(buf, size, "date[now]");
}

const char *az_cli_task_trigger_kind(const asyncz_task *t)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    if (!trig)
        return "date";
    const char *kind = asyncz_trigger_kind(trig);
    return strcmp(kind, "calendarinterval") == 0 ? "calendar" : kind;
}

void az_cli_time_text(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *zone)
{
    if (t == ASYNCZ_TIME_NONE || asyncz_time_format(buf, size, t, zone) < 0)
        snprintf(buf, size, "-");
}

void az_cli_grace_text(char *buf, size_t size, int64_t grace)
{
    if (grace == ASYNCZ_GRACE_UNLIMITED || asyncz_duration_format(buf, size, grace) < 0)
        snprintf(buf, size, "unlimited");
}

int az_cli_show_zone(const az_cli_common *common, asyncz_zone **out)
{
    return az_cli_parse_zone("--timezone", common->timezone ? common->timezone : "local", out);
}

static const char *trigger_zone_name(const asyncz_task *t)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    return trig && asyncz_trigger_zone(trig) ? asyncz_zone_name(asyncz_trigger_zone(trig)) : "local";
}

int az_cli_task_next_runs(const asyncz_task *t, size_t count, asyncz_time_t now, asyncz_time_t *out,
                          size_t *n)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    asyncz_time_t next = asyncz_task_next_run_time(t);
    *n = 0;
    if (!trig || count == 0)
        return 0;
    int rc = next == ASYNCZ_TIME_NONE ? asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, now, &next) : 0;
    while (rc == 0 && next != ASYNCZ_TIME_NONE && *n < count) {
        out[(*n)++] = next;
        if (*n < count)
            rc = asyncz_trigger_next(trig, next, next, &next);
    }
    return rc;
}

/* ---- fields ------------------------------------------------------------------------------------------ */

static void set_field(az_cli_field *f, const char *name, const char *value)
{
    f->name = name;
    snprintf(f->value, sizeof f->value, "%s", value ? value : "-");
}

void az_cli_task_fields(const asyncz_task *t, const asyncz_zone *zone, az_cli_field *f)
{
    char text[AZ_CLI_TEXT_SIZE];
    set_field(&f[0], "id", asyncz_task_id(t));
    set_field(&f[1], "name", asyncz_task_name(t));
    set_field(&f[2], "state", az_cli_task_state(t));
    set_field(&f[3], "function", asyncz_task_func(t));
    set_field(&f[4], "command", az_cli_task_command(t, text, sizeof text));
    set_field(&f[5], "timeout", az_cli_task_timeout(t, text, sizeof text));
    set_field(&f[6], "args", asyncz_task_args_json(t));
    set_field(&f[7], "kwargs", asyncz_task_kwargs_json(t));
    az_cli_task_trigger_text(t, text, sizeof text);
    set_field(&f[8], "trigger", text);
    set_field(&f[9], "timezone", trigger_zone_name(t));
    az_cli_time_text(text, sizeof text, asyncz_task_next_run_time(t), zone);
    set_field(&f[10], "next_run_time", text);
    set_field(&f[11], "executor", asyncz_task_executor(t));
    az_cli_grace_text(text, sizeof text, asyncz_task_misfire_grace_time(t));
    set_field(&f[12], "misfire_grace_time", text);
    set_field(&f[13], "coalesce", asyncz_task_coalesce(t) ? "true" : "false");
    snprintf(text, sizeof text, "%u", asyncz_task_max_instances(t));
    set_field(&f[14], "max_instances", text);
    az_cli_time_text(text, sizeof text, asyncz_task_run_requested(t), zone);
    set_field(&f[15], "run_requested", text);
}

/* ---- JSON ------------------------------------------------------------------------------------------- */

int az_cli_json_set_time(json_t *obj, const char *key, asyncz_time_t t, const asyncz_zone *zone)
{
    char text[ASYNCZ_TIME_FORMAT_SIZE], key_us[64];
    snprintf(key_us, sizeof key_us, "%s_us", key);
    bool none = t == ASYNCZ_TIME_NONE || asyncz_time_format(text, sizeof text, t, zone) < 0;
    int rc = json_object_set_new(obj, key, none ? json_null() : json_string(text));
    rc |= json_object_set_new(obj, key_us, none ? json_null() : json_integer(t));
    return rc ? -1 : 0;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A JSON text the task holds (args, kwargs, a trigger document), parsed; null if it does not parse. */
static json_t *parsed(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *trigger_document(const asyncz_task *t)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    char *text = NULL;
    if (!trig || asyncz_trigger_to_json(trig, &text, NULL) != 0)
        return json_null();
    json_t *v = parsed(text);
    free(text);
    return v;
}

static int add_details(json_t *o, const asyncz_task *t)
{
    char text[AZ_CLI_TEXT_SIZE];
    int64_t grace = asyncz_task_misfire_grace_time(t);
    int rc = json_object_set_new(o, "timeout", string_or_null(az_cli_task_timeout(t, text, sizeof text)));
    rc |= json_object_set_new(o, "args", parsed(asyncz_task_args_json(t)));
    rc |= json_object_set_new(o, "kwargs", parsed(asyncz_task_kwargs_json(t)));
    rc |= json_object_set_new(o, "trigger_document", trigger_document(t));
    az_cli_grace_text(text, sizeof text, grace);
    rc |= json_object_set_new(o, "misfire_grace_time", json_string(text));
    rc |= json_object_set_new(o, "misfire_grace_time_us",
                              grace == ASYNCZ_GRACE_UNLIMITED ? json_null() : json_integer(grace));
    rc |= json_object_set_new(o, "coalesce", json_boolean(asyncz_task_coalesce(t)));
    rc |= json_object_set_new(o, "max_instances", json_integer(asyncz_task_max_instances(t)));
    return rc;
}

json_t *az_cli_task_json(const asyncz_task *t, const asyncz_zone *zone, bool full)
{
    char text[AZ_CLI_TEXT_SIZE], command[AZ_CLI_TEXT_SIZE];
    az_cli_task_trigger_text(t, text, sizeof text);
    json_t *o = json_object();
    int rc = o ? 0 : -1;
    rc |= json_object_set_new(o, "id", json_string(asyncz_task_id(t)));
    rc |= json_object_set_new(o, "name", json_string(asyncz_task_name(t)));
    rc |= json_object_set_new(o, "state", json_string(az_cli_task_state(t)));
    rc |= json_object_set_new(o, "trigger", json_string(text));
    rc |= json_object_set_new(o, "trigger_kind", json_string(az_cli_task_trigger_kind(t)));
    rc |= json_object_set_new(o, "timezone", json_string(trigger_zone_name(t)));
    rc |= az_cli_json_set_time(o, "next_run_time", asyncz_task_next_run_time(t), zone);
    rc |= az_cli_json_set_time(o, "run_requested", asyncz_task_run_requested(t), zone);
    rc |= json_object_set_new(o, "executor", json_string(asyncz_task_executor(t)));
    rc |= json_object_set_new(o, "function", json_string(asyncz_task_func(t)));
    rc |= json_object_set_new(o, "command", string_or_null(az_cli_task_command(t, command, sizeof command)));
    if (full)
        rc |= add_details(o, t);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}
