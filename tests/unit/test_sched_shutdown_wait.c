/* A waiting shutdown (asyncz_scheduler_shutdown(s, true)) lets the runs of shutdown-trigger tasks finish
 * before it stops the executors. It sleeps until a run finishes, rather than waking every few milliseconds to
 * look, and returns promptly once the last run has ended. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "az_test.h"

#define MSEC (1000 * 1000) /* nanoseconds */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* What a shutdown task records: when its function returned. */
typedef struct slow_run {
    long sleep_ms;
    _Atomic int64_t ended_ns;
    atomic_int calls;
} slow_run;

static int fn_slow(asyncz_run *run, void *ud)
{
    (void)run;
    slow_run *r = ud;
    struct timespec pause = {.tv_sec = r->sleep_ms / 1000, .tv_nsec = (r->sleep_ms % 1000) * MSEC};
    nanosleep(&pause, NULL);
    atomic_fetch_add(&r->calls, 1);
    atomic_store(&r->ended_ns, mono_ns());
    return 0;
}

/* A scheduler with a one-worker thread pool and one shutdown-trigger task calling fn_slow on it. */
static asyncz_scheduler *scheduler_with_shutdown_task(slow_run *r)
{
    asyncz_scheduler *s;
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    asyncz_executor *pool;
    assert_int_equal(asyncz_executor_threadpool_new(&pool, 1), 0);
    assert_int_equal(asyncz_scheduler_add_executor(s, "pool", pool), 0);
    assert_int_equal(asyncz_scheduler_register(s, "slow", fn_slow, r), 0);
    asyncz_trigger *trig;
    asyncz_task *t;
    assert_int_equal(asyncz_trigger_shutdown_new(&trig), 0);
    assert_int_equal(asyncz_task_new(&t, "slow"), 0);
    assert_int_equal(asyncz_task_set_id(t, "bye"), 0);
    assert_int_equal(asyncz_task_set_executor(t, "pool"), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    return s;
}

static long voluntary_switches(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
    return ru.ru_nvcsw;
}

/* Embedded mode: shutdown from the application's thread runs the stop sequence on that thread, so this
 * thread is the one that waits. While the shutdown task runs for 500 ms it sleeps: a handful of context
 * switches (the pool's join, a contended mutex), where waking every 5 ms to look made a hundred. */
static void waiting_shutdown_sleeps_until_the_run_ends(void **state)
{
    (void)state;
    slow_run r = {.sleep_ms = 500};
    asyncz_scheduler *s = scheduler_with_shutdown_task(&r);
    assert_int_equal(asyncz_scheduler_start_embedded(s, 0), 0);
    long before = voluntary_switches();
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    long switches = voluntary_switches() - before;
    assert_int_equal(atomic_load(&r.calls), 1);
    print_message("the waiting thread switched %ld times during a 500 ms shutdown run\n", switches);
    assert_true(switches < 25);
    asyncz_scheduler_free(s);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Thread mode: shutdown(s, true) returns within 50 ms of the end of the last shutdown run (the median of
 * seven tries, so one hiccup of a loaded machine cannot fail it; every try within 2 s). */
static void waiting_shutdown_returns_promptly_after_the_last_run(void **state)
{
    (void)state;
    enum { TRIES = 7 };
    int64_t late_ns[TRIES];
    for (int i = 0; i < TRIES; i++) {
        slow_run r = {.sleep_ms = 30};
        asyncz_scheduler *s = scheduler_with_shutdown_task(&r);
        assert_int_equal(asyncz_scheduler_start(s, 0), 0);
        assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
        int64_t returned = mono_ns();
        assert_int_equal(atomic_load(&r.calls), 1);
        late_ns[i] = returned - atomic_load(&r.ended_ns);
        assert_true(late_ns[i] >= 0);
        assert_true(late_ns[i] < 2000 * (int64_t)MSEC);
        asyncz_scheduler_free(s);
    }
    qsort(late_ns, TRIES, sizeof late_ns[0], cmp_i64);
    print_message("shutdown returned %.3f ms (min) %.3f ms (median) %.3f ms (max) after the run ended\n",
                  late_ns[0] / 1e6, late_ns[TRIES / 2] / 1e6, late_ns[TRIES - 1] / 1e6);
    assert_true(late_ns[TRIES / 2] < 50 * (int64_t)MSEC);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(waiting_shutdown_sleeps_until_the_run_ends),
    cmocka_unit_test(waiting_shutdown_returns_promptly_after_the_last_run),
};

AZ_TEST_MAIN(tests)
