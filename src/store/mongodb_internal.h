/* The MongoDB record backend's shared parts (mongodb.c: URL, connection, counter; mongodb_records.c: the
 * record operations; mongodb_aside.c: quarantine and heartbeats). Internal; included only where libmongoc
 * is built in. */
#ifndef AZ_STORE_MONGODB_INTERNAL_H
#define AZ_STORE_MONGODB_INTERNAL_H

#include <mongoc/mongoc.h>

#include "store/backend.h"

typedef struct mongo_backend {
    az_backend base;
    mongoc_uri_t *uri; /* what libmongoc connects with: the URL without our options */
    char *where;       /* "mongodb host:port/db.collection", for messages (no password) */
    char *db;
    char *coll;       /* tasks */
    char *meta;       /* <coll>_meta: the counter document */
    char *quarantine; /* <coll>_quarantine */
    char *instances;  /* <coll>_instances */
    mongoc_client_t *client;
    mongoc_collection_t *tasks, *counter, *aside, *beats;
    bool stale; /* the last call failed on the server or the network: make a new client first */
} mongo_backend;

/* Before every call: a connection to use, made again when the last call failed. ASYNCZ_ESTORE when the
 * store is not open. */
int az_mongo_ready(mongo_backend *m);

/* Record a failure of `what` (such as "findAndModify claim") with libmongoc's reason; marks the connection
 * stale so that the next call reconnects. Returns ASYNCZ_ESTORE. */
int az_mongo_fail(mongo_backend *m, const char *what, const bson_error_t *err);

/* Take n values from the store's counter: *last is the highest, the values are *last - n + 1 .. *last. */
int az_mongo_next(mongo_backend *m, int64_t n, int64_t *last);

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
int az_mongo_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len);
int az_mongo_instances(az_backend *b, az_instance_rec_fn each, void *userdata);
int az_mongo_remove_instance(az_backend *b, const char *id);

#endif
