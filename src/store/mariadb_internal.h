/* The MariaDB record backend, shared between its files: the connection, the prepared statements, binding
 * helpers and result fetching (mariadb.c), the record operations (mariadb_ops.c) and the journals
 * (mariadb_journal.c). Internal. */
#ifndef AZ_STORE_MARIADB_INTERNAL_H
#define AZ_STORE_MARIADB_INTERNAL_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/backend.h"

/* Claims update and read their rows by id lists of these sizes (powers of two, the last one padded by
 * repeating an id), so a handful of prepared statements serve every batch. */
#define AZ_MARIA_IN_BUCKETS 9 /* 1, 2, 4, ... 256 */
#define AZ_MARIA_IN_MAX 256

/* The prepared statements, by purpose; their SQL is in mariadb.c (stmt_sql). */
typedef enum az_maria_stmt_id {
    AZ_MQ_INSERT,
    AZ_MQ_REPLACE,
    AZ_MQ_REMOVE,
    AZ_MQ_REMOVE_ALL,
    AZ_MQ_GET,
    AZ_MQ_EXISTS,
    AZ_MQ_SCAN_TIMED,
    AZ_MQ_SCAN_PAUSED,
    AZ_MQ_DUE,
    AZ_MQ_EARLIEST,
    AZ_MQ_COUNT,
    AZ_MQ_PICK,
    AZ_MQ_RELEASE_REPLACE,
    AZ_MQ_RELEASE_REMOVE,
    AZ_MQ_QUARANTINE_TAKE,
    AZ_MQ_QUARANTINE_ADD,
    AZ_MQ_QUARANTINED,
    AZ_MQ_QUARANTINE_DROP,
    AZ_MQ_PUT_INSTANCE,
    AZ_MQ_INSTANCES,
    AZ_MQ_REMOVE_INSTANCE,
    AZ_MQ_COUNT_IDS /* number of fixed statements */
} az_maria_stmt_id;

/* The journals' fixed statements, one set per journal; their SQL is in mariadb_journal.c. */
typedef enum az_maria_jstmt_id {
    AZ_MJ_GET,
    AZ_MJ_PRUNE_AGE,
    AZ_MJ_TRIM_TASK,
    AZ_MJ_COUNT_IDS
} az_maria_jstmt_id;

/* Listings are built from the filters a query sets; the last few shapes stay prepared. */
#define AZ_MARIA_JLIST_CACHE 8

typedef struct az_maria_jlist_stmt {
    char *sql; /* the statement's text, its key in the cache; NULL: a free slot */
    MYSQL_STMT *s;
} az_maria_jlist_stmt;

typedef struct az_maria {
    az_backend base;
    /* Connection parameters, copied from the URL. */
    char *host, *user, *password, *database, *unix_socket;
    unsigned port;
    unsigned connect_timeout, read_timeout, write_timeout;
    char table[64];
    char where[200]; /* "mariadb host:port/db table T": names the store in messages */
    MYSQL *conn;     /* NULL while not connected (before open, after close or a lost connection) */
    bool opened;     /* open succeeded and close not called: a lost connection is made again */
    bool broken;     /* the connection failed: closed and made again at the next call */
    MYSQL_STMT *stmt[AZ_MQ_COUNT_IDS];
    MYSQL_STMT *claim_update[AZ_MARIA_IN_BUCKETS];
    MYSQL_STMT *claim_read[AZ_MARIA_IN_BUCKETS];
    /* The journals' statements: fixed ones, puts of 2^k rows (k < AZ_MARIA_IN_BUCKETS), listings. */
    MYSQL_STMT *jstmt[AZ_JOURNAL_COUNT][AZ_MJ_COUNT_IDS];
    MYSQL_STMT *jput[AZ_JOURNAL_COUNT][AZ_MARIA_IN_BUCKETS];
    az_maria_jlist_stmt jlist[AZ_MARIA_JLIST_CACHE];
    size_t jlist_next;             /* the slot the next new listing replaces */
    unsigned long long max_packet; /* the server's max_allowed_packet, read at open (0: unknown) */
} az_maria;

/* ---- connection and errors (mariadb.c) ---- */

/* The lifecycle ops. */
int az_maria_open(az_backend *b, const asyncz_store_host *host);
void az_maria_close(az_backend *b);
void az_maria_destroy(az_backend *b);

/* Connect again if the connection was lost (one attempt). Errors: ASYNCZ_ESTORE. */
int az_maria_ready(az_maria *m);
/* Record a failure of the connection (what: the operation) and return ASYNCZ_ESTORE; a client-side error
 * (connection lost, killed, timed out) drops the connection so the next call makes a new one. */
int az_maria_fail(az_maria *m, const char *what);
/* The same for a statement's error. */
int az_maria_stmt_fail(az_maria *m, MYSQL_STMT *s, const char *what);
/* A prepared statement, prepared on first use. Errors: ASYNCZ_ESTORE. */
int az_maria_stmt(az_maria *m, az_maria_stmt_id id, MYSQL_STMT **out);
/* Prepare tpl with every "{T}" replaced by table (a validated name: the store's table, or one made from it),
 * into *out (the caller closes it). what names the statement in messages. Errors: ASYNCZ_ESTORE,
 * ASYNCZ_ENOMEM. */
int az_maria_prepare(az_maria *m, const char *tpl, const char *table, const char *what, MYSQL_STMT **out);
/* The claim statements for a bucket (0..AZ_MARIA_IN_BUCKETS-1). */
int az_maria_claim_stmts(az_maria *m, size_t bucket, MYSQL_STMT **update, MYSQL_STMT **read);
/* Run a statement without parameters or results ("START TRANSACTION"). Errors: ASYNCZ_ESTORE. */
int az_maria_query(az_maria *m, const char *sql, const char *what);
/* End a transaction: commit, or roll back (after a failure, keeping its message and code). */
int az_maria_commit(az_maria *m, const char *what);
int az_maria_rollback(az_maria *m, int rc);

/* ---- parameters ---- */

void az_maria_bind_text(MYSQL_BIND *b, const char *s, unsigned long *len);
void az_maria_bind_blob(MYSQL_BIND *b, const unsigned char *data, unsigned long *len);
void az_maria_bind_i64(MYSQL_BIND *b, long long *v);
void az_maria_bind_u64(MYSQL_BIND *b, unsigned long long *v);
/* A time: NULL for ASYNCZ_TIME_NONE (*v is the value, *is_null set here). */
void az_maria_bind_time(MYSQL_BIND *b, long long *v, my_bool *is_null);

/* Bind params and execute. Errors: ASYNCZ_ESTORE (what names the operation). */
int az_maria_exec(az_maria *m, MYSQL_STMT *s, MYSQL_BIND *params, const char *what);
/* Execute a statement that writes; *rows: the rows it matched. */
int az_maria_write(az_maria *m, MYSQL_STMT *s, MYSQL_BIND *params, const char *what,
                   unsigned long long *rows);

/* ---- results ---- */

#define AZ_MARIA_COLS_MAX 7

/* One column of a result: integers in i64, text and bytes in a buffer that grows to fit. */
typedef struct az_maria_col {
    bool text; /* bytes (buf) rather than an integer (i64) */
    long long i64;
    unsigned char *buf; /* cap + 1 bytes: text is NUL-terminated */
    unsigned long cap, len;
    my_bool is_null, error;
} az_maria_col;

typedef struct az_maria_result {
    MYSQL_STMT *s;
    size_t n;
    az_maria_col col[AZ_MARIA_COLS_MAX];
    MYSQL_BIND bind[AZ_MARIA_COLS_MAX];
} az_maria_result;

/* Set up a result for the executed statement s; kinds: one char per column, 'i' integer, 't' bytes.
 * Errors: ASYNCZ_ENOMEM, ASYNCZ_ESTORE. */
int az_maria_result_init(az_maria *m, az_maria_result *r, MYSQL_STMT *s, const char *kinds, const char *what);
/* The next row: 0 with a row, 1 at the end; or an error (ASYNCZ_ESTORE, ASYNCZ_ENOMEM). */
int az_maria_result_next(az_maria *m, az_maria_result *r, const char *what);
/* Discard the rest of the rows and free the buffers. */
void az_maria_result_done(az_maria_result *r);

/* A time column: ASYNCZ_TIME_NONE for NULL. */
asyncz_time_t az_maria_col_time(const az_maria_col *c);

/* The record operations (mariadb_ops.c). */
extern const az_backend_ops az_maria_ops;

/* ---- journals (mariadb_journal.c) ---- */

/* Create the journals' tables and indexes when missing (at open, after the task tables). Errors:
 * ASYNCZ_ESTORE, ASYNCZ_ENOMEM. */
int az_maria_journal_schema(az_maria *m);
/* Close the journals' prepared statements (the connection is closing). */
void az_maria_journal_forget(az_maria *m);

/* The five journal ops (backend.h), for az_maria_ops. */
int az_maria_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n);
int az_maria_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata);
int az_maria_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata);
int az_maria_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max,
                               size_t *removed);
int az_maria_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                               size_t *removed);

#endif
