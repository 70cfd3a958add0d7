/* How the tool shows run records (asyncz/history.h): durations, lateness and ages as short texts, the
 * style of an outcome, a record as a JSON object, and the newest run of each listed task. */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "manage.h"

/* A duration for people: microseconds and milliseconds whole, seconds with one decimal below a minute,
 * then whole seconds as asyncz_duration_format writes them ("2m10s", "1h5m"). */
static void duration_text(char *buf, size_t size, int64_t usec)
{
    if (usec < 0)
        usec = 0;
    if (usec < 1000)
        snprintf(buf, size, "%lldus", (long long)usec);
    else if (usec < ASYNCZ_USEC_PER_SEC)
        snprintf(buf, size, "%lldms", (long long)(usec / 1000));
    else if (usec < 60 * ASYNCZ_USEC_PER_SEC)
        snprintf(buf, size, "%.1fs", (double)(usec / 100000) / 10.0);
    else if (asyncz_duration_format(buf, size, usec - usec % ASYNCZ_USEC_PER_SEC) < 0)
        snprintf(buf, size, "?");
}

void az_cli_run_duration_text(char *buf, size_t size, const asyncz_run_record *r, asyncz_time_t now)
{
    if (r->started_at == ASYNCZ_TIME_NONE) {
        snprintf(buf, size, "-");
    } else if (r->finished_at != ASYNCZ_TIME_NONE) {
        duration_text(buf, size, r->finished_at - r->started_at);
    } else {
        char so_far[AZ_CLI_RUN_TEXT_SIZE];
        duration_text(so_far, sizeof so_far, now - r->started_at);
        snprintf(buf, size, "%s%s", so_far, r->outcome == ASYNCZ_RUN_RUNNING ? "+" : "");
    }
}

void az_cli_run_late_text(char *buf, size_t size, const asyncz_run_record *r)
{
    if (r->started_at == ASYNCZ_TIME_NONE || r->scheduled_time == ASYNCZ_TIME_NONE)
        snprintf(buf, size, "-");
    else
        duration_text(buf, size, r->started_at - r->scheduled_time);
}

void az_cli_age_text(char *buf, size_t size, asyncz_time_t then, asyncz_time_t now)
{
    int64_t s = then < now ? (now - then) / ASYNCZ_USEC_PER_SEC : 0;
    if (s < 60)
        snprintf(buf, size, "%llds ago", (long long)s);
    else if (s < 3600)
        snprintf(buf, size, "%lldm ago", (long long)(s / 60));
    else if (s < 86400)
        snprintf(buf, size, "%lldh ago", (long long)(s / 3600));
    else
        snprintf(buf, size, "%lldd ago", (long long)(s / 86400));
}

void az_cli_run_error_text(char *buf, size_t size, const asyncz_run_record *r)
{
    if (r->error_message && r->error_message[0])
        snprintf(buf, size, "%s", r->error_message);
    else if (r->signal)
        snprintf(buf, size, "signal %d", r->signal);
    else if (r->exit_status > 0)
        snprintf(buf, size, "exit %d", r->exit_status);
    else
        buf[0] = '\0';
}

bool az_cli_run_failed(asyncz_run_outcome outcome)
{
    return outcome == ASYNCZ_RUN_FAILED || outcome == ASYNCZ_RUN_TIMED_OUT || outcome == ASYNCZ_RUN_CRASHED ||
           outcome == ASYNCZ_RUN_LOST;
}

az_table_style az_cli_run_style(asyncz_run_outcome outcome)
{
    if (outcome == ASYNCZ_RUN_SUCCEEDED)
        return AZ_TABLE_OK;
    if (az_cli_run_failed(outcome))
        return AZ_TABLE_ERROR;
    return outcome == ASYNCZ_RUN_RUNNING ? AZ_TABLE_PLAIN : AZ_TABLE_WARN;
}

bool az_cli_run_late(const asyncz_run_record *r)
{
    if (r->outcome == ASYNCZ_RUN_MISSED)
        return true;
    return r->started_at != ASYNCZ_TIME_NONE && r->scheduled_time != ASYNCZ_TIME_NONE &&
           r->started_at - r->scheduled_time > AZ_CLI_LATE_USEC;
}

/* ---- JSON ---------------------------------------------------------------------------------------------- */

/* Text from the store, which a function or a command wrote: kept as it is when it is UTF-8, else with the
 * bad bytes escaped (az_cli_json_text); null for NULL. */
static json_t *text_or_null(const char *s)
{
    return s ? az_cli_json_text(s) : json_null();
}

static const char *stream_name(asyncz_output_stream stream)
{
    return stream == ASYNCZ_OUTPUT_STDERR ? "stderr" : stream == ASYNCZ_OUTPUT_NOTE ? "note" : "stdout";
}

json_t *az_cli_output_line_json(const asyncz_output_line *line, const asyncz_zone *zone)
{
    json_t *o = json_object();
    if (!o || az_cli_json_set_time(o, "time", line->time, zone) ||
        json_object_set_new(o, "stream", json_string(stream_name(line->stream))) ||
        json_object_set_new(o, "text", text_or_null(line->text ? line->text : ""))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int set_output(json_t *o, const asyncz_run_record *r, const asyncz_zone *zone)
{
    json_t *lines = json_array();
    int rc = lines ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < r->n_output; i++)
        rc = json_array_append_new(lines, az_cli_output_line_json(&r->output[i], zone));
    rc |= json_object_set_new(o, "output", lines);
    rc |= json_object_set_new(o, "output_truncated", json_boolean(r->output_truncated));
    return rc ? -1 : 0;
}

/* The result a function reported is JSON text: parsed, so it nests; as a string when it does not parse. */
static json_t *result_json(const char *result)
{
    if (!result)
        return json_null();
    json_t *v = json_loads(result, JSON_DECODE_ANY, NULL);
    return v ? v : az_cli_json_text(result);
}

json_t *az_cli_run_json(const asyncz_run_record *r, const asyncz_zone *zone, bool with_output)
{
    json_t *o = json_object();
    int rc = o ? 0 : -1;
    if (rc == 0) {
        rc |= json_object_set_new(o, "run_id", json_string(r->run_id));
        rc |= json_object_set_new(o, "task_id", text_or_null(r->task_id));
        rc |= json_object_set_new(o, "task_name", text_or_null(r->task_name));
        rc |= json_object_set_new(o, "store_alias", text_or_null(r->store_alias));
        rc |= json_object_set_new(o, "outcome", json_string(asyncz_run_outcome_name(r->outcome)));
        rc |= json_object_set_new(o, "source", json_string(asyncz_run_source_name(r->source)));
        rc |= az_cli_json_set_time(o, "scheduled_time", r->scheduled_time, zone);
        rc |= json_object_set_new(o, "coalesced", json_integer(r->coalesced));
        rc |= az_cli_json_set_time(o, "submitted_at", r->submitted_at, zone);
        rc |= az_cli_json_set_time(o, "started_at", r->started_at, zone);
        rc |= az_cli_json_set_time(o, "finished_at", r->finished_at, zone);
        rc |= json_object_set_new(o, "scheduler", text_or_null(r->scheduler));
        rc |= json_object_set_new(o, "host", text_or_null(r->host));
        rc |= json_object_set_new(o, "pid", json_integer(r->pid));
        rc |= json_object_set_new(o, "fencing_token", json_integer((json_int_t)r->fencing_token));
        rc |= json_object_set_new(o, "error_code", json_integer(r->error_code));
        rc |= json_object_set_new(o, "exit_status",
                                  r->exit_status >= 0 ? json_integer(r->exit_status) : json_null());
        rc |= json_object_set_new(o, "signal", r->signal ? json_integer(r->signal) : json_null());
        rc |= json_object_set_new(o, "error_message", text_or_null(r->error_message));
        rc |= json_object_set_new(o, "result", result_json(r->result));
        rc |= json_object_set_new(o, "late", json_boolean(az_cli_run_late(r)));
    }
    if (rc == 0 && with_output)
        rc = set_output(o, r, zone);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int az_cli_history_failed(const az_cli_store *s, int rc, const char *what)
{
    if (rc == ASYNCZ_EUNSUPPORTED)
        return az_cli_failure("%s: the %s store keeps no run history", what, asyncz_store_kind(s->st));
    if (rc == ASYNCZ_ENOMEM)
        return az_cli_failure("%s: out of memory", what);
    return az_cli_store_failed(rc, what, NULL);
}

/* ---- audit entries ------------------------------------------------------------------------------------ */

json_t *az_cli_audit_json(const asyncz_audit_entry *e, const asyncz_zone *zone, json_t *changes)
{
    json_t *parsed = changes ? NULL : json_loads(e->changes ? e->changes : "{}", 0, NULL);
    if (!changes)
        changes = parsed;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "id", e->id, "task_id", e->task_id ? e->task_id : "",
                  "action", asyncz_audit_action_name(e->action), "actor", e->actor ? e->actor : "", "pid",
                  (json_int_t)e->pid, "changes", changes ? json_incref(changes) : json_object());
    json_decref(parsed);
    if (o && (json_object_set_new(o, "host", e->host ? json_string(e->host) : json_null()) != 0 ||
              az_cli_json_set_time(o, "at", e->at, zone) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- the newest run of each task ---------------------------------------------------------------------- */

/* The listing's most runs at once: the newest of the store, enough to hold the last run of every task on
 * a page when the tasks run about equally often. */
#define LAST_RUNS_MIN_PAGE 1000
#define LAST_RUNS_PER_TASK 4
/* Pages of the newest runs read before the tasks still without one are asked for one by one (a few busy
 * tasks can fill pages with their runs). */
#define LAST_RUNS_PAGES 4

typedef struct last_match {
    const char *const *ids;
    size_t *order; /* indexes into ids, sorted by id */
    size_t n;
    asyncz_run_record **last;
    size_t found;
} last_match;

/* qsort_r's comparison: the ids of two indexes (ctx: the ids), so that threads can list at once. */
static int by_id(const void *a, const void *b, void *ctx)
{
    const char *const *ids = ctx;
    return strcmp(ids[*(const size_t *)a], ids[*(const size_t *)b]);
}

/* The index of task id in m->ids, or -1. */
static ptrdiff_t find_task(const last_match *m, const char *id)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->ids[m->order[mid]], id);
        if (c == 0)
            return (ptrdiff_t)m->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int take_newest(const asyncz_run_record *rec, void *userdata)
{
    last_match *m = userdata;
    ptrdiff_t i = rec->task_id ? find_task(m, rec->task_id) : -1;
    if (i < 0 || m->last[i]) /* newest first: the first one seen is the last run */
        return 0;
    int rc = asyncz_run_record_copy(&m->last[i], rec);
    m->found += rc == 0;
    return rc;
}

static int take_one(const asyncz_run_record *rec, void *userdata)
{
    return asyncz_run_record_copy(userdata, rec);
}

/* One query per task still without a run: its newest, if any. */
static int each_task_newest(az_cli_runs_fn list, void *ctx, const char *const *ids, size_t n,
                            asyncz_run_record **last)
{
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.limit = 1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (last[i])
            continue;
        q.task_id = ids[i];
        rc = list(ctx, &q, take_one, &last[i], NULL);
    }
    return rc;
}

static int list_store_runs(void *ctx, const asyncz_history_query *q, asyncz_run_record_fn fn, void *userdata,
                           char *next_cursor)
{
    return asyncz_store_list_runs(ctx, q, fn, userdata, next_cursor);
}

int az_cli_last_runs(asyncz_store *st, const char *const *ids, size_t n, asyncz_run_record **last)
{
    return az_cli_last_runs_with(list_store_runs, st, ids, n, last);
}

int az_cli_last_runs_with(az_cli_runs_fn list, void *ctx, const char *const *ids, size_t n,
                          asyncz_run_record **last)
{
    memset(last, 0, n * sizeof *last);
    if (n == 0)
        return 0;
    last_match m = {.ids = ids, .n = n, .last = last, .order = malloc(n * sizeof(size_t))};
    if (!m.order)
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < n; i++)
        m.order[i] = i;
    qsort_r(m.order, n, sizeof *m.order, by_id, (void *)ids);
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    size_t page = n * LAST_RUNS_PER_TASK;
    q.limit = page < LAST_RUNS_MIN_PAGE         ? LAST_RUNS_MIN_PAGE
              : page > ASYNCZ_HISTORY_MAX_LIMIT ? ASYNCZ_HISTORY_MAX_LIMIT
                                                : page;
    char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc = 0;
    for (size_t pages = 0; rc == 0 && m.found < n && pages < LAST_RUNS_PAGES && (pages == 0 || next[0]);
         pages++) {
        q.cursor = next;
        char cursor[ASYNCZ_HISTORY_CURSOR_SIZE];
        rc = list(ctx, &q, take_newest, &m, cursor);
        memcpy(next, cursor, sizeof next);
    }
    /* Pages that reached the oldest run saw every run: the tasks they did not meet never ran. */
    if (rc == 0 && next[0] && m.found < n)
        rc = each_task_newest(list, ctx, ids, n, last);
    free(m.order);
    if (rc) {
        for (size_t i = 0; i < n; i++) {
            asyncz_run_record_free(last[i]);
            last[i] = NULL;
        }
    }
    return rc;
}

/* ---- filters of the history and audit commands -------------------------------------------------------- */

int az_cli_parse_name_set(const char *option, const char *text, az_cli_name_bit_fn bit_of, const char *what,
                          uint32_t *bits)
{
    *bits = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        char name[32];
        uint32_t bit = 0;
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (len == 0 || len >= sizeof name || bit_of(name, &bit) != 0)
            return az_cli_bad_value(option, text, (int)(p - text) + 1, "'%.*s' is not %s", (int)len, p, what);
        *bits |= bit;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int az_cli_parse_point(const char *option, const char *text, const asyncz_zone *zone, asyncz_time_t now,
                       asyncz_time_t *out)
{
    int64_t ago;
    if (asyncz_duration_parse(&ago, text, NULL) == 0) {
        *out = now - ago;
        return 0;
    }
    int column = 0;
    if (asyncz_time_parse(out, text, zone, &column) == 0)
        return 0;
    return az_cli_bad_value(option, text, 0,
                            "neither a duration back from now (1d, 2h30m, 90s) nor an ISO-8601 time "
                            "(YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])");
}

int az_cli_page_check(const az_cli_page_args *a, const asyncz_zone *zone, const char *command,
                      az_cli_page *out)
{
    *out = (az_cli_page){.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = AZ_CLI_PAGE_LIMIT};
    asyncz_time_t now = asyncz_now();
    int rc = 0;
    if (a->task && !asyncz_task_id_valid(a->task))
        rc = az_cli_bad_value("task id", a->task, 0,
                              "not a valid id (1 to 255 of A-Z a-z 0-9 . _ @ + -, not starting with . or -)");
    if (rc == 0 && a->since)
        rc = az_cli_parse_point("--since", a->since, zone, now, &out->since);
    if (rc == 0 && a->until)
        rc = az_cli_parse_point("--until", a->until, zone, now, &out->until);
    if (rc == 0 && a->since && a->until && out->since >= out->until)
        rc = az_cli_bad_value("--until", a->until, 0, "must be after --since '%s'", a->since);
    long limit = 0;
    if (rc == 0 && a->limit &&
        (rc = az_cli_parse_long("--limit", a->limit, 1, ASYNCZ_HISTORY_MAX_LIMIT, &limit)) == 0)
        out->limit = (size_t)limit;
    if (rc == 0 && a->cursor && strlen(a->cursor) >= ASYNCZ_HISTORY_CURSOR_SIZE)
        rc = az_cli_bad_value("--cursor", a->cursor, 0, "not a cursor 'asyncz %s' printed", command);
    return rc;
}
