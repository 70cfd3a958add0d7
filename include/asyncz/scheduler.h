/* The scheduler: stores of tasks, executors that run them, and the loop that fires them (docs/scheduler.md).
 *
 * One I/O-free core (asyncz_scheduler_process) decides what is due at a given time and when to wake next.
 * Three run modes drive it:
 *   - its own thread:          asyncz_scheduler_start()      (returns at once)
 *   - blocking in the caller:  asyncz_scheduler_run()        (returns after asyncz_scheduler_shutdown())
 *   - embedded in your loop:   asyncz_scheduler_start_embedded(), then watch asyncz_scheduler_fd() for
 *                              readability and call asyncz_scheduler_dispatch() (see adapters/libuv.h,
 *                              adapters/libevent.h).
 * Every function may be called from any thread; the loop is woken through an eventfd. Functions return 0
 * or a negative ASYNCZ_E* code; asyncz_scheduler_errmsg() then says what was wrong.
 */
#ifndef ASYNCZ_SCHEDULER_H
#define ASYNCZ_SCHEDULER_H

#include "asyncz/common.h"
#include "asyncz/event.h"
#include "asyncz/run.h"
#include "asyncz/task.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_store asyncz_store;
typedef struct asyncz_executor asyncz_executor;

/* A clock: the current time in microseconds since the epoch. Injected for virtual time in tests. */
typedef asyncz_time_t (*asyncz_clock_fn)(void *userdata);

/* The options of a scheduler. Fill them with asyncz_scheduler_options_init(), then set what you need.
 *
 * The struct can grow. Its first member, `version`, says which layout of it the program was built with:
 * asyncz_scheduler_options_init() sets it to this header's ASYNCZ_SCHEDULER_OPTIONS_VERSION. A release that
 * adds a field adds it at the end and raises the version; the library then reads from a struct of an older
 * version only the fields that version had and uses the defaults for the others, so a program built against
 * an older header keeps working without a rebuild. A struct with version 0 (not filled by the _init
 * function) or a version newer than the library knows (the program was built against a newer header than
 * the library it runs with) is refused with ASYNCZ_EINVAL. The same rule holds for asyncz_trigger_options
 * and asyncz_processpool_options. Version 1: the fields below. */
#define ASYNCZ_SCHEDULER_OPTIONS_VERSION 2

typedef struct asyncz_scheduler_options {
    uint32_t version;           /* the layout: set by asyncz_scheduler_options_init(), do not change */
    asyncz_zone *timezone;      /* default zone of triggers made by the scheduler; NULL: "local" (borrowed) */
    const char *identity;       /* this scheduler's name in shared stores; NULL: "<hostname>:<pid>" */
    asyncz_clock_fn clock;      /* NULL: the system clock (asyncz_now) */
    void *clock_userdata;       /* passed to clock */
    int64_t misfire_grace_time; /* task default (ASYNCZ_TASK_DEFAULT_GRACE) */
    bool coalesce;              /* task default (true) */
    uint32_t max_instances;     /* task default (1) */
    uint32_t batch_size;        /* due tasks claimed per store round (default 256) */
    int64_t lease_usec;         /* lease on claimed tasks in shared stores (default 30 s) */
    int64_t poll_interval_usec; /* how often shared stores are looked at for others' changes (default 1 s) */
    int64_t heartbeat_usec;     /* heartbeat period in shared stores (default 10 s); a scheduler silent for
                                   3 periods is lost: another one reports its runs in flight */
    /* ---- version 2 ---- */
    size_t run_output_max; /* output bytes kept per run (asyncz_run_output; default 64 KiB, 0: none, at most
                              ASYNCZ_RUN_OUTPUT_MAX) */
} asyncz_scheduler_options;

#define ASYNCZ_RUN_OUTPUT_DEFAULT_MAX (64u * 1024u)
#define ASYNCZ_RUN_OUTPUT_MAX (1024u * 1024u)

/* Fill opts, a struct of the layout `version` (ASYNCZ_SCHEDULER_OPTIONS_VERSION of the header it was built
 * with), with every default and set opts->version; nothing past that layout is written. For bindings that
 * lay the struct out themselves; C programs call asyncz_scheduler_options_init(). Errors: ASYNCZ_EINVAL
 * (opts NULL; version 0 or newer than the library knows: then only opts->version is written, and
 * asyncz_scheduler_errmsg() says why). */
ASYNCZ_API int asyncz_scheduler_options_init_version(asyncz_scheduler_options *opts, uint32_t version);

/* Fill every option with its default and set opts->version to this header's version. */
static inline void asyncz_scheduler_options_init(asyncz_scheduler_options *opts)
{
    (void)asyncz_scheduler_options_init_version(opts, ASYNCZ_SCHEDULER_OPTIONS_VERSION);
}

/* Make a stopped scheduler with no stores or executors; a "default" memory store and a "default" thread
 * pool executor are added when it starts if none were given under that alias. opts: borrowed, may be NULL
 * (every default), else filled by asyncz_scheduler_options_init() first (see its version above).
 * Errors: ASYNCZ_EINVAL (a bad option, or opts->version 0 or unknown), ASYNCZ_EZONE, ASYNCZ_ENOMEM,
 * ASYNCZ_EIO (eventfd/epoll failed). */
ASYNCZ_API int asyncz_scheduler_new(asyncz_scheduler **out, const asyncz_scheduler_options *opts);

/* Shut down (waiting for running tasks) if running, and free everything (NULL-safe). */
ASYNCZ_API void asyncz_scheduler_free(asyncz_scheduler *s);

/* What the last failing call on this thread to a scheduler function found wrong (thread-local; "" if
 * none). Valid until the next scheduler call on this thread. */
ASYNCZ_API const char *asyncz_scheduler_errmsg(const asyncz_scheduler *s);

/* ---- functions --------------------------------------------------------------------------------- */

/* Register fn under `name` (borrowed, copied; the rules of a task's func) with userdata (passed to every
 * call). Tasks name the functions they call; store content never names code that was not registered.
 * Registering a name again replaces it. Functions for a process pool must be registered before the pool
 * starts: its workers are a snapshot of this process at that moment. Errors: ASYNCZ_EINVAL, ENOMEM. */
ASYNCZ_API int asyncz_scheduler_register(asyncz_scheduler *s, const char *name, asyncz_task_fn fn,
                                         void *userdata);

/* ---- lifecycle ----------------------------------------------------------------------------------- */

typedef enum asyncz_scheduler_state {
    ASYNCZ_STATE_STOPPED = 0,
    ASYNCZ_STATE_RUNNING = 1,
    ASYNCZ_STATE_PAUSED = 2,
} asyncz_scheduler_state;

#define ASYNCZ_START_PAUSED 1u /* start without processing until asyncz_scheduler_resume() */

/* Start on a new thread. Adds the default store and executor if missing, opens the stores, starts the
 * executors, computes the first wake-up, emits SCHEDULER_START. Errors: ASYNCZ_ESTATE (already running),
 * ASYNCZ_EIO, ASYNCZ_ESTORE (a store failed to open), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_scheduler_start(asyncz_scheduler *s, unsigned flags);

/* Start and run the loop in the calling thread until asyncz_scheduler_shutdown() is called (from another
 * thread, a task or a listener). Returns 0 after a clean shutdown. Errors as asyncz_scheduler_start. */
ASYNCZ_API int asyncz_scheduler_run(asyncz_scheduler *s, unsigned flags);

/* Start without a thread: the application's loop watches asyncz_scheduler_fd() and calls
 * asyncz_scheduler_dispatch() when it is readable. Errors as asyncz_scheduler_start. */
ASYNCZ_API int asyncz_scheduler_start_embedded(asyncz_scheduler *s, unsigned flags);

/* The fd to watch for readability in embedded mode (an epoll fd; -1 before start_embedded). Do not read or
 * close it. */
ASYNCZ_API int asyncz_scheduler_fd(const asyncz_scheduler *s);

/* Embedded mode: do whatever is ready (fire due tasks, finish runs, deliver events) without blocking.
 * Call it when the fd is readable; calling it at other times is harmless. *next_timeout_ms (may be NULL)
 * receives the milliseconds until the scheduler next needs a call even if the fd stays quiet (-1: none);
 * the fd becomes readable by itself at that time, so loops that only watch the fd need not use it.
 * Errors: ASYNCZ_ESTATE (not started embedded). */
ASYNCZ_API int asyncz_scheduler_dispatch(asyncz_scheduler *s, int *next_timeout_ms);

/* The I/O-free core, for custom loops and tests: fire everything due at `now` (by the given time, not the
 * clock) and put the next time anything is due in *next_wakeup (ASYNCZ_TIME_NONE: nothing scheduled; may
 * be NULL). Runs on inline executors (loop, debug) complete before it returns. When PAUSED it does nothing.
 * Errors: ASYNCZ_ESTATE (the scheduler is STOPPED). */
ASYNCZ_API int asyncz_scheduler_process(asyncz_scheduler *s, asyncz_time_t now, asyncz_time_t *next_wakeup);

/* Stop processing (SCHEDULER_PAUSED); tasks stay scheduled and running ones finish. */
ASYNCZ_API int asyncz_scheduler_pause(asyncz_scheduler *s);
/* Process again (SCHEDULER_RESUMED); what was missed is handled by the misfire rules. */
ASYNCZ_API int asyncz_scheduler_resume(asyncz_scheduler *s);

/* Stop: run each task whose trigger is a shutdown trigger once, stop the loop, shut down the executors
 * (waiting for running tasks when wait is true), close the stores, emit SCHEDULER_SHUTDOWN. The scheduler
 * can be started again. From a task or listener running on the loop thread, it returns at once and the loop
 * stops after the current round. A task running on a thread pool must pass wait = false (waiting would wait
 * for itself). In embedded mode, call it from the thread that dispatches. Errors: ASYNCZ_ESTATE (not
 * running). */
ASYNCZ_API int asyncz_scheduler_shutdown(asyncz_scheduler *s, bool wait);

ASYNCZ_API asyncz_scheduler_state asyncz_scheduler_get_state(const asyncz_scheduler *s);

/* This scheduler's identity: its name in shared stores' claims and heartbeats, and in run records (the
 * options' identity, or "<hostname>:<pid>" of the process that made it). Borrowed, valid until
 * asyncz_scheduler_free; NULL for a NULL scheduler. Any thread. */
ASYNCZ_API const char *asyncz_scheduler_identity(const asyncz_scheduler *s);

/* ---- stores and executors ------------------------------------------------------------------------- */

/* Whether alias is a valid store or executor alias: 1..64 bytes (ASYNCZ_TASK_ALIAS_MAX) of [A-Za-z0-9._-].
 * NULL is not. The rule every function taking an alias applies; for tools that check aliases before they
 * reach the library (a config file). Thread-safe; alias is borrowed. */
ASYNCZ_API bool asyncz_alias_valid(const char *alias);

/* Add a store under alias (1..64 bytes of [A-Za-z0-9._-]); the scheduler takes ownership of store, also on
 * error (it is freed). Errors: ASYNCZ_EEXISTS (alias taken), ASYNCZ_EINVAL, ASYNCZ_ESTORE (open failed). */
ASYNCZ_API int asyncz_scheduler_add_store(asyncz_scheduler *s, const char *alias, asyncz_store *store);
/* Close and free the store under alias (its tasks stay in the store). Errors: ASYNCZ_ENOTFOUND. */
ASYNCZ_API int asyncz_scheduler_remove_store(asyncz_scheduler *s, const char *alias);

/* Add an executor under alias; ownership as add_store. Errors: ASYNCZ_EEXISTS, EINVAL, and the executor's
 * start errors. */
ASYNCZ_API int asyncz_scheduler_add_executor(asyncz_scheduler *s, const char *alias, asyncz_executor *ex);
/* Shut the executor down (waiting for its runs) and free it. Errors: ASYNCZ_ENOTFOUND. */
ASYNCZ_API int asyncz_scheduler_remove_executor(asyncz_scheduler *s, const char *alias);

/* ---- tasks -------------------------------------------------------------------------------------- */

#define ASYNCZ_REPLACE_EXISTING 1u /* add_task: replace a task with the same id instead of failing */

/* Add a task (borrowed: the scheduler stores a copy). Missing pieces are filled as asyncz does: an id
 * (generated, and written back into *task so the caller learns it), a date trigger at now when there is
 * none, the scheduler's defaults, the next run time from the trigger (none: the task is added paused).
 * Before start, tasks go to their store as soon as it exists (they wait if it is added later). Emits
 * TASK_ADDED. Errors: ASYNCZ_EINVAL (invalid task), ASYNCZ_ENOTFOUND (function not registered; store or
 * executor alias unknown once started), ASYNCZ_EEXISTS (id taken, without ASYNCZ_REPLACE_EXISTING),
 * ASYNCZ_ESEARCH (the trigger cannot compute its first time), ASYNCZ_ESTORE, ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_scheduler_add_task(asyncz_scheduler *s, asyncz_task *task, unsigned flags);

/* A copy of the task with this id (new; free with asyncz_task_free). store: an alias, or NULL to search
 * every store. Errors: ASYNCZ_ENOTFOUND. */
ASYNCZ_API int asyncz_scheduler_get_task(asyncz_scheduler *s, asyncz_task **out, const char *id,
                                         const char *store);

/* A list of tasks: copies (asyncz_scheduler_list_tasks) or the store's own immutable tasks
 * (asyncz_store_list_tasks, store.h). Read-only; NULL-safe (a NULL list is empty). */
typedef struct asyncz_task_list asyncz_task_list;
ASYNCZ_API size_t asyncz_task_list_count(const asyncz_task_list *list);
/* The task at i (borrowed, valid until the list is freed; NULL when i is out of range). Copy it
 * (asyncz_task_copy) to change it. */
ASYNCZ_API const asyncz_task *asyncz_task_list_at(const asyncz_task_list *list, size_t i);
/* How many tasks the store held when asyncz_store_list_tasks read it, and how many of them its filter
 * matched before the offset and limit cut the list (for "3 of 120 shown" and paging). For a list of
 * asyncz_scheduler_list_tasks, both are the count. */
ASYNCZ_API size_t asyncz_task_list_stored(const asyncz_task_list *list);
ASYNCZ_API size_t asyncz_task_list_matched(const asyncz_task_list *list);
ASYNCZ_API void asyncz_task_list_free(asyncz_task_list *list);

/* Every task of one store (or of all, store NULL), each store's in order of next run time (ties in the
 * order they were scheduled), paused tasks last. *out is new. Errors: ASYNCZ_ENOTFOUND (store alias). */
ASYNCZ_API int asyncz_scheduler_list_tasks(asyncz_scheduler *s, asyncz_task_list **out, const char *store);

/* Replace a stored task's fields with those of `task` (borrowed), found by its id in its store alias. The
 * next run time is taken as given (use reschedule to recompute it from a new trigger). Emits TASK_MODIFIED.
 * Errors: ASYNCZ_ENOTFOUND, ASYNCZ_EINVAL, ASYNCZ_ESTORE. */
ASYNCZ_API int asyncz_scheduler_update_task(asyncz_scheduler *s, const asyncz_task *task);

/* Give a task a new trigger (borrowed; a reference is taken) and the next run time it computes now.
 * Emits TASK_MODIFIED. Errors: ASYNCZ_ENOTFOUND, ASYNCZ_ESEARCH. */
ASYNCZ_API int asyncz_scheduler_reschedule_task(asyncz_scheduler *s, const char *id, const char *store,
                                                asyncz_trigger *trigger);

/* Pause a task (no next run time) or resume it (next run time from its trigger as of now; a resumed task
 * whose trigger is exhausted is removed, as asyncz does). Emit TASK_MODIFIED (TASK_REMOVED).
 * Errors: ASYNCZ_ENOTFOUND. */
ASYNCZ_API int asyncz_scheduler_pause_task(asyncz_scheduler *s, const char *id, const char *store);
ASYNCZ_API int asyncz_scheduler_resume_task(asyncz_scheduler *s, const char *id, const char *store);

/* Run a task once now, outside its schedule (which is not changed), subject to max_instances: the run is
 * submitted on the next loop round with now as its scheduled time. Errors: ASYNCZ_ENOTFOUND,
 * ASYNCZ_ESTATE (scheduler stopped). */
ASYNCZ_API int asyncz_scheduler_run_task(asyncz_scheduler *s, const char *id, const char *store);

/* Remove one task (TASK_REMOVED), or every task of a store or of all (ALL_TASKS_REMOVED). Running
 * instances finish. Errors: ASYNCZ_ENOTFOUND. */
ASYNCZ_API int asyncz_scheduler_remove_task(asyncz_scheduler *s, const char *id, const char *store);
ASYNCZ_API int asyncz_scheduler_remove_all_tasks(asyncz_scheduler *s, const char *store);

/* ---- listeners ------------------------------------------------------------------------------------ */

/* Call fn for every event whose code is in mask. *out_id (may be NULL) receives a handle for removal.
 * Errors: ASYNCZ_EINVAL, ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_scheduler_add_listener(asyncz_scheduler *s, uint32_t mask, asyncz_listener_fn fn,
                                             void *userdata, uint64_t *out_id);
/* Errors: ASYNCZ_ENOTFOUND. After it returns, the listener is not called again except by a dispatch
 * already under way on another thread. */
ASYNCZ_API int asyncz_scheduler_remove_listener(asyncz_scheduler *s, uint64_t id);

/* ---- scope-bound scheduler (GCC/Clang) ------------------------------------------------------------- */

/* Release hook for ASYNCZ_AUTO_SCHEDULER: shuts down (waiting) and frees. */
static inline void asyncz_scheduler_autofree_(asyncz_scheduler **s)
{
    asyncz_scheduler_free(*s);
}

/* Declare a scheduler pointer that is shut down and freed when it goes out of scope, the counterpart of
 * asyncz's `with scheduler:` block:
 *     ASYNCZ_AUTO_SCHEDULER(s) = NULL;
 *     if (asyncz_scheduler_new(&s, NULL) != 0) return 1;
 *     asyncz_scheduler_start(s, 0);
 *     ...   // leaving the block shuts it down */
#define ASYNCZ_AUTO_SCHEDULER(name)                                                                          \
    __attribute__((cleanup(asyncz_scheduler_autofree_))) asyncz_scheduler *name

ASYNCZ_END_DECLS

#endif
