/* The scheduler's run history recording (src/core/sched_history.c) on a virtual clock: a record at
 * submission (running), its completion in the next round, each outcome kind, sources, the settings per
 * store and per task, the buffer's bound, and the API through the scheduler. The default memory store keeps
 * the history. */
#include "core/run_internal.h"
#include "core/scheduler_internal.h"
#include "sched_harness.h"

#include <unistd.h>

#define T0 INT64_C(1790000000000000)
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
    assert_int_equal(asyncz_scheduler_register(f->s, "pending", fn_pending, &f->rec), 0);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), 0);
    return f;
}

static void fx_free(fixture *f)
{
    asyncz_scheduler_free(f->s);
    free(f);
}

static asyncz_task *task(const char *id, const char *func, asyncz_trigger *trig, int64_t grace, uint32_t max)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, func), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, grace), 0);
    assert_int_equal(asyncz_task_set_max_instances(t, max), 0);
    return t;
}

static void add(fixture *f, asyncz_task *t)
{
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
}

static asyncz_time_t process(fixture *f, asyncz_time_t now)
{
    f->clock.now = now;
    asyncz_time_t next;
    assert_int_equal(asyncz_scheduler_process(f->s, now, &next), 0);
    return next;
}

/* The records of the default store, newest first (copies). */
typedef struct runs {
    asyncz_run_record *items[64];
    size_t n;
} runs;

static int keep(const asyncz_run_record *rec, void *ud)
{
    runs *r = ud;
    assert_true(r->n < 64);
    assert_int_equal(asyncz_run_record_copy(&r->items[r->n++], rec), 0);
    return 0;
}

static void runs_free(runs *r)
{
    for (size_t i = 0; i < r->n; i++)
        asyncz_run_record_free(r->items[i]);
    r->n = 0;
}

static void list(fixture *f, runs *r)
{
    runs_free(r);
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, NULL, keep, r, NULL), 0);
}

/* A run is recorded as running at submission (before it starts) and completed at the end of the round it
 * finished in, under the same id as the function and the events saw it. */
static void succeeded_run_is_recorded_and_completed(void **state)
{
    fixture *f = fx_new();
    add(f, task("a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    runs r = {0};
    add(f, task("p", "pending", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    assert_true(process(f, T0 + 10 * SEC) == T0 + 20 * SEC); /* recording moves no wake-up */
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.task_id = "p"; /* a pending run: running until it completes */
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0]->outcome, ASYNCZ_RUN_RUNNING);
    runs_free(&r);
    q.task_id = "a";
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1); /* inline: submitted and completed in the same round */
    assert_string_equal(r.items[0]->task_id, "a");
    assert_string_equal(r.items[0]->store_alias, "default");
    assert_int_equal(r.items[0]->source, ASYNCZ_RUN_SOURCE_SCHEDULE);
    assert_true(r.items[0]->scheduled_time == T0 + 10 * SEC);
    assert_true(r.items[0]->submitted_at == T0 + 10 * SEC);
    assert_non_null(r.items[0]->scheduler);
    assert_true(r.items[0]->pid == (int64_t)getpid());
    assert_int_equal(r.items[0]->outcome, ASYNCZ_RUN_SUCCEEDED);
    assert_true(r.items[0]->submitted_at == T0 + 10 * SEC);
    assert_true(r.items[0]->started_at == T0 + 10 * SEC);
    assert_true(r.items[0]->finished_at == T0 + 10 * SEC);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_scheduler_get_run(f->s, NULL, r.items[0]->run_id, &got), 0);
    assert_int_equal(got->outcome, ASYNCZ_RUN_SUCCEEDED);
    asyncz_run_record_free(got);
    /* The pending run completes off the loop: its record is completed by the round that drains it. */
    pthread_mutex_lock(&f->rec.lock);
    asyncz_run *pending = f->rec.pending[0];
    pthread_mutex_unlock(&f->rec.lock);
    f->clock.now = T0 + 12 * SEC;
    asyncz_run_complete(pending, ASYNCZ_RUN_DONE);
    process(f, T0 + 15 * SEC);
    runs_free(&r);
    q.task_id = "p";
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0]->outcome, ASYNCZ_RUN_SUCCEEDED);
    assert_true(r.items[0]->finished_at == T0 + 12 * SEC); /* when it completed */
    runs_free(&r);
    fx_free(f);
}

static void failed_run_keeps_its_error(void **state)
{
    fixture *f = fx_new();
    add(f, task("f", "fail", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    process(f, T0 + 10 * SEC);
    process(f, T0 + 11 * SEC);
    runs r = {0};
    list(f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0]->outcome, ASYNCZ_RUN_FAILED);
    assert_int_equal(r.items[0]->error_code, -77);
    assert_non_null(strstr(r.items[0]->error_message, "boom"));
    runs_free(&r);
    fx_free(f);
}

/* Missed (past the grace time) and skipped (max_instances) occurrences are recorded once, finished. */
static void missed_and_skipped_are_recorded(void **state)
{
    fixture *f = fx_new();
    add(f, task("late", "count", interval(10 * SEC, T0), SEC, 1));
    add(f, task("busy", "pending", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    process(f, T0 + 10 * SEC); /* late: on time; busy: starts and stays pending */
    process(f, T0 + 25 * SEC); /* late: 20 s due 5 s ago, missed; busy: 20 s skipped */
    process(f, T0 + 26 * SEC);
    runs r = {0};
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_MISSED);
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.items[0]->task_id, "late");
    assert_true(r.items[0]->scheduled_time == T0 + 20 * SEC);
    rec_event *ev = nth_event(&f->rec, ASYNCZ_EVENT_TASK_MISSED, 0);
    assert_non_null(ev);
    runs_free(&r);
    q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_SKIPPED);
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.items[0]->task_id, "busy");
    runs_free(&r);
    q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_RUNNING);
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1); /* busy's first run, still pending */
    assert_string_equal(r.items[0]->task_id, "busy");
    runs_free(&r);
    asyncz_run_complete(f->rec.pending[0], ASYNCZ_RUN_DONE); /* a pending run is its function's to finish */
    process(f, T0 + 27 * SEC);
    fx_free(f);
}

/* A run asked for through the scheduler is a request. */
static void requested_run_has_its_source(void **state)
{
    fixture *f = fx_new();
    add(f, task("r", "count", interval(3600 * SEC, T0 + 3600 * SEC), ASYNCZ_GRACE_UNLIMITED, 1));
    assert_int_equal(asyncz_scheduler_run_task(f->s, "r", NULL), 0);
    process(f, T0 + SEC);
    process(f, T0 + 2 * SEC);
    runs r = {0};
    list(f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0]->source, ASYNCZ_RUN_SOURCE_REQUEST);
    assert_int_equal(r.items[0]->outcome, ASYNCZ_RUN_SUCCEEDED);
    runs_free(&r);
    fx_free(f);
}

/* Recording can be turned off per store and per task. */
static void history_off_per_store_and_task(void **state)
{
    fixture *f = fx_new();
    asyncz_task *quiet = task("quiet", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1);
    assert_int_equal(asyncz_task_set_history(quiet, false), 0);
    assert_false(asyncz_task_history(quiet));
    add(f, quiet);
    add(f, task("loud", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    process(f, T0 + 10 * SEC);
    process(f, T0 + 11 * SEC);
    runs r = {0};
    list(f, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.items[0]->task_id, "loud");
    assert_int_equal(asyncz_scheduler_set_history(f->s, NULL, false, NULL), 0);
    process(f, T0 + 20 * SEC);
    process(f, T0 + 21 * SEC);
    list(f, &r);
    assert_int_equal(r.n, 1); /* nothing new */
    assert_int_equal(asyncz_scheduler_set_history(f->s, "nope", true, NULL), ASYNCZ_ENOTFOUND);
    runs_free(&r);
    fx_free(f);
}

/* The buffer of a store is bounded: beyond AZ_HIST_BUF_MAX entries they are dropped and counted. */
static void buffer_is_bounded(void **state)
{
    az_store_slot slot;
    memset(&slot, 0, sizeof slot);
    slot.history = true;
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "f"), 0);
    assert_int_equal(asyncz_task_set_id(t, "t"), 0);
    for (size_t i = 0; i < AZ_HIST_BUF_MAX + 5; i++)
        az_hist_not_run(&slot, t, T0, T0, ASYNCZ_RUN_MISSED, 0, "late", NULL);
    assert_int_equal(slot.hist.n, AZ_HIST_BUF_MAX);
    assert_int_equal(slot.hist.dropped, 5);
    az_hist_buf_free(&slot.hist);
    asyncz_task_free(t);
}

static void api_errors(void **state)
{
    fixture *f = fx_new();
    runs r = {0};
    assert_int_equal(asyncz_scheduler_list_runs(f->s, "nope", NULL, keep, &r, NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, NULL, NULL, NULL, NULL), ASYNCZ_EINVAL);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_scheduler_get_run(f->s, NULL, "bad", &got), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_scheduler_get_run(f->s, NULL, "0191a2b3-c4d5-7000-8000-000000000001", &got),
                     ASYNCZ_ENOTFOUND);
    fx_free(f);
}

/* The history flag survives the task document. */
static void task_history_flag_in_document(void **state)
{
    asyncz_task *t = task("d", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1);
    assert_true(asyncz_task_history(t));
    char *doc = NULL;
    assert_int_equal(asyncz_task_to_json(t, &doc, NULL), 0);
    assert_null(strstr(doc, "\"history\""));
    free(doc);
    assert_int_equal(asyncz_task_set_history(t, false), 0);
    assert_int_equal(asyncz_task_to_json(t, &doc, NULL), 0);
    assert_non_null(strstr(doc, "\"history\""));
    asyncz_task *back = NULL;
    assert_int_equal(asyncz_task_from_json(&back, doc, strlen(doc), NULL), 0);
    assert_false(asyncz_task_history(back));
    free(doc);
    asyncz_task_free(back);
    asyncz_task_free(t);
}

/* The audit trail of the scheduler's task API: off by default on the memory store, then one entry per
 * change, by this thread's actor. */
typedef struct audit_seen {
    char actions[512];
    char actor[256];
} audit_seen;

static int keep_audit(const asyncz_audit_entry *e, void *ud)
{
    audit_seen *a = ud;
    size_t used = strlen(a->actions);
    snprintf(a->actions + used, sizeof a->actions - used, "%s%s:%s", used ? "," : "", e->task_id,
             asyncz_audit_action_name(e->action));
    snprintf(a->actor, sizeof a->actor, "%s", e->actor);
    return 0;
}

static const char *audit_of(fixture *f, audit_seen *a)
{
    memset(a, 0, sizeof *a);
    assert_int_equal(asyncz_scheduler_list_audit(f->s, NULL, NULL, keep_audit, a, NULL), 0);
    return a->actions;
}

static void task_api_changes_are_audited(void **state)
{
    fixture *f = fx_new();
    audit_seen a;
    add(f, task("quiet", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    assert_string_equal(audit_of(f, &a), ""); /* off by default on a memory store */
    assert_int_equal(asyncz_scheduler_set_audit(f->s, NULL, true), 0);
    assert_int_equal(asyncz_set_actor("operator"), 0);
    add(f, task("a", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    assert_int_equal(asyncz_scheduler_pause_task(f->s, "a", NULL), 0);
    assert_int_equal(asyncz_scheduler_resume_task(f->s, "a", NULL), 0);
    asyncz_trigger *every20 = interval(20 * SEC, T0);
    assert_int_equal(asyncz_scheduler_reschedule_task(f->s, "a", NULL, every20), 0);
    asyncz_trigger_unref(every20);
    assert_int_equal(asyncz_scheduler_run_task(f->s, "a", NULL), 0);
    assert_int_equal(asyncz_scheduler_remove_task(f->s, "a", NULL), 0);
    assert_int_equal(asyncz_scheduler_remove_task(f->s, "a", NULL), ASYNCZ_ENOTFOUND); /* not recorded */
    assert_string_equal(audit_of(f, &a), "a:remove,a:run,a:update,a:resume,a:pause,a:add");
    assert_string_equal(a.actor, "operator");
    assert_int_equal(asyncz_set_actor(NULL), 0);
    assert_int_equal(asyncz_scheduler_set_audit(f->s, NULL, false), 0);
    add(f, task("b", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    assert_string_equal(audit_of(f, &a), "a:remove,a:run,a:update,a:resume,a:pause,a:add");
    assert_int_equal(asyncz_scheduler_set_audit(f->s, "nope", true), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_scheduler_list_audit(f->s, "nope", NULL, keep_audit, &a, NULL), ASYNCZ_ENOTFOUND);
    fx_free(f);
}

/* A function's output lines go with its record: the newest run_output_max bytes, marked when cut. */
static int fn_chatty(asyncz_run *run, void *ud)
{
    (void)ud;
    assert_int_equal(asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, "first line\n"), 0);
    assert_int_equal(asyncz_run_output(run, ASYNCZ_OUTPUT_STDERR, "bad \xff byte"), 0);
    assert_int_equal(asyncz_run_output(run, ASYNCZ_OUTPUT_NOTE, "last"), 0);
    assert_int_equal(asyncz_run_output(run, 9, "no such stream"), ASYNCZ_EINVAL);
    return ASYNCZ_RUN_DONE;
}

static void output_goes_with_the_record(void **state)
{
    fixture *f = fx_new();
    assert_int_equal(asyncz_scheduler_register(f->s, "chatty", fn_chatty, NULL), 0);
    add(f, task("c", "chatty", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1));
    process(f, T0 + 10 * SEC);
    runs r = {0};
    list(f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0]->n_output, 0); /* a listing without output */
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_scheduler_get_run(f->s, NULL, r.items[0]->run_id, &got), 0);
    assert_int_equal(got->n_output, 3);
    assert_string_equal(got->output[0].text, "first line");
    assert_int_equal(got->output[0].stream, ASYNCZ_OUTPUT_STDOUT);
    assert_string_equal(got->output[1].text, "bad \xef\xbf\xbd byte");
    assert_int_equal(got->output[1].stream, ASYNCZ_OUTPUT_STDERR);
    assert_true(got->output[2].time == T0 + 10 * SEC);
    assert_false(got->output_truncated);
    asyncz_run_record_free(got);
    runs_free(&r);
    fx_free(f);
}

static void output_is_bounded(void **state)
{
    vclock clock = {.now = T0};
    recorder rec;
    recorder_init(&rec);
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.run_output_max = 12;
    asyncz_scheduler *s = harness_scheduler_new(&clock, &rec, &o);
    assert_int_equal(asyncz_scheduler_register(s, "chatty", fn_chatty, NULL), 0);
    assert_int_equal(asyncz_scheduler_start_embedded(s, 0), 0);
    asyncz_task *t = task("c", "chatty", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    clock.now = T0 + 10 * SEC;
    asyncz_time_t next;
    assert_int_equal(asyncz_scheduler_process(s, clock.now, &next), 0);
    fixture f = {.s = s};
    runs r = {0};
    list(&f, &r);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_scheduler_get_run(s, NULL, r.items[0]->run_id, &got), 0);
    /* 12 bytes: "bad \xef\xbf\xbd byte" (12) pushed "first line" out, and "last" pushed it out. */
    assert_int_equal(got->n_output, 1);
    assert_string_equal(got->output[0].text, "last");
    assert_true(got->output_truncated);
    asyncz_run_record_free(got);
    runs_free(&r);
    asyncz_scheduler_free(s);
    /* Over the most a run keeps: refused. */
    o.run_output_max = ASYNCZ_RUN_OUTPUT_MAX + 1;
    assert_int_equal(asyncz_scheduler_new(&s, &o), ASYNCZ_EINVAL);
}

/* The record of the only run of a task (a copy with its output). */
static asyncz_run_record *run_of(fixture *f, const char *task_id)
{
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.task_id = task_id;
    runs r = {0};
    assert_int_equal(asyncz_scheduler_list_runs(f->s, NULL, &q, keep, &r, NULL), 0);
    assert_int_equal(r.n, 1);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_scheduler_get_run(f->s, NULL, r.items[0]->run_id, &got), 0);
    runs_free(&r);
    return got;
}

/* Prints a line, then leaves the run pending (the test completes it). */
static int fn_live(asyncz_run *run, void *ud)
{
    assert_int_equal(asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, "starting"), 0);
    return fn_pending(run, ud);
}

/* A running run's output is in its record before it ends: the round after a line was written writes the
 * record again (still running, with the lines so far), at most once a second, and asks to come back for
 * lines that wait for their turn; the completion overwrites it. A run that prints nothing is not written
 * again. */
static void running_output_is_published(void **state)
{
    fixture *f = fx_new();
    assert_int_equal(asyncz_scheduler_register(f->s, "live", fn_live, &f->rec), 0);
    add(f, task("l", "live", at(T0 + 10 * SEC), ASYNCZ_GRACE_UNLIMITED, 1));
    add(f, task("p", "pending", at(T0 + 10 * SEC), ASYNCZ_GRACE_UNLIMITED, 1));
    assert_true(process(f, T0 + 10 * SEC) == ASYNCZ_TIME_NONE); /* the line was published at once */
    asyncz_run_record *got = run_of(f, "l");
    assert_int_equal(got->outcome, ASYNCZ_RUN_RUNNING);
    assert_int_equal(got->n_output, 1);
    assert_string_equal(got->output[0].text, "starting");
    assert_true(got->started_at == T0 + 10 * SEC);
    assert_true(got->finished_at == ASYNCZ_TIME_NONE);
    asyncz_run_record_free(got);
    got = run_of(f, "p");
    assert_int_equal(got->outcome, ASYNCZ_RUN_RUNNING);
    assert_int_equal(got->n_output, 0);
    asyncz_run_record_free(got);

    pthread_mutex_lock(&f->rec.lock);
    assert_int_equal(f->rec.n_pending, 2);
    asyncz_run *live = f->rec.pending[0], *quiet = f->rec.pending[1];
    if (strcmp(asyncz_run_task_id(live), "l") != 0) {
        asyncz_run *x = live;
        live = quiet;
        quiet = x;
    }
    pthread_mutex_unlock(&f->rec.lock);
    f->clock.now = T0 + 10 * SEC + SEC / 2;
    assert_int_equal(asyncz_run_output(live, ASYNCZ_OUTPUT_STDERR, "half way"), 0);
    /* Half a second after the last write: not yet, but the round says when. */
    assert_true(process(f, T0 + 10 * SEC + SEC / 2) == T0 + 11 * SEC);
    got = run_of(f, "l");
    assert_int_equal(got->n_output, 1);
    asyncz_run_record_free(got);
    assert_true(process(f, T0 + 11 * SEC) == ASYNCZ_TIME_NONE);
    got = run_of(f, "l");
    assert_int_equal(got->outcome, ASYNCZ_RUN_RUNNING);
    assert_int_equal(got->n_output, 2);
    assert_string_equal(got->output[1].text, "half way");
    assert_int_equal(got->output[1].stream, ASYNCZ_OUTPUT_STDERR);
    asyncz_run_record_free(got);
    /* Nothing new: nothing written, no wake-up asked for. */
    assert_true(process(f, T0 + 13 * SEC) == ASYNCZ_TIME_NONE);

    f->clock.now = T0 + 14 * SEC;
    assert_int_equal(asyncz_run_output(live, ASYNCZ_OUTPUT_STDOUT, "done"), 0);
    asyncz_run_complete(live, ASYNCZ_RUN_DONE);
    asyncz_run_complete(quiet, ASYNCZ_RUN_DONE);
    assert_true(process(f, T0 + 15 * SEC) == ASYNCZ_TIME_NONE);
    got = run_of(f, "l");
    assert_int_equal(got->outcome, ASYNCZ_RUN_SUCCEEDED);
    assert_int_equal(got->n_output, 3);
    assert_string_equal(got->output[2].text, "done");
    assert_true(got->finished_at == T0 + 14 * SEC);
    asyncz_run_record_free(got);
    fx_free(f);
}

/* The same through a thread pool and the scheduler's own loop thread: the function writes a line and waits
 * until the test has seen it in the store, then writes another and ends. */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} gate;

static int fn_wait_gate(asyncz_run *run, void *ud)
{
    gate *g = ud;
    asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, "before");
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, "after");
    return ASYNCZ_RUN_DONE;
}

/* The record of the one run in s's default store, once it satisfies want (polled for up to 10 s). */
static asyncz_run_record *wait_record(asyncz_scheduler *s, bool (*want)(const asyncz_run_record *))
{
    for (int i = 0; i < 1000; i++) {
        runs r = {0};
        assert_int_equal(asyncz_scheduler_list_runs(s, NULL, NULL, keep, &r, NULL), 0);
        asyncz_run_record *got = NULL;
        if (r.n == 1)
            assert_int_equal(asyncz_scheduler_get_run(s, NULL, r.items[0]->run_id, &got), 0);
        runs_free(&r);
        if (got && want(got))
            return got;
        asyncz_run_record_free(got);
        usleep(10 * 1000);
    }
    fail_msg("the run record never got there");
    return NULL;
}

static bool running_with_a_line(const asyncz_run_record *r)
{
    return r->outcome == ASYNCZ_RUN_RUNNING && r->n_output == 1;
}

static bool ended(const asyncz_run_record *r)
{
    return r->outcome != ASYNCZ_RUN_RUNNING;
}

static void threadpool_output_is_published_while_it_runs(void **state)
{
    gate g = {.open = false};
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cond, NULL);
    asyncz_scheduler *s = NULL;
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    asyncz_executor *pool = NULL;
    assert_int_equal(asyncz_executor_threadpool_new(&pool, 2), 0);
    assert_int_equal(asyncz_scheduler_add_executor(s, "default", pool), 0);
    assert_int_equal(asyncz_scheduler_register(s, "gate", fn_wait_gate, &g), 0);
    assert_int_equal(asyncz_scheduler_start(s, 0), 0);
    asyncz_task *t = task("g", "gate", at(asyncz_now()), ASYNCZ_GRACE_UNLIMITED, 1);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    asyncz_run_record *got = wait_record(s, running_with_a_line);
    assert_string_equal(got->output[0].text, "before");
    asyncz_run_record_free(got);
    pthread_mutex_lock(&g.lock);
    g.open = true;
    pthread_cond_signal(&g.cond);
    pthread_mutex_unlock(&g.lock);
    got = wait_record(s, ended);
    assert_int_equal(got->outcome, ASYNCZ_RUN_SUCCEEDED);
    assert_int_equal(got->n_output, 2);
    assert_string_equal(got->output[1].text, "after");
    asyncz_run_record_free(got);
    asyncz_scheduler_shutdown(s, true);
    asyncz_scheduler_free(s);
    pthread_cond_destroy(&g.cond);
    pthread_mutex_destroy(&g.lock);
}

/* A store that cannot take run records for a while (unreachable): they wait, in order, and are written
 * once it can; the runs themselves go on meanwhile. */
static bool history_down;
static int (*real_history_put)(asyncz_store *, const asyncz_run_record *, size_t);

static int flaky_history_put(asyncz_store *st, const asyncz_run_record *recs, size_t n)
{
    if (history_down) {
        asyncz_store_set_errmsg("connection refused (test)");
        return ASYNCZ_ESTORE;
    }
    return real_history_put(st, recs, n);
}

static void unreachable_store_delays_records(void **state)
{
    fixture *f = fx_new();
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    static asyncz_store_ops flaky;
    flaky = *ASYNCZ_STORE_BASE(st)->ops;
    real_history_put = flaky.history_put;
    flaky.history_put = flaky_history_put;
    ASYNCZ_STORE_BASE(st)->ops = &flaky;
    assert_int_equal(asyncz_scheduler_add_store(f->s, "flaky", st), 0);
    asyncz_task *t = task("t", "count", interval(10 * SEC, T0), ASYNCZ_GRACE_UNLIMITED, 1);
    assert_int_equal(asyncz_task_set_store(t, "flaky"), 0);
    add(f, t);
    history_down = true;
    process(f, T0 + 10 * SEC);
    process(f, T0 + 20 * SEC);
    runs r = {0};
    assert_int_equal(asyncz_scheduler_list_runs(f->s, "flaky", NULL, keep, &r, NULL), 0);
    assert_int_equal(r.n, 0);                                               /* nothing written yet */
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_EXECUTED), 2); /* but both ran */
    history_down = false;
    process(f, T0 + 21 * SEC);
    assert_int_equal(asyncz_scheduler_list_runs(f->s, "flaky", NULL, keep, &r, NULL), 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.items[0]->outcome, ASYNCZ_RUN_SUCCEEDED);
    assert_true(r.items[0]->scheduled_time == T0 + 20 * SEC);
    assert_true(r.items[1]->scheduled_time == T0 + 10 * SEC);
    runs_free(&r);
    fx_free(f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(unreachable_store_delays_records),
    cmocka_unit_test(output_goes_with_the_record),
    cmocka_unit_test(output_is_bounded),
    cmocka_unit_test(running_output_is_published),
    cmocka_unit_test(threadpool_output_is_published_while_it_runs),
    cmocka_unit_test(task_api_changes_are_audited),
    cmocka_unit_test(succeeded_run_is_recorded_and_completed),
    cmocka_unit_test(failed_run_keeps_its_error),
    cmocka_unit_test(missed_and_skipped_are_recorded),
    cmocka_unit_test(requested_run_has_its_source),
    cmocka_unit_test(history_off_per_store_and_task),
    cmocka_unit_test(buffer_is_bounded),
    cmocka_unit_test(api_errors),
    cmocka_unit_test(task_history_flag_in_document),
};

AZ_TEST_MAIN(tests)
