/* `asyncz list`: the tasks of a store, filtered and sorted, as a table or a JSON array. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "manage.h"

enum { OPT_STATE = AZ_OPT_OWN, OPT_TRIGGER, OPT_EXECUTOR, OPT_QUERY, OPT_SORT_BY, OPT_DESC, OPT_LIMIT };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"state", required_argument, NULL, OPT_STATE},
    {"trigger", required_argument, NULL, OPT_TRIGGER},
    {"executor", required_argument, NULL, OPT_EXECUTOR},
    {"query", required_argument, NULL, OPT_QUERY},
    {"sort-by", required_argument, NULL, OPT_SORT_BY},
    {"desc", no_argument, NULL, OPT_DESC},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {NULL, 0, NULL, 0},
};

typedef struct list_args {
    const char *state, *trigger, *executor, *query, *sort_by, *limit;
    bool desc;
    long max_rows; /* -1: no --limit */
} list_args;

static int on_option(void *ctx, int code, const char *value)
{
    list_args *a = ctx;
    switch (code) {
    case OPT_STATE:
        return az_cli_set_once(options, &a->state, code, value);
    case OPT_TRIGGER:
        return az_cli_set_once(options, &a->trigger, code, value);
    case OPT_EXECUTOR:
        return az_cli_set_once(options, &a->executor, code, value);
    case OPT_QUERY:
        return az_cli_set_once(options, &a->query, code, value);
    case OPT_SORT_BY:
        return az_cli_set_once(options, &a->sort_by, code, value);
    case OPT_LIMIT:
        return az_cli_set_once(options, &a->limit, code, value);
    case OPT_DESC:
        a->desc = true;
        return 0;
    default:
        return az_cli_usage_error("unexpected argument '%s'", value);
    }
}

static bool one_of(const char *value, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(value, *words) == 0)
            return true;
    return false;
}

static const char *const states[] = {"scheduled", "paused", "shutdown", "all", NULL};
static const char *const kinds[] = {"cron", "interval", "calendar", "date", "and", "or", "shutdown", NULL};
static const char *const sort_keys[] = {"next", "id", "name", NULL};

static int check_args(list_args *a)
{
    a->max_rows = -1;
    if (a->state && !one_of(a->state, states))
        return az_cli_bad_value("--state", a->state, 0, "must be scheduled, paused, shutdown or all");
    if (a->trigger && !one_of(a->trigger, kinds))
        return az_cli_bad_value("--trigger", a->trigger, 0,
                                "must be cron, interval, calendar, date, and, or or shutdown");
    if (a->sort_by && !one_of(a->sort_by, sort_keys))
        return az_cli_bad_value("--sort-by", a->sort_by, 0, "must be next, id or name");
    if (a->limit)
        return az_cli_parse_long("--limit", a->limit, 0, LONG_MAX, &a->max_rows);
    return 0;
}

/* ---- filtering and sorting ----------------------------------------------------------------------------- */

static bool matches_query(const asyncz_task *t, const char *query)
{
    char what[AZ_CLI_TEXT_SIZE];
    if (strstr(asyncz_task_id(t), query) || strstr(asyncz_task_name(t), query))
        return true;
    az_cli_task_what(t, what, sizeof what);
    return strstr(what, query) != NULL;
}

static bool wanted(const list_args *a, const asyncz_task *t)
{
    if (a->state && strcmp(a->state, "all") != 0 && strcmp(a->state, az_cli_task_state(t)) != 0)
        return false;
    if (a->trigger && strcmp(a->trigger, az_cli_task_trigger_kind(t)) != 0)
        return false;
    if (a->executor && strcmp(a->executor, asyncz_task_executor(t)) != 0)
        return false;
    return !a->query || matches_query(t, a->query);
}

/* Keep the wanted tasks, in the store's order, releasing the others. */
static void filter(const list_args *a, az_task_vec *v)
{
    size_t kept = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (wanted(a, v->items[i]))
            v->items[kept++] = v->items[i];
        else
            asyncz_task_free(v->items[i]);
    }
    v->n = kept;
}

static int by_id(const void *x, const void *y)
{
    return strcmp(asyncz_task_id(*(asyncz_task *const *)x), asyncz_task_id(*(asyncz_task *const *)y));
}

static int by_name(const void *x, const void *y)
{
    int c = strcmp(asyncz_task_name(*(asyncz_task *const *)x), asyncz_task_name(*(asyncz_task *const *)y));
    return c ? c : by_id(x, y);
}

static void reverse(az_task_vec *v)
{
    for (size_t i = 0, j = v->n; i + 1 < j; i++, j--) {
        asyncz_task *tmp = v->items[i];
        v->items[i] = v->items[j - 1];
        v->items[j - 1] = tmp;
    }
}

/* "next" is the store's own order: by next run time, paused tasks last. */
static void sort(const list_args *a, az_task_vec *v)
{
    if (a->sort_by && strcmp(a->sort_by, "id") == 0)
        qsort(v->items, v->n, sizeof *v->items, by_id);
    else if (a->sort_by && strcmp(a->sort_by, "name") == 0)
        qsort(v->items, v->n, sizeof *v->items, by_name);
    if (a->desc)
        reverse(v);
    while (a->max_rows >= 0 && v->n > (size_t)a->max_rows)
        asyncz_task_free(v->items[--v->n]);
}

/* ---- output -------------------------------------------------------------------------------------------- */

typedef struct json_rows {
    const az_task_vec *v;
    const asyncz_zone *zone;
} json_rows;

static json_t *json_row(size_t i, void *ctx)
{
    const json_rows *r = ctx;
    return az_cli_task_json(r->v->items[i], r->zone, false);
}

static int print_json(const az_task_vec *v, const asyncz_zone *zone)
{
    json_rows rows = {v, zone};
    return az_cli_json_array(v->n, json_row, &rows);
}

static int add_row(az_table *t, const asyncz_task *task, const asyncz_zone *zone)
{
    char trigger[AZ_CLI_TEXT_SIZE], next[ASYNCZ_TIME_FORMAT_SIZE], what[AZ_CLI_TEXT_SIZE];
    az_cli_task_trigger_text(task, trigger, sizeof trigger);
    az_cli_time_text(next, sizeof next, asyncz_task_next_run_time(task), zone);
    const char *state = az_cli_task_state(task);
    if (strcmp(state, "scheduled") != 0)
        snprintf(next, sizeof next, "%s", state);
    az_cli_task_what(task, what, sizeof what);
    const char *cells[] = {
        asyncz_task_id(task), asyncz_task_name(task), trigger, next, asyncz_task_executor(task), what};
    return az_table_row(t, strcmp(state, "paused") == 0 ? AZ_TABLE_DIM : AZ_TABLE_PLAIN, cells);
}

static bool filtered(const list_args *a)
{
    return a->state || a->trigger || a->executor || a->query;
}

/* An empty listing says why: an empty store, filters that keep nothing, or --limit 0 (which must not look
 * like an empty store). */
static void print_empty(const list_args *a, size_t stored, size_t matched)
{
    if (stored == 0)
        puts("no tasks");
    else if (matched == 0)
        printf("no tasks match (%zu in the store)\n", stored);
    else
        printf("0 of %zu %stasks shown (--limit 0)\n", matched, filtered(a) ? "matching " : "");
}

static int print_table(const az_task_vec *v, const asyncz_zone *zone, const az_cli_common *common)
{
    az_table *t = az_table_new(6);
    static const char *const header[] = {"ID", "NAME", "TRIGGER", "NEXT RUN", "EXECUTOR", "FUNCTION/COMMAND"};
    int rc = t ? az_table_header(t, header) : -1;
    for (size_t i = 0; rc == 0 && i < v->n; i++)
        rc = add_row(t, v->items[i], zone);
    if (rc == 0) { /* name, trigger and what it runs are cut to the terminal; id, time, executor never */
        az_table_flexible(t, 1);
        az_table_flexible(t, 2);
        az_table_flexible(t, 5);
    }
    rc = rc ? az_cli_failure("out of memory") : az_cli_table_print(t, common);
    az_table_free(t);
    return rc;
}

static int run(const list_args *a, const az_cli_common *common)
{
    asyncz_zone *zone = NULL;
    az_cli_store s = {0};
    az_task_vec v = {0};
    int rc = az_cli_show_zone(common, &zone);
    if (rc == 0)
        rc = az_cli_store_open(&s, common->store, 0);
    if (rc == 0)
        rc = az_cli_store_list(&s, &v);
    if (rc == 0) {
        size_t stored = v.n;
        filter(a, &v);
        size_t matched = v.n;
        sort(a, &v);
        if (common->json)
            rc = print_json(&v, zone);
        else if (v.n == 0)
            print_empty(a, stored, matched);
        else
            rc = print_table(&v, zone, common);
    }
    az_task_vec_free(&v);
    az_cli_store_close(&s);
    asyncz_zone_unref(zone);
    return rc;
}

int az_cli_list(int argc, char **argv)
{
    list_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "list"))
        return az_cli_finish(0);
    if (rc == 0)
        rc = check_args(&a);
    return az_cli_finish(rc ? rc : run(&a, &common));
}
