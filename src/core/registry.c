/* The function registry (see registry.h). */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/registry.h"

void az_registry_init(az_registry *r)
{
    memset(r, 0, sizeof *r);
}

void az_registry_free(az_registry *r)
{
    for (size_t i = 0; i < r->cap; i++)
        free(r->slots[i].name);
    free(r->slots);
    az_registry_init(r);
}

static az_registry_entry *find_slot(az_registry_entry *slots, size_t cap, const char *name)
{
    size_t i = (size_t)az_hash_str(name) & (cap - 1);
    while (slots[i].name && strcmp(slots[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(az_registry *r)
{
    size_t cap = r->cap ? r->cap * 2 : 16;
    az_registry_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].name)
            *find_slot(slots, cap, r->slots[i].name) = r->slots[i];
    free(r->slots);
    r->slots = slots;
    r->cap = cap;
    return 0;
}

int az_registry_set(az_registry *r, const char *name, asyncz_task_fn fn, void *userdata)
{
    if ((r->count + 1) * 2 > r->cap && grow(r) != 0)
        return ASYNCZ_ENOMEM;
    az_registry_entry *e = find_slot(r->slots, r->cap, name);
    if (!e->name) {
        if (!(e->name = strdup(name)))
            return ASYNCZ_ENOMEM;
        r->count++;
    }
    e->fn = fn;
    e->userdata = userdata;
    return 0;
}

const az_registry_entry *az_registry_get(const az_registry *r, const char *name)
{
    if (!r->cap || !name)
        return NULL;
    const az_registry_entry *e = find_slot(r->slots, r->cap, name);
    return e->name ? e : NULL;
}
