/* The config's tasks and the scheduler: checking that the scheduler accepts them (functions registered)
 * without touching a store, and writing them to the stores on start and on reload. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "shell_run.h"
#include "shell_task.h"

#define LOGGER "asyncz.daemon"

int az_daemon_register(asyncz_scheduler *s, const az_config *cfg, const az_plugins *p,
                       const az_shell_context *shell, az_cfg_errors *errs)
{
    int rc = asyncz_scheduler_register(s, AZ_CLI_SHELL_FUNC, az_cli_shell_run, (void *)shell);
    if (rc) {
        az_cfg_error_add(errs, 0, "cannot register the shell function: %s", asyncz_strerror(rc));
        return -1;
    }
    return az_plugins_init(cfg, p, s, errs);
}

static void report_refusal(const az_cfg_task *t, int rc, const char *why, az_cfg_errors *errs)
{
    const char *func = asyncz_task_func(t->task);
    if (rc == ASYNCZ_ENOTFOUND && strstr(why, "not registered"))
        az_cfg_error_add(errs, t->func_line,
                         "[task %s] function: '%s': no plugin registers this function (plugins are named by "
                         "[scheduler] plugins)",
                         t->id, func);
    else
        az_cfg_error_add(errs, t->line, "[task %s]: %s", t->id, why);
}

/* A scheduler that never starts takes the tasks as "waiting for their store": add_task checks each one as
 * it would when running (function registered, every option valid, a first fire time found), and nothing
 * reaches a store. */
int az_daemon_check_tasks(const az_config *cfg, const az_plugins *p, az_cfg_errors *errs)
{
    asyncz_scheduler_options opts;
    asyncz_scheduler_options_init(&opts);
    opts.timezone = cfg->zone;
    asyncz_scheduler *s;
    if (asyncz_scheduler_new(&s, &opts) != 0) {
        az_cfg_error_add(errs, 0, "cannot make a scheduler to check the tasks");
        return -1;
    }
    size_t before = errs->n;
    if (az_daemon_register(s, cfg, p, NULL, errs) == 0)
        for (size_t i = 0; i < cfg->n_tasks; i++) {
            int rc = asyncz_scheduler_add_task(s, cfg->tasks[i].task, 0);
            if (rc)
                report_refusal(&cfg->tasks[i], rc, asyncz_scheduler_errmsg(s), errs);
        }
    asyncz_scheduler_free(s);
    return errs->n > before ? -1 : 0;
}

/* ---- what a load wrote ------------------------------------------------------------------------------ */

/* Remember t as written by this load; false when out of memory (then a later reload that drops t from the
 * config cannot remove it from its store: the caller says so). */
static bool written_add(az_written *w, const az_cfg_task *t)
{
    size_t n = w->n + 1;
    char **ids = realloc(w->ids, n * sizeof *ids);
    if (ids)
        w->ids = ids;
    char **stores = realloc(w->stores, n * sizeof *stores);
    if (stores)
        w->stores = stores;
    char **fps = realloc(w->fingerprints, n * sizeof *fps);
    if (fps)
        w->fingerprints = fps;
    char *id = ids && stores && fps ? strdup(t->id) : NULL;
    char *store = id ? strdup(asyncz_task_store(t->task)) : NULL;
    char *fp = store ? strdup(t->fingerprint) : NULL;
    if (!fp) {
        free(id);
        free(store);
        return false;
    }
    w->ids[w->n] = id;
    w->stores[w->n] = store;
    w->fingerprints[w->n] = fp;
    w->n = n;
    return true;
}

void az_written_free(az_written *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->ids[i]);
        free(w->stores[i]);
        free(w->fingerprints[i]);
    }
    free(w->ids);
    free(w->stores);
    free(w->fingerprints);
    *w = (az_written){0};
}

/* The index of (id, store) in w, or -1. */
static long written_find(const az_written *w, const char *id, const char *store)
{
    for (size_t i = 0; w && i < w->n; i++)
        if (strcmp(w->ids[i], id) == 0 && strcmp(w->stores[i], store) == 0)
            return (long)i;
    return -1;
}

/* ---- writing ------------------------------------------------------------------------------------------ */

/* Whether the stored task is the one an earlier load wrote from the same section: left alone, it keeps its
 * schedule (an interval's rhythm) and a pause made with `asyncz pause`. */
static bool unchanged(asyncz_scheduler *s, const az_cfg_task *t, const az_written *prev)
{
    long i = written_find(prev, t->id, asyncz_task_store(t->task));
    if (i < 0 || strcmp(prev->fingerprints[i], t->fingerprint) != 0)
        return false;
    asyncz_task *stored = NULL;
    bool there = asyncz_scheduler_get_task(s, &stored, t->id, asyncz_task_store(t->task)) == 0;
    asyncz_task_free(stored);
    return there;
}

/* What the log says of a task's next run. */
static void next_run_text(const asyncz_task *stored, const az_config *cfg, char *buf, size_t size)
{
    const asyncz_trigger *trig = stored ? asyncz_task_trigger(stored) : NULL;
    if (stored && asyncz_task_next_run_time(stored) != ASYNCZ_TIME_NONE)
        asyncz_time_format(buf, size, asyncz_task_next_run_time(stored), cfg->zone);
    else if (trig && strcmp(asyncz_trigger_kind(trig), "shutdown") == 0)
        snprintf(buf, size, "at shutdown (a shutdown task runs when the daemon stops)");
    else
        snprintf(buf, size, "none (paused)");
}

static void log_next_run(asyncz_scheduler *s, const az_cfg_task *t, const az_config *cfg, const char *verb,
                         bool kept_paused)
{
    asyncz_task *stored = NULL;
    char when[ASYNCZ_TIME_FORMAT_SIZE + 64];
    asyncz_scheduler_get_task(s, &stored, t->id, asyncz_task_store(t->task));
    next_run_text(stored, cfg, when, sizeof when);
    asyncz_task_free(stored);
    if (kept_paused)
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER,
                   "task %s %s in store %s with the [scheduler] defaults it inherits; it stays paused as it "
                   "was (asyncz resume %s)",
                   t->id, verb, asyncz_task_store(t->task), t->id);
    else
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "task %s %s in store %s; next run: %s", t->id, verb,
                   asyncz_task_store(t->task), when);
}

/* The next run time add_task would give t: the trigger's first fire time from now (paused stays paused). */
static asyncz_time_t first_run(const asyncz_task *t)
{
    if (asyncz_task_has_next_run_time(t))
        return asyncz_task_next_run_time(t);
    asyncz_trigger *trig = asyncz_task_trigger(t);
    asyncz_time_t now = asyncz_now(), next = now;
    if (trig && asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, now, &next) != 0)
        next = ASYNCZ_TIME_NONE;
    return next;
}

/* The task's own section, without the [scheduler] defaults that start its fingerprint (config_task.c: one
 * line of defaults, then the section). */
static const char *own_section(const char *fingerprint)
{
    const char *nl = strchr(fingerprint, '\n');
    return nl ? nl + 1 : fingerprint;
}

/* Whether what changed since prev wrote t is only the [scheduler] defaults it inherits (timezone,
 * misfire_grace_time...), not its own section: then a pause made with `asyncz pause` is kept. */
static bool only_defaults_changed(const az_cfg_task *t, const az_written *prev)
{
    long i = written_find(prev, t->id, asyncz_task_store(t->task));
    return i >= 0 && strcmp(own_section(prev->fingerprints[i]), own_section(t->fingerprint)) == 0;
}

/* What the stored version of t has that writing the config's version again must keep: a run queued with
 * `asyncz run` that it still waits for (queued while the daemon was stopped, say), and a pause made by hand
 * when only inherited defaults changed. */
typedef struct carried {
    asyncz_time_t requested; /* ASYNCZ_TIME_NONE: no run queued */
    bool paused;
} carried;

static carried what_to_carry(asyncz_scheduler *s, const az_cfg_task *t, const az_written *prev)
{
    carried c = {.requested = ASYNCZ_TIME_NONE};
    asyncz_task *stored = NULL;
    if (asyncz_scheduler_get_task(s, &stored, t->id, asyncz_task_store(t->task)) != 0)
        return c;
    c.requested = asyncz_task_run_requested(stored);
    const asyncz_trigger *trig = asyncz_task_trigger(stored);
    c.paused = asyncz_task_next_run_time(stored) == ASYNCZ_TIME_NONE &&
               !(trig && strcmp(asyncz_trigger_kind(trig), "shutdown") == 0) &&
               only_defaults_changed(t, prev);
    asyncz_task_free(stored);
    return c;
}

/* The config's task with what is carried over, or NULL when nothing is (then t->task is written as is). */
static asyncz_task *with_carried(const az_cfg_task *t, carried c)
{
    asyncz_task *copy = NULL;
    if ((c.requested == ASYNCZ_TIME_NONE && !c.paused) || asyncz_task_copy(&copy, t->task) != 0)
        return NULL;
    if (asyncz_task_set_next_run_time(copy, c.paused ? ASYNCZ_TIME_NONE : first_run(t->task)) != 0 ||
        (c.requested != ASYNCZ_TIME_NONE && asyncz_task_request_run(copy, c.requested) != 0)) {
        asyncz_task_free(copy);
        return NULL;
    }
    return copy;
}

static bool write_one(asyncz_scheduler *s, const az_config *cfg, const az_cfg_task *t, const az_written *prev)
{
    if (prev && unchanged(s, t, prev))
        return true;
    bool existed = written_find(prev, t->id, asyncz_task_store(t->task)) >= 0;
    carried c = what_to_carry(s, t, prev);
    asyncz_task *copy = with_carried(t, c);
    if (!copy && (c.paused || c.requested != ASYNCZ_TIME_NONE)) {
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: out of memory; the stored task is left as it is",
                   t->id);
        return false;
    }
    bool kept_paused = c.paused;
    int rc = asyncz_scheduler_add_task(s, copy ? copy : t->task, ASYNCZ_REPLACE_EXISTING);
    asyncz_task_free(copy);
    if (rc) {
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: cannot write it to store %s: %s", t->id,
                   asyncz_task_store(t->task), asyncz_scheduler_errmsg(s));
        return false;
    }
    log_next_run(s, t, cfg, existed ? "updated" : "written", kept_paused);
    return true;
}

/* A task the config keeps but the schedule must not (a one-shot whose time has passed): say so, and take
 * out a copy an earlier load wrote, so that a date edited into the past does not leave the old date
 * scheduled. */
static void leave_out(asyncz_scheduler *s, const az_config *cfg, const az_cfg_task *t)
{
    asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "%s:%d: %s; the task is left out of the schedule", cfg->path,
               t->not_scheduled_line, t->not_scheduled);
    const char *store = asyncz_task_store(t->task);
    int rc = asyncz_scheduler_remove_task(s, t->id, store);
    if (rc == 0)
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "task %s removed from store %s: left out of the schedule", t->id,
                   store);
    else if (rc != ASYNCZ_ENOTFOUND)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: cannot remove it from store %s: %s", t->id, store,
                   asyncz_scheduler_errmsg(s));
}

static bool in_config(const az_config *cfg, const char *id, const char *store)
{
    for (size_t i = 0; i < cfg->n_tasks; i++)
        if (strcmp(cfg->tasks[i].id, id) == 0 && strcmp(asyncz_task_store(cfg->tasks[i].task), store) == 0)
            return true;
    return false;
}

/* Remove what prev wrote that cfg no longer has. Tasks added by other means were never in prev. */
static void remove_dropped(asyncz_scheduler *s, const az_config *cfg, const az_written *prev)
{
    for (size_t i = 0; prev && i < prev->n; i++) {
        if (in_config(cfg, prev->ids[i], prev->stores[i]))
            continue;
        int rc = asyncz_scheduler_remove_task(s, prev->ids[i], prev->stores[i]);
        if (rc == 0)
            asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "task %s removed from store %s: no longer in the config",
                       prev->ids[i], prev->stores[i]);
        else if (rc != ASYNCZ_ENOTFOUND)
            asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: cannot remove it from store %s: %s", prev->ids[i],
                       prev->stores[i], asyncz_scheduler_errmsg(s));
    }
}

size_t az_daemon_write_tasks(asyncz_scheduler *s, const az_config *cfg, const az_written *prev,
                             az_written *now)
{
    size_t failed = 0;
    *now = (az_written){0};
    /* The audit trail names the config as the author of what a load writes. */
    asyncz_set_actor("config");
    for (size_t i = 0; i < cfg->n_tasks; i++) {
        const az_cfg_task *t = &cfg->tasks[i];
        if (t->not_scheduled)
            leave_out(s, cfg, t);
        else if (!write_one(s, cfg, t, prev))
            failed++;
        if (!written_add(now, &cfg->tasks[i]))
            asyncz_log(ASYNCZ_LOG_ERROR, LOGGER,
                       "task %s: out of memory: a reload that drops it from the config will not remove it",
                       cfg->tasks[i].id);
    }
    remove_dropped(s, cfg, prev);
    asyncz_set_actor(NULL);
    return failed;
}
