/* The memory store's run history (memory_history.c): a bounded, run-id-ordered ring of records with its
 * own lock, implementing the history ops of asyncz/sys/store.h for memory.c. */
#ifndef AZ_STORE_MEMORY_HISTORY_H
#define AZ_STORE_MEMORY_HISTORY_H

#include "asyncz/history.h"

typedef struct az_mem_history az_mem_history;

/* Make an empty history kept within the default retention (30 days, 1,000 runs per task,
 * ASYNCZ_HISTORY_MEMORY_DEFAULT_MAX_RUNS in all; a max_runs of 0 given to prune keeps that default). Errors: ASYNCZ_ENOMEM. */
int az_mem_history_new(az_mem_history **out);
void az_mem_history_free(az_mem_history *h);

/* The history ops (asyncz/sys/store.h), any thread; each takes the history's own lock (never the task
 * store's) and calls back with it released. put also applies the caps of the last retention given to prune
 * (or the defaults): the oldest records beyond max_runs are dropped right away (a memory bound); a task's
 * records beyond max_runs_per_task are left to prune. */
int az_mem_history_put(az_mem_history *h, const asyncz_run_record *recs, size_t n);
int az_mem_history_list(az_mem_history *h, const asyncz_history_query *q, asyncz_run_record_fn each, void *ud,
                        char *next_cursor);
int az_mem_history_get(az_mem_history *h, const char *run_id, asyncz_run_record **out);
int az_mem_history_prune(az_mem_history *h, const asyncz_history_retention *r, asyncz_time_t now, size_t max,
                         size_t *pruned);
int az_mem_history_mark_lost(az_mem_history *h, const char *scheduler, asyncz_time_t now, const char *reason,
                             size_t *marked);

#endif
