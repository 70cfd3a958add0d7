/* The SQLite record backend, shared between sqlite.c (connection, schema, statements, errors),
 * sqlite_ops.c (the record operations) and sqlite_journal.c (the journals: run history and audit trail).
 * Internal. */
#ifndef AZ_STORE_SQLITE_INTERNAL_H
#define AZ_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/backend.h"

/* The statements a connection prepares once and keeps (see sqlite.c for their text). */
typedef enum az_sqlite_q {
    AZ_SQ_BEGIN,
    AZ_SQ_COMMIT,
    AZ_SQ_ROLLBACK,
    AZ_SQ_SAVEPOINT,
    AZ_SQ_RELEASE_SAVEPOINT,
    AZ_SQ_ROLLBACK_SAVEPOINT,
    AZ_SQ_NEXT,
    AZ_SQ_COUNTER_SET,
    AZ_SQ_INSERT,
    AZ_SQ_REPLACE,
    AZ_SQ_REMOVE,
    AZ_SQ_REMOVE_ALL,
    AZ_SQ_GET,
    AZ_SQ_RELEASED,
    AZ_SQ_SCAN,
    AZ_SQ_DUE,
    AZ_SQ_EARLIEST,
    AZ_SQ_COUNT,
    AZ_SQ_CLAIM_ONE,
    AZ_SQ_RELEASE_REPLACE,
    AZ_SQ_RELEASE_REMOVE,
    AZ_SQ_Q_TAKE,
    AZ_SQ_Q_ADD,
    AZ_SQ_Q_LIST,
    AZ_SQ_Q_DROP,
    AZ_SQ_I_PUT,
    AZ_SQ_I_LIST,
    AZ_SQ_I_REMOVE,
    AZ_SQ_COUNT_
} az_sqlite_q;

/* The statements a connection keeps per journal (sqlite_journal.c has their text). AZ_SJ_LIST is the last
 * listing prepared, kept while the next listing has the same filters (the pages of one listing do). */
typedef enum az_sqlite_jq {
    AZ_SJ_PUT,
    AZ_SJ_GET,
    AZ_SJ_PRUNE_AGE,
    AZ_SJ_TRIM_TASK,
    AZ_SJ_LIST,
    AZ_SJ_COUNT_
} az_sqlite_jq;

typedef struct az_sqlite {
    az_backend base;
    char *path;            /* the database file, as the URL gave it */
    char *table;           /* validated: [A-Za-z_][A-Za-z0-9_]* */
    char *label;           /* "sqlite PATH (TABLE)", for messages */
    sqlite3 *db;           /* NULL while disconnected */
    bool broken;           /* an I/O-level failure: reconnect on the next call */
    bool batch;            /* inside az_sqlite_batch_begin .. _end: writes join one transaction */
    bool existing;         /* opened for a tool that needs a store that exists: create nothing */
    int64_t batch_counter; /* in a batch: the counter's value so far (written back at the end) */
    sqlite3_stmt *stmts[AZ_SQ_COUNT_];
    sqlite3_stmt *jstmts[AZ_JOURNAL_COUNT][AZ_SJ_COUNT_];
} az_sqlite;

/* sqlite_files.c: ASYNCZ_ESTORE (message: the path, the owner or mode found, the fix) when the directory
 * of the database is owned by another user (root excepted) or writable by group or others, or when the
 * database file, its -wal or its -shm exists and is owned by another user or writable by group or others.
 * Errors: also ASYNCZ_ENOMEM. */
int az_sqlite_check_files(az_sqlite *b);

/* sqlite_files.c: create the database file empty with mode 0600 if it is missing (SQLite makes a new
 * database in an empty file, and gives its -wal and -shm files the file's mode). Errors: ASYNCZ_EIO. */
int az_sqlite_create_file(az_sqlite *b);

/* Connect if not connected (or reconnect after a broken connection): one attempt. */
int az_sqlite_ready(az_sqlite *b);

/* The cached statement q, prepared on first use. */
int az_sqlite_stmt(az_sqlite *b, az_sqlite_q q, sqlite3_stmt **out);

/* Record SQLite's error for what the backend was doing (rc: the SQLite result code); returns ASYNCZ_ESTORE,
 * or ASYNCZ_EEXISTS for a primary key conflict. */
int az_sqlite_fail(az_sqlite *b, const char *what, int rc);

/* Step s once: 1 for a row, 0 when done, or the failure naming what (the caller still resets s). */
int az_sqlite_step(az_sqlite *b, sqlite3_stmt *s, const char *what);

/* Reset s and clear its bindings, so that nothing it borrowed is kept past the call. */
void az_sqlite_done(sqlite3_stmt *s);

/* Run s (bound by the caller) once and reset it; *changes (may be NULL) gets the rows it changed. */
int az_sqlite_exec(az_sqlite *b, sqlite3_stmt *s, const char *what, int *changes);

/* Run body inside BEGIN IMMEDIATE ... COMMIT, rolling back when body or the commit fails. Inside a batch,
 * body runs in a savepoint of the batch's transaction instead (a failed write undoes only itself), or
 * directly when one_statement says that it changes the file with at most one statement. */
typedef int (*az_sqlite_body)(az_sqlite *b, void *ctx);
int az_sqlite_write(az_sqlite *b, const char *what, bool one_statement, az_sqlite_body body, void *ctx);

/* Batches, for bulk loading (benchmarks, imports) through the backend of a store opened on one thread:
 * every write between begin and end joins one write transaction, so a thousand inserts cost one commit
 * instead of a thousand. Other connections wait for the write lock meanwhile (up to their busy timeout) and
 * see the writes only at the end. end commits (commit true) or rolls everything back. Errors: ASYNCZ_ESTATE
 * (begin inside a batch, end outside one), ASYNCZ_ESTORE. */
int az_sqlite_batch_begin(az_backend *b);
int az_sqlite_batch_end(az_backend *b, bool commit);

/* Take n values from the store's counter (inside a write transaction): *last is the highest, the values
 * are last-n+1 .. last. */
int az_sqlite_counter(az_sqlite *b, int64_t n, int64_t *last);

/* Bind helpers: a time (ASYNCZ_TIME_NONE as NULL), text, and bytes (never NULL, even when empty). */
int az_sqlite_bind_time(sqlite3_stmt *s, int i, asyncz_time_t t);
int az_sqlite_bind_text(sqlite3_stmt *s, int i, const char *text);
int az_sqlite_bind_blob(sqlite3_stmt *s, int i, const unsigned char *data, size_t len);
/* A column as a time (NULL as ASYNCZ_TIME_NONE) and as bytes (empty as "", never NULL). */
asyncz_time_t az_sqlite_column_time(sqlite3_stmt *s, int i);
const unsigned char *az_sqlite_column_blob(sqlite3_stmt *s, int i, size_t *len);

/* The record operations (sqlite_ops.c). */
int az_sqlite_insert(az_backend *b, const az_record *rec);
int az_sqlite_insert_many(az_backend *b, const az_record *recs, size_t n);
int az_sqlite_replace(az_backend *b, const az_record *rec);
int az_sqlite_remove(az_backend *b, const char *id);
int az_sqlite_remove_all(az_backend *b);
int az_sqlite_get(az_backend *b, const char *id, az_found_fn each, void *userdata);
int az_sqlite_scan(az_backend *b, az_found_fn each, void *userdata);
int az_sqlite_due(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata);
int az_sqlite_earliest(az_backend *b, asyncz_time_t *out);
int az_sqlite_count(az_backend *b, size_t *out);
int az_sqlite_claim(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                    az_found_fn each, void *userdata);
int az_sqlite_release(az_backend *b, const char *id, uint64_t token, const az_record *next);
int az_sqlite_quarantine(az_backend *b, const char *id, const unsigned char *data, size_t len,
                         const char *reason, asyncz_time_t at);
int az_sqlite_quarantined(az_backend *b, az_quarantine_rec_fn each, void *userdata);
int az_sqlite_quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped);
int az_sqlite_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len);
int az_sqlite_instances(az_backend *b, az_instance_rec_fn each, void *userdata);
int az_sqlite_remove_instance(az_backend *b, const char *id);

/* The journal operations (sqlite_journal.c), as backend.h describes them. Journal j of table T is the table
 * T_runs or T_audit (see sqlite.c for the layout). */
int az_sqlite_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n);
int az_sqlite_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each,
                           void *userdata);
int az_sqlite_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata);
int az_sqlite_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max,
                                size_t *removed);
int az_sqlite_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                                size_t *removed);

#endif
