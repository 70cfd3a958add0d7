/* The fixture of the JSON API's tests (test_http_api*.c): a real scheduler started on a thread, with the
 * stores of a small config (a SQLite store "default" in a private temp directory and a memory store "mem"),
 * a thread pool, and registered functions; an az_http_app around it; and az_fx_call, which routes a
 * request like the server does (the route table of api.c, its least role) and calls its handler. */
#ifndef AZ_TEST_HTTP_API_FIXTURE_H
#define AZ_TEST_HTTP_API_FIXTURE_H

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "az_test.h"
#include "config.h"
#include "http/api_common.h"
#include "http/http.h"
#include "http/settings.h"

typedef struct az_fx {
    char dir[64];
    az_config *cfg;
    asyncz_scheduler *s;
    az_http_settings settings;
    az_http_app app;
    /* the last call's response headers */
    char location[256], etag[128];
} az_fx;

static inline int az_fx_ok(asyncz_run *run, void *userdata)
{
    (void)userdata;
    asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, "hello from the test");
    return ASYNCZ_RUN_DONE;
}

static inline int az_fx_fail(asyncz_run *run, void *userdata)
{
    (void)userdata;
    asyncz_run_set_error(run, ASYNCZ_EINVAL, "it failed on purpose");
    return ASYNCZ_EINVAL;
}

/* The fixture's config; %s: its directory (absolute: sqlite:////abs/path has four slashes). */
static const char az_fx_config[] = "[scheduler]\n"
                                   "timezone = UTC\n"
                                   "[store default]\n"
                                   "url = sqlite:///%s/tasks.db\n"
                                   "[store mem]\n"
                                   "url = memory://\n"
                                   "[executor default]\n"
                                   "type = threadpool\n"
                                   "workers = 2\n";

static inline az_fx *az_fx_new(void)
{
    az_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/az-http-api-XXXXXX");
    assert_non_null(mkdtemp(f->dir)); /* mode 0700: the SQLite store refuses a directory others can write */
    char *text = NULL;
    assert_true(asprintf(&text, az_fx_config, f->dir) > 0);
    az_cfg_errors errs = {0};
    int rc = az_config_load_string(text, "test.ini", &f->cfg, &errs);
    if (rc)
        fprintf(stderr, "config: %s\n", errs.n ? errs.items[0].message : "?");
    assert_int_equal(rc, 0);
    az_cfg_errors_free(&errs);
    free(text);
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.timezone = f->cfg->zone;
    assert_int_equal(asyncz_scheduler_new(&f->s, &o), 0);
    for (size_t i = 0; i < f->cfg->n_stores; i++) {
        asyncz_store *st = NULL;
        assert_int_equal(asyncz_store_open(&st, f->cfg->stores[i].url), 0);
        assert_int_equal(asyncz_scheduler_add_store(f->s, f->cfg->stores[i].name, st), 0);
    }
    asyncz_executor *pool = NULL;
    assert_int_equal(asyncz_executor_threadpool_new(&pool, 2), 0);
    assert_int_equal(asyncz_scheduler_add_executor(f->s, "default", pool), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "ok", az_fx_ok, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "fail", az_fx_fail, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "asyncz.shell", az_fx_ok, NULL), 0);
    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    f->settings.enabled = true;
    f->app = (az_http_app){.s = f->s,
                           .cfg = f->cfg,
                           .settings = &f->settings,
                           .zone = f->cfg->zone,
                           .started = asyncz_now(),
                           .identity = asyncz_scheduler_identity(f->s)};
    return f;
}

static inline void az_fx_free(az_fx *f)
{
    az_http_api_close();
    asyncz_scheduler_free(f->s);
    az_config_free(f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
}

/* Decode %XX in place (a malformed escape is left as it is), as the server decodes query values. */
static inline void az_fx_unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        unsigned v;
        if (p[0] == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1 &&
            strchr("0123456789abcdefABCDEF", p[1]) && strchr("0123456789abcdefABCDEF", p[2])) {
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* A request as the server would hand it to its handler, after routing and the role check. target is the
 * path with an optional query string ("/api/v1/tasks?limit=5": no percent-encoding). With a body, the
 * request says Content-Type: application/json unless header (NAME and VALUE, or NULL) names another one.
 * Returns the answer's JSON (a new reference, NULL when it has none) and its status in *status. */
static inline json_t *az_fx_call_with(az_fx *f, az_http_role role, const char *method, const char *target,
                                      const char *body, const az_http_pair *header, int *status)
{
    char path[1024], query_text[1024] = "";
    snprintf(path, sizeof path, "%s", target);
    char *q = strchr(path, '?');
    if (q) {
        snprintf(query_text, sizeof query_text, "%s", q + 1);
        *q = '\0';
    }
    az_http_pair query[16];
    size_t n_query = 0;
    for (char *save = NULL, *part = strtok_r(query_text, "&", &save); part && n_query < 16;
         part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq)
            *eq = '\0';
        if (eq)
            az_fx_unescape(eq + 1);
        query[n_query++] = (az_http_pair){part, eq ? eq + 1 : ""};
    }
    az_http_pair headers[2];
    size_t n_headers = 0;
    if (header)
        headers[n_headers++] = *header;
    if (body && (!header || strcasecmp(header->name, "Content-Type") != 0))
        headers[n_headers++] = (az_http_pair){"Content-Type", "application/json"};
    az_http_request req = {.method = method,
                           .path = path,
                           .query = query,
                           .n_query = n_query,
                           .headers = headers,
                           .n_headers = n_headers,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .client = "127.0.0.1",
                           .prefix = ""};
    req.principal.role = role;
    req.principal.via = AZ_HTTP_VIA_TOKEN;
    snprintf(req.principal.name, sizeof req.principal.name, "%s",
             role == AZ_HTTP_ROLE_ADMIN      ? "root"
             : role == AZ_HTTP_ROLE_OPERATOR ? "alice"
                                             : "victor");
    const az_http_route *const tables[] = {az_http_api_routes};
    const az_http_route *route = NULL;
    az_http_match m = az_http_route_find(tables, 1, &req, &route, NULL, 0);
    if (m != AZ_HTTP_MATCHED) {
        *status = m == AZ_HTTP_NO_ROUTE ? 404 : 405;
        return NULL;
    }
    if (role < route->role) {
        *status = 403;
        return NULL;
    }
    az_http_response resp = {0};
    route->fn(&f->app, &req, &resp);
    *status = resp.status;
    f->location[0] = f->etag[0] = '\0';
    for (size_t i = 0; i < resp.n_headers; i++) {
        if (strcmp(resp.headers[i].name, "Location") == 0)
            snprintf(f->location, sizeof f->location, "%s", resp.headers[i].value);
        if (strcmp(resp.headers[i].name, "ETag") == 0)
            snprintf(f->etag, sizeof f->etag, "%s", resp.headers[i].value);
    }
    json_t *doc = NULL;
    if (resp.body) {
        json_error_t err;
        doc = json_loadb(resp.body, resp.body_len, 0, &err);
        if (!doc)
            fail_msg("the answer is not JSON: %s: %.200s", err.text, resp.body);
        assert_string_equal(resp.content_type, "application/json");
    } else if (resp.static_body) {
        doc = json_loadb(resp.static_body, resp.body_len, 0, NULL);
    }
    az_http_response_clear(&resp);
    return doc;
}

static inline json_t *az_fx_call(az_fx *f, az_http_role role, const char *method, const char *target,
                                 const char *body, int *status)
{
    return az_fx_call_with(f, role, method, target, body, NULL, status);
}

/* The call must answer `want`; returns its JSON. On another status, fails showing the answer. */
static inline json_t *az_fx_expect(az_fx *f, az_http_role role, const char *method, const char *target,
                                   const char *body, int want)
{
    int status = 0;
    json_t *doc = az_fx_call(f, role, method, target, body, &status);
    if (getenv("AZ_FX_VERBOSE")) { /* show every answer: AZ_FX_VERBOSE=1 tests/test_http_api NAME */
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        fprintf(stderr, "%s %s -> %d %.600s\n", method, target, status, text ? text : "");
        free(text);
    }
    if (status != want) {
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        fail_msg("%s %s: status %d, not %d: %s", method, target, status, want, text ? text : "(no body)");
    }
    return doc;
}

/* The error object of an error answer (borrowed from doc). */
static inline json_t *az_fx_error(json_t *doc)
{
    json_t *e = json_object_get(doc, "error");
    assert_non_null(e);
    assert_true(json_is_string(json_object_get(e, "code")));
    assert_true(json_is_string(json_object_get(e, "message")));
    return e;
}

static inline const char *az_fx_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        fail_msg("no string \"%s\"", key);
    return s;
}

/* Sleep ms milliseconds. */
static inline void az_fx_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
