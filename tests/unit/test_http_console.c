/* The web console's routes (src/cli/http/console.c): the page, its assets, unknown files and names that try
 * to leave the assets directory (404), ETag revalidation (304), cache headers and the redirect of "/" under
 * a prefix. */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "az_test.h"
#include "http/assets.h"
#include "http/http.h"

static const az_http_route *const tables[] = {az_http_console_routes};

/* Route and answer a GET of path with the given prefix and If-None-Match (either may be NULL). Returns
 * what the router said; resp is filled when a route matched. */
static az_http_match get(const char *path, const char *prefix, const char *if_none_match,
                         az_http_response *resp)
{
    static az_http_pair headers[1];
    headers[0] = (az_http_pair){"if-none-match", if_none_match};
    az_http_request req = {.method = "GET",
                           .path = path,
                           .prefix = prefix ? prefix : "",
                           .headers = headers,
                           .n_headers = if_none_match ? 1 : 0};
    const az_http_route *route = NULL;
    *resp = (az_http_response){0};
    az_http_match m = az_http_route_find(tables, 1, &req, &route, NULL, 0);
    if (m == AZ_HTTP_MATCHED) {
        assert_int_equal(route->role, AZ_HTTP_ROLE_NONE);
        route->fn(NULL, &req, resp);
    }
    return m;
}

/* The value of the response's header called name, or NULL. */
static const char *header(const az_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

static void assert_not_found(az_http_response *resp)
{
    assert_int_equal(resp->status, 404);
    assert_string_equal(resp->content_type, "application/json");
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "code")),
                        "not_found");
    json_decref(doc);
    assert_null(resp->static_body);
}

/* A 404 for a name refused before any lookup (it says why, without echoing the name). */
static void assert_refused(az_http_response *resp)
{
    assert_not_found(resp);
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    const char *message = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    assert_non_null(message);
    assert_non_null(strstr(message, "a file name of its assets is 1 to 128 of"));
    json_decref(doc);
}

static void test_index_page(void **state)
{
    (void)state;
    az_http_response resp;
    assert_int_equal(get("/console/", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    const az_http_asset *a = az_http_asset_find("console/index.html");
    assert_non_null(a);
    assert_int_equal(resp.status, 200);
    assert_ptr_equal(resp.static_body, a->data);
    assert_int_equal(resp.body_len, a->len);
    assert_null(resp.body);
    assert_string_equal(resp.content_type, "text/html; charset=utf-8");
    assert_string_equal(header(&resp, "ETag"), a->etag);
    assert_string_equal(header(&resp, "Cache-Control"), "no-cache");
    /* the page loads its script as a module from assets/ (no inline script: the CSP forbids it) */
    assert_non_null(strstr((const char *)a->data, "<script type=\"module\" src=\"assets/app.js\"></script>"));
    assert_null(strstr((const char *)a->data, "style="));
    az_http_response_clear(&resp);
}

static void test_asset(void **state)
{
    (void)state;
    az_http_response resp;
    assert_int_equal(get("/console/assets/app.js", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    const az_http_asset *a = az_http_asset_find("console/assets/app.js");
    assert_non_null(a);
    assert_int_equal(resp.status, 200);
    assert_ptr_equal(resp.static_body, a->data);
    assert_int_equal(resp.body_len, a->len);
    assert_string_equal(resp.content_type, "text/javascript; charset=utf-8");
    assert_string_equal(header(&resp, "ETag"), a->etag);
    assert_string_equal(header(&resp, "Cache-Control"), "max-age=60");
    az_http_response_clear(&resp);

    assert_int_equal(get("/console/assets/app.css", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/css; charset=utf-8");
    az_http_response_clear(&resp);
}

static void test_unknown_file(void **state)
{
    (void)state;
    az_http_response resp;
    assert_int_equal(get("/console/assets/nope.js", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    assert_not_found(&resp);
    json_t *doc = json_loadb(resp.body, resp.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "message")),
                        "the console has no file 'assets/nope.js'");
    json_decref(doc);
    az_http_response_clear(&resp);
    /* index.html is the page, not an asset; nor is anything outside console/ (the OpenAPI document) */
    assert_int_equal(get("/console/assets/index.html", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    assert_not_found(&resp);
    az_http_response_clear(&resp);
    /* other paths under /console/ are no route of the console's */
    assert_int_equal(get("/console/index.html", NULL, NULL, &resp), AZ_HTTP_NO_ROUTE);
    assert_int_equal(get("/console/assets/", NULL, NULL, &resp), AZ_HTTP_NO_ROUTE);
    assert_int_equal(get("/console/assets/sub/app.js", NULL, NULL, &resp), AZ_HTTP_NO_ROUTE);
}

static void test_path_traversal(void **state)
{
    (void)state;
    az_http_response resp;
    /* The server decodes the path first: "..%2f..%2fetc%2fpasswd" becomes segments, which no route has. */
    assert_int_equal(get("/console/assets/../../etc/passwd", NULL, NULL, &resp), AZ_HTTP_NO_ROUTE);
    /* Names that reach the handler as one segment are refused before any lookup. */
    static const char *const bad[] = {
        "/console/assets/..",
        "/console/assets/.",
        "/console/assets/..%2f..%2fetc%2fpasswd",
        "/console/assets/..\\..\\openapi.json",
        "/console/assets/.hidden",
        "/console/assets/app.js%00",
        "/console/assets/app .js",
        "/console/assets/x..js",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(get(bad[i], NULL, NULL, &resp), AZ_HTTP_MATCHED);
        assert_refused(&resp);
        az_http_response_clear(&resp);
    }
    /* too long a name */
    char path[400] = "/console/assets/";
    memset(path + strlen(path), 'a', 200);
    assert_int_equal(get(path, NULL, NULL, &resp), AZ_HTTP_MATCHED);
    assert_refused(&resp);
    az_http_response_clear(&resp);
    /* a plain name that is simply not there: the 404 names it */
    assert_int_equal(get("/console/assets/app.js.map", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    assert_not_found(&resp);
    json_t *doc = json_loadb(resp.body, resp.body_len, 0, NULL);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(doc, "error"), "message")),
                           "'assets/app.js.map'"));
    json_decref(doc);
    az_http_response_clear(&resp);
}

static void test_etag_revalidation(void **state)
{
    (void)state;
    az_http_response resp;
    const az_http_asset *a = az_http_asset_find("console/assets/app.js");
    assert_non_null(a);
    char weak[64], list[128];
    snprintf(weak, sizeof weak, "W/%s", a->etag);
    snprintf(list, sizeof list, "\"0000\", %s", a->etag);
    const char *const matching[] = {a->etag, weak, list, "*"};
    for (size_t i = 0; i < sizeof matching / sizeof *matching; i++) {
        assert_int_equal(get("/console/assets/app.js", NULL, matching[i], &resp), AZ_HTTP_MATCHED);
        assert_int_equal(resp.status, 304);
        assert_null(resp.static_body);
        assert_null(resp.body);
        assert_string_equal(header(&resp, "ETag"), a->etag);
        assert_string_equal(header(&resp, "Cache-Control"), "max-age=60");
        az_http_response_clear(&resp);
    }
    /* another file's tag, a tag cut short, garbage: the whole file */
    const az_http_asset *index = az_http_asset_find("console/index.html");
    char cut[64];
    snprintf(cut, sizeof cut, "%.*s\"", (int)strlen(a->etag) - 2, a->etag);
    const char *const other[] = {index->etag, cut, "", "\"", "W/", ","};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        assert_int_equal(get("/console/assets/app.js", NULL, other[i], &resp), AZ_HTTP_MATCHED);
        assert_int_equal(resp.status, 200);
        assert_ptr_equal(resp.static_body, a->data);
        az_http_response_clear(&resp);
    }
    /* the page too */
    assert_int_equal(get("/console/", NULL, index->etag, &resp), AZ_HTTP_MATCHED);
    assert_int_equal(resp.status, 304);
    assert_string_equal(header(&resp, "Cache-Control"), "no-cache");
    az_http_response_clear(&resp);
}

static void test_redirect(void **state)
{
    (void)state;
    az_http_response resp;
    assert_int_equal(get("/", NULL, NULL, &resp), AZ_HTTP_MATCHED);
    assert_int_equal(resp.status, 302);
    assert_string_equal(header(&resp, "Location"), "/console/");
    az_http_response_clear(&resp);
    assert_int_equal(get("/", "/asyncz", NULL, &resp), AZ_HTTP_MATCHED);
    assert_int_equal(resp.status, 302);
    assert_string_equal(header(&resp, "Location"), "/asyncz/console/");
    az_http_response_clear(&resp);
    /* without the trailing slash the page's relative links would miss: redirected too */
    assert_int_equal(get("/console", "/ops/asyncz", NULL, &resp), AZ_HTTP_MATCHED);
    assert_int_equal(resp.status, 302);
    assert_string_equal(header(&resp, "Location"), "/ops/asyncz/console/");
    az_http_response_clear(&resp);
    /* a prefix that would send the browser to another site is not used */
    static const char *const foreign[] = {"//evil.example", "/\\evil.example", "https://evil.example",
                                          "/a\r\nSet-Cookie: x=1", "/a b"};
    for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++) {
        assert_int_equal(get("/", foreign[i], NULL, &resp), AZ_HTTP_MATCHED);
        assert_int_equal(resp.status, 302);
        assert_string_equal(header(&resp, "Location"), "/console/");
        az_http_response_clear(&resp);
    }
}

static void test_methods(void **state)
{
    (void)state;
    az_http_request req = {.method = "POST", .path = "/console/", .prefix = ""};
    const az_http_route *route = NULL;
    char allow[32];
    assert_int_equal(az_http_route_find(tables, 1, &req, &route, allow, sizeof allow),
                     AZ_HTTP_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "GET");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_page),        cmocka_unit_test(test_asset),
        cmocka_unit_test(test_unknown_file),      cmocka_unit_test(test_path_traversal),
        cmocka_unit_test(test_etag_revalidation), cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_methods),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
