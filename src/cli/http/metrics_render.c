/* The Prometheus text of the daemon's metrics (text format 0.0.4) and the GET /metrics route: a snapshot of
 * the counters (metrics.c), then what the scheduler says at scrape time (metrics_scrape.c). docs/metrics.md
 * lists every family. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- the text buffer ----------------------------------------------------------------------------------- */

static bool text_reserve(az_metrics_text *t, size_t more)
{
    if (t->failed)
        return false;
    if (t->len + more + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *grown = realloc(t->data, cap);
    if (!grown) {
        t->failed = true;
        return false;
    }
    t->data = grown;
    t->cap = cap;
    return true;
}

void az_metrics_text_append(az_metrics_text *t, const char *s, size_t n)
{
    if (!text_reserve(t, n))
        return;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void az_metrics_text_printf(az_metrics_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        az_metrics_text_append(t, small, (size_t)n);
        return;
    }
    if (!text_reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void az_metrics_text_label(az_metrics_text *t, const char *v)
{
    for (const char *p = v ? v : ""; *p;) {
        size_t plain = strcspn(p, "\\\"\n");
        az_metrics_text_append(t, p, plain);
        p += plain;
        if (!*p)
            break;
        az_metrics_text_append(t, *p == '\n' ? "\\n" : *p == '"' ? "\\\"" : "\\\\", 2);
        p++;
    }
}

void az_metrics_text_family(az_metrics_text *t, const char *name, const char *type, const char *help)
{
    az_metrics_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- pieces of lines ------------------------------------------------------------------------------------
 */

/* name{k1="v1",k2="v2"} with the values escaped; keys NULL-terminated pairs. */
static void series(az_metrics_text *t, const char *name, const char *k1, const char *v1, const char *k2,
                   const char *v2)
{
    az_metrics_text_append(t, name, strlen(name));
    if (!k1)
        return;
    az_metrics_text_printf(t, "{%s=\"", k1);
    az_metrics_text_label(t, v1);
    if (k2) {
        az_metrics_text_printf(t, "\",%s=\"", k2);
        az_metrics_text_label(t, v2);
    }
    az_metrics_text_append(t, "\"}", 2);
}

static void value_u64(az_metrics_text *t, uint64_t v)
{
    az_metrics_text_printf(t, " %llu\n", (unsigned long long)v);
}

void az_metrics_text_seconds(az_metrics_text *t, int64_t usec)
{
    char buf[48];
    bool neg = usec < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)usec : (uint64_t)usec;
    int n = snprintf(buf, sizeof buf, " %s%llu.%06llu", neg ? "-" : "", (unsigned long long)(u / 1000000),
                     (unsigned long long)(u % 1000000));
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    az_metrics_text_append(t, buf, (size_t)n);
    az_metrics_text_append(t, "\n", 1);
}

/* The lines of one histogram: cumulative buckets, +Inf, _sum and _count. label/value: its one label. */
static void histogram(az_metrics_text *t, const char *name, const char *label, const char *value,
                      const az_metrics_hist *h)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= AZ_METRICS_BUCKETS; i++) {
        cumulative += h->bucket[i];
        az_metrics_text_printf(t, "%s_bucket{%s=\"", name, label);
        az_metrics_text_label(t, value);
        if (i < AZ_METRICS_BUCKETS) {
            char le[32];
            int64_t b = az_metrics_bucket_usec[i];
            snprintf(le, sizeof le, "%lld.%06lld", (long long)(b / 1000000), (long long)(b % 1000000));
            size_t n = strlen(le);
            while (le[n - 1] == '0')
                n--;
            if (le[n - 1] == '.')
                n--;
            le[n] = '\0';
            az_metrics_text_printf(t, "\",le=\"%s\"}", le);
        } else {
            az_metrics_text_append(t, "\",le=\"+Inf\"}", 12);
        }
        value_u64(t, cumulative);
    }
    az_metrics_text_printf(t, "%s_sum{%s=\"", name, label);
    az_metrics_text_label(t, value);
    az_metrics_text_append(t, "\"}", 2);
    az_metrics_text_seconds(t, h->sum_usec);
    az_metrics_text_printf(t, "%s_count{%s=\"", name, label);
    az_metrics_text_label(t, value);
    az_metrics_text_append(t, "\"}", 2);
    value_u64(t, h->count);
}

/* ---- the families of the counters ------------------------------------------------------------------------
 */

static void render_process(az_metrics_text *t, const az_metrics_snapshot *s)
{
    az_metrics_text_family(t, "asyncz_build_info", "gauge", "The asyncz version serving these metrics.");
    series(t, "asyncz_build_info", "version", asyncz_version(), NULL, NULL);
    value_u64(t, 1);
    az_metrics_text_family(t, "asyncz_process_start_time_seconds", "gauge",
                           "When the daemon started, in seconds since the epoch.");
    az_metrics_text_append(t, "asyncz_process_start_time_seconds", 33);
    az_metrics_text_seconds(t, s->started);
}

static const char *store_of(const az_metrics_snapshot *s, const az_metrics_task *task)
{
    return s->stores[task->store].name;
}

static void render_runs(az_metrics_text *t, const az_metrics_snapshot *s)
{
    az_metrics_text_family(t, "asyncz_runs_total", "counter",
                           "Occurrences handled since the daemon started, by task, store and outcome.");
    for (size_t i = 0; i < s->n_tasks; i++) {
        const az_metrics_task *task = &s->tasks[i];
        uint64_t any = 0;
        for (int o = 0; o < ASYNCZ_RUN_OUTCOME_COUNT; o++)
            any |= task->runs[o];
        if (!any)
            continue;
        for (int o = 1; o < ASYNCZ_RUN_OUTCOME_COUNT; o++) {
            /* succeeded and failed always, so that the first failure is an increase from 0 */
            if (!task->runs[o] && o != ASYNCZ_RUN_SUCCEEDED && o != ASYNCZ_RUN_FAILED)
                continue;
            az_metrics_text_append(t, "asyncz_runs_total{task=\"", 24);
            az_metrics_text_label(t, task->task);
            az_metrics_text_append(t, "\",store=\"", 9);
            az_metrics_text_label(t, store_of(s, task));
            az_metrics_text_printf(t, "\",outcome=\"%s\"}", asyncz_run_outcome_name((asyncz_run_outcome)o));
            value_u64(t, task->runs[o]);
        }
    }
    az_metrics_text_family(t, "asyncz_task_last_success_timestamp_seconds", "gauge",
                           "When the task's last successful run ended (since the daemon started).");
    for (size_t i = 1; i < s->n_tasks; i++)
        if (s->tasks[i].last_success != ASYNCZ_TIME_NONE) {
            series(t, "asyncz_task_last_success_timestamp_seconds", "task", s->tasks[i].task, "store",
                   store_of(s, &s->tasks[i]));
            az_metrics_text_seconds(t, s->tasks[i].last_success);
        }
    az_metrics_text_family(
        t, "asyncz_task_last_run_timestamp_seconds", "gauge",
        "When the task's last run ended, whatever its outcome (since the daemon started).");
    for (size_t i = 1; i < s->n_tasks; i++)
        if (s->tasks[i].last_finish != ASYNCZ_TIME_NONE) {
            series(t, "asyncz_task_last_run_timestamp_seconds", "task", s->tasks[i].task, "store",
                   store_of(s, &s->tasks[i]));
            az_metrics_text_seconds(t, s->tasks[i].last_finish);
        }
    az_metrics_text_family(t, "asyncz_task_consecutive_failures", "gauge",
                           "Runs of the task that failed, timed out or crashed since its last success.");
    for (size_t i = 1; i < s->n_tasks; i++)
        if (s->tasks[i].last_finish != ASYNCZ_TIME_NONE) {
            series(t, "asyncz_task_consecutive_failures", "task", s->tasks[i].task, "store",
                   store_of(s, &s->tasks[i]));
            value_u64(t, s->tasks[i].consecutive_failures);
        }
}

typedef uint64_t (*store_count_fn)(const az_metrics_store *st);
static uint64_t st_submissions(const az_metrics_store *st)
{
    return st->submissions;
}
static uint64_t st_coalesced(const az_metrics_store *st)
{
    return st->coalesced;
}
static uint64_t st_untimed(const az_metrics_store *st)
{
    return st->untimed;
}
static uint64_t st_quarantined(const az_metrics_store *st)
{
    return st->quarantined_total;
}
static uint64_t st_errors(const az_metrics_store *st)
{
    return st->store_errors;
}

static void render_store_counter(az_metrics_text *t, const az_metrics_snapshot *s, const char *name,
                                 const char *help, store_count_fn fn)
{
    az_metrics_text_family(t, name, "counter", help);
    for (size_t i = 0; i < s->n_stores; i++)
        if (s->stores[i].used) {
            series(t, name, "store", s->stores[i].name, NULL, NULL);
            value_u64(t, fn(&s->stores[i]));
        }
}

static void render_stores(az_metrics_text *t, const az_metrics_snapshot *s)
{
    az_metrics_text_family(t, "asyncz_run_lateness_seconds", "histogram",
                           "How late runs were handed to their executor: submission time - scheduled time.");
    for (size_t i = 0; i < s->n_stores; i++)
        if (s->stores[i].used)
            histogram(t, "asyncz_run_lateness_seconds", "store", s->stores[i].name, &s->stores[i].lateness);
    az_metrics_text_family(t, "asyncz_run_duration_seconds", "histogram",
                           "From a run's submission to its outcome (executor queueing included).");
    for (size_t i = 0; i < s->n_stores; i++)
        if (s->stores[i].used)
            histogram(t, "asyncz_run_duration_seconds", "store", s->stores[i].name, &s->stores[i].duration);
    render_store_counter(t, s, "asyncz_submissions_total",
                         "Runs handed to an executor (TASK_SUBMITTED events): the claims this daemon ran.",
                         st_submissions);
    render_store_counter(t, s, "asyncz_coalesced_run_times_total",
                         "Due run times folded into another run by coalescing.", st_coalesced);
    render_store_counter(
        t, s, "asyncz_runs_untimed_total",
        "Outcomes whose submission this daemon did not see: not in asyncz_run_duration_seconds.", st_untimed);
    render_store_counter(
        t, s, "asyncz_records_quarantined_total",
        "Stored records moved to the quarantine since the daemon started (TASK_QUARANTINED).",
        st_quarantined);
    render_store_counter(t, s, "asyncz_store_errors_total",
                         "Failures of the store the scheduler logged (warning and above).", st_errors);
}

static void render_events(az_metrics_text *t, const az_metrics_snapshot *s)
{
    az_metrics_text_family(t, "asyncz_events_total", "counter", "Scheduler events by code.");
    for (int bit = 0; bit < 32; bit++) {
        const char *name = asyncz_event_name(UINT32_C(1) << bit);
        if (strcmp(name, "UNKNOWN") == 0)
            continue;
        series(t, "asyncz_events_total", "event", name, NULL, NULL);
        value_u64(t, s->events[bit]);
    }
    static const char *const levels[AZ_METRICS_N_LOG_LEVELS] = {"warning", "error", "critical"};
    az_metrics_text_family(t, "asyncz_log_messages_total", "counter", "Log messages by level.");
    for (int i = 0; i < AZ_METRICS_N_LOG_LEVELS; i++) {
        series(t, "asyncz_log_messages_total", "level", levels[i], NULL, NULL);
        value_u64(t, s->log_messages[i]);
    }
}

static void render_http(az_metrics_text *t, const az_metrics_snapshot *s)
{
    az_metrics_text_family(t, "asyncz_http_requests_total", "counter",
                           "HTTP requests answered, by method, route pattern and status code.");
    for (size_t i = 0; i < s->n_requests; i++) {
        const az_metrics_request *r = &s->requests[i];
        az_metrics_text_printf(t, "asyncz_http_requests_total{method=\"%s\",route=\"",
                               az_metrics_methods[r->method]);
        az_metrics_text_label(t, s->routes[r->route].pattern);
        az_metrics_text_printf(t, "\",code=\"%u\"}", (unsigned)r->status);
        value_u64(t, r->count);
    }
    az_metrics_text_family(t, "asyncz_http_request_duration_seconds", "histogram",
                           "How long HTTP requests took to answer, by route pattern.");
    for (size_t i = 0; i < s->n_routes; i++)
        if (s->routes[i].duration.count)
            histogram(t, "asyncz_http_request_duration_seconds", "route", s->routes[i].pattern,
                      &s->routes[i].duration);
}

static void render_self(az_metrics_text *t, const az_metrics_snapshot *s)
{
    az_metrics_text_family(t, "asyncz_metrics_series_overflow_total", "counter",
                           "Observations folded into a \"__other__\" series or dropped: a series bound was "
                           "reached (10,000 tasks, 64 stores, 256 routes, 4,096 request series).");
    az_metrics_text_append(t, "asyncz_metrics_series_overflow_total", 36);
    value_u64(t, s->series_overflow);
    az_metrics_text_family(t, "asyncz_metrics_runs_untracked_total", "counter",
                           "Submitted runs forgotten before their outcome: more than 4,096 were in flight.");
    az_metrics_text_append(t, "asyncz_metrics_runs_untracked_total", 35);
    value_u64(t, s->inflight_dropped);
}

void az_metrics_render(az_metrics *m, az_http_app *app, az_metrics_text *t)
{
    az_metrics_snapshot s;
    if (az_metrics_snapshot_take(m, &s) != 0) {
        t->failed = true;
        return;
    }
    render_process(t, &s);
    render_runs(t, &s);
    render_stores(t, &s);
    render_events(t, &s);
    render_http(t, &s);
    render_self(t, &s);
    az_metrics_snapshot_free(&s);
    if (app && app->s)
        az_metrics_scrape_render(az_metrics_scrape_of(m), app, t);
}

/* ---- GET /metrics -----------------------------------------------------------------------------------------
 */

void az_http_metrics_get(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    (void)req;
    if (!app->metrics) {
        az_http_reply_error(resp, 503, "unavailable", "metrics are not collected in this process");
        return;
    }
    az_metrics_text t = {0};
    az_metrics_render(app->metrics, app, &t);
    if (t.failed) {
        free(t.data);
        az_http_reply_error(resp, 500, "out_of_memory", "out of memory while writing the metrics");
        return;
    }
    resp->status = 200;
    resp->body = t.data;
    resp->body_len = t.len;
    resp->content_type = CONTENT_TYPE;
    az_http_add_header(resp, "Cache-Control", "no-store");
}

const az_http_route az_http_metrics_routes[] = {
    {"GET", "/metrics", AZ_HTTP_ROLE_VIEWER, az_http_metrics_get},
    {"GET", "/healthz", AZ_HTTP_ROLE_NONE, az_http_healthz_get},
    {"GET", "/readyz", AZ_HTTP_ROLE_NONE, az_http_readyz_get},
    {NULL, NULL, 0, NULL},
};
