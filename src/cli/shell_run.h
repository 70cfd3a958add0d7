/* The function the daemon registers as AZ_CLI_SHELL_FUNC (shell_task.h): runs a task's command line. */
#ifndef AZ_CLI_SHELL_RUN_H
#define AZ_CLI_SHELL_RUN_H

#include "asyncz.h"

/* Seconds between the SIGTERM of a timed-out command's process group and the SIGKILL that follows. */
#define AZ_SHELL_KILL_GRACE_SEC 3

/* A task function (asyncz_task_fn): /bin/sh -c ARGS[0] in its own process group, output logged line by
 * line, optional kwargs {"timeout": DURATION}. Run it on a process pool only: it forks. */
int az_cli_shell_run(asyncz_run *run, void *userdata);

#endif
