/* Internal zone interface used by the triggers' hot paths: offsets as spans of constant offset, in whole
 * seconds, so a trigger can do wall-clock arithmetic inside a span and only look the zone up again when it
 * crosses a span's end. */
#ifndef AZ_ZONE_H
#define AZ_ZONE_H

#include <stdint.h>

#include "asyncz/time.h"

/* A stretch of time during which one UTC offset is in effect. */
typedef struct az_zone_span {
    int64_t start;       /* first second of the span; INT64_MIN when it extends into the past forever */
    int64_t end;         /* first second after the span; INT64_MAX when it extends forever */
    int32_t offset;      /* seconds east of UTC in [start, end) */
    int32_t prev_offset; /* offset in effect just before start (== offset when start is INT64_MIN) */
    int32_t next_offset; /* offset in effect from end on (== offset when end is INT64_MAX) */
} az_zone_span;

/* The span containing second t (seconds since the epoch). Always succeeds. Thread-safe; no allocation.
 * Consecutive spans may have the same offset (a change of abbreviation or DST flag only). */
void az_zone_span_at(const asyncz_zone *z, int64_t t, az_zone_span *out);

/* Where IANA zones are read from: $TZDIR, else /usr/share/zoneinfo (read at each call). For messages. */
const char *az_zone_data_dir(void);

#endif
