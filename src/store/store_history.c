/* The run history of an application-connected store (asyncz/history.h): list, get, prune. The checks of
 * every call are here; the work is the store's history ops (asyncz/sys/store.h, version 4). */
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/audit.h"
#include "core/history.h"
#include "store/backend.h"
#include "store/store_api.h"
#include "util/ids.h"

static const asyncz_store_ops *ops_of(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

/* The store checked and keeping history. */
static int check_history(asyncz_store *st)
{
    int rc = az_store_api_check(st);
    if (rc)
        return rc;
    if (!az_store_has_history(ops_of(st)))
        return az_store_fail(ASYNCZ_EUNSUPPORTED, "the %s store keeps no run history", ops_of(st)->name);
    return 0;
}

int asyncz_store_list_runs(asyncz_store *st, const asyncz_history_query *q, asyncz_run_record_fn fn,
                           void *userdata, char *next_cursor)
{
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc = check_history(st);
    if (rc == 0 && !fn)
        rc = az_store_fail(ASYNCZ_EINVAL, "asyncz_store_list_runs: no callback");
    asyncz_history_query query;
    char why[256];
    if (rc == 0 && az_history_query_read(q, &query, why, sizeof why) != 0)
        rc = az_store_fail(ASYNCZ_EINVAL, "%s", why);
    if (rc == 0) {
        rc = ops_of(st)->history_list(st, &query, fn, userdata, cursor);
        if (rc < 0)
            az_store_api_failed(st, rc, NULL, "list the runs of");
    }
    if (next_cursor)
        memcpy(next_cursor, rc == 0 ? cursor : "", rc == 0 ? sizeof cursor : 1);
    return rc;
}

int asyncz_store_get_run(asyncz_store *st, const char *run_id, asyncz_run_record **out)
{
    int rc = check_history(st);
    if (rc)
        return rc;
    if (!out)
        return az_store_fail(ASYNCZ_EINVAL, "asyncz_store_get_run: out is NULL");
    *out = NULL;
    if (!az_run_id_valid(run_id))
        return az_store_fail(ASYNCZ_EINVAL, "%s%s%s is not a run id (a UUIDv7: 36 lower-case characters)",
                             run_id ? "\"" : "", run_id ? run_id : "NULL", run_id ? "\"" : "");
    rc = ops_of(st)->history_get(st, run_id, out);
    if (rc == ASYNCZ_ENOTFOUND)
        return az_store_fail(rc, "the %s store has no run %s", ops_of(st)->name, run_id);
    return rc ? az_store_api_failed(st, rc, NULL, "read a run of") : 0;
}

int asyncz_store_prune_runs(asyncz_store *st, const asyncz_history_retention *retention, asyncz_time_t now,
                            size_t max, size_t *pruned)
{
    if (pruned)
        *pruned = 0;
    int rc = check_history(st);
    if (rc)
        return rc;
    if (!retention)
        return az_store_fail(ASYNCZ_EINVAL, "asyncz_store_prune_runs: no retention settings");
    size_t n = 0;
    rc = max ? ops_of(st)->history_prune(st, retention, now, max, &n) : 0;
    if (pruned)
        *pruned = n;
    return rc ? az_store_api_failed(st, rc, NULL, "prune the runs of") : 0;
}

int asyncz_store_list_audit(asyncz_store *st, const asyncz_audit_query *q, asyncz_audit_fn fn, void *userdata,
                            char *next_cursor)
{
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc = az_store_api_check(st);
    if (rc == 0 && !az_store_has_audit(ops_of(st)))
        rc = az_store_fail(ASYNCZ_EUNSUPPORTED, "the %s store keeps no audit trail", ops_of(st)->name);
    if (rc == 0 && !fn)
        rc = az_store_fail(ASYNCZ_EINVAL, "asyncz_store_list_audit: no callback");
    asyncz_audit_query query;
    char why[256];
    if (rc == 0 && az_audit_query_read(q, &query, why, sizeof why) != 0)
        rc = az_store_fail(ASYNCZ_EINVAL, "%s", why);
    if (rc == 0) {
        rc = ops_of(st)->audit_list(st, &query, fn, userdata, cursor);
        if (rc < 0)
            az_store_api_failed(st, rc, NULL, "list the audit trail of");
    }
    if (next_cursor)
        memcpy(next_cursor, rc == 0 ? cursor : "", rc == 0 ? sizeof cursor : 1);
    return rc;
}
