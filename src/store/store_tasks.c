/* The tasks of an application-connected store, one by id: get, add, update, remove, pause, resume, request a
 * run (asyncz/store.h), and the message a custom store sets for its caller (asyncz_store_set_errmsg). What
 * `asyncz pause`, `resume` and `run` do to a stored task is written here, once. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/audit.h"
#include "asyncz/sys/store.h"
#include "core/task_internal.h"
#include "store/backend.h"
#include "store/store_api.h"

void asyncz_store_set_errmsg(const char *fmt, ...)
{
    char msg[512];
    msg[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    (void)az_store_fail(0, "%s", msg);
}

/* ---- checks and messages --------------------------------------------------------------------------------
 */

static const asyncz_store_ops *ops_of(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

int az_store_api_check(asyncz_store *st)
{
    if (!st)
        return az_store_fail(ASYNCZ_EINVAL, "no store");
    if (!ASYNCZ_STORE_BASE(st)->connected)
        return az_store_fail(ASYNCZ_ESTATE, "the %s store is not connected (asyncz_store_connect)",
                             ops_of(st)->name);
    asyncz_store_set_errmsg("%s", ""); /* a store's own message, if it sets one, is then the one kept */
    return 0;
}

/* The store checked, and an id that can name a task. */
static int check_id(asyncz_store *st, const char *id)
{
    int rc = az_store_api_check(st);
    if (rc)
        return rc;
    if (!asyncz_task_id_valid(id))
        return az_store_fail(ASYNCZ_EINVAL,
                             "%s%s%s is not a valid task id (1 to 255 of A-Z a-z 0-9 . _ @ + -, "
                             "not starting with . or -)",
                             id ? "\"" : "", id ? id : "NULL", id ? "\"" : "");
    return 0;
}

/* Whether the store's message names the task id, quoted as messages quote it. */
static bool names_id(const char *msg, const char *id)
{
    char quoted[300];
    snprintf(quoted, sizeof quoted, "\"%s\"", id);
    return strstr(msg, quoted) != NULL;
}

int az_store_api_failed(asyncz_store *st, int rc, const char *id, const char *doing)
{
    const char *said = asyncz_store_errmsg();
    if (said[0] && id && !names_id(said, id)) { /* the store said what was wrong, not of which task */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", said);
        return az_store_fail(rc, "task \"%s\": %s", id, msg);
    }
    if (said[0])
        return rc;
    const char *kind = ops_of(st)->name;
    if (rc == ASYNCZ_ENOTFOUND && id)
        return az_store_fail(rc, "no task with id \"%s\" in the %s store", id, kind);
    if (rc == ASYNCZ_EEXISTS && id)
        return az_store_fail(rc, "the %s store already holds a task with id \"%s\"", kind, id);
    if (id)
        return az_store_fail(rc, "cannot %s task \"%s\" in the %s store: %s", doing, id, kind,
                             asyncz_strerror(rc));
    return az_store_fail(rc, "cannot %s the %s store: %s", doing, kind, asyncz_strerror(rc));
}

/* *out = a copy of t (out may be NULL). */
static int hand_out(asyncz_task **out, const asyncz_task *t)
{
    if (!out)
        return 0;
    int rc = asyncz_task_copy(out, t);
    if (rc)
        *out = NULL;
    return rc ? az_store_fail(rc, "task \"%s\": out of memory", t->id) : 0;
}

/* The stored task (a reference: read it, do not change it). */
static int lookup(asyncz_store *st, const char *id, asyncz_task **t)
{
    *t = NULL;
    int rc = ops_of(st)->lookup(st, id, t);
    return rc ? az_store_api_failed(st, rc, id, "read") : 0;
}

/* A copy of t to change (*copy NULL on failure). */
static int copy_of(const asyncz_task *t, asyncz_task **copy)
{
    int rc = asyncz_task_copy(copy, t);
    if (rc)
        *copy = NULL;
    return rc ? az_store_fail(rc, "task \"%s\": out of memory", t->id) : 0;
}

/* Write changed (a complete task of the same id) over the stored one. */
static int write_back(asyncz_store *st, asyncz_task *changed)
{
    int rc = ops_of(st)->update(st, changed);
    return rc ? az_store_api_failed(st, rc, changed->id, "write") : 0;
}

/* The stored task of id for the audit trail's "before" (NULL when the store keeps no audit trail, or the
 * task cannot be read: the change goes on, recorded without it). */
static asyncz_task *audit_before(asyncz_store *st, const char *id)
{
    asyncz_task *old = NULL;
    if (az_store_has_audit(ops_of(st)) && ops_of(st)->lookup(st, id, &old) != 0)
        old = NULL;
    asyncz_store_set_errmsg("%s", "");
    return old;
}

static void set_flag(bool *flag, bool value)
{
    if (flag)
        *flag = value;
}

/* ---- one task ---------------------------------------------------------------------------------------------
 */

int asyncz_store_get_task(asyncz_store *st, const char *id, asyncz_task **out)
{
    if (out)
        *out = NULL;
    int rc = check_id(st, id);
    if (rc == 0 && !out)
        rc = az_store_fail(ASYNCZ_EINVAL, "no out");
    asyncz_task *t = NULL;
    if (rc == 0 && (rc = lookup(st, id, &t)) == 0)
        rc = hand_out(out, t);
    asyncz_task_free(t);
    return rc;
}

/* A copy for the store to keep: the caller's task stays the caller's to change. */
static int task_copy(asyncz_store *st, const asyncz_task *task, asyncz_task **copy)
{
    int rc = az_store_api_check(st);
    if (rc)
        return rc;
    if (!task || !task->id)
        return az_store_fail(ASYNCZ_EINVAL, "%s", task ? "the task has no id" : "no task");
    return copy_of(task, copy);
}

int asyncz_store_add_task(asyncz_store *st, const asyncz_task *task, bool replace)
{
    asyncz_task *copy = NULL;
    int rc = task_copy(st, task, &copy);
    if (rc)
        return rc;
    const asyncz_store_ops *ops = ops_of(st);
    asyncz_task *old = NULL;
    rc = ops->add(st, copy);
    if (rc == ASYNCZ_EEXISTS && replace) {
        asyncz_store_set_errmsg("%s", "");
        old = audit_before(st, copy->id);
        rc = ops->update(st, copy);
        if (rc == ASYNCZ_ENOTFOUND) { /* removed meanwhile */
            asyncz_store_set_errmsg("%s", "");
            asyncz_task_free(old);
            old = NULL;
            rc = ops->add(st, copy);
        }
    }
    if (rc)
        az_store_api_failed(st, rc, copy->id, "add");
    else
        az_audit_task_change(st, old ? ASYNCZ_AUDIT_UPDATE : ASYNCZ_AUDIT_ADD, copy->id, old, copy);
    asyncz_task_free(old);
    asyncz_task_free(copy);
    return rc;
}

int asyncz_store_update_task(asyncz_store *st, const asyncz_task *task)
{
    asyncz_task *copy = NULL, *old = NULL;
    int rc = task_copy(st, task, &copy);
    if (rc == 0)
        old = audit_before(st, copy->id);
    if (rc == 0 && (rc = write_back(st, copy)) == 0)
        az_audit_task_change(st, ASYNCZ_AUDIT_UPDATE, copy->id, old, copy);
    asyncz_task_free(old);
    asyncz_task_free(copy);
    return rc;
}

int asyncz_store_remove_task(asyncz_store *st, const char *id)
{
    int rc = check_id(st, id);
    asyncz_task *old = rc == 0 ? audit_before(st, id) : NULL;
    if (rc == 0 && (rc = ops_of(st)->remove(st, id)) != 0)
        az_store_api_failed(st, rc, id, "remove");
    else if (rc == 0)
        az_audit_task_change(st, ASYNCZ_AUDIT_REMOVE, id, old, NULL);
    asyncz_task_free(old);
    return rc;
}

/* ---- pause, resume, request a run --------------------------------------------------------------------- */

/* Give a copy of t the next run time `next` of its own schedule, keeping a pending run request, and write it
 * back; *out (may be NULL) receives a copy of what was written. */
static int reschedule(asyncz_store *st, const asyncz_task *t, asyncz_time_t next, asyncz_audit_action action,
                      asyncz_task **out)
{
    asyncz_task *changed = NULL;
    int rc = copy_of(t, &changed);
    if (rc == 0) {
        az_task_set_schedule(changed, next);
        rc = write_back(st, changed);
    }
    if (rc == 0)
        az_audit_task_change(st, action, t->id, t, changed);
    if (rc == 0)
        rc = hand_out(out, changed);
    asyncz_task_free(changed);
    return rc;
}

int asyncz_store_pause_task(asyncz_store *st, const char *id, asyncz_task **out, bool *changed)
{
    if (out)
        *out = NULL;
    set_flag(changed, false);
    asyncz_task *t = NULL;
    int rc = check_id(st, id);
    if (rc == 0)
        rc = lookup(st, id, &t);
    unsigned state = rc ? 0 : asyncz_task_state(t);
    if (state == ASYNCZ_TASK_STATE_SHUTDOWN)
        rc = az_store_fail(ASYNCZ_ESTATE,
                           "task \"%s\" in the %s store runs when a scheduler shuts down; it has no next run "
                           "time to pause",
                           id, ops_of(st)->name);
    else if (state == ASYNCZ_TASK_STATE_PAUSED)
        rc = hand_out(out, t);
    else if (state && (rc = reschedule(st, t, ASYNCZ_TIME_NONE, ASYNCZ_AUDIT_PAUSE, out)) == 0)
        set_flag(changed, true);
    asyncz_task_free(t);
    return rc;
}

/* The next run time a resume as of now gives t: its trigger's first fire time, now without a trigger. */
static int resume_time(asyncz_store *st, const asyncz_task *t, asyncz_time_t now, asyncz_time_t *next)
{
    *next = now;
    if (!t->trigger)
        return 0;
    int rc = asyncz_trigger_next(t->trigger, ASYNCZ_TIME_NONE, now, next);
    if (rc)
        return az_store_fail(rc, "cannot compute the next run time of task \"%s\" in the %s store: %s", t->id,
                             ops_of(st)->name, asyncz_strerror(rc));
    if (*next == ASYNCZ_TIME_NONE)
        return az_store_fail(
            ASYNCZ_ESTATE,
            "the trigger of task \"%s\" in the %s store has no fire time left; nothing changed "
            "(remove the task or give it a new trigger)",
            t->id, ops_of(st)->name);
    return 0;
}

int asyncz_store_resume_task(asyncz_store *st, const char *id, asyncz_time_t now, asyncz_task **out,
                             bool *changed)
{
    if (out)
        *out = NULL;
    set_flag(changed, false);
    asyncz_task *t = NULL;
    asyncz_time_t next;
    int rc = check_id(st, id);
    if (rc == 0)
        rc = lookup(st, id, &t);
    if (rc == 0 && asyncz_task_state(t) != ASYNCZ_TASK_STATE_PAUSED)
        rc = hand_out(out, t);
    else if (rc == 0 && (rc = resume_time(st, t, now == ASYNCZ_TIME_NONE ? asyncz_now() : now, &next)) == 0 &&
             (rc = reschedule(st, t, next, ASYNCZ_AUDIT_RESUME, out)) == 0)
        set_flag(changed, true);
    asyncz_task_free(t);
    return rc;
}

int asyncz_store_request_run(asyncz_store *st, const char *id, asyncz_time_t at, asyncz_task **out,
                             bool *queued)
{
    if (out)
        *out = NULL;
    set_flag(queued, false);
    int rc = check_id(st, id);
    if (rc)
        return rc;
    if (at == ASYNCZ_TIME_NONE)
        at = asyncz_now();
    if (at < ASYNCZ_TIME_MIN || at > ASYNCZ_TIME_MAX)
        return az_store_fail(ASYNCZ_EINVAL, "the run of task \"%s\" is asked for at a time out of range", id);
    asyncz_task *t = NULL, *changed = NULL;
    rc = lookup(st, id, &t);
    bool pending = rc == 0 && t->run_requested != ASYNCZ_TIME_NONE;
    if (pending)
        rc = hand_out(out, t);
    else if (rc == 0 && (rc = copy_of(t, &changed)) == 0 &&
             (rc = asyncz_task_request_run(changed, at)) == 0 && (rc = write_back(st, changed)) == 0) {
        az_audit_task_change(st, ASYNCZ_AUDIT_RUN, id, t, changed);
        if ((rc = hand_out(out, changed)) == 0)
            set_flag(queued, true);
    }
    asyncz_task_free(changed);
    asyncz_task_free(t);
    return rc;
}
