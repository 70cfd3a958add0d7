/* The daemon's metrics and health checks (docs/metrics.md): GET /metrics in the Prometheus text format,
 * GET /healthz and GET /readyz.
 *
 * Where each number comes from:
 *   metrics.c         counters fed by the scheduler's events (az_metrics_on_event), by the server for every
 *                     response (az_metrics_on_request) and, optionally, by the daemon's log sink
 *                     (az_metrics_on_log); read as a snapshot (az_metrics_snapshot_take);
 *   metrics_scrape.c  what is read from the scheduler when /metrics is scraped (tasks by state, stores
 *                     reachable, quarantined records), cached for a few seconds so scrapes stay cheap;
 *   metrics_render.c  the Prometheus text of both, and the /metrics route;
 *   health.c          the store probe /readyz and the scrape share, /healthz and /readyz.
 *
 * Memory is bounded whatever the events say: at most AZ_METRICS_MAX_TASKS task series (then one series
 * labelled task="__other__", counted in asyncz_metrics_series_overflow_total), AZ_METRICS_MAX_STORES
 * stores, AZ_METRICS_MAX_ROUTES routes, AZ_METRICS_MAX_REQUEST_SERIES request series, AZ_METRICS_MAX_INFLIGHT
 * runs whose duration is being timed.
 */
#ifndef AZ_CLI_HTTP_METRICS_H
#define AZ_CLI_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncz.h"
#include "http.h"

/* ---- the interface the server and the daemon use ----------------------------------------------------- */

/* A new, empty set of metrics (*out; free with az_metrics_free). Its process start time is now. Returns 0
 * or ASYNCZ_ENOMEM (*out NULL). Any thread. */
int az_metrics_new(az_metrics **out);

/* Free m and everything it holds (NULL-safe). No other call on m may be under way or come after. */
void az_metrics_free(az_metrics *m);

/* Take one scheduler event (borrowed for the call): the body of a listener registered with
 * ASYNCZ_EVENT_ALL. Thread-safe and cheap: one short lock, no I/O, no allocation but the first time a task,
 * store or in-flight run is seen (and never beyond the bounds above). m NULL or ev NULL: nothing. Called
 * on the scheduler's loop thread and on API callers' threads, concurrently with scrapes. */
void az_metrics_on_event(az_metrics *m, const asyncz_event *ev);

/* Count one answered HTTP request: method ("GET"...; others are counted as "other"), the route's pattern
 * (NULL: "unmatched"; pattern, not path, so that clients cannot make new series), the status sent and how
 * long the request took in microseconds. Strings borrowed for the call. Thread-safe, cheap (as above). */
void az_metrics_on_request(az_metrics *m, const char *method, const char *pattern, int status, int64_t usec);

/* Count one log message, for the daemon's log sink to call (asyncz_log_fn; strings borrowed): messages of
 * level WARNING and above by level, and the store failures the scheduler reports (messages of the logger
 * "asyncz.scheduler" that begin with `store "ALIAS"`) by store. Takes only m's own lock and never logs, as
 * a log sink must (asyncz/log.h). Optional: without it those two counters stay at 0. */
void az_metrics_on_log(az_metrics *m, asyncz_log_level level, const char *logger, const char *message);

/* Routes: GET /metrics (viewer), GET /healthz and GET /readyz (anyone). Declared in http.h. */
/* extern const az_http_route az_http_metrics_routes[]; */

/* ---- between the metrics files ------------------------------------------------------------------------ */

#define AZ_METRICS_MAX_TASKS 10000
#define AZ_METRICS_MAX_STORES 64
#define AZ_METRICS_MAX_ROUTES 256
#define AZ_METRICS_MAX_REQUEST_SERIES 4096
#define AZ_METRICS_MAX_INFLIGHT 4096
/* The longest label value kept from an event or a request; longer ones are cut (bytes). */
#define AZ_METRICS_LABEL_MAX 256
/* The label value of the series that take what is beyond a bound. */
#define AZ_METRICS_OTHER "__other__"
/* How long what a scrape reads from the scheduler is reused, and the quarantine counts (which need a
 * connection of their own to each store). */
#define AZ_METRICS_SCRAPE_TTL_USEC (5 * ASYNCZ_USEC_PER_SEC)
#define AZ_METRICS_QUARANTINE_TTL_USEC (60 * ASYNCZ_USEC_PER_SEC)
/* A scheduled task whose next run time is this far in the past is counted as overdue. */
#define AZ_METRICS_OVERDUE_USEC (60 * ASYNCZ_USEC_PER_SEC)

/* The histograms' upper bounds in microseconds (the +Inf bucket is implied), and how many there are. */
#define AZ_METRICS_BUCKETS 12
extern const int64_t az_metrics_bucket_usec[AZ_METRICS_BUCKETS];

typedef struct az_metrics_hist {
    uint64_t bucket[AZ_METRICS_BUCKETS + 1]; /* observations per bucket, not cumulative; the last is +Inf */
    uint64_t count;
    int64_t sum_usec;
} az_metrics_hist;

/* Add one observation (usec; a negative one counts as 0). */
void az_metrics_hist_observe(az_metrics_hist *h, int64_t usec);

/* What is counted per store. */
typedef struct az_metrics_store {
    const char *name;           /* interned: valid while the az_metrics lives */
    bool used;                  /* something was counted for it (unused stores are not shown) */
    az_metrics_hist lateness;   /* TASK_SUBMITTED's time - each run time submitted */
    az_metrics_hist duration;   /* an outcome's time - its run's TASK_SUBMITTED time */
    uint64_t submissions;       /* TASK_SUBMITTED events (runs handed to an executor) */
    uint64_t coalesced;         /* due run times folded into another by coalescing */
    uint64_t untimed;           /* outcomes whose submission was not seen (or not kept): no duration */
    uint64_t quarantined_total; /* TASK_QUARANTINED events */
    uint64_t store_errors;      /* the scheduler's log messages about a failure of this store */
} az_metrics_store;

/* What is counted per task (and store). */
typedef struct az_metrics_task {
    const char *task;                        /* interned: valid while the az_metrics lives */
    uint32_t store;                          /* index into the stores */
    uint64_t runs[ASYNCZ_RUN_OUTCOME_COUNT]; /* finished occurrences by asyncz_run_outcome */
    asyncz_time_t last_success;              /* ASYNCZ_TIME_NONE: none seen since the process started */
    asyncz_time_t last_finish;               /* of a run that ran (succeeded, failed...), not missed */
    uint32_t consecutive_failures;           /* failed, timed_out or crashed runs since the last success */
} az_metrics_task;

/* Requests answered, by method, route and status. */
typedef struct az_metrics_request {
    uint16_t method; /* index into az_metrics_methods */
    uint16_t route;  /* index into the routes */
    uint16_t status;
    uint64_t count;
} az_metrics_request;

typedef struct az_metrics_route {
    const char *pattern; /* interned */
    az_metrics_hist duration;
} az_metrics_route;

/* The methods counted by name; the last one, "other", takes the rest. */
#define AZ_METRICS_N_METHODS 8
extern const char *const az_metrics_methods[AZ_METRICS_N_METHODS];

/* Log messages counted by level: WARNING, ERROR, CRITICAL. */
#define AZ_METRICS_N_LOG_LEVELS 3

/* A consistent copy of the counters (az_metrics_snapshot_take). The arrays are the snapshot's own; the
 * strings they point to are m's, valid while m lives. */
typedef struct az_metrics_snapshot {
    asyncz_time_t started; /* the process start time (az_metrics_new) */
    az_metrics_store *stores;
    size_t n_stores;
    az_metrics_task *tasks;
    size_t n_tasks;
    az_metrics_route *routes;
    size_t n_routes;
    az_metrics_request *requests;
    size_t n_requests;
    uint64_t events[32];       /* by the bit of the event's code (ASYNCZ_EVENT_TASK_ADDED is bit 9) */
    uint64_t series_overflow;  /* task events folded into the "__other__" series, routes and requests too */
    uint64_t inflight_dropped; /* submitted runs not timed: the in-flight table was full */
    uint64_t log_messages[AZ_METRICS_N_LOG_LEVELS];
} az_metrics_snapshot;

/* Copy m's counters into *out (its arrays malloc'd; az_metrics_snapshot_free). Holds m's lock only for the
 * copies. Returns 0 or ASYNCZ_ENOMEM (*out empty). Any thread. */
int az_metrics_snapshot_take(az_metrics *m, az_metrics_snapshot *out);
void az_metrics_snapshot_free(az_metrics_snapshot *s);

/* The scrape cache (metrics_scrape.c), part of m: what the scheduler says, reread at most every
 * AZ_METRICS_SCRAPE_TTL_USEC (quarantine: AZ_METRICS_QUARANTINE_TTL_USEC). */
typedef struct az_metrics_scrape az_metrics_scrape;
/* m's scrape cache (made by az_metrics_new). */
az_metrics_scrape *az_metrics_scrape_of(az_metrics *m);
int az_metrics_scrape_new(az_metrics_scrape **out);
void az_metrics_scrape_free(az_metrics_scrape *sc);
/* Reuse the cached reading for ttl_usec instead of the defaults (tests: 0 rereads every time). */
void az_metrics_scrape_set_ttl(az_metrics_scrape *sc, int64_t ttl_usec, int64_t quarantine_ttl_usec);

/* A growing text buffer (metrics_render.c). */
typedef struct az_metrics_text {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory: the text is incomplete */
} az_metrics_text;

void az_metrics_text_printf(az_metrics_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void az_metrics_text_append(az_metrics_text *t, const char *s, size_t n);
/* Append v as a label value: backslash, double quote and newline escaped as the text format wants. */
void az_metrics_text_label(az_metrics_text *t, const char *v);
/* Append " SECONDS\n": usec as seconds, exactly (up to six decimals, no trailing zeros). */
void az_metrics_text_seconds(az_metrics_text *t, int64_t usec);
/* Append "# HELP name help\n# TYPE name type\n". */
void az_metrics_text_family(az_metrics_text *t, const char *name, const char *type, const char *help);

/* Append the scrape-time families (asyncz_scheduler_state, asyncz_tasks, asyncz_tasks_overdue,
 * asyncz_task_period_seconds, asyncz_store_up, asyncz_quarantined_records) for app to t, rereading the
 * scheduler when the cache is older than its ttl. Blocks on the stores while it rereads; concurrent
 * scrapes wait for one reading. Any thread but the scheduler's loop. */
void az_metrics_scrape_render(az_metrics_scrape *sc, az_http_app *app, az_metrics_text *t);

/* The whole /metrics text of m for app (app->s may be NULL: then only m's counters) into *t. */
void az_metrics_render(az_metrics *m, az_http_app *app, az_metrics_text *t);

/* ---- health.c ------------------------------------------------------------------------------------------ */

/* Whether the store under alias answers: a run-history read of at most one record (the store's io lock, a
 * query of the store). Returns 0, or the error with a message in why (no such store, not open, the store's
 * failure). A store that keeps no history is asked for its tasks instead. Any thread but the loop. */
int az_metrics_probe_store(asyncz_scheduler *s, const char *alias, char *why, size_t why_size);

/* The names of the stores app serves: its config's stores, or "default" without a config. Returns how
 * many; names[i] borrowed from app->cfg or static. */
size_t az_metrics_store_names(const az_http_app *app, const char **names, size_t max);

void az_http_metrics_get(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_http_healthz_get(az_http_app *app, az_http_request *req, az_http_response *resp);
void az_http_readyz_get(az_http_app *app, az_http_request *req, az_http_response *resp);

#endif
