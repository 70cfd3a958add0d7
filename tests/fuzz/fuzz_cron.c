/* libFuzzer target: the field API. The input is split at newlines into up to 8 expressions (year, month,
 * day, week, day_of_week, hour, minute, second); an empty line leaves that field unset. Accepted fields are
 * searched in a zone with DST and every preview must be strictly increasing whole seconds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static asyncz_zone *zone_for_tests(void)
{
    static asyncz_zone *zone;
    if (!zone && asyncz_zone_get(&zone, "America/Santiago") < 0)
        zone = asyncz_zone_utc();
    return zone;
}

static void check_preview(const asyncz_trigger *t, asyncz_time_t from)
{
    asyncz_time_t fires[4];
    size_t n = 0;
    if (asyncz_trigger_preview(t, from, 4, fires, &n) < 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (fires[i] % ASYNCZ_USEC_PER_SEC != 0 || fires[i] < from || (i > 0 && fires[i] <= fires[i - 1]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *fields[8] = {0};
    char *p = text;
    for (int i = 0; i < 8 && p; i++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        fields[i] = *p ? p : NULL;
        p = nl ? nl + 1 : NULL;
    }
    asyncz_cron_fields f = {fields[0], fields[1], fields[2], fields[3],
                            fields[4], fields[5], fields[6], fields[7]};
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone_for_tests();
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    if (asyncz_trigger_cron_new(&t, &f, &opts, &err) == 0) {
        check_preview(t, INT64_C(1788663600) * ASYNCZ_USEC_PER_SEC); /* 2026-09-06: midnight gap */
        check_preview(t, INT64_C(1775356200) * ASYNCZ_USEC_PER_SEC); /* 2026-04-05: overlap */
        check_preview(t, INT64_C(1767225600) * ASYNCZ_USEC_PER_SEC + 1);
        asyncz_trigger_unref(t);
    } else if (err.reason[0] == '\0' || err.column < 0) {
        abort();
    }
    free(text);
    return 0;
}
