/* Internal declarations shared by the files of the asyncz tool. The tool uses only the public API
 * ("asyncz.h"), like any other program would.
 *
 * Functions that can fail because of what the user typed print the reason to stderr themselves and return
 * the exit status to use (AZ_CLI_EXIT_USAGE or AZ_CLI_EXIT_FAILURE); 0 means success.
 */
#ifndef AZ_CLI_H
#define AZ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "asyncz.h"

/* Exit statuses, documented in `asyncz --help` and asyncz(1). */
#define AZ_CLI_EXIT_OK 0
#define AZ_CLI_EXIT_FAILURE 1  /* a runtime failure: the command was well-formed but could not finish */
#define AZ_CLI_EXIT_USAGE 2    /* bad command line or bad input */
#define AZ_CLI_EXIT_NOTFOUND 3 /* the task (or other object) the command names does not exist */

/* Bounds of --count. */
#define AZ_CLI_COUNT_DEFAULT 5
#define AZ_CLI_COUNT_MAX 100000

/* How many trigger options one command line may combine. */
#define AZ_CLI_MAX_TRIGGERS 64

/* ---- help and diagnostics (usage.c, diag.c) ------------------------------------------------------ */

/* One command of the tool (commands.c holds the table). */
typedef struct az_cli_command {
    const char *name;
    const char *summary;               /* one line for `asyncz --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command's name; returns the exit status */
    const char *help;                  /* the full help text: `asyncz help NAME`, `asyncz NAME --help` */
} az_cli_command;

/* Every command, in the order `asyncz --help` lists them; ends with a NULL name. */
extern const az_cli_command az_cli_commands[];

/* The command called name, or NULL. */
const az_cli_command *az_cli_find_command(const char *name);

/* Print the main help (the command list comes from az_cli_commands). */
void az_cli_print_main_help(FILE *f);

/* Print command name's help text (name must be in the table). */
void az_cli_print_command_help(FILE *f, const char *name);

/* Help texts of the commands defined in usage.c. */
extern const char az_cli_preview_help[];
extern const char az_cli_version_help[];

/* `asyncz version`. */
int az_cli_version(int argc, char **argv);

/* Flush stdout: a command's last step. A failed flush (a full disk, a closed pipe) turns success into
 * AZ_CLI_EXIT_FAILURE with a message. */
int az_cli_finish(int rc);

/* Whether arg is -h or --help. */
bool az_cli_is_help_flag(const char *arg);

/* The command being run ("preview"), for the "asyncz preview: " prefix of messages. */
void az_cli_set_command(const char *command);

/* Print "asyncz CMD: OPTION 'VALUE': column N: REASON" (the column only when > 0) and return
 * AZ_CLI_EXIT_USAGE. */
int az_cli_bad_value(const char *option, const char *value, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Print "asyncz CMD: MESSAGE" plus a pointer to --help, and return AZ_CLI_EXIT_USAGE. */
int az_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "asyncz CMD: warning: MESSAGE" (the command goes on). */
void az_cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "asyncz CMD: MESSAGE" and return AZ_CLI_EXIT_FAILURE. */
int az_cli_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag.c: the library's message msg about the store whose masked URL is shown, for a message of the tool that
 * names the store itself: msg without its leading `store URL "shown": ` (a pointer into msg). *named (if not
 * NULL) says whether what is left still names the store ("... sealed records in URL ..."): then the tool's
 * words leave the URL out, so that every message names the store once. */
const char *az_cli_store_reason(const char *shown, const char *msg, bool *named);

/* A message of the printers above, kept instead of printed while diverted. */
typedef struct az_cli_message {
    int status;      /* 0 (none yet), AZ_CLI_EXIT_USAGE or AZ_CLI_EXIT_FAILURE */
    char option[64]; /* the option az_cli_bad_value blamed ("--cron"), else "" */
    char text[1024]; /* the message without the "asyncz CMD: " prefix and the --help hint; for a bad
                        value: "'VALUE': [column N: ]REASON" */
} az_cli_message;

/* Divert az_cli_bad_value, az_cli_usage_error and az_cli_failure into *into (cleared; the first message
 * is kept) instead of stderr; NULL prints to stderr again. For callers that report in their own words:
 * the daemon's config file names file:line:key and reuses the preview's parsers. Per thread: it diverts
 * the messages of the calling thread only. */
void az_cli_divert_messages(az_cli_message *into);

/* Record a message while diverted (ignored otherwise). */
void az_cli_message_set(int status, const char *option, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- option values (values.c, calendar_spec.c, option_value.c) ----------------------------------- */

/* Call right after getopt_long returned code with optarg: when code's option needs a value and getopt_long
 * took the next word for it although that word is an option ("--id --cron X": a word that starts with
 * "--"), print "option --id needs a value" and return AZ_CLI_EXIT_USAGE; else 0. A value starting with a
 * single '-' ("-05:00", "-") is taken; one starting with "--" can be given as --id=VALUE. */
int az_cli_check_option_value(const struct option *options, int code, char *const *argv);

/* Load zone `name` given by `option`. When "local" does not load, the message names TZ (or /etc/localtime
 * when TZ is unset) rather than the option, which the user may not have given. */
int az_cli_parse_zone(const char *option, const char *name, asyncz_zone **out);
int az_cli_parse_time(const char *option, const char *text, const asyncz_zone *zone, asyncz_time_t *out);
int az_cli_parse_duration(const char *option, const char *text, int64_t *out);
int az_cli_parse_count(const char *option, const char *text, size_t *out);
int az_cli_parse_seed(const char *option, const char *text, uint64_t *out);

/* The offset of the first byte of text that is not part of valid UTF-8 (overlong forms, surrogates and code
 * points above U+10FFFF are not valid), or -1 when all of it is. JSON documents take only UTF-8 (jansson's
 * json_string() returns NULL otherwise), so every text the tool puts into one is checked first. */
ptrdiff_t az_cli_utf8_invalid(const char *text);
/* text with each byte that is not valid UTF-8 written as \xHH, for messages; NULL when out of memory. */
char *az_cli_utf8_escape(const char *text);
/* 0 when value is valid UTF-8; else print "OPTION 'VALUE': not valid UTF-8: byte 0xE9 at byte N ..." (the
 * bad bytes escaped) and return AZ_CLI_EXIT_USAGE. */
int az_cli_check_utf8(const char *option, const char *value);
/* A JSON string of text that did not come from the user and is shown as it is (an id read from a store, a
 * path): text that is not UTF-8 is given with its bad bytes as \xHH rather than dropped. NULL only when out
 * of memory. */
json_t *az_cli_json_text(const char *text);
/* Whether the trigger's first run time from now is past the misfire grace time grace (ASYNCZ_GRACE_UNLIMITED:
 * never): a scheduler would count that run as missed at once, and a date trigger would leave the schedule
 * without running. When it is, why (size bytes) says so, starting "is in the past", with the time and
 * what to do (a later time, or grace_option none: "--misfire-grace-time"). past_run.c. */
bool az_cli_first_run_missed(const asyncz_trigger *trigger, int64_t grace, asyncz_time_t now,
                             const char *grace_option, char *why, size_t size);
/* add and update: refuse (exit status 2, blaming the --at that is past) a task that is not paused and has
 * no run request when its trigger's first run would be missed (az_cli_first_run_missed). Returns 0 or
 * AZ_CLI_EXIT_USAGE. */
struct az_preview_args;
int az_cli_refuse_missed_first_run(const struct az_preview_args *trigger_args, const asyncz_task *t);

/* "1mo", "2w", "1y6mo", "3d": whole calendar units y, mo, w, d, not all zero. */
int az_cli_parse_calendar_spec(const char *option, const char *text, asyncz_calendar_interval *out);

/* "HH:MM" or "HH:MM:SS" into ci's hour, minute and second. */
int az_cli_parse_time_of_day(const char *option, const char *text, asyncz_calendar_interval *ci);

/* ---- the preview command -------------------------------------------------------------------------- */

typedef enum az_cli_kind {
    AZ_CLI_CRONTAB,
    AZ_CLI_FIELDS,
    AZ_CLI_INTERVAL,
    AZ_CLI_CALENDAR,
    AZ_CLI_DATE,
    AZ_CLI_SHUTDOWN,
} az_cli_kind;

/* One trigger as given on the command line: its kind and its option's value (borrowed from argv). */
typedef struct az_cli_spec {
    az_cli_kind kind;
    const char *value;
} az_cli_spec;

typedef enum az_cli_combine { AZ_CLI_SINGLE, AZ_CLI_AND, AZ_CLI_OR } az_cli_combine;

/* The trigger words every command that makes a trigger shares (preview, add, update): their getopt_long
 * codes and table entries. A command's own options use codes from AZ_OPT_TRIGGER_END on. */
enum az_cli_trigger_code {
    AZ_OPT_CRON = 256,
    AZ_OPT_YEAR,
    AZ_OPT_MONTH,
    AZ_OPT_DAY,
    AZ_OPT_WEEK,
    AZ_OPT_DAY_OF_WEEK,
    AZ_OPT_HOUR,
    AZ_OPT_MINUTE,
    AZ_OPT_SECOND,
    AZ_OPT_INTERVAL,
    AZ_OPT_CALENDAR,
    AZ_OPT_TIME_OF_DAY,
    AZ_OPT_AT,
    AZ_OPT_SHUTDOWN,
    AZ_OPT_START_DATE,
    AZ_OPT_END_DATE,
    AZ_OPT_TIMEZONE,
    AZ_OPT_JITTER,
    AZ_OPT_JITTER_SEED,
    AZ_OPT_AND,
    AZ_OPT_OR,
    AZ_OPT_TRIGGER_END,
};

/* The struct option entries of the trigger words (for a command's getopt_long table). */
#define AZ_CLI_TRIGGER_LONG_OPTIONS                                                                          \
    {"cron", required_argument, NULL, AZ_OPT_CRON}, {"year", required_argument, NULL, AZ_OPT_YEAR},          \
        {"month", required_argument, NULL, AZ_OPT_MONTH}, {"day", required_argument, NULL, AZ_OPT_DAY},      \
        {"week", required_argument, NULL, AZ_OPT_WEEK},                                                      \
        {"day-of-week", required_argument, NULL, AZ_OPT_DAY_OF_WEEK},                                        \
        {"hour", required_argument, NULL, AZ_OPT_HOUR}, {"minute", required_argument, NULL, AZ_OPT_MINUTE},  \
        {"second", required_argument, NULL, AZ_OPT_SECOND},                                                  \
        {"interval", required_argument, NULL, AZ_OPT_INTERVAL},                                              \
        {"calendar-interval", required_argument, NULL, AZ_OPT_CALENDAR},                                     \
        {"time-of-day", required_argument, NULL, AZ_OPT_TIME_OF_DAY},                                        \
        {"at", required_argument, NULL, AZ_OPT_AT}, {"shutdown", no_argument, NULL, AZ_OPT_SHUTDOWN},        \
        {"start-date", required_argument, NULL, AZ_OPT_START_DATE},                                          \
        {"end-date", required_argument, NULL, AZ_OPT_END_DATE},                                              \
        {"timezone", required_argument, NULL, AZ_OPT_TIMEZONE},                                              \
        {"jitter", required_argument, NULL, AZ_OPT_JITTER},                                                  \
        {"jitter-seed", required_argument, NULL, AZ_OPT_JITTER_SEED},                                        \
        {"and", no_argument, NULL, AZ_OPT_AND},                                                              \
    {                                                                                                        \
        "or", no_argument, NULL, AZ_OPT_OR                                                                   \
    }

/* The preview command line, unparsed values (borrowed from argv). */
typedef struct az_preview_args {
    az_cli_spec specs[AZ_CLI_MAX_TRIGGERS];
    size_t n_specs;
    asyncz_cron_fields fields; /* the field API options; together they make one trigger */
    const char *time_of_day, *from, *start_date, *end_date, *timezone, *jitter, *jitter_seed, *count;
    az_cli_combine combine;
    bool json, help;
    const char *task, *store; /* --task ID (preview a stored task's trigger) and --store URL */
} az_preview_args;

/* The values every trigger of a preview shares, parsed. */
typedef struct az_preview_plan {
    asyncz_zone *zone; /* owned */
    asyncz_time_t from;
    size_t count;
    asyncz_trigger_options opts; /* opts.timezone borrows zone */
} az_preview_plan;

/* Parse argv (argv[0] = "preview") into *args. Any thread: calls are serialised (getopt_long's state is
 * global); the values in *args point into argv. */
int az_cli_preview_parse_args(int argc, char **argv, az_preview_args *args);

/* Record one trigger word (code in AZ_OPT_CRON..AZ_OPT_OR) with its value into *args; options is the
 * command's whole table (for messages). Returns 0 or AZ_CLI_EXIT_USAGE (message printed). */
int az_cli_trigger_option(az_preview_args *args, const struct option *options, int code, const char *value);

/* Whether any trigger word or trigger option was recorded in args. */
bool az_cli_trigger_given(const az_preview_args *args);

/* Parse the values the triggers share (zone, --from or now, --count, dates, jitter) into *plan. On success
 * plan->zone holds a reference the caller releases (also on failure, when not NULL). */
int az_cli_resolve_plan(const az_preview_args *args, az_preview_plan *plan);

/* Make the trigger the arguments describe (a new reference in *out). */
int az_cli_build_trigger(const az_preview_args *args, const az_preview_plan *plan, asyncz_trigger **out);

/* List t's fire times as the plan says (count from plan->from, in plan->zone), as lines or JSON. */
int az_cli_preview_run(const asyncz_trigger *t, const az_preview_plan *plan, bool json);

/* Print fire times, one ISO-8601 line each, in zone. */
int az_cli_print_times(const asyncz_time_t *times, size_t n, const asyncz_zone *zone);

/* Print {"timezone": ..., "run_times": [...], "exhausted": ...} on one line. */
int az_cli_print_json(const asyncz_time_t *times, size_t n, const asyncz_zone *zone, bool exhausted);

/* Preview the trigger of a stored task (preview --task ID [--store URL]): preview_task.c. */
int az_cli_preview_task(const az_preview_args *args);

/* The commands. argv[0] is the command's name. */
int az_cli_preview(int argc, char **argv);

#endif
