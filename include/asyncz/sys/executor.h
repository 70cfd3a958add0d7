/* Extension API: the executor contract (docs/executors.md). Less stable than the rest of the API: the
 * ops struct may grow in a later minor version, guarded by `version`.
 *
 * An executor embeds asyncz_executor_base first, fills it with asyncz_executor_base_init() and returns
 * &self->base as its asyncz_executor*. The scheduler decides what runs (misfires, coalescing, max_instances)
 * and hands the executor runs; the executor decides where and when they execute. For each run it receives
 * it must eventually do exactly one of:
 *   - asyncz_run_execute(run), on whatever thread it likes: calls the function for the run's scheduled
 *     time(s) and finishes the run (unless the function returned ASYNCZ_RUN_PENDING, in which case
 *     asyncz_run_complete() finishes it later);
 *   - ship the run elsewhere with asyncz_run_encode(), execute it there with asyncz_run_invoke_encoded(),
 *     and finish it here with asyncz_run_finish_encoded() (what the process pool does);
 *   - asyncz_run_fail(run, ...): finish it without running (shut down, crashed worker, timeout).
 * A finished run must not be touched again. All of these are thread-safe.
 */
#ifndef ASYNCZ_SYS_EXECUTOR_H
#define ASYNCZ_SYS_EXECUTOR_H

#include "asyncz/executor.h"
#include "asyncz/run.h"

ASYNCZ_BEGIN_DECLS

#define ASYNCZ_EXECUTOR_OPS_VERSION 1

/* Flag: submit() runs the function before it returns, on the calling (loop) thread. The scheduler then
 * submits after releasing its lock, so the function may call the scheduler's API. */
#define ASYNCZ_EXECUTOR_INLINE 1u
/* Flag: functions may return ASYNCZ_RUN_PENDING. */
#define ASYNCZ_EXECUTOR_PENDING 2u

/* What a scheduler gives an executor when it starts it. Borrowed; valid until shutdown returns. */
typedef struct asyncz_executor_host {
    asyncz_scheduler *scheduler;
    const char *alias;
} asyncz_executor_host;

typedef struct asyncz_executor_ops {
    uint32_t version; /* ASYNCZ_EXECUTOR_OPS_VERSION */
    const char *name; /* "threadpool", ... */
    unsigned flags;   /* ASYNCZ_EXECUTOR_* */
    /* Get ready to accept runs. Called from the thread that starts the scheduler (or adds the executor to a
     * running one), before the scheduler starts its own thread. May be NULL. Errors: any ASYNCZ_E*. */
    int (*start)(asyncz_executor *ex, const asyncz_executor_host *host);
    /* Take a run. Errors (the run is then not the executor's and the scheduler fails it): ASYNCZ_ESTATE
     * (not started or shutting down), ASYNCZ_ENOMEM. */
    int (*submit)(asyncz_executor *ex, asyncz_run *run);
    /* Stop accepting runs; fail runs that have not started (asyncz_run_fail with ASYNCZ_ESTATE); with wait,
     * return only when every started run has finished. May be called again after a later start. */
    void (*shutdown)(asyncz_executor *ex, bool wait);
    /* Free the executor (after shutdown). */
    void (*destroy)(asyncz_executor *ex);
} asyncz_executor_ops;

typedef struct asyncz_executor_base {
    const asyncz_executor_ops *ops;
} asyncz_executor_base;

#define ASYNCZ_EXECUTOR_BASE(ex) ((asyncz_executor_base *)(ex))

/* Errors: ASYNCZ_EINVAL (NULL, another ops version, submit/shutdown/destroy missing). */
ASYNCZ_API int asyncz_executor_base_init(asyncz_executor_base *base, const asyncz_executor_ops *ops);

/* Execute a run here and now (see above). Returns ASYNCZ_RUN_DONE when the run has finished, or
 * ASYNCZ_RUN_PENDING when its function will complete it later. Before calling the function it checks the
 * misfire grace time against the clock again (a run that waited in a queue too long is reported as
 * TASK_MISSED instead). */
ASYNCZ_API int asyncz_run_execute(asyncz_run *run);

/* Finish a run without running it, reported as TASK_ERROR with code, signal (0 if none) and message. */
ASYNCZ_API void asyncz_run_fail(asyncz_run *run, int code, int signal, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A run as a self-contained JSON message for another process: *out new (free()), *len its length.
 * Errors: ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_run_encode(const asyncz_run *run, char **out, size_t *len);

/* In another process that is a snapshot of the scheduler's (a fork): look up the message's function in
 * s's registry, call it for each scheduled time, and encode the outcome into *out (new, free()).
 * Errors: ASYNCZ_EPARSE (bad message), ASYNCZ_ENOMEM. An unknown function is an outcome, not an error. */
ASYNCZ_API int asyncz_run_invoke_encoded(asyncz_scheduler *s, const char *msg, size_t len, char **out,
                                         size_t *out_len);

/* Finish a run with an outcome made by asyncz_run_invoke_encoded. A malformed outcome fails the run with
 * ASYNCZ_EPARSE. */
ASYNCZ_API void asyncz_run_finish_encoded(asyncz_run *run, const char *outcome, size_t len);

/* The current time by the run's scheduler clock (the injected clock, or the system clock), for executors
 * that judge lateness themselves. */
ASYNCZ_API asyncz_time_t asyncz_run_now(const asyncz_run *run);

ASYNCZ_END_DECLS

#endif
