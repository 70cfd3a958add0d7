/* Every case of asyncz_fields.json (field-level cases of the Python asyncz test suite).
 *
 * An accepted case gives a field, an expression and a date: the trigger fixes the fields more significant
 * than the one tested to the date's values (so the search stays within that period) and the next fire
 * time from the date must carry the expected value, or there must be none in that period (null). For
 * day_of_week the period is the date's week. A rejected case must fail with the field, the expression and
 * a reason. */
#include <stdio.h>
#include <string.h>

#include "az_test.h"

static const char *const field_names[] = {"year",        "month", "day",    "week",
                                          "day_of_week", "hour",  "minute", "second"};

static const char **slot(asyncz_cron_fields *f, int i)
{
    const char **slots[] = {&f->year,        &f->month, &f->day,    &f->week,
                            &f->day_of_week, &f->hour,  &f->minute, &f->second};
    return slots[i];
}

static int field_index(const char *name)
{
    for (int i = 0; i < 8; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    fail_msg("unknown field %s", name);
    return -1;
}

/* The value of field fi at instant t (UTC). */
static int value_of(int fi, asyncz_time_t t)
{
    asyncz_civil c;
    assert_int_equal(asyncz_zone_to_civil(asyncz_zone_utc(), t, &c, NULL), 0);
    switch (fi) {
    case 0:
        return c.year;
    case 1:
        return c.month;
    case 2:
        return c.day;
    case 4:
        return asyncz_civil_weekday(c.year, c.month, c.day);
    case 5:
        return c.hour;
    case 6:
        return c.minute;
    case 7:
        return c.second;
    default:
        fail_msg("field %d not handled", fi);
        return -1;
    }
}

/* Fix the fields above fi to the date's values: year, month, then day and hour as needed. */
static void fix_context(asyncz_cron_fields *f, int fi, asyncz_time_t date, char buf[4][16])
{
    asyncz_civil c;
    assert_int_equal(asyncz_zone_to_civil(asyncz_zone_utc(), date, &c, NULL), 0);
    int values[] = {c.year, c.month, c.day, -1, -1, c.hour, c.minute};
    int slots[] = {0, 1, 2, -1, -1, 5, 6};
    int n = 0;
    for (int i = 0; i < 7 && i < fi; i++) {
        if (slots[i] < 0 || (fi == 4 && i == 2))
            continue;
        snprintf(buf[n], 16, "%d", values[i]);
        *slot(f, slots[i]) = buf[n++];
    }
}

static void check_accepted(json_t *c, int fi, const char *expr)
{
    asyncz_time_t date = az_test_time(json_string_value(json_object_get(c, "date")), asyncz_zone_utc());
    asyncz_cron_fields f = {0};
    char buf[4][16];
    fix_context(&f, fi, date, buf);
    *slot(&f, fi) = expr;
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    if (asyncz_trigger_cron_new(&t, &f, &opts, &err) < 0)
        fail_msg("%s='%s' rejected: %s", field_names[fi], expr, err.reason);
    asyncz_time_t got;
    assert_int_equal(asyncz_trigger_next(t, ASYNCZ_TIME_NONE, date, &got), 0);
    json_t *exp = json_object_get(c, "expected");
    bool in_period = got != ASYNCZ_TIME_NONE && (fi != 4 || got - date < 7 * ASYNCZ_USEC_PER_DAY);
    if (json_is_null(exp)) {
        if (in_period)
            fail_msg("%s='%s' from %s: expected no match, got %s", field_names[fi], expr,
                     az_test_fmt(date, NULL), az_test_fmt(got, NULL));
    } else {
        if (!in_period)
            fail_msg("%s='%s' from %s: no match", field_names[fi], expr, az_test_fmt(date, NULL));
        assert_int_equal(value_of(fi, got), json_integer_value(exp));
    }
    asyncz_trigger_unref(t);
}

static void check_rejected(int fi, const char *expr)
{
    asyncz_cron_fields f = {0};
    *slot(&f, fi) = expr;
    asyncz_trigger *t = (asyncz_trigger *)&f; /* must be reset to NULL */
    asyncz_trigger_error err;
    memset(&err, 0, sizeof err);
    int rc = asyncz_trigger_cron_new(&t, &f, NULL, &err);
    if (rc != ASYNCZ_EPARSE && rc != ASYNCZ_ERANGE)
        fail_msg("%s='%s': expected a parse or range error, got %d", field_names[fi], expr, rc);
    assert_null(t);
    assert_string_equal(err.field, field_names[fi]);
    assert_string_equal(err.expression, expr);
    assert_true(err.column >= 1 && err.column <= (int)strlen(expr) + 1);
    assert_true(strlen(err.reason) > 0);
}

static void test_asyncz_field_cases(void **state)
{
    (void)state;
    json_t *root = az_test_load_vectors("asyncz_fields.json");
    size_t i, accepted = 0, rejected = 0;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        int fi = field_index(json_string_value(json_object_get(c, "field")));
        const char *expr = json_string_value(json_object_get(c, "expr"));
        if (json_is_true(json_object_get(c, "ok"))) {
            check_accepted(c, fi, expr);
            accepted++;
        } else {
            check_rejected(fi, expr);
            rejected++;
        }
    }
    json_decref(root);
    assert_int_equal(accepted, 21);
    assert_int_equal(rejected, 11);
}

/* The specific reasons of the rejected vector cases. */
static void test_asyncz_field_reasons(void **state)
{
    (void)state;
    static const struct {
        int fi;
        const char *expr;
        int column;
        const char *reason;
    } cases[] = {
        {5, "*/0", 3, "step must be at least 1"},
        {2, "5-3", 1, "range start 5 is above its end 3"},
        {2, "6th fri", 1, "\"6th\" is not a weekday position (1st..5th or last)"},
        {2, "1st moh", 5, "unknown weekday name \"moh\""},
        {4, "moh-fri", 1, "unknown weekday name \"moh\""},
        {4, "mon-fre", 5, "unknown weekday name \"fre\""},
        {2, "*/31", 3, "step 31 is larger than the range 1-31 it applies to"},
        {2, "4-6/3", 5, "step 3 is larger than the range 4-6 it applies to"},
        {5, "0-24", 3, "value 24 is above the maximum 23"},
        {2, "0-3", 1, "value 0 is below the minimum 1"},
        {0, "2009-fault", 6, "unexpected 'f', expected a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asyncz_cron_fields f = {0};
        *slot(&f, cases[i].fi) = cases[i].expr;
        asyncz_trigger *t = NULL;
        asyncz_trigger_error err;
        assert_true(asyncz_trigger_cron_new(&t, &f, NULL, &err) < 0);
        assert_string_equal(err.reason, cases[i].reason);
        assert_int_equal(err.column, cases[i].column);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_asyncz_field_cases),
    cmocka_unit_test(test_asyncz_field_reasons),
};

AZ_TEST_MAIN(tests)
