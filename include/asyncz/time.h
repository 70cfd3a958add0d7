/* Instants, civil (wall-clock) times, time zones, ISO-8601 and durations.
 *
 * An instant is a count of microseconds since 1970-01-01T00:00:00Z (leap seconds ignored, as POSIX does).
 * A zone maps instants to local wall-clock times and back. Zones come from the system's IANA tzdata
 * (read by asyncz's own TZif reader), or are "UTC", "local", or a fixed offset. Zones are immutable,
 * reference counted and safe to share between threads; loaded zones are cached for the life of the process.
 */
#ifndef ASYNCZ_TIME_H
#define ASYNCZ_TIME_H

#include "asyncz/common.h"

ASYNCZ_BEGIN_DECLS

/* Microseconds since the Unix epoch, UTC. */
typedef int64_t asyncz_time_t;

#define ASYNCZ_USEC_PER_MSEC INT64_C(1000)
#define ASYNCZ_USEC_PER_SEC INT64_C(1000000)
#define ASYNCZ_USEC_PER_MIN (60 * ASYNCZ_USEC_PER_SEC)
#define ASYNCZ_USEC_PER_HOUR (60 * ASYNCZ_USEC_PER_MIN)
#define ASYNCZ_USEC_PER_DAY (24 * ASYNCZ_USEC_PER_HOUR)

/* "No time": an unset option, a paused task, an exhausted trigger. */
#define ASYNCZ_TIME_NONE INT64_MIN

/* The range of instants asyncz handles: years 1 to 9999 inclusive. */
#define ASYNCZ_TIME_MIN INT64_C(-62135596800000000) /* 0001-01-01T00:00:00Z */
#define ASYNCZ_TIME_MAX INT64_C(253402300799999999) /* 9999-12-31T23:59:59.999999Z */

/* The current time from the system's real-time clock. */
ASYNCZ_API asyncz_time_t asyncz_now(void);

/* ---- civil time ---------------------------------------------------------------------------- */

/* A wall-clock date and time with no zone attached (proleptic Gregorian calendar). */
typedef struct asyncz_civil {
    int32_t year;  /* 1..9999 */
    int8_t month;  /* 1..12 */
    int8_t day;    /* 1..31 */
    int8_t hour;   /* 0..23 */
    int8_t minute; /* 0..59 */
    int8_t second; /* 0..59 */
    int32_t usec;  /* 0..999999 */
} asyncz_civil;

/* Whether a civil value is a real calendar date and time (fields in range, day within the month). */
ASYNCZ_API bool asyncz_civil_valid(const asyncz_civil *c);

/* Day of the week of a date: 0 = Monday .. 6 = Sunday (ISO 8601, and APScheduler's numbering). */
ASYNCZ_API int asyncz_civil_weekday(int32_t year, int month, int day);

/* Number of days in a month (28..31). */
ASYNCZ_API int asyncz_civil_days_in_month(int32_t year, int month);

/* ---- zones --------------------------------------------------------------------------------- */

typedef struct asyncz_zone asyncz_zone;

/* Look up a zone by name and return a new reference in *out.
 *   name: an IANA name ("Europe/Berlin", "US/Eastern"), "UTC" (also "Z", "Etc/UTC"), "local" (the zone
 *         named by TZ, else /etc/localtime), or a fixed offset: "+05:30", "-0800", "+05", "UTC+01:00",
 *         "UTC-05:00", "GMT+2". Borrowed.
 * IANA data is read from $TZDIR, else /usr/share/zoneinfo. The first lookup of a name reads and caches the
 * file; later lookups share the cached zone.
 * Errors: ASYNCZ_EINVAL (NULL or empty name, a name with ".." or other unsafe parts), ASYNCZ_EZONE (no such
 * zone), ASYNCZ_ETZDATA (the file exists but is not valid TZif), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_zone_get(asyncz_zone **out, const char *name);

/* The UTC zone. Never fails; the returned pointer is borrowed and valid for the life of the process. */
ASYNCZ_API asyncz_zone *asyncz_zone_utc(void);

/* Take another reference to a zone (returns z; NULL-safe). */
ASYNCZ_API asyncz_zone *asyncz_zone_ref(asyncz_zone *z);

/* Drop a reference (NULL-safe). */
ASYNCZ_API void asyncz_zone_unref(asyncz_zone *z);

/* The zone's canonical name as given or resolved: "Europe/Berlin", "UTC", "+05:30". For "local", the IANA
 * name behind it when it can be determined (e.g. "Europe/Berlin"), else "local". Borrowed from the zone. */
ASYNCZ_API const char *asyncz_zone_name(const asyncz_zone *z);

/* The offset from UTC in seconds (east positive) in effect at instant t. */
ASYNCZ_API int32_t asyncz_zone_offset(const asyncz_zone *z, asyncz_time_t t);

/* Details of the local time in effect at an instant. */
typedef struct asyncz_zone_info {
    int32_t utc_offset; /* seconds east of UTC */
    bool is_dst;
    char abbr[16]; /* "CET", "CEST", "+0530" */
} asyncz_zone_info;

/* Fill *out with the offset, DST flag and abbreviation in effect at t. Errors: ASYNCZ_EINVAL. */
ASYNCZ_API int asyncz_zone_info_at(const asyncz_zone *z, asyncz_time_t t, asyncz_zone_info *out);

/* Convert an instant to local wall-clock time in zone z. *utc_offset (may be NULL) receives the offset.
 * Errors: ASYNCZ_EINVAL (NULL argument), ASYNCZ_ERANGE (t outside ASYNCZ_TIME_MIN..MAX). */
ASYNCZ_API int asyncz_zone_to_civil(const asyncz_zone *z, asyncz_time_t t, asyncz_civil *out,
                                    int32_t *utc_offset);

/* How a wall-clock time maps onto instants in a zone. */
typedef enum asyncz_local_kind {
    ASYNCZ_LOCAL_UNIQUE = 0,  /* exactly one instant has this wall time */
    ASYNCZ_LOCAL_GAP = 1,     /* no instant has it: the clocks jumped over it (spring forward) */
    ASYNCZ_LOCAL_OVERLAP = 2, /* two instants have it: the clocks went back over it (autumn) */
} asyncz_local_kind;

typedef struct asyncz_local_result {
    asyncz_local_kind kind;
    /* UNIQUE: both are the instant. OVERLAP: first = the earlier instant (offset before the change),
     * second = the later one. GAP: both are the first instant after the gap (the moment of the change). */
    asyncz_time_t first;
    asyncz_time_t second;
} asyncz_local_result;

/* Convert a wall-clock time in zone z to instants, reporting gaps and overlaps.
 * Errors: ASYNCZ_EINVAL (NULL argument or invalid civil value), ASYNCZ_ERANGE. */
ASYNCZ_API int asyncz_zone_from_civil(const asyncz_zone *z, const asyncz_civil *c, asyncz_local_result *out);

/* The instant for a wall-clock time under asyncz's policy: the first occurrence in an overlap, the first
 * instant after the gap for a time that does not exist. Errors as asyncz_zone_from_civil. */
ASYNCZ_API int asyncz_zone_resolve(const asyncz_zone *z, const asyncz_civil *c, asyncz_time_t *out);

/* ---- ISO-8601 -------------------------------------------------------------------------------- */

/* Parse an ISO-8601 date or date-time into an instant. Accepted:
 *   2026-03-29            date only: local midnight in naive_zone (months and days may have one digit)
 *   2026-03-29T03:00      'T' or a space between date and time; seconds optional
 *   2026-03-29T03:00:00.25  a fraction of 1..9 digits (truncated to microseconds)
 *   ...Z  ...+02:00  ...+0200  ...+02   an explicit offset; otherwise the value is naive and is read as
 *                                       wall-clock time in naive_zone (gap/overlap as asyncz_zone_resolve)
 *   text: borrowed, NUL-terminated. naive_zone: borrowed; NULL means UTC.
 * Errors: ASYNCZ_EPARSE (malformed text; *err_column, if not NULL, receives the 1-based column of the first
 * offending character), ASYNCZ_ERANGE (a field out of range, such as month 13 or 25:00), ASYNCZ_EINVAL. */
ASYNCZ_API int asyncz_time_parse(asyncz_time_t *out, const char *text, const asyncz_zone *naive_zone,
                                 int *err_column);

/* Size of a buffer that always holds asyncz_time_format's output. */
#define ASYNCZ_TIME_FORMAT_SIZE 40

/* Format t as ISO-8601 in zone z with that instant's UTC offset: "2026-03-29T03:00:00+02:00". The
 * fraction appears only when non-zero, with trailing zeros removed ("...:00.25+02:00"). UTC is written
 * "+00:00". z NULL means UTC. Returns the length written (excluding NUL) or a negative error:
 * ASYNCZ_EINVAL (NULL buf), ASYNCZ_ETOOBIG (size too small), ASYNCZ_ERANGE. */
ASYNCZ_API int asyncz_time_format(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *z);

/* ---- durations ------------------------------------------------------------------------------- */

/* Parse a duration made of one or more <number><unit> parts: units us, ms, s, m, h, d, w, e.g. "30s",
 * "1h30m", "2d", "1w", "250ms", "1.5s". A bare number means seconds. Whitespace between parts is allowed.
 * Errors: ASYNCZ_EPARSE (with *err_column as for asyncz_time_parse), ASYNCZ_ERANGE (overflow). A zero
 * duration parses to 0; callers that need a positive one check it. */
ASYNCZ_API int asyncz_duration_parse(int64_t *out_usec, const char *text, int *err_column);

/* Format a duration compactly ("1h30m", "250ms", "0s"). Returns the length or a negative error as
 * asyncz_time_format. A buffer of 48 bytes always suffices. */
ASYNCZ_API int asyncz_duration_format(char *buf, size_t size, int64_t usec);

ASYNCZ_END_DECLS

#endif
