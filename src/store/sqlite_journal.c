/* The SQLite store's journals (backend.h, "journals"): the run history and the audit trail, each a table
 * beside the task table (T_runs, T_audit; sqlite.c creates them with the rest of the schema).
 *
 * Which index serves each operation (J is the journal's table):
 *   put      an upsert by the primary key id, a batch in one write transaction with one prepared statement
 *   get      the primary key
 *   list     built from the filters set: with a task, a range of J_task (task_id, id, at) read backwards;
 *            else with statuses, one range of J_status (status, id, at) per status, each read backwards and
 *            merged by SQLite (UNION ALL ... ORDER BY id: a merge, not a sort); else the primary key
 *            backwards. The other filters are checked on the way (at already in the index, the rest on
 *            the rows read), and the scan stops at the limit. A filtered
 *            column that an index also covers is written +column, which keeps SQLite from choosing that
 *            index instead of the one meant (with one status, "status IN (2)" is an equality too).
 *   prune    one DELETE of the rowids that a walk of J_end (end_at) finds, oldest first, at most max
 *   trim     one DELETE of the rowids that a walk of J_task finds below the task's keep-th newest id,
 *            oldest first, at most max
 * Every value is a bound parameter; only the checked table name and status numbers (0-31, from the bits of
 * the query) become SQL text. test_store_sqlite checks the plans. */
#ifdef ASYNCZ_WITH_SQLITE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/sqlite_internal.h"
#include "util/sql.h"

#define COLUMNS "id, task_id, at, end_at, status, who, data"

/* Statement texts; "{T}" (AZ_SQL_TABLE) is here the journal's table, T_runs or T_audit. */
static const char *const journal_text[AZ_SJ_LIST] = {
    [AZ_SJ_PUT] =
        "INSERT INTO \"{T}\" (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, at = excluded.at, "
        "end_at = excluded.end_at, status = excluded.status, who = excluded.who, data = excluded.data",
    [AZ_SJ_GET] = "SELECT " COLUMNS " FROM \"{T}\" WHERE id = ?1",
    [AZ_SJ_PRUNE_AGE] = "DELETE FROM \"{T}\" WHERE rowid IN "
                        "(SELECT rowid FROM \"{T}\" WHERE end_at < ?1 ORDER BY end_at LIMIT ?2)",
    [AZ_SJ_TRIM_TASK] =
        "DELETE FROM \"{T}\" WHERE rowid IN (SELECT rowid FROM \"{T}\" WHERE task_id = ?1 AND "
        "id < (SELECT id FROM \"{T}\" WHERE task_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2) "
        "ORDER BY id LIMIT ?3)",
};

/* What each statement was doing, for messages ("sqlite PATH (T): journal runs: put: ..."). */
static const char *const journal_what[AZ_JOURNAL_COUNT][AZ_SJ_COUNT_] = {
    [AZ_JOURNAL_RUNS] = {"journal runs: put", "journal runs: get", "journal runs: prune by age",
                         "journal runs: trim a task", "journal runs: list"},
    [AZ_JOURNAL_AUDIT] = {"journal audit: put", "journal audit: get", "journal audit: prune by age",
                          "journal audit: trim a task", "journal audit: list"},
};

/* Parameters of a listing: each is in the text only when its filter is set (the limit always). */
enum { P_TASK = 1, P_SINCE = 2, P_UNTIL = 3, P_WHO = 4, P_BEFORE = 5, P_LIMIT = 6 };

static az_sqlite *SQ(az_backend *b)
{
    return (az_sqlite *)b;
}

static int check_journal(az_sqlite *b, az_journal j)
{
    if ((unsigned)j < AZ_JOURNAL_COUNT)
        return 0;
    return az_store_fail(ASYNCZ_EINVAL, "%s: no journal number %d", b->label, (int)j);
}

/* text with "{T}" replaced by journal j's table (malloc'd; NULL when out of memory). */
static char *journal_sql(az_sqlite *b, az_journal j, const char *text)
{
    /* The table name was checked at construction: letters, digits and '_', at most 63 of them. */
    char table[256];
    snprintf(table, sizeof table, "%s_%s", b->table, az_journal_name(j));
    return az_sql_with_table(text, table);
}

/* Prepare text (with "{T}") for statement q of journal j, to be kept. */
static int prepare_text(az_sqlite *b, az_journal j, const char *text, az_sqlite_jq q, sqlite3_stmt **out)
{
    char *sql = journal_sql(b, j, text);
    if (!sql)
        return ASYNCZ_ENOMEM;
    int rc = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    free(sql);
    if (rc != SQLITE_OK) {
        *out = NULL;
        return az_sqlite_fail(b, journal_what[j][q], sqlite3_extended_errcode(b->db));
    }
    return 0;
}

/* The kept statement q (one with a fixed text: before AZ_SJ_LIST) of journal j, prepared on first use
 * (connected already). */
static int journal_stmt(az_sqlite *b, az_journal j, az_sqlite_jq q, sqlite3_stmt **out)
{
    if (!b->jstmts[j][q]) {
        int rc = prepare_text(b, j, journal_text[q], q, &b->jstmts[j][q]);
        if (rc)
            return rc;
    }
    *out = b->jstmts[j][q];
    return 0;
}

/* Connected (or reconnected) and statement q of journal j prepared. */
static int ready_stmt(az_sqlite *b, az_journal j, az_sqlite_jq q, sqlite3_stmt **out)
{
    int rc = check_journal(b, j);
    if (!rc)
        rc = az_sqlite_ready(b);
    return rc ? rc : journal_stmt(b, j, q, out);
}

/* A count (max, limit) as SQLite's integer. */
static void bind_count(sqlite3_stmt *s, int i, size_t n)
{
    sqlite3_bind_int64(s, i, n > INT64_MAX ? INT64_MAX : (int64_t)n);
}

/* ---- reading entries ----------------------------------------------------------------------------------- */

/* Pass the rows of s (COLUMNS) to each, in the statement's order, counting them in *rows (may be NULL);
 * resets s. */
static int each_entry(az_sqlite *b, sqlite3_stmt *s, const char *what, az_jentry_fn each, void *userdata,
                      size_t *rows)
{
    int rc;
    while ((rc = az_sqlite_step(b, s, what)) == 1) {
        az_jentry e = {.id = (const char *)sqlite3_column_text(s, 0),
                       .task_id = (const char *)sqlite3_column_text(s, 1),
                       .at = sqlite3_column_int64(s, 2),
                       .end_at = sqlite3_column_int64(s, 3),
                       .status = sqlite3_column_int(s, 4),
                       .who = (const char *)sqlite3_column_text(s, 5)};
        e.data = az_sqlite_column_blob(s, 6, &e.len);
        if (rows)
            ++*rows;
        if ((rc = each(&e, userdata)) != 0)
            break;
    }
    az_sqlite_done(s);
    return rc;
}

int az_sqlite_journal_get(az_backend *base, az_journal j, const char *id, az_jentry_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = ready_stmt(b, j, AZ_SJ_GET, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, id);
    size_t rows = 0;
    rc = each_entry(b, s, journal_what[j][AZ_SJ_GET], each, userdata, &rows);
    return rc ? rc : rows ? 0 : ASYNCZ_ENOTFOUND;
}

/* ---- listing ------------------------------------------------------------------------------------------- */

/* The text of a listing, built in a fixed buffer: 32 branches of at most about 160 characters fit. */
#define LIST_SQL_MAX 8192

typedef struct list_sql {
    char text[LIST_SQL_MAX];
    size_t len;
    bool cut; /* the text did not fit (never expected: see LIST_SQL_MAX) */
} list_sql;

static void add_sql(list_sql *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_sql(list_sql *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof t->text - t->len)
        t->cut = true;
    else
        t->len += (size_t)n;
}

/* The conditions every branch shares: those no index of the listing serves, and the page's bound on id. */
static void add_common(list_sql *t, const az_jquery *q)
{
    if (q->since != ASYNCZ_TIME_NONE)
        add_sql(t, " AND at >= ?%d", P_SINCE);
    if (q->until != ASYNCZ_TIME_NONE)
        add_sql(t, " AND at < ?%d", P_UNTIL);
    if (q->who)
        add_sql(t, " AND who = ?%d", P_WHO);
    if (q->before)
        add_sql(t, " AND id < ?%d", P_BEFORE);
}

/* A task's entries: J_task, the statuses checked on each row. */
static void add_task_branch(list_sql *t, const az_jquery *q)
{
    add_sql(t, "SELECT " COLUMNS " FROM \"{T}\" WHERE task_id = ?%d", P_TASK);
    if (q->statuses) {
        const char *sep = " AND +status IN (";
        for (int st = 0; st < 32; st++)
            if (q->statuses & (1u << st)) {
                add_sql(t, "%s%d", sep, st);
                sep = ", ";
            }
        add_sql(t, ")");
    }
    add_common(t, q);
}

/* One branch per status wanted, each a range of J_status; SQLite merges them newest first. */
static void add_status_branches(list_sql *t, const az_jquery *q)
{
    const char *sep = "";
    for (int st = 0; st < 32; st++)
        if (q->statuses & (1u << st)) {
            add_sql(t, "%sSELECT " COLUMNS " FROM \"{T}\" WHERE status = %d", sep, st);
            add_common(t, q);
            sep = " UNION ALL ";
        }
}

/* Every entry: the primary key, backwards. */
static void add_all_branch(list_sql *t, const az_jquery *q)
{
    add_sql(t, "SELECT " COLUMNS " FROM \"{T}\" WHERE 1");
    add_common(t, q);
}

static void build_list(list_sql *t, const az_jquery *q)
{
    if (q->task_id)
        add_task_branch(t, q);
    else if (q->statuses)
        add_status_branches(t, q);
    else
        add_all_branch(t, q);
    add_sql(t, " ORDER BY id DESC LIMIT ?%d", P_LIMIT);
}

/* Whether the kept listing of journal j is the one text (with "{T}") would prepare. */
static bool kept_list_is(az_sqlite *b, az_journal j, const char *text)
{
    sqlite3_stmt *kept = b->jstmts[j][AZ_SJ_LIST];
    if (!kept)
        return false;
    char *sql = journal_sql(b, j, text);
    bool same = sql && strcmp(sqlite3_sql(kept), sql) == 0;
    free(sql);
    return same;
}

/* The statement for q: the kept listing when it has the same text, else a new one kept in its place. */
static int list_stmt(az_sqlite *b, az_journal j, const az_jquery *q, sqlite3_stmt **out)
{
    list_sql *t = calloc(1, sizeof *t);
    if (!t)
        return ASYNCZ_ENOMEM;
    build_list(t, q);
    int rc = 0;
    if (t->cut)
        rc = az_store_fail(ASYNCZ_ESTORE, "%s: %s: the query text is too long", b->label,
                           journal_what[j][AZ_SJ_LIST]);
    else if (!kept_list_is(b, j, t->text)) {
        sqlite3_finalize(b->jstmts[j][AZ_SJ_LIST]);
        b->jstmts[j][AZ_SJ_LIST] = NULL;
        rc = prepare_text(b, j, t->text, AZ_SJ_LIST, &b->jstmts[j][AZ_SJ_LIST]);
    }
    free(t);
    *out = b->jstmts[j][AZ_SJ_LIST];
    return rc;
}

static void bind_query(sqlite3_stmt *s, const az_jquery *q)
{
    if (q->task_id)
        az_sqlite_bind_text(s, P_TASK, q->task_id);
    if (q->since != ASYNCZ_TIME_NONE)
        sqlite3_bind_int64(s, P_SINCE, q->since);
    if (q->until != ASYNCZ_TIME_NONE)
        sqlite3_bind_int64(s, P_UNTIL, q->until);
    if (q->who)
        az_sqlite_bind_text(s, P_WHO, q->who);
    if (q->before)
        az_sqlite_bind_text(s, P_BEFORE, q->before);
    bind_count(s, P_LIMIT, q->limit);
}

int az_sqlite_journal_list(az_backend *base, az_journal j, const az_jquery *q, az_jentry_fn each,
                           void *userdata)
{
    az_sqlite *b = SQ(base);
    int rc = check_journal(b, j);
    if (!rc)
        rc = az_sqlite_ready(b);
    sqlite3_stmt *s = NULL;
    if (!rc)
        rc = list_stmt(b, j, q, &s);
    if (rc)
        return rc;
    bind_query(s, q);
    return each_entry(b, s, journal_what[j][AZ_SJ_LIST], each, userdata, NULL);
}

/* ---- writing ------------------------------------------------------------------------------------------- */

typedef struct put_ctx {
    az_journal j;
    const az_jentry *entries;
    size_t n;
} put_ctx;

static void bind_entry(sqlite3_stmt *s, const az_jentry *e)
{
    az_sqlite_bind_text(s, 1, e->id);
    az_sqlite_bind_text(s, 2, e->task_id);
    sqlite3_bind_int64(s, 3, e->at);
    sqlite3_bind_int64(s, 4, e->end_at);
    sqlite3_bind_int(s, 5, e->status);
    az_sqlite_bind_text(s, 6, e->who ? e->who : "");
    az_sqlite_bind_blob(s, 7, e->data, e->len);
}

static int put_body(az_sqlite *b, void *ctx)
{
    put_ctx *p = ctx;
    sqlite3_stmt *s = NULL;
    int rc = journal_stmt(b, p->j, AZ_SJ_PUT, &s);
    for (size_t i = 0; i < p->n && !rc; i++) {
        bind_entry(s, &p->entries[i]);
        rc = az_sqlite_exec(b, s, journal_what[p->j][AZ_SJ_PUT], NULL);
    }
    return rc;
}

/* The whole batch in one write transaction: one commit for all (the contract would allow less, and this
 * costs nothing more). A failure rolls the batch back. */
int az_sqlite_journal_put(az_backend *base, az_journal j, const az_jentry *entries, size_t n)
{
    az_sqlite *b = SQ(base);
    int rc = check_journal(b, j);
    if (rc || n == 0)
        return rc;
    put_ctx p = {.j = j, .entries = entries, .n = n};
    return az_sqlite_write(b, journal_what[j][AZ_SJ_PUT], n == 1, put_body, &p);
}

/* Run the bound one-statement delete s; *removed: the rows it deleted. */
static int run_delete(az_sqlite *b, sqlite3_stmt *s, const char *what, size_t *removed)
{
    int changes = 0;
    int rc = az_sqlite_exec(b, s, what, &changes);
    if (!rc)
        *removed = (size_t)changes;
    return rc;
}

int az_sqlite_journal_prune_age(az_backend *base, az_journal j, asyncz_time_t cutoff, size_t max,
                                size_t *removed)
{
    az_sqlite *b = SQ(base);
    *removed = 0;
    sqlite3_stmt *s = NULL;
    int rc = ready_stmt(b, j, AZ_SJ_PRUNE_AGE, &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, cutoff);
    bind_count(s, 2, max);
    return run_delete(b, s, journal_what[j][AZ_SJ_PRUNE_AGE], removed);
}

int az_sqlite_journal_trim_task(az_backend *base, az_journal j, const char *task_id, size_t keep, size_t max,
                                size_t *removed)
{
    az_sqlite *b = SQ(base);
    *removed = 0;
    if (keep == 0)
        return az_store_fail(ASYNCZ_EINVAL, "%s: trim a task: keep must be at least 1", b->label);
    sqlite3_stmt *s = NULL;
    int rc = ready_stmt(b, j, AZ_SJ_TRIM_TASK, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, task_id);
    bind_count(s, 2, keep - 1); /* the offset of the oldest entry kept, newest first */
    bind_count(s, 3, max);
    return run_delete(b, s, journal_what[j][AZ_SJ_TRIM_TASK], removed);
}

#endif
