/* A parser for POSIX TZ strings and the transition instants their rules give. */
#include <ctype.h>
#include <string.h>

#include "asyncz/error.h"
#include "time/civil.h"
#include "time/posix_tz.h"

typedef struct cursor {
    const char *p;
} cursor;

/* Read up to max_digits decimal digits; at least one is required. */
static bool read_number(cursor *c, int max_digits, int *out)
{
    int n = 0, v = 0;
    while (n < max_digits && isdigit((unsigned char)c->p[0])) {
        v = v * 10 + (c->p[0] - '0');
        c->p++;
        n++;
    }
    *out = v;
    return n > 0;
}

/* An abbreviation: three or more letters, or <...> holding letters, digits, '+' and '-'. */
static bool read_abbr(cursor *c, char *out)
{
    size_t n = 0;
    if (c->p[0] == '<') {
        c->p++;
        while (isalnum((unsigned char)c->p[n]) || c->p[n] == '+' || c->p[n] == '-')
            n++;
        if (c->p[n] != '>' || n < 3 || n >= AZ_ABBR_MAX)
            return false;
        memcpy(out, c->p, n);
        out[n] = '\0';
        c->p += n + 1;
        return true;
    }
    while (isalpha((unsigned char)c->p[n]))
        n++;
    if (n < 3 || n >= AZ_ABBR_MAX)
        return false;
    memcpy(out, c->p, n);
    out[n] = '\0';
    c->p += n;
    return true;
}

/* [+-]hh[:mm[:ss]] with hh up to max_hours, as seconds (sign as written). */
static bool read_hms(cursor *c, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (c->p[0] == '+' || c->p[0] == '-') {
        sign = c->p[0] == '-' ? -1 : 1;
        c->p++;
    }
    if (!read_number(c, 3, &h) || h > max_hours)
        return false;
    if (c->p[0] == ':') {
        c->p++;
        if (!read_number(c, 2, &m) || m > 59)
            return false;
        if (c->p[0] == ':') {
            c->p++;
            if (!read_number(c, 2, &s) || s > 59)
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool read_month_rule(cursor *c, az_posix_rule *r)
{
    int m, w, d;
    if (!read_number(c, 2, &m) || m < 1 || m > 12 || *c->p++ != '.')
        return false;
    if (!read_number(c, 1, &w) || w < 1 || w > 5 || *c->p++ != '.')
        return false;
    if (!read_number(c, 1, &d) || d > 6)
        return false;
    r->kind = AZ_RULE_MONTH;
    r->month = (int8_t)m;
    r->week = (int8_t)w;
    r->weekday = (int8_t)d;
    return true;
}

/* One rule: Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static bool read_rule(cursor *c, az_posix_rule *r)
{
    int n;
    memset(r, 0, sizeof *r);
    if (c->p[0] == 'M') {
        c->p++;
        if (!read_month_rule(c, r))
            return false;
    } else if (c->p[0] == 'J') {
        c->p++;
        if (!read_number(c, 3, &n) || n < 1 || n > 365)
            return false;
        r->kind = AZ_RULE_JULIAN;
        r->day = (int16_t)n;
    } else {
        if (!read_number(c, 3, &n) || n > 365)
            return false;
        r->kind = AZ_RULE_DAY;
        r->day = (int16_t)n;
    }
    r->time = 2 * 3600;
    if (c->p[0] == '/') {
        c->p++;
        return read_hms(c, 167, &r->time);
    }
    return true;
}

/* The DST part after the standard zone: name, optional offset, optional rules. Without rules, the US rules
 * apply, as glibc does when no posixrules file overrides them. */
static bool read_dst(cursor *c, az_posix_tz *out)
{
    int32_t off;
    if (!read_abbr(c, out->dst_abbr))
        return false;
    out->has_dst = true;
    out->dst_offset = out->std_offset + 3600;
    if (c->p[0] != ',' && c->p[0] != '\0') {
        if (!read_hms(c, 24, &off))
            return false;
        out->dst_offset = -off;
    }
    if (c->p[0] == '\0') {
        cursor dflt = {"M3.2.0,M11.1.0"};
        return read_rule(&dflt, &out->start) && *dflt.p++ == ',' && read_rule(&dflt, &out->end);
    }
    if (*c->p++ != ',' || !read_rule(c, &out->start) || *c->p++ != ',')
        return false;
    return read_rule(c, &out->end);
}

int az_posix_tz_parse(const char *text, az_posix_tz *out)
{
    cursor c = {text};
    int32_t off;
    memset(out, 0, sizeof *out);
    if (!text || !read_abbr(&c, out->std_abbr) || !read_hms(&c, 24, &off))
        return ASYNCZ_EPARSE;
    out->std_offset = -off;
    out->dst_offset = out->std_offset;
    if (c.p[0] != '\0' && !read_dst(&c, out))
        return ASYNCZ_EPARSE;
    return c.p[0] == '\0' ? 0 : ASYNCZ_EPARSE;
}

/* Days since the epoch of the day a rule names in a year. */
static int64_t rule_day(const az_posix_rule *r, int64_t year)
{
    int64_t jan1 = az_days_from_civil(year, 1, 1);
    if (r->kind == AZ_RULE_JULIAN)
        return jan1 + r->day - 1 + (az_is_leap(year) && r->day >= 60);
    if (r->kind == AZ_RULE_DAY)
        return jan1 + r->day;
    int64_t first = az_days_from_civil(year, r->month, 1);
    int sunday_based = (az_weekday_from_days(first) + 1) % 7;
    int64_t day = first + (r->weekday - sunday_based + 7) % 7 + 7 * (r->week - 1);
    int64_t last = first + az_days_in_month(year, r->month) - 1;
    while (day > last)
        day -= 7;
    return day;
}

void az_posix_tz_year(const az_posix_tz *tz, int64_t year, int64_t *start, int64_t *end)
{
    *start = rule_day(&tz->start, year) * 86400 + tz->start.time - tz->std_offset;
    *end = rule_day(&tz->end, year) * 86400 + tz->end.time - tz->dst_offset;
}
