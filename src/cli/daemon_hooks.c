/* Failure hooks (`on_failure`, docs/daemon.md): when a run fails, the daemon starts the task's hook
 * command through the shell with the failed run's environment.
 *
 * The scheduler's loop thread only decides and queues (az_hooks_on_event: a short lock, no I/O); hook
 * threads started with the daemon run the queued hooks (shell_job.c: own process group, output logged, a
 * timeout). Forking from these threads is safe: the children make only async-signal-safe calls before
 * exec. The daemon stops them like runs: it waits for them within shutdown_timeout, then aborts them (their
 * commands are stopped, queued hooks dropped) and joins the threads. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "daemon.h"
#include "hook_record.h"
#include "hook_rules.h"
#include "shell_env.h"
#include "shell_job.h"

#define LOGGER "asyncz.hook"
/* Hooks running at once; more wait in the queue. */
#define HOOK_THREADS 2
/* Hooks waiting at most; more are dropped (and logged): the rate limit keeps a task from getting here. */
#define HOOK_QUEUE_MAX 256

extern char **environ;

typedef struct hook_of_task {
    char *id, *store;
    az_cfg_hook hook;
} hook_of_task;

typedef struct hook_job {
    struct hook_job *next;
    char *task_id, *task_name, *run_id, *command, *error, *store;
    asyncz_time_t scheduled;
    uint64_t fencing_token;
    az_run_failure failure;
    uint32_t suppressed;
    int64_t timeout; /* usec */
} hook_job;

struct az_hooks {
    asyncz_scheduler *s; /* where hook runs are recorded */
    size_t output_max;
    const char *identity;
    const asyncz_zone *zone;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* under lock */
    hook_of_task *tasks;
    size_t n_tasks;
    az_cfg_hook fallback; /* [scheduler] */
    az_hook_limiter limiter;
    hook_job *head, *tail;
    size_t queued, running;
    bool closing;
    /* the stop flag the running commands watch */
    atomic_bool abort;
    pthread_t threads[HOOK_THREADS];
    size_t n_threads;
};

static int64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * ASYNCZ_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- the hooks of the config ----------------------------------------------------------------------------
 */

static void hook_clear(az_cfg_hook *h)
{
    free(h->command);
    h->command = NULL;
}

static int hook_copy(az_cfg_hook *to, const az_cfg_hook *from)
{
    *to = *from;
    to->command = from->command ? strdup(from->command) : NULL;
    return from->command && !to->command ? ASYNCZ_ENOMEM : 0;
}

static void tasks_free(hook_of_task *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].id);
        free(t[i].store);
        hook_clear(&t[i].hook);
    }
    free(t);
}

int az_hooks_new(az_hooks **out, asyncz_scheduler *s, size_t output_max, const char *identity,
                 const asyncz_zone *zone)
{
    az_hooks *h = calloc(1, sizeof *h);
    if (!h)
        return ASYNCZ_ENOMEM;
    h->s = s;
    h->output_max = output_max;
    h->identity = identity;
    h->zone = zone;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->changed, NULL);
    az_hook_limiter_init(&h->limiter);
    *out = h;
    return 0;
}

int az_hooks_configure(az_hooks *h, const az_config *cfg)
{
    hook_of_task *tasks = calloc(cfg->n_tasks ? cfg->n_tasks : 1, sizeof *tasks);
    az_cfg_hook fallback = {0};
    int rc = tasks ? hook_copy(&fallback, &cfg->hook) : ASYNCZ_ENOMEM;
    for (size_t i = 0; rc == 0 && i < cfg->n_tasks; i++) {
        tasks[i].id = strdup(cfg->tasks[i].id);
        tasks[i].store = strdup(asyncz_task_store(cfg->tasks[i].task));
        rc = hook_copy(&tasks[i].hook, &cfg->tasks[i].hook);
        if (!tasks[i].id || !tasks[i].store)
            rc = ASYNCZ_ENOMEM;
    }
    if (rc) {
        tasks_free(tasks, cfg->n_tasks);
        hook_clear(&fallback);
        return rc;
    }
    pthread_mutex_lock(&h->lock);
    hook_of_task *old = h->tasks;
    size_t n_old = h->n_tasks;
    h->tasks = tasks;
    h->n_tasks = cfg->n_tasks;
    hook_clear(&h->fallback);
    h->fallback = fallback;
    pthread_mutex_unlock(&h->lock);
    tasks_free(old, n_old);
    return 0;
}

/* The hook of a task (under lock): its config section's, else [scheduler]'s. */
static const az_cfg_hook *hook_for(const az_hooks *h, const char *store, const char *id)
{
    for (size_t i = 0; i < h->n_tasks; i++)
        if (strcmp(h->tasks[i].id, id) == 0 && strcmp(h->tasks[i].store, store) == 0)
            return &h->tasks[i].hook;
    return &h->fallback;
}

/* ---- queueing -------------------------------------------------------------------------------------------
 */

static void job_free(hook_job *j)
{
    if (!j)
        return;
    free(j->task_id);
    free(j->task_name);
    free(j->run_id);
    free(j->command);
    free(j->error);
    free(j->store);
    free(j);
}

static char *copy_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static hook_job *job_new(const asyncz_event *ev, const az_cfg_hook *hook, const az_run_failure *f,
                         uint32_t suppressed)
{
    hook_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    *j = (hook_job){.task_id = strdup(ev->task_id),
                    .task_name = copy_or_null(ev->task_name),
                    .run_id = copy_or_null(ev->run_id),
                    .command = strdup(hook->command),
                    .error = strdup(ev->error_message ? ev->error_message : ""),
                    .store = copy_or_null(ev->alias),
                    .scheduled = ev->scheduled_run_time,
                    .fencing_token = ev->fencing_token,
                    .failure = *f,
                    .suppressed = suppressed,
                    .timeout = hook->timeout};
    if (!j->task_id || !j->command || !j->error || (ev->task_name && !j->task_name) ||
        (ev->run_id && !j->run_id) || (ev->alias && !j->store)) {
        job_free(j);
        return NULL;
    }
    return j;
}

static void format_usec(int64_t usec, char *buf, size_t size)
{
    if (asyncz_duration_format(buf, size, usec) < 0)
        snprintf(buf, size, "%" PRId64 "us", usec);
}

/* Under lock: the limit, then the queue. Returns the job to queue, or NULL (held back or dropped). */
static hook_job *admit(az_hooks *h, const asyncz_event *ev, const az_run_failure *f)
{
    const az_cfg_hook *hook = hook_for(h, ev->alias ? ev->alias : "", ev->task_id);
    if (!hook->command || h->closing)
        return NULL;
    char key[1024], every[48];
    snprintf(key, sizeof key, "%s\n%s", ev->alias ? ev->alias : "", ev->task_id);
    uint32_t suppressed;
    if (!az_hook_limiter_admit(&h->limiter, key, mono_usec(), hook->interval, &suppressed)) {
        format_usec(hook->interval, every, sizeof every);
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "task %s: failed again (%s); its on_failure hook is held back: at most one every %s "
                   "(on_failure_interval)",
                   ev->task_id, f->outcome, every);
        return NULL;
    }
    if (h->queued >= HOOK_QUEUE_MAX) {
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER,
                   "task %s: failed (%s); its on_failure hook is dropped: %d hooks "
                   "are waiting already",
                   ev->task_id, f->outcome, HOOK_QUEUE_MAX);
        return NULL;
    }
    hook_job *j = job_new(ev, hook, f, suppressed);
    if (!j)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: out of memory: its on_failure hook does not run",
                   ev->task_id);
    return j;
}

void az_hooks_on_event(az_hooks *h, const asyncz_event *ev)
{
    az_run_failure f;
    if (ev->code != ASYNCZ_EVENT_TASK_ERROR || !ev->task_id || !az_hook_classify(ev, &f))
        return;
    pthread_mutex_lock(&h->lock);
    hook_job *j = admit(h, ev, &f);
    if (j) {
        if (h->tail)
            h->tail->next = j;
        else
            h->head = j;
        h->tail = j;
        h->queued++;
        pthread_cond_signal(&h->changed);
    }
    pthread_mutex_unlock(&h->lock);
}

/* ---- running --------------------------------------------------------------------------------------------
 */

static int set_number(az_shell_env *e, const char *name, long long n)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", n);
    return az_shell_env_set(e, name, text);
}

/* The failed run's environment (shell_env.h) and what went wrong. */
static int build_env(const az_hooks *h, const hook_job *j, az_shell_env *env)
{
    az_run_context c = {.task_id = j->task_id,
                        .task_name = j->task_name,
                        .run_id = j->run_id,
                        .scheduler = h->identity,
                        .scheduled = j->scheduled,
                        .fencing_token = j->fencing_token,
                        .zone = h->zone};
    int rc = az_shell_env_init(env, environ);
    rc = rc ? rc : az_shell_env_set_context(env, &c);
    rc = rc ? rc : az_shell_env_set(env, "ASYNCZ_OUTCOME", j->failure.outcome);
    rc = rc ? rc : az_shell_env_set(env, "ASYNCZ_ERROR", j->error);
    rc = rc ? rc : set_number(env, "ASYNCZ_SUPPRESSED", j->suppressed);
    az_shell_env_unset(env, "ASYNCZ_EXIT_STATUS");
    az_shell_env_unset(env, "ASYNCZ_SIGNAL");
    if (rc == 0 && j->failure.exit_status >= 0)
        rc = set_number(env, "ASYNCZ_EXIT_STATUS", j->failure.exit_status);
    if (rc == 0 && j->failure.signal > 0)
        rc = set_number(env, "ASYNCZ_SIGNAL", j->failure.signal);
    if (rc)
        az_shell_env_free(env);
    return rc;
}

static void log_outcome(const hook_job *j, const az_shell_job_result *r)
{
    char limit[48];
    format_usec(j->timeout, limit, sizeof limit);
    if (r->stopped)
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "task %s: on_failure hook stopped: the daemon is stopping",
                   j->task_id);
    else if (r->timed_out)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER,
                   "task %s: on_failure hook timed out after %s (on_failure_timeout): stopped", j->task_id,
                   limit);
    else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "task %s: on_failure hook done", j->task_id);
    else if (WIFEXITED(r->status))
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: on_failure hook failed: exit status %d", j->task_id,
                   WEXITSTATUS(r->status));
    else if (WIFSIGNALED(r->status))
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: on_failure hook failed: killed by signal %d (SIG%s)",
                   j->task_id, WTERMSIG(r->status), sigabbrev_np(WTERMSIG(r->status)));
}

static void run_job(az_hooks *h, const hook_job *j)
{
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "task %s: run %s (%s): starting its on_failure hook", j->task_id,
               j->failure.outcome, j->error);
    az_shell_env env;
    if (build_env(h, j, &env) != 0) {
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: out of memory: its on_failure hook does not run",
                   j->task_id);
        return;
    }
    char tag[320];
    snprintf(tag, sizeof tag, "%s on_failure", j->task_id);
    int64_t ms = j->timeout / ASYNCZ_USEC_PER_MSEC;
    az_hook_output out = {.max_bytes = h->output_max};
    az_shell_job_spec spec = {.line = j->command,
                              .envp = az_shell_env_items(&env),
                              .logger = LOGGER,
                              .tag = tag,
                              .timeout_ms = ms > 0 ? ms : 1,
                              .stop = &h->abort,
                              .on_line = h->output_max ? az_hook_output_line : NULL,
                              .line_data = &out};
    az_shell_job_result r = {0};
    az_hook_run run = {.task_id = j->task_id,
                       .task_name = j->task_name,
                       .store = j->store,
                       .failed_run_id = j->run_id,
                       .scheduled = j->scheduled,
                       .started = asyncz_now()};
    int rc = az_shell_job_run(&spec, &r);
    run.finished = asyncz_now();
    az_shell_env_free(&env);
    if (rc)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "task %s: cannot start the on_failure hook's /bin/sh: %s",
                   j->task_id, strerror(-rc));
    else
        log_outcome(j, &r);
    az_hook_record(h->s, &run, rc, &r, &out, LOGGER);
    az_hook_output_free(&out);
}

static void *hook_thread(void *arg)
{
    az_hooks *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (!h->head && !h->closing)
            pthread_cond_wait(&h->changed, &h->lock);
        hook_job *j = h->head;
        if (!j)
            break; /* closing, nothing left */
        h->head = j->next;
        if (!h->head)
            h->tail = NULL;
        h->queued--;
        h->running++;
        pthread_mutex_unlock(&h->lock);
        if (!atomic_load(&h->abort))
            run_job(h, j);
        job_free(j);
        pthread_mutex_lock(&h->lock);
        h->running--;
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

int az_hooks_start(az_hooks *h)
{
    for (; h->n_threads < HOOK_THREADS; h->n_threads++)
        if (pthread_create(&h->threads[h->n_threads], NULL, hook_thread, h) != 0)
            return h->n_threads ? 0 : ASYNCZ_ENOMEM;
    return 0;
}

bool az_hooks_idle(az_hooks *h)
{
    pthread_mutex_lock(&h->lock);
    bool idle = h->queued == 0 && h->running == 0;
    pthread_mutex_unlock(&h->lock);
    return idle;
}

void az_hooks_abort(az_hooks *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    size_t dropped = h->queued;
    h->closing = true;
    atomic_store(&h->abort, true);
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    if (dropped)
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "stopping: %zu waiting on_failure hook(s) do not run",
                   dropped);
}

void az_hooks_free(az_hooks *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->closing = true;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < h->n_threads; i++)
        pthread_join(h->threads[i], NULL);
    for (hook_job *j = h->head, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    tasks_free(h->tasks, h->n_tasks);
    hook_clear(&h->fallback);
    az_hook_limiter_free(&h->limiter);
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
