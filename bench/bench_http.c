/* The `http` suite: the daemon's HTTP API measured as a user runs it (issue 15, "Speed"). The suite starts
 * `asyncz start --config` as a child process with an [http] section (127.0.0.1, a port the system picks, a
 * viewer token made with `asyncz auth token`) on a SQLite store in a private temporary directory, loads it
 * from outside with wrk and clients of its own, and stops it with SIGTERM. Two daemons:
 *
 * The API daemon: 100,000 tasks that do not fire, ASYNCZ_BENCH_HTTP_RUNS run records (default 1,000,000;
 * 1,000 tasks over 29 days, written before it starts) and 10 shell tasks firing `true` every second.
 *   healthz_rps, status_rps        wrk -t2 -c32 on /healthz and /api/v1/status: requests/s
 *                                  (target: status >= 10,000/s)
 *   tasks_first_page, tasks_middle_page (?cursor= of the page after the 50,000th task),
 *   tasks_sort_next_run_time       a page of 50 of the 100,000 tasks, wrk -t1 -c1: p99 latency (<= 20 ms)
 *   runs_page, runs_task_page, runs_failed_page
 *                                  a page of 50 runs of all, of one task, of the failed: p99 (<= 20 ms)
 *   events_100_clients             100 event streams (a connection and a reader thread each) for 20 s:
 *                                  how long after its time each event reached each client; the figure is
 *                                  the p99 over events of the time until the last client had it (<= 100 ms)
 *
 * The lateness daemons (bench_http_late.c): 10,000 tasks every second, 20 s idle and then 20 s while a
 * paced client of this suite sends 5,000 GET /api/v1/status a second, on a SQLite store and on memory://.
 *   lateness_sqlite_idle, lateness_sqlite_api_5000rps, lateness_memory_idle, lateness_memory_api_5000rps
 *                                  p99 lateness (target with the load: <= 2 ms)
 *
 * Each wrk measurement lasts ASYNCZ_BENCH_HTTP_SECONDS (default 5) and is repeated --repeats times; a figure
 * is the median. After each case a line says the target and whether it was met. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "asyncz.h"
#include "bench.h"
#include "bench_http.h"

#define N_TASKS 100000
#define N_RUN_TASKS 1000
#define N_TICKS 10
#define N_STREAMS 100
#define PAGE_QUERY "limit=50"

static long env_number(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : def;
    if (v && *v && (*end || n < lo || n > hi)) {
        fprintf(stderr, "asyncz-bench http: %s='%s': expected a whole number %ld..%ld; using %ld\n", name, v,
                lo, hi, def);
        return def;
    }
    return n;
}

void bh_progress(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "asyncz-bench http: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void bh_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- reporting ----------------------------------------------------------------------------------------- */

void bh_target_verdict(const bench_ctx *ctx, const char *case_name, const char *figure, double value,
                       const char *target, const char *verdict)
{
    if (ctx->json)
        printf("{\"suite\":\"http\",\"case\":\"%s\",\"target\":\"%s\",\"value\":%.1f,\"verdict\":\"%s\","
               "\"met\":%s}\n",
               case_name, target, value, verdict, strcmp(verdict, "met") == 0 ? "true" : "false");
    else
        printf("%-10s %-32s %s; target %s: %s\n", "http", case_name, figure, target, verdict);
    fflush(stdout);
}

void bh_target_line(const bench_ctx *ctx, const char *case_name, const char *figure, double value,
                    const char *target, bool met)
{
    bh_target_verdict(ctx, case_name, figure, value, target, met ? "met" : "NOT MET");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n values (n <= 64; v unchanged). */
static double median(const double *v, int n)
{
    double copy[64];
    memcpy(copy, v, (size_t)n * sizeof *v);
    qsort(copy, (size_t)n, sizeof *copy, cmp_double);
    return copy[n / 2];
}

/* ---- wrk cases ----------------------------------------------------------------------------------------- */

typedef enum wrk_kind { THROUGHPUT, LATENCY } wrk_kind;

/* Measure url with wrk ctx->repeats times: throughput with 2 threads and 32 connections, or latency with one
 * connection (requests one after another: what one user waits). Reports the median; *median_out receives
 * the median requests/s (THROUGHPUT) or p99 in µs (LATENCY). */
static int wrk_case(const bh_suite *e, const char *case_name, unsigned port, const char *path, wrk_kind kind,
                    double *median_out)
{
    const bench_ctx *ctx = e->ctx;
    char url[8192];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    bool authed = strncmp(path, "/api/", 5) == 0 || strncmp(path, "/metrics", 8) == 0;
    bh_answer a;
    if (bh_get_once(port, path, authed ? e->token : NULL, &a) != 0 || a.status != 200) {
        fprintf(stderr, "asyncz-bench http: GET %s answered %d: %.300s\n", path, a.status,
                a.body ? a.body : "");
        bh_answer_clear(&a);
        return -1;
    }
    size_t body_len = a.body_len;
    bh_answer_clear(&a);
    int n = ctx->repeats < 64 ? ctx->repeats : 64;
    double samples[64], rps[64], p99[64], p50[64];
    uint64_t requests = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        bh_wrk_result r;
        if (bh_wrk(url, authed ? e->token : NULL, kind == THROUGHPUT ? 2 : 1, kind == THROUGHPUT ? 32 : 1,
                   e->seconds, &r) != 0)
            return -1;
        rps[i] = r.requests_per_sec;
        p99[i] = r.p99_us;
        p50[i] = r.p50_us;
        samples[i] =
            kind == THROUGHPUT ? 1e9 / (r.requests_per_sec > 0 ? r.requests_per_sec : 1) : r.p99_us * 1e3;
        requests += r.requests;
        bad += r.bad_status + r.socket_errors;
    }
    if (bad)
        fprintf(stderr, "asyncz-bench http: %s: %llu of %llu requests failed (not 2xx, or a socket error)\n",
                case_name, (unsigned long long)bad, (unsigned long long)requests);
    double med_rps = median(rps, n), med_p99 = median(p99, n), med_p50 = median(p50, n);
    char extra[320];
    snprintf(extra, sizeof extra,
             ",\"unit\":\"%s\",\"requests_per_sec\":%.0f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"connections\":%d,"
             "\"answer_bytes\":%zu,\"failed\":%llu",
             kind == THROUGHPUT ? "ns per request" : "ns p99 latency", med_rps, med_p50, med_p99,
             kind == THROUGHPUT ? 32 : 1, body_len, (unsigned long long)bad);
    bench_report(ctx, "http", case_name, samples, n, requests / (uint64_t)n, extra);
    *median_out = kind == THROUGHPUT ? med_rps : med_p99;
    return 0;
}

static int throughput_case(const bh_suite *e, const char *case_name, unsigned port, const char *path,
                           double target)
{
    if (!bench_selected(e->ctx, case_name))
        return 0;
    double rps = 0;
    if (wrk_case(e, case_name, port, path, THROUGHPUT, &rps) != 0)
        return -1;
    if (target > 0) {
        char fig[96], tgt[64];
        snprintf(fig, sizeof fig, "%.0f requests/s", rps);
        snprintf(tgt, sizeof tgt, ">= %.0f requests/s", target);
        bh_target_line(e->ctx, case_name, fig, rps, tgt, rps >= target);
    }
    return 0;
}

static int latency_case(const bh_suite *e, const char *case_name, unsigned port, const char *path,
                        double target_ms)
{
    if (!bench_selected(e->ctx, case_name))
        return 0;
    double p99_us = 0;
    if (wrk_case(e, case_name, port, path, LATENCY, &p99_us) != 0)
        return -1;
    char fig[96], tgt[64];
    snprintf(fig, sizeof fig, "p99 %.2f ms", p99_us / 1e3);
    snprintf(tgt, sizeof tgt, "p99 <= %.0f ms", target_ms);
    bh_target_line(e->ctx, case_name, fig, p99_us / 1e3, tgt, p99_us <= target_ms * 1e3);
    return 0;
}

/* ---- the tasks listing's cursor ------------------------------------------------------------------------ */

/* The "next_cursor" string of a page, copied into out; -1 when null or missing. */
static int next_cursor(const char *body, char *out, size_t size)
{
    const char *p = body ? strstr(body, "\"next_cursor\":") : NULL;
    if (!p)
        return -1;
    p += strlen("\"next_cursor\":");
    while (*p == ' ')
        p++;
    if (*p != '"')
        return -1;
    size_t len = strcspn(p + 1, "\"");
    if (len == 0 || len >= size)
        return -1;
    memcpy(out, p + 1, len);
    out[len] = '\0';
    return 0;
}

/* The cursor after the first `skip` tasks of the default listing, walked 500 at a time. */
static int middle_cursor(const bh_suite *e, unsigned port, size_t skip, char *cursor, size_t size)
{
    bh_conn c;
    if (bh_connect(&c, port) != 0)
        return -1;
    cursor[0] = '\0';
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < skip; done += 500) {
        char path[4096], enc[2048];
        if (bh_url_encode(cursor, enc, sizeof enc) != 0)
            rc = -1;
        snprintf(path, sizeof path, "/api/v1/tasks?limit=500%s%s", cursor[0] ? "&cursor=" : "", enc);
        bh_answer a;
        if (rc == 0 && (bh_get(&c, path, e->token, &a) != 0 || a.status != 200 ||
                        next_cursor(a.body, cursor, size) != 0))
            rc = -1;
        bh_answer_clear(&a);
    }
    bh_close(&c);
    if (rc)
        fprintf(stderr, "asyncz-bench http: could not page through /api/v1/tasks to task %zu\n", skip);
    return rc;
}

/* ---- the event streams --------------------------------------------------------------------------------- */

static int cmp_delivery(const void *a, const void *b)
{
    const bh_delivery *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->delay_us > y->delay_us) - (x->delay_us < y->delay_us);
}

static int events_case(const bh_suite *e, unsigned port)
{
    const char *case_name = "events_100_clients";
    if (!bench_selected(e->ctx, case_name))
        return 0;
    bh_streams *s;
    if (bh_streams_open(&s, port, e->token, N_STREAMS) != 0)
        return -1;
    bh_sleep(1);
    bh_streams_record(s);
    bh_sleep(e->late_seconds);
    bh_delivery *d = NULL;
    size_t n = 0;
    int early = 0;
    bh_streams_close(s, &d, &n, &early);
    if (!d || n == 0) {
        fprintf(stderr, "asyncz-bench http: %s: no event arrived in %d s\n", case_name, e->late_seconds);
        free(d);
        return -1;
    }
    qsort(d, n, sizeof *d, cmp_delivery);
    /* Per event: the delay of its last delivery, and how many clients had it. The first and last events may
     * have reached only some clients inside the window: events with fewer than all are counted apart. */
    int64_t *all = malloc(n * sizeof *all), *last = malloc(n * sizeof *last);
    size_t n_events = 0, partial = 0;
    for (size_t i = 0; all && last && i < n;) {
        size_t j = i;
        while (j < n && d[j].id == d[i].id)
            j++;
        if (j - i == N_STREAMS)
            last[n_events++] = d[j - 1].delay_us;
        else
            partial++;
        i = j;
    }
    for (size_t i = 0; all && i < n; i++)
        all[i] = d[i].delay_us;
    free(d);
    if (!all || !last || n_events == 0) {
        fprintf(stderr, "asyncz-bench http: %s: no event reached all %d clients\n", case_name, N_STREAMS);
        free(all);
        free(last);
        return -1;
    }
    bh_sort(all, n);
    bh_sort(last, n_events);
    double p99_last = (double)bh_percentile(last, n_events, 0.99);
    double sample = p99_last * 1e3;
    char extra[400];
    snprintf(
        extra, sizeof extra,
        ",\"unit\":\"ns p99 until the last client\",\"events\":%zu,\"clients\":%d,\"deliveries\":%zu,"
        "\"delivery_p50_us\":%lld,\"delivery_p99_us\":%lld,\"last_client_p50_us\":%lld,"
        "\"last_client_p99_us\":%.0f,\"last_client_max_us\":%lld,\"partial_events\":%zu,\"ended_early\":%d",
        n_events, N_STREAMS, n, (long long)bh_percentile(all, n, 0.5), (long long)bh_percentile(all, n, 0.99),
        (long long)bh_percentile(last, n_events, 0.5), p99_last, (long long)last[n_events - 1], partial,
        early);
    bench_report(e->ctx, "http", case_name, &sample, 1, n_events, extra);
    char fig[128];
    snprintf(fig, sizeof fig, "all %d clients had an event within p99 %.1f ms (max %.1f ms)", N_STREAMS,
             p99_last / 1e3, (double)last[n_events - 1] / 1e3);
    bh_target_line(e->ctx, case_name, fig, p99_last / 1e3, "p99 <= 100 ms", p99_last <= 100e3 && early == 0);
    free(all);
    free(last);
    return 0;
}

/* ---- the API daemon ------------------------------------------------------------------------------------ */

static bool any_selected(const bench_ctx *ctx, const char *const *names)
{
    for (; *names; names++)
        if (bench_selected(ctx, *names))
            return true;
    return false;
}

int bh_write_file(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(body, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "asyncz-bench http: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int bh_http_section(char *buf, size_t size, const bh_suite *e, const char *name)
{
    int n = snprintf(buf, size,
                     "[http]\nlisten = 127.0.0.1:0\nport_file = %s/%s.port\ntokens_file = %s\n"
                     "max_connections_per_client = 256\n",
                     e->dir, name, e->tokens);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static int api_cases(const bh_suite *e, unsigned port)
{
    char path[4096], cursor[2048], enc[2048];
    int rc = throughput_case(e, "healthz_rps", port, "/healthz", 0);
    rc = rc ? rc : throughput_case(e, "status_rps", port, "/api/v1/status", 10000);
    rc = rc ? rc : latency_case(e, "tasks_first_page", port, "/api/v1/tasks?" PAGE_QUERY, 20);
    if (rc == 0 && bench_selected(e->ctx, "tasks_middle_page")) {
        bh_progress("paging to the middle of the tasks for a cursor");
        rc = middle_cursor(e, port, N_TASKS / 2, cursor, sizeof cursor);
        rc = rc ? rc : bh_url_encode(cursor, enc, sizeof enc);
        snprintf(path, sizeof path, "/api/v1/tasks?" PAGE_QUERY "&cursor=%s", enc);
        rc = rc ? rc : latency_case(e, "tasks_middle_page", port, path, 20);
    }
    rc = rc ? rc
            : latency_case(e, "tasks_sort_next_run_time", port,
                           "/api/v1/tasks?" PAGE_QUERY "&sort=next_run_time", 20);
    rc = rc ? rc : latency_case(e, "runs_page", port, "/api/v1/runs?" PAGE_QUERY, 20);
    snprintf(path, sizeof path, "/api/v1/runs?" PAGE_QUERY "&task=t%07d", N_RUN_TASKS / 2);
    rc = rc ? rc : latency_case(e, "runs_task_page", port, path, 20);
    rc =
        rc ? rc : latency_case(e, "runs_failed_page", port, "/api/v1/runs?" PAGE_QUERY "&outcome=failed", 20);
    rc = rc ? rc : events_case(e, port);
    return rc;
}

static int api_daemon(const bh_suite *e)
{
    static const char *const cases[] = {
        "healthz_rps", "status_rps",     "tasks_first_page", "tasks_middle_page",  "tasks_sort_next_run_time",
        "runs_page",   "runs_task_page", "runs_failed_page", "events_100_clients", NULL};
    if (!any_selected(e->ctx, cases))
        return 0;
    char db[256], url[300], config[256], port_file[256], log[256], body[2048], http[1024];
    snprintf(db, sizeof db, "%s/api.db", e->dir);
    snprintf(url, sizeof url, "sqlite:///%s", db);
    snprintf(config, sizeof config, "%s/api.ini", e->dir);
    snprintf(port_file, sizeof port_file, "%s/api.port", e->dir);
    snprintf(log, sizeof log, "%s/api.log", e->dir);
    bh_progress("filling %s with %d tasks and %zu run records", url, N_TASKS, e->runs);
    uint64_t t0 = bench_now_ns();
    if (bh_fill_tasks(url, N_TASKS) != 0 || bh_fill_runs(url, e->runs, N_RUN_TASKS) != 0 ||
        bh_fill_ticks(url, "tick", N_TICKS, "asyncz.shell", "[\"true\"]", ASYNCZ_USEC_PER_SEC,
                      asyncz_now() + ASYNCZ_USEC_PER_SEC) != 0)
        return -1;
    bh_progress("filled in %.1f s; starting the daemon", (double)(bench_now_ns() - t0) / 1e9);
    if (bh_http_section(http, sizeof http, e, "api") != 0)
        return -1;
    snprintf(body, sizeof body, "[store default]\nurl = %s\n\n%s", url, http);
    bh_daemon d;
    if (bh_write_file(config, body) != 0 || bh_daemon_start(&d, e->tool, config, port_file, log) != 0)
        return -1;
    int rc = api_cases(e, d.port);
    int status = bh_daemon_stop(&d);
    if (rc == 0 && status != 0) {
        fprintf(stderr, "asyncz-bench http: the API daemon exited with status %d; its log:\n", status);
        bh_daemon_log_tail(&d);
    }
    unlink(db);
    return rc;
}

/* ---- the suite ----------------------------------------------------------------------------------------- */

static void remove_dir(const char *dir)
{
    static const char *const files[] = {
        "tokens",   "api.ini",      "api.port",      "api.log",      "api.db-wal",  "api.db-shm",
        "late.ini", "late.port",    "late.log",      "late.db-wal",  "late.db-shm", "api.db",
        "late.db",  "late-mem.ini", "late-mem.port", "late-mem.log", NULL};
    char path[PATH_MAX];
    for (const char *const *f = files; *f; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, *f);
        unlink(path);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "asyncz-bench http: %s left behind: %s\n", dir, strerror(errno));
}

int bench_http(const bench_ctx *ctx)
{
    bh_suite e = {.ctx = ctx};
    snprintf(e.dir, sizeof e.dir, "/tmp/asyncz-bench-http-XXXXXX");
    if (!mkdtemp(e.dir)) /* mode 0700: the store refuses a directory others may write */
        return 1;
    e.seconds = (int)env_number("ASYNCZ_BENCH_HTTP_SECONDS", 5, 1, 600);
    e.late_seconds = (int)env_number("ASYNCZ_BENCH_HTTP_LATENESS_SECONDS", 20, 2, 600);
    e.runs = (size_t)env_number("ASYNCZ_BENCH_HTTP_RUNS", 1000000, 1000, 100000000);
    bh_tool_path(e.tool, sizeof e.tool);
    snprintf(e.tokens, sizeof e.tokens, "%s/tokens", e.dir);
    int rc = bh_make_token(e.tool, e.tokens, "bench", e.token, sizeof e.token);
    rc = rc ? rc : api_daemon(&e);
    rc = rc ? rc : bh_lateness(&e, false);
    rc = rc ? rc : bh_lateness(&e, true);
    remove_dir(e.dir);
    return rc ? 1 : 0;
}
