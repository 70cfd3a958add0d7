/* Suites `dispatch` and `latency`.
 *
 * dispatch: 1,000,000 one-shot no-op tasks, all due, fired through the scheduler's core (claim, run times,
 * misfire check, submit, release/remove, completion bookkeeping) on the loop executor and on a thread pool.
 * Reported as runs per second (and ns per run). Setting up the tasks is not timed. The run history is
 * recorded (the default); `asyncz-bench history` has the loop case with it off and on.
 *
 * latency: 10,000 interval tasks every second with phases spread over the second, on the scheduler's own
 * thread and the real clock, for 20 s: how late each run starts after its scheduled time (p50, p99, max). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asyncz.h"
#include "bench.h"

#define DISPATCH_TASKS 1000000
#define LATENCY_TASKS 10000
#define LATENCY_SECONDS 20

static atomic_uint_fast64_t runs_done;

static int noop(asyncz_run *run, void *ud)
{
    (void)run;
    (void)ud;
    atomic_fetch_add_explicit(&runs_done, 1, memory_order_relaxed);
    return ASYNCZ_RUN_DONE;
}

static asyncz_time_t fixed_clock(void *ud)
{
    return *(asyncz_time_t *)ud;
}

/* A scheduler on a fixed virtual clock with n due one-shot tasks sharing one trigger. */
static asyncz_scheduler *dispatch_setup(asyncz_executor *ex, asyncz_time_t *now, int n)
{
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.clock = fixed_clock;
    o.clock_userdata = now;
    o.timezone = asyncz_zone_utc();
    o.batch_size = 1024;
    asyncz_scheduler *s;
    if (asyncz_scheduler_new(&s, &o) != 0 || asyncz_scheduler_add_executor(s, "default", ex) != 0 ||
        asyncz_scheduler_register(s, "noop", noop, NULL) != 0 || asyncz_scheduler_start_embedded(s, 0) != 0)
        return NULL;
    asyncz_trigger_options to;
    asyncz_trigger_options_init(&to);
    to.timezone = asyncz_zone_utc();
    asyncz_trigger *trig;
    asyncz_trigger_date_new(&trig, *now, &to);
    asyncz_task *t;
    asyncz_task_new(&t, "noop");
    asyncz_task_set_trigger(t, trig);
    asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED);
    char id[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "task-%07d", i);
        asyncz_task_set_id(t, id);
        if (asyncz_scheduler_add_task(s, t, 0) != 0)
            return NULL;
    }
    asyncz_task_free(t);
    asyncz_trigger_unref(trig);
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fire everything due; with a thread pool, keep going until every run has finished. */
static void dispatch_all(asyncz_scheduler *s, asyncz_time_t now, uint64_t want)
{
    asyncz_time_t next = now;
    while (next != ASYNCZ_TIME_NONE && next <= now)
        asyncz_scheduler_process(s, now, &next);
    struct timespec ts = {0, 100000};
    while (atomic_load(&runs_done) < want)
        nanosleep(&ts, NULL);
    asyncz_scheduler_process(s, now, &next); /* collect the last completions */
}

static int dispatch_case_history(const bench_ctx *ctx, const char *suite, const char *name, bool pool,
                                 bool history)
{
    if (!bench_selected(ctx, name))
        return 0;
    int repeats = ctx->repeats < 3 ? ctx->repeats : 3;
    double samples[16];
    for (int r = 0; r < repeats; r++) {
        asyncz_executor *ex;
        if (pool ? asyncz_executor_threadpool_new(&ex, ASYNCZ_DEFAULT_MAX_WORKERS)
                 : asyncz_executor_loop_new(&ex))
            return 1;
        asyncz_time_t now = INT64_C(1790000000000000);
        asyncz_scheduler *s = dispatch_setup(ex, &now, DISPATCH_TASKS);
        if (!s) {
            fprintf(stderr, "dispatch: setup failed: %s\n", asyncz_scheduler_errmsg(NULL));
            return 1;
        }
        if (!history && asyncz_scheduler_set_history(s, "default", false, NULL) != 0)
            return 1;
        atomic_store(&runs_done, 0);
        uint64_t t0 = bench_now_ns();
        dispatch_all(s, now, DISPATCH_TASKS);
        samples[r] = (double)(bench_now_ns() - t0) / DISPATCH_TASKS;
        asyncz_scheduler_free(s);
    }
    char extra[96];
    qsort(samples, (size_t)repeats, sizeof samples[0], cmp_double);
    double median = samples[repeats / 2];
    snprintf(extra, sizeof extra, ",\"ops_per_sec\":%.0f,\"tasks\":%d", 1e9 / median, DISPATCH_TASKS);
    bench_report(ctx, suite, name, samples, repeats, DISPATCH_TASKS, extra);
    return 0;
}

/* The dispatch cases record the run history, as a scheduler does by default. */
int bench_dispatch(const bench_ctx *ctx)
{
    return dispatch_case_history(ctx, "dispatch", "loop_executor_1M_due", false, true) ||
           dispatch_case_history(ctx, "dispatch", "threadpool_1M_due", true, true);
}

int bench_dispatch_history(const bench_ctx *ctx)
{
    return dispatch_case_history(ctx, "history", "dispatch_loop_history_off", false, false) ||
           dispatch_case_history(ctx, "history", "dispatch_loop_history_on", false, true);
}

/* ---- latency ----------------------------------------------------------------------------------------------
 */

typedef struct lateness {
    int64_t *samples;
    atomic_size_t n;
    size_t cap;
    asyncz_time_t from; /* ignore runs before this (warm-up) */
} lateness;

static int measure(asyncz_run *run, void *ud)
{
    lateness *l = ud;
    asyncz_time_t now = asyncz_now(), when = asyncz_run_scheduled_time(run);
    if (when < l->from)
        return ASYNCZ_RUN_DONE;
    size_t i = atomic_fetch_add(&l->n, 1);
    if (i < l->cap)
        l->samples[i] = now - when;
    return ASYNCZ_RUN_DONE;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int latency_setup(asyncz_scheduler *s, asyncz_time_t start)
{
    asyncz_task *t;
    if (asyncz_task_new(&t, "measure") != 0)
        return 1;
    asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED);
    char id[32];
    for (int i = 0; i < LATENCY_TASKS; i++) {
        asyncz_trigger_options o;
        asyncz_trigger_options_init(&o);
        o.timezone = asyncz_zone_utc();
        o.start_date = start + (int64_t)i * (ASYNCZ_USEC_PER_SEC / LATENCY_TASKS); /* phases spread */
        asyncz_trigger *trig;
        if (asyncz_trigger_interval_new(&trig, ASYNCZ_USEC_PER_SEC, &o, NULL) != 0)
            return 1;
        snprintf(id, sizeof id, "tick-%05d", i);
        asyncz_task_set_id(t, id);
        asyncz_task_set_trigger(t, trig);
        asyncz_trigger_unref(trig);
        if (asyncz_scheduler_add_task(s, t, 0) != 0)
            return 1;
    }
    asyncz_task_free(t);
    return 0;
}

static void latency_report(const bench_ctx *ctx, const char *name, lateness *l)
{
    size_t n = atomic_load(&l->n);
    if (n > l->cap)
        n = l->cap;
    qsort(l->samples, n, sizeof l->samples[0], cmp_i64);
    double p50 = n ? (double)l->samples[n / 2] : 0, p99 = n ? (double)l->samples[n * 99 / 100] : 0;
    double max = n ? (double)l->samples[n - 1] : 0;
    if (ctx->json)
        printf("{\"suite\":\"latency\",\"case\":\"%s\",\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
               "\"samples\":%zu,\"tasks\":%d,\"seconds\":%d}\n",
               name, p50, p99, max, n, LATENCY_TASKS, LATENCY_SECONDS);
    else
        printf("%-10s %-32s p50 %.1f us  p99 %.1f us  max %.1f us  (%zu runs of %d tasks over %d s)\n",
               "latency", name, p50, p99, max, n, LATENCY_TASKS, LATENCY_SECONDS);
    fflush(stdout);
}

static int latency_case(const bench_ctx *ctx, const char *name, bool pool)
{
    if (!bench_selected(ctx, name))
        return 0;
    lateness l = {.cap = (size_t)LATENCY_TASKS * (LATENCY_SECONDS + 2)};
    l.samples = calloc(l.cap, sizeof *l.samples);
    asyncz_scheduler *s;
    asyncz_executor *ex;
    if (!l.samples || asyncz_scheduler_new(&s, NULL) != 0)
        return 1;
    if (pool ? asyncz_executor_threadpool_new(&ex, ASYNCZ_DEFAULT_MAX_WORKERS)
             : asyncz_executor_loop_new(&ex))
        return 1;
    asyncz_scheduler_add_executor(s, "default", ex);
    asyncz_scheduler_register(s, "measure", measure, &l);
    asyncz_time_t start = asyncz_now() + 2 * ASYNCZ_USEC_PER_SEC;
    l.from = start + ASYNCZ_USEC_PER_SEC; /* one second of warm-up */
    if (latency_setup(s, start) != 0 || asyncz_scheduler_start(s, 0) != 0)
        return 1;
    struct timespec ts = {LATENCY_SECONDS + 3, 0};
    nanosleep(&ts, NULL);
    asyncz_scheduler_shutdown(s, true);
    latency_report(ctx, name, &l);
    asyncz_scheduler_free(s);
    free(l.samples);
    return 0;
}

int bench_latency(const bench_ctx *ctx)
{
    return latency_case(ctx, "interval_10k_1s_loop", false) ||
           latency_case(ctx, "interval_10k_1s_threadpool", true);
}
