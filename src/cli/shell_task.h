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

#endif
