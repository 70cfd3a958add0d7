/* The records the stores moved aside because they could not be read (asyncz_store_quarantined): GET
 * /api/v1/quarantine lists them with their reasons; an admin puts one back (POST
 * /api/v1/quarantine/{store}/{task}/retry: it is checked again and written as a task) or removes it for
 * good (DELETE /api/v1/quarantine/{store}/{task}). ?at= names one record when a task has several (the time
 * the listing gives, ISO-8601 to the microsecond, or its at_us). Through the API's own connections to the
 * stores; memory stores keep no quarantine. */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"
#include "api_snapshot.h"

/* The most records a listing shows (each store's quarantine is read whole by the store). */
#define LIST_MAX 1000

typedef struct list_ctx {
    const az_http_app *app;
    const char *store;
    const char *id; /* only this task's (NULL: all) */
    json_t *items;
    bool truncated;
} list_ctx;

/* The sealed envelope starts with these bytes (docs/stores.md, "Sealing"). */
static bool looks_sealed(const asyncz_quarantined *q)
{
    return q->len >= 6 && memcmp(q->data, "AZSEAL", 6) == 0;
}

static int add_record(const asyncz_quarantined *q, void *userdata)
{
    list_ctx *c = userdata;
    if (c->id && strcmp(c->id, q->task_id) != 0)
        return 0;
    if (json_array_size(c->items) == LIST_MAX) {
        c->truncated = true;
        return 1; /* stop */
    }
    json_t *o = json_pack("{s:s, s:o, s:o, s:I, s:b}", "store", c->store, "id", az_cli_json_text(q->task_id),
                          "reason", az_cli_json_text(q->reason), "size", (json_int_t)q->len, "sealed",
                          looks_sealed(q));
    if (!o || az_cli_json_set_time(o, "at", q->at, c->app->zone) || json_array_append_new(c->items, o)) {
        json_decref(o);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

/* List the records of store cs (only task id's when not NULL) into c. Returns 0 or an ASYNCZ_E* code with
 * the reason in why. */
static int list_store(const az_cfg_store *cs, list_ctx *c, char *why, size_t size)
{
    asyncz_store *st = NULL;
    int rc = az_api_store_conn(cs, &st, why, size);
    if (rc == ASYNCZ_EUNSUPPORTED)
        return 0; /* a memory store quarantines nothing */
    if (rc == 0 && (rc = asyncz_store_quarantined(st, add_record, c)) == 1)
        rc = 0;
    if (rc && rc != ASYNCZ_ENOMEM)
        snprintf(why, size, "%s", asyncz_store_errmsg()[0] ? asyncz_store_errmsg() : asyncz_strerror(rc));
    return rc;
}

void az_api_quarantine_list(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *only;
    if (az_api_store_param(app, req, resp, &only))
        return;
    list_ctx c = {.app = app, .items = json_array()};
    json_t *errors = json_array();
    int rc = c.items && errors ? 0 : ASYNCZ_ENOMEM;
    for (size_t i = 0; rc != ASYNCZ_ENOMEM && i < app->cfg->n_stores && !c.truncated; i++) {
        const az_cfg_store *cs = &app->cfg->stores[i];
        if (only && strcmp(only, cs->name) != 0)
            continue;
        char why[512] = "";
        c.store = cs->name;
        rc = list_store(cs, &c, why, sizeof why);
        if (rc && rc != ASYNCZ_ENOMEM)
            json_array_append_new(
                errors, json_pack("{s:s, s:o}", "store", cs->name, "message", az_cli_json_text(why)));
    }
    if (rc == ASYNCZ_ENOMEM) {
        json_decref(c.items);
        json_decref(errors);
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    az_http_reply_json(
        resp, 200,
        json_pack("{s:o, s:o, s:b}", "items", c.items, "errors", errors, "truncated", c.truncated));
}

/* ---- one record ---------------------------------------------------------------------------------------- */

typedef struct target {
    const az_cfg_store *cs;
    asyncz_store *st;
    const char *id;
    asyncz_time_t at; /* ASYNCZ_TIME_NONE: not named */
} target;

/* The store and task of the path, connected, and ?at. Returns 0 or -1 (answered). */
static int read_target(az_http_app *app, const az_http_request *req, az_http_response *resp, target *t)
{
    *t = (target){.id = az_http_param(req, "task"), .at = ASYNCZ_TIME_NONE};
    const char *store = az_http_param(req, "store");
    char names[512], why[512];
    if (!(t->cs = az_api_store(app, store))) {
        az_api_store_names(app, names, sizeof names);
        az_http_reply_error(resp, 404, "not_found",
                            "no store '%.100s' in the daemon's config (its stores: %s)", store, names);
        return -1;
    }
    int rc = az_api_store_conn(t->cs, &t->st, why, sizeof why);
    if (rc == ASYNCZ_EUNSUPPORTED) {
        az_http_reply_error(resp, 404, "not_found",
                            "no record of task '%.300s' is quarantined in store '%s' (a memory "
                            "store quarantines nothing)",
                            t->id, store);
        return -1;
    }
    if (rc)
        return az_api_fail(resp, rc, why, "cannot reach store '%s'", store);
    const char *at = az_http_query(req, "at");
    if (!at)
        return 0;
    char *end = NULL;
    long long us = strtoll(at, &end, 10);
    if (end && !*end && end != at)
        t->at = us;
    else if (asyncz_time_parse(&t->at, at, app->zone, NULL) != 0)
        return az_api_bad_param(
            resp, "at",
            "'%.60s': give the record's time as the quarantine listing shows it (its \"at\", or "
            "\"at_us\")",
            at);
    return 0;
}

static void not_found(const target *t, az_http_response *resp, const az_http_app *app)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    az_cli_time_text(when, sizeof when, t->at, app->zone);
    if (t->at == ASYNCZ_TIME_NONE)
        az_http_reply_error(resp, 404, "not_found", "no record of task '%.300s' is quarantined in store '%s'",
                            t->id, t->cs->name);
    else
        az_http_reply_error(resp, 404, "not_found",
                            "no record of task '%.300s' was quarantined in store '%s' at %s", t->id,
                            t->cs->name, when);
}

void az_api_quarantine_retry(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    target t;
    bool replace;
    if (read_target(app, req, resp, &t) || az_api_bool_param(req, resp, "replace", false, &replace))
        return;
    asyncz_task *task = NULL;
    az_api_actor_begin(req);
    int rc = asyncz_store_quarantine_restore(t.st, t.id, t.at, replace, &task);
    az_api_actor_end();
    az_api_changed(app);
    const char *why = asyncz_store_errmsg();
    if (rc == ASYNCZ_ENOTFOUND)
        not_found(&t, resp, app);
    else if (rc == ASYNCZ_EEXISTS)
        az_http_reply_error(
            resp, 409, "already_exists",
            "%s: send ?replace=true to put the quarantined record in its place, or remove that task "
            "first",
            why);
    else if (rc == ASYNCZ_ESTORE || rc == ASYNCZ_EIO || rc == ASYNCZ_ENOMEM)
        az_api_fail(resp, rc, why, "cannot restore the record of task '%s'", t.id);
    else if (rc)
        az_http_reply_error(resp, 422, "still_invalid",
                            "the record still cannot be read, nothing changed: %s",
                            why[0] ? why : asyncz_strerror(rc));
    else {
        json_t *o = az_api_task_json(app, task, true);
        if (o && json_object_set_new(o, "restored", json_true()) == 0)
            az_http_reply_json(resp, 200, o);
        else {
            json_decref(o);
            az_http_reply_error(resp, 500, "internal", "out of memory");
        }
    }
    asyncz_task_free(task);
}

/* Without ?at or ?all: the task's one record (its time into t->at), or 409 naming the several. Returns 0
 * or -1 (answered). */
static int one_record(az_http_app *app, target *t, az_http_response *resp)
{
    list_ctx c = {.app = app, .store = t->cs->name, .id = t->id, .items = json_array()};
    char why[512];
    int rc = c.items ? list_store(t->cs, &c, why, sizeof why) : ASYNCZ_ENOMEM;
    size_t n = json_array_size(c.items);
    if (rc)
        az_api_fail(resp, rc, why, "cannot list the quarantine of store '%s'", t->cs->name);
    else if (n == 0)
        not_found(t, resp, app);
    else if (n > 1)
        az_http_reply_error_with(
            resp, 409, "ambiguous", json_pack("{s:O}", "records", c.items),
            "task '%s' has %zu quarantined records in store '%s': name one with ?at= (its time "
            "as listed), or drop them all with ?all=true",
            t->id, n, t->cs->name);
    else
        t->at = json_integer_value(json_object_get(json_array_get(c.items, 0), "at_us"));
    json_decref(c.items);
    return rc == 0 && n == 1 ? 0 : -1;
}

void az_api_quarantine_drop(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    target t;
    bool all;
    if (read_target(app, req, resp, &t) || az_api_bool_param(req, resp, "all", false, &all))
        return;
    if (all && t.at != ASYNCZ_TIME_NONE) {
        az_api_bad_param(resp, "all", "?all and ?at exclude each other");
        return;
    }
    if (!all && t.at == ASYNCZ_TIME_NONE && one_record(app, &t, resp))
        return;
    size_t dropped = 0;
    az_api_actor_begin(req);
    int rc = asyncz_store_quarantine_drop(t.st, t.id, t.at, &dropped);
    az_api_actor_end();
    if (rc == ASYNCZ_ENOTFOUND)
        not_found(&t, resp, app);
    else if (rc)
        az_api_fail(resp, rc, asyncz_store_errmsg(), "cannot drop the record of task '%s'", t.id);
    else
        az_http_reply_json(
            resp, 200,
            json_pack("{s:s, s:s, s:I}", "store", t.cs->name, "id", t.id, "dropped", (json_int_t)dropped));
}
