/* processpool.c: run functions in worker processes, so a crash takes down a worker, not the program.
 *
 * Two one-shot tasks go to a process pool: "checksum" adds up its arguments and reports a result;
 * "crash" has a bug that kills its process with SIGSEGV. The pool replaces the dead worker and the
 * scheduler reports the run as TASK_ERROR with the signal; the program carries on and exits normally.
 *
 * The pool's workers are copies of this process as it was when the scheduler started: functions must be
 * registered before asyncz_scheduler_start(), and the program should start its own threads only after it.
 *
 * Build: cc processpool.c $(pkg-config --cflags --libs asyncz) -o processpool */
#include <asyncz.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Runs in a worker process. args: numbers to add up. */
static int checksum(asyncz_run *run, void *userdata)
{
    int64_t sum = 0, x;
    for (size_t i = 0; i < asyncz_run_arg_count(run); i++)
        if (asyncz_run_arg_int(run, i, &x) == 0)
            sum += x;
    char result[48];
    snprintf(result, sizeof result, "{\"sum\":%lld}", (long long)sum);
    return asyncz_run_set_result(run, result);
}

/* Runs in a worker process and stands for a bug: the worker dies of a segmentation fault. */
static int crash(asyncz_run *run, void *userdata)
{
    raise(SIGSEGV);
    return ASYNCZ_RUN_DONE;
}

/* How many runs have been reported, guarded by lock; main waits for both. */
typedef struct outcomes {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int reported;
} outcomes;

/* Runs in this process, on the scheduler's thread. */
static int on_outcome(const asyncz_event *e, void *userdata)
{
    outcomes *o = userdata;
    if (e->code == ASYNCZ_EVENT_TASK_ERROR && e->signal != 0)
        printf("event TASK_ERROR task=%s signal=%d (%s): %s\n", e->task_id, e->signal,
               e->signal == SIGSEGV ? "SIGSEGV" : strsignal(e->signal), e->error_message);
    else
        printf("event %s task=%s result=%s\n", asyncz_event_name(e->code), e->task_id,
               e->result_json ? e->result_json : "(none)");
    pthread_mutex_lock(&o->lock);
    o->reported++;
    pthread_cond_signal(&o->changed);
    pthread_mutex_unlock(&o->lock);
    return 0;
}

/* A task that runs once, now, in the executor "processes". */
static int add_once(asyncz_scheduler *s, const char *id, const char *args)
{
    asyncz_task *task = NULL;
    int rc = asyncz_task_new(&task, id);
    rc = rc ? rc : asyncz_task_set_id(task, id);
    rc = rc ? rc : asyncz_task_set_args_json(task, args);
    rc = rc ? rc : asyncz_task_set_executor(task, "processes");
    rc = rc ? rc : asyncz_scheduler_add_task(s, task, 0);
    asyncz_task_free(task);
    return rc;
}

/* Wait until n runs were reported, or 30 s (a pool that cannot start its workers must not hang CI). */
static void wait_for(outcomes *o, int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&o->lock);
    while (o->reported < n && pthread_cond_timedwait(&o->changed, &o->lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&o->lock);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    outcomes o = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
    asyncz_scheduler *s;
    if (asyncz_scheduler_new(&s, NULL) != 0)
        return 1;
    asyncz_processpool_options popts;
    asyncz_processpool_options_init(&popts);
    popts.max_workers = 2;
    popts.timeout_usec = 10 * ASYNCZ_USEC_PER_SEC;
    asyncz_executor *pool;
    int rc = asyncz_executor_processpool_new(&pool, &popts);
    rc = rc ? rc : asyncz_scheduler_add_executor(s, "processes", pool);
    rc = rc ? rc : asyncz_scheduler_register(s, "checksum", checksum, NULL);
    rc = rc ? rc : asyncz_scheduler_register(s, "crash", crash, NULL);
    rc = rc ? rc
            : asyncz_scheduler_add_listener(s, ASYNCZ_EVENT_TASK_EXECUTED | ASYNCZ_EVENT_TASK_ERROR,
                                            on_outcome, &o, NULL);
    rc = rc ? rc : add_once(s, "checksum", "[1, 2, 3]");
    rc = rc ? rc : add_once(s, "crash", NULL);
    rc = rc ? rc : asyncz_scheduler_start(s, 0); /* forks the pool's helper, then starts the loop thread */
    if (rc != 0) {
        fprintf(stderr, "processpool: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(s));
        asyncz_scheduler_free(s);
        return 1;
    }
    wait_for(&o, 2);
    asyncz_scheduler_free(s); /* shuts down, waiting for the workers */
    printf("processpool: %s\n", o.reported == 2 ? "done" : "runs missing");
    return o.reported == 2 ? 0 : 1;
}
