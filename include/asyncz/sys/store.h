/* Extension API: the store contract (docs/stores.md). Every store — memory, file/SQL/Redis/Mongo and custom
 * ones — implements these operations. Weaker stability promise than the rest of the API: the ops struct may
 * grow in a later minor version, guarded by `version`.
 *
 * A store embeds asyncz_store_base as its first member, fills it with asyncz_store_base_init() and returns
 * &self->base as its asyncz_store*. Tasks handed to a store are immutable from then on: a store may keep a
 * reference (asyncz_task_ref) instead of copying, and tasks it hands out are references the caller releases
 * with asyncz_task_free(). A scheduler makes one call at a time into each of its stores (under a lock of
 * that store's own, not the scheduler's: a slow store delays only its own callers), so a store used by one
 * scheduler sees one call at a time, from any thread; a store shared by several schedulers (in one process
 * or many) must make claim/release atomic in its backend. An operation must not call the scheduler.
 *
 * Order: a store lists tasks by next run time, ties in the order they were scheduled (a sequence number the
 * store assigns when a task gets its next run time), paused tasks (no next run time) last in the order they
 * were paused.
 *
 * Claims: the scheduler never reads due tasks and writes them back in two steps. It claims them: the store
 * atomically marks each due task as claimed by `owner` until `now + lease`, gives it a new fencing token
 * (greater than any before for that task), and hands it out. A claimed task is not handed out again until
 * its lease expires (its owner died). The owner then releases it with the next run time it computed, or
 * removes it, and the store applies that only if the task is still claimed with the same token; otherwise
 * (lease taken over, task changed or removed meanwhile) it refuses with ASYNCZ_ESTATE and changes nothing.
 * Any add/update/remove of a task ends its claim. A release is idempotent: repeated with the same token
 * after it took effect (an owner whose connection broke before the reply cannot tell), it changes nothing
 * and succeeds, as long as the task was not claimed, updated or removed since (then ASYNCZ_ESTATE, or
 * ASYNCZ_ENOTFOUND; a release that removed the task cannot be told from a removal and gets ENOTFOUND).
 */
#ifndef ASYNCZ_SYS_STORE_H
#define ASYNCZ_SYS_STORE_H

#include "asyncz/audit.h"
#include "asyncz/history.h"
#include "asyncz/store.h"
#include "asyncz/task.h"

ASYNCZ_BEGIN_DECLS

/* Version 3 appended add_many, version 4 the history ops. Stores built against version 2 (whose ops end at
 * remove_instance) or 3 are still accepted: asyncz never reads past the end of their table and treats them
 * as having no add_many (2) and no history (2, 3). */
#define ASYNCZ_STORE_OPS_VERSION 4

/* Capability bits. */
#define ASYNCZ_STORE_CAP_PERSISTENT 1u /* tasks survive the process */
#define ASYNCZ_STORE_CAP_SHARED 2u     /* several schedulers may use it at once (claims are atomic) */
#define ASYNCZ_STORE_CAP_NOTIFY 4u     /* it calls host->wakeup when another scheduler adds a task */

/* What a scheduler gives a store when it opens it. Borrowed; valid until close. */
typedef struct asyncz_store_host {
    const char *alias;    /* the store's alias in this scheduler */
    const char *identity; /* the scheduler's identity (owner of its claims) */
    /* Ask the scheduler to look at the store again soon (thread-safe; for notifications). */
    void (*wakeup)(void *host_data);
    /* Tell the scheduler a record was quarantined (thread-safe; may be NULL). Strings borrowed. The
     * persistent stores call it on the thread of the store call, after releasing their own lock. */
    void (*quarantined)(void *host_data, const char *task_id, const char *reason);
    void *host_data;
    /* A tool inspects the store (asyncz_store_connect_inspect): a record that cannot be read is skipped and
     * reported through quarantined(), but left where it is. */
    bool inspect;
    /* Only a store that exists (asyncz_store_connect_existing): a store kept in local files (sqlite, file)
     * whose file or directory is missing fails with ASYNCZ_ENOTFOUND and nothing is created. */
    bool existing;
} asyncz_store_host;

/* One claimed task. */
typedef struct asyncz_claim {
    asyncz_task *task;         /* a new reference, owned by the receiver */
    uint64_t token;            /* fencing token of this claim */
    asyncz_time_t lease_until; /* the claim lapses at this time */
} asyncz_claim;

/* Called for each task of a listing, in order. task is borrowed (take a reference with asyncz_task_ref to
 * keep it). Return 0 to go on, anything else to stop the listing (which then returns that value). The
 * built-in stores call it with no lock of theirs held (they take a snapshot first): it may call the same
 * store. */
typedef int (*asyncz_store_each_fn)(asyncz_task *task, void *userdata);

typedef struct asyncz_store_ops {
    uint32_t version; /* ASYNCZ_STORE_OPS_VERSION */
    const char *name; /* "memory", "redis", ... */
    unsigned caps;    /* ASYNCZ_STORE_CAP_* */

    /* Connect / load. Called when the scheduler starts (or when the store is added to a running one).
     * May be NULL. Errors: ASYNCZ_ESTORE with a logged reason. */
    int (*open)(asyncz_store *st, const asyncz_store_host *host);
    /* Disconnect. The store may be opened again later. May be NULL. */
    void (*close)(asyncz_store *st);

    /* Store a new task (it has an id and, unless paused, a next run time). Errors: ASYNCZ_EEXISTS. */
    int (*add)(asyncz_store *st, asyncz_task *task);
    /* Replace the task with the same id. Errors: ASYNCZ_ENOTFOUND. */
    int (*update)(asyncz_store *st, asyncz_task *task);
    /* Errors: ASYNCZ_ENOTFOUND. */
    int (*remove)(asyncz_store *st, const char *id);
    int (*remove_all)(asyncz_store *st);
    /* *out: a new reference. Errors: ASYNCZ_ENOTFOUND. */
    int (*lookup)(asyncz_store *st, const char *id, asyncz_task **out);
    /* Every task in order (see above). The persistent stores decode a listing of 2048 records or more on
     * short-lived threads of their own (up to one per CPU, at most 8, every signal blocked); each is called
     * on the caller's thread. */
    int (*list)(asyncz_store *st, asyncz_store_each_fn each, void *userdata);
    /* The unclaimed tasks due at `now` (next run time <= now), in order, at most max; read-only. */
    int (*due)(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *userdata);
    /* The earliest time anything may need attention: the smallest next run time of an unclaimed task, or
     * the earliest lease expiry of a claimed one. ASYNCZ_TIME_NONE when there is none. */
    int (*earliest)(asyncz_store *st, asyncz_time_t *out);
    /* Number of tasks. */
    int (*count)(asyncz_store *st, size_t *out);

    /* Claim up to max due tasks (see above), in order, writing them to out[0..*n_out). */
    int (*claim)(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                 asyncz_claim *out, size_t *n_out);
    /* End a claim: next NULL removes the task; otherwise next (same id; the store may keep a reference)
     * replaces it, unclaimed. Returns 0, changing nothing, when this token's release already replaced the
     * task and nothing was written to it since (see "Claims" above). Errors: ASYNCZ_ESTATE (the claim is no
     * longer held with this token), ASYNCZ_ENOTFOUND. */
    int (*release)(asyncz_store *st, const char *id, uint64_t token, asyncz_task *next);

    /* Free the store (after close). */
    void (*destroy)(asyncz_store *st);

    /* ---- optional (NULL when the store has none) ---- */

    /* List quarantined records, oldest first (see asyncz_store_quarantined). */
    int (*quarantined)(asyncz_store *st, asyncz_quarantine_fn each, void *userdata);
    /* Register or refresh this scheduler's heartbeat (replaces the instance with the same id). */
    int (*heartbeat)(asyncz_store *st, const asyncz_instance *self);
    /* List registered schedulers. */
    int (*instances)(asyncz_store *st, asyncz_instance_fn each, void *userdata);
    /* Deregister a scheduler. Errors: ASYNCZ_ENOTFOUND (already gone: another scheduler removed it first,
     * which is how exactly one survivor reports a lost scheduler). */
    int (*remove_instance)(asyncz_store *st, const char *id);

    /* ---- optional, since version 3 ---- */

    /* Add n tasks (as add), all or none: when any id is taken, add nothing and return ASYNCZ_EEXISTS with
     * asyncz_store_errmsg() naming the first taken id (in the order of tasks; set it with
     * asyncz_store_set_errmsg). asyncz_store_add_tasks, the
     * only caller, has checked that n > 0, that every task has an id and that the ids are distinct. A store
     * without it (NULL, or a version 2 table) gets tasks added one by one, and the added ones removed again
     * when one fails, which other writers of a shared store can observe half-way. */
    int (*add_many)(asyncz_store *st, asyncz_task *const *tasks, size_t n);

    /* ---- optional, since version 4: run history (asyncz/history.h). A store keeps history only when it
     * has all five; the scheduler writes from one thread at a time per store, as for the other ops, but
     * several schedulers and tools may share a store. ---- */

    /* Write n records (borrowed), each an upsert by run id: a record first written as RUNNING at submission
     * is replaced whole when the occurrence ends. A store may refuse a record whose run id it cannot use
     * (ASYNCZ_EINVAL) and then writes none of the batch. Errors: the backend's (nothing or all written). */
    int (*history_put)(asyncz_store *st, const asyncz_run_record *recs, size_t n);
    /* The records matching q (never NULL, already checked: a valid version,
     * limit 1..ASYNCZ_HISTORY_MAX_LIMIT, cursor "" or one this store handed out), newest run id first, at
     * most q->limit, each to each() with no lock of the store held. next_cursor (ASYNCZ_HISTORY_CURSOR_SIZE
     * bytes, never NULL) receives what lets the next call carry on after the last record handed out ("" when
     * there is nothing after it): the built-in stores use that record's run id, so records written meanwhile
     * never shift a page. Output lines only when q->with_output. Errors: ASYNCZ_EINVAL (a cursor the store
     * cannot read), the backend's, each()'s non-zero value. */
    int (*history_list)(asyncz_store *st, const asyncz_history_query *q, asyncz_run_record_fn each,
                        void *userdata, char *next_cursor);
    /* The record of run_id, with its output, into *out (asyncz_run_record_free). Errors: ASYNCZ_ENOTFOUND. */
    int (*history_get)(asyncz_store *st, const char *run_id, asyncz_run_record **out);
    /* Remove at most max records that retention (never NULL) no longer keeps as of now (see
     * asyncz_history_retention), oldest first; *pruned receives how many (max: there may be more). Bounded
     * work: a scheduler calls it every round with a small max. */
    int (*history_prune)(asyncz_store *st, const asyncz_history_retention *retention, asyncz_time_t now,
                         size_t max, size_t *pruned);
    /* Mark every record still RUNNING that scheduler (an identity) recorded as LOST: finished_at now,
     * error_code ASYNCZ_ESTATE, error_message reason (borrowed). *marked receives how many. Idempotent. */
    int (*history_mark_lost)(asyncz_store *st, const char *scheduler, asyncz_time_t now, const char *reason,
                             size_t *marked);

    /* ---- optional, since version 4: the audit trail (asyncz/audit.h). A store keeps one only with both;
     * history_prune applies the same retention to it (by age, and by count per task). ---- */

    /* Write n entries (borrowed; ids distinct, never written before). Errors: ASYNCZ_EINVAL (an entry
     * without a valid id or task id: none written), the backend's. */
    int (*audit_put)(asyncz_store *st, const asyncz_audit_entry *entries, size_t n);
    /* As history_list, for the audit trail (q already checked). */
    int (*audit_list)(asyncz_store *st, const asyncz_audit_query *q, asyncz_audit_fn each, void *userdata,
                      char *next_cursor);
} asyncz_store_ops;

/* Common state of every store. */
typedef struct asyncz_store_base {
    const asyncz_store_ops *ops;
    bool connected; /* open() has succeeded and close() not yet been called (kept by asyncz) */
} asyncz_store_base;

#define ASYNCZ_STORE_BASE(st) ((asyncz_store_base *)(st))

/* Initialise the base. Errors: ASYNCZ_EINVAL (NULL, or ops of a version other than 2, 3 or 4, or a required
 * op missing: every op above the optional ones, but open and close, is required). */
ASYNCZ_API int asyncz_store_base_init(asyncz_store_base *base, const asyncz_store_ops *ops);

/* Set the message asyncz_store_errmsg() returns on this thread (thread-local, printf-like; at most 511
 * bytes kept), for a custom store's op to say what went wrong before it returns its error code: the caller
 * of the public function that called the op (asyncz_store_add_tasks, asyncz_store_get_task, ...) reads it,
 * and the scheduler quotes it in its messages and logs. Name the store and the task id. Any thread; call it
 * from inside an op, on the thread that made the call. */
ASYNCZ_API void asyncz_store_set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Take another reference to a task (returns task; NULL-safe). asyncz_task_free() drops one. */
ASYNCZ_API asyncz_task *asyncz_task_ref(asyncz_task *task);

ASYNCZ_END_DECLS

#endif
