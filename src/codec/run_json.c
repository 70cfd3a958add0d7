/* Run records to and from their stored JSON document (run_codec.h). Times are microseconds since the epoch
 * (null: not reached), outcome, source and output streams by name, so the C enums' numbers never reach a
 * store. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "codec/run_codec.h"
#include "core/history.h"

static const char *const STREAM_NAMES[] = {NULL, "stdout", "stderr", "note"};

/* ---- encoding ------------------------------------------------------------------------------------------ */

static json_t *opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *opt_time(asyncz_time_t t)
{
    return t == ASYNCZ_TIME_NONE ? json_null() : json_integer(t);
}

static json_t *encode_output(const asyncz_run_record *rec)
{
    json_t *lines = json_array();
    for (size_t i = 0; lines && i < rec->n_output; i++) {
        const asyncz_output_line *l = &rec->output[i];
        unsigned s = (unsigned)l->stream < 4 && l->stream ? (unsigned)l->stream : ASYNCZ_OUTPUT_NOTE;
        json_t *line = json_pack("{s:I, s:s, s:s}", "t", (json_int_t)l->time, "s", STREAM_NAMES[s], "text",
                                 l->text ? l->text : "");
        if (!line || json_array_append_new(lines, line) != 0) {
            json_decref(lines);
            return NULL;
        }
    }
    return lines;
}

/* Members in the order of the documented form. A member whose value could not be made (out of memory,
 * or a string jansson refuses) leaves the object short, which the caller detects by its size. */
static json_t *encode_members(const asyncz_run_record *rec)
{
    json_t *doc = json_object();
    if (!doc)
        return NULL;
    struct {
        const char *key;
        json_t *value;
    } m[] = {
        {"v", json_integer(AZ_RUN_DOC_VERSION)},
        {"run_id", json_string(rec->run_id)},
        {"task_id", opt_string(rec->task_id)},
        {"task_name", opt_string(rec->task_name)},
        {"store", opt_string(rec->store_alias)},
        {"scheduled", opt_time(rec->scheduled_time)},
        {"coalesced", json_integer(rec->coalesced)},
        {"source", json_string(asyncz_run_source_name(rec->source))},
        {"scheduler", opt_string(rec->scheduler)},
        {"host", opt_string(rec->host)},
        {"pid", json_integer(rec->pid)},
        {"token", json_integer((json_int_t)rec->fencing_token)},
        {"submitted", opt_time(rec->submitted_at)},
        {"started", opt_time(rec->started_at)},
        {"finished", opt_time(rec->finished_at)},
        {"outcome", json_string(asyncz_run_outcome_name(rec->outcome))},
        {"error_code", json_integer(rec->error_code)},
        {"exit_status", rec->exit_status < 0 ? json_null() : json_integer(rec->exit_status)},
        {"signal", json_integer(rec->signal)},
        {"error", opt_string(rec->error_message)},
        {"result", opt_string(rec->result)},
        {"output", encode_output(rec)},
        {"output_truncated", json_boolean(rec->output_truncated)},
    };
    size_t n = sizeof m / sizeof m[0];
    for (size_t i = 0; i < n; i++)
        if (!m[i].value || json_object_set_new(doc, m[i].key, m[i].value) != 0) {
            for (size_t k = i + 1; k < n; k++)
                json_decref(m[k].value);
            json_decref(doc);
            return NULL;
        }
    return doc;
}

int az_run_encode(const asyncz_run_record *rec, char **out, size_t *len)
{
    json_t *doc = encode_members(rec);
    if (!doc)
        return ASYNCZ_EINVAL; /* out of memory, or text that is not UTF-8 (jansson tells them apart no better)
                               */
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return ASYNCZ_ENOMEM;
    *out = text;
    *len = strlen(text);
    return 0;
}

/* ---- decoding ------------------------------------------------------------------------------------------ */

typedef struct reader {
    const json_t *doc;
    char *why;
    size_t size;
} reader;

static int bad(reader *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(reader *r, const char *key, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->why, r->size, "run document: \"%s\": %s", key, what);
    return ASYNCZ_EPARSE;
}

/* A string or null (NULL); absent reads as null. */
static int get_string(reader *r, const char *key, const char **out)
{
    const json_t *v = json_object_get(r->doc, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return bad(r, key, "not a string");
    *out = json_string_value(v);
    return 0;
}

static int get_int(reader *r, const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
    const json_t *v = json_object_get(r->doc, key);
    if (!v)
        return bad(r, key, "missing");
    if (!json_is_integer(v))
        return bad(r, key, "not an integer");
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return bad(r, key, "%lld is out of range", (long long)x);
    *out = x;
    return 0;
}

static int get_time(reader *r, const char *key, asyncz_time_t *out)
{
    const json_t *v = json_object_get(r->doc, key);
    *out = ASYNCZ_TIME_NONE;
    if (!v || json_is_null(v))
        return 0;
    json_int_t x;
    int rc = get_int(r, key, INT64_MIN + 1, INT64_MAX, &x);
    *out = x;
    return rc;
}

static int get_name(reader *r, const char *key, int (*parse)(const char *, void *), void *out)
{
    const char *s;
    int rc = get_string(r, key, &s);
    if (rc == 0 && (!s || parse(s, out) != 0))
        return bad(r, key, "not a known name");
    return rc;
}

static int parse_outcome(const char *s, void *out)
{
    return asyncz_run_outcome_parse(s, out);
}

static int parse_source(const char *s, void *out)
{
    return asyncz_run_source_parse(s, out);
}

static int read_ids(reader *r, asyncz_run_record *rec)
{
    json_int_t v;
    const char *run_id;
    int rc = get_int(r, "v", AZ_RUN_DOC_VERSION, AZ_RUN_DOC_VERSION, &v);
    if (rc == 0 && (rc = get_string(r, "run_id", &run_id)) == 0 &&
        (!run_id || strlen(run_id) != ASYNCZ_RUN_ID_SIZE - 1))
        rc = bad(r, "run_id", "not a run id");
    if (rc == 0)
        memcpy(rec->run_id, run_id, ASYNCZ_RUN_ID_SIZE);
    const char **strings[] = {&rec->task_id, &rec->task_name,     &rec->store_alias, &rec->scheduler,
                              &rec->host,    &rec->error_message, &rec->result};
    static const char *const keys[] = {"task_id", "task_name", "store", "scheduler",
                                       "host",    "error",     "result"};
    for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
        rc = get_string(r, keys[i], strings[i]);
    if (rc == 0 && !rec->task_id)
        rc = bad(r, "task_id", "missing");
    return rc;
}

static int read_numbers(reader *r, asyncz_run_record *rec)
{
    json_int_t coalesced = 1, pid = 0, token = 0, code = 0, sig = 0, status = -1;
    int rc = get_int(r, "coalesced", 0, UINT32_MAX, &coalesced);
    if (rc == 0)
        rc = get_int(r, "pid", INT64_MIN + 1, INT64_MAX, &pid);
    if (rc == 0)
        rc = get_int(r, "token", 0, INT64_MAX, &token);
    if (rc == 0)
        rc = get_int(r, "error_code", INT32_MIN, INT32_MAX, &code);
    if (rc == 0)
        rc = get_int(r, "signal", 0, INT32_MAX, &sig);
    const json_t *es = json_object_get(r->doc, "exit_status");
    if (rc == 0 && es && !json_is_null(es))
        rc = get_int(r, "exit_status", 0, INT32_MAX, &status);
    rec->coalesced = (uint32_t)coalesced;
    rec->pid = pid;
    rec->fencing_token = (uint64_t)token;
    rec->error_code = (int)code;
    rec->signal = (int)sig;
    rec->exit_status = (int)status;
    return rc;
}

static int read_times(reader *r, asyncz_run_record *rec)
{
    int rc = get_time(r, "scheduled", &rec->scheduled_time);
    if (rc == 0)
        rc = get_time(r, "submitted", &rec->submitted_at);
    if (rc == 0)
        rc = get_time(r, "started", &rec->started_at);
    if (rc == 0)
        rc = get_time(r, "finished", &rec->finished_at);
    if (rc == 0)
        rc = get_name(r, "outcome", parse_outcome, &rec->outcome);
    if (rc == 0)
        rc = get_name(r, "source", parse_source, &rec->source);
    return rc;
}

static int stream_of(const char *name)
{
    for (int s = 1; s < 4; s++)
        if (name && strcmp(name, STREAM_NAMES[s]) == 0)
            return s;
    return 0;
}

/* The output lines, borrowed from the document: *lines is malloc'd (the strings are not). */
static int read_output(reader *r, asyncz_run_record *rec, asyncz_output_line **lines)
{
    const json_t *out = json_object_get(r->doc, "output");
    const json_t *trunc = json_object_get(r->doc, "output_truncated");
    rec->output_truncated = json_is_true(trunc);
    if (!out || json_is_null(out))
        return 0;
    if (!json_is_array(out))
        return bad(r, "output", "not an array");
    size_t n = json_array_size(out);
    if (n == 0)
        return 0;
    if (!(*lines = calloc(n, sizeof **lines)))
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *l = json_array_get(out, i);
        const json_t *t = json_object_get(l, "t"), *text = json_object_get(l, "text");
        int s = stream_of(json_string_value(json_object_get(l, "s")));
        if (!json_is_integer(t) || !json_is_string(text) || !s)
            return bad(r, "output", "line %zu is not {\"t\": time, \"s\": stream, \"text\": string}", i);
        (*lines)[i] =
            (asyncz_output_line){json_integer_value(t), (asyncz_output_stream)s, json_string_value(text)};
    }
    rec->output = *lines;
    rec->n_output = n;
    return 0;
}

int az_run_decode(const char *text, size_t len, bool with_output, asyncz_run_record *rec, char *why,
                  size_t size)
{
    asyncz_run_record_init(rec);
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc || !json_is_object(doc)) {
        snprintf(why, size, "run document: not a JSON object%s%s", doc ? "" : ": ", doc ? "" : jerr.text);
        json_decref(doc);
        return ASYNCZ_EPARSE;
    }
    reader r = {doc, why, size};
    asyncz_run_record view;
    asyncz_run_record_init(&view);
    asyncz_output_line *lines = NULL;
    int rc = read_ids(&r, &view);
    if (rc == 0)
        rc = read_numbers(&r, &view);
    if (rc == 0)
        rc = read_times(&r, &view);
    if (rc == 0 && with_output)
        rc = read_output(&r, &view, &lines);
    if (rc == 0)
        rc = az_run_record_copy_into(rec, &view, !with_output);
    free(lines);
    json_decref(doc);
    if (rc)
        asyncz_run_record_init(rec);
    return rc;
}
