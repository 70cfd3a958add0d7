/* The inline executors (loop and debug), driven directly with runs made by az_run_new. */
#include "az_exec_test.h"

/* A run parked by the "pend" function, for a test thread to complete. */
typedef struct pend_box {
    pthread_mutex_t lock;
    asyncz_run *run;
    int calls;
} pend_box;

static int fn_sum(asyncz_run *run, void *userdata)
{
    int64_t a = 0, b = 0;
    if (asyncz_run_arg_int(run, 0, &a) || asyncz_run_arg_int(run, 1, &b))
        return ASYNCZ_EINVAL;
    char buf[64];
    snprintf(buf, sizeof buf, "{\"sum\":%lld}", (long long)(a + b));
    return asyncz_run_set_result(run, buf);
}

static int fn_fail(asyncz_run *run, void *userdata)
{
    asyncz_run_set_error(run, ASYNCZ_EIO, "disk %d is on fire", 3);
    return ASYNCZ_EIO;
}

static int fn_pend(asyncz_run *run, void *userdata)
{
    pend_box *box = userdata;
    pthread_mutex_lock(&box->lock);
    box->run = run;
    box->calls++;
    pthread_mutex_unlock(&box->lock);
    return ASYNCZ_RUN_PENDING;
}

/* Pends on its first call only, then finishes at once. */
static int fn_pend_once(asyncz_run *run, void *userdata)
{
    pend_box *box = userdata;
    pthread_mutex_lock(&box->lock);
    bool first = box->calls++ == 0;
    if (first)
        box->run = run;
    pthread_mutex_unlock(&box->lock);
    return first ? ASYNCZ_RUN_PENDING : ASYNCZ_RUN_DONE;
}

static asyncz_run *box_take(pend_box *box)
{
    pthread_mutex_lock(&box->lock);
    asyncz_run *run = box->run;
    box->run = NULL;
    pthread_mutex_unlock(&box->lock);
    return run;
}

typedef struct fixture {
    asyncz_scheduler *s;
    asyncz_executor *ex;
    sink k;
    pend_box box;
} fixture;

static void setup(fixture *f, int (*make)(asyncz_executor **))
{
    memset(f, 0, sizeof *f);
    sink_init(&f->k);
    pthread_mutex_init(&f->box.lock, NULL);
    assert_int_equal(asyncz_scheduler_new(&f->s, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "sum", fn_sum, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "fail", fn_fail, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pend", fn_pend, &f->box), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pend_once", fn_pend_once, &f->box), 0);
    assert_int_equal(make(&f->ex), 0);
    asyncz_executor_host host = {.scheduler = f->s, .alias = "test"};
    assert_int_equal(ASYNCZ_EXECUTOR_BASE(f->ex)->ops->start(f->ex, &host), 0);
}

static void teardown(fixture *f)
{
    if (f->ex) {
        ASYNCZ_EXECUTOR_BASE(f->ex)->ops->shutdown(f->ex, true);
        asyncz_executor_free(f->ex);
    }
    asyncz_scheduler_free(f->s);
    pthread_mutex_destroy(&f->box.lock);
    sink_close(&f->k);
}

static int submit(fixture *f, asyncz_run *run)
{
    return ASYNCZ_EXECUTOR_BASE(f->ex)->ops->submit(f->ex, run);
}

/* Completes the parked run after a delay, from another thread. */
static void *complete_later(void *arg)
{
    pend_box *box = arg;
    sleep_ms(200);
    asyncz_run *run = box_take(box);
    assert_non_null(run);
    asyncz_run_set_result(run, "\"late\"");
    asyncz_run_complete(run, ASYNCZ_RUN_DONE);
    return NULL;
}

static void test_loop_kind_and_flags(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_string_equal(asyncz_executor_kind(f.ex), "loop");
    assert_int_equal(ASYNCZ_EXECUTOR_BASE(f.ex)->ops->flags,
                     ASYNCZ_EXECUTOR_INLINE | ASYNCZ_EXECUTOR_PENDING);
    teardown(&f);
}

static void test_loop_runs_inline_with_result(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "sum", "t1", "[2,40]", 1)), 0);
    /* Inline: finished before submit returned, no waiting. */
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[0].result, "{\"sum\":42}");
    teardown(&f);
}

static void test_loop_reports_error_code_and_message(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "fail", "t1", NULL, 1)), 0);
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_EIO);
    assert_string_equal(f.k.recs[0].message, "disk 3 is on fire");
    assert_int_equal(f.k.recs[0].signal, 0);
    teardown(&f);
}

static void test_loop_unregistered_function(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "nope", "t1", NULL, 1)), 0);
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_ENOTFOUND);
    assert_string_equal(f.k.recs[0].message, "function \"nope\" is not registered");
    teardown(&f);
}

static void test_loop_pending_completed_from_another_thread(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "pend", "t1", NULL, 1)), 0);
    assert_int_equal(sink_runs(&f.k), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, complete_later, &f.box), 0);
    assert_true(sink_wait(&f.k, 1));
    pthread_join(th, NULL);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[0].result, "\"late\"");
    teardown(&f);
}

static void test_loop_shutdown_waits_for_pending(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "pend", "t1", NULL, 1)), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, complete_later, &f.box), 0);
    ASYNCZ_EXECUTOR_BASE(f.ex)->ops->shutdown(f.ex, true);
    /* shutdown(wait) returned only after the pending run finished: not failed, completed. */
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    pthread_join(th, NULL);
    teardown(&f);
}

static void test_loop_pending_outlives_executor(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "pend", "t1", NULL, 1)), 0);
    ASYNCZ_EXECUTOR_BASE(f.ex)->ops->shutdown(f.ex, false);
    asyncz_executor_free(f.ex);
    f.ex = NULL;
    assert_int_equal(sink_runs(&f.k), 0);
    /* Completing after the executor is gone still reaches the owner's callback. */
    asyncz_run *run = box_take(&f.box);
    assert_non_null(run);
    asyncz_run_complete(run, ASYNCZ_EIO);
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_EIO);
    teardown(&f);
}

static void test_loop_pending_resumes_remaining_times(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "pend_once", "t1", NULL, 2)), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, complete_later, &f.box), 0);
    ASYNCZ_EXECUTOR_BASE(f.ex)->ops->shutdown(f.ex, true);
    pthread_join(th, NULL);
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.resumes, 1);
    assert_int_equal(f.k.n, 2);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[0].result, "\"late\"");
    assert_int_equal(f.k.recs[1].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_int_equal(f.box.calls, 2);
    teardown(&f);
}

static void test_loop_submit_when_stopped_is_estate(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_loop_new);
    ASYNCZ_EXECUTOR_BASE(f.ex)->ops->shutdown(f.ex, true);
    asyncz_run *run = make_run(f.s, &f.k, "sum", "t1", "[1,2]", 1);
    assert_int_equal(submit(&f, run), ASYNCZ_ESTATE);
    assert_int_equal(sink_runs(&f.k), 0);
    az_run_free(run);
    /* Restartable. */
    asyncz_executor_host host = {.scheduler = f.s, .alias = "test"};
    assert_int_equal(ASYNCZ_EXECUTOR_BASE(f.ex)->ops->start(f.ex, &host), 0);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "sum", "t2", "[1,2]", 1)), 0);
    assert_int_equal(sink_runs(&f.k), 1);
    teardown(&f);
}

static void test_debug_runs_inline_and_logs(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_debug_new);
    assert_string_equal(asyncz_executor_kind(f.ex), "debug");
    assert_int_equal(ASYNCZ_EXECUTOR_BASE(f.ex)->ops->flags, ASYNCZ_EXECUTOR_INLINE);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "sum", "t1", "[5,6]", 1)), 0);
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[0].result, "{\"sum\":11}");
    teardown(&f);
}

static void test_debug_refuses_pending(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_debug_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "pend", "t1", NULL, 1)), 0);
    assert_int_equal(sink_runs(&f.k), 1);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_EUNSUPPORTED);
    assert_string_equal(f.k.recs[0].message, "this executor does not allow pending runs");
    teardown(&f);
}

static void test_debug_unregistered_and_stopped(void **state)
{
    fixture f;
    setup(&f, asyncz_executor_debug_new);
    assert_int_equal(submit(&f, make_run(f.s, &f.k, "nope", "t1", NULL, 1)), 0);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_ENOTFOUND);
    ASYNCZ_EXECUTOR_BASE(f.ex)->ops->shutdown(f.ex, false);
    asyncz_run *run = make_run(f.s, &f.k, "sum", "t2", "[1,2]", 1);
    assert_int_equal(submit(&f, run), ASYNCZ_ESTATE);
    az_run_free(run);
    teardown(&f);
}

static void test_new_rejects_null(void **state)
{
    assert_int_equal(asyncz_executor_loop_new(NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_executor_debug_new(NULL), ASYNCZ_EINVAL);
    asyncz_executor_free(NULL);
    assert_null(asyncz_executor_kind(NULL));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_loop_kind_and_flags),
    cmocka_unit_test(test_loop_runs_inline_with_result),
    cmocka_unit_test(test_loop_reports_error_code_and_message),
    cmocka_unit_test(test_loop_unregistered_function),
    cmocka_unit_test(test_loop_pending_completed_from_another_thread),
    cmocka_unit_test(test_loop_shutdown_waits_for_pending),
    cmocka_unit_test(test_loop_pending_outlives_executor),
    cmocka_unit_test(test_loop_pending_resumes_remaining_times),
    cmocka_unit_test(test_loop_submit_when_stopped_is_estate),
    cmocka_unit_test(test_debug_runs_inline_and_logs),
    cmocka_unit_test(test_debug_refuses_pending),
    cmocka_unit_test(test_debug_unregistered_and_stopped),
    cmocka_unit_test(test_new_rejects_null),
};

AZ_TEST_MAIN(tests)
