/* The PostgreSQL store's parts shared between its files: connection parameters and the LISTEN thread.
 * Internal to src/store/postgresql*.c. */
#ifndef AZ_STORE_POSTGRESQL_INTERNAL_H
#define AZ_STORE_POSTGRESQL_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "asyncz/sys/store.h"

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

#endif
