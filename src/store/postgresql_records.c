/* The PostgreSQL store's record operations: each one statement (see postgresql_sql.c), its parameters in
 * binary (BYTEA as raw bytes, BIGINT as 8 big-endian bytes) and its results in binary too. */
#ifdef ASYNCZ_WITH_POSTGRESQL

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/task_internal.h"
#include "store/postgresql_internal.h"

static az_pg_backend *PG(az_backend *b)
{
    return (az_pg_backend *)b;
}

/* ---- parameters and columns ----------------------------------------------------------------------- */

void az_pg_arg_raw(az_pg_args *a, const void *data, size_t len)
{
    a->values[a->n] = data;
    a->lengths[a->n] = (int)len;
    a->formats[a->n] = 1;
    a->n++;
}

void az_pg_arg_text(az_pg_args *a, const char *s)
{
    az_pg_arg_raw(a, s, strlen(s));
}

/* A zero-length BYTEA still needs a non-NULL pointer: NULL is SQL NULL. */
void az_pg_arg_bytes(az_pg_args *a, const unsigned char *data, size_t len)
{
    az_pg_arg_raw(a, len ? (const void *)data : "", len);
}

void az_pg_arg_i64(az_pg_args *a, int64_t v)
{
    uint64_t be = htobe64((uint64_t)v);
    memcpy(a->i64[a->n], &be, sizeof be);
    az_pg_arg_raw(a, a->i64[a->n], sizeof be);
}

void az_pg_arg_i16(az_pg_args *a, int16_t v)
{
    uint16_t be = htobe16((uint16_t)v);
    memcpy(a->i64[a->n], &be, sizeof be);
    az_pg_arg_raw(a, a->i64[a->n], sizeof be);
}

/* ASYNCZ_TIME_NONE is SQL NULL. */
void az_pg_arg_time(az_pg_args *a, asyncz_time_t t)
{
    if (t != ASYNCZ_TIME_NONE)
        return az_pg_arg_i64(a, t);
    a->values[a->n] = NULL;
    a->lengths[a->n] = 0;
    a->formats[a->n] = 1;
    a->n++;
}

int64_t az_pg_col_i64(const PGresult *r, int row, int col)
{
    uint64_t be = 0;
    if (PQgetlength(r, row, col) == (int)sizeof be)
        memcpy(&be, PQgetvalue(r, row, col), sizeof be);
    return (int64_t)be64toh(be);
}

int az_pg_col_i16(const PGresult *r, int row, int col)
{
    uint16_t be = 0;
    if (PQgetlength(r, row, col) == (int)sizeof be)
        memcpy(&be, PQgetvalue(r, row, col), sizeof be);
    return (int16_t)be16toh(be);
}

static asyncz_time_t col_time(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? ASYNCZ_TIME_NONE : az_pg_col_i64(r, row, col);
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

/* ---- records ------------------------------------------------------------------------------------- */

/* Write one record with statement s; in_tx: inside the caller's transaction (see az_pg_run_in). */
static int write_record_as(az_pg_backend *b, int s, const az_record *rec, bool in_tx, int *written)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, rec->id);
    az_pg_arg_time(&a, rec->next_run_time);
    az_pg_arg_bytes(&a, rec->data, rec->len);
    az_pg_arg_text(&a, b->channel);
    PGresult *r = NULL;
    int rc = in_tx ? az_pg_run_in(b, s, &a, &r) : az_pg_run(b, s, &a, &r);
    if (rc)
        return rc;
    *written = PQntuples(r);
    PQclear(r);
    return 0;
}

static int write_record(az_pg_backend *b, int s, const az_record *rec, int *written)
{
    return write_record_as(b, s, rec, false, written);
}

static int pg_insert(az_backend *base, const az_record *rec)
{
    int written = 0;
    int rc = write_record(PG(base), AZ_PG_INSERT, rec, &written);
    if (!rc && !written)
        rc = az_store_fail(ASYNCZ_EEXISTS, "postgresql: task \"%s\" already exists", rec->id);
    return rc;
}

/* Undo the batch's transaction after a failure, keeping the failure's message. A broken connection has
 * lost the transaction on the server already; the next call replaces it. */
static int abort_batch(az_pg_backend *b, int rc)
{
    if (!b->conn || PQstatus(b->conn) != CONNECTION_OK || PQtransactionStatus(b->conn) == PQTRANS_IDLE)
        return rc;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", asyncz_store_errmsg());
    PQclear(PQexec(b->conn, "ROLLBACK"));
    return az_store_fail(rc, "%s", msg);
}

/* One transaction for the batch. Each insert sends the same (empty) notification on the same channel, and
 * PostgreSQL delivers identical notifications of one transaction once, at its commit: one wake-up per
 * batch. The first existing id makes its INSERT write nothing; the batch then rolls back. */
static int pg_insert_many(az_backend *base, const az_record *recs, size_t n)
{
    az_pg_backend *b = PG(base);
    int rc = az_pg_ensure_conn(b);
    if (!rc)
        rc = az_pg_exec_text(b, "BEGIN", "BEGIN");
    for (size_t i = 0; !rc && i < n; i++) {
        int written = 0;
        rc = write_record_as(b, AZ_PG_INSERT, &recs[i], true, &written);
        if (!rc && !written)
            rc = az_store_fail(ASYNCZ_EEXISTS, "postgresql: task \"%s\" already exists", recs[i].id);
    }
    if (!rc)
        rc = az_pg_exec_text(b, "COMMIT", "COMMIT");
    return rc ? abort_batch(b, rc) : 0;
}

static int pg_replace(az_backend *base, const az_record *rec)
{
    int written = 0;
    int rc = write_record(PG(base), AZ_PG_REPLACE, rec, &written);
    if (!rc && !written)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: no task \"%s\"", rec->id);
    return rc;
}

static int pg_remove(az_backend *base, const char *id)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    long changed = 0;
    int rc = az_pg_run_changes(PG(base), AZ_PG_REMOVE, &a, &changed);
    if (!rc && !changed)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: no task \"%s\"", id);
    return rc;
}

static int pg_remove_all(az_backend *base)
{
    az_pg_args a = {0};
    long changed = 0;
    return az_pg_run_changes(PG(base), AZ_PG_REMOVE_ALL, &a, &changed);
}

static int pg_get(az_backend *base, const char *id, az_found_fn each, void *userdata)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_GET, &a, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? emit_rows(r, each, userdata) : ASYNCZ_ENOTFOUND;
    PQclear(r);
    return rc;
}

/* One page of the scan cursor: *rows is how many it held (0 at the end). */
static int scan_page(az_pg_backend *b, az_found_fn each, void *userdata, int *rows)
{
    char fetch[48];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM az_scan", AZ_PG_SCAN_PAGE);
    PGresult *r = PQexec(b->conn, fetch);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = az_pg_fail(b, "FETCH", r);
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
    az_pg_backend *b = PG(base);
    int rc = az_pg_ensure_conn(b);
    if (!rc)
        rc = az_pg_exec_text(b, "DECLARE scan", b->scan);
    int rows = AZ_PG_SCAN_PAGE;
    while (!rc && rows == AZ_PG_SCAN_PAGE)
        rc = scan_page(b, each, userdata, &rows);
    /* Read-only: ending it either way is the same; a failed one must be rolled back. */
    if (b->conn && PQstatus(b->conn) == CONNECTION_OK && PQtransactionStatus(b->conn) != PQTRANS_IDLE) {
        int end = az_pg_exec_text(b, "ROLLBACK", "ROLLBACK");
        rc = rc ? rc : end;
    }
    return rc;
}

static int pg_due(az_backend *base, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    az_pg_args a = {0};
    az_pg_arg_i64(&a, now);
    az_pg_arg_i64(&a, limit_of(max));
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_DUE, &a, &r);
    if (rc)
        return rc;
    rc = emit_rows(r, each, userdata);
    PQclear(r);
    return rc;
}

static int pg_earliest(az_backend *base, asyncz_time_t *out)
{
    az_pg_args a = {0};
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_EARLIEST, &a, &r);
    if (rc)
        return rc;
    *out = PQntuples(r) == 1 ? col_time(r, 0, 0) : ASYNCZ_TIME_NONE;
    PQclear(r);
    return 0;
}

static int pg_count(az_backend *base, size_t *out)
{
    az_pg_args a = {0};
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_COUNT, &a, &r);
    if (rc)
        return rc;
    *out = PQntuples(r) == 1 ? (size_t)az_pg_col_i64(r, 0, 0) : 0;
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
        rows[i] = (claimed_row){i, col_time(r, i, 1), az_pg_col_i64(r, i, 3)};
    qsort(rows, (size_t)n, sizeof *rows, by_order);
    int rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        az_found f = found_at(r, rows[i].row);
        f.token = (uint64_t)az_pg_col_i64(r, rows[i].row, 4);
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
    az_pg_args a = {0};
    az_pg_arg_i64(&a, now);
    az_pg_arg_text(&a, owner);
    az_pg_arg_i64(&a, until);
    az_pg_arg_i64(&a, limit_of(max));
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_CLAIM, &a, &r);
    if (rc)
        return rc;
    rc = emit_claimed(r, until, each, userdata);
    PQclear(r);
    return rc;
}

static int pg_release(az_backend *base, const char *id, uint64_t token, const az_record *next)
{
    if (token == 0 || token > INT64_MAX) /* never handed out */
        return az_store_fail(ASYNCZ_ESTATE, "postgresql: release: task \"%s\": no claim has token %llu", id,
                             (unsigned long long)token);
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    az_pg_arg_i64(&a, (int64_t)token);
    if (next) {
        az_pg_arg_bytes(&a, next->data, next->len);
        az_pg_arg_time(&a, next->next_run_time);
    }
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), next ? AZ_PG_RELEASE_NEXT : AZ_PG_RELEASE_REMOVE, &a, &r);
    if (rc)
        return rc;
    bool changed = PQntuples(r) == 1 && az_pg_col_i64(r, 0, 0) == 1;
    bool exists = PQntuples(r) == 1 && col_bool(r, 0, 1);
    bool repeated = PQntuples(r) == 1 && col_bool(r, 0, 2);
    PQclear(r);
    if (changed || repeated)
        return 0;
    if (!exists)
        return az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: release: no task \"%s\"", id);
    return az_store_fail(ASYNCZ_ESTATE, "postgresql: release: task \"%s\" is not claimed with token %llu", id,
                         (unsigned long long)token);
}

/* ---- quarantine ---------------------------------------------------------------------------------- */

static int pg_quarantine(az_backend *base, const char *id, const unsigned char *data, size_t len,
                         const char *reason, asyncz_time_t at)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    az_pg_arg_bytes(&a, data, len);
    az_pg_arg_text(&a, reason);
    az_pg_arg_i64(&a, at);
    long changed = 0;
    int rc = az_pg_run_changes(PG(base), AZ_PG_QUARANTINE, &a, &changed);
    if (!rc && !changed)
        rc = az_store_fail(ASYNCZ_ESTATE, "postgresql: quarantine: task \"%s\" changed or is gone", id);
    return rc;
}

static int pg_quarantined(az_backend *base, az_quarantine_rec_fn each, void *userdata)
{
    az_pg_args a = {0};
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_QUARANTINED, &a, &r);
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        az_quarantine_rec q = {.id = PQgetvalue(r, i, 0),
                               .reason = PQgetvalue(r, i, 1),
                               .at = az_pg_col_i64(r, i, 2),
                               .data = (const unsigned char *)PQgetvalue(r, i, 3),
                               .len = (size_t)PQgetlength(r, i, 3)};
        rc = each(&q, userdata);
    }
    PQclear(r);
    return rc;
}

/* One DELETE: atomic on its own. */
static int pg_quarantine_drop(az_backend *base, const char *id, asyncz_time_t at, size_t *dropped)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    az_pg_arg_time(&a, at);
    long changed = 0;
    int rc = az_pg_run_changes(PG(base), AZ_PG_QUARANTINE_DROP, &a, &changed);
    *dropped = rc ? 0 : (size_t)changed;
    return rc;
}

/* ---- heartbeats ---------------------------------------------------------------------------------- */

static int pg_put_instance(az_backend *base, const char *id, const unsigned char *data, size_t len)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    az_pg_arg_bytes(&a, data, len);
    long changed = 0;
    return az_pg_run_changes(PG(base), AZ_PG_PUT_INSTANCE, &a, &changed);
}

static int pg_instances(az_backend *base, az_instance_rec_fn each, void *userdata)
{
    az_pg_args a = {0};
    PGresult *r = NULL;
    int rc = az_pg_run(PG(base), AZ_PG_INSTANCES, &a, &r);
    for (int i = 0; !rc && i < PQntuples(r); i++)
        rc = each(PQgetvalue(r, i, 0), (const unsigned char *)PQgetvalue(r, i, 1),
                  (size_t)PQgetlength(r, i, 1), userdata);
    PQclear(r);
    return rc;
}

static int pg_remove_instance(az_backend *base, const char *id)
{
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    long changed = 0;
    int rc = az_pg_run_changes(PG(base), AZ_PG_REMOVE_INSTANCE, &a, &changed);
    if (!rc && !changed)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "postgresql: no instance \"%s\"", id);
    return rc;
}

#define PG_OPS(caps_)                                                                                        \
    {                                                                                                        \
        .name = "postgresql", .caps = (caps_), .open = az_pg_open, .close = az_pg_close,                     \
        .destroy = az_pg_destroy, .insert = pg_insert, .insert_many = pg_insert_many, .replace = pg_replace, \
        .remove = pg_remove, .remove_all = pg_remove_all, .get = pg_get, .scan = pg_scan, .due = pg_due,     \
        .earliest = pg_earliest, .count = pg_count, .claim = pg_claim, .release = pg_release,                \
        .quarantine = pg_quarantine, .quarantined = pg_quarantined, .quarantine_drop = pg_quarantine_drop,   \
        .put_instance = pg_put_instance, .instances = pg_instances, .remove_instance = pg_remove_instance,   \
        .journal_put = az_pg_journal_put, .journal_list = az_pg_journal_list,                                \
        .journal_get = az_pg_journal_get, .journal_prune_age = az_pg_journal_prune_age,                      \
        .journal_trim_task = az_pg_journal_trim_task,                                                        \
    }

const az_backend_ops az_pg_ops_notify =
    PG_OPS(ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY);
/* notify=false: no listener, so the scheduler must poll. */
const az_backend_ops az_pg_ops_polled = PG_OPS(ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED);

#endif
