/* Gated mode: claims and the counter on FerretDB 1.x.
 *
 * FerretDB 1.x carries out findAndModify, update and delete as a read followed by a separate write of the
 * whole document, so two connections can both see a record unclaimed and both claim it, and two $inc on the
 * counter can return the same value. The one write it makes atomic is an insert: a second document with an
 * _id that exists is refused. Gated mode builds on that, in <collection>_meta:
 *
 *  - The counter is a chain of ranges {_id: first, last, at}: to take n values, read the highest `last`
 *    (e) and insert {_id: e + 1, last: e + n}. Every range starts right after the end of another, and only
 *    one insert can start at e + 1, so no two ranges overlap and later ranges are higher.
 *  - Removing a record leaves a tombstone ({gone: <µs>}, no data) written by _id: FerretDB 1.x deletes by
 *    scanning the whole collection, but finds a document by _id through its index. Readers skip
 *    tombstones; an insert over one goes through its gate like any other write.
 *  - A claim first inserts a gate {_id: "gate/<id>/<seq>/<token>"} named after the record's state as read
 *    (seq changes on every write, token on every claim): one claimer per state gets through, the others
 *    move on to the next record. The winner then updates the record, filtered on that same state.
 *
 * Each gate names the store object that inserted it (`by`, random per object): one whose insert (or whose
 * write after it) failed with the connection finds its own gate when it tries the same state again, and
 * goes on. Old ranges, gates
 * and tombstones are pruned after a while. A gate left by a claimer that died between its insert and its
 * update holds that record until it is pruned (GATE_STALE_USEC). */
#ifdef ASYNCZ_WITH_MONGODB
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asyncz/error.h"
#include "store/mongodb_internal.h"

#define DUPLICATE_KEY 11000
#define GATE_STALE_USEC INT64_C(30000000)      /* a gate older than this is pruned */
#define RANGE_STALE_USEC INT64_C(60000000)     /* a range older than this (not the last one) is pruned */
#define TOMBSTONE_STALE_USEC INT64_C(60000000) /* a removed record's tombstone older than this is pruned */
#define PRUNE_EVERY_USEC INT64_C(10000000)
#define RANGE_TRUST_USEC INT64_C(20000000) /* an end seen this recently is used without looking it up */
#define COUNTER_TRIES 1000 /* a lost race on the counter means another process just took values */
#define WRITE_TRIES 200    /* a lost gate on a write means another process is writing that record now */

int64_t az_mongo_wall_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct state state;
static state state_of(const bson_t *doc);
static int pass_gate(mongo_backend *m, const state *s, bool *won);

/* ---- which server ---------------------------------------------------------------------------------- */

int az_mongo_detect(mongo_backend *m)
{
    bson_t cmd = BSON_INITIALIZER, reply;
    bson_error_t err;
    BSON_APPEND_INT32(&cmd, "buildInfo", 1);
    bool ok = mongoc_client_command_simple(m->client, "admin", &cmd, NULL, &reply, &err);
    bson_iter_t it;
    if (ok)
        m->gated = bson_iter_init_find(&it, &reply, "ferretdbVersion");
    bson_destroy(&cmd);
    bson_destroy(&reply);
    return ok ? 0 : az_mongo_fail(m, "buildInfo", &err);
}

/* ---- inserts that either win or lose ------------------------------------------------------------------ */

/* Insert doc into the meta collection: *won false when its _id is taken. */
static int insert_once(mongo_backend *m, const bson_t *doc, const char *what, bool *won)
{
    bson_error_t err;
    *won = mongoc_collection_insert_one(m->counter, doc, NULL, NULL, &err);
    if (*won || err.code == DUPLICATE_KEY)
        return 0;
    return az_mongo_fail(m, what, &err);
}

/* Delete the tombstones older than TOMBSTONE_STALE_USEC, all in one scan. A writer that read a tombstone
 * and passed its gate writes by _id; pruning only old ones keeps such a writer from writing over an insert
 * made after the prune (the same assumption as for gates: no writer takes that long). */
static bool prune_tombstones(mongo_backend *m, int64_t now, bson_error_t *err)
{
    bson_t filter = BSON_INITIALIZER, cond;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "gone", &cond);
    BSON_APPEND_INT64(&cond, "$lt", now - TOMBSTONE_STALE_USEC);
    bson_append_document_end(&filter, &cond);
    bool ok = mongoc_collection_delete_many(m->tasks, &filter, NULL, NULL, err);
    bson_destroy(&filter);
    return ok;
}

/* Remove gates and ranges nobody needs any more, at most every PRUNE_EVERY_USEC per store object. A range
 * is kept while it is the last one (end); a gate while its claimer may still be at work. */
static int prune(mongo_backend *m, int64_t end)
{
    int64_t now = az_mongo_wall_usec();
    if (now - m->last_prune < PRUNE_EVERY_USEC)
        return 0;
    m->last_prune = now;
    bson_t gates, ranges, cond;
    bson_error_t err;
    bson_init(&gates);
    BSON_APPEND_UTF8(&gates, "kind", "gate");
    BSON_APPEND_DOCUMENT_BEGIN(&gates, "at", &cond);
    BSON_APPEND_INT64(&cond, "$lt", now - GATE_STALE_USEC);
    bson_append_document_end(&gates, &cond);
    bool ok = mongoc_collection_delete_many(m->counter, &gates, NULL, NULL, &err);
    bson_destroy(&gates);
    bson_init(&ranges);
    BSON_APPEND_UTF8(&ranges, "kind", "range");
    BSON_APPEND_DOCUMENT_BEGIN(&ranges, "at", &cond);
    BSON_APPEND_INT64(&cond, "$lt", now - RANGE_STALE_USEC);
    bson_append_document_end(&ranges, &cond);
    BSON_APPEND_DOCUMENT_BEGIN(&ranges, "last", &cond);
    BSON_APPEND_INT64(&cond, "$lt", end);
    bson_append_document_end(&ranges, &cond);
    ok = ok && mongoc_collection_delete_many(m->counter, &ranges, NULL, NULL, &err);
    bson_destroy(&ranges);
    ok = ok && prune_tombstones(m, now, &err);
    return ok ? 0 : az_mongo_fail(m, "delete old gates, ranges and tombstones", &err);
}

/* ---- the counter ------------------------------------------------------------------------------------ */

/* The highest value taken so far (0 before the first). */
static int counter_end(mongo_backend *m, int64_t *end)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    BSON_APPEND_UTF8(&filter, "kind", "range");
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "last", -1);
    bson_append_document_end(&opts, &sort);
    BSON_APPEND_INT64(&opts, "limit", 1);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->counter, &filter, &opts, NULL);
    const bson_t *doc;
    bson_error_t err;
    *end = 0;
    if (mongoc_cursor_next(cur, &doc))
        *end = az_mongo_time(doc, "last");
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find counter", &err) : 0;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return rc;
}

/* Try to take values end + 1 .. end + n: *won false when another process took a range there first. */
static int take_range(mongo_backend *m, int64_t end, int64_t n, bool *won)
{
    char key[40];
    snprintf(key, sizeof key, "range/%lld", (long long)(end + 1));
    bson_t range = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&range, "_id", key);
    BSON_APPEND_UTF8(&range, "kind", "range");
    BSON_APPEND_INT64(&range, "last", end + n);
    BSON_APPEND_INT64(&range, "at", az_mongo_wall_usec());
    int rc = insert_once(m, &range, "insert counter range", won);
    bson_destroy(&range);
    return rc;
}

/* The end of the range that starts at end + 1 (the one that beat us there), or 0 when it is gone. */
static int range_after(mongo_backend *m, int64_t end, int64_t *next)
{
    char key[40];
    snprintf(key, sizeof key, "range/%lld", (long long)(end + 1));
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->counter, &filter, NULL, NULL);
    const bson_t *doc;
    bson_error_t err;
    *next = mongoc_cursor_next(cur, &doc) ? az_mongo_time(doc, "last") : 0;
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find counter range", &err) : 0;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    return rc;
}

/* Where the chain ends: the end this object saw last if that is recent (ranges are pruned only long
 * after), else the highest end in the collection. */
static int chain_end(mongo_backend *m, int64_t *end)
{
    if (m->counter_end > 0 && az_mongo_wall_usec() - m->counter_seen < RANGE_TRUST_USEC) {
        *end = m->counter_end;
        return 0;
    }
    return counter_end(m, end);
}

int az_mongo_next_gated(mongo_backend *m, int64_t n, int64_t *last)
{
    int64_t end = 0;
    int rc = chain_end(m, &end);
    for (int i = 0; !rc && i < COUNTER_TRIES; i++) {
        bool won = false;
        if ((rc = take_range(m, end, n, &won)) != 0 || won)
            break;
        /* Follow the chain from the range that got there first. */
        int64_t next = 0;
        rc = range_after(m, end, &next);
        end = next;
        if (!rc && next == 0)
            rc = counter_end(m, &end);
    }
    if (rc)
        return rc;
    m->counter_end = *last = end + n;
    m->counter_seen = az_mongo_wall_usec();
    return prune(m, end + n);
}

/* ---- writes ----------------------------------------------------------------------------------------- */

/* Read the record by _id; ENOTFOUND when absent. *doc is a copy. */
static int read_record(mongo_backend *m, const char *id, bson_t **doc)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->tasks, &filter, NULL, NULL);
    const bson_t *found;
    bson_error_t err;
    *doc = mongoc_cursor_next(cur, &found) ? bson_copy(found) : NULL;
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find", &err) : 0;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    if (rc)
        bson_destroy(*doc);
    return rc ? rc : *doc ? 0 : ASYNCZ_ENOTFOUND;
}

/* ---- claims ----------------------------------------------------------------------------------------- */

/* Up to max due, unclaimed records, in order (copies). */
static int candidates(mongo_backend *m, asyncz_time_t now, size_t max, bson_t **out, size_t *n)
{
    bson_t filter;
    az_mongo_due_filter(&filter, now);
    mongoc_cursor_t *cur = az_mongo_find(m, &filter, AZ_MONGO_BY_TIME, (int64_t)max);
    const bson_t *doc;
    bson_error_t err;
    *n = 0;
    while (*n < max && mongoc_cursor_next(cur, &doc))
        out[(*n)++] = bson_copy(doc);
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find claimable", &err) : 0;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    return rc;
}

typedef struct gated_claim {
    asyncz_time_t now;
    const char *owner;
    asyncz_time_t lease_until;
} gated_claim;

/* The record's state as read: id, seq and token. */
struct state {
    const char *id;
    int64_t seq, token;
};

static state state_of(const bson_t *doc)
{
    bson_iter_t it;
    state s = {.id = ""};
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it))
        s.id = bson_iter_utf8(&it, NULL);
    s.seq = az_mongo_time(doc, "seq");
    s.token = az_mongo_time(doc, "token");
    return s;
}

/* Whether the gate `key` was inserted by this store object: an earlier call of its own whose reply was lost
 * (the connection broke) got through, and nobody wrote the record since, or its state would differ. */
static int gate_is_mine(mongo_backend *m, const char *key, bool *mine)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(m->counter, &filter, NULL, NULL);
    const bson_t *doc;
    bson_error_t err;
    bson_iter_t it;
    *mine = mongoc_cursor_next(cur, &doc) && bson_iter_init_find(&it, doc, "by") &&
            BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), m->writer) == 0;
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "find claim gate", &err) : 0;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    return rc;
}

static int pass_gate(mongo_backend *m, const state *s, bool *won)
{
    char *key = NULL;
    if (asprintf(&key, "gate/%s/%lld/%lld", s->id, (long long)s->seq, (long long)s->token) < 0)
        return ASYNCZ_ENOMEM;
    bson_t gate = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&gate, "_id", key);
    BSON_APPEND_UTF8(&gate, "kind", "gate");
    BSON_APPEND_INT64(&gate, "at", az_mongo_wall_usec());
    BSON_APPEND_UTF8(&gate, "by", m->writer);
    int rc = insert_once(m, &gate, "insert claim gate", won);
    /* Only a gate this object tried last can be its own: ask the server who inserted it only then. */
    if (!rc && !*won && m->last_gate && strcmp(m->last_gate, key) == 0)
        rc = gate_is_mine(m, key, won);
    bson_destroy(&gate);
    free(m->last_gate);
    m->last_gate = key;
    return rc;
}

/* Through the gate, set the claim on the record (by _id alone: the gate makes this the one write that
 * leaves state s, and FerretDB looks a document up quickly only by its _id). */
static int claim_state(mongo_backend *m, const gated_claim *c, const state *s, int64_t token, bool *won)
{
    int rc = pass_gate(m, s, won);
    if (rc || !*won)
        return rc;
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, reply;
    bson_error_t err;
    BSON_APPEND_UTF8(&filter, "_id", s->id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_UTF8(&set, "owner", c->owner);
    BSON_APPEND_INT64(&set, "lease_until", c->lease_until);
    BSON_APPEND_INT64(&set, "token", token);
    bson_append_document_end(&update, &set);
    bool ok = mongoc_collection_update_one(m->tasks, &filter, &update, NULL, &reply, &err);
    *won = ok && az_mongo_reply_count(&reply, "matchedCount") == 1;
    bson_destroy(&filter);
    bson_destroy(&update);
    bson_destroy(&reply);
    return ok ? 0 : az_mongo_fail(m, "update claim", &err);
}

/* Claim what can be claimed among the candidates, in order, with fresh tokens. */
static int claim_round(mongo_backend *m, const gated_claim *c, bson_t **docs, size_t n, size_t *claimed,
                       az_found_fn each, void *userdata)
{
    int64_t last = 0;
    int rc = az_mongo_next(m, (int64_t)n, &last);
    int64_t token = last - (int64_t)n;
    for (size_t i = 0; !rc && i < n; i++) {
        state s = state_of(docs[i]);
        bool won = false;
        rc = claim_state(m, c, &s, ++token, &won);
        if (!rc && won) {
            (*claimed)++;
            rc = az_mongo_pass(docs[i], (uint64_t)token, c->lease_until, each, userdata);
        }
    }
    return rc;
}

int az_mongo_claim_gated(mongo_backend *m, asyncz_time_t now, const char *owner, asyncz_time_t lease_until,
                         size_t max, az_found_fn each, void *userdata)
{
    gated_claim c = {.now = now, .owner = owner, .lease_until = lease_until};
    size_t done = 0, want = max < 256 ? max : 256;
    bson_t **docs = calloc(want ? want : 1, sizeof *docs);
    if (!docs)
        return ASYNCZ_ENOMEM;
    int rc = 0;
    /* Rounds go on while each fills its batch and claims something: records lost to other schedulers are
     * claimed by them, and a record held by a dead claimer's gate must not keep this loop going. */
    for (;;) {
        size_t batch = max - done < want ? max - done : want, n = 0, claimed = 0;
        rc = batch ? candidates(m, now, batch, docs, &n) : 0;
        if (!rc && n)
            rc = claim_round(m, &c, docs, n, &claimed, each, userdata);
        for (size_t i = 0; i < n; i++)
            bson_destroy(docs[i]);
        done += claimed;
        if (rc || n < batch || claimed == 0 || done == max)
            break;
    }
    free(docs);
    return rc;
}

int az_mongo_gated_write(mongo_backend *m, const char *id, az_mongo_check_fn check, az_mongo_write_fn write,
                         void *ctx)
{
    for (int i = 0; i < WRITE_TRIES; i++) {
        bson_t *doc = NULL;
        bool won = false;
        int rc = read_record(m, id, &doc);
        if (!rc)
            rc = check(doc, ctx);
        if (!rc) {
            state s = state_of(doc);
            rc = pass_gate(m, &s, &won);
        }
        bson_destroy(doc);
        if (rc)
            return rc;
        if (won)
            return write(m, id, ctx);
    }
    return az_store_fail(ASYNCZ_ESTORE, "%s: task \"%s\" stayed busy (a writer that died holds its gate)",
                         m->where, id);
}
#endif
