/* blocking.c: the scheduler's loop runs in the calling thread, as the main loop of a small daemon.
 *
 * asyncz_scheduler_run() starts the scheduler and returns only after asyncz_scheduler_shutdown(). Here the
 * task itself decides when the work is over: after its fifth run it asks for a shutdown.
 *
 * The task runs on the default thread pool, so it asks with wait = false: waiting would mean waiting for the
 * thread pool's runs to finish, and this run is one of them. (A function on the loop executor runs on the
 * loop thread itself; there shutdown() never waits for itself, whatever wait says.)
 *
 * Build: cc blocking.c $(pkg-config --cflags --libs asyncz) -o blocking */
#include <asyncz.h>
#include <stdatomic.h>
#include <stdio.h>

#define POLLS 5

static atomic_int polls;

static int poll_queue(asyncz_run *run, void *userdata)
{
    int n = atomic_fetch_add(&polls, 1) + 1;
    if (n < POLLS) {
        printf("poll %d of %d\n", n, POLLS);
    } else if (n == POLLS) {
        printf("poll %d of %d: shutting the scheduler down\n", n, POLLS);
        asyncz_scheduler_shutdown(asyncz_run_scheduler(run), false);
    }
    return ASYNCZ_RUN_DONE;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    asyncz_scheduler *s;
    if (asyncz_scheduler_new(&s, NULL) != 0)
        return 1;
    asyncz_trigger *every_200ms = NULL;
    asyncz_task *task = NULL;
    int rc = asyncz_scheduler_register(s, "poll_queue", poll_queue, NULL);
    rc = rc ? rc : asyncz_trigger_interval_new(&every_200ms, 200 * ASYNCZ_USEC_PER_MSEC, NULL, NULL);
    rc = rc ? rc : asyncz_task_new(&task, "poll_queue");
    rc = rc ? rc : asyncz_task_set_trigger(task, every_200ms);
    rc = rc ? rc : asyncz_scheduler_add_task(s, task, 0);
    asyncz_task_free(task);
    asyncz_trigger_unref(every_200ms);
    rc = rc ? rc : asyncz_scheduler_run(s, 0); /* blocks until poll_queue shuts the scheduler down */
    if (rc != 0)
        fprintf(stderr, "blocking: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(s));
    asyncz_scheduler_free(s);
    printf("blocking: asyncz_scheduler_run returned %d after %d polls\n", rc, atomic_load(&polls));
    return rc == 0 ? 0 : 1;
}
