/* The `history-stores` suite: the run history of the persistent stores (ASYNCZ_BENCH_STORES URLs, as the
 * `stores` suite), through the store API: encoding, sealing when ASYNCZ_STORE_ENCRYPTION_KEY is set, and
 * the backend's journal. Per store, with ASYNCZ_BENCH_HISTORY_RUNS records (default 100,000; the issue's
 * figures are at 1,000,000) of 1,000 tasks, 1 in 10 failed, spread over 30 days, about 300 bytes each:
 *
 *   fill (runs/s)       history_put in batches of 1,000 up to the size (target >= 20,000 runs/s)
 *   last50_of_task      the 50 newest runs of one task (target <= 5 ms)
 *   failed_last_day     failed runs of the last day, at most 100 (target <= 20 ms)
 *   prune_128_age       one prune call removing 128 records by age (target <= 10 ms: a round's work)
 *   prune_128_per_task  one prune call trimming tasks over max_runs_per_task (target <= 10 ms)
 *
 * Times are wall-clock medians; the store's namespace is emptied first and left filled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "asyncz/sys/store.h"
#include "bench.h"
#include "util/ids.h"

#define TASKS 1000
#define BATCH 1000
#define DAY (86400 * ASYNCZ_USEC_PER_SEC)
#define SPAN (30 * DAY)
/* Records per prune call: what a scheduler asks of a store each round (AZ_HIST_PRUNE_PER_ROUND). */
#define PRUNE_MAX 128

static char task_ids[TASKS][16];

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

/* Record i of n: its submission spread over the 30 days before now, in id order. */
static void make_record(asyncz_run_record *r, uint64_t i, uint64_t n, asyncz_time_t now)
{
    asyncz_run_record_init(r);
    asyncz_time_t at = now - SPAN + (asyncz_time_t)((double)SPAN * (double)i / (double)n);
    az_uuid7_at(r->run_id, (uint64_t)(at / 1000));
    r->task_id = task_ids[i % TASKS];
    r->task_name = "a task of the history benchmark, with a name of some length";
    r->store_alias = "default";
    r->scheduler = "bench-host:4242:scheduler";
    r->host = "bench-host";
    r->pid = 4242;
    r->fencing_token = i + 1;
    r->scheduled_time = at - 1000;
    r->submitted_at = at;
    r->started_at = at + 500;
    r->finished_at = at + 25000;
    r->outcome = i % 10 == 3 ? ASYNCZ_RUN_FAILED : ASYNCZ_RUN_SUCCEEDED;
    r->error_message = r->outcome == ASYNCZ_RUN_FAILED ? "command exited with status 1" : NULL;
    r->result = r->outcome == ASYNCZ_RUN_SUCCEEDED ? "{\"exit_status\":0}" : NULL;
}

static int fill(const bench_ctx *ctx, asyncz_store *st, const char *url, uint64_t n, asyncz_time_t now)
{
    asyncz_run_record *batch = malloc(BATCH * sizeof *batch);
    if (!batch)
        return -1;
    uint64_t t0 = bench_now_ns();
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < n; i += BATCH) {
        size_t k = n - i < BATCH ? (size_t)(n - i) : BATCH;
        for (size_t j = 0; j < k; j++)
            make_record(&batch[j], i + j, n, now);
        rc = ops(st)->history_put(st, batch, k);
    }
    free(batch);
    if (rc) {
        fprintf(stderr, "history-stores: %s: put failed: %s\n", url, asyncz_store_errmsg());
        return -1;
    }
    double ns = (double)(bench_now_ns() - t0) / (double)n;
    char name[160], extra[96];
    snprintf(name, sizeof name, "%s fill_batched (runs/s)", asyncz_store_kind(st));
    snprintf(extra, sizeof extra, ",\"runs_per_sec\":%.0f,\"runs\":%llu", 1e9 / ns, (unsigned long long)n);
    bench_report(ctx, "history-stores", name, &ns, 1, n, extra);
    return 0;
}

static int count_one(const asyncz_run_record *rec, void *ud)
{
    (void)rec;
    ++*(size_t *)ud;
    return 0;
}

/* The median wall time of `repeats` listings of q (task varied when vary_task), reported in ms. */
static void time_listing(const bench_ctx *ctx, asyncz_store *st, const char *what, asyncz_history_query *q,
                         bool vary_task)
{
    double samples[32];
    int n = ctx->repeats * 3 < 32 ? ctx->repeats * 3 : 32;
    for (int k = 0; k < n; k++) {
        if (vary_task)
            q->task_id = task_ids[(k * 37) % TASKS];
        size_t got = 0;
        uint64_t t = bench_now_ns();
        int rc = asyncz_store_list_runs(st, q, count_one, &got, NULL);
        samples[k] = (double)(bench_now_ns() - t);
        if (rc)
            fprintf(stderr, "history-stores: %s: %s\n", what, asyncz_store_errmsg());
    }
    char name[160];
    snprintf(name, sizeof name, "%s %s", asyncz_store_kind(st), what);
    bench_report(ctx, "history-stores", name, samples, n, 1, ",\"unit\":\"ns per listing\"");
}

static void time_prune(const bench_ctx *ctx, asyncz_store *st, const char *what,
                       const asyncz_history_retention *r, asyncz_time_t now)
{
    double samples[32];
    int n = ctx->repeats * 3 < 32 ? ctx->repeats * 3 : 32;
    for (int k = 0; k < n; k++) {
        size_t pruned = 0;
        uint64_t t = bench_now_ns();
        if (asyncz_store_prune_runs(st, r, now, PRUNE_MAX, &pruned) != 0)
            fprintf(stderr, "history-stores: %s: %s\n", what, asyncz_store_errmsg());
        samples[k] = (double)(bench_now_ns() - t);
    }
    char name[160];
    snprintf(name, sizeof name, "%s %s", asyncz_store_kind(st), what);
    bench_report(ctx, "history-stores", name, samples, n, 1, ",\"unit\":\"ns per prune call\"");
}

static int bench_one(const bench_ctx *ctx, const char *url, uint64_t runs)
{
    asyncz_store *st = NULL;
    if (asyncz_store_open(&st, url) != 0 || asyncz_store_connect(st) != 0) {
        fprintf(stderr, "history-stores: %s: %s\n", url, asyncz_store_errmsg());
        asyncz_store_free(st);
        return 1;
    }
    asyncz_time_t now = asyncz_now();
    /* Empty the namespace's history first: everything is older than a day from now + 60 days. */
    asyncz_history_retention all = {.max_age_usec = 1};
    size_t pruned = 0;
    do
        asyncz_store_prune_runs(st, &all, now + 60 * DAY, 100000, &pruned);
    while (pruned == 100000);
    int failed = fill(ctx, st, url, runs, now);
    if (!failed) {
        asyncz_history_query q;
        asyncz_history_query_init(&q);
        q.limit = 50;
        time_listing(ctx, st, "last50_of_task", &q, true);
        asyncz_history_query_init(&q);
        q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_FAILED);
        q.since = now - DAY;
        q.limit = 100;
        time_listing(ctx, st, "failed_last_day", &q, false);
        asyncz_history_retention by_age = {.max_age_usec = 15 * DAY}; /* half the records are older */
        time_prune(ctx, st, "prune_128_age", &by_age, now);
        /* Trimming covers the tasks this store object wrote: all 1,000, each over 10. */
        asyncz_history_retention by_count = {.max_runs_per_task = 10};
        time_prune(ctx, st, "prune_128_per_task", &by_count, now);
    }
    asyncz_store_free(st);
    return failed;
}

int bench_history_stores(const bench_ctx *ctx)
{
    const char *list = getenv("ASYNCZ_BENCH_STORES");
    if (!list || !*list) {
        fprintf(stderr,
                "asyncz-bench history-stores: set ASYNCZ_BENCH_STORES to a space-separated list of store "
                "URLs (`make bench` starts the test servers and sets it)\n");
        return 1;
    }
    const char *env = getenv("ASYNCZ_BENCH_HISTORY_RUNS");
    uint64_t runs = env && atoll(env) > 0 ? (uint64_t)atoll(env) : 100000;
    for (int i = 0; i < TASKS; i++)
        snprintf(task_ids[i], sizeof task_ids[i], "task-%04d", i);
    char *copy = strdup(list);
    int failed = 0;
    for (char *save = NULL, *url = strtok_r(copy, " ", &save); url; url = strtok_r(NULL, " ", &save))
        failed |= bench_one(ctx, url, runs);
    free(copy);
    return failed;
}
