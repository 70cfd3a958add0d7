/* POST /api/v1/tasks (create) and PATCH /api/v1/tasks/{id} (update, ?dry_run=true to see the changes
 * only). A body's keys are those of a [task ID] section of the daemon's config file: it is turned into such
 * a section (api_section.h) and built by the config reader (az_cfg_task_build), so that a task made through
 * the API is checked and explained exactly as one written in the file.
 *
 * An update builds a section of the stored task's own values with the body's over them (null: back to the
 * default); without trigger keys in the body the stored trigger and its next run time are kept (the
 * section gets a stand-in trigger the result does not use). The changed fields are applied to a copy of the
 * stored task, which keeps everything else (its pending run request...). */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"
#include "api_section.h"
#include "api_snapshot.h"

/* What the body of a create or an update asks for. */
typedef struct edit {
    az_api_section s;
    az_cfg_task built;
    bool has_built;
    bool replace;      /* create: "replace": true */
    bool keep_trigger; /* update without trigger keys */
    int paused;        /* "paused" given: 1 true, 0 false; -1 not given */
} edit;

static void edit_free(edit *e)
{
    az_api_section_free(&e->s);
    if (e->has_built)
        az_cfg_task_clear(&e->built);
}

/* ---- reading the body ---------------------------------------------------------------------------------- */

/* Whether the body gives key (either spelling) a value other than null. */
static bool gives(const json_t *body, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v)
    {
        char norm[64];
        snprintf(norm, sizeof norm, "%s", k);
        for (char *p = norm; *p; p++)
            if (*p == '-')
                *p = '_';
        if (strcmp(norm, key) == 0 && !json_is_null(v))
            return true;
    }
    return false;
}

/* Whether the body has key at all (a null too). */
static bool has_key(const json_t *body, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v)
    {
        (void)v;
        char norm[64];
        snprintf(norm, sizeof norm, "%s", k);
        for (char *p = norm; *p; p++)
            if (*p == '-')
                *p = '_';
        if (strcmp(norm, key) == 0)
            return true;
    }
    return false;
}

/* Put one of the body's keys into the section: 422 for a key a task does not take or a value of the wrong
 * type. Returns 0 or -1 (answered). */
static int take_key(edit *e, const char *key, const json_t *value, az_http_response *resp)
{
    char norm[64];
    snprintf(norm, sizeof norm, "%s", key);
    for (char *p = norm; *p; p++)
        if (*p == '-')
            *p = '_';
    az_api_key_kind kind = strlen(key) < sizeof norm - 1 ? az_api_key_kind_of(norm) : AZ_API_KEY_UNKNOWN;
    if (kind == AZ_API_KEY_UNKNOWN)
        return az_api_reply_field(resp, key, "unknown field; a task takes %s", az_api_task_keys());
    if (kind == AZ_API_KEY_CONFIG)
        return az_api_reply_field(
            resp, key,
            "failure hooks run shell commands and are set in the daemon's config file only, "
            "not through the API");
    char why[160];
    int rc = az_api_section_set(&e->s, key, value, why, sizeof why);
    if (rc < 0)
        return az_http_reply_error(resp, 500, "internal", "out of memory"), -1;
    if (rc > 0)
        return az_api_reply_field(resp, key, "%s", why);
    if (strcmp(norm, "paused") == 0)
        e->paused =
            json_is_null(value) ? -1
            : json_is_true(value) || (json_is_string(value) && strcmp(json_string_value(value), "true") == 0)
                ? 1
                : 0;
    return 0;
}

/* Build the section into a task, with [scheduler]'s defaults: 422 with the config's messages. Returns 0 or
 * -1 (answered). */
static int build(az_http_app *app, edit *e, az_http_response *resp)
{
    az_cfg_defaults d;
    az_config_task_defaults(app->cfg, &d);
    az_cfg_errors errs = {0};
    int rc = az_cfg_task_build(&e->s.sec, &d, &e->built, &errs);
    e->has_built = rc == 0;
    if (rc == 0 && e->built.not_scheduled) /* an `at` already past: the config skips it, the API refuses it */
        az_cfg_error_add(&errs, e->built.not_scheduled_line, "%s", e->built.not_scheduled);
    size_t n = errs.n;
    if (n)
        az_api_reply_cfg_errors(resp, &e->s, &errs);
    az_cfg_errors_free(&errs);
    return n ? -1 : 0;
}

/* The built task's store and executor must be the config's. Returns 0 or -1 (answered). */
static int check_aliases(az_http_app *app, const asyncz_task *t, az_http_response *resp)
{
    char names[512];
    if (!az_api_store(app, asyncz_task_store(t))) {
        az_api_store_names(app, names, sizeof names);
        return az_api_reply_field(resp, "store",
                                  "'%s': no such store in the daemon's config (its stores: %s)",
                                  asyncz_task_store(t), names);
    }
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < app->cfg->n_executors; i++) {
        if (strcmp(app->cfg->executors[i].name, asyncz_task_executor(t)) == 0)
            return 0;
        used += (size_t)snprintf(names + used, used < sizeof names ? sizeof names - used : 0, "%s%s",
                                 i ? ", " : "", app->cfg->executors[i].name);
    }
    return az_api_reply_field(resp, "executor",
                              "'%s': no such executor in the daemon's config (its executors: %s)",
                              asyncz_task_executor(t), names);
}

/* A refusal of the scheduler as the answer: the function names no registered function, ... */
static void refused(az_http_app *app, int rc, const asyncz_task *t, az_http_response *resp)
{
    const char *why = asyncz_scheduler_errmsg(app->s);
    if (rc == ASYNCZ_ENOTFOUND && strstr(why, "not registered"))
        az_api_reply_field(resp, "function",
                           "'%s': no function of that name is registered (plugins register them: [scheduler] "
                           "plugins in the daemon's config)",
                           asyncz_task_func(t));
    else if (rc == ASYNCZ_ENOTFOUND && strstr(why, "executor"))
        az_api_reply_field(resp, "executor", "%s", why);
    else if (rc == ASYNCZ_ESEARCH)
        az_http_reply_error(resp, 422, "invalid_task", "the trigger has no fire time: %s", why);
    else if (rc == ASYNCZ_EEXISTS)
        az_http_reply_error(resp, 409, "already_exists", "%s (send \"replace\": true to replace it)", why);
    else
        az_api_fail(resp, rc, why, "cannot write task '%s'", asyncz_task_id(t));
}

/* The task as stored now, as the answer's JSON (status). */
static void answer_task(az_http_app *app, const char *id, const char *store, int status,
                        az_http_response *resp, const az_http_request *req)
{
    asyncz_task *t = NULL;
    int rc = asyncz_scheduler_get_task(app->s, &t, id, store);
    if (rc) {
        az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s),
                    "task '%s' was written, but cannot be read back", id);
        return;
    }
    json_t *o = az_api_task_json(app, t, true);
    asyncz_task_free(t);
    if (!o) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    if (status == 201) {
        char location[1024];
        snprintf(location, sizeof location, "%s/api/v1/tasks/%s", req->prefix ? req->prefix : "", id);
        az_http_add_header(resp, "Location", location);
    }
    az_http_reply_json(resp, status, o);
}

/* ---- create -------------------------------------------------------------------------------------------- */

/* The id and replace of a create's body. Returns 0 or -1 (answered). */
static int create_id(const json_t *body, char *id, size_t size, bool *replace, az_http_response *resp)
{
    json_t *v = json_object_get(body, "id"), *r = json_object_get(body, "replace");
    *replace = json_is_true(r);
    if (r && !json_is_boolean(r) && !json_is_null(r))
        return az_api_reply_field(resp, "replace", "give true or false");
    if (!v || json_is_null(v))
        return asyncz_task_id_generate(id, size) == 0
                   ? 0
                   : (az_http_reply_error(resp, 500, "internal", "cannot make an id"), -1);
    if (!json_is_string(v) || !asyncz_task_id_valid(json_string_value(v)))
        return az_api_reply_field(
            resp, "id",
            "not a valid task id (1 to 255 characters of A-Z a-z 0-9 . _ @ + -, not starting "
            "with . or -)");
    snprintf(id, size, "%s", json_string_value(v));
    return 0;
}

static int create_section(edit *e, const json_t *body, const char *id, az_http_response *resp)
{
    if (az_api_section_init(&e->s, id) != 0)
        return az_http_reply_error(resp, 500, "internal", "out of memory"), -1;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "id") == 0 || strcmp(key, "replace") == 0)
            continue;
        if (take_key(e, key, value, resp))
            return -1;
    }
    return 0;
}

/* A task with this id in its store already: 409 unless replacing, and replacing a command task is
 * changing it. Returns 0 or -1 (answered). */
static int check_existing(az_http_app *app, const az_http_request *req, const edit *e, az_http_response *resp)
{
    const asyncz_task *t = e->built.task;
    asyncz_task *old = NULL;
    int rc = asyncz_scheduler_get_task(app->s, &old, asyncz_task_id(t), asyncz_task_store(t));
    if (rc == ASYNCZ_ENOTFOUND)
        return 0;
    if (rc)
        return az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot read task '%s'",
                           asyncz_task_id(t));
    bool command = az_api_is_command(old);
    asyncz_task_free(old);
    if (!e->replace)
        return az_http_reply_error_with(
                   resp, 409, "already_exists", json_pack("{s:s}", "field", "id"),
                   "a task with id '%s' is already in store '%s' (send \"replace\": true to "
                   "replace it, or PATCH it)",
                   asyncz_task_id(t), asyncz_task_store(t)),
               -1;
    return command ? az_api_check_commands(app, req, resp, "replace a task that runs a shell command") : 0;
}

void az_api_task_create(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    json_t *body = az_api_body(req, resp);
    if (!body)
        return;
    edit e = {.paused = -1};
    char id[256];
    int rc = create_id(body, id, sizeof id, &e.replace, resp);
    if (rc == 0 && gives(body, "command"))
        rc = az_api_check_commands(app, req, resp, "create a task that runs a shell command");
    if (rc == 0)
        rc = create_section(&e, body, id, resp);
    if (rc == 0)
        rc = build(app, &e, resp);
    if (rc == 0)
        rc = check_aliases(app, e.built.task, resp);
    if (rc == 0)
        rc = check_existing(app, req, &e, resp);
    if (rc == 0) {
        az_api_actor_begin(req);
        rc = asyncz_scheduler_add_task(app->s, e.built.task, e.replace ? ASYNCZ_REPLACE_EXISTING : 0);
        if (rc)
            refused(app, rc, e.built.task, resp);
        az_api_actor_end();
        az_api_changed(app);
    }
    if (rc == 0)
        answer_task(app, id, asyncz_task_store(e.built.task), 201, resp, req);
    edit_free(&e);
    json_decref(body);
}

/* ---- update -------------------------------------------------------------------------------------------- */

/* The string at key of a command task's kwargs, or (key NULL) at index 0 of its args, whole (the
 * az_cli_task_command buffer would cut a long command), as a section entry. Returns 0 or -1. */
static int command_part(edit *e, const char *entry, const char *json_text, const char *key)
{
    json_t *doc = json_loads(json_text, 0, NULL);
    json_t *v = key ? json_object_get(doc, key) : json_array_get(doc, 0);
    int rc = json_is_string(v) ? az_api_section_set_text(&e->s, entry, json_string_value(v)) : 0;
    json_decref(doc);
    return rc;
}

/* The stored task's values as section entries (what an update keeps unless the body says otherwise). What
 * runs is left out when the body switches between a command and a function. */
static int section_of_task(edit *e, const asyncz_task *t, const json_t *body)
{
    char text[AZ_CLI_TEXT_SIZE];
    int rc = az_api_section_init(&e->s, asyncz_task_id(t));
    bool switch_to_function = gives(body, "function") && az_api_is_command(t);
    bool switch_to_command = gives(body, "command") && !az_api_is_command(t);
    if (rc == 0 && az_api_is_command(t) && !switch_to_function) {
        rc |= command_part(e, "command", asyncz_task_args_json(t), NULL);
        rc |= command_part(e, "timeout", asyncz_task_kwargs_json(t), "timeout");
    } else if (rc == 0 && !switch_to_command) {
        rc |= az_api_section_set_text(&e->s, "function", asyncz_task_func(t));
        if (strcmp(asyncz_task_args_json(t), "[]") != 0)
            rc |= az_api_section_set_text(&e->s, "args", asyncz_task_args_json(t));
        if (strcmp(asyncz_task_kwargs_json(t), "{}") != 0)
            rc |= az_api_section_set_text(&e->s, "kwargs", asyncz_task_kwargs_json(t));
    }
    int64_t grace = asyncz_task_misfire_grace_time(t);
    if (grace == ASYNCZ_GRACE_UNLIMITED)
        snprintf(text, sizeof text, "none");
    else if (asyncz_duration_format(text, sizeof text, grace) < 0)
        snprintf(text, sizeof text, "%lldus", (long long)grace);
    rc |= az_api_section_set_text(&e->s, "misfire_grace_time", text);
    rc |= az_api_section_set_text(&e->s, "name", asyncz_task_name(t));
    rc |= az_api_section_set_text(&e->s, "store", asyncz_task_store(t));
    rc |= az_api_section_set_text(&e->s, "executor", asyncz_task_executor(t));
    rc |= az_api_section_set_text(&e->s, "coalesce", asyncz_task_coalesce(t) ? "true" : "false");
    rc |= az_api_section_set_text(&e->s, "history", asyncz_task_history(t) ? "true" : "false");
    snprintf(text, sizeof text, "%u", asyncz_task_max_instances(t));
    rc |= az_api_section_set_text(&e->s, "max_instances", text);
    return rc ? -1 : 0;
}

/* The body over the stored task's section. Returns 0 or -1 (answered). */
static int update_section(edit *e, const asyncz_task *old, const json_t *body, az_http_response *resp)
{
    if (section_of_task(e, old, body) != 0)
        return az_http_reply_error(resp, 500, "internal", "out of memory"), -1;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "id") == 0) {
            if (!json_is_string(value) || strcmp(json_string_value(value), asyncz_task_id(old)) != 0)
                return az_api_reply_field(
                    resp, "id",
                    "a task's id cannot change: create the task under the new id and remove "
                    "this one");
            continue;
        }
        if (strcmp(key, "store") == 0 && !json_is_null(value) &&
            (!json_is_string(value) || strcmp(json_string_value(value), asyncz_task_store(old)) != 0))
            return az_api_reply_field(
                resp, "store", "a task cannot move to another store: create it there and remove this one");
        if (strcmp(key, "store") == 0)
            continue;
        if (take_key(e, key, value, resp))
            return -1;
    }
    e->keep_trigger = !az_api_section_has_trigger(&e->s);
    asyncz_trigger *trig = asyncz_task_trigger(old);
    int rc = 0;
    if (e->keep_trigger) /* a stand-in, so that the section builds; the stored trigger stays */
        rc = az_api_section_set_text(&e->s, "shutdown", "true");
    else if (!has_key(body, "timezone") && trig &&
             asyncz_trigger_zone(trig)) /* a new trigger keeps the zone */
        rc = az_api_section_set_text(&e->s, "timezone", asyncz_zone_name(asyncz_trigger_zone(trig)));
    return rc ? (az_http_reply_error(resp, 500, "internal", "out of memory"), -1) : 0;
}

/* Whether old is paused as the API shows it. */
static bool is_paused(const asyncz_task *t)
{
    return asyncz_task_state(t) == ASYNCZ_TASK_STATE_PAUSED;
}

/* The next run time of the changed task. Returns 0 or -1 (answered). */
static int next_run(const edit *e, const asyncz_task *old, asyncz_task *t, az_http_response *resp)
{
    bool paused = e->paused >= 0 ? e->paused == 1 : is_paused(old);
    asyncz_trigger *trig = asyncz_task_trigger(t);
    if (paused) {
        asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE);
        return 0;
    }
    if (e->keep_trigger && !is_paused(old))
        return 0; /* the stored schedule goes on */
    if (!trig || strcmp(asyncz_trigger_kind(trig), "shutdown") == 0) {
        asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE);
        return 0;
    }
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    int rc = asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, asyncz_now(), &next);
    if (rc || next == ASYNCZ_TIME_NONE) {
        az_http_reply_error(
            resp, 422, "invalid_task",
            "the trigger has no fire time after now%s%s: give another trigger, or keep the task "
            "paused",
            rc ? ": " : "", rc ? asyncz_strerror(rc) : "");
        return -1;
    }
    asyncz_task_set_next_run_time(t, next);
    return 0;
}

/* old with the built task's fields: a new task in *out. Returns 0 or -1 (answered). */
static int changed_copy(const edit *e, const asyncz_task *old, asyncz_task **out, az_http_response *resp)
{
    const asyncz_task *b = e->built.task;
    int rc = asyncz_task_copy(out, old);
    if (rc == 0)
        rc = asyncz_task_set_func(*out, asyncz_task_func(b));
    if (rc == 0)
        rc = asyncz_task_set_args_json(*out, asyncz_task_args_json(b));
    if (rc == 0)
        rc = asyncz_task_set_kwargs_json(*out, asyncz_task_kwargs_json(b));
    if (rc == 0)
        rc = asyncz_task_set_name(*out, asyncz_task_name(b));
    if (rc == 0)
        rc = asyncz_task_set_executor(*out, asyncz_task_executor(b));
    if (rc == 0)
        rc = asyncz_task_set_misfire_grace_time(*out, asyncz_task_misfire_grace_time(b));
    if (rc == 0)
        rc = asyncz_task_set_coalesce(*out, asyncz_task_coalesce(b));
    if (rc == 0)
        rc = asyncz_task_set_max_instances(*out, asyncz_task_max_instances(b));
    if (rc == 0)
        rc = asyncz_task_set_history(*out, asyncz_task_history(b));
    if (rc == 0 && !e->keep_trigger)
        rc = asyncz_task_set_trigger(*out, asyncz_task_trigger(b));
    if (rc) {
        az_api_fail(resp, rc, NULL, "cannot change task '%s'", asyncz_task_id(old));
        return -1;
    }
    return next_run(e, old, *out, resp);
}

/* [{"field", "before", "after"}] of the fields that differ (az_cli_task_fields, as `asyncz update
 * --dry-run` shows them). */
static json_t *changes_json(const az_http_app *app, const asyncz_task *before, const asyncz_task *after)
{
    az_cli_field *b = malloc(2 * AZ_CLI_N_FIELDS * sizeof *b), *a = b ? b + AZ_CLI_N_FIELDS : NULL;
    json_t *list = b ? json_array() : NULL;
    if (list) {
        az_cli_task_fields(before, app->zone, b);
        az_cli_task_fields(after, app->zone, a);
    }
    for (size_t i = 0; list && i < AZ_CLI_N_FIELDS; i++)
        if (strcmp(b[i].value, a[i].value) != 0 &&
            json_array_append_new(list, json_pack("{s:s, s:o, s:o}", "field", b[i].name, "before",
                                                  az_cli_json_text(b[i].value), "after",
                                                  az_cli_json_text(a[i].value)))) {
            json_decref(list);
            list = NULL;
        }
    free(b);
    return list;
}

static void answer_update(az_http_app *app, const asyncz_task *t, json_t *changes, bool applied, bool dry_run,
                          az_http_response *resp)
{
    asyncz_task *now = NULL;
    if (applied && asyncz_scheduler_get_task(app->s, &now, asyncz_task_id(t), asyncz_task_store(t)) != 0)
        now = NULL; /* removed meanwhile: show what was written */
    json_t *task = az_api_task_json(app, now ? now : t, true);
    asyncz_task_free(now);
    if (!task) {
        json_decref(changes);
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    az_http_reply_json(resp, 200,
                       json_pack("{s:o, s:o, s:b, s:b}", "task", task, "changes", changes, "applied", applied,
                                 "dry_run", dry_run));
}

void az_api_task_update(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *store;
    bool dry_run;
    if (az_api_store_param(app, req, resp, &store) ||
        az_api_bool_param(req, resp, "dry_run", false, &dry_run))
        return;
    json_t *body = az_api_body(req, resp);
    if (!body)
        return;
    asyncz_task *old = NULL, *t = NULL;
    edit e = {.paused = -1};
    int rc = az_api_find_task(app, az_http_param(req, "id"), store, resp, &old);
    if (rc == 0 && az_api_is_command(old))
        rc = az_api_check_commands(app, req, resp, "change a task that runs a shell command");
    if (rc == 0 && gives(body, "command"))
        rc = az_api_check_commands(app, req, resp, "make a task run a shell command");
    if (rc == 0)
        rc = update_section(&e, old, body, resp);
    if (rc == 0)
        rc = build(app, &e, resp);
    if (rc == 0)
        rc = check_aliases(app, e.built.task, resp);
    if (rc == 0)
        rc = changed_copy(&e, old, &t, resp);
    json_t *changes = rc == 0 ? changes_json(app, old, t) : NULL;
    if (rc == 0 && !changes) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        rc = -1;
    }
    bool applied = rc == 0 && !dry_run && json_array_size(changes) > 0;
    if (applied) {
        az_api_actor_begin(req);
        rc = asyncz_scheduler_update_task(app->s, t);
        az_api_actor_end();
        az_api_changed(app);
        if (rc)
            refused(app, rc, t, resp);
    }
    if (rc == 0)
        answer_update(app, t, changes, applied, dry_run, resp);
    else
        json_decref(changes);
    asyncz_task_free(old);
    asyncz_task_free(t);
    edit_free(&e);
    json_decref(body);
}
