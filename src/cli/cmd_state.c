/* `asyncz pause ID`, `asyncz resume ID`, `asyncz remove ID`, `asyncz run ID`: change one task in the store
 * (asyncz_store_pause_task, _resume_task, _remove_task, _request_run). Resuming computes the next run time
 * from now, as a scheduler's resume does. Running writes a run request (asyncz_task_request_run) that the
 * scheduler owning the store carries out; this command runs nothing. */
#include <string.h>

#include "manage.h"

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {NULL, 0, NULL, 0},
};

/* One change: reads or writes the task id in the open store and prints the result. */
typedef int (*change_fn)(az_cli_store *s, const char *id, const az_cli_common *common,
                         const asyncz_zone *zone);

static int on_option(void *ctx, int code, const char *value)
{
    (void)code; /* only positional arguments reach here: the table has no options of its own */
    return az_cli_set_positional(ctx, value);
}

/* Print what the task is now: a line, or its JSON object. */
static int report(const char *verb, const asyncz_task *t, const az_cli_common *common,
                  const asyncz_zone *zone)
{
    if (common->json)
        return az_cli_json_print(az_cli_task_json(t, zone, false));
    char next[ASYNCZ_TIME_FORMAT_SIZE], queued[ASYNCZ_TIME_FORMAT_SIZE];
    asyncz_time_t requested = asyncz_task_run_requested(t);
    az_cli_time_text(next, sizeof next, asyncz_task_next_run_time(t), zone);
    az_cli_time_text(queued, sizeof queued, requested, zone);
    if (requested != ASYNCZ_TIME_NONE)
        printf("%s %s (a queued run at %s still runs once)\n", verb, asyncz_task_id(t), queued);
    else if (asyncz_task_next_run_time(t) == ASYNCZ_TIME_NONE)
        printf("%s %s\n", verb, asyncz_task_id(t));
    else
        printf("%s %s (next run %s)\n", verb, asyncz_task_id(t), next);
    return 0;
}

/* A task id for a change, checked as az_cli_store_lookup checks it. */
static int check_id(const char *id)
{
    if (asyncz_task_id_valid(id))
        return 0;
    return az_cli_bad_value("task id", id, 0,
                            "not a valid id (1 to 255 of A-Z a-z 0-9 . _ @ + -, not starting with . or -)");
}

static int pause_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    asyncz_task *t = NULL;
    bool changed = false;
    int rc = check_id(id);
    if (rc)
        return rc;
    rc = asyncz_store_pause_task(s->st, id, &t, &changed);
    if (rc == ASYNCZ_ESTATE)
        rc = az_cli_failure("task \"%s\" runs when a scheduler shuts down; it has no next run time to pause",
                            id);
    else if (rc)
        rc = az_cli_store_task_failed(s, rc, "cannot write the task", id);
    else
        rc = report(changed ? "paused" : "already paused:", t, common, zone);
    asyncz_task_free(t);
    return rc;
}

static int resume_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    asyncz_task *t = NULL;
    bool changed = false;
    int rc = check_id(id);
    if (rc)
        return rc;
    rc = asyncz_store_resume_task(s->st, id, ASYNCZ_TIME_NONE, &t, &changed);
    if (rc == ASYNCZ_ESTATE)
        rc = az_cli_failure("the trigger of task \"%s\" has no fire time left; nothing changed (remove it "
                            "with 'asyncz remove %s')",
                            id, id);
    else if (rc)
        rc = az_cli_store_task_failed(s, rc, "cannot resume the task", id);
    else
        rc = report(changed ? "resumed" : "not paused:", t, common, zone);
    asyncz_task_free(t);
    return rc;
}

static int remove_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    (void)zone;
    if (!asyncz_task_id_valid(id))
        return az_cli_bad_value("task id", id, 0, "not a valid id");
    int rc = asyncz_store_remove_task(s->st, id);
    if (rc)
        return az_cli_store_failed(rc, "cannot remove the task", id);
    if (common->json)
        return az_cli_json_print(json_pack("{s:s, s:b}", "id", id, "removed", 1));
    printf("removed %s\n", id);
    return 0;
}

/* Print what a run request did: queued now, or one was pending already. */
static int report_request(const asyncz_task *t, bool queued, const az_cli_common *common,
                          const asyncz_zone *zone)
{
    if (common->json) {
        json_t *o = az_cli_task_json(t, zone, false);
        if (o && json_object_set_new(o, "queued", json_boolean(queued)) != 0) {
            json_decref(o);
            o = NULL;
        }
        return az_cli_json_print(o);
    }
    char at[ASYNCZ_TIME_FORMAT_SIZE];
    az_cli_time_text(at, sizeof at, asyncz_task_run_requested(t), zone);
    if (queued)
        printf("queued a run of %s at %s; the scheduler that owns the store runs it\n", asyncz_task_id(t),
               at);
    else
        printf("a run of %s is already queued (at %s)\n", asyncz_task_id(t), at);
    return 0;
}

static int run_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    asyncz_task *t = NULL;
    bool queued = false;
    int rc = check_id(id);
    if (rc)
        return rc;
    rc = asyncz_store_request_run(s->st, id, ASYNCZ_TIME_NONE, &t, &queued);
    rc = rc ? az_cli_store_task_failed(s, rc, "cannot write the task", id)
            : report_request(t, queued, common, zone);
    asyncz_task_free(t);
    return rc;
}

struct change_call {
    change_fn change;
    const char *id;
};

static int call_change(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    const struct change_call *call = ctx;
    return call->change(s, call->id, common, zone);
}

static int run(int argc, char **argv, const char *command, change_fn change)
{
    const char *id = NULL;
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &id);
    if (rc == 0 && az_cli_help_requested(&common, command))
        return az_cli_finish(0);
    if (rc == 0 && !id)
        rc = az_cli_usage_error("no task id given");
    struct change_call call = {.change = change, .id = id};
    return az_cli_with_store(rc, &common, call_change, &call);
}

int az_cli_pause(int argc, char **argv)
{
    return run(argc, argv, "pause", pause_task);
}

int az_cli_resume(int argc, char **argv)
{
    return run(argc, argv, "resume", resume_task);
}

int az_cli_remove(int argc, char **argv)
{
    return run(argc, argv, "remove", remove_task);
}

int az_cli_run(int argc, char **argv)
{
    return run(argc, argv, "run", run_task);
}
