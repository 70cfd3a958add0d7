/* What the JSON codec needs from the trigger kinds: each kind's original parameters, and two constructors
 * that rebuild a trigger with the origin it had when it was written (an interval's grid origin, a calendar
 * interval's date origin) instead of one taken from the current time.
 *
 * Every accessor recognises its kind by the kind's ops table, never by name, so a custom kind that calls
 * itself "cron" is not mistaken for a built-in one; it returns false for a trigger of another kind. */
#ifndef AZ_TRIGGER_CODEC_H
#define AZ_TRIGGER_CODEC_H

#include <stdbool.h>

#include "asyncz/trigger.h"

/* A cron trigger's source: *crontab is the crontab string (without surrounding blanks) for a trigger made
 * by asyncz_trigger_crontab_new, else NULL and *fields holds the field API expressions (NULL: not given).
 * The strings are borrowed from the trigger. */
bool az_trigger_cron_source(const asyncz_trigger *t, const char **crontab, asyncz_cron_fields *fields);

/* An interval trigger's interval in microseconds. Its grid origin is the base's start_date. */
bool az_trigger_interval_params(const asyncz_trigger *t, int64_t *interval_usec);

/* A calendar interval trigger's parameters and its date origin (year, month, day; the rest zero). */
bool az_trigger_calendar_params(const asyncz_trigger *t, asyncz_calendar_interval *ci, asyncz_civil *origin);

/* A date trigger's run date. */
bool az_trigger_date_run_date(const asyncz_trigger *t, asyncz_time_t *run_date);

/* An and/or trigger's children (borrowed). Which of the two it is: asyncz_trigger_kind(). */
bool az_trigger_combine_children(const asyncz_trigger *t, asyncz_trigger *const **children, size_t *n);

/* Whether t is a shutdown trigger. */
bool az_trigger_is_shutdown(const asyncz_trigger *t);

/* An interval trigger whose grid origin is opts->start_date (required), accepted even when end_date lies
 * before it: a trigger made without a start_date gets its origin after the options were checked, so such
 * a trigger (exhausted from the start) exists and must read back as it was written. */
int az_trigger_interval_restore(asyncz_trigger **out, int64_t interval_usec,
                                const asyncz_trigger_options *opts, asyncz_trigger_error *err);

/* A calendar interval trigger with the given date origin (origin's year, month and day) rather than the
 * date of start_date or of today. Errors as asyncz_trigger_calendar_new, and ASYNCZ_EINVAL for an origin
 * that is not a date of years 1..9999. */
int az_trigger_calendar_restore(asyncz_trigger **out, const asyncz_calendar_interval *ci,
                                const asyncz_civil *origin, const asyncz_trigger_options *opts,
                                asyncz_trigger_error *err);

#endif
