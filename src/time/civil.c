/* Public civil-calendar helpers; the arithmetic itself lives in civil.h so hot paths can inline it. */
#include "time/civil.h"

bool asyncz_civil_valid(const asyncz_civil *c)
{
    if (!c || c->year < 1 || c->year > 9999 || c->month < 1 || c->month > 12)
        return false;
    if (c->day < 1 || c->day > az_days_in_month(c->year, c->month))
        return false;
    return c->hour >= 0 && c->hour <= 23 && c->minute >= 0 && c->minute <= 59 && c->second >= 0 &&
           c->second <= 59 && c->usec >= 0 && c->usec <= 999999;
}

/* Out-of-range months or days give -1 rather than a made-up weekday. */
int asyncz_civil_weekday(int32_t year, int month, int day)
{
    if (month < 1 || month > 12 || day < 1 || day > az_days_in_month(year, month))
        return -1;
    return az_weekday_from_days(az_days_from_civil(year, month, day));
}

/* An out-of-range month gives 0, which no caller can mistake for a month length. */
int asyncz_civil_days_in_month(int32_t year, int month)
{
    if (month < 1 || month > 12)
        return 0;
    return az_days_in_month(year, month);
}
