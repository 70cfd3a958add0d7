/* libFuzzer target: the input as a crontab string. Accepted strings are searched from fixed instants in a
 * zone with DST; every preview must be strictly increasing whole seconds, at or after where it started. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = fuzz_zone("Europe/Berlin");
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    if (asyncz_trigger_crontab_new(&t, text, &opts, &err) == 0) {
        /* Around the 2026 spring gap and autumn overlap, and a plain winter day. */
        fuzz_check_preview(t, INT64_C(1774744200) * ASYNCZ_USEC_PER_SEC);
        fuzz_check_preview(t, INT64_C(1792888200) * ASYNCZ_USEC_PER_SEC + 250000);
        fuzz_check_preview(t, INT64_C(1767225600) * ASYNCZ_USEC_PER_SEC);
        /* Before 1970 (1900-02-20T21:46:00.5Z): negative instants, the zone's early history. */
        fuzz_check_preview(t, INT64_C(-2204590440) * ASYNCZ_USEC_PER_SEC + 500000);
        char buf[64];
        asyncz_trigger_describe(t, buf, sizeof buf);
        asyncz_trigger_unref(t);
    } else if (err.reason[0] == '\0' || err.column < 0) {
        abort();
    }
    free(text);
    return 0;
}
