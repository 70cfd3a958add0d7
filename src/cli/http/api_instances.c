/* GET /api/v1/instances: every scheduler sharing each store of the config, from the heartbeats the store
 * keeps (asyncz_store_instances, through the API's own connection to the store). This daemon is listed
 * for every store, also one without heartbeats (a memory store, which is its alone, or a SQLite store):
 * then with no last heartbeat. A store that cannot be read is named in "errors"; the others are still
 * listed. */
#include <string.h>
#include <unistd.h>

#include "api_common.h"
#include "api_handlers.h"

typedef struct list_ctx {
    const az_http_app *app;
    const char *store;
    json_t *items;
    asyncz_time_t now;
    bool self_seen; /* the store listed this daemon */
} list_ctx;

static json_t *running_json(const asyncz_instance *inst, const asyncz_zone *zone)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < inst->n_running; i++) {
        json_t *r = json_pack("{s:o}", "task_id", az_cli_json_text(inst->running[i].task_id));
        if (!r || az_cli_json_set_time(r, "run_time", inst->running[i].run_time, zone) ||
            json_array_append_new(a, r)) {
            json_decref(r);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int add_instance(const asyncz_instance *inst, void *userdata)
{
    list_ctx *c = userdata;
    const char *self = asyncz_scheduler_identity(c->app->s);
    bool is_self = self && strcmp(self, inst->id) == 0;
    c->self_seen = c->self_seen || is_self;
    bool alive = inst->expires_at == ASYNCZ_TIME_NONE || inst->expires_at >= c->now;
    json_t *running = running_json(inst, c->app->zone);
    json_t *o = running ? json_pack("{s:s, s:o, s:o, s:I, s:o, s:b, s:b, s:o}", "store", c->store, "identity",
                                    az_cli_json_text(inst->id), "host", az_cli_json_text(inst->hostname),
                                    "pid", (json_int_t)inst->pid, "version",
                                    az_cli_json_text(inst->version ? inst->version : ""), "alive", alive,
                                    "self", is_self, "running", running)
                        : NULL;
    if (!o || az_cli_json_set_time(o, "started", inst->started_at, c->app->zone) ||
        az_cli_json_set_time(o, "last_heartbeat", inst->heartbeat_at, c->app->zone) ||
        az_cli_json_set_time(o, "expires", inst->expires_at, c->app->zone) ||
        json_array_append_new(c->items, o)) {
        json_decref(o);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

/* This daemon, in a store that lists no heartbeat of it. */
static int add_self(list_ctx *c)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    asyncz_instance self = {.id = asyncz_scheduler_identity(c->app->s),
                            .hostname = host,
                            .pid = getpid(),
                            .version = asyncz_version(),
                            .started_at = c->app->started,
                            .heartbeat_at = ASYNCZ_TIME_NONE,
                            .expires_at = ASYNCZ_TIME_NONE};
    return add_instance(&self, c);
}

void az_api_instances(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *only;
    if (az_api_store_param(app, req, resp, &only))
        return;
    json_t *items = json_array(), *errors = json_array();
    int rc = items && errors ? 0 : ASYNCZ_ENOMEM;
    for (size_t i = 0; rc != ASYNCZ_ENOMEM && i < app->cfg->n_stores; i++) {
        const az_cfg_store *cs = &app->cfg->stores[i];
        if (only && strcmp(only, cs->name) != 0)
            continue;
        list_ctx c = {app, cs->name, items, asyncz_now(), false};
        asyncz_store *st = NULL;
        char why[512];
        rc = az_api_store_conn(cs, &st, why, sizeof why);
        if (rc == ASYNCZ_EUNSUPPORTED)
            rc = 0;
        else if (rc == 0 && (rc = asyncz_store_instances(st, add_instance, &c)) != 0)
            snprintf(why, sizeof why, "%s",
                     asyncz_store_errmsg()[0] ? asyncz_store_errmsg() : asyncz_strerror(rc));
        if (rc == 0 && !c.self_seen)
            rc = add_self(&c);
        if (rc && rc != ASYNCZ_ENOMEM)
            json_array_append_new(
                errors, json_pack("{s:s, s:o}", "store", cs->name, "message", az_cli_json_text(why)));
    }
    if (rc == ASYNCZ_ENOMEM) {
        json_decref(items);
        json_decref(errors);
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    az_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "items", items, "errors", errors));
}
