/* Shared stores: this scheduler's heartbeat with its runs in flight, the report of schedulers that stopped
 * heartbeating (exactly one survivor reports each, by winning the removal of its heartbeat), polling, and
 * the quarantine reports that stores send. See docs/stores.md, Several schedulers on one store. */
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "asyncz/version.h"
#include "core/log_internal.h"
#include "core/run_internal.h"
#include "core/scheduler_internal.h"
#include "core/task_internal.h"

/* At most this many runs in flight are listed in a heartbeat (the document stays small). */
#define HEARTBEAT_RUNS_MAX 1000
/* A scheduler is lost after this many heartbeat periods without one. */
#define LOST_AFTER_PERIODS 3

/* ---- quarantine reports -------------------------------------------------------------------------- */

void az_store_quarantined_report(void *host_data, const char *task_id, const char *reason)
{
    az_store_slot *slot = host_data;
    asyncz_scheduler *s = slot->sched;
    /* One allocation: "alias\0id\0reason\0". The slot's alias outlives the report (slots are retired,
     * not freed, while the scheduler lives). */
    size_t la = strlen(slot->alias) + 1, li = strlen(task_id) + 1, lr = strlen(reason) + 1;
    char *r = malloc(la + li + lr);
    if (!r)
        return;
    memcpy(r, slot->alias, la);
    memcpy(r + la, task_id, li);
    memcpy(r + la + li, reason, lr);
    pthread_mutex_lock(&s->quarantine_lock);
    char **grown = realloc(s->quarantine_reports, (s->n_quarantine_reports + 1) * sizeof *grown);
    if (grown) {
        grown[s->n_quarantine_reports++] = r;
        s->quarantine_reports = grown;
        r = NULL;
    }
    pthread_mutex_unlock(&s->quarantine_lock);
    free(r);
    az_loop_wake(s);
}

void az_quarantine_reports_take(asyncz_scheduler *s, az_event_buf *events)
{
    pthread_mutex_lock(&s->quarantine_lock);
    char **reports = s->quarantine_reports;
    size_t n = s->n_quarantine_reports;
    s->quarantine_reports = NULL;
    s->n_quarantine_reports = 0;
    pthread_mutex_unlock(&s->quarantine_lock);
    for (size_t i = 0; i < n; i++) {
        const char *alias = reports[i];
        const char *id = alias + strlen(alias) + 1;
        const char *reason = id + strlen(id) + 1;
        az_event *e = az_events_add(s, events, ASYNCZ_EVENT_TASK_QUARANTINED, alias, NULL);
        if (e) {
            e->task_id = strdup(id);
            e->error_message = strdup(reason);
        }
        free(reports[i]);
    }
    free(reports);
}

void az_quarantine_reports_free(asyncz_scheduler *s)
{
    for (size_t i = 0; i < s->n_quarantine_reports; i++)
        free(s->quarantine_reports[i]);
    free(s->quarantine_reports);
    s->quarantine_reports = NULL;
    s->n_quarantine_reports = 0;
}

/* ---- runs in flight --------------------------------------------------------------------------------- */

void az_inflight_add(asyncz_scheduler *s, asyncz_run *run)
{
    run->inflight = true;
    run->inflight_prev = NULL;
    run->inflight_next = s->inflight;
    if (s->inflight)
        s->inflight->inflight_prev = run;
    s->inflight = run;
    s->n_inflight++;
}

void az_inflight_remove(asyncz_scheduler *s, asyncz_run *run)
{
    if (!run->inflight)
        return;
    if (run->inflight_prev)
        run->inflight_prev->inflight_next = run->inflight_next;
    else
        s->inflight = run->inflight_next;
    if (run->inflight_next)
        run->inflight_next->inflight_prev = run->inflight_prev;
    run->inflight = false;
    s->n_inflight--;
}

/* ---- heartbeats ---------------------------------------------------------------------------------------- */

typedef struct run_list {
    asyncz_inflight items[HEARTBEAT_RUNS_MAX];
    asyncz_task *refs[HEARTBEAT_RUNS_MAX]; /* references keeping the ids of runs in flight valid */
    size_t n, n_refs;
} run_list;

static void list_push(run_list *l, const char *task_id, asyncz_time_t when)
{
    if (l->n < HEARTBEAT_RUNS_MAX)
        l->items[l->n++] = (asyncz_inflight){.task_id = task_id, .run_time = when};
}

/* The runs of this store started and not finished (under the lock: runs finish on other threads; each
 * listed task is referenced, since its run may be freed once the lock is released). */
static void list_running(asyncz_scheduler *s, const az_store_slot *slot, run_list *l)
{
    pthread_mutex_lock(&s->lock);
    for (asyncz_run *r = s->inflight; r && l->n < HEARTBEAT_RUNS_MAX; r = r->inflight_next) {
        if (strcmp(r->store_alias, slot->alias) != 0)
            continue;
        size_t from = atomic_load_explicit(&r->current, memory_order_relaxed);
        if (from < r->n_times)
            l->refs[l->n_refs++] = asyncz_task_ref(r->task);
        for (size_t i = from; i < r->n_times; i++)
            list_push(l, r->task->id, r->outcomes[i].scheduled);
    }
    pthread_mutex_unlock(&s->lock);
}

/* The runs in flight, and those waiting for an unconfirmed release (slot->io held). */
static void list_inflight(asyncz_scheduler *s, const az_store_slot *slot, run_list *l)
{
    list_running(s, slot, l);
    for (const az_unconfirmed *u = slot->unconfirmed; u; u = u->next)
        for (size_t i = 0; i < u->rt.n; i++)
            list_push(l, u->claim.task->id, u->rt.times[i]);
}

static void list_free(run_list *l)
{
    for (size_t i = 0; i < l->n_refs; i++)
        asyncz_task_free(l->refs[i]);
    free(l);
}

static void hostname_of(char *buf, size_t size)
{
    if (gethostname(buf, size - 1) != 0)
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
}

void az_shared_heartbeat(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now,
                         const az_planned *planned, size_t n_planned)
{
    run_list *l = malloc(sizeof *l);
    if (!l)
        return;
    l->n = l->n_refs = 0;
    list_inflight(s, slot, l);
    for (size_t i = 0; i < n_planned; i++)
        for (size_t j = 0; j < planned[i].n; j++)
            list_push(l, planned[i].task_id, planned[i].times[j]);
    char host[256];
    hostname_of(host, sizeof host);
    asyncz_instance me = {.id = s->identity,
                          .hostname = host,
                          .pid = (int64_t)getpid(),
                          .version = ASYNCZ_VERSION_STRING,
                          .started_at = s->started_at,
                          .heartbeat_at = now,
                          .expires_at = now + LOST_AFTER_PERIODS * s->opts.heartbeat_usec,
                          .running = l->items,
                          .n_running = l->n};
    asyncz_store *st = slot->store;
    int rc = ASYNCZ_STORE_BASE(st)->ops->heartbeat(st, &me);
    if (rc)
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER, "store \"%s\": heartbeat failed: %s", slot->alias,
                   *asyncz_store_errmsg() ? asyncz_store_errmsg() : asyncz_strerror(rc));
    list_free(l);
}

/* ---- lost schedulers --------------------------------------------------------------------------------- */

/* A copy of a lost scheduler's heartbeat. */
typedef struct lost {
    char *id, *hostname;
    int64_t pid;
    asyncz_time_t heartbeat_at;
    asyncz_inflight *running;
    size_t n_running;
} lost;

typedef struct lost_list {
    asyncz_scheduler *s;
    asyncz_time_t now;
    lost *items;
    size_t n;
} lost_list;

static void lost_free(lost *l)
{
    for (size_t i = 0; i < l->n_running; i++)
        free((char *)l->running[i].task_id);
    free(l->running);
    free(l->id);
    free(l->hostname);
}

static int copy_lost(const asyncz_instance *inst, lost *out)
{
    *out = (lost){.pid = inst->pid, .heartbeat_at = inst->heartbeat_at};
    out->id = strdup(inst->id);
    out->hostname = strdup(inst->hostname ? inst->hostname : "");
    out->running = inst->n_running ? calloc(inst->n_running, sizeof *out->running) : NULL;
    if (!out->id || !out->hostname || (inst->n_running && !out->running))
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < inst->n_running; i++) {
        out->running[i].run_time = inst->running[i].run_time;
        if (!(out->running[i].task_id = strdup(inst->running[i].task_id)))
            return ASYNCZ_ENOMEM;
        out->n_running = i + 1;
    }
    return 0;
}

static int collect_lost(const asyncz_instance *inst, void *userdata)
{
    lost_list *l = userdata;
    if (strcmp(inst->id, l->s->identity) == 0 || inst->expires_at >= l->now)
        return 0;
    lost *grown = realloc(l->items, (l->n + 1) * sizeof *grown);
    if (!grown)
        return 0;
    l->items = grown;
    if (copy_lost(inst, &l->items[l->n]) != 0) {
        lost_free(&l->items[l->n]);
        return 0;
    }
    l->n++;
    return 0;
}

static void report_lost(asyncz_scheduler *s, const az_store_slot *slot, const lost *l, az_event_buf *events)
{
    asyncz_log(
        ASYNCZ_LOG_WARNING, AZ_LOGGER,
        "store \"%s\": scheduler \"%s\" (host %s, pid %lld) stopped heartbeating; its claims lapse with "
        "their leases and are taken over; %zu run(s) it had in flight may not have finished",
        slot->alias, l->id, l->hostname, (long long)l->pid, l->n_running);
    az_event *e = az_events_add(s, events, ASYNCZ_EVENT_SCHEDULER_LOST, slot->alias, NULL);
    if (e)
        e->instance_id = strdup(l->id);
    for (size_t i = 0; i < l->n_running; i++) {
        char at[AZ_LOG_TEXT_SIZE];
        az_log_time(at, sizeof at, l->running[i].run_time);
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER,
                   "store \"%s\": run of task \"%s\" due at %s was in flight on lost scheduler \"%s\"",
                   slot->alias, l->running[i].task_id, at, l->id);
        e = az_events_add(s, events, ASYNCZ_EVENT_TASK_LOST, slot->alias, NULL);
        if (!e)
            continue;
        e->task_id = strdup(l->running[i].task_id);
        e->instance_id = strdup(l->id);
        e->ev.scheduled_run_time = l->running[i].run_time;
        e->error_message = strdup("the scheduler running it stopped heartbeating; it may not have finished");
    }
}

static void find_lost(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now, az_event_buf *events)
{
    asyncz_store *st = slot->store;
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    lost_list l = {.s = s, .now = now};
    if (ops->instances(st, collect_lost, &l) != 0)
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER, "store \"%s\": cannot list schedulers: %s", slot->alias,
                   asyncz_store_errmsg());
    for (size_t i = 0; i < l.n; i++) {
        /* Whoever removes the heartbeat reports it; the others get ASYNCZ_ENOTFOUND. */
        if (ops->remove_instance(st, l.items[i].id) == 0) {
            report_lost(s, slot, &l.items[i], events);
            az_hist_mark_lost(slot, l.items[i].id, now);
        }
        lost_free(&l.items[i]);
    }
    free(l.items);
}

asyncz_time_t az_shared_round(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now,
                              az_event_buf *events)
{
    if (!slot->shared)
        return ASYNCZ_TIME_NONE;
    /* The round's claims may have taken long on a slow store: a heartbeat stamped with the time the round
     * began could be written already expired. */
    asyncz_time_t t = az_sched_now(s);
    now = t > now ? t : now;
    asyncz_time_t poll = now + s->opts.poll_interval_usec;
    if (!slot->heartbeats)
        return poll;
    if (slot->next_heartbeat == ASYNCZ_TIME_NONE || now >= slot->next_heartbeat) {
        az_shared_heartbeat(s, slot, now, NULL, 0);
        find_lost(s, slot, now, events);
        slot->next_heartbeat = now + s->opts.heartbeat_usec;
    }
    return poll < slot->next_heartbeat ? poll : slot->next_heartbeat;
}

void az_shared_deregister(asyncz_scheduler *s, az_store_slot *slot)
{
    if (!slot->heartbeats)
        return;
    asyncz_store *st = slot->store;
    (void)ASYNCZ_STORE_BASE(st)->ops->remove_instance(st, s->identity);
}
