/* pending.c: a function that starts work and finishes it later, from another thread (the C counterpart of
 * an asyncz coroutine task).
 *
 * "fetch" runs on the loop executor, on the scheduler's loop thread, where it must not block. It hands the
 * request to a worker thread (standing in for an asynchronous HTTP client) and returns ASYNCZ_RUN_PENDING.
 * The worker reports the result and calls asyncz_run_complete() when the answer arrives; only then does the
 * run count as finished (TASK_EXECUTED), and until then it counts against the task's max_instances.
 *
 * Build: cc pending.c $(pkg-config --cflags --libs asyncz) -o pending */
#include <asyncz.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FETCHES 3

typedef struct app {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int started, executed;
    pthread_t workers[16];
} app;

typedef struct request {
    asyncz_run *run; /* borrowed until asyncz_run_complete() */
    int number;
} request;

/* The worker thread: wait for the "answer", report it, complete the run. */
static void *answer(void *arg)
{
    request *req = arg;
    nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
    char result[64];
    snprintf(result, sizeof result, "{\"fetch\":%d,\"status\":200}", req->number);
    asyncz_run_set_result(req->run, result);
    asyncz_run_complete(req->run, ASYNCZ_RUN_DONE); /* the run must not be touched after this */
    free(req);
    return NULL;
}

static int fetch(asyncz_run *run, void *userdata)
{
    app *a = userdata;
    request *req = malloc(sizeof *req);
    if (!req)
        return ASYNCZ_ENOMEM;
    pthread_mutex_lock(&a->lock);
    int n = a->started + 1;
    *req = (request){.run = run, .number = n};
    int rc = n <= 16 ? pthread_create(&a->workers[n - 1], NULL, answer, req) : -1;
    if (rc == 0)
        a->started = n;
    pthread_mutex_unlock(&a->lock);
    if (rc != 0) {
        free(req);
        asyncz_run_set_error(run, ASYNCZ_EIO, "cannot start the request");
        return ASYNCZ_EIO;
    }
    printf("fetch %d started on the loop thread\n", n); /* req and run now belong to the worker */
    return ASYNCZ_RUN_PENDING;
}

/* Runs on the scheduler's thread when a run has finished. */
static int on_executed(const asyncz_event *e, void *userdata)
{
    app *a = userdata;
    printf("event TASK_EXECUTED task=%s result=%s\n", e->task_id, e->result_json ? e->result_json : "(none)");
    pthread_mutex_lock(&a->lock);
    a->executed++;
    pthread_cond_signal(&a->changed);
    pthread_mutex_unlock(&a->lock);
    return 0;
}

static int add_fetch_task(asyncz_scheduler *s)
{
    asyncz_executor *loop_exec;
    int rc = asyncz_executor_loop_new(&loop_exec);
    rc = rc ? rc : asyncz_scheduler_add_executor(s, "loop", loop_exec);
    asyncz_trigger *every_400ms = NULL;
    asyncz_task *task = NULL;
    rc = rc ? rc : asyncz_trigger_interval_new(&every_400ms, 400 * ASYNCZ_USEC_PER_MSEC, NULL, NULL);
    rc = rc ? rc : asyncz_task_new(&task, "fetch");
    rc = rc ? rc : asyncz_task_set_id(task, "fetch");
    rc = rc ? rc : asyncz_task_set_trigger(task, every_400ms);
    rc = rc ? rc : asyncz_task_set_executor(task, "loop");
    rc = rc ? rc : asyncz_scheduler_add_task(s, task, 0);
    asyncz_task_free(task);
    asyncz_trigger_unref(every_400ms);
    return rc;
}

/* Wait until n runs have finished, or 30 s. */
static void wait_executed(app *a, int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&a->lock);
    while (a->executed < n && pthread_cond_timedwait(&a->changed, &a->lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&a->lock);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    app a = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
    asyncz_scheduler *s;
    if (asyncz_scheduler_new(&s, NULL) != 0)
        return 1;
    int rc = asyncz_scheduler_register(s, "fetch", fetch, &a);
    rc = rc ? rc : asyncz_scheduler_add_listener(s, ASYNCZ_EVENT_TASK_EXECUTED, on_executed, &a, NULL);
    rc = rc ? rc : add_fetch_task(s);
    rc = rc ? rc : asyncz_scheduler_start(s, 0);
    if (rc != 0) {
        fprintf(stderr, "pending: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(s));
        asyncz_scheduler_free(s);
        return 1;
    }
    wait_executed(&a, FETCHES);
    /* Waiting also waits for a fetch still pending: it completes before shutdown returns. */
    asyncz_scheduler_shutdown(s, true);
    asyncz_scheduler_free(s);
    for (int i = 0; i < a.started; i++)
        pthread_join(a.workers[i], NULL);
    printf("pending: done after %d fetches\n", a.executed >= FETCHES ? FETCHES : a.executed);
    return a.executed >= FETCHES ? 0 : 1;
}
