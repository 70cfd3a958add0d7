/* A reader for TZif files (RFC 8536, versions 1 to 3; version 4 of RFC 9636 reads the same way since leap
 * records are skipped). Everything is checked against the data's length: malformed input is rejected with
 * ASYNCZ_ETZDATA, never read past. */
#ifndef AZ_TZIF_H
#define AZ_TZIF_H

#include <stddef.h>
#include <stdint.h>

#include "time/posix_tz.h"

/* RFC 8536 §3.2: offsets must lie within -89999..93599 seconds (just under -25h..+26h). */
#define AZ_UTOFF_MIN (-89999)
#define AZ_UTOFF_MAX 93599

typedef struct az_tzif_type {
    int32_t utoff; /* seconds east of UTC */
    bool isdst;
    char abbr[AZ_ABBR_MAX]; /* copied out of the string block, truncated to fit */
} az_tzif_type;

typedef struct az_tzif {
    uint32_t ntrans;
    int64_t *trans;      /* ntrans instants, strictly ascending */
    uint8_t *trans_type; /* ntrans type indexes, each < ntypes */
    uint32_t ntypes;     /* 1..256 */
    az_tzif_type types[256];
    bool has_footer; /* a non-empty TZ string (v2+) that parsed */
    az_posix_tz footer;
} az_tzif;

/* Parse len bytes of TZif data into *out. On success the caller frees with az_tzif_free. On failure *out
 * holds nothing to free. Errors: ASYNCZ_ETZDATA, ASYNCZ_ENOMEM. */
int az_tzif_parse(const uint8_t *data, size_t len, az_tzif *out);

void az_tzif_free(az_tzif *t);

#endif
