/* The string-keyed hash map of the library: an index by key over items its owner keeps elsewhere.
 *
 * Open addressing with linear probing; deletion shifts the later members of a probe run back (no
 * tombstones), so lookups stay short however many keys come and go. A slot holds the key's hash (its low
 * 32 bits, compared before the keys themselves) and a reference: a nonzero 32-bit number the owner
 * chooses, usually the index of its item plus one. The map keeps no keys: it asks the owner for the key of
 * a reference (key_of) only while probing a slot whose hash matches. So one map serves tasks kept by
 * reference, entries in an array and entries allocated one by one, without copying an id.
 *
 * The load factor stays at most 3/4. A zeroed az_map is an empty map. Not locked: its owner locks it. */
#ifndef AZ_UTIL_MAP_H
#define AZ_UTIL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/hash.h"

typedef struct az_map_slot {
    uint32_t hash; /* low 32 bits of az_hash_str(key) */
    uint32_t ref;  /* the owner's reference; 0: an empty slot */
} az_map_slot;

typedef struct az_map {
    az_map_slot *slots;
    size_t cap;   /* 0 or a power of two */
    size_t count; /* references held */
} az_map;

/* The key of the item ref refers to (ctx is what the caller of az_map_find passed). */
typedef const char *az_map_key_fn(const void *ctx, uint32_t ref);

/* The hash the map files key under. */
static inline uint32_t az_map_hash(const char *key)
{
    return (uint32_t)az_hash_str(key);
}

/* Whether the item ref refers to is the one sought (ctx is what the caller of az_map_find_match passed). */
typedef bool az_map_match_fn(const void *ctx, uint32_t ref);

/* The slot holding the item match accepts among those filed under hash, or the empty slot where it would
 * go. The map must have a capacity (az_map_reserve). match is asked only about slots whose hash matches: an
 * owner can tell its item there without reading a key (the same object), falling back to the keys. Inline,
 * so that each owner's match is called directly on its hot path. */
static inline size_t az_map_find_match(const az_map *m, uint32_t hash, az_map_match_fn *match,
                                       const void *ctx)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const az_map_slot *s = &m->slots[i];
        if (s->ref == 0 || (s->hash == hash && match(ctx, s->ref)))
            return i;
    }
}

/* A key sought by az_map_find: compared with the keys the owner gives for the slots tried. */
typedef struct az_map_key {
    az_map_key_fn *key_of;
    const void *ctx;
    const char *key;
} az_map_key;

static inline bool az_map_key_matches(const void *ctx, uint32_t ref)
{
    const az_map_key *k = ctx;
    return strcmp(k->key_of(k->ctx, ref), k->key) == 0;
}

/* The slot holding key (hash is az_map_hash(key)), or the empty slot where it would go (az_map_find_match
 * comparing keys). */
static inline size_t az_map_find(const az_map *m, uint32_t hash, const char *key, az_map_key_fn *key_of,
                                 const void *ctx)
{
    az_map_key k = {key_of, ctx, key};
    return az_map_find_match(m, hash, az_map_key_matches, &k);
}

/* The reference filed under key, or 0 (also for a map with no capacity). */
static inline uint32_t az_map_get(const az_map *m, const char *key, az_map_key_fn *key_of, const void *ctx)
{
    return m->cap ? m->slots[az_map_find(m, az_map_hash(key), key, key_of, ctx)].ref : 0;
}

/* Make room for n keys in all (the slots move: find again after it). Errors: ASYNCZ_ENOMEM, the map
 * unchanged. */
int az_map_reserve(az_map *m, size_t n);
/* File ref (nonzero) under hash in slot i, an empty slot az_map_find returned after a reserve that counted
 * this key. */
void az_map_put_at(az_map *m, size_t i, uint32_t hash, uint32_t ref);
/* Empty slot i (one holding a reference), shifting back the later members of its probe run. */
void az_map_del_at(az_map *m, size_t i);
/* Refile the reference old_ref, filed under hash, as new_ref (the owner moved the item). Nothing when
 * old_ref is not filed under hash. */
void az_map_rebind(az_map *m, uint32_t hash, uint32_t old_ref, uint32_t new_ref);
/* Forget every reference, keeping the capacity. */
void az_map_clear(az_map *m);
/* Free the slots; the map is empty and zeroed. */
void az_map_free(az_map *m);

#endif
