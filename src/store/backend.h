/* Record backends: the part of a persistent store that talks to its database. Internal.
 *
 * Every persistent store (file, sqlite, postgresql, mariadb, redis, mongodb) is the persist layer
 * (persist.c) over one record backend. The persist layer does everything that is the same for all of them:
 * encoding tasks to their JSON document (codec/), sealing and opening records (codec/seal.h), validating
 * what it reads back, quarantining records that fail, heartbeats' encoding, errors and logs. A backend
 * stores opaque records and keeps them in order; it never looks inside a record.
 *
 * A record: the task id (its key, 1-255 bytes, see asyncz_task_set_id), the bytes (a task document or a
 * sealed envelope; up to AZ_RECORD_MAX bytes, binary-safe: may hold NUL bytes), and in the clear, beside
 * the bytes, the columns the backend needs to order and claim:
 *   next_run_time   µs since the epoch, or ASYNCZ_TIME_NONE (paused)
 *   seq             assigned by the backend from one counter per store (see below) on every insert/replace/
 *                   release: orders ties of next_run_time, and paused records among themselves
 *   owner, lease_until, token   the claim, if any (owner NULL / lease_until ASYNCZ_TIME_NONE when none);
 *                   release clears owner and lease_until but keeps the token, insert/replace set token 0, so
 *                   an unclaimed record with a token was last written by the release with that token
 *
 * Order ("in order" below): next_run_time ascending, ties by seq; paused records after all others, by seq.
 * A record "has a claim" from claim until release/replace clears owner and lease_until; it is "claimed at
 * now" while it has a claim with lease_until > now (a claim whose lease ran out can be claimed again).
 *
 * Counter: every store has one 64-bit counter, persistent, shared by every process using the store,
 * strictly increasing (SQL SEQUENCE or a counter row, Redis INCR, Mongo $inc on a counter document, a counter
 * file under flock). seq values and fencing tokens both come from it, so a token is never reused even when a
 * task is removed and added again.
 *
 * Atomicity: with several processes on one store, insert/replace/remove/claim/release/quarantine must each
 * be atomic in the backend (a transaction, a Lua script, a single-document update, flock), and so must
 * insert_many for a backend that has it. Nothing else is required: the persist layer never relies on two
 * calls happening together.
 *
 * Threads: the persist layer serialises calls on one store object with its own mutex; a backend needs no
 * lock of its own for its connection, except for what its notification thread shares with it.
 *
 * Errors: return 0 or a negative ASYNCZ_E* code. For a failure of the server or the system (connection
 * lost, SQL error, disk full), return ASYNCZ_ESTORE (or ASYNCZ_EIO for local I/O) after az_store_fail()
 * with the reason, naming the store and what it was doing ("redis 127.0.0.1:6379: EVALSHA claim: ...").
 * A backend whose connection broke reconnects on its next call (one attempt per call; no sleeping).
 */
#ifndef AZ_STORE_BACKEND_H
#define AZ_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncz/sys/store.h"
#include "store/url.h"

/* Largest record a backend must accept: the largest task document (ASYNCZ_TASK_DOC_MAX), sealed. */
#define AZ_RECORD_MAX (ASYNCZ_TASK_DOC_MAX + 64u)

typedef struct az_backend az_backend;

/* A record to write. All borrowed for the call. */
typedef struct az_record {
    const char *id;
    asyncz_time_t next_run_time; /* ASYNCZ_TIME_NONE: paused */
    const unsigned char *data;
    size_t len;
} az_record;

/* A record read back. All borrowed for the callback only. token and lease_until are those of the claim
 * just made (claim) and zero / ASYNCZ_TIME_NONE elsewhere. */
typedef struct az_found {
    const char *id;
    asyncz_time_t next_run_time;
    const unsigned char *data;
    size_t len;
    uint64_t token;
    asyncz_time_t lease_until;
} az_found;

/* Called per record, in order. Return 0 to go on, anything else to stop (the call then returns it). The
 * callback may not call back into the same backend. */
typedef int (*az_found_fn)(const az_found *rec, void *userdata);

/* A quarantined record as stored. Borrowed for the callback only. */
typedef struct az_quarantine_rec {
    const char *id;
    const char *reason;
    asyncz_time_t at;
    const unsigned char *data;
    size_t len;
} az_quarantine_rec;

typedef int (*az_quarantine_rec_fn)(const az_quarantine_rec *q, void *userdata);

/* An instance (heartbeat) record: the scheduler's identity and an opaque document (which holds, among the
 * rest, when it expires: the persist layer and the scheduler read that, not the backend). */
typedef int (*az_instance_rec_fn)(const char *id, const unsigned char *data, size_t len, void *userdata);

/* ---- journals: run history and the audit trail ----------------------------------------------------------
 *
 * A backend that keeps history has two journals, AZ_JOURNAL_RUNS (one entry per occurrence, asyncz/history.h)
 * and AZ_JOURNAL_AUDIT (one entry per change of a task). Each journal is a set of entries keyed by id,
 * apart from the task records and from each other (a table / collection / key space each: a backend names
 * them after az_journal_name(), e.g. "<table>_runs", "<prefix>:audit"). Like task records, an entry is
 * opaque bytes (a JSON document, or sealed: the persist layer does that) with a few columns in the clear
 * beside it, which the backend indexes and filters on; it never looks inside the bytes.
 *
 * Ids are UUIDv7 texts (36 lower-case characters): byte order is time order, so "newest first" is
 * descending byte order of id, and a page carries on below the last id handed out.
 *
 * Several processes write the same journal: every op is atomic per entry (an upsert replaces an entry
 * whole, never half); a batch need not be atomic as a whole. Entries of a task that was removed stay until
 * retention removes them.
 *
 * Expected cost at 1,000,000 entries (the targets; measured by `asyncz-bench history`): put in
 * batches >= 20,000 entries/s (sqlite, postgresql, redis); list the newest 50 of one task <= 5 ms; the
 * failed entries of the last day <= 20 ms; each prune call (max <= 256) <= 10 ms. So: index (or keep a
 * sorted set for) id, (task_id, id), (status, id) and end_at; filter other columns while reading.
 * ---------------------------------------------------------------------------------------------------------- */

typedef enum az_journal {
    AZ_JOURNAL_RUNS = 0,
    AZ_JOURNAL_AUDIT = 1,
} az_journal;

#define AZ_JOURNAL_COUNT 2

/* "runs" / "audit". */
const char *az_journal_name(az_journal j);

/* The largest entry a backend must accept (bytes): a run with its output (at most 1 MiB of text, escaped
 * in JSON), sealed. */
#define AZ_JOURNAL_MAX (8u * 1024u * 1024u)

/* The id and task_id limits, as for tasks. */
#define AZ_JOURNAL_ID_LEN 36

/* An entry: written (borrowed for the call) or read back (borrowed for the callback only). */
typedef struct az_jentry {
    const char *id;      /* UUIDv7 text, AZ_JOURNAL_ID_LEN characters */
    const char *task_id; /* 1-255 bytes */
    asyncz_time_t at;    /* runs: submitted_at; audit: when. Queries filter on it (since / until) */
    asyncz_time_t end_at; /* retention by age: runs: finished_at, or at while running; audit: at */
    int status;          /* runs: the outcome (0-31); audit: the action (0-31). Queries filter on a set */
    const char *who;     /* runs: the scheduler identity; audit: the actor (may be ""; <= 255 bytes) */
    const unsigned char *data;
    size_t len; /* 1..AZ_JOURNAL_MAX */
} az_jentry;

/* Which entries to list: those matching every filter set, newest id first. All borrowed for the call. */
typedef struct az_jquery {
    const char *task_id;  /* NULL: every task */
    uint32_t statuses;    /* bit (1u << status) for each status wanted; 0: every status */
    asyncz_time_t since;  /* at >= since; ASYNCZ_TIME_NONE: no bound */
    asyncz_time_t until;  /* at < until; ASYNCZ_TIME_NONE: no bound */
    const char *who;      /* exactly this who; NULL: anyone */
    const char *before;   /* only ids < before (bytewise); NULL: from the newest */
    size_t limit;         /* at most this many (1..10,000) */
} az_jquery;

/* Called per entry. Return 0 to go on, anything else to stop (the op then returns it). The callback may
 * not call back into the same backend. */
typedef int (*az_jentry_fn)(const az_jentry *e, void *userdata);

typedef struct az_backend_ops {
    const char *name; /* "sqlite", ... as asyncz_store_kind() reports it */
    unsigned caps;    /* ASYNCZ_STORE_CAP_*: PERSISTENT always; SHARED; NOTIFY if it calls host->wakeup */
    /* Optional (NULL for server stores): the local file or directory that holds the records (sqlite: the
     * database file; file: the directory), for asyncz_store_local_path. Valid until destroy. */
    const char *(*local_path)(az_backend *b);

    /* Connect (and create tables, indexes, directories that are missing). host is borrowed until close:
     * a backend that can notify calls host->wakeup(host->host_data) when another process inserts or
     * replaces a record (not for its own writes). Errors: ASYNCZ_ESTORE / ASYNCZ_EIO with the reason. */
    int (*open)(az_backend *b, const asyncz_store_host *host);
    /* Disconnect; may be opened again. */
    void (*close)(az_backend *b);
    /* Free (after close). */
    void (*destroy)(az_backend *b);

    /* Insert a new record. Errors: ASYNCZ_EEXISTS (a record with that id exists). */
    int (*insert)(az_backend *b, const az_record *rec);
    /* Optional (NULL: the store has no add_many op, and asyncz_store_add_tasks adds one by one and removes
     * them again when one fails). Insert n records (n > 0, ids distinct) atomically, all or none: when any id
     * exists, insert nothing and return ASYNCZ_EEXISTS with a message naming the first existing id (in the
     * order of recs). seq values increase in the order of recs. A backend that notifies need not send more
     * than one notification for the batch. On any other failure nothing is inserted either. */
    int (*insert_many)(az_backend *b, const az_record *recs, size_t n);
    /* Replace the record with the same id (new bytes, next_run_time, seq; ends any claim: owner and lease
     * cleared, token kept). Errors: ASYNCZ_ENOTFOUND. */
    int (*replace)(az_backend *b, const az_record *rec);
    /* Errors: ASYNCZ_ENOTFOUND. */
    int (*remove)(az_backend *b, const char *id);
    /* Remove every record (not quarantined ones, not instances). */
    int (*remove_all)(az_backend *b);
    /* One record by id (token 0, lease_until NONE in what is passed). Errors: ASYNCZ_ENOTFOUND. */
    int (*get)(az_backend *b, const char *id, az_found_fn each, void *userdata);
    /* Every record, in order (fetched in pages if need be; stop early when each returns non-zero). Stopping
     * early must be cheap: the persist layer reads the first records at every open (its key check). */
    int (*scan)(az_backend *b, az_found_fn each, void *userdata);
    /* Records with next_run_time <= now not claimed at now, in order, at most max; read-only. */
    int (*due)(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata);
    /* The earliest time a record may need attention: the smallest, over all records, of lease_until for a
     * record with a claim (even one whose lease ran out) and of next_run_time for one without (paused ones
     * have none); ASYNCZ_TIME_NONE if no record has either. */
    int (*earliest)(az_backend *b, asyncz_time_t *out);
    int (*count)(az_backend *b, size_t *out);

    /* Atomically claim up to max records that are due at now and not claimed at now, in order: set owner,
     * lease_until = now + lease_usec, token = next counter value (tokens increase in the order the records
     * are handed out); then pass each (with token and lease_until) to each, in order. Claims made stand
     * even if each stops early; a backend may then leave the rest unclaimed. */
    int (*claim)(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                 az_found_fn each, void *userdata);
    /* If the record id is claimed with this token (whatever the lease says now), atomically either remove
     * it (next NULL) or replace it with next (same id), unclaimed, keeping the token. If it has no claim and
     * holds this token (this release already took effect: a repeat after a lost reply), change nothing and
     * return 0. Errors: ASYNCZ_ENOTFOUND (no record), ASYNCZ_ESTATE (another token, or no claim and another
     * token, or token 0): nothing changed. */
    int (*release)(az_backend *b, const char *id, uint64_t token, const az_record *next);

    /* Move a live record aside (claimed or not): if the record id still holds exactly these bytes,
     * atomically remove it and add (id, reason, at, bytes) to the store's quarantine (several entries per id
     * are allowed). If the record changed or is gone meanwhile, change nothing and return ASYNCZ_ESTATE.
     * reason is valid UTF-8 without control characters. A backend that finds a record it cannot even hand
     * up (a file store's malformed header) quarantines it itself and tells host->quarantined: the host the
     * persist layer gave it, which queues the report and tells the real host after its lock is released. */
    int (*quarantine)(az_backend *b, const char *id, const unsigned char *data, size_t len,
                      const char *reason, asyncz_time_t at);
    /* List the quarantine, oldest first (by `at`, ties in the order they were added). */
    int (*quarantined)(az_backend *b, az_quarantine_rec_fn each, void *userdata);
    /* Remove the quarantine entries of id quarantined at `at` (as quarantined lists them), or every entry of
     * id when at is ASYNCZ_TIME_NONE; *dropped: how many went (0 is not an error: the persist layer says
     * ASYNCZ_ENOTFOUND). Atomic where the backend can make it so (one statement, one script); the file store
     * removes one entry file at a time under its lock. */
    int (*quarantine_drop)(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped);

    /* Heartbeats (SHARED backends; NULL otherwise): store/replace instance id's document, list them all,
     * remove one (ASYNCZ_ENOTFOUND if absent: exactly one remover succeeds). */
    int (*put_instance)(az_backend *b, const char *id, const unsigned char *data, size_t len);
    int (*instances)(az_backend *b, az_instance_rec_fn each, void *userdata);
    int (*remove_instance)(az_backend *b, const char *id);

    /* Journals (see above). Optional: a backend keeps history only with all five (else NULL). */
    /* Upsert n entries (n >= 1, ids distinct) by id into journal j: an existing entry is replaced whole,
     * columns and bytes. Each entry atomically; the batch in as few round trips as the backend can. */
    int (*journal_put)(az_backend *b, az_journal j, const az_jentry *entries, size_t n);
    /* The entries matching q, newest id first, at most q->limit, each to each(). */
    int (*journal_list)(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata);
    /* One entry by id. Errors: ASYNCZ_ENOTFOUND. */
    int (*journal_get)(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata);
    /* Remove at most max entries with end_at < cutoff, oldest end_at first; *removed: how many. */
    int (*journal_prune_age)(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max, size_t *removed);
    /* Remove at most max of task_id's entries beyond its newest `keep` (by id), oldest first; *removed: how
     * many (max: there may be more). keep >= 1. */
    int (*journal_trim_task)(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                             size_t *removed);
} az_backend_ops;

/* Every backend embeds this first. */
struct az_backend {
    const az_backend_ops *ops;
};

/* Make the asyncz_store of a backend (the persist layer). Takes ownership of b (destroyed on failure too).
 * Errors: ASYNCZ_ENOMEM. */
int az_persist_new(az_backend *b, asyncz_store **out);

/* Name the persistent store st (made by az_persist_new) in its messages: label, its URL with the password
 * masked (copied; cut at 319 bytes). */
void az_persist_set_label(asyncz_store *st, const char *label);

/* The backend under a persistent store, or NULL when st is not one (tests use it to reach raw records). */
az_backend *az_persist_backend(asyncz_store *st);

/* The quarantine functions of a persistent store (st is one: az_persist_backend(st) != NULL), behind
 * asyncz_store_quarantine_open / _restore / _drop (store.h, which documents them; src/store/quarantine.c). */
int az_persist_quarantine_open(asyncz_store *st, const char *id, const unsigned char *data, size_t len,
                               char **document, size_t *doc_len, asyncz_task **task);
int az_persist_quarantine_restore(asyncz_store *st, const char *id, asyncz_time_t at, bool replace,
                                  asyncz_task **restored);
int az_persist_quarantine_drop(asyncz_store *st, const char *id, asyncz_time_t at, size_t *dropped);

/* Record a store failure for asyncz_store_errmsg() (thread-local) and return code. Printf-like. */
int az_store_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Constructors, one per backend, each from a parsed URL (borrowed; copy what you keep; options read are
 * marked). Options come from url->query (az_url_get / az_url_check_options): unknown options are
 * ASYNCZ_EINVAL with a message that names the option and the known ones. They do not connect (open does).
 * Errors: ASYNCZ_EINVAL, ASYNCZ_ENOMEM, ASYNCZ_EUNSUPPORTED (built without that client library). */
int az_backend_file_new(az_url *url, az_backend **out);
int az_backend_sqlite_new(az_url *url, az_backend **out);
int az_backend_postgresql_new(az_url *url, az_backend **out);
int az_backend_mariadb_new(az_url *url, az_backend **out);
int az_backend_redis_new(az_url *url, az_backend **out);
int az_backend_mongodb_new(az_url *url, az_backend **out);

#endif
