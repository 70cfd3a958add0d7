/* The memory store's run history (see memory_history.h).
 *
 * Records are kept in one array of pointers sorted by run id (run ids of one process increase, so a put
 * appends); get and the cursor of a listing are binary searches. Each record is also on its task's list,
 * in run id order, so a task's newest runs are read from its tail and its oldest pruned from its head.
 * A removed record stays in the array as a dead entry (its run id kept, so the searches still work) until
 * the dead outnumber the live, when one pass drops them all. A task whose record count passes
 * max_runs_per_task is put on the over list, which prune works through. */
#define _GNU_SOURCE
#include "store/memory_history.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/history.h"
#include "util/array.h"
#include "util/ids.h"
#include "util/map.h"

#define NO_TASK UINT32_MAX
#define COMPACT_MIN 64

/* One record in one allocation: the struct, then its output lines, then its strings (mrec_pack). */
typedef struct mrec {
    asyncz_run_record rec; /* points into its own allocation; rec.run_id is the key */
    bool dead;
    uint32_t task; /* index in tasks */
    struct mrec *tprev, *tnext;
} mrec;

typedef struct task_runs {
    bool used;     /* false: a free slot (next_free links them) */
    uint32_t hash; /* az_map_hash of its task id; the id itself is its records' (task_key) */
    uint32_t count;
    bool over; /* on the over list */
    uint32_t next_free;
    mrec *head, *tail; /* oldest, newest */
} task_runs;

struct az_mem_history {
    pthread_mutex_t lock;
    mrec **recs;
    size_t n, cap; /* entries, dead included */
    size_t live;
    size_t front; /* no live entry before this index */
    task_runs *tasks;
    size_t n_tasks, tasks_cap;
    uint32_t free_task;
    az_map by_task; /* ref: task index + 1 */
    uint32_t *over;
    size_t n_over, over_cap;
    asyncz_history_retention ret;
};

int az_mem_history_new(az_mem_history **out)
{
    az_mem_history *h = calloc(1, sizeof *h);
    if (!h || pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return ASYNCZ_ENOMEM;
    }
    h->free_task = NO_TASK;
    h->ret = (asyncz_history_retention){.max_age_usec = ASYNCZ_HISTORY_DEFAULT_MAX_AGE,
                                        .max_runs_per_task = ASYNCZ_HISTORY_DEFAULT_MAX_RUNS_PER_TASK,
                                        .max_runs = ASYNCZ_HISTORY_MEMORY_DEFAULT_MAX_RUNS};
    *out = h;
    return 0;
}

static void mrec_free(mrec *m)
{
    free(m);
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *pack_str(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*at, s, n);
    const char *r = *at;
    *at += n;
    return r;
}

/* Copy src into one new allocation (one malloc per record, one free). NULL: out of memory. */
static mrec *mrec_pack(const asyncz_run_record *src)
{
    size_t lines = src->output ? src->n_output : 0;
    size_t size = sizeof(mrec) + lines * sizeof(asyncz_output_line) + str_size(src->task_id) +
                  str_size(src->task_name) + str_size(src->store_alias) + str_size(src->scheduler) +
                  str_size(src->host) + str_size(src->error_message) + str_size(src->result);
    for (size_t i = 0; i < lines; i++)
        size += str_size(src->output[i].text ? src->output[i].text : "");
    mrec *m = malloc(size); /* sizeof(mrec) keeps the lines after it aligned */
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->rec = *src;
    asyncz_output_line *out = (asyncz_output_line *)(void *)(m + 1);
    char *at = (char *)(out + lines);
    m->rec.task_id = pack_str(&at, src->task_id);
    m->rec.task_name = pack_str(&at, src->task_name);
    m->rec.store_alias = pack_str(&at, src->store_alias);
    m->rec.scheduler = pack_str(&at, src->scheduler);
    m->rec.host = pack_str(&at, src->host);
    m->rec.error_message = pack_str(&at, src->error_message);
    m->rec.result = pack_str(&at, src->result);
    for (size_t i = 0; i < lines; i++) {
        out[i] = src->output[i];
        out[i].text = pack_str(&at, src->output[i].text ? src->output[i].text : "");
    }
    m->rec.output = lines ? out : NULL;
    m->rec.n_output = lines;
    return m;
}

void az_mem_history_free(az_mem_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        mrec_free(h->recs[i]);
    free(h->recs);
    free(h->tasks);
    free(h->over);
    az_map_free(&h->by_task);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* ---- indexes ------------------------------------------------------------------------------------------ */

/* The first entry whose run id is not below run_id. */
static size_t lower_bound(const az_mem_history *h, const char *run_id)
{
    if (h->n == 0 || strcmp(h->recs[h->n - 1]->rec.run_id, run_id) < 0)
        return h->n; /* the common case: a newer run id than any (they increase within a process) */
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(h->recs[mid]->rec.run_id, run_id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static mrec *find_live(const az_mem_history *h, const char *run_id)
{
    size_t i = lower_bound(h, run_id);
    return i < h->n && !h->recs[i]->dead && strcmp(h->recs[i]->rec.run_id, run_id) == 0 ? h->recs[i] : NULL;
}

/* A task slot has records while it is used: its key is its oldest record's task id (no copy is kept). */
static const char *task_key(const void *ctx, uint32_t ref)
{
    return ((const az_mem_history *)ctx)->tasks[ref - 1].head->rec.task_id;
}

static uint32_t task_find_hashed(const az_mem_history *h, const char *task_id, uint32_t hash)
{
    if (!h->by_task.cap)
        return NO_TASK;
    uint32_t ref = h->by_task.slots[az_map_find(&h->by_task, hash, task_id, task_key, h)].ref;
    return ref ? ref - 1 : NO_TASK;
}

static uint32_t task_find(const az_mem_history *h, const char *task_id)
{
    return task_find_hashed(h, task_id, az_map_hash(task_id));
}

/* The task's slot, made when missing, for the record m (linked to it at once by the caller: a slot's key
 * is its first record's). Room was reserved (reserve). */
static uint32_t task_get(az_mem_history *h, const mrec *m, uint32_t hash)
{
    uint32_t t = task_find_hashed(h, m->rec.task_id, hash);
    if (t != NO_TASK)
        return t;
    if (h->free_task != NO_TASK) {
        t = h->free_task;
        h->free_task = h->tasks[t].next_free;
    } else {
        t = (uint32_t)h->n_tasks++;
    }
    h->tasks[t] = (task_runs){.used = true, .hash = hash, .next_free = NO_TASK};
    size_t at = az_map_find(&h->by_task, hash, m->rec.task_id, task_key, h);
    az_map_put_at(&h->by_task, at, hash, t + 1);
    return t;
}

typedef struct slot_ref {
    uint32_t ref;
} slot_ref;

static bool is_ref(const void *ctx, uint32_t ref)
{
    return ((const slot_ref *)ctx)->ref == ref;
}

/* Free slot t, whose last record was just unlinked (found in the map by its reference: it has no key any
 * more). */
static void task_release(az_mem_history *h, uint32_t t)
{
    task_runs *tr = &h->tasks[t];
    slot_ref k = {t + 1};
    az_map_del_at(&h->by_task, az_map_find_match(&h->by_task, tr->hash, is_ref, &k));
    *tr = (task_runs){.used = false, .next_free = h->free_task};
    h->free_task = t;
}

static void flag_over(az_mem_history *h, uint32_t t)
{
    task_runs *tr = &h->tasks[t];
    if (tr->over || !h->ret.max_runs_per_task || tr->count <= h->ret.max_runs_per_task)
        return;
    if (h->n_over == h->over_cap &&
        az_array_reserve((void **)&h->over, &h->over_cap, h->n_over + 1, sizeof *h->over) != 0)
        return; /* out of memory: the task is flagged again at its next put */
    h->over[h->n_over++] = t;
    tr->over = true;
}

/* Link m into its task's list in run id order (usually at the tail). */
static void task_link(az_mem_history *h, mrec *m)
{
    task_runs *tr = &h->tasks[m->task];
    mrec *after = tr->tail;
    while (after && strcmp(after->rec.run_id, m->rec.run_id) > 0)
        after = after->tprev;
    m->tprev = after;
    m->tnext = after ? after->tnext : tr->head;
    if (m->tnext)
        m->tnext->tprev = m;
    else
        tr->tail = m;
    if (after)
        after->tnext = m;
    else
        tr->head = m;
    tr->count++;
    flag_over(h, m->task);
}

/* Remove a live record: off its task's list, its content freed, its entry left dead with its run id. */
static void drop_record(az_mem_history *h, mrec *m)
{
    task_runs *tr = &h->tasks[m->task];
    if (m->tprev)
        m->tprev->tnext = m->tnext;
    else
        tr->head = m->tnext;
    if (m->tnext)
        m->tnext->tprev = m->tprev;
    else
        tr->tail = m->tprev;
    if (--tr->count == 0)
        task_release(h, m->task);
    m->dead = true; /* freed by compact(); its run id keeps the order until then */
    m->tprev = m->tnext = NULL;
    h->live--;
}

static void compact(az_mem_history *h)
{
    size_t dead = h->n - h->live;
    if (dead < COMPACT_MIN || dead < h->live / 4) /* dead entries hold their memory: keep them few */
        return;
    size_t kept = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (h->recs[i]->dead)
            mrec_free(h->recs[i]);
        else
            h->recs[kept++] = h->recs[i];
    }
    h->n = kept;
    h->front = 0;
}

/* The index of the oldest live entry (h->n when none), moving the front hint past dead entries. */
static size_t first_live(az_mem_history *h)
{
    while (h->front < h->n && h->recs[h->front]->dead)
        h->front++;
    return h->front;
}

/* Drop the oldest live records while more than max_runs are kept. Returns how many were dropped. */
static size_t enforce_cap(az_mem_history *h, size_t budget)
{
    size_t dropped = 0;
    while (h->ret.max_runs && h->live > h->ret.max_runs && dropped < budget) {
        drop_record(h, h->recs[first_live(h)]);
        dropped++;
    }
    return dropped;
}

/* ---- put ------------------------------------------------------------------------------------------- */

typedef struct staged {
    mrec *m;       /* the new content */
    uint32_t hash; /* az_map_hash of its task id */
    uint32_t task; /* its task's slot when it was known at staging (stage_task_ids), else NO_TASK */
} staged;

static void staged_free(staged *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mrec_free(s[i].m);
    }
    free(s);
}

/* Check the batch (every record names a task and has a valid run id; ASYNCZ_EINVAL when not) and count how
 * many records at its start the cap would drop at once (*skip): when its run ids strictly increase and it
 * holds more than max_runs records, all but its newest max_runs (the newest max_runs of the store and the
 * batch together are kept, and the batch alone has that many newer ones). A burst of runs larger than the
 * cap so costs no copy of what would not be kept. One pass: a large batch is read once. */
static int check_batch(const asyncz_run_record *recs, size_t n, uint64_t max_runs, size_t *skip)
{
    bool increasing = true;
    for (size_t i = 0; i < n; i++) {
        if (!az_run_id_valid_buf(recs[i].run_id) || !recs[i].task_id || !*recs[i].task_id)
            return ASYNCZ_EINVAL;
        if (i > 0 && increasing && strcmp(recs[i - 1].run_id, recs[i].run_id) >= 0)
            increasing = false;
    }
    *skip = increasing && max_runs && n > max_runs ? n - (size_t)max_runs : 0;
    return 0;
}

/* Pack the batch (outside the lock), so that what can fail fails before anything changes. */
static int stage(const asyncz_run_record *recs, size_t n, staged **out)
{
    staged *s = calloc(n, sizeof *s);
    if (!s)
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(s[i].m = mrec_pack(&recs[i]))) {
            staged_free(s, n);
            return ASYNCZ_ENOMEM;
        }
        s[i].hash = az_map_hash(s[i].m->rec.task_id);
        s[i].task = NO_TASK;
    }
    *out = s;
    return 0;
}

/* Under the lock: the slot of each record's task, where it has one already. */
static void stage_task_ids(const az_mem_history *h, staged *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i].task = task_find_hashed(h, s[i].m->rec.task_id, s[i].hash);
}

static int reserve(az_mem_history *h, size_t n)
{
    if (az_array_reserve((void **)&h->recs, &h->cap, h->n + n, sizeof *h->recs) != 0 ||
        az_array_reserve((void **)&h->tasks, &h->tasks_cap, h->n_tasks + n, sizeof *h->tasks) != 0 ||
        az_map_reserve(&h->by_task, h->by_task.count + n) != 0)
        return ASYNCZ_ENOMEM;
    return 0;
}

/* Put m in the place of the live record at i: its entry and its place on its task's list. */
static void replace_at(az_mem_history *h, size_t i, mrec *m)
{
    mrec *old = h->recs[i];
    task_runs *tr = &h->tasks[old->task];
    m->task = old->task;
    m->tprev = old->tprev;
    m->tnext = old->tnext;
    if (m->tprev)
        m->tprev->tnext = m;
    else
        tr->head = m;
    if (m->tnext)
        m->tnext->tprev = m;
    else
        tr->tail = m;
    h->recs[i] = m;
    mrec_free(old);
}

/* Apply one staged record: replace a live record's content, or insert a new entry. */
static void apply(az_mem_history *h, staged *s)
{
    mrec *m = s->m;
    s->m = NULL;
    size_t i = lower_bound(h, m->rec.run_id);
    mrec *old = i < h->n && strcmp(h->recs[i]->rec.run_id, m->rec.run_id) == 0 ? h->recs[i] : NULL;
    if (old && !old->dead) {
        /* The same occurrence again (completion): the new content takes the old one's place. */
        replace_at(h, i, m);
        return;
    }
    if (!old && h->ret.max_runs && h->live >= h->ret.max_runs && first_live(h) < h->n &&
        strcmp(m->rec.run_id, h->recs[first_live(h)]->rec.run_id) < 0) {
        mrec_free(m); /* full, and older than everything kept: the cap would drop it at once */
        return;
    }
    /* A slot known at staging stays the task's until the cap drops records, after every apply. */
    m->task = s->task != NO_TASK ? s->task : task_get(h, m, s->hash);
    if (old) {
        h->recs[i] = m;
        mrec_free(old);
    } else {
        memmove(h->recs + i + 1, h->recs + i, (h->n - i) * sizeof *h->recs);
        h->recs[i] = m;
        h->n++;
    }
    if (i < h->front)
        h->front = i;
    h->live++;
    task_link(h, m);
}

int az_mem_history_put(az_mem_history *h, const asyncz_run_record *recs, size_t n)
{
    if (n == 0)
        return 0;
    pthread_mutex_lock(&h->lock);
    uint64_t max_runs = h->ret.max_runs;
    pthread_mutex_unlock(&h->lock);
    size_t skip;
    int rc = check_batch(recs, n, max_runs, &skip);
    if (rc)
        return rc;
    recs += skip;
    n -= skip;
    staged *s;
    if ((rc = stage(recs, n, &s)) != 0)
        return rc;
    pthread_mutex_lock(&h->lock);
    rc = reserve(h, n);
    if (rc == 0)
        stage_task_ids(h, s, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        apply(h, &s[i]);
    if (rc == 0) {
        enforce_cap(h, SIZE_MAX);
        compact(h);
    }
    pthread_mutex_unlock(&h->lock);
    staged_free(s, n);
    return rc;
}

/* ---- list and get ------------------------------------------------------------------------------------ */

typedef struct page {
    asyncz_run_record *items;
    size_t n, cap;
} page;

static void page_free(page *p)
{
    for (size_t i = 0; i < p->n; i++)
        az_run_record_clear(&p->items[i]);
    free(p->items);
}

static int page_add(page *p, const asyncz_run_record *rec, bool with_output)
{
    if (az_array_reserve((void **)&p->items, &p->cap, p->n + 1, sizeof *p->items) != 0 ||
        az_run_record_copy_into(&p->items[p->n], rec, !with_output) != 0)
        return ASYNCZ_ENOMEM;
    p->n++;
    return 0;
}

/* Whether m is on the page's side of the cursor (strictly older) and matches. */
static bool wanted(const mrec *m, const asyncz_history_query *q)
{
    return !m->dead && (!*q->cursor || strcmp(m->rec.run_id, q->cursor) < 0) &&
           az_history_matches(&m->rec, q);
}

static int collect(az_mem_history *h, const asyncz_history_query *q, page *p)
{
    int rc = 0;
    if (q->task_id) {
        uint32_t t = task_find(h, q->task_id);
        for (mrec *m = t == NO_TASK ? NULL : h->tasks[t].tail; m && rc == 0 && p->n < q->limit; m = m->tprev)
            if (wanted(m, q))
                rc = page_add(p, &m->rec, q->with_output);
        return rc;
    }
    size_t i = *q->cursor ? lower_bound(h, q->cursor) : h->n;
    while (i-- > 0 && rc == 0 && p->n < q->limit)
        if (wanted(h->recs[i], q))
            rc = page_add(p, &h->recs[i]->rec, q->with_output);
    return rc;
}

int az_mem_history_list(az_mem_history *h, const asyncz_history_query *q, asyncz_run_record_fn each, void *ud,
                        char *next_cursor)
{
    if (*q->cursor && !az_run_id_valid(q->cursor))
        return ASYNCZ_EINVAL;
    page p = {0};
    pthread_mutex_lock(&h->lock);
    int rc = collect(h, q, &p);
    pthread_mutex_unlock(&h->lock);
    next_cursor[0] = '\0';
    if (rc == 0 && p.n == q->limit)
        memcpy(next_cursor, p.items[p.n - 1].run_id, ASYNCZ_RUN_ID_SIZE);
    for (size_t i = 0; rc == 0 && i < p.n; i++)
        rc = each(&p.items[i], ud);
    page_free(&p);
    return rc;
}

int az_mem_history_get(az_mem_history *h, const char *run_id, asyncz_run_record **out)
{
    pthread_mutex_lock(&h->lock);
    mrec *m = find_live(h, run_id);
    int rc = m ? asyncz_run_record_copy(out, &m->rec) : ASYNCZ_ENOTFOUND;
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* ---- prune and lost ----------------------------------------------------------------------------------- */

static bool finished(const mrec *m)
{
    return m->rec.outcome != ASYNCZ_RUN_RUNNING;
}

/* Work through the over list: each task's oldest finished records until it is within its limit. */
static size_t prune_over(az_mem_history *h, size_t budget)
{
    size_t removed = 0;
    while (h->n_over > 0 && removed < budget) {
        uint32_t t = h->over[h->n_over - 1];
        task_runs *tr = &h->tasks[t];
        mrec *m = tr->used ? tr->head : NULL;
        while (m && tr->count > h->ret.max_runs_per_task && removed < budget) {
            mrec *next = m->tnext;
            if (finished(m)) {
                bool last = tr->count == 1;
                drop_record(h, m);
                removed++;
                if (last)
                    break;
            }
            m = next;
        }
        if (removed == budget && tr->used && tr->count > h->ret.max_runs_per_task && m)
            break; /* more of this task next time */
        if (tr->used)
            tr->over = false;
        h->n_over--;
    }
    return removed;
}

static asyncz_time_t age_time(const mrec *m)
{
    return finished(m) && m->rec.finished_at != ASYNCZ_TIME_NONE ? m->rec.finished_at : m->rec.submitted_at;
}

/* Records past max_age, oldest first; the scan stops at the first one submitted inside the age (those after
 * it were submitted later) and looks at no more than a few entries per record it may remove. */
static size_t prune_age(az_mem_history *h, asyncz_time_t now, size_t budget)
{
    if (!h->ret.max_age_usec || now == ASYNCZ_TIME_NONE)
        return 0;
    asyncz_time_t cutoff = now - h->ret.max_age_usec;
    size_t removed = 0, looked = 0, max_look = 4 * budget + COMPACT_MIN;
    for (size_t i = first_live(h); i < h->n && removed < budget && looked < max_look; i++) {
        mrec *m = h->recs[i];
        if (m->dead)
            continue;
        looked++;
        if (m->rec.submitted_at != ASYNCZ_TIME_NONE && m->rec.submitted_at >= cutoff)
            break;
        if (age_time(m) < cutoff) {
            drop_record(h, m);
            removed++;
        }
    }
    return removed;
}

/* New settings: flag the tasks now over their limit. */
static void set_retention(az_mem_history *h, const asyncz_history_retention *r)
{
    bool per_task_changed = r->max_runs_per_task != h->ret.max_runs_per_task;
    uint64_t cap = r->max_runs ? r->max_runs : ASYNCZ_HISTORY_MEMORY_DEFAULT_MAX_RUNS; /* always bounded */
    h->ret = *r;
    h->ret.max_runs = cap;
    for (size_t t = 0; per_task_changed && t < h->n_tasks; t++)
        if (h->tasks[t].used)
            flag_over(h, (uint32_t)t);
}

int az_mem_history_prune(az_mem_history *h, const asyncz_history_retention *r, asyncz_time_t now, size_t max,
                         size_t *pruned)
{
    pthread_mutex_lock(&h->lock);
    set_retention(h, r);
    size_t removed = enforce_cap(h, max);
    removed += prune_over(h, max - removed);
    removed += prune_age(h, now, max - removed);
    compact(h);
    pthread_mutex_unlock(&h->lock);
    *pruned = removed;
    return 0;
}

int az_mem_history_mark_lost(az_mem_history *h, const char *scheduler, asyncz_time_t now, const char *reason,
                             size_t *marked)
{
    size_t n = 0;
    int rc = 0;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n && rc == 0; i++) {
        asyncz_run_record *rec = &h->recs[i]->rec;
        if (h->recs[i]->dead || rec->outcome != ASYNCZ_RUN_RUNNING || !rec->scheduler ||
            strcmp(rec->scheduler, scheduler) != 0)
            continue;
        asyncz_run_record lost = *rec;
        lost.error_message = reason ? reason : "its scheduler was lost";
        lost.outcome = ASYNCZ_RUN_LOST;
        lost.finished_at = now;
        lost.error_code = ASYNCZ_ESTATE;
        mrec *m = mrec_pack(&lost);
        if (!m) {
            rc = ASYNCZ_ENOMEM;
            break;
        }
        replace_at(h, i, m);
        n++;
    }
    pthread_mutex_unlock(&h->lock);
    *marked = n;
    return rc;
}
