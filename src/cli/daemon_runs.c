/* The runs a stopping daemon waits for. Every run time the scheduler submits (TASK_SUBMITTED lists them)
 * ends with exactly one outcome event for that time: TASK_EXECUTED, TASK_ERROR (also for runs an executor
 * failed or killed), or TASK_MISSED (it waited in the executor's queue past its grace time). Runs are
 * paired with their outcome by store, task id and scheduled time rather than counted: an outcome without a
 * submission (a run time dropped as missed before it was submitted, a shutdown task's run) matches nothing
 * and changes nothing, so the number of runs going cannot drift whatever events come. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

typedef struct az_run_entry {
    char *alias, *task_id;
    asyncz_time_t when;
} az_run_entry;

void az_runs_init(az_runs *r)
{
    *r = (az_runs){0};
    pthread_mutex_init(&r->lock, NULL);
}

static void entry_free(az_run_entry *e)
{
    free(e->alias);
    free(e->task_id);
}

void az_runs_free(az_runs *r)
{
    for (size_t i = 0; i < r->n; i++)
        entry_free(&r->items[i]);
    free(r->items);
    pthread_mutex_destroy(&r->lock);
}

/* Under the lock. False when out of memory (the run is then not waited for). */
static bool add_locked(az_runs *r, const char *alias, const char *task_id, asyncz_time_t when)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        az_run_entry *grown = realloc(r->items, cap * sizeof *grown);
        if (!grown)
            return false;
        r->items = grown;
        r->cap = cap;
    }
    az_run_entry e = {
        .alias = strdup(alias ? alias : ""), .task_id = strdup(task_id ? task_id : ""), .when = when};
    if (!e.alias || !e.task_id) {
        entry_free(&e);
        return false;
    }
    r->items[r->n++] = e;
    return true;
}

/* Under the lock: forget one run with this store, task and time, if there is one. */
static void remove_locked(az_runs *r, const char *alias, const char *task_id, asyncz_time_t when)
{
    for (size_t i = 0; i < r->n; i++) {
        az_run_entry *e = &r->items[i];
        if (e->when == when && strcmp(e->alias, alias ? alias : "") == 0 &&
            strcmp(e->task_id, task_id ? task_id : "") == 0) {
            entry_free(e);
            r->items[i] = r->items[--r->n];
            return;
        }
    }
}

bool az_runs_on_event(az_runs *r, const asyncz_event *ev)
{
    bool ok = true;
    pthread_mutex_lock(&r->lock);
    if (ev->code == ASYNCZ_EVENT_TASK_SUBMITTED) {
        for (size_t i = 0; i < ev->n_run_times; i++)
            ok &= add_locked(r, ev->alias, ev->task_id, ev->run_times[i]);
    } else if (ev->code & ASYNCZ_EVENT_TASK_RUN_ALL) {
        remove_locked(r, ev->alias, ev->task_id, ev->scheduled_run_time);
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

size_t az_runs_going(az_runs *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}
