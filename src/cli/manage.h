/* Internal declarations of the task-management commands (add, list, inspect, timeline, pause, resume,
 * remove, update, status, instances, doctor): their shared options, the store they work on, and how they
 * show tasks. They reach the store through the public store API (asyncz/store.h: asyncz_store_get_task,
 * asyncz_store_list_tasks, ...), connected with asyncz_store_connect_inspect so that nothing they read is
 * ever quarantined or run. */
#ifndef AZ_CLI_MANAGE_H
#define AZ_CLI_MANAGE_H

#include <jansson.h>

#include "asyncz/audit.h"
#include "asyncz/history.h"
#include "cli.h"
#include "table.h"

/* ---- command lines (cmd_opts.c) -------------------------------------------------------------------- */

/* Codes of the options the management commands share; each command's own start at AZ_OPT_OWN. */
enum az_cli_common_code {
    AZ_OPT_STORE = AZ_OPT_TRIGGER_END + 64,
    AZ_OPT_JSON,
    AZ_OPT_NO_COLOR,
    AZ_OPT_SHOW_ZONE, /* --timezone of the commands that only show times */
    AZ_OPT_OWN,
};

/* Entries for --store, --json, --no-color and -h/--help; add AZ_CLI_SHOW_ZONE_OPTION where --timezone is
 * the zone times are shown in. */
#define AZ_CLI_COMMON_LONG_OPTIONS                                                                           \
    {"store", required_argument, NULL, AZ_OPT_STORE}, {"json", no_argument, NULL, AZ_OPT_JSON},              \
        {"no-color", no_argument, NULL, AZ_OPT_NO_COLOR},                                                    \
    {                                                                                                        \
        "help", no_argument, NULL, 'h'                                                                       \
    }
#define AZ_CLI_SHOW_ZONE_OPTION                                                                              \
    {                                                                                                        \
        "timezone", required_argument, NULL, AZ_OPT_SHOW_ZONE                                                \
    }

/* What the shared options say. */
typedef struct az_cli_common {
    const char *store;    /* --store, else $ASYNCZ_STORE (resolved by az_cli_store_open) */
    const char *timezone; /* --timezone of showing commands (NULL: local) */
    bool json, no_color, help;
} az_cli_common;

/* Handle one option (code from the table) or, with code 1, one positional argument. Returns 0 or an exit
 * status (message printed). */
typedef int (*az_cli_option_fn)(void *ctx, int code, const char *value);

/* Read argv with getopt_long over options, handing every option and positional argument to fn in order;
 * shared options (AZ_OPT_STORE..AZ_OPT_SHOW_ZONE, -h) go to *common instead. Errors name the option. */
int az_cli_parse_options(int argc, char **argv, const struct option *options, az_cli_common *common,
                         az_cli_option_fn fn, void *ctx);

/* The long name of code in options ("?" if none), for messages. */
const char *az_cli_option_name(const struct option *options, int code);

/* Store a value of an option that may be given once; a second one is a usage error. */
int az_cli_set_once(const struct option *options, const char **slot, int code, const char *value);

/* Store the one positional argument a command takes (its task id); a second one is a usage error. */
int az_cli_set_positional(const char **slot, const char *value);

/* Whether tables get colors: stdout is a terminal, NO_COLOR is unset or empty, and no --no-color. */
bool az_cli_use_color(const az_cli_common *common);

/* Print help if asked; returns true when it did (the command then ends with 0). */
bool az_cli_help_requested(const az_cli_common *common, const char *command);

/* Parse a whole number from min to max for option. */
int az_cli_parse_long(const char *option, const char *text, long min, long max, long *out);

/* ---- the store (store_conn.c) ----------------------------------------------------------------------- */

/* A record the store could not read: skipped, left in place, reported. */
typedef struct az_cli_unreadable {
    char *id, *reason;
} az_cli_unreadable;

/* A connected store and what it reported so far. */
typedef struct az_cli_store {
    asyncz_store *st;
    const char *url;
    bool from_env;          /* url is $ASYNCZ_STORE (messages name it), not --store */
    az_cli_unreadable *bad; /* unreadable records, one entry per id */
    size_t n_bad, cap_bad;
    bool quiet;       /* collect unreadable records without printing warnings (doctor reports them itself) */
    char error[512];  /* quiet: why the connection failed */
    bool error_named; /* error names the store (its masked URL) already: a message around it does not */
} az_cli_store;

/* How az_cli_store_open connects. */
enum {
    AZ_CLI_STORE_QUIET = 1,  /* collect unreadable records and the failure without printing (doctor) */
    AZ_CLI_STORE_CREATE = 2, /* create a sqlite:// or file:// store that is not there (add); otherwise a
                                missing one is an error, so a mistyped path creates nothing */
};

/* Open and connect the store of --store (else $ASYNCZ_STORE), with AZ_CLI_STORE_* flags. Exit status 2
 * when neither names one or the URL is malformed, 1 when the store cannot be reached or (without
 * AZ_CLI_STORE_CREATE) does not exist, with the store's reason (quiet: in s->error, not printed). */
int az_cli_store_open(az_cli_store *s, const char *store_option, unsigned flags);
void az_cli_store_close(az_cli_store *s);

/* What a command does with its open store, in the zone of --timezone; ctx is the command's own. */
typedef int (*az_cli_store_fn)(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone,
                               void *ctx);

/* The end of most commands: unless rc (the exit status so far) is already a failure, resolve the zone of
 * --timezone, open the store of --store, call fn, close everything; returns the exit status, with stdout
 * flushed (az_cli_finish). */
int az_cli_with_store(int rc, const az_cli_common *common, az_cli_store_fn fn, void *ctx);

/* url with its password (scheme://user:PASSWORD@...) replaced by "***", fit to print. */
void az_cli_redact_url(const char *url, char *buf, size_t size);

/* Report a failed store operation: exit status 3 for ASYNCZ_ENOTFOUND ("no task with id ..."), 1 for the
 * rest, with asyncz_store_errmsg(). what: "cannot list the tasks". */
int az_cli_store_failed(int rc, const char *what, const char *id);

/* az_cli_store_failed for a call on the task id of the open store s, where ASYNCZ_ENOTFOUND may mean a record
 * that cannot be read (warned about already): then "task ... cannot be read (see the warning above)". */
int az_cli_store_task_failed(az_cli_store *s, int rc, const char *what, const char *id);

/* The task with this id (a copy, the caller's), or exit status 3 with "no task with id ... in the store". */
int az_cli_store_lookup(az_cli_store *s, const char *id, asyncz_task **out);

/* Tasks in the store's order (next run time, paused last): the list owns them, items points into it. */
typedef struct az_task_vec {
    const asyncz_task **items;
    size_t n;
    asyncz_task_list *list;
} az_task_vec;

int az_cli_store_list(az_cli_store *s, az_task_vec *out);
void az_task_vec_free(az_task_vec *v);

/* Write a changed task (same id) back; exit status 3 when it was removed meanwhile. */
int az_cli_store_update(az_cli_store *s, asyncz_task *task);

/* Whether a store's reason for an unreadable record is a zone that does not load on this host (`time zone
 * "NAME" does not load here: WHY`: a scheduler skips and retries such a task, it quarantines nothing); then
 * the zone's name goes into zone (size bytes; may be NULL) and *why (may be NULL) points at WHY in reason.
 * cmd_doctor.c. */
bool az_cli_zone_problem(const char *reason, char *zone, size_t size, const char **why);

/* ---- showing tasks (task_view.c) ------------------------------------------------------------------- */

/* Size of the buffers the view functions write into. */
#define AZ_CLI_TEXT_SIZE 512

/* "scheduled", "paused" (no next run time), or "shutdown" (a shutdown trigger: runs when a scheduler stops).
 */
const char *az_cli_task_state(const asyncz_task *t);

/* The shell command of a shell task (AZ_CLI_SHELL_FUNC), else NULL. Written into buf. */
const char *az_cli_task_command(const asyncz_task *t, char *buf, size_t size);

/* The shell task's timeout duration text, else NULL. Written into buf. */
const char *az_cli_task_timeout(const asyncz_task *t, char *buf, size_t size);

/* What the task runs, for a table: the command of a shell task, else "func" or "func ARGS". */
void az_cli_task_what(const asyncz_task *t, char *buf, size_t size);

/* The trigger as one line (asyncz_trigger_describe), "date[now]" when none. */
void az_cli_task_trigger_text(const asyncz_task *t, char *buf, size_t size);

/* The trigger kind for --trigger filters: "cron", "interval", "calendar", "date", "and", "or", "shutdown". */
const char *az_cli_task_trigger_kind(const asyncz_task *t);

/* The runs ahead, at most count into out (*n of them): a scheduled task's stored next run time and the fire
 * times after it; a paused task's fire times as a resume at `now` would give them; none for a task without
 * a trigger or a shutdown task. Returns 0 or the trigger's error (ASYNCZ_ESEARCH...; the times found before
 * it are in out). Any thread. */
int az_cli_task_next_runs(const asyncz_task *t, size_t count, asyncz_time_t now, asyncz_time_t *out,
                          size_t *n);

/* A time in zone as ISO-8601, or "-" for ASYNCZ_TIME_NONE. */
void az_cli_time_text(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *zone);

/* A grace time: "unlimited" or a duration. */
void az_cli_grace_text(char *buf, size_t size, int64_t grace);

/* Set key (ISO-8601 or null) and key_us (µs or null) on obj. Returns 0 or -1 (out of memory). */
int az_cli_json_set_time(json_t *obj, const char *key, asyncz_time_t t, const asyncz_zone *zone);

/* A task as a JSON object with stable keys; full adds args, kwargs, the trigger document and the options.
 * NULL when out of memory. */
json_t *az_cli_task_json(const asyncz_task *t, const asyncz_zone *zone, bool full);

/* One named field of a task as text: the rows of `inspect` and the lines of `update --dry-run`. */
typedef struct az_cli_field {
    const char *name;
    char value[AZ_CLI_TEXT_SIZE];
} az_cli_field;

#define AZ_CLI_N_FIELDS 16

/* Fill fields[AZ_CLI_N_FIELDS] with every field of t, in a fixed order. */
void az_cli_task_fields(const asyncz_task *t, const asyncz_zone *zone, az_cli_field *fields);

/* The zone of --timezone (default local) as a new reference, or an exit status. */
int az_cli_show_zone(const az_cli_common *common, asyncz_zone **out);

/* ---- showing runs (run_view.c) --------------------------------------------------------------------- */

/* Size of the buffers the run texts below are written into. */
#define AZ_CLI_RUN_TEXT_SIZE 64

/* How long a run took (finished - started): "250ms", "1.5s", "2m10s"; "-" when it never started; a
 * running one's time so far with "+" ("12s+", as of now). */
void az_cli_run_duration_text(char *buf, size_t size, const asyncz_run_record *r, asyncz_time_t now);

/* How late it started (started - scheduled), as a duration; "-" when it never started. */
void az_cli_run_late_text(char *buf, size_t size, const asyncz_run_record *r);

/* How long ago then was, coarsely: "5s ago", "3m ago", "2h ago", "4d ago" ("0s ago" for the future). */
void az_cli_age_text(char *buf, size_t size, asyncz_time_t then, asyncz_time_t now);

/* What went wrong, for a table: the error message, else "exit N" or "signal N", else "" (size bytes). */
void az_cli_run_error_text(char *buf, size_t size, const asyncz_run_record *r);

/* The row style of an outcome: green succeeded, red failed/timed out/crashed/lost, yellow missed/skipped/
 * cancelled, plain running. */
az_table_style az_cli_run_style(asyncz_run_outcome outcome);

/* Whether an outcome counts as a failure in summaries: failed, timed_out, crashed, lost. */
bool az_cli_run_failed(asyncz_run_outcome outcome);

/* Whether a run started late: missed, or started more than AZ_CLI_LATE_USEC after its scheduled time. */
#define AZ_CLI_LATE_USEC ASYNCZ_USEC_PER_SEC
bool az_cli_run_late(const asyncz_run_record *r);

/* A run as a JSON object with stable keys (times as az_cli_json_set_time), its output lines as "output"
 * [{time, time_us, stream, text}] when with_output. NULL when out of memory. */
json_t *az_cli_run_json(const asyncz_run_record *r, const asyncz_zone *zone, bool with_output);

/* An audit entry as `asyncz audit --json` lists it: {id, task_id, action, actor, pid, changes, host, at,
 * at_us}. changes (borrowed; NULL: e->changes parsed here) is the entry's changes as JSON. NULL when out of
 * memory. */
json_t *az_cli_audit_json(const asyncz_audit_entry *e, const asyncz_zone *zone, json_t *changes);

/* One output line as {time, time_us, stream, text}; NULL when out of memory. */
json_t *az_cli_output_line_json(const asyncz_output_line *line, const asyncz_zone *zone);

/* The bit of a name (0 when known), for az_cli_parse_name_set. */
typedef int (*az_cli_name_bit_fn)(const char *name, uint32_t *bit);

/* A comma-separated set of names ("failed,timed_out") as the OR of their bits; a name bit_of does not know
 * is a usage error naming option and saying it is not `what` ("an outcome (running, ...)"). */
int az_cli_parse_name_set(const char *option, const char *text, az_cli_name_bit_fn bit_of, const char *what,
                          uint32_t *bits);

/* A point in time for --since / --until: a duration back from now ("1d", "2h30m") or an ISO-8601 time (in
 * zone when it has no offset). A usage error naming option otherwise. */
int az_cli_parse_point(const char *option, const char *text, const asyncz_zone *zone, asyncz_time_t now,
                       asyncz_time_t *out);

/* The filters `history` and `audit` share, as given on the command line (borrowed from argv). */
typedef struct az_cli_page_args {
    const char *task, *since, *until, *limit, *cursor;
} az_cli_page_args;

/* What they mean: the time range (ASYNCZ_TIME_NONE: open) and the page size. */
typedef struct az_cli_page {
    asyncz_time_t since, until;
    size_t limit;
} az_cli_page;

/* Records per page when --limit is not given. */
#define AZ_CLI_PAGE_LIMIT 50

/* Check a's task id, --since / --until (az_cli_parse_point; until after since), --limit (1 to 10000) and
 * --cursor (its length: the store checks the rest) into *out; a bad one is a usage error naming the option
 * (command: "history" or "audit", for the cursor's message). */
int az_cli_page_check(const az_cli_page_args *a, const asyncz_zone *zone, const char *command,
                      az_cli_page *out);

/* Report a failed history call like az_cli_store_failed (exit status 1 with the store's message); a store
 * that keeps no history (ASYNCZ_EUNSUPPORTED) is said so by name ("the sqlite store keeps no run history").
 */
int az_cli_history_failed(const az_cli_store *s, int rc, const char *what);

/* The newest run of each of n tasks (ids[i]), into last[i] (a copy the caller frees with
 * asyncz_run_record_free; NULL when the task has none). Up to four pages of the store's newest runs first;
 * only when they did not reach back to its oldest run, one query per task they left without a run. Returns 0,
 * ASYNCZ_EUNSUPPORTED (the store keeps no history: every last[i] NULL), or the store's error. */
int az_cli_last_runs(asyncz_store *st, const char *const *ids, size_t n, asyncz_run_record **last);

/* How az_cli_last_runs_with lists runs: asyncz_store_list_runs's arguments, on a store named by ctx. */
typedef int (*az_cli_runs_fn)(void *ctx, const asyncz_history_query *q, asyncz_run_record_fn fn,
                              void *userdata, char *next_cursor);

/* az_cli_last_runs over runs listed by list(ctx, ...): a store a scheduler owns (the HTTP API lists through
 * asyncz_scheduler_list_runs). Same results and errors. Any thread. */
int az_cli_last_runs_with(az_cli_runs_fn list, void *ctx, const char *const *ids, size_t n,
                          asyncz_run_record **last);

/* ---- output (json_out.c) ------------------------------------------------------------------------------ */

/* Print doc (stolen) as one line of JSON on stdout. Returns 0 or exit status 1. */
int az_cli_json_print(json_t *doc);

/* Stream a JSON array without holding it: begin, then item (stolen) per element, then end. */
typedef struct az_json_stream {
    size_t n;
    bool failed;
} az_json_stream;

void az_cli_json_begin(az_json_stream *js);
void az_cli_json_item(az_json_stream *js, json_t *item);
int az_cli_json_end(az_json_stream *js);

/* Print n items as one JSON array: item(i, ctx) makes item i (a new reference; NULL: out of memory). For a
 * long array the items are made on several threads at once, so item must be safe to call from any thread
 * and ctx only read. Returns 0 or exit status 1 (out of memory, stdout not writable). */
typedef json_t *(*az_cli_item_fn)(size_t i, void *ctx);
int az_cli_json_array(size_t n, az_cli_item_fn item, void *ctx);

/* The width tables are fitted to: COLUMNS if it is a whole number from 1 to 100000, else the width of
 * the terminal stdout is, else 0 (not a terminal: no limit). */
size_t az_cli_output_width(void);

/* Print a table to stdout with colors as common says, its flexible columns fitted to
 * az_cli_output_width(). Returns 0 or exit status 1. */
int az_cli_table_print(const az_table *t, const az_cli_common *common);

/* ---- the commands ---------------------------------------------------------------------------------- */

int az_cli_add(int argc, char **argv);
int az_cli_update(int argc, char **argv);
int az_cli_list(int argc, char **argv);
int az_cli_inspect(int argc, char **argv);
int az_cli_timeline(int argc, char **argv);
int az_cli_pause(int argc, char **argv);
int az_cli_resume(int argc, char **argv);
int az_cli_remove(int argc, char **argv);
int az_cli_run(int argc, char **argv);
int az_cli_status(int argc, char **argv);
int az_cli_instances(int argc, char **argv);
int az_cli_doctor(int argc, char **argv);
int az_cli_quarantine(int argc, char **argv);
int az_cli_export(int argc, char **argv);
int az_cli_import(int argc, char **argv);
int az_cli_history(int argc, char **argv);
int az_cli_logs(int argc, char **argv);
int az_cli_audit(int argc, char **argv);

extern const char az_cli_add_help[], az_cli_update_help[], az_cli_list_help[], az_cli_inspect_help[],
    az_cli_timeline_help[], az_cli_pause_help[], az_cli_resume_help[], az_cli_remove_help[],
    az_cli_run_help[], az_cli_audit_help[], az_cli_status_help[], az_cli_instances_help[],
    az_cli_doctor_help[];
extern const char az_cli_quarantine_help[], az_cli_export_help[], az_cli_import_help[];
extern const char az_cli_history_help[], az_cli_logs_help[];

#endif
