/* scoped.c: a scheduler bound to a scope, the counterpart of asyncz's `with scheduler:` block.
 *
 * ASYNCZ_AUTO_SCHEDULER declares a scheduler pointer that is shut down (waiting for running tasks) and freed
 * when it goes out of scope, on every way out of the block: here, the early return on error and the end
 * of the block. (It relies on the cleanup attribute of GCC and Clang.)
 *
 * Build: cc scoped.c $(pkg-config --cflags --libs asyncz) -o scoped */
#include <asyncz.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int ticks;

static int tick(asyncz_run *run, void *userdata)
{
    printf("tick %d\n", atomic_fetch_add(&ticks, 1) + 1);
    return ASYNCZ_RUN_DONE;
}

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L}, NULL);
}

/* Run a task every 100 ms for about a second. The scheduler lives exactly as long as this function. */
static int run_for_a_second(void)
{
    ASYNCZ_AUTO_SCHEDULER(s) = NULL;
    if (asyncz_scheduler_new(&s, NULL) != 0)
        return 1;
    asyncz_trigger *every_100ms = NULL;
    asyncz_task *task = NULL;
    int rc = asyncz_scheduler_register(s, "tick", tick, NULL);
    rc = rc ? rc : asyncz_trigger_interval_new(&every_100ms, 100 * ASYNCZ_USEC_PER_MSEC, NULL, NULL);
    rc = rc ? rc : asyncz_task_new(&task, "tick");
    rc = rc ? rc : asyncz_task_set_trigger(task, every_100ms);
    rc = rc ? rc : asyncz_scheduler_add_task(s, task, 0);
    asyncz_task_free(task);
    asyncz_trigger_unref(every_100ms);
    rc = rc ? rc : asyncz_scheduler_start(s, 0);
    if (rc != 0) {
        fprintf(stderr, "scoped: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(s));
        return 1; /* s is freed here too */
    }
    sleep_ms(1000);
    return 0; /* leaving the scope shuts the scheduler down and frees it */
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (run_for_a_second() != 0)
        return 1;
    int seen = atomic_load(&ticks);
    sleep_ms(300); /* nothing runs any more */
    int later = atomic_load(&ticks);
    printf("scoped: left the scope after %d ticks; %s\n", seen, later == seen ? "none since" : "MORE SINCE");
    return seen > 0 && later == seen ? 0 : 1;
}
