/* One [task ID] section into an asyncz_task. The trigger keys are the words of `asyncz preview`: they are
 * turned into "--key=value" arguments and read by the preview's own parser and trigger builder, whose
 * messages are diverted (az_cli_divert_messages) and reported with the file, line and key. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "shell_task.h"

/* Keys that make a trigger, and the keys that only shape one. */
static const char *const trigger_kinds[] = {"cron", "interval", "calendar_interval", "at", "shutdown", NULL};
static const char *const field_keys[] = {"year", "month",  "day",    "week", "day_of_week",
                                         "hour", "minute", "second", NULL};
static const char *const shaping_keys[] = {"time_of_day", "start_date",  "end_date", "timezone",
                                           "jitter",      "jitter_seed", NULL};
/* Preview options that mean nothing for a stored task. */
static const char *const preview_only[] = {"from", "count", "json", NULL};

static bool in_list(const char *const *list, const char *key)
{
    for (; *list; list++)
        if (strcmp(*list, key) == 0)
            return true;
    return false;
}

static bool is_trigger_key(const char *key)
{
    return in_list(trigger_kinds, key) || in_list(field_keys, key) || in_list(shaping_keys, key) ||
           strcmp(key, "combine") == 0;
}

/* ---- reporting the preview parser's messages ---------------------------------------------------------- */

/* The entry an option of the preview names ("--day-of-week" -> day_of_week). */
static const az_cfg_entry *entry_of_option(const az_cfg_section *sec, const char *option)
{
    if (strncmp(option, "--", 2) != 0)
        return NULL;
    char key[64];
    snprintf(key, sizeof key, "%.60s", option + 2);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    for (size_t i = 0; i < sec->n; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return &sec->entries[i];
    return NULL;
}

static void report_message(const az_cfg_section *sec, const az_cli_message *m, az_cfg_errors *errs)
{
    const az_cfg_entry *e = entry_of_option(sec, m->option);
    if (e)
        az_cfg_error_add(errs, e->line, "[%s] %s: %s", sec->label, e->key, m->text);
    else
        az_cfg_error_add(errs, sec->line, "[%s]: %s", sec->label, m->text);
}

/* ---- the trigger ------------------------------------------------------------------------------------- */

typedef struct trigger_argv {
    char *argv[48];
    int argc;
} trigger_argv;

/* Add "--key=value"; false when out of memory. */
static bool argv_add(trigger_argv *a, const char *key, const char *value)
{
    char *arg = NULL;
    if (asprintf(&arg, "--%s%s%s", key, value ? "=" : "", value ? value : "") < 0)
        return false;
    for (char *p = arg + 2; *p && *p != '='; p++)
        if (*p == '_')
            *p = '-';
    a->argv[a->argc++] = arg;
    a->argv[a->argc] = NULL;
    return true;
}

static void argv_free(trigger_argv *a)
{
    for (int i = 1; i < a->argc; i++)
        free(a->argv[i]);
}

/* The trigger kinds given, as "cron, interval" for messages; returns how many. */
static int count_kinds(az_cfg_section *sec, bool shutdown, char *names, size_t size)
{
    int n = 0;
    names[0] = '\0';
    for (const char *const *k = trigger_kinds; *k; k++) {
        bool given = strcmp(*k, "shutdown") == 0 ? shutdown : az_cfg_get(sec, *k) != NULL;
        if (given) {
            size_t used = strlen(names);
            snprintf(names + used, size - used, "%s%s", n++ ? ", " : "", *k);
        }
    }
    for (const char *const *k = field_keys; *k; k++)
        if (az_cfg_get(sec, *k)) {
            size_t used = strlen(names);
            snprintf(names + used, size - used, "%sthe field keys", n++ ? ", " : "");
            break;
        }
    return n;
}

/* What the preview would say about the combination, in this file's words. */
static int check_kinds(az_cfg_section *sec, bool shutdown, az_cfg_errors *errs)
{
    char names[256];
    int n = count_kinds(sec, shutdown, names, sizeof names);
    az_cfg_entry *combine = az_cfg_get(sec, "combine");
    if (n == 0) {
        az_cfg_error_add(errs, sec->line,
                         "[%s]: no trigger: give cron, interval, calendar-interval, at, shutdown or field "
                         "keys such as minute",
                         sec->label);
        return -1;
    }
    if (n > 1 && !combine) {
        az_cfg_error_add(
            errs, sec->line,
            "[%s]: several triggers (%s): add combine = and (fire when all agree) or combine = or "
            "(fire at the earliest)",
            sec->label, names);
        return -1;
    }
    if (combine && strcmp(combine->value, "and") != 0 && strcmp(combine->value, "or") != 0) {
        az_cfg_error_add(errs, combine->line, "[%s] combine: '%s': must be and or or", sec->label,
                         combine->value);
        return -1;
    }
    az_cfg_entry *tod = az_cfg_get(sec, "time_of_day");
    if (tod && !az_cfg_get(sec, "calendar_interval")) {
        az_cfg_error_add(errs, tod->line, "[%s] time_of_day: needs calendar-interval", sec->label);
        return -1;
    }
    return 0;
}

/* Build the argv of the trigger keys. */
static int trigger_arguments(az_cfg_section *sec, trigger_argv *a, az_cfg_errors *errs)
{
    a->argv[0] = "start";
    a->argv[1] = NULL;
    a->argc = 1;
    for (size_t i = 0; i < sec->n; i++)
        if (is_trigger_key(sec->entries[i].key))
            sec->entries[i].used = true;
    bool shutdown = false;
    az_cfg_entry *e = az_cfg_get(sec, "shutdown");
    if (e && az_cfg_parse_bool(sec, e, &shutdown, errs))
        return -1;
    if (check_kinds(sec, shutdown, errs))
        return -1;
    bool ok = true;
    for (size_t i = 0; i < sec->n; i++) {
        const az_cfg_entry *x = &sec->entries[i];
        if (strcmp(x->key, "shutdown") != 0 && strcmp(x->key, "combine") != 0 && is_trigger_key(x->key))
            ok = ok && argv_add(a, x->key, x->value);
    }
    if (shutdown)
        ok = ok && argv_add(a, "shutdown", NULL);
    e = az_cfg_get(sec, "combine");
    if (e)
        ok = ok && argv_add(a, e->value, NULL);
    if (!ok) {
        argv_free(a);
        az_cfg_error_oom(errs);
        return -1;
    }
    return 0;
}

/* The preview's plan for a task: its zone (or the default), from (ASYNCZ_TIME_NONE: now) as the start of
 * relative triggers, start/end dates and jitter. */
static int make_plan(const az_preview_args *args, asyncz_zone *fallback, asyncz_time_t from,
                     az_preview_plan *p)
{
    memset(p, 0, sizeof *p);
    asyncz_trigger_options_init(&p->opts);
    int rc = 0;
    if (args->timezone)
        rc = az_cli_parse_zone("--timezone", args->timezone, &p->zone);
    else
        p->zone = asyncz_zone_ref(fallback);
    if (rc)
        return rc;
    p->opts.timezone = p->zone;
    /* Relative triggers (interval, calendar interval) count from the whole second the config was read, so
     * that their fire times are whole seconds too. */
    if (from == ASYNCZ_TIME_NONE) {
        p->from = asyncz_now();
        p->from -= p->from % ASYNCZ_USEC_PER_SEC;
    } else {
        p->from = from;
    }
    if (args->start_date)
        rc = az_cli_parse_time("--start-date", args->start_date, p->zone, &p->opts.start_date);
    if (rc == 0 && args->end_date)
        rc = az_cli_parse_time("--end-date", args->end_date, p->zone, &p->opts.end_date);
    if (rc == 0 && args->start_date && args->end_date && p->opts.end_date < p->opts.start_date)
        rc = az_cli_bad_value("--end-date", args->end_date, 0, "is before start-date '%s'", args->start_date);
    if (rc == 0 && args->jitter)
        rc = az_cli_parse_duration("--jitter", args->jitter, &p->opts.jitter);
    if (rc == 0 && p->opts.jitter < 0)
        rc = az_cli_bad_value("--jitter", args->jitter, 0, "must not be negative");
    if (rc == 0 && args->jitter_seed)
        rc = az_cli_parse_seed("--jitter-seed", args->jitter_seed, &p->opts.jitter_seed);
    return rc;
}

int az_cfg_trigger_build(az_cfg_section *sec, asyncz_zone *zone, asyncz_time_t from, asyncz_trigger **out,
                         az_cfg_errors *errs)
{
    trigger_argv a;
    if (trigger_arguments(sec, &a, errs))
        return -1;
    az_cli_message msg;
    az_cli_divert_messages(&msg);
    az_preview_args args;
    az_preview_plan plan = {0};
    int rc = az_cli_preview_parse_args(a.argc, a.argv, &args);
    if (rc == 0)
        rc = make_plan(&args, zone, from, &plan);
    if (rc == 0)
        rc = az_cli_build_trigger(&args, &plan, out);
    az_cli_divert_messages(NULL);
    asyncz_zone_unref(plan.zone);
    argv_free(&a);
    if (rc)
        report_message(sec, &msg, errs);
    return rc ? -1 : 0;
}

/* ---- what runs: a command or a plugin function ----------------------------------------------------------
 */

/* The JSON texts of a command task: ["command"] and {"timeout": "30s"}. The reader let only UTF-8 values
 * through (jansson refuses anything else), so NULL here means out of memory. */
static char *json_one_string(const char *s)
{
    json_t *a = json_pack("[s]", s);
    char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return text;
}

static char *json_timeout(const char *s)
{
    json_t *o = json_pack("{ss}", AZ_CLI_SHELL_TIMEOUT_KEY, s);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static int command_task(az_cfg_section *sec, az_cfg_entry *cmd, az_cfg_task *t, az_cfg_errors *errs)
{
    int rc = 0;
    for (const char *const *k = (const char *const[]){"args", "kwargs", NULL}; *k; k++) {
        az_cfg_entry *e = az_cfg_get(sec, *k);
        if (e) {
            az_cfg_error_add(errs, e->line, "[%s] %s: only a function task takes %s; a command is one line",
                             sec->label, *k, *k);
            rc = -1;
        }
    }
    if (!*cmd->value) {
        az_cfg_error_add(errs, cmd->line, "[%s] command: empty", sec->label);
        rc = -1;
    }
    az_cfg_entry *timeout = az_cfg_get(sec, "timeout");
    int64_t usec;
    if (timeout && az_cfg_parse_duration(sec, timeout, false, &usec, errs))
        rc = -1;
    if (rc)
        return -1;
    if (asyncz_task_new(&t->task, AZ_CLI_SHELL_FUNC) != 0) {
        az_cfg_error_oom(errs); /* the shell's name is valid: only memory can be missing */
        return -1;
    }
    t->shell = true;
    char *args = json_one_string(cmd->value);
    rc = args ? asyncz_task_set_args_json(t->task, args) : ASYNCZ_ENOMEM;
    free(args);
    if (rc == 0 && timeout) {
        char *kwargs = json_timeout(timeout->value);
        rc = kwargs ? asyncz_task_set_kwargs_json(t->task, kwargs) : ASYNCZ_ENOMEM;
        free(kwargs);
    }
    if (rc == ASYNCZ_ENOMEM)
        az_cfg_error_oom(errs);
    else if (rc)
        az_cfg_error_add(errs, cmd->line, "[%s] command: %s", sec->label, asyncz_strerror(rc));
    return rc ? -1 : 0;
}

static int set_json(az_cfg_section *sec, const char *key, asyncz_task *task, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    if (!e)
        return 0;
    bool array = strcmp(key, "args") == 0;
    int rc = array ? asyncz_task_set_args_json(task, e->value) : asyncz_task_set_kwargs_json(task, e->value);
    if (rc == 0)
        return 0;
    if (rc == ASYNCZ_ENOMEM) {
        az_cfg_error_oom(errs);
        return -1;
    }
    az_cfg_error_add(errs, e->line, "[%s] %s: '%s': %s", sec->label, key, e->value,
                     rc == ASYNCZ_ETOOBIG ? "too large"
                     : array              ? "not a JSON array"
                                          : "not a JSON object");
    return -1;
}

static int function_task(az_cfg_section *sec, az_cfg_entry *fn, az_cfg_task *t, az_cfg_errors *errs)
{
    az_cfg_entry *timeout = az_cfg_get(sec, "timeout");
    if (timeout) {
        az_cfg_error_add(errs, timeout->line,
                         "[%s] timeout: only a command task takes a timeout (a function can use executor "
                         "timeouts)",
                         sec->label);
        return -1;
    }
    if (strcmp(fn->value, AZ_CLI_SHELL_FUNC) == 0) {
        az_cfg_error_add(errs, fn->line, "[%s] function: '%s' is the shell: write command = ... instead",
                         sec->label, fn->value);
        return -1;
    }
    int rc = asyncz_task_new(&t->task, fn->value);
    if (rc == ASYNCZ_ENOMEM) {
        az_cfg_error_oom(errs);
        return -1;
    }
    if (rc) {
        az_cfg_error_add(errs, fn->line, "[%s] function: '%s': not a valid function name", sec->label,
                         fn->value);
        return -1;
    }
    rc = set_json(sec, "args", t->task, errs);
    return set_json(sec, "kwargs", t->task, errs) || rc ? -1 : 0;
}

static int what_runs(az_cfg_section *sec, az_cfg_task *t, az_cfg_errors *errs)
{
    az_cfg_entry *cmd = az_cfg_get(sec, "command"), *fn = az_cfg_get(sec, "function");
    if (cmd && fn) {
        az_cfg_error_add(errs, fn->line, "[%s] function: a task has a command or a function, not both",
                         sec->label);
        return -1;
    }
    if (!cmd && !fn) {
        az_cfg_error_add(errs, sec->line,
                         "[%s]: nothing to run: give command = SHELL LINE or function = NAME", sec->label);
        return -1;
    }
    t->func_line = cmd ? cmd->line : fn->line;
    return cmd ? command_task(sec, cmd, t, errs) : function_task(sec, fn, t, errs);
}

/* ---- options
 * ------------------------------------------------------------------------------------------------ */

static int set_alias(az_cfg_section *sec, const char *key, const char *fallback, asyncz_task *task,
                     az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    const char *v = e ? e->value : fallback;
    int rc = strcmp(key, "store") == 0 ? asyncz_task_set_store(task, v) : asyncz_task_set_executor(task, v);
    if (rc == 0)
        return 0;
    az_cfg_error_add(errs, e ? e->line : sec->line,
                     "[%s] %s: '%s': a name is 1 to 64 characters of A-Z a-z 0-9 . _ -", sec->label, key, v);
    return -1;
}

static int set_name(az_cfg_section *sec, asyncz_task *task, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "name");
    int rc = asyncz_task_set_name(task, e ? e->value : sec->name);
    if (rc == 0 || (!e && rc == ASYNCZ_EINVAL)) /* an id is a valid name; check_id reports a bad one */
        return rc ? -1 : 0;
    if (rc == ASYNCZ_ENOMEM)
        az_cfg_error_oom(errs);
    else
        az_cfg_error_add(errs, e->line, "[%s] name: not valid text of at most %d bytes", sec->label,
                         ASYNCZ_TASK_NAME_MAX);
    return -1;
}

static int set_options(az_cfg_section *sec, const az_cfg_defaults *d, asyncz_task *task, az_cfg_errors *errs)
{
    int rc = set_name(sec, task, errs);
    if (set_alias(sec, "store", d->store, task, errs) || set_alias(sec, "executor", d->executor, task, errs))
        rc = -1;
    int64_t grace = d->misfire_grace_time;
    bool coalesce = d->coalesce, paused = false, history = true;
    uint32_t max_instances = d->max_instances;
    az_cfg_entry *e;
    if ((e = az_cfg_get(sec, "misfire_grace_time")) && az_cfg_parse_duration(sec, e, true, &grace, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "coalesce")) && az_cfg_parse_bool(sec, e, &coalesce, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "max_instances")) &&
        az_cfg_parse_uint(sec, e, ASYNCZ_TASK_MAX_INSTANCES_MIN, ASYNCZ_TASK_MAX_INSTANCES_MAX,
                          &max_instances, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "paused")) && az_cfg_parse_bool(sec, e, &paused, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "history")) && az_cfg_parse_bool(sec, e, &history, errs))
        rc = -1;
    if (rc)
        return -1;
    asyncz_task_set_history(task, history);
    asyncz_task_set_misfire_grace_time(task, grace);
    asyncz_task_set_coalesce(task, coalesce);
    asyncz_task_set_max_instances(task, max_instances);
    if (paused)
        asyncz_task_set_next_run_time(task, ASYNCZ_TIME_NONE);
    return 0;
}

/* ---- the section
 * ---------------------------------------------------------------------------------------------- */

static int check_id(const az_cfg_section *sec, az_cfg_errors *errs)
{
    if (asyncz_task_id_valid(sec->name))
        return 0;
    az_cfg_error_add(errs, sec->line,
                     "[%s]: '%s' is not a valid task id (1 to 255 characters of A-Z a-z 0-9 . _ @ + -, not "
                     "starting with . or -)",
                     sec->label, sec->name);
    return -1;
}

static void report_preview_only(const az_cfg_section *sec, az_cfg_errors *errs)
{
    for (size_t i = 0; i < sec->n; i++)
        if (in_list(preview_only, sec->entries[i].key)) {
            sec->entries[i].used = true;
            az_cfg_error_add(errs, sec->entries[i].line,
                             "[%s] %s: a preview option, not one of a task (see asyncz preview)", sec->label,
                             sec->entries[i].key);
        }
}

/* The section's entries and the values of the [scheduler] defaults it inherits: equal texts mean an equal
 * task. Other [scheduler] entries (log_level, identity...) are left out, so changing them rewrites nothing.
 */
static char *fingerprint(const az_cfg_section *sec, const az_cfg_defaults *d)
{
    char *defaults = NULL;
    if (asprintf(&defaults, "zone=%s grace=%lld coalesce=%d max_instances=%u executor=%s store=%s\n",
                 asyncz_zone_name(d->zone), (long long)d->misfire_grace_time, d->coalesce, d->max_instances,
                 d->executor, d->store) < 0)
        return NULL;
    size_t size = strlen(defaults) + strlen(sec->label) + 8;
    for (size_t i = 0; i < sec->n; i++)
        size += strlen(sec->entries[i].key) + strlen(sec->entries[i].value) + 2;
    char *buf = malloc(size);
    if (!buf) {
        free(defaults);
        return NULL;
    }
    size_t used = (size_t)snprintf(buf, size, "%s[%s]\n", defaults, sec->label);
    for (size_t i = 0; i < sec->n; i++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s=%s\n", sec->entries[i].key, sec->entries[i].value);
    free(defaults);
    return buf;
}

int az_cfg_task_build(az_cfg_section *sec, const az_cfg_defaults *d, az_cfg_task *out, az_cfg_errors *errs)
{
    *out = (az_cfg_task){.line = sec->line};
    size_t before = errs->n;
    report_preview_only(sec, errs);
    check_id(sec, errs);
    asyncz_trigger *trigger = NULL;
    int rc = az_cfg_trigger_build(sec, d->zone, ASYNCZ_TIME_NONE, &trigger, errs);
    az_cfg_read_hook(sec, d->hook, &out->hook, errs);
    if (what_runs(sec, out, errs) == 0) {
        asyncz_task_set_id(out->task, sec->name);
        set_options(sec, d, out->task, errs);
        if (rc == 0 && asyncz_task_set_trigger(out->task, trigger) == 0)
            az_cfg_task_check_first_run(sec, out, errs);
    }
    asyncz_trigger_unref(trigger);
    az_cfg_report_unused(sec, errs);
    if (errs->n > before) {
        az_cfg_task_clear(out);
        return -1;
    }
    out->id = strdup(sec->name);
    out->fingerprint = fingerprint(sec, d);
    if (!out->id || !out->fingerprint) {
        az_cfg_task_clear(out);
        az_cfg_error_oom(errs);
        return -1;
    }
    return 0;
}

void az_cfg_task_clear(az_cfg_task *t)
{
    asyncz_task_free(t->task);
    free(t->id);
    free(t->fingerprint);
    free(t->not_scheduled);
    free(t->hook.command);
    *t = (az_cfg_task){0};
}
