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

/* Tablenames leave room for the longest suffix asyncz adds ("_quarantine") within PostgreSQL's 63-byte
 * names, so that no derived name is silently truncated onto another. */
#define AZ_PG_TABLE_MAX (63 - 11)

/* Rows fetched per round trip by the ordered scan. */
#define AZ_PG_SCAN_PAGE 256

/* PostgreSQL type OIDs (catalog/pg_type.dat): fixed since the first releases, not exported by libpq. */
#define AZ_PG_OID_BYTEA 17
#define AZ_PG_OID_INT8 20
#define AZ_PG_OID_TEXT 25

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
} az_pg_backend;

/* Parameters of one statement, all in binary format. */
typedef struct az_pg_args {
    const char *values[4];
    int lengths[4];
    int formats[4];
    unsigned char i64[4][8];
    int n;
} az_pg_args;

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

int az_pg_open(az_backend *base, const asyncz_store_host *host);
void az_pg_close(az_backend *base);
void az_pg_destroy(az_backend *base);

/* The operations, with and without the listener (notify=false: the scheduler must poll). */
extern const az_backend_ops az_pg_ops_notify;
extern const az_backend_ops az_pg_ops_polled;

#endif
