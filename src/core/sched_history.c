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

/* Append s and its NUL to b's text; *at receives its offset. Errors: ASYNCZ_ENOMEM (also past 4 GiB). */
static int text_add(az_hist_buf *b, const char *s, uint32_t *at)
{
    size_t n = strlen(s) + 1;
    if (b->text_len + n > UINT32_MAX)
        return ASYNCZ_ENOMEM;
    if (b->text_len + n > b->text_cap) {
        size_t cap = b->text_cap ? b->text_cap : 4096;
        while (cap < b->text_len + n)
            cap *= 2;
        char *text = realloc(b->text, cap);
        if (!text)
            return ASYNCZ_ENOMEM;
        b->text = text;
        b->text_cap = cap;
    }
    memcpy(b->text + b->text_len, s, n);
    *at = (uint32_t)b->text_len;
    b->text_len += n;
    return 0;
}

/* Room for one more entry in b. Errors: ASYNCZ_ENOMEM. */
static int items_reserve(az_hist_buf *b)
{
    if (b->n < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 64;
    az_hist_entry *items = realloc(b->items, cap * sizeof *items);
    if (!items)
        return ASYNCZ_ENOMEM;
    b->items = items;
    b->cap = cap;
    return 0;
}

/* A new entry for a run of the task with this id and name at the end of b, or NULL (out of memory). */
static az_hist_entry *entry_push(az_hist_buf *b, const char *id, const char *name)
{
    size_t text_len = b->text_len;
    uint32_t id_at, name_at;
    if (items_reserve(b) != 0 || text_add(b, id, &id_at) != 0 ||
        text_add(b, name ? name : "", &name_at) != 0) {
        b->text_len = text_len;
        return NULL;
    }
    az_hist_entry *e = &b->items[b->n++];
    *e = (az_hist_entry){.id_at = id_at,
                         .name_at = name_at,
                         .started = ASYNCZ_TIME_NONE,
                         .finished = ASYNCZ_TIME_NONE,
                         .exit_status = -1,
                         .coalesced = 1};
    return e;
}

/* A new entry at the end of the slot's buffer, or NULL (full or out of memory: counted as dropped). */
static az_hist_entry *entry_add(az_store_slot *slot, asyncz_task *task)
{
    az_hist_buf *b = &slot->hist;
    az_hist_entry *e = b->n < AZ_HIST_BUF_MAX ? entry_push(b, task->id, asyncz_task_name(task)) : NULL;
    if (!e)
        b->dropped++;
    return e;
}

static void entry_clear(az_hist_entry *e)
{
    free(e->error_message);
    free(e->result);
    az_output_free(e->output);
}

void az_hist_buf_free(az_hist_buf *b)
{
    for (size_t i = 0; i < b->n; i++)
        entry_clear(&b->items[i]);
    free(b->items);
    free(b->text);
    memset(b, 0, sizeof *b);
}

/* The outcome's entry still in the buffer (not written yet), or NULL. */
static az_hist_entry *buffered_entry(az_store_slot *slot, const az_run_outcome *oc)
{
    az_hist_entry *e = oc->hist_buffered && oc->hist_gen == slot->hist.gen && oc->hist_index < slot->hist.n
                           ? &slot->hist.items[oc->hist_index]
                           : NULL;
    return e && memcmp(e->run_id, oc->run_id, sizeof e->run_id) == 0 ? e : NULL;
}

/* A new entry for oc at the end of the buffer, remembered as its buffered one, or NULL (dropped). */
static az_hist_entry *entry_add_for(az_store_slot *slot, asyncz_run *run, az_run_outcome *oc)
{
    az_hist_entry *e = entry_add(slot, run->task);
    if (e) {
        oc->hist_buffered = true;
        oc->hist_gen = slot->hist.gen;
        oc->hist_index = (uint32_t)(slot->hist.n - 1);
    }
    return e;
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
        az_hist_entry *e = entry_add_for(slot, run, oc);
        if (!e)
            continue;
        memcpy(e->run_id, oc->run_id, sizeof e->run_id);
        e->scheduled = oc->scheduled;
        e->submitted = now;
        e->token = run->token;
        e->coalesced = run->coalesced;
        e->outcome = ASYNCZ_RUN_RUNNING;
        e->source = (uint8_t)(source == ASYNCZ_RUN_SOURCE_SCHEDULE && oc->scheduled == requested
                                  ? ASYNCZ_RUN_SOURCE_REQUEST
                                  : source);
        oc->source = e->source; /* for the completion */
    }
}

void az_hist_not_run(az_store_slot *slot, asyncz_task *task, asyncz_time_t when, asyncz_time_t now,
                     asyncz_run_outcome outcome, uint64_t token, const char *why, char *run_id_out)
{
    if (!slot->history || task->no_history)
        return;
    az_hist_entry *e = entry_add(slot, task);
    if (!e)
        return;
    if (run_id_out && *run_id_out)
        memcpy(e->run_id, run_id_out, sizeof e->run_id);
    else if (az_run_id_generate(e->run_id) != 0) {
        slot->hist.n--;
        entry_clear(e);
        slot->hist.dropped++;
        return;
    }
    if (run_id_out)
        memcpy(run_id_out, e->run_id, sizeof e->run_id);
    e->scheduled = when;
    e->submitted = e->finished = now;
    e->token = token;
    e->outcome = (uint8_t)outcome;
    e->source =
        (uint8_t)(when == task->run_requested ? ASYNCZ_RUN_SOURCE_REQUEST : ASYNCZ_RUN_SOURCE_SCHEDULE);
    e->error_message = why ? strdup(why) : NULL;
    if (slot->sched)
        slot->sched->hist_pending = true;
}

void az_hist_finished(asyncz_run *run, asyncz_time_t now)
{
    az_store_slot *slot = run->owner_data;
    if (!slot || !slot->history)
        return;
    for (size_t i = 0; i < run->n_times; i++) {
        az_run_outcome *oc = &run->outcomes[i];
        /* Its RUNNING entry not written yet (a run that finished within its round): complete it in place,
         * so the store gets one write. */
        az_hist_entry *e = buffered_entry(slot, oc);
        if (!e && !(e = entry_add(slot, run->task)))
            continue;
        memcpy(e->run_id, oc->run_id, sizeof e->run_id);
        e->scheduled = oc->scheduled;
        e->submitted = run->submitted_at;
        e->started = oc->started;
        e->finished = oc->finished != ASYNCZ_TIME_NONE ? oc->finished : now;
        e->token = run->token;
        e->coalesced = run->coalesced;
        e->outcome = (uint8_t)az_run_outcome_of(oc);
        e->source = oc->source;
        e->error_code = oc->error_code;
        e->exit_status = oc->exit_status;
        e->signal = oc->signal;
        e->error_message = oc->error_message ? strdup(oc->error_message) : NULL;
        e->result = oc->result ? strdup(oc->result) : NULL;
        az_output_free(e->output);
        e->output = oc->output; /* the run is done with it */
        oc->output = NULL;
    }
}

/* ---- live output -------------------------------------------------------------------------------------- */

/* Queue the output so far of each of run's times not done yet that has some: a RUNNING entry with a copy,
 * or the entry still buffered for the time updated (one write per round, and a completion later in the
 * round still completes that entry in place). Entries that cannot be added are dropped and counted. */
static void publish_run(az_store_slot *slot, asyncz_run *run)
{
    for (size_t i = atomic_load(&run->current); i < run->n_times; i++) {
        az_run_outcome *oc = &run->outcomes[i];
        pthread_mutex_lock(&run->output_lock);
        az_output *copy = oc->output ? az_output_copy(oc->output) : NULL;
        /* Written before the time's first line (or under the lock): read only once there is one. */
        asyncz_time_t started = oc->output ? oc->started : ASYNCZ_TIME_NONE;
        pthread_mutex_unlock(&run->output_lock);
        if (!copy)
            continue;
        az_hist_entry *e = buffered_entry(slot, oc);
        if (!e && !(e = entry_add_for(slot, run, oc))) {
            az_output_free(copy);
            continue;
        }
        memcpy(e->run_id, oc->run_id, sizeof e->run_id);
        e->scheduled = oc->scheduled;
        e->submitted = run->submitted_at;
        e->started = started;
        e->token = run->token;
        e->coalesced = run->coalesced;
        e->outcome = ASYNCZ_RUN_RUNNING;
        e->source = oc->source;
        az_output_free(e->output);
        e->output = copy;
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

typedef struct writer {
    const char *alias, *identity, *host;
    int64_t pid;
} writer;

/* Every field of the record is set here (a run record in full: no asyncz_run_record_init needed). */
static void to_record(asyncz_run_record *r, const az_hist_buf *b, const az_hist_entry *e, const writer *w)
{
    size_t n_output = 0;
    const asyncz_output_line *output = e->output ? az_output_lines(e->output, &n_output) : NULL;
    *r = (asyncz_run_record){
        .task_id = b->text + e->id_at,
        .task_name = b->text[e->name_at] ? b->text + e->name_at : NULL,
        .store_alias = w->alias,
        .scheduled_time = e->scheduled,
        .coalesced = e->coalesced,
        .source = (asyncz_run_source)e->source,
        .scheduler = w->identity,
        .host = w->host,
        .pid = w->pid,
        .fencing_token = e->token,
        .submitted_at = e->submitted,
        .started_at = e->started,
        .finished_at = e->finished,
        .outcome = (asyncz_run_outcome)e->outcome,
        .error_code = e->error_code,
        .exit_status = e->exit_status,
        .signal = e->signal,
        .error_message = e->error_message,
        .result = e->result,
        .output = output,
        .n_output = n_output,
        .output_truncated = e->output && e->output->truncated,
    };
    memcpy(r->run_id, e->run_id, sizeof r->run_id);
}

/* Whether memory sized for cap items is worth keeping after a flush that used n of them: while flushes use
 * a good part of it (a scheduler firing bursts keeps its arrays, and their pages, from burst to burst);
 * after a small flush a burst's memory goes. */
static bool worth_keeping(size_t n, size_t cap)
{
    return cap <= AZ_HIST_KEEP_SMALL || n * 4 >= cap;
}

/* Room for n records in the slot's record array (io held). Errors: ASYNCZ_ENOMEM. */
static int reserve_records(az_store_slot *slot, size_t n)
{
    if (n <= slot->hist_recs_cap)
        return 0;
    free(slot->hist_recs);
    slot->hist_recs_cap = 0;
    if (!(slot->hist_recs = malloc(n * sizeof *slot->hist_recs)))
        return ASYNCZ_ENOMEM;
    slot->hist_recs_cap = n;
    return 0;
}

/* Write the entries of b in one history_put. Returns the store's code (0: written). */
static int put_entries(asyncz_scheduler *s, az_store_slot *slot, const az_hist_buf *b)
{
    asyncz_store *st = slot->store;
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    writer w = {
        .alias = slot->alias, .identity = s->identity, .host = az_host_name(), .pid = (int64_t)getpid()};
    if (reserve_records(slot, b->n) != 0)
        return ASYNCZ_ENOMEM;
    asyncz_run_record *recs = slot->hist_recs;
    for (size_t i = 0; i < b->n; i++)
        to_record(&recs[i], b, &b->items[i], &w);
    int rc = ops->history_put(st, recs, b->n);
    if (!worth_keeping(b->n, slot->hist_recs_cap)) {
        free(slot->hist_recs);
        slot->hist_recs = NULL;
        slot->hist_recs_cap = 0;
    }
    return rc;
}

/* Empty b, keeping its array as the slot's spare when worth it (io held; the spare is taken under `lock`,
 * see az_hist_flush). */
static void recycle(az_store_slot *slot, az_hist_buf *b)
{
    size_t used = b->n;
    for (size_t i = 0; i < b->n; i++)
        entry_clear(&b->items[i]);
    if (!slot->hist_spare.items && b->items && worth_keeping(used, b->cap)) {
        slot->hist_spare =
            (az_hist_buf){.items = b->items, .cap = b->cap, .text = b->text, .text_cap = b->text_cap};
        b->items = NULL;
        b->text = NULL;
    }
    free(b->items);
    free(b->text);
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
        const az_hist_entry *e = &b->items[i];
        const char *name = b->text + e->name_at;
        az_hist_entry *moved = entry_push(r, b->text + e->id_at, *name ? name : NULL);
        if (!moved)
            break;
        uint32_t id_at = moved->id_at, name_at = moved->name_at;
        *moved = *e; /* its strings, output and all */
        moved->id_at = id_at;
        moved->name_at = name_at;
    }
    r->dropped += b->n - i;
    for (; i < b->n; i++)
        entry_clear(&b->items[i]);
    b->n = 0;
    b->text_len = 0;
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
    az_hist_buf b = slot->hist;
    slot->hist = slot->hist_spare; /* empty, with the capacity of an earlier flush, or none */
    slot->hist.gen = b.gen + 1;
    memset(&slot->hist_spare, 0, sizeof slot->hist_spare);
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
        rc = put_entries(s, slot, r);
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
    if (rc == 0 && b.n && (rc = put_entries(s, slot, &b)) != 0) {
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
    free(slot->hist_recs);
    slot->hist_recs = NULL;
    slot->hist_recs_cap = 0;
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
