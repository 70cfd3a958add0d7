/* The SQLite store (docs/stores.md): sqlite:///relative/path.db or sqlite:////absolute/path.db, option
 * tablename (default asyncz_store). This file opens the database, creates the schema, keeps the prepared
 * statements and turns SQLite's errors into the store's; sqlite_ops.c holds the record operations.
 *
 * Layout, for tablename T:
 *   T             (id TEXT PRIMARY KEY, next_run_time INTEGER NULL, seq INTEGER NOT NULL, state BLOB NOT
 *                 NULL, owner TEXT NULL, lease_until INTEGER NULL, token INTEGER NOT NULL DEFAULT 0)
 *   T_order       index on ((next_run_time IS NULL), next_run_time, seq): serves the full listing in order
 *                 (paused last) and, with (next_run_time IS NULL) = 0, the due, claim and earliest queries
 *   T_lease       partial index on lease_until WHERE owner IS NOT NULL: the earliest lease expiry
 *   T_meta        (name TEXT PRIMARY KEY, value INTEGER): the row 'counter' gives seq values and tokens
 *   T_quarantine  (n INTEGER PRIMARY KEY, id, reason, at, state): records moved aside
 *   T_instances   (id TEXT PRIMARY KEY, data BLOB): scheduler heartbeats
 *   T_runs, T_audit   the journals (run history, audit trail), each (id TEXT PRIMARY KEY, task_id, at,
 *                 end_at, status, who, data BLOB) with the indexes J_task on (task_id, id, at), J_status
 *                 on (status, id, at) and J_end on (end_at), for journal table J; sqlite_journal.c uses them
 *
 * A tool's connection (the "existing" mode) refuses a file without the table T and otherwise creates what is
 * missing like any other connection: a store made before the journals existed gets them at its next open.
 *
 * Several processes (or several store objects in one process) share the file through SQLite's own
 * locking: every write that reads before it writes runs in BEGIN IMMEDIATE, which takes the write lock at
 * the start, so two claimers never pick the same records; a waiting writer retries for up to the busy
 * timeout. There are no notifications: other schedulers see new tasks when they poll. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/sqlite_internal.h"
#include "util/sql.h"

#define DEFAULT_TABLE "asyncz_store"
/* How long a writer waits for another connection's write lock before the call fails. Claims and writes
 * hold the lock for well under a millisecond, so reaching this means a stuck or very busy peer. */
#define BUSY_TIMEOUT_MS 5000
#define LOGGER "asyncz.store.sqlite"

/* Statement texts; every "{T}" (AZ_SQL_TABLE) becomes the (validated) table name. Values are always bound
 * parameters. */
static const char *const sql_text[AZ_SQ_COUNT_] = {
    [AZ_SQ_BEGIN] = "BEGIN IMMEDIATE",
    [AZ_SQ_COMMIT] = "COMMIT",
    [AZ_SQ_ROLLBACK] = "ROLLBACK",
    [AZ_SQ_SAVEPOINT] = "SAVEPOINT az_write",
    [AZ_SQ_RELEASE_SAVEPOINT] = "RELEASE az_write",
    [AZ_SQ_ROLLBACK_SAVEPOINT] = "ROLLBACK TO az_write",
    [AZ_SQ_NEXT] = "UPDATE \"{T}_meta\" SET value = value + ?1 WHERE name = 'counter' RETURNING value",
    [AZ_SQ_COUNTER_SET] = "UPDATE \"{T}_meta\" SET value = ?1 WHERE name = 'counter'",
    [AZ_SQ_INSERT] = "INSERT INTO \"{T}\" (id, next_run_time, seq, state) VALUES (?1, ?2, ?3, ?4)",
    [AZ_SQ_REPLACE] = "UPDATE \"{T}\" SET next_run_time = ?2, seq = ?3, state = ?4, owner = NULL, "
                      "lease_until = NULL, token = 0 WHERE id = ?1",
    [AZ_SQ_REMOVE] = "DELETE FROM \"{T}\" WHERE id = ?1",
    [AZ_SQ_REMOVE_ALL] = "DELETE FROM \"{T}\"",
    [AZ_SQ_GET] = "SELECT id, next_run_time, state FROM \"{T}\" WHERE id = ?1",
    [AZ_SQ_RELEASED] = "SELECT owner IS NULL AND token = ?2 FROM \"{T}\" WHERE id = ?1",
    [AZ_SQ_SCAN] = "SELECT id, next_run_time, state FROM \"{T}\" "
                   "ORDER BY (next_run_time IS NULL), next_run_time, seq",
    [AZ_SQ_DUE] = "SELECT id, next_run_time, state, rowid FROM \"{T}\" WHERE (next_run_time IS NULL) = 0 "
                  "AND next_run_time <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) "
                  "ORDER BY next_run_time, seq LIMIT ?2",
    [AZ_SQ_EARLIEST] =
        "SELECT (SELECT MIN(lease_until) FROM \"{T}\" WHERE owner IS NOT NULL), "
        "(SELECT next_run_time FROM \"{T}\" WHERE (next_run_time IS NULL) = 0 AND owner IS NULL "
        "ORDER BY next_run_time, seq LIMIT 1)",
    [AZ_SQ_COUNT] = "SELECT COUNT(*) FROM \"{T}\"",
    [AZ_SQ_CLAIM_ONE] = "UPDATE \"{T}\" SET owner = ?2, lease_until = ?3, token = ?4 WHERE rowid = ?1",
    [AZ_SQ_RELEASE_REPLACE] = "UPDATE \"{T}\" SET next_run_time = ?3, seq = ?4, state = ?5, owner = NULL, "
                              "lease_until = NULL WHERE id = ?1 AND owner IS NOT NULL AND token = ?2",
    [AZ_SQ_RELEASE_REMOVE] = "DELETE FROM \"{T}\" WHERE id = ?1 AND owner IS NOT NULL AND token = ?2",
    [AZ_SQ_Q_TAKE] = "DELETE FROM \"{T}\" WHERE id = ?1 AND state = ?2",
    [AZ_SQ_Q_ADD] = "INSERT INTO \"{T}_quarantine\" (id, reason, at, state) VALUES (?1, ?2, ?3, ?4)",
    [AZ_SQ_Q_LIST] = "SELECT id, reason, at, state FROM \"{T}_quarantine\" ORDER BY at, n",
    [AZ_SQ_Q_DROP] = "DELETE FROM \"{T}_quarantine\" WHERE id = ?1 AND (?2 IS NULL OR at = ?2)",
    [AZ_SQ_I_PUT] = "INSERT INTO \"{T}_instances\" (id, data) VALUES (?1, ?2) "
                    "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
    [AZ_SQ_I_LIST] = "SELECT id, data FROM \"{T}_instances\" ORDER BY id",
    [AZ_SQ_I_REMOVE] = "DELETE FROM \"{T}_instances\" WHERE id = ?1",
};

/* A journal table, named after az_journal_name(): an ordinary (rowid) table, so that each index holds the
 * short rowid beside its columns and the entries' bytes, which may be large, stay in the table's leaves.
 * J_task serves the pages of one task and trimming it, J_status the listings by status (one index range per
 * status, each already newest first) and J_end pruning by age; the primary key serves get, upsert and the
 * listings without a task or status. J_task and J_status also hold at, so that a listing bounded in time
 * skips the entries outside the bound in the index, without reading their rows: with no failure in the last
 * day, "the failures of the last day" read 100,000 rows of a journal of 1,000,000 and took 0.5-2 s. */
#define JOURNAL_SCHEMA(J)                                                                                    \
    "CREATE TABLE IF NOT EXISTS \"{T}_" J "\" (id TEXT PRIMARY KEY NOT NULL, task_id TEXT NOT NULL, "        \
    "at INTEGER NOT NULL, end_at INTEGER NOT NULL, status INTEGER NOT NULL, who TEXT NOT NULL, "             \
    "data BLOB NOT NULL);"                                                                                   \
    "CREATE INDEX IF NOT EXISTS \"{T}_" J "_task\" ON \"{T}_" J "\" (task_id, id, at);"                      \
    "CREATE INDEX IF NOT EXISTS \"{T}_" J "_status\" ON \"{T}_" J "\" (status, id, at);"                     \
    "CREATE INDEX IF NOT EXISTS \"{T}_" J "_end\" ON \"{T}_" J "\" (end_at);"

/* Run once per connection, in one write transaction so that processes starting together agree. */
// clang-format off
static const char schema_text[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS \"{T}\" (id TEXT PRIMARY KEY NOT NULL, next_run_time INTEGER NULL, "
    "seq INTEGER NOT NULL, state BLOB NOT NULL, owner TEXT NULL, lease_until INTEGER NULL, "
    "token INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS \"{T}_order\" ON \"{T}\" ((next_run_time IS NULL), next_run_time, seq);"
    "CREATE INDEX IF NOT EXISTS \"{T}_lease\" ON \"{T}\" (lease_until) WHERE owner IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS \"{T}_meta\" (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO \"{T}_meta\" (name, value) VALUES ('counter', 0);"
    "CREATE TABLE IF NOT EXISTS \"{T}_quarantine\" (n INTEGER PRIMARY KEY, id TEXT NOT NULL, "
    "reason TEXT NOT NULL, at INTEGER NOT NULL, state BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS \"{T}_instances\" (id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL);"
    JOURNAL_SCHEMA("runs")
    JOURNAL_SCHEMA("audit")
    "COMMIT;";
// clang-format on

static az_sqlite *SQ(az_backend *b)
{
    return (az_sqlite *)b;
}

/* ---- errors ------------------------------------------------------------------------------------ */

/* Failures of the file or the connection itself, after which the connection is dropped and made anew on the
 * next call (the file may have been replaced or repaired meanwhile). */
static bool is_broken(int rc)
{
    int primary = rc & 0xff;
    return primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_NOTADB ||
           primary == SQLITE_CORRUPT;
}

int az_sqlite_fail(az_sqlite *b, const char *what, int rc)
{
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return az_store_fail(ASYNCZ_EEXISTS, "%s: %s: a record with that id exists", b->label, what);
    if (is_broken(rc))
        b->broken = true;
    const char *msg = b->db && sqlite3_errcode(b->db) == rc ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc);
    return az_store_fail(ASYNCZ_ESTORE, "%s: %s: %s (SQLite code %d)", b->label, what, msg, rc);
}

/* ---- statements -------------------------------------------------------------------------------- */

int az_sqlite_stmt(az_sqlite *b, az_sqlite_q q, sqlite3_stmt **out)
{
    if (b->stmts[q]) {
        *out = b->stmts[q];
        return 0;
    }
    char *sql = az_sql_with_table(sql_text[q], b->table);
    if (!sql)
        return ASYNCZ_ENOMEM;
    int rc = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &b->stmts[q], NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return az_sqlite_fail(b, "prepare", rc);
    *out = b->stmts[q];
    return 0;
}

void az_sqlite_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

int az_sqlite_step(az_sqlite *b, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    /* The caller resets s; the message is taken now, while it still describes this failure. */
    return az_sqlite_fail(b, what, sqlite3_extended_errcode(b->db));
}

int az_sqlite_exec(az_sqlite *b, sqlite3_stmt *s, const char *what, int *changes)
{
    int rc = az_sqlite_step(b, s, what);
    if (rc >= 0 && changes)
        *changes = sqlite3_changes(b->db);
    az_sqlite_done(s);
    return rc < 0 ? rc : 0;
}

static int exec_q(az_sqlite *b, az_sqlite_q q, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, q, &s);
    return rc ? rc : az_sqlite_exec(b, s, what, NULL);
}

/* Undo a failed write: the whole transaction, or inside a batch only the write's savepoint. The message of
 * the failure is kept, not replaced by the rollback's. */
static void undo(az_sqlite *b)
{
    if (!b->db || sqlite3_get_autocommit(b->db))
        return;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", asyncz_store_errmsg());
    if (b->batch) {
        exec_q(b, AZ_SQ_ROLLBACK_SAVEPOINT, "rollback");
        exec_q(b, AZ_SQ_RELEASE_SAVEPOINT, "rollback");
    } else {
        exec_q(b, AZ_SQ_ROLLBACK, "rollback");
    }
    az_store_fail(0, "%s", msg);
}

int az_sqlite_write(az_sqlite *b, const char *what, bool one_statement, az_sqlite_body body, void *ctx)
{
    int rc = az_sqlite_ready(b);
    if (rc)
        return rc;
    /* In a batch, a body that changes the file with one statement needs no savepoint: SQLite undoes a failed
     * statement by itself, and the counter is taken from memory (see az_sqlite_counter). */
    if (b->batch && one_statement)
        return body(b, ctx);
    rc = exec_q(b, b->batch ? AZ_SQ_SAVEPOINT : AZ_SQ_BEGIN, what);
    if (rc)
        return rc;
    rc = body(b, ctx);
    if (!rc)
        rc = exec_q(b, b->batch ? AZ_SQ_RELEASE_SAVEPOINT : AZ_SQ_COMMIT, what);
    if (rc)
        undo(b);
    return rc;
}

/* Take n values from the counter row. */
static int counter_take(az_sqlite *b, int64_t n, int64_t *last)
{
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, AZ_SQ_NEXT, &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, n);
    rc = az_sqlite_step(b, s, "counter");
    if (rc == 1)
        *last = sqlite3_column_int64(s, 0);
    az_sqlite_done(s);
    if (rc == 0)
        return az_store_fail(ASYNCZ_ESTORE, "%s: counter: the row 'counter' of %s_meta is missing", b->label,
                             b->table);
    return rc < 0 ? rc : 0;
}

/* A batch holds the write lock from begin to end, so no other connection can move the counter meanwhile:
 * the batch reads it once, counts in memory and writes it back before its commit. Values handed out by
 * writes that failed are skipped, never reused. */
int az_sqlite_counter(az_sqlite *b, int64_t n, int64_t *last)
{
    if (!b->batch)
        return counter_take(b, n, last);
    b->batch_counter += n;
    *last = b->batch_counter;
    return 0;
}

int az_sqlite_batch_begin(az_backend *base)
{
    az_sqlite *b = SQ(base);
    if (b->batch)
        return az_store_fail(ASYNCZ_ESTATE, "%s: batch: a batch is already open", b->label);
    int rc = az_sqlite_ready(b);
    if (!rc)
        rc = exec_q(b, AZ_SQ_BEGIN, "batch");
    if (!rc && (rc = counter_take(b, 0, &b->batch_counter)) != 0)
        undo(b);
    b->batch = rc == 0;
    return rc;
}

static int counter_store(az_sqlite *b)
{
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, AZ_SQ_COUNTER_SET, &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, b->batch_counter);
    return az_sqlite_exec(b, s, "batch", NULL);
}

int az_sqlite_batch_end(az_backend *base, bool commit)
{
    az_sqlite *b = SQ(base);
    if (!b->batch)
        return az_store_fail(ASYNCZ_ESTATE, "%s: batch: no batch is open (or its connection was lost)",
                             b->label);
    b->batch = false;
    if (!b->db)
        return 0;
    int rc = commit ? counter_store(b) : 0;
    if (!rc)
        rc = exec_q(b, commit ? AZ_SQ_COMMIT : AZ_SQ_ROLLBACK, "batch");
    if (rc)
        undo(b);
    return rc;
}

/* ---- binding ----------------------------------------------------------------------------------- */

int az_sqlite_bind_time(sqlite3_stmt *s, int i, asyncz_time_t t)
{
    return t == ASYNCZ_TIME_NONE ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, t);
}

int az_sqlite_bind_text(sqlite3_stmt *s, int i, const char *text)
{
    return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

int az_sqlite_bind_blob(sqlite3_stmt *s, int i, const unsigned char *data, size_t len)
{
    /* A NULL pointer would bind SQL NULL; an empty record is an empty blob. */
    return sqlite3_bind_blob64(s, i, len ? (const void *)data : "", len, SQLITE_STATIC);
}

asyncz_time_t az_sqlite_column_time(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? ASYNCZ_TIME_NONE : sqlite3_column_int64(s, i);
}

const unsigned char *az_sqlite_column_blob(sqlite3_stmt *s, int i, size_t *len)
{
    const unsigned char *p = sqlite3_column_blob(s, i);
    *len = (size_t)sqlite3_column_bytes(s, i);
    return p ? p : (const unsigned char *)"";
}

/* ---- connecting -------------------------------------------------------------------------------- */

/* Create the directories leading to the database file that are missing (mode 0700, as the file store's
 * folders), so that a fresh path works like SQLite's own creation of the file. */
static int make_dirs(az_sqlite *b)
{
    char *dir = strdup(b->path);
    if (!dir)
        return ASYNCZ_ENOMEM;
    int rc = 0;
    for (char *p = strchr(dir + 1, '/'); p && !rc; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            rc = az_store_fail(ASYNCZ_EIO, "%s: open: cannot create the directory %s: %s", b->label, dir,
                               strerror(errno));
        *p = '/';
    }
    free(dir);
    return rc;
}

static void disconnect(az_sqlite *b)
{
    for (size_t i = 0; i < AZ_SQ_COUNT_; i++) {
        sqlite3_finalize(b->stmts[i]);
        b->stmts[i] = NULL;
    }
    for (size_t j = 0; j < AZ_JOURNAL_COUNT; j++)
        for (size_t i = 0; i < AZ_SJ_COUNT_; i++) {
            sqlite3_finalize(b->jstmts[j][i]);
            b->jstmts[j][i] = NULL;
        }
    sqlite3_close_v2(b->db); /* rolls back an unfinished batch */
    b->db = NULL;
    b->broken = false;
    b->batch = false;
}

/* Write-ahead logging lets readers go on while one process writes. synchronous=NORMAL is safe with it: a
 * commit then writes the log without waiting for the disk, and the log is synced at each checkpoint, so a
 * crash of the process loses nothing and a power cut can lose only the last commits, never the database's
 * consistency; waiting for the disk at every commit would cap adds and claims at the disk's sync rate.
 * Reads map the file (up to 256 MiB) instead of copying each page with a read call: a full listing of
 * 100,000 tasks spent a fifth of its time copying pages. */
static int set_journal(az_sqlite *b)
{
    char *err = NULL;
    int rc =
        sqlite3_exec(b->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456",
                     NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        rc = sqlite3_extended_errcode(b->db);
        sqlite3_free(err);
        return az_sqlite_fail(b, "open", rc);
    }
    return 0;
}

static int warn_mode(void *userdata, int ncols, char **values, char **names)
{
    az_sqlite *b = userdata;
    if (ncols == 1 && values[0] && strcasecmp(values[0], "wal") != 0)
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER,
                   "%s: the file system does not allow write-ahead logging (journal mode %s): readers "
                   "and writers of other processes wait for each other",
                   b->label, values[0]);
    (void)names;
    return 0;
}

static int check_journal(az_sqlite *b)
{
    int rc = sqlite3_exec(b->db, "PRAGMA journal_mode", warn_mode, b, NULL);
    return rc == SQLITE_OK ? 0 : az_sqlite_fail(b, "open", sqlite3_extended_errcode(b->db));
}

static int create_schema(az_sqlite *b)
{
    char *sql = az_sql_with_table(schema_text, b->table);
    if (!sql)
        return ASYNCZ_ENOMEM;
    int rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL);
    free(sql);
    if (rc == SQLITE_OK)
        return 0;
    rc = az_sqlite_fail(b, "create tables", sqlite3_extended_errcode(b->db));
    if (!sqlite3_get_autocommit(b->db))
        sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int open_file(az_sqlite *b)
{
    /* The file is there (made 0600 by az_sqlite_create_file, or required to exist): SQLite creates none. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(b->path, &b->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = az_sqlite_fail(b, "open", rc);
        disconnect(b);
        return rc;
    }
    sqlite3_extended_result_codes(b->db, 1);
    sqlite3_busy_timeout(b->db, BUSY_TIMEOUT_MS);
    return 0;
}

/* RETURNING (counter, 3.35) and upserts (heartbeats, 3.24) need a library at least this recent; the one
 * loaded at run time may be older than the headers were. */
static int check_version(az_sqlite *b)
{
    if (sqlite3_libversion_number() >= 3035000)
        return 0;
    return az_store_fail(ASYNCZ_EUNSUPPORTED, "%s: open: SQLite %s is too old (3.35 or later is needed)",
                         b->label, sqlite3_libversion());
}

/* A tool that needs an existing store writes nothing into a database that is not one: another
 * application's file keeps its bytes (no tables, no journal mode change). */
static int check_tables(az_sqlite *b)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(b->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
                                &s, NULL);
    if (rc != SQLITE_OK)
        return az_sqlite_fail(b, "open", sqlite3_extended_errcode(b->db));
    az_sqlite_bind_text(s, 1, b->table);
    rc = az_sqlite_step(b, s, "open");
    sqlite3_finalize(s);
    if (rc == 0)
        return az_store_fail(ASYNCZ_ENOTFOUND,
                             "%s has no asyncz tables (no table %s): add a task first, or check the URL",
                             b->label, b->table);
    return rc < 0 ? rc : 0;
}

/* The file: its directory made when missing (unless it must exist), its owner and mode checked, made 0600
 * when missing; checked again after, in case another process made it meanwhile. */
static int prepare_file(az_sqlite *b)
{
    int rc = b->existing ? 0 : make_dirs(b);
    if (!rc)
        rc = az_sqlite_check_files(b);
    if (!rc && !b->existing && (rc = az_sqlite_create_file(b)) == 0)
        rc = az_sqlite_check_files(b);
    return rc;
}

static int connect_db(az_sqlite *b)
{
    int rc = check_version(b);
    if (!rc)
        rc = prepare_file(b);
    if (!rc)
        rc = open_file(b);
    if (!rc && b->existing)
        rc = check_tables(b);
    if (!rc)
        rc = set_journal(b);
    if (!rc)
        rc = check_journal(b);
    if (!rc)
        rc = create_schema(b);
    if (rc && b->db)
        disconnect(b);
    return rc;
}

int az_sqlite_ready(az_sqlite *b)
{
    if (b->broken)
        disconnect(b);
    return b->db ? 0 : connect_db(b);
}

/* ---- the backend ------------------------------------------------------------------------------- */

static int sq_open(az_backend *base, const asyncz_store_host *host)
{
    az_sqlite *b = SQ(base);
    disconnect(b); /* no notifications: the host has nothing to wake */
    b->existing = host && host->existing;
    if (b->existing && access(b->path, F_OK) != 0 && errno == ENOENT)
        return az_store_fail(ASYNCZ_ENOTFOUND, "%s: open: the database file does not exist", b->label);
    return connect_db(b);
}

static void sq_close(az_backend *base)
{
    disconnect(SQ(base));
}

static void sq_destroy(az_backend *base)
{
    az_sqlite *b = SQ(base);
    disconnect(b);
    free(b->path);
    free(b->table);
    free(b->label);
    free(b);
}

static const char *sq_local_path(az_backend *base)
{
    return SQ(base)->path;
}

static const az_backend_ops sqlite_ops = {
    .name = "sqlite",
    .caps = ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED,
    .local_path = sq_local_path,
    .open = sq_open,
    .close = sq_close,
    .destroy = sq_destroy,
    .insert = az_sqlite_insert,
    .insert_many = az_sqlite_insert_many,
    .replace = az_sqlite_replace,
    .remove = az_sqlite_remove,
    .remove_all = az_sqlite_remove_all,
    .get = az_sqlite_get,
    .scan = az_sqlite_scan,
    .due = az_sqlite_due,
    .earliest = az_sqlite_earliest,
    .count = az_sqlite_count,
    .claim = az_sqlite_claim,
    .release = az_sqlite_release,
    .quarantine = az_sqlite_quarantine,
    .quarantined = az_sqlite_quarantined,
    .quarantine_drop = az_sqlite_quarantine_drop,
    .put_instance = az_sqlite_put_instance,
    .instances = az_sqlite_instances,
    .remove_instance = az_sqlite_remove_instance,
    .journal_put = az_sqlite_journal_put,
    .journal_list = az_sqlite_journal_list,
    .journal_get = az_sqlite_journal_get,
    .journal_prune_age = az_sqlite_journal_prune_age,
    .journal_trim_task = az_sqlite_journal_trim_task,
};

/* ---- construction from a URL ------------------------------------------------------------------- */

static int url_fail(const az_url *url, const char *what)
{
    return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": %s", url->text, what);
}

/* The file: what follows "sqlite:///" (SQLAlchemy's convention), so sqlite:///a.db is a.db relative to the
 * working directory and sqlite:////var/a.db is /var/a.db. */
static int url_path(const az_url *url, const char **out)
{
    if (url->host || url->user || url->password || url->port)
        return url_fail(url, "an SQLite URL names a file, not a server: sqlite:///relative/path.db or "
                             "sqlite:////absolute/path.db");
    const char *path = url->path[0] == '/' ? url->path + 1 : url->path;
    if (!*path || path[strlen(path) - 1] == '/')
        return url_fail(url, "no database file: sqlite:///relative/path.db or sqlite:////absolute/path.db");
    if (strcmp(path, ":memory:") == 0)
        return url_fail(url, "an in-memory SQLite database is neither persistent nor shared: use memory://");
    *out = path;
    return 0;
}

static int url_table(az_url *url, const char **out)
{
    const char *table = az_url_get(url, "tablename", DEFAULT_TABLE);
    int rc = az_url_name("tablename", table, false);
    if (rc)
        return rc;
    if (strncasecmp(table, "sqlite_", 7) == 0)
        return az_store_fail(ASYNCZ_EINVAL,
                             "store URL \"%s\": tablename \"%s\": names beginning with sqlite_ "
                             "are reserved by SQLite",
                             url->text, table);
    *out = table;
    return 0;
}

static int make_label(az_sqlite *b)
{
    size_t n = strlen(b->path) + strlen(b->table) + 16;
    b->label = malloc(n);
    if (!b->label)
        return ASYNCZ_ENOMEM;
    snprintf(b->label, n, "sqlite %s (%s)", b->path, b->table);
    return 0;
}

int az_backend_sqlite_new(az_url *url, az_backend **out)
{
    const char *path = NULL, *table = NULL;
    int rc = url_path(url, &path);
    if (!rc)
        rc = url_table(url, &table);
    if (!rc)
        rc = az_url_check_options(url, "tablename");
    if (rc)
        return rc;
    az_sqlite *b = calloc(1, sizeof *b);
    if (!b)
        return ASYNCZ_ENOMEM;
    b->base.ops = &sqlite_ops;
    b->path = strdup(path);
    b->table = strdup(table);
    if (!b->path || !b->table || make_label(b) != 0) {
        sq_destroy(&b->base);
        return ASYNCZ_ENOMEM;
    }
    *out = &b->base;
    return 0;
}
