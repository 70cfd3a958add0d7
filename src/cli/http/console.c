/* The web console's routes: the single page (console/index.html) and its scripts, styles and images
 * (console/assets/), all embedded in the tool at build time (assets.h), plus the redirect of "/" to the
 * console. Anyone may fetch them (the page asks GET /api/v1/session and shows its login form when nobody is
 * logged in): they hold no data. Each answer carries its file's ETag, and a request whose If-None-Match
 * names it is answered 304 with no body. The page is revalidated on every load ("no-cache", so a new daemon's
 * console is picked up at once); the assets are kept for a minute.
 *
 * A file is looked up by its exact name in the embedded table, so no request can reach anything else; a name
 * that is not a plain file name (a '/', "..", a leading '.', a byte outside [A-Za-z0-9._-]) is refused before
 * the lookup all the same, with the 404 of any unknown file.
 */
#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "http.h"

#define CONSOLE_INDEX "console/index.html"
#define CONSOLE_ASSETS "console/assets/"
#define INDEX_CACHE "no-cache"
#define ASSET_CACHE "max-age=60"
#define FILE_NAME_MAX 128

/* ---- checks ---------------------------------------------------------------------------------------- */

/* Whether name is a plain file name of the console's assets directory. */
static bool plain_file_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > FILE_NAME_MAX || name[0] == '.' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* Whether the request's prefix can go in front of a Location: "" or "/name..." with no "//" or "\" at its
 * start (a browser would read "//host" as another site) and no control character or blank. The server
 * checks X-Forwarded-Prefix already; this keeps the redirect local whatever it lets through. */
static bool local_prefix(const char *prefix)
{
    if (!prefix || !*prefix)
        return true;
    if (prefix[0] != '/' || prefix[1] == '/' || prefix[1] == '\\')
        return false;
    for (const unsigned char *p = (const unsigned char *)prefix; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '\\')
            return false;
    return true;
}

/* Whether an If-None-Match header names etag: "*", or a list of (possibly weak, W/"...") tags, one of
 * which is the same tag (weak comparison, as RFC 9110 asks for If-None-Match). */
static bool etag_matches(const char *header, const char *etag)
{
    if (!header)
        return false;
    size_t etag_len = strlen(etag);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *end = p;
        if (*end == '"') {
            end = strchr(end + 1, '"');
            end = end ? end + 1 : p + strlen(p);
        } else {
            end = p + strcspn(p, ", \t");
        }
        if ((size_t)(end - p) == etag_len && memcmp(p, etag, etag_len) == 0)
            return true;
        p = end;
    }
    return false;
}

/* ---- answers --------------------------------------------------------------------------------------- */

static void not_found(az_http_response *resp, const char *name)
{
    az_http_reply_error(resp, 404, "not_found", "the console has no file '%s'", name);
}

/* Answer with the embedded file at path (under the asset table's root), or 304 when the client has it. */
static void serve_asset(az_http_request *req, az_http_response *resp, const char *path, const char *shown,
                        const char *cache_control)
{
    const az_http_asset *a = az_http_asset_find(path);
    if (!a) {
        not_found(resp, shown);
        return;
    }
    if (az_http_add_header(resp, "ETag", a->etag) != 0 ||
        az_http_add_header(resp, "Cache-Control", cache_control) != 0) {
        az_http_response_clear(resp);
        resp->status = 500;
        return;
    }
    if (etag_matches(az_http_header(req, "If-None-Match"), a->etag)) {
        resp->status = 304;
        return;
    }
    resp->status = 200;
    resp->content_type = a->content_type;
    resp->static_body = a->data;
    resp->body_len = a->len;
}

/* 302 to the console's page under the request's prefix. */
static void redirect_to_console(az_http_request *req, az_http_response *resp)
{
    const char *prefix = local_prefix(req->prefix) ? req->prefix : "";
    char location[1024];
    int n = snprintf(location, sizeof location, "%s/console/", prefix ? prefix : "");
    if (n < 0 || (size_t)n >= sizeof location) {
        snprintf(location, sizeof location, "/console/");
    }
    if (az_http_add_header(resp, "Location", location) != 0 ||
        az_http_add_header(resp, "Cache-Control", INDEX_CACHE) != 0) {
        az_http_response_clear(resp);
        resp->status = 500;
        return;
    }
    resp->status = 302;
}

/* ---- handlers -------------------------------------------------------------------------------------- */

static void handle_root(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)app;
    redirect_to_console(req, resp);
}

static void handle_index(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)app;
    serve_asset(req, resp, CONSOLE_INDEX, "index.html", INDEX_CACHE);
}

static void handle_asset(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)app;
    const char *file = az_http_param(req, "file");
    if (!file || !plain_file_name(file)) {
        /* the name is not echoed: it may be anything */
        az_http_reply_error(
            resp, 404, "not_found",
            "the console has no such file: a file name of its assets is 1 to %d of A-Z a-z 0-9 . _ - "
            "not starting with '.' and without '..'",
            FILE_NAME_MAX);
        return;
    }
    char path[sizeof CONSOLE_ASSETS + FILE_NAME_MAX];
    snprintf(path, sizeof path, "%s%s", CONSOLE_ASSETS, file);
    serve_asset(req, resp, path, path + strlen("console/"), ASSET_CACHE);
}

const az_http_route az_http_console_routes[] = {
    {"GET", "/", AZ_HTTP_ROLE_NONE, handle_root},
    {"GET", "/console", AZ_HTTP_ROLE_NONE, handle_root},
    {"GET", "/console/", AZ_HTTP_ROLE_NONE, handle_index},
    {"GET", "/console/assets/{file}", AZ_HTTP_ROLE_NONE, handle_asset},
    {NULL, NULL, AZ_HTTP_ROLE_NONE, NULL},
};
