/* libevent.c: a scheduler embedded in a libevent event_base, through the header-only adapter.
 *
 * The scheduler has no thread of its own: asyncz_scheduler_start_embedded() prepares it, and the adapter
 * watches its fd on the event_base and dispatches when it is readable. Tasks use the loop executor, so they
 * run on the event_base's thread. A one-shot timer event ends the program after about two seconds: it shuts
 * the scheduler down and detaches the adapter, and event_base_dispatch() returns because no event is left.
 *
 * Build: cc libevent.c $(pkg-config --cflags --libs asyncz libevent) -o libevent */
#include <asyncz.h>
#include <asyncz/adapters/libevent.h>
#include <event2/event.h>
#include <stdio.h>

typedef struct app {
    asyncz_scheduler *scheduler;
    asyncz_libevent *watch;
    int ticks;
} app;

/* Runs on the event_base's thread (the loop executor). */
static int tick(asyncz_run *run, void *userdata)
{
    app *a = userdata;
    printf("tick %d on the event_base\n", ++a->ticks);
    return ASYNCZ_RUN_DONE;
}

static void stop(evutil_socket_t fd, short what, void *arg)
{
    app *a = arg;
    asyncz_scheduler_shutdown(a->scheduler, true);
    asyncz_libevent_detach(a->watch);
}

/* A loop executor named "loop" and a task on it, every 250 ms. */
static int setup(app *a)
{
    asyncz_executor *loop_exec;
    int rc = asyncz_executor_loop_new(&loop_exec);
    rc = rc ? rc : asyncz_scheduler_add_executor(a->scheduler, "loop", loop_exec);
    rc = rc ? rc : asyncz_scheduler_register(a->scheduler, "tick", tick, a);
    asyncz_trigger *every_250ms = NULL;
    asyncz_task *task = NULL;
    rc = rc ? rc : asyncz_trigger_interval_new(&every_250ms, 250 * ASYNCZ_USEC_PER_MSEC, NULL, NULL);
    rc = rc ? rc : asyncz_task_new(&task, "tick");
    rc = rc ? rc : asyncz_task_set_trigger(task, every_250ms);
    rc = rc ? rc : asyncz_task_set_executor(task, "loop");
    rc = rc ? rc : asyncz_scheduler_add_task(a->scheduler, task, 0);
    asyncz_task_free(task);
    asyncz_trigger_unref(every_250ms);
    return rc;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct event_base *base = event_base_new();
    app a = {0};
    if (!base || asyncz_scheduler_new(&a.scheduler, NULL) != 0)
        return 1;
    int rc = setup(&a);
    rc = rc ? rc : asyncz_scheduler_start_embedded(a.scheduler, 0);
    rc = rc ? rc : asyncz_libevent_attach(&a.watch, a.scheduler, base);
    if (rc != 0) {
        fprintf(stderr, "libevent: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(a.scheduler));
        asyncz_scheduler_free(a.scheduler);
        event_base_free(base);
        return 1;
    }
    struct event *timer = evtimer_new(base, stop, &a);
    evtimer_add(timer, &(struct timeval){.tv_sec = 2});
    event_base_dispatch(base); /* returns once the timer has fired and the watch is detached */
    event_free(timer);
    asyncz_scheduler_free(a.scheduler);
    event_base_free(base);
    printf("libevent: event_base_dispatch returned after %d ticks\n", a.ticks);
    return 0;
}
