/* POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3") as found in $TZ and in TZif footers (RFC 8536 §3.3),
 * including the RFC's extensions: rule times from -167 to 167 hours and DST all year. */
#ifndef AZ_POSIX_TZ_H
#define AZ_POSIX_TZ_H

#include <stdbool.h>
#include <stdint.h>

#define AZ_ABBR_MAX 16

/* When in a year a change happens. */
typedef enum az_rule_kind {
    AZ_RULE_JULIAN = 0, /* Jn: day 1..365, February 29 never counted */
    AZ_RULE_DAY = 1,    /* n: day 0..365, February 29 counted */
    AZ_RULE_MONTH = 2,  /* Mm.w.d: weekday d (0 = Sunday) of week w (5 = last) of month m */
} az_rule_kind;

typedef struct az_posix_rule {
    az_rule_kind kind;
    int16_t day;    /* JULIAN and DAY */
    int8_t month;   /* MONTH: 1..12 */
    int8_t week;    /* MONTH: 1..5 */
    int8_t weekday; /* MONTH: 0..6, 0 = Sunday */
    int32_t time;   /* seconds after local midnight, -167h..167h */
} az_posix_rule;

typedef struct az_posix_tz {
    char std_abbr[AZ_ABBR_MAX];
    char dst_abbr[AZ_ABBR_MAX];
    int32_t std_offset; /* seconds east of UTC (the opposite sign of the string's) */
    int32_t dst_offset;
    bool has_dst;
    az_posix_rule start; /* change to DST, in standard local time */
    az_posix_rule end;   /* change back, in DST local time */
} az_posix_tz;

/* Parse a whole TZ string (no leading ':'). Returns 0 or ASYNCZ_EPARSE. */
int az_posix_tz_parse(const char *text, az_posix_tz *out);

/* The instants (seconds since the epoch) at which DST starts and ends in a year. Only meaningful when
 * tz->has_dst. In the southern hemisphere *end comes before *start. */
void az_posix_tz_year(const az_posix_tz *tz, int64_t year, int64_t *start, int64_t *end);

#endif
