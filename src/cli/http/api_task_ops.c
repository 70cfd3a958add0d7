/* DELETE /api/v1/tasks/{id}, POST /api/v1/tasks/{id}/pause, /resume and /run, and POST /api/v1/tasks/bulk
 * (one of those actions on many tasks, each with its own result). Each change goes through the scheduler
 * with the principal as the audit trail's actor. */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"
#include "api_snapshot.h"

/* The most ids one bulk request names. */
#define BULK_MAX AZ_API_PAGE_MAX

typedef enum action { ACT_PAUSE, ACT_RESUME, ACT_REMOVE, ACT_RUN } action;

static const char *const action_names[] = {"pause", "resume", "remove", "run"};

/* Do act on task id (store: where it is, or NULL for whichever store has it). On success *out (may be
 * NULL) receives the task as it now is (NULL once removed). Returns 0 or -1 with resp holding the error
 * answer. */
static int act_on(az_http_app *app, const az_http_request *req, action act, const char *id, const char *store,
                  az_http_response *resp, asyncz_task **out, char *found_store, size_t size)
{
    asyncz_task *t = NULL;
    if (out)
        *out = NULL;
    if (az_api_find_task(app, id, store, resp, &t))
        return -1;
    snprintf(found_store, size, "%s", asyncz_task_store(t));
    asyncz_task_free(t);
    az_api_actor_begin(req);
    int rc = act == ACT_PAUSE    ? asyncz_scheduler_pause_task(app->s, id, found_store)
             : act == ACT_RESUME ? asyncz_scheduler_resume_task(app->s, id, found_store)
             : act == ACT_REMOVE ? asyncz_scheduler_remove_task(app->s, id, found_store)
                                 : asyncz_scheduler_run_task(app->s, id, found_store);
    az_api_actor_end();
    az_api_changed(app);
    if (rc == ASYNCZ_ESTATE && act == ACT_RUN)
        return az_http_reply_error(resp, 409, "conflict",
                                   "cannot run task '%s' now: the scheduler is not running", id),
               -1;
    if (rc)
        return az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot %s task '%s' in store '%s'",
                           action_names[act], id, found_store);
    if (out && act != ACT_REMOVE && asyncz_scheduler_get_task(app->s, out, id, found_store) != 0)
        *out = NULL; /* a resumed task whose trigger had no time left is removed */
    return 0;
}

/* ---- one task ------------------------------------------------------------------------------------------ */

static void one(az_http_app *app, az_http_request *req, az_http_response *resp, action act)
{
    const char *store;
    if (az_api_store_param(app, req, resp, &store))
        return;
    const char *id = az_http_param(req, "id");
    asyncz_task *t = NULL;
    char where[128];
    if (act_on(app, req, act, id, store, resp, act == ACT_REMOVE || act == ACT_RUN ? NULL : &t, where,
               sizeof where))
        return;
    if (act == ACT_REMOVE) {
        resp->status = 204;
    } else if (act == ACT_RUN) {
        az_http_reply_json(resp, 202, json_pack("{s:b, s:s, s:s}", "requested", 1, "id", id, "store", where));
    } else if (!t) {
        az_http_reply_json(resp, 200,
                           json_pack("{s:s, s:s, s:b, s:s}", "id", id, "store", where, "removed", 1,
                                     "message",
                                     "the trigger has no fire time left: the scheduler removed the task"));
    } else {
        json_t *o = az_api_task_json(app, t, true);
        if (o)
            az_http_reply_json(resp, 200, o);
        else
            az_http_reply_error(resp, 500, "internal", "out of memory");
    }
    asyncz_task_free(t);
}

void az_api_task_delete(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    one(app, req, resp, ACT_REMOVE);
}

void az_api_task_pause(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    one(app, req, resp, ACT_PAUSE);
}

void az_api_task_resume(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    one(app, req, resp, ACT_RESUME);
}

void az_api_task_run(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    one(app, req, resp, ACT_RUN);
}

/* ---- bulk ---------------------------------------------------------------------------------------------- */

static int field_error(az_http_response *resp, const char *field, const char *message)
{
    az_http_reply_error_with(resp, 422, "invalid_body", json_pack("{s:s}", "field", field), "field '%s': %s",
                             field, message);
    return -1;
}

/* The body's action, ids and store. Returns 0 or -1 (answered). */
static int read_bulk(az_http_app *app, const json_t *body, action *act, json_t **ids, const char **store,
                     az_http_response *resp)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "action") != 0 && strcmp(key, "ids") != 0 && strcmp(key, "store") != 0)
            return field_error(resp, key, "unknown field; a bulk request has action, ids and store");
    }
    const char *name = json_string_value(json_object_get(body, "action"));
    size_t i = 0;
    while (name && i < 4 && strcmp(name, action_names[i]) != 0)
        i++;
    if (!name || i == 4)
        return field_error(resp, "action", "give pause, resume, remove or run");
    *act = (action)i;
    *ids = json_object_get(body, "ids");
    if (!json_is_array(*ids) || json_array_size(*ids) == 0 || json_array_size(*ids) > BULK_MAX)
        return field_error(resp, "ids", "give an array of 1 to 500 task ids");
    json_t *id;
    json_array_foreach(*ids, i, id)
    {
        if (!json_is_string(id))
            return field_error(resp, "ids", "every id must be a string");
    }
    json_t *st = json_object_get(body, "store");
    *store = json_string_value(st);
    if (st && !json_is_null(st) && (!*store || !az_api_store(app, *store))) {
        char names[512];
        az_api_store_names(app, names, sizeof names);
        az_http_reply_error_with(resp, 422, "invalid_body", json_pack("{s:s}", "field", "store"),
                                 "field 'store': no such store in the daemon's config (its stores: %s)",
                                 names);
        return -1;
    }
    return 0;
}

/* One id's result: {"id", "ok": true, "store"} or {"id", "ok": false, "error": {code, message}}. */
static json_t *bulk_one(az_http_app *app, const az_http_request *req, action act, const char *id,
                        const char *store)
{
    az_http_response scratch = {0};
    char where[128];
    json_t *r;
    if (act_on(app, req, act, id, store, &scratch, NULL, where, sizeof where) == 0) {
        r = json_pack("{s:s, s:b, s:s}", "id", id, "ok", 1, "store", where);
    } else {
        json_t *doc = scratch.body ? json_loads(scratch.body, 0, NULL) : NULL;
        json_t *error = json_object_get(doc, "error");
        r = json_pack("{s:s, s:b, s:o}", "id", id, "ok", 0, "error",
                      error ? json_incref(error)
                            : json_pack("{s:s, s:s}", "code", "internal", "message", "failed"));
        json_decref(doc);
    }
    az_http_response_clear(&scratch);
    return r;
}

void az_api_tasks_bulk(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    json_t *body = az_api_body(req, resp);
    if (!body)
        return;
    action act;
    json_t *ids;
    const char *store;
    if (read_bulk(app, body, &act, &ids, &store, resp) == 0) {
        json_t *results = json_array();
        size_t i, ok = 0;
        json_t *id;
        json_array_foreach(ids, i, id)
        {
            json_t *r = bulk_one(app, req, act, json_string_value(id), store);
            ok += json_is_true(json_object_get(r, "ok"));
            json_array_append_new(results, r);
        }
        az_http_reply_json(resp, 200,
                           json_pack("{s:s, s:o, s:I, s:I}", "action", action_names[act], "results", results,
                                     "succeeded", (json_int_t)ok, "failed",
                                     (json_int_t)(json_array_size(ids) - ok)));
    }
    json_decref(body);
}
