/* The options of `asyncz add` and `asyncz update` (see task_opts.h): parsing them, and applying them to a
 * task. Every bad value names its option. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell_task.h"
#include "task_opts.h"

static int set_flag(az_task_opts *o, int code)
{
    switch (code) {
    case AZ_OPT_PAUSED:
        o->paused = true;
        return 0;
    case AZ_OPT_REPLACE:
        o->replace = true;
        return 0;
    case AZ_OPT_DRY_RUN:
        o->dry_run = true;
        return 0;
    default: /* --coalesce, --no-coalesce */
        if (o->coalesce != -1)
            return az_cli_usage_error("--coalesce and --no-coalesce: give one of them, once");
        o->coalesce = code == AZ_OPT_COALESCE;
        return 0;
    }
}

static const char **value_slot(az_task_opts *o, int code)
{
    switch (code) {
    case AZ_OPT_COMMAND:
        return &o->command;
    case AZ_OPT_TIMEOUT:
        return &o->timeout;
    case AZ_OPT_FUNCTION:
        return &o->function;
    case AZ_OPT_ARGS:
        return &o->args;
    case AZ_OPT_KWARGS:
        return &o->kwargs;
    case AZ_OPT_ID:
        return &o->id;
    case AZ_OPT_NAME:
        return &o->name;
    case AZ_OPT_EXECUTOR:
        return &o->executor;
    case AZ_OPT_GRACE:
        return &o->grace;
    case AZ_OPT_MAX_INSTANCES:
        return &o->max_instances;
    default:
        return NULL;
    }
}

/* Every value of these options ends up in a JSON document (the task's, its trigger's), which takes only
 * UTF-8: a Latin-1 byte is refused here, naming the option, rather than failing deep in jansson. */
static int check_text(const az_task_opts *o, int code, const char *value)
{
    if (code == 1)
        return az_cli_check_utf8("task id", value);
    char option[64];
    snprintf(option, sizeof option, "--%s", az_cli_option_name(o->table, code));
    return az_cli_check_utf8(option, value);
}

static int on_option(void *ctx, int code, const char *value)
{
    az_task_opts *o = ctx;
    int rc = value ? check_text(o, code, value) : 0;
    if (rc)
        return rc;
    if (code == 1)
        return az_cli_set_positional(&o->positional, value);
    if (code >= AZ_OPT_CRON && code < AZ_OPT_TRIGGER_END)
        return az_cli_trigger_option(&o->trigger, o->table, code, value);
    const char **slot = value_slot(o, code);
    return slot ? az_cli_set_once(o->table, slot, code, value) : set_flag(o, code);
}

int az_cli_task_opts_parse(int argc, char **argv, const struct option *table, az_task_opts *o,
                           az_cli_common *common)
{
    memset(o, 0, sizeof *o);
    o->table = table;
    o->coalesce = -1;
    return az_cli_parse_options(argc, argv, table, common, on_option, o);
}

/* ---- what the task runs -------------------------------------------------------------------------------- */

static bool is_shell(const asyncz_task *t)
{
    return strcmp(asyncz_task_func(t), AZ_CLI_SHELL_FUNC) == 0;
}

static int check_timeout(const char *text)
{
    int64_t usec;
    int rc = az_cli_parse_duration("--timeout", text, &usec);
    if (rc == 0 && usec <= 0)
        rc = az_cli_bad_value("--timeout", text, 0, "must be greater than zero");
    return rc;
}

/* Set a JSON text produced here (not the user's) or the user's --args/--kwargs. */
static int set_json(asyncz_task *t, const char *option, const char *text, bool array)
{
    int rc = array ? asyncz_task_set_args_json(t, text) : asyncz_task_set_kwargs_json(t, text);
    if (rc == ASYNCZ_ETOOBIG)
        return az_cli_bad_value(option, text, 0, "args and kwargs together exceed %d bytes",
                                ASYNCZ_TASK_ARGS_MAX);
    if (rc)
        return az_cli_bad_value(option, text, 0, "not a JSON %s", array ? "array" : "object");
    return 0;
}

/* doc is built from option values already checked to be UTF-8 (check_text), so a NULL here is out of
 * memory, not bad input. */
static int set_dumped(asyncz_task *t, const char *option, json_t *doc, bool array)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return az_cli_failure("%s: out of memory", option);
    int rc = set_json(t, option, text, array);
    free(text);
    return rc;
}

/* A shell task: its command and (optional) timeout; a kept timeout stays when only the command changes. */
static int make_shell(const az_task_opts *o, asyncz_task *t)
{
    bool was_shell = is_shell(t);
    int rc = asyncz_task_set_func(t, AZ_CLI_SHELL_FUNC);
    if (rc)
        return az_cli_failure("cannot set the function: %s", asyncz_strerror(rc));
    rc = set_dumped(t, "--command", json_pack("[s]", o->command), true);
    if (rc == 0 && o->timeout)
        rc = set_dumped(t, "--timeout", json_pack("{s:s}", AZ_CLI_SHELL_TIMEOUT_KEY, o->timeout), false);
    else if (rc == 0 && !was_shell)
        rc = set_json(t, "--kwargs", "{}", false);
    return rc;
}

static int set_timeout_only(const az_task_opts *o, asyncz_task *t)
{
    if (!is_shell(t))
        return az_cli_usage_error(
            "--timeout applies to shell-command tasks (--command); task \"%s\" runs the "
            "function \"%s\"",
            asyncz_task_id(t) ? asyncz_task_id(t) : "", asyncz_task_func(t));
    return set_dumped(t, "--timeout", json_pack("{s:s}", AZ_CLI_SHELL_TIMEOUT_KEY, o->timeout), false);
}

static int make_function(const az_task_opts *o, asyncz_task *t)
{
    bool was_shell = is_shell(t);
    if (o->function) {
        if (strcmp(o->function, AZ_CLI_SHELL_FUNC) == 0)
            return az_cli_bad_value("--function", o->function, 0,
                                    "is the shell-command function: use --command");
        if (asyncz_task_set_func(t, o->function) != 0)
            return az_cli_bad_value("--function", o->function, 0,
                                    "not a valid function name (1 to %d bytes of text)",
                                    ASYNCZ_TASK_FUNC_MAX);
    } else if (was_shell) {
        return az_cli_usage_error(
            "--args and --kwargs apply to function tasks; task \"%s\" runs a shell command",
            asyncz_task_id(t) ? asyncz_task_id(t) : "");
    }
    int rc = 0;
    if (o->args || (o->function && was_shell))
        rc = set_json(t, "--args", o->args ? o->args : "[]", true);
    if (rc == 0 && (o->kwargs || (o->function && was_shell)))
        rc = set_json(t, "--kwargs", o->kwargs ? o->kwargs : "{}", false);
    return rc;
}

int az_cli_apply_what(const az_task_opts *o, asyncz_task *t)
{
    if (o->command && o->function)
        return az_cli_usage_error("--command and --function: give one of them");
    if (o->command && (o->args || o->kwargs))
        return az_cli_usage_error("--args and --kwargs apply to --function tasks, not to --command");
    if (o->function && o->timeout)
        return az_cli_usage_error("--timeout applies to --command tasks, not to --function");
    int rc = o->timeout ? check_timeout(o->timeout) : 0;
    if (rc == 0 && o->command)
        return make_shell(o, t);
    if (rc == 0 && o->timeout)
        rc = set_timeout_only(o, t);
    if (rc == 0 && (o->function || o->args || o->kwargs))
        rc = make_function(o, t);
    return rc;
}

/* ---- task options -------------------------------------------------------------------------------------- */

static int apply_grace(const char *text, asyncz_task *t)
{
    int64_t usec = ASYNCZ_GRACE_UNLIMITED;
    if (strcmp(text, "none") != 0 && strcmp(text, "unlimited") != 0) {
        int rc = az_cli_parse_duration("--misfire-grace-time", text, &usec);
        if (rc)
            return rc;
        if (usec <= 0)
            return az_cli_bad_value("--misfire-grace-time", text, 0,
                                    "must be greater than zero (or 'none' for unlimited)");
    }
    return asyncz_task_set_misfire_grace_time(t, usec)
               ? az_cli_bad_value("--misfire-grace-time", text, 0, "out of range")
               : 0;
}

static int apply_max_instances(const char *text, asyncz_task *t)
{
    long n;
    int rc = az_cli_parse_long(
        "--max-instances", text, ASYNCZ_TASK_MAX_INSTANCES_MIN,
        (long)ASYNCZ_TASK_MAX_INSTANCES_MAX > LONG_MAX ? LONG_MAX : (long)ASYNCZ_TASK_MAX_INSTANCES_MAX, &n);
    return rc                                              ? rc
           : asyncz_task_set_max_instances(t, (uint32_t)n) ? az_cli_failure("cannot set --max-instances")
                                                           : 0;
}

int az_cli_apply_task_options(const az_task_opts *o, asyncz_task *t)
{
    int rc = 0;
    if (o->name && asyncz_task_set_name(t, o->name) != 0)
        rc = az_cli_bad_value("--name", o->name, 0, "not valid text of at most %d bytes",
                              ASYNCZ_TASK_NAME_MAX);
    if (rc == 0 && o->executor && asyncz_task_set_executor(t, o->executor) != 0)
        rc = az_cli_bad_value("--executor", o->executor, 0,
                              "not a valid alias (1 to %d of A-Z a-z 0-9 . _ -)", ASYNCZ_TASK_ALIAS_MAX);
    if (rc == 0 && o->grace)
        rc = apply_grace(o->grace, t);
    if (rc == 0 && o->coalesce != -1)
        asyncz_task_set_coalesce(t, o->coalesce == 1);
    if (rc == 0 && o->max_instances)
        rc = apply_max_instances(o->max_instances, t);
    return rc;
}

/* ---- the trigger --------------------------------------------------------------------------------------- */

static int first_run(const asyncz_trigger *trig, asyncz_time_t now, asyncz_time_t *next)
{
    int rc = asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, now, next);
    if (rc)
        return az_cli_failure("cannot compute the next run time: %s", asyncz_strerror(rc));
    if (*next == ASYNCZ_TIME_NONE && strcmp(asyncz_trigger_kind(trig), "shutdown") != 0)
        return az_cli_usage_error("the trigger has no fire time from now on (is --end-date past?)");
    return 0;
}

int az_cli_apply_trigger(const az_task_opts *o, asyncz_task *t, bool paused)
{
    az_preview_plan plan;
    asyncz_trigger *trig = NULL;
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    int rc = az_cli_resolve_plan(&o->trigger, &plan);
    if (rc == 0)
        rc = az_cli_build_trigger(&o->trigger, &plan, &trig);
    if (rc == 0 && !paused)
        rc = first_run(trig, plan.from, &next);
    if (rc == 0 && (asyncz_task_set_trigger(t, trig) != 0 || asyncz_task_set_next_run_time(t, next) != 0))
        rc = az_cli_failure("cannot set the trigger");
    asyncz_trigger_unref(trig);
    asyncz_zone_unref(plan.zone);
    return rc;
}

int az_cli_validate_task(const asyncz_task *t)
{
    char why[256] = "";
    if (asyncz_task_validate(t, why, sizeof why) != 0)
        return az_cli_usage_error("the task is not valid: %s", why);
    return 0;
}
