/* The MongoDB store's journals: run history and the audit trail (backend.h, "journals").
 *
 * A collection per journal, <collection>_runs and <collection>_audit, one document per entry:
 * {_id: entry id, task, at, end, st, who, data: binary}, indexed by {task: 1, _id: -1} (a task's entries,
 * newest first), {st: 1, _id: -1} (the entries of some statuses, newest first) and {end: 1} (pruning by
 * age). Opening the store creates them, after the check of asyncz_store_connect_existing as for the other
 * collections.
 *
 * A put is one unordered bulk write of replaceOne upserts by _id: one round trip for the batch, each entry
 * replaced whole. A listing is one find with the filters set, sorted by _id descending and limited. A
 * delete can be neither sorted nor limited, so pruning finds the ids to remove first (sorted, limited,
 * only _id) and then removes them with one deleteMany {_id: {$in: ids}}.
 *
 * FerretDB 1.x (gated mode, mongodb_gated.c) uses no index to find documents: it hands PostgreSQL only a
 * query's equality conditions, as a scan, and filters and sorts the rest itself. So there a put inserts the
 * batch first and upserts only the entries that existed (put_gated), and a trim's deleteMany names the
 * task (an equality) besides the ids. */
#ifdef ASYNCZ_WITH_MONGODB
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/mongodb_internal.h"

/* MongoDB's duplicate key error: two upserts of one new id at once may both try to insert it. */
#define DUPLICATE_KEY 11000
/* Ids removed per deleteMany: keeps the $in array well below a command's 16 MiB. */
#define DELETE_CHUNK 1000

static mongo_backend *M(az_backend *b)
{
    return (mongo_backend *)b;
}

static mongoc_collection_t *journal_of(mongo_backend *m, az_journal j)
{
    return m->journals[j == AZ_JOURNAL_AUDIT ? AZ_JOURNAL_AUDIT : AZ_JOURNAL_RUNS];
}

/* "<verb> <collection>" for messages. */
static const char *what_on(char *buf, size_t size, const char *verb, mongoc_collection_t *coll)
{
    snprintf(buf, size, "%s %s", verb, mongoc_collection_get_name(coll));
    return buf;
}

static int64_t limit_of(size_t n)
{
    return n > (size_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

int az_mongo_journal_indexes(mongo_backend *m)
{
    static const char *const by_task[] = {"task", "-_id", NULL};
    static const char *const by_status[] = {"st", "-_id", NULL};
    static const char *const by_end[] = {"end", NULL};
    static const az_mongo_index indexes[] = {
        {"task_1__id_-1", by_task}, {"st_1__id_-1", by_status}, {"end_1", by_end}};
    int rc = 0;
    for (int j = 0; !rc && j < AZ_JOURNAL_COUNT; j++)
        rc = az_mongo_ensure_indexes(m, m->journals[j], indexes, sizeof indexes / sizeof indexes[0]);
    return rc;
}

/* ---- puts ------------------------------------------------------------------------------------------- */

/* The document of entry e (its _id included). */
static void entry_doc(bson_t *doc, const az_jentry *e)
{
    bson_init(doc);
    BSON_APPEND_UTF8(doc, "_id", e->id);
    BSON_APPEND_UTF8(doc, "task", e->task_id);
    BSON_APPEND_INT64(doc, "at", e->at);
    BSON_APPEND_INT64(doc, "end", e->end_at);
    BSON_APPEND_INT32(doc, "st", e->status);
    BSON_APPEND_UTF8(doc, "who", e->who ? e->who : "");
    bson_append_binary(doc, "data", -1, BSON_SUBTYPE_BINARY, e->data, (uint32_t)e->len);
}

/* Add a replaceOne upsert of e to bulk. */
static bool add_upsert(mongoc_bulk_operation_t *bulk, const az_jentry *e, const bson_t *opts,
                       bson_error_t *err)
{
    bson_t selector = BSON_INITIALIZER, doc;
    BSON_APPEND_UTF8(&selector, "_id", e->id);
    entry_doc(&doc, e);
    bool ok = mongoc_bulk_operation_replace_one_with_opts(bulk, &selector, &doc, opts, err);
    bson_destroy(&selector);
    bson_destroy(&doc);
    return ok;
}

/* One unordered bulk write of upserts: of entries[which[k]] for k < n, or of the first n entries when
 * which is NULL. */
static bool upsert_some(mongoc_collection_t *coll, const az_jentry *entries, const size_t *which, size_t n,
                        bson_error_t *err)
{
    bson_t bulk_opts = BSON_INITIALIZER, upsert = BSON_INITIALIZER, reply;
    BSON_APPEND_BOOL(&bulk_opts, "ordered", false);
    BSON_APPEND_BOOL(&upsert, "upsert", true);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &bulk_opts);
    bool ok = true;
    for (size_t k = 0; ok && k < n; k++)
        ok = add_upsert(bulk, &entries[which ? which[k] : k], &upsert, err);
    if (ok) {
        /* The reply is made whether the write succeeds or not. */
        ok = mongoc_bulk_operation_execute(bulk, &reply, err) != 0;
        bson_destroy(&reply);
    }
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&bulk_opts);
    bson_destroy(&upsert);
    return ok;
}

/* Upsert the entries (which, n as for upsert_some). Two upserts of one new id at once (from two writers)
 * may both try to insert it, and one is refused as a duplicate: once more, the upsert then replaces it. */
static bool upsert_entries(mongoc_collection_t *coll, const az_jentry *entries, const size_t *which, size_t n,
                           bson_error_t *err)
{
    bool ok = upsert_some(coll, entries, which, n, err);
    if (!ok && err->code == DUPLICATE_KEY)
        ok = upsert_some(coll, entries, which, n, err);
    return ok;
}

/* Whether a bulk write's reply lists write errors and they are all duplicate keys; their indexes go to
 * dup (*ndup of them, at most n). */
static bool only_duplicates(const bson_t *reply, size_t n, size_t *dup, size_t *ndup)
{
    bson_iter_t it, errors, code;
    if (!bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &errors))
        return false;
    *ndup = 0;
    while (bson_iter_next(&errors)) {
        bson_iter_t fields;
        if (!BSON_ITER_HOLDS_DOCUMENT(&errors) || !bson_iter_recurse(&errors, &fields) ||
            !bson_iter_find_descendant(&fields, "code", &code) || bson_iter_as_int64(&code) != DUPLICATE_KEY)
            return false;
        bson_iter_recurse(&errors, &fields);
        if (!bson_iter_find_descendant(&fields, "index", &code) || !BSON_ITER_HOLDS_NUMBER(&code))
            return false;
        int64_t index = bson_iter_as_int64(&code);
        if (index < 0 || (uint64_t)index >= n || *ndup == n)
            return false;
        dup[(*ndup)++] = (size_t)index;
    }
    return *ndup > 0;
}

/* Insert the n entries in one unordered bulk; those whose id exists already are not written, and their
 * indexes go to dup (*ndup of them). Any other refusal is a failure. */
static bool insert_new(mongoc_collection_t *coll, const az_jentry *entries, size_t n, size_t *dup,
                       size_t *ndup, bson_error_t *err)
{
    bson_t bulk_opts = BSON_INITIALIZER, reply;
    BSON_APPEND_BOOL(&bulk_opts, "ordered", false);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &bulk_opts);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        bson_t doc;
        entry_doc(&doc, &entries[i]);
        ok = mongoc_bulk_operation_insert_with_opts(bulk, &doc, NULL, err);
        bson_destroy(&doc);
    }
    *ndup = 0;
    if (ok) {
        ok = mongoc_bulk_operation_execute(bulk, &reply, err) != 0;
        ok = ok || only_duplicates(&reply, n, dup, ndup);
        bson_destroy(&reply);
    }
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&bulk_opts);
    return ok;
}

/* Gated mode (FerretDB 1.x): an upsert finds its _id by reading the whole collection, while an insert
 * that finds the id taken is refused at once. Most entries are new (a run's first write), so insert the
 * batch and upsert only the entries that were there already. dup: room for n indexes. */
static bool put_gated(mongoc_collection_t *coll, const az_jentry *entries, size_t n, size_t *dup,
                      bson_error_t *err)
{
    size_t ndup = 0;
    bool ok = insert_new(coll, entries, n, dup, &ndup, err);
    return ok && ndup ? upsert_entries(coll, entries, dup, ndup, err) : ok;
}

int az_mongo_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc || n == 0)
        return rc;
    mongoc_collection_t *coll = journal_of(m, j);
    size_t *dup = m->gated ? malloc(n * sizeof *dup) : NULL;
    if (m->gated && !dup)
        return ASYNCZ_ENOMEM;
    bson_error_t err;
    bool ok =
        m->gated ? put_gated(coll, entries, n, dup, &err) : upsert_entries(coll, entries, NULL, n, &err);
    free(dup);
    char what[128];
    return ok ? 0 : az_mongo_fail(m, what_on(what, sizeof what, "bulk write into", coll), &err);
}

/* ---- reads ------------------------------------------------------------------------------------------ */

static const char *utf8_of(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "";
}

/* Pass the entry doc to each. */
static int pass_entry(const bson_t *doc, az_jentry_fn each, void *userdata)
{
    az_jentry e = {.id = utf8_of(doc, "_id"),
                   .task_id = utf8_of(doc, "task"),
                   .at = az_mongo_time(doc, "at"),
                   .end_at = az_mongo_time(doc, "end"),
                   .who = utf8_of(doc, "who"),
                   .data = (const unsigned char *)""};
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "st") && BSON_ITER_HOLDS_NUMBER(&it))
        e.status = (int)bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "data") && BSON_ITER_HOLDS_BINARY(&it)) {
        uint32_t len = 0;
        bson_subtype_t sub;
        bson_iter_binary(&it, &sub, &len, &e.data);
        e.len = len;
    }
    return each(&e, userdata);
}

/* Read a cursor to its end (or until each stops), passing every entry; *n counts them. */
static int pass_entries(mongo_backend *m, mongoc_collection_t *coll, mongoc_cursor_t *cur, az_jentry_fn each,
                        void *userdata, size_t *n)
{
    const bson_t *doc;
    bson_error_t err;
    int rc = 0;
    while (!rc && mongoc_cursor_next(cur, &doc)) {
        rc = pass_entry(doc, each, userdata);
        (*n)++;
    }
    char what[128];
    if (!rc && mongoc_cursor_error(cur, &err))
        rc = az_mongo_fail(m, what_on(what, sizeof what, "find in", coll), &err);
    mongoc_cursor_destroy(cur);
    return rc;
}

/* find(filter) on coll sorted by key (dir 1 or -1), at most limit after skipping skip; only the _id when
 * ids_only. */
static mongoc_cursor_t *find_sorted(mongoc_collection_t *coll, const bson_t *filter, const char *key, int dir,
                                    int64_t skip, int64_t limit, bool ids_only)
{
    bson_t opts = BSON_INITIALIZER, child;
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &child);
    BSON_APPEND_INT32(&child, key, dir);
    bson_append_document_end(&opts, &child);
    if (skip > 0)
        BSON_APPEND_INT64(&opts, "skip", skip);
    BSON_APPEND_INT64(&opts, "limit", limit);
    if (ids_only) {
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &child);
        BSON_APPEND_INT32(&child, "_id", 1);
        bson_append_document_end(&opts, &child);
    }
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, &opts, NULL);
    bson_destroy(&opts);
    return cur;
}

/* {st: s} for one status, {st: {$in: [...]}} for several. */
static void status_filter(bson_t *filter, uint32_t statuses)
{
    if ((statuses & (statuses - 1)) == 0) {
        BSON_APPEND_INT32(filter, "st", __builtin_ctz(statuses));
        return;
    }
    bson_t cond, in;
    uint32_t k = 0;
    BSON_APPEND_DOCUMENT_BEGIN(filter, "st", &cond);
    BSON_APPEND_ARRAY_BEGIN(&cond, "$in", &in);
    for (int s = 0; s < 32; s++) {
        if (!(statuses & (1u << s)))
            continue;
        char key[16];
        const char *name;
        bson_uint32_to_string(k++, &name, key, sizeof key);
        BSON_APPEND_INT32(&in, name, s);
    }
    bson_append_array_end(&cond, &in);
    bson_append_document_end(filter, &cond);
}

/* {key: {$gte: since, $lt: until}}, with the bounds that are set. */
static void range_filter(bson_t *filter, const char *key, asyncz_time_t since, asyncz_time_t until)
{
    if (since == ASYNCZ_TIME_NONE && until == ASYNCZ_TIME_NONE)
        return;
    bson_t cond;
    BSON_APPEND_DOCUMENT_BEGIN(filter, key, &cond);
    if (since != ASYNCZ_TIME_NONE)
        BSON_APPEND_INT64(&cond, "$gte", since);
    if (until != ASYNCZ_TIME_NONE)
        BSON_APPEND_INT64(&cond, "$lt", until);
    bson_append_document_end(filter, &cond);
}

/* {key: {op: value}} */
static void compare_utf8(bson_t *filter, const char *key, const char *op, const char *value)
{
    bson_t cond;
    BSON_APPEND_DOCUMENT_BEGIN(filter, key, &cond);
    BSON_APPEND_UTF8(&cond, op, value);
    bson_append_document_end(filter, &cond);
}

/* The filter of a listing: one condition per filter set. */
static void query_filter(bson_t *filter, const az_jquery *q)
{
    bson_init(filter);
    if (q->task_id)
        BSON_APPEND_UTF8(filter, "task", q->task_id);
    if (q->statuses)
        status_filter(filter, q->statuses);
    range_filter(filter, "at", q->since, q->until);
    if (q->who)
        BSON_APPEND_UTF8(filter, "who", q->who);
    if (q->before)
        compare_utf8(filter, "_id", "$lt", q->before);
}

int az_mongo_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc || q->limit == 0)
        return rc;
    mongoc_collection_t *coll = journal_of(m, j);
    bson_t filter;
    size_t n = 0;
    query_filter(&filter, q);
    rc = pass_entries(m, coll, find_sorted(coll, &filter, "_id", -1, 0, limit_of(q->limit), false), each,
                      userdata, &n);
    bson_destroy(&filter);
    return rc;
}

int az_mongo_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata)
{
    mongo_backend *m = M(b);
    int rc = az_mongo_ready(m);
    if (rc)
        return rc;
    mongoc_collection_t *coll = journal_of(m, j);
    bson_t filter = BSON_INITIALIZER;
    size_t n = 0;
    BSON_APPEND_UTF8(&filter, "_id", id);
    rc = pass_entries(m, coll, find_sorted(coll, &filter, "_id", -1, 0, 1, false), each, userdata, &n);
    bson_destroy(&filter);
    return rc ? rc : n ? 0 : ASYNCZ_ENOTFOUND;
}

/* ---- pruning ---------------------------------------------------------------------------------------- */

/* Append the _id of every document cur finds to the array ids; *n counts them. */
static int collect_ids(mongo_backend *m, mongoc_collection_t *coll, mongoc_cursor_t *cur, bson_t *ids,
                       uint32_t *n)
{
    const bson_t *doc;
    bson_error_t err;
    while (mongoc_cursor_next(cur, &doc)) {
        char key[16];
        const char *name;
        bson_uint32_to_string((*n)++, &name, key, sizeof key);
        BSON_APPEND_UTF8(ids, name, utf8_of(doc, "_id"));
    }
    char what[128];
    int rc = mongoc_cursor_error(cur, &err)
                 ? az_mongo_fail(m, what_on(what, sizeof what, "find in", coll), &err)
                 : 0;
    mongoc_cursor_destroy(cur);
    return rc;
}

/* How to prune: find(coll, limit, ctx) gives the next chunk of documents to remove (only their _id, at most
 * limit); the deleteMany's filter names task_id too when it is set, which FerretDB 1.x hands down to
 * PostgreSQL, so that it reads that task's documents and not the whole collection. */
typedef struct pruner {
    mongoc_cursor_t *(*find)(mongoc_collection_t *coll, int64_t limit, const void *ctx);
    const void *ctx;
    const char *task_id;
} pruner;

/* deleteMany {_id: {$in: ids}[, task: task_id]}; *deleted counts them. */
static int delete_ids(mongo_backend *m, mongoc_collection_t *coll, const pruner *p, bson_t *filter,
                      int64_t *deleted)
{
    bson_t reply;
    bson_error_t err;
    if (p->task_id)
        BSON_APPEND_UTF8(filter, "task", p->task_id);
    bool ok = mongoc_collection_delete_many(coll, filter, NULL, &reply, &err);
    *deleted = ok ? az_mongo_reply_count(&reply, "deletedCount") : 0;
    bson_destroy(&reply);
    char what[128];
    return ok ? 0 : az_mongo_fail(m, what_on(what, sizeof what, "deleteMany in", coll), &err);
}

/* Find the ids of the next chunk, then delete them; *found and *deleted count them. */
static int delete_chunk(mongo_backend *m, mongoc_collection_t *coll, const pruner *p, int64_t limit,
                        uint32_t *found, int64_t *deleted)
{
    bson_t filter = BSON_INITIALIZER, cond, ids;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &cond);
    BSON_APPEND_ARRAY_BEGIN(&cond, "$in", &ids);
    int rc = collect_ids(m, coll, p->find(coll, limit, p->ctx), &ids, found);
    bson_append_array_end(&cond, &ids);
    bson_append_document_end(&filter, &cond);
    if (!rc && *found)
        rc = delete_ids(m, coll, p, &filter, deleted);
    bson_destroy(&filter);
    return rc;
}

/* Remove at most max documents, chunk by chunk, until a chunk finds fewer than it asked for. */
static int delete_chunks(mongo_backend *m, mongoc_collection_t *coll, const pruner *p, size_t max,
                         size_t *removed)
{
    int rc = 0;
    while (!rc && *removed < max) {
        size_t want = max - *removed < DELETE_CHUNK ? max - *removed : DELETE_CHUNK;
        uint32_t found = 0;
        int64_t deleted = 0;
        rc = delete_chunk(m, coll, p, (int64_t)want, &found, &deleted);
        *removed += (size_t)deleted;
        /* Nothing deleted of what was found: another process removed them first; the next chunk would be
         * the same ones or none. */
        if (found < want || deleted == 0)
            break;
    }
    return rc;
}

/* Entries that ended before the cutoff, oldest end first. */
static mongoc_cursor_t *aged_chunk(mongoc_collection_t *coll, int64_t limit, const void *ctx)
{
    const asyncz_time_t *cutoff = ctx;
    bson_t filter = BSON_INITIALIZER;
    range_filter(&filter, "end", ASYNCZ_TIME_NONE, *cutoff);
    mongoc_cursor_t *cur = find_sorted(coll, &filter, "end", 1, 0, limit, true);
    bson_destroy(&filter);
    return cur;
}

int az_mongo_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max, size_t *removed)
{
    mongo_backend *m = M(b);
    *removed = 0;
    int rc = az_mongo_ready(m);
    if (rc || max == 0 || cutoff == ASYNCZ_TIME_NONE)
        return rc;
    pruner p = {.find = aged_chunk, .ctx = &cutoff};
    return delete_chunks(m, journal_of(m, j), &p, max, removed);
}

/* A task's entries from the newest one beyond its newest `keep` down. */
typedef struct trim_ctx {
    const char *task_id;
    char boundary[AZ_JOURNAL_ID_LEN * 4 + 1]; /* the newest id to remove */
} trim_ctx;

/* The id of the task's newest entry beyond its newest keep; "" when it has no more than keep. */
static int find_boundary(mongo_backend *m, mongoc_collection_t *coll, size_t keep, trim_ctx *t)
{
    bson_t filter = BSON_INITIALIZER, ids = BSON_INITIALIZER;
    uint32_t n = 0;
    BSON_APPEND_UTF8(&filter, "task", t->task_id);
    int rc = collect_ids(m, coll, find_sorted(coll, &filter, "_id", -1, limit_of(keep), 1, true), &ids, &n);
    bson_iter_t it;
    t->boundary[0] = '\0';
    if (!rc && n && bson_iter_init_find(&it, &ids, "0"))
        snprintf(t->boundary, sizeof t->boundary, "%s", bson_iter_utf8(&it, NULL));
    bson_destroy(&filter);
    bson_destroy(&ids);
    return rc;
}

/* The task's entries up to the boundary, oldest first. */
static mongoc_cursor_t *trim_chunk(mongoc_collection_t *coll, int64_t limit, const void *ctx)
{
    const trim_ctx *t = ctx;
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "task", t->task_id);
    compare_utf8(&filter, "_id", "$lte", t->boundary);
    mongoc_cursor_t *cur = find_sorted(coll, &filter, "_id", 1, 0, limit, true);
    bson_destroy(&filter);
    return cur;
}

int az_mongo_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                               size_t *removed)
{
    mongo_backend *m = M(b);
    *removed = 0;
    int rc = az_mongo_ready(m);
    if (rc || max == 0)
        return rc;
    mongoc_collection_t *coll = journal_of(m, j);
    trim_ctx t = {.task_id = task_id};
    rc = find_boundary(m, coll, keep, &t);
    if (rc || !t.boundary[0])
        return rc;
    pruner p = {.find = trim_chunk, .ctx = &t, .task_id = task_id};
    return delete_chunks(m, coll, &p, max, removed);
}
#endif
