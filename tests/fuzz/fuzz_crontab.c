/* libFuzzer target: the input as a crontab string. Accepted strings are searched from fixed instants in a
 * zone with DST; every preview must be strictly increasing whole seconds, at or after where it started. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static asyncz_zone *berlin(void)
{
    static asyncz_zone *zone;
    if (!zone && asyncz_zone_get(&zone, "Europe/Berlin") < 0)
        zone = asyncz_zone_utc();
    return zone;
}

static void check_preview(const asyncz_trigger *t, asyncz_time_t from)
{
    asyncz_time_t fires[4];
    size_t n = 0;
    if (asyncz_trigger_preview(t, from, 4, fires, &n) < 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (fires[i] % ASYNCZ_USEC_PER_SEC != 0 || fires[i] < from)
            abort();
        if (i > 0 && fires[i] <= fires[i - 1])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = berlin();
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    if (asyncz_trigger_crontab_new(&t, text, &opts, &err) == 0) {
        /* Around the 2026 spring gap and autumn overlap, and a plain winter day. */
        check_preview(t, INT64_C(1774744200) * ASYNCZ_USEC_PER_SEC);
        check_preview(t, INT64_C(1792888200) * ASYNCZ_USEC_PER_SEC + 250000);
        check_preview(t, INT64_C(1767225600) * ASYNCZ_USEC_PER_SEC);
        char buf[64];
        asyncz_trigger_describe(t, buf, sizeof buf);
        asyncz_trigger_unref(t);
    } else if (err.reason[0] == '\0' || err.column < 0) {
        abort();
    }
    free(text);
    return 0;
}
