/* The task API of the scheduler: add, get, list, update, reschedule, pause, resume, run now, remove. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/audit.h"
#include "core/scheduler_internal.h"
#include "core/task_internal.h"
#include "util/array.h"

static const asyncz_store_ops *ops_of(az_store_slot *slot)
{
    return ASYNCZ_STORE_BASE(slot->store)->ops;
}

static bool running(asyncz_scheduler *s)
{
    return asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED;
}

/* Take a store's io lock for a call into it (lock not held). 0, or an error with its message when the store
 * was removed or the scheduler is closing its stores (a stopped scheduler's stores are called closed, as
 * always: they answer for themselves). */
static int enter_store(asyncz_scheduler *s, az_store_slot *slot)
{
    if (!az_slot_enter(slot))
        return az_sched_fail(ASYNCZ_ENOTFOUND, "store \"%s\" was removed", slot->alias);
    if (!slot->open && running(s)) {
        az_slot_leave(slot);
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler is shutting down");
    }
    return 0;
}

/* The slot of a store by alias (lock not held). */
static az_store_slot *slot_named(asyncz_scheduler *s, const char *alias)
{
    pthread_mutex_lock(&s->lock);
    az_store_slot *slot = az_sched_find_store(s, alias);
    pthread_mutex_unlock(&s->lock);
    return slot;
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

/* Record a change made through the task API in the store's audit trail, when the slot records one
 * (slot->io held). */
static void audit(az_store_slot *slot, asyncz_audit_action action, const char *id, const asyncz_task *before,
                  const asyncz_task *after)
{
    if (__atomic_load_n(&slot->audit, __ATOMIC_RELAXED))
        az_audit_task_change(slot->store, action, id, before, after);
}

/* The stored task of id, for the audit trail's "before" (NULL when the slot records no audit trail or it
 * cannot be read: the change goes on, recorded without it). slot->io held. */
static asyncz_task *audit_before(az_store_slot *slot, const char *id)
{
    asyncz_task *old = NULL;
    if (__atomic_load_n(&slot->audit, __ATOMIC_RELAXED) && ops_of(slot)->lookup(slot->store, id, &old) != 0)
        old = NULL;
    return old;
}

/* Put a complete task into its store (lock not held, scheduler running). */
static int store_task(asyncz_scheduler *s, asyncz_task *t, bool replace, az_event_buf *events)
{
    az_store_slot *slot = slot_named(s, asyncz_task_store(t));
    if (!slot)
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", asyncz_task_store(t));
    int rc = enter_store(s, slot);
    if (rc)
        return rc;
    rc = ops_of(slot)->add(slot->store, t);
    if (rc == 0)
        audit(slot, ASYNCZ_AUDIT_ADD, t->id, NULL, t);
    if (rc == ASYNCZ_EEXISTS && replace) {
        asyncz_task *old = audit_before(slot, t->id);
        if ((rc = ops_of(slot)->update(slot->store, t)) == 0)
            audit(slot, ASYNCZ_AUDIT_UPDATE, t->id, old, t);
        asyncz_task_free(old);
    }
    az_slot_leave(slot);
    if (rc == ASYNCZ_EEXISTS)
        return az_sched_fail(rc, "a task with id \"%s\" already exists in store \"%s\"", t->id, slot->alias);
    if (rc)
        return az_sched_fail(rc, "store \"%s\" refused task \"%s\": %s", slot->alias, t->id,
                             asyncz_strerror(rc));
    if (events)
        az_events_add(s, events, ASYNCZ_EVENT_TASK_ADDED, slot->alias, t);
    return 0;
}

/* Put back a pending task whose store is not there (yet): it may still be added (lock not held). */
static void keep_pending(asyncz_scheduler *s, asyncz_task *t)
{
    pthread_mutex_lock(&s->lock);
    asyncz_task **grown = realloc(s->pending, (s->n_pending + 1) * sizeof *grown);
    if (grown) {
        s->pending = grown;
        s->pending[s->n_pending++] = t;
        t = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (t)
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\" added before start is dropped: out of memory",
                   t->id);
    asyncz_task_free(t);
}

/* Tasks added before start go to their stores now (lock not held). */
void az_sched_add_pending_to_stores(asyncz_scheduler *s, asyncz_time_t now)
{
    pthread_mutex_lock(&s->lock);
    asyncz_task **pending = s->pending;
    size_t n = s->n_pending;
    s->pending = NULL;
    s->n_pending = 0;
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        asyncz_task *t = pending[i];
        int rc = t->has_next ? 0 : first_run_time(t, now);
        if (rc == 0 && !slot_named(s, asyncz_task_store(t))) {
            keep_pending(s, t);
            continue;
        }
        if (rc == 0) /* TASK_ADDED was reported when the task was added */
            rc = store_task(s, t, true, NULL);
        if (rc)
            asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\" added before start could not be stored: %s",
                       t->id, asyncz_scheduler_errmsg(s));
        asyncz_task_free(t);
    }
    free(pending);
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

/* Check and complete a task; keep it pending if the scheduler is not running (lock held). *to_store: it
 * goes to its store, after the lock is released. */
static int add_locked(asyncz_scheduler *s, asyncz_task *copy, bool replace, az_event_buf *events,
                      bool *to_store)
{
    int rc = check_addable(s, copy);
    if (rc == 0)
        rc = complete_task(s, copy, az_sched_now(s));
    if (rc)
        return rc;
    *to_store = running(s);
    if (*to_store)
        return 0;
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
    bool replace = (flags & ASYNCZ_REPLACE_EXISTING) != 0, to_store = false;
    pthread_mutex_lock(&s->lock);
    int rc = add_locked(s, copy, replace, &events, &to_store);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && to_store)
        rc = store_task(s, copy, replace, &events);
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

/* The stores to look in: the one named, or every store (lock not held). NULL with the error in *rc. */
static az_store_slot **slots_to_search(asyncz_scheduler *s, const char *store, size_t *n, int *rc)
{
    pthread_mutex_lock(&s->lock);
    az_store_slot **slots = NULL;
    az_store_slot *one = store ? az_sched_find_store(s, store) : NULL;
    *n = 0;
    *rc = 0;
    if (store && !one)
        *rc = az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", store);
    else if (one && (slots = malloc(sizeof *slots)) != NULL)
        slots[(*n)++] = one;
    else if (!one)
        slots = az_sched_slots(s, n);
    if (!slots && !*rc)
        *rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    pthread_mutex_unlock(&s->lock);
    return slots;
}

/* Find a stored task by id in one store or every store (lock not held). On success *out is a new reference
 * and the io lock of *slot_out is held: the caller may change the task in its store before az_slot_leave. */
static int find_task(asyncz_scheduler *s, const char *id, const char *store, asyncz_task **out,
                     az_store_slot **slot_out)
{
    if (!id)
        return az_sched_fail(ASYNCZ_EINVAL, "no task id");
    size_t n;
    int rc;
    az_store_slot **slots = slots_to_search(s, store, &n, &rc);
    for (size_t i = 0; i < n && !*slot_out; i++) {
        if (enter_store(s, slots[i]) != 0)
            continue;
        if (ops_of(slots[i])->lookup(slots[i]->store, id, out) == 0)
            *slot_out = slots[i];
        else
            az_slot_leave(slots[i]);
    }
    free(slots);
    if (rc || *slot_out)
        return rc;
    return az_sched_fail(ASYNCZ_ENOTFOUND, "no task with id \"%s\"%s%s", id, store ? " in store " : "",
                         store ? store : "");
}

int asyncz_scheduler_get_task(asyncz_scheduler *s, asyncz_task **out, const char *id, const char *store)
{
    if (!s || !out)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no out");
    pthread_mutex_lock(&s->lock);
    int rc = 0, at = id ? find_pending(s, id) : -1;
    bool pending = at >= 0 && (!store || strcmp(store, asyncz_task_store(s->pending[at])) == 0);
    if (pending)
        rc = asyncz_task_copy(out, s->pending[at]);
    pthread_mutex_unlock(&s->lock);
    if (pending)
        return rc;
    asyncz_task *t = NULL;
    az_store_slot *slot = NULL;
    if ((rc = find_task(s, id, store, &t, &slot)) == 0) {
        az_slot_leave(slot);
        rc = copy_with_store(out, t, slot->alias);
    }
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

/* Copies of the pending tasks of store (every store: NULL), in l (lock held). */
static int list_pending_locked(asyncz_scheduler *s, asyncz_task_list *l, const char *store)
{
    for (size_t i = 0; i < s->n_pending; i++) {
        asyncz_task *copy;
        if (store && strcmp(store, asyncz_task_store(s->pending[i])) != 0)
            continue;
        if (asyncz_task_copy(&copy, s->pending[i]) != 0 || az_task_list_push(l, copy) != 0)
            return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    }
    return 0;
}

/* The stores to list and the pending tasks (lock not held). */
static az_store_slot **list_begin(asyncz_scheduler *s, asyncz_task_list *pending, const char *store,
                                  size_t *n, int *rc)
{
    pthread_mutex_lock(&s->lock);
    az_store_slot **slots = NULL;
    *n = 0;
    *rc = 0;
    if (store && !az_sched_find_store(s, store) && strcmp(store, "default") != 0)
        *rc = az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", store);
    else if (!(slots = az_sched_slots(s, n)))
        *rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    else
        *rc = list_pending_locked(s, pending, store);
    pthread_mutex_unlock(&s->lock);
    return slots;
}

static int list_store(asyncz_scheduler *s, az_store_slot *slot, asyncz_task_list *l)
{
    if (enter_store(s, slot) != 0)
        return 0; /* removed meanwhile: it has no tasks any more */
    list_ctx c = {.list = l, .alias = slot->alias};
    int rc = ops_of(slot)->list(slot->store, list_one, &c);
    az_slot_leave(slot);
    return rc ? az_sched_fail(rc, "cannot list store \"%s\": %s", c.alias, asyncz_strerror(rc)) : 0;
}

/* The stored tasks, then the pending ones (lock not held). */
static int list_all(asyncz_scheduler *s, asyncz_task_list *l, const char *store)
{
    asyncz_task_list pending = {0};
    size_t n;
    int rc;
    az_store_slot **slots = list_begin(s, &pending, store, &n, &rc);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!store || strcmp(slots[i]->alias, store) == 0)
            rc = list_store(s, slots[i], l);
    free(slots);
    for (size_t i = 0; i < pending.n; i++) {
        if (rc == 0 && (rc = az_task_list_push(l, pending.items[i])) != 0)
            az_sched_fail(rc, "out of memory"); /* the push freed the copy */
        else if (rc)
            asyncz_task_free(pending.items[i]);
    }
    free(pending.items);
    return rc;
}

int asyncz_scheduler_list_tasks(asyncz_scheduler *s, asyncz_task_list **out, const char *store)
{
    if (!s || !out)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no out");
    asyncz_task_list *l = az_task_list_new();
    if (!l)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    int rc = list_all(s, l, store);
    if (rc) {
        asyncz_task_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* ---- changes ---------------------------------------------------------------------------------------- */

/* Replace a pending task by `next` (lock held); false when it is not pending. */
static bool replace_pending_locked(asyncz_scheduler *s, asyncz_task *next, uint32_t code,
                                   az_event_buf *events)
{
    int at = find_pending(s, next->id);
    if (at < 0)
        return false;
    asyncz_task_free(s->pending[at]);
    s->pending[at] = asyncz_task_ref(next);
    az_events_add(s, events, code, asyncz_task_store(next), next);
    return true;
}

/* Write `next` over the stored task of its id (slot->io held). */
static int replace_stored(asyncz_scheduler *s, az_store_slot *slot, asyncz_task *next, uint32_t code,
                          az_event_buf *events)
{
    int rc = ops_of(slot)->update(slot->store, next);
    if (rc == 0)
        az_events_add(s, events, code, slot->alias, next);
    else if (rc == ASYNCZ_ENOTFOUND)
        az_sched_fail(rc, "no task with id \"%s\" in store \"%s\"", asyncz_task_id(next), slot->alias);
    else
        az_sched_fail(rc, "store \"%s\" refused the change: %s", slot->alias, asyncz_strerror(rc));
    return rc;
}

/* Replace a stored (or pending) task by `next`, a complete task (lock not held). */
static int replace_task(asyncz_scheduler *s, asyncz_task *next, const char *store, uint32_t code,
                        az_event_buf *events)
{
    pthread_mutex_lock(&s->lock);
    bool pending = replace_pending_locked(s, next, code, events);
    az_store_slot *slot = pending ? NULL : az_sched_find_store(s, store);
    pthread_mutex_unlock(&s->lock);
    if (pending)
        return 0;
    if (!slot)
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no task with id \"%s\" in store \"%s\"", asyncz_task_id(next),
                             store);
    int rc = enter_store(s, slot);
    if (rc)
        return rc;
    asyncz_task *old = audit_before(slot, asyncz_task_id(next));
    rc = replace_stored(s, slot, next, code, events);
    if (rc == 0)
        audit(slot, ASYNCZ_AUDIT_UPDATE, asyncz_task_id(next), old, next);
    asyncz_task_free(old);
    az_slot_leave(slot);
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
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && !copy->trigger)
        rc = az_sched_fail(ASYNCZ_EINVAL, "the task to update has no trigger");
    if (rc == 0 && !copy->has_next)
        rc = first_run_time(copy, az_sched_now(s));
    if (rc == 0)
        rc = replace_task(s, copy, asyncz_task_store(copy), ASYNCZ_EVENT_TASK_MODIFIED, &events);
    asyncz_task_free(copy);
    az_loop_wake(s);
    az_events_deliver(s, &events);
    return rc;
}

typedef enum change_kind { CHANGE_RESCHEDULE, CHANGE_PAUSE, CHANGE_RESUME } change_kind;

static const asyncz_audit_action AUDIT_OF[] = {ASYNCZ_AUDIT_UPDATE, ASYNCZ_AUDIT_PAUSE, ASYNCZ_AUDIT_RESUME};

/* The task as the change makes it: a new trigger, paused, or its next run time from now. *gone: resumed
 * with its trigger exhausted, it is to be removed. */
static int apply_change(asyncz_scheduler *s, asyncz_task *t, change_kind kind, asyncz_trigger *trigger,
                        bool *gone)
{
    if (kind == CHANGE_RESCHEDULE)
        asyncz_task_set_trigger(t, trigger);
    int rc = 0;
    if (kind == CHANGE_PAUSE)
        az_task_set_schedule(t, ASYNCZ_TIME_NONE);
    else
        rc = first_run_time(t, az_sched_now(s));
    *gone = rc == 0 && kind == CHANGE_RESUME && t->next_run_time == ASYNCZ_TIME_NONE;
    return rc;
}

/* Change a pending task (lock held). *found: it was pending. */
static int change_pending_locked(asyncz_scheduler *s, const char *id, const char *store, change_kind kind,
                                 asyncz_trigger *trigger, az_event_buf *events, bool *found)
{
    int at = find_pending(s, id);
    *found = at >= 0 && (!store || strcmp(store, asyncz_task_store(s->pending[at])) == 0);
    if (!*found)
        return 0;
    asyncz_task *t;
    if (asyncz_task_copy(&t, s->pending[at]) != 0)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    bool gone;
    int rc = apply_change(s, t, kind, trigger, &gone);
    if (rc == 0 && gone) {
        asyncz_task_free(s->pending[at]);
        memmove(&s->pending[at], &s->pending[at + 1], (s->n_pending - (size_t)at - 1) * sizeof s->pending[0]);
        s->n_pending--;
        az_events_add(s, events, ASYNCZ_EVENT_TASK_REMOVED, asyncz_task_store(t), t);
    } else if (rc == 0) {
        replace_pending_locked(s, t, ASYNCZ_EVENT_TASK_MODIFIED, events);
    }
    asyncz_task_free(t);
    return rc;
}

/* Change a stored task: found, changed and written back with its store's io lock held throughout, so the
 * scheduler's own claims of it cannot come in between (lock not held). */
static int change_stored(asyncz_scheduler *s, const char *id, const char *store, change_kind kind,
                         asyncz_trigger *trigger, az_event_buf *events)
{
    asyncz_task *found = NULL, *t = NULL;
    az_store_slot *slot = NULL;
    int rc = find_task(s, id, store, &found, &slot);
    if (rc)
        return rc;
    bool gone = false;
    if ((rc = copy_with_store(&t, found, slot->alias)) != 0)
        az_sched_fail(rc, "out of memory");
    else if ((rc = apply_change(s, t, kind, trigger, &gone)) == 0 && gone)
        rc = ops_of(slot)->remove(slot->store, id);
    else if (rc == 0)
        rc = replace_stored(s, slot, t, ASYNCZ_EVENT_TASK_MODIFIED, events);
    if (rc == 0)
        audit(slot, gone ? ASYNCZ_AUDIT_REMOVE : AUDIT_OF[kind], id, found, gone ? NULL : t);
    if (gone && rc == 0)
        az_events_add(s, events, ASYNCZ_EVENT_TASK_REMOVED, slot->alias, t);
    else if (gone)
        az_sched_fail(rc, "store \"%s\" could not remove task \"%s\"", slot->alias, id);
    az_slot_leave(slot);
    asyncz_task_free(found);
    asyncz_task_free(t);
    return rc;
}

static int change(asyncz_scheduler *s, const char *id, const char *store, change_kind kind,
                  asyncz_trigger *trigger)
{
    if (!s || !id)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler or no task id");
    az_event_buf events = {0};
    bool pending;
    pthread_mutex_lock(&s->lock);
    int rc = change_pending_locked(s, id, store, kind, trigger, &events, &pending);
    pthread_mutex_unlock(&s->lock);
    if (!pending)
        rc = change_stored(s, id, store, kind, trigger, &events);
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
    if (!running(s))
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler is not running");
    asyncz_task *t = NULL;
    az_store_slot *slot = NULL;
    int rc = find_task(s, id, store, &t, &slot);
    if (rc)
        return rc;
    audit(slot, ASYNCZ_AUDIT_RUN, id, t, t);
    az_slot_leave(slot);
    char *alias = strdup(slot->alias);
    pthread_mutex_lock(&s->lock);
    if (!alias || az_array_reserve((void **)&s->manual, &s->cap_manual, s->n_manual + 1, sizeof *s->manual))
        rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    else
        s->manual[s->n_manual++] = (az_manual_run){.task = t, .store_alias = alias};
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        asyncz_task_free(t);
        free(alias);
        return rc;
    }
    az_loop_wake(s);
    return 0;
}

/* ---- removal ------------------------------------------------------------------------------------------- */

/* Remove a pending task (lock held); false when it is not pending. */
static bool remove_pending_locked(asyncz_scheduler *s, const char *id, const char *store,
                                  az_event_buf *events)
{
    int at = find_pending(s, id);
    if (at < 0 || (store && strcmp(store, asyncz_task_store(s->pending[at])) != 0))
        return false;
    asyncz_task *t = s->pending[at];
    memmove(&s->pending[at], &s->pending[at + 1], (s->n_pending - (size_t)at - 1) * sizeof s->pending[0]);
    s->n_pending--;
    az_events_add(s, events, ASYNCZ_EVENT_TASK_REMOVED, asyncz_task_store(t), t);
    asyncz_task_free(t);
    return true;
}

static int remove_stored(asyncz_scheduler *s, const char *id, const char *store, az_event_buf *events)
{
    asyncz_task *t;
    az_store_slot *slot = NULL;
    int rc = find_task(s, id, store, &t, &slot);
    if (rc)
        return rc;
    rc = ops_of(slot)->remove(slot->store, id);
    if (rc == 0)
        audit(slot, ASYNCZ_AUDIT_REMOVE, id, t, NULL);
    az_slot_leave(slot);
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
    bool pending = remove_pending_locked(s, id, store, &events);
    pthread_mutex_unlock(&s->lock);
    int rc = pending ? 0 : remove_stored(s, id, store, &events);
    az_events_deliver(s, &events);
    return rc;
}

/* Drop the pending tasks of store (every store: NULL) and take the stores to empty (lock held). */
static az_store_slot **remove_all_begin(asyncz_scheduler *s, const char *store, size_t *n, int *rc)
{
    *n = 0;
    if (store && !az_sched_find_store(s, store)) {
        *rc = az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", store);
        return NULL;
    }
    size_t kept = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        if (!store || strcmp(store, asyncz_task_store(s->pending[i])) == 0)
            asyncz_task_free(s->pending[i]);
        else
            s->pending[kept++] = s->pending[i];
    }
    s->n_pending = kept;
    az_store_slot **slots = az_sched_slots(s, n);
    *rc = slots ? 0 : az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    return slots;
}

static int empty_store(asyncz_scheduler *s, az_store_slot *slot)
{
    if (enter_store(s, slot) != 0)
        return 0; /* removed meanwhile */
    int rc = ops_of(slot)->remove_all(slot->store);
    az_slot_leave(slot);
    return rc ? az_sched_fail(rc, "store \"%s\" could not remove its tasks", slot->alias) : 0;
}

int asyncz_scheduler_remove_all_tasks(asyncz_scheduler *s, const char *store)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler");
    size_t n;
    int rc;
    pthread_mutex_lock(&s->lock);
    az_store_slot **slots = remove_all_begin(s, store, &n, &rc);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!store || strcmp(store, slots[i]->alias) == 0)
            rc = empty_store(s, slots[i]);
    free(slots);
    if (rc)
        return rc;
    az_event_buf events = {0};
    az_events_add(s, &events, ASYNCZ_EVENT_ALL_TASKS_REMOVED, store, NULL);
    az_events_deliver(s, &events);
    return 0;
}
