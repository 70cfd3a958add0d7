/* The MariaDB backend's journals (backend.h, "journals"): run history and the audit trail, an InnoDB table
 * each ("T_runs", "T_audit") with the entry's columns in the clear and its bytes in a blob. Puts are
 * multi-row upserts of up to 256 rows a statement; listings are built from the filters a query sets, every
 * value a bound parameter; pruning is DELETE ... ORDER BY ... LIMIT. docs/stores.md describes the layout. */
#ifdef ASYNCZ_WITH_MARIADB

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/mariadb_internal.h"
#include "util/sql.h"

#define JOURNAL_COLS "id, task_id, at, end_at, status, who, data"
#define JOURNAL_KINDS "ttiiitt"
enum { JC_ID, JC_TASK, JC_AT, JC_END, JC_STATUS, JC_WHO, JC_DATA, JC_COUNT };

#define NAME_MAX_BYTES 255u /* task_id and who: the columns' width */
/* Room left in a packet for what a statement sends beside the entries' values (its header, the
 * parameters' types and lengths): puts fill the server's max_allowed_packet up to this much below it. */
#define PACKET_SLACK 65536ull
/* A value's share of that (type, length prefix) and the integer columns of a row, per row. */
#define ROW_OVERHEAD 64u
/* A listing binds at most: task, 32 statuses, since, until, who, before, limit. */
#define LIST_PARAMS_MAX 38

static az_maria *M(az_backend *b)
{
    return (az_maria *)b;
}

/* The journal's table, "T_runs" or "T_audit": the validated table name and a fixed suffix, so it is a
 * valid name itself (mariadb.c keeps the table name short enough for "_quarantine", a longer suffix). */
static void journal_table(const az_maria *m, az_journal j, char out[80])
{
    snprintf(out, 80, "%s_%s", m->table, az_journal_name(j));
}

/* ---- schema ---------------------------------------------------------------------------------------- */

/* ids are BINARY(36): UUIDv7 texts of exactly 36 bytes that compare byte for byte, without the character
 * set conversions a CHAR column would apply to a parameter. InnoDB keeps the primary key in every
 * secondary index, so by_end is (end_at, id) and serves "oldest end_at first" in a stable order. */
static const char journal_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS `{T}` (id BINARY(36) NOT NULL, task_id VARBINARY(255) NOT NULL, "
    "at BIGINT NOT NULL, end_at BIGINT NOT NULL, status TINYINT UNSIGNED NOT NULL, who VARBINARY(255) NOT "
    "NULL, "
    "data MEDIUMBLOB NOT NULL, PRIMARY KEY (id), KEY by_task (task_id, id), KEY by_status (status, id), "
    "KEY by_end (end_at)) ENGINE=InnoDB";

int az_maria_journal_schema(az_maria *m)
{
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        char table[80];
        journal_table(m, (az_journal)j, table);
        char *sql = az_sql_with_table(journal_schema_sql, table);
        int rc = sql ? az_maria_query(m, sql, "create journal tables")
                     : az_store_fail(ASYNCZ_ENOMEM, "%s: create journal tables: out of memory", m->where);
        free(sql);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- statements ------------------------------------------------------------------------------------ */

static const char *const jstmt_sql[AZ_MJ_COUNT_IDS] = {
    [AZ_MJ_GET] = "SELECT " JOURNAL_COLS " FROM `{T}` WHERE id = ?",
    [AZ_MJ_PRUNE_AGE] = "DELETE FROM `{T}` WHERE end_at < ? ORDER BY end_at, id LIMIT ?",
    /* The task's entries at or below its (keep+1)-th newest id, oldest first: both parts read by_task, in
     * its order ("ORDER BY id" alone would make the DELETE sort the task's rows first). */
    [AZ_MJ_TRIM_TASK] =
        "DELETE FROM `{T}` WHERE task_id = ? AND id <= (SELECT id FROM `{T}` WHERE task_id = ? "
        "ORDER BY id DESC LIMIT 1 OFFSET ?) ORDER BY task_id, id LIMIT ?",
};

static const char *const jstmt_what[AZ_MJ_COUNT_IDS] = {
    [AZ_MJ_GET] = "SELECT journal entry",
    [AZ_MJ_PRUNE_AGE] = "DELETE old journal entries",
    [AZ_MJ_TRIM_TASK] = "DELETE a task's oldest journal entries",
};

static void close_stmt(MYSQL_STMT **s)
{
    if (*s)
        mysql_stmt_close(*s);
    *s = NULL;
}

void az_maria_journal_forget(az_maria *m)
{
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        for (int i = 0; i < AZ_MJ_COUNT_IDS; i++)
            close_stmt(&m->jstmt[j][i]);
        for (int i = 0; i < AZ_MARIA_IN_BUCKETS; i++)
            close_stmt(&m->jput[j][i]);
    }
    for (size_t i = 0; i < AZ_MARIA_JLIST_CACHE; i++) {
        close_stmt(&m->jlist[i].s);
        free(m->jlist[i].sql);
        m->jlist[i].sql = NULL;
    }
    m->jlist_next = 0;
}

/* Connected (again, if need be), with the journal's statement id prepared. */
static int jbegin(az_maria *m, az_journal j, az_maria_jstmt_id id, MYSQL_STMT **out)
{
    int rc = az_maria_ready(m);
    if (rc)
        return rc;
    if (!m->jstmt[j][id]) {
        char table[80];
        journal_table(m, j, table);
        rc = az_maria_prepare(m, jstmt_sql[id], table, jstmt_what[id], &m->jstmt[j][id]);
        if (rc)
            return rc;
    }
    *out = m->jstmt[j][id];
    return 0;
}

/* ---- put ------------------------------------------------------------------------------------------- */

/* "INSERT ... VALUES (row), ... ON DUPLICATE KEY UPDATE ...": rows placeholders rows. An upsert replaces
 * every column, so an entry is always whole (the row is locked while it changes). */
static char *put_sql(size_t rows)
{
    static const char head[] = "INSERT INTO `{T}` (" JOURNAL_COLS ") VALUES ";
    static const char row[] = "(?,?,?,?,?,?,?)";
    static const char tail[] = " ON DUPLICATE KEY UPDATE task_id = VALUES(task_id), at = VALUES(at), "
                               "end_at = VALUES(end_at), status = VALUES(status), who = VALUES(who), "
                               "data = VALUES(data)";
    size_t size = sizeof head + rows * sizeof row + sizeof tail;
    char *sql = malloc(size);
    if (!sql)
        return NULL;
    size_t at = (size_t)snprintf(sql, size, "%s", head);
    for (size_t i = 0; i < rows; i++)
        at += (size_t)snprintf(sql + at, size - at, "%s%s", i ? "," : "", row);
    snprintf(sql + at, size - at, "%s", tail);
    return sql;
}

/* The put statement for 2^bucket rows of journal j. */
static int put_stmt(az_maria *m, az_journal j, size_t bucket, MYSQL_STMT **out)
{
    if (!m->jput[j][bucket]) {
        char *tpl = put_sql((size_t)1 << bucket), table[80];
        if (!tpl)
            return az_store_fail(ASYNCZ_ENOMEM, "%s: INSERT journal entries: out of memory", m->where);
        journal_table(m, j, table);
        int rc = az_maria_prepare(m, tpl, table, "INSERT journal entries", &m->jput[j][bucket]);
        free(tpl);
        if (rc)
            return rc;
    }
    *out = m->jput[j][bucket];
    return 0;
}

/* What an entry adds to a put's packet, near enough. */
static size_t entry_cost(const az_jentry *e)
{
    return e->len + strlen(e->task_id) + strlen(e->who ? e->who : "") + AZ_JOURNAL_ID_LEN + ROW_OVERHEAD;
}

/* The most bytes of entries one statement may carry: what the server takes, less the slack. */
static size_t packet_budget(const az_maria *m)
{
    unsigned long long max = m->max_packet ? m->max_packet : 16ull << 20; /* the server's default */
    return max > PACKET_SLACK ? (size_t)(max - PACKET_SLACK) : 0;
}

/* The entry as the columns take it, or ASYNCZ_EINVAL / ASYNCZ_ETOOBIG saying what is wrong with it. An
 * entry over the server's max_allowed_packet would make the server drop the connection: refuse it here. */
static int check_entry(const az_maria *m, az_journal j, const az_jentry *e)
{
    const char *jn = az_journal_name(j);
    if (!e->id || strlen(e->id) != AZ_JOURNAL_ID_LEN)
        return az_store_fail(ASYNCZ_EINVAL, "%s: %s entry id \"%s\": ids have %d characters", m->where, jn,
                             e->id ? e->id : "(null)", AZ_JOURNAL_ID_LEN);
    size_t task_len = e->task_id ? strlen(e->task_id) : 0, who_len = e->who ? strlen(e->who) : 0;
    if (task_len < 1 || task_len > NAME_MAX_BYTES || who_len > NAME_MAX_BYTES)
        return az_store_fail(ASYNCZ_EINVAL, "%s: %s entry %s: a task id has 1-%u bytes, a who at most %u",
                             m->where, jn, e->id, NAME_MAX_BYTES, NAME_MAX_BYTES);
    if (e->status < 0 || e->status > 31)
        return az_store_fail(ASYNCZ_EINVAL, "%s: %s entry %s: status %d is not 0-31", m->where, jn, e->id,
                             e->status);
    if (e->len > AZ_JOURNAL_MAX)
        return az_store_fail(ASYNCZ_ETOOBIG, "%s: %s entry %s has %zu bytes: at most %u", m->where, jn, e->id,
                             e->len, (unsigned)AZ_JOURNAL_MAX);
    if (entry_cost(e) > packet_budget(m))
        return az_store_fail(ASYNCZ_ETOOBIG,
                             "%s: %s entry %s has %zu bytes: more than the server's max_allowed_packet "
                             "(%llu bytes) lets through; raise max_allowed_packet",
                             m->where, jn, e->id, e->len, m->max_packet);
    return 0;
}

/* How many of e[0..n) the next statement takes: the largest power of two up to AZ_MARIA_IN_MAX whose
 * entries fit the budget (at least one). A batch of 1,000 goes as 256 + 256 + 256 + 128 + 64 + 32 + 8. */
static size_t chunk_rows(const az_jentry *e, size_t n, size_t budget, size_t *bucket)
{
    size_t k = 1, bytes = entry_cost(&e[0]);
    *bucket = 0;
    while (k * 2 <= n && k * 2 <= AZ_MARIA_IN_MAX) {
        size_t more = 0;
        for (size_t i = k; i < 2 * k; i++)
            more += entry_cost(&e[i]);
        if (bytes + more > budget)
            break;
        bytes += more;
        k *= 2;
        ++*bucket;
    }
    return k;
}

/* The parameters of one row, and where their lengths and values live while the statement runs. */
typedef struct put_row {
    unsigned long id_len, task_len, who_len, data_len;
    long long at, end_at, status;
} put_row;

static void bind_row(MYSQL_BIND *p, put_row *v, const az_jentry *e)
{
    v->at = e->at;
    v->end_at = e->end_at;
    v->status = e->status;
    v->data_len = (unsigned long)e->len;
    az_maria_bind_text(&p[JC_ID], e->id, &v->id_len);
    az_maria_bind_text(&p[JC_TASK], e->task_id, &v->task_len);
    az_maria_bind_i64(&p[JC_AT], &v->at);
    az_maria_bind_i64(&p[JC_END], &v->end_at);
    az_maria_bind_i64(&p[JC_STATUS], &v->status);
    az_maria_bind_text(&p[JC_WHO], e->who ? e->who : "", &v->who_len);
    az_maria_bind_blob(&p[JC_DATA], e->data, &v->data_len);
}

/* Upsert e[0..n) (a power of two) with one statement; p and v have room for n rows. */
static int put_chunk(az_maria *m, az_journal j, const az_jentry *e, size_t n, size_t bucket, MYSQL_BIND *p,
                     put_row *v)
{
    MYSQL_STMT *s = NULL;
    int rc = put_stmt(m, j, bucket, &s);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        bind_row(p + i * JC_COUNT, &v[i], &e[i]);
    return az_maria_exec(m, s, p, "INSERT journal entries");
}

/* A batch of several statements is one transaction: one commit (and log flush) instead of one a
 * statement. The connection is made before it starts, as for insert_many. */
static int put_chunks(az_maria *m, az_journal j, const az_jentry *e, size_t n, MYSQL_BIND *p, put_row *v)
{
    size_t budget = packet_budget(m), bucket, k = chunk_rows(e, n, budget, &bucket);
    bool txn = k < n;
    int rc = txn ? az_maria_query(m, "START TRANSACTION", "journal: START TRANSACTION") : 0;
    for (size_t at = 0; !rc && at < n; at += k) {
        k = chunk_rows(e + at, n - at, budget, &bucket);
        rc = put_chunk(m, j, e + at, k, bucket, p, v);
    }
    if (!txn)
        return rc;
    if (rc)
        return az_maria_rollback(m, rc);
    return az_maria_commit(m, "journal: COMMIT");
}

int az_maria_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n)
{
    az_maria *m = M(b);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = check_entry(m, j, &entries[i]);
    if (!rc && n > 0)
        rc = az_maria_ready(m);
    if (rc || n == 0)
        return rc;
    size_t rows = n < AZ_MARIA_IN_MAX ? n : AZ_MARIA_IN_MAX;
    MYSQL_BIND *p = calloc(rows * JC_COUNT, sizeof *p);
    put_row *v = calloc(rows, sizeof *v);
    if (p && v)
        rc = put_chunks(m, j, entries, n, p, v);
    else
        rc = az_store_fail(ASYNCZ_ENOMEM, "%s: INSERT journal entries: out of memory", m->where);
    free(p);
    free(v);
    return rc;
}

/* ---- reading --------------------------------------------------------------------------------------- */

static int emit_entry(const az_maria_result *r, az_jentry_fn each, void *userdata)
{
    az_jentry e = {
        .id = (const char *)r->col[JC_ID].buf,
        .task_id = (const char *)r->col[JC_TASK].buf,
        .at = r->col[JC_AT].i64,
        .end_at = r->col[JC_END].i64,
        .status = (int)r->col[JC_STATUS].i64,
        .who = (const char *)r->col[JC_WHO].buf,
        .data = r->col[JC_DATA].buf,
        .len = r->col[JC_DATA].len,
    };
    return each(&e, userdata);
}

/* Pass the rows of the executed statement s to each; *rows: how many. Returns what each returned when it
 * stopped (the rest of the rows are discarded). */
static int stream_entries(az_maria *m, MYSQL_STMT *s, az_jentry_fn each, void *userdata, size_t *rows,
                          const char *what)
{
    az_maria_result r;
    int rc = az_maria_result_init(m, &r, s, JOURNAL_KINDS, what), stop = 0;
    while (!rc && !stop && (rc = az_maria_result_next(m, &r, what)) == 0) {
        ++*rows;
        stop = emit_entry(&r, each, userdata);
    }
    az_maria_result_done(&r);
    return stop ? stop : rc == 1 ? 0 : rc;
}

int az_maria_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = jbegin(m, j, AZ_MJ_GET, &s);
    if (rc)
        return rc;
    unsigned long idlen;
    MYSQL_BIND p[1];
    az_maria_bind_text(&p[0], id, &idlen);
    size_t rows = 0;
    rc = az_maria_exec(m, s, p, "SELECT journal entry");
    if (!rc)
        rc = stream_entries(m, s, each, userdata, &rows, "SELECT journal entry");
    return rc ? rc : rows ? 0 : ASYNCZ_ENOTFOUND;
}

/* ---- listing --------------------------------------------------------------------------------------- */

/* A listing's statement text and its parameters, built from the filters set. */
typedef struct list_build {
    char sql[1024];
    size_t len;
    size_t nconds;
    MYSQL_BIND p[LIST_PARAMS_MAX];
    size_t np;
    unsigned long lens[3];
    long long ints[3 + 32];
    unsigned long long limit;
} list_build;

static void add_text(list_build *lb, const char *text)
{
    lb->len += (size_t)snprintf(lb->sql + lb->len, sizeof lb->sql - lb->len, "%s", text);
}

/* One condition, ANDed to the others. */
static void add_cond(list_build *lb, const char *cond)
{
    add_text(lb, lb->nconds++ ? " AND " : " WHERE ");
    add_text(lb, cond);
}

static void bind_text_param(list_build *lb, const char *s, size_t slot)
{
    az_maria_bind_text(&lb->p[lb->np++], s, &lb->lens[slot]);
}

static void bind_int_param(list_build *lb, long long v, size_t slot)
{
    lb->ints[slot] = v;
    az_maria_bind_i64(&lb->p[lb->np++], &lb->ints[slot]);
}

/* "status = ?" for one status (so by_status gives the order), "status IN (?, ...)" for several. */
static void add_statuses(list_build *lb, uint32_t statuses)
{
    size_t n = 0;
    add_text(lb, lb->nconds++ ? " AND status" : " WHERE status");
    for (int st = 0; st < 32; st++) {
        if (!(statuses & (1u << st)))
            continue;
        bind_int_param(lb, st, 3 + n);
        n++;
    }
    if (n == 1) {
        add_text(lb, " = ?");
        return;
    }
    for (size_t i = 0; i < n; i++)
        add_text(lb, i ? ",?" : " IN (?");
    add_text(lb, ")");
}

static void build_list(list_build *lb, const az_jquery *q)
{
    add_text(lb, "SELECT " JOURNAL_COLS " FROM `{T}`");
    if (q->task_id) {
        add_cond(lb, "task_id = ?");
        bind_text_param(lb, q->task_id, 0);
    }
    if (q->statuses)
        add_statuses(lb, q->statuses);
    if (q->since != ASYNCZ_TIME_NONE) {
        add_cond(lb, "at >= ?");
        bind_int_param(lb, q->since, 0);
    }
    if (q->until != ASYNCZ_TIME_NONE) {
        add_cond(lb, "at < ?");
        bind_int_param(lb, q->until, 1);
    }
    if (q->who) {
        add_cond(lb, "who = ?");
        bind_text_param(lb, q->who, 1);
    }
    if (q->before) {
        add_cond(lb, "id < ?");
        bind_text_param(lb, q->before, 2);
    }
    add_text(lb, " ORDER BY id DESC LIMIT ?");
    lb->limit = q->limit;
    az_maria_bind_u64(&lb->p[lb->np++], &lb->limit);
}

/* The prepared statement for a listing's text, from the cache or prepared now (replacing the oldest). */
static int list_stmt(az_maria *m, az_journal j, const char *tpl, MYSQL_STMT **out)
{
    char table[80];
    journal_table(m, j, table);
    char *sql = az_sql_with_table(tpl, table);
    if (!sql)
        return az_store_fail(ASYNCZ_ENOMEM, "%s: SELECT journal entries: out of memory", m->where);
    for (size_t i = 0; i < AZ_MARIA_JLIST_CACHE; i++) {
        if (m->jlist[i].sql && strcmp(m->jlist[i].sql, sql) == 0) {
            free(sql);
            *out = m->jlist[i].s;
            return 0;
        }
    }
    az_maria_jlist_stmt *slot = &m->jlist[m->jlist_next];
    m->jlist_next = (m->jlist_next + 1) % AZ_MARIA_JLIST_CACHE;
    close_stmt(&slot->s);
    free(slot->sql);
    slot->sql = NULL;
    int rc = az_maria_prepare(m, tpl, table, "SELECT journal entries", &slot->s);
    if (rc) {
        free(sql);
        return rc;
    }
    slot->sql = sql;
    *out = slot->s;
    return 0;
}

int az_maria_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata)
{
    az_maria *m = M(b);
    int rc = az_maria_ready(m);
    if (rc || q->limit == 0)
        return rc;
    list_build *lb = calloc(1, sizeof *lb);
    if (!lb)
        return az_store_fail(ASYNCZ_ENOMEM, "%s: SELECT journal entries: out of memory", m->where);
    build_list(lb, q);
    MYSQL_STMT *s = NULL;
    size_t rows = 0;
    rc = list_stmt(m, j, lb->sql, &s);
    if (!rc)
        rc = az_maria_exec(m, s, lb->p, "SELECT journal entries");
    if (!rc)
        rc = stream_entries(m, s, each, userdata, &rows, "SELECT journal entries");
    free(lb);
    return rc;
}

/* ---- pruning --------------------------------------------------------------------------------------- */

int az_maria_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max, size_t *removed)
{
    az_maria *m = M(b);
    *removed = 0;
    MYSQL_STMT *s = NULL;
    int rc = max ? jbegin(m, j, AZ_MJ_PRUNE_AGE, &s) : 0;
    if (rc || !max)
        return rc;
    long long before = cutoff;
    unsigned long long limit = max, rows = 0;
    MYSQL_BIND p[2];
    az_maria_bind_i64(&p[0], &before);
    az_maria_bind_u64(&p[1], &limit);
    rc = az_maria_write(m, s, p, "DELETE old journal entries", &rows);
    if (!rc)
        *removed = (size_t)rows;
    return rc;
}

int az_maria_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                               size_t *removed)
{
    az_maria *m = M(b);
    *removed = 0;
    MYSQL_STMT *s = NULL;
    int rc = max ? jbegin(m, j, AZ_MJ_TRIM_TASK, &s) : 0;
    if (rc || !max)
        return rc;
    unsigned long len1, len2;
    unsigned long long offset = keep, limit = max, rows = 0;
    MYSQL_BIND p[4];
    az_maria_bind_text(&p[0], task_id, &len1);
    az_maria_bind_text(&p[1], task_id, &len2);
    az_maria_bind_u64(&p[2], &offset);
    az_maria_bind_u64(&p[3], &limit);
    rc = az_maria_write(m, s, p, "DELETE a task's oldest journal entries", &rows);
    if (!rc)
        *removed = (size_t)rows;
    return rc;
}

#endif
