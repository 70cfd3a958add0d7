/* Executors: where task functions run (docs/executors.md). An executor is made, then handed to a scheduler
 * (asyncz_scheduler_add_executor) under an alias that tasks name; the scheduler owns it from then on.
 * Custom executors: see asyncz/sys/executor.h. */
#ifndef ASYNCZ_EXECUTOR_H
#define ASYNCZ_EXECUTOR_H

#include "asyncz/common.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_executor asyncz_executor;

#define ASYNCZ_DEFAULT_MAX_WORKERS 10

/* Runs functions on the scheduler's loop thread, one after another. A function may return
 * ASYNCZ_RUN_PENDING and finish later with asyncz_run_complete() (from any thread): the run counts against
 * max_instances until then. Long functions delay the loop: use it for short or asynchronous work.
 * Errors: ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_executor_loop_new(asyncz_executor **out);

/* Runs functions on a pool of max_workers threads (0: ASYNCZ_DEFAULT_MAX_WORKERS), started with the
 * scheduler. Runs wait in a queue when every worker is busy. Errors: ASYNCZ_EINVAL, ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_executor_threadpool_new(asyncz_executor **out, unsigned max_workers);

typedef struct asyncz_processpool_options {
    unsigned max_workers; /* 0: ASYNCZ_DEFAULT_MAX_WORKERS */
    int64_t timeout_usec; /* per run: a worker still running after this is killed (SIGKILL) and the run
                             reported as TASK_ERROR; 0: no limit */
} asyncz_processpool_options;

/* Runs functions in worker processes. The workers are forked, when the scheduler starts (or the pool is
 * added to a running scheduler), from a helper process that is itself a snapshot of this process at that
 * moment; so functions must be registered before, and the program should not have started other threads
 * yet. Workers are never forked from a threaded parent: a worker that crashes or is killed is replaced by
 * the helper, and its run is reported as TASK_ERROR with the signal. Arguments go to the worker and results
 * come back as JSON; userdata given at registration is the snapshot's copy. The helper starts as an exec'd
 * program would: descriptors marked close-on-exec are closed and caught signals reset to their default
 * action (descriptors without the flag stay open for the functions). A function may not return
 * ASYNCZ_RUN_PENDING here. opts may be NULL.
 * Errors: ASYNCZ_EINVAL, ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_executor_processpool_new(asyncz_executor **out, const asyncz_processpool_options *opts);

/* Runs functions inline in the thread that submits them (the loop thread), logging each run at info level;
 * for debugging. A function may not return ASYNCZ_RUN_PENDING here. Errors: ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_executor_debug_new(asyncz_executor **out);

/* The executor's kind ("loop", "threadpool", "processpool", "debug" or a custom name). Borrowed. */
ASYNCZ_API const char *asyncz_executor_kind(const asyncz_executor *ex);

/* Free an executor not handed to a scheduler (NULL-safe). */
ASYNCZ_API void asyncz_executor_free(asyncz_executor *ex);

ASYNCZ_END_DECLS

#endif
