/* Parsing the calendar interval's values: the interval in calendar units ("1y6mo", "2w", "3d") and the time
 * of day ("09:30", "09:30:15"). Durations are elapsed time and have their own parser in the library; these
 * are wall-clock units, which is why "mo" (months) exists here and "m" does not. */
#include <string.h>

#include "cli.h"

/* Larger counts make no sense for a schedule within years 1..9999 and keep the sums far from overflow. */
#define CALENDAR_PART_MAX 100000

typedef struct cursor {
    const char *option, *text, *p;
} cursor;

static int column_of(const cursor *c)
{
    return (int)(c->p - c->text) + 1;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Read a decimal number of at most max_digits digits; -1 if there is none. */
static long read_number(cursor *c, int max_digits)
{
    long v = 0;
    int digits = 0;
    for (; is_digit(*c->p) && digits < max_digits; c->p++, digits++)
        v = v * 10 + (*c->p - '0');
    return digits ? v : -1;
}

/* The calendar units, in the order of asyncz_calendar_interval's fields. */
static const char *const units[] = {"y", "mo", "w", "d"};

/* The index in units[] of the unit at the cursor, or -1; advances past the unit. */
static int read_unit(cursor *c)
{
    for (int i = 0; i < 4; i++) {
        size_t len = strlen(units[i]);
        if (strncmp(c->p, units[i], len) == 0) {
            c->p += len;
            return i;
        }
    }
    return -1;
}

static int32_t *unit_field(asyncz_calendar_interval *ci, int unit)
{
    int32_t *fields[] = {&ci->years, &ci->months, &ci->weeks, &ci->days};
    return fields[unit];
}

static int bad_unit(const cursor *c)
{
    if (!*c->p)
        return az_cli_bad_value(c->option, c->text, column_of(c),
                                "missing unit after the number (y, mo, w, d)");
    return az_cli_bad_value(c->option, c->text, column_of(c),
                            "unknown unit '%c' (calendar units: y, mo, w, d)", *c->p);
}

/* One <number><unit> part. */
static int read_part(cursor *c, asyncz_calendar_interval *ci, bool *seen)
{
    int number_column = column_of(c);
    long v = read_number(c, 7);
    if (v < 0)
        return az_cli_bad_value(c->option, c->text, column_of(c),
                                "expected a number (as in 1mo, 2w, 1y6mo, 3d)");
    if (v > CALENDAR_PART_MAX || is_digit(*c->p))
        return az_cli_bad_value(c->option, c->text, number_column, "number larger than %d",
                                CALENDAR_PART_MAX);
    int unit_column = column_of(c);
    int unit = read_unit(c);
    if (unit < 0)
        return bad_unit(c);
    if (seen[unit])
        return az_cli_bad_value(c->option, c->text, unit_column, "unit '%s' given twice", units[unit]);
    seen[unit] = true;
    *unit_field(ci, unit) = (int32_t)v;
    return 0;
}

int az_cli_parse_calendar_spec(const char *option, const char *text, asyncz_calendar_interval *out)
{
    cursor c = {option, text, text};
    asyncz_calendar_interval ci = *out;
    ci.years = ci.months = ci.weeks = ci.days = 0;
    bool seen[4] = {false};
    do {
        int rc = read_part(&c, &ci, seen);
        if (rc)
            return rc;
        while (*c.p == ' ')
            c.p++;
    } while (*c.p);
    if (ci.years == 0 && ci.months == 0 && ci.weeks == 0 && ci.days == 0)
        return az_cli_bad_value(option, text, 0, "the interval must not be zero");
    *out = ci;
    return 0;
}

/* One ":NN" component after the hour, at most `max`. */
static int read_clock_part(cursor *c, const char *name, int max, int8_t *out)
{
    if (*c->p != ':')
        return az_cli_bad_value(c->option, c->text, column_of(c), "expected ':' (HH:MM or HH:MM:SS)");
    c->p++;
    int column = column_of(c);
    const char *start = c->p;
    long v = read_number(c, 2);
    if (c->p - start != 2)
        return az_cli_bad_value(c->option, c->text, column, "expected two digits for the %s", name);
    if (v > max)
        return az_cli_bad_value(c->option, c->text, column, "%s must be 00 to %d", name, max);
    *out = (int8_t)v;
    return 0;
}

int az_cli_parse_time_of_day(const char *option, const char *text, asyncz_calendar_interval *ci)
{
    cursor c = {option, text, text};
    long hour = read_number(&c, 2);
    if (hour < 0)
        return az_cli_bad_value(option, text, 1, "expected HH:MM or HH:MM:SS");
    if (hour > 23)
        return az_cli_bad_value(option, text, 1, "hour must be 0 to 23");
    int8_t minute = 0, second = 0;
    int rc = read_clock_part(&c, "minute", 59, &minute);
    if (rc == 0 && *c.p)
        rc = read_clock_part(&c, "second", 59, &second);
    if (rc == 0 && *c.p)
        rc = az_cli_bad_value(option, text, column_of(&c), "unexpected text after the time of day");
    if (rc)
        return rc;
    ci->hour = (int8_t)hour;
    ci->minute = minute;
    ci->second = second;
    return 0;
}
