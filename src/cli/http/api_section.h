/* A JSON body of the task API as a [task ID] section of the daemon's config file, so that a task made or
 * changed through the API is read by the config's own code (az_cfg_task_build, az_cfg_trigger_build) with
 * its checks and its messages. Keys are those of the section (docs/daemon.md), '-' or '_' alike
 * ("day-of-week", "day_of_week"); values are JSON strings (as written in the file), numbers and booleans
 * (written as text), and for args / kwargs an array / object (written as compact JSON) or its text.
 *
 * Errors of the config reader name the entry's line: each entry gets a line of its own, so that an error
 * is given back with the JSON key it is about ("field"). Any thread.
 */
#ifndef AZ_CLI_HTTP_API_SECTION_H
#define AZ_CLI_HTTP_API_SECTION_H

#include <jansson.h>

#include "config.h"
#include "http.h"

/* What a key is to the API. */
typedef enum az_api_key_kind {
    AZ_API_KEY_UNKNOWN = 0,
    AZ_API_KEY_TRIGGER, /* cron, interval, the field keys, timezone, combine...: they make the trigger */
    AZ_API_KEY_TASK,    /* command, function, args, name, paused, max_instances...: the rest of a task */
    AZ_API_KEY_CONFIG,  /* on_failure...: the config file's only (a failure hook is a command) */
} az_api_key_kind;

/* The kind of key (normalized: '_' for '-'). */
az_api_key_kind az_api_key_kind_of(const char *key);

/* The keys a task body takes, for messages: "cron, interval, ...". Static storage. */
const char *az_api_task_keys(void);

typedef struct az_api_section {
    az_cfg_section sec; /* kind "task", name the task id, label "task ID"; entry i has line i + 1 */
    char **fields;      /* the JSON key of entry i, as the client wrote it */
} az_api_section;

/* Start an empty section for task id (copied). Returns 0 or -1 (out of memory). */
int az_api_section_init(az_api_section *s, const char *id);
void az_api_section_free(az_api_section *s);

/* Set key (the client's spelling: field) to value, replacing an entry of the same key; a JSON null removes
 * it. Returns 0, -1 when out of memory, or 1 when value has a type the key does not take (why says so,
 * size bytes). */
int az_api_section_set(az_api_section *s, const char *field, const json_t *value, char *why, size_t size);

/* Set key to text (copied) as az_api_section_set would a JSON string. Returns 0 or -1 (out of memory). */
int az_api_section_set_text(az_api_section *s, const char *key, const char *text);

/* Remove key's entry, if any. */
void az_api_section_remove(az_api_section *s, const char *key);

/* The entry of key (normalized), or NULL. Does not mark it used. */
az_cfg_entry *az_api_section_find(const az_api_section *s, const char *key);

/* Whether any entry is a trigger key. */
bool az_api_section_has_trigger(const az_api_section *s);

/* Answer 422 for the config reader's errors about s: {"error": {"code": "invalid_task", "message": the
 * first error ("field 'cron': '0 61 * * *': column 3: minute: ..."), "field": its JSON key or null,
 * "errors": [{"field", "message"}, ...]}}. Returns -1. */
int az_api_reply_cfg_errors(az_http_response *resp, const az_api_section *s, const az_cfg_errors *errs);

/* Answer 422 about one field: {"error": {"code": "invalid_task", "field": FIELD, "message": "field 'FIELD':
 * MESSAGE"}}. Returns -1. */
int az_api_reply_field(az_http_response *resp, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
