/* The tasks of the scheduler's stores read once and shared by the requests that list or count them
 * (api_snapshot.h): one snapshot at a time, for one app; a new one replaces it while requests still hold
 * the old one (counted references). */
#define _GNU_SOURCE /* qsort_r */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api_snapshot.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t built = PTHREAD_COND_INITIALIZER;
static struct {
    const az_http_app *app;
    const asyncz_scheduler *s;
    az_api_snapshot *cur;
    unsigned long gen;     /* bumped by every change made through the API */
    unsigned long cur_gen; /* the generation cur was read at */
    int64_t cost;          /* how long the last read took (usec) */
    bool building;
} cache;

/* ---- order -----------------------------------------------------------------------------------------------
 */

static int cmp_next(asyncz_time_t a, asyncz_time_t b)
{
    if (a == b)
        return 0;
    if (a == ASYNCZ_TIME_NONE)
        return 1;
    if (b == ASYNCZ_TIME_NONE)
        return -1;
    return a < b ? -1 : 1;
}

int az_api_key_cmp(const az_api_task_key *a, const az_api_task_key *b, az_api_order order)
{
    int c = 0;
    if (order == AZ_API_BY_NEXT)
        c = cmp_next(a->next, b->next);
    else if (order == AZ_API_BY_NAME)
        c = strcmp(a->name, b->name);
    if (c == 0)
        c = strcmp(a->id, b->id);
    return c ? c : strcmp(a->store, b->store);
}

static int cmp_rows(const void *a, const void *b, void *order)
{
    return az_api_key_cmp(&((const az_api_row *)a)->key, &((const az_api_row *)b)->key,
                          *(az_api_order *)order);
}

/* ---- reading ----------------------------------------------------------------------------------------------
 */

static void snapshot_free(az_api_snapshot *snap)
{
    for (int i = 0; i < AZ_API_N_ORDERS; i++)
        free(snap->by[i]);
    asyncz_task_list_free(snap->list);
    free(snap);
}

/* Read every task and sort them. Returns 0 or an ASYNCZ_E* code. */
static int read_tasks(az_http_app *app, az_api_snapshot **out)
{
    az_api_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap)
        return ASYNCZ_ENOMEM;
    snap->taken = asyncz_now();
    int rc = asyncz_scheduler_list_tasks(app->s, &snap->list, NULL);
    snap->n = rc == 0 ? asyncz_task_list_count(snap->list) : 0;
    for (int i = 0; rc == 0 && i < AZ_API_N_ORDERS; i++)
        if (!(snap->by[i] = malloc((snap->n ? snap->n : 1) * sizeof *snap->by[i])))
            rc = ASYNCZ_ENOMEM;
    for (size_t j = 0; rc == 0 && j < snap->n; j++) {
        const asyncz_task *t = asyncz_task_list_at(snap->list, j);
        snap->by[0][j] = (az_api_row){
            {asyncz_task_id(t), asyncz_task_name(t), asyncz_task_store(t), asyncz_task_next_run_time(t)}, t};
    }
    for (int i = 1; rc == 0 && i < AZ_API_N_ORDERS; i++)
        memcpy(snap->by[i], snap->by[0], snap->n * sizeof *snap->by[0]);
    for (int i = 0; rc == 0 && i < AZ_API_N_ORDERS; i++) {
        az_api_order order = (az_api_order)i;
        qsort_r(snap->by[i], snap->n, sizeof *snap->by[i], cmp_rows, &order);
    }
    if (rc) {
        snapshot_free(snap);
        return rc;
    }
    snap->refs = 1; /* the cache's */
    *out = snap;
    return 0;
}

/* ---- sharing ----------------------------------------------------------------------------------------------
 */

/* How long a snapshot serves (lock held): 0 while reads are cheap. */
static int64_t max_age(void)
{
    if (cache.cost < AZ_API_SNAPSHOT_CHEAP)
        return 0;
    int64_t age = 10 * cache.cost;
    return age < AZ_API_SNAPSHOT_MIN_AGE   ? AZ_API_SNAPSHOT_MIN_AGE
           : age > AZ_API_SNAPSHOT_MAX_AGE ? AZ_API_SNAPSHOT_MAX_AGE
                                           : age;
}

static void drop_locked(az_api_snapshot *snap)
{
    if (snap && --snap->refs == 0)
        snapshot_free(snap);
}

/* Make the cache app's (lock held): another app's snapshot is dropped. */
static void own_locked(const az_http_app *app)
{
    if (cache.app == app && cache.s == app->s)
        return;
    drop_locked(cache.cur);
    cache.cur = NULL;
    cache.app = app;
    cache.s = app->s;
    cache.cost = 0;
    cache.gen++;
}

int az_api_snapshot_get(az_http_app *app, az_api_snapshot **out)
{
    asyncz_time_t asked = asyncz_now();
    pthread_mutex_lock(&lock);
    own_locked(app);
    for (;;) {
        az_api_snapshot *cur = cache.cur;
        bool current = cur && cache.cur_gen == cache.gen;
        if (current && (cur->taken >= asked || asked - cur->taken < max_age())) {
            cur->refs++;
            *out = cur;
            pthread_mutex_unlock(&lock);
            return 0;
        }
        if (!cache.building)
            break;
        if (current && max_age() > 0) { /* old, being read again: go on with it */
            cur->refs++;
            *out = cur;
            pthread_mutex_unlock(&lock);
            return 0;
        }
        pthread_cond_wait(&built, &lock);
        own_locked(app);
    }
    cache.building = true;
    unsigned long gen = cache.gen;
    pthread_mutex_unlock(&lock);
    az_api_snapshot *snap = NULL;
    int rc = read_tasks(app, &snap);
    pthread_mutex_lock(&lock);
    cache.building = false;
    if (rc == 0 && cache.app == app) {
        cache.cost = asyncz_now() - snap->taken;
        drop_locked(cache.cur);
        cache.cur = snap;
        cache.cur_gen = gen;
        snap->refs++;
    } /* else another app took the cache meanwhile: the snapshot is the caller's alone (its one reference) */
    pthread_cond_broadcast(&built);
    pthread_mutex_unlock(&lock);
    if (rc == 0)
        *out = snap;
    return rc;
}

void az_api_snapshot_release(az_api_snapshot *snap)
{
    pthread_mutex_lock(&lock);
    drop_locked(snap);
    pthread_mutex_unlock(&lock);
}

void az_api_snapshot_invalidate(const az_http_app *app)
{
    pthread_mutex_lock(&lock);
    if (cache.app == app)
        cache.gen++;
    pthread_mutex_unlock(&lock);
}

void az_api_snapshot_clear(void)
{
    pthread_mutex_lock(&lock);
    drop_locked(cache.cur);
    cache.cur = NULL;
    cache.app = NULL;
    cache.s = NULL;
    cache.cost = 0;
    cache.gen++;
    pthread_mutex_unlock(&lock);
}

void az_api_changed(const az_http_app *app)
{
    az_api_snapshot_invalidate(app);
    az_api_status_forget();
}
