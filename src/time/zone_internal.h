/* Zone construction outside the cache, for the fuzzer and tests. */
#ifndef AZ_ZONE_INTERNAL_H
#define AZ_ZONE_INTERNAL_H

#include "time/tzif.h"
#include "time/zone.h"

/* Build an uncached zone from parsed TZif data (borrowed) named name (copied). Free with az_zone_free.
 * Errors: ASYNCZ_ENOMEM. */
int az_zone_build(asyncz_zone **out, const char *name, const az_tzif *data);

/* Free a zone made by az_zone_build (never one from asyncz_zone_get, which lives in the cache). */
void az_zone_free(asyncz_zone *z);

/* The current reference count, for tests. */
int az_zone_refcount(const asyncz_zone *z);

/* Forget the cached "local" zone so the next lookup reads $TZ again. The old zone stays valid. For tests,
 * which may run several cases in one process; the library itself never calls it. */
void az_zone_cache_drop_local(void);

#endif
