/* The thread pool executor: up to max_workers threads take runs from one FIFO queue.
 *
 * Workers are started lazily, one whenever a run is queued while no worker is idle, up to max_workers, so an
 * unused pool costs no threads and start() never makes any (a process pool started after it still forks
 * from a single-threaded process). Submit costs one lock, a link through run->next, and a condition signal
 * only when an idle worker has not already been woken; nothing is allocated per run. */
#include <pthread.h>
#include <stdlib.h>

#include "asyncz/error.h"
#include "core/run_internal.h"

#define POOL_MAX_WORKERS 1024

typedef struct pool_exec {
    asyncz_executor_base base;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    asyncz_run *head, *tail; /* queued runs, linked through run->next */
    pthread_t *threads;      /* max_workers slots; the first n_threads hold threads not yet joined */
    unsigned max_workers;
    unsigned n_threads;
    unsigned idle;    /* workers waiting on `wake` */
    unsigned signals; /* wake-ups sent to idle workers and not yet consumed */
    bool accepting;
    bool stopping; /* workers leave once the queue is empty */
} pool_exec;

static asyncz_run *pop(pool_exec *p)
{
    asyncz_run *run = p->head;
    if (run) {
        p->head = run->next;
        if (!p->head)
            p->tail = NULL;
        run->next = NULL;
    }
    return run;
}

static void *worker_main(void *arg)
{
    pool_exec *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping) {
            p->idle++;
            pthread_cond_wait(&p->wake, &p->lock);
            p->idle--;
            if (p->signals)
                p->signals--;
        }
        asyncz_run *run = pop(p);
        if (!run)
            break;
        pthread_mutex_unlock(&p->lock);
        asyncz_run_execute(run);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Join the threads of an earlier session (shut down without waiting); they leave once their runs finish. */
static void join_all(pool_exec *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned n = p->n_threads;
    p->n_threads = 0;
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < n; i++)
        pthread_join(p->threads[i], NULL);
}

static int pool_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    pool_exec *p = (pool_exec *)ex;
    pthread_mutex_lock(&p->lock);
    bool running = p->accepting;
    pthread_mutex_unlock(&p->lock);
    if (running)
        return ASYNCZ_ESTATE;
    join_all(p);
    pthread_mutex_lock(&p->lock);
    p->stopping = false;
    p->accepting = true;
    p->signals = 0;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* Under the lock: make sure someone will take the run just queued. Fails only when there is no worker at
 * all and none can be made. */
static int find_worker(pool_exec *p)
{
    if (p->idle > p->signals) {
        p->signals++;
        pthread_cond_signal(&p->wake);
        return 0;
    }
    if (p->n_threads >= p->max_workers)
        return 0;
    if (pthread_create(&p->threads[p->n_threads], NULL, worker_main, p) == 0) {
        p->n_threads++;
        return 0;
    }
    return p->n_threads > 0 ? 0 : ASYNCZ_ENOMEM;
}

/* Under the lock: take back the run just queued (the tail). */
static void unqueue_tail(pool_exec *p, asyncz_run *run)
{
    asyncz_run **link = &p->head;
    asyncz_run *prev = NULL;
    while (*link != run) {
        prev = *link;
        link = &(*link)->next;
    }
    *link = NULL;
    p->tail = prev;
}

static int pool_submit(asyncz_executor *ex, asyncz_run *run)
{
    pool_exec *p = (pool_exec *)ex;
    if (!run)
        return ASYNCZ_EINVAL;
    run->no_pending = true;
    run->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (!p->accepting) {
        pthread_mutex_unlock(&p->lock);
        return ASYNCZ_ESTATE;
    }
    if (p->tail)
        p->tail->next = run;
    else
        p->head = run;
    p->tail = run;
    int rc = find_worker(p);
    if (rc)
        unqueue_tail(p, run);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void pool_shutdown(asyncz_executor *ex, bool wait)
{
    pool_exec *p = (pool_exec *)ex;
    pthread_mutex_lock(&p->lock);
    p->accepting = false;
    p->stopping = true;
    asyncz_run *queued = p->head;
    p->head = p->tail = NULL;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    /* Fail outside the lock: the done callbacks may call back into the scheduler. */
    while (queued) {
        asyncz_run *next = queued->next;
        queued->next = NULL;
        queued->fail_kind = AZ_FAIL_CANCELLED;
        asyncz_run_fail(queued, ASYNCZ_ESTATE, 0, "executor shut down before the run started");
        queued = next;
    }
    if (wait)
        join_all(p);
}

static void pool_destroy(asyncz_executor *ex)
{
    pool_exec *p = (pool_exec *)ex;
    pool_shutdown(ex, true);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

static const asyncz_executor_ops POOL_OPS = {
    .version = ASYNCZ_EXECUTOR_OPS_VERSION,
    .name = "threadpool",
    .flags = 0,
    .start = pool_start,
    .submit = pool_submit,
    .shutdown = pool_shutdown,
    .destroy = pool_destroy,
};

int asyncz_executor_threadpool_new(asyncz_executor **out, unsigned max_workers)
{
    if (!out || max_workers > POOL_MAX_WORKERS)
        return ASYNCZ_EINVAL;
    if (max_workers == 0)
        max_workers = ASYNCZ_DEFAULT_MAX_WORKERS;
    pool_exec *p = calloc(1, sizeof *p);
    pthread_t *threads = calloc(max_workers, sizeof *threads);
    if (!p || !threads) {
        free(p);
        free(threads);
        return ASYNCZ_ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->threads = threads;
    p->max_workers = max_workers;
    asyncz_executor_base_init(&p->base, &POOL_OPS);
    *out = (asyncz_executor *)p;
    return 0;
}
