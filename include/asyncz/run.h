/* Runs: one execution of a task's function, and what the function sees of it.
 *
 * A registered function is called with a run context (asyncz_run) and the userdata given at registration.
 * Everything it reads from the context is borrowed and valid until the run completes. It returns:
 *   ASYNCZ_RUN_DONE     finished; the run is reported as TASK_EXECUTED (or TASK_ERROR if it called
 *                       asyncz_run_set_error), with the result set by asyncz_run_set_result if any;
 *   ASYNCZ_RUN_PENDING  (loop executor only) not finished yet: it will call asyncz_run_complete() later,
 *                       from any thread (the counterpart of an asyncz coroutine task);
 *   a negative ASYNCZ_E* code: failed; reported as TASK_ERROR with that code (and the message set by
 *                       asyncz_run_set_error, if any).
 */
#ifndef ASYNCZ_RUN_H
#define ASYNCZ_RUN_H

#include "asyncz/common.h"
#include "asyncz/history.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_run asyncz_run;
typedef struct asyncz_scheduler asyncz_scheduler;

#define ASYNCZ_RUN_DONE 0
#define ASYNCZ_RUN_PENDING 1

/* A task function. run: borrowed (see above). userdata: as registered. */
typedef int (*asyncz_task_fn)(asyncz_run *run, void *userdata);

/* The task being run: its id, name and function name (borrowed). */
ASYNCZ_API const char *asyncz_run_task_id(const asyncz_run *run);
ASYNCZ_API const char *asyncz_run_task_name(const asyncz_run *run);
ASYNCZ_API const char *asyncz_run_func(const asyncz_run *run);

/* The id of the occurrence being executed (borrowed, valid until the run completes): a UUIDv7 in its
 * canonical text form (36 characters, lower-case), time-sortable, made when the run was submitted. Each
 * scheduled time of a run (several when a task does not coalesce) is its own occurrence with its own id;
 * the events about an occurrence (asyncz_event.run_id) and its run history record carry the same id. */
ASYNCZ_API const char *asyncz_run_id(const asyncz_run *run);

/* The time this run was scheduled for (the trigger's fire time, not the time it started). */
ASYNCZ_API asyncz_time_t asyncz_run_scheduled_time(const asyncz_run *run);

/* How many scheduled run times this run stands for (1, or more when coalesced). */
ASYNCZ_API uint32_t asyncz_run_coalesced(const asyncz_run *run);

/* The fencing token of the store's claim on this occurrence: a number that grows with every claim of the
 * task, so a function writing elsewhere can reject writes from a scheduler whose lease was taken over. The
 * memory store issues tokens too; they only matter for shared stores. */
ASYNCZ_API uint64_t asyncz_run_fencing_token(const asyncz_run *run);

/* The scheduler running it (borrowed). */
ASYNCZ_API asyncz_scheduler *asyncz_run_scheduler(const asyncz_run *run);

/* ---- arguments ----------------------------------------------------------------------------------- */

/* The task's args (a JSON array) and kwargs (a JSON object) as compact JSON text. */
ASYNCZ_API const char *asyncz_run_args_json(const asyncz_run *run);
ASYNCZ_API const char *asyncz_run_kwargs_json(const asyncz_run *run);

/* Number of positional arguments. */
ASYNCZ_API size_t asyncz_run_arg_count(const asyncz_run *run);

/* Typed access to one positional argument (index from 0) or keyword argument (by key). Strings are borrowed.
 * Errors: ASYNCZ_ENOTFOUND (no such index or key), ASYNCZ_EINVAL (another JSON type; an integer getter
 * accepts only integers, the double getter integers and reals). */
ASYNCZ_API int asyncz_run_arg_int(const asyncz_run *run, size_t index, int64_t *out);
ASYNCZ_API int asyncz_run_arg_double(const asyncz_run *run, size_t index, double *out);
ASYNCZ_API int asyncz_run_arg_bool(const asyncz_run *run, size_t index, bool *out);
ASYNCZ_API int asyncz_run_arg_string(const asyncz_run *run, size_t index, const char **out);
ASYNCZ_API int asyncz_run_kwarg_int(const asyncz_run *run, const char *key, int64_t *out);
ASYNCZ_API int asyncz_run_kwarg_double(const asyncz_run *run, const char *key, double *out);
ASYNCZ_API int asyncz_run_kwarg_bool(const asyncz_run *run, const char *key, bool *out);
ASYNCZ_API int asyncz_run_kwarg_string(const asyncz_run *run, const char *key, const char **out);

/* ---- outcome ------------------------------------------------------------------------------------- */

/* Report a result as JSON text (borrowed, copied; any JSON value). It is carried by the TASK_EXECUTED
 * event. Errors: ASYNCZ_EPARSE (not JSON), ASYNCZ_ETOOBIG (over ASYNCZ_TASK_ARGS_MAX), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_run_set_result(asyncz_run *run, const char *json);

/* Report a failure: the run ends as TASK_ERROR with this code (a negative ASYNCZ_E* code, or any non-zero
 * value of the caller's own) and message (printf format). The function should then return. */
ASYNCZ_API void asyncz_run_set_error(asyncz_run *run, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* How the failure this run reports (asyncz_run_set_error, or an error returned) is to be recorded in the run
 * history and its event (asyncz_event.outcome): ASYNCZ_RUN_FAILED (the default), ASYNCZ_RUN_TIMED_OUT (the
 * function stopped what it supervised at a time limit) or ASYNCZ_RUN_CRASHED (what it ran died), with the
 * exit status of a process that exited (-1: none) and the signal that ended one (0: none). For a function
 * that runs a process, as the daemon's shell tasks do. Call it before returning the error. Errors:
 * ASYNCZ_EINVAL (another outcome, exit_status over 255, signal negative). */
ASYNCZ_API int asyncz_run_set_failure(asyncz_run *run, asyncz_run_outcome kind, int exit_status, int signal);

/* Attach a line of output to the run (text borrowed, copied; a trailing newline is dropped; bytes that are
 * not UTF-8 are kept as U+FFFD). It is kept with the run's record in the run history (asyncz/history.h),
 * the newest asyncz_scheduler_options.run_output_max bytes of it (default 64 KiB; older lines are dropped
 * and the record says so). The daemon attaches what a shell command prints. While the run goes on, the
 * scheduler writes its record again with the output so far (at most once a second), so the lines show
 * before it ends. Call it from the function, on the thread running it (a pending run's: the thread that
 * will complete it), before the run ends. Errors: ASYNCZ_EINVAL (NULL text, a stream that is not
 * ASYNCZ_OUTPUT_*), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_run_output(asyncz_run *run, asyncz_output_stream stream, const char *text);

/* Finish a run whose function returned ASYNCZ_RUN_PENDING. status: ASYNCZ_RUN_DONE or a negative error, as a
 * function's return value. Thread-safe; call it exactly once; the run must not be used afterwards. */
ASYNCZ_API void asyncz_run_complete(asyncz_run *run, int status);

ASYNCZ_END_DECLS

#endif
