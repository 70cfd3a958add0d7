/* The `http` suite's stores (bench_http.h): filled through the store API before a daemon opens them (tasks,
 * and run records written as a scheduler writes them, through the store's history_put as the
 * `history-stores` suite does), and the lateness of the runs a daemon made, read back from the history after
 * it stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "asyncz/sys/store.h"
#include "bench_http.h"
#include "util/ids.h"

#define BATCH 1000
#define DAY (86400 * ASYNCZ_USEC_PER_SEC)

static int open_store(const char *url, asyncz_store **out)
{
    *out = NULL;
    if (asyncz_store_open(out, url) != 0 || asyncz_store_connect(*out) != 0) {
        fprintf(stderr, "asyncz-bench http: %s: %s\n", url, asyncz_store_errmsg());
        asyncz_store_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Add the tasks in batches, freeing them; make(i, &task) makes task i. */
static int add_all(asyncz_store *st, size_t n, int (*make)(size_t i, void *ud, asyncz_task **t), void *ud)
{
    asyncz_task **batch = calloc(BATCH, sizeof *batch);
    int rc = batch ? 0 : -1;
    for (size_t from = 0; rc == 0 && from < n; from += BATCH) {
        size_t k = n - from < BATCH ? n - from : BATCH;
        for (size_t i = 0; rc == 0 && i < k; i++)
            rc = make(from + i, ud, &batch[i]);
        if (rc == 0)
            rc = asyncz_store_add_tasks(st, batch, k);
        for (size_t i = 0; i < k; i++) {
            asyncz_task_free(batch[i]);
            batch[i] = NULL;
        }
    }
    free(batch);
    return rc;
}

/* ---- tasks that do not fire ---------------------------------------------------------------------------- */

typedef struct idle_ctx {
    asyncz_time_t first;
} idle_ctx;

static int make_idle(size_t i, void *ud, asyncz_task **out)
{
    idle_ctx *c = ud;
    char id[32], args[64];
    snprintf(id, sizeof id, "t%07zu", i);
    snprintf(args, sizeof args, "[\"echo task %zu\"]", i);
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    o.start_date = c->first + (asyncz_time_t)i * ASYNCZ_USEC_PER_SEC;
    asyncz_trigger *trig = NULL;
    int rc = asyncz_trigger_interval_new(&trig, 365 * DAY, &o, NULL);
    rc = rc ? rc : asyncz_task_new(out, "asyncz.shell");
    rc = rc ? rc : asyncz_task_set_id(*out, id);
    rc = rc ? rc : asyncz_task_set_args_json(*out, args);
    rc = rc ? rc : asyncz_task_set_trigger(*out, trig);
    rc = rc ? rc : asyncz_task_set_next_run_time(*out, o.start_date);
    asyncz_trigger_unref(trig);
    return rc;
}

int bh_fill_tasks(const char *url, size_t n)
{
    asyncz_store *st;
    if (open_store(url, &st) != 0)
        return -1;
    idle_ctx c = {asyncz_now() + DAY};
    int rc = add_all(st, n, make_idle, &c);
    if (rc)
        fprintf(stderr, "asyncz-bench http: cannot add tasks to %s: %s\n", url, asyncz_store_errmsg());
    asyncz_store_free(st);
    return rc ? -1 : 0;
}

/* ---- tasks that fire ----------------------------------------------------------------------------------- */

typedef struct tick_ctx {
    const char *prefix, *func, *args;
    size_t n;
    int64_t interval;
    asyncz_time_t start;
} tick_ctx;

static int make_tick(size_t i, void *ud, asyncz_task **out)
{
    tick_ctx *c = ud;
    char id[64];
    snprintf(id, sizeof id, "%s-%05zu", c->prefix, i);
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    o.start_date =
        c->start + (asyncz_time_t)((double)c->interval * (double)i / (double)c->n); /* phases spread */
    asyncz_trigger *trig = NULL;
    int rc = asyncz_trigger_interval_new(&trig, c->interval, &o, NULL);
    rc = rc ? rc : asyncz_task_new(out, c->func);
    rc = rc ? rc : asyncz_task_set_id(*out, id);
    rc = rc ? rc : asyncz_task_set_args_json(*out, c->args);
    rc = rc ? rc : asyncz_task_set_trigger(*out, trig);
    rc = rc ? rc : asyncz_task_set_misfire_grace_time(*out, ASYNCZ_GRACE_UNLIMITED);
    rc = rc ? rc : asyncz_task_set_next_run_time(*out, o.start_date);
    asyncz_trigger_unref(trig);
    return rc;
}

int bh_fill_ticks(const char *url, const char *prefix, size_t n, const char *func, const char *args,
                  int64_t interval_usec, asyncz_time_t start)
{
    asyncz_store *st;
    if (open_store(url, &st) != 0)
        return -1;
    tick_ctx c = {prefix, func, args, n, interval_usec, start};
    int rc = add_all(st, n, make_tick, &c);
    if (rc)
        fprintf(stderr, "asyncz-bench http: cannot add tasks to %s: %s\n", url, asyncz_store_errmsg());
    asyncz_store_free(st);
    return rc ? -1 : 0;
}

/* ---- run history --------------------------------------------------------------------------------------- */

/* Record i of n, submitted over the 29 days before now in id order. */
static void make_run(asyncz_run_record *r, char (*ids)[24], size_t i, size_t n, size_t tasks,
                     asyncz_time_t now)
{
    static const asyncz_time_t span = 29 * DAY;
    asyncz_run_record_init(r);
    asyncz_time_t at = now - span + (asyncz_time_t)((double)span * (double)i / (double)n);
    az_uuid7_at(r->run_id, (uint64_t)(at / 1000));
    r->task_id = ids[i % tasks];
    r->task_name = r->task_id;
    r->store_alias = "default";
    r->scheduler = "bench-host:4242";
    r->host = "bench-host";
    r->pid = 4242;
    r->fencing_token = i + 1;
    r->scheduled_time = at - 1000;
    r->submitted_at = at;
    r->started_at = at + 500;
    r->finished_at = at + 25000;
    r->outcome = i % 10 == 3 ? ASYNCZ_RUN_FAILED : ASYNCZ_RUN_SUCCEEDED;
    r->exit_status = r->outcome == ASYNCZ_RUN_FAILED ? 1 : 0;
    r->error_message = r->outcome == ASYNCZ_RUN_FAILED ? "command exited with status 1" : NULL;
}

int bh_fill_runs(const char *url, size_t n, size_t tasks)
{
    asyncz_store *st;
    if (open_store(url, &st) != 0)
        return -1;
    char(*ids)[24] = malloc(tasks * sizeof *ids);
    asyncz_run_record *batch = malloc(BATCH * sizeof *batch);
    int rc = ids && batch ? 0 : -1;
    for (size_t i = 0; ids && i < tasks; i++)
        snprintf(ids[i], sizeof ids[i], "t%07zu", i);
    asyncz_time_t now = asyncz_now();
    for (size_t from = 0; rc == 0 && from < n; from += BATCH) {
        size_t k = n - from < BATCH ? n - from : BATCH;
        for (size_t j = 0; j < k; j++)
            make_run(&batch[j], ids, from + j, n, tasks, now);
        rc = ASYNCZ_STORE_BASE(st)->ops->history_put(st, batch, k);
    }
    if (rc)
        fprintf(stderr, "asyncz-bench http: cannot write run records into %s: %s\n", url,
                asyncz_store_errmsg());
    free(batch);
    free(ids);
    asyncz_store_free(st);
    return rc ? -1 : 0;
}

/* ---- lateness ------------------------------------------------------------------------------------------ */

typedef struct late_ctx {
    const char *prefix;
    size_t prefix_len;
    asyncz_time_t from, to;
    int64_t *v;
    size_t n, cap;
} late_ctx;

static int take_lateness(const asyncz_run_record *r, void *ud)
{
    late_ctx *c = ud;
    if (r->scheduled_time < c->from || r->scheduled_time >= c->to || r->started_at == ASYNCZ_TIME_NONE ||
        !r->task_id || strncmp(r->task_id, c->prefix, c->prefix_len) != 0)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        int64_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return ASYNCZ_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = r->started_at - r->scheduled_time;
    return 0;
}

int bh_read_lateness(const char *url, const char *prefix, asyncz_time_t from, asyncz_time_t to, int64_t **out,
                     size_t *n)
{
    asyncz_store *st;
    if (open_store(url, &st) != 0)
        return -1;
    late_ctx c = {.prefix = prefix, .prefix_len = strlen(prefix), .from = from, .to = to};
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.since = from - 10 * ASYNCZ_USEC_PER_SEC; /* submitted_at: a late run was submitted after its time */
    q.until = to + 10 * ASYNCZ_USEC_PER_SEC;
    q.limit = ASYNCZ_HISTORY_MAX_LIMIT;
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "", next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc;
    do {
        q.cursor = cursor;
        rc = asyncz_store_list_runs(st, &q, take_lateness, &c, next);
        memcpy(cursor, next, sizeof cursor);
    } while (rc == 0 && cursor[0]);
    if (rc)
        fprintf(stderr, "asyncz-bench http: cannot read the run history of %s: %s\n", url,
                asyncz_store_errmsg());
    asyncz_store_free(st);
    if (rc) {
        free(c.v);
        return -1;
    }
    *out = c.v;
    *n = c.n;
    return 0;
}
