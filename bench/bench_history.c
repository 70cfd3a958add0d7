/* The `history` suite: run history on the memory store (the scheduler's recording, per backend, comes next).
 *
 *   put_batch64         history_put of records 64 at a time (each record written once, as finished)
 *   upsert_pair         a record written as running, then again as finished (what each run will cost)
 *   last50_of_task_100k the 50 newest runs of one task (of 1,000) among 100,000 kept (the memory store's cap
 *                       raised from its default 10,000; the 1,000,000 is for the persistent stores)
 *   failed_last_day     failed runs of the last day (1 in 100) among the 100,000 kept
 *   prune_1000          pruning 1,000 expired records in one call (bounded work of one round)
 *   dispatch_loop_history_off / _on   the `dispatch` suite's loop executor case (1,000,000 due runs) with the
 *                       run history off and on (target: on <= 10% slower, <= 800 ns per run)
 *
 * Targets (issue 14): writes >= 20,000 runs/s (<= 50 us per run), the last 50 of a task <= 5 ms, failed of
 * the last day <= 20 ms, a prune call never longer than 10 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "asyncz/sys/store.h"
#include "bench.h"
#include "util/ids.h"

#define KEPT 100000
#define TASKS 1000
#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC

static char task_ids[TASKS][16];

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static void fill_record(asyncz_run_record *r, uint64_t i, asyncz_run_outcome outcome)
{
    asyncz_run_record_init(r);
    az_run_id_generate(r->run_id);
    r->task_id = task_ids[i % TASKS];
    r->task_name = "bench";
    r->store_alias = "default";
    r->scheduler = "bench-scheduler";
    r->host = "bench-host";
    r->pid = 1;
    r->scheduled_time = T0 + (asyncz_time_t)i * 1000;
    r->submitted_at = r->scheduled_time + 10;
    r->outcome = outcome;
    if (outcome != ASYNCZ_RUN_RUNNING) {
        r->started_at = r->submitted_at + 10;
        r->finished_at = r->started_at + 100;
    }
}

typedef struct state {
    asyncz_store *st;
    uint64_t next;
} state;

static uint64_t put_batch_body(void *p, uint64_t iterations)
{
    state *s = p;
    asyncz_run_record batch[64];
    for (uint64_t done = 0; done < iterations;) {
        size_t n = iterations - done < 64 ? (size_t)(iterations - done) : 64;
        for (size_t i = 0; i < n; i++)
            fill_record(&batch[i], s->next++, ASYNCZ_RUN_SUCCEEDED);
        if (ops(s->st)->history_put(s->st, batch, n) != 0)
            return done;
        done += n;
    }
    return iterations;
}

static uint64_t upsert_body(void *p, uint64_t iterations)
{
    state *s = p;
    for (uint64_t i = 0; i < iterations; i++) {
        asyncz_run_record r;
        fill_record(&r, s->next++, ASYNCZ_RUN_RUNNING);
        if (ops(s->st)->history_put(s->st, &r, 1) != 0)
            return i;
        r.outcome = ASYNCZ_RUN_SUCCEEDED;
        r.finished_at = r.submitted_at + 100;
        if (ops(s->st)->history_put(s->st, &r, 1) != 0)
            return i;
    }
    return iterations;
}

static int count_one(const asyncz_run_record *rec, void *ud)
{
    (void)rec;
    ++*(size_t *)ud;
    return 0;
}

static uint64_t last50_body(void *p, uint64_t iterations)
{
    state *s = p;
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.limit = 50;
    for (uint64_t i = 0; i < iterations; i++) {
        q.task_id = task_ids[i % TASKS];
        size_t n = 0;
        if (asyncz_store_list_runs(s->st, &q, count_one, &n, NULL) != 0 || n != 50)
            return i;
    }
    return iterations;
}

static uint64_t failed_day_body(void *p, uint64_t iterations)
{
    state *s = p;
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_FAILED);
    q.limit = ASYNCZ_HISTORY_MAX_LIMIT;
    q.since = T0 + (asyncz_time_t)(s->next - KEPT) * 1000; /* the window the kept records span */
    for (uint64_t i = 0; i < iterations; i++) {
        size_t n = 0;
        if (asyncz_store_list_runs(s->st, &q, count_one, &n, NULL) != 0 || n == 0)
            return i;
    }
    return iterations;
}

/* A store holding KEPT finished records of TASKS tasks, 1 in 100 failed. */
static int fill_store(state *s)
{
    if (asyncz_store_memory_new(&s->st) != 0 || asyncz_store_connect(s->st) != 0)
        return -1;
    asyncz_history_retention keep = {.max_runs = KEPT}; /* above the memory store's default cap */
    if (asyncz_store_prune_runs(s->st, &keep, T0, 1, NULL) != 0)
        return -1;
    asyncz_run_record r;
    for (uint64_t i = 0; i < KEPT; i++) {
        fill_record(&r, s->next++, i % 100 == 0 ? ASYNCZ_RUN_FAILED : ASYNCZ_RUN_SUCCEEDED);
        if (ops(s->st)->history_put(s->st, &r, 1) != 0)
            return -1;
    }
    return 0;
}

static void prune_case(const bench_ctx *ctx, state *s)
{
    double samples[16];
    int n = ctx->repeats < 16 ? ctx->repeats : 16;
    asyncz_history_retention r = {.max_age_usec = SEC, .max_runs_per_task = 0, .max_runs = KEPT};
    asyncz_time_t now = T0 + (asyncz_time_t)s->next * 1000 + 2 * SEC; /* everything is expired */
    for (int k = 0; k < n; k++) {
        size_t pruned = 0;
        uint64_t t = bench_now_ns();
        asyncz_store_prune_runs(s->st, &r, now, 1000, &pruned);
        samples[k] = (double)(bench_now_ns() - t) / (pruned ? (double)pruned : 1.0);
    }
    bench_report(ctx, "history", "prune_1000 (per record)", samples, n, 1000, NULL);
}

int bench_history(const bench_ctx *ctx)
{
    if (bench_dispatch_history(ctx) != 0)
        return -1;
    for (int i = 0; i < TASKS; i++)
        snprintf(task_ids[i], sizeof task_ids[i], "task-%04d", i);
    state s = {0};
    if (fill_store(&s) != 0) {
        fprintf(stderr, "asyncz-bench: history: could not fill the memory store\n");
        asyncz_store_free(s.st);
        return -1;
    }
    if (bench_selected(ctx, "put_batch64"))
        bench_run(ctx, "history", "put_batch64", put_batch_body, &s);
    if (bench_selected(ctx, "upsert_pair"))
        bench_run(ctx, "history", "upsert_pair", upsert_body, &s);
    if (bench_selected(ctx, "last50_of_task"))
        bench_run(ctx, "history", "last50_of_task_100k", last50_body, &s);
    if (bench_selected(ctx, "failed_last_day"))
        bench_run(ctx, "history", "failed_last_day_100k", failed_day_body, &s);
    if (bench_selected(ctx, "prune"))
        prune_case(ctx, &s);
    asyncz_store_free(s.st);
    return 0;
}
