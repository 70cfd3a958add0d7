/* The function registry: name -> (function, userdata). An open-addressing hash table; not locked (its
 * owner, the scheduler, locks it). */
#ifndef AZ_REGISTRY_H
#define AZ_REGISTRY_H

#include "asyncz/run.h"
#include "util/hash.h"

typedef struct az_registry_entry {
    char *name; /* NULL: empty slot */
    asyncz_task_fn fn;
    void *userdata;
} az_registry_entry;

typedef struct az_registry {
    az_registry_entry *slots;
    size_t cap, count; /* cap is 0 or a power of two */
} az_registry;

void az_registry_init(az_registry *r);
void az_registry_free(az_registry *r);
/* Add or replace. Errors: ASYNCZ_ENOMEM. */
int az_registry_set(az_registry *r, const char *name, asyncz_task_fn fn, void *userdata);
/* The entry for name, or NULL. */
const az_registry_entry *az_registry_get(const az_registry *r, const char *name);

#endif
