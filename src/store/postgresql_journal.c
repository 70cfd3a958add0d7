/* The PostgreSQL store's journals (backend.h, "journals"): run history in "<t>_runs", the audit trail in
 * "<t>_audit", a table each with the same layout:
 *   (id TEXT COLLATE "C" PRIMARY KEY, task_id TEXT COLLATE "C" NOT NULL, at BIGINT NOT NULL,
 *    end_at BIGINT NOT NULL, status SMALLINT NOT NULL, who TEXT NOT NULL, data BYTEA NOT NULL)
 *   indexes <j>_task (task_id, id), <j>_stat (status, id), <j>_end (end_at)
 * The "C" collation makes the order of ids their byte order, as the contract has it, whatever collation the
 * database has, and keeps comparing them cheap.
 *
 * A batch is one INSERT ... SELECT FROM unnest(<seven arrays>) ON CONFLICT (id) DO UPDATE: one round trip
 * for a batch, each column sent as one binary array parameter. A listing is a SELECT built from the filters
 * that are set, every value a parameter, ordered by id descending: the planner walks (task_id, id),
 * (status, id) or the primary key backwards and stops at the limit, a page of LIST_PAGE rows at a time.
 * Pruning deletes what a subquery picks and locks through an index (end_at, or (task_id, id) below the
 * task's newest entries), at most max rows, skipping rows another writer holds locked. No statement here
 * sends pg_notify: entries are not task changes. */
#ifdef ASYNCZ_WITH_POSTGRESQL

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/postgresql_internal.h"
#include "util/sql.h"

/* A batch is cut into statements of about this many bytes, so that the arrays of a batch of large entries
 * (up to AZ_JOURNAL_MAX each) stay far below libpq's 1 GiB parameter limit. */
#define PUT_CHUNK_BYTES (16u * 1024u * 1024u)

/* A listing fetches at most this many rows per statement. */
#define LIST_PAGE 128

#define COLS "id, task_id, at, end_at, status, who, data"

/* "{T}" stands for the journal's table ("<t>_runs", "<t>_audit"); its index names derive from it. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS \"{T}\" (id TEXT COLLATE \"C\" PRIMARY KEY, "
    "task_id TEXT COLLATE \"C\" NOT NULL, at BIGINT NOT NULL, end_at BIGINT NOT NULL, "
    "status SMALLINT NOT NULL, who TEXT NOT NULL, data BYTEA NOT NULL);"
    "CREATE INDEX IF NOT EXISTS \"{T}_task\" ON \"{T}\" (task_id, id);"
    "CREATE INDEX IF NOT EXISTS \"{T}_stat\" ON \"{T}\" (status, id);"
    "CREATE INDEX IF NOT EXISTS \"{T}_end\" ON \"{T}\" (end_at)";

static const Oid put_types[] = {AZ_PG_OID_TEXT_ARRAY, AZ_PG_OID_TEXT_ARRAY, AZ_PG_OID_INT8_ARRAY,
                                AZ_PG_OID_INT8_ARRAY, AZ_PG_OID_INT2_ARRAY, AZ_PG_OID_TEXT_ARRAY,
                                AZ_PG_OID_BYTEA_ARRAY};
static const Oid get_types[] = {AZ_PG_OID_TEXT};
static const Oid prune_types[] = {AZ_PG_OID_INT8, AZ_PG_OID_INT8};
static const Oid trim_types[] = {AZ_PG_OID_TEXT, AZ_PG_OID_INT8, AZ_PG_OID_INT8};

typedef struct stmt_spec {
    const char *suffix; /* of the prepared name: az_<journal>_<suffix> */
    const char *label[AZ_JOURNAL_COUNT];
    const char *sql;
    int nparams;
    const Oid *types;
} stmt_spec;

static const stmt_spec stmt_specs[AZ_PGJ_N_STMTS] = {
    /* The rows go in in id order: two batches that share ids lock them in the same order, so that one waits
     * for the other instead of deadlocking. */
    [AZ_PGJ_PUT] =
        {"put",
         {"INSERT runs", "INSERT audit"},
         "INSERT INTO \"{T}\" (" COLS ") SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], "
         "$4::int8[], $5::int2[], $6::text[], $7::bytea[]) AS u(" COLS ") ORDER BY u.id COLLATE \"C\" "
         "ON CONFLICT (id) DO UPDATE SET task_id = EXCLUDED.task_id, at = EXCLUDED.at, "
         "end_at = EXCLUDED.end_at, status = EXCLUDED.status, who = EXCLUDED.who, data = EXCLUDED.data",
         7,
         put_types},
    [AZ_PGJ_GET] = {"get",
                    {"SELECT runs entry", "SELECT audit entry"},
                    "SELECT " COLS " FROM \"{T}\" WHERE id = $1",
                    1,
                    get_types},
    /* Pruning picks and locks the rows, then deletes them by the ctid they were locked at (a row this
     * statement locked cannot move before it ends): no lookup through the primary key per row. Rows another
     * transaction holds (an upsert in flight) are left for the next call rather than waited for.
     * By age: oldest end_at first, through <j>_end. */
    [AZ_PGJ_PRUNE_AGE] =
        {"prune",
         {"DELETE old runs", "DELETE old audit entries"},
         "DELETE FROM \"{T}\" WHERE ctid = ANY(ARRAY(SELECT ctid FROM \"{T}\" WHERE end_at < $1 "
         "ORDER BY end_at LIMIT $2 FOR UPDATE SKIP LOCKED))",
         2,
         prune_types},
    /* The task's keep-th newest id ($2 = keep - 1 entries above it) bounds what goes: the ids below it,
     * oldest first, both found through <j>_task. A task with fewer entries has no such id: nothing goes. */
    [AZ_PGJ_TRIM_TASK] =
        {"trim",
         {"DELETE runs of a task", "DELETE audit entries of a task"},
         "DELETE FROM \"{T}\" WHERE ctid = ANY(ARRAY(SELECT ctid FROM \"{T}\" WHERE task_id = $1 AND "
         "id < (SELECT id FROM \"{T}\" WHERE task_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1) "
         "ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED))",
         3,
         trim_types},
};

static az_pg_backend *PG(az_backend *b)
{
    return (az_pg_backend *)b;
}

/* ---- set-up --------------------------------------------------------------------------------------- */

int az_pg_journals_init(az_pg_backend *b)
{
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        az_pg_journal *jn = &b->journals[j];
        const char *name = az_journal_name((az_journal)j);
        snprintf(jn->table, sizeof jn->table, "%s_%s", b->table, name);
        if (!(jn->schema = az_sql_with_table(schema_sql, jn->table)))
            return ASYNCZ_ENOMEM;
        for (int s = 0; s < AZ_PGJ_N_STMTS; s++) {
            az_pg_prep *p = &jn->stmts[s];
            snprintf(p->name, sizeof p->name, "az_%s_%s", name, stmt_specs[s].suffix);
            p->label = stmt_specs[s].label[j];
            p->nparams = stmt_specs[s].nparams;
            p->types = stmt_specs[s].types;
            if (!(p->sql = az_sql_with_table(stmt_specs[s].sql, jn->table)))
                return ASYNCZ_ENOMEM;
        }
    }
    return 0;
}

void az_pg_journals_free(az_pg_backend *b)
{
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        free(b->journals[j].schema);
        for (int s = 0; s < AZ_PGJ_N_STMTS; s++)
            free(b->journals[j].stmts[s].sql);
    }
}

void az_pg_journals_forget(az_pg_backend *b)
{
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        for (int s = 0; s < AZ_PGJ_N_STMTS; s++)
            b->journals[j].stmts[s].prepared = false;
}

int az_pg_journals_create(az_pg_backend *b)
{
    int rc = 0;
    for (int j = 0; !rc && j < AZ_JOURNAL_COUNT; j++)
        rc = az_pg_exec_text(b, "CREATE journal", b->journals[j].schema);
    return rc;
}

static int journal_of(az_pg_backend *b, az_journal j, az_pg_journal **out)
{
    if ((unsigned)j >= AZ_JOURNAL_COUNT)
        return az_store_fail(ASYNCZ_EINVAL, "postgresql %s: no journal %d", b->desc, (int)j);
    *out = &b->journals[j];
    return 0;
}

static int64_t limit_of(size_t max)
{
    return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

/* ---- binary arrays -------------------------------------------------------------------------------- */

/* PostgreSQL's binary array: ndim, has-nulls flag, element type, then per dimension its size and lower
 * bound; then each element as its length and its bytes (all integers 4 bytes, big-endian). */
#define ARRAY_HEADER 20

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    uint32_t be = htobe32(v);
    memcpy(p, &be, sizeof be);
    return p + sizeof be;
}

static unsigned char *array_header(unsigned char *p, Oid elem, size_t n)
{
    p = put_u32(p, 1);
    p = put_u32(p, 0);
    p = put_u32(p, elem);
    p = put_u32(p, (uint32_t)n);
    return put_u32(p, 1);
}

static unsigned char *array_elem(unsigned char *p, const void *data, size_t len)
{
    p = put_u32(p, (uint32_t)len);
    memcpy(p, data, len);
    return p + len;
}

/* ---- journal_put ---------------------------------------------------------------------------------- */

enum { COL_ID, COL_TASK, COL_AT, COL_END, COL_STATUS, COL_WHO, COL_DATA, N_COLS };

static const Oid col_elem[N_COLS] = {AZ_PG_OID_TEXT, AZ_PG_OID_TEXT, AZ_PG_OID_INT8, AZ_PG_OID_INT8,
                                     AZ_PG_OID_INT2, AZ_PG_OID_TEXT, AZ_PG_OID_BYTEA};

static const char *who_of(const az_jentry *e)
{
    return e->who ? e->who : "";
}

/* Entry e's value of column c, in binary: borrowed from e, or written into scratch (the integers). */
static size_t field(const az_jentry *e, int c, unsigned char scratch[8], const void **out)
{
    uint64_t be64;
    uint16_t be16;
    switch (c) {
    case COL_ID:
        *out = e->id;
        return strlen(e->id);
    case COL_TASK:
        *out = e->task_id;
        return strlen(e->task_id);
    case COL_AT:
    case COL_END:
        be64 = htobe64((uint64_t)(c == COL_AT ? e->at : e->end_at));
        memcpy(scratch, &be64, sizeof be64);
        *out = scratch;
        return sizeof be64;
    case COL_STATUS:
        be16 = htobe16((uint16_t)(int16_t)e->status);
        memcpy(scratch, &be16, sizeof be16);
        *out = scratch;
        return sizeof be16;
    case COL_WHO:
        *out = who_of(e);
        return strlen(who_of(e));
    default:
        *out = e->data;
        return e->len;
    }
}

/* The seven column arrays of a chunk of entries. */
typedef struct put_arrays {
    unsigned char *buf[N_COLS];
    size_t len[N_COLS];
} put_arrays;

static void free_arrays(put_arrays *pa)
{
    for (int c = 0; c < N_COLS; c++)
        free(pa->buf[c]);
}

/* Size every array first, then fill each in one allocation. */
static int build_arrays(const az_jentry *e, size_t n, put_arrays *pa)
{
    unsigned char scratch[8];
    const void *v;
    for (int c = 0; c < N_COLS; c++) {
        pa->len[c] = ARRAY_HEADER;
        for (size_t i = 0; i < n; i++)
            pa->len[c] += 4 + field(&e[i], c, scratch, &v);
        unsigned char *p = pa->buf[c] = malloc(pa->len[c]);
        if (!p)
            return az_store_fail(ASYNCZ_ENOMEM, "postgresql: journal put: out of memory");
        p = array_header(p, col_elem[c], n);
        for (size_t i = 0; i < n; i++) {
            size_t len = field(&e[i], c, scratch, &v);
            p = array_elem(p, v, len);
        }
    }
    return 0;
}

/* Where the chunk that starts at entry start ends: at least one entry, then as many as fit the chunk size. */
static size_t chunk_end(const az_jentry *e, size_t n, size_t start)
{
    size_t bytes = 0, i = start;
    do {
        bytes += e[i].len + strlen(e[i].id) + strlen(e[i].task_id) + strlen(who_of(&e[i])) + 48;
        i++;
    } while (i < n && bytes + e[i].len < PUT_CHUNK_BYTES);
    return i;
}

static int put_chunk(az_pg_backend *b, az_pg_journal *jn, const az_jentry *e, size_t n)
{
    put_arrays pa = {0};
    int rc = build_arrays(e, n, &pa);
    if (!rc) {
        az_pg_args a = {0};
        for (int c = 0; c < N_COLS; c++)
            az_pg_arg_raw(&a, pa.buf[c], pa.len[c]);
        PGresult *r = NULL;
        rc = az_pg_run_prep(b, &jn->stmts[AZ_PGJ_PUT], &a, &r);
        PQclear(r);
    }
    free_arrays(&pa);
    return rc;
}

int az_pg_journal_put(az_backend *base, az_journal j, const az_jentry *entries, size_t n)
{
    az_pg_backend *b = PG(base);
    az_pg_journal *jn = NULL;
    int rc = journal_of(b, j, &jn);
    if (!rc)
        rc = az_pg_ensure_conn(b);
    for (size_t start = 0; !rc && start < n;) {
        size_t end = chunk_end(entries, n, start);
        rc = put_chunk(b, jn, entries + start, end - start);
        start = end;
    }
    return rc;
}

/* ---- reading -------------------------------------------------------------------------------------- */

/* A row of (COLS) as an entry, borrowed from r. */
static az_jentry entry_at(const PGresult *r, int row)
{
    return (az_jentry){.id = PQgetvalue(r, row, 0),
                       .task_id = PQgetvalue(r, row, 1),
                       .at = az_pg_col_i64(r, row, 2),
                       .end_at = az_pg_col_i64(r, row, 3),
                       .status = az_pg_col_i16(r, row, 4),
                       .who = PQgetvalue(r, row, 5),
                       .data = (const unsigned char *)PQgetvalue(r, row, 6),
                       .len = (size_t)PQgetlength(r, row, 6)};
}

static int emit_entries(const PGresult *r, az_jentry_fn each, void *userdata)
{
    int rc = 0;
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        az_jentry e = entry_at(r, i);
        rc = each(&e, userdata);
    }
    return rc;
}

int az_pg_journal_get(az_backend *base, az_journal j, const char *id, az_jentry_fn each, void *userdata)
{
    az_pg_backend *b = PG(base);
    az_pg_journal *jn = NULL;
    int rc = journal_of(b, j, &jn);
    if (!rc)
        rc = az_pg_ensure_conn(b);
    az_pg_args a = {0};
    az_pg_arg_text(&a, id);
    PGresult *r = NULL;
    if (!rc)
        rc = az_pg_run_prep(b, &jn->stmts[AZ_PGJ_GET], &a, &r);
    if (!rc)
        rc = PQntuples(r) ? emit_entries(r, each, userdata) : ASYNCZ_ENOTFOUND;
    PQclear(r);
    return rc;
}

/* A listing's statement, built from the filters set: its text, its parameters and their types. */
typedef struct list_stmt {
    char sql[1024];
    size_t len;
    az_pg_args a;
    Oid types[AZ_PG_MAX_ARGS];
    unsigned char statuses[ARRAY_HEADER + 32 * 6]; /* the int2[] of a set of statuses */
} list_stmt;

static void list_append(list_stmt *l, const char *before, int param, const char *after)
{
    if (l->len >= sizeof l->sql)
        return; /* cannot happen: the longest text is far shorter; snprintf has cut it, and the server
                 * will refuse it */
    int n = snprintf(l->sql + l->len, sizeof l->sql - l->len, "%s$%d%s", before, param, after);
    l->len += n > 0 ? (size_t)n : 0;
}

/* The condition "<lhs>$k<rhs>" on the parameter just appended (the k-th), of type type. */
static void list_cond(list_stmt *l, const char *lhs, const char *rhs, Oid type)
{
    l->types[l->a.n - 1] = type;
    char before[64];
    snprintf(before, sizeof before, "%s%s", l->a.n == 1 ? " WHERE " : " AND ", lhs);
    list_append(l, before, l->a.n, rhs);
}

/* One status is "status = $k" (the planner then walks (status, id) in order); a set is "= ANY" of an
 * int2[]. */
static void list_statuses(list_stmt *l, uint32_t statuses)
{
    size_t n = 0;
    for (int s = 0; s < 32; s++)
        n += (statuses >> s) & 1u;
    if (n == 1) {
        int16_t s = 0;
        while (!((statuses >> s) & 1u))
            s++;
        az_pg_arg_i16(&l->a, s);
        list_cond(l, "status = ", "", AZ_PG_OID_INT2);
        return;
    }
    unsigned char *p = array_header(l->statuses, AZ_PG_OID_INT2, n);
    for (int s = 0; s < 32; s++) {
        uint16_t be = htobe16((uint16_t)s);
        if ((statuses >> s) & 1u)
            p = array_elem(p, &be, sizeof be);
    }
    az_pg_arg_raw(&l->a, l->statuses, (size_t)(p - l->statuses));
    list_cond(l, "status = ANY(", ")", AZ_PG_OID_INT2_ARRAY);
}

/* The statement of one page: q's filters, ids below before (when not NULL), at most limit rows. */
static void build_list(list_stmt *l, const az_pg_journal *jn, const az_jquery *q, const char *before,
                       size_t limit)
{
    memset(l, 0, sizeof *l);
    l->len = (size_t)snprintf(l->sql, sizeof l->sql, "SELECT " COLS " FROM \"%s\"", jn->table);
    if (q->task_id) {
        az_pg_arg_text(&l->a, q->task_id);
        list_cond(l, "task_id = ", "", AZ_PG_OID_TEXT);
    }
    if (q->statuses)
        list_statuses(l, q->statuses);
    /* "at + 0", not "at": the planner's statistics of at always lag behind its newest values, which are
     * where listings look (the last day), so that "at >= since" would be estimated to match almost nothing
     * and the planner would pick a scan of the whole table and a sort (hundreds of ms at a million
     * entries). at + 0 has no statistics: the planner assumes a fixed share of rows and keeps to walking
     * an index in id order, which stops at the limit. */
    if (q->since != ASYNCZ_TIME_NONE) {
        az_pg_arg_i64(&l->a, q->since);
        list_cond(l, "at + 0 >= ", "", AZ_PG_OID_INT8);
    }
    if (q->until != ASYNCZ_TIME_NONE) {
        az_pg_arg_i64(&l->a, q->until);
        list_cond(l, "at + 0 < ", "", AZ_PG_OID_INT8);
    }
    if (q->who) {
        az_pg_arg_text(&l->a, q->who);
        list_cond(l, "who = ", "", AZ_PG_OID_TEXT);
    }
    if (before) {
        az_pg_arg_text(&l->a, before);
        list_cond(l, "id < ", "", AZ_PG_OID_TEXT);
    }
    az_pg_arg_i64(&l->a, limit_of(limit));
    l->types[l->a.n - 1] = AZ_PG_OID_INT8;
    list_append(l, " ORDER BY id DESC LIMIT ", l->a.n, "");
}

/* Run one page of a listing and hand its entries to each. *rows: how many it held; *last: a copy of the
 * last id (freed by the caller), where the next page starts. */
static int list_page(az_pg_backend *b, az_journal j, list_stmt *l, az_jentry_fn each, void *userdata,
                     int *rows, char **last)
{
    PGresult *r = NULL;
    int rc = az_pg_run_params(b, j == AZ_JOURNAL_AUDIT ? "SELECT audit entries" : "SELECT runs", l->sql,
                              l->types, &l->a, &r);
    *rows = rc ? 0 : PQntuples(r);
    if (!rc)
        rc = emit_entries(r, each, userdata);
    if (!rc && *rows > 0) {
        free(*last);
        if (!(*last = strdup(PQgetvalue(r, *rows - 1, 0))))
            rc = az_store_fail(ASYNCZ_ENOMEM, "postgresql: journal list: out of memory");
    }
    PQclear(r);
    return rc;
}

/* In pages of LIST_PAGE rows, each carrying on below the last id of the one before (ids are unique and the
 * order is by id alone, so no entry is skipped or repeated): a listing of thousands of large entries never
 * holds them all in memory at once, and stopping early does not fetch the rest. */
int az_pg_journal_list(az_backend *base, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata)
{
    az_pg_backend *b = PG(base);
    az_pg_journal *jn = NULL;
    int rc = journal_of(b, j, &jn);
    if (!rc)
        rc = az_pg_ensure_conn(b);
    if (rc)
        return rc;
    list_stmt *l = malloc(sizeof *l);
    if (!l)
        return az_store_fail(ASYNCZ_ENOMEM, "postgresql: journal list: out of memory");
    char *last = NULL;
    size_t left = q->limit;
    while (!rc && left > 0) {
        size_t want = left < LIST_PAGE ? left : LIST_PAGE;
        build_list(l, jn, q, last ? last : q->before, want);
        int rows = 0;
        rc = list_page(b, j, l, each, userdata, &rows, &last);
        left = (size_t)rows < want ? 0 : left - want;
    }
    free(last);
    free(l);
    return rc;
}

/* The plan of the first statement a listing runs (EXPLAIN, its lines joined by " | "), for the tests that
 * check which index a listing walks. */
int az_pg_journal_list_plan(az_backend *base, az_journal j, const az_jquery *q, char *plan, size_t size)
{
    az_pg_backend *b = PG(base);
    az_pg_journal *jn = NULL;
    int rc = journal_of(b, j, &jn);
    if (!rc)
        rc = az_pg_ensure_conn(b);
    list_stmt *l = rc ? NULL : malloc(sizeof *l);
    if (!rc && !l)
        rc = az_store_fail(ASYNCZ_ENOMEM, "postgresql: journal plan: out of memory");
    char *explain = NULL;
    if (!rc) {
        build_list(l, jn, q, q->before, q->limit < LIST_PAGE ? q->limit : LIST_PAGE);
        if (!(explain = malloc(l->len + 16)))
            rc = az_store_fail(ASYNCZ_ENOMEM, "postgresql: journal plan: out of memory");
    }
    PGresult *r = NULL;
    if (!rc) {
        snprintf(explain, l->len + 16, "EXPLAIN %s", l->sql);
        rc = az_pg_run_params(b, "EXPLAIN", explain, l->types, &l->a, &r);
    }
    size_t used = 0;
    plan[0] = '\0';
    for (int i = 0; !rc && i < PQntuples(r) && used < size; i++)
        used += (size_t)snprintf(plan + used, size - used, "%s%s", i ? " | " : "", PQgetvalue(r, i, 0));
    PQclear(r);
    free(explain);
    free(l);
    return rc;
}

/* ---- retention ------------------------------------------------------------------------------------ */

static int delete_with(az_pg_backend *b, az_pg_prep *p, const az_pg_args *a, size_t *removed)
{
    PGresult *r = NULL;
    int rc = az_pg_run_prep(b, p, a, &r);
    *removed = rc ? 0 : (size_t)strtoull(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return rc;
}

int az_pg_journal_prune_age(az_backend *base, az_journal j, asyncz_time_t cutoff, size_t max, size_t *removed)
{
    az_pg_backend *b = PG(base);
    az_pg_journal *jn = NULL;
    *removed = 0;
    int rc = journal_of(b, j, &jn);
    if (!rc)
        rc = az_pg_ensure_conn(b);
    if (rc)
        return rc;
    az_pg_args a = {0};
    az_pg_arg_i64(&a, cutoff);
    az_pg_arg_i64(&a, limit_of(max));
    return delete_with(b, &jn->stmts[AZ_PGJ_PRUNE_AGE], &a, removed);
}

int az_pg_journal_trim_task(az_backend *base, az_journal j, const char *task_id, size_t keep, size_t max,
                            size_t *removed)
{
    az_pg_backend *b = PG(base);
    az_pg_journal *jn = NULL;
    *removed = 0;
    int rc = journal_of(b, j, &jn);
    if (!rc && keep == 0)
        rc = az_store_fail(ASYNCZ_EINVAL, "postgresql %s: trim task \"%s\": keep must be at least 1", b->desc,
                           task_id);
    if (!rc)
        rc = az_pg_ensure_conn(b);
    if (rc)
        return rc;
    az_pg_args a = {0};
    az_pg_arg_text(&a, task_id);
    az_pg_arg_i64(&a, limit_of(keep - 1));
    az_pg_arg_i64(&a, limit_of(max));
    return delete_with(b, &jn->stmts[AZ_PGJ_TRIM_TASK], &a, removed);
}

#endif
