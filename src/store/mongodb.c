/* The MongoDB store (docs/stores.md): a record backend over libmongoc, one mongoc_client_t per store object.
 *
 * URL: mongodb://[user:password@]host[:port][/authdb][?database=asyncz&collection=tasks&<libmongoc options>].
 * database and collection are ours and are taken out before the rest goes to libmongoc, which judges its
 * own options' values; an option that is neither ours nor one libmongoc knows is refused here, so that a
 * typo is an error rather than a warning on stderr.
 *
 * Layout: <collection> holds one document per task {_id, next_run_time (int64 µs or null), seq, state
 * (binary), owner, lease_until, token}, indexed by {next_run_time, seq} and {lease_until};
 * <collection>_meta holds the counter document; <collection>_quarantine and <collection>_instances hold
 * what their names say; <collection>_runs and <collection>_audit are the journals (mongodb_journal.c). This
 * file: the URL, the connection and the counter. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "store/mongodb_internal.h"

#define DEFAULT_DATABASE "asyncz"
#define DEFAULT_COLLECTION "tasks"
/* An unreachable server should be a prompt, clear error: libmongoc's own defaults wait 30 s and 10 s. */
#define DEFAULT_TIMEOUT_MS 5000

static mongo_backend *M(az_backend *b)
{
    return (mongo_backend *)b;
}

/* ---- errors and the connection -------------------------------------------------------------------- */

int az_mongo_fail(mongo_backend *m, const char *what, const bson_error_t *err)
{
    m->stale = true;
    return az_store_fail(ASYNCZ_ESTORE, "%s: %s: %s", m->where, what, err->message);
}

static void disconnect(mongo_backend *m)
{
    mongoc_collection_destroy(m->tasks);
    mongoc_collection_destroy(m->counter);
    mongoc_collection_destroy(m->aside);
    mongoc_collection_destroy(m->beats);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        mongoc_collection_destroy(m->journals[j]);
        m->journals[j] = NULL;
    }
    mongoc_client_destroy(m->client);
    m->tasks = m->counter = m->aside = m->beats = NULL;
    m->client = NULL;
}

/* A client and the collections. libmongoc connects lazily, on the first command. */
static int connect_client(mongo_backend *m)
{
    bson_error_t err;
    m->client = mongoc_client_new_from_uri_with_error(m->uri, &err);
    if (!m->client)
        return az_mongo_fail(m, "connect", &err);
    /* Version 2 reports a server's refusal with the server's own code (11000 for a duplicate key). */
    mongoc_client_set_error_api(m->client, MONGOC_ERROR_API_VERSION_2);
    m->tasks = mongoc_client_get_collection(m->client, m->db, m->coll);
    m->counter = mongoc_client_get_collection(m->client, m->db, m->meta);
    m->aside = mongoc_client_get_collection(m->client, m->db, m->quarantine);
    m->beats = mongoc_client_get_collection(m->client, m->db, m->instances);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        m->journals[j] = mongoc_client_get_collection(m->client, m->db, m->journal_names[j]);
    m->stale = false;
    return 0;
}

int az_mongo_ready(mongo_backend *m)
{
    if (m->client && !m->stale)
        return 0;
    if (!m->client && !m->stale)
        return az_store_fail(ASYNCZ_ESTORE, "%s: the store is not open", m->where);
    /* A client whose server went away may sit out a cool-down before trying again; a new one tries at
     * once, which is the one attempt this call makes. */
    disconnect(m);
    return connect_client(m);
}

/* ---- counter ---------------------------------------------------------------------------------------- */

int az_mongo_next(mongo_backend *m, int64_t n, int64_t *last)
{
    if (m->gated)
        return az_mongo_next_gated(m, n, last);
    bson_t query = BSON_INITIALIZER, update = BSON_INITIALIZER, inc, reply;
    bson_error_t err;
    BSON_APPEND_UTF8(&query, "_id", "counter");
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$inc", &inc);
    BSON_APPEND_INT64(&inc, "value", n);
    bson_append_document_end(&update, &inc);
    mongoc_find_and_modify_opts_t *opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_update(opts, &update);
    mongoc_find_and_modify_opts_set_flags(opts,
                                          MONGOC_FIND_AND_MODIFY_UPSERT | MONGOC_FIND_AND_MODIFY_RETURN_NEW);
    bool ok = mongoc_collection_find_and_modify_with_opts(m->counter, &query, opts, &reply, &err);
    bson_iter_t it;
    int rc = 0;
    if (!ok)
        rc = az_mongo_fail(m, "findAndModify counter", &err);
    else if (!bson_iter_init_find(&it, &reply, "value") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
             !bson_iter_recurse(&it, &it) || !bson_iter_find(&it, "value") || !BSON_ITER_HOLDS_NUMBER(&it))
        rc = az_store_fail(ASYNCZ_ESTORE, "%s: findAndModify counter: no counter value in the reply",
                           m->where);
    else
        *last = bson_iter_as_int64(&it);
    mongoc_find_and_modify_opts_destroy(opts);
    bson_destroy(&reply);
    bson_destroy(&query);
    bson_destroy(&update);
    return rc;
}

/* ---- open and close ------------------------------------------------------------------------------- */

/* One index spec {key: {field: 1 or -1, ...}, name}. */
static void index_spec(bson_t *spec, const az_mongo_index *index)
{
    bson_t key;
    BSON_APPEND_DOCUMENT_BEGIN(spec, "key", &key);
    for (size_t i = 0; index->fields[i]; i++) {
        const char *field = index->fields[i];
        BSON_APPEND_INT32(&key, field[0] == '-' ? field + 1 : field, field[0] == '-' ? -1 : 1);
    }
    bson_append_document_end(spec, &key);
    BSON_APPEND_UTF8(spec, "name", index->name);
}

/* Which of the n indexes coll has, by name (a collection that does not exist has none). */
static int have_indexes(mongo_backend *m, mongoc_collection_t *coll, const az_mongo_index *indexes, size_t n,
                        bool *found)
{
    mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(coll, NULL);
    const bson_t *doc;
    bson_error_t err;
    bson_iter_t it;
    while (mongoc_cursor_next(cur, &doc)) {
        if (!bson_iter_init_find(&it, doc, "name") || !BSON_ITER_HOLDS_UTF8(&it))
            continue;
        for (size_t i = 0; i < n; i++)
            found[i] = found[i] || strcmp(bson_iter_utf8(&it, NULL), indexes[i].name) == 0;
    }
    int rc = mongoc_cursor_error(cur, &err) ? az_mongo_fail(m, "listIndexes", &err) : 0;
    mongoc_cursor_destroy(cur);
    return rc;
}

/* Create one index. One index per createIndexes: FerretDB 1.x drops the connection when a createIndexes
 * that names several indexes finds them all existing already. */
static int create_index(mongo_backend *m, mongoc_collection_t *coll, const az_mongo_index *index)
{
    bson_t cmd = BSON_INITIALIZER, indexes, spec;
    bson_error_t err;
    BSON_APPEND_UTF8(&cmd, "createIndexes", mongoc_collection_get_name(coll));
    BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &indexes);
    BSON_APPEND_DOCUMENT_BEGIN(&indexes, "0", &spec);
    index_spec(&spec, index);
    bson_append_document_end(&indexes, &spec);
    bson_append_array_end(&cmd, &indexes);
    bool ok = mongoc_collection_write_command_with_opts(coll, &cmd, NULL, NULL, &err);
    bson_destroy(&cmd);
    return ok ? 0 : az_mongo_fail(m, "createIndexes", &err);
}

#define MAX_INDEXES 8 /* per collection */

int az_mongo_ensure_indexes(mongo_backend *m, mongoc_collection_t *coll, const az_mongo_index *indexes,
                            size_t n)
{
    bool found[MAX_INDEXES] = {false};
    if (n > MAX_INDEXES)
        return az_store_fail(ASYNCZ_ESTORE, "%s: too many indexes for one collection", m->where);
    int rc = have_indexes(m, coll, indexes, n, found);
    for (size_t i = 0; !rc && i < n; i++)
        if (!found[i])
            rc = create_index(m, coll, &indexes[i]);
    return rc;
}

/* The indexes that serve the due, claim and earliest queries, the quarantine's order and the journals. */
static int ensure_indexes(mongo_backend *m)
{
    static const char *const by_time[] = {"next_run_time", "seq", NULL};
    static const char *const by_lease[] = {"lease_until", NULL};
    static const char *const by_at[] = {"at", "seq", NULL};
    static const az_mongo_index tasks[] = {{"next_run_time_1_seq_1", by_time}, {"lease_until_1", by_lease}};
    static const az_mongo_index aside[] = {{"at_1_seq_1", by_at}};
    int rc = az_mongo_ensure_indexes(m, m->tasks, tasks, sizeof tasks / sizeof tasks[0]);
    if (!rc)
        rc = az_mongo_ensure_indexes(m, m->aside, aside, 1);
    if (!rc)
        rc = az_mongo_journal_indexes(m);
    return rc;
}

/* A tool that needs an existing store (asyncz_store_connect_existing) creates nothing: the tasks'
 * collection must be there (MongoDB makes a collection, and a database, at the first index or write). */
static int check_collection(mongo_backend *m)
{
    bson_error_t err;
    mongoc_database_t *db = mongoc_client_get_database(m->client, m->db);
    char **names = mongoc_database_get_collection_names_with_opts(db, NULL, &err);
    mongoc_database_destroy(db);
    if (!names)
        return az_mongo_fail(m, "listCollections", &err);
    bool found = false;
    for (char **n = names; *n; n++)
        found = found || strcmp(*n, m->coll) == 0;
    bson_strfreev(names);
    if (!found)
        return az_store_fail(ASYNCZ_ENOTFOUND,
                             "%s has no asyncz collections (no collection %s in database %s): add a task "
                             "first, or check the URL",
                             m->where, m->coll, m->db);
    return 0;
}

/* A random id for this store object, which it signs its gates with (mongodb_gated.c). */
static void make_writer_id(mongo_backend *m)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
        v = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)m;
    snprintf(m->writer, sizeof m->writer, "%016llx", (unsigned long long)v);
}

static int m_open(az_backend *b, const asyncz_store_host *host)
{
    /* No notifications (other processes' writes are found by polling): host says only whether the store
     * must exist. */
    mongo_backend *m = M(b);
    disconnect(m);
    int rc = connect_client(m);
    if (!rc && host && host->existing)
        rc = check_collection(m);
    if (!rc)
        rc = ensure_indexes(m);
    if (!rc)
        rc = az_mongo_detect(m);
    if (rc)
        disconnect(m);
    m->stale = false;
    return rc;
}

static void m_close(az_backend *b)
{
    disconnect(M(b));
    M(b)->stale = false;
}

static void m_destroy(az_backend *b)
{
    mongo_backend *m = M(b);
    disconnect(m);
    mongoc_uri_destroy(m->uri);
    free(m->where);
    free(m->db);
    free(m->coll);
    free(m->meta);
    free(m->quarantine);
    free(m->instances);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        free(m->journal_names[j]);
    free(m->last_gate);
    free(m);
}

static const az_backend_ops mongodb_ops = {
    .name = "mongodb",
    .caps = ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED,
    .open = m_open,
    .close = m_close,
    .destroy = m_destroy,
    .insert = az_mongo_insert,
    .replace = az_mongo_replace,
    .remove = az_mongo_remove,
    .remove_all = az_mongo_remove_all,
    .get = az_mongo_get,
    .scan = az_mongo_scan,
    .due = az_mongo_due,
    .earliest = az_mongo_earliest,
    .count = az_mongo_count,
    .claim = az_mongo_claim,
    .release = az_mongo_release,
    .quarantine = az_mongo_quarantine,
    .quarantined = az_mongo_quarantined,
    .quarantine_drop = az_mongo_quarantine_drop,
    .put_instance = az_mongo_put_instance,
    .instances = az_mongo_instances,
    .remove_instance = az_mongo_remove_instance,
    .journal_put = az_mongo_journal_put,
    .journal_list = az_mongo_journal_list,
    .journal_get = az_mongo_journal_get,
    .journal_prune_age = az_mongo_journal_prune_age,
    .journal_trim_task = az_mongo_journal_trim_task,
};

/* ---- the URL ---------------------------------------------------------------------------------------- */

/* Options libmongoc takes whose type its option_is_* functions do not report. */
static bool libmongoc_option(const char *key)
{
    static const char *const structured[] = {"readpreferencetags", "authmechanismproperties", "w",
                                             "compressors"};
    if (mongoc_uri_option_is_int32(key) || mongoc_uri_option_is_int64(key) ||
        mongoc_uri_option_is_bool(key) || mongoc_uri_option_is_utf8(key))
        return true;
    for (size_t i = 0; i < sizeof structured / sizeof structured[0]; i++)
        if (strcasecmp(key, structured[i]) == 0)
            return true;
    return false;
}

/* Percent-encode s into f, keeping only RFC 3986's unreserved characters as they are. */
static void put_encoded(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

static void put_authority(FILE *f, const az_url *url)
{
    if (url->user) {
        put_encoded(f, url->user);
        if (url->password) {
            fputc(':', f);
            put_encoded(f, url->password);
        }
        fputc('@', f);
    }
    const char *host = url->host ? url->host : "localhost";
    if (strchr(host, ':'))
        fprintf(f, "[%s]", host); /* an IPv6 literal */
    else
        put_encoded(f, host); /* a Unix socket path travels with its '/' encoded */
    if (url->port)
        fprintf(f, ":%d", url->port);
}

/* The URI for libmongoc: the URL as given without our options (it holds the password: wiped after use). */
static char *libmongoc_text(az_url *url)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    fputs("mongodb://", f);
    put_authority(f, url);
    fputc('/', f);
    const char *authdb = url->path && url->path[0] == '/' ? url->path + 1 : "";
    put_encoded(f, authdb);
    char sep = '?';
    for (size_t i = 0; i < url->n_options; i++) {
        const az_url_option *o = &url->options[i];
        if (strcmp(o->key, "database") == 0 || strcmp(o->key, "collection") == 0)
            continue;
        fputc(sep, f);
        put_encoded(f, o->key);
        fputc('=', f);
        put_encoded(f, o->value);
        sep = '&';
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Mark libmongoc's options used; what is left over is unknown to both. */
static int check_options(az_url *url)
{
    for (size_t i = 0; i < url->n_options; i++)
        if (libmongoc_option(url->options[i].key))
            url->options[i].used = true;
    return az_url_check_options(url, "database, collection, and the MongoDB URI options libmongoc knows");
}

/* Our defaults where the URL does not say. */
static void apply_defaults(mongoc_uri_t *uri)
{
    if (mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 0) == 0)
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, DEFAULT_TIMEOUT_MS);
    if (mongoc_uri_get_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, 0) == 0)
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, DEFAULT_TIMEOUT_MS);
    if (!mongoc_uri_get_option_as_utf8(uri, MONGOC_URI_APPNAME, NULL))
        mongoc_uri_set_appname(uri, "asyncz");
}

static int parse_uri(az_url *url, mongoc_uri_t **out)
{
    char *text = libmongoc_text(url);
    if (!text)
        return ASYNCZ_ENOMEM;
    bson_error_t err;
    *out = mongoc_uri_new_with_error(text, &err);
    explicit_bzero(text, strlen(text));
    free(text);
    if (!*out) {
        az_url_scrub(url, err.message); /* libmongoc may quote what it was given */
        return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": %s", url->text, err.message);
    }
    apply_defaults(*out);
    return 0;
}

static char *suffixed(const char *name, const char *suffix)
{
    char *s = NULL;
    return asprintf(&s, "%s%s", name, suffix) < 0 ? NULL : s;
}

static int fill_names(mongo_backend *m, const az_url *url, const char *db, const char *coll)
{
    m->db = strdup(db);
    m->coll = strdup(coll);
    m->meta = suffixed(coll, "_meta");
    m->quarantine = suffixed(coll, "_quarantine");
    m->instances = suffixed(coll, "_instances");
    bool journals = true;
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        char suffix[16];
        snprintf(suffix, sizeof suffix, "_%s", az_journal_name((az_journal)j));
        m->journal_names[j] = suffixed(coll, suffix);
        journals = journals && m->journal_names[j];
    }
    if (asprintf(&m->where, "mongodb %s:%d/%s.%s", url->host ? url->host : "localhost",
                 url->port ? url->port : MONGOC_DEFAULT_PORT, db, coll) < 0)
        m->where = NULL;
    return m->db && m->coll && m->meta && m->quarantine && m->instances && journals && m->where
               ? 0
               : ASYNCZ_ENOMEM;
}

int az_backend_mongodb_new(az_url *url, az_backend **out)
{
    mongoc_init(); /* once per process; later calls do nothing */
    const char *db = az_url_get(url, "database", DEFAULT_DATABASE);
    const char *coll = az_url_get(url, "collection", DEFAULT_COLLECTION);
    int rc = az_url_name("database", db, false);
    if (!rc)
        rc = az_url_name("collection", coll, false);
    if (!rc)
        rc = check_options(url);
    mongoc_uri_t *uri = NULL;
    if (!rc)
        rc = parse_uri(url, &uri);
    if (rc)
        return rc;
    mongo_backend *m = calloc(1, sizeof *m);
    if (!m) {
        mongoc_uri_destroy(uri);
        return ASYNCZ_ENOMEM;
    }
    m->base.ops = &mongodb_ops;
    m->uri = uri;
    make_writer_id(m);
    rc = fill_names(m, url, db, coll);
    if (rc) {
        m_destroy(&m->base);
        return rc;
    }
    *out = &m->base;
    return 0;
}
