/* The three run modes on the real clock: own thread, blocking, embedded (poll on the fd + dispatch); the
 * thread-safe API while the loop runs; the scope-bound scheduler. Waits are bounded generously and nothing
 * asserts speed. */
#include <poll.h>
#include <time.h>

#include "sched_harness.h"

#define MS (ASYNCZ_USEC_PER_MSEC)
#define WAIT_LIMIT_MS 20000

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait until the recorder has seen at least n calls (fails after WAIT_LIMIT_MS). */
static void wait_calls(recorder *r, size_t n)
{
    for (int waited = 0; call_count(r) < n; waited += 5) {
        if (waited > WAIT_LIMIT_MS)
            fail_msg("only %zu of %zu calls after %d ms", call_count(r), n, WAIT_LIMIT_MS);
        sleep_ms(5);
    }
}

static asyncz_scheduler *new_scheduler(recorder *rec)
{
    asyncz_scheduler *s;
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    assert_int_equal(asyncz_scheduler_add_executor(s, "default", inline_exec_new()), 0);
    assert_int_equal(asyncz_scheduler_register(s, "count", fn_count, rec), 0);
    return s;
}

static void add_every(asyncz_scheduler *s, const char *id, const char *func, int64_t every)
{
    asyncz_trigger *trig;
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    o.start_date = asyncz_now() + every;
    assert_int_equal(asyncz_trigger_interval_new(&trig, every, &o, NULL), 0);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, func), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
}

static void own_thread_fires_tasks(void **state)
{
    recorder rec;
    recorder_init(&rec);
    asyncz_scheduler *s = new_scheduler(&rec);
    add_every(s, "tick", "count", 20 * MS);
    assert_int_equal(asyncz_scheduler_start(s, 0), 0);
    assert_int_equal(asyncz_scheduler_start(s, 0), ASYNCZ_ESTATE);
    wait_calls(&rec, 3);
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    assert_int_equal(asyncz_scheduler_get_state(s), ASYNCZ_STATE_STOPPED);
    /* Runs happen at or after their scheduled times, and in order. */
    for (size_t i = 1; i < rec.n_calls; i++)
        assert_true(rec.calls[i] > rec.calls[i - 1]);
    asyncz_scheduler_free(s);
}

static void api_from_other_threads_wakes_the_loop(void **state)
{
    recorder rec;
    recorder_init(&rec);
    asyncz_scheduler *s = new_scheduler(&rec);
    assert_int_equal(asyncz_scheduler_start(s, 0), 0);
    sleep_ms(50); /* the loop now sleeps with nothing scheduled */
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0); /* no trigger: run once, now */
    asyncz_task_free(t);
    wait_calls(&rec, 1);
    add_every(s, "later", "count", 3600 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(asyncz_scheduler_run_task(s, "later", NULL), 0);
    wait_calls(&rec, 2);
    asyncz_scheduler_free(s); /* shuts down */
}

static int stop_after_three(asyncz_run *run, void *ud)
{
    recorder *r = ud;
    fn_count(run, ud);
    if (call_count(r) == 3)
        assert_int_equal(asyncz_scheduler_shutdown(asyncz_run_scheduler(run), false), 0);
    return ASYNCZ_RUN_DONE;
}

static void blocking_run_returns_after_shutdown_from_a_task(void **state)
{
    recorder rec;
    recorder_init(&rec);
    asyncz_scheduler *s = new_scheduler(&rec);
    assert_int_equal(asyncz_scheduler_register(s, "stop", stop_after_three, &rec), 0);
    add_every(s, "tick", "stop", 10 * MS);
    assert_int_equal(asyncz_scheduler_run(s, 0), 0);
    assert_int_equal(call_count(&rec), 3);
    assert_int_equal(asyncz_scheduler_get_state(s), ASYNCZ_STATE_STOPPED);
    asyncz_scheduler_free(s);
}

static void embedded_poll_and_dispatch(void **state)
{
    recorder rec;
    recorder_init(&rec);
    asyncz_scheduler *s = new_scheduler(&rec);
    add_every(s, "tick", "count", 15 * MS);
    assert_int_equal(asyncz_scheduler_start_embedded(s, 0), 0);
    int fd = asyncz_scheduler_fd(s);
    assert_true(fd >= 0);
    for (int rounds = 0; call_count(&rec) < 3; rounds++) {
        if (rounds > 2000)
            fail_msg("the fd never became readable for 3 runs");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, 100);
        assert_true(n >= 0);
        int timeout = -2;
        assert_int_equal(asyncz_scheduler_dispatch(s, &timeout), 0);
        assert_true(timeout >= -1);
    }
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    assert_int_equal(asyncz_scheduler_dispatch(s, NULL), ASYNCZ_ESTATE);
    asyncz_scheduler_free(s);
}

static void paused_start_then_resume(void **state)
{
    recorder rec;
    recorder_init(&rec);
    asyncz_scheduler *s = new_scheduler(&rec);
    add_every(s, "tick", "count", 10 * MS);
    assert_int_equal(asyncz_scheduler_start(s, ASYNCZ_START_PAUSED), 0);
    sleep_ms(100);
    assert_int_equal(call_count(&rec), 0);
    assert_int_equal(asyncz_scheduler_resume(s), 0);
    wait_calls(&rec, 1);
    asyncz_scheduler_free(s);
}

static size_t scoped_calls;

static void scoped_scheduler_shuts_down_at_scope_end(void **state)
{
    recorder rec;
    recorder_init(&rec);
    {
        ASYNCZ_AUTO_SCHEDULER(s) = new_scheduler(&rec);
        add_every(s, "tick", "count", 10 * MS);
        assert_int_equal(asyncz_scheduler_start(s, 0), 0);
        wait_calls(&rec, 2);
    }
    scoped_calls = call_count(&rec);
    sleep_ms(60);
    assert_int_equal(call_count(&rec), scoped_calls); /* nothing runs after the scope ended */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_thread_fires_tasks),
        cmocka_unit_test(api_from_other_threads_wakes_the_loop),
        cmocka_unit_test(blocking_run_returns_after_shutdown_from_a_task),
        cmocka_unit_test(embedded_poll_and_dispatch),
        cmocka_unit_test(paused_start_then_resume),
        cmocka_unit_test(scoped_scheduler_shuts_down_at_scope_end),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
