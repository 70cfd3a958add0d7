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

/* The options of a process pool. Fill them with asyncz_processpool_options_init(), then set what you need.
 * The struct can grow, as asyncz_scheduler_options does (asyncz/scheduler.h): `version`, set by the _init
 * function, says which layout the program was built with; the library reads only the fields of that
 * version and uses the defaults for later ones. Version 0 (not filled by the _init function) or one newer
 * than the library knows is refused with ASYNCZ_EINVAL, the reason logged by the "asyncz.executor" logger.
 * Version 1: the fields below. */
#define ASYNCZ_PROCESSPOOL_OPTIONS_VERSION 1

typedef struct asyncz_processpool_options {
    uint32_t version;     /* the layout: set by asyncz_processpool_options_init(), do not change */
    unsigned max_workers; /* 0: ASYNCZ_DEFAULT_MAX_WORKERS */
    int64_t timeout_usec; /* per run: a worker still running after this is killed (SIGKILL) and the run
                             reported as TASK_ERROR; 0: no limit */
} asyncz_processpool_options;

/* Fill opts, a struct of the layout `version` (ASYNCZ_PROCESSPOOL_OPTIONS_VERSION of the header it was
 * built with), with the defaults (max_workers 0, no timeout) and set opts->version; nothing past that layout
 * is written. For bindings; C programs call asyncz_processpool_options_init(). Errors: ASYNCZ_EINVAL (opts
 * NULL; version 0 or newer than the library knows: then only opts->version is written). */
ASYNCZ_API int asyncz_processpool_options_init_version(asyncz_processpool_options *opts, uint32_t version);

/* Fill every option with its default and set opts->version to this header's version. */
static inline void asyncz_processpool_options_init(asyncz_processpool_options *opts)
{
    (void)asyncz_processpool_options_init_version(opts, ASYNCZ_PROCESSPOOL_OPTIONS_VERSION);
}

/* Runs functions in worker processes. The workers are forked, when the scheduler starts (or the pool is
 * added to a running scheduler), from a helper process that is itself a snapshot of this process at that
 * moment; so functions must be registered before, and the program should not have started other threads
 * yet. Workers are never forked from a threaded parent: a worker that crashes or is killed is replaced by
 * the helper, and its run is reported as TASK_ERROR with the signal. Arguments go to the worker and results
 * come back as JSON; userdata given at registration is the snapshot's copy. The helper starts as an exec'd
 * program would: descriptors marked close-on-exec are closed and caught signals reset to their default
 * action (descriptors without the flag stay open for the functions). A function may not return
 * ASYNCZ_RUN_PENDING here. opts may be NULL (the defaults), else filled by asyncz_processpool_options_init()
 * first. Errors: ASYNCZ_EINVAL (a bad option, or opts->version 0 or unknown), ASYNCZ_ENOMEM. */
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
