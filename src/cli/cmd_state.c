/* `asyncz pause ID`, `asyncz resume ID`, `asyncz remove ID`, `asyncz run ID`: change one task in the store.
 * Resuming computes the next run time from now, as a scheduler's resume does. Running writes a run request
 * (asyncz_task_request_run) that the scheduler owning the store carries out; this command runs nothing. */
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

/* A copy of t with next run time next (ASYNCZ_TIME_NONE: paused), written to the store. A queued run
 * (asyncz run) stays queued: setting the next run time drops it, so it is asked for again. */
static int write_next(az_cli_store *s, const asyncz_task *t, asyncz_time_t next, asyncz_task **out)
{
    asyncz_time_t requested = asyncz_task_run_requested(t);
    int rc = asyncz_task_copy(out, t);
    if (rc == 0)
        rc = asyncz_task_set_next_run_time(*out, next);
    if (rc == 0 && requested != ASYNCZ_TIME_NONE)
        rc = asyncz_task_request_run(*out, requested);
    if (rc)
        return az_cli_failure("cannot change the task: %s", asyncz_strerror(rc));
    return az_cli_store_update(s, *out);
}

static int pause_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    asyncz_task *t = NULL, *changed = NULL;
    int rc = az_cli_store_lookup(s, id, &t);
    const char *state = rc ? "" : az_cli_task_state(t);
    if (rc == 0 && strcmp(state, "shutdown") == 0)
        rc = az_cli_failure("task \"%s\" runs when a scheduler shuts down; it has no next run time to pause",
                            id);
    else if (rc == 0 && strcmp(state, "paused") == 0)
        rc = report("already paused:", t, common, zone);
    else if (rc == 0 && (rc = write_next(s, t, ASYNCZ_TIME_NONE, &changed)) == 0)
        rc = report("paused", changed, common, zone);
    asyncz_task_free(changed);
    asyncz_task_free(t);
    return rc;
}

/* The next run time a resume gives: the trigger's first fire time from now. */
static int resume_time(const asyncz_task *t, asyncz_time_t *next)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    asyncz_time_t now = asyncz_now();
    int rc = trig ? asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, now, next) : 0;
    if (!trig)
        *next = now;
    if (rc)
        return az_cli_failure("cannot compute the next run time of task \"%s\": %s", asyncz_task_id(t),
                              asyncz_strerror(rc));
    if (*next == ASYNCZ_TIME_NONE)
        return az_cli_failure("the trigger of task \"%s\" has no fire time left; nothing changed (remove it "
                              "with 'asyncz remove %s')",
                              asyncz_task_id(t), asyncz_task_id(t));
    return 0;
}

static int resume_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    asyncz_task *t = NULL, *changed = NULL;
    asyncz_time_t next;
    int rc = az_cli_store_lookup(s, id, &t);
    if (rc == 0 && strcmp(az_cli_task_state(t), "paused") != 0)
        rc = report("not paused:", t, common, zone);
    else if (rc == 0 && (rc = resume_time(t, &next)) == 0 && (rc = write_next(s, t, next, &changed)) == 0)
        rc = report("resumed", changed, common, zone);
    asyncz_task_free(changed);
    asyncz_task_free(t);
    return rc;
}

static int remove_task(az_cli_store *s, const char *id, const az_cli_common *common, const asyncz_zone *zone)
{
    (void)zone;
    if (!asyncz_task_id_valid(id))
        return az_cli_bad_value("task id", id, 0, "not a valid id");
    int rc = az_cli_store_ops(s)->remove(s->st, id);
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
    asyncz_task *t = NULL, *changed = NULL;
    int rc = az_cli_store_lookup(s, id, &t);
    bool pending = rc == 0 && asyncz_task_run_requested(t) != ASYNCZ_TIME_NONE;
    if (rc == 0 && pending)
        rc = report_request(t, false, common, zone);
    if (rc == 0 && !pending && (rc = asyncz_task_copy(&changed, t)) == 0)
        rc = asyncz_task_request_run(changed, asyncz_now());
    if (rc < 0)
        rc = az_cli_failure("cannot request a run: %s", asyncz_strerror(rc));
    if (rc == 0 && !pending && (rc = az_cli_store_update(s, changed)) == 0)
        rc = report_request(changed, true, common, zone);
    asyncz_task_free(changed);
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
