/* The config file's sections understood: [scheduler] values, stores, executors, and the tasks (built by
 * config_task.c). Everything is checked without touching anything outside the file: store URLs are parsed
 * (asyncz_store_open connects nothing) and freed again. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "shell_task.h"

/* Why: a user-supplied [store NAME] or [executor NAME] must be usable as the library's alias. */
#define ALIAS_RULE "1 to 64 characters of A-Z a-z 0-9 . _ -"

/* ---- value parsers ----------------------------------------------------------------------------------- */

int az_cfg_parse_bool(const az_cfg_section *sec, const az_cfg_entry *e, bool *out, az_cfg_errors *errs)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0 || strcasecmp(e->value, no[i]) == 0) {
            *out = strcasecmp(e->value, yes[i]) == 0;
            return 0;
        }
    }
    az_cfg_error_add(errs, e->line, "[%s] %s: '%s' is not a boolean (true/false, yes/no, on/off, 1/0)",
                     sec->label, e->key, e->value);
    return -1;
}

int az_cfg_parse_uint(const az_cfg_section *sec, const az_cfg_entry *e, uint32_t min, uint32_t max,
                      uint32_t *out, az_cfg_errors *errs)
{
    const char *v = e->value;
    bool digits = *v && strspn(v, "0123456789") == strlen(v);
    errno = 0;
    unsigned long long n = digits ? strtoull(v, NULL, 10) : 0;
    if (!digits || errno == ERANGE || n < min || n > max) {
        az_cfg_error_add(errs, e->line, "[%s] %s: '%s' is not a whole number from %" PRIu32 " to %" PRIu32,
                         sec->label, e->key, v, min, max);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

int az_cfg_parse_duration(const az_cfg_section *sec, const az_cfg_entry *e, bool allow_none, int64_t *out,
                          az_cfg_errors *errs)
{
    if (allow_none && strcasecmp(e->value, "none") == 0) {
        *out = ASYNCZ_GRACE_UNLIMITED;
        return 0;
    }
    int column = 0;
    int rc = asyncz_duration_parse(out, e->value, &column);
    if (rc == 0 && *out > 0)
        return 0;
    const char *why = rc == 0 ? "must be greater than zero"
                      : rc == ASYNCZ_ERANGE
                          ? "duration too large"
                          : "not a duration (parts like 30s, 1h30m, 2d, 250ms; units us ms s "
                            "m h d w)";
    if (rc != 0 && column > 0)
        az_cfg_error_add(errs, e->line, "[%s] %s: '%s': column %d: %s%s", sec->label, e->key, e->value,
                         column, why, allow_none ? " or none" : "");
    else
        az_cfg_error_add(errs, e->line, "[%s] %s: '%s': %s", sec->label, e->key, e->value, why);
    return -1;
}

/* ---- failure hooks ------------------------------------------------------------------------------------- */

static int read_hook_command(az_cfg_section *sec, const az_cfg_hook *inherit, az_cfg_hook *out,
                             az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "on_failure");
    const char *command = e ? (*e->value ? e->value : NULL) : inherit ? inherit->command : NULL;
    out->line = e ? e->line : inherit ? inherit->line : 0;
    out->command = NULL;
    if (command && !(out->command = strdup(command))) {
        az_cfg_error_oom(errs);
        return -1;
    }
    return 0;
}

/* A duration key of the hook; absent: fallback. on_failure_interval also takes "none" (no limit: 0). */
static int read_hook_duration(az_cfg_section *sec, const char *key, int64_t fallback, int64_t *out,
                              const az_cfg_entry **given, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    *given = e;
    *out = fallback;
    if (!e)
        return 0;
    bool interval = strcmp(key, "on_failure_interval") == 0;
    if (az_cfg_parse_duration(sec, e, interval, out, errs))
        return -1;
    if (interval && *out == ASYNCZ_GRACE_UNLIMITED)
        *out = 0;
    return 0;
}

int az_cfg_read_hook(az_cfg_section *sec, const az_cfg_hook *inherit, az_cfg_hook *out, az_cfg_errors *errs)
{
    const az_cfg_entry *interval, *timeout;
    int rc = read_hook_duration(sec, "on_failure_interval",
                                inherit ? inherit->interval : AZ_CFG_DEFAULT_HOOK_INTERVAL, &out->interval,
                                &interval, errs);
    if (read_hook_duration(sec, "on_failure_timeout",
                           inherit ? inherit->timeout : AZ_CFG_DEFAULT_HOOK_TIMEOUT, &out->timeout, &timeout,
                           errs))
        rc = -1;
    if (read_hook_command(sec, inherit, out, errs))
        return -1;
    const az_cfg_entry *alone = interval ? interval : timeout;
    if (rc == 0 && alone && !out->command && strcmp(sec->kind, "task") == 0) {
        az_cfg_error_add(errs, alone->line,
                         "[%s] %s: no on_failure command for it (set on_failure here or in [scheduler])",
                         sec->label, alone->key);
        rc = -1;
    }
    if (rc) {
        free(out->command);
        out->command = NULL;
    }
    return rc;
}

/* ---- fingerprints: the entries of a section as one text ------------------------------------------- */

/* Append a, b and c to *buf; out of memory is recorded in errs (the load then fails). */
static void append(char **buf, const char *a, const char *b, const char *c, az_cfg_errors *errs)
{
    char *next = NULL;
    if (asprintf(&next, "%s%s%s%s", *buf ? *buf : "", a, b, c) < 0) {
        az_cfg_error_oom(errs);
        return;
    }
    free(*buf);
    *buf = next;
}

static void fingerprint_section(char **buf, const az_cfg_section *sec, az_cfg_errors *errs)
{
    append(buf, "[", sec->label, "]\n", errs);
    for (size_t i = 0; i < sec->n; i++) {
        append(buf, sec->entries[i].key, "=", sec->entries[i].value, errs);
        append(buf, "\n", "", "", errs);
    }
}

/* strdup that records out of memory in errs. */
static char *copy_text(const char *s, az_cfg_errors *errs)
{
    char *d = strdup(s);
    if (!d)
        az_cfg_error_oom(errs);
    return d;
}

/* ---- [scheduler] ------------------------------------------------------------------------------------- */

typedef struct sched_values {
    az_cfg_defaults d;
    char *fingerprint;
} sched_values;

static int read_zone(az_config *cfg, az_cfg_section *sec, az_cfg_errors *errs)
{
    az_cfg_entry *e = sec ? az_cfg_get(sec, "timezone") : NULL;
    int rc = asyncz_zone_get(&cfg->zone, e ? e->value : "local");
    if (rc == 0)
        return 0;
    if (e)
        az_cfg_error_add(errs, e->line, "[%s] timezone: '%s': %s", sec->label, e->value,
                         rc == ASYNCZ_EINVAL ? "not a valid time zone name" : asyncz_strerror(rc));
    else
        az_cfg_error_add(errs, 0, "cannot load the local time zone: %s", asyncz_strerror(rc));
    return -1;
}

static int read_log(az_config *cfg, az_cfg_section *sec, az_cfg_errors *errs)
{
    int rc = 0;
    az_cfg_entry *e = az_cfg_get(sec, "log_level");
    if (e && asyncz_log_level_parse(e->value, &cfg->log_level) != 0) {
        az_cfg_error_add(
            errs, e->line,
            "[%s] log_level: '%s': not a level (trace, debug, info, warning, error, critical, off)",
            sec->label, e->value);
        rc = -1;
    }
    e = az_cfg_get(sec, "log");
    if (!e)
        return rc;
    const char *v = e->value;
    bool ok = strcmp(v, "stderr") == 0 || strcmp(v, "journald") == 0 || strcmp(v, "syslog") == 0 ||
              strcmp(v, "json") == 0 || (strncmp(v, "file:", 5) == 0 && v[5] == '/');
    if (!ok) {
        az_cfg_error_add(errs, e->line,
                         "[%s] log: '%s': not a log destination (stderr, journald, syslog, json, "
                         "file:/ABSOLUTE/PATH)",
                         sec->label, v);
        return -1;
    }
    cfg->log = copy_text(v, errs);
    cfg->log_line = e->line;
    return cfg->log ? rc : -1;
}

/* "a.so, /opt/b.so" into cfg->plugins. */
static int read_plugins(az_config *cfg, az_cfg_section *sec, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "plugins");
    if (!e)
        return 0;
    cfg->plugins_line = e->line;
    char *copy = copy_text(e->value, errs), *save = NULL;
    if (!copy)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (!*tok)
            continue;
        char **grown = realloc(cfg->plugins, (cfg->n_plugins + 1) * sizeof *grown);
        char *plugin = grown ? copy_text(tok, errs) : NULL;
        if (grown)
            cfg->plugins = grown;
        if (!plugin) {
            az_cfg_error_oom(errs);
            free(copy);
            return -1;
        }
        cfg->plugins[cfg->n_plugins++] = plugin;
    }
    free(copy);
    if (cfg->n_plugins == 0) {
        az_cfg_error_add(errs, e->line, "[%s] plugins: no library path given", sec->label);
        return -1;
    }
    return 0;
}

static int read_alias_default(az_cfg_section *sec, const char *key, const char **out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    if (!e)
        return 0;
    if (!asyncz_alias_valid(e->value)) {
        az_cfg_error_add(errs, e->line, "[%s] %s: '%s': a name is %s", sec->label, key, e->value, ALIAS_RULE);
        return -1;
    }
    *out = e->value;
    return 0;
}

static int read_task_defaults(az_cfg_section *sec, az_cfg_defaults *d, az_cfg_errors *errs)
{
    int rc = 0;
    az_cfg_entry *e;
    if ((e = az_cfg_get(sec, "misfire_grace_time")) &&
        az_cfg_parse_duration(sec, e, true, &d->misfire_grace_time, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "coalesce")) && az_cfg_parse_bool(sec, e, &d->coalesce, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "max_instances")) &&
        az_cfg_parse_uint(sec, e, ASYNCZ_TASK_MAX_INSTANCES_MIN, ASYNCZ_TASK_MAX_INSTANCES_MAX,
                          &d->max_instances, errs))
        rc = -1;
    if (read_alias_default(sec, "executor", &d->executor, errs) ||
        read_alias_default(sec, "store", &d->store, errs))
        rc = -1;
    return rc;
}

static int read_scheduler(az_config *cfg, az_cfg_section *sec, sched_values *v, az_cfg_errors *errs)
{
    int rc = read_zone(cfg, sec, errs);
    v->d.zone = cfg->zone;
    if (!sec)
        return rc;
    fingerprint_section(&v->fingerprint, sec, errs);
    az_cfg_entry *e = az_cfg_get(sec, "identity");
    if (e && !(cfg->identity = copy_text(e->value, errs)))
        rc = -1;
    if ((e = az_cfg_get(sec, "shutdown_timeout")) &&
        az_cfg_parse_duration(sec, e, false, &cfg->shutdown_timeout, errs))
        rc = -1;
    if (read_log(cfg, sec, errs) || read_plugins(cfg, sec, errs) || read_task_defaults(sec, &v->d, errs))
        rc = -1;
    if (az_cfg_read_hook(sec, &(az_cfg_hook){.interval = cfg->hook.interval, .timeout = cfg->hook.timeout},
                         &cfg->hook, errs))
        rc = -1;
    if (az_cfg_read_history(sec, &cfg->history, &cfg->history, errs) ||
        az_cfg_read_output_max(sec, &cfg->run_output_max, errs))
        rc = -1;
    az_cfg_report_unused(sec, errs);
    return rc;
}

/* ---- [store NAME] and [executor NAME] ---------------------------------------------------------------- */

static int check_name(az_cfg_section *sec, az_cfg_errors *errs)
{
    if (asyncz_alias_valid(sec->name))
        return 0;
    az_cfg_error_add(errs, sec->line, "[%s]: the name '%s' is not valid: a name is %s", sec->label, sec->name,
                     ALIAS_RULE);
    return -1;
}

/* Parse the URL as the scheduler would, without connecting. */
static int check_store_url(az_cfg_section *sec, const az_cfg_entry *e, az_cfg_errors *errs)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, e->value);
    asyncz_store_free(st);
    if (rc == 0)
        return 0;
    const char *why = asyncz_store_errmsg();
    char shown[1024]; /* the password masked: the message may reach a log or the journal */
    asyncz_store_url_mask(e->value, shown, sizeof shown);
    az_cfg_error_add(errs, e->line, "[%s] url: '%s': %s", sec->label, shown,
                     why && *why ? az_cli_store_reason(shown, why, NULL) : asyncz_strerror(rc));
    return -1;
}

static int add_store(az_config *cfg, const char *name, const char *url, const az_cfg_history *history,
                     az_cfg_errors *errs)
{
    az_cfg_store *stores = realloc(cfg->stores, (cfg->n_stores + 1) * sizeof *stores);
    if (stores)
        cfg->stores = stores;
    az_cfg_store st = {.name = stores ? copy_text(name, errs) : NULL,
                       .url = stores ? copy_text(url, errs) : NULL,
                       .history = *history};
    if (!st.name || !st.url) {
        free(st.name);
        free(st.url);
        az_cfg_error_oom(errs);
        return -1;
    }
    cfg->stores[cfg->n_stores++] = st;
    return 0;
}

static int read_store(az_config *cfg, az_cfg_section *sec, az_cfg_errors *errs)
{
    int rc = check_name(sec, errs);
    az_cfg_entry *url = az_cfg_get(sec, "url");
    if (!url) {
        az_cfg_error_add(errs, sec->line,
                         "[%s]: no url given (url = sqlite:////var/lib/asyncz/tasks.db, ...)", sec->label);
        rc = -1;
    } else if (check_store_url(sec, url, errs)) {
        rc = -1;
    }
    az_cfg_history history;
    if (az_cfg_read_history(sec, &cfg->history, &history, errs))
        rc = -1;
    az_cfg_report_unused(sec, errs);
    if (rc)
        return rc;
    return add_store(cfg, sec->name, url->value, &history, errs);
}

static int read_exec_type(az_cfg_section *sec, az_cfg_exec_type *type, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "type");
    if (!e) {
        az_cfg_error_add(errs, sec->line, "[%s]: no type given (processpool, threadpool or loop)",
                         sec->label);
        return -1;
    }
    static const char *const names[] = {"processpool", "threadpool", "loop"};
    for (int i = 0; i < 3; i++)
        if (strcmp(e->value, names[i]) == 0) {
            *type = (az_cfg_exec_type)i;
            return 0;
        }
    az_cfg_error_add(errs, e->line, "[%s] type: '%s': not an executor type (processpool, threadpool, loop)",
                     sec->label, e->value);
    return -1;
}

/* Add a copy of ex (its name copied). */
static int add_executor(az_config *cfg, const az_cfg_executor *ex, az_cfg_errors *errs)
{
    az_cfg_executor *executors = realloc(cfg->executors, (cfg->n_executors + 1) * sizeof *executors);
    if (executors)
        cfg->executors = executors;
    char *name = executors ? copy_text(ex->name, errs) : NULL;
    if (!name) {
        az_cfg_error_oom(errs);
        return -1;
    }
    cfg->executors[cfg->n_executors] = *ex;
    cfg->executors[cfg->n_executors++].name = name;
    return 0;
}

static int read_executor(az_config *cfg, az_cfg_section *sec, az_cfg_errors *errs)
{
    az_cfg_executor ex = {0};
    int rc = check_name(sec, errs);
    if (read_exec_type(sec, &ex.type, errs))
        rc = -1;
    az_cfg_entry *e = az_cfg_get(sec, "workers");
    if (e && az_cfg_parse_uint(sec, e, 1, 1024, &ex.workers, errs))
        rc = -1;
    if (e && ex.type == AZ_CFG_LOOP && rc == 0) {
        az_cfg_error_add(errs, e->line, "[%s] workers: a loop executor has no workers", sec->label);
        rc = -1;
    }
    az_cfg_report_unused(sec, errs);
    if (rc)
        return rc;
    ex.name = sec->name;
    return add_executor(cfg, &ex, errs);
}

/* ---- defaults: the store and executor a config gets without sections for them ------------------------ */

int az_cfg_default_store(char *url, size_t url_size, char *dir, size_t dir_size)
{
    const char *state = getenv("STATE_DIRECTORY"); /* systemd's StateDirectory=; may list several */
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;
    if (state && *state == '/')
        n = snprintf(dir, dir_size, "%.*s", (int)strcspn(state, ":"), state);
    else if (geteuid() == 0)
        n = snprintf(dir, dir_size, "/var/lib/asyncz");
    else if (xdg && *xdg == '/')
        n = snprintf(dir, dir_size, "%s/asyncz", xdg);
    else if (home && *home == '/')
        n = snprintf(dir, dir_size, "%s/.local/state/asyncz", home);
    else
        return -1;
    if (n < 0 || (size_t)n >= dir_size)
        return -1;
    n = snprintf(url, url_size, "sqlite:///%s/tasks.db", dir);
    return n < 0 || (size_t)n >= url_size ? -1 : 0;
}

static int add_default_store(az_config *cfg, az_cfg_errors *errs)
{
    char url[PATH_MAX + 32], dir[PATH_MAX];
    if (az_cfg_default_store(url, sizeof url, dir, sizeof dir) != 0) {
        az_cfg_error_add(errs, 0,
                         "no [store NAME] section, and no directory for the default store ($HOME is "
                         "not set): add a [store default] section");
        return -1;
    }
    if (add_store(cfg, "default", url, &cfg->history, errs) != 0 ||
        !(cfg->default_store_dir = copy_text(dir, errs)))
        return -1;
    return 0;
}

/* Whether the file has a [kind name] section, read or not: a section with an error in it was reported
 * already, and a task naming it must not add "no such section" to that. */
static bool section_named(const az_cfg_ini *ini, const char *kind, const char *name)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->sections[i].kind, kind) == 0 && strcmp(ini->sections[i].name, name) == 0)
            return true;
    return false;
}

static const az_cfg_executor *find_executor(const az_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_executors; i++)
        if (strcmp(cfg->executors[i].name, name) == 0)
            return &cfg->executors[i];
    return NULL;
}

static bool has_store(const az_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_stores; i++)
        if (strcmp(cfg->stores[i].name, name) == 0)
            return true;
    return false;
}

/* Shell commands run on a process pool: a command forks, and a fork from the threaded daemon could copy a
 * lock another thread holds; process-pool workers are single-threaded. */
static void add_default_executor(az_config *cfg, const az_cfg_ini *ini, az_cfg_errors *errs)
{
    if (find_executor(cfg, "default") || section_named(ini, "executor", "default"))
        return;
    add_executor(cfg, &(az_cfg_executor){.name = "default", .type = AZ_CFG_PROCESSPOOL, .workers = 0}, errs);
}

/* ---- tasks ----------------------------------------------------------------------------------------------
 */

/* A task's store and executor must be configured, and a command needs a process pool. */
static int check_task_refs(const az_config *cfg, const az_cfg_ini *ini, const az_cfg_section *sec,
                           const az_cfg_task *t, az_cfg_errors *errs)
{
    const char *store = asyncz_task_store(t->task), *executor = asyncz_task_executor(t->task);
    int rc = 0;
    if (!has_store(cfg, store)) {
        if (!section_named(ini, "store", store))
            az_cfg_error_add(errs, sec->line, "[%s]: no [store %s] section for its store", sec->label, store);
        rc = -1;
    }
    const az_cfg_executor *ex = find_executor(cfg, executor);
    if (!ex) {
        if (!section_named(ini, "executor", executor))
            az_cfg_error_add(errs, sec->line, "[%s]: no [executor %s] section for its executor", sec->label,
                             executor);
        rc = -1;
    } else if (t->shell && ex->type != AZ_CFG_PROCESSPOOL) {
        az_cfg_error_add(errs, sec->line,
                         "[%s]: a command runs on a process pool, and executor '%s' is a %s: name a "
                         "processpool executor",
                         sec->label, executor, ex->type == AZ_CFG_THREADPOOL ? "threadpool" : "loop");
        rc = -1;
    }
    return rc;
}

static int read_task(az_config *cfg, const az_cfg_ini *ini, az_cfg_section *sec, const az_cfg_defaults *d,
                     az_cfg_errors *errs)
{
    az_cfg_task t = {0};
    if (az_cfg_task_build(sec, d, &t, errs) != 0)
        return -1;
    az_cfg_task *tasks = NULL;
    if (check_task_refs(cfg, ini, sec, &t, errs) == 0 &&
        !(tasks = realloc(cfg->tasks, (cfg->n_tasks + 1) * sizeof *cfg->tasks)))
        az_cfg_error_oom(errs);
    if (!tasks) {
        az_cfg_task_clear(&t);
        return -1;
    }
    cfg->tasks = tasks;
    cfg->tasks[cfg->n_tasks++] = t;
    return 0;
}

/* ---- the whole file ---------------------------------------------------------------------------------------
 */

static az_cfg_section *section_of(az_cfg_ini *ini, const char *kind)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->sections[i].kind, kind) == 0)
            return &ini->sections[i];
    return NULL;
}

static void read_kind(az_config *cfg, az_cfg_ini *ini, const char *kind, char **fingerprint,
                      az_cfg_errors *errs)
{
    for (size_t i = 0; i < ini->n; i++) {
        az_cfg_section *sec = &ini->sections[i];
        if (strcmp(sec->kind, kind) != 0)
            continue;
        fingerprint_section(fingerprint, sec, errs);
        if (strcmp(kind, "store") == 0)
            read_store(cfg, sec, errs);
        else
            read_executor(cfg, sec, errs);
    }
}

static void read_tasks(az_config *cfg, az_cfg_ini *ini, const az_cfg_defaults *d, az_cfg_errors *errs)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->sections[i].kind, "task") == 0)
            read_task(cfg, ini, &ini->sections[i], d, errs);
}

/* Keep [scheduler]'s task defaults for tasks made later (az_config_task_defaults). */
static void keep_task_defaults(az_config *cfg, const az_cfg_defaults *d, az_cfg_errors *errs)
{
    cfg->task_grace = d->misfire_grace_time;
    cfg->task_coalesce = d->coalesce;
    cfg->task_max_instances = d->max_instances;
    cfg->task_executor = copy_text(d->executor, errs);
    cfg->task_store = copy_text(d->store, errs);
}

void az_config_task_defaults(const az_config *cfg, az_cfg_defaults *out)
{
    *out = (az_cfg_defaults){.zone = cfg->zone,
                             .misfire_grace_time = cfg->task_grace,
                             .coalesce = cfg->task_coalesce,
                             .max_instances = cfg->task_max_instances,
                             .executor = cfg->task_executor ? cfg->task_executor : "default",
                             .store = cfg->task_store ? cfg->task_store : "default",
                             .hook = &cfg->hook};
}

static void interpret(az_config *cfg, az_cfg_ini *ini, az_cfg_errors *errs)
{
    sched_values v = {.d = {.misfire_grace_time = ASYNCZ_TASK_DEFAULT_GRACE,
                            .coalesce = ASYNCZ_TASK_DEFAULT_COALESCE,
                            .max_instances = ASYNCZ_TASK_DEFAULT_MAX_INSTANCES,
                            .executor = "default",
                            .store = "default",
                            .hook = &cfg->hook}};
    char *fingerprint = NULL;
    read_scheduler(cfg, section_of(ini, "scheduler"), &v, errs);
    append(&fingerprint, v.fingerprint ? v.fingerprint : "", "", "", errs);
    read_kind(cfg, ini, "store", &fingerprint, errs);
    read_kind(cfg, ini, "executor", &fingerprint, errs);
    az_cfg_section *http = section_of(ini, "http");
    if (http)
        fingerprint_section(&fingerprint, http, errs);
    az_cfg_read_http(http, &cfg->http, errs);
    if (cfg->n_stores == 0 && !section_of(ini, "store"))
        add_default_store(cfg, errs);
    add_default_executor(cfg, ini, errs);
    cfg->settings_fingerprint = fingerprint;
    keep_task_defaults(cfg, &v.d, errs);
    /* With a bad timezone the tasks are still checked (in UTC), so that every error shows at once. */
    asyncz_zone *fallback = NULL;
    if (!cfg->zone && asyncz_zone_get(&fallback, "UTC") == 0)
        v.d.zone = fallback;
    if (v.d.zone)
        read_tasks(cfg, ini, &v.d, errs);
    asyncz_zone_unref(fallback);
    free(v.fingerprint);
}

/* A new config, or NULL with out of memory recorded. */
static az_config *config_new(const char *path, az_cfg_errors *errs)
{
    az_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup(path))) {
        free(cfg);
        az_cfg_error_oom(errs);
        return NULL;
    }
    cfg->log_level = AZ_CFG_DEFAULT_LOG_LEVEL;
    cfg->shutdown_timeout = AZ_CFG_DEFAULT_SHUTDOWN_TIMEOUT;
    cfg->hook =
        (az_cfg_hook){.interval = AZ_CFG_DEFAULT_HOOK_INTERVAL, .timeout = AZ_CFG_DEFAULT_HOOK_TIMEOUT};
    cfg->history = AZ_CFG_DEFAULT_HISTORY;
    cfg->run_output_max = ASYNCZ_RUN_OUTPUT_DEFAULT_MAX;
    return cfg;
}

static int finish_load(az_config *cfg, az_cfg_ini *ini, az_config **out, az_cfg_errors *errs)
{
    size_t before = errs->n;
    if (cfg)
        interpret(cfg, ini, errs);
    az_cfg_ini_free(ini);
    az_cfg_errors_sort(errs);
    if (errs->n > 0 || before > 0) {
        az_config_free(cfg);
        *out = NULL;
        return -1;
    }
    *out = cfg;
    return 0;
}

int az_config_load(const char *path, az_config **out, az_cfg_errors *errs)
{
    az_cfg_ini ini;
    *out = NULL;
    if (az_cfg_ini_read(path, &ini, errs) != 0) {
        az_cfg_ini_free(&ini);
        az_cfg_errors_sort(errs);
        return -1;
    }
    return finish_load(config_new(path, errs), &ini, out, errs);
}

int az_config_load_string(const char *text, const char *path, az_config **out, az_cfg_errors *errs)
{
    az_cfg_ini ini;
    *out = NULL;
    az_cfg_ini_read_string(text, &ini, errs);
    return finish_load(config_new(path, errs), &ini, out, errs);
}

void az_config_free(az_config *cfg)
{
    if (!cfg)
        return;
    asyncz_zone_unref(cfg->zone);
    free(cfg->path);
    free(cfg->identity);
    free(cfg->log);
    free(cfg->default_store_dir);
    free(cfg->hook.command);
    az_http_settings_free(&cfg->http);
    for (size_t i = 0; i < cfg->n_plugins; i++)
        free(cfg->plugins[i]);
    free(cfg->plugins);
    for (size_t i = 0; i < cfg->n_stores; i++) {
        free(cfg->stores[i].name);
        free(cfg->stores[i].url);
    }
    free(cfg->stores);
    for (size_t i = 0; i < cfg->n_executors; i++)
        free(cfg->executors[i].name);
    free(cfg->executors);
    for (size_t i = 0; i < cfg->n_tasks; i++)
        az_cfg_task_clear(&cfg->tasks[i]);
    free(cfg->tasks);
    free(cfg->settings_fingerprint);
    free(cfg->task_executor);
    free(cfg->task_store);
    free(cfg);
}
