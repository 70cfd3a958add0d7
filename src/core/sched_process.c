/* The core (docs/design.md): given the time, claim what is due, work out its run times, apply coalescing,
 * the misfire grace time and max_instances, hand runs to executors, and store each task's next run time or
 * remove it when its trigger is exhausted. Also the bookkeeping of finished runs. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/log_internal.h"
#include "core/run_internal.h"
#include "core/scheduler_internal.h"
#include "core/task_internal.h"
#include "util/array.h"

/* Without coalescing, at most this many run times of one task are handled per round; the rest stay due and
 * are handled in the next rounds, so a task missed for a long time cannot stall the loop. */
#define MAX_RUN_TIMES 1000
/* Tasks handled per call before yielding to the loop (which then calls again at once). */
#define ROUND_BUDGET 65536
/* While a requested run waits for a running instance of its task to finish, the request stays in the
 * task's record, due again this often (each time a claim and a release of that one record). */
#define REQUEST_RETRY_USEC ASYNCZ_USEC_PER_SEC
/* How soon to retry a store whose claim failed (asyncz's jobstore_retry_interval). */
#define STORE_RETRY_USEC (10 * ASYNCZ_USEC_PER_SEC)
#define CLAIM_BACKOFF_MIN_USEC (ASYNCZ_USEC_PER_SEC / 4) /* first wait after a failed claim */
/* A repeated release that finds the task changed still proves it was released by this scheduler while
 * this much of the lease is left: nobody else can have claimed it before the lease lapses, allowing for
 * the hosts' clocks to differ by up to a quarter of the lease. */
#define LEASE_SKEW_DIVISOR 4

/* ---- instance counts ------------------------------------------------------------------------------ */

typedef struct count_key {
    const az_counts *c;
    const asyncz_task *task;
} count_key;

/* The entry of ref is the task's: the same object (the common case: a run's task is the one counted when
 * it was submitted, so its id is not read), or a copy with the same id. */
static bool count_match(const void *ctx, uint32_t ref)
{
    const count_key *k = ctx;
    const asyncz_task *t = k->c->entries[ref - 1].task;
    return t == k->task || strcmp(t->id, k->task->id) == 0;
}

/* The map slot of the task, or the empty one where it would go (the map has a capacity). */
static size_t count_slot(const az_counts *c, const asyncz_task *task)
{
    count_key k = {c, task};
    return az_map_find_match(&c->by_id, task->id_hash, count_match, &k);
}

/* The entry index of the task + 1, or 0; *at receives its map slot. */
static uint32_t count_find(const az_counts *c, const asyncz_task *task, size_t *at)
{
    if (!c->by_id.cap)
        return 0;
    *at = count_slot(c, task);
    return c->by_id.slots[*at].ref;
}

/* Add an entry for task, which has none. The entry keeps a reference to the task, whose id is the key: no
 * copy of the id is made. */
static int counts_insert(az_counts *c, asyncz_task *task, int delta)
{
    uint32_t hash = task->id_hash;
    if (c->n >= UINT32_MAX - 1 || az_map_reserve(&c->by_id, c->n + 1) != 0 ||
        az_array_reserve((void **)&c->entries, &c->cap, c->n + 1, sizeof *c->entries) != 0)
        return ASYNCZ_ENOMEM;
    az_map_put_at(&c->by_id, count_slot(c, task), hash, (uint32_t)c->n + 1);
    c->entries[c->n++] =
        (az_count_entry){.task = asyncz_task_ref(task), .hash = hash, .count = (uint32_t)delta};
    return 0;
}

/* Drop the entry ref (in map slot at): the last entry moves into its place. */
static void counts_remove(az_counts *c, uint32_t ref, size_t at)
{
    asyncz_task_free(c->entries[ref - 1].task);
    az_map_del_at(&c->by_id, at);
    uint32_t last = (uint32_t)c->n--;
    if (ref == last)
        return;
    c->entries[ref - 1] = c->entries[last - 1];
    az_map_rebind(&c->by_id, c->entries[ref - 1].hash, last, ref);
}

bool az_counts_acquire(az_counts *c, asyncz_task *task, uint32_t max)
{
    size_t at;
    uint32_t ref = count_find(c, task, &at);
    if (ref) {
        if (c->entries[ref - 1].count >= max)
            return false;
        c->entries[ref - 1].count++;
        return true;
    }
    return max > 0 && counts_insert(c, task, 1) == 0;
}

int az_counts_add(az_counts *c, asyncz_task *task, int delta)
{
    size_t at;
    uint32_t ref = count_find(c, task, &at);
    if (!ref)
        return delta > 0 ? counts_insert(c, task, delta) : 0;
    az_count_entry *e = &c->entries[ref - 1];
    e->count = (uint32_t)((int64_t)e->count + delta);
    if (e->count == 0)
        counts_remove(c, ref, at);
    return 0;
}

/* The entry of task while it has running instances, else NULL. */
static az_count_entry *counts_entry(az_counts *c, const asyncz_task *task)
{
    size_t at;
    uint32_t ref = count_find(c, task, &at);
    return ref ? &c->entries[ref - 1] : NULL;
}

void az_counts_free(az_counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        asyncz_task_free(c->entries[i].task);
    free(c->entries);
    az_map_free(&c->by_id);
    memset(c, 0, sizeof *c);
}

/* ---- submissions
 * ------------------------------------------------------------------------------------------- */

static int subs_push(az_sub_buf *b, az_submission sub)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        az_submission *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return ASYNCZ_ENOMEM;
        b->items = items;
        b->cap = cap;
    }
    b->items[b->n++] = sub;
    return 0;
}

int az_make_submission(asyncz_scheduler *s, az_sub_buf *subs, asyncz_task *task, const char *store_alias,
                       uint64_t token, const asyncz_time_t *times, size_t n, uint32_t coalesced)
{
    az_exec_slot *slot = az_sched_find_exec(s, asyncz_task_executor(task));
    const az_registry_entry *fn = az_registry_get(&s->registry, task->func);
    az_run_init init = {.scheduler = s,
                        .task = task,
                        .fn = fn ? fn->fn : NULL,
                        .fn_userdata = fn ? fn->userdata : NULL,
                        .clock = s->opts.clock,
                        .clock_userdata = s->opts.clock_userdata,
                        .store_alias = NULL,
                        .token = token,
                        .coalesced = coalesced,
                        .times = times,
                        .n_times = n,
                        .done = az_run_done,
                        .done_userdata = s,
                        .output_max = s->opts.run_output_max};
    asyncz_run *run;
    int rc = az_run_new(&run, &init);
    if (rc)
        return rc;
    /* Store aliases live as long as the scheduler (removed stores are retired, not freed). */
    run->store_alias = store_alias;
    if (slot)
        atomic_fetch_add(&slot->refs, 1);
    if (subs_push(subs, (az_submission){.run = run, .slot = slot}) != 0) {
        az_exec_slot_unref(slot);
        az_run_free(run);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

void az_submit_all(asyncz_scheduler *s, az_sub_buf *subs)
{
    for (size_t i = 0; i < subs->n; i++) {
        asyncz_run *run = subs->items[i].run;
        az_exec_slot *slot = subs->items[i].slot;
        if (!slot) {
            asyncz_run_fail(run, ASYNCZ_ENOTFOUND, 0, "no executor named \"%s\"",
                            asyncz_task_executor(run->task));
            continue;
        }
        asyncz_executor *ex = slot->ex;
        unsigned flags = ASYNCZ_EXECUTOR_BASE(ex)->ops->flags;
        run->no_pending = !(flags & ASYNCZ_EXECUTOR_PENDING);
        int rc = ASYNCZ_EXECUTOR_BASE(ex)->ops->submit(ex, run);
        if (rc)
            asyncz_run_fail(run, rc, 0, "executor \"%s\" refused the run: %s", slot->alias,
                            asyncz_strerror(rc));
        az_exec_slot_unref(slot);
    }
    free(subs->items);
    memset(subs, 0, sizeof *subs);
    (void)s;
}

/* ---- finished runs
 * ------------------------------------------------------------------------------------------ */

/* Tell a waiting shutdown that the state it waits for may have changed: a shutdown run was drained here,
 * maybe by another thread than the waiting one (done_lock is a leaf: taken after `lock` is released). */
static void announce_done(asyncz_scheduler *s)
{
    pthread_mutex_lock(&s->done_lock);
    s->done_seq++;
    pthread_cond_broadcast(&s->done_cond);
    pthread_mutex_unlock(&s->done_lock);
}

void az_run_done(asyncz_run *run, void *userdata)
{
    asyncz_scheduler *s = userdata;
    pthread_mutex_lock(&s->done_lock);
    bool was_empty = s->done_head == NULL;
    run->next = NULL;
    if (s->done_tail)
        s->done_tail->next = run;
    else
        s->done_head = run;
    s->done_tail = run;
    s->done_seq++;
    pthread_cond_broadcast(&s->done_cond);
    pthread_mutex_unlock(&s->done_lock);
    if (was_empty && !az_loop_is_owner(s))
        az_loop_wake(s);
}

static void run_events(asyncz_scheduler *s, asyncz_run *run, az_event_buf *events)
{
    for (size_t i = 0; i < run->n_times; i++) {
        az_run_outcome *oc = &run->outcomes[i];
        if (!oc->code)
            continue;
        az_event *e = az_events_add(s, events, oc->code, run->store_alias, run->task);
        if (!e)
            continue;
        e->ev.scheduled_run_time = oc->scheduled;
        e->ev.error_code = oc->error_code;
        e->ev.signal = oc->signal;
        e->ev.outcome = az_run_outcome_of(oc);
        e->ev.exit_status = oc->exit_status;
        e->ev.fencing_token = run->token;
        memcpy(e->run_id, oc->run_id, sizeof e->run_id);
        e->result_json = az_strdup_opt(oc->result);
        e->error_message = az_strdup_opt(oc->error_message);
        if (oc->code == ASYNCZ_EVENT_TASK_ERROR)
            asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\" (%s) failed: %s",
                       asyncz_task_name(run->task), asyncz_task_id(run->task),
                       oc->error_message ? oc->error_message : "");
    }
}

/* Take the whole queue of finished runs. */
static asyncz_run *take_done(asyncz_scheduler *s)
{
    pthread_mutex_lock(&s->done_lock);
    asyncz_run *head = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->done_lock);
    return head;
}

/* Handle one batch of finished runs: events and instance counts under the lock, then delivery; runs that
 * only paused between their times (a pending run completed with times left) continue here, on the loop. */
static void drain_batch(asyncz_scheduler *s, asyncz_run *head)
{
    az_event_buf events = {0};
    asyncz_run *resume = NULL, *finished = NULL;
    bool shutdown_run = false;
    asyncz_time_t now = az_sched_now(s);
    pthread_mutex_lock(&s->lock);
    for (asyncz_run *r = head, *next; r; r = next) {
        next = r->next;
        if (r->resume) {
            r->resume = false;
            r->next = resume;
            resume = r;
            continue;
        }
        run_events(s, r, &events);
        if (r->owner_data) {
            az_hist_finished(r, now);
            s->hist_pending = true;
        }
        if (atomic_load_explicit(&r->output_dirty, memory_order_relaxed) &&
            atomic_exchange(&r->output_dirty, false)) /* its output goes with the completion */
            atomic_fetch_sub(&s->output_dirty_runs, 1);
        az_counts_add(&s->running, r->task, -1);
        az_inflight_remove(s, r);
        if (r->at_shutdown) {
            s->shutdown_runs--;
            shutdown_run = true;
        }
        r->next = finished;
        finished = r;
    }
    pthread_mutex_unlock(&s->lock);
    if (shutdown_run)
        announce_done(s);
    az_events_deliver(s, &events);
    for (asyncz_run *r = finished, *next; r; r = next) {
        next = r->next;
        az_run_free(r);
    }
    for (asyncz_run *r = resume, *next; r; r = next) {
        next = r->next;
        asyncz_run_execute(r);
    }
}

/* Cut the list after n runs; returns the rest. */
static asyncz_run *split_after(asyncz_run *head, size_t n)
{
    for (size_t i = 1; head && i < n; i++)
        head = head->next;
    asyncz_run *rest = head ? head->next : NULL;
    if (head)
        head->next = NULL;
    return rest;
}

void az_drain_done(asyncz_scheduler *s)
{
    /* In chunks, between which a store whose run history buffer is filling is written; the rest of the
     * buffer after the whole drain. */
    for (asyncz_run *head; (head = take_done(s)) != NULL;) {
        while (head) {
            asyncz_run *rest = split_after(head, AZ_HIST_DRAIN_CHUNK);
            drain_batch(s, head);
            if (rest)
                az_hist_flush_pending(s, true);
            head = rest;
        }
    }
    az_hist_flush_pending(s, false);
}

/* ---- the core round -------------------------------------------------------------------------------------
 */

typedef az_run_times run_times; /* see scheduler_internal.h */

static void times_free(run_times *rt)
{
    if (rt->times != &rt->one)
        free(rt->times);
}

static bool times_grow(run_times *rt)
{
    size_t cap = rt->cap < 8 ? 16 : rt->cap * 2;
    bool inline_buf = rt->times == &rt->one;
    asyncz_time_t *grown = inline_buf ? malloc(cap * sizeof *grown) : realloc(rt->times, cap * sizeof *grown);
    if (!grown)
        return false;
    if (inline_buf)
        grown[0] = rt->one;
    rt->times = grown;
    rt->cap = cap;
    return true;
}

/* Keep t (with coalescing, instead of the previous one). False when out of memory. */
static bool times_push(run_times *rt, asyncz_time_t t, bool coalesce)
{
    if (coalesce && rt->n == 1)
        rt->n = 0;
    if (rt->n == rt->cap && !times_grow(rt))
        return false;
    rt->times[rt->n++] = t;
    rt->due++;
    return true;
}

/* A run requested outside the schedule (asyncz_task_request_run) joins the due times in order. It is a run
 * of its own, never coalesced with the trigger's: someone asked for one more run. */
static void add_requested(const asyncz_task *t, run_times *rt)
{
    rt->due++;
    if (rt->n == rt->cap && !times_grow(rt)) {
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\": out of memory; its requested run is dropped",
                   t->id);
        rt->requested = ASYNCZ_TIME_NONE;
        return;
    }
    size_t i = rt->n++;
    for (; i > 0 && rt->times[i - 1] > rt->requested; i--)
        rt->times[i] = rt->times[i - 1];
    rt->times[i] = rt->requested;
}

static void collect_trigger_times(const asyncz_task *t, asyncz_time_t now, run_times *rt)
{
    while (rt->next != ASYNCZ_TIME_NONE && rt->next <= now) {
        if (!times_push(rt, rt->next, t->coalesce))
            break; /* out of memory: what is not kept stays due for the next round */
        rt->error = asyncz_trigger_next(t->trigger, rt->next, now, &rt->next);
        if (rt->error) {
            rt->next = ASYNCZ_TIME_NONE;
            break;
        }
        if (!t->coalesce && rt->due >= MAX_RUN_TIMES)
            break; /* the rest stay due for the next round */
    }
}

/* The run times due at now: the trigger's from the task's next run time (or, with a run request, from the
 * next run time it had before), then the requested run. */
static void collect_run_times(const asyncz_task *t, asyncz_time_t now, run_times *rt)
{
    bool requested = t->run_requested != ASYNCZ_TIME_NONE;
    asyncz_time_t from = requested ? t->resume_next : t->next_run_time;
    *rt = (run_times){.cap = 1,
                      .next = from,
                      .requested = t->run_requested,
                      .keep_paused = requested && from == ASYNCZ_TIME_NONE};
    rt->times = &rt->one;
    collect_trigger_times(t, now, rt);
    if (requested)
        add_requested(t, rt);
}

/* A requested run is never dropped (someone asked for it): while the task already runs max_instances times,
 * it leaves this round's run times and stays in the record, due again in REQUEST_RETRY_USEC, until an
 * instance has finished. The scheduled runs due with it are handled as usual (refused for max_instances). */
static void wait_for_instance(asyncz_scheduler *s, const asyncz_task *t, asyncz_time_t now, run_times *rt)
{
    az_count_entry *e = rt->requested != ASYNCZ_TIME_NONE ? counts_entry(&s->running, t) : NULL;
    if (!e || e->count < t->max_instances)
        return;
    size_t i = 0;
    while (i < rt->n && rt->times[i] != rt->requested)
        i++;
    if (i == rt->n)
        return; /* not kept (out of memory, logged): nothing waits */
    memmove(&rt->times[i], &rt->times[i + 1], (rt->n - i - 1) * sizeof *rt->times);
    rt->n--;
    rt->due--;
    rt->requested = ASYNCZ_TIME_NONE;
    rt->request_waits = true;
    rt->request_retry = now + REQUEST_RETRY_USEC;
    if (!e->request_waits)
        asyncz_log(ASYNCZ_LOG_INFO, AZ_LOGGER,
                   "task \"%s\" (%s): its requested run waits until a running instance finishes "
                   "(max_instances %u)",
                   asyncz_task_name(t), t->id, t->max_instances);
    e->request_waits = true;
}

/* Drop run times past the grace time (each a TASK_MISSED); keep the others in place. */
static void drop_missed(asyncz_scheduler *s, asyncz_task *t, az_store_slot *slot, uint64_t token,
                        asyncz_time_t now, run_times *rt, az_event_buf *events)
{
    const char *alias = slot->alias;
    size_t kept = 0;
    for (size_t i = 0; i < rt->n; i++) {
        asyncz_time_t when = rt->times[i];
        /* A requested run is never missed: someone asked for it, however late it is picked up. */
        if (when != rt->requested && t->grace != ASYNCZ_GRACE_UNLIMITED && now - when > t->grace) {
            char at[AZ_LOG_TEXT_SIZE], late[AZ_LOG_TEXT_SIZE];
            az_log_time(at, sizeof at, when);
            az_log_duration(late, sizeof late, now - when);
            asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER, "run of task \"%s\" (%s) due at %s missed by %s",
                       asyncz_task_name(t), t->id, at, late);
            az_event *e = az_events_add(s, events, ASYNCZ_EVENT_TASK_MISSED, alias, t);
            if (e) {
                e->ev.scheduled_run_time = when;
                if (az_run_id_generate(e->run_id) != 0)
                    e->run_id[0] = '\0';
            }
            char late_why[AZ_LOG_TEXT_SIZE * 2 + 32];
            snprintf(late_why, sizeof late_why, "due at %s, missed by %s", at, late);
            az_hist_not_run(slot, t, when, now, ASYNCZ_RUN_MISSED, token, late_why, e ? e->run_id : NULL);
            continue;
        }
        rt->times[kept++] = when;
    }
    rt->n = kept;
}

/* Add an event about run times rt; returns it, or NULL when out of memory. */
static az_event *add_times_event(asyncz_scheduler *s, az_event_buf *events, uint32_t code, const char *alias,
                                 const asyncz_task *t, const run_times *rt, uint64_t token)
{
    az_event *e = az_events_add(s, events, code, alias, t);
    if (!e)
        return NULL;
    e->run_times = malloc(rt->n * sizeof *e->run_times);
    if (e->run_times) {
        memcpy(e->run_times, rt->times, rt->n * sizeof *e->run_times);
        e->ev.n_run_times = rt->n;
    }
    e->ev.coalesced = rt->due;
    e->ev.fencing_token = token;
    return e;
}

/* Submit the kept run times, unless the task already runs max_instances times. */
static void submit_due(asyncz_scheduler *s, const asyncz_claim *c, az_store_slot *slot, const run_times *rt,
                       az_sub_buf *subs, az_event_buf *events)
{
    asyncz_task *t = c->task;
    const char *alias = slot->alias;
    if (!az_counts_acquire(&s->running, t, t->max_instances)) {
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER,
                   "task \"%s\" (%s) not run: it already runs the maximum number of instances (%u)",
                   asyncz_task_name(t), t->id, t->max_instances);
        add_times_event(s, events, ASYNCZ_EVENT_TASK_MAX_INSTANCES, alias, t, rt, c->token);
        for (size_t i = 0; slot->history && i < rt->n; i++)
            az_hist_not_run(slot, t, rt->times[i], az_sched_now(s), ASYNCZ_RUN_SKIPPED, c->token,
                            "not run: the task already runs the maximum number of instances", NULL);
        return;
    }
    if (az_make_submission(s, subs, t, alias, c->token, rt->times, rt->n, rt->due) != 0) {
        az_counts_add(&s->running, t, -1);
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\" (%s) not run: out of memory",
                   asyncz_task_name(t), t->id);
        return;
    }
    if (slot->heartbeats || slot->history) /* heartbeats list them; the round publishes their output */
        az_inflight_add(s, subs->items[subs->n - 1].run);
    if (slot->history)
        az_hist_submitted(slot, subs->items[subs->n - 1].run, az_sched_now(s),
                          rt->manual ? ASYNCZ_RUN_SOURCE_REQUEST : ASYNCZ_RUN_SOURCE_SCHEDULE, rt->requested);
    az_event *e = add_times_event(s, events, ASYNCZ_EVENT_TASK_SUBMITTED, alias, t, rt, c->token);
    if (e)
        memcpy(e->run_id, subs->items[subs->n - 1].run->outcomes[0].run_id, sizeof e->run_id);
}

typedef enum release_outcome {
    RELEASED, /* the store took the task back: its runs go ahead */
    LAPSED,   /* the claim was not handed back, or was no longer held: whoever holds the task runs them */
    UNKNOWN,  /* the store failed during the release: it may or may not have taken effect */
} release_outcome;

/* Send the release of claim c: the task with its next run time, or its removal when its trigger is
 * exhausted. Returns the store's answer, or ASYNCZ_ENOMEM (and *sent false) when nothing was sent. */
static int send_release(az_store_slot *slot, const asyncz_claim *c, const run_times *rt, bool *sent)
{
    asyncz_store *st = slot->store;
    asyncz_task *next = NULL;
    bool remove = rt->next == ASYNCZ_TIME_NONE && !rt->error && !rt->keep_paused && !rt->request_waits;
    *sent = remove || asyncz_task_copy(&next, c->task) == 0;
    if (!*sent)
        return ASYNCZ_ENOMEM;
    if (next)
        asyncz_task_set_next_run_time(next, rt->next); /* also ends a run request: it is handled now */
    if (next && rt->request_waits) /* unless it waits: then it stays, due again at the retry */
        asyncz_task_request_run(next, rt->request_retry);
    int rc = ASYNCZ_STORE_BASE(st)->ops->release(st, c->task->id, c->token, next);
    asyncz_task_free(next);
    return rc;
}

/* Hand the task back to its store. Only a release the store confirmed lets the runs go ahead (a claim lost
 * meanwhile belongs to whoever took it over, and running here too would run an occurrence twice). */
static release_outcome release_task(az_store_slot *slot, const asyncz_claim *c, const run_times *rt)
{
    if (rt->error) {
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER,
                   "task \"%s\" (%s) paused: its trigger failed to compute the next "
                   "run time (%s)",
                   asyncz_task_name(c->task), c->task->id, asyncz_strerror(rt->error));
    }
    bool sent = false;
    int rc = send_release(slot, c, rt, &sent);
    if (!sent) {
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\": out of memory; its claim lapses", c->task->id);
        return LAPSED;
    }
    if (rc == ASYNCZ_ESTATE || rc == ASYNCZ_ENOTFOUND) {
        asyncz_log(ASYNCZ_LOG_DEBUG, AZ_LOGGER, "task \"%s\" changed while claimed; keeping the change",
                   c->task->id);
        return LAPSED;
    }
    if (rc) {
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER,
                   "store \"%s\" failed to release task \"%s\": %s%s%s; its runs wait until the store "
                   "confirms the release",
                   slot->alias, c->task->id, asyncz_strerror(rc), *asyncz_store_errmsg() ? ": " : "",
                   asyncz_store_errmsg());
        return UNKNOWN;
    }
    return RELEASED;
}

/* Report the runs of a release whose outcome stays unknown: if it took effect, nobody runs these
 * occurrences, so they are reported as lost, the same as the runs of a scheduler that died. */
static void report_unconfirmed(asyncz_scheduler *s, az_store_slot *slot, const asyncz_claim *c,
                               const run_times *rt, const char *why, az_event_buf *events)
{
    asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "task \"%s\": %zu run(s) reported lost: %s", c->task->id, rt->n,
               why);
    for (size_t i = 0; i < rt->n; i++) {
        az_event *e = az_events_add(s, events, ASYNCZ_EVENT_TASK_LOST, slot->alias, c->task);
        if (!e)
            continue;
        e->instance_id = strdup(s->identity);
        e->ev.scheduled_run_time = rt->times[i];
        e->error_message = strdup(why);
    }
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < rt->n; i++)
        az_hist_not_run(slot, c->task, rt->times[i], az_sched_now(s), ASYNCZ_RUN_LOST, c->token, why, NULL);
    pthread_mutex_unlock(&s->lock);
}

/* Keep a release the store did not confirm, to repeat it in the next rounds; takes the claim's task
 * reference and run times (c->task becomes NULL, rt empty). */
static void defer_release(asyncz_scheduler *s, az_store_slot *slot, asyncz_claim *c, run_times *rt,
                          az_event_buf *events)
{
    az_unconfirmed *u = malloc(sizeof *u);
    if (!u) {
        report_unconfirmed(s, slot, c, rt, "out of memory to keep an unconfirmed release", events);
        return;
    }
    *u = (az_unconfirmed){.claim = *c, .rt = *rt};
    if (rt->times == &rt->one)
        u->rt.times = &u->rt.one;
    c->task = NULL;
    *rt = (run_times){.times = &rt->one};
    az_unconfirmed **tail = &slot->unconfirmed;
    while (*tail)
        tail = &(*tail)->next;
    *tail = u;
}

static void unconfirmed_free(az_unconfirmed *u)
{
    times_free(&u->rt);
    asyncz_task_free(u->claim.task);
    free(u);
}

void az_unconfirmed_abandon(asyncz_scheduler *s, az_store_slot *slot, az_event_buf *events)
{
    while (slot->unconfirmed) {
        az_unconfirmed *u = slot->unconfirmed;
        slot->unconfirmed = u->next;
        report_unconfirmed(s, slot, &u->claim, &u->rt,
                           "the store failed while this scheduler released the task and was closed before "
                           "it confirmed the release",
                           events);
        unconfirmed_free(u);
    }
}

/* After a successful release: drop missed run times, submit the others, report a removal. */
static void run_released(asyncz_scheduler *s, az_store_slot *slot, const asyncz_claim *c, asyncz_time_t now,
                         run_times *rt, az_sub_buf *subs, az_event_buf *events)
{
    drop_missed(s, c->task, slot, c->token, now, rt, events);
    if (rt->n > 0)
        submit_due(s, c, slot, rt, subs, events);
    if (rt->next == ASYNCZ_TIME_NONE && !rt->error && !rt->keep_paused && !rt->request_waits)
        az_events_add(s, events, ASYNCZ_EVENT_TASK_REMOVED, slot->alias, c->task);
}

/* Before releasing claims of a shared store, its heartbeat lists the runs about to start, so that if this
 * process dies between release and run, the survivors know what may not have run. Listed: the claims from
 * `from` on (still to release) and those before it that were released (their runs are submitted after the
 * batch). */
static void heartbeat_planned(asyncz_scheduler *s, az_store_slot *slot, const asyncz_claim *claims,
                              const run_times *rts, const release_outcome *outs, size_t from, size_t n,
                              asyncz_time_t now)
{
    az_planned *planned = malloc(n * sizeof *planned);
    if (!planned)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i >= from || outs[i] == RELEASED)
            planned[k++] = (az_planned){.task_id = claims[i].task->id, .times = rts[i].times, .n = rts[i].n};
    az_shared_heartbeat(s, slot, now, planned, k);
    free(planned);
}

/* While a slow store works through a batch, the heartbeat is written again every period (listing the runs
 * released and still to be released), so that a busy scheduler is never taken for a lost one. */
static void keep_alive(asyncz_scheduler *s, az_store_slot *slot, const asyncz_claim *claims,
                       const run_times *rts, const release_outcome *outs, size_t from, size_t n,
                       asyncz_time_t *beat_at)
{
    asyncz_time_t t = az_sched_now(s);
    if (t - *beat_at < s->opts.heartbeat_usec)
        return;
    heartbeat_planned(s, slot, claims, rts, outs, from, n, t);
    *beat_at = t;
}

/* Decide, under the lock, which requested runs wait for a running instance (max_instances). */
static void wait_for_instances(asyncz_scheduler *s, const asyncz_claim *claims, run_times *rts, size_t n,
                               asyncz_time_t now)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < n; i++)
        wait_for_instance(s, claims[i].task, now, &rts[i]);
    pthread_mutex_unlock(&s->lock);
}

/* Let the runs of the released claims go ahead, under the lock (instance counts, runs in flight). */
static void runs_released(asyncz_scheduler *s, az_store_slot *slot, const asyncz_claim *claims,
                          run_times *rts, const release_outcome *outs, size_t n, asyncz_time_t now,
                          az_sub_buf *subs, az_event_buf *events)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < n; i++)
        if (outs[i] == RELEASED)
            run_released(s, slot, &claims[i], now, &rts[i], subs, events);
    pthread_mutex_unlock(&s->lock);
}

/* Handle one batch of claims (slot->io held, lock not held): run times for all, the heartbeat (shared
 * stores), then release each and submit the runs of those released. Once a release fails, the rest of the
 * batch is kept unconfirmed without trying (the store is failing); returns whether that happened. */
static bool handle_claims(asyncz_scheduler *s, az_store_slot *slot, asyncz_claim *claims, run_times *rts,
                          release_outcome *outs, size_t n, asyncz_time_t now, az_sub_buf *subs,
                          az_event_buf *events)
{
    for (size_t i = 0; i < n; i++)
        collect_run_times(claims[i].task, now, &rts[i]);
    wait_for_instances(s, claims, rts, n, now);
    asyncz_time_t beat_at = now;
    if (slot->heartbeats && n > 0)
        heartbeat_planned(s, slot, claims, rts, outs, 0, n, now);
    bool failing = false;
    for (size_t i = 0; i < n; i++) {
        if (slot->heartbeats && !failing)
            keep_alive(s, slot, claims, rts, outs, i, n, &beat_at);
        outs[i] = failing ? UNKNOWN : release_task(slot, &claims[i], &rts[i]);
        failing = failing || outs[i] == UNKNOWN;
    }
    runs_released(s, slot, claims, rts, outs, n, now, subs, events);
    for (size_t i = 0; i < n; i++) {
        if (outs[i] == UNKNOWN)
            defer_release(s, slot, &claims[i], &rts[i], events);
        times_free(&rts[i]);
        asyncz_task_free(claims[i].task);
    }
    return failing;
}

/* A call to the store failed (the server is down, say): wait before the next, 0.25 s at first, doubling up
 * to 10 s, so that wake-ups meanwhile do not hammer the store. Returns when to try again. */
static asyncz_time_t store_failed(az_store_slot *slot, int rc, const char *doing, asyncz_time_t now)
{
    int64_t wait = slot->backoff_usec ? slot->backoff_usec * 2 : CLAIM_BACKOFF_MIN_USEC;
    slot->backoff_usec = wait < STORE_RETRY_USEC ? wait : STORE_RETRY_USEC;
    slot->retry_at = now + slot->backoff_usec;
    asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "store \"%s\" failed to %s: %s%s%s; retrying in %.2f s",
               slot->alias, doing, asyncz_strerror(rc), *asyncz_store_errmsg() ? ": " : "",
               asyncz_store_errmsg(), (double)slot->backoff_usec / ASYNCZ_USEC_PER_SEC);
    return slot->retry_at;
}

/* Repeat one unconfirmed release. The store accepts it (it had not taken effect), or says it already took
 * effect (a release is idempotent): the runs go ahead. It refuses it (the task changed or is gone): while
 * the claim's lease still runs nobody else can have claimed the task, so this release is what changed it,
 * and the runs go ahead; after that, whoever claimed it since may have run them, or not: they are reported
 * lost. Returns the store's error while it still fails (the release stays unconfirmed). */
static int confirm_one(asyncz_scheduler *s, az_store_slot *slot, az_unconfirmed *u, az_sub_buf *subs,
                       az_event_buf *events)
{
    bool sent = false;
    int rc = send_release(slot, &u->claim, &u->rt, &sent);
    if (sent && rc && rc != ASYNCZ_ESTATE && rc != ASYNCZ_ENOTFOUND)
        return rc;
    asyncz_time_t now = az_sched_now(s);
    int64_t skew = s->opts.lease_usec / LEASE_SKEW_DIVISOR;
    bool in_lease = now < u->claim.lease_until - skew;
    if (sent && (rc == 0 || in_lease)) {
        asyncz_log(ASYNCZ_LOG_INFO, AZ_LOGGER,
                   "store \"%s\" confirmed the release of task \"%s\"; its runs go ahead", slot->alias,
                   u->claim.task->id);
        pthread_mutex_lock(&s->lock);
        run_released(s, slot, &u->claim, now, &u->rt, subs, events);
        pthread_mutex_unlock(&s->lock);
    } else {
        report_unconfirmed(
            s, slot, &u->claim, &u->rt,
            sent ? "the store failed while this scheduler released the task, and by the time it "
                   "answered again the task had changed after the claim's lease ran out: if "
                   "the release took effect, this run does not happen"
                 : "out of memory to repeat an unconfirmed release",
            events);
    }
    return 0;
}

/* Repeat the store's unconfirmed releases, oldest first; stop at the first that still fails. */
static int confirm_releases(asyncz_scheduler *s, az_store_slot *slot, az_sub_buf *subs, az_event_buf *events)
{
    while (slot->unconfirmed) {
        az_unconfirmed *u = slot->unconfirmed;
        int rc = confirm_one(s, slot, u, subs, events);
        if (rc)
            return rc;
        slot->unconfirmed = u->next;
        unconfirmed_free(u);
    }
    return 0;
}

/* Claim up to batch tasks. On a store with heartbeats, no heartbeat can be written while one claim call
 * runs, so a claim that takes over a quarter of a heartbeat period halves the store's batch (down to 1),
 * and a full claim under a sixteenth doubles it again (up to batch_size): a slow store gets short claims
 * rather than a scheduler that looks lost. */
static int claim_timed(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now, size_t batch,
                       asyncz_claim *claims, size_t *n)
{
    asyncz_store *st = slot->store;
    asyncz_time_t t0 = slot->heartbeats ? az_sched_now(s) : 0;
    int rc = ASYNCZ_STORE_BASE(st)->ops->claim(st, now, s->identity, s->opts.lease_usec, batch, claims, n);
    if (!slot->heartbeats)
        return rc;
    int64_t took = az_sched_now(s) - t0;
    if (took > s->opts.heartbeat_usec / 4 && batch > 1)
        slot->batch = batch / 2;
    else if (!rc && *n == batch && took < s->opts.heartbeat_usec / 16 && batch < s->opts.batch_size)
        slot->batch = batch * 2 < s->opts.batch_size ? batch * 2 : s->opts.batch_size;
    return rc;
}

/* Claim and handle the due tasks of one store (slot->io held, lock not held); returns the store's next time
 * of interest. */
static asyncz_time_t process_store(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now,
                                   size_t *budget, az_sub_buf *subs, az_event_buf *events)
{
    if (slot->backoff_usec && now < slot->retry_at)
        return slot->retry_at;
    int failed = confirm_releases(s, slot, subs, events);
    if (failed)
        return store_failed(slot, failed, "confirm a release", now);
    asyncz_store *st = slot->store;
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    size_t batch = slot->batch ? slot->batch : s->opts.batch_size;
    asyncz_claim *claims = malloc(batch * sizeof *claims);
    run_times *rts = malloc(batch * sizeof *rts);
    release_outcome *outs = malloc(batch * sizeof *outs);
    if (!claims || !rts || !outs) {
        free(claims);
        free(rts);
        free(outs);
        return now + STORE_RETRY_USEC;
    }
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    for (;;) {
        size_t n = 0;
        int rc = claim_timed(s, slot, now, batch, claims, &n);
        if (rc) {
            next = store_failed(slot, rc, "hand out due tasks", now);
            break;
        }
        slot->backoff_usec = 0;
        if (handle_claims(s, slot, claims, rts, outs, n, now, subs, events)) {
            next = store_failed(slot, ASYNCZ_ESTORE, "release a task", now);
            break;
        }
        *budget = *budget > n ? *budget - n : 0;
        az_hist_flush_if_full(s, slot, now);
        if (n < batch || *budget == 0)
            break;
    }
    free(claims);
    free(rts);
    free(outs);
    if (next != ASYNCZ_TIME_NONE)
        return next;
    if (*budget == 0)
        return now; /* more may be due: come back at once, after the loop has had its turn */
    if (ops->earliest(st, &next) != 0)
        return now + STORE_RETRY_USEC;
    return next;
}

static asyncz_time_t earlier(asyncz_time_t a, asyncz_time_t b)
{
    if (a == ASYNCZ_TIME_NONE)
        return b;
    if (b == ASYNCZ_TIME_NONE)
        return a;
    return a < b ? a : b;
}

/* run_task() requests: one run now each, outside the schedule (lock held). */
static void process_manual(asyncz_scheduler *s, asyncz_time_t now, az_sub_buf *subs, az_event_buf *events)
{
    for (size_t i = 0; i < s->n_manual; i++) {
        az_manual_run *m = &s->manual[i];
        asyncz_claim c = {.task = m->task};
        run_times rt = {
            .times = &now, .n = 1, .cap = 1, .due = 1, .requested = ASYNCZ_TIME_NONE, .manual = true};
        az_store_slot *slot = az_sched_find_store(s, m->store_alias);
        if (slot) /* a store removed since the request takes its requests with it */
            submit_due(s, &c, slot, &rt, subs, events);
        asyncz_task_free(m->task);
        free(m->store_alias);
    }
    s->n_manual = 0;
}

/* The part of a round under the lock: the requested runs, and the stores to visit. NULL (with *n 0) when the
 * scheduler is not running or out of memory. */
static az_store_slot **round_begin(asyncz_scheduler *s, asyncz_time_t now, size_t *n, az_sub_buf *subs,
                                   az_event_buf *events)
{
    *n = 0;
    pthread_mutex_lock(&s->lock);
    az_store_slot **slots = NULL;
    if (asyncz_scheduler_get_state(s) == ASYNCZ_STATE_RUNNING) {
        process_manual(s, now, subs, events);
        slots = az_sched_slots(s, n);
    }
    pthread_mutex_unlock(&s->lock);
    return slots;
}

/* One store's part of the round, with its io lock: claims, releases, heartbeats. */
static asyncz_time_t round_store(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now, size_t *budget,
                                 az_sub_buf *subs, az_event_buf *events)
{
    asyncz_time_t wake = ASYNCZ_TIME_NONE;
    pthread_mutex_lock(&slot->io);
    if (slot->open) { /* closed meanwhile: removed, or the scheduler stops */
        wake = process_store(s, slot, now, budget, subs, events);
        wake = earlier(wake, az_shared_round(s, slot, now, events));
        az_hist_prune(s, slot, now);
    }
    pthread_mutex_unlock(&slot->io);
    return wake;
}

asyncz_time_t az_process_round(asyncz_scheduler *s, asyncz_time_t now, az_sub_buf *subs, az_event_buf *events)
{
    size_t n;
    az_store_slot **slots = round_begin(s, now, &n, subs, events);
    if (!slots)
        return asyncz_scheduler_get_state(s) == ASYNCZ_STATE_RUNNING ? now + STORE_RETRY_USEC
                                                                     : ASYNCZ_TIME_NONE;
    size_t budget = ROUND_BUDGET;
    asyncz_time_t wake = ASYNCZ_TIME_NONE;
    for (size_t i = 0; i < n; i++)
        wake = earlier(wake, round_store(s, slots[i], now, &budget, subs, events));
    free(slots);
    az_quarantine_reports_take(s, events);
    return wake;
}

asyncz_time_t az_round_output(asyncz_scheduler *s, asyncz_time_t now, asyncz_time_t wake)
{
    if (atomic_load(&s->output_dirty_runs) == 0)
        return wake;
    pthread_mutex_lock(&s->lock);
    asyncz_time_t more = az_hist_publish_output(s, now);
    pthread_mutex_unlock(&s->lock);
    return more == ASYNCZ_TIME_NONE || (wake != ASYNCZ_TIME_NONE && wake < more) ? wake : more;
}

int asyncz_scheduler_process(asyncz_scheduler *s, asyncz_time_t now, asyncz_time_t *next_wakeup)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler");
    if (next_wakeup)
        *next_wakeup = ASYNCZ_TIME_NONE;
    asyncz_scheduler_state st = asyncz_scheduler_get_state(s);
    if (st == ASYNCZ_STATE_STOPPED)
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler is not running");
    az_drain_done(s); /* runs finished since the last round no longer count against max_instances */
    az_sub_buf subs = {0};
    az_event_buf events = {0};
    asyncz_time_t wake = az_process_round(s, now, &subs, &events);
    az_events_deliver(s, &events);
    az_submit_all(s, &subs);
    wake = az_round_output(s, now, wake);
    az_drain_done(s);
    if (next_wakeup)
        *next_wakeup = wake;
    return 0;
}
