/* libFuzzer target: the field API. The input is split at newlines into up to 8 expressions (year, month,
 * day, week, day_of_week, hour, minute, second); an empty line leaves that field unset. Accepted fields are
 * searched in a zone with DST and every preview must be strictly increasing whole seconds. */
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
    opts.timezone = fuzz_zone("America/Santiago");
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err;
    if (asyncz_trigger_cron_new(&t, &f, &opts, &err) == 0) {
        fuzz_check_preview(t, INT64_C(1788663600) * ASYNCZ_USEC_PER_SEC); /* 2026-09-06: midnight gap */
        fuzz_check_preview(t, INT64_C(1775356200) * ASYNCZ_USEC_PER_SEC); /* 2026-04-05: overlap */
        fuzz_check_preview(t, INT64_C(1767225600) * ASYNCZ_USEC_PER_SEC + 1);
        fuzz_check_preview(t, INT64_C(-2204590440) * ASYNCZ_USEC_PER_SEC + 1); /* before 1970 */
        asyncz_trigger_unref(t);
    } else if (err.reason[0] == '\0' || err.column < 0) {
        abort();
    }
    free(text);
    return 0;
}
