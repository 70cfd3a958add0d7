/* The run history conformance suite: what every store keeping history must do by the contract of the
 * history ops (asyncz/sys/store.h, version 4) and asyncz/history.h, written once and run against each
 * backend through the store conformance list (store_conformance_list.h). A store without the history ops
 * skips these tests. Times are virtual (T0 and offsets); records are written through the op, read through
 * the public functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/history.h"
#include "store_conformance.h"
#include "util/ids.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define DAY (86400 * SEC)

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

/* A connected store of the backend under test, or a skipped test when it keeps no history. */
static asyncz_store *open_history_store(void)
{
    asyncz_store *st = NULL;
    assert_int_equal(az_store_factory(&st), 0);
    if (!az_store_has_history(ops(st))) {
        asyncz_store_free(st);
        skip();
    }
    assert_int_equal(asyncz_store_connect(st), 0);
    return st;
}

/* A fresh run id, later than every one made before in this process. */
static void new_run_id(char *out)
{
    assert_int_equal(az_run_id_generate(out), 0);
}

static asyncz_run_record record(const char *task, asyncz_run_outcome outcome, asyncz_time_t submitted,
                                const char *scheduler)
{
    asyncz_run_record r;
    asyncz_run_record_init(&r);
    new_run_id(r.run_id);
    r.task_id = task;
    r.task_name = "a task";
    r.store_alias = "default";
    r.scheduled_time = submitted - SEC;
    r.scheduler = scheduler;
    r.host = "host1";
    r.pid = 4242;
    r.fencing_token = 7;
    r.submitted_at = submitted;
    r.outcome = outcome;
    if (outcome != ASYNCZ_RUN_RUNNING) {
        r.started_at = submitted + 10;
        r.finished_at = submitted + 20;
    }
    return r;
}

static void put(asyncz_store *st, const asyncz_run_record *r)
{
    assert_int_equal(ops(st)->history_put(st, r, 1), 0);
}

/* Run ids of a listing joined by commas (their last 4 characters, for short messages) and counted. */
typedef struct listing {
    char ids[ASYNCZ_HISTORY_MAX_LIMIT][ASYNCZ_RUN_ID_SIZE];
    size_t n;
    size_t with_output;
} listing;

static int collect(const asyncz_run_record *rec, void *ud)
{
    listing *l = ud;
    memcpy(l->ids[l->n++], rec->run_id, ASYNCZ_RUN_ID_SIZE);
    if (rec->n_output)
        l->with_output++;
    return 0;
}

static listing *list(asyncz_store *st, const asyncz_history_query *q, char *cursor)
{
    static listing l;
    memset(&l, 0, sizeof l);
    assert_int_equal(asyncz_store_list_runs(st, q, collect, &l, cursor), 0);
    return &l;
}

void history_record_and_complete(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record r = record("t1", ASYNCZ_RUN_RUNNING, T0, "s1");
    put(st, &r);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_store_get_run(st, r.run_id, &got), 0);
    assert_string_equal(got->run_id, r.run_id);
    assert_int_equal(got->outcome, ASYNCZ_RUN_RUNNING);
    assert_string_equal(got->task_id, "t1");
    assert_string_equal(got->task_name, "a task");
    assert_string_equal(got->store_alias, "default");
    assert_string_equal(got->scheduler, "s1");
    assert_string_equal(got->host, "host1");
    assert_int_equal(got->pid, 4242);
    assert_int_equal(got->fencing_token, 7);
    assert_true(got->scheduled_time == T0 - SEC && got->submitted_at == T0);
    assert_true(got->finished_at == ASYNCZ_TIME_NONE);
    assert_int_equal(got->exit_status, -1);
    assert_null(got->error_message);
    asyncz_run_record_free(got);
    /* Completion: the same run id, written again, replaces the record (one record, not two). */
    r.outcome = ASYNCZ_RUN_SUCCEEDED;
    r.started_at = T0 + 5;
    r.finished_at = T0 + 9;
    r.result = "{\"rows\":3}";
    put(st, &r);
    assert_int_equal(asyncz_store_get_run(st, r.run_id, &got), 0);
    assert_int_equal(got->outcome, ASYNCZ_RUN_SUCCEEDED);
    assert_true(got->started_at == T0 + 5 && got->finished_at == T0 + 9);
    assert_string_equal(got->result, "{\"rows\":3}");
    asyncz_run_record_free(got);
    assert_int_equal(list(st, NULL, NULL)->n, 1);
    asyncz_store_free(st);
}

void history_get_missing(void **state)
{
    asyncz_store *st = open_history_store();
    char id[ASYNCZ_RUN_ID_SIZE];
    new_run_id(id);
    asyncz_run_record *got = (asyncz_run_record *)&got;
    assert_int_equal(asyncz_store_get_run(st, id, &got), ASYNCZ_ENOTFOUND);
    assert_null(got);
    assert_non_null(strstr(asyncz_store_errmsg(), id));
    assert_int_equal(asyncz_store_get_run(st, "nope", &got), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_get_run(st, NULL, &got), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

/* Two tasks, two schedulers, outcomes and times spread: each filter alone and together, newest first. */
void history_filters(void **state)
{
    asyncz_store *st = open_history_store();
    static const asyncz_run_outcome outcomes[] = {ASYNCZ_RUN_SUCCEEDED, ASYNCZ_RUN_FAILED, ASYNCZ_RUN_MISSED,
                                                  ASYNCZ_RUN_RUNNING};
    asyncz_run_record recs[16];
    for (int i = 0; i < 16; i++) {
        recs[i] = record(i % 2 ? "odd" : "even", outcomes[i % 4], T0 + i * SEC, i < 8 ? "s1" : "s2");
        put(st, &recs[i]);
    }
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    listing *l = list(st, &q, NULL);
    assert_int_equal(l->n, 16);
    for (int i = 0; i < 16; i++)
        assert_string_equal(l->ids[i], recs[15 - i].run_id); /* newest first */
    q.task_id = "odd";
    assert_int_equal(list(st, &q, NULL)->n, 8);
    assert_string_equal(list(st, &q, NULL)->ids[0], recs[15].run_id);
    q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_FAILED); /* odd and failed: i = 1, 5, 9, 13 */
    l = list(st, &q, NULL);
    assert_int_equal(l->n, 4);
    assert_string_equal(l->ids[0], recs[13].run_id);
    assert_string_equal(l->ids[3], recs[1].run_id);
    q.scheduler = "s2"; /* and recorded by s2: 9, 13 */
    assert_int_equal(list(st, &q, NULL)->n, 2);
    asyncz_history_query_init(&q);
    q.since = T0 + 4 * SEC;
    q.until = T0 + 10 * SEC; /* [4, 10) */
    l = list(st, &q, NULL);
    assert_int_equal(l->n, 6);
    assert_string_equal(l->ids[0], recs[9].run_id);
    assert_string_equal(l->ids[5], recs[4].run_id);
    q.outcomes = ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_SUCCEEDED) | ASYNCZ_RUN_OUTCOME_BIT(ASYNCZ_RUN_RUNNING);
    assert_int_equal(list(st, &q, NULL)->n, 3); /* 4, 7, 8 */
    asyncz_history_query_init(&q);
    q.task_id = "nobody";
    assert_int_equal(list(st, &q, NULL)->n, 0);
    q.task_id = NULL;
    q.scheduler = "s3";
    assert_int_equal(list(st, &q, NULL)->n, 0);
    asyncz_store_free(st);
}

/* Pages of 10 over 25 records, newest first, each page carrying on where the last stopped; records written
 * meanwhile (newer) do not shift the pages. */
void history_pagination(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record recs[25];
    for (int i = 0; i < 25; i++) {
        recs[i] = record("t", ASYNCZ_RUN_SUCCEEDED, T0 + i * SEC, "s1");
        put(st, &recs[i]);
    }
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.limit = 10;
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE];
    listing *l = list(st, &q, cursor);
    assert_int_equal(l->n, 10);
    assert_string_equal(l->ids[0], recs[24].run_id);
    assert_true(cursor[0] != '\0');
    asyncz_run_record newer = record("t", ASYNCZ_RUN_SUCCEEDED, T0 + 99 * SEC, "s1");
    put(st, &newer);
    char next[ASYNCZ_HISTORY_CURSOR_SIZE];
    q.cursor = cursor;
    l = list(st, &q, next);
    assert_int_equal(l->n, 10);
    assert_string_equal(l->ids[0], recs[14].run_id);
    assert_string_equal(l->ids[9], recs[5].run_id);
    q.cursor = next;
    l = list(st, &q, cursor);
    assert_int_equal(l->n, 5);
    assert_string_equal(l->ids[4], recs[0].run_id);
    assert_string_equal(cursor, ""); /* the last page */
    /* The same with a task filter. */
    q.task_id = "t";
    q.cursor = NULL;
    q.limit = 20;
    l = list(st, &q, cursor);
    assert_int_equal(l->n, 20);
    q.cursor = cursor;
    assert_int_equal(list(st, &q, cursor)->n, 6);
    /* Malformed queries. */
    q.cursor = "not a cursor";
    assert_int_equal(asyncz_store_list_runs(st, &q, collect, list(st, NULL, NULL), NULL), ASYNCZ_EINVAL);
    q.cursor = NULL;
    q.limit = ASYNCZ_HISTORY_MAX_LIMIT + 1;
    assert_int_equal(asyncz_store_list_runs(st, &q, collect, list(st, NULL, NULL), NULL), ASYNCZ_EINVAL);
    q.limit = 0;
    q.version = 0;
    assert_int_equal(asyncz_store_list_runs(st, &q, collect, list(st, NULL, NULL), NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

static int stop_at_two(const asyncz_run_record *rec, void *ud)
{
    (void)rec;
    return ++*(int *)ud == 2 ? 77 : 0;
}

void history_list_stops(void **state)
{
    asyncz_store *st = open_history_store();
    for (int i = 0; i < 5; i++) {
        asyncz_run_record r = record("t", ASYNCZ_RUN_SUCCEEDED, T0 + i, "s1");
        put(st, &r);
    }
    int calls = 0;
    assert_int_equal(asyncz_store_list_runs(st, NULL, stop_at_two, &calls, NULL), 77);
    assert_int_equal(calls, 2);
    asyncz_store_free(st);
}

static size_t prune(asyncz_store *st, const asyncz_history_retention *r, asyncz_time_t now, size_t max)
{
    size_t n = 999;
    assert_int_equal(asyncz_store_prune_runs(st, r, now, max, &n), 0);
    return n;
}

/* max_runs_per_task keeps each task's newest records (a running record among them stays). */
void history_retention_per_task(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record recs[20];
    for (int i = 0; i < 20; i++) {
        recs[i] = record(i < 12 ? "busy" : "quiet", ASYNCZ_RUN_SUCCEEDED, T0 + (i + 1) * SEC, "s1");
        put(st, &recs[i]);
    }
    asyncz_run_record running = record("busy", ASYNCZ_RUN_RUNNING, T0 + 30 * SEC, "s1");
    put(st, &running);
    asyncz_history_retention r = {.max_runs_per_task = 5};
    assert_int_equal(prune(st, &r, T0 + DAY, 1000), 8 + 3); /* busy: 13 -> 5, quiet: 8 -> 5 */
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.task_id = "busy";
    listing *l = list(st, &q, NULL);
    assert_int_equal(l->n, 5); /* the newest: the running one, then recs[11] ... recs[8] */
    assert_string_equal(l->ids[0], running.run_id);
    assert_string_equal(l->ids[1], recs[11].run_id);
    assert_string_equal(l->ids[4], recs[8].run_id);
    q.task_id = "quiet";
    assert_int_equal(list(st, &q, NULL)->n, 5);
    assert_int_equal(prune(st, &r, T0 + DAY, 1000), 0);
    asyncz_store_free(st);
}

/* Pruning is bounded: at most max records per call, the rest in later calls. */
void history_prune_bounded(void **state)
{
    asyncz_store *st = open_history_store();
    for (int i = 0; i < 45; i++) {
        asyncz_run_record r = record("t", ASYNCZ_RUN_FAILED, T0 + i * SEC, "s1");
        put(st, &r);
    }
    asyncz_history_retention r = {.max_age_usec = DAY};
    asyncz_time_t now = T0 + 2 * DAY;
    for (int call = 0; call < 4; call++)
        assert_int_equal(prune(st, &r, now, 10), 10);
    assert_int_equal(prune(st, &r, now, 10), 5);
    assert_int_equal(prune(st, &r, now, 10), 0);
    assert_int_equal(list(st, NULL, NULL)->n, 0);
    assert_int_equal(prune(st, &r, now, 0), 0);
    asyncz_store_free(st);
}

/* max_age by finished time (else submitted); young records stay; an old running record goes too. */
void history_prune_age(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record old = record("t", ASYNCZ_RUN_SUCCEEDED, T0, "s1");
    asyncz_run_record stuck = record("t", ASYNCZ_RUN_RUNNING, T0 + SEC, "s1");
    asyncz_run_record young = record("t", ASYNCZ_RUN_FAILED, T0 + 2 * DAY, "s1");
    put(st, &old);
    put(st, &stuck);
    put(st, &young);
    asyncz_history_retention r = {.max_age_usec = DAY};
    assert_int_equal(prune(st, &r, T0 + DAY / 2, 100), 0); /* nothing old enough yet */
    assert_int_equal(prune(st, &r, T0 + 2 * DAY + SEC, 100), 2);
    listing *l = list(st, NULL, NULL);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->ids[0], young.run_id);
    asyncz_store_free(st);
}

/* A lost scheduler's running records become lost, with the reason; other records are left alone. */
void history_mark_lost(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record a = record("t", ASYNCZ_RUN_RUNNING, T0, "dead");
    asyncz_run_record b = record("t", ASYNCZ_RUN_SUCCEEDED, T0 + 1, "dead");
    asyncz_run_record c = record("t", ASYNCZ_RUN_RUNNING, T0 + 2, "alive");
    put(st, &a);
    put(st, &b);
    put(st, &c);
    size_t n = 0;
    assert_int_equal(
        ops(st)->history_mark_lost(st, "dead", T0 + 60 * SEC, "scheduler dead stopped heartbeating", &n), 0);
    assert_int_equal(n, 1);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_store_get_run(st, a.run_id, &got), 0);
    assert_int_equal(got->outcome, ASYNCZ_RUN_LOST);
    assert_true(got->finished_at == T0 + 60 * SEC);
    assert_string_equal(got->error_message, "scheduler dead stopped heartbeating");
    asyncz_run_record_free(got);
    assert_int_equal(asyncz_store_get_run(st, b.run_id, &got), 0);
    assert_int_equal(got->outcome, ASYNCZ_RUN_SUCCEEDED);
    asyncz_run_record_free(got);
    assert_int_equal(asyncz_store_get_run(st, c.run_id, &got), 0);
    assert_int_equal(got->outcome, ASYNCZ_RUN_RUNNING);
    asyncz_run_record_free(got);
    assert_int_equal(ops(st)->history_mark_lost(st, "dead", T0 + 61 * SEC, "again", &n), 0);
    assert_int_equal(n, 0); /* idempotent */
    asyncz_store_free(st);
}

/* Output lines are kept with the record: get hands them out, a listing only when asked for. */
void history_output(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_output_line lines[3] = {{T0 + 1, ASYNCZ_OUTPUT_STDOUT, "hello"},
                                   {T0 + 2, ASYNCZ_OUTPUT_STDERR, "warning: ünïcode"},
                                   {T0 + 3, ASYNCZ_OUTPUT_NOTE, ""}};
    asyncz_run_record r = record("t", ASYNCZ_RUN_FAILED, T0, "s1");
    r.output = lines;
    r.n_output = 3;
    r.output_truncated = true;
    r.error_code = -42;
    r.exit_status = 3;
    r.signal = 0;
    r.error_message = "exit status 3";
    put(st, &r);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_store_get_run(st, r.run_id, &got), 0);
    assert_int_equal(got->n_output, 3);
    assert_true(got->output_truncated);
    for (int i = 0; i < 3; i++) {
        assert_true(got->output[i].time == lines[i].time);
        assert_int_equal(got->output[i].stream, lines[i].stream);
        assert_string_equal(got->output[i].text, lines[i].text);
    }
    assert_int_equal(got->error_code, -42);
    assert_int_equal(got->exit_status, 3);
    assert_string_equal(got->error_message, "exit status 3");
    asyncz_run_record_free(got);
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    assert_int_equal(list(st, &q, NULL)->with_output, 0);
    q.with_output = true;
    assert_int_equal(list(st, &q, NULL)->with_output, 1);
    asyncz_store_free(st);
}

/* A batch is written whole; a record without a task id or with a malformed run id is refused. */
void history_batch(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record batch[100];
    for (int i = 0; i < 100; i++)
        batch[i] = record(i % 3 ? "a" : "b", ASYNCZ_RUN_SUCCEEDED, T0 + i, "s1");
    assert_int_equal(ops(st)->history_put(st, batch, 100), 0);
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.limit = 1000;
    assert_int_equal(list(st, &q, NULL)->n, 100);
    asyncz_run_record bad[2] = {record("c", ASYNCZ_RUN_SUCCEEDED, T0, "s1"),
                                record("c", ASYNCZ_RUN_SUCCEEDED, T0, "s1")};
    strcpy(bad[1].run_id, "bad");
    assert_int_equal(ops(st)->history_put(st, bad, 2), ASYNCZ_EINVAL);
    bad[1] = record(NULL, ASYNCZ_RUN_SUCCEEDED, T0, "s1");
    assert_int_equal(ops(st)->history_put(st, bad, 2), ASYNCZ_EINVAL);
    q.task_id = "c";
    assert_int_equal(list(st, &q, NULL)->n, 0); /* none of either batch */
    asyncz_store_free(st);
}

/* A batch holding a run twice (its start and its completion, written together after a store outage) keeps
 * the last: one record per run id. */
void history_batch_repeats(void **state)
{
    asyncz_store *st = open_history_store();
    asyncz_run_record batch[3];
    batch[0] = record("t", ASYNCZ_RUN_RUNNING, T0, "s1");
    batch[1] = record("u", ASYNCZ_RUN_RUNNING, T0 + 1, "s1");
    batch[2] = batch[0];
    batch[2].outcome = ASYNCZ_RUN_SUCCEEDED;
    batch[2].started_at = T0 + 10;
    batch[2].finished_at = T0 + 20;
    assert_int_equal(ops(st)->history_put(st, batch, 3), 0);
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    assert_int_equal(list(st, &q, NULL)->n, 2);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_store_get_run(st, batch[0].run_id, &got), 0);
    assert_int_equal(got->outcome, ASYNCZ_RUN_SUCCEEDED);
    asyncz_run_record_free(got);
    asyncz_store_free(st);
}
