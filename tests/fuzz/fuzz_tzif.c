/* Fuzz the TZif reader: arbitrary bytes are rejected or give a zone whose lookups are consistent. */
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "time/civil.h"
#include "time/tzif.h"
#include "time/zone.h"
#include "time/zone_internal.h"

static void check_span(const asyncz_zone *z, int64_t t)
{
    az_zone_span s;
    az_zone_span_at(z, t, &s);
    if (!(s.start <= t && t < s.end) || s.offset < AZ_UTOFF_MIN || s.offset > AZ_UTOFF_MAX)
        abort();
    if ((s.start == INT64_MIN && s.prev_offset != s.offset) ||
        (s.end == INT64_MAX && s.next_offset != s.offset))
        abort();
    if (s.end != INT64_MAX) {
        az_zone_span next;
        az_zone_span_at(z, s.end, &next);
        if (next.start != s.end || next.offset != s.next_offset || next.prev_offset != s.offset)
            abort();
    }
}

static void check_wall(const asyncz_zone *z, int64_t local)
{
    asyncz_civil c;
    az_seconds_to_civil(local, &c);
    asyncz_local_result r;
    if (asyncz_zone_from_civil(z, &c, &r) != 0)
        return;
    if (r.first > r.second)
        abort();
    asyncz_civil back;
    if (r.kind != ASYNCZ_LOCAL_GAP && asyncz_zone_to_civil(z, r.first, &back, NULL) == 0 &&
        az_civil_to_seconds(&back) != local)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    az_tzif t;
    if (az_tzif_parse(data, size, &t) != 0)
        return 0;
    asyncz_zone *z;
    if (az_zone_build(&z, "fuzz", &t) == 0) {
        static const int64_t probes[] = {INT64_MIN,    -62135596800, -2208988800, 0,
                                         1774746000,   2147483647,   16725225600, 40000000000,
                                         253402300799, INT64_MAX - 1};
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
            check_span(z, probes[i]);
        for (uint32_t i = 0; i < t.ntrans && i < 64; i++) {
            if (t.trans[i] > INT64_MIN)
                check_span(z, t.trans[i] - 1);
            check_span(z, t.trans[i]);
            if (t.trans[i] > -62135596800 + 200000 && t.trans[i] < 253402300799 - 200000)
                for (int d = -2; d <= 2; d++)
                    check_wall(z, t.trans[i] + d * 1800);
        }
        check_wall(z, 1774746000);
        az_zone_free(z);
    }
    az_tzif_free(&t);
    return 0;
}
