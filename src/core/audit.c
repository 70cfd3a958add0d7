/* The audit trail (asyncz/audit.h): action names, the actor of each thread, queries, and recording a change
 * of a task as the difference of its documents. */
#include <jansson.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/audit.h"
#include "core/history.h"
#include "core/task_internal.h"
#include "util/host.h"
#include "util/ids.h"
#include "util/options.h"

#define ACTOR_MAX 255

static const char *const ACTION_NAMES[] = {NULL, "add", "update", "pause", "resume", "remove", "run"};
#define N_ACTIONS (sizeof ACTION_NAMES / sizeof ACTION_NAMES[0])

const char *asyncz_audit_action_name(asyncz_audit_action a)
{
    return (unsigned)a > 0 && (unsigned)a < N_ACTIONS ? ACTION_NAMES[a] : "unknown";
}

int asyncz_audit_action_parse(const char *name, asyncz_audit_action *out)
{
    for (size_t i = 1; name && out && i < N_ACTIONS; i++)
        if (strcmp(name, ACTION_NAMES[i]) == 0) {
            *out = (asyncz_audit_action)i;
            return 0;
        }
    return ASYNCZ_EINVAL;
}

/* ---- the actor --------------------------------------------------------------------------------------- */

static __thread char *thread_actor;
static char default_actor[ACTOR_MAX + 1];
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

/* "NAME (uid N)" of the effective user, or "uid N" when the user has no name here. */
static void make_default_actor(void)
{
    uid_t uid = geteuid();
    struct passwd pw, *found = NULL;
    char buf[1024];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name[0])
        snprintf(default_actor, sizeof default_actor, "%.200s (uid %u)", found->pw_name, (unsigned)uid);
    else
        snprintf(default_actor, sizeof default_actor, "uid %u", (unsigned)uid);
}

static bool actor_ok(const char *a)
{
    size_t n = strlen(a);
    if (n == 0 || n > ACTOR_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
            return false;
    return true;
}

int asyncz_set_actor(const char *actor)
{
    char *copy = NULL;
    if (actor && !actor_ok(actor))
        return ASYNCZ_EINVAL;
    if (actor && !(copy = strdup(actor)))
        return ASYNCZ_ENOMEM;
    free(thread_actor);
    thread_actor = copy;
    return 0;
}

const char *asyncz_actor(void)
{
    if (thread_actor)
        return thread_actor;
    pthread_once(&default_once, make_default_actor);
    return default_actor;
}

/* ---- queries ----------------------------------------------------------------------------------------- */

static const size_t QUERY_SIZE[] = {0, sizeof(asyncz_audit_query)};

static void query_defaults(asyncz_audit_query *q)
{
    memset(q, 0, sizeof *q);
    q->version = ASYNCZ_AUDIT_QUERY_VERSION;
    q->since = q->until = ASYNCZ_TIME_NONE;
    q->limit = ASYNCZ_HISTORY_DEFAULT_LIMIT;
}

int asyncz_audit_query_init_version(asyncz_audit_query *q, uint32_t version)
{
    char why[256];
    if (!q)
        return ASYNCZ_EINVAL;
    if (az_options_version_problem("asyncz_audit_query", "asyncz_audit_query_init", version,
                                   ASYNCZ_AUDIT_QUERY_VERSION, why, sizeof why) != 0) {
        q->version = version;
        return ASYNCZ_EINVAL;
    }
    asyncz_audit_query d;
    query_defaults(&d);
    az_options_fill(q, &d, QUERY_SIZE, version);
    return 0;
}

int az_audit_query_read(const asyncz_audit_query *in, asyncz_audit_query *out, char *why, size_t size)
{
    query_defaults(out);
    out->cursor = "";
    if (!in)
        return 0;
    if (az_options_version_problem("asyncz_audit_query", "asyncz_audit_query_init", in->version,
                                   ASYNCZ_AUDIT_QUERY_VERSION, why, size) != 0)
        return ASYNCZ_EINVAL;
    az_options_copy(out, in, QUERY_SIZE, ASYNCZ_AUDIT_QUERY_VERSION);
    if (out->actions >> N_ACTIONS || (out->actions & 1u)) {
        snprintf(why, size, "the query's actions 0x%x hold bits of no action", (unsigned)out->actions);
        return ASYNCZ_EINVAL;
    }
    int rc = az_page_read(&out->limit, &out->cursor, why, size);
    if (rc)
        return rc;
    if (out->cursor[0] && !az_run_id_valid(out->cursor)) {
        snprintf(why, size, "the query's cursor is not one a listing hands out");
        return ASYNCZ_EINVAL;
    }
    return 0;
}

bool az_audit_matches(const asyncz_audit_entry *e, const asyncz_audit_query *q)
{
    if (q->task_id && (!e->task_id || strcmp(q->task_id, e->task_id) != 0))
        return false;
    if (q->actor && (!e->actor || strcmp(q->actor, e->actor) != 0))
        return false;
    if (q->actions && !(q->actions & ASYNCZ_AUDIT_ACTION_BIT(e->action)))
        return false;
    if (q->since != ASYNCZ_TIME_NONE && e->at < q->since)
        return false;
    return q->until == ASYNCZ_TIME_NONE || e->at < q->until;
}

bool az_store_has_audit(const asyncz_store_ops *ops)
{
    return ops->version >= 4 && ops->audit_put && ops->audit_list;
}

/* ---- entries ------------------------------------------------------------------------------------------ */

int az_audit_entry_copy_into(asyncz_audit_entry *dst, const asyncz_audit_entry *src)
{
    *dst = *src;
    const char **fields[] = {&dst->task_id, &dst->actor, &dst->host, &dst->changes};
    bool ok = true;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *s = *fields[i];
        *fields[i] = s ? strdup(s) : NULL;
        ok = ok && (!s || *fields[i]);
    }
    if (!ok) {
        az_audit_entry_clear(dst);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

void az_audit_entry_clear(asyncz_audit_entry *e)
{
    free((char *)e->task_id);
    free((char *)e->actor);
    free((char *)e->host);
    free((char *)e->changes);
    memset(e, 0, sizeof *e);
}

/* ---- recording ---------------------------------------------------------------------------------------- */

/* A task's document as a JSON object (NULL task: an empty object). */
static json_t *doc_of(const asyncz_task *t)
{
    if (!t)
        return json_object();
    char *text = NULL;
    if (asyncz_task_to_json(t, &text, NULL) != 0)
        return NULL;
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    return doc;
}

static int add_change(json_t *changes, const char *key, json_t *before, json_t *after)
{
    json_t *pair =
        json_pack("{sOsO}", "before", before ? before : json_null(), "after", after ? after : json_null());
    return pair ? json_object_set_new(changes, key, pair) : -1;
}

/* Whether a document member is one a change is about (not the document's format version). */
static bool is_field(const char *key)
{
    return strcmp(key, "v") != 0;
}

/* {"field": {"before": b, "after": a}} for every field whose value differs. */
static char *diff_of(const asyncz_task *before, const asyncz_task *after)
{
    json_t *b = doc_of(before), *a = doc_of(after), *changes = json_object();
    char *text = NULL;
    const char *key;
    json_t *value;
    int rc = b && a && changes ? 0 : -1;
    json_object_foreach(b, key, value)
    {
        if (rc == 0 && is_field(key) && !json_equal(value, json_object_get(a, key)))
            rc = add_change(changes, key, value, json_object_get(a, key));
    }
    json_object_foreach(a, key, value)
    {
        if (rc == 0 && is_field(key) && !json_object_get(b, key))
            rc = add_change(changes, key, NULL, value);
    }
    if (rc == 0)
        text = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(b);
    json_decref(a);
    json_decref(changes);
    return text;
}

static void audit_failed(asyncz_store *st, asyncz_audit_action action, const char *task_id, const char *why)
{
    asyncz_log(ASYNCZ_LOG_WARNING, "asyncz.audit",
               "the %s of task \"%s\" by %s is not in the audit trail of the %s store: %s",
               asyncz_audit_action_name(action), task_id, asyncz_actor(), ASYNCZ_STORE_BASE(st)->ops->name,
               why);
}

void az_audit_task_change(asyncz_store *st, asyncz_audit_action action, const char *task_id,
                          const asyncz_task *before, const asyncz_task *after)
{
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    if (!az_store_has_audit(ops))
        return;
    asyncz_audit_entry e = {.at = asyncz_now(),
                            .action = action,
                            .task_id = task_id,
                            .actor = asyncz_actor(),
                            .host = az_host_name(),
                            .pid = (int64_t)getpid()};
    char *changes = diff_of(before, after);
    if (!changes || az_run_id_generate(e.id) != 0) {
        audit_failed(st, action, task_id, "out of memory");
        free(changes);
        return;
    }
    if (action == ASYNCZ_AUDIT_UPDATE && strcmp(changes, "{}") == 0) {
        free(changes); /* written again as it was: not a change */
        return;
    }
    e.changes = changes;
    /* The caller's message about the change it made stays what asyncz_store_errmsg() says. */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", asyncz_store_errmsg());
    int rc = ops->audit_put(st, &e, 1);
    if (rc)
        audit_failed(st, action, task_id,
                     asyncz_store_errmsg()[0] ? asyncz_store_errmsg() : asyncz_strerror(rc));
    asyncz_store_set_errmsg("%s", msg);
    free(changes);
}
