/* The memory store (docs/stores.md): tasks kept by reference in this process.
 *
 * Entries live in one growable array (indices stay valid when it grows; freed slots are reused through a
 * free list). Two indexes point into it by 32-bit index:
 *  - a 4-ary min-heap keyed by (key time, sequence), where the key time is the task's next run time, or for
 *    a claimed task its lease expiry. So the heap's top is exactly what earliest() reports, and a lapsed
 *    lease reaches the top like any due task, which is how claim() takes it over without a scan.
 *  - the util map by id (src/util/map.h: open addressing, backward-shift deletion), whose references are
 *    entry indices + 1 and whose keys are read from the entries' tasks.
 * Paused tasks (no next run time) are in neither the heap's order nor due work: they sit outside the heap
 * and are listed last by their sequence, which is the order in which they were paused.
 *
 * Every operation takes the store's mutex. Callbacks (list, due) run after the lock is released, on a
 * snapshot of references, so a callback may call back into the store. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/sys/store.h"
#include "core/task_internal.h"
#include "store/backend.h"
#include "store/memory_audit.h"
#include "store/memory_history.h"
#include "util/array.h"
#include "util/map.h"

#define NO_POS UINT32_MAX /* an entry outside the heap (paused), or the end of the free list */
#define MAX_ENTRIES (UINT32_MAX - 1)
#define HEAP_ARITY 4

typedef struct entry {
    asyncz_task *task; /* a reference; NULL: a free entry */
    uint64_t seq;      /* when the task got its key; breaks ties in key order */
    uint64_t token;    /* fencing token of the current claim; 0: not claimed */
    uint64_t released; /* token of the release that gave the task back; 0: none since it was written */
    uint32_t pos;      /* heap position, NO_POS when paused; for a free entry the next free one */
} entry;

/* A heap node carries its key and its tie-breaker, so that sifting reads the four children from 64
 * contiguous bytes and looks at entries only to record where they moved (many tasks often share a fire
 * time: the same cron minute, a batch added at once). */
typedef struct hnode {
    asyncz_time_t key; /* next run time, or lease expiry while claimed */
    uint32_t idx;      /* the entry */
    uint32_t seq;      /* the low 32 bits of the entry's seq: see node_before */
} hnode;

typedef struct memory_store {
    asyncz_store_base base;
    pthread_mutex_t lock;
    entry *entries;
    uint32_t n_used; /* entries[0..n_used) have been handed out at least once */
    size_t n_cap;
    uint32_t free_head; /* first reusable entry, or NO_POS */
    uint32_t count;     /* live tasks */
    hnode *heap;
    uint32_t heap_len;
    size_t heap_cap; /* >= count: every live task fits, paused or not */
    az_map by_id;    /* ref: entry index + 1 */
    uint64_t next_seq;
    uint64_t last_token;
    az_mem_history *history; /* its own lock: never taken with `lock` */
    az_mem_audit *audit;     /* its own lock too */
} memory_store;

static memory_store *self_of(asyncz_store *st)
{
    return (memory_store *)(void *)st;
}

/* ---- the heap ------------------------------------------------------------------------------------ */

/* Key order; among equal keys, the one that got its key first (sequence numbers compared modulo 2^32:
 * exact while the tied tasks got their keys within 2^31 of each other; past that only the order among
 * equal keys may differ, never the key order the heap keeps). */
static bool node_before(const hnode *x, const hnode *y)
{
    return x->key < y->key || (x->key == y->key && (int32_t)(x->seq - y->seq) < 0);
}

static void heap_set(memory_store *m, uint32_t pos, hnode node)
{
    m->heap[pos] = node;
    m->entries[node.idx].pos = pos;
}

static void sift_up(memory_store *m, uint32_t pos)
{
    hnode node = m->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / HEAP_ARITY;
        if (!node_before(&node, &m->heap[parent]))
            break;
        heap_set(m, pos, m->heap[parent]);
        pos = parent;
    }
    heap_set(m, pos, node);
}

/* The heap position of pos's earliest child, or NO_POS for a leaf. */
static uint32_t earliest_child(const memory_store *m, uint32_t pos)
{
    uint64_t first = (uint64_t)pos * HEAP_ARITY + 1;
    if (first >= m->heap_len)
        return NO_POS;
    uint32_t best = (uint32_t)first;
    uint64_t end = first + HEAP_ARITY < m->heap_len ? first + HEAP_ARITY : m->heap_len;
    for (uint32_t c = best + 1; c < end; c++)
        if (node_before(&m->heap[c], &m->heap[best]))
            best = c;
    return best;
}

static void sift_down(memory_store *m, uint32_t pos)
{
    hnode node = m->heap[pos];
    for (;;) {
        uint32_t child = earliest_child(m, pos);
        if (child == NO_POS || !node_before(&m->heap[child], &node))
            break;
        heap_set(m, pos, m->heap[child]);
        pos = child;
    }
    heap_set(m, pos, node);
}

/* Capacity was reserved by the caller. */
static void heap_push(memory_store *m, uint32_t idx, asyncz_time_t key)
{
    m->heap[m->heap_len] = (hnode){.key = key, .idx = idx, .seq = (uint32_t)m->entries[idx].seq};
    sift_up(m, m->heap_len++);
}

static void heap_remove(memory_store *m, uint32_t idx)
{
    uint32_t pos = m->entries[idx].pos;
    m->entries[idx].pos = NO_POS;
    hnode last = m->heap[--m->heap_len];
    if (pos == m->heap_len)
        return;
    heap_set(m, pos, last);
    if (pos > 0 && node_before(&last, &m->heap[(pos - 1) / HEAP_ARITY]))
        sift_up(m, pos);
    else
        sift_down(m, pos);
}

/* ---- the hash by id ------------------------------------------------------------------------------ */

static const char *id_of(const void *ctx, uint32_t ref)
{
    return ((const memory_store *)ctx)->entries[ref - 1].task->id;
}

/* The slot holding id, or the empty slot where it would go (the map has a capacity). */
static size_t slot_find(const memory_store *m, const char *id, uint32_t hash)
{
    return az_map_find(&m->by_id, hash, id, id_of, m);
}

/* The entry index of id, or NO_POS; *slot_at (may be NULL) receives its slot. */
static uint32_t find(const memory_store *m, const char *id, size_t *slot_at)
{
    if (m->by_id.cap == 0)
        return NO_POS;
    size_t i = slot_find(m, id, az_map_hash(id));
    if (slot_at)
        *slot_at = i;
    uint32_t ref = m->by_id.slots[i].ref;
    return ref ? ref - 1 : NO_POS;
}

/* ---- entries ------------------------------------------------------------------------------------- */

/* Grow an array to hold at least need elements (doubling, so repeated batches stay amortised); entries are
 * numbered by 32 bits. */
static int grow_to(void **array, size_t *cap, size_t size, uint64_t need)
{
    if (need > MAX_ENTRIES)
        return ASYNCZ_ENOMEM;
    return az_array_reserve(array, cap, (size_t)need, size);
}

/* Make room for one more task in every structure, so that adding it cannot fail half-way. The heap always
 * has room for every live task, paused ones included, so that an update that resumes a paused task (a push
 * without a reservation) never writes past it. */
static int reserve_one(memory_store *m)
{
    int rc = 0;
    if (m->free_head == NO_POS)
        rc = grow_to((void **)&m->entries, &m->n_cap, sizeof *m->entries, (uint64_t)m->n_used + 1);
    if (rc == 0)
        rc = grow_to((void **)&m->heap, &m->heap_cap, sizeof *m->heap, (uint64_t)m->count + 1);
    if (rc == 0)
        rc = az_map_reserve(&m->by_id, (size_t)m->count + 1);
    return rc;
}

static uint32_t entry_take(memory_store *m)
{
    uint32_t idx = m->free_head;
    if (idx != NO_POS)
        m->free_head = m->entries[idx].pos;
    else
        idx = m->n_used++;
    return idx;
}

/* Give the entry its task's key and a new sequence number, unclaimed: into the heap unless paused. */
static void entry_schedule(memory_store *m, uint32_t idx, asyncz_task *task)
{
    entry *e = &m->entries[idx];
    e->task = task;
    e->seq = m->next_seq++;
    e->token = 0;
    e->released = 0;
    e->pos = NO_POS;
    if (task->next_run_time != ASYNCZ_TIME_NONE)
        heap_push(m, idx, task->next_run_time);
}

/* Take the entry out of the heap and hand back its task reference. */
static asyncz_task *entry_unschedule(memory_store *m, uint32_t idx)
{
    if (m->entries[idx].pos != NO_POS)
        heap_remove(m, idx);
    asyncz_task *task = m->entries[idx].task;
    m->entries[idx].task = NULL;
    return task;
}

static void entry_drop(memory_store *m, uint32_t idx, size_t slot_at)
{
    asyncz_task_free(entry_unschedule(m, idx));
    az_map_del_at(&m->by_id, slot_at);
    m->entries[idx].pos = m->free_head;
    m->free_head = idx;
    m->count--;
}

/* Replace an entry's task with next (a new reference), rescheduled and unclaimed. */
static void entry_replace(memory_store *m, uint32_t idx, asyncz_task *next)
{
    asyncz_task_free(entry_unschedule(m, idx));
    entry_schedule(m, idx, next);
}

static bool task_storable(const asyncz_task *task)
{
    return task && task->id;
}

/* ---- the operations ------------------------------------------------------------------------------ */

static int mem_add(asyncz_store *st, asyncz_task *task)
{
    if (!st || !task_storable(task))
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    uint32_t hash = az_map_hash(task->id);
    pthread_mutex_lock(&m->lock);
    /* Reserve first: it may rehash, which moves the slot the id would take. */
    int rc = reserve_one(m);
    size_t i = rc == 0 ? slot_find(m, task->id, hash) : 0;
    if (rc == 0 && m->by_id.slots[i].ref != 0)
        rc = ASYNCZ_EEXISTS;
    if (rc == 0) {
        uint32_t idx = entry_take(m);
        entry_schedule(m, idx, asyncz_task_ref(task));
        az_map_put_at(&m->by_id, i, hash, idx + 1);
        m->count++;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Make room for n more tasks in every structure, so that adding them cannot fail half-way. Entries are
 * reserved as if the free list were empty: a few unused slots cost less than counting it. */
static int reserve_many(memory_store *m, size_t n)
{
    if (n > MAX_ENTRIES - m->count)
        return ASYNCZ_ENOMEM;
    int rc = grow_to((void **)&m->entries, &m->n_cap, sizeof *m->entries, (uint64_t)m->n_used + n);
    if (rc == 0)
        rc = grow_to((void **)&m->heap, &m->heap_cap, sizeof *m->heap, (uint64_t)m->count + n);
    if (rc == 0)
        rc = az_map_reserve(&m->by_id, (size_t)m->count + n);
    return rc;
}

/* The first task whose id the store holds, or n. */
static size_t first_taken(const memory_store *m, asyncz_task *const *tasks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (find(m, tasks[i]->id, NULL) != NO_POS)
            return i;
    return n;
}

/* Every id was checked free and the structures have room: nothing below can fail. */
static void add_reserved(memory_store *m, asyncz_task *task)
{
    uint32_t hash = az_map_hash(task->id);
    size_t i = slot_find(m, task->id, hash);
    uint32_t idx = entry_take(m);
    entry_schedule(m, idx, asyncz_task_ref(task));
    az_map_put_at(&m->by_id, i, hash, idx + 1);
    m->count++;
}

static int mem_add_many(asyncz_store *st, asyncz_task *const *tasks, size_t n)
{
    if (!st || !tasks)
        return ASYNCZ_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!task_storable(tasks[i]))
            return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    size_t taken = first_taken(m, tasks, n);
    int rc = taken < n ? az_store_fail(ASYNCZ_EEXISTS, "memory: task \"%s\" already exists", tasks[taken]->id)
                       : reserve_many(m, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        add_reserved(m, tasks[i]);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int mem_update(asyncz_store *st, asyncz_task *task)
{
    if (!st || !task_storable(task))
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    uint32_t idx = find(m, task->id, NULL);
    if (idx != NO_POS)
        entry_replace(m, idx, asyncz_task_ref(task));
    pthread_mutex_unlock(&m->lock);
    return idx == NO_POS ? ASYNCZ_ENOTFOUND : 0;
}

static int mem_remove(asyncz_store *st, const char *id)
{
    if (!st || !id)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    size_t at = 0;
    uint32_t idx = find(m, id, &at);
    if (idx != NO_POS)
        entry_drop(m, idx, at);
    pthread_mutex_unlock(&m->lock);
    return idx == NO_POS ? ASYNCZ_ENOTFOUND : 0;
}

/* Drop every task and the indexes' memory. The sequence and token counters go on, so tokens stay unique. */
static void clear_all(memory_store *m)
{
    for (uint32_t i = 0; i < m->n_used; i++)
        asyncz_task_free(m->entries[i].task);
    free(m->entries);
    free(m->heap);
    az_map_free(&m->by_id);
    m->entries = NULL;
    m->heap = NULL;
    m->n_used = m->n_cap = m->count = m->heap_len = m->heap_cap = 0;
    m->free_head = NO_POS;
}

static int mem_remove_all(asyncz_store *st)
{
    if (!st)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    clear_all(m);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static int mem_lookup(asyncz_store *st, const char *id, asyncz_task **out)
{
    if (!st || !id || !out)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    uint32_t idx = find(m, id, NULL);
    *out = idx == NO_POS ? NULL : asyncz_task_ref(m->entries[idx].task);
    pthread_mutex_unlock(&m->lock);
    return idx == NO_POS ? ASYNCZ_ENOTFOUND : 0;
}

/* ---- listings: snapshots taken under the lock, handed to the callback without it ----------------- */

typedef struct listed {
    asyncz_task *task; /* a reference */
    uint64_t seq;
} listed;

/* Call each (NULL: none) for the snapshot in order until it returns non-zero; then drop every reference. */
static int deliver(listed *items, size_t n, asyncz_store_each_fn each, void *userdata)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && each)
            rc = each(items[i].task, userdata);
        asyncz_task_free(items[i].task);
    }
    free(items);
    return rc;
}

/* List order: by next run time, paused (ASYNCZ_TIME_NONE, the smallest value) last; ties by sequence. */
static int compare_listed(const void *a, const void *b)
{
    const listed *x = a, *y = b;
    asyncz_time_t tx = x->task->next_run_time, ty = y->task->next_run_time;
    bool px = tx == ASYNCZ_TIME_NONE, py = ty == ASYNCZ_TIME_NONE;
    if (px != py)
        return px ? 1 : -1;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static listed *snapshot_all(memory_store *m, size_t *n_out)
{
    listed *items = malloc(((size_t)m->count + 1) * sizeof *items);
    size_t n = 0;
    for (uint32_t i = 0; items && i < m->n_used; i++)
        if (m->entries[i].task)
            items[n++] = (listed){asyncz_task_ref(m->entries[i].task), m->entries[i].seq};
    *n_out = n;
    return items;
}

static int mem_list(asyncz_store *st, asyncz_store_each_fn each, void *userdata)
{
    if (!st || !each)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    listed *items = snapshot_all(m, &n);
    pthread_mutex_unlock(&m->lock);
    if (!items)
        return ASYNCZ_ENOMEM;
    qsort(items, n, sizeof *items, compare_listed);
    return deliver(items, n, each, userdata);
}

/* A binary min-heap of heap positions, for visiting the main heap's entries in order without changing it:
 * take the earliest position seen, then offer its children. */
typedef struct frontier {
    uint32_t *pos;
    size_t len, cap;
} frontier;

static bool frontier_before(const memory_store *m, const frontier *f, size_t a, size_t b)
{
    return node_before(&m->heap[f->pos[a]], &m->heap[f->pos[b]]);
}

static int frontier_push(const memory_store *m, frontier *f, uint32_t pos)
{
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 32;
        uint32_t *p = realloc(f->pos, cap * sizeof *p);
        if (!p)
            return ASYNCZ_ENOMEM;
        f->pos = p;
        f->cap = cap;
    }
    size_t i = f->len++;
    f->pos[i] = pos;
    for (; i > 0 && frontier_before(m, f, i, (i - 1) / 2); i = (i - 1) / 2) {
        uint32_t t = f->pos[i];
        f->pos[i] = f->pos[(i - 1) / 2];
        f->pos[(i - 1) / 2] = t;
    }
    return 0;
}

static uint32_t frontier_pop(const memory_store *m, frontier *f)
{
    uint32_t top = f->pos[0];
    f->pos[0] = f->pos[--f->len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < f->len && frontier_before(m, f, l, best))
            best = l;
        if (r < f->len && frontier_before(m, f, r, best))
            best = r;
        if (best == i)
            break;
        uint32_t t = f->pos[i];
        f->pos[i] = f->pos[best];
        f->pos[best] = t;
        i = best;
    }
    return top;
}

/* Offer heap position pos if its entry is due at now. */
static int offer_due(const memory_store *m, frontier *f, uint64_t pos, asyncz_time_t now)
{
    if (pos >= m->heap_len || m->heap[pos].key > now)
        return 0;
    return frontier_push(m, f, (uint32_t)pos);
}

/* The first (at most max) due entries in key order, as references. Lapsed claims are due again, by their
 * lease expiry, since that is when they need attention. */
static int snapshot_due(memory_store *m, asyncz_time_t now, size_t max, listed **out, size_t *n_out)
{
    frontier f = {0};
    listed *items = NULL;
    size_t n = 0, cap = 0;
    int rc = offer_due(m, &f, 0, now);
    while (rc == 0 && f.len > 0 && n < max) {
        uint32_t pos = frontier_pop(m, &f);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            listed *p = realloc(items, cap * sizeof *p);
            if (!p) {
                rc = ASYNCZ_ENOMEM;
                break;
            }
            items = p;
        }
        const entry *e = &m->entries[m->heap[pos].idx];
        items[n++] = (listed){asyncz_task_ref(e->task), e->seq};
        for (uint64_t c = (uint64_t)pos * HEAP_ARITY + 1; rc == 0 && c <= (uint64_t)pos * HEAP_ARITY + 4; c++)
            rc = offer_due(m, &f, c, now);
    }
    free(f.pos);
    *out = items;
    *n_out = n;
    return rc;
}

static int mem_due(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *userdata)
{
    if (!st || !each)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    listed *items = NULL;
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    int rc = snapshot_due(m, now, max, &items, &n);
    pthread_mutex_unlock(&m->lock);
    if (rc < 0) {
        deliver(items, n, NULL, NULL);
        return rc;
    }
    return deliver(items, n, each, userdata);
}

static int mem_earliest(asyncz_store *st, asyncz_time_t *out)
{
    if (!st || !out)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    *out = m->heap_len ? m->heap[0].key : ASYNCZ_TIME_NONE;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static int mem_count(asyncz_store *st, size_t *out)
{
    if (!st || !out)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    *out = m->count;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* ---- claims -------------------------------------------------------------------------------------- */

static asyncz_time_t lease_end(asyncz_time_t now, int64_t lease_usec)
{
    asyncz_time_t end;
    if (__builtin_add_overflow(now, lease_usec, &end))
        return INT64_MAX;
    return end;
}

/* Claim the heap's top: a new token, keyed by its lease expiry from now on. */
static asyncz_claim claim_top(memory_store *m, asyncz_time_t until)
{
    entry *e = &m->entries[m->heap[0].idx];
    e->token = ++m->last_token;
    m->heap[0].key = until;
    sift_down(m, 0);
    return (asyncz_claim){.task = asyncz_task_ref(e->task), .token = e->token, .lease_until = until};
}

static int mem_claim(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                     asyncz_claim *out, size_t *n_out)
{
    if (!st || !owner || lease_usec <= 0 || (max > 0 && !out) || !n_out || now == ASYNCZ_TIME_NONE)
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    asyncz_time_t until = lease_end(now, lease_usec);
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    /* Every entry keyed at or before now is claimable: an unclaimed due task or a lapsed claim. */
    while (n < max && m->heap_len > 0 && m->heap[0].key <= now)
        out[n++] = claim_top(m, until);
    pthread_mutex_unlock(&m->lock);
    *n_out = n;
    return 0;
}

static int mem_release(asyncz_store *st, const char *id, uint64_t token, asyncz_task *next)
{
    if (!st || !id || (next && (!task_storable(next) || strcmp(next->id, id) != 0)))
        return ASYNCZ_EINVAL;
    memory_store *m = self_of(st);
    pthread_mutex_lock(&m->lock);
    size_t at = 0;
    uint32_t idx = find(m, id, &at);
    int rc = idx == NO_POS ? ASYNCZ_ENOTFOUND : 0;
    bool held = rc == 0 && token != 0 && m->entries[idx].token == token;
    /* A repeated release (its owner lost the reply) changes nothing and succeeds. */
    bool repeated = rc == 0 && token != 0 && m->entries[idx].token == 0 && m->entries[idx].released == token;
    if (rc == 0 && !held && !repeated)
        rc = ASYNCZ_ESTATE;
    if (held && next) {
        entry_replace(m, idx, asyncz_task_ref(next));
        m->entries[idx].released = token;
    } else if (held) {
        entry_drop(m, idx, at);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------------------------------- */

static void mem_destroy(asyncz_store *st)
{
    memory_store *m = self_of(st);
    clear_all(m);
    az_mem_history_free(m->history);
    az_mem_audit_free(m->audit);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- run history (memory_history.c) ---------------------------------------------------------------------
 */

static int mem_history_put(asyncz_store *st, const asyncz_run_record *recs, size_t n)
{
    return az_mem_history_put(self_of(st)->history, recs, n);
}

static int mem_history_list(asyncz_store *st, const asyncz_history_query *q, asyncz_run_record_fn each,
                            void *userdata, char *next_cursor)
{
    return az_mem_history_list(self_of(st)->history, q, each, userdata, next_cursor);
}

static int mem_history_get(asyncz_store *st, const char *run_id, asyncz_run_record **out)
{
    return az_mem_history_get(self_of(st)->history, run_id, out);
}

static int mem_history_prune(asyncz_store *st, const asyncz_history_retention *r, asyncz_time_t now,
                             size_t max, size_t *pruned)
{
    return az_mem_history_prune(self_of(st)->history, r, now, max, pruned);
}

static int mem_history_mark_lost(asyncz_store *st, const char *scheduler, asyncz_time_t now,
                                 const char *reason, size_t *marked)
{
    return az_mem_history_mark_lost(self_of(st)->history, scheduler, now, reason, marked);
}

/* ---- the audit trail (memory_audit.c) ---- */

static int mem_audit_put(asyncz_store *st, const asyncz_audit_entry *entries, size_t n)
{
    return az_mem_audit_put(self_of(st)->audit, entries, n);
}

static int mem_audit_list(asyncz_store *st, const asyncz_audit_query *q, asyncz_audit_fn each, void *userdata,
                          char *next_cursor)
{
    return az_mem_audit_list(self_of(st)->audit, q, each, userdata, next_cursor);
}

static const asyncz_store_ops memory_ops = {
    .version = ASYNCZ_STORE_OPS_VERSION,
    .name = "memory",
    .caps = 0,
    .open = NULL,
    .close = NULL,
    .add = mem_add,
    .update = mem_update,
    .remove = mem_remove,
    .remove_all = mem_remove_all,
    .lookup = mem_lookup,
    .list = mem_list,
    .due = mem_due,
    .earliest = mem_earliest,
    .count = mem_count,
    .claim = mem_claim,
    .release = mem_release,
    .destroy = mem_destroy,
    .add_many = mem_add_many,
    .history_put = mem_history_put,
    .history_list = mem_history_list,
    .history_get = mem_history_get,
    .history_prune = mem_history_prune,
    .history_mark_lost = mem_history_mark_lost,
    .audit_put = mem_audit_put,
    .audit_list = mem_audit_list,
};

int asyncz_store_memory_new(asyncz_store **out)
{
    if (!out)
        return ASYNCZ_EINVAL;
    memory_store *m = calloc(1, sizeof *m);
    if (!m)
        return ASYNCZ_ENOMEM;
    if (az_mem_history_new(&m->history) != 0 || az_mem_audit_new(&m->audit) != 0 ||
        pthread_mutex_init(&m->lock, NULL) != 0) {
        az_mem_history_free(m->history);
        az_mem_audit_free(m->audit);
        free(m);
        return ASYNCZ_ENOMEM;
    }
    m->free_head = NO_POS;
    asyncz_store_base_init(&m->base, &memory_ops);
    *out = (asyncz_store *)(void *)&m->base;
    return 0;
}
