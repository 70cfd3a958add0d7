/* A trigger whose first run time is already past the task's misfire grace time: a scheduler would count
 * that run as missed the moment it sees the task, and a date trigger (`--at`, `at =`) has no later run, so
 * the task would leave the schedule without running. add, update and the config file refuse it with one
 * message (see cli.h). */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"

bool az_cli_first_run_missed(const asyncz_trigger *trigger, int64_t grace, asyncz_time_t now,
                             const char *grace_option, char *why, size_t size)
{
    asyncz_time_t first = ASYNCZ_TIME_NONE;
    if (!trigger || grace == ASYNCZ_GRACE_UNLIMITED ||
        asyncz_trigger_next(trigger, ASYNCZ_TIME_NONE, now, &first) != 0 || first == ASYNCZ_TIME_NONE ||
        now - first <= grace)
        return false;
    char when[ASYNCZ_TIME_FORMAT_SIZE], late[48], allowed[48];
    if (asyncz_time_format(when, sizeof when, first, asyncz_trigger_zone(trigger)) < 0)
        snprintf(when, sizeof when, "%lld", (long long)first);
    /* Whole seconds: "2y3mo..." to the microsecond says nothing more to the reader. */
    asyncz_duration_format(late, sizeof late, (now - first) / ASYNCZ_USEC_PER_SEC * ASYNCZ_USEC_PER_SEC);
    asyncz_duration_format(allowed, sizeof allowed, grace);
    snprintf(why, size,
             "is in the past: the first run time %s is %s ago, more than the misfire grace time (%s), so a "
             "scheduler would count that run as missed%s; give a time from now on, or %s none to run it "
             "once when a scheduler picks the task up",
             when, late, allowed,
             asyncz_trigger_next(trigger, first, now, &first) == 0 && first == ASYNCZ_TIME_NONE
                 ? " and remove the task without running it"
                 : "",
             grace_option);
    return true;
}

int az_cli_refuse_missed_first_run(const az_preview_args *trigger_args, const asyncz_task *t)
{
    char why[768];
    if (asyncz_task_next_run_time(t) == ASYNCZ_TIME_NONE ||
        asyncz_task_run_requested(t) != ASYNCZ_TIME_NONE ||
        !az_cli_first_run_missed(asyncz_task_trigger(t), asyncz_task_misfire_grace_time(t), asyncz_now(),
                                 "--misfire-grace-time", why, sizeof why))
        return 0;
    /* Only a date can lie in the past (the other triggers count from now): blame the --at that does. */
    for (size_t i = 0; i < trigger_args->n_specs; i++)
        if (trigger_args->specs[i].kind == AZ_CLI_DATE)
            return az_cli_bad_value("--at", trigger_args->specs[i].value, 0, "%s", why);
    return az_cli_usage_error("the trigger %s", why);
}

/* Whether the trigger has a run after its first one from now (an `at =` or-ed with a cron, say). */
static bool runs_again(const asyncz_trigger *trigger, asyncz_time_t now)
{
    asyncz_time_t first = ASYNCZ_TIME_NONE, next = ASYNCZ_TIME_NONE;
    return asyncz_trigger_next(trigger, ASYNCZ_TIME_NONE, now, &first) == 0 && first != ASYNCZ_TIME_NONE &&
           asyncz_trigger_next(trigger, first, now, &next) == 0 && next != ASYNCZ_TIME_NONE;
}

/* In a config file a past one-shot is left out rather than refused: the file that scheduled it keeps
 * working (a restart or a reload after the task ran must not stop the daemon), and --check and the log
 * say it at its line. A trigger that runs again later (a past `at =` or-ed with a cron) is kept: a
 * scheduler reports the one missed run and goes on. */
int az_cfg_task_check_first_run(az_cfg_section *sec, az_cfg_task *out, az_cfg_errors *errs)
{
    char why[768];
    const asyncz_task *task = out->task;
    asyncz_time_t now = asyncz_now();
    bool paused = asyncz_task_has_next_run_time(task) && asyncz_task_next_run_time(task) == ASYNCZ_TIME_NONE;
    if (paused || runs_again(asyncz_task_trigger(task), now) ||
        !az_cli_first_run_missed(asyncz_task_trigger(task), asyncz_task_misfire_grace_time(task), now,
                                 "misfire_grace_time =", why, sizeof why))
        return 0;
    az_cfg_entry *at = az_cfg_get(sec, "at");
    int n = at ? asprintf(&out->not_scheduled, "[%s] at: '%s' %s", sec->label, at->value, why)
               : asprintf(&out->not_scheduled, "[%s]: the trigger %s", sec->label, why);
    if (n < 0) {
        out->not_scheduled = NULL;
        az_cfg_error_oom(errs);
        return -1;
    }
    out->not_scheduled_line = at ? at->line : sec->line;
    return 0;
}
