/* Events and listeners, with asyncz's (and APScheduler 3's) event codes so listeners carry over.
 *
 * A listener is registered with a mask of the codes it wants. It is called with an event whose pointers are
 * borrowed and valid only during the call. Listeners run without any scheduler lock held: on the thread
 * that called the API for the events an API call causes (TASK_ADDED from asyncz_scheduler_add_task, ...),
 * and on the scheduler's loop thread for the events of processing and of runs (TASK_SUBMITTED,
 * TASK_EXECUTED, ...). A listener that returns non-zero is logged as failing; the scheduler and the other
 * listeners carry on.
 */
#ifndef ASYNCZ_EVENT_H
#define ASYNCZ_EVENT_H

#include "asyncz/common.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

#define ASYNCZ_EVENT_SCHEDULER_START UINT32_C(1)
#define ASYNCZ_EVENT_SCHEDULER_SHUTDOWN UINT32_C(2)
#define ASYNCZ_EVENT_SCHEDULER_PAUSED UINT32_C(4)
#define ASYNCZ_EVENT_SCHEDULER_RESUMED UINT32_C(8)
#define ASYNCZ_EVENT_EXECUTOR_ADDED UINT32_C(16)
#define ASYNCZ_EVENT_EXECUTOR_REMOVED UINT32_C(32)
#define ASYNCZ_EVENT_STORE_ADDED UINT32_C(64)
#define ASYNCZ_EVENT_STORE_REMOVED UINT32_C(128)
#define ASYNCZ_EVENT_ALL_TASKS_REMOVED UINT32_C(256)
#define ASYNCZ_EVENT_TASK_ADDED UINT32_C(512)
#define ASYNCZ_EVENT_TASK_REMOVED UINT32_C(1024)
#define ASYNCZ_EVENT_TASK_MODIFIED UINT32_C(2048)
#define ASYNCZ_EVENT_TASK_EXECUTED UINT32_C(4096)
#define ASYNCZ_EVENT_TASK_ERROR UINT32_C(8192)
#define ASYNCZ_EVENT_TASK_MISSED UINT32_C(16384)
#define ASYNCZ_EVENT_TASK_SUBMITTED UINT32_C(32768)
#define ASYNCZ_EVENT_TASK_MAX_INSTANCES UINT32_C(65536)
/* Codes of asyncz in C beyond asyncz's own (new codes are added above these). */
#define ASYNCZ_EVENT_SCHEDULER_WAKEUP_CLOCK UINT32_C(131072) /* the wall clock jumped or the host resumed */
/* A stored record failed to decode, open (sealing) or validate and was moved to the store's quarantine;
 * error_message says why. The task never runs. (asyncz in C) */
#define ASYNCZ_EVENT_TASK_QUARANTINED UINT32_C(262144)
/* Another scheduler sharing a store stopped heartbeating and was deregistered by this one (exactly one
 * survivor reports it); instance_id names it. Its claims lapse with their leases and are taken over. */
#define ASYNCZ_EVENT_SCHEDULER_LOST UINT32_C(524288)
/* One run that a lost scheduler (instance_id) had in flight at its last heartbeat: it may not have
 * finished. task_id and scheduled_run_time name it; it is not run again. */
#define ASYNCZ_EVENT_TASK_LOST UINT32_C(1048576)

#define ASYNCZ_EVENT_TASK_RUN_ALL                                                                            \
    (ASYNCZ_EVENT_TASK_EXECUTED | ASYNCZ_EVENT_TASK_ERROR | ASYNCZ_EVENT_TASK_MISSED)
#define ASYNCZ_EVENT_ALL UINT32_C(0xFFFFFFFF)

/* What happened. Fields not relevant to a code are zero / NULL / ASYNCZ_TIME_NONE. */
typedef struct asyncz_event {
    uint32_t code;       /* one ASYNCZ_EVENT_* code */
    asyncz_time_t time;  /* when the event happened, by the scheduler's clock */
    const char *alias;   /* EXECUTOR_* / STORE_*: the alias; task events: the task's store alias;
                            ALL_TASKS_REMOVED: the store alias, or NULL for every store */
    const char *task_id; /* task events */
    const char *task_name;
    /* TASK_EXECUTED / TASK_ERROR / TASK_MISSED: the run time concerned. */
    asyncz_time_t scheduled_run_time;
    /* TASK_SUBMITTED / TASK_MAX_INSTANCES: the run times submitted (or refused); with coalescing, the one
     * kept. coalesced: how many due run times they stand for (>= n_run_times). */
    const asyncz_time_t *run_times;
    size_t n_run_times;
    uint32_t coalesced;
    const char *result_json;   /* TASK_EXECUTED: the result the function reported, or NULL */
    int error_code;            /* TASK_ERROR: the function's error code; ASYNCZ_E* for failures of asyncz */
    const char *error_message; /* TASK_ERROR: what went wrong (never NULL for TASK_ERROR) */
    int signal;                /* TASK_ERROR from a process pool: the signal that ended the worker, else 0 */
    uint64_t fencing_token;    /* task run events: the claim's token when known, else 0 */
    const char *instance_id;   /* SCHEDULER_LOST / TASK_LOST: the identity of the lost scheduler */
    /* TASK_EXECUTED / TASK_ERROR / TASK_MISSED: the id of the occurrence concerned (a UUIDv7, 36 characters,
     * as asyncz_run_id gives the function); TASK_SUBMITTED: the id of the first submitted run time's
     * occurrence (each time of a run has its own); else NULL. */
    const char *run_id;
    /* TASK_EXECUTED / TASK_ERROR / TASK_MISSED: what the run history records of the occurrence (succeeded;
     * failed, timed_out, crashed or cancelled; missed), and the exit status of a process that exited (-1:
     * none). Appended: read them only from a library of this version or later. */
    int outcome; /* an asyncz_run_outcome (asyncz/history.h) */
    int exit_status;
} asyncz_event;

/* The name of a code without the prefix ("TASK_EXECUTED"), or "UNKNOWN". Static storage. */
ASYNCZ_API const char *asyncz_event_name(uint32_t code);

/* A listener. Return 0; non-zero is logged as a listener failure. */
typedef int (*asyncz_listener_fn)(const asyncz_event *event, void *userdata);

ASYNCZ_END_DECLS

#endif
