/* Parsing option values: zones, times, durations and numbers. Each parser names the option, the value and
 * what is wrong (with a column where one is known) when the value is bad. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The zone named "local" did not load: the fault is in TZ or /etc/localtime, not in an option, so say which
 * one and how to fix it (rather than blame "--timezone 'local'", which the user may never have typed). */
static int local_zone_error(int rc)
{
    const char *why = rc == ASYNCZ_EINVAL ? "not a valid time zone name" : asyncz_strerror(rc);
    const char *tz = getenv("TZ");
    if (tz)
        return az_cli_bad_value("TZ", tz, 0,
                                "%s; the local time zone comes from the TZ environment variable: set it to a "
                                "zone that loads (such as Europe/Berlin), unset it to use /etc/localtime, or "
                                "give --timezone",
                                why);
    return az_cli_failure("the local time zone does not load from /etc/localtime (TZ is unset): %s; fix "
                          "/etc/localtime, set TZ, or give --timezone",
                          why);
}

int az_cli_parse_zone(const char *option, const char *name, asyncz_zone **out)
{
    int rc = asyncz_zone_get(out, name);
    if (rc == 0)
        return 0;
    if (rc != ASYNCZ_ENOMEM && strcmp(name, "local") == 0)
        return local_zone_error(rc);
    if (rc == ASYNCZ_EINVAL)
        return az_cli_bad_value(option, name, 0, "not a valid time zone name");
    if (rc == ASYNCZ_ENOMEM)
        return az_cli_failure("%s", asyncz_strerror(rc));
    return az_cli_bad_value(option, name, 0, "%s", asyncz_strerror(rc));
}

int az_cli_parse_time(const char *option, const char *text, const asyncz_zone *zone, asyncz_time_t *out)
{
    int column = 0;
    int rc = asyncz_time_parse(out, text, zone, &column);
    if (rc == 0)
        return 0;
    if (rc == ASYNCZ_EPARSE)
        return az_cli_bad_value(option, text, column,
                                "not an ISO-8601 time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])");
    if (rc == ASYNCZ_ERANGE)
        return az_cli_bad_value(option, text, column, "a date or time field is out of range");
    return az_cli_bad_value(option, text, column, "%s", asyncz_strerror(rc));
}

int az_cli_parse_duration(const char *option, const char *text, int64_t *out)
{
    int column = 0;
    int rc = asyncz_duration_parse(out, text, &column);
    if (rc == 0)
        return 0;
    if (rc == ASYNCZ_EPARSE)
        return az_cli_bad_value(
            option, text, column,
            "not a duration (parts like 30s, 1h30m, 2d, 1w, 250ms; units us ms s m h d w)");
    if (rc == ASYNCZ_ERANGE)
        return az_cli_bad_value(option, text, column, "duration too large");
    return az_cli_bad_value(option, text, column, "%s", asyncz_strerror(rc));
}

/* The 1-based column of the first character of text that is not a decimal digit (0: all are digits). */
static int first_non_digit(const char *text)
{
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return (int)(p - text) + 1;
    return 0;
}

/* Parse an unsigned decimal number of at most max; false when text is anything else. */
static bool parse_unsigned(const char *text, uint64_t max, uint64_t *out)
{
    if (!*text || first_non_digit(text))
        return false;
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    if (errno == ERANGE || v > max)
        return false;
    *out = v;
    return true;
}

int az_cli_parse_count(const char *option, const char *text, size_t *out)
{
    uint64_t v;
    if (!parse_unsigned(text, AZ_CLI_COUNT_MAX, &v))
        return az_cli_bad_value(option, text, first_non_digit(text), "must be a whole number from 0 to %d",
                                AZ_CLI_COUNT_MAX);
    *out = (size_t)v;
    return 0;
}

int az_cli_parse_seed(const char *option, const char *text, uint64_t *out)
{
    if (!parse_unsigned(text, UINT64_MAX, out))
        return az_cli_bad_value(option, text, first_non_digit(text),
                                "must be a whole number from 0 to %" PRIu64, UINT64_MAX);
    return 0;
}
