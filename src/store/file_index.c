/* The file store's in-memory index (see file_internal.h): what ordering, due lookups and claims need,
 * without reading the task files. */
#ifdef ASYNCZ_WITH_FILE
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/file_internal.h"
#include "util/array.h"

/* The map by id needs no keyed hash: only this directory's owner can choose the ids. */
static const char *id_of(const void *ctx, uint32_t ref)
{
    return ((const fs_index *)ctx)->all[ref - 1]->id;
}

/* Store order: next_run_time ascending, ties by seq; paused entries after all others, by seq. */
static int order_cmp(const fs_entry *a, const fs_entry *b)
{
    bool pa = a->next_run_time == ASYNCZ_TIME_NONE, pb = b->next_run_time == ASYNCZ_TIME_NONE;
    if (pa != pb)
        return pa ? 1 : -1;
    if (!pa && a->next_run_time != b->next_run_time)
        return a->next_run_time < b->next_run_time ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int order_qsort_cmp(const void *a, const void *b)
{
    return order_cmp(*(fs_entry *const *)a, *(fs_entry *const *)b);
}

int az_fs_index_init(fs_index *ix)
{
    *ix = (fs_index){0};
    return 0;
}

void az_fs_index_clear(fs_index *ix)
{
    for (size_t i = 0; i < ix->n_all; i++) {
        free(ix->all[i]->id);
        free(ix->all[i]);
    }
    az_map_clear(&ix->by_id);
    ix->n_all = 0;
    ix->n = 0;
    ix->n_claimed = 0;
}

void az_fs_index_free(fs_index *ix)
{
    az_fs_index_clear(ix);
    az_map_free(&ix->by_id);
    free(ix->all);
    free(ix->order);
    free(ix->claimed);
    *ix = (fs_index){0};
}

fs_entry *az_fs_index_find(const fs_index *ix, const char *id)
{
    uint32_t ref = az_map_get(&ix->by_id, id, id_of, ix);
    return ref ? ix->all[ref - 1] : NULL;
}

/* ---- the pieces: the map by id, the order array, the claimed list --------------------------------- */

/* Take e out of the map and of all: the last entry moves into its place. */
static void all_remove(fs_index *ix, const fs_entry *e)
{
    az_map_del_at(&ix->by_id, az_map_find(&ix->by_id, e->hash, e->id, id_of, ix));
    fs_entry *last = ix->all[--ix->n_all];
    if (last == e)
        return;
    az_map_rebind(&ix->by_id, last->hash, last->ref, e->ref);
    last->ref = e->ref;
    ix->all[e->ref - 1] = last;
}

static int grow(fs_entry ***arr, size_t *cap, size_t need)
{
    return az_array_reserve((void **)arr, cap, need, sizeof **arr);
}

/* The first position whose entry does not order before e. */
static size_t lower_bound(const fs_index *ix, const fs_entry *e)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (order_cmp(ix->order[mid], e) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void order_remove(fs_index *ix, const fs_entry *e)
{
    size_t i = lower_bound(ix, e);
    while (i < ix->n && ix->order[i] != e)
        i++; /* only a hand-copied file can share (next_run_time, seq) with another */
    if (i == ix->n)
        return;
    memmove(&ix->order[i], &ix->order[i + 1], (ix->n - i - 1) * sizeof *ix->order);
    ix->n--;
}

static void order_insert(fs_index *ix, fs_entry *e)
{
    size_t i = lower_bound(ix, e);
    memmove(&ix->order[i + 1], &ix->order[i], (ix->n - i) * sizeof *ix->order);
    ix->order[i] = e;
    ix->n++;
}

static void claimed_remove(fs_index *ix, const fs_entry *e)
{
    for (size_t i = 0; i < ix->n_claimed; i++) {
        if (ix->claimed[i] == e) {
            ix->claimed[i] = ix->claimed[--ix->n_claimed];
            return;
        }
    }
}

static void note_seen(fs_index *ix, const fs_header *h)
{
    if (h->seq > ix->max_seen)
        ix->max_seen = h->seq;
    if (h->token > ix->max_seen)
        ix->max_seen = h->token;
}

/* ---- changes ------------------------------------------------------------------------------------- */

/* A new entry for id, which the index does not hold: in the map and in all, with room in the order and
 * claimed arrays. NULL when out of memory (the index unchanged). */
static fs_entry *new_entry(fs_index *ix, const char *id)
{
    if (ix->n_all >= UINT32_MAX - 1 || grow(&ix->order, &ix->cap, ix->n + 1) ||
        grow(&ix->claimed, &ix->cap_claimed, ix->n + 1) || grow(&ix->all, &ix->cap_all, ix->n_all + 1) ||
        az_map_reserve(&ix->by_id, ix->n_all + 1))
        return NULL;
    fs_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->id = strdup(id))) {
        free(e);
        return NULL;
    }
    e->hash = az_map_hash(id);
    e->ref = (uint32_t)ix->n_all + 1;
    az_map_put_at(&ix->by_id, az_map_find(&ix->by_id, e->hash, id, id_of, ix), e->hash, e->ref);
    ix->all[ix->n_all++] = e;
    e->lease_until = ASYNCZ_TIME_NONE;
    return e;
}

static void set_columns(fs_entry *e, const fs_header *h)
{
    e->next_run_time = h->next_run_time;
    e->seq = h->seq;
    e->token = h->token;
    e->lease_until = h->lease_until;
}

int az_fs_index_put(fs_index *ix, const char *id, const fs_header *h)
{
    fs_entry *e = az_fs_index_find(ix, id);
    if (!e) {
        if (!(e = new_entry(ix, id)))
            return ASYNCZ_ENOMEM;
    } else {
        order_remove(ix, e);
        if (e->lease_until != ASYNCZ_TIME_NONE)
            claimed_remove(ix, e);
    }
    set_columns(e, h);
    order_insert(ix, e);
    if (e->lease_until != ASYNCZ_TIME_NONE)
        ix->claimed[ix->n_claimed++] = e; /* it has room for every entry */
    note_seen(ix, h);
    return 0;
}

void az_fs_index_del(fs_index *ix, const char *id)
{
    fs_entry *e = az_fs_index_find(ix, id);
    if (!e)
        return;
    all_remove(ix, e);
    order_remove(ix, e);
    if (e->lease_until != ASYNCZ_TIME_NONE)
        claimed_remove(ix, e);
    free(e->id);
    free(e);
}

int az_fs_index_append(fs_index *ix, const char *id, const fs_header *h)
{
    if (az_fs_index_find(ix, id))
        return 0; /* one file per id: a second name for it is no second task */
    fs_entry *e = new_entry(ix, id);
    if (!e)
        return ASYNCZ_ENOMEM;
    set_columns(e, h);
    ix->order[ix->n++] = e;
    if (e->lease_until != ASYNCZ_TIME_NONE)
        ix->claimed[ix->n_claimed++] = e;
    note_seen(ix, h);
    return 0;
}

void az_fs_index_sort(fs_index *ix)
{
    if (ix->n > 1)
        qsort(ix->order, ix->n, sizeof *ix->order, order_qsort_cmp);
}

/* ---- queries ------------------------------------------------------------------------------------- */

size_t az_fs_index_due(const fs_index *ix, asyncz_time_t now, size_t max, fs_entry **out)
{
    size_t k = 0;
    for (size_t i = 0; i < ix->n && k < max; i++) {
        const fs_entry *e = ix->order[i];
        if (e->next_run_time == ASYNCZ_TIME_NONE || e->next_run_time > now)
            break;
        if (e->lease_until == ASYNCZ_TIME_NONE || e->lease_until <= now)
            out[k++] = ix->order[i];
    }
    return k;
}

asyncz_time_t az_fs_index_earliest(const fs_index *ix)
{
    asyncz_time_t best = ASYNCZ_TIME_NONE;
    for (size_t i = 0; i < ix->n; i++) {
        const fs_entry *e = ix->order[i];
        if (e->next_run_time == ASYNCZ_TIME_NONE)
            break;
        if (e->lease_until == ASYNCZ_TIME_NONE) {
            best = e->next_run_time; /* every later unclaimed entry runs no earlier */
            break;
        }
    }
    for (size_t i = 0; i < ix->n_claimed; i++) {
        asyncz_time_t t = ix->claimed[i]->lease_until;
        if (best == ASYNCZ_TIME_NONE || t < best)
            best = t;
    }
    return best;
}
#endif
