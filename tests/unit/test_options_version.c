/* The public option structs carry a version set by their _init function (include/asyncz/scheduler.h): the
 * library reads only the fields of the caller's version, refuses version 0 (a struct not filled by _init, or
 * built against the header before the version existed) and versions newer than it knows.
 *
 * A program built against an older header is played here by declaring that header's layout of each struct
 * (version 1: the first versioned layout) and handing it, cast, to the library, in a block of exactly its
 * size: whatever the library reads or writes past it is caught by AddressSanitizer. When a release adds
 * fields, these copies stay as they are and the tests check that such a program still works with the defaults
 * for the new fields. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/sys/trigger.h"
#include "az_test.h"

/* ---- the version-1 layouts, as the version-1 headers declare them ---------------------------------------
 */

typedef struct v1_scheduler_options {
    uint32_t version;
    asyncz_zone *timezone;
    const char *identity;
    asyncz_clock_fn clock;
    void *clock_userdata;
    int64_t misfire_grace_time;
    bool coalesce;
    uint32_t max_instances;
    uint32_t batch_size;
    int64_t lease_usec;
    int64_t poll_interval_usec;
    int64_t heartbeat_usec;
} v1_scheduler_options;

typedef struct v1_trigger_options {
    uint32_t version;
    asyncz_zone *timezone;
    asyncz_time_t start_date;
    asyncz_time_t end_date;
    int64_t jitter;
    uint64_t jitter_seed;
} v1_trigger_options;

typedef struct v1_processpool_options {
    uint32_t version;
    unsigned max_workers;
    int64_t timeout_usec;
} v1_processpool_options;

/* The library's struct keeps every field of version 1 where version 1 had it: a field added later goes at
 * the end. (A release that moved one would break every program built before it.) */
#define SAME_PLACE(v1, cur, field)                                                                           \
    _Static_assert(offsetof(v1, field) == offsetof(cur, field), #cur "." #field " moved")
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, version);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, timezone);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, identity);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, clock);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, clock_userdata);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, misfire_grace_time);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, coalesce);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, max_instances);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, batch_size);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, lease_usec);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, poll_interval_usec);
SAME_PLACE(v1_scheduler_options, asyncz_scheduler_options, heartbeat_usec);
SAME_PLACE(v1_trigger_options, asyncz_trigger_options, version);
SAME_PLACE(v1_trigger_options, asyncz_trigger_options, timezone);
SAME_PLACE(v1_trigger_options, asyncz_trigger_options, start_date);
SAME_PLACE(v1_trigger_options, asyncz_trigger_options, end_date);
SAME_PLACE(v1_trigger_options, asyncz_trigger_options, jitter);
SAME_PLACE(v1_trigger_options, asyncz_trigger_options, jitter_seed);
SAME_PLACE(v1_processpool_options, asyncz_processpool_options, version);
SAME_PLACE(v1_processpool_options, asyncz_processpool_options, max_workers);
SAME_PLACE(v1_processpool_options, asyncz_processpool_options, timeout_usec);
_Static_assert(sizeof(v1_scheduler_options) <= sizeof(asyncz_scheduler_options), "options shrank");
_Static_assert(sizeof(v1_trigger_options) <= sizeof(asyncz_trigger_options), "options shrank");
_Static_assert(sizeof(v1_processpool_options) <= sizeof(asyncz_processpool_options), "options shrank");

/* ---- a block of exactly `size` bytes ------------------------------------------------------------------- */

#define GUARD_BYTE 0xA5

/* On the heap, so AddressSanitizer sees any access past its end. Filled with a pattern first. */
static void *old_block_new(size_t size)
{
    void *p = malloc(size);
    assert_non_null(p);
    memset(p, GUARD_BYTE, size);
    return p;
}

/* Every byte of p[from, to) still holds the pattern: nothing wrote there. */
static void assert_untouched(const void *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        assert_int_equal(((const unsigned char *)p)[i], GUARD_BYTE);
}

/* ---- log capture: for the constructors without a message channel ----------------------------------------
 */

static char logged[1024];
static char logged_by[64];

static void capture(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    (void)level;
    (void)userdata;
    snprintf(logged, sizeof logged, "%s", message);
    snprintf(logged_by, sizeof logged_by, "%s", logger);
}

static void capture_logs(void)
{
    logged[0] = logged_by[0] = '\0';
    asyncz_log_to_callback(capture, NULL);
}

/* ---- the scheduler's options --------------------------------------------------------------------------- */

static asyncz_time_t fixed_clock(void *ud)
{
    return *(const asyncz_time_t *)ud;
}

static int fn_nothing(asyncz_run *run, void *ud)
{
    (void)run;
    (void)ud;
    return 0;
}

static void scheduler_options_init_sets_the_version(void **state)
{
    (void)state;
    asyncz_scheduler_options o;
    memset(&o, 0, sizeof o);
    asyncz_scheduler_options_init(&o);
    assert_int_equal(o.version, ASYNCZ_SCHEDULER_OPTIONS_VERSION);
    assert_int_equal(o.max_instances, ASYNCZ_TASK_DEFAULT_MAX_INSTANCES);
    assert_int_equal(o.batch_size, 256);
    assert_int_equal(asyncz_scheduler_options_init_version(NULL, 1), ASYNCZ_EINVAL);
}

/* A struct not filled by asyncz_scheduler_options_init() (version 0), as a program built against the
 * header before the version existed also hands over (its first member, a pointer, is NULL or aligned). */
static void scheduler_options_version_0_is_refused(void **state)
{
    (void)state;
    asyncz_scheduler_options o;
    memset(&o, 0, sizeof o);
    o.max_instances = 2;
    o.batch_size = 10;
    o.misfire_grace_time = ASYNCZ_USEC_PER_SEC;
    o.lease_usec = o.poll_interval_usec = o.heartbeat_usec = ASYNCZ_USEC_PER_SEC;
    asyncz_scheduler *s = NULL;
    assert_int_equal(asyncz_scheduler_new(&s, &o), ASYNCZ_EINVAL);
    assert_null(s);
    assert_non_null(strstr(asyncz_scheduler_errmsg(NULL), "asyncz_scheduler_options.version is 0"));
    assert_non_null(strstr(asyncz_scheduler_errmsg(NULL), "asyncz_scheduler_options_init()"));
    assert_int_equal(asyncz_scheduler_options_init_version(&o, 0), ASYNCZ_EINVAL);
}

/* A program built against a newer header than the library: refused, and its struct, whose layout the
 * library does not know, is not written beyond its version. */
static void scheduler_options_future_version_is_refused(void **state)
{
    (void)state;
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.version = ASYNCZ_SCHEDULER_OPTIONS_VERSION + 1;
    asyncz_scheduler *s = NULL;
    assert_int_equal(asyncz_scheduler_new(&s, &o), ASYNCZ_EINVAL);
    assert_null(s);
    const char *msg = asyncz_scheduler_errmsg(NULL);
    char want[96];
    snprintf(want, sizeof want, "asyncz_scheduler_options.version is %d", ASYNCZ_SCHEDULER_OPTIONS_VERSION + 1);
    assert_non_null(strstr(msg, want));
    snprintf(want, sizeof want, "knows versions up to %d", ASYNCZ_SCHEDULER_OPTIONS_VERSION);
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, asyncz_version()));

    size_t size = sizeof(asyncz_scheduler_options) + 32;
    asyncz_scheduler_options *newer = old_block_new(size);
    assert_int_equal(asyncz_scheduler_options_init_version(newer, 7), ASYNCZ_EINVAL);
    assert_int_equal(newer->version, 7);
    assert_untouched(newer, sizeof(uint32_t), size);
    free(newer);
}

/* A program built against the version-1 header: its struct is filled by _init for version 1, its fields
 * are read where version 1 has them, and the scheduler works (the defaults stand for any later field). */
static void scheduler_options_of_version_1_work(void **state)
{
    (void)state;
    v1_scheduler_options *o = old_block_new(sizeof *o);
    assert_int_equal(asyncz_scheduler_options_init_version((asyncz_scheduler_options *)o, 1), 0);
    assert_int_equal(o->version, 1);
    assert_int_equal(o->batch_size, 256);
    assert_int_equal(o->heartbeat_usec, 10 * ASYNCZ_USEC_PER_SEC);
    asyncz_time_t now = az_test_time("2020-01-01T00:00:00Z", NULL);
    o->clock = fixed_clock;
    o->clock_userdata = &now;
    o->timezone = asyncz_zone_utc();
    o->max_instances = 4;
    o->coalesce = false;
    o->misfire_grace_time = 7 * ASYNCZ_USEC_PER_SEC;

    asyncz_scheduler *s = NULL;
    assert_int_equal(asyncz_scheduler_new(&s, (const asyncz_scheduler_options *)o), 0);
    free(o); /* the scheduler keeps its own copy */
    assert_int_equal(asyncz_scheduler_register(s, "nothing", fn_nothing, NULL), 0);
    asyncz_task *t;
    asyncz_trigger *trig;
    asyncz_trigger_options to;
    asyncz_trigger_options_init(&to);
    to.timezone = asyncz_zone_utc();
    assert_int_equal(asyncz_trigger_crontab_new(&trig, "0 12 * * *", &to, NULL), 0);
    assert_int_equal(asyncz_task_new(&t, "nothing"), 0);
    assert_int_equal(asyncz_task_set_id(t, "noon"), 0);
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_get_task(s, &t, "noon", NULL), 0);
    assert_int_equal(asyncz_task_max_instances(t), 4);
    assert_false(asyncz_task_coalesce(t));
    assert_int_equal(asyncz_task_misfire_grace_time(t), 7 * ASYNCZ_USEC_PER_SEC);
    /* The first run is worked out at the injected clock's time, not the system's. */
    assert_int_equal(asyncz_task_next_run_time(t), az_test_time("2020-01-01T12:00:00Z", NULL));
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_start_embedded(s, 0), 0);
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    asyncz_scheduler_free(s);
}

/* ---- the triggers' options ----------------------------------------------------------------------------- */

static void trigger_options_init_sets_the_version(void **state)
{
    (void)state;
    asyncz_trigger_options o;
    memset(&o, 0, sizeof o);
    asyncz_trigger_options_init(&o);
    assert_int_equal(o.version, ASYNCZ_TRIGGER_OPTIONS_VERSION);
    assert_true(o.start_date == ASYNCZ_TIME_NONE && o.end_date == ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_trigger_options_init_version(NULL, 1), ASYNCZ_EINVAL);

    size_t size = sizeof(asyncz_trigger_options) + 32;
    asyncz_trigger_options *newer = old_block_new(size);
    assert_int_equal(asyncz_trigger_options_init_version(newer, ASYNCZ_TRIGGER_OPTIONS_VERSION + 1),
                     ASYNCZ_EINVAL);
    assert_int_equal(newer->version, ASYNCZ_TRIGGER_OPTIONS_VERSION + 1);
    assert_untouched(newer, sizeof(uint32_t), size);
    free(newer);
}

/* Every constructor refuses options of version `version`; those that take an error record say why in it,
 * the others in the log. */
static void check_trigger_constructors_refuse(uint32_t version, const char *why)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    o.version = version;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;

    memset(&err, 0, sizeof err);
    asyncz_cron_fields f = {.minute = "*/5"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &o, &err), ASYNCZ_EINVAL);
    assert_string_equal(err.field, "options");
    assert_non_null(strstr(err.reason, why));
    memset(&err, 0, sizeof err);
    assert_int_equal(asyncz_trigger_crontab_new(&t, "* * * * *", &o, &err), ASYNCZ_EINVAL);
    assert_non_null(strstr(err.reason, why));
    memset(&err, 0, sizeof err);
    assert_int_equal(asyncz_trigger_interval_new(&t, ASYNCZ_USEC_PER_SEC, &o, &err), ASYNCZ_EINVAL);
    assert_non_null(strstr(err.reason, why));
    memset(&err, 0, sizeof err);
    asyncz_calendar_interval ci = {.days = 1};
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &o, &err), ASYNCZ_EINVAL);
    assert_non_null(strstr(err.reason, why));
    assert_null(t);

    asyncz_trigger *child;
    assert_int_equal(asyncz_trigger_date_new(&child, ASYNCZ_TIME_NONE, NULL), 0);
    capture_logs();
    assert_int_equal(asyncz_trigger_date_new(&t, ASYNCZ_TIME_NONE, &o), ASYNCZ_EINVAL);
    assert_non_null(strstr(logged, why));
    assert_string_equal(logged_by, "asyncz.trigger");
    logged[0] = '\0';
    assert_int_equal(asyncz_trigger_and_new(&t, &child, 1, &o), ASYNCZ_EINVAL);
    assert_non_null(strstr(logged, why));
    logged[0] = '\0';
    assert_int_equal(asyncz_trigger_or_new(&t, &child, 1, &o), ASYNCZ_EINVAL);
    assert_non_null(strstr(logged, why));
    asyncz_log_to_stderr(0);
    assert_null(t);
    asyncz_trigger_unref(child);
}

static void trigger_options_version_0_is_refused(void **state)
{
    (void)state;
    check_trigger_constructors_refuse(0, "asyncz_trigger_options.version is 0: fill the options with "
                                         "asyncz_trigger_options_init()");
}

static void trigger_options_future_version_is_refused(void **state)
{
    (void)state;
    check_trigger_constructors_refuse(ASYNCZ_TRIGGER_OPTIONS_VERSION + 1,
                                      "asyncz_trigger_options.version is 2, but this library");
}

/* A custom trigger (sys/trigger.h) gets the same check from asyncz_trigger_base_init. */
static int custom_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    (void)t;
    (void)previous;
    *out = now;
    return 0;
}

static void custom_destroy(asyncz_trigger *t)
{
    (void)t;
}

static void trigger_base_init_checks_the_version(void **state)
{
    (void)state;
    static const asyncz_trigger_ops ops = {.version = ASYNCZ_TRIGGER_OPS_VERSION,
                                           .name = "custom",
                                           .next = custom_next,
                                           .destroy = custom_destroy};
    asyncz_trigger_base base;
    asyncz_trigger_options o;
    memset(&o, 0, sizeof o);
    o.timezone = asyncz_zone_utc();
    capture_logs();
    assert_int_equal(asyncz_trigger_base_init(&base, &ops, &o), ASYNCZ_EINVAL);
    assert_non_null(strstr(logged, "asyncz_trigger_options.version is 0"));
    asyncz_log_to_stderr(0);
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    assert_int_equal(asyncz_trigger_base_init(&base, &ops, &o), 0);
    asyncz_zone_unref(base.zone);
}

/* Options of the version-1 layout, in a block of exactly their size, make the same trigger as today's. */
static void trigger_options_of_version_1_work(void **state)
{
    (void)state;
    v1_trigger_options *o = old_block_new(sizeof *o);
    assert_int_equal(asyncz_trigger_options_init_version((asyncz_trigger_options *)o, 1), 0);
    assert_int_equal(o->version, 1);
    assert_null(o->timezone);
    assert_true(o->start_date == ASYNCZ_TIME_NONE && o->end_date == ASYNCZ_TIME_NONE);
    assert_true(o->jitter == 0 && o->jitter_seed == 0);
    o->timezone = asyncz_zone_utc();
    o->end_date = az_test_time("2020-01-03T00:00:00Z", NULL);
    const asyncz_trigger_options *opts = (const asyncz_trigger_options *)o;
    asyncz_time_t jan1 = az_test_time("2020-01-01T00:00:00Z", NULL), next;
    asyncz_trigger *t;
    asyncz_calendar_interval ci = {.days = 1, .hour = 6};
    asyncz_trigger *made[5] = {0};
    asyncz_cron_fields f = {.hour = "12"};
    assert_int_equal(asyncz_trigger_crontab_new(&made[0], "0 12 * * *", opts, NULL), 0);
    assert_int_equal(asyncz_trigger_cron_new(&made[1], &f, opts, NULL), 0);
    assert_int_equal(asyncz_trigger_interval_new(&made[2], ASYNCZ_USEC_PER_SEC, opts, NULL), 0);
    assert_int_equal(asyncz_trigger_calendar_new(&made[3], &ci, opts, NULL), 0);
    assert_int_equal(asyncz_trigger_date_new(&made[4], jan1, opts), 0);
    assert_int_equal(asyncz_trigger_and_new(&t, made, 2, opts), 0);
    asyncz_trigger_unref(t);
    assert_int_equal(asyncz_trigger_or_new(&t, made, 2, opts), 0);
    asyncz_trigger_unref(t);
    free(o); /* the triggers keep what they need */
    assert_int_equal(asyncz_trigger_next(made[0], ASYNCZ_TIME_NONE, jan1, &next), 0);
    assert_true(next == az_test_time("2020-01-01T12:00:00Z", NULL));
    /* end_date was read from where version 1 has it: nothing after January 3. */
    asyncz_time_t jan2 = az_test_time("2020-01-02T12:00:00Z", NULL);
    assert_int_equal(asyncz_trigger_next(made[0], jan2, jan2 + 1, &next), 0);
    assert_true(next == ASYNCZ_TIME_NONE);
    for (size_t i = 0; i < 5; i++)
        asyncz_trigger_unref(made[i]);
}

/* ---- the process pool's options ------------------------------------------------------------------------ */

static void processpool_options_version_is_checked(void **state)
{
    (void)state;
    asyncz_processpool_options o;
    memset(&o, 0, sizeof o);
    asyncz_processpool_options_init(&o);
    assert_int_equal(o.version, ASYNCZ_PROCESSPOOL_OPTIONS_VERSION);
    assert_int_equal(asyncz_processpool_options_init_version(NULL, 1), ASYNCZ_EINVAL);

    asyncz_executor *ex = NULL;
    asyncz_processpool_options zero = {.max_workers = 2};
    capture_logs();
    assert_int_equal(asyncz_executor_processpool_new(&ex, &zero), ASYNCZ_EINVAL);
    assert_null(ex);
    assert_non_null(strstr(logged, "asyncz_processpool_options.version is 0: fill the options with "
                                   "asyncz_processpool_options_init()"));
    assert_string_equal(logged_by, "asyncz.executor");
    o.version = ASYNCZ_PROCESSPOOL_OPTIONS_VERSION + 1;
    assert_int_equal(asyncz_executor_processpool_new(&ex, &o), ASYNCZ_EINVAL);
    assert_non_null(strstr(logged, "asyncz_processpool_options.version is 2, but this library"));
    asyncz_log_to_stderr(0);
    assert_null(ex);

    size_t size = sizeof(asyncz_processpool_options) + 32;
    asyncz_processpool_options *newer = old_block_new(size);
    assert_int_equal(asyncz_processpool_options_init_version(newer, 9), ASYNCZ_EINVAL);
    assert_int_equal(newer->version, 9);
    assert_untouched(newer, sizeof(uint32_t), size);
    free(newer);
}

static void processpool_options_of_version_1_work(void **state)
{
    (void)state;
    v1_processpool_options *o = old_block_new(sizeof *o);
    assert_int_equal(asyncz_processpool_options_init_version((asyncz_processpool_options *)o, 1), 0);
    assert_true(o->version == 1 && o->max_workers == 0 && o->timeout_usec == 0);
    o->max_workers = 3;
    asyncz_executor *ex = NULL;
    assert_int_equal(asyncz_executor_processpool_new(&ex, (const asyncz_processpool_options *)o), 0);
    assert_string_equal(asyncz_executor_kind(ex), "processpool");
    asyncz_executor_free(ex);
    /* The fields are read where version 1 has them: a bad timeout there is refused. */
    o->timeout_usec = -1;
    assert_int_equal(asyncz_executor_processpool_new(&ex, (const asyncz_processpool_options *)o),
                     ASYNCZ_EINVAL);
    free(o);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(scheduler_options_init_sets_the_version),
    cmocka_unit_test(scheduler_options_version_0_is_refused),
    cmocka_unit_test(scheduler_options_future_version_is_refused),
    cmocka_unit_test(scheduler_options_of_version_1_work),
    cmocka_unit_test(trigger_options_init_sets_the_version),
    cmocka_unit_test(trigger_options_version_0_is_refused),
    cmocka_unit_test(trigger_options_future_version_is_refused),
    cmocka_unit_test(trigger_base_init_checks_the_version),
    cmocka_unit_test(trigger_options_of_version_1_work),
    cmocka_unit_test(processpool_options_version_is_checked),
    cmocka_unit_test(processpool_options_of_version_1_work),
};

AZ_TEST_MAIN(tests)
