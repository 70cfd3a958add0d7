/* Taking records out of a store's quarantine: the public asyncz_store_quarantine_* (asyncz/store.h). The
 * persistent stores do the work (persist.c, over their backend's quarantine_drop); the memory store keeps no
 * quarantine, and a custom store has no operation for it. */
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/sys/store.h"
#include "store/backend.h"

/* 0 when st is a connected persistent store; otherwise what to return (no quarantine: not_there). */
static int usable(asyncz_store *st, const char *id, int not_there)
{
    if (!st || !id || !*id)
        return az_store_fail(ASYNCZ_EINVAL, "no store or no task id");
    const asyncz_store_base *base = ASYNCZ_STORE_BASE(st);
    if (!base->connected)
        return az_store_fail(ASYNCZ_ESTATE, "the %s store is not connected", base->ops->name);
    if (az_persist_backend(st))
        return 0;
    if (!base->ops->quarantined)
        return az_store_fail(not_there,
                             "the %s store keeps no quarantine: no record of task \"%s\" is quarantined",
                             base->ops->name, id);
    return az_store_fail(ASYNCZ_EUNSUPPORTED, "the %s store cannot take records out of its quarantine",
                         base->ops->name);
}

int asyncz_store_quarantine_open(asyncz_store *st, const asyncz_quarantined *q, char **document, size_t *len,
                                 asyncz_task **task)
{
    if (document)
        *document = NULL;
    if (len)
        *len = 0;
    if (task)
        *task = NULL;
    if (!q || !document || !len || (!q->data && q->len))
        return az_store_fail(ASYNCZ_EINVAL, "no record, or nowhere to put its document");
    int rc = usable(st, q->task_id, ASYNCZ_EUNSUPPORTED);
    return rc ? rc
              : az_persist_quarantine_open(st, q->task_id, q->data ? q->data : (const unsigned char *)"",
                                           q->len, document, len, task);
}

int asyncz_store_quarantine_restore(asyncz_store *st, const char *task_id, asyncz_time_t at, bool replace,
                                    asyncz_task **restored)
{
    if (restored)
        *restored = NULL;
    int rc = usable(st, task_id, ASYNCZ_ENOTFOUND);
    return rc ? rc : az_persist_quarantine_restore(st, task_id, at, replace, restored);
}

int asyncz_store_quarantine_drop(asyncz_store *st, const char *task_id, asyncz_time_t at, size_t *dropped)
{
    if (dropped)
        *dropped = 0;
    int rc = usable(st, task_id, ASYNCZ_ENOTFOUND);
    return rc ? rc : az_persist_quarantine_drop(st, task_id, at, dropped);
}
