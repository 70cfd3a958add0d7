/* Helpers shared by the task and trigger JSON codecs (docs/tasks.md): the error record, strict reading of
 * object members with key paths, and the document's value formats (times, durations in seconds). */
#ifndef AZ_CODEC_INTERNAL_H
#define AZ_CODEC_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "asyncz/task.h"

/* Nesting levels of a trigger tree in a document (the top trigger is level 0, its children level 1...):
 * a bound keeps decoding from recursing without end. */
#define AZ_TRIGGER_DEPTH_MAX 16

/* Fill *err (NULL-safe) with the key path and a printf-style reason; returns rc. */
int az_doc_fail(asyncz_doc_error *err, int rc, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The path of a member: "parent.key", or "key" when parent is empty. Truncated to fit. Returns buf. */
const char *az_doc_path(char *buf, size_t size, const char *parent, const char *key);

/* Parse len bytes of text as a JSON object (duplicate keys refused) of at most ASYNCZ_TASK_DOC_MAX bytes.
 * `what` names the object in errors ("a task document"). *out receives a new reference. */
int az_doc_load(const char *text, size_t len, const char *what, json_t **out, asyncz_doc_error *err);

/* Write a value as compact JSON with its keys in insertion order; ASYNCZ_ETOOBIG over ASYNCZ_TASK_DOC_MAX. */
int az_doc_dump(const json_t *doc, char **out, size_t *len);

/* Refuse any key of obj that is not in `allowed` (NULL-terminated) with ASYNCZ_EPARSE "unknown key". */
int az_doc_check_keys(const json_t *obj, const char *const *allowed, const char *path, asyncz_doc_error *err);

/* Member readers. Each looks key up in obj: when it is absent, a required key is an error (ASYNCZ_EPARSE,
 * "required key is missing") and an optional one leaves *out unchanged; a value of the wrong type is
 * ASYNCZ_EPARSE; a value that breaks a rule is ASYNCZ_EINVAL. `path` is the object's own path. */
int az_doc_member(const json_t *obj, const char *key, const char *path, bool required, json_type type,
                  const json_t **out, asyncz_doc_error *err);
int az_doc_string(const json_t *obj, const char *key, const char *path, bool required, const char **out,
                  asyncz_doc_error *err);
int az_doc_int(const json_t *obj, const char *key, const char *path, bool required, json_int_t min,
               json_int_t max, json_int_t *out, asyncz_doc_error *err);
/* A duration in seconds (integer or real) of at least min_usec, or null when null_value is not
 * ASYNCZ_TIME_NONE (then null reads as null_value). */
int az_doc_seconds(const json_t *obj, const char *key, const char *path, bool required, int64_t min_usec,
                   int64_t null_value, int64_t *out, asyncz_doc_error *err);
/* An ISO-8601 date-time with an explicit offset; with allow_null, null reads as ASYNCZ_TIME_NONE. */
int az_doc_time(const json_t *obj, const char *key, const char *path, bool required, bool allow_null,
                asyncz_time_t *out, asyncz_doc_error *err);

/* Member writers; each returns 0 or ASYNCZ_ENOMEM (az_doc_put_time: ASYNCZ_EINVAL for a time out of range).
 */
int az_doc_put(json_t *obj, const char *key, json_t *value); /* value stolen, NULL means out of memory */
int az_doc_put_string(json_t *obj, const char *key, const char *value);
int az_doc_put_time(json_t *obj, const char *key, asyncz_time_t t); /* ASYNCZ_TIME_NONE: null */
int az_doc_put_seconds(json_t *obj, const char *key, int64_t usec);

/* The trigger object of a document (docs/triggers.md: a kind, its common options). Encoding a custom kind is
 * ASYNCZ_EUNSUPPORTED. Decoding reads v at `path` ("trigger", or "" for a trigger document) at nesting
 * depth `depth` (0 at the top). */
int az_trigger_encode(const asyncz_trigger *t, json_t **out);
int az_trigger_decode(const json_t *v, const char *path, int depth, asyncz_trigger **out,
                      asyncz_doc_error *err);

#endif
