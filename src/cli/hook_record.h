/* A failure hook's own run record (hook_record.c): what the hook command printed, kept as a run's output
 * is (the newest bytes), and its outcome, written to the task's run history through the scheduler with
 * source "hook" (asyncz_scheduler_record_run), so that `asyncz history` and `asyncz logs` show it. */
#ifndef AZ_CLI_HOOK_RECORD_H
#define AZ_CLI_HOOK_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "asyncz.h"
#include "shell_job.h"

/* The output of one hook: lines oldest first, at most max_bytes of text (older lines dropped). */
typedef struct az_hook_output {
    asyncz_output_line *lines; /* texts owned */
    size_t n, cap, bytes, max_bytes;
    bool truncated;
} az_hook_output;

/* Keep a line (text borrowed, copied); for az_shell_job_spec.on_line (data: the az_hook_output). Out of
 * memory, the line is dropped and the output marked truncated. */
void az_hook_output_line(void *data, int which, const char *text);
void az_hook_output_free(az_hook_output *o);

/* What a hook was for: the failed run it answers. All borrowed. */
typedef struct az_hook_run {
    const char *task_id, *task_name, *store, *failed_run_id;
    asyncz_time_t scheduled, started, finished;
} az_hook_run;

/* Write the hook's record (rc: az_shell_job_run's return; r: its result when rc is 0) to the run history of
 * the task's store. A failure to write is logged (logger), not returned: the hook itself ran. */
void az_hook_record(asyncz_scheduler *s, const az_hook_run *run, int rc, const az_shell_job_result *r,
                    const az_hook_output *out, const char *logger);

#endif
