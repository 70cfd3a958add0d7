/* `asyncz inspect ID`: every field of one task, its next run times and its last runs. */
#include <stdlib.h>
#include <string.h>

#include "manage.h"

enum { OPT_COUNT = AZ_OPT_OWN };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"count", required_argument, NULL, OPT_COUNT},
    {NULL, 0, NULL, 0},
};

typedef struct inspect_args {
    const char *id, *count;
    size_t n;
} inspect_args;

static int on_option(void *ctx, int code, const char *value)
{
    inspect_args *a = ctx;
    if (code == OPT_COUNT)
        return az_cli_set_once(options, &a->count, code, value);
    return az_cli_set_positional(&a->id, value);
}

static int next_runs(const asyncz_task *t, size_t count, asyncz_time_t *out, size_t *n)
{
    int rc = az_cli_task_next_runs(t, count, asyncz_now(), out, n);
    return rc ? az_cli_failure("cannot compute the next run times: %s", asyncz_strerror(rc)) : 0;
}

/* The runs inspect shows: the task's newest. */
#define LAST_RUNS 5

/* The task's last runs, newest first (copies); none when the store keeps no history. */
typedef struct last_runs {
    asyncz_run_record *r[LAST_RUNS];
    size_t n;
    bool kept; /* the store keeps history */
} last_runs;

static int keep_run(const asyncz_run_record *rec, void *userdata)
{
    last_runs *l = userdata;
    int rc = asyncz_run_record_copy(&l->r[l->n], rec);
    l->n += rc == 0;
    return rc;
}

static int read_last_runs(az_cli_store *s, const char *id, last_runs *l)
{
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.task_id = id;
    q.limit = LAST_RUNS;
    int rc = asyncz_store_list_runs(s->st, &q, keep_run, l, NULL);
    l->kept = rc != ASYNCZ_EUNSUPPORTED;
    if (rc == 0 || rc == ASYNCZ_EUNSUPPORTED)
        return 0;
    return az_cli_history_failed(s, rc, "cannot read the task's runs");
}

static void free_last_runs(last_runs *l)
{
    for (size_t i = 0; i < l->n; i++)
        asyncz_run_record_free(l->r[i]);
}

static int set_last_runs(json_t *o, const last_runs *l, const asyncz_zone *zone)
{
    json_t *a = l->kept ? json_array() : json_null();
    int rc = a ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < l->n; i++)
        rc = json_array_append_new(a, az_cli_run_json(l->r[i], zone, false));
    return json_object_set_new(o, "last_runs", a) | rc;
}

/* "failed 3m ago, took 1.5s (RUN ID)" */
static void last_run_line(char *buf, size_t size, const asyncz_run_record *r, asyncz_time_t now)
{
    char age[AZ_CLI_RUN_TEXT_SIZE], took[AZ_CLI_RUN_TEXT_SIZE];
    az_cli_age_text(age, sizeof age, r->submitted_at, now);
    az_cli_run_duration_text(took, sizeof took, r, now);
    snprintf(buf, size, "%s %s, took %s (%s)", asyncz_run_outcome_name(r->outcome), age, took, r->run_id);
}

static int print_json(const asyncz_task *t, const asyncz_zone *zone, const asyncz_time_t *runs, size_t n,
                      const last_runs *l)
{
    json_t *o = az_cli_task_json(t, zone, true);
    json_t *times = json_array(), *times_us = json_array();
    int rc = o && times && times_us ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char text[ASYNCZ_TIME_FORMAT_SIZE];
        az_cli_time_text(text, sizeof text, runs[i], zone);
        rc = json_array_append_new(times, json_string(text)) |
             json_array_append_new(times_us, json_integer(runs[i]));
    }
    rc |= json_object_set_new(o, "next_runs", times);
    rc |= json_object_set_new(o, "next_runs_us", times_us);
    rc |= o ? set_last_runs(o, l, zone) : -1;
    if (rc) {
        json_decref(o);
        return az_cli_failure("out of memory");
    }
    return az_cli_json_print(o);
}

static int print_text(const asyncz_task *t, const asyncz_zone *zone, const asyncz_time_t *runs, size_t n,
                      const last_runs *l, const az_cli_common *common)
{
    az_cli_field fields[AZ_CLI_N_FIELDS];
    az_cli_task_fields(t, zone, fields);
    az_table *table = az_table_new(2);
    int rc = table ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < AZ_CLI_N_FIELDS; i++)
        rc = az_table_row(table, AZ_TABLE_PLAIN, (const char *const[]){fields[i].name, fields[i].value});
    const char *title =
        strcmp(az_cli_task_state(t), "paused") == 0 ? "next runs (if resumed now)" : "next runs";
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char text[ASYNCZ_TIME_FORMAT_SIZE];
        az_cli_time_text(text, sizeof text, runs[i], zone);
        rc = az_table_row(table, AZ_TABLE_PLAIN, (const char *const[]){i ? "" : title, text});
    }
    asyncz_time_t now = asyncz_now();
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        char line[AZ_CLI_TEXT_SIZE];
        last_run_line(line, sizeof line, l->r[i], now);
        rc = az_table_row(table, az_cli_run_style(l->r[i]->outcome),
                          (const char *const[]){i ? "" : "last runs", line});
    }
    rc = rc ? az_cli_failure("out of memory") : az_cli_table_print(table, common);
    az_table_free(table);
    return rc;
}

static int show(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    const inspect_args *a = ctx;
    asyncz_task *t = NULL;
    asyncz_time_t *runs = calloc(a->n ? a->n : 1, sizeof *runs);
    size_t n = 0;
    last_runs l = {0};
    int rc = runs ? az_cli_store_lookup(s, a->id, &t) : az_cli_failure("out of memory");
    if (rc == 0)
        rc = next_runs(t, a->n, runs, &n);
    if (rc == 0)
        rc = read_last_runs(s, a->id, &l);
    if (rc == 0)
        rc = common->json ? print_json(t, zone, runs, n, &l) : print_text(t, zone, runs, n, &l, common);
    free_last_runs(&l);
    asyncz_task_free(t);
    free(runs);
    return rc;
}

int az_cli_inspect(int argc, char **argv)
{
    inspect_args a = {.n = AZ_CLI_COUNT_DEFAULT};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "inspect"))
        return az_cli_finish(0);
    if (rc == 0 && !a.id)
        rc = az_cli_usage_error("no task id given");
    if (rc == 0 && a.count)
        rc = az_cli_parse_count("--count", a.count, &a.n);
    return az_cli_with_store(rc, &common, show, &a);
}
