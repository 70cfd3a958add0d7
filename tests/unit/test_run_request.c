/* Run requests (asyncz_task_request_run, what `asyncz run ID` writes to a store): the task model, its
 * document, and the scheduler that claims such a task: one run at the requested time, never dropped as
 * missed, then the schedule goes on from the next run time the task had (or it stays paused). The store is
 * a memory store that the test also writes to directly, as the asyncz tool writes to a store a daemon owns;
 * time is a virtual clock and the scheduler runs embedded, so every round is an explicit dispatch. */
#include "asyncz/sys/store.h"
#include "sched_harness.h"

#define T0 INT64_C(1790000000000000) /* a whole second */
#define SEC ASYNCZ_USEC_PER_SEC
#define HOUR (3600 * SEC)

/* ---- the task and its document ----------------------------------------------------------------------- */

static asyncz_task *plain_task(const char *id, asyncz_time_t next)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, next), 0);
    return t;
}

static void request_makes_the_task_due(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", T0 + HOUR);
    assert_int_equal(asyncz_task_run_requested(t), ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_task_request_run(t, T0 + 10 * SEC), 0);
    assert_int_equal(asyncz_task_run_requested(t), T0 + 10 * SEC);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 10 * SEC);
    /* The first request stands. */
    assert_int_equal(asyncz_task_request_run(t, T0 + 20 * SEC), 0);
    assert_int_equal(asyncz_task_run_requested(t), T0 + 10 * SEC);
    asyncz_task_free(t);
}

static void request_keeps_an_earlier_next_run_time(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", T0 + SEC);
    assert_int_equal(asyncz_task_request_run(t, T0 + 10 * SEC), 0);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + SEC);
    assert_false(asyncz_task_paused(t));
    asyncz_task_free(t);
}

static void request_on_a_paused_task(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", ASYNCZ_TIME_NONE);
    assert_true(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_request_run(t, T0), 0);
    assert_int_equal(asyncz_task_next_run_time(t), T0);
    assert_true(asyncz_task_paused(t)); /* the request runs once; the task stays paused */
    asyncz_task_free(t);
}

static void setting_the_next_run_time_drops_the_request(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", T0 + HOUR);
    assert_int_equal(asyncz_task_request_run(t, T0), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, T0 + 2 * HOUR), 0);
    assert_int_equal(asyncz_task_run_requested(t), ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 2 * HOUR);
    asyncz_task_free(t);
}

static void request_refuses_bad_arguments(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", T0);
    assert_int_equal(asyncz_task_request_run(NULL, T0), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_request_run(t, ASYNCZ_TIME_NONE), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_run_requested(t), ASYNCZ_TIME_NONE);
    asyncz_task_free(t);
}

static char *to_json(const asyncz_task *t)
{
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(asyncz_task_to_json(t, &json, &len), 0);
    return json;
}

static void document_round_trip(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", ASYNCZ_TIME_NONE);
    char *plain = to_json(t);
    assert_null(strstr(plain, "run_requested"));
    assert_int_equal(asyncz_task_request_run(t, T0), 0);
    char *json = to_json(t);
    assert_non_null(strstr(json, "\"run_requested\":"));
    assert_non_null(strstr(json, "\"resume_next_run_time\":null"));
    asyncz_task *back = NULL;
    asyncz_doc_error err;
    assert_int_equal(asyncz_task_from_json(&back, json, strlen(json), &err), 0);
    assert_int_equal(asyncz_task_run_requested(back), T0);
    assert_int_equal(asyncz_task_next_run_time(back), T0);
    char *again = to_json(back);
    assert_string_equal(again, json);
    free(plain);
    free(json);
    free(again);
    asyncz_task_free(t);
    asyncz_task_free(back);
}

/* Replace `from` by `to` once in text (which has room). */
static void replace_once(char *text, const char *from, const char *to)
{
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t tail = strlen(at + strlen(from));
    memmove(at + strlen(to), at + strlen(from), tail + 1);
    memcpy(at, to, strlen(to));
}

static void document_refuses_half_a_request(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", T0 + HOUR);
    assert_int_equal(asyncz_task_request_run(t, T0), 0);
    char *json = to_json(t);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", json);
    replace_once(buf, "\"resume_next_run_time\"", "\"resume_next_run_tim_\"");
    asyncz_task *back = NULL;
    asyncz_doc_error err;
    assert_int_equal(asyncz_task_from_json(&back, buf, strlen(buf), &err), ASYNCZ_EPARSE);
    free(json);
    asyncz_task_free(t);
}

static void document_refuses_an_inconsistent_next_run_time(void **state)
{
    (void)state;
    asyncz_task *t = plain_task("a", T0 + HOUR);
    assert_int_equal(asyncz_task_request_run(t, T0), 0);
    char *json = to_json(t);
    char next[64], later[64];
    assert_true(asyncz_time_format(next, sizeof next, T0, asyncz_zone_utc()) > 0);
    assert_true(asyncz_time_format(later, sizeof later, T0 + 5 * SEC, asyncz_zone_utc()) > 0);
    char from[96], to[96], buf[4096];
    snprintf(from, sizeof from, "\"next_run_time\":\"%s\"", next);
    snprintf(to, sizeof to, "\"next_run_time\":\"%s\"", later);
    snprintf(buf, sizeof buf, "%s", json);
    replace_once(buf, from, to);
    asyncz_task *back = NULL;
    asyncz_doc_error err;
    assert_int_equal(asyncz_task_from_json(&back, buf, strlen(buf), &err), ASYNCZ_EINVAL);
    assert_string_equal(err.path, "next_run_time");
    free(json);
    asyncz_task_free(t);
}

/* ---- a scheduler that claims a requested run -------------------------------------------------------- */

typedef struct fixture {
    vclock clock;
    recorder rec;
    asyncz_scheduler *s;
    asyncz_store *store; /* owned by the scheduler; the test writes to it as the asyncz tool would */
} fixture;

static fixture *fx_new(void)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->clock.now = T0;
    recorder_init(&f->rec);
    f->s = harness_scheduler_new(&f->clock, &f->rec, NULL);
    /* "pending": a run that goes on until the test completes it (f->rec.pending). */
    assert_int_equal(asyncz_scheduler_register(f->s, "pending", fn_pending, &f->rec), 0);
    assert_int_equal(asyncz_store_memory_new(&f->store), 0);
    assert_int_equal(asyncz_scheduler_add_store(f->s, "default", f->store), 0);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), 0);
    return f;
}

static void fx_free(fixture *f)
{
    asyncz_scheduler_free(f->s);
    free(f);
}

static void dispatch_at(fixture *f, asyncz_time_t t)
{
    harness_dispatch_at(f->s, &f->clock, t);
}

/* Add a task calling "count" (trigger reference consumed); grace 1 s unless unlimited. */
static void add(fixture *f, const char *id, asyncz_trigger *trig, bool coalesce, bool paused)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, SEC), 0);
    assert_int_equal(asyncz_task_set_coalesce(t, coalesce), 0);
    if (paused)
        assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
}

/* What `asyncz run ID` does: read the stored task, request a run at `when`, write it back. */
static void request_run(fixture *f, const char *id, asyncz_time_t when)
{
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(f->store)->ops;
    asyncz_task *t = NULL;
    assert_int_equal(ops->lookup(f->store, id, &t), 0);
    asyncz_task *copy = NULL;
    assert_int_equal(asyncz_task_copy(&copy, t), 0);
    assert_int_equal(asyncz_task_request_run(copy, when), 0);
    assert_int_equal(ops->update(f->store, copy), 0);
    asyncz_task_free(copy);
    asyncz_task_free(t);
}

static asyncz_task *stored(fixture *f, const char *id)
{
    asyncz_task *t = NULL;
    assert_int_equal(ASYNCZ_STORE_BASE(f->store)->ops->lookup(f->store, id, &t), 0);
    return t;
}

static void assert_stored(fixture *f, const char *id, asyncz_time_t next, bool paused)
{
    asyncz_task *t = stored(f, id);
    assert_int_equal(asyncz_task_next_run_time(t), next);
    assert_int_equal(asyncz_task_paused(t), paused);
    assert_int_equal(asyncz_task_run_requested(t), ASYNCZ_TIME_NONE);
    asyncz_task_free(t);
}

static void requested_run_runs_once_and_keeps_the_schedule(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "a", interval(HOUR, T0 + HOUR), false, false);
    request_run(f, "a", T0 + 10 * SEC);
    dispatch_at(f, T0 + 10 * SEC);
    assert_int_equal(call_count(&f->rec), 1);
    assert_int_equal(f->rec.calls[0], T0 + 10 * SEC);
    assert_stored(f, "a", T0 + HOUR, false);
    dispatch_at(f, T0 + HOUR);
    assert_int_equal(call_count(&f->rec), 2);
    assert_int_equal(f->rec.calls[1], T0 + HOUR);
    fx_free(f);
}

static void requested_run_is_never_missed(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "a", interval(HOUR, T0 + HOUR), false, false);
    request_run(f, "a", T0 + 10 * SEC);
    dispatch_at(f, T0 + 40 * SEC); /* 30 s late, grace 1 s */
    assert_int_equal(call_count(&f->rec), 1);
    assert_int_equal(f->rec.calls[0], T0 + 10 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 0);
    fx_free(f);
}

static void requested_run_of_a_paused_task_leaves_it_paused(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "p", interval(HOUR, T0 + HOUR), false, true);
    request_run(f, "p", T0 + 5 * SEC);
    dispatch_at(f, T0 + 5 * SEC);
    assert_int_equal(call_count(&f->rec), 1);
    assert_stored(f, "p", ASYNCZ_TIME_NONE, true);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 0);
    fx_free(f);
}

/* Pausing or resuming a task with a queued run changes its schedule and keeps the request: the run still
 * happens once, and the stored document stays valid (it is read back here from the store's copy). */
static void pause_keeps_a_queued_run(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "a", interval(HOUR, T0 + HOUR), false, false);
    request_run(f, "a", T0 + 10 * SEC);
    assert_int_equal(asyncz_scheduler_pause_task(f->s, "a", NULL), 0);
    asyncz_task *t = stored(f, "a");
    assert_true(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_run_requested(t), T0 + 10 * SEC);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 10 * SEC);
    char *doc = NULL;
    assert_int_equal(asyncz_task_to_json(t, &doc, NULL), 0);
    asyncz_task *back = NULL;
    asyncz_doc_error err;
    assert_int_equal(asyncz_task_from_json(&back, doc, strlen(doc), &err), 0);
    assert_true(asyncz_task_paused(back));
    free(doc);
    asyncz_task_free(back);
    asyncz_task_free(t);
    dispatch_at(f, T0 + 10 * SEC);
    assert_int_equal(call_count(&f->rec), 1);
    assert_stored(f, "a", ASYNCZ_TIME_NONE, true);
    fx_free(f);
}

static void resume_keeps_a_queued_run(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "p", interval(HOUR, T0 + HOUR), false, true);
    request_run(f, "p", T0 + 10 * SEC);
    assert_int_equal(asyncz_scheduler_resume_task(f->s, "p", NULL), 0);
    asyncz_task *t = stored(f, "p");
    assert_false(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_run_requested(t), T0 + 10 * SEC);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 10 * SEC);
    asyncz_task_free(t);
    dispatch_at(f, T0 + 10 * SEC);
    assert_int_equal(call_count(&f->rec), 1);
    assert_stored(f, "p", T0 + HOUR, false);
    fx_free(f);
}

static void requested_run_of_a_one_shot_keeps_its_date(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "once", at(T0 + HOUR), false, false);
    request_run(f, "once", T0 + SEC);
    dispatch_at(f, T0 + SEC);
    assert_int_equal(call_count(&f->rec), 1);
    assert_stored(f, "once", T0 + HOUR, false);
    dispatch_at(f, T0 + HOUR);
    assert_int_equal(call_count(&f->rec), 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 1);
    fx_free(f);
}

/* A request while scheduled runs are due too: each runs, in time order, and only the scheduled ones can be
 * missed (grace 1 s: T0+10 is, T0+20 is not, the request at T0+15 never is). */
static void requested_run_beside_due_runs(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "a", interval(10 * SEC, T0 + 10 * SEC), false, false);
    request_run(f, "a", T0 + 15 * SEC);
    dispatch_at(f, T0 + 20 * SEC + SEC / 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 1);
    assert_int_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_MISSED, 0)->scheduled, T0 + 10 * SEC);
    assert_int_equal(call_count(&f->rec), 2);
    assert_int_equal(f->rec.calls[0], T0 + 15 * SEC);
    assert_int_equal(f->rec.calls[1], T0 + 20 * SEC);
    assert_stored(f, "a", T0 + 30 * SEC, false);
    fx_free(f);
}

/* Coalescing folds the due scheduled runs into one; the requested run is one more, never folded in. */
static void requested_run_beside_coalesced_runs(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add(f, "a", interval(10 * SEC, T0 + 10 * SEC), true, false);
    request_run(f, "a", T0 + 15 * SEC);
    dispatch_at(f, T0 + 20 * SEC + SEC / 2);
    assert_int_equal(call_count(&f->rec), 2);
    assert_int_equal(f->rec.calls[0], T0 + 15 * SEC);
    assert_int_equal(f->rec.calls[1], T0 + 20 * SEC);
    assert_stored(f, "a", T0 + 30 * SEC, false);
    fx_free(f);
}

/* A task (max_instances 1) whose run goes on until the test completes it, every hour from T0 + 1 s. */
static void add_long_running(fixture *f, const char *id)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "pending"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    asyncz_trigger *trig = interval(HOUR, T0 + SEC);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, SEC), 0);
    assert_int_equal(asyncz_task_set_max_instances(t, 1), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
}

/* A run requested while the task already runs max_instances times (1) is not dropped: it waits, kept in
 * the task's record (so a scheduler started meanwhile would find it), and runs once when the running
 * instance has finished; the task then goes on from its schedule. */
static void requested_run_waits_for_a_running_instance(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add_long_running(f, "long");
    dispatch_at(f, T0 + SEC);
    assert_int_equal(f->rec.n_pending, 1);
    request_run(f, "long", T0 + 2 * SEC);
    for (asyncz_time_t t = T0 + 2 * SEC; t <= T0 + 30 * SEC; t += 3 * SEC / 2) {
        dispatch_at(f, t);
        assert_int_equal(f->rec.n_pending, 1);
        asyncz_task *waiting = stored(f, "long");
        assert_true(asyncz_task_run_requested(waiting) != ASYNCZ_TIME_NONE);
        assert_true(asyncz_task_next_run_time(waiting) > t); /* due again later, not at once */
        assert_false(asyncz_task_paused(waiting));
        asyncz_task_free(waiting);
    }
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MAX_INSTANCES), 0);
    asyncz_run_complete(f->rec.pending[0], ASYNCZ_RUN_DONE);
    dispatch_at(f, T0 + 32 * SEC);
    assert_int_equal(f->rec.n_pending, 2);
    assert_stored(f, "long", T0 + HOUR + SEC, false);
    asyncz_run_complete(f->rec.pending[1], ASYNCZ_RUN_DONE);
    dispatch_at(f, T0 + 40 * SEC);
    dispatch_at(f, T0 + 50 * SEC);
    assert_int_equal(f->rec.n_pending, 2); /* once */
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 2);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MISSED), 0);
    fx_free(f);
}

/* The scheduled runs that fall due while the requested one waits are refused for max_instances as
 * always; the request still runs once afterwards. */
static void requested_run_waits_beside_refused_scheduled_runs(void **state)
{
    (void)state;
    fixture *f = fx_new();
    add_long_running(f, "long");
    dispatch_at(f, T0 + SEC);
    request_run(f, "long", T0 + 2 * SEC);
    dispatch_at(f, T0 + 2 * SEC);
    dispatch_at(f, T0 + HOUR + SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_MAX_INSTANCES), 1);
    assert_int_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_MAX_INSTANCES, 0)->first_run_time, T0 + HOUR + SEC);
    assert_int_equal(f->rec.n_pending, 1);
    asyncz_run_complete(f->rec.pending[0], ASYNCZ_RUN_DONE);
    dispatch_at(f, T0 + HOUR + 3 * SEC);
    assert_int_equal(f->rec.n_pending, 2);
    assert_stored(f, "long", T0 + 2 * HOUR + SEC, false);
    asyncz_run_complete(f->rec.pending[1], ASYNCZ_RUN_DONE);
    dispatch_at(f, T0 + HOUR + 10 * SEC);
    assert_int_equal(f->rec.n_pending, 2);
    fx_free(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_makes_the_task_due),
        cmocka_unit_test(request_keeps_an_earlier_next_run_time),
        cmocka_unit_test(request_on_a_paused_task),
        cmocka_unit_test(setting_the_next_run_time_drops_the_request),
        cmocka_unit_test(request_refuses_bad_arguments),
        cmocka_unit_test(document_round_trip),
        cmocka_unit_test(document_refuses_half_a_request),
        cmocka_unit_test(document_refuses_an_inconsistent_next_run_time),
        cmocka_unit_test(requested_run_runs_once_and_keeps_the_schedule),
        cmocka_unit_test(requested_run_is_never_missed),
        cmocka_unit_test(requested_run_of_a_paused_task_leaves_it_paused),
        cmocka_unit_test(pause_keeps_a_queued_run),
        cmocka_unit_test(resume_keeps_a_queued_run),
        cmocka_unit_test(requested_run_of_a_one_shot_keeps_its_date),
        cmocka_unit_test(requested_run_beside_due_runs),
        cmocka_unit_test(requested_run_beside_coalesced_runs),
        cmocka_unit_test(requested_run_waits_for_a_running_instance),
        cmocka_unit_test(requested_run_waits_beside_refused_scheduled_runs),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
