/* The daemon's config file (`asyncz start --config FILE`): an INI file read with libinih, checked whole
 * before anything starts. docs/daemon.md is the reference of its sections and keys.
 *
 * Reading happens in two steps, each in its own file:
 *   config_ini.c   the file into sections of key = value entries with their line numbers (syntax, unknown
 *                  section kinds, duplicate sections and keys);
 *   config.c       the sections into an az_config: [scheduler], [store NAME], [executor NAME] values, and
 *                  config_task.c: each [task ID] into an asyncz_task with its trigger.
 * Every error names the file, the line and the key; all errors of a file are collected, not just the first.
 */
#ifndef AZ_CLI_CONFIG_H
#define AZ_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncz.h"
#include "http/settings.h"

/* ---- errors ------------------------------------------------------------------------------------- */

typedef struct az_cfg_error {
    int line;      /* 0: about the file as a whole */
    char *message; /* "[task backup] cron: '0 61 * * *': column 3: minute: ..." */
    bool alone;    /* the only error reported for its line: the others there follow from it */
} az_cfg_error;

typedef struct az_cfg_errors {
    az_cfg_error *items;
    size_t n, cap;
    bool failure; /* one of them is a runtime failure (a read error, out of memory), not bad content */
} az_cfg_errors;

/* Bounds of the config file (docs/daemon.md): a file that large is not a config. Lines are bounded by the
 * INI reader (libinih's buffer), and the reader says so. */
#define AZ_CFG_FILE_MAX (4 * 1024 * 1024)

/* Record an error at line (0: none) of the file. Never fails: without memory for the message, the error
 * list ends with "out of memory" (a failure) instead. */
void az_cfg_error_add(az_cfg_errors *e, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, for an error that makes every other one on its line a consequence (a value that is not
 * UTF-8): the others are dropped when the errors are sorted. */
void az_cfg_error_add_alone(az_cfg_errors *e, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a runtime failure: out of memory (message from the caller's point of view) or a read error. */
void az_cfg_error_oom(az_cfg_errors *e);
void az_cfg_errors_free(az_cfg_errors *e);

/* Order the errors by line (stable), as a reader goes through the file, and drop those that follow from an
 * error recorded with az_cfg_error_add_alone. */
void az_cfg_errors_sort(az_cfg_errors *e);

/* The exit status the errors call for: 0 (none), AZ_CLI_EXIT_FAILURE when one is a runtime failure (a
 * read error, out of memory), else AZ_CLI_EXIT_USAGE (bad content). */
int az_cfg_errors_status(const az_cfg_errors *e);

/* Write "PATH:LINE: MESSAGE" (no line when 0) for error i into buf. */
void az_cfg_error_format(const az_cfg_errors *e, size_t i, const char *path, char *buf, size_t size);

/* ---- the INI file as read --------------------------------------------------------------------------- */

typedef struct az_cfg_entry {
    char *key;   /* normalized: '-' written as '_' ("day-of-week" and "day_of_week" are one key) */
    char *value; /* as libinih gives it: surrounding blanks removed, inline " ;" comments cut */
    int line;
    bool used; /* set by the interpreter; an entry nobody used is an unknown key */
} az_cfg_entry;

typedef struct az_cfg_section {
    char *kind;  /* "scheduler", "store", "executor", "task" */
    char *name;  /* "" for [scheduler] */
    char *label; /* as written between the brackets, for messages: "task backup" */
    int line;
    az_cfg_entry *entries;
    size_t n, cap;
} az_cfg_section;

typedef struct az_cfg_ini {
    az_cfg_section *sections;
    size_t n, cap;
} az_cfg_ini;

/* Read path into *ini. Returns 0, or -1 when the file cannot be read at all (an error is recorded);
 * syntax errors are recorded in errs and reading goes on. */
int az_cfg_ini_read(const char *path, az_cfg_ini *ini, az_cfg_errors *errs);
/* The same from text in memory (for tests). */
int az_cfg_ini_read_string(const char *text, az_cfg_ini *ini, az_cfg_errors *errs);
void az_cfg_ini_free(az_cfg_ini *ini);

/* The entry key in section (NULL if absent); marks it used. */
az_cfg_entry *az_cfg_get(az_cfg_section *sec, const char *key);

/* ---- the config as understood --------------------------------------------------------------------- */

typedef enum az_cfg_exec_type { AZ_CFG_PROCESSPOOL, AZ_CFG_THREADPOOL, AZ_CFG_LOOP } az_cfg_exec_type;

typedef struct az_cfg_executor {
    char *name;
    az_cfg_exec_type type;
    unsigned workers; /* 0: the library's default */
} az_cfg_executor;

/* What a store's run history keeps (docs/daemon.md "Run history"). */
typedef struct az_cfg_history {
    bool enabled;
    int64_t max_age;            /* usec; 0: no age limit */
    uint32_t max_runs_per_task; /* 0: no limit */
} az_cfg_history;

#define AZ_CFG_DEFAULT_HISTORY                                                                               \
    ((az_cfg_history){true, ASYNCZ_HISTORY_DEFAULT_MAX_AGE, ASYNCZ_HISTORY_DEFAULT_MAX_RUNS_PER_TASK})

typedef struct az_cfg_store {
    char *name;
    char *url;
    az_cfg_history history; /* [scheduler]'s, with this section's keys over it */
} az_cfg_store;

/* A failure hook (`on_failure`, docs/daemon.md): the shell command the daemon starts when a run of a task
 * fails, at most once per interval per task. */
typedef struct az_cfg_hook {
    char *command;    /* NULL: none (no on_failure, or `on_failure =` empty) */
    int64_t interval; /* usec between two hooks of a task, the failures in between counted; 0: no limit */
    int64_t timeout;  /* usec: the hook's command is stopped after this long */
    int line;         /* of the on_failure key that set command; 0: none */
} az_cfg_hook;

#define AZ_CFG_DEFAULT_HOOK_INTERVAL (60 * ASYNCZ_USEC_PER_SEC)
#define AZ_CFG_DEFAULT_HOOK_TIMEOUT (60 * ASYNCZ_USEC_PER_SEC)

typedef struct az_cfg_task {
    char *id;
    asyncz_task *task; /* complete but for its next run time (computed when it is added) */
    bool shell;        /* a `command` task (function AZ_CLI_SHELL_FUNC) */
    char *fingerprint; /* the section's entries and the defaults it used: equal means unchanged */
    int line;          /* of its section header */
    int func_line;     /* of its `function` or `command` key */
    az_cfg_hook hook;  /* its failure hook: its own keys over the [scheduler] ones */
    /* Why the daemon leaves this task out of the schedule ("[task X] at: '...' is in the past: ..."), or
     * NULL: a one-shot whose time has passed. Not an error, so that a config keeps working after its
     * one-shot tasks have run; `--check` and the daemon's log say it at its line. */
    char *not_scheduled;
    int not_scheduled_line;
} az_cfg_task;

typedef struct az_config {
    char *path;
    /* [scheduler] */
    asyncz_zone *zone; /* owned; "local" unless `timezone` says otherwise */
    char *identity;    /* NULL: the library's default */
    asyncz_log_level log_level;
    char *log;    /* "stderr", "journald", "syslog", "json", "file:PATH"; NULL: journald when stderr is the
                     journal, else stderr */
    int log_line; /* of the `log` key; 0: none */
    int64_t shutdown_timeout;
    char **plugins; /* as written */
    size_t n_plugins;
    int plugins_line;
    char *default_store_dir; /* the directory of the default store, when the config has no [store] */
    az_cfg_hook hook;        /* [scheduler] on_failure...: the hook of every task without its own */
    az_cfg_history history;  /* [scheduler] history...: every store's default */
    size_t run_output_max;   /* [scheduler] run_output_max: output bytes kept per run */
    az_http_settings http;   /* [http]: the HTTP API and console (http.enabled: the section is there) */
    /* sections */
    az_cfg_store *stores;
    size_t n_stores;
    az_cfg_executor *executors;
    size_t n_executors;
    az_cfg_task *tasks;
    size_t n_tasks;
    /* Everything but the tasks, to tell on reload whether a restart is needed for it. */
    char *settings_fingerprint;
    /* [scheduler]'s task defaults, kept for tasks made after loading (the HTTP API builds them with
     * az_cfg_task_build): see az_config_task_defaults. */
    int64_t task_grace;
    bool task_coalesce;
    uint32_t task_max_instances;
    char *task_executor, *task_store; /* owned */
} az_config;

/* Defaults of [scheduler]. */
#define AZ_CFG_DEFAULT_SHUTDOWN_TIMEOUT (30 * ASYNCZ_USEC_PER_SEC)
#define AZ_CFG_DEFAULT_LOG_LEVEL ASYNCZ_LOG_INFO

/* Read and check the config file at path. On success *out is new (free with az_config_free). On failure
 * (-1) errs holds at least one error and *out is NULL. Nothing outside the file is touched: stores are
 * neither opened nor connected (a store URL is only parsed), plugins are not loaded, so a function name is
 * checked later by az_daemon_check_functions. */
int az_config_load(const char *path, az_config **out, az_cfg_errors *errs);
/* The same from text in memory; path is used in messages only (for tests). */
int az_config_load_string(const char *text, const char *path, az_config **out, az_cfg_errors *errs);
void az_config_free(az_config *cfg);

/* The default store's URL of a config without [store] sections (see docs/daemon.md): SQLite in
 * $STATE_DIRECTORY (systemd), else /var/lib/asyncz for root, else $XDG_STATE_HOME/asyncz (or
 * ~/.local/state/asyncz). Writes the directory to dir (without creating it). */
int az_cfg_default_store(char *url, size_t url_size, char *dir, size_t dir_size);

/* ---- internal steps (config_task.c, used by config.c) ------------------------------------------------ */

/* The [scheduler] values a task inherits. */
typedef struct az_cfg_defaults {
    asyncz_zone *zone; /* borrowed */
    int64_t misfire_grace_time;
    bool coalesce;
    uint32_t max_instances;
    const char *executor;
    const char *store;
    const az_cfg_hook *hook; /* borrowed */
} az_cfg_defaults;

/* The defaults cfg's [scheduler] gives a task (what a [task] section of the file inherits), into *out: its
 * pointers borrow from cfg, which must outlive their use. Any thread (cfg is read only). */
void az_config_task_defaults(const az_config *cfg, az_cfg_defaults *out);

/* Build the task of a [task ID] section into *out. Returns 0, or -1 with errors recorded. */
int az_cfg_task_build(az_cfg_section *sec, const az_cfg_defaults *d, az_cfg_task *out, az_cfg_errors *errs);

/* Build the trigger of sec's trigger keys (cron, interval, the field keys, timezone, combine...: the words of
 * `asyncz preview`) into *out (a new reference), in zone unless sec has a timezone (zone borrowed).
 * Relative triggers (interval, calendar-interval) count from `from`, or from the whole second of now when
 * from is ASYNCZ_TIME_NONE. Marks the trigger keys used; other entries are left alone. Returns 0, or -1
 * with errors recorded ("[label] cron: '...': column 3: ..." at the entry's line). Any thread. */
int az_cfg_trigger_build(az_cfg_section *sec, asyncz_zone *zone, asyncz_time_t from, asyncz_trigger **out,
                         az_cfg_errors *errs);

/* Mark a section's task (not paused) whose first run would be counted as missed at once, a past `at =`
 * beyond misfire_grace_time (az_cli_first_run_missed): out->not_scheduled says why, at the `at` line, and
 * the daemon leaves the task out. Returns 0, or -1 with "out of memory" recorded. past_run.c. */
int az_cfg_task_check_first_run(az_cfg_section *sec, az_cfg_task *out, az_cfg_errors *errs);
void az_cfg_task_clear(az_cfg_task *t);

/* Value parsers shared by the interpreter: each records "[label] key: ..." and returns -1 on a bad value. */
int az_cfg_parse_bool(const az_cfg_section *sec, const az_cfg_entry *e, bool *out, az_cfg_errors *errs);
int az_cfg_parse_uint(const az_cfg_section *sec, const az_cfg_entry *e, uint32_t min, uint32_t max,
                      uint32_t *out, az_cfg_errors *errs);
int az_cfg_parse_duration(const az_cfg_section *sec, const az_cfg_entry *e, bool allow_none, int64_t *out,
                          az_cfg_errors *errs);

/* Read the on_failure, on_failure_interval and on_failure_timeout keys of sec into *out (its command
 * owned), each absent one taken from inherit (NULL: none and the defaults). `on_failure =` empty means no
 * hook. In a [task] section an interval or timeout without a command in effect is an error. Returns 0, or
 * -1 with errors recorded (*out then holds nothing to free). */
int az_cfg_read_hook(az_cfg_section *sec, const az_cfg_hook *inherit, az_cfg_hook *out, az_cfg_errors *errs);

/* Read the history keys of sec (history, history_max_age, history_max_runs_per_task) into *out, each
 * absent one taken from inherit. Returns 0, or -1 with errors recorded. config_history.c. */
int az_cfg_read_history(az_cfg_section *sec, const az_cfg_history *inherit, az_cfg_history *out,
                        az_cfg_errors *errs);
/* Read [scheduler] run_output_max ("64K", "1M", bytes; at most ASYNCZ_RUN_OUTPUT_MAX) into *out when set. */
int az_cfg_read_output_max(az_cfg_section *sec, size_t *out, az_cfg_errors *errs);
/* A size as the config writes it: "65536", "64K", "64KiB", "1M", "1MiB" (K = 1024). Bytes, or -1 when it is
 * not a size (or above 1 TiB). */
long long az_cfg_parse_size(const char *text);
/* Read the [http] section (sec may be NULL: no server) into *out (config_http.c). Returns 0, or -1 with
 * errors recorded (out is then still safe to free). */
int az_cfg_read_http(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs);

/* Report an entry's unknown key: every entry of sec not marked used. */
void az_cfg_report_unused(const az_cfg_section *sec, az_cfg_errors *errs);

#endif
