/* The thread pool executor, driven directly with runs made by az_run_new. */
#include <stdatomic.h>

#include "az_exec_test.h"

#define N_RUNS 100

/* What the test functions share with the test (registered as their userdata). */
typedef struct probe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int calls[N_RUNS];
    int active, max_active, started;
    bool reached; /* max_workers runs were active at once */
    bool open;    /* the gate is open */
    int order[N_RUNS];
    int n_order;
} probe;

/* Waits on the probe's condition until pred holds, at most WAIT_SECONDS; false on timeout. */
static bool probe_wait(probe *p, bool (*pred)(probe *))
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    int rc = 0;
    while (!pred(p) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&p->cond, &p->lock, &until);
    return pred(p);
}

static bool is_reached(probe *p)
{
    return p->reached;
}

static bool is_open(probe *p)
{
    return p->open;
}

static int64_t arg0(asyncz_run *run)
{
    int64_t v = -1;
    asyncz_run_arg_int(run, 0, &v);
    return v;
}

static int fn_count(asyncz_run *run, void *userdata)
{
    probe *p = userdata;
    int64_t i = arg0(run);
    if (i < 0 || i >= N_RUNS)
        return ASYNCZ_EINVAL;
    atomic_fetch_add(&p->calls[i], 1);
    return ASYNCZ_RUN_DONE;
}

/* Holds until `width` runs (the pool size, its first argument) were active at once. */
static int fn_concurrent(asyncz_run *run, void *userdata)
{
    probe *p = userdata;
    int width = (int)arg0(run);
    pthread_mutex_lock(&p->lock);
    p->active++;
    if (p->active > p->max_active)
        p->max_active = p->active;
    if (p->active >= width)
        p->reached = true;
    pthread_cond_broadcast(&p->cond);
    bool ok = probe_wait(p, is_reached);
    p->active--;
    pthread_mutex_unlock(&p->lock);
    return ok ? ASYNCZ_RUN_DONE : ASYNCZ_EIO;
}

static int fn_order(asyncz_run *run, void *userdata)
{
    probe *p = userdata;
    pthread_mutex_lock(&p->lock);
    if (p->n_order < N_RUNS)
        p->order[p->n_order++] = (int)arg0(run);
    pthread_mutex_unlock(&p->lock);
    return ASYNCZ_RUN_DONE;
}

/* Counts itself started, then holds until the gate opens. */
static int fn_gate(asyncz_run *run, void *userdata)
{
    probe *p = userdata;
    pthread_mutex_lock(&p->lock);
    p->started++;
    pthread_cond_broadcast(&p->cond);
    bool ok = probe_wait(p, is_open);
    pthread_mutex_unlock(&p->lock);
    return ok ? ASYNCZ_RUN_DONE : ASYNCZ_EIO;
}

static int fn_pend(asyncz_run *run, void *userdata)
{
    return ASYNCZ_RUN_PENDING;
}

typedef struct fixture {
    asyncz_scheduler *s;
    asyncz_executor *ex;
    const asyncz_executor_ops *ops;
    sink k;
    probe p;
} fixture;

static void start(fixture *f)
{
    asyncz_executor_host host = {.scheduler = f->s, .alias = "test"};
    assert_int_equal(f->ops->start(f->ex, &host), 0);
}

static void setup(fixture *f, unsigned workers)
{
    memset(f, 0, sizeof *f);
    sink_init(&f->k);
    pthread_mutex_init(&f->p.lock, NULL);
    pthread_cond_init(&f->p.cond, NULL);
    assert_int_equal(asyncz_scheduler_new(&f->s, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "count", fn_count, &f->p), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "concurrent", fn_concurrent, &f->p), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "order", fn_order, &f->p), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "gate", fn_gate, &f->p), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pend", fn_pend, &f->p), 0);
    assert_int_equal(asyncz_executor_threadpool_new(&f->ex, workers), 0);
    f->ops = ASYNCZ_EXECUTOR_BASE(f->ex)->ops;
    start(f);
}

static void teardown(fixture *f)
{
    f->ops->shutdown(f->ex, true);
    asyncz_executor_free(f->ex);
    asyncz_scheduler_free(f->s);
    pthread_cond_destroy(&f->p.cond);
    pthread_mutex_destroy(&f->p.lock);
    sink_close(&f->k);
}

static void submit_indexed(fixture *f, const char *func, int i)
{
    char id[32], args[32];
    snprintf(id, sizeof id, "t%d", i);
    snprintf(args, sizeof args, "[%d]", i);
    assert_int_equal(f->ops->submit(f->ex, make_run(f->s, &f->k, func, id, args, 1)), 0);
}

static void open_gate(fixture *f)
{
    pthread_mutex_lock(&f->p.lock);
    f->p.open = true;
    pthread_cond_broadcast(&f->p.cond);
    pthread_mutex_unlock(&f->p.lock);
}

static bool wait_started(fixture *f, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&f->p.lock);
    int rc = 0;
    while (f->p.started < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&f->p.cond, &f->p.lock, &until);
    bool ok = f->p.started >= n;
    pthread_mutex_unlock(&f->p.lock);
    return ok;
}

static void test_new_validates(void **state)
{
    asyncz_executor *ex = NULL;
    assert_int_equal(asyncz_executor_threadpool_new(NULL, 4), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_executor_threadpool_new(&ex, 100000), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_executor_threadpool_new(&ex, 0), 0);
    assert_string_equal(asyncz_executor_kind(ex), "threadpool");
    assert_int_equal(ASYNCZ_EXECUTOR_BASE(ex)->ops->flags, 0);
    /* Freed without ever being started. */
    asyncz_executor_free(ex);
}

static void test_hundred_runs_complete_exactly_once(void **state)
{
    fixture f;
    setup(&f, 4);
    for (int i = 0; i < N_RUNS; i++)
        submit_indexed(&f, "count", i);
    assert_true(sink_wait(&f.k, N_RUNS));
    for (int i = 0; i < N_RUNS; i++)
        assert_int_equal(atomic_load(&f.p.calls[i]), 1);
    assert_int_equal(f.k.n, N_RUNS);
    for (size_t i = 0; i < f.k.n; i++)
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
    teardown(&f);
    assert_int_equal(f.k.runs, N_RUNS);
}

static void test_max_workers_respected(void **state)
{
    fixture f;
    setup(&f, 3);
    for (int i = 0; i < 12; i++) {
        char id[32];
        snprintf(id, sizeof id, "t%d", i);
        assert_int_equal(f.ops->submit(f.ex, make_run(f.s, &f.k, "concurrent", id, "[3]", 1)), 0);
    }
    assert_true(sink_wait(&f.k, 12));
    assert_int_equal(f.p.max_active, 3);
    for (size_t i = 0; i < f.k.n; i++)
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
    teardown(&f);
}

static void test_fifo_with_one_worker(void **state)
{
    fixture f;
    setup(&f, 1);
    for (int i = 0; i < 20; i++)
        submit_indexed(&f, "order", i);
    assert_true(sink_wait(&f.k, 20));
    assert_int_equal(f.p.n_order, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(f.p.order[i], i);
    teardown(&f);
}

/* Opens the gate after a delay, from another thread. */
static void *open_later(void *arg)
{
    sleep_ms(200);
    open_gate(arg);
    return NULL;
}

static void test_shutdown_wait_waits_for_running(void **state)
{
    fixture f;
    setup(&f, 2);
    submit_indexed(&f, "gate", 0);
    submit_indexed(&f, "gate", 1);
    assert_true(wait_started(&f, 2));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, open_later, &f), 0);
    f.ops->shutdown(f.ex, true);
    assert_int_equal(sink_runs(&f.k), 2);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_int_equal(f.k.recs[1].code, ASYNCZ_EVENT_TASK_EXECUTED);
    pthread_join(th, NULL);
    teardown(&f);
}

static void test_shutdown_fails_queued_runs(void **state)
{
    fixture f;
    setup(&f, 1);
    submit_indexed(&f, "gate", 0);
    assert_true(wait_started(&f, 1));
    submit_indexed(&f, "gate", 1);
    submit_indexed(&f, "gate", 2);
    f.ops->shutdown(f.ex, false);
    /* The two queued runs failed at once; the running one is still running. */
    assert_int_equal(sink_runs(&f.k), 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_ERROR);
        assert_int_equal(f.k.recs[i].error_code, ASYNCZ_ESTATE);
        assert_string_equal(f.k.recs[i].message, "executor shut down before the run started");
    }
    assert_string_equal(f.k.recs[0].task_id, "t1");
    assert_string_equal(f.k.recs[1].task_id, "t2");
    open_gate(&f);
    assert_true(sink_wait(&f.k, 3));
    assert_string_equal(f.k.recs[2].task_id, "t0");
    assert_int_equal(f.k.recs[2].code, ASYNCZ_EVENT_TASK_EXECUTED);
    teardown(&f);
}

static void test_submit_after_shutdown_is_estate(void **state)
{
    fixture f;
    setup(&f, 2);
    f.ops->shutdown(f.ex, true);
    asyncz_run *run = make_run(f.s, &f.k, "count", "t0", "[0]", 1);
    assert_int_equal(f.ops->submit(f.ex, run), ASYNCZ_ESTATE);
    assert_int_equal(sink_runs(&f.k), 0);
    az_run_free(run);
    teardown(&f);
}

static void test_restart_after_shutdown(void **state)
{
    fixture f;
    setup(&f, 2);
    submit_indexed(&f, "count", 0);
    assert_true(sink_wait(&f.k, 1));
    f.ops->shutdown(f.ex, false);
    start(&f);
    /* Starting twice is refused. */
    asyncz_executor_host host = {.scheduler = f.s, .alias = "test"};
    assert_int_equal(f.ops->start(f.ex, &host), ASYNCZ_ESTATE);
    for (int i = 1; i < 10; i++)
        submit_indexed(&f, "count", i);
    assert_true(sink_wait(&f.k, 10));
    for (int i = 0; i < 10; i++)
        assert_int_equal(atomic_load(&f.p.calls[i]), 1);
    teardown(&f);
}

static void test_pending_is_refused(void **state)
{
    fixture f;
    setup(&f, 1);
    assert_int_equal(f.ops->submit(f.ex, make_run(f.s, &f.k, "pend", "t0", NULL, 1)), 0);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_EUNSUPPORTED);
    teardown(&f);
}

static void test_multiple_times_in_one_run(void **state)
{
    fixture f;
    setup(&f, 2);
    assert_int_equal(f.ops->submit(f.ex, make_run(f.s, &f.k, "count", "t5", "[5]", 3)), 0);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.n, 3);
    assert_int_equal(atomic_load(&f.p.calls[5]), 3);
    teardown(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_new_validates),
    cmocka_unit_test(test_hundred_runs_complete_exactly_once),
    cmocka_unit_test(test_max_workers_respected),
    cmocka_unit_test(test_fifo_with_one_worker),
    cmocka_unit_test(test_shutdown_wait_waits_for_running),
    cmocka_unit_test(test_shutdown_fails_queued_runs),
    cmocka_unit_test(test_submit_after_shutdown_is_estate),
    cmocka_unit_test(test_restart_after_shutdown),
    cmocka_unit_test(test_pending_is_refused),
    cmocka_unit_test(test_multiple_times_in_one_run),
};

AZ_TEST_MAIN(tests)
