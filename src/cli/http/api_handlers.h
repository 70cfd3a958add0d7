/* The handlers of the JSON API (/api/v1), listed in the route table of api.c. Each one answers one route
 * of docs/http-api.md (the contract src/cli/http/openapi.json describes), on a connection thread, through
 * the scheduler's thread-safe API. The route's least role was checked by the server; a handler checks only
 * what depends on the request (a task that runs a shell command). */
#ifndef AZ_CLI_HTTP_API_HANDLERS_H
#define AZ_CLI_HTTP_API_HANDLERS_H

#include "http.h"

/* api.c */
void az_api_openapi(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_status.c */
void az_api_status(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_tasks.c */
void az_api_tasks_list(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_task_get(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_task_edit.c */
void az_api_task_create(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_task_update(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_task_ops.c */
void az_api_task_delete(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_task_pause(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_task_resume(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_task_run(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_tasks_bulk(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_preview.c */
void az_api_preview(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_runs.c */
void az_api_runs_list(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_run_get(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_audit.c */
void az_api_audit_list(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_instances.c */
void az_api_instances(az_http_app *app, az_http_request *req, az_http_response *resp);
/* api_quarantine.c */
void az_api_quarantine_list(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_quarantine_retry(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_api_quarantine_drop(az_http_app *app, az_http_request *req, az_http_response *resp);

#endif
