/* `asyncz doctor`: check a store and this machine for what stops tasks from running: the store answers,
 * the sealing key fits the records, zone data is present and every task's zone loads, nothing is
 * quarantined, no scheduler's heartbeat has expired. One line per check: ok, warning or error. Exit status
 * 1 when a check fails, with --strict also on a warning. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manage.h"

enum { OPT_STRICT = AZ_OPT_OWN };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    {"strict", no_argument, NULL, OPT_STRICT},
    {NULL, 0, NULL, 0},
};

typedef enum level { OK, WARNING, ERROR } level;

#define MAX_CHECKS 16
#define MAX_ZONE_LINES 4 /* zones that do not load, one line each; the rest in one more */
#define MAX_SHOWN_IDS 10

typedef struct check {
    const char *name;
    level level;
    char message[1024];
    json_t *ids; /* the ids it is about (array; may be empty) */
} check;

typedef struct doctor {
    check checks[MAX_CHECKS];
    size_t n;
    az_cli_store store;
    az_task_vec tasks;
} doctor;

static int on_option(void *ctx, int code, const char *value)
{
    if (code == OPT_STRICT) {
        *(bool *)ctx = true;
        return 0;
    }
    return az_cli_usage_error("unexpected argument '%s'", value);
}

static check *add_check(doctor *d, const char *name, level lv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static check *add_check(doctor *d, const char *name, level lv, const char *fmt, ...)
{
    check *c = &d->checks[d->n++];
    c->name = name;
    c->level = lv;
    c->ids = json_array();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    return c;
}

/* Append ": a, b, c and N more" for the ids of c to its message. */
static void name_ids(check *c)
{
    size_t n = json_array_size(c->ids), used = strlen(c->message);
    for (size_t i = 0; i < n && i < MAX_SHOWN_IDS && used < sizeof c->message; i++)
        used += (size_t)snprintf(c->message + used, sizeof c->message - used, "%s%s", i ? ", " : ": ",
                                 json_string_value(json_array_get(c->ids, i)));
    if (n > MAX_SHOWN_IDS && used < sizeof c->message)
        snprintf(c->message + used, sizeof c->message - used, " and %zu more", n - MAX_SHOWN_IDS);
}

/* ---- the checks ---------------------------------------------------------------------------------------- */

typedef enum bad_kind { BAD_NO_KEY, BAD_NOT_SEALED, BAD_NO_OPEN, BAD_ZONE, BAD_OTHER, BAD_KINDS } bad_kind;

/* Which trouble an unreadable record has, from the reason the store gave. */
static bad_kind classify(const char *reason)
{
    if (strstr(reason, "is sealed but"))
        return BAD_NO_KEY;
    if (strstr(reason, "not sealed although"))
        return BAD_NOT_SEALED;
    if (strstr(reason, "does not open"))
        return BAD_NO_OPEN;
    /* A zone name that is not one is the record's fault (BAD_OTHER: quarantined by a scheduler). */
    if (az_cli_zone_problem(reason, NULL, 0, NULL))
        return BAD_ZONE;
    return BAD_OTHER;
}

bool az_cli_zone_problem(const char *reason, char *zone, size_t size, const char **why)
{
    static const char mark[] = "time zone \"", tail[] = "\" does not load here";
    const char *name = strstr(reason, mark);
    const char *end = name ? strstr(name + strlen(mark), tail) : NULL;
    if (!end)
        return false;
    name += strlen(mark);
    if (zone)
        snprintf(zone, size, "%.*s", (int)(end - name), name);
    if (why) {
        *why = end + strlen(tail);
        *why += strncmp(*why, ": ", 2) == 0 ? 2 : 0;
    }
    return true;
}

static void add_bad_ids(doctor *d, check *c, bad_kind kind)
{
    for (size_t i = 0; i < d->store.n_bad; i++)
        if (classify(d->store.bad[i].reason) == kind)
            json_array_append_new(c->ids, az_cli_json_text(d->store.bad[i].id));
    name_ids(c);
}

static size_t count_bad(const doctor *d, bad_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < d->store.n_bad; i++)
        n += classify(d->store.bad[i].reason) == kind;
    return n;
}

static void check_sealing(doctor *d)
{
    const char *key = getenv(ASYNCZ_STORE_KEY_ENV);
    bool key_set = key && key[0];
    size_t no_key = count_bad(d, BAD_NO_KEY), not_sealed = count_bad(d, BAD_NOT_SEALED),
           no_open = count_bad(d, BAD_NO_OPEN);
    if (no_key)
        add_bad_ids(d,
                    add_check(d, "sealing", ERROR,
                              "%zu record%s sealed but " ASYNCZ_STORE_KEY_ENV " is not set", no_key,
                              no_key == 1 ? " is" : "s are"),
                    BAD_NO_KEY);
    if (no_open)
        add_bad_ids(d,
                    add_check(d, "sealing", ERROR,
                              "%zu sealed record%s not open with this key (another key, or altered bytes)",
                              no_open, no_open == 1 ? " does" : "s do"),
                    BAD_NO_OPEN);
    if (not_sealed)
        add_bad_ids(d,
                    add_check(d, "sealing", ERROR,
                              "%zu record%s not sealed although " ASYNCZ_STORE_KEY_ENV
                              " is set; a scheduler with this key refuses them",
                              not_sealed, not_sealed == 1 ? " is" : "s are"),
                    BAD_NOT_SEALED);
    if (no_key || no_open || not_sealed)
        return;
    if (strcmp(asyncz_store_kind(d->store.st), "memory") == 0)
        add_check(d, "sealing", OK, "a memory store seals nothing");
    else if (key_set)
        add_check(d, "sealing", OK, ASYNCZ_STORE_KEY_ENV " is set and %s %zu record%s with it",
                  d->tasks.n == 1 ? "its" : "all", d->tasks.n, d->tasks.n == 1 ? " opens" : "s open");
    else
        add_check(d, "sealing", OK, ASYNCZ_STORE_KEY_ENV " is not set and no record is sealed");
}

static void check_records(doctor *d)
{
    size_t n = count_bad(d, BAD_OTHER);
    if (n)
        add_bad_ids(d,
                    add_check(d, "records", ERROR, "%zu record%s be read; a scheduler would quarantine %s", n,
                              n == 1 ? " cannot" : "s cannot", n == 1 ? "it" : "them"),
                    BAD_OTHER);
    else
        add_check(d, "records", OK, "%zu task%s read", d->tasks.n, d->tasks.n == 1 ? "" : "s");
}

static const char *zone_dir(void)
{
    const char *dir = getenv("TZDIR");
    return dir && dir[0] ? dir : "/usr/share/zoneinfo";
}

/* Whether name is one of the ", "-separated names in list. */
static bool listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
            return true;
    return false;
}

/* The names of the zones the tasks use, each once, joined with ", " (bounded). */
static size_t task_zones(const doctor *d, char *buf, size_t size)
{
    size_t n = 0, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->tasks.n; i++) {
        asyncz_trigger *t = asyncz_task_trigger(d->tasks.items[i]);
        const char *name = t && asyncz_trigger_zone(t) ? asyncz_zone_name(asyncz_trigger_zone(t)) : NULL;
        if (!name || listed(buf, name))
            continue;
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", n ? ", " : "", name);
        n++;
    }
    return n;
}

/* The i-th unreadable record's zone, when it is a zone that does not load here, into zone. */
static bool zone_of_bad(const doctor *d, size_t i, char *zone, size_t size, const char **why)
{
    return classify(d->store.bad[i].reason) == BAD_ZONE &&
           az_cli_zone_problem(d->store.bad[i].reason, zone, size, why);
}

/* One error per zone that does not load here, naming its tasks: they are not quarantined, a scheduler
 * skips and retries them; what to do is to make the zone load. */
static void check_zone_problems(doctor *d)
{
    char done[MAX_ZONE_LINES][72];
    size_t n_done = 0, rest = 0;
    for (size_t i = 0; i < d->store.n_bad; i++) {
        char zone[72], other[72];
        const char *why = "";
        if (!zone_of_bad(d, i, zone, sizeof zone, &why))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n_done && !seen; k++)
            seen = strcmp(done[k], zone) == 0;
        if (seen)
            continue;
        if (n_done == MAX_ZONE_LINES) {
            rest++;
            continue;
        }
        snprintf(done[n_done++], sizeof done[0], "%s", zone);
        size_t n = 0;
        for (size_t k = i; k < d->store.n_bad; k++)
            n += zone_of_bad(d, k, other, sizeof other, NULL) && strcmp(other, zone) == 0;
        check *c = add_check(d, "zones", ERROR,
                             "%zu task%s zone %s, which does not load here: %s; install tzdata, or set TZDIR "
                             "to where the zone data is (a scheduler skips %s and retries; nothing is "
                             "quarantined)",
                             n, n == 1 ? " uses" : "s use", zone, why, n == 1 ? "it" : "them");
        for (size_t k = i; k < d->store.n_bad; k++)
            if (zone_of_bad(d, k, other, sizeof other, NULL) && strcmp(other, zone) == 0)
                json_array_append_new(c->ids, json_string(d->store.bad[k].id));
        name_ids(c);
    }
    if (rest)
        add_check(d, "zones", ERROR, "%zu more zone%s do%s not load here either", rest, rest == 1 ? "" : "s",
                  rest == 1 ? "es" : "");
}

static void check_zones(doctor *d)
{
    struct stat st;
    const char *dir = zone_dir();
    bool missing = stat(dir, &st) != 0 || !S_ISDIR(st.st_mode);
    if (missing)
        add_check(d, "zones", ERROR, "no zone data at %s: install tzdata, or set TZDIR to where it is", dir);
    size_t bad = count_bad(d, BAD_ZONE);
    if (bad)
        check_zone_problems(d);
    if (bad || missing)
        return;
    char zones[512];
    size_t n = task_zones(d, zones, sizeof zones);
    if (n)
        add_check(d, "zones", OK, "zone data at %s; the %s the tasks use load%s (%s)", dir,
                  n == 1 ? "zone" : "zones", n == 1 ? "s" : "", zones);
    else
        add_check(d, "zones", OK, "zone data at %s", dir);
}

static int collect_quarantined(const asyncz_quarantined *q, void *userdata)
{
    json_array_append_new(userdata, az_cli_json_text(q->task_id));
    return 0;
}

static void check_quarantine(doctor *d)
{
    json_t *ids = json_array();
    int rc = asyncz_store_quarantined(d->store.st, collect_quarantined, ids);
    size_t n = json_array_size(ids);
    check *c;
    if (rc)
        c = add_check(d, "quarantine", ERROR, "cannot list the quarantined records: %s",
                      asyncz_store_errmsg());
    else if (n)
        c = add_check(
            d, "quarantine", WARNING,
            "%zu record%s quarantined ('asyncz quarantine list' shows %s, 'asyncz quarantine restore "
            "ID' puts a fixed one back)",
            n, n == 1 ? " is" : "s are", n == 1 ? "it" : "them");
    else
        c = add_check(d, "quarantine", OK, "no record is quarantined");
    json_decref(c->ids);
    c->ids = ids;
    if (!rc)
        name_ids(c);
}

typedef struct beats {
    asyncz_time_t now;
    size_t live;
    json_t *expired;
} beats;

static int collect_instance(const asyncz_instance *inst, void *userdata)
{
    beats *b = userdata;
    if (inst->expires_at < b->now)
        json_array_append_new(b->expired, az_cli_json_text(inst->id));
    else
        b->live++;
    return 0;
}

static void check_schedulers(doctor *d)
{
    beats b = {asyncz_now(), 0, json_array()};
    int rc = asyncz_store_instances(d->store.st, collect_instance, &b);
    size_t n = json_array_size(b.expired);
    check *c;
    if (rc)
        c = add_check(d, "schedulers", ERROR, "cannot list the schedulers: %s", asyncz_store_errmsg());
    else if (n)
        c = add_check(d, "schedulers", WARNING,
                      "%zu live; %zu expired heartbeat%s (stopped without deregistering, or stuck)", b.live,
                      n, n == 1 ? "" : "s");
    else
        c = add_check(d, "schedulers", OK, "%zu live scheduler%s, no expired heartbeat", b.live,
                      b.live == 1 ? "" : "s");
    json_decref(c->ids);
    c->ids = b.expired;
    if (!rc)
        name_ids(c);
}

/* A store kept in local files whose files others can read: the tasks' commands, arguments and environment
 * are theirs to see (a store that others could write is refused at connect). Only a warning is shown. */
static void check_file_mode(doctor *d, const char *path, bool dir)
{
    struct stat st;
    if (stat(path, &st) != 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
        return;
    if (dir)
        add_check(
            d, "permissions", WARNING,
            "the store directory %s has mode %04o: others can list the tasks' ids (fix: chmod go-rwx %s)",
            path, (unsigned)(st.st_mode & 07777), path);
    else
        add_check(d, "permissions", WARNING,
                  "the store file %s has mode %04o: others can read the tasks (commands, arguments, "
                  "environment) (fix: chmod 600 %s)",
                  path, (unsigned)(st.st_mode & 07777), path);
}

static void check_permissions(doctor *d)
{
    /* SQLite's -wal and -shm files take the database file's mode: checking the database is enough. */
    const char *path = asyncz_store_local_path(d->store.st);
    struct stat st;
    if (path && stat(path, &st) == 0)
        check_file_mode(d, path, S_ISDIR(st.st_mode));
}

/* Returns 0 when the checks ran (whatever they found), or the exit status of a bad command line. */
static int run_checks(doctor *d, const az_cli_common *common)
{
    char url[1024];
    int rc = az_cli_store_open(&d->store, common->store, AZ_CLI_STORE_QUIET);
    if (rc == AZ_CLI_EXIT_USAGE)
        return rc;
    az_cli_redact_url(d->store.url, url, sizeof url);
    if (rc) {
        /* A store that holds sealed records refuses a connection without the key: a sealing problem. */
        bool key = strstr(d->store.error, ASYNCZ_STORE_KEY_ENV) != NULL;
        add_check(d, key ? "sealing" : "store", ERROR, "%scannot connect to %s: %s",
                  d->store.from_env ? "ASYNCZ_STORE: " : "", d->store.error_named ? "the store" : url,
                  d->store.error);
        return 0;
    }
    if (az_cli_store_list(&d->store, &d->tasks) != 0) {
        add_check(d, "store", ERROR, "%s answers but cannot list its tasks (see above)", url);
        return 0;
    }
    add_check(d, "store", OK, "%s store %s answers", asyncz_store_kind(d->store.st), url);
    check_permissions(d);
    check_sealing(d);
    check_records(d);
    check_zones(d);
    check_quarantine(d);
    check_schedulers(d);
    return 0;
}

/* ---- output -------------------------------------------------------------------------------------------- */

static const char *level_name(level lv)
{
    return lv == OK ? "ok" : lv == WARNING ? "warning" : "error";
}

static int print_json(const doctor *d)
{
    az_json_stream js;
    az_cli_json_begin(&js);
    for (size_t i = 0; i < d->n; i++) {
        const check *c = &d->checks[i];
        az_cli_json_item(&js, json_pack("{s:s, s:s, s:s, s:O}", "check", c->name, "status",
                                        level_name(c->level), "message", c->message, "ids", c->ids));
    }
    return az_cli_json_end(&js);
}

static int print_text(const doctor *d, const az_cli_common *common)
{
    static const az_table_style styles[] = {AZ_TABLE_OK, AZ_TABLE_WARN, AZ_TABLE_ERROR};
    az_table *t = az_table_new(3);
    int rc = t ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        const check *c = &d->checks[i];
        rc = az_table_row(t, styles[c->level],
                          (const char *const[]){level_name(c->level), c->name, c->message});
    }
    rc = rc ? az_cli_failure("out of memory") : az_cli_table_print(t, common);
    az_table_free(t);
    return rc;
}

static int verdict(const doctor *d, bool strict)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->checks[i].level == ERROR || (strict && d->checks[i].level == WARNING))
            return AZ_CLI_EXIT_FAILURE;
    return 0;
}

static void release(doctor *d)
{
    for (size_t i = 0; i < d->n; i++)
        json_decref(d->checks[i].ids);
    az_task_vec_free(&d->tasks);
    az_cli_store_close(&d->store);
}

int az_cli_doctor(int argc, char **argv)
{
    bool strict = false;
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &strict);
    if (rc == 0 && az_cli_help_requested(&common, "doctor"))
        return az_cli_finish(0);
    doctor d = {0};
    if (rc == 0)
        rc = run_checks(&d, &common);
    if (rc == 0)
        rc = common.json ? print_json(&d) : print_text(&d, &common);
    if (rc == 0)
        rc = verdict(&d, strict);
    release(&d);
    return az_cli_finish(rc);
}
