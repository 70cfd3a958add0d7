/* The scheduler's run history recording (docs/design.md "Run history"): entries buffered per store slot
 * under the scheduler's lock where occurrences are decided and finished, written in the core round under
 * the slot's io lock, one history_put per store per round, never under `lock`. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/history.h"
#include "core/log_internal.h"
#include "core/run_internal.h"
#include "core/run_output.h"
#include "core/scheduler_internal.h"
#include "util/host.h"

/* A block with room for n bytes in front of b's text: a spare one or a new one. NULL: out of memory. */
static az_hist_text *text_block(az_hist_buf *b, size_t n)
{
    az_hist_text *t = b->text_spare;
    if (t && t->cap >= n) {
        b->text_spare = t->next;
    } else {
        size_t cap = n > AZ_HIST_TEXT_BLOCK ? n : AZ_HIST_TEXT_BLOCK;
        if (!(t = malloc(sizeof *t + cap)))
            return NULL;
        t->cap = cap;
    }
    t->len = 0;
    t->next = b->text;
    b->text = t;
    return t;
}

/* A copy of s in b's text, or NULL (out of memory). */
static const char *text_add(az_hist_buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    az_hist_text *t = b->text;
    if ((!t || t->cap - t->len < n) && !(t = text_block(b, n)))
        return NULL;
    char *copy = memcpy(t->data + t->len, s, n);
    t->len += n;
    return copy;
}

/* Empty b's text, its blocks kept for the next strings. */
static void text_reset(az_hist_buf *b)
{
    for (az_hist_text *t = b->text, *next; t; t = next) {
        next = t->next;
        t->next = b->text_spare;
        b->text_spare = t;
    }
    b->text = NULL;
}

static void text_free(az_hist_buf *b)
{
    text_reset(b);
    for (az_hist_text *t = b->text_spare, *next; t; t = next) {
        next = t->next;
        free(t);
    }
    b->text_spare = NULL;
}

/* Room for one more record in b. Errors: ASYNCZ_ENOMEM. */
static int recs_reserve(az_hist_buf *b)
{
    if (b->n < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 64;
    asyncz_run_record *recs = realloc(b->recs, cap * sizeof *recs);
    if (recs)
        b->recs = recs;
    az_output **outputs = recs ? realloc(b->outputs, cap * sizeof *outputs) : NULL;
    if (!outputs)
        return ASYNCZ_ENOMEM; /* recs may have grown: harmless, cap says what both hold */
    b->outputs = outputs;
    b->cap = cap;
    return 0;
}

/* A new record of a run of the task with this id and name at the end of b, nothing known of the run or of
 * who records it yet; or NULL (out of memory). */
static asyncz_run_record *entry_push(az_hist_buf *b, const char *id, const char *name)
{
    const char *id_copy, *name_copy = NULL;
    if (recs_reserve(b) != 0 || !(id_copy = text_add(b, id)) || (name && !(name_copy = text_add(b, name))))
        return NULL; /* what text_add took stays until the buffer is reset */
    b->outputs[b->n] = NULL;
    asyncz_run_record *r = &b->recs[b->n++];
    *r = (asyncz_run_record){.task_id = id_copy,
                             .task_name = name_copy,
                             .scheduled_time = ASYNCZ_TIME_NONE,
                             .coalesced = 1,
                             .submitted_at = ASYNCZ_TIME_NONE,
                             .started_at = ASYNCZ_TIME_NONE,
                             .finished_at = ASYNCZ_TIME_NONE,
                             .outcome = ASYNCZ_RUN_RUNNING,
                             .exit_status = -1};
    return r;
}

/* A new record at the end of the slot's buffer, naming this scheduler as its writer, or NULL (full or out of
 * memory: counted as dropped). */
static asyncz_run_record *entry_add(az_store_slot *slot, asyncz_task *task)
{
    az_hist_buf *b = &slot->hist;
    asyncz_run_record *r = b->n < AZ_HIST_BUF_MAX ? entry_push(b, task->id, asyncz_task_name(task)) : NULL;
    if (!r) {
        b->dropped++;
        return NULL;
    }
    if (slot->hist_pid == 0)
        slot->hist_pid = (int64_t)getpid();
    r->store_alias = slot->alias;
    r->scheduler = slot->host.identity;
    r->host = az_host_name();
    r->pid = slot->hist_pid;
    return r;
}

/* Free what record i of b owns. */
static void entry_clear(az_hist_buf *b, size_t i)
{
    free((char *)(uintptr_t)b->recs[i].error_message);
    free((char *)(uintptr_t)b->recs[i].result);
    az_output_free(b->outputs[i]);
}

/* Give record r of b the output o (owned; NULL: none), freeing the one it had. */
static void entry_set_output(az_hist_buf *b, asyncz_run_record *r, az_output *o)
{
    size_t i = (size_t)(r - b->recs);
    az_output_free(b->outputs[i]);
    b->outputs[i] = o;
    b->owning += o != NULL;
    r->n_output = 0;
    r->output = o ? az_output_lines(o, &r->n_output) : NULL;
    r->output_truncated = o && o->truncated;
}

void az_hist_buf_free(az_hist_buf *b)
{
    for (size_t i = 0; i < b->n; i++)
        entry_clear(b, i);
    free(b->recs);
    free(b->outputs);
    text_free(b);
    memset(b, 0, sizeof *b);
}

/* The outcome's record still in the buffer (not written yet), or NULL. */
static asyncz_run_record *buffered_entry(az_store_slot *slot, const az_run_outcome *oc)
{
    asyncz_run_record *r =
        oc->hist_buffered && oc->hist_gen == slot->hist.gen && oc->hist_index < slot->hist.n
            ? &slot->hist.recs[oc->hist_index]
            : NULL;
    return r && memcmp(r->run_id, oc->run_id, sizeof r->run_id) == 0 ? r : NULL;
}

/* A new record for oc at the end of the buffer, remembered as its buffered one, or NULL (dropped). */
static asyncz_run_record *entry_add_for(az_store_slot *slot, asyncz_run *run, az_run_outcome *oc)
{
    asyncz_run_record *r = entry_add(slot, run->task);
    if (r) {
        oc->hist_buffered = true;
        oc->hist_gen = slot->hist.gen;
        oc->hist_index = (uint32_t)(slot->hist.n - 1);
    }
    return r;
}

/* What every record of the time oc of run says, whatever its state: which occurrence it is. */
static void set_occurrence(asyncz_run_record *r, const asyncz_run *run, const az_run_outcome *oc)
{
    memcpy(r->run_id, oc->run_id, sizeof r->run_id);
    r->scheduled_time = oc->scheduled;
    r->submitted_at = run->submitted_at;
    r->fencing_token = run->token;
    r->coalesced = run->coalesced;
    r->source = (asyncz_run_source)oc->source;
}

/* The RUNNING entries of a submitted run, one per time (lock held). */
static void record_running(az_store_slot *slot, asyncz_run *run)
{
    for (size_t i = 0; i < run->n_times; i++) {
        asyncz_run_record *r = entry_add_for(slot, run, &run->outcomes[i]);
        if (r)
            set_occurrence(r, run, &run->outcomes[i]);
    }
}

/* Make the RUNNING entries of a run that waited for them (lock held). */
static void undefer(asyncz_run *run)
{
    if (!run->hist_deferred)
        return;
    run->hist_deferred = false;
    run->scheduler->hist_deferred--;
    az_store_slot *slot = run->owner_data;
    if (slot && slot->history)
        record_running(slot, run);
}

/* The runs whose RUNNING entries wait get them (lock held). They were added to the in-flight list after
 * every run that has its entries, so they are its first ones. */
static void undefer_all(asyncz_scheduler *s)
{
    for (asyncz_run *r = s->inflight; r && s->hist_deferred > 0; r = r->inflight_next)
        undefer(r);
}

void az_hist_submitted(az_store_slot *slot, asyncz_run *run, asyncz_time_t now, asyncz_run_source source,
                       asyncz_time_t requested)
{
    if (!slot->history || run->task->no_history)
        return;
    run->owner_data = slot;
    run->submitted_at = now;
    /* Its output is published while it runs (az_hist_publish_output) when the round can find it. */
    run->output_live = run->inflight && run->output_max > 0;
    run->scheduler->hist_pending = true; /* written after the round submits it: see az_drain_done */
    for (size_t i = 0; i < run->n_times; i++) {
        az_run_outcome *oc = &run->outcomes[i];
        oc->source = (uint8_t)(source == ASYNCZ_RUN_SOURCE_SCHEDULE && oc->scheduled == requested
                                   ? ASYNCZ_RUN_SOURCE_REQUEST
                                   : source); /* for the entries */
    }
    if (run->inflight) { /* found again by undefer_all at the next write, unless it finishes first */
        run->hist_deferred = true;
        run->scheduler->hist_deferred++;
        return;
    }
    record_running(slot, run);
}

void az_hist_not_run(az_store_slot *slot, asyncz_task *task, asyncz_time_t when, asyncz_time_t now,
                     asyncz_run_outcome outcome, uint64_t token, const char *why, char *run_id_out)
{
    if (!slot->history || task->no_history)
        return;
    asyncz_run_record *r = entry_add(slot, task);
    if (!r)
        return;
    if (run_id_out && *run_id_out)
        memcpy(r->run_id, run_id_out, sizeof r->run_id);
    else if (az_run_id_generate(r->run_id) != 0) {
        slot->hist.n--; /* owns nothing yet */
        slot->hist.dropped++;
        return;
    }
    if (run_id_out)
        memcpy(run_id_out, r->run_id, sizeof r->run_id);
    r->scheduled_time = when;
    r->submitted_at = r->finished_at = now;
    r->fencing_token = token;
    r->outcome = outcome;
    r->source = when == task->run_requested ? ASYNCZ_RUN_SOURCE_REQUEST : ASYNCZ_RUN_SOURCE_SCHEDULE;
    r->error_message = why ? strdup(why) : NULL;
    slot->hist.owning += why != NULL;
    if (slot->sched)
        slot->sched->hist_pending = true;
}

void az_hist_finished(asyncz_run *run, asyncz_time_t now)
{
    az_store_slot *slot = run->owner_data;
    if (run->hist_deferred) { /* finished before its RUNNING entries were made: it needs none */
        run->hist_deferred = false;
        run->scheduler->hist_deferred--;
    }
    if (!slot || !slot->history)
        return;
    for (size_t i = 0; i < run->n_times; i++) {
        az_run_outcome *oc = &run->outcomes[i];
        /* Its RUNNING entry not written yet (a run that finished within its round): complete it in place,
         * so the store gets one write. */
        asyncz_run_record *r = buffered_entry(slot, oc);
        if (!r && !(r = entry_add(slot, run->task)))
            continue;
        set_occurrence(r, run, oc);
        r->started_at = oc->started;
        r->finished_at = oc->finished != ASYNCZ_TIME_NONE ? oc->finished : now;
        r->outcome = az_run_outcome_of(oc);
        r->error_code = oc->error_code;
        r->exit_status = oc->exit_status;
        r->signal = oc->signal;
        /* A buffered RUNNING record owns no message or result yet. */
        r->error_message = oc->error_message ? strdup(oc->error_message) : NULL;
        r->result = oc->result ? strdup(oc->result) : NULL;
        slot->hist.owning += oc->error_message || oc->result;
        entry_set_output(&slot->hist, r, oc->output); /* the run is done with it */
        oc->output = NULL;
    }
}

/* ---- live output -------------------------------------------------------------------------------------- */

/* Queue the output so far of each of run's times not done yet that has some: a RUNNING entry with a copy,
 * or the entry still buffered for the time updated (one write per round, and a completion later in the
 * round still completes that entry in place). Entries that cannot be added are dropped and counted. */
static void publish_run(az_store_slot *slot, asyncz_run *run)
{
    undefer(run); /* its entries first, so that the output goes into them */
    for (size_t i = atomic_load(&run->current); i < run->n_times; i++) {
        az_run_outcome *oc = &run->outcomes[i];
        pthread_mutex_lock(&run->output_lock);
        az_output *copy = oc->output ? az_output_copy(oc->output) : NULL;
        /* Written before the time's first line (or under the lock): read only once there is one. */
        asyncz_time_t started = oc->output ? oc->started : ASYNCZ_TIME_NONE;
        pthread_mutex_unlock(&run->output_lock);
        if (!copy)
            continue;
        asyncz_run_record *r = buffered_entry(slot, oc);
        if (!r && !(r = entry_add_for(slot, run, oc))) {
            az_output_free(copy);
            continue;
        }
        set_occurrence(r, run, oc);
        r->started_at = started;
        r->outcome = ASYNCZ_RUN_RUNNING;
        entry_set_output(&slot->hist, r, copy);
    }
}

/* Whether a run's output may be copied now (at most once per AZ_HIST_OUTPUT_EVERY; a clock set back allows
 * it); else *next becomes no later than when it may. */
static bool publish_due(const asyncz_run *run, asyncz_time_t now, asyncz_time_t *next)
{
    asyncz_time_t at = run->output_published_at;
    if (at == ASYNCZ_TIME_NONE || now < at || now - at >= AZ_HIST_OUTPUT_EVERY)
        return true;
    if (*next == ASYNCZ_TIME_NONE || at + AZ_HIST_OUTPUT_EVERY < *next)
        *next = at + AZ_HIST_OUTPUT_EVERY;
    return false;
}

asyncz_time_t az_hist_publish_output(asyncz_scheduler *s, asyncz_time_t now)
{
    unsigned dirty = atomic_load(&s->output_dirty_runs);
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    size_t published = 0;
    for (asyncz_run *r = s->inflight; r && dirty > 0; r = r->inflight_next) {
        if (!atomic_load(&r->output_dirty))
            continue;
        dirty--;
        az_store_slot *slot = r->owner_data;
        bool wanted = slot && slot->history;
        if (wanted && (slot->hist_failing || slot->hist.n >= AZ_HIST_FLUSH_AT || !publish_due(r, now, &next)))
            continue; /* later: the store writes again, or the time comes */
        if (wanted && published == AZ_HIST_OUTPUT_RUNS) {
            next = now; /* the next round takes the rest */
            break;
        }
        /* Cleared before the copy: a line added meanwhile marks the run again. */
        if (atomic_exchange(&r->output_dirty, false))
            atomic_fetch_sub(&s->output_dirty_runs, 1);
        if (!wanted)
            continue; /* history turned off meanwhile */
        r->output_published_at = now;
        publish_run(slot, r);
        s->hist_pending = true;
        published++;
    }
    return next;
}

/* ---- writing ------------------------------------------------------------------------------------------ */

/* Whether arrays sized for cap records are worth keeping after a flush that used n of them: while flushes use
 * a good part of them (a scheduler firing bursts keeps its arrays, and their pages, from burst to burst);
 * after a small flush a burst's memory goes. */
static bool worth_keeping(size_t n, size_t cap)
{
    return cap <= AZ_HIST_KEEP_SMALL || n * 4 >= cap;
}

/* Write the records of b in one history_put. Returns the store's code (0: written). */
static int put_entries(az_store_slot *slot, const az_hist_buf *b)
{
    asyncz_store *st = slot->store;
    return ASYNCZ_STORE_BASE(st)->ops->history_put(st, b->recs, b->n);
}

/* Empty b, keeping its arrays as the slot's spare when worth it (io held; the spare is taken under `lock`,
 * see az_hist_flush). */
static void recycle(az_store_slot *slot, az_hist_buf *b)
{
    size_t used = b->n;
    for (size_t i = 0; b->owning && i < b->n; i++) /* most records own nothing: not read again */
        entry_clear(b, i);
    if (!slot->hist_spare.recs && b->recs && worth_keeping(used, b->cap)) {
        text_reset(b);
        slot->hist_spare =
            (az_hist_buf){.recs = b->recs, .outputs = b->outputs, .cap = b->cap, .text_spare = b->text_spare};
        b->recs = NULL;
        b->outputs = NULL;
        b->text_spare = NULL;
    }
    free(b->recs);
    free(b->outputs);
    text_free(b);
    memset(b, 0, sizeof *b);
}

/* Whether a failed write may succeed later (the store is unreachable, busy...), rather than refusing what
 * it was given. */
static bool worth_retrying(int rc)
{
    return rc != ASYNCZ_EINVAL && rc != ASYNCZ_ETOOBIG && rc != ASYNCZ_EUNSUPPORTED;
}

/* Move b's entries to the end of the retry buffer, as many as the bound allows (the rest are dropped and
 * counted); b is left empty. */
static void keep_for_retry(az_store_slot *slot, az_hist_buf *b)
{
    az_hist_buf *r = &slot->hist_retry;
    size_t room = r->n + slot->hist.n < AZ_HIST_BUF_MAX ? AZ_HIST_BUF_MAX - r->n - slot->hist.n : 0;
    size_t i = 0;
    for (; i < b->n && i < room; i++) {
        const asyncz_run_record *from = &b->recs[i];
        asyncz_run_record *moved = entry_push(r, from->task_id, from->task_name);
        if (!moved)
            break;
        const char *id = moved->task_id, *name = moved->task_name;
        *moved = *from; /* with its writer, message, result and output, which move along */
        moved->task_id = id;
        moved->task_name = name;
        r->outputs[r->n - 1] = b->outputs[i];
    }
    r->dropped += b->n - i;
    r->owning += b->owning;
    for (; i < b->n; i++)
        entry_clear(b, i);
    b->n = 0;
    b->owning = 0;
}

static void log_unwritten(const az_store_slot *slot, size_t n, int rc, bool kept)
{
    asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER, "store \"%s\": %zu run record(s) %s: %s%s%s", slot->alias, n,
               kept ? "wait to be written (tried again every round)" : "not written", asyncz_strerror(rc),
               *asyncz_store_errmsg() ? ": " : "", asyncz_store_errmsg());
}

void az_hist_flush(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now)
{
    (void)now;
    pthread_mutex_lock(&s->lock);
    undefer_all(s); /* into their stores' buffers, this one's among them */
    az_hist_buf b = slot->hist;
    slot->hist = slot->hist_spare; /* empty, with the capacity of an earlier flush, or none */
    slot->hist.gen = b.gen + 1;
    memset(&slot->hist_spare, 0, sizeof slot->hist_spare);
    slot->hist_pid = 0; /* taken again by the next record */
    bool on = slot->history;
    bool was_failing = slot->hist_failing;
    pthread_mutex_unlock(&s->lock);
    az_hist_buf *r = &slot->hist_retry;
    uint64_t dropped = b.dropped + r->dropped;
    r->dropped = 0;
    if (dropped)
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER,
                   "store \"%s\": %llu run record(s) not kept: more than %d waited to be written",
                   slot->alias, (unsigned long long)dropped, AZ_HIST_BUF_MAX);
    if (!slot->store || !on) {
        recycle(slot, &b);
        az_hist_buf_free(r);
        return;
    }
    /* What waits from earlier rounds goes first, so a run's completion is never written before its start.
     * While the store keeps failing, the new entries wait behind them, and nothing more is logged. */
    int rc = 0;
    if (r->n) {
        rc = put_entries(slot, r);
        if (rc == 0)
            asyncz_log(ASYNCZ_LOG_INFO, AZ_LOGGER, "store \"%s\": %zu waiting run record(s) written",
                       slot->alias, r->n);
        else if (!worth_retrying(rc))
            log_unwritten(slot, r->n, rc, false);
        if (rc == 0 || !worth_retrying(rc)) {
            az_hist_buf_free(r);
            rc = 0;
        }
    }
    if (rc == 0 && b.n && (rc = put_entries(slot, &b)) != 0) {
        log_unwritten(slot, b.n, rc, worth_retrying(rc));
        if (!worth_retrying(rc))
            rc = 0;
    }
    if (rc)
        keep_for_retry(slot, &b);
    if (rc || was_failing) {
        pthread_mutex_lock(&s->lock);
        slot->hist_failing = rc != 0;
        if (rc)
            s->hist_pending = true; /* tried again after the next round */
        pthread_mutex_unlock(&s->lock);
    }
    recycle(slot, &b);
}

void az_hist_flush_final(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now)
{
    az_hist_flush(s, slot, now);
    if (slot->hist_retry.n)
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER,
                   "store \"%s\": %zu run record(s) not written: the store closes and could not take them",
                   slot->alias, slot->hist_retry.n);
    az_hist_buf_free(&slot->hist_retry);
    az_hist_buf_free(&slot->hist_spare);
}

void az_hist_prune(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now)
{
    pthread_mutex_lock(&s->lock);
    bool on = slot->history;
    asyncz_history_retention ret = slot->retention;
    pthread_mutex_unlock(&s->lock);
    asyncz_store *st = slot->store;
    if (!on || !st || (slot->next_prune != 0 && now < slot->next_prune))
        return;
    size_t pruned = 0;
    if (ASYNCZ_STORE_BASE(st)->ops->history_prune(st, &ret, now, AZ_HIST_PRUNE_PER_ROUND, &pruned) != 0)
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER, "store \"%s\": pruning the run history failed: %s",
                   slot->alias, asyncz_store_errmsg());
    /* Something pruned (a store may stop short of the maximum: a trim is dearer than pruning by age), maybe
     * more: again next round; else after AZ_HIST_PRUNE_IDLE_USEC (a prune call that finds nothing
     * still costs the store a query, and a store without indexes for it, FerretDB, a scan). */
    slot->next_prune = pruned > 0 ? 0 : now + AZ_HIST_PRUNE_IDLE_USEC;
}

void az_hist_mark_lost(az_store_slot *slot, const char *identity, asyncz_time_t now)
{
    asyncz_store *st = slot->store;
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    if (!az_store_has_history(ops))
        return;
    char why[512];
    snprintf(why, sizeof why, "scheduler \"%s\" stopped heartbeating while it ran; it may not have finished",
             identity);
    size_t n = 0;
    if (ops->history_mark_lost(st, identity, now, why, &n) != 0)
        asyncz_log(ASYNCZ_LOG_WARNING, AZ_LOGGER, "store \"%s\": cannot mark the runs of \"%s\" lost: %s",
                   slot->alias, identity, asyncz_store_errmsg());
}

void az_hist_flush_pending(asyncz_scheduler *s, bool full)
{
    pthread_mutex_lock(&s->lock);
    bool pending = s->hist_pending;
    if (!full)
        s->hist_pending = false;
    size_t n = 0;
    az_store_slot **slots = pending ? az_sched_slots(s, &n) : NULL;
    pthread_mutex_unlock(&s->lock);
    asyncz_time_t now = az_sched_now(s);
    for (size_t i = 0; i < n; i++) {
        if (!az_slot_enter(slots[i]))
            continue;
        if (slots[i]->open && !full)
            az_hist_flush(s, slots[i], now);
        else if (slots[i]->open)
            az_hist_flush_if_full(s, slots[i], now);
        az_slot_leave(slots[i]);
    }
    free(slots);
}

void az_hist_flush_if_full(asyncz_scheduler *s, az_store_slot *slot, asyncz_time_t now)
{
    pthread_mutex_lock(&s->lock);
    bool full = slot->hist.n >= AZ_HIST_FLUSH_AT;
    pthread_mutex_unlock(&s->lock);
    if (full)
        az_hist_flush(s, slot, now);
}
