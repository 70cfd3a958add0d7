/* What the task and trigger documents share: errors with key paths, loading and dumping, strict member
 * readers, and the value formats (ISO-8601 times with an explicit offset, durations in seconds). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "codec/codec_internal.h"

int az_doc_fail(asyncz_doc_error *err, int rc, const char *path, const char *fmt, ...)
{
    if (!err)
        return rc;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return rc;
}

const char *az_doc_path(char *buf, size_t size, const char *parent, const char *key)
{
    snprintf(buf, size, "%s%s%s", parent, parent[0] ? "." : "", key);
    return buf;
}

int asyncz_doc_error_format(const asyncz_doc_error *err, char *buf, size_t size)
{
    if (buf && size)
        buf[0] = '\0';
    if (!err)
        return snprintf(buf, size, "unknown error");
    char where[48] = "";
    if (err->line > 0)
        snprintf(where, sizeof where, "line %d, column %d: ", err->line, err->column);
    return snprintf(buf, size, "%s%s%s%s", where, err->path, err->path[0] ? ": " : "", err->reason);
}

/* ---- loading and dumping ----------------------------------------------------------------------- */

int az_doc_load(const char *text, size_t len, const char *what, json_t **out, asyncz_doc_error *err)
{
    *out = NULL;
    if (!text)
        return az_doc_fail(err, ASYNCZ_EINVAL, "", "no text");
    if (len > ASYNCZ_TASK_DOC_MAX)
        return az_doc_fail(err, ASYNCZ_ETOOBIG, "", "%s is %zu bytes, more than the limit of %d", what, len,
                           ASYNCZ_TASK_DOC_MAX);
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (err) {
            err->line = jerr.line > 0 ? jerr.line : 0;
            err->column = jerr.column > 0 ? jerr.column : 0;
        }
        return az_doc_fail(err, ASYNCZ_EPARSE, "", "%s", jerr.text);
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return az_doc_fail(err, ASYNCZ_EPARSE, "", "%s must be a JSON object", what);
    }
    *out = doc;
    return 0;
}

int az_doc_dump(const json_t *doc, char **out, size_t *len)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return ASYNCZ_ENOMEM;
    size_t n = strlen(text);
    if (n > ASYNCZ_TASK_DOC_MAX) {
        free(text);
        return ASYNCZ_ETOOBIG;
    }
    *out = text;
    if (len)
        *len = n;
    return 0;
}

/* ---- strict readers ---------------------------------------------------------------------------- */

int az_doc_check_keys(const json_t *obj, const char *const *allowed, const char *path, asyncz_doc_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            char p[sizeof err->path];
            return az_doc_fail(err, ASYNCZ_EPARSE, az_doc_path(p, sizeof p, path, key), "unknown key");
        }
    }
    return 0;
}

static const char *type_text(json_type type)
{
    switch (type) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    default:
        return "null";
    }
}

/* Whether v has the wanted type: JSON_REAL stands for any number, JSON_TRUE for either boolean. */
static bool type_matches(const json_t *v, json_type type)
{
    if (type == JSON_REAL)
        return json_is_number(v);
    if (type == JSON_TRUE)
        return json_is_boolean(v);
    return json_typeof(v) == type;
}

int az_doc_member(const json_t *obj, const char *key, const char *path, bool required, json_type type,
                  const json_t **out, asyncz_doc_error *err)
{
    char p[sizeof err->path];
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? az_doc_fail(err, ASYNCZ_EPARSE, az_doc_path(p, sizeof p, path, key),
                                      "required key is missing")
                        : 0;
    if (!type_matches(v, type))
        return az_doc_fail(err, ASYNCZ_EPARSE, az_doc_path(p, sizeof p, path, key), "must be %s",
                           type_text(type));
    *out = v;
    return 0;
}

int az_doc_string(const json_t *obj, const char *key, const char *path, bool required, const char **out,
                  asyncz_doc_error *err)
{
    const json_t *v;
    int rc = az_doc_member(obj, key, path, required, JSON_STRING, &v, err);
    if (rc == 0 && v)
        *out = json_string_value(v);
    return rc;
}

int az_doc_int(const json_t *obj, const char *key, const char *path, bool required, json_int_t min,
               json_int_t max, json_int_t *out, asyncz_doc_error *err)
{
    const json_t *v;
    int rc = az_doc_member(obj, key, path, required, JSON_INTEGER, &v, err);
    if (rc < 0 || !v)
        return rc;
    json_int_t i = json_integer_value(v);
    if (i < min || i > max) {
        char p[sizeof err->path];
        return az_doc_fail(err, ASYNCZ_EINVAL, az_doc_path(p, sizeof p, path, key),
                           "must be between %lld and %lld", (long long)min, (long long)max);
    }
    *out = i;
    return 0;
}

/* Microseconds of a real number of seconds. d * 1e6 is rounded, which for very large values can land a
 * little off; the count is then moved to one whose own seconds value is exactly d when there is one, so a
 * value the writer wrote always reads back the same (exactly so below 2^51 us, about 71 years). */
static bool usec_of_real(double d, int64_t *out)
{
    if (!(d >= -9223372036854.0 && d <= 9223372036854.0))
        return false;
    int64_t u = llround(d * 1e6);
    for (int i = 0; i < 4096 && (double)u / 1e6 < d; i++)
        u++;
    for (int i = 0; i < 4096 && (double)u / 1e6 > d; i++)
        u--;
    *out = u;
    return true;
}

static bool usec_of_number(const json_t *v, int64_t *out)
{
    if (json_is_real(v))
        return usec_of_real(json_real_value(v), out);
    json_int_t s = json_integer_value(v);
    if (s > INT64_MAX / ASYNCZ_USEC_PER_SEC || s < INT64_MIN / ASYNCZ_USEC_PER_SEC)
        return false;
    *out = (int64_t)s * ASYNCZ_USEC_PER_SEC;
    return true;
}

int az_doc_seconds(const json_t *obj, const char *key, const char *path, bool required, int64_t min_usec,
                   int64_t null_value, int64_t *out, asyncz_doc_error *err)
{
    char p[sizeof err->path];
    const json_t *v = json_object_get(obj, key);
    bool nullable = null_value != ASYNCZ_TIME_NONE;
    az_doc_path(p, sizeof p, path, key);
    if (v && nullable && json_is_null(v)) {
        *out = null_value;
        return 0;
    }
    if (v && !json_is_number(v))
        return az_doc_fail(err, ASYNCZ_EPARSE, p, "must be %s", nullable ? "a number or null" : "a number");
    if (!v)
        return required ? az_doc_fail(err, ASYNCZ_EPARSE, p, "required key is missing") : 0;
    int64_t usec;
    if (!usec_of_number(v, &usec))
        return az_doc_fail(err, ASYNCZ_EINVAL, p, "is out of range");
    if (usec < min_usec)
        return az_doc_fail(err, ASYNCZ_EINVAL, p, "must be %s%s",
                           min_usec > 0 ? "positive" : "zero or positive",
                           nullable ? " (or null for no limit)" : "");
    *out = usec;
    return 0;
}

/* Whether a parsed ISO-8601 text carried its own offset: a time part followed by Z or a sign. The date
 * part holds '-' too, so the search starts after the date-time separator. */
static bool has_offset(const char *text)
{
    const char *sep = strpbrk(text, "Tt ");
    return sep && strpbrk(sep, "Zz+-") != NULL;
}

static int parse_time(const char *text, const char *path, asyncz_time_t *out, asyncz_doc_error *err)
{
    int column = 0;
    int rc = asyncz_time_parse(out, text, NULL, &column);
    if (rc == ASYNCZ_EPARSE)
        return az_doc_fail(err, rc, path, "\"%.64s\": column %d: not an ISO-8601 date-time", text, column);
    if (rc < 0)
        return az_doc_fail(err, ASYNCZ_EINVAL, path, "\"%.64s\" is out of range", text);
    if (!has_offset(text))
        return az_doc_fail(err, ASYNCZ_EINVAL, path,
                           "\"%.64s\" has no UTC offset; write one, such as \"+00:00\" or \"Z\"", text);
    return 0;
}

int az_doc_time(const json_t *obj, const char *key, const char *path, bool required, bool allow_null,
                asyncz_time_t *out, asyncz_doc_error *err)
{
    char p[sizeof err->path];
    const json_t *v = json_object_get(obj, key);
    az_doc_path(p, sizeof p, path, key);
    if (v && allow_null && json_is_null(v)) {
        *out = ASYNCZ_TIME_NONE;
        return 0;
    }
    if (v && !json_is_string(v))
        return az_doc_fail(err, ASYNCZ_EPARSE, p, "must be %s", allow_null ? "a string or null" : "a string");
    if (!v)
        return required ? az_doc_fail(err, ASYNCZ_EPARSE, p, "required key is missing") : 0;
    return parse_time(json_string_value(v), p, out, err);
}

/* ---- writers ----------------------------------------------------------------------------------- */

int az_doc_put(json_t *obj, const char *key, json_t *value)
{
    if (!value)
        return ASYNCZ_ENOMEM;
    return json_object_set_new(obj, key, value) == 0 ? 0 : ASYNCZ_ENOMEM;
}

int az_doc_put_string(json_t *obj, const char *key, const char *value)
{
    /* Every text written was validated as UTF-8 when it was set, so a failure here is out of memory. */
    return az_doc_put(obj, key, json_string(value));
}

int az_doc_put_time(json_t *obj, const char *key, asyncz_time_t t)
{
    if (t == ASYNCZ_TIME_NONE)
        return az_doc_put(obj, key, json_null());
    char buf[ASYNCZ_TIME_FORMAT_SIZE];
    int n = asyncz_time_format(buf, sizeof buf, t, NULL);
    if (n < 0)
        return ASYNCZ_EINVAL;
    return az_doc_put_string(obj, key, buf);
}

/* Whole seconds as an integer (exact at any size); otherwise a real, which jansson writes with 17
 * significant digits so that it reads back as the same double. */
int az_doc_put_seconds(json_t *obj, const char *key, int64_t usec)
{
    if (usec % ASYNCZ_USEC_PER_SEC == 0)
        return az_doc_put(obj, key, json_integer(usec / ASYNCZ_USEC_PER_SEC));
    return az_doc_put(obj, key, json_real((double)usec / 1e6));
}
