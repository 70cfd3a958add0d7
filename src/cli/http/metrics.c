/* The daemon's metrics counters (metrics.h): what the scheduler's events, the server's responses and the
 * log say, counted under one short lock in bounded tables, and copied out as a snapshot for /metrics. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

const int64_t az_metrics_bucket_usec[AZ_METRICS_BUCKETS] = {
    1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000, 10000000, 30000000, 60000000, 300000000,
};

const char *const az_metrics_methods[AZ_METRICS_N_METHODS] = {"GET",   "HEAD",   "POST",    "PUT",
                                                              "PATCH", "DELETE", "OPTIONS", "other"};

/* Slots of the open-addressing tables (powers of two, at least twice their bounds). */
#define TASK_SLOTS 32768u
#define INFLIGHT_SLOTS 8192u
#define REQUEST_SLOTS 8192u

/* A run submitted and not finished: its task series, its run time, when it was submitted. task 0: empty. */
typedef struct inflight {
    uint32_t task_plus1;
    asyncz_time_t run_time;
    asyncz_time_t submitted;
} inflight;

struct az_metrics {
    pthread_mutex_t lock;
    asyncz_time_t started;
    az_metrics_store stores[AZ_METRICS_MAX_STORES + 1]; /* [0]: "__other__" */
    size_t n_stores;
    az_metrics_task *tasks; /* [0]: "__other__" */
    size_t n_tasks, cap_tasks;
    uint32_t *task_slots; /* TASK_SLOTS: a task's index + 1, 0 empty */
    inflight *inflight;   /* INFLIGHT_SLOTS */
    size_t n_inflight;
    az_metrics_route routes[AZ_METRICS_MAX_ROUTES + 2]; /* [0]: "unmatched", [1]: "__other__" */
    size_t n_routes;
    az_metrics_request *requests; /* AZ_METRICS_MAX_REQUEST_SERIES */
    size_t n_requests;
    uint16_t *request_slots; /* REQUEST_SLOTS: a request series' index + 1, 0 empty */
    uint64_t events[32];
    uint64_t series_overflow;
    uint64_t inflight_dropped;
    uint64_t log_messages[AZ_METRICS_N_LOG_LEVELS];
    az_metrics_scrape *scrape;
};

/* ---- small helpers ---------------------------------------------------------------------------------------
 */

void az_metrics_hist_observe(az_metrics_hist *h, int64_t usec)
{
    if (usec < 0)
        usec = 0;
    size_t i = 0;
    while (i < AZ_METRICS_BUCKETS && usec > az_metrics_bucket_usec[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_usec += usec;
}

/* How many bytes of s make a label value: at most AZ_METRICS_LABEL_MAX, not cutting a UTF-8 sequence. */
static size_t label_len(const char *s)
{
    size_t n = strnlen(s, AZ_METRICS_LABEL_MAX + 1);
    if (n <= AZ_METRICS_LABEL_MAX)
        return n;
    n = AZ_METRICS_LABEL_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static bool same_label(const char *kept, const char *s, size_t n)
{
    return strncmp(kept, s, n) == 0 && kept[n] == '\0'; /* strncmp stops at kept's end */
}

static uint32_t hash_bytes(const char *s, size_t n, uint32_t seed)
{
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h ^ (h >> 15);
}

static uint32_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (uint32_t)x;
}

/* ---- life ------------------------------------------------------------------------------------------------
 */

int az_metrics_new(az_metrics **out)
{
    *out = NULL;
    az_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return ASYNCZ_ENOMEM;
    m->started = asyncz_now();
    m->cap_tasks = 64;
    m->tasks = calloc(m->cap_tasks, sizeof *m->tasks);
    m->task_slots = calloc(TASK_SLOTS, sizeof *m->task_slots);
    m->inflight = calloc(INFLIGHT_SLOTS, sizeof *m->inflight);
    m->requests = calloc(AZ_METRICS_MAX_REQUEST_SERIES, sizeof *m->requests);
    m->request_slots = calloc(REQUEST_SLOTS, sizeof *m->request_slots);
    if (!m->tasks || !m->task_slots || !m->inflight || !m->requests || !m->request_slots ||
        az_metrics_scrape_new(&m->scrape) != 0 || pthread_mutex_init(&m->lock, NULL) != 0) {
        az_metrics_scrape_free(m->scrape);
        free(m->tasks);
        free(m->task_slots);
        free(m->inflight);
        free(m->requests);
        free(m->request_slots);
        free(m);
        return ASYNCZ_ENOMEM;
    }
    m->stores[0].name = AZ_METRICS_OTHER;
    m->n_stores = 1;
    m->tasks[0] = (az_metrics_task){.task = AZ_METRICS_OTHER,
                                    .store = 0,
                                    .last_success = ASYNCZ_TIME_NONE,
                                    .last_finish = ASYNCZ_TIME_NONE};
    m->n_tasks = 1;
    m->routes[0].pattern = "unmatched";
    m->routes[1].pattern = AZ_METRICS_OTHER;
    m->n_routes = 2;
    *out = m;
    return 0;
}

void az_metrics_free(az_metrics *m)
{
    if (!m)
        return;
    az_metrics_scrape_free(m->scrape);
    for (size_t i = 1; i < m->n_stores; i++)
        free((char *)m->stores[i].name);
    for (size_t i = 1; i < m->n_tasks; i++)
        free((char *)m->tasks[i].task);
    for (size_t i = 2; i < m->n_routes; i++)
        free((char *)m->routes[i].pattern);
    free(m->tasks);
    free(m->task_slots);
    free(m->inflight);
    free(m->requests);
    free(m->request_slots);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

az_metrics_scrape *az_metrics_scrape_of(az_metrics *m)
{
    return m ? m->scrape : NULL;
}

/* ---- series lookups (lock held) ------------------------------------------------------------------------
 */

/* The index of store alias, added when new; 0 ("__other__") beyond the bound or out of memory. */
static uint32_t store_index(az_metrics *m, const char *alias)
{
    if (!alias)
        alias = "unknown";
    size_t n = label_len(alias);
    for (size_t i = 1; i < m->n_stores; i++)
        if (same_label(m->stores[i].name, alias, n))
            return (uint32_t)i;
    char *name = m->n_stores <= AZ_METRICS_MAX_STORES ? strndup(alias, n) : NULL;
    if (!name) {
        m->series_overflow++;
        return 0;
    }
    m->stores[m->n_stores] = (az_metrics_store){.name = name};
    return (uint32_t)m->n_stores++;
}

/* The index of the series of (store, task), added when new; 0 ("__other__") beyond the bound. */
static uint32_t task_index(az_metrics *m, uint32_t store, const char *task)
{
    if (!task)
        task = "unknown";
    size_t n = label_len(task);
    uint32_t h = hash_bytes(task, n, store * 0x9e3779b9u);
    uint32_t slot = h & (TASK_SLOTS - 1);
    for (; m->task_slots[slot]; slot = (slot + 1) & (TASK_SLOTS - 1)) {
        az_metrics_task *t = &m->tasks[m->task_slots[slot] - 1];
        if (t->store == store && same_label(t->task, task, n))
            return m->task_slots[slot] - 1;
    }
    if (store == 0 || m->n_tasks > AZ_METRICS_MAX_TASKS)
        goto other;
    if (m->n_tasks == m->cap_tasks) {
        size_t cap = m->cap_tasks * 2;
        if (cap > AZ_METRICS_MAX_TASKS + 1)
            cap = AZ_METRICS_MAX_TASKS + 1;
        az_metrics_task *grown = realloc(m->tasks, cap * sizeof *grown);
        if (!grown)
            goto other;
        m->tasks = grown;
        m->cap_tasks = cap;
    }
    char *name = strndup(task, n);
    if (!name)
        goto other;
    m->tasks[m->n_tasks] = (az_metrics_task){
        .task = name, .store = store, .last_success = ASYNCZ_TIME_NONE, .last_finish = ASYNCZ_TIME_NONE};
    m->task_slots[slot] = (uint32_t)++m->n_tasks;
    return (uint32_t)(m->n_tasks - 1);
other:
    m->series_overflow++;
    m->stores[0].used = true;
    return 0;
}

/* ---- runs in flight (lock held) --------------------------------------------------------------------------
 */

static uint32_t inflight_home(uint32_t task, asyncz_time_t run_time)
{
    return hash_u64(((uint64_t)task << 40) ^ (uint64_t)run_time) & (INFLIGHT_SLOTS - 1);
}

/* The slot of (task, run_time), or INFLIGHT_SLOTS when it is not there. */
static uint32_t inflight_find(const az_metrics *m, uint32_t task, asyncz_time_t run_time)
{
    for (uint32_t s = inflight_home(task, run_time); m->inflight[s].task_plus1;
         s = (s + 1) & (INFLIGHT_SLOTS - 1))
        if (m->inflight[s].task_plus1 == task + 1 && m->inflight[s].run_time == run_time)
            return s;
    return INFLIGHT_SLOTS;
}

/* Empty slot s, moving back the entries after it that would no longer be found (linear probing). */
static void inflight_delete(az_metrics *m, uint32_t s)
{
    m->inflight[s].task_plus1 = 0;
    m->n_inflight--;
    for (uint32_t j = (s + 1) & (INFLIGHT_SLOTS - 1); m->inflight[j].task_plus1;
         j = (j + 1) & (INFLIGHT_SLOTS - 1)) {
        uint32_t home = inflight_home(m->inflight[j].task_plus1 - 1, m->inflight[j].run_time);
        /* j's entry may move to the hole s when its home is not in (s, j] cyclically. */
        bool stays = s <= j ? (home > s && home <= j) : (home > s || home <= j);
        if (stays)
            continue;
        m->inflight[s] = m->inflight[j];
        m->inflight[j].task_plus1 = 0;
        s = j;
    }
}

/* Forget the run submitted longest ago: the table is full (its outcome has perhaps never come). */
static void inflight_evict_oldest(az_metrics *m)
{
    uint32_t oldest = INFLIGHT_SLOTS;
    for (uint32_t s = 0; s < INFLIGHT_SLOTS; s++)
        if (m->inflight[s].task_plus1 &&
            (oldest == INFLIGHT_SLOTS || m->inflight[s].submitted < m->inflight[oldest].submitted))
            oldest = s;
    if (oldest != INFLIGHT_SLOTS)
        inflight_delete(m, oldest);
    m->inflight_dropped++;
}

static void inflight_put(az_metrics *m, uint32_t task, asyncz_time_t run_time, asyncz_time_t submitted)
{
    uint32_t s = inflight_find(m, task, run_time);
    if (s == INFLIGHT_SLOTS) {
        if (m->n_inflight >= AZ_METRICS_MAX_INFLIGHT)
            inflight_evict_oldest(m);
        for (s = inflight_home(task, run_time); m->inflight[s].task_plus1; s = (s + 1) & (INFLIGHT_SLOTS - 1))
            ;
        m->n_inflight++;
    }
    m->inflight[s] = (inflight){.task_plus1 = task + 1, .run_time = run_time, .submitted = submitted};
}

/* When (task, run_time) was submitted, forgetting it; ASYNCZ_TIME_NONE when not known. */
static asyncz_time_t inflight_take(az_metrics *m, uint32_t task, asyncz_time_t run_time)
{
    uint32_t s = inflight_find(m, task, run_time);
    if (s == INFLIGHT_SLOTS)
        return ASYNCZ_TIME_NONE;
    asyncz_time_t submitted = m->inflight[s].submitted;
    inflight_delete(m, s);
    return submitted;
}

/* ---- events (lock held)
 * ------------------------------------------------------------------------------------
 */

/* The outcome an outcome event reports (from its code when the library did not say). */
static asyncz_run_outcome outcome_of(const asyncz_event *ev)
{
    if (ev->outcome > ASYNCZ_RUN_RUNNING && ev->outcome < ASYNCZ_RUN_OUTCOME_COUNT)
        return (asyncz_run_outcome)ev->outcome;
    if (ev->code == ASYNCZ_EVENT_TASK_EXECUTED)
        return ASYNCZ_RUN_SUCCEEDED;
    return ev->code == ASYNCZ_EVENT_TASK_MISSED ? ASYNCZ_RUN_MISSED : ASYNCZ_RUN_FAILED;
}

static void on_submitted(az_metrics *m, const asyncz_event *ev)
{
    uint32_t store = store_index(m, ev->alias);
    uint32_t task = task_index(m, store, ev->task_id);
    az_metrics_store *st = &m->stores[store];
    st->used = true;
    st->submissions++;
    if (ev->coalesced > ev->n_run_times)
        st->coalesced += ev->coalesced - ev->n_run_times;
    for (size_t i = 0; ev->run_times && i < ev->n_run_times; i++) {
        az_metrics_hist_observe(&st->lateness, ev->time - ev->run_times[i]);
        if (task != 0)
            inflight_put(m, task, ev->run_times[i], ev->time);
    }
}

static void on_outcome(az_metrics *m, const asyncz_event *ev)
{
    uint32_t store = store_index(m, ev->alias);
    uint32_t task = task_index(m, store, ev->task_id);
    asyncz_run_outcome o = outcome_of(ev);
    az_metrics_store *st = &m->stores[store];
    az_metrics_task *t = &m->tasks[task];
    st->used = true;
    t->runs[o]++;
    if (o == ASYNCZ_RUN_MISSED)
        return;
    asyncz_time_t submitted = task ? inflight_take(m, task, ev->scheduled_run_time) : ASYNCZ_TIME_NONE;
    if (submitted != ASYNCZ_TIME_NONE)
        az_metrics_hist_observe(&st->duration, ev->time - submitted);
    else
        st->untimed++;
    t->last_finish = ev->time;
    if (o == ASYNCZ_RUN_SUCCEEDED) {
        t->last_success = ev->time;
        t->consecutive_failures = 0;
    } else if (o == ASYNCZ_RUN_FAILED || o == ASYNCZ_RUN_TIMED_OUT || o == ASYNCZ_RUN_CRASHED) {
        t->consecutive_failures++;
    }
}

/* Runs that never ran: refused (max_instances) or lost. */
static void on_not_run(az_metrics *m, const asyncz_event *ev, asyncz_run_outcome o, uint64_t n)
{
    uint32_t store = store_index(m, ev->alias);
    uint32_t task = task_index(m, store, ev->task_id);
    m->stores[store].used = true;
    m->tasks[task].runs[o] += n;
}

void az_metrics_on_event(az_metrics *m, const asyncz_event *ev)
{
    if (!m || !ev)
        return;
    pthread_mutex_lock(&m->lock);
    if (ev->code && (ev->code & (ev->code - 1)) == 0)
        m->events[__builtin_ctz(ev->code)]++;
    switch (ev->code) {
    case ASYNCZ_EVENT_TASK_SUBMITTED:
        on_submitted(m, ev);
        break;
    case ASYNCZ_EVENT_TASK_EXECUTED:
    case ASYNCZ_EVENT_TASK_ERROR:
    case ASYNCZ_EVENT_TASK_MISSED:
        on_outcome(m, ev);
        break;
    case ASYNCZ_EVENT_TASK_MAX_INSTANCES:
        on_not_run(m, ev, ASYNCZ_RUN_SKIPPED, ev->n_run_times ? ev->n_run_times : 1);
        break;
    case ASYNCZ_EVENT_TASK_LOST:
        on_not_run(m, ev, ASYNCZ_RUN_LOST, 1);
        break;
    case ASYNCZ_EVENT_TASK_QUARANTINED: {
        az_metrics_store *st = &m->stores[store_index(m, ev->alias)];
        st->used = true;
        st->quarantined_total++;
        break;
    }
    default:
        break;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- requests
 * -----------------------------------------------------------------------------------------------
 */

static uint16_t method_index(const char *method)
{
    for (uint16_t i = 0; method && i < AZ_METRICS_N_METHODS - 1; i++)
        if (strcmp(method, az_metrics_methods[i]) == 0)
            return i;
    return AZ_METRICS_N_METHODS - 1;
}

/* The index of a route pattern (lock held), added when new; 1 ("__other__") beyond the bound. */
static uint16_t route_index(az_metrics *m, const char *pattern)
{
    if (!pattern)
        return 0;
    size_t n = label_len(pattern);
    for (size_t i = 2; i < m->n_routes; i++)
        if (same_label(m->routes[i].pattern, pattern, n))
            return (uint16_t)i;
    char *copy = m->n_routes < AZ_METRICS_MAX_ROUTES + 2 ? strndup(pattern, n) : NULL;
    if (!copy) {
        m->series_overflow++;
        return 1;
    }
    m->routes[m->n_routes] = (az_metrics_route){.pattern = copy};
    return (uint16_t)m->n_routes++;
}

void az_metrics_on_request(az_metrics *m, const char *method, const char *pattern, int status, int64_t usec)
{
    if (!m)
        return;
    uint16_t meth = method_index(method);
    uint16_t code = status < 0 || status > 999 ? 0 : (uint16_t)status;
    pthread_mutex_lock(&m->lock);
    uint16_t route = route_index(m, pattern);
    az_metrics_hist_observe(&m->routes[route].duration, usec);
    uint64_t key = ((uint64_t)meth << 32) | ((uint64_t)route << 16) | code;
    uint32_t s = hash_u64(key) & (REQUEST_SLOTS - 1);
    for (; m->request_slots[s]; s = (s + 1) & (REQUEST_SLOTS - 1)) {
        az_metrics_request *r = &m->requests[m->request_slots[s] - 1];
        if (r->method == meth && r->route == route && r->status == code)
            break;
    }
    if (m->request_slots[s]) {
        m->requests[m->request_slots[s] - 1].count++;
    } else if (m->n_requests < AZ_METRICS_MAX_REQUEST_SERIES) {
        m->requests[m->n_requests] =
            (az_metrics_request){.method = meth, .route = route, .status = code, .count = 1};
        m->request_slots[s] = (uint16_t)++m->n_requests;
    } else {
        m->series_overflow++;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- the log ----------------------------------------------------------------------------------------------
 */

void az_metrics_on_log(az_metrics *m, asyncz_log_level level, const char *logger, const char *message)
{
    if (!m || level < ASYNCZ_LOG_WARNING || level > ASYNCZ_LOG_CRITICAL)
        return;
    /* `store "ALIAS"...` from the scheduler: a failure of that store. */
    char alias[ASYNCZ_TASK_ALIAS_MAX + 1];
    bool about_store = false;
    static const char prefix[] = "store \"";
    if (logger && message && strcmp(logger, "asyncz.scheduler") == 0 &&
        strncmp(message, prefix, sizeof prefix - 1) == 0) {
        const char *name = message + sizeof prefix - 1;
        const char *end = strchr(name, '"');
        size_t n = end ? (size_t)(end - name) : 0;
        if (n > 0 && n <= ASYNCZ_TASK_ALIAS_MAX) {
            memcpy(alias, name, n);
            alias[n] = '\0';
            about_store = true;
        }
    }
    pthread_mutex_lock(&m->lock);
    m->log_messages[level - ASYNCZ_LOG_WARNING]++;
    if (about_store) {
        az_metrics_store *st = &m->stores[store_index(m, alias)];
        st->used = true;
        st->store_errors++;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- snapshots --------------------------------------------------------------------------------------------
 */

static void *copy_array(const void *from, size_t n, size_t size)
{
    void *to = malloc(n ? n * size : 1);
    if (to && n)
        memcpy(to, from, n * size);
    return to;
}

int az_metrics_snapshot_take(az_metrics *m, az_metrics_snapshot *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->lock);
    out->started = m->started;
    out->n_stores = m->n_stores;
    out->n_tasks = m->n_tasks;
    out->n_routes = m->n_routes;
    out->n_requests = m->n_requests;
    out->stores = copy_array(m->stores, m->n_stores, sizeof *m->stores);
    out->tasks = copy_array(m->tasks, m->n_tasks, sizeof *m->tasks);
    out->routes = copy_array(m->routes, m->n_routes, sizeof *m->routes);
    out->requests = copy_array(m->requests, m->n_requests, sizeof *m->requests);
    memcpy(out->events, m->events, sizeof out->events);
    out->series_overflow = m->series_overflow;
    out->inflight_dropped = m->inflight_dropped;
    memcpy(out->log_messages, m->log_messages, sizeof out->log_messages);
    pthread_mutex_unlock(&m->lock);
    if (!out->stores || !out->tasks || !out->routes || !out->requests) {
        az_metrics_snapshot_free(out);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

void az_metrics_snapshot_free(az_metrics_snapshot *s)
{
    free(s->stores);
    free(s->tasks);
    free(s->routes);
    free(s->requests);
    memset(s, 0, sizeof *s);
}
