/* The run history of a persistent store (asyncz/sys/store.h history ops over backend.h's journals).
 *
 * Each record becomes its JSON document (codec/run_codec.h), sealed when the store has a key (the associated
 * data binds it to "runs/<run id>", so an entry copied under another id, or into the audit journal, does not
 * open), with the columns the backend indexes beside it. What comes back is opened and decoded, and its
 * columns checked against the document: an entry that fails (tampered, sealed with another key, plain
 * although a key is set, not a run document) is refused, never handed out, and logged.
 *
 * Pruning: by age, a bounded backend call per journal; by count per task, for the tasks this store object
 * has written runs of (a scheduler writes the runs of the tasks it runs, so every active task is trimmed
 * by some scheduler), once a tenth of the limit has been written since the task's last trim, at most
 * TRIM_TASKS_PER_CALL tasks per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "codec/audit_codec.h"
#include "codec/run_codec.h"
#include "core/audit.h"
#include "core/history.h"
#include "store/persist_internal.h"
#include "util/ids.h"
#include "util/map.h"

/* Entries per backend call when writing. */
#define PUT_CHUNK 1000
/* Tasks remembered for trimming; beyond, a task waits until the list has room again. */
#define TRIM_TASKS_MAX 4096
/* Tasks trimmed per prune call (each is one backend call), and records removed by trimming per call: a
 * task's old records are spread over the store (a page each), so a trim costs more per record than pruning
 * by age (SQLite at 1,000,000 records: 256 trimmed took 11 ms of CPU). */
#define TRIM_TASKS_PER_CALL 2
#define TRIM_RECORDS_PER_CALL 32
/* Running records marked lost per backend listing. */
#define MARK_LOST_PAGE 500

/* A task written to since its last trim. */
typedef struct trim_task {
    char *id;
    uint32_t written; /* records written since its last trim */
} trim_task;

struct az_phist {
    trim_task *tasks; /* no duplicates; trimmed from the end */
    size_t n;
    az_map index; /* task id -> position + 1 */
};

static persist_store *PS(asyncz_store *st)
{
    return (persist_store *)st;
}

static const char *label_of(const persist_store *ps)
{
    return ps->label[0] ? ps->label : ps->b->ops->name;
}

/* ---- the tasks to trim ---------------------------------------------------------------------------- */

static const char *trim_key(const void *ctx, uint32_t ref)
{
    return ((const struct az_phist *)ctx)->tasks[ref - 1].id;
}

static struct az_phist *hist_of(persist_store *ps)
{
    if (!ps->hist && (ps->hist = calloc(1, sizeof *ps->hist)) != NULL &&
        (!(ps->hist->tasks = calloc(TRIM_TASKS_MAX, sizeof *ps->hist->tasks)) ||
         az_map_reserve(&ps->hist->index, TRIM_TASKS_MAX) != 0)) {
        free(ps->hist->tasks);
        free(ps->hist);
        ps->hist = NULL;
    }
    return ps->hist;
}

/* Count a record written for task_id (out of memory or a full list: it waits for a later write). */
static void note_written(persist_store *ps, const char *task_id)
{
    struct az_phist *h = hist_of(ps);
    if (!h)
        return;
    uint32_t hash = az_map_hash(task_id);
    size_t slot = az_map_find(&h->index, hash, task_id, trim_key, h);
    uint32_t ref = h->index.slots[slot].ref;
    if (ref) {
        h->tasks[ref - 1].written++;
        return;
    }
    char *id = h->n < TRIM_TASKS_MAX ? strdup(task_id) : NULL;
    if (!id)
        return;
    h->tasks[h->n] = (trim_task){id, 1};
    az_map_put_at(&h->index, slot, hash, (uint32_t)++h->n);
}

/* Forget the task at position i (after its trim): the last one takes its place. */
static void drop_task(struct az_phist *h, size_t i)
{
    trim_task *t = &h->tasks[i];
    size_t slot = az_map_find(&h->index, az_map_hash(t->id), t->id, trim_key, h);
    az_map_del_at(&h->index, slot);
    free(t->id);
    size_t last = --h->n;
    if (i != last) {
        h->tasks[i] = h->tasks[last];
        az_map_rebind(&h->index, az_map_hash(h->tasks[i].id), (uint32_t)last + 1, (uint32_t)i + 1);
    }
}

void az_persist_history_free(persist_store *ps)
{
    struct az_phist *h = ps->hist;
    if (!h)
        return;
    while (h->n)
        drop_task(h, h->n - 1);
    az_map_free(&h->index);
    free(h->tasks);
    free(h);
    ps->hist = NULL;
}

/* ---- entries ---------------------------------------------------------------------------------------- */

/* The associated data of a sealed entry: its journal and id. */
static const char *seal_name(char *buf, size_t size, az_journal j, const char *id)
{
    snprintf(buf, size, "%s/%s", az_journal_name(j), id);
    return buf;
}

/* The bytes of an entry: the document, sealed when the store has a key. *data is malloc'd. */
static int seal_entry(persist_store *ps, az_journal j, const char *id, char *doc, size_t len,
                      unsigned char **data, size_t *data_len)
{
    if (!ps->sealer.enabled) {
        *data = (unsigned char *)doc;
        *data_len = len;
        return 0;
    }
    char name[64];
    int rc = az_seal(&ps->sealer, seal_name(name, sizeof name, j, id), (const unsigned char *)doc, len, data,
                     data_len);
    free(doc);
    return rc;
}

/* Open an entry's bytes into *doc (malloc'd, NUL-terminated). Errors: ASYNCZ_ECRYPTO with why. */
static int open_entry(persist_store *ps, az_journal j, const az_jentry *e, char **doc, size_t *len, char *why,
                      size_t size)
{
    bool sealed = az_seal_looks_sealed(e->data, e->len);
    if (sealed && !ps->sealer.enabled) {
        snprintf(why, size, "sealed, and ASYNCZ_STORE_ENCRYPTION_KEY is not set");
        return ASYNCZ_ECRYPTO;
    }
    if (!sealed && ps->sealer.enabled) {
        snprintf(why, size,
                 "not sealed, although the store's records are (written without the key: refused)");
        return ASYNCZ_ECRYPTO;
    }
    if (sealed) {
        char name[64];
        int rc = az_unseal(&ps->sealer, seal_name(name, sizeof name, j, e->id), e->data, e->len,
                           (unsigned char **)doc, len);
        if (rc == ASYNCZ_ECRYPTO)
            snprintf(why, size,
                     "does not open with the store's key (tampered, another key, or moved from "
                     "another entry)");
        return rc;
    }
    if (!(*doc = malloc(e->len + 1)))
        return ASYNCZ_ENOMEM;
    memcpy(*doc, e->data, e->len);
    (*doc)[e->len] = '\0';
    *len = e->len;
    return 0;
}

static bool same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Whether a decoded record agrees with the columns it was found by. */
static bool columns_match(const asyncz_run_record *r, const az_jentry *e)
{
    return strcmp(r->run_id, e->id) == 0 && same_text(r->task_id, e->task_id) &&
           (int)r->outcome == e->status && r->submitted_at == e->at && same_text(r->scheduler, e->who);
}

static void refuse(persist_store *ps, const char *id, const char *why)
{
    asyncz_log(ASYNCZ_LOG_WARNING, ps->logger, "%s: run record %s refused: %s", label_of(ps), id, why);
}

/* Decode an entry into *rec (owning). Refused entries are logged; rc ASYNCZ_ECRYPTO / ASYNCZ_EPARSE. */
static int decode_entry(persist_store *ps, const az_jentry *e, bool with_output, asyncz_run_record *rec)
{
    char why[320] = "";
    char *doc = NULL;
    size_t len = 0;
    int rc = open_entry(ps, AZ_JOURNAL_RUNS, e, &doc, &len, why, sizeof why);
    if (rc == 0)
        rc = az_run_decode(doc, len, with_output, rec, why, sizeof why);
    free(doc);
    if (rc == 0 && !columns_match(rec, e)) {
        az_run_record_clear(rec);
        snprintf(why, sizeof why, "its indexed columns do not match its document (altered in the store)");
        rc = ASYNCZ_ECRYPTO;
    }
    if (rc && rc != ASYNCZ_ENOMEM)
        refuse(ps, e->id, why);
    if (rc)
        az_store_fail(rc, "%s: run %s: %s", label_of(ps), e->id, why[0] ? why : asyncz_strerror(rc));
    return rc;
}

/* ---- history_put --------------------------------------------------------------------------------- */

typedef struct encoded {
    az_jentry *entries;
    unsigned char **data;
    size_t n;
} encoded;

static void encoded_free(encoded *en)
{
    for (size_t i = 0; i < en->n; i++)
        free(en->data[i]);
    free(en->data);
    free(en->entries);
}

static int check_record(const asyncz_run_record *r)
{
    if (!az_run_id_valid_buf(r->run_id))
        return az_store_fail(ASYNCZ_EINVAL, "run record: \"%.40s\" is not a run id", r->run_id);
    if (!r->task_id || !r->task_id[0] || strlen(r->task_id) > 255)
        return az_store_fail(ASYNCZ_EINVAL, "run record %s: no task id (or one over 255 bytes)", r->run_id);
    return 0;
}

static int encode_one(persist_store *ps, const asyncz_run_record *r, az_jentry *e, unsigned char **data)
{
    char *doc = NULL;
    size_t len = 0, data_len = 0;
    int rc = az_run_encode(r, &doc, &len);
    if (rc)
        return az_store_fail(rc, "run record %s: cannot be encoded (%s)", r->run_id, asyncz_strerror(rc));
    if ((rc = seal_entry(ps, AZ_JOURNAL_RUNS, r->run_id, doc, len, data, &data_len)) != 0)
        return az_store_fail(rc, "run record %s: cannot be sealed", r->run_id);
    if (data_len > AZ_JOURNAL_MAX)
        return az_store_fail(ASYNCZ_ETOOBIG, "run record %s: %zu bytes, over the %u a store keeps", r->run_id,
                             data_len, (unsigned)AZ_JOURNAL_MAX);
    *e = (az_jentry){.id = r->run_id,
                     .task_id = r->task_id,
                     .at = r->submitted_at,
                     .end_at = r->finished_at != ASYNCZ_TIME_NONE ? r->finished_at : r->submitted_at,
                     .status = (int)r->outcome,
                     .who = r->scheduler ? r->scheduler : "",
                     .data = *data,
                     .len = data_len};
    return 0;
}

/* Encode (and seal) every record before the backend sees any: a bad one refuses the whole batch. */
static int encode_all(persist_store *ps, const asyncz_run_record *recs, size_t n, encoded *en)
{
    en->entries = calloc(n, sizeof *en->entries);
    en->data = calloc(n, sizeof *en->data);
    if (!en->entries || !en->data)
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = check_record(&recs[i]);
        if (rc == 0)
            rc = encode_one(ps, &recs[i], &en->entries[i], &en->data[i]);
        en->n = i + 1;
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- one record per run id ------------------------------------------------------------------------ */

typedef struct rec_keys {
    const asyncz_run_record *recs;
} rec_keys;

static const char *rec_key(const void *ctx, uint32_t ref)
{
    return ((const rec_keys *)ctx)->recs[ref - 1].run_id;
}

/* The records of a batch with one per run id, the last one written (a run's completion after its start,
 * when both wait in one batch): a backend's batch takes each id once. *kept: recs itself when there were
 * no repeats, else a malloc'd copy of the kept records (in their order); *n_kept their count. */
static int one_per_run(const asyncz_run_record *recs, size_t n, asyncz_run_record **kept, size_t *n_kept)
{
    *kept = NULL;
    *n_kept = n;
    if (n < 2)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!memchr(recs[i].run_id, '\0', sizeof recs[i].run_id))
            return 0; /* not a run id: encode_all refuses the batch */
    az_map m = {0};
    if (az_map_reserve(&m, n) != 0)
        return ASYNCZ_ENOMEM;
    rec_keys keys = {recs};
    uint32_t *last = malloc(n * sizeof *last); /* for each record, whether it is its id's last */
    if (!last) {
        az_map_free(&m);
        return ASYNCZ_ENOMEM;
    }
    size_t repeats = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t hash = az_map_hash(recs[i].run_id);
        size_t slot = az_map_find(&m, hash, recs[i].run_id, rec_key, &keys);
        uint32_t ref = m.slots[slot].ref;
        last[i] = 1;
        if (ref) {
            last[ref - 1] = 0; /* an earlier write of the same run: superseded */
            repeats++;
            m.slots[slot].ref = (uint32_t)i + 1;
        } else {
            az_map_put_at(&m, slot, hash, (uint32_t)i + 1);
        }
    }
    az_map_free(&m);
    int rc = 0;
    if (repeats && (*kept = malloc((n - repeats) * sizeof **kept)) == NULL)
        rc = ASYNCZ_ENOMEM;
    for (size_t i = 0, k = 0; repeats && rc == 0 && i < n; i++)
        if (last[i])
            (*kept)[k++] = recs[i];
    if (repeats && rc == 0)
        *n_kept = n - repeats;
    free(last);
    return rc;
}

static int p_history_put(asyncz_store *st, const asyncz_run_record *all, size_t n_all)
{
    persist_store *ps = PS(st);
    if (n_all == 0)
        return 0;
    asyncz_run_record *kept = NULL;
    size_t n = n_all;
    int rc = one_per_run(all, n_all, &kept, &n);
    if (rc)
        return rc;
    const asyncz_run_record *recs = kept ? kept : all;
    encoded en = {0};
    pthread_mutex_lock(&ps->lock);
    rc = encode_all(ps, recs, n, &en);
    for (size_t i = 0; rc == 0 && i < n; i += PUT_CHUNK)
        rc = ps->b->ops->journal_put(ps->b, AZ_JOURNAL_RUNS, en.entries + i,
                                     n - i < PUT_CHUNK ? n - i : PUT_CHUNK);
    for (size_t i = 0; rc == 0 && i < n; i++)
        note_written(ps, recs[i].task_id);
    az_persist_unlock(ps);
    encoded_free(&en);
    free(kept);
    return rc;
}

/* ---- listing ------------------------------------------------------------------------------------- */

/* What a listing gathers under the lock, to hand out after it. */
typedef struct gathered {
    persist_store *ps;
    bool with_output;
    asyncz_run_record *recs;
    size_t n, cap;
    size_t seen;                         /* entries the backend handed out, refused ones included */
    char last_id[AZ_JOURNAL_ID_LEN + 1]; /* the last of them */
    int rc;                              /* out of memory */
} gathered;

static int gather_one(const az_jentry *e, void *userdata)
{
    gathered *g = userdata;
    g->seen++;
    snprintf(g->last_id, sizeof g->last_id, "%s", e->id);
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        asyncz_run_record *recs = realloc(g->recs, cap * sizeof *recs);
        if (!recs)
            return g->rc = ASYNCZ_ENOMEM;
        g->recs = recs;
        g->cap = cap;
    }
    int rc = decode_entry(g->ps, e, g->with_output, &g->recs[g->n]);
    if (rc == ASYNCZ_ENOMEM)
        return g->rc = rc;
    if (rc == 0)
        g->n++;
    return 0;
}

static void gathered_free(gathered *g)
{
    for (size_t i = 0; i < g->n; i++)
        az_run_record_clear(&g->recs[i]);
    free(g->recs);
}

static az_jquery jquery_of(const asyncz_history_query *q)
{
    return (az_jquery){.task_id = q->task_id,
                       .statuses = q->outcomes,
                       .since = q->since,
                       .until = q->until,
                       .who = q->scheduler,
                       .before = q->cursor && q->cursor[0] ? q->cursor : NULL,
                       .limit = q->limit};
}

static int p_history_list(asyncz_store *st, const asyncz_history_query *q, asyncz_run_record_fn each,
                          void *userdata, char *next_cursor)
{
    persist_store *ps = PS(st);
    next_cursor[0] = '\0';
    if (q->cursor && q->cursor[0] && !az_run_id_valid(q->cursor))
        return az_store_fail(ASYNCZ_EINVAL, "history cursor \"%.40s\" is not one this store handed out",
                             q->cursor);
    az_jquery jq = jquery_of(q);
    gathered g = {.ps = ps, .with_output = q->with_output};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->journal_list(ps->b, AZ_JOURNAL_RUNS, &jq, gather_one, &g);
    az_persist_unlock(ps);
    if (rc == 0)
        rc = g.rc;
    for (size_t i = 0; rc == 0 && i < g.n; i++)
        rc = each(&g.recs[i], userdata);
    /* A full page may have more after it, even when some of it was refused. */
    if (rc == 0 && g.seen == q->limit)
        snprintf(next_cursor, ASYNCZ_HISTORY_CURSOR_SIZE, "%s", g.last_id);
    gathered_free(&g);
    return rc;
}

/* ---- one record ---------------------------------------------------------------------------------- */

static int p_history_get(asyncz_store *st, const char *run_id, asyncz_run_record **out)
{
    persist_store *ps = PS(st);
    gathered g = {.ps = ps, .with_output = true};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->journal_get(ps->b, AZ_JOURNAL_RUNS, run_id, gather_one, &g);
    az_persist_unlock(ps);
    if (rc == 0 && g.rc)
        rc = g.rc;
    if (rc == 0 && g.n == 0) /* refused: decode_entry said why */
        rc = ASYNCZ_ECRYPTO;
    if (rc == 0 && !(*out = malloc(sizeof **out)))
        rc = ASYNCZ_ENOMEM;
    if (rc == 0) {
        **out = g.recs[0];
        g.n = 0;
    }
    gathered_free(&g);
    return rc;
}

/* ---- retention ----------------------------------------------------------------------------------- */

/* Trim the tasks written to enough since their last trim, from the end of the list (a trimmed task leaves
 * it, and the last one, already seen, takes its place); *budget shrinks. */
static int trim_tasks(persist_store *ps, uint32_t keep, size_t *budget)
{
    struct az_phist *h = ps->hist;
    uint32_t every = keep / 10 ? keep / 10 : 1;
    int calls = 0;
    for (size_t i = h ? h->n : 0; i > 0 && *budget > 0 && calls < TRIM_TASKS_PER_CALL; i--) {
        trim_task *t = &h->tasks[i - 1];
        if (t->written < every)
            continue;
        size_t removed = 0;
        calls++;
        for (int j = 0; j<AZ_JOURNAL_COUNT && * budget> 0; j++) {
            int rc = ps->b->ops->journal_trim_task(ps->b, (az_journal)j, t->id, keep, *budget, &removed);
            if (rc)
                return rc;
            *budget -= removed;
        }
        if (*budget == 0)
            break; /* maybe more: trimmed again next call */
        drop_task(h, i - 1);
    }
    return 0;
}

static int p_history_prune(asyncz_store *st, const asyncz_history_retention *r, asyncz_time_t now, size_t max,
                           size_t *pruned)
{
    persist_store *ps = PS(st);
    size_t budget = max, removed = 0;
    int rc = 0;
    pthread_mutex_lock(&ps->lock);
    for (int j = 0; rc == 0 && r->max_age_usec > 0 && j < AZ_JOURNAL_COUNT && budget > 0; j++) {
        rc = ps->b->ops->journal_prune_age(ps->b, (az_journal)j, now - r->max_age_usec, budget, &removed);
        budget -= rc == 0 ? removed : 0;
    }
    if (rc == 0 && r->max_runs_per_task > 0) {
        size_t trim_budget = budget < TRIM_RECORDS_PER_CALL ? budget : TRIM_RECORDS_PER_CALL;
        size_t left = trim_budget;
        rc = trim_tasks(ps, r->max_runs_per_task, &left);
        budget -= trim_budget - left;
    }
    az_persist_unlock(ps);
    *pruned = max - budget;
    return rc;
}

/* ---- a lost scheduler's runs ----------------------------------------------------------------------- */

static int mark_page(persist_store *ps, const char *scheduler, asyncz_time_t now, const char *reason,
                     size_t *marked, bool *more)
{
    az_jquery q = {.statuses = 1u << ASYNCZ_RUN_RUNNING,
                   .since = ASYNCZ_TIME_NONE,
                   .until = ASYNCZ_TIME_NONE,
                   .who = scheduler,
                   .limit = MARK_LOST_PAGE};
    gathered g = {.ps = ps, .with_output = true};
    int rc = ps->b->ops->journal_list(ps->b, AZ_JOURNAL_RUNS, &q, gather_one, &g);
    if (rc == 0)
        rc = g.rc;
    for (size_t i = 0; i < g.n; i++) {
        asyncz_run_record *r = &g.recs[i];
        r->outcome = ASYNCZ_RUN_LOST;
        r->finished_at = now;
        r->error_code = ASYNCZ_ESTATE;
        free((char *)r->error_message);
        r->error_message = strdup(reason);
    }
    encoded en = {0};
    if (rc == 0 && g.n)
        rc = encode_all(ps, g.recs, g.n, &en);
    if (rc == 0 && g.n)
        rc = ps->b->ops->journal_put(ps->b, AZ_JOURNAL_RUNS, en.entries, g.n);
    encoded_free(&en);
    *marked += rc == 0 ? g.n : 0;
    /* Refused entries stay running (they cannot be rewritten); only a full page of good ones asks again. */
    *more = rc == 0 && g.n == MARK_LOST_PAGE;
    gathered_free(&g);
    return rc;
}

static int p_history_mark_lost(asyncz_store *st, const char *scheduler, asyncz_time_t now, const char *reason,
                               size_t *marked)
{
    persist_store *ps = PS(st);
    *marked = 0;
    bool more = true;
    int rc = 0;
    pthread_mutex_lock(&ps->lock);
    while (rc == 0 && more)
        rc = mark_page(ps, scheduler, now, reason, marked, &more);
    az_persist_unlock(ps);
    return rc;
}

/* ---- the audit trail ----------------------------------------------------------------------------- */

static int encode_audit(persist_store *ps, const asyncz_audit_entry *a, az_jentry *e, unsigned char **data)
{
    if (!az_run_id_valid_buf(a->id) || !a->task_id || !a->task_id[0] || strlen(a->task_id) > 255)
        return az_store_fail(ASYNCZ_EINVAL, "audit entry \"%.40s\": no valid id or task id", a->id);
    char *doc = NULL;
    size_t len = 0, data_len = 0;
    int rc = az_audit_encode(a, &doc, &len);
    if (rc)
        return az_store_fail(rc, "audit entry %s: cannot be encoded (its changes are not a JSON object)",
                             a->id);
    if ((rc = seal_entry(ps, AZ_JOURNAL_AUDIT, a->id, doc, len, data, &data_len)) != 0)
        return az_store_fail(rc, "audit entry %s: cannot be sealed", a->id);
    if (data_len > AZ_JOURNAL_MAX)
        return az_store_fail(ASYNCZ_ETOOBIG, "audit entry %s: %zu bytes, over the %u a store keeps", a->id,
                             data_len, (unsigned)AZ_JOURNAL_MAX);
    *e = (az_jentry){.id = a->id,
                     .task_id = a->task_id,
                     .at = a->at,
                     .end_at = a->at,
                     .status = (int)a->action,
                     .who = a->actor ? a->actor : "",
                     .data = *data,
                     .len = data_len};
    return 0;
}

static int p_audit_put(asyncz_store *st, const asyncz_audit_entry *entries, size_t n)
{
    persist_store *ps = PS(st);
    encoded en = {.entries = calloc(n ? n : 1, sizeof(az_jentry)),
                  .data = calloc(n ? n : 1, sizeof(unsigned char *))};
    int rc = en.entries && en.data ? 0 : ASYNCZ_ENOMEM;
    pthread_mutex_lock(&ps->lock);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = encode_audit(ps, &entries[i], &en.entries[i], &en.data[i]);
        en.n = i + 1;
    }
    if (rc == 0 && n)
        rc = ps->b->ops->journal_put(ps->b, AZ_JOURNAL_AUDIT, en.entries, n);
    az_persist_unlock(ps);
    encoded_free(&en);
    return rc;
}

/* An audit listing, gathered under the lock. */
typedef struct audit_gathered {
    persist_store *ps;
    asyncz_audit_entry *entries;
    size_t n, cap, seen;
    char last_id[AZ_JOURNAL_ID_LEN + 1];
    int rc;
} audit_gathered;

static bool audit_columns_match(const asyncz_audit_entry *a, const az_jentry *e)
{
    return strcmp(a->id, e->id) == 0 && same_text(a->task_id, e->task_id) && (int)a->action == e->status &&
           a->at == e->at && same_text(a->actor, e->who);
}

static int decode_audit(persist_store *ps, const az_jentry *e, asyncz_audit_entry *out)
{
    char why[320] = "";
    char *doc = NULL;
    size_t len = 0;
    int rc = open_entry(ps, AZ_JOURNAL_AUDIT, e, &doc, &len, why, sizeof why);
    if (rc == 0)
        rc = az_audit_decode(doc, len, out, why, sizeof why);
    free(doc);
    if (rc == 0 && !audit_columns_match(out, e)) {
        az_audit_entry_clear(out);
        snprintf(why, sizeof why, "its indexed columns do not match its document (altered in the store)");
        rc = ASYNCZ_ECRYPTO;
    }
    if (rc && rc != ASYNCZ_ENOMEM)
        asyncz_log(ASYNCZ_LOG_WARNING, ps->logger, "%s: audit entry %s refused: %s", label_of(ps), e->id,
                   why);
    return rc;
}

static int audit_gather_one(const az_jentry *e, void *userdata)
{
    audit_gathered *g = userdata;
    g->seen++;
    snprintf(g->last_id, sizeof g->last_id, "%s", e->id);
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        asyncz_audit_entry *entries = realloc(g->entries, cap * sizeof *entries);
        if (!entries)
            return g->rc = ASYNCZ_ENOMEM;
        g->entries = entries;
        g->cap = cap;
    }
    int rc = decode_audit(g->ps, e, &g->entries[g->n]);
    if (rc == ASYNCZ_ENOMEM)
        return g->rc = rc;
    if (rc == 0)
        g->n++;
    return 0;
}

static int p_audit_list(asyncz_store *st, const asyncz_audit_query *q, asyncz_audit_fn each, void *userdata,
                        char *next_cursor)
{
    persist_store *ps = PS(st);
    next_cursor[0] = '\0';
    az_jquery jq = {.task_id = q->task_id,
                    .statuses = q->actions,
                    .since = q->since,
                    .until = q->until,
                    .who = q->actor,
                    .before = q->cursor && q->cursor[0] ? q->cursor : NULL,
                    .limit = q->limit};
    audit_gathered g = {.ps = ps};
    pthread_mutex_lock(&ps->lock);
    int rc = ps->b->ops->journal_list(ps->b, AZ_JOURNAL_AUDIT, &jq, audit_gather_one, &g);
    az_persist_unlock(ps);
    if (rc == 0)
        rc = g.rc;
    for (size_t i = 0; rc == 0 && i < g.n; i++)
        rc = each(&g.entries[i], userdata);
    if (rc == 0 && g.seen == q->limit)
        snprintf(next_cursor, ASYNCZ_HISTORY_CURSOR_SIZE, "%s", g.last_id);
    for (size_t i = 0; i < g.n; i++)
        az_audit_entry_clear(&g.entries[i]);
    free(g.entries);
    return rc;
}

/* ---- the ops ------------------------------------------------------------------------------------- */

void az_persist_history_ops(asyncz_store_ops *ops, const az_backend *b)
{
    const az_backend_ops *bo = b->ops;
    if (!bo->journal_put || !bo->journal_list || !bo->journal_get || !bo->journal_prune_age ||
        !bo->journal_trim_task)
        return;
    ops->history_put = p_history_put;
    ops->history_list = p_history_list;
    ops->history_get = p_history_get;
    ops->history_prune = p_history_prune;
    ops->history_mark_lost = p_history_mark_lost;
    ops->audit_put = p_audit_put;
    ops->audit_list = p_audit_list;
}
