/* GET /api/v1/tasks (filtered, sorted, a page at a time, each with its last run) and GET /api/v1/tasks/{id}
 * (the whole task, its next run times and its last run).
 *
 * The listing takes the tasks of the stores from a snapshot (api_snapshot.h: read once, sorted each way,
 * shared by requests), keeps those the filters match and cuts a page after the cursor's position in the
 * order asked for: the cursor holds the sort and the sort key, id and store of the page's last task, so
 * that a task added or removed between two pages shifts nothing (each task that stays is listed exactly
 * once). */
#define _GNU_SOURCE /* qsort_r, strcasestr */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_handlers.h"
#include "api_snapshot.h"

/* How many next run times a task's page shows. */
#define NEXT_RUNS 5

typedef struct sort_spec {
    az_api_order order;
    bool desc;
    const char *text; /* as given ("-name"), for the cursor */
} sort_spec;

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
    *out = (sort_spec){AZ_API_BY_NEXT, false, "next_run_time"};
    if (!text)
        return 0;
    out->text = text;
    out->desc = text[0] == '-';
    const char *name = text + out->desc;
    if (strcmp(name, "next_run_time") == 0)
        out->order = AZ_API_BY_NEXT;
    else if (strcmp(name, "id") == 0)
        out->order = AZ_API_BY_ID;
    else if (strcmp(name, "name") == 0)
        out->order = AZ_API_BY_NAME;
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

/* ---- the cursor ---------------------------------------------------------------------------------------- */

/* The key the cursor holds; false when it is not one this listing made. */
static bool cursor_key(const json_t *cursor, const sort_spec *s, az_api_task_key *out)
{
    json_t *v = json_object_get(cursor, "v");
    *out = (az_api_task_key){.id = json_string_value(json_object_get(cursor, "id")),
                             .store = json_string_value(json_object_get(cursor, "st")),
                             .name = "",
                             .next = ASYNCZ_TIME_NONE};
    if (!out->id || !out->store)
        return false;
    if (s->order == AZ_API_BY_NAME)
        return (out->name = json_string_value(v)) != NULL;
    if (s->order == AZ_API_BY_NEXT && json_is_integer(v))
        out->next = json_integer_value(v);
    return s->order != AZ_API_BY_NEXT || json_is_integer(v) || json_is_null(v);
}

static char *make_cursor(const az_api_task_key *last, const sort_spec *s)
{
    json_t *v = s->order == AZ_API_BY_NAME                                     ? json_string(last->name)
                : s->order == AZ_API_BY_NEXT && last->next != ASYNCZ_TIME_NONE ? json_integer(last->next)
                                                                               : json_null();
    return az_api_cursor_make(json_pack("{s:s, s:s, s:o, s:s, s:s}", "k", "tasks", "o", s->text, "v", v, "id",
                                        last->id, "st", last->store));
}

/* The number of rows (sorted ascending) at or before key. */
static size_t upto(const az_api_row *rows, size_t n, const az_api_task_key *k, az_api_order order)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (az_api_key_cmp(&rows[mid].key, k, order) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- filtering --------------------------------------------------------------------------------------- */

static bool matches(const list_query *q, const az_api_row *r)
{
    if (q->store && strcmp(r->key.store, q->store) != 0)
        return false;
    if (q->states != ASYNCZ_TASK_STATE_ALL && !(asyncz_task_state(r->task) & q->states))
        return false;
    return !q->q || !*q->q || strcasestr(r->key.id, q->q) || strcasestr(r->key.name, q->q);
}

/* The page: the rows q keeps after the cursor's position in q's order, at most q->limit (into page, *n);
 * *total: how many rows q keeps in all; *more: whether some come after the page. */
typedef struct page {
    const az_api_row **rows;
    size_t n, total;
    bool more;
} page;

static int select_page(const list_query *q, const az_api_snapshot *snap, const az_api_task_key *after,
                       page *p)
{
    const az_api_row *rows = snap->by[q->sort.order];
    size_t n = snap->n, split = 0;
    *p = (page){.rows = malloc((q->limit ? q->limit : 1) * sizeof *p->rows)};
    if (!p->rows)
        return -1;
    if (after) /* ascending: rows [split, n) come after the cursor; descending: rows [0, split - 1] */
        split = upto(rows, n, after, q->sort.order);
    for (size_t k = 0; k < n; k++) {
        size_t i = q->sort.desc ? n - 1 - k : k;
        const az_api_row *r = &rows[i];
        if (!matches(q, r))
            continue;
        p->total++;
        bool past = !after ||
                    (q->sort.desc ? i + 1 < split ||
                                        (i + 1 == split && az_api_key_cmp(&r->key, after, q->sort.order) < 0)
                                  : i >= split);
        if (!past)
            continue;
        if (p->n < q->limit)
            p->rows[p->n++] = r;
        else
            p->more = true;
    }
    return 0;
}

/* ---- last runs --------------------------------------------------------------------------------------- */

/* The last run of each of the page's tasks (last[i] for page[i]; NULL when none or unknown), one call per
 * store. A store that cannot say leaves its tasks' last runs null: the page is still worth showing. */
static void last_runs(az_http_app *app, const page *p, asyncz_run_record **last)
{
    size_t n = p->n;
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    size_t *where = malloc((n ? n : 1) * sizeof *where);
    asyncz_run_record **found = calloc(n ? n : 1, sizeof *found);
    for (size_t s = 0; ids && where && found && s < app->cfg->n_stores; s++) {
        const char *store = app->cfg->stores[s].name;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(p->rows[i]->key.store, store) == 0) {
                where[k] = i;
                ids[k++] = p->rows[i]->key.id;
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

static json_t *page_items(az_http_app *app, const page *p)
{
    asyncz_run_record **last = calloc(p->n ? p->n : 1, sizeof *last);
    json_t *items = last ? json_array() : NULL;
    if (items)
        last_runs(app, p, last);
    for (size_t i = 0; items && i < p->n; i++) {
        json_t *o = az_api_task_json(app, p->rows[i]->task, false);
        json_t *lr = az_api_last_run_json(app, last[i]);
        if (!o || !lr || json_object_set_new(o, "last_run", lr) || json_array_append_new(items, o)) {
            json_decref(o);
            json_decref(items);
            items = NULL;
        }
    }
    for (size_t i = 0; last && i < p->n; i++)
        asyncz_run_record_free(last[i]);
    free(last);
    return items;
}

/* Answer the page of the snapshot that q selects. */
static void answer_page(az_http_app *app, const list_query *q, const az_api_snapshot *snap,
                        az_http_response *resp)
{
    az_api_task_key after;
    if (q->cursor && !cursor_key(q->cursor, &q->sort, &after)) {
        az_api_bad_cursor(resp, "tasks");
        return;
    }
    page p;
    json_t *items = NULL;
    char *next = NULL;
    if (select_page(q, snap, q->cursor ? &after : NULL, &p) == 0) {
        items = page_items(app, &p);
        next = items && p.more ? make_cursor(&p.rows[p.n - 1]->key, &q->sort) : NULL;
    }
    if (!items || (p.more && !next)) {
        json_decref(items);
        az_http_reply_error(resp, 500, "internal", "out of memory");
    } else {
        az_http_reply_json(resp, 200,
                           json_pack("{s:o, s:o, s:I}", "items", items, "next_cursor",
                                     next ? json_string(next) : json_null(), "total", (json_int_t)p.total));
    }
    free(next);
    free(p.rows);
}

void az_api_tasks_list(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    list_query q;
    if (parse_query(app, req, resp, &q) == 0) {
        az_api_snapshot *snap = NULL;
        int rc = az_api_snapshot_get(app, &snap);
        if (rc)
            az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot list the tasks");
        else
            answer_page(app, &q, snap, resp);
        if (snap)
            az_api_snapshot_release(snap);
    }
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
