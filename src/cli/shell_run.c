/* The function behind shell-command tasks (AZ_CLI_SHELL_FUNC, see shell_task.h): run the command line with
 * /bin/sh -c in its own process group (shell_job.c), with the run's context in its environment
 * (shell_env.h), log each line it prints with the task id (stdout at info, stderr at warning), and report a
 * non-zero exit, a signal or a timeout as a failed run, in the words of shell_task.h.
 *
 * It runs in a process-pool worker, and its logging goes to the sink the daemon set up before the pool
 * started (inherited with the worker). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "shell_env.h"
#include "shell_job.h"
#include "shell_run.h"
#include "shell_task.h"

#define SHELL_LOGGER "asyncz.shell"

extern char **environ;

/* ---- the outcome ----------------------------------------------------------------------------------------
 */

static void report(asyncz_run *run, const az_shell_job_result *j, const char *timeout_text)
{
    if (j->timed_out) {
        asyncz_run_set_error(run, ASYNCZ_EIO, AZ_SHELL_ERR_TIMEOUT "%s", timeout_text);
        asyncz_run_set_failure(run, ASYNCZ_RUN_TIMED_OUT, -1, 0);
    } else if (WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0) {
        asyncz_run_set_result(run, "{\"exit_status\":0}");
    } else if (WIFEXITED(j->status)) {
        int status = WEXITSTATUS(j->status);
        asyncz_run_set_error(run, ASYNCZ_EIO, AZ_SHELL_ERR_EXIT "%s", status,
                             status == 127 ? " (command not found?)" : "");
        asyncz_run_set_failure(run, ASYNCZ_RUN_FAILED, status, 0);
    } else if (WIFSIGNALED(j->status)) {
        int sig = WTERMSIG(j->status);
        asyncz_run_set_error(run, ASYNCZ_EIO, AZ_SHELL_ERR_SIGNAL " (SIG%s)", sig, sigabbrev_np(sig));
        asyncz_run_set_failure(run, ASYNCZ_RUN_CRASHED, -1, sig);
    }
}

/* The timeout kwarg: 0 when absent; -1 (with the run's error set) when malformed. */
static int64_t timeout_of(asyncz_run *run, const char **text)
{
    *text = NULL;
    if (asyncz_run_kwarg_string(run, AZ_CLI_SHELL_TIMEOUT_KEY, text) != 0)
        return 0;
    int64_t usec;
    if (asyncz_duration_parse(&usec, *text, NULL) != 0 || usec <= 0) {
        asyncz_run_set_error(run, ASYNCZ_EINVAL, "timeout '%s' is not a duration", *text);
        return -1;
    }
    return usec / 1000 > 0 ? usec / 1000 : 1;
}

/* The environment of the run's command: the worker's (the daemon's) and the run's context. */
static int build_env(asyncz_run *run, const az_shell_context *ctx, az_shell_env *env)
{
    az_run_context c = {.task_id = asyncz_run_task_id(run),
                        .task_name = asyncz_run_task_name(run),
                        .run_id = asyncz_run_id(run),
                        .scheduler = ctx ? ctx->identity : NULL,
                        .scheduled = asyncz_run_scheduled_time(run),
                        .fencing_token = asyncz_run_fencing_token(run),
                        .zone = ctx ? ctx->zone : NULL};
    int rc = az_shell_env_init(env, environ);
    if (rc == 0 && (rc = az_shell_env_set_context(env, &c)) != 0)
        az_shell_env_free(env);
    return rc;
}

/* Each line the command prints goes to the run's output too (its record in the run history). */
static void keep_line(void *data, int which, const char *text)
{
    asyncz_run_output(data, which == 0 ? ASYNCZ_OUTPUT_STDOUT : ASYNCZ_OUTPUT_STDERR, text);
}

int az_cli_shell_run(asyncz_run *run, void *userdata)
{
    const char *line, *timeout_text;
    if (asyncz_run_arg_count(run) != 1 || asyncz_run_arg_string(run, 0, &line) != 0) {
        asyncz_run_set_error(run, ASYNCZ_EINVAL, "a shell task has exactly one argument, the command line");
        return ASYNCZ_RUN_DONE;
    }
    int64_t timeout_ms = timeout_of(run, &timeout_text);
    if (timeout_ms < 0)
        return ASYNCZ_RUN_DONE;
    az_shell_env env;
    if (build_env(run, userdata, &env) != 0) {
        asyncz_run_set_error(run, ASYNCZ_ENOMEM, "out of memory for the command's environment");
        return ASYNCZ_RUN_DONE;
    }
    az_shell_job_spec spec = {.line = line,
                              .envp = az_shell_env_items(&env),
                              .logger = SHELL_LOGGER,
                              .tag = asyncz_run_task_id(run),
                              .timeout_ms = timeout_ms,
                              .on_line = keep_line,
                              .line_data = run};
    az_shell_job_result j;
    int rc = az_shell_job_run(&spec, &j);
    az_shell_env_free(&env);
    if (rc) {
        asyncz_run_set_error(run, ASYNCZ_EIO, "cannot start /bin/sh: %s", strerror(-rc));
        return ASYNCZ_RUN_DONE;
    }
    report(run, &j, timeout_text);
    return ASYNCZ_RUN_DONE;
}
