/* The memory store's audit trail (memory_audit.h): an array of entries sorted by id, bounded. Entries of one
 * process come in id order, so a put appends; the oldest are dropped past the cap. Listing copies the page
 * under the lock and hands it out after. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/history.h"
#include "core/audit.h"
#include "store/backend.h"
#include "store/memory_audit.h"
#include "util/array.h"
#include "util/ids.h"

struct az_mem_audit {
    pthread_mutex_t lock;
    asyncz_audit_entry *entries; /* sorted by id, oldest first */
    size_t n, cap;
};

int az_mem_audit_new(az_mem_audit **out)
{
    az_mem_audit *a = calloc(1, sizeof *a);
    if (!a || pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        return ASYNCZ_ENOMEM;
    }
    *out = a;
    return 0;
}

void az_mem_audit_free(az_mem_audit *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        az_audit_entry_clear(&a->entries[i]);
    free(a->entries);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* Drop the oldest entries so that `room` more fit under the cap. */
static void make_room(az_mem_audit *a, size_t room)
{
    size_t cap = ASYNCZ_HISTORY_MEMORY_DEFAULT_MAX_RUNS;
    size_t drop = a->n + room > cap ? a->n + room - cap : 0;
    drop = drop > a->n ? a->n : drop;
    for (size_t i = 0; i < drop; i++)
        az_audit_entry_clear(&a->entries[i]);
    if (drop) /* entries is NULL until the first entry */
        memmove(a->entries, a->entries + drop, (a->n - drop) * sizeof *a->entries);
    a->n -= drop;
}

/* Where an entry with this id goes: after every entry with a smaller id. */
static size_t position_of(const az_mem_audit *a, const char *id)
{
    size_t i = a->n;
    while (i > 0 && strcmp(a->entries[i - 1].id, id) > 0)
        i--;
    return i;
}

static int insert_one(az_mem_audit *a, const asyncz_audit_entry *e)
{
    asyncz_audit_entry copy;
    if (az_audit_entry_copy_into(&copy, e) != 0)
        return ASYNCZ_ENOMEM;
    size_t at = position_of(a, e->id);
    memmove(a->entries + at + 1, a->entries + at, (a->n - at) * sizeof *a->entries);
    a->entries[at] = copy;
    a->n++;
    return 0;
}

int az_mem_audit_put(az_mem_audit *a, const asyncz_audit_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!az_run_id_valid_buf(entries[i].id) || !entries[i].task_id || !entries[i].task_id[0])
            return az_store_fail(ASYNCZ_EINVAL, "audit entry \"%.40s\": no valid id or task id",
                                 entries[i].id);
    pthread_mutex_lock(&a->lock);
    make_room(a, n);
    int rc = az_array_reserve((void **)&a->entries, &a->cap, a->n + n, sizeof *a->entries);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = insert_one(a, &entries[i]);
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* The page q asks for, copied (newest first) into *page. */
static int copy_page(az_mem_audit *a, const asyncz_audit_query *q, asyncz_audit_entry **page, size_t *n,
                     bool *more)
{
    *page = NULL;
    *n = 0;
    *more = false;
    size_t cap = 0;
    size_t i = q->cursor[0] ? position_of(a, q->cursor) : a->n;
    /* position_of puts the cursor's own entry before i: skip it. */
    while (i > 0 && q->cursor[0] && strcmp(a->entries[i - 1].id, q->cursor) >= 0)
        i--;
    for (; i > 0; i--) {
        const asyncz_audit_entry *e = &a->entries[i - 1];
        if (!az_audit_matches(e, q))
            continue;
        if (*n == q->limit) {
            *more = true;
            break;
        }
        if (az_array_reserve((void **)page, &cap, *n + 1, sizeof **page) != 0 ||
            az_audit_entry_copy_into(&(*page)[*n], e) != 0)
            return ASYNCZ_ENOMEM;
        (*n)++;
    }
    return 0;
}

int az_mem_audit_list(az_mem_audit *a, const asyncz_audit_query *q, asyncz_audit_fn each, void *userdata,
                      char *next_cursor)
{
    asyncz_audit_entry *page;
    size_t n;
    bool more;
    next_cursor[0] = '\0';
    pthread_mutex_lock(&a->lock);
    int rc = copy_page(a, q, &page, &n, &more);
    pthread_mutex_unlock(&a->lock);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = each(&page[i], userdata);
    if (rc == 0 && more && n)
        memcpy(next_cursor, page[n - 1].id, ASYNCZ_RUN_ID_SIZE);
    for (size_t i = 0; i < n; i++)
        az_audit_entry_clear(&page[i]);
    free(page);
    return rc;
}
