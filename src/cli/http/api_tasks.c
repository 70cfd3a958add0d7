/* GET /api/v1/tasks (filtered, sorted, a page at a time, each with its last run) and GET /api/v1/tasks/{id}
 * (the whole task, its next run times and its last run).
 *
 * The listing reads the tasks of the stores through the scheduler, keeps those the filters match, sorts
 * them and cuts a page after the cursor's position: the cursor holds the sort and the sort key, id and
 * store of the page's last task, so that a task added or removed between two pages shifts nothing (each
 * task that stays is listed exactly once). */
#define _GNU_SOURCE /* qsort_r, strcasestr */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"

/* How many next run times a task's page shows. */
#define NEXT_RUNS 5

typedef enum sort_key { SORT_NEXT, SORT_ID, SORT_NAME } sort_key;

typedef struct sort_spec {
    sort_key key;
    bool desc;
    const char *text; /* as given ("-name"), for the cursor */
} sort_spec;

/* What a task sorts by. */
typedef struct task_key {
    const char *id, *name, *store;
    asyncz_time_t next; /* ASYNCZ_TIME_NONE sorts after every time */
} task_key;

typedef struct row {
    task_key key;
    const asyncz_task *task;
} row;

/* ---- the query --------------------------------------------------------------------------------------- */

typedef struct list_query {
    const char *store, *q;
    unsigned states;
    sort_spec sort;
    size_t limit;
    json_t *cursor;
} list_query;

static int parse_sort(const az_http_request *req, az_http_response *resp, sort_spec *out)
{
    const char *text = az_http_query(req, "sort");
    *out = (sort_spec){SORT_NEXT, false, "next_run_time"};
    if (!text)
        return 0;
    out->text = text;
    out->desc = text[0] == '-';
    const char *name = text + out->desc;
    if (strcmp(name, "next_run_time") == 0)
        out->key = SORT_NEXT;
    else if (strcmp(name, "id") == 0)
        out->key = SORT_ID;
    else if (strcmp(name, "name") == 0)
        out->key = SORT_NAME;
    else
        return az_api_bad_param(resp, "sort",
                                "'%.40s': sort by id, name or next_run_time, with a leading - for descending",
                                text);
    return 0;
}

static int parse_state(const az_http_request *req, az_http_response *resp, unsigned *out)
{
    const char *text = az_http_query(req, "state");
    *out = ASYNCZ_TASK_STATE_ALL;
    if (!text || strcmp(text, "all") == 0)
        return 0;
    if (strcmp(text, "scheduled") == 0)
        *out = ASYNCZ_TASK_STATE_SCHEDULED;
    else if (strcmp(text, "paused") == 0)
        *out = ASYNCZ_TASK_STATE_PAUSED;
    else if (strcmp(text, "shutdown") == 0)
        *out = ASYNCZ_TASK_STATE_SHUTDOWN;
    else
        return az_api_bad_param(resp, "state", "'%.40s': give scheduled, paused, shutdown or all", text);
    return 0;
}

static int parse_query(az_http_app *app, const az_http_request *req, az_http_response *resp, list_query *q)
{
    *q = (list_query){.q = az_http_query(req, "q")};
    if (az_api_store_param(app, req, resp, &q->store) || parse_state(req, resp, &q->states) ||
        parse_sort(req, resp, &q->sort) || az_api_limit(req, resp, &q->limit) ||
        az_api_cursor_param(req, resp, "tasks", &q->cursor))
        return -1;
    if (q->cursor && !json_is_string(json_object_get(q->cursor, "o")))
        return az_api_bad_cursor(resp, "tasks");
    if (q->cursor && strcmp(json_string_value(json_object_get(q->cursor, "o")), q->sort.text) != 0)
        return az_api_bad_param(resp, "cursor",
                                "it continues a listing sorted by %s: give the same ?sort, or start again "
                                "without ?cursor",
                                json_string_value(json_object_get(q->cursor, "o")));
    return 0;
}

/* ---- sorting and the cursor ---------------------------------------------------------------------------- */

static int cmp_next(asyncz_time_t a, asyncz_time_t b)
{
    if (a == b)
        return 0;
    if (a == ASYNCZ_TIME_NONE)
        return 1;
    if (b == ASYNCZ_TIME_NONE)
        return -1;
    return a < b ? -1 : 1;
}

static int cmp_keys(const task_key *a, const task_key *b, const sort_spec *s)
{
    int c = 0;
    if (s->key == SORT_NEXT)
        c = cmp_next(a->next, b->next);
    else if (s->key == SORT_NAME)
        c = strcmp(a->name, b->name);
    if (c == 0)
        c = strcmp(a->id, b->id);
    if (c == 0)
        c = strcmp(a->store, b->store);
    return s->desc ? -c : c;
}

static int cmp_rows(const void *a, const void *b, void *spec)
{
    return cmp_keys(&((const row *)a)->key, &((const row *)b)->key, spec);
}

/* The key the cursor holds; false when it is not one this listing made. */
static bool cursor_key(const json_t *cursor, const sort_spec *s, task_key *out)
{
    json_t *v = json_object_get(cursor, "v");
    *out = (task_key){.id = json_string_value(json_object_get(cursor, "id")),
                      .store = json_string_value(json_object_get(cursor, "st")),
                      .name = "",
                      .next = ASYNCZ_TIME_NONE};
    if (!out->id || !out->store)
        return false;
    if (s->key == SORT_NAME)
        return (out->name = json_string_value(v)) != NULL;
    if (s->key == SORT_NEXT && json_is_integer(v))
        out->next = json_integer_value(v);
    return s->key != SORT_NEXT || json_is_integer(v) || json_is_null(v);
}

static char *make_cursor(const row *last, const sort_spec *s)
{
    json_t *v = s->key == SORT_NAME                                         ? json_string(last->key.name)
                : s->key == SORT_NEXT && last->key.next != ASYNCZ_TIME_NONE ? json_integer(last->key.next)
                                                                            : json_null();
    return az_api_cursor_make(json_pack("{s:s, s:s, s:o, s:s, s:s}", "k", "tasks", "o", s->text, "v", v, "id",
                                        last->key.id, "st", last->key.store));
}

/* ---- filtering --------------------------------------------------------------------------------------- */

static bool matches(const list_query *q, const asyncz_task *t)
{
    if (!(asyncz_task_state(t) & q->states))
        return false;
    return !q->q || !*q->q || strcasestr(asyncz_task_id(t), q->q) || strcasestr(asyncz_task_name(t), q->q);
}

/* The tasks q keeps, as rows (into *rows, *n; borrowing from l). Returns 0 or -1 (out of memory). */
static int filter(const list_query *q, const asyncz_task_list *l, row **rows, size_t *n)
{
    size_t count = asyncz_task_list_count(l);
    *rows = malloc((count ? count : 1) * sizeof **rows);
    *n = 0;
    if (!*rows)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const asyncz_task *t = asyncz_task_list_at(l, i);
        if (matches(q, t))
            (*rows)[(*n)++] = (row){
                {asyncz_task_id(t), asyncz_task_name(t), asyncz_task_store(t), asyncz_task_next_run_time(t)},
                t};
    }
    return 0;
}

/* The index of the first row after the cursor's key (rows sorted). */
static size_t after(const row *rows, size_t n, const task_key *k, const sort_spec *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_keys(&rows[mid].key, k, s) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- last runs --------------------------------------------------------------------------------------- */

/* The last run of each of the page's tasks (last[i] for page[i]; NULL when none or unknown), one call per
 * store. A store that cannot say leaves its tasks' last runs null: the page is still worth showing. */
static void last_runs(az_http_app *app, const row *page, size_t n, asyncz_run_record **last)
{
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    size_t *where = malloc((n ? n : 1) * sizeof *where);
    asyncz_run_record **found = calloc(n ? n : 1, sizeof *found);
    for (size_t s = 0; ids && where && found && s < app->cfg->n_stores; s++) {
        const char *store = app->cfg->stores[s].name;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(page[i].key.store, store) == 0) {
                where[k] = i;
                ids[k++] = page[i].key.id;
            }
        az_api_runs_ctx ctx = {app, store};
        if (k == 0 || az_cli_last_runs_with(az_api_list_runs, &ctx, ids, k, found) != 0)
            continue;
        for (size_t j = 0; j < k; j++)
            last[where[j]] = found[j];
    }
    free(ids);
    free(where);
    free(found);
}

/* ---- the listing ------------------------------------------------------------------------------------- */

static json_t *page_items(az_http_app *app, const row *page, size_t n)
{
    asyncz_run_record **last = calloc(n ? n : 1, sizeof *last);
    json_t *items = last ? json_array() : NULL;
    if (items)
        last_runs(app, page, n, last);
    for (size_t i = 0; items && i < n; i++) {
        json_t *o = az_api_task_json(app, page[i].task, false);
        json_t *lr = az_api_last_run_json(app, last[i]);
        if (!o || !lr || json_object_set_new(o, "last_run", lr) || json_array_append_new(items, o)) {
            json_decref(o);
            json_decref(items);
            items = NULL;
        }
    }
    for (size_t i = 0; last && i < n; i++)
        asyncz_run_record_free(last[i]);
    free(last);
    return items;
}

/* Answer the page of rows (sorted) that q's cursor and limit select. */
static int answer_page(az_http_app *app, const list_query *q, row *rows, size_t n, az_http_response *resp)
{
    size_t from = 0;
    if (q->cursor) {
        task_key k;
        if (!cursor_key(q->cursor, &q->sort, &k))
            return az_api_bad_cursor(resp, "tasks");
        from = after(rows, n, &k, &q->sort);
    }
    size_t count = n - from < q->limit ? n - from : q->limit;
    json_t *items = page_items(app, rows + from, count);
    char *next = items && from + count < n ? make_cursor(&rows[from + count - 1], &q->sort) : NULL;
    if (!items || (from + count < n && !next)) {
        json_decref(items);
        free(next);
        return az_http_reply_error(resp, 500, "internal", "out of memory");
    }
    json_t *doc = json_pack("{s:o, s:o, s:I}", "items", items, "next_cursor",
                            next ? json_string(next) : json_null(), "total", (json_int_t)n);
    free(next);
    return az_http_reply_json(resp, 200, doc);
}

void az_api_tasks_list(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    list_query q;
    if (parse_query(app, req, resp, &q)) {
        json_decref(q.cursor);
        return;
    }
    asyncz_task_list *l = NULL;
    int rc = asyncz_scheduler_list_tasks(app->s, &l, q.store);
    row *rows = NULL;
    size_t n = 0;
    if (rc)
        az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot list the tasks");
    else if (filter(&q, l, &rows, &n) != 0)
        az_http_reply_error(resp, 500, "internal", "out of memory");
    else {
        qsort_r(rows, n, sizeof *rows, cmp_rows, &q.sort);
        answer_page(app, &q, rows, n, resp);
    }
    free(rows);
    asyncz_task_list_free(l);
    json_decref(q.cursor);
}

/* ---- one task ---------------------------------------------------------------------------------------- */

static int take_run(const asyncz_run_record *r, void *userdata)
{
    return asyncz_run_record_copy(userdata, r);
}

/* {"next_run_times": [ISO...], "next_run_times_us": [...], "last_run": ...} onto o. Returns 0 or -1. */
static int add_schedule(az_http_app *app, const asyncz_task *t, json_t *o)
{
    asyncz_time_t times[NEXT_RUNS];
    size_t n = 0;
    az_cli_task_next_runs(t, NEXT_RUNS, asyncz_now(), times, &n); /* on a search failure, those found */
    json_t *iso = json_array(), *us = json_array();
    int rc = iso && us ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char text[ASYNCZ_TIME_FORMAT_SIZE];
        az_cli_time_text(text, sizeof text, times[i], app->zone);
        rc =
            json_array_append_new(iso, json_string(text)) | json_array_append_new(us, json_integer(times[i]));
    }
    rc |= json_object_set_new(o, "next_run_times", iso) | json_object_set_new(o, "next_run_times_us", us);
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.task_id = asyncz_task_id(t);
    q.limit = 1;
    asyncz_run_record *last = NULL;
    asyncz_scheduler_list_runs(app->s, asyncz_task_store(t), &q, take_run, &last, NULL); /* none: null */
    json_t *lr = az_api_last_run_json(app, last);
    asyncz_run_record_free(last);
    return rc | json_object_set_new(o, "last_run", lr) ? -1 : 0;
}

void az_api_task_get(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    const char *store;
    asyncz_task *t = NULL;
    if (az_api_store_param(app, req, resp, &store) ||
        az_api_find_task(app, az_http_param(req, "id"), store, resp, &t))
        return;
    json_t *o = az_api_task_json(app, t, true);
    if (!o || add_schedule(app, t, o) != 0) {
        json_decref(o);
        az_http_reply_error(resp, 500, "internal", "out of memory");
    } else {
        az_http_reply_json(resp, 200, o);
    }
    asyncz_task_free(t);
}
