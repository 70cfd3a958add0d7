/* `asyncz update ID`: change the options given, keep the rest. A new trigger gets its next run time from
 * now (a paused task stays paused). --dry-run prints the field-by-field difference without writing. */
#include <string.h>

#include "task_opts.h"

static const struct option options[] = {
    AZ_CLI_TRIGGER_LONG_OPTIONS, AZ_CLI_TASK_LONG_OPTIONS,
    AZ_CLI_COMMON_LONG_OPTIONS,  {"dry-run", no_argument, NULL, AZ_OPT_DRY_RUN},
    {NULL, 0, NULL, 0},
};

static bool anything_given(const az_task_opts *o)
{
    return az_cli_trigger_given(&o->trigger) || o->command || o->timeout || o->function || o->args ||
           o->kwargs || o->name || o->executor || o->grace || o->max_instances || o->coalesce != -1;
}

static int check_args(const az_task_opts *o)
{
    if (!o->positional)
        return az_cli_usage_error("no task id given");
    if (!anything_given(o))
        return az_cli_usage_error("nothing to change: give the options to change (see --help)");
    if (az_cli_trigger_given(&o->trigger) && o->trigger.n_specs == 0)
        return az_cli_usage_error("trigger options replace the whole trigger: give the new trigger too "
                                  "(--cron, --interval, --at ...), with its --timezone and other options");
    return 0;
}

/* A new trigger keeps the zone of the old one unless --timezone names another. */
static int new_trigger(const az_task_opts *o, const asyncz_task *old, asyncz_task *t)
{
    az_task_opts kept = *o;
    asyncz_trigger *trig = asyncz_task_trigger(old);
    if (!kept.trigger.timezone && trig && asyncz_trigger_zone(trig))
        kept.trigger.timezone = asyncz_zone_name(asyncz_trigger_zone(trig));
    return az_cli_apply_trigger(&kept, t, asyncz_task_next_run_time(old) == ASYNCZ_TIME_NONE);
}

/* The stored task with the changes applied, as a new task. */
static int changed_copy(const az_task_opts *o, const asyncz_task *old, asyncz_task **out)
{
    int rc = asyncz_task_copy(out, old);
    if (rc)
        return az_cli_failure("cannot copy the task: %s", asyncz_strerror(rc));
    rc = az_cli_apply_what(o, *out);
    if (rc == 0)
        rc = az_cli_apply_task_options(o, *out);
    if (rc == 0 && o->trigger.n_specs)
        rc = new_trigger(o, old, *out);
    if (rc == 0)
        rc = az_cli_validate_task(*out);
    /* A new trigger, or a grace time, may make the coming run one a scheduler would only count as missed. */
    if (rc == 0 && (o->trigger.n_specs || o->grace))
        rc = az_cli_refuse_missed_first_run(&o->trigger, *out);
    return rc;
}

/* ---- the difference ------------------------------------------------------------------------------------ */

typedef struct diff {
    az_cli_field before[AZ_CLI_N_FIELDS], after[AZ_CLI_N_FIELDS];
} diff;

static bool differs(const diff *d, size_t i)
{
    return strcmp(d->before[i].value, d->after[i].value) != 0;
}

static json_t *changes_json(const diff *d)
{
    json_t *changes = json_array();
    for (size_t i = 0; changes && i < AZ_CLI_N_FIELDS; i++)
        if (differs(d, i) &&
            json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "field", d->before[i].name, "old",
                                                     d->before[i].value, "new", d->after[i].value))) {
            json_decref(changes);
            return NULL;
        }
    return changes;
}

static int print_json(const diff *d, const asyncz_task *t, const asyncz_zone *zone, bool dry_run)
{
    json_t *changes = changes_json(d), *task = az_cli_task_json(t, zone, false);
    if (!changes || !task) {
        json_decref(changes);
        json_decref(task);
        return az_cli_failure("out of memory");
    }
    return az_cli_json_print(json_pack("{s:s, s:b, s:b, s:o, s:o}", "id", asyncz_task_id(t), "dry_run",
                                       dry_run, "written", !dry_run, "changes", changes, "task", task));
}

static void print_text(const diff *d, const asyncz_task *t, bool dry_run)
{
    size_t n = 0;
    for (size_t i = 0; i < AZ_CLI_N_FIELDS; i++)
        if (differs(d, i)) { /* escaped as in tables: one line a field, whatever a command holds */
            char before[4 * AZ_CLI_TEXT_SIZE], after[4 * AZ_CLI_TEXT_SIZE];
            az_table_escape(before, sizeof before, d->before[i].value);
            az_table_escape(after, sizeof after, d->after[i].value);
            printf("%s: %s \xe2\x86\x92 %s\n", d->before[i].name, before, after);
            n++;
        }
    if (n == 0)
        printf("no changes to task %s\n", asyncz_task_id(t));
    else if (dry_run)
        printf("dry run: task %s not changed\n", asyncz_task_id(t));
    else
        printf("updated %s\n", asyncz_task_id(t));
}

static int update(az_cli_store *s, const az_task_opts *o, const az_cli_common *common)
{
    asyncz_task *old = NULL, *t = NULL;
    asyncz_zone *zone = NULL;
    diff d;
    int rc = az_cli_parse_zone("--timezone", o->trigger.timezone ? o->trigger.timezone : "local", &zone);
    if (rc == 0)
        rc = az_cli_store_lookup(s, o->positional, &old);
    if (rc == 0)
        rc = changed_copy(o, old, &t);
    if (rc == 0) {
        az_cli_task_fields(old, zone, d.before);
        az_cli_task_fields(t, zone, d.after);
    }
    if (rc == 0 && !o->dry_run)
        rc = az_cli_store_update(s, t);
    if (rc == 0 && common->json)
        rc = print_json(&d, t, zone, o->dry_run);
    else if (rc == 0)
        print_text(&d, t, o->dry_run);
    asyncz_task_free(old);
    asyncz_task_free(t);
    asyncz_zone_unref(zone);
    return rc;
}

int az_cli_update(int argc, char **argv)
{
    az_task_opts o;
    az_cli_common common;
    int rc = az_cli_task_opts_parse(argc, argv, options, &o, &common);
    if (rc == 0 && az_cli_help_requested(&common, "update"))
        return az_cli_finish(0);
    if (rc == 0)
        rc = check_args(&o);
    az_cli_store s = {0};
    if (rc == 0)
        rc = az_cli_store_open(&s, common.store, 0);
    if (rc == 0)
        rc = update(&s, &o, &common);
    az_cli_store_close(&s);
    return az_cli_finish(rc);
}
