/* Shell-command tasks: how `asyncz add --command` and the daemon's config write them to a store, and how
 * the daemon (`asyncz start`) runs them. A store holds tasks by function name, so a shell command is a task
 * of the function AZ_CLI_SHELL_FUNC that the daemon registers:
 *
 *   func   "asyncz.shell"
 *   args   ["<command line>"]            exactly one string, run as /bin/sh -c '<command line>'
 *   kwargs {"timeout": "<duration>"}     optional; a duration as az_cli_parse_duration reads it ("90s",
 *                                        "1h30m"): the command is stopped after that long and the run fails
 *
 * Any other function name is a function a plugin library registers (see docs/daemon.md). */
#ifndef AZ_CLI_SHELL_TASK_H
#define AZ_CLI_SHELL_TASK_H

#define AZ_CLI_SHELL_FUNC "asyncz.shell"
#define AZ_CLI_SHELL_TIMEOUT_KEY "timeout"

/* How a failed command is reported (the error message of its TASK_ERROR), read back by the failure hooks
 * (hook_rules.c) for ASYNCZ_OUTCOME, ASYNCZ_EXIT_STATUS and ASYNCZ_SIGNAL:
 *   "exit status 3"                        exited with a status other than 0
 *   "killed by signal 9 (SIGKILL)"         ended by a signal
 *   "timed out after 30s"                  stopped at its timeout */
#define AZ_SHELL_ERR_EXIT "exit status %d"
#define AZ_SHELL_ERR_SIGNAL "killed by signal %d"
#define AZ_SHELL_ERR_TIMEOUT "timed out after "

#endif
