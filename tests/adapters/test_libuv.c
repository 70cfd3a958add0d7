/* The libuv adapter (include/asyncz/adapters/libuv.h) on a real uv loop: refused arguments, a scheduler that
 * shuts itself down from a task (the adapter stops watching and uv_run returns), a watch detached by a
 * listener while dispatch runs, and a watch detached from a loop callback. A guard timer, which does not
 * keep the loop alive, fails a test whose loop would otherwise never return. */
#include <asyncz.h>
#include <asyncz/adapters/libuv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "az_test.h"

typedef struct fixture {
    uv_loop_t loop;
    uv_timer_t guard;
    bool guard_fired;
    asyncz_scheduler *s;
    asyncz_uv *watch;
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
    asyncz_uv_detach(f->watch);
    asyncz_uv_detach(f->watch); /* a second detach of a closing watch does nothing */
    asyncz_scheduler_shutdown(f->s, false);
    return 0;
}

static void on_guard(uv_timer_t *t)
{
    fixture *f = t->data;
    f->guard_fired = true;
    uv_stop(&f->loop);
}

/* A scheduler with a loop executor and one task, calling func once, now; started embedded. */
static void setup(fixture *f, asyncz_task_fn func)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->guard);
    f->guard.data = f;
    uv_timer_start(&f->guard, on_guard, 20000, 0);
    uv_unref((uv_handle_t *)&f->guard);
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
    uv_close((uv_handle_t *)&f->guard, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* runs the close callbacks, which free a detached watch */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    asyncz_scheduler_free(f->s);
}

static void attach_refuses_bad_arguments(void **state)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    asyncz_scheduler *s;
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    asyncz_uv *w = NULL;
    assert_int_equal(asyncz_uv_attach(NULL, s, &loop), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_uv_attach(&w, NULL, &loop), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_uv_attach(&w, s, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_uv_attach(&w, s, &loop), ASYNCZ_ESTATE); /* not started */
    assert_int_equal(asyncz_scheduler_start(s, 0), 0);
    assert_int_equal(asyncz_uv_attach(&w, s, &loop), ASYNCZ_ESTATE); /* started on its own thread */
    assert_null(w);
    asyncz_uv_detach(NULL);
    asyncz_scheduler_free(s);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void stops_watching_when_a_task_shuts_down(void **state)
{
    fixture f;
    setup(&f, stop_from_task);
    assert_int_equal(asyncz_uv_attach(&f.watch, f.s, &f.loop), 0);
    uv_run(&f.loop, UV_RUN_DEFAULT); /* returns only if the adapter stopped watching */
    assert_false(f.guard_fired);
    assert_int_equal(f.runs, 1);
    assert_int_equal(asyncz_scheduler_get_state(f.s), ASYNCZ_STATE_STOPPED);
    asyncz_uv_detach(f.watch);
    teardown(&f);
}

static void detach_from_a_listener_inside_dispatch(void **state)
{
    fixture f;
    setup(&f, count_run);
    assert_int_equal(
        asyncz_scheduler_add_listener(f.s, ASYNCZ_EVENT_TASK_EXECUTED, detach_and_stop, &f, NULL), 0);
    assert_int_equal(asyncz_uv_attach(&f.watch, f.s, &f.loop), 0);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    assert_false(f.guard_fired);
    assert_int_equal(f.runs, 1);
    assert_int_equal(asyncz_scheduler_get_state(f.s), ASYNCZ_STATE_STOPPED);
    teardown(&f);
}

static void on_stop_timer(uv_timer_t *t)
{
    fixture *f = t->data;
    assert_int_equal(asyncz_scheduler_shutdown(f->s, true), 0);
    asyncz_uv_detach(f->watch);
    uv_close((uv_handle_t *)t, NULL);
}

static void detach_from_a_loop_callback(void **state)
{
    fixture f;
    setup(&f, count_run);
    assert_int_equal(asyncz_uv_attach(&f.watch, f.s, &f.loop), 0);
    uv_timer_t stop;
    uv_timer_init(&f.loop, &stop);
    stop.data = &f;
    uv_timer_start(&stop, on_stop_timer, 200, 0);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    assert_false(f.guard_fired);
    assert_int_equal(f.runs, 1);
    teardown(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attach_refuses_bad_arguments),
        cmocka_unit_test(stops_watching_when_a_task_shuts_down),
        cmocka_unit_test(detach_from_a_listener_inside_dispatch),
        cmocka_unit_test(detach_from_a_loop_callback),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
