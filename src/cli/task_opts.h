/* The options of `asyncz add` and `asyncz update`: the trigger words of `asyncz preview` plus what the task
 * runs and its options. update changes only what is given. */
#ifndef AZ_CLI_TASK_OPTS_H
#define AZ_CLI_TASK_OPTS_H

#include "manage.h"

enum az_cli_task_code {
    AZ_OPT_COMMAND = AZ_OPT_OWN,
    AZ_OPT_TIMEOUT,
    AZ_OPT_FUNCTION,
    AZ_OPT_ARGS,
    AZ_OPT_KWARGS,
    AZ_OPT_ID,
    AZ_OPT_NAME,
    AZ_OPT_EXECUTOR,
    AZ_OPT_PAUSED,
    AZ_OPT_REPLACE,
    AZ_OPT_GRACE,
    AZ_OPT_COALESCE,
    AZ_OPT_NO_COALESCE,
    AZ_OPT_MAX_INSTANCES,
    AZ_OPT_DRY_RUN,
};

/* Entries both commands take. */
#define AZ_CLI_TASK_LONG_OPTIONS                                                                             \
    {"command", required_argument, NULL, AZ_OPT_COMMAND},                                                    \
        {"timeout", required_argument, NULL, AZ_OPT_TIMEOUT},                                                \
        {"function", required_argument, NULL, AZ_OPT_FUNCTION},                                              \
        {"args", required_argument, NULL, AZ_OPT_ARGS}, {"kwargs", required_argument, NULL, AZ_OPT_KWARGS},  \
        {"name", required_argument, NULL, AZ_OPT_NAME},                                                      \
        {"executor", required_argument, NULL, AZ_OPT_EXECUTOR},                                              \
        {"misfire-grace-time", required_argument, NULL, AZ_OPT_GRACE},                                       \
        {"coalesce", no_argument, NULL, AZ_OPT_COALESCE},                                                    \
        {"no-coalesce", no_argument, NULL, AZ_OPT_NO_COALESCE},                                              \
    {                                                                                                        \
        "max-instances", required_argument, NULL, AZ_OPT_MAX_INSTANCES                                       \
    }

typedef struct az_task_opts {
    const struct option *table; /* the command's getopt table, for messages */
    az_preview_args trigger;    /* the trigger words given */
    const char *command, *timeout, *function, *args, *kwargs, *id, *name, *executor, *grace, *max_instances;
    int coalesce; /* -1: not given */
    bool paused, replace, dry_run;
    const char *positional; /* update's task id */
} az_task_opts;

/* Parse a command line of add or update (table: the command's options). */
int az_cli_task_opts_parse(int argc, char **argv, const struct option *table, az_task_opts *o,
                           az_cli_common *common);

/* Set what the task runs from --command/--timeout/--function/--args/--kwargs, changing only what is given
 * (a new --command makes a function task a shell task and back). */
int az_cli_apply_what(const az_task_opts *o, asyncz_task *t);

/* Set --name, --executor, --misfire-grace-time, --coalesce, --max-instances where given. */
int az_cli_apply_task_options(const az_task_opts *o, asyncz_task *t);

/* Give the task the trigger of the trigger words and its next run time as of now (none when paused). */
int az_cli_apply_trigger(const az_task_opts *o, asyncz_task *t, bool paused);

/* Check the whole task as a scheduler will. */
int az_cli_validate_task(const asyncz_task *t);

#endif
