/* `asyncz preview --task ID`: the fire times of a stored task's trigger, listed exactly as `asyncz preview`
 * lists a trigger given on the command line. Times are shown in the trigger's zone unless --timezone names
 * another. */
#include "manage.h"

static int check_args(const az_preview_args *a)
{
    if (!a->task)
        return az_cli_usage_error("--store needs --task ID (preview the trigger of a stored task)");
    if (a->n_specs || a->time_of_day || a->start_date || a->end_date || a->jitter || a->jitter_seed ||
        a->combine != AZ_CLI_SINGLE)
        return az_cli_usage_error("--task previews the stored task's own trigger: give no trigger options "
                                  "besides --timezone, --from and --count");
    return 0;
}

static int show(const az_preview_args *a, const asyncz_trigger *trig)
{
    az_preview_args shown = *a;
    if (!shown.timezone)
        shown.timezone = asyncz_zone_name(asyncz_trigger_zone(trig));
    az_preview_plan plan;
    int rc = az_cli_resolve_plan(&shown, &plan);
    if (rc == 0)
        rc = az_cli_preview_run(trig, &plan, a->json);
    asyncz_zone_unref(plan.zone);
    return rc;
}

int az_cli_preview_task(const az_preview_args *a)
{
    int rc = check_args(a);
    az_cli_store s = {0};
    asyncz_task *t = NULL;
    if (rc == 0)
        rc = az_cli_store_open(&s, a->store, 0);
    if (rc == 0)
        rc = az_cli_store_lookup(&s, a->task, &t);
    if (rc == 0 && !asyncz_task_trigger(t))
        rc = az_cli_failure("task \"%s\" has no trigger (it runs once, when a scheduler first sees it)",
                            a->task);
    if (rc == 0)
        rc = show(a, asyncz_task_trigger(t));
    asyncz_task_free(t);
    az_cli_store_close(&s);
    return rc;
}
