/* Every task of the scheduler's stores, read at once and sorted three ways, shared by the requests that
 * list or count tasks (GET /api/v1/tasks, /status).
 *
 * Reading every task costs in proportion to the stores' size (a SQLite store of 100,000 tasks: about half a
 * second), and a page of the listing needs them all (to filter, count and sort). So the tasks are read once
 * and shared: while a read is cheap (under AZ_API_SNAPSHOT_CHEAP) every request gets one made after it
 * arrived, as if it had read the stores itself; when reads are expensive, a snapshot serves for a while
 * (ten times its cost, AZ_API_SNAPSHOT_MIN_AGE to AZ_API_SNAPSHOT_MAX_AGE) and the request that finds it
 * old reads again while the others go on with the old one. A change made through the API invalidates it:
 * the next request waits for a fresh read, so that a client sees its own changes. Changes the scheduler makes
 * itself (next run times moving on) show within the snapshot's age. Any thread.
 */
#ifndef AZ_CLI_HTTP_API_SNAPSHOT_H
#define AZ_CLI_HTTP_API_SNAPSHOT_H

#include <stddef.h>

#include "http.h"

#define AZ_API_SNAPSHOT_CHEAP (10 * 1000)                  /* usec */
#define AZ_API_SNAPSHOT_MIN_AGE (1 * ASYNCZ_USEC_PER_SEC)  /* usec */
#define AZ_API_SNAPSHOT_MAX_AGE (10 * ASYNCZ_USEC_PER_SEC) /* usec */

/* The orders a snapshot keeps, each ascending, ties broken by id then store. */
typedef enum az_api_order {
    AZ_API_BY_NEXT = 0, /* next run time, tasks without one last */
    AZ_API_BY_ID,
    AZ_API_BY_NAME,
    AZ_API_N_ORDERS
} az_api_order;

/* What a task sorts by (borrowed from the task). */
typedef struct az_api_task_key {
    const char *id, *name, *store;
    asyncz_time_t next; /* ASYNCZ_TIME_NONE: none (sorts after every time) */
} az_api_task_key;

typedef struct az_api_row {
    az_api_task_key key;
    const asyncz_task *task;
} az_api_row;

typedef struct az_api_snapshot {
    asyncz_task_list *list; /* every task of every store (copies, with their store alias) */
    size_t n;
    az_api_row *by[AZ_API_N_ORDERS]; /* the tasks in each order */
    asyncz_time_t taken;             /* when it was read */
    unsigned refs;                   /* under the cache's lock */
} az_api_snapshot;

/* A snapshot of app's tasks, as the rules above make it (a reference: az_api_snapshot_release). Errors:
 * asyncz_scheduler_list_tasks's (the message in asyncz_scheduler_errmsg()), ASYNCZ_ENOMEM. */
int az_api_snapshot_get(az_http_app *app, az_api_snapshot **out);
void az_api_snapshot_release(az_api_snapshot *snap);

/* A change was made to app's tasks: the next snapshot is read after it. */
void az_api_snapshot_invalidate(const az_http_app *app);

/* Compare two keys in order (ascending; ties by id, then store): <0, 0, >0. */
int az_api_key_cmp(const az_api_task_key *a, const az_api_task_key *b, az_api_order order);

/* Drop the snapshot kept (at close, and between tests). */
void az_api_snapshot_clear(void);

/* After a change made through the API: the snapshot is invalidated and the status counts its tasks and
 * runs again (api_status.c). */
void az_api_changed(const az_http_app *app);

/* Forget the status page's counts (api_status.c). */
void az_api_status_forget(void);

#endif
