/* The `memstore` suite: the memory store with 1,000,000 tasks, each with a generated id (as the scheduler
 * makes them), one shared cron trigger and a next run time scattered over a day in whole seconds.
 *
 *   add                 store add alone (the tasks were made beforehand)
 *   make_add            generate the id, make the task, set id/trigger/time, add it, drop the caller's
 *                       reference; also reports bytes_per_task: heap growth (mallinfo2 in-use plus mmapped
 *                       bytes) over the count, tasks included
 *   pop_due             claim one due task and release it with removal, until the store is empty
 *   pop_due_batch64     the same, claiming 64 at a time
 *   lookup              lookup by id in random order in the full store
 *   id_generate         asyncz_task_id_generate alone, for scale (make_add pays it once per task)
 *
 * The 1,000,000-task cases run the whole count once per repeat (no calibration); lookup is calibrated. */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "asyncz.h"
#include "asyncz/sys/store.h"
#include "bench.h"

#define N_TASKS 1000000
#define DAY_SECONDS 86400
#define T0 INT64_C(1800000000000000)
#define LEASE (30 * ASYNCZ_USEC_PER_SEC)

typedef struct fixture {
    asyncz_trigger *trigger;
    asyncz_task **tasks; /* N_TASKS, made beforehand */
    uint32_t *order;     /* a random permutation of 0..N_TASKS-1, for lookups */
    uint64_t rng;
} fixture;

static uint64_t next_random(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005u + 1442695040888963407u;
    return *rng >> 33;
}

static asyncz_time_t scattered_time(uint64_t *rng)
{
    return T0 + (asyncz_time_t)(next_random(rng) % DAY_SECONDS) * ASYNCZ_USEC_PER_SEC;
}

/* Make a task as the scheduler would: a fresh UUIDv4 hex id, the shared trigger, its next run time. */
static asyncz_task *make_task(const fixture *f, asyncz_time_t when)
{
    char id[33];
    asyncz_task *t = NULL;
    if (asyncz_task_id_generate(id, sizeof id) < 0 || asyncz_task_new(&t, "job") < 0)
        return NULL;
    if (asyncz_task_set_id(t, id) < 0 || asyncz_task_set_trigger(t, f->trigger) < 0 ||
        asyncz_task_set_next_run_time(t, when) < 0) {
        asyncz_task_free(t);
        return NULL;
    }
    return t;
}

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static int fill(const fixture *f, asyncz_store *st)
{
    for (size_t i = 0; i < N_TASKS; i++)
        if (ops(st)->add(st, f->tasks[i]) < 0)
            return -1;
    return 0;
}

/* ---- the 1,000,000-task cases -------------------------------------------------------------------- */

/* Add the premade tasks to a new store; *bytes: the store's own growth per task (tasks excluded). */
static int measure_add(const fixture *f, double *ns, double *bytes)
{
    asyncz_store *st = NULL;
    if (asyncz_store_memory_new(&st) < 0)
        return -1;
    size_t before = heap_bytes();
    uint64_t t0 = bench_now_ns();
    int rc = fill(f, st);
    *ns = (double)(bench_now_ns() - t0) / N_TASKS;
    *bytes = (double)(heap_bytes() - before) / N_TASKS;
    asyncz_store_free(st);
    return rc;
}

static int measure_make_add(fixture *f, double *ns, double *bytes)
{
    asyncz_store *st = NULL;
    if (asyncz_store_memory_new(&st) < 0)
        return -1;
    size_t before = heap_bytes();
    uint64_t t0 = bench_now_ns();
    int rc = 0;
    for (size_t i = 0; i < N_TASKS && rc == 0; i++) {
        asyncz_task *t = make_task(f, scattered_time(&f->rng));
        rc = t ? ops(st)->add(st, t) : -1;
        asyncz_task_free(t);
    }
    *ns = (double)(bench_now_ns() - t0) / N_TASKS;
    *bytes = (double)(heap_bytes() - before) / N_TASKS;
    asyncz_store_free(st);
    return rc;
}

/* Claim `batch` at a time and release each with removal until nothing is left. */
static int measure_pop(const fixture *f, size_t batch, double *ns)
{
    asyncz_store *st = NULL;
    asyncz_claim claims[64];
    if (asyncz_store_memory_new(&st) < 0 || fill(f, st) < 0) {
        asyncz_store_free(st);
        return -1;
    }
    asyncz_time_t now = T0 + (asyncz_time_t)DAY_SECONDS * ASYNCZ_USEC_PER_SEC;
    size_t popped = 0, n = 0;
    int rc = 0;
    uint64_t t0 = bench_now_ns();
    do {
        rc = ops(st)->claim(st, now, "bench", LEASE, batch, claims, &n);
        for (size_t i = 0; i < n; i++) {
            if (ops(st)->release(st, asyncz_task_id(claims[i].task), claims[i].token, NULL) < 0)
                rc = -1;
            asyncz_task_free(claims[i].task);
        }
        popped += n;
    } while (rc == 0 && n > 0);
    *ns = (double)(bench_now_ns() - t0) / N_TASKS;
    asyncz_store_free(st);
    return rc == 0 && popped == N_TASKS ? 0 : -1;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], compare_double);
    return v[n / 2];
}

static int run_add_cases(const bench_ctx *ctx, fixture *f)
{
    double ns[64], bytes[64], make_ns[64], make_bytes[64];
    bool add = bench_selected(ctx, "add_1m"), make_add = bench_selected(ctx, "make_add_1m");
    int repeats = ctx->repeats < 64 ? ctx->repeats : 64;
    for (int i = 0; i < repeats; i++) {
        if (add && measure_add(f, &ns[i], &bytes[i]) < 0)
            return -1;
        if (make_add && measure_make_add(f, &make_ns[i], &make_bytes[i]) < 0)
            return -1;
    }
    char extra[128];
    if (add) {
        snprintf(extra, sizeof extra, ",\"store_bytes_per_task\":%.1f,\"target_ns\":1000",
                 median(bytes, repeats));
        bench_report(ctx, "memstore", "add_1m", ns, repeats, N_TASKS, extra);
    }
    if (make_add) {
        snprintf(extra, sizeof extra, ",\"bytes_per_task\":%.1f,\"target_bytes\":512",
                 median(make_bytes, repeats));
        bench_report(ctx, "memstore", "make_add_1m", make_ns, repeats, N_TASKS, extra);
    }
    return 0;
}

static int run_pop_cases(const bench_ctx *ctx, const fixture *f)
{
    static const struct {
        const char *name;
        size_t batch;
    } cases[] = {{"pop_due_1m", 1}, {"pop_due_batch64_1m", 64}};
    int repeats = ctx->repeats < 64 ? ctx->repeats : 64;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (!bench_selected(ctx, cases[c].name))
            continue;
        double ns[64];
        for (int i = 0; i < repeats; i++)
            if (measure_pop(f, cases[c].batch, &ns[i]) < 0)
                return -1;
        bench_report(ctx, "memstore", cases[c].name, ns, repeats, N_TASKS, NULL);
    }
    return 0;
}

/* ---- lookup (calibrated) ------------------------------------------------------------------------- */

typedef struct lookup_state {
    const fixture *f;
    asyncz_store *st;
    size_t next;
} lookup_state;

static uint64_t lookup_body(void *p, uint64_t iterations)
{
    lookup_state *s = p;
    for (uint64_t i = 0; i < iterations; i++) {
        const char *id = asyncz_task_id(s->f->tasks[s->f->order[s->next]]);
        s->next = s->next + 1 == N_TASKS ? 0 : s->next + 1;
        asyncz_task *t = NULL;
        if (ops(s->st)->lookup(s->st, id, &t) < 0)
            return i;
        asyncz_task_free(t);
    }
    return iterations;
}

static int run_lookup_case(const bench_ctx *ctx, const fixture *f)
{
    if (!bench_selected(ctx, "lookup_1m"))
        return 0;
    lookup_state s = {.f = f};
    if (asyncz_store_memory_new(&s.st) < 0 || fill(f, s.st) < 0) {
        asyncz_store_free(s.st);
        return -1;
    }
    bench_run(ctx, "memstore", "lookup_1m", lookup_body, &s);
    asyncz_store_free(s.st);
    return 0;
}

/* ---- the id alone, for scale (the `ids` suite has it with run ids) --------------------------------- */

static uint64_t id_body(void *p, uint64_t iterations)
{
    (void)p;
    char id[33];
    for (uint64_t i = 0; i < iterations; i++)
        if (asyncz_task_id_generate(id, sizeof id) < 0)
            return i;
    return iterations;
}

static void run_id_case(const bench_ctx *ctx)
{
    if (bench_selected(ctx, "id_generate"))
        bench_run(ctx, "memstore", "id_generate", id_body, NULL);
}

/* ---- set-up -------------------------------------------------------------------------------------- */

static int fixture_init(fixture *f)
{
    f->rng = 20260329;
    if (asyncz_trigger_crontab_new(&f->trigger, "*/5 * * * *", NULL, NULL) < 0)
        return -1;
    f->tasks = calloc(N_TASKS, sizeof *f->tasks);
    f->order = malloc(N_TASKS * sizeof *f->order);
    if (!f->tasks || !f->order)
        return -1;
    for (uint32_t i = 0; i < N_TASKS; i++) {
        if (!(f->tasks[i] = make_task(f, scattered_time(&f->rng))))
            return -1;
        f->order[i] = i;
    }
    for (uint32_t i = N_TASKS - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(next_random(&f->rng) % (i + 1));
        uint32_t t = f->order[i];
        f->order[i] = f->order[j];
        f->order[j] = t;
    }
    return 0;
}

static void fixture_free(fixture *f)
{
    for (size_t i = 0; f->tasks && i < N_TASKS; i++)
        asyncz_task_free(f->tasks[i]);
    free(f->tasks);
    free(f->order);
    asyncz_trigger_unref(f->trigger);
}

int bench_memstore(const bench_ctx *ctx)
{
    fixture f = {0};
    int rc = fixture_init(&f);
    if (rc == 0)
        rc = run_add_cases(ctx, &f);
    if (rc == 0)
        rc = run_pop_cases(ctx, &f);
    if (rc == 0)
        rc = run_lookup_case(ctx, &f);
    if (rc == 0)
        run_id_case(ctx);
    if (rc < 0)
        fprintf(stderr, "asyncz-bench: memstore: a store operation failed\n");
    fixture_free(&f);
    return rc < 0 ? 1 : 0;
}
