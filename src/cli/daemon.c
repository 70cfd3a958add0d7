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

#include "cli.h"
#include "daemon.h"

#define LOGGER "asyncz.daemon"
/* How often the graceful stop looks at the runs still going. */
#define STOP_POLL_MS 100

const char az_cli_start_help[] =
    "Usage: asyncz start --config FILE [--check] [--json]\n"
    "\n"
    "Run the scheduler daemon in the foreground with the tasks, stores and executors of an INI config file\n"
    "(see docs/daemon.md). The config's tasks are written to their stores, replacing tasks with the same\n"
    "ids; shell commands run on a process pool with their output in the log.\n"
    "\n"
    "Options:\n"
    "  --config FILE  the config file (required)\n"
    "  --check        check the config (syntax, values, triggers, plugins and their functions) and exit 0\n"
    "                 if it is good, 2 if not, without touching any store\n"
    "  --json         with --check: one JSON document on stdout; without: log as JSON lines\n"
    "  -h, --help     show this help\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop taking new runs, wait for running tasks up to [scheduler]\n"
    "shutdown_timeout (default 30s), then stop; SIGHUP re-reads the config and updates the tasks (a bad\n"
    "config is logged and the running one kept).\n"
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
    az_written written;     /* what the last successful load wrote */
    _Atomic long in_flight; /* function calls submitted and not finished */
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
    json_t *doc =
        json_pack("{s:s, s:b, s:[], s:[]}", "config", path, "valid", errs->n == 0, "errors", "tasks");
    json_t *list = json_object_get(doc, "errors");
    for (size_t i = 0; i < errs->n; i++)
        json_array_append_new(
            list, json_pack("{s:i, s:s}", "line", errs->items[i].line, "message", errs->items[i].message));
    list = json_object_get(doc, "tasks");
    for (size_t i = 0; cfg && i < cfg->n_tasks; i++)
        json_array_append_new(list, json_string(cfg->tasks[i].id));
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
    if (ev->code == ASYNCZ_EVENT_TASK_SUBMITTED) {
        atomic_fetch_add(&d->in_flight, (long)ev->n_run_times);
        return 0;
    }
    atomic_fetch_sub(&d->in_flight, 1);
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
        char shown[1024]; /* the password masked: this reaches the journal */
        asyncz_store_url_mask(cfg->stores[i].url, shown, sizeof shown);
        if (rc)
            return az_cli_failure("store %s (%s): %s", cfg->stores[i].name, shown,
                                  asyncz_scheduler_errmsg(d->s));
    }
    return 0;
}

static int make_executor(const az_cfg_executor *e, asyncz_executor **out)
{
    if (e->type == AZ_CFG_THREADPOOL)
        return asyncz_executor_threadpool_new(out, e->workers);
    if (e->type == AZ_CFG_LOOP)
        return asyncz_executor_loop_new(out);
    asyncz_processpool_options o = {.max_workers = e->workers};
    return asyncz_executor_processpool_new(out, &o);
}

static int add_executors(daemon_state *d)
{
    for (size_t i = 0; i < d->cfg->n_executors; i++) {
        asyncz_executor *ex;
        int rc = make_executor(&d->cfg->executors[i], &ex);
        if (rc == 0)
            rc = asyncz_scheduler_add_executor(d->s, d->cfg->executors[i].name, ex);
        if (rc)
            return az_cli_failure("executor %s: %s", d->cfg->executors[i].name, asyncz_strerror(rc));
    }
    return 0;
}

static int build_scheduler(daemon_state *d)
{
    asyncz_scheduler_options opts;
    asyncz_scheduler_options_init(&opts);
    opts.timezone = d->cfg->zone;
    opts.identity = d->cfg->identity;
    int rc = asyncz_scheduler_new(&d->s, &opts);
    if (rc)
        return az_cli_failure("cannot make the scheduler: %s", asyncz_strerror(rc));
    az_cfg_errors errs = {0};
    rc = az_daemon_register(d->s, d->cfg, &d->plugins, &errs);
    print_errors(&errs, d->cfg->path);
    az_cfg_errors_free(&errs);
    if (rc)
        return AZ_CLI_EXIT_FAILURE;
    rc = asyncz_scheduler_add_listener(
        d->s, ASYNCZ_EVENT_TASK_SUBMITTED | ASYNCZ_EVENT_TASK_EXECUTED | ASYNCZ_EVENT_TASK_ERROR,
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

/* Wait for the runs under way, at most until deadline (ms, monotonic) or a second stop signal. Returns
 * whether all finished. */
static bool wait_for_runs(daemon_state *d, int64_t deadline)
{
    while (atomic_load(&d->in_flight) > 0) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return false;
        int64_t step = left < STOP_POLL_MS ? left : STOP_POLL_MS;
        struct timespec ts = {.tv_sec = step / 1000, .tv_nsec = (step % 1000) * 1000000};
        int sig = sigtimedwait(&d->signals, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "SIG%s again: not waiting any longer", sigabbrev_np(sig));
            return false;
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

static void stop(daemon_state *d, int sig)
{
    char limit[32];
    format_duration(d->cfg->shutdown_timeout, limit, sizeof limit);
    long running = atomic_load(&d->in_flight);
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "SIG%s: stopping; no new runs start%s", sigabbrev_np(sig),
               running > 0 ? "; waiting for the running tasks" : "");
    asyncz_scheduler_pause(d->s);
    int64_t deadline = mono_ms() + d->cfg->shutdown_timeout / ASYNCZ_USEC_PER_MSEC;
    bool all_done = wait_for_runs(d, deadline);
    if (!all_done)
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "stopping anyway with %ld run(s) still going (shutdown_timeout %s): they are killed",
                   atomic_load(&d->in_flight), limit);
    asyncz_scheduler_shutdown(d->s, all_done);
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
    if (strcmp(next->settings_fingerprint, d->cfg->settings_fingerprint) != 0 || !same_plugins(next, d->cfg))
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "changes to [scheduler], [store] and [executor] sections take effect at the next start");
    az_written now;
    size_t failed = az_daemon_write_tasks(d->s, next, &d->written, &now);
    az_written_free(&d->written);
    d->written = now;
    asyncz_log(failed ? ASYNCZ_LOG_ERROR : ASYNCZ_LOG_INFO, LOGGER, "reloaded %s: %zu task(s)%s", next->path,
               next->n_tasks, failed ? ", some could not be written (see above)" : "");
}

static void reload(daemon_state *d)
{
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "SIGHUP: reading %s again", d->cfg->path);
    az_cfg_errors errs = {0};
    az_config *next = NULL;
    /* Functions are looked up among those of the plugins loaded at start. */
    if (az_config_load(d->cfg->path, &next, &errs) == 0 && check_running_refs(d, next, &errs) == 0)
        az_daemon_check_tasks(next, &d->plugins, &errs);
    if (errs.n == 0) {
        apply(d, next);
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

static int run_daemon(daemon_state *d)
{
    int rc = build_scheduler(d);
    /* Started paused: the config's tasks replace the stored ones before anything stored runs. */
    if (rc == 0 && (rc = asyncz_scheduler_start(d->s, ASYNCZ_START_PAUSED)) != 0)
        rc = az_cli_failure("cannot start: %s", asyncz_scheduler_errmsg(d->s));
    if (rc == 0) {
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "asyncz %s started with %s: %zu task(s), %zu store(s), pid %d",
                   asyncz_version(), d->cfg->path, d->cfg->n_tasks, d->cfg->n_stores, (int)getpid());
        az_daemon_write_tasks(d->s, d->cfg, NULL, &d->written);
        asyncz_scheduler_resume(d->s);
        serve(d);
    }
    asyncz_scheduler_free(d->s);
    az_written_free(&d->written);
    return rc;
}

static int check_only(const start_args *a, az_config *cfg, const az_cfg_errors *errs)
{
    if (a->json)
        return az_cli_finish(print_check_json(cfg, errs, a->config) ? AZ_CLI_EXIT_FAILURE
                             : errs->n                              ? AZ_CLI_EXIT_USAGE
                                                                    : 0);
    if (errs->n)
        return AZ_CLI_EXIT_USAGE;
    printf("%s: ok (%zu task(s), %zu store(s), %zu executor(s))\n", a->config, cfg->n_tasks, cfg->n_stores,
           cfg->n_executors);
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
    az_cfg_errors errs = {0};
    load_checked(a.config, &d.cfg, &d.plugins, &errs);
    if (!(a.check && a.json))
        print_errors(&errs, a.config);
    if (a.check || errs.n) {
        rc = a.check ? check_only(&a, d.cfg, &errs) : AZ_CLI_EXIT_USAGE;
    } else {
        char why[512];
        if (az_daemon_log_setup(a.json ? "json" : d.cfg->log, d.cfg->log_level, why, sizeof why) != 0)
            rc = az_cli_usage_error("%s: %s", a.config, why);
        else
            rc = run_daemon(&d);
    }
    az_cfg_errors_free(&errs);
    az_config_free(d.cfg);
    az_plugins_close(&d.plugins);
    return rc;
}
