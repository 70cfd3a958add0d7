/* Internal representation of a cron expression, shared by the two parsers (the APScheduler-style field API
 * and crontab strings), the civil-time matcher and the cron trigger kind.
 *
 * Every field is a bitset so that "the next matching value at or after v" is one shift and one bit scan.
 * The days of a month are the only part that depends on the calendar; they are combined into a 31-bit mask
 * per (year, month) from patterns precomputed when the expression is built, so no search ever walks the
 * calendar day by day or minute by minute. */
#ifndef AZ_CRON_H
#define AZ_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "asyncz/trigger.h"

/* Years 1..9999, the whole range of asyncz_time_t. Steps over the whole year field ("*\/n") still count
 * from 1970, APScheduler's first year (see az_cron_star_first). */
#define AZ_CRON_YEAR_MIN 1
#define AZ_CRON_YEAR_STEP_ORIGIN 1970
#define AZ_CRON_YEAR_MAX 9999
#define AZ_CRON_YEAR_WORDS ((AZ_CRON_YEAR_MAX - AZ_CRON_YEAR_MIN) / 64 + 1)

/* Longest accepted expression: a field API expression, or a whole crontab string. */
#define AZ_CRON_EXPR_MAX 512

/* One way of choosing days of a month. A cron expression has two: the day-of-month field and the
 * day-of-week field; each may hold plain values and the positional extras below. */
typedef struct az_cron_days {
    uint32_t days;             /* bits 1..31: these days of the month */
    uint32_t from_end;         /* bit 31-n: the day n days before the month's last day ("last", "L", "L-n") */
    uint32_t nearest;          /* bits 1..31: the Monday-Friday nearest to day n, within the month ("nW") */
    uint32_t nearest_from_end; /* bit n: the Monday-Friday nearest to the day n days before the last,
                                * within the month ("L-nW"; "LW" is bit 0) */
    uint8_t weekdays;          /* bits 0..6 (0 = Monday): every such weekday */
    uint8_t nth[5];            /* nth[k] bit w: the (k+1)-th weekday w of the month ("2nd wed", "3#2") */
    uint8_t last_of;           /* bit w: the last weekday w of the month ("last fri", "5L") */
    bool star;                 /* the field was written starting with '*' (or '?') */
    /* Derived by az_cron_spec_finish(). */
    bool extras;          /* nearest or nearest_from_end are set: computed per month */
    uint32_t by_first[7]; /* by weekday of the 1st: days from `days`, `weekdays` and `nth` */
    uint32_t by_last[7];  /* by weekday of the last day: from_end plus the bits of `last_of` */
} az_cron_days;

typedef struct az_cron_spec {
    uint64_t second;  /* bits 0..59 */
    uint64_t minute;  /* bits 0..59 */
    uint32_t hour;    /* bits 0..23 */
    uint16_t month;   /* bits 1..12 */
    uint64_t week;    /* bits 1..53: ISO week numbers */
    az_cron_days dom; /* day-of-month field (field API: `day`) */
    az_cron_days dow; /* day-of-week field */
    bool either_day;  /* a day matches when either day field does (cron(5), both restricted) */
    bool periodic;    /* minute or hour starts with '*': skips gaps, repeats overlaps (DST policy) */
    /* Derived by az_cron_spec_finish(). */
    bool any_year;                      /* every year 1..9999 */
    bool any_week;                      /* week unrestricted */
    bool any_day;                       /* every day of every month matches */
    int first_tod;                      /* the first matching second of a day */
    uint64_t years[AZ_CRON_YEAR_WORDS]; /* bit y - AZ_CRON_YEAR_MIN */
} az_cron_spec;

/* Field limits and names, shared by both parsers. */
typedef struct az_cron_field {
    const char *name;         /* the name used in error records */
    int min, max;             /* inclusive bounds of plain values */
    const char *const *names; /* 3-letter names for values names_base, names_base+1, ... or NULL */
    int names_count, names_base;
    const char *names_kind; /* what the names are, for errors: "month", "weekday" */
} az_cron_field;

/* Where a parser reports errors: the field name, the expression shown in the error, and the column in that
 * expression of the first character of the text being parsed. */
typedef struct az_cron_ctx {
    const az_cron_field *field;
    const char *expr; /* reported expression */
    const char *text; /* start of the parsed text */
    int col_base;     /* 0-based column of text[0] within expr */
    asyncz_trigger_error *err;
} az_cron_ctx;

/* Empty spec: no value in any field (the parsers fill it). */
void az_cron_spec_init(az_cron_spec *s);

/* Derive the lookup patterns once every field is filled. */
void az_cron_spec_finish(az_cron_spec *s);

/* Set values lo..hi every step of a field into a bitset. */
void az_cron_set_range(az_cron_spec *s, int field_index, int lo, int hi, int step);

/* Field indexes for az_cron_set_range and the parsers. */
enum {
    AZ_CRON_YEAR,
    AZ_CRON_MONTH,
    AZ_CRON_DAY,
    AZ_CRON_WEEK,
    AZ_CRON_DOW,
    AZ_CRON_HOUR,
    AZ_CRON_MINUTE,
    AZ_CRON_SECOND,
    AZ_CRON_NFIELDS
};

/* Report an error at `at` (a pointer into ctx->text) and return rc. */
int az_cron_fail(const az_cron_ctx *ctx, const char *at, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Scan an unsigned decimal number (at most 9 digits) at *p; advance *p. Returns false if none is there. */
bool az_cron_scan_number(const char **p, int *out);

/* Whether p is at the end of a list item (the field's end or a comma). */
bool az_cron_at_item_end(const char *p, const char *end);

/* Fail with "expected <what>" at p, naming the character found there when there is one. */
int az_cron_unexpected(const az_cron_ctx *ctx, const char *p, const char *end, const char *what);

/* Match a 3-letter name (case-insensitive) of ctx->field at *p; advance *p and store the value.
 * Returns 1 on a match, 0 when *p does not start with a letter or the field has no names, and reports an
 * unknown name as an error (rc < 0). */
int az_cron_scan_name(const az_cron_ctx *ctx, const char **p, int *out);

/* Room for az_cron_value_text's answer. */
#define AZ_CRON_VALUE_TEXT_SIZE 48

/* The text to quote for value v scanned at `at`: the digits typed there (a saturated number is never shown
 * as its saturated value; a very long one is shortened and its digit count given), or v for a name. */
const char *az_cron_value_text(const char *at, int v, char buf[AZ_CRON_VALUE_TEXT_SIZE]);

/* The first value of "*\/step" in a field: its minimum, except in the year field, whose steps count from
 * 1970 in both directions (years 1970 + k * step), as they did when the field started at 1970. */
int az_cron_star_first(const az_cron_field *f, int step);

/* Check a range lo-hi against the field's bounds; errors point at at_lo or at_hi. */
int az_cron_check_range(const az_cron_ctx *ctx, const char *at_lo, const char *at_hi, int lo, int hi);

/* Check a step over lo-hi (error at `at`): at least 1, at most the field's number of values, and with
 * `strict` (the field API, as APScheduler 3) not larger than hi - lo. */
int az_cron_check_step(const az_cron_ctx *ctx, const char *at, int lo, int hi, int step, bool strict);

/* The 31-bit mask of matching days (bit d = day d) of a month. */
uint32_t az_cron_day_mask(const az_cron_spec *s, int32_t year, int month);

/* The first matching wall time at or after `wall` (seconds since 1970-01-01T00:00 of wall-clock time,
 * negative before it), or false when there is none up to year 9999. */
bool az_cron_next_wall(const az_cron_spec *s, int64_t wall, int64_t *out);

/* Parsers: fill an initialised spec. */
int az_cron_parse_fields(az_cron_spec *s, const asyncz_cron_fields *f, asyncz_trigger_error *err);
int az_cron_parse_crontab(az_cron_spec *s, const char *crontab, asyncz_trigger_error *err);

#endif
