/* Fuzz asyncz_time_parse: any text either fails cleanly or gives an instant that formats and reads back
 * as the same instant, in UTC and in a zone with DST and local mean time. */
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "fuzz_common.h"

static void check_round_trip(asyncz_time_t t, const asyncz_zone *z)
{
    char buf[ASYNCZ_TIME_FORMAT_SIZE];
    int n = asyncz_time_format(buf, sizeof buf, t, z);
    if (n == ASYNCZ_ERANGE)
        return; /* the local date is in year 0 or 10000 */
    if (n <= 0)
        abort();
    asyncz_time_t back;
    int col;
    if (asyncz_time_parse(&back, buf, NULL, &col) != 0 || back != t)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static asyncz_zone *berlin;
    if (!berlin && asyncz_zone_get(&berlin, "Europe/Berlin") != 0)
        berlin = asyncz_zone_utc();
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    const asyncz_zone *naive[2] = {NULL, berlin};
    for (int i = 0; i < 2; i++) {
        asyncz_time_t t;
        int col = 0;
        int rc = asyncz_time_parse(&t, text, naive[i], &col);
        if (rc == 0) {
            if (t < ASYNCZ_TIME_MIN || t > ASYNCZ_TIME_MAX)
                abort();
            check_round_trip(t, NULL);
            check_round_trip(t, berlin);
        } else if (rc == ASYNCZ_EPARSE && (col < 1 || (size_t)col > strlen(text) + 1)) {
            abort();
        }
    }
    free(text);
    return 0;
}
