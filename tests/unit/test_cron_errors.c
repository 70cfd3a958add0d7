/* Every parse error path of the field API and crontab parsers: the code, the field named, the expression,
 * the 1-based column and the reason. */
#include <stdio.h>
#include <string.h>

#include "az_test.h"

enum { YEAR, MONTH, DAY, WEEK, DOW, HOUR, MINUTE, SECOND, CRONTAB };

typedef struct error_case {
    int where; /* a field of the field API, or CRONTAB */
    const char *expr;
    int rc;
    const char *field;
    int column;
    const char *reason;
} error_case;

static const error_case cases[] = {
    /* field API: syntax */
    {MINUTE, "", ASYNCZ_EPARSE, "minute", 1, "empty expression"},
    {MINUTE, "   ", ASYNCZ_EPARSE, "minute", 4, "empty expression"},
    {MINUTE, "1,,2", ASYNCZ_EPARSE, "minute", 3, "empty expression"},
    {MINUTE, "1,", ASYNCZ_EPARSE, "minute", 3, "empty expression"},
    {MINUTE, "5/", ASYNCZ_EPARSE, "minute", 3, "expected a step number after '/'"},
    {MINUTE, "5/x", ASYNCZ_EPARSE, "minute", 3, "unexpected 'x', expected a step number after '/'"},
    {MINUTE, "5x", ASYNCZ_EPARSE, "minute", 2, "unexpected 'x', expected ',' or the end of the expression"},
    {MINUTE, "*5", ASYNCZ_EPARSE, "minute", 2, "unexpected '5', expected ',' or the end of the expression"},
    {MINUTE, "5-", ASYNCZ_EPARSE, "minute", 3, "expected a number"},
    {MINUTE, "-5", ASYNCZ_EPARSE, "minute", 1, "unexpected '-', expected a number"},
    {MINUTE, "1 2", ASYNCZ_EPARSE, "minute", 2, "unexpected ' ', expected ',' or the end of the expression"},
    {YEAR, "2009-fault", ASYNCZ_EPARSE, "year", 6, "unexpected 'f', expected a number"},
    {MONTH, "foo", ASYNCZ_EPARSE, "month", 1, "unknown month name \"foo\""},
    {MONTH, "january", ASYNCZ_EPARSE, "month", 1, "unknown month name \"january\""},
    {DOW, "mon-fre", ASYNCZ_EPARSE, "day_of_week", 5, "unknown weekday name \"fre\""},
    {DAY, "fri", ASYNCZ_EPARSE, "day", 1, "unexpected 'f', expected a number"},
    /* field API: day positions */
    {DAY, "6th fri", ASYNCZ_EPARSE, "day", 1, "\"6th\" is not a weekday position (1st..5th or last)"},
    {DAY, "1nd fri", ASYNCZ_EPARSE, "day", 1, "\"1nd\" is not a weekday position (1st..5th or last)"},
    {DAY, "1stfri", ASYNCZ_EPARSE, "day", 1, "\"1stfri\" is not a weekday position (1st..5th or last)"},
    {DAY, "lastly", ASYNCZ_EPARSE, "day", 1, "\"lastly\" is not a weekday position (1st..5th or last)"},
    {DAY, "1st", ASYNCZ_EPARSE, "day", 4, "expected a space and a weekday name"},
    {DAY, "1st moh", ASYNCZ_EPARSE, "day", 5, "unknown weekday name \"moh\""},
    {DAY, "last moh", ASYNCZ_EPARSE, "day", 6, "unknown weekday name \"moh\""},
    {DAY, "2nd 5", ASYNCZ_EPARSE, "day", 5, "unexpected '5', expected a weekday name (mon..sun)"},
    {DAY, "last fri x", ASYNCZ_EPARSE, "day", 9, "unexpected ' ', expected ',' or the end of the expression"},
    /* field API: ranges and steps */
    {HOUR, "*/0", ASYNCZ_ERANGE, "hour", 3, "step must be at least 1"},
    {HOUR, "0-24", ASYNCZ_ERANGE, "hour", 3, "value 24 is above the maximum 23"},
    {HOUR, "24", ASYNCZ_ERANGE, "hour", 1, "value 24 is above the maximum 23"},
    {DAY, "0-3", ASYNCZ_ERANGE, "day", 1, "value 0 is below the minimum 1"},
    {DAY, "5-3", ASYNCZ_ERANGE, "day", 1, "range start 5 is above its end 3"},
    {DAY, "*/31", ASYNCZ_ERANGE, "day", 3, "step 31 is larger than the range 1-31 it applies to"},
    {DAY, "4-6/3", ASYNCZ_ERANGE, "day", 5, "step 3 is larger than the range 4-6 it applies to"},
    {MINUTE, "50/10", ASYNCZ_ERANGE, "minute", 4, "step 10 is larger than the range 50-59 it applies to"},
    {DOW, "7", ASYNCZ_ERANGE, "day_of_week", 1, "value 7 is above the maximum 6"},
    {WEEK, "54", ASYNCZ_ERANGE, "week", 1, "value 54 is above the maximum 53"},
    {WEEK, "0", ASYNCZ_ERANGE, "week", 1, "value 0 is below the minimum 1"},
    {YEAR, "0", ASYNCZ_ERANGE, "year", 1, "value 0 is below the minimum 1"},
    {YEAR, "*/8030", ASYNCZ_ERANGE, "year", 3, "step 8030 is larger than the range 1970-9999 it applies to"},
    {YEAR, "2000-10000", ASYNCZ_ERANGE, "year", 6, "value 10000 is above the maximum 9999"},
    /* numbers too long to hold are quoted as typed, never as the saturated value they were read as */
    {SECOND, "99999999999", ASYNCZ_ERANGE, "second", 1, "value 99999999999 is above the maximum 59"},
    {SECOND, "1-123456789012345678901234567890123456789012345678901234567890", ASYNCZ_ERANGE, "second", 3,
     "value 12345678901234567890... (60 digits) is above the maximum 59"},
    {MINUTE, "*/4294967296", ASYNCZ_ERANGE, "minute", 3,
     "step 4294967296 is larger than the range 0-59 it applies to"},
    /* crontab: shape */
    {CRONTAB, "", ASYNCZ_EPARSE, "crontab", 1,
     "found 0 fields; expected 5 (minute hour day_of_month month day_of_week), 6 (second first) or 7 "
     "(second first, year last)"},
    {CRONTAB, "1 2 3", ASYNCZ_EPARSE, "crontab", 6,
     "found 3 fields; expected 5 (minute hour day_of_month month day_of_week), 6 (second first) or 7 "
     "(second first, year last)"},
    {CRONTAB, "1 2 3 4 5 6 7 8 9", ASYNCZ_EPARSE, "crontab", 15,
     "found more than 7 fields; expected 5 (minute hour day_of_month month day_of_week), 6 (second first) "
     "or 7 (second first, year last)"},
    {CRONTAB, "@reboot", ASYNCZ_EPARSE, "crontab", 1,
     "@reboot names no time of day and is not supported (use a shutdown trigger or run the task once at "
     "start)"},
    {CRONTAB, "@foo", ASYNCZ_EPARSE, "crontab", 1,
     "unknown macro \"@foo\"; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"},
    {CRONTAB, "@", ASYNCZ_EPARSE, "crontab", 1,
     "unknown macro \"@\"; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"},
    {CRONTAB, "@DAILY", ASYNCZ_EPARSE, "crontab", 1,
     "unknown macro \"@DAILY\"; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
     "@hourly"},
    {CRONTAB, "@daily x", ASYNCZ_EPARSE, "crontab", 8, "unexpected text after the macro"},
    /* crontab: values, ranges, steps */
    {CRONTAB, "*/0 * * * *", ASYNCZ_ERANGE, "minute", 3, "step must be at least 1"},
    {CRONTAB, "*/61 * * * *", ASYNCZ_ERANGE, "minute", 3,
     "step 61 is larger than the 60 values of the field"},
    {CRONTAB, "*/ * * * *", ASYNCZ_EPARSE, "minute", 3, "expected a step number after '/'"},
    {CRONTAB, "*x * * * *", ASYNCZ_EPARSE, "minute", 2,
     "unexpected 'x', expected ',' or the end of the field"},
    {CRONTAB, "1-x * * * *", ASYNCZ_EPARSE, "minute", 3, "unexpected 'x', expected a number"},
    {CRONTAB, "1,,2 * * * *", ASYNCZ_EPARSE, "minute", 3, "empty list item"},
    {CRONTAB, "1, * * * *", ASYNCZ_EPARSE, "minute", 3, "empty list item"},
    {CRONTAB, "5-3 * * * *", ASYNCZ_ERANGE, "minute", 1, "range start 5 is above its end 3"},
    {CRONTAB, "60 * * * *", ASYNCZ_ERANGE, "minute", 1, "value 60 is above the maximum 59"},
    {CRONTAB, "? * * * *", ASYNCZ_EPARSE, "minute", 1, "'?' is only allowed in day_of_month and day_of_week"},
    {CRONTAB, "* 24 * * *", ASYNCZ_ERANGE, "hour", 3, "value 24 is above the maximum 23"},
    {CRONTAB, "* * 0 * *", ASYNCZ_ERANGE, "day_of_month", 5, "value 0 is below the minimum 1"},
    {CRONTAB, "* * ?/2 * *", ASYNCZ_EPARSE, "day_of_month", 6,
     "unexpected '/', expected ',' or the end of the field"},
    {CRONTAB, "* * W * *", ASYNCZ_EPARSE, "day_of_month", 5, "unexpected 'W', expected a number"},
    {CRONTAB, "* * * 13 *", ASYNCZ_ERANGE, "month", 7, "value 13 is above the maximum 12"},
    {CRONTAB, "* * * foo *", ASYNCZ_EPARSE, "month", 7, "unknown month name \"foo\""},
    {CRONTAB, "* * * * 8", ASYNCZ_ERANGE, "day_of_week", 9, "value 8 is above the maximum 7"},
    {CRONTAB, "* * * * mon-fru", ASYNCZ_EPARSE, "day_of_week", 13, "unknown weekday name \"fru\""},
    {CRONTAB, "60 * * * * *", ASYNCZ_ERANGE, "second", 1, "value 60 is above the maximum 59"},
    {CRONTAB, "0 0 0 1 1 * 0", ASYNCZ_ERANGE, "year", 13, "value 0 is below the minimum 1"},
    {CRONTAB, "0 0 0 1 1 * 10000", ASYNCZ_ERANGE, "year", 13, "value 10000 is above the maximum 9999"},
    {CRONTAB, "1000000000 * * * *", ASYNCZ_ERANGE, "minute", 1, "value 1000000000 is above the maximum 59"},
    {CRONTAB, "* 5-99999999999 * * *", ASYNCZ_ERANGE, "hour", 5, "value 99999999999 is above the maximum 23"},
    {CRONTAB, "*/99999999999 * * * *", ASYNCZ_ERANGE, "minute", 3,
     "step 99999999999 is larger than the 60 values of the field"},
    {CRONTAB, "0 0 0 1 1 * 2030-2020", ASYNCZ_ERANGE, "year", 13, "range start 2030 is above its end 2020"},
    /* crontab: L, W and # forms */
    {CRONTAB, "* * L-31 * *", ASYNCZ_ERANGE, "day_of_month", 7,
     "'L-31' reaches before the start of every month (at most L-30)"},
    {CRONTAB, "* * L-x * *", ASYNCZ_EPARSE, "day_of_month", 7,
     "unexpected 'x', expected a number of days after 'L-'"},
    {CRONTAB, "* * LX * *", ASYNCZ_EPARSE, "day_of_month", 6,
     "unexpected 'X', expected ',' or the end of the field after 'L', 'L-n', 'LW' or 'L-nW'"},
    {CRONTAB, "* * L-99999999999 * *", ASYNCZ_ERANGE, "day_of_month", 7,
     "'L-99999999999' reaches before the start of every month (at most L-30)"},
    {CRONTAB, "* * L-31W * *", ASYNCZ_ERANGE, "day_of_month", 7,
     "'L-31' reaches before the start of every month (at most L-30)"},
    {CRONTAB, "* * L-W * *", ASYNCZ_EPARSE, "day_of_month", 7,
     "unexpected 'W', expected a number of days after 'L-'"},
    {CRONTAB, "* * L-3WW * *", ASYNCZ_EPARSE, "day_of_month", 9,
     "unexpected 'W', expected ',' or the end of the field after 'L', 'L-n', 'LW' or 'L-nW'"},
    {CRONTAB, "* * L-3X * *", ASYNCZ_EPARSE, "day_of_month", 8,
     "unexpected 'X', expected ',' or the end of the field after 'L', 'L-n', 'LW' or 'L-nW'"},
    {CRONTAB, "* * 99999999999W * *", ASYNCZ_ERANGE, "day_of_month", 5,
     "value 99999999999 is above the maximum 31"},
    {CRONTAB, "* * 32W * *", ASYNCZ_ERANGE, "day_of_month", 5, "value 32 is above the maximum 31"},
    {CRONTAB, "* * 0W * *", ASYNCZ_ERANGE, "day_of_month", 5, "value 0 is below the minimum 1"},
    {CRONTAB, "* * 15Wx * *", ASYNCZ_EPARSE, "day_of_month", 8,
     "unexpected 'x', expected ',' or the end of the field after 'W'"},
    {CRONTAB, "* * * * L", ASYNCZ_EPARSE, "day_of_week", 9,
     "'L' needs a weekday in day_of_week: write nL, such as 5L for the last Friday"},
    {CRONTAB, "* * * * 8L", ASYNCZ_ERANGE, "day_of_week", 9, "value 8 is above the maximum 7"},
    {CRONTAB, "* * * * 5#6", ASYNCZ_ERANGE, "day_of_week", 11, "occurrence 6 is out of range 1..5"},
    {CRONTAB, "* * * * 5#0", ASYNCZ_ERANGE, "day_of_week", 11, "occurrence 0 is out of range 1..5"},
    {CRONTAB, "* * * * 5#99999999999", ASYNCZ_ERANGE, "day_of_week", 11,
     "occurrence 99999999999 is out of range 1..5"},
    {CRONTAB, "* * * * 5#", ASYNCZ_EPARSE, "day_of_week", 11, "expected an occurrence number 1..5 after '#'"},
    {CRONTAB, "* * * * 5#x", ASYNCZ_EPARSE, "day_of_week", 11,
     "unexpected 'x', expected an occurrence number 1..5 after '#'"},
    {CRONTAB, "* * * * 5Lx", ASYNCZ_EPARSE, "day_of_week", 11,
     "unexpected 'x', expected ',' or the end of the field after 'L'"},
    {CRONTAB, "* * * * 5#2x", ASYNCZ_EPARSE, "day_of_week", 12,
     "unexpected 'x', expected ',' or the end of the field"},
    {CRONTAB, "* * * * frx#2", ASYNCZ_EPARSE, "day_of_week", 9, "unknown weekday name \"frx\""},
};

static int make(const error_case *c, asyncz_trigger **t, asyncz_trigger_error *err)
{
    if (c->where == CRONTAB)
        return asyncz_trigger_crontab_new(t, c->expr, NULL, err);
    asyncz_cron_fields f = {0};
    const char **slots[] = {&f.year,        &f.month, &f.day,    &f.week,
                            &f.day_of_week, &f.hour,  &f.minute, &f.second};
    *slots[c->where] = c->expr;
    return asyncz_trigger_cron_new(t, &f, NULL, err);
}

static void test_cron_error_table(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const error_case *c = &cases[i];
        asyncz_trigger *t = (asyncz_trigger *)&failed; /* must come back NULL */
        asyncz_trigger_error err;
        memset(&err, 0x55, sizeof err);
        int rc = make(c, &t, &err);
        if (rc != c->rc || t != NULL || strcmp(err.field, c->field) != 0 ||
            strcmp(err.expression, c->expr) != 0 || err.column != c->column ||
            strcmp(err.reason, c->reason) != 0) {
            print_error("\"%s\": got rc %d field %s column %d reason \"%s\"\n", c->expr, rc, err.field,
                        err.column, err.reason);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* Overlong input is refused before it is read; the error keeps a truncated copy of the expression. */
static void test_cron_error_overlong(void **state)
{
    (void)state;
    char text[600];
    memset(text, '1', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    asyncz_cron_fields f = {.minute = text};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, NULL, &err), ASYNCZ_EPARSE);
    assert_null(t);
    assert_string_equal(err.field, "minute");
    assert_int_equal(err.column, 513);
    assert_string_equal(err.reason, "expression is longer than 512 characters");
    assert_int_equal(strlen(err.expression), sizeof err.expression - 1);
    assert_int_equal(asyncz_trigger_crontab_new(&t, text, NULL, &err), ASYNCZ_EPARSE);
    assert_string_equal(err.field, "crontab");
    assert_int_equal(err.column, 513);
    assert_string_equal(err.reason, "crontab string is longer than 512 characters");
}

/* NULL arguments and bad options. */
static void test_cron_error_arguments(void **state)
{
    (void)state;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    asyncz_cron_fields f = {.hour = "3"};
    assert_int_equal(asyncz_trigger_cron_new(NULL, &f, NULL, &err), ASYNCZ_EINVAL);
    assert_string_equal(err.reason, "out is NULL");
    assert_int_equal(asyncz_trigger_cron_new(&t, NULL, NULL, &err), ASYNCZ_EINVAL);
    assert_string_equal(err.reason, "fields is NULL");
    assert_int_equal(asyncz_trigger_crontab_new(&t, NULL, NULL, &err), ASYNCZ_EINVAL);
    assert_string_equal(err.field, "crontab");
    assert_string_equal(err.reason, "the crontab string is NULL");
    assert_int_equal(asyncz_trigger_crontab_new(NULL, "* * * * *", NULL, NULL), ASYNCZ_EINVAL);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    opts.jitter = -1;
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, &opts, &err), ASYNCZ_EINVAL);
    assert_null(t);
    assert_string_equal(err.reason, "invalid trigger options: invalid argument");
    assert_int_equal(asyncz_trigger_crontab_new(&t, "* * * * *", &opts, NULL), ASYNCZ_EINVAL);
    assert_null(t);
    /* Errors are optional: a NULL error record is fine. */
    assert_int_equal(asyncz_trigger_crontab_new(&t, "bad", NULL, NULL), ASYNCZ_EPARSE);
    asyncz_cron_fields bad = {.hour = "25"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &bad, NULL, NULL), ASYNCZ_ERANGE);
}

/* The formatted error line names the field, the expression, the column and the reason. */
static void test_cron_error_format(void **state)
{
    (void)state;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    asyncz_cron_fields f = {.minute = "*/0"};
    assert_int_equal(asyncz_trigger_cron_new(&t, &f, NULL, &err), ASYNCZ_ERANGE);
    char line[256];
    asyncz_trigger_error_format(&err, line, sizeof line);
    assert_string_equal(line, "minute \"*/0\": column 3: step must be at least 1");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_cron_error_table),
    cmocka_unit_test(test_cron_error_overlong),
    cmocka_unit_test(test_cron_error_arguments),
    cmocka_unit_test(test_cron_error_format),
};

AZ_TEST_MAIN(tests)
