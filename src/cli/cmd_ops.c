/* `asyncz status` and `asyncz instances`: what a store holds and which schedulers use it, from its tasks,
 * its quarantine, the heartbeats that shared stores keep (asyncz_store_instances) and the runs of the last
 * day (asyncz_store_list_runs). */
#include <string.h>

#include "manage.h"

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {NULL, 0, NULL, 0},
};

static int no_arguments(void *ctx, int code, const char *value)
{
    (void)ctx;
    (void)code;
    return az_cli_usage_error("unexpected argument '%s'", value);
}

/* ---- counting ------------------------------------------------------------------------------------------ */

typedef struct counts {
    size_t scheduled, paused, shutdown, quarantined, live, expired;
    asyncz_time_t next_run, now;
} counts;

static void count_tasks(const az_task_vec *v, counts *c)
{
    c->next_run = ASYNCZ_TIME_NONE;
    for (size_t i = 0; i < v->n; i++) {
        const char *state = az_cli_task_state(v->items[i]);
        asyncz_time_t next = asyncz_task_next_run_time(v->items[i]);
        if (strcmp(state, "scheduled") == 0)
            c->scheduled++;
        else if (strcmp(state, "paused") == 0)
            c->paused++;
        else
            c->shutdown++;
        if (next != ASYNCZ_TIME_NONE && (c->next_run == ASYNCZ_TIME_NONE || next < c->next_run))
            c->next_run = next;
    }
}

static int count_quarantined(const asyncz_quarantined *q, void *userdata)
{
    (void)q;
    ((counts *)userdata)->quarantined++;
    return 0;
}

static int count_instance(const asyncz_instance *inst, void *userdata)
{
    counts *c = userdata;
    if (inst->expires_at < c->now)
        c->expired++;
    else
        c->live++;
    return 0;
}

static int gather(az_cli_store *s, counts *c, size_t *total)
{
    az_task_vec v = {0};
    memset(c, 0, sizeof *c);
    c->now = asyncz_now();
    int rc = az_cli_store_list(s, &v);
    if (rc == 0)
        count_tasks(&v, c);
    *total = v.n;
    az_task_vec_free(&v);
    int lrc = rc ? 0 : asyncz_store_quarantined(s->st, count_quarantined, c);
    if (lrc == 0 && rc == 0)
        lrc = asyncz_store_instances(s->st, count_instance, c);
    return rc ? rc : lrc ? az_cli_store_failed(lrc, "cannot read the store", NULL) : 0;
}

/* ---- runs of the last hour and day ----------------------------------------------------------------------
 */

/* Runs, failures (failed, timed out, crashed, lost) and late runs (az_cli_run_late) of one period. */
typedef struct run_counts {
    size_t runs, failed, late;
} run_counts;

typedef struct recent {
    bool kept; /* the store keeps history */
    asyncz_time_t hour_ago;
    run_counts hour, day;
} recent;

static void count_in(run_counts *c, const asyncz_run_record *r)
{
    c->runs++;
    c->failed += az_cli_run_failed(r->outcome);
    c->late += az_cli_run_late(r);
}

static int count_run(const asyncz_run_record *r, void *userdata)
{
    recent *rc = userdata;
    count_in(&rc->day, r);
    if (r->submitted_at >= rc->hour_ago)
        count_in(&rc->hour, r);
    return 0;
}

/* Every run submitted in the last day, page by page. */
static int count_recent(az_cli_store *s, asyncz_time_t now, recent *out)
{
    memset(out, 0, sizeof *out);
    out->hour_ago = now - 3600 * ASYNCZ_USEC_PER_SEC;
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    q.since = now - 86400 * ASYNCZ_USEC_PER_SEC;
    q.limit = ASYNCZ_HISTORY_MAX_LIMIT;
    char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc;
    do {
        char cursor[ASYNCZ_HISTORY_CURSOR_SIZE];
        q.cursor = next;
        rc = asyncz_store_list_runs(s->st, &q, count_run, out, cursor);
        memcpy(next, cursor, sizeof next);
    } while (rc == 0 && next[0]);
    out->kept = rc != ASYNCZ_EUNSUPPORTED;
    if (rc == 0 || rc == ASYNCZ_EUNSUPPORTED)
        return 0;
    return az_cli_history_failed(s, rc, "cannot read the runs");
}

static json_t *run_counts_json(const recent *r, const run_counts *c)
{
    if (!r->kept)
        return json_null();
    return json_pack("{s:I, s:I, s:I}", "runs", (json_int_t)c->runs, "failed", (json_int_t)c->failed, "late",
                     (json_int_t)c->late);
}

/* "12 (2 failed, 1 late)" */
static void run_counts_text(char *buf, size_t size, const run_counts *c)
{
    snprintf(buf, size, "%zu (%zu failed, %zu late)", c->runs, c->failed, c->late);
}

/* ---- status -------------------------------------------------------------------------------------------- */

/* The tasks no scheduler can schedule on this host (their zone does not load: az_cli_zone_problem), as
 * [{"id", "zone", "reason"}]; NULL when out of memory. */
static json_t *unschedulable_json(const az_cli_store *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n_bad; i++) {
        char zone[72];
        if (az_cli_zone_problem(s->bad[i].reason, zone, sizeof zone, NULL) &&
            json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "id", s->bad[i].id, "zone", zone, "reason",
                                               s->bad[i].reason)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* The text of that list: "2 (zone Europe/Berlin does not load here: a, b); see asyncz doctor", or "none". */
static void unschedulable_text(const az_cli_store *s, char *buf, size_t size, size_t *n)
{
    char zone[72] = "", first[72] = "";
    size_t used = 0, zones = 0;
    *n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_bad; i++) {
        if (!az_cli_zone_problem(s->bad[i].reason, zone, sizeof zone, NULL))
            continue;
        if (!*first)
            snprintf(first, sizeof first, "%s", zone);
        zones += strcmp(first, zone) != 0 && zones == 0; /* only whether there are others */
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", (*n)++ ? ", " : "", s->bad[i].id);
    }
    char ids[256];
    snprintf(ids, sizeof ids, "%s", buf);
    if (*n == 0)
        snprintf(buf, size, "none");
    else
        snprintf(buf, size, "%zu (zone %s%s does not load here: %s); see asyncz doctor", *n, first,
                 zones ? " and others" : "", ids);
}

static int status_json(const az_cli_store *s, const counts *c, const recent *r, size_t total,
                       const asyncz_zone *zone)
{
    char url[1024];
    az_cli_redact_url(s->url, url, sizeof url);
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "store", asyncz_store_kind(s->st),
                          "url", url, "tasks", (json_int_t)total, "scheduled", (json_int_t)c->scheduled,
                          "paused", (json_int_t)c->paused, "shutdown", (json_int_t)c->shutdown, "unreadable",
                          (json_int_t)s->n_bad, "quarantined", (json_int_t)c->quarantined);
    json_t *unschedulable = o ? unschedulable_json(s) : NULL;
    if (o && (!unschedulable || json_object_set_new(o, "unschedulable", unschedulable) ||
              az_cli_json_set_time(o, "next_run_time", c->next_run, zone) ||
              json_object_set_new(o, "schedulers_live", json_integer((json_int_t)c->live)) ||
              json_object_set_new(o, "schedulers_expired", json_integer((json_int_t)c->expired)) ||
              json_object_set_new(o, "runs_last_hour", run_counts_json(r, &r->hour)) ||
              json_object_set_new(o, "runs_last_day", run_counts_json(r, &r->day)))) {
        json_decref(o);
        o = NULL;
    }
    return az_cli_json_print(o);
}

static int status_text(const az_cli_store *s, const counts *c, const recent *r, size_t total,
                       const asyncz_zone *zone, const az_cli_common *common)
{
    char url[1024], tasks[160], next[ASYNCZ_TIME_FORMAT_SIZE], problems[96], schedulers[96], stuck[512];
    char hour[96], day[96];
    run_counts_text(hour, sizeof hour, &r->hour);
    run_counts_text(day, sizeof day, &r->day);
    size_t n_stuck = 0;
    unschedulable_text(s, stuck, sizeof stuck, &n_stuck);
    az_cli_redact_url(s->url, url, sizeof url);
    snprintf(tasks, sizeof tasks, "%zu (%zu scheduled, %zu paused%s)", total, c->scheduled, c->paused,
             c->shutdown ? ", some at shutdown" : "");
    az_cli_time_text(next, sizeof next, c->next_run, zone);
    snprintf(problems, sizeof problems, "%zu quarantined, %zu unreadable", c->quarantined, s->n_bad);
    snprintf(schedulers, sizeof schedulers, "%zu live, %zu expired", c->live, c->expired);
    const char *rows[][2] = {{"store", asyncz_store_kind(s->st)},
                             {"url", url},
                             {"tasks", tasks},
                             {"next run", next},
                             {"records", problems},
                             {"schedulers", schedulers},
                             {"runs, last hour", hour},
                             {"runs, last day", day},
                             {"cannot schedule", stuck}};
    az_table *t = az_table_new(2);
    int rc = t ? 0 : -1;
    /* The runs only from a store that keeps history; the last row only when there is something to say:
     * tasks this host cannot schedule. */
    size_t n_rows = sizeof rows / sizeof rows[0] - (n_stuck ? 0 : 1);
    for (size_t i = 0; rc == 0 && i < n_rows; i++) {
        if ((i == 6 || i == 7) && !r->kept)
            continue;
        bool bad = (i == 4 && (c->quarantined || s->n_bad)) || (i == 5 && c->expired) ||
                   (i == 6 && r->hour.failed) || (i == 7 && r->day.failed) || (i == 8 && n_stuck);
        rc = az_table_row(t, bad ? AZ_TABLE_WARN : AZ_TABLE_PLAIN, rows[i]);
    }
    rc = rc ? az_cli_failure("out of memory") : az_cli_table_print(t, common);
    az_table_free(t);
    return rc;
}

typedef int (*ops_fn)(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone);

static int status(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone)
{
    counts c;
    recent r;
    size_t total = 0;
    int rc = gather(s, &c, &total);
    if (rc == 0)
        rc = count_recent(s, c.now, &r);
    if (rc)
        return rc;
    return common->json ? status_json(s, &c, &r, total, zone) : status_text(s, &c, &r, total, zone, common);
}

/* ---- instances ----------------------------------------------------------------------------------------- */

typedef struct instances_ctx {
    const asyncz_zone *zone;
    asyncz_time_t now;
    az_json_stream js;
    az_table *table;
    bool json;
} instances_ctx;

static json_t *running_json(const asyncz_instance *inst, const asyncz_zone *zone)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < inst->n_running; i++) {
        json_t *r = json_pack("{s:s}", "task_id", inst->running[i].task_id);
        if (!r || az_cli_json_set_time(r, "run_time", inst->running[i].run_time, zone) ||
            json_array_append_new(a, r)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *instance_json(const asyncz_instance *inst, const instances_ctx *c)
{
    json_t *running = running_json(inst, c->zone);
    json_t *o = running ? json_pack("{s:s, s:s, s:I, s:s, s:b}", "id", inst->id, "host", inst->hostname,
                                    "pid", (json_int_t)inst->pid, "version", inst->version, "expired",
                                    inst->expires_at < c->now)
                        : NULL;
    int rc = o ? 0 : -1;
    rc |= az_cli_json_set_time(o, "started_at", inst->started_at, c->zone);
    rc |= az_cli_json_set_time(o, "heartbeat_at", inst->heartbeat_at, c->zone);
    rc |= az_cli_json_set_time(o, "expires_at", inst->expires_at, c->zone);
    rc |= json_object_set_new(o, "running", running);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int instance_row(const asyncz_instance *inst, instances_ctx *c)
{
    char pid[24], started[ASYNCZ_TIME_FORMAT_SIZE], beat[ASYNCZ_TIME_FORMAT_SIZE],
        expires[ASYNCZ_TIME_FORMAT_SIZE], running[24];
    snprintf(pid, sizeof pid, "%lld", (long long)inst->pid);
    az_cli_time_text(started, sizeof started, inst->started_at, c->zone);
    az_cli_time_text(beat, sizeof beat, inst->heartbeat_at, c->zone);
    az_cli_time_text(expires, sizeof expires, inst->expires_at, c->zone);
    snprintf(running, sizeof running, "%zu", inst->n_running);
    const char *cells[] = {inst->id, inst->hostname, pid, inst->version, started, beat, expires, running};
    return az_table_row(c->table, inst->expires_at < c->now ? AZ_TABLE_WARN : AZ_TABLE_PLAIN, cells);
}

static int on_instance(const asyncz_instance *inst, void *userdata)
{
    instances_ctx *c = userdata;
    if (c->json) {
        az_cli_json_item(&c->js, instance_json(inst, c));
        return 0;
    }
    return instance_row(inst, c) ? ASYNCZ_ENOMEM : 0;
}

static int instances_table(az_cli_store *s, instances_ctx *c, const az_cli_common *common)
{
    static const char *const header[] = {"ID",      "HOST",           "PID",     "VERSION",
                                         "STARTED", "LAST HEARTBEAT", "EXPIRES", "RUNNING"};
    c->table = az_table_new(8);
    int rc = c->table && az_table_header(c->table, header) == 0
                 ? asyncz_store_instances(s->st, on_instance, c)
                 : ASYNCZ_ENOMEM;
    if (rc)
        rc = az_cli_store_failed(rc, "cannot list the schedulers", NULL);
    else if (az_table_rows(c->table) == 0)
        puts("no schedulers registered");
    else
        rc = az_cli_table_print(c->table, common);
    az_table_free(c->table);
    return rc;
}

static int instances(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone)
{
    instances_ctx c = {.zone = zone, .now = asyncz_now(), .json = common->json};
    if (!common->json)
        return instances_table(s, &c, common);
    az_cli_json_begin(&c.js);
    int rc = asyncz_store_instances(s->st, on_instance, &c);
    int out = az_cli_json_end(&c.js);
    return rc ? az_cli_store_failed(rc, "cannot list the schedulers", NULL) : out;
}

/* ---- the commands -------------------------------------------------------------------------------------- */

static int call_ops(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    return (*(const ops_fn *)ctx)(s, common, zone);
}

static int run(int argc, char **argv, const char *command, ops_fn fn)
{
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, no_arguments, NULL);
    if (rc == 0 && az_cli_help_requested(&common, command))
        return az_cli_finish(0);
    return az_cli_with_store(rc, &common, call_ops, (void *)&fn);
}

int az_cli_status(int argc, char **argv)
{
    return run(argc, argv, "status", status);
}

int az_cli_instances(int argc, char **argv)
{
    return run(argc, argv, "instances", instances);
}
