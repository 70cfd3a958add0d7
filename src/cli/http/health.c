/* The daemon's health checks (metrics.h): GET /healthz says the process serves, GET /readyz that the
 * scheduler runs and every store answers; the store probe is shared with /metrics (asyncz_store_up). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "metrics.h"

size_t az_metrics_store_names(const az_http_app *app, const char **names, size_t max)
{
    size_t n = 0;
    if (app && app->cfg)
        for (size_t i = 0; i < app->cfg->n_stores && n < max; i++)
            names[n++] = app->cfg->stores[i].name;
    if (n == 0 && max > 0)
        names[n++] = "default"; /* what a scheduler without stores adds when it starts */
    return n;
}

static int none(const asyncz_run_record *rec, void *userdata)
{
    (void)rec, (void)userdata;
    return 0;
}

int az_metrics_probe_store(asyncz_scheduler *s, const char *alias, char *why, size_t why_size)
{
    why[0] = '\0';
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.limit = 1;
    /* get_task would not do: it answers "not found" for a store that fails as for a missing task */
    int rc = asyncz_scheduler_list_runs(s, alias, &q, none, NULL, NULL);
    if (rc == ASYNCZ_EUNSUPPORTED) { /* a store without run history: list its tasks (dearer) */
        asyncz_task_list *list = NULL;
        rc = asyncz_scheduler_list_tasks(s, &list, alias);
        asyncz_task_list_free(list);
    }
    if (rc)
        snprintf(why, why_size, "%s",
                 *asyncz_scheduler_errmsg(s) ? asyncz_scheduler_errmsg(s) : asyncz_strerror(rc));
    return rc;
}

void az_http_healthz_get(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)app, (void)req;
    az_http_reply_json(resp, 200, json_pack("{s:s}", "status", "ok"));
    az_http_add_header(resp, "Cache-Control", "no-store");
}

static const char *state_name(asyncz_scheduler_state state)
{
    return state == ASYNCZ_STATE_RUNNING ? "running" : state == ASYNCZ_STATE_PAUSED ? "paused" : "stopped";
}

/* Probe every store into a JSON array; *all_ok says whether each answered. NULL when out of memory. */
static json_t *probe_all(az_http_app *app, bool *all_ok)
{
    const char *names[AZ_METRICS_MAX_STORES];
    size_t n = az_metrics_store_names(app, names, AZ_METRICS_MAX_STORES);
    json_t *stores = json_array();
    *all_ok = true;
    for (size_t i = 0; stores && i < n; i++) {
        char why[512];
        bool ok = az_metrics_probe_store(app->s, names[i], why, sizeof why) == 0;
        *all_ok &= ok;
        json_t *error = ok ? json_null() : json_string(why);
        if (!error) /* not UTF-8 */
            error = json_string("the store failed (its message is not UTF-8: see the daemon's log)");
        json_t *one = json_pack("{s:s, s:b, s:o}", "name", names[i], "ok", ok, "error", error);
        if (!one || json_array_append_new(stores, one) != 0) {
            json_decref(stores);
            return NULL;
        }
    }
    return stores;
}

void az_http_readyz_get(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)req;
    az_http_add_header(resp, "Cache-Control", "no-store");
    if (!app->s) {
        az_http_reply_json(
            resp, 503,
            json_pack("{s:s, s:s, s:[]}", "status", "unavailable", "scheduler", "stopped", "stores"));
        return;
    }
    asyncz_scheduler_state state = asyncz_scheduler_get_state(app->s);
    bool all_ok;
    json_t *stores = probe_all(app, &all_ok);
    if (!stores) {
        az_http_reply_error(resp, 500, "out_of_memory", "out of memory while checking the stores");
        return;
    }
    bool ready = all_ok && state != ASYNCZ_STATE_STOPPED;
    az_http_reply_json(resp, ready ? 200 : 503,
                       json_pack("{s:s, s:s, s:o}", "status", ready ? "ok" : "unavailable", "scheduler",
                                 state_name(state), "stores", stores));
}
