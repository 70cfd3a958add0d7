/* GET /api/v1/status: the daemon at a glance (version, identity, host, uptime, state, zone), its stores
 * and executors from the config, its tasks by state and the runs of the last hour and day by outcome.
 *
 * Counting tasks and runs reads every task (from the shared snapshot, api_snapshot.h) and up to RUNS_CAP
 * runs per store: the counts are kept for COUNTS_TTL and shared by the requests in between (a console polls
 * this page; the rest of the answer is cheap), so that the status stays fast however many tasks there are.
 * A change made through the API shows in the next count (az_api_status_forget). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_common.h"
#include "api_handlers.h"
#include "api_snapshot.h"

/* How long counted tasks and runs are shown before they are counted again. */
#define COUNTS_TTL (2 * ASYNCZ_USEC_PER_SEC)
/* Runs of the last day counted per store at most; beyond, the counts say "at least" (truncated). */
#define RUNS_CAP ASYNCZ_HISTORY_MAX_LIMIT

typedef struct run_counts {
    size_t total, late;
    size_t by_outcome[ASYNCZ_RUN_OUTCOME_COUNT];
} run_counts;

typedef struct counts {
    size_t tasks, scheduled, paused, shutdown;
    asyncz_time_t next_run;
    run_counts hour, day;
    bool truncated;      /* a store had more runs in the last day than RUNS_CAP */
    bool history;        /* some store keeps run history */
    char errors[3][256]; /* stores that could not be read (the first few) */
    size_t n_errors;
} counts;

/* The counts of the last request, for the app they were counted for. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const az_http_app *app;
    const asyncz_scheduler *s;
    asyncz_time_t at;
    counts c;
} cache;

/* ---- counting ---------------------------------------------------------------------------------------- */

static void note_error(counts *c, const char *fmt, const char *store, const char *why)
{
    if (c->n_errors < sizeof c->errors / sizeof c->errors[0])
        snprintf(c->errors[c->n_errors++], sizeof c->errors[0], fmt, store, why);
}

static void count_tasks(az_http_app *app, counts *c)
{
    az_api_snapshot *snap = NULL;
    c->next_run = ASYNCZ_TIME_NONE;
    if (az_api_snapshot_get(app, &snap) != 0) {
        note_error(c, "%s%s", "cannot list the tasks: ", asyncz_scheduler_errmsg(app->s));
        return;
    }
    for (size_t i = 0; i < snap->n; i++) {
        unsigned state = asyncz_task_state(snap->by[AZ_API_BY_NEXT][i].task);
        c->scheduled += state == ASYNCZ_TASK_STATE_SCHEDULED;
        c->paused += state == ASYNCZ_TASK_STATE_PAUSED;
        c->shutdown += state == ASYNCZ_TASK_STATE_SHUTDOWN;
    }
    c->tasks = snap->n;
    if (snap->n) /* the order of next run times puts the soonest first */
        c->next_run = snap->by[AZ_API_BY_NEXT][0].key.next;
    az_api_snapshot_release(snap);
}

typedef struct run_ctx {
    counts *c;
    asyncz_time_t hour_ago;
} run_ctx;

static void count_in(run_counts *rc, const asyncz_run_record *r)
{
    rc->total++;
    rc->late += az_cli_run_late(r);
    if ((unsigned)r->outcome < ASYNCZ_RUN_OUTCOME_COUNT)
        rc->by_outcome[r->outcome]++;
}

static int count_run(const asyncz_run_record *r, void *userdata)
{
    run_ctx *x = userdata;
    count_in(&x->c->day, r);
    if (r->submitted_at >= x->hour_ago)
        count_in(&x->c->hour, r);
    return 0;
}

static void count_runs(az_http_app *app, counts *c, asyncz_time_t now)
{
    run_ctx x = {c, now - 3600 * ASYNCZ_USEC_PER_SEC};
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.since = now - 86400 * ASYNCZ_USEC_PER_SEC;
    q.limit = RUNS_CAP;
    for (size_t i = 0; i < app->cfg->n_stores; i++) {
        const char *name = app->cfg->stores[i].name;
        char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
        int rc = asyncz_scheduler_list_runs(app->s, name, &q, count_run, &x, next);
        if (rc == ASYNCZ_EUNSUPPORTED)
            continue;
        if (rc) {
            note_error(c, "cannot count the runs of store '%s': %s", name, asyncz_scheduler_errmsg(app->s));
            continue;
        }
        c->history = true;
        c->truncated = c->truncated || next[0];
    }
}

void az_api_status_forget(void)
{
    pthread_mutex_lock(&cache_lock);
    cache.app = NULL;
    pthread_mutex_unlock(&cache_lock);
}

/* The counts, from the cache while they are fresh. */
static void get_counts(az_http_app *app, counts *out)
{
    pthread_mutex_lock(&cache_lock);
    asyncz_time_t now = asyncz_now();
    if (cache.app != app || cache.s != app->s || now - cache.at >= COUNTS_TTL || now < cache.at) {
        memset(&cache.c, 0, sizeof cache.c);
        count_tasks(app, &cache.c);
        count_runs(app, &cache.c, now);
        cache.app = app;
        cache.s = app->s;
        cache.at = now;
    }
    *out = cache.c;
    pthread_mutex_unlock(&cache_lock);
}

/* ---- the answer ---------------------------------------------------------------------------------------- */

static json_t *run_counts_json(const counts *c, const run_counts *r)
{
    if (!c->history)
        return json_null();
    json_t *o = json_pack("{s:I, s:I, s:b}", "total", (json_int_t)r->total, "late", (json_int_t)r->late,
                          "truncated", c->truncated);
    for (unsigned i = 0; o && i < ASYNCZ_RUN_OUTCOME_COUNT; i++)
        json_object_set_new(o, asyncz_run_outcome_name((asyncz_run_outcome)i),
                            json_integer((json_int_t)r->by_outcome[i]));
    return o;
}

static json_t *stores_json(const az_http_app *app)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < app->cfg->n_stores; i++) {
        const az_cfg_store *st = &app->cfg->stores[i];
        char url[1024];
        asyncz_store_url_mask(st->url, url, sizeof url);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:b}", "name", st->name, "url", url, "history", st->history.enabled));
    }
    return a;
}

static json_t *executors_json(const az_http_app *app)
{
    static const char *const types[] = {"processpool", "threadpool", "loop"};
    json_t *a = json_array();
    for (size_t i = 0; a && i < app->cfg->n_executors; i++) {
        const az_cfg_executor *e = &app->cfg->executors[i];
        unsigned workers = e->workers ? e->workers : ASYNCZ_DEFAULT_MAX_WORKERS;
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:o}", "name", e->name, "type", types[e->type], "workers",
                                        e->type == AZ_CFG_LOOP ? json_null() : json_integer(workers)));
    }
    return a;
}

static const char *state_name(asyncz_scheduler_state state)
{
    return state == ASYNCZ_STATE_RUNNING ? "running" : state == ASYNCZ_STATE_PAUSED ? "paused" : "stopped";
}

static json_t *errors_json(const counts *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->n_errors; i++)
        json_array_append_new(a, json_string(c->errors[i]));
    return a;
}

void az_api_status(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)req;
    counts c;
    get_counts(app, &c);
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    asyncz_time_t now = asyncz_now();
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:I, s:I, s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:o, s:o}, s:o}", "version",
        asyncz_version(), "identity", app->identity ? app->identity : asyncz_scheduler_identity(app->s),
        "host", az_cli_json_text(host), "pid", (json_int_t)getpid(), "uptime_seconds",
        (json_int_t)(app->started != ASYNCZ_TIME_NONE && now > app->started
                         ? (now - app->started) / ASYNCZ_USEC_PER_SEC
                         : 0),
        "state", state_name(asyncz_scheduler_get_state(app->s)), "zone", asyncz_zone_name(app->zone),
        "stores", stores_json(app), "executors", executors_json(app), "tasks", "total", (json_int_t)c.tasks,
        "scheduled", (json_int_t)c.scheduled, "paused", (json_int_t)c.paused, "shutdown",
        (json_int_t)c.shutdown, "runs", "last_hour", run_counts_json(&c, &c.hour), "last_day",
        run_counts_json(&c, &c.day), "errors", errors_json(&c));
    if (!o || az_cli_json_set_time(o, "started", app->started, app->zone) ||
        az_cli_json_set_time(o, "next_run_time", c.next_run, app->zone)) {
        json_decref(o);
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    az_http_reply_json(resp, 200, o);
}
