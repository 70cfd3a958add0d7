/* What the handlers of the JSON API (api_*.c) share: reading a request's JSON body and query parameters
 * (400 and 415 answers), opaque cursors, the stores of the daemon's config, finding a task across them,
 * library errors as HTTP statuses and error codes, the principal as the audit trail's actor, and pages
 * merged across stores.
 *
 * Every function that can answer the request itself takes the response: when it returns -1 (or NULL), the
 * response holds the error answer and the handler just returns. Every function may be called from any
 * thread (handlers run on connection threads, many at once). Docs: docs/http-api.md.
 */
#ifndef AZ_CLI_HTTP_API_COMMON_H
#define AZ_CLI_HTTP_API_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "http.h"
#include "manage.h"

/* Items per page: ?limit=N, default and most. */
#define AZ_API_PAGE_DEFAULT 50
#define AZ_API_PAGE_MAX 500
/* The longest ?cursor accepted (bytes of its text). */
#define AZ_API_CURSOR_MAX 4096

/* ---- requests ------------------------------------------------------------------------------------------ */

/* The request's body as a JSON object (a new reference). Answers 415 when its Content-Type is not
 * application/json, 400 when there is no body, it is not JSON (the message says where: "line 1, column 9:
 * ...") or not an object; then returns NULL. */
json_t *az_api_body(const az_http_request *req, az_http_response *resp);

/* ?limit: AZ_API_PAGE_DEFAULT when absent, 1 to AZ_API_PAGE_MAX. Returns 0, or -1 having answered 400. */
int az_api_limit(const az_http_request *req, az_http_response *resp, size_t *out);

/* ?name as a boolean (true, false, 1, 0, yes, no); def when absent. Returns 0, or -1 having answered 400. */
int az_api_bool_param(const az_http_request *req, az_http_response *resp, const char *name, bool def,
                      bool *out);

/* Answer 400 about query parameter name: {"error": {"code": "invalid_parameter", "parameter": NAME,
 * "message": ...}}. Returns -1. */
int az_api_bad_param(az_http_response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A point in time of ?since / ?until: a duration back from now ("1h", "2d") or an ISO-8601 time (naive
 * ones in zone). Absent: ASYNCZ_TIME_NONE. Returns 0, or -1 having answered 400. */
int az_api_time_param(const az_http_request *req, az_http_response *resp, const char *name,
                      const asyncz_zone *zone, asyncz_time_t *out);

/* ---- cursors --------------------------------------------------------------------------------------------
 * A cursor is a small JSON object written as base64url (no padding): opaque to clients, checked when it
 * comes back (a cursor of another listing, or one that was edited, is a 400). */

/* doc (stolen) as a cursor text (new, malloc'd); NULL when out of memory. */
char *az_api_cursor_make(json_t *doc);

/* ?cursor as the object it was made of (a new reference), NULL in *out when absent. kind names the listing
 * for messages ("tasks"). Returns 0, or -1 having answered 400. */
int az_api_cursor_param(const az_http_request *req, az_http_response *resp, const char *kind, json_t **out);

/* Answer 400: ?cursor is not one this listing handed out. Returns -1. */
int az_api_bad_cursor(az_http_response *resp, const char *kind);

/* ---- stores -------------------------------------------------------------------------------------------- */

/* The store of the config called name, or NULL. */
const az_cfg_store *az_api_store(const az_http_app *app, const char *name);

/* The names of the config's stores as "default, archive" into buf (size bytes). */
void az_api_store_names(const az_http_app *app, char *buf, size_t size);

/* ?store: *out is the store's name (borrowed from the request), or NULL when absent. Answers 404 for a
 * store the config does not have (the message lists those it has) and returns -1; else 0. */
int az_api_store_param(const az_http_app *app, const az_http_request *req, az_http_response *resp,
                       const char **out);

/* The API's own connection to a persistent store of the config, for what the scheduler's API has no call for
 * (instances, quarantine): opened and connected for inspection (asyncz_store_connect_inspect: nothing it
 * reads is quarantined or run) the first time, then kept (stores serialise their operations, so threads
 * share it). *out is borrowed until az_http_api_close. Errors, with the reason in why (size bytes; the
 * store's message names the store by its masked URL): ASYNCZ_EUNSUPPORTED (a memory store: its tasks live in
 * the scheduler only), ASYNCZ_ENOMEM, asyncz_store_open's and the connection's. */
int az_api_store_conn(const az_cfg_store *cs, asyncz_store **out, char *why, size_t size);

/* Close the connections az_api_store_conn opened. Call when the server has stopped (no handler running). */
void az_http_api_close(void);

/* ---- tasks --------------------------------------------------------------------------------------------- */

/* Whether t runs a shell command (the `command` key). */
bool az_api_is_command(const asyncz_task *t);

/* The task with this id in store (NULL: any store) as *out (a new copy). Answers 404 ("no task 'x' in store
 * 'default'", "... in any store") or, with no store named and the id in several stores, 409 naming them
 * (add ?store=), and returns -1; library failures as az_api_fail. */
int az_api_find_task(az_http_app *app, const char *id, const char *store, az_http_response *resp,
                     asyncz_task **out);

/* t as the API shows it: az_cli_task_json(t, app->zone, full) plus "store". NULL when out of memory. */
json_t *az_api_task_json(const az_http_app *app, const asyncz_task *t, bool full);

/* The runs of one store through the scheduler (asyncz_scheduler_list_runs), as an az_cli_runs_fn for
 * az_cli_last_runs_with: ctx is an az_api_runs_ctx. */
typedef struct az_api_runs_ctx {
    az_http_app *app;
    const char *store;
} az_api_runs_ctx;
int az_api_list_runs(void *ctx, const asyncz_history_query *q, asyncz_run_record_fn fn, void *userdata,
                     char *next_cursor);

/* A task's last run as the task listing shows it: {"run_id", "outcome", "started", "finished"} (times with
 * their _us), or JSON null for NULL. NULL when out of memory. */
json_t *az_api_last_run_json(const az_http_app *app, const asyncz_run_record *r);

/* Whether req's principal may make or change a task that runs a shell command: role admin and [http]
 * allow_commands = true. When not, answers 403 saying which is missing (what: "create a task with a
 * command") and returns -1; else 0. */
int az_api_check_commands(const az_http_app *app, const az_http_request *req, az_http_response *resp,
                          const char *what);

/* ---- errors ----------------------------------------------------------------------------------------------
 */

/* The HTTP status and error code of an ASYNCZ_E* code: ENOTFOUND 404 not_found, EEXISTS 409
 * already_exists, ESTATE 409 conflict, EINVAL/EPARSE/ERANGE/EZONE/ESEARCH/ETZDATA 422 invalid, ETOOBIG 413
 * too_large, EUNSUPPORTED 409 unsupported, ESTORE/EIO/ECRYPTO 503 store_unavailable, the rest 500 internal.
 */
int az_api_http_status(int rc);
const char *az_api_error_code(int rc);

/* Answer a failed library call: az_api_http_status(rc), az_api_error_code(rc), and the message "PREFIX:
 * REASON" where PREFIX is fmt's text and REASON is reason (asyncz_scheduler_errmsg() or
 * asyncz_store_errmsg()), or asyncz_strerror(rc) when reason is NULL or empty. Returns -1. */
int az_api_fail(az_http_response *resp, int rc, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- the audit trail's actor ------------------------------------------------------------------------------
 */

/* Name req's principal as the actor of this thread's changes, "api:NAME (ROLE, via token|session)"
 * (asyncz_set_actor), until az_api_actor_end. */
void az_api_actor_begin(const az_http_request *req);
void az_api_actor_end(void);

/* ---- pages merged across stores ---------------------------------------------------------------------------
 * Runs and audit entries are listed newest first by their ids (UUIDv7: they sort by time), each store with
 * its own cursor. A page of several stores takes the newest `limit` of their pages; its cursor holds each
 * store's position after the items it gave. */

/* List up to limit items of store from cursor (the store's own cursor; "" from the newest), appending them
 * (JSON objects whose key `key` is their id) to items, and the store's cursor of the next page to next
 * (ASYNCZ_HISTORY_CURSOR_SIZE bytes; "" after the last). Returns 0 or an ASYNCZ_E* code (the message
 * in asyncz_scheduler_errmsg()). */
typedef int (*az_api_store_page_fn)(az_http_app *app, const char *store, const char *cursor, size_t limit,
                                    void *ctx, json_t *items, char *next);

typedef struct az_api_merge {
    const char *kind; /* "runs", "audit": the cursor's kind, in messages */
    const char *key;  /* the items' id key: "run_id", "id" */
    az_api_store_page_fn page;
    void *ctx;
    /* Stores without this kind of record (fn gave ASYNCZ_EUNSUPPORTED) are left out; a listing of one named
     * store answers 409 instead, with this message ("the %s store keeps no run history"). */
    const char *unsupported;
} az_api_merge;

/* Answer a page of the stores (store: one name, or NULL for every store of the config): {"items": [...],
 * "next_cursor": "..." | null}, with ?limit and ?cursor read from req. Returns 0 or -1 (answered). */
int az_api_merged_page(az_http_app *app, const az_http_request *req, az_http_response *resp,
                       const char *store, const az_api_merge *m);

#endif
