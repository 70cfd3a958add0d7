/* Helpers shared by the libFuzzer targets (header-only: each target is one translation unit). */
#ifndef AZ_FUZZ_COMMON_H
#define AZ_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; NULL when out of memory). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

/* A zone loaded once per process (UTC if the name cannot be loaded). */
static inline asyncz_zone *fuzz_zone(const char *name)
{
    static asyncz_zone *zone;
    if (!zone && asyncz_zone_get(&zone, name) < 0)
        zone = asyncz_zone_utc();
    return zone;
}

/* A preview must give strictly increasing whole seconds at or after where it started. */
static inline void fuzz_check_preview(const asyncz_trigger *t, asyncz_time_t from)
{
    asyncz_time_t fires[4];
    size_t n = 0;
    if (asyncz_trigger_preview(t, from, 4, fires, &n) < 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (fires[i] % ASYNCZ_USEC_PER_SEC != 0 || fires[i] < from || (i > 0 && fires[i] <= fires[i - 1]))
            abort();
}

#endif
