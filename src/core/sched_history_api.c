/* The run history and the audit trail through a scheduler (asyncz/history.h, asyncz/audit.h): its stores'
 * records, listed and read under each store's io lock (one call into a store at a time), handed to the
 * caller's callback after it is released, so that the callback may call the scheduler again; and the
 * recording settings per store. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "core/audit.h"
#include "core/history.h"
#include "core/scheduler_internal.h"
#include "util/array.h"
#include "util/host.h"

/* The slot of alias (NULL: "default") entered (io held), or NULL with the error in *rc. audit: the store
 * must keep an audit trail, else a run history. */
static az_store_slot *enter_history(asyncz_scheduler *s, const char *alias, bool audit, int *rc)
{
    const char *name = alias ? alias : "default";
    pthread_mutex_lock(&s->lock);
    az_store_slot *slot = az_sched_find_store(s, name);
    pthread_mutex_unlock(&s->lock);
    if (!slot || !az_slot_enter(slot)) {
        *rc = az_sched_fail(ASYNCZ_ENOTFOUND, "no store named \"%s\"", name);
        return NULL;
    }
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(slot->store)->ops;
    if (audit ? !az_store_has_audit(ops) : !az_store_has_history(ops)) {
        az_slot_leave(slot);
        *rc = az_sched_fail(ASYNCZ_EUNSUPPORTED, "store \"%s\" (%s) keeps no %s", name, ops->name,
                            audit ? "audit trail" : "run history");
        return NULL;
    }
    if (!slot->open && ops->open) {
        az_slot_leave(slot);
        *rc = az_sched_fail(ASYNCZ_ESTATE, "store \"%s\" is not open: start the scheduler first", name);
        return NULL;
    }
    return slot;
}

typedef struct copies {
    asyncz_run_record *items;
    size_t n, cap;
} copies;

static int keep_copy(const asyncz_run_record *rec, void *ud)
{
    copies *c = ud;
    if (az_array_reserve((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items) != 0 ||
        az_run_record_copy_into(&c->items[c->n], rec, false) != 0)
        return ASYNCZ_ENOMEM;
    c->n++;
    return 0;
}

int asyncz_scheduler_list_runs(asyncz_scheduler *s, const char *alias, const asyncz_history_query *q,
                               asyncz_run_record_fn fn, void *userdata, char *next_cursor)
{
    if (next_cursor)
        next_cursor[0] = '\0';
    if (!s || !fn)
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_list_runs: %s is NULL",
                             s ? "fn" : "the scheduler");
    asyncz_history_query query;
    char why[256];
    if (az_history_query_read(q, &query, why, sizeof why) != 0)
        return az_sched_fail(ASYNCZ_EINVAL, "%s", why);
    int rc = 0;
    az_store_slot *slot = enter_history(s, alias, false, &rc);
    if (!slot)
        return rc;
    copies c = {0};
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    rc = ASYNCZ_STORE_BASE(slot->store)->ops->history_list(slot->store, &query, keep_copy, &c, cursor);
    az_slot_leave(slot);
    if (rc)
        rc = az_sched_fail(rc, "store \"%s\": listing the runs failed: %s", slot->alias,
                           asyncz_store_errmsg());
    for (size_t i = 0; rc == 0 && i < c.n; i++)
        rc = fn(&c.items[i], userdata);
    for (size_t i = 0; i < c.n; i++)
        az_run_record_clear(&c.items[i]);
    free(c.items);
    if (rc == 0 && next_cursor)
        memcpy(next_cursor, cursor, sizeof cursor);
    return rc;
}

int asyncz_scheduler_get_run(asyncz_scheduler *s, const char *alias, const char *run_id,
                             asyncz_run_record **out)
{
    if (!s || !out)
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_get_run: %s is NULL",
                             s ? "out" : "the scheduler");
    *out = NULL;
    if (!az_run_id_valid(run_id))
        return az_sched_fail(ASYNCZ_EINVAL, "%s%s%s is not a run id (a UUIDv7: 36 lower-case characters)",
                             run_id ? "\"" : "", run_id ? run_id : "NULL", run_id ? "\"" : "");
    int rc = 0;
    az_store_slot *slot = enter_history(s, alias, false, &rc);
    if (!slot)
        return rc;
    rc = ASYNCZ_STORE_BASE(slot->store)->ops->history_get(slot->store, run_id, out);
    az_slot_leave(slot);
    if (rc == ASYNCZ_ENOTFOUND)
        return az_sched_fail(rc, "store \"%s\" has no run %s", slot->alias, run_id);
    return rc ? az_sched_fail(rc, "store \"%s\": reading run %s failed: %s", slot->alias, run_id,
                              asyncz_store_errmsg())
              : 0;
}

int asyncz_scheduler_set_history(asyncz_scheduler *s, const char *alias, bool enabled,
                                 const asyncz_history_retention *retention)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_set_history: the scheduler is NULL");
    const char *name = alias ? alias : "default";
    pthread_mutex_lock(&s->lock);
    az_store_slot *slot = az_sched_find_store(s, name);
    int rc = 0;
    if (!slot || !slot->store) {
        rc = ASYNCZ_ENOTFOUND;
    } else {
        bool has = az_store_has_history(ASYNCZ_STORE_BASE(slot->store)->ops);
        if (enabled && !has) {
            rc = ASYNCZ_EUNSUPPORTED;
        } else {
            slot->history_off = !enabled;
            slot->history = enabled && has;
            if (retention)
                slot->retention = *retention;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == ASYNCZ_ENOTFOUND)
        return az_sched_fail(rc, "no store named \"%s\"", name);
    if (rc)
        return az_sched_fail(rc, "store \"%s\" keeps no run history: recording cannot be turned on", name);
    return 0;
}

typedef struct audit_copies {
    asyncz_audit_entry *items;
    size_t n, cap;
} audit_copies;

static int keep_audit_copy(const asyncz_audit_entry *e, void *ud)
{
    audit_copies *c = ud;
    if (az_array_reserve((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items) != 0 ||
        az_audit_entry_copy_into(&c->items[c->n], e) != 0)
        return ASYNCZ_ENOMEM;
    c->n++;
    return 0;
}

int asyncz_scheduler_list_audit(asyncz_scheduler *s, const char *alias, const asyncz_audit_query *q,
                                asyncz_audit_fn fn, void *userdata, char *next_cursor)
{
    if (next_cursor)
        next_cursor[0] = '\0';
    if (!s || !fn)
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_list_audit: %s is NULL",
                             s ? "fn" : "the scheduler");
    asyncz_audit_query query;
    char why[256];
    if (az_audit_query_read(q, &query, why, sizeof why) != 0)
        return az_sched_fail(ASYNCZ_EINVAL, "%s", why);
    int rc = 0;
    az_store_slot *slot = enter_history(s, alias, true, &rc);
    if (!slot)
        return rc;
    audit_copies c = {0};
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    rc = ASYNCZ_STORE_BASE(slot->store)->ops->audit_list(slot->store, &query, keep_audit_copy, &c, cursor);
    az_slot_leave(slot);
    if (rc)
        rc = az_sched_fail(rc, "store \"%s\": listing the audit trail failed: %s", slot->alias,
                           asyncz_store_errmsg());
    for (size_t i = 0; rc == 0 && i < c.n; i++)
        rc = fn(&c.items[i], userdata);
    for (size_t i = 0; i < c.n; i++)
        az_audit_entry_clear(&c.items[i]);
    free(c.items);
    if (rc == 0 && next_cursor)
        memcpy(next_cursor, cursor, sizeof cursor);
    return rc;
}

int asyncz_scheduler_set_audit(asyncz_scheduler *s, const char *alias, bool enabled)
{
    if (!s)
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_set_audit: the scheduler is NULL");
    const char *name = alias ? alias : "default";
    pthread_mutex_lock(&s->lock);
    az_store_slot *slot = az_sched_find_store(s, name);
    int rc = !slot || !slot->store ? ASYNCZ_ENOTFOUND : 0;
    bool has = rc == 0 && az_store_has_audit(ASYNCZ_STORE_BASE(slot->store)->ops);
    if (rc == 0 && enabled && !has)
        rc = ASYNCZ_EUNSUPPORTED;
    if (rc == 0) {
        slot->audit_set = enabled ? 1 : -1;
        __atomic_store_n(&slot->audit, enabled, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == ASYNCZ_ENOTFOUND)
        return az_sched_fail(rc, "no store named \"%s\"", name);
    if (rc)
        return az_sched_fail(rc, "store \"%s\" keeps no audit trail: recording cannot be turned on", name);
    return 0;
}

int asyncz_scheduler_record_run(asyncz_scheduler *s, const char *alias, const asyncz_run_record *rec)
{
    if (!s || !rec || !rec->task_id || !rec->task_id[0])
        return az_sched_fail(ASYNCZ_EINVAL, "asyncz_scheduler_record_run: %s",
                             !s     ? "the scheduler is NULL"
                             : !rec ? "the record is NULL"
                                    : "the record has no task id");
    asyncz_run_record r = *rec;
    if (!r.run_id[0] && az_run_id_generate(r.run_id) != 0)
        return az_sched_fail(ASYNCZ_EIO, "no random bytes for a run id");
    if (!az_run_id_valid(r.run_id))
        return az_sched_fail(ASYNCZ_EINVAL, "\"%.40s\" is not a run id (a UUIDv7: 36 lower-case characters)",
                             r.run_id);
    r.host = r.host ? r.host : az_host_name();
    r.scheduler = r.scheduler ? r.scheduler : s->identity;
    r.pid = r.pid ? r.pid : (int64_t)getpid();
    int rc = 0;
    az_store_slot *slot = enter_history(s, alias, false, &rc);
    if (!slot)
        return rc;
    pthread_mutex_lock(&s->lock);
    bool on = slot->history;
    pthread_mutex_unlock(&s->lock);
    r.store_alias = r.store_alias ? r.store_alias : slot->alias;
    rc = on ? ASYNCZ_STORE_BASE(slot->store)->ops->history_put(slot->store, &r, 1) : ASYNCZ_EUNSUPPORTED;
    az_slot_leave(slot);
    if (rc == ASYNCZ_EUNSUPPORTED)
        return az_sched_fail(rc, "store \"%s\": recording the run history is turned off", slot->alias);
    return rc ? az_sched_fail(rc, "store \"%s\": recording run %s failed: %s", slot->alias, r.run_id,
                              asyncz_store_errmsg())
              : 0;
}
