/* The string-keyed hash map (see map.h). */
#include <stdbool.h>
#include <stdlib.h>

#include "asyncz/error.h"
#include "util/map.h"

#define MIN_CAP 16

/* Capacity for n keys at a load factor of at most 3/4, or 0 when it does not fit a size_t. */
static size_t capacity_for(size_t n, size_t cap)
{
    if (n > SIZE_MAX / 4 / sizeof(az_map_slot))
        return 0;
    if (cap < MIN_CAP)
        cap = MIN_CAP;
    while (n * 4 > cap * 3)
        cap *= 2;
    return cap;
}

/* Put s in the first empty slot of its probe run (rehashing: every key is distinct). */
static void put_hashed(az_map_slot *slots, size_t cap, az_map_slot s)
{
    size_t mask = cap - 1, i = s.hash & mask;
    while (slots[i].ref != 0)
        i = (i + 1) & mask;
    slots[i] = s;
}

int az_map_reserve(az_map *m, size_t n)
{
    if (m->cap && n * 4 <= m->cap * 3)
        return 0;
    size_t cap = capacity_for(n, m->cap ? m->cap * 2 : MIN_CAP);
    az_map_slot *slots = cap ? calloc(cap, sizeof *slots) : NULL;
    if (!slots)
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].ref != 0)
            put_hashed(slots, cap, m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

void az_map_put_at(az_map *m, size_t i, uint32_t hash, uint32_t ref)
{
    m->slots[i] = (az_map_slot){.hash = hash, .ref = ref};
    m->count++;
}

void az_map_del_at(az_map *m, size_t i)
{
    size_t mask = m->cap - 1;
    for (size_t j = (i + 1) & mask; m->slots[j].ref != 0; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        /* j may move back to i only if its home is not in (i, j]: else a lookup from home would stop at i */
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i].ref = 0;
    m->count--;
}

void az_map_rebind(az_map *m, uint32_t hash, uint32_t old_ref, uint32_t new_ref)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask; m->slots[i].ref != 0; i = (i + 1) & mask) {
        if (m->slots[i].ref == old_ref) {
            m->slots[i].ref = new_ref;
            return;
        }
    }
}

void az_map_clear(az_map *m)
{
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->count = 0;
}

void az_map_free(az_map *m)
{
    free(m->slots);
    *m = (az_map){0};
}
