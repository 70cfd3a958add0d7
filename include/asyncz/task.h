/* Tasks: what to run (a registered function and its arguments), when (a trigger) and how (executor, misfire
 * grace time, coalescing, instance limit). See docs/tasks.md.
 *
 * An asyncz_task made by the caller is a description: build it with asyncz_task_new() and the setters, hand
 * it to asyncz_scheduler_add_task() (which copies it), then free it. Tasks returned by the scheduler (get,
 * list) are copies the caller owns; change one and pass it to asyncz_scheduler_update_task() to modify the
 * stored task. A task object is not safe to change from two threads at once; reading one from several
 * threads is safe.
 *
 * Every task can be written as a versioned JSON document ({"v":1,...}), which is what persistent stores keep:
 * see asyncz_task_to_json() and asyncz_task_from_json().
 */
#ifndef ASYNCZ_TASK_H
#define ASYNCZ_TASK_H

#include "asyncz/common.h"
#include "asyncz/time.h"
#include "asyncz/trigger.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_task asyncz_task;

/* Limits. An id is 1..255 bytes of [A-Za-z0-9._@+-], not starting with '.' or '-' (so it is a safe file
 * name and never looks like a command-line option). Names and function names are valid UTF-8 without
 * control characters. args and kwargs together, as compact JSON, are at most ASYNCZ_TASK_ARGS_MAX bytes;
 * a whole document at most ASYNCZ_TASK_DOC_MAX bytes. */
#define ASYNCZ_TASK_ID_MAX 255
#define ASYNCZ_TASK_NAME_MAX 1024
#define ASYNCZ_TASK_FUNC_MAX 255
#define ASYNCZ_TASK_ALIAS_MAX 64
#define ASYNCZ_TASK_ARGS_MAX (64 * 1024)
#define ASYNCZ_TASK_DOC_MAX (1024 * 1024)

/* misfire_grace_time value meaning "run however late" (asyncz's None). */
#define ASYNCZ_GRACE_UNLIMITED INT64_C(-1)

/* Defaults (docs/tasks.md). */
#define ASYNCZ_TASK_DEFAULT_GRACE ASYNCZ_USEC_PER_SEC
#define ASYNCZ_TASK_DEFAULT_COALESCE true
#define ASYNCZ_TASK_DEFAULT_MAX_INSTANCES 1
/* The range of max_instances: any uint32_t but 0. The config file and the tool take the same range. */
#define ASYNCZ_TASK_MAX_INSTANCES_MIN 1
#define ASYNCZ_TASK_MAX_INSTANCES_MAX UINT32_MAX

/* The version of the JSON document this library writes. */
#define ASYNCZ_TASK_DOC_VERSION 1

/* ---- construction ---------------------------------------------------------------------------- */

/* Make a task that will call the function registered as `func` (borrowed, copied). Everything else starts at
 * its default: no id (the scheduler generates a UUIDv4 hex id), name = func, args [], kwargs {}, no trigger
 * (a task without a trigger fires once, now, as asyncz does), executor and store "default", grace 1 s,
 * coalesce true, max_instances 1, next run time computed from the trigger when the task is added.
 * Errors: ASYNCZ_EINVAL (func NULL, empty, too long or not valid text), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_task_new(asyncz_task **out, const char *func);

/* A deep copy (new object; the trigger is shared by reference). Errors: ASYNCZ_EINVAL, ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_task_copy(asyncz_task **out, const asyncz_task *task);

/* Free a task (NULL-safe). */
ASYNCZ_API void asyncz_task_free(asyncz_task *task);

/* ---- setters: each validates its value and leaves the task unchanged on error ----------------- */

/* id: see the limits above; NULL clears it (one is generated on add). Errors: ASYNCZ_EINVAL, ENOMEM. */
ASYNCZ_API int asyncz_task_set_id(asyncz_task *task, const char *id);
/* name: any text up to ASYNCZ_TASK_NAME_MAX bytes; NULL: the function name. */
ASYNCZ_API int asyncz_task_set_name(asyncz_task *task, const char *name);
ASYNCZ_API int asyncz_task_set_func(asyncz_task *task, const char *func);
/* The trigger (borrowed: the task takes its own reference; NULL: fire once, now). */
ASYNCZ_API int asyncz_task_set_trigger(asyncz_task *task, asyncz_trigger *trigger);
/* Positional arguments as a JSON array text, keyword arguments as a JSON object text (borrowed; NULL
 * resets to [] / {}). Errors: ASYNCZ_EPARSE (not JSON, or not an array/object), ASYNCZ_ETOOBIG. */
ASYNCZ_API int asyncz_task_set_args_json(asyncz_task *task, const char *json);
ASYNCZ_API int asyncz_task_set_kwargs_json(asyncz_task *task, const char *json);
/* Executor and store aliases (1..64 bytes of [A-Za-z0-9._-]; NULL: "default"). */
ASYNCZ_API int asyncz_task_set_executor(asyncz_task *task, const char *alias);
ASYNCZ_API int asyncz_task_set_store(asyncz_task *task, const char *alias);
/* Microseconds > 0, or ASYNCZ_GRACE_UNLIMITED. */
ASYNCZ_API int asyncz_task_set_misfire_grace_time(asyncz_task *task, int64_t usec);
ASYNCZ_API int asyncz_task_set_coalesce(asyncz_task *task, bool coalesce);
/* Whether the task's runs are recorded in its store's run history (asyncz/history.h; default true). Stored
 * in the task's document ("history": false) only when off. */
ASYNCZ_API int asyncz_task_set_history(asyncz_task *task, bool history);
/* >= 1. */
ASYNCZ_API int asyncz_task_set_max_instances(asyncz_task *task, uint32_t max_instances);
/* Set the next run time explicitly; ASYNCZ_TIME_NONE makes the task paused. Without this call the scheduler
 * computes it from the trigger when the task is added. Drops a pending run request (a new schedule
 * supersedes it). */
ASYNCZ_API int asyncz_task_set_next_run_time(asyncz_task *task, asyncz_time_t when);
/* Ask for one run outside the schedule, for whichever scheduler owns the store the task is written back to
 * (`asyncz run ID`): the task becomes due at `at` (its next run time becomes the earlier of the two), and
 * the scheduler that claims it runs it once with `at` as the scheduled run time (not dropped as missed
 * however late it is picked up), then goes on from the next run time the task had, or stays paused. A
 * request while one is pending changes nothing (the first stands). Write the task back with the store's
 * update (or asyncz_scheduler_update_task) for the request to take effect. Errors: ASYNCZ_EINVAL (task
 * NULL, `at` ASYNCZ_TIME_NONE or out of range). */
ASYNCZ_API int asyncz_task_request_run(asyncz_task *task, asyncz_time_t at);

/* ---- getters (borrowed results, valid until the task is changed or freed) ----------------------- */

ASYNCZ_API const char *asyncz_task_id(const asyncz_task *task); /* NULL until one is set or generated */
ASYNCZ_API const char *asyncz_task_name(const asyncz_task *task);
ASYNCZ_API const char *asyncz_task_func(const asyncz_task *task);
ASYNCZ_API asyncz_trigger *asyncz_task_trigger(const asyncz_task *task); /* NULL: run once */
ASYNCZ_API const char *asyncz_task_args_json(const asyncz_task *task);   /* compact JSON, "[]" at least */
ASYNCZ_API const char *asyncz_task_kwargs_json(const asyncz_task *task); /* compact JSON, "{}" at least */
ASYNCZ_API const char *asyncz_task_executor(const asyncz_task *task);
ASYNCZ_API const char *asyncz_task_store(const asyncz_task *task);
ASYNCZ_API int64_t asyncz_task_misfire_grace_time(const asyncz_task *task);
ASYNCZ_API bool asyncz_task_coalesce(const asyncz_task *task);
ASYNCZ_API bool asyncz_task_history(const asyncz_task *task);
ASYNCZ_API uint32_t asyncz_task_max_instances(const asyncz_task *task);
/* ASYNCZ_TIME_NONE when paused (or, before the task was added, when not set explicitly). */
ASYNCZ_API asyncz_time_t asyncz_task_next_run_time(const asyncz_task *task);
/* Whether the next run time was set explicitly (or by the scheduler) rather than left to be computed. */
ASYNCZ_API bool asyncz_task_has_next_run_time(const asyncz_task *task);
/* Paused: added, with no next run time of its own schedule. A paused task may still have a pending run
 * request (asyncz_task_run_requested): that run happens once, and the task stays paused after it. */
ASYNCZ_API bool asyncz_task_paused(const asyncz_task *task);
/* The time of the pending run request (asyncz_task_request_run), or ASYNCZ_TIME_NONE. */
ASYNCZ_API asyncz_time_t asyncz_task_run_requested(const asyncz_task *task);

/* Check the whole task as the scheduler will (every field's own rule; a trigger is not required).
 * Errors: ASYNCZ_EINVAL with a message in errbuf (may be NULL) such as "max_instances must be at least 1". */
ASYNCZ_API int asyncz_task_validate(const asyncz_task *task, char *errbuf, size_t errsize);

/* ---- ids ------------------------------------------------------------------------------------- */

/* Whether text is a valid task id. */
ASYNCZ_API bool asyncz_task_id_valid(const char *id);

/* Write a fresh random id (UUIDv4 as 32 lower-case hex digits) into buf (at least 33 bytes). */
ASYNCZ_API int asyncz_task_id_generate(char *buf, size_t size);

/* ---- the JSON document ------------------------------------------------------------------------ */

/* Where a document failed to decode: the JSON line and column (0 when not known), the key path
 * ("trigger.timezone") and what is wrong. */
typedef struct asyncz_doc_error {
    int line, column;
    char path[64];
    char reason[192];
} asyncz_doc_error;

/* Format an error as one line: `trigger.timezone: unknown time zone "Mars/Base"` or, with a position,
 * `line 1, column 17: ...`. Returns the full length like snprintf. */
ASYNCZ_API int asyncz_doc_error_format(const asyncz_doc_error *err, char *buf, size_t size);

/* Write a task as its JSON document (compact, keys in a fixed order). The task must have an id.
 * *out receives a new NUL-terminated string (free it with free()); *len (may be NULL) its length.
 * Errors: ASYNCZ_EINVAL (no id, or an invalid task), ASYNCZ_EUNSUPPORTED (a custom trigger kind, which has
 * no document form), ASYNCZ_ETOOBIG, ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_task_to_json(const asyncz_task *task, char **out, size_t *len);

/* Read a task from its JSON document (text borrowed, len bytes, need not be NUL-terminated). Strict: every
 * key must be known, every value of the right type and within its limits, "v" must be 1. The store alias is
 * not part of the document (a store knows itself): it is "default" on the result.
 * Errors: ASYNCZ_EPARSE (malformed JSON, unknown or missing key, wrong type), ASYNCZ_EINVAL (a value that
 * breaks a rule, such as a trigger zone name that is no valid name), ASYNCZ_EZONE / ASYNCZ_ETZDATA (a valid
 * zone name whose zone does not load on this host: missing or malformed zone data; not the document's fault,
 * so stores keep such a record and retry it), ASYNCZ_EUNSUPPORTED (another document version or trigger
 * type), ASYNCZ_ETOOBIG, ASYNCZ_ENOMEM; *err (may be NULL) says where and why. */
ASYNCZ_API int asyncz_task_from_json(asyncz_task **out, const char *text, size_t len, asyncz_doc_error *err);

/* A trigger alone as a JSON object ({"type":"cron","crontab":"0 9 * * 1-5","timezone":"Europe/Berlin"}) and
 * back, with the same rules and errors as the task document (the part under "trigger"). */
ASYNCZ_API int asyncz_trigger_to_json(const asyncz_trigger *trigger, char **out, size_t *len);
ASYNCZ_API int asyncz_trigger_from_json(asyncz_trigger **out, const char *text, size_t len,
                                        asyncz_doc_error *err);

ASYNCZ_END_DECLS

#endif
