/* An asyncz plugin: a shared library the daemon loads because its config names it ([scheduler] plugins).
 * The daemon calls asyncz_plugin_init() once per scheduler before it starts; it registers the functions
 * that [task ...] sections may name with `function = NAME`. See greet.ini and docs/daemon.md.
 *
 * Build: cc -shared -fPIC greet_plugin.c -o libgreet.so $(pkg-config --cflags --libs asyncz) */
#include <asyncz.h>
#include <stdio.h>
#include <time.h>

/* greet.hello: log a greeting for args[0] (default "world"); kwargs {"shout": true} shouts it. The run's
 * result (reported with TASK_EXECUTED) is the greeting count of this worker process. */
static int hello(asyncz_run *run, void *userdata)
{
    (void)userdata;
    static int greetings; /* per process: a process-pool worker keeps it between runs */
    const char *who = "world";
    bool shout = false;
    asyncz_run_arg_string(run, 0, &who);
    asyncz_run_kwarg_bool(run, "shout", &shout);
    asyncz_log(ASYNCZ_LOG_INFO, "greet", "[%s] %s, %s%s", asyncz_run_task_id(run), shout ? "HELLO" : "hello",
               who, shout ? "!" : "");
    char result[64];
    snprintf(result, sizeof result, "{\"greetings\":%d}", ++greetings);
    return asyncz_run_set_result(run, result) == 0 ? ASYNCZ_RUN_DONE : ASYNCZ_EINVAL;
}

/* greet.fail: a function that fails, to show how failures are logged. */
static int fail(asyncz_run *run, void *userdata)
{
    (void)userdata;
    asyncz_run_set_error(run, ASYNCZ_EINVAL, "greet.fail always fails");
    return ASYNCZ_RUN_DONE;
}

/* greet.nap: sleep args[0] seconds (default 1), a function that takes its time. A function on a thread pool
 * or the loop cannot be stopped from outside: see "Stopping" in docs/daemon.md. */
static int nap(asyncz_run *run, void *userdata)
{
    (void)userdata;
    int64_t seconds = 1;
    asyncz_run_arg_int(run, 0, &seconds);
    struct timespec ts = {.tv_sec = seconds > 0 ? (time_t)seconds : 0};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return ASYNCZ_RUN_DONE;
}

/* The one symbol the daemon looks up. Non-zero means the plugin cannot work: the daemon does not start. */
__attribute__((visibility("default"))) int asyncz_plugin_init(asyncz_scheduler *s);

int asyncz_plugin_init(asyncz_scheduler *s)
{
    if (asyncz_scheduler_register(s, "greet.hello", hello, NULL) != 0)
        return 1;
    if (asyncz_scheduler_register(s, "greet.nap", nap, NULL) != 0)
        return 1;
    return asyncz_scheduler_register(s, "greet.fail", fail, NULL) != 0;
}
