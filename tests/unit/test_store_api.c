/* The public store API (asyncz/store.h) on the memory store: every function through the conformance_api_*
 * tests (store_api_conformance.c, which every store's program runs too), and what does not depend on a
 * store: argument checks, a store that is not connected, the filter's versions and fields, the state of a
 * task, asyncz_alias_valid, and a custom store's message (asyncz_store_set_errmsg) reaching its caller. */
#include <stdlib.h>
#include <string.h>

#include "store_conformance.h"

#define T0 INT64_C(1800000000000000)

static int make_memory_store(asyncz_store **out)
{
    return asyncz_store_memory_new(out);
}

static asyncz_store *connected_memory(void)
{
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    assert_int_equal(asyncz_store_connect(st), 0);
    return st;
}

static void assert_msg_has(const char *part)
{
    if (!strstr(asyncz_store_errmsg(), part))
        fail_msg("asyncz_store_errmsg() \"%s\" does not name \"%s\"", asyncz_store_errmsg(), part);
}

/* ---- arguments and state ------------------------------------------------------------------------- */

static void api_null_arguments(void **state)
{
    (void)state;
    asyncz_task *t = (asyncz_task *)&t;
    asyncz_task_list *l = (asyncz_task_list *)&l;
    bool flag = true;
    assert_int_equal(asyncz_store_get_task(NULL, "a", &t), ASYNCZ_EINVAL);
    assert_null(t);
    assert_msg_has("no store");
    assert_int_equal(asyncz_store_add_task(NULL, NULL, false), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_update_task(NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_remove_task(NULL, "a"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_pause_task(NULL, "a", &t, &flag), ASYNCZ_EINVAL);
    assert_false(flag);
    assert_int_equal(asyncz_store_resume_task(NULL, "a", T0, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_request_run(NULL, "a", T0, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_list_tasks(NULL, NULL, &l), ASYNCZ_EINVAL);
    assert_null(l);

    asyncz_store *st = connected_memory();
    assert_int_equal(asyncz_store_get_task(st, NULL, &t), ASYNCZ_EINVAL);
    assert_msg_has("NULL is not a valid task id");
    assert_int_equal(asyncz_store_get_task(st, "a", NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_remove_task(st, ""), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_pause_task(st, ".x", NULL, NULL), ASYNCZ_EINVAL);
    assert_msg_has("\".x\" is not a valid task id");
    assert_int_equal(asyncz_store_resume_task(st, NULL, T0, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_request_run(st, "a b", T0, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_request_run(st, "a", ASYNCZ_TIME_MIN - 1, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_list_tasks(st, NULL, NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

static void api_not_connected(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    asyncz_task *t = az_test_task("a", T0);
    asyncz_task_list *l = NULL;
    assert_int_equal(asyncz_store_add_task(st, t, false), ASYNCZ_ESTATE);
    assert_msg_has("the memory store is not connected");
    assert_int_equal(asyncz_store_update_task(st, t), ASYNCZ_ESTATE);
    asyncz_task *got = (asyncz_task *)&got;
    assert_int_equal(asyncz_store_get_task(st, "a", &got), ASYNCZ_ESTATE);
    assert_null(got);
    asyncz_task_free(t);
    assert_int_equal(asyncz_store_remove_task(st, "a"), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_pause_task(st, "a", NULL, NULL), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_resume_task(st, "a", T0, NULL, NULL), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_request_run(st, "a", T0, NULL, NULL), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_list_tasks(st, NULL, &l), ASYNCZ_ESTATE);
    asyncz_store_free(st);
}

/* A failure's message is this call's: a success clears nothing, but the next failure replaces it. */
static void api_message_per_call(void **state)
{
    (void)state;
    asyncz_store *st = connected_memory();
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_store_get_task(st, "first", &t), ASYNCZ_ENOTFOUND);
    assert_msg_has("first");
    assert_int_equal(asyncz_store_remove_task(st, "second"), ASYNCZ_ENOTFOUND);
    assert_string_equal(asyncz_store_errmsg(), "no task with id \"second\" in the memory store");
    asyncz_store_free(st);
}

/* ---- the filter ----------------------------------------------------------------------------------- */

static void api_filter_versions(void **state)
{
    (void)state;
    asyncz_task_filter f;
    memset(&f, 0xab, sizeof f);
    assert_int_equal(asyncz_task_filter_init_version(&f, ASYNCZ_TASK_FILTER_VERSION), 0);
    assert_int_equal(f.version, ASYNCZ_TASK_FILTER_VERSION);
    assert_int_equal(f.states, ASYNCZ_TASK_STATE_ALL);
    assert_null(f.trigger);
    assert_null(f.executor);
    assert_null(f.query);
    assert_int_equal(f.sort, ASYNCZ_TASK_SORT_NEXT);
    assert_false(f.descending);
    assert_int_equal(f.offset, 0);
    assert_true(f.limit == ASYNCZ_TASK_FILTER_NO_LIMIT);
    assert_int_equal(asyncz_task_filter_init_version(NULL, 1), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_filter_init_version(&f, 0), ASYNCZ_EINVAL);
    assert_int_equal(f.version, 0);
    assert_msg_has("asyncz_task_filter.version is 0");
    assert_int_equal(asyncz_task_filter_init_version(&f, ASYNCZ_TASK_FILTER_VERSION + 1), ASYNCZ_EINVAL);
    assert_msg_has("newer asyncz header");

    asyncz_store *st = connected_memory();
    az_test_add(st, "a", T0);
    asyncz_task_list *l = (asyncz_task_list *)&l;
    f.version = 0; /* never filled */
    assert_int_equal(asyncz_store_list_tasks(st, &f, &l), ASYNCZ_EINVAL);
    assert_null(l);
    assert_msg_has("asyncz_task_filter_init");
    f.version = ASYNCZ_TASK_FILTER_VERSION + 1;
    assert_int_equal(asyncz_store_list_tasks(st, &f, &l), ASYNCZ_EINVAL);
    asyncz_task_filter_init(&f);
    f.states = 8;
    assert_int_equal(asyncz_store_list_tasks(st, &f, &l), ASYNCZ_EINVAL);
    assert_msg_has("states");
    asyncz_task_filter_init(&f);
    f.sort = (asyncz_task_sort)7;
    assert_int_equal(asyncz_store_list_tasks(st, &f, &l), ASYNCZ_EINVAL);
    assert_msg_has("sort");
    asyncz_task_filter_init(&f);
    assert_int_equal(asyncz_store_list_tasks(st, &f, &l), 0);
    assert_int_equal(asyncz_task_list_count(l), 1);
    asyncz_task_list_free(l);
    asyncz_store_free(st);
}

static void api_task_list_counts(void **state)
{
    (void)state;
    assert_int_equal(asyncz_task_list_count(NULL), 0);
    assert_int_equal(asyncz_task_list_stored(NULL), 0);
    assert_int_equal(asyncz_task_list_matched(NULL), 0);
    assert_null(asyncz_task_list_at(NULL, 0));
    asyncz_task_list_free(NULL);
    asyncz_store *st = connected_memory();
    asyncz_task_list *l = NULL;
    assert_int_equal(asyncz_store_list_tasks(st, NULL, &l), 0);
    assert_int_equal(asyncz_task_list_count(l), 0);
    assert_int_equal(asyncz_task_list_stored(l), 0);
    assert_null(asyncz_task_list_at(l, 0));
    asyncz_task_list_free(l);
    asyncz_store_free(st);
}

static void api_task_state(void **state)
{
    (void)state;
    assert_int_equal(asyncz_task_state(NULL), 0);
    asyncz_task *t = az_test_task("s", T0);
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_SCHEDULED);
    assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE), 0);
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_PAUSED);
    assert_int_equal(asyncz_task_request_run(t, T0), 0); /* a queued run: still paused */
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_PAUSED);
    asyncz_trigger *shut = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&shut), 0);
    assert_int_equal(asyncz_task_set_trigger(t, shut), 0);
    asyncz_trigger_unref(shut);
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_PAUSED); /* the queued run gives it a time */
    assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE), 0);
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_SHUTDOWN);
    asyncz_task_free(t);
}

static void api_alias_valid(void **state)
{
    (void)state;
    char longest[ASYNCZ_TASK_ALIAS_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[ASYNCZ_TASK_ALIAS_MAX] = '\0';
    assert_true(asyncz_alias_valid("default"));
    assert_true(asyncz_alias_valid("A.b-c_9"));
    assert_true(asyncz_alias_valid(longest));
    longest[ASYNCZ_TASK_ALIAS_MAX] = 'a';
    longest[ASYNCZ_TASK_ALIAS_MAX + 1] = '\0';
    assert_false(asyncz_alias_valid(longest));
    assert_false(asyncz_alias_valid(""));
    assert_false(asyncz_alias_valid(NULL));
    assert_false(asyncz_alias_valid("a b"));
    assert_false(asyncz_alias_valid("a/b"));
    assert_false(asyncz_alias_valid("caf\xc3\xa9"));
}

/* ---- a custom store's message -------------------------------------------------------------------- */

/* A custom store over a memory store: lookup of an id starting with "broken" fails with a message of its
 * own, set with asyncz_store_set_errmsg; update of "quiet" fails without one. */
typedef struct wrapped {
    asyncz_store_base base;
    asyncz_store *inner;
} wrapped;

static asyncz_store *inner(asyncz_store *st)
{
    return ((wrapped *)(void *)st)->inner;
}

static const asyncz_store_ops *inner_ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(inner(st))->ops;
}

static int w_add(asyncz_store *st, asyncz_task *t)
{
    return inner_ops(st)->add(inner(st), t);
}

static int w_update(asyncz_store *st, asyncz_task *t)
{
    if (strcmp(asyncz_task_id(t), "quiet") == 0)
        return ASYNCZ_ESTORE;
    return inner_ops(st)->update(inner(st), t);
}

static int w_remove(asyncz_store *st, const char *id)
{
    return inner_ops(st)->remove(inner(st), id);
}

static int w_remove_all(asyncz_store *st)
{
    return inner_ops(st)->remove_all(inner(st));
}

static int w_lookup(asyncz_store *st, const char *id, asyncz_task **out)
{
    if (strncmp(id, "broken", 6) == 0) {
        asyncz_store_set_errmsg("custom store: the record of task \"%s\" is on a disk that is %s", id,
                                "gone");
        return ASYNCZ_EIO;
    }
    return inner_ops(st)->lookup(inner(st), id, out);
}

static int w_list(asyncz_store *st, asyncz_store_each_fn each, void *userdata)
{
    (void)each;
    (void)userdata;
    (void)st;
    asyncz_store_set_errmsg("custom store: cannot list: the index is %d%% built", 40);
    return ASYNCZ_ESTORE;
}

static int w_due(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *userdata)
{
    return inner_ops(st)->due(inner(st), now, max, each, userdata);
}

static int w_earliest(asyncz_store *st, asyncz_time_t *out)
{
    return inner_ops(st)->earliest(inner(st), out);
}

static int w_count(asyncz_store *st, size_t *out)
{
    return inner_ops(st)->count(inner(st), out);
}

static int w_claim(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease, size_t max,
                   asyncz_claim *out, size_t *n)
{
    return inner_ops(st)->claim(inner(st), now, owner, lease, max, out, n);
}

static int w_release(asyncz_store *st, const char *id, uint64_t token, asyncz_task *next)
{
    return inner_ops(st)->release(inner(st), id, token, next);
}

static int w_add_many(asyncz_store *st, asyncz_task *const *tasks, size_t n)
{
    asyncz_task *t = NULL;
    for (size_t i = 0; i < n; i++)
        if (inner_ops(st)->lookup(inner(st), asyncz_task_id(tasks[i]), &t) == 0) {
            asyncz_task_free(t);
            asyncz_store_set_errmsg("custom store: task \"%s\" is taken", asyncz_task_id(tasks[i]));
            return ASYNCZ_EEXISTS;
        }
    for (size_t i = 0; i < n; i++)
        (void)inner_ops(st)->add(inner(st), tasks[i]);
    return 0;
}

static void w_destroy(asyncz_store *st)
{
    asyncz_store_free(inner(st));
    free(st);
}

static const asyncz_store_ops wrapped_ops = {
    .version = ASYNCZ_STORE_OPS_VERSION,
    .name = "custom",
    .add = w_add,
    .update = w_update,
    .remove = w_remove,
    .remove_all = w_remove_all,
    .lookup = w_lookup,
    .list = w_list,
    .due = w_due,
    .earliest = w_earliest,
    .count = w_count,
    .claim = w_claim,
    .release = w_release,
    .destroy = w_destroy,
    .add_many = w_add_many,
};

static asyncz_store *custom_store(void)
{
    wrapped *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(asyncz_store_memory_new(&w->inner), 0);
    assert_int_equal(asyncz_store_base_init(&w->base, &wrapped_ops), 0);
    asyncz_store *st = (asyncz_store *)(void *)&w->base;
    assert_int_equal(asyncz_store_connect(st), 0);
    return st;
}

static void api_custom_store_message(void **state)
{
    (void)state;
    asyncz_store *st = custom_store();
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_store_get_task(st, "broken-1", &t), ASYNCZ_EIO);
    assert_string_equal(asyncz_store_errmsg(),
                        "custom store: the record of task \"broken-1\" is on a disk that is gone");
    assert_int_equal(asyncz_store_pause_task(st, "broken-2", NULL, NULL), ASYNCZ_EIO);
    assert_msg_has("\"broken-2\" is on a disk");
    asyncz_task_list *l = NULL;
    assert_int_equal(asyncz_store_list_tasks(st, NULL, &l), ASYNCZ_ESTORE);
    assert_string_equal(asyncz_store_errmsg(), "custom store: cannot list: the index is 40% built");

    /* A store that says nothing gets a message naming the task and the store. */
    t = az_test_task("quiet", T0);
    assert_int_equal(asyncz_store_add_task(st, t, false), 0);
    assert_int_equal(asyncz_store_update_task(st, t), ASYNCZ_ESTORE);
    assert_string_equal(asyncz_store_errmsg(),
                        "cannot write task \"quiet\" in the custom store: store error");
    assert_int_equal(asyncz_store_add_task(st, t, false), ASYNCZ_EEXISTS);
    assert_string_equal(asyncz_store_errmsg(), "the custom store already holds a task with id \"quiet\"");

    /* add_many names the first taken id, as sys/store.h asks, and asyncz_store_add_tasks passes it on. */
    asyncz_task *two[2] = {az_test_task("fresh", T0), t};
    assert_int_equal(asyncz_store_add_tasks(st, two, 2), ASYNCZ_EEXISTS);
    assert_string_equal(asyncz_store_errmsg(), "custom store: task \"quiet\" is taken");
    asyncz_task_free(two[0]);
    asyncz_task_free(t);

    asyncz_store_set_errmsg("%s", "");
    assert_string_equal(asyncz_store_errmsg(), "");
    asyncz_store_free(st);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conformance_api_get_task),
        cmocka_unit_test(conformance_api_add_task),
        cmocka_unit_test(conformance_api_update_task),
        cmocka_unit_test(conformance_api_remove_task),
        cmocka_unit_test(conformance_api_pause_task),
        cmocka_unit_test(conformance_api_resume_task),
        cmocka_unit_test(conformance_api_resume_exhausted),
        cmocka_unit_test(conformance_api_request_run),
        cmocka_unit_test(conformance_api_list_filters),
        cmocka_unit_test(conformance_api_list_sort_limit),
        cmocka_unit_test(api_null_arguments),
        cmocka_unit_test(api_not_connected),
        cmocka_unit_test(api_message_per_call),
        cmocka_unit_test(api_filter_versions),
        cmocka_unit_test(api_task_list_counts),
        cmocka_unit_test(api_task_state),
        cmocka_unit_test(api_alias_valid),
        cmocka_unit_test(api_custom_store_message),
    };
    az_store_factory = make_memory_store;
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
