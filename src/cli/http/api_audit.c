/* GET /api/v1/audit: who changed which task, when and how, newest first, across the stores (the items of
 * `asyncz audit --json` plus the store), filtered by task, actor, action and time, a page at a time. */
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"

typedef struct audit_ctx {
    asyncz_audit_query q; /* the filters; cursor and limit per store */
} audit_ctx;

typedef struct add_ctx {
    const az_http_app *app;
    const char *store;
    json_t *items;
} add_ctx;

static int add_entry(const asyncz_audit_entry *e, void *userdata)
{
    add_ctx *a = userdata;
    json_t *o = az_cli_audit_json(e, a->app->zone, NULL);
    if (!o || json_object_set_new(o, "store", json_string(a->store)) || json_array_append_new(a->items, o)) {
        json_decref(o);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

static int audit_page(az_http_app *app, const char *store, const char *cursor, size_t limit, void *ctx,
                      json_t *items, char *next)
{
    asyncz_audit_query q = ((audit_ctx *)ctx)->q;
    q.cursor = cursor;
    q.limit = limit;
    add_ctx a = {app, store, items};
    return asyncz_scheduler_list_audit(app->s, store, &q, add_entry, &a, next);
}

/* ?action=pause,resume as bits. Returns 0 or -1 (answered). */
static int parse_actions(const az_http_request *req, az_http_response *resp, uint32_t *bits)
{
    const char *text = az_http_query(req, "action");
    *bits = 0;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, ",");
        char name[32];
        asyncz_audit_action a;
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (len == 0 || len >= sizeof name || asyncz_audit_action_parse(name, &a) != 0)
            return az_api_bad_param(
                resp, "action",
                "'%.*s' is not an action (add, update, pause, resume, remove, run; several "
                "with commas)",
                (int)(len < 40 ? len : 40), p);
        *bits |= ASYNCZ_AUDIT_ACTION_BIT(a);
        p += len + (p[len] == ',');
    }
    return 0;
}

void az_api_audit_list(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *store;
    audit_ctx c;
    asyncz_audit_query_init(&c.q);
    c.q.task_id = az_http_query(req, "task");
    c.q.actor = az_http_query(req, "actor");
    if (az_api_store_param(app, req, resp, &store) || parse_actions(req, resp, &c.q.actions) ||
        az_api_time_param(req, resp, "since", app->zone, &c.q.since) ||
        az_api_time_param(req, resp, "until", app->zone, &c.q.until))
        return;
    if (c.q.task_id && !asyncz_task_id_valid(c.q.task_id)) {
        az_api_bad_param(resp, "task", "'%.60s' is not a valid task id", c.q.task_id);
        return;
    }
    if (c.q.actor && (!*c.q.actor || strlen(c.q.actor) > 255)) {
        az_api_bad_param(resp, "actor", "give an actor as the entries name it (1 to 255 bytes)");
        return;
    }
    az_api_merge m = {.kind = "audit",
                      .key = "id",
                      .page = audit_page,
                      .ctx = &c,
                      .unsupported = "the store '%s' keeps no audit trail"};
    az_api_merged_page(app, req, resp, store, &m);
}
