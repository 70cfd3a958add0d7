/* The file store's in-memory index (see file_internal.h): what ordering, due lookups and claims need,
 * without reading the task files. */
#ifdef ASYNCZ_WITH_FILE
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/file_internal.h"

#define MIN_BUCKETS 64

static size_t hash_id(const char *id)
{
    /* FNV-1a: ids are short and chains are short; nothing here needs a keyed hash, since only this
     * directory's owner can choose the ids. */
    uint64_t h = UINT64_C(1469598103934665603);
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return (size_t)h;
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
    ix->buckets = calloc(MIN_BUCKETS, sizeof *ix->buckets);
    if (!ix->buckets)
        return ASYNCZ_ENOMEM;
    ix->n_buckets = MIN_BUCKETS;
    return 0;
}

void az_fs_index_clear(fs_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->order[i]->id);
        free(ix->order[i]);
    }
    if (ix->buckets)
        memset(ix->buckets, 0, ix->n_buckets * sizeof *ix->buckets);
    ix->n = 0;
    ix->n_claimed = 0;
}

void az_fs_index_free(fs_index *ix)
{
    az_fs_index_clear(ix);
    free(ix->buckets);
    free(ix->order);
    free(ix->claimed);
    *ix = (fs_index){0};
}

fs_entry *az_fs_index_find(const fs_index *ix, const char *id)
{
    for (fs_entry *e = ix->buckets[hash_id(id) & (ix->n_buckets - 1)]; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

/* ---- the pieces: hash chains, the order array, the claimed list ----------------------------------- */

static void rehash(fs_index *ix)
{
    size_t n = ix->n_buckets * 2;
    fs_entry **grown = calloc(n, sizeof *grown);
    if (!grown)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < ix->n; i++) {
        fs_entry *e = ix->order[i];
        size_t b = hash_id(e->id) & (n - 1);
        e->next = grown[b];
        grown[b] = e;
    }
    free(ix->buckets);
    ix->buckets = grown;
    ix->n_buckets = n;
}

static void hash_unlink(fs_index *ix, const fs_entry *e)
{
    fs_entry **p = &ix->buckets[hash_id(e->id) & (ix->n_buckets - 1)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
}

static int grow(fs_entry ***arr, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    fs_entry **grown = realloc(*arr, n * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    *arr = grown;
    *cap = n;
    return 0;
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

static fs_entry *new_entry(fs_index *ix, const char *id)
{
    if (grow(&ix->order, &ix->cap, ix->n + 1) || grow(&ix->claimed, &ix->cap_claimed, ix->n + 1))
        return NULL;
    fs_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->id = strdup(id))) {
        free(e);
        return NULL;
    }
    if (ix->n >= ix->n_buckets)
        rehash(ix);
    size_t b = hash_id(id) & (ix->n_buckets - 1);
    e->next = ix->buckets[b];
    ix->buckets[b] = e;
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
    hash_unlink(ix, e);
    order_remove(ix, e);
    if (e->lease_until != ASYNCZ_TIME_NONE)
        claimed_remove(ix, e);
    free(e->id);
    free(e);
}

int az_fs_index_append(fs_index *ix, const char *id, const fs_header *h)
{
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
