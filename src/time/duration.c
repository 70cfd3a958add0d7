/* Durations: "1h30m", "250ms", "1.5s", "2d", "1w"; a bare number is seconds. */
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/time.h"
#include "time/scan.h"

typedef struct unit {
    const char *name;
    int64_t usec;
} unit;

/* Longer names first so "ms" is not read as "m". */
static const unit units[] = {
    {"us", 1},
    {"ms", ASYNCZ_USEC_PER_MSEC},
    {"s", ASYNCZ_USEC_PER_SEC},
    {"m", ASYNCZ_USEC_PER_MIN},
    {"h", ASYNCZ_USEC_PER_HOUR},
    {"d", ASYNCZ_USEC_PER_DAY},
    {"w", 7 * ASYNCZ_USEC_PER_DAY},
};

static void skip_space(az_scan *sc)
{
    while (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t')
        sc->i++;
}

/* A decimal number as an exact fraction: whole part and up to 18 fraction digits over 10^digits. Digits
 * past the 18th cannot change the microseconds of any unit and are ignored. */
typedef struct decimal {
    unsigned __int128 whole;
    uint64_t frac;
    uint64_t scale;
} decimal;

static int read_decimal(az_scan *sc, decimal *d)
{
    size_t start = sc->i;
    *d = (decimal){0, 0, 1};
    while (az_is_digit(sc->s[sc->i])) {
        d->whole = d->whole * 10 + (unsigned)(sc->s[sc->i++] - '0');
        if (d->whole > (unsigned __int128)INT64_MAX)
            return az_scan_fail(sc, start, ASYNCZ_ERANGE);
    }
    bool any = sc->i > start;
    if (sc->s[sc->i] == '.') {
        sc->i++;
        for (; az_is_digit(sc->s[sc->i]); sc->i++, any = true)
            if (d->scale < UINT64_C(1000000000000000000)) {
                d->frac = d->frac * 10 + (uint64_t)(sc->s[sc->i] - '0');
                d->scale *= 10;
            }
    }
    return any ? 0 : az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
}

static const unit *read_unit(az_scan *sc)
{
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        size_t n = strlen(units[k].name);
        if (strncmp(sc->s + sc->i, units[k].name, n) == 0 &&
            !(sc->s[sc->i + n] >= 'a' && sc->s[sc->i + n] <= 'z')) {
            sc->i += n;
            return &units[k];
        }
    }
    return NULL;
}

/* Add one part to the total, truncating below a microsecond. */
static int add_part(az_scan *sc, size_t start, const decimal *d, int64_t usec, unsigned __int128 *total)
{
    unsigned __int128 v = d->whole * (uint64_t)usec + (unsigned __int128)d->frac * (uint64_t)usec / d->scale;
    *total += v;
    if (v > (unsigned __int128)INT64_MAX || *total > (unsigned __int128)INT64_MAX)
        return az_scan_fail(sc, start, ASYNCZ_ERANGE);
    return 0;
}

static int parse_parts(az_scan *sc, unsigned __int128 *total)
{
    int parts = 0;
    skip_space(sc);
    while (sc->s[sc->i] != '\0') {
        size_t start = sc->i;
        decimal d;
        int rc = read_decimal(sc, &d);
        if (rc < 0)
            return rc;
        const unit *u = read_unit(sc);
        /* A bare number is seconds, but only when it is the whole duration. */
        if (!u && (parts > 0 || (skip_space(sc), sc->s[sc->i] != '\0')))
            return az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
        rc = add_part(sc, start, &d, u ? u->usec : ASYNCZ_USEC_PER_SEC, total);
        if (rc < 0)
            return rc;
        parts++;
        skip_space(sc);
    }
    return parts ? 0 : az_scan_fail(sc, sc->i, ASYNCZ_EPARSE);
}

int asyncz_duration_parse(int64_t *out_usec, const char *text, int *err_column)
{
    if (err_column)
        *err_column = 0;
    if (!out_usec || !text)
        return ASYNCZ_EINVAL;
    az_scan sc = {text, 0, 0};
    skip_space(&sc);
    bool negative = text[sc.i] == '-';
    if (text[sc.i] == '-' || text[sc.i] == '+')
        sc.i++;
    unsigned __int128 total = 0;
    int rc = parse_parts(&sc, &total);
    if (rc < 0) {
        if (err_column)
            *err_column = sc.col;
        return rc;
    }
    *out_usec = negative ? -(int64_t)total : (int64_t)total;
    return 0;
}

int asyncz_duration_format(char *buf, size_t size, int64_t usec)
{
    if (!buf)
        return ASYNCZ_EINVAL;
    char tmp[48];
    size_t n = 0;
    uint64_t left = usec < 0 ? -(uint64_t)usec : (uint64_t)usec;
    if (usec < 0)
        tmp[n++] = '-';
    for (size_t k = sizeof units / sizeof units[0]; k-- > 0;) {
        uint64_t count = left / (uint64_t)units[k].usec;
        left %= (uint64_t)units[k].usec;
        if (count)
            n +=
                (size_t)snprintf(tmp + n, sizeof tmp - n, "%llu%s", (unsigned long long)count, units[k].name);
    }
    if (usec == 0)
        n = (size_t)snprintf(tmp, sizeof tmp, "0s");
    if (n >= size)
        return ASYNCZ_ETOOBIG;
    memcpy(buf, tmp, n + 1);
    return (int)n;
}
