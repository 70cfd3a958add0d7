/* The daemon's metrics and health checks (src/cli/http/metrics*.c, health.c): counters fed with synthetic
 * events and requests, the Prometheus text they make (cumulative histograms, escaping, the bounds), feeding
 * from two threads while a third renders, and the /metrics, /healthz and /readyz handlers on a real
 * scheduler. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "az_test.h"
#include "config.h"
#include "http/metrics.h"

#define T0 INT64_C(1790000000000000)
#define MS INT64_C(1000)
#define SEC ASYNCZ_USEC_PER_SEC

/* ---- helpers ----------------------------------------------------------------------------------------------
 */

static az_metrics *new_metrics(void)
{
    az_metrics *m = NULL;
    assert_int_equal(az_metrics_new(&m), 0);
    assert_non_null(m);
    return m;
}

/* The text of m alone (no scheduler). Free it. */
static char *render(az_metrics *m)
{
    az_metrics_text t = {0};
    az_metrics_render(m, NULL, &t);
    assert_false(t.failed);
    assert_non_null(t.data);
    return t.data;
}

/* Whether text has exactly this line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

#define assert_line(text, line)                                                                              \
    do {                                                                                                     \
        if (!has_line((text), (line)))                                                                       \
            fail_msg("no line \"%s\" in:\n%.4000s", (line), (text));                                         \
    } while (0)

/* How many lines of text begin with prefix. */
static size_t count_prefix(const char *text, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, len) == 0)
            n++;
    return n;
}

/* Check the text's shape: every family's TYPE once, before its samples; every sample line "NAME[{...}] V"
 * with a known family (histogram suffixes allowed). */
static void assert_well_formed(const char *text)
{
    char families[128][96];
    size_t n_families = 0;
    char *copy = strdup(text), *save = NULL;
    assert_non_null(copy);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[96];
        if (strncmp(line, "# HELP ", 7) == 0)
            continue;
        if (sscanf(line, "# TYPE %95s", name) == 1) {
            for (size_t i = 0; i < n_families; i++)
                if (strcmp(families[i], name) == 0)
                    fail_msg("family %s declared twice", name);
            assert_true(n_families < 128);
            strcpy(families[n_families++], name);
            continue;
        }
        assert_true(line[0] != '#');
        size_t len = strcspn(line, "{ ");
        assert_true(len > 0 && len < sizeof name);
        memcpy(name, line, len);
        name[len] = '\0';
        bool known = false;
        for (size_t i = 0; i < n_families && !known; i++) {
            size_t fl = strlen(families[i]);
            known = strcmp(name, families[i]) == 0 ||
                    (strncmp(name, families[i], fl) == 0 &&
                     (strcmp(name + fl, "_bucket") == 0 || strcmp(name + fl, "_sum") == 0 ||
                      strcmp(name + fl, "_count") == 0));
        }
        if (!known)
            fail_msg("sample of undeclared family: %s", line);
        const char *value = strrchr(line, ' ');
        assert_non_null(value);
        char *end;
        strtod(value + 1, &end);
        assert_true(*end == '\0' && end > value + 1);
    }
    free(copy);
}

static asyncz_event submitted(const char *task, const char *store, asyncz_time_t at,
                              const asyncz_time_t *times, size_t n)
{
    return (asyncz_event){.code = ASYNCZ_EVENT_TASK_SUBMITTED,
                          .time = at,
                          .alias = store,
                          .task_id = task,
                          .run_times = times,
                          .n_run_times = n,
                          .coalesced = (uint32_t)n,
                          .scheduled_run_time = ASYNCZ_TIME_NONE};
}

static asyncz_event finished(uint32_t code, const char *task, const char *store, asyncz_time_t at,
                             asyncz_time_t run_time, asyncz_run_outcome outcome)
{
    return (asyncz_event){.code = code,
                          .time = at,
                          .alias = store,
                          .task_id = task,
                          .scheduled_run_time = run_time,
                          .outcome = (int)outcome,
                          .error_message = code == ASYNCZ_EVENT_TASK_ERROR ? "boom" : NULL};
}

/* ---- counters -------------------------------------------------------------------------------------------
 */

/* A submission 2 ms late, then its success 300 ms later: runs_total, both histograms (cumulative buckets,
 * +Inf, _sum, _count), the task's last success. */
static void test_run_counters_and_histograms(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    asyncz_time_t rt = T0;
    asyncz_event ev = submitted("backup", "default", T0 + 2 * MS, &rt, 1);
    az_metrics_on_event(m, &ev);
    ev = finished(ASYNCZ_EVENT_TASK_EXECUTED, "backup", "default", T0 + 302 * MS, rt, ASYNCZ_RUN_SUCCEEDED);
    az_metrics_on_event(m, &ev);
    char *text = render(m);
    assert_well_formed(text);
    assert_line(text, "asyncz_runs_total{task=\"backup\",store=\"default\",outcome=\"succeeded\"} 1");
    assert_line(text, "asyncz_runs_total{task=\"backup\",store=\"default\",outcome=\"failed\"} 0");
    assert_int_equal(count_prefix(text, "asyncz_runs_total{task=\"backup\""), 2); /* not the zero others */
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"default\",le=\"0.001\"} 0");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"default\",le=\"0.005\"} 1");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"default\",le=\"300\"} 1");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"default\",le=\"+Inf\"} 1");
    assert_line(text, "asyncz_run_lateness_seconds_sum{store=\"default\"} 0.002");
    assert_line(text, "asyncz_run_lateness_seconds_count{store=\"default\"} 1");
    assert_line(text, "asyncz_run_duration_seconds_bucket{store=\"default\",le=\"0.1\"} 0");
    assert_line(text, "asyncz_run_duration_seconds_bucket{store=\"default\",le=\"0.5\"} 1");
    assert_line(text, "asyncz_run_duration_seconds_sum{store=\"default\"} 0.3");
    assert_line(text, "asyncz_run_duration_seconds_count{store=\"default\"} 1");
    assert_line(text, "asyncz_submissions_total{store=\"default\"} 1");
    assert_line(text, "asyncz_runs_untimed_total{store=\"default\"} 0");
    assert_line(
        text, "asyncz_task_last_success_timestamp_seconds{task=\"backup\",store=\"default\"} 1790000000.302");
    assert_line(text, "asyncz_task_consecutive_failures{task=\"backup\",store=\"default\"} 0");
    assert_line(text, "asyncz_events_total{event=\"TASK_SUBMITTED\"} 1");
    assert_line(text, "asyncz_events_total{event=\"TASK_EXECUTED\"} 1");
    assert_line(text, "asyncz_events_total{event=\"TASK_ERROR\"} 0");
    assert_line(text, "asyncz_build_info{version=\"" ASYNCZ_VERSION_STRING "\"} 1");
    free(text);
    az_metrics_free(m);
}

/* Many observations: each bucket's count is the number of observations at or below its bound. */
static void test_histogram_buckets_cumulative(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    /* lateness 0, 1 ms (on the bound), 7 ms, 2 s, 400 s */
    const int64_t late[] = {0, 1 * MS, 7 * MS, 2 * SEC, 400 * SEC};
    for (size_t i = 0; i < 5; i++) {
        asyncz_time_t rt = T0 + (asyncz_time_t)i * 1000 * SEC;
        asyncz_event ev = submitted("t", "s1", rt + late[i], &rt, 1);
        az_metrics_on_event(m, &ev);
    }
    char *text = render(m);
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"0.001\"} 2");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"0.005\"} 2");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"0.01\"} 3");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"1\"} 3");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"5\"} 4");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"300\"} 4");
    assert_line(text, "asyncz_run_lateness_seconds_bucket{store=\"s1\",le=\"+Inf\"} 5");
    assert_line(text, "asyncz_run_lateness_seconds_sum{store=\"s1\"} 402.008");
    assert_line(text, "asyncz_run_lateness_seconds_count{store=\"s1\"} 5");
    /* submitted but never finished: no duration yet */
    assert_line(text, "asyncz_run_duration_seconds_count{store=\"s1\"} 0");
    free(text);
    az_metrics_free(m);
}

/* Failures, missed runs (no duration), refusals, lost runs, quarantined records, coalescing; an outcome
 * event of an older library (outcome 0) counted by its code; a success ends a streak of failures. */
static void test_outcomes_and_streaks(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    for (int i = 0; i < 3; i++) {
        asyncz_time_t rt = T0 + i * SEC;
        asyncz_event ev = submitted("job", "db", rt, &rt, 1);
        az_metrics_on_event(m, &ev);
        ev = finished(ASYNCZ_EVENT_TASK_ERROR, "job", "db", rt + 10 * MS, rt,
                      i == 2 ? ASYNCZ_RUN_TIMED_OUT : ASYNCZ_RUN_FAILED);
        az_metrics_on_event(m, &ev);
    }
    asyncz_event ev =
        finished(ASYNCZ_EVENT_TASK_MISSED, "job", "db", T0 + 5 * SEC, T0 + 4 * SEC, ASYNCZ_RUN_MISSED);
    az_metrics_on_event(m, &ev);
    ev = finished(ASYNCZ_EVENT_TASK_ERROR, "old", "db", T0, T0, ASYNCZ_RUN_RUNNING); /* outcome unknown */
    az_metrics_on_event(m, &ev);
    asyncz_time_t refused[2] = {T0, T0 + SEC};
    ev = (asyncz_event){.code = ASYNCZ_EVENT_TASK_MAX_INSTANCES,
                        .time = T0,
                        .alias = "db",
                        .task_id = "job",
                        .run_times = refused,
                        .n_run_times = 2,
                        .coalesced = 2};
    az_metrics_on_event(m, &ev);
    ev = (asyncz_event){.code = ASYNCZ_EVENT_TASK_LOST,
                        .time = T0,
                        .alias = "db",
                        .task_id = "job",
                        .scheduled_run_time = T0,
                        .instance_id = "other:1"};
    az_metrics_on_event(m, &ev);
    ev = (asyncz_event){.code = ASYNCZ_EVENT_TASK_QUARANTINED,
                        .time = T0,
                        .alias = "db",
                        .task_id = "bad",
                        .error_message = "does not decode"};
    az_metrics_on_event(m, &ev);
    asyncz_time_t kept = T0 + 9 * SEC;
    ev = submitted("job", "db", kept, &kept, 1);
    ev.coalesced = 4; /* three more due times folded into this one */
    az_metrics_on_event(m, &ev);

    char *text = render(m);
    assert_well_formed(text);
    assert_line(text, "asyncz_runs_total{task=\"job\",store=\"db\",outcome=\"failed\"} 2");
    assert_line(text, "asyncz_runs_total{task=\"job\",store=\"db\",outcome=\"timed_out\"} 1");
    assert_line(text, "asyncz_runs_total{task=\"job\",store=\"db\",outcome=\"missed\"} 1");
    assert_line(text, "asyncz_runs_total{task=\"job\",store=\"db\",outcome=\"skipped\"} 2");
    assert_line(text, "asyncz_runs_total{task=\"job\",store=\"db\",outcome=\"lost\"} 1");
    assert_line(text, "asyncz_runs_total{task=\"old\",store=\"db\",outcome=\"failed\"} 1");
    assert_line(text, "asyncz_task_consecutive_failures{task=\"job\",store=\"db\"} 3");
    assert_line(text, "asyncz_run_duration_seconds_count{store=\"db\"} 3");
    assert_line(text, "asyncz_runs_untimed_total{store=\"db\"} 1"); /* "old": never submitted */
    assert_line(text, "asyncz_records_quarantined_total{store=\"db\"} 1");
    assert_line(text, "asyncz_coalesced_run_times_total{store=\"db\"} 3");
    assert_line(text, "asyncz_events_total{event=\"TASK_MAX_INSTANCES\"} 1");
    assert_null(strstr(text, "asyncz_task_last_success_timestamp_seconds{task=\"job\""));
    free(text);

    asyncz_event ok =
        finished(ASYNCZ_EVENT_TASK_EXECUTED, "job", "db", kept + SEC, kept, ASYNCZ_RUN_SUCCEEDED);
    az_metrics_on_event(m, &ok);
    text = render(m);
    assert_line(text, "asyncz_task_consecutive_failures{task=\"job\",store=\"db\"} 0");
    assert_line(text, "asyncz_run_duration_seconds_sum{store=\"db\"} 1.03");
    free(text);
    az_metrics_on_event(m, NULL); /* harmless */
    az_metrics_on_event(NULL, &ok);
    az_metrics_free(m);
    az_metrics_free(NULL);
}

/* Label values are escaped (backslash, double quote, newline) and cut at AZ_METRICS_LABEL_MAX bytes
 * without splitting a UTF-8 sequence. */
static void test_label_escaping(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    asyncz_time_t rt = T0;
    asyncz_event ev =
        finished(ASYNCZ_EVENT_TASK_EXECUTED, "we\"ird\\id\nx", "st\"ore", T0, rt, ASYNCZ_RUN_SUCCEEDED);
    az_metrics_on_event(m, &ev);
    char long_id[400];
    memset(long_id, 'a', sizeof long_id);
    memcpy(long_id + AZ_METRICS_LABEL_MAX - 1, "\xc3\xa9", 2); /* é across the cut */
    long_id[sizeof long_id - 1] = '\0';
    ev.task_id = long_id;
    az_metrics_on_event(m, &ev);
    az_metrics_on_request(m, "GET", "/weird/\"{id}\"\\", 200, 5);
    char *text = render(m);
    assert_well_formed(text);
    assert_line(
        text, "asyncz_runs_total{task=\"we\\\"ird\\\\id\\nx\",store=\"st\\\"ore\",outcome=\"succeeded\"} 1");
    assert_line(
        text, "asyncz_http_requests_total{method=\"GET\",route=\"/weird/\\\"{id}\\\"\\\\\",code=\"200\"} 1");
    char want[600];
    snprintf(want, sizeof want,
             "asyncz_runs_total{task=\"%.*s\",store=\"st\\\"ore\",outcome=\"succeeded\"} 1",
             AZ_METRICS_LABEL_MAX - 1, long_id);
    assert_line(text, want);
    free(text);

    az_metrics_text t = {0};
    az_metrics_text_label(&t, "a\\b\"c\nd");
    assert_string_equal(t.data, "a\\\\b\\\"c\\nd");
    free(t.data);
    az_metrics_free(m);
}

/* At most AZ_METRICS_MAX_TASKS task series: the next tasks go to "__other__", counted as overflow, and the
 * memory stays bounded; stores and request series are bounded too. */
static void test_cardinality_bound(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    char id[32];
    for (int i = 0; i < AZ_METRICS_MAX_TASKS + 50; i++) {
        snprintf(id, sizeof id, "task-%d", i);
        asyncz_event ev = finished(ASYNCZ_EVENT_TASK_EXECUTED, id, "default", T0, T0, ASYNCZ_RUN_SUCCEEDED);
        az_metrics_on_event(m, &ev);
    }
    /* a known task still gets its own series */
    asyncz_event ev = finished(ASYNCZ_EVENT_TASK_EXECUTED, "task-7", "default", T0, T0, ASYNCZ_RUN_SUCCEEDED);
    az_metrics_on_event(m, &ev);
    for (int i = 0; i < AZ_METRICS_MAX_STORES + 5; i++) {
        snprintf(id, sizeof id, "store-%d", i);
        ev = (asyncz_event){.code = ASYNCZ_EVENT_TASK_QUARANTINED, .time = T0, .alias = id, .task_id = "x"};
        az_metrics_on_event(m, &ev);
    }
    for (int i = 0; i < AZ_METRICS_MAX_ROUTES + 10; i++) {
        snprintf(id, sizeof id, "/r/%d", i);
        az_metrics_on_request(m, "GET", id, 200, 1);
    }
    az_metrics_snapshot s;
    assert_int_equal(az_metrics_snapshot_take(m, &s), 0);
    assert_int_equal(s.n_tasks, AZ_METRICS_MAX_TASKS + 1); /* and "__other__" */
    assert_int_equal(s.n_stores, AZ_METRICS_MAX_STORES + 1);
    assert_int_equal(s.n_routes, AZ_METRICS_MAX_ROUTES + 2);
    assert_int_equal(s.series_overflow, 50 + 6 + 10); /* tasks, stores (default + 63 fit), routes */
    az_metrics_snapshot_free(&s);
    char *text = render(m);
    assert_well_formed(text);
    assert_line(text, "asyncz_runs_total{task=\"__other__\",store=\"__other__\",outcome=\"succeeded\"} 50");
    assert_line(text, "asyncz_runs_total{task=\"task-7\",store=\"default\",outcome=\"succeeded\"} 2");
    assert_line(text, "asyncz_records_quarantined_total{store=\"__other__\"} 6");
    assert_line(text, "asyncz_http_requests_total{method=\"GET\",route=\"__other__\",code=\"200\"} 10");
    assert_line(text, "asyncz_metrics_series_overflow_total 66");
    assert_int_equal(count_prefix(text, "asyncz_runs_total{"), 2 * (AZ_METRICS_MAX_TASKS + 1));
    free(text);
    az_metrics_free(m);
}

/* The runs being timed are bounded: beyond AZ_METRICS_MAX_INFLIGHT the oldest is forgotten (its outcome is
 * then untimed), and the table keeps finding the others after deletions. */
static void test_inflight_bound(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    const int n = AZ_METRICS_MAX_INFLIGHT + 100;
    for (int i = 0; i < n; i++) {
        asyncz_time_t rt = T0 + i * SEC;
        asyncz_event ev = submitted(i % 2 ? "odd" : "even", "default", rt + i, &rt, 1);
        az_metrics_on_event(m, &ev);
    }
    for (int i = 0; i < n; i++) {
        asyncz_time_t rt = T0 + i * SEC;
        asyncz_event ev = finished(ASYNCZ_EVENT_TASK_EXECUTED, i % 2 ? "odd" : "even", "default",
                                   rt + 2 * SEC, rt, ASYNCZ_RUN_SUCCEEDED);
        az_metrics_on_event(m, &ev);
    }
    char *text = render(m);
    assert_line(text, "asyncz_metrics_runs_untracked_total 100");
    assert_line(text, "asyncz_runs_untimed_total{store=\"default\"} 100");
    char want[128];
    snprintf(want, sizeof want, "asyncz_run_duration_seconds_count{store=\"default\"} %d",
             AZ_METRICS_MAX_INFLIGHT);
    assert_line(text, want);
    free(text);
    az_metrics_free(m);
}

/* Requests by method (unknown ones as "other"), route pattern (NULL: "unmatched") and status; a duration
 * histogram by route. */
static void test_requests(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    az_metrics_on_request(m, "GET", "/api/v1/tasks/{id}", 200, 1500);
    az_metrics_on_request(m, "GET", "/api/v1/tasks/{id}", 200, 2 * SEC);
    az_metrics_on_request(m, "GET", "/api/v1/tasks/{id}", 404, 100);
    az_metrics_on_request(m, "BREW", NULL, 405, 10);
    az_metrics_on_request(m, NULL, NULL, 404, 10);
    char *text = render(m);
    assert_well_formed(text);
    assert_line(text,
                "asyncz_http_requests_total{method=\"GET\",route=\"/api/v1/tasks/{id}\",code=\"200\"} 2");
    assert_line(text,
                "asyncz_http_requests_total{method=\"GET\",route=\"/api/v1/tasks/{id}\",code=\"404\"} 1");
    assert_line(text, "asyncz_http_requests_total{method=\"other\",route=\"unmatched\",code=\"405\"} 1");
    assert_line(text, "asyncz_http_requests_total{method=\"other\",route=\"unmatched\",code=\"404\"} 1");
    assert_line(text,
                "asyncz_http_request_duration_seconds_bucket{route=\"/api/v1/tasks/{id}\",le=\"0.001\"} 1");
    assert_line(text,
                "asyncz_http_request_duration_seconds_bucket{route=\"/api/v1/tasks/{id}\",le=\"0.005\"} 2");
    assert_line(text, "asyncz_http_request_duration_seconds_count{route=\"/api/v1/tasks/{id}\"} 3");
    assert_line(text, "asyncz_http_request_duration_seconds_sum{route=\"/api/v1/tasks/{id}\"} 2.0016");
    free(text);
    az_metrics_free(m);
}

/* The log sink's hook: warnings and above by level; the scheduler's `store "X"` messages as errors of X;
 * other loggers, lower levels and malformed names are not store errors. */
static void test_log_counts(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    az_metrics_on_log(m, ASYNCZ_LOG_ERROR, "asyncz.scheduler",
                      "store \"pg\" failed to hand out due tasks: store error; retrying in 0.10 s");
    az_metrics_on_log(m, ASYNCZ_LOG_WARNING, "asyncz.scheduler", "store \"pg\": heartbeat failed: timeout");
    az_metrics_on_log(m, ASYNCZ_LOG_INFO, "asyncz.scheduler",
                      "store \"pg\": 3 waiting run record(s) written");
    az_metrics_on_log(m, ASYNCZ_LOG_ERROR, "asyncz.daemon", "store \"pg\" is not mine to count");
    az_metrics_on_log(m, ASYNCZ_LOG_ERROR, "asyncz.scheduler", "store \"unterminated");
    az_metrics_on_log(m, ASYNCZ_LOG_CRITICAL, "asyncz.scheduler", "task \"x\": something");
    az_metrics_on_log(m, ASYNCZ_LOG_OFF, NULL, NULL);
    char *text = render(m);
    assert_well_formed(text);
    assert_line(text, "asyncz_store_errors_total{store=\"pg\"} 2");
    assert_int_equal(count_prefix(text, "asyncz_store_errors_total{"), 1);
    assert_line(text, "asyncz_log_messages_total{level=\"warning\"} 1");
    assert_line(text, "asyncz_log_messages_total{level=\"error\"} 3");
    assert_line(text, "asyncz_log_messages_total{level=\"critical\"} 1");
    free(text);
    az_metrics_free(m);
}

/* ---- threads ----------------------------------------------------------------------------------------------
 */

#define FEED_RUNS 20000

typedef struct feeder {
    az_metrics *m;
    const char *store;
    int done; /* set (atomically) when it has fed everything */
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    char id[16];
    for (int i = 0; i < FEED_RUNS; i++) {
        snprintf(id, sizeof id, "t%d", i % 500);
        asyncz_time_t rt = T0 + i * SEC;
        asyncz_event ev = submitted(id, f->store, rt + MS, &rt, 1);
        az_metrics_on_event(f->m, &ev);
        ev = finished(ASYNCZ_EVENT_TASK_EXECUTED, id, f->store, rt + 3 * MS, rt, ASYNCZ_RUN_SUCCEEDED);
        az_metrics_on_event(f->m, &ev);
        if (i % 8 == 0)
            az_metrics_on_request(f->m, "GET", "/metrics", 200, 50);
        if (i % 16 == 0)
            az_metrics_on_log(f->m, ASYNCZ_LOG_WARNING, "asyncz.scheduler", "store \"a\": heartbeat failed");
    }
    __atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Two threads feed while a third renders: nothing lost, nothing torn (ThreadSanitizer runs this test). */
static void test_concurrent_feed_and_render(void **state)
{
    (void)state;
    az_metrics *m = new_metrics();
    feeder fa = {m, "a", 0}, fb = {m, "b", 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, feed, &fa), 0);
    assert_int_equal(pthread_create(&tb, NULL, feed, &fb), 0);
    int renders = 0;
    while (renders < 5 || !__atomic_load_n(&fa.done, __ATOMIC_ACQUIRE) ||
           !__atomic_load_n(&fb.done, __ATOMIC_ACQUIRE)) {
        char *text = render(m);
        assert_non_null(strstr(text, "# TYPE asyncz_runs_total counter"));
        free(text);
        renders++;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    char *text = render(m);
    assert_well_formed(text);
    char want[128];
    snprintf(want, sizeof want, "asyncz_run_duration_seconds_count{store=\"a\"} %d", FEED_RUNS);
    assert_line(text, want);
    snprintf(want, sizeof want, "asyncz_run_lateness_seconds_count{store=\"b\"} %d", FEED_RUNS);
    assert_line(text, want);
    snprintf(want, sizeof want, "asyncz_runs_total{task=\"t499\",store=\"b\",outcome=\"succeeded\"} %d",
             FEED_RUNS / 500);
    assert_line(text, want);
    snprintf(want, sizeof want,
             "asyncz_http_requests_total{method=\"GET\",route=\"/metrics\",code=\"200\"} %d",
             2 * FEED_RUNS / 8);
    assert_line(text, want);
    snprintf(want, sizeof want, "asyncz_store_errors_total{store=\"a\"} %d", 2 * FEED_RUNS / 16);
    assert_line(text, want);
    free(text);
    az_metrics_free(m);
}

/* ---- the handlers on a real scheduler --------------------------------------------------------------------
 */

static int fn_ok(asyncz_run *run, void *userdata)
{
    (void)run, (void)userdata;
    return ASYNCZ_RUN_DONE;
}

static int listen_metrics(const asyncz_event *ev, void *userdata)
{
    az_metrics_on_event(userdata, ev);
    return 0;
}

typedef struct app_fixture {
    asyncz_scheduler *s;
    az_metrics *m;
    az_config cfg;
    az_cfg_store stores[2];
    az_http_app app;
    char dir[64];
} app_fixture;

/* A scheduler with the stores named (alias, url), not started, its events feeding new metrics. */
static app_fixture *app_new(const char *const *names, const char *const *urls, size_t n)
{
    app_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(asyncz_scheduler_new(&f->s, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "ok", fn_ok, NULL), 0);
    f->m = new_metrics();
    az_metrics_scrape_set_ttl(az_metrics_scrape_of(f->m), 0, 0);
    assert_int_equal(asyncz_scheduler_add_listener(f->s, ASYNCZ_EVENT_ALL, listen_metrics, f->m, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        asyncz_store *st;
        assert_int_equal(asyncz_store_open(&st, urls[i]), 0);
        assert_int_equal(asyncz_scheduler_add_store(f->s, names[i], st), 0);
        f->stores[i] = (az_cfg_store){.name = (char *)names[i], .url = (char *)urls[i]};
    }
    f->cfg.stores = f->stores;
    f->cfg.n_stores = n;
    f->app = (az_http_app){.s = f->s, .cfg = &f->cfg, .metrics = f->m, .started = asyncz_now()};
    return f;
}

static void app_free(app_fixture *f)
{
    asyncz_scheduler_free(f->s);
    az_metrics_free(f->m);
    free(f);
}

static void call(az_http_handler fn, az_http_app *app, az_http_response *resp)
{
    az_http_request req = {.method = "GET", .path = "/", .principal = {.role = AZ_HTTP_ROLE_NONE}};
    memset(resp, 0, sizeof *resp);
    fn(app, &req, resp);
}

static json_t *body_json(const az_http_response *resp)
{
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static void add_task(asyncz_scheduler *s, const char *id, const char *store, asyncz_trigger *trigger,
                     bool paused)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "ok"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    assert_int_equal(asyncz_task_set_store(t, store), 0);
    if (trigger) {
        assert_int_equal(asyncz_task_set_trigger(t, trigger), 0);
        asyncz_trigger_unref(trigger);
    }
    if (paused)
        assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE), 0);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
}

/* The routes: /metrics for viewers, the health checks for anyone. */
static void test_routes(void **state)
{
    (void)state;
    const az_http_route *r = az_http_metrics_routes;
    assert_string_equal(r[0].pattern, "/metrics");
    assert_int_equal(r[0].role, AZ_HTTP_ROLE_VIEWER);
    assert_string_equal(r[1].pattern, "/healthz");
    assert_int_equal(r[1].role, AZ_HTTP_ROLE_NONE);
    assert_string_equal(r[2].pattern, "/readyz");
    assert_int_equal(r[2].role, AZ_HTTP_ROLE_NONE);
    assert_null(r[3].method);
}

/* /healthz answers 200 whatever the scheduler does; /readyz 200 once it runs and its store answers. */
static void test_health_on_memory_store(void **state)
{
    (void)state;
    const char *names[] = {"default"}, *urls[] = {"memory://"};
    app_fixture *f = app_new(names, urls, 1);
    az_http_response resp;
    call(az_http_healthz_get, &f->app, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "{\"status\":\"ok\"}");
    az_http_response_clear(&resp);

    call(az_http_readyz_get, &f->app, &resp); /* stopped: not ready */
    assert_int_equal(resp.status, 503);
    json_t *doc = body_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "unavailable");
    assert_string_equal(json_string_value(json_object_get(doc, "scheduler")), "stopped");
    json_decref(doc);
    az_http_response_clear(&resp);

    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    call(az_http_readyz_get, &f->app, &resp);
    assert_int_equal(resp.status, 200);
    doc = body_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "ok");
    json_t *st = json_array_get(json_object_get(doc, "stores"), 0);
    assert_string_equal(json_string_value(json_object_get(st, "name")), "default");
    assert_true(json_is_true(json_object_get(st, "ok")));
    assert_true(json_is_null(json_object_get(st, "error")));
    json_decref(doc);
    az_http_response_clear(&resp);

    call(az_http_healthz_get, &f->app, &resp);
    assert_int_equal(resp.status, 200);
    az_http_response_clear(&resp);
    app_free(f);
}

/* A store the scheduler cannot reach makes /readyz 503 with that store's error: here one the config names
 * and the scheduler does not have, and (when SQLite is built in) a store not opened yet. */
static void test_readyz_store_unreachable(void **state)
{
    (void)state;
    const char *names[] = {"default"}, *urls[] = {"memory://"};
    app_fixture *f = app_new(names, urls, 1);
    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    f->stores[1] = (az_cfg_store){.name = "gone", .url = "memory://"};
    f->cfg.n_stores = 2;
    az_http_response resp;
    call(az_http_readyz_get, &f->app, &resp);
    assert_int_equal(resp.status, 503);
    json_t *doc = body_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "unavailable");
    assert_string_equal(json_string_value(json_object_get(doc, "scheduler")), "running");
    json_t *stores = json_object_get(doc, "stores");
    assert_int_equal(json_array_size(stores), 2);
    assert_true(json_is_true(json_object_get(json_array_get(stores, 0), "ok")));
    json_t *gone = json_array_get(stores, 1);
    assert_string_equal(json_string_value(json_object_get(gone, "name")), "gone");
    assert_true(json_is_false(json_object_get(gone, "ok")));
    assert_non_null(strstr(json_string_value(json_object_get(gone, "error")), "no store named \"gone\""));
    json_decref(doc);
    az_http_response_clear(&resp);
    app_free(f);

    if (!asyncz_store_scheme_supported("sqlite"))
        return;
    char dir[] = "/tmp/az-metrics-XXXXXX", url[128];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite://%s/tasks.db", dir);
    const char *n2[] = {"db"}, *u2[] = {url};
    f = app_new(n2, u2, 1);
    char why[256];
    assert_int_not_equal(az_metrics_probe_store(f->s, "db", why, sizeof why), 0); /* not opened yet */
    assert_true(why[0] != '\0');
    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    assert_int_equal(az_metrics_probe_store(f->s, "db", why, sizeof why), 0);
    assert_string_equal(why, "");
    call(az_http_readyz_get, &f->app, &resp);
    assert_int_equal(resp.status, 200);
    az_http_response_clear(&resp);
    /* the quarantine is read through a connection of its own: 0 records, but the line is there */
    az_metrics_text t = {0};
    az_metrics_render(f->m, &f->app, &t);
    assert_line(t.data, "asyncz_quarantined_records{store=\"db\"} 0");
    assert_line(t.data, "asyncz_store_up{store=\"db\"} 1");
    free(t.data);
    app_free(f);
    char path[160];
    snprintf(path, sizeof path, "%s/tasks.db", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/tasks.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/tasks.db-shm", dir);
    unlink(path);
    rmdir(dir);
}

/* A record that does not decode is quarantined when the scheduler reads it: the event is counted, and the
 * quarantine gauge (read through the scrape's own connection) says 1. */
static void test_quarantined_records(void **state)
{
    (void)state;
    if (!asyncz_store_scheme_supported("file"))
        skip();
    char dir[] = "/tmp/az-metrics-q-XXXXXX", url[128], path[192];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/broken.task", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not a task document", fp);
    fclose(fp);
    snprintf(url, sizeof url, "file://%s", dir);
    const char *names[] = {"files"}, *urls[] = {url};
    app_fixture *f = app_new(names, urls, 1);
    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    for (int i = 0; i < 500; i++) { /* the event comes from the loop thread */
        az_metrics_snapshot snap;
        assert_int_equal(az_metrics_snapshot_take(f->m, &snap), 0);
        uint64_t seen = snap.events[__builtin_ctz(ASYNCZ_EVENT_TASK_QUARANTINED)];
        az_metrics_snapshot_free(&snap);
        if (seen)
            break;
        usleep(10000);
    }
    az_metrics_text t = {0};
    az_metrics_render(f->m, &f->app, &t);
    assert_false(t.failed);
    assert_line(t.data, "asyncz_quarantined_records{store=\"files\"} 1");
    assert_line(t.data, "asyncz_records_quarantined_total{store=\"files\"} 1");
    assert_line(t.data, "asyncz_events_total{event=\"TASK_QUARANTINED\"} 1");
    free(t.data);
    app_free(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Wait until the metrics have seen n runs of task succeed. */
static void wait_for_runs(az_metrics *m, const char *task, uint64_t n)
{
    for (int i = 0; i < 500; i++) {
        az_metrics_snapshot s;
        assert_int_equal(az_metrics_snapshot_take(m, &s), 0);
        uint64_t seen = 0;
        for (size_t j = 0; j < s.n_tasks; j++)
            if (strcmp(s.tasks[j].task, task) == 0)
                seen = s.tasks[j].runs[ASYNCZ_RUN_SUCCEEDED];
        az_metrics_snapshot_free(&s);
        if (seen >= n)
            return;
        usleep(10000);
    }
    fail_msg("task %s did not run %llu time(s)", task, (unsigned long long)n);
}

/* GET /metrics on a running scheduler: a task that ran (counted from real events), tasks by state, the
 * periods of recurring tasks, the scheduler's state, the stores that answer; the content type. */
static void test_metrics_handler(void **state)
{
    (void)state;
    const char *names[] = {"default", "second"}, *urls[] = {"memory://", "memory://"};
    app_fixture *f = app_new(names, urls, 2);
    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    add_task(f->s, "once", "default", NULL, false); /* no trigger: runs once, now */
    asyncz_trigger *every;
    assert_int_equal(asyncz_trigger_interval_new(&every, 3600 * SEC, NULL, NULL), 0);
    add_task(f->s, "hourly", "second", every, false);
    assert_int_equal(asyncz_trigger_interval_new(&every, 60 * SEC, NULL, NULL), 0);
    add_task(f->s, "held", "second", every, true);
    wait_for_runs(f->m, "once", 1);

    az_http_response resp;
    call(az_http_metrics_get, &f->app, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/plain; version=0.0.4; charset=utf-8");
    char *text = strndup(resp.body, resp.body_len);
    assert_well_formed(text);
    assert_line(text, "asyncz_runs_total{task=\"once\",store=\"default\",outcome=\"succeeded\"} 1");
    assert_line(text, "asyncz_run_lateness_seconds_count{store=\"default\"} 1");
    assert_line(text, "asyncz_run_duration_seconds_count{store=\"default\"} 1");
    assert_line(text, "asyncz_scheduler_state{state=\"running\"} 1");
    assert_line(text, "asyncz_scheduler_state{state=\"paused\"} 0");
    assert_line(text, "asyncz_tasks{store=\"default\",state=\"scheduled\"} 0");
    assert_line(text, "asyncz_tasks{store=\"second\",state=\"scheduled\"} 1");
    assert_line(text, "asyncz_tasks{store=\"second\",state=\"paused\"} 1");
    assert_line(text, "asyncz_tasks_overdue{store=\"second\"} 0");
    assert_line(text, "asyncz_task_period_seconds{task=\"hourly\",store=\"second\"} 3600");
    assert_null(strstr(text, "asyncz_task_period_seconds{task=\"held\""));
    assert_line(text, "asyncz_store_up{store=\"default\"} 1");
    assert_line(text, "asyncz_store_up{store=\"second\"} 1");
    assert_line(text, "asyncz_quarantined_records{store=\"default\"} 0");
    assert_line(text, "asyncz_events_total{event=\"SCHEDULER_START\"} 1");
    free(text);
    az_http_response_clear(&resp);

    /* paused scheduler: state follows at the next reading */
    assert_int_equal(asyncz_scheduler_pause(f->s), 0);
    call(az_http_metrics_get, &f->app, &resp);
    text = strndup(resp.body, resp.body_len);
    assert_line(text, "asyncz_scheduler_state{state=\"paused\"} 1");
    free(text);
    az_http_response_clear(&resp);

    /* without metrics: 503, not a crash */
    f->app.metrics = NULL;
    call(az_http_metrics_get, &f->app, &resp);
    assert_int_equal(resp.status, 503);
    az_http_response_clear(&resp);
    f->app.metrics = f->m;
    app_free(f);
}

/* The scrape reading is cached: within its ttl a new task is not seen, after it it is. */
static void test_scrape_cache(void **state)
{
    (void)state;
    const char *names[] = {"default"}, *urls[] = {"memory://"};
    app_fixture *f = app_new(names, urls, 1);
    assert_int_equal(asyncz_scheduler_start(f->s, 0), 0);
    az_metrics_scrape_set_ttl(az_metrics_scrape_of(f->m), 3600 * SEC, 3600 * SEC);
    az_metrics_text t = {0};
    az_metrics_render(f->m, &f->app, &t);
    assert_line(t.data, "asyncz_tasks{store=\"default\",state=\"paused\"} 0");
    free(t.data);
    add_task(f->s, "later", "default", NULL, true);
    t = (az_metrics_text){0};
    az_metrics_render(f->m, &f->app, &t);
    assert_line(t.data, "asyncz_tasks{store=\"default\",state=\"paused\"} 0"); /* cached */
    free(t.data);
    az_metrics_scrape_set_ttl(az_metrics_scrape_of(f->m), 0, 0);
    t = (az_metrics_text){0};
    az_metrics_render(f->m, &f->app, &t);
    assert_line(t.data, "asyncz_tasks{store=\"default\",state=\"paused\"} 1");
    free(t.data);
    app_free(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_counters_and_histograms),
        cmocka_unit_test(test_histogram_buckets_cumulative),
        cmocka_unit_test(test_outcomes_and_streaks),
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_cardinality_bound),
        cmocka_unit_test(test_inflight_bound),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_log_counts),
        cmocka_unit_test(test_concurrent_feed_and_render),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_health_on_memory_store),
        cmocka_unit_test(test_readyz_store_unreachable),
        cmocka_unit_test(test_quarantined_records),
        cmocka_unit_test(test_metrics_handler),
        cmocka_unit_test(test_scrape_cache),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
