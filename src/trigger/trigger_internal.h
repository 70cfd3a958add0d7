/* Internal helpers shared by the trigger kinds. */
#ifndef AZ_TRIGGER_INTERNAL_H
#define AZ_TRIGGER_INTERNAL_H

#include "asyncz/error.h"
#include "asyncz/sys/trigger.h"

/* Where a search for the next fire time starts (APScheduler 3's rule): with no previous fire time,
 * max(now, start_date); with one, min(now, previous + 1 us), and never previous itself. */
asyncz_time_t az_trigger_search_start(const asyncz_trigger_base *b, asyncz_time_t previous,
                                      asyncz_time_t now);

/* The caller's options (NULL: the defaults) as this version of the struct, in *out: the fields of the
 * caller's version, the defaults for fields added after it. ASYNCZ_EINVAL for version 0 or one newer than
 * the library knows, with *err filled or, when err is NULL, the reason logged. */
int az_trigger_options_read(const asyncz_trigger_options *in, asyncz_trigger_options *out,
                            asyncz_trigger_error *err);

/* Fill *err (NULL-safe) with a field, the expression, a 1-based column (0 unknown) and a printf-style reason.
 */
void az_trigger_error_set(asyncz_trigger_error *err, const char *field, const char *expr, int column,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The first fire time of a child at or after t (raw: no jitter), ASYNCZ_TIME_NONE if none. Used by and/or. */
int az_trigger_first_from(const asyncz_trigger *child, asyncz_time_t t, asyncz_time_t *out);

/* Append to a describe buffer like snprintf, tracking the full length in *len. */
void az_describe_append(char *buf, size_t size, int *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
