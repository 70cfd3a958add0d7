/* The JSON API's routes (/api/v1, docs/http-api.md) and the OpenAPI document that describes them. The
 * session, the event stream, /metrics and the health checks are other parts' (auth, events, metrics). */
#include <string.h>

#include "api_handlers.h"
#include "assets.h"

/* More specific patterns first: /api/v1/tasks/bulk before /api/v1/tasks/{id}. */
const az_http_route az_http_api_routes[] = {
    {"GET", "/api/v1/openapi.json", AZ_HTTP_ROLE_NONE, az_api_openapi},
    {"GET", "/api/v1/status", AZ_HTTP_ROLE_VIEWER, az_api_status},
    {"GET", "/api/v1/tasks", AZ_HTTP_ROLE_VIEWER, az_api_tasks_list},
    {"POST", "/api/v1/tasks", AZ_HTTP_ROLE_OPERATOR, az_api_task_create},
    {"POST", "/api/v1/tasks/bulk", AZ_HTTP_ROLE_OPERATOR, az_api_tasks_bulk},
    {"GET", "/api/v1/tasks/{id}", AZ_HTTP_ROLE_VIEWER, az_api_task_get},
    {"PATCH", "/api/v1/tasks/{id}", AZ_HTTP_ROLE_OPERATOR, az_api_task_update},
    {"DELETE", "/api/v1/tasks/{id}", AZ_HTTP_ROLE_OPERATOR, az_api_task_delete},
    {"POST", "/api/v1/tasks/{id}/pause", AZ_HTTP_ROLE_OPERATOR, az_api_task_pause},
    {"POST", "/api/v1/tasks/{id}/resume", AZ_HTTP_ROLE_OPERATOR, az_api_task_resume},
    {"POST", "/api/v1/tasks/{id}/run", AZ_HTTP_ROLE_OPERATOR, az_api_task_run},
    {"POST", "/api/v1/preview", AZ_HTTP_ROLE_VIEWER, az_api_preview},
    {"GET", "/api/v1/runs", AZ_HTTP_ROLE_VIEWER, az_api_runs_list},
    {"GET", "/api/v1/runs/{run_id}", AZ_HTTP_ROLE_VIEWER, az_api_run_get},
    {"GET", "/api/v1/audit", AZ_HTTP_ROLE_VIEWER, az_api_audit_list},
    {"GET", "/api/v1/instances", AZ_HTTP_ROLE_VIEWER, az_api_instances},
    {"GET", "/api/v1/quarantine", AZ_HTTP_ROLE_VIEWER, az_api_quarantine_list},
    {"POST", "/api/v1/quarantine/{store}/{task}/retry", AZ_HTTP_ROLE_ADMIN, az_api_quarantine_retry},
    {"DELETE", "/api/v1/quarantine/{store}/{task}", AZ_HTTP_ROLE_ADMIN, az_api_quarantine_drop},
    {NULL, NULL, AZ_HTTP_ROLE_NONE, NULL},
};

/* Whether an If-None-Match header names etag (a list, or "*"). */
static bool etag_matches(const char *header, const char *etag)
{
    if (!header)
        return false;
    if (strcmp(header, "*") == 0)
        return true;
    size_t n = strlen(etag);
    for (const char *p = strstr(header, etag); p; p = strstr(p + 1, etag))
        if ((p == header || p[-1] == ' ' || p[-1] == ',' ||
             (p >= header + 2 && p[-2] == 'W' && p[-1] == '/')) &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
    return false;
}

void az_api_openapi(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)app;
    const az_http_asset *a = az_http_asset_find("openapi.json");
    if (!a) {
        az_http_reply_error(resp, 404, "not_found", "this build has no OpenAPI document");
        return;
    }
    if (az_http_add_header(resp, "ETag", a->etag) || az_http_add_header(resp, "Cache-Control", "no-cache")) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return;
    }
    if (etag_matches(az_http_header(req, "If-None-Match"), a->etag)) {
        resp->status = 304;
        return;
    }
    resp->status = 200;
    resp->static_body = a->data;
    resp->body_len = a->len;
    resp->content_type = a->content_type;
}
