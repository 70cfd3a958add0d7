/* asyncz_store_add_tasks over a store without add_many: a tiny store that passes every operation on to a
 * memory store, but has no add_many (or declares ops version 2), and can be told to fail its Nth add. The
 * wrapper must then add one by one and remove what it added when an add fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_test.h"
#include "asyncz/sys/store.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC

typedef struct plain_store {
    asyncz_store_base base;
    asyncz_store *inner; /* a memory store */
    int adds;            /* adds seen */
    int fail_add;        /* the add (1-based) that fails with ASYNCZ_ESTORE; 0: none */
    int removes;
    int add_many_calls;
} plain_store;

static plain_store *P(asyncz_store *st)
{
    return (plain_store *)st;
}

static const asyncz_store_ops *inner_ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(P(st)->inner)->ops;
}

static int p_add(asyncz_store *st, asyncz_task *task)
{
    if (++P(st)->adds == P(st)->fail_add)
        return ASYNCZ_ESTORE;
    return inner_ops(st)->add(P(st)->inner, task);
}

static int p_update(asyncz_store *st, asyncz_task *task)
{
    return inner_ops(st)->update(P(st)->inner, task);
}

static int p_remove(asyncz_store *st, const char *id)
{
    P(st)->removes++;
    return inner_ops(st)->remove(P(st)->inner, id);
}

static int p_remove_all(asyncz_store *st)
{
    return inner_ops(st)->remove_all(P(st)->inner);
}

static int p_lookup(asyncz_store *st, const char *id, asyncz_task **out)
{
    return inner_ops(st)->lookup(P(st)->inner, id, out);
}

static int p_list(asyncz_store *st, asyncz_store_each_fn each, void *userdata)
{
    return inner_ops(st)->list(P(st)->inner, each, userdata);
}

static int p_due(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *userdata)
{
    return inner_ops(st)->due(P(st)->inner, now, max, each, userdata);
}

static int p_earliest(asyncz_store *st, asyncz_time_t *out)
{
    return inner_ops(st)->earliest(P(st)->inner, out);
}

static int p_count(asyncz_store *st, size_t *out)
{
    return inner_ops(st)->count(P(st)->inner, out);
}

static int p_claim(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                   asyncz_claim *out, size_t *n_out)
{
    return inner_ops(st)->claim(P(st)->inner, now, owner, lease_usec, max, out, n_out);
}

static int p_release(asyncz_store *st, const char *id, uint64_t token, asyncz_task *next)
{
    return inner_ops(st)->release(P(st)->inner, id, token, next);
}

static void p_destroy(asyncz_store *st)
{
    asyncz_store_free(P(st)->inner);
    free(st);
}

/* Present only in the version-2 table, where asyncz must never read it. */
static int p_add_many(asyncz_store *st, asyncz_task *const *tasks, size_t n)
{
    (void)tasks;
    (void)n;
    P(st)->add_many_calls++;
    return ASYNCZ_EUNSUPPORTED;
}

#define PLAIN_OPS(version_, add_many_)                                                                       \
    {                                                                                                        \
        .version = (version_), .name = "plain", .add = p_add, .update = p_update, .remove = p_remove,        \
        .remove_all = p_remove_all, .lookup = p_lookup, .list = p_list, .due = p_due,                        \
        .earliest = p_earliest, .count = p_count, .claim = p_claim, .release = p_release,                    \
        .destroy = p_destroy, .add_many = (add_many_),                                                       \
    }

static const asyncz_store_ops plain_ops = PLAIN_OPS(ASYNCZ_STORE_OPS_VERSION, NULL);
static const asyncz_store_ops v2_ops = PLAIN_OPS(2, p_add_many);

static asyncz_store *plain_new(const asyncz_store_ops *ops)
{
    plain_store *p = calloc(1, sizeof *p);
    assert_non_null(p);
    assert_int_equal(asyncz_store_memory_new(&p->inner), 0);
    assert_int_equal(asyncz_store_base_init(&p->base, ops), 0);
    asyncz_store *st = (asyncz_store *)p;
    assert_int_equal(asyncz_store_connect(st), 0);
    return st;
}

/* Five tasks "t0".."t4", a second apart. */
static void make_five(asyncz_task *tasks[5])
{
    char id[8];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "t%d", i);
        tasks[i] = az_test_task(id, T0 + i * SEC);
    }
}

static void free_five(asyncz_task *tasks[5])
{
    for (int i = 0; i < 5; i++)
        asyncz_task_free(tasks[i]);
}

static size_t count_of(asyncz_store *st)
{
    size_t n = 999;
    assert_int_equal(ASYNCZ_STORE_BASE(st)->ops->count(st, &n), 0);
    return n;
}

static void fallback_adds_all(void **state)
{
    (void)state;
    asyncz_store *st = plain_new(&plain_ops);
    asyncz_task *tasks[5];
    make_five(tasks);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 5), 0);
    assert_int_equal(P(st)->adds, 5);
    assert_int_equal(P(st)->removes, 0);
    assert_int_equal(count_of(st), 5);
    free_five(tasks);
    asyncz_store_free(st);
}

/* An id the store holds: the ones added before it are removed, and the message names it. */
static void fallback_conflict_undoes(void **state)
{
    (void)state;
    asyncz_store *st = plain_new(&plain_ops);
    asyncz_task *taken = az_test_task("t3", T0);
    assert_int_equal(ASYNCZ_STORE_BASE(st)->ops->add(st, taken), 0);
    asyncz_task *tasks[5];
    make_five(tasks);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 5), ASYNCZ_EEXISTS);
    assert_string_equal(asyncz_store_errmsg(), "the plain store already holds a task with id \"t3\"");
    assert_int_equal(P(st)->adds, 1 + 4);
    assert_int_equal(P(st)->removes, 3);
    assert_int_equal(count_of(st), 1);
    asyncz_task *t = NULL;
    assert_int_equal(ASYNCZ_STORE_BASE(st)->ops->lookup(st, "t0", &t), ASYNCZ_ENOTFOUND);
    assert_int_equal(ASYNCZ_STORE_BASE(st)->ops->lookup(st, "t3", &t), 0);
    assert_int_equal(asyncz_task_next_run_time(t), T0);
    asyncz_task_free(t);
    asyncz_task_free(taken);
    free_five(tasks);
    asyncz_store_free(st);
}

/* Any other failure is undone the same way and returned as it was. */
static void fallback_failure_undoes(void **state)
{
    (void)state;
    asyncz_store *st = plain_new(&plain_ops);
    P(st)->fail_add = 4;
    asyncz_task *tasks[5];
    make_five(tasks);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 5), ASYNCZ_ESTORE);
    assert_int_equal(P(st)->removes, 3);
    assert_int_equal(count_of(st), 0);
    /* The first add failing leaves nothing to undo. */
    P(st)->adds = 0;
    P(st)->fail_add = 1;
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 5), ASYNCZ_ESTORE);
    assert_int_equal(P(st)->removes, 3);
    assert_int_equal(count_of(st), 0);
    free_five(tasks);
    asyncz_store_free(st);
}

/* A version-2 table is accepted, and its add_many (past the end of a real version-2 table) never used. */
static void fallback_version_2(void **state)
{
    (void)state;
    asyncz_store *st = plain_new(&v2_ops);
    asyncz_task *tasks[5];
    make_five(tasks);
    assert_int_equal(asyncz_store_add_tasks(st, tasks, 5), 0);
    assert_int_equal(P(st)->add_many_calls, 0);
    assert_int_equal(P(st)->adds, 5);
    assert_int_equal(count_of(st), 5);
    free_five(tasks);
    asyncz_store_free(st);
}

/* Versions other than 2, 3 and 4 are refused. */
static void ops_versions(void **state)
{
    (void)state;
    asyncz_store_base base;
    asyncz_store_ops ops = plain_ops;
    for (uint32_t v = 0; v < 7; v++) {
        ops.version = v;
        assert_int_equal(asyncz_store_base_init(&base, &ops), v >= 2 && v <= 4 ? 0 : ASYNCZ_EINVAL);
    }
}

static int no_record(const asyncz_run_record *rec, void *ud)
{
    (void)rec;
    (void)ud;
    return 0;
}

/* A store without the history ops (this one: NULL in a version 4 table; or a version 2/3 table) keeps no
 * history: the history functions say so. */
static void history_unsupported(void **state)
{
    (void)state;
    asyncz_store *st = plain_new(&plain_ops);
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "x";
    assert_int_equal(asyncz_store_list_runs(st, NULL, no_record, NULL, cursor), ASYNCZ_EUNSUPPORTED);
    assert_string_equal(cursor, "");
    assert_non_null(strstr(asyncz_store_errmsg(), "keeps no run history"));
    asyncz_run_record *rec = NULL;
    assert_int_equal(asyncz_store_get_run(st, "0191a2b3-c4d5-7000-8000-000000000001", &rec),
                     ASYNCZ_EUNSUPPORTED);
    asyncz_history_retention r = {0};
    assert_int_equal(asyncz_store_prune_runs(st, &r, 0, 10, NULL), ASYNCZ_EUNSUPPORTED);
    asyncz_store_free(st);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(fallback_adds_all),
    cmocka_unit_test(fallback_conflict_undoes),
    cmocka_unit_test(fallback_failure_undoes),
    cmocka_unit_test(fallback_version_2),
    cmocka_unit_test(ops_versions),
    cmocka_unit_test(history_unsupported),
};

AZ_TEST_MAIN(tests)
