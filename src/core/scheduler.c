/* The scheduler object: options, errors, functions, stores, executors and the lifecycle. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/executor.h"
#include "asyncz/log.h"
#include "core/run_internal.h"
#include "core/audit.h"
#include "core/history.h"
#include "core/scheduler_internal.h"
#include "core/task_internal.h"
#include "core/store_open.h"
#include "util/options.h"

/* The message of the last failing call on this thread (documented as thread-local). */
static _Thread_local char last_error[512];

int az_sched_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

const char *asyncz_scheduler_errmsg(const asyncz_scheduler *s)
{
    (void)s;
    return last_error;
}

asyncz_time_t az_sched_now(asyncz_scheduler *s)
{
    return s->opts.clock ? s->opts.clock(s->opts.clock_userdata) : asyncz_now();
}

/* The bytes of each version of asyncz_scheduler_options: up to the end of that version's last field. A new
 * field goes at the end of the struct, with a new version and its size here. */
static const size_t OPTIONS_SIZE[ASYNCZ_SCHEDULER_OPTIONS_VERSION + 1] = {
    [1] = offsetof(asyncz_scheduler_options, heartbeat_usec) + sizeof(int64_t),
    [2] = offsetof(asyncz_scheduler_options, run_output_max) + sizeof(size_t),
};

static void options_defaults(asyncz_scheduler_options *o)
{
    memset(o, 0, sizeof *o);
    o->version = ASYNCZ_SCHEDULER_OPTIONS_VERSION;
    o->misfire_grace_time = ASYNCZ_TASK_DEFAULT_GRACE;
    o->coalesce = ASYNCZ_TASK_DEFAULT_COALESCE;
    o->max_instances = ASYNCZ_TASK_DEFAULT_MAX_INSTANCES;
    o->batch_size = 256;
    o->lease_usec = 30 * ASYNCZ_USEC_PER_SEC;
    o->poll_interval_usec = ASYNCZ_USEC_PER_SEC;
    o->heartbeat_usec = 10 * ASYNCZ_USEC_PER_SEC;
    o->run_output_max = ASYNCZ_RUN_OUTPUT_DEFAULT_MAX;
}

static int check_version(uint32_t version)
{
    char why[320];
    if (az_options_version_problem("asyncz_scheduler_options", "asyncz_scheduler_options_init", version,
                                   ASYNCZ_SCHEDULER_OPTIONS_VERSION, why, sizeof why))
        return az_sched_fail(ASYNCZ_EINVAL, "%s", why);
    return 0;
}

int asyncz_scheduler_options_init_version(asyncz_scheduler_options *o, uint32_t version)
{
    if (!o)
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_options_init: opts is NULL");
    int rc = check_version(version);
    if (rc) {
        o->version = version; /* the first member of every version */
        return rc;
    }
    asyncz_scheduler_options defaults;
    options_defaults(&defaults);
    az_options_fill(o, &defaults, OPTIONS_SIZE, version);
    return 0;
}

/* The caller's options as this version of the struct: the fields of the caller's version, the defaults for
 * the fields added after it (NULL: every default). */
static int read_options(const asyncz_scheduler_options *in, asyncz_scheduler_options *out)
{
    options_defaults(out);
    if (!in)
        return 0;
    int rc = check_version(in->version);
    if (rc)
        return rc;
    az_options_copy(out, in, OPTIONS_SIZE, ASYNCZ_SCHEDULER_OPTIONS_VERSION);
    return 0;
}

static int check_options(const asyncz_scheduler_options *o)
{
    if (o->misfire_grace_time <= 0 && o->misfire_grace_time != ASYNCZ_GRACE_UNLIMITED)
        return az_sched_fail(ASYNCZ_EINVAL, "misfire_grace_time must be positive or unlimited");
    if (o->max_instances < 1)
        return az_sched_fail(ASYNCZ_EINVAL, "max_instances must be at least 1");
    if (o->batch_size < 1 || o->lease_usec <= 0)
        return az_sched_fail(ASYNCZ_EINVAL, "batch_size and lease_usec must be positive");
    if (o->poll_interval_usec <= 0 || o->heartbeat_usec <= 0)
        return az_sched_fail(ASYNCZ_EINVAL, "poll_interval_usec and heartbeat_usec must be positive");
    if (o->identity && !az_text_valid(o->identity, 255, false))
        return az_sched_fail(ASYNCZ_EINVAL, "identity must be 1-255 bytes of text");
    if (o->run_output_max > ASYNCZ_RUN_OUTPUT_MAX)
        return az_sched_fail(ASYNCZ_EINVAL, "run_output_max %zu is over the most a run keeps (%u bytes)",
                             o->run_output_max, ASYNCZ_RUN_OUTPUT_MAX);
    return 0;
}

static char *default_identity(void)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    char *id = NULL;
    if (asprintf(&id, "%s:%ld", host, (long)getpid()) < 0)
        return NULL;
    return id;
}

static int init_fields(asyncz_scheduler *s, const asyncz_scheduler_options *opts)
{
    s->opts = *opts;
    s->opts.identity = NULL;
    s->opts.timezone = NULL;
    s->identity = opts->identity ? strdup(opts->identity) : default_identity();
    if (!s->identity)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    if (opts->timezone)
        s->zone = asyncz_zone_ref(opts->timezone);
    else if (asyncz_zone_get(&s->zone, "local") != 0)
        s->zone = asyncz_zone_ref(asyncz_zone_utc());
    s->armed = ASYNCZ_TIME_NONE;
    s->epfd = s->evfd = s->tfd = -1;
    return az_listeners_init(s);
}

int asyncz_scheduler_new(asyncz_scheduler **out, const asyncz_scheduler_options *opts)
{
    if (!out)
        return az_sched_fail(ASYNCZ_EINVAL, "out is NULL");
    asyncz_scheduler_options read;
    int rc = read_options(opts, &read);
    if (rc == 0)
        rc = check_options(&read);
    if (rc)
        return rc;
    opts = &read;
    asyncz_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->done_lock, NULL);
    pthread_mutex_init(&s->quarantine_lock, NULL);
    pthread_cond_init(&s->stopped_cond, NULL);
    pthread_cond_init(&s->done_cond, NULL);
    az_registry_init(&s->registry);
    atomic_init(&s->state, ASYNCZ_STATE_STOPPED);
    if ((rc = init_fields(s, opts)) == 0 && (rc = az_loop_open(s)) != 0)
        rc = az_sched_fail(rc, "cannot make the scheduler's eventfd, timerfd or epoll fd");
    if (rc) {
        asyncz_scheduler_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void store_slot_free(az_store_slot *slot)
{
    if (!slot)
        return;
    asyncz_store_free(slot->store); /* closes it if open */
    az_hist_buf_free(&slot->hist);
    az_hist_buf_free(&slot->hist_retry);
    az_hist_buf_free(&slot->hist_spare);
    pthread_mutex_destroy(&slot->io);
    free(slot->alias);
    free(slot);
}

void az_exec_slot_unref(az_exec_slot *slot)
{
    if (!slot || atomic_fetch_sub(&slot->refs, 1) != 1)
        return;
    if (slot->started)
        ASYNCZ_EXECUTOR_BASE(slot->ex)->ops->shutdown(slot->ex, true);
    asyncz_executor_free(slot->ex);
    free(slot->alias);
    free(slot);
}

void asyncz_scheduler_free(asyncz_scheduler *s)
{
    if (!s)
        return;
    if (asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED)
        asyncz_scheduler_shutdown(s, true);
    if (s->thread_joinable)
        pthread_join(s->thread, NULL);
    az_drain_done(s);
    for (size_t i = 0; i < s->n_execs; i++)
        az_exec_slot_unref(s->execs[i]);
    /* Runs still going when an executor was shut down without waiting (a pool task that shut the scheduler
     * down, say) finished while the executors were freed above, which waits for them. They borrow their
     * store's alias, so they are delivered before the stores go. */
    az_drain_done(s);
    for (size_t i = 0; i < s->n_stores; i++)
        store_slot_free(s->stores[i]);
    for (size_t i = 0; i < s->n_retired; i++)
        store_slot_free(s->retired[i]);
    free(s->retired);
    for (size_t i = 0; i < s->n_pending; i++)
        asyncz_task_free(s->pending[i]);
    for (size_t i = 0; i < s->n_manual; i++) {
        asyncz_task_free(s->manual[i].task);
        free(s->manual[i].store_alias);
    }
    free(s->stores);
    free(s->execs);
    free(s->pending);
    free(s->manual);
    az_counts_free(&s->running);
    az_listeners_free_all(s);
    az_loop_close(s);
    az_registry_free(&s->registry);
    asyncz_zone_unref(s->zone);
    free(s->identity);
    pthread_cond_destroy(&s->stopped_cond);
    pthread_cond_destroy(&s->done_cond);
    az_quarantine_reports_free(s);
    pthread_mutex_destroy(&s->quarantine_lock);
    pthread_mutex_destroy(&s->done_lock);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- functions ---------------------------------------------------------------------------------------- */

int asyncz_scheduler_register(asyncz_scheduler *s, const char *name, asyncz_task_fn fn, void *userdata)
{
    if (!s || !fn || !az_text_valid(name, ASYNCZ_TASK_FUNC_MAX, false))
        return az_sched_fail(ASYNCZ_EINVAL, "a function needs a name (1-255 bytes of text) and a pointer");
    pthread_mutex_lock(&s->lock);
    int rc = az_registry_set(&s->registry, name, fn, userdata);
    pthread_mutex_unlock(&s->lock);
    return rc ? az_sched_fail(rc, "out of memory") : 0;
}

void az_scheduler_lookup_fn(asyncz_scheduler *s, const char *name, asyncz_task_fn *fn, void **userdata)
{
    pthread_mutex_lock(&s->lock);
    const az_registry_entry *e = az_registry_get(&s->registry, name);
    *fn = e ? e->fn : NULL;
    *userdata = e ? e->userdata : NULL;
    pthread_mutex_unlock(&s->lock);
}

void az_scheduler_after_fork(asyncz_scheduler *s)
{
    for (size_t i = 0; i < s->n_stores; i++)
        pthread_mutex_init(&s->stores[i]->io, NULL);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->done_lock, NULL);
    pthread_mutex_init(&s->quarantine_lock, NULL);
    pthread_cond_init(&s->stopped_cond, NULL);
    pthread_cond_init(&s->done_cond, NULL);
}

/* ---- stores
 * ------------------------------------------------------------------------------------------------ */

az_store_slot *az_sched_find_store(asyncz_scheduler *s, const char *alias)
{
    for (size_t i = 0; i < s->n_stores; i++)
        if (strcmp(s->stores[i]->alias, alias) == 0)
            return s->stores[i];
    return NULL;
}

az_store_slot **az_sched_slots(asyncz_scheduler *s, size_t *n)
{
    az_store_slot **copy = malloc((s->n_stores ? s->n_stores : 1) * sizeof *copy);
    *n = copy ? s->n_stores : 0;
    if (copy && s->n_stores)
        memcpy(copy, s->stores, s->n_stores * sizeof *copy);
    return copy;
}

bool az_slot_enter(az_store_slot *slot)
{
    pthread_mutex_lock(&slot->io);
    if (slot->store)
        return true;
    pthread_mutex_unlock(&slot->io);
    return false;
}

void az_slot_leave(az_store_slot *slot)
{
    pthread_mutex_unlock(&slot->io);
}

static void store_wakeup(void *data)
{
    az_loop_wake(((az_store_slot *)data)->sched);
}

static int store_open(asyncz_scheduler *s, az_store_slot *slot)
{
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(slot->store)->ops;
    slot->host = (asyncz_store_host){.alias = slot->alias,
                                     .identity = s->identity,
                                     .wakeup = store_wakeup,
                                     .quarantined = az_store_quarantined_report,
                                     .host_data = slot};
    slot->sched = s;
    slot->shared = (ops->caps & ASYNCZ_STORE_CAP_SHARED) != 0;
    slot->heartbeats = slot->shared && ops->heartbeat && ops->instances && ops->remove_instance;
    slot->next_heartbeat = ASYNCZ_TIME_NONE; /* at the first round */
    slot->next_prune = 0;
    pthread_mutex_lock(&s->lock);
    slot->history = az_store_has_history(ops) && !slot->history_off;
    bool audit = az_store_has_audit(ops) &&
                 (slot->audit_set > 0 || (slot->audit_set == 0 && (ops->caps & ASYNCZ_STORE_CAP_PERSISTENT)));
    __atomic_store_n(&slot->audit, audit, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&s->lock);
    int rc = az_store_do_open(slot->store, &slot->host);
    if (rc)
        return az_sched_fail(ASYNCZ_ESTORE, "store \"%s\" (%s) failed to open: %s (%s)%s%s", slot->alias,
                             ops->name, asyncz_strerror(rc), asyncz_err_name(rc),
                             *asyncz_store_errmsg() ? ": " : "", asyncz_store_errmsg());
    slot->open = true;
    return 0;
}

/* Append a slot pointer to an array (lock held). */
static int push_ptr(void ***arr, size_t *n, void *item)
{
    void **grown = realloc(*arr, (*n + 1) * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    grown[(*n)++] = item;
    *arr = grown;
    return 0;
}

static az_store_slot *slot_new(const char *alias, asyncz_store *store)
{
    az_store_slot *slot = calloc(1, sizeof *slot);
    if (!slot || !(slot->alias = strdup(alias))) {
        free(slot);
        return NULL;
    }
    pthread_mutex_init(&slot->io, NULL);
    slot->store = store;
    slot->retention =
        (asyncz_history_retention){.max_age_usec = ASYNCZ_HISTORY_DEFAULT_MAX_AGE,
                                   .max_runs_per_task = ASYNCZ_HISTORY_DEFAULT_MAX_RUNS_PER_TASK,
                                   .max_runs = 0};
    return slot;
}

/* Add a slot to the stores (lock held). On failure the slot is the caller's still. */
static int publish_store(asyncz_scheduler *s, az_store_slot *slot, az_event_buf *events)
{
    if (az_sched_find_store(s, slot->alias))
        return az_sched_fail(ASYNCZ_EEXISTS, "a store named \"%s\" already exists", slot->alias);
    if (push_ptr((void ***)&s->stores, &s->n_stores, slot) != 0)
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    az_events_add(s, events, ASYNCZ_EVENT_STORE_ADDED, slot->alias, NULL);
    return 0;
}

/* Free a slot that was never published; its store stays the caller's. */
static void slot_discard(az_store_slot *slot)
{
    if (slot->open)
        az_store_do_close(slot->store);
    slot->store = NULL;
    store_slot_free(slot);
}

int asyncz_scheduler_add_store(asyncz_scheduler *s, const char *alias, asyncz_store *store)
{
    if (!s || !store || !asyncz_alias_valid(alias)) {
        asyncz_store_free(store);
        return az_sched_fail(ASYNCZ_EINVAL, "a store needs an alias of 1-64 characters A-Z a-z 0-9 . _ -");
    }
    az_store_slot *slot = slot_new(alias, store);
    if (!slot) {
        asyncz_store_free(store);
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    }
    /* The store of a running (or starting) scheduler is opened before anyone else can see it, without the
     * lock; whether it must be is known for sure only under the lock, when it is published. */
    az_event_buf events = {0};
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool must_open =
            (asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED || s->mode != AZ_MODE_NONE) && !slot->open;
        if (!must_open)
            rc = publish_store(s, slot, &events);
        pthread_mutex_unlock(&s->lock);
        if (!must_open || (rc = store_open(s, slot)) != 0)
            break;
    }
    if (rc) {
        slot_discard(slot);
        asyncz_store_free(store);
    }
    az_loop_wake(s);
    az_events_deliver(s, &events);
    return rc;
}

/* Close a store (slot->io held): give up its unconfirmed releases, remove this scheduler's heartbeat. */
static void close_slot(asyncz_scheduler *s, az_store_slot *slot, az_event_buf *events)
{
    az_unconfirmed_abandon(s, slot, events);
    if (slot->open)
        az_hist_flush_final(s, slot, az_sched_now(s));
    if (slot->open)
        az_shared_deregister(s, slot);
    az_store_do_close(slot->store);
    slot->open = false;
}

/* Close and free a removed store but keep its slot, whose alias runs under way may still point to; the
 * slot is freed with the scheduler (lock not held: a call into the store under way ends first). */
static void retire_store(asyncz_scheduler *s, az_store_slot *slot, az_event_buf *events)
{
    if (!az_slot_enter(slot))
        return;
    close_slot(s, slot, events);
    asyncz_store_free(slot->store);
    slot->store = NULL;
    az_slot_leave(slot);
}

int asyncz_scheduler_remove_store(asyncz_scheduler *s, const char *alias)
{
    if (!s || !alias)
        return az_sched_fail(ASYNCZ_EINVAL, "no alias");
    az_event_buf events = {0};
    az_store_slot *found = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_stores && !found; i++) {
        if (strcmp(s->stores[i]->alias, alias) != 0)
            continue;
        found = s->stores[i];
        memmove(&s->stores[i], &s->stores[i + 1], (s->n_stores - i - 1) * sizeof s->stores[0]);
        s->n_stores--;
    }
    /* Out of memory here, the slot is leaked rather than freed under a run that may point to its alias. */
    if (found)
        (void)push_ptr((void ***)&s->retired, &s->n_retired, found);
    pthread_mutex_unlock(&s->lock);
    if (found) {
        az_events_add(s, &events, ASYNCZ_EVENT_STORE_REMOVED, alias, NULL);
        retire_store(s, found, &events);
    }
    az_events_deliver(s, &events);
    return found ? 0 : az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", alias);
}

/* ---- executors -------------------------------------------------------------------------------------------
 */

az_exec_slot *az_sched_find_exec(asyncz_scheduler *s, const char *alias)
{
    for (size_t i = 0; i < s->n_execs; i++)
        if (strcmp(s->execs[i]->alias, alias) == 0)
            return s->execs[i];
    return NULL;
}

static int exec_start(asyncz_scheduler *s, az_exec_slot *slot)
{
    const asyncz_executor_ops *ops = ASYNCZ_EXECUTOR_BASE(slot->ex)->ops;
    slot->host = (asyncz_executor_host){.scheduler = s, .alias = slot->alias};
    int rc = ops->start ? ops->start(slot->ex, &slot->host) : 0;
    if (rc)
        return az_sched_fail(rc, "executor \"%s\" (%s) failed to start: %s", slot->alias, ops->name,
                             asyncz_strerror(rc));
    slot->started = true;
    return 0;
}

static int attach_exec(asyncz_scheduler *s, const char *alias, asyncz_executor *ex, az_event_buf *events)
{
    if (az_sched_find_exec(s, alias))
        return az_sched_fail(ASYNCZ_EEXISTS, "an executor named \"%s\" already exists", alias);
    az_exec_slot *slot = calloc(1, sizeof *slot);
    if (!slot || !(slot->alias = strdup(alias))) {
        free(slot);
        return az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    }
    atomic_init(&slot->refs, 1);
    slot->ex = ex;
    int rc = asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED ? exec_start(s, slot) : 0;
    if (rc == 0 && push_ptr((void ***)&s->execs, &s->n_execs, slot) != 0)
        rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    if (rc) {
        slot->ex = NULL;
        slot->started = false;
        free(slot->alias);
        free(slot);
        return rc;
    }
    az_events_add(s, events, ASYNCZ_EVENT_EXECUTOR_ADDED, alias, NULL);
    return 0;
}

int asyncz_scheduler_add_executor(asyncz_scheduler *s, const char *alias, asyncz_executor *ex)
{
    if (!s || !ex || !asyncz_alias_valid(alias)) {
        asyncz_executor_free(ex);
        return az_sched_fail(ASYNCZ_EINVAL,
                             "an executor needs an alias of 1-64 characters A-Z a-z 0-9 . _ -");
    }
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    int rc = attach_exec(s, alias, ex, &events);
    pthread_mutex_unlock(&s->lock);
    if (rc)
        asyncz_executor_free(ex);
    az_events_deliver(s, &events);
    return rc;
}

int asyncz_scheduler_remove_executor(asyncz_scheduler *s, const char *alias)
{
    if (!s || !alias)
        return az_sched_fail(ASYNCZ_EINVAL, "no alias");
    az_event_buf events = {0};
    az_exec_slot *found = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_execs && !found; i++) {
        if (strcmp(s->execs[i]->alias, alias) != 0)
            continue;
        found = s->execs[i];
        memmove(&s->execs[i], &s->execs[i + 1], (s->n_execs - i - 1) * sizeof s->execs[0]);
        s->n_execs--;
    }
    if (found)
        az_events_add(s, &events, ASYNCZ_EVENT_EXECUTOR_REMOVED, alias, NULL);
    pthread_mutex_unlock(&s->lock);
    /* Shutting down waits for its runs, whose completion may need this thread's loop: drain first. */
    az_exec_slot_unref(found);
    az_drain_done(s);
    az_events_deliver(s, &events);
    return found ? 0 : az_sched_fail(ASYNCZ_ENOTFOUND, "no executor named \"%s\"", alias);
}

/* ---- lifecycle --------------------------------------------------------------------------------------------
 */

const char *asyncz_scheduler_identity(const asyncz_scheduler *s)
{
    return s ? s->identity : NULL;
}

asyncz_scheduler_state asyncz_scheduler_get_state(const asyncz_scheduler *s)
{
    return s ? (asyncz_scheduler_state)atomic_load(&((asyncz_scheduler *)s)->state) : ASYNCZ_STATE_STOPPED;
}

/* Add the default store and executor if missing (lock held). */
static int add_defaults(asyncz_scheduler *s, az_event_buf *events)
{
    int rc = 0;
    if (!az_sched_find_store(s, "default")) {
        asyncz_store *st;
        if ((rc = asyncz_store_memory_new(&st)) != 0)
            return az_sched_fail(rc, "cannot make the default memory store");
        az_store_slot *slot = slot_new("default", st);
        rc = slot ? publish_store(s, slot, events) : az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
        if (rc) {
            if (slot)
                slot_discard(slot);
            asyncz_store_free(st);
        }
    }
    if (rc == 0 && !az_sched_find_exec(s, "default")) {
        asyncz_executor *ex;
        if ((rc = asyncz_executor_threadpool_new(&ex, ASYNCZ_DEFAULT_MAX_WORKERS)) != 0)
            return az_sched_fail(rc, "cannot make the default thread pool");
        if ((rc = attach_exec(s, "default", ex, events)) != 0)
            asyncz_executor_free(ex);
    }
    return rc;
}

/* Open the stores not open yet (lock not held: a server store connects), each under its io lock. */
static int open_stores(asyncz_scheduler *s, az_store_slot **slots, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        pthread_mutex_lock(&slots[i]->io);
        if (!slots[i]->open)
            rc = store_open(s, slots[i]);
        pthread_mutex_unlock(&slots[i]->io);
    }
    return rc;
}

/* Start the executors not started yet (lock held). */
static int start_execs(asyncz_scheduler *s)
{
    for (size_t i = 0; i < s->n_execs; i++)
        if (!s->execs[i]->started) {
            int rc = exec_start(s, s->execs[i]);
            if (rc)
                return rc;
        }
    return 0;
}

/* Close every store (lock not held), each once the calls into it under way have ended. */
static void close_all(asyncz_scheduler *s, az_event_buf *events)
{
    pthread_mutex_lock(&s->lock);
    size_t n;
    az_store_slot **slots = az_sched_slots(s, &n);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++)
        if (az_slot_enter(slots[i])) {
            close_slot(s, slots[i], events);
            az_slot_leave(slots[i]);
        }
    free(slots);
}

/* Stop every started executor (lock not held: waiting for runs must not block the API). */
static void shutdown_execs(asyncz_scheduler *s, bool wait)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n_execs;
    az_exec_slot **slots = calloc(n ? n : 1, sizeof *slots);
    for (size_t i = 0; slots && i < n; i++) {
        slots[i] = s->execs[i];
        atomic_fetch_add(&slots[i]->refs, 1);
    }
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; slots && i < n; i++) {
        if (slots[i]->started)
            ASYNCZ_EXECUTOR_BASE(slots[i]->ex)->ops->shutdown(slots[i]->ex, wait);
        slots[i]->started = false;
        az_exec_slot_unref(slots[i]);
    }
    free(slots);
}

static int start_common(asyncz_scheduler *s, unsigned flags, az_mode mode)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler");
    az_event_buf events = {0};
    pthread_mutex_lock(&s->lock);
    if (asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED || s->mode != AZ_MODE_NONE) {
        pthread_mutex_unlock(&s->lock);
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler is already running");
    }
    int rc = add_defaults(s, &events);
    size_t n = 0;
    az_store_slot **slots = rc == 0 ? az_sched_slots(s, &n) : NULL;
    if (rc == 0 && !slots)
        rc = az_sched_fail(ASYNCZ_ENOMEM, "out of memory");
    s->mode = mode; /* a start is under way: another one is refused */
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        rc = open_stores(s, slots, n);
    free(slots);
    pthread_mutex_lock(&s->lock);
    if (rc == 0)
        rc = start_execs(s);
    if (rc) {
        s->mode = AZ_MODE_NONE;
        pthread_mutex_unlock(&s->lock);
        close_all(s, &events);
        shutdown_execs(s, true);
        az_events_deliver(s, &events);
        return rc;
    }
    atomic_store(&s->stop, false);
    s->started_at = az_sched_now(s);
    atomic_store(&s->state, (flags & ASYNCZ_START_PAUSED) ? ASYNCZ_STATE_PAUSED : ASYNCZ_STATE_RUNNING);
    az_events_add(s, &events, ASYNCZ_EVENT_SCHEDULER_START, NULL, NULL);
    pthread_mutex_unlock(&s->lock);
    az_sched_add_pending_to_stores(s, az_sched_now(s));
    asyncz_log(ASYNCZ_LOG_INFO, AZ_LOGGER, "scheduler started%s",
               (flags & ASYNCZ_START_PAUSED) ? " (paused)" : "");
    az_events_deliver(s, &events);
    az_loop_wake(s);
    return 0;
}

static void *thread_main(void *arg)
{
    asyncz_scheduler *s = arg;
    while (!az_loop_round(s, true))
        ;
    az_sched_stop_sequence(s);
    return NULL;
}

int asyncz_scheduler_start(asyncz_scheduler *s, unsigned flags)
{
    if (s && s->thread_joinable && asyncz_scheduler_get_state(s) == ASYNCZ_STATE_STOPPED) {
        pthread_join(s->thread, NULL); /* a loop thread that stopped itself */
        s->thread_joinable = false;
    }
    int rc = start_common(s, flags, AZ_MODE_THREAD);
    if (rc)
        return rc;
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) {
        az_sched_stop_sequence(s);
        return az_sched_fail(ASYNCZ_EIO, "cannot create the scheduler thread");
    }
    s->thread_joinable = true;
    return 0;
}

int asyncz_scheduler_run(asyncz_scheduler *s, unsigned flags)
{
    int rc = start_common(s, flags, AZ_MODE_BLOCKING);
    if (rc)
        return rc;
    while (!az_loop_round(s, true))
        ;
    az_sched_stop_sequence(s);
    return 0;
}

int asyncz_scheduler_start_embedded(asyncz_scheduler *s, unsigned flags)
{
    return start_common(s, flags, AZ_MODE_EMBEDDED);
}

int asyncz_scheduler_fd(const asyncz_scheduler *s)
{
    return s && s->mode == AZ_MODE_EMBEDDED ? s->epfd : -1;
}

static int set_paused(asyncz_scheduler *s, bool paused)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler");
    int from = paused ? ASYNCZ_STATE_RUNNING : ASYNCZ_STATE_PAUSED;
    int to = paused ? ASYNCZ_STATE_PAUSED : ASYNCZ_STATE_RUNNING;
    if (!atomic_compare_exchange_strong(&s->state, &from, to)) {
        if (from == to)
            return 0;
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler is not running");
    }
    az_event_buf events = {0};
    az_events_add(s, &events, paused ? ASYNCZ_EVENT_SCHEDULER_PAUSED : ASYNCZ_EVENT_SCHEDULER_RESUMED, NULL,
                  NULL);
    az_loop_wake(s);
    az_events_deliver(s, &events);
    return 0;
}

int asyncz_scheduler_pause(asyncz_scheduler *s)
{
    return set_paused(s, true);
}

int asyncz_scheduler_resume(asyncz_scheduler *s)
{
    return set_paused(s, false);
}

/* Tasks whose trigger is a shutdown trigger run once at shutdown: found in each store (its io lock held),
 * then submitted under the lock. */
typedef struct shutdown_found {
    asyncz_task **tasks; /* references */
    az_store_slot **slots;
    size_t n, cap;
    az_store_slot *slot; /* the store being listed */
} shutdown_found;

static int find_shutdown_task(asyncz_task *task, void *data)
{
    shutdown_found *f = data;
    if (!task->trigger || strcmp(asyncz_trigger_kind(task->trigger), "shutdown") != 0)
        return 0;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        asyncz_task **tasks = realloc(f->tasks, cap * sizeof *tasks);
        if (tasks)
            f->tasks = tasks;
        az_store_slot **slots = tasks ? realloc(f->slots, cap * sizeof *slots) : NULL;
        if (!slots)
            return 0; /* out of memory: this one does not run */
        f->slots = slots;
        f->cap = cap;
    }
    f->tasks[f->n] = asyncz_task_ref(task);
    f->slots[f->n++] = f->slot;
    return 0;
}

static void find_shutdown_tasks(asyncz_scheduler *s, shutdown_found *f)
{
    pthread_mutex_lock(&s->lock);
    size_t n;
    az_store_slot **slots = az_sched_slots(s, &n);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        if (!az_slot_enter(slots[i]))
            continue;
        f->slot = slots[i];
        ASYNCZ_STORE_BASE(slots[i]->store)->ops->list(slots[i]->store, find_shutdown_task, f);
        az_slot_leave(slots[i]);
    }
    free(slots);
}

/* Queue one shutdown task's run (lock held). Counted like any run (the drain uncounts it), but not
 * refused: shutdown runs happen once. */
static void queue_shutdown_task(asyncz_scheduler *s, az_sub_buf *subs, asyncz_task *task, az_store_slot *slot,
                                asyncz_time_t now)
{
    az_counts_add(&s->running, task, 1);
    if (az_make_submission(s, subs, task, slot->alias, 0, &now, 1, 1) != 0) {
        az_counts_add(&s->running, task, -1);
        return;
    }
    subs->items[subs->n - 1].run->at_shutdown = true;
    az_hist_submitted(slot, subs->items[subs->n - 1].run, now, ASYNCZ_RUN_SOURCE_SHUTDOWN, ASYNCZ_TIME_NONE);
    s->shutdown_runs++;
}

static void run_shutdown_tasks(asyncz_scheduler *s)
{
    shutdown_found f = {0};
    find_shutdown_tasks(s, &f);
    az_sub_buf subs = {0};
    asyncz_time_t now = az_sched_now(s);
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < f.n; i++)
        queue_shutdown_task(s, &subs, f.tasks[i], f.slots[i], now);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < f.n; i++)
        asyncz_task_free(f.tasks[i]);
    free(f.tasks);
    free(f.slots);
    az_submit_all(s, &subs);
}

/* A waiting shutdown lets the shutdown tasks' runs finish before it stops the executors: a pool fails the
 * runs still queued when it stops, and these were queued just now. Between drains it sleeps on done_cond
 * until done_seq moves: a run queued as finished, or a shutdown run drained by another thread. The count
 * is read before the drain, so a change made after it is never missed. */
static void wait_shutdown_runs(asyncz_scheduler *s)
{
    for (;;) {
        pthread_mutex_lock(&s->done_lock);
        uint64_t seen = s->done_seq;
        pthread_mutex_unlock(&s->done_lock);
        az_drain_done(s);
        pthread_mutex_lock(&s->lock);
        size_t left = s->shutdown_runs;
        pthread_mutex_unlock(&s->lock);
        if (left == 0)
            return;
        pthread_mutex_lock(&s->done_lock);
        while (s->done_seq == seen)
            pthread_cond_wait(&s->done_cond, &s->done_lock);
        pthread_mutex_unlock(&s->done_lock);
    }
}

void az_sched_stop_sequence(asyncz_scheduler *s)
{
    run_shutdown_tasks(s);
    if (s->stop_wait)
        wait_shutdown_runs(s);
    az_drain_done(s);
    shutdown_execs(s, s->stop_wait);
    az_drain_done(s);
    az_event_buf events = {0};
    close_all(s, &events);
    pthread_mutex_lock(&s->lock);
    s->mode = AZ_MODE_NONE;
    s->armed = ASYNCZ_TIME_NONE;
    atomic_store(&s->state, ASYNCZ_STATE_STOPPED);
    az_events_add(s, &events, ASYNCZ_EVENT_SCHEDULER_SHUTDOWN, NULL, NULL);
    pthread_cond_broadcast(&s->stopped_cond);
    pthread_mutex_unlock(&s->lock);
    asyncz_log(ASYNCZ_LOG_INFO, AZ_LOGGER, "scheduler shut down");
    az_events_deliver(s, &events);
}

int asyncz_scheduler_shutdown(asyncz_scheduler *s, bool wait)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "no scheduler");
    pthread_mutex_lock(&s->lock);
    az_mode mode = s->mode;
    if (asyncz_scheduler_get_state(s) == ASYNCZ_STATE_STOPPED || atomic_load(&s->stop)) {
        pthread_mutex_unlock(&s->lock);
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler is not running");
    }
    s->stop_wait = wait;
    atomic_store(&s->stop, true);
    bool owner = az_loop_is_owner(s);
    pthread_mutex_unlock(&s->lock);
    if (owner)
        return 0; /* the loop owner finishes the stop after this round */
    az_loop_wake(s);
    if (mode == AZ_MODE_THREAD) {
        pthread_join(s->thread, NULL);
        s->thread_joinable = false;
    } else if (mode == AZ_MODE_BLOCKING) {
        pthread_mutex_lock(&s->lock);
        while (asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED)
            pthread_cond_wait(&s->stopped_cond, &s->lock);
        pthread_mutex_unlock(&s->lock);
    } else {
        az_sched_stop_sequence(s);
    }
    return 0;
}
