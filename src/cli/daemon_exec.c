/* The daemon's executors: each executor of the config is a pair of library executors of its kind behind
 * one executor of the extension API (asyncz/sys/executor.h):
 *
 *   main   takes every run until the daemon stops;
 *   final  takes the runs of the shutdown tasks, which the scheduler submits as it shuts down.
 *
 * So a stop in three steps is possible, each step bounded by shutdown_timeout: wait for the running tasks;
 * stop the ones still going (main shut down without waiting: a process pool kills its busy workers, and
 * through their watchdogs the commands' process groups); then give the shutdown tasks their own time on
 * final, and stop them in turn. A single executor could not do it: shutting it down to stop the running
 * tasks would refuse or kill the shutdown tasks too, and a process pool cannot be started again in a
 * threaded daemon (its helper must be forked before any thread exists). Both are started with the
 * scheduler, final with only as many workers as the config has shutdown tasks on that executor (at least
 * one, at most as many as main). */
#include <stdatomic.h>
#include <stdlib.h>

#include "asyncz/sys/executor.h"
#include "daemon.h"

typedef struct daemon_exec {
    asyncz_executor_base base;
    asyncz_executor_ops ops; /* the inner executors' flags */
    asyncz_executor *main, *final;
    pthread_mutex_t lock; /* the inner executors' shutdowns, which are not reentrant */
    bool main_up, final_up;
    atomic_bool final_phase; /* runs go to final from now on */
} daemon_exec;

static const asyncz_executor_ops *inner_ops(asyncz_executor *ex)
{
    return ASYNCZ_EXECUTOR_BASE(ex)->ops;
}

static int inner_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    return inner_ops(ex)->start ? inner_ops(ex)->start(ex, host) : 0;
}

static int pair_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    daemon_exec *e = (daemon_exec *)ex;
    int rc = inner_start(e->main, host);
    if (rc)
        return rc;
    rc = inner_start(e->final, host);
    if (rc) {
        inner_ops(e->main)->shutdown(e->main, false);
        return rc;
    }
    pthread_mutex_lock(&e->lock);
    e->main_up = e->final_up = true;
    pthread_mutex_unlock(&e->lock);
    atomic_store(&e->final_phase, false);
    return 0;
}

static int pair_submit(asyncz_executor *ex, asyncz_run *run)
{
    daemon_exec *e = (daemon_exec *)ex;
    asyncz_executor *to = atomic_load(&e->final_phase) ? e->final : e->main;
    return inner_ops(to)->submit(to, run);
}

/* Shut one inner executor down once (taking *up under the lock). The lock is not held during the shutdown:
 * a waiting one may take long, and the other half must stay stoppable meanwhile. */
static void inner_shutdown(daemon_exec *e, asyncz_executor *in, bool *up, bool wait)
{
    pthread_mutex_lock(&e->lock);
    bool was_up = *up;
    *up = false;
    pthread_mutex_unlock(&e->lock);
    if (was_up)
        inner_ops(in)->shutdown(in, wait);
}

static void pair_shutdown(asyncz_executor *ex, bool wait)
{
    daemon_exec *e = (daemon_exec *)ex;
    inner_shutdown(e, e->main, &e->main_up, wait);
    inner_shutdown(e, e->final, &e->final_up, wait);
}

static void pair_destroy(asyncz_executor *ex)
{
    daemon_exec *e = (daemon_exec *)ex;
    inner_ops(e->main)->destroy(e->main);
    inner_ops(e->final)->destroy(e->final);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

int az_daemon_exec_new(asyncz_executor **out, asyncz_executor *main, asyncz_executor *final)
{
    daemon_exec *e = calloc(1, sizeof *e);
    if (!e) {
        asyncz_executor_free(main);
        asyncz_executor_free(final);
        return ASYNCZ_ENOMEM;
    }
    e->ops = (asyncz_executor_ops){.version = ASYNCZ_EXECUTOR_OPS_VERSION,
                                   .name = inner_ops(main)->name,
                                   .flags = inner_ops(main)->flags,
                                   .start = pair_start,
                                   .submit = pair_submit,
                                   .shutdown = pair_shutdown,
                                   .destroy = pair_destroy};
    e->main = main;
    e->final = final;
    pthread_mutex_init(&e->lock, NULL);
    atomic_init(&e->final_phase, false);
    asyncz_executor_base_init(&e->base, &e->ops);
    *out = (asyncz_executor *)e;
    return 0;
}

void az_daemon_exec_stop_running(asyncz_executor *ex)
{
    daemon_exec *e = (daemon_exec *)ex;
    inner_shutdown(e, e->main, &e->main_up, false);
}

void az_daemon_exec_final_phase(asyncz_executor *ex)
{
    atomic_store(&((daemon_exec *)ex)->final_phase, true);
}

void az_daemon_exec_stop_final(asyncz_executor *ex)
{
    daemon_exec *e = (daemon_exec *)ex;
    inner_shutdown(e, e->final, &e->final_up, false);
}
