/* The MongoDB store's quarantine (<collection>_quarantine) and heartbeats (<collection>_instances).
 *
 * Quarantine without transactions (FerretDB has none, and a standalone MongoDB neither): the entry is
 * written first, then the record is deleted only if it still holds the same bytes; if it does not, the
 * entry is taken back. A crash between the two leaves the record in both places, never in neither, so
 * nothing is ever lost; the record is quarantined again the next time it is read. */
#ifdef ASYNCZ_WITH_MONGODB
#include <string.h>

#include "asyncz/error.h"
#include "store/mongodb_internal.h"

static mongo_backend *M(az_backend *b)
{
    return (mongo_backend *)b;
}

/* ---- quarantine ----------------------------------------------------------------------------------- */

static int add_entry(mongo_backend *m, const bson_oid_t *oid, const char *id, const unsigned char *data,
                     size_t len, const char *reason, asyncz_time_t at)
{
    int64_t seq = 0;
    int rc = az_mongo_next(m, 1, &seq);
    if (rc)
        return rc;
    bson_t doc = BSON_INITIALIZER;
    bson_error_t err;
    BSON_APPEND_OID(&doc, "_id", oid);
    BSON_APPEND_UTF8(&doc, "id", id);
    BSON_APPEND_UTF8(&doc, "reason", reason);
    BSON_APPEND_INT64(&doc, "at", at);
    BSON_APPEND_INT64(&doc, "seq", seq);
    bson_append_binary(&doc, "state", -1, BSON_SUBTYPE_BINARY, data, (uint32_t)len);
    bool ok = mongoc_collection_insert_one(m->aside, &doc, NULL, NULL, &err);
    bson_destroy(&doc);
    return ok ? 0 : az_mongo_fail(m, "insert quarantine", &err);
}

/* Delete the record if it still holds exactly these bytes. */
static int take_record(mongo_backend *m, const char *id, const unsigned char *data, size_t len,
                       int64_t *taken)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    bson_append_binary(&filter, "state", -1, BSON_SUBTYPE_BINARY, data, (uint32_t)len);
    int rc = az_mongo_delete_one(m, m->tasks, &filter, "delete quarantined", taken);
    bson_destroy(&filter);
    return rc;
}

static int drop_entry(mongo_backend *m, const bson_oid_t *oid)
{
    bson_t filter = BSON_INITIALIZER;
    int64_t deleted = 0;
    BSON_APPEND_OID(&filter, "_id", oid);
    int rc = az_mongo_delete_one(m, m->aside, &filter, "delete quarantine entry", &deleted);
    bson_destroy(&filter);
    return rc;
}

int az_mongo_quarantine(az_backend *b, const char *id, const unsigned char *data, size_t len,
                        const char *reason, asyncz_time_t at)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_oid_t oid;
    bson_oid_init(&oid, NULL);
    int64_t taken = 0;
    rc = add_entry(m, &oid, id, data, len, reason, at);
    if (!rc)
        rc = take_record(m, id, data, len, &taken);
    if (rc || taken)
        return rc;
    rc = drop_entry(m, &oid);
    return rc ? rc : ASYNCZ_ESTATE;
}

static int pass_entry(const bson_t *doc, az_quarantine_rec_fn each, void *userdata)
{
    bson_iter_t it;
    az_quarantine_rec q = {.id = "", .reason = "", .data = (const unsigned char *)""};
    if (bson_iter_init_find(&it, doc, "id") && BSON_ITER_HOLDS_UTF8(&it))
        q.id = bson_iter_utf8(&it, NULL);
    if (bson_iter_init_find(&it, doc, "reason") && BSON_ITER_HOLDS_UTF8(&it))
        q.reason = bson_iter_utf8(&it, NULL);
    if (bson_iter_init_find(&it, doc, "at") && BSON_ITER_HOLDS_NUMBER(&it))
        q.at = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "state") && BSON_ITER_HOLDS_BINARY(&it)) {
        uint32_t len = 0;
        bson_subtype_t sub;
        bson_iter_binary(&it, &sub, &len, &q.data);
        q.len = len;
    }
    return each(&q, userdata);
}

int az_mongo_quarantined(az_backend *b, az_quarantine_rec_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "at", 1);
    BSON_APPEND_INT32(&sort, "seq", 1);
    bson_append_document_end(&opts, &sort);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->aside, &filter, &opts, NULL);
    const bson_t *doc;
    bson_error_t err;
    while (!rc && mongoc_cursor_next(cur, &doc))
        rc = pass_entry(doc, each, userdata);
    if (!rc && mongoc_cursor_error(cur, &err))
        rc = az_mongo_fail(m, "find quarantine", &err);
    mongoc_cursor_destroy(cur);
    bson_destroy(&opts);
    return rc;
}

/* One delete_many on the quarantine collection. Entries are only ever inserted and deleted, never updated,
 * so FerretDB's read-then-write deletes (gated mode) need no gate here: deleting an entry twice is harmless.
 */
int az_mongo_quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped)
{
    mongo_backend *m = M(b);
    *dropped = 0;
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER, reply;
    bson_error_t err;
    BSON_APPEND_UTF8(&filter, "id", id);
    if (at != ASYNCZ_TIME_NONE)
        BSON_APPEND_INT64(&filter, "at", at);
    bool ok = mongoc_collection_delete_many(m->aside, &filter, NULL, &reply, &err);
    int64_t n = ok ? az_mongo_reply_count(&reply, "deletedCount") : 0;
    bson_destroy(&reply);
    bson_destroy(&filter);
    if (!ok)
        return az_mongo_fail(m, "delete quarantine entries", &err);
    *dropped = n > 0 ? (size_t)n : 0;
    return 0;
}

/* ---- heartbeats ------------------------------------------------------------------------------------- */

int az_mongo_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, opts = BSON_INITIALIZER;
    bson_error_t err;
    BSON_APPEND_UTF8(&filter, "_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    bson_append_binary(&set, "data", -1, BSON_SUBTYPE_BINARY, data, (uint32_t)len);
    bson_append_document_end(&update, &set);
    BSON_APPEND_BOOL(&opts, "upsert", true);
    bool ok = mongoc_collection_update_one(m->beats, &filter, &update, &opts, NULL, &err);
    bson_destroy(&filter);
    bson_destroy(&update);
    bson_destroy(&opts);
    return ok ? 0 : az_mongo_fail(m, "upsert instance", &err);
}

static int pass_instance(const bson_t *doc, az_instance_rec_fn each, void *userdata)
{
    bson_iter_t it;
    const char *id = "";
    const uint8_t *data = (const uint8_t *)"";
    uint32_t len = 0;
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it))
        id = bson_iter_utf8(&it, NULL);
    if (bson_iter_init_find(&it, doc, "data") && BSON_ITER_HOLDS_BINARY(&it)) {
        bson_subtype_t sub;
        bson_iter_binary(&it, &sub, &len, &data);
    }
    return each(id, data, len, userdata);
}

int az_mongo_instances(az_backend *b, az_instance_rec_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->beats, &filter, NULL, NULL);
    const bson_t *doc;
    bson_error_t err;
    while (!rc && mongoc_cursor_next(cur, &doc))
        rc = pass_instance(doc, each, userdata);
    if (!rc && mongoc_cursor_error(cur, &err))
        rc = az_mongo_fail(m, "find instances", &err);
    mongoc_cursor_destroy(cur);
    return rc;
}

int az_mongo_remove_instance(az_backend *b, const char *id)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER;
    int64_t deleted = 0;
    BSON_APPEND_UTF8(&filter, "_id", id);
    rc = az_mongo_delete_one(m, m->beats, &filter, "delete instance", &deleted);
    bson_destroy(&filter);
    return rc ? rc : deleted ? 0 : ASYNCZ_ENOTFOUND;
}
#endif
