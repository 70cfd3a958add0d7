/* The function registry (see registry.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/registry.h"
#include "util/array.h"

void az_registry_init(az_registry *r)
{
    memset(r, 0, sizeof *r);
}

void az_registry_free(az_registry *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->entries[i].name);
    free(r->entries);
    az_map_free(&r->by_name);
    az_registry_init(r);
}

static const char *name_of(const void *ctx, uint32_t ref)
{
    return ((const az_registry *)ctx)->entries[ref - 1].name;
}

int az_registry_set(az_registry *r, const char *name, asyncz_task_fn fn, void *userdata)
{
    if (r->n >= UINT32_MAX - 1 || az_map_reserve(&r->by_name, r->n + 1) != 0 ||
        az_array_reserve((void **)&r->entries, &r->cap, r->n + 1, sizeof *r->entries) != 0)
        return ASYNCZ_ENOMEM;
    uint32_t hash = az_map_hash(name);
    size_t at = az_map_find(&r->by_name, hash, name, name_of, r);
    uint32_t ref = r->by_name.slots[at].ref;
    if (ref == 0) {
        char *copy = strdup(name);
        if (!copy)
            return ASYNCZ_ENOMEM;
        r->entries[r->n++] = (az_registry_entry){.name = copy};
        ref = (uint32_t)r->n;
        az_map_put_at(&r->by_name, at, hash, ref);
    }
    r->entries[ref - 1].fn = fn;
    r->entries[ref - 1].userdata = userdata;
    return 0;
}

const az_registry_entry *az_registry_get(const az_registry *r, const char *name)
{
    if (!name)
        return NULL;
    uint32_t ref = az_map_get(&r->by_name, name, name_of, r);
    return ref ? &r->entries[ref - 1] : NULL;
}
