/* `asyncz start --config FILE`: the daemon, in the foreground.
 *
 * Order matters:
 *   1. SIGTERM, SIGINT and SIGHUP are blocked before anything else, so every thread the library starts
 *      inherits the mask and the signals wait for the main thread's sigwaitinfo();
 *   2. the config is read and checked whole (plugins loaded, functions looked up): a bad file starts
 *      nothing and exits 2;
 *   3. the log is set up, the shell function and the plugins' functions registered, stores and executors
 *      added, and only then the scheduler started: the process pool forks its helper at start, and its
 *      workers keep what the process had then (functions, log sink);
 *   4. the config's tasks are written to their stores, replacing tasks with the same ids;
 *   5. the main thread waits for signals: SIGHUP reloads the config, SIGTERM/SIGINT stop it gracefully.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"
#include "http/service.h"

#define LOGGER "asyncz.daemon"
/* How often the graceful stop looks at the runs still going. */
#define STOP_POLL_MS 100
/* After the shutdown tasks were told to stop: how long they have to end before the daemon exits without
 * them (a run on a thread pool or the loop cannot be stopped from outside). */
#define STOP_FINAL_GRACE_MS 5000

const char az_cli_start_help[] =
    "Usage: asyncz start --config FILE [--check] [--json]\n"
    "\n"
    "Run the scheduler daemon in the foreground with the tasks, stores and executors of an INI config file\n"
    "(see docs/daemon.md). The config's tasks are written to their stores, replacing tasks with the same\n"
    "ids; shell commands run on a process pool with their output in the log.\n"
    "\n"
    "Options:\n"
    "  --config FILE  the config file (required)\n"
    "  --check        check the config (syntax, values, triggers, plugins and their functions, the log\n"
    "                 destination, the [http] users and tokens files) and exit 0 if it is good, 2 if not,\n"
    "                 without touching any store\n"
    "  --json         with --check: one JSON document on stdout; without: log as JSON lines\n"
    "  -h, --help     show this help\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop taking new runs, wait for running tasks up to [scheduler]\n"
    "shutdown_timeout (default 30s), stop those still going, run the shutdown tasks (up to shutdown_timeout\n"
    "too), then stop; SIGHUP opens a file: log again (logrotate), re-reads the config and updates the tasks\n"
    "(a bad config is logged and the running one kept).\n"
    "\n"
    "Exit status: 0 stopped by a signal or config good; 1 a runtime failure (a store cannot be reached);\n"
    "2 bad command line or bad config.\n";

typedef struct start_args {
    const char *config;
    bool check, json, help;
} start_args;

/* The state the signal loop and the run listener share. */
typedef struct daemon_state {
    az_config *cfg; /* the config the daemon started with: its settings stay until the next start */
    az_plugins plugins;
    asyncz_scheduler *s;
    az_written written;      /* what the last successful load wrote */
    az_runs runs;            /* runs submitted and not finished */
    asyncz_executor **execs; /* the executors (daemon_exec.c), owned by s */
    size_t n_execs;
    atomic_bool shut_down;  /* asyncz_scheduler_shutdown returned (the stopping thread) */
    char *last_settings;    /* the settings fingerprint of the last successful load */
    az_hooks *hooks;        /* on_failure hooks */
    char *identity;         /* the scheduler's identity, as the library makes it */
    az_shell_context shell; /* what commands are told about the daemon (registered with the shell) */
    az_http_service *http;  /* the API and console, when the config has [http] */
    sigset_t signals;
} daemon_state;

/* ---- command line -------------------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, start_args *a)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *a = (start_args){0};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        if (az_cli_check_option_value(opts, c, argv))
            return AZ_CLI_EXIT_USAGE;
        if (c == 'c')
            a->config = optarg;
        else if (c == 'k')
            a->check = true;
        else if (c == 'j')
            a->json = true;
        else if (c == 'h')
            a->help = true;
        else if (c == ':')
            return az_cli_usage_error("option %s needs a value", argv[optind - 1]);
        else
            return az_cli_usage_error("unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return az_cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!a->help && !a->config)
        return az_cli_usage_error("no config file given: asyncz start --config FILE");
    return 0;
}

/* ---- reporting config errors --------------------------------------------------------------------------- */

static void print_errors(const az_cfg_errors *errs, const char *path)
{
    char line[2048];
    for (size_t i = 0; i < errs->n; i++) {
        az_cfg_error_format(errs, i, path, line, sizeof line);
        fprintf(stderr, "asyncz start: %s\n", line);
    }
}

/* Tasks the config keeps but the daemon leaves out (a one-shot whose time has passed), for --check. */
static size_t print_not_scheduled(const az_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; cfg && i < cfg->n_tasks; i++) {
        const az_cfg_task *t = &cfg->tasks[i];
        if (!t->not_scheduled)
            continue;
        fprintf(stderr, "asyncz start: %s:%d: warning: %s; the daemon leaves this task out of the schedule\n",
                cfg->path, t->not_scheduled_line, t->not_scheduled);
        n++;
    }
    return n;
}

static void log_errors(const az_cfg_errors *errs, const char *path)
{
    char line[2048];
    for (size_t i = 0; i < errs->n; i++) {
        az_cfg_error_format(errs, i, path, line, sizeof line);
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "%s", line);
    }
}

static int print_check_json(const az_config *cfg, const az_cfg_errors *errs, const char *path)
{
    json_t *doc = json_pack("{s:o, s:b, s:[], s:[], s:[]}", "config", az_cli_json_text(path), "valid",
                            errs->n == 0, "errors", "tasks", "warnings");
    json_t *list = json_object_get(doc, "errors");
    for (size_t i = 0; i < errs->n; i++)
        json_array_append_new(
            list, json_pack("{s:i, s:s}", "line", errs->items[i].line, "message", errs->items[i].message));
    list = json_object_get(doc, "tasks");
    for (size_t i = 0; cfg && i < cfg->n_tasks; i++)
        json_array_append_new(list, json_string(cfg->tasks[i].id));
    list = json_object_get(doc, "warnings");
    for (size_t i = 0; cfg && i < cfg->n_tasks; i++)
        if (cfg->tasks[i].not_scheduled)
            json_array_append_new(list, json_pack("{s:i, s:o}", "line", cfg->tasks[i].not_scheduled_line,
                                                  "message", az_cli_json_text(cfg->tasks[i].not_scheduled)));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return az_cli_failure("out of memory");
    puts(text);
    free(text);
    return 0;
}

/* Read the config, load its plugins and check the tasks against them. Returns 0, or -1 with errs. */
static int load_checked(const char *path, az_config **cfg, az_plugins *plugins, az_cfg_errors *errs)
{
    *plugins = (az_plugins){0};
    if (az_config_load(path, cfg, errs) != 0)
        return -1;
    if (az_plugins_load(*cfg, plugins, errs) == 0 && az_daemon_check_tasks(*cfg, plugins, errs) == 0)
        return 0;
    az_plugins_close(plugins);
    az_config_free(*cfg);
    *cfg = NULL;
    return -1;
}

/* ---- the scheduler ---------------------------------------------------------------------------------------
 */

static int on_run_event(const asyncz_event *ev, void *userdata)
{
    daemon_state *d = userdata;
    az_hooks_on_event(d->hooks, ev);
    if (!az_runs_on_event(&d->runs, ev))
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "task %s: out of memory; a stop will not wait for its run",
                   ev->task_id);
    if (ev->code == ASYNCZ_EVENT_TASK_EXECUTED)
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "task %s: done", ev->task_id);
    return 0;
}

/* mkdir -p for the default store's directory, private to the daemon's user. */
static int make_dirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The store's history settings. A store that keeps no history (none of the built-in ones) is left so,
 * with a warning when the config asked for it. */
static int keep_history(asyncz_scheduler *s, const az_cfg_store *st)
{
    asyncz_history_retention r = {.max_age_usec = st->history.max_age,
                                  .max_runs_per_task = st->history.max_runs_per_task};
    int rc = asyncz_scheduler_set_history(s, st->name, st->history.enabled, &r);
    if (rc == ASYNCZ_EUNSUPPORTED) {
        asyncz_log(ASYNCZ_LOG_WARNING, "asyncz.daemon", "store %s keeps no run history: %s", st->name,
                   asyncz_scheduler_errmsg(s));
        return 0;
    }
    return rc;
}

static int add_stores(daemon_state *d)
{
    const az_config *cfg = d->cfg;
    if (cfg->default_store_dir && make_dirs(cfg->default_store_dir) != 0)
        return az_cli_failure("cannot make the default store's directory %s: %s", cfg->default_store_dir,
                              strerror(errno));
    for (size_t i = 0; i < cfg->n_stores; i++) {
        asyncz_store *st;
        int rc = asyncz_store_open(&st, cfg->stores[i].url);
        if (rc == 0)
            rc = asyncz_scheduler_add_store(d->s, cfg->stores[i].name, st);
        if (rc == 0)
            rc = keep_history(d->s, &cfg->stores[i]);
        char shown[1024]; /* the password masked: this reaches the journal */
        asyncz_store_url_mask(cfg->stores[i].url, shown, sizeof shown);
        if (rc)
            return az_cli_failure("store %s (%s): %s", cfg->stores[i].name, shown,
                                  asyncz_scheduler_errmsg(d->s));
    }
    return 0;
}

static int make_one(const az_cfg_executor *e, unsigned workers, asyncz_executor **out)
{
    if (e->type == AZ_CFG_THREADPOOL)
        return asyncz_executor_threadpool_new(out, workers);
    if (e->type == AZ_CFG_LOOP)
        return asyncz_executor_loop_new(out);
    asyncz_processpool_options o;
    asyncz_processpool_options_init(&o);
    o.max_workers = workers;
    return asyncz_executor_processpool_new(out, &o);
}

/* How many of the config's tasks run at shutdown on executor `name` (those the scheduler runs then: a
 * trigger that is a shutdown trigger, not one combined with others). */
static unsigned shutdown_tasks_on(const az_config *cfg, const char *name)
{
    unsigned n = 0;
    for (size_t i = 0; i < cfg->n_tasks; i++) {
        const asyncz_task *t = cfg->tasks[i].task;
        const asyncz_trigger *trig = asyncz_task_trigger(t);
        if (trig && strcmp(asyncz_trigger_kind(trig), "shutdown") == 0 &&
            strcmp(asyncz_task_executor(t), name) == 0)
            n++;
    }
    return n;
}

/* The executor of e: a pair, the second one for the shutdown tasks (daemon_exec.c). */
static int make_executor(const az_config *cfg, const az_cfg_executor *e, asyncz_executor **out)
{
    unsigned workers = e->workers ? e->workers : ASYNCZ_DEFAULT_MAX_WORKERS;
    unsigned final_workers = shutdown_tasks_on(cfg, e->name);
    final_workers = final_workers == 0 ? 1 : final_workers < workers ? final_workers : workers;
    asyncz_executor *main = NULL, *final = NULL;
    int rc = make_one(e, workers, &main);
    if (rc == 0 && (rc = make_one(e, final_workers, &final)) != 0)
        asyncz_executor_free(main);
    return rc ? rc : az_daemon_exec_new(out, main, final);
}

static int add_executors(daemon_state *d)
{
    d->execs = calloc(d->cfg->n_executors ? d->cfg->n_executors : 1, sizeof *d->execs);
    if (!d->execs)
        return az_cli_failure("out of memory");
    for (size_t i = 0; i < d->cfg->n_executors; i++) {
        asyncz_executor *ex;
        int rc = make_executor(d->cfg, &d->cfg->executors[i], &ex);
        if (rc == 0)
            rc = asyncz_scheduler_add_executor(d->s, d->cfg->executors[i].name, ex);
        if (rc)
            return az_cli_failure("executor %s: %s", d->cfg->executors[i].name, asyncz_strerror(rc));
        d->execs[d->n_execs++] = ex;
    }
    return 0;
}

static int build_scheduler(daemon_state *d)
{
    asyncz_scheduler_options opts;
    asyncz_scheduler_options_init(&opts);
    opts.timezone = d->cfg->zone;
    opts.identity = d->cfg->identity;
    opts.run_output_max = d->cfg->run_output_max;
    int rc = asyncz_scheduler_new(&d->s, &opts);
    if (rc)
        return az_cli_failure("cannot make the scheduler: %s", asyncz_strerror(rc));
    az_cfg_errors errs = {0};
    rc = az_daemon_register(d->s, d->cfg, &d->plugins, &d->shell, &errs);
    print_errors(&errs, d->cfg->path);
    az_cfg_errors_free(&errs);
    if (rc)
        return AZ_CLI_EXIT_FAILURE;
    rc = asyncz_scheduler_add_listener(d->s,
                                       ASYNCZ_EVENT_TASK_SUBMITTED | ASYNCZ_EVENT_TASK_EXECUTED |
                                           ASYNCZ_EVENT_TASK_ERROR | ASYNCZ_EVENT_TASK_MISSED,
                                       on_run_event, d, NULL);
    if (rc)
        return az_cli_failure("cannot listen to the scheduler: %s", asyncz_strerror(rc));
    if ((rc = add_stores(d)) || (rc = add_executors(d)))
        return rc;
    return 0;
}

/* ---- signals: stopping and reloading
 * ------------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef bool (*done_fn)(daemon_state *d);

static bool no_runs_going(daemon_state *d)
{
    return az_runs_going(&d->runs) == 0 && az_hooks_idle(d->hooks);
}

static bool no_hooks_going(daemon_state *d)
{
    return az_hooks_idle(d->hooks);
}

static bool scheduler_shut_down(daemon_state *d)
{
    return atomic_load(&d->shut_down);
}

/* Wait until done(d), at most until deadline (ms, monotonic) or a further stop signal. Returns whether it
 * is done. */
static bool wait_until(daemon_state *d, done_fn done, int64_t deadline)
{
    while (!done(d)) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return false;
        int64_t step = left < STOP_POLL_MS ? left : STOP_POLL_MS;
        struct timespec ts = {.tv_sec = step / 1000, .tv_nsec = (step % 1000) * 1000000};
        int sig = sigtimedwait(&d->signals, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "SIG%s again: not waiting any longer", sigabbrev_np(sig));
            return done(d);
        }
        if (sig == SIGHUP)
            asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "SIGHUP while stopping: the config is not reloaded");
    }
    return true;
}

static void format_duration(int64_t usec, char *buf, size_t size)
{
    if (usec % ASYNCZ_USEC_PER_SEC == 0)
        snprintf(buf, size, "%llds", (long long)(usec / ASYNCZ_USEC_PER_SEC));
    else
        snprintf(buf, size, "%.3fs", (double)usec / ASYNCZ_USEC_PER_SEC);
}

static void *shut_down_scheduler(void *arg)
{
    daemon_state *d = arg;
    asyncz_scheduler_shutdown(d->s, true);
    atomic_store(&d->shut_down, true);
    return NULL;
}

/* The scheduler's shutdown runs the shutdown tasks (on the executors' final halves) and waits for them: it
 * runs on a thread of its own, so that this one can stop them at shutdown_timeout or a further signal. */
static void run_shutdown_tasks(daemon_state *d, const char *limit)
{
    for (size_t i = 0; i < d->n_execs; i++)
        az_daemon_exec_final_phase(d->execs[i]);
    pthread_t stopper;
    if (pthread_create(&stopper, NULL, shut_down_scheduler, d) != 0) {
        shut_down_scheduler(d); /* no thread: the shutdown tasks are waited for without a bound */
        return;
    }
    int64_t deadline = mono_ms() + d->cfg->shutdown_timeout / ASYNCZ_USEC_PER_MSEC;
    if (!wait_until(d, scheduler_shut_down, deadline)) {
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "shutdown tasks still going (shutdown_timeout %s): they are killed", limit);
        for (size_t i = 0; i < d->n_execs; i++)
            az_daemon_exec_stop_final(d->execs[i]);
        /* A process pool kills its workers; a function on a thread pool or the loop cannot be stopped from
         * outside, and the scheduler's shutdown waits for it. The stop is bounded all the same. */
        if (!wait_until(d, scheduler_shut_down, mono_ms() + STOP_FINAL_GRACE_MS)) {
            asyncz_log(ASYNCZ_LOG_ERROR, LOGGER,
                       "a shutdown task on a thread pool or the loop does not stop when told (only process "
                       "pools can stop a run): exiting without waiting for it");
            _exit(AZ_CLI_EXIT_FAILURE);
        }
    }
    pthread_join(stopper, NULL);
}

/* Stop in three steps, each bounded by shutdown_timeout: wait for the running tasks, stop those still
 * going, then run the shutdown tasks (daemon_exec.c). */
static void stop(daemon_state *d, int sig)
{
    char limit[32];
    format_duration(d->cfg->shutdown_timeout, limit, sizeof limit);
    size_t running = az_runs_going(&d->runs);
    bool hooks = !az_hooks_idle(d->hooks);
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "SIG%s: stopping; no new runs start%s%s", sigabbrev_np(sig),
               running > 0 ? "; waiting for the running tasks" : "",
               hooks ? "; waiting for the on_failure hooks" : "");
    asyncz_scheduler_pause(d->s);
    int64_t deadline = mono_ms() + d->cfg->shutdown_timeout / ASYNCZ_USEC_PER_MSEC;
    if (!wait_until(d, no_runs_going, deadline)) {
        size_t left = az_runs_going(&d->runs);
        if (left > 0)
            asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                       "stopping anyway with %zu run(s) still going (shutdown_timeout %s): they are killed",
                       left, limit);
        else
            asyncz_log(
                ASYNCZ_LOG_WARNING, LOGGER,
                "stopping anyway with on_failure hooks still going (shutdown_timeout %s): they are stopped",
                limit);
        for (size_t i = 0; i < d->n_execs; i++)
            az_daemon_exec_stop_running(d->execs[i]);
        az_hooks_abort(d->hooks);
    }
    run_shutdown_tasks(d, limit);
    /* The hooks of shutdown tasks that failed get their own shutdown_timeout. */
    if (!wait_until(d, no_hooks_going, mono_ms() + d->cfg->shutdown_timeout / ASYNCZ_USEC_PER_MSEC)) {
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "on_failure hooks still going (shutdown_timeout %s): they are stopped", limit);
        az_hooks_abort(d->hooks);
    }
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "stopped");
}

/* Every task of next must use a store and an executor the running scheduler has. */
static int check_running_refs(const daemon_state *d, const az_config *next, az_cfg_errors *errs)
{
    for (size_t i = 0; i < next->n_tasks; i++) {
        const char *store = asyncz_task_store(next->tasks[i].task);
        const char *ex = asyncz_task_executor(next->tasks[i].task);
        bool has_store = false, has_ex = false;
        for (size_t j = 0; j < d->cfg->n_stores; j++)
            has_store |= strcmp(d->cfg->stores[j].name, store) == 0;
        for (size_t j = 0; j < d->cfg->n_executors; j++)
            has_ex |= strcmp(d->cfg->executors[j].name, ex) == 0;
        if (!has_store || !has_ex)
            az_cfg_error_add(errs, next->tasks[i].line,
                             "[task %s]: %s '%s' is not running: new stores and executors take effect at the "
                             "next start",
                             next->tasks[i].id, has_store ? "executor" : "store", has_store ? ex : store);
    }
    return errs->n ? -1 : 0;
}

static bool same_plugins(const az_config *a, const az_config *b)
{
    if (a->n_plugins != b->n_plugins)
        return false;
    for (size_t i = 0; i < a->n_plugins; i++)
        if (strcmp(a->plugins[i], b->plugins[i]) != 0)
            return false;
    return true;
}

static void apply(daemon_state *d, az_config *next)
{
    /* Settings are compared with those running (the start's), task defaults with the last load's. */
    char defaults[512], restart[1024], unused[1024];
    az_daemon_settings_changes(d->cfg->settings_fingerprint, next->settings_fingerprint, unused,
                               sizeof unused, restart, sizeof restart);
    az_daemon_settings_changes(d->last_settings ? d->last_settings : d->cfg->settings_fingerprint,
                               next->settings_fingerprint, defaults, sizeof defaults, unused, sizeof unused);
    if (!same_plugins(next, d->cfg) && !strstr(restart, "[scheduler] plugins"))
        snprintf(restart + strlen(restart), sizeof restart - strlen(restart), "%s[scheduler] plugins",
                 *restart ? ", " : "");
    if (*restart)
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "changes to %s take effect at the next start", restart);
    if (*defaults)
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER,
                   "changes to [scheduler] %s apply now to the tasks that inherit them (a task paused with "
                   "asyncz pause stays paused)",
                   defaults);
    if (az_hooks_configure(d->hooks, next) != 0)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "out of memory: the on_failure hooks stay as they were");
    az_written now;
    size_t failed = az_daemon_write_tasks(d->s, next, &d->written, &now);
    az_written_free(&d->written);
    d->written = now;
    char *last = strdup(next->settings_fingerprint);
    if (last) {
        free(d->last_settings);
        d->last_settings = last;
    }
    asyncz_log(failed ? ASYNCZ_LOG_ERROR : ASYNCZ_LOG_INFO, LOGGER, "reloaded %s: %zu task(s)%s", next->path,
               next->n_tasks, failed ? ", some could not be written (see above)" : "");
}

static void reload(daemon_state *d)
{
    bool reopened = az_daemon_log_reopen();
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "SIGHUP: %sreading %s again",
               reopened ? "log file opened again; " : "", d->cfg->path);
    az_cfg_errors errs = {0};
    az_config *next = NULL;
    /* Functions are looked up among those of the plugins loaded at start. */
    if (az_config_load(d->cfg->path, &next, &errs) == 0 && check_running_refs(d, next, &errs) == 0)
        az_daemon_check_tasks(next, &d->plugins, &errs);
    if (errs.n == 0) {
        apply(d, next);
        az_http_service_reload(d->http, next);
    } else {
        log_errors(&errs, d->cfg->path);
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "reload failed: the tasks stay as they were");
    }
    az_cfg_errors_free(&errs);
    az_config_free(next);
}

static void serve(daemon_state *d)
{
    int sig;
    for (;;) {
        sig = sigwaitinfo(&d->signals, NULL);
        if (sig == SIGHUP)
            reload(d);
        else if (sig == SIGTERM || sig == SIGINT)
            break;
    }
    stop(d, sig);
}

/* ---- the command
 * --------------------------------------------------------------------------------------------- */

static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    /* A log reader that goes away must not kill the daemon; commands get SIGPIPE back (shell_run.c). */
    signal(SIGPIPE, SIG_IGN);
}

/* The shell's context and the hooks, once the scheduler is made (its identity is ASYNCZ_SCHEDULER) and
 * before it starts. */
static int prepare_commands(daemon_state *d)
{
    if (!(d->identity = strdup(asyncz_scheduler_identity(d->s))))
        return az_cli_failure("out of memory");
    d->shell = (az_shell_context){.identity = d->identity, .zone = d->cfg->zone};
    if (az_hooks_new(&d->hooks, d->s, d->cfg->run_output_max, d->identity, d->cfg->zone) != 0 ||
        az_hooks_configure(d->hooks, d->cfg) != 0)
        return az_cli_failure("out of memory");
    return 0;
}

/* The API and console, when the config asks for them; a server that cannot start stops the daemon (a
 * port in use, a bad users file): running without the console the config asked for would be a surprise. */
static int start_http(daemon_state *d)
{
    if (!d->cfg->http.enabled)
        return 0;
    char why[1024];
    if (az_http_service_start(&d->http, d->s, d->cfg, d->identity, why, sizeof why) != 0) {
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "%s:%d: [http]: %s", d->cfg->path, d->cfg->http.line, why);
        return az_cli_failure("%s:%d: [http]: %s", d->cfg->path, d->cfg->http.line, why);
    }
    return 0;
}

static int run_daemon(daemon_state *d)
{
    int rc = az_daemon_check_identity(d->cfg);
    if (rc == 0)
        rc = build_scheduler(d);
    if (rc == 0)
        rc = prepare_commands(d);
    /* Started paused: the config's tasks replace the stored ones before anything stored runs. */
    if (rc == 0 && (rc = asyncz_scheduler_start(d->s, ASYNCZ_START_PAUSED)) != 0)
        rc = az_cli_failure("cannot start: %s", asyncz_scheduler_errmsg(d->s));
    if (rc == 0 && az_hooks_start(d->hooks) != 0)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER,
                   "cannot start a thread for the on_failure hooks: they will not run");
    if (rc == 0) {
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "asyncz %s started with %s: %zu task(s), %zu store(s), pid %d",
                   asyncz_version(), d->cfg->path, d->cfg->n_tasks, d->cfg->n_stores, (int)getpid());
        az_daemon_write_tasks(d->s, d->cfg, NULL, &d->written);
        d->last_settings = strdup(d->cfg->settings_fingerprint);
        rc = start_http(d);
    }
    if (rc == 0) {
        asyncz_scheduler_resume(d->s);
        serve(d);
    }
    /* After the scheduler stopped (no more events), before it is freed (requests use it). */
    az_http_service_stop(d->http);
    asyncz_scheduler_free(d->s);
    az_hooks_abort(d->hooks); /* nothing left to wait for after stop(); on an error, nothing ran */
    az_hooks_free(d->hooks);
    free(d->identity);
    free(d->execs);
    free(d->last_settings);
    az_written_free(&d->written);
    return rc;
}

static int check_only(const start_args *a, az_config *cfg, const az_cfg_errors *errs)
{
    if (a->json)
        return az_cli_finish(print_check_json(cfg, errs, a->config) ? AZ_CLI_EXIT_FAILURE
                                                                    : az_cfg_errors_status(errs));
    if (errs->n)
        return az_cfg_errors_status(errs);
    size_t left_out = print_not_scheduled(cfg);
    printf("%s: ok (%zu task(s), %zu store(s), %zu executor(s))", a->config, cfg->n_tasks, cfg->n_stores,
           cfg->n_executors);
    if (left_out)
        printf(", %zu task(s) left out of the schedule", left_out);
    putchar('\n');
    return az_cli_finish(0);
}

int az_cli_start(int argc, char **argv)
{
    daemon_state d = {0};
    block_signals(&d.signals);
    start_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc || a.help) {
        if (a.help)
            az_cli_print_command_help(stdout, "start");
        return rc ? rc : az_cli_finish(0);
    }
    az_runs_init(&d.runs);
    az_cfg_errors errs = {0};
    char why[512];
    if (load_checked(a.config, &d.cfg, &d.plugins, &errs) == 0 && a.check) {
        if (az_daemon_log_check(d.cfg->log, why, sizeof why) != 0)
            az_cfg_error_add(&errs, d.cfg->log_line, "[scheduler] log: '%s': %s", d.cfg->log, why);
        if (az_http_service_check(d.cfg, why, sizeof why) != 0)
            az_cfg_error_add(&errs, d.cfg->http.line, "[http]: %s", why);
    }
    if (!(a.check && a.json))
        print_errors(&errs, a.config);
    if (a.check || errs.n) {
        rc = a.check ? check_only(&a, d.cfg, &errs) : az_cfg_errors_status(&errs);
    } else {
        if (az_daemon_log_setup(a.json ? "json" : d.cfg->log, d.cfg->log_level, why, sizeof why) != 0)
            rc = az_cli_failure("%s:%d: [scheduler] log: '%s': %s", a.config, d.cfg->log_line, d.cfg->log,
                                why);
        else
            rc = run_daemon(&d);
    }
    az_cfg_errors_free(&errs);
    az_config_free(d.cfg);
    az_plugins_close(&d.plugins);
    az_runs_free(&d.runs);
    return rc;
}
