/* The MongoDB store's record operations (see mongodb.c for the layout).
 *
 * Order: MongoDB sorts null before numbers, so scheduled records (next_run_time a number) and paused ones
 * (null) are read by two queries, the paused ones second. Claims take one record at a time with
 * findAndModify (sorted, filtered on "due and not claimed at now"), which MongoDB applies atomically to
 * the document it picks: two schedulers never both claim one record. */
#ifdef ASYNCZ_WITH_MONGODB
#include <stdint.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/mongodb_internal.h"

/* MongoDB's duplicate key error. */
#define DUPLICATE_KEY 11000
/* Tokens taken from the counter at once for a claim. */
#define TOKEN_BLOCK 256

static mongo_backend *M(az_backend *b)
{
    return (mongo_backend *)b;
}

/* ---- documents -------------------------------------------------------------------------------------- */

static void append_time(bson_t *doc, const char *key, asyncz_time_t t)
{
    if (t == ASYNCZ_TIME_NONE)
        BSON_APPEND_NULL(doc, key);
    else
        BSON_APPEND_INT64(doc, key, t);
}

asyncz_time_t az_mongo_time(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_NUMBER(&it))
        return ASYNCZ_TIME_NONE;
    return bson_iter_as_int64(&it);
}

/* The fields a write sets: the bytes, their order and no claim; token: the released claim's for a release
 * (so that a repeat of it can tell), 0 for any other write. */
static void append_record_fields(bson_t *doc, const az_record *rec, int64_t seq, uint64_t token)
{
    append_time(doc, "next_run_time", rec->next_run_time);
    BSON_APPEND_INT64(doc, "seq", seq);
    bson_append_binary(doc, "state", -1, BSON_SUBTYPE_BINARY, rec->data, (uint32_t)rec->len);
    BSON_APPEND_NULL(doc, "owner");
    BSON_APPEND_NULL(doc, "lease_until");
    BSON_APPEND_INT64(doc, "token", (int64_t)token);
}

/* {$set: fields of rec} */
static void set_record(bson_t *update, const az_record *rec, int64_t seq, uint64_t token)
{
    bson_t set;
    BSON_APPEND_DOCUMENT_BEGIN(update, "$set", &set);
    append_record_fields(&set, rec, seq, token);
    bson_append_document_end(update, &set);
}

bool az_mongo_gone(const bson_t *doc)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, "gone") && !BSON_ITER_HOLDS_NULL(&it);
}

void az_mongo_not_gone(bson_t *filter)
{
    BSON_APPEND_NULL(filter, "gone");
}

int az_mongo_pass(const bson_t *doc, uint64_t token, asyncz_time_t lease_until, az_found_fn each,
                  void *userdata)
{
    bson_iter_t it;
    az_found f = {.id = "", .data = (const unsigned char *)"", .token = token, .lease_until = lease_until};
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it))
        f.id = bson_iter_utf8(&it, NULL);
    if (bson_iter_init_find(&it, doc, "state") && BSON_ITER_HOLDS_BINARY(&it)) {
        uint32_t len = 0;
        bson_subtype_t sub;
        bson_iter_binary(&it, &sub, &len, &f.data);
        f.len = len;
    }
    f.next_run_time = az_mongo_time(doc, "next_run_time");
    return each(&f, userdata);
}

/* Read a cursor to its end (or until each stops), passing every document. */
static int pass_cursor(mongo_backend *m, mongoc_cursor_t *cur, const char *what, az_found_fn each,
                       void *userdata, size_t *n)
{
    const bson_t *doc;
    bson_error_t err;
    int rc = 0;
    while (!rc && mongoc_cursor_next(cur, &doc)) {
        if (az_mongo_gone(doc))
            continue;
        rc = az_mongo_pass(doc, 0, ASYNCZ_TIME_NONE, each, userdata);
        if (n)
            (*n)++;
    }
    if (!rc && mongoc_cursor_error(cur, &err))
        rc = az_mongo_fail(m, what, &err);
    mongoc_cursor_destroy(cur);
    return rc;
}

/* find(filter) sorted by sort (field, direction pairs up to NULL), at most limit (0: no limit). */
mongoc_cursor_t *az_mongo_find(mongo_backend *m, const bson_t *filter, const char *const *sort, int64_t limit)
{
    bson_t opts = BSON_INITIALIZER, order;
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &order);
    for (size_t i = 0; sort && sort[i]; i++)
        BSON_APPEND_INT32(&order, sort[i], 1);
    bson_append_document_end(&opts, &order);
    if (limit > 0)
        BSON_APPEND_INT64(&opts, "limit", limit);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->tasks, filter, &opts, NULL);
    bson_destroy(&opts);
    return cur;
}

const char *const AZ_MONGO_BY_TIME[] = {"next_run_time", "seq", NULL};
static const char *const BY_SEQ[] = {"seq", NULL};

/* {_id: id} */
static void id_filter(bson_t *filter, const char *id)
{
    bson_init(filter);
    BSON_APPEND_UTF8(filter, "_id", id);
}

/* {next_run_time: {$lte: now}, $or: [{lease_until: null}, {lease_until: {$lte: now}}]}: due and not
 * claimed at now (a number never compares equal to null, so paused records never match). */
void az_mongo_due_filter(bson_t *filter, asyncz_time_t now)
{
    bson_t cond, or, alt;
    bson_init(filter);
    BSON_APPEND_DOCUMENT_BEGIN(filter, "next_run_time", &cond);
    BSON_APPEND_INT64(&cond, "$lte", now);
    bson_append_document_end(filter, &cond);
    BSON_APPEND_ARRAY_BEGIN(filter, "$or", & or);
    BSON_APPEND_DOCUMENT_BEGIN(& or, "0", &alt);
    BSON_APPEND_NULL(&alt, "lease_until");
    bson_append_document_end(& or, &alt);
    BSON_APPEND_DOCUMENT_BEGIN(& or, "1", &alt);
    BSON_APPEND_DOCUMENT_BEGIN(&alt, "lease_until", &cond);
    BSON_APPEND_INT64(&cond, "$lte", now);
    bson_append_document_end(&alt, &cond);
    bson_append_document_end(& or, &alt);
    bson_append_array_end(filter, & or);
}

/* {key: {$ne: null}} added to filter */
void az_mongo_not_null(bson_t *filter, const char *key)
{
    bson_t cond;
    BSON_APPEND_DOCUMENT_BEGIN(filter, key, &cond);
    BSON_APPEND_NULL(&cond, "$ne");
    bson_append_document_end(filter, &cond);
}

/* The count a write reply reports under key ("matchedCount", "deletedCount"). */
int64_t az_mongo_reply_count(const bson_t *reply, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, reply, key) && BSON_ITER_HOLDS_NUMBER(&it) ? bson_iter_as_int64(&it) : 0;
}

/* ---- writes ----------------------------------------------------------------------------------------- */

static int task_exists(mongo_backend *m, const char *id)
{
    return az_store_fail(ASYNCZ_EEXISTS, "%s: a task with id \"%s\" exists", m->where, id);
}

static int insert_over_tombstone(mongo_backend *m, const az_record *rec, int64_t seq);

int az_mongo_insert(az_backend *b, const az_record *rec)
{
    mongo_backend *m = M(b);
    int64_t seq = 0;
    int rc = az_mongo_ready(m);
    if (!rc)
        rc = az_mongo_next(m, 1, &seq);
    if (rc)
        return rc;
    bson_t doc;
    bson_error_t err;
    id_filter(&doc, rec->id);
    append_record_fields(&doc, rec, seq, 0);
    bool ok = mongoc_collection_insert_one(m->tasks, &doc, NULL, NULL, &err);
    bson_destroy(&doc);
    if (ok)
        return 0;
    if (err.code == DUPLICATE_KEY && m->gated)
        return insert_over_tombstone(m, rec, seq);
    if (err.code == DUPLICATE_KEY)
        return task_exists(m, rec->id);
    return az_mongo_fail(m, "insert", &err);
}

/* updateOne(filter, update); *matched is how many documents the filter matched. */
static int update_one(mongo_backend *m, const bson_t *filter, const bson_t *update, const char *what,
                      int64_t *matched)
{
    bson_t reply;
    bson_error_t err;
    bool ok = mongoc_collection_update_one(m->tasks, filter, update, NULL, &reply, &err);
    *matched = ok ? az_mongo_reply_count(&reply, "matchedCount") : 0;
    bson_destroy(&reply);
    return ok ? 0 : az_mongo_fail(m, what, &err);
}

int az_mongo_delete_one(mongo_backend *m, mongoc_collection_t *coll, const bson_t *filter, const char *what,
                        int64_t *deleted)
{
    bson_t reply;
    bson_error_t err;
    bool ok = mongoc_collection_delete_one(coll, filter, NULL, &reply, &err);
    *deleted = ok ? az_mongo_reply_count(&reply, "deletedCount") : 0;
    bson_destroy(&reply);
    return ok ? 0 : az_mongo_fail(m, what, &err);
}

/* ---- writes in gated mode (FerretDB): the checks made on the record as read, the writes by _id -----------
 */

typedef struct gated_ctx {
    mongo_backend *m;
    const az_record *rec; /* insert / replace / release with a next record */
    int64_t seq;          /* the seq the write gives the record (a tombstone too) */
    uint64_t token;       /* release (0 for other writes) */
} gated_ctx;

/* What check_claim returns for a repeated release: nothing to write, and success. */
#define RELEASE_REPEATED 1

/* A removed record is a tombstone until it is pruned (mongodb_gated.c): to every write but an insert it is
 * not there. */
static int check_exists(const bson_t *doc, void *ctx)
{
    (void)ctx;
    return az_mongo_gone(doc) ? ASYNCZ_ENOTFOUND : 0;
}

static int check_gone(const bson_t *doc, void *ctx)
{
    const gated_ctx *g = ctx;
    return az_mongo_gone(doc) ? 0 : task_exists(g->m, g->rec->id);
}

static int check_claim(const bson_t *doc, void *ctx)
{
    const gated_ctx *g = ctx;
    if (az_mongo_gone(doc))
        return ASYNCZ_ENOTFOUND;
    bool claimed = az_mongo_time(doc, "lease_until") != ASYNCZ_TIME_NONE;
    if ((uint64_t)az_mongo_time(doc, "token") != g->token)
        return ASYNCZ_ESTATE;
    return claimed ? 0 : RELEASE_REPEATED;
}

static int write_record(mongo_backend *m, const char *id, void *ctx)
{
    const gated_ctx *g = ctx;
    bson_t filter, update = BSON_INITIALIZER, unset;
    int64_t matched = 0;
    id_filter(&filter, id);
    set_record(&update, g->rec, g->seq, g->token);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
    BSON_APPEND_UTF8(&unset, "gone", "");
    bson_append_document_end(&update, &unset);
    int rc = update_one(m, &filter, &update, "update", &matched);
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc ? rc : matched ? 0 : ASYNCZ_ENOTFOUND;
}

/* Removal in gated mode leaves a tombstone (no data, no run time, a fresh seq, `gone` the wall-clock µs)
 * written by _id, which FerretDB 1.x finds through its index, where a delete scans the whole collection.
 * Tombstones are pruned in bulk later (mongodb_gated.c). */
static int write_removal(mongo_backend *m, const char *id, void *ctx)
{
    const gated_ctx *g = ctx;
    bson_t filter, update = BSON_INITIALIZER, set;
    int64_t matched = 0;
    id_filter(&filter, id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_INT64(&set, "gone", az_mongo_wall_usec());
    BSON_APPEND_NULL(&set, "next_run_time");
    BSON_APPEND_INT64(&set, "seq", g->seq);
    BSON_APPEND_NULL(&set, "state");
    BSON_APPEND_NULL(&set, "owner");
    BSON_APPEND_NULL(&set, "lease_until");
    BSON_APPEND_INT64(&set, "token", 0);
    bson_append_document_end(&update, &set);
    int rc = update_one(m, &filter, &update, "update removal", &matched);
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc ? rc : matched ? 0 : ASYNCZ_ENOTFOUND;
}

static int insert_over_tombstone(mongo_backend *m, const az_record *rec, int64_t seq)
{
    gated_ctx g = {.m = m, .rec = rec, .seq = seq};
    int rc = az_mongo_gated_write(m, rec->id, check_gone, write_record, &g);
    /* Pruned between the insert and the read: the id is free again. */
    return rc == ASYNCZ_ENOTFOUND ? az_mongo_insert(&m->base, rec) : rc;
}

static int write_release(mongo_backend *m, const char *id, void *ctx)
{
    const gated_ctx *g = ctx;
    return g->rec ? write_record(m, id, ctx) : write_removal(m, id, ctx);
}

int az_mongo_replace(az_backend *b, const az_record *rec)
{
    mongo_backend *m = M(b);
    int64_t seq = 0, matched = 0;
    int rc = az_mongo_ready(m);
    if (!rc)
        rc = az_mongo_next(m, 1, &seq);
    if (rc)
        return rc;
    if (m->gated) {
        gated_ctx g = {.m = m, .rec = rec, .seq = seq};
        return az_mongo_gated_write(m, rec->id, check_exists, write_record, &g);
    }
    bson_t filter, update = BSON_INITIALIZER;
    id_filter(&filter, rec->id);
    set_record(&update, rec, seq, 0);
    rc = update_one(m, &filter, &update, "update", &matched);
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc ? rc : matched ? 0 : ASYNCZ_ENOTFOUND;
}

int az_mongo_remove(az_backend *b, const char *id)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    int64_t seq = 0;
    if (m->gated && (rc = az_mongo_next(m, 1, &seq)) == 0) {
        gated_ctx g = {.m = m, .seq = seq};
        return az_mongo_gated_write(m, id, check_exists, write_removal, &g);
    }
    if (rc)
        return rc;
    bson_t filter;
    int64_t deleted = 0;
    id_filter(&filter, id);
    rc = az_mongo_delete_one(m, m->tasks, &filter, "delete", &deleted);
    bson_destroy(&filter);
    return rc ? rc : deleted ? 0 : ASYNCZ_ENOTFOUND;
}

int az_mongo_remove_all(az_backend *b)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER;
    bson_error_t err;
    bool ok = mongoc_collection_delete_many(m->tasks, &filter, NULL, NULL, &err);
    return ok ? 0 : az_mongo_fail(m, "delete all", &err);
}

/* ---- reads ------------------------------------------------------------------------------------------ */

int az_mongo_get(az_backend *b, const char *id, az_found_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter;
    size_t n = 0;
    id_filter(&filter, id);
    rc = pass_cursor(m, az_mongo_find(m, &filter, NULL, 1), "find", each, userdata, &n);
    bson_destroy(&filter);
    return rc ? rc : n ? 0 : ASYNCZ_ENOTFOUND;
}

int az_mongo_scan(az_backend *b, az_found_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t scheduled = BSON_INITIALIZER, paused = BSON_INITIALIZER;
    az_mongo_not_null(&scheduled, "next_run_time");
    BSON_APPEND_NULL(&paused, "next_run_time");
    az_mongo_not_gone(&paused);
    rc = pass_cursor(m, az_mongo_find(m, &scheduled, AZ_MONGO_BY_TIME, 0), "find scheduled", each, userdata,
                     NULL);
    if (!rc)
        rc = pass_cursor(m, az_mongo_find(m, &paused, BY_SEQ, 0), "find paused", each, userdata, NULL);
    bson_destroy(&scheduled);
    bson_destroy(&paused);
    return rc;
}

static int64_t limit_of(size_t max)
{
    return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

int az_mongo_due(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc || max == 0)
        return rc;
    bson_t filter;
    az_mongo_due_filter(&filter, now);
    rc = pass_cursor(m, az_mongo_find(m, &filter, AZ_MONGO_BY_TIME, limit_of(max)), "find due", each,
                     userdata, NULL);
    bson_destroy(&filter);
    return rc;
}

/* The first value of key in the first document filter finds sorted by key; NONE when there is none. */
static int first_time(mongo_backend *m, const bson_t *filter, const char *key, asyncz_time_t *out)
{
    const char *sort[] = {key, NULL};
    mongoc_cursor_t *cur = az_mongo_find(m, filter, sort, 1);
    const bson_t *doc;
    bson_error_t err;
    *out = mongoc_cursor_next(cur, &doc) ? az_mongo_time(doc, key) : ASYNCZ_TIME_NONE;
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find earliest", &err) : 0;
    mongoc_cursor_destroy(cur);
    return rc;
}

int az_mongo_earliest(az_backend *b, asyncz_time_t *out)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t claimed = BSON_INITIALIZER, free_ = BSON_INITIALIZER;
    az_mongo_not_null(&claimed, "lease_until");
    BSON_APPEND_NULL(&free_, "lease_until");
    az_mongo_not_null(&free_, "next_run_time");
    asyncz_time_t lease = ASYNCZ_TIME_NONE, next = ASYNCZ_TIME_NONE;
    rc = first_time(m, &claimed, "lease_until", &lease);
    if (!rc)
        rc = first_time(m, &free_, "next_run_time", &next);
    bson_destroy(&claimed);
    bson_destroy(&free_);
    if (!rc)
        *out = lease == ASYNCZ_TIME_NONE  ? next
               : next == ASYNCZ_TIME_NONE ? lease
               : lease < next             ? lease
                                          : next;
    return rc;
}

int az_mongo_count(az_backend *b, size_t *out)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    bson_t filter = BSON_INITIALIZER;
    bson_error_t err;
    az_mongo_not_gone(&filter);
    int64_t n = mongoc_collection_count_documents(m->tasks, &filter, NULL, NULL, NULL, &err);
    if (n < 0)
        return az_mongo_fail(m, "count", &err);
    *out = (size_t)n;
    return 0;
}

/* ---- claims ----------------------------------------------------------------------------------------- */

typedef struct claim_req {
    asyncz_time_t now;
    const char *owner;
    asyncz_time_t lease_until;
    int64_t token;
} claim_req;

/* Claim the first due, unclaimed record with req's token. *doc is the claimed document (caller destroys
 * *reply), or NULL when nothing is left to claim. */
static int claim_one(mongo_backend *m, const claim_req *req, bson_t *reply, bson_t *doc, bool *found)
{
    bson_t filter, update = BSON_INITIALIZER, set, sort = BSON_INITIALIZER;
    bson_error_t err;
    az_mongo_due_filter(&filter, req->now);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_UTF8(&set, "owner", req->owner);
    BSON_APPEND_INT64(&set, "lease_until", req->lease_until);
    BSON_APPEND_INT64(&set, "token", req->token);
    bson_append_document_end(&update, &set);
    BSON_APPEND_INT32(&sort, "next_run_time", 1);
    BSON_APPEND_INT32(&sort, "seq", 1);
    mongoc_find_and_modify_opts_t *opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_update(opts, &update);
    mongoc_find_and_modify_opts_set_sort(opts, &sort);
    mongoc_find_and_modify_opts_set_flags(opts, MONGOC_FIND_AND_MODIFY_RETURN_NEW);
    bool ok = mongoc_collection_find_and_modify_with_opts(m->tasks, &filter, opts, reply, &err);
    mongoc_find_and_modify_opts_destroy(opts);
    bson_destroy(&filter);
    bson_destroy(&update);
    bson_destroy(&sort);
    if (!ok)
        return az_mongo_fail(m, "findAndModify claim", &err);
    bson_iter_t it;
    uint32_t len = 0;
    const uint8_t *data = NULL;
    *found = bson_iter_init_find(&it, reply, "value") && BSON_ITER_HOLDS_DOCUMENT(&it);
    if (*found) {
        bson_iter_document(&it, &len, &data);
        *found = bson_init_static(doc, data, len);
    }
    return 0;
}

asyncz_time_t az_mongo_lease_end(asyncz_time_t now, int64_t lease_usec)
{
    if (lease_usec > 0 && now > INT64_MAX - lease_usec)
        return INT64_MAX;
    return now + lease_usec;
}

int az_mongo_claim(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                   az_found_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (!rc && m->gated)
        return az_mongo_claim_gated(m, now, owner, az_mongo_lease_end(now, lease_usec), max, each, userdata);
    claim_req req = {.now = now, .owner = owner, .lease_until = az_mongo_lease_end(now, lease_usec)};
    int64_t last = 0;
    for (size_t n = 0; !rc && n < max; n++) {
        if (req.token == last) {
            /* A block of fresh tokens, in order: each is above every token handed out before it. */
            int64_t want = max - n < TOKEN_BLOCK ? (int64_t)(max - n) : TOKEN_BLOCK;
            if ((rc = az_mongo_next(m, want, &last)) != 0)
                break;
            req.token = last - want;
        }
        req.token++;
        bson_t reply, doc;
        bool found = false;
        rc = claim_one(m, &req, &reply, &doc, &found);
        if (!rc && found)
            rc = az_mongo_pass(&doc, (uint64_t)req.token, req.lease_until, each, userdata);
        bson_destroy(&reply);
        if (!found)
            break;
    }
    return rc;
}

/* After a release matched nothing: ENOTFOUND when the record is gone, 0 when it is unclaimed and holds
 * this token (the release already took effect: a repeat), else ESTATE. */
static int release_refused(mongo_backend *m, const char *id, uint64_t token)
{
    bson_t filter;
    id_filter(&filter, id);
    mongoc_cursor_t *cur = az_mongo_find(m, &filter, NULL, 1);
    const bson_t *doc;
    bson_error_t err;
    bool exists = mongoc_cursor_next(cur, &doc);
    bool repeated = exists && az_mongo_time(doc, "lease_until") == ASYNCZ_TIME_NONE &&
                    (uint64_t)az_mongo_time(doc, "token") == token;
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find released", &err) : 0;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    return rc ? rc : repeated ? 0 : exists ? ASYNCZ_ESTATE : ASYNCZ_ENOTFOUND;
}

/* {_id: id, token: token, lease_until: {$ne: null}}: the record while it holds this claim. */
static void claim_filter(bson_t *filter, const char *id, uint64_t token)
{
    id_filter(filter, id);
    BSON_APPEND_INT64(filter, "token", (int64_t)token);
    az_mongo_not_null(filter, "lease_until");
}

int az_mongo_release(az_backend *b, const char *id, uint64_t token, const az_record *next)
{
    mongo_backend *m = M(b);
    int64_t seq = 0, hit = 0;
    if (token == 0 || token > INT64_MAX) /* never handed out */
        return ASYNCZ_ESTATE;
    int rc = az_mongo_ready(m);
    if (!rc && (next || m->gated))
        rc = az_mongo_next(m, 1, &seq);
    if (rc)
        return rc;
    if (m->gated) {
        gated_ctx g = {.m = m, .rec = next, .seq = seq, .token = token};
        rc = az_mongo_gated_write(m, id, check_claim, write_release, &g);
        return rc == RELEASE_REPEATED ? 0 : rc;
    }
    bson_t filter, update = BSON_INITIALIZER;
    claim_filter(&filter, id, token);
    if (next) {
        set_record(&update, next, seq, token);
        rc = update_one(m, &filter, &update, "update release", &hit);
    } else {
        rc = az_mongo_delete_one(m, m->tasks, &filter, "delete release", &hit);
    }
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc ? rc : hit ? 0 : release_refused(m, id, token);
}
#endif
