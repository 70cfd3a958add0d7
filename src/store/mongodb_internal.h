/* The MongoDB record backend's shared parts (mongodb.c: URL, connection, counter; mongodb_records.c: the
 * record operations; mongodb_aside.c: quarantine and heartbeats; mongodb_journal.c: run history and the
 * audit trail). Internal; included only where libmongoc is built in. */
#ifndef AZ_STORE_MONGODB_INTERNAL_H
#define AZ_STORE_MONGODB_INTERNAL_H

#include <mongoc/mongoc.h>

#include "store/backend.h"

typedef struct mongo_backend {
    az_backend base;
    mongoc_uri_t *uri; /* what libmongoc connects with: the URL without our options */
    char *where;       /* "mongodb host:port/db.collection", for messages (no password) */
    char *db;
    char *coll;                            /* tasks */
    char *meta;                            /* <coll>_meta: the counter document */
    char *quarantine;                      /* <coll>_quarantine */
    char *instances;                       /* <coll>_instances */
    char *journal_names[AZ_JOURNAL_COUNT]; /* <coll>_runs, <coll>_audit (by az_journal) */
    mongoc_client_t *client;
    mongoc_collection_t *tasks, *counter, *aside, *beats;
    mongoc_collection_t *journals[AZ_JOURNAL_COUNT];
    bool stale; /* the last call failed on the server or the network: make a new client first */
    bool gated; /* the server is FerretDB: claims and the counter go through unique inserts (mongodb_gated.c)
                 */
    int64_t last_prune;   /* wall-clock µs when gated mode last removed old gates and counter ranges */
    int64_t counter_end;  /* gated mode: the end of the counter's chain as this object saw it last, */
    int64_t counter_seen; /* and when (wall-clock µs) */
    char writer[17];      /* gated mode: a random id this object signs its gates with (16 hex digits) */
    char *last_gate;      /* gated mode: the _id of the last gate it tried to insert (or NULL) */
} mongo_backend;

/* Before every call: a connection to use, made again when the last call failed. ASYNCZ_ESTORE when the
 * store is not open. */
int az_mongo_ready(mongo_backend *m);

/* Record a failure of `what` (such as "findAndModify claim") with libmongoc's reason; marks the connection
 * stale so that the next call reconnects. Returns ASYNCZ_ESTORE. */
int az_mongo_fail(mongo_backend *m, const char *what, const bson_error_t *err);

/* An index: its name and its fields in order, up to NULL; a field named "-x" is x descending. */
typedef struct az_mongo_index {
    const char *name;
    const char *const *fields;
} az_mongo_index;

/* Create on coll those of the n indexes (by name) that it does not have yet; a collection that does not
 * exist is created with them. Errors: ASYNCZ_ESTORE. */
int az_mongo_ensure_indexes(mongo_backend *m, mongoc_collection_t *coll, const az_mongo_index *indexes,
                            size_t n);

/* Take n values from the store's counter: *last is the highest, the values are *last - n + 1 .. *last. */
int az_mongo_next(mongo_backend *m, int64_t n, int64_t *last);

/* Helpers shared by the record files (mongodb_records.c). */
extern const char *const AZ_MONGO_BY_TIME[];                     /* sort: next_run_time, seq */
asyncz_time_t az_mongo_time(const bson_t *doc, const char *key); /* a number, or NONE (null, absent) */
/* Pass a task document to each, with this claim (0 / NONE outside claims). */
int az_mongo_pass(const bson_t *doc, uint64_t token, asyncz_time_t lease_until, az_found_fn each,
                  void *userdata);
/* find(filter) on the tasks sorted by sort (fields, ascending, up to NULL), at most limit (0: all). */
mongoc_cursor_t *az_mongo_find(mongo_backend *m, const bson_t *filter, const char *const *sort,
                               int64_t limit);
/* Initialise filter to "due at now and not claimed at now". */
void az_mongo_due_filter(bson_t *filter, asyncz_time_t now);
/* Add {key: {$ne: null}} to filter. */
void az_mongo_not_null(bson_t *filter, const char *key);
/* A count from a write's reply ("matchedCount", "deletedCount"), 0 when absent. */
int64_t az_mongo_reply_count(const bson_t *reply, const char *key);
/* deleteOne(filter) on coll; *deleted is 0 or 1. */
int az_mongo_delete_one(mongo_backend *m, mongoc_collection_t *coll, const bson_t *filter, const char *what,
                        int64_t *deleted);
/* now + lease_usec, saturated. */
asyncz_time_t az_mongo_lease_end(asyncz_time_t now, int64_t lease_usec);

/* Tombstones (gated mode): whether doc is one; add {gone: null} (not a tombstone) to filter. */
bool az_mongo_gone(const bson_t *doc);
void az_mongo_not_gone(bson_t *filter);

/* Gated mode for FerretDB (mongodb_gated.c). */
int64_t az_mongo_wall_usec(void); /* wall-clock µs */
int az_mongo_detect(mongo_backend *m);
int az_mongo_next_gated(mongo_backend *m, int64_t n, int64_t *last);
int az_mongo_claim_gated(mongo_backend *m, asyncz_time_t now, const char *owner, asyncz_time_t lease_until,
                         size_t max, az_found_fn each, void *userdata);

/* A write in gated mode: read the record by _id, check(doc) (0, or what to return without writing), pass
 * the gate of its state, then write(id) by _id alone; read again when another writer got through first. */
typedef int (*az_mongo_check_fn)(const bson_t *doc, void *ctx);
typedef int (*az_mongo_write_fn)(mongo_backend *m, const char *id, void *ctx);
int az_mongo_gated_write(mongo_backend *m, const char *id, az_mongo_check_fn check, az_mongo_write_fn write,
                         void *ctx);

/* Record operations (mongodb_records.c). */
int az_mongo_insert(az_backend *b, const az_record *rec);
int az_mongo_replace(az_backend *b, const az_record *rec);
int az_mongo_remove(az_backend *b, const char *id);
int az_mongo_remove_all(az_backend *b);
int az_mongo_get(az_backend *b, const char *id, az_found_fn each, void *userdata);
int az_mongo_scan(az_backend *b, az_found_fn each, void *userdata);
int az_mongo_due(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata);
int az_mongo_earliest(az_backend *b, asyncz_time_t *out);
int az_mongo_count(az_backend *b, size_t *out);
int az_mongo_claim(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                   az_found_fn each, void *userdata);
int az_mongo_release(az_backend *b, const char *id, uint64_t token, const az_record *next);

/* Quarantine and heartbeats (mongodb_aside.c). */
int az_mongo_quarantine(az_backend *b, const char *id, const unsigned char *data, size_t len,
                        const char *reason, asyncz_time_t at);
int az_mongo_quarantined(az_backend *b, az_quarantine_rec_fn each, void *userdata);
int az_mongo_quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped);
int az_mongo_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len);
int az_mongo_instances(az_backend *b, az_instance_rec_fn each, void *userdata);
int az_mongo_remove_instance(az_backend *b, const char *id);

/* Journals (mongodb_journal.c): the ops of backend.h, and the indexes of both journals' collections, which
 * opening the store makes (az_mongo_ensure_indexes). */
int az_mongo_journal_indexes(mongo_backend *m);
int az_mongo_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n);
int az_mongo_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata);
int az_mongo_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata);
int az_mongo_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max,
                               size_t *removed);
int az_mongo_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                               size_t *removed);

#endif
