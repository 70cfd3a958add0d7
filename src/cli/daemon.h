/* `asyncz start`: the daemon (daemon.c) and its parts: logging (daemon_log.c), plugin libraries
 * (plugins.c), and writing the config's tasks to the stores on start and reload (daemon_tasks.c). */
#ifndef AZ_CLI_DAEMON_H
#define AZ_CLI_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "asyncz.h"
#include "config.h"

extern const char az_cli_start_help[];

/* `asyncz start`. */
int az_cli_start(int argc, char **argv);

/* ---- logging (daemon_log.c) -------------------------------------------------------------------------- */

/* Send the log where `log` says (a config's value, NULL: journald when stderr is the journal, else
 * stderr) at level. Returns 0, or -1 with a reason in why. Call before the process pool starts: its
 * workers keep the sink they were forked with. */
int az_daemon_log_setup(const char *log, asyncz_log_level level, char *why, size_t why_size);

/* Whether stderr is connected to the systemd journal ($JOURNAL_STREAM names its device and inode). */
bool az_daemon_stderr_is_journal(void);

/* ---- plugins (plugins.c) ------------------------------------------------------------------------------- */

typedef struct az_plugins {
    void **handles;
    size_t n;
} az_plugins;

/* dlopen every plugin library of cfg (RTLD_NOW) into *p. Returns 0, or -1 with errors recorded (a library
 * that cannot be loaded or has no asyncz_plugin_init). */
int az_plugins_load(const az_config *cfg, az_plugins *p, az_cfg_errors *errs);

/* Call every plugin's asyncz_plugin_init(s). Returns 0, or -1 with errors recorded. */
int az_plugins_init(const az_config *cfg, const az_plugins *p, asyncz_scheduler *s, az_cfg_errors *errs);

/* dlclose everything (the functions must no longer be callable). */
void az_plugins_close(az_plugins *p);

/* ---- tasks (daemon_tasks.c) ------------------------------------------------------------------------------
 */

/* Check that every task of cfg names a function the scheduler has (the shell, or one a plugin registered)
 * and is otherwise acceptable to it, without touching a store: on a scheduler of its own with the shell
 * and the plugins registered. Returns 0, or -1 with errors recorded. */
int az_daemon_check_tasks(const az_config *cfg, const az_plugins *p, az_cfg_errors *errs);

/* Register the shell function (and the plugins' functions) on s. */
int az_daemon_register(asyncz_scheduler *s, const az_config *cfg, const az_plugins *p, az_cfg_errors *errs);

/* What an earlier load of the config wrote: the ids, stores and fingerprints of its tasks. */
typedef struct az_written {
    char **ids, **stores, **fingerprints;
    size_t n;
} az_written;

/* Write cfg's tasks to the running scheduler's stores: replace tasks whose config section changed (all of
 * them when prev is NULL), add missing ones, and remove the tasks prev has that cfg no longer has. *now
 * receives what cfg wrote. Failures are logged; returns the number of tasks that could not be written. */
size_t az_daemon_write_tasks(asyncz_scheduler *s, const az_config *cfg, const az_written *prev,
                             az_written *now);
void az_written_free(az_written *w);

#endif
