/* What happens between the socket and a handler (src/cli/http/handle.c, az_http_handle): path checks,
 * base_path, routing answers (404, 405), authentication (401), roles (403), CSRF (403), content types
 * (415), HEAD, and the headers every response carries. Requests are built by hand, with real auth over a
 * tokens file and a users file in a temporary directory. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "az_test.h"
#include "events.h"
#include "metrics.h"
#include "server.h"
#include "settings.h"

typedef struct fx {
    char dir[64];
    char tokens[128], users[128];
    char viewer[64], admin[64];
    az_http_settings settings;
    az_http_app app;
    char cookie[128];
    char csrf[128];
} fx;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/az-http-server-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->tokens, sizeof f->tokens, "%s/tokens", f->dir);
    snprintf(f->users, sizeof f->users, "%s/users", f->dir);
    char vh[80], ah[80], line[512], hash[128], why[256];
    assert_int_equal(az_auth_token_make(f->viewer, vh), 0);
    assert_int_equal(az_auth_token_make(f->admin, ah), 0);
    snprintf(line, sizeof line, "watcher viewer %s\nroot admin %s\n", vh, ah);
    write_file(f->tokens, line);
    assert_int_equal(az_auth_password_hash("s3cret pass", hash, sizeof hash, why, sizeof why), 0);
    snprintf(line, sizeof line, "alice operator %s\n", hash);
    write_file(f->users, line);
    f->settings = (az_http_settings){.enabled = true,
                                     .base_path = "",
                                     .max_body = 1024,
                                     .tokens_file = f->tokens,
                                     .users_file = f->users,
                                     .session_idle_sec = 3600,
                                     .session_max_sec = 7200};
    f->app.settings = &f->settings;
    assert_int_equal(az_auth_new(&f->app.auth, &f->settings, why, sizeof why), 0);
    assert_int_equal(az_event_hub_new(&f->app.events), 0);
    assert_int_equal(az_metrics_new(&f->app.metrics), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    az_auth_free(f->app.auth);
    az_event_hub_free(f->app.events);
    az_metrics_free(f->app.metrics);
    unlink(f->tokens);
    unlink(f->users);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Handle METHOD PATH with the given headers and body; returns the status, the response in *resp. */
static int handle(fx *f, const char *method, const char *path, const az_http_pair *headers, size_t n_headers,
                  const char *body, az_http_response *resp)
{
    az_http_pair cookies[1] = {{"asyncz_session", f->cookie}};
    az_http_request req = {.method = method,
                           .path = path,
                           .headers = headers,
                           .n_headers = n_headers,
                           .cookies = cookies,
                           .n_cookies = f->cookie[0] ? 1 : 0,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .client = "127.0.0.1",
                           .prefix = f->settings.base_path};
    *resp = (az_http_response){0};
    const az_http_route *route;
    az_http_handle(&f->app, &req, resp, &route);
    az_http_secure_headers(&req, resp);
    return resp->status;
}

static const char *error_code(const az_http_response *resp)
{
    static char code[64];
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    snprintf(code, sizeof code, "%s",
             json_string_value(json_object_get(json_object_get(doc, "error"), "code")));
    json_decref(doc);
    return code;
}

static const char *header_of(const az_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

static void test_paths_refused_and_unknown(void **state)
{
    fx *f = *state;
    az_http_response r;
    assert_int_equal(handle(f, "GET", "/console/assets/../../etc/passwd", NULL, 0, NULL, &r), 400);
    assert_string_equal(error_code(&r), "bad_path");
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "GET", "/a/./b", NULL, 0, NULL, &r), 400);
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "GET", "/a\x01", NULL, 0, NULL, &r), 400);
    az_http_response_clear(&r);
    /* what the server's decoding leaves of %00, and an overlong '.' (%c0%ae) */
    assert_int_equal(handle(f, "GET", "/console/assets/app.js%00.png", NULL, 0, NULL, &r), 400);
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "GET", "/console/\xc0\xae\xc0\xae/x", NULL, 0, NULL, &r), 400);
    assert_string_equal(error_code(&r), "bad_path");
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "GET", "/api/v1/nothing", NULL, 0, NULL, &r), 404);
    assert_string_equal(error_code(&r), "not_found");
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "PUT", "/healthz", NULL, 0, NULL, &r), 405);
    assert_string_equal(header_of(&r, "Allow"), "GET");
    az_http_response_clear(&r);
}

static void test_base_path(void **state)
{
    fx *f = *state;
    f->settings.base_path = "/asyncz";
    az_http_response r;
    assert_int_equal(handle(f, "GET", "/asyncz/healthz", NULL, 0, NULL, &r), 200);
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "GET", "/healthz", NULL, 0, NULL, &r), 404);
    az_http_response_clear(&r);
    assert_int_equal(handle(f, "GET", "/asyncz-other/healthz", NULL, 0, NULL, &r), 404);
    az_http_response_clear(&r);
    f->settings.base_path = "";
}

static void test_authentication_and_roles(void **state)
{
    fx *f = *state;
    az_http_response r;
    assert_int_equal(handle(f, "GET", "/api/v1/events", NULL, 0, NULL, &r), 401);
    assert_string_equal(error_code(&r), "unauthenticated");
    assert_string_equal(header_of(&r, "WWW-Authenticate"), "Bearer realm=\"asyncz\"");
    az_http_response_clear(&r);
    char bearer[128];
    snprintf(bearer, sizeof bearer, "Bearer %s", f->viewer);
    az_http_pair h[] = {{"Authorization", bearer}};
    assert_int_equal(handle(f, "GET", "/metrics", h, 1, NULL, &r), 200);
    az_http_response_clear(&r);
    /* A wrong token is refused on a route that needs a role... */
    az_http_pair bad[] = {{"Authorization", "Bearer azt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}};
    assert_int_equal(handle(f, "GET", "/metrics", bad, 1, NULL, &r), 401);
    az_http_response_clear(&r);
    /* ...and ignored on one anyone may use. */
    assert_int_equal(handle(f, "GET", "/healthz", bad, 1, NULL, &r), 200);
    az_http_response_clear(&r);
}

static void test_session_csrf_and_content_type(void **state)
{
    fx *f = *state;
    az_http_response r;
    az_http_pair text[] = {{"Content-Type", "text/plain"}};
    assert_int_equal(handle(f, "POST", "/api/v1/session", text, 1,
                            "{\"user\":\"alice\",\"password\":\"s3cret pass\"}", &r),
                     415);
    assert_string_equal(error_code(&r), "unsupported_media_type");
    az_http_response_clear(&r);
    az_http_pair json[] = {{"Content-Type", "application/json; charset=utf-8"}};
    assert_int_equal(handle(f, "POST", "/api/v1/session", json, 1,
                            "{\"user\":\"alice\",\"password\":\"s3cret pass\"}", &r),
                     200);
    const char *set = header_of(&r, "Set-Cookie");
    assert_non_null(set);
    assert_non_null(strstr(set, "HttpOnly"));
    assert_non_null(strstr(set, "SameSite=Strict"));
    sscanf(set, "asyncz_session=%127[^;]", f->cookie);
    json_t *doc = json_loadb(r.body, r.body_len, 0, NULL);
    snprintf(f->csrf, sizeof f->csrf, "%s", json_string_value(json_object_get(doc, "csrf_token")));
    json_decref(doc);
    az_http_response_clear(&r);
    /* A change by session without the token, or with a wrong one: 403. */
    assert_int_equal(handle(f, "DELETE", "/api/v1/session", NULL, 0, NULL, &r), 403);
    assert_string_equal(error_code(&r), "csrf");
    az_http_response_clear(&r);
    az_http_pair wrong[] = {{"X-CSRF-Token", "nope"}};
    assert_int_equal(handle(f, "DELETE", "/api/v1/session", wrong, 1, NULL, &r), 403);
    az_http_response_clear(&r);
    /* A read needs none; the session's role reaches the route. */
    assert_int_equal(handle(f, "GET", "/metrics", NULL, 0, NULL, &r), 200);
    az_http_response_clear(&r);
    az_http_pair right[] = {{"X-CSRF-Token", f->csrf}};
    assert_int_equal(handle(f, "DELETE", "/api/v1/session", right, 1, NULL, &r), 204);
    az_http_response_clear(&r);
    /* The session is gone: the cookie is stale now. */
    assert_int_equal(handle(f, "GET", "/metrics", NULL, 0, NULL, &r), 401);
    az_http_response_clear(&r);
    f->cookie[0] = '\0';
}

static void test_head_and_security_headers(void **state)
{
    fx *f = *state;
    az_http_response r;
    assert_int_equal(handle(f, "HEAD", "/healthz", NULL, 0, NULL, &r), 200);
    assert_non_null(strstr(header_of(&r, "Content-Security-Policy"), "script-src 'self'"));
    assert_non_null(strstr(header_of(&r, "Content-Security-Policy"), "frame-ancestors 'none'"));
    assert_string_equal(header_of(&r, "X-Content-Type-Options"), "nosniff");
    assert_string_equal(header_of(&r, "X-Frame-Options"), "DENY");
    assert_string_equal(header_of(&r, "Referrer-Policy"), "no-referrer");
    assert_string_equal(header_of(&r, "Cache-Control"), "no-store");
    assert_null(header_of(&r, "Strict-Transport-Security"));
    az_http_response_clear(&r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paths_refused_and_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication_and_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_csrf_and_content_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_and_security_headers, setup, teardown),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
