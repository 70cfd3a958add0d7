/* The task API of the scheduler: add, get, list, update, reschedule, pause, resume, run now, remove. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/scheduler_internal.h"
#include "core/task_internal.h"

static const asyncz_store_ops *ops_of(az_store_slot *slot)
{
    return ASYNCZ_STORE_BASE(slot->store)->ops;
}

static bool running(asyncz_scheduler *s)
{
    return asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED;
}

/* The next run time a trigger gives a task as of now. */
static int first_run_time(asyncz_task *t, asyncz_time_t now)
{
    asyncz_time_t next;
    int rc = asyncz_trigger_next(t->trigger, ASYNCZ_TIME_NONE, now, &next);
    if (rc)
        return az_sched_fail(rc, "the trigger of task \"%s\" cannot compute its next run time: %s", t->id,
                             asyncz_strerror(rc));
    az_task_set_schedule(t, next); /* a pending run request stays */
    return 0;
}

/* Fill what the caller left out: an id, a trigger, the next run time (as of now). */
static int complete_task(asyncz_scheduler *s, asyncz_task *t, asyncz_time_t now)
{
    if (!t->id) {
        char id[33];
        int rc = asyncz_task_id_generate(id, sizeof id);
        if (rc || (rc = asyncz_task_set_id(t, id)) != 0)
            return az_sched_fail(rc, "cannot generate a task id");
    }
    if (!t->trigger) {
        asyncz_trigger_options o;
        asyncz_trigger_options_init(&o);
        o.timezone = s->zone;
        int rc = asyncz_trigger_date_new(&t->trigger, now, &o);
        if (rc)
            return az_sched_fail(rc, "cannot make a date trigger");
    }
    return t->has_next ? 0 : first_run_time(t, now);
}

/* Put a complete task into its store (lock held, scheduler running). */
static int store_task(asyncz_scheduler *s, asyncz_task *t, bool replace, az_event_buf *events)
{
    az_store_slot *slot = az_sched_find_store(s, asyncz_task_store(t));
    if (!slot)
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", asyncz_task_store(t));
    int rc = ops_of(slot)->add(slot->store, t);
    if (rc == ASYNCZ_EEXISTS && replace)
        rc = ops_of(slot)->update(slot->store, t);
    if (rc == ASYNCZ_EEXISTS)
        return az_sched_fail(rc, "a task with id \"%s\" already exists in store \"%s\"", t->id, slot->alias);
    if (rc)
        return az_sched_fail(rc, "store \"%s\" refused task \"%s\": %s", slot->alias, t->id,
                             asyncz_strerror(rc));
    if (events)
        az_events_add(s, events, ASYNCZ_EVENT_TASK_ADDED, slot->alias, t);
    return 0;
}

/* Tasks added before start go to their stores now (lock held). */
void az_sched_add_pending_to_stores(asyncz_scheduler *s, asyncz_time_t now, az_event_buf *events)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        asyncz_task *t = s->pending[i];
        int rc = t->has_next ? 0 : first_run_time(t, now);
        if (rc == 0 && !az_sched_find_store(s, asyncz_task_store(t))) {
            s->pending[kept++] = t; /* its store may still be added */
            continue;
        }
        if (rc == 0) /* TASK_ADDED was reported when the task was added */
            rc = store_task(s, t, true, NULL);
        if (rc)
            asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\" added before start could not be stored: %s",
                       t->id, asyncz_scheduler_errmsg(s));
        asyncz_task_free(t);
    }
    s->n_pending = kept;
}

static int find_pending(asyncz_scheduler *s, const char *id)
{
    for (size_t i = 0; i < s->n_pending; i++)
        if (strcmp(s->pending[i]->id, id) == 0)
            return (int)i;
    return -1;
}

static int check_addable(asyncz_scheduler *s, const asyncz_task *task)
{
    char why[160];
    if (az_task_check(task, why, sizeof why) != 0)
        return az_sched_fail(ASYNCZ_EINVAL, "invalid task: %s", why);
    if (!az_registry_get(&s->registry, task->func))
        return az_sched_fail(ASYNCZ_ENOTFOUND, "function \"%s\" is not registered", task->func);
    if (running(s) && !az_sched_find_exec(s, asyncz_task_executor(task)))
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no executor named \"%s\"", asyncz_task_executor(task));
    return 0;
}

/* Apply the scheduler's defaults to options the caller left at the library defaults. */
static void apply_defaults(asyncz_scheduler *s, asyncz_task *t)
{
    if (t->grace == ASYNCZ_TASK_DEFAULT_GRACE)
        t->grace = s->opts.misfire_grace_time;
    if (t->coalesce == ASYNCZ_TASK_DEFAULT_COALESCE)
        t->coalesce = s->opts.coalesce;
    if (t->max_instances == ASYNCZ_TASK_DEFAULT_MAX_INSTANCES)
        t->max_instances = s->opts.max_instances;
}

static int add_locked(asyncz_scheduler *s, asyncz_task *copy, bool replace, az_event_buf *events)
{
    int rc = check_addable(s, copy);
    if (rc == 0)
        rc = complete_task(s, copy, az_sched_now(s));
    if (rc)
        return rc;
    if (running(s))
        return store_task(s, copy, replace, events);
    int at = find_pending(s, copy->id);
    if (at >= 0 && !replace)
        return az_sched_fail(ASYNCZ_EEXISTS, "a task with id \"%s\" is already waiting to be added",
                             copy->id);
    if (at >= 0) {
        asyncz_task_free(s->pending[at]);
        s->pending[at] = asyncz_task_ref(copy);
    } else {
        asyncz_task **grown = realloc(s->pending, (s->n_pending + 1) * sizeof *grown);
        if (!grown)
            return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
        s->pending = grown;
        s->pending[s->n_pending++] = asyncz_task_ref(copy);
    }
    az_events_add(s, events, ASYNCZ_EVENT_TASK_ADDED, asyncz_task_store(copy), copy);
    return 0;
}

int asyncz_scheduler_add_task(asyncz_scheduler *s, asyncz_task *task, unsigned flags)
{
    if (!s || !task)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no task");
    asyncz_task *copy;
    if (asyncz_task_copy(&copy, task) != 0)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    apply_defaults(s, copy);
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    int rc = add_locked(s, copy, (flags & ASYNCZ_REPLACE_EXISTING) != 0, &events);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && !task->id)
        asyncz_task_set_id(task, copy->id);
    asyncz_task_free(copy);
    if (rc == 0)
        az_loop_wake(s);
    az_events_deliver(s, &events);
    return rc;
}

/* ---- lookups ---------------------------------------------------------------------------------------- */

/* A copy of a task with the store alias it was found in. */
static int copy_with_store(asyncz_task **out, asyncz_task *t, const char *alias)
{
    int rc = asyncz_task_copy(out, t);
    if (rc == 0 && (rc = asyncz_task_set_store(*out, alias)) != 0)
        asyncz_task_free(*out);
    return rc;
}

/* Find a stored task by id in one store or every store (lock held). *out: a new reference. */
static int find_task(asyncz_scheduler *s, const char *id, const char *store, asyncz_task **out,
                     az_store_slot **slot_out)
{
    if (!id)
        return az_sched_fail(ASYNCZ_EINVAL, "no task id");
    if (store && !az_sched_find_store(s, store))
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", store);
    for (size_t i = 0; i < s->n_stores; i++) {
        az_store_slot *slot = s->stores[i];
        if (store && strcmp(slot->alias, store) != 0)
            continue;
        if (ops_of(slot)->lookup(slot->store, id, out) == 0) {
            *slot_out = slot;
            return 0;
        }
    }
    return az_sched_fail(ASYNCZ_ENOTFOUND, "no task with id \"%s\"%s%s", id, store ? " in store " : "",
                         store ? store : "");
}

int asyncz_scheduler_get_task(asyncz_scheduler *s, asyncz_task **out, const char *id, const char *store)
{
    if (!s || !out)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no out");
    pthread_mutex_lock(&s->lock);
    asyncz_task *t = NULL;
    az_store_slot *slot = NULL;
    int rc = 0, at = id ? find_pending(s, id) : -1;
    if (at >= 0 && (!store || strcmp(store, asyncz_task_store(s->pending[at])) == 0))
        rc = asyncz_task_copy(out, s->pending[at]);
    else if ((rc = find_task(s, id, store, &t, &slot)) == 0)
        rc = copy_with_store(out, t, slot->alias);
    pthread_mutex_unlock(&s->lock);
    asyncz_task_free(t);
    return rc;
}

typedef struct list_ctx {
    asyncz_task_list *list;
    const char *alias;
} list_ctx;

static int list_one(asyncz_task *t, void *data)
{
    list_ctx *c = data;
    asyncz_task *copy;
    int rc = copy_with_store(&copy, t, c->alias);
    return rc ? rc : az_task_list_push(c->list, copy);
}

static int list_locked(asyncz_scheduler *s, asyncz_task_list *l, const char *store)
{
    if (store && !az_sched_find_store(s, store) && strcmp(store, "default") != 0)
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", store);
    for (size_t i = 0; i < s->n_stores; i++) {
        list_ctx c = {.list = l, .alias = s->stores[i]->alias};
        if (store && strcmp(c.alias, store) != 0)
            continue;
        int rc = ops_of(s->stores[i])->list(s->stores[i]->store, list_one, &c);
        if (rc)
            return az_sched_fail(rc, "cannot list store \"%s\": %s", c.alias, asyncz_strerror(rc));
    }
    for (size_t i = 0; i < s->n_pending; i++) {
        asyncz_task *copy;
        if (store && strcmp(store, asyncz_task_store(s->pending[i])) != 0)
            continue;
        if (asyncz_task_copy(&copy, s->pending[i]) != 0 || az_task_list_push(l, copy) != 0)
            return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    }
    return 0;
}

int asyncz_scheduler_list_tasks(asyncz_scheduler *s, asyncz_task_list **out, const char *store)
{
    if (!s || !out)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no out");
    asyncz_task_list *l = az_task_list_new();
    if (!l)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    pthread_mutex_lock(&s->lock);
    int rc = list_locked(s, l, store);
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        asyncz_task_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* ---- changes ---------------------------------------------------------------------------------------- */

/* Replace a stored (or pending) task by `next` (a new complete task object; reference consumed). */
static int replace_locked(asyncz_scheduler *s, asyncz_task *next, const char *store, uint32_t code,
                          az_event_buf *events)
{
    int at = find_pending(s, next->id);
    if (at >= 0) {
        asyncz_task_free(s->pending[at]);
        s->pending[at] = next;
        az_events_add(s, events, code, asyncz_task_store(next), next);
        return 0;
    }
    az_store_slot *slot = az_sched_find_store(s, store);
    int rc = slot ? ops_of(slot)->update(slot->store, next) : ASYNCZ_ENOTFOUND;
    if (rc == 0)
        az_events_add(s, events, code, slot->alias, next);
    else if (rc == ASYNCZ_ENOTFOUND)
        az_sched_fail(rc, "no task with id \"%s\" in store \"%s\"", asyncz_task_id(next), store);
    else
        az_sched_fail(rc, "store \"%s\" refused the change: %s", store, asyncz_strerror(rc));
    asyncz_task_free(next);
    return rc;
}

int asyncz_scheduler_update_task(asyncz_scheduler *s, const asyncz_task *task)
{
    if (!s || !task || !task->id)
        return az_sched_fail(ASYNCZ_EINVAL, "the task to update needs an id");
    asyncz_task *copy;
    if (asyncz_task_copy(&copy, task) != 0)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    int rc = check_addable(s, copy);
    if (rc == 0 && !copy->trigger)
        rc = az_sched_fail(ASYNCZ_EINVAL, "the task to update has no trigger");
    if (rc == 0 && !copy->has_next)
        rc = first_run_time(copy, az_sched_now(s));
    if (rc == 0)
        rc = replace_locked(s, asyncz_task_ref(copy), asyncz_task_store(copy), ASYNCZ_EVENT_TASK_MODIFIED,
                            &events);
    pthread_mutex_unlock(&s->lock);
    asyncz_task_free(copy);
    az_loop_wake(s);
    az_events_deliver(s, &events);
    return rc;
}

/* Fetch a copy of a stored or pending task for changing (lock held). *store_out: the alias it lives in. */
static int fetch_copy(asyncz_scheduler *s, const char *id, const char *store, asyncz_task **out,
                      const char **store_out)
{
    int at = id ? find_pending(s, id) : -1;
    if (at >= 0 && (!store || strcmp(store, asyncz_task_store(s->pending[at])) == 0)) {
        *store_out = asyncz_task_store(s->pending[at]);
        return asyncz_task_copy(out, s->pending[at]);
    }
    asyncz_task *t;
    az_store_slot *slot;
    int rc = find_task(s, id, store, &t, &slot);
    if (rc)
        return rc;
    rc = copy_with_store(out, t, slot->alias);
    asyncz_task_free(t);
    *store_out = slot->alias;
    return rc;
}

typedef enum change_kind { CHANGE_RESCHEDULE, CHANGE_PAUSE, CHANGE_RESUME } change_kind;

/* Remove a task whose trigger is exhausted on resume (lock held). */
static int remove_locked(asyncz_scheduler *s, const char *id, const char *store, az_event_buf *events);

static int change_locked(asyncz_scheduler *s, const char *id, const char *store, change_kind kind,
                         asyncz_trigger *trigger, az_event_buf *events)
{
    asyncz_task *t;
    const char *alias;
    int rc = fetch_copy(s, id, store, &t, &alias);
    if (rc)
        return rc;
    asyncz_time_t now = az_sched_now(s);
    if (kind == CHANGE_RESCHEDULE)
        asyncz_task_set_trigger(t, trigger);
    if (kind == CHANGE_PAUSE) {
        az_task_set_schedule(t, ASYNCZ_TIME_NONE);
    } else if ((rc = first_run_time(t, now)) != 0) {
        asyncz_task_free(t);
        return rc;
    }
    if (kind == CHANGE_RESUME && t->next_run_time == ASYNCZ_TIME_NONE) {
        asyncz_task_free(t);
        return remove_locked(s, id, alias, events);
    }
    return replace_locked(s, t, alias, ASYNCZ_EVENT_TASK_MODIFIED, events);
}

static int change(asyncz_scheduler *s, const char *id, const char *store, change_kind kind,
                  asyncz_trigger *trigger)
{
    if (!s || !id)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no task id");
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    int rc = change_locked(s, id, store, kind, trigger, &events);
    pthread_mutex_unlock(&s->lock);
    az_loop_wake(s);
    az_events_deliver(s, &events);
    return rc;
}

int asyncz_scheduler_reschedule_task(asyncz_scheduler *s, const char *id, const char *store,
                                     asyncz_trigger *trigger)
{
    if (!trigger)
        return az_sched_fail(ASYNCZ_EINVAL, "no trigger");
    return change(s, id, store, CHANGE_RESCHEDULE, trigger);
}

int asyncz_scheduler_pause_task(asyncz_scheduler *s, const char *id, const char *store)
{
    return change(s, id, store, CHANGE_PAUSE, NULL);
}

int asyncz_scheduler_resume_task(asyncz_scheduler *s, const char *id, const char *store)
{
    return change(s, id, store, CHANGE_RESUME, NULL);
}

int asyncz_scheduler_run_task(asyncz_scheduler *s, const char *id, const char *store)
{
    if (!s || !id)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no task id");
    pthread_mutex_lock(&s->lock);
    int rc = running(s) ? 0 : az_sched_fail(ASYNCZ_ESTATE, "the scheduler is not running");
    asyncz_task *t = NULL;
    az_store_slot *slot = NULL;
    if (rc == 0)
        rc = find_task(s, id, store, &t, &slot);
    if (rc == 0 && s->n_manual == s->cap_manual) {
        size_t cap = s->cap_manual ? s->cap_manual * 2 : 8;
        az_manual_run *m = realloc(s->manual, cap * sizeof *m);
        if (m) {
            s->manual = m;
            s->cap_manual = cap;
        } else {
            rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
        }
    }
    if (rc == 0) {
        s->manual[s->n_manual].task = t;
        if (!(s->manual[s->n_manual].store_alias = strdup(slot->alias)))
            rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
        else
            s->n_manual++, t = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    asyncz_task_free(t);
    if (rc == 0)
        az_loop_wake(s);
    return rc;
}

/* ---- removal ------------------------------------------------------------------------------------------- */

static int remove_locked(asyncz_scheduler *s, const char *id, const char *store, az_event_buf *events)
{
    int at = find_pending(s, id);
    if (at >= 0 && (!store || strcmp(store, asyncz_task_store(s->pending[at])) == 0)) {
        asyncz_task *t = s->pending[at];
        memmove(&s->pending[at], &s->pending[at + 1], (s->n_pending - (size_t)at - 1) * sizeof s->pending[0]);
        s->n_pending--;
        az_events_add(s, events, ASYNCZ_EVENT_TASK_REMOVED, asyncz_task_store(t), t);
        asyncz_task_free(t);
        return 0;
    }
    asyncz_task *t;
    az_store_slot *slot;
    int rc = find_task(s, id, store, &t, &slot);
    if (rc)
        return rc;
    rc = ops_of(slot)->remove(slot->store, id);
    if (rc == 0)
        az_events_add(s, events, ASYNCZ_EVENT_TASK_REMOVED, slot->alias, t);
    asyncz_task_free(t);
    return rc ? az_sched_fail(rc, "store \"%s\" could not remove task \"%s\"", slot->alias, id) : 0;
}

int asyncz_scheduler_remove_task(asyncz_scheduler *s, const char *id, const char *store)
{
    if (!s || !id)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no task id");
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    int rc = remove_locked(s, id, store, &events);
    pthread_mutex_unlock(&s->lock);
    az_events_deliver(s, &events);
    return rc;
}

static int remove_all_locked(asyncz_scheduler *s, const char *store, az_event_buf *events)
{
    if (store && !az_sched_find_store(s, store))
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", store);
    size_t kept = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        if (!store || strcmp(store, asyncz_task_store(s->pending[i])) == 0)
            asyncz_task_free(s->pending[i]);
        else
            s->pending[kept++] = s->pending[i];
    }
    s->n_pending = kept;
    for (size_t i = 0; i < s->n_stores; i++) {
        if (store && strcmp(store, s->stores[i]->alias) != 0)
            continue;
        int rc = ops_of(s->stores[i])->remove_all(s->stores[i]->store);
        if (rc)
            return az_sched_fail(rc, "store \"%s\" could not remove its tasks", s->stores[i]->alias);
    }
    az_events_add(s, events, ASYNCZ_EVENT_ALL_TASKS_REMOVED, store, NULL);
    return 0;
}

int asyncz_scheduler_remove_all_tasks(asyncz_scheduler *s, const char *store)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler");
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    int rc = remove_all_locked(s, store, &events);
    pthread_mutex_unlock(&s->lock);
    az_events_deliver(s, &events);
    return rc;
}
