/* The MongoDB store against a real server (FerretDB in CI): the conformance and persistent-store suites,
 * then what is particular to it: URL forms and options, the documents it writes, claims from several
 * connections at once, and reconnecting after the connection or the server went away (through a TCP relay
 * in this process that can drop connections and stop listening, in front of the real server). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asyncz/sys/store.h"
#include "az_servers.h"
#include "persist_suite.h"
#include "store/mongodb_internal.h"
#include "core/store_open.h"
#include "store/url.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC

/* ---- URLs ------------------------------------------------------------------------------------------- */

static const char *server(void)
{
    return az_servers_url("mongodb");
}

/* base + our options, joined with the right separator. */
static void with_options(char *buf, size_t size, const char *base, const char *options)
{
    const char *sep = strchr(base, '?') ? "&" : base[strlen(base) - 1] == '/' ? "?" : "/?";
    snprintf(buf, size, "%s%s%s", base, sep, options);
}

static void collection_url(char *buf, size_t size, const char *base, unsigned n)
{
    char options[128];
    snprintf(options, sizeof options, "database=asyncz_test&collection=t%ld_%u", (long)getpid(), n);
    with_options(buf, size, base, options);
}

static void store_url(char *buf, size_t size, unsigned n)
{
    collection_url(buf, size, server(), n);
}

static asyncz_store *open_url(const char *url)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    if (rc)
        fail_msg("asyncz_store_open(%s): %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    rc = asyncz_store_connect(st);
    if (rc)
        fail_msg("connect %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

static asyncz_store *open_ns(unsigned n)
{
    char url[1024];
    store_url(url, sizeof url, n);
    return open_url(url);
}

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static mongo_backend *backend_of(asyncz_store *st)
{
    az_backend *b = az_persist_backend(st);
    assert_non_null(b);
    return (mongo_backend *)b;
}

static size_t count_of(asyncz_store *st)
{
    size_t n = 0;
    int rc = ops(st)->count(st, &n);
    if (rc)
        fail_msg("count: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return n;
}

/* ---- URL forms and options ------------------------------------------------------------------------- */

static void assert_opens(const char *url)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    if (rc)
        fail_msg("asyncz_store_open(%s): %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    assert_string_equal(asyncz_store_kind(st), "mongodb");
    assert_true(ops(st)->caps & ASYNCZ_STORE_CAP_SHARED);
    assert_true(ops(st)->caps & ASYNCZ_STORE_CAP_PERSISTENT);
    asyncz_store_free(st);
}

static void mongodb_url_forms(void **state)
{
    (void)state;
    assert_opens("mongodb://localhost");
    assert_opens("mongodb://127.0.0.1:27017/");
    assert_opens("mongodb://[::1]:27017/?database=db_1&collection=jobs");
    assert_opens("mongodb://user:p%40ss%3Aword@db.example.com:27018/admin?collection=tasks");
    assert_opens("mongodb://localhost/?appname=mine&serverSelectionTimeoutMS=100&retryWrites=false");
    assert_opens("mongodb://localhost/?readPreference=secondaryPreferred&w=majority&journal=true");
    assert_opens("mongodb://%2Ftmp%2Fmongodb-27017.sock/?database=asyncz");
}

static void assert_refused(const char *url, const char *needle)
{
    asyncz_store *st = (asyncz_store *)&st;
    assert_int_equal(asyncz_store_open(&st, url), ASYNCZ_EINVAL);
    assert_null(st);
    if (!strstr(asyncz_store_errmsg(), needle))
        fail_msg("%s: the message does not say \"%s\": %s", url, needle, asyncz_store_errmsg());
}

/* Names are validated: nothing but [A-Za-z0-9_] reaches the server as a database or collection name. */
static void mongodb_names_refused(void **state)
{
    (void)state;
    assert_refused("mongodb://localhost/?collection=tasks.%24cmd", "collection");
    assert_refused("mongodb://localhost/?collection=x%3Bdb.dropDatabase()", "collection");
    assert_refused("mongodb://localhost/?collection=", "collection");
    assert_refused("mongodb://localhost/?database=admin%2F..%2Fx", "database");
    assert_refused("mongodb://localhost/?database=a.b", "database");
    assert_refused("mongodb://localhost/?database=1db", "database");
    char long_name[100];
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    char url[200];
    snprintf(url, sizeof url, "mongodb://localhost/?collection=%s", long_name);
    assert_refused(url, "collection");
}

static void mongodb_bad_options(void **state)
{
    (void)state;
    assert_refused("mongodb://localhost/?bogus_option=1", "bogus_option");
    assert_refused("mongodb://localhost/?tablename=x", "tablename");
    assert_refused("mongodb://localhost/?collection=a&collection=b", "twice");
    /* libmongoc judges the values of its own options. */
    assert_refused("mongodb://localhost/?serverSelectionTimeoutMS=soon", "store URL");
    assert_refused("mongodb://localhost/?readPreference=sometimes", "store URL");
}

/* An option named in the URL, as libmongoc keeps it, or NULL. */
static const char *uri_option(const mongoc_uri_t *uri, const char *key)
{
    static char value[64];
    bson_iter_t it;
    const bson_t *opts = mongoc_uri_get_options(uri);
    if (!opts || !bson_iter_init(&it, opts) || !bson_iter_find_case(&it, key))
        return NULL;
    if (BSON_ITER_HOLDS_UTF8(&it))
        snprintf(value, sizeof value, "%s", bson_iter_utf8(&it, NULL));
    else if (BSON_ITER_HOLDS_BOOL(&it))
        snprintf(value, sizeof value, "%s", bson_iter_bool(&it) ? "true" : "false");
    else
        snprintf(value, sizeof value, "%lld", (long long)bson_iter_as_int64(&it));
    return value;
}

/* database and collection are ours and do not reach libmongoc; its options do, and ours fill the gaps. */
static void mongodb_options_stripped(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st,
                                       "mongodb://someone:secret@db.example.com:27018/admin?database=db1&"
                                       "appName=mine&collection=jobs&serverSelectionTimeoutMS=1234&"
                                       "retryWrites=false"),
                     0);
    mongo_backend *m = backend_of(st);
    assert_string_equal(m->db, "db1");
    assert_string_equal(m->coll, "jobs");
    assert_string_equal(m->meta, "jobs_meta");
    assert_string_equal(m->quarantine, "jobs_quarantine");
    assert_string_equal(m->instances, "jobs_instances");
    assert_string_equal(m->journal_names[AZ_JOURNAL_RUNS], "jobs_runs");
    assert_string_equal(m->journal_names[AZ_JOURNAL_AUDIT], "jobs_audit");
    assert_null(uri_option(m->uri, "database"));
    assert_null(uri_option(m->uri, "collection"));
    assert_string_equal(uri_option(m->uri, "serverselectiontimeoutms"), "1234");
    assert_string_equal(uri_option(m->uri, "retrywrites"), "false");
    assert_string_equal(mongoc_uri_get_appname(m->uri), "mine");
    assert_string_equal(mongoc_uri_get_username(m->uri), "someone");
    assert_string_equal(mongoc_uri_get_password(m->uri), "secret");
    assert_string_equal(mongoc_uri_get_database(m->uri), "admin");
    const mongoc_host_list_t *h = mongoc_uri_get_hosts(m->uri);
    assert_string_equal(h->host, "db.example.com");
    assert_int_equal(h->port, 27018);
    assert_null(strstr(m->where, "secret"));
    assert_string_equal(m->where, "mongodb db.example.com:27018/db1.jobs");
    asyncz_store_free(st);
}

static void mongodb_defaults(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "mongodb://localhost"), 0);
    mongo_backend *m = backend_of(st);
    assert_string_equal(m->db, "asyncz");
    assert_string_equal(m->coll, "tasks");
    assert_string_equal(uri_option(m->uri, "serverselectiontimeoutms"), "5000");
    assert_string_equal(uri_option(m->uri, "connecttimeoutms"), "5000");
    assert_string_equal(mongoc_uri_get_appname(m->uri), "asyncz");
    assert_string_equal(m->where, "mongodb localhost:27017/asyncz.tasks");
    asyncz_store_free(st);
}

/* ---- the documents ----------------------------------------------------------------------------------- */

/* A client of the test's own on the server, to look at what the store wrote. */
typedef struct raw {
    mongoc_client_t *client;
    mongoc_collection_t *coll;
} raw;

static void raw_open(raw *r, unsigned n, const char *suffix)
{
    char url[1024], name[96];
    collection_url(url, sizeof url, server(), n);
    mongo_backend *probe = NULL;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    probe = backend_of(st);
    r->client = mongoc_client_new_from_uri(probe->uri);
    assert_non_null(r->client);
    snprintf(name, sizeof name, "%s%s", probe->coll, suffix);
    r->coll = mongoc_client_get_collection(r->client, probe->db, name);
    asyncz_store_free(st);
}

static void raw_close(raw *r)
{
    mongoc_collection_destroy(r->coll);
    mongoc_client_destroy(r->client);
}

/* The document with _id id (a copy), failing the test when there is none. */
static bson_t *raw_doc(raw *r, const char *id)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(r->coll, &filter, NULL, NULL);
    const bson_t *doc = NULL;
    bson_t *copy = mongoc_cursor_next(cur, &doc) ? bson_copy(doc) : NULL;
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    if (!copy)
        fail_msg("no document \"%s\"", id);
    return copy;
}

static bson_type_t type_of(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) ? bson_iter_type(&it) : BSON_TYPE_EOD;
}

static int64_t int_of(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    assert_true(bson_iter_init_find(&it, doc, key));
    return bson_iter_as_int64(&it);
}

static void mongodb_document_layout(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    az_test_add(st, "scheduled", T0);
    az_test_add(st, "paused", ASYNCZ_TIME_NONE);
    raw r;
    raw_open(&r, 1, "");
    bson_t *d = raw_doc(&r, "scheduled");
    assert_int_equal(type_of(d, "next_run_time"), BSON_TYPE_INT64);
    assert_int_equal(int_of(d, "next_run_time"), T0);
    assert_int_equal(type_of(d, "seq"), BSON_TYPE_INT64);
    assert_int_equal(type_of(d, "state"), BSON_TYPE_BINARY);
    assert_int_equal(type_of(d, "owner"), BSON_TYPE_NULL);
    assert_int_equal(type_of(d, "lease_until"), BSON_TYPE_NULL);
    assert_int_equal(int_of(d, "token"), 0);
    int64_t seq = int_of(d, "seq");
    bson_destroy(d);
    d = raw_doc(&r, "paused");
    assert_int_equal(type_of(d, "next_run_time"), BSON_TYPE_NULL);
    assert_true(int_of(d, "seq") > seq);
    bson_destroy(d);
    /* A claim fills owner, lease_until and token in the clear. */
    asyncz_claim c[2];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0, "me", 30 * SEC, 2, c, &n), 0);
    assert_int_equal(n, 1);
    d = raw_doc(&r, "scheduled");
    assert_int_equal(type_of(d, "owner"), BSON_TYPE_UTF8);
    assert_int_equal(int_of(d, "lease_until"), T0 + 30 * SEC);
    assert_int_equal((uint64_t)int_of(d, "token"), c[0].token);
    bson_destroy(d);
    asyncz_task_free(c[0].task);
    raw_close(&r);
    asyncz_store_free(st);
}

/* The highest counter value taken: the counter document ({_id: "counter", value}) on MongoDB, the end of
 * the chain of ranges ({_id: "range/<first>", last}) on FerretDB. */
static int64_t counter_value(raw *r, bool gated)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    BSON_APPEND_UTF8(&filter, gated ? "kind" : "_id", gated ? "range" : "counter");
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, gated ? "last" : "value", -1);
    bson_append_document_end(&opts, &sort);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(r->coll, &filter, &opts, NULL);
    const bson_t *doc;
    assert_true(mongoc_cursor_next(cur, &doc));
    int64_t v = int_of(doc, gated ? "last" : "value");
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return v;
}

/* The counter in <collection>_meta is where seq and tokens come from, one value per write. */
static void mongodb_counter_document(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    bool gated = backend_of(st)->gated;
    az_test_add(st, "a", T0);
    raw r;
    raw_open(&r, 1, "_meta");
    int64_t before = counter_value(&r, gated);
    az_test_add(st, "b", T0);
    assert_int_equal(counter_value(&r, gated), before + 1);
    /* A claim of three takes three tokens at once, above every value taken before. */
    az_test_add(st, "c", T0);
    asyncz_claim c[3];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0, "me", 30 * SEC, 3, c, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i].token > (uint64_t)before + 2);
        assert_true(c[i].token <= (uint64_t)counter_value(&r, gated));
        asyncz_task_free(c[i].task);
    }
    raw_close(&r);
    asyncz_store_free(st);
}

/* The store knows FerretDB by its buildInfo and uses gated mode there (see mongodb_gated.c). */
static void mongodb_detects_server(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    mongo_backend *m = backend_of(st);
    bson_t cmd = BSON_INITIALIZER, reply;
    bson_error_t err;
    BSON_APPEND_INT32(&cmd, "buildInfo", 1);
    assert_true(mongoc_client_command_simple(m->client, "admin", &cmd, NULL, &reply, &err));
    bson_iter_t it;
    assert_int_equal(m->gated, bson_iter_init_find(&it, &reply, "ferretdbVersion"));
    bson_destroy(&cmd);
    bson_destroy(&reply);
    asyncz_store_free(st);
}

/* The MongoDB path (findAndModify claims, $inc counter, filtered updates) on this server from one
 * connection, where FerretDB's lack of atomicity does not show. */
static void mongodb_plain_mode(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    backend_of(st)->gated = false;
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + SEC);
    az_test_add(st, "p", ASYNCZ_TIME_NONE);
    asyncz_claim c[4];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0 + SEC, "me", 30 * SEC, 4, c, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(asyncz_task_id(c[0].task), "a");
    assert_string_equal(asyncz_task_id(c[1].task), "b");
    assert_true(c[1].token > c[0].token);
    assert_int_equal(c[0].lease_until, T0 + 31 * SEC);
    assert_int_equal(ops(st)->release(st, "a", c[0].token + 100, NULL), ASYNCZ_ESTATE);
    assert_int_equal(ops(st)->release(st, "a", c[0].token, NULL), 0);
    assert_int_equal(ops(st)->release(st, "a", c[0].token, NULL), ASYNCZ_ENOTFOUND);
    assert_int_equal(ops(st)->release(st, "b", c[1].token, c[1].task), 0);
    assert_int_equal(ops(st)->release(st, "b", c[1].token, c[1].task), 0); /* a repeat: nothing changes */
    assert_int_equal(ops(st)->release(st, "b", c[1].token + 100, c[1].task), ASYNCZ_ESTATE);
    asyncz_task_free(c[0].task);
    asyncz_task_free(c[1].task);
    assert_int_equal(ops(st)->remove(st, "p"), 0);
    assert_int_equal(ops(st)->remove(st, "p"), ASYNCZ_ENOTFOUND);
    assert_int_equal(count_of(st), 1);
    asyncz_store_free(st);
}

/* A gate left by a claimer that died between its gate and its update holds that record (others claim the
 * rest, writes to it report it busy) until the gate is old enough to be pruned. */
static void mongodb_dead_claimer_gate(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    mongo_backend *m = backend_of(st);
    if (!m->gated) {
        asyncz_store_free(st);
        skip();
    }
    az_test_add(st, "stuck", T0);
    az_test_add(st, "free", T0 + 1);
    raw r;
    raw_open(&r, 1, "");
    bson_t *d = raw_doc(&r, "stuck");
    char key[128];
    snprintf(key, sizeof key, "gate/stuck/%lld/%lld", (long long)int_of(d, "seq"),
             (long long)int_of(d, "token"));
    bson_destroy(d);
    raw_close(&r);
    raw_open(&r, 1, "_meta");
    bson_t gate = BSON_INITIALIZER;
    bson_error_t err;
    BSON_APPEND_UTF8(&gate, "_id", key);
    BSON_APPEND_UTF8(&gate, "kind", "gate");
    BSON_APPEND_INT64(&gate, "at", (int64_t)time(NULL) * 1000000);
    assert_true(mongoc_collection_insert_one(r.coll, &gate, NULL, NULL, &err));
    bson_destroy(&gate);
    asyncz_claim c[2];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0 + 1, "me", 30 * SEC, 2, c, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(asyncz_task_id(c[0].task), "free");
    asyncz_task_free(c[0].task);
    assert_int_equal(ops(st)->remove(st, "stuck"), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "busy"));
    /* Once the gate is old, the next prune takes it away and the record can be claimed. */
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_INT64(&set, "at", (int64_t)(time(NULL) - 3600) * 1000000);
    bson_append_document_end(&update, &set);
    assert_true(mongoc_collection_update_one(r.coll, &filter, &update, NULL, NULL, &err));
    bson_destroy(&filter);
    bson_destroy(&update);
    m->last_prune = 0;
    assert_int_equal(ops(st)->claim(st, T0 + 1, "me", 30 * SEC, 2, c, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(asyncz_task_id(c[0].task), "stuck");
    asyncz_task_free(c[0].task);
    raw_close(&r);
    asyncz_store_free(st);
}

static bool has_index(mongoc_collection_t *coll, const char *name)
{
    mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(coll, NULL);
    const bson_t *doc;
    bool found = false;
    while (!found && mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        found = bson_iter_init_find(&it, doc, "name") && strcmp(bson_iter_utf8(&it, NULL), name) == 0;
    }
    mongoc_cursor_destroy(cur);
    return found;
}

static void mongodb_indexes(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    raw r;
    raw_open(&r, 1, "");
    assert_true(has_index(r.coll, "next_run_time_1_seq_1"));
    assert_true(has_index(r.coll, "lease_until_1"));
    raw_close(&r);
    raw_open(&r, 1, "_quarantine");
    assert_true(has_index(r.coll, "at_1_seq_1"));
    raw_close(&r);
    /* The journals': a task's entries and those of a status newest first, and the oldest ends first. */
    static const char *const journals[] = {"_runs", "_audit"};
    for (size_t j = 0; j < 2; j++) {
        raw_open(&r, 1, journals[j]);
        assert_true(has_index(r.coll, "task_1__id_-1"));
        assert_true(has_index(r.coll, "st_1__id_-1"));
        assert_true(has_index(r.coll, "end_1"));
        raw_close(&r);
    }
    /* Opening again finds them there and changes nothing. */
    asyncz_store_free(st);
    st = open_ns(1);
    asyncz_store_free(st);
}

/* Records are bytes: NUL bytes and every byte value come back as they went in. */
static int take_bytes(const az_found *rec, void *userdata)
{
    unsigned char *out = userdata;
    assert_int_equal(rec->len, 256);
    memcpy(out, rec->data, 256);
    return 0;
}

static void mongodb_binary_records(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    az_backend *b = az_persist_backend(st);
    unsigned char bytes[256], back[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    az_record rec = {.id = "bytes", .next_run_time = T0, .data = bytes, .len = sizeof bytes};
    assert_int_equal(b->ops->insert(b, &rec), 0);
    assert_int_equal(b->ops->insert(b, &rec), ASYNCZ_EEXISTS);
    memset(back, 0xAA, sizeof back);
    assert_int_equal(b->ops->get(b, "bytes", take_bytes, back), 0);
    assert_memory_equal(back, bytes, sizeof bytes);
    /* Quarantine compares the bytes: other bytes are not moved. */
    bytes[0] = 1;
    assert_int_equal(b->ops->quarantine(b, "bytes", bytes, sizeof bytes, "test", T0), ASYNCZ_ESTATE);
    bytes[0] = 0;
    assert_int_equal(b->ops->quarantine(b, "bytes", bytes, sizeof bytes, "test", T0), 0);
    assert_int_equal(b->ops->get(b, "bytes", take_bytes, back), ASYNCZ_ENOTFOUND);
    asyncz_store_free(st);
}

/* ---- journals ----------------------------------------------------------------------------------------- */

static void jentry(az_jentry *e, const char *id, const char *task, int status, const char *data)
{
    *e = (az_jentry){.id = id,
                     .task_id = task,
                     .at = T0,
                     .end_at = T0 + SEC,
                     .status = status,
                     .who = "sched",
                     .data = (const unsigned char *)data,
                     .len = strlen(data)};
}

static void jput(az_backend *b, az_jentry *e, size_t n)
{
    int rc = b->ops->journal_put(b, AZ_JOURNAL_RUNS, e, n);
    if (rc)
        fail_msg("journal_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
}

/* An entry is a document of its journal's collection with its columns in the clear and its bytes as
 * binary. */
static void mongodb_journal_layout(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(2);
    az_backend *b = az_persist_backend(st);
    az_jentry e;
    jentry(&e, "01900000-0000-7000-8000-000000000001", "task-a", 2, "{\"x\": 1}");
    jput(b, &e, 1);
    raw r;
    raw_open(&r, 2, "_runs");
    bson_t *d = raw_doc(&r, e.id);
    assert_int_equal(type_of(d, "task"), BSON_TYPE_UTF8);
    assert_int_equal(type_of(d, "at"), BSON_TYPE_INT64);
    assert_int_equal(int_of(d, "at"), T0);
    assert_int_equal(type_of(d, "end"), BSON_TYPE_INT64);
    assert_int_equal(int_of(d, "end"), T0 + SEC);
    assert_int_equal(type_of(d, "st"), BSON_TYPE_INT32);
    assert_int_equal(int_of(d, "st"), 2);
    assert_int_equal(type_of(d, "who"), BSON_TYPE_UTF8);
    assert_int_equal(type_of(d, "data"), BSON_TYPE_BINARY);
    bson_destroy(d);
    raw_close(&r);
    /* The audit journal is a collection of its own. */
    raw_open(&r, 2, "_audit");
    bson_t filter = BSON_INITIALIZER;
    bson_error_t err;
    assert_int_equal(mongoc_collection_count_documents(r.coll, &filter, NULL, NULL, NULL, &err), 0);
    raw_close(&r);
    asyncz_store_free(st);
}

/* What a listing of the whole journal handed out: "id-number:data" joined by ','. */
static int jcollect(const az_jentry *e, void *userdata)
{
    char *out = userdata;
    size_t used = strlen(out);
    snprintf(out + used, 512 - used, "%s%s:%.*s", used ? "," : "", e->id + 33, (int)e->len,
             (const char *)e->data);
    return 0;
}

static const char *jlist_all(az_backend *b, char *out)
{
    az_jquery q = {.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 100};
    out[0] = '\0';
    int rc = b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, jcollect, out);
    if (rc)
        fail_msg("journal_list: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return out;
}

/* Both ways of writing a batch, on this server: MongoDB's (one bulk of upserts) and gated mode's (insert the
 * batch, then upsert the entries whose id was there), with new and existing ids mixed in one batch. */
static void mongodb_journal_both_modes(void **state)
{
    (void)state;
    for (int gated = 0; gated < 2; gated++) {
        asyncz_store *st = open_ns(3 + (unsigned)gated);
        backend_of(st)->gated = gated;
        az_backend *b = az_persist_backend(st);
        char ids[6][AZ_JOURNAL_ID_LEN + 1];
        for (int i = 0; i < 6; i++)
            snprintf(ids[i], sizeof ids[i], "01900000-0000-7000-8000-000000000%03d", i);
        az_jentry e[5];
        jentry(&e[0], ids[1], "t", 0, "a1");
        jentry(&e[1], ids[3], "t", 0, "a3");
        jput(b, e, 2);
        jentry(&e[0], ids[0], "t", 1, "b0");
        jentry(&e[1], ids[1], "t", 1, "b1");
        jentry(&e[2], ids[2], "t", 1, "b2");
        jentry(&e[3], ids[3], "t", 1, "b3");
        jentry(&e[4], ids[5], "t", 1, "b5");
        jput(b, e, 5);
        char out[512];
        assert_string_equal(jlist_all(b, out), "005:b5,003:b3,002:b2,001:b1,000:b0");
        /* A batch of existing ids only. */
        jentry(&e[0], ids[5], "t", 1, "c5");
        jentry(&e[1], ids[0], "t", 1, "c0");
        jput(b, e, 2);
        assert_string_equal(jlist_all(b, out), "005:c5,003:b3,002:b2,001:b1,000:c0");
        asyncz_store_free(st);
    }
}

/* ---- several connections ---------------------------------------------------------------------------- */

#define RACERS 4
#define RACE_TASKS 120

typedef struct racer {
    unsigned ns;
    char owner[16];
    char claimed[RACE_TASKS];
    int errors;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    char url[1024];
    store_url(url, sizeof url, r->ns);
    asyncz_store *st = NULL;
    if (asyncz_store_open(&st, url) != 0 || asyncz_store_connect(st) != 0) {
        r->errors++;
        asyncz_store_free(st);
        return NULL;
    }
    for (;;) {
        asyncz_claim c[3];
        size_t n = 0;
        if (ops(st)->claim(st, T0, r->owner, 600 * SEC, 3, c, &n) != 0) {
            r->errors++;
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            r->claimed[atoi(asyncz_task_id(c[i].task) + 1)]++;
            asyncz_task_free(c[i].task);
        }
    }
    asyncz_store_free(st);
    return NULL;
}

/* Store objects with their own connections claim at once: every record is claimed exactly once. */
static void mongodb_claims_race(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    for (int i = 0; i < RACE_TASKS; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        az_test_add(st, id, T0 - (i % 7) * SEC);
    }
    racer rs[RACERS];
    pthread_t th[RACERS];
    for (int i = 0; i < RACERS; i++) {
        rs[i] = (racer){.ns = 1};
        snprintf(rs[i].owner, sizeof rs[i].owner, "racer-%d", i);
        assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    for (int t = 0; t < RACE_TASKS; t++) {
        int times = 0;
        for (int i = 0; i < RACERS; i++) {
            assert_int_equal(rs[i].errors, 0);
            times += rs[i].claimed[t];
        }
        if (times != 1)
            fail_msg("task t%d was claimed %d times", t, times);
    }
    asyncz_store_free(st);
}

/* ---- a relay in front of the server ----------------------------------------------------------------- */

#define MAX_PAIRS 16

typedef struct relay {
    struct sockaddr_in upstream;
    int port;
    int listen_fd; /* -1 while down */
    int ctl[2];    /* commands to the relay thread */
    int ack[2];    /* its answers */
    int fds[MAX_PAIRS][2];
    size_t n_pairs;
    pthread_t thread;
} relay;

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void drop_pairs(relay *r)
{
    for (size_t i = 0; i < r->n_pairs; i++) {
        close(r->fds[i][0]);
        close(r->fds[i][1]);
    }
    r->n_pairs = 0;
}

static void drop_pair(relay *r, size_t i)
{
    close(r->fds[i][0]);
    close(r->fds[i][1]);
    r->fds[i][0] = r->fds[r->n_pairs - 1][0];
    r->fds[i][1] = r->fds[r->n_pairs - 1][1];
    r->n_pairs--;
}

static void accept_one(relay *r)
{
    int in = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (in < 0)
        return;
    int out = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->n_pairs == MAX_PAIRS || connect(out, (struct sockaddr *)&r->upstream, sizeof r->upstream) != 0) {
        close(in);
        close(out);
        return;
    }
    r->fds[r->n_pairs][0] = in;
    r->fds[r->n_pairs][1] = out;
    r->n_pairs++;
}

/* Copy what is readable on from to to; false when the connection is over. */
static bool copy_some(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

/* One command: 'k' drop connections, 'd' drop them and stop listening, 'u' listen again, 'q' quit. */
static bool command(relay *r)
{
    char c = 'q';
    if (read(r->ctl[0], &c, 1) != 1)
        c = 'q';
    if (c != 'u')
        drop_pairs(r);
    if ((c == 'd' || c == 'q') && r->listen_fd >= 0) {
        close(r->listen_fd);
        r->listen_fd = -1;
    }
    if (c == 'u' && r->listen_fd < 0)
        r->listen_fd = listen_on(r->port);
    if (write(r->ack[1], &c, 1) != 1)
        return false;
    return c != 'q';
}

static void *relay_main(void *arg)
{
    relay *r = arg;
    for (;;) {
        struct pollfd p[2 + 2 * MAX_PAIRS];
        size_t n = 0, pairs = r->n_pairs;
        p[n++] = (struct pollfd){.fd = r->ctl[0], .events = POLLIN};
        p[n++] = (struct pollfd){.fd = r->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < pairs; i++) {
            p[n++] = (struct pollfd){.fd = r->fds[i][0], .events = POLLIN};
            p[n++] = (struct pollfd){.fd = r->fds[i][1], .events = POLLIN};
        }
        if (poll(p, n, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents && !command(r))
            break;
        if (p[0].revents)
            continue;
        if (p[1].revents)
            accept_one(r);
        for (size_t i = pairs; i-- > 0;) {
            bool ok = true;
            if (p[2 + 2 * i].revents)
                ok = copy_some(r->fds[i][0], r->fds[i][1]);
            if (ok && p[3 + 2 * i].revents)
                ok = copy_some(r->fds[i][1], r->fds[i][0]);
            if (!ok)
                drop_pair(r, i);
        }
    }
    return NULL;
}

static void relay_start(relay *r)
{
    memset(r, 0, sizeof *r);
    az_url u;
    assert_int_equal(az_url_parse(server(), &u), 0);
    r->upstream = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)u.port)};
    assert_int_equal(inet_pton(AF_INET, u.host ? u.host : "127.0.0.1", &r->upstream.sin_addr), 1);
    az_url_free(&u);
    r->listen_fd = listen_on(0);
    assert_true(r->listen_fd >= 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&a, &len), 0);
    r->port = ntohs(a.sin_port);
    assert_int_equal(pipe2(r->ctl, O_CLOEXEC), 0);
    assert_int_equal(pipe2(r->ack, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

static void relay_do(relay *r, char c)
{
    char back = 0;
    assert_int_equal(write(r->ctl[1], &c, 1), 1);
    assert_int_equal(read(r->ack[0], &back, 1), 1);
    assert_int_equal(back, c);
}

static void relay_stop(relay *r)
{
    relay_do(r, 'q');
    pthread_join(r->thread, NULL);
    close(r->ctl[0]);
    close(r->ctl[1]);
    close(r->ack[0]);
    close(r->ack[1]);
}

static void relay_url(const relay *r, char *buf, size_t size, unsigned n)
{
    char base[128];
    snprintf(base, sizeof base, "mongodb://127.0.0.1:%d/", r->port);
    collection_url(buf, size, base, n);
}

/* Connections dropped under the store (as when the server restarts): at most the next call fails, with
 * ESTORE, and the one after works. */
static void mongodb_reconnect_after_drop(void **state)
{
    (void)state;
    relay r;
    relay_start(&r);
    char url[1024];
    relay_url(&r, url, sizeof url, 1);
    asyncz_store *st = open_url(url);
    az_test_add(st, "a", T0);
    relay_do(&r, 'k');
    size_t n = 0;
    int rc = ops(st)->count(st, &n);
    assert_true(rc == 0 || rc == ASYNCZ_ESTORE);
    assert_int_equal(count_of(st), 1);
    az_test_add(st, "b", T0);
    assert_int_equal(count_of(st), 2);
    asyncz_store_free(st);
    relay_stop(&r);
}

/* With the server gone, every call fails with ESTORE and a message naming the store and the operation;
 * the first call after it is back works (no waiting out a cool-down). */
static void mongodb_reconnect_after_outage(void **state)
{
    (void)state;
    relay r;
    relay_start(&r);
    char url[1024], where[64];
    relay_url(&r, url, sizeof url, 1);
    snprintf(where, sizeof where, "mongodb 127.0.0.1:%d/asyncz_test.", r.port);
    asyncz_store *st = open_url(url);
    az_test_add(st, "a", T0);
    relay_do(&r, 'd');
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ops(st)->count(st, &n), ASYNCZ_ESTORE);
        if (!strstr(asyncz_store_errmsg(), where))
            fail_msg("the message does not name the store: %s", asyncz_store_errmsg());
    }
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "job"), 0);
    assert_int_equal(asyncz_task_set_id(t, "b"), 0);
    assert_int_equal(ops(st)->add(st, t), ASYNCZ_ESTORE);
    asyncz_task_free(t);
    relay_do(&r, 'u');
    assert_int_equal(count_of(st), 1);
    az_test_add(st, "b", T0);
    assert_int_equal(count_of(st), 2);
    asyncz_store_free(st);
    relay_stop(&r);
}

/* Opening while the server is down fails; opening again once it is up works. */
static void mongodb_open_while_down(void **state)
{
    (void)state;
    relay r;
    relay_start(&r);
    char url[1024];
    relay_url(&r, url, sizeof url, 1);
    relay_do(&r, 'd');
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "listIndexes"));
    relay_do(&r, 'u');
    assert_int_equal(asyncz_store_connect(st), 0);
    assert_int_equal(count_of(st), 0);
    asyncz_store_free(st);
    relay_stop(&r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        AZ_STORE_SUITES,
        cmocka_unit_test(mongodb_url_forms),
        cmocka_unit_test(mongodb_names_refused),
        cmocka_unit_test(mongodb_bad_options),
        cmocka_unit_test(mongodb_options_stripped),
        cmocka_unit_test(mongodb_defaults),
        cmocka_unit_test(mongodb_document_layout),
        cmocka_unit_test(mongodb_counter_document),
        cmocka_unit_test(mongodb_detects_server),
        cmocka_unit_test(mongodb_plain_mode),
        cmocka_unit_test(mongodb_dead_claimer_gate),
        cmocka_unit_test(mongodb_indexes),
        cmocka_unit_test(mongodb_binary_records),
        cmocka_unit_test(mongodb_journal_layout),
        cmocka_unit_test(mongodb_journal_both_modes),
        cmocka_unit_test(mongodb_claims_race),
        cmocka_unit_test(mongodb_reconnect_after_drop),
        cmocka_unit_test(mongodb_reconnect_after_outage),
        cmocka_unit_test(mongodb_open_while_down),
    };
    az_store_url = store_url;
    az_store_factory = az_persist_factory;
    /* Port 1 on the loopback is closed; the password must never show in a message. */
    az_store_unreachable_url = "mongodb://asyncz:secret-password@127.0.0.1:1/?serverSelectionTimeoutMS=2000";
    az_store_bad_option_url = "mongodb://127.0.0.1:1/?bogus_option=1";
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
