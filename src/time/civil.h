/* Internal civil-calendar arithmetic (proleptic Gregorian), shared by the zone reader, ISO-8601 and the
 * triggers. Days are counted from 1970-01-01 (day 0). */
#ifndef AZ_CIVIL_H
#define AZ_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#include "asyncz/time.h"

static inline bool az_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int az_days_in_month(int64_t y, int m)
{
    static const int8_t len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && az_is_leap(y) ? 29 : len[m - 1];
}

/* Days since 1970-01-01 of a date (H. Hinnant's algorithm; valid far beyond years 1..9999). */
static inline int64_t az_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The date of a day count. */
static inline void az_civil_from_days(int64_t z, int32_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int32_t)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

/* Day of the week of a day count: 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
static inline int az_weekday_from_days(int64_t days)
{
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* Floor division and modulo for negative instants. */
static inline int64_t az_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t az_floor_mod(int64_t a, int64_t b)
{
    return a - az_floor_div(a, b) * b;
}

/* Seconds since the epoch of a civil value taken as UTC (usec ignored). */
static inline int64_t az_civil_to_seconds(const asyncz_civil *c)
{
    return az_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 + c->minute * 60 +
           c->second;
}

/* Civil value of seconds since the epoch taken as UTC (usec set to 0). */
static inline void az_seconds_to_civil(int64_t s, asyncz_civil *c)
{
    int64_t days = az_floor_div(s, 86400);
    int64_t sod = s - days * 86400;
    int m, d;
    az_civil_from_days(days, &c->year, &m, &d);
    c->month = (int8_t)m;
    c->day = (int8_t)d;
    c->hour = (int8_t)(sod / 3600);
    c->minute = (int8_t)(sod / 60 % 60);
    c->second = (int8_t)(sod % 60);
    c->usec = 0;
}

#endif
