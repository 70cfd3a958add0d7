/* Task objects: construction, validated setters, getters, copies and references. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/task_internal.h"
#include "util/map.h"
#include "util/ids.h"

static const char DEFAULT_ALIAS[] = "default";

bool az_text_valid(const char *text, size_t max, bool tabs)
{
    if (!text || !*text)
        return false;
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0;
    while (p[n]) {
        unsigned c = p[n];
        if (c < 0x20 || c == 0x7f) {
            if (!(tabs && c == '\t'))
                return false;
            n++;
            continue;
        }
        if (c < 0x80) {
            n++;
            continue;
        }
        /* Multi-byte sequence: the lead byte gives the length; reject overlongs and surrogates. */
        int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (len == 0 || c > 0xf4)
            return false;
        uint32_t cp = c & (0x7f >> len);
        for (int i = 1; i < len; i++) {
            if ((p[n + i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[n + i] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        n += (size_t)len;
    }
    return n <= max;
}

static bool id_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '@' ||
        c == '+')
        return true;
    return !first && (c == '.' || c == '-');
}

bool asyncz_task_id_valid(const char *id)
{
    if (!id || !*id)
        return false;
    size_t n = 0;
    for (; id[n]; n++)
        if (n >= ASYNCZ_TASK_ID_MAX || !id_char(id[n], n == 0))
            return false;
    return true;
}

bool asyncz_alias_valid(const char *alias)
{
    if (!alias || !*alias)
        return false;
    size_t n = 0;
    for (; alias[n]; n++) {
        char c = alias[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok || n >= ASYNCZ_TASK_ALIAS_MAX)
            return false;
    }
    return true;
}

int asyncz_task_id_generate(char *buf, size_t size)
{
    if (!buf || size < 33)
        return ASYNCZ_EINVAL;
    uint8_t b[16];
    if (az_random_bytes(b, sizeof b) != 0)
        return ASYNCZ_EIO;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    az_hex_encode(buf, b, sizeof b);
    return 0;
}

/* ---- construction ---------------------------------------------------------------------------- */

int asyncz_task_new(asyncz_task **out, const char *func)
{
    if (!out || !az_text_valid(func, ASYNCZ_TASK_FUNC_MAX, false))
        return ASYNCZ_EINVAL;
    asyncz_task *t = calloc(1, sizeof *t);
    if (!t || !(t->func = strdup(func))) {
        free(t);
        return ASYNCZ_ENOMEM;
    }
    atomic_init(&t->refs, 1);
    t->grace = ASYNCZ_TASK_DEFAULT_GRACE;
    t->coalesce = ASYNCZ_TASK_DEFAULT_COALESCE;
    t->max_instances = ASYNCZ_TASK_DEFAULT_MAX_INSTANCES;
    t->next_run_time = ASYNCZ_TIME_NONE;
    t->run_requested = ASYNCZ_TIME_NONE;
    t->resume_next = ASYNCZ_TIME_NONE;
    *out = t;
    return 0;
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = strdup(src)))
        return ASYNCZ_ENOMEM;
    return 0;
}

int asyncz_task_copy(asyncz_task **out, const asyncz_task *task)
{
    if (!out || !task)
        return ASYNCZ_EINVAL;
    asyncz_task *t = calloc(1, sizeof *t);
    if (!t)
        return ASYNCZ_ENOMEM;
    /* Everything but the reference count, which other threads may be changing (a store's reference). */
    _Static_assert(offsetof(asyncz_task, refs) == 0, "refs must come first");
    memcpy((char *)t + offsetof(asyncz_task, id), (const char *)task + offsetof(asyncz_task, id),
           sizeof *t - offsetof(asyncz_task, id));
    atomic_init(&t->refs, 1);
    t->id = t->name = t->func = t->args_text = t->kwargs_text = t->executor = t->store = NULL;
    t->trigger = asyncz_trigger_ref(task->trigger);
    /* Copies get their own argument values: jansson's inline incref reads the count without atomics,
     * which races with another thread dropping a shared value (ThreadSanitizer sees it). */
    t->args = task->args ? json_deep_copy(task->args) : NULL;
    t->kwargs = task->kwargs ? json_deep_copy(task->kwargs) : NULL;
    if ((task->args && !t->args) || (task->kwargs && !t->kwargs) || dup_opt(&t->id, task->id) ||
        dup_opt(&t->name, task->name) || dup_opt(&t->func, task->func) ||
        dup_opt(&t->args_text, task->args_text) || dup_opt(&t->kwargs_text, task->kwargs_text) ||
        dup_opt(&t->executor, task->executor) || dup_opt(&t->store, task->store)) {
        asyncz_task_free(t);
        return ASYNCZ_ENOMEM;
    }
    *out = t;
    return 0;
}

asyncz_task *asyncz_task_ref(asyncz_task *task)
{
    if (task)
        atomic_fetch_add_explicit(&task->refs, 1, memory_order_relaxed);
    return task;
}

void asyncz_task_free(asyncz_task *task)
{
    if (!task || atomic_fetch_sub_explicit(&task->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(task->id);
    free(task->name);
    free(task->func);
    asyncz_trigger_unref(task->trigger);
    json_decref(task->args);
    json_decref(task->kwargs);
    free(task->args_text);
    free(task->kwargs_text);
    free(task->executor);
    free(task->store);
    free(task);
}

/* ---- setters ----------------------------------------------------------------------------------- */

/* Replace *field with a copy of value (NULL clears it). */
static int replace_text(char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return ASYNCZ_ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

int asyncz_task_set_id(asyncz_task *task, const char *id)
{
    if (!task || (id && !asyncz_task_id_valid(id)))
        return ASYNCZ_EINVAL;
    int rc = replace_text(&task->id, id);
    if (rc == 0)
        task->id_hash = id ? az_map_hash(id) : 0;
    return rc;
}

int asyncz_task_set_name(asyncz_task *task, const char *name)
{
    if (!task || (name && !az_text_valid(name, ASYNCZ_TASK_NAME_MAX, true)))
        return ASYNCZ_EINVAL;
    return replace_text(&task->name, name);
}

int asyncz_task_set_func(asyncz_task *task, const char *func)
{
    if (!task || !az_text_valid(func, ASYNCZ_TASK_FUNC_MAX, false))
        return ASYNCZ_EINVAL;
    return replace_text(&task->func, func);
}

int asyncz_task_set_trigger(asyncz_task *task, asyncz_trigger *trigger)
{
    if (!task)
        return ASYNCZ_EINVAL;
    asyncz_trigger *old = task->trigger;
    task->trigger = asyncz_trigger_ref(trigger);
    asyncz_trigger_unref(old);
    return 0;
}

/* Install a parsed args/kwargs value of the required type: its compact text is cached for the run context
 * and documents; empty values are kept as NULL so tasks without arguments cost nothing. */
static int set_json_value(json_t **slot, char **text_slot, json_t *value, bool want_array)
{
    if (!value)
        return ASYNCZ_ENOMEM;
    if (want_array ? !json_is_array(value) : !json_is_object(value)) {
        json_decref(value);
        return ASYNCZ_EPARSE;
    }
    char *text = NULL;
    bool empty = want_array ? json_array_size(value) == 0 : json_object_size(value) == 0;
    if (!empty) {
        text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) {
            json_decref(value);
            return ASYNCZ_ENOMEM;
        }
        if (strlen(text) > ASYNCZ_TASK_ARGS_MAX) {
            free(text);
            json_decref(value);
            return ASYNCZ_ETOOBIG;
        }
    }
    json_decref(*slot);
    free(*text_slot);
    if (empty) {
        json_decref(value);
        value = NULL;
    }
    *slot = value;
    *text_slot = text;
    return 0;
}

int az_task_set_args_value(asyncz_task *task, json_t *value)
{
    return set_json_value(&task->args, &task->args_text, value, true);
}

int az_task_set_kwargs_value(asyncz_task *task, json_t *value)
{
    return set_json_value(&task->kwargs, &task->kwargs_text, value, false);
}

static int parse_json_text(const char *json, json_t **out)
{
    if (strlen(json) > ASYNCZ_TASK_ARGS_MAX)
        return ASYNCZ_ETOOBIG;
    json_error_t err;
    *out = json_loads(json, JSON_REJECT_DUPLICATES, &err);
    return *out ? 0 : ASYNCZ_EPARSE;
}

int asyncz_task_set_args_json(asyncz_task *task, const char *json)
{
    if (!task)
        return ASYNCZ_EINVAL;
    json_t *v;
    int rc = json ? parse_json_text(json, &v) : ((v = json_array()) ? 0 : ASYNCZ_ENOMEM);
    return rc ? rc : az_task_set_args_value(task, v);
}

int asyncz_task_set_kwargs_json(asyncz_task *task, const char *json)
{
    if (!task)
        return ASYNCZ_EINVAL;
    json_t *v;
    int rc = json ? parse_json_text(json, &v) : ((v = json_object()) ? 0 : ASYNCZ_ENOMEM);
    return rc ? rc : az_task_set_kwargs_value(task, v);
}

int asyncz_task_set_executor(asyncz_task *task, const char *alias)
{
    if (!task || (alias && !asyncz_alias_valid(alias)))
        return ASYNCZ_EINVAL;
    return replace_text(&task->executor, alias && strcmp(alias, DEFAULT_ALIAS) ? alias : NULL);
}

int asyncz_task_set_store(asyncz_task *task, const char *alias)
{
    if (!task || (alias && !asyncz_alias_valid(alias)))
        return ASYNCZ_EINVAL;
    return replace_text(&task->store, alias && strcmp(alias, DEFAULT_ALIAS) ? alias : NULL);
}

int asyncz_task_set_misfire_grace_time(asyncz_task *task, int64_t usec)
{
    if (!task || (usec <= 0 && usec != ASYNCZ_GRACE_UNLIMITED))
        return ASYNCZ_EINVAL;
    task->grace = usec;
    return 0;
}

int asyncz_task_set_coalesce(asyncz_task *task, bool coalesce)
{
    if (!task)
        return ASYNCZ_EINVAL;
    task->coalesce = coalesce;
    return 0;
}

int asyncz_task_set_history(asyncz_task *task, bool history)
{
    if (!task)
        return ASYNCZ_EINVAL;
    task->no_history = !history;
    return 0;
}

int asyncz_task_set_max_instances(asyncz_task *task, uint32_t max_instances)
{
    if (!task || max_instances < 1)
        return ASYNCZ_EINVAL;
    task->max_instances = max_instances;
    return 0;
}

int asyncz_task_set_next_run_time(asyncz_task *task, asyncz_time_t when)
{
    if (!task || (when != ASYNCZ_TIME_NONE && (when < ASYNCZ_TIME_MIN || when > ASYNCZ_TIME_MAX)))
        return ASYNCZ_EINVAL;
    task->next_run_time = when;
    task->has_next = true;
    task->run_requested = ASYNCZ_TIME_NONE; /* a new schedule supersedes a pending request */
    task->resume_next = ASYNCZ_TIME_NONE;
    return 0;
}

int asyncz_task_request_run(asyncz_task *task, asyncz_time_t at)
{
    if (!task || at == ASYNCZ_TIME_NONE || at < ASYNCZ_TIME_MIN || at > ASYNCZ_TIME_MAX)
        return ASYNCZ_EINVAL;
    if (task->run_requested != ASYNCZ_TIME_NONE)
        return 0; /* the first request stands */
    task->resume_next = task->has_next ? task->next_run_time : ASYNCZ_TIME_NONE;
    task->run_requested = at;
    if (!task->has_next || task->next_run_time == ASYNCZ_TIME_NONE || at < task->next_run_time)
        task->next_run_time = at;
    task->has_next = true;
    return 0;
}

void az_task_set_schedule(asyncz_task *task, asyncz_time_t next)
{
    task->has_next = true;
    if (task->run_requested == ASYNCZ_TIME_NONE) {
        task->next_run_time = next;
        return;
    }
    task->resume_next = next;
    task->next_run_time = next != ASYNCZ_TIME_NONE && next < task->run_requested ? next : task->run_requested;
}

asyncz_time_t asyncz_task_run_requested(const asyncz_task *task)
{
    return task ? task->run_requested : ASYNCZ_TIME_NONE;
}

/* ---- getters --------------------------------------------------------------------------------- */

const char *asyncz_task_id(const asyncz_task *task)
{
    return task ? task->id : NULL;
}

const char *asyncz_task_name(const asyncz_task *task)
{
    return !task ? NULL : task->name ? task->name : task->func;
}

const char *asyncz_task_func(const asyncz_task *task)
{
    return task ? task->func : NULL;
}

asyncz_trigger *asyncz_task_trigger(const asyncz_task *task)
{
    return task ? task->trigger : NULL;
}

const char *asyncz_task_args_json(const asyncz_task *task)
{
    return task && task->args_text ? task->args_text : "[]";
}

const char *asyncz_task_kwargs_json(const asyncz_task *task)
{
    return task && task->kwargs_text ? task->kwargs_text : "{}";
}

const char *asyncz_task_executor(const asyncz_task *task)
{
    return task && task->executor ? task->executor : DEFAULT_ALIAS;
}

const char *asyncz_task_store(const asyncz_task *task)
{
    return task && task->store ? task->store : DEFAULT_ALIAS;
}

int64_t asyncz_task_misfire_grace_time(const asyncz_task *task)
{
    return task ? task->grace : 0;
}

bool asyncz_task_history(const asyncz_task *task)
{
    return task && !task->no_history;
}

bool asyncz_task_coalesce(const asyncz_task *task)
{
    return task && task->coalesce;
}

uint32_t asyncz_task_max_instances(const asyncz_task *task)
{
    return task ? task->max_instances : 0;
}

asyncz_time_t asyncz_task_next_run_time(const asyncz_task *task)
{
    return task ? task->next_run_time : ASYNCZ_TIME_NONE;
}

bool asyncz_task_has_next_run_time(const asyncz_task *task)
{
    return task && task->has_next;
}

bool asyncz_task_paused(const asyncz_task *task)
{
    if (!task || !task->has_next)
        return false;
    if (task->run_requested != ASYNCZ_TIME_NONE)
        return task->resume_next == ASYNCZ_TIME_NONE;
    return task->next_run_time == ASYNCZ_TIME_NONE;
}

/* ---- validation ------------------------------------------------------------------------------- */

static int fail(char *errbuf, size_t errsize, const char *msg)
{
    if (errbuf && errsize)
        snprintf(errbuf, errsize, "%s", msg);
    return ASYNCZ_EINVAL;
}

int az_task_check(const asyncz_task *t, char *errbuf, size_t errsize)
{
    if (!t)
        return fail(errbuf, errsize, "no task");
    if (t->id && !asyncz_task_id_valid(t->id))
        return fail(errbuf, errsize,
                    "id must be 1-255 characters of A-Z a-z 0-9 . _ @ + -, not starting with . or -");
    if (!az_text_valid(t->func, ASYNCZ_TASK_FUNC_MAX, false))
        return fail(errbuf, errsize, "func must be 1-255 bytes of UTF-8 text without control characters");
    if (t->name && !az_text_valid(t->name, ASYNCZ_TASK_NAME_MAX, true))
        return fail(errbuf, errsize, "name must be 1-1024 bytes of UTF-8 text without control characters");
    if ((t->executor && !asyncz_alias_valid(t->executor)) || (t->store && !asyncz_alias_valid(t->store)))
        return fail(errbuf, errsize, "aliases must be 1-64 characters of A-Z a-z 0-9 . _ -");
    if (t->grace <= 0 && t->grace != ASYNCZ_GRACE_UNLIMITED)
        return fail(errbuf, errsize, "misfire_grace_time must be positive or unlimited");
    if (t->max_instances < 1)
        return fail(errbuf, errsize, "max_instances must be at least 1");
    return 0;
}

int asyncz_task_validate(const asyncz_task *task, char *errbuf, size_t errsize)
{
    return az_task_check(task, errbuf, errsize);
}
