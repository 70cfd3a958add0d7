/* The `http` suite's parts (bench_http*.c): a small HTTP/1.1 client, a paced load of its own, event-stream
 * readers, the daemon as a child process, filling its stores, and wrk as a child process. Not a public
 * interface: only the suite uses it. Every function may be called from any thread unless it says so. */
#ifndef AZ_BENCH_HTTP_H
#define AZ_BENCH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "asyncz.h"
#include "bench.h"

/* ---- the suite's shared state and helpers (bench_http.c) -------------------------------------------------
 */

/* What every case of the suite needs; filled once by bench_http, read-only afterwards. */
typedef struct bh_suite {
    const bench_ctx *ctx;
    char dir[64];     /* the private temporary directory (mode 0700) */
    char tool[4096];  /* the asyncz tool */
    char tokens[128]; /* the [http] tokens_file */
    char token[256];  /* a viewer token in it */
    int seconds;      /* one wrk measurement (ASYNCZ_BENCH_HTTP_SECONDS) */
    int late_seconds; /* one lateness window, and the event streams' (ASYNCZ_BENCH_HTTP_LATENESS_SECONDS) */
    size_t runs;      /* records in the API daemon's history (ASYNCZ_BENCH_HTTP_RUNS) */
} bh_suite;

/* A line on stderr saying what the suite does now (filling a store takes a minute). */
void bh_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sleep s seconds of the real clock. */
void bh_sleep(double s);

/* The line after a case: its figure (text, and value in the target's unit) against the target, and whether
 * it was met; one JSON object with --json. */
void bh_target_line(const bench_ctx *ctx, const char *case_name, const char *figure, double value,
                    const char *target, bool met);

/* bh_target_line with a verdict of its own ("met", "NOT MET", "undecided: ..."), for figures known only to
 * a range. */
void bh_target_verdict(const bench_ctx *ctx, const char *case_name, const char *figure, double value,
                       const char *target, const char *verdict);

/* Write body (borrowed) to path. Returns 0 or -1 (message on stderr). */
int bh_write_file(const char *path, const char *body);

/* The [http] section of a daemon named `name` (port file DIR/NAME.port, the suite's tokens file, room for
 * many connections from 127.0.0.1) into buf. Returns 0 or -1 (too long). */
int bh_http_section(char *buf, size_t size, const bh_suite *e, const char *name);

/* ---- lateness (bench_http_late.c)
 * ---------------------------------------------------------------------------- */

/* The lateness cases on a SQLite store (memory false: lateness from the run history) or memory:// (from the
 * /metrics lateness histogram): a daemon with 10,000 tasks a second, idle, then under 5,000 requests/s.
 * Returns 0, or -1 (a failure, reported on stderr). */
int bh_lateness(const bh_suite *e, bool memory);

/* ---- the client (bench_http_client.c) --------------------------------------------------------------------
 */

/* One keep-alive connection to 127.0.0.1. */
typedef struct bh_conn {
    int fd;
    unsigned port;
    char *buf;       /* bytes read and not yet handed out */
    size_t len, cap; /* bytes in buf, its size */
} bh_conn;

/* An answer: status and body (owned by the answer; bh_answer_clear frees it). */
typedef struct bh_answer {
    int status;
    char *body;
    size_t body_len;
} bh_answer;

/* Connect c to 127.0.0.1:port (TCP_NODELAY). Returns 0, or -1 with errno set. */
int bh_connect(bh_conn *c, unsigned port);

/* Close c's socket and free its buffer (safe on a closed or zeroed c). */
void bh_close(bh_conn *c);

/* Send `GET path` (path borrowed, with its query) with `Authorization: Bearer token` (borrowed; NULL: none)
 * and read the whole answer into *out (new; bh_answer_clear). The connection stays open for the next
 * request. Returns 0, or -1 (a socket error, the peer closed, a malformed answer: reconnect). */
int bh_get(bh_conn *c, const char *path, const char *token, bh_answer *out);

/* bh_get on a fresh connection, closed afterwards. */
int bh_get_once(unsigned port, const char *path, const char *token, bh_answer *out);

void bh_answer_clear(bh_answer *a);

/* Copy text into out (size bytes) with everything but unreserved URL characters percent-encoded. Returns
 * 0, or -1 when it does not fit. */
int bh_url_encode(const char *text, char *out, size_t size);

/* ---- the paced load (bench_http_client.c) ----------------------------------------------------------------
 */

typedef struct bh_load bh_load;

/* Start `threads` threads, each with its own keep-alive connection, together sending `rate` GET requests
 * per second for path (copied) with token (copied), each on a fixed schedule (a thread that falls behind
 * sends at once until it has caught up, and gives up a backlog older than 100 ms). *out: new (bh_load_stop).
 * Returns 0 or -1. */
int bh_load_start(bh_load **out, unsigned port, const char *path, const char *token, double rate,
                  int threads);

/* Stop and join the threads, free l, and say what they did: answered requests per second, and requests that
 * failed (no answer or not 200). */
void bh_load_stop(bh_load *l, double *achieved_rate, uint64_t *failed);

/* ---- event-stream readers (bench_http_client.c)
 * ------------------------------------------------------------ */

/* One delivery: event id (the stream's `id:`), and how long after the event's own time (`time_us`, the
 * scheduler's real clock) the reader had it, in µs. */
typedef struct bh_delivery {
    uint64_t id;
    int64_t delay_us;
} bh_delivery;

typedef struct bh_streams bh_streams;

/* Open `clients` event streams (GET /api/v1/events, one connection and one reader thread each) and wait
 * until each has its answer's headers. Returns 0 or -1 (message on stderr; nothing left running). */
int bh_streams_open(bh_streams **out, unsigned port, const char *token, int clients);

/* Start recording deliveries now (events read before are ignored). */
void bh_streams_record(bh_streams *s);

/* Stop the readers, close the streams and hand back every delivery recorded (*out: new array, free()), and
 * how many streams ended early. */
void bh_streams_close(bh_streams *s, bh_delivery **out, size_t *n, int *ended_early);

/* ---- the daemon (bench_http_daemon.c)
 * ---------------------------------------------------------------------- */

/* A daemon started by the suite: its config, port file and log in dir. */
typedef struct bh_daemon {
    pid_t pid;
    unsigned port;
    char log[4096]; /* its stderr */
} bh_daemon;

/* The asyncz tool: $ASYNCZ_BENCH_CLI, else the `asyncz` next to this program. */
void bh_tool_path(char *buf, size_t size);

/* The greet example plugin (its greet.nap is the lateness case's cheap function): $ASYNCZ_BENCH_PLUGIN, else
 * examples/plugin/libasyncz-greet.so next to this program. Returns 0, or -1 when the file is missing. */
int bh_plugin_path(char *buf, size_t size);

/* Make a viewer token with `asyncz auth token NAME --role viewer --file TOKENS` into token (size bytes).
 * Returns 0 or -1 (message on stderr). */
int bh_make_token(const char *tool, const char *tokens_file, const char *name, char *token, size_t size);

/* Start `asyncz start --config config` with stderr to log (copied into d->log), wait until port_file has
 * the port (at most 60 s) and a /healthz answers. Returns 0, or -1 (message on stderr, the daemon stopped).
 */
int bh_daemon_start(bh_daemon *d, const char *tool, const char *config, const char *port_file,
                    const char *log);

/* SIGTERM to the daemon and wait for it (SIGKILL after 60 s). Returns its exit status, or -1. */
int bh_daemon_stop(bh_daemon *d);

/* Print the last lines of the daemon's log to stderr (after a failure). */
void bh_daemon_log_tail(const bh_daemon *d);

/* ---- filling stores (bench_http_fill.c)
 * -------------------------------------------------------------------- */

/* Add n shell-command tasks t0000000... that do not fire for a day (an interval of a year starting a day from
 * now plus i seconds: their next run times all differ) to the store at url. Returns 0 or -1. */
int bh_fill_tasks(const char *url, size_t n);

/* Add n interval tasks of `interval` calling func (args "[0]"), with executor `executor`, their phases spread
 * evenly over the interval from `start`, unlimited misfire grace time: ids PREFIX-NNNNN. Returns 0 or -1. */
int bh_fill_ticks(const char *url, const char *prefix, size_t n, const char *func, const char *args,
                  int64_t interval_usec, asyncz_time_t start);

/* Write n run records into the store's history: tasks t0000000..t(tasks-1), 1 in 10 failed, submitted over
 * the 29 days before now, in batches of 1,000. Returns 0 or -1. */
int bh_fill_runs(const char *url, size_t n, size_t tasks);

/* The lateness (started_at - scheduled_time, µs) of every run in the store's history whose scheduled time
 * is in [from, to) and whose task id starts with prefix: *out new array (free()), *n its length. Returns 0
 * or -1. */
int bh_read_lateness(const char *url, const char *prefix, asyncz_time_t from, asyncz_time_t to, int64_t **out,
                     size_t *n);

/* ---- wrk (bench_http_wrk.c)
 * ---------------------------------------------------------------------------------- */

typedef struct bh_wrk_result {
    double requests_per_sec;
    double p50_us, p75_us, p90_us, p99_us, max_us;
    uint64_t requests;
    uint64_t bad_status; /* "Non-2xx or 3xx responses" */
    uint64_t socket_errors;
} bh_wrk_result;

/* Run `wrk -t threads -c connections -d seconds --latency` on url with the bearer token (NULL: none) and
 * parse what it prints. Returns 0, or -1 (wrk missing or failed, or its output not understood; message on
 * stderr). */
int bh_wrk(const char *url, const char *token, int threads, int connections, int seconds, bh_wrk_result *out);

/* ---- helpers (bench_http_client.c)
 * ------------------------------------------------------------------------- */

/* The value at fraction q (0..1) of n sorted values (nearest rank); 0 when n is 0. */
int64_t bh_percentile(const int64_t *v, size_t n, double q);

/* Sort n values ascending. */
void bh_sort(int64_t *v, size_t n);

#endif
