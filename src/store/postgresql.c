/* The PostgreSQL store: a record backend (backend.h) over libpq.
 *
 * Layout (DESIGN §9), with <t> the tablename option:
 *   <t>(id TEXT PRIMARY KEY, next_run_time BIGINT NULL, seq BIGINT NOT NULL, state BYTEA NOT NULL,
 *       owner TEXT NULL, lease_until BIGINT NULL, token BIGINT NOT NULL DEFAULT 0)
 *   index <t>_order (next_run_time, seq): serves the ordered scan, due, claim and the earliest run time
 *   partial index <t>_lease (lease_until) WHERE lease_until IS NOT NULL: the earliest lease expiry
 *   sequence <t>_seq: seq values and fencing tokens
 *   <t>_quarantine(n identity, id, reason, at, state), <t>_instances(id PRIMARY KEY, state)
 * Paused records have next_run_time NULL, which sorts last in ascending order.
 *
 * Every statement is prepared once per connection and sent with binary parameters and binary results
 * (BYTEA travels as raw bytes, BIGINT as 8 big-endian bytes). Each write is one statement, hence one
 * transaction; insert and replace send pg_notify on "<t>_wakeup" in that same statement. */
#include <ctype.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/task_internal.h"
#include "store/backend.h"
#include "store/postgresql_internal.h"

/* PostgreSQL type OIDs (catalog/pg_type.dat): fixed since the first releases, not exported by libpq. */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* Tablenames leave room for the longest suffix asyncz adds ("_quarantine") within PostgreSQL's 63-byte
 * names, so that no derived name is silently truncated onto another. */
#define TABLE_MAX (63 - 11)

/* Rows fetched per round trip by the ordered scan. */
#define SCAN_PAGE 256

enum {
    S_INSERT,
    S_REPLACE,
    S_REMOVE,
    S_REMOVE_ALL,
    S_GET,
    S_DUE,
    S_EARLIEST,
    S_COUNT,
    S_CLAIM,
    S_RELEASE_NEXT,
    S_RELEASE_REMOVE,
    S_QUARANTINE,
    S_QUARANTINED,
    S_PUT_INSTANCE,
    S_INSTANCES,
    S_REMOVE_INSTANCE,
    S_COUNT_OF
};

/* A statement: its prepared name, what messages call it, its text ('@' stands for the quoted table name's
 * inside, see expand_sql) and its parameter types. */
typedef struct stmt_spec {
    const char *name;
    const char *label;
    const char *sql;
    int nparams;
    Oid types[4];
} stmt_spec;

/* The columns of a record read back are always (id, next_run_time, state) first. */
#define RECORD_COLS "id, next_run_time, state"
#define DUE_WHERE "next_run_time <= $1 AND (lease_until IS NULL OR lease_until <= $1)"

static const stmt_spec specs[S_COUNT_OF] = {
    [S_INSERT] = {"az_insert",
                  "INSERT",
                  "WITH i AS (INSERT INTO \"@\" (id, next_run_time, seq, state) "
                  "VALUES ($1, $2, nextval('\"@_seq\"'), $3) ON CONFLICT (id) DO NOTHING RETURNING 1) "
                  "SELECT pg_notify($4, '') FROM i",
                  4,
                  {OID_TEXT, OID_INT8, OID_BYTEA, OID_TEXT}},
    [S_REPLACE] = {"az_replace",
                   "UPDATE",
                   "WITH u AS (UPDATE \"@\" SET next_run_time = $2, seq = nextval('\"@_seq\"'), state = $3, "
                   "owner = NULL, lease_until = NULL WHERE id = $1 RETURNING 1) "
                   "SELECT pg_notify($4, '') FROM u",
                   4,
                   {OID_TEXT, OID_INT8, OID_BYTEA, OID_TEXT}},
    [S_REMOVE] = {"az_remove", "DELETE", "DELETE FROM \"@\" WHERE id = $1", 1, {OID_TEXT}},
    [S_REMOVE_ALL] = {"az_remove_all", "DELETE all", "DELETE FROM \"@\"", 0, {0}},
    [S_GET] = {"az_get", "SELECT", "SELECT " RECORD_COLS " FROM \"@\" WHERE id = $1", 1, {OID_TEXT}},
    [S_DUE] = {"az_due",
               "SELECT due",
               "SELECT " RECORD_COLS " FROM \"@\" WHERE " DUE_WHERE " ORDER BY next_run_time, seq LIMIT $2",
               2,
               {OID_INT8, OID_INT8}},
    [S_EARLIEST] = {"az_earliest",
                    "SELECT earliest",
                    "SELECT LEAST((SELECT min(next_run_time) FROM \"@\" WHERE lease_until IS NULL), "
                    "(SELECT min(lease_until) FROM \"@\" WHERE lease_until IS NOT NULL))",
                    0,
                    {0}},
    [S_COUNT] = {"az_count", "SELECT count", "SELECT count(*) FROM \"@\"", 0, {0}},
    /* The claim: lock the due rows nobody else is locking (SKIP LOCKED: concurrent claimers take disjoint
     * rows instead of waiting for each other), number them in order (output expressions are computed after
     * ORDER BY, so the tokens rise in the order the records are handed out), and mark them, finding each
     * by the ctid it was locked at (a row locked by this statement cannot move before it ends); all in one
     * statement. */
    [S_CLAIM] =
        {"az_claim",
         "claim",
         "WITH picked AS MATERIALIZED (SELECT ctid AS tid, next_run_time, seq FROM \"@\" WHERE " DUE_WHERE
         " ORDER BY next_run_time, seq LIMIT $4 FOR UPDATE SKIP LOCKED), "
         "numbered AS MATERIALIZED (SELECT tid, nextval('\"@_seq\"') AS tok FROM picked "
         "ORDER BY next_run_time, seq) "
         "UPDATE \"@\" AS t SET owner = $2, lease_until = $3, token = numbered.tok FROM numbered "
         "WHERE t.ctid = numbered.tid RETURNING t.id, t.next_run_time, t.state, t.seq, t.token",
         4,
         {OID_INT8, OID_TEXT, OID_INT8, OID_INT8}},
    /* Releases report how many rows they changed and whether the record exists, to tell a stale claim
     * (ESTATE) from a missing record (ENOTFOUND) in the same round trip. */
    [S_RELEASE_NEXT] =
        {"az_release_next",
         "release",
         "WITH u AS (UPDATE \"@\" SET state = $3, next_run_time = $4, seq = nextval('\"@_seq\"'), "
         "owner = NULL, lease_until = NULL WHERE id = $1 AND token = $2 AND lease_until IS NOT NULL "
         "RETURNING 1) SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM \"@\" WHERE id = $1)",
         4,
         {OID_TEXT, OID_INT8, OID_BYTEA, OID_INT8}},
    [S_RELEASE_REMOVE] =
        {"az_release_remove",
         "release",
         "WITH d AS (DELETE FROM \"@\" WHERE id = $1 AND token = $2 AND lease_until IS NOT NULL "
         "RETURNING 1) SELECT (SELECT count(*) FROM d), "
         "EXISTS (SELECT 1 FROM \"@\" WHERE id = $1)",
         2,
         {OID_TEXT, OID_INT8}},
    [S_QUARANTINE] = {"az_quarantine",
                      "quarantine",
                      "WITH d AS (DELETE FROM \"@\" WHERE id = $1 AND state = $2 RETURNING id, state) "
                      "INSERT INTO \"@_quarantine\" (id, reason, at, state) SELECT id, $3, $4, state FROM d",
                      4,
                      {OID_TEXT, OID_BYTEA, OID_TEXT, OID_INT8}},
    [S_QUARANTINED] = {"az_quarantined",
                       "SELECT quarantine",
                       "SELECT id, reason, at, state FROM \"@_quarantine\" ORDER BY n",
                       0,
                       {0}},
    [S_PUT_INSTANCE] = {"az_put_instance",
                        "heartbeat",
                        "INSERT INTO \"@_instances\" (id, state) VALUES ($1, $2) "
                        "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
                        2,
                        {OID_TEXT, OID_BYTEA}},
    [S_INSTANCES] =
        {"az_instances", "SELECT instances", "SELECT id, state FROM \"@_instances\" ORDER BY id", 0, {0}},
    [S_REMOVE_INSTANCE] =
        {"az_remove_instance", "DELETE instance", "DELETE FROM \"@_instances\" WHERE id = $1", 1, {OID_TEXT}},
};

/* Created at open, in one transaction under an advisory lock so that schedulers starting together do not
 * race on CREATE ... IF NOT EXISTS (which is not safe against itself). */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS \"@\" (id TEXT PRIMARY KEY, next_run_time BIGINT NULL, seq BIGINT NOT NULL, "
    "state BYTEA NOT NULL, owner TEXT NULL, lease_until BIGINT NULL, token BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS \"@_order\" ON \"@\" (next_run_time, seq);"
    "CREATE INDEX IF NOT EXISTS \"@_lease\" ON \"@\" (lease_until) WHERE lease_until IS NOT NULL;"
    "CREATE SEQUENCE IF NOT EXISTS \"@_seq\";"
    "CREATE TABLE IF NOT EXISTS \"@_quarantine\" (n BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "id TEXT NOT NULL, reason TEXT NOT NULL, at BIGINT NOT NULL, state BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS \"@_instances\" (id TEXT PRIMARY KEY, state BYTEA NOT NULL)";

/* The ordered scan reads through a cursor in one transaction: one snapshot, pages of SCAN_PAGE rows, and
 * an early stop costs nothing more. */
static const char scan_sql[] = "BEGIN READ ONLY; DECLARE az_scan BINARY NO SCROLL CURSOR FOR "
                               "SELECT " RECORD_COLS " FROM \"@\" ORDER BY next_run_time, seq";

typedef struct pg_backend {
    az_backend base;
    char table[TABLE_MAX + 1];
    char channel[TABLE_MAX + 8]; /* <t>_wakeup */
    char desc[200];              /* host:port/dbname table <t>, for messages (never the password) */
    char *host, *port, *user, *password, *dbname, *connect_timeout, *sslmode, *application_name;
    az_pg_params params;
    bool notify;
    char *sql[S_COUNT_OF];
    char *schema;
    char *scan;
    PGconn *conn;
    bool prepared[S_COUNT_OF];
    bool opened;
    az_pg_listener listener;
} pg_backend;

static pg_backend *PG(az_backend *b)
{
    return (pg_backend *)b;
}

/* ---- parameters and columns ----------------------------------------------------------------------- */

/* Parameters of one statement, all in binary format. */
typedef struct pg_args {
    const char *values[4];
    int lengths[4];
    int formats[4];
    unsigned char i64[4][8];
    int n;
} pg_args;

static void arg_raw(pg_args *a, const void *data, size_t len)
{
    a->values[a->n] = data;
    a->lengths[a->n] = (int)len;
    a->formats[a->n] = 1;
    a->n++;
}

static void arg_text(pg_args *a, const char *s)
{
    arg_raw(a, s, strlen(s));
}

/* A zero-length BYTEA still needs a non-NULL pointer: NULL is SQL NULL. */
static void arg_bytes(pg_args *a, const unsigned char *data, size_t len)
{
    arg_raw(a, len ? (const void *)data : "", len);
}

static void arg_i64(pg_args *a, int64_t v)
{
    uint64_t be = htobe64((uint64_t)v);
    memcpy(a->i64[a->n], &be, sizeof be);
    arg_raw(a, a->i64[a->n], sizeof be);
}

/* ASYNCZ_TIME_NONE is SQL NULL. */
static void arg_time(pg_args *a, asyncz_time_t t)
{
    if (t != ASYNCZ_TIME_NONE)
        return arg_i64(a, t);
    a->values[a->n] = NULL;
    a->lengths[a->n] = 0;
    a->formats[a->n] = 1;
    a->n++;
}

static int64_t col_i64(const PGresult *r, int row, int col)
{
    uint64_t be = 0;
    if (PQgetlength(r, row, col) == (int)sizeof be)
        memcpy(&be, PQgetvalue(r, row, col), sizeof be);
    return (int64_t)be64toh(be);
}

static asyncz_time_t col_time(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? ASYNCZ_TIME_NONE : col_i64(r, row, col);
}

static bool col_bool(const PGresult *r, int row, int col)
{
    return PQgetlength(r, row, col) == 1 && PQgetvalue(r, row, col)[0] != 0;
}

/* A record row: (id, next_run_time, state, ...). Not claimed as far as the caller is told. */
static az_found found_at(const PGresult *r, int row)
{
    return (az_found){.id = PQgetvalue(r, row, 0),
                      .next_run_time = col_time(r, row, 1),
                      .data = (const unsigned char *)PQgetvalue(r, row, 2),
                      .len = (size_t)PQgetlength(r, row, 2),
                      .token = 0,
                      .lease_until = ASYNCZ_TIME_NONE};
}

static int emit_rows(const PGresult *r, az_found_fn each, void *userdata)
{
    int rc = 0;
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        az_found f = found_at(r, i);
        rc = each(&f, userdata);
    }
    return rc;
}

static int64_t limit_of(size_t max)
{
    return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

static asyncz_time_t add_saturating(asyncz_time_t t, int64_t d)
{
    if (d > 0 && t > INT64_MAX - d)
        return INT64_MAX;
    if (d < 0 && t < INT64_MIN + 1 - d)
        return INT64_MIN + 1;
    return t + d;
}

/* ---- errors -------------------------------------------------------------------------------------- */

/* libpq's messages span lines ("...\n\tIs the server running...?"); a store message is one line. */
static void one_line(const char *in, char *out, size_t size)
{
    size_t n = 0;
    bool space = false;
    for (; *in && n + 1 < size; in++) {
        bool ws = isspace((unsigned char)*in);
        if (ws && n > 0)
            space = true;
        if (ws)
            continue;
        if (space && n + 2 < size)
            out[n++] = ' ';
        space = false;
        out[n++] = *in;
    }
    out[n] = '\0';
}

/* Record a server or connection failure of what (a statement's label) and return ASYNCZ_ESTORE. */
static int fail(const pg_backend *b, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!*m)
        m = b->conn ? PQerrorMessage(b->conn) : "not connected";
    char line[400];
    one_line(m, line, sizeof line);
    return az_store_fail(ASYNCZ_ESTORE, "postgresql %s: %s: %s", b->desc, what, line);
}

/* ---- the connection ------------------------------------------------------------------------------- */

static void disconnect(pg_backend *b)
{
    PQfinish(b->conn);
    b->conn = NULL;
}

static int connect_main(pg_backend *b)
{
    disconnect(b);
    b->conn = PQconnectdbParams(b->params.keys, b->params.values, 0);
    if (!b->conn)
        return az_store_fail(ASYNCZ_ENOMEM, "postgresql %s: connect: out of memory", b->desc);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        int rc = fail(b, "connect", NULL);
        disconnect(b);
        return rc;
    }
    az_pg_quiet_notices(b->conn);
    memset(b->prepared, 0, sizeof b->prepared);
    atomic_store(&b->listener.own_pid, PQbackendPID(b->conn));
    return 0;
}

/* A transaction left open by a scan that failed half-way is rolled back before anything else runs. */
static int end_transaction(pg_backend *b)
{
    if (PQtransactionStatus(b->conn) == PQTRANS_IDLE)
        return 0;
    PGresult *r = PQexec(b->conn, "ROLLBACK");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail(b, "ROLLBACK", r);
    PQclear(r);
    return rc;
}

/* The connection for the next statement: a broken one is replaced here, once per call. */
static int ensure_conn(pg_backend *b)
{
    if (!b->opened)
        return az_store_fail(ASYNCZ_ESTATE, "postgresql %s: the store is not open", b->desc);
    if (!b->conn || PQstatus(b->conn) != CONNECTION_OK)
        return connect_main(b);
    return end_transaction(b);
}

static int prepare(pg_backend *b, int s)
{
    if (b->prepared[s])
        return 0;
    PGresult *r = PQprepare(b->conn, specs[s].name, b->sql[s], specs[s].nparams, specs[s].types);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail(b, specs[s].label, r);
    PQclear(r);
    b->prepared[s] = rc == 0;
    return rc;
}

/* Run statement s; on success *out holds its result (the caller clears it). */
static int run(pg_backend *b, int s, const pg_args *a, PGresult **out)
{
    int rc = ensure_conn(b);
    if (!rc)
        rc = prepare(b, s);
    if (rc)
        return rc;
    PGresult *r = PQexecPrepared(b->conn, specs[s].name, a->n, a->values, a->lengths, a->formats, 1);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = fail(b, specs[s].label, r);
        PQclear(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Run a statement that changes rows; *changed: how many. */
static int run_changes(pg_backend *b, int s, const pg_args *a, long *changed)
{
    PGresult *r = NULL;
    int rc = run(b, s, a, &r);
    if (rc)
        return rc;
    *changed = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

/* Run a parameterless command text (several statements allowed). */
static int exec_text(pg_backend *b, const char *what, const char *sql)
{
    PGresult *r = PQexec(b->conn, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail(b, what, r);
    PQclear(r);
    return rc;
}

static int create_schema(pg_backend *b)
{
    int rc = exec_text(b, "BEGIN", "BEGIN");
    if (rc)
        return rc;
    pg_args a = {0};
    arg_text(&a, b->table);
    PGresult *r = PQexecParams(b->conn, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, (Oid[]){OID_TEXT},
                               a.values, a.lengths, a.formats, 1);
    rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : fail(b, "lock for CREATE", r);
    PQclear(r);
    if (!rc)
        rc = exec_text(b, "CREATE", b->schema);
    if (!rc)
        rc = exec_text(b, "COMMIT", "COMMIT");
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------------------- */

static int pg_open(az_backend *base, const asyncz_store_host *host)
{
    pg_backend *b = PG(base);
    b->opened = true;
    int rc = connect_main(b);
    if (!rc)
        rc = create_schema(b);
    if (!rc && b->notify)
        rc = az_pg_listener_start(&b->listener, &b->params, b->desc, b->channel, host);
    if (rc) {
        disconnect(b);
        b->opened = false;
    }
    return rc;
}

static void pg_close(az_backend *base)
{
    pg_backend *b = PG(base);
    az_pg_listener_stop(&b->listener);
    disconnect(b);
    b->opened = false;
}

static void free_secret(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

static void pg_destroy(az_backend *base)
{
    pg_backend *b = PG(base);
    if (!b)
        return;
    for (int s = 0; s < S_COUNT_OF; s++)
        free(b->sql[s]);
    free(b->schema);
    free(b->scan);
    free(b->host);
    free(b->port);
    free(b->user);
    free_secret(b->password);
    free(b->dbname);
    free(b->connect_timeout);
    free(b->sslmode);
    free(b->application_name);
    free(b);
}

/* ---- records ------------------------------------------------------------------------------------- */

static int write_record(pg_backend *b, int s, const az_record *rec, int *written)
{
    pg_args a = {0};
    arg_text(&a, rec->id);
    arg_time(&a, rec->next_run_time);
    arg_bytes(&a, rec->data, rec->len);
    arg_text(&a, b->channel);
    PGresult *r = NULL;
    int rc = run(b, s, &a, &r);
    if (rc)
        return rc;
    *written = PQntuples(r);
    PQclear(r);
    return 0;
}

static int pg_insert(az_backend *base, const az_record *rec)
{
    int written = 0;
    int rc = write_record(PG(base), S_INSERT, rec, &written);
    if (!rc && !written)
        rc = az_store_fail(ASYNCZ_EEXISTS, "postgresql: task \"%s\" already exists", rec->id);
    return rc;
}

static int pg_replace(az_backend *base, const az_record *rec)
{
    int written = 0;
    int rc = write_record(PG(base), S_REPLACE, rec, &written);
    if (!rc && !written)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: no task \"%s\"", rec->id);
    return rc;
}

static int pg_remove(az_backend *base, const char *id)
{
    pg_args a = {0};
    arg_text(&a, id);
    long changed = 0;
    int rc = run_changes(PG(base), S_REMOVE, &a, &changed);
    if (!rc && !changed)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: no task \"%s\"", id);
    return rc;
}

static int pg_remove_all(az_backend *base)
{
    pg_args a = {0};
    long changed = 0;
    return run_changes(PG(base), S_REMOVE_ALL, &a, &changed);
}

static int pg_get(az_backend *base, const char *id, az_found_fn each, void *userdata)
{
    pg_args a = {0};
    arg_text(&a, id);
    PGresult *r = NULL;
    int rc = run(PG(base), S_GET, &a, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? emit_rows(r, each, userdata) : ASYNCZ_ENOTFOUND;
    PQclear(r);
    return rc;
}

/* One page of the scan cursor: *rows is how many it held (0 at the end). */
static int scan_page(pg_backend *b, az_found_fn each, void *userdata, int *rows)
{
    char fetch[48];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM az_scan", SCAN_PAGE);
    PGresult *r = PQexec(b->conn, fetch);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = fail(b, "FETCH", r);
        PQclear(r);
        return rc;
    }
    *rows = PQntuples(r);
    int rc = emit_rows(r, each, userdata);
    PQclear(r);
    return rc;
}

static int pg_scan(az_backend *base, az_found_fn each, void *userdata)
{
    pg_backend *b = PG(base);
    int rc = ensure_conn(b);
    if (!rc)
        rc = exec_text(b, "DECLARE scan", b->scan);
    int rows = SCAN_PAGE;
    while (!rc && rows == SCAN_PAGE)
        rc = scan_page(b, each, userdata, &rows);
    /* Read-only: ending it either way is the same; a failed one must be rolled back. */
    if (b->conn && PQstatus(b->conn) == CONNECTION_OK && PQtransactionStatus(b->conn) != PQTRANS_IDLE) {
        int end = exec_text(b, "ROLLBACK", "ROLLBACK");
        rc = rc ? rc : end;
    }
    return rc;
}

static int pg_due(az_backend *base, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    pg_args a = {0};
    arg_i64(&a, now);
    arg_i64(&a, limit_of(max));
    PGresult *r = NULL;
    int rc = run(PG(base), S_DUE, &a, &r);
    if (rc)
        return rc;
    rc = emit_rows(r, each, userdata);
    PQclear(r);
    return rc;
}

static int pg_earliest(az_backend *base, asyncz_time_t *out)
{
    pg_args a = {0};
    PGresult *r = NULL;
    int rc = run(PG(base), S_EARLIEST, &a, &r);
    if (rc)
        return rc;
    *out = PQntuples(r) == 1 ? col_time(r, 0, 0) : ASYNCZ_TIME_NONE;
    PQclear(r);
    return 0;
}

static int pg_count(az_backend *base, size_t *out)
{
    pg_args a = {0};
    PGresult *r = NULL;
    int rc = run(PG(base), S_COUNT, &a, &r);
    if (rc)
        return rc;
    *out = PQntuples(r) == 1 ? (size_t)col_i64(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* ---- claims -------------------------------------------------------------------------------------- */

/* UPDATE ... RETURNING gives rows in no particular order: they are put in order here. */
typedef struct claimed_row {
    int row;
    asyncz_time_t next_run_time;
    int64_t seq;
} claimed_row;

static int by_order(const void *x, const void *y)
{
    const claimed_row *a = x, *b = y;
    if (a->next_run_time != b->next_run_time)
        return a->next_run_time < b->next_run_time ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Columns of a claimed row: id, next_run_time, state, seq, token. */
static int emit_claimed(const PGresult *r, asyncz_time_t lease_until, az_found_fn each, void *userdata)
{
    int n = PQntuples(r);
    if (n == 0)
        return 0;
    claimed_row *rows = malloc((size_t)n * sizeof *rows);
    if (!rows)
        return az_store_fail(ASYNCZ_ENOMEM, "postgresql: claim: out of memory");
    for (int i = 0; i < n; i++)
        rows[i] = (claimed_row){i, col_time(r, i, 1), col_i64(r, i, 3)};
    qsort(rows, (size_t)n, sizeof *rows, by_order);
    int rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        az_found f = found_at(r, rows[i].row);
        f.token = (uint64_t)col_i64(r, rows[i].row, 4);
        f.lease_until = lease_until;
        rc = each(&f, userdata);
    }
    free(rows);
    return rc;
}

static int pg_claim(az_backend *base, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                    az_found_fn each, void *userdata)
{
    asyncz_time_t until = add_saturating(now, lease_usec);
    pg_args a = {0};
    arg_i64(&a, now);
    arg_text(&a, owner);
    arg_i64(&a, until);
    arg_i64(&a, limit_of(max));
    PGresult *r = NULL;
    int rc = run(PG(base), S_CLAIM, &a, &r);
    if (rc)
        return rc;
    rc = emit_claimed(r, until, each, userdata);
    PQclear(r);
    return rc;
}

static int pg_release(az_backend *base, const char *id, uint64_t token, const az_record *next)
{
    pg_args a = {0};
    arg_text(&a, id);
    arg_i64(&a, (int64_t)token);
    if (next) {
        arg_bytes(&a, next->data, next->len);
        arg_time(&a, next->next_run_time);
    }
    PGresult *r = NULL;
    int rc = run(PG(base), next ? S_RELEASE_NEXT : S_RELEASE_REMOVE, &a, &r);
    if (rc)
        return rc;
    bool changed = PQntuples(r) == 1 && col_i64(r, 0, 0) == 1;
    bool exists = PQntuples(r) == 1 && col_bool(r, 0, 1);
    PQclear(r);
    if (changed)
        return 0;
    if (!exists)
        return az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: release: no task \"%s\"", id);
    return az_store_fail(ASYNCZ_ESTATE, "postgresql: release: task \"%s\" is not claimed with token %llu", id,
                         (unsigned long long)token);
}

/* ---- quarantine ---------------------------------------------------------------------------------- */

/* Reasons may quote the bytes that failed to decode; a TEXT column takes only valid UTF-8, so anything
 * else is replaced by '?' (the record's bytes themselves are kept exactly, in a BYTEA column). */
static char *text_column(const char *s)
{
    char *out = strdup(s);
    if (!out || !*out || az_text_valid(out, SIZE_MAX, true))
        return out;
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return out;
}

static int pg_quarantine(az_backend *base, const char *id, const unsigned char *data, size_t len,
                         const char *reason, asyncz_time_t at)
{
    char *why = text_column(reason);
    if (!why)
        return az_store_fail(ASYNCZ_ENOMEM, "postgresql: quarantine: out of memory");
    pg_args a = {0};
    arg_text(&a, id);
    arg_bytes(&a, data, len);
    arg_text(&a, why);
    arg_i64(&a, at);
    long changed = 0;
    int rc = run_changes(PG(base), S_QUARANTINE, &a, &changed);
    free(why);
    if (!rc && !changed)
        rc = az_store_fail(ASYNCZ_ESTATE, "postgresql: quarantine: task \"%s\" changed or is gone", id);
    return rc;
}

static int pg_quarantined(az_backend *base, az_quarantine_rec_fn each, void *userdata)
{
    pg_args a = {0};
    PGresult *r = NULL;
    int rc = run(PG(base), S_QUARANTINED, &a, &r);
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        az_quarantine_rec q = {.id = PQgetvalue(r, i, 0),
                               .reason = PQgetvalue(r, i, 1),
                               .at = col_i64(r, i, 2),
                               .data = (const unsigned char *)PQgetvalue(r, i, 3),
                               .len = (size_t)PQgetlength(r, i, 3)};
        rc = each(&q, userdata);
    }
    PQclear(r);
    return rc;
}

/* ---- heartbeats ---------------------------------------------------------------------------------- */

static int pg_put_instance(az_backend *base, const char *id, const unsigned char *data, size_t len)
{
    pg_args a = {0};
    arg_text(&a, id);
    arg_bytes(&a, data, len);
    long changed = 0;
    return run_changes(PG(base), S_PUT_INSTANCE, &a, &changed);
}

static int pg_instances(az_backend *base, az_instance_rec_fn each, void *userdata)
{
    pg_args a = {0};
    PGresult *r = NULL;
    int rc = run(PG(base), S_INSTANCES, &a, &r);
    for (int i = 0; !rc && i < PQntuples(r); i++)
        rc = each(PQgetvalue(r, i, 0), (const unsigned char *)PQgetvalue(r, i, 1),
                  (size_t)PQgetlength(r, i, 1), userdata);
    PQclear(r);
    return rc;
}

static int pg_remove_instance(az_backend *base, const char *id)
{
    pg_args a = {0};
    arg_text(&a, id);
    long changed = 0;
    int rc = run_changes(PG(base), S_REMOVE_INSTANCE, &a, &changed);
    if (!rc && !changed)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: no instance \"%s\"", id);
    return rc;
}

#define PG_OPS(caps_)                                                                                        \
    {                                                                                                        \
        .name = "postgresql", .caps = (caps_), .open = pg_open, .close = pg_close, .destroy = pg_destroy,    \
        .insert = pg_insert, .replace = pg_replace, .remove = pg_remove, .remove_all = pg_remove_all,        \
        .get = pg_get, .scan = pg_scan, .due = pg_due, .earliest = pg_earliest, .count = pg_count,           \
        .claim = pg_claim, .release = pg_release, .quarantine = pg_quarantine,                               \
        .quarantined = pg_quarantined, .put_instance = pg_put_instance, .instances = pg_instances,           \
        .remove_instance = pg_remove_instance,                                                               \
    }

static const az_backend_ops pg_ops_notify =
    PG_OPS(ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY);
/* notify=false: no listener, so the scheduler must poll. */
static const az_backend_ops pg_ops_polled = PG_OPS(ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED);

/* ---- construction -------------------------------------------------------------------------------- */

/* The statement text with every '@' replaced by the table name (validated: letters, digits, '_'). */
static char *expand_sql(const char *tmpl, const char *table)
{
    size_t at = 0, tlen = strlen(table);
    for (const char *p = tmpl; *p; p++)
        at += *p == '@';
    char *out = malloc(strlen(tmpl) + at * tlen + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = tmpl; *p; p++) {
        if (*p != '@') {
            *o++ = *p;
            continue;
        }
        memcpy(o, table, tlen);
        o += tlen;
    }
    *o = '\0';
    return out;
}

static int expand_all(pg_backend *b)
{
    bool ok = (b->schema = expand_sql(schema_sql, b->table)) != NULL;
    ok = ok && (b->scan = expand_sql(scan_sql, b->table)) != NULL;
    for (int s = 0; ok && s < S_COUNT_OF; s++)
        ok = (b->sql[s] = expand_sql(specs[s].sql, b->table)) != NULL;
    return ok ? 0 : ASYNCZ_ENOMEM;
}

static int read_table(pg_backend *b, az_url *url)
{
    const char *table = az_url_get(url, "tablename", "asyncz_store");
    int rc = az_url_name("tablename", table, false);
    if (rc)
        return rc;
    if (strlen(table) > TABLE_MAX)
        return az_store_fail(
            ASYNCZ_EINVAL,
            "option tablename: \"%s\" is longer than %d bytes (PostgreSQL names are at most 63 "
            "and asyncz adds \"_quarantine\")",
            table, TABLE_MAX);
    snprintf(b->table, sizeof b->table, "%s", table);
    snprintf(b->channel, sizeof b->channel, "%s_wakeup", table);
    return 0;
}

/* connect_timeout: whole seconds, as libpq takes them. */
static int read_timeout(pg_backend *b, az_url *url)
{
    const char *v = az_url_get(url, "connect_timeout", "10");
    char *end = NULL;
    long secs = strtol(v, &end, 10);
    if (!*v || *end || secs < 1 || secs > 3600)
        return az_store_fail(ASYNCZ_EINVAL,
                             "option connect_timeout: expected whole seconds from 1 to 3600, got \"%s\"", v);
    return (b->connect_timeout = strdup(v)) ? 0 : ASYNCZ_ENOMEM;
}

static int read_options(pg_backend *b, az_url *url)
{
    int rc = read_table(b, url);
    if (!rc)
        rc = read_timeout(b, url);
    const char *notify = az_url_get(url, "notify", "true");
    if (!rc)
        rc = az_url_bool("notify", notify, &b->notify);
    const char *sslmode = az_url_get(url, "sslmode", NULL);
    const char *app = az_url_get(url, "application_name", "asyncz");
    if (!rc && ((sslmode && !(b->sslmode = strdup(sslmode))) || !(b->application_name = strdup(app))))
        rc = ASYNCZ_ENOMEM;
    if (!rc)
        rc = az_url_check_options(url, "tablename, notify, connect_timeout, sslmode, application_name");
    return rc;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static int read_target(pg_backend *b, const az_url *url)
{
    const char *db = url->path[0] == '/' ? url->path + 1 : url->path;
    if (strchr(db, '/'))
        return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": the path is one database name", url->text);
    char port[16] = "";
    if (url->port)
        snprintf(port, sizeof port, "%d", url->port);
    b->host = dup_or_null(url->host);
    b->port = dup_or_null(port);
    b->user = dup_or_null(url->user);
    b->password = dup_or_null(url->password);
    b->dbname = dup_or_null(db);
    if ((url->host && *url->host && !b->host) || (*port && !b->port) ||
        (url->user && *url->user && !b->user) || (url->password && *url->password && !b->password) ||
        (*db && !b->dbname))
        return ASYNCZ_ENOMEM;
    snprintf(b->desc, sizeof b->desc, "%s%s%s/%s table %s", b->host ? b->host : "(local)", *port ? ":" : "",
             port, b->dbname ? b->dbname : "(default)", b->table);
    return 0;
}

static void add_param(az_pg_params *p, int *n, const char *key, const char *value)
{
    if (!value)
        return;
    p->keys[*n] = key;
    p->values[*n] = value;
    (*n)++;
}

static void fill_params(pg_backend *b)
{
    int n = 0;
    az_pg_params *p = &b->params;
    add_param(p, &n, "host", b->host);
    add_param(p, &n, "port", b->port);
    add_param(p, &n, "user", b->user);
    add_param(p, &n, "password", b->password);
    add_param(p, &n, "dbname", b->dbname);
    add_param(p, &n, "connect_timeout", b->connect_timeout);
    add_param(p, &n, "sslmode", b->sslmode);
    add_param(p, &n, "application_name", b->application_name);
    /* Ids, owners and reasons are UTF-8; binary TEXT parameters are taken in the client encoding. */
    add_param(p, &n, "client_encoding", "UTF8");
    p->keys[n] = NULL;
    p->values[n] = NULL;
}

int az_backend_postgresql_new(az_url *url, az_backend **out)
{
    pg_backend *b = calloc(1, sizeof *b);
    if (!b)
        return ASYNCZ_ENOMEM;
    b->listener.stop_fd = -1;
    int rc = read_options(b, url);
    if (!rc)
        rc = read_target(b, url);
    if (!rc)
        rc = expand_all(b);
    if (rc) {
        pg_destroy(&b->base);
        return rc;
    }
    fill_params(b);
    b->base.ops = b->notify ? &pg_ops_notify : &pg_ops_polled;
    *out = &b->base;
    return 0;
}
