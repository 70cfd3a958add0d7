/* The function registry: name -> (function, userdata). Entries in an array, indexed by name with the util
 * map; not locked (its owner, the scheduler, locks it). */
#ifndef AZ_REGISTRY_H
#define AZ_REGISTRY_H

#include "asyncz/run.h"
#include "util/map.h"

typedef struct az_registry_entry {
    char *name;
    asyncz_task_fn fn;
    void *userdata;
} az_registry_entry;

typedef struct az_registry {
    az_registry_entry *entries; /* in the order of registration; functions are never unregistered */
    size_t n, cap;
    az_map by_name; /* ref: index in entries + 1 */
} az_registry;

void az_registry_init(az_registry *r);
void az_registry_free(az_registry *r);
/* Add or replace. Errors: ASYNCZ_ENOMEM. */
int az_registry_set(az_registry *r, const char *name, asyncz_task_fn fn, void *userdata);
/* The entry for name, or NULL. Valid until the next az_registry_set. */
const az_registry_entry *az_registry_get(const az_registry *r, const char *name);

#endif
