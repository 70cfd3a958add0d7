/* GET /api/v1/runs (the run history of the stores, newest first, filtered, a page at a time: the items of
 * `asyncz history --json` plus the store) and GET /api/v1/runs/{run_id} (one run with its output). */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"

typedef struct runs_ctx {
    asyncz_history_query q; /* the filters; the cursor and limit are set per store */
    const az_http_app *app;
} runs_ctx;

typedef struct add_ctx {
    const az_http_app *app;
    const char *store;
    json_t *items;
} add_ctx;

static int add_run(const asyncz_run_record *r, void *userdata)
{
    add_ctx *a = userdata;
    json_t *o = az_cli_run_json(r, a->app->zone, false);
    if (!o || json_object_set_new(o, "store", json_string(a->store)) || json_array_append_new(a->items, o)) {
        json_decref(o);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

static int runs_page(az_http_app *app, const char *store, const char *cursor, size_t limit, void *ctx,
                     json_t *items, char *next)
{
    runs_ctx *c = ctx;
    asyncz_history_query q = c->q;
    q.cursor = cursor;
    q.limit = limit;
    add_ctx a = {app, store, items};
    return asyncz_scheduler_list_runs(app->s, store, &q, add_run, &a, next);
}

/* ?outcome=failed,timed_out as bits. Returns 0 or -1 (answered). */
static int parse_outcomes(const az_http_request *req, az_http_response *resp, uint32_t *bits)
{
    const char *text = az_http_query(req, "outcome");
    *bits = 0;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, ",");
        char name[32];
        asyncz_run_outcome o;
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (len == 0 || len >= sizeof name || asyncz_run_outcome_parse(name, &o) != 0)
            return az_api_bad_param(
                resp, "outcome",
                "'%.*s' is not an outcome (running, succeeded, failed, timed_out, crashed, "
                "missed, skipped, lost, cancelled; several with commas)",
                (int)(len < 40 ? len : 40), p);
        *bits |= ASYNCZ_RUN_OUTCOME_BIT(o);
        p += len + (p[len] == ',');
    }
    return 0;
}

static int parse_filters(const az_http_app *app, const az_http_request *req, az_http_response *resp,
                         asyncz_history_query *q)
{
    asyncz_history_query_init(q);
    q->task_id = az_http_query(req, "task");
    q->scheduler = az_http_query(req, "scheduler");
    if (q->task_id && !asyncz_task_id_valid(q->task_id))
        return az_api_bad_param(resp, "task", "'%.60s' is not a valid task id", q->task_id);
    if (q->scheduler && (!*q->scheduler || strlen(q->scheduler) > 255))
        return az_api_bad_param(resp, "scheduler", "give a scheduler's identity (1 to 255 bytes)");
    if (parse_outcomes(req, resp, &q->outcomes) ||
        az_api_time_param(req, resp, "since", app->zone, &q->since) ||
        az_api_time_param(req, resp, "until", app->zone, &q->until))
        return -1;
    if (q->since != ASYNCZ_TIME_NONE && q->until != ASYNCZ_TIME_NONE && q->until <= q->since)
        return az_api_bad_param(resp, "until", "is not after ?since");
    return 0;
}

void az_api_runs_list(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *store;
    runs_ctx c = {.app = app};
    if (az_api_store_param(app, req, resp, &store) || parse_filters(app, req, resp, &c.q))
        return;
    az_api_merge m = {.kind = "runs",
                      .key = "run_id",
                      .page = runs_page,
                      .ctx = &c,
                      .unsupported = "the store '%s' keeps no run history"};
    az_api_merged_page(app, req, resp, store, &m);
}

void az_api_run_get(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *store, *id = az_http_param(req, "run_id");
    if (az_api_store_param(app, req, resp, &store))
        return;
    for (size_t i = 0; i < app->cfg->n_stores; i++) {
        const char *name = app->cfg->stores[i].name;
        if (store && strcmp(store, name) != 0)
            continue;
        asyncz_run_record *r = NULL;
        int rc = asyncz_scheduler_get_run(app->s, name, id, &r);
        if (rc == ASYNCZ_ENOTFOUND || rc == ASYNCZ_EUNSUPPORTED)
            continue;
        if (rc == ASYNCZ_EINVAL) {
            az_http_reply_error(
                resp, 404, "not_found",
                "no run '%.60s': not a run id (a UUID such as 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b, "
                "as the runs listing gives them)",
                id);
            return;
        }
        if (rc) {
            az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot read run '%s' in store '%s'", id,
                        name);
            return;
        }
        json_t *o = az_cli_run_json(r, app->zone, true);
        asyncz_run_record_free(r);
        if (!o || json_object_set_new(o, "store", json_string(name))) {
            json_decref(o);
            az_http_reply_error(resp, 500, "internal", "out of memory");
            return;
        }
        az_http_reply_json(resp, 200, o);
        return;
    }
    if (store)
        az_http_reply_error(resp, 404, "not_found", "no run '%.60s' in store '%s'", id, store);
    else
        az_http_reply_error(resp, 404, "not_found", "no run '%.60s' in any store", id);
}
