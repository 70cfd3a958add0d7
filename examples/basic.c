/* basic.c: a scheduler on its own thread, with the three everyday kinds of task and a listener.
 *
 *   heartbeat  a cron task, every second (a six-field crontab: seconds first)
 *   report     an interval task, every 700 ms, with positional arguments ["/var", 90]
 *   reminder   a one-shot (date) task 1.5 s from now, with keyword arguments
 *
 * The functions run on the default thread pool; the listener prints what happens. After about three
 * seconds the program shuts the scheduler down, waiting for running tasks, and frees it.
 *
 * Build: cc basic.c $(pkg-config --cflags --libs asyncz) -o basic */
#include <asyncz.h>
#include <stdio.h>
#include <time.h>

static int heartbeat(asyncz_run *run, void *userdata)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    asyncz_time_format(when, sizeof when, asyncz_run_scheduled_time(run), asyncz_zone_utc());
    printf("heartbeat at %s\n", when);
    return ASYNCZ_RUN_DONE;
}

/* args [path, limit]: report how full a disk is. The result travels with the TASK_EXECUTED event. */
static int report(asyncz_run *run, void *userdata)
{
    const char *path;
    int64_t limit;
    if (asyncz_run_arg_string(run, 0, &path) != 0 || asyncz_run_arg_int(run, 1, &limit) != 0) {
        asyncz_run_set_error(run, ASYNCZ_EINVAL, "expected the arguments [path, limit]");
        return ASYNCZ_EINVAL;
    }
    int usage = 93; /* a real program would ask statvfs() */
    printf("report: disk usage on %s is %d%% (limit %lld%%)\n", path, usage, (long long)limit);
    char result[32];
    snprintf(result, sizeof result, "{\"usage\":%d}", usage);
    return asyncz_run_set_result(run, result);
}

/* kwargs {"to": ..., "text": ...}. */
static int reminder(asyncz_run *run, void *userdata)
{
    const char *to, *text;
    if (asyncz_run_kwarg_string(run, "to", &to) != 0 || asyncz_run_kwarg_string(run, "text", &text) != 0)
        return ASYNCZ_EINVAL;
    printf("reminder for %s: %s\n", to, text);
    return ASYNCZ_RUN_DONE;
}

/* Called on the thread that caused the event (TASK_ADDED: main; runs: the scheduler's thread). One printf
 * per line, so lines from different threads do not mix. */
static int print_event(const asyncz_event *e, void *userdata)
{
    const char *detail = e->code == ASYNCZ_EVENT_TASK_ERROR ? e->error_message : e->result_json;
    printf("event %s%s%s%s%s\n", asyncz_event_name(e->code), e->task_id ? " task=" : "",
           e->task_id ? e->task_id : "", detail ? " " : "", detail ? detail : "");
    return 0;
}

/* Add a task calling func with the given trigger (borrowed) and arguments as JSON (NULL: none). */
static int add_task(asyncz_scheduler *s, const char *id, const char *func, asyncz_trigger *trigger,
                    const char *args, const char *kwargs)
{
    asyncz_task *task = NULL;
    int rc = asyncz_task_new(&task, func);
    rc = rc ? rc : asyncz_task_set_id(task, id);
    rc = rc ? rc : asyncz_task_set_trigger(task, trigger);
    rc = rc ? rc : asyncz_task_set_args_json(task, args);
    rc = rc ? rc : asyncz_task_set_kwargs_json(task, kwargs);
    rc = rc ? rc : asyncz_scheduler_add_task(s, task, 0);
    if (rc != 0)
        fprintf(stderr, "cannot add task %s: %s (%s)\n", id, asyncz_strerror(rc), asyncz_scheduler_errmsg(s));
    asyncz_task_free(task);
    asyncz_trigger_unref(trigger); /* the task holds its own reference */
    return rc;
}

static int add_tasks(asyncz_scheduler *s)
{
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    asyncz_trigger *every_second, *every_700ms, *once;
    if (asyncz_trigger_crontab_new(&every_second, "* * * * * *", &opts, NULL) != 0 ||
        asyncz_trigger_interval_new(&every_700ms, 700 * ASYNCZ_USEC_PER_MSEC, &opts, NULL) != 0 ||
        asyncz_trigger_date_new(&once, asyncz_now() + 1500 * ASYNCZ_USEC_PER_MSEC, &opts) != 0)
        return ASYNCZ_EINVAL;
    int rc = add_task(s, "heartbeat", "heartbeat", every_second, NULL, NULL);
    rc = rc ? rc : add_task(s, "report", "report", every_700ms, "[\"/var\", 90]", NULL);
    rc = rc ? rc
            : add_task(s, "reminder", "reminder", once, NULL,
                       "{\"to\": \"ops@example.com\", \"text\": \"rotate the backup tapes\"}");
    return rc;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    asyncz_scheduler *s;
    if (asyncz_scheduler_new(&s, NULL) != 0)
        return 1;
    uint32_t mask = ASYNCZ_EVENT_SCHEDULER_START | ASYNCZ_EVENT_SCHEDULER_SHUTDOWN | ASYNCZ_EVENT_TASK_ADDED |
                    ASYNCZ_EVENT_TASK_REMOVED | ASYNCZ_EVENT_TASK_RUN_ALL;
    int rc = asyncz_scheduler_add_listener(s, mask, print_event, NULL, NULL);
    rc = rc ? rc : asyncz_scheduler_register(s, "heartbeat", heartbeat, NULL);
    rc = rc ? rc : asyncz_scheduler_register(s, "report", report, NULL);
    rc = rc ? rc : asyncz_scheduler_register(s, "reminder", reminder, NULL);
    rc = rc ? rc : add_tasks(s); /* tasks added before start wait for it */
    rc = rc ? rc : asyncz_scheduler_start(s, 0);
    if (rc != 0) {
        fprintf(stderr, "basic: %s (%s)\n", asyncz_strerror(rc), asyncz_scheduler_errmsg(s));
        asyncz_scheduler_free(s);
        return 1;
    }
    nanosleep(&(struct timespec){.tv_sec = 3}, NULL); /* the main thread is free to do other work */
    asyncz_scheduler_shutdown(s, true);
    asyncz_scheduler_free(s);
    printf("basic: done\n");
    return 0;
}
