/* The SQLite store's record operations (see sqlite.c for the layout and the statements). Reads run as single
 * statements, each on one consistent snapshot of the file; every write that reads first, or that writes
 * twice, runs in one BEGIN IMMEDIATE transaction; a write that is one statement is atomic on its own. */
#ifdef ASYNCZ_WITH_SQLITE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/sqlite_internal.h"

static az_sqlite *SQ(az_backend *b)
{
    return (az_sqlite *)b;
}

/* Ready to run statement q: connected and q prepared. */
static int prepare(az_sqlite *b, az_sqlite_q q, sqlite3_stmt **s)
{
    int rc = az_sqlite_ready(b);
    return rc ? rc : az_sqlite_stmt(b, q, s);
}

/* ---- reading records --------------------------------------------------------------------------- */

/* Pass the rows of s (id, next_run_time, state) to each, in the statement's order, counting them in *rows
 * (may be NULL); resets s. */
static int each_row(az_sqlite *b, sqlite3_stmt *s, const char *what, az_found_fn each, void *userdata,
                    size_t *rows)
{
    int rc;
    while ((rc = az_sqlite_step(b, s, what)) == 1) {
        az_found f = {.id = (const char *)sqlite3_column_text(s, 0),
                      .next_run_time = az_sqlite_column_time(s, 1),
                      .lease_until = ASYNCZ_TIME_NONE};
        f.data = az_sqlite_column_blob(s, 2, &f.len);
        if (rows)
            ++*rows;
        if ((rc = each(&f, userdata)) != 0)
            break;
    }
    az_sqlite_done(s);
    return rc;
}

int az_sqlite_get(az_backend *base, const char *id, az_found_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_GET, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, id);
    size_t rows = 0;
    rc = each_row(b, s, "get", each, userdata, &rows);
    return rc ? rc : rows ? 0 : ASYNCZ_ENOTFOUND;
}

int az_sqlite_scan(az_backend *base, az_found_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_SCAN, &s);
    return rc ? rc : each_row(b, s, "scan", each, userdata, NULL);
}

static int bind_due(sqlite3_stmt *s, asyncz_time_t now, size_t max)
{
    sqlite3_bind_int64(s, 1, now);
    return sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
}

int az_sqlite_due(az_backend *base, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_DUE, &s);
    if (rc)
        return rc;
    bind_due(s, now, max);
    return each_row(b, s, "due", each, userdata, NULL);
}

/* The smaller of two times where ASYNCZ_TIME_NONE means "none". */
static asyncz_time_t min_time(asyncz_time_t a, asyncz_time_t b)
{
    if (a == ASYNCZ_TIME_NONE)
        return b;
    if (b == ASYNCZ_TIME_NONE)
        return a;
    return a < b ? a : b;
}

int az_sqlite_earliest(az_backend *base, asyncz_time_t *out)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_EARLIEST, &s);
    if (rc)
        return rc;
    rc = az_sqlite_step(b, s, "earliest");
    if (rc == 1)
        *out = min_time(az_sqlite_column_time(s, 0), az_sqlite_column_time(s, 1));
    az_sqlite_done(s);
    return rc < 0 ? rc : 0;
}

int az_sqlite_count(az_backend *base, size_t *out)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_COUNT, &s);
    if (rc)
        return rc;
    rc = az_sqlite_step(b, s, "count");
    if (rc == 1)
        *out = (size_t)sqlite3_column_int64(s, 0);
    az_sqlite_done(s);
    return rc < 0 ? rc : 0;
}

/* ---- writing records --------------------------------------------------------------------------- */

typedef struct write_ctx {
    const char *id;
    const az_record *rec; /* release: NULL to remove */
    az_sqlite_q q;
    const char *what;
    uint64_t token; /* release */
    int changes;
} write_ctx;

/* Bind (next_run_time, seq, state) from parameter first on, the new seq taken from the counter. Binds
 * nothing when the counter fails. */
static int bind_record(az_sqlite *b, sqlite3_stmt *s, const az_record *rec, int first)
{
    int64_t seq = 0;
    int rc = az_sqlite_counter(b, 1, &seq);
    if (rc)
        return rc;
    az_sqlite_bind_time(s, first, rec->next_run_time);
    sqlite3_bind_int64(s, first + 1, seq);
    az_sqlite_bind_blob(s, first + 2, rec->data, rec->len);
    return 0;
}

static int write_body(az_sqlite *b, void *ctx)
{
    write_ctx *w = ctx;
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, w->q, &s);
    if (!rc)
        rc = bind_record(b, s, w->rec, 2);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, w->id);
    rc = az_sqlite_exec(b, s, w->what, &w->changes);
    if (!rc && w->changes == 0)
        rc = ASYNCZ_ENOTFOUND;
    return rc;
}

int az_sqlite_insert(az_backend *base, const az_record *rec)
{
    write_ctx w = {.id = rec->id, .rec = rec, .q = AZ_SQ_INSERT, .what = "insert"};
    return az_sqlite_write(SQ(base), "insert", true, write_body, &w);
}

/* One batch (see az_sqlite_batch_begin): one write transaction and one commit for all of them; the first
 * failure rolls everything back, and the message says which record failed. */
int az_sqlite_insert_many(az_backend *base, const az_record *recs, size_t n)
{
    az_sqlite *b = SQ(base);
    int rc = az_sqlite_batch_begin(base);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < n && (rc = az_sqlite_insert(base, &recs[i])) == 0)
        i++;
    if (rc == ASYNCZ_EEXISTS)
        az_store_fail(rc, "%s: insert: task \"%s\" already exists", b->label, recs[i].id);
    if (!rc)
        return az_sqlite_batch_end(base, true);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", asyncz_store_errmsg());
    if (b->batch)
        (void)az_sqlite_batch_end(base, false);
    return az_store_fail(rc, "%s", msg);
}

int az_sqlite_replace(az_backend *base, const az_record *rec)
{
    write_ctx w = {.id = rec->id, .rec = rec, .q = AZ_SQ_REPLACE, .what = "replace"};
    return az_sqlite_write(SQ(base), "replace", true, write_body, &w);
}

/* A one-statement write on id: ASYNCZ_ENOTFOUND when it changed nothing. */
static int write_by_id(az_sqlite *b, az_sqlite_q q, const char *id, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, q, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, id);
    int changes = 0;
    rc = az_sqlite_exec(b, s, what, &changes);
    return rc ? rc : changes ? 0 : ASYNCZ_ENOTFOUND;
}

int az_sqlite_remove(az_backend *base, const char *id)
{
    return write_by_id(SQ(base), AZ_SQ_REMOVE, id, "remove");
}

int az_sqlite_remove_all(az_backend *base)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_REMOVE_ALL, &s);
    return rc ? rc : az_sqlite_exec(b, s, "remove all", NULL);
}

/* ---- claims ------------------------------------------------------------------------------------ */

/* A record claimed inside the transaction, copied so that it can be handed out after the commit. */
typedef struct claimed {
    char *id;
    asyncz_time_t next_run_time;
    unsigned char *data;
    size_t len;
    int64_t rowid;
} claimed;

typedef struct claim_ctx {
    asyncz_time_t now, lease_until;
    const char *owner;
    size_t max;
    claimed *rows;
    size_t n, cap;
    int64_t first_token;
} claim_ctx;

/* Room for one more row: the array grows with what is due, never to max up front. */
static int grow_rows(claim_ctx *c)
{
    if (c->n < c->cap)
        return 0;
    size_t cap = c->cap ? c->cap * 2 : 16;
    claimed *grown = realloc(c->rows, cap * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    c->rows = grown;
    c->cap = cap;
    return 0;
}

static int keep_row(claim_ctx *c, sqlite3_stmt *s)
{
    int rc = grow_rows(c);
    if (rc)
        return rc;
    claimed *r = &c->rows[c->n];
    const unsigned char *data = az_sqlite_column_blob(s, 2, &r->len);
    r->id = strdup((const char *)sqlite3_column_text(s, 0));
    r->data = malloc(r->len ? r->len : 1);
    if (!r->id || !r->data) {
        free(r->id);
        free(r->data);
        return ASYNCZ_ENOMEM;
    }
    memcpy(r->data, data, r->len);
    r->next_run_time = az_sqlite_column_time(s, 1);
    r->rowid = sqlite3_column_int64(s, 3);
    c->n++;
    return 0;
}

/* The due records, in order, at most max. */
static int select_due(az_sqlite *b, claim_ctx *c)
{
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, AZ_SQ_DUE, &s);
    if (rc)
        return rc;
    bind_due(s, c->now, c->max);
    while ((rc = az_sqlite_step(b, s, "claim")) == 1)
        if ((rc = keep_row(c, s)) != 0)
            break;
    az_sqlite_done(s);
    return rc;
}

static int mark_claimed(az_sqlite *b, claim_ctx *c)
{
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, AZ_SQ_CLAIM_ONE, &s);
    for (size_t i = 0; !rc && i < c->n; i++) {
        sqlite3_bind_int64(s, 1, c->rows[i].rowid);
        az_sqlite_bind_text(s, 2, c->owner);
        sqlite3_bind_int64(s, 3, c->lease_until);
        sqlite3_bind_int64(s, 4, c->first_token + (int64_t)i);
        rc = az_sqlite_exec(b, s, "claim", NULL);
    }
    return rc;
}

/* Inside BEGIN IMMEDIATE: no other connection writes between the selection and the marking, so no record
 * is claimed twice. Tokens are one block of the counter, in the records' order. */
static int claim_body(az_sqlite *b, void *ctx)
{
    claim_ctx *c = ctx;
    int rc = select_due(b, c);
    if (rc || c->n == 0)
        return rc;
    int64_t last = 0;
    rc = az_sqlite_counter(b, (int64_t)c->n, &last);
    if (rc)
        return rc;
    c->first_token = last - (int64_t)c->n + 1;
    return mark_claimed(b, c);
}

static int deliver(claim_ctx *c, az_found_fn each, void *userdata)
{
    int rc = 0;
    for (size_t i = 0; i < c->n && !rc; i++) {
        claimed *r = &c->rows[i];
        az_found f = {.id = r->id,
                      .next_run_time = r->next_run_time,
                      .data = r->data,
                      .len = r->len,
                      .token = (uint64_t)(c->first_token + (int64_t)i),
                      .lease_until = c->lease_until};
        rc = each(&f, userdata);
    }
    return rc;
}

static void free_rows(claim_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->rows[i].id);
        free(c->rows[i].data);
    }
    free(c->rows);
}

int az_sqlite_claim(az_backend *base, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                    az_found_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    claim_ctx c = {.now = now, .owner = owner, .max = max};
    if (max == 0)
        return 0;
    if (!owner || lease_usec < 0 || __builtin_add_overflow(now, lease_usec, &c.lease_until))
        return az_store_fail(ASYNCZ_EINVAL, "%s: claim: no owner, or the lease is out of range", b->label);
    int rc = az_sqlite_write(b, "claim", false, claim_body, &c);
    /* The records are claimed only once the commit succeeded: hand them out then, and only then. */
    if (!rc)
        rc = deliver(&c, each, userdata);
    free_rows(&c);
    return rc;
}

/* ---- release ----------------------------------------------------------------------------------- */

static int release_body(az_sqlite *b, void *ctx)
{
    write_ctx *w = ctx;
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, w->q, &s);
    if (!rc && w->rec)
        rc = bind_record(b, s, w->rec, 3);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, w->id);
    sqlite3_bind_int64(s, 2, (int64_t)w->token);
    rc = az_sqlite_exec(b, s, w->what, &w->changes);
    if (rc || w->changes)
        return rc;
    /* Nothing matched: a missing record, this release repeated (unclaimed, still holding this token), or
     * another claim. */
    rc = az_sqlite_stmt(b, AZ_SQ_RELEASED, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, w->id);
    sqlite3_bind_int64(s, 2, (int64_t)w->token);
    rc = az_sqlite_step(b, s, "release");
    bool repeated = rc == 1 && sqlite3_column_int(s, 0) == 1;
    az_sqlite_done(s);
    return rc < 0 ? rc : repeated ? 0 : rc ? ASYNCZ_ESTATE : ASYNCZ_ENOTFOUND;
}

int az_sqlite_release(az_backend *base, const char *id, uint64_t token, const az_record *next)
{
    az_sqlite *b = SQ(base);
    /* Tokens come from a signed 64-bit counter: a larger one was never handed out. */
    if (token == 0 || token > INT64_MAX)
        return ASYNCZ_ESTATE;
    write_ctx w = {.id = id,
                   .rec = next,
                   .q = next ? AZ_SQ_RELEASE_REPLACE : AZ_SQ_RELEASE_REMOVE,
                   .what = "release",
                   .token = token};
    return az_sqlite_write(b, "release", true, release_body, &w);
}

/* ---- quarantine -------------------------------------------------------------------------------- */

typedef struct quarantine_ctx {
    const char *id, *reason;
    const unsigned char *data;
    size_t len;
    asyncz_time_t at;
} quarantine_ctx;

/* Remove the record only if it still holds exactly these bytes (a blob comparison, byte for byte). */
static int take_record(az_sqlite *b, const quarantine_ctx *q)
{
    sqlite3_stmt *s = NULL;
    int rc = az_sqlite_stmt(b, AZ_SQ_Q_TAKE, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, q->id);
    az_sqlite_bind_blob(s, 2, q->data, q->len);
    int changes = 0;
    rc = az_sqlite_exec(b, s, "quarantine", &changes);
    return rc ? rc : changes ? 0 : ASYNCZ_ESTATE;
}

static int quarantine_body(az_sqlite *b, void *ctx)
{
    quarantine_ctx *q = ctx;
    int rc = take_record(b, q);
    sqlite3_stmt *s = NULL;
    if (!rc)
        rc = az_sqlite_stmt(b, AZ_SQ_Q_ADD, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, q->id);
    az_sqlite_bind_text(s, 2, q->reason);
    sqlite3_bind_int64(s, 3, q->at);
    az_sqlite_bind_blob(s, 4, q->data, q->len);
    return az_sqlite_exec(b, s, "quarantine", NULL);
}

int az_sqlite_quarantine(az_backend *base, const char *id, const unsigned char *data, size_t len,
                         const char *reason, asyncz_time_t at)
{
    quarantine_ctx q = {.id = id, .reason = reason ? reason : "", .data = data, .len = len, .at = at};
    return az_sqlite_write(SQ(base), "quarantine", false, quarantine_body, &q);
}

int az_sqlite_quarantined(az_backend *base, az_quarantine_rec_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_Q_LIST, &s);
    if (rc)
        return rc;
    while ((rc = az_sqlite_step(b, s, "quarantined")) == 1) {
        az_quarantine_rec q = {.id = (const char *)sqlite3_column_text(s, 0),
                               .reason = (const char *)sqlite3_column_text(s, 1),
                               .at = sqlite3_column_int64(s, 2)};
        q.data = az_sqlite_column_blob(s, 3, &q.len);
        if ((rc = each(&q, userdata)) != 0)
            break;
    }
    az_sqlite_done(s);
    return rc;
}

/* One DELETE: atomic on its own. */
int az_sqlite_quarantine_drop(az_backend *base, const char *id, asyncz_time_t at, size_t *dropped)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    *dropped = 0;
    int rc = prepare(b, AZ_SQ_Q_DROP, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, id);
    az_sqlite_bind_time(s, 2, at);
    int changes = 0;
    rc = az_sqlite_exec(b, s, "drop quarantine entry", &changes);
    if (!rc)
        *dropped = (size_t)changes;
    return rc;
}

/* ---- heartbeats -------------------------------------------------------------------------------- */

int az_sqlite_put_instance(az_backend *base, const char *id, const unsigned char *data, size_t len)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_I_PUT, &s);
    if (rc)
        return rc;
    az_sqlite_bind_text(s, 1, id);
    az_sqlite_bind_blob(s, 2, data, len);
    return az_sqlite_exec(b, s, "heartbeat", NULL);
}

int az_sqlite_instances(az_backend *base, az_instance_rec_fn each, void *userdata)
{
    az_sqlite *b = SQ(base);
    sqlite3_stmt *s = NULL;
    int rc = prepare(b, AZ_SQ_I_LIST, &s);
    if (rc)
        return rc;
    while ((rc = az_sqlite_step(b, s, "instances")) == 1) {
        size_t len = 0;
        const unsigned char *data = az_sqlite_column_blob(s, 1, &len);
        if ((rc = each((const char *)sqlite3_column_text(s, 0), data, len, userdata)) != 0)
            break;
    }
    az_sqlite_done(s);
    return rc;
}

int az_sqlite_remove_instance(az_backend *base, const char *id)
{
    return write_by_id(SQ(base), AZ_SQ_I_REMOVE, id, "remove instance");
}

#endif
