/* The PostgreSQL store's parts shared between its files: connection parameters and the LISTEN thread.
 * Internal to src/store/postgresql*.c. */
#ifndef AZ_STORE_POSTGRESQL_INTERNAL_H
#define AZ_STORE_POSTGRESQL_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "asyncz/sys/store.h"
#include "store/backend.h"

/* libpq connection keywords and their values, each list NULL-terminated, as PQconnectdbParams takes them.
 * Every value is passed on its own, never spliced into a conninfo string. */
#define AZ_PG_MAX_PARAMS 12
typedef struct az_pg_params {
    const char *keys[AZ_PG_MAX_PARAMS + 1];
    const char *values[AZ_PG_MAX_PARAMS + 1];
} az_pg_params;

/* The notification listener: its own connection, LISTENing on the store's channel, and a thread that waits
 * on that connection's socket and on stop_fd (an eventfd written at stop). */
typedef struct az_pg_listener {
    const az_pg_params *params; /* borrowed from the backend */
    const char *desc;           /* the store's description, for messages */
    char listen_sql[96];        /* LISTEN "<tablename>_wakeup" */
    const asyncz_store_host *host;
    atomic_int own_pid; /* the backend pid of the store's main connection: its notifications are ours */
    PGconn *conn;       /* owned by the thread while it runs */
    int stop_fd;
    pthread_t thread;
    bool running;
} az_pg_listener;

/* libpq's default notice processor prints the server's notices ("relation ... already exists, skipping")
 * on stderr; a library prints nothing, so every connection gets this one, which drops them. */
void az_pg_quiet_notices(PGconn *conn);

/* Connect the listener, LISTEN, and start its thread. channel is the validated channel name.
 * Errors: ASYNCZ_ESTORE (with az_store_fail's message), ASYNCZ_ENOMEM. */
int az_pg_listener_start(az_pg_listener *l, const az_pg_params *params, const char *desc, const char *channel,
                         const asyncz_store_host *host);

/* Stop the thread and disconnect; a listener that is not running is left alone. */
void az_pg_listener_stop(az_pg_listener *l);

/* ---- the backend, shared by postgresql.c (connection, lifecycle, construction), postgresql_sql.c (the
 * statements) and postgresql_records.c (the record operations) ---- */

/* Tablenames leave room for the longest suffixes asyncz adds ("_quarantine", and the journals' "_audit_task",
 * "_audit_stat", "_audit_pkey") within PostgreSQL's 63-byte names, so that no derived name is silently
 * truncated onto another. */
#define AZ_PG_TABLE_MAX (63 - 11)

/* Rows fetched per round trip by the ordered scan. */
#define AZ_PG_SCAN_PAGE 256

/* PostgreSQL type OIDs (catalog/pg_type.dat): fixed since the first releases, not exported by libpq. */
#define AZ_PG_OID_BYTEA 17
#define AZ_PG_OID_INT8 20
#define AZ_PG_OID_INT2 21
#define AZ_PG_OID_TEXT 25
#define AZ_PG_OID_BYTEA_ARRAY 1001
#define AZ_PG_OID_INT2_ARRAY 1005
#define AZ_PG_OID_TEXT_ARRAY 1009
#define AZ_PG_OID_INT8_ARRAY 1016

/* The most parameters a statement takes. */
#define AZ_PG_MAX_ARGS 8

enum az_pg_stmt {
    AZ_PG_INSERT,
    AZ_PG_REPLACE,
    AZ_PG_REMOVE,
    AZ_PG_REMOVE_ALL,
    AZ_PG_GET,
    AZ_PG_DUE,
    AZ_PG_EARLIEST,
    AZ_PG_COUNT,
    AZ_PG_CLAIM,
    AZ_PG_RELEASE_NEXT,
    AZ_PG_RELEASE_REMOVE,
    AZ_PG_QUARANTINE,
    AZ_PG_QUARANTINED,
    AZ_PG_QUARANTINE_DROP,
    AZ_PG_PUT_INSTANCE,
    AZ_PG_INSTANCES,
    AZ_PG_REMOVE_INSTANCE,
    AZ_PG_N_STMTS
};

/* A statement: its prepared name, what messages call it, its text (where "{T}" stands for the table name,
 * always inside double quotes; postgresql.c substitutes it: az_sql_with_table) and its parameter types. */
typedef struct az_pg_stmt_spec {
    const char *name;
    const char *label;
    const char *sql;
    int nparams;
    Oid types[4];
} az_pg_stmt_spec;

/* The statements, and the texts run without preparing: the schema (at open) and the scan's cursor. */
extern const az_pg_stmt_spec az_pg_stmts[AZ_PG_N_STMTS];
extern const char az_pg_schema_sql[];
extern const char az_pg_scan_sql[];

/* A statement prepared on each connection under a name of its own: the journals' statements, one set per
 * journal (their texts name the journal's table). prepared: on the current connection. */
typedef struct az_pg_prep {
    char name[24];
    const char *label;
    char *sql;
    int nparams;
    const Oid *types;
    bool prepared;
} az_pg_prep;

enum az_pgj_stmt { AZ_PGJ_PUT, AZ_PGJ_GET, AZ_PGJ_PRUNE_AGE, AZ_PGJ_TRIM_TASK, AZ_PGJ_N_STMTS };

/* One journal (backend.h, "journals"): its table "<t>_runs" or "<t>_audit", the text creating it and its
 * indexes, and its statements (postgresql_journal.c). */
typedef struct az_pg_journal {
    char table[AZ_PG_TABLE_MAX + 8];
    char *schema;
    az_pg_prep stmts[AZ_PGJ_N_STMTS];
} az_pg_journal;

typedef struct az_pg_backend {
    az_backend base;
    char table[AZ_PG_TABLE_MAX + 1];
    char channel[AZ_PG_TABLE_MAX + 8]; /* <t>_wakeup */
    char desc[200];                    /* host:port/dbname table <t>, for messages (never the password) */
    char *host, *port, *user, *password, *dbname, *connect_timeout, *sslmode, *application_name;
    az_pg_params params;
    bool notify;
    char *sql[AZ_PG_N_STMTS];
    char *schema;
    char *scan;
    PGconn *conn;
    bool prepared[AZ_PG_N_STMTS];
    bool opened;
    az_pg_listener listener;
    az_pg_journal journals[AZ_JOURNAL_COUNT];
} az_pg_backend;

/* Parameters of one statement, all in binary format. */
typedef struct az_pg_args {
    const char *values[AZ_PG_MAX_ARGS];
    int lengths[AZ_PG_MAX_ARGS];
    int formats[AZ_PG_MAX_ARGS];
    unsigned char i64[AZ_PG_MAX_ARGS][8];
    int n;
} az_pg_args;

/* Append a parameter to a (postgresql_records.c). The bytes are borrowed until the statement has run, except
 * the integers', which a keeps. raw: len bytes as they are; text: a NUL-terminated string; bytes: BYTEA (a
 * zero length is not NULL); i64 and i16: BIGINT and SMALLINT; time: BIGINT, ASYNCZ_TIME_NONE as NULL. */
void az_pg_arg_raw(az_pg_args *a, const void *data, size_t len);
void az_pg_arg_text(az_pg_args *a, const char *s);
void az_pg_arg_bytes(az_pg_args *a, const unsigned char *data, size_t len);
void az_pg_arg_i64(az_pg_args *a, int64_t v);
void az_pg_arg_i16(az_pg_args *a, int16_t v);
void az_pg_arg_time(az_pg_args *a, asyncz_time_t t);

/* A binary BIGINT / SMALLINT column of a result row (0 if NULL or not that size). */
int64_t az_pg_col_i64(const PGresult *r, int row, int col);
int az_pg_col_i16(const PGresult *r, int row, int col);

/* Record a server or connection failure of what (a statement's label) and return ASYNCZ_ESTORE. */
int az_pg_fail(const az_pg_backend *b, const char *what, const PGresult *r);
/* The connection for the next statement: a broken one is replaced here, once per call. */
int az_pg_ensure_conn(az_pg_backend *b);
/* Run statement s (prepared on first use); on success *out holds its result (the caller clears it). */
int az_pg_run(az_pg_backend *b, int s, const az_pg_args *a, PGresult **out);
/* The same inside a transaction the caller opened: the connection is used as it is (a broken one is not
 * replaced, and the transaction is not rolled back first). */
int az_pg_run_in(az_pg_backend *b, int s, const az_pg_args *a, PGresult **out);
/* Run a statement that changes rows; *changed: how many. */
int az_pg_run_changes(az_pg_backend *b, int s, const az_pg_args *a, long *changed);
/* Run a parameterless command text (several statements allowed). */
int az_pg_exec_text(az_pg_backend *b, const char *what, const char *sql);
/* Run p (prepared on the connection first if it is not yet) on the connection as it is (the caller made
 * sure of it: az_pg_ensure_conn); on success *out holds its result (the caller clears it). */
int az_pg_run_prep(az_pg_backend *b, az_pg_prep *p, const az_pg_args *a, PGresult **out);
/* Run a statement text once without preparing it (the journals' listings, whose text depends on the
 * filters), with a's parameters of these types, on the connection as it is. label names it in messages. */
int az_pg_run_params(az_pg_backend *b, const char *label, const char *sql, const Oid *types,
                     const az_pg_args *a, PGresult **out);

int az_pg_open(az_backend *base, const asyncz_store_host *host);
void az_pg_close(az_backend *base);
void az_pg_destroy(az_backend *base);

/* ---- the journals (postgresql_journal.c) ---- */

/* Name each journal's table after b->table and make its statement texts. Errors: ASYNCZ_ENOMEM (the caller
 * destroys b, and az_pg_journals_free frees what was made). */
int az_pg_journals_init(az_pg_backend *b);
void az_pg_journals_free(az_pg_backend *b);
/* A new connection has none of the journals' statements prepared. */
void az_pg_journals_forget(az_pg_backend *b);
/* Create the journals' tables and indexes that are missing, inside the schema's transaction at open. */
int az_pg_journals_create(az_pg_backend *b);

/* The journal ops of backend.h. Each is one statement (journal_put: one per 16 MiB of entries), without
 * pg_notify: entries are not task changes, and wake no scheduler. */
int az_pg_journal_put(az_backend *base, az_journal j, const az_jentry *entries, size_t n);
int az_pg_journal_list(az_backend *base, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata);
int az_pg_journal_get(az_backend *base, az_journal j, const char *id, az_jentry_fn each, void *userdata);
int az_pg_journal_prune_age(az_backend *base, az_journal j, asyncz_time_t cutoff, size_t max,
                            size_t *removed);
int az_pg_journal_trim_task(az_backend *base, az_journal j, const char *task_id, size_t keep, size_t max,
                            size_t *removed);
/* The plan of the first statement journal_list runs for q (EXPLAIN's lines joined by " | ", cut to size
 * bytes), for the tests that check which index a listing walks. Errors: as journal_list's. */
int az_pg_journal_list_plan(az_backend *base, az_journal j, const az_jquery *q, char *plan, size_t size);

/* The operations, with and without the listener (notify=false: the scheduler must poll). */
extern const az_backend_ops az_pg_ops_notify;
extern const az_backend_ops az_pg_ops_polled;

#endif
