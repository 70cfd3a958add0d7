/* The daemon's HTTP server: the types every part of it shares.
 *
 * The server (server.c) runs libmicrohttpd in thread-per-connection mode: each connection has a thread of
 * its own, so a request that waits for a slow store holds up only itself, and the scheduler's loop is never
 * involved (handlers call the scheduler's thread-safe API). The server reads a request whole (headers, then
 * a body of at most max_body bytes), makes an az_http_request of it, authenticates it (auth.h), finds its
 * route (router.c) and calls the route's handler, which fills an az_http_response. The server then adds the
 * security headers every response carries and sends it.
 *
 * Handlers never see libmicrohttpd: a request is plain data (tests build one by hand and call a handler
 * directly, tests/unit/test_http_*.c). A handler runs on a connection thread, may block on a store, and
 * must not keep pointers into the request after it returns.
 *
 * docs/http-api.md is the user's reference; src/cli/http/openapi.json the machine-readable one.
 */
#ifndef AZ_CLI_HTTP_H
#define AZ_CLI_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncz.h"

/* ---- principals and roles --------------------------------------------------------------------------------
 */

/* Roles, each allowed what the ones below it are. */
typedef enum az_http_role {
    AZ_HTTP_ROLE_NONE = 0, /* not authenticated: only /healthz, /readyz, the login page and static assets */
    AZ_HTTP_ROLE_VIEWER,   /* reads everything (but secrets: no token or password hash is ever shown) */
    AZ_HTTP_ROLE_OPERATOR, /* and pauses, resumes, runs, creates, updates and removes tasks */
    AZ_HTTP_ROLE_ADMIN,    /* and shell-command tasks (with [http] allow_commands), quarantine */
} az_http_role;

/* "viewer", "operator", "admin" ("none" for AZ_HTTP_ROLE_NONE). Static storage. */
const char *az_http_role_name(az_http_role role);
/* Parse a role name (exactly as az_http_role_name writes it, not "none"). Returns 0 or -1. */
int az_http_role_parse(const char *name, az_http_role *out);

typedef enum az_http_via {
    AZ_HTTP_VIA_NONE = 0, /* anonymous */
    AZ_HTTP_VIA_TOKEN,    /* Authorization: Bearer TOKEN */
    AZ_HTTP_VIA_SESSION,  /* the console's session cookie: state-changing requests need the CSRF token */
} az_http_via;

/* Who makes a request. */
typedef struct az_http_principal {
    char name[128]; /* the user's or the token's name; "" when anonymous */
    az_http_role role;
    az_http_via via;
    char session_id[48]; /* AZ_HTTP_VIA_SESSION: the session's id (not the cookie's secret), else "" */
} az_http_principal;

/* ---- requests -------------------------------------------------------------------------------------------
 */

/* A name and its value, both NUL-terminated and owned by whoever made the request. */
typedef struct az_http_pair {
    const char *name;
    const char *value;
} az_http_pair;

#define AZ_HTTP_MAX_PARAMS 4

typedef struct az_http_request {
    const char *method; /* "GET", "POST", ... */
    /* The path below base_path, percent-decoded, starting with '/': "/api/v1/tasks/backup". */
    const char *path;
    const az_http_pair *query; /* the query string's arguments, decoded, in order; a name may repeat */
    size_t n_query;
    const az_http_pair *headers; /* names as the client wrote them; look up with az_http_header */
    size_t n_headers;
    const az_http_pair *cookies;
    size_t n_cookies;
    const char *body; /* NUL-terminated (the NUL not counted); NULL when there is none */
    size_t body_len;
    const char *client; /* the client's address ("127.0.0.1", "::1"); X-Forwarded-For's when it came
                           through a trusted proxy */
    bool tls;           /* came over TLS (directly, or X-Forwarded-Proto https from a trusted proxy) */
    /* The public prefix of the console's URLs ("" or "/asyncz", no trailing slash): base_path, or
     * X-Forwarded-Prefix from a trusted proxy. Links and redirects are made with it. */
    const char *prefix;
    az_http_principal principal; /* set by the server before the handler is called */
    /* The route's {NAME} path parameters, decoded; set by the router. */
    az_http_pair params[AZ_HTTP_MAX_PARAMS];
    size_t n_params;
} az_http_request;

/* The first query argument called name, or NULL. */
const char *az_http_query(const az_http_request *r, const char *name);
/* The header called name (case-insensitive), or NULL. */
const char *az_http_header(const az_http_request *r, const char *name);
/* The cookie called name, or NULL. */
const char *az_http_cookie(const az_http_request *r, const char *name);
/* The route's path parameter called name ("id" for "/api/v1/tasks/{id}"), or NULL. */
const char *az_http_param(const az_http_request *r, const char *name);

/* ---- responses ------------------------------------------------------------------------------------------
 */

#define AZ_HTTP_MAX_HEADERS 24

/* A streamed body (Server-Sent Events): called on the connection's thread until it returns -1. It writes
 * at most max bytes into buf and returns how many; it may block (it should wake at least every 15 s, so
 * that a closed connection is noticed); 0 is "nothing yet, call again". */
typedef long (*az_http_stream_fn)(void *ctx, char *buf, size_t max);

typedef struct az_http_response {
    int status; /* 0: not answered (the server answers 500) */
    char *body; /* owned (malloc); NULL: empty */
    size_t body_len;
    const char *content_type; /* static storage; NULL: none */
    /* Extra headers (Set-Cookie, Location, Cache-Control...), names and values owned (malloc). The server
     * adds the security headers itself. */
    struct {
        char *name, *value;
    } headers[AZ_HTTP_MAX_HEADERS];
    size_t n_headers;
    const void *static_body; /* a body in static storage (embedded assets), used when body is NULL */
    /* A streamed body instead of body: stream(ctx, ...) until -1, then stream_free(ctx). */
    az_http_stream_fn stream;
    void (*stream_free)(void *ctx);
    void *stream_ctx;
} az_http_response;

/* Answer with doc as JSON (doc is stolen: decref'd whatever happens). Returns 0, or -1 when out of memory
 * (the response then says 500). */
int az_http_reply_json(az_http_response *resp, int status, json_t *doc);
/* Answer with an error: {"error": {"code": CODE, "message": MESSAGE}} where code is a short stable
 * identifier ("not_found", "invalid_body", "forbidden", ...) and message says what was wrong and, where it
 * helps, how to put it right. Returns 0 or -1 as az_http_reply_json. */
int az_http_reply_error(az_http_response *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with extra members merged into the error object ({"field": "cron"}); extra is stolen. */
int az_http_reply_error_with(az_http_response *resp, int status, const char *code, json_t *extra,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Answer with text of the given content type (copied). */
int az_http_reply_text(az_http_response *resp, int status, const char *content_type, const char *text,
                       size_t len);
/* Add a header (name and value copied). Returns 0, or -1 when out of memory or there are too many. */
int az_http_add_header(az_http_response *resp, const char *name, const char *value);
/* Free what resp owns and leave it empty (not the stream context: the server frees it after streaming). */
void az_http_response_clear(az_http_response *resp);

/* ---- the application the handlers serve -----------------------------------------------------------------
 */

struct az_config;
struct az_http_settings;
typedef struct az_auth az_auth;           /* auth.h */
typedef struct az_metrics az_metrics;     /* metrics.h */
typedef struct az_event_hub az_event_hub; /* events.h */

typedef struct az_http_app {
    asyncz_scheduler *s;                     /* the daemon's, started */
    const struct az_config *cfg;             /* the config the daemon started with (store URLs: mask them) */
    const struct az_http_settings *settings; /* cfg's [http] */
    az_auth *auth;                           /* tokens, users, sessions, CSRF, login throttling */
    az_metrics *metrics;                     /* counters fed by the scheduler's events */
    az_event_hub *events;                    /* the live event stream's subscribers */
    const asyncz_zone *zone;                 /* the daemon's zone, for times shown in it */
    asyncz_time_t started;                   /* when the daemon started */
    const char *identity;                    /* the scheduler's identity */
} az_http_app;

/* ---- routes -------------------------------------------------------------------------------------------- */

typedef void (*az_http_handler)(az_http_app *app, az_http_request *req, az_http_response *resp);

typedef struct az_http_route {
    const char *method;  /* "GET", "POST", "PATCH", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/tasks/{id}": a {NAME} matches one non-empty path segment */
    az_http_role role;   /* the least role the route needs (AZ_HTTP_ROLE_NONE: anyone) */
    az_http_handler fn;
} az_http_route;

/* The routes of each part, ended by an entry whose method is NULL (api_*.c, console.c, metrics.c). */
extern const az_http_route az_http_api_routes[];
extern const az_http_route az_http_console_routes[];
extern const az_http_route az_http_metrics_routes[];

typedef enum az_http_match {
    AZ_HTTP_MATCHED,           /* *route is set and req's params are filled */
    AZ_HTTP_NO_ROUTE,          /* no pattern matches the path: 404 */
    AZ_HTTP_METHOD_NOT_ALLOWED /* a pattern matches, not with this method: 405 (allow: the methods) */
} az_http_match;

/* Find req's route among the tables (each ended by a NULL method), filling req->params. allow (may be
 * NULL) receives "GET, POST" when the answer is AZ_HTTP_METHOD_NOT_ALLOWED. */
az_http_match az_http_route_find(const az_http_route *const *tables, size_t n_tables, az_http_request *req,
                                 const az_http_route **route, char *allow, size_t allow_size);

#endif
