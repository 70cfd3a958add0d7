/* Triggers: when does a task fire next?
 *
 * Every trigger answers next(previous, now): the first fire time, or ASYNCZ_TIME_NONE when the trigger is
 * exhausted. With no previous fire time the answer is the first match at or after max(now, start_date); with
 * one, the first match after previous (APScheduler 3's rule: the search starts at min(now, previous + 1 us),
 * and never at previous itself). end_date is inclusive. Jitter adds a uniform random delay in [0, jitter],
 * never past end_date.
 *
 * Triggers are immutable once made, reference counted, and safe to use from several threads at once.
 * Kinds: cron (field API, APScheduler 3 semantics), crontab strings (cron(5)/cronie semantics plus Quartz
 * extensions), interval (elapsed time), calendar interval (wall-clock time), date (once), and/or, and
 * shutdown (never by time). See docs/triggers.md for the semantics and the DST policy.
 */
#ifndef ASYNCZ_TRIGGER_H
#define ASYNCZ_TRIGGER_H

#include "asyncz/common.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_trigger asyncz_trigger;

/* What went wrong while parsing a trigger expression. Filled on ASYNCZ_EPARSE/ASYNCZ_ERANGE/ASYNCZ_EINVAL
 * by the constructors that take one (pass NULL when the detail is not wanted). */
typedef struct asyncz_trigger_error {
    char field[16];       /* "minute", "day_of_week", "crontab", "interval" ... ("" if none) */
    char expression[128]; /* the offending expression, truncated if longer */
    int column;           /* 1-based column of the problem within `expression` (0: not known) */
    char reason[192];     /* what is wrong, as a sentence fragment: "step must be at least 1" */
} asyncz_trigger_error;

/* Format an error as one line: `minute "*\/0": column 3: step must be at least 1`.
 * Returns the length that the full message has (like snprintf); buf may be NULL when size is 0. */
ASYNCZ_API int asyncz_trigger_error_format(const asyncz_trigger_error *err, char *buf, size_t size);

/* Options common to every trigger kind. Initialise with asyncz_trigger_options_init() and set what you need.
 * All pointers are borrowed: the constructor takes its own reference to the zone.
 *
 * The struct can grow, as asyncz_scheduler_options does (asyncz/scheduler.h): `version`, set by
 * asyncz_trigger_options_init(), says which layout the program was built with; the library reads only the
 * fields of that version and uses the defaults for later ones. Version 0 (not filled by the _init function)
 * or one newer than the library knows is refused with ASYNCZ_EINVAL (err filled where the constructor takes
 * one, else the reason logged by the "asyncz.trigger" logger). Version 1: the fields below. */
#define ASYNCZ_TRIGGER_OPTIONS_VERSION 1

typedef struct asyncz_trigger_options {
    uint32_t version;         /* the layout: set by asyncz_trigger_options_init(), do not change */
    asyncz_zone *timezone;    /* the zone of wall-clock fields; NULL: the "local" zone */
    asyncz_time_t start_date; /* ASYNCZ_TIME_NONE: unset (interval: creation time + interval) */
    asyncz_time_t end_date;   /* inclusive; ASYNCZ_TIME_NONE: no end */
    int64_t jitter;           /* microseconds, >= 0; 0: none */
    uint64_t jitter_seed;     /* 0: a random seed. With a seed the delays are reproducible. */
} asyncz_trigger_options;

/* Fill opts, a struct of the layout `version` (ASYNCZ_TRIGGER_OPTIONS_VERSION of the header it was built
 * with), with the defaults and set opts->version; nothing past that layout is written. For bindings; C
 * programs call asyncz_trigger_options_init(). Errors: ASYNCZ_EINVAL (opts NULL; version 0 or newer than
 * the library knows: then only opts->version is written). */
ASYNCZ_API int asyncz_trigger_options_init_version(asyncz_trigger_options *opts, uint32_t version);

/* Set every option to its default (no zone = local, no start, no end, no jitter, random seed) and
 * opts->version to this header's version. */
static inline void asyncz_trigger_options_init(asyncz_trigger_options *opts)
{
    (void)asyncz_trigger_options_init_version(opts, ASYNCZ_TRIGGER_OPTIONS_VERSION);
}

/* ---- construction -------------------------------------------------------------------------- */

/* The cron field API, exactly APScheduler 3's CronTrigger. Each field is an expression string or NULL when
 * not given. Expressions: "*", "*\/n", "a", "a-b", "a-b/n", "a/n", comma lists; month names jan-dec;
 * day_of_week 0 = Monday .. 6 = Sunday or mon-sun; in `day` also "last", "1st".."5th <weekday>",
 * "last <weekday>"; `week` is the ISO week (1-53). Fields more significant than the least significant one
 * given default to "*", less significant ones to their minimum. */
typedef struct asyncz_cron_fields {
    const char *year, *month, *day, *week, *day_of_week, *hour, *minute, *second;
} asyncz_cron_fields;

/* Make a cron trigger from fields. fields and opts are borrowed (opts may be NULL for defaults); *out
 * receives a new reference. Errors: ASYNCZ_EPARSE or ASYNCZ_ERANGE with *err filled (field, expression,
 * column, reason), ASYNCZ_EINVAL (NULL out or fields), ASYNCZ_ENOMEM. With no field given at all the
 * defaults make it fire every January 1 at 00:00:00, as APScheduler 3 does. */
ASYNCZ_API int asyncz_trigger_cron_new(asyncz_trigger **out, const asyncz_cron_fields *fields,
                                       const asyncz_trigger_options *opts, asyncz_trigger_error *err);

/* Make a cron trigger from a crontab string with cron(5)/cronie semantics: 5 fields "m h dom mon dow",
 * 6 fields (seconds first), 7 fields (seconds first, year last); names; day-of-week 0 and 7 = Sunday;
 * @yearly @annually @monthly @weekly @daily @midnight @hourly; when both day fields are restricted a day
 * matches if either matches. Extensions: "a/n", "?", "L", "L-n", "W", "LW", "nL", "#n".
 * Errors as asyncz_trigger_cron_new, with err->field naming the crontab field ("minute", "day_of_month"...)
 * and err->column counting within the whole crontab string. */
ASYNCZ_API int asyncz_trigger_crontab_new(asyncz_trigger **out, const char *crontab,
                                          const asyncz_trigger_options *opts, asyncz_trigger_error *err);

/* An interval in parts, summed into one elapsed duration (so "1 day" is 86,400 s, across DST too). */
typedef struct asyncz_interval {
    int64_t weeks, days, hours, minutes, seconds, microseconds;
} asyncz_interval;

/* Total microseconds of an interval. Errors: ASYNCZ_ERANGE (negative parts or overflow). */
ASYNCZ_API int asyncz_interval_usec(const asyncz_interval *iv, int64_t *out_usec);

/* Make an interval trigger firing at start_date + k * interval (elapsed time). interval_usec must be > 0.
 * start_date defaults to the time of creation + interval. Errors: ASYNCZ_EINVAL (zero or negative interval,
 * err filled), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_trigger_interval_new(asyncz_trigger **out, int64_t interval_usec,
                                           const asyncz_trigger_options *opts, asyncz_trigger_error *err);

/* A calendar interval: whole calendar units plus a time of day, in wall-clock time of the trigger's zone. */
typedef struct asyncz_calendar_interval {
    int32_t years, months, weeks, days; /* >= 0, not all zero */
    int8_t hour, minute, second;        /* time of day of every fire time */
} asyncz_calendar_interval;

/* Make a calendar interval trigger (APScheduler 4's CalendarIntervalTrigger): fire dates are the date of
 * start_date (default: today in the zone) plus k times the interval, at the given time of day in the
 * trigger's zone. A date that does not exist (Jan 31 + 1 month) is skipped; a time of day in a DST gap fires
 * at the first instant after the gap; in an overlap, at its first occurrence. Errors: ASYNCZ_EINVAL (err
 * filled), ASYNCZ_ERANGE (start_date's date in the zone is outside years 1..9999, err filled), ASYNCZ_ENOMEM.
 */
ASYNCZ_API int asyncz_trigger_calendar_new(asyncz_trigger **out, const asyncz_calendar_interval *ci,
                                           const asyncz_trigger_options *opts, asyncz_trigger_error *err);

/* Make a date trigger that fires once at run_date (ASYNCZ_TIME_NONE: now). With no previous fire time it
 * returns run_date even when run_date has passed (the scheduler decides about misfires); after it has fired
 * it is exhausted. start_date/end_date/jitter from opts apply. */
ASYNCZ_API int asyncz_trigger_date_new(asyncz_trigger **out, asyncz_time_t run_date,
                                       const asyncz_trigger_options *opts);

/* Make a trigger that fires when all children agree on a time (and) or at the earliest child time (or).
 * children: n borrowed pointers (the trigger takes its own references), n >= 1. Children's jitter is
 * ignored; the combined trigger's own options apply. The and-search gives up after
 * ASYNCZ_AND_MAX_ITERATIONS rounds without agreement and next() then returns ASYNCZ_ESEARCH.
 * Errors: ASYNCZ_EINVAL, ASYNCZ_ENOMEM. */
#define ASYNCZ_AND_MAX_ITERATIONS 10000
ASYNCZ_API int asyncz_trigger_and_new(asyncz_trigger **out, asyncz_trigger *const *children, size_t n,
                                      const asyncz_trigger_options *opts);
ASYNCZ_API int asyncz_trigger_or_new(asyncz_trigger **out, asyncz_trigger *const *children, size_t n,
                                     const asyncz_trigger_options *opts);

/* Make a shutdown trigger: it never fires by time (next() is always exhausted); the scheduler runs its
 * tasks once when it shuts down. */
ASYNCZ_API int asyncz_trigger_shutdown_new(asyncz_trigger **out);

/* ---- use ------------------------------------------------------------------------------------- */

ASYNCZ_API asyncz_trigger *asyncz_trigger_ref(asyncz_trigger *t);
ASYNCZ_API void asyncz_trigger_unref(asyncz_trigger *t);

/* The next fire time after `previous` (ASYNCZ_TIME_NONE: never fired) as seen at `now`. *out receives the
 * time, or ASYNCZ_TIME_NONE when the trigger is exhausted. Returns 0, or ASYNCZ_ESEARCH (an and-trigger
 * whose children never agree within its bound), ASYNCZ_EINVAL. */
ASYNCZ_API int asyncz_trigger_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                                   asyncz_time_t *out);

/* The next `count` fire times from `from` without side effects: the first is next(NONE, from), each further
 * one next(p, p) with p the one before. *n_out receives how many were written (fewer when exhausted).
 * out must hold count values. Errors as asyncz_trigger_next. */
ASYNCZ_API int asyncz_trigger_preview(const asyncz_trigger *t, asyncz_time_t from, size_t count,
                                      asyncz_time_t *out, size_t *n_out);

/* The kind's name: "cron", "interval", "calendarinterval", "date", "and", "or", "shutdown", or a custom
 * trigger's name. Borrowed. */
ASYNCZ_API const char *asyncz_trigger_kind(const asyncz_trigger *t);

/* The trigger's zone (borrowed). */
ASYNCZ_API asyncz_zone *asyncz_trigger_zone(const asyncz_trigger *t);

/* A one-line human description, e.g. `cron[day_of_week='mon-fri', hour='9-17', minute='*\/15', ...]`
 * (the fields given, in field order, as APScheduler 3 prints them), `cron[crontab='0 9 * * 1-5', ...]`,
 * `interval[1:00:00]`, `date[2026-03-29T03:00:00+02:00]`. Returns the full length like snprintf. */
ASYNCZ_API int asyncz_trigger_describe(const asyncz_trigger *t, char *buf, size_t size);

ASYNCZ_END_DECLS

#endif
