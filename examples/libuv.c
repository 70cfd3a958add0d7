/* libuv.c: a scheduler embedded in a libuv loop, through the header-only adapter.
 *
 * The scheduler has no thread of its own: asyncz_scheduler_start_embedded() prepares it, and the adapter
 * watches its fd on the uv loop and dispatches when it is readable. Tasks use the loop executor, so they run
 * on the uv loop's thread and may use libuv freely. A uv timer ends the program after about two seconds:
 * it shuts the scheduler down, detaches the adapter and closes itself, and uv_run() returns because nothing
 * is left to watch.
 *
 * Build: cc libuv.c $(pkg-config --cflags --libs asyncz libuv) -o libuv */
#include <asyncz.h>
#include <asyncz/adapters/libuv.h>
#include <stdio.h>
#include <uv.h>

typedef struct app {
    asyncz_scheduler *scheduler;
    asyncz_uv *watch;
    uv_timer_t stop_timer;
    int ticks;
} app;

/* Runs on the uv loop's thread (the loop executor), so it may touch the app and the loop. */
static int tick(asyncz_run *run, void *userdata)
{
    app *a = userdata;
    printf("tick %d on the uv loop\n", ++a->ticks);
    return ASYNCZ_RUN_DONE;
}

static void stop(uv_timer_t *timer)
{
    app *a = timer->data;
    asyncz_scheduler_shutdown(a->scheduler, true);
    asyncz_uv_detach(a->watch);
    uv_close((uv_handle_t *)timer, NULL);
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
    uv_loop_t *loop = uv_default_loop();
    app a = {0};
    if (asyncz_scheduler_new(&a.scheduler, NULL) != 0)
        return 1;
    int rc = setup(&a);
    rc = rc ? rc : asyncz_scheduler_start_embedded(a.scheduler, 0);
    rc = rc ? rc : asyncz_uv_attach(&a.watch, a.scheduler, loop);
    if (rc != 0) {
        fprintf(stderr, "libuv: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(a.scheduler));
        asyncz_scheduler_free(a.scheduler);
        return 1;
    }
    uv_timer_init(loop, &a.stop_timer);
    a.stop_timer.data = &a;
    uv_timer_start(&a.stop_timer, stop, 2000, 0);
    uv_run(loop, UV_RUN_DEFAULT); /* returns once the timer and the watch are closed */
    asyncz_scheduler_free(a.scheduler);
    printf("libuv: uv_run returned after %d ticks\n", a.ticks);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
