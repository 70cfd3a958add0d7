/* The Redis record backend, shared between its files (redis.c: records and scripts; redis_conn.c:
 * connections; redis_notify.c: the wake-up subscriber). Internal. See docs/stores.md for the layout. */
#ifndef AZ_STORE_REDIS_H
#define AZ_STORE_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "asyncz/sys/store.h"

/* Where the server is and how to log in: what the URL said, fixed after construction. */
typedef struct az_redis_conf {
    char *host;
    int port;
    char *user;     /* NULL: AUTH with the password alone (or no AUTH when there is no password) */
    char *password; /* NULL: no AUTH */
    int db;
    char where[320]; /* "redis host:port/db", how messages name the store */
} az_redis_conf;

/* Connect (one attempt, bounded by a connect timeout), mark the socket close-on-exec, give the connection
 * the name `name` (CLIENT SETNAME, so operators and tests can find it), AUTH and SELECT. On failure the
 * reason is recorded with az_store_fail naming conf->where and returned (ASYNCZ_ESTORE, ASYNCZ_ENOMEM). */
int az_redis_connect(const az_redis_conf *conf, const char *name, redisContext **out);

/* Send one command (argv with binary-safe lengths) and read its reply, with SIGPIPE held off for this
 * thread while it talks to the socket. NULL when the connection failed (c->err says why). */
redisReply *az_redis_command(redisContext *c, int argc, const char *const *argv, const size_t *lens);

/* Record a failure of `what` on the store: from the context's error when the connection broke, else from
 * an error reply (reply may be NULL). Returns ASYNCZ_ESTORE. */
int az_redis_fail(const az_redis_conf *conf, const char *what, const redisContext *c,
                  const redisReply *reply);

/* The Lua scripts (redis_lua.c), each run with EVALSHA (EVAL when the server does not know it yet) and the
 * same seven keys: the records, the order, the index, the leases, the counter, the quarantine and the
 * claimed records' order. */
enum {
    AZ_REDIS_INSERT,
    AZ_REDIS_INSERT_MANY,
    AZ_REDIS_REPLACE,
    AZ_REDIS_REMOVE,
    AZ_REDIS_GET,
    AZ_REDIS_EARLIEST,
    AZ_REDIS_DUE,
    AZ_REDIS_CLAIM,
    AZ_REDIS_RELEASE,
    AZ_REDIS_QUARANTINE,
    AZ_REDIS_QUARANTINE_DROP,
    AZ_REDIS_SCAN,
    AZ_REDIS_N_SCRIPTS
};

typedef struct az_redis_script {
    const char *name; /* for messages: "EVALSHA claim" */
    const char *body;
} az_redis_script;

extern const az_redis_script az_redis_scripts[AZ_REDIS_N_SCRIPTS];

/* The wake-up subscriber: a thread with its own connection, subscribed to channel, that calls
 * host->wakeup for each message whose payload is not `self` (this store object's own writes). */
typedef struct az_redis_sub az_redis_sub;

/* Subscribe (synchronously, so that messages published after this returns are seen) and start the
 * thread. All arguments are borrowed until az_redis_sub_stop. Errors: ASYNCZ_ESTORE (also when the
 * thread or its pipe cannot be made), ASYNCZ_ENOMEM. */
int az_redis_sub_start(const az_redis_conf *conf, const char *name, const char *channel, const char *self,
                       const asyncz_store_host *host, az_redis_sub **out);
/* Stop the thread, close its connection and free it. NULL-safe. */
void az_redis_sub_stop(az_redis_sub *sub);

#endif
