/* /api/v1/session: who the console is logged in as (GET), logging in (POST {"user", "password"}: a session
 * cookie), logging out (DELETE). Logins, failures and logouts are logged (logger asyncz.http) with the user
 * name and the client's address, never a password. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth_internal.h"
#include "manage.h"

#define LOGGER "asyncz.http"

static const char *via_name(az_http_via via)
{
    return via == AZ_HTTP_VIA_TOKEN ? "token" : via == AZ_HTTP_VIA_SESSION ? "session" : NULL;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* {"authenticated", "user", "role", "via", "csrf_token", "expires", "expires_us"}; info only for a session.
 */
static json_t *session_doc(const az_http_app *app, const az_http_principal *p,
                           const az_auth_session_info *info)
{
    bool in = p->role != AZ_HTTP_ROLE_NONE;
    json_t *doc = json_pack("{s:b, s:o, s:o, s:o, s:o}", "authenticated", in, "user",
                            string_or_null(in ? p->name : NULL), "role",
                            string_or_null(in ? az_http_role_name(p->role) : NULL), "via",
                            string_or_null(in ? via_name(p->via) : NULL), "csrf_token",
                            string_or_null(info ? info->csrf_token : NULL));
    if (doc && az_cli_json_set_time(doc, "expires", info ? info->expires * 1000000 : ASYNCZ_TIME_NONE,
                                    app->zone) != 0) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

/* The cookie's Path: the console's prefix and '/' ("/" when the prefix could not go into a header). */
static void cookie_path(const az_http_request *req, char *out, size_t size)
{
    const char *prefix = req->prefix ? req->prefix : "";
    bool safe = strlen(prefix) < size - 1;
    for (const char *p = prefix; *p && safe; p++)
        safe = *p > 0x20 && *p < 0x7f && *p != ';' && *p != ',';
    snprintf(out, size, "%s/", safe ? prefix : "");
}

static int set_cookie(const az_http_request *req, az_http_response *resp, const char *value)
{
    char path[512], header[1024];
    cookie_path(req, path, sizeof path);
    snprintf(header, sizeof header, "%s=%s; Path=%s;%s HttpOnly; SameSite=Strict%s", AZ_AUTH_COOKIE,
             value ? value : "", path, value ? "" : " Max-Age=0;", req->tls ? "; Secure" : "");
    return az_http_add_header(resp, "Set-Cookie", header);
}

static void reply_session(az_http_app *app, const az_http_principal *p, const az_auth_session_info *info,
                          az_http_response *resp)
{
    if (az_http_reply_json(resp, 200, session_doc(app, p, info)) == 0)
        az_http_add_header(resp, "Cache-Control", "no-store");
}

/* GET: who makes the request. */
static void get_session(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    az_http_principal p = req->principal;
    az_auth_session_info info;
    bool session = p.via == AZ_HTTP_VIA_SESSION && az_auth_session_get(app->auth, req, &info) == 0;
    if (p.via == AZ_HTTP_VIA_SESSION && !session)
        p = (az_http_principal){0}; /* ended since the server authenticated the request */
    reply_session(app, &p, session ? &info : NULL, resp);
    if (p.via == AZ_HTTP_VIA_NONE && az_http_cookie(req, AZ_AUTH_COOKIE))
        set_cookie(req, resp, NULL); /* a cookie of no session: the browser may forget it */
}

/* ---- POST: logging in -------------------------------------------------------------------------------------
 */

static bool is_json(const az_http_request *req)
{
    const char *type = az_http_header(req, "Content-Type");
    if (!type)
        return false;
    while (*type == ' ')
        type++;
    size_t n = strlen("application/json");
    return strncasecmp(type, "application/json", n) == 0 &&
           (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* The string member name of body, or NULL after answering 422. */
static const char *string_field(json_t *body, const char *name, az_http_response *resp)
{
    json_t *v = json_object_get(body, name);
    if (!v)
        az_http_reply_error_with(resp, 422, "invalid_body", json_pack("{s:s}", "field", name),
                                 "field '%s' is missing: send {\"user\": \"NAME\", \"password\": \"...\"}",
                                 name);
    else if (!json_is_string(v))
        az_http_reply_error_with(resp, 422, "invalid_body", json_pack("{s:s}", "field", name),
                                 "field '%s' must be a string", name);
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

/* The login body: {"user": "...", "password": "..."} and nothing else. Returns it (new) or NULL after
 * answering. */
static json_t *read_login(const az_http_request *req, az_http_response *resp, const char **user,
                          const char **password)
{
    if (!is_json(req)) {
        az_http_reply_error(resp, 415, "unsupported_media_type",
                            "the body must be JSON, sent with 'Content-Type: application/json'");
        return NULL;
    }
    json_error_t err;
    json_t *body = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (!body) {
        if (req->body)
            az_http_reply_error(resp, 400, "invalid_json", "the body is not JSON: line %d, column %d: %s",
                                err.line, err.column, err.text);
        else
            az_http_reply_error(resp, 400, "invalid_json",
                                "the body is empty: send {\"user\": \"NAME\", \"password\": \"...\"}");
        return NULL;
    }
    const char *key;
    json_t *value;
    if (!json_is_object(body)) {
        az_http_reply_error(resp, 422, "invalid_body",
                            "the body must be an object: {\"user\": \"NAME\", \"password\": \"...\"}");
    } else {
        json_object_foreach(body, key, value)
        {
            if (strcmp(key, "user") != 0 && strcmp(key, "password") != 0) {
                az_http_reply_error_with(resp, 422, "invalid_body", json_pack("{s:s}", "field", key),
                                         "unknown field '%s': a login takes 'user' and 'password'", key);
                break;
            }
        }
        if (!resp->status && (*user = string_field(body, "user", resp)) != NULL)
            *password = string_field(body, "password", resp);
    }
    if (resp->status) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* Overwrite the password in body before it is freed. */
static void forget_password(json_t *body)
{
    json_t *v = json_object_get(body, "password");
    if (json_is_string(v))
        explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

static void post_session(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *user = NULL, *password = NULL;
    json_t *body = read_login(req, resp, &user, &password);
    if (!body)
        return;
    char shown[80], cookie[AZ_AUTH_SECRET_LEN + 1];
    const char *client = req->client ? req->client : "?";
    az_auth_log_safe(user, shown, sizeof shown);
    az_auth_session_info info;
    unsigned retry = 0;
    az_auth_login_status st = az_auth_login(app->auth, req->client, user, password, &info, cookie, &retry);
    forget_password(body);
    json_decref(body);
    char seconds[32];
    switch (st) {
    case AZ_AUTH_LOGIN_OK: {
        az_auth_logout(app->auth, req); /* the session the browser had, if any: one login, one session */
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "login: user '%s' (%s) from %s, session %s", info.user,
                   az_http_role_name(info.role), client, info.id);
        az_http_principal p = {.role = info.role, .via = AZ_HTTP_VIA_SESSION};
        snprintf(p.name, sizeof p.name, "%s", info.user);
        snprintf(p.session_id, sizeof p.session_id, "%s", info.id);
        reply_session(app, &p, &info, resp);
        if (resp->status == 200 && set_cookie(req, resp, cookie) != 0) {
            az_http_response_clear(resp);
            resp->status = 500;
        }
        explicit_bzero(cookie, sizeof cookie);
        return;
    }
    case AZ_AUTH_LOGIN_FAILED:
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "login failed: user '%s' from %s: wrong user name or password",
                   shown, client);
        az_http_reply_error(resp, 401, "login_failed", "wrong user name or password");
        return;
    case AZ_AUTH_LOGIN_THROTTLED:
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "login refused: user '%s' from %s: too many failed logins (retry in %u s)", shown, client,
                   retry);
        az_http_reply_error_with(resp, 429, "login_throttled",
                                 json_pack("{s:I}", "retry_after", (json_int_t)retry),
                                 "too many failed logins: try again in %u seconds", retry);
        snprintf(seconds, sizeof seconds, "%u", retry);
        az_http_add_header(resp, "Retry-After", seconds);
        return;
    case AZ_AUTH_LOGIN_NO_USERS:
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "login refused: user '%s' from %s: the daemon has no users_file", shown, client);
        az_http_reply_error(
            resp, 401, "login_disabled",
            "nobody can log in: the daemon's [http] section names no users_file (or it is empty)");
        return;
    case AZ_AUTH_LOGIN_ERROR:
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER,
                   "login: user '%s' from %s: cannot start a session (out of memory?)", shown, client);
        az_http_reply_error(resp, 500, "internal", "cannot start a session: out of memory or no randomness");
        return;
    }
}

/* DELETE: log out (the server checked the CSRF token of a session). */
static void delete_session(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    if (az_auth_logout(app->auth, req))
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "logout: user '%s' from %s, session %s", req->principal.name,
                   req->client ? req->client : "?", req->principal.session_id);
    resp->status = 204;
    if (set_cookie(req, resp, NULL) != 0 || az_http_add_header(resp, "Cache-Control", "no-store") != 0) {
        az_http_response_clear(resp);
        resp->status = 500;
    }
}

const az_http_route az_http_session_routes[] = {
    {"GET", "/api/v1/session", AZ_HTTP_ROLE_NONE, get_session},
    {"POST", "/api/v1/session", AZ_HTTP_ROLE_NONE, post_session},
    {"DELETE", "/api/v1/session", AZ_HTTP_ROLE_VIEWER, delete_session},
    {NULL, NULL, 0, NULL},
};
