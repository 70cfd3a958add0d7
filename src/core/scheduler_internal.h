/* The scheduler's state, shared by its files: scheduler.c (object, lifecycle, stores, executors),
 * sched_tasks.c (the task API), sched_process.c (the I/O-free core), sched_loop.c (epoll loop and run
 * modes), sched_events.c (listeners and event delivery). */
#ifndef AZ_SCHEDULER_INTERNAL_H
#define AZ_SCHEDULER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "asyncz/scheduler.h"
#include "asyncz/store.h"
#include "asyncz/sys/executor.h"
#include "asyncz/sys/store.h"
#include "core/registry.h"
#include "asyncz/history.h"
#include "util/ids.h"
#include "util/map.h"

#define AZ_LOGGER "asyncz.scheduler"

/* Look up a registered function (thread-safe). *fn is NULL when the name is not registered. */
void az_scheduler_lookup_fn(asyncz_scheduler *s, const char *name, asyncz_task_fn *fn, void **userdata);

/* In a process forked from the scheduler's (the process pool's helper): make the scheduler's locks usable
 * again. The fork may have happened while a thread, possibly the forking one, held them; the child has a
 * single thread, so starting them afresh is safe. */
void az_scheduler_after_fork(asyncz_scheduler *s);

/* ---- events --------------------------------------------------------------------------------------- */

/* An event waiting for delivery, with its own copies of everything it points to. */
typedef struct az_event {
    asyncz_event ev;
    char *alias, *task_id, *task_name, *result_json, *error_message, *instance_id;
    asyncz_time_t *run_times;
    char run_id[AZ_RUN_ID_SIZE]; /* empty: none */
} az_event;

/* Events gathered under the lock and delivered after it is released. */
typedef struct az_event_buf {
    az_event *items;
    size_t n, cap;
} az_event_buf;

typedef struct az_listener {
    uint64_t id;
    uint32_t mask;
    asyncz_listener_fn fn;
    void *userdata;
} az_listener;

/* An immutable, reference-counted snapshot of the listeners, so delivery needs no lock. */
typedef struct az_listeners {
    atomic_int refs;
    size_t n;
    az_listener items[];
} az_listeners;

/* ---- stores and executors ---------------------------------------------------------------------------- */

/* The due run times of a task at `now` (asyncz's Task.get_run_times), and the run time after them. Most
 * tasks have one due time, kept in `one` without allocating. */
typedef struct az_run_times {
    asyncz_time_t *times; /* kept run times (without coalescing; with it, only the last): `one` or heap */
    asyncz_time_t one;
    size_t n, cap;
    uint32_t due;            /* how many fell due */
    asyncz_time_t next;      /* the first run time after the ones kept (ASYNCZ_TIME_NONE: exhausted) */
    int error;               /* the trigger failed (ASYNCZ_ESEARCH) */
    asyncz_time_t requested; /* a run requested outside the schedule, among times; NONE: none */
    bool keep_paused;        /* the task was paused when that run was requested: it stays paused */
    /* The requested run waits for a running instance to finish (the task runs max_instances times): it
     * is not among times; the release keeps the request in the record, due again at request_retry. */
    bool request_waits;
    asyncz_time_t request_retry;
    bool manual; /* a run requested through the scheduler (asyncz_scheduler_run_task...), not the store */
} az_run_times;

/* A release the store did not confirm (it failed during the call, which may or may not have taken effect).
 * Repeated every round until the store answers (sched_process.c); its runs are listed in heartbeats. */
typedef struct az_unconfirmed {
    struct az_unconfirmed *next;
    asyncz_claim claim; /* claim.task: a reference */
    az_run_times rt;    /* rt.times points at rt.one or the heap */
} az_unconfirmed;

/* A store of the scheduler. Its calls are made with `io` held and `lock` NOT held, so a slow or unreachable
 * store delays only the callers of that store (docs/design.md#threads-and-locks). Slots live as long as the
 * scheduler (a removed store's slot is retired, its store closed and freed): a slot pointer taken under
 * `lock` stays valid after it is released. */
/* At most this many entries wait per store; more are dropped, counted and logged. Four rounds' worth of
 * runs (ROUND_BUDGET), so that a round's RUNNING entries wait until its runs are drained and a run that
 * finished meanwhile is written once, completed. */
#define AZ_HIST_BUF_MAX 262144
/* A flush keeps its arrays for the next flushes up to this many entries whatever they use (larger ones while
 * flushes fill a quarter of them: sched_history.c, worth_keeping). */
#define AZ_HIST_KEEP_SMALL 1024
/* The text of a history buffer grows by blocks of this many bytes (a longer string gets its own). */
#define AZ_HIST_TEXT_BLOCK (64 * 1024 - 64)
/* A store's buffer is written before the end of a round once it holds this many entries. */
#define AZ_HIST_FLUSH_AT (AZ_HIST_BUF_MAX / 2)
/* Records pruned per store per round at most (bounded work: well under 10 ms on every store). */
#define AZ_HIST_PRUNE_PER_ROUND 128
/* After a prune call that left nothing to prune, the next one comes this much later. */
#define AZ_HIST_PRUNE_IDLE_USEC (30 * ASYNCZ_USEC_PER_SEC)

/* A block of the task ids and names of a history buffer's records (sched_history.c). */
typedef struct az_hist_text {
    struct az_hist_text *next; /* an older block */
    size_t len, cap;
    char data[];
} az_hist_text;

/* Occurrences to record in the run history (asyncz/history.h), buffered per store slot under the
 * scheduler's `lock` where they are decided and finished, written by the round under the slot's io lock
 * (sched_history.c): records as the store takes them, in one array handed to history_put as it is. Each
 * record's error_message and result are its own (allocated); its task id and name point into the buffer's
 * text (copied while the task was at hand: cheaper than holding each task until the flush and reading it
 * there, long after it left the caches); its output lines into outputs[i], which it owns. */
typedef struct az_hist_buf {
    asyncz_run_record *recs;
    struct az_output **outputs;
    size_t n, cap;
    size_t owning;      /* records given a message, a result or output (0: clearing them frees nothing) */
    az_hist_text *text; /* the newest block first */
    az_hist_text *text_spare; /* emptied blocks, taken again before any new one */
    uint64_t dropped;         /* since the last flush */
    uint32_t gen;             /* counts flushes: an index into recs is good only within its generation */
} az_hist_buf;

typedef struct az_store_slot {
    /* ---- set when the slot is made or the store opened; immutable while open ---- */
    asyncz_scheduler *sched;
    char *alias;
    asyncz_store_host host;
    bool shared;     /* CAP_SHARED: polled, since other schedulers change it */
    bool heartbeats; /* shared with heartbeat/instances ops: runs in flight are tracked */

    /* ---- guarded by `io`: one call into the store at a time per scheduler (the contract of sys/store.h);
     * taken with nothing held, or before `lock` (lock order: io -> lock), never while holding `lock` ---- */
    pthread_mutex_t io;
    asyncz_store *store; /* NULL once the store was removed (the slot is retired) */
    bool open;
    asyncz_time_t next_heartbeat; /* when to heartbeat and look for lost schedulers next */
    asyncz_time_t retry_at;       /* after a failed claim: no claims before this (0: none failed) */
    int64_t backoff_usec;         /* the wait after the last failed claim; doubles up to 10 s */
    size_t batch;                 /* tasks per claim on this store (0: batch_size); see claim_timed */
    az_unconfirmed *unconfirmed;  /* releases to confirm, oldest first */
    asyncz_time_t next_prune;     /* when to prune its history next */
    az_hist_buf hist_retry;       /* run records the store refused to take (unreachable): written first at
                                     the next flush; bounded with the buffer by AZ_HIST_BUF_MAX */
    /* The arrays of the last flush, kept for the next ones while they use them (az_hist_flush): `hist`
     * takes them next (hist_spare.n is 0). */
    az_hist_buf hist_spare;

    /* ---- run history, guarded by the scheduler's `lock` ---- */
    bool history;     /* recording: the store keeps history and it was not turned off */
    bool history_off; /* turned off (asyncz_scheduler_set_history) */
    /* Changes made through the task API go to the store's audit trail (atomic: read with only io held).
     * Default: the store keeps one and is persistent; asyncz_scheduler_set_audit overrides (audit_set). */
    bool audit;
    int audit_set; /* 0: default, 1: on, -1: off (under s->lock) */
    asyncz_history_retention retention;
    az_hist_buf hist;
    int64_t hist_pid;  /* the process id the records name (taken again at each flush; 0: not yet) */
    bool hist_failing; /* the last flush could not write: no partial output is queued meanwhile */
} az_store_slot;

/* Executors are reference counted so a submission made outside the lock cannot race with removal. */
typedef struct az_exec_slot {
    atomic_int refs;
    char *alias;
    asyncz_executor *ex;
    bool started;
    asyncz_executor_host host;
} az_exec_slot;

/* Running instances per task id (only ids with at least one). */
typedef struct az_count_entry {
    asyncz_task *task; /* a reference, keyed by its id */
    uint32_t hash;     /* az_map_hash of the id: to refile the entry when it moves */
    uint32_t count;
    bool request_waits; /* a requested run of the task waits for one of these instances (logged once) */
} az_count_entry;

typedef struct az_counts {
    az_count_entry *entries; /* in no order: a removal moves the last entry into the gap */
    size_t n, cap;
    az_map by_id; /* ref: index in entries + 1 */
} az_counts;

/* A run decided under the lock, submitted after it is released. */
typedef struct az_submission {
    asyncz_run *run;
    az_exec_slot *slot; /* a reference */
} az_submission;

typedef struct az_sub_buf {
    az_submission *items;
    size_t n, cap;
} az_sub_buf;

/* A run_task() request waiting for the next round. */
typedef struct az_manual_run {
    asyncz_task *task; /* a reference */
    char *store_alias;
} az_manual_run;

typedef enum az_mode { AZ_MODE_NONE = 0, AZ_MODE_THREAD, AZ_MODE_BLOCKING, AZ_MODE_EMBEDDED } az_mode;

/* The scheduler. The fields are grouped by what guards them; a field is read and written only as its group
 * says. Lock order: lock -> a store's lock -> quarantine_lock; lock -> an executor's lock; done_lock is a
 * leaf (docs/design.md#threads-and-locks). */
struct asyncz_scheduler {
    /* ---- set by asyncz_scheduler_new, immutable until asyncz_scheduler_free: read from any thread ---- */
    asyncz_scheduler_options opts; /* identity and timezone cleared: see the two below */
    char *identity;
    asyncz_zone *zone;
    int epfd, evfd, tfd;
    bool tfd_realtime; /* timer on CLOCK_REALTIME (system clock), else CLOCK_MONOTONIC */

    /* ---- atomics, read and written without a lock ---- */
    atomic_int state;        /* asyncz_scheduler_state */
    atomic_uint listen_mask; /* union of the listeners' masks: skip building unwanted events */
    atomic_ulong owner;      /* the pthread_t of the thread running the loop */
    atomic_bool in_loop;     /* owner is inside a loop round */
    bool hist_pending;       /* (lock) completions were buffered for the run history since the last flush */
    atomic_bool stop;        /* shutdown requested */
    atomic_bool woken;       /* the eventfd has been written and not read yet: further wakes are free */
    atomic_uint output_dirty_runs; /* runs in flight whose output grew since the round last copied it */

    /* ---- guarded by `lock` ---- */
    pthread_mutex_t lock;
    az_registry registry;
    az_store_slot **stores;
    size_t n_stores;
    az_store_slot **retired; /* removed stores: their aliases stay valid for runs still under way */
    size_t n_retired;
    az_exec_slot **execs;
    size_t n_execs;
    asyncz_task **pending; /* added before start; their store is attached at start */
    size_t n_pending;
    az_manual_run *manual;
    size_t n_manual, cap_manual;
    az_counts running;
    asyncz_run *inflight; /* runs of heartbeat stores not finished yet (list through inflight_next) */
    size_t n_inflight;
    size_t
        hist_deferred; /* runs in flight whose RUNNING records wait (run->hist_deferred): the newest ones */
    asyncz_time_t started_at;
    az_listeners *listeners; /* current snapshot (never NULL); delivery takes a reference under the lock */
    uint64_t next_listener_id;
    /* Written under the lock (start, the stop sequence); read without it by dispatch and
     * asyncz_scheduler_fd, on the embedding application's thread. */
    az_mode mode;
    /* What the timer is set to (ASYNCZ_TIME_NONE: disarmed); written under the lock by the loop's thread
     * only, which reads it without the lock (dispatch). */
    asyncz_time_t armed;
    /* Shutdown's wait argument: written under the lock before `stop` is set; the stop sequence reads it
     * after seeing `stop`. */
    bool stop_wait;
    size_t shutdown_runs; /* runs of shutdown-trigger tasks submitted and not yet drained */
    /* With `lock`: a blocking-mode shutdown from another thread waits here until state is STOPPED. */
    pthread_cond_t stopped_cond;

    /* ---- guarded by `done_lock`: finished runs waiting for the loop (executors finish runs from any
     * thread); a leaf lock ---- */
    pthread_mutex_t done_lock;
    asyncz_run *done_head, *done_tail;
    uint64_t done_seq;        /* counts runs queued and shutdown runs drained: what done_cond announces */
    pthread_cond_t done_cond; /* with done_lock: a waiting shutdown waits here for done_seq to change */

    /* ---- guarded by `quarantine_lock`: reports from stores, waiting for the next round to become events
     * (stores report from inside calls made with or without `lock`) ---- */
    pthread_mutex_t quarantine_lock;
    char **quarantine_reports; /* "alias\0id\0reason" each */
    size_t n_quarantine_reports;

    /* ---- the application's thread that calls start, shutdown and free, no lock: only the shutdown that set
     * `stop` joins the loop thread, or start and free after the loop thread stopped by itself ---- */
    pthread_t thread; /* AZ_MODE_THREAD */
    bool thread_joinable;
};

/* ---- scheduler.c ----------------------------------------------------------------------------------------
 */
asyncz_time_t az_sched_now(asyncz_scheduler *s);
/* Set this thread's error message (printf format) and return code. */
int az_sched_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
az_store_slot *az_sched_find_store(asyncz_scheduler *s, const char *alias);

/* ---- run history (sched_history.c) ----
 * The first three with `lock` held: they only buffer. */
/* A run was submitted: one RUNNING entry per time (source as given; a time equal to requested is a
 * request). Marks the run as recorded (run->owner_data = slot). A run on the in-flight list gets its
 * entries when the buffer is next written, if it has not finished by then (a run that finishes first gets
 * one entry, finished, made once). */
void az_hist_submitted(az_store_slot *slot, asyncz_run *run, asyncz_time_t now, asyncz_run_source source,
                       asyncz_time_t requested);
/* An occurrence that does not run (missed, skipped, lost): one entry, finished at now. */
void az_hist_not_run(az_store_slot *slot, asyncz_task *task, asyncz_time_t when, asyncz_time_t now,
                     asyncz_run_outcome outcome, uint64_t token, const char *why, char *run_id_out);
/* A recorded run finished: its times' outcomes. */
void az_hist_finished(asyncz_run *run, asyncz_time_t now);
/* The round's part in live output: for runs in flight whose output grew (run->output_dirty), at most
 * AZ_HIST_OUTPUT_RUNS per round and each at most once per AZ_HIST_OUTPUT_EVERY, buffer a RUNNING entry with a
 * copy of the output so far (or update the one still buffered), written by the round's flush. Nothing for a
 * store whose last flush failed or whose buffer is half full. Returns when a round should come back for
 * output it left (ASYNCZ_TIME_NONE: none). `lock` held. */
#define AZ_HIST_OUTPUT_RUNS 32
#define AZ_HIST_OUTPUT_EVERY ASYNCZ_USEC_PER_SEC
asyncz_time_t az_hist_publish_output(asyncz_scheduler *s, asyncz_time_t now);
/* Write a slot's buffered entries (one history_put), after what an unreachable store could not take
 * before (slot->hist_retry), which waits again, with the new entries behind it, while the store keeps
 * failing: bounded by AZ_HIST_BUF_MAX, the rest dropped and counted. slot->io held, `lock` not. */
void az_hist_flush(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now);
/* az_hist_flush for a store about to close (slot->io held): what still cannot be written is logged and
 * dropped. */
void az_hist_flush_final(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now);
/* Prune the slot's history by its retention, at most AZ_HIST_PRUNE_PER_ROUND records, at most once a second
 * unless the last call had more to do. slot->io held, `lock` not. */
void az_hist_prune(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now);
/* The lost scheduler's running records become lost (slot->io held). */
void az_hist_mark_lost(az_store_slot *slot, const char *identity, asyncz_time_t now);
void az_hist_buf_free(az_hist_buf *b);
/* After draining finished runs (az_drain_done): write what was buffered (the RUNNING entries of the round
 * and the completions), each store under its io lock; nothing when nothing was buffered. With `full`, only
 * stores holding AZ_HIST_FLUSH_AT entries or more (between chunks of a long drain). No lock held. */
#define AZ_HIST_DRAIN_CHUNK 4096
void az_hist_flush_pending(asyncz_scheduler *s, bool full);
/* In a store's round, between claim batches: write when AZ_HIST_FLUSH_AT entries or more wait (io held). */
void az_hist_flush_if_full(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now);
/* A copy of the array of stores (lock held), to visit them after the lock is released (slots outlive the
 * copy); *n their number. NULL when out of memory. Free with free(). */
az_store_slot **az_sched_slots(asyncz_scheduler *s, size_t *n);
/* Take a slot's io lock for a call into its store (lock NOT held). False (io not held) when the store was
 * removed: the caller reports it as not found. */
bool az_slot_enter(az_store_slot *slot);
void az_slot_leave(az_store_slot *slot);
az_exec_slot *az_sched_find_exec(asyncz_scheduler *s, const char *alias);
void az_exec_slot_unref(az_exec_slot *slot);
/* The stop sequence, run by the loop owner (or by shutdown() when nothing else owns the loop). */
void az_sched_stop_sequence(asyncz_scheduler *s);

/* ---- sched_tasks.c ---------------------------------------------------------------------------------------
 */
/* Tasks added before start go to their stores (at start, lock not held). */
void az_sched_add_pending_to_stores(asyncz_scheduler *s, asyncz_time_t now);

/* ---- sched_events.c ---------------------------------------------------------------------------------------
 */
bool az_events_wanted(asyncz_scheduler *s, uint32_t code);
/* Append an event (strings and times copied). Returns the stored event to fill further, or NULL (not
 * wanted, or out of memory: events are best effort and never fail an operation). */
az_event *az_events_add(asyncz_scheduler *s, az_event_buf *buf, uint32_t code, const char *alias,
                        const asyncz_task *task);
void az_events_deliver(asyncz_scheduler *s, az_event_buf *buf);
void az_listeners_free_all(asyncz_scheduler *s);
int az_listeners_init(asyncz_scheduler *s);
char *az_strdup_opt(const char *s);

/* ---- sched_process.c
 * --------------------------------------------------------------------------------------- */
/* The core round (no lock held on entry: it takes `lock` for the scheduler's state and each store's `io`
 * for its calls, never both the other way round): fills subs and events, returns the next wake-up. */
asyncz_time_t az_process_round(asyncz_scheduler *s, asyncz_time_t now, az_sub_buf *subs,
                               az_event_buf *events);
/* After a round's submissions (lock not held): publish the output of runs in flight that grew
 * (az_hist_publish_output; the round's last az_drain_done writes it), which inline functions of the round
 * may have written too. Returns wake, or earlier when output waits for its turn. */
asyncz_time_t az_round_output(asyncz_scheduler *s, asyncz_time_t now, asyncz_time_t wake);
/* Submit decided runs (lock not held); failures become TASK_ERROR outcomes. */
void az_submit_all(asyncz_scheduler *s, az_sub_buf *subs);
/* Make a run of task for the given times and queue it in subs (lock held). The caller has counted the
 * instance (az_counts_acquire/az_counts_add); the drain of the finished run uncounts it. */
int az_make_submission(asyncz_scheduler *s, az_sub_buf *subs, asyncz_task *task, const char *store_alias,
                       uint64_t token, const asyncz_time_t *times, size_t n, uint32_t coalesced);
/* Deliver finished runs: their events, instance counts (lock not held on entry). */
void az_drain_done(asyncz_scheduler *s);
/* The done callback of every run the scheduler makes. */
void az_run_done(asyncz_run *run, void *userdata);

/* Instance counts. */
int az_counts_add(az_counts *c, asyncz_task *task, int delta);
/* Count one more instance of task unless it already has max: false when refused or out of memory. */
bool az_counts_acquire(az_counts *c, asyncz_task *task, uint32_t max);
void az_counts_free(az_counts *c);

/* ---- sched_loop.c
 * ------------------------------------------------------------------------------------------- */
int az_loop_open(asyncz_scheduler *s);
void az_loop_close(asyncz_scheduler *s);
/* Wake the loop (thread-safe, async-signal-safe). */
void az_loop_wake(asyncz_scheduler *s);
/* One round: wait (when block) for the fd, then drain, process, re-arm. Returns true when a stop was seen. */
bool az_loop_round(asyncz_scheduler *s, bool block);
/* Whether the calling thread is the loop owner inside a round. */
bool az_loop_is_owner(asyncz_scheduler *s);

/* ---- sched_shared.c: shared stores (heartbeats, runs in flight, lost schedulers, quarantine reports) -- */

/* A run planned in this round, for the heartbeat written before its claim is released. */
typedef struct az_planned {
    const char *task_id;
    const asyncz_time_t *times;
    size_t n;
} az_planned;

/* The store host's quarantine callback (any thread). */
void az_store_quarantined_report(void *host_data, const char *task_id, const char *reason);
/* Turn the reports gathered since the last round into TASK_QUARANTINED events (takes quarantine_lock). */
void az_quarantine_reports_take(asyncz_scheduler *s, az_event_buf *events);
void az_quarantine_reports_free(asyncz_scheduler *s);

/* Track a run of a heartbeat store until it finishes (lock held). */
void az_inflight_add(asyncz_scheduler *s, asyncz_run *run);
void az_inflight_remove(asyncz_scheduler *s, asyncz_run *run);

/* Give up the releases of slot still unconfirmed (the store is being closed): their runs are reported as
 * TASK_LOST (slot->io held). */
void az_unconfirmed_abandon(asyncz_scheduler *s, az_store_slot *slot, az_event_buf *events);

/* Write this scheduler's heartbeat to slot's store: the runs in flight plus `planned` (slot->io held, lock
 * not held: it is taken to list the runs in flight). */
void az_shared_heartbeat(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now,
                         const az_planned *planned, size_t n_planned);
/* The periodic part of a round for a shared store: heartbeat when due and report schedulers that stopped
 * heartbeating. Returns when this store needs the loop next (poll or heartbeat). slot->io held, lock not. */
asyncz_time_t az_shared_round(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now,
                              az_event_buf *events);
/* Remove this scheduler's heartbeat at shutdown (slot->io held). */
void az_shared_deregister(asyncz_scheduler *s, az_store_slot *slot);

#endif
