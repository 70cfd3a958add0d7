/* Callbacks that call the library again from inside (docs/design.md, Callbacks): the memory store's
 * listings, listeners, task functions, a custom executor's completion (inline and from another thread),
 * and log sinks. Each runs under an alarm: a callback called with a library lock held that it takes again
 * would hang, and the alarm (SIGALRM, not caught) fails the test instead. The persistent stores' callbacks
 * (unreadable, quarantine listing, instances, listings) are tested on every backend by the persist suite
 * (tests/stores/persist_suite.c, persist_reentry_*). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/sys/store.h"
#include "sched_harness.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define ALARM_SEC 30

/* ---- the memory store's listings ----------------------------------------------------------------- */

typedef struct store_reentry {
    asyncz_store *st;
    int calls;
    int found;
    int failures;
} store_reentry;

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

/* Looks the task up, writes it back and counts the store, in the store being listed. */
static int reenter_each(asyncz_task *task, void *userdata)
{
    store_reentry *r = userdata;
    r->calls++;
    asyncz_task *t = NULL;
    size_t n = 0;
    if (ops(r->st)->lookup(r->st, asyncz_task_id(task), &t) == 0)
        r->found++;
    if (!t || ops(r->st)->update(r->st, t) != 0 || ops(r->st)->count(r->st, &n) != 0 || n != 2)
        r->failures++;
    asyncz_task_free(t);
    return 0;
}

static void test_memory_store_each_reenters(void **state)
{
    (void)state;
    store_reentry r = {0};
    assert_int_equal(asyncz_store_memory_new(&r.st), 0);
    assert_int_equal(asyncz_store_connect(r.st), 0);
    az_test_add(r.st, "t1", T0);
    az_test_add(r.st, "t2", T0 + SEC);
    alarm(ALARM_SEC);
    assert_int_equal(ops(r.st)->list(r.st, reenter_each, &r), 0);
    assert_int_equal(ops(r.st)->due(r.st, T0 + SEC, 10, reenter_each, &r), 0);
    alarm(0);
    assert_int_equal(r.calls, 4);
    assert_int_equal(r.found, 4);
    assert_int_equal(r.failures, 0);
    asyncz_store_free(r.st);
}

/* ---- the scheduler: listeners, task functions, executors ---------------------------------------- */

/* What re-entering the scheduler found: each call counted when it did what it should. */
typedef struct sched_reentry {
    asyncz_scheduler *s;
    pthread_mutex_t lock;
    int calls;
    int got;    /* get_task found "t1" */
    int listed; /* list_tasks listed at least "t1" */
    int added;  /* add_task added a paused task */
    int failures;
    asyncz_run *parked; /* a run whose function returned ASYNCZ_RUN_PENDING */
} sched_reentry;

/* Call the scheduler's task API from inside a callback. */
static void reenter_scheduler(sched_reentry *r)
{
    pthread_mutex_lock(&r->lock);
    int nth = ++r->calls;
    pthread_mutex_unlock(&r->lock);
    asyncz_task *t = NULL;
    bool got = asyncz_scheduler_get_task(r->s, &t, "t1", NULL) == 0;
    asyncz_task_free(t);
    asyncz_task_list *list = NULL;
    bool listed = asyncz_scheduler_list_tasks(r->s, &list, NULL) == 0 && asyncz_task_list_count(list) >= 1;
    asyncz_task_list_free(list);
    char id[32];
    snprintf(id, sizeof id, "added-%d", nth);
    asyncz_task *add = NULL;
    asyncz_trigger *hourly = interval(3600 * SEC, T0);
    bool added = asyncz_task_new(&add, "count") == 0 && asyncz_task_set_id(add, id) == 0 &&
                 asyncz_task_set_trigger(add, hourly) == 0 && asyncz_scheduler_add_task(r->s, add, 0) == 0 &&
                 asyncz_scheduler_pause_task(r->s, id, NULL) == 0;
    asyncz_task_free(add);
    asyncz_trigger_unref(hourly);
    pthread_mutex_lock(&r->lock);
    r->got += got;
    r->listed += listed;
    r->added += added;
    r->failures += !got || !listed || !added;
    pthread_mutex_unlock(&r->lock);
}

static int reenter_listener(const asyncz_event *e, void *userdata)
{
    (void)e;
    reenter_scheduler(userdata);
    return 0;
}

static int reenter_fn(asyncz_run *run, void *userdata)
{
    (void)run;
    reenter_scheduler(userdata);
    return ASYNCZ_RUN_DONE;
}

/* Parks its run for the executor or a thread to complete. */
static int park_fn(asyncz_run *run, void *userdata)
{
    sched_reentry *r = userdata;
    pthread_mutex_lock(&r->lock);
    r->parked = run;
    pthread_mutex_unlock(&r->lock);
    return ASYNCZ_RUN_PENDING;
}

static asyncz_run *take_parked(sched_reentry *r)
{
    pthread_mutex_lock(&r->lock);
    asyncz_run *run = r->parked;
    r->parked = NULL;
    pthread_mutex_unlock(&r->lock);
    return run;
}

/* A custom executor that completes, inside submit, a run its function left pending. */
typedef struct completing_exec {
    asyncz_executor_base base;
    sched_reentry *r;
} completing_exec;

static int completing_submit(asyncz_executor *ex, asyncz_run *run)
{
    sched_reentry *r = ((completing_exec *)ex)->r;
    if (asyncz_run_execute(run) == ASYNCZ_RUN_PENDING) {
        asyncz_run *parked = take_parked(r);
        assert_ptr_equal(parked, run);
        asyncz_run_complete(parked, ASYNCZ_RUN_DONE);
    }
    return 0;
}

static void completing_shutdown(asyncz_executor *ex, bool wait)
{
    (void)ex;
    (void)wait;
}

static void completing_destroy(asyncz_executor *ex)
{
    free(ex);
}

static const asyncz_executor_ops COMPLETING_OPS = {
    .version = ASYNCZ_EXECUTOR_OPS_VERSION,
    .name = "test-completing",
    .flags = ASYNCZ_EXECUTOR_INLINE | ASYNCZ_EXECUTOR_PENDING,
    .submit = completing_submit,
    .shutdown = completing_shutdown,
    .destroy = completing_destroy,
};

typedef struct fixture {
    vclock clock;
    recorder rec;
    sched_reentry r;
} fixture;

/* An embedded scheduler on the virtual clock with a memory store, the executor "completing", the
 * functions "reenter" and "park", and task "t1" calling func every hour from T0. */
static fixture *fx_new(const char *func)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    recorder_init(&f->rec);
    pthread_mutex_init(&f->r.lock, NULL);
    f->clock.now = T0 - SEC;
    asyncz_scheduler *s = harness_scheduler_new(&f->clock, &f->rec, NULL);
    f->r.s = s;
    asyncz_store *store = NULL;
    assert_int_equal(asyncz_store_memory_new(&store), 0);
    assert_int_equal(asyncz_scheduler_add_store(s, "default", store), 0);
    completing_exec *ex = calloc(1, sizeof *ex);
    assert_non_null(ex);
    ex->r = &f->r;
    assert_int_equal(asyncz_executor_base_init(&ex->base, &COMPLETING_OPS), 0);
    assert_int_equal(asyncz_scheduler_add_executor(s, "completing", (asyncz_executor *)ex), 0);
    assert_int_equal(asyncz_scheduler_register(s, "reenter", reenter_fn, &f->r), 0);
    assert_int_equal(asyncz_scheduler_register(s, "park", park_fn, &f->r), 0);
    assert_int_equal(asyncz_scheduler_start_embedded(s, 0), 0);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, func), 0);
    assert_int_equal(asyncz_task_set_id(t, "t1"), 0);
    asyncz_trigger *hourly = interval(3600 * SEC, T0);
    assert_int_equal(asyncz_task_set_trigger(t, hourly), 0);
    asyncz_trigger_unref(hourly);
    assert_int_equal(asyncz_task_set_executor(t, "completing"), 0);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    return f;
}

static void fx_free(fixture *f)
{
    asyncz_scheduler_free(f->r.s);
    pthread_mutex_destroy(&f->r.lock);
    pthread_mutex_destroy(&f->rec.lock);
    free(f);
}

static void assert_reentered(sched_reentry *r, int calls)
{
    assert_int_equal(r->calls, calls);
    assert_int_equal(r->got, calls);
    assert_int_equal(r->listed, calls);
    assert_int_equal(r->added, calls);
    assert_int_equal(r->failures, 0);
}

/* A listener of the loop's events (submitted, executed) and of an API call's (modified, by the pause of
 * the task a listener adds) adds, gets and lists tasks. */
static void test_listener_reenters(void **state)
{
    (void)state;
    fixture *f = fx_new("count");
    alarm(ALARM_SEC);
    assert_int_equal(asyncz_scheduler_add_listener(f->r.s,
                                                   ASYNCZ_EVENT_TASK_EXECUTED | ASYNCZ_EVENT_TASK_SUBMITTED,
                                                   reenter_listener, &f->r, NULL),
                     0);
    harness_dispatch_at(f->r.s, &f->clock, T0);
    alarm(0);
    assert_int_equal(call_count(&f->rec), 1);
    assert_reentered(&f->r, 2);
    fx_free(f);
}

/* A task function run inline on the loop thread adds, gets and lists tasks. */
static void test_task_function_reenters(void **state)
{
    (void)state;
    fixture *f = fx_new("reenter");
    alarm(ALARM_SEC);
    harness_dispatch_at(f->r.s, &f->clock, T0);
    harness_dispatch_at(f->r.s, &f->clock, T0 + 3600 * SEC);
    alarm(0);
    assert_reentered(&f->r, 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 2);
    fx_free(f);
}

/* A custom executor completes a pending run inside submit (asyncz_run_complete on the loop thread): the
 * run's TASK_EXECUTED reaches a listener that re-enters the scheduler. */
static void test_executor_completes_inline(void **state)
{
    (void)state;
    fixture *f = fx_new("park");
    assert_int_equal(
        asyncz_scheduler_add_listener(f->r.s, ASYNCZ_EVENT_TASK_EXECUTED, reenter_listener, &f->r, NULL), 0);
    alarm(ALARM_SEC);
    harness_dispatch_at(f->r.s, &f->clock, T0);
    alarm(0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 1);
    assert_reentered(&f->r, 1);
    fx_free(f);
}

/* The executor leaves the run pending (an executor without the PENDING completion in submit would), and
 * another thread completes it while the loop idles: the next round delivers TASK_EXECUTED to a listener
 * that re-enters; the completing thread itself calls the scheduler right after. */
static void *complete_parked(void *arg)
{
    sched_reentry *r = arg;
    asyncz_run *run = take_parked(r);
    assert_non_null(run);
    asyncz_run_complete(run, ASYNCZ_RUN_DONE);
    reenter_scheduler(r);
    return NULL;
}

static int park_only_submit(asyncz_executor *ex, asyncz_run *run)
{
    (void)ex;
    asyncz_run_execute(run);
    return 0;
}

static void test_executor_completes_from_thread(void **state)
{
    (void)state;
    fixture *f = fx_new("park");
    /* The same executor, but submit leaves the pending run to the test's thread. */
    static asyncz_executor_ops park_ops;
    park_ops = COMPLETING_OPS;
    park_ops.submit = park_only_submit;
    completing_exec *ex = calloc(1, sizeof *ex);
    assert_non_null(ex);
    assert_int_equal(asyncz_executor_base_init(&ex->base, &park_ops), 0);
    assert_int_equal(asyncz_scheduler_add_executor(f->r.s, "parking", (asyncz_executor *)ex), 0);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_scheduler_get_task(f->r.s, &t, "t1", NULL), 0);
    assert_int_equal(asyncz_task_set_executor(t, "parking"), 0);
    assert_int_equal(asyncz_scheduler_update_task(f->r.s, t), 0);
    asyncz_task_free(t);
    assert_int_equal(
        asyncz_scheduler_add_listener(f->r.s, ASYNCZ_EVENT_TASK_EXECUTED, reenter_listener, &f->r, NULL), 0);
    alarm(ALARM_SEC);
    harness_dispatch_at(f->r.s, &f->clock, T0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, complete_parked, &f->r), 0);
    pthread_join(th, NULL);
    harness_dispatch_at(f->r.s, &f->clock, T0 + SEC);
    alarm(0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 1);
    assert_reentered(&f->r, 2);
    fx_free(f);
}

/* ---- log sinks ------------------------------------------------------------------------------------ */

/* A sink's userdata: its calls, and whether its owner has let it go (a sink called after that would use
 * freed memory in a real program). */
typedef struct log_box {
    int calls;
    bool released;
    int after_release;    /* calls made after released */
    struct log_box *next; /* the sink to replace this one with from inside, at its first call */
} log_box;

static atomic_int sink_calls; /* of every box_sink */

static void box_sink(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    (void)level;
    (void)logger;
    (void)message;
    log_box *b = userdata;
    if (__atomic_load_n(&b->released, __ATOMIC_SEQ_CST))
        b->after_release++;
    b->calls++;
    atomic_fetch_add(&sink_calls, 1);
}

/* From inside: logs (dropped), changes the level, and replaces the sink by b->next. */
static void replacing_sink(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    log_box *b = userdata;
    box_sink(level, logger, message, userdata);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "from inside the sink: dropped");
    asyncz_log_set_level(ASYNCZ_LOG_INFO);
    if (b->next) {
        asyncz_log_to_callback(box_sink, b->next);
        asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "still inside: dropped, not sent to the new sink");
    }
}

static void test_log_sink_reenters(void **state)
{
    (void)state;
    log_box second = {0}, first = {.next = &second};
    alarm(ALARM_SEC);
    asyncz_log_set_level(ASYNCZ_LOG_WARNING);
    asyncz_log_to_callback(replacing_sink, &first);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "one");
    assert_int_equal(first.calls, 1);
    assert_int_equal(second.calls, 0);
    assert_int_equal(asyncz_log_get_level(), ASYNCZ_LOG_INFO);
    asyncz_log(ASYNCZ_LOG_INFO, "asyncz.test", "two");
    assert_int_equal(first.calls, 1);
    assert_int_equal(second.calls, 1);
    /* A sink that replaces itself by the stderr sink, and one that sets itself again. */
    log_box again = {0};
    again.next = &again;
    asyncz_log_to_callback(replacing_sink, &again);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "three");
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "four");
    assert_int_equal(again.calls, 2); /* replacing_sink, then box_sink with the same userdata */
    asyncz_log_to_stderr(0);
    alarm(0);
    asyncz_log_set_level(ASYNCZ_LOG_WARNING);
}

/* Another thread logs all the time while this one replaces the sink, and lets each old sink's userdata go
 * as soon as the replacement returns: the old sink is never called after that. */
#define SINK_SWAPS 2000

static atomic_bool logging_done;

static void *log_all_the_time(void *arg)
{
    (void)arg;
    while (!atomic_load(&logging_done))
        asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "from the other thread");
    return NULL;
}

static void test_log_sink_replaced_while_another_thread_logs(void **state)
{
    (void)state;
    log_box *boxes = calloc(SINK_SWAPS, sizeof *boxes);
    assert_non_null(boxes);
    alarm(ALARM_SEC);
    asyncz_log_set_level(ASYNCZ_LOG_WARNING);
    asyncz_log_to_callback(box_sink, &boxes[0]);
    atomic_store(&logging_done, false);
    pthread_t th;
    atomic_store(&sink_calls, 0);
    assert_int_equal(pthread_create(&th, NULL, log_all_the_time, NULL), 0);
    while (atomic_load(&sink_calls) == 0) /* the other thread is logging */
        sched_yield();
    int total = 0;
    for (int i = 1; i < SINK_SWAPS; i++) {
        asyncz_log_to_callback(box_sink, &boxes[i]);
        __atomic_store_n(&boxes[i - 1].released, true, __ATOMIC_SEQ_CST);
        if (i % 2)
            asyncz_log_set_level(ASYNCZ_LOG_ERROR);
        else
            asyncz_log_set_level(ASYNCZ_LOG_WARNING);
    }
    atomic_store(&logging_done, true);
    pthread_join(th, NULL);
    asyncz_log_to_stderr(0);
    alarm(0);
    for (int i = 0; i < SINK_SWAPS; i++) {
        assert_int_equal(boxes[i].after_release, 0);
        total += boxes[i].calls;
    }
    assert_true(total > 0);
    free(boxes);
    asyncz_log_set_level(ASYNCZ_LOG_WARNING);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_memory_store_each_reenters),
    cmocka_unit_test(test_listener_reenters),
    cmocka_unit_test(test_task_function_reenters),
    cmocka_unit_test(test_executor_completes_inline),
    cmocka_unit_test(test_executor_completes_from_thread),
    cmocka_unit_test(test_log_sink_reenters),
    cmocka_unit_test(test_log_sink_replaced_while_another_thread_logs),
};

AZ_TEST_MAIN(tests)
