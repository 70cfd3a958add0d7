/* The run object: one submission of a task to an executor, for one or more scheduled times (more when a
 * task does not coalesce and several times fell due at once; they execute one after another, as one
 * instance, as asyncz does). Made by the scheduler core, finished by executors through the functions of
 * asyncz/sys/executor.h, and handed back through its `done` callback. */
#ifndef AZ_RUN_INTERNAL_H
#define AZ_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "asyncz/scheduler.h"
#include "asyncz/sys/executor.h"
#include "core/task_internal.h"
#include "util/ids.h"

/* What happened to one scheduled time of a run. */
typedef struct az_run_outcome {
    uint32_t code; /* ASYNCZ_EVENT_TASK_EXECUTED / _ERROR / _MISSED; 0: not run yet */
    asyncz_time_t scheduled;
    char *result; /* EXECUTED: JSON text or NULL */
    int error_code;
    char *error_message; /* ERROR */
    int signal;
    char run_id[AZ_RUN_ID_SIZE];   /* the occurrence's own id (UUIDv7), made at submission */
    uint8_t fail_kind;             /* ERROR: AZ_FAIL_* (how the executor ended it) */
    uint8_t source;                /* asyncz_run_source, set when recorded in the run history */
    bool hist_buffered;            /* its RUNNING entry waits in the slot's buffer of generation hist_gen */
    uint32_t hist_gen, hist_index; /* ... at hist_index: the completion then updates it in place */
    int exit_status;               /* ERROR from a worker that exited: its status, else -1 */
    /* By the run's clock; ASYNCZ_TIME_NONE: not reached. `started` is written before the time's first line
     * or under output_lock: the scheduler reads it under that lock once the time has output. */
    asyncz_time_t started, finished;
    struct az_output *output; /* what it printed (asyncz_run_output); NULL: nothing. Under output_lock */
} az_run_outcome;

/* How a run failed, as the executor saw it (for the run history's outcome). */
enum { AZ_FAIL_ERROR = 0, AZ_FAIL_TIMEOUT, AZ_FAIL_CRASH, AZ_FAIL_CANCELLED };

/* A process-pool worker's hook (az_run_invoke_streaming): called by asyncz_run_output, with the run's
 * output_lock held, after each line is added to the output of time `index` (of the times the worker was
 * given), which holds the lines not shipped yet. It may send them to the pool (az_run_output_encode) and
 * return true: that output is then emptied. False keeps the lines, to ship later or with the outcome. */
typedef bool (*az_output_ship_fn)(asyncz_run *run, size_t index, asyncz_time_t started,
                                  const struct az_output *pending, void *userdata);

/* Called once when a run has finished (all its times have outcomes) or, for a pending run completed off
 * the loop with times left, when it needs to continue (run->resume is then true). Any thread. */
typedef void (*az_run_done_fn)(asyncz_run *run, void *userdata);

struct asyncz_run {
    asyncz_run *next; /* intrusive link for executor and completion queues */
    asyncz_scheduler *scheduler;
    asyncz_task *task; /* owned reference */
    asyncz_task_fn fn; /* NULL: the function is not registered */
    void *fn_userdata;
    asyncz_clock_fn clock;
    void *clock_userdata;
    const char *store_alias; /* borrowed from the scheduler; valid while the run lives */
    uint64_t token;
    uint32_t coalesced;
    bool debug_log;   /* log each call at info level (debug executor) */
    bool resume;      /* set when the done callback is asked to continue the remaining times */
    bool no_pending;  /* the executor does not allow ASYNCZ_RUN_PENDING */
    bool at_shutdown; /* the run of a shutdown-trigger task, which a waiting shutdown waits for */
    size_t n_times;
    /* Index of the time being executed. Advanced by the thread that runs the run (an executor's worker or
     * monitor) while the scheduler's heartbeat reads it under s->lock to list the runs in flight: atomic, so
     * that read is a snapshot rather than a data race. */
    _Atomic size_t current;
    az_run_outcome *outcomes;
    /* Scratch of the call under way. */
    char *result;
    int error_code;
    char *error_message;
    int8_t fn_fail_kind; /* asyncz_run_set_failure: AZ_FAIL_*, or -1 (not set) */
    int fn_exit_status, fn_signal;
    az_run_done_fn done;
    void *done_userdata;
    /* Owner's bookkeeping (the scheduler's). */
    void *owner_data;
    asyncz_run *inflight_prev, *inflight_next; /* the scheduler's list of runs in flight (heartbeats) */
    bool inflight;
    bool hist_deferred; /* (scheduler's lock) its RUNNING records are not made yet: see az_hist_submitted */
    /* Executor's bookkeeping: an executor that must learn when its runs finish (the loop executor counts
     * pending runs so shutdown can wait for them) puts its own callback in `done` and keeps the owner's
     * here, restoring it before the run finishes. */
    az_run_done_fn exec_done;
    void *exec_done_userdata;
    /* Set by an executor right before asyncz_run_fail: how the times it fails ended (AZ_FAIL_*), and a
     * worker's exit status (-1: none). */
    uint8_t fail_kind;
    int fail_exit_status;
    asyncz_time_t submitted_at; /* by the scheduler's clock, when recorded in the run history */
    size_t output_max;          /* output bytes kept per time (asyncz_run_output); 0: none */
    /* The output of a run in flight is written by the thread that runs it (in a process pool, the monitor
     * that receives a worker's lines) while the scheduler's round copies it to publish it: outcomes[].output
     * is guarded by output_lock, taken for an append or a copy and nothing else. */
    pthread_mutex_t output_lock;
    bool output_live;         /* set before submission: output growth is announced to the scheduler */
    atomic_bool output_dirty; /* (output_live) output was added since the scheduler's last copy */
    asyncz_time_t output_published_at; /* (scheduler's lock) the last copy; ASYNCZ_TIME_NONE: none yet */
    az_output_ship_fn output_ship;     /* in a worker process: where its lines go as they come; NULL: none */
    void *output_ship_userdata;
    az_run_outcome one_outcome; /* outcomes points here for the common single-time run (one allocation) */
};

/* What a run is made from. Strings and the task are borrowed (the run takes a reference to the task). */
typedef struct az_run_init {
    asyncz_scheduler *scheduler;
    asyncz_task *task;
    asyncz_task_fn fn;
    void *fn_userdata;
    asyncz_clock_fn clock; /* NULL: asyncz_now */
    void *clock_userdata;
    const char *store_alias;
    uint64_t token;
    uint32_t coalesced;
    const asyncz_time_t *times;
    size_t n_times;             /* >= 1 */
    const char *const *run_ids; /* n_times ids to keep (a worker rebuilding a run), or NULL: fresh ones */
    size_t output_max;          /* output bytes kept per time; 0: none */
    az_run_done_fn done;
    void *done_userdata;
} az_run_init;

/* Make a run, each time with its run id. Errors: ASYNCZ_EINVAL (also a malformed init->run_ids entry),
 * ASYNCZ_ENOMEM, ASYNCZ_EIO (no random bytes for the ids). */
int az_run_new(asyncz_run **out, const az_run_init *init);

/* For executors that ship runs elsewhere (where asyncz_run_execute's check cannot see the scheduler's
 * clock): report the leading times that are already past the task's grace as TASK_MISSED, as
 * asyncz_run_execute would. Returns true when no time is left, the run then being finished. */
bool az_run_skip_missed(asyncz_run *run);

/* What the run history records of an outcome (asyncz_run_outcome), from its code and fail kind. */
int az_run_outcome_of(const az_run_outcome *oc);

/* asyncz_run_invoke_encoded in a worker whose lines go to ship (may be NULL) as the function writes them:
 * each output the hook takes is not in the outcome message again. */
int az_run_invoke_streaming(asyncz_scheduler *s, const char *msg, size_t len, az_output_ship_fn ship,
                            void *ship_userdata, char **out, size_t *out_len);

/* A worker's lines of time `index` as a message for the pool (*out new, free(); *len its length): the lines,
 * their truncation and the time's start. Errors: ASYNCZ_ENOMEM. */
int az_run_output_encode(size_t index, asyncz_time_t started, const struct az_output *o, char **out,
                         size_t *len);

/* In the pool: add the lines of such a message to the output of time base + index of r (base: r->current when
 * the run was sent), under its output_lock, and tell the scheduler it grew. Errors: ASYNCZ_EPARSE (the lines
 * before a malformed one stay added), ASYNCZ_ENOMEM. Any thread. */
int az_run_output_received(asyncz_run *r, size_t base, const char *msg, size_t len);

/* Free a finished run (NULL-safe). */
void az_run_free(asyncz_run *run);

#endif
