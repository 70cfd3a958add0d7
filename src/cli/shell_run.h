/* The function the daemon registers as AZ_CLI_SHELL_FUNC (shell_task.h): runs a task's command line. */
#ifndef AZ_CLI_SHELL_RUN_H
#define AZ_CLI_SHELL_RUN_H

#include "asyncz.h"

/* What the daemon tells every command about itself (the userdata of az_cli_shell_run). */
typedef struct az_shell_context {
    const char *identity; /* the scheduler's identity: ASYNCZ_SCHEDULER */
    asyncz_zone *zone;    /* the [scheduler] timezone: ASYNCZ_SCHEDULED_TIME's offset */
} az_shell_context;

/* A task function (asyncz_task_fn): /bin/sh -c ARGS[0] in its own process group with the run's context
 * in its environment (shell_env.h), output logged line by line, optional kwargs {"timeout": DURATION}.
 * userdata: an az_shell_context, or NULL (no ASYNCZ_SCHEDULER, times in UTC). Run it on a process pool
 * only: it forks. */
int az_cli_shell_run(asyncz_run *run, void *userdata);

#endif
