/* ISO-8601 (the RFC 3339 subset people write, plus one-digit months and days) in and out. */
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "time/civil.h"
#include "time/scan.h"

/* Between min and max digits as a number; fewer than min is a parse error at the first non-digit. */
static int number(az_scan *sc, int min, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && az_is_digit(sc->s[sc->i])) {
        v = v * 10 + (sc->s[sc->i++] - '0');
        n++;
    }
    if (n < min)
        return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
    *out = v;
    return 0;
}

static int expect(az_scan *sc, char c)
{
    if (sc->s[sc->i] != c)
        return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
    sc->i++;
    return 0;
}

/* A number field checked against [lo, hi]; out of range is ERANGE at the field's first digit. */
static int field(az_scan *sc, int min_digits, int max_digits, int lo, int hi, int *out)
{
    size_t start = sc->i;
    int rc = number(sc, min_digits, max_digits, out);
    if (rc == 0 && (*out < lo || *out > hi))
        rc = az_scan_fail(sc, start, ASYNCZ_ERANGE);
    return rc;
}

static int parse_date(az_scan *sc, asyncz_civil *c)
{
    int y, m, d;
    int rc = field(sc, 4, 4, 1, 9999, &y);
    if (rc == 0)
        rc = expect(sc, '-');
    if (rc == 0)
        rc = field(sc, 1, 2, 1, 12, &m);
    if (rc == 0)
        rc = expect(sc, '-');
    if (rc == 0)
        rc = field(sc, 1, 2, 1, az_days_in_month(y, m), &d);
    if (rc < 0)
        return rc;
    *c = (asyncz_civil){.year = y, .month = (int8_t)m, .day = (int8_t)d};
    return 0;
}

/* '.' or ',' then 1..9 digits, truncated to microseconds. */
static int parse_fraction(az_scan *sc, int32_t *usec)
{
    sc->i++;
    int n = 0;
    int64_t v = 0;
    while (az_is_digit(sc->s[sc->i])) {
        if (n == 9)
            return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
        v = v * 10 + (sc->s[sc->i++] - '0');
        n++;
    }
    if (n == 0)
        return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
    for (; n < 9; n++)
        v *= 10;
    *usec = (int32_t)(v / 1000);
    return 0;
}

static int parse_time(az_scan *sc, asyncz_civil *c)
{
    int h = 0, m = 0, s = 0;
    int rc = field(sc, 2, 2, 0, 23, &h);
    if (rc == 0)
        rc = expect(sc, ':');
    if (rc == 0)
        rc = field(sc, 2, 2, 0, 59, &m);
    if (rc == 0 && sc->s[sc->i] == ':') {
        sc->i++;
        rc = field(sc, 2, 2, 0, 59, &s);
        if (rc == 0 && (sc->s[sc->i] == '.' || sc->s[sc->i] == ','))
            rc = parse_fraction(sc, &c->usec);
    }
    c->hour = (int8_t)h;
    c->minute = (int8_t)m;
    c->second = (int8_t)s;
    return rc;
}

/* An optional ':' then two digits of minutes or seconds; colons must be used throughout or not at all. */
static int offset_part(az_scan *sc, bool colon, int *out)
{
    *out = 0;
    if (colon ? sc->s[sc->i] != ':' : !az_is_digit(sc->s[sc->i]))
        return 0;
    sc->i += colon;
    return field(sc, 2, 2, 0, 59, out);
}

/* Z, or +HH, +HHMM, +HH:MM, +HHMMSS, +HH:MM:SS (seconds for LMT offsets, which asyncz also writes). */
static int parse_offset(az_scan *sc, int32_t *offset)
{
    char c = sc->s[sc->i];
    if (c == 'Z' || c == 'z') {
        sc->i++;
        *offset = 0;
        return 0;
    }
    if (c != '+' && c != '-')
        return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
    sc->i++;
    int h = 0, m = 0, s = 0;
    int rc = field(sc, 2, 2, 0, 23, &h);
    bool colon = sc->s[sc->i] == ':';
    if (rc == 0)
        rc = offset_part(sc, colon, &m);
    if (rc == 0)
        rc = offset_part(sc, colon, &s);
    *offset = (c == '-' ? -1 : 1) * (h * 3600 + m * 60 + s);
    return rc;
}

static int parse_text(az_scan *sc, asyncz_civil *c, bool *has_offset, int32_t *offset)
{
    *has_offset = false;
    int rc = parse_date(sc, c);
    if (rc < 0 || sc->s[sc->i] == '\0')
        return rc;
    char sep = sc->s[sc->i];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
    sc->i++;
    rc = parse_time(sc, c);
    if (rc < 0 || sc->s[sc->i] == '\0')
        return rc;
    rc = parse_offset(sc, offset);
    *has_offset = true;
    if (rc == 0 && sc->s[sc->i] != '\0')
        rc = az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
    return rc;
}

int asyncz_time_parse(asyncz_time_t *out, const char *text, const asyncz_zone *naive_zone, int *err_column)
{
    az_scan sc = {text, 0, 0};
    asyncz_civil c;
    bool has_offset;
    int32_t offset;
    if (err_column)
        *err_column = 0;
    if (!out || !text)
        return ASYNCZ_EINVAL;
    int rc = parse_text(&sc, &c, &has_offset, &offset);
    if (rc == 0 && has_offset) {
        asyncz_time_t t = (az_civil_to_seconds(&c) - offset) * ASYNCZ_USEC_PER_SEC + c.usec;
        if (t < ASYNCZ_TIME_MIN || t > ASYNCZ_TIME_MAX)
            rc = az_scan_fail(&sc, 0, ASYNCZ_ERANGE);
        else
            *out = t;
    } else if (rc == 0) {
        rc = asyncz_zone_resolve(naive_zone ? naive_zone : asyncz_zone_utc(), &c, out);
        if (rc < 0)
            az_scan_fail(&sc, 0, rc);
    }
    if (rc < 0 && err_column)
        *err_column = sc.col;
    return rc;
}

/* "+HH:MM", or "+HH:MM:SS" when the offset has seconds (local mean time before standard time). */
static int format_offset(char *p, size_t size, int32_t offset)
{
    char sign = offset < 0 ? '-' : '+';
    int32_t a = offset < 0 ? -offset : offset;
    if (a % 60)
        return snprintf(p, size, "%c%02d:%02d:%02d", sign, a / 3600, a / 60 % 60, a % 60);
    return snprintf(p, size, "%c%02d:%02d", sign, a / 3600, a / 60 % 60);
}

/* ".25" for 250000 microseconds: the fraction without trailing zeros, nothing when zero. */
static int format_fraction(char *p, size_t size, int32_t usec)
{
    if (usec == 0) {
        p[0] = '\0';
        return 0;
    }
    int digits = 6;
    while (usec % 10 == 0) {
        usec /= 10;
        digits--;
    }
    return snprintf(p, size, ".%0*d", digits, usec);
}

int asyncz_time_format(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *z)
{
    if (!buf)
        return ASYNCZ_EINVAL;
    asyncz_civil c;
    int32_t offset;
    int rc = asyncz_zone_to_civil(z ? z : asyncz_zone_utc(), t, &c, &offset);
    if (rc < 0)
        return rc;
    char tmp[ASYNCZ_TIME_FORMAT_SIZE];
    int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                     c.minute, c.second);
    n += format_fraction(tmp + n, sizeof tmp - (size_t)n, c.usec);
    n += format_offset(tmp + n, sizeof tmp - (size_t)n, offset);
    if ((size_t)n >= size)
        return ASYNCZ_ETOOBIG;
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}
