/* The persist layer: asyncz_store_ops over a record backend (see backend.h). Encodes and seals tasks,
 * decodes and checks what comes back, quarantines what fails, and keeps every callback of its host and
 * its caller outside its lock (they may re-enter the store): listings are gathered under the lock and
 * handed out after it, and what the host is told (a record quarantined, one a tool cannot read) is queued
 * under the lock, by this file or by the backend through the host this file gives it, and delivered by
 * unlock_and_report. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/task_internal.h"
#include "store/backend.h"
#include "store/record.h"
#include "store/record_batch.h"
#include "core/store_open.h"
#include "store/persist_internal.h"

/* A record that failed to decode, kept until the backend call is over. */
typedef struct bad_record {
    char *id;
    unsigned char *data;
    size_t len;
    int rc;
    char reason[320];
} bad_record;

/* What a backend call collects: decoded tasks (claims carry their token), and the bad records. A listing
 * of the whole store copies the records first (batch) and decodes them after the call, on several threads. */
typedef struct collect {
    persist_store *ps;
    az_record_batch *batch; /* NULL: decode each record as it comes */
    asyncz_claim *items;
    size_t n, cap;
    bad_record *bad;
    size_t n_bad;
    int rc; /* out of memory while collecting */
} collect;

static persist_store *PS(asyncz_store *st)
{
    return (persist_store *)st;
}

/* ---- what the host is told, after the lock ------------------------------------------------------- */

/* A record quarantined, or one a tool's connection cannot read: for host.quarantined. */
typedef struct report {
    struct report *next;
    char *reason; /* in the same block, after id */
    char id[];
} report;

/* The backend host's quarantined(): queue the report (called with ps->lock held, by quarantine_one or
 * by the backend in a call the persist layer makes). Out of memory, the report is lost and logged. */
static void queue_report(void *data, const char *id, const char *reason)
{
    persist_store *ps = data;
    if (!ps->host.quarantined)
        return;
    size_t id_len = strlen(id), reason_len = strlen(reason);
    report *r = malloc(sizeof *r + id_len + reason_len + 2);
    if (!r) {
        asyncz_log(ASYNCZ_LOG_ERROR, ps->logger,
                   "out of memory: task \"%s\" (%s) is not reported to the scheduler or tool using the store",
                   id, reason);
        return;
    }
    r->next = NULL;
    memcpy(r->id, id, id_len + 1);
    r->reason = r->id + id_len + 1;
    memcpy(r->reason, reason, reason_len + 1);
    *ps->reports_end = r;
    ps->reports_end = &r->next;
}

/* The backend host's wakeup(): the host's own (from a notification thread without the lock, or from a
 * store operation with it; the host's wakeup is thread-safe and takes no store lock). */
static void pass_wakeup(void *data)
{
    persist_store *ps = data;
    if (ps->host.wakeup)
        ps->host.wakeup(ps->host.host_data);
}

/* Every operation that takes the lock ends with this (but close, which reports nothing). */
void az_persist_unlock(persist_store *ps)
{
    report *r = ps->reports;
    void (*fn)(void *, const char *, const char *) = ps->host.quarantined;
    void *host_data = ps->host.host_data;
    ps->reports = NULL;
    ps->reports_end = &ps->reports;
    pthread_mutex_unlock(&ps->lock);
    if (!r)
        return;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", asyncz_store_errmsg());
    while (r) {
        report *next = r->next;
        if (fn)
            fn(host_data, r->id, r->reason);
        free(r);
        r = next;
    }
    az_store_fail(0, "%s", msg);
}

/* ---- collecting and quarantining ----------------------------------------------------------------- */

/* Reasons may quote the bytes that failed to decode (a JSON parser's message does). Backends keep reasons
 * as text, and logs want one line: anything but valid UTF-8 without control characters becomes '?'. */
static void plain_text(char *text)
{
    if (!*text || az_text_valid(text, SIZE_MAX, false))
        return;
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
}

static int keep_bad(collect *c, const az_found *rec, int rc, const char *reason)
{
    bad_record *grown = realloc(c->bad, (c->n_bad + 1) * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    c->bad = grown;
    bad_record *b = &c->bad[c->n_bad];
    *b = (bad_record){.rc = rc, .len = rec->len};
    snprintf(b->reason, sizeof b->reason, "%s", reason);
    plain_text(b->reason);
    b->id = strdup(rec->id);
    b->data = malloc(rec->len ? rec->len : 1);
    if (!b->id || !b->data) {
        free(b->id);
        free(b->data);
        return ASYNCZ_ENOMEM;
    }
    memcpy(b->data, rec->data, rec->len);
    c->n_bad++;
    return 0;
}

static int keep_task(collect *c, asyncz_task *t, const az_found *rec)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        asyncz_claim *grown = realloc(c->items, cap * sizeof *grown);
        if (!grown)
            return ASYNCZ_ENOMEM;
        c->items = grown;
        c->cap = cap;
    }
    c->items[c->n++] = (asyncz_claim){.task = t, .token = rec->token, .lease_until = rec->lease_until};
    return 0;
}

/* Keep a decoded record: its task (taken, t set to NULL) or, when it failed, its bytes and reason. Errors:
 * ASYNCZ_ENOMEM (the record's own or while keeping it). */
static int keep_decoded(collect *c, const az_found *rec, asyncz_task **t, int rc, const char *reason)
{
    if (!rc && (rc = keep_task(c, *t, rec)) == 0)
        *t = NULL;
    else if (rc && rc != ASYNCZ_ENOMEM)
        rc = keep_bad(c, rec, rc, reason);
    return rc;
}

/* The backend callback: decode one record into the collection, or copy it into the batch. */
static int collect_one(const az_found *rec, void *userdata)
{
    collect *c = userdata;
    persist_store *ps = c->ps;
    asyncz_task *t = NULL;
    char reason[320] = "";
    int rc;
    if (c->batch) {
        rc = az_record_batch_add(c->batch, rec);
    } else {
        rc = az_record_decode(&ps->sealer, rec->id, rec->next_run_time, rec->data, rec->len, ps->host.alias,
                              NULL, &t, reason, sizeof reason);
        rc = keep_decoded(c, rec, &t, rc, reason);
    }
    if (rc) {
        asyncz_task_free(t);
        c->rc = rc;
    }
    return rc;
}

/* Decode the batch's records into the collection, in order. A record out of memory ends the collection
 * there (the records before it are kept), like an out-of-memory stop of the backend call. */
static int collect_batch(collect *c)
{
    az_decoded *d = NULL;
    int rc = az_record_batch_decode(c->batch, &c->ps->sealer, c->ps->host.alias, &d);
    for (size_t i = 0; rc == 0 && i < c->batch->n; i++) {
        az_found rec;
        az_record_batch_found(c->batch, i, &rec);
        rc = keep_decoded(c, &rec, &d[i].task, d[i].rc, d[i].reason ? d[i].reason : "");
    }
    az_decoded_free(d, c->batch->n);
    az_record_batch_free(c->batch);
    if (rc)
        c->rc = rc;
    return rc;
}

/* A record whose zone does not load here (az_record_zone_missing): an error of this host, not of the record,
 * which stays where it is and is read again later (a claimed one when its lease lapses, so the schedulers
 * retry it once per lease). Logged once per zone every ZONE_LOG_EVERY_USEC, not at each retry. */
static void zone_missing(persist_store *ps, const bad_record *b)
{
    const char *what = strstr(b->reason, "time zone \"");
    what = what ? what : b->reason;
    asyncz_time_t now = asyncz_now();
    zone_logged *slot = &ps->zone_logs[0];
    for (size_t i = 0; i < ZONE_LOG_SLOTS; i++) {
        zone_logged *z = &ps->zone_logs[i];
        if (strncmp(z->what, what, sizeof z->what - 1) == 0) {
            slot = z;
            break;
        }
        if (z->at < slot->at)
            slot = z; /* else the one logged longest ago (or never) */
    }
    if (strncmp(slot->what, what, sizeof slot->what - 1) == 0 && now - slot->at < ZONE_LOG_EVERY_USEC) {
        asyncz_log(ASYNCZ_LOG_DEBUG, ps->logger, "task \"%s\" skipped again: %s", b->id, b->reason);
        return;
    }
    snprintf(slot->what, sizeof slot->what, "%.255s", what);
    slot->at = now;
    asyncz_log(ASYNCZ_LOG_ERROR, ps->logger,
               "task \"%s\" cannot be scheduled on this host: %s; install tzdata, or set TZDIR to where the "
               "zone data is. The task stays in the store (not quarantined) and is retried; this is logged "
               "once per zone every 10 minutes",
               b->id, b->reason);
}

static void quarantine_one(persist_store *ps, const bad_record *b)
{
    if (ps->host.inspect) { /* a tool looks at the store: tell, and leave the record to its schedulers */
        asyncz_log(ASYNCZ_LOG_WARNING, ps->logger, "task \"%s\" cannot be read, left in place: %s", b->id,
                   b->reason);
        queue_report(ps, b->id, b->reason);
        return;
    }
    if (az_record_zone_missing(b->rc)) {
        zone_missing(ps, b);
        return;
    }
    if (!az_record_quarantines(b->rc)) {
        asyncz_log(ASYNCZ_LOG_ERROR, ps->logger, "task \"%s\" skipped: %s", b->id, b->reason);
        return;
    }
    int rc = ps->b->ops->quarantine(ps->b, b->id, b->data, b->len, b->reason, asyncz_now());
    if (rc == ASYNCZ_ESTATE)
        return; /* changed meanwhile: the new version is read next time */
    if (rc) {
        asyncz_log(ASYNCZ_LOG_ERROR, ps->logger,
                   "task \"%s\" is unreadable (%s) and could not be quarantined: %s", b->id, b->reason,
                   asyncz_store_errmsg());
        return;
    }
    asyncz_log(ASYNCZ_LOG_ERROR, ps->logger, "task \"%s\" quarantined: %s", b->id, b->reason);
    queue_report(ps, b->id, b->reason);
}

/* Quarantine the bad records (under the lock, after the backend call; the host is told after it) and
 * forget them. */
static void quarantine_bad(collect *c)
{
    for (size_t i = 0; i < c->n_bad; i++) {
        quarantine_one(c->ps, &c->bad[i]);
        free(c->bad[i].id);
        free(c->bad[i].data);
    }
    free(c->bad);
    c->bad = NULL;
    c->n_bad = 0;
}

static void drop_items(collect *c)
{
    for (size_t i = 0; i < c->n; i++)
        asyncz_task_free(c->items[i].task);
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

/* Run the collected tasks through a user callback, outside the lock; frees them. */
static int deliver(collect *c, asyncz_store_each_fn each, void *userdata)
{
    int rc = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!rc)
            rc = each(c->items[i].task, userdata);
        asyncz_task_free(c->items[i].task);
    }
    free(c->items);
    c->items = NULL;
    c->n = 0;
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------------------- */

/* The key check at connect. Without a key, a store that holds sealed records would skip every task; with
 * the wrong key, every record would fail to open and a scheduler would quarantine them all, which is an
 * environment problem (a mistyped key), not the records' fault. So connecting looks at the first
 * AZ_KEY_SAMPLE records in order (a bounded read, whatever the store's size): without a key, any sealed
 * one fails the connect; with a key, the connect fails when sealed records were found and none of them
 * opens. One sealed record that opens is enough: records that then fail one by one are tampered with (or
 * sealed under another key by someone else) and are quarantined as they are met. A key set on a store whose
 * records are all plaintext (the first ones looked at, and there are some) is the same kind of mistake (a
 * key set in the belief that it seals the store): the connect fails rather than quarantine every record. A
 * plaintext record among sealed ones that open is quarantined alone, as tampered with. */
#define AZ_KEY_SAMPLE 64

typedef struct probe {
    const az_sealer *sealer;
    size_t seen;   /* records looked at */
    size_t sealed; /* sealed records among them */
    size_t opened; /* sealed records the key opens */
} probe;

static int probe_one(const az_found *rec, void *userdata)
{
    probe *p = userdata;
    p->seen++;
    if (az_seal_looks_sealed(rec->data, rec->len)) {
        p->sealed++;
        if (!p->sealer->enabled)
            return 1; /* one is enough to refuse */
        unsigned char *plain = NULL;
        size_t len = 0;
        int rc = az_unseal(p->sealer, rec->id, rec->data, rec->len, &plain, &len);
        free(plain);
        if (rc == ASYNCZ_ENOMEM)
            return rc;
        if (rc == 0) {
            p->opened++;
            return 1; /* the key is right */
        }
    }
    return p->seen >= AZ_KEY_SAMPLE;
}

/* A key set on a store whose sampled records are all plaintext. */
static int not_sealed(const probe *p, const char *store)
{
    char which[64];
    if (p->seen == 1)
        snprintf(which, sizeof which, "the record");
    else
        snprintf(which, sizeof which, "the %s%zu records", p->seen >= AZ_KEY_SAMPLE ? "first " : "", p->seen);
    return az_store_fail(ASYNCZ_ECRYPTO,
                         ASYNCZ_STORE_KEY_ENV " is set but %s in %s %s not sealed: unset it, or seal the "
                                              "store by exporting its tasks and importing them into a new "
                                              "store with the key (docs/stores.md, Changing the key)",
                         which, store, p->seen == 1 ? "is" : "are");
}

static int check_key(persist_store *ps)
{
    probe p = {.sealer = &ps->sealer};
    int rc = ps->b->ops->scan(ps->b, probe_one, &p);
    if (rc < 0)
        return rc;
    const char *store = ps->label[0] ? ps->label : ps->b->ops->name;
    if (p.sealed && !ps->sealer.enabled)
        return az_store_fail(ASYNCZ_ECRYPTO,
                             "%s holds sealed records but " ASYNCZ_STORE_KEY_ENV
                             " is not set: set it to the store's key",
                             store);
    if (p.sealed && !p.opened)
        return az_store_fail(ASYNCZ_ECRYPTO,
                             ASYNCZ_STORE_KEY_ENV " opens none of the %s%zu sealed records in %s: is it the "
                                                  "right key?",
                             p.seen >= AZ_KEY_SAMPLE ? "first " : "", p.sealed, store);
    if (ps->sealer.enabled && p.seen && !p.sealed)
        return not_sealed(&p, store);
    return 0;
}

static int p_open(asyncz_store *st, const asyncz_store_host *host)
{
    persist_store *ps = PS(st);
    pthread_mutex_lock(&ps->lock);
    int rc = az_sealer_from_env(&ps->sealer);
    if (rc)
        rc = az_store_fail(rc, "cannot derive the sealing key from " ASYNCZ_STORE_KEY_ENV);
    ps->host = *host;
    ps->backend_host = *host;
    ps->backend_host.wakeup = host->wakeup ? pass_wakeup : NULL;
    ps->backend_host.quarantined = host->quarantined ? queue_report : NULL;
    ps->backend_host.host_data = ps;
    if (!rc)
        rc = ps->b->ops->open(ps->b, &ps->backend_host);
    if (!rc && (rc = check_key(ps)) != 0)
        ps->b->ops->close(ps->b);
    ps->open = rc == 0;
    az_persist_unlock(ps);
    if (rc)
        asyncz_log(ASYNCZ_LOG_ERROR, ps->logger, "%s", asyncz_store_errmsg());
    return rc;
}

static void p_close(asyncz_store *st)
{
    persist_store *ps = PS(st);
    pthread_mutex_lock(&ps->lock);
    if (ps->open)
        ps->b->ops->close(ps->b);
    ps->open = false;
    az_sealer_clear(&ps->sealer);
    pthread_mutex_unlock(&ps->lock);
}

static void p_destroy(asyncz_store *st)
{
    persist_store *ps = PS(st);
    ps->b->ops->destroy(ps->b);
    az_persist_history_free(ps);
    pthread_mutex_destroy(&ps->lock);
    free(ps);
}

/* ---- writes -------------------------------------------------------------------------------------- */

typedef int (*write_fn)(az_backend *b, const az_record *rec);

static int write_task(persist_store *ps, asyncz_task *task, write_fn fn)
{
    if (!task || !task->id)
        return az_store_fail(ASYNCZ_EINVAL, "a stored task needs an id");
    unsigned char *data = NULL;
    size_t len = 0;
    pthread_mutex_lock(&ps->lock);
    int rc = az_record_encode(&ps->sealer, task, &data, &len);
    if (!rc) {
        az_record rec = {
            .id = task->id, .next_run_time = az_record_next_run_time(task), .data = data, .len = len};
        rc = fn(ps->b, &rec);
    }
    az_persist_unlock(ps);
    free(data);
    return rc;
}

static int p_add(asyncz_store *st, asyncz_task *task)
{
    return write_task(PS(st), task, PS(st)->b->ops->insert);
}

/* Records of a batch, encoded (and sealed) before the backend sees any of them. */
typedef struct batch {
    az_record *recs;
    unsigned char **data;
    size_t n;
} batch;

static void batch_free(batch *bt)
{
    for (size_t i = 0; i < bt->n; i++)
        free(bt->data[i]);
    free(bt->data);
    free(bt->recs);
}

static int batch_encode(persist_store *ps, asyncz_task *const *tasks, size_t n, batch *bt)
{
    *bt = (batch){.recs = calloc(n, sizeof *bt->recs), .data = calloc(n, sizeof *bt->data)};
    if (!bt->recs || !bt->data)
        return ASYNCZ_ENOMEM;
    for (; bt->n < n; bt->n++) {
        asyncz_task *t = tasks[bt->n];
        size_t len = 0;
        int rc = az_record_encode(&ps->sealer, t, &bt->data[bt->n], &len);
        if (rc)
            return az_store_fail(rc, "%s: task \"%s\" cannot be encoded", ps->b->ops->name, t->id);
        bt->recs[bt->n] = (az_record){
            .id = t->id, .next_run_time = az_record_next_run_time(t), .data = bt->data[bt->n], .len = len};
    }
    return 0;
}

static int p_add_many(asyncz_store *st, asyncz_task *const *tasks, size_t n)
{
    persist_store *ps = PS(st);
    batch bt;
    pthread_mutex_lock(&ps->lock);
    int rc = batch_encode(ps, tasks, n, &bt);
    if (!rc)
        rc = ps->b->ops->insert_many(ps->b, bt.recs, n);
    az_persist_unlock(ps);
    batch_free(&bt);
    return rc;
}

static int p_update(asyncz_store *st, asyncz_task *task)
{
    return write_task(PS(st), task, PS(st)->b->ops->replace);
}

static int p_remove(asyncz_store *st, const char *id)
{
    persist_store *ps = PS(st);
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->remove(ps->b, id);
    az_persist_unlock(ps);
    return rc;
}

static int p_remove_all(asyncz_store *st)
{
    persist_store *ps = PS(st);
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->remove_all(ps->b);
    az_persist_unlock(ps);
    return rc;
}

/* ---- reads ---------------------------------------------------------------------------------------- */

static int p_lookup(asyncz_store *st, const char *id, asyncz_task **out)
{
    persist_store *ps = PS(st);
    collect c = {.ps = ps};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->get(ps->b, id, collect_one, &c);
    asyncz_task *t = c.n ? c.items[0].task : NULL;
    if (!rc && !t && c.n_bad) {
        int bad = c.bad[0].rc == AZ_RECORD_NO_KEY ? ASYNCZ_ECRYPTO : c.bad[0].rc;
        rc = az_store_fail(bad, "task \"%s\": %s", id, c.bad[0].reason);
    }
    quarantine_bad(&c);
    free(c.items);
    az_persist_unlock(ps);
    if (rc) {
        asyncz_task_free(t);
        return rc;
    }
    if (!t)
        return ASYNCZ_ENOTFOUND;
    *out = t;
    return 0;
}

static int p_list(asyncz_store *st, asyncz_store_each_fn each, void *userdata)
{
    persist_store *ps = PS(st);
    az_record_batch records = {0};
    collect c = {.ps = ps, .batch = &records};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->scan(ps->b, collect_one, &c);
    if (!rc)
        rc = collect_batch(&c);
    az_record_batch_free(&records);
    quarantine_bad(&c);
    az_persist_unlock(ps);
    if (rc) {
        drop_items(&c);
        return rc;
    }
    return deliver(&c, each, userdata);
}

static int p_due(asyncz_store *st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *userdata)
{
    persist_store *ps = PS(st);
    collect c = {.ps = ps};
    pthread_mutex_lock(&ps->lock);
    int rc = max ? ps->b->ops->due(ps->b, now, max, collect_one, &c) : 0;
    quarantine_bad(&c);
    az_persist_unlock(ps);
    if (rc) {
        drop_items(&c);
        return rc;
    }
    return deliver(&c, each, userdata);
}

static int p_earliest(asyncz_store *st, asyncz_time_t *out)
{
    persist_store *ps = PS(st);
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->earliest(ps->b, out);
    az_persist_unlock(ps);
    return rc;
}

static int p_count(asyncz_store *st, size_t *out)
{
    persist_store *ps = PS(st);
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->count(ps->b, out);
    az_persist_unlock(ps);
    return rc;
}

/* ---- claims ------------------------------------------------------------------------------------- */

static int p_claim(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                   asyncz_claim *out, size_t *n_out)
{
    persist_store *ps = PS(st);
    collect c = {.ps = ps};
    *n_out = 0;
    pthread_mutex_lock(&ps->lock);
    int rc = max ? ps->b->ops->claim(ps->b, now, owner, lease_usec, max, collect_one, &c) : 0;
    quarantine_bad(&c);
    az_persist_unlock(ps);
    /* Records claimed before a failure are claimed: hand them out; the rest lapse with their lease. */
    size_t n = c.n < max ? c.n : max;
    if (n)
        memcpy(out, c.items, n * sizeof *out);
    for (size_t i = n; i < c.n; i++)
        asyncz_task_free(c.items[i].task);
    free(c.items);
    *n_out = n;
    return n ? 0 : rc;
}

static int p_release(asyncz_store *st, const char *id, uint64_t token, asyncz_task *next)
{
    persist_store *ps = PS(st);
    unsigned char *data = NULL;
    size_t len = 0;
    pthread_mutex_lock(&ps->lock);
    int rc = next ? az_record_encode(&ps->sealer, next, &data, &len) : 0;
    if (!rc) {
        az_record rec = {.id = id,
                         .next_run_time = next ? az_record_next_run_time(next) : ASYNCZ_TIME_NONE,
                         .data = data,
                         .len = len};
        rc = ps->b->ops->release(ps->b, id, token, next ? &rec : NULL);
    }
    az_persist_unlock(ps);
    free(data);
    return rc;
}

/* ---- quarantine and heartbeats ------------------------------------------------------------------ */

/* The quarantine is read whole under the lock, one block per entry (its strings and bytes inside), and
 * handed to the caller's function after it: that function may call the store again. The memory held is
 * the quarantine's size; each entry is freed once handed out, the rest when the function stops. */
typedef struct q_entry {
    struct q_entry *next;
    asyncz_quarantined q; /* its strings and bytes point into the block, after this struct */
} q_entry;

typedef struct q_gathered {
    q_entry *head, **end;
} q_gathered;

static int q_gather(const az_quarantine_rec *q, void *userdata)
{
    q_gathered *g = userdata;
    size_t id_len = strlen(q->id), reason_len = strlen(q->reason);
    q_entry *e = malloc(sizeof *e + id_len + reason_len + 2 + q->len);
    if (!e)
        return az_store_fail(ASYNCZ_ENOMEM, "out of memory listing the quarantine");
    char *id = (char *)(e + 1), *reason = id + id_len + 1;
    unsigned char *data = (unsigned char *)reason + reason_len + 1;
    memcpy(id, q->id, id_len + 1);
    memcpy(reason, q->reason, reason_len + 1);
    if (q->len)
        memcpy(data, q->data, q->len);
    *e = (q_entry){.q = {.task_id = id, .reason = reason, .at = q->at, .data = data, .len = q->len}};
    *g->end = e;
    g->end = &e->next;
    return 0;
}

static int p_quarantined(asyncz_store *st, asyncz_quarantine_fn each, void *userdata)
{
    persist_store *ps = PS(st);
    q_gathered g = {.end = &g.head};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->quarantined(ps->b, q_gather, &g);
    az_persist_unlock(ps);
    for (q_entry *e = g.head, *next; e; e = next) {
        next = e->next;
        if (!rc)
            rc = each(&e->q, userdata);
        free(e);
    }
    return rc;
}

static int p_heartbeat(asyncz_store *st, const asyncz_instance *self)
{
    persist_store *ps = PS(st);
    if (!ps->b->ops->put_instance)
        return 0;
    char *doc = NULL;
    size_t len = 0;
    int rc = az_instance_encode(self, &doc, &len);
    if (rc)
        return rc;
    pthread_mutex_lock(&ps->lock);
    rc = ps->b->ops->put_instance(ps->b, self->id, (const unsigned char *)doc, len);
    az_persist_unlock(ps);
    free(doc);
    return rc;
}

/* Instances are decoded under the lock into a list, then handed out without it. */
typedef struct inst_list {
    az_instance_doc *docs;
    size_t n;
    int rc;
} inst_list;

static int inst_collect(const char *id, const unsigned char *data, size_t len, void *userdata)
{
    inst_list *l = userdata;
    az_instance_doc doc;
    if (az_instance_decode(data, len, &doc) != 0)
        return 0; /* an unreadable heartbeat is skipped: it expires on its own */
    az_instance_doc *grown = realloc(l->docs, (l->n + 1) * sizeof *grown);
    if (!grown) {
        az_instance_doc_free(&doc);
        return l->rc = ASYNCZ_ENOMEM;
    }
    l->docs = grown;
    l->docs[l->n++] = doc;
    (void)id;
    return 0;
}

static int p_instances(asyncz_store *st, asyncz_instance_fn each, void *userdata)
{
    persist_store *ps = PS(st);
    if (!ps->b->ops->instances)
        return 0;
    inst_list l = {0};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->instances(ps->b, inst_collect, &l);
    az_persist_unlock(ps);
    for (size_t i = 0; i < l.n; i++) {
        if (!rc)
            rc = each(&l.docs[i].inst, userdata);
        az_instance_doc_free(&l.docs[i]);
    }
    free(l.docs);
    return rc;
}

static int p_remove_instance(asyncz_store *st, const char *id)
{
    persist_store *ps = PS(st);
    if (!ps->b->ops->remove_instance)
        return ASYNCZ_ENOTFOUND;
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->remove_instance(ps->b, id);
    az_persist_unlock(ps);
    return rc;
}

/* ---- construction -------------------------------------------------------------------------------- */

static void fill_ops(asyncz_store_ops *ops, const az_backend *b)
{
    *ops = (asyncz_store_ops){
        .version = ASYNCZ_STORE_OPS_VERSION,
        .name = b->ops->name,
        .caps = b->ops->caps | ASYNCZ_STORE_CAP_PERSISTENT,
        .open = p_open,
        .close = p_close,
        .add = p_add,
        .update = p_update,
        .remove = p_remove,
        .remove_all = p_remove_all,
        .lookup = p_lookup,
        .list = p_list,
        .due = p_due,
        .earliest = p_earliest,
        .count = p_count,
        .claim = p_claim,
        .release = p_release,
        .destroy = p_destroy,
        .quarantined = p_quarantined,
        .heartbeat = b->ops->put_instance ? p_heartbeat : NULL,
        .instances = b->ops->instances ? p_instances : NULL,
        .remove_instance = b->ops->remove_instance ? p_remove_instance : NULL,
        /* Without insert_many, asyncz_store_add_tasks adds one by one through p_add and undoes. */
        .add_many = b->ops->insert_many ? p_add_many : NULL,
    };
    az_persist_history_ops(ops, b);
}

int az_persist_new(az_backend *b, asyncz_store **out)
{
    persist_store *ps = calloc(1, sizeof *ps);
    if (!ps || pthread_mutex_init(&ps->lock, NULL) != 0) {
        free(ps);
        b->ops->destroy(b);
        return ASYNCZ_ENOMEM;
    }
    ps->b = b;
    ps->reports_end = &ps->reports;
    fill_ops(&ps->ops, b);
    snprintf(ps->logger, sizeof ps->logger, "asyncz.store.%s", b->ops->name);
    int rc = asyncz_store_base_init(&ps->base, &ps->ops);
    if (rc) {
        p_destroy((asyncz_store *)ps);
        return rc;
    }
    *out = (asyncz_store *)ps;
    return 0;
}

void az_persist_set_label(asyncz_store *st, const char *label)
{
    snprintf(PS(st)->label, sizeof PS(st)->label, "%s", label);
}

az_backend *az_persist_backend(asyncz_store *st)
{
    return st && ASYNCZ_STORE_BASE(st)->ops->open == p_open ? PS(st)->b : NULL;
}

/* ---- taking records out of the quarantine (asyncz_store_quarantine_*, store.h) -------------------- */

/* Which entry a restore works on: id's newest, or the one quarantined at `at`; its bytes copied. */
typedef struct q_pick {
    const char *id;
    asyncz_time_t at; /* ASYNCZ_TIME_NONE: the newest */
    bool found;
    asyncz_time_t found_at;
    unsigned char *data;
    size_t len;
    int rc;
} q_pick;

static int q_pick_one(const az_quarantine_rec *q, void *userdata)
{
    q_pick *p = userdata;
    if (strcmp(q->id, p->id) != 0 || (p->at != ASYNCZ_TIME_NONE && q->at != p->at) ||
        (p->found && q->at < p->found_at))
        return 0;
    unsigned char *copy = malloc(q->len ? q->len : 1);
    if (!copy)
        return p->rc = ASYNCZ_ENOMEM;
    memcpy(copy, q->data, q->len);
    free(p->data);
    *p = (q_pick){.id = p->id, .at = p->at, .found = true, .found_at = q->at, .data = copy, .len = q->len};
    return 0; /* go on: a later entry may be newer */
}

/* "quarantined at 2027-01-15T08:00:00.5Z" for messages. */
static const char *q_when(asyncz_time_t at, char *buf, size_t size)
{
    if (asyncz_time_format(buf, size, at, asyncz_zone_utc()) < 0)
        snprintf(buf, size, "%lld µs", (long long)at);
    return buf;
}

static int q_find(persist_store *ps, q_pick *p)
{
    int rc = ps->b->ops->quarantined(ps->b, q_pick_one, p);
    if (!rc && p->rc)
        rc = p->rc;
    if (rc || p->found)
        return rc;
    char when[64];
    if (p->at == ASYNCZ_TIME_NONE)
        return az_store_fail(ASYNCZ_ENOTFOUND, "no record of task \"%s\" is quarantined", p->id);
    return az_store_fail(ASYNCZ_ENOTFOUND, "no record of task \"%s\" was quarantined at %s", p->id,
                         q_when(p->at, when, sizeof when));
}

int az_persist_quarantine_open(asyncz_store *st, const char *id, const unsigned char *data, size_t len,
                               char **document, size_t *doc_len, asyncz_task **task)
{
    persist_store *ps = PS(st);
    asyncz_task *t = NULL;
    char reason[320] = "";
    pthread_mutex_lock(&ps->lock);
    int rc =
        az_record_open_quarantined(&ps->sealer, id, data, len, document, doc_len, &t, reason, sizeof reason);
    az_persist_unlock(ps);
    if (rc == AZ_RECORD_NO_KEY)
        rc = ASYNCZ_ECRYPTO;
    if (rc == ASYNCZ_ENOMEM)
        return az_store_fail(rc, "task \"%s\": out of memory", id);
    if (rc) {
        plain_text(reason);
        return az_store_fail(rc, "task \"%s\": %s", id, reason);
    }
    if (task)
        *task = t;
    else
        asyncz_task_free(t);
    return 0;
}

/* Put the restored task back: a new record, or over the live one when replace says so. */
static int put_back(persist_store *ps, const asyncz_task *t, bool replace)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = az_record_encode(&ps->sealer, t, &data, &len);
    if (rc)
        return az_store_fail(rc, "task \"%s\" cannot be encoded again", t->id);
    az_record rec = {.id = t->id, .next_run_time = az_record_next_run_time(t), .data = data, .len = len};
    rc = ps->b->ops->insert(ps->b, &rec);
    if (rc == ASYNCZ_EEXISTS && replace && (rc = ps->b->ops->replace(ps->b, &rec)) == ASYNCZ_ENOTFOUND)
        rc = ps->b->ops->insert(ps->b, &rec); /* removed meanwhile */
    free(data);
    if (rc == ASYNCZ_EEXISTS)
        return az_store_fail(rc, "the %s store already holds a live task \"%s\": nothing restored",
                             ps->b->ops->name, t->id);
    return rc;
}

int az_persist_quarantine_restore(asyncz_store *st, const char *id, asyncz_time_t at, bool replace,
                                  asyncz_task **restored)
{
    persist_store *ps = PS(st);
    q_pick p = {.id = id, .at = at};
    asyncz_task *t = NULL;
    char *doc = NULL, reason[320] = "", when[64];
    size_t doc_len = 0, dropped = 0;
    pthread_mutex_lock(&ps->lock);
    int rc = q_find(ps, &p);
    if (!rc) {
        rc = az_record_open_quarantined(&ps->sealer, id, p.data, p.len, &doc, &doc_len, &t, reason,
                                        sizeof reason);
        if (rc == AZ_RECORD_NO_KEY)
            rc = ASYNCZ_ECRYPTO;
        plain_text(reason);
        if (rc)
            rc = az_store_fail(rc, "task \"%s\" (quarantined at %s) cannot be restored: %s", id,
                               q_when(p.found_at, when, sizeof when),
                               rc == ASYNCZ_ENOMEM ? "out of memory" : reason);
    }
    if (!rc && (rc = put_back(ps, t, replace)) == 0 &&
        (rc = ps->b->ops->quarantine_drop(ps->b, id, p.found_at, &dropped)) != 0) {
        /* The task is back; the entry stays, to be dropped by hand: never neither. */
        char msg[400];
        snprintf(msg, sizeof msg, "%s", asyncz_store_errmsg());
        rc = az_store_fail(rc, "task \"%s\" was restored, but its quarantine entry could not be removed: %s",
                           id, msg);
    }
    az_persist_unlock(ps);
    free(doc);
    free(p.data);
    if (!rc && restored)
        *restored = t;
    else
        asyncz_task_free(t);
    if (!rc)
        asyncz_log(ASYNCZ_LOG_INFO, ps->logger, "task \"%s\" restored from the quarantine", id);
    return rc;
}

int az_persist_quarantine_drop(asyncz_store *st, const char *id, asyncz_time_t at, size_t *dropped)
{
    persist_store *ps = PS(st);
    size_t n = 0;
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->quarantine_drop(ps->b, id, at, &n);
    az_persist_unlock(ps);
    if (dropped)
        *dropped = n;
    if (rc || n)
        return rc;
    char when[64];
    if (at == ASYNCZ_TIME_NONE)
        return az_store_fail(ASYNCZ_ENOTFOUND, "no record of task \"%s\" is quarantined", id);
    return az_store_fail(ASYNCZ_ENOTFOUND, "no record of task \"%s\" was quarantined at %s", id,
                         q_when(at, when, sizeof when));
}
