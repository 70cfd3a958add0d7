/* The scheduler core on a virtual clock (docs/design.md): run times, coalescing, misfires, max_instances,
 * exhausted triggers, paused tasks, run now, replace, shutdown tasks, events and listeners. Every test drives
 * asyncz_scheduler_process() with explicit times through an inline executor, so nothing depends on timing. */
#include <unistd.h>

#include "core/scheduler_internal.h"
#include "sched_harness.h"

#define T0 INT64_C(1790000000000000) /* 2026-09-21T... UTC, a whole second */
#define SEC ASYNCZ_USEC_PER_SEC

typedef struct fixture {
    vclock clock;
    recorder rec;
    asyncz_scheduler *s;
} fixture;

static fixture *fx_new(void)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->clock.now = T0;
    recorder_init(&f->rec);
    f->s = harness_scheduler_new(&f->clock, &f->rec, NULL);
    assert_int_equal(asyncz_scheduler_register(f->s, "fail", fn_fail, &f->rec), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "result", fn_result, &f->rec), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pending", fn_pending, &f->rec), 0);
    return f;
}

static void fx_start(fixture *f)
{
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), 0);
}

static void fx_free(fixture *f)
{
    asyncz_scheduler_free(f->s);
    free(f);
}

/* Add a task calling func with trigger (reference consumed) and id. Returns the add result. */
static int add(fixture *f, const char *id, const char *func, asyncz_trigger *trig, int64_t grace,
               bool coalesce, uint32_t max_instances)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, func), 0);
    if (id)
        assert_int_equal(asyncz_task_set_id(t, id), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, grace), 0);
    assert_int_equal(asyncz_task_set_coalesce(t, coalesce), 0);
    assert_int_equal(asyncz_task_set_max_instances(t, max_instances), 0);
    int rc = asyncz_scheduler_add_task(f->s, t, 0);
    asyncz_task_free(t);
    return rc;
}

static asyncz_time_t process(fixture *f, asyncz_time_t now)
{
    f->clock.now = now;
    asyncz_time_t next;
    assert_int_equal(asyncz_scheduler_process(f->s, now, &next), 0);
    return next;
}

static asyncz_time_t next_run(fixture *f, const char *id)
{
    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, id, NULL), 0);
    asyncz_time_t n = asyncz_task_next_run_time(t);
    asyncz_task_free(t);
    return n;
}

/* ---- run times, coalescing, misfires
 * ----------------------------------------------------------------------- */

static void coalesce_runs_last_missed_time_once(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(next_run(f, "a"), T0);
    assert_int_equal(process(f, T0 + 35 * SEC), T0 + 40 * SEC);
    assert_int_equal(f->rec.n_calls, 1);
    assert_int_equal(f->rec.calls[0], T0 + 30 * SEC);
    rec_event *sub = nth_event(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED, 0);
    assert_int_equal(sub->coalesced, 4);
    assert_int_equal(sub->n_run_times, 1);
    assert_int_equal(sub->first_run_time, T0 + 30 * SEC);
    assert_int_equal(next_run(f, "a"), T0 + 40 * SEC);
    fx_free(f);
}

static void no_coalesce_runs_every_missed_time(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, false, 1), 0);
    process(f, T0 + 35 * SEC);
    assert_int_equal(f->rec.n_calls, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f->rec.calls[i], T0 + i * 10 * SEC);
    rec_event *sub = nth_event(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED, 0);
    assert_int_equal(sub->n_run_times, 4);
    assert_int_equal(sub->coalesced, 4);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED), 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 4);
    fx_free(f);
}

static void grace_is_strictly_greater(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "edge", "count", at(T0), 5 * SEC, true, 1), 0);
    assert_int_equal(add(f, "late", "count", at(T0), 5 * SEC, true, 1), 0);
    /* Exactly grace late: runs. */
    process(f, T0 + 5 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 0);
    assert_int_equal(f->rec.n_calls, 2);
    fx_free(f);

    f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "late", "count", at(T0), 5 * SEC, true, 1), 0);
    process(f, T0 + 5 * SEC + 1);
    assert_int_equal(f->rec.n_calls, 0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 1);
    assert_int_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_MISSED, 0)->scheduled, T0);
    /* A missed one-shot is still exhausted and removed. */
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 1);
    fx_free(f);
}

static void misfires_counted_per_run_time_without_coalescing(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0), 15 * SEC, false, 1), 0);
    process(f, T0 + 35 * SEC); /* due: 0, 10, 20, 30; late by 35, 25, 15, 5 */
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 2);
    assert_int_equal(f->rec.n_calls, 2);
    assert_int_equal(f->rec.calls[0], T0 + 20 * SEC); /* 15 s late: exactly the grace, runs */
    assert_int_equal(f->rec.calls[1], T0 + 30 * SEC);
    fx_free(f);
}

static void default_grace_is_one_second(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    asyncz_trigger *trig = at(T0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    assert_non_null(asyncz_task_id(t)); /* generated and written back */
    assert_int_equal(strlen(asyncz_task_id(t)), 32);
    asyncz_task_free(t);
    process(f, T0 + SEC + 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 1);
    fx_free(f);
}

/* ---- max_instances
 * ----------------------------------------------------------------------------------------- */

static void max_instances_refuses_and_still_advances(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "p", "pending", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    process(f, T0);
    assert_int_equal(f->rec.n_pending, 1);
    process(f, T0 + 10 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MAX_INSTANCES), 1);
    assert_int_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_MAX_INSTANCES, 0)->first_run_time, T0 + 10 * SEC);
    assert_int_equal(next_run(f, "p"), T0 + 20 * SEC);
    asyncz_run_complete(f->rec.pending[0], ASYNCZ_RUN_DONE);
    process(f, T0 + 20 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED), 2);
    assert_int_equal(f->rec.n_pending, 2);
    asyncz_run_complete(f->rec.pending[1], ASYNCZ_EINVAL);
    process(f, T0 + 21 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_ERROR), 1);
    fx_free(f);
}

static void max_instances_two_allows_two(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "p", "pending", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, true, 2), 0);
    process(f, T0);
    process(f, T0 + 10 * SEC);
    process(f, T0 + 20 * SEC);
    assert_int_equal(f->rec.n_pending, 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MAX_INSTANCES), 1);
    asyncz_run_complete(f->rec.pending[0], ASYNCZ_RUN_DONE);
    asyncz_run_complete(f->rec.pending[1], ASYNCZ_RUN_DONE);
    process(f, T0 + 21 * SEC);
    fx_free(f);
}

/* ---- the life of tasks
 * --------------------------------------------------------------------------------------- */

static void exhausted_trigger_removes_task(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "once", "count", at(T0 + 5 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(process(f, T0), T0 + 5 * SEC);
    assert_int_equal(f->rec.n_calls, 0);
    assert_int_equal(process(f, T0 + 5 * SEC), ASYNCZ_TIME_NONE);
    assert_int_equal(f->rec.n_calls, 1);
    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "once", NULL), ASYNCZ_ENOTFOUND);
    rec_event *rm = nth_event(&f->rec, ASYNCZ_EVENT_TASK_REMOVED, 0);
    assert_string_equal(rm->task_id, "once");
    assert_string_equal(rm->alias, "default");
    fx_free(f);
}

static void paused_task_does_not_run_and_resumes_from_now(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(asyncz_scheduler_pause_task(f->s, "a", NULL), 0);
    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "a", "default"), 0);
    assert_true(asyncz_task_paused(t));
    asyncz_task_free(t);
    assert_int_equal(process(f, T0 + 100 * SEC), ASYNCZ_TIME_NONE);
    assert_int_equal(f->rec.n_calls, 0);
    f->clock.now = T0 + 105 * SEC;
    assert_int_equal(asyncz_scheduler_resume_task(f->s, "a", NULL), 0);
    assert_int_equal(next_run(f, "a"), T0 + 110 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MODIFIED), 2);
    fx_free(f);
}

static void resume_of_exhausted_task_removes_it(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    o.start_date = T0 + 5 * SEC;
    o.end_date = T0 + 8 * SEC;
    asyncz_trigger *trig;
    assert_int_equal(asyncz_trigger_interval_new(&trig, 10 * SEC, &o, NULL), 0);
    assert_int_equal(add(f, "short", "count", trig, ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(asyncz_scheduler_pause_task(f->s, "short", NULL), 0);
    f->clock.now = T0 + 10 * SEC; /* past end_date: nothing is left to run */
    assert_int_equal(asyncz_scheduler_resume_task(f->s, "short", NULL), 0);
    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "short", NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 1);
    fx_free(f);
}

static void scheduler_pause_stops_processing(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(asyncz_scheduler_pause(f->s), 0);
    assert_int_equal(asyncz_scheduler_get_state(f->s), ASYNCZ_STATE_PAUSED);
    assert_int_equal(process(f, T0 + 30 * SEC), ASYNCZ_TIME_NONE);
    assert_int_equal(f->rec.n_calls, 0);
    assert_int_equal(asyncz_scheduler_resume(f->s), 0);
    process(f, T0 + 30 * SEC);
    assert_int_equal(f->rec.n_calls, 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_SCHEDULER_PAUSED), 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_SCHEDULER_RESUMED), 1);
    fx_free(f);
}

static void run_now_keeps_the_schedule(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0 + 10 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1),
                     0);
    f->clock.now = T0 + 3 * SEC;
    assert_int_equal(asyncz_scheduler_run_task(f->s, "a", NULL), 0);
    process(f, T0 + 3 * SEC);
    assert_int_equal(f->rec.n_calls, 1);
    assert_int_equal(f->rec.calls[0], T0 + 3 * SEC);
    assert_int_equal(next_run(f, "a"), T0 + 10 * SEC);
    assert_int_equal(asyncz_scheduler_run_task(f->s, "nope", NULL), ASYNCZ_ENOTFOUND);
    fx_free(f);
}

static void replace_existing(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "count", at(T0 + 5 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(add(f, "a", "count", at(T0 + 6 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), ASYNCZ_EEXISTS);
    assert_non_null(strstr(asyncz_scheduler_errmsg(f->s), "already exists"));
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "result"), 0);
    asyncz_task_set_id(t, "a");
    asyncz_trigger *trig = at(T0 + 7 * SEC);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, ASYNCZ_REPLACE_EXISTING), 0);
    asyncz_task_free(t);
    assert_int_equal(next_run(f, "a"), T0 + 7 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_ADDED), 2);
    fx_free(f);
}

static void add_refuses_bad_tasks(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "a", "nosuch", at(T0), ASYNCZ_GRACE_UNLIMITED, true, 1), ASYNCZ_ENOTFOUND);
    assert_non_null(strstr(asyncz_scheduler_errmsg(f->s), "\"nosuch\" is not registered"));
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    assert_int_equal(asyncz_task_set_executor(t, "gpu"), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), ASYNCZ_ENOTFOUND);
    assert_non_null(strstr(asyncz_scheduler_errmsg(f->s), "no executor named \"gpu\""));
    assert_int_equal(asyncz_task_set_executor(t, NULL), 0);
    assert_int_equal(asyncz_task_set_store(t, "elsewhere"), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), ASYNCZ_ENOTFOUND);
    asyncz_task_free(t);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_ADDED), 0);
    fx_free(f);
}

static void task_without_trigger_runs_once_now(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
    process(f, T0);
    assert_int_equal(f->rec.n_calls, 1);
    assert_int_equal(f->rec.calls[0], T0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 1);
    fx_free(f);
}

static void tasks_added_before_start_are_scheduled_at_start(void **state)
{
    fixture *f = fx_new();
    assert_int_equal(
        add(f, "early", "count", interval(10 * SEC, T0 + 10 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    asyncz_task_list *l;
    assert_int_equal(asyncz_scheduler_list_tasks(f->s, &l, NULL), 0);
    assert_int_equal(asyncz_task_list_count(l), 1);
    asyncz_task_list_free(l);
    fx_start(f);
    assert_int_equal(next_run(f, "early"), T0 + 10 * SEC);
    process(f, T0 + 10 * SEC);
    assert_int_equal(f->rec.n_calls, 1);
    fx_free(f);
}

static void list_update_reschedule_remove(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    assert_int_equal(add(f, "c", "count", at(T0 + 30 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(add(f, "a", "count", at(T0 + 10 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(add(f, "b", "count", at(T0 + 20 * SEC), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    assert_int_equal(asyncz_scheduler_pause_task(f->s, "a", NULL), 0);
    asyncz_task_list *l;
    assert_int_equal(asyncz_scheduler_list_tasks(f->s, &l, "default"), 0);
    assert_int_equal(asyncz_task_list_count(l), 3);
    assert_string_equal(asyncz_task_id(asyncz_task_list_at(l, 0)), "b");
    assert_string_equal(asyncz_task_id(asyncz_task_list_at(l, 1)), "c");
    assert_string_equal(asyncz_task_id(asyncz_task_list_at(l, 2)), "a"); /* paused last */
    asyncz_task_list_free(l);
    assert_int_equal(asyncz_scheduler_list_tasks(f->s, &l, "nowhere"), ASYNCZ_ENOTFOUND);

    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "b", NULL), 0);
    assert_int_equal(asyncz_task_set_name(t, "renamed"), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, T0 + 40 * SEC), 0);
    assert_int_equal(asyncz_scheduler_update_task(f->s, t), 0);
    asyncz_task_set_id(t, "zzz");
    assert_int_equal(asyncz_scheduler_update_task(f->s, t), ASYNCZ_ENOTFOUND);
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "b", NULL), 0);
    assert_string_equal(asyncz_task_name(t), "renamed");
    asyncz_task_free(t);
    assert_int_equal(next_run(f, "b"), T0 + 40 * SEC);

    asyncz_trigger *every5 = interval(5 * SEC, T0 + 50 * SEC);
    assert_int_equal(asyncz_scheduler_reschedule_task(f->s, "c", NULL, every5), 0);
    asyncz_trigger_unref(every5); /* borrowed: the scheduler took its own reference */
    assert_int_equal(next_run(f, "c"), T0 + 50 * SEC);
    assert_int_equal(asyncz_scheduler_remove_task(f->s, "c", NULL), 0);
    assert_int_equal(asyncz_scheduler_remove_task(f->s, "c", NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_scheduler_remove_all_tasks(f->s, NULL), 0);
    assert_int_equal(asyncz_scheduler_list_tasks(f->s, &l, NULL), 0);
    assert_int_equal(asyncz_task_list_count(l), 0);
    asyncz_task_list_free(l);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_ALL_TASKS_REMOVED), 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 1);
    fx_free(f);
}

/* ---- events
 * ------------------------------------------------------------------------------------------------ */

static void event_order_and_payloads(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "result"), 0);
    asyncz_task_set_id(t, "sum");
    assert_int_equal(asyncz_task_set_args_json(t, "[40]"), 0);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{\"b\":2}"), 0);
    asyncz_trigger *trig = at(T0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
    assert_int_equal(add(f, "bad", "fail", at(T0 + 1), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    process(f, T0 + 1);
    asyncz_scheduler_shutdown(f->s, true);
    uint32_t want[] = {
        ASYNCZ_EVENT_EXECUTOR_ADDED, ASYNCZ_EVENT_STORE_ADDED,    ASYNCZ_EVENT_SCHEDULER_START,
        ASYNCZ_EVENT_TASK_ADDED,     ASYNCZ_EVENT_TASK_ADDED,     ASYNCZ_EVENT_TASK_SUBMITTED,
        ASYNCZ_EVENT_TASK_REMOVED,   ASYNCZ_EVENT_TASK_SUBMITTED, ASYNCZ_EVENT_TASK_REMOVED,
        ASYNCZ_EVENT_TASK_EXECUTED,  ASYNCZ_EVENT_TASK_ERROR,     ASYNCZ_EVENT_SCHEDULER_SHUTDOWN};
    /* The listener was added after the executor (fx_new), so EXECUTOR_ADDED was not seen. */
    size_t n = sizeof want / sizeof want[0] - 1;
    assert_int_equal(f->rec.n_events, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(asyncz_event_name(f->rec.events[i].code), asyncz_event_name(want[i + 1]));
    rec_event *ok = nth_event(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED, 0);
    assert_string_equal(ok->task_id, "sum");
    assert_string_equal(ok->result, "{\"sum\":42}");
    assert_int_equal(ok->scheduled, T0);
    rec_event *err = nth_event(&f->rec, ASYNCZ_EVENT_TASK_ERROR, 0);
    assert_string_equal(err->task_id, "bad");
    assert_int_equal(err->error_code, -77);
    assert_string_equal(err->error_message, "boom at 1790000000000001");
    fx_free(f);
}

static int failing_listener(const asyncz_event *e, void *ud)
{
    (void)e;
    (*(int *)ud)++;
    return -1;
}

static void failing_listener_is_isolated(void **state)
{
    fixture *f = fx_new();
    int calls = 0;
    uint64_t id;
    assert_int_equal(
        asyncz_scheduler_add_listener(f->s, ASYNCZ_EVENT_TASK_EXECUTED, failing_listener, &calls, &id), 0);
    fx_start(f);
    assert_int_equal(add(f, "a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    process(f, T0);
    process(f, T0 + 10 * SEC);
    assert_int_equal(calls, 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 2);
    assert_int_equal(asyncz_scheduler_remove_listener(f->s, id), 0);
    assert_int_equal(asyncz_scheduler_remove_listener(f->s, id), ASYNCZ_ENOTFOUND);
    process(f, T0 + 20 * SEC);
    assert_int_equal(calls, 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 3);
    fx_free(f);
}

static void listener_mask_filters(void **state)
{
    fixture *f = fx_new();
    recorder only;
    recorder_init(&only);
    assert_int_equal(asyncz_scheduler_add_listener(f->s, ASYNCZ_EVENT_TASK_ADDED | ASYNCZ_EVENT_TASK_REMOVED,
                                                   record_event, &only, NULL),
                     0);
    assert_int_equal(asyncz_scheduler_add_listener(f->s, 0, record_event, &only, NULL), ASYNCZ_EINVAL);
    fx_start(f);
    assert_int_equal(add(f, "a", "count", at(T0), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    process(f, T0);
    assert_int_equal(only.n_events, 2);
    assert_int_equal(only.events[0].code, ASYNCZ_EVENT_TASK_ADDED);
    assert_int_equal(only.events[1].code, ASYNCZ_EVENT_TASK_REMOVED);
    fx_free(f);
}

static void event_names(void **state)
{
    assert_string_equal(asyncz_event_name(ASYNCZ_EVENT_SCHEDULER_START), "SCHEDULER_START");
    assert_string_equal(asyncz_event_name(ASYNCZ_EVENT_TASK_MAX_INSTANCES), "TASK_MAX_INSTANCES");
    assert_string_equal(asyncz_event_name(3), "UNKNOWN");
    assert_int_equal(ASYNCZ_EVENT_TASK_EXECUTED, 4096);
    assert_int_equal(ASYNCZ_EVENT_TASK_SUBMITTED, 32768);
}

/* ---- shutdown, stores, executors, states
 * ---------------------------------------------------------------------- */

static void shutdown_runs_shutdown_tasks(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    asyncz_trigger *trig;
    assert_int_equal(asyncz_trigger_shutdown_new(&trig), 0);
    assert_int_equal(add(f, "bye", "count", trig, ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "bye", NULL), 0);
    assert_true(asyncz_task_paused(t)); /* never due by time */
    asyncz_task_free(t);
    process(f, T0 + 100 * SEC);
    assert_int_equal(f->rec.n_calls, 0);
    f->clock.now = T0 + 200 * SEC;
    assert_int_equal(asyncz_scheduler_shutdown(f->s, true), 0);
    assert_int_equal(f->rec.n_calls, 1);
    assert_int_equal(f->rec.calls[0], T0 + 200 * SEC);
    assert_int_equal(asyncz_scheduler_get_state(f->s), ASYNCZ_STATE_STOPPED);
    assert_int_equal(asyncz_scheduler_shutdown(f->s, true), ASYNCZ_ESTATE);
    fx_free(f);
}

static int fn_slow_count(asyncz_run *run, void *ud)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    return fn_count(run, ud);
}

/* Shutdown tasks on a thread pool with one worker: they queue behind each other, and a waiting shutdown
 * lets every one of them run before the pool stops (a stopping pool fails what is still queued). */
static void waiting_shutdown_runs_queued_shutdown_tasks(void **state)
{
    (void)state;
    fixture *f = fx_new();
    asyncz_executor *pool;
    assert_int_equal(asyncz_executor_threadpool_new(&pool, 1), 0);
    assert_int_equal(asyncz_scheduler_add_executor(f->s, "pool", pool), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "slow", fn_slow_count, &f->rec), 0);
    fx_start(f);
    static const char *const ids[] = {"bye1", "bye2", "bye3"};
    for (size_t i = 0; i < 3; i++) {
        asyncz_task *t;
        asyncz_trigger *trig;
        assert_int_equal(asyncz_trigger_shutdown_new(&trig), 0);
        assert_int_equal(asyncz_task_new(&t, "slow"), 0);
        assert_int_equal(asyncz_task_set_id(t, ids[i]), 0);
        assert_int_equal(asyncz_task_set_executor(t, "pool"), 0);
        asyncz_task_set_trigger(t, trig);
        asyncz_trigger_unref(trig);
        assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
        asyncz_task_free(t);
    }
    assert_int_equal(asyncz_scheduler_shutdown(f->s, true), 0);
    assert_int_equal(call_count(&f->rec), 3);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 3);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_ERROR), 0);
    fx_free(f);
}

static void states_and_restart(void **state)
{
    fixture *f = fx_new();
    asyncz_time_t next;
    assert_int_equal(asyncz_scheduler_process(f->s, T0, &next), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_scheduler_dispatch(f->s, NULL), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_scheduler_pause(f->s), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, ASYNCZ_START_PAUSED), 0);
    assert_int_equal(asyncz_scheduler_get_state(f->s), ASYNCZ_STATE_PAUSED);
    assert_true(asyncz_scheduler_fd(f->s) >= 0);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_scheduler_shutdown(f->s, false), 0);
    assert_int_equal(asyncz_scheduler_fd(f->s), -1);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), 0); /* restartable */
    assert_int_equal(asyncz_scheduler_get_state(f->s), ASYNCZ_STATE_RUNNING);
    fx_free(f);
}

static void stores_and_executors_by_alias(void **state)
{
    fixture *f = fx_new();
    asyncz_store *st;
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    assert_int_equal(asyncz_scheduler_add_store(f->s, "mem2", st), 0);
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    assert_int_equal(asyncz_scheduler_add_store(f->s, "mem2", st), ASYNCZ_EEXISTS);
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    assert_int_equal(asyncz_scheduler_add_store(f->s, "bad alias", st), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_scheduler_add_executor(f->s, "default", inline_exec_new()), ASYNCZ_EEXISTS);
    assert_int_equal(asyncz_scheduler_add_executor(f->s, "second", inline_exec_new()), 0);
    fx_start(f);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    asyncz_task_set_id(t, "x");
    asyncz_task_set_store(t, "mem2");
    asyncz_task_set_executor(t, "second");
    asyncz_trigger *trig = at(T0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "x", "default"), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, "x", "mem2"), 0);
    assert_string_equal(asyncz_task_store(t), "mem2");
    asyncz_task_free(t);
    process(f, T0);
    assert_int_equal(f->rec.n_calls, 1);
    assert_string_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED, 0)->alias, "mem2");
    assert_int_equal(asyncz_scheduler_remove_executor(f->s, "second"), 0);
    assert_int_equal(asyncz_scheduler_remove_executor(f->s, "second"), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_scheduler_remove_store(f->s, "mem2"), 0);
    assert_int_equal(asyncz_scheduler_remove_store(f->s, "mem2"), ASYNCZ_ENOTFOUND);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_EXECUTOR_REMOVED), 1);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_STORE_REMOVED), 1);
    fx_free(f);
}

static void missing_executor_at_run_time_is_an_error(void **state)
{
    fixture *f = fx_new();
    assert_int_equal(asyncz_scheduler_add_executor(f->s, "gone", inline_exec_new()), 0);
    fx_start(f);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    asyncz_task_set_id(t, "x");
    asyncz_task_set_executor(t, "gone");
    asyncz_trigger *trig = interval(10 * SEC, T0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_remove_executor(f->s, "gone"), 0);
    process(f, T0);
    rec_event *e = nth_event(&f->rec, ASYNCZ_EVENT_TASK_ERROR, 0);
    assert_int_equal(e->error_code, ASYNCZ_ENOTFOUND);
    assert_string_equal(e->error_message, "no executor named \"gone\"");
    assert_int_equal(next_run(f, "x"), T0 + 10 * SEC); /* kept, not deleted */
    fx_free(f);
}

static void many_due_tasks_fire_in_order(void **state)
{
    fixture *f = fx_new();
    fx_start(f);
    char id[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "t%04d", i);
        assert_int_equal(add(f, id, "count", at(T0 + (999 - i)), ASYNCZ_GRACE_UNLIMITED, true, 1), 0);
    }
    process(f, T0 + SEC);
    assert_int_equal(f->rec.n_calls, 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(f->rec.calls[i], T0 + i);
    fx_free(f);
}

/* The instance counts (az_counts, on the util map): a task whose last instance finishes leaves, and the
 * entry that moves into its place stays found under its own id. */
static void instance_counts_survive_removals(void **state)
{
    enum { N = 300 };
    asyncz_task *t[N];
    int running[N];
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "count-%d", i);
        t[i] = az_test_task(id, 0);
    }
    az_counts c = {0};
    for (int i = 0; i < N; i++) {
        running[i] = i % 3 == 0 ? 2 : 1;
        for (int k = 0; k < running[i]; k++)
            assert_true(az_counts_acquire(&c, t[i], 2));
    }
    assert_false(az_counts_acquire(&c, t[0], 2)); /* at max_instances */
    assert_false(az_counts_acquire(&c, t[5], 0));
    /* Finish one instance of each even task, first to last: those that had one leave, and the last entry
     * moves into each one's place. */
    for (int i = 0; i < N; i += 2) {
        assert_int_equal(az_counts_add(&c, t[i], -1), 0);
        running[i]--;
    }
    assert_int_equal(c.by_id.count, c.n);
    for (int i = 0; i < N; i++) {
        /* Each task is found with its own count: refused at max_instances = its count, accepted above. */
        if (running[i] > 0)
            assert_false(az_counts_acquire(&c, t[i], (uint32_t)running[i]));
        assert_true(az_counts_acquire(&c, t[i], (uint32_t)running[i] + 1));
        running[i]++;
    }
    for (int i = N - 1; i >= 0; i--)
        assert_int_equal(az_counts_add(&c, t[i], -running[i]), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.by_id.count, 0);
    az_counts_free(&c);
    for (int i = 0; i < N; i++)
        asyncz_task_free(t[i]);
}

/* asyncz_scheduler_identity: the configured identity, else "<hostname>:<pid>"; NULL for no scheduler. */
static void identity_is_readable(void **state)
{
    (void)state;
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.identity = "node-7";
    asyncz_scheduler *s;
    assert_int_equal(asyncz_scheduler_new(&s, &o), 0);
    assert_string_equal(asyncz_scheduler_identity(s), "node-7");
    asyncz_scheduler_free(s);
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    char host[256] = "localhost", want[300];
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(want, sizeof want, "%s:%ld", host, (long)getpid());
    assert_string_equal(asyncz_scheduler_identity(s), want);
    asyncz_scheduler_free(s);
    assert_null(asyncz_scheduler_identity(NULL));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(coalesce_runs_last_missed_time_once),
        cmocka_unit_test(no_coalesce_runs_every_missed_time),
        cmocka_unit_test(grace_is_strictly_greater),
        cmocka_unit_test(misfires_counted_per_run_time_without_coalescing),
        cmocka_unit_test(default_grace_is_one_second),
        cmocka_unit_test(max_instances_refuses_and_still_advances),
        cmocka_unit_test(max_instances_two_allows_two),
        cmocka_unit_test(exhausted_trigger_removes_task),
        cmocka_unit_test(paused_task_does_not_run_and_resumes_from_now),
        cmocka_unit_test(resume_of_exhausted_task_removes_it),
        cmocka_unit_test(scheduler_pause_stops_processing),
        cmocka_unit_test(run_now_keeps_the_schedule),
        cmocka_unit_test(replace_existing),
        cmocka_unit_test(add_refuses_bad_tasks),
        cmocka_unit_test(task_without_trigger_runs_once_now),
        cmocka_unit_test(tasks_added_before_start_are_scheduled_at_start),
        cmocka_unit_test(list_update_reschedule_remove),
        cmocka_unit_test(event_order_and_payloads),
        cmocka_unit_test(failing_listener_is_isolated),
        cmocka_unit_test(listener_mask_filters),
        cmocka_unit_test(event_names),
        cmocka_unit_test(shutdown_runs_shutdown_tasks),
        cmocka_unit_test(waiting_shutdown_runs_queued_shutdown_tasks),
        cmocka_unit_test(states_and_restart),
        cmocka_unit_test(stores_and_executors_by_alias),
        cmocka_unit_test(missing_executor_at_run_time_is_an_error),
        cmocka_unit_test(many_due_tasks_fire_in_order),
        cmocka_unit_test(instance_counts_survive_removals),
        cmocka_unit_test(identity_is_readable),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
