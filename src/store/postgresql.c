/* The PostgreSQL store: a record backend (backend.h) over libpq.
 *
 * Layout (docs/stores.md, PostgreSQL store), with <t> the tablename option:
 *   <t>(id TEXT PRIMARY KEY, next_run_time BIGINT NULL, seq BIGINT NOT NULL, state BYTEA NOT NULL,
 *       owner TEXT NULL, lease_until BIGINT NULL, token BIGINT NOT NULL DEFAULT 0)
 *   index <t>_order (next_run_time, seq): serves the ordered scan, due, claim and the earliest run time
 *   partial index <t>_lease (lease_until) WHERE lease_until IS NOT NULL: the earliest lease expiry
 *   sequence <t>_seq: seq values and fencing tokens
 *   <t>_quarantine(n identity, id, reason, at, state), <t>_instances(id PRIMARY KEY, state)
 *   <t>_runs and <t>_audit, the journals (postgresql_journal.c): one table each, indexed
 * Paused records have next_run_time NULL, which sorts last in ascending order.
 *
 * Every statement is prepared once per connection and sent with binary parameters and binary results
 * (BYTEA travels as raw bytes, BIGINT as 8 big-endian bytes). Each write is one statement, hence one
 * transaction; insert and replace send pg_notify on "<t>_wakeup" in that same statement.
 *
 * This file connects, creates the schema and builds the backend from its URL; the statements are in
 * postgresql_sql.c, the record operations in postgresql_records.c, the LISTEN thread in
 * postgresql_notify.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/backend.h"
#include "store/postgresql_internal.h"
#include "util/sql.h"

static az_pg_backend *PG(az_backend *b)
{
    return (az_pg_backend *)b;
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
int az_pg_fail(const az_pg_backend *b, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!*m)
        m = b->conn ? PQerrorMessage(b->conn) : "not connected";
    char line[400];
    one_line(m, line, sizeof line);
    return az_store_fail(ASYNCZ_ESTORE, "postgresql %s: %s: %s", b->desc, what, line);
}

/* ---- the connection ------------------------------------------------------------------------------- */

static void disconnect(az_pg_backend *b)
{
    PQfinish(b->conn);
    b->conn = NULL;
}

static int connect_main(az_pg_backend *b)
{
    disconnect(b);
    b->conn = PQconnectdbParams(b->params.keys, b->params.values, 0);
    if (!b->conn)
        return az_store_fail(ASYNCZ_ENOMEM, "postgresql %s: connect: out of memory", b->desc);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        int rc = az_pg_fail(b, "connect", NULL);
        disconnect(b);
        return rc;
    }
    az_pg_quiet_notices(b->conn);
    memset(b->prepared, 0, sizeof b->prepared);
    az_pg_journals_forget(b);
    atomic_store(&b->listener.own_pid, PQbackendPID(b->conn));
    return 0;
}

/* A transaction left open by a scan that failed half-way is rolled back before anything else runs. */
static int end_transaction(az_pg_backend *b)
{
    if (PQtransactionStatus(b->conn) == PQTRANS_IDLE)
        return 0;
    PGresult *r = PQexec(b->conn, "ROLLBACK");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : az_pg_fail(b, "ROLLBACK", r);
    PQclear(r);
    return rc;
}

/* The connection for the next statement: a broken one is replaced here, once per call. */
int az_pg_ensure_conn(az_pg_backend *b)
{
    if (!b->opened)
        return az_store_fail(ASYNCZ_ESTATE, "postgresql %s: the store is not open", b->desc);
    if (!b->conn || PQstatus(b->conn) != CONNECTION_OK)
        return connect_main(b);
    return end_transaction(b);
}

static int prepare(az_pg_backend *b, int s)
{
    if (b->prepared[s])
        return 0;
    PGresult *r =
        PQprepare(b->conn, az_pg_stmts[s].name, b->sql[s], az_pg_stmts[s].nparams, az_pg_stmts[s].types);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : az_pg_fail(b, az_pg_stmts[s].label, r);
    PQclear(r);
    b->prepared[s] = rc == 0;
    return rc;
}

/* Run statement s; on success *out holds its result (the caller clears it). */
int az_pg_run(az_pg_backend *b, int s, const az_pg_args *a, PGresult **out)
{
    int rc = az_pg_ensure_conn(b);
    return rc ? rc : az_pg_run_in(b, s, a, out);
}

/* r, the result of what (a statement's label), into *out if it is rows or a command's; else the failure. */
static int take_result(az_pg_backend *b, const char *what, PGresult *r, PGresult **out)
{
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        int rc = az_pg_fail(b, what, r);
        PQclear(r);
        return rc;
    }
    *out = r;
    return 0;
}

int az_pg_run_in(az_pg_backend *b, int s, const az_pg_args *a, PGresult **out)
{
    int rc = prepare(b, s);
    if (rc)
        return rc;
    PGresult *r = PQexecPrepared(b->conn, az_pg_stmts[s].name, a->n, a->values, a->lengths, a->formats, 1);
    return take_result(b, az_pg_stmts[s].label, r, out);
}

int az_pg_run_prep(az_pg_backend *b, az_pg_prep *p, const az_pg_args *a, PGresult **out)
{
    if (!p->prepared) {
        PGresult *r = PQprepare(b->conn, p->name, p->sql, p->nparams, p->types);
        int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : az_pg_fail(b, p->label, r);
        PQclear(r);
        if (rc)
            return rc;
        p->prepared = true;
    }
    PGresult *r = PQexecPrepared(b->conn, p->name, a->n, a->values, a->lengths, a->formats, 1);
    return take_result(b, p->label, r, out);
}

int az_pg_run_params(az_pg_backend *b, const char *label, const char *sql, const Oid *types,
                     const az_pg_args *a, PGresult **out)
{
    PGresult *r = PQexecParams(b->conn, sql, a->n, types, a->values, a->lengths, a->formats, 1);
    return take_result(b, label, r, out);
}

/* Run a statement that changes rows; *changed: how many. */
int az_pg_run_changes(az_pg_backend *b, int s, const az_pg_args *a, long *changed)
{
    PGresult *r = NULL;
    int rc = az_pg_run(b, s, a, &r);
    if (rc)
        return rc;
    *changed = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

/* Run a parameterless command text (several statements allowed). */
int az_pg_exec_text(az_pg_backend *b, const char *what, const char *sql)
{
    PGresult *r = PQexec(b->conn, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : az_pg_fail(b, what, r);
    PQclear(r);
    return rc;
}

static int create_schema(az_pg_backend *b)
{
    int rc = az_pg_exec_text(b, "BEGIN", "BEGIN");
    if (rc)
        return rc;
    const char *values[] = {b->table};
    PGresult *r = PQexecParams(b->conn, "SELECT pg_advisory_xact_lock(hashtext($1))", 1,
                               (Oid[]){AZ_PG_OID_TEXT}, values, NULL, NULL, 1);
    rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : az_pg_fail(b, "lock for CREATE", r);
    PQclear(r);
    if (!rc)
        rc = az_pg_exec_text(b, "CREATE", b->schema);
    if (!rc)
        rc = az_pg_journals_create(b);
    if (!rc)
        rc = az_pg_exec_text(b, "COMMIT", "COMMIT");
    return rc;
}

/* A tool that needs an existing store (asyncz_store_connect_existing) creates nothing: the table must be
 * there, found as the store's statements find it (the search path). */
static int check_table(az_pg_backend *b)
{
    const char *values[] = {b->table};
    PGresult *r = PQexecParams(b->conn, "SELECT to_regclass(quote_ident($1)) IS NOT NULL", 1,
                               (Oid[]){AZ_PG_OID_TEXT}, values, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : az_pg_fail(b, "look for the table", r);
    bool found = !rc && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!rc && !found)
        rc = az_store_fail(
            ASYNCZ_ENOTFOUND,
            "postgresql %s has no asyncz tables (no table %s): add a task first, or check the URL", b->desc,
            b->table);
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------------------- */

int az_pg_open(az_backend *base, const asyncz_store_host *host)
{
    az_pg_backend *b = PG(base);
    b->opened = true;
    int rc = connect_main(b);
    if (!rc && host && host->existing)
        rc = check_table(b);
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

void az_pg_close(az_backend *base)
{
    az_pg_backend *b = PG(base);
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

void az_pg_destroy(az_backend *base)
{
    az_pg_backend *b = PG(base);
    if (!b)
        return;
    for (int s = 0; s < AZ_PG_N_STMTS; s++)
        free(b->sql[s]);
    free(b->schema);
    free(b->scan);
    az_pg_journals_free(b);
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

/* ---- construction -------------------------------------------------------------------------------- */

static int expand_all(az_pg_backend *b)
{
    bool ok = (b->schema = az_sql_with_table(az_pg_schema_sql, b->table)) != NULL;
    ok = ok && (b->scan = az_sql_with_table(az_pg_scan_sql, b->table)) != NULL;
    for (int s = 0; ok && s < AZ_PG_N_STMTS; s++)
        ok = (b->sql[s] = az_sql_with_table(az_pg_stmts[s].sql, b->table)) != NULL;
    return ok ? az_pg_journals_init(b) : ASYNCZ_ENOMEM;
}

static int read_table(az_pg_backend *b, az_url *url)
{
    const char *table = az_url_get(url, "tablename", "asyncz_store");
    int rc = az_url_name("tablename", table, false);
    if (rc)
        return rc;
    if (strlen(table) > AZ_PG_TABLE_MAX)
        return az_store_fail(
            ASYNCZ_EINVAL,
            "option tablename: \"%s\" is longer than %d bytes (PostgreSQL names are at most 63 "
            "and asyncz adds \"_quarantine\")",
            table, AZ_PG_TABLE_MAX);
    snprintf(b->table, sizeof b->table, "%s", table);
    snprintf(b->channel, sizeof b->channel, "%s_wakeup", table);
    return 0;
}

/* connect_timeout: whole seconds, as libpq takes them. */
static int read_timeout(az_pg_backend *b, az_url *url)
{
    const char *v = az_url_get(url, "connect_timeout", "10");
    char *end = NULL;
    long secs = strtol(v, &end, 10);
    if (!*v || *end || secs < 1 || secs > 3600)
        return az_store_fail(ASYNCZ_EINVAL,
                             "option connect_timeout: expected whole seconds from 1 to 3600, got \"%s\"", v);
    return (b->connect_timeout = strdup(v)) ? 0 : ASYNCZ_ENOMEM;
}

static int read_options(az_pg_backend *b, az_url *url)
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

static int read_target(az_pg_backend *b, const az_url *url)
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

static void fill_params(az_pg_backend *b)
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
    az_pg_backend *b = calloc(1, sizeof *b);
    if (!b)
        return ASYNCZ_ENOMEM;
    b->listener.stop_fd = -1;
    int rc = read_options(b, url);
    if (!rc)
        rc = read_target(b, url);
    if (!rc)
        rc = expand_all(b);
    if (rc) {
        az_pg_destroy(&b->base);
        return rc;
    }
    fill_params(b);
    b->base.ops = b->notify ? &az_pg_ops_notify : &az_pg_ops_polled;
    *out = &b->base;
    return 0;
}
