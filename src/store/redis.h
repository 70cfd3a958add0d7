/* The Redis record backend, shared between its files (redis.c: records and scripts; redis_conn.c:
 * connections; redis_notify.c: the wake-up subscriber; redis_journal.c: the journals). Internal. See
 * docs/stores.md for the layout. */
#ifndef AZ_STORE_REDIS_H
#define AZ_STORE_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "asyncz/sys/store.h"
#include "store/backend.h"

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

/* The Lua scripts (redis_lua.c), each run with EVALSHA (EVAL when the server does not know it yet). The
 * record scripts get the same seven keys: the records, the order, the index, the leases, the counter, the
 * quarantine and the claimed records' order. The journal scripts (AZ_REDIS_JOURNAL_*) get the six keys of
 * one journal: its entries, their columns, and the sorted sets by id, by task, by status and by end. */
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
    AZ_REDIS_JOURNAL_PUT,
    AZ_REDIS_JOURNAL_LIST,
    AZ_REDIS_JOURNAL_GET,
    AZ_REDIS_JOURNAL_PRUNE,
    AZ_REDIS_JOURNAL_TRIM,
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

/* Fixed-width lower-case hex, so that encoded numbers sort as their bytes do. out gets digits characters
 * and a NUL. */
void az_redis_hex(char *out, uint64_t v, int digits);
/* A time as 16 hex digits with its sign bit flipped, so that negative times sort first. */
void az_redis_hex_time(char out[17], asyncz_time_t t);
/* 16 lower-case hex digits (not NUL-terminated); false when one is not a hex digit. */
bool az_redis_parse_hex16(const char *s, uint64_t *out);
/* The time az_redis_hex_time encoded, from its parsed value. */
asyncz_time_t az_redis_unbias(uint64_t v);

/* ---- journals (redis_journal.c) -------------------------------------------------------------------- */

/* The keys of one journal, named "<tasks_key>.<journal name><suffix>" (docs/stores.md). */
enum {
    AZ_REDIS_J_ENTRIES,  /* hash: id -> bytes */
    AZ_REDIS_J_META,     /* hash: id -> columns */
    AZ_REDIS_J_IDS,      /* sorted set: id */
    AZ_REDIS_J_TASKS,    /* sorted set: task prefix .. id */
    AZ_REDIS_J_STATUSES, /* sorted set: status (2 hex) .. id */
    AZ_REDIS_J_ENDS,     /* sorted set: end_at (16 hex) .. id */
    AZ_REDIS_J_KEYS
};

/* A journal script's command starts with EVALSHA, the SHA-1, the key count and the journal's keys. */
#define AZ_REDIS_JOURNAL_HEAD (3 + AZ_REDIS_J_KEYS)

/* Run journal script `script` (AZ_REDIS_JOURNAL_*) on journal j of the store b (a Redis backend). v/len hold
 * the whole command, argc words: this fills its first AZ_REDIS_JOURNAL_HEAD (the arguments follow them, all
 * borrowed for the call). Connects first when disconnected. *out: the reply, which the caller frees.
 * Errors: ASYNCZ_ESTATE (the store is not open), ASYNCZ_ESTORE (naming the script), ASYNCZ_ENOMEM,
 * ASYNCZ_EINVAL (no such journal). */
int az_redis_journal_eval(az_backend *b, az_journal j, int script, int argc, const char **v, size_t *len,
                          redisReply **out);
/* How messages name the store b: "redis host:port/db". */
const char *az_redis_where(const az_backend *b);

/* The journal ops of the Redis backend, for its ops table: they do what backend.h says, each on the
 * caller's thread under the persist layer's lock, with everything borrowed for the call. Errors besides
 * backend.h's: ASYNCZ_EINVAL for what the layout cannot hold (put: an id or task id not 1-255 bytes, who
 * over 255 bytes, a status outside 0-31, no bytes; list: a task id, who or cursor over 255 bytes), nothing
 * of the batch written; ASYNCZ_ESTORE (naming the script), ASYNCZ_ENOMEM. A put of more than 1,000
 * entries, or 16 MiB, runs as several scripts: a failure may leave the earlier ones written. */
int az_redis_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n);
int az_redis_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata);
int az_redis_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata);
int az_redis_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max,
                               size_t *removed);
int az_redis_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                               size_t *removed);

#endif
