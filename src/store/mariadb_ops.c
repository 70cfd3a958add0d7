/* The MariaDB record backend's operations: records, order, claims, quarantine and heartbeats, each one
 * prepared statement or one short transaction (see mariadb.c for the statements and the connection; the
 * journal ops wired in below are in mariadb_journal.c). */
#ifdef ASYNCZ_WITH_MARIADB

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "asyncz/error.h"
#include "store/mariadb_internal.h"

#define RECORD_KINDS "tiitii" /* id, next_run_time, seq, state, token, lease_until */
#define SCAN_PAGE 1000ull
#define OWNER_MAX 1024u        /* the owner column's width */
#define LIMIT_MAX (1ull << 62) /* "no limit" for LIMIT ? */

enum { COL_ID, COL_NRT, COL_SEQ, COL_STATE, COL_TOKEN, COL_LEASE };

static az_maria *M(az_backend *b)
{
    return (az_maria *)b;
}

/* Connected (again, if need be), with the statement id prepared. */
static int begin(az_maria *m, az_maria_stmt_id id, MYSQL_STMT **s)
{
    int rc = az_maria_ready(m);
    return rc ? rc : az_maria_stmt(m, id, s);
}

static unsigned long long limit_of(size_t max)
{
    return (unsigned long long)max < LIMIT_MAX ? (unsigned long long)max : LIMIT_MAX;
}

/* ---- reading records ------------------------------------------------------------------------------- */

/* A listing in progress: the callback, and where the last row was (for the next page). */
typedef struct stream {
    az_found_fn each;
    void *userdata;
    size_t rows;
    long long last_nrt, last_seq;
    bool stopped; /* the callback returned non-zero */
} stream;

static int emit(const az_maria_result *r, az_found_fn each, void *userdata)
{
    az_found f = {
        .id = (const char *)r->col[COL_ID].buf,
        .next_run_time = az_maria_col_time(&r->col[COL_NRT]),
        .data = r->col[COL_STATE].buf,
        .len = r->col[COL_STATE].len,
        .token = 0,
        .lease_until = ASYNCZ_TIME_NONE,
    };
    return each(&f, userdata);
}

/* Pass the rows of the executed statement s to the stream's callback. */
static int stream_rows(az_maria *m, MYSQL_STMT *s, stream *st, const char *what)
{
    az_maria_result r;
    int rc = az_maria_result_init(m, &r, s, RECORD_KINDS, what);
    while (!rc && (rc = az_maria_result_next(m, &r, what)) == 0) {
        st->rows++;
        st->last_nrt = r.col[COL_NRT].i64;
        st->last_seq = r.col[COL_SEQ].i64;
        rc = emit(&r, st->each, st->userdata);
        st->stopped = rc != 0;
    }
    az_maria_result_done(&r);
    return rc == 1 && !st->stopped ? 0 : rc;
}

static int get(az_backend *b, const char *id, az_found_fn each, void *userdata)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_GET, &s);
    if (rc)
        return rc;
    unsigned long idlen;
    MYSQL_BIND p[1];
    az_maria_bind_text(&p[0], id, &idlen);
    stream st = {.each = each, .userdata = userdata};
    rc = az_maria_exec(m, s, p, "SELECT task");
    if (!rc)
        rc = stream_rows(m, s, &st, "SELECT task");
    if (!rc && st.rows == 0)
        return ASYNCZ_ENOTFOUND;
    return rc;
}

/* One page of the tasks that have a next run time, after the stream's last one. */
static int scan_timed_page(az_maria *m, stream *st)
{
    MYSQL_STMT *s = NULL;
    int rc = az_maria_stmt(m, AZ_MQ_SCAN_TIMED, &s);
    if (rc)
        return rc;
    long long nrt = st->last_nrt, nrt2 = st->last_nrt, seq = st->last_seq;
    unsigned long long limit = SCAN_PAGE;
    MYSQL_BIND p[4];
    az_maria_bind_i64(&p[0], &nrt);
    az_maria_bind_i64(&p[1], &nrt2);
    az_maria_bind_i64(&p[2], &seq);
    az_maria_bind_u64(&p[3], &limit);
    st->rows = 0;
    rc = az_maria_exec(m, s, p, "SELECT tasks");
    return rc ? rc : stream_rows(m, s, st, "SELECT tasks");
}

/* One page of the paused tasks, by seq. */
static int scan_paused_page(az_maria *m, stream *st)
{
    MYSQL_STMT *s = NULL;
    int rc = az_maria_stmt(m, AZ_MQ_SCAN_PAUSED, &s);
    if (rc)
        return rc;
    long long seq = st->last_seq;
    unsigned long long limit = SCAN_PAGE;
    MYSQL_BIND p[2];
    az_maria_bind_i64(&p[0], &seq);
    az_maria_bind_u64(&p[1], &limit);
    st->rows = 0;
    rc = az_maria_exec(m, s, p, "SELECT paused tasks");
    return rc ? rc : stream_rows(m, s, st, "SELECT paused tasks");
}

static int scan_pages(az_maria *m, stream *st)
{
    int rc = 0;
    st->last_nrt = st->last_seq = INT64_MIN;
    do
        rc = scan_timed_page(m, st);
    while (!rc && !st->stopped && st->rows == SCAN_PAGE);
    st->last_seq = INT64_MIN;
    while (!rc && !st->stopped && (rc = scan_paused_page(m, st)) == 0 && st->rows == SCAN_PAGE)
        ;
    return rc;
}

/* Pages are read in one REPEATABLE READ snapshot (the session's level is READ COMMITTED, where each read
 * would see a new one), so a listing is consistent even while other schedulers write. */
static int scan(az_backend *b, az_found_fn each, void *userdata)
{
    az_maria *m = M(b);
    int rc = az_maria_ready(m);
    if (!rc)
        rc = az_maria_query(m, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "list tasks");
    if (!rc)
        rc = az_maria_query(m, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "list tasks");
    if (rc)
        return rc;
    stream st = {.each = each, .userdata = userdata};
    rc = scan_pages(m, &st);
    if (rc)
        return az_maria_rollback(m, rc);
    return az_maria_commit(m, "list tasks");
}

static int due(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_DUE, &s);
    if (rc)
        return rc;
    long long t1 = now, t2 = now;
    unsigned long long limit = limit_of(max);
    MYSQL_BIND p[3];
    az_maria_bind_i64(&p[0], &t1);
    az_maria_bind_i64(&p[1], &t2);
    az_maria_bind_u64(&p[2], &limit);
    stream st = {.each = each, .userdata = userdata};
    rc = az_maria_exec(m, s, p, "SELECT due tasks");
    return rc ? rc : stream_rows(m, s, &st, "SELECT due tasks");
}

/* Run a statement that returns one row of integers into out[0..n). */
static int query_ints(az_maria *m, az_maria_stmt_id id, MYSQL_BIND *params, const char *kinds,
                      az_maria_col *out, const char *what)
{
    MYSQL_STMT *s = NULL;
    int rc = begin(m, id, &s);
    if (!rc)
        rc = az_maria_exec(m, s, params, what);
    if (rc)
        return rc;
    az_maria_result r;
    rc = az_maria_result_init(m, &r, s, kinds, what);
    if (!rc)
        rc = az_maria_result_next(m, &r, what);
    if (rc == 1)
        rc = az_store_fail(ASYNCZ_ESTORE, "%s: %s: no row", m->where, what);
    if (!rc)
        memcpy(out, r.col, r.n * sizeof *out);
    az_maria_result_done(&r);
    return rc;
}

static int earliest(az_backend *b, asyncz_time_t *out)
{
    az_maria_col c[2];
    int rc = query_ints(M(b), AZ_MQ_EARLIEST, NULL, "ii", c, "SELECT earliest");
    if (rc)
        return rc;
    asyncz_time_t run = az_maria_col_time(&c[0]), lease = az_maria_col_time(&c[1]);
    if (run == ASYNCZ_TIME_NONE || (lease != ASYNCZ_TIME_NONE && lease < run))
        run = lease;
    *out = run;
    return 0;
}

static int count(az_backend *b, size_t *out)
{
    az_maria_col c[1];
    int rc = query_ints(M(b), AZ_MQ_COUNT, NULL, "i", c, "SELECT COUNT");
    if (!rc)
        *out = (size_t)c[0].i64;
    return rc;
}

/* ---- writing records ------------------------------------------------------------------------------- */

/* Insert with the prepared statement s, on the connection as it is. */
static int insert_with(az_maria *m, MYSQL_STMT *s, const az_record *rec)
{
    unsigned long idlen, len = (unsigned long)rec->len;
    long long nrt = rec->next_run_time;
    my_bool nrt_null;
    MYSQL_BIND p[3];
    az_maria_bind_text(&p[0], rec->id, &idlen);
    az_maria_bind_time(&p[1], &nrt, &nrt_null);
    az_maria_bind_blob(&p[2], rec->data, &len);
    int rc = az_maria_exec(m, s, p, "INSERT task");
    if (rc && mysql_stmt_errno(s) == ER_DUP_ENTRY)
        return az_store_fail(ASYNCZ_EEXISTS, "%s: a task with id \"%s\" exists", m->where, rec->id);
    return rc;
}

static int insert(az_backend *b, const az_record *rec)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_INSERT, &s);
    return rc ? rc : insert_with(m, s, rec);
}

/* One transaction for the batch. The connection is made (if need be) once, before it starts: a connection
 * lost half-way loses the transaction, and reconnecting then would commit the rest on their own. The
 * sequence hands out seq values outside transactions, so a rolled-back batch skips some, as it may. */
static int insert_many(az_backend *b, const az_record *recs, size_t n)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_INSERT, &s);
    if (!rc)
        rc = az_maria_query(m, "START TRANSACTION", "insert: START TRANSACTION");
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < n; i++)
        rc = insert_with(m, s, &recs[i]);
    if (rc)
        return az_maria_rollback(m, rc);
    return az_maria_commit(m, "insert: COMMIT");
}

static int replace(az_backend *b, const az_record *rec)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_REPLACE, &s);
    if (rc)
        return rc;
    unsigned long idlen, len = (unsigned long)rec->len;
    long long nrt = rec->next_run_time;
    my_bool nrt_null;
    unsigned long long rows = 0;
    MYSQL_BIND p[3];
    az_maria_bind_time(&p[0], &nrt, &nrt_null);
    az_maria_bind_blob(&p[1], rec->data, &len);
    az_maria_bind_text(&p[2], rec->id, &idlen);
    rc = az_maria_write(m, s, p, "UPDATE task", &rows);
    return rc ? rc : rows ? 0 : ASYNCZ_ENOTFOUND;
}

/* A statement that takes one id and writes; ASYNCZ_ENOTFOUND when it matched nothing. */
static int write_by_id(az_maria *m, az_maria_stmt_id id, const char *key, const char *what)
{
    MYSQL_STMT *s = NULL;
    int rc = begin(m, id, &s);
    if (rc)
        return rc;
    unsigned long keylen;
    unsigned long long rows = 0;
    MYSQL_BIND p[1];
    az_maria_bind_text(&p[0], key, &keylen);
    rc = az_maria_write(m, s, p, what, &rows);
    return rc ? rc : rows ? 0 : ASYNCZ_ENOTFOUND;
}

static int remove_one(az_backend *b, const char *id)
{
    return write_by_id(M(b), AZ_MQ_REMOVE, id, "DELETE task");
}

static int remove_all(az_backend *b)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    unsigned long long rows;
    int rc = begin(m, AZ_MQ_REMOVE_ALL, &s);
    return rc ? rc : az_maria_write(m, s, NULL, "DELETE all tasks", &rows);
}

/* ---- claims ---------------------------------------------------------------------------------------- */

/* Ids picked for a claim, 256 bytes each, in order. */
typedef struct id_list {
    char (*v)[256];
    size_t n, cap;
} id_list;

/* A claimed record, copied out before the transaction commits. */
typedef struct held {
    char *id;
    unsigned char *data;
    size_t len;
    asyncz_time_t nrt, lease_until;
    uint64_t token;
} held;

typedef struct held_list {
    held *v;
    size_t n, cap;
} held_list;

static int push_id(id_list *l, const char *id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *grown = realloc(l->v, cap * sizeof *l->v);
        if (!grown)
            return ASYNCZ_ENOMEM;
        l->v = grown;
        l->cap = cap;
    }
    snprintf(l->v[l->n++], sizeof l->v[0], "%s", id);
    return 0;
}

static int push_held(held_list *l, const az_maria_result *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        held *grown = realloc(l->v, cap * sizeof *grown);
        if (!grown)
            return ASYNCZ_ENOMEM;
        l->v = grown;
        l->cap = cap;
    }
    const az_maria_col *state = &r->col[COL_STATE];
    held h = {.id = strdup((const char *)r->col[COL_ID].buf),
              .data = malloc(state->len ? state->len : 1),
              .len = state->len,
              .nrt = az_maria_col_time(&r->col[COL_NRT]),
              .lease_until = az_maria_col_time(&r->col[COL_LEASE]),
              .token = (uint64_t)r->col[COL_TOKEN].i64};
    if (!h.id || !h.data) {
        free(h.id);
        free(h.data);
        return ASYNCZ_ENOMEM;
    }
    memcpy(h.data, state->buf, state->len);
    l->v[l->n++] = h;
    return 0;
}

static void held_free(held_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].id);
        free(l->v[i].data);
    }
    free(l->v);
}

/* Lock up to max due, unclaimed records, skipping those another transaction holds. */
static int pick(az_maria *m, asyncz_time_t now, size_t max, id_list *ids)
{
    MYSQL_STMT *s = NULL;
    int rc = az_maria_stmt(m, AZ_MQ_PICK, &s);
    if (rc)
        return rc;
    long long t[3] = {now, now, now};
    unsigned long long limit[3] = {limit_of(max), limit_of(max), limit_of(max)};
    MYSQL_BIND p[6];
    az_maria_bind_i64(&p[0], &t[0]);
    az_maria_bind_u64(&p[1], &limit[0]);
    az_maria_bind_i64(&p[2], &t[1]);
    az_maria_bind_i64(&p[3], &t[2]);
    az_maria_bind_u64(&p[4], &limit[1]);
    az_maria_bind_u64(&p[5], &limit[2]);
    if ((rc = az_maria_exec(m, s, p, "claim: SELECT FOR UPDATE")) != 0)
        return rc;
    az_maria_result r;
    rc = az_maria_result_init(m, &r, s, "tii", "claim: SELECT FOR UPDATE");
    while (!rc && (rc = az_maria_result_next(m, &r, "claim: SELECT FOR UPDATE")) == 0)
        rc = push_id(ids, (const char *)r.col[0].buf);
    az_maria_result_done(&r);
    return rc == 1 ? 0 : rc;
}

static size_t bucket_of(size_t n)
{
    size_t b = 0;
    while (((size_t)1 << b) < n)
        b++;
    return b;
}

/* Bind ids[0..n) as k = 2^bucket parameters from p, repeating the last id to fill the list. */
static void bind_ids(MYSQL_BIND *p, unsigned long *lens, char (*ids)[256], size_t n, size_t k)
{
    for (size_t i = 0; i < k; i++)
        az_maria_bind_text(&p[i], ids[i < n ? i : n - 1], &lens[i]);
}

/* Claim one chunk (at most AZ_MARIA_IN_MAX locked ids): set owner, lease and tokens in order, read back. */
static int claim_chunk(az_maria *m, const char *owner, long long until, char (*ids)[256], size_t n,
                       held_list *out)
{
    size_t bucket = bucket_of(n), k = (size_t)1 << bucket;
    MYSQL_STMT *up = NULL, *rd = NULL;
    int rc = az_maria_claim_stmts(m, bucket, &up, &rd);
    if (rc)
        return rc;
    MYSQL_BIND p[2 + AZ_MARIA_IN_MAX];
    unsigned long lens[AZ_MARIA_IN_MAX], owner_len;
    my_bool until_null;
    az_maria_bind_text(&p[0], owner, &owner_len);
    az_maria_bind_time(&p[1], &until, &until_null);
    bind_ids(p + 2, lens, ids, n, k);
    unsigned long long rows = 0;
    if ((rc = az_maria_write(m, up, p, "claim: UPDATE", &rows)) != 0 ||
        (rc = az_maria_exec(m, rd, p + 2, "claim: SELECT")) != 0)
        return rc;
    az_maria_result r;
    rc = az_maria_result_init(m, &r, rd, RECORD_KINDS, "claim: SELECT");
    while (!rc && (rc = az_maria_result_next(m, &r, "claim: SELECT")) == 0)
        rc = push_held(out, &r);
    az_maria_result_done(&r);
    return rc == 1 ? 0 : rc;
}

/* The claim's transaction: lock (SKIP LOCKED), mark and read back, commit. */
static int claim_locked(az_maria *m, asyncz_time_t now, const char *owner, long long until, size_t max,
                        held_list *out)
{
    id_list ids = {0};
    int rc = az_maria_query(m, "START TRANSACTION", "claim: START TRANSACTION");
    if (!rc)
        rc = pick(m, now, max, &ids);
    for (size_t at = 0; !rc && at < ids.n; at += AZ_MARIA_IN_MAX) {
        size_t n = ids.n - at < AZ_MARIA_IN_MAX ? ids.n - at : AZ_MARIA_IN_MAX;
        rc = claim_chunk(m, owner, until, ids.v + at, n, out);
    }
    free(ids.v);
    if (rc)
        return az_maria_rollback(m, rc);
    return az_maria_commit(m, "claim: COMMIT");
}

static int claim(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                 az_found_fn each, void *userdata)
{
    az_maria *m = M(b);
    if (!owner || strlen(owner) > OWNER_MAX)
        return az_store_fail(ASYNCZ_EINVAL, "%s: a claim's owner has 1 to %u bytes", m->where, OWNER_MAX);
    int rc = az_maria_ready(m);
    if (rc || max == 0)
        return rc;
    long long until = lease_usec > INT64_MAX - now ? INT64_MAX : now + lease_usec;
    held_list got = {0};
    rc = claim_locked(m, now, owner, until, max, &got);
    for (size_t i = 0; !rc && i < got.n; i++) {
        held *h = &got.v[i];
        az_found f = {.id = h->id,
                      .next_run_time = h->nrt,
                      .data = h->data,
                      .len = h->len,
                      .token = h->token,
                      .lease_until = h->lease_until};
        rc = each(&f, userdata);
    }
    held_free(&got);
    return rc;
}

/* After a refused release: 0 when it is a repeat of a release that took effect (the record is unclaimed and
 * holds this token), else ASYNCZ_ESTATE, or ASYNCZ_ENOTFOUND when there is no record. */
static int refused(az_maria *m, const char *id, uint64_t token)
{
    unsigned long idlen;
    unsigned long long tok = token;
    MYSQL_BIND p[2];
    az_maria_bind_u64(&p[0], &tok);
    az_maria_bind_text(&p[1], id, &idlen);
    az_maria_col c[2];
    int rc = query_ints(m, AZ_MQ_EXISTS, p, "ii", c, "release: SELECT");
    if (rc)
        return rc;
    return c[0].i64 == 0 ? ASYNCZ_ENOTFOUND : c[1].i64 > 0 ? 0 : ASYNCZ_ESTATE;
}

static int release_write(az_maria *m, const char *id, uint64_t token, const az_record *next,
                         unsigned long long *rows)
{
    MYSQL_STMT *s = NULL;
    int rc = begin(m, next ? AZ_MQ_RELEASE_REPLACE : AZ_MQ_RELEASE_REMOVE, &s);
    if (rc)
        return rc;
    unsigned long idlen, len = next ? (unsigned long)next->len : 0;
    unsigned long long tok = token;
    long long nrt = next ? next->next_run_time : ASYNCZ_TIME_NONE;
    my_bool nrt_null;
    MYSQL_BIND p[4], *q = p;
    if (next) {
        az_maria_bind_time(q++, &nrt, &nrt_null);
        az_maria_bind_blob(q++, next->data, &len);
    }
    az_maria_bind_text(q++, id, &idlen);
    az_maria_bind_u64(q, &tok);
    return az_maria_write(m, s, p, next ? "release: UPDATE" : "release: DELETE", rows);
}

static int release(az_backend *b, const char *id, uint64_t token, const az_record *next)
{
    az_maria *m = M(b);
    if (token == 0) /* never handed out */
        return ASYNCZ_ESTATE;
    unsigned long long rows = 0;
    int rc = release_write(m, id, token, next, &rows);
    return rc || rows ? rc : refused(m, id, token);
}

/* ---- quarantine ------------------------------------------------------------------------------------ */

static int quarantine_take(az_maria *m, const char *id, const unsigned char *data, size_t len,
                           unsigned long long *rows)
{
    MYSQL_STMT *s = NULL;
    int rc = az_maria_stmt(m, AZ_MQ_QUARANTINE_TAKE, &s);
    if (rc)
        return rc;
    unsigned long idlen, dlen = (unsigned long)len;
    MYSQL_BIND p[2];
    az_maria_bind_text(&p[0], id, &idlen);
    az_maria_bind_blob(&p[1], data, &dlen);
    return az_maria_write(m, s, p, "quarantine: DELETE", rows);
}

static int quarantine_add(az_maria *m, const char *id, const unsigned char *data, size_t len,
                          const char *reason, asyncz_time_t at)
{
    MYSQL_STMT *s = NULL;
    int rc = az_maria_stmt(m, AZ_MQ_QUARANTINE_ADD, &s);
    if (rc)
        return rc;
    unsigned long idlen, rlen = (unsigned long)strlen(reason), dlen = (unsigned long)len;
    long long when = at;
    MYSQL_BIND p[4];
    az_maria_bind_text(&p[0], id, &idlen);
    az_maria_bind_blob(&p[1], (const unsigned char *)reason, &rlen);
    az_maria_bind_i64(&p[2], &when);
    az_maria_bind_blob(&p[3], data, &dlen);
    return az_maria_exec(m, s, p, "quarantine: INSERT");
}

static int quarantine(az_backend *b, const char *id, const unsigned char *data, size_t len,
                      const char *reason, asyncz_time_t at)
{
    az_maria *m = M(b);
    int rc = az_maria_ready(m);
    if (!rc)
        rc = az_maria_query(m, "START TRANSACTION", "quarantine: START TRANSACTION");
    if (rc)
        return rc;
    unsigned long long rows = 0;
    rc = quarantine_take(m, id, data, len, &rows);
    if (!rc && rows == 0)
        rc = ASYNCZ_ESTATE; /* changed or gone meanwhile */
    if (!rc)
        rc = quarantine_add(m, id, data, len, reason ? reason : "", at);
    if (rc)
        return az_maria_rollback(m, rc);
    return az_maria_commit(m, "quarantine: COMMIT");
}

static int quarantined(az_backend *b, az_quarantine_rec_fn each, void *userdata)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_QUARANTINED, &s);
    if (!rc)
        rc = az_maria_exec(m, s, NULL, "SELECT quarantine");
    if (rc)
        return rc;
    az_maria_result r;
    int stop = 0;
    rc = az_maria_result_init(m, &r, s, "ttit", "SELECT quarantine");
    while (!rc && !stop && (rc = az_maria_result_next(m, &r, "SELECT quarantine")) == 0) {
        az_quarantine_rec q = {.id = (const char *)r.col[0].buf,
                               .reason = (const char *)r.col[1].buf,
                               .at = r.col[2].i64,
                               .data = r.col[3].buf,
                               .len = r.col[3].len};
        stop = each(&q, userdata);
    }
    az_maria_result_done(&r);
    return stop ? stop : rc == 1 ? 0 : rc;
}

/* One DELETE: atomic on its own. at is bound twice: "? IS NULL" makes ASYNCZ_TIME_NONE match every time. */
static int quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    *dropped = 0;
    int rc = begin(m, AZ_MQ_QUARANTINE_DROP, &s);
    if (rc)
        return rc;
    unsigned long idlen;
    long long when = at, when2 = at;
    my_bool none = 0, none2 = 0;
    MYSQL_BIND p[3];
    az_maria_bind_text(&p[0], id, &idlen);
    az_maria_bind_time(&p[1], &when, &none);
    az_maria_bind_time(&p[2], &when2, &none2);
    unsigned long long rows = 0;
    rc = az_maria_write(m, s, p, "DELETE quarantine entry", &rows);
    if (!rc)
        *dropped = (size_t)rows;
    return rc;
}

/* ---- heartbeats ------------------------------------------------------------------------------------ */

static int put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_PUT_INSTANCE, &s);
    if (rc)
        return rc;
    unsigned long idlen, dlen = (unsigned long)len;
    MYSQL_BIND p[2];
    az_maria_bind_text(&p[0], id, &idlen);
    az_maria_bind_blob(&p[1], data, &dlen);
    return az_maria_exec(m, s, p, "heartbeat: INSERT");
}

static int instances(az_backend *b, az_instance_rec_fn each, void *userdata)
{
    az_maria *m = M(b);
    MYSQL_STMT *s = NULL;
    int rc = begin(m, AZ_MQ_INSTANCES, &s);
    if (!rc)
        rc = az_maria_exec(m, s, NULL, "SELECT instances");
    if (rc)
        return rc;
    az_maria_result r;
    int stop = 0;
    rc = az_maria_result_init(m, &r, s, "tt", "SELECT instances");
    while (!rc && !stop && (rc = az_maria_result_next(m, &r, "SELECT instances")) == 0)
        stop = each((const char *)r.col[0].buf, r.col[1].buf, r.col[1].len, userdata);
    az_maria_result_done(&r);
    return stop ? stop : rc == 1 ? 0 : rc;
}

static int remove_instance(az_backend *b, const char *id)
{
    return write_by_id(M(b), AZ_MQ_REMOVE_INSTANCE, id, "DELETE instance");
}

const az_backend_ops az_maria_ops = {
    .name = "mariadb",
    .caps = ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED,
    .open = az_maria_open,
    .close = az_maria_close,
    .destroy = az_maria_destroy,
    .insert = insert,
    .insert_many = insert_many,
    .replace = replace,
    .remove = remove_one,
    .remove_all = remove_all,
    .get = get,
    .scan = scan,
    .due = due,
    .earliest = earliest,
    .count = count,
    .claim = claim,
    .release = release,
    .quarantine = quarantine,
    .quarantined = quarantined,
    .quarantine_drop = quarantine_drop,
    .put_instance = put_instance,
    .instances = instances,
    .remove_instance = remove_instance,
    .journal_put = az_maria_journal_put,
    .journal_list = az_maria_journal_list,
    .journal_get = az_maria_journal_get,
    .journal_prune_age = az_maria_journal_prune_age,
    .journal_trim_task = az_maria_journal_trim_task,
};

#endif
