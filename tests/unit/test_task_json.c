/* The task document and trigger objects (src/codec): every trigger kind reads back firing at exactly the
 * times it did (20 previewed fire times compared), the bytes of a document are fixed, and every malformed
 * document is refused with its code and exact key path (cases in tests/vectors/task_docs_bad.json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_test.h"
#include "asyncz/sys/trigger.h"
#include "codec/task_decode.h"

#define PREVIEW 20

static asyncz_time_t at(const char *text)
{
    return az_test_time(text, NULL);
}

static asyncz_trigger_options options(asyncz_zone *zone)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = zone;
    return o;
}

static char *trigger_json(const asyncz_trigger *t)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(asyncz_trigger_to_json(t, &text, &len), 0);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static asyncz_trigger *trigger_from(const char *text)
{
    asyncz_trigger *t = NULL;
    asyncz_doc_error err;
    int rc = asyncz_trigger_from_json(&t, text, strlen(text), &err);
    if (rc != 0) {
        char msg[300];
        asyncz_doc_error_format(&err, msg, sizeof msg);
        fail_msg("%s: %s\nin %s", asyncz_err_name(rc), msg, text);
    }
    return t;
}

/* Both triggers give the same PREVIEW fire times from `from`, and at least `min_n` of them. */
static void assert_same_fires(const asyncz_trigger *a, const asyncz_trigger *b, asyncz_time_t from,
                              size_t min_n)
{
    asyncz_time_t fa[PREVIEW], fb[PREVIEW];
    size_t na = 0, nb = 0;
    assert_int_equal(asyncz_trigger_preview(a, from, PREVIEW, fa, &na), 0);
    assert_int_equal(asyncz_trigger_preview(b, from, PREVIEW, fb, &nb), 0);
    assert_int_equal(na, nb);
    assert_true(na >= min_n);
    for (size_t i = 0; i < na; i++)
        if (fa[i] != fb[i])
            fail_msg("fire %zu: %s before, %s after reading back", i, az_test_fmt(fa[i], NULL),
                     az_test_fmt(fb[i], NULL));
}

/* Write t, read it back, compare fires from each `from`, and check that writing again gives the same bytes.
 * Returns the document (free it). */
static char *round_trip(const asyncz_trigger *t, const asyncz_time_t *froms, size_t nfrom, size_t min_n)
{
    char *text = trigger_json(t);
    asyncz_trigger *back = trigger_from(text);
    for (size_t i = 0; i < nfrom; i++)
        assert_same_fires(t, back, froms[i], min_n);
    char *again = trigger_json(back);
    assert_string_equal(text, again);
    assert_string_equal(asyncz_trigger_kind(t), asyncz_trigger_kind(back));
    free(again);
    asyncz_trigger_unref(back);
    return text;
}

static void check_round_trip(asyncz_trigger *t, const asyncz_time_t *froms, size_t nfrom, size_t min_n)
{
    free(round_trip(t, froms, nfrom, min_n));
    asyncz_trigger_unref(t);
}

/* ---- round trips of every kind ------------------------------------------------------------------ */

static void rt_crontab_berlin(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&t, "  30 2 * * *\t", &o, NULL), 0);
    asyncz_time_t froms[] = {at("2026-03-20T00:00:00Z"), at("2026-10-20T00:00:00Z")};
    char *text = round_trip(t, froms, 2, PREVIEW);
    assert_string_equal(text,
                        "{\"type\":\"cron\",\"crontab\":\"30 2 * * *\",\"timezone\":\"Europe/Berlin\"}");
    free(text);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

static void rt_crontab_extensions(void **state)
{
    asyncz_zone *zone = az_test_zone("America/New_York");
    asyncz_trigger_options o = options(zone);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&t, "0 0 12 LW * ? 2026-2030", &o, NULL), 0);
    asyncz_time_t froms[] = {at("2026-01-01T00:00:00Z")};
    check_round_trip(t, froms, 1, PREVIEW);
    asyncz_zone_unref(zone);
}

static void rt_cron_fields_lord_howe(void **state)
{
    asyncz_zone *lh = az_test_zone("Australia/Lord_Howe");
    asyncz_trigger_options o = options(lh);
    asyncz_cron_fields f = {.day_of_week = "mon-fri", .hour = "1-3", .minute = "*/20"};
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &o, NULL), 0);
    /* Lord Howe moves its clocks by 30 minutes: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April. */
    asyncz_time_t froms[] = {at("2026-10-02T00:00:00+10:30"), at("2026-04-03T00:00:00+11:00")};
    char *text = round_trip(t, froms, 2, PREVIEW);
    assert_string_equal(
        text, "{\"type\":\"cron\",\"fields\":{\"day_of_week\":\"mon-fri\",\"hour\":\"1-3\",\"minute\":"
              "\"*/20\"},\"timezone\":\"Australia/Lord_Howe\"}");
    free(text);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(lh);
}

static void rt_cron_every_field(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    o.start_date = at("2026-01-01T00:00:00+01:00");
    o.end_date = at("2031-12-31T00:00:00+01:00");
    asyncz_cron_fields f = {"2026-2031", "1,3,10", "last sun,1st mon", "*", "*", "2", "0,30", "15"};
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &o, NULL), 0);
    asyncz_time_t froms[] = {at("2025-06-01T00:00:00Z")};
    check_round_trip(t, froms, 1, PREVIEW);
    asyncz_zone_unref(berlin);
}

static void rt_cron_no_fields(void **state)
{
    asyncz_trigger_options o = options(asyncz_zone_utc());
    asyncz_cron_fields f = {0};
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &o, NULL), 0);
    asyncz_time_t froms[] = {at("2026-05-01T00:00:00Z")};
    char *text = round_trip(t, froms, 1, PREVIEW);
    assert_string_equal(text, "{\"type\":\"cron\",\"fields\":{},\"timezone\":\"UTC\"}");
    free(text);
    asyncz_trigger_unref(t);
}

/* An interval made "yesterday" at an odd instant: the grid origin is written, so the fires read back on
 * the same grid, not on one restarted at the time of reading. */
static void rt_interval_made_yesterday(void **state)
{
    asyncz_trigger_options o = options(asyncz_zone_utc());
    o.start_date = asyncz_now() - ASYNCZ_USEC_PER_DAY + 123457;
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, 90 * ASYNCZ_USEC_PER_MIN + 7, &o, NULL), 0);
    asyncz_time_t froms[] = {asyncz_now(), o.start_date - ASYNCZ_USEC_PER_HOUR};
    char *text = round_trip(t, froms, 2, PREVIEW);
    assert_non_null(strstr(text, "\"interval\":\"1h30m7us\""));
    free(text);
    asyncz_trigger_unref(t);
}

/* Without a start_date the origin is taken from the clock when the trigger is made; it is written too. */
static void rt_interval_default_origin(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, 45 * ASYNCZ_USEC_PER_SEC, &o, NULL), 0);
    asyncz_time_t froms[] = {asyncz_now(), asyncz_now() + 7 * ASYNCZ_USEC_PER_DAY};
    char *text = round_trip(t, froms, 2, PREVIEW);
    assert_non_null(strstr(text, "\"start_date\":"));
    free(text);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

/* An end_date before the default origin makes an exhausted interval; it must still read back. */
static void rt_interval_exhausted(void **state)
{
    asyncz_trigger_options o = options(asyncz_zone_utc());
    o.end_date = asyncz_now() - ASYNCZ_USEC_PER_HOUR;
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, ASYNCZ_USEC_PER_HOUR, &o, NULL), 0);
    asyncz_time_t froms[] = {o.end_date - ASYNCZ_USEC_PER_DAY};
    check_round_trip(t, froms, 1, 0);
}

static void rt_jitter_with_seed(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    o.jitter = 90 * ASYNCZ_USEC_PER_SEC + 250000;
    o.jitter_seed = UINT64_C(0xfedcba9876543210); /* above INT64_MAX: written as a negative integer */
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&t, "*/10 8-18 * * *", &o, NULL), 0);
    asyncz_time_t froms[] = {at("2026-03-29T00:00:00+01:00")};
    char *text = round_trip(t, froms, 1, PREVIEW);
    assert_non_null(strstr(text, "\"jitter\":90.25,\"jitter_seed\":-81985529216486896}"));
    free(text);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

/* Seed 0 asks for a random seed; the one chosen is written so the delays survive a reload. */
static void rt_jitter_random_seed(void **state)
{
    asyncz_trigger_options o = options(asyncz_zone_utc());
    o.start_date = at("2026-01-01T00:00:00Z");
    o.jitter = 30 * ASYNCZ_USEC_PER_SEC;
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_interval_new(&t, 5 * ASYNCZ_USEC_PER_MIN, &o, NULL), 0);
    assert_true(ASYNCZ_TRIGGER_CBASE(t)->jitter_seed != 0);
    assert_true(ASYNCZ_TRIGGER_CBASE(t)->jitter_seed <= (uint64_t)INT64_MAX);
    asyncz_time_t froms[] = {at("2026-02-01T00:00:00Z")};
    check_round_trip(t, froms, 1, PREVIEW);
}

static void rt_calendar_interval(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    o.start_date = at("2026-01-31T12:00:00+01:00");
    asyncz_calendar_interval ci = {.months = 1, .hour = 2, .minute = 30};
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &o, NULL), 0);
    asyncz_time_t froms[] = {at("2026-01-01T00:00:00Z"), at("2027-03-01T00:00:00Z")};
    char *text = round_trip(t, froms, 2, PREVIEW);
    assert_string_equal(text,
                        "{\"type\":\"calendarinterval\",\"years\":0,\"months\":1,\"weeks\":0,\"days\":0,"
                        "\"hour\":2,\"minute\":30,\"second\":0,\"origin\":\"2026-01-31\",\"timezone\":"
                        "\"Europe/Berlin\",\"start_date\":\"2026-01-31T11:00:00+00:00\"}");
    free(text);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

/* Without a start_date the date origin is today: written as "origin", it does not move to the reading day. */
static void rt_calendar_default_origin(void **state)
{
    asyncz_zone *lh = az_test_zone("Australia/Lord_Howe");
    asyncz_trigger_options o = options(lh);
    asyncz_calendar_interval ci = {.days = 3, .hour = 2, .minute = 15};
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_calendar_new(&t, &ci, &o, NULL), 0);
    asyncz_time_t froms[] = {asyncz_now() - 10 * ASYNCZ_USEC_PER_DAY,
                             asyncz_now() + 200 * ASYNCZ_USEC_PER_DAY};
    check_round_trip(t, froms, 2, PREVIEW);
    asyncz_zone_unref(lh);
}

/* A written origin wins over the date of start_date, and reading keeps it. */
static void rt_calendar_origin_read(void **state)
{
    asyncz_trigger *t =
        trigger_from("{\"type\":\"calendarinterval\",\"weeks\":2,\"hour\":9,\"origin\":\"2026-01-05\","
                     "\"timezone\":\"UTC\"}");
    asyncz_time_t fires[3];
    size_t n = 0;
    assert_int_equal(asyncz_trigger_preview(t, at("2026-01-06T00:00:00Z"), 3, fires, &n), 0);
    assert_int_equal(n, 3);
    assert_true(fires[0] == at("2026-01-19T09:00:00Z"));
    assert_true(fires[2] == at("2026-02-16T09:00:00Z"));
    asyncz_trigger_unref(t);
}

static void rt_date(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_date_new(&t, at("2026-03-29T03:00:00.000250+02:00"), &o), 0);
    asyncz_time_t froms[] = {at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")};
    char *text = round_trip(t, froms, 2, 1);
    assert_string_equal(text,
                        "{\"type\":\"date\",\"run_date\":\"2026-03-29T01:00:00.00025+00:00\",\"timezone\":"
                        "\"Europe/Berlin\"}");
    free(text);
    asyncz_trigger_unref(t);
    asyncz_zone_unref(berlin);
}

/* or[and[cron, interval], date, calendarinterval] with options on the combinations and the children. */
static void rt_and_or_nested(void **state)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    asyncz_trigger *cron = NULL, *iv = NULL, *both = NULL, *date = NULL, *cal = NULL, *any = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&cron, "0 */2 * * *", &o, NULL), 0);
    o.start_date = at("2026-03-01T00:00:00+01:00");
    assert_int_equal(asyncz_trigger_interval_new(&iv, 3 * ASYNCZ_USEC_PER_HOUR, &o, NULL), 0);
    asyncz_trigger *pair[] = {cron, iv};
    o.end_date = at("2026-12-31T00:00:00+01:00");
    assert_int_equal(asyncz_trigger_and_new(&both, pair, 2, &o), 0);
    asyncz_trigger_options od = options(asyncz_zone_utc());
    assert_int_equal(asyncz_trigger_date_new(&date, at("2026-03-29T01:30:00Z"), &od), 0);
    asyncz_calendar_interval ci = {.days = 10, .hour = 12};
    assert_int_equal(asyncz_trigger_calendar_new(&cal, &ci, &o, NULL), 0);
    asyncz_trigger *three[] = {both, date, cal};
    asyncz_trigger_options oo = options(berlin);
    oo.jitter = 5 * ASYNCZ_USEC_PER_SEC;
    oo.jitter_seed = 99;
    assert_int_equal(asyncz_trigger_or_new(&any, three, 3, &oo), 0);
    asyncz_time_t froms[] = {at("2026-03-27T00:00:00Z"), at("2026-10-20T00:00:00Z")};
    check_round_trip(any, froms, 2, PREVIEW);
    asyncz_trigger *parts[] = {cron, iv, both, date, cal};
    for (size_t i = 0; i < 5; i++)
        asyncz_trigger_unref(parts[i]);
    asyncz_zone_unref(berlin);
}

static void rt_shutdown(void **state)
{
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&t), 0);
    asyncz_time_t froms[] = {0};
    char *text = round_trip(t, froms, 1, 0);
    assert_string_equal(text, "{\"type\":\"shutdown\"}");
    free(text);
    asyncz_trigger_unref(t);
}

static void rt_fixed_offset_zone(void **state)
{
    asyncz_zone *zone = az_test_zone("+05:30");
    asyncz_trigger_options o = options(zone);
    asyncz_trigger *t = NULL;
    assert_int_equal(asyncz_trigger_crontab_new(&t, "@daily", &o, NULL), 0);
    asyncz_time_t froms[] = {at("2026-06-01T00:00:00Z")};
    check_round_trip(t, froms, 1, PREVIEW);
    asyncz_zone_unref(zone);
}

/* ---- the task document ------------------------------------------------------------------------- */

static const char golden[] =
    "{\"v\":1,\"id\":\"golden-1\",\"name\":\"Nightly report\",\"func\":\"reports.send\",\"args\":[1,\"two\","
    "{\"three\":3}],\"kwargs\":{\"to\":\"ops@example.com\"},\"trigger\":{\"type\":\"cron\",\"fields\":{"
    "\"day_of_week\":\"mon-fri\",\"hour\":\"9\",\"minute\":\"*/15\"},\"timezone\":\"Europe/Berlin\","
    "\"start_date\":\"2026-02-28T23:00:00+00:00\",\"jitter\":2.5,\"jitter_seed\":7},\"executor\":"
    "\"threadpool\","
    "\"misfire_grace_time\":null,\"coalesce\":false,\"max_instances\":3,\"next_run_time\":"
    "\"2026-03-30T07:00:00.5+00:00\"}";

static asyncz_task *golden_task(void)
{
    asyncz_zone *berlin = az_test_zone("Europe/Berlin");
    asyncz_trigger_options o = options(berlin);
    o.start_date = at("2026-03-01T00:00:00+01:00");
    o.jitter = 2500000;
    o.jitter_seed = 7;
    asyncz_cron_fields f = {.day_of_week = "mon-fri", .hour = "9", .minute = "*/15"};
    asyncz_trigger *trigger = NULL;
    assert_int_equal(asyncz_trigger_cron_new(&trigger, &f, &o, NULL), 0);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "reports.send"), 0);
    assert_int_equal(asyncz_task_set_id(t, "golden-1"), 0);
    assert_int_equal(asyncz_task_set_name(t, "Nightly report"), 0);
    assert_int_equal(asyncz_task_set_args_json(t, "[1, \"two\", {\"three\": 3}]"), 0);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{\"to\": \"ops@example.com\"}"), 0);
    assert_int_equal(asyncz_task_set_trigger(t, trigger), 0);
    assert_int_equal(asyncz_task_set_executor(t, "threadpool"), 0);
    assert_int_equal(asyncz_task_set_store(t, "sql"), 0);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED), 0);
    assert_int_equal(asyncz_task_set_coalesce(t, false), 0);
    assert_int_equal(asyncz_task_set_max_instances(t, 3), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, at("2026-03-30T09:00:00.5+02:00")), 0);
    asyncz_trigger_unref(trigger);
    asyncz_zone_unref(berlin);
    return t;
}

static char *task_json(const asyncz_task *t)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(asyncz_task_to_json(t, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    return text;
}

static asyncz_task *task_from(const char *text)
{
    asyncz_task *t = NULL;
    asyncz_doc_error err;
    int rc = asyncz_task_from_json(&t, text, strlen(text), &err);
    if (rc != 0) {
        char msg[300];
        asyncz_doc_error_format(&err, msg, sizeof msg);
        fail_msg("%s: %s\nin %s", asyncz_err_name(rc), msg, text);
    }
    return t;
}

static void task_golden_document(void **state)
{
    asyncz_task *t = golden_task();
    char *text = task_json(t);
    assert_string_equal(text, golden);
    free(text);
    asyncz_task_free(t);
}

static void task_golden_read(void **state)
{
    asyncz_task *t = task_from(golden);
    assert_string_equal(asyncz_task_id(t), "golden-1");
    assert_string_equal(asyncz_task_name(t), "Nightly report");
    assert_string_equal(asyncz_task_func(t), "reports.send");
    assert_string_equal(asyncz_task_args_json(t), "[1,\"two\",{\"three\":3}]");
    assert_string_equal(asyncz_task_kwargs_json(t), "{\"to\":\"ops@example.com\"}");
    assert_string_equal(asyncz_task_executor(t), "threadpool");
    assert_string_equal(asyncz_task_store(t), "default"); /* not part of the document */
    assert_int_equal(asyncz_task_misfire_grace_time(t), ASYNCZ_GRACE_UNLIMITED);
    assert_false(asyncz_task_coalesce(t));
    assert_int_equal(asyncz_task_max_instances(t), 3);
    assert_true(asyncz_task_next_run_time(t) == at("2026-03-30T07:00:00.5Z"));
    assert_true(asyncz_task_has_next_run_time(t));
    asyncz_task *orig = golden_task();
    assert_same_fires(asyncz_task_trigger(orig), asyncz_task_trigger(t), at("2026-03-01T00:00:00Z"), PREVIEW);
    char *again = task_json(t);
    assert_string_equal(again, golden);
    free(again);
    asyncz_task_free(orig);
    asyncz_task_free(t);
}

/* Keys may come in any order when read; the writer puts them back in its order. */
static void task_keys_any_order(void **state)
{
    const char *shuffled = "{\"next_run_time\":null,\"max_instances\":1,\"coalesce\":true,\"misfire_grace_"
                           "time\":0.25,\"executor\":"
                           "\"default\",\"trigger\":{\"timezone\":\"UTC\",\"interval\":\"90s\",\"start_"
                           "date\":\"2026-01-01T00:00:00Z\","
                           "\"type\":\"interval\"},\"kwargs\":{},\"args\":[],\"func\":\"f\",\"name\":\"f\","
                           "\"id\":\"x\",\"v\":1}";
    asyncz_task *t = task_from(shuffled);
    assert_true(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_misfire_grace_time(t), 250000);
    char *text = task_json(t);
    assert_string_equal(text,
                        "{\"v\":1,\"id\":\"x\",\"name\":\"f\",\"func\":\"f\",\"args\":[],\"kwargs\":{},"
                        "\"trigger\":{\"type\":\"interval\",\"interval\":\"1m30s\",\"timezone\":\"UTC\","
                        "\"start_date\":\"2026-01-01T00:00:00+00:00\"},\"executor\":\"default\","
                        "\"misfire_grace_time\":0.25,\"coalesce\":true,\"max_instances\":1,"
                        "\"next_run_time\":null}");
    free(text);
    asyncz_task_free(t);
}

static void task_round_trip_defaults(void **state)
{
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "f"), 0);
    assert_int_equal(asyncz_task_set_id(t, "plain"), 0);
    char *text = task_json(t);
    /* No trigger is written as null; a next run time never set reads back as paused. */
    assert_string_equal(text,
                        "{\"v\":1,\"id\":\"plain\",\"name\":\"f\",\"func\":\"f\",\"args\":[],\"kwargs\":{},"
                        "\"trigger\":null,\"executor\":\"default\",\"misfire_grace_time\":1,"
                        "\"coalesce\":true,\"max_instances\":1,\"next_run_time\":null}");
    asyncz_task *back = task_from(text);
    assert_null(asyncz_task_trigger(back));
    assert_true(asyncz_task_paused(back));
    char *again = task_json(back);
    assert_string_equal(again, text);
    free(again);
    free(text);
    asyncz_task_free(back);
    asyncz_task_free(t);
}

/* Fractional grace times read back to the microsecond, and whole seconds are written as integers. */
static void task_grace_precision(void **state)
{
    static const int64_t values[] = {1,
                                     999999,
                                     1000001,
                                     250000,
                                     100000,
                                     86400 * ASYNCZ_USEC_PER_SEC,
                                     INT64_C(2251799813685247),
                                     INT64_C(9223372036854000000)};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        asyncz_task *t = NULL;
        assert_int_equal(asyncz_task_new(&t, "f"), 0);
        assert_int_equal(asyncz_task_set_id(t, "g"), 0);
        assert_int_equal(asyncz_task_set_misfire_grace_time(t, values[i]), 0);
        char *text = task_json(t);
        asyncz_task *back = task_from(text);
        if (asyncz_task_misfire_grace_time(back) != values[i])
            fail_msg("grace %lld read back as %lld from %s", (long long)values[i],
                     (long long)asyncz_task_misfire_grace_time(back), text);
        free(text);
        asyncz_task_free(back);
        asyncz_task_free(t);
    }
}

/* A name equal to the function name is written and read like the default (it follows the function). */
static void task_name_written_always(void **state)
{
    asyncz_task *t =
        task_from("{\"v\":1,\"id\":\"n\",\"name\":\"Display name\",\"func\":\"f\",\"args\":[],"
                  "\"kwargs\":{},\"trigger\":null,\"executor\":\"default\",\"misfire_grace_time\":1,"
                  "\"coalesce\":true,\"max_instances\":4294967295,\"next_run_time\":"
                  "\"2026-01-01T00:00:00-05:00\"}");
    assert_string_equal(asyncz_task_name(t), "Display name");
    assert_int_equal(asyncz_task_max_instances(t), UINT32_MAX);
    assert_true(asyncz_task_next_run_time(t) == at("2026-01-01T05:00:00Z"));
    asyncz_task_free(t);
}

static void task_to_json_refusals(void **state)
{
    asyncz_task *t = NULL;
    char *text = (char *)1;
    assert_int_equal(asyncz_task_new(&t, "f"), 0);
    assert_int_equal(asyncz_task_to_json(t, &text, NULL), ASYNCZ_EINVAL); /* no id */
    assert_null(text);
    assert_int_equal(asyncz_task_to_json(NULL, &text, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_id(t, "x"), 0);
    assert_int_equal(asyncz_task_to_json(t, NULL, NULL), ASYNCZ_EINVAL);
    /* args and kwargs are each within the limit, but not together. */
    char *big = malloc(ASYNCZ_TASK_ARGS_MAX / 2 + 100);
    snprintf(big, ASYNCZ_TASK_ARGS_MAX / 2 + 100, "[\"%0*d\"]", ASYNCZ_TASK_ARGS_MAX / 2 + 10, 0);
    assert_int_equal(asyncz_task_set_args_json(t, big), 0);
    snprintf(big, ASYNCZ_TASK_ARGS_MAX / 2 + 100, "{\"k\":\"%0*d\"}", ASYNCZ_TASK_ARGS_MAX / 2, 0);
    assert_int_equal(asyncz_task_set_kwargs_json(t, big), 0);
    assert_int_equal(asyncz_task_to_json(t, &text, NULL), ASYNCZ_ETOOBIG);
    free(big);
    asyncz_task_free(t);
}

/* A custom kind has no document form: writing it is refused, naming nothing it cannot know. */
static int custom_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    *out = ASYNCZ_TIME_NONE;
    return 0;
}

static void custom_destroy(asyncz_trigger *t)
{
    free(t);
}

static const asyncz_trigger_ops custom_ops = {ASYNCZ_TRIGGER_OPS_VERSION, "cron", custom_next, NULL,
                                              custom_destroy};

static void custom_trigger_unsupported(void **state)
{
    asyncz_trigger_base *b = calloc(1, sizeof *b);
    asyncz_trigger_options o = options(asyncz_zone_utc());
    assert_int_equal(asyncz_trigger_base_init(b, &custom_ops, &o), 0);
    asyncz_trigger *t = (asyncz_trigger *)b;
    char *text = NULL;
    assert_int_equal(asyncz_trigger_to_json(t, &text, NULL), ASYNCZ_EUNSUPPORTED);
    assert_null(text);
    asyncz_task *task = NULL;
    assert_int_equal(asyncz_task_new(&task, "f"), 0);
    assert_int_equal(asyncz_task_set_id(task, "c"), 0);
    assert_int_equal(asyncz_task_set_trigger(task, t), 0);
    assert_int_equal(asyncz_task_to_json(task, &text, NULL), ASYNCZ_EUNSUPPORTED);
    /* Inside an or-trigger too. */
    asyncz_trigger *any = NULL;
    assert_int_equal(asyncz_trigger_or_new(&any, &t, 1, &o), 0);
    assert_int_equal(asyncz_trigger_to_json(any, &text, NULL), ASYNCZ_EUNSUPPORTED);
    asyncz_trigger_unref(any);
    asyncz_task_free(task);
    asyncz_trigger_unref(t);
}

/* ---- refusals ----------------------------------------------------------------------------------- */

/* Set or delete a member at a dotted path under doc. */
static void patch(json_t *doc, const char *path, json_t *value)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *obj = doc;
    char *key = buf, *dot;
    while ((dot = strchr(key, '.'))) {
        *dot = '\0';
        obj = json_object_get(obj, key);
        assert_non_null(obj);
        key = dot + 1;
    }
    if (value)
        assert_int_equal(json_object_set(obj, key, value), 0);
    else
        assert_int_equal(json_object_del(obj, key), 0);
}

static char *bad_document(const json_t *base, const json_t *c)
{
    const json_t *text = json_object_get(c, "text");
    if (text)
        return strdup(json_string_value(text));
    json_t *doc = json_deep_copy(base);
    size_t i;
    json_t *path;
    json_array_foreach(json_object_get(c, "delete"), i, path) patch(doc, json_string_value(path), NULL);
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(c, "set"), key, value) patch(doc, key, value);
    char *out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return out;
}

static void check_refusal(const json_t *base, const json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *want_code = json_string_value(json_object_get(c, "error"));
    const char *want_path = json_string_value(json_object_get(c, "path"));
    const char *want_reason = json_string_value(json_object_get(c, "reason"));
    char *text = bad_document(base, c);
    asyncz_task *t = (asyncz_task *)1;
    asyncz_doc_error err;
    int rc = asyncz_task_from_json(&t, text, strlen(text), &err);
    char msg[300];
    asyncz_doc_error_format(&err, msg, sizeof msg);
    if (strcmp(asyncz_err_name(rc), want_code) != 0 || strcmp(err.path, want_path) != 0 ||
        (want_reason && !strstr(err.reason, want_reason)) || !err.reason[0] || t != NULL)
        fail_msg("%s: expected %s at \"%s\" (%s), got %s: %s\nin %s", name, want_code, want_path,
                 want_reason ? want_reason : "", asyncz_err_name(rc), msg, text);
    free(text);
}

static void task_docs_bad_vectors(void **state)
{
    json_t *v = az_test_load_vectors("task_docs_bad.json");
    const json_t *base = json_object_get(v, "base");
    /* The base document itself must be good, or every case would pass for the wrong reason. */
    char *good = json_dumps(base, JSON_COMPACT);
    asyncz_task_free(task_from(good));
    free(good);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "cases"), i, c) check_refusal(base, c);
    assert_true(json_array_size(json_object_get(v, "cases")) >= 25);
    json_decref(v);
}

static void task_doc_syntax_position(void **state)
{
    const char *text = "{\"v\":1,\n \"id\": \"x\",\n \"name\" \"f\"}";
    asyncz_task *t = NULL;
    asyncz_doc_error err;
    assert_int_equal(asyncz_task_from_json(&t, text, strlen(text), &err), ASYNCZ_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 11); /* jansson points at the end of the unexpected token */
    assert_string_equal(err.path, "");
    char msg[200];
    int n = asyncz_doc_error_format(&err, msg, sizeof msg);
    assert_int_equal(n, (int)strlen(msg));
    assert_int_equal(strncmp(msg, "line 3, column 11: ", 19), 0);
}

static void task_doc_too_big(void **state)
{
    size_t len = ASYNCZ_TASK_DOC_MAX + 1;
    char *text = malloc(len);
    memset(text, ' ', len);
    text[0] = '{';
    text[len - 1] = '}';
    asyncz_task *t = NULL;
    asyncz_doc_error err;
    assert_int_equal(asyncz_task_from_json(&t, text, len, &err), ASYNCZ_ETOOBIG);
    assert_non_null(strstr(err.reason, "1048576"));
    asyncz_trigger *tr = NULL;
    assert_int_equal(asyncz_trigger_from_json(&tr, text, len, &err), ASYNCZ_ETOOBIG);
    assert_int_equal(asyncz_task_from_json(&t, text, len - 1, &err), ASYNCZ_EPARSE); /* just under: read */
    free(text);
}

/* A document holding args (or args and kwargs together) over ASYNCZ_TASK_ARGS_MAX. */
static char *doc_with_args(size_t args_chars, size_t kwargs_chars)
{
    size_t size = args_chars + kwargs_chars + 512;
    char *text = malloc(size);
    snprintf(
        text, size,
        "{\"v\":1,\"id\":\"a\",\"name\":\"f\",\"func\":\"f\",\"args\":[\"%0*d\"],\"kwargs\":{\"k\":\"%0*d\"},"
        "\"trigger\":null,\"executor\":\"default\",\"misfire_grace_time\":1,\"coalesce\":true,"
        "\"max_instances\":1,\"next_run_time\":null}",
        (int)args_chars, 0, (int)kwargs_chars, 0);
    return text;
}

static void task_doc_args_too_big(void **state)
{
    asyncz_task *t = NULL;
    asyncz_doc_error err;
    char *text = doc_with_args(ASYNCZ_TASK_ARGS_MAX, 1);
    assert_int_equal(asyncz_task_from_json(&t, text, strlen(text), &err), ASYNCZ_ETOOBIG);
    assert_string_equal(err.path, "args");
    free(text);
    text = doc_with_args(ASYNCZ_TASK_ARGS_MAX / 2, ASYNCZ_TASK_ARGS_MAX / 2);
    assert_int_equal(asyncz_task_from_json(&t, text, strlen(text), &err), ASYNCZ_ETOOBIG);
    assert_string_equal(err.path, "kwargs");
    assert_non_null(strstr(err.reason, "together"));
    free(text);
    text = doc_with_args(ASYNCZ_TASK_ARGS_MAX / 2, ASYNCZ_TASK_ARGS_MAX / 4);
    assert_int_equal(asyncz_task_from_json(&t, text, strlen(text), &err), 0);
    asyncz_task_free(t);
    free(text);
}

/* and/or nest at most AZ_TRIGGER_DEPTH_MAX (16) levels, on reading and on writing alike. */
static char *nested_or(int levels)
{
    size_t size = (size_t)levels * 64 + 64;
    char *text = malloc(size);
    size_t n = 0;
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(text + n, size - n, "{\"type\":\"or\",\"timezone\":\"UTC\",\"triggers\":[");
    n += (size_t)snprintf(text + n, size - n, "{\"type\":\"shutdown\"}");
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(text + n, size - n, "]}");
    return text;
}

static void trigger_doc_nesting_limit(void **state)
{
    char *text = nested_or(15); /* 15 or-levels plus the leaf: 16 levels */
    asyncz_trigger *t = trigger_from(text);
    char *again = trigger_json(t);
    free(again);
    free(text);
    asyncz_trigger *deeper = NULL;
    assert_int_equal(asyncz_trigger_or_new(&deeper, &t, 1, NULL), 0);
    assert_int_equal(asyncz_trigger_to_json(deeper, &again, NULL), ASYNCZ_ETOOBIG);
    asyncz_trigger_unref(deeper);
    asyncz_trigger_unref(t);
    text = nested_or(16);
    asyncz_doc_error err;
    assert_int_equal(asyncz_trigger_from_json(&t, text, strlen(text), &err), ASYNCZ_ETOOBIG);
    assert_non_null(strstr(err.path, "triggers"));
    free(text);
}

/* A trigger document alone uses paths without the "trigger." prefix. */
static void trigger_doc_refusals(void **state)
{
    static const struct {
        const char *text;
        int code;
        const char *path;
    } cases[] = {
        {"{\"type\":\"cron\",\"crontab\":\"0 9 * * *\",\"timezone\":\"Mars/Base\"}", ASYNCZ_EZONE,
         "timezone"},
        {"{\"type\":\"pulse\"}", ASYNCZ_EUNSUPPORTED, "type"},
        {"{\"crontab\":\"0 9 * * *\"}", ASYNCZ_EPARSE, "type"},
        {"{\"type\":\"date\",\"run_date\":\"2026-01-01T00:00:00\"}", ASYNCZ_EINVAL, "run_date"},
        {"[]", ASYNCZ_EPARSE, ""},
        {"{\"type\":\"and\",\"triggers\":[{\"type\":\"date\",\"run_date\":1}]}", ASYNCZ_EPARSE,
         "triggers[0].run_date"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asyncz_trigger *t = NULL;
        asyncz_doc_error err;
        int rc = asyncz_trigger_from_json(&t, cases[i].text, strlen(cases[i].text), &err);
        if (rc != cases[i].code || strcmp(err.path, cases[i].path) != 0)
            fail_msg("%s: got %s at \"%s\" (%s)", cases[i].text, asyncz_err_name(rc), err.path, err.reason);
        assert_null(t);
    }
}

/* A trigger document without a timezone means the local zone, as the constructors' default does. */
static void trigger_doc_default_zone(void **state)
{
    asyncz_trigger *t = trigger_from("{\"type\":\"cron\",\"crontab\":\"0 9 * * *\"}");
    asyncz_zone *local = az_test_zone("local");
    assert_string_equal(asyncz_zone_name(asyncz_trigger_zone(t)), asyncz_zone_name(local));
    asyncz_zone_unref(local);
    asyncz_trigger_unref(t);
}

/* ---- the trigger memo used when listing a store (codec/task_decode.h) ---------------------------- */

static const char *memo_doc(char *buf, size_t size, const char *id, const char *trigger)
{
    snprintf(buf, size,
             "{\"v\":1,\"id\":\"%s\",\"name\":\"f\",\"func\":\"f\",\"args\":[],\"kwargs\":{},\"trigger\":%s,"
             "\"executor\":\"default\",\"misfire_grace_time\":1,\"coalesce\":true,\"max_instances\":1,"
             "\"next_run_time\":null}",
             id, trigger);
    return buf;
}

static asyncz_task *memo_decode(const char *id, const char *trigger, az_trigger_memo *memo)
{
    char doc[1024];
    asyncz_doc_error err;
    asyncz_task *t = NULL;
    memo_doc(doc, sizeof doc, id, trigger);
    int rc = az_task_from_json_memo(&t, doc, strlen(doc), memo, &err);
    if (rc)
        fail_msg("%s: %s at %s", id, err.reason, err.path);
    return t;
}

#define CRON(tab) "{\"type\":\"cron\",\"crontab\":\"" tab "\",\"timezone\":\"UTC\"}"

static void memo_shares_equal_cron_triggers(void **state)
{
    (void)state;
    az_trigger_memo memo = {0};
    asyncz_task *a = memo_decode("a", CRON("0 * * * *"), &memo),
                *b = memo_decode("b", CRON("0 * * * *"), &memo);
    assert_ptr_equal(asyncz_task_trigger(a), asyncz_task_trigger(b));
    asyncz_task *c = memo_decode("c", CRON("0 * * * *"), NULL); /* without a memo: its own */
    assert_ptr_not_equal(asyncz_task_trigger(a), asyncz_task_trigger(c));
    asyncz_task *d =
        memo_decode("d", "{\"type\":\"cron\",\"crontab\":\"0 * * * *\",\"timezone\":\"Europe/Paris\"}",
                    &memo); /* another zone: another trigger */
    assert_ptr_not_equal(asyncz_task_trigger(a), asyncz_task_trigger(d));
    az_trigger_memo_clear(&memo);
    asyncz_task_free(a); /* the tasks hold their own references */
    char *text = trigger_json(asyncz_task_trigger(b));
    assert_string_equal(text, CRON("0 * * * *"));
    free(text);
    asyncz_task_free(b);
    asyncz_task_free(c);
    asyncz_task_free(d);
}

/* A jitter without a written seed draws a seed per trigger: such triggers are decoded each time. So are
 * kinds other than cron. */
static void memo_skips_unwritten_seeds_and_other_kinds(void **state)
{
    (void)state;
    az_trigger_memo memo = {0};
    const char *jittered = "{\"type\":\"cron\",\"crontab\":\"0 * * * *\",\"timezone\":\"UTC\",\"jitter\":5}";
    asyncz_task *a = memo_decode("a", jittered, &memo), *b = memo_decode("b", jittered, &memo);
    assert_ptr_not_equal(asyncz_task_trigger(a), asyncz_task_trigger(b));
    const char *seeded =
        "{\"type\":\"cron\",\"crontab\":\"0 * * * *\",\"timezone\":\"UTC\",\"jitter\":5,\"jitter_seed\":7}";
    asyncz_task *c = memo_decode("c", seeded, &memo), *d = memo_decode("d", seeded, &memo);
    assert_ptr_equal(asyncz_task_trigger(c), asyncz_task_trigger(d));
    const char *every = "{\"type\":\"interval\",\"interval\":\"5s\",\"timezone\":\"UTC\",\"start_date\":"
                        "\"2027-01-15T08:00:00+00:00\"}";
    asyncz_task *e = memo_decode("e", every, &memo), *f = memo_decode("f", every, &memo);
    assert_ptr_not_equal(asyncz_task_trigger(e), asyncz_task_trigger(f));
    az_trigger_memo_clear(&memo);
    asyncz_task *all[] = {a, b, c, d, e, f};
    for (size_t i = 0; i < 6; i++)
        asyncz_task_free(all[i]);
}

/* More distinct triggers than the memo holds, in turns: each task still gets its own document's trigger. */
static void memo_evicts_least_recently_used(void **state)
{
    (void)state;
    static const char *const tabs[] = {CRON("0 1 * * *"), CRON("0 2 * * *"), CRON("0 3 * * *"),
                                       CRON("0 4 * * *"), CRON("0 5 * * *"), CRON("0 6 * * *")};
    az_trigger_memo memo = {0};
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < 6; i++) {
            size_t k = round == 1 ? 5 - i : i;
            asyncz_task *t = memo_decode("x", tabs[k], &memo);
            char *text = trigger_json(asyncz_task_trigger(t));
            assert_string_equal(text, tabs[k]);
            free(text);
            asyncz_task_free(t);
        }
    /* A trigger found again takes no second place: repeats of one keep the others. */
    asyncz_task *a = memo_decode("a", tabs[0], &memo), *b = memo_decode("b", tabs[1], &memo);
    for (int i = 0; i < 2 * AZ_TRIGGER_MEMO_SIZE; i++) {
        asyncz_task *again = memo_decode("a2", tabs[0], &memo);
        assert_ptr_equal(asyncz_task_trigger(again), asyncz_task_trigger(a));
        asyncz_task_free(again);
    }
    asyncz_task *b2 = memo_decode("b2", tabs[1], &memo);
    assert_ptr_equal(asyncz_task_trigger(b2), asyncz_task_trigger(b));
    asyncz_task_free(a);
    asyncz_task_free(b);
    asyncz_task_free(b2);
    /* The four most recent stay, most recent first. */
    asyncz_task *t = memo_decode("y", tabs[5], &memo);
    assert_ptr_equal(asyncz_task_trigger(t), memo.trigger[0]);
    asyncz_task_free(t);
    az_trigger_memo_clear(&memo);
    for (int i = 0; i < AZ_TRIGGER_MEMO_SIZE; i++)
        assert_null(memo.doc[i]);
}

static void doc_error_format(void **state)
{
    asyncz_doc_error err = {0, 0, "trigger.timezone", "unknown time zone \"Mars/Base\""};
    char buf[128];
    assert_int_equal(asyncz_doc_error_format(&err, buf, sizeof buf),
                     (int)strlen("trigger.timezone: unknown time zone \"Mars/Base\""));
    assert_string_equal(buf, "trigger.timezone: unknown time zone \"Mars/Base\"");
    asyncz_doc_error pos = {2, 5, "", "end of file expected"};
    asyncz_doc_error_format(&pos, buf, sizeof buf);
    assert_string_equal(buf, "line 2, column 5: end of file expected");
    char small[8];
    int n = asyncz_doc_error_format(&err, small, sizeof small);
    assert_string_equal(small, "trigger");
    assert_true(n > 8);
    assert_int_equal(asyncz_doc_error_format(&err, NULL, 0), n);
    asyncz_doc_error_format(NULL, buf, sizeof buf);
    assert_string_equal(buf, "unknown error");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(rt_crontab_berlin),
    cmocka_unit_test(rt_crontab_extensions),
    cmocka_unit_test(rt_cron_fields_lord_howe),
    cmocka_unit_test(rt_cron_every_field),
    cmocka_unit_test(rt_cron_no_fields),
    cmocka_unit_test(rt_interval_made_yesterday),
    cmocka_unit_test(rt_interval_default_origin),
    cmocka_unit_test(rt_interval_exhausted),
    cmocka_unit_test(rt_jitter_with_seed),
    cmocka_unit_test(rt_jitter_random_seed),
    cmocka_unit_test(rt_calendar_interval),
    cmocka_unit_test(rt_calendar_default_origin),
    cmocka_unit_test(rt_calendar_origin_read),
    cmocka_unit_test(rt_date),
    cmocka_unit_test(rt_and_or_nested),
    cmocka_unit_test(rt_shutdown),
    cmocka_unit_test(rt_fixed_offset_zone),
    cmocka_unit_test(task_golden_document),
    cmocka_unit_test(task_golden_read),
    cmocka_unit_test(task_keys_any_order),
    cmocka_unit_test(task_round_trip_defaults),
    cmocka_unit_test(task_grace_precision),
    cmocka_unit_test(task_name_written_always),
    cmocka_unit_test(task_to_json_refusals),
    cmocka_unit_test(custom_trigger_unsupported),
    cmocka_unit_test(task_docs_bad_vectors),
    cmocka_unit_test(task_doc_syntax_position),
    cmocka_unit_test(task_doc_too_big),
    cmocka_unit_test(task_doc_args_too_big),
    cmocka_unit_test(trigger_doc_nesting_limit),
    cmocka_unit_test(trigger_doc_refusals),
    cmocka_unit_test(trigger_doc_default_zone),
    cmocka_unit_test(doc_error_format),
    cmocka_unit_test(memo_shares_equal_cron_triggers),
    cmocka_unit_test(memo_skips_unwritten_seeds_and_other_kinds),
    cmocka_unit_test(memo_evicts_least_recently_used),
};

AZ_TEST_MAIN(tests)
