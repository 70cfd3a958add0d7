/* The public store API (asyncz/store.h: asyncz_store_get_task ... asyncz_store_list_tasks) on every store:
 * the conformance_api_* tests of the conformance list (store_conformance_list.h), run by each store's
 * program through az_store_factory. The store is connected as a tool connects it (asyncz_store_connect).
 * What does not depend on the store (argument checks, filter versions, custom stores) is in
 * test_store_api.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_conformance.h"

#define T0 INT64_C(1800000000000000) /* 2027-01-15T08:00:00Z */
#define SEC ASYNCZ_USEC_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* ---- helpers ------------------------------------------------------------------------------------- */

static asyncz_store *connected_store(void)
{
    assert_non_null(az_store_factory);
    asyncz_store *st = NULL;
    assert_int_equal(az_store_factory(&st), 0);
    int rc = asyncz_store_connect(st);
    if (rc)
        fail_msg("asyncz_store_connect: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

static void assert_msg_has(const char *part)
{
    if (!strstr(asyncz_store_errmsg(), part))
        fail_msg("asyncz_store_errmsg() \"%s\" does not name \"%s\"", asyncz_store_errmsg(), part);
}

/* A trigger option set in UTC starting at start (ASYNCZ_TIME_NONE: unset), ending at end. */
static asyncz_trigger_options utc_options(asyncz_zone *utc, asyncz_time_t start, asyncz_time_t end)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = utc;
    o.start_date = start;
    o.end_date = end;
    return o;
}

static asyncz_trigger *interval(asyncz_time_t start, asyncz_time_t end, int64_t every)
{
    asyncz_zone *utc = az_test_zone("UTC");
    asyncz_trigger_options o = utc_options(utc, start, end);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, every, &o, NULL), 0);
    asyncz_zone_unref(utc);
    return t;
}

/* A task of function "job" with trigger (consumed; NULL: none) and next run time `next`, added. */
static void add_with(asyncz_store *st, const char *id, asyncz_trigger *trigger, asyncz_time_t next)
{
    asyncz_task *t = az_test_task(id, next);
    if (trigger)
        assert_int_equal(asyncz_task_set_trigger(t, trigger), 0);
    asyncz_trigger_unref(trigger);
    int rc = asyncz_store_add_task(st, t, false);
    if (rc)
        fail_msg("add %s: %s: %s", id, asyncz_strerror(rc), asyncz_store_errmsg());
    asyncz_task_free(t);
}

static asyncz_task *get(asyncz_store *st, const char *id)
{
    asyncz_task *t = NULL;
    int rc = asyncz_store_get_task(st, id, &t);
    if (rc)
        fail_msg("get %s: %s: %s", id, asyncz_strerror(rc), asyncz_store_errmsg());
    return t;
}

static asyncz_time_t next_of(asyncz_store *st, const char *id)
{
    asyncz_task *t = get(st, id);
    asyncz_time_t next = asyncz_task_next_run_time(t);
    asyncz_task_free(t);
    return next;
}

/* ---- one task ------------------------------------------------------------------------------------ */

void conformance_api_get_task(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "g", NULL, T0);
    asyncz_task *t = get(st, "g");
    assert_string_equal(asyncz_task_id(t), "g");
    assert_int_equal(asyncz_task_next_run_time(t), T0);
    assert_int_equal(asyncz_task_set_name(t, "changed"), 0); /* the caller's copy */
    asyncz_task_free(t);
    t = get(st, "g");
    assert_string_equal(asyncz_task_name(t), "job");
    asyncz_task_free(t);

    t = (asyncz_task *)&t;
    assert_int_equal(asyncz_store_get_task(st, "missing-1", &t), ASYNCZ_ENOTFOUND);
    assert_null(t);
    assert_msg_has("missing-1");
    assert_msg_has(asyncz_store_kind(st));
    assert_int_equal(asyncz_store_get_task(st, "-bad", &t), ASYNCZ_EINVAL);
    assert_msg_has("-bad");
    asyncz_store_free(st);
}

void conformance_api_add_task(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    asyncz_task *t = az_test_task("a", T0);
    assert_int_equal(asyncz_store_add_task(st, t, false), 0);
    assert_int_equal(asyncz_task_set_name(t, "mine"), 0); /* the store kept a copy */
    asyncz_task *got = get(st, "a");
    assert_string_equal(asyncz_task_name(got), "job");
    asyncz_task_free(got);

    assert_int_equal(asyncz_store_add_task(st, t, false), ASYNCZ_EEXISTS);
    assert_msg_has("\"a\"");
    assert_int_equal(asyncz_task_set_next_run_time(t, T0 + HOUR), 0);
    assert_int_equal(asyncz_store_add_task(st, t, true), 0); /* replaces */
    got = get(st, "a");
    assert_string_equal(asyncz_task_name(got), "mine");
    assert_int_equal(asyncz_task_next_run_time(got), T0 + HOUR);
    asyncz_task_free(got);
    asyncz_task_free(t);

    t = az_test_task("b", ASYNCZ_TIME_NONE); /* added paused */
    assert_int_equal(asyncz_store_add_task(st, t, true), 0);
    asyncz_task_free(t);
    got = get(st, "b");
    assert_true(asyncz_task_paused(got));
    assert_int_equal(asyncz_task_state(got), ASYNCZ_TASK_STATE_PAUSED);
    asyncz_task_free(got);

    t = az_test_task(NULL, T0);
    assert_int_equal(asyncz_store_add_task(st, t, false), ASYNCZ_EINVAL);
    assert_msg_has("no id");
    asyncz_task_free(t);
    assert_int_equal(asyncz_store_add_task(st, NULL, false), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

void conformance_api_update_task(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "u", NULL, T0);
    asyncz_task *t = az_test_task("u", T0 + MIN);
    assert_int_equal(asyncz_task_set_max_instances(t, 4), 0);
    assert_int_equal(asyncz_store_update_task(st, t), 0);
    asyncz_task_free(t);
    t = get(st, "u");
    assert_int_equal(asyncz_task_max_instances(t), 4);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + MIN);
    asyncz_task_free(t);

    t = az_test_task("u-missing", T0);
    assert_int_equal(asyncz_store_update_task(st, t), ASYNCZ_ENOTFOUND);
    assert_msg_has("u-missing");
    asyncz_task_free(t);
    assert_int_equal(asyncz_store_update_task(st, NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

void conformance_api_remove_task(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "r", NULL, T0);
    assert_int_equal(asyncz_store_remove_task(st, "r"), 0);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_store_get_task(st, "r", &t), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_store_remove_task(st, "r"), ASYNCZ_ENOTFOUND);
    assert_msg_has("\"r\"");
    assert_msg_has(asyncz_store_kind(st));
    assert_int_equal(asyncz_store_remove_task(st, NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

/* ---- pause, resume, request a run -------------------------------------------------------------------- */

void conformance_api_pause_task(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "p", interval(T0, ASYNCZ_TIME_NONE, MIN), T0 + MIN);
    asyncz_task *t = NULL;
    bool changed = false;
    assert_int_equal(asyncz_store_pause_task(st, "p", &t, &changed), 0);
    assert_true(changed);
    assert_int_equal(asyncz_task_next_run_time(t), ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_PAUSED);
    asyncz_task_free(t);
    assert_int_equal(next_of(st, "p"), ASYNCZ_TIME_NONE);

    /* A paused task is left as it is. */
    changed = true;
    assert_int_equal(asyncz_store_pause_task(st, "p", &t, &changed), 0);
    assert_false(changed);
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_PAUSED);
    asyncz_task_free(t);
    assert_int_equal(asyncz_store_pause_task(st, "p", NULL, NULL), 0);

    /* A scheduled task with a pending run request keeps the request. */
    add_with(st, "q", interval(T0, ASYNCZ_TIME_NONE, MIN), T0 + MIN);
    assert_int_equal(asyncz_store_request_run(st, "q", T0 + 5 * SEC, NULL, NULL), 0);
    assert_int_equal(asyncz_store_pause_task(st, "q", &t, &changed), 0);
    assert_true(changed);
    assert_true(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_run_requested(t), T0 + 5 * SEC);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 5 * SEC);
    asyncz_task_free(t);

    /* A shutdown task has nothing to pause. */
    asyncz_trigger *shut = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&shut), 0);
    add_with(st, "s", shut, ASYNCZ_TIME_NONE);
    t = (asyncz_task *)&t;
    assert_int_equal(asyncz_store_pause_task(st, "s", &t, &changed), ASYNCZ_ESTATE);
    assert_null(t);
    assert_false(changed);
    assert_msg_has("\"s\"");
    assert_msg_has("shuts down");

    assert_int_equal(asyncz_store_pause_task(st, "p-missing", &t, &changed), ASYNCZ_ENOTFOUND);
    assert_msg_has("p-missing");
    asyncz_store_free(st);
}

void conformance_api_resume_task(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "p", interval(T0, ASYNCZ_TIME_NONE, MIN), ASYNCZ_TIME_NONE);
    asyncz_task *t = NULL;
    bool changed = false;
    assert_int_equal(asyncz_store_resume_task(st, "p", T0 + 90 * SEC, &t, &changed), 0);
    assert_true(changed);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 2 * MIN); /* the first fire time after now */
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_SCHEDULED);
    asyncz_task_free(t);
    assert_int_equal(next_of(st, "p"), T0 + 2 * MIN);

    /* A task that is not paused is left as it is. */
    changed = true;
    assert_int_equal(asyncz_store_resume_task(st, "p", T0 + HOUR, &t, &changed), 0);
    assert_false(changed);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 2 * MIN);
    asyncz_task_free(t);

    /* A pending run request stays, and runs first. */
    add_with(st, "q", interval(T0, ASYNCZ_TIME_NONE, MIN), ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_store_request_run(st, "q", T0 + 5 * SEC, NULL, NULL), 0);
    assert_int_equal(asyncz_store_resume_task(st, "q", T0 + 90 * SEC, &t, &changed), 0);
    assert_true(changed);
    assert_false(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_run_requested(t), T0 + 5 * SEC);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 5 * SEC);
    asyncz_task_free(t);

    /* Without a trigger: now. */
    add_with(st, "n", NULL, ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_store_resume_task(st, "n", T0 + 7 * SEC, NULL, &changed), 0);
    assert_true(changed);
    assert_int_equal(next_of(st, "n"), T0 + 7 * SEC);

    /* A shutdown task is not paused. */
    asyncz_trigger *shut = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&shut), 0);
    add_with(st, "s", shut, ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_store_resume_task(st, "s", T0, NULL, &changed), 0);
    assert_false(changed);
    assert_int_equal(next_of(st, "s"), ASYNCZ_TIME_NONE);

    assert_int_equal(asyncz_store_resume_task(st, "r-missing", T0, &t, &changed), ASYNCZ_ENOTFOUND);
    assert_msg_has("r-missing");
    asyncz_store_free(st);
}

void conformance_api_resume_exhausted(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "gone", interval(T0 - 2 * HOUR, T0 - HOUR, MIN), ASYNCZ_TIME_NONE);
    asyncz_task *t = (asyncz_task *)&t;
    bool changed = true;
    assert_int_equal(asyncz_store_resume_task(st, "gone", T0, &t, &changed), ASYNCZ_ESTATE);
    assert_null(t);
    assert_false(changed);
    assert_msg_has("\"gone\"");
    assert_msg_has("no fire time left");
    t = get(st, "gone"); /* nothing changed */
    assert_true(asyncz_task_paused(t));
    asyncz_task_free(t);
    asyncz_store_free(st);
}

void conformance_api_request_run(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_with(st, "r", interval(T0, ASYNCZ_TIME_NONE, MIN), T0 + HOUR);
    asyncz_task *t = NULL;
    bool queued = false;
    assert_int_equal(asyncz_store_request_run(st, "r", T0 + 5 * SEC, &t, &queued), 0);
    assert_true(queued);
    assert_int_equal(asyncz_task_run_requested(t), T0 + 5 * SEC);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 5 * SEC);
    asyncz_task_free(t);
    t = get(st, "r");
    assert_int_equal(asyncz_task_run_requested(t), T0 + 5 * SEC);
    asyncz_task_free(t);

    /* A second request while one is pending: the first stands. */
    assert_int_equal(asyncz_store_request_run(st, "r", T0 + 9 * SEC, &t, &queued), 0);
    assert_false(queued);
    assert_int_equal(asyncz_task_run_requested(t), T0 + 5 * SEC);
    asyncz_task_free(t);

    /* A paused task stays paused after its run. */
    add_with(st, "p", interval(T0, ASYNCZ_TIME_NONE, MIN), ASYNCZ_TIME_NONE);
    asyncz_time_t before = asyncz_now();
    assert_int_equal(asyncz_store_request_run(st, "p", ASYNCZ_TIME_NONE, &t, &queued), 0);
    assert_true(queued);
    assert_true(asyncz_task_run_requested(t) >= before);
    assert_true(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_state(t), ASYNCZ_TASK_STATE_PAUSED);
    asyncz_task_free(t);

    t = (asyncz_task *)&t;
    assert_int_equal(asyncz_store_request_run(st, "x-missing", T0, &t, &queued), ASYNCZ_ENOTFOUND);
    assert_null(t);
    assert_false(queued);
    assert_msg_has("x-missing");
    assert_int_equal(asyncz_store_request_run(st, "r", ASYNCZ_TIME_MAX + 1, NULL, NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

/* ---- listing ---------------------------------------------------------------------------------------- */

/* Nine tasks of every state and trigger kind (store order: t-or t-int t-cron t-cal t-date t-none t-shell,
 * then the paused t-paused and the shutdown t-shut). */
static void add_listing(asyncz_store *st)
{
    asyncz_zone *utc = az_test_zone("UTC");
    asyncz_trigger_options o = utc_options(utc, T0, ASYNCZ_TIME_NONE);
    asyncz_trigger *cron = NULL, *cal = NULL, *date = NULL, *shut = NULL, * or = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&cron, "0 * * * *", &o, NULL), 0);
    asyncz_calendar_interval ci = {.days = 1, .hour = 11};
    assert_int_equal(asyncz_trigger_calendar_new(&cal, &ci, &o, NULL), 0);
    assert_int_equal(asyncz_trigger_date_new(&date, T0 + 4 * HOUR, &o), 0);
    assert_int_equal(asyncz_trigger_shutdown_new(&shut), 0);
    asyncz_trigger *child = interval(T0, ASYNCZ_TIME_NONE, 30 * MIN);
    assert_int_equal(asyncz_trigger_or_new(& or, &child, 1, &o), 0);
    asyncz_trigger_unref(child);
    asyncz_zone_unref(utc);

    struct {
        const char *id, *name, *func, *args, *executor;
        asyncz_trigger *trigger;
        asyncz_time_t next;
    } rows[] = {
        {"t-cron", "hourly", "job", "[1,\"x\"]", "pool", cron, T0 + 2 * HOUR},
        {"t-int", "zeta", "job", NULL, NULL, interval(T0, ASYNCZ_TIME_NONE, HOUR), T0 + HOUR},
        {"t-cal", "beta", "job", NULL, NULL, cal, T0 + 3 * HOUR},
        {"t-date", "gamma", "job", NULL, NULL, date, T0 + 4 * HOUR},
        {"t-none", "delta", "report", NULL, NULL, NULL, T0 + 5 * HOUR},
        {"t-shell", "nightly", "asyncz.shell", "[\"backup --to /srv\"]", NULL,
         interval(T0, ASYNCZ_TIME_NONE, 6 * HOUR), T0 + 6 * HOUR},
        {"t-or", "epsilon", "job", NULL, NULL, or, T0 + 30 * MIN},
        {"t-paused", "alpha", "job", NULL, NULL, interval(T0, ASYNCZ_TIME_NONE, HOUR), ASYNCZ_TIME_NONE},
        {"t-shut", "omega", "job", NULL, NULL, shut, ASYNCZ_TIME_NONE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        asyncz_task *t = az_test_task(rows[i].id, rows[i].next);
        assert_int_equal(asyncz_task_set_name(t, rows[i].name), 0);
        assert_int_equal(asyncz_task_set_func(t, rows[i].func), 0);
        assert_int_equal(asyncz_task_set_args_json(t, rows[i].args), 0);
        assert_int_equal(asyncz_task_set_executor(t, rows[i].executor), 0);
        if (rows[i].trigger)
            assert_int_equal(asyncz_task_set_trigger(t, rows[i].trigger), 0);
        asyncz_trigger_unref(rows[i].trigger);
        assert_int_equal(asyncz_store_add_task(st, t, false), 0);
        asyncz_task_free(t);
    }
}

/* The ids a filter lists, joined by commas (static buffer); *matched (may be NULL) gets the matched count. */
static const char *listed(asyncz_store *st, const asyncz_task_filter *f, size_t *matched)
{
    static char text[1024];
    asyncz_task_list *l = NULL;
    int rc = asyncz_store_list_tasks(st, f, &l);
    if (rc)
        fail_msg("list: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    text[0] = '\0';
    for (size_t i = 0; i < asyncz_task_list_count(l); i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s%s", len ? "," : "",
                 asyncz_task_id(asyncz_task_list_at(l, i)));
    }
    assert_int_equal(asyncz_task_list_stored(l), 9);
    if (matched)
        *matched = asyncz_task_list_matched(l);
    asyncz_task_list_free(l);
    return text;
}

#define ALL_IN_ORDER "t-or,t-int,t-cron,t-cal,t-date,t-none,t-shell,t-paused,t-shut"

void conformance_api_list_filters(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_listing(st);
    asyncz_task_filter f;
    size_t matched = 0;
    assert_string_equal(listed(st, NULL, &matched), ALL_IN_ORDER);
    assert_int_equal(matched, 9);
    asyncz_task_filter_init(&f);
    assert_string_equal(listed(st, &f, NULL), ALL_IN_ORDER);

    f.states = ASYNCZ_TASK_STATE_SCHEDULED;
    assert_string_equal(listed(st, &f, &matched), "t-or,t-int,t-cron,t-cal,t-date,t-none,t-shell");
    assert_int_equal(matched, 7);
    f.states = ASYNCZ_TASK_STATE_PAUSED;
    assert_string_equal(listed(st, &f, NULL), "t-paused");
    f.states = ASYNCZ_TASK_STATE_SHUTDOWN;
    assert_string_equal(listed(st, &f, NULL), "t-shut");
    f.states = ASYNCZ_TASK_STATE_PAUSED | ASYNCZ_TASK_STATE_SHUTDOWN;
    assert_string_equal(listed(st, &f, NULL), "t-paused,t-shut");
    f.states = 0; /* all */
    assert_string_equal(listed(st, &f, NULL), ALL_IN_ORDER);

    static const struct {
        const char *kind, *ids;
    } kinds[] = {
        {"cron", "t-cron"},
        {"interval", "t-int,t-shell,t-paused"},
        {"calendar", "t-cal"},
        {"calendarinterval", "t-cal"},
        {"date", "t-date,t-none"},
        {"or", "t-or"},
        {"and", ""},
        {"shutdown", "t-shut"},
        {"no-such-kind", ""},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        asyncz_task_filter_init(&f);
        f.trigger = kinds[i].kind;
        assert_string_equal(listed(st, &f, NULL), kinds[i].ids);
    }

    asyncz_task_filter_init(&f);
    f.executor = "pool";
    assert_string_equal(listed(st, &f, NULL), "t-cron");
    f.executor = "default";
    assert_string_equal(listed(st, &f, &matched), "t-or,t-int,t-cal,t-date,t-none,t-shell,t-paused,t-shut");
    assert_int_equal(matched, 8);

    static const struct {
        const char *query, *ids;
    } queries[] = {
        {"hourly", "t-cron"},        /* the name */
        {"t-c", "t-cron,t-cal"},     /* the id */
        {"/srv", "t-shell"},         /* a command task's command line */
        {"asyncz.shell", ""},        /* ... not its function */
        {"job [1,\"x\"]", "t-cron"}, /* the function and its arguments */
        {"report", "t-none"},        /* a function */
        {"", ALL_IN_ORDER},          /* no query */
        {"HOURLY", ""},              /* case-sensitive */
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        asyncz_task_filter_init(&f);
        f.query = queries[i].query;
        assert_string_equal(listed(st, &f, NULL), queries[i].ids);
    }

    /* Filters combine. */
    asyncz_task_filter_init(&f);
    f.states = ASYNCZ_TASK_STATE_SCHEDULED;
    f.trigger = "interval";
    f.query = "nightly";
    assert_string_equal(listed(st, &f, NULL), "t-shell");
    asyncz_store_free(st);
}

void conformance_api_list_sort_limit(void **state)
{
    (void)state;
    asyncz_store *st = connected_store();
    add_listing(st);
    asyncz_task_filter f;
    size_t matched = 0;
    asyncz_task_filter_init(&f);
    f.sort = ASYNCZ_TASK_SORT_ID;
    assert_string_equal(listed(st, &f, NULL),
                        "t-cal,t-cron,t-date,t-int,t-none,t-or,t-paused,t-shell,t-shut");
    f.sort = ASYNCZ_TASK_SORT_NAME;
    assert_string_equal(listed(st, &f, NULL),
                        "t-paused,t-cal,t-none,t-or,t-date,t-cron,t-shell,t-shut,t-int");
    f.descending = true;
    assert_string_equal(listed(st, &f, NULL),
                        "t-int,t-shut,t-shell,t-cron,t-date,t-or,t-none,t-cal,t-paused");
    f.sort = ASYNCZ_TASK_SORT_NEXT;
    assert_string_equal(listed(st, &f, NULL),
                        "t-shut,t-paused,t-shell,t-none,t-date,t-cal,t-cron,t-int,t-or");

    asyncz_task_filter_init(&f);
    f.limit = 2;
    assert_string_equal(listed(st, &f, &matched), "t-or,t-int");
    assert_int_equal(matched, 9);
    f.offset = 1;
    assert_string_equal(listed(st, &f, NULL), "t-int,t-cron");
    f.offset = 8;
    assert_string_equal(listed(st, &f, NULL), "t-shut");
    f.offset = 20;
    assert_string_equal(listed(st, &f, &matched), "");
    assert_int_equal(matched, 9);
    f.offset = 0;
    f.limit = 0;
    assert_string_equal(listed(st, &f, &matched), "");
    assert_int_equal(matched, 9);
    f.limit = 2;
    f.descending = true; /* the limit cuts after the order is reversed */
    assert_string_equal(listed(st, &f, NULL), "t-shut,t-paused");
    f.states = ASYNCZ_TASK_STATE_SCHEDULED;
    assert_string_equal(listed(st, &f, &matched), "t-shell,t-none");
    assert_int_equal(matched, 7);
    asyncz_store_free(st);
}
