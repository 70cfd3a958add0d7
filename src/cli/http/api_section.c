/* A JSON body as a config file's [task ID] section, and the config reader's errors as a 422 answer
 * (api_section.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_section.h"

static const char *const trigger_keys[] = {
    "cron",       "interval", "calendar_interval", "at",     "shutdown",    "year",    "month",
    "day",        "week",     "day_of_week",       "hour",   "minute",      "second",  "time_of_day",
    "start_date", "end_date", "timezone",          "jitter", "jitter_seed", "combine", NULL};
static const char *const task_keys[] = {
    "command", "timeout",       "function",           "args",   "kwargs",
    "name",    "store",         "executor",           "paused", "coalesce",
    "history", "max_instances", "misfire_grace_time", NULL};
static const char *const config_keys[] = {"on_failure", "on_failure_interval", "on_failure_timeout", NULL};

static bool in(const char *const *list, const char *key)
{
    for (; *list; list++)
        if (strcmp(*list, key) == 0)
            return true;
    return false;
}

az_api_key_kind az_api_key_kind_of(const char *key)
{
    if (in(trigger_keys, key))
        return AZ_API_KEY_TRIGGER;
    if (in(task_keys, key))
        return AZ_API_KEY_TASK;
    return in(config_keys, key) ? AZ_API_KEY_CONFIG : AZ_API_KEY_UNKNOWN;
}

const char *az_api_task_keys(void)
{
    return "the trigger: cron, interval, calendar_interval, at, shutdown, year, month, day, week, "
           "day_of_week, "
           "hour, minute, second, time_of_day, start_date, end_date, timezone, jitter, jitter_seed, combine; "
           "what runs: function, args, kwargs, command, timeout; the options: name, store, executor, paused, "
           "misfire_grace_time, coalesce, max_instances, history (see docs/daemon.md, [task ID])";
}

/* key with '-' written as '_', into buf. */
static void normalize(const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s", key);
    for (char *p = buf; *p; p++)
        if (*p == '-')
            *p = '_';
}

int az_api_section_init(az_api_section *s, const char *id)
{
    *s = (az_api_section){0};
    s->sec.kind = strdup("task");
    s->sec.name = strdup(id);
    if (asprintf(&s->sec.label, "task %s", id) < 0)
        s->sec.label = NULL;
    s->sec.line = 0;
    if (!s->sec.kind || !s->sec.name || !s->sec.label) {
        az_api_section_free(s);
        return -1;
    }
    return 0;
}

void az_api_section_free(az_api_section *s)
{
    for (size_t i = 0; i < s->sec.n; i++) {
        free(s->sec.entries[i].key);
        free(s->sec.entries[i].value);
        free(s->fields[i]);
    }
    free(s->sec.entries);
    free(s->fields);
    free(s->sec.kind);
    free(s->sec.name);
    free(s->sec.label);
    *s = (az_api_section){0};
}

static long index_of(const az_api_section *s, const char *key)
{
    char norm[64];
    normalize(key, norm, sizeof norm);
    for (size_t i = 0; i < s->sec.n; i++)
        if (strcmp(s->sec.entries[i].key, norm) == 0)
            return (long)i;
    return -1;
}

az_cfg_entry *az_api_section_find(const az_api_section *s, const char *key)
{
    long i = index_of(s, key);
    return i < 0 ? NULL : &s->sec.entries[i];
}

void az_api_section_remove(az_api_section *s, const char *key)
{
    long i = index_of(s, key);
    if (i < 0)
        return;
    free(s->sec.entries[i].key);
    free(s->sec.entries[i].value);
    free(s->fields[i]);
    for (size_t j = (size_t)i + 1; j < s->sec.n; j++) {
        s->sec.entries[j - 1] = s->sec.entries[j];
        s->sec.entries[j - 1].line = (int)j;
        s->fields[j - 1] = s->fields[j];
    }
    s->sec.n--;
}

/* Add or replace key's entry with value (stolen), under the client's name field. */
static int put(az_api_section *s, const char *field, char *value)
{
    char norm[64];
    normalize(field, norm, sizeof norm);
    az_api_section_remove(s, norm);
    az_cfg_entry *entries = realloc(s->sec.entries, (s->sec.n + 1) * sizeof *entries);
    if (entries)
        s->sec.entries = entries;
    char **fields = entries ? realloc(s->fields, (s->sec.n + 1) * sizeof *fields) : NULL;
    if (fields)
        s->fields = fields;
    char *key = fields ? strdup(norm) : NULL, *name = key ? strdup(field) : NULL;
    if (!name || !value) {
        free(key);
        free(value);
        return -1;
    }
    s->sec.entries[s->sec.n] = (az_cfg_entry){.key = key, .value = value, .line = (int)s->sec.n + 1};
    s->fields[s->sec.n] = name;
    s->sec.n++;
    s->sec.cap = s->sec.n;
    return 0;
}

int az_api_section_set_text(az_api_section *s, const char *key, const char *text)
{
    return put(s, key, strdup(text));
}

/* A JSON value as the text a config file would hold; NULL when out of memory or of a type key does not
 * take (*bad then set). */
static char *value_text(const char *key, const json_t *v, bool *bad)
{
    char *text = NULL;
    *bad = false;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return strdup(json_string_value(v));
    case JSON_INTEGER:
        return asprintf(&text, "%lld", (long long)json_integer_value(v)) < 0 ? NULL : text;
    case JSON_REAL:
        return asprintf(&text, "%.17g", json_real_value(v)) < 0 ? NULL : text;
    case JSON_TRUE:
        return strdup("true");
    case JSON_FALSE:
        return strdup("false");
    default: /* arrays and objects: only the arguments of a function */
        if (strcmp(key, "args") == 0 || strcmp(key, "kwargs") == 0)
            return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        *bad = true;
        return NULL;
    }
}

int az_api_section_set(az_api_section *s, const char *field, const json_t *value, char *why, size_t size)
{
    char norm[64];
    normalize(field, norm, sizeof norm);
    if (json_is_null(value)) {
        az_api_section_remove(s, norm);
        return 0;
    }
    bool bad;
    char *text = value_text(norm, value, &bad);
    if (bad) {
        snprintf(why, size, "give a string, a number or a boolean%s",
                 strcmp(norm, "args") == 0 || strcmp(norm, "kwargs") == 0 ? ""
                                                                          : " (as the config file would)");
        return 1;
    }
    return put(s, field, text);
}

bool az_api_section_has_trigger(const az_api_section *s)
{
    for (size_t i = 0; i < s->sec.n; i++)
        if (in(trigger_keys, s->sec.entries[i].key))
            return true;
    return false;
}

/* ---- errors -------------------------------------------------------------------------------------------- */

/* One config error as {"field", "message"}: "[task ID] key: REST" becomes field KEY (the client's spelling)
 * and "field 'KEY': REST"; "[task ID]: REST" field null and REST. */
static json_t *error_json(const az_api_section *s, const az_cfg_error *e)
{
    const char *msg = e->message;
    size_t label = strlen(s->sec.label);
    const char *field = e->line >= 1 && (size_t)e->line <= s->sec.n ? s->fields[e->line - 1] : NULL;
    if (msg[0] == '[' && strncmp(msg + 1, s->sec.label, label) == 0 && msg[label + 1] == ']') {
        msg += label + 2;
        if (msg[0] == ':')
            msg += msg[1] == ' ' ? 2 : 1;
        else if (msg[0] == ' ' && field) {
            const char *key = s->sec.entries[e->line - 1].key;
            size_t n = strlen(key);
            if (strncmp(msg + 1, key, n) == 0 && msg[n + 1] == ':')
                msg += n + 2 + (msg[n + 2] == ' ');
        } else if (msg[0] == ' ') {
            msg++;
        }
    }
    char *text = NULL;
    if (field && asprintf(&text, "field '%s': %s", field, msg) < 0)
        text = NULL;
    json_t *o = json_pack("{s:s}", "message", text ? text : msg);
    free(text);
    if (o && field) /* an error about the task as a whole (no trigger) names no field */
        json_object_set_new(o, "field", json_string(field));
    return o;
}

int az_api_reply_cfg_errors(az_http_response *resp, const az_api_section *s, const az_cfg_errors *errs)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < errs->n; i++)
        json_array_append_new(list, error_json(s, &errs->items[i]));
    json_t *first = json_array_get(list, 0);
    if (!first) {
        json_decref(list);
        az_http_reply_error(resp, errs->failure ? 500 : 422, errs->failure ? "internal" : "invalid_task",
                            "%s", errs->n ? errs->items[0].message : "the task is not valid");
        return -1;
    }
    json_t *extra = json_pack("{s:o}", "errors", list);
    json_t *field = json_object_get(first, "field");
    if (extra && field)
        json_object_set(extra, "field", field);
    az_http_reply_error_with(resp, errs->failure ? 500 : 422, errs->failure ? "internal" : "invalid_task",
                             extra, "%s", json_string_value(json_object_get(first, "message")));
    return -1;
}

int az_api_reply_field(az_http_response *resp, const char *field, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    az_http_reply_error_with(resp, 422, "invalid_task", json_pack("{s:s}", "field", field), "field '%s': %s",
                             field, message);
    return -1;
}
