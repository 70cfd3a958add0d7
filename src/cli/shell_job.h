/* One shell command line run to its end: /bin/sh -c LINE in its own process group with an environment of
 * the caller's, each line it prints logged, a timeout enforced (SIGTERM to the group, SIGKILL
 * AZ_SHELL_KILL_GRACE_SEC later), and a watchdog process that stops the group if the caller dies first.
 * Used by shell tasks (shell_run.c, in a process-pool worker) and by failure hooks (daemon_hooks.c, on the
 * daemon's hook threads): the forked children only call async-signal-safe functions before exec, so a
 * threaded caller is fine. */
#ifndef AZ_CLI_SHELL_JOB_H
#define AZ_CLI_SHELL_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Seconds between the SIGTERM of a timed-out command's process group and the SIGKILL that follows. */
#define AZ_SHELL_KILL_GRACE_SEC 3

typedef struct az_shell_job_spec {
    const char *line;        /* the command line (borrowed) */
    char *const *envp;       /* its environment, NULL-terminated (borrowed); the values go as they are */
    const char *logger;      /* the logger of its output lines ("asyncz.shell") */
    const char *tag;         /* written as "[TAG] " before each line: the task id */
    int64_t timeout_ms;      /* 0: none */
    const atomic_bool *stop; /* NULL, or a flag another thread sets to stop the command as at a timeout */
    /* NULL, or called with each line as it is logged (which: 0 stdout, 1 stderr; text without its newline,
     * as printed, NUL-terminated; borrowed for the call), on the caller's thread. */
    void (*on_line)(void *data, int which, const char *text);
    void *line_data;
} az_shell_job_spec;

typedef struct az_shell_job_result {
    int status;     /* as waitpid gives it */
    bool timed_out; /* stopped at its timeout */
    bool stopped;   /* stopped because *spec.stop was set */
} az_shell_job_result;

/* Run spec's command and wait for it (and for its output, at most a second past its exit). Returns 0 with
 * *out filled, or a negative errno when the shell could not be started (pipe or fork failed). Any thread;
 * the output is logged with asyncz_log. */
int az_shell_job_run(const az_shell_job_spec *spec, az_shell_job_result *out);

#endif
