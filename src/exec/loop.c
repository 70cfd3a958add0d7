/* The loop executor: runs functions on the thread that submits them (the scheduler's loop thread). A
 * function may return ASYNCZ_RUN_PENDING and finish later from any thread, so the executor counts the runs
 * it has not seen finish: shutdown(wait) waits for them.
 *
 * To see a run finish, the executor puts its own done callback on the run and keeps the owner's in
 * run->exec_done. The counter lives in a separate block that outlives the executor while runs are still out:
 * a pending run may be completed after the executor was shut down without waiting and destroyed. */
#include <pthread.h>
#include <stdlib.h>

#include "asyncz/error.h"
#include "core/run_internal.h"

typedef struct loop_core {
    pthread_mutex_t lock;
    pthread_cond_t finished;
    size_t outstanding; /* runs submitted and not finished */
    bool started;
    bool destroyed; /* the executor is gone: the last finishing run frees the core */
} loop_core;

typedef struct loop_exec {
    asyncz_executor_base base;
    loop_core *core;
} loop_exec;

static void core_free(loop_core *c)
{
    pthread_cond_destroy(&c->finished);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* One run has finished: count it, wake a waiting shutdown, and free the core if the executor is gone. */
static void core_release(loop_core *c)
{
    pthread_mutex_lock(&c->lock);
    c->outstanding--;
    bool last = c->outstanding == 0;
    bool free_now = last && c->destroyed;
    if (last)
        pthread_cond_broadcast(&c->finished);
    pthread_mutex_unlock(&c->lock);
    if (free_now)
        core_free(c);
}

/* The done callback the executor interposes. A run that resumes (a pending run completed with times left)
 * is still out: the owner continues it, and it comes back here when it really finishes. */
static void loop_done(asyncz_run *run, void *userdata)
{
    loop_core *c = userdata;
    az_run_done_fn done = run->exec_done;
    void *done_ud = run->exec_done_userdata;
    bool finished = !run->resume;
    if (finished) {
        run->done = done;
        run->done_userdata = done_ud;
        run->exec_done = NULL;
        run->exec_done_userdata = NULL;
    }
    if (done)
        done(run, done_ud);
    else if (finished)
        az_run_free(run);
    if (finished)
        core_release(c);
}

static int loop_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    loop_core *c = ((loop_exec *)ex)->core;
    pthread_mutex_lock(&c->lock);
    c->started = true;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Count the run and interpose the callback, unless the run is already ours (an owner resubmitting a run
 * that resumed). */
static int adopt(loop_core *c, asyncz_run *run)
{
    pthread_mutex_lock(&c->lock);
    bool ok = c->started;
    if (ok && run->done != loop_done) {
        c->outstanding++;
        run->exec_done = run->done;
        run->exec_done_userdata = run->done_userdata;
        run->done = loop_done;
        run->done_userdata = c;
    }
    pthread_mutex_unlock(&c->lock);
    return ok ? 0 : ASYNCZ_ESTATE;
}

static int loop_submit(asyncz_executor *ex, asyncz_run *run)
{
    if (!run)
        return ASYNCZ_EINVAL;
    int rc = adopt(((loop_exec *)ex)->core, run);
    if (rc)
        return rc;
    /* The run may already be finished and freed by another thread when this returns PENDING. */
    asyncz_run_execute(run);
    return 0;
}

/* Nothing is queued here, so nothing is failed: every run taken has started. */
static void loop_shutdown(asyncz_executor *ex, bool wait)
{
    loop_core *c = ((loop_exec *)ex)->core;
    pthread_mutex_lock(&c->lock);
    c->started = false;
    while (wait && c->outstanding > 0)
        pthread_cond_wait(&c->finished, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

static void loop_destroy(asyncz_executor *ex)
{
    loop_exec *e = (loop_exec *)ex;
    loop_core *c = e->core;
    pthread_mutex_lock(&c->lock);
    c->started = false;
    c->destroyed = true;
    bool free_now = c->outstanding == 0;
    pthread_mutex_unlock(&c->lock);
    if (free_now)
        core_free(c);
    free(e);
}

static const asyncz_executor_ops LOOP_OPS = {
    .version = ASYNCZ_EXECUTOR_OPS_VERSION,
    .name = "loop",
    .flags = ASYNCZ_EXECUTOR_INLINE | ASYNCZ_EXECUTOR_PENDING,
    .start = loop_start,
    .submit = loop_submit,
    .shutdown = loop_shutdown,
    .destroy = loop_destroy,
};

int asyncz_executor_loop_new(asyncz_executor **out)
{
    if (!out)
        return ASYNCZ_EINVAL;
    loop_exec *e = calloc(1, sizeof *e);
    loop_core *c = calloc(1, sizeof *c);
    if (!e || !c) {
        free(e);
        free(c);
        return ASYNCZ_ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->finished, NULL);
    e->core = c;
    asyncz_executor_base_init(&e->base, &LOOP_OPS);
    *out = (asyncz_executor *)e;
    return 0;
}
