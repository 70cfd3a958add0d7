/* asyncz-bench stores: each persistent store at 10,000 tasks (add one by one and in batches of 1,000
 * through asyncz_store_add_tasks, update, due lookup, claim+release, claims alone) and
 * start-up with 100,000 stored tasks (open, first earliest, first claim). The stores come from the
 * environment: ASYNCZ_BENCH_STORES is a space-separated list of URLs; `make bench` starts the test servers
 * and sets it. Each URL should name a namespace of its own (a table, key or directory): it is emptied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "asyncz/sys/store.h"
#include "bench.h"

#define N_TASKS 10000
#define N_STARTUP 100000
#define BATCH 256
#define ADD_BATCH 1000
#define T0 INT64_C(1800000000000000)

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static asyncz_store *open_url(const char *url)
{
    asyncz_store *st = NULL;
    if (asyncz_store_open(&st, url) != 0 || asyncz_store_connect(st) != 0) {
        fprintf(stderr, "asyncz-bench stores: %s: %s\n", url, asyncz_store_errmsg());
        asyncz_store_free(st);
        return NULL;
    }
    return st;
}

/* A task like the scheduler makes: a 32-character id, a cron trigger, a next run time. */
static asyncz_task *make_task(asyncz_trigger *trig, uint64_t i, asyncz_time_t when)
{
    char id[40];
    snprintf(id, sizeof id, "bench-%026llu", (unsigned long long)i);
    asyncz_task *t = NULL;
    if (asyncz_task_new(&t, "job") != 0 || asyncz_task_set_id(t, id) != 0 ||
        asyncz_task_set_trigger(t, trig) != 0 || asyncz_task_set_next_run_time(t, when) != 0) {
        asyncz_task_free(t);
        return NULL;
    }
    return t;
}

/* Fill the store with n tasks, due one per millisecond from T0; returns ns per add. */
static double fill(asyncz_store *st, asyncz_trigger *trig, uint64_t n)
{
    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        asyncz_task *t = make_task(trig, i, T0 + (asyncz_time_t)i * 1000);
        if (!t || ops(st)->add(st, t) != 0) {
            fprintf(stderr, "asyncz-bench stores: add failed: %s\n", asyncz_store_errmsg());
            asyncz_task_free(t);
            return -1;
        }
        asyncz_task_free(t);
    }
    return (double)(bench_now_ns() - start) / (double)n;
}

/* Fill the store as fill() does, ADD_BATCH tasks per asyncz_store_add_tasks; ns per task added. */
static double fill_batched(asyncz_store *st, asyncz_trigger *trig, uint64_t n)
{
    asyncz_task *tasks[ADD_BATCH];
    uint64_t start = bench_now_ns();
    for (uint64_t at = 0; at < n; at += ADD_BATCH) {
        size_t k = n - at < ADD_BATCH ? (size_t)(n - at) : ADD_BATCH, made = 0;
        while (made < k && (tasks[made] = make_task(trig, at + made, T0 + (asyncz_time_t)(at + made) * 1000)))
            made++;
        int rc = made == k ? asyncz_store_add_tasks(st, tasks, k) : ASYNCZ_ENOMEM;
        for (size_t i = 0; i < made; i++)
            asyncz_task_free(tasks[i]);
        if (rc) {
            fprintf(stderr, "asyncz-bench stores: add_tasks failed: %s\n", asyncz_store_errmsg());
            return -1;
        }
    }
    return (double)(bench_now_ns() - start) / (double)n;
}

static double update_all(asyncz_store *st, asyncz_trigger *trig, uint64_t n)
{
    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        asyncz_task *t = make_task(trig, i, T0 + (asyncz_time_t)i * 1000 + 1);
        if (!t || ops(st)->update(st, t) != 0) {
            asyncz_task_free(t);
            return -1;
        }
        asyncz_task_free(t);
    }
    return (double)(bench_now_ns() - start) / (double)n;
}

static int count_each(asyncz_task *t, void *userdata)
{
    (void)t;
    (*(size_t *)userdata)++;
    return 0;
}

/* Due lookups of BATCH tasks, at a time when all are due; ns per task handed out. */
static double due_rate(asyncz_store *st, int rounds)
{
    size_t seen = 0;
    uint64_t start = bench_now_ns();
    for (int r = 0; r < rounds; r++)
        if (ops(st)->due(st, T0 + N_TASKS * 1000, BATCH, count_each, &seen) != 0)
            return -1;
    return seen ? (double)(bench_now_ns() - start) / (double)seen : -1;
}

/* Claim every task in batches and release each with a later time; ns per claimed task (claim + release). */
static double claim_rate(asyncz_store *st)
{
    asyncz_claim claims[BATCH];
    size_t total = 0, n = 0;
    asyncz_time_t now = T0 + N_TASKS * 1000;
    uint64_t start = bench_now_ns();
    do {
        if (ops(st)->claim(st, now, "bench", 30000000, BATCH, claims, &n) != 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            asyncz_task *next = NULL;
            if (asyncz_task_copy(&next, claims[i].task) == 0) {
                asyncz_task_set_next_run_time(next, now + 3600000000LL);
                ops(st)->release(st, asyncz_task_id(next), claims[i].token, next);
            }
            asyncz_task_free(next);
            asyncz_task_free(claims[i].task);
        }
        total += n;
    } while (n == BATCH);
    return total ? (double)(bench_now_ns() - start) / (double)total : -1;
}

/* Claim every task in batches without releasing any (the claims lapse); ns per claimed task. This is the
 * claim rate alone, to set beside claim_release (one claim and one release per task). */
static double claim_only_rate(asyncz_store *st)
{
    asyncz_claim claims[BATCH];
    size_t total = 0, n = 0;
    uint64_t start = bench_now_ns();
    do {
        if (ops(st)->claim(st, T0 + N_TASKS * 1000, "bench", 3600000000LL, BATCH, claims, &n) != 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            asyncz_task_free(claims[i].task);
        total += n;
    } while (n == BATCH);
    return total ? (double)(bench_now_ns() - start) / (double)total : -1;
}

static void report(const bench_ctx *ctx, const char *kind, const char *what, double ns)
{
    if (ns < 0) {
        fprintf(stderr, "asyncz-bench stores: %s %s failed: %s\n", kind, what, asyncz_store_errmsg());
        return;
    }
    char name[64], extra[64];
    snprintf(name, sizeof name, "%s_%s", kind, what);
    snprintf(extra, sizeof extra, ",\"ops_per_sec\":%.0f", 1e9 / ns);
    bench_report(ctx, "stores", name, &ns, 1, 1, extra);
}

static int bench_one(const bench_ctx *ctx, const char *url, asyncz_trigger *trig)
{
    asyncz_store *st = open_url(url);
    if (!st)
        return 1;
    const char *kind = asyncz_store_kind(st);
    ops(st)->remove_all(st);
    report(ctx, kind, "add_10k", fill(st, trig, N_TASKS));
    report(ctx, kind, "update_10k", update_all(st, trig, N_TASKS));
    report(ctx, kind, "due_256_at_10k", due_rate(st, 20));
    report(ctx, kind, "claim_release_10k", claim_rate(st));
    ops(st)->remove_all(st);
    report(ctx, kind, "add_10k_batched", fill_batched(st, trig, N_TASKS));
    report(ctx, kind, "claim_10k", claim_only_rate(st));
    ops(st)->remove_all(st);
    if (bench_selected(ctx, "startup") && fill(st, trig, N_STARTUP) >= 0) {
        asyncz_store_free(st);
        uint64_t start = bench_now_ns();
        st = open_url(url);
        asyncz_time_t e = 0;
        asyncz_claim c[BATCH];
        size_t n = 0;
        if (st && ops(st)->earliest(st, &e) == 0 &&
            ops(st)->claim(st, T0, "bench", 30000000, BATCH, c, &n) == 0) {
            double ns = (double)(bench_now_ns() - start);
            for (size_t i = 0; i < n; i++)
                asyncz_task_free(c[i].task);
            char name[64];
            snprintf(name, sizeof name, "%s_startup_100k", kind);
            bench_report(ctx, "stores", name, &ns, 1, 1, ",\"unit\":\"ns for open+earliest+first claim\"");
        }
        if (st)
            ops(st)->remove_all(st);
    }
    asyncz_store_free(st);
    return 0;
}

int bench_stores(const bench_ctx *ctx)
{
    const char *list = getenv("ASYNCZ_BENCH_STORES");
    if (!list || !*list) {
        fprintf(stderr,
                "asyncz-bench stores: set ASYNCZ_BENCH_STORES to a space-separated list of store URLs "
                "(`make bench` starts the test servers and sets it)\n");
        return 1;
    }
    asyncz_trigger *trig = NULL;
    if (asyncz_trigger_crontab_new(&trig, "*/5 * * * *", NULL, NULL) != 0)
        return 1;
    char *copy = strdup(list);
    int failed = 0;
    for (char *save = NULL, *url = strtok_r(copy, " ", &save); url; url = strtok_r(NULL, " ", &save))
        failed |= bench_one(ctx, url, trig);
    free(copy);
    asyncz_trigger_unref(trig);
    return failed;
}
