/* Stores: where tasks live (docs/stores.md). A store is made (asyncz_store_open by URL, or a backend's own
 * constructor), then handed to a scheduler (asyncz_scheduler_add_store), which owns it from then on.
 * Custom stores: see asyncz/sys/store.h. The pages docs/stores.md and docs/sealing.md tell what each store
 * guarantees when several schedulers share it.
 *
 * Store functions return 0 or a negative ASYNCZ_E* code; asyncz_store_errmsg() then says what was wrong. */
#ifndef ASYNCZ_STORE_H
#define ASYNCZ_STORE_H

#include "asyncz/common.h"
#include "asyncz/task.h"
#include "asyncz/time.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_store asyncz_store;

/* The environment variable whose value, when set and not empty as a store opens, seals every record of a
 * persistent store with AES-256-GCM (key: SHA-256 of the value). See docs/sealing.md. */
#define ASYNCZ_STORE_KEY_ENV "ASYNCZ_STORE_ENCRYPTION_KEY"

/* A store kept in this process's memory: a 4-ary heap by (next run time, sequence) and a hash by id.
 * Tasks are lost when the process ends. Errors: ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_store_memory_new(asyncz_store **out);

/* Make a store from a URL (borrowed). Nothing is connected yet: the store connects when a scheduler starts
 * with it (or on asyncz_store_connect). Options go in the query string, each known to its backend:
 *   memory://
 *   file:///var/lib/asyncz/tasks?mode=0700&suffix=.task&cleanup_directory=false
 *   sqlite:///var/lib/asyncz/tasks.db?tablename=asyncz_store
 *   postgresql://user:password@host:5432/db?tablename=asyncz_store   (also postgres://)
 *   mariadb://user:password@host:3306/db?tablename=asyncz_store       (also mysql://)
 *   sqlalchemy+postgresql://..., sqlalchemy+sqlite://..., sqlalchemy+mysql://... (aliases)
 *   redis://[:password@]host:6379/0?tasks_key=asyncz.tasks&run_times_key=asyncz.run_times
 *   mongodb://host:27017/?database=asyncz&collection=tasks
 * Errors: ASYNCZ_EINVAL (malformed URL, unknown or bad option: the message names it), ASYNCZ_EUNSUPPORTED
 * (scheme not built in), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_store_open(asyncz_store **out, const char *url);

/* Whether asyncz_store_open can open URLs of scheme ("memory", "file", "sqlite", "postgresql", "postgres",
 * "mariadb", "mysql", "redis", "mongodb"): false for a scheme it does not know or a backend this libasyncz
 * was built without (-DASYNCZ_STORE_<NAME>=OFF). Thread-safe; scheme is borrowed. */
ASYNCZ_API bool asyncz_store_scheme_supported(const char *scheme);
/* Write into buf (size bytes, always NUL-terminated, cut when too small) the store URL url as it may be
 * shown in a message or a log: the password of its authority (user:PASSWORD@host) and the value of every
 * query option whose name holds "pass" or "secret" (any case) replaced by "***". The store's own messages
 * (asyncz_store_errmsg) show URLs this way already. url may be malformed; NULL gives "". */
ASYNCZ_API void asyncz_store_url_mask(const char *url, char *buf, size_t size);

/* What the last failing store function on this thread found wrong (thread-local; "" if none). Valid until
 * the next store call on this thread. */
ASYNCZ_API const char *asyncz_store_errmsg(void);

/* The backend's name ("memory", "file", "sqlite", "postgresql", "mariadb", "redis", "mongodb"). Borrowed. */
ASYNCZ_API const char *asyncz_store_kind(const asyncz_store *st);

/* Connect a store that no scheduler owns (for tools that inspect or manage a store): loads the sealing key,
 * connects to the server, creates missing tables. Idempotent. Errors: the backend's (ASYNCZ_ESTORE: the
 * server cannot be reached, with the reason in asyncz_store_errmsg()). */
ASYNCZ_API int asyncz_store_connect(asyncz_store *st);

/* Told about a record that cannot be read (task_id and reason borrowed for the call). Called on the thread
 * of the store call that met the record, after that call released the store's lock and before it returns:
 * it may call the same store (a lookup, asyncz_store_quarantined...). During asyncz_store_connect_inspect /
 * _existing itself the store is not connected yet: the public store functions then fail (ASYNCZ_ESTATE). */
typedef void (*asyncz_unreadable_fn)(void *userdata, const char *task_id, const char *reason);

/* Connect like asyncz_store_connect, for a tool that looks at or edits a store that schedulers run (the
 * asyncz command): a record that fails to decode, open (sealing: a wrong or missing key) or validate is not
 * quarantined but skipped, left where it is, logged at warning level and reported to fn (may be NULL), so
 * that a tool run with the wrong key moves nothing aside. Idempotent only in the same mode: a store
 * connected the other way is reconnected. Errors: as asyncz_store_connect. */
ASYNCZ_API int asyncz_store_connect_inspect(asyncz_store *st, asyncz_unreadable_fn fn, void *userdata);

/* asyncz_store_connect_inspect for a store that must exist already, so that a mistyped path is an error
 * rather than a new, empty store: a sqlite:// database file or a file:// directory that is not there fails
 * with ASYNCZ_ENOTFOUND (the path in asyncz_store_errmsg()) and nothing is created. So does a database
 * without the store's table (SQLite, PostgreSQL, MariaDB) or tasks' collection (MongoDB), before anything
 * is written to it; a Redis store has nothing to create and connects (empty). Errors: as
 * asyncz_store_connect, and ASYNCZ_ENOTFOUND. */
ASYNCZ_API int asyncz_store_connect_existing(asyncz_store *st, asyncz_unreadable_fn fn, void *userdata);

/* The local file or directory that holds a store's records: the database file of a sqlite:// store (as the
 * URL gave it, perhaps relative), the directory of a file:// store; NULL for memory and server stores and
 * for NULL. Borrowed, valid while st lives. For tools that check who can read or write it (asyncz doctor).
 * The SQLite and file stores refuse to connect to a file or directory that another user owns or that
 * others can write (see docs/stores.md). */
ASYNCZ_API const char *asyncz_store_local_path(asyncz_store *st);

/* A record moved aside because it failed to decode, open (sealing) or validate. Borrowed for the call. */
typedef struct asyncz_quarantined {
    const char *task_id;       /* the id it was stored under */
    const char *reason;        /* why it was moved aside */
    asyncz_time_t at;          /* when */
    const unsigned char *data; /* the record's bytes as they were found */
    size_t len;
} asyncz_quarantined;

/* Return 0 to go on, anything else to stop (the listing then returns that value). Called with no lock of
 * the store held: it may call the same store, asyncz_store_quarantine_open / _restore / _drop on the entry it
 * is given included (entries dropped meanwhile are still handed out: the listing was read before). */
typedef int (*asyncz_quarantine_fn)(const asyncz_quarantined *q, void *userdata);

/* List the quarantined records of a connected store, oldest first. The persistent stores read the whole
 * quarantine (memory: its size) before the first call of fn, and free each entry once fn has had it. Stores
 * that never quarantine (memory) list nothing. Errors: ASYNCZ_ESTATE (not connected), the backend's
 * (nothing handed out then), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_store_quarantined(asyncz_store *st, asyncz_quarantine_fn fn, void *userdata);

/* Taking records out of the quarantine (the asyncz tool's `quarantine` commands use these). An entry is
 * addressed by its task id and the time it was quarantined (asyncz_quarantined.at, to the microsecond); one
 * id may have several entries. The store must be connected (any asyncz_store_connect*); the calls are as
 * thread-safe as the store's other operations. The memory store keeps no quarantine: open is
 * ASYNCZ_EUNSUPPORTED, restore and drop find nothing (ASYNCZ_ENOTFOUND); a custom store's quarantine
 * cannot be changed through these (ASYNCZ_EUNSUPPORTED). */

/* Open a quarantined record q (as asyncz_store_quarantined hands it out; borrowed) with the store's current
 * key (ASYNCZ_STORE_ENCRYPTION_KEY as the store connected), decode it and check it is the task of its id:
 * what asyncz_store_quarantine_restore would do, changing nothing. *document receives the plaintext document
 * (malloc'd, NUL-terminated; may hold other NUL bytes: *len is its length), or NULL when a sealed record
 * does not open; it is set on failure too, so that a tool can show what is wrong. *task (task may be NULL)
 * receives the task on success (a new reference: asyncz_task_free). Errors (asyncz_store_errmsg() says why):
 * ASYNCZ_ECRYPTO (sealed and no key, or it does not open with this key; plaintext while a key is set),
 * ASYNCZ_EPARSE / ASYNCZ_EINVAL / ASYNCZ_EUNSUPPORTED / ASYNCZ_EZONE (the document), ASYNCZ_ESTATE (the
 * document of another task), ASYNCZ_EINVAL (NULL arguments), ASYNCZ_ESTATE (not connected), ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_store_quarantine_open(asyncz_store *st, const asyncz_quarantined *q, char **document,
                                            size_t *len, asyncz_task **task);

/* Put a quarantined record back: the entry of task_id quarantined at `at`, or its newest entry when at is
 * ASYNCZ_TIME_NONE. It is validated again as asyncz_store_quarantine_open does; the task is then written as
 * a new record (sealed with the current key when one is set), or over a live task with the same id when
 * replace is true, and only then is the entry removed: a failure in between leaves the task back and the
 * entry still listed, never neither. *restored (may be NULL) receives the task (asyncz_task_free). The task
 * keeps the next run time its document holds (a past one is then handled as a misfire by the scheduler).
 * Errors (nothing changed, asyncz_store_errmsg() says why): ASYNCZ_ENOTFOUND (no such entry), the errors of
 * asyncz_store_quarantine_open (the record is still not valid), ASYNCZ_EEXISTS (a live task has that id and
 * replace is false), ASYNCZ_EINVAL, ASYNCZ_ESTATE (not connected), the store's (ASYNCZ_ESTORE...). */
ASYNCZ_API int asyncz_store_quarantine_restore(asyncz_store *st, const char *task_id, asyncz_time_t at,
                                               bool replace, asyncz_task **restored);

/* Remove quarantine entries for good: task_id's entry quarantined at `at`, or every entry of task_id when at
 * is ASYNCZ_TIME_NONE. *dropped (may be NULL) receives how many were removed. Atomic in the SQL stores,
 * Redis and MongoDB; the file store removes one entry file at a time. Errors: ASYNCZ_ENOTFOUND (no entry
 * matched: nothing removed), ASYNCZ_EINVAL, ASYNCZ_ESTATE (not connected), the store's. */
ASYNCZ_API int asyncz_store_quarantine_drop(asyncz_store *st, const char *task_id, asyncz_time_t at,
                                            size_t *dropped);

/* A run handed to an executor and not known to have finished. */
typedef struct asyncz_inflight {
    const char *task_id;
    asyncz_time_t run_time;
} asyncz_inflight;

/* A scheduler registered in a shared store (its heartbeat). Borrowed for the call. */
typedef struct asyncz_instance {
    const char *id;       /* the scheduler's identity */
    const char *hostname; /* where it runs */
    int64_t pid;
    const char *version; /* asyncz version */
    asyncz_time_t started_at;
    asyncz_time_t heartbeat_at;     /* its last heartbeat */
    asyncz_time_t expires_at;       /* considered gone after this time without a new heartbeat */
    const asyncz_inflight *running; /* runs in flight at its last heartbeat */
    size_t n_running;
} asyncz_instance;

/* Return 0 to go on, anything else to stop (the listing then returns that value). Called with no lock of
 * the store held (the instances are read first): it may call the same store. */
typedef int (*asyncz_instance_fn)(const asyncz_instance *inst, void *userdata);

/* List the schedulers registered in a connected shared store. Stores without heartbeats list nothing.
 * Errors: ASYNCZ_ESTATE (not connected), the backend's. */
ASYNCZ_API int asyncz_store_instances(asyncz_store *st, asyncz_instance_fn fn, void *userdata);

/* Add n tasks (borrowed; the store may keep references, so do not change them afterwards) to a connected
 * store, all or none, for tools and imports that load many tasks at once. Each task needs an id and, unless
 * it is to be stored paused, a next run time: nothing is computed here (a scheduler's add_task does that).
 * n == 0 adds nothing and returns 0 (tasks may then be NULL).
 *
 * What "all or none" means depends on the store (docs/stores.md): memory, SQLite, PostgreSQL, MariaDB and
 * Redis add the tasks in one transaction (one lock, one script), so other schedulers and processes see
 * either none or all of them. The file and MongoDB stores, and custom stores without the add_many op, add
 * them one by one and remove the added ones again when one fails: the result is all or none, but another
 * process can see the first tasks meanwhile (and run them, if they are due).
 *
 * This does not wake up or tell a scheduler that uses the store (no TASK_ADDED events): add through the
 * scheduler for that. Errors: ASYNCZ_EINVAL (st or tasks NULL, a NULL task, a task without an id, the same
 * id twice in tasks: the message names it), ASYNCZ_ESTATE (not connected), ASYNCZ_EEXISTS (an id is taken
 * in the store: the message names the first one; nothing was added), the store's errors (ASYNCZ_ESTORE,
 * ASYNCZ_ENOMEM...; nothing was added). */
ASYNCZ_API int asyncz_store_add_tasks(asyncz_store *st, asyncz_task *const *tasks, size_t n);

/* ---- managing the tasks of a store from a program (docs/stores.md) -------------------------------------
 *
 * For a store the application connected itself (asyncz_store_connect, _connect_inspect, _connect_existing):
 * what tools, bindings and HTTP front ends do to the tasks of a store that schedulers elsewhere run. A store
 * handed to a scheduler (asyncz_scheduler_add_store) belongs to it: reach its tasks through the
 * scheduler's task API (asyncz_scheduler_get_task, ...), which also wakes the scheduler and emits events.
 * These functions wake no scheduler and emit no events: a scheduler sharing the store sees the change when
 * it next reads the store (at once with a notifying store, else within its poll interval).
 *
 * Each function works on the task with the given id (borrowed), makes one or two store calls and returns 0
 * or a negative ASYNCZ_E* code with asyncz_store_errmsg() naming the task id and the store: the store's own
 * message when it gave one (a custom store sets it with asyncz_store_set_errmsg, sys/store.h), else one of
 * these functions'. Errors common to all: ASYNCZ_EINVAL (st NULL, an id that asyncz_task_id_valid refuses,
 * a NULL required argument), ASYNCZ_ESTATE (the store is not connected), ASYNCZ_ENOTFOUND (no task with that
 * id, or, in a store connected for inspection, a record that cannot be read: its unreadable callback was
 * told), and the store's (ASYNCZ_ESTORE, ASYNCZ_EIO, ASYNCZ_ECRYPTO, ASYNCZ_ENOMEM...).
 *
 * Threads: as thread-safe as the store's operations (every built-in store serialises them); each call is a
 * read, or a read and a write, not a transaction: a scheduler or another tool may change the task in
 * between, and the last write wins (a write ends a scheduler's claim on the task: see sys/store.h). No
 * callback runs during these calls except the unreadable callback of asyncz_store_connect_inspect, which
 * must not call the same store. Tasks handed out (*out) are the caller's own copies (asyncz_task_free). */

/* The task with this id: *out receives a copy (asyncz_task_free). Errors: as above. */
ASYNCZ_API int asyncz_store_get_task(asyncz_store *st, const char *id, asyncz_task **out);

/* Add one task (borrowed: the store keeps a copy) with the id and next run time it has: nothing is
 * computed (set a next run time, or ASYNCZ_TIME_NONE to add it paused, with asyncz_task_set_next_run_time).
 * With replace, a task already stored under that id is replaced (asyncz_store_update_task), and if it was
 * removed meanwhile the task is added again. Errors: as above, and ASYNCZ_EINVAL (task NULL or without an
 * id), ASYNCZ_EEXISTS (the id is taken and replace is false). */
ASYNCZ_API int asyncz_store_add_task(asyncz_store *st, const asyncz_task *task, bool replace);

/* Replace the stored task with the id of task (borrowed: the store keeps a copy) by task, as it is: its next
 * run time is not recomputed. Errors: as above, and ASYNCZ_EINVAL (task NULL or without an id). */
ASYNCZ_API int asyncz_store_update_task(asyncz_store *st, const asyncz_task *task);

/* Remove the task with this id. Errors: as above. */
ASYNCZ_API int asyncz_store_remove_task(asyncz_store *st, const char *id);

/* Pause the task: it keeps no next run time of its own schedule; a pending run request
 * (asyncz_store_request_run) is kept and still runs once. A paused task is left as it is and *changed is
 * false; otherwise the task is written and *changed is true. *out (may be NULL) receives the task as it now
 * is (a copy), changed or not; changed may be NULL. Errors: as above, and ASYNCZ_ESTATE (a task of a
 * shutdown trigger that is not scheduled: it runs when a scheduler shuts down and has no next run time to
 * pause; nothing changed). */
ASYNCZ_API int asyncz_store_pause_task(asyncz_store *st, const char *id, asyncz_task **out, bool *changed);

/* Resume a paused task: its next run time becomes its trigger's first fire time after `now` (the time as
 * of which the trigger is asked; ASYNCZ_TIME_NONE: the clock's time, asyncz_now()), or `now` itself for a
 * task without a trigger; a pending run request is kept. A task that is not paused is left as it is and
 * *changed is false; otherwise the task is written and *changed is true. out and changed as for pause.
 * Errors: as above, and ASYNCZ_ESTATE (the trigger has no fire time left after now: nothing changed;
 * remove the task or give it a new trigger), the trigger's (ASYNCZ_ESEARCH...: nothing changed). */
ASYNCZ_API int asyncz_store_resume_task(asyncz_store *st, const char *id, asyncz_time_t now,
                                        asyncz_task **out, bool *changed);

/* Ask the scheduler that owns the store to run the task once at `at` (ASYNCZ_TIME_NONE: now), outside its
 * schedule, as asyncz_task_request_run describes; the schedule goes on afterwards (a paused task stays
 * paused). Nothing runs here. A task with a request pending keeps it (the first stands) and *queued is
 * false; otherwise the request is written and *queued is true. *out (may be NULL) receives the task as it
 * now is (a copy: asyncz_task_run_requested tells when the run is due); queued may be NULL. Errors: as
 * above, and ASYNCZ_EINVAL (at out of range). */
ASYNCZ_API int asyncz_store_request_run(asyncz_store *st, const char *id, asyncz_time_t at, asyncz_task **out,
                                        bool *queued);

/* What asyncz_store_list_tasks keeps: a task's state. */
#define ASYNCZ_TASK_STATE_SCHEDULED 1u /* it has a next run time */
#define ASYNCZ_TASK_STATE_PAUSED 2u   /* no next run time of its own schedule (maybe a pending run request) */
#define ASYNCZ_TASK_STATE_SHUTDOWN 4u /* a shutdown trigger's task: runs when a scheduler shuts down */
#define ASYNCZ_TASK_STATE_ALL 7u

/* The state of a task as asyncz lists it (one ASYNCZ_TASK_STATE_* bit; 0 for NULL). A paused task with a
 * pending run request is paused; a shutdown trigger's task with a next run time (a pending run request) is
 * scheduled. Thread-safe; task is borrowed. */
ASYNCZ_API unsigned asyncz_task_state(const asyncz_task *task);

/* The order of a listing. */
typedef enum asyncz_task_sort {
    ASYNCZ_TASK_SORT_NEXT = 0, /* the store's order: by next run time, ties as scheduled, paused tasks last */
    ASYNCZ_TASK_SORT_ID = 1,   /* by id (bytes) */
    ASYNCZ_TASK_SORT_NAME = 2, /* by name (bytes), then id */
} asyncz_task_sort;

/* No limit (asyncz_task_filter.limit). */
#define ASYNCZ_TASK_FILTER_NO_LIMIT SIZE_MAX

/* Which tasks asyncz_store_list_tasks hands out, and in what order: the filters of `asyncz list`. Fill it
 * with asyncz_task_filter_init(), then set what you need. Versioned like the option structs (see
 * asyncz_scheduler_options): fields are appended and the version raised; a program built against an older
 * header keeps working. Version 1: the fields below. The strings are borrowed for the call. */
#define ASYNCZ_TASK_FILTER_VERSION 1

typedef struct asyncz_task_filter {
    uint32_t version;      /* the layout: set by asyncz_task_filter_init(), do not change */
    unsigned states;       /* ASYNCZ_TASK_STATE_* bits kept (default ASYNCZ_TASK_STATE_ALL; 0 is all too) */
    const char *trigger;   /* a trigger kind kept: "cron", "interval", "calendar" (or "calendarinterval"),
                              "date" (also a task without a trigger), "and", "or", "shutdown", or a custom
                              trigger's kind; NULL (default): any */
    const char *executor;  /* the executor alias kept; NULL (default): any */
    const char *query;     /* kept when the id, the name or what the task runs contains this text
                              (case-sensitive): a command task of the asyncz tool (function "asyncz.shell")
                              runs its command line (its first argument), any other task "FUNC ARGS KWARGS"
                              (the function, then the arguments as compact JSON, each left out when empty);
                              NULL or "" (default): any */
    asyncz_task_sort sort; /* default ASYNCZ_TASK_SORT_NEXT */
    bool descending;       /* reverse the order (default false) */
    size_t offset;         /* skip this many of the sorted matches first (default 0) */
    size_t limit;          /* hand out at most this many (default ASYNCZ_TASK_FILTER_NO_LIMIT) */
} asyncz_task_filter;

/* Fill f, a struct of the layout `version` (ASYNCZ_TASK_FILTER_VERSION of the header it was built with),
 * with the defaults (every task, the store's order) and set f->version; nothing past that layout is
 * written. For bindings that lay the struct out themselves; C programs call asyncz_task_filter_init().
 * Errors: ASYNCZ_EINVAL (f NULL; version 0 or newer than the library knows: then only f->version is written,
 * and asyncz_store_errmsg() says why). */
ASYNCZ_API int asyncz_task_filter_init_version(asyncz_task_filter *f, uint32_t version);

/* Fill every field with its default and set f->version to this header's version. */
static inline void asyncz_task_filter_init(asyncz_task_filter *f)
{
    (void)asyncz_task_filter_init_version(f, ASYNCZ_TASK_FILTER_VERSION);
}

typedef struct asyncz_task_list asyncz_task_list; /* scheduler.h: count, at, stored, matched, free */

/* The tasks of the store that filter keeps (NULL: every task, in the store's order), sorted, then cut by
 * offset and limit. *out receives a new list (asyncz_task_list_free) of the store's own tasks, read-only;
 * asyncz_task_list_stored and _matched tell how many the store held and how many matched. A record that
 * cannot be read (a store connected for inspection) is left out and reported to the unreadable callback.
 * Errors: ASYNCZ_EINVAL (st or out NULL; filter->version 0 or newer than the library knows, an unknown
 * states bit or sort: the message says which), ASYNCZ_ESTATE (not connected), ASYNCZ_ENOMEM, the store's. */
ASYNCZ_API int asyncz_store_list_tasks(asyncz_store *st, const asyncz_task_filter *filter,
                                       asyncz_task_list **out);

/* Free a store not handed to a scheduler (NULL-safe; disconnects it first). */
ASYNCZ_API void asyncz_store_free(asyncz_store *st);

ASYNCZ_END_DECLS

#endif
