/* asyncz-cluster-node: one scheduler process of the cluster tests (tests/cluster/), or the program that fills
 * their shared store.
 *
 *   asyncz-cluster-node seed URL N T0_US SECONDS
 *       Remove every task of the store at URL and add N tasks "c0000".."c<N-1>" calling "record", each with
 * an interval trigger of 1 s firing at T0_US, T0_US + 1 s, ..., T0_US + (SECONDS - 1) s (µs since the epoch,
 * given by the caller so that every process agrees), coalescing off, one instance at a time and a misfire
 * grace of 300 s, so that every occurrence runs however late it is taken over.
 *
 *   asyncz-cluster-node run URL NAME OUTFILE END_US
 *       Run a scheduler named NAME on the store at URL until SIGTERM (or SIGINT) or the wall-clock time
 * END_US, then shut down cleanly. "record" takes 20 ms, then appends "R <task> <run_time_us> <NAME>
 * <at_us>\n" to OUTFILE, and a listener appends "L <task> <run_time_us> <NAME> <lost>\n" for every TASK_LOST
 * this scheduler reports and "S <lost> <NAME>\n" for every SCHEDULER_LOST (lost: the identity of the lost
 * scheduler), and "M <task> <run_time_us> <NAME>\n" for every run time a TASK_MAX_INSTANCES event refused.
 * Each line is one write() to a file opened with O_APPEND, so lines of a killed process are whole or absent.
 *
 * With ASYNCZ_CLUSTER_HISTORY=off in the environment, the scheduler keeps no run history.
 *
 *   asyncz-cluster-node history URL
 *       Print the store's run history, one line per record: "H <task> <scheduled_us> <outcome> <scheduler>
 * <run_id>", or the one line "H-NONE" when the store keeps no history (hcheck.awk reads it).
 *
 * Errors go to stderr with the store's or scheduler's message; the exit status is then 1 (2: bad usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/executor.h"
#include "asyncz/history.h"
#include "asyncz/log.h"
#include "asyncz/scheduler.h"
#include "asyncz/store.h"
#include "asyncz/task.h"
#include "asyncz/trigger.h"

/* The scheduler settings the cluster tests run with: short enough that a killed node's claims are taken
 * over within seconds, long enough that a loaded 2-core machine does not lose live nodes. */
#define NODE_LEASE_USEC (3 * ASYNCZ_USEC_PER_SEC)
#define NODE_HEARTBEAT_USEC ASYNCZ_USEC_PER_SEC
#define NODE_POLL_USEC (ASYNCZ_USEC_PER_SEC / 2)
/* 32 workers run a second's 200 runs of 20 ms in some 125 ms, and the backlog a node takes over after an
 * outage (several occurrences of each task) within a second. Tasks allow TASK_INSTANCES runs at once: these
 * tests count occurrences claimed once across schedulers, and when a slow store (FerretDB) falls seconds
 * behind, a task's next occurrence is claimed while its previous one still waits in a pool; max_instances 1
 * would then skip it on purpose (TASK_MAX_INSTANCES, which the checker names if it ever happens). */
#define NODE_WORKERS 32
#define TASK_INSTANCES 8
#define RECORD_USEC 20000
#define TASK_GRACE_USEC (300 * ASYNCZ_USEC_PER_SEC)
#define TASK_ID_SIZE 16
#define LINE_SIZE 512
#define NODE_EVENTS (ASYNCZ_EVENT_TASK_LOST | ASYNCZ_EVENT_SCHEDULER_LOST | ASYNCZ_EVENT_TASK_MAX_INSTANCES)

/* What the function and the listener write to: the node's name and its output file. */
typedef struct node {
    const char *name;
    int fd;
} node;

static int fail(const char *what, int rc, const char *msg)
{
    fprintf(stderr, "asyncz-cluster-node: %s: %s\n", what, msg && *msg ? msg : asyncz_strerror(rc));
    return 1;
}

static int parse_i64(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end)
        return -1;
    *out = v;
    return 0;
}

/* ---- the output file -------------------------------------------------------------------------------- */

/* One write() of the whole line: with O_APPEND, concurrent writers never interleave within a line. */
static void write_line(int fd, const char *line, size_t len)
{
    ssize_t n = write(fd, line, len);
    if (n != (ssize_t)len)
        fprintf(stderr, "asyncz-cluster-node: short write to the output file: %s\n",
                n < 0 ? strerror(errno) : "partial");
}

/* A run takes RECORD_USEC before its line is written, so that a node killed in the middle of its batch has
 * runs in flight that never wrote theirs. */
static int record(asyncz_run *run, void *userdata)
{
    const node *nd = userdata;
    usleep(RECORD_USEC);
    char line[LINE_SIZE];
    int len = snprintf(line, sizeof line, "R %s %" PRId64 " %s %" PRId64 "\n", asyncz_run_task_id(run),
                       (int64_t)asyncz_run_scheduled_time(run), nd->name, (int64_t)asyncz_now());
    if (len > 0 && (size_t)len < sizeof line)
        write_line(nd->fd, line, (size_t)len);
    return ASYNCZ_RUN_DONE;
}

/* One line per run time the scheduler refused because the task's previous run had not finished. */
static void on_max_instances(const asyncz_event *ev, const node *nd)
{
    char line[LINE_SIZE];
    for (size_t i = 0; i < ev->n_run_times; i++) {
        int len = snprintf(line, sizeof line, "M %s %" PRId64 " %s\n", ev->task_id ? ev->task_id : "?",
                           (int64_t)ev->run_times[i], nd->name);
        if (len > 0 && (size_t)len < sizeof line)
            write_line(nd->fd, line, (size_t)len);
    }
}

static int on_event(const asyncz_event *ev, void *userdata)
{
    const node *nd = userdata;
    if (ev->code == ASYNCZ_EVENT_TASK_MAX_INSTANCES) {
        on_max_instances(ev, nd);
        return 0;
    }
    const char *lost = ev->instance_id ? ev->instance_id : "?";
    char line[LINE_SIZE];
    int len;
    if (ev->code == ASYNCZ_EVENT_SCHEDULER_LOST)
        len = snprintf(line, sizeof line, "S %s %s\n", lost, nd->name);
    else
        len = snprintf(line, sizeof line, "L %s %" PRId64 " %s %s\n", ev->task_id ? ev->task_id : "?",
                       (int64_t)ev->scheduled_run_time, nd->name, lost);
    if (len > 0 && (size_t)len < sizeof line)
        write_line(nd->fd, line, (size_t)len);
    return 0;
}

/* ---- the scheduler ---------------------------------------------------------------------------------- */

/* A period in ms from the environment (set by lib.sh for slow stores), else dflt µs. */
static int64_t ms_from_env(const char *name, int64_t dflt)
{
    const char *v = getenv(name);
    char *end = NULL;
    long long ms = v && *v ? strtoll(v, &end, 10) : 0;
    return ms > 0 && end && *end == '\0' ? (int64_t)ms * 1000 : dflt;
}

/* A scheduler on the store at url, with a thread pool; its function "record" writes for nd. */
static int make_scheduler(asyncz_scheduler **out, const char *url, const char *identity, node *nd)
{
    asyncz_scheduler_options opts;
    asyncz_scheduler_options_init(&opts);
    opts.identity = identity;
    opts.lease_usec = ms_from_env("ASYNCZ_CLUSTER_LEASE_MS", NODE_LEASE_USEC);
    opts.heartbeat_usec = ms_from_env("ASYNCZ_CLUSTER_HEARTBEAT_MS", NODE_HEARTBEAT_USEC);
    opts.poll_interval_usec = NODE_POLL_USEC;
    int rc = asyncz_scheduler_new(out, &opts);
    if (rc)
        return fail("scheduler", rc, asyncz_scheduler_errmsg(NULL));
    asyncz_store *st = NULL;
    if ((rc = asyncz_store_open(&st, url)) != 0)
        return fail(url, rc, asyncz_store_errmsg());
    if ((rc = asyncz_scheduler_add_store(*out, "default", st)) != 0)
        return fail("add store", rc, asyncz_scheduler_errmsg(*out));
    const char *history = getenv("ASYNCZ_CLUSTER_HISTORY");
    if (history && strcmp(history, "off") == 0 &&
        (rc = asyncz_scheduler_set_history(*out, "default", false, NULL)) != 0)
        return fail("history off", rc, asyncz_scheduler_errmsg(*out));
    asyncz_executor *ex = NULL;
    if ((rc = asyncz_executor_threadpool_new(&ex, NODE_WORKERS)) != 0 ||
        (rc = asyncz_scheduler_add_executor(*out, "default", ex)) != 0)
        return fail("thread pool", rc, asyncz_scheduler_errmsg(*out));
    if ((rc = asyncz_scheduler_register(*out, "record", record, nd)) != 0)
        return fail("register", rc, asyncz_scheduler_errmsg(*out));
    return 0;
}

/* ---- seed ----------------------------------------------------------------------------------------- */

/* One task: every second from t0 for `seconds` occurrences, next run time t0 even if t0 has passed. */
static int make_task(asyncz_task **out, int i, asyncz_time_t t0, int64_t seconds)
{
    asyncz_trigger_options topts;
    asyncz_trigger_options_init(&topts);
    topts.start_date = t0;
    topts.end_date = t0 + (seconds - 1) * ASYNCZ_USEC_PER_SEC;
    asyncz_trigger *trig = NULL;
    asyncz_trigger_error terr;
    int rc = asyncz_trigger_interval_new(&trig, ASYNCZ_USEC_PER_SEC, &topts, &terr);
    if (rc)
        return rc;
    char id[TASK_ID_SIZE];
    snprintf(id, sizeof id, "c%04d", i);
    rc = asyncz_task_new(out, "record");
    if (!rc && !(rc = asyncz_task_set_id(*out, id)) && !(rc = asyncz_task_set_trigger(*out, trig)) &&
        !(rc = asyncz_task_set_coalesce(*out, false)) &&
        !(rc = asyncz_task_set_max_instances(*out, TASK_INSTANCES)) &&
        !(rc = asyncz_task_set_misfire_grace_time(*out, TASK_GRACE_USEC)))
        rc = asyncz_task_set_next_run_time(*out, t0);
    asyncz_trigger_unref(trig);
    return rc;
}

static int add_tasks(asyncz_scheduler *s, int n, asyncz_time_t t0, int64_t seconds)
{
    for (int i = 0; i < n; i++) {
        asyncz_task *t = NULL;
        int rc = make_task(&t, i, t0, seconds);
        if (!rc)
            rc = asyncz_scheduler_add_task(s, t, 0);
        asyncz_task_free(t);
        if (rc)
            return fail("add task", rc, asyncz_scheduler_errmsg(s));
    }
    return 0;
}

/* Started paused, the scheduler connects its store but claims nothing while the tasks go in. */
static int seed(const char *url, int n, asyncz_time_t t0, int64_t seconds)
{
    node nd = {.name = "seed", .fd = -1};
    asyncz_scheduler *s = NULL;
    int status = make_scheduler(&s, url, "cluster-seed", &nd);
    int rc;
    if (!status && (rc = asyncz_scheduler_start(s, ASYNCZ_START_PAUSED)) != 0)
        status = fail("start", rc, asyncz_scheduler_errmsg(s));
    if (!status && (rc = asyncz_scheduler_remove_all_tasks(s, NULL)) != 0)
        status = fail("remove all", rc, asyncz_scheduler_errmsg(s));
    if (!status)
        status = add_tasks(s, n, t0, seconds);
    asyncz_scheduler_free(s);
    return status;
}

/* ---- run ---------------------------------------------------------------------------------------- */

/* Wait for SIGTERM or SIGINT (blocked in every thread, so only this wait sees them) or the time end. */
static void wait_until(const sigset_t *set, asyncz_time_t end)
{
    for (;;) {
        asyncz_time_t left = end - asyncz_now();
        if (left <= 0)
            return;
        struct timespec ts = {.tv_sec = left / ASYNCZ_USEC_PER_SEC,
                              .tv_nsec = (left % ASYNCZ_USEC_PER_SEC) * 1000};
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            return;
    }
}

static int run(const char *url, const char *name, const char *path, asyncz_time_t end)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    node nd = {.name = name, .fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
    if (nd.fd < 0)
        return fail(path, ASYNCZ_EIO, strerror(errno));
    asyncz_scheduler *s = NULL;
    int status = make_scheduler(&s, url, name, &nd);
    int rc;
    if (!status && (rc = asyncz_scheduler_add_listener(s, NODE_EVENTS, on_event, &nd, NULL)) != 0)
        status = fail("listener", rc, asyncz_scheduler_errmsg(s));
    if (!status && (rc = asyncz_scheduler_start(s, 0)) != 0)
        status = fail("start", rc, asyncz_scheduler_errmsg(s));
    if (!status) {
        wait_until(&set, end);
        if ((rc = asyncz_scheduler_shutdown(s, true)) != 0)
            status = fail("shutdown", rc, asyncz_scheduler_errmsg(s));
    }
    asyncz_scheduler_free(s);
    close(nd.fd);
    return status;
}

/* ---- history ---------------------------------------------------------------------------------------- */

static int print_run(const asyncz_run_record *r, void *userdata)
{
    (void)userdata;
    printf("H %s %" PRId64 " %s %s %s\n", r->task_id, (int64_t)r->scheduled_time,
           asyncz_run_outcome_name(r->outcome), r->scheduler ? r->scheduler : "-", r->run_id);
    return 0;
}

static int history(const char *url)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    if (rc == 0)
        rc = asyncz_store_connect(st);
    if (rc) {
        asyncz_store_free(st);
        return fail(url, rc, asyncz_store_errmsg());
    }
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.limit = ASYNCZ_HISTORY_MAX_LIMIT;
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    do {
        q.cursor = cursor;
        char next[ASYNCZ_HISTORY_CURSOR_SIZE];
        rc = asyncz_store_list_runs(st, &q, print_run, NULL, next);
        memcpy(cursor, next, sizeof cursor);
    } while (rc == 0 && cursor[0]);
    if (rc == ASYNCZ_EUNSUPPORTED) {
        printf("H-NONE\n");
        rc = 0;
    }
    int status = rc ? fail("history", rc, asyncz_store_errmsg()) : 0;
    asyncz_store_free(st);
    return status;
}

static int usage(void)
{
    fprintf(stderr, "usage: asyncz-cluster-node seed URL N T0_US SECONDS\n"
                    "       asyncz-cluster-node run URL NAME OUTFILE END_US\n"
                    "       asyncz-cluster-node history URL\n");
    return 2;
}

int main(int argc, char **argv)
{
    int64_t a, b, c;
    asyncz_log_set_level(ASYNCZ_LOG_WARNING);
    if (argc == 6 && strcmp(argv[1], "seed") == 0) {
        if (parse_i64(argv[3], &a) || parse_i64(argv[4], &b) || parse_i64(argv[5], &c) || a < 1 || a > 9999 ||
            c < 1)
            return usage();
        return seed(argv[2], (int)a, b, c);
    }
    if (argc == 3 && strcmp(argv[1], "history") == 0)
        return history(argv[2]);
    if (argc == 6 && strcmp(argv[1], "run") == 0) {
        if (parse_i64(argv[5], &a))
            return usage();
        return run(argv[2], argv[3], argv[4], a);
    }
    return usage();
}
