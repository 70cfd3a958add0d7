/* Run history (docs/history.md): one record per occurrence a scheduler handles, kept in the task's store,
 * visible from every scheduler and tool that uses the store, pruned by retention settings.
 *
 * A record is written when the occurrence is submitted (outcome ASYNCZ_RUN_RUNNING) and written again,
 * under the same run id, when it ends; occurrences that never run (missed, skipped) are written once. A
 * store without history support (a custom store whose ops table predates version 4, or leaves the history
 * ops NULL) keeps none: the functions below then fail with ASYNCZ_EUNSUPPORTED.
 *
 * Records handed to a callback are borrowed for the call; records returned through an out pointer belong to
 * the caller (asyncz_run_record_free). Functions return 0 or a negative ASYNCZ_E* code with a message
 * (asyncz_store_errmsg() for the store functions, asyncz_scheduler_errmsg() for the scheduler's). */
#ifndef ASYNCZ_HISTORY_H
#define ASYNCZ_HISTORY_H

#include "asyncz/common.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_store asyncz_store;

/* The text form of a run id: a UUIDv7, 36 characters, and the NUL (see asyncz_run_id in asyncz/run.h). */
#define ASYNCZ_RUN_ID_SIZE 37

/* What became of an occurrence. The values are stored: never renumbered. */
typedef enum asyncz_run_outcome {
    ASYNCZ_RUN_RUNNING = 0,   /* submitted, not finished (or its scheduler has not said yet) */
    ASYNCZ_RUN_SUCCEEDED = 1, /* the function returned done (TASK_EXECUTED) */
    ASYNCZ_RUN_FAILED = 2,    /* the function failed (TASK_ERROR) */
    ASYNCZ_RUN_TIMED_OUT = 3, /* the executor stopped it at its time limit (TASK_ERROR) */
    ASYNCZ_RUN_CRASHED = 4,   /* the process running it died, by a signal or an exit (TASK_ERROR) */
    ASYNCZ_RUN_MISSED = 5,    /* not run: past the task's grace time (TASK_MISSED) */
    ASYNCZ_RUN_SKIPPED = 6,   /* not run: the task already ran max_instances times (TASK_MAX_INSTANCES) */
    ASYNCZ_RUN_LOST = 7,      /* its scheduler died, or the release could not be confirmed (TASK_LOST) */
    ASYNCZ_RUN_CANCELLED = 8, /* not run or not finished: the scheduler shut down without waiting */
} asyncz_run_outcome;

#define ASYNCZ_RUN_OUTCOME_COUNT 9
/* The bit of one outcome in asyncz_history_query.outcomes. */
#define ASYNCZ_RUN_OUTCOME_BIT(o) (1u << (unsigned)(o))

/* Why an occurrence ran. Stored values: never renumbered. */
typedef enum asyncz_run_source {
    ASYNCZ_RUN_SOURCE_SCHEDULE = 0, /* its trigger fired */
    ASYNCZ_RUN_SOURCE_REQUEST = 1,  /* a run request (asyncz_task_request_run, `asyncz run`) */
    ASYNCZ_RUN_SOURCE_SHUTDOWN = 2, /* a shutdown-trigger task, run as the scheduler stops */
    ASYNCZ_RUN_SOURCE_HOOK = 3,     /* a command the application ran for the task (the daemon's failure hook):
                                       asyncz_scheduler_record_run */
} asyncz_run_source;

/* The name of an outcome ("running", "succeeded", "failed", "timed_out", "crashed", "missed", "skipped",
 * "lost", "cancelled") or of a source ("schedule", "request", "shutdown", "hook"); "unknown" for other
 * values. Static storage. */
ASYNCZ_API const char *asyncz_run_outcome_name(asyncz_run_outcome outcome);
ASYNCZ_API const char *asyncz_run_source_name(asyncz_run_source source);
/* The outcome / source of a name as above (exact, lower case). Errors: ASYNCZ_EINVAL (NULL or unknown). */
ASYNCZ_API int asyncz_run_outcome_parse(const char *name, asyncz_run_outcome *out);
ASYNCZ_API int asyncz_run_source_parse(const char *name, asyncz_run_source *out);

/* The stream of an output line. */
typedef enum asyncz_output_stream {
    ASYNCZ_OUTPUT_STDOUT = 1,
    ASYNCZ_OUTPUT_STDERR = 2,
    ASYNCZ_OUTPUT_NOTE = 3, /* attached by the function or the scheduler, not read from a stream */
} asyncz_output_stream;

/* One line of a run's output (without its newline). */
typedef struct asyncz_output_line {
    asyncz_time_t time;
    asyncz_output_stream stream;
    const char *text;
} asyncz_output_line;

/* One occurrence. Strings may be NULL when unknown; times are ASYNCZ_TIME_NONE when not reached. */
typedef struct asyncz_run_record {
    char run_id[ASYNCZ_RUN_ID_SIZE]; /* the key: a UUIDv7, time-sortable */
    const char *task_id;
    const char *task_name;
    const char *store_alias;      /* the alias of the task's store in the recording scheduler */
    asyncz_time_t scheduled_time; /* the trigger's fire time (or the requested time) */
    uint32_t coalesced;           /* how many due run times it stands for (>= 1) */
    asyncz_run_source source;
    const char *scheduler; /* the recording scheduler's identity */
    const char *host;      /* its host name */
    int64_t pid;           /* its process id */
    uint64_t fencing_token;
    asyncz_time_t submitted_at; /* when the scheduler handled the occurrence: submitted, missed or skipped */
    asyncz_time_t started_at;
    asyncz_time_t finished_at;
    asyncz_run_outcome outcome;
    int error_code;            /* FAILED, TIMED_OUT, CRASHED, LOST: an ASYNCZ_E* code or the function's own */
    int exit_status;           /* a process that exited: its status; -1 when none */
    int signal;                /* CRASHED by a signal: the signal, else 0 */
    const char *error_message; /* what went wrong, or NULL */
    const char *result;        /* SUCCEEDED: the JSON text the function reported, or NULL */
    const asyncz_output_line *output; /* n_output lines, oldest first (only when asked for) */
    size_t n_output;
    bool output_truncated; /* older output was dropped to keep the last bytes */
} asyncz_run_record;

/* Set every field of rec to "nothing known yet": NULL strings, ASYNCZ_TIME_NONE times, coalesced 1,
 * exit_status -1, outcome RUNNING, an empty run id. */
ASYNCZ_API void asyncz_run_record_init(asyncz_run_record *rec);

/* Deep-copy rec (borrowed) into a new record *out that owns all its strings and lines. Errors: ASYNCZ_EINVAL
 * (NULL), ASYNCZ_ENOMEM. Any thread. */
ASYNCZ_API int asyncz_run_record_copy(asyncz_run_record **out, const asyncz_run_record *rec);

/* Free a record made by asyncz_run_record_copy or returned by a get function (NULL-safe). */
ASYNCZ_API void asyncz_run_record_free(asyncz_run_record *rec);

/* ---- queries --------------------------------------------------------------------------------------- */

#define ASYNCZ_HISTORY_QUERY_VERSION 1
/* The text of a cursor, and its NUL. */
#define ASYNCZ_HISTORY_CURSOR_SIZE 64
/* Records per page when limit is 0, and the most a page may ask for. */
#define ASYNCZ_HISTORY_DEFAULT_LIMIT 100
#define ASYNCZ_HISTORY_MAX_LIMIT 10000

/* Which records to list, newest first (by run id). Strings are borrowed for the call. */
typedef struct asyncz_history_query {
    uint32_t version;      /* ASYNCZ_HISTORY_QUERY_VERSION: fill with asyncz_history_query_init */
    const char *task_id;   /* only this task's runs; NULL: every task */
    uint32_t outcomes;     /* ASYNCZ_RUN_OUTCOME_BIT()s of the outcomes wanted; 0: every outcome */
    asyncz_time_t since;   /* submitted_at >= since; ASYNCZ_TIME_NONE: no lower bound */
    asyncz_time_t until;   /* submitted_at < until; ASYNCZ_TIME_NONE: no upper bound */
    const char *scheduler; /* only the runs this scheduler identity recorded; NULL: every scheduler */
    size_t limit;          /* at most this many (0: ASYNCZ_HISTORY_DEFAULT_LIMIT; over the maximum: EINVAL) */
    const char *cursor;    /* "" or NULL: from the newest; else a cursor a previous page handed back */
    bool with_output;      /* hand out the output lines too (else n_output is 0) */
} asyncz_history_query;

/* Fill q (a struct of the layout `version`) with the defaults: every task, outcome, time and scheduler, the
 * default limit, no cursor, no output. Errors: ASYNCZ_EINVAL (NULL; version 0 or newer than the library). */
ASYNCZ_API int asyncz_history_query_init_version(asyncz_history_query *q, uint32_t version);

static inline void asyncz_history_query_init(asyncz_history_query *q)
{
    (void)asyncz_history_query_init_version(q, ASYNCZ_HISTORY_QUERY_VERSION);
}

/* Called for each record of a listing, newest first. rec is borrowed for the call (copy it with
 * asyncz_run_record_copy to keep it). Return 0 to go on, anything else to stop: the listing then returns
 * that value. Called with no lock of the store held: it may call the same store. */
typedef int (*asyncz_run_record_fn)(const asyncz_run_record *rec, void *userdata);

/* ---- retention --------------------------------------------------------------------------------------- */

#define ASYNCZ_HISTORY_DEFAULT_MAX_AGE (30 * INT64_C(86400) * INT64_C(1000000)) /* 30 days, in us */
#define ASYNCZ_HISTORY_DEFAULT_MAX_RUNS_PER_TASK 1000
/* The memory store's default cap on all its records. */
#define ASYNCZ_HISTORY_MEMORY_DEFAULT_MAX_RUNS 10000

/* How much history a store keeps. A finished record is pruned when older than max_age (by finished_at, else
 * submitted_at), when its task has more than max_runs_per_task newer records, or (max_runs) when the store
 * holds more records in all; a running record only when it is older than max_age. 0 in a field: no limit of
 * that kind, but for max_runs on the memory store, which is always bounded (0: its default cap). */
typedef struct asyncz_history_retention {
    int64_t max_age_usec;
    uint32_t max_runs_per_task;
    uint64_t max_runs;
} asyncz_history_retention;

/* ---- an application-connected store (asyncz_store_connect*) --------------------------------------------
 * Any thread, as the store's other functions; the callbacks may call the same store. */

/* List records matching q (borrowed; NULL: the defaults) newest first, each handed to fn. next_cursor
 * (ASYNCZ_HISTORY_CURSOR_SIZE bytes; may be NULL) receives the cursor of the next page, or "" when this page
 * was the last. Errors: ASYNCZ_EINVAL (a malformed query or cursor), ASYNCZ_ESTATE (not connected),
 * ASYNCZ_EUNSUPPORTED (the store keeps no history), the store's, or fn's non-zero value. */
ASYNCZ_API int asyncz_store_list_runs(asyncz_store *st, const asyncz_history_query *q,
                                      asyncz_run_record_fn fn, void *userdata, char *next_cursor);

/* The record of run_id (borrowed), with its output: *out receives a new record (asyncz_run_record_free).
 * Errors: ASYNCZ_ENOTFOUND, ASYNCZ_EINVAL (not a run id), ASYNCZ_ESTATE, ASYNCZ_EUNSUPPORTED, the store's. */
ASYNCZ_API int asyncz_store_get_run(asyncz_store *st, const char *run_id, asyncz_run_record **out);

/* Prune by retention (borrowed) as of `now`, removing at most max records (bounded work: call again while
 * *pruned == max). *pruned may be NULL. Errors: ASYNCZ_EINVAL, ASYNCZ_ESTATE, ASYNCZ_EUNSUPPORTED, the
 * store's. */
ASYNCZ_API int asyncz_store_prune_runs(asyncz_store *st, const asyncz_history_retention *retention,
                                       asyncz_time_t now, size_t max, size_t *pruned);

/* ---- through a scheduler ---------------------------------------------------------------------------
 * For the stores a scheduler owns (alias: the store's alias; NULL: "default"). Any thread; the callback
 * runs on the calling thread with no lock of the scheduler or the store held (the records were copied
 * first), so it may call the scheduler. Messages: asyncz_scheduler_errmsg(). */

typedef struct asyncz_scheduler asyncz_scheduler;

/* asyncz_store_list_runs for the store under alias. Errors: ASYNCZ_EINVAL, ASYNCZ_ENOTFOUND (no such store),
 * ASYNCZ_EUNSUPPORTED (it keeps no history), ASYNCZ_ESTATE (a store that must be opened, and the scheduler
 * has not started), the store's, fn's non-zero value. */
ASYNCZ_API int asyncz_scheduler_list_runs(asyncz_scheduler *s, const char *alias,
                                          const asyncz_history_query *q, asyncz_run_record_fn fn,
                                          void *userdata, char *next_cursor);

/* asyncz_store_get_run for the store under alias. Errors: as asyncz_scheduler_list_runs, ASYNCZ_ENOTFOUND
 * (no such run). */
ASYNCZ_API int asyncz_scheduler_get_run(asyncz_scheduler *s, const char *alias, const char *run_id,
                                        asyncz_run_record **out);

/* Add a record to the run history of the store under alias: a run the application made itself (the daemon
 * records its failure hooks this way, source ASYNCZ_RUN_SOURCE_HOOK). rec is borrowed; an empty run_id gets
 * a fresh one (written back into *rec's copy only: read it from the listing), a NULL scheduler, host and a
 * pid of 0 the scheduler's. Written at once, under the store's io lock. Errors: ASYNCZ_EINVAL (NULL, no
 * task id, a malformed run id), ASYNCZ_ENOTFOUND (no such store), ASYNCZ_EUNSUPPORTED (it keeps no
 * history, or recording is off for it), ASYNCZ_ESTATE (a store that must be opened, and the scheduler has
 * not started), the store's. Any thread. */
ASYNCZ_API int asyncz_scheduler_record_run(asyncz_scheduler *s, const char *alias,
                                           const asyncz_run_record *rec);

/* Turn recording on or off for the store under alias (on by default for every store that keeps history)
 * and, when retention is not NULL, set what it keeps (copied; default: 30 days, 1,000 runs per task, and
 * for the memory store its own cap). The scheduler prunes a bounded amount every round (at most 128
 * records per store). Runs already submitted are recorded as they were
 * decided. A task can be left out on its own: asyncz_task_set_history. Errors: ASYNCZ_EINVAL,
 * ASYNCZ_ENOTFOUND (no such store), ASYNCZ_EUNSUPPORTED (enabled for a store that keeps no history). */
ASYNCZ_API int asyncz_scheduler_set_history(asyncz_scheduler *s, const char *alias, bool enabled,
                                            const asyncz_history_retention *retention);

ASYNCZ_END_DECLS

#endif
