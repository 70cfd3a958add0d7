/* The scheduler on a shared store that misbehaves: a release the store fails to confirm is repeated until
 * the store answers, and its runs go ahead then, or are reported as TASK_LOST when the store cannot tell
 * what happened; failed claims back off from 0.25 s to 10 s, and a slow batch of releases rewrites the
 * heartbeat every period. The shared store is a wrapper around a memory store that injects failures and
 * counts calls; time is a virtual clock and the scheduler runs embedded, so every round is an explicit
 * asyncz_scheduler_dispatch() at a chosen time and nothing depends on timing. */
#include "asyncz/sys/store.h"
#include "sched_harness.h"

#define T0 INT64_C(1790000000000000) /* a whole second */
#define SEC ASYNCZ_USEC_PER_SEC
#define IDENTITY "node-a"
#define BEATS_MAX 64
#define BEAT_IDS_MAX 16

/* ---- the shared test store ------------------------------------------------------------------------------
 */

/* One heartbeat as the store received it. */
typedef struct beat {
    asyncz_time_t heartbeat_at, expires_at;
    asyncz_time_t clock_at; /* the virtual clock when it was written */
    size_t releases_before; /* releases the store had seen by then */
    size_t n_running;
    char ids[BEAT_IDS_MAX][16]; /* task ids of the first runs listed */
} beat;

#define CLAIMS_MAX 32

typedef struct test_store {
    asyncz_store_base base;
    asyncz_store *inner; /* a memory store doing the real work */
    vclock *clock;
    int claim_rc;                 /* nonzero: claim fails with it and claims nothing */
    int release_rc;               /* nonzero: release fails with it */
    char release_fails_for[16];   /* with release_rc: only releases of this task fail ("": all) */
    bool release_applies;         /* with release_rc: the inner store applies the release anyway */
    int64_t release_advance;      /* every release moves the virtual clock on by this much */
    int64_t claim_advance;        /* every claim moves the virtual clock on by this much */
    size_t claims, releases;      /* calls seen */
    size_t claim_max[CLAIMS_MAX]; /* the max of the first claims */
    beat beats[BEATS_MAX];
    size_t n_beats;
    char instance[64]; /* the registered scheduler ("": none) */
    asyncz_time_t instance_beat, instance_expires;
} test_store;

static test_store *self_of(asyncz_store *st)
{
    return (test_store *)st;
}

static const asyncz_store_ops *inner_ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(self_of(st)->inner)->ops;
}

static int ts_add(asyncz_store *st, asyncz_task *task)
{
    return inner_ops(st)->add(self_of(st)->inner, task);
}

static int ts_update(asyncz_store *st, asyncz_task *task)
{
    return inner_ops(st)->update(self_of(st)->inner, task);
}

static int ts_remove(asyncz_store *st, const char *id)
{
    return inner_ops(st)->remove(self_of(st)->inner, id);
}

static int ts_remove_all(asyncz_store *st)
{
    return inner_ops(st)->remove_all(self_of(st)->inner);
}

static int ts_lookup(asyncz_store *st, const char *id, asyncz_task **out)
{
    return inner_ops(st)->lookup(self_of(st)->inner, id, out);
}

static int ts_list(asyncz_store *st, asyncz_store_each_fn each, void *userdata)
{
    return inner_ops(st)->list(self_of(st)->inner, each, userdata);
}

static int ts_due(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *userdata)
{
    return inner_ops(st)->due(self_of(st)->inner, now, max, each, userdata);
}

static int ts_earliest(asyncz_store *st, asyncz_time_t *out)
{
    return inner_ops(st)->earliest(self_of(st)->inner, out);
}

static int ts_count(asyncz_store *st, size_t *out)
{
    return inner_ops(st)->count(self_of(st)->inner, out);
}

static int ts_claim(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                    asyncz_claim *out, size_t *n_out)
{
    test_store *ts = self_of(st);
    if (ts->claims < CLAIMS_MAX)
        ts->claim_max[ts->claims] = max;
    ts->claims++;
    ts->clock->now += ts->claim_advance;
    if (ts->claim_rc) {
        *n_out = 0;
        return ts->claim_rc;
    }
    return inner_ops(st)->claim(ts->inner, now, owner, lease_usec, max, out, n_out);
}

static int ts_release(asyncz_store *st, const char *id, uint64_t token, asyncz_task *next)
{
    test_store *ts = self_of(st);
    ts->releases++;
    ts->clock->now += ts->release_advance;
    bool fail = ts->release_rc && (!ts->release_fails_for[0] || strcmp(ts->release_fails_for, id) == 0);
    if (fail && !ts->release_applies)
        return ts->release_rc;
    int rc = inner_ops(st)->release(ts->inner, id, token, next);
    return fail ? ts->release_rc : rc;
}

static void ts_destroy(asyncz_store *st)
{
    asyncz_store_free(self_of(st)->inner);
    free(st);
}

static void beat_record(test_store *ts, const asyncz_instance *self)
{
    if (ts->n_beats == BEATS_MAX)
        return;
    beat *b = &ts->beats[ts->n_beats++];
    *b = (beat){.heartbeat_at = self->heartbeat_at,
                .expires_at = self->expires_at,
                .clock_at = ts->clock->now,
                .releases_before = ts->releases,
                .n_running = self->n_running};
    for (size_t i = 0; i < self->n_running && i < BEAT_IDS_MAX; i++)
        copy_str(b->ids[i], sizeof b->ids[i], self->running[i].task_id);
}

static int ts_heartbeat(asyncz_store *st, const asyncz_instance *self)
{
    test_store *ts = self_of(st);
    beat_record(ts, self);
    copy_str(ts->instance, sizeof ts->instance, self->id);
    ts->instance_beat = self->heartbeat_at;
    ts->instance_expires = self->expires_at;
    return 0;
}

static int ts_instances(asyncz_store *st, asyncz_instance_fn each, void *userdata)
{
    test_store *ts = self_of(st);
    if (!ts->instance[0])
        return 0;
    asyncz_instance me = {.id = ts->instance,
                          .hostname = "test",
                          .heartbeat_at = ts->instance_beat,
                          .expires_at = ts->instance_expires};
    return each(&me, userdata);
}

static int ts_remove_instance(asyncz_store *st, const char *id)
{
    test_store *ts = self_of(st);
    if (!ts->instance[0] || strcmp(ts->instance, id) != 0)
        return ASYNCZ_ENOTFOUND;
    ts->instance[0] = '\0';
    return 0;
}

/* The run history: the memory store's. */
static int ts_history_put(asyncz_store *st, const asyncz_run_record *recs, size_t n)
{
    return inner_ops(st)->history_put(self_of(st)->inner, recs, n);
}

static int ts_history_list(asyncz_store *st, const asyncz_history_query *q, asyncz_run_record_fn each,
                           void *ud, char *cursor)
{
    return inner_ops(st)->history_list(self_of(st)->inner, q, each, ud, cursor);
}

static int ts_history_get(asyncz_store *st, const char *run_id, asyncz_run_record **out)
{
    return inner_ops(st)->history_get(self_of(st)->inner, run_id, out);
}

static int ts_history_prune(asyncz_store *st, const asyncz_history_retention *r, asyncz_time_t now,
                            size_t max, size_t *pruned)
{
    return inner_ops(st)->history_prune(self_of(st)->inner, r, now, max, pruned);
}

static int ts_history_mark_lost(asyncz_store *st, const char *scheduler, asyncz_time_t now,
                                const char *reason, size_t *marked)
{
    return inner_ops(st)->history_mark_lost(self_of(st)->inner, scheduler, now, reason, marked);
}

static const asyncz_store_ops TEST_STORE_OPS = {
    .version = ASYNCZ_STORE_OPS_VERSION,
    .name = "test-shared",
    .caps = ASYNCZ_STORE_CAP_SHARED,
    .add = ts_add,
    .update = ts_update,
    .remove = ts_remove,
    .remove_all = ts_remove_all,
    .lookup = ts_lookup,
    .list = ts_list,
    .due = ts_due,
    .earliest = ts_earliest,
    .count = ts_count,
    .claim = ts_claim,
    .release = ts_release,
    .destroy = ts_destroy,
    .heartbeat = ts_heartbeat,
    .instances = ts_instances,
    .remove_instance = ts_remove_instance,
    .history_put = ts_history_put,
    .history_list = ts_history_list,
    .history_get = ts_history_get,
    .history_prune = ts_history_prune,
    .history_mark_lost = ts_history_mark_lost,
};

static test_store *test_store_new(vclock *clock)
{
    test_store *ts = calloc(1, sizeof *ts);
    assert_non_null(ts);
    assert_int_equal(asyncz_store_base_init(&ts->base, &TEST_STORE_OPS), 0);
    assert_int_equal(asyncz_store_memory_new(&ts->inner), 0);
    ts->clock = clock;
    return ts;
}

/* ---- fixture --------------------------------------------------------------------------------------------
 */

/* One TASK_LOST event as a listener saw it. */
typedef struct lost_event {
    char instance_id[64], task_id[64], alias[64];
    asyncz_time_t scheduled;
    char error_message[256];
} lost_event;

typedef struct fixture {
    vclock clock;
    recorder rec;
    asyncz_scheduler *s;
    test_store *store; /* owned by the scheduler */
    lost_event lost[64];
    size_t n_lost;
} fixture;

static int record_lost(const asyncz_event *e, void *ud)
{
    fixture *f = ud;
    if (e->code != ASYNCZ_EVENT_TASK_LOST || f->n_lost == 64)
        return 0;
    lost_event *l = &f->lost[f->n_lost++];
    copy_str(l->instance_id, sizeof l->instance_id, e->instance_id);
    copy_str(l->task_id, sizeof l->task_id, e->task_id);
    copy_str(l->alias, sizeof l->alias, e->alias);
    copy_str(l->error_message, sizeof l->error_message, e->error_message);
    l->scheduled = e->scheduled_run_time;
    return 0;
}

/* A scheduler on the test store (alias "default") with an inline executor, started embedded at T0. */
static fixture *fx_new(int64_t lease_usec)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->clock.now = T0;
    recorder_init(&f->rec);
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.identity = IDENTITY;
    if (lease_usec)
        o.lease_usec = lease_usec;
    f->s = harness_scheduler_new(&f->clock, &f->rec, &o);
    f->store = test_store_new(&f->clock);
    assert_int_equal(asyncz_scheduler_add_store(f->s, "default", (asyncz_store *)f->store), 0);
    assert_int_equal(asyncz_scheduler_add_listener(f->s, ASYNCZ_EVENT_TASK_LOST, record_lost, f, NULL), 0);
    assert_int_equal(asyncz_scheduler_start_embedded(f->s, 0), 0);
    return f;
}

static void fx_free(fixture *f)
{
    asyncz_scheduler_free(f->s);
    free(f);
}

/* One loop round at virtual time t; returns the milliseconds until the next one is needed. */
static int dispatch_at(fixture *f, asyncz_time_t t)
{
    return harness_dispatch_at(f->s, &f->clock, t);
}

/* Add a task calling "count" with trigger (reference consumed), every missed time run (no coalescing, no
 * grace limit), so each due run time is one run. */
static void add(fixture *f, const char *id, asyncz_trigger *trig)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "count"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED), 0);
    assert_int_equal(asyncz_task_set_coalesce(t, false), 0);
    assert_int_equal(asyncz_scheduler_add_task(f->s, t, 0), 0);
    asyncz_task_free(t);
}

static asyncz_time_t next_run(fixture *f, const char *id)
{
    asyncz_task *t;
    assert_int_equal(asyncz_scheduler_get_task(f->s, &t, id, NULL), 0);
    asyncz_time_t n = asyncz_task_next_run_time(t);
    asyncz_task_free(t);
    return n;
}

static void assert_lost(const lost_event *l, const char *task_id, asyncz_time_t scheduled)
{
    assert_string_equal(l->instance_id, IDENTITY);
    assert_string_equal(l->task_id, task_id);
    assert_string_equal(l->alias, "default");
    assert_int_equal(l->scheduled, scheduled);
    assert_true(strlen(l->error_message) > 0);
}

/* Run records of a listing, and how many are lost with a reason. */
typedef struct lost_runs {
    size_t n, lost;
} lost_runs;

static int count_lost_run(const asyncz_run_record *rec, void *ud)
{
    lost_runs *lr = ud;
    lr->n++;
    if (rec->outcome == ASYNCZ_RUN_LOST && rec->error_message && *rec->error_message)
        lr->lost++;
    return 0;
}

/* ---- releases the store failed to confirm ---------------------------------------------------------------
 */

/* The release failed without taking effect: nothing runs and nothing is lost while the store fails; once it
 * answers (after the 0.25 s back-off), the repeated release takes effect and the runs go ahead. */
static void unconfirmed_release_runs_once_the_store_answers(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTORE;
    dispatch_at(f, T0 + 25 * SEC); /* T0, T0+10 and T0+20 are due */
    assert_int_equal(f->store->releases, 1);
    assert_int_equal(call_count(&f->rec), 0);
    assert_int_equal(f->n_lost, 0);
    dispatch_at(f, T0 + 25 * SEC + SEC / 8); /* backing off: not repeated yet */
    assert_int_equal(f->store->releases, 1);
    dispatch_at(f, T0 + 25 * SEC + SEC / 4); /* still failing: repeated once, kept */
    assert_int_equal(f->store->releases, 2);
    assert_int_equal(call_count(&f->rec), 0);
    f->store->release_rc = 0;
    dispatch_at(f, T0 + 26 * SEC);
    assert_int_equal(f->store->releases, 3);
    assert_int_equal(call_count(&f->rec), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(f->rec.calls[i], T0 + (asyncz_time_t)i * 10 * SEC);
    assert_int_equal(next_run(f, "a"), T0 + 30 * SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_LOST), 0);
    fx_free(f);
}

/* The release took effect and only its answer was lost: the repeat finds it done and the runs go ahead,
 * once; the task goes on from the released next run time. */
static void unconfirmed_release_that_took_effect_runs_once(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTORE;
    f->store->release_applies = true;
    dispatch_at(f, T0 + 25 * SEC);
    assert_int_equal(call_count(&f->rec), 0);
    f->store->release_rc = 0;
    dispatch_at(f, T0 + 26 * SEC);
    assert_int_equal(call_count(&f->rec), 3);
    assert_int_equal(next_run(f, "a"), T0 + 30 * SEC);
    dispatch_at(f, T0 + 30 * SEC);
    assert_int_equal(call_count(&f->rec), 4);
    assert_int_equal(f->rec.calls[3], T0 + 30 * SEC);
    assert_int_equal(f->n_lost, 0);
    fx_free(f);
}

/* The removal of an exhausted task took effect but was not confirmed: the repeat finds no task, which within
 * the lease can only be this removal, so its last run goes ahead. */
static void unconfirmed_removal_runs_within_the_lease(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "once", at(T0 + SEC));
    f->store->release_rc = ASYNCZ_ESTORE;
    f->store->release_applies = true;
    dispatch_at(f, T0 + 2 * SEC);
    assert_int_equal(call_count(&f->rec), 0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 0);
    f->store->release_rc = 0;
    dispatch_at(f, T0 + 3 * SEC);
    assert_int_equal(call_count(&f->rec), 1);
    assert_int_equal(f->rec.calls[0], T0 + SEC);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_REMOVED), 1);
    assert_int_equal(f->n_lost, 0);
    fx_free(f);
}

/* The release took effect, the store stayed down past the lease, and meanwhile another scheduler claimed the
 * task: the repeat is refused and cannot tell whether this release or a lapsed claim led there, so the runs
 * are reported lost (never run twice). */
static void unconfirmed_release_taken_over_after_the_lease_reports_lost(void **state)
{
    (void)state;
    fixture *f = fx_new(5 * SEC);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTORE;
    f->store->release_applies = true;
    dispatch_at(f, T0 + 25 * SEC); /* claimed until T0+30, released to T0+30 */
    asyncz_claim c[2];
    size_t n = 0;
    asyncz_store *inner = f->store->inner;
    assert_int_equal(ASYNCZ_STORE_BASE(inner)->ops->claim(inner, T0 + 35 * SEC, "node-b", 5 * SEC, 2, c, &n),
                     0);
    assert_int_equal(n, 1);
    asyncz_task_free(c[0].task);
    f->store->release_rc = 0;
    dispatch_at(f, T0 + 36 * SEC);
    assert_int_equal(call_count(&f->rec), 0);
    assert_int_equal(f->n_lost, 3);
    for (size_t i = 0; i < 3; i++)
        assert_lost(&f->lost[i], "a", T0 + (asyncz_time_t)i * 10 * SEC);
    /* The run history has the three lost occurrences, with the reason. */
    lost_runs lr = {0};
    assert_int_equal(asyncz_scheduler_list_runs(f->s, "default", NULL, count_lost_run, &lr, NULL), 0);
    assert_int_equal(lr.n, 3);
    assert_int_equal(lr.lost, 3);
    fx_free(f);
}

/* The release did not take effect and the store stayed down past the lease, but nobody claimed the task:
 * the repeat still holds the claim, takes effect, and the runs go ahead late. */
static void unconfirmed_release_after_the_lease_still_held_runs(void **state)
{
    (void)state;
    fixture *f = fx_new(2 * SEC);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTORE;
    dispatch_at(f, T0 + 25 * SEC); /* claimed until T0+27 */
    f->store->release_rc = 0;
    dispatch_at(f, T0 + 28 * SEC);
    assert_int_equal(call_count(&f->rec), 3);
    assert_int_equal(f->n_lost, 0);
    assert_int_equal(next_run(f, "a"), T0 + 30 * SEC);
    fx_free(f);
}

/* Once a release of a batch fails, the rest of the batch is kept unconfirmed without calling the store;
 * all are repeated, in order, once it answers. */
static void failed_release_defers_the_rest_of_the_batch(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", at(T0 + SEC));
    add(f, "b", at(T0 + SEC));
    add(f, "c", at(T0 + SEC));
    f->store->release_rc = ASYNCZ_ESTORE;
    copy_str(f->store->release_fails_for, sizeof f->store->release_fails_for, "b");
    dispatch_at(f, T0 + 2 * SEC);
    assert_int_equal(f->store->releases, 2);
    assert_int_equal(call_count(&f->rec), 1);
    assert_string_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED, 0)->task_id, "a");
    f->store->release_rc = 0;
    dispatch_at(f, T0 + 3 * SEC);
    assert_int_equal(f->store->releases, 4);
    assert_int_equal(call_count(&f->rec), 3);
    assert_string_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED, 1)->task_id, "b");
    assert_string_equal(nth_event(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED, 2)->task_id, "c");
    assert_int_equal(f->n_lost, 0);
    fx_free(f);
}

/* A scheduler shut down before its store confirmed a release reports those runs lost. */
static void shutdown_reports_unconfirmed_runs_lost(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTORE;
    dispatch_at(f, T0 + 15 * SEC);
    assert_int_equal(f->n_lost, 0);
    assert_int_equal(asyncz_scheduler_shutdown(f->s, true), 0);
    assert_int_equal(f->n_lost, 2);
    assert_lost(&f->lost[0], "a", T0);
    assert_lost(&f->lost[1], "a", T0 + 10 * SEC);
    assert_int_equal(call_count(&f->rec), 0);
    fx_free(f);
}

static void release_refused_with_estate_is_neither_run_nor_lost(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTATE;
    dispatch_at(f, T0 + 25 * SEC);
    assert_int_equal(f->store->releases, 1);
    assert_int_equal(call_count(&f->rec), 0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_SUBMITTED), 0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_LOST), 0);
    assert_int_equal(f->n_lost, 0);
    fx_free(f);
}

static void release_refused_with_enotfound_is_neither_run_nor_lost(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", at(T0 + SEC));
    f->store->release_rc = ASYNCZ_ENOTFOUND;
    dispatch_at(f, T0 + 2 * SEC);
    assert_int_equal(call_count(&f->rec), 0);
    assert_int_equal(count_events(&f->rec, ASYNCZ_EVENT_TASK_LOST), 0);
    fx_free(f);
}

/* ---- claim back-off ---------------------------------------------------------------------------------------
 */

/* After the failed claim counted so far at time `failed`, no claim is made before failed + wait (three
 * rounds in between ask nothing), and one is made at exactly that time. Returns that time. */
static asyncz_time_t expect_retry_after(fixture *f, asyncz_time_t failed, int64_t wait)
{
    size_t before = f->store->claims;
    dispatch_at(f, failed + 1);
    dispatch_at(f, failed + wait / 2);
    dispatch_at(f, failed + wait - 1);
    assert_int_equal(f->store->claims, before);
    dispatch_at(f, failed + wait);
    assert_int_equal(f->store->claims, before + 1);
    return failed + wait;
}

static void failed_claims_back_off_doubling_to_ten_seconds(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    f->store->claim_rc = ASYNCZ_ESTORE;
    assert_int_equal(dispatch_at(f, T0), 250); /* the retry is the next thing due */
    assert_int_equal(f->store->claims, 1);
    static const int64_t waits[] = {SEC / 4, SEC / 2,  SEC,      2 * SEC, 4 * SEC,
                                    8 * SEC, 10 * SEC, 10 * SEC, 10 * SEC};
    asyncz_time_t t = T0;
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++)
        t = expect_retry_after(f, t, waits[i]);
    assert_int_equal(f->store->claims, 10);
    fx_free(f);
}

static void successful_claim_resets_the_back_off(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", at(T0));
    f->store->claim_rc = ASYNCZ_ESTORE;
    dispatch_at(f, T0);
    asyncz_time_t t = expect_retry_after(f, T0, SEC / 4);
    t = expect_retry_after(f, t, SEC / 2);
    t = expect_retry_after(f, t, SEC); /* the next wait would be 2 s */
    assert_int_equal(call_count(&f->rec), 0);
    f->store->claim_rc = 0;
    t = expect_retry_after(f, t, 2 * SEC);
    assert_int_equal(call_count(&f->rec), 1); /* the task due all along ran once the store was back */
    assert_int_equal(f->rec.calls[0], T0);
    f->store->claim_rc = ASYNCZ_ESTORE;
    size_t before = f->store->claims;
    dispatch_at(f, t + 1); /* no back-off left: asked at once, and fails */
    assert_int_equal(f->store->claims, before + 1);
    expect_retry_after(f, t + 1, SEC / 4);
    fx_free(f);
}

/* The back-off is per store: a failing store does not hold back the claims of a healthy one. */
static void back_off_is_per_store(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    test_store *other = test_store_new(&f->clock);
    assert_int_equal(asyncz_scheduler_add_store(f->s, "other", (asyncz_store *)other), 0);
    f->store->claim_rc = ASYNCZ_ESTORE;
    dispatch_at(f, T0);
    dispatch_at(f, T0 + 1);
    dispatch_at(f, T0 + 2);
    assert_int_equal(f->store->claims, 1);
    assert_int_equal(other->claims, 3);
    fx_free(f);
}

/* ---- the heartbeat during a slow batch ------------------------------------------------------------------
 */

static bool beat_lists(const beat *b, const char *id)
{
    for (size_t i = 0; i < b->n_running && i < BEAT_IDS_MAX; i++)
        if (strcmp(b->ids[i], id) == 0)
            return true;
    return false;
}

/* While a release waits to be confirmed, heartbeats list its runs (so that if this scheduler dies, the
 * survivors report them). */
static void heartbeat_lists_unconfirmed_runs(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add(f, "a", interval(10 * SEC, T0));
    f->store->release_rc = ASYNCZ_ESTORE;
    dispatch_at(f, T0 + 5 * SEC);
    size_t before = f->store->n_beats;
    dispatch_at(f, T0 + 16 * SEC); /* a heartbeat period later, the store still failing releases */
    assert_true(f->store->n_beats > before);
    const beat *b = &f->store->beats[f->store->n_beats - 1];
    assert_int_equal(b->n_running, 1);
    assert_true(beat_lists(b, "a"));
    fx_free(f);
}

static void add_five_due_at_t0(fixture *f)
{
    static const char *const ids[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < 5; i++)
        add(f, ids[i], at(T0));
}

/* Heartbeat period 10 s (the default), each release takes 4 s: the batch heartbeat at T0 lists all five
 * runs; before the fourth release the clock reads T0+12, so the heartbeat is written again, listing the
 * runs of the three released tasks (in flight) and of the two still to release. */
static void slow_batch_rewrites_the_heartbeat(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add_five_due_at_t0(f);
    f->store->release_advance = 4 * SEC;
    dispatch_at(f, T0);
    assert_int_equal(f->store->releases, 5);
    assert_int_equal(call_count(&f->rec), 5);
    test_store *ts = f->store;
    assert_true(ts->n_beats >= 2);
    assert_int_equal(ts->beats[0].heartbeat_at, T0);
    assert_int_equal(ts->beats[0].releases_before, 0);
    assert_int_equal(ts->beats[0].n_running, 5);
    assert_int_equal(ts->beats[1].heartbeat_at, T0 + 12 * SEC);
    assert_int_equal(ts->beats[1].expires_at, T0 + 42 * SEC);
    assert_int_equal(ts->beats[1].releases_before, 3);
    assert_int_equal(ts->beats[1].n_running, 5);
    assert_true(beat_lists(&ts->beats[1], "d"));
    assert_true(beat_lists(&ts->beats[1], "e"));
    assert_true(beat_lists(&ts->beats[1], "a"));
    /* No third heartbeat during the batch: the last release starts at T0+16, 4 s after the second. */
    for (size_t i = 2; i < ts->n_beats; i++)
        assert_int_equal(ts->beats[i].releases_before, 5);
    fx_free(f);
}

/* A fast batch (releases take no time) writes one heartbeat for the batch, none in between. */
static void fast_batch_writes_one_heartbeat(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add_five_due_at_t0(f);
    dispatch_at(f, T0);
    assert_int_equal(call_count(&f->rec), 5);
    size_t during = 0;
    for (size_t i = 0; i < f->store->n_beats; i++)
        during += f->store->beats[i].releases_before < 5;
    assert_int_equal(during, 1);
    assert_int_equal(f->store->beats[0].releases_before, 0);
    fx_free(f);
}

/* A very slow batch (8 s per release): heartbeats at T0 (the batch), T0+16 and T0+32 (before the third and
 * fifth releases), each a full period after the one before. */
static void very_slow_batch_beats_every_period(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    add_five_due_at_t0(f);
    f->store->release_advance = 8 * SEC;
    dispatch_at(f, T0);
    test_store *ts = f->store;
    assert_true(ts->n_beats >= 3);
    static const asyncz_time_t at_s[] = {0, 16, 32};
    static const size_t released[] = {0, 2, 4};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ts->beats[i].heartbeat_at, T0 + at_s[i] * SEC);
        assert_int_equal(ts->beats[i].releases_before, released[i]);
    }
    assert_int_equal(ts->beats[2].n_running, 5);
    assert_true(beat_lists(&ts->beats[2], "e"));
    for (size_t i = 3; i < ts->n_beats; i++)
        assert_int_equal(ts->beats[i].releases_before, 5);
    /* No heartbeat is written already expired or older than the one before it (the round's own heartbeat
     * once carried the time the round began). */
    for (size_t i = 0; i < ts->n_beats; i++) {
        assert_true(ts->beats[i].expires_at > ts->beats[i].clock_at);
        assert_true(i == 0 || ts->beats[i].heartbeat_at >= ts->beats[i - 1].heartbeat_at);
    }
    fx_free(f);
}

/* Heartbeat period 10 s (the default): a claim taking 4 s (over a quarter period) halves the next claim's
 * batch, down to 1; fast claims that fill the batch double it again. */
static void slow_claims_shrink_the_batch(void **state)
{
    (void)state;
    fixture *f = fx_new(0);
    test_store *ts = f->store;
    ts->claim_advance = 4 * SEC;
    for (int i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "t%d", i);
        add(f, id, at(f->clock.now));
        dispatch_at(f, f->clock.now);
    }
    /* Halved after every slow claim; at 1, a full claim of one task is followed by an empty one. */
    static const size_t shrinking[] = {256, 128, 64, 32, 16, 8, 4, 2, 1, 1, 1, 1};
    assert_int_equal(ts->claims, 12);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(ts->claim_max[i], shrinking[i]);
    /* Fast again: three tasks due, claimed one at a time, each claim full, so the next call claims 2. */
    ts->claim_advance = 0;
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "u%d", i);
        add(f, id, at(f->clock.now));
    }
    size_t before = ts->claims;
    dispatch_at(f, f->clock.now);
    assert_int_equal(ts->claim_max[before], 1);
    add(f, "v", at(f->clock.now));
    dispatch_at(f, f->clock.now);
    assert_int_equal(ts->claim_max[ts->claims - 1], 2);
    fx_free(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unconfirmed_release_runs_once_the_store_answers),
        cmocka_unit_test(unconfirmed_release_that_took_effect_runs_once),
        cmocka_unit_test(unconfirmed_removal_runs_within_the_lease),
        cmocka_unit_test(unconfirmed_release_taken_over_after_the_lease_reports_lost),
        cmocka_unit_test(unconfirmed_release_after_the_lease_still_held_runs),
        cmocka_unit_test(failed_release_defers_the_rest_of_the_batch),
        cmocka_unit_test(shutdown_reports_unconfirmed_runs_lost),
        cmocka_unit_test(heartbeat_lists_unconfirmed_runs),
        cmocka_unit_test(release_refused_with_estate_is_neither_run_nor_lost),
        cmocka_unit_test(release_refused_with_enotfound_is_neither_run_nor_lost),
        cmocka_unit_test(failed_claims_back_off_doubling_to_ten_seconds),
        cmocka_unit_test(successful_claim_resets_the_back_off),
        cmocka_unit_test(back_off_is_per_store),
        cmocka_unit_test(slow_batch_rewrites_the_heartbeat),
        cmocka_unit_test(fast_batch_writes_one_heartbeat),
        cmocka_unit_test(very_slow_batch_beats_every_period),
        cmocka_unit_test(slow_claims_shrink_the_batch),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
