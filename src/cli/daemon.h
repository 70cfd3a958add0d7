/* `asyncz start`: the daemon (daemon.c) and its parts: logging (daemon_log.c), plugin libraries
 * (plugins.c), and writing the config's tasks to the stores on start and reload (daemon_tasks.c). */
#ifndef AZ_CLI_DAEMON_H
#define AZ_CLI_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "asyncz.h"
#include "config.h"
#include "shell_run.h"

extern const char az_cli_start_help[];

/* `asyncz start`. */
int az_cli_start(int argc, char **argv);

/* ---- logging (daemon_log.c) -------------------------------------------------------------------------- */

/* Send the log where `log` says (a config's value, NULL: journald when stderr is the journal, else
 * stderr) at level. Returns 0, or -1 with a reason in why. Call before the process pool starts: its
 * workers keep the sink they were forked with. */
int az_daemon_log_setup(const char *log, asyncz_log_level level, char *why, size_t why_size);

/* Check what `log` names without starting to log: a file that can be opened for appending (or made; it is
 * not made here), a syslog socket that accepts a connection. Returns 0, or -1 with a reason in why. */
int az_daemon_log_check(const char *log, char *why, size_t why_size);

/* With a `file:` log: have every process of the daemon open the file again before its next line (after
 * logrotate moved it; SIGHUP). Returns whether the log is a file. */
bool az_daemon_log_reopen(void);

/* Whether stderr is connected to the systemd journal ($JOURNAL_STREAM names its device and inode). */
bool az_daemon_stderr_is_journal(void);

/* ---- the runs going (daemon_runs.c) ---------------------------------------------------------------------
 */

/* The run times submitted and not yet finished, fed by a listener on the loop thread and read by the main
 * thread (a lock inside). */
typedef struct az_runs {
    pthread_mutex_t lock;
    struct az_run_entry *items;
    size_t n, cap;
} az_runs;

void az_runs_init(az_runs *r);
void az_runs_free(az_runs *r);

/* Take one event: TASK_SUBMITTED adds its run times; TASK_EXECUTED, TASK_ERROR and TASK_MISSED end the run
 * of their store, task and scheduled time (an outcome of no submitted run is ignored). Returns false when
 * out of memory (a run was not recorded). */
bool az_runs_on_event(az_runs *r, const asyncz_event *ev);

/* How many submitted runs have not finished. */
size_t az_runs_going(az_runs *r);

/* ---- executors (daemon_exec.c) ------------------------------------------------------------------------ */

/* An executor made of two of one kind (ownership of both taken, also on error): main takes the runs until
 * az_daemon_exec_final_phase(), final the runs after (the shutdown tasks'). Errors: ASYNCZ_ENOMEM. */
int az_daemon_exec_new(asyncz_executor **out, asyncz_executor *main, asyncz_executor *final);

/* Stop the runs still going on main (a process pool kills its busy workers) and fail its queued runs.
 * Call once the scheduler is paused. */
void az_daemon_exec_stop_running(asyncz_executor *ex);

/* From now on runs go to final. */
void az_daemon_exec_final_phase(asyncz_executor *ex);

/* Stop the runs going on final (the shutdown tasks that outlived their time). Any thread. */
void az_daemon_exec_stop_final(asyncz_executor *ex);

/* ---- failure hooks (daemon_hooks.c) -------------------------------------------------------------------- */

typedef struct az_hooks az_hooks;

/* New failure hooks (none configured, no thread yet). Each hook's run is recorded in s's run history (its
 * output, up to output_max bytes; s NULL: none). s, identity (ASYNCZ_SCHEDULER) and zone (of
 * ASYNCZ_SCHEDULED_TIME; NULL: UTC) are borrowed and must outlive h. Errors: ASYNCZ_ENOMEM. */
int az_hooks_new(az_hooks **out, asyncz_scheduler *s, size_t output_max, const char *identity,
                 const asyncz_zone *zone);

/* Take the on_failure settings of cfg (copied; cfg stays the caller's): each config task's own, and
 * [scheduler]'s for every other task. On start and on reload, from the main thread. Errors: ASYNCZ_ENOMEM
 * (the previous settings stay). */
int az_hooks_configure(az_hooks *h, const az_config *cfg);

/* Start the threads that run the hooks. Call after the scheduler started (its process pools fork their
 * helper before any thread exists). Errors: ASYNCZ_ENOMEM (no thread at all; hooks then wait forever). */
int az_hooks_start(az_hooks *h);

/* From a listener: a TASK_ERROR that is a failure of the run (az_hook_classify) queues the task's hook,
 * unless it has none or its rate limit holds it back (logged). Never blocks for long: a short lock, no I/O
 * but logging. Other events are ignored. Any thread. */
void az_hooks_on_event(az_hooks *h, const asyncz_event *ev);

/* Whether no hook is waiting or running. Any thread. */
bool az_hooks_idle(az_hooks *h);

/* Stop (h NULL: nothing): no new hooks, the waiting ones dropped (logged), the running ones' commands stopped
 * (SIGTERM to their process groups, SIGKILL AZ_SHELL_KILL_GRACE_SEC later). Returns at once. Any thread. */
void az_hooks_abort(az_hooks *h);

/* Take no new hooks, let the threads finish what is queued (all of it unless az_hooks_abort was called:
 * call it first to bound the wait) and join them; free h. NULL-safe. Main thread. */
void az_hooks_free(az_hooks *h);

/* ---- reloading (daemon_settings.c) ------------------------------------------------------------------- */

/* Compare the settings fingerprints of two configs (az_config.settings_fingerprint): the changed
 * [scheduler] task defaults, which apply to the tasks now ("timezone, coalesce"), go to defaults, and the
 * changes that take effect at the next start ("[scheduler] log_level, [store x]") to restart; each "" when
 * none. */
void az_daemon_settings_changes(const char *before, const char *after, char *defaults, size_t dsize,
                                char *restart, size_t rsize);

/* ---- identity (daemon_identity.c) --------------------------------------------------------------------- */

/* Before the scheduler starts: with a configured [scheduler] identity, refuse (exit status 1, message
 * printed) when a live process on this host heartbeats under it in one of the stores, and log a warning
 * when a scheduler of another host does. Returns 0 or AZ_CLI_EXIT_FAILURE. */
int az_daemon_check_identity(const az_config *cfg);

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

/* Register the shell function (and the plugins' functions) on s. shell: what the commands are told about
 * the daemon (borrowed: it must outlive s and its process pools' workers; NULL when only checking). */
int az_daemon_register(asyncz_scheduler *s, const az_config *cfg, const az_plugins *p,
                       const az_shell_context *shell, az_cfg_errors *errs);

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
