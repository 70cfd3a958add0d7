/* What happens to a request between the socket and its handler (server.h, az_http_handle): the path is
 * checked and base_path taken off, the client is authenticated, the route found, its role, the CSRF token
 * and the body's content type checked, and the handler called. Every refusal is a JSON error that says
 * what was wrong.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "cli.h"
#include "events.h"
#include "server.h"
#include "settings.h"

#define CSP                                                                                                  \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "    \
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* ---- the path ----------------------------------------------------------------------------------------- */

/* A path is made of segments of printable characters; "." and ".." segments are refused outright, not
 * resolved, so that no route ever sees one. */
static bool path_acceptable(const char *path)
{
    /* "%00" is what the server's decoding leaves of an encoded NUL (server.c), which must not cut a name
     * short. */
    if (path[0] != '/' || strlen(path) > 2048 || strstr(path, "%00") || az_cli_utf8_invalid(path) >= 0)
        return false;
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    for (const char *seg = path; seg; seg = strchr(seg + 1, '/')) {
        const char *s = seg + 1;
        size_t len = strcspn(s, "/");
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return false;
    }
    return true;
}

/* The path below base_path, or NULL when the request is not under it. */
static const char *below_base(const char *path, const char *base)
{
    size_t n = base ? strlen(base) : 0;
    if (n == 0)
        return path;
    if (strncmp(path, base, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return "/";
    return path[n] == '/' ? path + n : NULL;
}

/* ---- checks -------------------------------------------------------------------------------------------- */

static bool changes_state(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "OPTIONS") != 0;
}

static bool json_content(const az_http_request *req)
{
    const char *type = az_http_header(req, "Content-Type");
    if (!type)
        return false;
    size_t n = strcspn(type, "; \t");
    return n == strlen("application/json") && strncasecmp(type, "application/json", n) == 0;
}

/* Whether the principal may use the route; answers 401 or 403 when not. */
static bool role_allows(const az_http_request *req, const az_http_route *route, az_http_response *resp)
{
    const az_http_principal *p = &req->principal;
    if (p->role >= route->role)
        return true;
    if (p->role == AZ_HTTP_ROLE_NONE) {
        az_http_add_header(resp, "WWW-Authenticate", "Bearer realm=\"asyncz\"");
        az_http_reply_error(
            resp, 401, "unauthenticated",
            "log in to the console, or send an API token: Authorization: Bearer TOKEN (make one "
            "with asyncz auth token NAME --role %s)",
            az_http_role_name(route->role));
    } else {
        az_http_reply_error(resp, 403, "forbidden", "%s needs the %s role; %s '%s' has the %s role",
                            route->pattern, az_http_role_name(route->role),
                            p->via == AZ_HTTP_VIA_TOKEN ? "the token" : "user", p->name,
                            az_http_role_name(p->role));
    }
    return false;
}

static bool csrf_allows(az_http_app *app, const az_http_request *req, az_http_response *resp)
{
    if (req->principal.via != AZ_HTTP_VIA_SESSION || !changes_state(req->method) ||
        az_auth_csrf_valid(app->auth, req))
        return true;
    az_http_reply_error(resp, 403, "csrf",
                        az_http_header(req, "X-CSRF-Token")
                            ? "the X-CSRF-Token header does not match this session's token: reload the page"
                            : "a change made with a session cookie needs the X-CSRF-Token header (GET "
                              "/api/v1/session gives the token)");
    return false;
}

static bool body_allowed(const az_http_request *req, az_http_response *resp)
{
    if (req->body_len == 0 || !changes_state(req->method) || json_content(req))
        return true;
    const char *type = az_http_header(req, "Content-Type");
    az_http_reply_error(resp, 415, "unsupported_media_type",
                        "the body must be JSON with Content-Type: application/json (got %s)",
                        type ? type : "no Content-Type");
    return false;
}

/* ---- routing --------------------------------------------------------------------------------------------
 */

static const az_http_route *const route_tables[] = {
    az_http_api_routes,     az_http_session_routes, az_http_events_routes,
    az_http_metrics_routes, az_http_console_routes,
};

/* Authenticate; a route anyone may use is served to a client whose credentials are stale (an expired
 * session cookie must not stop the login page from loading). */
static bool authenticate(az_http_app *app, az_http_request *req, const az_http_route *route,
                         az_http_response *resp)
{
    char why[256] = "";
    req->principal = (az_http_principal){0};
    if (az_auth_authenticate(app->auth, req, &req->principal, why, sizeof why) == 0)
        return true;
    req->principal = (az_http_principal){0};
    if (route->role == AZ_HTTP_ROLE_NONE)
        return true;
    az_http_add_header(resp, "WWW-Authenticate", "Bearer realm=\"asyncz\", error=\"invalid_token\"");
    az_http_reply_error(resp, 401, "unauthenticated", "%s", *why ? why : "the credentials were refused");
    return false;
}

void az_http_handle(az_http_app *app, az_http_request *req, az_http_response *resp,
                    const az_http_route **route_out)
{
    *route_out = NULL;
    const char *method = req->method;
    if (strcmp(method, "HEAD") == 0)
        req->method = "GET"; /* the server sends the headers of the GET without its body */
    const char *path = path_acceptable(req->path) ? below_base(req->path, app->settings->base_path) : NULL;
    if (!path_acceptable(req->path)) {
        az_http_reply_error(resp, 400, "bad_path",
                            "the path has a '.' or '..' segment or a control character");
        goto out;
    }
    if (!path) {
        az_http_reply_error(resp, 404, "not_found", "nothing here: this server serves below %s/",
                            app->settings->base_path);
        goto out;
    }
    req->path = path;
    const az_http_route *route = NULL;
    char allow[128];
    az_http_match m = az_http_route_find(route_tables, sizeof route_tables / sizeof *route_tables, req,
                                         &route, allow, sizeof allow);
    if (m == AZ_HTTP_NO_ROUTE) {
        az_http_reply_error(resp, 404, "not_found",
                            "no such endpoint: %s %s (the API is described at %s/api/v1/openapi.json)",
                            method, path, req->prefix ? req->prefix : "");
        goto out;
    }
    if (m == AZ_HTTP_METHOD_NOT_ALLOWED) {
        az_http_reply_error(resp, 405, "method_not_allowed", "%s does not take %s (it takes %s)", path,
                            method, allow);
        az_http_add_header(resp, "Allow", allow);
        goto out;
    }
    *route_out = route;
    if (authenticate(app, req, route, resp) && role_allows(req, route, resp) && csrf_allows(app, req, resp) &&
        body_allowed(req, resp))
        route->fn(app, req, resp);
    if (resp->status == 0 && !resp->stream)
        az_http_reply_error(resp, 500, "internal", "the handler of %s %s gave no answer", method,
                            route->pattern);
out:
    req->method = method;
}

/* ---- headers every response carries ------------------------------------------------------------------- */

static bool has_header(const az_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return true;
    return false;
}

void az_http_secure_headers(const az_http_request *req, az_http_response *resp)
{
    static const char *const fixed[][2] = {
        {"Content-Security-Policy", CSP},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (!has_header(resp, fixed[i][0]))
            az_http_add_header(resp, fixed[i][0], fixed[i][1]);
    if (!has_header(resp, "Cache-Control"))
        az_http_add_header(resp, "Cache-Control", "no-store");
    if (req->tls)
        az_http_add_header(resp, "Strict-Transport-Security", "max-age=31536000");
}
