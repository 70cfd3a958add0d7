/* `asyncz inspect ID`: every field of one task and its next run times. */
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

/* The runs ahead: a scheduled task's stored next run time and the fire times after it; a paused task's
 * fire times as a resume now would give them; none for a shutdown task. */
static int next_runs(const asyncz_task *t, size_t count, asyncz_time_t *out, size_t *n)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    asyncz_time_t next = asyncz_task_next_run_time(t);
    *n = 0;
    if (!trig || count == 0)
        return 0;
    int rc = next == ASYNCZ_TIME_NONE ? asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, asyncz_now(), &next) : 0;
    while (rc == 0 && next != ASYNCZ_TIME_NONE && *n < count) {
        out[(*n)++] = next;
        if (*n < count)
            rc = asyncz_trigger_next(trig, next, next, &next);
    }
    return rc ? az_cli_failure("cannot compute the next run times: %s", asyncz_strerror(rc)) : 0;
}

static int print_json(const asyncz_task *t, const asyncz_zone *zone, const asyncz_time_t *runs, size_t n)
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
    if (rc) {
        json_decref(o);
        return az_cli_failure("out of memory");
    }
    return az_cli_json_print(o);
}

static int print_text(const asyncz_task *t, const asyncz_zone *zone, const asyncz_time_t *runs, size_t n,
                      const az_cli_common *common)
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
    int rc = runs ? az_cli_store_lookup(s, a->id, &t) : az_cli_failure("out of memory");
    if (rc == 0)
        rc = next_runs(t, a->n, runs, &n);
    if (rc == 0)
        rc = common->json ? print_json(t, zone, runs, n) : print_text(t, zone, runs, n, common);
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
