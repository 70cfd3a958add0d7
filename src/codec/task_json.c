/* The task document, version 1 (the format is described in docs/tasks.md): what every
 * persistent store writes. Written compact with its keys in one fixed order, so equal tasks give equal
 * bytes; read strictly, so a record that was damaged or written by something else is refused with the key
 * path and the reason instead of being half understood. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "codec/codec_internal.h"
#include "codec/task_decode.h"
#include "core/task_internal.h"

static const char *const task_keys[] = {"v",
                                        "id",
                                        "name",
                                        "func",
                                        "args",
                                        "kwargs",
                                        "trigger",
                                        "executor",
                                        "misfire_grace_time",
                                        "coalesce",
                                        "max_instances",
                                        "next_run_time",
                                        "run_requested",
                                        "resume_next_run_time",
                                        "history",
                                        NULL};

/* ---- writing ------------------------------------------------------------------------------------ */

static size_t args_size(const asyncz_task *t)
{
    return strlen(asyncz_task_args_json(t)) + strlen(asyncz_task_kwargs_json(t));
}

static int encode_trigger_member(const asyncz_task *t, json_t *doc)
{
    if (!t->trigger)
        return az_doc_put(doc, "trigger", json_null());
    json_t *obj;
    int rc = az_trigger_encode(t->trigger, &obj);
    return rc < 0 ? rc : az_doc_put(doc, "trigger", obj);
}

static int encode_task(const asyncz_task *t, json_t *doc)
{
    int rc = az_doc_put(doc, "v", json_integer(ASYNCZ_TASK_DOC_VERSION));
    if (rc == 0)
        rc = az_doc_put_string(doc, "id", t->id);
    if (rc == 0)
        rc = az_doc_put_string(doc, "name", asyncz_task_name(t));
    if (rc == 0)
        rc = az_doc_put_string(doc, "func", t->func);
    if (rc == 0)
        rc = az_doc_put(doc, "args", t->args ? json_incref(t->args) : json_array());
    if (rc == 0)
        rc = az_doc_put(doc, "kwargs", t->kwargs ? json_incref(t->kwargs) : json_object());
    if (rc == 0)
        rc = encode_trigger_member(t, doc);
    if (rc == 0)
        rc = az_doc_put_string(doc, "executor", asyncz_task_executor(t));
    if (rc == 0)
        rc = t->grace == ASYNCZ_GRACE_UNLIMITED ? az_doc_put(doc, "misfire_grace_time", json_null())
                                                : az_doc_put_seconds(doc, "misfire_grace_time", t->grace);
    if (rc == 0)
        rc = az_doc_put(doc, "coalesce", json_boolean(t->coalesce));
    if (rc == 0)
        rc = az_doc_put(doc, "max_instances", json_integer(t->max_instances));
    if (rc == 0 && t->no_history) /* only when off: the documents of other tasks stay as they were */
        rc = az_doc_put(doc, "history", json_false());
    /* A next run time that was never set is written like a paused task's: the document has no third state. */
    if (rc == 0)
        rc = az_doc_put_time(doc, "next_run_time", t->has_next ? t->next_run_time : ASYNCZ_TIME_NONE);
    /* Only a task with a pending run request has these, so the bytes of every other task stay as they were.
     */
    if (rc == 0 && t->run_requested != ASYNCZ_TIME_NONE)
        rc = az_doc_put_time(doc, "run_requested", t->run_requested);
    if (rc == 0 && t->run_requested != ASYNCZ_TIME_NONE)
        rc = az_doc_put_time(doc, "resume_next_run_time", t->resume_next);
    return rc;
}

int asyncz_task_to_json(const asyncz_task *task, char **out, size_t *len)
{
    if (!task || !out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    if (!task->id || az_task_check(task, NULL, 0) < 0)
        return ASYNCZ_EINVAL;
    if (args_size(task) > ASYNCZ_TASK_ARGS_MAX)
        return ASYNCZ_ETOOBIG;
    json_t *doc = json_object();
    if (!doc)
        return ASYNCZ_ENOMEM;
    int rc = encode_task(task, doc);
    if (rc == 0)
        rc = az_doc_dump(doc, out, len);
    json_decref(doc);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------------ */

static int check_version(const json_t *doc, asyncz_doc_error *err)
{
    json_int_t v = 0;
    int rc = az_doc_int(doc, "v", "", true, INT64_MIN, INT64_MAX, &v, err);
    if (rc == 0 && v != ASYNCZ_TASK_DOC_VERSION)
        rc = az_doc_fail(err, ASYNCZ_EUNSUPPORTED, "v",
                         "document version %lld is not supported (this library reads version %d)",
                         (long long)v, ASYNCZ_TASK_DOC_VERSION);
    return rc;
}

/* The three texts that identify a task, checked before the task is made. */
typedef struct identity {
    const char *id, *name, *func;
} identity;

static int decode_identity(const json_t *doc, identity *ident, asyncz_doc_error *err)
{
    int rc = az_doc_string(doc, "id", "", true, &ident->id, err);
    if (rc == 0 && !asyncz_task_id_valid(ident->id))
        rc = az_doc_fail(err, ASYNCZ_EINVAL, "id",
                         "must be 1-255 characters of A-Z a-z 0-9 . _ @ + -, not starting with . or -");
    if (rc == 0)
        rc = az_doc_string(doc, "name", "", true, &ident->name, err);
    if (rc == 0 && !az_text_valid(ident->name, ASYNCZ_TASK_NAME_MAX, true))
        rc = az_doc_fail(err, ASYNCZ_EINVAL, "name",
                         "must be 1-1024 bytes of text without control characters other than tab");
    if (rc == 0)
        rc = az_doc_string(doc, "func", "", true, &ident->func, err);
    if (rc == 0 && !az_text_valid(ident->func, ASYNCZ_TASK_FUNC_MAX, false))
        rc =
            az_doc_fail(err, ASYNCZ_EINVAL, "func", "must be 1-255 bytes of text without control characters");
    return rc;
}

/* Why args or kwargs could not be set. */
static int args_refused(int rc, const char *key, asyncz_doc_error *err)
{
    if (rc == ASYNCZ_ETOOBIG)
        return az_doc_fail(err, rc, key, "is larger than %d bytes as compact JSON", ASYNCZ_TASK_ARGS_MAX);
    return az_doc_fail(err, rc, key, "%s", asyncz_strerror(rc));
}

static int decode_args(asyncz_task *t, const json_t *doc, asyncz_doc_error *err)
{
    const json_t *args, *kwargs;
    int rc = az_doc_member(doc, "args", "", true, JSON_ARRAY, &args, err);
    if (rc == 0 && (rc = az_task_set_args_value(t, json_incref((json_t *)args))) < 0)
        return args_refused(rc, "args", err);
    if (rc == 0)
        rc = az_doc_member(doc, "kwargs", "", true, JSON_OBJECT, &kwargs, err);
    if (rc == 0 && (rc = az_task_set_kwargs_value(t, json_incref((json_t *)kwargs))) < 0)
        return args_refused(rc, "kwargs", err);
    if (rc == 0 && args_size(t) > ASYNCZ_TASK_ARGS_MAX)
        rc = az_doc_fail(err, ASYNCZ_ETOOBIG, "kwargs", "args and kwargs together are larger than %d bytes",
                         ASYNCZ_TASK_ARGS_MAX);
    return rc;
}

/* ---- the trigger memo (task_decode.h) ----------------------------------------------------------- */

void az_trigger_memo_clear(az_trigger_memo *memo)
{
    for (int i = 0; memo && i < AZ_TRIGGER_MEMO_SIZE; i++) {
        json_decref(memo->doc[i]);
        asyncz_trigger_unref(memo->trigger[i]);
        memo->doc[i] = NULL;
        memo->trigger[i] = NULL;
    }
}

/* Whether decoding v depends on v alone: a cron trigger, with its jitter seed written if it jitters. */
static bool memoizable(const json_t *v)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    return type && strcmp(type, "cron") == 0 &&
           (!json_object_get(v, "jitter") || json_object_get(v, "jitter_seed"));
}

/* Move entry i of the memo to the front. */
static void memo_touch(az_trigger_memo *memo, int i)
{
    json_t *doc = memo->doc[i];
    asyncz_trigger *trigger = memo->trigger[i];
    for (; i > 0; i--) {
        memo->doc[i] = memo->doc[i - 1];
        memo->trigger[i] = memo->trigger[i - 1];
    }
    memo->doc[0] = doc;
    memo->trigger[0] = trigger;
}

/* A new reference to the trigger the memo holds for v, or NULL. */
static asyncz_trigger *memo_find(az_trigger_memo *memo, const json_t *v)
{
    for (int i = 0; i < AZ_TRIGGER_MEMO_SIZE && memo->doc[i]; i++)
        if (json_equal(memo->doc[i], v)) {
            memo_touch(memo, i);
            return asyncz_trigger_ref(memo->trigger[0]);
        }
    return NULL;
}

/* Keep trigger (decoded from v) at the front, dropping the least recently used entry. */
static void memo_keep(az_trigger_memo *memo, const json_t *v, asyncz_trigger *trigger)
{
    const int last = AZ_TRIGGER_MEMO_SIZE - 1;
    json_decref(memo->doc[last]);
    asyncz_trigger_unref(memo->trigger[last]);
    memo->doc[last] = json_incref((json_t *)v);
    memo->trigger[last] = asyncz_trigger_ref(trigger);
    memo_touch(memo, last);
}

static int decode_trigger(asyncz_task *t, const json_t *doc, az_trigger_memo *memo, asyncz_doc_error *err)
{
    const json_t *v = json_object_get(doc, "trigger");
    if (!v)
        return az_doc_fail(err, ASYNCZ_EPARSE, "trigger", "required key is missing");
    if (json_is_null(v))
        return 0;
    bool memo_ok = memo && memoizable(v);
    asyncz_trigger *trigger = memo_ok ? memo_find(memo, v) : NULL;
    bool found = trigger != NULL;
    int rc = found ? 0 : az_trigger_decode(v, "trigger", 0, &trigger, err);
    if (rc == 0 && memo_ok && !found)
        memo_keep(memo, v, trigger);
    if (rc == 0)
        rc = asyncz_task_set_trigger(t, trigger);
    asyncz_trigger_unref(trigger);
    return rc;
}

static int decode_executor(asyncz_task *t, const json_t *doc, asyncz_doc_error *err)
{
    const char *alias = NULL;
    int rc = az_doc_string(doc, "executor", "", true, &alias, err);
    if (rc == 0 && !asyncz_alias_valid(alias))
        return az_doc_fail(err, ASYNCZ_EINVAL, "executor", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
    return rc ? rc : asyncz_task_set_executor(t, alias);
}

/* A pending run request: both keys or neither, and the next run time is the earlier of the two times. */
static int decode_request(asyncz_task *t, const json_t *doc, asyncz_doc_error *err)
{
    bool requested = json_object_get(doc, "run_requested") != NULL;
    if (requested != (json_object_get(doc, "resume_next_run_time") != NULL))
        return az_doc_fail(err, ASYNCZ_EPARSE, requested ? "resume_next_run_time" : "run_requested",
                           "run_requested and resume_next_run_time go together");
    if (!requested)
        return 0;
    asyncz_time_t at, resume;
    int rc = az_doc_time(doc, "run_requested", "", true, false, &at, err);
    if (rc == 0)
        rc = az_doc_time(doc, "resume_next_run_time", "", true, true, &resume, err);
    if (rc == 0 && t->next_run_time != (resume != ASYNCZ_TIME_NONE && resume < at ? resume : at))
        rc = az_doc_fail(err, ASYNCZ_EINVAL, "next_run_time",
                         "must be the earlier of run_requested and resume_next_run_time");
    if (rc == 0) {
        t->run_requested = at;
        t->resume_next = resume;
    }
    return rc;
}

static int decode_options(asyncz_task *t, const json_t *doc, asyncz_doc_error *err)
{
    int rc = az_doc_seconds(doc, "misfire_grace_time", "", true, 1, ASYNCZ_GRACE_UNLIMITED, &t->grace, err);
    const json_t *coalesce;
    if (rc == 0)
        rc = az_doc_member(doc, "coalesce", "", true, JSON_TRUE, &coalesce, err);
    if (rc == 0)
        t->coalesce = json_is_true(coalesce);
    const json_t *history = NULL; /* optional: only a task whose runs are not recorded has it */
    if (rc == 0)
        rc = az_doc_member(doc, "history", "", false, JSON_TRUE, &history, err);
    if (rc == 0 && history)
        t->no_history = !json_is_true(history);
    json_int_t max = 1;
    if (rc == 0)
        rc = az_doc_int(doc, "max_instances", "", true, 1, UINT32_MAX, &max, err);
    if (rc == 0)
        t->max_instances = (uint32_t)max;
    asyncz_time_t next;
    if (rc == 0)
        rc = az_doc_time(doc, "next_run_time", "", true, true, &next, err);
    if (rc == 0)
        rc = asyncz_task_set_next_run_time(t, next);
    if (rc == 0)
        rc = decode_request(t, doc, err);
    return rc;
}

static int decode_task(const json_t *doc, asyncz_task **out, az_trigger_memo *memo, asyncz_doc_error *err)
{
    identity ident;
    int rc = decode_identity(doc, &ident, err);
    if (rc < 0)
        return rc;
    asyncz_task *t;
    if (asyncz_task_new(&t, ident.func) < 0)
        return az_doc_fail(err, ASYNCZ_ENOMEM, "", "out of memory");
    rc = asyncz_task_set_id(t, ident.id);
    /* A name equal to the function name is kept as "follows the function", which is how it was written. */
    if (rc == 0 && strcmp(ident.name, ident.func) != 0)
        rc = asyncz_task_set_name(t, ident.name);
    if (rc < 0)
        rc = az_doc_fail(err, rc, "", "out of memory");
    if (rc == 0)
        rc = decode_args(t, doc, err);
    if (rc == 0)
        rc = decode_trigger(t, doc, memo, err);
    if (rc == 0)
        rc = decode_executor(t, doc, err);
    if (rc == 0)
        rc = decode_options(t, doc, err);
    if (rc < 0) {
        asyncz_task_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int asyncz_task_from_json(asyncz_task **out, const char *text, size_t len, asyncz_doc_error *err)
{
    return az_task_from_json_memo(out, text, len, NULL, err);
}

int az_task_from_json_memo(asyncz_task **out, const char *text, size_t len, az_trigger_memo *memo,
                           asyncz_doc_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!out)
        return az_doc_fail(err, ASYNCZ_EINVAL, "", "no output");
    *out = NULL;
    json_t *doc;
    int rc = az_doc_load(text, len, "a task document", &doc, err);
    if (rc < 0)
        return rc;
    /* The version first: a later version's new keys are better reported as that than as unknown keys. */
    rc = check_version(doc, err);
    if (rc == 0)
        rc = az_doc_check_keys(doc, task_keys, "", err);
    if (rc == 0)
        rc = decode_task(doc, out, memo, err);
    json_decref(doc);
    return rc;
}
