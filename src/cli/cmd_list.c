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

/* ---- the filter ---------------------------------------------------------------------------------------- */

static unsigned state_bits(const char *state)
{
    if (!state || strcmp(state, "all") == 0)
        return ASYNCZ_TASK_STATE_ALL;
    if (strcmp(state, "scheduled") == 0)
        return ASYNCZ_TASK_STATE_SCHEDULED;
    return strcmp(state, "paused") == 0 ? ASYNCZ_TASK_STATE_PAUSED : ASYNCZ_TASK_STATE_SHUTDOWN;
}

static asyncz_task_sort sort_key(const char *sort_by)
{
    if (sort_by && strcmp(sort_by, "id") == 0)
        return ASYNCZ_TASK_SORT_ID;
    if (sort_by && strcmp(sort_by, "name") == 0)
        return ASYNCZ_TASK_SORT_NAME;
    return ASYNCZ_TASK_SORT_NEXT; /* the store's own order: by next run time, paused tasks last */
}

/* The library's filter for the checked arguments. */
static void make_filter(const list_args *a, asyncz_task_filter *f)
{
    asyncz_task_filter_init(f);
    f->states = state_bits(a->state);
    f->trigger = a->trigger;
    f->executor = a->executor;
    f->query = a->query;
    f->sort = sort_key(a->sort_by);
    f->descending = a->desc;
    if (a->max_rows >= 0)
        f->limit = (size_t)a->max_rows;
}

/* ---- output -------------------------------------------------------------------------------------------- */

typedef struct json_rows {
    const asyncz_task_list *l;
    const asyncz_zone *zone;
    asyncz_run_record *const *last; /* NULL: the store keeps no history (no "last_run" key) */
} json_rows;

static json_t *json_row(size_t i, void *ctx)
{
    const json_rows *r = ctx;
    json_t *o = az_cli_task_json(asyncz_task_list_at(r->l, i), r->zone, false);
    if (o && r->last &&
        json_object_set_new(o, "last_run",
                            r->last[i] ? az_cli_run_json(r->last[i], r->zone, false) : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_json(const asyncz_task_list *l, asyncz_run_record *const *last, const asyncz_zone *zone)
{
    json_rows rows = {l, zone, last};
    return az_cli_json_array(asyncz_task_list_count(l), json_row, &rows);
}

/* The LAST RUN cell: "succeeded 3m ago" (a running one: "running since 5s"), "-" when the task has none. */
static void last_run_text(char *buf, size_t size, const asyncz_run_record *r, asyncz_time_t now)
{
    if (!r) {
        snprintf(buf, size, "-");
        return;
    }
    asyncz_time_t at = r->finished_at != ASYNCZ_TIME_NONE  ? r->finished_at
                       : r->started_at != ASYNCZ_TIME_NONE ? r->started_at
                                                           : r->submitted_at;
    char age[AZ_CLI_RUN_TEXT_SIZE];
    az_cli_age_text(age, sizeof age, at, now);
    snprintf(buf, size, "%s %s", asyncz_run_outcome_name(r->outcome), age);
}

static int add_row(az_table *t, const asyncz_task *task, const asyncz_zone *zone,
                   asyncz_run_record *const *last, asyncz_time_t now)
{
    char trigger[AZ_CLI_TEXT_SIZE], next[ASYNCZ_TIME_FORMAT_SIZE], what[AZ_CLI_TEXT_SIZE];
    az_cli_task_trigger_text(task, trigger, sizeof trigger);
    az_cli_time_text(next, sizeof next, asyncz_task_next_run_time(task), zone);
    const char *state = az_cli_task_state(task);
    if (strcmp(state, "scheduled") != 0)
        snprintf(next, sizeof next, "%s", state);
    az_cli_task_what(task, what, sizeof what);
    char last_run[2 * AZ_CLI_RUN_TEXT_SIZE];
    last_run_text(last_run, sizeof last_run, last ? *last : NULL, now);
    const char *with[] = {asyncz_task_id(task),
                          asyncz_task_name(task),
                          trigger,
                          next,
                          last_run,
                          asyncz_task_executor(task),
                          what};
    const char *without[] = {
        asyncz_task_id(task), asyncz_task_name(task), trigger, next, asyncz_task_executor(task), what};
    const char *const *cells = last ? with : without;
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

static void free_last_runs(asyncz_run_record **last, size_t n)
{
    for (size_t i = 0; last && i < n; i++)
        asyncz_run_record_free(last[i]);
    free(last);
}

/* The newest run of every listed task (az_cli_last_runs), into *out (n entries, each NULL for a task that
 * has not run; *out NULL when the store keeps no history). *any: some task has run (the table then has a
 * LAST RUN column). A store that fails to answer is warned about, and the tasks are listed without. */
static int find_last_runs(asyncz_store *st, const asyncz_task_list *l, asyncz_run_record ***out, bool *any)
{
    size_t n = asyncz_task_list_count(l);
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    asyncz_run_record **last = calloc(n ? n : 1, sizeof *last);
    *out = NULL;
    *any = false;
    if (!ids || !last) {
        free(ids);
        free(last);
        return az_cli_failure("out of memory");
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = asyncz_task_id(asyncz_task_list_at(l, i));
    int rc = az_cli_last_runs(st, ids, n, last);
    free(ids);
    for (size_t i = 0; rc == 0 && i < n && !*any; i++)
        *any = last[i] != NULL;
    if (rc == 0) {
        *out = last;
        return 0;
    }
    free(last);
    if (rc == ASYNCZ_ENOMEM)
        return az_cli_failure("out of memory");
    if (rc != ASYNCZ_EUNSUPPORTED)
        az_cli_warning("cannot read the run history (no last runs shown): %s",
                       asyncz_store_errmsg()[0] ? asyncz_store_errmsg() : asyncz_strerror(rc));
    return 0;
}

static int print_table(const asyncz_task_list *l, asyncz_run_record **last, const asyncz_zone *zone,
                       const az_cli_common *common)
{
    static const char *const with[] = {"ID",       "NAME",     "TRIGGER",         "NEXT RUN",
                                       "LAST RUN", "EXECUTOR", "FUNCTION/COMMAND"};
    static const char *const without[] = {"ID",       "NAME",     "TRIGGER",
                                          "NEXT RUN", "EXECUTOR", "FUNCTION/COMMAND"};
    size_t ncols = last ? 7 : 6;
    az_table *t = az_table_new(ncols);
    int rc = t ? az_table_header(t, last ? with : without) : -1;
    asyncz_time_t now = asyncz_now();
    for (size_t i = 0; rc == 0 && i < asyncz_task_list_count(l); i++)
        rc = add_row(t, asyncz_task_list_at(l, i), zone, last ? &last[i] : NULL, now);
    if (rc == 0) { /* name, trigger and what it runs are cut to the terminal; id, times, executor never */
        az_table_flexible(t, 1);
        az_table_flexible(t, 2);
        az_table_flexible(t, ncols - 1);
    }
    rc = rc ? az_cli_failure("out of memory") : az_cli_table_print(t, common);
    az_table_free(t);
    return rc;
}

static int run(const list_args *a, const az_cli_common *common)
{
    asyncz_zone *zone = NULL;
    az_cli_store s = {0};
    asyncz_task_list *l = NULL;
    asyncz_task_filter f;
    make_filter(a, &f);
    int rc = az_cli_show_zone(common, &zone);
    if (rc == 0)
        rc = az_cli_store_open(&s, common->store, 0);
    if (rc == 0 && (rc = asyncz_store_list_tasks(s.st, &f, &l)) != 0)
        rc = rc == ASYNCZ_ENOMEM ? az_cli_failure("out of memory while listing the tasks")
                                 : az_cli_store_failed(rc, "cannot list the tasks", NULL);
    asyncz_run_record **last = NULL;
    bool any = false;
    if (rc == 0 && asyncz_task_list_count(l) > 0)
        rc = find_last_runs(s.st, l, &last, &any);
    if (rc == 0) {
        if (common->json)
            rc = print_json(l, last, zone);
        else if (asyncz_task_list_count(l) == 0)
            print_empty(a, asyncz_task_list_stored(l), asyncz_task_list_matched(l));
        else
            rc = print_table(l, any ? last : NULL, zone, common);
    }
    free_last_runs(last, l ? asyncz_task_list_count(l) : 0);
    asyncz_task_list_free(l);
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
