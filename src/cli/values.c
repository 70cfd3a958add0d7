/* Parsing option values: zones, times, durations and numbers, and checking text is UTF-8. Each parser names
 * the option, the value and what is wrong (with a column where one is known) when the value is bad. */
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

/* ---- UTF-8 ------------------------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p, or 0 when p does not start one (a stray continuation byte,
 * a truncated sequence, an overlong form, a surrogate, or a code point above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4)
        return 0;
    uint32_t cp = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

ptrdiff_t az_cli_utf8_invalid(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; p[i];) {
        size_t n = utf8_sequence(p + i);
        if (n == 0)
            return (ptrdiff_t)i;
        i += n;
    }
    return -1;
}

char *az_cli_utf8_escape(const char *text)
{
    size_t size = strlen(text) * 4 + 1;
    char *out = malloc(size);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; p[i];) {
        size_t n = utf8_sequence(p + i);
        if (n == 0) {
            o += (size_t)snprintf(out + o, size - o, "\\x%02X", p[i]);
            i++;
        } else {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

int az_cli_check_utf8(const char *option, const char *value)
{
    ptrdiff_t at = az_cli_utf8_invalid(value);
    if (at < 0)
        return 0;
    char *shown = az_cli_utf8_escape(value);
    if (!shown)
        return az_cli_failure("out of memory");
    int rc = az_cli_bad_value(option, shown, 0,
                              "not valid UTF-8: byte 0x%02X at byte %td of the value: write the text in "
                              "UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1)",
                              (unsigned char)value[at], at + 1);
    free(shown);
    return rc;
}

json_t *az_cli_json_text(const char *text)
{
    if (az_cli_utf8_invalid(text) < 0)
        return json_string(text);
    char *shown = az_cli_utf8_escape(text);
    json_t *s = shown ? json_string(shown) : NULL;
    free(shown);
    return s;
}
