/* The HTTP server's router and response helpers (src/cli/http/router.c, response.c). */
#include <jansson.h>
#include <string.h>

#include "az_test.h"
#include "http/http.h"

static void handler(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)app, (void)req, (void)resp;
}

static const az_http_route table_a[] = {
    {"GET", "/api/v1/tasks", AZ_HTTP_ROLE_VIEWER, handler},
    {"POST", "/api/v1/tasks", AZ_HTTP_ROLE_OPERATOR, handler},
    {"GET", "/api/v1/tasks/{id}", AZ_HTTP_ROLE_VIEWER, handler},
    {"PATCH", "/api/v1/tasks/{id}", AZ_HTTP_ROLE_OPERATOR, handler},
    {"POST", "/api/v1/tasks/{id}/pause", AZ_HTTP_ROLE_OPERATOR, handler},
    {NULL, NULL, 0, NULL},
};
static const az_http_route table_b[] = {
    {"GET", "/api/v1/stores/{store}/runs/{run}", AZ_HTTP_ROLE_VIEWER, handler},
    {"GET", "/healthz", AZ_HTTP_ROLE_NONE, handler},
    {NULL, NULL, 0, NULL},
};
static const az_http_route *const tables[] = {table_a, table_b};

static az_http_match find(const char *method, const char *path, az_http_request *req,
                          const az_http_route **route, char *allow)
{
    *req = (az_http_request){.method = method, .path = path};
    return az_http_route_find(tables, 2, req, route, allow, 64);
}

static void test_route_exact_and_params(void **state)
{
    (void)state;
    az_http_request req;
    const az_http_route *route = NULL;
    char allow[64];
    assert_int_equal(find("GET", "/api/v1/tasks", &req, &route, allow), AZ_HTTP_MATCHED);
    assert_ptr_equal(route, &table_a[0]);
    assert_int_equal(req.n_params, 0);
    assert_int_equal(find("GET", "/api/v1/tasks/backup", &req, &route, allow), AZ_HTTP_MATCHED);
    assert_ptr_equal(route, &table_a[2]);
    assert_string_equal(az_http_param(&req, "id"), "backup");
    assert_null(az_http_param(&req, "store"));
    assert_int_equal(find("GET", "/api/v1/stores/default/runs/0190", &req, &route, allow), AZ_HTTP_MATCHED);
    assert_string_equal(az_http_param(&req, "store"), "default");
    assert_string_equal(az_http_param(&req, "run"), "0190");
}

static void test_route_not_found_and_wrong_method(void **state)
{
    (void)state;
    az_http_request req;
    const az_http_route *route = NULL;
    char allow[64];
    assert_int_equal(find("GET", "/api/v1/task", &req, &route, allow), AZ_HTTP_NO_ROUTE);
    assert_int_equal(find("GET", "/api/v1/tasks/", &req, &route, allow), AZ_HTTP_NO_ROUTE);    /* empty id */
    assert_int_equal(find("GET", "/api/v1/tasks/a/b", &req, &route, allow), AZ_HTTP_NO_ROUTE); /* too long */
    assert_int_equal(find("GET", "/", &req, &route, allow), AZ_HTTP_NO_ROUTE);
    assert_int_equal(find("DELETE", "/api/v1/tasks", &req, &route, allow), AZ_HTTP_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "GET, POST");
    assert_int_equal(find("POST", "/api/v1/tasks/x", &req, &route, allow), AZ_HTTP_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "GET, PATCH");
    assert_int_equal(find("GET", "/api/v1/tasks/x/pause", &req, &route, allow), AZ_HTTP_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "POST");
}

static void test_request_lookups(void **state)
{
    (void)state;
    az_http_pair query[] = {{"state", "paused"}, {"state", "running"}};
    az_http_pair headers[] = {{"Content-Type", "application/json"}};
    az_http_pair cookies[] = {{"asyncz_session", "abc"}};
    az_http_request req = {
        .query = query, .n_query = 2, .headers = headers, .n_headers = 1, .cookies = cookies, .n_cookies = 1};
    assert_string_equal(az_http_query(&req, "state"), "paused");
    assert_null(az_http_query(&req, "State"));
    assert_string_equal(az_http_header(&req, "content-type"), "application/json");
    assert_string_equal(az_http_cookie(&req, "asyncz_session"), "abc");
    assert_null(az_http_cookie(&req, "ASYNCZ_SESSION"));
}

static void test_error_reply_shape(void **state)
{
    (void)state;
    az_http_response resp = {0};
    assert_int_equal(az_http_reply_error(&resp, 404, "not_found", "no task '%s'", "x"), 0);
    assert_int_equal(resp.status, 404);
    assert_string_equal(resp.content_type, "application/json");
    json_t *doc = json_loadb(resp.body, resp.body_len, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "code")),
                        "not_found");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "message")),
                        "no task 'x'");
    json_decref(doc);
    assert_int_equal(
        az_http_reply_error_with(&resp, 422, "invalid_field", json_pack("{s:s}", "field", "cron"), "bad"), 0);
    doc = json_loadb(resp.body, resp.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "field")), "cron");
    json_decref(doc);
    assert_int_equal(az_http_add_header(&resp, "Location", "/x"), 0);
    az_http_response_clear(&resp);
    assert_null(resp.body);
    assert_int_equal(resp.n_headers, 0);
}

static void test_roles(void **state)
{
    (void)state;
    az_http_role r;
    assert_int_equal(az_http_role_parse("operator", &r), 0);
    assert_int_equal(r, AZ_HTTP_ROLE_OPERATOR);
    assert_int_equal(az_http_role_parse("none", &r), -1);
    assert_int_equal(az_http_role_parse("Admin", &r), -1);
    assert_string_equal(az_http_role_name(AZ_HTTP_ROLE_ADMIN), "admin");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_exact_and_params),
        cmocka_unit_test(test_route_not_found_and_wrong_method),
        cmocka_unit_test(test_request_lookups),
        cmocka_unit_test(test_error_reply_shape),
        cmocka_unit_test(test_roles),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
