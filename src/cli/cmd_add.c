/* `asyncz add`: write a new task to the store: a trigger in the words of `asyncz preview`, a shell command
 * (--command, run by the daemon through /bin/sh, see shell_task.h) or a plugin function (--function), and
 * the task's options. The next run time is the trigger's first fire time from now (none with --paused). */
#include <string.h>

#include "task_opts.h"

static const struct option options[] = {
    AZ_CLI_TRIGGER_LONG_OPTIONS,
    AZ_CLI_TASK_LONG_OPTIONS,
    AZ_CLI_COMMON_LONG_OPTIONS,
    {"id", required_argument, NULL, AZ_OPT_ID},
    {"paused", no_argument, NULL, AZ_OPT_PAUSED},
    {"replace", no_argument, NULL, AZ_OPT_REPLACE},
    {NULL, 0, NULL, 0},
};

static int new_task(const az_task_opts *o, asyncz_task **out)
{
    if (!o->command && !o->function)
        return az_cli_usage_error("nothing to run: give --command 'LINE' or --function NAME");
    if (o->positional)
        return az_cli_usage_error("unexpected argument '%s' (quote a command line: --command 'LINE')",
                                  o->positional);
    /* A placeholder function: az_cli_apply_what sets the real one and checks it. */
    int rc = asyncz_task_new(out, "asyncz.placeholder");
    if (rc)
        return az_cli_failure("cannot make a task: %s", asyncz_strerror(rc));
    char id[40];
    if (o->id && !asyncz_task_id_valid(o->id))
        return az_cli_bad_value(
            "--id", o->id, 0, "not a valid id (1 to 255 of A-Z a-z 0-9 . _ @ + -, not starting with . or -)");
    if (!o->id && asyncz_task_id_generate(id, sizeof id) != 0)
        return az_cli_failure("cannot generate a task id");
    if (asyncz_task_set_id(*out, o->id ? o->id : id) != 0)
        return az_cli_failure("cannot set the task id");
    /* Without --name the task is named after its id, as the daemon's config names a task after its
     * section: logs and tables then say which task, not "asyncz.shell" for every command. */
    if (!o->name && asyncz_task_set_name(*out, asyncz_task_id(*out)) != 0)
        return az_cli_failure("cannot set the task name");
    rc = az_cli_apply_what(o, *out);
    if (rc == 0)
        rc = az_cli_apply_task_options(o, *out);
    if (rc == 0)
        rc = az_cli_apply_trigger(o, *out, o->paused);
    if (rc == 0)
        rc = az_cli_validate_task(*out);
    return rc ? rc : az_cli_refuse_missed_first_run(&o->trigger, *out);
}

static int store_task(az_cli_store *s, asyncz_task *t, bool replace)
{
    int rc = asyncz_store_add_task(s->st, t, replace);
    if (rc == ASYNCZ_EEXISTS)
        return az_cli_failure("a task with id \"%s\" is already in the store (--replace replaces it)",
                              asyncz_task_id(t));
    return rc ? az_cli_store_failed(rc, "cannot add the task", NULL) : 0;
}

static int report(const asyncz_task *t, const az_task_opts *o, const az_cli_common *common)
{
    asyncz_zone *zone = NULL;
    int rc = az_cli_parse_zone("--timezone", o->trigger.timezone ? o->trigger.timezone : "local", &zone);
    if (rc == 0 && common->json) {
        rc = az_cli_json_print(az_cli_task_json(t, zone, false));
    } else if (rc == 0) {
        char next[ASYNCZ_TIME_FORMAT_SIZE];
        az_cli_time_text(next, sizeof next, asyncz_task_next_run_time(t), zone);
        const char *state = az_cli_task_state(t);
        printf("%s\t%s\n", asyncz_task_id(t), strcmp(state, "scheduled") == 0 ? next : state);
    }
    asyncz_zone_unref(zone);
    return rc;
}

int az_cli_add(int argc, char **argv)
{
    az_task_opts o;
    az_cli_common common;
    int rc = az_cli_task_opts_parse(argc, argv, options, &o, &common);
    if (rc == 0 && az_cli_help_requested(&common, "add"))
        return az_cli_finish(0);
    asyncz_task *t = NULL;
    az_cli_store s = {0};
    if (rc == 0)
        rc = new_task(&o, &t);
    if (rc == 0)
        rc = az_cli_store_open(&s, common.store, AZ_CLI_STORE_CREATE);
    if (rc == 0)
        rc = store_task(&s, t, o.replace);
    if (rc == 0)
        rc = report(t, &o, &common);
    asyncz_task_free(t);
    az_cli_store_close(&s);
    return az_cli_finish(rc);
}
