/* The JSON API's shared helpers for requests, cursors, tasks, errors and the actor (api_common.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_common.h"
#include "settings.h"
#include "shell_task.h"

/* ---- requests ------------------------------------------------------------------------------------------ */

/* Whether a Content-Type value is application/json (parameters such as charset allowed). */
static bool is_json_type(const char *type)
{
    static const char want[] = "application/json";
    if (!type || strncasecmp(type, want, sizeof want - 1) != 0)
        return false;
    char next = type[sizeof want - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

json_t *az_api_body(const az_http_request *req, az_http_response *resp)
{
    const char *type = az_http_header(req, "Content-Type");
    if (!is_json_type(type)) {
        az_http_reply_error(resp, 415, "unsupported_media_type",
                            "the body must be JSON sent with Content-Type: application/json (got %s%s%s)",
                            type ? "'" : "", type ? type : "none", type ? "'" : "");
        return NULL;
    }
    if (!req->body || req->body_len == 0) {
        az_http_reply_error(resp, 400, "invalid_json", "the request has no body: send a JSON object");
        return NULL;
    }
    json_error_t err;
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        az_http_reply_error(resp, 400, "invalid_json", "the body is not valid JSON: line %d, column %d: %s",
                            err.line, err.column, err.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        /* well-formed JSON of the wrong type: 422, as for a member of the wrong type */
        az_http_reply_error(resp, 422, "invalid_body",
                            "the body must be a JSON object ({\"key\": value, ...}), not %s",
                            json_is_array(doc) ? "an array" : "a single value");
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int az_api_bad_param(az_http_response *resp, const char *name, const char *fmt, ...)
{
    char message[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    az_http_reply_error_with(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", name), "?%s: %s",
                             name, message);
    return -1;
}

int az_api_limit(const az_http_request *req, az_http_response *resp, size_t *out)
{
    const char *text = az_http_query(req, "limit");
    *out = AZ_API_PAGE_DEFAULT;
    if (!text)
        return 0;
    char *end = NULL;
    unsigned long n = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
    if (!end || *end || n < 1 || n > AZ_API_PAGE_MAX)
        return az_api_bad_param(resp, "limit", "'%.40s': give a whole number from 1 to %d", text,
                                AZ_API_PAGE_MAX);
    *out = n;
    return 0;
}

int az_api_bool_param(const az_http_request *req, az_http_response *resp, const char *name, bool def,
                      bool *out)
{
    const char *text = az_http_query(req, name);
    *out = def;
    if (!text)
        return 0;
    if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcmp(text, "yes") == 0 || !*text)
        *out = true;
    else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcmp(text, "no") == 0)
        *out = false;
    else
        return az_api_bad_param(resp, name, "'%.40s': give true or false", text);
    return 0;
}

int az_api_time_param(const az_http_request *req, az_http_response *resp, const char *name,
                      const asyncz_zone *zone, asyncz_time_t *out)
{
    const char *text = az_http_query(req, name);
    *out = ASYNCZ_TIME_NONE;
    if (!text)
        return 0;
    int64_t ago;
    if (asyncz_duration_parse(&ago, text, NULL) == 0) {
        *out = asyncz_now() - ago;
        return 0;
    }
    if (asyncz_time_parse(out, text, zone, NULL) == 0)
        return 0;
    return az_api_bad_param(resp, name,
                            "'%.60s': neither a duration back from now (1d, 2h30m, 90s) nor an ISO-8601 time "
                            "(YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])",
                            text);
}

/* ---- cursors ------------------------------------------------------------------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *base64url(const unsigned char *p, size_t len)
{
    char *out = malloc(len / 3 * 4 + 5), *o = out;
    if (!out)
        return NULL;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = b64url[v >> 18], *o++ = b64url[v >> 12 & 63], *o++ = b64url[v >> 6 & 63],
        *o++ = b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = b64url[v >> 18], *o++ = b64url[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = b64url[v >> 18], *o++ = b64url[v >> 12 & 63], *o++ = b64url[v >> 6 & 63];
    }
    *o = '\0';
    return out;
}

/* The bytes of base64url text (no padding) into out (at least len * 3 / 4 + 1 bytes); -1 if malformed. */
static long unbase64url(const char *text, size_t len, unsigned char *out)
{
    if (len % 4 == 1)
        return -1;
    size_t n = 0;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        const char *at = text[i] ? strchr(b64url, text[i]) : NULL;
        if (!at)
            return -1;
        v = v << 6 | (uint32_t)(at - b64url);
        if (i % 4 == 3) {
            out[n++] = (unsigned char)(v >> 16), out[n++] = (unsigned char)(v >> 8),
            out[n++] = (unsigned char)v;
            v = 0;
        }
    }
    if (len % 4 == 2)
        out[n++] = (unsigned char)(v >> 4);
    else if (len % 4 == 3)
        out[n++] = (unsigned char)(v >> 10), out[n++] = (unsigned char)(v >> 2);
    return (long)n;
}

char *az_api_cursor_make(json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    char *cursor = text ? base64url((const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    return cursor;
}

int az_api_bad_cursor(az_http_response *resp, const char *kind)
{
    return az_api_bad_param(resp, "cursor",
                            "not a cursor of this %s listing (use the next_cursor a page of the same listing "
                            "gave, or start again without ?cursor)",
                            kind);
}

int az_api_cursor_param(const az_http_request *req, az_http_response *resp, const char *kind, json_t **out)
{
    const char *text = az_http_query(req, "cursor");
    *out = NULL;
    if (!text || !*text)
        return 0;
    size_t len = strlen(text);
    unsigned char buf[AZ_API_CURSOR_MAX];
    long n = len < AZ_API_CURSOR_MAX ? unbase64url(text, len, buf) : -1;
    json_t *doc = n > 0 ? json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "k")) ||
        strcmp(json_string_value(json_object_get(doc, "k")), kind) != 0) {
        json_decref(doc);
        return az_api_bad_cursor(resp, kind);
    }
    *out = doc;
    return 0;
}

/* ---- tasks --------------------------------------------------------------------------------------------- */

bool az_api_is_command(const asyncz_task *t)
{
    return strcmp(asyncz_task_func(t), AZ_CLI_SHELL_FUNC) == 0;
}

json_t *az_api_task_json(const az_http_app *app, const asyncz_task *t, bool full)
{
    json_t *o = az_cli_task_json(t, app->zone, full);
    if (o && json_object_set_new(o, "store", json_string(asyncz_task_store(t))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int az_api_find_task(az_http_app *app, const char *id, const char *store, az_http_response *resp,
                     asyncz_task **out)
{
    *out = NULL;
    if (!asyncz_task_id_valid(id)) {
        az_http_reply_error(
            resp, 404, "not_found",
            "no task '%.300s': not a valid task id (1 to 255 characters of A-Z a-z 0-9 . _ @ + "
            "-, not starting with . or -)",
            id);
        return -1;
    }
    char found_in[512] = "";
    size_t found = 0;
    for (size_t i = 0; i < app->cfg->n_stores; i++) {
        const char *name = app->cfg->stores[i].name;
        if (store && strcmp(store, name) != 0)
            continue;
        asyncz_task *t = NULL;
        int rc = asyncz_scheduler_get_task(app->s, &t, id, name);
        if (rc == ASYNCZ_ENOTFOUND)
            continue;
        if (rc) {
            asyncz_task_free(*out);
            *out = NULL;
            return az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s),
                               "cannot read task '%s' in store '%s'", id, name);
        }
        size_t used = strlen(found_in);
        snprintf(found_in + used, sizeof found_in - used, "%s'%s'", found ? ", " : "", name);
        if (found++)
            asyncz_task_free(t);
        else
            *out = t;
    }
    if (found == 1)
        return 0;
    asyncz_task_free(*out);
    *out = NULL;
    if (found > 1)
        az_http_reply_error_with(resp, 409, "ambiguous", json_pack("{s:s}", "field", "store"),
                                 "task '%s' is in several stores (%s): say which with ?store=NAME", id,
                                 found_in);
    else if (store)
        az_http_reply_error(resp, 404, "not_found", "no task '%s' in store '%s'", id, store);
    else
        az_http_reply_error(resp, 404, "not_found", "no task '%s' in any store", id);
    return -1;
}

int az_api_list_runs(void *ctx, const asyncz_history_query *q, asyncz_run_record_fn fn, void *userdata,
                     char *next_cursor)
{
    const az_api_runs_ctx *c = ctx;
    return asyncz_scheduler_list_runs(c->app->s, c->store, q, fn, userdata, next_cursor);
}

json_t *az_api_last_run_json(const az_http_app *app, const asyncz_run_record *r)
{
    if (!r)
        return json_null();
    json_t *o = json_pack("{s:s, s:s}", "run_id", r->run_id, "outcome", asyncz_run_outcome_name(r->outcome));
    if (o && (az_cli_json_set_time(o, "started", r->started_at, app->zone) ||
              az_cli_json_set_time(o, "finished", r->finished_at, app->zone))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int az_api_check_commands(const az_http_app *app, const az_http_request *req, az_http_response *resp,
                          const char *what)
{
    bool admin = req->principal.role >= AZ_HTTP_ROLE_ADMIN;
    bool allowed = app->settings && app->settings->allow_commands;
    if (admin && allowed)
        return 0;
    if (!allowed)
        az_http_reply_error(
            resp, 403, "commands_not_allowed",
            "cannot %s: tasks that run shell commands cannot be made or changed through the API "
            "unless the daemon's config sets [http] allow_commands = true (and then by an "
            "admin only)",
            what);
    else
        az_http_reply_error(resp, 403, "forbidden",
                            "cannot %s: a task that runs a shell command needs the admin role (you are %s)",
                            what, az_http_role_name(req->principal.role));
    return -1;
}

/* ---- errors -------------------------------------------------------------------------------------------- */

int az_api_http_status(int rc)
{
    switch (rc) {
    case ASYNCZ_ENOTFOUND:
        return 404;
    case ASYNCZ_EEXISTS:
    case ASYNCZ_ESTATE:
    case ASYNCZ_EUNSUPPORTED:
        return 409;
    case ASYNCZ_EINVAL:
    case ASYNCZ_EPARSE:
    case ASYNCZ_ERANGE:
    case ASYNCZ_EZONE:
    case ASYNCZ_ETZDATA:
    case ASYNCZ_ESEARCH:
        return 422;
    case ASYNCZ_ETOOBIG:
        return 413;
    case ASYNCZ_ESTORE:
    case ASYNCZ_EIO:
    case ASYNCZ_ECRYPTO:
        return 503;
    default:
        return 500;
    }
}

const char *az_api_error_code(int rc)
{
    switch (rc) {
    case ASYNCZ_ENOTFOUND:
        return "not_found";
    case ASYNCZ_EEXISTS:
        return "already_exists";
    case ASYNCZ_ESTATE:
        return "conflict";
    case ASYNCZ_EUNSUPPORTED:
        return "unsupported";
    case ASYNCZ_ETOOBIG:
        return "too_large";
    case ASYNCZ_ESTORE:
    case ASYNCZ_EIO:
    case ASYNCZ_ECRYPTO:
        return "store_unavailable";
    default:
        return az_api_http_status(rc) == 422 ? "invalid" : "internal";
    }
}

int az_api_fail(az_http_response *resp, int rc, const char *reason, const char *fmt, ...)
{
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    az_http_reply_error(resp, az_api_http_status(rc), az_api_error_code(rc), "%s: %s", prefix,
                        reason && *reason ? reason : asyncz_strerror(rc));
    return -1;
}

/* ---- the actor ----------------------------------------------------------------------------------------- */

void az_api_actor_begin(const az_http_request *req)
{
    const az_http_principal *p = &req->principal;
    char name[sizeof p->name];
    snprintf(name, sizeof name, "%s", p->name[0] ? p->name : "anonymous");
    for (char *c = name; *c; c++) /* the audit trail refuses control characters */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    const char *via = p->via == AZ_HTTP_VIA_TOKEN     ? "token"
                      : p->via == AZ_HTTP_VIA_SESSION ? "session"
                                                      : "none";
    char actor[256];
    snprintf(actor, sizeof actor, "api:%.150s (%s, via %s)", name, az_http_role_name(p->role), via);
    if (asyncz_set_actor(actor) != 0) /* not UTF-8: the name is the user's own, so keep the rest */
        asyncz_set_actor("api:? (unreadable name)");
}

void az_api_actor_end(void)
{
    asyncz_set_actor(NULL);
}
