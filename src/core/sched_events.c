/* Listeners and event delivery. Events are gathered while the scheduler's lock is held and delivered after
 * it is released, to a snapshot of the listeners, so a listener may call the scheduler's API. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/history.h"
#include "asyncz/log.h"
#include "core/scheduler_internal.h"

static const struct {
    uint32_t code;
    const char *name;
} EVENT_NAMES[] = {
    {ASYNCZ_EVENT_SCHEDULER_START, "SCHEDULER_START"},
    {ASYNCZ_EVENT_SCHEDULER_SHUTDOWN, "SCHEDULER_SHUTDOWN"},
    {ASYNCZ_EVENT_SCHEDULER_PAUSED, "SCHEDULER_PAUSED"},
    {ASYNCZ_EVENT_SCHEDULER_RESUMED, "SCHEDULER_RESUMED"},
    {ASYNCZ_EVENT_EXECUTOR_ADDED, "EXECUTOR_ADDED"},
    {ASYNCZ_EVENT_EXECUTOR_REMOVED, "EXECUTOR_REMOVED"},
    {ASYNCZ_EVENT_STORE_ADDED, "STORE_ADDED"},
    {ASYNCZ_EVENT_STORE_REMOVED, "STORE_REMOVED"},
    {ASYNCZ_EVENT_ALL_TASKS_REMOVED, "ALL_TASKS_REMOVED"},
    {ASYNCZ_EVENT_TASK_ADDED, "TASK_ADDED"},
    {ASYNCZ_EVENT_TASK_REMOVED, "TASK_REMOVED"},
    {ASYNCZ_EVENT_TASK_MODIFIED, "TASK_MODIFIED"},
    {ASYNCZ_EVENT_TASK_EXECUTED, "TASK_EXECUTED"},
    {ASYNCZ_EVENT_TASK_ERROR, "TASK_ERROR"},
    {ASYNCZ_EVENT_TASK_MISSED, "TASK_MISSED"},
    {ASYNCZ_EVENT_TASK_SUBMITTED, "TASK_SUBMITTED"},
    {ASYNCZ_EVENT_TASK_MAX_INSTANCES, "TASK_MAX_INSTANCES"},
    {ASYNCZ_EVENT_SCHEDULER_WAKEUP_CLOCK, "SCHEDULER_WAKEUP_CLOCK"},
    {ASYNCZ_EVENT_TASK_QUARANTINED, "TASK_QUARANTINED"},
    {ASYNCZ_EVENT_SCHEDULER_LOST, "SCHEDULER_LOST"},
    {ASYNCZ_EVENT_TASK_LOST, "TASK_LOST"},
};

const char *asyncz_event_name(uint32_t code)
{
    for (size_t i = 0; i < sizeof EVENT_NAMES / sizeof EVENT_NAMES[0]; i++)
        if (EVENT_NAMES[i].code == code)
            return EVENT_NAMES[i].name;
    return "UNKNOWN";
}

char *az_strdup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- listener snapshots ---------------------------------------------------------------------------- */

static az_listeners *snapshot_new(size_t n)
{
    az_listeners *l = calloc(1, sizeof *l + n * sizeof l->items[0]);
    if (l) {
        atomic_init(&l->refs, 1);
        l->n = n;
    }
    return l;
}

static void snapshot_unref(az_listeners *l)
{
    if (l && atomic_fetch_sub(&l->refs, 1) == 1)
        free(l);
}

int az_listeners_init(asyncz_scheduler *s)
{
    s->listeners = snapshot_new(0);
    atomic_init(&s->listen_mask, 0);
    return s->listeners ? 0 : ASYNCZ_ENOMEM;
}

void az_listeners_free_all(asyncz_scheduler *s)
{
    snapshot_unref(s->listeners);
    s->listeners = NULL;
}

/* Install a new snapshot (lock held) and recompute the mask. */
static void install(asyncz_scheduler *s, az_listeners *l)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < l->n; i++)
        mask |= l->items[i].mask;
    snapshot_unref(s->listeners);
    s->listeners = l;
    atomic_store(&s->listen_mask, mask);
}

int asyncz_scheduler_add_listener(asyncz_scheduler *s, uint32_t mask, asyncz_listener_fn fn, void *userdata,
                                  uint64_t *out_id)
{
    if (!s || !fn || mask == 0)
        return az_sched_fail(ASYNCZ_EINVAL, "a listener needs a function and a non-empty mask");
    pthread_mutex_lock(&s->lock);
    az_listeners *old = s->listeners, *l = snapshot_new(old->n + 1);
    if (!l) {
        pthread_mutex_unlock(&s->lock);
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    }
    memcpy(l->items, old->items, old->n * sizeof old->items[0]);
    uint64_t id = ++s->next_listener_id;
    l->items[old->n] = (az_listener){.id = id, .mask = mask, .fn = fn, .userdata = userdata};
    install(s, l);
    pthread_mutex_unlock(&s->lock);
    if (out_id)
        *out_id = id;
    return 0;
}

int asyncz_scheduler_remove_listener(asyncz_scheduler *s, uint64_t id)
{
    if (!s)
        return ASYNCZ_EINVAL;
    pthread_mutex_lock(&s->lock);
    az_listeners *old = s->listeners;
    size_t at = old->n;
    for (size_t i = 0; i < old->n; i++)
        if (old->items[i].id == id)
            at = i;
    bool found = at < old->n;
    az_listeners *l = found ? snapshot_new(old->n - 1) : NULL;
    if (l) {
        memcpy(l->items, old->items, at * sizeof old->items[0]);
        memcpy(l->items + at, old->items + at + 1, (old->n - at - 1) * sizeof old->items[0]);
        install(s, l);
    }
    pthread_mutex_unlock(&s->lock);
    if (!found)
        return az_sched_fail(ASYNCZ_ENOTFOUND, "no listener with id %llu", (unsigned long long)id);
    return l ? 0 : az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
}

/* ---- gathering and delivering ------------------------------------------------------------------------- */

bool az_events_wanted(asyncz_scheduler *s, uint32_t code)
{
    return (atomic_load_explicit(&s->listen_mask, memory_order_relaxed) & code) != 0;
}

az_event *az_events_add(asyncz_scheduler *s, az_event_buf *buf, uint32_t code, const char *alias,
                        const asyncz_task *task)
{
    if (!az_events_wanted(s, code))
        return NULL;
    if (buf->n == buf->cap) {
        size_t cap = buf->cap ? buf->cap * 2 : 8;
        az_event *items = realloc(buf->items, cap * sizeof *items);
        if (!items)
            return NULL;
        buf->items = items;
        buf->cap = cap;
    }
    az_event *e = &buf->items[buf->n++];
    memset(e, 0, sizeof *e);
    e->ev.code = code;
    e->ev.time = az_sched_now(s);
    e->ev.scheduled_run_time = ASYNCZ_TIME_NONE;
    e->ev.exit_status = -1;
    e->ev.outcome = code == ASYNCZ_EVENT_TASK_MISSED     ? ASYNCZ_RUN_MISSED
                    : code == ASYNCZ_EVENT_TASK_EXECUTED ? ASYNCZ_RUN_SUCCEEDED
                    : code == ASYNCZ_EVENT_TASK_ERROR    ? ASYNCZ_RUN_FAILED
                                                         : ASYNCZ_RUN_RUNNING;
    e->alias = az_strdup_opt(alias);
    if (task) {
        e->task_id = az_strdup_opt(asyncz_task_id(task));
        e->task_name = az_strdup_opt(asyncz_task_name(task));
    }
    return e;
}

static void event_clear(az_event *e)
{
    free(e->alias);
    free(e->task_id);
    free(e->task_name);
    free(e->result_json);
    free(e->error_message);
    free(e->run_times);
    free(e->instance_id);
}

/* Point the public view at the event's own copies. */
static void event_bind(az_event *e)
{
    e->ev.alias = e->alias;
    e->ev.task_id = e->task_id;
    e->ev.task_name = e->task_name;
    e->ev.result_json = e->result_json;
    e->ev.error_message = e->error_message;
    e->ev.run_times = e->run_times;
    e->ev.instance_id = e->instance_id;
    e->ev.run_id = e->run_id[0] ? e->run_id : NULL;
}

static void deliver_one(az_listeners *l, az_event *e)
{
    event_bind(e);
    for (size_t i = 0; i < l->n; i++) {
        if (!(l->items[i].mask & e->ev.code))
            continue;
        int rc = l->items[i].fn(&e->ev, l->items[i].userdata);
        if (rc != 0)
            asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "listener %llu failed with %d on %s event",
                       (unsigned long long)l->items[i].id, rc, asyncz_event_name(e->ev.code));
    }
}

void az_events_deliver(asyncz_scheduler *s, az_event_buf *buf)
{
    if (buf->n) {
        pthread_mutex_lock(&s->lock);
        az_listeners *l = s->listeners;
        atomic_fetch_add(&l->refs, 1);
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < buf->n; i++)
            deliver_one(l, &buf->items[i]);
        snapshot_unref(l);
    }
    for (size_t i = 0; i < buf->n; i++)
        event_clear(&buf->items[i]);
    free(buf->items);
    memset(buf, 0, sizeof *buf);
}
