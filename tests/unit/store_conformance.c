/* The store conformance suite (see store_conformance.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_conformance.h"

az_store_factory_fn az_store_factory;

/* Virtual times: T0 is 2027-01-15T08:00:00Z; LEASE is one minute. */
#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)
#define OWNER "conformance"

/* ---- helpers ------------------------------------------------------------------------------------- */

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static void host_wakeup(void *data)
{
    (void)data;
}

static asyncz_store *open_store(void)
{
    assert_non_null(az_store_factory);
    asyncz_store *st = NULL;
    assert_int_equal(az_store_factory(&st), 0);
    assert_non_null(st);
    static const asyncz_store_host host = {
        .alias = "default", .identity = OWNER, .wakeup = host_wakeup, .host_data = NULL};
    if (ops(st)->open)
        assert_int_equal(ops(st)->open(st, &host), 0);
    return st;
}

static void close_store(asyncz_store *st)
{
    if (ops(st)->close)
        ops(st)->close(st);
    asyncz_store_free(st);
}

static size_t count(asyncz_store *st)
{
    size_t n = 99999;
    assert_int_equal(ops(st)->count(st, &n), 0);
    return n;
}

static asyncz_time_t earliest(asyncz_store *st)
{
    asyncz_time_t t = 0;
    assert_int_equal(ops(st)->earliest(st, &t), 0);
    return t;
}

/* The stored next run time of id (the task must exist). */
static asyncz_time_t stored_time(asyncz_store *st, const char *id)
{
    asyncz_task *t = NULL;
    assert_int_equal(ops(st)->lookup(st, id, &t), 0);
    assert_string_equal(asyncz_task_id(t), id);
    asyncz_time_t when = asyncz_task_next_run_time(t);
    asyncz_task_free(t);
    return when;
}

static void assert_missing(asyncz_store *st, const char *id)
{
    asyncz_task *t = (asyncz_task *)&t;
    assert_int_equal(ops(st)->lookup(st, id, &t), ASYNCZ_ENOTFOUND);
}

/* Ids joined by commas, for readable comparisons. */
typedef struct joined {
    char text[4096];
    int calls, stop_after, stop_with;
    asyncz_store *st; /* for callbacks that use the store */
} joined;

static int join_id(asyncz_task *task, void *userdata)
{
    joined *j = userdata;
    size_t len = strlen(j->text);
    snprintf(j->text + len, sizeof j->text - len, "%s%s", len ? "," : "", asyncz_task_id(task));
    j->calls++;
    return j->stop_after && j->calls >= j->stop_after ? j->stop_with : 0;
}

static const char *list_ids(asyncz_store *st, joined *j)
{
    memset(j, 0, sizeof *j);
    assert_int_equal(ops(st)->list(st, join_id, j), 0);
    return j->text;
}

static const char *due_ids(asyncz_store *st, asyncz_time_t now, size_t max, joined *j)
{
    memset(j, 0, sizeof *j);
    assert_int_equal(ops(st)->due(st, now, max, join_id, j), 0);
    return j->text;
}

/* Claim up to max (at most 16) and return the ids joined; the claims go to out (may be NULL: dropped). */
static const char *claim_ids(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_claim *out, joined *j)
{
    asyncz_claim claims[16];
    size_t n = 99;
    assert_true(max <= 16);
    assert_int_equal(ops(st)->claim(st, now, OWNER, LEASE, max, claims, &n), 0);
    assert_true(n <= max);
    memset(j, 0, sizeof *j);
    for (size_t i = 0; i < n; i++) {
        join_id(claims[i].task, j);
        assert_int_equal(claims[i].lease_until, now + LEASE);
        if (out)
            out[i] = claims[i];
        else
            asyncz_task_free(claims[i].task);
    }
    return j->text;
}

/* Claim exactly one task, expected to be id; returns its token. */
static uint64_t claim_one(asyncz_store *st, asyncz_time_t now, const char *id)
{
    asyncz_claim c;
    joined j;
    assert_string_equal(claim_ids(st, now, 1, &c, &j), id);
    asyncz_task_free(c.task);
    return c.token;
}

/* ---- basic operations ---------------------------------------------------------------------------- */

void conformance_empty_store(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    joined j;
    assert_int_equal(count(st), 0);
    assert_int_equal(earliest(st), ASYNCZ_TIME_NONE);
    assert_string_equal(list_ids(st, &j), "");
    assert_int_equal(j.calls, 0);
    assert_string_equal(due_ids(st, T0, 10, &j), "");
    assert_string_equal(claim_ids(st, T0, 10, NULL, &j), "");
    assert_missing(st, "a");
    close_store(st);
}

void conformance_add_lookup(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    asyncz_task *t = az_test_task("alpha", T0 + 5);
    assert_int_equal(asyncz_task_set_name(t, "the alpha task"), 0);
    assert_int_equal(asyncz_task_set_max_instances(t, 3), 0);
    assert_int_equal(ops(st)->add(st, t), 0);
    asyncz_task_free(t); /* the store keeps its own reference or copy */
    asyncz_task *got = NULL;
    assert_int_equal(ops(st)->lookup(st, "alpha", &got), 0);
    assert_string_equal(asyncz_task_id(got), "alpha");
    assert_string_equal(asyncz_task_name(got), "the alpha task");
    assert_string_equal(asyncz_task_func(got), "job");
    assert_int_equal(asyncz_task_max_instances(got), 3);
    assert_int_equal(asyncz_task_next_run_time(got), T0 + 5);
    asyncz_task_free(got);
    assert_int_equal(count(st), 1);
    assert_missing(st, "alph");
    assert_missing(st, "alphaa");
    close_store(st);
}

void conformance_add_duplicate(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "dup", T0);
    asyncz_task *t = az_test_task("dup", T0 + SEC);
    assert_int_equal(ops(st)->add(st, t), ASYNCZ_EEXISTS);
    asyncz_task_free(t);
    assert_int_equal(count(st), 1);
    assert_int_equal(stored_time(st, "dup"), T0);
    close_store(st);
}

void conformance_update(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "u", T0);
    az_test_add(st, "other", T0 + 1);
    asyncz_task *t = az_test_task("u", T0 + 7 * SEC);
    assert_int_equal(asyncz_task_set_name(t, "renamed"), 0);
    assert_int_equal(ops(st)->update(st, t), 0);
    asyncz_task_free(t);
    asyncz_task *got = NULL;
    assert_int_equal(ops(st)->lookup(st, "u", &got), 0);
    assert_string_equal(asyncz_task_name(got), "renamed");
    assert_int_equal(asyncz_task_next_run_time(got), T0 + 7 * SEC);
    asyncz_task_free(got);
    assert_int_equal(count(st), 2);
    joined j;
    assert_string_equal(list_ids(st, &j), "other,u");
    close_store(st);
}

void conformance_update_missing(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "present", T0);
    asyncz_task *t = az_test_task("absent", T0);
    assert_int_equal(ops(st)->update(st, t), ASYNCZ_ENOTFOUND);
    asyncz_task_free(t);
    assert_int_equal(count(st), 1);
    assert_missing(st, "absent");
    close_store(st);
}

void conformance_remove(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + 1);
    az_test_add(st, "c", T0 + 2);
    assert_int_equal(ops(st)->remove(st, "b"), 0);
    assert_int_equal(count(st), 2);
    assert_missing(st, "b");
    joined j;
    assert_string_equal(list_ids(st, &j), "a,c");
    assert_int_equal(ops(st)->remove(st, "a"), 0);
    assert_int_equal(earliest(st), T0 + 2);
    az_test_add(st, "b", T0 + 3); /* the id is free again */
    assert_string_equal(list_ids(st, &j), "c,b");
    close_store(st);
}

void conformance_remove_missing(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    assert_int_equal(ops(st)->remove(st, "nothing"), ASYNCZ_ENOTFOUND);
    az_test_add(st, "a", T0);
    assert_int_equal(ops(st)->remove(st, "b"), ASYNCZ_ENOTFOUND);
    assert_int_equal(ops(st)->remove(st, "a"), 0);
    assert_int_equal(ops(st)->remove(st, "a"), ASYNCZ_ENOTFOUND);
    assert_int_equal(count(st), 0);
    close_store(st);
}

void conformance_remove_all(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    assert_int_equal(ops(st)->remove_all(st), 0); /* empty: nothing to do, no error */
    az_test_add(st, "a", T0);
    az_test_add(st, "b", ASYNCZ_TIME_NONE);
    az_test_add(st, "c", T0 + 1);
    uint64_t token = claim_one(st, T0, "a");
    assert_int_equal(ops(st)->remove_all(st), 0);
    assert_int_equal(count(st), 0);
    assert_int_equal(earliest(st), ASYNCZ_TIME_NONE);
    assert_missing(st, "a");
    assert_int_equal(ops(st)->release(st, "a", token, NULL), ASYNCZ_ENOTFOUND);
    az_test_add(st, "a", T0 + 2);
    assert_int_equal(count(st), 1);
    /* Tokens keep increasing after a remove_all. */
    assert_true(claim_one(st, T0 + 2, "a") > token);
    close_store(st);
}

void conformance_count(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    char id[16];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "n%d", i);
        az_test_add(st, id, i % 5 == 0 ? ASYNCZ_TIME_NONE : T0 + i);
        assert_int_equal(count(st), (size_t)i + 1);
    }
    for (int i = 0; i < 50; i += 2) {
        snprintf(id, sizeof id, "n%d", i);
        assert_int_equal(ops(st)->remove(st, id), 0);
    }
    assert_int_equal(count(st), 25);
    close_store(st);
}

/* ---- order --------------------------------------------------------------------------------------- */

void conformance_order_microseconds(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "plus3", T0 + 3);
    az_test_add(st, "plus1", T0 + 1);
    az_test_add(st, "next_second", T0 + SEC);
    az_test_add(st, "plus999999", T0 + SEC - 1);
    az_test_add(st, "plus2", T0 + 2);
    az_test_add(st, "zero", T0);
    az_test_add(st, "before", T0 - 1);
    joined j;
    assert_string_equal(list_ids(st, &j), "before,zero,plus1,plus2,plus3,plus999999,next_second");
    assert_int_equal(stored_time(st, "plus999999"), T0 + SEC - 1);
    assert_int_equal(earliest(st), T0 - 1);
    close_store(st);
}

void conformance_order_ties_insertion(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "m", T0 + 1);
    az_test_add(st, "c", T0);
    az_test_add(st, "a", T0);
    az_test_add(st, "z", T0 + 1);
    az_test_add(st, "b", T0);
    joined j;
    assert_string_equal(list_ids(st, &j), "c,a,b,m,z");
    assert_string_equal(due_ids(st, T0 + 1, 100, &j), "c,a,b,m,z");
    assert_string_equal(claim_ids(st, T0 + 1, 16, NULL, &j), "c,a,b,m,z");
    close_store(st);
}

void conformance_order_update_reschedules(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "x", T0);
    az_test_add(st, "y", T0 + 5);
    az_test_add(st, "w", T0 + 5);
    /* x gets its new time after y and w got theirs, so among equal times it comes last. */
    asyncz_task *t = az_test_task("x", T0 + 5);
    assert_int_equal(ops(st)->update(st, t), 0);
    asyncz_task_free(t);
    joined j;
    assert_string_equal(list_ids(st, &j), "y,w,x");
    close_store(st);
}

static void pause_task(asyncz_store *st, const char *id)
{
    asyncz_task *t = az_test_task(id, ASYNCZ_TIME_NONE);
    assert_int_equal(ops(st)->update(st, t), 0);
    asyncz_task_free(t);
}

void conformance_order_paused_last(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "p1", ASYNCZ_TIME_NONE);
    az_test_add(st, "late", ASYNCZ_TIME_MAX);
    az_test_add(st, "a", T0 + 2);
    az_test_add(st, "b", T0 + 1);
    az_test_add(st, "early", ASYNCZ_TIME_MIN);
    pause_task(st, "b");
    pause_task(st, "a");
    joined j;
    assert_string_equal(list_ids(st, &j), "early,late,p1,b,a");
    assert_int_equal(stored_time(st, "a"), ASYNCZ_TIME_NONE);
    /* Paused tasks are never due nor claimed. */
    assert_string_equal(due_ids(st, ASYNCZ_TIME_MAX, 100, &j), "early,late");
    assert_string_equal(claim_ids(st, ASYNCZ_TIME_MAX - LEASE, 16, NULL, &j), "early");
    close_store(st);
}

void conformance_list_stops(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + 1);
    az_test_add(st, "c", T0 + 2);
    joined j = {.stop_after = 2, .stop_with = 42};
    assert_int_equal(ops(st)->list(st, join_id, &j), 42);
    assert_int_equal(j.calls, 2);
    assert_string_equal(j.text, "a,b");
    close_store(st);
}

/* A callback that uses the store while a listing is under way (must not deadlock). */
static int reenter(asyncz_task *task, void *userdata)
{
    joined *j = userdata;
    asyncz_task *again = NULL;
    if (ops(j->st)->lookup(j->st, asyncz_task_id(task), &again) != 0)
        return -1;
    asyncz_task_free(again);
    size_t n = 0;
    if (ops(j->st)->count(j->st, &n) != 0 || n != 2)
        return -2;
    return join_id(task, userdata);
}

void conformance_list_reentrant(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + 1);
    joined j = {.st = st};
    assert_int_equal(ops(st)->list(st, reenter, &j), 0);
    assert_string_equal(j.text, "a,b");
    memset(j.text, 0, sizeof j.text);
    assert_int_equal(ops(st)->due(st, T0 + 1, 10, reenter, &j), 0);
    assert_string_equal(j.text, "a,b");
    close_store(st);
}

/* ---- due and earliest ---------------------------------------------------------------------------- */

void conformance_due(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "later", T0 + SEC);
    az_test_add(st, "now", T0);
    az_test_add(st, "paused", ASYNCZ_TIME_NONE);
    az_test_add(st, "past", T0 - SEC);
    az_test_add(st, "next_us", T0 + 1);
    joined j;
    assert_string_equal(due_ids(st, T0 - SEC - 1, 10, &j), "");
    assert_string_equal(due_ids(st, T0, 10, &j), "past,now");
    /* Read-only: asking again gives the same answer, and nothing changed. */
    assert_string_equal(due_ids(st, T0, 10, &j), "past,now");
    assert_int_equal(count(st), 5);
    assert_int_equal(earliest(st), T0 - SEC);
    assert_string_equal(due_ids(st, T0 + SEC, 10, &j), "past,now,next_us,later");
    assert_string_equal(claim_ids(st, T0, 16, NULL, &j), "past,now");
    close_store(st);
}

void conformance_due_max(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    char id[16];
    for (int i = 9; i >= 0; i--) {
        snprintf(id, sizeof id, "d%d", i);
        az_test_add(st, id, T0 + i);
    }
    joined j;
    assert_string_equal(due_ids(st, T0 + 100, 3, &j), "d0,d1,d2");
    assert_string_equal(due_ids(st, T0 + 100, 1, &j), "d0");
    assert_string_equal(due_ids(st, T0 + 100, 0, &j), "");
    assert_int_equal(j.calls, 0);
    assert_string_equal(due_ids(st, T0 + 4, 100, &j), "d0,d1,d2,d3,d4");
    close_store(st);
}

void conformance_due_excludes_claimed(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + 1);
    az_test_add(st, "c", T0 + 2);
    joined j;
    assert_string_equal(claim_ids(st, T0 + 1, 1, NULL, &j), "a");
    assert_string_equal(due_ids(st, T0 + 2, 10, &j), "b,c");
    assert_string_equal(due_ids(st, T0 + LEASE, 10, &j), "b,c");
    close_store(st);
}

void conformance_due_stops(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0);
    az_test_add(st, "c", T0);
    joined j = {.stop_after = 1, .stop_with = -7};
    assert_int_equal(ops(st)->due(st, T0, 10, join_id, &j), -7);
    assert_int_equal(j.calls, 1);
    assert_string_equal(j.text, "a");
    close_store(st);
}

void conformance_earliest(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    assert_int_equal(earliest(st), ASYNCZ_TIME_NONE);
    az_test_add(st, "p", ASYNCZ_TIME_NONE);
    az_test_add(st, "q", ASYNCZ_TIME_NONE);
    assert_int_equal(earliest(st), ASYNCZ_TIME_NONE);
    az_test_add(st, "b", T0 + 10);
    assert_int_equal(earliest(st), T0 + 10);
    az_test_add(st, "a", T0 + 3);
    assert_int_equal(earliest(st), T0 + 3);
    assert_int_equal(ops(st)->remove(st, "a"), 0);
    assert_int_equal(earliest(st), T0 + 10);
    pause_task(st, "b");
    assert_int_equal(earliest(st), ASYNCZ_TIME_NONE);
    close_store(st);
}

void conformance_earliest_lease(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "far", T0 + 10 * LEASE);
    claim_one(st, T0 + 5, "a");
    /* The claimed task needs attention when its lease lapses, before "far". */
    assert_int_equal(earliest(st), T0 + 5 + LEASE);
    az_test_add(st, "soon", T0 + 7);
    assert_int_equal(earliest(st), T0 + 7);
    close_store(st);
}

/* ---- claims -------------------------------------------------------------------------------------- */

void conformance_claim_max(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "c%d", i);
        az_test_add(st, id, T0 + i);
    }
    az_test_add(st, "future", T0 + SEC);
    joined j;
    assert_string_equal(claim_ids(st, T0 + 10, 0, NULL, &j), "");
    assert_string_equal(claim_ids(st, T0 + 10, 2, NULL, &j), "c0,c1");
    assert_string_equal(claim_ids(st, T0 + 10, 2, NULL, &j), "c2,c3");
    assert_string_equal(claim_ids(st, T0 + 10, 2, NULL, &j), "c4");
    assert_string_equal(claim_ids(st, T0 + 10, 2, NULL, &j), "");
    assert_int_equal(count(st), 6);
    close_store(st);
}

void conformance_claim_tokens_increase(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    char id[16];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "t%02d", i);
        az_test_add(st, id, T0 + i);
    }
    uint64_t last = 0;
    for (int round = 0; round < 4; round++) {
        asyncz_claim c[16];
        joined j;
        claim_ids(st, T0 + 100, 3, c, &j);
        assert_int_equal(j.calls, 3);
        for (int i = 0; i < 3; i++) {
            assert_true(c[i].token > last);
            last = c[i].token;
            asyncz_task_free(c[i].task);
        }
    }
    close_store(st);
}

void conformance_claim_lease(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "job", T0);
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0 + 2, OWNER, LEASE, 1, &c, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(asyncz_task_id(c.task), "job");
    assert_int_equal(asyncz_task_next_run_time(c.task), T0);
    assert_int_equal(c.lease_until, T0 + 2 + LEASE);
    asyncz_task_free(c.task);
    joined j;
    /* Still held: not handed out again before the lease lapses, to this owner or another. */
    assert_string_equal(claim_ids(st, T0 + 2, 1, NULL, &j), "");
    assert_string_equal(claim_ids(st, T0 + 1 + LEASE, 1, NULL, &j), "");
    asyncz_claim c2;
    assert_int_equal(ops(st)->claim(st, T0 + 3 + LEASE, "someone-else", LEASE, 1, &c2, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(asyncz_task_id(c2.task), "job");
    assert_true(c2.token > c.token);
    assert_int_equal(c2.lease_until, T0 + 3 + 2 * LEASE);
    asyncz_task_free(c2.task);
    /* The first owner's claim was taken over. */
    assert_int_equal(ops(st)->release(st, "job", c.token, NULL), ASYNCZ_ESTATE);
    assert_int_equal(count(st), 1);
    assert_int_equal(ops(st)->release(st, "job", c2.token, NULL), 0);
    assert_int_equal(count(st), 0);
    close_store(st);
}

void conformance_claim_nothing_due(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "later", T0 + 1);
    az_test_add(st, "paused", ASYNCZ_TIME_NONE);
    joined j;
    assert_string_equal(claim_ids(st, T0, 16, NULL, &j), "");
    assert_int_equal(stored_time(st, "later"), T0 + 1);
    assert_string_equal(claim_ids(st, T0 + 1, 16, NULL, &j), "later");
    close_store(st);
}

/* Release id with a copy of its stored task due at when (ASYNCZ_TIME_NONE: paused); returns the result. */
static int release_at(asyncz_store *st, const char *id, uint64_t token, asyncz_time_t when)
{
    asyncz_task *next = az_test_task(id, when);
    int rc = ops(st)->release(st, id, token, next);
    asyncz_task_free(next);
    return rc;
}

void conformance_release_update(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    az_test_add(st, "s", T0 + 3 * SEC);
    uint64_t token = claim_one(st, T0, "r");
    assert_int_equal(release_at(st, "r", token, T0 + 5 * SEC), 0);
    assert_int_equal(count(st), 2);
    assert_int_equal(stored_time(st, "r"), T0 + 5 * SEC);
    assert_int_equal(earliest(st), T0 + 3 * SEC);
    joined j;
    assert_string_equal(list_ids(st, &j), "s,r");
    /* Unclaimed again: due and claimable at its new time, well before the old lease would lapse. */
    assert_string_equal(due_ids(st, T0 + 5 * SEC, 10, &j), "s,r");
    uint64_t again = claim_one(st, T0 + 5 * SEC, "s");
    assert_true(claim_one(st, T0 + 5 * SEC, "r") > again);
    close_store(st);
}

void conformance_release_remove(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    az_test_add(st, "s", T0 + 1);
    uint64_t token = claim_one(st, T0, "r");
    assert_int_equal(ops(st)->release(st, "r", token, NULL), 0);
    assert_int_equal(count(st), 1);
    assert_missing(st, "r");
    assert_int_equal(earliest(st), T0 + 1);
    token = claim_one(st, T0 + 1, "s");
    assert_int_equal(release_at(st, "s", token, ASYNCZ_TIME_NONE), 0);
    assert_int_equal(stored_time(st, "s"), ASYNCZ_TIME_NONE);
    assert_int_equal(earliest(st), ASYNCZ_TIME_NONE);
    joined j;
    assert_string_equal(due_ids(st, ASYNCZ_TIME_MAX, 10, &j), "");
    close_store(st);
}

void conformance_release_stale_token(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    uint64_t token = claim_one(st, T0, "r");
    assert_int_equal(release_at(st, "r", token + 1, T0 + SEC), ASYNCZ_ESTATE);
    assert_int_equal(release_at(st, "r", token - 1, T0 + SEC), ASYNCZ_ESTATE);
    assert_int_equal(ops(st)->release(st, "r", token + 1, NULL), ASYNCZ_ESTATE);
    /* Nothing changed: same time, still claimed, and the right token still works. */
    assert_int_equal(count(st), 1);
    assert_int_equal(stored_time(st, "r"), T0);
    assert_int_equal(earliest(st), T0 + LEASE);
    joined j;
    assert_string_equal(claim_ids(st, T0 + 1, 1, NULL, &j), "");
    assert_int_equal(release_at(st, "r", token, T0 + SEC), 0);
    assert_int_equal(stored_time(st, "r"), T0 + SEC);
    close_store(st);
}

/* A release repeated with its token (its owner lost the reply) succeeds and changes nothing. */
void conformance_release_twice(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    uint64_t token = claim_one(st, T0, "r");
    assert_int_equal(release_at(st, "r", token, T0 + SEC), 0);
    assert_int_equal(release_at(st, "r", token, T0 + 2 * SEC), 0);
    assert_int_equal(ops(st)->release(st, "r", token, NULL), 0);
    assert_int_equal(count(st), 1);
    assert_int_equal(stored_time(st, "r"), T0 + SEC);
    assert_int_equal(earliest(st), T0 + SEC);
    /* Another token, or token 0, is still refused. */
    assert_int_equal(release_at(st, "r", token + 1, T0 + 3 * SEC), ASYNCZ_ESTATE);
    assert_int_equal(release_at(st, "r", 0, T0 + 3 * SEC), ASYNCZ_ESTATE);
    assert_int_equal(stored_time(st, "r"), T0 + SEC);
    close_store(st);
}

/* Once the task was claimed again, updated or removed, an old release is refused (not repeated). */
void conformance_release_repeat_after_change(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    uint64_t first = claim_one(st, T0, "r");
    assert_int_equal(release_at(st, "r", first, T0 + SEC), 0);
    uint64_t second = claim_one(st, T0 + SEC, "r");
    assert_int_equal(release_at(st, "r", first, T0 + 2 * SEC), ASYNCZ_ESTATE);
    assert_int_equal(release_at(st, "r", second, T0 + 2 * SEC), 0);
    asyncz_task *t = az_test_task("r", T0 + 7 * SEC);
    assert_int_equal(ops(st)->update(st, t), 0);
    asyncz_task_free(t);
    assert_int_equal(release_at(st, "r", second, T0 + 3 * SEC), ASYNCZ_ESTATE);
    assert_int_equal(stored_time(st, "r"), T0 + 7 * SEC);
    uint64_t third = claim_one(st, T0 + 7 * SEC, "r");
    assert_int_equal(ops(st)->release(st, "r", third, NULL), 0);
    assert_int_equal(ops(st)->release(st, "r", third, NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(count(st), 0);
    close_store(st);
}

void conformance_release_unclaimed(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    assert_int_equal(release_at(st, "r", 1, T0 + SEC), ASYNCZ_ESTATE);
    assert_int_equal(ops(st)->release(st, "r", 1, NULL), ASYNCZ_ESTATE);
    assert_int_equal(ops(st)->release(st, "missing", 1, NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(stored_time(st, "r"), T0);
    close_store(st);
}

void conformance_release_after_update(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    uint64_t token = claim_one(st, T0, "r");
    /* Someone else modifies the task while it is claimed: that ends the claim. */
    asyncz_task *t = az_test_task("r", T0 + 9);
    assert_int_equal(ops(st)->update(st, t), 0);
    asyncz_task_free(t);
    assert_int_equal(release_at(st, "r", token, T0 + SEC), ASYNCZ_ESTATE);
    assert_int_equal(ops(st)->release(st, "r", token, NULL), ASYNCZ_ESTATE);
    assert_int_equal(stored_time(st, "r"), T0 + 9);
    assert_int_equal(earliest(st), T0 + 9);
    /* Claimable at its new time, without waiting for the old lease. */
    assert_true(claim_one(st, T0 + 9, "r") > token);
    close_store(st);
}

void conformance_release_after_remove(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    az_test_add(st, "r", T0);
    uint64_t token = claim_one(st, T0, "r");
    assert_int_equal(ops(st)->remove(st, "r"), 0);
    assert_int_equal(release_at(st, "r", token, T0 + SEC), ASYNCZ_ENOTFOUND);
    assert_int_equal(ops(st)->release(st, "r", token, NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(count(st), 0);
    /* A new task under the same id is not bound by the old claim. */
    az_test_add(st, "r", T0);
    assert_int_equal(release_at(st, "r", token, T0 + SEC), ASYNCZ_ESTATE);
    assert_true(claim_one(st, T0, "r") > token);
    close_store(st);
}

/* ---- volume -------------------------------------------------------------------------------------- */

#define MANY 10000

typedef struct order_check {
    asyncz_time_t last_time;
    int last_index;
    size_t seen;
    int errors;
} order_check;

/* Ids are "k<insertion index>"; check (next run time, insertion index) never goes backwards. */
static void check_next(order_check *o, const asyncz_task *task)
{
    int index = atoi(asyncz_task_id(task) + 1);
    asyncz_time_t when = asyncz_task_next_run_time(task);
    if (o->seen > 0 && (when < o->last_time || (when == o->last_time && index <= o->last_index)))
        o->errors++;
    o->last_time = when;
    o->last_index = index;
    o->seen++;
}

static int check_order(asyncz_task *task, void *userdata)
{
    check_next(userdata, task);
    return 0;
}

/* A pseudo-random time with many ties: whole milliseconds plus 0..2 µs across about 20 s. */
static asyncz_time_t scattered_time(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005u + 1442695040888963407u;
    uint64_t r = *rng >> 33;
    return T0 + (asyncz_time_t)(r % 20000) * 1000 + (asyncz_time_t)(r / 20000 % 3);
}

static void claim_all_in_order(asyncz_store *st, size_t expect)
{
    order_check o = {0};
    for (;;) {
        asyncz_claim c[256];
        size_t n = 0;
        assert_int_equal(ops(st)->claim(st, T0 + 60 * SEC, OWNER, LEASE, 256, c, &n), 0);
        for (size_t i = 0; i < n; i++) {
            check_next(&o, c[i].task);
            assert_int_equal(ops(st)->release(st, asyncz_task_id(c[i].task), c[i].token, NULL), 0);
            asyncz_task_free(c[i].task);
        }
        if (n == 0)
            break;
    }
    assert_int_equal(o.errors, 0);
    assert_int_equal(o.seen, expect);
}

void conformance_many_tasks(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    uint64_t rng = 12345;
    char id[16];
    asyncz_time_t *times = malloc(MANY * sizeof *times);
    assert_non_null(times);
    for (int i = 0; i < MANY; i++) {
        snprintf(id, sizeof id, "k%d", i);
        times[i] = scattered_time(&rng);
        az_test_add(st, id, times[i]);
    }
    for (int i = 1; i < MANY; i += 97) {
        snprintf(id, sizeof id, "k%d", i);
        assert_int_equal(stored_time(st, id), times[i]);
    }
    free(times);
    assert_int_equal(count(st), MANY);
    order_check o = {0};
    assert_int_equal(ops(st)->list(st, check_order, &o), 0);
    assert_int_equal(o.errors, 0);
    assert_int_equal(o.seen, MANY);
    for (int i = 0; i < MANY; i += 7) {
        snprintf(id, sizeof id, "k%d", i);
        assert_int_equal(ops(st)->remove(st, id), 0);
    }
    size_t left = MANY - (MANY + 6) / 7;
    assert_int_equal(count(st), left);
    claim_all_in_order(st, left);
    assert_int_equal(count(st), 0);
    close_store(st);
}

/* ---- adding many at once (asyncz_store_add_tasks) ------------------------------------------------- */

#define BATCH 1000

/* A store from the factory, connected as a tool connects one (asyncz_store_add_tasks needs that). */
static asyncz_store *open_connected(void)
{
    assert_non_null(az_store_factory);
    asyncz_store *st = NULL;
    assert_int_equal(az_store_factory(&st), 0);
    int rc = asyncz_store_connect(st);
    if (rc)
        fail_msg("asyncz_store_connect: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

/* n tasks "k0".."k<n-1>" at the given times; free with free_tasks. */
static asyncz_task **make_tasks(size_t n, const asyncz_time_t *times)
{
    asyncz_task **tasks = calloc(n, sizeof *tasks);
    assert_non_null(tasks);
    char id[24];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "k%zu", i);
        tasks[i] = az_test_task(id, times[i]);
    }
    return tasks;
}

static void free_tasks(asyncz_task **tasks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        asyncz_task_free(tasks[i]);
    free(tasks);
}

static void assert_errmsg_names(const char *part)
{
    if (!strstr(asyncz_store_errmsg(), part))
        fail_msg("the message \"%s\" does not name %s", asyncz_store_errmsg(), part);
}

void conformance_add_many(void **state)
{
    (void)state;
    asyncz_store *st = open_connected();
    uint64_t rng = 777;
    asyncz_time_t times[BATCH];
    for (size_t i = 0; i < BATCH; i++)
        times[i] = scattered_time(&rng);
    asyncz_task **tasks = make_tasks(BATCH, times);
    int rc = asyncz_store_add_tasks(st, tasks, BATCH);
    if (rc)
        fail_msg("add_tasks: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    assert_int_equal(count(st), BATCH);
    for (size_t i = 0; i < BATCH; i += 37)
        assert_int_equal(stored_time(st, asyncz_task_id(tasks[i])), times[i]);
    assert_int_equal(stored_time(st, "k999"), times[999]);
    /* Ties keep the order of the batch, as separate adds would. */
    order_check o = {0};
    assert_int_equal(ops(st)->list(st, check_order, &o), 0);
    assert_int_equal(o.errors, 0);
    assert_int_equal(o.seen, BATCH);
    free_tasks(tasks, BATCH);
    claim_all_in_order(st, BATCH);
    asyncz_store_free(st);
}

/* Tasks added in a batch follow those added before it and precede those added after it. */
void conformance_add_many_order(void **state)
{
    (void)state;
    asyncz_store *st = open_connected();
    az_test_add(st, "before", T0);
    asyncz_time_t times[3] = {T0, T0 - SEC, ASYNCZ_TIME_NONE};
    asyncz_task **tasks = make_tasks(3, times);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 3), 0);
    az_test_add(st, "after", T0);
    joined j;
    assert_string_equal(list_ids(st, &j), "k1,before,k0,after,k2");
    free_tasks(tasks, 3);
    asyncz_store_free(st);
}

/* One taken id: nothing of the batch is added, and the message names the first taken id. */
void conformance_add_many_conflict(void **state)
{
    (void)state;
    asyncz_store *st = open_connected();
    az_test_add(st, "k5", T0 + 5 * SEC);
    az_test_add(st, "k7", T0 + 7 * SEC);
    asyncz_time_t times[10];
    for (size_t i = 0; i < 10; i++)
        times[i] = T0 + (asyncz_time_t)i * SEC;
    asyncz_task **tasks = make_tasks(10, times);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 10), ASYNCZ_EEXISTS);
    assert_errmsg_names("\"k5\"");
    assert_int_equal(count(st), 2);
    assert_missing(st, "k0");
    assert_missing(st, "k9");
    joined j;
    assert_string_equal(list_ids(st, &j), "k5,k7");
    /* Without the conflicts, the same batch goes in whole. */
    assert_int_equal(ops(st)->remove(st, "k5"), 0);
    assert_int_equal(ops(st)->remove(st, "k7"), 0);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 10), 0);
    assert_string_equal(list_ids(st, &j), "k0,k1,k2,k3,k4,k5,k6,k7,k8,k9");
    free_tasks(tasks, 10);
    asyncz_store_free(st);
}

/* The same id twice in one batch is the caller's mistake: ASYNCZ_EINVAL naming it, nothing added. */
void conformance_add_many_duplicate(void **state)
{
    (void)state;
    asyncz_store *st = open_connected();
    asyncz_task *tasks[3] = {az_test_task("a", T0), az_test_task("b", T0), az_test_task("a", T0 + SEC)};
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 3), ASYNCZ_EINVAL);
    assert_errmsg_names("\"a\"");
    assert_int_equal(count(st), 0);
    for (size_t i = 0; i < 3; i++)
        asyncz_task_free(tasks[i]);
    asyncz_store_free(st);
}

/* Bad arguments, an empty batch, a store that is not connected. */
void conformance_add_many_invalid(void **state)
{
    (void)state;
    asyncz_task *t = az_test_task("x", T0);
    asyncz_task *anonymous = NULL;
    assert_int_equal(asyncz_task_new(&anonymous, "job"), 0);
    assert_int_equal(asyncz_store_add_tasks(NULL, &t, 1), ASYNCZ_EINVAL);
    asyncz_store *st = NULL;
    assert_int_equal(az_store_factory(&st), 0);
    assert_int_equal(asyncz_store_add_tasks(st, &t, 1), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_connect(st), 0);
    assert_int_equal(asyncz_store_add_tasks(st, NULL, 0), 0);
    assert_int_equal(asyncz_store_add_tasks(st, NULL, 1), ASYNCZ_EINVAL);
    asyncz_task *with_null[2] = {t, NULL};
    assert_int_equal(asyncz_store_add_tasks(st, with_null, 2), ASYNCZ_EINVAL);
    assert_errmsg_names("task 2 of 2 is NULL");
    asyncz_task *without_id[2] = {t, anonymous};
    assert_int_equal(asyncz_store_add_tasks(st, without_id, 2), ASYNCZ_EINVAL);
    assert_errmsg_names("without an id");
    assert_int_equal(count(st), 0);
    assert_int_equal(asyncz_store_add_tasks(st, &t, 1), 0);
    assert_int_equal(stored_time(st, "x"), T0);
    asyncz_task_free(t);
    asyncz_task_free(anonymous);
    asyncz_store_free(st);
}

void conformance_non_ascii(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    static const char name[] = "Zürich – 東京 → naïve 🚀";
    asyncz_task *t = az_test_task("unicode", T0);
    assert_int_equal(asyncz_task_set_name(t, name), 0);
    assert_int_equal(asyncz_task_set_args_json(t, "[\"héllo\", \"日本語\", {\"ключ\": \"значение\"}]"), 0);
    char *args = strdup(asyncz_task_args_json(t));
    assert_non_null(args);
    assert_int_equal(ops(st)->add(st, t), 0);
    asyncz_task_free(t);
    asyncz_task *got = NULL;
    assert_int_equal(ops(st)->lookup(st, "unicode", &got), 0);
    assert_string_equal(asyncz_task_name(got), name);
    assert_string_equal(asyncz_task_args_json(got), args);
    asyncz_task_free(got);
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0, OWNER, LEASE, 1, &c, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(asyncz_task_name(c.task), name);
    asyncz_task_free(c.task);
    free(args);
    close_store(st);
}

/* ---- threads ------------------------------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 400
#define FAR (T0 + 1000000 * SEC)

/* What happened to one task, as the threads saw it. */
typedef struct fate {
    bool added;
    int removed;  /* successful removals (by its owner or by a release) */
    int claimed;  /* times handed out */
    int released; /* successful releases with a new time */
    asyncz_time_t added_when, released_when;
} fate;

typedef struct worker {
    asyncz_store *st;
    int tid;
    fate *fates; /* [THREADS][PER_THREAD], each thread writes only under the lock below */
    pthread_mutex_t *log_lock;
    char error[160]; /* the first unexpected result */
} worker;

static void fail_once(worker *w, const char *what, const char *id, int rc)
{
    if (!w->error[0])
        snprintf(w->error, sizeof w->error, "thread %d: %s %s: %s", w->tid, what, id, asyncz_err_name(rc));
}

static fate *fate_of(worker *w, const char *id)
{
    int tid = 0, i = 0;
    if (sscanf(id, "t%d-%d", &tid, &i) != 2 || tid < 0 || tid >= THREADS || i < 0 || i >= PER_THREAD)
        return NULL;
    return &w->fates[tid * PER_THREAD + i];
}

static void note(worker *w, const char *id, int removed, int claimed, int released, asyncz_time_t when)
{
    pthread_mutex_lock(w->log_lock);
    fate *f = fate_of(w, id);
    if (!f) {
        pthread_mutex_unlock(w->log_lock);
        fail_once(w, "unknown id", id, 0);
        return;
    }
    f->removed += removed;
    f->claimed += claimed;
    f->released += released;
    if (released)
        f->released_when = when;
    pthread_mutex_unlock(w->log_lock);
}

/* Release one claim: odd tokens remove the task, even ones move it far into the future (never claimed
 * again, so each task is claimed at most once). The task may have been removed by its owner meanwhile. */
static void work_release(worker *w, asyncz_claim *c, int serial)
{
    const char *id = asyncz_task_id(c->task);
    asyncz_task *next = NULL;
    asyncz_time_t when = FAR + serial;
    if (c->token % 2 == 0 &&
        (asyncz_task_copy(&next, c->task) != 0 || asyncz_task_set_next_run_time(next, when) != 0)) {
        fail_once(w, "copy", id, ASYNCZ_ENOMEM);
        return;
    }
    int rc = ASYNCZ_STORE_BASE(w->st)->ops->release(w->st, id, c->token, next);
    if (rc == 0)
        note(w, id, next ? 0 : 1, 0, next ? 1 : 0, when);
    else if (rc != ASYNCZ_ENOTFOUND)
        fail_once(w, "release", id, rc);
    asyncz_task_free(next);
}

static void work_claim(worker *w, uint64_t *last_token, int serial)
{
    const asyncz_store_ops *o = ASYNCZ_STORE_BASE(w->st)->ops;
    asyncz_claim c[3];
    size_t n = 0;
    int rc = o->claim(w->st, T0 + 1000 * SEC, "worker", 3600 * SEC, 3, c, &n);
    if (rc != 0)
        fail_once(w, "claim", "-", rc);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        if (c[k].token <= *last_token)
            fail_once(w, "token not increasing", asyncz_task_id(c[k].task), 0);
        *last_token = c[k].token;
        note(w, asyncz_task_id(c[k].task), 0, 1, 0, 0);
        work_release(w, &c[k], serial * 4 + (int)k);
        asyncz_task_free(c[k].task);
    }
}

static void work_add(worker *w, int i)
{
    char id[32];
    snprintf(id, sizeof id, "t%d-%d", w->tid, i);
    asyncz_task *t = NULL;
    int rc = asyncz_task_new(&t, "job");
    asyncz_time_t when = T0 + i * 10 + w->tid;
    if (rc == 0)
        rc = asyncz_task_set_id(t, id);
    if (rc == 0)
        rc = asyncz_task_set_next_run_time(t, when);
    if (rc == 0)
        rc = ASYNCZ_STORE_BASE(w->st)->ops->add(w->st, t);
    asyncz_task_free(t);
    if (rc != 0) {
        fail_once(w, "add", id, rc);
        return;
    }
    pthread_mutex_lock(w->log_lock);
    fate_of(w, id)->added = true;
    fate_of(w, id)->added_when = when; /* apart from released_when: a release may be logged first */
    pthread_mutex_unlock(w->log_lock);
}

static void work_remove(worker *w, int i)
{
    char id[32];
    snprintf(id, sizeof id, "t%d-%d", w->tid, i);
    int rc = ASYNCZ_STORE_BASE(w->st)->ops->remove(w->st, id);
    if (rc == 0)
        note(w, id, 1, 0, 0, 0);
    else if (rc != ASYNCZ_ENOTFOUND)
        fail_once(w, "remove", id, rc);
}

static void *work(void *p)
{
    worker *w = p;
    uint64_t last_token = 0;
    for (int i = 0; i < PER_THREAD && !w->error[0]; i++) {
        work_add(w, i);
        if (i % 3 == 2)
            work_remove(w, i - 1);
        if (i % 2 == 1)
            work_claim(w, &last_token, i);
        if (i % 50 == 0) {
            size_t n = 0;
            int rc = ASYNCZ_STORE_BASE(w->st)->ops->count(w->st, &n);
            if (rc != 0)
                fail_once(w, "count", "-", rc);
        }
    }
    return NULL;
}

typedef struct final_check {
    fate *fates;
    size_t seen;
    int errors;
    asyncz_time_t last;
} final_check;

static int check_final(asyncz_task *task, void *userdata)
{
    final_check *c = userdata;
    int tid = -1, i = -1;
    const char *id = asyncz_task_id(task);
    if (sscanf(id, "t%d-%d", &tid, &i) != 2 || tid < 0 || tid >= THREADS || i < 0 || i >= PER_THREAD) {
        c->errors++;
        return 0;
    }
    fate *f = &c->fates[tid * PER_THREAD + i];
    asyncz_time_t when = asyncz_task_next_run_time(task);
    asyncz_time_t expect = f->released ? f->released_when : f->added_when;
    if (!f->added || f->removed != 0 || expect != when || (c->seen > 0 && when < c->last))
        c->errors++;
    c->last = when;
    c->seen++;
    return 0;
}

/* Every task was removed at most once and claimed at most once; count the ones that should remain. */
static size_t expected_remaining(const fate *fates)
{
    size_t left = 0, claimed = 0, released = 0;
    for (int k = 0; k < THREADS * PER_THREAD; k++) {
        claimed += (size_t)fates[k].claimed;
        released += (size_t)fates[k].released;
        assert_true(fates[k].added);
        assert_true(fates[k].removed <= 1);
        assert_true(fates[k].claimed <= 1);
        assert_true(fates[k].released <= fates[k].claimed);
        left += fates[k].removed == 0;
    }
    /* The threads really claimed and released: every second step claims up to three due tasks. */
    assert_true(claimed >= PER_THREAD);
    assert_true(released > 0 && released < claimed);
    return left;
}

void conformance_threads(void **state)
{
    (void)state;
    asyncz_store *st = open_store();
    fate *fates = calloc(THREADS * PER_THREAD, sizeof *fates);
    assert_non_null(fates);
    pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){.st = st, .tid = t, .fates = fates, .log_lock = &log_lock};
        assert_int_equal(pthread_create(&th[t], NULL, work, &w[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < THREADS; t++)
        if (w[t].error[0])
            fail_msg("%s", w[t].error);
    size_t left = expected_remaining(fates);
    assert_int_equal(count(st), left);
    final_check c = {.fates = fates};
    assert_int_equal(ops(st)->list(st, check_final, &c), 0);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.seen, left);
    free(fates);
    close_store(st);
}
