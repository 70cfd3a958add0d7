/* A failure hook's run record (hook_record.h). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hook_record.h"

void az_hook_output_line(void *data, int which, const char *text)
{
    az_hook_output *o = data;
    size_t len = strlen(text);
    while (o->n > 0 && o->bytes + len > o->max_bytes) {
        o->bytes -= strlen(o->lines[0].text);
        free((char *)o->lines[0].text);
        memmove(o->lines, o->lines + 1, --o->n * sizeof *o->lines);
        o->truncated = true;
    }
    char *copy = len <= o->max_bytes ? strdup(text) : NULL;
    if (copy && o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        asyncz_output_line *lines = realloc(o->lines, cap * sizeof *lines);
        if (lines) {
            o->lines = lines;
            o->cap = cap;
        }
    }
    if (!copy || o->n == o->cap) {
        free(copy);
        o->truncated = true;
        return;
    }
    o->lines[o->n++] =
        (asyncz_output_line){asyncz_now(), which ? ASYNCZ_OUTPUT_STDERR : ASYNCZ_OUTPUT_STDOUT, copy};
    o->bytes += len;
}

void az_hook_output_free(az_hook_output *o)
{
    for (size_t i = 0; i < o->n; i++)
        free((char *)o->lines[i].text);
    free(o->lines);
    *o = (az_hook_output){0};
}

/* The outcome, exit status, signal and error message of the hook's command. */
static void outcome_of(int rc, const az_shell_job_result *r, asyncz_run_record *rec, char *error, size_t size)
{
    error[0] = '\0';
    if (rc) {
        rec->outcome = ASYNCZ_RUN_FAILED;
        snprintf(error, size, "on_failure hook: cannot start /bin/sh: %s", strerror(-rc));
    } else if (r->stopped) {
        rec->outcome = ASYNCZ_RUN_CANCELLED;
        snprintf(error, size, "on_failure hook stopped: the daemon is stopping");
    } else if (r->timed_out) {
        rec->outcome = ASYNCZ_RUN_TIMED_OUT;
        snprintf(error, size, "on_failure hook timed out (on_failure_timeout)");
    } else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0) {
        rec->outcome = ASYNCZ_RUN_SUCCEEDED;
        rec->exit_status = 0;
    } else if (WIFEXITED(r->status)) {
        rec->outcome = ASYNCZ_RUN_FAILED;
        rec->exit_status = WEXITSTATUS(r->status);
        snprintf(error, size, "on_failure hook failed: exit status %d", rec->exit_status);
    } else {
        rec->outcome = ASYNCZ_RUN_CRASHED;
        rec->signal = WTERMSIG(r->status);
        snprintf(error, size, "on_failure hook failed: killed by signal %d (SIG%s)", rec->signal,
                 sigabbrev_np(rec->signal));
    }
}

void az_hook_record(asyncz_scheduler *s, const az_hook_run *run, int rc, const az_shell_job_result *r,
                    const az_hook_output *out, const char *logger)
{
    if (!s)
        return;
    asyncz_run_record rec;
    asyncz_run_record_init(&rec);
    char error[256], result[128];
    outcome_of(rc, r, &rec, error, sizeof error);
    snprintf(result, sizeof result, "{\"hook_of\":\"%s\"}", run->failed_run_id ? run->failed_run_id : "");
    rec.task_id = run->task_id;
    rec.task_name = run->task_name;
    rec.scheduled_time = run->scheduled;
    rec.source = ASYNCZ_RUN_SOURCE_HOOK;
    rec.submitted_at = rec.started_at = run->started;
    rec.finished_at = run->finished;
    rec.error_code = rec.outcome == ASYNCZ_RUN_SUCCEEDED ? 0 : ASYNCZ_EIO;
    rec.error_message = error[0] ? error : NULL;
    rec.result = run->failed_run_id ? result : NULL;
    rec.output = out->lines;
    rec.n_output = out->n;
    rec.output_truncated = out->truncated;
    int wrc = asyncz_scheduler_record_run(s, run->store, &rec);
    if (wrc && wrc != ASYNCZ_EUNSUPPORTED)
        asyncz_log(ASYNCZ_LOG_WARNING, logger,
                   "task %s: the on_failure hook's run is not in the run history: %s", run->task_id,
                   asyncz_scheduler_errmsg(s));
}
