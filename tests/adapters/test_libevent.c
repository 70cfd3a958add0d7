/* The libevent adapter (include/asyncz/adapters/libevent.h) on a real event_base: refused arguments, a
 * scheduler that shuts itself down from a task (the adapter stops watching and the base runs out of
 * events), a watch detached by a listener while dispatch runs (freed when dispatch returns), and a watch
 * detached from another event's callback. A guard timer ends a loop that would otherwise never run out of
 * events, and fails the test. */
#include <asyncz.h>
#include <asyncz/adapters/libevent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "az_test.h"

typedef struct fixture {
    struct event_base *base;
    asyncz_scheduler *s;
    asyncz_libevent *watch;
    int runs;
} fixture;

static int count_run(asyncz_run *run, void *userdata)
{
    ((fixture *)userdata)->runs++;
    return ASYNCZ_RUN_DONE;
}

static int stop_from_task(asyncz_run *run, void *userdata)
{
    count_run(run, userdata);
    assert_int_equal(asyncz_scheduler_shutdown(asyncz_run_scheduler(run), false), 0);
    return ASYNCZ_RUN_DONE;
}

static int detach_and_stop(const asyncz_event *e, void *userdata)
{
    fixture *f = userdata;
    asyncz_libevent_detach(f->watch);
    asyncz_libevent_detach(f->watch); /* a second detach during the same dispatch does nothing */
    asyncz_scheduler_shutdown(f->s, false);
    return 0;
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
    *(bool *)arg = true;
}

/* Run the base one round at a time until no event but the guard is left; false if the guard (20 s) fired
 * first. */
static bool run_until_empty(struct event_base *base)
{
    bool fired = false;
    struct event *guard = evtimer_new(base, on_guard, &fired);
    evtimer_add(guard, &(struct timeval){.tv_sec = 20});
    while (!fired && event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) > 1)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(guard);
    return !fired;
}

/* A scheduler with a loop executor and one task, calling func once, now; started embedded. */
static void setup(fixture *f, asyncz_task_fn func)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    assert_non_null(f->base);
    assert_int_equal(asyncz_scheduler_new(&f->s, NULL), 0);
    asyncz_executor *ex;
    assert_int_equal(asyncz_executor_loop_new(&ex), 0);
    assert_int_equal(asyncz_scheduler_add_executor(f->s, "default", ex), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "f", func, f), 0);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "f"), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), 0);
}

static void teardown(fixture *f)
{
    asyncz_scheduler_free(f->s);
    event_base_free(f->base);
}

static void attach_refuses_bad_arguments(void **state)
{
    struct event_base *base = event_base_new();
    asyncz_scheduler *s;
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    asyncz_libevent *w = NULL;
    assert_int_equal(asyncz_libevent_attach(NULL, s, base), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_libevent_attach(&w, NULL, base), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_libevent_attach(&w, s, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_libevent_attach(&w, s, base), ASYNCZ_ESTATE); /* not started */
    assert_int_equal(asyncz_scheduler_start(s, 0), 0);
    assert_int_equal(asyncz_libevent_attach(&w, s, base), ASYNCZ_ESTATE); /* started on its own thread */
    assert_null(w);
    asyncz_libevent_detach(NULL);
    asyncz_scheduler_free(s);
    event_base_free(base);
}

static void stops_watching_when_a_task_shuts_down(void **state)
{
    fixture f;
    setup(&f, stop_from_task);
    assert_int_equal(asyncz_libevent_attach(&f.watch, f.s, f.base), 0);
    assert_true(run_until_empty(f.base));
    assert_int_equal(f.runs, 1);
    assert_int_equal(asyncz_scheduler_get_state(f.s), ASYNCZ_STATE_STOPPED);
    asyncz_libevent_detach(f.watch);
    teardown(&f);
}

static void detach_from_a_listener_inside_dispatch(void **state)
{
    fixture f;
    setup(&f, count_run);
    assert_int_equal(
        asyncz_scheduler_add_listener(f.s, ASYNCZ_EVENT_TASK_EXECUTED, detach_and_stop, &f, NULL), 0);
    assert_int_equal(asyncz_libevent_attach(&f.watch, f.s, f.base), 0);
    assert_true(run_until_empty(f.base));
    assert_int_equal(f.runs, 1);
    assert_int_equal(asyncz_scheduler_get_state(f.s), ASYNCZ_STATE_STOPPED);
    teardown(&f);
}

static void on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
    fixture *f = arg;
    assert_int_equal(asyncz_scheduler_shutdown(f->s, true), 0);
    asyncz_libevent_detach(f->watch);
}

static void detach_from_another_callback(void **state)
{
    fixture f;
    setup(&f, count_run);
    assert_int_equal(asyncz_libevent_attach(&f.watch, f.s, f.base), 0);
    struct event *stop = evtimer_new(f.base, on_stop_timer, &f);
    evtimer_add(stop, &(struct timeval){.tv_usec = 200000});
    assert_true(run_until_empty(f.base));
    assert_int_equal(f.runs, 1);
    event_free(stop);
    teardown(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attach_refuses_bad_arguments),
        cmocka_unit_test(stops_watching_when_a_task_shuts_down),
        cmocka_unit_test(detach_from_a_listener_inside_dispatch),
        cmocka_unit_test(detach_from_another_callback),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
