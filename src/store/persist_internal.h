/* The persist layer's state, shared by its files: persist.c (tasks, claims, the quarantine, heartbeats) and
 * persist_history.c (the run history and audit journals). Internal. */
#ifndef AZ_STORE_PERSIST_INTERNAL_H
#define AZ_STORE_PERSIST_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "asyncz/sys/store.h"
#include "codec/seal.h"
#include "store/backend.h"

/* Records whose zone does not load here are met again at every claim after their lease: the log says so once
 * per zone (and failure) in this long, for up to this many zones at once. */
#define ZONE_LOG_EVERY_USEC (10 * 60 * ASYNCZ_USEC_PER_SEC)
#define ZONE_LOG_SLOTS 8

typedef struct zone_logged {
    char what[256]; /* `time zone "NAME" does not load here: ...` */
    asyncz_time_t at;
} zone_logged;

struct az_phist;

typedef struct persist_store {
    asyncz_store_base base;
    az_backend *b;
    pthread_mutex_t lock;
    az_sealer sealer;
    asyncz_store_ops ops;   /* the name is the backend's */
    asyncz_store_host host; /* the host's, valid while open */
    /* What the backend is given as its host: wake-ups pass through to host's (pass_wakeup), reports are
     * queued (queue_report) to be told to host after the lock is released. host_data is this store. */
    asyncz_store_host backend_host;
    struct report *reports; /* queued under the lock, oldest first; always empty when the lock is free */
    struct report **reports_end;
    bool open;
    char logger[48]; /* "asyncz.store.<kind>" */
    zone_logged zone_logs[ZONE_LOG_SLOTS];
    char label[320]; /* the store in messages: its URL without the password ("" until set) */
    struct az_phist *hist; /* persist_history.c's state (tasks to trim); NULL until it needs one */
} persist_store;

/* Release ps->lock, then tell the host what was queued while it was held (in order), keeping the caller's
 * asyncz_store_errmsg() across the callbacks, which may call the store again. */
void az_persist_unlock(persist_store *ps);

/* Set the history ops of ops (history_put ... audit_list) when backend b has the journal ops, else leave
 * them NULL (persist_history.c). */
void az_persist_history_ops(asyncz_store_ops *ops, const az_backend *b);

/* Free ps->hist (NULL-safe), at destroy. */
void az_persist_history_free(persist_store *ps);

#endif
