/* The audit trail (docs/history.md#audit-trail): one entry per change of a task made through the library's
 * management calls (asyncz_scheduler_add_task ... _remove_task, asyncz_store_add_task ... _request_run),
 * kept in the task's store beside its run history, with the same retention, visible to every scheduler and
 * tool that uses the store.
 *
 * Each entry names its actor: the calling thread's (asyncz_set_actor), else the process's user. A store
 * without an audit trail (a custom store whose ops leave audit_put / audit_list NULL) records nothing and
 * its listing fails with ASYNCZ_EUNSUPPORTED. Recording never fails a change: a change that was made and
 * could not be recorded is logged (logger "asyncz.audit") instead.
 *
 * Entries handed to a callback are borrowed for the call. Functions return 0 or a negative ASYNCZ_E* code
 * with a message (asyncz_store_errmsg() / asyncz_scheduler_errmsg()). */
#ifndef ASYNCZ_AUDIT_H
#define ASYNCZ_AUDIT_H

#include "asyncz/common.h"
#include "asyncz/history.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

/* What was done to the task. Stored by name: never renumbered. */
typedef enum asyncz_audit_action {
    ASYNCZ_AUDIT_ADD = 1,    /* added (asyncz_scheduler_add_task, asyncz_store_add_task) */
    ASYNCZ_AUDIT_UPDATE = 2, /* changed: fields, trigger, reschedule, or replaced by an add */
    ASYNCZ_AUDIT_PAUSE = 3,  /* paused */
    ASYNCZ_AUDIT_RESUME = 4, /* resumed */
    ASYNCZ_AUDIT_REMOVE = 5, /* removed */
    ASYNCZ_AUDIT_RUN = 6,    /* a run requested (asyncz_scheduler_run_task, asyncz_store_request_run) */
} asyncz_audit_action;

/* The bit of one action in asyncz_audit_query.actions. */
#define ASYNCZ_AUDIT_ACTION_BIT(a) (1u << (unsigned)(a))

/* "add", "update", "pause", "resume", "remove", "run"; "unknown" for other values. Static storage. */
ASYNCZ_API const char *asyncz_audit_action_name(asyncz_audit_action action);
/* The action of a name as above. Errors: ASYNCZ_EINVAL (NULL or unknown). */
ASYNCZ_API int asyncz_audit_action_parse(const char *name, asyncz_audit_action *out);

/* One change. */
typedef struct asyncz_audit_entry {
    char id[ASYNCZ_RUN_ID_SIZE]; /* a UUIDv7, time-sortable: the key */
    asyncz_time_t at;            /* when the change was made */
    asyncz_audit_action action;
    const char *task_id;
    const char *actor; /* who: "alice (uid 1000)", "config", an API principal... */
    const char *host;  /* the host of the process that made the change */
    int64_t pid;
    /* What changed, as a JSON object of the task document's fields (docs/tasks.md) that differ:
     * {"field": {"before": value, "after": value}} (a field absent on one side is null there). An add has
     * every field's after, a remove every field's before; "{}" when nothing changed. */
    const char *changes;
} asyncz_audit_entry;

/* ---- who is acting ----------------------------------------------------------------------------------- */

/* Set the actor of this thread's changes (copied; at most 255 bytes, UTF-8, no control characters), or NULL
 * to go back to the default: the process's user, "NAME (uid N)". An HTTP server sets its principal per
 * request; the daemon says "config" while it applies its configuration. Errors: ASYNCZ_EINVAL (too long,
 * control characters), ASYNCZ_ENOMEM. Any thread: it affects only the calling thread. */
ASYNCZ_API int asyncz_set_actor(const char *actor);

/* This thread's actor (see asyncz_set_actor). Valid until the thread sets another or ends. */
ASYNCZ_API const char *asyncz_actor(void);

/* ---- listing ------------------------------------------------------------------------------------------ */

#define ASYNCZ_AUDIT_QUERY_VERSION 1

/* Which entries to list, newest first. Strings are borrowed for the call. */
typedef struct asyncz_audit_query {
    uint32_t version;    /* ASYNCZ_AUDIT_QUERY_VERSION: fill with asyncz_audit_query_init */
    const char *task_id; /* only this task's; NULL: every task */
    const char *actor;   /* only this actor's (exactly); NULL: everyone's */
    uint32_t actions;    /* ASYNCZ_AUDIT_ACTION_BIT()s wanted; 0: every action */
    asyncz_time_t since; /* at >= since; ASYNCZ_TIME_NONE: no lower bound */
    asyncz_time_t until; /* at < until; ASYNCZ_TIME_NONE: no upper bound */
    size_t limit;        /* at most this many (0: ASYNCZ_HISTORY_DEFAULT_LIMIT; over ASYNCZ_HISTORY_MAX_LIMIT:
                            EINVAL) */
    const char *cursor;  /* "" or NULL: from the newest; else a cursor a previous page handed back */
} asyncz_audit_query;

/* Fill q (a struct of the layout `version`) with the defaults: everything, the default limit, no cursor.
 * Errors: ASYNCZ_EINVAL (NULL; version 0 or newer than the library). */
ASYNCZ_API int asyncz_audit_query_init_version(asyncz_audit_query *q, uint32_t version);

static inline void asyncz_audit_query_init(asyncz_audit_query *q)
{
    (void)asyncz_audit_query_init_version(q, ASYNCZ_AUDIT_QUERY_VERSION);
}

/* Called for each entry, newest first; e is borrowed for the call. Return 0 to go on, anything else to
 * stop (the listing returns it). Called with no lock held: it may call the same store or scheduler. */
typedef int (*asyncz_audit_fn)(const asyncz_audit_entry *e, void *userdata);

/* The entries of an application-connected store matching q (borrowed; NULL: the defaults), each to fn.
 * next_cursor (ASYNCZ_HISTORY_CURSOR_SIZE bytes; may be NULL) receives the next page's cursor, "" after
 * the last. Errors: ASYNCZ_EINVAL (a malformed query or cursor), ASYNCZ_ESTATE (not connected),
 * ASYNCZ_EUNSUPPORTED (no audit trail), the store's, fn's non-zero value. Any thread. */
ASYNCZ_API int asyncz_store_list_audit(asyncz_store *st, const asyncz_audit_query *q, asyncz_audit_fn fn,
                                       void *userdata, char *next_cursor);

/* The same for the store a scheduler owns under alias (NULL: "default"). Errors: as above, ASYNCZ_ENOTFOUND
 * (no such store), ASYNCZ_ESTATE (a store that must be opened, and the scheduler has not started). */
ASYNCZ_API int asyncz_scheduler_list_audit(asyncz_scheduler *s, const char *alias,
                                           const asyncz_audit_query *q, asyncz_audit_fn fn, void *userdata,
                                           char *next_cursor);

/* Turn the recording of changes made through the scheduler's task API on or off for the store under alias
 * (NULL: "default"). Default: on for a persistent store that keeps an audit trail, off for the memory store
 * (whose changes are the application's own calls; recording each add would cost more than the add). Errors:
 * ASYNCZ_EINVAL, ASYNCZ_ENOTFOUND (no such store), ASYNCZ_EUNSUPPORTED (on, for a store without an audit
 * trail). Any thread. */
ASYNCZ_API int asyncz_scheduler_set_audit(asyncz_scheduler *s, const char *alias, bool enabled);

ASYNCZ_END_DECLS

#endif
